//! The serde records the bindings exchange: flow events, actions and
//! outcomes; kiosk configuration; the recognised user; progress steps; SDK
//! replies; the masked identity.
//!
//! Every binding speaks these records, so the JSON a browser kiosk, a Node
//! app and a Kotlin app see is one shape, converted to and from the core's
//! types here and tested here:
//!
//! * fields are snake_case, as on the wire and in the merchant API;
//! * a core enum appears as its stable name (`Step::as_str`,
//!   `StepStatus::as_str`, `Cmd::as_str`, `OutcomeKind::as_str`);
//! * an error is the core's flat [`ErrorInfo`];
//! * [`Event`], [`Action`] and [`Progress`] are tagged by `type`,
//!   [`Outcome`] by `outcome` (a `done` action carries its outcome's fields
//!   beside `type`: `{"type": "done", "outcome": "verified", "who": …}`).
//!
//! | record | what |
//! |---|---|
//! | [`KioskConfig`] (+ [`InitSettings`], [`Proxy`]) | the kiosk's flow configuration; no field for a secret |
//! | [`Event`] (+ [`Failure`]) | what a driver feeds the flow |
//! | [`Action`] | what the flow asks its driver to do |
//! | [`Outcome`] | how a patient's flow ended |
//! | [`Progress`] | a driver's progress report of one step |
//! | [`Recognised`] | who the face SDK recognised (`POST /kiosk/verified` as is) |
//! | [`MaskedIdentity`] | an identity as a kiosk may see it |
//! | [`SdkReply`] | what a successful face SDK answer carried |
//! | [`ResidentIdCheck`] | the GB 11643 check of a resident ID number |
//!
//! Records that hold a `face_sid`, an `openid` or a proxy password print
//! them redacted in `Debug`; the fields themselves hold the values, for the
//! driver that must send them on.
//!
//! With the cargo feature `uniffi`, the records derive `uniffi::Record` and
//! `uniffi::Enum` (so does [`ErrorInfo`]).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{spec, Error, ErrorInfo, ErrorKind, Result, TransportKind};
use crate::flow::{self, FlowConfig, OutcomeKind, RequestId, Step, StepStatus};
use crate::realname::{self, CredentialType, IdNumberProblem};
use crate::redact::{code_token, field_name, redacted_opt, Redacted};
use crate::sdk::{self, CameraRotation, InitRequest, ProxyType, SdkVersion};
use crate::time::UnixTime;

/// Longest message kept from a [`Failure`], in characters.
pub const MAX_FAILURE_MESSAGE: usize = 256;

// ------------------------------------------------------------ SDK replies --

/// What a successful face SDK answer carried; absent fields are left out of
/// the JSON, so an `initWxpayface` answer is `{}`. `Debug` redacts every
/// credential and prints the length of `rawdata`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
// `toString` in Kotlin is this type's redacting `Debug`.
#[cfg_attr(feature = "uniffi", uniffi::export(Debug))]
#[serde(default)]
pub struct SdkReply {
    /// `getWxpayfaceRawdata`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub rawdata: Option<String>,
    /// `getWxpayfaceCode` (FACE_AUTH).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub face_sid: Option<String>,
    /// `getWxpayfaceCode` (FACEPAY).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub face_code: Option<String>,
    /// `getWxpayfaceCode`, sometimes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub openid: Option<String>,
    /// `getWxpayfaceCode`, provider mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub sub_openid: Option<String>,
    /// `getWxpayfaceCode`: whether the pre-filled phone number was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub telephone_used: Option<bool>,
}

impl From<sdk::SdkReply> for SdkReply {
    fn from(r: sdk::SdkReply) -> Self {
        match r {
            sdk::SdkReply::Rawdata(rawdata) => Self {
                rawdata: Some(rawdata),
                ..Self::default()
            },
            sdk::SdkReply::FaceCode(f) => Self {
                rawdata: None,
                face_sid: f.face_sid,
                face_code: f.face_code,
                openid: f.openid,
                sub_openid: f.sub_openid,
                telephone_used: f.telephone_used,
            },
            sdk::SdkReply::Init | sdk::SdkReply::Auth | sdk::SdkReply::Release => Self::default(),
        }
    }
}

impl fmt::Debug for SdkReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkReply")
            .field("rawdata_len", &self.rawdata.as_ref().map(String::len))
            .field("face_sid", &redacted_opt(&self.face_sid))
            .field("face_code", &redacted_opt(&self.face_code))
            .field("openid", &redacted_opt(&self.openid))
            .field("sub_openid", &redacted_opt(&self.sub_openid))
            .field("telephone_used", &self.telephone_used)
            .finish()
    }
}

// ------------------------------------------------------- who and identity --

/// Who the face SDK recognised: the body of `POST /kiosk/verified` as is
/// (`openid` and `sub_openid` are `null` when absent). `Debug` redacts every
/// field.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
// `toString` in Kotlin is this type's redacting `Debug`.
#[cfg_attr(feature = "uniffi", uniffi::export(Debug))]
pub struct Recognised {
    /// The identity query credential.
    pub face_sid: String,
    /// `openid`, when the SDK returned one.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub openid: Option<String>,
    /// `sub_openid`, when the SDK returned one.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub sub_openid: Option<String>,
}

impl From<flow::Recognised> for Recognised {
    fn from(r: flow::Recognised) -> Self {
        Self {
            face_sid: r.face_sid,
            openid: r.openid,
            sub_openid: r.sub_openid,
        }
    }
}

impl From<Recognised> for flow::Recognised {
    fn from(r: Recognised) -> Self {
        Self {
            face_sid: r.face_sid,
            openid: r.openid,
            sub_openid: r.sub_openid,
        }
    }
}

impl fmt::Debug for Recognised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recognised")
            .field("face_sid", &Redacted(&self.face_sid))
            .field("openid", &redacted_opt(&self.openid))
            .field("sub_openid", &redacted_opt(&self.sub_openid))
            .finish()
    }
}

/// An identity as a kiosk may see it: masked values only
/// (`{"name": "张*三", "credential_type": 1, "credential_id": "110***********002X"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MaskedIdentity {
    /// Masked name (`张*三`).
    pub name: String,
    /// The credential type's code (`1` = resident ID card; see
    /// [`CredentialType::from_code`]).
    pub credential_type: i64,
    /// Masked credential number.
    pub credential_id: String,
}

impl From<realname::MaskedIdentity> for MaskedIdentity {
    fn from(m: realname::MaskedIdentity) -> Self {
        Self {
            name: m.name,
            credential_type: m.credential_type.code(),
            credential_id: m.credential_id,
        }
    }
}

impl From<MaskedIdentity> for realname::MaskedIdentity {
    fn from(m: MaskedIdentity) -> Self {
        Self {
            name: m.name,
            credential_type: CredentialType::from_code(m.credential_type),
            credential_id: m.credential_id,
        }
    }
}

/// The GB 11643-1999 check of a resident ID number; never repeats the
/// number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ResidentIdCheck {
    /// Whether the number passed.
    pub valid: bool,
    /// What is wrong ([`IdNumberProblem::as_str`]: `length`, `characters`,
    /// `birth_date`, `check_digit`), `null` when valid.
    pub problem: Option<String>,
    /// The problem described, `null` when valid.
    pub message: Option<String>,
}

impl ResidentIdCheck {
    /// Check `id` ([`realname::check_resident_id`]).
    pub fn of(id: &str) -> Self {
        realname::check_resident_id(id).into()
    }
}

impl From<std::result::Result<(), IdNumberProblem>> for ResidentIdCheck {
    fn from(r: std::result::Result<(), IdNumberProblem>) -> Self {
        match r {
            Ok(()) => Self {
                valid: true,
                problem: None,
                message: None,
            },
            Err(p) => Self {
                valid: false,
                problem: Some(p.as_str().to_owned()),
                message: Some(p.describe().to_owned()),
            },
        }
    }
}

// ------------------------------------------------------------- configuration --

/// The HTTP proxy of `initWxpayface`. `Debug` never prints `passwd`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
// `toString` in Kotlin is this type's redacting `Debug`.
#[cfg_attr(feature = "uniffi", uniffi::export(Debug))]
pub struct Proxy {
    /// `ip`.
    pub ip: String,
    /// `port`, digits only.
    pub port: String,
    /// `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub user: Option<String>,
    /// `passwd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub passwd: Option<String>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("ip", &self.ip)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("passwd", &self.passwd.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// The `initWxpayface` settings, as on the wire: `proxy_type` 0 (none),
/// 1 (HTTP tunnel) or 2 (SOCKS5); `camera_rotation` 1 (+90°), 2 (180°) or
/// 3 (−90°); both SDK 1.18+.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(default)]
pub struct InitSettings {
    /// The SDK's own HTTP proxy.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub proxy: Option<Proxy>,
    /// `proxy_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub proxy_type: Option<i64>,
    /// `camera_rotation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub camera_rotation: Option<i64>,
}

impl InitSettings {
    /// The core's request.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on `proxy_type` or `camera_rotation` for an
    /// unknown code.
    pub fn to_request(&self) -> Result<InitRequest> {
        Ok(InitRequest {
            proxy: self.proxy.as_ref().map(|p| sdk::Proxy {
                ip: p.ip.clone(),
                port: p.port.clone(),
                user: p.user.clone(),
                passwd: p.passwd.clone(),
            }),
            proxy_type: self.proxy_type.map(ProxyType::try_from).transpose()?,
            camera_rotation: self
                .camera_rotation
                .map(CameraRotation::try_from)
                .transpose()?,
        })
    }
}

impl From<&InitRequest> for InitSettings {
    fn from(r: &InitRequest) -> Self {
        Self {
            proxy: r.proxy.as_ref().map(|p| Proxy {
                ip: p.ip.clone(),
                port: p.port.clone(),
                user: p.user.clone(),
                passwd: p.passwd.clone(),
            }),
            proxy_type: r.proxy_type.map(i64::from),
            camera_rotation: r.camera_rotation.map(i64::from),
        }
    }
}

/// The kiosk's flow configuration. No secret has a field here: an unknown
/// field (an `api_key`, a camelCase typo) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(deny_unknown_fields)]
pub struct KioskConfig {
    /// `appid`.
    pub appid: String,
    /// `mch_id`.
    pub mch_id: String,
    /// `store_id`.
    pub store_id: String,
    /// Face SDK version of the terminal, `"1.24"` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub sdk_version: Option<String>,
    /// `sub_appid` (provider mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub sub_appid: Option<String>,
    /// `sub_mch_id` (provider mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub sub_mch_id: Option<String>,
    /// `screen_index` (1.18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub screen_index: Option<String>,
    /// `disable_keyboard` (1.23+).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub disable_keyboard: bool,
    /// `initWxpayface` settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub init: Option<InitSettings>,
    /// A cached authinfo is reused only while `now + margin < expires_at`
    /// (60 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub authinfo_margin_secs: Option<u64>,
}

impl KioskConfig {
    /// A configuration with the required ids and defaults for the rest.
    pub fn new(
        appid: impl Into<String>,
        mch_id: impl Into<String>,
        store_id: impl Into<String>,
    ) -> Self {
        Self {
            appid: appid.into(),
            mch_id: mch_id.into(),
            store_id: store_id.into(),
            sdk_version: None,
            sub_appid: None,
            sub_mch_id: None,
            screen_index: None,
            disable_keyboard: false,
            init: None,
            authinfo_margin_secs: None,
        }
    }

    /// The core configuration. [`flow::Flow::new`] checks it further
    /// against the SDK version.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a bad `sdk_version`, `proxy_type` or
    /// `camera_rotation`.
    pub fn to_flow_config(&self) -> Result<FlowConfig> {
        let mut cfg = FlowConfig::new(&*self.appid, &*self.mch_id, &*self.store_id);
        if let Some(v) = &self.sdk_version {
            cfg.sdk_version = v.parse::<SdkVersion>()?;
        }
        cfg.sub_appid.clone_from(&self.sub_appid);
        cfg.sub_mch_id.clone_from(&self.sub_mch_id);
        cfg.screen_index.clone_from(&self.screen_index);
        cfg.disable_keyboard = self.disable_keyboard;
        if let Some(init) = &self.init {
            cfg.init = init.to_request()?;
        }
        if let Some(m) = self.authinfo_margin_secs {
            cfg.authinfo_margin_secs = m;
        }
        Ok(cfg)
    }
}

impl From<&FlowConfig> for KioskConfig {
    fn from(c: &FlowConfig) -> Self {
        Self {
            appid: c.appid.clone(),
            mch_id: c.mch_id.clone(),
            store_id: c.store_id.clone(),
            sdk_version: Some(c.sdk_version.to_string()),
            sub_appid: c.sub_appid.clone(),
            sub_mch_id: c.sub_mch_id.clone(),
            screen_index: c.screen_index.clone(),
            disable_keyboard: c.disable_keyboard,
            init: Some(InitSettings::from(&c.init)),
            authinfo_margin_secs: Some(c.authinfo_margin_secs),
        }
    }
}

// ----------------------------------------------------------------- events --

/// A failure a driver reports in [`Event::SdkCallFailed`] or
/// [`Event::BackendFailed`]: what its SDK bridge or its merchant-server call
/// saw. Either an error record (the merchant server's error body, a caught
/// wxface error's [`ErrorInfo`]: `code` is a catalogue code) or the driver's
/// own description (`code` is the peer's code, or absent). Unknown fields
/// are ignored.
///
/// Codes (`code`, `return_code`, `err_code`, `wechat_code`) are kept only
/// when they look like codes ([`code_token`]) and messages are cut at
/// [`MAX_FAILURE_MESSAGE`] characters: a driver passes on what a peer
/// answered, and a code is no place for a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(default)]
pub struct Failure {
    /// A catalogue code (`transport`, `backend`, …), or the peer's own code
    /// (`SYSTEM_ERROR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub code: Option<String>,
    /// A message without personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub message: Option<String>,
    /// HTTP status, when there was an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub status: Option<u16>,
    /// The SDK's `return_code`, when a bridge answered with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub return_code: Option<String>,
    /// The SDK's `return_msg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub return_msg: Option<String>,
    /// The SDK's `err_code` (a string or an integer in JSON).
    #[serde(
        deserialize_with = "string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub err_code: Option<String>,
    /// WeChat Pay's code (`backend`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub wechat_code: Option<String>,
    /// WeChat Pay's message (`backend`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub wechat_message: Option<String>,
    /// How an HTTP call failed (`connect`, `timeout`, `interrupted`, `rate_limited`,
    /// `protocol`, `other`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub transport_kind: Option<String>,
    /// The refused field (`invalid_input`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub field: Option<String>,
}

fn string_or_number<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Code {
        Text(String),
        Number(serde_json::Number),
    }
    Ok(match Option::<Code>::deserialize(d)? {
        Some(Code::Text(s)) if !s.is_empty() => Some(s),
        Some(Code::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> std::result::Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn bounded(s: Option<String>) -> String {
    let mut s = s.unwrap_or_default();
    if let Some((i, _)) = s.char_indices().nth(MAX_FAILURE_MESSAGE) {
        s.truncate(i);
    }
    s
}

fn token(s: Option<String>) -> Option<String> {
    s.map(|c| code_token(&c))
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Self {
        let i = e.info();
        Self {
            code: Some(i.code),
            message: Some(i.message),
            status: i.status,
            return_code: i.return_code,
            return_msg: i.return_msg,
            err_code: i.err_code,
            wechat_code: i.wechat_code,
            wechat_message: i.wechat_message,
            transport_kind: i.transport_kind,
            field: i.field,
        }
    }
}

impl Failure {
    /// The catalogue kind of `code`, when it is a catalogue code.
    fn catalogued(&self) -> Option<ErrorKind> {
        self.code.as_deref().and_then(spec).map(|s| s.kind)
    }

    /// As an error record (a catalogue `code` only).
    fn into_info(self, kind: ErrorKind) -> ErrorInfo {
        ErrorInfo {
            code: self.code.unwrap_or_default(),
            kind: kind.as_str().to_owned(),
            message: bounded(self.message),
            retryable: false,
            field: self.field.map(|f| field_name(&f).to_owned()),
            return_code: token(self.return_code),
            return_msg: self.return_msg.map(|m| bounded(Some(m))),
            err_code: token(self.err_code),
            status: self.status,
            wechat_code: token(self.wechat_code),
            wechat_message: self.wechat_message.map(|m| bounded(Some(m))),
            transport_kind: self.transport_kind,
            ..ErrorInfo::default()
        }
    }

    /// As a failed merchant-server request, read as
    /// [`kiosk_api::decode_error_body`](crate::kiosk_api::decode_error_body)
    /// reads an error answer: an error record's error; a peer's `code` as
    /// [`Error::Backend`]; no code as [`Error::Transport`] (`transport_kind`;
    /// else, for an HTTP status, `connect` for a gateway's 502, 503 or 504
    /// and `protocol` for any other; else `other`).
    pub fn into_backend_error(self) -> Error {
        if let Some(kind) = self.catalogued() {
            return Error::from_info(&self.into_info(kind));
        }
        match self.code {
            Some(code) => Error::Backend {
                status: self.status,
                code: code_token(&code),
                message: bounded(self.message),
                detail: None,
                request_id: None,
            },
            None => {
                let kind = match (self.transport_kind.as_deref(), self.status) {
                    (Some(k), _) => k.parse().unwrap_or(TransportKind::Other),
                    (None, Some(502..=504)) => TransportKind::Connect,
                    (None, Some(_)) => TransportKind::Protocol,
                    (None, None) => TransportKind::Other,
                };
                let message = bounded(self.message);
                let detail = match self.status {
                    Some(s) if message.is_empty() => format!("HTTP {s}"),
                    Some(s) => format!("HTTP {s}: {message}"),
                    None => message,
                };
                Error::transport(kind, detail)
            }
        }
    }

    /// As a failed face SDK call: an error record of another kind than
    /// `sdk` as its error; otherwise [`Error::Sdk`] with `return_code` (or
    /// the peer's `code`, else `CALL_FAILED`), `return_msg` (or `message`)
    /// and `err_code`. Its `cmd` is empty: the flow names the command of the
    /// call it waits for.
    pub fn into_sdk_error(self) -> Error {
        let kind = self.catalogued();
        if let Some(kind) = kind.filter(|k| *k != ErrorKind::Sdk) {
            return Error::from_info(&self.into_info(kind));
        }
        let peer_code = if kind.is_some() { None } else { self.code };
        Error::Sdk {
            cmd: String::new(),
            return_code: self
                .return_code
                .or(peer_code)
                .map_or_else(|| "CALL_FAILED".to_owned(), |c| code_token(&c)),
            return_msg: bounded(self.return_msg.or(self.message)),
            err_code: token(self.err_code),
        }
    }
}

/// What a driver tells the flow, tagged by `type`: `{"type": "begin"}`,
/// `{"type": "sdk_answer", "id": 3, "json": "…"}`, … Extra fields are
/// ignored, so a merchant answer can be spread into it. `Debug` prints the
/// lengths of SDK JSON and authinfo.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
// `toString` in Kotlin is this type's redacting `Debug`.
#[cfg_attr(feature = "uniffi", uniffi::export(Debug))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
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
        /// What failed (absent or `null`: nothing known).
        #[serde(default, deserialize_with = "null_as_default")]
        error: Failure,
    },
    /// The merchant server answered `POST /kiosk/authinfo`.
    Authinfo {
        /// Request id of the `fetch_authinfo` action.
        id: u64,
        /// The authinfo.
        authinfo: String,
        /// Absolute expiry (unix seconds).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "uniffi", uniffi(default = None))]
        expires_at: Option<u64>,
        /// Lifetime in seconds, used when `expires_at` is absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "uniffi", uniffi(default = None))]
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
        /// What failed (absent or `null`: nothing known).
        #[serde(default, deserialize_with = "null_as_default")]
        error: Failure,
    },
    /// A call the SDK bridge gave up on has returned since (see
    /// [`flow::Event::LateSdkAnswer`]).
    LateSdkAnswer {
        /// The request JSON of the call.
        request: String,
        /// The answer JSON it got.
        json: String,
    },
}

impl Event {
    /// The core event; `now` dates an `authinfo` given by `expires_in`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] on `expires_at` for an `authinfo` without
    /// `expires_at` or `expires_in`.
    pub fn into_flow_event(self, now: UnixTime) -> Result<flow::Event> {
        Ok(match self {
            Self::Start => flow::Event::Start,
            Self::Begin => flow::Event::Begin,
            Self::Cancel => flow::Event::Cancel,
            Self::Shutdown => flow::Event::Shutdown,
            Self::SdkAnswer { id, json } => flow::Event::SdkAnswer {
                id: RequestId(id),
                json,
            },
            Self::SdkCallFailed { id, error } => flow::Event::SdkCallFailed {
                id: RequestId(id),
                error: error.into_sdk_error(),
            },
            Self::Authinfo {
                id,
                authinfo,
                expires_at,
                expires_in,
            } => flow::Event::Authinfo {
                id: RequestId(id),
                authinfo,
                expires_at: match (expires_at, expires_in) {
                    (Some(at), _) => UnixTime(at),
                    (None, Some(secs)) => now.plus(secs),
                    (None, None) => {
                        return Err(Error::invalid("expires_at", "or `expires_in` is required"));
                    }
                },
            },
            Self::VerifiedChecked {
                id,
                already_verified,
            } => flow::Event::VerifiedChecked {
                id: RequestId(id),
                already_verified,
            },
            Self::RealName { id, identity } => flow::Event::RealName {
                id: RequestId(id),
                identity: identity.into(),
            },
            Self::BackendFailed { id, error } => flow::Event::BackendFailed {
                id: RequestId(id),
                error: error.into_backend_error(),
            },
            Self::LateSdkAnswer { request, json } => flow::Event::LateSdkAnswer { request, json },
        })
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start => f.write_str("Start"),
            Self::Begin => f.write_str("Begin"),
            Self::Cancel => f.write_str("Cancel"),
            Self::Shutdown => f.write_str("Shutdown"),
            Self::SdkAnswer { id, json } => f
                .debug_struct("SdkAnswer")
                .field("id", id)
                .field("json_len", &json.len())
                .finish(),
            Self::SdkCallFailed { id, error } => f
                .debug_struct("SdkCallFailed")
                .field("id", id)
                .field("error", error)
                .finish(),
            Self::Authinfo {
                id,
                authinfo,
                expires_at,
                expires_in,
            } => f
                .debug_struct("Authinfo")
                .field("id", id)
                .field("authinfo_len", &authinfo.len())
                .field("expires_at", expires_at)
                .field("expires_in", expires_in)
                .finish(),
            Self::VerifiedChecked {
                id,
                already_verified,
            } => f
                .debug_struct("VerifiedChecked")
                .field("id", id)
                .field("already_verified", already_verified)
                .finish(),
            Self::RealName { id, identity } => f
                .debug_struct("RealName")
                .field("id", id)
                .field("identity", identity)
                .finish(),
            Self::BackendFailed { id, error } => f
                .debug_struct("BackendFailed")
                .field("id", id)
                .field("error", error)
                .finish(),
            Self::LateSdkAnswer { request, json } => f
                .debug_struct("LateSdkAnswer")
                .field("request_len", &request.len())
                .field("json_len", &json.len())
                .finish(),
        }
    }
}

// ------------------------------------------------------ actions, outcomes --

/// How a patient's flow ended, tagged by `outcome`
/// ([`OutcomeKind::as_str`]).
// `Failed` carries its error record inline: UniFFI lowers records by value,
// a `Box` it cannot.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Consent given, identity fetched and verified by the merchant server.
    Verified {
        /// Who.
        who: Recognised,
        /// The masked identity.
        identity: MaskedIdentity,
    },
    /// The merchant already had this user verified.
    AlreadyVerified {
        /// Who.
        who: Recognised,
    },
    /// The patient declined to share real-name data.
    ConsentRefused {
        /// Who.
        who: Recognised,
    },
    /// The patient or the kiosk cancelled.
    Cancelled,
    /// Something failed.
    Failed {
        /// The step that failed ([`Step::as_str`]).
        step: String,
        /// What failed (no personal data).
        error: ErrorInfo,
    },
}

impl Outcome {
    /// Stable snake_case name ([`OutcomeKind::as_str`]).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Verified { .. } => OutcomeKind::Verified,
            Self::AlreadyVerified { .. } => OutcomeKind::AlreadyVerified,
            Self::ConsentRefused { .. } => OutcomeKind::ConsentRefused,
            Self::Cancelled => OutcomeKind::Cancelled,
            Self::Failed { .. } => OutcomeKind::Failed,
        }
        .as_str()
    }
}

impl From<flow::Outcome> for Outcome {
    fn from(o: flow::Outcome) -> Self {
        match o {
            flow::Outcome::Verified { who, identity } => Self::Verified {
                who: who.into(),
                identity: identity.into(),
            },
            flow::Outcome::AlreadyVerified { who } => Self::AlreadyVerified { who: who.into() },
            flow::Outcome::ConsentRefused { who } => Self::ConsentRefused { who: who.into() },
            flow::Outcome::Cancelled => Self::Cancelled,
            flow::Outcome::Failed { step, error } => Self::Failed {
                step: step.as_str().to_owned(),
                error: error.info(),
            },
        }
    }
}

/// What the flow asks its driver to do, tagged by `type`. Answer each
/// request with the event it names, carrying the same `id`. `Debug` prints
/// the lengths of SDK JSON and `rawdata` and redacts `face_sid`.
// `StepFinished` and `Done` carry an error record inline: UniFFI lowers
// records by value, a `Box` it cannot.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
// `toString` in Kotlin is this type's redacting `Debug`.
#[cfg_attr(feature = "uniffi", uniffi::export(Debug))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// A step starts (progress display): `{"type": "step_started", "step": "recognising"}`.
    StepStarted {
        /// [`Step::as_str`].
        step: String,
    },
    /// The step started last ended.
    StepFinished {
        /// [`Step::as_str`].
        step: String,
        /// [`StepStatus::as_str`]: `ok`, `error` or `cancelled`.
        status: String,
        /// What ended it, when something failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "uniffi", uniffi(default = None))]
        error: Option<ErrorInfo>,
    },
    /// Send `json` to the face SDK; answer with `sdk_answer` or `sdk_call_failed`.
    CallSdk {
        /// Request id.
        id: u64,
        /// The command ([`sdk::Cmd::as_str`]).
        cmd: String,
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
        who: Recognised,
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
    /// A patient's flow is over; the outcome's fields sit beside `type`.
    Done {
        /// How it ended.
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// The SDK was released; `error` says why `releaseWxpayface` failed.
    Released {
        /// The failure of the release call, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "uniffi", uniffi(default = None))]
        error: Option<ErrorInfo>,
    },
}

fn step_name(s: Step) -> String {
    s.as_str().to_owned()
}

fn status_name(s: StepStatus) -> String {
    s.as_str().to_owned()
}

impl From<flow::Action> for Action {
    fn from(a: flow::Action) -> Self {
        match a {
            flow::Action::StepStarted(s) => Self::StepStarted { step: step_name(s) },
            flow::Action::StepFinished {
                step,
                status,
                error,
            } => Self::StepFinished {
                step: step_name(step),
                status: status_name(status),
                error: error.as_ref().map(Error::info),
            },
            flow::Action::CallSdk { id, cmd, json } => Self::CallSdk {
                id: id.0,
                cmd: cmd.as_str().to_owned(),
                json,
            },
            flow::Action::FetchAuthinfo {
                id,
                rawdata,
                refresh,
            } => Self::FetchAuthinfo {
                id: id.0,
                rawdata,
                refresh,
            },
            flow::Action::CheckVerified { id, who } => Self::CheckVerified {
                id: id.0,
                who: who.into(),
            },
            flow::Action::FetchRealName { id, face_sid } => {
                Self::FetchRealName { id: id.0, face_sid }
            }
            flow::Action::Ready => Self::Ready,
            flow::Action::Done(o) => Self::Done { outcome: o.into() },
            flow::Action::Released { error } => Self::Released {
                error: error.as_ref().map(Error::info),
            },
        }
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StepStarted { step } => {
                f.debug_struct("StepStarted").field("step", step).finish()
            }
            Self::StepFinished {
                step,
                status,
                error,
            } => f
                .debug_struct("StepFinished")
                .field("step", step)
                .field("status", status)
                .field("error", error)
                .finish(),
            Self::CallSdk { id, cmd, json } => f
                .debug_struct("CallSdk")
                .field("id", id)
                .field("cmd", cmd)
                .field("json_len", &json.len())
                .finish(),
            Self::FetchAuthinfo {
                id,
                rawdata,
                refresh,
            } => f
                .debug_struct("FetchAuthinfo")
                .field("id", id)
                .field("rawdata_len", &rawdata.len())
                .field("refresh", refresh)
                .finish(),
            Self::CheckVerified { id, who } => f
                .debug_struct("CheckVerified")
                .field("id", id)
                .field("who", who)
                .finish(),
            Self::FetchRealName { id, face_sid } => f
                .debug_struct("FetchRealName")
                .field("id", id)
                .field("face_sid", &Redacted(face_sid))
                .finish(),
            Self::Ready => f.write_str("Ready"),
            Self::Done { outcome } => f.debug_tuple("Done").field(outcome).finish(),
            Self::Released { error } => f.debug_struct("Released").field("error", error).finish(),
        }
    }
}

// --------------------------------------------------------------- progress --

/// A driver's progress report of one verification, tagged by `type` (for
/// the progress callbacks of the kiosk drivers). No personal data.
// `StepFinished` carries its error record inline, as `Action` does.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Progress {
    /// A step started.
    StepStarted {
        /// [`Step::as_str`].
        step: String,
    },
    /// A step ended.
    StepFinished {
        /// [`Step::as_str`].
        step: String,
        /// [`StepStatus::as_str`]: `ok`, `error` or `cancelled`.
        status: String,
        /// How long it took, milliseconds.
        elapsed_ms: f64,
        /// What ended it, when something failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "uniffi", uniffi(default = None))]
        error: Option<ErrorInfo>,
    },
    /// A cancel request reached the flow.
    CancelRequested,
    /// The verification is over.
    Finished {
        /// [`OutcomeKind::as_str`].
        outcome: String,
        /// How long the whole verification took, milliseconds.
        elapsed_ms: f64,
    },
}

impl Progress {
    /// [`Progress::StepStarted`].
    pub fn step_started(step: Step) -> Self {
        Self::StepStarted {
            step: step_name(step),
        }
    }

    /// [`Progress::StepFinished`].
    pub fn step_finished(
        step: Step,
        status: StepStatus,
        elapsed: Duration,
        error: Option<&Error>,
    ) -> Self {
        Self::StepFinished {
            step: step_name(step),
            status: status_name(status),
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
            error: error.map(Error::info),
        }
    }

    /// [`Progress::Finished`].
    pub fn finished(outcome: OutcomeKind, elapsed: Duration) -> Self {
        Self::Finished {
            outcome: outcome.as_str().to_owned(),
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
        }
    }
}

// ---------------------------------------------------------------- helpers --

/// A time in unix seconds as a float (JavaScript's `Date.now() / 1000`):
/// finite, the protocol's 10 digits. Fractions are dropped; milliseconds are
/// refused.
///
/// # Errors
/// [`Error::InvalidInput`] on field `now`.
pub fn unix_time(secs: f64) -> Result<UnixTime> {
    let whole = secs.floor();
    if !whole.is_finite() || !(1e9..1e10).contains(&whole) {
        return Err(Error::invalid(
            "now",
            "must be unix time in seconds (10 digits), not milliseconds",
        ));
    }
    // In range and integral: the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(UnixTime(whole as u64))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::path::PathBuf;

    use serde_json::{json, Value};

    use super::*;
    use crate::flow::Flow;
    use crate::sdk::{classify_sdk_error, Cmd, SdkRequest};

    const NOW: UnixTime = UnixTime(1_700_000_000);

    fn vectors(rel: &str) -> Vec<Value> {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/vectors")
            .join(rel);
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["testGroups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["tests"].as_array().unwrap().clone())
            .collect()
    }

    #[test]
    fn request_vectors_through_the_binding_helpers() {
        let tests = vectors("sdk/requests.json");
        assert!(tests.len() >= 30);
        for t in tests {
            let i = &t["inputs"];
            let got = SdkRequest::from_object(i["request"].clone()).and_then(|r| {
                let v = i["sdk_version"]
                    .as_str()
                    .map_or(Ok(SdkVersion::default()), str::parse)?;
                r.to_json(v, unix_time(i["now"].as_f64().unwrap())?)
            });
            match t["result"].as_str().unwrap() {
                "valid" => assert_eq!(got.unwrap(), t["expected"].as_str().unwrap(), "{t}"),
                _ => {
                    let info = got.unwrap_err().info();
                    assert_eq!(info.code, t["code"].as_str().unwrap(), "{t}");
                    assert_eq!(info.kind, info.code, "kinds and codes agree here");
                }
            }
        }
    }

    #[test]
    fn response_vectors_give_the_expected_records() {
        for t in vectors("sdk/responses.json") {
            let i = &t["inputs"];
            let got =
                i["cmd"].as_str().unwrap().parse::<Cmd>().and_then(|c| {
                    sdk::SdkReply::parse(c, i["response"].as_str().unwrap().as_bytes())
                });
            match t["result"].as_str().unwrap() {
                "valid" => {
                    let reply = SdkReply::from(got.unwrap());
                    let obj = serde_json::to_value(&reply).unwrap();
                    assert_eq!(obj, t["expected"], "tc {}", t["tcId"]);
                    let back: SdkReply = serde_json::from_value(obj).unwrap();
                    assert_eq!(back, reply);
                }
                _ => {
                    let e = got.unwrap_err();
                    assert_eq!(
                        e.info().code,
                        t["code"].as_str().unwrap(),
                        "tc {}",
                        t["tcId"]
                    );
                    let class = classify_sdk_error(&e).map(|c| c.as_str());
                    assert_eq!(class, t["class"].as_str(), "tc {}", t["tcId"]);
                    // What a binding hands back (the record of a thrown
                    // error) classifies the same.
                    let again = Failure::from(&e).into_sdk_error();
                    assert_eq!(classify_sdk_error(&again).map(|c| c.as_str()), class);
                }
            }
        }
    }

    #[test]
    fn sdk_error_details() {
        let e = sdk::SdkReply::parse(
            Cmd::GetAuth,
            r#"{"return_code":"ERROR","return_msg":"拒绝","err_code":"ACTION_ON_USER_QUERY_CANCEL"}"#
                .as_bytes(),
        )
        .unwrap_err();
        let v = serde_json::to_value(e.info()).unwrap();
        assert_eq!(v["kind"], "sdk");
        assert_eq!(v["code"], "sdk");
        assert_eq!(v["cmd"], "getWxpayAuth");
        assert_eq!(v["return_code"], "ERROR");
        assert_eq!(v["err_code"], "ACTION_ON_USER_QUERY_CANCEL");
        assert_eq!(v["retryable"], false);
        assert!(v.get("status").is_none());
        assert_eq!(
            classify_sdk_error(&e).map(|c| c.as_str()),
            Some("consent_refused")
        );
    }

    #[test]
    fn refused_values_are_not_echoed() {
        let e = SdkRequest::from_object(json!({
            "cmd": "getWxpayfaceCode", "appid": "wx1", "mch_id": "1", "store_id": "S",
            "authinfo": "A", "telephone": 13800000000u64
        }))
        .unwrap_err();
        assert_eq!(e.code(), "invalid_input");
        assert!(!e.to_string().contains("13800000000"), "{e}");
        let e = crate::redact::from_value::<KioskConfig>(
            "config",
            json!({"appid": "wx1", "mch_id": "1", "store_id": "S", "张三丰": "11010519491231002X"}),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            !text.contains("张三丰") && !text.contains("11010519491231002X"),
            "{text}"
        );
    }

    #[test]
    fn times_are_seconds() {
        assert_eq!(unix_time(1_700_000_000.9).unwrap(), NOW);
        for bad in [1_700_000_000_000.0, 12.0, f64::NAN, f64::INFINITY, -1.0] {
            let e = unix_time(bad).unwrap_err();
            assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "now"));
        }
    }

    #[test]
    fn config_refuses_unknown_fields_and_bad_values() {
        let ok: KioskConfig =
            serde_json::from_value(json!({"appid": "wx1", "mch_id": "1", "store_id": "S"}))
                .unwrap();
        assert_eq!(ok, KioskConfig::new("wx1", "1", "S"));
        let cfg = ok.to_flow_config().unwrap();
        assert_eq!(cfg, FlowConfig::new("wx1", "1", "S"));
        let err = serde_json::from_value::<KioskConfig>(
            json!({"appid": "wx1", "mch_id": "1", "store_id": "S", "api_key": "k"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("api_key"));
        let c: KioskConfig = serde_json::from_value(
            json!({"appid": "wx1", "mch_id": "1", "store_id": "S", "sdk_version": "1.1x"}),
        )
        .unwrap();
        assert_eq!(c.to_flow_config().unwrap_err().code(), "invalid_input");
        // A field the configured SDK does not know is refused up front.
        let c: KioskConfig = serde_json::from_value(json!({
            "appid": "wx1", "mch_id": "1", "store_id": "S", "sdk_version": "1.17", "screen_index": "1"
        }))
        .unwrap();
        let e = Flow::new(c.to_flow_config().unwrap()).unwrap_err();
        assert_eq!(e.code(), "sdk_version");
        // `init` as on the wire; codes checked.
        let c: KioskConfig = serde_json::from_value(json!({
            "appid": "wx1", "mch_id": "1", "store_id": "S", "authinfo_margin_secs": 30,
            "init": {"proxy": {"ip": "10.0.0.1", "port": "8080", "passwd": "pw-secret"},
                     "proxy_type": 1, "camera_rotation": 3}
        }))
        .unwrap();
        let cfg = c.to_flow_config().unwrap();
        assert_eq!(cfg.authinfo_margin_secs, 30);
        assert_eq!(cfg.init.proxy_type, Some(ProxyType::HttpTunnel));
        assert_eq!(cfg.init.camera_rotation, Some(CameraRotation::Minus90));
        assert_eq!(
            cfg.init.proxy.as_ref().unwrap().passwd.as_deref(),
            Some("pw-secret")
        );
        assert!(!format!("{c:?}").contains("pw-secret"));
        let back = KioskConfig::from(&cfg);
        assert_eq!(back.to_flow_config().unwrap(), cfg);
        for (field, init) in [
            ("proxy_type", json!({"proxy_type": 7})),
            ("camera_rotation", json!({"camera_rotation": 0})),
        ] {
            let c: KioskConfig = serde_json::from_value(
                json!({"appid": "wx1", "mch_id": "1", "store_id": "S", "init": init}),
            )
            .unwrap();
            let e = c.to_flow_config().unwrap_err();
            assert!(
                matches!(&e, Error::InvalidInput { field: f, .. } if f == field),
                "{e}"
            );
        }
    }

    #[test]
    fn resident_id_checks_never_repeat_the_number() {
        assert_eq!(
            serde_json::to_value(ResidentIdCheck::of("11010519491231002X")).unwrap(),
            json!({"valid": true, "problem": null, "message": null})
        );
        let c = ResidentIdCheck::of("110105194912310021");
        assert!(!c.valid);
        assert_eq!(c.problem.as_deref(), Some("check_digit"));
        assert!(!c.message.unwrap().contains("110105"));
    }

    fn failure(v: Value) -> Failure {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn failures_a_driver_reports() {
        // The merchant server's error body (an error record).
        let e = failure(json!({"code": "backend", "kind": "backend", "message": "WeChat Pay answered HTTP 503 SYSTEM_ERROR: busy",
            "retryable": true, "status": 503, "wechat_code": "SYSTEM_ERROR", "wechat_message": "busy"}))
        .into_backend_error();
        assert_eq!(e.wechat_code(), Some("SYSTEM_ERROR"));
        assert!(e.is_retryable());
        let e = failure(json!({"code": "transport", "transport_kind": "timeout", "message": "transport (timeout): no answer"}))
            .into_backend_error();
        assert_eq!(e, Error::transport(TransportKind::Timeout, "no answer"));
        // The driver's own description.
        let e = failure(json!({"status": 502, "code": "SYSTEM_ERROR", "message": "系统繁忙"}))
            .into_backend_error();
        assert_eq!(e.info().wechat_code.as_deref(), Some("SYSTEM_ERROR"));
        assert_eq!(e.info().status, Some(502));
        assert!(e.is_retryable());
        let e = failure(json!({"message": "Failed to fetch"})).into_backend_error();
        assert_eq!(e, Error::transport(TransportKind::Other, "Failed to fetch"));
        let e = failure(json!({"status": 404})).into_backend_error();
        assert_eq!(e, Error::transport(TransportKind::Protocol, "HTTP 404"));
        let e = failure(json!({"status": 503})).into_backend_error();
        assert_eq!(e, Error::transport(TransportKind::Connect, "HTTP 503"));
        assert!(
            e.is_retryable(),
            "a gateway that could not reach the server"
        );
        let e = failure(json!({"transport_kind": "connect", "message": "ECONNREFUSED"}))
            .into_backend_error();
        assert!(e.is_retryable());
        // A failed SDK call.
        let e = failure(json!({"message": "bridge down"})).into_sdk_error();
        assert_eq!(e.info().return_code.as_deref(), Some("CALL_FAILED"));
        assert_eq!(e.info().return_msg.as_deref(), Some("bridge down"));
        let e = failure(json!({"return_code": "ERROR", "err_code": 271_378_621})).into_sdk_error();
        assert_eq!(e.info().err_code.as_deref(), Some("271378621"));
        assert_eq!(
            classify_sdk_error(&e).map(|c| c.as_str()),
            Some("initialising")
        );
        let e = failure(json!({"code": "sdk", "kind": "sdk", "cmd": "getWxpayfaceCode", "return_code": "USER_CANCEL",
            "return_msg": "用户取消"}))
        .into_sdk_error();
        assert_eq!(
            classify_sdk_error(&e).map(|c| c.as_str()),
            Some("user_cancel")
        );
        let e = failure(json!({"code": "transport", "transport_kind": "timeout", "message": "x"}))
            .into_sdk_error();
        assert_eq!(e.code(), "transport");
        // Codes that are not code-shaped, and long messages, are not kept.
        let long = "长".repeat(1000);
        let e =
            failure(json!({"code": "张三丰 11010519491231002X", "message": long, "status": 400}))
                .into_backend_error();
        let info = e.info();
        assert_eq!(
            info.wechat_code.as_deref(),
            Some(crate::redact::UNRECOGNISED_CODE)
        );
        assert_eq!(
            info.wechat_message.unwrap().chars().count(),
            MAX_FAILURE_MESSAGE
        );
        let e = failure(json!({"return_code": "张三丰", "err_code": "11010519491231002X"}))
            .into_sdk_error();
        assert!(!format!("{e} {:?}", e.info()).contains("张三丰"));
        assert!(!format!("{e} {:?}", e.info()).contains("11010519491231002X"));
        assert!(serde_json::from_value::<Failure>(json!({"err_code": true})).is_err());
    }

    #[test]
    fn json_shapes() {
        let who = Recognised {
            face_sid: "sid-1".into(),
            openid: Some("o-1".into()),
            sub_openid: None,
        };
        let identity = MaskedIdentity {
            name: "张*三".into(),
            credential_type: 1,
            credential_id: "110***********002X".into(),
        };
        let cases = [
            (
                Action::StepStarted {
                    step: "recognising".into(),
                },
                json!({"type": "step_started", "step": "recognising"}),
            ),
            (
                Action::StepFinished {
                    step: "recognising".into(),
                    status: "ok".into(),
                    error: None,
                },
                json!({"type": "step_finished", "step": "recognising", "status": "ok"}),
            ),
            (
                Action::CheckVerified {
                    id: 4,
                    who: who.clone(),
                },
                json!({"type": "check_verified", "id": 4,
                       "who": {"face_sid": "sid-1", "openid": "o-1", "sub_openid": null}}),
            ),
            (
                Action::Done {
                    outcome: Outcome::Verified {
                        who: who.clone(),
                        identity: identity.clone(),
                    },
                },
                json!({"type": "done", "outcome": "verified",
                       "who": {"face_sid": "sid-1", "openid": "o-1", "sub_openid": null},
                       "identity": {"name": "张*三", "credential_type": 1, "credential_id": "110***********002X"}}),
            ),
            (
                Action::Done {
                    outcome: Outcome::Cancelled,
                },
                json!({"type": "done", "outcome": "cancelled"}),
            ),
            (
                Action::Done {
                    outcome: Outcome::Failed {
                        step: "fetching_authinfo".into(),
                        error: Error::transport(TransportKind::Timeout, "no answer").info(),
                    },
                },
                json!({"type": "done", "outcome": "failed", "step": "fetching_authinfo",
                       "error": {"code": "transport", "kind": "transport", "message": "transport (timeout): no answer",
                                 "retryable": true, "transport_kind": "timeout"}}),
            ),
            (Action::Ready, json!({"type": "ready"})),
            (
                Action::Released { error: None },
                json!({"type": "released"}),
            ),
        ];
        for (a, want) in cases {
            assert_eq!(serde_json::to_value(&a).unwrap(), want);
            let back: Action = serde_json::from_value(want).unwrap();
            assert_eq!(back, a);
        }
        let p = Progress::step_finished(
            Step::Recognising,
            StepStatus::Error,
            Duration::from_millis(1500),
            Some(&Error::Expired { what: "authinfo" }),
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "step_finished");
        assert_eq!(v["status"], "error");
        assert_eq!(v["elapsed_ms"], 1500.0);
        assert_eq!(v["error"]["code"], "expired");
        assert_eq!(serde_json::from_value::<Progress>(v).unwrap(), p);
        assert_eq!(
            serde_json::to_value(Progress::finished(OutcomeKind::Cancelled, Duration::ZERO))
                .unwrap(),
            json!({"type": "finished", "outcome": "cancelled", "elapsed_ms": 0.0})
        );
        assert_eq!(
            serde_json::to_value(Progress::step_started(Step::Initialising)).unwrap(),
            json!({"type": "step_started", "step": "initialising"})
        );
        let ev = Event::SdkCallFailed {
            id: 2,
            error: Failure::default(),
        };
        let v = serde_json::to_value(&ev).unwrap();
        assert_eq!(v, json!({"type": "sdk_call_failed", "id": 2, "error": {}}));
        assert_eq!(
            serde_json::from_value::<Event>(json!({"type": "sdk_call_failed", "id": 2})).unwrap(),
            ev
        );
        assert_eq!(
            serde_json::from_value::<Event>(
                json!({"type": "sdk_call_failed", "id": 2, "error": null})
            )
            .unwrap(),
            ev
        );
        assert_eq!(Outcome::Cancelled.as_str(), "cancelled");
    }

    #[test]
    fn debug_prints_no_credential() {
        let who = Recognised {
            face_sid: "sid-secret".into(),
            openid: Some("o-secret".into()),
            sub_openid: Some("so-secret".into()),
        };
        let reply = SdkReply {
            face_sid: Some("sid-secret".into()),
            openid: Some("o-secret".into()),
            face_code: Some("fc-secret".into()),
            rawdata: Some("raw-secret".into()),
            ..SdkReply::default()
        };
        let printed = [
            format!("{who:?}"),
            format!("{reply:?}"),
            format!(
                "{:?}",
                Action::CheckVerified {
                    id: 1,
                    who: who.clone()
                }
            ),
            format!(
                "{:?}",
                Action::FetchRealName {
                    id: 1,
                    face_sid: "sid-secret".into()
                }
            ),
            format!(
                "{:?}",
                Action::FetchAuthinfo {
                    id: 1,
                    rawdata: "raw-secret".into(),
                    refresh: false
                }
            ),
            format!(
                "{:?}",
                Action::CallSdk {
                    id: 1,
                    cmd: "getWxpayAuth".into(),
                    json: "sid-secret".into()
                }
            ),
            format!(
                "{:?}",
                Action::Done {
                    outcome: Outcome::ConsentRefused { who: who.clone() }
                }
            ),
            format!(
                "{:?}",
                Event::Authinfo {
                    id: 1,
                    authinfo: "ai-secret".into(),
                    expires_at: None,
                    expires_in: Some(1)
                }
            ),
            format!(
                "{:?}",
                Event::SdkAnswer {
                    id: 1,
                    json: "sid-secret".into()
                }
            ),
            format!(
                "{:?}",
                Event::LateSdkAnswer {
                    request: "sid-secret".into(),
                    json: "o-secret".into()
                }
            ),
        ];
        for p in printed {
            assert!(!p.contains("secret"), "{p}");
        }
    }

    /// A flow driven through the model's records, one scripted answer per
    /// request action; logs the requests and steps it saw.
    struct Kiosk {
        flow: Flow,
        log: Vec<String>,
        steps: Vec<String>,
    }

    impl Kiosk {
        fn new(cfg: Value) -> Self {
            let cfg: KioskConfig = serde_json::from_value(cfg).unwrap();
            let mut k = Self {
                flow: Flow::new(cfg.to_flow_config().unwrap()).unwrap(),
                log: vec![],
                steps: vec![],
            };
            let first = k.feed(json!({"type": "start"}));
            assert_eq!(
                first[0],
                json!({"type": "step_started", "step": "initialising"})
            );
            assert_eq!(first[1]["cmd"], "initWxpayface");
            let ready = k.feed(json!({"type": "sdk_answer", "id": first[1]["id"], "json": OK}));
            assert_eq!(
                ready,
                vec![
                    json!({"type": "step_finished", "step": "initialising", "status": "ok"}),
                    json!({"type": "ready"})
                ]
            );
            k.log.clear();
            k.steps.clear();
            k
        }

        fn try_feed(&mut self, ev: Value) -> Result<Vec<Value>> {
            let ev: Event = serde_json::from_value(ev).unwrap();
            self.flow.handle(NOW, ev.into_flow_event(NOW)?)?;
            Ok(std::iter::from_fn(|| self.flow.poll_action())
                .map(|a| serde_json::to_value(Action::from(a)).unwrap())
                .collect())
        }

        fn feed(&mut self, ev: Value) -> Vec<Value> {
            self.try_feed(ev).unwrap()
        }

        /// Drives one patient with `answer` deciding each reply.
        fn patient(&mut self, mut answer: impl FnMut(&Value) -> Value) -> Value {
            let mut queue = self.feed(json!({"type": "begin"}));
            loop {
                let a = queue.remove(0);
                let t = a["type"].as_str().unwrap().to_owned();
                match t.as_str() {
                    "step_started" => {
                        self.steps.push(a["step"].as_str().unwrap().to_owned());
                        continue;
                    }
                    "step_finished" => {
                        let s = format!(
                            "{}:{}",
                            a["step"].as_str().unwrap(),
                            a["status"].as_str().unwrap()
                        );
                        self.steps.push(s);
                        continue;
                    }
                    "done" => {
                        assert!(queue.is_empty());
                        return a;
                    }
                    "call_sdk" => {
                        let req: Value = serde_json::from_str(a["json"].as_str().unwrap()).unwrap();
                        let label = match req["quit_face_auth"].as_str() {
                            Some("1") => "quit".to_owned(),
                            _ => a["cmd"].as_str().unwrap().to_owned(),
                        };
                        self.log.push(label);
                    }
                    other => self.log.push(other.to_owned()),
                }
                let reply = answer(&a);
                queue.extend(self.feed(reply));
            }
        }
    }

    const OK: &str = r#"{"return_code":"SUCCESS","return_msg":"SUCCESS"}"#;

    fn config() -> Value {
        json!({"appid": "wx1", "mch_id": "1900000109", "store_id": "S1"})
    }

    fn identity() -> Value {
        json!({"name": "张*三", "credential_type": 1, "credential_id": "110***********002X"})
    }

    /// The merchant and SDK of a normal day; `tweak` may override one answer.
    fn answers(
        already: bool,
        mut tweak: impl FnMut(&str, &Value) -> Option<Value>,
    ) -> impl FnMut(&Value) -> Value {
        move |a| {
            let id = a["id"].clone();
            let kind = match a["cmd"].as_str() {
                Some(c) => c.to_owned(),
                None => a["type"].as_str().unwrap().to_owned(),
            };
            if let Some(v) = tweak(&kind, a) {
                return v;
            }
            match kind.as_str() {
                "getWxpayfaceRawdata" => {
                    json!({"type": "sdk_answer", "id": id, "json": r#"{"return_code":"SUCCESS","rawdata":"RAW"}"#})
                }
                "getWxpayfaceCode" => json!({"type": "sdk_answer", "id": id,
                    "json": r#"{"return_code":"SUCCESS","face_sid":"sid-1","openid":"o-1"}"#}),
                "getWxpayAuth" => json!({"type": "sdk_answer", "id": id, "json": OK}),
                "fetch_authinfo" => {
                    json!({"type": "authinfo", "id": id, "authinfo": "AI", "expires_in": 7200})
                }
                "check_verified" => {
                    json!({"type": "verified_checked", "id": id, "already_verified": already})
                }
                "fetch_real_name" => {
                    json!({"type": "real_name", "id": id, "identity": identity(), "patient_id": "P1"})
                }
                other => panic!("unexpected {other}"),
            }
        }
    }

    #[test]
    fn walk_verified() {
        let mut k = Kiosk::new(config());
        let done = k.patient(answers(false, |_, _| None));
        assert_eq!(done["outcome"], "verified");
        assert_eq!(done["identity"], identity());
        assert_eq!(
            done["who"],
            json!({"face_sid": "sid-1", "openid": "o-1", "sub_openid": null})
        );
        assert_eq!(
            k.log,
            [
                "getWxpayfaceRawdata",
                "fetch_authinfo",
                "getWxpayfaceCode",
                "check_verified",
                "getWxpayAuth",
                "fetch_real_name"
            ]
        );
        assert_eq!(
            k.steps,
            [
                "reading_rawdata",
                "reading_rawdata:ok",
                "fetching_authinfo",
                "fetching_authinfo:ok",
                "recognising",
                "recognising:ok",
                "checking_verified",
                "checking_verified:ok",
                "asking_consent",
                "asking_consent:ok",
                "fetching_real_name",
                "fetching_real_name:ok"
            ]
        );
        assert_eq!(k.flow.authinfo_expires_at(), Some(NOW.plus(7200)));
        // The second patient reuses the cached authinfo.
        k.log.clear();
        let done = k.patient(answers(false, |_, _| None));
        assert_eq!(done["outcome"], "verified");
        assert_eq!(k.log[0], "getWxpayfaceCode");
    }

    #[test]
    fn walk_already_verified_quits_the_sdk() {
        let mut k = Kiosk::new(config());
        let done = k.patient(answers(true, |_, _| None));
        assert_eq!(done["outcome"], "already_verified");
        assert!(done.get("identity").is_none());
        assert_eq!(k.log.last().unwrap(), "quit");
    }

    #[test]
    fn walk_refused() {
        let mut k = Kiosk::new(config());
        let done = k.patient(answers(false, |kind, a| {
            (kind == "getWxpayAuth").then(|| json!({"type": "sdk_answer", "id": a["id"],
                "json": r#"{"return_code":"ERROR","return_msg":"拒绝","err_code":"ACTION_ON_USER_QUERY_CANCEL"}"#}))
        }));
        assert_eq!(done["outcome"], "consent_refused");
        assert!(!k.log.contains(&"fetch_real_name".to_owned()));
        assert!(k.steps.contains(&"asking_consent:error".to_owned()));
    }

    #[test]
    fn walk_expired_authinfo_is_refreshed_once() {
        let mut k = Kiosk::new(config());
        let mut expired_once = false;
        let mut refresh_flags = vec![];
        let done = k.patient(answers(false, |kind, a| {
            if kind == "fetch_authinfo" {
                refresh_flags.push(a["refresh"].as_bool().unwrap());
            }
            (kind == "getWxpayfaceCode" && !std::mem::replace(&mut expired_once, true)).then(|| {
                json!({"type": "sdk_answer", "id": a["id"],
                    "json": r#"{"return_code":"ERROR","return_msg":"授权请求信息不存在或者已过期","err_code":271382020}"#})
            })
        }));
        assert_eq!(done["outcome"], "verified");
        assert_eq!(
            k.log,
            [
                "getWxpayfaceRawdata",
                "fetch_authinfo",
                "getWxpayfaceCode",
                "getWxpayfaceRawdata",
                "fetch_authinfo",
                "getWxpayfaceCode",
                "check_verified",
                "getWxpayAuth",
                "fetch_real_name"
            ]
        );
        assert_eq!(
            refresh_flags,
            [false, true],
            "the second fetch bypasses the server's cache"
        );
    }

    #[test]
    fn failures_name_the_sdk_command_and_wechat_code() {
        let mut k = Kiosk::new(config());
        let done = k.patient(answers(false, |kind, a| {
            (kind == "getWxpayfaceRawdata").then(|| {
                json!({"type": "sdk_call_failed", "id": a["id"], "error": {"message": "bridge down"}})
            })
        }));
        assert_eq!(done["outcome"], "failed");
        assert_eq!(done["step"], "reading_rawdata");
        assert_eq!(done["error"]["kind"], "sdk");
        assert_eq!(
            done["error"]["cmd"], "getWxpayfaceRawdata",
            "the flow names the command"
        );
        assert_eq!(done["error"]["return_code"], "CALL_FAILED");
        assert!(k.steps.contains(&"reading_rawdata:error".to_owned()));

        let done = k.patient(answers(false, |kind, a| {
            (kind == "fetch_authinfo").then(|| {
                json!({"type": "backend_failed", "id": a["id"],
                "error": {"status": 502, "code": "SYSTEM_ERROR", "message": "系统繁忙"}})
            })
        }));
        assert_eq!(done["step"], "fetching_authinfo");
        assert_eq!(done["error"]["code"], "backend");
        assert_eq!(done["error"]["wechat_code"], "SYSTEM_ERROR");
        assert_eq!(done["error"]["status"], 502);
        assert_eq!(done["error"]["retryable"], true);

        let done = k.patient(answers(false, |kind, a| {
            (kind == "check_verified").then(|| {
                json!({"type": "backend_failed", "id": a["id"],
                "error": {"code": "transport", "transport_kind": "connect", "message": "ECONNREFUSED"}})
            })
        }));
        assert_eq!(done["step"], "checking_verified");
        assert_eq!(done["error"]["kind"], "transport");
        assert_eq!(done["error"]["transport_kind"], "connect");
    }

    #[test]
    fn shutdown_and_late_answers() {
        let mut k = Kiosk::new(config());
        // Nothing to end.
        let late = k
            .try_feed(json!({"type": "late_sdk_answer",
                "request": r#"{"cmd":"getWxpayfaceRawdata","version":"1","now":1700000000}"#, "json": OK}))
            .unwrap();
        assert_eq!(late, vec![json!({"type": "ready"})]);
        // A recognition that opened a face session: it is ended.
        let request = SdkRequest::GetFaceCode(sdk::FaceCodeRequest {
            appid: "wx1".into(),
            mch_id: "1900000109".into(),
            store_id: "S1".into(),
            authinfo: "AI".into(),
            ..sdk::FaceCodeRequest::default()
        })
        .to_json(SdkVersion::default(), NOW)
        .unwrap();
        let late = k.feed(json!({"type": "late_sdk_answer", "request": request,
            "json": r#"{"return_code":"SUCCESS","face_sid":"sid-late"}"#}));
        assert_eq!(late[0], json!({"type": "step_started", "step": "quitting"}));
        let quit: Value = serde_json::from_str(late[1]["json"].as_str().unwrap()).unwrap();
        assert_eq!(
            (quit["face_sid"].as_str(), quit["quit_face_auth"].as_str()),
            (Some("sid-late"), Some("1"))
        );
        let done = k.feed(json!({"type": "sdk_answer", "id": late[1]["id"], "json": OK}));
        assert_eq!(
            done,
            vec![
                json!({"type": "step_finished", "step": "quitting", "status": "ok"}),
                json!({"type": "ready"})
            ]
        );
        let out = k.feed(json!({"type": "shutdown"}));
        let release = out
            .iter()
            .find(|a| a["type"] == "call_sdk")
            .unwrap()
            .clone();
        assert_eq!(release["cmd"], "releaseWxpayface");
        let out = k.feed(
            json!({"type": "sdk_call_failed", "id": release["id"], "error": {"message": "gone"}}),
        );
        let released = out.last().unwrap();
        assert_eq!(released["type"], "released");
        assert_eq!(released["error"]["cmd"], "releaseWxpayface");
    }

    #[test]
    fn refused_events_leave_the_machine_unchanged() {
        let mut k = Kiosk::new(config());
        let e = k
            .try_feed(json!({"type": "verified_checked", "id": 99, "already_verified": true}))
            .unwrap_err();
        assert_eq!(e.code(), "state");
        assert_eq!(k.flow.state_name(), "ready");
        let ev: Event =
            serde_json::from_value(json!({"type": "authinfo", "id": 1, "authinfo": "A"})).unwrap();
        assert!(ev.into_flow_event(NOW).is_err(), "no expiry given");
        assert!(serde_json::from_value::<Event>(json!({"type": "dance"})).is_err());
    }
}
