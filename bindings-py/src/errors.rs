//! Errors in both directions, through the one flat record of the core
//! ([`ErrorInfo`]).
//!
//! The exception classes are generated Python (`wxface/errors.py`, written
//! by `cargo xtask gen` from the core's catalogue): a core error becomes
//! `wxface.errors._from_json(info)`, an instance of the class of its code
//! with every detail field set. A wxface exception raised by Python code the
//! binding calls back (the merchant backend of an `EmulatedKiosk`) comes
//! back as `Error::from_info(err.info())`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use wxface_core::error::ErrorInfo;
use wxface_core::Error;

/// `wxface.errors._from_json`, imported once.
static FROM_JSON: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `wxface.errors.Error`, imported once.
static BASE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception of a core error: the generated class of its code.
pub fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    info_to_py(py, &e.info())
}

/// The Python exception of an error record.
pub fn info_to_py(py: Python<'_>, info: &ErrorInfo) -> PyErr {
    // An `ErrorInfo` is strings, numbers and booleans: it always serialises.
    let json = serde_json::to_string(info).unwrap_or_default();
    FROM_JSON
        .import(py, "wxface.errors", "_from_json")
        .and_then(|f| f.call1((json,)))
        .map_or_else(|err| err, PyErr::from_value)
}

/// The core error of an exception raised by Python code called back as
/// `what`: a wxface exception through its `info()`; anything else is
/// `internal` naming `what` and the exception's type (never its message,
/// which may quote data).
pub fn from_py(py: Python<'_>, err: &PyErr, what: &str) -> Error {
    let value = err.value(py);
    let info = || -> Option<ErrorInfo> {
        let json = crate::util::json_dumps(py, &value.call_method0("info").ok()?).ok()?;
        serde_json::from_str(&json).ok()
    };
    let is_wxface = BASE
        .import(py, "wxface.errors", "Error")
        .and_then(|base| value.is_instance(base))
        .unwrap_or(false);
    match is_wxface.then(info).flatten() {
        Some(info) => Error::from_info(&info),
        _ => Error::Internal(format!(
            "`{what}` raised {}",
            value
                .get_type()
                .name()
                .map_or_else(|_| "an exception".to_owned(), |n| n.to_string())
        )),
    }
}

/// Extension: `result.py_err(py)?`.
pub trait IntoPyResult<T> {
    /// Map the error through [`to_py`].
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}

/// Every error code of the compiled core, in catalogue order (the drift
/// test compares it with the generated `wxface.errors.error_codes()`).
#[pyfunction]
pub fn error_codes() -> Vec<&'static str> {
    wxface_core::error::codes().collect()
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(error_codes, m)?)
}
