//! Errors: a core [`Error`] crosses into JavaScript as its flat record
//! ([`Error::info`]), which the generated `fromInfo` of `lib/errors.js`
//! (registered by `index.js` at load time) turns into an instance of its
//! class. Without the wrapper (the bare `native.js`) it is a plain `Error`
//! named after the class, with the record's fields as camelCase properties.
//!
//! The other way, what a JS callback threw arrives as a record too (see
//! `lib/kiosk.js`) and becomes a core error by [`Error::from_info`].

use napi::bindgen_prelude::{Function, FunctionRef, JsObjectValue, Unknown};
use napi::{Env, JsValue, Status};
use napi_derive::napi;
use serde_json::Value;
use wxface_core::error::{codes, spec, TransportKind, CATALOGUE};
use wxface_core::{Error, ErrorKind, SignatureFailure};

/// Per-environment state of the addon: the JS `fromInfo` factory.
#[derive(Default)]
struct Instance {
    from_info: Option<FunctionRef<Value, Unknown<'static>>>,
}

/// The JS error of `e`, not thrown.
///
/// # Errors
/// When the JS engine cannot build the object.
pub fn to_js<'env>(env: &'env Env, e: &Error) -> napi::Result<Unknown<'env>> {
    let info = serde_json::to_value(e.info())?;
    if let Some(Instance { from_info: Some(f) }) = env.get_instance_data::<Instance>()? {
        return f.borrow_back(env)?.call(info);
    }
    let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
    let class = spec(e.code()).map_or("Wxface", |s| s.class);
    obj.set_named_property("name", format!("{class}Error"))?;
    for (k, v) in crate::record::to_js(&info)
        .as_object()
        .into_iter()
        .flatten()
    {
        if k != "message" {
            obj.set_named_property(k, v.clone())?;
        }
    }
    Ok(obj.to_unknown())
}

/// `e` as a thrown/rejected JS error.
pub(crate) fn js(env: &Env, e: Error) -> napi::Error {
    match to_js(env, &e) {
        Ok(v) => napi::Error::from(v),
        Err(_) => napi::Error::new(Status::GenericFailure, e.to_string()),
    }
}

/// Register the function that builds JS errors from a record (`fromInfo`).
/// Called once by the package's wrapper; not public API.
#[napi(js_name = "__setErrorFactory")]
pub fn set_error_factory(env: Env, factory: Function<Value, Unknown<'static>>) -> napi::Result<()> {
    let from_info = Some(factory.create_ref()?);
    match env.get_instance_data::<Instance>()? {
        Some(instance) => instance.from_info = from_info,
        None => env.set_instance_data(Instance { from_info }, (), |_| {})?,
    }
    Ok(())
}

/// The core's error catalogue as `[code, kind, className]` rows, for the
/// drift test of the generated JS classes. Not public API.
#[napi(js_name = "__errorCatalogue")]
pub fn error_catalogue() -> Vec<Vec<String>> {
    CATALOGUE
        .iter()
        .map(|s| {
            vec![
                s.code.into(),
                s.kind.as_str().into(),
                format!("{}Error", s.class),
            ]
        })
        .collect()
}

/// A sample error of each code, as the binding throws it (for tests of the
/// JS error classes; no data in them). Not public API.
#[napi(js_name = "__sampleErrors")]
pub fn sample_errors(env: &Env) -> napi::Result<Vec<Unknown<'_>>> {
    let sample = |code: &str| -> Error {
        match spec(code).map(|s| s.kind) {
            Some(ErrorKind::InvalidInput) => Error::invalid("store_id", "is required"),
            Some(ErrorKind::SdkVersion) => Error::SdkVersion {
                cmd: "getWxpayAuth",
                field: "quit_face_auth",
                required: "1.20".into(),
                target: "1.16".into(),
            },
            Some(ErrorKind::Sdk) => Error::Sdk {
                cmd: "getWxpayfaceCode".into(),
                return_code: "ERROR".into(),
                return_msg: "授权请求信息不存在或者已过期".into(),
                err_code: Some("271382020".into()),
            },
            Some(ErrorKind::Backend) => Error::Backend {
                status: Some(500),
                code: "SYSTEM_ERROR".into(),
                message: "系统错误".into(),
                detail: None,
                request_id: None,
            },
            Some(ErrorKind::Malformed) => Error::malformed("face SDK response", "no `return_code`"),
            Some(ErrorKind::Signature) => {
                Error::signature(code.parse().unwrap_or(SignatureFailure::Mismatch), "sample")
            }
            Some(ErrorKind::Decryption) => Error::Decryption,
            Some(ErrorKind::Expired) => Error::Expired { what: "authinfo" },
            Some(ErrorKind::State) => Error::State {
                state: "ready",
                event: "real_name",
            },
            Some(ErrorKind::Config) => Error::config("no key"),
            Some(ErrorKind::Transport) => Error::transport(TransportKind::Connect, "sample"),
            Some(ErrorKind::Unauthenticated) => {
                Error::Unauthenticated("the request carries no device credential".into())
            }
            _ => Error::Internal("a background task stopped".into()),
        }
    };
    codes().map(|c| to_js(env, &sample(c))).collect()
}
