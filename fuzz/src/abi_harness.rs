//! What the fuzz target `sdk_emu_abi` checks: the emulator's C ABI
//! (`wxpayCallFaceService`, then `wxpayReleaseResponse`) called in-process.
//!
//! Shared by `fuzz/fuzz_targets/sdk_emu_abi.rs` and
//! `sdk-emu/tests/fuzz_regressions.rs`, which replays
//! `fuzz/regressions/sdk_emu_abi/` on stable.
//!
//! No sandbox runs and nothing may touch the network or sleep: [`setup`]
//! points the emulator at a URL whose scheme the HTTP client refuses before
//! opening any socket, so the commands that need the sandbox fail at once
//! with `SYSTEMERROR`, while parsing, validation and the init/release state
//! are exercised for real.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_uint, CStr};

use wxface_sdk_emu::{wxpayCallFaceService, wxpayReleaseResponse, RC_OK};

/// Requests in one input are separated by this byte (never part of UTF-8).
pub const SEPARATOR: u8 = 0xFF;

/// Most calls made for one input.
const MAX_CALLS: usize = 8;

/// Configure the emulator for in-process use without a network. Call once,
/// before the first call and before any other thread runs.
pub fn setup() {
    for k in [
        "WXFACE_EMU_PERSON",
        "WXFACE_EMU_OUTCOME",
        "WXFACE_EMU_LATENCY_MS",
        "WXFACE_EMU_SDK_VERSION",
        "WXFACE_EMU_DEVICE_ID",
    ] {
        std::env::remove_var(k);
    }
    // A scheme reqwest refuses before resolving or connecting anything.
    std::env::set_var("WXFACE_EMU_SANDBOX_URL", "wxface-fuzz://no-network");
    std::env::set_var("WXFACE_EMU_TIMEOUT_MS", "0");
}

/// One call; `Some(answer)` after `RC_OK`.
fn call(req: &[u8]) -> Option<String> {
    let mut resp: *mut c_char = std::ptr::dangling_mut();
    let mut size: c_uint = 7;
    let Ok(len) = c_uint::try_from(req.len()) else {
        return None;
    };
    // SAFETY: `req` holds `len` readable bytes; both out-pointers are valid.
    let rc = unsafe { wxpayCallFaceService(req.as_ptr().cast(), len, &mut resp, &mut size) };
    if rc != RC_OK {
        assert!(resp.is_null(), "no answer must mean a NULL buffer");
        assert_eq!(size, 0);
        return None;
    }
    assert!(!resp.is_null());
    // SAFETY: after RC_OK, a NUL-terminated answer of `size` bytes.
    let answer = unsafe { CStr::from_ptr(resp) };
    assert_eq!(answer.to_bytes().len(), size as usize, "size is the length");
    let text = answer
        .to_str()
        .unwrap_or_else(|e| panic!("the answer is not UTF-8: {e}"))
        .to_owned();
    // SAFETY: released exactly once.
    unsafe { wxpayReleaseResponse(&mut resp) };
    assert!(resp.is_null(), "release sets the buffer to NULL");
    // SAFETY: releasing NULL is a no-op.
    unsafe { wxpayReleaseResponse(&mut resp) };
    Some(text)
}

/// Up to eight requests separated by `0xFF`, called in order, then a
/// `releaseWxpayface` as a kiosk ends its day.
///
/// Properties: every call answers (`RC_OK`) with a JSON object carrying a
/// `return_code` string, of the length reported, released once. The final
/// release ends the library's emulator, so each input leaves no emulator —
/// and no HTTP client thread — behind: every input is checked for leaks on
/// its own, not against the state an earlier one left.
pub fn sdk_emu_abi(data: &[u8]) {
    let release = br#"{"cmd":"releaseWxpayface","version":"1","now":1540908003}"#;
    let requests = data
        .split(|&b| b == SEPARATOR)
        .take(MAX_CALLS)
        .chain(std::iter::once(&release[..]));
    for req in requests {
        let answer = call(req).unwrap_or_else(|| panic!("no answer to a request"));
        let v: serde_json::Value =
            serde_json::from_str(&answer).unwrap_or_else(|e| panic!("the answer is not JSON: {e}"));
        assert!(
            v.get("return_code")
                .is_some_and(serde_json::Value::is_string),
            "no return_code in {answer}"
        );
    }
}
