//! What the fuzz target `kiosk_api` checks: the kiosk ↔ merchant-server API
//! of `docs/merchant-api.md`, both ends.
//!
//! Shared by `fuzz/fuzz_targets/kiosk_api.rs` and
//! `client/tests/fuzz_regressions.rs`, which replays
//! `fuzz/regressions/kiosk_api/` on stable.

use wxface_capture::HttpMerchantBackend;
use wxface_client::server::parse_request_body;
use wxface_core::error::{spec, ErrorInfo, TransportKind};
use wxface_core::kiosk_api::{MAX_ANSWER_BYTES, PATHS};
use wxface_core::{Error, ErrorKind, UnixTime};

/// Statuses an answer is tried with.
const STATUSES: [u16; 8] = [200, 204, 299, 400, 404, 429, 502, 199];

/// A kiosk's clock (2026-01-01T00:00:00Z).
const NOW: UnixTime = UnixTime(1_767_225_600);

/// Longest error message an answer can make: every text taken from a peer
/// is bounded (`kiosk_api::MAX_MESSAGE_CHARS`, code-shaped codes).
const MAX_ERROR_TEXT: usize = 1024;

/// `[path][status]` then the body. The first byte picks the path, the
/// second the status the kiosk sees; the body is both a request the
/// reference server parses and an answer the kiosk parses.
///
/// Properties: neither end panics; the server refuses with
/// `invalid_input` only; the kiosk refuses an oversize answer as
/// `Malformed`, a 2xx answer as `Malformed` or (not JSON) a `Protocol`
/// transport error, and a non-2xx answer as the error of its error record
/// (of its kind; an unknown code as WeChat's, `Backend`) or, without one, a
/// `Protocol` transport error; no refusal's message is longer than
/// `MAX_ERROR_TEXT`.
pub fn kiosk_api(data: &[u8]) {
    let [which, status, body @ ..] = data else {
        return;
    };
    let path = PATHS[usize::from(*which) % PATHS.len()];
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    if let Err(code) = parse_request_body(path, body) {
        assert_eq!(code, "invalid_input");
    }
    let protocol = |e: &Error| {
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::Protocol,
                ..
            }
        )
    };
    match HttpMerchantBackend::check_answer(path, status, body, NOW) {
        Ok(()) => assert!((200..300).contains(&status)),
        Err(e) => {
            let _ = e.code();
            let _ = e.info();
            let text = e.to_string();
            assert!(text.chars().count() <= MAX_ERROR_TEXT, "{text}");
            if body.len() > MAX_ANSWER_BYTES {
                assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
            } else if (200..300).contains(&status) {
                assert!(
                    matches!(e, Error::Malformed { .. }) || protocol(&e),
                    "{e:?}"
                );
            } else {
                let record = serde_json::from_slice::<ErrorInfo>(body)
                    .ok()
                    .filter(|i| !i.code.is_empty());
                match record {
                    // A gateway's 502-504 without an error body is a
                    // connect failure (retry), any other status a
                    // protocol one.
                    None if (502..=504).contains(&status) => assert!(
                        matches!(
                            e,
                            Error::Transport {
                                kind: TransportKind::Connect,
                                ..
                            }
                        ),
                        "{e:?}"
                    ),
                    None => assert!(protocol(&e), "{e:?}"),
                    Some(info) if spec(&info.code).is_none() => {
                        assert!(matches!(e, Error::Backend { .. }), "{e:?}");
                    }
                    Some(info) => {
                        // `Error::from_info`: host code has no SDK target
                        // version and no flow state.
                        let want = spec(&info.code).map(|s| match s.kind {
                            ErrorKind::SdkVersion => ErrorKind::InvalidInput,
                            ErrorKind::State => ErrorKind::Internal,
                            k => k,
                        });
                        assert_eq!(Some(e.kind()), want, "{e:?}");
                    }
                }
            }
        }
    }
}
