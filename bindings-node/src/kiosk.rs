//! The kiosk side: `FaceSdk` (the vendor library through its C ABI, or the
//! in-process emulator), `CancelToken`, and `NativeKiosk`, the
//! `wxface-capture` driver behind the JS `Kiosk` class of `index.js`.
//!
//! Every SDK call and merchant-server request runs on a background thread;
//! the JS thread only receives progress events and the outcome, and answers
//! the `isAlreadyVerified` and JS-backend callbacks, whose Promises the
//! background thread waits for.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Promise, PromiseRaw};
use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::{Env, Status};
use napi_derive::napi;
use serde_json::Value;
use wxface_capture as capture;
use wxface_capture::{FlowConfig, ProgressEvent, VerifyHooks};
use wxface_core::error::ErrorInfo;
use wxface_core::flow::Recognised;
use wxface_core::kiosk_api;
use wxface_core::model;
use wxface_core::realname::{CredentialType, MaskedIdentity as CoreMasked};
use wxface_core::time::SystemClock;
use wxface_core::{Error, UnixTime};
use zeroize::Zeroize;

use crate::error::js;
use crate::identity::MaskedIdentity;
use crate::{record, runtime};

// ----------------------------------------------------------------- FaceSdk

/// Options of the in-process face SDK emulator.
#[napi(object)]
pub struct EmulatorOptions {
    /// Base URL of the WeChat Pay sandbox the emulator asks.
    pub sandbox_url: String,
    /// Key of the test person recognised (default: the sandbox's default).
    pub person: Option<String>,
    /// What the user does: `"consent"` (default), `"refuse"`,
    /// `"user_cancel"`, `"camera_error"` or `"timeout"`.
    pub outcome: Option<String>,
    /// How long recognition takes, milliseconds (default 0).
    pub latency_ms: Option<u32>,
    /// The terminal's device id; must match the kiosk's (default `EMU-DEVICE-01`).
    pub device_id: Option<String>,
    /// The face SDK version emulated (default `"1.24"`).
    pub sdk_version: Option<String>,
    /// How long a `timeout` outcome hangs, milliseconds.
    pub timeout_ms: Option<u32>,
}

enum SdkKind {
    Native,
    #[cfg(feature = "dev")]
    Emulator(Arc<wxface_sandbox::EmulatedFaceSdk>),
}

/// A face SDK: the vendor library (or the project's emulator library)
/// through the C ABI, or the in-process emulator.
#[napi]
pub struct FaceSdk {
    inner: Arc<dyn capture::FaceSdk>,
    kind: SdkKind,
}

#[napi]
impl FaceSdk {
    /// Load a library with the vendor's C ABI (`WxpayFaceSDK.dll`, or
    /// `libwxface_sdk_emu.so` configured by its `WXFACE_EMU_*` environment).
    ///
    /// Throws `ConfigError` naming the path or the missing symbol.
    #[napi(factory)]
    pub fn load(env: Env, path: String) -> napi::Result<Self> {
        capture::NativeFaceSdk::load(&path)
            .map(|sdk| Self {
                inner: Arc::new(sdk),
                kind: SdkKind::Native,
            })
            .map_err(|e| js(&env, Error::from(e)))
    }

    /// `"native"` or `"emulator"`.
    #[napi(getter)]
    pub fn kind(&self) -> String {
        match self.kind {
            SdkKind::Native => "native",
            #[cfg(feature = "dev")]
            SdkKind::Emulator(_) => "emulator",
        }
        .to_owned()
    }

    /// Send one raw request JSON and resolve with the raw answer (off the JS
    /// thread). For diagnostics; a kiosk uses `Kiosk`.
    ///
    /// Rejects with `SdkError` (`returnCode` `CALL_FAILED`) when the call
    /// itself fails.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn call<'env>(
        &self,
        env: &'env Env,
        request: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let sdk = Arc::clone(&self.inner);
        runtime::blocking(env, move || sdk.call(&request), |_, s| Ok(s))
    }

    /// Emulator only: what the user does in the next face session(s), in order.
    ///
    /// Throws `InvalidInputError` for an unknown outcome, `StateError` for a native SDK.
    #[napi(js_name = "pushOutcome")]
    pub fn push_outcome(&self, env: Env, outcome: String) -> napi::Result<()> {
        #[cfg(feature = "dev")]
        {
            let emu = self.emulated(&env)?;
            let o = outcome.parse().map_err(|e| js(&env, e))?;
            emu.push_outcome(o);
            Ok(())
        }
        #[cfg(not(feature = "dev"))]
        {
            let _ = outcome;
            Err(not_emulator(&env))
        }
    }

    /// Emulator only: the default outcome, the person and the recognition
    /// latency from now on.
    ///
    /// Throws as `pushOutcome`.
    #[napi]
    pub fn configure(&self, env: Env, options: EmulatorSettings) -> napi::Result<()> {
        #[cfg(feature = "dev")]
        {
            let emu = self.emulated(&env)?;
            if let Some(o) = options.outcome {
                emu.set_outcome(o.parse().map_err(|e| js(&env, e))?);
            }
            if let Some(p) = options.person {
                emu.set_person(Some(p).filter(|p| !p.is_empty()));
            }
            if let Some(ms) = options.latency_ms {
                emu.set_latency(Duration::from_millis(u64::from(ms)));
            }
            Ok(())
        }
        #[cfg(not(feature = "dev"))]
        {
            let _ = options;
            Err(not_emulator(&env))
        }
    }

    /// `FaceSdk(native)` or `FaceSdk(emulator)`.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!("FaceSdk({})", self.kind())
    }
}

#[cfg(feature = "dev")]
#[napi]
impl FaceSdk {
    /// The in-process emulator, talking to a WeChat Pay sandbox.
    ///
    /// Throws `InvalidInputError` / `ConfigError` for bad options.
    #[napi(factory)]
    pub fn emulator(env: Env, options: EmulatorOptions) -> napi::Result<Self> {
        emulator_config(options)
            .and_then(wxface_sandbox::EmulatedFaceSdk::new)
            .map(|sdk| {
                let sdk = Arc::new(sdk);
                Self {
                    inner: sdk.clone(),
                    kind: SdkKind::Emulator(sdk),
                }
            })
            .map_err(|e| js(&env, e))
    }
}

/// Emulator settings that can change between sessions.
#[napi(object)]
pub struct EmulatorSettings {
    /// The default outcome.
    pub outcome: Option<String>,
    /// The test person (`""`: the sandbox's default).
    pub person: Option<String>,
    /// Recognition latency, milliseconds.
    pub latency_ms: Option<u32>,
}

#[cfg(feature = "dev")]
impl FaceSdk {
    fn emulated(&self, env: &Env) -> napi::Result<&wxface_sandbox::EmulatedFaceSdk> {
        match &self.kind {
            SdkKind::Emulator(e) => Ok(e),
            SdkKind::Native => Err(not_emulator(env)),
        }
    }
}

fn not_emulator(env: &Env) -> napi::Error {
    js(
        env,
        Error::State {
            state: "native",
            event: "emulator_control",
        },
    )
}

#[cfg(feature = "dev")]
fn emulator_config(o: EmulatorOptions) -> Result<wxface_sandbox::EmuConfig, Error> {
    let mut c = wxface_sandbox::EmuConfig::new(o.sandbox_url);
    c.person = o.person.filter(|p| !p.is_empty());
    if let Some(out) = o.outcome {
        c.outcome = out.parse()?;
    }
    if let Some(ms) = o.latency_ms {
        c.recognition_latency = Duration::from_millis(u64::from(ms));
    }
    if let Some(d) = o.device_id {
        c.device_id = d;
    }
    if let Some(v) = o.sdk_version {
        c.sdk_version = v.parse()?;
    }
    if let Some(ms) = o.timeout_ms {
        c.timeout_sleep = Duration::from_millis(u64::from(ms));
    }
    Ok(c)
}

// ------------------------------------------------------------- CancelToken

/// Cancels one verification from JS (the `Kiosk` wrapper ties it to an
/// `AbortSignal`).
#[napi]
pub struct CancelToken {
    inner: capture::CancelHandle,
}

#[napi]
impl CancelToken {
    /// A token that is not cancelled.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            inner: capture::CancelHandle::new(),
        }
    }

    /// Request cancellation; never blocks.
    #[napi]
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether `cancel()` was called.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

// ------------------------------------------------------------ JS callbacks

/// The core error of a failed JS callback: the wrapper (`lib/kiosk.js`)
/// describes what it threw as an error record (a `WxfaceError`'s own, else
/// `transport` for the merchant backend, `internal` for another callback).
fn callback_error(callback: &str, info: Option<serde_json::Value>) -> Error {
    match info.map(serde_json::from_value::<ErrorInfo>) {
        Some(Ok(info)) => Error::from_info(&info),
        _ => lost(callback),
    }
}

/// The answer of a wrapped JS callback: `{ok: value}` or `{error: failure}`.
#[napi(object)]
pub struct VerifiedAnswer {
    /// The value on success.
    pub ok: Option<bool>,
    /// The failure.
    pub error: Option<serde_json::Value>,
}

/// `authinfo` reply of a JS backend: its answer or its failure.
#[napi(object)]
pub struct AuthinfoReply {
    /// The answer on success.
    pub ok: Option<AuthinfoAnswer>,
    /// The failure.
    pub error: Option<serde_json::Value>,
}

/// An authinfo as a JS backend returns it: the kiosk API's answer to
/// `POST /kiosk/authinfo` (docs/merchant-api.md), in camelCase.
#[napi(object)]
pub struct AuthinfoAnswer {
    /// The authinfo.
    pub authinfo: String,
    /// Seconds it stays valid (preferred: measured on this kiosk's clock).
    pub expires_in: Option<f64>,
    /// Its absolute expiry, unix seconds.
    pub expires_at: Option<f64>,
}

/// `realName` answer of a JS backend.
#[napi(object)]
pub struct RealNameAnswer {
    /// The masked identity on success.
    pub ok: Option<MaskedIdentity>,
    /// The failure.
    pub error: Option<serde_json::Value>,
}

/// What a JS backend's `authinfo` receives.
#[napi(object)]
pub struct AuthinfoCall {
    /// `rawdata` from the face SDK.
    pub rawdata: String,
    /// The kiosk's device id.
    pub device_id: String,
    /// `true` when the face SDK reported the previous authinfo invalid or
    /// expired (271382020): bypass any cache.
    pub refresh: bool,
}

/// What a JS backend's `realName` receives.
#[napi(object)]
pub struct RealNameCall {
    /// The query credential.
    pub face_sid: String,
    /// The kiosk's device id.
    pub device_id: String,
}

/// A JS callback returning a Promise, callable from any thread (held weakly
/// or not, per `WEAK`).
type Callback<A, R, const WEAK: bool> = ThreadsafeFunction<A, Promise<R>, A, Status, false, WEAK>;

/// A merchant backend implemented in JS (already wrapped by `index.js`:
/// every function returns a Promise of `{ok}` or `{error}`). The functions
/// are held weakly: a kiosk does not keep the process alive by itself (a
/// verification in progress does, through its Promise).
#[napi(object, object_to_js = false)]
pub struct JsBackendFunctions {
    /// `({rawdata, deviceId, refresh}) => Promise<{ok: {authinfo, expiresIn?, expiresAt?}} | {error}>`
    pub authinfo:
        ThreadsafeFunction<AuthinfoCall, Promise<AuthinfoReply>, AuthinfoCall, Status, false, true>,
    /// `(who) => Promise<{ok: boolean} | {error}>`
    #[napi(ts_type = "(who: object) => Promise<object>")]
    pub is_verified: ThreadsafeFunction<Value, Promise<VerifiedAnswer>, Value, Status, false, true>,
    /// `({faceSid, deviceId}) => Promise<{ok: MaskedIdentity} | {error}>`
    pub real_name: ThreadsafeFunction<
        RealNameCall,
        Promise<RealNameAnswer>,
        RealNameCall,
        Status,
        false,
        true,
    >,
}

/// Call a wrapped JS callback from a background thread (any thread: the
/// kiosk driver asks its backend from a thread of its own) and wait for its
/// Promise.
fn call_js<
    A: 'static + napi::bindgen_prelude::JsValuesTupleIntoVec,
    R: 'static + napi::bindgen_prelude::FromNapiValue,
    const WEAK: bool,
>(
    f: &Callback<A, R, WEAK>,
    arg: A,
) -> Option<R> {
    runtime::wait(async {
        let p = f.call_async_catch(arg).await.ok()?;
        p.await.ok()
    })
}

struct JsBackend {
    f: JsBackendFunctions,
}

/// The expiry of a JS backend's authinfo received at `now`, by the rule of
/// the kiosk API (`expiresIn` on this kiosk's clock first).
fn expiry(a: &AuthinfoAnswer, now: UnixTime) -> Option<UnixTime> {
    let whole = |s: f64| (s.is_finite() && s > 0.0 && s < 1e13).then_some(s as u64);
    kiosk_api::authinfo_expiry(
        a.expires_in.and_then(whole),
        a.expires_at.and_then(whole),
        now,
    )
    .map(|e| e.expires_at)
}

fn lost(callback: &str) -> Error {
    Error::Internal(format!(
        "`{callback}` did not answer (the JS environment is shutting down?)"
    ))
}

impl JsBackend {
    fn grant(
        &self,
        rawdata: &str,
        device_id: &str,
        refresh: bool,
    ) -> Result<capture::AuthinfoGrant, Error> {
        use wxface_core::time::Clock as _;
        let now = SystemClock.now();
        let answer = call_js(
            &self.f.authinfo,
            AuthinfoCall {
                rawdata: rawdata.to_owned(),
                device_id: device_id.to_owned(),
                refresh,
            },
        )
        .ok_or_else(|| lost("backend.authinfo"))?;
        match (answer.ok, answer.error) {
            (Some(a), _) => {
                let expires_at = expiry(&a, now).ok_or_else(|| Error::Malformed {
                    what: "JS backend answer",
                    reason: "`authinfo` needs `expiresIn` or `expiresAt`".into(),
                })?;
                Ok(capture::AuthinfoGrant {
                    authinfo: a.authinfo,
                    expires_at,
                })
            }
            (None, e) => Err(callback_error("backend.authinfo", e)),
        }
    }
}

impl capture::MerchantBackend for JsBackend {
    fn authinfo(&self, rawdata: &str, device_id: &str) -> Result<capture::AuthinfoGrant, Error> {
        self.grant(rawdata, device_id, false)
    }

    fn refresh_authinfo(
        &self,
        rawdata: &str,
        device_id: &str,
    ) -> Result<capture::AuthinfoGrant, Error> {
        self.grant(rawdata, device_id, true)
    }

    fn is_verified(&self, who: &Recognised) -> Result<bool, Error> {
        let who = record::to_js(&model::Recognised::from(who.clone()));
        let answer = call_js(&self.f.is_verified, who).ok_or_else(|| lost("backend.isVerified"))?;
        match (answer.ok, answer.error) {
            (Some(v), _) => Ok(v),
            (None, e) => Err(callback_error("backend.isVerified", e)),
        }
    }

    fn real_name(&self, face_sid: &str, device_id: &str) -> Result<CoreMasked, Error> {
        let answer = call_js(
            &self.f.real_name,
            RealNameCall {
                face_sid: face_sid.to_owned(),
                device_id: device_id.to_owned(),
            },
        )
        .ok_or_else(|| lost("backend.realName"))?;
        match (answer.ok, answer.error) {
            (Some(m), _) => {
                let m = CoreMasked {
                    name: m.name,
                    credential_type: CredentialType::from_code(m.credential_type),
                    credential_id: m.credential_id,
                };
                // A kiosk never handles full values.
                if m.check_masked().is_ok() {
                    Ok(m)
                } else {
                    Err(Error::Malformed {
                        what: "JS backend answer",
                        reason: "`realName` returned an identity that is not masked; a kiosk \
                                 must only receive masked values"
                            .into(),
                    })
                }
            }
            (None, e) => Err(callback_error("backend.realName", e)),
        }
    }
}

// ------------------------------------------------------------------- Kiosk

/// Configuration of a kiosk. The one secret it may hold is its device
/// credential (`deviceCredential`); it holds no merchant keys.
#[napi(object, object_to_js = false)]
pub struct KioskConfig {
    /// `appid`
    pub appid: String,
    /// `mch_id`
    pub mch_id: String,
    /// `store_id`
    pub store_id: String,
    /// The kiosk's device id (≤ 32), sent to the merchant server.
    pub device_id: String,
    /// The terminal's face SDK version, e.g. `"1.24"` (default).
    pub sdk_version: Option<String>,
    /// `sub_appid` (provider mode).
    pub sub_appid: Option<String>,
    /// `sub_mch_id` (provider mode).
    pub sub_mch_id: Option<String>,
    /// `screen_index` (SDK 1.18+).
    pub screen_index: Option<String>,
    /// `disable_keyboard` (SDK 1.23+).
    pub disable_keyboard: Option<bool>,
    /// `camera_rotation` of `initWxpayface`: 1 = +90°, 2 = 180°, 3 = −90° (SDK 1.18+).
    /// The same as `init.cameraRotation`; give one or the other.
    pub camera_rotation: Option<i32>,
    /// `initWxpayface` settings, as in every other binding: the SDK's own
    /// network proxy (`proxy: {ip, port, user?, passwd?}`), `proxyType`
    /// (0 none, 1 HTTP tunnel, 2 SOCKS5; SDK 1.18+) and `cameraRotation`.
    #[napi(ts_type = "sdk.InitRequestInit")]
    pub init: Option<Value>,
    /// A cached authinfo is reused only while it has this many seconds left (default 60).
    pub authinfo_margin_secs: Option<u32>,
    /// The merchant server (`docs/merchant-api.md`), e.g. `http://his.local:8080`.
    pub merchant_url: Option<String>,
    /// Timeout of each merchant-server request, milliseconds.
    pub merchant_timeout_ms: Option<u32>,
    /// The kiosk's device credential (`wxfd1.…`), issued by the hospital
    /// (`wxface merchant devices add DEVICE_ID`) and sent with every request
    /// to `merchantUrl` as `Authorization: Bearer …`. It is a secret: read it
    /// from the kiosk's environment or configuration, never from source. It
    /// appears in no error message and no printed object.
    ///
    /// The reference merchant server refuses a kiosk without a live
    /// credential: each request then fails with `UnauthenticatedError` (not
    /// retryable). It may be left out for a merchant server of the
    /// hospital's own that authenticates kiosks some other way. Only with
    /// `merchantUrl` (a JS `backend` sends its own requests).
    pub device_credential: Option<String>,
    /// How often `start()` retries an SDK that is still initialising (default 10).
    pub init_retries: Option<u32>,
    /// Pause between those retries, milliseconds (default 500).
    pub init_retry_delay_ms: Option<u32>,
}

fn flow_config(c: &KioskConfig) -> Result<FlowConfig, Error> {
    let mut init = c
        .init
        .clone()
        .map(|v| record::from_js::<model::InitSettings>("init", v))
        .transpose()?;
    if let Some(r) = c.camera_rotation {
        let init = init.get_or_insert_with(model::InitSettings::default);
        if init.camera_rotation.is_some() {
            return Err(Error::invalid(
                "camera_rotation",
                "is given twice (top level and init); give one",
            ));
        }
        init.camera_rotation = Some(i64::from(r));
    }
    model::KioskConfig {
        appid: c.appid.clone(),
        mch_id: c.mch_id.clone(),
        store_id: c.store_id.clone(),
        sdk_version: c.sdk_version.clone(),
        sub_appid: c.sub_appid.clone(),
        sub_mch_id: c.sub_mch_id.clone(),
        screen_index: c.screen_index.clone(),
        disable_keyboard: c.disable_keyboard.unwrap_or(false),
        init,
        authinfo_margin_secs: c.authinfo_margin_secs.map(u64::from),
    }
    .to_flow_config()
}

/// Hooks of one verification (wrapped by `lib/kiosk.js`).
#[napi(object, object_to_js = false)]
pub struct NativeVerifyHooks {
    /// `(who) => Promise<{ok: boolean} | {error}>`: decides "already verified?"
    /// instead of the merchant server.
    #[napi(ts_type = "(who: object) => Promise<object>")]
    pub is_already_verified:
        Option<ThreadsafeFunction<Value, Promise<VerifiedAnswer>, Value, Status, false>>,
    /// `(event) => void`, with a progress event (`KioskProgress`).
    #[napi(ts_type = "(event: object) => void")]
    pub on_progress: Option<ThreadsafeFunction<Value, UnknownReturnValue, Value, Status, false>>,
}

/// The `wxface-capture` kiosk driver. Use the `Kiosk` class of the package,
/// which wraps this one.
#[napi]
pub struct NativeKiosk {
    inner: Arc<capture::Kiosk>,
}

#[napi]
impl NativeKiosk {
    /// A kiosk over `sdk`, asking `config.merchantUrl` or the JS `backend`.
    ///
    /// Throws `InvalidInputError`, `SdkVersionError`, `ConfigError`.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        mut config: KioskConfig,
        sdk: &FaceSdk,
        backend: Option<JsBackendFunctions>,
    ) -> napi::Result<Self> {
        let built = (|| {
            let flow = flow_config(&config)?;
            let backend: Arc<dyn capture::MerchantBackend> = match (backend, &config.merchant_url) {
                (Some(_), None) if config.device_credential.is_some() => {
                    return Err(Error::config(
                        "`deviceCredential` is sent to `merchantUrl` only; a JS `backend` \
                         authenticates its own requests",
                    ))
                }
                (Some(f), None) => Arc::new(JsBackend { f }),
                (None, Some(url)) => {
                    let mut b = capture::HttpMerchantBackend::builder(url.clone());
                    if let Some(c) = &config.device_credential {
                        b = b.device_credential(c);
                    }
                    if let Some(ms) = config.merchant_timeout_ms {
                        b = b.timeout(Duration::from_millis(u64::from(ms)));
                    }
                    Arc::new(b.build()?)
                }
                _ => {
                    return Err(Error::config(
                        "a kiosk needs exactly one of `merchantUrl` and `backend`",
                    ))
                }
            };
            let mut kiosk = capture::Kiosk::new(
                flow,
                config.device_id.clone(),
                Arc::clone(&sdk.inner),
                backend,
                Arc::new(SystemClock),
            )?;
            if config.init_retries.is_some() || config.init_retry_delay_ms.is_some() {
                let d = capture::InitRetry::default();
                kiosk = kiosk.with_init_retry(capture::InitRetry {
                    attempts: config.init_retries.unwrap_or(d.attempts),
                    delay: config
                        .init_retry_delay_ms
                        .map_or(d.delay, |ms| Duration::from_millis(u64::from(ms))),
                });
            }
            Ok(kiosk)
        })();
        // The backend holds its own copy (as a sensitive header).
        if let Some(c) = config.device_credential.as_mut() {
            c.zeroize();
        }
        built
            .map(|k| Self { inner: Arc::new(k) })
            .map_err(|e| js(&env, e))
    }

    /// The device id.
    #[napi(getter)]
    pub fn device_id(&self) -> String {
        self.inner.device_id().to_owned()
    }

    /// `initWxpayface` (retried while the SDK is still initialising).
    ///
    /// Rejects with `SdkError` (e.g. `SYSTEMERROR`: the face service is not
    /// running) or `StateError`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn start<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let k = Arc::clone(&self.inner);
        runtime::blocking(env, move || k.start(), |_, ()| Ok(()))
    }

    /// Verify one patient; resolves with the outcome record in camelCase
    /// (never rejects for a flow failure: that is `failed`).
    #[napi(ts_return_type = "Promise<object>")]
    pub fn verify<'env>(
        &self,
        env: &'env Env,
        hooks: NativeVerifyHooks,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let k = Arc::clone(&self.inner);
        let cancel = cancel.map(|c| c.inner.clone()).unwrap_or_default();
        runtime::blocking(
            env,
            move || {
                let NativeVerifyHooks {
                    is_already_verified,
                    on_progress,
                } = hooks;
                let mut h = VerifyHooks::new().cancel_handle(cancel);
                if let Some(f) = is_already_verified {
                    h = h.is_already_verified(move |who: &Recognised| {
                        let who = record::to_js(&model::Recognised::from(who.clone()));
                        let a = call_js(&f, who).ok_or_else(|| lost("isAlreadyVerified"))?;
                        match (a.ok, a.error) {
                            (Some(v), _) => Ok(v),
                            (None, e) => Err(callback_error("isAlreadyVerified", e)),
                        }
                    });
                }
                if let Some(f) = on_progress {
                    h = h.on_progress(move |e: &ProgressEvent| {
                        let p = record::to_js(&model::Progress::from(e));
                        if matches!(e, ProgressEvent::Finished { .. }) {
                            // The last event is delivered before the outcome:
                            // wait until JS has run it.
                            let _ = runtime::wait(f.call_async_catch(p));
                        } else {
                            f.call(p, ThreadsafeFunctionCallMode::NonBlocking);
                        }
                    });
                }
                Ok(record::to_js(&model::Outcome::from(k.verify(h))))
            },
            |_, o| Ok(o),
        )
    }

    /// Cancel the verification in progress; returns whether there was one.
    #[napi]
    pub fn cancel(&self) -> bool {
        self.inner.cancel_current()
    }

    /// `releaseWxpayface` (cancels a verification in progress first).
    ///
    /// Rejects with `StateError` when not started, or the SDK's error (the
    /// kiosk is released all the same).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let k = Arc::clone(&self.inner);
        runtime::blocking(env, move || k.shutdown(), |_, ()| Ok(()))
    }

    /// Name of the flow's state (`uninitialised`, `ready`, `released`, …).
    /// Answers while a verification is in progress, too.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn state<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        let k = Arc::clone(&self.inner);
        runtime::blocking(env, move || Ok(k.state_name().to_owned()), |_, s| Ok(s))
    }

    /// Expiry of the cached authinfo (unix seconds), if one is held.
    #[napi(
        js_name = "authinfoExpiresAt",
        ts_return_type = "Promise<number | null>"
    )]
    pub fn authinfo_expires_at<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Option<f64>>> {
        let k = Arc::clone(&self.inner);
        runtime::blocking(
            env,
            move || Ok(k.authinfo_expires_at().map(|t| t.as_secs() as f64)),
            |_, s| Ok(s),
        )
    }

    /// Forget the cached authinfo.
    #[napi(js_name = "invalidateAuthinfo", ts_return_type = "Promise<void>")]
    pub fn invalidate_authinfo<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let k = Arc::clone(&self.inner);
        runtime::blocking(
            env,
            move || {
                k.invalidate_authinfo();
                Ok(())
            },
            |_, ()| Ok(()),
        )
    }
}
