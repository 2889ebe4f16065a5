//! The exception hierarchy and the one mapping from Rust errors to it.
//!
//! Every exception is a subclass of `wxface.Error` and carries `.code`, the
//! stable snake_case code of the Rust error (`signature_mismatch`,
//! `decryption`, …). [`BackendError`] also carries `.status`, `.message`
//! and `.detail` from WeChat Pay. Messages come from the Rust errors, which
//! never contain secrets or personal data.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::BoundObject;
use wxface_core::{Error as CoreError, ErrorKind};

create_exception!(
    wxface,
    Error,
    PyException,
    "Base class of every wxface error. `.code` is the stable snake_case code of the underlying Rust error."
);
create_exception!(
    wxface,
    InvalidInputError,
    Error,
    "A value breaks a field rule of the protocol (codes `invalid_input`, `sdk_version`). The message names the field and the rule, never the value."
);
create_exception!(
    wxface,
    SignatureError,
    Error,
    "A signature was missing, malformed, stale, from an unknown key, or did not verify (codes `signature_*`)."
);
create_exception!(
    wxface,
    DecryptionError,
    Error,
    "A real-name field could not be decrypted into a plausible plaintext: wrong key or padding, or a corrupted ciphertext (code `decryption`)."
);
create_exception!(
    wxface,
    ExpiredError,
    Error,
    "A credential (authinfo, face session) is past its expiry (code `expired`)."
);
create_exception!(
    wxface,
    BackendError,
    Error,
    "WeChat Pay (or the sandbox) answered with an error (code `backend`). `.status` is the HTTP status (None for v2 and for the sandbox's v2 faults), `.wechat_code` WeChat's own code such as `SYSTEM_ERROR`, `.message` WeChat's text, `.detail` the APIv3 detail as JSON text (or None), `.retryable` whether the same call may be retried unchanged."
);
create_exception!(
    wxface,
    TransportError,
    Error,
    "The request did not get an HTTP answer: connection refused, timeout, TLS failure (code `transport`)."
);
create_exception!(
    wxface,
    SdkError,
    Error,
    "The face SDK (or its emulator) answered with an error (code `sdk`)."
);
create_exception!(
    wxface,
    StateError,
    Error,
    "An event arrived that the flow does not accept in its current state (code `state`)."
);
create_exception!(
    wxface,
    ConfigError,
    Error,
    "Configuration is incomplete or a key could not be loaded (code `config`)."
);
create_exception!(
    wxface,
    MalformedError,
    Error,
    "A message could not be parsed: bad XML or JSON, a missing field, an oversize body (code `malformed`)."
);

/// Codes the binding adds to the core's list (errors that only exist outside
/// the sans-IO core).
pub const BINDING_CODES: &[&str] = &["transport"];

/// The exception class for a stable code; `None` for a code this binding does
/// not know (the drift test makes sure there is none).
pub fn class_for_code<'py>(py: Python<'py>, code: &str) -> Option<Bound<'py, PyType>> {
    let t = match code {
        "invalid_input" | "sdk_version" => py.get_type::<InvalidInputError>(),
        "signature_missing"
        | "signature_unknown_serial"
        | "signature_stale_timestamp"
        | "signature_mismatch"
        | "signature_malformed" => py.get_type::<SignatureError>(),
        "decryption" => py.get_type::<DecryptionError>(),
        "expired" => py.get_type::<ExpiredError>(),
        "backend" => py.get_type::<BackendError>(),
        "transport" => py.get_type::<TransportError>(),
        "sdk" => py.get_type::<SdkError>(),
        "state" => py.get_type::<StateError>(),
        "config" => py.get_type::<ConfigError>(),
        "malformed" => py.get_type::<MalformedError>(),
        _ => return None,
    };
    Some(t)
}

/// Build an exception of class `class` with `.code` and extra attributes.
pub fn make_err(
    py: Python<'_>,
    class: Bound<'_, PyType>,
    code: &str,
    message: String,
    extra: &[(&str, Option<Bound<'_, PyAny>>)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let value = class.call1((message.clone(),))?;
        value.setattr("code", code)?;
        for (name, v) in extra {
            match v {
                Some(v) => value.setattr(*name, v)?,
                None => value.setattr(*name, py.None())?,
            }
        }
        Ok(PyErr::from_value(value))
    };
    build().unwrap_or_else(|e| e)
}

/// The one mapping from a core error to a Python exception. Exhaustive over
/// [`ErrorKind`]: a new kind in the core fails to compile here.
pub fn core_err(py: Python<'_>, e: &CoreError) -> PyErr {
    let code = e.code();
    let message = e.to_string();
    let class = match e.kind() {
        ErrorKind::InvalidInput | ErrorKind::SdkVersion => py.get_type::<InvalidInputError>(),
        ErrorKind::Sdk => py.get_type::<SdkError>(),
        ErrorKind::Backend => py.get_type::<BackendError>(),
        ErrorKind::Malformed => py.get_type::<MalformedError>(),
        ErrorKind::Signature => py.get_type::<SignatureError>(),
        ErrorKind::Decryption => py.get_type::<DecryptionError>(),
        ErrorKind::Expired => py.get_type::<ExpiredError>(),
        ErrorKind::State => py.get_type::<StateError>(),
        ErrorKind::Config => py.get_type::<ConfigError>(),
        // `ErrorKind` is non-exhaustive: a kind added later is still a wxface.Error.
        _ => py.get_type::<Error>(),
    };
    let extra: Vec<(&str, Option<Bound<'_, PyAny>>)> = match e {
        CoreError::Backend {
            status,
            code: wx_code,
            message: wx_message,
            detail,
        } => backend_attrs(
            py,
            *status,
            wx_code,
            wx_message,
            detail.as_deref(),
            e.is_retryable(),
        ),
        CoreError::Sdk {
            return_code,
            err_code,
            cmd,
            ..
        } => vec![
            ("cmd", obj(py, cmd.as_str())),
            ("return_code", obj(py, return_code.as_str())),
            ("err_code", err_code.as_deref().and_then(|c| obj(py, c))),
        ],
        CoreError::InvalidInput { field, .. } => vec![("field", obj(py, field.as_str()))],
        _ => Vec::new(),
    };
    make_err(py, class, code, message, &extra)
}

/// Attributes of a [`BackendError`]: `status`, `wechat_code`, `message`,
/// `detail`, `retryable`.
pub fn backend_attrs<'py>(
    py: Python<'py>,
    status: Option<u16>,
    wx_code: &str,
    wx_message: &str,
    detail: Option<&str>,
    retryable: bool,
) -> Vec<(&'static str, Option<Bound<'py, PyAny>>)> {
    vec![
        ("status", status.and_then(|s| obj(py, s))),
        ("wechat_code", obj(py, wx_code)),
        ("message", obj(py, wx_message)),
        ("detail", detail.and_then(|d| obj(py, d))),
        ("retryable", obj(py, retryable)),
    ]
}

/// A Rust value as a Python object (`None` if the conversion fails, which it
/// does not for strings, integers and booleans).
pub fn obj<'py, T>(py: Python<'py>, v: T) -> Option<Bound<'py, PyAny>>
where
    T: IntoPyObject<'py>,
{
    v.into_pyobject(py).ok().map(|b| b.into_any().into_bound())
}

/// Extension: `result.py_err(py)?`.
pub trait IntoPyResult<T> {
    /// Map the error through [`core_err`].
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, CoreError> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| core_err(py, &e))
    }
}

/// Every code this binding maps: the core's list plus [`BINDING_CODES`].
#[pyfunction]
pub fn error_codes() -> Vec<&'static str> {
    CoreError::ALL_CODES
        .iter()
        .chain(BINDING_CODES)
        .copied()
        .collect()
}

/// The exception class raised for a stable code, or `None` for an unknown code.
#[pyfunction]
pub fn error_class_for_code<'py>(py: Python<'py>, code: &str) -> Option<Bound<'py, PyType>> {
    class_for_code(py, code)
}

/// Register the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("Error", py.get_type::<Error>())?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    m.add("SignatureError", py.get_type::<SignatureError>())?;
    m.add("DecryptionError", py.get_type::<DecryptionError>())?;
    m.add("ExpiredError", py.get_type::<ExpiredError>())?;
    m.add("BackendError", py.get_type::<BackendError>())?;
    m.add("TransportError", py.get_type::<TransportError>())?;
    m.add("SdkError", py.get_type::<SdkError>())?;
    m.add("StateError", py.get_type::<StateError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("MalformedError", py.get_type::<MalformedError>())?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(error_class_for_code, m)?)?;
    Ok(())
}
