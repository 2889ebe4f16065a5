//! The plain-object shapes that cross into JavaScript, and their conversions
//! to and from the core's types.
//!
//! Everything here is ordinary Rust (serde), so it is tested natively; the
//! `wasm_bindgen` glue in the crate root only moves these shapes across with
//! `serde-wasm-bindgen`. Data fields are snake_case, as on the wire and in
//! the merchant API.

use serde::{Deserialize, Serialize};
use wxface_core::flow::{Action, Event, FlowConfig, Outcome, Recognised, RequestId};
use wxface_core::realname::{IdNumberProblem, MaskedIdentity};
use wxface_core::sdk::{classify_sdk_error, Cmd, InitRequest, SdkErrorClass, SdkReply, SdkVersion};
use wxface_core::{Error, UnixTime};

/// Longest message accepted from the driver for a failed call, in characters.
const MAX_DRIVER_MESSAGE: usize = 256;

/// A core error as a plain object: `name` is the kind, `code` the stable core
/// code, the rest what a caller may act on. Never carries personal data (the
/// core's messages name fields and rules, not values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    /// The error kind (`invalid_input`, `sdk`, …): the JS `Error`'s `name`.
    pub name: &'static str,
    /// The stable core code (`signature_mismatch` is finer than its kind).
    pub code: &'static str,
    /// Human-readable, without personal data.
    pub message: String,
    /// Whether the same call may be retried unchanged.
    pub retryable: bool,
    /// The refused field (`invalid_input`, `sdk_version`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The SDK command (`sdk`, `sdk_version`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    /// The SDK's `return_code` (`sdk`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_code: Option<String>,
    /// The SDK's `return_msg` (`sdk`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_msg: Option<String>,
    /// The SDK's `err_code` (`sdk`), as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub err_code: Option<String>,
    /// What the SDK error means for the flow (`sdk`): see [`class_name`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_class: Option<&'static str>,
    /// HTTP status of a back-end answer (`backend`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The back end's own code (`backend`): WeChat's or the merchant server's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend_code: Option<String>,
}

impl From<&Error> for ErrorInfo {
    fn from(e: &Error) -> Self {
        let mut info = ErrorInfo {
            name: e.kind().as_str(),
            code: e.code(),
            message: e.to_string(),
            retryable: e.is_retryable(),
            field: None,
            cmd: None,
            return_code: None,
            return_msg: None,
            err_code: None,
            sdk_class: None,
            status: None,
            backend_code: None,
        };
        match e {
            Error::InvalidInput { field, .. } => info.field = Some(field.clone()),
            Error::SdkVersion { cmd, field, .. } => {
                info.cmd = Some((*cmd).to_owned());
                info.field = Some((*field).to_owned());
            }
            Error::Sdk {
                cmd,
                return_code,
                return_msg,
                err_code,
            } => {
                info.cmd = Some(cmd.clone());
                info.return_code = Some(return_code.clone());
                info.return_msg = Some(return_msg.clone());
                info.err_code = err_code.clone();
                info.sdk_class = classify_sdk_error(e).map(class_name);
            }
            Error::Backend { status, code, .. } => {
                info.status = *status;
                info.backend_code = Some(code.clone());
            }
            _ => {}
        }
        info
    }
}

/// Stable snake_case name of an SDK error class.
pub fn class_name(c: SdkErrorClass) -> &'static str {
    match c {
        SdkErrorClass::UserCancel => "user_cancel",
        SdkErrorClass::ConsentRefused => "consent_refused",
        SdkErrorClass::AuthinfoExpired => "authinfo_expired",
        SdkErrorClass::NotInitialised => "not_initialised",
        SdkErrorClass::Initialising => "initialising",
        SdkErrorClass::ScanInstead => "scan_instead",
        SdkErrorClass::Other => "other",
    }
}

/// Stable snake_case name of a resident-ID problem.
pub fn problem_name(p: IdNumberProblem) -> &'static str {
    match p {
        IdNumberProblem::Length => "length",
        IdNumberProblem::Characters => "characters",
        IdNumberProblem::BirthDate => "birth_date",
        IdNumberProblem::CheckDigit => "check_digit",
    }
}

/// An `invalid_input` error for a value the JS side passed.
pub fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// A deserializer's message without the offending value: serde quotes the
/// value it refused (`invalid type: string "…", expected …`), an unknown key
/// or an unknown variant, and any of them may be a phone number or a name.
/// The core's sanitiser keeps the category and the expected type.
pub fn redact(msg: &str) -> String {
    wxface_core::redact::serde_message(msg)
}

/// The core's deserialisation errors name fields and rules, never values;
/// kept as a pass-through for the call sites that map every error.
pub fn redact_error(e: Error) -> Error {
    e
}

/// A JS time in unix seconds: finite, the protocol's 10 digits. Fractions are
/// dropped (`Date.now() / 1000` works); milliseconds are refused.
///
/// # Errors
/// `invalid_input` on field `now`.
pub fn unix_time(now: f64) -> Result<UnixTime, Error> {
    let secs = now.floor();
    if !secs.is_finite() || !(1e9..1e10).contains(&secs) {
        return Err(invalid(
            "now",
            "must be unix time in seconds (10 digits), not milliseconds",
        ));
    }
    // In range and integral: the cast is exact.
    Ok(UnixTime(secs as u64))
}

/// The SDK version a caller names, `1.24` when none.
///
/// # Errors
/// `invalid_input` on field `sdk_version`.
pub fn sdk_version(v: Option<&str>) -> Result<SdkVersion, Error> {
    v.map_or(Ok(SdkVersion::default()), str::parse)
}

/// A face SDK command by its wire name.
///
/// # Errors
/// `invalid_input` on field `cmd`.
pub fn cmd(name: &str) -> Result<Cmd, Error> {
    name.parse()
}

/// What a successful SDK answer carried; absent fields are left out, so an
/// `initWxpayface` answer is `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplyOut {
    /// `getWxpayfaceRawdata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rawdata: Option<String>,
    /// `getWxpayfaceCode` (FACE_AUTH).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_sid: Option<String>,
    /// `getWxpayfaceCode` (FACEPAY).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub face_code: Option<String>,
    /// `getWxpayfaceCode`, sometimes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
    /// `getWxpayfaceCode`, provider mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_openid: Option<String>,
    /// `getWxpayfaceCode`: whether the pre-filled phone number was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone_used: Option<bool>,
}

impl From<SdkReply> for ReplyOut {
    fn from(r: SdkReply) -> Self {
        match r {
            SdkReply::Rawdata(rawdata) => Self {
                rawdata: Some(rawdata),
                ..Self::default()
            },
            SdkReply::FaceCode(f) => Self {
                rawdata: None,
                face_sid: f.face_sid,
                face_code: f.face_code,
                openid: f.openid,
                sub_openid: f.sub_openid,
                telephone_used: f.telephone_used,
            },
            SdkReply::Init | SdkReply::Auth | SdkReply::Release => Self::default(),
        }
    }
}

/// The kiosk's flow configuration as JS passes it. No secret has a field here:
/// an unknown field (an `api_key`, a camelCase typo) is refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigIn {
    /// `appid`.
    pub appid: String,
    /// `mch_id`.
    pub mch_id: String,
    /// `store_id`.
    pub store_id: String,
    /// Face SDK version of the terminal, `"1.24"` by default.
    #[serde(default)]
    pub sdk_version: Option<String>,
    /// `sub_appid` (provider mode).
    #[serde(default)]
    pub sub_appid: Option<String>,
    /// `sub_mch_id` (provider mode).
    #[serde(default)]
    pub sub_mch_id: Option<String>,
    /// `screen_index` (1.18+).
    #[serde(default)]
    pub screen_index: Option<String>,
    /// `disable_keyboard` (1.23+).
    #[serde(default)]
    pub disable_keyboard: bool,
    /// `initWxpayface` settings: `{proxy, proxy_type, camera_rotation}`.
    #[serde(default)]
    pub init: Option<InitRequest>,
    /// Seconds before expiry at which a cached authinfo is no longer reused.
    #[serde(default)]
    pub authinfo_margin_secs: Option<u64>,
}

impl ConfigIn {
    /// The core configuration.
    ///
    /// # Errors
    /// `invalid_input` for a bad `sdk_version`.
    pub fn into_config(self) -> Result<FlowConfig, Error> {
        let mut cfg = FlowConfig::new(self.appid, self.mch_id, self.store_id);
        cfg.sdk_version = sdk_version(self.sdk_version.as_deref())?;
        cfg.sub_appid = self.sub_appid;
        cfg.sub_mch_id = self.sub_mch_id;
        cfg.screen_index = self.screen_index;
        cfg.disable_keyboard = self.disable_keyboard;
        cfg.init = self.init.unwrap_or_default();
        if let Some(m) = self.authinfo_margin_secs {
            cfg.authinfo_margin_secs = m;
        }
        Ok(cfg)
    }
}

/// A failure the driver reports: what its `fetch` or SDK bridge saw.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FailureIn {
    /// The merchant server's `code`, or a transport code of the driver's choice.
    pub code: Option<String>,
    /// A message without personal data.
    pub message: Option<String>,
    /// HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// The SDK's `return_code`, when a bridge answered with one.
    pub return_code: Option<String>,
    /// The SDK's `return_msg`.
    pub return_msg: Option<String>,
    /// The SDK's `err_code`, a string or an integer.
    pub err_code: Option<serde_json::Value>,
}

fn bounded(s: Option<String>) -> String {
    let mut s = s.unwrap_or_default();
    if let Some((i, _)) = s.char_indices().nth(MAX_DRIVER_MESSAGE) {
        s.truncate(i);
    }
    s
}

/// Codes (`code`, `return_code`, `err_code`) are kept only when they look
/// like codes (`wxface_core::redact::code_token`): the driver passes on what a peer
/// answered, and a code is no place for a value.
impl FailureIn {
    /// As a merchant-server failure.
    pub fn into_backend(self) -> Error {
        Error::Backend {
            status: self.status,
            code: self.code.map_or_else(
                || "TRANSPORT".to_owned(),
                |c| wxface_core::redact::code_token(&c),
            ),
            message: bounded(self.message),
            detail: None,
        }
    }

    /// As a failed call of SDK command `cmd`.
    pub fn into_sdk(self, cmd: &str) -> Error {
        Error::Sdk {
            cmd: cmd.to_owned(),
            return_code: self.return_code.or(self.code).map_or_else(
                || "CALL_FAILED".to_owned(),
                |c| wxface_core::redact::code_token(&c),
            ),
            return_msg: bounded(self.return_msg.or(self.message)),
            err_code: match self.err_code {
                Some(serde_json::Value::String(s)) if !s.is_empty() => {
                    Some(wxface_core::redact::code_token(&s))
                }
                Some(serde_json::Value::Number(n)) => {
                    Some(wxface_core::redact::code_token(&n.to_string()))
                }
                _ => None,
            },
        }
    }
}

/// An event as JS passes it: `{type: "begin"}`, `{type: "sdk_answer", id, json}`…
/// Extra fields are ignored, so a merchant answer can be spread into it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventIn {
    /// Program start: initialise the SDK.
    Start,
    /// A patient is ready.
    Begin,
    /// The kiosk cancels the current patient's flow.
    Cancel,
    /// Program exit: release the SDK.
    Shutdown,
    /// The SDK answered request `id` with `json`.
    SdkAnswer {
        /// Request id of the `call_sdk` action.
        id: u64,
        /// The answer JSON as received.
        json: String,
    },
    /// The SDK call itself failed.
    SdkCallFailed {
        /// Request id of the `call_sdk` action.
        id: u64,
        /// What failed.
        #[serde(default)]
        error: FailureIn,
    },
    /// The merchant server answered `POST /kiosk/authinfo`.
    Authinfo {
        /// Request id of the `fetch_authinfo` action.
        id: u64,
        /// The authinfo.
        authinfo: String,
        /// Absolute expiry (unix seconds).
        #[serde(default)]
        expires_at: Option<u64>,
        /// Lifetime in seconds, used when `expires_at` is absent.
        #[serde(default)]
        expires_in: Option<u64>,
    },
    /// The merchant server answered `POST /kiosk/verified`.
    VerifiedChecked {
        /// Request id of the `check_verified` action.
        id: u64,
        /// Whether the hospital already has this user verified.
        already_verified: bool,
    },
    /// The merchant server answered `POST /kiosk/real-name` (masked values only).
    RealName {
        /// Request id of the `fetch_real_name` action.
        id: u64,
        /// The masked identity.
        identity: MaskedIdentity,
    },
    /// A merchant-server request failed.
    BackendFailed {
        /// Request id of the action.
        id: u64,
        /// What failed.
        #[serde(default)]
        error: FailureIn,
    },
}

/// Who the face SDK recognised; the body of `POST /kiosk/verified` as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhoOut {
    /// The identity query credential.
    pub face_sid: String,
    /// `openid`, or `null`.
    pub openid: Option<String>,
    /// `sub_openid`, or `null`.
    pub sub_openid: Option<String>,
}

impl From<Recognised> for WhoOut {
    fn from(r: Recognised) -> Self {
        Self {
            face_sid: r.face_sid,
            openid: r.openid,
            sub_openid: r.sub_openid,
        }
    }
}

/// An action as JS receives it, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActionOut {
    /// A step starts (progress display): `{type: "step", step: "recognising"}`.
    Step {
        /// The step's snake_case name.
        step: &'static str,
    },
    /// Send `json` to the face SDK; answer with `sdk_answer` or `sdk_call_failed`.
    CallSdk {
        /// Request id.
        id: u64,
        /// The command.
        cmd: &'static str,
        /// The exact request JSON.
        json: String,
    },
    /// `POST /kiosk/authinfo` with this `rawdata`; answer with `authinfo`.
    FetchAuthinfo {
        /// Request id.
        id: u64,
        /// `rawdata` from the SDK.
        rawdata: String,
        /// `true` after the SDK reported the authinfo expired: send
        /// `"refresh": true` so the merchant server bypasses its cache.
        refresh: bool,
    },
    /// `POST /kiosk/verified` with `who`; answer with `verified_checked`.
    CheckVerified {
        /// Request id.
        id: u64,
        /// Who was recognised.
        who: WhoOut,
    },
    /// `POST /kiosk/real-name` for `face_sid`; answer with `real_name`.
    FetchRealName {
        /// Request id.
        id: u64,
        /// The query credential.
        face_sid: String,
    },
    /// The SDK is initialised: `begin` may start a patient's flow.
    Ready,
    /// A patient's flow is over.
    Done(Box<DoneOut>),
    /// The SDK was released.
    Released,
}

/// How a patient's flow ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoneOut {
    /// `verified`, `already_verified`, `consent_refused`, `cancelled`, `failed`.
    pub outcome: &'static str,
    /// Who was recognised (all outcomes but `cancelled` and `failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<WhoOut>,
    /// The masked identity (`verified`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<MaskedIdentity>,
    /// The step that failed (`failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<&'static str>,
    /// What failed (`failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorInfo>,
}

impl From<Outcome> for DoneOut {
    fn from(o: Outcome) -> Self {
        let mut d = DoneOut {
            outcome: o.as_str(),
            who: None,
            identity: None,
            step: None,
            error: None,
        };
        match o {
            Outcome::Verified { who, identity } => {
                d.who = Some(who.into());
                d.identity = Some(identity);
            }
            Outcome::AlreadyVerified { who } | Outcome::ConsentRefused { who } => {
                d.who = Some(who.into());
            }
            Outcome::Failed { step, error } => {
                d.step = Some(step.as_str());
                d.error = Some(ErrorInfo::from(&error));
            }
            // A future outcome still reports its name.
            _ => {}
        }
        d
    }
}

impl From<Action> for ActionOut {
    fn from(a: Action) -> Self {
        match a {
            Action::StepStarted(s) => Self::Step { step: s.as_str() },
            Action::CallSdk { id, cmd, json } => Self::CallSdk {
                id: id.0,
                cmd: cmd.as_str(),
                json,
            },
            Action::FetchAuthinfo {
                id,
                rawdata,
                refresh,
            } => Self::FetchAuthinfo {
                id: id.0,
                rawdata,
                refresh,
            },
            Action::CheckVerified { id, who } => Self::CheckVerified {
                id: id.0,
                who: who.into(),
            },
            Action::FetchRealName { id, face_sid } => Self::FetchRealName { id: id.0, face_sid },
            Action::Ready => Self::Ready,
            Action::Done(o) => Self::Done(Box::new(o.into())),
            Action::Released => Self::Released,
        }
    }
}

impl EventIn {
    /// The core event. `sdk_cmd` names the command of a pending SDK call (for
    /// `sdk_call_failed`), `now` dates an `authinfo` given by `expires_in`.
    ///
    /// # Errors
    /// `invalid_input` for an `authinfo` without `expires_at` or `expires_in`.
    pub fn into_event(self, now: UnixTime, sdk_cmd: Option<Cmd>) -> Result<Event, Error> {
        Ok(match self {
            Self::Start => Event::Start,
            Self::Begin => Event::Begin,
            Self::Cancel => Event::Cancel,
            Self::Shutdown => Event::Shutdown,
            Self::SdkAnswer { id, json } => Event::SdkAnswer {
                id: RequestId(id),
                json,
            },
            Self::SdkCallFailed { id, error } => Event::SdkCallFailed {
                id: RequestId(id),
                error: error.into_sdk(sdk_cmd.map_or("unknown", Cmd::as_str)),
            },
            Self::Authinfo {
                id,
                authinfo,
                expires_at,
                expires_in,
            } => Event::Authinfo {
                id: RequestId(id),
                authinfo,
                expires_at: match (expires_at, expires_in) {
                    (Some(at), _) => UnixTime(at),
                    (None, Some(secs)) => now.plus(secs),
                    (None, None) => {
                        return Err(invalid("expires_at", "or `expires_in` is required"));
                    }
                },
            },
            Self::VerifiedChecked {
                id,
                already_verified,
            } => Event::VerifiedChecked {
                id: RequestId(id),
                already_verified,
            },
            Self::RealName { id, identity } => Event::RealName {
                id: RequestId(id),
                identity,
            },
            Self::BackendFailed { id, error } => Event::BackendFailed {
                id: RequestId(id),
                error: error.into_backend(),
            },
        })
    }
}
