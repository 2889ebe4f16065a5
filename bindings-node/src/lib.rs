//! # wxface-node
//!
//! The Node.js binding of wxface (npm package `@wxface/node`). Glue only:
//! argument conversion, error records and async plumbing over the Rust crates.
//!
//! | module | JS surface |
//! |---|---|
//! | [`error`] | core errors as instances of the generated JS classes (`lib/errors.js`) |
//! | [`sdk`] | `sdk.*`: face SDK request builders and response parsers |
//! | [`v2`] | `v2.*`: `get_wxpayface_authinfo` signing, verification, XML |
//! | [`v3`] | `v3.*`: APIv3 `Authorization` signing, answer verification, `facemch/users`; `EncryptedRealName` (opaque), `SignedAnswer` |
//! | [`identity`] | `RealName`: a decrypted identity, masked unless `exposeName()` / `exposeCredentialId()` |
//! | [`decrypt`] | `Decryptor`, `RealNameReceiver`: real-name decryption of verified answers with the hospital's key |
//! | [`merchant`] | `MerchantClient` (configured by `ClientSettings`): authinfo, identity query (also as the signed answer, for provider mode), real name (merchant server) |
//! | [`kiosk`] | `FaceSdk`, `CancelToken`, `NativeKiosk` (wrapped as `Kiosk` by `index.js`) |
//! | [`log`] | `setLogger` (wrapper): `tracing` events as `wxface-log` records to a JS function |
//! | [`names`] | the core's names behind the unions of `index.d.ts` (for their drift test) |
//! | [`dev`] | `dev.startDevServer()`: sandbox + reference merchant server (feature `dev`) |
//!
//! Feature `merchant` (on by default) brings `decrypt`, `merchant`, `v2` and
//! `v3`; without it (`--no-default-features`) the addon is the kiosk's only:
//! no key handling, no RSA, no merchant client.
//!
//! Blocking work (RSA, face SDK calls, HTTP) runs on background threads and
//! settles a Promise on the JS thread; nothing here blocks the event loop.
//!
//! The `#[napi]` macros expand to `unsafe` FFI glue, which is why this crate
//! (and only this crate) allows `unsafe_code`; the hand-written code in it
//! contains no `unsafe` block.
#![allow(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "merchant")]
pub mod decrypt;
#[cfg(feature = "dev")]
pub mod dev;
pub mod error;
pub mod http;
pub mod identity;
pub mod kiosk;
pub mod log;
#[cfg(feature = "merchant")]
pub mod merchant;
pub mod names;
mod record;
mod runtime;
pub mod sdk;
#[cfg(feature = "merchant")]
pub mod v2;
#[cfg(feature = "merchant")]
pub mod v3;
