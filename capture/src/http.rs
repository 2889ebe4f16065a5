//! [`HttpMerchantBackend`]: the kiosk side of `docs/merchant-api.md` over
//! HTTP (blocking `reqwest`). The messages, their checks and the error body
//! are the core's ([`wxface_core::kiosk_api`]); this module only sends them.
//!
//! | trait method | request |
//! |---|---|
//! | [`MerchantBackend::authinfo`] | `POST /kiosk/authinfo` `{rawdata, device_id, store_id?, attach?}` |
//! | [`MerchantBackend::refresh_authinfo`] | the same with `"refresh": true` |
//! | [`MerchantBackend::is_verified`] | `POST /kiosk/verified` `{openid, sub_openid, face_sid}` |
//! | [`MerchantBackend::real_name`] | `POST /kiosk/real-name` `{face_sid, device_id}` |
//!
//! Every request carries the kiosk's device credential
//! ([`HttpMerchantBackendBuilder::device_credential`]) as
//! `Authorization: Bearer …`; a server that refuses it answers 401, which
//! is [`Error::Unauthenticated`] (not retryable: the hospital must issue the
//! kiosk a live credential).
//!
//! Where the hospital runs mutual TLS, the backend presents the kiosk's
//! client certificate ([`HttpMerchantBackendBuilder::tls_client_identity_pem`])
//! and trusts the hospital's CA
//! ([`HttpMerchantBackendBuilder::tls_root_certificates_pem`]); a handshake
//! the server refuses is [`Error::Transport`] ([`TransportKind::Connect`]).
//!
//! A non-2xx answer carries the core's error record (`ErrorInfo`) and
//! becomes that error again: a WeChat Pay failure the server relays is
//! [`Error::Backend`] with WeChat's code and status. No answer at all is
//! [`Error::Transport`] ([`TransportKind::Connect`], [`TransportKind::Timeout`],
//! [`TransportKind::Interrupted`] when the answer is cut off, or
//! [`TransportKind::Other`]), and so is an answer that is not this API (a
//! status without an error body, a 2xx body that is not JSON:
//! [`TransportKind::Protocol`]). A JSON answer that breaks the message's
//! rules is [`Error::Malformed`]; nothing of it is ever quoted.
//!
//! An HTTP 429 of the server's own limits (`transport`, kind
//! `rate_limited`) is waited out once: when its `Retry-After` is at most
//! [`HttpMerchantBackendBuilder::max_retry_after`] (default 5 s), the
//! backend sleeps that long and sends the request once more; a longer delay,
//! or a second 429, is returned as the (retryable) error at once. A patient
//! at the screen does not notice a short wait but should not face a frozen
//! kiosk, and one retry only keeps a fleet of kiosks from adding to the load
//! that made the server refuse.
//!
//! The real-name answer must be masked (docs: the full name and number never
//! leave the hospital's system). An identity that shows more than half of a
//! value is refused as [`Error::Malformed`] rather than passed on to a screen.
//!
//! Use from a plain thread: `reqwest`'s blocking client must not be created,
//! used or dropped inside an async runtime's worker (bindings use their
//! blocking pool, as they do for [`crate::Kiosk`]).

use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use wxface_core::device_auth::DeviceCredential;
use wxface_core::error::TransportKind;
use wxface_core::flow::Recognised;
use wxface_core::kiosk_api::{
    self, Answer, AuthinfoAnswer, AuthinfoRequest, RealNameAnswer, RealNameRequest, VerifiedAnswer,
    VerifiedRequest, MAX_ANSWER_BYTES,
};
use wxface_core::realname::MaskedIdentity;
use wxface_core::time::{Clock, SystemClock};
use wxface_core::{Error, UnixTime};

use crate::{AuthinfoGrant, MerchantBackend};

/// Default connect timeout.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout of one request, answer included (the real-name request
/// makes the server call WeChat Pay and decrypt).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default longest `Retry-After` waited out.
const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Builds an [`HttpMerchantBackend`].
pub struct HttpMerchantBackendBuilder {
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    max_retry_after: Duration,
    store_id: Option<String>,
    attach: Option<String>,
    headers: Vec<(String, String)>,
    credential: Option<Result<DeviceCredential, Error>>,
    tls_roots_pem: Option<String>,
    tls_identity_pem: Option<zeroize::Zeroizing<String>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for HttpMerchantBackendBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpMerchantBackendBuilder")
            .field("base_url", &self.base_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("store_id", &self.store_id)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field(
                "credential",
                &self.credential.as_ref().map(|c| c.as_ref().ok()),
            )
            .finish_non_exhaustive()
    }
}

impl HttpMerchantBackendBuilder {
    /// Trust only these CA certificates (PEM) for an `https://` merchant
    /// server: the hospital's own PKI, instead of the system's roots.
    pub fn tls_root_certificates_pem(mut self, pem: impl Into<String>) -> Self {
        self.tls_roots_pem = Some(pem.into());
        self
    }

    /// The kiosk's client certificate chain and private key (PEM, in one
    /// text), for a server that requires mutual TLS. Never printed.
    pub fn tls_client_identity_pem(mut self, pem: impl Into<String>) -> Self {
        self.tls_identity_pem = Some(zeroize::Zeroizing::new(pem.into()));
        self
    }

    /// The kiosk's device credential (`wxfd1.…`, issued by the hospital with
    /// `wxface merchant devices add`), sent with every request as
    /// `Authorization: Bearer …`. It is the only secret a kiosk holds; it
    /// never appears in `Debug` output or errors.
    pub fn device_credential(mut self, credential: &str) -> Self {
        self.credential = Some(DeviceCredential::parse(credential).map_err(|_| {
            Error::Config(format!(
                "the device credential is not of the form {}.<key id>.<secret>",
                wxface_core::device_auth::PREFIX
            ))
        }));
        self
    }

    /// Connect timeout (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Timeout of one whole request, answer included (default 30 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Longest `Retry-After` of an HTTP 429 that the backend waits out (once)
    /// before sending the request again (default 5 s; zero never waits).
    pub fn max_retry_after(mut self, t: Duration) -> Self {
        self.max_retry_after = t;
        self
    }

    /// `store_id` sent with authinfo requests (when the server serves several stores).
    pub fn store_id(mut self, store_id: impl Into<String>) -> Self {
        self.store_id = Some(store_id.into());
        self
    }

    /// `attach` sent with authinfo requests (a JSON string, passed to WeChat Pay).
    pub fn attach(mut self, attach: impl Into<String>) -> Self {
        self.attach = Some(attach.into());
        self
    }

    /// A header sent with every request, e.g. the kiosk's own credential for
    /// the hospital's server. Values never appear in `Debug` output or errors.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The clock that turns `expires_in` into an absolute expiry (default: the
    /// system clock). Use the kiosk's clock so that both agree.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Build the backend.
    ///
    /// # Errors
    /// [`Error::Config`] for a base URL that is not `http(s)://…` or a header
    /// that is not valid HTTP.
    pub fn build(self) -> Result<HttpMerchantBackend, Error> {
        let url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| Error::Config(format!("merchant server URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Error::Config(
                "merchant server URL must be http:// or https:// with a host".into(),
            ));
        }
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in &self.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::Config(format!("header name `{name}` is not valid")))?;
            let mut value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| Error::Config(format!("header `{name}`: value is not valid")))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        if let Some(credential) = self.credential {
            let mut value = reqwest::header::HeaderValue::from_str(&credential?.authorization())
                .map_err(|_| Error::Config("the device credential is not valid".into()))?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let mut client = reqwest::blocking::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .default_headers(headers);
        if let Some(pem) = &self.tls_roots_pem {
            let roots = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|_| Error::Config("TLS root certificates: not PEM certificates".into()))?;
            if roots.is_empty() {
                return Err(Error::Config(
                    "TLS root certificates: no certificate".into(),
                ));
            }
            client = client.tls_certs_only(roots);
        }
        if let Some(pem) = &self.tls_identity_pem {
            let identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|_| {
                Error::Config(
                    "TLS client identity: not a PEM certificate chain with its private key".into(),
                )
            })?;
            client = client.identity(identity);
        }
        let client = client
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {}", e.without_url())))?;
        Ok(HttpMerchantBackend {
            base: self.base_url.trim_end_matches('/').to_owned(),
            client,
            timeout: self.timeout,
            max_retry_after: self.max_retry_after,
            store_id: self.store_id,
            attach: self.attach,
            clock: self.clock,
        })
    }
}

/// A [`MerchantBackend`] that speaks `docs/merchant-api.md` over HTTP.
pub struct HttpMerchantBackend {
    base: String,
    client: reqwest::blocking::Client,
    timeout: Duration,
    max_retry_after: Duration,
    store_id: Option<String>,
    attach: Option<String>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for HttpMerchantBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpMerchantBackend")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .field("store_id", &self.store_id)
            .finish_non_exhaustive()
    }
}

impl HttpMerchantBackend {
    /// A backend for the server at `base_url` (e.g. `https://his.example/api`;
    /// paths are appended) that sends `device_credential` with every
    /// request, with default timeouts.
    ///
    /// # Errors
    /// As [`HttpMerchantBackendBuilder::build`].
    pub fn new(base_url: impl Into<String>, device_credential: &str) -> Result<Self, Error> {
        Self::builder(base_url)
            .device_credential(device_credential)
            .build()
    }

    /// A builder for the server at `base_url`.
    pub fn builder(base_url: impl Into<String>) -> HttpMerchantBackendBuilder {
        HttpMerchantBackendBuilder {
            base_url: base_url.into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            store_id: None,
            attach: None,
            headers: Vec::new(),
            credential: None,
            tls_roots_pem: None,
            tls_identity_pem: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// POST `body` to `T::PATH` and decode the answer
    /// ([`kiosk_api::decode_answer`]).
    fn post<T: Answer>(&self, body: Vec<u8>) -> Result<T, Error> {
        match self.post_once(body.clone()) {
            Err((e, Some(wait)))
                if matches!(
                    e,
                    Error::Transport {
                        kind: TransportKind::RateLimited,
                        ..
                    }
                ) && wait <= self.max_retry_after =>
            {
                tracing::info!(path = T::PATH, ?wait, "merchant server rate limit: waiting");
                std::thread::sleep(wait);
                self.post_once(body).map_err(|(e, _)| e)
            }
            other => other.map_err(|(e, _)| e),
        }
    }

    /// One POST; the error comes with the answer's `Retry-After`, if any.
    fn post_once<T: Answer>(&self, body: Vec<u8>) -> Result<T, (Error, Option<Duration>)> {
        let path = T::PATH;
        let url = format!("{}{path}", self.base);
        let resp = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .map_err(|e| (self.transport_error(path, e), None))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        let mut bytes = Vec::new();
        resp.take(MAX_ANSWER_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                let kind = if e.kind() == std::io::ErrorKind::TimedOut {
                    TransportKind::Timeout
                } else {
                    TransportKind::Interrupted
                };
                tracing::warn!(transport = %kind, path, "merchant server answer cut off");
                (
                    Error::transport(
                        kind,
                        format!(
                            "POST {path}: reading the HTTP {status} answer failed: {}",
                            e.kind()
                        ),
                    ),
                    None,
                )
            })?;
        kiosk_api::decode_answer(status, &bytes).map_err(|e| (e, retry_after))
    }

    fn transport_error(&self, path: &str, e: reqwest::Error) -> Error {
        let (kind, detail) = if e.is_timeout() {
            (
                TransportKind::Timeout,
                format!("POST {path}: no answer within {:?}", self.timeout),
            )
        } else if e.is_connect() {
            (
                TransportKind::Connect,
                format!("POST {path}: cannot connect to the merchant server"),
            )
        } else {
            (
                TransportKind::Other,
                format!("POST {path}: {}", bounded(&e.without_url().to_string())),
            )
        };
        tracing::warn!(transport = %kind, path, "merchant server request failed");
        Error::transport(kind, detail)
    }
}

/// `Retry-After` in whole seconds (the HTTP-date form is not used by the
/// kiosk API and is ignored).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

/// Longest reqwest error text kept, in characters.
const MAX_DETAIL_CHARS: usize = 160;

fn bounded(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_DETAIL_CHARS)
        .collect()
}

impl HttpMerchantBackend {
    fn request_authinfo(
        &self,
        rawdata: &str,
        device_id: &str,
        refresh: bool,
    ) -> Result<AuthinfoGrant, Error> {
        let now = self.clock.now();
        let request = AuthinfoRequest {
            refresh,
            store_id: self.store_id.clone(),
            attach: self.attach.clone().map(serde_json::Value::String),
            ..AuthinfoRequest::new(rawdata, device_id)
        };
        let answer: AuthinfoAnswer = self.post(kiosk_api::encode_authinfo_request(&request))?;
        grant(answer, now)
    }

    /// Decode and check an answer of the merchant server to `path`
    /// (`/kiosk/authinfo`, `/kiosk/verified`, `/kiosk/real-name`) exactly as
    /// the backend does, with `now` as the kiosk's clock. Entry point of the
    /// fuzz target `kiosk_api` and its regression tests; not a stable API.
    ///
    /// # Errors
    /// As the [`MerchantBackend`] methods for that path.
    #[doc(hidden)]
    pub fn check_answer(path: &str, status: u16, body: &[u8], now: UnixTime) -> Result<(), Error> {
        match path {
            kiosk_api::AUTHINFO_PATH => {
                grant(kiosk_api::decode_answer(status, body)?, now).map(drop)
            }
            kiosk_api::VERIFIED_PATH => {
                kiosk_api::decode_answer::<VerifiedAnswer>(status, body).map(drop)
            }
            kiosk_api::REAL_NAME_PATH => {
                kiosk_api::decode_answer::<RealNameAnswer>(status, body).map(drop)
            }
            _ => Err(Error::invalid("path", "is not a path of the kiosk API")),
        }
    }
}

/// The grant of a decoded authinfo answer received at `now` (the kiosk's
/// clock; [`AuthinfoAnswer::expiry`]).
fn grant(a: AuthinfoAnswer, now: UnixTime) -> Result<AuthinfoGrant, Error> {
    let expiry = a.expiry(now)?;
    Ok(AuthinfoGrant {
        authinfo: a.authinfo,
        expires_at: expiry.expires_at,
    })
}

impl MerchantBackend for HttpMerchantBackend {
    fn authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, Error> {
        self.request_authinfo(rawdata, device_id, false)
    }

    fn refresh_authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, Error> {
        self.request_authinfo(rawdata, device_id, true)
    }

    fn is_verified(&self, who: &Recognised) -> Result<bool, Error> {
        let request = VerifiedRequest::from(who);
        let a: VerifiedAnswer = self.post(kiosk_api::encode_verified_request(&request))?;
        Ok(a.already_verified)
    }

    fn real_name(&self, face_sid: &str, device_id: &str) -> Result<MaskedIdentity, Error> {
        let request = RealNameRequest {
            face_sid: face_sid.to_owned(),
            device_id: device_id.to_owned(),
        };
        let a: RealNameAnswer = self.post(kiosk_api::encode_real_name_request(&request))?;
        Ok(a.identity)
    }
}
