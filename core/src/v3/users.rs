//! `GET /v3/facemch/users/{face_sid}`: the identity query.
//!
//! [`UsersQuery`] builds the request (and, for the sandbox, parses one);
//! [`FaceUser`] is the answer; [`handle_users_response`] turns an HTTP answer
//! into either a verified [`FaceUser`] or a typed error.

use std::fmt;

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::verify::ResponseVerifier;
use crate::error::{Error, Result};
use crate::http::{Endpoint, Headers, HttpRequest, Method};
use crate::realname::CredentialType;
use crate::time::UnixTime;

/// Path prefix of the endpoint; the percent-encoded `face_sid` follows.
pub const USERS_PATH_PREFIX: &str = "/v3/facemch/users/";

/// Largest answer body parsed, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Longest `face_sid` accepted, in bytes.
pub const MAX_FACE_SID_BYTES: usize = 256;

/// Everything but RFC 3986 unreserved characters is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What the query asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum InfoType {
    /// `ASK_REAL_NAME`: encrypted name and credential number.
    AskRealName,
    /// `ASK_UNIONID`: the union id.
    AskUnionId,
}

// By hand, not `named_enum!`: `FromStr` also accepts the source document's
// spelling `ASK_UNION_ID`.
impl InfoType {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[Self::AskRealName, Self::AskUnionId];

    /// The wire value sent as `info_type`: `ASK_REAL_NAME` or `ASK_UNIONID`
    /// (WeChat's API reference spelling; the source document writes
    /// `ASK_UNION_ID`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AskRealName => "ASK_REAL_NAME",
            Self::AskUnionId => "ASK_UNIONID",
        }
    }
}

impl fmt::Display for InfoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Accepts [`InfoType::as_str`] exactly, and `ASK_UNION_ID` for
/// [`InfoType::AskUnionId`].
impl std::str::FromStr for InfoType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "ASK_REAL_NAME" => Ok(Self::AskRealName),
            "ASK_UNIONID" | "ASK_UNION_ID" => Ok(Self::AskUnionId),
            _ => Err(Error::invalid(
                "info_type",
                "must be `ASK_REAL_NAME` or `ASK_UNIONID`",
            )),
        }
    }
}

/// The identity query.
#[derive(Clone, PartialEq, Eq)]
pub struct UsersQuery {
    /// `face_sid` from `getWxpayfaceCode` (path parameter).
    pub face_sid: String,
    /// What to ask for.
    pub info_type: InfoType,
    /// The (provider's) appid.
    pub appid: String,
    /// Provider mode: the sub-merchant id.
    pub sub_mchid: Option<String>,
    /// The sub-merchant's appid (then `sub_openid` is answered).
    pub sub_appid: Option<String>,
    /// Provider mode with `ASK_REAL_NAME`: the sub-merchant's certificate
    /// serial, whose key encrypts the answer.
    pub sub_serial_no: Option<String>,
}

impl fmt::Debug for UsersQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `face_sid` is the credential of this very query.
        f.debug_struct("UsersQuery")
            .field("face_sid", &crate::redact::Redacted(&self.face_sid))
            .field("info_type", &self.info_type)
            .field("appid", &self.appid)
            .field("sub_mchid", &self.sub_mchid)
            .field("sub_appid", &self.sub_appid)
            .field("sub_serial_no", &self.sub_serial_no)
            .finish()
    }
}

fn check_value(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(Error::invalid(field, format!("is longer than {max} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(())
}

fn check_ascii_id(field: &'static str, value: &str, max: usize) -> Result<()> {
    check_value(field, value, max)?;
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::invalid(
            field,
            "must be ASCII letters, digits, `_` or `-`",
        ));
    }
    Ok(())
}

impl UsersQuery {
    /// A direct-merchant query.
    pub fn new(face_sid: impl Into<String>, info_type: InfoType, appid: impl Into<String>) -> Self {
        Self {
            face_sid: face_sid.into(),
            info_type,
            appid: appid.into(),
            sub_mchid: None,
            sub_appid: None,
            sub_serial_no: None,
        }
    }

    /// Check the field rules, including provider mode: with `sub_mchid` set,
    /// `ASK_REAL_NAME` needs `sub_serial_no` (the real-name data must be
    /// encrypted for the sub-merchant, never for the provider).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        check_value("face_sid", &self.face_sid, MAX_FACE_SID_BYTES)?;
        check_ascii_id("appid", &self.appid, 32)?;
        if let Some(v) = &self.sub_mchid {
            check_ascii_id("sub_mchid", v, 32)?;
        }
        if let Some(v) = &self.sub_appid {
            check_ascii_id("sub_appid", v, 32)?;
        }
        if let Some(v) = &self.sub_serial_no {
            check_ascii_id("sub_serial_no", v, 64)?;
        }
        if self.sub_mchid.is_some()
            && self.info_type == InfoType::AskRealName
            && self.sub_serial_no.is_none()
        {
            return Err(Error::invalid(
                "sub_serial_no",
                "is required in provider mode (sub_mchid set) with ASK_REAL_NAME",
            ));
        }
        if self.sub_mchid.is_none() && self.sub_serial_no.is_some() {
            return Err(Error::invalid(
                "sub_serial_no",
                "is only meaningful in provider mode (set sub_mchid)",
            ));
        }
        Ok(())
    }

    /// The path with its query: `/v3/facemch/users/{face_sid}?info_type=…&appid=…`
    /// then `sub_mchid`, `sub_appid`, `sub_serial_no` when set.
    ///
    /// # Errors
    /// As [`Self::validate`].
    pub fn path_and_query(&self) -> Result<String> {
        self.validate()?;
        let mut s = format!(
            "{USERS_PATH_PREFIX}{}?info_type={}&appid={}",
            utf8_percent_encode(&self.face_sid, COMPONENT),
            self.info_type.as_str(),
            utf8_percent_encode(&self.appid, COMPONENT),
        );
        for (k, v) in [
            ("sub_mchid", &self.sub_mchid),
            ("sub_appid", &self.sub_appid),
            ("sub_serial_no", &self.sub_serial_no),
        ] {
            if let Some(v) = v {
                s.push('&');
                s.push_str(k);
                s.push('=');
                s.extend(utf8_percent_encode(v, COMPONENT));
            }
        }
        Ok(s)
    }

    /// The unsigned request (sign it with
    /// [`MerchantSigner::sign_request`](super::sign::MerchantSigner::sign_request)).
    ///
    /// # Errors
    /// As [`Self::validate`].
    pub fn to_request(&self) -> Result<HttpRequest> {
        Ok(HttpRequest {
            endpoint: Endpoint::ApiMch,
            method: Method::Get,
            path_and_query: self.path_and_query()?,
            headers: Vec::new(),
            body: Vec::new(),
        })
    }

    /// Parse a request target the way WeChat Pay would (the sandbox's side).
    /// Unknown query parameters are ignored; repeated ones are refused.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a wrong path, bad percent-encoding, a
    /// missing or repeated parameter, or a field rule of [`Self::validate`].
    pub fn from_path_and_query(path_and_query: &str) -> Result<Self> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let raw_sid = path
            .strip_prefix(USERS_PATH_PREFIX)
            .ok_or_else(|| Error::invalid("path", "must start with /v3/facemch/users/"))?;
        if raw_sid.contains('/') {
            return Err(Error::invalid("face_sid", "must be a single path segment"));
        }
        let face_sid = decode_component("face_sid", raw_sid)?;
        let mut info_type = None;
        let mut appid = None;
        let mut sub_mchid = None;
        let mut sub_appid = None;
        let mut sub_serial_no = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match k {
                "info_type" => &mut info_type,
                "appid" => &mut appid,
                "sub_mchid" => &mut sub_mchid,
                "sub_appid" => &mut sub_appid,
                "sub_serial_no" => &mut sub_serial_no,
                _ => continue,
            };
            if slot.is_some() {
                return Err(Error::invalid("query", format!("`{k}` appears twice")));
            }
            *slot = Some(decode_component("query", v)?);
        }
        let info_type: InfoType = info_type
            .ok_or_else(|| Error::invalid("info_type", "is required"))?
            .parse()?;
        let q = Self {
            face_sid,
            info_type,
            appid: appid.ok_or_else(|| Error::invalid("appid", "is required"))?,
            sub_mchid,
            sub_appid,
            sub_serial_no,
        };
        q.validate()?;
        Ok(q)
    }
}

fn decode_component(field: &'static str, raw: &str) -> Result<String> {
    let b = raw.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'%'
            && !(i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit())
        {
            return Err(Error::invalid(field, "has a broken percent-escape"));
        }
    }
    percent_decode_str(raw)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| Error::invalid(field, "is not UTF-8 after percent-decoding"))
}

/// The encrypted real-name part of a **verified** answer: the only input a
/// [`Decryptor`](crate::decrypt::Decryptor) accepts.
///
/// There is no public constructor, no public field and no deserialiser: the
/// value exists only inside a [`FaceUser`] returned by
/// [`handle_users_response`] or [`SignedAnswer::verify`], after the answer's
/// signature checked out. Ciphertexts from anywhere else cannot reach the
/// decryptor, so nobody can use it as a decryption oracle.
///
/// ```compile_fail
/// // Fields are private: an EncryptedRealName cannot be made up.
/// let enc = wxface_core::v3::EncryptedRealName {
///     encrypted_real_name: String::new(),
///     credential_type: wxface_core::realname::CredentialType::IdCard,
///     encrypted_credential_id: String::new(),
/// };
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedRealName {
    encrypted_real_name: String,
    credential_type: CredentialType,
    encrypted_credential_id: String,
}

impl EncryptedRealName {
    /// The credential type the answer announced (not secret).
    pub fn credential_type(&self) -> CredentialType {
        self.credential_type
    }

    /// The base64 ciphertexts and the type, for the decryptor.
    pub(crate) fn ciphertexts(&self) -> (&str, CredentialType, &str) {
        (
            &self.encrypted_real_name,
            self.credential_type,
            &self.encrypted_credential_id,
        )
    }
}

impl fmt::Debug for EncryptedRealName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedRealName")
            .field("encrypted_real_name_len", &self.encrypted_real_name.len())
            .field("credential_type", &self.credential_type)
            .field(
                "encrypted_credential_id_len",
                &self.encrypted_credential_id.len(),
            )
            .finish()
    }
}

/// The verified answer of the identity query.
///
/// Made only by [`handle_users_response`] and [`SignedAnswer::verify`]; its
/// `real_name` can hold only an [`EncryptedRealName`] from such an answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaceUser {
    /// The user's openid under the merchant's appid.
    pub openid: Option<String>,
    /// The user's openid under `sub_appid` (when it was sent).
    pub sub_openid: Option<String>,
    /// The union id (`ASK_UNIONID`).
    pub union_id: Option<String>,
    /// The encrypted identity (`ASK_REAL_NAME`).
    pub real_name: Option<EncryptedRealName>,
}

fn opt_string(obj: &serde_json::Map<String, Value>, key: &'static str) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::malformed(
            "facemch users answer",
            format!("`{key}` is not a string"),
        )),
    }
}

fn credential_type(v: &Value) -> Result<CredentialType> {
    let code = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s)
            if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.parse().ok()
        }
        _ => None,
    };
    code.map(CredentialType::from_code).ok_or_else(|| {
        Error::malformed(
            "facemch users answer",
            "`credential_type` is not an integer",
        )
    })
}

fn real_name_from(obj: &serde_json::Map<String, Value>) -> Result<Option<EncryptedRealName>> {
    let name = opt_string(obj, "encrypted_real_name")?;
    let id = opt_string(obj, "encrypted_credential_id")?;
    let ty = obj.get("credential_type").filter(|v| !v.is_null());
    match (name, ty, id) {
        (None, None, None) => Ok(None),
        (Some(encrypted_real_name), Some(ty), Some(encrypted_credential_id)) => {
            Ok(Some(EncryptedRealName {
                encrypted_real_name,
                credential_type: credential_type(ty)?,
                encrypted_credential_id,
            }))
        }
        _ => Err(Error::malformed(
            "facemch users answer",
            "real-name info needs `encrypted_real_name`, `credential_type` and `encrypted_credential_id` together",
        )),
    }
}

impl FaceUser {
    /// Parse an answer body whose signature verified. The real-name fields
    /// may be nested in `real_name_info` or sit at the top level; unknown
    /// fields are ignored. Crate-private: an unverified body never becomes a
    /// `FaceUser`.
    ///
    /// # Errors
    /// [`Error::Malformed`] for oversize, non-JSON, non-object bodies or
    /// fields of the wrong type.
    pub(crate) fn from_json(body: &[u8]) -> Result<Self> {
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(Error::malformed(
                "facemch users answer",
                format!("body is larger than {MAX_RESPONSE_BYTES} bytes"),
            ));
        }
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| Error::malformed("facemch users answer", "body is not JSON"))?;
        let Value::Object(obj) = v else {
            return Err(Error::malformed(
                "facemch users answer",
                "body is not a JSON object",
            ));
        };
        let real_name = match obj.get("real_name_info") {
            None | Some(Value::Null) => real_name_from(&obj)?,
            Some(Value::Object(inner)) => {
                if real_name_from(&obj)?.is_some() {
                    return Err(Error::malformed(
                        "facemch users answer",
                        "real-name info is both nested and flat",
                    ));
                }
                real_name_from(inner)?
            }
            Some(_) => {
                return Err(Error::malformed(
                    "facemch users answer",
                    "`real_name_info` is not an object",
                ))
            }
        };
        Ok(Self {
            openid: opt_string(&obj, "openid")?,
            sub_openid: opt_string(&obj, "sub_openid")?,
            union_id: opt_string(&obj, "union_id")?,
            real_name,
        })
    }
}

/// Longest message text kept from a non-JSON error body, in characters.
const MAX_ERROR_TEXT: usize = 200;

/// Turn an APIv3 error answer (`{"code", "message", "detail"}`) into
/// [`Error::Backend`]. A JSON object without a usable `code` gives code
/// `HTTP_<status>` with its `message` and `detail`; other JSON, none of its
/// values. A body that is not JSON (a proxy's HTML page) still gives a
/// Backend error, with code `HTTP_<status>` and a short, cleaned excerpt of
/// the text. The other fields of a JSON answer never become its message.
pub fn parse_error_body(status: u16, body: &[u8]) -> Error {
    let parsed = (body.len() <= MAX_RESPONSE_BYTES)
        .then(|| serde_json::from_slice::<Value>(body).ok())
        .flatten();
    if let Some(parsed) = parsed {
        let Value::Object(obj) = parsed else {
            return Error::Backend {
                status: Some(status),
                code: format!("HTTP_{status}"),
                message: String::new(),
                detail: None,
                request_id: None,
            };
        };
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let code = text("code").filter(|c| !c.is_empty());
        return Error::Backend {
            status: Some(status),
            code: code.map_or_else(
                || format!("HTTP_{status}"),
                |c| crate::redact::code_token(&c),
            ),
            message: text("message").unwrap_or_default(),
            detail: obj
                .get("detail")
                .filter(|d| !d.is_null())
                .map(Value::to_string),
            request_id: None,
        };
    }
    let excerpt: String = String::from_utf8_lossy(&body[..body.len().min(4 * MAX_ERROR_TEXT)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ERROR_TEXT)
        .collect();
    Error::Backend {
        status: Some(status),
        code: format!("HTTP_{status}"),
        message: excerpt.trim().to_owned(),
        detail: None,
        request_id: None,
    }
}

/// Handle the HTTP answer of the identity query: a non-2xx status becomes a
/// typed [`Error::Backend`] (whether or not it is signed); a 2xx answer is
/// verified first (missing signature headers are an error) and then parsed.
///
/// # Errors
/// [`Error::Backend`], [`Error::Signature`], [`Error::Malformed`].
pub fn handle_users_response(
    verifier: &ResponseVerifier,
    status: u16,
    headers: &dyn Headers,
    body: &[u8],
    now: UnixTime,
) -> Result<FaceUser> {
    if !(200..300).contains(&status) {
        return Err(parse_error_body(status, body));
    }
    verifier.verify(status, headers, body, now)?;
    FaceUser::from_json(body)
}

/// The real-name fields of an answer body that was **not** verified, for
/// the `local-decrypt` troubleshooting tools only.
#[cfg(feature = "local-decrypt")]
pub(crate) fn unverified_real_name_fields(body: &[u8]) -> Result<Option<EncryptedRealName>> {
    Ok(FaceUser::from_json(body)?.real_name)
}

/// Parse an answer body as [`handle_users_response`] does after the
/// signature checked out, **without** the real-name fields: the shape of
/// the body (openid, union_id, whether real-name fields are present and well
/// formed) can be inspected, nothing can be decrypted. For conformance
/// tests and tools.
///
/// # Errors
/// As [`handle_users_response`]'s parsing: [`Error::Malformed`].
pub fn inspect_users_body(body: &[u8]) -> Result<(FaceUser, Option<CredentialType>)> {
    let mut user = FaceUser::from_json(body)?;
    let ty = user.real_name.take().map(|r| r.credential_type);
    Ok((user, ty))
}

/// Largest forwarded answer accepted by [`SignedAnswer::from_json`], in bytes
/// (the body limit plus room for headers and escaping).
pub const MAX_SIGNED_ANSWER_BYTES: usize = 2 * MAX_RESPONSE_BYTES + 4096;

/// The signature headers of an APIv3 answer, each at most once.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureHeaders {
    /// `Wechatpay-Timestamp`.
    #[serde(
        rename = "Wechatpay-Timestamp",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<String>,
    /// `Wechatpay-Nonce`.
    #[serde(
        rename = "Wechatpay-Nonce",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub nonce: Option<String>,
    /// `Wechatpay-Signature`.
    #[serde(
        rename = "Wechatpay-Signature",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub signature: Option<String>,
    /// `Wechatpay-Serial`.
    #[serde(
        rename = "Wechatpay-Serial",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub serial: Option<String>,
    /// `Wechatpay-Signature-Type`, when the answer carried it.
    #[serde(
        rename = "Wechatpay-Signature-Type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub signature_type: Option<String>,
}

impl SignatureHeaders {
    /// Collect the signature headers from any header list. A header that
    /// appears twice is refused: which copy WeChat Pay meant is unknowable.
    ///
    /// # Errors
    /// [`Error::Signature`] (`Malformed`) naming the repeated header.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        use super::verify::{
            HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_SIGNATURE_TYPE, HEADER_TIMESTAMP,
        };
        let mut h = Self::default();
        for (name, value) in pairs {
            let (slot, canonical) = if name.eq_ignore_ascii_case(HEADER_TIMESTAMP) {
                (&mut h.timestamp, HEADER_TIMESTAMP)
            } else if name.eq_ignore_ascii_case(HEADER_NONCE) {
                (&mut h.nonce, HEADER_NONCE)
            } else if name.eq_ignore_ascii_case(HEADER_SIGNATURE) {
                (&mut h.signature, HEADER_SIGNATURE)
            } else if name.eq_ignore_ascii_case(HEADER_SERIAL) {
                (&mut h.serial, HEADER_SERIAL)
            } else if name.eq_ignore_ascii_case(HEADER_SIGNATURE_TYPE) {
                (&mut h.signature_type, HEADER_SIGNATURE_TYPE)
            } else {
                continue;
            };
            if slot.is_some() {
                return Err(Error::signature(
                    crate::error::SignatureFailure::Malformed,
                    format!("answer carries `{canonical}` more than once"),
                ));
            }
            *slot = Some(value.to_owned());
        }
        Ok(h)
    }
}

impl fmt::Debug for SignatureHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureHeaders")
            .field("timestamp", &self.timestamp)
            .field("nonce", &self.nonce)
            .field("signature", &self.signature.as_ref().map(|_| "[set]"))
            .field("serial", &self.serial)
            .field("signature_type", &self.signature_type)
            .finish()
    }
}

impl Headers for SignatureHeaders {
    fn header(&self, name: &str) -> Option<&str> {
        use super::verify::{
            HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_SIGNATURE_TYPE, HEADER_TIMESTAMP,
        };
        let v = if name.eq_ignore_ascii_case(HEADER_TIMESTAMP) {
            &self.timestamp
        } else if name.eq_ignore_ascii_case(HEADER_NONCE) {
            &self.nonce
        } else if name.eq_ignore_ascii_case(HEADER_SIGNATURE) {
            &self.signature
        } else if name.eq_ignore_ascii_case(HEADER_SERIAL) {
            &self.serial
        } else if name.eq_ignore_ascii_case(HEADER_SIGNATURE_TYPE) {
            &self.signature_type
        } else {
            return None;
        };
        v.as_deref()
    }
}

/// An identity answer exactly as WeChat Pay sent it — status, signature
/// headers, body — for provider mode (服务商).
///
/// The provider's server queries with its own keys, but the real-name fields
/// are encrypted for the hospital (the sub-merchant), and the hospital must
/// not take the provider's word for what the answer contained. So the
/// provider forwards the raw signed answer; the hospital verifies it itself
/// with the platform key ([`Self::verify`], or
/// [`RealNameReceiver`](crate::decrypt::RealNameReceiver) which also
/// decrypts), and only a verified answer yields anything to decrypt. A
/// tampered answer is refused before any decryption happens.
///
/// JSON form (what the provider sends the hospital):
/// `{"status":200,"headers":{"Wechatpay-Timestamp":"…","Wechatpay-Nonce":"…",
/// "Wechatpay-Signature":"…","Wechatpay-Serial":"…"},"body":"{…}"}`
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedAnswer {
    /// HTTP status of the answer.
    pub status: u16,
    /// The `Wechatpay-*` signature headers.
    pub headers: SignatureHeaders,
    /// The body, byte for byte as received (the signature covers it).
    pub body: String,
}

impl fmt::Debug for SignedAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedAnswer")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl SignedAnswer {
    /// Read the JSON form.
    ///
    /// # Errors
    /// [`Error::Malformed`] for oversize or malformed JSON, unknown or
    /// repeated fields; the message never quotes the input.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        const WHAT: &str = "signed answer";
        if json.len() > MAX_SIGNED_ANSWER_BYTES {
            return Err(Error::malformed(
                WHAT,
                format!("larger than {MAX_SIGNED_ANSWER_BYTES} bytes"),
            ));
        }
        let answer: Self = serde_json::from_slice(json).map_err(|e| {
            Error::malformed(
                WHAT,
                format!(
                    "not the JSON form {{status, headers, body}} (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if answer.body.len() > MAX_RESPONSE_BYTES {
            return Err(Error::malformed(
                WHAT,
                format!("body is larger than {MAX_RESPONSE_BYTES} bytes"),
            ));
        }
        Ok(answer)
    }

    /// The JSON form.
    pub fn to_json(&self) -> String {
        // A struct of strings and a number always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Verify the answer with the platform keys and parse it, exactly as
    /// [`handle_users_response`] does with an answer received directly.
    ///
    /// # Errors
    /// As [`handle_users_response`].
    pub fn verify(&self, verifier: &ResponseVerifier, now: UnixTime) -> Result<FaceUser> {
        handle_users_response(
            verifier,
            self.status,
            &self.headers,
            self.body.as_bytes(),
            now,
        )
    }
}

#[cfg(test)]
mod body_vectors {
    //! The `users_response_parse` vectors of `tests/vectors/v3/users_query.json`
    //! byte for byte, ciphertexts included (the integration tests see a
    //! verified `FaceUser`, which does not hand its ciphertexts out).
    use serde_json::{json, Value};

    use super::FaceUser;

    fn as_json(u: &FaceUser) -> Value {
        json!({
            "openid": u.openid,
            "sub_openid": u.sub_openid,
            "union_id": u.union_id,
            "real_name": u.real_name.as_ref().map(|r| {
                let (name, ty, id) = r.ciphertexts();
                json!({
                    "encrypted_real_name": name,
                    "credential_type": ty.code(),
                    "encrypted_credential_id": id,
                })
            }),
        })
    }

    #[test]
    fn parse_vectors_with_ciphertexts() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/v3/users_query.json"
        );
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("vector file"))
                .expect("JSON");
        let mut run = 0;
        for group in file["testGroups"].as_array().expect("groups") {
            if group["type"] != "users_response_parse" {
                continue;
            }
            for tc in group["tests"].as_array().expect("tests") {
                let body = tc["inputs"]["body"].as_str().expect("body");
                let got = FaceUser::from_json(body.as_bytes());
                match (got, tc["result"].as_str()) {
                    (Ok(u), Some("valid")) => {
                        let got = as_json(&u);
                        for (k, want) in tc["expected"].as_object().expect("expected") {
                            assert_eq!(&got[k], want, "tcId {} `{k}`", tc["tcId"]);
                        }
                    }
                    (Err(e), Some("invalid")) => {
                        assert_eq!(Some(e.code()), tc["code"].as_str(), "tcId {}", tc["tcId"]);
                    }
                    (got, want) => panic!("tcId {}: {got:?}, expected {want:?}", tc["tcId"]),
                }
                run += 1;
            }
        }
        assert!(run > 10, "the group ran ({run} cases)");
    }
}

#[cfg(test)]
mod debug_tests {
    use super::{InfoType, UsersQuery};

    #[test]
    fn the_query_debug_hides_its_face_sid() {
        let sid = "fs_0123456789abcdef0123456789abcdef";
        let q = UsersQuery::new(sid, InfoType::AskRealName, "wx0000000000000001");
        let d = format!("{q:?}");
        assert!(!d.contains(sid), "{d}");
        assert!(d.contains("wx0000000000000001"));
    }
}
