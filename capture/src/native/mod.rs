//! The vendor face SDK as a native library: `WxpayFaceSDK.dll`, or any
//! library with its two C entry points (such as `libwxface_sdk_emu.so`).
//!
//! [`NativeFaceSdk`] loads the library by path, resolves
//! `wxpayCallFaceService` and `wxpayReleaseResponse`, and makes each call
//! safe to use from Rust:
//!
//! - on Windows the library is loaded by absolute path only — a relative path
//!   is taken from the application's folder, never from the current
//!   directory or `PATH` — and the DLLs it depends on are looked up beside it
//!   and in the system folder only (`LoadLibraryExW` with
//!   `LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32`), so
//!   that no planted DLL is picked up. A DLL built for another architecture
//!   than the process (a 32-bit DLL in a 64-bit process, or the reverse) is
//!   refused before loading, as [`NativeError::WrongArchitecture`] naming
//!   both;
//! - the request goes in as its UTF-8 bytes, `reqSize` being the byte length;
//! - after a 0 return the response is copied out and `wxpayReleaseResponse` is
//!   called exactly once, also when the copy is then refused (NULL pointer,
//!   larger than [`NativeOptions::max_response_bytes`], not UTF-8);
//! - calls run one at a time on the library's own worker thread (the vendor
//!   does not document the library as re-entrant), fed by a queue of
//!   [`NativeOptions::queue_depth`] requests: more callers than that are
//!   refused at once ([`NativeError::Busy`]) instead of piling up;
//! - each call is given up after [`NativeOptions::timeout`]. A call that
//!   timed out inside the library cannot be stopped: until it returns, the
//!   library is marked busy and every further call fails at once with
//!   [`NativeError::Busy`]; requests still queued behind it are dropped
//!   instead of being run late. The answer of the call that hung is kept
//!   ([`FaceSdk::take_late_answer`]) so that the kiosk can end the face
//!   session it may have opened;
//! - the library stays loaded as long as the [`NativeFaceSdk`] or a call in
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
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use wxface_core::sdk::Cmd;

use crate::{FaceSdk, LateAnswer};

mod pe;
pub use pe::{dll_architecture, Architecture};

/// Name of the C function that performs a call.
pub const CALL_FUNCTION: &str = ffi::CALL_SYMBOL;
/// Name of the C function that frees a response.
pub const RELEASE_FUNCTION: &str = ffi::RELEASE_SYMBOL;

/// Environment variable that [`NativeFaceSdk::load_default`] reads first: the
/// path of the library to load.
pub const LIBRARY_ENV: &str = "WXFACE_SDK_LIBRARY";

/// The vendor library's file name, loaded from the application's folder by
/// [`NativeFaceSdk::load_default`] on Windows.
pub const VENDOR_LIBRARY: &str = "WxpayFaceSDK.dll";

/// Default [`NativeOptions::max_response_bytes`]: 1 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Default [`NativeOptions::timeout`]: `getWxpayfaceCode` and `getWxpayAuth`
/// wait for the patient, so this is generous.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(180);

/// Default [`NativeOptions::queue_depth`]: calls that may wait for the library.
pub const DEFAULT_QUEUE_DEPTH: usize = 4;

/// How calls into the library are bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeOptions {
    /// Longest wait for one call, including the wait for an earlier call to
    /// finish. Default [`DEFAULT_TIMEOUT`].
    pub timeout: Duration,
    /// Largest response accepted, in bytes. Default [`DEFAULT_MAX_RESPONSE_BYTES`].
    pub max_response_bytes: usize,
    /// Calls that may wait for the library while it serves another one
    /// (at least 1). A caller beyond that gets [`NativeError::Busy`] at once.
    /// Default [`DEFAULT_QUEUE_DEPTH`].
    pub queue_depth: usize,
}

impl Default for NativeOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            queue_depth: DEFAULT_QUEUE_DEPTH,
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

    /// The library is a Windows DLL built for another architecture than this
    /// process: a 32-bit DLL in a 64-bit process, or the reverse. Found by
    /// reading the DLL's PE header before loading it.
    #[error(
        "cannot load the face SDK library `{}`: it is a {library} DLL and this process is {process}; \
         use a {process} build of the DLL or a {library} build of the program",
        path.display()
    )]
    WrongArchitecture {
        /// The library.
        path: PathBuf,
        /// What the DLL is built for.
        library: Architecture,
        /// What this process is.
        process: Architecture,
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

    /// The library cannot take the call now: an earlier call that timed out
    /// is still inside it, or [`NativeOptions::queue_depth`] callers already
    /// wait. The request was not sent.
    #[error(
        "wxpayCallFaceService: the face SDK is busy, {} was not sent ({})",
        CmdName(*cmd),
        busy_reason(*hung, *since)
    )]
    Busy {
        /// The command that was not sent.
        cmd: Option<Cmd>,
        /// The command of the call that hung, when one did.
        hung: Option<Cmd>,
        /// How long ago the hung call was given up; `None` when the queue is full.
        since: Option<Duration>,
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

fn busy_reason(hung: Option<Cmd>, since: Option<Duration>) -> String {
    match since {
        Some(d) => format!(
            "{} timed out {} s ago and has not returned yet",
            CmdName(hung),
            d.as_secs()
        ),
        None => "too many calls are waiting for the library".to_owned(),
    }
}

impl NativeError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Load { .. } => "library_load",
            Self::WrongArchitecture { .. } => "wrong_architecture",
            Self::MissingSymbol { .. } => "missing_symbol",
            Self::NoDefaultLibrary { .. } => "no_default_library",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::CallFailed { .. } => "call_failed",
            Self::NullResponse { .. } => "null_response",
            Self::EmptyResponse { .. } => "empty_response",
            Self::ResponseTooLarge { .. } => "response_too_large",
            Self::NotUtf8 { .. } => "not_utf8",
            Self::Timeout { .. } => "timeout",
            Self::Busy { .. } => "busy",
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
            | Self::Busy { cmd, .. }
            | Self::Worker { cmd, .. } => *cmd,
            Self::Load { .. }
            | Self::WrongArchitecture { .. }
            | Self::MissingSymbol { .. }
            | Self::NoDefaultLibrary { .. } => None,
        }
    }
}

/// The core's view of a native failure, as the flow receives it in
/// `Event::SdkCallFailed`:
///
/// | native | core |
/// |---|---|
/// | `Load`, `WrongArchitecture`, `MissingSymbol`, `NoDefaultLibrary` | `Config` |
/// | `InvalidRequest` | `InvalidInput` (field `request`) |
/// | `CallFailed` | `Sdk` with `return_code = "CALL_FAILED"`, `err_code` = the return value |
/// | `Timeout` | `Sdk` with `return_code = "TIMEOUT"` |
/// | `Busy` | `Sdk` with `return_code = "BUSY"` |
/// | `Worker` | `Sdk` with `return_code = "CALL_FAILED"` |
/// | `NullResponse`, `EmptyResponse`, `ResponseTooLarge`, `NotUtf8` | `Malformed` (`face SDK response`) |
impl From<NativeError> for wxface_core::Error {
    fn from(e: NativeError) -> Self {
        use wxface_core::Error;
        let cmd = e.cmd().map_or("unknown", Cmd::as_str).to_owned();
        let msg = e.to_string();
        match e {
            NativeError::Load { .. }
            | NativeError::WrongArchitecture { .. }
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
            NativeError::Busy { .. } => Error::Sdk {
                cmd,
                return_code: "BUSY".into(),
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

/// Where a request stands, shared between the caller and the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobState {
    /// In the queue.
    Queued,
    /// Inside the library.
    Running,
    /// The caller gave up before the request reached the library: it is
    /// dropped unsent.
    Abandoned,
    /// The caller gave up while the request was inside the library: its
    /// answer becomes the late answer.
    TimedOut,
}

/// One request for the worker.
struct Job {
    request: CString,
    cmd: Option<Cmd>,
    state: Arc<Mutex<JobState>>,
    reply: SyncSender<Result<Vec<u8>, ffi::RawError>>,
}

/// The library's condition, shared by the callers and the worker.
#[derive(Default)]
struct Condition {
    /// A call whose caller timed out is inside the library: its command and
    /// when it was sent.
    hung: Option<(Option<Cmd>, Instant)>,
    /// The answer of such a call, once it returned.
    late: Option<LateAnswer>,
}

/// What the worker and the callers share: the entry points (keeping the
/// library loaded) and the library's condition.
struct Shared {
    api: ffi::Api,
    condition: Mutex<Condition>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here leaves its data consistent: a poisoned
    // lock only means that a thread panicked elsewhere.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A face SDK in a native library. See the module docs.
///
/// Cheap to share behind an `Arc`; all calls go through one worker thread.
pub struct NativeFaceSdk {
    shared: Arc<Shared>,
    queue: SyncSender<Job>,
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
    /// On Windows, prefer the full path of the copy shipped with the
    /// application. A relative path (a bare `WxpayFaceSDK.dll` included) is
    /// taken from the application's folder — the folder of the `.exe` —,
    /// never from the current directory or `PATH`. Elsewhere the path goes to
    /// the platform loader as it is.
    ///
    /// # Errors
    /// [`NativeError::Load`] naming the path, [`NativeError::WrongArchitecture`]
    /// for a DLL of the other bitness, or [`NativeError::MissingSymbol`]
    /// naming the entry point that is not exported.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, NativeError> {
        Self::load_with(path, NativeOptions::default())
    }

    /// Load the library at `path` with `options`.
    ///
    /// # Errors
    /// As [`NativeFaceSdk::load`]; [`NativeError::Worker`] when the worker
    /// thread cannot be started.
    pub fn load_with(path: impl AsRef<Path>, options: NativeOptions) -> Result<Self, NativeError> {
        let path = path.as_ref().to_owned();
        let api = ffi::Api::load(&path)?;
        tracing::debug!(path = %path.display(), "face SDK library loaded");
        Self::from_api(api, path, options)
    }

    /// Load the library named by the environment variable [`LIBRARY_ENV`],
    /// or else, on Windows, [`VENDOR_LIBRARY`] (`WxpayFaceSDK.dll`) from the
    /// application's folder.
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

    fn from_api(api: ffi::Api, path: PathBuf, options: NativeOptions) -> Result<Self, NativeError> {
        let shared = Arc::new(Shared {
            api,
            condition: Mutex::new(Condition::default()),
        });
        let (queue, jobs) = mpsc::sync_channel::<Job>(options.queue_depth.max(1));
        let worker_shared = Arc::clone(&shared);
        let max = options.max_response_bytes;
        std::thread::Builder::new()
            .name("wxface-sdk".into())
            .spawn(move || worker(&worker_shared, &jobs, max))
            .map_err(|e| NativeError::Worker {
                cmd: None,
                reason: format!("cannot start the worker thread: {e}"),
            })?;
        Ok(Self {
            shared,
            queue,
            path,
            options,
        })
    }

    /// The path the library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options in force.
    pub fn options(&self) -> &NativeOptions {
        &self.options
    }

    /// Whether a call that timed out is still inside the library (calls fail
    /// with [`NativeError::Busy`] until it returns).
    pub fn is_busy(&self) -> bool {
        lock(&self.shared.condition).hung.is_some()
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
        if let Some((hung, since)) = lock(&self.shared.condition).hung {
            return Err(NativeError::Busy {
                cmd,
                hung,
                since: Some(since.elapsed()),
            });
        }

        let (reply, rx) = mpsc::sync_channel(1);
        let state = Arc::new(Mutex::new(JobState::Queued));
        let job = Job {
            request,
            cmd,
            state: Arc::clone(&state),
            reply,
        };
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                tracing::warn!(cmd = ?cmd, "face SDK call refused: the queue is full");
                return Err(NativeError::Busy {
                    cmd,
                    hung: None,
                    since: None,
                });
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(NativeError::Worker {
                    cmd,
                    reason: "the worker thread is gone".into(),
                })
            }
        }

        let raw = match rx.recv_timeout(self.options.timeout) {
            Ok(raw) => raw,
            Err(RecvTimeoutError::Timeout) => {
                let mut st = lock(&state);
                match *st {
                    JobState::Queued => *st = JobState::Abandoned,
                    JobState::Running => {
                        *st = JobState::TimedOut;
                        // Lock order: job state, then condition (as the worker).
                        lock(&self.shared.condition).hung = Some((cmd, Instant::now()));
                    }
                    JobState::Abandoned | JobState::TimedOut => {}
                }
                let waiting_for_lock = *st == JobState::Abandoned;
                drop(st);
                // The answer may have arrived between the timeout and the lock.
                if let Ok(raw) = rx.try_recv() {
                    lock(&self.shared.condition).hung = None;
                    return self.finish(cmd, raw);
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
        self.finish(cmd, raw)
    }

    fn finish(
        &self,
        cmd: Option<Cmd>,
        raw: Result<Vec<u8>, ffi::RawError>,
    ) -> Result<String, NativeError> {
        let max = self.options.max_response_bytes;
        raw.map_err(|e| match e {
            ffi::RawError::NonZero(code) => NativeError::CallFailed { cmd, code },
            ffi::RawError::NullResponse => NativeError::NullResponse { cmd },
            ffi::RawError::TooLarge(size) => NativeError::ResponseTooLarge {
                cmd,
                size,
                limit: max,
            },
        })
        .and_then(|bytes| answer_text(cmd, bytes))
    }
}

/// The answer bytes as text: a counted terminator dropped, empty and
/// non-UTF-8 answers refused.
fn answer_text(cmd: Option<Cmd>, mut bytes: Vec<u8>) -> Result<String, NativeError> {
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

/// The worker: one call at a time, until every [`NativeFaceSdk`] handle is
/// gone and the queue is empty.
fn worker(shared: &Shared, jobs: &mpsc::Receiver<Job>, max: usize) {
    while let Ok(job) = jobs.recv() {
        {
            let mut st = lock(&job.state);
            if *st == JobState::Abandoned {
                continue;
            }
            *st = JobState::Running;
        }
        let result = shared.api.call(&job.request, max);
        let st = lock(&job.state);
        if *st == JobState::TimedOut {
            // Its caller is gone: keep the answer for `take_late_answer`
            // and take new calls again.
            let late = result
                .ok()
                .and_then(|bytes| answer_text(job.cmd, bytes).ok())
                .map(|answer| LateAnswer {
                    request: job.request.to_string_lossy().into_owned(),
                    answer,
                });
            let mut condition = lock(&shared.condition);
            condition.hung = None;
            condition.late = late;
            tracing::info!(cmd = ?job.cmd, "a face SDK call that timed out has returned");
        } else {
            // The caller may have gone after all: then the answer is dropped.
            let _ = job.reply.send(result);
        }
    }
}

impl FaceSdk for NativeFaceSdk {
    fn call(&self, request_json: &str) -> Result<String, wxface_core::Error> {
        self.call_native(request_json).map_err(Into::into)
    }

    fn take_late_answer(&self) -> Option<LateAnswer> {
        lock(&self.shared.condition).late.take()
    }
}
