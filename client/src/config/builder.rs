//! [`ClientConfigBuilder`]: collects values, checks them all in `build`.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use wxface_core::crypto::{self, pem, CryptoProvider, PrivateKey};
use wxface_core::decrypt::Decryptor;
use wxface_core::http::Endpoint;
use wxface_core::time::{Clock, Entropy, OsEntropy, SystemClock};
use wxface_core::v2::{ApiKey, SignType};
use wxface_core::v3::{MerchantSigner, PlatformKeyStore, DEFAULT_WINDOW_SECS, MAX_WINDOW_SECS};
use zeroize::Zeroizing;

use super::{
    ClientConfig, ProxySetting, DEFAULT_AUTHINFO_MARGIN_SECS, DEFAULT_CERTIFICATE_REFRESH_SECS,
};
use crate::certificates::ApiV3Key;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// Collects a [`ClientConfig`]; nothing is checked before [`Self::build`].
#[derive(Default)]
pub struct ClientConfigBuilder {
    appid: Option<String>,
    mch_id: Option<String>,
    sub_appid: Option<String>,
    sub_mch_id: Option<String>,
    sub_serial_no: Option<String>,
    store_id: Option<String>,
    store_name: Option<String>,
    api_key: Option<ApiKey>,
    sign_type: SignType,
    merchant_key_pem: Option<Zeroizing<String>>,
    merchant_key: Option<Arc<dyn PrivateKey>>,
    merchant_serial: Option<String>,
    platform_public_keys: Vec<(String, String)>,
    platform_certificates: Vec<String>,
    apiv3_key: Option<Zeroizing<String>>,
    pinned_serials: Vec<String>,
    payapp_base: Option<String>,
    apimch_base: Option<String>,
    apimch_backup: Option<Option<String>>,
    proxy: ProxySetting,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    authinfo_margin: Option<Duration>,
    certificate_refresh: Option<Duration>,
    response_window: Option<Duration>,
    decryptor: Option<Decryptor>,
    clock: Option<Arc<dyn Clock>>,
    entropy: Option<Arc<dyn Entropy>>,
    provider: Option<Arc<dyn CryptoProvider>>,
}

impl fmt::Debug for ClientConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfigBuilder")
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .finish_non_exhaustive()
    }
}

impl ClientConfigBuilder {
    /// `appid` (in provider mode: the provider's).
    pub fn appid(mut self, appid: impl Into<String>) -> Self {
        self.appid = Some(appid.into());
        self
    }

    /// `mch_id` (in provider mode: the provider's). Also the `mchid` of APIv3
    /// request signatures.
    pub fn mch_id(mut self, mch_id: impl Into<String>) -> Self {
        self.mch_id = Some(mch_id.into());
        self
    }

    /// Provider mode (服务商): the sub-merchant (the hospital) id, and the
    /// serial of the sub-merchant's API certificate, whose key encrypts the
    /// real-name fields. The provider never needs that key: see
    /// [`MerchantClient::query_user`](crate::MerchantClient::query_user).
    pub fn sub_merchant(
        mut self,
        sub_mch_id: impl Into<String>,
        sub_serial_no: impl Into<String>,
    ) -> Self {
        self.sub_mch_id = Some(sub_mch_id.into());
        self.sub_serial_no = Some(sub_serial_no.into());
        self
    }

    /// Provider mode: the sub-merchant's appid (then answers carry `sub_openid`).
    pub fn sub_appid(mut self, sub_appid: impl Into<String>) -> Self {
        self.sub_appid = Some(sub_appid.into());
        self
    }

    /// Default `store_id` and `store_name` of authinfo requests.
    pub fn store(mut self, store_id: impl Into<String>, store_name: impl Into<String>) -> Self {
        self.store_id = Some(store_id.into());
        self.store_name = Some(store_name.into());
        self
    }

    /// The v2 API key (in provider mode: the provider's).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.api_key = Some(key);
        self
    }

    /// The v2 `sign_type` (default `MD5`, the protocol's default).
    pub fn sign_type(mut self, sign_type: SignType) -> Self {
        self.sign_type = sign_type;
        self
    }

    /// The APIv3 merchant private key (PEM, PKCS#1 or PKCS#8) and its
    /// certificate serial.
    pub fn merchant_key_pem(mut self, pem: impl Into<String>, serial: impl Into<String>) -> Self {
        self.merchant_key_pem = Some(Zeroizing::new(pem.into()));
        self.merchant_serial = Some(serial.into());
        self
    }

    /// The APIv3 merchant private key, already loaded, and its certificate
    /// serial.
    pub fn merchant_key(mut self, key: Arc<dyn PrivateKey>, serial: impl Into<String>) -> Self {
        self.merchant_key = Some(key);
        self.merchant_serial = Some(serial.into());
        self
    }

    /// Trust WeChat Pay's platform public key `PUB_KEY_ID_…` (PEM). May be
    /// called more than once.
    pub fn platform_public_key(mut self, id: impl Into<String>, pem: impl Into<String>) -> Self {
        self.platform_public_keys.push((id.into(), pem.into()));
        self
    }

    /// Trust a platform certificate (PEM). May be called more than once.
    pub fn platform_certificate(mut self, pem: impl Into<String>) -> Self {
        self.platform_certificates.push(pem.into());
        self
    }

    /// The APIv3 key: enables downloading platform certificates from
    /// `/v3/certificates` (at start when no key is configured, and again when
    /// an answer names an unknown serial).
    pub fn apiv3_key(mut self, key: impl Into<String>) -> Self {
        self.apiv3_key = Some(Zeroizing::new(key.into()));
        self
    }

    /// Serials of platform certificates trusted on the first download when no
    /// platform key or certificate is configured: the first `/v3/certificates`
    /// answer must be signed by one of them.
    pub fn pinned_platform_serials<I, S>(mut self, serials: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.pinned_serials
            .extend(serials.into_iter().map(|s| s.into().to_ascii_uppercase()));
        self
    }

    /// Base URL of `get_wxpayface_authinfo` (default
    /// `https://payapp.weixin.qq.com`). Plain `http` only on loopback.
    pub fn payapp_base_url(mut self, url: impl Into<String>) -> Self {
        self.payapp_base = Some(url.into());
        self
    }

    /// Base URL of APIv3 (default `https://api.mch.weixin.qq.com`). Plain
    /// `http` only on loopback.
    pub fn apimch_base_url(mut self, url: impl Into<String>) -> Self {
        self.apimch_base = Some(url.into());
        self
    }

    /// Where APIv3 GETs (identity queries, certificate downloads) go when
    /// the primary host cannot be reached (refused connection, DNS, TLS
    /// handshake, connect timeout): `None` turns failover off. Default:
    /// WeChat Pay's backup domain `https://api2.mch.weixin.qq.com` with the
    /// production host, none with a base URL of your own. The request, its
    /// signature included, is the same: the signature does not cover the
    /// host.
    pub fn apimch_backup_base_url(mut self, url: Option<String>) -> Self {
        self.apimch_backup = Some(url);
        self
    }

    /// How requests reach WeChat Pay (default: the conventional proxy
    /// environment variables, [`ProxySetting::Environment`]).
    pub fn proxy(mut self, proxy: ProxySetting) -> Self {
        self.proxy = proxy;
        self
    }

    /// Both base URLs at once (a sandbox serving both hosts).
    pub fn base_url(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.payapp_base_url(url.clone()).apimch_base_url(url)
    }

    /// Connect timeout of each attempt (default 5 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = Some(t);
        self
    }

    /// Total timeout of each attempt, answer included (default 10 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = Some(t);
        self
    }

    /// The retry policy (default: 2 retries, 200 ms doubling up to 2 s).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// How long before its expiry a cached authinfo stops being reused
    /// (default 300 s). An authinfo is never reused for more than an hour.
    pub fn authinfo_refresh_margin(mut self, margin: Duration) -> Self {
        self.authinfo_margin = Some(margin);
        self
    }

    /// Least interval between two certificate downloads triggered by an
    /// unknown `Wechatpay-Serial` (default 60 s).
    pub fn certificate_refresh_interval(mut self, interval: Duration) -> Self {
        self.certificate_refresh = Some(interval);
        self
    }

    /// Accepted distance between an answer's `Wechatpay-Timestamp` and now
    /// (default 300 s, both directions; 1 to 900 s, checked by
    /// [`build`](Self::build)).
    pub fn response_window(mut self, window: Duration) -> Self {
        self.response_window = Some(window);
        self
    }

    /// A decryptor for [`MerchantClient::real_name`](crate::MerchantClient::real_name).
    /// Leave it out where the real-name key must not be (provider mode).
    pub fn decryptor(mut self, decryptor: Decryptor) -> Self {
        self.decryptor = Some(decryptor);
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The entropy source of nonces and jitter (default: the OS CSPRNG).
    pub fn entropy(mut self, entropy: Arc<dyn Entropy>) -> Self {
        self.entropy = Some(entropy);
        self
    }

    /// The RSA provider (default: [`crypto::default_provider`], AWS-LC).
    pub fn crypto_provider(mut self, provider: Arc<dyn CryptoProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Check everything and load the keys.
    ///
    /// # Errors
    /// [`Error`] of kind `config` or `invalid_input`, naming what is
    /// missing or wrong (never a secret).
    pub fn build(self) -> Result<ClientConfig> {
        let appid = required_id("appid", self.appid)?;
        let mch_id = required_id("mch_id", self.mch_id)?;
        let sub_mch_id = optional_id("sub_mch_id", self.sub_mch_id)?;
        let sub_appid = optional_id("sub_appid", self.sub_appid)?;
        let sub_serial_no = optional_serial("sub_serial_no", self.sub_serial_no)?;
        if sub_appid.is_some() && sub_mch_id.is_none() {
            return Err(Error::config(
                "`sub_appid` needs provider mode (`sub_merchant`)",
            ));
        }
        let api_key = self
            .api_key
            .ok_or_else(|| Error::config("the v2 API key is required"))?;
        let provider = self.provider.unwrap_or_else(crypto::default_provider);

        let serial = self
            .merchant_serial
            .ok_or_else(|| Error::config("the merchant key and certificate serial are required"))?;
        let key = match (self.merchant_key, self.merchant_key_pem) {
            (Some(k), _) => k,
            (None, Some(p)) => pem::load_private_key(provider.as_ref(), &p)?,
            (None, None) => return Err(Error::config("the merchant private key is required")),
        };
        let signer = MerchantSigner::new(mch_id.clone(), serial.clone(), key.clone())?;

        let mut store = PlatformKeyStore::new();
        for (id, p) in &self.platform_public_keys {
            store.add_public_key_pem(provider.as_ref(), id, p)?;
        }
        for p in &self.platform_certificates {
            store.add_certificate_pem(provider.as_ref(), p)?;
        }
        refuse_merchant_key_as_platform(&store, &serial, key.as_ref())?;
        let apiv3_key = self
            .apiv3_key
            .as_deref()
            .map(|k| ApiV3Key::new(k))
            .transpose()?;
        for s in &self.pinned_serials {
            optional_serial("pinned platform serial", Some(s.clone()))?;
        }
        match (&apiv3_key, store.is_empty(), self.pinned_serials.is_empty()) {
            (None, true, _) => {
                return Err(Error::config(
                    "no platform key: configure a platform public key, a platform certificate, \
                     or the APIv3 key with pinned certificate serials",
                ))
            }
            (None, false, false) => {
                return Err(Error::config(
                    "pinned platform serials need the APIv3 key (certificate download)",
                ))
            }
            (Some(_), true, true) => {
                return Err(Error::config(
                    "refusing to trust /v3/certificates on first use: configure a platform \
                     public key or certificate, or pin the platform certificate serials",
                ))
            }
            _ => {}
        }

        let payapp_base = base_url(
            self.payapp_base.as_deref(),
            Endpoint::PayApp.production_base(),
        )?;
        let apimch_base = base_url(
            self.apimch_base.as_deref(),
            Endpoint::ApiMch.production_base(),
        )?;
        let apimch_backup = match self.apimch_backup {
            Some(Some(u)) => Some(base_url(Some(&u), "")?),
            Some(None) => None,
            None if self.apimch_base.is_none() => Endpoint::ApiMch
                .production_backup_base()
                .map(|u| base_url(Some(u), ""))
                .transpose()?,
            None => None,
        };
        let connect_timeout = positive(
            "connect timeout",
            self.connect_timeout.unwrap_or(Duration::from_secs(5)),
        )?;
        let timeout = positive("timeout", self.timeout.unwrap_or(Duration::from_secs(10)))?;
        let retry = self.retry.unwrap_or_default();
        if retry.max_retries > 10 {
            return Err(Error::config("at most 10 retries"));
        }
        let response_window_secs = self
            .response_window
            .map_or(DEFAULT_WINDOW_SECS, |d| d.as_secs());
        if response_window_secs == 0 || response_window_secs > MAX_WINDOW_SECS {
            return Err(Error::config(format!(
                "the response window must be 1 to {MAX_WINDOW_SECS} s (default {DEFAULT_WINDOW_SECS} s)"
            )));
        }

        Ok(ClientConfig {
            appid,
            mch_id,
            sub_appid,
            sub_mch_id,
            sub_serial_no,
            store_id: self.store_id,
            store_name: self.store_name,
            api_key,
            sign_type: self.sign_type,
            signer,
            platform_store: store,
            apiv3_key,
            pinned_serials: self.pinned_serials,
            payapp_base,
            apimch_base,
            apimch_backup,
            proxy: self.proxy,
            connect_timeout,
            timeout,
            retry,
            authinfo_margin_secs: self
                .authinfo_margin
                .map_or(DEFAULT_AUTHINFO_MARGIN_SECS, |d| d.as_secs()),
            certificate_refresh_secs: self
                .certificate_refresh
                .map_or(DEFAULT_CERTIFICATE_REFRESH_SECS, |d| d.as_secs()),
            response_window_secs,
            decryptor: self.decryptor,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            entropy: self.entropy.unwrap_or_else(|| Arc::new(OsEntropy)),
            provider,
        })
    }
}

/// The most common misconfiguration of a WeChat Pay client: the merchant's
/// own certificate (or its public key) configured as WeChat Pay's platform
/// key. Every answer would then fail as `signature_unknown_serial` or
/// `signature_mismatch`, far from the cause; it is refused here instead. A
/// platform certificate with the merchant certificate's serial, or a
/// platform key that verifies a signature of the merchant's private key, is
/// the merchant's own.
fn refuse_merchant_key_as_platform(
    store: &PlatformKeyStore,
    merchant_serial: &str,
    merchant_key: &dyn crypto::PrivateKey,
) -> Result<()> {
    const PROBE: &[u8] = b"wxface: is this platform key the merchant's own?";
    let signature = merchant_key.sign_sha256(PROBE)?;
    for id in store.ids() {
        if id.eq_ignore_ascii_case(merchant_serial) {
            return Err(Error::config(format!(
                "the platform certificate {id} has the serial of the merchant's own certificate: \
                 configure WeChat Pay's platform certificate (or its platform public key, \
                 PUB_KEY_ID_…), not the merchant certificate"
            )));
        }
        let key = store.get(id, wxface_core::UnixTime(0))?;
        if key.verify_sha256(PROBE, &signature).is_ok() {
            return Err(Error::config(format!(
                "the platform key {id} is the merchant's own public key (it verifies the \
                 merchant's signatures): configure WeChat Pay's platform public key \
                 (PUB_KEY_ID_…, from the merchant platform) or platform certificate instead"
            )));
        }
    }
    Ok(())
}

fn check_id(field: &str, v: &str) -> Result<()> {
    if v.is_empty()
        || v.len() > 32
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::config(format!(
            "`{field}` must be 1-32 ASCII letters, digits, `_` or `-`"
        )));
    }
    Ok(())
}

fn required_id(field: &str, v: Option<String>) -> Result<String> {
    let v = v.ok_or_else(|| Error::config(format!("`{field}` is required")))?;
    check_id(field, &v)?;
    Ok(v)
}

fn optional_id(field: &str, v: Option<String>) -> Result<Option<String>> {
    if let Some(v) = &v {
        check_id(field, v)?;
    }
    Ok(v)
}

fn optional_serial(field: &str, v: Option<String>) -> Result<Option<String>> {
    if let Some(v) = &v {
        if v.is_empty() || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::config(format!(
                "`{field}` must be a hexadecimal certificate serial (at most 64 digits)"
            )));
        }
    }
    Ok(v)
}

fn positive(what: &str, d: Duration) -> Result<Duration> {
    if d.is_zero() {
        return Err(Error::config(format!("the {what} must be positive")));
    }
    Ok(d)
}

/// Parse a base URL: `https`, or `http` on a loopback host; no query or
/// fragment; trailing slashes dropped.
fn base_url(given: Option<&str>, default: &str) -> Result<Url> {
    let text = given.unwrap_or(default);
    let url = Url::parse(text).map_err(|_| Error::config("a base URL is not a valid URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::config(
                "plain http base URLs are allowed only on loopback",
            ))
        }
        _ => return Err(Error::config("a base URL must be https")),
    }
    if url.host().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(Error::config(
            "a base URL is scheme, host, port and an optional path prefix only",
        ));
    }
    let mut url = url;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let ok = |s: &str| base_url(Some(s), "https://x").map(|u| u.to_string());
        assert_eq!(
            ok("https://api.mch.weixin.qq.com/").ok().as_deref(),
            Some("https://api.mch.weixin.qq.com/")
        );
        assert!(ok("http://127.0.0.1:8080").is_ok());
        assert!(ok("http://[::1]:8080").is_ok());
        assert!(ok("http://localhost:1").is_ok());
        assert!(ok("http://10.0.0.1:8080").is_err());
        assert!(ok("http://example.com").is_err());
        assert!(ok("ftp://127.0.0.1").is_err());
        assert!(ok("https://h/?a=1").is_err());
        assert_eq!(
            ok("https://h/prefix/").ok().as_deref(),
            Some("https://h/prefix")
        );
    }
}
