//! Face SDK messages: typed requests serialised to the byte by the core, and
//! answers parsed by it.
//!
//! Records that hold an authinfo, a proxy password or rawdata print them
//! redacted, and `face_sid`, `openid`, `sub_openid` and `telephone` as
//! their lengths (`toString` in Kotlin is the core's redacting `Debug`);
//! the properties hold the values.

use std::fmt;

use wxface_core::model::{InitSettings, SdkReply};
use wxface_core::sdk as core;
use wxface_core::UnixTime;

use crate::WxfaceError;

/// Time as Kotlin passes it (Unix seconds in a `Long`).
pub(crate) fn unix(now: i64) -> Result<UnixTime, WxfaceError> {
    u64::try_from(now)
        .map(UnixTime)
        .map_err(|_| wxface_core::Error::invalid("now", "must not be negative").into())
}

/// Time as Kotlin receives it.
pub(crate) fn secs(t: UnixTime) -> i64 {
    i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
}

/// A face SDK version such as `"1.24"`.
pub(crate) fn version(v: &str) -> Result<core::SdkVersion, WxfaceError> {
    v.parse().map_err(WxfaceError::from)
}

/// `getWxpayfaceCode`. `toString` hides the authinfo.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct FaceCodeRequest {
    /// `appid` (required).
    pub appid: String,
    /// `mch_id` (required).
    pub mch_id: String,
    /// `store_id` (required).
    pub store_id: String,
    /// `authinfo` (required).
    pub authinfo: String,
    /// `face_authtype` (`FaceAuth` for real-name authentication).
    pub face_authtype: core::FaceAuthType,
    /// `sub_appid` (≤ 32).
    #[uniffi(default = None)]
    pub sub_appid: Option<String>,
    /// `sub_mch_id` (≤ 32, provider mode).
    #[uniffi(default = None)]
    pub sub_mch_id: Option<String>,
    /// `openid` (1.24+).
    #[uniffi(default = None)]
    pub openid: Option<String>,
    /// `telephone`: pre-fills the phone field.
    #[uniffi(default = None)]
    pub telephone: Option<String>,
    /// `screen_index` (1.18+), "1" is the main screen.
    #[uniffi(default = None)]
    pub screen_index: Option<String>,
    /// `disable_keyboard` = "1" (1.23+).
    #[uniffi(default = false)]
    pub disable_keyboard: bool,
    /// `token` = "1" (1.16+).
    #[uniffi(default = false)]
    pub token: bool,
}

impl From<FaceCodeRequest> for core::FaceCodeRequest {
    fn from(r: FaceCodeRequest) -> Self {
        Self {
            appid: r.appid,
            mch_id: r.mch_id,
            sub_appid: r.sub_appid,
            sub_mch_id: r.sub_mch_id,
            store_id: r.store_id,
            openid: r.openid,
            telephone: r.telephone,
            face_authtype: r.face_authtype,
            authinfo: r.authinfo,
            screen_index: r.screen_index,
            disable_keyboard: r.disable_keyboard,
            token: r.token,
        }
    }
}

impl From<core::FaceCodeRequest> for FaceCodeRequest {
    fn from(r: core::FaceCodeRequest) -> Self {
        Self {
            appid: r.appid,
            mch_id: r.mch_id,
            store_id: r.store_id,
            authinfo: r.authinfo,
            face_authtype: r.face_authtype,
            sub_appid: r.sub_appid,
            sub_mch_id: r.sub_mch_id,
            openid: r.openid,
            telephone: r.telephone,
            screen_index: r.screen_index,
            disable_keyboard: r.disable_keyboard,
            token: r.token,
        }
    }
}

/// The core's redacting `Debug`.
impl fmt::Debug for FaceCodeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        core::FaceCodeRequest::from(self.clone()).fmt(f)
    }
}

/// `getWxpayAuth`: ask consent (`quit = false`) or quit (`quit = true`,
/// 1.20+). `toString` hides the authinfo and `face_sid`.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct AuthRequest {
    /// `authinfo` (required).
    pub authinfo: String,
    /// `face_sid` (required).
    pub face_sid: String,
    /// `quit_face_auth = "1"`.
    #[uniffi(default = false)]
    pub quit: bool,
}

impl From<AuthRequest> for core::AuthRequest {
    fn from(r: AuthRequest) -> Self {
        Self {
            authinfo: r.authinfo,
            face_sid: r.face_sid,
            quit: r.quit,
        }
    }
}

/// The core's redacting `Debug`.
impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        core::AuthRequest::from(self.clone()).fmt(f)
    }
}

/// One face SDK request. `toString` hides authinfo, proxy password and
/// credentials.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum SdkRequest {
    /// `initWxpayface`.
    Init {
        /// Its fields.
        request: InitSettings,
    },
    /// `getWxpayfaceRawdata`.
    GetRawdata,
    /// `getWxpayfaceCode`.
    GetFaceCode {
        /// Its fields.
        request: FaceCodeRequest,
    },
    /// `getWxpayAuth`.
    GetAuth {
        /// Its fields.
        request: AuthRequest,
    },
    /// `releaseWxpayface`.
    Release,
}

impl TryFrom<SdkRequest> for core::SdkRequest {
    type Error = WxfaceError;

    fn try_from(r: SdkRequest) -> Result<Self, WxfaceError> {
        Ok(match r {
            SdkRequest::Init { request } => Self::Init(request.to_request()?),
            SdkRequest::GetRawdata => Self::GetRawdata,
            SdkRequest::GetFaceCode { request } => Self::GetFaceCode(request.into()),
            SdkRequest::GetAuth { request } => Self::GetAuth(request.into()),
            SdkRequest::Release => Self::Release,
        })
    }
}

impl From<core::SdkRequest> for SdkRequest {
    fn from(r: core::SdkRequest) -> Self {
        match r {
            core::SdkRequest::Init(i) => Self::Init {
                request: InitSettings::from(&i),
            },
            core::SdkRequest::GetRawdata => Self::GetRawdata,
            core::SdkRequest::GetFaceCode(r) => Self::GetFaceCode { request: r.into() },
            core::SdkRequest::GetAuth(r) => Self::GetAuth {
                request: AuthRequest {
                    authinfo: r.authinfo,
                    face_sid: r.face_sid,
                    quit: r.quit,
                },
            },
            core::SdkRequest::Release => Self::Release,
        }
    }
}

/// The exact request JSON for the face SDK (common fields `cmd`,
/// `version:"1"`, `now` first, then the command's fields), after checking
/// the field rules and that `sdk_version` (e.g. `"1.24"`) knows every field.
///
/// # Errors
/// `InvalidInput` naming the field, or `SdkVersion`.
#[uniffi::export]
pub fn sdk_request_json(
    request: SdkRequest,
    sdk_version: String,
    now: i64,
) -> Result<String, WxfaceError> {
    let target = version(&sdk_version)?;
    Ok(core::SdkRequest::try_from(request)?.to_json(target, unix(now)?)?)
}

/// As [`sdk_request_json`], from the request's JSON object form
/// (`{"cmd":"getWxpayAuth","face_sid":"…","authinfo":"…","quit":true}`,
/// the form the shared test vectors use).
///
/// # Errors
/// `InvalidInput` when the object is not a request or breaks a field rule;
/// `SdkVersion`.
#[uniffi::export]
pub fn sdk_request_json_from_object(
    object_json: String,
    sdk_version: String,
    now: i64,
) -> Result<String, WxfaceError> {
    let target = version(&sdk_version)?;
    let value: serde_json::Value = serde_json::from_str(&object_json)
        .map_err(|_| wxface_core::Error::invalid("request", "is not JSON"))?;
    let request = core::SdkRequest::from_object(value)?;
    Ok(request.to_json(target, unix(now)?)?)
}

/// Check a request's field rules and SDK-version gates.
///
/// # Errors
/// As [`sdk_request_json`].
#[uniffi::export]
pub fn validate_sdk_request(request: SdkRequest, sdk_version: String) -> Result<(), WxfaceError> {
    let target = version(&sdk_version)?;
    Ok(core::SdkRequest::try_from(request)?.validate(target)?)
}

/// A request as the SDK receives it (for emulators and proxies).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ParsedSdkRequest {
    /// The typed request.
    pub request: SdkRequest,
    /// Its `now`.
    pub now: i64,
}

/// Parse a request as the SDK would (`version` must be `"1"`, `now` a
/// 10-digit number, field rules checked).
///
/// # Errors
/// `Malformed` for bad JSON, `InvalidInput` for broken rules.
#[uniffi::export]
pub fn parse_sdk_request(json: String) -> Result<ParsedSdkRequest, WxfaceError> {
    let (request, now) = core::SdkRequest::parse(json.as_bytes())?;
    Ok(ParsedSdkRequest {
        request: request.into(),
        now: secs(now),
    })
}

/// The `cmd` string of a command (`getWxpayfaceCode`, …).
#[uniffi::export]
pub fn sdk_cmd_name(cmd: core::Cmd) -> String {
    cmd.as_str().to_owned()
}

/// The command named by a `cmd` string.
///
/// # Errors
/// `InvalidInput` for an unknown command.
#[uniffi::export]
pub fn sdk_cmd_from_name(name: String) -> Result<core::Cmd, WxfaceError> {
    Ok(name.parse()?)
}

/// Parse the SDK's answer to `cmd`. An answer whose `return_code` is not
/// `SUCCESS` is thrown as `Sdk` with `return_code`, `return_msg`, `err_code`.
///
/// # Errors
/// `Sdk` for an error answer, `Malformed` for an unusable one.
#[uniffi::export]
pub fn parse_sdk_reply(cmd: core::Cmd, json: String) -> Result<SdkReply, WxfaceError> {
    Ok(core::SdkReply::parse(cmd, json.as_bytes())?.into())
}

/// A success answer to `cmd` as the SDK would send it (for emulators): the
/// fields of `reply` that `cmd` answers with.
#[uniffi::export]
pub fn sdk_reply_json(cmd: core::Cmd, reply: SdkReply) -> String {
    match cmd {
        core::Cmd::Init => core::SdkReply::Init,
        core::Cmd::GetRawdata => core::SdkReply::Rawdata(reply.rawdata.unwrap_or_default()),
        core::Cmd::GetFaceCode => core::SdkReply::FaceCode(core::FaceCodeReply {
            face_sid: reply.face_sid,
            openid: reply.openid,
            sub_openid: reply.sub_openid,
            telephone_used: reply.telephone_used,
            face_code: reply.face_code,
        }),
        core::Cmd::GetAuth => core::SdkReply::Auth,
        core::Cmd::Release => core::SdkReply::Release,
    }
    .to_json()
}

/// An error answer as the SDK would send it (for emulators).
#[uniffi::export]
pub fn sdk_error_json(return_code: String, return_msg: String, err_code: Option<String>) -> String {
    core::sdk_error_json(&return_code, &return_msg, err_code.as_deref())
}

/// Classify an `Sdk` error (`None` for other kinds).
#[uniffi::export]
pub fn classify_sdk_error(error: WxfaceError) -> Option<core::SdkErrorClass> {
    core::classify_sdk_error(&wxface_core::Error::from_info(&error.info()))
}
