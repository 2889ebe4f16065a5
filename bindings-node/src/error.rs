//! The one Rust → JS error mapping.
//!
//! Every failure that reaches JavaScript goes through [`Failure`]: a Rust
//! error is described once ([`Failure::from`]) as a kind, a stable `code` (the
//! core's [`wxface_core::Error::code`]), a message and a few typed properties
//! (`wechatCode`, `status`, …), and [`Failure::into_napi`] turns that into a JS
//! object. The JS wrapper (`lib/errors.js`) registers a factory at load time
//! that builds an instance of the matching `WxfaceError` subclass, so
//! `instanceof BackendError` works; without the wrapper a plain `Error` with the
//! same properties is thrown.
//!
//! Messages come from the Rust errors' `Display`, which by contract names
//! fields and rules, never values: no secret and no personal data.

use napi::bindgen_prelude::{Function, FunctionRef, JsObjectValue, Object, Unknown};
use napi::{Env, JsValue, Status};
use napi_derive::napi;
use serde_json::{Map, Value};

/// The kinds a JS error can have, with their stable snake_case names and the
/// JS class names. Core kinds first, then those of the binding itself.
pub const KINDS: &[(&str, &str)] = &[
    ("invalid_input", "InvalidInputError"),
    ("sdk_version", "SdkVersionError"),
    ("sdk", "SdkError"),
    ("backend", "BackendError"),
    ("malformed", "MalformedError"),
    ("signature", "SignatureError"),
    ("decryption", "DecryptionError"),
    ("expired", "ExpiredError"),
    ("state", "StateError"),
    ("config", "ConfigError"),
    ("transport", "TransportError"),
    ("internal", "InternalError"),
];

/// Codes the binding adds to those of the Rust crates: internal failures (a
/// background task that stopped).
pub const BINDING_CODES: &[&str] = &["internal"];

/// A failure on its way to JavaScript.
#[derive(Debug, Clone)]
pub struct Failure {
    kind: &'static str,
    code: String,
    message: String,
    props: Map<String, Value>,
}

impl Failure {
    /// A failure of the binding's own transport (an HTTP call that did not
    /// produce an answer).
    pub fn transport(message: impl Into<String>) -> Self {
        Self {
            kind: "transport",
            code: "transport".into(),
            message: message.into(),
            props: Map::new(),
        }
    }

    /// A failure of the binding itself (a background task that stopped).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: "internal",
            code: "internal".into(),
            message: message.into(),
            props: Map::new(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The kind (`backend`, `signature`, …).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The message (never contains secrets or personal data).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The plain-object description handed to the JS error factory.
    pub fn to_json(&self) -> Value {
        let mut m = self.props.clone();
        m.insert("kind".into(), self.kind.into());
        m.insert("code".into(), self.code.as_str().into());
        m.insert("message".into(), self.message.as_str().into());
        Value::Object(m)
    }

    /// Turn the failure into a thrown/rejected JS error (an instance of the
    /// matching `WxfaceError` subclass once the wrapper has registered its
    /// factory).
    pub fn into_napi(self, env: &Env) -> napi::Error {
        match self.to_js_value(env) {
            Ok(v) => napi::Error::from(v),
            Err(_) => napi::Error::new(Status::GenericFailure, self.message),
        }
    }

    /// The JS error object, not thrown.
    ///
    /// # Errors
    /// When the JS engine cannot build the object.
    pub fn to_js_value<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let payload = self.to_json();
        if let Some(instance) = env.get_instance_data::<Instance>()? {
            if let Some(factory) = &instance.error_factory {
                return factory.borrow_back(env)?.call(payload);
            }
        }
        // No wrapper: a plain Error carrying the same properties.
        let mut obj: Object = env.create_error(napi::Error::new(
            Status::GenericFailure,
            self.message.clone(),
        ))?;
        let class = KINDS
            .iter()
            .find(|(k, _)| *k == self.kind)
            .map_or("WxfaceError", |(_, c)| c);
        obj.set_named_property("name", class)?;
        if let Value::Object(m) = payload {
            for (k, v) in m {
                if k != "message" {
                    obj.set_named_property(&camel(&k), v)?;
                }
            }
        }
        Ok(obj.to_unknown())
    }
}

fn camel(k: &str) -> String {
    let mut out = String::with_capacity(k.len());
    let mut up = false;
    for c in k.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn put(m: &mut Map<String, Value>, k: &str, v: impl Into<Value>) {
    m.insert(k.into(), v.into());
}

impl From<&wxface_core::Error> for Failure {
    fn from(e: &wxface_core::Error) -> Self {
        use wxface_core::Error as E;
        let mut props = Map::new();
        match e {
            E::InvalidInput { field, .. } => put(&mut props, "field", field.as_str()),
            E::SdkVersion {
                cmd,
                field,
                required,
                target,
            } => {
                put(&mut props, "cmd", *cmd);
                put(&mut props, "field", *field);
                put(&mut props, "requiredVersion", required.as_str());
                put(&mut props, "targetVersion", target.as_str());
            }
            E::Sdk {
                cmd,
                return_code,
                return_msg,
                err_code,
            } => {
                put(&mut props, "cmd", cmd.as_str());
                put(&mut props, "returnCode", return_code.as_str());
                put(&mut props, "returnMsg", return_msg.as_str());
                put(&mut props, "errCode", err_code.as_deref());
            }
            E::Backend {
                status,
                code,
                message,
                detail,
            } => {
                put(&mut props, "status", *status);
                put(&mut props, "wechatCode", code.as_str());
                put(&mut props, "wechatMessage", message.as_str());
                put(&mut props, "detail", detail.as_deref());
                put(&mut props, "retryable", e.is_retryable());
            }
            E::Malformed { what, .. } => put(&mut props, "what", *what),
            E::Signature { failure, .. } => put(&mut props, "failure", failure.code()),
            E::Expired { what } => put(&mut props, "what", *what),
            E::State { state, event } => {
                put(&mut props, "state", *state);
                put(&mut props, "event", *event);
            }
            _ => {}
        }
        Self {
            kind: e.kind().as_str(),
            code: e.code().to_owned(),
            message: e.to_string(),
            props,
        }
    }
}

impl From<wxface_core::Error> for Failure {
    fn from(e: wxface_core::Error) -> Self {
        Self::from(&e)
    }
}

#[cfg(feature = "merchant")]
impl From<wxface_client::Error> for Failure {
    fn from(e: wxface_client::Error) -> Self {
        match e {
            wxface_client::Error::Core(core) => Self::from(&core),
            other => {
                let mut f = Self::transport(other.to_string());
                if let wxface_client::Error::Transport { kind, .. } = &other {
                    put(&mut f.props, "transport", kind.as_str());
                }
                put(&mut f.props, "retryable", other.is_retryable());
                f.code = other.code().to_owned();
                f
            }
        }
    }
}

/// Per-environment state of the addon.
#[derive(Default)]
pub(crate) struct Instance {
    error_factory: Option<FunctionRef<Value, Unknown<'static>>>,
}

/// Map a core error to a JS error (for synchronous functions: `?` on the result).
pub(crate) fn js(env: &Env, e: wxface_core::Error) -> napi::Error {
    Failure::from(e).into_napi(env)
}

/// Register the function that builds JS error objects from a description
/// `{kind, code, message, …}`. Called once by the package's wrapper; not
/// public API.
#[napi(js_name = "__setErrorFactory")]
pub fn set_error_factory(env: Env, factory: Function<Value, Unknown<'static>>) -> napi::Result<()> {
    let factory = factory.create_ref()?;
    match env.get_instance_data::<Instance>()? {
        Some(instance) => instance.error_factory = Some(factory),
        None => env.set_instance_data(
            Instance {
                error_factory: Some(factory),
            },
            (),
            |_| {},
        )?,
    }
    Ok(())
}

/// Every error `code` the binding can produce: those of the client (the
/// core's and `transport`) and the binding's own (for the drift test of the
/// JS error table).
#[napi(js_name = "errorCodes")]
pub fn error_codes() -> Vec<String> {
    #[cfg(feature = "merchant")]
    let mut codes: Vec<&str> = wxface_client::Error::ALL_CODES.to_vec();
    #[cfg(not(feature = "merchant"))]
    let mut codes: Vec<&str> = wxface_core::Error::ALL_CODES.to_vec();
    codes.extend(BINDING_CODES);
    codes.into_iter().map(str::to_owned).collect()
}

/// Every error kind with its JS class name, as `[kind, className]` pairs.
#[napi(js_name = "errorKinds")]
pub fn error_kinds() -> Vec<Vec<String>> {
    KINDS
        .iter()
        .map(|(k, c)| vec![(*k).to_owned(), (*c).to_owned()])
        .collect()
}

/// A sample error of each code, as the binding would throw it (for tests of
/// the JS error classes; messages contain no data).
#[napi(js_name = "__sampleErrors")]
pub fn sample_errors<'env>(env: &'env Env) -> napi::Result<Vec<Unknown<'env>>> {
    use wxface_core::{Error as E, SignatureFailure as S};
    let samples = vec![
        E::InvalidInput {
            field: "store_id".into(),
            reason: "is required".into(),
        },
        E::SdkVersion {
            cmd: "getWxpayAuth",
            field: "quit_face_auth",
            required: "1.20".into(),
            target: "1.16".into(),
        },
        E::Sdk {
            cmd: "getWxpayfaceCode".into(),
            return_code: "ERROR".into(),
            return_msg: "授权请求信息不存在或者已过期".into(),
            err_code: Some("271382020".into()),
        },
        E::Backend {
            status: Some(500),
            code: "SYSTEM_ERROR".into(),
            message: "系统错误".into(),
            detail: None,
        },
        E::Malformed {
            what: "face SDK response",
            reason: "no `return_code`".into(),
        },
        E::Signature {
            failure: S::Missing,
            detail: "no `sign` field".into(),
        },
        E::Signature {
            failure: S::UnknownSerial,
            detail: "unknown".into(),
        },
        E::Signature {
            failure: S::StaleTimestamp,
            detail: "stale".into(),
        },
        E::Signature {
            failure: S::Mismatch,
            detail: "mismatch".into(),
        },
        E::Signature {
            failure: S::Malformed,
            detail: "not base64".into(),
        },
        E::Decryption,
        E::Expired { what: "authinfo" },
        E::State {
            state: "ready",
            event: "real_name",
        },
        E::Config("no key".into()),
    ];
    let mut out: Vec<Unknown> = samples
        .iter()
        .map(|e| Failure::from(e).to_js_value(env))
        .collect::<napi::Result<_>>()?;
    out.push(Failure::transport("connection refused").to_js_value(env)?);
    out.push(Failure::internal("a background task stopped").to_js_value(env)?);
    Ok(out)
}
