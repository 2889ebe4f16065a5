//! `RealName`, masking and the GB 11643 check.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use wxface_core::realname::{self, CredentialType};
use wxface_core::Error;

use crate::errors::{to_py, IntoPyResult};
use crate::util::json_loads;

/// A verified, decrypted identity. Immutable.
///
/// `repr()` and `str()` show only masked values (`张*三`,
/// `110***********1234`); the full values are reachable only through the
/// explicit `expose_name()` and `expose_credential_id()`. Instances cannot be
/// pickled, and they are not hashable (a hash of personal data would be a
/// lookup key for it).
#[pyclass(frozen, module = "wxface", name = "RealName")]
pub struct PyRealName {
    pub(crate) inner: realname::RealName,
}

impl PyRealName {
    pub(crate) fn new(inner: realname::RealName) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyRealName {
    /// Build from plaintext values (tests, data migrations), validating them
    /// exactly as decrypted values are.
    ///
    /// # Errors
    /// `InvalidInputError` when a value is implausible for its type (the
    /// same check that makes a wrong key a `DecryptionError`): `.field` is
    /// `real_name` or `credential_id`, the message names the rule only.
    #[new]
    #[pyo3(signature = (name, credential_type, credential_id))]
    fn py_new(
        py: Python<'_>,
        name: String,
        credential_type: i64,
        credential_id: String,
    ) -> PyResult<Self> {
        realname::RealName::new(
            name,
            CredentialType::from_code(credential_type),
            credential_id,
        )
        .map(Self::new)
        .py_err(py)
    }

    /// The full name. Personal data: store or show it only under the
    /// hospital's own controls.
    fn expose_name(&self) -> &str {
        // EXPOSE: the caller asked for the full value by name.
        self.inner.expose_name()
    }

    /// The full credential number. Personal data (see `expose_name`).
    fn expose_credential_id(&self) -> &str {
        // EXPOSE: the caller asked for the full value by name.
        self.inner.expose_credential_id()
    }

    /// The credential type code (1 = resident ID card, 2 = passport, … 11 = other).
    #[getter]
    fn credential_type(&self) -> i64 {
        self.inner.credential_type().code()
    }

    /// The credential type as WeChat's documentation names it (`身份证`, `护照`, …).
    #[getter]
    fn credential_type_label(&self) -> &'static str {
        self.inner.credential_type().label_zh()
    }

    /// The masked name (`张*三`).
    #[getter]
    fn masked_name(&self) -> String {
        self.inner.masked_name()
    }

    /// The masked credential number (`110***********1234`).
    #[getter]
    fn masked_credential_id(&self) -> String {
        self.inner.masked_credential_id()
    }

    /// The masked identity as a dict, safe to send to a kiosk:
    /// `{"name": "张*三", "credential_type": 1, "credential_id": "110***********1234"}`.
    fn masked<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let json = serde_json::to_string(&self.inner.masked()).unwrap_or_default();
        json_loads(py, &json)
    }

    /// A JSON-ready dict, masked unless `expose=True`:
    /// `{"name", "credential_type", "credential_type_label", "credential_id",
    /// "masked"}`. With `expose=True` the full name and number (personal
    /// data: for the hospital's own records only).
    #[pyo3(signature = (*, expose = false))]
    fn to_dict<'py>(&self, py: Python<'py>, expose: bool) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        if expose {
            // EXPOSE: the caller asked for the full values with `expose=True`.
            d.set_item("name", self.inner.expose_name())?;
        } else {
            d.set_item("name", self.inner.masked_name())?;
        }
        d.set_item("credential_type", self.inner.credential_type().code())?;
        d.set_item(
            "credential_type_label",
            self.inner.credential_type().label_zh(),
        )?;
        if expose {
            // EXPOSE: as above.
            d.set_item("credential_id", self.inner.expose_credential_id())?;
        } else {
            d.set_item("credential_id", self.inner.masked_credential_id())?;
        }
        d.set_item("masked", !expose)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "RealName(name='{}', credential_type={}, credential_id='{}')",
            self.inner.masked_name(),
            self.inner.credential_type().code(),
            self.inner.masked_credential_id()
        )
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyRealName>()
            .map(|o| o.get().inner == self.inner)
            .unwrap_or(false)
    }
}

/// Mask a name: `张三` → `张*`, `张小三` → `张*三`, `欧阳小明` → `欧**明`, one
/// character → `*`.
#[pyfunction]
pub fn mask_name(name: &str) -> String {
    realname::mask_name(name)
}

/// Mask a credential number: 15 characters or more keep the first 3 and last
/// 4 (`110***********1234`), 6-14 the first and last 2 (`E******78`), 4-5 the
/// last one, fewer nothing; never more than half.
#[pyfunction]
pub fn mask_credential_id(credential_id: &str) -> String {
    realname::mask_credential_id(credential_id)
}

/// Check an 18-character resident ID number (GB 11643-1999): shape, birth
/// date and check digit; a lowercase `x` is accepted.
///
/// Returns `None` when the number is valid.
///
/// # Errors
/// `InvalidInputError` (code `invalid_input`, `.field == "credential_id"`)
/// whose `.reason` is one of `"length"`, `"characters"`, `"birth_date"`,
/// `"check_digit"`. The message never contains the number.
#[pyfunction]
pub fn check_resident_id(py: Python<'_>, credential_id: &str) -> PyResult<()> {
    realname::check_resident_id(credential_id).map_err(|p| {
        let e = to_py(py, &Error::invalid("credential_id", p.describe()));
        match e.value(py).setattr("reason", p.as_str()) {
            Ok(()) => e,
            Err(other) => other,
        }
    })
}

/// Whether `credential_id` is a valid 18-character resident ID number
/// (the boolean form of `check_resident_id`).
#[pyfunction]
pub fn is_resident_id(credential_id: &str) -> bool {
    realname::check_resident_id(credential_id).is_ok()
}

/// The label of a credential type code (`1` → `身份证`; unknown → `未知证件`).
#[pyfunction]
pub fn credential_type_label(credential_type: i64) -> &'static str {
    CredentialType::from_code(credential_type).label_zh()
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRealName>()?;
    m.add_function(wrap_pyfunction!(mask_name, m)?)?;
    m.add_function(wrap_pyfunction!(mask_credential_id, m)?)?;
    m.add_function(wrap_pyfunction!(check_resident_id, m)?)?;
    m.add_function(wrap_pyfunction!(is_resident_id, m)?)?;
    m.add_function(wrap_pyfunction!(credential_type_label, m)?)?;
    Ok(())
}
