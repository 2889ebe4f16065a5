//! # wxface-client
//!
//! The merchant-server side of WeChat Pay face real-name authentication
//! (刷脸实名认证): the hospital's HIS (or a service provider's server) calls
//! WeChat Pay through a [`MerchantClient`] and serves its kiosks through the
//! reference [`server`] (feature `server`).
//!
//! ```no_run
//! # async fn demo(pem: String, api_key: String) -> Result<(), wxface_client::Error> {
//! use wxface_client::{AuthinfoParams, ClientConfig, MerchantClient};
//! use wxface_core::v2::ApiKey;
//!
//! let config = ClientConfig::builder()
//!     .appid("wx2421b1c4370ec43b")
//!     .mch_id("1900000001")
//!     .store("HOSP-01", "Outpatient hall")
//!     .api_key(ApiKey::new(api_key)?)
//!     .merchant_key_pem(pem, "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567")
//!     .platform_public_key("PUB_KEY_ID_0114232134912410000000000000", "-----BEGIN PUBLIC KEY-----…")
//!     .build()?;
//! let client = MerchantClient::new(config)?;
//! let grant = client.get_authinfo(AuthinfoParams::new("<rawdata>", "KIOSK-01")).await?;
//! # let _ = grant;
//! # Ok(()) }
//! ```
//!
//! The same configuration as named options — from code, the `WXFACE_*`
//! environment, a config file or a sandbox key set — is [`ClientSettings`]
//! (the options and variables are listed in `docs/configuration.md`; the
//! CLI and the Python and Node bindings use the same names):
//!
//! ```no_run
//! # fn demo() -> Result<(), wxface_client::Error> {
//! let settings = wxface_client::ClientSettings::from_env()?;
//! let (config, _decryptor) = settings.build()?;
//! let client = wxface_client::MerchantClient::new(config)?;
//! # let _ = client;
//! # Ok(()) }
//! ```
//!
//! ## What it does on top of `wxface-core`
//!
//! The core builds, signs, verifies and decrypts every message without doing
//! any I/O. This crate sends those messages and adds what only a long-running
//! server can:
//!
//! * **An authinfo cache** keyed by the device and every parameter WeChat ties
//!   an authinfo to (appid, mch_id, sub_appid, sub_mch_id, store_id), reused
//!   until `expires_at` minus a margin (300 s by default) and never longer
//!   than an hour. It is **single-flight**: when several calls for the same
//!   key miss at once — a kiosk retrying a slow request, two screens of one
//!   device, a burst after a restart — one request goes to WeChat and the
//!   others wait for its result. Without it a burst multiplies the load on a
//!   rate-limited endpoint exactly when it is slow, and the authinfos issued
//!   in parallel would only overwrite each other. `rawdata` is not part of
//!   the key: it is new at every SDK call and WeChat does not tie the
//!   authinfo to it.
//! * **Platform keys** in both of WeChat's modes: a configured platform public
//!   key (`PUB_KEY_ID_…`, which new merchants get and which works alone), and
//!   certificates downloaded from `/v3/certificates` and decrypted with the
//!   APIv3 key (AES-256-GCM). The first download is trusted only through a
//!   configured key or a pinned serial, never on first use; later downloads
//!   happen when an answer names an unknown serial, at most once per
//!   interval and single-flight. Every answer is verified before it is
//!   parsed, and nothing is decrypted from an unverified answer.
//! * **Retries** that are bounded and safe: only connect failures, timeouts,
//!   HTTP 5xx and 429, and WeChat's `SYSTEM_ERROR` / `SYSTEMERROR` /
//!   `FREQUENCY_LIMITED`, with exponential backoff and jitter drawn from the
//!   injected entropy. A failed signature check is never retried (WeChat
//!   sends wrongly signed answers on purpose to test merchants). Each attempt
//!   is signed afresh (new nonce and timestamp). [`ClientStats`] counts calls,
//!   requests, retries and cache hits, so a test can check the bounds.
//! * **Tracing**: one span per operation (`wxface.authinfo`,
//!   `wxface.query_user`, `wxface.certificates`) with the device, attempt
//!   count, HTTP status and latency. Never the authinfo, rawdata, keys, or
//!   any real-name value.
//!
//! ## Why reqwest with rustls
//!
//! reqwest is the mainstream async HTTP client on tokio, with connection
//! pooling, timeouts and proxies from the environment. It is built without
//! default features and with rustls (on AWS-LC, which the core uses for RSA
//! anyway), so there is no OpenSSL to install or patch on a hospital server
//! and the same TLS stack runs on every platform.
//!
//! ## Why SQLite for the patient registry (feature `sqlite`)
//!
//! The reference server remembers which patients it verified (openid →
//! patient id and masked identity, `registry`) across restarts. It keeps
//! them in an SQLite file: one file, transactional, no database server for
//! a hospital to run. SQLite is compiled into the program (`rusqlite` with
//! `bundled`), so no system library has to be installed or matched in
//! version; the cost is one C compilation per clean build. A HIS with its
//! own database implements `registry::PatientRegistry` over it instead.
//!
//! ## Provider mode (服务商)
//!
//! With [`ClientConfigBuilder::sub_merchant`] the provider's merchant id and
//! key sign, and the identity answer's real-name fields are encrypted for the
//! sub-merchant's (the hospital's) certificate. The provider's client returns
//! [`FaceUser`](wxface_core::v3::FaceUser) with the fields still encrypted;
//! the hospital decrypts them with its own
//! [`Decryptor`](wxface_core::decrypt::Decryptor), so the real-name data never
//! passes through a server the provider controls.
//!
//! ## Time and randomness
//!
//! The clock and the entropy source are injected ([`ClientConfigBuilder::clock`],
//! [`ClientConfigBuilder::entropy`]); the defaults are the system's.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod blocking;
mod cache;
pub mod certificates;
mod client;
mod config;
#[cfg(feature = "server")]
pub mod devices;
mod error;
#[cfg(feature = "server")]
pub mod limits;
mod platform;
#[cfg(feature = "server")]
pub mod registry;
mod retry;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "tls")]
pub mod tls;

pub use client::{
    AuthinfoParams, AuthinfoResponse, ClientStats, HostProbe, MerchantClient, V2KeyCheck,
};
pub use config::{
    ClientConfig, ClientConfigBuilder, ClientSettings, ProxySetting, SettingValue,
    DEFAULT_AUTHINFO_MARGIN_SECS, DEFAULT_CERTIFICATE_REFRESH_SECS, MAX_AUTHINFO_AGE_SECS,
};
pub use error::{Error, Result, TransportKind};
pub use retry::RetryPolicy;
/// The core crate, re-exported so callers use the same types.
pub use wxface_core as core;
