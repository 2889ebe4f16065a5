//! Argument conversions shared by the wrappers.

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};
use wxface_core::time::{Clock, SystemClock};
use wxface_core::{Error, UnixTime};
use zeroize::Zeroizing;

use crate::errors::to_py;

/// `now` when given, else the system clock.
pub fn now_or(now: Option<u64>) -> UnixTime {
    now.map(UnixTime).unwrap_or_else(|| SystemClock.now())
}

/// An `InvalidInputError` about argument `field`.
pub fn invalid(py: Python<'_>, field: &str, reason: &str) -> PyErr {
    to_py(py, &Error::invalid(field, reason))
}

/// A `ConfigError` with `message`.
pub fn config(py: Python<'_>, message: String) -> PyErr {
    to_py(py, &Error::config(message))
}

/// `json.loads(text)`: how serde values reach Python.
pub fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// `json.dumps(v, ensure_ascii=False)`, compact: how Python values reach serde.
pub fn json_dumps(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<String> {
    let kw = PyDict::new(py);
    kw.set_item("ensure_ascii", false)?;
    kw.set_item("separators", (",", ":"))?;
    py.import("json")?
        .call_method("dumps", (v,), Some(&kw))?
        .extract()
}

/// Bytes from `bytes`, `bytearray`, `memoryview` or `str` (UTF-8).
pub fn bytes_arg(py: Python<'_>, field: &str, v: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if v.hasattr("tobytes")? {
        if let Ok(b) = v.call_method0("tobytes")?.cast::<PyBytes>() {
            return Ok(b.as_bytes().to_vec());
        }
    }
    Err(invalid(py, field, "must be bytes or str"))
}

/// PEM text from a `str`, from `bytes`, or read from an `os.PathLike` file.
/// The text is zeroized when dropped; errors never show it.
pub fn pem_arg(py: Python<'_>, field: &str, v: &Bound<'_, PyAny>) -> PyResult<Zeroizing<String>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Zeroizing::new(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return String::from_utf8(b.as_bytes().to_vec())
            .map(Zeroizing::new)
            .map_err(|_| invalid(py, field, "is not UTF-8 PEM text"));
    }
    if v.hasattr("__fspath__")? {
        let path: std::path::PathBuf = v.extract()?;
        return read_pem_file(py, field, &path);
    }
    Err(invalid(
        py,
        field,
        "must be PEM text (str or bytes) or a path (os.PathLike)",
    ))
}

/// Read a PEM file; the error names the argument and the path, not the content.
pub fn read_pem_file(
    py: Python<'_>,
    field: &str,
    path: &std::path::Path,
) -> PyResult<Zeroizing<String>> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|e| {
            config(
                py,
                // The path stays out: it is the caller's text.
                format!("`{field}`: cannot read the file: {e}"),
            )
        })
}

/// Headers from a mapping (anything with `.items()`) or an iterable of
/// `(name, value)` pairs.
pub fn headers_arg(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let pairs = if v.hasattr("items")? {
        v.call_method0("items")?
    } else {
        v.clone()
    };
    let mut out = Vec::new();
    for item in pairs.try_iter()? {
        let item = item?;
        let (k, val): (String, String) = item
            .extract()
            .map_err(|_| invalid(py, "headers", "must map header names to str values"))?;
        out.push((k, val));
    }
    Ok(out)
}

/// An optional string as Python would print it: `'x'` or `None`.
pub fn py_opt(v: Option<&str>) -> String {
    match v {
        Some(s) => py_str(s),
        None => "None".to_owned(),
    }
}

/// A credential or a person's identifier (`face_sid`, `openid`,
/// `sub_openid`) in a `repr()`: `<redacted, 40 chars>`, never the value.
pub fn py_secret(v: &str) -> String {
    format!(
        "<{}>",
        wxface_core::redact::redacted_text(v).trim_matches(['[', ']'])
    )
}

/// [`py_secret`] of an optional value; `None` when absent.
pub fn py_secret_opt(v: Option<&str>) -> String {
    v.map_or_else(|| "None".to_owned(), py_secret)
}

/// A string as Python's `repr()` prints simple text: single quotes, with
/// quotes and backslashes escaped.
pub fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A list of strings as Python would print it.
pub fn py_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_str(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}
