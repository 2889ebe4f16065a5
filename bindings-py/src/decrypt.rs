//! The standalone `Decryptor`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use wxface_core::crypto::{pem, Padding};
use wxface_core::decrypt::Decryptor;
use wxface_core::realname::CredentialType;
use wxface_core::v3::EncryptedRealName;

use crate::errors::{IntoPyResult, MalformedError};
use crate::realname::PyRealName;
use crate::util::{invalid, pem_arg};
use crate::v3::{provider, PyEncryptedRealName, PyFaceUser};

/// Decrypts real-name fields with the (sub-)merchant's private key.
///
/// Needs nothing but that key: in provider mode it runs on the hospital's own
/// system, fed with the encrypted JSON fields the provider's server passed on.
/// `private_key_pem` is PEM text (`str`/`bytes`, PKCS#1 or PKCS#8) or an
/// `os.PathLike`. `padding` is `"pkcs1v15"` (default, as WeChat's sample) or
/// `"oaep-sha1"`; the other one is never tried. Every plaintext is validated
/// (a wrong key shows as `DecryptionError`, never as garbage).
/// Safe to share between threads; the GIL is released while decrypting.
#[pyclass(frozen, module = "wxface", name = "Decryptor")]
pub struct PyDecryptor {
    pub(crate) inner: Decryptor,
}

impl PyDecryptor {
    pub(crate) fn from_core(inner: Decryptor) -> Self {
        Self { inner }
    }
}

/// Parse a padding name.
pub fn padding_arg(py: Python<'_>, s: &str) -> PyResult<Padding> {
    s.parse().py_err(py)
}

fn malformed(py: Python<'_>, reason: &str) -> PyErr {
    crate::errors::make_err(
        py,
        py.get_type::<MalformedError>(),
        "malformed",
        format!("malformed encrypted real name: {reason}"),
        &[],
    )
}

/// The encrypted fields from a `FaceUser`, an `EncryptedRealName`, or a dict
/// with the answer's JSON names (flat, or nested under `real_name_info`).
fn encrypted_arg(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<EncryptedRealName> {
    if let Ok(e) = v.cast::<PyEncryptedRealName>() {
        return Ok(e.get().inner.clone());
    }
    if let Ok(u) = v.cast::<PyFaceUser>() {
        return u.get().inner.real_name.clone().ok_or_else(|| {
            malformed(
                py,
                "the answer carries no real-name fields (info_type was not ASK_REAL_NAME?)",
            )
        });
    }
    if let Ok(d) = v.cast::<PyDict>() {
        if let Some(inner) = d.get_item("real_name_info")? {
            if !inner.is_none() {
                return encrypted_arg(py, &inner);
            }
        }
        let text = |k: &str| -> PyResult<String> {
            match d.get_item(k)? {
                Some(x) if x.is_instance_of::<PyString>() => Ok(x.extract()?),
                _ => Err(malformed(py, &format!("`{k}` is missing or not a string"))),
            }
        };
        let ty: i64 = match d.get_item("credential_type")? {
            Some(x) => x
                .extract::<i64>()
                .or_else(|_| {
                    x.extract::<String>()
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or(())
                })
                .map_err(|_| malformed(py, "`credential_type` is not an integer"))?,
            None => return Err(malformed(py, "`credential_type` is missing")),
        };
        return Ok(EncryptedRealName {
            encrypted_real_name: text("encrypted_real_name")?,
            credential_type: CredentialType::from_code(ty),
            encrypted_credential_id: text("encrypted_credential_id")?,
        });
    }
    Err(invalid(
        py,
        "encrypted",
        "must be a FaceUser, an EncryptedRealName or a dict of the answer's fields",
    ))
}

#[pymethods]
impl PyDecryptor {
    /// # Errors
    /// `ConfigError` when the PEM holds no usable RSA private key,
    /// `InvalidInputError` for an unknown padding.
    #[new]
    #[pyo3(signature = (private_key_pem, padding = "pkcs1v15"))]
    fn py_new(py: Python<'_>, private_key_pem: &Bound<'_, PyAny>, padding: &str) -> PyResult<Self> {
        let padding = padding_arg(py, padding)?;
        let text = pem_arg(py, "private_key_pem", private_key_pem)?;
        let key = py
            .detach(|| pem::load_private_key(provider().as_ref(), &text))
            .py_err(py)?;
        Ok(Self::from_core(Decryptor::from_key(key, padding)))
    }

    /// The configured padding (`"pkcs1v15"` or `"oaep-sha1"`).
    #[getter]
    fn padding(&self) -> &'static str {
        self.inner.padding().as_str()
    }

    /// Decrypt one base64 field into text (non-empty UTF-8 without control
    /// characters).
    ///
    /// # Errors
    /// `DecryptionError` for bad base64, a wrong length, a failed decryption
    /// or an implausible plaintext; the message never contains plaintext.
    fn decrypt_field(&self, py: Python<'_>, ciphertext_b64: &str) -> PyResult<String> {
        let b64 = ciphertext_b64.to_owned();
        let text = py.detach(|| self.inner.decrypt_field(&b64)).py_err(py)?;
        // EXPOSE: the caller asked for the plaintext of one field.
        Ok(text.as_str().to_owned())
    }

    /// Decrypt and validate the identity of an answer: a `FaceUser`, an
    /// `EncryptedRealName`, or a dict with `encrypted_real_name`,
    /// `credential_type`, `encrypted_credential_id` (flat or under
    /// `real_name_info`).
    ///
    /// # Errors
    /// `DecryptionError` (wrong key or padding, implausible name or
    /// credential number for its type — a resident ID must pass GB 11643),
    /// `MalformedError` when fields are missing.
    fn decrypt_real_name(
        &self,
        py: Python<'_>,
        encrypted: &Bound<'_, PyAny>,
    ) -> PyResult<PyRealName> {
        let enc = encrypted_arg(py, encrypted)?;
        py.detach(|| self.inner.decrypt_real_name(&enc))
            .map(PyRealName::new)
            .py_err(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "Decryptor(padding='{}', private_key=<redacted>)",
            self.inner.padding().as_str()
        )
    }
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDecryptor>()?;
    Ok(())
}
