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

/// The log bridge of `wxface` (`wxface._logs`): installed on first use, as
/// the client does it.
mod log {
    use pyo3::prelude::*;

    /// Let `wxface` install its logging bridge (`wxface._logs._auto_install`).
    pub fn ensure(py: Python<'_>) {
        static TRIED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if TRIED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if let Ok(m) = py.import("wxface._logs") {
            let _ = m.call_method0("_auto_install");
        }
    }

    /// Deliver `wxface`'s pending log records (`wxface.flush_logs`).
    pub fn flush() {
        Python::attach(|py| {
            if let Ok(m) = py.import("wxface._native") {
                let _ = m.call_method1("flush_logs", (1.0,));
            }
        });
    }
}

use pyo3::prelude::*;

/// The native module of the test kit, `wxface_sandbox._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    sandbox::register(m)?;
    kiosk::register(m)?;
    Ok(())
}
