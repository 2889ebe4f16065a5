//! SDK responses: parsed tolerantly, errors typed.

use serde_json::{Map, Value};

use super::{Cmd, MAX_MESSAGE_BYTES, MAX_RAWDATA};
use crate::error::{named_enum, Error, Result};

/// What `getWxpayfaceCode` answered. `Debug` prints `face_sid`, `openid`,
/// `sub_openid` and `face_code` redacted (`"[redacted, 40 chars]"`); the
/// fields hold the values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FaceCodeReply {
    /// `face_sid`: the identity query credential (FACE_AUTH).
    pub face_sid: Option<String>,
    /// `openid` (sometimes; not together with `face_sid` per the spec, but accepted).
    pub openid: Option<String>,
    /// `sub_openid` (provider mode).
    pub sub_openid: Option<String>,
    /// `telephone_used`: whether the pre-filled phone number was used.
    pub telephone_used: Option<bool>,
    /// `face_code` (FACEPAY answers).
    pub face_code: Option<String>,
}

impl std::fmt::Debug for FaceCodeReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::redact::redacted_opt;
        f.debug_struct("FaceCodeReply")
            .field("face_sid", &redacted_opt(&self.face_sid))
            .field("openid", &redacted_opt(&self.openid))
            .field("sub_openid", &redacted_opt(&self.sub_openid))
            .field("telephone_used", &self.telephone_used)
            .field("face_code", &redacted_opt(&self.face_code))
            .finish()
    }
}

/// A successful SDK answer, typed by command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkReply {
    /// `initWxpayface` succeeded.
    Init,
    /// `getWxpayfaceRawdata` answered `rawdata`.
    Rawdata(String),
    /// `getWxpayfaceCode` answered.
    FaceCode(FaceCodeReply),
    /// `getWxpayAuth` succeeded (consent given, or quit acknowledged).
    Auth,
    /// `releaseWxpayface` succeeded.
    Release,
}

const WHAT: &str = "face SDK response";

fn opt_str(m: &Map<String, Value>, k: &str) -> Result<Option<String>> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::malformed(WHAT, format!("`{k}` is not a string"))),
    }
}

/// A string or integer field as text (`err_code` comes as either).
fn code_str(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

impl SdkReply {
    /// Parse the answer to `cmd`. `return_code` other than `SUCCESS` becomes
    /// [`Error::Sdk`] carrying `return_code`, `return_msg` and `err_code`.
    /// Unknown fields are ignored.
    ///
    /// # Errors
    /// [`Error::Malformed`] for bad JSON, oversize input, a missing
    /// `return_code`, or a missing/oversize command field.
    pub fn parse(cmd: Cmd, json: &[u8]) -> Result<SdkReply> {
        if json.len() > MAX_MESSAGE_BYTES {
            return Err(Error::malformed(WHAT, "larger than 64 KiB"));
        }
        let v: Value = crate::redact::from_slice(WHAT, json)?;
        let m = v
            .as_object()
            .ok_or_else(|| Error::malformed(WHAT, "not a JSON object"))?;
        let return_code =
            opt_str(m, "return_code")?.ok_or_else(|| Error::malformed(WHAT, "no `return_code`"))?;
        if return_code != "SUCCESS" {
            let mut return_msg = opt_str(m, "return_msg")?.unwrap_or_default();
            if let Some((i, _)) = return_msg.char_indices().nth(super::MAX_RETURN_MSG) {
                return_msg.truncate(i);
            }
            return Err(Error::Sdk {
                cmd: cmd.as_str().to_owned(),
                return_code: crate::redact::code_token(&return_code),
                return_msg,
                err_code: code_str(m, "err_code").map(|c| crate::redact::code_token(&c)),
            });
        }
        Ok(match cmd {
            Cmd::Init => SdkReply::Init,
            Cmd::GetRawdata => {
                let raw =
                    opt_str(m, "rawdata")?.ok_or_else(|| Error::malformed(WHAT, "no `rawdata`"))?;
                if raw.chars().count() > MAX_RAWDATA {
                    return Err(Error::malformed(
                        WHAT,
                        "`rawdata` longer than 2048 characters",
                    ));
                }
                SdkReply::Rawdata(raw)
            }
            Cmd::GetFaceCode => {
                let telephone_used = match m.get("telephone_used") {
                    Some(Value::Number(n)) => Some(n.as_i64() == Some(1)),
                    Some(Value::String(s)) => Some(s == "1"),
                    _ => None,
                };
                let r = FaceCodeReply {
                    face_sid: opt_str(m, "face_sid")?,
                    openid: opt_str(m, "openid")?,
                    sub_openid: opt_str(m, "sub_openid")?,
                    telephone_used,
                    face_code: opt_str(m, "face_code")?,
                };
                if r.face_sid.is_none() && r.face_code.is_none() {
                    return Err(Error::malformed(WHAT, "neither `face_sid` nor `face_code`"));
                }
                SdkReply::FaceCode(r)
            }
            Cmd::GetAuth => SdkReply::Auth,
            Cmd::Release => SdkReply::Release,
        })
    }

    /// The answer as the SDK would send it (for emulators): `return_code`
    /// `SUCCESS`, then the command's fields.
    pub fn to_json(&self) -> String {
        let mut m = Map::new();
        match self {
            SdkReply::Rawdata(r) => {
                m.insert("rawdata".into(), r.as_str().into());
            }
            SdkReply::FaceCode(r) => {
                for (k, v) in [
                    ("face_sid", &r.face_sid),
                    ("openid", &r.openid),
                    ("sub_openid", &r.sub_openid),
                    ("face_code", &r.face_code),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), v.as_str().into());
                    }
                }
                if let Some(t) = r.telephone_used {
                    m.insert("telephone_used".into(), i64::from(t).into());
                }
            }
            SdkReply::Init | SdkReply::Auth | SdkReply::Release => {}
        }
        m.insert("return_code".into(), "SUCCESS".into());
        m.insert("return_msg".into(), "SUCCESS".into());
        Value::Object(m).to_string()
    }
}

/// An SDK error answer as the SDK would send it (for emulators).
pub fn sdk_error_json(return_code: &str, return_msg: &str, err_code: Option<&str>) -> String {
    let mut m = Map::new();
    m.insert("return_code".into(), return_code.into());
    m.insert("return_msg".into(), return_msg.into());
    if let Some(c) = err_code {
        let v = c
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(c));
        m.insert("err_code".into(), v);
    }
    Value::Object(m).to_string()
}

/// What an SDK error means for the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SdkErrorClass {
    /// The user cancelled on the SDK screen (`USER_CANCEL`).
    UserCancel,
    /// The user declined to share real-name data (`ACTION_ON_USER_QUERY_CANCEL`).
    ConsentRefused,
    /// The authinfo does not exist or has expired (271382020): refresh once.
    AuthinfoExpired,
    /// The SDK/service is not initialised (Android 271378620): call init.
    NotInitialised,
    /// The SDK is still initialising (Android 271378621): wait, call init again.
    Initialising,
    /// The user chose to pay by scanning instead (`SCAN_PAYMENT`).
    ScanInstead,
    /// Anything else.
    Other,
}

named_enum!(SdkErrorClass, "sdk_error_class", {
    UserCancel => "user_cancel",
    ConsentRefused => "consent_refused",
    AuthinfoExpired => "authinfo_expired",
    NotInitialised => "not_initialised",
    Initialising => "initialising",
    ScanInstead => "scan_instead",
    Other => "other",
});

/// Classify an [`Error::Sdk`] by its `return_code`, `err_code` and message.
/// Field codes appear in either `return_code` or `err_code`.
pub fn classify_sdk_error(e: &Error) -> Option<SdkErrorClass> {
    let Error::Sdk {
        return_code,
        return_msg,
        err_code,
        ..
    } = e
    else {
        return None;
    };
    let codes = [Some(return_code.as_str()), err_code.as_deref()];
    let has = |c: &str| codes.iter().flatten().any(|x| *x == c);
    Some(if has("ACTION_ON_USER_QUERY_CANCEL") {
        SdkErrorClass::ConsentRefused
    } else if has("USER_CANCEL") {
        SdkErrorClass::UserCancel
    } else if has("271382020")
        || return_msg.contains("271382020")
        || return_msg.contains("授权请求信息不存在或者已过期")
    {
        SdkErrorClass::AuthinfoExpired
    } else if has("271378620") {
        SdkErrorClass::NotInitialised
    } else if has("271378621") {
        SdkErrorClass::Initialising
    } else if has("SCAN_PAYMENT") {
        SdkErrorClass::ScanInstead
    } else {
        SdkErrorClass::Other
    })
}
