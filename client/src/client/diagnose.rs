//! Checks of a configuration against WeChat Pay (or the sandbox), for
//! `wxface doctor` and for a HIS's own start-up checks: can the hosts be
//! reached (through the configured proxy), how far apart the clocks are,
//! whether WeChat Pay accepts the merchant's signatures and whether its
//! answers verify with the configured platform keys, and whether the v2 API
//! key is the merchant's.

use std::time::{Duration, Instant};

use wxface_core::http::Endpoint;
use wxface_core::v2::AuthinfoRequest;
use wxface_core::v3::parse_error_body;
use wxface_core::UnixTime;

use super::transport::with_request_id;
use super::MerchantClient;
use crate::certificates::CERTIFICATES_PATH;
use crate::error::{Error, Result};

/// What an unsigned `GET` of a host's base URL saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostProbe {
    /// The base URL.
    pub url: String,
    /// The HTTP status (any status means the host was reached).
    pub status: u16,
    /// Time to the answer's headers.
    pub latency: Duration,
    /// The answer's `Date`, when it had a valid one.
    pub server_time: Option<UnixTime>,
}

impl HostProbe {
    /// The server's clock minus the client's clock, in seconds, when the
    /// answer had a `Date` (resolution: one second, plus the latency).
    pub fn clock_skew_secs(&self, now: UnixTime) -> Option<i64> {
        let server = i64::try_from(self.server_time?.as_secs()).ok()?;
        let local = i64::try_from(now.as_secs()).ok()?;
        Some(server - local)
    }
}

/// How the v2 API key fared in [`MerchantClient::check_v2_key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V2KeyCheck {
    /// WeChat Pay accepted the signature (it then refused the made-up
    /// `rawdata`, as expected), and its answer verified with the key.
    Accepted,
    /// WeChat Pay said the signature is wrong, or its answer does not
    /// verify with the key: the v2 API key is not the merchant's.
    Refused(String),
}

impl MerchantClient {
    /// An unsigned `GET` of the base URL of `endpoint` through the
    /// configured proxy: reachability and the server's clock.
    ///
    /// # Errors
    /// [`Error::Transport`] when the host (or the proxy) cannot be reached.
    pub async fn probe(&self, endpoint: Endpoint) -> Result<HostProbe> {
        let url = self.inner.config.base(endpoint).clone();
        let started = Instant::now();
        let resp = self
            .inner
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(crate::error::from_reqwest)?;
        let server_time = resp
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| UnixTime(d.as_secs()));
        Ok(HostProbe {
            url: url.to_string(),
            status: resp.status().as_u16(),
            latency: started.elapsed(),
            server_time,
        })
    }

    /// One signed APIv3 request (`GET /v3/certificates`, which changes
    /// nothing) and the verification of its answer with the configured
    /// platform keys: whether WeChat Pay accepts the merchant's key and
    /// serial, and whether its answers verify here. Returns the
    /// `Wechatpay-Serial` of the answer (the platform key WeChat Pay signs
    /// with).
    ///
    /// # Errors
    /// [`Error::Backend`] (`SIGN_ERROR`, …) when WeChat Pay refuses the
    /// request's signature, [`Error::Signature`] when its answer does not
    /// verify, [`Error::Transport`] when it cannot be reached.
    pub async fn check_apiv3_signatures(&self) -> Result<String> {
        let resp = self.v3_send(CERTIFICATES_PATH).await?;
        if !(200..300).contains(&resp.status) {
            return Err(with_request_id(
                parse_error_body(resp.status, &resp.body),
                &resp.headers,
            ));
        }
        let platform = &self.inner.platform;
        platform
            .verifier()
            .verify(resp.status, &resp.headers, &resp.body, self.now())
            .map_err(|e| with_request_id(e, &resp.headers))?;
        Ok(resp
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Wechatpay-Serial"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default())
    }

    /// Sign a `get_wxpayface_authinfo` request with a made-up `rawdata`:
    /// WeChat Pay checks the signature before the `rawdata`, so a refusal
    /// of the `rawdata` means the key is right, and a signature failure
    /// (either way) means it is not. Nothing is cached.
    ///
    /// # Errors
    /// [`Error::Transport`] when WeChat Pay cannot be reached, and any
    /// other answer that says nothing about the key.
    pub async fn check_v2_key(&self) -> Result<V2KeyCheck> {
        let cfg = &self.inner.config;
        let req = AuthinfoRequest {
            store_id: cfg
                .store_id
                .clone()
                .unwrap_or_else(|| "WXFACE-DOCTOR".into()),
            store_name: cfg
                .store_name
                .clone()
                .unwrap_or_else(|| "wxface doctor".into()),
            device_id: "WXFACE-DOCTOR".into(),
            attach: None,
            rawdata: "wxface-doctor-rawdata".into(),
            appid: cfg.appid.clone(),
            mch_id: cfg.mch_id.clone(),
            sub_appid: cfg.sub_appid.clone(),
            sub_mch_id: cfg.sub_mch_id.clone(),
            sign_type: cfg.sign_type,
        };
        match self.fetch_authinfo(&req).await {
            Ok(_) => Ok(V2KeyCheck::Accepted),
            Err(Error::Signature { detail, .. }) => Ok(V2KeyCheck::Refused(format!(
                "WeChat Pay's answer does not verify with the v2 API key ({detail})"
            ))),
            Err(Error::Backend { code, message, .. }) if is_sign_failure(&code, &message) => {
                Ok(V2KeyCheck::Refused(format!(
                    "WeChat Pay refused the request's signature ({code}: {message})"
                )))
            }
            Err(Error::Backend { .. }) => Ok(V2KeyCheck::Accepted),
            Err(other) => Err(other),
        }
    }
}

/// Whether a v2 failure is about the signature (`SIGNERROR`, "签名错误").
fn is_sign_failure(code: &str, message: &str) -> bool {
    code.eq_ignore_ascii_case("SIGNERROR")
        || code.eq_ignore_ascii_case("SIGN_ERROR")
        || message.contains("签名")
        || message.to_ascii_lowercase().contains("sign")
}
