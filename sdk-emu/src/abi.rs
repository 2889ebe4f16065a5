//! The two exported C functions: the only module with `unsafe`.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_uint, CString};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

use wxface_capture::FaceSdk;
use wxface_core::sdk::sdk_error_json;
use wxface_sandbox::EmulatedFaceSdk;

/// Success: an answer was produced and must be released.
pub const RC_OK: c_int = 0;
/// A required pointer argument is NULL.
pub const RC_BAD_ARGUMENT: c_int = 1;
/// The emulator failed to produce an answer.
pub const RC_CALL_FAILED: c_int = 2;
/// The answer cannot be returned through this ABI (NUL byte, over 4 GiB).
pub const RC_UNREPRESENTABLE: c_int = 3;
/// The emulator panicked; the panic was stopped at the boundary.
pub const RC_PANIC: c_int = 4;

/// The environment variables the emulator is configured with.
const ENV: [&str; 8] = [
    "WXFACE_EMU_SANDBOX_URL",
    "WXFACE_EMU_PERSON",
    "WXFACE_EMU_OUTCOME",
    "WXFACE_EMU_LATENCY_MS",
    "WXFACE_EMU_SDK_VERSION",
    "WXFACE_EMU_DEVICE_ID",
    "WXFACE_EMU_TIMEOUT_MS",
    "WXFACE_EMU_OPENID_WITH_FACE_SID",
];

type Snapshot = Vec<Option<String>>;

/// The emulator in use, with the environment it was made from.
static EMULATOR: Mutex<Option<(Snapshot, Arc<dyn FaceSdk>)>> = Mutex::new(None);

fn snapshot() -> Snapshot {
    ENV.iter().map(|k| std::env::var(k).ok()).collect()
}

/// The emulator for the current environment, made anew when it changed.
fn emulator() -> Result<Arc<dyn FaceSdk>, String> {
    let env = snapshot();
    let mut slot = EMULATOR.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((seen, sdk)) = slot.as_ref() {
        if *seen == env {
            return Ok(Arc::clone(sdk));
        }
    }
    // Drop the old one (and its HTTP client) before making the next.
    *slot = None;
    let sdk: Arc<dyn FaceSdk> =
        Arc::new(EmulatedFaceSdk::from_env().map_err(|e| format!("emulator not configured: {e}"))?);
    *slot = Some((env, Arc::clone(&sdk)));
    Ok(sdk)
}

/// Forget the emulator (after `releaseWxpayface`).
fn end_emulator() {
    let old = EMULATOR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    drop(old);
}

/// The answer to `request`: the emulator's, or an SDK-style error answer.
fn answer(request: &[u8]) -> Result<String, c_int> {
    let Ok(request) = std::str::from_utf8(request) else {
        return Ok(sdk_error_json(
            "PARAM_ERROR",
            "请求不是 UTF-8 (request is not UTF-8)",
            None,
        ));
    };
    let sdk = match emulator() {
        Ok(sdk) => sdk,
        Err(msg) => {
            let msg: String = msg.chars().take(wxface_core::sdk::MAX_RETURN_MSG).collect();
            return Ok(sdk_error_json("SYSTEMERROR", &msg, None));
        }
    };
    let out = sdk.call(request).map_err(|_| RC_CALL_FAILED)?;
    if is_release(request) {
        drop(sdk);
        end_emulator();
    }
    Ok(out)
}

/// [`answer`] on a thread of this library, joined before returning.
///
/// The caller's thread (a C thread the Rust runtime never set up) then runs
/// no code that registers it with the standard library, so nothing stays
/// allocated for it after the call; and a panic ends that thread, never
/// unwinding into C.
fn answer_on_worker(request: Vec<u8>) -> Result<String, c_int> {
    let worker = std::thread::Builder::new()
        .name("wxface-sdk-emu".into())
        .spawn(move || panic::catch_unwind(AssertUnwindSafe(|| answer(&request))));
    match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(Ok(result))) => result,
        Ok(Ok(Err(_)) | Err(_)) => Err(RC_PANIC),
        Err(_) => Err(RC_CALL_FAILED),
    }
}

fn is_release(request: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Cmd<'a> {
        #[serde(borrow)]
        cmd: Option<&'a str>,
    }
    serde_json::from_str::<Cmd<'_>>(request)
        .ok()
        .and_then(|c| c.cmd)
        == Some("releaseWxpayface")
}

/// Call the emulated face service.
///
/// # Safety
/// `req_buf` must point to `req_size` readable bytes; `p_resp_buf` and
/// `p_resp_size` must be valid for writes. NULL pointers are refused with
/// [`RC_BAD_ARGUMENT`]. After [`RC_OK`], `*p_resp_buf` must be freed with
/// exactly one [`wxpayReleaseResponse`].
#[no_mangle]
pub unsafe extern "C" fn wxpayCallFaceService(
    req_buf: *const c_char,
    req_size: c_uint,
    p_resp_buf: *mut *mut c_char,
    p_resp_size: *mut c_uint,
) -> c_int {
    // Defined outputs whatever happens next.
    if !p_resp_buf.is_null() {
        // SAFETY: not NULL, and the caller promises it is valid for writes.
        unsafe { *p_resp_buf = std::ptr::null_mut() };
    }
    if !p_resp_size.is_null() {
        // SAFETY: as above.
        unsafe { *p_resp_size = 0 };
    }
    if req_buf.is_null() || p_resp_buf.is_null() || p_resp_size.is_null() {
        return RC_BAD_ARGUMENT;
    }
    let Ok(len) = usize::try_from(req_size) else {
        return RC_BAD_ARGUMENT;
    };
    // SAFETY: `req_buf` is not NULL and points to `req_size` readable bytes
    // (caller contract); no NUL terminator is read or required. The bytes are
    // copied before anything else runs.
    let request = unsafe { std::slice::from_raw_parts(req_buf.cast::<u8>(), len) }.to_vec();
    let json = match answer_on_worker(request) {
        Ok(json) => json,
        Err(rc) => return rc,
    };
    let Ok(size) = c_uint::try_from(json.len()) else {
        return RC_UNREPRESENTABLE;
    };
    let Ok(owned) = CString::new(json) else {
        return RC_UNREPRESENTABLE;
    };
    // SAFETY: both pointers are non-NULL and valid for writes (checked above,
    // caller contract). Ownership of the string passes to the caller until
    // `wxpayReleaseResponse` takes it back with `CString::from_raw`.
    unsafe {
        *p_resp_buf = owned.into_raw();
        *p_resp_size = size;
    }
    RC_OK
}

/// Free an answer of [`wxpayCallFaceService`] and set `*p_resp_buf` to NULL.
/// NULL, or a pointer to NULL, is a no-op.
///
/// # Safety
/// `*p_resp_buf` must be NULL or an answer of [`wxpayCallFaceService`] not
/// yet released.
#[no_mangle]
pub unsafe extern "C" fn wxpayReleaseResponse(p_resp_buf: *mut *mut c_char) {
    if p_resp_buf.is_null() {
        return;
    }
    // SAFETY: not NULL; the caller passes the `char**` it received an answer
    // through.
    let resp = unsafe { *p_resp_buf };
    if resp.is_null() {
        return;
    }
    // SAFETY: `resp` came from `CString::into_raw` in `wxpayCallFaceService`
    // and was not released before (caller contract); the length is found
    // from its NUL terminator, which that function wrote.
    drop(unsafe { CString::from_raw(resp) });
    // SAFETY: as above, valid for writes.
    unsafe { *p_resp_buf = std::ptr::null_mut() };
}

#[cfg(test)]
mod tests {
    //! The boundary contract without a sandbox: pointer checks, length
    //! handling, release, and the answers of an unconfigured emulator. The
    //! environment is left alone, so every call here sees no sandbox URL.
    #![allow(clippy::unwrap_used)]

    use std::ffi::CStr;

    use super::*;

    fn call(req: &[u8]) -> (c_int, Option<String>, c_uint) {
        let mut resp: *mut c_char = std::ptr::dangling_mut();
        let mut size: c_uint = 99;
        // SAFETY: valid buffer and out-pointers.
        let rc = unsafe {
            wxpayCallFaceService(
                req.as_ptr().cast(),
                req.len() as c_uint,
                &mut resp,
                &mut size,
            )
        };
        if rc != RC_OK {
            assert!(resp.is_null());
            assert_eq!(size, 0);
            return (rc, None, size);
        }
        // SAFETY: an answer of `wxpayCallFaceService`.
        let text = unsafe { CStr::from_ptr(resp) }.to_str().unwrap().to_owned();
        assert_eq!(text.len(), size as usize);
        // SAFETY: released exactly once.
        unsafe { wxpayReleaseResponse(&mut resp) };
        assert!(resp.is_null());
        (rc, Some(text), size)
    }

    #[test]
    fn unconfigured_emulator_answers_systemerror() {
        if std::env::var_os("WXFACE_EMU_SANDBOX_URL").is_some() {
            return;
        }
        let (rc, text, _) = call(br#"{"cmd":"initWxpayface","version":"1","now":1700000000}"#);
        assert_eq!(rc, RC_OK);
        let text = text.unwrap();
        assert!(text.contains("SYSTEMERROR"), "{text}");
        assert!(text.contains("WXFACE_EMU_SANDBOX_URL"), "{text}");
    }

    #[test]
    fn request_is_read_by_length_not_terminator() {
        // Followed by bytes that are not part of it, and not NUL-terminated.
        let buf = br#"{"cmd":"getWxpayfaceRawdata","version":"1","now":1700000000}GARBAGE"#;
        let len = buf.len() - "GARBAGE".len();
        let mut resp: *mut c_char = std::ptr::null_mut();
        let mut size: c_uint = 0;
        // SAFETY: `len` bytes are readable.
        let rc = unsafe {
            wxpayCallFaceService(buf.as_ptr().cast(), len as c_uint, &mut resp, &mut size)
        };
        assert_eq!(rc, RC_OK);
        // SAFETY: an answer.
        let text = unsafe { CStr::from_ptr(resp) }.to_str().unwrap().to_owned();
        // SAFETY: released once.
        unsafe { wxpayReleaseResponse(&mut resp) };
        assert!(!text.contains("PARAM_ERROR"), "{text}");
    }

    #[test]
    fn non_utf8_request_is_a_param_error() {
        let (rc, text, _) = call(b"{\"cmd\":\"\xff\"}");
        assert_eq!(rc, RC_OK);
        assert!(text.unwrap().contains("PARAM_ERROR"));
    }

    #[test]
    fn null_pointers_are_refused() {
        let req = br#"{"cmd":"initWxpayface","version":"1","now":1700000000}"#;
        let mut resp: *mut c_char = std::ptr::dangling_mut();
        let mut size: c_uint = 7;
        // SAFETY: NULL request, valid outputs.
        let rc = unsafe { wxpayCallFaceService(std::ptr::null(), 10, &mut resp, &mut size) };
        assert_eq!(rc, RC_BAD_ARGUMENT);
        assert!(resp.is_null());
        assert_eq!(size, 0);
        // SAFETY: NULL response pointer.
        let rc = unsafe {
            wxpayCallFaceService(
                req.as_ptr().cast(),
                req.len() as c_uint,
                std::ptr::null_mut(),
                &mut size,
            )
        };
        assert_eq!(rc, RC_BAD_ARGUMENT);
        // SAFETY: NULL size pointer.
        let rc = unsafe {
            wxpayCallFaceService(
                req.as_ptr().cast(),
                req.len() as c_uint,
                &mut resp,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, RC_BAD_ARGUMENT);
        assert!(resp.is_null());
    }

    #[test]
    fn release_of_null_is_a_no_op() {
        // SAFETY: NULL is allowed.
        unsafe { wxpayReleaseResponse(std::ptr::null_mut()) };
        let mut p: *mut c_char = std::ptr::null_mut();
        // SAFETY: a pointer to NULL is allowed.
        unsafe { wxpayReleaseResponse(&mut p) };
        assert!(p.is_null());
    }

    #[test]
    fn release_command_is_recognised() {
        assert!(is_release(
            r#"{"cmd":"releaseWxpayface","version":"1","now":1}"#
        ));
        assert!(!is_release(r#"{"cmd":"initWxpayface"}"#));
        assert!(!is_release("not json"));
    }
}
