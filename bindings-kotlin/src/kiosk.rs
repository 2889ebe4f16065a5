//! The kiosk side: the `FaceSdk` and `MerchantBackend` interfaces that
//! Kotlin implements, and the `Kiosk` driver (from wxface-capture) that runs
//! the flow through them.
//!
//! On Android the app adapts `com.tencent.wxpayface.WxPayFace` to `FaceSdk`
//! (see `android-sample/WxPayFaceAdapter.kt`) and its HTTP client to
//! `MerchantBackend`. Every `Kiosk` method blocks until its part of the flow
//! is over: call it from a worker thread (`Dispatchers.IO`), never from the
//! main thread. The callbacks run on threads of the binding, not on the
//! caller's.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use wxface_capture as capture;
use wxface_core::model::{KioskConfig, MaskedIdentity, Outcome, Progress, Recognised};
use wxface_core::time::SystemClock;
use wxface_core::Error as CoreError;

use crate::sdk::{secs, unix};
use crate::WxfaceError;

/// One face SDK: a JSON request in, the JSON answer out.
///
/// Implement it in Kotlin over the vendor SDK. Throw a `WxfaceException.Sdk`
/// (`returnCode = "CALL_FAILED"`) only when the call itself fails (no
/// service, timeout); an answer with `return_code != SUCCESS` is a normal
/// answer and must be returned as it is. Any other exception counts as a
/// failed call.
#[uniffi::export(rust, foreign)]
pub trait FaceSdk: Send + Sync {
    /// Send one request, return the answer JSON.
    ///
    /// # Errors
    /// Only when the call itself failed.
    fn call(&self, request_json: String) -> Result<String, WxfaceError>;
}

/// An authinfo granted by the merchant server. `toString` hides it.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct AuthinfoGrant {
    /// The authinfo.
    pub authinfo: String,
    /// Its absolute expiry, Unix seconds.
    pub expires_at: i64,
}

impl fmt::Debug for AuthinfoGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AuthinfoGrant(expires_at={}, authinfo=[REDACTED])",
            self.expires_at
        )
    }
}

/// How a kiosk reaches its merchant server (docs/merchant-api.md describes
/// the project's HTTP convention; any API will do).
#[uniffi::export(rust, foreign)]
pub trait MerchantBackend: Send + Sync {
    /// Authinfo for `rawdata` on this device. The kiosk caches it itself.
    /// `refresh` is `true` when the SDK reported the previous one invalid or
    /// expired (271382020): then the answer must not come from a cache.
    ///
    /// # Errors
    /// Any error of the merchant server or of WeChat Pay behind it.
    fn authinfo(
        &self,
        rawdata: String,
        device_id: String,
        refresh: bool,
    ) -> Result<AuthinfoGrant, WxfaceError>;

    /// Whether the merchant already has a verified record for this user.
    ///
    /// # Errors
    /// When the merchant server cannot answer.
    fn is_verified(&self, who: Recognised) -> Result<bool, WxfaceError>;

    /// The masked real-name result for `face_sid` (after consent).
    ///
    /// # Errors
    /// Any error of the merchant server or of WeChat Pay behind it.
    fn real_name(&self, face_sid: String, device_id: String)
        -> Result<MaskedIdentity, WxfaceError>;
}

/// What a Kotlin `MerchantBackend` throws when the merchant server refused
/// the kiosk itself (HTTP 401 from a server of docs/merchant-api.md: no
/// device credential, an unknown or a revoked one): `Unauthenticated`, not
/// retryable (the hospital has to issue the kiosk a live credential).
/// `reason` says what the server said was wrong; never put the credential
/// in it.
#[uniffi::export]
pub fn merchant_server_unauthenticated(reason: String) -> WxfaceError {
    CoreError::Unauthenticated(reason).into()
}

/// The Rust client of docs/merchant-api.md as a `MerchantBackend`
/// (feature `http`): `POST {base_url}/kiosk/authinfo` (with `"refresh": true`
/// after the SDK reported the authinfo expired), `/kiosk/verified`,
/// `/kiosk/real-name`.
///
/// `device_credential` is the kiosk's device credential (`wxfd1.…`), issued
/// by the hospital (`wxface merchant devices add DEVICE_ID`) and provisioned
/// to the terminal, never written in source. It is sent with every request
/// as `Authorization: Bearer …` and printed nowhere. The reference merchant
/// server refuses a request without a live one: `Unauthenticated` (not
/// retryable). `null` only for a server of the hospital's own that
/// authenticates kiosks some other way (then, for instance, through
/// `headers`, which are sent with every request and never printed either).
///
/// # Errors
/// `Config` for a base URL that is not http(s), a header that is not valid,
/// or a credential that is not of the form `wxfd1.<key id>.<secret>` (the
/// message does not quote it).
#[cfg(feature = "http")]
#[uniffi::export(default(connect_timeout_ms = None, timeout_ms = None, headers = None))]
pub fn http_merchant_backend(
    base_url: String,
    device_credential: Option<String>,
    connect_timeout_ms: Option<u32>,
    timeout_ms: Option<u32>,
    headers: Option<std::collections::HashMap<String, String>>,
) -> Result<Arc<dyn MerchantBackend>, WxfaceError> {
    let device_credential = device_credential.map(zeroize::Zeroizing::new);
    let mut b = capture::HttpMerchantBackend::builder(base_url);
    if let Some(c) = &device_credential {
        b = b.device_credential(c);
    }
    if let Some(ms) = connect_timeout_ms {
        b = b.connect_timeout(Duration::from_millis(u64::from(ms)));
    }
    if let Some(ms) = timeout_ms {
        b = b.timeout(Duration::from_millis(u64::from(ms)));
    }
    for (name, value) in headers.unwrap_or_default() {
        b = b.header(name, value);
    }
    Ok(Arc::new(HttpBackend(b.build()?)))
}

/// `http_merchant_backend(base_url, device_credential)` with the default
/// timeouts and no extra headers, under a name Java can call:
/// `WxfaceKt.httpMerchantBackendForDevice(baseUrl, deviceCredential)`.
/// (Java sees no Kotlin default arguments, and `httpMerchantBackend` takes
/// `UInt?` timeouts, which give its JVM method a mangled name.)
///
/// # Errors
/// As `http_merchant_backend`.
#[cfg(feature = "http")]
#[uniffi::export]
pub fn http_merchant_backend_for_device(
    base_url: String,
    device_credential: String,
) -> Result<Arc<dyn MerchantBackend>, WxfaceError> {
    http_merchant_backend(base_url, Some(device_credential), None, None, None)
}

#[cfg(feature = "http")]
struct HttpBackend(capture::HttpMerchantBackend);

#[cfg(feature = "http")]
impl MerchantBackend for HttpBackend {
    fn authinfo(
        &self,
        rawdata: String,
        device_id: String,
        refresh: bool,
    ) -> Result<AuthinfoGrant, WxfaceError> {
        use capture::MerchantBackend as _;
        let g = if refresh {
            self.0.refresh_authinfo(&rawdata, &device_id)?
        } else {
            self.0.authinfo(&rawdata, &device_id)?
        };
        Ok(AuthinfoGrant {
            authinfo: g.authinfo,
            expires_at: secs(g.expires_at),
        })
    }

    fn is_verified(&self, who: Recognised) -> Result<bool, WxfaceError> {
        use capture::MerchantBackend as _;
        Ok(self.0.is_verified(&who.into())?)
    }

    fn real_name(
        &self,
        face_sid: String,
        device_id: String,
    ) -> Result<MaskedIdentity, WxfaceError> {
        use capture::MerchantBackend as _;
        Ok(self.0.real_name(&face_sid, &device_id)?.into())
    }
}

/// Receives the progress of one verification (no personal data).
#[uniffi::export(foreign)]
pub trait VerifyListener: Send + Sync {
    /// One progress event.
    fn on_progress(&self, event: Progress);
}

/// Cancels a verification from any thread. Use a fresh one per patient: a
/// handle cancelled before `verify` starts ends that verification at once.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelHandle {
    inner: capture::CancelHandle,
}

#[uniffi::export]
impl CancelHandle {
    /// A handle that is not cancelled.
    #[uniffi::constructor]
    pub fn new() -> Self {
        Self::default()
    }

    /// Request cancellation. Idempotent; never blocks.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

/// How `Kiosk.start` retries an SDK that is still initialising.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct InitRetry {
    /// Further attempts after the first.
    pub attempts: u32,
    /// Pause between attempts, milliseconds.
    pub delay_ms: u32,
}

/// What a Kotlin `FaceSdk` threw, for the core: a `WxfaceException` as the
/// error it stands for; anything else (`Internal`) as a failed call
/// (`return_code` `CALL_FAILED`), the command stamped by the flow.
fn sdk_call_failure(e: WxfaceError) -> CoreError {
    match e {
        WxfaceError::Internal { reason, .. } => CoreError::Sdk {
            cmd: String::new(),
            return_code: "CALL_FAILED".into(),
            return_msg: reason,
            err_code: None,
        },
        other => CoreError::from_info(&other.info()),
    }
}

/// What a Kotlin `MerchantBackend` threw, for the core: a `WxfaceException`
/// as the error it stands for (`Transport` when the server could not be
/// reached); anything else stays `Internal`.
fn backend_failure(e: WxfaceError) -> CoreError {
    CoreError::from_info(&e.info())
}

struct SdkBridge(Arc<dyn FaceSdk>);

impl capture::FaceSdk for SdkBridge {
    fn call(&self, request_json: &str) -> Result<String, CoreError> {
        self.0
            .call(request_json.to_owned())
            .map_err(sdk_call_failure)
    }
}

struct BackendBridge(Arc<dyn MerchantBackend>);

impl BackendBridge {
    fn authinfo_grant(
        &self,
        rawdata: &str,
        device_id: &str,
        refresh: bool,
    ) -> Result<capture::AuthinfoGrant, CoreError> {
        let g = self
            .0
            .authinfo(rawdata.to_owned(), device_id.to_owned(), refresh)
            .map_err(backend_failure)?;
        Ok(capture::AuthinfoGrant {
            authinfo: g.authinfo,
            expires_at: unix(g.expires_at).map_err(backend_failure)?,
        })
    }
}

impl capture::MerchantBackend for BackendBridge {
    fn authinfo(
        &self,
        rawdata: &str,
        device_id: &str,
    ) -> Result<capture::AuthinfoGrant, CoreError> {
        self.authinfo_grant(rawdata, device_id, false)
    }

    fn refresh_authinfo(
        &self,
        rawdata: &str,
        device_id: &str,
    ) -> Result<capture::AuthinfoGrant, CoreError> {
        self.authinfo_grant(rawdata, device_id, true)
    }

    fn is_verified(&self, who: &wxface_core::flow::Recognised) -> Result<bool, CoreError> {
        self.0
            .is_verified(who.clone().into())
            .map_err(backend_failure)
    }

    fn real_name(
        &self,
        face_sid: &str,
        device_id: &str,
    ) -> Result<wxface_core::realname::MaskedIdentity, CoreError> {
        self.0
            .real_name(face_sid.to_owned(), device_id.to_owned())
            .map(Into::into)
            .map_err(backend_failure)
    }
}

/// The kiosk: one face SDK, one merchant server, one patient at a time.
#[derive(uniffi::Object)]
pub struct Kiosk {
    inner: capture::Kiosk,
}

impl fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

#[uniffi::export]
impl Kiosk {
    /// A kiosk for `device_id` (≤ 32 characters, the id its merchant server
    /// sends to WeChat Pay). Call `start` next.
    ///
    /// # Errors
    /// `InvalidInput` for a bad `device_id`; `InvalidInput`/`SdkVersion` for
    /// a configuration the SDK version cannot serve.
    #[uniffi::constructor(default(init_retry = None))]
    pub fn new(
        config: KioskConfig,
        device_id: String,
        sdk: Arc<dyn FaceSdk>,
        backend: Arc<dyn MerchantBackend>,
        init_retry: Option<InitRetry>,
    ) -> Result<Self, WxfaceError> {
        let mut inner = capture::Kiosk::new(
            config.to_flow_config()?,
            device_id,
            Arc::new(SdkBridge(sdk)),
            Arc::new(BackendBridge(backend)),
            Arc::new(SystemClock),
        )?;
        if let Some(r) = init_retry {
            inner = inner.with_init_retry(capture::InitRetry {
                attempts: r.attempts,
                delay: Duration::from_millis(u64::from(r.delay_ms)),
            });
        }
        Ok(Self { inner })
    }

    /// Initialise the SDK (`initWxpayface`), retrying while it reports
    /// "still initialising". Blocks.
    ///
    /// # Errors
    /// The SDK's error or call failure; `State` when already started.
    pub fn start(&self) -> Result<(), WxfaceError> {
        Ok(self.inner.start()?)
    }

    /// Verify one patient. Blocks until the outcome (up to a minute while
    /// the patient looks at the camera and reads the consent screen). Never
    /// throws: every ending is an `Outcome`.
    #[uniffi::method(default(listener = None, cancel = None))]
    pub fn verify(
        &self,
        listener: Option<Arc<dyn VerifyListener>>,
        cancel: Option<Arc<CancelHandle>>,
    ) -> Outcome {
        let mut hooks = capture::VerifyHooks::new();
        if let Some(l) = listener {
            hooks = hooks.on_progress(move |e| l.on_progress(e.into()));
        }
        if let Some(c) = cancel {
            hooks = hooks.cancel_handle(c.inner.clone());
        }
        self.inner.verify(hooks).into()
    }

    /// Release the SDK (`releaseWxpayface`), cancelling a verification in
    /// progress first. The kiosk accepts nothing afterwards.
    ///
    /// # Errors
    /// `State` when not started; the release call's error (the kiosk is
    /// released all the same).
    pub fn shutdown(&self) -> Result<(), WxfaceError> {
        Ok(self.inner.shutdown()?)
    }

    /// Cancel the verification in progress, if any; whether there was one.
    pub fn cancel_current(&self) -> bool {
        self.inner.cancel_current()
    }

    /// The device id.
    pub fn device_id(&self) -> String {
        self.inner.device_id().to_owned()
    }

    /// Name of the flow's state (`uninitialised`, `ready`, `released`, …).
    pub fn state_name(&self) -> String {
        self.inner.state_name().to_owned()
    }

    /// Expiry (Unix seconds) of the cached authinfo, if one is held.
    pub fn authinfo_expires_at(&self) -> Option<i64> {
        self.inner.authinfo_expires_at().map(secs)
    }

    /// Forget the cached authinfo (for example after a store change).
    pub fn invalidate_authinfo(&self) {
        self.inner.invalidate_authinfo();
    }
}
