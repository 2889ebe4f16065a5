//! # wxface-py
//!
//! The Python binding of wxface, imported as `wxface` (this crate is its
//! native part, `wxface._native`; the pure-Python package around it adds the
//! asyncio layer and the web pieces).
//!
//! Built with feature `sandbox`, the same crate is instead the native part of
//! the test kit `wxface_sandbox` (distribution `wxface-sandbox`):
//! `wxface_sandbox._native` holds the sandbox and the emulated kiosk only.
//! The two are separate extension modules, so a class of one is not a class
//! of the other: what the kit hands to `wxface` code (a `ClientConfig`, a
//! `MerchantClient`, a `Decryptor`) it makes by calling `wxface`'s own
//! classes, and both raise `wxface.errors`' exceptions.
//!
//! Glue only: conversions, errors as the core's flat record ([`errors`];
//! the exception classes are generated Python) and releasing the GIL around
//! every network and crypto call. The protocol lives in `wxface-core`, the
//! kiosk flow in `wxface-capture` ([`kiosk`]), the check of a kiosk's
//! device credential in `wxface-client` ([`device_auth`]).

pub mod aio;
pub mod client;
pub mod decrypt;
pub mod device_auth;
pub mod errors;
#[cfg(feature = "sandbox")]
pub mod kiosk;
pub mod log;
pub mod realname;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod util;
pub mod v2;
pub mod v3;
pub mod web;

use pyo3::prelude::*;

/// The native module `wxface._native`.
#[cfg(not(feature = "sandbox"))]
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    realname::register(m)?;
    v2::register(m)?;
    v3::register(m)?;
    decrypt::register(m)?;
    device_auth::register(m)?;
    client::register(m)?;
    aio::register(m)?;
    log::register(m)?;
    web::register(m)?;
    Ok(())
}

/// The native module of the test kit, `wxface_sandbox._native`.
#[cfg(feature = "sandbox")]
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    sandbox::register(m)?;
    kiosk::register(m)?;
    Ok(())
}
