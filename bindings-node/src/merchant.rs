//! `MerchantClient`: the merchant server's client for WeChat Pay's face
//! real-name endpoints (`wxface-client`), with Promise-based methods.
//!
//! Its options, `ClientSettings`, are the client's [`CoreSettings`] in
//! camelCase (docs/configuration.md): each option given is set on the core's
//! settings, which check it and load the keys. The keys go into Rust at
//! construction and never come back out: `toString`, `toJSON` and
//! `util.inspect` show ids and serials only.

use std::future::Future;
use std::sync::Arc;

use napi::bindgen_prelude::{Object, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use tokio::sync::watch;
use wxface_client::{AuthinfoParams, ClientConfig, ClientSettings as CoreSettings, SettingValue};
use wxface_core::decrypt;
use wxface_core::kiosk_api::AuthinfoRequest;
use wxface_core::v3::InfoType;
use wxface_core::Error;

use crate::decrypt::Decryptor;
use crate::error::js;
use crate::identity::RealName;
use crate::v3::{face_user, SignedAnswer};
use crate::{record, runtime};

/// The options of a `MerchantClient`: the client's `ClientSettings`
/// (docs/configuration.md) in camelCase, durations in milliseconds. Keys are
/// read once, kept in Rust, and never printed.
#[napi(object)]
#[derive(Default)]
pub struct ClientSettings {
    /// `appid` (in provider mode, the provider's).
    pub appid: String,
    /// `mch_id` (in provider mode, the provider's).
    pub mch_id: String,
    /// The v2 API key (signs `get_wxpayface_authinfo`).
    pub v2_key: String,
    /// `"MD5"` (default) or `"HMAC-SHA256"`.
    #[napi(ts_type = "SignType")]
    pub sign_type: Option<String>,
    /// Serial of the merchant API certificate.
    pub merchant_serial_no: String,
    /// The merchant API certificate's private key (PEM, PKCS#1 or PKCS#8).
    pub merchant_key_pem: String,
    /// WeChat Pay platform public key id (`PUB_KEY_ID_…`).
    pub platform_public_key_id: Option<String>,
    /// WeChat Pay platform public key (PEM).
    pub platform_public_key_pem: Option<String>,
    /// WeChat Pay platform certificates (PEM): the option `platform_certificate_pem`.
    pub platform_certificates: Option<Vec<String>>,
    /// The APIv3 key (to download platform certificates).
    pub apiv3_key: Option<String>,
    /// Platform certificate serials trusted for the first download.
    pub pinned_platform_serials: Option<Vec<String>>,
    /// Provider mode: the sub-merchant (hospital) id.
    pub sub_mch_id: Option<String>,
    /// Provider mode: the sub-merchant certificate serial that encrypts the
    /// real-name fields.
    pub sub_serial_no: Option<String>,
    /// Provider mode: the sub-merchant's appid.
    pub sub_appid: Option<String>,
    /// Default `store_id` of authinfo requests.
    pub store_id: Option<String>,
    /// Default `store_name` of authinfo requests.
    pub store_name: Option<String>,
    /// The private key that decrypts real-name fields (PEM), used by
    /// `fetchRealName()` without an explicit `Decryptor`; in direct mode it
    /// defaults to the merchant key.
    pub decrypt_key_pem: Option<String>,
    /// Padding of the real-name fields: `"pkcs1v15"` (default) or `"oaep-sha1"`.
    #[napi(ts_type = "Padding")]
    pub padding: Option<String>,
    /// Base URL of both WeChat Pay hosts (a sandbox).
    pub base_url: Option<String>,
    /// Base URL of `payapp.weixin.qq.com`.
    pub payapp_base_url: Option<String>,
    /// Base URL of `api.mch.weixin.qq.com`.
    pub apimch_base_url: Option<String>,
    /// Where identity queries go when the APIv3 host cannot be reached, or
    /// `"none"` (default: WeChat Pay's backup domain with the production
    /// host, none with a base URL of your own).
    pub apimch_backup_base_url: Option<String>,
    /// How requests reach WeChat Pay: `"env"` (default: `HTTPS_PROXY`,
    /// `ALL_PROXY`, `NO_PROXY`), `"system"` (Windows and macOS settings),
    /// `"none"`, or a proxy URL (`http://`, `https://`, `socks5://`,
    /// `socks5h://`, with `user:password@`). Never printed.
    pub proxy: Option<String>,
    /// With a proxy URL: hosts reached directly (comma-separated, `NO_PROXY`
    /// syntax).
    pub no_proxy: Option<String>,
    /// Total timeout of one HTTP request, milliseconds (default 10 000).
    pub timeout_ms: Option<u32>,
    /// Connect timeout, milliseconds (default 5 000).
    pub connect_timeout_ms: Option<u32>,
    /// Retries after a retryable failure (default 2, at most 10).
    pub max_retries: Option<u32>,
}

/// The JS options as the core's settings: every option given, set under its
/// snake_case name (the name the core's errors use); milliseconds as
/// seconds. Keys move into the settings' values, which wipe them.
///
/// # Errors
/// `InvalidInputError` on an option of the wrong type.
fn core_settings(c: ClientSettings) -> Result<CoreSettings, Error> {
    let text = |v: String| Some(SettingValue::Text(v));
    let opt = |v: Option<String>| v.map(SettingValue::Text);
    let seconds = |ms: Option<u32>| ms.map(|ms| SettingValue::Number(f64::from(ms) / 1000.0));
    let options = [
        ("appid", text(c.appid)),
        ("mch_id", text(c.mch_id)),
        ("v2_key", text(c.v2_key)),
        ("sign_type", opt(c.sign_type)),
        ("merchant_serial_no", text(c.merchant_serial_no)),
        ("merchant_key_pem", text(c.merchant_key_pem)),
        ("platform_public_key_id", opt(c.platform_public_key_id)),
        ("platform_public_key_pem", opt(c.platform_public_key_pem)),
        (
            "platform_certificate_pem",
            c.platform_certificates.map(SettingValue::List),
        ),
        ("apiv3_key", opt(c.apiv3_key)),
        (
            "pinned_platform_serials",
            c.pinned_platform_serials.map(SettingValue::List),
        ),
        ("sub_mch_id", opt(c.sub_mch_id)),
        ("sub_serial_no", opt(c.sub_serial_no)),
        ("sub_appid", opt(c.sub_appid)),
        ("store_id", opt(c.store_id)),
        ("store_name", opt(c.store_name)),
        ("decrypt_key_pem", opt(c.decrypt_key_pem)),
        ("padding", opt(c.padding)),
        ("base_url", opt(c.base_url)),
        ("payapp_base_url", opt(c.payapp_base_url)),
        ("apimch_base_url", opt(c.apimch_base_url)),
        ("apimch_backup_base_url", opt(c.apimch_backup_base_url)),
        ("proxy", opt(c.proxy)),
        ("no_proxy", opt(c.no_proxy)),
        ("timeout", seconds(c.timeout_ms)),
        ("connect_timeout", seconds(c.connect_timeout_ms)),
        ("max_retries", c.max_retries.map(SettingValue::from)),
    ];
    let mut settings = CoreSettings::default();
    for (option, value) in options {
        if let Some(v) = value {
            settings.set(option, v)?;
        }
    }
    Ok(settings)
}

/// The client configuration of the JS options, checked and with its keys
/// loaded (and the decryptor, when there is one).
///
/// # Errors
/// `ConfigError` / `InvalidInputError` naming the option, never a value.
pub(crate) fn client_config(c: ClientSettings) -> Result<ClientConfig, Error> {
    core_settings(c)?.build().map(|(config, _)| config)
}

/// An authinfo for the kiosk's face SDK, as the merchant client got it
/// (`AuthinfoResponse` in JavaScript, as in every binding).
#[napi(object, js_name = "AuthinfoResponse")]
pub struct MerchantAuthinfo {
    /// The credential. Never log it.
    pub authinfo: String,
    /// When it expires, unix seconds.
    pub expires_at: f64,
    /// Seconds left until `expiresAt`.
    pub expires_in: f64,
    /// Whether it came from the cache (or a concurrent caller's request).
    pub from_cache: bool,
}

/// Counters since the client was built.
#[napi(object)]
pub struct ClientStats {
    /// Calls of the public operations.
    pub calls: f64,
    /// HTTP requests sent (every attempt).
    pub http_requests: f64,
    /// Attempts after a retryable failure.
    pub retries: f64,
    /// Authinfo answers served from the cache.
    pub cache_hits: f64,
    /// Authinfo answers shared with a concurrent caller.
    pub coalesced: f64,
    /// Platform certificate downloads.
    pub certificate_downloads: f64,
    /// Requests sent to the backup host after the primary could not be reached.
    pub failovers: f64,
}

/// Cancels one call of a `MerchantClient`: the package's wrapper makes one
/// for a call given an `AbortSignal` and aborts it when the signal fires.
/// The call's Rust future is then dropped, which cancels its HTTP request.
/// Not public API.
#[napi(js_name = "__AbortHandle")]
pub struct AbortHandle {
    aborted: watch::Sender<bool>,
}

#[napi]
impl AbortHandle {
    /// A handle not aborted yet.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            aborted: watch::Sender::new(false),
        }
    }

    /// Abort the call (again: nothing).
    #[napi]
    pub fn abort(&self) {
        self.aborted.send_replace(true);
    }
}

/// `fut`, dropped as soon as `abort` fires (its request with it): then an
/// `InternalError` that nobody sees, since the wrapper has already rejected
/// with the signal's reason.
async fn abortable<T>(
    abort: Option<watch::Receiver<bool>>,
    fut: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(mut abort) = abort else {
        return fut.await;
    };
    let aborted = async move {
        if abort.wait_for(|a| *a).await.is_err() {
            // The handle is gone without an abort: never.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        r = fut => r,
        () = aborted => Err(Error::Internal("the call was aborted".into())),
    }
}

fn receiver(abort: Option<&AbortHandle>) -> Option<watch::Receiver<bool>> {
    abort.map(|a| a.aborted.subscribe())
}

/// The merchant server's client: `get_wxpayface_authinfo` (cached,
/// single-flight), the APIv3 identity query (verified before parsing) and
/// real-name decryption.
#[napi]
pub struct MerchantClient {
    inner: wxface_client::MerchantClient,
}

/// The client's parameters of the kiosk API's authinfo request.
fn authinfo_params(request: AuthinfoRequest) -> AuthinfoParams {
    let attach = request.attach_text();
    let mut params = AuthinfoParams::new(request.rawdata, request.device_id);
    params.store_id = request.store_id;
    params.store_name = request.store_name;
    params.attach = attach;
    params
}

fn parse_info_type(s: Option<&str>) -> Result<InfoType, Error> {
    s.unwrap_or("ASK_REAL_NAME").parse()
}

#[napi]
impl MerchantClient {
    /// Check the configuration and load the keys.
    ///
    /// Throws `ConfigError` / `InvalidInputError` naming what is missing or wrong
    /// (never a secret).
    #[napi(constructor)]
    pub fn new(env: Env, settings: ClientSettings) -> napi::Result<Self> {
        let built = client_config(settings).and_then(wxface_client::MerchantClient::new);
        built.map(|inner| Self { inner }).map_err(|e| js(&env, e))
    }

    /// The `appid`.
    #[napi(getter)]
    pub fn appid(&self) -> String {
        self.inner.config().appid().to_owned()
    }

    /// The `mch_id`.
    #[napi(getter)]
    pub fn mch_id(&self) -> String {
        self.inner.config().mch_id().to_owned()
    }

    /// Whether a sub-merchant is configured (服务商模式).
    #[napi(getter)]
    pub fn is_provider_mode(&self) -> bool {
        self.inner.config().is_provider_mode()
    }

    /// An authinfo for a kiosk: from the cache while it is fresh, otherwise
    /// from `get_wxpayface_authinfo`. `params` is the kiosk API's authinfo
    /// request in camelCase (what a kiosk posts to `/kiosk/authinfo`):
    /// `refresh: true` drops the cached authinfo first.
    ///
    /// Rejects with `InvalidInputError`, `BackendError` (WeChat's code and
    /// message), `SignatureError`, `MalformedError`, `TransportError`; with
    /// the signal's reason (an `AbortError`) when `options.signal` aborts,
    /// which cancels the request.
    #[napi(
        js_name = "getAuthinfo",
        ts_args_type = "params: AuthinfoParamsInit, options?: CallOptions",
        ts_return_type = "Promise<AuthinfoResponse>"
    )]
    pub fn get_authinfo<'env>(
        &self,
        env: &'env Env,
        params: serde_json::Value,
        options: Option<&AbortHandle>,
    ) -> napi::Result<PromiseRaw<'env, MerchantAuthinfo>> {
        let client = self.inner.clone();
        let request = record::from_js::<AuthinfoRequest>("params", params);
        let abort = receiver(options);
        runtime::future(
            env,
            abortable(abort, async move {
                let request = request?;
                let refresh = request.refresh;
                let params = authinfo_params(request);
                if refresh {
                    client.invalidate_authinfo(&params);
                }
                client.get_authinfo(params).await
            }),
            |_, r| {
                Ok(MerchantAuthinfo {
                    authinfo: r.authinfo,
                    expires_at: r.expires_at.as_secs() as f64,
                    expires_in: r.expires_in as f64,
                    from_cache: r.from_cache,
                })
            },
        )
    }

    /// Forget the cached authinfo of a device (and store): after the face
    /// SDK reported it expired. Returns whether one was cached.
    #[napi(js_name = "invalidateAuthinfo")]
    pub fn invalidate_authinfo(&self, device_id: String, store_id: Option<String>) -> bool {
        let mut params = AuthinfoParams::new(String::new(), device_id);
        params.store_id = store_id;
        self.inner.invalidate_authinfo(&params)
    }

    /// `GET /v3/facemch/users/{face_sid}`, verified before it is parsed. The
    /// real-name fields stay encrypted (decrypt them with a `Decryptor`).
    /// `infoType`: `"ASK_REAL_NAME"` (default) or `"ASK_UNIONID"`.
    ///
    /// Rejects with `BackendError`, `SignatureError`, `MalformedError`,
    /// `InvalidInputError`, `TransportError`; with the signal's reason (an
    /// `AbortError`) when `options.signal` aborts, which cancels the request.
    #[napi(
        js_name = "queryUser",
        ts_args_type = "faceSid: string, infoType?: InfoType | null, options?: CallOptions",
        ts_return_type = "Promise<FaceUser>"
    )]
    pub fn query_user<'env>(
        &self,
        env: &'env Env,
        face_sid: String,
        info_type: Option<String>,
        options: Option<&AbortHandle>,
    ) -> napi::Result<PromiseRaw<'env, Object<'static>>> {
        let client = self.inner.clone();
        let it = parse_info_type(info_type.as_deref());
        let abort = receiver(options);
        runtime::future(
            env,
            abortable(
                abort,
                async move { client.query_user(&face_sid, it?).await },
            ),
            face_user,
        )
    }

    /// Provider mode (服务商): the identity query's answer, verified here
    /// against the platform keys and handed back exactly as WeChat Pay sent
    /// it. Forward its JSON form (`answer.toJson()`) to the hospital, whose
    /// `RealNameReceiver` verifies it again with the platform key before it
    /// decrypts anything: the provider never holds the hospital's key.
    ///
    /// Rejects as `queryUser`; with `MalformedError` when the body is not
    /// UTF-8.
    #[napi(
        js_name = "queryUserSigned",
        ts_args_type = "faceSid: string, infoType?: InfoType | null, options?: CallOptions",
        ts_return_type = "Promise<SignedAnswer>"
    )]
    pub fn query_user_signed<'env>(
        &self,
        env: &'env Env,
        face_sid: String,
        info_type: Option<String>,
        options: Option<&AbortHandle>,
    ) -> napi::Result<PromiseRaw<'env, SignedAnswer>> {
        let client = self.inner.clone();
        let it = parse_info_type(info_type.as_deref());
        let abort = receiver(options);
        runtime::future(
            env,
            abortable(abort, async move {
                client.query_user_signed(&face_sid, it?).await
            }),
            |_, inner| Ok(SignedAnswer { inner }),
        )
    }

    /// Query `ASK_REAL_NAME` and decrypt the identity, with `decryptor` or
    /// the configured one (`decryptKeyPem`; in direct mode, the merchant key).
    ///
    /// Rejects as `queryUser`; with `DecryptionError`; with `ConfigError`
    /// without a decryptor.
    #[napi(
        js_name = "fetchRealName",
        ts_args_type = "faceSid: string, decryptor?: Decryptor | null, options?: CallOptions",
        ts_return_type = "Promise<RealName>"
    )]
    pub fn fetch_real_name<'env>(
        &self,
        env: &'env Env,
        face_sid: String,
        decryptor: Option<&Decryptor>,
        options: Option<&AbortHandle>,
    ) -> napi::Result<PromiseRaw<'env, RealName>> {
        let client = self.inner.clone();
        let d: Option<Arc<decrypt::Decryptor>> = decryptor.map(Decryptor::core);
        let abort = receiver(options);
        runtime::future(
            env,
            abortable(abort, async move {
                match d {
                    Some(d) => client.fetch_real_name(&face_sid, &d).await,
                    None => client.real_name(&face_sid).await,
                }
            }),
            |_, rn| Ok(RealName::new(rn)),
        )
    }

    /// Download the platform certificates now (needs the APIv3 key); returns
    /// how many are trusted.
    ///
    /// Rejects with `ConfigError`, `BackendError`, `SignatureError`,
    /// `TransportError`; with the signal's reason (an `AbortError`) when
    /// `options.signal` aborts, which cancels the download.
    #[napi(
        js_name = "refreshPlatformCertificates",
        ts_args_type = "options?: CallOptions",
        ts_return_type = "Promise<number>"
    )]
    pub fn refresh_platform_certificates<'env>(
        &self,
        env: &'env Env,
        options: Option<&AbortHandle>,
    ) -> napi::Result<PromiseRaw<'env, u32>> {
        let client = self.inner.clone();
        let abort = receiver(options);
        runtime::future(
            env,
            abortable(abort, async move {
                client.refresh_platform_certificates().await
            }),
            |_, n| Ok(u32::try_from(n).unwrap_or(u32::MAX)),
        )
    }

    /// The ids of the trusted platform keys.
    #[napi(js_name = "platformKeyIds")]
    pub fn platform_key_ids(&self) -> Vec<String> {
        self.inner.platform_key_ids()
    }

    /// Counters since the client was built.
    #[napi]
    pub fn stats(&self) -> ClientStats {
        let s = self.inner.stats();
        ClientStats {
            calls: s.calls as f64,
            http_requests: s.http_requests as f64,
            retries: s.retries as f64,
            cache_hits: s.cache_hits as f64,
            coalesced: s.coalesced as f64,
            certificate_downloads: s.certificate_downloads as f64,
            failovers: s.failovers as f64,
        }
    }

    /// A description without secrets.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        let c = self.inner.config();
        format!(
            "MerchantClient(appid={}, mchId={}{}, keys=[REDACTED])",
            c.appid(),
            c.mch_id(),
            c.sub_mch_id()
                .map(|s| format!(", subMchId={s}"))
                .unwrap_or_default()
        )
    }

    /// A description without secrets.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> String {
        self.to_js_string()
    }
}
