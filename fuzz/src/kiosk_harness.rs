//! What the fuzz target `kiosk_api` checks: the kiosk ↔ merchant-server API
//! of `docs/merchant-api.md`, both ends.
//!
//! Shared by `fuzz/fuzz_targets/kiosk_api.rs` and
//! `client/tests/fuzz_regressions.rs`, which replays
//! `fuzz/regressions/kiosk_api/` on stable.

use wxface_capture::HttpMerchantBackend;
use wxface_client::server::parse_request_body;
use wxface_core::{Error, UnixTime};

const PATHS: [&str; 3] = ["/kiosk/authinfo", "/kiosk/verified", "/kiosk/real-name"];

/// Statuses an answer is tried with.
const STATUSES: [u16; 8] = [200, 204, 299, 400, 404, 429, 502, 199];

/// A kiosk's clock (2026-01-01T00:00:00Z).
const NOW: UnixTime = UnixTime(1_767_225_600);

/// `[path][status]` then the body. The first byte picks the path, the
/// second the status the kiosk sees; the body is both a request the
/// reference server parses and an answer the kiosk parses.
///
/// Properties: neither end panics; the server refuses with
/// `invalid_input` only; the kiosk turns a non-2xx answer into a backend
/// error and any other refusal into `Malformed`.
pub fn kiosk_api(data: &[u8]) {
    let [which, status, body @ ..] = data else {
        return;
    };
    let path = PATHS[usize::from(*which) % PATHS.len()];
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    if let Err(code) = parse_request_body(path, body) {
        assert_eq!(code, "invalid_input");
    }
    match HttpMerchantBackend::check_answer(path, status, body, NOW) {
        Ok(()) => assert!((200..300).contains(&status)),
        Err(e) => {
            let _ = e.code();
            let _ = e.to_string();
            if !(200..300).contains(&status) && body.len() <= 256 * 1024 {
                assert!(matches!(e, Error::Backend { .. }), "{e:?}");
            } else {
                assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
            }
        }
    }
}
