//! Face SDK messages: typed requests serialised to the byte by the core, and
//! answers parsed by it.
//!
//! Records that hold an authinfo, a proxy password or rawdata print them
//! redacted, and `face_sid`, `openid`, `sub_openid` and `telephone` as
//! their lengths (`toString` in Kotlin is the Rust `Display` below); the
//! properties hold the values.

use std::fmt;

use wxface_core::sdk as core;
use wxface_core::UnixTime;

use crate::error::WxfaceError;

/// Time as Kotlin passes it (Unix seconds in a `Long`).
pub(crate) fn unix(now: i64) -> Result<UnixTime, WxfaceError> {
    u64::try_from(now)
        .map(UnixTime)
        .map_err(|_| WxfaceError::invalid("now", "must not be negative"))
}

/// Time as Kotlin receives it.
pub(crate) fn secs(t: UnixTime) -> i64 {
    i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
}

/// A face SDK version such as `"1.24"`.
pub(crate) fn version(v: &str) -> Result<core::SdkVersion, WxfaceError> {
    v.parse().map_err(WxfaceError::from)
}

fn redacted(v: &str) -> String {
    format!("[{} chars]", v.chars().count())
}

/// A credential or a person's identifier (`face_sid`, `openid`,
/// `sub_openid`, `telephone`) as `toString` shows it: `[redacted, 40 chars]`.
pub(crate) fn credential(v: &str) -> String {
    wxface_core::redact::redacted_text(v)
}

/// [`credential`] of an optional value, `null` when absent.
pub(crate) fn credential_opt(v: Option<&str>) -> String {
    v.map_or_else(|| "null".to_owned(), credential)
}

/// `proxy_type` of `initWxpayface` (SDK 1.18+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProxyType {
    /// 0: no proxy.
    None,
    /// 1: HTTP tunnel.
    HttpTunnel,
    /// 2: SOCKS5.
    Socks5,
}

/// `camera_rotation` of `initWxpayface` (SDK 1.18+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CameraRotation {
    /// 1: +90°.
    Plus90,
    /// 2: 180°.
    Rotate180,
    /// 3: −90°.
    Minus90,
}

/// The HTTP proxy of `initWxpayface`. `toString` hides the password.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display)]
pub struct SdkProxy {
    /// `ip`.
    pub ip: String,
    /// `port`, digits only.
    pub port: String,
    /// `user`.
    #[uniffi(default = None)]
    pub user: Option<String>,
    /// `passwd`.
    #[uniffi(default = None)]
    pub passwd: Option<String>,
}

impl fmt::Display for SdkProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SdkProxy(ip={}, port={}, user={}, passwd={})",
            self.ip,
            self.port,
            self.user.as_deref().unwrap_or("null"),
            if self.passwd.is_some() {
                "[REDACTED]"
            } else {
                "null"
            }
        )
    }
}

impl fmt::Debug for SdkProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `initWxpayface`.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct InitRequest {
    /// Optional HTTP proxy.
    #[uniffi(default = None)]
    pub proxy: Option<SdkProxy>,
    /// `proxy_type` (1.18+).
    #[uniffi(default = None)]
    pub proxy_type: Option<ProxyType>,
    /// `camera_rotation` (1.18+).
    #[uniffi(default = None)]
    pub camera_rotation: Option<CameraRotation>,
}

/// `face_authtype` of `getWxpayfaceCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FaceAuthType {
    /// `FACE_AUTH`: real-name authentication (answers `face_sid`).
    FaceAuth,
    /// `FACEPAY`: face payment (answers `face_code`).
    FacePay,
}

/// `getWxpayfaceCode`. `toString` hides the authinfo.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display)]
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
    pub face_authtype: FaceAuthType,
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

impl fmt::Display for FaceCodeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FaceCodeRequest(appid={}, mch_id={}, store_id={}, face_authtype={:?}, sub_appid={:?}, sub_mch_id={:?}, openid={}, telephone={}, authinfo={})",
            self.appid,
            self.mch_id,
            self.store_id,
            self.face_authtype,
            self.sub_appid,
            self.sub_mch_id,
            credential_opt(self.openid.as_deref()),
            credential_opt(self.telephone.as_deref()),
            redacted(&self.authinfo)
        )
    }
}

impl fmt::Debug for FaceCodeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `getWxpayAuth`: ask consent (`quit = false`) or quit (`quit = true`,
/// 1.20+). `toString` hides the authinfo.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display)]
pub struct AuthRequest {
    /// `authinfo` (required).
    pub authinfo: String,
    /// `face_sid` (required).
    pub face_sid: String,
    /// `quit_face_auth = "1"`.
    #[uniffi(default = false)]
    pub quit: bool,
}

impl fmt::Display for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AuthRequest(face_sid={}, quit={}, authinfo={})",
            credential(&self.face_sid),
            self.quit,
            redacted(&self.authinfo)
        )
    }
}

impl fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// One face SDK request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Display)]
pub enum SdkRequest {
    /// `initWxpayface`.
    Init {
        /// Its fields.
        request: InitRequest,
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

impl fmt::Display for SdkRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Init { request } => write!(f, "Init({request:?})"),
            Self::GetRawdata => f.write_str("GetRawdata"),
            Self::GetFaceCode { request } => write!(f, "GetFaceCode({request})"),
            Self::GetAuth { request } => write!(f, "GetAuth({request})"),
            Self::Release => f.write_str("Release"),
        }
    }
}

impl From<SdkRequest> for core::SdkRequest {
    fn from(r: SdkRequest) -> Self {
        match r {
            SdkRequest::Init { request } => core::SdkRequest::Init(core::InitRequest {
                proxy: request.proxy.map(|p| core::Proxy {
                    ip: p.ip,
                    port: p.port,
                    user: p.user,
                    passwd: p.passwd,
                }),
                proxy_type: request.proxy_type.map(|t| match t {
                    ProxyType::None => core::ProxyType::None,
                    ProxyType::HttpTunnel => core::ProxyType::HttpTunnel,
                    ProxyType::Socks5 => core::ProxyType::Socks5,
                }),
                camera_rotation: request.camera_rotation.map(|c| match c {
                    CameraRotation::Plus90 => core::CameraRotation::Plus90,
                    CameraRotation::Rotate180 => core::CameraRotation::Rotate180,
                    CameraRotation::Minus90 => core::CameraRotation::Minus90,
                }),
            }),
            SdkRequest::GetRawdata => core::SdkRequest::GetRawdata,
            SdkRequest::GetFaceCode { request: r } => {
                core::SdkRequest::GetFaceCode(core::FaceCodeRequest {
                    appid: r.appid,
                    mch_id: r.mch_id,
                    sub_appid: r.sub_appid,
                    sub_mch_id: r.sub_mch_id,
                    store_id: r.store_id,
                    openid: r.openid,
                    telephone: r.telephone,
                    face_authtype: match r.face_authtype {
                        FaceAuthType::FaceAuth => core::FaceAuthType::FaceAuth,
                        FaceAuthType::FacePay => core::FaceAuthType::FacePay,
                    },
                    authinfo: r.authinfo,
                    screen_index: r.screen_index,
                    disable_keyboard: r.disable_keyboard,
                    token: r.token,
                })
            }
            SdkRequest::GetAuth { request: r } => core::SdkRequest::GetAuth(core::AuthRequest {
                authinfo: r.authinfo,
                face_sid: r.face_sid,
                quit: r.quit,
            }),
            SdkRequest::Release => core::SdkRequest::Release,
        }
    }
}

impl From<core::SdkRequest> for SdkRequest {
    fn from(r: core::SdkRequest) -> Self {
        match r {
            core::SdkRequest::Init(i) => SdkRequest::Init {
                request: InitRequest {
                    proxy: i.proxy.map(|p| SdkProxy {
                        ip: p.ip,
                        port: p.port,
                        user: p.user,
                        passwd: p.passwd,
                    }),
                    proxy_type: i.proxy_type.map(|t| match t {
                        core::ProxyType::None => ProxyType::None,
                        core::ProxyType::HttpTunnel => ProxyType::HttpTunnel,
                        core::ProxyType::Socks5 => ProxyType::Socks5,
                    }),
                    camera_rotation: i.camera_rotation.map(|c| match c {
                        core::CameraRotation::Plus90 => CameraRotation::Plus90,
                        core::CameraRotation::Rotate180 => CameraRotation::Rotate180,
                        core::CameraRotation::Minus90 => CameraRotation::Minus90,
                    }),
                },
            },
            core::SdkRequest::GetRawdata => SdkRequest::GetRawdata,
            core::SdkRequest::GetFaceCode(r) => SdkRequest::GetFaceCode {
                request: FaceCodeRequest {
                    appid: r.appid,
                    mch_id: r.mch_id,
                    store_id: r.store_id,
                    authinfo: r.authinfo,
                    face_authtype: match r.face_authtype {
                        core::FaceAuthType::FaceAuth => FaceAuthType::FaceAuth,
                        core::FaceAuthType::FacePay => FaceAuthType::FacePay,
                    },
                    sub_appid: r.sub_appid,
                    sub_mch_id: r.sub_mch_id,
                    openid: r.openid,
                    telephone: r.telephone,
                    screen_index: r.screen_index,
                    disable_keyboard: r.disable_keyboard,
                    token: r.token,
                },
            },
            core::SdkRequest::GetAuth(r) => SdkRequest::GetAuth {
                request: AuthRequest {
                    authinfo: r.authinfo,
                    face_sid: r.face_sid,
                    quit: r.quit,
                },
            },
            core::SdkRequest::Release => SdkRequest::Release,
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
    Ok(core::SdkRequest::from(request).to_json(target, unix(now)?)?)
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
        .map_err(|_| WxfaceError::invalid("request", "is not JSON"))?;
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
    Ok(core::SdkRequest::from(request).validate(target)?)
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

/// The five commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SdkCmd {
    /// `initWxpayface`.
    Init,
    /// `getWxpayfaceRawdata`.
    GetRawdata,
    /// `getWxpayfaceCode`.
    GetFaceCode,
    /// `getWxpayAuth`.
    GetAuth,
    /// `releaseWxpayface`.
    Release,
}

impl From<SdkCmd> for core::Cmd {
    fn from(c: SdkCmd) -> Self {
        match c {
            SdkCmd::Init => Self::Init,
            SdkCmd::GetRawdata => Self::GetRawdata,
            SdkCmd::GetFaceCode => Self::GetFaceCode,
            SdkCmd::GetAuth => Self::GetAuth,
            SdkCmd::Release => Self::Release,
        }
    }
}

impl From<core::Cmd> for SdkCmd {
    fn from(c: core::Cmd) -> Self {
        match c {
            core::Cmd::Init => Self::Init,
            core::Cmd::GetRawdata => Self::GetRawdata,
            core::Cmd::GetFaceCode => Self::GetFaceCode,
            core::Cmd::GetAuth => Self::GetAuth,
            core::Cmd::Release => Self::Release,
        }
    }
}

/// The `cmd` string of a command (`getWxpayfaceCode`, …).
#[uniffi::export]
pub fn sdk_cmd_name(cmd: SdkCmd) -> String {
    core::Cmd::from(cmd).as_str().to_owned()
}

/// The command named by a `cmd` string.
///
/// # Errors
/// `InvalidInput` for an unknown command.
#[uniffi::export]
pub fn sdk_cmd_from_name(name: String) -> Result<SdkCmd, WxfaceError> {
    Ok(name.parse::<core::Cmd>()?.into())
}

/// What `getWxpayfaceCode` answered. `toString` hides `face_code` (a
/// payment credential).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display)]
pub struct FaceCodeReply {
    /// `face_sid`: the identity query credential (FACE_AUTH).
    #[uniffi(default = None)]
    pub face_sid: Option<String>,
    /// `openid`, when present.
    #[uniffi(default = None)]
    pub openid: Option<String>,
    /// `sub_openid`, when present.
    #[uniffi(default = None)]
    pub sub_openid: Option<String>,
    /// `telephone_used`.
    #[uniffi(default = None)]
    pub telephone_used: Option<bool>,
    /// `face_code` (FACEPAY answers).
    #[uniffi(default = None)]
    pub face_code: Option<String>,
}

impl fmt::Display for FaceCodeReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FaceCodeReply(face_sid={}, openid={}, sub_openid={}, telephone_used={:?}, face_code={})",
            credential_opt(self.face_sid.as_deref()),
            credential_opt(self.openid.as_deref()),
            credential_opt(self.sub_openid.as_deref()),
            self.telephone_used,
            if self.face_code.is_some() {
                "[REDACTED]"
            } else {
                "null"
            }
        )
    }
}

impl fmt::Debug for FaceCodeReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A successful SDK answer, typed by command. `toString` hides rawdata.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Display)]
pub enum SdkReply {
    /// `initWxpayface` succeeded.
    Init,
    /// `getWxpayfaceRawdata` answered.
    Rawdata {
        /// `rawdata`.
        rawdata: String,
    },
    /// `getWxpayfaceCode` answered.
    FaceCode {
        /// Its fields.
        reply: FaceCodeReply,
    },
    /// `getWxpayAuth` succeeded.
    Auth,
    /// `releaseWxpayface` succeeded.
    Release,
}

impl fmt::Display for SdkReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Init => f.write_str("Init"),
            Self::Rawdata { rawdata } => write!(f, "Rawdata(rawdata={})", redacted(rawdata)),
            Self::FaceCode { reply } => write!(f, "FaceCode({reply})"),
            Self::Auth => f.write_str("Auth"),
            Self::Release => f.write_str("Release"),
        }
    }
}

impl From<core::SdkReply> for SdkReply {
    fn from(r: core::SdkReply) -> Self {
        match r {
            core::SdkReply::Init => Self::Init,
            core::SdkReply::Rawdata(rawdata) => Self::Rawdata { rawdata },
            core::SdkReply::FaceCode(r) => Self::FaceCode {
                reply: FaceCodeReply {
                    face_sid: r.face_sid,
                    openid: r.openid,
                    sub_openid: r.sub_openid,
                    telephone_used: r.telephone_used,
                    face_code: r.face_code,
                },
            },
            core::SdkReply::Auth => Self::Auth,
            core::SdkReply::Release => Self::Release,
        }
    }
}

impl From<SdkReply> for core::SdkReply {
    fn from(r: SdkReply) -> Self {
        match r {
            SdkReply::Init => Self::Init,
            SdkReply::Rawdata { rawdata } => Self::Rawdata(rawdata),
            SdkReply::FaceCode { reply: r } => Self::FaceCode(core::FaceCodeReply {
                face_sid: r.face_sid,
                openid: r.openid,
                sub_openid: r.sub_openid,
                telephone_used: r.telephone_used,
                face_code: r.face_code,
            }),
            SdkReply::Auth => Self::Auth,
            SdkReply::Release => Self::Release,
        }
    }
}

/// Parse the SDK's answer to `cmd`. An answer whose `return_code` is not
/// `SUCCESS` is thrown as `Sdk` with `return_code`, `return_msg`, `err_code`.
///
/// # Errors
/// `Sdk` for an error answer, `Malformed` for an unusable one.
#[uniffi::export]
pub fn parse_sdk_reply(cmd: SdkCmd, json: String) -> Result<SdkReply, WxfaceError> {
    Ok(core::SdkReply::parse(cmd.into(), json.as_bytes())?.into())
}

/// A success answer as the SDK would send it (for emulators).
#[uniffi::export]
pub fn sdk_reply_json(reply: SdkReply) -> String {
    core::SdkReply::from(reply).to_json()
}

/// An error answer as the SDK would send it (for emulators).
#[uniffi::export]
pub fn sdk_error_json(return_code: String, return_msg: String, err_code: Option<String>) -> String {
    core::sdk_error_json(&return_code, &return_msg, err_code.as_deref())
}

/// What an SDK error means for the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SdkErrorClass {
    /// The user cancelled on the SDK screen (`USER_CANCEL`).
    UserCancel,
    /// The user declined to share real-name data.
    ConsentRefused,
    /// The authinfo does not exist or has expired (271382020): refresh once.
    AuthinfoExpired,
    /// The SDK is not initialised (Android 271378620): call init.
    NotInitialised,
    /// The SDK is still initialising (Android 271378621): wait, init again.
    Initialising,
    /// The user chose to pay by scanning instead.
    ScanInstead,
    /// Anything else.
    Other,
}

/// Classify an `Sdk` error (`None` for other kinds).
#[uniffi::export]
pub fn classify_sdk_error(error: WxfaceError) -> Option<SdkErrorClass> {
    let WxfaceError::Sdk {
        cmd,
        return_code,
        return_msg,
        err_code,
        ..
    } = error
    else {
        return None;
    };
    let e = wxface_core::Error::Sdk {
        cmd,
        return_code,
        return_msg,
        err_code,
    };
    core::classify_sdk_error(&e).map(|c| match c {
        core::SdkErrorClass::UserCancel => SdkErrorClass::UserCancel,
        core::SdkErrorClass::ConsentRefused => SdkErrorClass::ConsentRefused,
        core::SdkErrorClass::AuthinfoExpired => SdkErrorClass::AuthinfoExpired,
        core::SdkErrorClass::NotInitialised => SdkErrorClass::NotInitialised,
        core::SdkErrorClass::Initialising => SdkErrorClass::Initialising,
        core::SdkErrorClass::ScanInstead => SdkErrorClass::ScanInstead,
        core::SdkErrorClass::Other => SdkErrorClass::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_string_hides_authinfo_and_password() {
        let r = SdkRequest::GetAuth {
            request: AuthRequest {
                authinfo: "SECRET-AUTHINFO".into(),
                face_sid: "sid".into(),
                quit: false,
            },
        };
        assert!(!r.to_string().contains("SECRET"));
        let p = SdkProxy {
            ip: "10.0.0.1".into(),
            port: "8080".into(),
            user: Some("u".into()),
            passwd: Some("hunter2".into()),
        };
        assert!(!p.to_string().contains("hunter2"));
        let raw = SdkReply::Rawdata {
            rawdata: "RAWDATA".into(),
        };
        assert!(!raw.to_string().contains("RAWDATA"));
        let code = SdkReply::FaceCode {
            reply: FaceCodeReply {
                face_sid: None,
                openid: Some("o".into()),
                sub_openid: None,
                telephone_used: None,
                face_code: Some("FACE-CODE-1".into()),
            },
        };
        assert!(!code.to_string().contains("FACE-CODE-1"));
    }

    #[test]
    fn typed_and_object_forms_agree() {
        let typed = sdk_request_json(
            SdkRequest::GetAuth {
                request: AuthRequest {
                    authinfo: "AI".into(),
                    face_sid: "sid1".into(),
                    quit: true,
                },
            },
            "1.24".into(),
            1_540_908_003,
        );
        let object = sdk_request_json_from_object(
            r#"{"cmd":"getWxpayAuth","face_sid":"sid1","authinfo":"AI","quit":true}"#.into(),
            "1.24".into(),
            1_540_908_003,
        );
        assert_eq!(typed, object);
        assert!(unix(-1).is_err());
    }
}
