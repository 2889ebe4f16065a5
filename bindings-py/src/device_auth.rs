//! Device credentials of the kiosk API (`wxface_core::device_auth`), for a
//! HIS that serves `docs/merchant-api.md` itself and must let in its kiosks
//! the way the reference server does.
//!
//! Glue only: `DeviceCredential` wraps the core's type; `authenticate_device`
//! runs the reference server's own check (`wxface_client::devices::authenticate`)
//! over the HIS's device table, reached through a Python `lookup(key_id)`
//! callable; `check_device_id` is the core's rule for a device id.

use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use wxface_client::devices::{self, DeviceRecord, DeviceStore};
use wxface_core::device_auth::{self, DeviceCredential, Verifier};
use wxface_core::time::OsEntropy;
use wxface_core::{Error, UnixTime};

use crate::errors::IntoPyResult;

/// A device credential of the kiosk API: `wxfd1.<key id>.<secret>`, the
/// kiosk's only secret, sent as `Authorization: Bearer <credential>`.
///
/// `repr()` and `str()` show the key id only; the whole text is reachable
/// only through `expose()` (and `authorization()`). Instances cannot be
/// pickled and are not hashable.
#[pyclass(frozen, module = "wxface", name = "DeviceCredential")]
pub struct PyDeviceCredential {
    inner: DeviceCredential,
}

#[pymethods]
impl PyDeviceCredential {
    /// A new credential from the operating system's random source.
    #[staticmethod]
    fn generate() -> Self {
        Self {
            inner: DeviceCredential::generate(&OsEntropy),
        }
    }

    /// Parse a credential's text (surrounding whitespace ignored).
    ///
    /// # Errors
    /// `UnauthenticatedError` for text that is not a credential; the message
    /// never quotes it.
    #[staticmethod]
    fn parse(py: Python<'_>, text: &str) -> PyResult<Self> {
        DeviceCredential::parse(text)
            .map(|inner| Self { inner })
            .py_err(py)
    }

    /// The credential of an `Authorization` header value (`Bearer <credential>`).
    ///
    /// # Errors
    /// `UnauthenticatedError`: no header (`None`), another scheme, or not a
    /// credential.
    #[staticmethod]
    #[pyo3(signature = (authorization))]
    fn from_authorization(py: Python<'_>, authorization: Option<&str>) -> PyResult<Self> {
        DeviceCredential::from_authorization(authorization)
            .map(|inner| Self { inner })
            .py_err(py)
    }

    /// The key id (16 hex digits): finds the server's record; not secret.
    #[getter]
    fn key_id(&self) -> &str {
        self.inner.key_id()
    }

    /// The whole text, to hand to the kiosk once (or to send).
    fn expose(&self) -> &str {
        // EXPOSE: the caller asked for the credential by name.
        self.inner.expose()
    }

    /// The `Authorization` header value: `Bearer <credential>`.
    fn authorization(&self) -> String {
        // EXPOSE: the header carries the credential.
        self.inner.authorization().to_string()
    }

    /// What the server stores instead of the secret: 64 lowercase hex digits
    /// (SHA-256 over a fixed label, the key id and the secret).
    fn verifier(&self) -> String {
        self.inner.verifier().to_hex()
    }

    /// Whether this credential is the one `verifier` (64 hex digits) was
    /// made from, compared in constant time.
    ///
    /// # Errors
    /// `ConfigError` when `verifier` is not 64 hex digits.
    fn matches(&self, py: Python<'_>, verifier: &str) -> PyResult<bool> {
        Verifier::from_hex(verifier)
            .map(|v| v.matches(&self.inner))
            .py_err(py)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }

    fn __str__(&self) -> String {
        format!("{:?}", self.inner)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyDeviceCredential>()
            .map(|o| o.get().inner == self.inner)
            .unwrap_or(false)
    }
}

/// The HIS's device table as a [`DeviceStore`]: `find` calls the Python
/// `lookup(key_id)`, which answers `None` or `(device_id, verifier_hex,
/// revoked)`. [`devices::authenticate`] only calls `find`.
struct Lookup {
    lookup: Py<PyAny>,
    raised: Mutex<Option<PyErr>>,
}

impl Lookup {
    fn record(&self, py: Python<'_>, key_id: &str) -> PyResult<Option<DeviceRecord>> {
        let row = self.lookup.bind(py).call1((key_id,))?;
        if row.is_none() {
            return Ok(None);
        }
        let (device_id, verifier, revoked): (String, String, Bound<'_, PyAny>) =
            row.extract().map_err(|_| {
                crate::util::invalid(
                    py,
                    "lookup",
                    "must return None or (device_id, verifier_hex, revoked)",
                )
            })?;
        let verifier = Verifier::from_hex(&verifier).py_err(py)?;
        Ok(Some(DeviceRecord {
            device_id,
            key_id: key_id.to_owned(),
            verifier,
            label: None,
            created_at: UnixTime(0),
            revoked_at: revoked.is_truthy()?.then_some(UnixTime(0)),
        }))
    }
}

impl DeviceStore for Lookup {
    fn insert(&self, _: &DeviceRecord) -> Result<(), Error> {
        Err(Error::Internal("the device lookup only finds".into()))
    }

    fn find(&self, key_id: &str) -> Result<Option<DeviceRecord>, Error> {
        Python::attach(|py| {
            self.record(py, key_id).map_err(|e| {
                *self.raised.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                Error::Internal("the device lookup raised".into())
            })
        })
    }

    fn list(&self) -> Result<Vec<DeviceRecord>, Error> {
        Ok(Vec::new())
    }

    fn revoke(&self, _: &str, _: UnixTime) -> Result<usize, Error> {
        Ok(0)
    }
}

/// The device of a kiosk request, from its `Authorization` header value:
/// the reference server's own check, over the HIS's device table.
///
/// `lookup(key_id)` answers `None` for an unknown key id, else the stored
/// `(device_id, verifier_hex, revoked)` (`revoked` is tested for truth, so a
/// SQLite `revoked_at IS NOT NULL` column does).
///
/// # Errors
/// `UnauthenticatedError`: no header, not `Bearer <credential>`, an unknown
/// key id or a wrong secret (the same answer), or a revoked credential.
/// `ConfigError`: a stored verifier that is not 64 hex digits. An exception
/// `lookup` raises is raised as it is.
#[pyfunction]
#[pyo3(signature = (authorization, lookup))]
pub fn authenticate_device(
    py: Python<'_>,
    authorization: Option<&str>,
    lookup: Py<PyAny>,
) -> PyResult<String> {
    let store = Lookup {
        lookup,
        raised: Mutex::new(None),
    };
    let result = devices::authenticate(&store, authorization);
    if let Some(e) = store
        .raised
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        return Err(e);
    }
    result.py_err(py)
}

/// Check a device id: 1 to 32 characters without control characters.
///
/// # Errors
/// `InvalidInputError` on `device_id`.
#[pyfunction]
pub fn check_device_id(py: Python<'_>, device_id: &str) -> PyResult<()> {
    device_auth::check_device_id(device_id).py_err(py)
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDeviceCredential>()?;
    m.add_function(wrap_pyfunction!(authenticate_device, m)?)?;
    m.add_function(wrap_pyfunction!(check_device_id, m)?)?;
    Ok(())
}
