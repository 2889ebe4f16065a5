//! `v3.*`: APIv3 `Authorization` signing, answer verification, and
//! `GET /v3/facemch/users/{face_sid}`.

use std::collections::HashMap;

use napi::bindgen_prelude::{Buffer, Either, Object, Unknown};
use napi::Env;
use napi_derive::napi;
use wxface_core::crypto::{default_provider, pem};
use wxface_core::v3::{self, InfoType, PlatformKeyStore, UsersQuery};
use wxface_core::Error;

use crate::error::{js, to_js};
use crate::http::HttpRequest;
use crate::runtime::{now_or, secs_to_time};

fn bytes(b: Option<Either<String, Buffer>>) -> Vec<u8> {
    match b {
        None => Vec::new(),
        Some(Either::A(s)) => s.into_bytes(),
        Some(Either::B(b)) => b.to_vec(),
    }
}

fn header_list(h: Either<Vec<Vec<String>>, HashMap<String, String>>) -> Vec<(String, String)> {
    match h {
        Either::A(pairs) => pairs
            .into_iter()
            .filter_map(|p| match <[String; 2]>::try_from(p) {
                Ok([k, v]) => Some((k, v)),
                Err(_) => None,
            })
            .collect(),
        Either::B(map) => map.into_iter().collect(),
    }
}

/// Timestamp and nonce of a signature (defaults: the system clock and a fresh
/// 32-character nonce).
#[napi(object, namespace = "v3")]
#[derive(Default)]
pub struct AuthorizationOptions {
    /// `timestamp`, unix seconds.
    pub timestamp: Option<f64>,
    /// `nonce_str`.
    pub nonce_str: Option<String>,
}

/// Options of a signer.
#[napi(object, namespace = "v3")]
#[derive(Default)]
pub struct SignerOptions {
    /// Also send `Wechatpay-Serial` naming the platform certificate serial or
    /// `PUB_KEY_ID_…` the answer should be signed with.
    pub platform_serial: Option<String>,
}

/// Signs APIv3 requests for one merchant. Holds the merchant's private key:
/// opaque, never printed.
#[napi(namespace = "v3")]
pub struct MerchantSigner {
    inner: v3::MerchantSigner,
}

#[napi(namespace = "v3")]
impl MerchantSigner {
    /// A signer for merchant `mchid` whose API certificate has serial
    /// `serialNo`, with that certificate's private key (PEM, PKCS#1 or PKCS#8).
    ///
    /// Throws `ConfigError` for an unusable key, `InvalidInputError` for bad ids.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        mchid: String,
        serial_no: String,
        private_key_pem: String,
        options: Option<SignerOptions>,
    ) -> napi::Result<Self> {
        let key = zeroize::Zeroizing::new(private_key_pem);
        let built = pem::load_private_key(default_provider().as_ref(), &key)
            .and_then(|k| v3::MerchantSigner::new(mchid, serial_no, k))
            .and_then(|s| match options.and_then(|o| o.platform_serial) {
                Some(p) => s.with_platform_serial(p),
                None => Ok(s),
            });
        built.map(|inner| Self { inner }).map_err(|e| js(&env, e))
    }

    /// The merchant id.
    #[napi(getter)]
    pub fn mchid(&self) -> String {
        self.inner.mchid().to_owned()
    }

    /// The merchant certificate serial.
    #[napi(getter)]
    pub fn serial_no(&self) -> String {
        self.inner.serial_no().to_owned()
    }

    /// Base64 SHA256withRSA signature of a request.
    ///
    /// Throws `InvalidInputError` for a bad method, path or nonce.
    #[napi]
    pub fn signature(
        &self,
        env: Env,
        method: String,
        path_and_query: String,
        body: Option<Either<String, Buffer>>,
        options: Option<AuthorizationOptions>,
    ) -> napi::Result<String> {
        let (ts, nonce) = ts_nonce(options).map_err(|e| js(&env, e))?;
        self.inner
            .signature(&method, &path_and_query, &bytes(body), ts, &nonce)
            .map_err(|e| js(&env, e))
    }

    /// The full `Authorization` header value of a request.
    ///
    /// Throws as `signature`.
    #[napi]
    pub fn authorization(
        &self,
        env: Env,
        method: String,
        path_and_query: String,
        body: Option<Either<String, Buffer>>,
        options: Option<AuthorizationOptions>,
    ) -> napi::Result<String> {
        let (ts, nonce) = ts_nonce(options).map_err(|e| js(&env, e))?;
        self.inner
            .authorization(&method, &path_and_query, &bytes(body), ts, &nonce)
            .map_err(|e| js(&env, e))
    }

    /// `request` signed: `Authorization`, `Accept`, `User-Agent`, and
    /// `Wechatpay-Serial` when configured.
    ///
    /// Throws as `signature`.
    #[napi(js_name = "signRequest")]
    pub fn sign_request(
        &self,
        env: Env,
        request: HttpRequest,
        now: Option<f64>,
    ) -> napi::Result<HttpRequest> {
        let signed = wxface_core::http::HttpRequest::try_from(request).and_then(|mut r| {
            self.inner
                .sign_request(&mut r, now_or(now)?, &wxface_core::time::OsEntropy)?;
            Ok(r)
        });
        signed.map(HttpRequest::from).map_err(|e| js(&env, e))
    }

    /// A redacted description.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "MerchantSigner(mchid={}, serialNo={}, key=[REDACTED])",
            self.inner.mchid(),
            self.inner.serial_no()
        )
    }

    /// A redacted description.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> HashMap<String, String> {
        HashMap::from([
            ("mchid".to_owned(), self.inner.mchid().to_owned()),
            ("serialNo".to_owned(), self.inner.serial_no().to_owned()),
            ("key".to_owned(), "[REDACTED]".to_owned()),
        ])
    }
}

fn ts_nonce(o: Option<AuthorizationOptions>) -> Result<(wxface_core::UnixTime, String), Error> {
    let o = o.unwrap_or_default();
    let ts = match o.timestamp {
        Some(t) => secs_to_time("timestamp", t)?,
        None => crate::runtime::now(),
    };
    let nonce = o
        .nonce_str
        .unwrap_or_else(|| wxface_core::time::nonce(&wxface_core::time::OsEntropy, 32));
    Ok((ts, nonce))
}

/// The message a request signature covers:
/// `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
#[napi(namespace = "v3", js_name = "requestMessage")]
pub fn request_message(
    env: Env,
    method: String,
    path_and_query: String,
    timestamp: f64,
    nonce_str: String,
    body: Option<Either<String, Buffer>>,
) -> napi::Result<String> {
    let ts = secs_to_time("timestamp", timestamp).map_err(|e| js(&env, e))?;
    let m = v3::request_message(&method, &path_and_query, ts, &nonce_str, &bytes(body));
    Ok(String::from_utf8_lossy(&m).into_owned())
}

/// The message an answer signature covers: `TIMESTAMP\nNONCE\nBODY\n`.
#[napi(namespace = "v3", js_name = "responseMessage")]
pub fn response_message(
    timestamp: String,
    nonce_str: String,
    body: Option<Either<String, Buffer>>,
) -> String {
    let m = v3::response_message(&timestamp, &nonce_str, &bytes(body));
    String::from_utf8_lossy(&m).into_owned()
}

/// A parsed `Authorization` header.
#[napi(object, namespace = "v3")]
pub struct Authorization {
    /// `mchid`
    pub mchid: String,
    /// `nonce_str`
    pub nonce_str: String,
    /// `signature` (base64).
    pub signature: String,
    /// `timestamp`, unix seconds.
    pub timestamp: f64,
    /// `serial_no`
    pub serial_no: String,
}

impl From<v3::Authorization> for Authorization {
    fn from(a: v3::Authorization) -> Self {
        Self {
            mchid: a.mchid,
            nonce_str: a.nonce_str,
            signature: a.signature,
            timestamp: a.timestamp.as_secs() as f64,
            serial_no: a.serial_no,
        }
    }
}

/// Parse an `Authorization` header strictly.
///
/// Throws `SignatureError` (`signature_missing`, `signature_malformed`).
#[napi(namespace = "v3", js_name = "parseAuthorization")]
pub fn parse_authorization(env: Env, header: String) -> napi::Result<Authorization> {
    v3::Authorization::parse(&header)
        .map(Authorization::from)
        .map_err(|e| js(&env, e))
}

/// Options of a verifier.
#[napi(object, namespace = "v3")]
#[derive(Default)]
pub struct VerifierOptions {
    /// Accepted distance between a signed timestamp and now, seconds (default 300).
    pub window_secs: Option<f64>,
}

/// Options of a verification.
#[napi(object, namespace = "v3")]
#[derive(Default)]
pub struct VerifyOptions {
    /// `now`, unix seconds (default: the system clock).
    pub now: Option<f64>,
}

fn window(o: Option<VerifierOptions>) -> Result<u64, Error> {
    match o.and_then(|o| o.window_secs) {
        None => Ok(v3::DEFAULT_WINDOW_SECS),
        Some(w) => secs_to_time("windowSecs", w).map(|t| t.as_secs()),
    }
}

/// Verifies APIv3 answers against WeChat Pay's platform keys (certificates
/// and/or public keys).
#[napi(namespace = "v3")]
pub struct ResponseVerifier {
    pub(crate) inner: v3::ResponseVerifier,
}

#[napi(namespace = "v3")]
impl ResponseVerifier {
    /// An empty verifier (300 s window by default).
    ///
    /// Throws `InvalidInputError` for a bad window.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<VerifierOptions>) -> napi::Result<Self> {
        let mut inner = v3::ResponseVerifier::new(PlatformKeyStore::new());
        inner.window_secs = window(options).map_err(|e| js(&env, e))?;
        Ok(Self { inner })
    }

    /// Trust a platform certificate (PEM); returns its serial.
    ///
    /// Throws `ConfigError` for an unusable certificate.
    #[napi(js_name = "addCertificate")]
    pub fn add_certificate(&mut self, env: Env, certificate_pem: String) -> napi::Result<String> {
        self.inner
            .store
            .add_certificate_pem(default_provider().as_ref(), &certificate_pem)
            .map_err(|e| js(&env, e))
    }

    /// Trust a platform public key (PEM) under its id `PUB_KEY_ID_…`.
    ///
    /// Throws `ConfigError`, `InvalidInputError` for a bad id.
    #[napi(js_name = "addPublicKey")]
    pub fn add_public_key(
        &mut self,
        env: Env,
        pub_key_id: String,
        public_key_pem: String,
    ) -> napi::Result<()> {
        self.inner
            .store
            .add_public_key_pem(default_provider().as_ref(), &pub_key_id, &public_key_pem)
            .map_err(|e| js(&env, e))
    }

    /// The ids of the trusted keys.
    #[napi]
    pub fn ids(&self) -> Vec<String> {
        key_ids(&self.inner.store)
    }

    /// The id to send as a request's `Wechatpay-Serial`.
    #[napi(js_name = "preferredId")]
    pub fn preferred_id(&self, env: Env, now: Option<f64>) -> napi::Result<Option<String>> {
        let now = now_or(now).map_err(|e| js(&env, e))?;
        Ok(self.inner.store.preferred_id(now).map(str::to_owned))
    }

    /// Verify an answer: signature headers present, timestamp fresh, key
    /// known, signature valid over the raw body.
    ///
    /// Throws `SignatureError` with `code` `signature_missing`, `signature_malformed`,
    /// `signature_stale_timestamp`, `signature_unknown_serial` or
    /// `signature_mismatch`.
    #[napi]
    pub fn verify(
        &self,
        env: Env,
        status: u16,
        headers: Either<Vec<Vec<String>>, HashMap<String, String>>,
        body: Option<Either<String, Buffer>>,
        options: Option<VerifyOptions>,
    ) -> napi::Result<()> {
        let now = now_or(options.and_then(|o| o.now)).map_err(|e| js(&env, e))?;
        self.inner
            .verify(status, &header_list(headers), &bytes(body), now)
            .map_err(|e| js(&env, e))
    }
}

/// Verifies request `Authorization` headers (the WeChat Pay side, for
/// stand-ins and tooling).
#[napi(namespace = "v3")]
pub struct RequestVerifier {
    inner: v3::RequestVerifier,
}

#[napi(namespace = "v3")]
impl RequestVerifier {
    /// An empty verifier (300 s window by default).
    ///
    /// Throws `InvalidInputError` for a bad window.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<VerifierOptions>) -> napi::Result<Self> {
        let mut inner = v3::RequestVerifier::new();
        inner.window_secs = window(options).map_err(|e| js(&env, e))?;
        Ok(Self { inner })
    }

    /// Trust a merchant certificate: its public key (PEM: public key or
    /// certificate) for `mchid` and `serialNo`.
    ///
    /// Throws `ConfigError` for an unusable key.
    #[napi(js_name = "addMerchant")]
    pub fn add_merchant(
        &mut self,
        env: Env,
        mchid: String,
        serial_no: String,
        public_key_pem: String,
    ) -> napi::Result<()> {
        let key = pem::load_public_key(default_provider().as_ref(), &public_key_pem)
            .map_err(|e| js(&env, e))?;
        self.inner.add_merchant(mchid, serial_no, key);
        Ok(())
    }

    /// Parse and verify the `Authorization` header of a request.
    ///
    /// Throws `SignatureError`.
    #[napi]
    pub fn verify(
        &self,
        env: Env,
        authorization: Option<String>,
        method: String,
        path_and_query: String,
        body: Option<Either<String, Buffer>>,
        options: Option<VerifyOptions>,
    ) -> napi::Result<Authorization> {
        let now = now_or(options.and_then(|o| o.now)).map_err(|e| js(&env, e))?;
        self.inner
            .verify(
                authorization.as_deref(),
                &method,
                &path_and_query,
                &bytes(body),
                now,
            )
            .map(Authorization::from)
            .map_err(|e| js(&env, e))
    }
}

/// The identity query.
#[napi(object, namespace = "v3")]
pub struct UsersQueryInit {
    /// `face_sid` from the face SDK.
    pub face_sid: String,
    /// `"ASK_REAL_NAME"` (default) or `"ASK_UNIONID"`.
    pub info_type: Option<String>,
    /// The (provider's) appid.
    pub appid: String,
    /// Provider mode: the sub-merchant id.
    pub sub_mchid: Option<String>,
    /// The sub-merchant's appid.
    pub sub_appid: Option<String>,
    /// Provider mode with `ASK_REAL_NAME`: the sub-merchant's certificate serial.
    pub sub_serial_no: Option<String>,
}

pub(crate) fn users_query(q: UsersQueryInit) -> Result<UsersQuery, Error> {
    let info_type: InfoType = q.info_type.as_deref().unwrap_or("ASK_REAL_NAME").parse()?;
    Ok(UsersQuery {
        face_sid: q.face_sid,
        info_type,
        appid: q.appid,
        sub_mchid: q.sub_mchid,
        sub_appid: q.sub_appid,
        sub_serial_no: q.sub_serial_no,
    })
}

/// The unsigned `GET /v3/facemch/users/{face_sid}` request (sign it with
/// `MerchantSigner.signRequest`).
///
/// Throws `InvalidInputError` naming the field.
#[napi(namespace = "v3", js_name = "usersRequest")]
pub fn users_request(env: Env, query: UsersQueryInit) -> napi::Result<HttpRequest> {
    users_query(query)
        .and_then(|q| q.to_request())
        .map(HttpRequest::from)
        .map_err(|e| js(&env, e))
}

/// The encrypted real-name part of a verified answer: opaque. Only
/// `MerchantClient.queryUser` and `v3.handleUsersResponse` make one, after the
/// answer's signature checked out; JavaScript cannot build one or read its
/// ciphertexts, so nothing but a verified answer reaches the decryptor.
#[napi]
pub struct EncryptedRealName {
    pub(crate) inner: v3::EncryptedRealName,
}

#[napi]
impl EncryptedRealName {
    /// The credential type the answer announced (1 = resident ID card, …).
    #[napi(getter)]
    pub fn credential_type(&self) -> i64 {
        self.inner.credential_type().code()
    }

    /// `EncryptedRealName(credentialType=1, [encrypted])`.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "EncryptedRealName(credentialType={}, [encrypted])",
            self.inner.credential_type().code()
        )
    }

    /// What `JSON.stringify` writes: the credential type only.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> HashMap<String, i64> {
        HashMap::from([(
            "credentialType".to_owned(),
            self.inner.credential_type().code(),
        )])
    }
}

/// A verified answer of the identity query as a plain JS object (its
/// TypeScript type `FaceUser` is in `index.d.ts`): the core's
/// [`v3::FaceUser`] with camelCase keys, absent fields left out, and the
/// encrypted identity as the opaque `EncryptedRealName`.
pub(crate) fn face_user(env: &Env, u: v3::FaceUser) -> napi::Result<Object<'static>> {
    let mut o = Object::new(env)?;
    for (key, value) in [
        ("openid", u.openid),
        ("subOpenid", u.sub_openid),
        ("unionId", u.union_id),
    ] {
        if let Some(v) = value {
            o.set(key, v)?;
        }
    }
    if let Some(inner) = u.real_name {
        o.set("realName", EncryptedRealName { inner })?;
    }
    Ok(o)
}

/// The ids of the keys of `store`, owned (for JS).
pub(crate) fn key_ids(store: &PlatformKeyStore) -> Vec<String> {
    store.ids().into_iter().map(str::to_owned).collect()
}

/// An identity answer exactly as WeChat Pay sent it — status, signature
/// headers, body — for provider mode (服务商): the provider's
/// `MerchantClient.queryUserSigned` returns it, the provider forwards its JSON
/// form (`toJson()`), and the hospital's `RealNameReceiver` verifies it with
/// the platform key before it decrypts anything.
#[napi]
pub struct SignedAnswer {
    pub(crate) inner: v3::SignedAnswer,
}

#[napi]
impl SignedAnswer {
    /// Read the JSON form `{"status", "headers", "body"}`.
    ///
    /// Throws `MalformedError` for oversize or malformed JSON, unknown or repeated
    /// fields (the message never quotes the input).
    #[napi(factory, js_name = "fromJson")]
    pub fn from_json(env: Env, json: Either<String, Buffer>) -> napi::Result<Self> {
        let bytes: &[u8] = match &json {
            Either::A(s) => s.as_bytes(),
            Either::B(b) => b,
        };
        v3::SignedAnswer::from_json(bytes)
            .map(|inner| Self { inner })
            .map_err(|e| js(&env, e))
    }

    /// The HTTP status of the answer.
    #[napi(getter)]
    pub fn status(&self) -> u16 {
        self.inner.status
    }

    /// The `Wechatpay-*` signature headers, by their canonical names.
    #[napi(getter, ts_return_type = "Record<string, string>")]
    pub fn headers<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        env.to_js_value(&self.inner.headers)
    }

    /// The body, byte for byte as WeChat Pay sent it (the signature covers it).
    #[napi(getter)]
    pub fn body(&self) -> String {
        self.inner.body.clone()
    }

    /// The JSON form as text: what the provider sends the hospital.
    #[napi(js_name = "toJson")]
    pub fn to_json_text(&self) -> String {
        self.inner.to_json()
    }

    /// The JSON form as a plain object (`JSON.stringify(answer)` equals
    /// `answer.toJson()`).
    #[napi(
        js_name = "toJSON",
        ts_return_type = "{ status: number, headers: Record<string, string>, body: string }"
    )]
    pub fn to_json_object<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        env.to_js_value(&self.inner)
    }

    /// Status, header names and the body's length; no header value, no body.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        let h = &self.inner.headers;
        let names: Vec<&str> = [
            ("Wechatpay-Timestamp", &h.timestamp),
            ("Wechatpay-Nonce", &h.nonce),
            ("Wechatpay-Signature", &h.signature),
            ("Wechatpay-Serial", &h.serial),
            ("Wechatpay-Signature-Type", &h.signature_type),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|_| k))
        .collect();
        format!(
            "SignedAnswer(status={}, headers=[{}], body={} bytes)",
            self.inner.status,
            names.join(", "),
            self.inner.body.len()
        )
    }
}

/// Handle the HTTP answer of the identity query: a non-2xx status throws
/// `BackendError`; a 2xx answer is verified, then parsed.
///
/// Throws `BackendError`, `SignatureError`, `MalformedError`.
#[napi(
    namespace = "v3",
    js_name = "handleUsersResponse",
    ts_return_type = "FaceUser"
)]
pub fn handle_users_response(
    env: Env,
    verifier: &ResponseVerifier,
    status: u16,
    headers: Either<Vec<Vec<String>>, HashMap<String, String>>,
    body: Option<Either<String, Buffer>>,
    options: Option<VerifyOptions>,
) -> napi::Result<Object<'static>> {
    let now = now_or(options.and_then(|o| o.now)).map_err(|e| js(&env, e))?;
    let user = v3::handle_users_response(
        &verifier.inner,
        status,
        &header_list(headers),
        &bytes(body),
        now,
    )
    .map_err(|e| js(&env, e))?;
    face_user(&env, user)
}

/// The `BackendError` (not thrown) for an APIv3 error answer
/// `{code, message, detail}`.
#[napi(namespace = "v3", js_name = "errorFromResponse")]
pub fn error_from_response<'env>(
    env: &'env Env,
    status: u16,
    body: Option<Either<String, Buffer>>,
) -> napi::Result<Unknown<'env>> {
    let e = v3::parse_error_body(status, &bytes(body));
    to_js(env, &e)
}
