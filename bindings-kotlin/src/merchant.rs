//! The merchant server's side (feature `merchant`): the `MerchantClient`
//! (blocking methods, and with feature `suspend` `suspend` variants
//! suffixed `Async`), the `Decryptor`, the decrypted `RealName`, and
//! provider mode (服务商): `MerchantClient.queryUserSigned` gives the
//! provider the `SignedAnswer` to forward, the hospital's
//! `RealNameReceiver` verifies it with the platform key and only then
//! decrypts it.
//!
//! Only verified answers are decrypted: `FaceUser` (from `queryUser`) and
//! `SignedAnswer` are objects Kotlin cannot fill with ciphertexts of its
//! own, and there is no entry point that takes bare ciphertexts. Every
//! decryption failure is the same `Decryption` error with one fixed message.
//!
//! Secrets go in through `MerchantClientBuilder`, `Decryptor.fromPem` and
//! `RealNameReceiver(…)` and never come back out; the decrypted identity is
//! an object whose `toString` is masked, with the full values behind
//! `exposeName` / `exposeCredentialId`.
//!
//! The client runs on a small tokio runtime of its own. A blocking method
//! hands its work to that runtime and waits, so it works from any thread
//! (never call it on Android's main thread). An `Async` method suspends the
//! coroutine instead of blocking: the work still runs on the client's
//! runtime, and the Kotlin side only awaits its completion.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use wxface_client as client;
use wxface_core::crypto::{self, Padding};
use wxface_core::decrypt as core_decrypt;
use wxface_core::model::MaskedIdentity;
use wxface_core::realname::{self as core_realname, CredentialType};
use wxface_core::v2::{self, SignType};
use wxface_core::v3::{self, InfoType};

use crate::sdk::secs;
use crate::WxfaceError;

/// A decrypted, validated identity. `toString` shows only masked values;
/// the full values are behind the `expose…` methods.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct RealName {
    inner: core_realname::RealName,
}

impl fmt::Debug for RealName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RealName({})", self.inner)
    }
}

#[uniffi::export]
impl RealName {
    /// The full name. EXPOSES personal data: only where the hospital system
    /// stores or shows it under its own controls.
    pub fn expose_name(&self) -> String {
        self.inner.expose_name().to_owned()
    }

    /// The full credential number. EXPOSES personal data.
    pub fn expose_credential_id(&self) -> String {
        self.inner.expose_credential_id().to_owned()
    }

    /// The credential type.
    pub fn credential_type(&self) -> CredentialType {
        self.inner.credential_type()
    }

    /// The masked name (`张*三`).
    pub fn masked_name(&self) -> String {
        self.inner.masked_name()
    }

    /// The masked credential number (`110***********1234`).
    pub fn masked_credential_id(&self) -> String {
        self.inner.masked_credential_id()
    }

    /// The masked identity, safe to send to a kiosk screen.
    pub fn masked(&self) -> MaskedIdentity {
        self.inner.masked().into()
    }
}

/// Decrypts real-name fields with the (sub-)merchant's API private key.
/// Needs nothing else, so decryption can live apart from signing (provider
/// mode: on the hospital's own system).
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct Decryptor {
    inner: core_decrypt::Decryptor,
}

impl fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Decryptor(padding={}, key=[REDACTED])",
            self.inner.padding().as_str()
        )
    }
}

#[uniffi::export]
impl Decryptor {
    /// A decryptor from a PEM private key (PKCS#1 or PKCS#8).
    ///
    /// # Errors
    /// `Config` when the PEM holds no usable RSA private key (the message
    /// never contains key material).
    #[uniffi::constructor(default(padding = None))]
    pub fn from_pem(pem: String, padding: Option<Padding>) -> Result<Self, WxfaceError> {
        let pem = zeroize::Zeroizing::new(pem);
        let padding = padding.unwrap_or_default();
        Ok(Self {
            inner: core_decrypt::Decryptor::from_pem(&pem, padding)?,
        })
    }

    /// The configured padding.
    pub fn padding(&self) -> Padding {
        self.inner.padding()
    }

    /// Decrypt and validate the real-name fields of a verified answer
    /// (`MerchantClient.queryUser`). Nothing else can be decrypted: a
    /// `FaceUser` comes only out of an answer whose signature verified.
    ///
    /// # Errors
    /// `Decryption`, with one code and one fixed message, for every way the
    /// fields can fail to decrypt into a plausible identity (a wrong key or
    /// padding among them); `Malformed` when the answer carries no real-name
    /// fields (it was not an `AskRealName` query).
    pub fn decrypt_real_name(&self, user: Arc<FaceUser>) -> Result<Arc<RealName>, WxfaceError> {
        let enc = user.inner.real_name.as_ref().ok_or_else(no_real_name)?;
        Ok(Arc::new(RealName {
            inner: self.inner.decrypt_real_name(enc)?,
        }))
    }
}

fn no_real_name() -> WxfaceError {
    wxface_core::Error::Malformed {
        what: "facemch users answer",
        reason: "no real-name fields (was ASK_REAL_NAME granted?)".into(),
    }
    .into()
}

/// The verified answer of the identity query; real-name fields still
/// encrypted. An object, not a record: it is made only by
/// `MerchantClient.queryUser` from an answer whose signature verified, so
/// `Decryptor.decryptRealName` never sees ciphertexts from anywhere else.
/// `toString` shows which fields are present, never their values.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct FaceUser {
    inner: v3::FaceUser,
}

fn presence<T>(v: &Option<T>) -> &'static str {
    if v.is_some() {
        "[set]"
    } else {
        "[none]"
    }
}

impl fmt::Debug for FaceUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.inner;
        write!(
            f,
            "FaceUser(openid={}, sub_openid={}, union_id={}, real_name=",
            presence(&u.openid),
            presence(&u.sub_openid),
            presence(&u.union_id)
        )?;
        match &u.real_name {
            Some(r) => write!(
                f,
                "[encrypted, credential_type={}])",
                r.credential_type().code()
            ),
            None => f.write_str("[none])"),
        }
    }
}

impl From<v3::FaceUser> for FaceUser {
    fn from(inner: v3::FaceUser) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl FaceUser {
    /// The user's openid under the merchant's appid.
    pub fn openid(&self) -> Option<String> {
        self.inner.openid.clone()
    }

    /// The user's openid under `sub_appid`.
    pub fn sub_openid(&self) -> Option<String> {
        self.inner.sub_openid.clone()
    }

    /// The union id (`AskUnionId`).
    pub fn union_id(&self) -> Option<String> {
        self.inner.union_id.clone()
    }

    /// Whether the answer carries the encrypted identity (`AskRealName`).
    pub fn has_real_name(&self) -> bool {
        self.inner.real_name.is_some()
    }

    /// The credential type the answer announced (not secret); `null`
    /// without real-name fields.
    pub fn credential_type(&self) -> Option<CredentialType> {
        self.inner.real_name.as_ref().map(|r| r.credential_type())
    }
}

/// An identity answer exactly as WeChat Pay sent it (status, the
/// `Wechatpay-*` signature headers, the body byte for byte): what a provider
/// (服务商) forwards to the hospital. JSON form:
/// `{"status":200,"headers":{"Wechatpay-Timestamp":…},"body":"…"}`.
/// `toString` shows the status, the header names and the body's length.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct SignedAnswer {
    inner: v3::SignedAnswer,
}

impl SignedAnswer {
    /// The headers present, by canonical name, in the order WeChat Pay
    /// documents them.
    fn header_pairs(&self) -> Vec<(String, String)> {
        use wxface_core::v3::verify::{
            HEADER_NONCE, HEADER_SERIAL, HEADER_SIGNATURE, HEADER_SIGNATURE_TYPE, HEADER_TIMESTAMP,
        };
        let h = &self.inner.headers;
        [
            (HEADER_TIMESTAMP, &h.timestamp),
            (HEADER_NONCE, &h.nonce),
            (HEADER_SIGNATURE, &h.signature),
            (HEADER_SERIAL, &h.serial),
            (HEADER_SIGNATURE_TYPE, &h.signature_type),
        ]
        .into_iter()
        .filter_map(|(name, v)| v.as_ref().map(|v| (name.to_owned(), v.clone())))
        .collect()
    }
}

impl fmt::Debug for SignedAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.header_pairs().into_iter().map(|(k, _)| k).collect();
        write!(
            f,
            "SignedAnswer(status={}, headers=[{}], body=[{} bytes])",
            self.inner.status,
            names.join(", "),
            self.inner.body.len()
        )
    }
}

#[uniffi::export]
impl SignedAnswer {
    /// Read the JSON form (what the provider sent).
    ///
    /// # Errors
    /// `Malformed` for oversize or malformed JSON, unknown or repeated
    /// fields; the message never quotes the input.
    #[uniffi::constructor]
    pub fn from_json(text: String) -> Result<Self, WxfaceError> {
        Ok(Self {
            inner: v3::SignedAnswer::from_json(text.as_bytes())?,
        })
    }

    /// The JSON form, to forward to the hospital.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.inner.status
    }

    /// The `Wechatpay-*` signature headers present, by canonical name.
    pub fn headers(&self) -> HashMap<String, String> {
        self.header_pairs().into_iter().collect()
    }

    /// The body, as received (the signature covers it). Still encrypted;
    /// not for logs.
    pub fn body(&self) -> String {
        self.inner.body.clone()
    }
}

/// The hospital's end of provider mode (服务商): verifies a forwarded
/// `SignedAnswer` with WeChat Pay's platform key, and only then decrypts it
/// with the hospital's own private key. The clock is the system's: whoever
/// forwards the answer cannot stretch the timestamp window. `toString`
/// shows the platform key ids and the padding, never the key.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct RealNameReceiver {
    inner: core_decrypt::RealNameReceiver,
    key_ids: Vec<String>,
    padding: Padding,
}

impl fmt::Debug for RealNameReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RealNameReceiver(platform_keys=[{}], padding={}, key=[REDACTED])",
            self.key_ids.join(", "),
            self.padding.as_str()
        )
    }
}

fn receiver_config(reason: &str) -> WxfaceError {
    wxface_core::Error::config(reason).into()
}

#[uniffi::export]
impl RealNameReceiver {
    /// A receiver over the hospital's (sub-merchant's) private key (PEM,
    /// PKCS#1 or PKCS#8) and the platform keys it trusts: the platform
    /// public key with its `PUB_KEY_ID_…`, and/or a platform certificate.
    ///
    /// # Errors
    /// `Config` when no platform key is given, when a public key comes
    /// without its id (or an id without a key), or when a key or the
    /// certificate does not load (the message never contains key material);
    /// `InvalidInput` for an id that is not `PUB_KEY_ID_…`.
    #[uniffi::constructor(default(
        platform_public_key_pem = None,
        pub_key_id = None,
        platform_certificate_pem = None,
        padding = None
    ))]
    pub fn new(
        private_key_pem: String,
        platform_public_key_pem: Option<String>,
        pub_key_id: Option<String>,
        platform_certificate_pem: Option<String>,
        padding: Option<Padding>,
    ) -> Result<Self, WxfaceError> {
        let private_key_pem = zeroize::Zeroizing::new(private_key_pem);
        let provider = crypto::default_provider();
        let mut store = v3::PlatformKeyStore::new();
        match (platform_public_key_pem, pub_key_id) {
            (Some(pem), Some(id)) => store.add_public_key_pem(provider.as_ref(), &id, &pem)?,
            (None, None) => {}
            (Some(_), None) => {
                return Err(receiver_config(
                    "a platform public key needs its id (`PUB_KEY_ID_…`)",
                ))
            }
            (None, Some(_)) => {
                return Err(receiver_config(
                    "a platform public key id needs its key (PEM)",
                ))
            }
        }
        if let Some(pem) = platform_certificate_pem {
            store.add_certificate_pem(provider.as_ref(), &pem)?;
        }
        if store.is_empty() {
            return Err(receiver_config(
                "a receiver needs a platform public key (with its id) or a platform certificate",
            ));
        }
        let padding = padding.unwrap_or_default();
        let decryptor = core_decrypt::Decryptor::from_pem(&private_key_pem, padding)?;
        let key_ids = store.ids().into_iter().map(str::to_owned).collect();
        Ok(Self {
            inner: core_decrypt::RealNameReceiver::new(v3::ResponseVerifier::new(store), decryptor),
            key_ids,
            padding,
        })
    }

    /// Verify the forwarded answer, then decrypt its identity.
    ///
    /// # Errors
    /// `Signature` when the answer does not verify (nothing is decrypted
    /// then); `Backend` for a forwarded error answer; `Malformed` when it
    /// carries no real-name fields; `Decryption` (one code, one fixed
    /// message) when the fields do not decrypt into a plausible identity.
    pub fn receive(&self, answer: Arc<SignedAnswer>) -> Result<Arc<RealName>, WxfaceError> {
        Ok(Arc::new(RealName {
            inner: self.inner.receive(&answer.inner)?,
        }))
    }

    /// `receive` on the JSON form of a `SignedAnswer`.
    ///
    /// # Errors
    /// `Malformed` for a bad JSON form; as `receive` otherwise.
    pub fn receive_json(&self, json: String) -> Result<Arc<RealName>, WxfaceError> {
        Ok(Arc::new(RealName {
            inner: self.inner.receive_json(json.as_bytes())?,
        }))
    }
}

/// What a kiosk's merchant server passes for one authinfo. `toString`
/// hides rawdata.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct AuthinfoParams {
    /// `rawdata` from `getWxpayfaceRawdata` (≤ 2048).
    pub rawdata: String,
    /// The kiosk (≤ 32).
    pub device_id: String,
    /// The store; `null` uses the configured one.
    #[uniffi(default = None)]
    pub store_id: Option<String>,
    /// The store's name; `null` uses the configured one.
    #[uniffi(default = None)]
    pub store_name: Option<String>,
    /// `attach`, a JSON string passed through to WeChat.
    #[uniffi(default = None)]
    pub attach: Option<String>,
}

impl fmt::Debug for AuthinfoParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AuthinfoParams(device_id={}, store_id={:?}, rawdata=[{} chars])",
            self.device_id,
            self.store_id,
            self.rawdata.chars().count()
        )
    }
}

impl From<AuthinfoParams> for client::AuthinfoParams {
    fn from(p: AuthinfoParams) -> Self {
        let AuthinfoParams {
            rawdata,
            device_id,
            store_id,
            store_name,
            attach,
        } = p;
        Self {
            rawdata,
            store_id,
            store_name,
            device_id,
            attach,
        }
    }
}

/// An authinfo for the face SDK. `toString` hides it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct AuthinfoResponse {
    /// The authinfo. Never log it.
    pub authinfo: String,
    /// When it expires, Unix seconds.
    pub expires_at: i64,
    /// Seconds left when this answer was produced.
    pub expires_in: u64,
    /// Whether no HTTP call was made for it (cached or shared).
    pub from_cache: bool,
}

impl fmt::Debug for AuthinfoResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AuthinfoResponse(expires_at={}, expires_in={}, from_cache={}, authinfo=[REDACTED])",
            self.expires_at, self.expires_in, self.from_cache
        )
    }
}

impl From<client::AuthinfoResponse> for AuthinfoResponse {
    fn from(r: client::AuthinfoResponse) -> Self {
        Self {
            authinfo: r.authinfo,
            expires_at: secs(r.expires_at),
            expires_in: r.expires_in,
            from_cache: r.from_cache,
        }
    }
}

/// Counters since the client was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ClientStats {
    /// Calls of the public operations.
    pub calls: u64,
    /// HTTP requests sent (every attempt).
    pub http_requests: u64,
    /// Attempts after a retryable failure.
    pub retries: u64,
    /// Authinfo answers served from the cache.
    pub cache_hits: u64,
    /// Authinfo answers shared with a concurrent caller.
    pub coalesced: u64,
    /// Successful platform certificate downloads.
    pub certificate_downloads: u64,
    /// Requests sent to the backup host after the primary could not be reached.
    pub failovers: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Collects a merchant client's configuration; `build` checks it all at
/// once. Secrets set here are never readable again.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct MerchantClientBuilder {
    inner: Mutex<Option<client::ClientConfigBuilder>>,
}

impl fmt::Debug for MerchantClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MerchantClientBuilder([REDACTED])")
    }
}

impl MerchantClientBuilder {
    fn with(
        self: Arc<Self>,
        f: impl FnOnce(client::ClientConfigBuilder) -> client::ClientConfigBuilder,
    ) -> Arc<Self> {
        {
            let mut slot = lock(&self.inner);
            if let Some(b) = slot.take() {
                *slot = Some(f(b));
            }
        }
        self
    }

    fn try_with(
        self: Arc<Self>,
        f: impl FnOnce(client::ClientConfigBuilder) -> Result<client::ClientConfigBuilder, WxfaceError>,
    ) -> Result<Arc<Self>, WxfaceError> {
        {
            let mut slot = lock(&self.inner);
            let b = slot.take().ok_or_else(used)?;
            // On error the builder is gone: build a new one.
            *slot = Some(f(b)?);
        }
        Ok(self)
    }
}

impl Default for MerchantClientBuilder {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Some(client::ClientConfig::builder())),
        }
    }
}

fn used() -> WxfaceError {
    wxface_core::Error::config("this builder was already built or failed; make a new one").into()
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

#[uniffi::export]
impl MerchantClientBuilder {
    /// An empty builder with production defaults.
    #[uniffi::constructor]
    pub fn new() -> Self {
        Self::default()
    }

    /// `appid` (provider mode: the provider's).
    pub fn appid(self: Arc<Self>, appid: String) -> Arc<Self> {
        self.with(|b| b.appid(appid))
    }

    /// `mch_id` (provider mode: the provider's).
    pub fn mch_id(self: Arc<Self>, mch_id: String) -> Arc<Self> {
        self.with(|b| b.mch_id(mch_id))
    }

    /// Provider mode: the sub-merchant id and its API certificate serial.
    pub fn sub_merchant(self: Arc<Self>, sub_mch_id: String, sub_serial_no: String) -> Arc<Self> {
        self.with(|b| b.sub_merchant(sub_mch_id, sub_serial_no))
    }

    /// Provider mode: the sub-merchant's appid.
    pub fn sub_appid(self: Arc<Self>, sub_appid: String) -> Arc<Self> {
        self.with(|b| b.sub_appid(sub_appid))
    }

    /// Default `store_id` and `store_name` of authinfo requests.
    pub fn store(self: Arc<Self>, store_id: String, store_name: String) -> Arc<Self> {
        self.with(|b| b.store(store_id, store_name))
    }

    /// The v2 API key.
    ///
    /// # Errors
    /// `Config` when it is not 1-64 printable ASCII characters.
    pub fn api_key(self: Arc<Self>, key: String) -> Result<Arc<Self>, WxfaceError> {
        self.try_with(|b| Ok(b.api_key(v2::ApiKey::new(key)?)))
    }

    /// The v2 `sign_type` (default MD5).
    pub fn sign_type(self: Arc<Self>, sign_type: SignType) -> Arc<Self> {
        self.with(|b| b.sign_type(sign_type))
    }

    /// The APIv3 merchant private key (PEM) and its certificate serial.
    pub fn merchant_key_pem(self: Arc<Self>, pem: String, serial: String) -> Arc<Self> {
        self.with(|b| b.merchant_key_pem(pem, serial))
    }

    /// Trust a platform public key `PUB_KEY_ID_…` (PEM).
    pub fn platform_public_key(self: Arc<Self>, id: String, pem: String) -> Arc<Self> {
        self.with(|b| b.platform_public_key(id, pem))
    }

    /// Trust a platform certificate (PEM).
    pub fn platform_certificate(self: Arc<Self>, pem: String) -> Arc<Self> {
        self.with(|b| b.platform_certificate(pem))
    }

    /// The APIv3 key (enables `/v3/certificates` downloads).
    pub fn apiv3_key(self: Arc<Self>, key: String) -> Arc<Self> {
        self.with(|b| b.apiv3_key(key))
    }

    /// Platform certificate serials trusted on the first download.
    pub fn pinned_platform_serials(self: Arc<Self>, serials: Vec<String>) -> Arc<Self> {
        self.with(|b| b.pinned_platform_serials(serials))
    }

    /// Both base URLs (a sandbox serving both hosts). Plain `http` only on
    /// loopback.
    pub fn base_url(self: Arc<Self>, url: String) -> Arc<Self> {
        self.with(|b| b.base_url(url))
    }

    /// How requests reach WeChat Pay: `"env"` (default: `HTTPS_PROXY`,
    /// `ALL_PROXY`, `NO_PROXY`), `"system"` (Windows and macOS settings),
    /// `"none"`, or a proxy URL (`http://`, `https://`, `socks5://`,
    /// `socks5h://`, with `user:password@`); `no_proxy` lists the hosts
    /// reached directly. Never printed.
    ///
    /// # Errors
    /// `InvalidInput` on `proxy` for something else (not quoted).
    pub fn proxy(
        self: Arc<Self>,
        proxy: String,
        no_proxy: Option<String>,
    ) -> Result<Arc<Self>, WxfaceError> {
        let setting = wxface_client::ProxySetting::parse(&proxy, no_proxy.as_deref())?;
        Ok(self.with(|b| b.proxy(setting)))
    }

    /// Where identity queries go when the APIv3 host cannot be reached;
    /// `null` turns failover off (default: WeChat Pay's backup domain with
    /// the production host, none with a base URL of your own).
    pub fn apimch_backup_base_url(self: Arc<Self>, url: Option<String>) -> Arc<Self> {
        self.with(|b| b.apimch_backup_base_url(url))
    }

    /// Connect timeout of each attempt.
    pub fn connect_timeout_ms(self: Arc<Self>, ms: u32) -> Arc<Self> {
        self.with(|b| b.connect_timeout(millis(ms)))
    }

    /// Total timeout of each attempt.
    pub fn timeout_ms(self: Arc<Self>, ms: u32) -> Arc<Self> {
        self.with(|b| b.timeout(millis(ms)))
    }

    /// The decryptor `realName` uses.
    pub fn decryptor(self: Arc<Self>, decryptor: Arc<Decryptor>) -> Arc<Self> {
        self.with(|b| b.decryptor(decryptor.inner.clone()))
    }

    /// Check everything, load the keys, start the client.
    ///
    /// # Errors
    /// `Config` naming what is missing or unusable; `Internal` when its
    /// HTTP stack cannot start.
    pub fn build(&self) -> Result<Arc<MerchantClient>, WxfaceError> {
        let builder = lock(&self.inner).take().ok_or_else(used)?;
        MerchantClient::new(builder.build()?).map(Arc::new)
    }
}

/// The merchant client: authinfo (cached, single-flight), the identity query
/// (verified before anything is decrypted), platform keys, retries.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct MerchantClient {
    inner: client::MerchantClient,
    runtime: Arc<Runtime>,
}

impl fmt::Debug for MerchantClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MerchantClient(appid={}, mch_id={})",
            self.inner.config().appid(),
            self.inner.config().mch_id()
        )
    }
}

struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The client's runtime stopped before the call was done.
fn abandoned() -> WxfaceError {
    wxface_core::Error::Internal("the merchant client's runtime stopped during the call".into())
        .into()
}

impl MerchantClient {
    fn new(config: client::ClientConfig) -> Result<Self, WxfaceError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("wxface-merchant")
            .enable_all()
            .build()
            .map_err(|_| {
                wxface_core::Error::Internal("cannot start the merchant client's runtime".into())
            })?;
        let inner = {
            let _guard = rt.enter();
            client::MerchantClient::new(config)?
        };
        Ok(Self {
            inner,
            runtime: Arc::new(Runtime(Some(rt))),
        })
    }

    fn spawn<T, F>(&self, fut: F) -> Result<tokio::task::JoinHandle<client::Result<T>>, WxfaceError>
    where
        T: Send + 'static,
        F: Future<Output = client::Result<T>> + Send + 'static,
    {
        let rt = self.runtime.0.as_ref().ok_or_else(abandoned)?;
        Ok(rt.spawn(fut))
    }

    /// Run on the client's runtime; block this (non-async) thread.
    fn blocking<T, F>(&self, fut: F) -> Result<T, WxfaceError>
    where
        T: Send + 'static,
        F: Future<Output = client::Result<T>> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        self.spawn(async move {
            let _ = tx.send(fut.await);
            Ok(())
        })?;
        rx.recv()
            .map_err(|_| abandoned())?
            .map_err(WxfaceError::from)
    }

    /// Run on the client's runtime; suspend the caller until it is done.
    #[cfg(feature = "suspend")]
    async fn suspending<T, F>(&self, fut: F) -> Result<T, WxfaceError>
    where
        T: Send + 'static,
        F: Future<Output = client::Result<T>> + Send + 'static,
    {
        self.spawn(fut)?
            .await
            .map_err(|_| abandoned())?
            .map_err(WxfaceError::from)
    }
}

fn stats(s: client::ClientStats) -> ClientStats {
    ClientStats {
        calls: s.calls,
        http_requests: s.http_requests,
        retries: s.retries,
        cache_hits: s.cache_hits,
        coalesced: s.coalesced,
        certificate_downloads: s.certificate_downloads,
        failovers: s.failovers,
    }
}

#[uniffi::export]
impl MerchantClient {
    /// An authinfo for a kiosk (from the cache while it is fresh). Blocks.
    ///
    /// # Errors
    /// `Backend` (WeChat's error), `Signature`, `Malformed`, `Transport`,
    /// `InvalidInput`.
    pub fn get_authinfo(&self, params: AuthinfoParams) -> Result<AuthinfoResponse, WxfaceError> {
        let c = self.inner.clone();
        self.blocking(async move { c.get_authinfo(params.into()).await })
            .map(Into::into)
    }

    /// Forget the cached authinfo for these parameters; whether one was held.
    pub fn invalidate_authinfo(&self, params: AuthinfoParams) -> bool {
        self.inner.invalidate_authinfo(&params.into())
    }

    /// `GET /v3/facemch/users/{face_sid}`, verified; fields stay encrypted.
    /// Blocks.
    ///
    /// # Errors
    /// As `getAuthinfo`.
    pub fn query_user(
        &self,
        face_sid: String,
        info_type: InfoType,
    ) -> Result<Arc<FaceUser>, WxfaceError> {
        let c = self.inner.clone();
        self.blocking(async move { c.query_user(&face_sid, info_type).await })
            .map(|u| Arc::new(u.into()))
    }

    /// Provider mode (服务商): `GET /v3/facemch/users/{face_sid}`, verified
    /// here, and returned exactly as WeChat Pay sent it, for forwarding to
    /// the hospital, whose `RealNameReceiver` verifies it again with the
    /// platform key before it decrypts anything. Blocks.
    ///
    /// # Errors
    /// As `queryUser`; `Malformed` when the body is not UTF-8.
    pub fn query_user_signed(
        &self,
        face_sid: String,
        info_type: InfoType,
    ) -> Result<Arc<SignedAnswer>, WxfaceError> {
        let c = self.inner.clone();
        self.blocking(async move { c.query_user_signed(&face_sid, info_type).await })
            .map(|inner| Arc::new(SignedAnswer { inner }))
    }

    /// Query and decrypt with `decryptor`. Blocks.
    ///
    /// # Errors
    /// As `queryUser`, and `Decryption`.
    pub fn fetch_real_name(
        &self,
        face_sid: String,
        decryptor: Arc<Decryptor>,
    ) -> Result<Arc<RealName>, WxfaceError> {
        let c = self.inner.clone();
        let d = decryptor.inner.clone();
        self.blocking(async move { c.fetch_real_name(&face_sid, &d).await })
            .map(|inner| Arc::new(RealName { inner }))
    }

    /// Query and decrypt with the configured decryptor. Blocks.
    ///
    /// # Errors
    /// As `fetchRealName`; `Config` without a configured decryptor.
    pub fn real_name(&self, face_sid: String) -> Result<Arc<RealName>, WxfaceError> {
        let c = self.inner.clone();
        self.blocking(async move { c.real_name(&face_sid).await })
            .map(|inner| Arc::new(RealName { inner }))
    }

    /// Download platform certificates now; how many are trusted. Blocks.
    ///
    /// # Errors
    /// As `getAuthinfo`; `Config` without an APIv3 key.
    pub fn refresh_platform_certificates(&self) -> Result<u64, WxfaceError> {
        let c = self.inner.clone();
        self.blocking(async move { c.refresh_platform_certificates().await })
            .map(|n| u64::try_from(n).unwrap_or(u64::MAX))
    }

    /// Counters since the client was built.
    pub fn stats(&self) -> ClientStats {
        stats(self.inner.stats())
    }

    /// Ids of the trusted platform keys (serials and `PUB_KEY_ID_…`).
    pub fn platform_key_ids(&self) -> Vec<String> {
        self.inner.platform_key_ids()
    }
}

/// The `suspend` variants (feature `suspend`): the work runs on the client's
/// runtime; the coroutine suspends until it is done.
#[cfg(feature = "suspend")]
#[uniffi::export]
impl MerchantClient {
    /// `getAuthinfo` as a `suspend` function.
    ///
    /// # Errors
    /// As `getAuthinfo`.
    pub async fn get_authinfo_async(
        &self,
        params: AuthinfoParams,
    ) -> Result<AuthinfoResponse, WxfaceError> {
        let c = self.inner.clone();
        self.suspending(async move { c.get_authinfo(params.into()).await })
            .await
            .map(Into::into)
    }

    /// `queryUser` as a `suspend` function.
    ///
    /// # Errors
    /// As `queryUser`.
    pub async fn query_user_async(
        &self,
        face_sid: String,
        info_type: InfoType,
    ) -> Result<Arc<FaceUser>, WxfaceError> {
        let c = self.inner.clone();
        self.suspending(async move { c.query_user(&face_sid, info_type).await })
            .await
            .map(|u| Arc::new(u.into()))
    }

    /// `queryUserSigned` as a `suspend` function.
    ///
    /// # Errors
    /// As `queryUserSigned`.
    pub async fn query_user_signed_async(
        &self,
        face_sid: String,
        info_type: InfoType,
    ) -> Result<Arc<SignedAnswer>, WxfaceError> {
        let c = self.inner.clone();
        self.suspending(async move { c.query_user_signed(&face_sid, info_type).await })
            .await
            .map(|inner| Arc::new(SignedAnswer { inner }))
    }

    /// `realName` as a `suspend` function.
    ///
    /// # Errors
    /// As `realName`.
    pub async fn real_name_async(&self, face_sid: String) -> Result<Arc<RealName>, WxfaceError> {
        let c = self.inner.clone();
        self.suspending(async move { c.real_name(&face_sid).await })
            .await
            .map(|inner| Arc::new(RealName { inner }))
    }
}
