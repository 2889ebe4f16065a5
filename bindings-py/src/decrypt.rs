//! The `Decryptor` (direct mode: the identity of a verified `FaceUser`) and
//! the `RealNameReceiver` (provider mode: the hospital verifies the answer
//! the provider forwards, then decrypts it).
//!
//! Neither decrypts a ciphertext that did not come out of an answer whose
//! signature verified: the core's `EncryptedRealName` has no constructor,
//! and this binding offers no way around that.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use wxface_core::crypto::{pem, Padding};
use wxface_core::decrypt::{Decryptor, RealNameReceiver};
use wxface_core::v3::{EncryptedRealName, PlatformKeyStore, ResponseVerifier};
use wxface_core::Error;

use crate::errors::{to_py, IntoPyResult};
use crate::realname::PyRealName;
use crate::util::{config, pem_arg, py_list};
use crate::v3::{provider, PyEncryptedRealName, PyFaceUser, PySignedAnswer};

/// Decrypts the real-name fields of a verified answer with the
/// (sub-)merchant's private key.
///
/// Direct mode: `decrypt_real_name(user)` on the `FaceUser` that
/// `MerchantClient.query_user` (or `parse_users_response`) returned after
/// verifying the answer. It decrypts nothing else — no loose fields, no
/// dicts — so it cannot serve as a decryption oracle. Provider mode: the
/// hospital uses `RealNameReceiver`, which verifies the forwarded answer
/// itself. `private_key_pem` is PEM text (`str`/`bytes`, PKCS#1 or PKCS#8) or an
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

/// The encrypted fields of a verified answer: a `FaceUser` (from
/// `MerchantClient.query_user` or `parse_users_response`) or its
/// `real_name`. Nothing else reaches the key: ciphertexts from a dict, a
/// JSON text or a forwarded answer that was not verified here cannot be
/// decrypted (provider mode goes through `RealNameReceiver`).
fn encrypted_arg(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<EncryptedRealName> {
    if let Ok(e) = v.cast::<PyEncryptedRealName>() {
        return Ok(e.get().inner.clone());
    }
    if let Ok(u) = v.cast::<PyFaceUser>() {
        return u.get().inner.real_name.clone().ok_or_else(|| {
            let reason = "no real-name fields (was ASK_REAL_NAME granted?)";
            to_py(py, &Error::malformed("facemch users answer", reason))
        });
    }
    Err(PyTypeError::new_err(
        "decrypt_real_name takes a FaceUser returned by MerchantClient.query_user or \
         parse_users_response (or its real_name); a forwarded answer goes to RealNameReceiver.receive",
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
        let padding: Padding = padding.parse().py_err(py)?;
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

    /// Decrypt and validate the identity of a verified answer: a `FaceUser`
    /// returned by `MerchantClient.query_user` or `parse_users_response`, or
    /// its `real_name`.
    ///
    /// # Errors
    /// `DecryptionError` — one code, one message — whatever went wrong (wrong
    /// key or padding, a corrupted ciphertext, an implausible name or
    /// credential number for its type); `MalformedError` when the answer has
    /// no real-name fields; `TypeError` for anything but a verified answer.
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

/// The hospital's end of provider mode (服务商): verifies the signed answer
/// the provider forwards (`SignedAnswer`, from the provider's
/// `MerchantClient.query_user_signed`) with WeChat Pay's platform key, and
/// only then decrypts it with the hospital's own private key.
///
/// `private_key_pem` is the hospital's (sub-merchant's) key;
/// `platform_public_key_pem` with its `pub_key_id` (`PUB_KEY_ID_…`) and/or
/// `platform_certificate_pem` are the platform keys to trust (at least one).
/// Keys are PEM text (`str`/`bytes`) or an `os.PathLike`. `padding` is
/// `"pkcs1v15"` (default) or `"oaep-sha1"`. The timestamp window (300 s) is
/// checked against the system clock, never against a caller's time. Safe to
/// share between threads; the GIL is released while verifying and
/// decrypting.
#[pyclass(frozen, module = "wxface", name = "RealNameReceiver")]
pub struct PyRealNameReceiver {
    inner: RealNameReceiver,
    platform_key_ids: Vec<String>,
    padding: Padding,
}

#[pymethods]
impl PyRealNameReceiver {
    /// # Errors
    /// `ConfigError` without a platform key, with a public key but no
    /// `pub_key_id` (or the reverse), or for an unusable key;
    /// `InvalidInputError` for a bad `pub_key_id` or an unknown padding.
    #[new]
    #[pyo3(signature = (private_key_pem, *, platform_public_key_pem = None, pub_key_id = None, platform_certificate_pem = None, padding = "pkcs1v15"))]
    fn py_new(
        py: Python<'_>,
        private_key_pem: &Bound<'_, PyAny>,
        platform_public_key_pem: Option<&Bound<'_, PyAny>>,
        pub_key_id: Option<String>,
        platform_certificate_pem: Option<&Bound<'_, PyAny>>,
        padding: &str,
    ) -> PyResult<Self> {
        let padding: Padding = padding.parse().py_err(py)?;
        let public_key =
            match (platform_public_key_pem, pub_key_id) {
                (Some(pem_text), Some(id)) => {
                    Some((id, pem_arg(py, "platform_public_key_pem", pem_text)?))
                }
                (None, None) => None,
                _ => return Err(config(
                    py,
                    "the platform public key needs both `platform_public_key_pem` and `pub_key_id`"
                        .into(),
                )),
            };
        let certificate = platform_certificate_pem
            .map(|c| pem_arg(py, "platform_certificate_pem", c))
            .transpose()?;
        if public_key.is_none() && certificate.is_none() {
            return Err(config(
                py,
                "a RealNameReceiver needs a platform key: `platform_public_key_pem` with `pub_key_id`, or `platform_certificate_pem`"
                    .into(),
            ));
        }
        let private = pem_arg(py, "private_key_pem", private_key_pem)?;
        py.detach(|| {
            let p = provider();
            let mut store = PlatformKeyStore::new();
            if let Some((id, pem_text)) = &public_key {
                store.add_public_key_pem(p.as_ref(), id, pem_text)?;
            }
            if let Some(pem_text) = &certificate {
                store.add_certificate_pem(p.as_ref(), pem_text)?;
            }
            let key = pem::load_private_key(p.as_ref(), &private)?;
            let platform_key_ids: Vec<String> =
                store.ids().into_iter().map(str::to_owned).collect();
            Ok::<_, Error>(Self {
                inner: RealNameReceiver::new(
                    ResponseVerifier::new(store),
                    Decryptor::from_key(key, padding),
                ),
                platform_key_ids,
                padding,
            })
        })
        .py_err(py)
    }

    /// Verify the forwarded answer — a `SignedAnswer`, its JSON text (`str`
    /// or `bytes`) or its dict — and decrypt its identity.
    ///
    /// # Errors
    /// `SignatureError` (`signature_*`) when the answer does not verify:
    /// edited, signed by an unknown key, stale, headers missing — nothing is
    /// decrypted then; `BackendError` for a forwarded error answer;
    /// `MalformedError` for a bad JSON form or an answer without real-name
    /// fields; `DecryptionError` — one code, one message — when the fields
    /// do not decrypt to a plausible identity with this key and padding;
    /// `TypeError` for another type of argument.
    fn receive(&self, py: Python<'_>, answer: &Bound<'_, PyAny>) -> PyResult<PyRealName> {
        let answer = PySignedAnswer::from_arg(py, answer)?;
        py.detach(|| self.inner.receive(&answer))
            .map(PyRealName::new)
            .py_err(py)
    }

    /// Ids of the trusted platform keys (`PUB_KEY_ID_…`, certificate serials).
    #[getter]
    fn platform_key_ids(&self) -> Vec<String> {
        self.platform_key_ids.clone()
    }

    /// The configured padding (`"pkcs1v15"` or `"oaep-sha1"`).
    #[getter]
    fn padding(&self) -> &'static str {
        self.padding.as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "RealNameReceiver(platform_keys={}, padding='{}', private_key=<redacted>)",
            py_list(&self.platform_key_ids),
            self.padding.as_str()
        )
    }
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDecryptor>()?;
    m.add_class::<PyRealNameReceiver>()?;
    Ok(())
}
