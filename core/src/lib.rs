//! # wxface-core
//!
//! A sans-IO implementation of WeChat Pay's face real-name authentication
//! (刷脸实名认证): every message of the flow built, signed, verified and
//! decrypted, and the flow itself as a state machine, with no network, file or
//! clock access and no threads. Time and randomness come in through
//! [`time::Clock`] and [`time::Entropy`]; HTTP requests are data
//! ([`http::HttpRequest`]) that the caller sends however it likes.
//!
//! | module | what |
//! |---|---|
//! | [`sdk`] | face SDK commands (`initWxpayface` … `releaseWxpayface`): JSON in and out, field rules, SDK-version gating |
//! | [`v2`] | `get_wxpayface_authinfo`: XML, MD5 / HMAC-SHA256 signatures |
//! | [`v3`] | APIv3: `Authorization` signing, response verification, key store, `facemch/users` |
//! | [`decrypt`] | the standalone [`decrypt::Decryptor`] for real-name fields |
//! | [`realname`] | the decrypted identity (zeroized, redacted), masking, GB 11643 |
//! | [`flow`] | the kiosk flow state machine |
//! | [`model`] | the serde records the bindings exchange: flow events, actions and outcomes; kiosk configuration; the recognised user; progress steps; SDK replies; the masked identity |
//! | [`kiosk_api`] | the kiosk ↔ merchant-server API (`docs/merchant-api.md`): paths, messages, error body, authinfo expiry |
//! | [`crypto`] | the RSA provider seam (pure Rust or AWS-LC) |
//! | [`redact`] | parser errors without values, log-safe strings, redacted credentials |
//!
//! Real-name data never appears in `Debug`, `Display` or an error message.
// One module holds `unsafe` code: the raw RSA call into AWS-LC
// (`crypto::aws::raw`), allowed there and documented.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod crypto;
pub mod decrypt;
pub mod device_auth;
pub mod error;
pub mod flow;
pub mod http;
pub mod kiosk_api;
pub mod model;
pub mod realname;
pub mod redact;
pub mod sdk;
pub mod time;
pub mod v2;
pub mod v3;

pub use error::{Error, ErrorKind, Result, SignatureFailure};
pub use time::UnixTime;

// The `uniffi` feature: the records of `model` (and `error::ErrorInfo`)
// derive `uniffi::Record` / `uniffi::Enum` for the UniFFI bindings.
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
