//! # wxface-capture
//!
//! The kiosk side: the seam every face SDK plugs into ([`FaceSdk`]), the
//! native bridge to the vendor library (`NativeFaceSdk`, feature `native`),
//! the merchant-server client (`HttpMerchantBackend`, feature `http`), and
//! the [`Kiosk`] driver that runs the core's flow state machine against an
//! SDK and a merchant server.
//!
//! ```no_run
//! # #[cfg(all(feature = "native", feature = "http"))]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use wxface_capture::{HttpMerchantBackend, Kiosk, NativeFaceSdk, VerifyHooks};
//! use wxface_core::flow::{FlowConfig, Outcome};
//! use wxface_core::time::SystemClock;
//!
//! let sdk = Arc::new(NativeFaceSdk::load(r"C:\Program Files\Hospital\WxpayFaceSDK.dll")?);
//! // The kiosk's only secret: its device credential, issued by the hospital
//! // (`wxface merchant devices add KIOSK-01`) and kept in a protected file.
//! let credential = std::fs::read_to_string(r"C:\ProgramData\Hospital\device-credential")?;
//! let backend = Arc::new(HttpMerchantBackend::new(
//!     "https://his.hospital.example/api",
//!     &credential,
//! )?);
//! let config = FlowConfig::new("wx2421b1c4370ec43b", "10000100", "OUTPATIENT-1F");
//! let kiosk = Kiosk::new(config, "KIOSK-01", sdk, backend, Arc::new(SystemClock))?;
//! kiosk.start()?;
//! match kiosk.verify(VerifyHooks::new().on_progress(|e| println!("{e:?}"))) {
//!     Outcome::Verified { identity, .. } => println!("{} verified", identity.name),
//!     other => println!("{}", other.as_str()),
//! }
//! kiosk.shutdown()?;
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "native", feature = "http")))]
//! # fn main() {}
//! ```
//!
//! ## Pointing a Windows kiosk at `WxpayFaceSDK.dll`
//!
//! - **Path.** [`NativeFaceSdk::load`] takes the DLL's path. Prefer a full
//!   path to the copy shipped with your application (any characters,
//!   `C:\医院\人脸SDK\WxpayFaceSDK.dll` included). A relative path or a bare
//!   name ([`NativeFaceSdk::load_default`] uses `WxpayFaceSDK.dll` unless the
//!   environment variable `WXFACE_SDK_LIBRARY` names a path) is taken from
//!   the application's folder (the `.exe`'s), never from the current
//!   directory or `PATH`: the general DLL search order is not used, so a DLL
//!   planted elsewhere is never loaded. DLLs the SDK itself depends on are
//!   looked up beside it and in System32 only, so keep them beside it. A load
//!   failure names the path that was tried; a library without
//!   `wxpayCallFaceService` or `wxpayReleaseResponse` is refused naming the
//!   missing symbol.
//! - **32 or 64 bits.** A process can only load a DLL of its own
//!   architecture. Build the kiosk for `i686-pc-windows-*` when the vendor
//!   ships a 32-bit DLL, for `x86_64-pc-windows-*` for a 64-bit one (a Node
//!   kiosk: the 32-bit or 64-bit Node for Windows). The DLL's PE header is
//!   read before loading: a mismatch is [`NativeError::WrongArchitecture`]
//!   (code `wrong_architecture`), naming both bitnesses, instead of Windows
//!   error 193 ("not a valid Win32 application"). Check a DLL with
//!   `dumpbin /headers WxpayFaceSDK.dll` (`machine (x86)` or `machine (x64)`).
//! - **A call that hangs.** Each loaded library has one worker thread and a
//!   short queue. A call that outlasts [`NativeOptions::timeout`] is given
//!   up; while it is still inside the DLL, further calls fail at once with
//!   [`NativeError::Busy`] (an SDK error with `return_code = BUSY`) instead
//!   of stacking up threads. When it returns, the [`Kiosk`] ends the face
//!   session it may have opened (`getWxpayAuth` with `quit_face_auth`, which
//!   SDK 1.20 and later require) before the next patient.
//! - **Calling convention.** The vendor documents cdecl; the prototypes here
//!   are `extern "C"`, which is cdecl on 32-bit Windows (and the only
//!   convention on x64). A stdcall build of the DLL would not match.
//! - **The service.** The DLL talks to the WxpayFaceService service, which
//!   must be running before `initWxpayface`. Check with
//!   `sc query WxpayFaceService` (`STATE : 4 RUNNING`) or
//!   `tasklist /FI "IMAGENAME eq WxpayFaceService.exe"`, start it with
//!   `sc start WxpayFaceService`. When the service is down the SDK answers
//!   `return_code = SYSTEMERROR`, which [`Kiosk::start`] returns as
//!   `wxface_core::Error::Sdk` with that `return_code` (code `sdk`); a
//!   non-zero return of `wxpayCallFaceService` itself arrives with
//!   `return_code = CALL_FAILED` and the value in `err_code`.
//!
//! The emulator library of this project, `libwxface_sdk_emu.so`
//! (`wxface_sdk_emu.dll` on Windows), exports the same two functions and can
//! stand in for the vendor DLL in development and tests.
//!
//! ## Personal data
//!
//! Nothing in this crate logs or puts into an error the content of an SDK
//! request or response, an authinfo, or identity data. The kiosk only ever
//! receives a [`wxface_core::realname::MaskedIdentity`].

#[cfg(feature = "http")]
mod http;
mod kiosk;
#[cfg(feature = "native")]
pub mod native;

use wxface_core::flow::Recognised;
use wxface_core::realname::MaskedIdentity;
use wxface_core::UnixTime;

#[cfg(feature = "http")]
pub use http::{HttpMerchantBackend, HttpMerchantBackendBuilder};
pub use kiosk::{CancelHandle, InitRetry, Kiosk, ProgressEvent, StepStatus, VerifyHooks};
#[cfg(feature = "native")]
pub use native::{Architecture, NativeError, NativeFaceSdk, NativeOptions};
pub use wxface_core::flow::{FlowConfig, Outcome, Step};

/// One face SDK: JSON request in, JSON response out.
///
/// Implemented by the native library bridge (`WxpayFaceSDK.dll` or any
/// library with its C ABI), by the emulator of `wxface-sandbox`, and by the
/// bindings (the Android SDK through Kotlin).
pub trait FaceSdk: Send + Sync {
    /// Send one request and return the response JSON.
    ///
    /// # Errors
    /// An error only when the call itself fails (library returned non-zero,
    /// timeout, non-UTF-8 answer); an SDK answer with `return_code != SUCCESS`
    /// is a successful call.
    fn call(&self, request_json: &str) -> Result<String, wxface_core::Error>;

    /// The answer of a call that was given up (it timed out) and has
    /// returned since, with its request; each is handed out once. The
    /// [`Kiosk`] asks before every patient and at shutdown, to end a face
    /// session that such a call opened. The default: none (an SDK whose
    /// calls are never given up).
    fn take_late_answer(&self) -> Option<LateAnswer> {
        None
    }
}

/// A request whose caller gave up, and the answer it got later.
///
/// Holds protocol data (authinfo, `face_sid`): `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct LateAnswer {
    /// The request JSON.
    pub request: String,
    /// The answer JSON.
    pub answer: String,
}

impl std::fmt::Debug for LateAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LateAnswer")
            .field("request_len", &self.request.len())
            .field("answer_len", &self.answer.len())
            .finish()
    }
}

/// An authinfo granted by the merchant server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthinfoGrant {
    /// The authinfo.
    pub authinfo: String,
    /// Its absolute expiry (Unix seconds on the wire).
    #[serde(with = "unix_secs")]
    pub expires_at: UnixTime,
}

/// [`UnixTime`] as a JSON number of seconds.
mod unix_secs {
    use wxface_core::UnixTime;

    pub fn serialize<S: serde::Serializer>(t: &UnixTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(t.as_secs())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<UnixTime, D::Error> {
        <u64 as serde::Deserialize>::deserialize(d).map(UnixTime)
    }
}

/// How a kiosk reaches its merchant server (see `docs/merchant-api.md`).
pub trait MerchantBackend: Send + Sync {
    /// Authinfo for `rawdata` on this device.
    ///
    /// # Errors
    /// Any error of the merchant server or of WeChat Pay behind it.
    fn authinfo(&self, rawdata: &str, device_id: &str)
        -> Result<AuthinfoGrant, wxface_core::Error>;

    /// A fresh authinfo, bypassing any cache: the SDK reported the previous
    /// one invalid or expired (271382020). The default asks [`Self::authinfo`].
    ///
    /// # Errors
    /// As [`Self::authinfo`].
    fn refresh_authinfo(
        &self,
        rawdata: &str,
        device_id: &str,
    ) -> Result<AuthinfoGrant, wxface_core::Error> {
        self.authinfo(rawdata, device_id)
    }

    /// Whether the merchant already has a verified record for this user.
    ///
    /// # Errors
    /// When the merchant server cannot answer.
    fn is_verified(&self, who: &Recognised) -> Result<bool, wxface_core::Error>;

    /// The masked real-name result for `face_sid` (after consent).
    ///
    /// # Errors
    /// Any error of the merchant server or of WeChat Pay behind it.
    fn real_name(
        &self,
        face_sid: &str,
        device_id: &str,
    ) -> Result<MaskedIdentity, wxface_core::Error>;
}
