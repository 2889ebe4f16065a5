//! The vendor face SDK as a native library: `WxpayFaceSDK.dll`, or any
//! library with its two C entry points (such as `libwxface_sdk_emu.so`).
//!
//! [`NativeFaceSdk`] loads the library by path, resolves
//! `wxpayCallFaceService` and `wxpayReleaseResponse`, and makes each call
//! safe to use from Rust:
//!
//! - the request goes in as its UTF-8 bytes, `reqSize` being the byte length;
//! - after a 0 return the response is copied out and `wxpayReleaseResponse` is
//!   called exactly once, also when the copy is then refused (NULL pointer,
//!   larger than [`NativeOptions::max_response_bytes`], not UTF-8);
//! - calls are serialised with a mutex (the vendor does not document the
//!   library as re-entrant);
//! - each call runs on a worker thread and is given up after
//!   [`NativeOptions::timeout`]. A call that timed out inside the library
//!   keeps the library locked until it returns: later calls wait behind it
//!   and time out in turn, and requests that never reached the library are
//!   dropped instead of being run late;
//! - the library stays loaded as long as the [`NativeFaceSdk`] or any call in
//!   flight holds it, so dropping the SDK during a call is safe.
//!
//! Errors are [`NativeError`], naming the C function and the command (never
//! request or response content). Through the [`FaceSdk`] trait they become
//! [`wxface_core::Error`] (see `From<NativeError>`).

mod ffi;
#[cfg(test)]
mod tests;

use std::ffi::CString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use wxface_core::sdk::Cmd;

use crate::FaceSdk;

/// Name of the C function that performs a call.
pub const CALL_FUNCTION: &str = ffi::CALL_SYMBOL;
/// Name of the C function that frees a response.
pub const RELEASE_FUNCTION: &str = ffi::RELEASE_SYMBOL;

/// Environment variable that [`NativeFaceSdk::load_default`] reads first: the
/// path of the library to load.
pub const LIBRARY_ENV: &str = "WXFACE_SDK_LIBRARY";

/// The vendor library's file name, found through the Windows DLL search order
/// (the application's folder first) by [`NativeFaceSdk::load_default`].
pub const VENDOR_LIBRARY: &str = "WxpayFaceSDK.dll";

/// Default [`NativeOptions::max_response_bytes`]: 1 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Default [`NativeOptions::timeout`]: `getWxpayfaceCode` and `getWxpayAuth`
/// wait for the patient, so this is generous.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(180);

/// How calls into the library are bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeOptions {
    /// Longest wait for one call, including the wait for an earlier call to
    /// finish. Default [`DEFAULT_TIMEOUT`].
    pub timeout: Duration,
    /// Largest response accepted, in bytes. Default [`DEFAULT_MAX_RESPONSE_BYTES`].
    pub max_response_bytes: usize,
}

impl Default for NativeOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// The command of a request, for error messages (`None` when the request
/// names no known command).
fn cmd_of(request_json: &str) -> Option<Cmd> {
    #[derive(serde::Deserialize)]
    struct CmdOnly {
        cmd: Option<String>,
    }
    serde_json::from_str::<CmdOnly>(request_json)
        .ok()?
        .cmd
        .and_then(|c| Cmd::from_str(&c).ok())
}

/// Displays an optional command as `` `initWxpayface` `` or `an unknown command`.
struct CmdName(Option<Cmd>);

impl fmt::Display for CmdName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(c) => write!(f, "`{c}`"),
            None => f.write_str("an unknown command"),
        }
    }
}

/// What went wrong with the native library. Messages name the library path,
/// the C function and the command; never request or response content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NativeError {
    /// The library could not be loaded (missing file, wrong architecture —
    /// a 32-bit DLL in a 64-bit process or the reverse —, missing dependency).
    #[error("cannot load the face SDK library `{}`: {source}", path.display())]
    Load {
        /// The path (or bare name) that was looked for.
        path: PathBuf,
        /// The loader's error.
        #[source]
        source: libloading::Error,
    },

    /// The library does not export one of the two entry points.
    #[error("the face SDK library `{}` has no symbol `{symbol}`: {source}", path.display())]
    MissingSymbol {
        /// The library.
        path: PathBuf,
        /// The symbol that was looked for.
        symbol: &'static str,
        /// The loader's error.
        #[source]
        source: libloading::Error,
    },

    /// [`NativeFaceSdk::load_default`] found neither the environment variable
    /// nor a platform default.
    #[error("no face SDK library is known on this platform: set {env} to its path")]
    NoDefaultLibrary {
        /// The environment variable to set.
        env: &'static str,
    },

    /// The request cannot be passed to C (it contains a NUL byte, or is
    /// longer than `unsigned int` can say).
    #[error("wxpayCallFaceService: the request for {} cannot be passed to C: {reason}", CmdName(*cmd))]
    InvalidRequest {
        /// The command, when the request names a known one.
        cmd: Option<Cmd>,
        /// What is wrong.
        reason: &'static str,
    },

    /// `wxpayCallFaceService` returned non-zero.
    #[error("wxpayCallFaceService failed for {} with return value {code} (is WxpayFaceService running?)", CmdName(*cmd))]
    CallFailed {
        /// The command.
        cmd: Option<Cmd>,
        /// The return value.
        code: i32,
    },

    /// `wxpayCallFaceService` returned 0 but left `*pRespBuf` NULL.
    #[error("wxpayCallFaceService returned 0 for {} but left the response pointer NULL", CmdName(*cmd))]
    NullResponse {
        /// The command.
        cmd: Option<Cmd>,
    },

    /// `wxpayCallFaceService` returned 0 with an empty response.
    #[error("wxpayCallFaceService returned 0 for {} with an empty response", CmdName(*cmd))]
    EmptyResponse {
        /// The command.
        cmd: Option<Cmd>,
    },

    /// The response is larger than [`NativeOptions::max_response_bytes`].
    #[error("wxpayCallFaceService answered {} with {size} bytes, more than the limit of {limit}", CmdName(*cmd))]
    ResponseTooLarge {
        /// The command.
        cmd: Option<Cmd>,
        /// `*pRespSize`.
        size: u64,
        /// The configured limit.
        limit: usize,
    },

    /// The response is not UTF-8.
    #[error("wxpayCallFaceService answered {} with bytes that are not UTF-8 (first bad byte at offset {valid_up_to})", CmdName(*cmd))]
    NotUtf8 {
        /// The command.
        cmd: Option<Cmd>,
        /// Length of the valid prefix.
        valid_up_to: usize,
    },

    /// The call did not finish within [`NativeOptions::timeout`].
    #[error(
        "wxpayCallFaceService gave no answer for {} within {after:?}{}",
        CmdName(*cmd),
        if *waiting_for_lock { " (an earlier call still holds the library; this request was dropped unsent)" } else { " (the call goes on inside the library, which stays locked until it returns)" }
    )]
    Timeout {
        /// The command.
        cmd: Option<Cmd>,
        /// The configured timeout.
        after: Duration,
        /// `true`: the request never reached the library because an earlier
        /// call still runs.
        waiting_for_lock: bool,
    },

    /// The worker thread could not be started or died.
    #[error("wxpayCallFaceService for {}: {reason}", CmdName(*cmd))]
    Worker {
        /// The command.
        cmd: Option<Cmd>,
        /// What happened.
        reason: String,
    },
}

impl NativeError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Load { .. } => "library_load",
            Self::MissingSymbol { .. } => "missing_symbol",
            Self::NoDefaultLibrary { .. } => "no_default_library",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::CallFailed { .. } => "call_failed",
            Self::NullResponse { .. } => "null_response",
            Self::EmptyResponse { .. } => "empty_response",
            Self::ResponseTooLarge { .. } => "response_too_large",
            Self::NotUtf8 { .. } => "not_utf8",
            Self::Timeout { .. } => "timeout",
            Self::Worker { .. } => "worker",
        }
    }

    fn cmd(&self) -> Option<Cmd> {
        match self {
            Self::InvalidRequest { cmd, .. }
            | Self::CallFailed { cmd, .. }
            | Self::NullResponse { cmd }
            | Self::EmptyResponse { cmd }
            | Self::ResponseTooLarge { cmd, .. }
            | Self::NotUtf8 { cmd, .. }
            | Self::Timeout { cmd, .. }
            | Self::Worker { cmd, .. } => *cmd,
            Self::Load { .. } | Self::MissingSymbol { .. } | Self::NoDefaultLibrary { .. } => None,
        }
    }
}

/// The core's view of a native failure, as the flow receives it in
/// `Event::SdkCallFailed`:
///
/// | native | core |
/// |---|---|
/// | `Load`, `MissingSymbol`, `NoDefaultLibrary` | `Config` |
/// | `InvalidRequest` | `InvalidInput` (field `request`) |
/// | `CallFailed` | `Sdk` with `return_code = "CALL_FAILED"`, `err_code` = the return value |
/// | `Timeout` | `Sdk` with `return_code = "TIMEOUT"` |
/// | `Worker` | `Sdk` with `return_code = "CALL_FAILED"` |
/// | `NullResponse`, `EmptyResponse`, `ResponseTooLarge`, `NotUtf8` | `Malformed` (`face SDK response`) |
impl From<NativeError> for wxface_core::Error {
    fn from(e: NativeError) -> Self {
        use wxface_core::Error;
        let cmd = e.cmd().map_or("unknown", Cmd::as_str).to_owned();
        let msg = e.to_string();
        match e {
            NativeError::Load { .. }
            | NativeError::MissingSymbol { .. }
            | NativeError::NoDefaultLibrary { .. } => Error::Config(msg),
            NativeError::InvalidRequest { .. } => Error::InvalidInput {
                field: "request".into(),
                reason: msg,
            },
            NativeError::CallFailed { code, .. } => Error::Sdk {
                cmd,
                return_code: "CALL_FAILED".into(),
                return_msg: msg,
                err_code: Some(code.to_string()),
            },
            NativeError::Worker { .. } => Error::Sdk {
                cmd,
                return_code: "CALL_FAILED".into(),
                return_msg: msg,
                err_code: None,
            },
            NativeError::Timeout { .. } => Error::Sdk {
                cmd,
                return_code: "TIMEOUT".into(),
                return_msg: msg,
                err_code: None,
            },
            NativeError::NullResponse { .. }
            | NativeError::EmptyResponse { .. }
            | NativeError::ResponseTooLarge { .. }
            | NativeError::NotUtf8 { .. } => Error::Malformed {
                what: "face SDK response",
                reason: msg,
            },
        }
    }
}

/// Where a request stands, shared between the caller and its worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    /// Waiting for the library lock.
    Queued,
    /// Inside the library.
    Running,
    /// The caller gave up before the request reached the library.
    Abandoned,
}

/// What every call shares: the entry points (keeping the library loaded) and
/// the lock that serialises calls.
struct Shared {
    api: ffi::Api,
    lock: Mutex<()>,
}

/// A face SDK in a native library. See the module docs.
///
/// Cheap to share behind an `Arc`; all calls go through one lock.
pub struct NativeFaceSdk {
    shared: Arc<Shared>,
    path: PathBuf,
    options: NativeOptions,
}

impl fmt::Debug for NativeFaceSdk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeFaceSdk")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl NativeFaceSdk {
    /// Load the library at `path` with default options.
    ///
    /// A bare file name is looked up by the platform loader (on Windows the
    /// application's folder, the system folders, then `PATH`); prefer a full
    /// path.
    ///
    /// # Errors
    /// [`NativeError::Load`] naming the path, or [`NativeError::MissingSymbol`]
    /// naming the entry point that is not exported.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, NativeError> {
        Self::load_with(path, NativeOptions::default())
    }

    /// Load the library at `path` with `options`.
    ///
    /// # Errors
    /// As [`NativeFaceSdk::load`].
    pub fn load_with(path: impl AsRef<Path>, options: NativeOptions) -> Result<Self, NativeError> {
        let path = path.as_ref().to_owned();
        let api = ffi::Api::load(&path)?;
        tracing::debug!(path = %path.display(), "face SDK library loaded");
        Ok(Self::from_api(api, path, options))
    }

    /// Load the library named by the environment variable [`LIBRARY_ENV`],
    /// or else, on Windows, [`VENDOR_LIBRARY`] (`WxpayFaceSDK.dll`).
    ///
    /// # Errors
    /// As [`NativeFaceSdk::load`]; [`NativeError::NoDefaultLibrary`] off
    /// Windows when the variable is not set.
    pub fn load_default() -> Result<Self, NativeError> {
        Self::load_default_with(NativeOptions::default())
    }

    /// [`NativeFaceSdk::load_default`] with `options`.
    ///
    /// # Errors
    /// As [`NativeFaceSdk::load_default`].
    pub fn load_default_with(options: NativeOptions) -> Result<Self, NativeError> {
        match std::env::var_os(LIBRARY_ENV) {
            Some(p) if !p.is_empty() => Self::load_with(PathBuf::from(p), options),
            _ if cfg!(windows) => Self::load_with(VENDOR_LIBRARY, options),
            _ => Err(NativeError::NoDefaultLibrary { env: LIBRARY_ENV }),
        }
    }

    fn from_api(api: ffi::Api, path: PathBuf, options: NativeOptions) -> Self {
        Self {
            shared: Arc::new(Shared {
                api,
                lock: Mutex::new(()),
            }),
            path,
            options,
        }
    }

    /// The path the library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options in force.
    pub fn options(&self) -> &NativeOptions {
        &self.options
    }

    /// One call with the native error type.
    ///
    /// # Errors
    /// Every [`NativeError`] variant from `InvalidRequest` on.
    pub fn call_native(&self, request_json: &str) -> Result<String, NativeError> {
        let cmd = cmd_of(request_json);
        let request = CString::new(request_json).map_err(|_| NativeError::InvalidRequest {
            cmd,
            reason: "it contains a NUL byte",
        })?;
        if u32::try_from(request.as_bytes().len()).is_err() {
            return Err(NativeError::InvalidRequest {
                cmd,
                reason: "it is longer than 4 GiB",
            });
        }

        let (tx, rx) = mpsc::sync_channel(1);
        let state = Arc::new(Mutex::new(JobState::Queued));
        let shared = Arc::clone(&self.shared);
        let worker_state = Arc::clone(&state);
        let max = self.options.max_response_bytes;
        let spawned = std::thread::Builder::new()
            .name("wxface-sdk-call".into())
            .spawn(move || {
                // The lock guards the library, not data: a poisoned lock only
                // means an earlier worker panicked, which leaves nothing torn.
                let _library = shared.lock.lock().unwrap_or_else(PoisonError::into_inner);
                {
                    let mut st = worker_state.lock().unwrap_or_else(PoisonError::into_inner);
                    if *st == JobState::Abandoned {
                        return;
                    }
                    *st = JobState::Running;
                }
                let result = shared.api.call(&request, max);
                // The caller may have gone: then the answer is dropped here.
                let _ = tx.send(result);
            });
        if let Err(e) = spawned {
            return Err(NativeError::Worker {
                cmd,
                reason: format!("cannot start a worker thread: {e}"),
            });
        }

        let raw = match rx.recv_timeout(self.options.timeout) {
            Ok(raw) => raw,
            Err(RecvTimeoutError::Timeout) => {
                let mut st = state.lock().unwrap_or_else(PoisonError::into_inner);
                let waiting_for_lock = *st == JobState::Queued;
                if waiting_for_lock {
                    *st = JobState::Abandoned;
                }
                tracing::warn!(cmd = ?cmd, waiting_for_lock, "face SDK call timed out");
                return Err(NativeError::Timeout {
                    cmd,
                    after: self.options.timeout,
                    waiting_for_lock,
                });
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(NativeError::Worker {
                    cmd,
                    reason: "the worker thread ended without an answer".into(),
                })
            }
        };
        let mut bytes = raw.map_err(|e| match e {
            ffi::RawError::NonZero(code) => NativeError::CallFailed { cmd, code },
            ffi::RawError::NullResponse => NativeError::NullResponse { cmd },
            ffi::RawError::TooLarge(size) => NativeError::ResponseTooLarge {
                cmd,
                size,
                limit: max,
            },
        })?;
        // Some implementations count the C string's terminator in the size.
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        if bytes.is_empty() {
            return Err(NativeError::EmptyResponse { cmd });
        }
        String::from_utf8(bytes).map_err(|e| NativeError::NotUtf8 {
            cmd,
            valid_up_to: e.utf8_error().valid_up_to(),
        })
    }
}

impl FaceSdk for NativeFaceSdk {
    fn call(&self, request_json: &str) -> Result<String, wxface_core::Error> {
        self.call_native(request_json).map_err(Into::into)
    }
}
