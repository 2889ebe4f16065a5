//! [`ClientConfig`] and its builder.
//!
//! The builder only collects values; [`ClientConfigBuilder::build`] checks
//! them all at once, loads the keys and refuses anything unsafe (a plain-http
//! base URL off loopback, platform keys that could only be trusted on first
//! use).

mod builder;
mod proxy;
mod settings;

pub use builder::ClientConfigBuilder;
pub use proxy::ProxySetting;
pub use settings::{ClientSettings, SettingValue};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use wxface_core::crypto::CryptoProvider;
use wxface_core::decrypt::Decryptor;
use wxface_core::http::Endpoint;
use wxface_core::time::{Clock, Entropy};
use wxface_core::v2::{ApiKey, SignType};
use wxface_core::v3::{MerchantSigner, PlatformKeyStore};

use crate::certificates::ApiV3Key;
use crate::retry::RetryPolicy;

/// Default reuse margin of an authinfo before its expiry, in seconds.
pub const DEFAULT_AUTHINFO_MARGIN_SECS: u64 = 300;
/// Longest an authinfo is ever reused, in seconds (WeChat advises refreshing
/// at least hourly).
pub const MAX_AUTHINFO_AGE_SECS: u64 = wxface_core::v2::MAX_AUTHINFO_REUSE_SECS;
/// Default least interval between two platform certificate refreshes
/// triggered by an unknown `Wechatpay-Serial`, in seconds.
pub const DEFAULT_CERTIFICATE_REFRESH_SECS: u64 = 60;

/// A checked, ready-to-use client configuration. Build one with
/// [`ClientConfig::builder`].
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) appid: String,
    pub(crate) mch_id: String,
    pub(crate) sub_appid: Option<String>,
    pub(crate) sub_mch_id: Option<String>,
    pub(crate) sub_serial_no: Option<String>,
    pub(crate) store_id: Option<String>,
    pub(crate) store_name: Option<String>,
    pub(crate) api_key: ApiKey,
    pub(crate) sign_type: SignType,
    pub(crate) signer: MerchantSigner,
    pub(crate) platform_store: PlatformKeyStore,
    pub(crate) apiv3_key: Option<ApiV3Key>,
    pub(crate) pinned_serials: Vec<String>,
    pub(crate) payapp_base: Url,
    pub(crate) apimch_base: Url,
    pub(crate) apimch_backup: Option<Url>,
    pub(crate) proxy: ProxySetting,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) authinfo_margin_secs: u64,
    pub(crate) certificate_refresh_secs: u64,
    pub(crate) response_window_secs: u64,
    pub(crate) decryptor: Option<Decryptor>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) entropy: Arc<dyn Entropy>,
    pub(crate) provider: Arc<dyn CryptoProvider>,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("appid", &self.appid)
            .field("mch_id", &self.mch_id)
            .field("sub_appid", &self.sub_appid)
            .field("sub_mch_id", &self.sub_mch_id)
            .field("sub_serial_no", &self.sub_serial_no)
            .field("store_id", &self.store_id)
            .field("sign_type", &self.sign_type)
            .field("merchant_serial", &self.signer.serial_no())
            .field("platform_keys", &self.platform_store.ids())
            .field("certificate_download", &self.apiv3_key.is_some())
            .field("pinned_serials", &self.pinned_serials)
            .field("payapp_base", &self.payapp_base.as_str())
            .field("apimch_base", &self.apimch_base.as_str())
            .field(
                "apimch_backup",
                &self.apimch_backup.as_ref().map(Url::as_str),
            )
            .field("proxy", &self.proxy)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("authinfo_margin_secs", &self.authinfo_margin_secs)
            .field("decryptor", &self.decryptor.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// A builder with production defaults.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// The (provider's) appid.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// The (provider's) merchant id.
    pub fn mch_id(&self) -> &str {
        &self.mch_id
    }

    /// The sub-merchant id (provider mode).
    pub fn sub_mch_id(&self) -> Option<&str> {
        self.sub_mch_id.as_deref()
    }

    /// The sub-merchant's appid (provider mode).
    pub fn sub_appid(&self) -> Option<&str> {
        self.sub_appid.as_deref()
    }

    /// Whether this is a provider (服务商) configuration.
    pub fn is_provider_mode(&self) -> bool {
        self.sub_mch_id.is_some()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The clock that dates requests and checks answers.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The proxy setting.
    pub fn proxy(&self) -> &ProxySetting {
        &self.proxy
    }

    /// The backup base URL of APIv3 requests (failover), if any.
    pub fn apimch_backup_base_url(&self) -> Option<&str> {
        self.apimch_backup.as_ref().map(Url::as_str)
    }

    pub(crate) fn base(&self, endpoint: Endpoint) -> &Url {
        match endpoint {
            Endpoint::PayApp => &self.payapp_base,
            Endpoint::ApiMch => &self.apimch_base,
        }
    }
}
