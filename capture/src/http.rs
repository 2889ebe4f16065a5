//! [`HttpMerchantBackend`]: the kiosk side of `docs/merchant-api.md` over
//! HTTP (blocking `reqwest`).
//!
//! | trait method | request |
//! |---|---|
//! | [`MerchantBackend::authinfo`] | `POST /kiosk/authinfo` `{rawdata, device_id, store_id?, attach?}` |
//! | [`MerchantBackend::is_verified`] | `POST /kiosk/verified` `{openid, sub_openid, face_sid}` |
//! | [`MerchantBackend::real_name`] | `POST /kiosk/real-name` `{face_sid, device_id}` |
//!
//! A non-2xx answer `{"code", "message"}` becomes [`Error::Backend`] with the
//! HTTP status, `code` and `message`; one without that body gets the code
//! `HTTP_<status>`. No answer at all becomes [`Error::Backend`] with no status
//! and the code `TIMEOUT`, `UNREACHABLE` or `TRANSPORT`. A 2xx answer that is
//! not the expected JSON is [`Error::Malformed`]; its content is never quoted.
//!
//! The real-name answer must be masked (docs: the full name and number never
//! leave the hospital's system). An answer whose name or number carries no
//! `*` is refused as [`Error::Malformed`] rather than passed on to a screen.
//!
//! Use from a plain thread: `reqwest`'s blocking client must not be created,
//! used or dropped inside an async runtime's worker (bindings use their
//! blocking pool, as they do for [`crate::Kiosk`]).

use std::fmt;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wxface_core::flow::Recognised;
use wxface_core::realname::MaskedIdentity;
use wxface_core::sdk::MAX_AUTHINFO;
use wxface_core::time::{Clock, SystemClock};
use wxface_core::{Error, UnixTime};

use crate::{AuthinfoGrant, MerchantBackend};

/// Largest answer body read from the merchant server.
const MAX_BODY: u64 = 256 * 1024;
/// Longest error message passed on.
const MAX_MESSAGE_CHARS: usize = 256;
/// What [`Error::Malformed`] names.
const WHAT: &str = "merchant server response";

/// Default connect timeout.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout of one request, answer included (the real-name request
/// makes the server call WeChat Pay and decrypt).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Builds an [`HttpMerchantBackend`].
pub struct HttpMerchantBackendBuilder {
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    store_id: Option<String>,
    attach: Option<String>,
    headers: Vec<(String, String)>,
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
            .finish_non_exhaustive()
    }
}

impl HttpMerchantBackendBuilder {
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
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .default_headers(headers)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {}", e.without_url())))?;
        Ok(HttpMerchantBackend {
            base: self.base_url.trim_end_matches('/').to_owned(),
            client,
            timeout: self.timeout,
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

#[derive(Serialize)]
struct AuthinfoRequest<'a> {
    rawdata: &'a str,
    device_id: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    refresh: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    store_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attach: Option<&'a str>,
}

#[derive(Deserialize)]
struct AuthinfoAnswer {
    authinfo: String,
    expires_in: Option<u64>,
    expires_at: Option<u64>,
}

#[derive(Serialize)]
struct VerifiedRequest<'a> {
    openid: Option<&'a str>,
    sub_openid: Option<&'a str>,
    face_sid: &'a str,
}

#[derive(Deserialize)]
struct VerifiedAnswer {
    already_verified: bool,
}

#[derive(Serialize)]
struct RealNameRequest<'a> {
    face_sid: &'a str,
    device_id: &'a str,
}

#[derive(Deserialize)]
struct RealNameAnswer {
    identity: MaskedIdentity,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    code: String,
    #[serde(default)]
    message: String,
}

impl HttpMerchantBackend {
    /// A backend for the server at `base_url` (e.g. `https://his.example/api`;
    /// paths are appended) with default timeouts.
    ///
    /// # Errors
    /// As [`HttpMerchantBackendBuilder::build`].
    pub fn new(base_url: impl Into<String>) -> Result<Self, Error> {
        Self::builder(base_url).build()
    }

    /// A builder for the server at `base_url`.
    pub fn builder(base_url: impl Into<String>) -> HttpMerchantBackendBuilder {
        HttpMerchantBackendBuilder {
            base_url: base_url.into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            store_id: None,
            attach: None,
            headers: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }

    fn post<T: DeserializeOwned>(
        &self,
        path: &'static str,
        body: &impl Serialize,
    ) -> Result<T, Error> {
        let url = format!("{}{path}", self.base);
        let resp = self
            .client
            .post(url)
            .json(body)
            .send()
            .map_err(|e| self.transport_error(path, e))?;
        let status = resp.status();
        let mut bytes = Vec::new();
        resp.take(MAX_BODY + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Backend {
                status: Some(status.as_u16()),
                code: "TRANSPORT".into(),
                message: format!("POST {path}: reading the answer failed: {}", e.kind()),
                detail: None,
            })?;
        decode(path, status.as_u16(), &bytes)
    }

    fn transport_error(&self, path: &str, e: reqwest::Error) -> Error {
        let (code, message) = if e.is_timeout() {
            (
                "TIMEOUT",
                format!("POST {path}: no answer within {:?}", self.timeout),
            )
        } else if e.is_connect() {
            (
                "UNREACHABLE",
                format!("POST {path}: cannot connect to the merchant server"),
            )
        } else {
            ("TRANSPORT", format!("POST {path}: {}", e.without_url()))
        };
        tracing::warn!(code, path, "merchant server request failed");
        Error::Backend {
            status: None,
            code: code.into(),
            message,
            detail: None,
        }
    }
}

/// A read answer to `path`: the size limit, then the error body of a non-2xx
/// status or the expected JSON of a 2xx one.
fn decode<T: DeserializeOwned>(path: &str, status: u16, bytes: &[u8]) -> Result<T, Error> {
    if bytes.len() as u64 > MAX_BODY {
        return Err(Error::Malformed {
            what: WHAT,
            reason: format!("POST {path}: answer larger than {MAX_BODY} bytes"),
        });
    }
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_slice::<ErrorAnswer>(bytes) {
            Ok(ErrorAnswer { code, message }) if !code.is_empty() => Error::Backend {
                status: Some(status),
                code: truncate(code, 64),
                message: truncate(message, MAX_MESSAGE_CHARS),
                detail: None,
            },
            _ => Error::Backend {
                status: Some(status),
                code: format!("HTTP_{status}"),
                message: format!("POST {path}: the merchant server answered without an error body"),
                detail: None,
            },
        });
    }
    serde_json::from_slice(bytes).map_err(|e| Error::Malformed {
        what: WHAT,
        // The serde message may quote values: say where, not what.
        reason: format!(
            "POST {path}: not the expected JSON ({} at line {}, column {})",
            match e.classify() {
                serde_json::error::Category::Io => "read error",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "missing or mistyped field",
                serde_json::error::Category::Eof => "truncated",
            },
            e.line(),
            e.column()
        ),
    })
}

fn truncate(mut s: String, max_chars: usize) -> String {
    if let Some((i, _)) = s.char_indices().nth(max_chars) {
        s.truncate(i);
    }
    s
}

/// Whether an identity looks masked: a name or number of two characters or
/// more must hide at least one of them.
fn is_masked(identity: &MaskedIdentity) -> bool {
    let hides = |s: &str| s.chars().count() < 2 || s.contains('*');
    hides(&identity.name) && hides(&identity.credential_id)
}

impl HttpMerchantBackend {
    fn request_authinfo(
        &self,
        rawdata: &str,
        device_id: &str,
        refresh: bool,
    ) -> Result<AuthinfoGrant, Error> {
        let now = self.clock.now();
        let a: AuthinfoAnswer = self.post(
            "/kiosk/authinfo",
            &AuthinfoRequest {
                rawdata,
                device_id,
                refresh,
                store_id: self.store_id.as_deref(),
                attach: self.attach.as_deref(),
            },
        )?;
        grant(a, now)
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
            "/kiosk/authinfo" => grant(decode(path, status, body)?, now).map(drop),
            "/kiosk/verified" => decode::<VerifiedAnswer>(path, status, body).map(drop),
            "/kiosk/real-name" => masked(decode(path, status, body)?).map(drop),
            _ => Err(Error::InvalidInput {
                field: "path".into(),
                reason: "is not a path of the kiosk API".into(),
            }),
        }
    }
}

/// The authinfo answer's checks: a bounded `authinfo` and an expiry.
fn grant(a: AuthinfoAnswer, now: UnixTime) -> Result<AuthinfoGrant, Error> {
    if a.authinfo.is_empty() || a.authinfo.chars().count() > MAX_AUTHINFO {
        return Err(Error::Malformed {
            what: WHAT,
            reason: "POST /kiosk/authinfo: `authinfo` is empty or longer than 4096 characters"
                .into(),
        });
    }
    // `expires_in` is measured on this kiosk's clock, which is the one the
    // flow compares with; `expires_at` (the server's clock) is the fallback.
    let expires_at = match (a.expires_in, a.expires_at) {
        (Some(secs), _) if secs > 0 => now.plus(secs),
        (_, Some(at)) if at > 0 => UnixTime(at),
        _ => {
            return Err(Error::Malformed {
                what: WHAT,
                reason: "POST /kiosk/authinfo: neither `expires_in` nor `expires_at`".into(),
            })
        }
    };
    Ok(AuthinfoGrant {
        authinfo: a.authinfo,
        expires_at,
    })
}

/// The real-name answer's check: only masked values reach a kiosk.
fn masked(a: RealNameAnswer) -> Result<MaskedIdentity, Error> {
    if !is_masked(&a.identity) {
        return Err(Error::Malformed {
            what: WHAT,
            reason: "POST /kiosk/real-name: the identity is not masked; a kiosk must only \
                     receive masked values"
                .into(),
        });
    }
    Ok(a.identity)
}

impl MerchantBackend for HttpMerchantBackend {
    fn authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, Error> {
        self.request_authinfo(rawdata, device_id, false)
    }

    fn refresh_authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, Error> {
        self.request_authinfo(rawdata, device_id, true)
    }

    fn is_verified(&self, who: &Recognised) -> Result<bool, Error> {
        let a: VerifiedAnswer = self.post(
            "/kiosk/verified",
            &VerifiedRequest {
                openid: who.openid.as_deref(),
                sub_openid: who.sub_openid.as_deref(),
                face_sid: &who.face_sid,
            },
        )?;
        Ok(a.already_verified)
    }

    fn real_name(&self, face_sid: &str, device_id: &str) -> Result<MaskedIdentity, Error> {
        let a: RealNameAnswer = self.post(
            "/kiosk/real-name",
            &RealNameRequest {
                face_sid,
                device_id,
            },
        )?;
        masked(a)
    }
}
