//! The vendor C ABI, written once: the only module of the crate with `unsafe`.
//!
//! ```c
//! int  wxpayCallFaceService(const char *reqBuf, unsigned int reqSize,
//!                           char **pRespBuf, unsigned int *pRespSize);   /* cdecl */
//! void wxpayReleaseResponse(char **pRespBuf);                            /* cdecl */
//! ```
//!
//! `extern "C"` is cdecl on 32-bit Windows and the platform C convention
//! everywhere else, which is what the vendor documents. The rest of the crate
//! sees only [`Api::load`] and [`Api::call`], which copy the response out of
//! library memory and hand it back exactly once through the release function.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_uint, CStr};
use std::path::{Path, PathBuf};

use super::NativeError;

/// Name of the call entry point.
pub(crate) const CALL_SYMBOL: &str = "wxpayCallFaceService";
/// Name of the release entry point.
pub(crate) const RELEASE_SYMBOL: &str = "wxpayReleaseResponse";

/// `int wxpayCallFaceService(const char*, unsigned int, char**, unsigned int*)`.
pub(crate) type CallFn =
    unsafe extern "C" fn(*const c_char, c_uint, *mut *mut c_char, *mut c_uint) -> c_int;
/// `void wxpayReleaseResponse(char**)` — returns nothing (one vendor C# sample
/// declares `int`; the C prototype is `void`).
pub(crate) type ReleaseFn = unsafe extern "C" fn(*mut *mut c_char);

/// Why a call produced no response bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawError {
    /// The call returned this non-zero value (no release is due).
    NonZero(c_int),
    /// The call returned 0 but left `*pRespBuf` NULL.
    NullResponse,
    /// The call returned 0 with `*pRespSize` above the limit (nothing was read).
    TooLarge(u64),
}

/// The two entry points, and the loaded library that keeps them mapped.
pub(crate) struct Api {
    call: CallFn,
    release: ReleaseFn,
    // Declared last, dropped last: the function pointers above point into it.
    _library: Option<libloading::Library>,
}

impl Api {
    /// Load the library at `path` and resolve both entry points.
    pub(crate) fn load(path: &Path) -> Result<Self, NativeError> {
        let (library, path) = open(path)?;
        let path = path.as_path();
        let missing = |symbol: &'static str| {
            move |source| NativeError::MissingSymbol {
                path: path.to_owned(),
                symbol,
                source,
            }
        };
        // SAFETY: `CallFn` is the documented prototype of this symbol, cdecl.
        // The pointer is copied out of the `Symbol`; it stays valid because
        // `library` is moved into the same `Api` and dropped after its last use.
        let call = unsafe { library.get::<CallFn>(CALL_SYMBOL) }
            .map(|s| *s)
            .map_err(missing(CALL_SYMBOL))?;
        // SAFETY: as above, with the documented `void (char**)` prototype.
        let release = unsafe { library.get::<ReleaseFn>(RELEASE_SYMBOL) }
            .map(|s| *s)
            .map_err(missing(RELEASE_SYMBOL))?;
        Ok(Self {
            call,
            release,
            _library: Some(library),
        })
    }

    /// Entry points that are not in a loaded library (test stand-ins).
    #[cfg(test)]
    pub(crate) fn from_fns(call: CallFn, release: ReleaseFn) -> Self {
        Self {
            call,
            release,
            _library: None,
        }
    }

    /// One call. `request` is passed as its bytes without the terminating NUL
    /// as `reqSize` (the UTF-8 byte length); the NUL stays behind them for
    /// implementations that read up to it anyway.
    ///
    /// After a 0 return the release function is called exactly once, whether
    /// or not the response could be copied. Not thread-safe by contract: the
    /// caller serialises calls.
    pub(crate) fn call(&self, request: &CStr, max_response: usize) -> Result<Vec<u8>, RawError> {
        let len = c_uint::try_from(request.to_bytes().len())
            .map_err(|_| RawError::TooLarge(request.to_bytes().len() as u64))?;
        let mut resp: *mut c_char = std::ptr::null_mut();
        let mut size: c_uint = 0;
        // SAFETY: `request` points to `len` readable bytes followed by a NUL;
        // `resp` and `size` are valid for writes for the duration of the call,
        // and are preset to NULL / 0 so that an answer setting neither is seen.
        let rc = unsafe { (self.call)(request.as_ptr(), len, &mut resp, &mut size) };
        if rc != 0 {
            // The contract asks for a release only after a success.
            return Err(RawError::NonZero(rc));
        }
        let copied = copy_response(resp, size, max_response);
        // SAFETY: the call returned 0, so the contract requires exactly one
        // release of the `char*` it stored in `resp` (NULL included), and
        // `&mut resp` is the `char**` it wrote through. Nothing reads `resp`
        // after this.
        unsafe { (self.release)(&mut resp) };
        copied
    }
}

fn copy_response(resp: *const c_char, size: c_uint, max: usize) -> Result<Vec<u8>, RawError> {
    if resp.is_null() {
        return Err(RawError::NullResponse);
    }
    let size_usize = match usize::try_from(size) {
        Ok(s) if s <= max => s,
        _ => return Err(RawError::TooLarge(u64::from(size))),
    };
    // SAFETY: after a 0 return with a non-NULL pointer the library promises
    // `*pRespSize` readable bytes there, valid until the release call, which
    // happens only after this copy.
    let bytes = unsafe { std::slice::from_raw_parts(resp.cast::<u8>(), size_usize) };
    Ok(bytes.to_vec())
}

/// Load the library the platform's way; returns it with the path it was
/// loaded from.
#[cfg(not(windows))]
fn open(path: &Path) -> Result<(libloading::Library, PathBuf), NativeError> {
    // SAFETY: loading a library runs its initialisers (ELF constructors). The
    // caller named this file as the vendor face SDK or a stand-in with its
    // ABI; there is nothing more that can be checked.
    let library =
        unsafe { libloading::Library::new(path) }.map_err(|source| NativeError::Load {
            path: path.to_owned(),
            source,
        })?;
    Ok((library, path.to_owned()))
}

/// Load the DLL by absolute path, its own dependencies from its folder and
/// System32 only (no current directory, no `PATH`: no DLL planting), after
/// checking that it is built for this process's architecture.
#[cfg(windows)]
fn open(path: &Path) -> Result<(libloading::Library, PathBuf), NativeError> {
    use libloading::os::windows::{
        Library, LOAD_LIBRARY_SEARCH_APPLICATION_DIR, LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR,
        LOAD_LIBRARY_SEARCH_SYSTEM32,
    };

    // A relative path is the application's, never the current directory's.
    let app_dir = || {
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
    };
    let (full, flags) = if path.is_absolute() {
        (
            path.to_owned(),
            LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32,
        )
    } else if let Some(dir) = app_dir() {
        (
            dir.join(path),
            LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32,
        )
    } else {
        // Without a known application folder the loader searches it itself.
        (
            path.to_owned(),
            LOAD_LIBRARY_SEARCH_APPLICATION_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32,
        )
    };
    if let (Some(library), Some(process)) = (
        super::dll_architecture(&full),
        super::Architecture::of_process(),
    ) {
        if library != process {
            return Err(NativeError::WrongArchitecture {
                path: full,
                library,
                process,
            });
        }
    }
    // SAFETY: loading a library runs its initialisers (DllMain). The caller
    // named this file as the vendor face SDK or a stand-in with its ABI;
    // there is nothing more that can be checked.
    let library =
        unsafe { Library::load_with_flags(&full, flags) }.map_err(|source| NativeError::Load {
            path: full.clone(),
            source,
        })?;
    Ok((library.into(), full))
}

/// Misbehaving and well-behaved stand-ins for the vendor entry points, written
/// in Rust so that every branch of [`Api::call`] runs without a library file.
#[cfg(test)]
pub(crate) mod stand_ins {
    use std::ffi::CString;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Bytes in front of every response: its allocation length.
    const HEADER: usize = std::mem::size_of::<usize>();

    /// Responses handed out and not yet released.
    pub(crate) static LIVE: AtomicUsize = AtomicUsize::new(0);
    /// Total release calls, for every stand-in.
    pub(crate) static RELEASES: AtomicUsize = AtomicUsize::new(0);

    /// Writes `body` as a freshly allocated response: a boxed slice whose
    /// first bytes record its length, so that [`release`] can free it exactly.
    ///
    /// # Safety
    /// `resp` and `size` must be valid for writes.
    unsafe fn answer(body: &[u8], resp: *mut *mut c_char, size: *mut c_uint) -> c_int {
        let total = HEADER + body.len() + 1;
        let mut v = Vec::with_capacity(total);
        v.extend_from_slice(&total.to_ne_bytes());
        v.extend_from_slice(body);
        v.push(0);
        let base = Box::into_raw(v.into_boxed_slice()).cast::<u8>();
        // SAFETY: `base` points to `total` bytes; the body starts after the header.
        let p = unsafe { base.add(HEADER) };
        // SAFETY: the caller passes valid out-pointers.
        unsafe {
            *resp = p.cast::<c_char>();
            *size = body.len() as c_uint;
        }
        LIVE.fetch_add(1, Ordering::SeqCst);
        0
    }

    /// Frees a response made by [`answer`] and clears the caller's pointer.
    pub(crate) unsafe extern "C" fn release(p: *mut *mut c_char) {
        RELEASES.fetch_add(1, Ordering::SeqCst);
        if p.is_null() {
            return;
        }
        // SAFETY: `p` is the `char**` an answer wrote through.
        let inner = unsafe { *p };
        if inner.is_null() {
            return;
        }
        // SAFETY: `inner` is `HEADER` bytes into an allocation made by `answer`.
        let base = unsafe { inner.cast::<u8>().sub(HEADER) };
        let mut len = [0u8; HEADER];
        // SAFETY: the header holds the allocation length.
        unsafe { std::ptr::copy_nonoverlapping(base, len.as_mut_ptr(), HEADER) };
        let total = usize::from_ne_bytes(len);
        // SAFETY: reconstructs exactly the boxed slice leaked by `answer`.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(base, total)) });
        // SAFETY: `p` is valid for writes.
        unsafe { *p = std::ptr::null_mut() };
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }

    /// Answers `{"return_code":"SUCCESS",...}`.
    pub(crate) unsafe extern "C" fn ok(
        _req: *const c_char,
        _len: c_uint,
        resp: *mut *mut c_char,
        size: *mut c_uint,
    ) -> c_int {
        // SAFETY: caller contract.
        unsafe {
            answer(
                br#"{"return_code":"SUCCESS","return_msg":"SUCCESS"}"#,
                resp,
                size,
            )
        }
    }

    /// Answers the request bytes it was given (exactly `len` of them).
    pub(crate) unsafe extern "C" fn echo(
        req: *const c_char,
        len: c_uint,
        resp: *mut *mut c_char,
        size: *mut c_uint,
    ) -> c_int {
        // SAFETY: the caller passes `len` readable bytes.
        let body = unsafe { std::slice::from_raw_parts(req.cast::<u8>(), len as usize) }.to_vec();
        // SAFETY: caller contract.
        unsafe { answer(&body, resp, size) }
    }

    /// Answers bytes that are not UTF-8.
    pub(crate) unsafe extern "C" fn not_utf8(
        _req: *const c_char,
        _len: c_uint,
        resp: *mut *mut c_char,
        size: *mut c_uint,
    ) -> c_int {
        // SAFETY: caller contract.
        unsafe { answer(b"{\"return_code\":\"\xff\xfe\"}", resp, size) }
    }

    /// Answers with a trailing NUL counted in the size.
    pub(crate) unsafe extern "C" fn nul_counted(
        _req: *const c_char,
        _len: c_uint,
        resp: *mut *mut c_char,
        size: *mut c_uint,
    ) -> c_int {
        // SAFETY: caller contract.
        unsafe { answer(b"{\"return_code\":\"SUCCESS\"}\0", resp, size) }
    }

    /// Answers 0 bytes.
    pub(crate) unsafe extern "C" fn empty(
        _req: *const c_char,
        _len: c_uint,
        resp: *mut *mut c_char,
        size: *mut c_uint,
    ) -> c_int {
        // SAFETY: caller contract.
        unsafe { answer(b"", resp, size) }
    }

    /// Answers 2 MiB of JSON.
    pub(crate) unsafe extern "C" fn huge(
        _req: *const c_char,
        _len: c_uint,
        resp: *mut *mut c_char,
        size: *mut c_uint,
    ) -> c_int {
        let mut body = br#"{"return_code":"SUCCESS","pad":""#.to_vec();
        body.resize(2 * 1024 * 1024, b'a');
        body.extend_from_slice(b"\"}");
        // SAFETY: caller contract.
        unsafe { answer(&body, resp, size) }
    }

    /// Returns 0 but leaves the response NULL.
    pub(crate) unsafe extern "C" fn null_response(
        _req: *const c_char,
        _len: c_uint,
        _resp: *mut *mut c_char,
        _size: *mut c_uint,
    ) -> c_int {
        0
    }

    /// Returns 7 and allocates nothing.
    pub(crate) unsafe extern "C" fn fails(
        _req: *const c_char,
        _len: c_uint,
        _resp: *mut *mut c_char,
        _size: *mut c_uint,
    ) -> c_int {
        7
    }

    /// Calls made to [`slow`].
    pub(crate) static SLOW_CALLS: AtomicUsize = AtomicUsize::new(0);

    /// Takes 400 ms, then answers like [`ok`].
    pub(crate) unsafe extern "C" fn slow(
        req: *const c_char,
        len: c_uint,
        resp: *mut *mut c_char,
        size: *mut c_uint,
    ) -> c_int {
        SLOW_CALLS.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(400));
        // SAFETY: caller contract.
        unsafe { ok(req, len, resp, size) }
    }

    /// Calls made to [`slow_private`].
    pub(crate) static SLOW_PRIVATE_CALLS: AtomicUsize = AtomicUsize::new(0);

    /// Like [`slow`], with a counter that only one test reads.
    pub(crate) unsafe extern "C" fn slow_private(
        req: *const c_char,
        len: c_uint,
        resp: *mut *mut c_char,
        size: *mut c_uint,
    ) -> c_int {
        SLOW_PRIVATE_CALLS.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(400));
        // SAFETY: caller contract.
        unsafe { ok(req, len, resp, size) }
    }

    /// A `CString` for a request.
    pub(crate) fn req(s: &str) -> CString {
        CString::new(s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::Ordering;

    use super::stand_ins::*;
    use super::*;

    #[test]
    fn nonzero_return_is_not_released() {
        let api = Api::from_fns(fails, release);
        assert_eq!(
            api.call(&req("{}"), 1024).unwrap_err(),
            RawError::NonZero(7)
        );
    }

    #[test]
    fn null_response_is_an_error_and_still_released() {
        let before = RELEASES.load(Ordering::SeqCst);
        let api = Api::from_fns(null_response, release);
        assert_eq!(
            api.call(&req("{}"), 1024).unwrap_err(),
            RawError::NullResponse
        );
        assert!(RELEASES.load(Ordering::SeqCst) > before);
    }

    #[test]
    fn request_length_is_the_utf8_byte_length() {
        let api = Api::from_fns(echo, release);
        let s = r#"{"cmd":"x","name":"张三"}"#;
        let out = api.call(&req(s), 1024).unwrap();
        assert_eq!(out, s.as_bytes());
    }

    #[test]
    fn load_reports_the_missing_path() {
        let Err(e) = Api::load(Path::new("/nonexistent/WxpayFaceSDK.dll")) else {
            panic!("a missing library must not load");
        };
        assert!(
            e.to_string().contains("/nonexistent/WxpayFaceSDK.dll"),
            "{e}"
        );
    }
}
