//! The HTTP side of [`MerchantClient`]: signing and sending, retries,
//! verification with a certificate refresh on an unknown serial.

use std::future::Future;
use std::time::Instant;

use tracing::field::Empty;
use tracing::Instrument as _;
use wxface_core::http::{Endpoint, Headers, HttpRequest, Method};
use wxface_core::v3::{parse_error_body, ResponseVerifier};
use wxface_core::{SignatureFailure, UnixTime};

use super::{bump, invalid, MerchantClient, RawResponse, MAX_BODY_BYTES};
use crate::certificates::CERTIFICATES_PATH;
use crate::error::{from_reqwest, Error, Result, TransportKind};

/// WeChat Pay's `Request-ID` of an answer, when it looks like one (letters,
/// digits, `-` and `_`, at most 128).
fn request_id(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Request-ID"))
        .map(|(_, v)| v.trim())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
}

/// `e` with the answer's `Request-ID`: kept by a `backend` error, named in
/// a signature error's detail (WeChat Pay's support asks for it).
pub(super) fn with_request_id(e: Error, headers: &[(String, String)]) -> Error {
    let Some(id) = request_id(headers) else {
        return e;
    };
    match e {
        Error::Backend {
            status,
            code,
            message,
            detail,
            request_id: None,
        } => Error::Backend {
            status,
            code,
            message,
            detail,
            request_id: Some(id),
        },
        Error::Signature { failure, detail } => Error::Signature {
            failure,
            detail: format!("{detail} (Request-ID {id})"),
        },
        other => other,
    }
}

impl MerchantClient {
    /// Download if needed. `forced` skips the rate limit (nothing to verify
    /// with yet); otherwise at most one download per configured interval.
    /// Returns whether the store changed since `seen_generation`.
    pub(super) async fn refresh_for(&self, seen_generation: u64, forced: bool) -> Result<bool> {
        let platform = &self.inner.platform;
        let mut state = platform.refresh.lock().await;
        if platform.generation() != seen_generation {
            // Another caller refreshed while we waited.
            return Ok(true);
        }
        let now = self.now();
        if !forced
            && state
                .last_attempt
                .is_some_and(|t| now.abs_diff(t) < platform.refresh_secs)
        {
            tracing::debug!("certificate refresh skipped: rate limited");
            return Ok(false);
        }
        state.last_attempt = Some(now);
        self.download_certificates().await?;
        Ok(true)
    }

    pub(super) async fn download_certificates(&self) -> Result<usize> {
        let span = tracing::info_span!(
            "wxface.certificates",
            count = Empty,
            attempts = Empty,
            latency_ms = Empty,
        );
        async move {
            let started = Instant::now();
            let cfg = &self.inner.config;
            let platform = &self.inner.platform;
            let result = self
                .with_retries(|_| async move {
                    let resp = self.v3_send(CERTIFICATES_PATH).await?;
                    if !(200..300).contains(&resp.status) {
                        return Err(with_request_id(
                            parse_error_body(resp.status, &resp.body),
                            &resp.headers,
                        ));
                    }
                    platform
                        .trust_answer(
                            resp.status,
                            &resp.headers,
                            &resp.body,
                            self.now(),
                            cfg.provider.as_ref(),
                        )
                        .map_err(|e| with_request_id(e, &resp.headers))
                })
                .await
                .and_then(|certs| {
                    platform.install(&certs)?;
                    Ok(certs.len())
                });
            let span = tracing::Span::current();
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            match &result {
                Ok(n) => {
                    bump(&self.inner.counters.certificate_downloads);
                    span.record("count", *n as u64);
                }
                Err(e) => {
                    tracing::warn!(code = e.code(), error = %e, "certificate download failed")
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    /// A signed APIv3 GET with retries; `handle` checks the answer. An answer
    /// signed by an unknown certificate triggers one (rate-limited,
    /// single-flight) certificate refresh and a second check of the same
    /// answer.
    pub(super) async fn v3_get<T, H>(&self, path: &str, handle: H) -> Result<T>
    where
        H: Fn(&ResponseVerifier, &RawResponse, UnixTime) -> Result<T>,
    {
        let platform = &self.inner.platform;
        if platform.needs_bootstrap() {
            self.refresh_for(platform.generation(), true).await?;
        }
        let handle = &handle;
        self.with_retries(|_| async move {
            let generation = platform.generation();
            let resp = self.v3_send(path).await?;
            let result = handle(&platform.verifier(), &resp, self.now())
                .map_err(|e| with_request_id(e, &resp.headers));
            match result {
                Err(wxface_core::Error::Signature {
                    failure: SignatureFailure::UnknownSerial,
                    ..
                }) if platform.can_refresh_for(resp.headers.header("Wechatpay-Serial")) => {
                    tracing::info!(
                        "answer names an unknown platform serial: refreshing certificates"
                    );
                    if self.refresh_for(generation, false).await? {
                        handle(&platform.verifier(), &resp, self.now())
                            .map_err(|e| with_request_id(e, &resp.headers))
                    } else {
                        result
                    }
                }
                other => other,
            }
        })
        .await
    }

    /// Build, sign and send one APIv3 GET.
    pub(super) async fn v3_send(&self, path: &str) -> Result<RawResponse> {
        let cfg = &self.inner.config;
        let now = self.now();
        let mut req = HttpRequest {
            endpoint: Endpoint::ApiMch,
            method: Method::Get,
            path_and_query: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        cfg.signer
            .sign_request(&mut req, now, cfg.entropy.as_ref())?;
        if let Some(serial) = self.inner.platform.request_serial(now) {
            req.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("Wechatpay-Serial"));
            req.headers.push(("Wechatpay-Serial".into(), serial));
        }
        self.send(&req).await
    }

    /// Run `attempt` until it succeeds, fails for good, or the retry budget
    /// is spent. Each attempt runs in a `wxface.http` span (attempt number,
    /// status, latency); the operation's span gets the attempt count.
    pub(super) async fn with_retries<T, F, Fut>(&self, mut attempt: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let policy = self.inner.config.retry;
        let mut n = 1;
        loop {
            let span = tracing::info_span!(
                "wxface.http",
                attempt = n,
                status = Empty,
                latency_ms = Empty
            );
            let result = attempt(n).instrument(span).await;
            match result {
                Err(e) if e.is_retryable() && n <= policy.max_retries => {
                    bump(&self.inner.counters.retries);
                    let delay = policy.backoff(n, self.inner.config.entropy.as_ref());
                    tracing::info!(
                        attempt = n,
                        code = e.code(),
                        backoff_ms = delay.as_millis() as u64,
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                    n += 1;
                }
                other => {
                    tracing::Span::current().record("attempts", n);
                    return other;
                }
            }
        }
    }

    /// Send one request; read at most [`MAX_BODY_BYTES`] of the answer.
    ///
    /// An APIv3 GET whose primary host cannot be reached (no connection:
    /// refused, DNS, TLS handshake, connect timeout) is sent once more, as
    /// it is, to the backup host when one is configured: a GET changes
    /// nothing at WeChat Pay, and the signature does not cover the host.
    pub(super) async fn send(&self, req: &HttpRequest) -> Result<RawResponse> {
        let cfg = &self.inner.config;
        let primary = self.send_to(cfg.base(req.endpoint), req).await;
        match (&primary, &cfg.apimch_backup) {
            (
                Err(Error::Transport {
                    kind: TransportKind::Connect,
                    ..
                }),
                Some(backup),
            ) if req.method == Method::Get && req.endpoint == Endpoint::ApiMch => {
                bump(&self.inner.counters.failovers);
                tracing::warn!(
                    backup = backup.as_str(),
                    "WeChat Pay's host cannot be reached: trying its backup host"
                );
                self.send_to(backup, req).await.map_err(|e| match e {
                    Error::Transport { kind, detail } => Error::transport(
                        kind,
                        format!("{detail} (the backup host {} too)", backup.as_str()),
                    ),
                    other => other,
                })
            }
            _ => primary,
        }
    }

    /// [`Self::send`] to `base`.
    async fn send_to(&self, base: &reqwest::Url, req: &HttpRequest) -> Result<RawResponse> {
        bump(&self.inner.counters.http_requests);
        let url = self.url_for_base(base, req)?;
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
        };
        let mut rb = self.inner.http.request(method, url);
        for (k, v) in &req.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if !req.body.is_empty() {
            rb = rb.body(req.body.clone());
        }
        let started = Instant::now();
        let mut resp = rb.send().await.map_err(|e| {
            let e = from_reqwest(e);
            tracing::debug!(
                latency_ms = started.elapsed().as_millis() as u64,
                code = e.code(),
                "http attempt failed"
            );
            e
        })?;
        let status = resp.status().as_u16();
        // WeChat Pay never asks for HTTP Basic credentials; a proxy does
        // (407, or 401 with `WWW-Authenticate: Basic` from some proxies).
        let asks_basic = resp
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .chain(resp.headers().get_all(reqwest::header::PROXY_AUTHENTICATE))
            .any(|v| {
                v.to_str()
                    .is_ok_and(|v| v.trim_start().to_ascii_lowercase().starts_with("basic"))
            });
        if status == 407 || (status == 401 && asks_basic) {
            // The forward proxy, not WeChat Pay, answered (a plain-http
            // host through an HTTP proxy; for https:// hosts the same
            // refusal fails the CONNECT and arrives as a connect error).
            return Err(Error::transport(
                TransportKind::Other,
                format!(
                    "the proxy refused the request: HTTP {status}, proxy authentication \
                     required (check the user and password of `proxy`)"
                ),
            ));
        }
        // Every occurrence of every header, in order: the verifier refuses a
        // repeated `Wechatpay-*` header, so none may be merged or dropped
        // (a value that is not UTF-8 is kept, lossily, and then fails
        // verification instead of vanishing).
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_owned(), v)
            })
            .collect();
        if resp
            .content_length()
            .is_some_and(|l| l > MAX_BODY_BYTES as u64)
        {
            return Err(Error::malformed("answer", "body is larger than 1 MiB"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(from_reqwest)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Error::malformed("answer", "body is larger than 1 MiB"));
            }
            body.extend_from_slice(&chunk);
        }
        let latency_ms = started.elapsed().as_millis() as u64;
        let span = tracing::Span::current();
        span.record("status", status);
        span.record("latency_ms", latency_ms);
        tracing::debug!(status, latency_ms, "answer");
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// The URL of `req`, refusing anything URL normalisation would rewrite
    /// (the signature covers the path as built).
    fn url_for_base(&self, base: &reqwest::Url, req: &HttpRequest) -> Result<reqwest::Url> {
        let prefix = base.path().trim_end_matches('/');
        let text = format!(
            "{}{}",
            base.as_str().trim_end_matches('/'),
            req.path_and_query
        );
        let url = reqwest::Url::parse(&text)
            .map_err(|_| invalid("path_and_query", "does not form a valid URL"))?;
        let sent = &url[url::Position::BeforePath..];
        if sent.strip_prefix(prefix) != Some(req.path_and_query.as_str()) {
            return Err(invalid(
                "path_and_query",
                "would be rewritten by URL normalisation (dot segments?)",
            ));
        }
        Ok(url)
    }
}
