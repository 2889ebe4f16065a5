//! `v2.*`: `get_wxpayface_authinfo` — MD5 / HMAC-SHA256 signatures, XML,
//! request building and answer verification.

use std::collections::HashMap;

use napi::bindgen_prelude::{Buffer, Either};
use napi::Env;
use napi_derive::napi;
use wxface_core::v2::{self, Fields, SignType};
use wxface_core::Error;

use crate::error::js;
use crate::http::HttpRequest;
use crate::record;
use crate::runtime::now_or;

/// The v2 API key. Opaque: it can be used, never read back or printed.
#[napi(namespace = "v2")]
pub struct ApiKey {
    pub(crate) inner: v2::ApiKey,
}

#[napi(namespace = "v2")]
impl ApiKey {
    /// Wrap a key (1-64 printable ASCII characters).
    ///
    /// Throws `ConfigError` (the message does not contain the key).
    #[napi(constructor)]
    pub fn new(env: Env, key: String) -> napi::Result<Self> {
        v2::ApiKey::new(key)
            .map(|inner| Self { inner })
            .map_err(|e| js(&env, e))
    }

    /// `"ApiKey([REDACTED])"`.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        "ApiKey([REDACTED])".into()
    }

    /// `"[REDACTED]"`: a key never serialises.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> String {
        "[REDACTED]".into()
    }
}

fn parse_sign_type(v: Option<&str>) -> Result<SignType, Error> {
    v.map_or(Ok(SignType::Md5), str::parse)
}

fn to_fields(map: HashMap<String, String>) -> Fields {
    Fields(map.into_iter().collect())
}

/// The string that is signed: every non-empty field but `sign`, sorted by
/// key, as `k1=v1&k2=v2…` (without the trailing `&key=…`).
#[napi(namespace = "v2", js_name = "canonicalString")]
pub fn canonical_string(fields: HashMap<String, String>) -> String {
    to_fields(fields).canonical_string()
}

/// The signature of `fields` (uppercase hex); `signType` is `"MD5"`
/// (default) or `"HMAC-SHA256"`.
///
/// Throws `InvalidInputError` for an unknown sign type.
#[napi(
    namespace = "v2",
    ts_args_type = "fields: Record<string, string>, key: v2.ApiKey, signType?: SignType | null"
)]
pub fn sign(
    env: Env,
    fields: HashMap<String, String>,
    key: &ApiKey,
    sign_type: Option<String>,
) -> napi::Result<String> {
    let st = parse_sign_type(sign_type.as_deref()).map_err(|e| js(&env, e))?;
    Ok(to_fields(fields).sign(&key.inner, st))
}

/// Check the `sign` field of `fields` in constant time.
///
/// Throws `SignatureError` (`code` `signature_missing`, `signature_malformed` or
/// `signature_mismatch`).
#[napi(
    namespace = "v2",
    ts_args_type = "fields: Record<string, string>, key: v2.ApiKey, signType?: SignType | null"
)]
pub fn verify(
    env: Env,
    fields: HashMap<String, String>,
    key: &ApiKey,
    sign_type: Option<String>,
) -> napi::Result<()> {
    parse_sign_type(sign_type.as_deref())
        .and_then(|st| to_fields(fields).verify(&key.inner, st))
        .map_err(|e| js(&env, e))
}

/// Serialise fields as `<xml>…</xml>`.
#[napi(namespace = "v2", js_name = "toXml")]
pub fn to_xml(fields: HashMap<String, String>) -> String {
    to_fields(fields).to_xml()
}

/// Parse a flat v2 XML document (DTDs and unknown entities refused).
///
/// Throws `MalformedError`.
#[napi(namespace = "v2", js_name = "parseXml")]
pub fn parse_xml(env: Env, xml: Either<String, Buffer>) -> napi::Result<HashMap<String, String>> {
    let bytes = match xml {
        Either::A(s) => s.into_bytes(),
        Either::B(b) => b.to_vec(),
    };
    Fields::parse_xml(&bytes)
        .map(|f| f.0.into_iter().collect())
        .map_err(|e| js(&env, e))
}

/// Time and nonce of a signed request (defaults: the system clock and a
/// fresh random nonce).
#[napi(object, namespace = "v2")]
#[derive(Default)]
pub struct SignOptions {
    /// `now`, unix seconds.
    pub now: Option<f64>,
    /// `nonce_str` (1-32 letters or digits).
    pub nonce_str: Option<String>,
}

/// The signed `POST /face/get_wxpayface_authinfo` request. The request is
/// a `v2.AuthinfoRequestInit`.
///
/// Throws `InvalidInputError` naming the field.
#[napi(
    namespace = "v2",
    js_name = "authinfoRequest",
    ts_args_type = "request: AuthinfoRequestInit, key: ApiKey, options?: SignOptions | undefined | null"
)]
pub fn authinfo_request(
    env: Env,
    request: serde_json::Value,
    key: &ApiKey,
    options: Option<SignOptions>,
) -> napi::Result<HttpRequest> {
    let options = options.unwrap_or_default();
    let built = record::from_js::<v2::AuthinfoRequest>("request", request).and_then(|req| {
        let nonce = options
            .nonce_str
            .unwrap_or_else(|| wxface_core::time::nonce(&wxface_core::time::OsEntropy, 32));
        req.build(&key.inner, now_or(options.now)?, &nonce)
    });
    built.map(HttpRequest::from).map_err(|e| js(&env, e))
}

/// Options of `v2.parseAuthinfoResponse`.
#[napi(object, namespace = "v2")]
#[derive(Default)]
pub struct ParseOptions {
    /// `now`, unix seconds (default: the system clock).
    pub now: Option<f64>,
    /// The `sign_type` the request was signed with (default `"MD5"`).
    #[napi(ts_type = "SignType")]
    pub sign_type: Option<String>,
}

/// Verify and parse an answer of `get_wxpayface_authinfo`: a
/// `v2.AuthinfoResponse`.
///
/// Throws `SignatureError` (verified before anything is used), `BackendError`
/// (`return_code` FAIL; `wechatCode`, `wechatMessage`), `MalformedError`.
#[napi(
    namespace = "v2",
    js_name = "parseAuthinfoResponse",
    ts_return_type = "v2.AuthinfoResponse"
)]
pub fn parse_authinfo_response(
    env: Env,
    body: Either<String, Buffer>,
    key: &ApiKey,
    options: Option<ParseOptions>,
) -> napi::Result<serde_json::Value> {
    let options = options.unwrap_or_default();
    let bytes = match body {
        Either::A(s) => s.into_bytes(),
        Either::B(b) => b.to_vec(),
    };
    parse_sign_type(options.sign_type.as_deref())
        .and_then(|st| v2::parse_authinfo_response(&bytes, &key.inner, st, now_or(options.now)?))
        .map(|r| record::to_js(&r))
        .map_err(|e| js(&env, e))
}
