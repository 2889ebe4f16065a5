//! # wxface-sdk-emu
//!
//! The face SDK emulator of `wxface-sandbox` as a C library with the vendor's
//! ABI, so that anything written for `WxpayFaceSDK.dll` — C, C#, the native
//! bridge of `wxface-capture` — runs against the sandbox instead:
//!
//! ```c
//! int  wxpayCallFaceService(const char *reqBuf, unsigned int reqSize,
//!                           char **pRespBuf, unsigned int *pRespSize);
//! void wxpayReleaseResponse(char **pRespBuf);
//! ```
//!
//! Built as `target/debug/libwxface_sdk_emu.so` (`wxface_sdk_emu.dll`,
//! `libwxface_sdk_emu.dylib`) by `cargo build -p wxface-sdk-emu`.
//!
//! ## Configuration
//!
//! The emulator reads the `WXFACE_EMU_*` environment variables of the
//! sandbox's `EmulatedFaceSdk::from_env`: `WXFACE_EMU_SANDBOX_URL` (required),
//! `WXFACE_EMU_PERSON`, `WXFACE_EMU_OUTCOME`, `WXFACE_EMU_LATENCY_MS`,
//! `WXFACE_EMU_SDK_VERSION`, `WXFACE_EMU_DEVICE_ID`, `WXFACE_EMU_TIMEOUT_MS`,
//! `WXFACE_EMU_OPENID_WITH_FACE_SID` (`1` or `0`: whether recognition answers
//! `openid` with `face_sid`; unset: the sandbox's `openid_with_face_sid`,
//! by default no openid, as the spec's table says). They are read at the first call and again whenever they change between
//! calls; a change starts a fresh emulator, as if the face service had
//! restarted (call `initWxpayface` again). `releaseWxpayface` ends the
//! emulator too, and frees everything it holds.
//!
//! ## Contract
//!
//! - `reqSize` is the byte length of the UTF-8 request; the request need not
//!   be NUL-terminated.
//! - On return 0, `*pRespBuf` is a NUL-terminated UTF-8 JSON answer of
//!   `*pRespSize` bytes (terminator not counted), to be freed with exactly one
//!   `wxpayReleaseResponse(&resp)`, which sets `resp` to NULL.
//!   `wxpayReleaseResponse` of NULL, or of a pointer to NULL, does nothing.
//! - An SDK-level failure is an answer, as from the vendor SDK: a request
//!   that is not UTF-8 or not valid JSON gets `PARAM_ERROR`, an emulator
//!   without configuration or without a reachable sandbox gets `SYSTEMERROR`
//!   (what the vendor SDK answers when WxpayFaceService is not running).
//! - Non-zero return values ([`RC_BAD_ARGUMENT`] …) mean no answer was
//!   produced: `*pRespBuf` is NULL and `*pRespSize` 0 (where those pointers
//!   are not NULL themselves), and nothing is to be released.
//! - No panic crosses the boundary.

pub mod abi;

pub use abi::{
    wxpayCallFaceService, wxpayReleaseResponse, RC_BAD_ARGUMENT, RC_CALL_FAILED, RC_OK, RC_PANIC,
    RC_UNREPRESENTABLE,
};
