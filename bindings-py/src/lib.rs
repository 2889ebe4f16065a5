//! # wxface-py
//!
//! The Python binding of wxface, imported as `wxface` (this crate is its
//! native part, `wxface._native`; the pure-Python package around it adds the
//! asyncio layer and the web pieces).
//!
//! The test kit `wxface_sandbox` (the sandbox, the emulated kiosk) is another
//! crate, `wxface-sandbox-py` (sandbox/), which shares this crate's error
//! mapping as source.
//!
//! Glue only: conversions, errors as the core's flat record ([`errors`];
//! the exception classes are generated Python) and releasing the GIL around
//! every network and crypto call. The protocol lives in `wxface-core`, the
//! check of a kiosk's device credential in `wxface-client` ([`device_auth`]).

pub mod aio;
pub mod client;
pub mod decrypt;
pub mod device_auth;
pub mod errors;
pub mod log;
pub mod realname;
pub mod util;
pub mod v2;
pub mod v3;
pub mod web;

use pyo3::prelude::*;

/// The native module `wxface._native`.
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
