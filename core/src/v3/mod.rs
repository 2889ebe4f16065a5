//! WeChat Pay APIv3: request signing, answer verification, the platform key
//! store, and `GET /v3/facemch/users/{face_sid}`.
//!
//! A merchant server signs the request with [`MerchantSigner`], sends it, and
//! hands the answer to [`handle_users_response`], which verifies it against a
//! [`ResponseVerifier`] before parsing: nothing is decrypted from an answer
//! whose signature did not verify. The server-side halves ([`RequestVerifier`],
//! [`PlatformSigner`], [`UsersQuery::from_path_and_query`]) serve the sandbox
//! and the `verify` tooling.
//!
//! ```text
//! UsersQuery ──to_request──▶ HttpRequest ──MerchantSigner::sign_request──▶ send
//! answer ──handle_users_response(ResponseVerifier)──▶ FaceUser ──Decryptor──▶ RealName
//! ```
//!
//! In provider mode the provider forwards the raw [`SignedAnswer`] and the
//! hospital verifies it itself ([`SignedAnswer::verify`], or
//! [`RealNameReceiver`](crate::decrypt::RealNameReceiver)).

pub mod auth;
pub mod sign;
pub mod users;
pub mod verify;

pub use auth::{
    check_window, Authorization, RequestVerifier, DEFAULT_WINDOW_SECS, MAX_WINDOW_SECS,
};
pub use sign::{request_message, MerchantSigner, AUTH_SCHEME, USER_AGENT};
pub use users::{
    handle_users_response, inspect_users_body, parse_error_body, EncryptedRealName, FaceUser,
    InfoType, SignatureHeaders, SignedAnswer, UsersQuery,
};
pub use verify::{
    response_message, PlatformKeyKind, PlatformKeyStore, PlatformSigner, ResponseVerifier,
    PUB_KEY_ID_PREFIX,
};
