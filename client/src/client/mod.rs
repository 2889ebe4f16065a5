//! [`MerchantClient`]: the async client.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tracing::field::Empty;
use tracing::Instrument as _;
use wxface_core::decrypt::Decryptor;
use wxface_core::realname::RealName;
use wxface_core::v2::{parse_authinfo_response, AuthinfoRequest};
use wxface_core::v3::{
    handle_users_response, parse_error_body, FaceUser, InfoType, SignatureHeaders, SignedAnswer,
    UsersQuery,
};
use wxface_core::UnixTime;

use crate::cache::{FlightCache, Source};
use crate::config::{ClientConfig, MAX_AUTHINFO_AGE_SECS};
use crate::error::{from_reqwest, Error, Result};

mod diagnose;
mod transport;

use crate::platform::PlatformKeys;
pub use diagnose::{HostProbe, V2KeyCheck};

/// Largest answer body read, in bytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the kiosk's merchant server passes for one authinfo.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthinfoParams {
    /// `rawdata` from the face SDK's `getWxpayfaceRawdata` (≤ 2048).
    pub rawdata: String,
    /// The store; `None` uses the configured default.
    pub store_id: Option<String>,
    /// The store's name; `None` uses the configured default.
    pub store_name: Option<String>,
    /// The kiosk (≤ 32).
    pub device_id: String,
    /// `attach`, a JSON string passed through to WeChat.
    pub attach: Option<String>,
}

impl AuthinfoParams {
    /// Params for `device_id` with the configured store.
    pub fn new(rawdata: impl Into<String>, device_id: impl Into<String>) -> Self {
        Self {
            rawdata: rawdata.into(),
            device_id: device_id.into(),
            ..Self::default()
        }
    }
}

impl fmt::Debug for AuthinfoParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthinfoParams")
            .field("rawdata_len", &self.rawdata.len())
            .field("store_id", &self.store_id)
            .field("store_name", &self.store_name)
            .field("device_id", &self.device_id)
            .field("attach", &self.attach.as_ref().map(|_| "[set]"))
            .finish()
    }
}

/// An authinfo for the face SDK.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthinfoResponse {
    /// The credential for `getWxpayfaceCode` / `getWxpayAuth`. Never log it.
    pub authinfo: String,
    /// When WeChat says it expires.
    pub expires_at: UnixTime,
    /// Seconds left until `expires_at` when this answer was produced.
    pub expires_in: u64,
    /// Whether no HTTP call was made for this answer (cached, or shared with
    /// a concurrent caller).
    pub from_cache: bool,
}

impl fmt::Debug for AuthinfoResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthinfoResponse")
            .field("authinfo_len", &self.authinfo.len())
            .field("expires_at", &self.expires_at)
            .field("expires_in", &self.expires_in)
            .field("from_cache", &self.from_cache)
            .finish()
    }
}

/// Counters since the client was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Calls of the public operations (authinfo, identity query, certificate
    /// refresh).
    pub calls: u64,
    /// HTTP requests sent (every attempt counts).
    pub http_requests: u64,
    /// Attempts after a retryable failure.
    pub retries: u64,
    /// Authinfo answers served from the cache.
    pub cache_hits: u64,
    /// Authinfo answers shared with a concurrent caller's request.
    pub coalesced: u64,
    /// Successful platform certificate downloads.
    pub certificate_downloads: u64,
    /// Requests sent to the backup host after the primary could not be
    /// reached.
    pub failovers: u64,
}

#[derive(Default)]
struct Counters {
    calls: AtomicU64,
    http_requests: AtomicU64,
    retries: AtomicU64,
    cache_hits: AtomicU64,
    coalesced: AtomicU64,
    certificate_downloads: AtomicU64,
    failovers: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

#[derive(Clone, PartialEq, Eq, Hash)]
/// An authinfo is reused only for a request that would send the same
/// fields: every field of `get_wxpayface_authinfo` except those that differ
/// on every call by nature (`rawdata`, `now`, `nonce_str`, `sign`). The
/// sign type is part of the configuration, hence of every key.
struct CacheKey {
    device_id: String,
    store_id: String,
    store_name: String,
    attach: Option<String>,
    appid: String,
    mch_id: String,
    sub_appid: Option<String>,
    sub_mch_id: Option<String>,
}

/// An answer as received.
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

struct Inner {
    config: ClientConfig,
    http: reqwest::Client,
    cache: FlightCache<CacheKey, (String, UnixTime)>,
    platform: PlatformKeys,
    counters: Counters,
}

/// The merchant server's client for WeChat Pay's face real-name endpoints.
///
/// Cheap to clone (one shared state); every method takes `&self` and may run
/// concurrently. For a synchronous caller see [`crate::blocking::MerchantClient`].
#[derive(Clone)]
pub struct MerchantClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for MerchantClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantClient")
            .field("config", &self.inner.config)
            .field("platform_keys", &self.inner.platform.ids())
            .finish_non_exhaustive()
    }
}

impl MerchantClient {
    /// A client for `config`.
    ///
    /// # Errors
    /// [`Error::Transport`] when the HTTP stack cannot be set up (TLS roots).
    pub fn new(config: ClientConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(wxface_core::v3::USER_AGENT)
            // Signatures cover the path: a redirect would only fail later.
            .redirect(reqwest::redirect::Policy::none());
        let http = config.proxy.apply(http)?.build().map_err(from_reqwest)?;
        let platform = PlatformKeys::new(
            config.platform_store.clone(),
            config.response_window_secs,
            config.apiv3_key.clone(),
            config.pinned_serials.clone(),
            config.certificate_refresh_secs,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                http,
                cache: FlightCache::new(),
                platform,
                counters: Counters::default(),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Counters since the client was built.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ClientStats {
            calls: l(&c.calls),
            http_requests: l(&c.http_requests),
            retries: l(&c.retries),
            cache_hits: l(&c.cache_hits),
            coalesced: l(&c.coalesced),
            certificate_downloads: l(&c.certificate_downloads),
            failovers: l(&c.failovers),
        }
    }

    /// Ids of the platform keys currently trusted (certificate serials and
    /// `PUB_KEY_ID_…`).
    pub fn platform_key_ids(&self) -> Vec<String> {
        self.inner.platform.ids()
    }

    fn now(&self) -> UnixTime {
        self.inner.config.clock.now()
    }

    // ---------------------------------------------------------------- authinfo

    /// An authinfo for the face SDK on `params.device_id`: from the cache when
    /// one for the same device and parameters is still good (until
    /// `expires_at` minus the configured margin, at most an hour), otherwise
    /// from `get_wxpayface_authinfo`. Concurrent misses for the same key make
    /// one request.
    ///
    /// # Errors
    /// `invalid_input` for a field WeChat would refuse (or no store id/name),
    /// `backend` for a `FAIL`/`SYSTEMERROR` answer (after retries where that
    /// is safe), `signature_*` when the answer is not signed with the API key,
    /// `malformed`, `transport`.
    pub async fn get_authinfo(&self, params: AuthinfoParams) -> Result<AuthinfoResponse> {
        bump(&self.inner.counters.calls);
        let span = tracing::info_span!(
            "wxface.authinfo",
            device_id = %wxface_core::redact::LogSafe(&params.device_id),
            store_id = Empty,
            cache = Empty,
            attempts = Empty,
            latency_ms = Empty,
        );
        async move {
            let started = Instant::now();
            let result = self.authinfo_inner(params).await;
            let span = tracing::Span::current();
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            if let Err(e) = &result {
                tracing::warn!(code = e.code(), error = %e, "authinfo failed");
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn authinfo_inner(&self, params: AuthinfoParams) -> Result<AuthinfoResponse> {
        let cfg = &self.inner.config;
        let store_id = params
            .store_id
            .or_else(|| cfg.store_id.clone())
            .ok_or_else(|| invalid("store_id", "is required (no default store configured)"))?;
        let store_name = params
            .store_name
            .or_else(|| cfg.store_name.clone())
            .ok_or_else(|| invalid("store_name", "is required (no default store configured)"))?;
        let logged_store = tracing::field::display(wxface_core::redact::LogSafe(&store_id));
        tracing::Span::current().record("store_id", logged_store);
        let req = AuthinfoRequest {
            store_id: store_id.clone(),
            store_name,
            device_id: params.device_id.clone(),
            attach: params.attach,
            rawdata: params.rawdata,
            appid: cfg.appid.clone(),
            mch_id: cfg.mch_id.clone(),
            sub_appid: cfg.sub_appid.clone(),
            sub_mch_id: cfg.sub_mch_id.clone(),
            sign_type: cfg.sign_type,
        };
        req.validate()?;
        let key = CacheKey {
            device_id: req.device_id.clone(),
            store_id: req.store_id.clone(),
            store_name: req.store_name.clone(),
            attach: req.attach.clone(),
            appid: cfg.appid.clone(),
            mch_id: cfg.mch_id.clone(),
            sub_appid: cfg.sub_appid.clone(),
            sub_mch_id: cfg.sub_mch_id.clone(),
        };
        let ((authinfo, expires_at), source) = self
            .inner
            .cache
            .get_or_fetch(&key, || self.now(), || self.fetch_authinfo(&req))
            .await?;
        let span = tracing::Span::current();
        match source {
            Source::Cache => {
                bump(&self.inner.counters.cache_hits);
                span.record("cache", "hit");
            }
            Source::Coalesced => {
                bump(&self.inner.counters.coalesced);
                span.record("cache", "coalesced");
            }
            Source::Fetched => {
                span.record("cache", "miss");
            }
        }
        Ok(AuthinfoResponse {
            authinfo,
            expires_at,
            expires_in: expires_at.as_secs().saturating_sub(self.now().as_secs()),
            from_cache: source != Source::Fetched,
        })
    }

    /// Fetch one authinfo; returns it with the instant until which it may be
    /// reused.
    async fn fetch_authinfo(
        &self,
        req: &AuthinfoRequest,
    ) -> Result<((String, UnixTime), UnixTime)> {
        let cfg = &self.inner.config;
        let answer = self
            .with_retries(|_| async move {
                let now = self.now();
                let nonce = wxface_core::time::nonce(cfg.entropy.as_ref(), 32);
                let http = req.build(&cfg.api_key, now, &nonce)?;
                let resp = self.send(&http).await?;
                if !(200..300).contains(&resp.status) {
                    return Err(parse_error_body(resp.status, &resp.body));
                }
                parse_authinfo_response(&resp.body, &cfg.api_key, cfg.sign_type, now)
            })
            .await?;
        let now = self.now();
        let reuse_until = answer
            .expires_at
            .minus(cfg.authinfo_margin_secs)
            .min(now.plus(MAX_AUTHINFO_AGE_SECS));
        Ok(((answer.authinfo, answer.expires_at), reuse_until))
    }

    /// Forget the cached authinfo for these parameters (after the face SDK
    /// reported it expired, error 271382020). Returns whether one was cached.
    pub fn invalidate_authinfo(&self, params: &AuthinfoParams) -> bool {
        let cfg = &self.inner.config;
        let Some(store_id) = params.store_id.clone().or_else(|| cfg.store_id.clone()) else {
            return false;
        };
        let Some(store_name) = params.store_name.clone().or_else(|| cfg.store_name.clone()) else {
            return false;
        };
        self.inner.cache.invalidate(&CacheKey {
            device_id: params.device_id.clone(),
            store_id,
            store_name,
            attach: params.attach.clone(),
            appid: cfg.appid.clone(),
            mch_id: cfg.mch_id.clone(),
            sub_appid: cfg.sub_appid.clone(),
            sub_mch_id: cfg.sub_mch_id.clone(),
        })
    }

    // -------------------------------------------------------------- identity

    /// `GET /v3/facemch/users/{face_sid}`, signed with the merchant key; the
    /// answer is verified against the platform keys before it is parsed.
    ///
    /// In provider mode the query carries `sub_mchid`, `sub_appid` and (for
    /// `ASK_REAL_NAME`) `sub_serial_no`: the real-name fields of the
    /// [`FaceUser`] are then encrypted for the sub-merchant's key, which this
    /// client never needs. Hand them to the hospital's
    /// [`Decryptor`](wxface_core::decrypt::Decryptor) wherever it lives.
    ///
    /// # Errors
    /// `backend` for a non-2xx answer (WeChat's code, message and detail),
    /// `signature_*` for an answer that does not verify (never retried),
    /// `malformed`, `invalid_input`, `transport`, `config`.
    pub async fn query_user(&self, face_sid: &str, info_type: InfoType) -> Result<FaceUser> {
        bump(&self.inner.counters.calls);
        let span = tracing::info_span!(
            "wxface.query_user",
            info_type = info_type.as_str(),
            provider_mode = self.inner.config.is_provider_mode(),
            attempts = Empty,
            latency_ms = Empty,
        );
        async move {
            let started = Instant::now();
            let result = self.query_user_inner(face_sid, info_type).await;
            tracing::Span::current().record("latency_ms", started.elapsed().as_millis() as u64);
            if let Err(e) = &result {
                tracing::warn!(code = e.code(), error = %e, "identity query failed");
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn query_user_inner(&self, face_sid: &str, info_type: InfoType) -> Result<FaceUser> {
        let path = self.users_path(face_sid, info_type)?;
        self.v3_get(&path, |verifier, resp, now| {
            handle_users_response(verifier, resp.status, &resp.headers, &resp.body, now)
        })
        .await
    }

    /// Provider mode (服务商): the identity query's answer, verified here
    /// against the platform keys and then handed back exactly as WeChat Pay
    /// sent it — status, signature headers, body — for the hospital.
    ///
    /// The real-name fields in it are encrypted for the hospital's key, and
    /// the hospital must not take the provider's word for them: send the
    /// [`SignedAnswer`] (its JSON form, [`SignedAnswer::to_json`]) to the
    /// hospital, whose [`RealNameReceiver`](wxface_core::decrypt::RealNameReceiver)
    /// verifies it again with the platform key before it decrypts anything.
    ///
    /// # Errors
    /// As [`Self::query_user`]; `malformed` when the body is not UTF-8.
    pub async fn query_user_signed(
        &self,
        face_sid: &str,
        info_type: InfoType,
    ) -> Result<SignedAnswer> {
        bump(&self.inner.counters.calls);
        let span = tracing::info_span!(
            "wxface.query_user",
            info_type = info_type.as_str(),
            provider_mode = self.inner.config.is_provider_mode(),
            forwarded = true,
            attempts = Empty,
            latency_ms = Empty,
        );
        async move {
            let started = Instant::now();
            let path = self.users_path(face_sid, info_type)?;
            let result = self
                .v3_get(&path, |verifier, resp, now| {
                    handle_users_response(verifier, resp.status, &resp.headers, &resp.body, now)?;
                    let headers = SignatureHeaders::from_pairs(
                        resp.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    )?;
                    let body = String::from_utf8(resp.body.clone()).map_err(|_| {
                        Error::malformed("facemch users answer", "body is not UTF-8")
                    })?;
                    Ok(SignedAnswer {
                        status: resp.status,
                        headers,
                        body,
                    })
                })
                .await;
            tracing::Span::current().record("latency_ms", started.elapsed().as_millis() as u64);
            if let Err(e) = &result {
                tracing::warn!(code = e.code(), error = %e, "identity query failed");
            }
            result
        }
        .instrument(span)
        .await
    }

    fn users_path(&self, face_sid: &str, info_type: InfoType) -> Result<String> {
        let cfg = &self.inner.config;
        let provider = cfg.is_provider_mode();
        let query = UsersQuery {
            face_sid: face_sid.to_owned(),
            info_type,
            appid: cfg.appid.clone(),
            sub_mchid: cfg.sub_mch_id.clone(),
            sub_appid: cfg.sub_appid.clone(),
            sub_serial_no: (provider && info_type == InfoType::AskRealName)
                .then(|| cfg.sub_serial_no.clone())
                .flatten(),
        };
        query.path_and_query()
    }

    /// Query `ASK_REAL_NAME` and decrypt the identity with `decryptor` (the
    /// merchant's, in provider mode the sub-merchant's, certificate key).
    ///
    /// # Errors
    /// As [`Self::query_user`]; `malformed` when the answer has no real-name
    /// fields; `decryption` when they do not decrypt to a plausible identity.
    pub async fn fetch_real_name(&self, face_sid: &str, decryptor: &Decryptor) -> Result<RealName> {
        let user = self.query_user(face_sid, InfoType::AskRealName).await?;
        decrypt_user(&user, decryptor)
    }

    /// [`Self::fetch_real_name`] with the decryptor of the configuration.
    ///
    /// # Errors
    /// `config` when none is configured; otherwise as [`Self::fetch_real_name`].
    pub async fn real_name(&self, face_sid: &str) -> Result<RealName> {
        let decryptor = self
            .inner
            .config
            .decryptor
            .clone()
            .ok_or_else(|| Error::config("no decryptor is configured"))?;
        self.fetch_real_name(face_sid, &decryptor).await
    }

    // ------------------------------------------------------- platform keys

    /// Download the platform certificates now (needs the APIv3 key). Returns
    /// how many were installed.
    ///
    /// # Errors
    /// `config` without the APIv3 key or without a trust anchor; as
    /// [`Self::query_user`] otherwise.
    pub async fn refresh_platform_certificates(&self) -> Result<usize> {
        bump(&self.inner.counters.calls);
        let mut state = self.inner.platform.refresh.lock().await;
        state.last_attempt = Some(self.now());
        self.download_certificates().await
    }
}

fn invalid(field: &str, reason: &str) -> Error {
    Error::invalid(field, reason)
}

/// Decrypt the real-name part of a verified answer.
pub(crate) fn decrypt_user(user: &FaceUser, decryptor: &Decryptor) -> Result<RealName> {
    let enc = user.real_name.as_ref().ok_or_else(|| {
        Error::malformed(
            "facemch users answer",
            "no real-name fields (was ASK_REAL_NAME granted?)",
        )
    })?;
    decryptor.decrypt_real_name(enc)
}

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>(_: T) {}
    fn check(c: &MerchantClient, d: &Decryptor) {
        is_send(c.get_authinfo(AuthinfoParams::default()));
        is_send(c.query_user("", InfoType::AskRealName));
        is_send(c.query_user_signed("", InfoType::AskRealName));
        is_send(c.fetch_real_name("", d));
        is_send(c.refresh_platform_certificates());
    }
    let _ = check;
}
