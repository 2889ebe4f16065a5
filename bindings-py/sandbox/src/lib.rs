#![forbid(unsafe_code)]
//! wxface-sandbox-py
//!
//! The native part of wxface's Python test kit, `wxface_sandbox._native`
//! (distribution `wxface-sandbox`): the embedded sandbox and the emulated
//! kiosk. A crate of its own, so that the production package `wxface`
//! carries none of it, not even in its sdist.
//!
//! It is a separate extension module from `wxface._native`, so a class of one
//! is not a class of the other: what the kit hands to `wxface` code (a
//! `ClientConfig`, a `MerchantClient`, a `Decryptor`) it makes by calling
//! `wxface`'s own classes, and it raises `wxface.errors`' exceptions through
//! the binding's error mapping, shared as source with `wxface-py`.

#[allow(dead_code)]
#[path = "../../src/errors.rs"]
mod errors;
pub mod kiosk;
pub mod sandbox;
#[allow(dead_code)]
#[path = "../../src/util.rs"]
mod util;

/// The bridge of this module's `tracing` events to Python's `logging`,
/// driven by `wxface._logs` (`enable_logging`, `flush_logs`, …) like
/// `wxface`'s own.
#[allow(dead_code)]
#[path = "../../src/log.rs"]
mod log;

use pyo3::prelude::*;

/// The native module of the test kit, `wxface_sandbox._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    sandbox::register(m)?;
    kiosk::register(m)?;
    log::register(m)?;
    Ok(())
}
