//! The kiosk ↔ merchant-server API of `docs/merchant-api.md`: its paths,
//! its messages, and both ends' encoding and decoding.
//!
//! A kiosk holds no secret, so it asks its own merchant server (the
//! hospital's HIS, or the reference server of `wxface-client`) for what needs
//! one. The API is the project's own convention, not part of WeChat Pay's
//! protocol; this module is its one definition, used by the kiosk driver
//! (`wxface-capture`), the reference server, and the bindings:
//!
//! | path | request | answer |
//! |---|---|---|
//! | [`AUTHINFO_PATH`] | [`AuthinfoRequest`] | [`AuthinfoAnswer`] |
//! | [`VERIFIED_PATH`] | [`VerifiedRequest`] | [`VerifiedAnswer`] (decided from the `face_sid`) |
//! | [`REAL_NAME_PATH`] | [`RealNameRequest`] | [`RealNameAnswer`] (masked values only) |
//!
//! Like the rest of the core it does no I/O: a **kiosk** encodes a request
//! ([`encode_authinfo_request`], …), POSTs it however it likes, and hands
//! the answer's status and body to [`decode_answer`]; a **server** decodes a
//! body with [`decode_request`], acts, and answers [`encode_answer`] with
//! status 200 or [`error_answer`] of its error.
//!
//! # Errors on the wire
//!
//! An error is a non-2xx answer whose body is the core's flat error record,
//! [`ErrorInfo`] (`{"code", "kind", "message", "retryable", …details}`), as
//! [`Error::info`] makes it; the kiosk turns it back with
//! [`Error::from_info`]. So a WeChat Pay failure relayed by the server
//! arrives at the kiosk as [`Error::Backend`] with WeChat's code and status.
//! The older body `{"code", "message"}` is still read: a code outside the
//! [`catalogue`](crate::error::CATALOGUE) is WeChat's own, relayed.
//!
//! A server that answers something else — a status without an error body
//! (a proxy's HTML page), a 2xx body that is not JSON — is
//! [`Error::Transport`] with [`TransportKind::Protocol`] (or
//! [`TransportKind::Connect`] for a gateway's 502, 503 or 504: the
//! merchant server could not be reached, retry), never a
//! [`Error::Backend`]: WeChat Pay did not say anything. (No answer at all is
//! the HTTP stack's to report, as [`Error::Transport`] of the matching kind.)
//! A JSON answer that breaks the message's rules is [`Error::Malformed`].
//! Nothing a peer sent is quoted in an error: messages name fields and rules.

use std::fmt;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

use crate::error::{spec, Error, ErrorInfo, Result, TransportKind};
use crate::flow::Recognised;
use crate::realname::MaskedIdentity;
use crate::redact::{code_token, redacted_opt, Redacted};
use crate::sdk::MAX_AUTHINFO;
use crate::time::UnixTime;
use crate::v2::MAX_AUTHINFO_REUSE_SECS;

/// `POST /kiosk/authinfo`: an authinfo for the kiosk's face SDK.
pub const AUTHINFO_PATH: &str = "/kiosk/authinfo";
/// `POST /kiosk/verified`: whether the hospital already verified this user.
pub const VERIFIED_PATH: &str = "/kiosk/verified";
/// `POST /kiosk/real-name`: the masked identity, after the patient consented.
pub const REAL_NAME_PATH: &str = "/kiosk/real-name";
/// Every path of the API.
pub const PATHS: [&str; 3] = [AUTHINFO_PATH, VERIFIED_PATH, REAL_NAME_PATH];

/// Largest request body a server accepts, in bytes.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// Largest answer body a kiosk accepts, in bytes.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Longest message taken from an error body, in characters.
pub const MAX_MESSAGE_CHARS: usize = 256;
/// Longest `device_id`, in characters (the face SDK's and WeChat's limit).
pub const MAX_DEVICE_ID_CHARS: usize = 32;

/// Longest `detail` taken from an error body, in characters; a longer one is
/// dropped rather than cut (it is JSON text).
const MAX_DETAIL_CHARS: usize = 1024;
/// What [`Error::Malformed`] names for an answer.
const ANSWER: &str = "merchant server answer";

// ------------------------------------------------------------------ messages

/// A request of the API: its path, and the rules a server checks beyond
/// its JSON shape.
pub trait Request: Serialize + DeserializeOwned {
    /// The path it is POSTed to.
    const PATH: &'static str;

    /// The rules beyond the JSON shape.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field and the rule, never the value.
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

/// An answer of the API: its path, and the rules a kiosk checks beyond its
/// JSON shape.
pub trait Answer: Serialize + DeserializeOwned {
    /// The path of the request it answers.
    const PATH: &'static str;

    /// The rules beyond the JSON shape.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field and the rule, never the value.
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

/// `POST /kiosk/authinfo`:
/// `{"rawdata", "device_id", "refresh"?, "store_id"?, "store_name"?, "attach"?}`.
/// `Debug` redacts `rawdata`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthinfoRequest {
    /// `rawdata` from `getWxpayfaceRawdata`.
    pub rawdata: String,
    /// The kiosk's device id. Optional: the server takes the device from the
    /// request's credential ([`crate::device_auth`]); an id sent here must be
    /// that device's, or the request is refused (`invalid_input`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub device_id: String,
    /// The face SDK reported the previous authinfo invalid or expired
    /// (271382020): the server drops its cached one and asks WeChat Pay
    /// again. Sent only when `true`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh: bool,
    /// `store_id`, when the server serves several stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// `store_name`, when the server serves several stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    /// `attach`, passed on to WeChat Pay: a string (sent as is), or any other
    /// JSON value (sent as its compact JSON text, see
    /// [`AuthinfoRequest::attach_text`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach: Option<serde_json::Value>,
}

impl AuthinfoRequest {
    /// A request for `rawdata` at `device_id`, without the optional fields.
    pub fn new(rawdata: impl Into<String>, device_id: impl Into<String>) -> Self {
        Self {
            rawdata: rawdata.into(),
            device_id: device_id.into(),
            refresh: false,
            store_id: None,
            store_name: None,
            attach: None,
        }
    }

    /// `attach` as WeChat Pay takes it: a string as is, another JSON value as
    /// its compact text, `null` as absent.
    pub fn attach_text(&self) -> Option<String> {
        match &self.attach {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(v) => Some(v.to_string()),
        }
    }
}

impl fmt::Debug for AuthinfoRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthinfoRequest")
            .field("rawdata", &Redacted(&self.rawdata))
            .field("device_id", &self.device_id)
            .field("refresh", &self.refresh)
            .field("store_id", &self.store_id)
            .field("store_name", &self.store_name)
            .field("attach", &self.attach.as_ref().map(|_| "[set]"))
            .finish()
    }
}

impl Request for AuthinfoRequest {
    const PATH: &'static str = AUTHINFO_PATH;
}

/// The answer to `POST /kiosk/authinfo`:
/// `{"authinfo", "expires_in"?, "expires_at"?}` (at least one of the two
/// expiry fields). `Debug` redacts `authinfo`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthinfoAnswer {
    /// The credential for `getWxpayfaceCode` / `getWxpayAuth`.
    pub authinfo: String,
    /// Seconds it stays valid from the answer on (the kiosk's clock measures
    /// them, so this is what a kiosk prefers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Its absolute expiry, unix seconds (on the server's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// When an authinfo a kiosk received stops being usable, on the kiosk's
/// clock ([`AuthinfoAnswer::expiry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthinfoExpiry {
    /// When it expires, as the answer says.
    pub expires_at: UnixTime,
    /// The latest time it may be reused for another patient: `expires_at`,
    /// but at most [`MAX_AUTHINFO_REUSE_SECS`] after it arrived (the cap the
    /// merchant server's cache and the kiosk flow apply).
    pub reuse_until: UnixTime,
}

impl AuthinfoAnswer {
    /// The server side: the answer for an authinfo that expires at
    /// `expires_at`, produced at `now` (both fields: `expires_in` for a
    /// kiosk's clock, `expires_at` for a log).
    pub fn new(authinfo: impl Into<String>, expires_at: UnixTime, now: UnixTime) -> Self {
        Self {
            authinfo: authinfo.into(),
            expires_in: Some(expires_at.as_secs().saturating_sub(now.as_secs())),
            expires_at: Some(expires_at.as_secs()),
        }
    }

    /// The kiosk side: the expiry of this answer, received at `now` (the
    /// kiosk's clock). A positive `expires_in` counts from `now` (the clock
    /// the flow compares with); otherwise a positive `expires_at` (the
    /// server's clock) is taken as is, even when it has passed, so the
    /// authinfo is used for this patient and never reused. The reuse time is
    /// capped at [`MAX_AUTHINFO_REUSE_SECS`] after `now`.
    ///
    /// # Errors
    /// [`Error::Malformed`] when neither field is positive.
    pub fn expiry(&self, now: UnixTime) -> Result<AuthinfoExpiry> {
        authinfo_expiry(self.expires_in, self.expires_at, now).ok_or_else(|| {
            Error::malformed(
                ANSWER,
                format!("POST {AUTHINFO_PATH}: neither `expires_in` nor `expires_at`"),
            )
        })
    }
}

/// The rule of [`AuthinfoAnswer::expiry`] on its two fields, for drivers
/// that receive them otherwise (a binding's callback): `None` when neither is
/// positive.
pub fn authinfo_expiry(
    expires_in: Option<u64>,
    expires_at: Option<u64>,
    now: UnixTime,
) -> Option<AuthinfoExpiry> {
    let expires_at = match (expires_in, expires_at) {
        (Some(secs), _) if secs > 0 => now.plus(secs),
        (_, Some(at)) if at > 0 => UnixTime(at),
        _ => return None,
    };
    Some(AuthinfoExpiry {
        expires_at,
        reuse_until: expires_at.min(now.plus(MAX_AUTHINFO_REUSE_SECS)),
    })
}

impl fmt::Debug for AuthinfoAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthinfoAnswer")
            .field("authinfo", &Redacted(&self.authinfo))
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Answer for AuthinfoAnswer {
    const PATH: &'static str = AUTHINFO_PATH;

    fn check(&self) -> Result<()> {
        if self.authinfo.is_empty() || self.authinfo.chars().count() > MAX_AUTHINFO {
            return Err(Error::invalid(
                "authinfo",
                "is empty or longer than 4096 characters",
            ));
        }
        Ok(())
    }
}

/// `POST /kiosk/verified`: `{"face_sid", "openid": "o…" | null,
/// "sub_openid": "…" | null}`. `Debug` redacts all three.
///
/// The server decides from the `face_sid`, not from what the kiosk reports:
/// it asks WeChat Pay who this is (`GET /v3/facemch/users/{face_sid}` with
/// `info_type=ASK_UNIONID`, which needs no real-name consent) and looks the
/// answer's openid up in its records. A face SDK that follows the spec's
/// table returns no openid with a `face_sid` ("返回face_sid时不返回openId"),
/// so `openid` is usually `null`; when the kiosk does report one, the server
/// refuses it unless it is the openid WeChat Pay answers
/// ([`Error::InvalidInput`] on `openid`, HTTP 400).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedRequest {
    /// `openid`, when the face SDK returned one (`null` otherwise): checked
    /// by the server, never trusted.
    #[serde(default)]
    pub openid: Option<String>,
    /// `sub_openid`, when the face SDK returned one (`null` otherwise):
    /// checked by the server, never trusted.
    #[serde(default)]
    pub sub_openid: Option<String>,
    /// `face_sid`: the identity query credential (required, not empty).
    pub face_sid: String,
}

impl From<&Recognised> for VerifiedRequest {
    fn from(who: &Recognised) -> Self {
        Self {
            openid: who.openid.clone(),
            sub_openid: who.sub_openid.clone(),
            face_sid: who.face_sid.clone(),
        }
    }
}

impl fmt::Debug for VerifiedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedRequest")
            .field("openid", &redacted_opt(&self.openid))
            .field("sub_openid", &redacted_opt(&self.sub_openid))
            .field("face_sid", &Redacted(&self.face_sid))
            .finish()
    }
}

impl Request for VerifiedRequest {
    const PATH: &'static str = VERIFIED_PATH;

    /// `face_sid`: not empty (the server resolves the user from it).
    fn check(&self) -> Result<()> {
        if self.face_sid.is_empty() {
            return Err(Error::invalid("face_sid", "must not be empty"));
        }
        Ok(())
    }
}

/// The answer to `POST /kiosk/verified`: `{"already_verified": true|false}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedAnswer {
    /// Whether the hospital already has a verified record of this user (the
    /// kiosk then quits the face SDK with `quit_face_auth = "1"`).
    pub already_verified: bool,
}

impl Answer for VerifiedAnswer {
    const PATH: &'static str = VERIFIED_PATH;
}

/// `POST /kiosk/real-name`: `{"face_sid", "device_id"}`, sent after the
/// patient consented. `Debug` redacts `face_sid`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameRequest {
    /// `face_sid`: the identity query credential.
    pub face_sid: String,
    /// The kiosk's device id. Optional, as in [`AuthinfoRequest::device_id`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub device_id: String,
}

impl fmt::Debug for RealNameRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealNameRequest")
            .field("face_sid", &Redacted(&self.face_sid))
            .field("device_id", &self.device_id)
            .finish()
    }
}

impl Request for RealNameRequest {
    const PATH: &'static str = REAL_NAME_PATH;

    /// `device_id`: at most [`MAX_DEVICE_ID_CHARS`] characters, no control
    /// characters (a server logs it).
    fn check(&self) -> Result<()> {
        if self.device_id.chars().count() > MAX_DEVICE_ID_CHARS
            || crate::redact::has_control_chars(&self.device_id)
        {
            return Err(Error::invalid(
                "device_id",
                "must be at most 32 characters without control characters",
            ));
        }
        Ok(())
    }
}

/// The answer to `POST /kiosk/real-name`: **masked values only**,
/// `{"identity": {"name", "credential_type", "credential_id"}, "patient_id"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealNameAnswer {
    /// The masked identity.
    pub identity: MaskedIdentity,
    /// The hospital's patient number, when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
}

impl Answer for RealNameAnswer {
    const PATH: &'static str = REAL_NAME_PATH;

    /// The identity is masked ([`MaskedIdentity::check_masked`]): a kiosk
    /// never receives full values, even from a misconfigured server.
    fn check(&self) -> Result<()> {
        self.identity.check_masked().map_err(|e| match e {
            Error::InvalidInput { field, reason } => Error::InvalidInput {
                field: format!("identity.{field}"),
                reason,
            },
            other => other,
        })
    }
}

// ------------------------------------------------------------------ the kiosk

/// The body of `POST /kiosk/authinfo`.
pub fn encode_authinfo_request(request: &AuthinfoRequest) -> Vec<u8> {
    to_json(request)
}

/// The body of `POST /kiosk/verified`.
pub fn encode_verified_request(request: &VerifiedRequest) -> Vec<u8> {
    to_json(request)
}

/// The body of `POST /kiosk/real-name`.
pub fn encode_real_name_request(request: &RealNameRequest) -> Vec<u8> {
    to_json(request)
}

/// Decode the server's answer to `T::PATH` with HTTP status `status`.
///
/// In order: a body over [`MAX_ANSWER_BYTES`] is [`Error::Malformed`]; a
/// non-2xx status is the error of its error body (see the module
/// documentation); a 2xx body that is not JSON is [`Error::Transport`]
/// ([`TransportKind::Protocol`]); JSON that is not `T`, or breaks
/// [`Answer::check`] (an empty authinfo, an identity that is not masked), is
/// [`Error::Malformed`] naming the path and the field, never a value.
///
/// # Errors
/// As above.
pub fn decode_answer<T: Answer>(status: u16, body: &[u8]) -> Result<T> {
    let path = T::PATH;
    if body.len() > MAX_ANSWER_BYTES {
        return Err(Error::malformed(
            ANSWER,
            format!("POST {path}: answer larger than {MAX_ANSWER_BYTES} bytes"),
        ));
    }
    if !(200..300).contains(&status) {
        return Err(decode_error_body(path, status, body));
    }
    let answer: T = crate::redact::from_slice(ANSWER, body).map_err(|e| {
        if serde_json::from_slice::<IgnoredAny>(body).is_err() {
            return Error::transport(
                TransportKind::Protocol,
                format!("POST {path}: the HTTP {status} answer is not JSON"),
            );
        }
        match e {
            Error::Malformed { reason, .. } => {
                Error::malformed(ANSWER, format!("POST {path}: {reason}"))
            }
            other => other,
        }
    })?;
    answer.check().map_err(|e| match e {
        Error::InvalidInput { field, reason } => {
            Error::malformed(ANSWER, format!("POST {path}: field `{field}` {reason}"))
        }
        other => other,
    })?;
    Ok(answer)
}

/// The error a non-2xx answer to `path` with `body` stands for: the error of
/// an [`ErrorInfo`] body ([`Error::from_info`], its texts bounded and its
/// codes kept only when code-shaped), WeChat's code relayed in an older
/// `{"code", "message"}` body ([`Error::Backend`] with `status`), or
/// [`Error::Transport`] ([`TransportKind::Protocol`]) when the body is
/// neither.
pub fn decode_error_body(path: &str, status: u16, body: &[u8]) -> Error {
    let not_the_api = || {
        // A proxy or gateway in front of the server that wants credentials
        // of its own (a 401/403 without this API's body): the kiosk is not
        // let in, which no retry changes.
        if matches!(status, 401 | 403) {
            return Error::Unauthenticated(format!(
                "POST {path}: HTTP {status} without an error body of the kiosk API"
            ));
        }
        // A gateway's own 502/503/504 (no error body) means it could not
        // reach the merchant server: as retryable as a refused connection.
        let kind = match status {
            502..=504 => TransportKind::Connect,
            _ => TransportKind::Protocol,
        };
        Error::transport(
            kind,
            format!("POST {path}: HTTP {status} without an error body of the kiosk API"),
        )
    };
    if body.len() > MAX_ANSWER_BYTES {
        return not_the_api();
    }
    let Ok(info) = serde_json::from_slice::<ErrorInfo>(body) else {
        return not_the_api();
    };
    if info.code.is_empty() {
        return not_the_api();
    }
    if spec(&info.code).is_some() {
        return Error::from_info(&bounded_info(info));
    }
    // `{"code", "message"}` of an older server: WeChat's code, relayed.
    Error::Backend {
        status: Some(status),
        code: code_token(&info.code),
        message: bounded(&info.message, MAX_MESSAGE_CHARS),
        detail: None,
        request_id: None,
    }
}

/// What a peer put in an [`ErrorInfo`], fit for an error: texts bounded and
/// without control characters, codes kept only when code-shaped
/// ([`code_token`]), a field name only when it looks like one.
fn bounded_info(info: ErrorInfo) -> ErrorInfo {
    let text = |s: Option<String>| s.map(|s| bounded(&s, MAX_MESSAGE_CHARS));
    let code = |s: Option<String>| s.map(|s| code_token(&s));
    ErrorInfo {
        message: bounded(&info.message, MAX_MESSAGE_CHARS),
        field: info.field.map(|f| {
            let ok = f.len() <= 64
                && f.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']'));
            if ok {
                f
            } else {
                "?".to_owned()
            }
        }),
        cmd: code(info.cmd),
        return_code: code(info.return_code),
        return_msg: text(info.return_msg),
        err_code: code(info.err_code),
        wechat_code: code(info.wechat_code),
        request_id: code(info.request_id),
        wechat_message: text(info.wechat_message),
        detail: info
            .detail
            .filter(|d| d.chars().count() <= MAX_DETAIL_CHARS && !d.contains(char::is_control)),
        ..info
    }
}

/// At most `max` characters, control characters as spaces.
fn bounded(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

// ----------------------------------------------------------------- the server

/// Decode a request body for `T::PATH`, as a server does before acting.
///
/// # Errors
/// [`Error::InvalidInput`] (the caller's fault: an HTTP 400 by
/// [`error_answer`]) for a body over [`MAX_REQUEST_BYTES`], one that is not
/// the JSON of `T` (naming the field and the rule, never a value), or one
/// that breaks [`Request::check`].
pub fn decode_request<T: Request>(body: &[u8]) -> Result<T> {
    let path = T::PATH;
    if body.len() > MAX_REQUEST_BYTES {
        return Err(Error::invalid(
            "body",
            format!("is larger than {MAX_REQUEST_BYTES} bytes"),
        ));
    }
    let request: T = crate::redact::from_slice("kiosk request", body).map_err(|e| match e {
        Error::Malformed { reason, .. } => Error::invalid(
            "body",
            format!("is not the JSON object of POST {path} ({reason})"),
        ),
        other => other,
    })?;
    request.check()?;
    Ok(request)
}

/// The 200 body of an answer.
pub fn encode_answer<T: Answer>(answer: &T) -> Vec<u8> {
    to_json(answer)
}

/// The HTTP status a server answers `e` with:
///
/// | error | status |
/// |---|---|
/// | `invalid_input` | 400 |
/// | `unauthenticated` | 401 |
/// | `backend`: HTTP 429, `FREQUENCY_LIMITED`, `RATELIMIT_EXCEEDED` | 429 |
/// | `backend`: HTTP 404, `NOT_FOUND`, `RESOURCE_NOT_EXISTS` | 404 |
/// | `backend`: HTTP 400 with `PARAM_ERROR` or `INVALID_REQUEST` | 400 |
/// | `transport` (`rate_limited`: the server's own limits) | 429 |
/// | `transport` (timeout) | 504 |
/// | `config`, `internal` | 500 |
/// | anything else (`backend`, `signature_*`, `decryption`, `malformed`, `transport`, …) | 502 |
pub fn error_status(e: &Error) -> u16 {
    match e {
        Error::InvalidInput { .. } => 400,
        Error::Unauthenticated(_) => 401,
        Error::Backend { status, code, .. } => match (status, code.as_str()) {
            (Some(429), _) | (_, "FREQUENCY_LIMITED" | "RATELIMIT_EXCEEDED") => 429,
            (Some(404), _) | (_, "NOT_FOUND" | "RESOURCE_NOT_EXISTS") => 404,
            (Some(400), "PARAM_ERROR" | "INVALID_REQUEST") => 400,
            _ => 502,
        },
        Error::Transport {
            kind: TransportKind::RateLimited,
            ..
        } => 429,
        Error::Transport {
            kind: TransportKind::Timeout,
            ..
        } => 504,
        Error::Config(_) | Error::Internal(_) => 500,
        _ => 502,
    }
}

/// The error answer for `e`: [`error_status`] and the JSON of
/// [`Error::info`].
pub fn error_answer(e: &Error) -> (u16, Vec<u8>) {
    (error_status(e), to_json(&e.info()))
}

/// JSON of a message. Serialising these types cannot fail (string keys, no
/// fallible `Serialize`), so the fallback — an empty body, which every
/// decoder refuses — is never taken.
fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realname::CredentialType;

    const NOW: UnixTime = UnixTime(1_700_000_000);

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap_or("<not UTF-8>")
    }

    /// Bytes out exactly as written, and the same value back in.
    fn round_trip<T>(value: &T, json: &str)
    where
        T: Serialize + DeserializeOwned + PartialEq + fmt::Debug,
    {
        assert_eq!(text(&to_json(value)), json);
        let back: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(&back, value);
    }

    fn masked() -> MaskedIdentity {
        MaskedIdentity {
            name: "张*三".into(),
            credential_type: CredentialType::IdCard,
            credential_id: "110***********1234".into(),
        }
    }

    #[test]
    fn paths_are_the_documented_ones() {
        assert_eq!(
            PATHS,
            ["/kiosk/authinfo", "/kiosk/verified", "/kiosk/real-name"]
        );
        assert_eq!(<AuthinfoRequest as Request>::PATH, AUTHINFO_PATH);
        assert_eq!(<AuthinfoAnswer as Answer>::PATH, AUTHINFO_PATH);
        assert_eq!(<VerifiedRequest as Request>::PATH, VERIFIED_PATH);
        assert_eq!(<VerifiedAnswer as Answer>::PATH, VERIFIED_PATH);
        assert_eq!(<RealNameRequest as Request>::PATH, REAL_NAME_PATH);
        assert_eq!(<RealNameAnswer as Answer>::PATH, REAL_NAME_PATH);
    }

    #[test]
    fn authinfo_request_round_trips() {
        let plain = AuthinfoRequest::new("RAW+/data==", "KIOSK-01");
        round_trip(
            &plain,
            r#"{"rawdata":"RAW+/data==","device_id":"KIOSK-01"}"#,
        );
        assert_eq!(
            text(&encode_authinfo_request(&plain)),
            r#"{"rawdata":"RAW+/data==","device_id":"KIOSK-01"}"#
        );
        let full = AuthinfoRequest {
            refresh: true,
            store_id: Some("STORE-1".into()),
            store_name: Some("门诊大厅".into()),
            attach: Some(serde_json::Value::String(r#"{"floor":1}"#.into())),
            ..plain.clone()
        };
        round_trip(
            &full,
            r#"{"rawdata":"RAW+/data==","device_id":"KIOSK-01","refresh":true,"store_id":"STORE-1","store_name":"门诊大厅","attach":"{\"floor\":1}"}"#,
        );
        assert_eq!(full.attach_text().as_deref(), Some(r#"{"floor":1}"#));
        // `refresh: false` and `null`s are read as absent.
        let r: AuthinfoRequest = decode_request(
            br#"{"rawdata":"R","device_id":"K","refresh":false,"store_id":null,"attach":null}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r, AuthinfoRequest::new("R", "K"));
        assert_eq!(r.attach_text(), None);
        // An object `attach` goes to WeChat Pay as its JSON text.
        let r: AuthinfoRequest =
            decode_request(br#"{"rawdata":"R","device_id":"K","attach":{"lane":3}}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.attach_text().as_deref(), Some(r#"{"lane":3}"#));
    }

    #[test]
    fn authinfo_answer_round_trips() {
        let a = AuthinfoAnswer::new("AUTH+/=", UnixTime(1_700_007_200), UnixTime(1_700_000_000));
        round_trip(
            &a,
            r#"{"authinfo":"AUTH+/=","expires_in":7200,"expires_at":1700007200}"#,
        );
        assert_eq!(
            text(&encode_answer(&a)),
            r#"{"authinfo":"AUTH+/=","expires_in":7200,"expires_at":1700007200}"#
        );
        let only_in = AuthinfoAnswer {
            authinfo: "A".into(),
            expires_in: Some(60),
            expires_at: None,
        };
        round_trip(&only_in, r#"{"authinfo":"A","expires_in":60}"#);
        let decoded: AuthinfoAnswer = decode_answer(200, br#"{"authinfo":"A","expires_in":60}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded, only_in);
    }

    #[test]
    fn verified_messages_round_trip() {
        let who = Recognised {
            face_sid: "sid-1".into(),
            openid: Some("o-1".into()),
            sub_openid: None,
        };
        let r = VerifiedRequest::from(&who);
        // `null`, not absent: the documented body.
        round_trip(
            &r,
            r#"{"openid":"o-1","sub_openid":null,"face_sid":"sid-1"}"#,
        );
        assert_eq!(
            text(&encode_verified_request(&r)),
            r#"{"openid":"o-1","sub_openid":null,"face_sid":"sid-1"}"#
        );
        // Absent ids are read as `null`.
        let r: VerifiedRequest =
            decode_request(br#"{"face_sid":"x"}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.openid, r.sub_openid), (None, None));
        round_trip(
            &VerifiedAnswer {
                already_verified: true,
            },
            r#"{"already_verified":true}"#,
        );
        round_trip(
            &VerifiedAnswer {
                already_verified: false,
            },
            r#"{"already_verified":false}"#,
        );
    }

    #[test]
    fn real_name_messages_round_trip() {
        let r = RealNameRequest {
            face_sid: "sid-1".into(),
            device_id: "KIOSK-01".into(),
        };
        round_trip(&r, r#"{"face_sid":"sid-1","device_id":"KIOSK-01"}"#);
        assert_eq!(
            text(&encode_real_name_request(&r)),
            r#"{"face_sid":"sid-1","device_id":"KIOSK-01"}"#
        );
        let a = RealNameAnswer {
            identity: masked(),
            patient_id: Some("P000123".into()),
        };
        round_trip(
            &a,
            r#"{"identity":{"name":"张*三","credential_type":1,"credential_id":"110***********1234"},"patient_id":"P000123"}"#,
        );
        let decoded: RealNameAnswer = decode_answer(
            200,
            r#"{"identity":{"name":"张*三","credential_type":1,"credential_id":"110***********1234"}}"#
                .as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded.identity, masked());
        assert_eq!(decoded.patient_id, None);
    }

    #[test]
    fn debug_redacts_credentials() {
        let shown = format!(
            "{:?} {:?} {:?} {:?}",
            AuthinfoRequest::new("RAWDATA-SECRET", "K"),
            AuthinfoAnswer::new("AUTHINFO-SECRET", NOW, NOW),
            VerifiedRequest {
                openid: Some("OPENID-SECRET".into()),
                sub_openid: Some("SUB-SECRET".into()),
                face_sid: "FACESID-SECRET".into(),
            },
            RealNameRequest {
                face_sid: "FACESID-SECRET".into(),
                device_id: "K".into(),
            },
        );
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("[redacted, 14 chars]"), "{shown}");
    }

    #[test]
    fn a_relayed_wechat_error_arrives_as_backend() {
        let sent = Error::Backend {
            status: Some(500),
            code: "SYSTEM_ERROR".into(),
            message: "系统繁忙,请稍后重试".into(),
            detail: None,
            request_id: None,
        };
        let (status, body) = error_answer(&sent);
        assert_eq!(status, 502);
        assert_eq!(
            text(&body),
            r#"{"code":"backend","kind":"backend","message":"WeChat Pay answered HTTP 500 SYSTEM_ERROR: 系统繁忙,请稍后重试","retryable":true,"status":500,"wechat_code":"SYSTEM_ERROR","wechat_message":"系统繁忙,请稍后重试"}"#
        );
        let got = decode_answer::<VerifiedAnswer>(status, &body).expect_err("an error");
        assert_eq!(got, sent);
        assert_eq!(got.wechat_code(), Some("SYSTEM_ERROR"));
        assert!(got.is_retryable());
        // v2: no WeChat status; the merchant server's 502 is not taken for it.
        let v2 = Error::Backend {
            status: None,
            code: "FAIL".into(),
            message: "invalid rawdata".into(),
            detail: None,
            request_id: None,
        };
        let (status, body) = error_answer(&v2);
        let got = decode_answer::<AuthinfoAnswer>(status, &body).expect_err("an error");
        assert_eq!(got, v2);
        assert!(!got.is_retryable());
    }

    #[test]
    fn every_error_body_decodes_to_the_error_it_describes() {
        for e in [
            Error::invalid("device_id", "must be at most 32 characters"),
            Error::signature(
                crate::SignatureFailure::Mismatch,
                "answer not signed by WeChat",
            ),
            Error::Decryption,
            Error::Config("no private key".into()),
            Error::transport(TransportKind::Timeout, "GET /v3/facemch/users: no answer"),
            Error::Internal("registry offline".into()),
        ] {
            let (status, body) = error_answer(&e);
            let got = decode_answer::<RealNameAnswer>(status, &body).expect_err("an error");
            assert_eq!(got, e, "{}", text(&body));
        }
    }

    #[test]
    fn old_error_bodies_are_read() {
        // A WeChat code relayed by an older server.
        let e = decode_answer::<AuthinfoAnswer>(
            403,
            r#"{"code":"NO_AUTH","message":"商户无权限"}"#.as_bytes(),
        )
        .expect_err("an error");
        assert_eq!(
            e,
            Error::Backend {
                status: Some(403),
                code: "NO_AUTH".into(),
                message: "商户无权限".into(),
                detail: None,
                request_id: None,
            }
        );
        // A code of the catalogue, as the older server sent its own.
        let e = decode_answer::<AuthinfoAnswer>(
            400,
            br#"{"code":"invalid_input","message":"the request body is not the expected JSON object"}"#,
        )
        .expect_err("an error");
        assert_eq!(e.code(), "invalid_input");
        // A code that is not code-shaped is not passed on.
        let e = decode_answer::<AuthinfoAnswer>(500, br#"{"code":"110105 19491231","message":""}"#)
            .expect_err("an error");
        assert_eq!(e.wechat_code(), Some(crate::redact::UNRECOGNISED_CODE));
    }

    #[test]
    fn error_bodies_are_bounded() {
        let long = "长".repeat(5000);
        let body = serde_json::json!({
            "code": "backend", "kind": "backend", "message": long, "retryable": false,
            "status": 503, "wechat_code": "A B", "wechat_message": format!("a\nb{long}"),
            "detail": "x".repeat(5000),
        });
        let e = decode_answer::<VerifiedAnswer>(502, body.to_string().as_bytes())
            .expect_err("an error");
        let Error::Backend {
            status,
            code,
            message,
            detail,
            ..
        } = e
        else {
            panic!("not backend: {e:?}");
        };
        assert_eq!(status, Some(503));
        assert_eq!(code, crate::redact::UNRECOGNISED_CODE);
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS);
        assert!(message.starts_with("a b"), "{message}");
        assert_eq!(detail, None);
    }

    #[test]
    fn a_status_without_an_error_body_is_a_transport_error() {
        for (status, body) in [
            (502, &b"<html><body>502 Bad Gateway</body></html>"[..]),
            (404, b""),
            (500, b"[1, 2]"),
            (503, br#"{"message":"no code"}"#),
            (400, br#"{"code":42}"#),
            (301, b"moved"),
        ] {
            let e = decode_answer::<VerifiedAnswer>(status, body).expect_err("an error");
            // A gateway's 502-504: the server could not be reached (retry).
            let want = if (502..=504).contains(&status) {
                TransportKind::Connect
            } else {
                TransportKind::Protocol
            };
            assert_eq!(e.is_retryable(), want == TransportKind::Connect, "{e:?}");
            match &e {
                Error::Transport { kind, detail } if *kind == want => {
                    assert!(detail.contains(&format!("HTTP {status}")), "{detail}");
                    assert!(detail.contains(VERIFIED_PATH), "{detail}");
                    assert!(!detail.contains("html"), "{detail}");
                }
                other => panic!("{status}: {other:?}"),
            }
            assert_eq!(e.wechat_code(), None);
            assert!(!e.to_string().contains("WeChat"), "{e}");
        }
    }

    #[test]
    fn a_2xx_answer_that_is_not_json_is_a_transport_error() {
        for body in [
            &b"<html>hello</html>"[..],
            b"",
            b"{\"already_verified\": tru",
        ] {
            let e = decode_answer::<VerifiedAnswer>(200, body).expect_err("an error");
            assert!(
                matches!(
                    e,
                    Error::Transport {
                        kind: TransportKind::Protocol,
                        ..
                    }
                ),
                "{e:?}"
            );
            assert!(!e.to_string().contains("html"), "{e}");
        }
        // JSON, but not the message: malformed, naming the path and field.
        let e = decode_answer::<RealNameAnswer>(
            200,
            r#"{"identity":{"name":"张*三","credential_type":"11010519491231002X","credential_id":"110***********1234"}}"#
                .as_bytes(),
        )
        .expect_err("an error");
        assert_eq!(e.code(), "malformed");
        let shown = format!("{e} {e:?}");
        assert!(shown.contains(REAL_NAME_PATH), "{shown}");
        assert!(shown.contains("credential_type"), "{shown}");
        assert!(
            !shown.contains("11010519491231002X") && !shown.contains('张'),
            "{shown}"
        );
        for body in [&br#"{"authinfo":""}"#[..], br#"{"expires_in":60}"#, b"[]"] {
            let e = decode_answer::<AuthinfoAnswer>(200, body).expect_err("an error");
            assert_eq!(e.code(), "malformed", "{}", text(body));
        }
        let long = format!(r#"{{"authinfo":"{}","expires_in":60}}"#, "x".repeat(4097));
        let e = decode_answer::<AuthinfoAnswer>(200, long.as_bytes()).expect_err("an error");
        assert_eq!(e.code(), "malformed");
    }

    #[test]
    fn oversize_answers_and_requests_are_refused() {
        let big = format!(
            r#"{{"authinfo":"{}","expires_in":60}}"#,
            "x".repeat(MAX_ANSWER_BYTES)
        );
        for status in [200, 500] {
            let e = decode_answer::<AuthinfoAnswer>(status, big.as_bytes()).expect_err("oversize");
            assert_eq!(e.code(), "malformed", "{status}");
            assert!(e.to_string().contains("larger than"), "{e}");
        }
        let big = format!(
            r#"{{"rawdata":"{}","device_id":"K"}}"#,
            "x".repeat(MAX_REQUEST_BYTES)
        );
        let e = decode_request::<AuthinfoRequest>(big.as_bytes()).expect_err("oversize");
        assert_eq!((e.code(), error_status(&e)), ("invalid_input", 400));
    }

    #[test]
    fn unmasked_identities_are_refused_without_quoting_them() {
        for (name, id, field) in [
            ("张小三", "11010519491231002X", "identity.name"),
            ("张*三", "11010519491231002X", "identity.credential_id"),
            ("李", "110***********1234", "identity.name"),
            ("张*三", "1101051949123***2X", "identity.credential_id"),
            ("", "110***********1234", "identity.name"),
        ] {
            let body = serde_json::json!({
                "identity": {"name": name, "credential_type": 1, "credential_id": id},
                "patient_id": "P1",
            })
            .to_string();
            let e = decode_answer::<RealNameAnswer>(200, body.as_bytes()).expect_err("refused");
            assert_eq!(e.code(), "malformed", "{name} {id}");
            let shown = format!("{e} {e:?}");
            assert!(shown.contains(field), "{shown}");
            assert!(shown.contains("not masked"), "{shown}");
            assert!(
                !shown.contains("110105") && !shown.contains("1949"),
                "{shown}"
            );
            if name.chars().any(|c| c != '*') {
                assert!(!shown.contains(name), "{shown}");
            }
        }
        // What the core's own masks make always passes.
        for (name, id) in [
            ("张三", "E12345678"),
            ("张小三", "11010519491231002X"),
            ("欧阳小明", "1234"),
            ("李", "123"),
            ("阿卜杜热依木·阿卜杜克热木", "南字第1234567号"),
        ] {
            let identity = MaskedIdentity {
                name: crate::realname::mask_name(name),
                credential_type: CredentialType::Other,
                credential_id: crate::realname::mask_credential_id(id),
            };
            assert_eq!(identity.check_masked(), Ok(()), "{identity:?}");
        }
    }

    #[test]
    fn requests_are_checked_and_refusals_never_quote_the_body() {
        let e =
            decode_request::<AuthinfoRequest>(br#"{"rawdata": 12, "secret""#).expect_err("refused");
        assert_eq!((e.code(), error_status(&e)), ("invalid_input", 400));
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(e.to_string().contains(AUTHINFO_PATH), "{e}");
        let e = decode_request::<RealNameRequest>(br#"{"device_id":"K"}"#).expect_err("refused");
        assert!(e.to_string().contains("face_sid"), "{e}");
        let e = decode_request::<RealNameRequest>(
            br#"{"face_sid":"f","device_id":"KIOSK\n2026-12-03T00:00:00Z  INFO forged"}"#,
        )
        .expect_err("refused");
        assert_eq!(
            e,
            Error::invalid(
                "device_id",
                "must be at most 32 characters without control characters"
            )
        );
        let long = format!(r#"{{"face_sid":"f","device_id":"{}"}}"#, "D".repeat(33));
        assert!(decode_request::<RealNameRequest>(long.as_bytes()).is_err());
        assert!(decode_request::<VerifiedRequest>(b"{}").is_err());
        assert_eq!(
            decode_request::<VerifiedRequest>(br#"{"openid":"o1","face_sid":""}"#),
            Err(Error::invalid("face_sid", "must not be empty"))
        );
        let spec_table = decode_request::<VerifiedRequest>(br#"{"face_sid":"fs"}"#);
        assert_eq!(spec_table.map(|r| r.openid), Ok(None));
        assert!(decode_request::<VerifiedRequest>(b"[]").is_err());
    }

    #[test]
    fn the_servers_own_rate_limit_comes_back_as_itself_and_is_retryable() {
        let e = Error::transport(TransportKind::RateLimited, "retry after 2 s");
        let (status, body) = error_answer(&e);
        assert_eq!(status, 429);
        let back = decode_error_body(AUTHINFO_PATH, status, &body);
        assert_eq!(back, e);
        assert!(back.is_retryable());
        assert_eq!(back.info().transport_kind.as_deref(), Some("rate_limited"));
    }

    #[test]
    fn statuses_follow_the_table() {
        let backend = |status: Option<u16>, code: &str| Error::Backend {
            status,
            code: code.into(),
            message: String::new(),
            detail: None,
            request_id: None,
        };
        for (e, want) in [
            (Error::invalid("x", "y"), 400),
            (backend(Some(429), "ANY"), 429),
            (backend(None, "FREQUENCY_LIMITED"), 429),
            (backend(Some(403), "RATELIMIT_EXCEEDED"), 429),
            (backend(Some(404), "ANY"), 404),
            (backend(None, "RESOURCE_NOT_EXISTS"), 404),
            (backend(Some(400), "PARAM_ERROR"), 400),
            (backend(Some(400), "SIGN_ERROR"), 502),
            (backend(Some(500), "SYSTEM_ERROR"), 502),
            (backend(None, "FAIL"), 502),
            (Error::transport(TransportKind::Timeout, "t"), 504),
            (Error::transport(TransportKind::RateLimited, "r"), 429),
            (Error::transport(TransportKind::Connect, "c"), 502),
            (Error::Config("c".into()), 500),
            (Error::Internal("i".into()), 500),
            (Error::Decryption, 502),
            (Error::malformed("users answer", "x"), 502),
            (
                Error::signature(crate::SignatureFailure::Mismatch, "d"),
                502,
            ),
        ] {
            assert_eq!(error_status(&e), want, "{e:?}");
        }
    }

    #[test]
    fn expiry_from_expires_in_only() {
        let a = AuthinfoAnswer {
            authinfo: "A".into(),
            expires_in: Some(600),
            expires_at: None,
        };
        assert_eq!(
            a.expiry(NOW),
            Ok(AuthinfoExpiry {
                expires_at: NOW.plus(600),
                reuse_until: NOW.plus(600),
            })
        );
    }

    #[test]
    fn expiry_from_expires_at_only() {
        let a = AuthinfoAnswer {
            authinfo: "A".into(),
            expires_in: None,
            expires_at: Some(NOW.as_secs() + 60),
        };
        assert_eq!(
            a.expiry(NOW),
            Ok(AuthinfoExpiry {
                expires_at: NOW.plus(60),
                reuse_until: NOW.plus(60),
            })
        );
    }

    #[test]
    fn expiry_prefers_expires_in_on_the_kiosk_clock() {
        // The server's clock is an hour behind: its `expires_at` would be
        // wrong here, its `expires_in` is not.
        let a = AuthinfoAnswer {
            authinfo: "A".into(),
            expires_in: Some(600),
            expires_at: Some(NOW.as_secs() - 3600 + 600),
        };
        assert_eq!(a.expiry(NOW).map(|e| e.expires_at), Ok(NOW.plus(600)));
        // `expires_in: 0` falls back to `expires_at`.
        let a = AuthinfoAnswer {
            expires_in: Some(0),
            expires_at: Some(NOW.as_secs() + 30),
            ..a
        };
        assert_eq!(a.expiry(NOW).map(|e| e.expires_at), Ok(NOW.plus(30)));
    }

    #[test]
    fn expiry_in_the_past_is_kept_and_never_reused() {
        let a = AuthinfoAnswer {
            authinfo: "A".into(),
            expires_in: None,
            expires_at: Some(NOW.as_secs() - 10),
        };
        let e = a.expiry(NOW).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.expires_at, NOW.minus(10));
        assert!(e.reuse_until < NOW);
        // The server side of a past expiry: `expires_in` 0, which the kiosk
        // reads as absent.
        let server = AuthinfoAnswer::new("A", NOW.minus(10), NOW);
        assert_eq!(server.expires_in, Some(0));
        assert_eq!(server.expiry(NOW).map(|e| e.expires_at), Ok(NOW.minus(10)));
    }

    #[test]
    fn expiry_beyond_the_cap_is_reused_for_at_most_the_cap() {
        let a = AuthinfoAnswer::new("A", NOW.plus(7200), NOW);
        assert_eq!(
            a.expiry(NOW),
            Ok(AuthinfoExpiry {
                expires_at: NOW.plus(7200),
                reuse_until: NOW.plus(MAX_AUTHINFO_REUSE_SECS),
            })
        );
        // Absurd values saturate instead of wrapping.
        let a = AuthinfoAnswer {
            authinfo: "A".into(),
            expires_in: Some(u64::MAX),
            expires_at: None,
        };
        assert_eq!(
            a.expiry(NOW),
            Ok(AuthinfoExpiry {
                expires_at: UnixTime(u64::MAX),
                reuse_until: NOW.plus(MAX_AUTHINFO_REUSE_SECS),
            })
        );
    }

    #[test]
    fn expiry_needs_one_positive_field() {
        for (expires_in, expires_at) in [(None, None), (Some(0), None), (Some(0), Some(0))] {
            let a = AuthinfoAnswer {
                authinfo: "A".into(),
                expires_in,
                expires_at,
            };
            assert_eq!(a.expiry(NOW).map_err(|e| e.code()), Err("malformed"));
        }
    }
}
