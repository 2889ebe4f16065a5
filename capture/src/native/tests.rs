//! [`NativeFaceSdk`] against Rust stand-ins for the vendor entry points.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::ffi::stand_ins::{self, release, RELEASES};
use super::ffi::{Api, CallFn};
use super::*;

const INIT: &str = r#"{"cmd":"initWxpayface","version":"1","now":1700000000}"#;

fn sdk(call: CallFn) -> NativeFaceSdk {
    sdk_with(call, NativeOptions::default())
}

fn sdk_with(call: CallFn, options: NativeOptions) -> NativeFaceSdk {
    NativeFaceSdk::from_api(
        Api::from_fns(call, release),
        PathBuf::from("stand-in"),
        options,
    )
    .unwrap()
}

#[test]
fn success_copies_the_answer_and_releases_it() {
    let releases = RELEASES.load(Ordering::SeqCst);
    let out = sdk(stand_ins::ok).call_native(INIT).unwrap();
    assert_eq!(out, r#"{"return_code":"SUCCESS","return_msg":"SUCCESS"}"#);
    assert!(RELEASES.load(Ordering::SeqCst) > releases);
}

#[test]
fn request_goes_in_as_utf8_bytes() {
    let req = r#"{"cmd":"getWxpayfaceCode","store_id":"门诊楼一层"}"#;
    assert_eq!(sdk(stand_ins::echo).call_native(req).unwrap(), req);
}

#[test]
fn nonzero_return_is_typed_and_names_the_call() {
    let e = sdk(stand_ins::fails).call_native(INIT).unwrap_err();
    assert!(matches!(
        e,
        NativeError::CallFailed {
            cmd: Some(Cmd::Init),
            code: 7
        }
    ));
    let msg = e.to_string();
    assert!(msg.contains("wxpayCallFaceService"), "{msg}");
    assert!(msg.contains("initWxpayface"), "{msg}");
    let core: wxface_core::Error = e.into();
    match core {
        wxface_core::Error::Sdk {
            cmd,
            return_code,
            err_code,
            ..
        } => {
            assert_eq!(cmd, "initWxpayface");
            assert_eq!(return_code, "CALL_FAILED");
            assert_eq!(err_code.as_deref(), Some("7"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn null_response_is_refused() {
    let e = sdk(stand_ins::null_response).call_native(INIT).unwrap_err();
    assert_eq!(e.code(), "null_response");
    assert_eq!(wxface_core::Error::from(e).code(), "malformed");
}

#[test]
fn non_utf8_is_refused_after_release() {
    let releases = RELEASES.load(Ordering::SeqCst);
    let e = sdk(stand_ins::not_utf8).call_native(INIT).unwrap_err();
    assert!(
        matches!(
            e,
            NativeError::NotUtf8 {
                valid_up_to: 16,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(RELEASES.load(Ordering::SeqCst) > releases);
}

#[test]
fn oversize_is_refused_after_release_and_limit_is_configurable() {
    let releases = RELEASES.load(Ordering::SeqCst);
    let e = sdk(stand_ins::huge).call_native(INIT).unwrap_err();
    assert!(
        matches!(
            e,
            NativeError::ResponseTooLarge {
                limit: DEFAULT_MAX_RESPONSE_BYTES,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(RELEASES.load(Ordering::SeqCst) > releases);
    let big = sdk_with(
        stand_ins::huge,
        NativeOptions {
            max_response_bytes: 4 * 1024 * 1024,
            ..NativeOptions::default()
        },
    );
    assert!(big.call_native(INIT).unwrap().len() > 2 * 1024 * 1024);
    let small = sdk_with(
        stand_ins::ok,
        NativeOptions {
            max_response_bytes: 8,
            ..NativeOptions::default()
        },
    );
    assert_eq!(
        small.call_native(INIT).unwrap_err().code(),
        "response_too_large"
    );
}

#[test]
fn counted_terminator_is_dropped_and_empty_is_refused() {
    assert_eq!(
        sdk(stand_ins::nul_counted).call_native(INIT).unwrap(),
        r#"{"return_code":"SUCCESS"}"#
    );
    assert_eq!(
        sdk(stand_ins::empty).call_native(INIT).unwrap_err().code(),
        "empty_response"
    );
}

#[test]
fn nul_in_request_is_refused_before_the_call() {
    let e = sdk(stand_ins::fails)
        .call_native("{\"cmd\":\"initWxpayface\u{0}\"}")
        .unwrap_err();
    assert_eq!(e.code(), "invalid_request");
}

#[test]
fn after_a_timeout_calls_fail_fast_until_the_hung_call_returns() {
    let s = sdk_with(
        stand_ins::slow,
        NativeOptions {
            timeout: Duration::from_millis(100),
            ..NativeOptions::default()
        },
    );
    let t0 = Instant::now();
    let e = s.call_native(INIT).unwrap_err();
    assert!(
        matches!(
            e,
            NativeError::Timeout {
                waiting_for_lock: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(t0.elapsed() < Duration::from_millis(350));
    assert!(s.is_busy());
    // The first call is still inside the library: this one is refused at
    // once, without reaching it or starting a thread.
    let t1 = Instant::now();
    let e = s
        .call_native(r#"{"cmd":"getWxpayfaceRawdata","version":"1","now":1700000000}"#)
        .unwrap_err();
    assert!(
        t1.elapsed() < Duration::from_millis(50),
        "{:?}",
        t1.elapsed()
    );
    assert!(
        matches!(
            e,
            NativeError::Busy {
                cmd: Some(Cmd::GetRawdata),
                hung: Some(Cmd::Init),
                since: Some(_)
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("getWxpayfaceRawdata") && msg.contains("initWxpayface"),
        "{msg}"
    );
    assert_eq!(e.code(), "busy");
    let core = wxface_core::Error::from(e);
    assert!(
        matches!(core, wxface_core::Error::Sdk { ref return_code, .. } if return_code == "BUSY")
    );
    assert_eq!(
        s.take_late_answer(),
        None,
        "no answer before the call returns"
    );
    // Once the hung call returns, its answer is kept (once) and calls go through.
    std::thread::sleep(Duration::from_millis(500));
    assert!(!s.is_busy());
    let late = s.take_late_answer().unwrap();
    assert_eq!(late.request, INIT);
    assert!(late.answer.contains("SUCCESS"));
    assert!(
        !format!("{late:?}").contains("SUCCESS"),
        "Debug shows no content"
    );
    assert_eq!(s.take_late_answer(), None);
    let patient = sdk_with(
        stand_ins::slow,
        NativeOptions {
            timeout: Duration::from_secs(5),
            ..NativeOptions::default()
        },
    );
    patient.call_native(INIT).unwrap();
    assert_eq!(
        patient.take_late_answer(),
        None,
        "answered calls are not late"
    );
}

#[test]
fn abandoned_request_never_reaches_the_library() {
    // 400 ms calls, 300 ms timeout: the first call runs and times out; the
    // second waits in the queue, times out there and is dropped unsent.
    let s = Arc::new(sdk_with(
        stand_ins::slow_private,
        NativeOptions {
            timeout: Duration::from_millis(300),
            ..NativeOptions::default()
        },
    ));
    let first = {
        let s = Arc::clone(&s);
        std::thread::spawn(move || s.call_native(INIT).unwrap_err())
    };
    std::thread::sleep(Duration::from_millis(50));
    let e = s.call_native(INIT).unwrap_err();
    assert!(
        matches!(
            e,
            NativeError::Timeout {
                waiting_for_lock: true,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("dropped unsent"), "{e}");
    assert!(matches!(
        first.join().unwrap(),
        NativeError::Timeout {
            waiting_for_lock: false,
            ..
        }
    ));
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(stand_ins::SLOW_PRIVATE_CALLS.load(Ordering::SeqCst), 1);
    assert!(!s.is_busy());
}

#[test]
fn the_queue_is_bounded() {
    let s = Arc::new(sdk_with(
        stand_ins::slow,
        NativeOptions {
            queue_depth: 1,
            ..NativeOptions::default()
        },
    ));
    let spawn = |s: &Arc<NativeFaceSdk>| {
        let s = Arc::clone(s);
        std::thread::spawn(move || s.call_native(INIT).map(|_| ()))
    };
    let running = spawn(&s);
    std::thread::sleep(Duration::from_millis(100));
    let queued = spawn(&s);
    std::thread::sleep(Duration::from_millis(100));
    let t0 = Instant::now();
    let e = s.call_native(INIT).unwrap_err();
    assert!(t0.elapsed() < Duration::from_millis(50));
    assert!(
        matches!(
            e,
            NativeError::Busy {
                hung: None,
                since: None,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("too many calls"), "{e}");
    running.join().unwrap().unwrap();
    queued.join().unwrap().unwrap();
}

#[test]
fn library_outlives_the_sdk_while_a_call_is_in_flight() {
    let s = sdk_with(
        stand_ins::slow,
        NativeOptions {
            timeout: Duration::from_millis(50),
            ..NativeOptions::default()
        },
    );
    let weak = Arc::downgrade(&s.shared);
    let _ = s.call_native(INIT);
    drop(s);
    assert!(
        weak.upgrade().is_some(),
        "the worker still holds the library"
    );
    std::thread::sleep(Duration::from_millis(600));
    assert!(weak.upgrade().is_none(), "released once the call returned");
}

#[test]
fn calls_are_serialised() {
    let s = Arc::new(sdk(stand_ins::slow));
    let t0 = Instant::now();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let s = Arc::clone(&s);
            std::thread::spawn(move || s.call_native(INIT).map(|_| ()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    assert!(
        t0.elapsed() >= Duration::from_millis(1150),
        "{:?}",
        t0.elapsed()
    );
}

#[test]
fn wrong_architecture_names_both_bitnesses() {
    let e = NativeError::WrongArchitecture {
        path: PathBuf::from(r"C:\测试\人脸SDK\WxpayFaceSDK.dll"),
        library: Architecture::X86,
        process: Architecture::X64,
    };
    let msg = e.to_string();
    assert!(msg.contains("32-bit (x86) DLL"), "{msg}");
    assert!(msg.contains("this process is 64-bit (x64)"), "{msg}");
    assert!(msg.contains("人脸SDK"), "{msg}");
    assert_eq!(e.code(), "wrong_architecture");
    assert_eq!(wxface_core::Error::from(e).code(), "config");
}

#[test]
fn missing_library_names_the_path() {
    let e = NativeFaceSdk::load("/nonexistent/dir/WxpayFaceSDK.dll").unwrap_err();
    assert_eq!(e.code(), "library_load");
    assert!(
        e.to_string().contains("/nonexistent/dir/WxpayFaceSDK.dll"),
        "{e}"
    );
    assert_eq!(wxface_core::Error::from(e).code(), "config");
}

#[test]
fn missing_symbol_is_named() {
    // The C library of this process exports neither entry point.
    let libc = if cfg!(target_os = "linux") {
        "libc.so.6"
    } else {
        return;
    };
    let e = NativeFaceSdk::load(libc).unwrap_err();
    assert!(
        matches!(
            e,
            NativeError::MissingSymbol {
                symbol: "wxpayCallFaceService",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("wxpayCallFaceService"), "{e}");
}

#[test]
fn debug_shows_no_content() {
    let s = sdk(stand_ins::ok);
    let d = format!("{s:?}");
    assert!(d.contains("stand-in"), "{d}");
}

#[test]
fn unknown_command_is_reported_as_such() {
    let e = sdk(stand_ins::fails)
        .call_native(r#"{"cmd":"secretCommand","passwd":"hunter2"}"#)
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("an unknown command"), "{msg}");
    assert!(
        !msg.contains("hunter2") && !msg.contains("secretCommand"),
        "{msg}"
    );
}

#[test]
fn responses_are_never_leaked() {
    // Every answer handed out by the stand-ins is released again, whatever
    // the outcome of the copy. Other tests run concurrently, so wait until the
    // count settles instead of reading it once.
    let s = sdk(stand_ins::not_utf8);
    for _ in 0..10 {
        let _ = s.call_native(INIT);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while stand_ins::LIVE.load(Ordering::SeqCst) != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(stand_ins::LIVE.load(Ordering::SeqCst), 0);
}
