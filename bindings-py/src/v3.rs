//! APIv3 helpers for callers with their own HTTP stack: request signing,
//! answer verification, the identity query and its answer.

use std::sync::{Arc, OnceLock, RwLock};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyMemoryView, PyString};
use wxface_core::crypto::{self, pem, CryptoProvider};
use wxface_core::time::{nonce, OsEntropy};
use wxface_core::v3::{self, InfoType, MerchantSigner, PlatformKeyStore, UsersQuery};

use crate::errors::IntoPyResult;
use crate::util::py_secret_opt;
use crate::util::{bytes_arg, headers_arg, json_dumps, json_loads, now_or, pem_arg, py_list};

/// The crypto provider of this build (AWS-LC), created once.
pub fn provider() -> &'static Arc<dyn CryptoProvider> {
    static P: OnceLock<Arc<dyn CryptoProvider>> = OnceLock::new();
    P.get_or_init(crypto::default_provider)
}

/// Signs APIv3 requests for one merchant (in provider mode: the provider).
///
/// `private_key_pem` is the merchant API certificate's private key: PEM text
/// (`str`/`bytes`, PKCS#1 or PKCS#8) or an `os.PathLike` to read it from.
/// The key never leaves Rust and is not shown by `repr()`.
#[pyclass(frozen, module = "wxface", name = "Signer")]
pub struct PySigner {
    inner: MerchantSigner,
}

#[pymethods]
impl PySigner {
    /// # Errors
    /// `ConfigError` for an unusable key, `InvalidInputError` for an
    /// implausible `mchid`, `serial_no` or `platform_serial`.
    #[new]
    #[pyo3(signature = (mchid, serial_no, private_key_pem, *, platform_serial = None))]
    fn py_new(
        py: Python<'_>,
        mchid: String,
        serial_no: String,
        private_key_pem: &Bound<'_, PyAny>,
        platform_serial: Option<String>,
    ) -> PyResult<Self> {
        let pem_text = pem_arg(py, "private_key_pem", private_key_pem)?;
        let key = py
            .detach(|| pem::load_private_key(provider().as_ref(), &pem_text))
            .py_err(py)?;
        let mut inner = MerchantSigner::new(mchid, serial_no, key).py_err(py)?;
        if let Some(s) = platform_serial {
            inner = inner.with_platform_serial(s).py_err(py)?;
        }
        Ok(Self { inner })
    }

    /// The merchant id.
    #[getter]
    fn mchid(&self) -> &str {
        self.inner.mchid()
    }

    /// The merchant certificate serial.
    #[getter]
    fn serial_no(&self) -> &str {
        self.inner.serial_no()
    }

    /// The `Wechatpay-Serial` to send with requests, if configured.
    #[getter]
    fn platform_serial(&self) -> Option<&str> {
        self.inner.platform_serial()
    }

    /// The `Authorization` header value for a request.
    ///
    /// `path` includes the query string, percent-encoded as sent. `body` is
    /// empty for a GET. `timestamp` (Unix seconds) and `nonce` default to the
    /// clock and a fresh 32-character random nonce. The GIL is released
    /// while signing.
    ///
    /// # Errors
    /// `InvalidInputError` for a bad method, path or nonce.
    #[pyo3(signature = (method, path, body = None, timestamp = None, nonce = None))]
    fn authorization(
        &self,
        py: Python<'_>,
        method: &str,
        path: &str,
        body: Option<&Bound<'_, PyAny>>,
        timestamp: Option<u64>,
        nonce: Option<String>,
    ) -> PyResult<String> {
        let body = match body {
            Some(b) => bytes_arg(py, "body", b)?,
            None => Vec::new(),
        };
        let nonce_str = nonce.unwrap_or_else(|| wxface_core::time::nonce(&OsEntropy, 32));
        let ts = now_or(timestamp);
        let method = method.to_owned();
        let path = path.to_owned();
        py.detach(|| {
            self.inner
                .authorization(&method, &path, &body, ts, &nonce_str)
        })
        .py_err(py)
    }

    /// All headers to send with a request: `Authorization`, `Accept`,
    /// `User-Agent`, `Content-Type` when there is a body, and
    /// `Wechatpay-Serial` when configured.
    ///
    /// # Errors
    /// As `authorization`.
    #[pyo3(signature = (method, path, body = None, timestamp = None))]
    fn headers<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: &str,
        body: Option<&Bound<'_, PyAny>>,
        timestamp: Option<u64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let body = match body {
            Some(b) => bytes_arg(py, "body", b)?,
            None => Vec::new(),
        };
        let method = method.parse().py_err(py)?;
        let mut req = wxface_core::http::HttpRequest {
            endpoint: wxface_core::http::Endpoint::ApiMch,
            method,
            path_and_query: path.to_owned(),
            headers: Vec::new(),
            body,
        };
        let ts = now_or(timestamp);
        py.detach(|| self.inner.sign_request(&mut req, ts, &OsEntropy))
            .py_err(py)?;
        let d = PyDict::new(py);
        for (k, v) in req.headers {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Signer(mchid='{}', serial_no='{}', private_key=<redacted>)",
            self.inner.mchid(),
            self.inner.serial_no()
        )
    }
}

/// Verifies WeChat Pay's APIv3 answers against trusted platform keys
/// (platform certificates and/or a platform public key).
///
/// Safe to share between threads: adding a key swaps in a new key set;
/// verifications in flight keep the one they started with.
#[pyclass(frozen, module = "wxface", name = "ResponseVerifier")]
pub struct PyResponseVerifier {
    inner: RwLock<Arc<v3::ResponseVerifier>>,
}

impl PyResponseVerifier {
    /// The current key set and window.
    pub(crate) fn snapshot(&self) -> Arc<v3::ResponseVerifier> {
        match self.inner.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    fn update<T>(&self, f: impl FnOnce(&mut v3::ResponseVerifier) -> T) -> T {
        let mut g = match self.inner.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut next = (**g).clone();
        let out = f(&mut next);
        *g = Arc::new(next);
        out
    }

    /// A verifier over an existing key store.
    pub(crate) fn from_verifier(v: v3::ResponseVerifier) -> Self {
        Self {
            inner: RwLock::new(Arc::new(v)),
        }
    }
}

#[pymethods]
impl PyResponseVerifier {
    /// An empty verifier; `window_secs` is the accepted distance between
    /// `Wechatpay-Timestamp` and now (default 300, both directions).
    #[new]
    #[pyo3(signature = (*, window_secs = 300))]
    fn py_new(window_secs: u64) -> Self {
        let mut inner = v3::ResponseVerifier::new(PlatformKeyStore::new());
        inner.window_secs = window_secs;
        Self::from_verifier(inner)
    }

    /// Trust a platform certificate (PEM text or path); returns its serial.
    ///
    /// # Errors
    /// `ConfigError` when the PEM holds no usable certificate.
    fn add_platform_certificate(&self, py: Python<'_>, pem: &Bound<'_, PyAny>) -> PyResult<String> {
        let text = pem_arg(py, "pem", pem)?;
        self.update(|v| v.store.add_certificate_pem(provider().as_ref(), &text))
            .py_err(py)
    }

    /// Trust a platform public key (PEM text or path) under its id `PUB_KEY_ID_…`.
    ///
    /// # Errors
    /// `ConfigError` for an unusable key, `InvalidInputError` for a bad id.
    fn add_platform_public_key(
        &self,
        py: Python<'_>,
        key_id: &str,
        pem: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let text = pem_arg(py, "pem", pem)?;
        self.update(|v| {
            v.store
                .add_public_key_pem(provider().as_ref(), key_id, &text)
        })
        .py_err(py)
    }

    /// Ids (certificate serials, `PUB_KEY_ID_…`) of the trusted keys.
    #[getter]
    fn ids(&self) -> Vec<String> {
        self.snapshot()
            .store
            .ids()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The accepted timestamp distance in seconds.
    #[getter]
    fn window_secs(&self) -> u64 {
        self.snapshot().window_secs
    }

    /// The id to send as the request's `Wechatpay-Serial` (the public key if
    /// there is one, else the valid certificate expiring last).
    #[pyo3(signature = (now = None))]
    fn preferred_serial(&self, now: Option<u64>) -> Option<String> {
        self.snapshot()
            .store
            .preferred_id(now_or(now))
            .map(str::to_owned)
    }

    /// Verify an answer: signature headers present, timestamp fresh, key
    /// trusted, signature valid over the raw `body` bytes. `headers` is a
    /// mapping or a list of pairs (names case-insensitive). Returns `None`.
    ///
    /// # Errors
    /// `SignatureError` (`.code` says why: `signature_missing`,
    /// `signature_malformed`, `signature_stale_timestamp`,
    /// `signature_unknown_serial`, `signature_mismatch`).
    #[pyo3(signature = (status, headers, body, now = None))]
    fn verify(
        &self,
        py: Python<'_>,
        status: u16,
        headers: &Bound<'_, PyAny>,
        body: &Bound<'_, PyAny>,
        now: Option<u64>,
    ) -> PyResult<()> {
        let headers = headers_arg(py, headers)?;
        let body = bytes_arg(py, "body", body)?;
        let now = now_or(now);
        let v = self.snapshot();
        py.detach(|| v.verify(status, &headers, &body, now))
            .py_err(py)
    }

    fn __repr__(&self) -> String {
        let v = self.snapshot();
        format!(
            "ResponseVerifier(ids={}, window_secs={})",
            py_list(&v.store.ids()),
            v.window_secs
        )
    }
}

/// The path with query of `GET /v3/facemch/users/{face_sid}`, percent-encoded
/// (send it to `https://api.mch.weixin.qq.com`, signed with `Signer`).
///
/// Provider mode: set `sub_mchid`; with `ASK_REAL_NAME` also `sub_serial_no`
/// (the sub-merchant's certificate serial, whose key encrypts the answer).
///
/// # Errors
/// `InvalidInputError` naming the field that breaks a rule.
#[pyfunction]
#[pyo3(signature = (face_sid, appid, info_type = "ASK_REAL_NAME", *, sub_mchid = None, sub_appid = None, sub_serial_no = None))]
pub fn build_users_query(
    py: Python<'_>,
    face_sid: String,
    appid: String,
    info_type: &str,
    sub_mchid: Option<String>,
    sub_appid: Option<String>,
    sub_serial_no: Option<String>,
) -> PyResult<String> {
    let q = UsersQuery {
        face_sid,
        info_type: info_type.parse::<InfoType>().py_err(py)?,
        appid,
        sub_mchid,
        sub_appid,
        sub_serial_no,
    };
    q.path_and_query().py_err(py)
}

/// The encrypted real-name part of a **verified** identity answer.
///
/// Opaque: it cannot be built from Python and does not hand its ciphertexts
/// out. It exists only inside a `FaceUser` that `MerchantClient.query_user`
/// or `parse_users_response` returned after the answer's signature checked
/// out, and its one use is `Decryptor.decrypt_real_name`. In provider mode
/// the hospital receives the whole signed answer instead (`SignedAnswer`,
/// `RealNameReceiver`).
#[pyclass(frozen, module = "wxface", name = "EncryptedRealName")]
#[derive(Clone)]
pub struct PyEncryptedRealName {
    pub(crate) inner: v3::EncryptedRealName,
}

#[pymethods]
impl PyEncryptedRealName {
    /// The credential type code the answer announced (not secret).
    #[getter]
    fn credential_type(&self) -> i64 {
        self.inner.credential_type().code()
    }

    fn __repr__(&self) -> String {
        format!(
            "EncryptedRealName(credential_type={}, <encrypted>)",
            self.inner.credential_type().code()
        )
    }
}

/// A verified answer of the identity query. `repr()` shows the lengths of
/// `openid`, `sub_openid` and `union_id`; the attributes hold the values.
#[pyclass(frozen, module = "wxface", name = "FaceUser")]
pub struct PyFaceUser {
    pub(crate) inner: v3::FaceUser,
}

impl PyFaceUser {
    pub(crate) fn new(inner: v3::FaceUser) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyFaceUser {
    /// The user's openid under the merchant's appid, if answered.
    #[getter]
    fn openid(&self) -> Option<&str> {
        self.inner.openid.as_deref()
    }

    /// The user's openid under `sub_appid`, if that was sent.
    #[getter]
    fn sub_openid(&self) -> Option<&str> {
        self.inner.sub_openid.as_deref()
    }

    /// The union id (`ASK_UNIONID`).
    #[getter]
    fn union_id(&self) -> Option<&str> {
        self.inner.union_id.as_deref()
    }

    /// The encrypted identity (`ASK_REAL_NAME`), or `None`.
    #[getter]
    fn real_name(&self) -> Option<PyEncryptedRealName> {
        self.inner
            .real_name
            .clone()
            .map(|inner| PyEncryptedRealName { inner })
    }

    /// A JSON-ready dict: `{"openid", "sub_openid", "union_id",
    /// "real_name"}`. The identifiers are redacted (`"[redacted, 28
    /// chars]"`) unless `expose=True`; `real_name` is `None` or
    /// `{"credential_type": n, "encrypted": True}`: the encrypted fields
    /// never leave (decrypt them with a `Decryptor`).
    #[pyo3(signature = (*, expose = false))]
    fn to_dict<'py>(&self, py: Python<'py>, expose: bool) -> PyResult<Bound<'py, PyDict>> {
        let id = |v: &Option<String>| -> Option<String> {
            v.as_deref().map(|v| {
                if expose {
                    v.to_owned()
                } else {
                    wxface_core::redact::redacted_text(v)
                }
            })
        };
        let d = PyDict::new(py);
        d.set_item("openid", id(&self.inner.openid))?;
        d.set_item("sub_openid", id(&self.inner.sub_openid))?;
        d.set_item("union_id", id(&self.inner.union_id))?;
        match &self.inner.real_name {
            Some(r) => {
                let e = PyDict::new(py);
                e.set_item("credential_type", r.credential_type().code())?;
                e.set_item("encrypted", true)?;
                d.set_item("real_name", e)?;
            }
            None => d.set_item("real_name", py.None())?,
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "FaceUser(openid={}, sub_openid={}, union_id={}, real_name={})",
            py_secret_opt(self.inner.openid.as_deref()),
            py_secret_opt(self.inner.sub_openid.as_deref()),
            py_secret_opt(self.inner.union_id.as_deref()),
            if self.inner.real_name.is_some() {
                "<encrypted>"
            } else {
                "None"
            }
        )
    }
}

/// Handle the HTTP answer of the identity query: a non-2xx status raises
/// `BackendError`; a 2xx answer is verified with `verifier` first (missing
/// signature headers are an error), then parsed. Nothing is decrypted here.
///
/// # Errors
/// `BackendError`, `SignatureError`, `MalformedError`.
#[pyfunction]
#[pyo3(signature = (verifier, status, headers, body, now = None))]
pub fn parse_users_response(
    py: Python<'_>,
    verifier: &Bound<'_, PyResponseVerifier>,
    status: u16,
    headers: &Bound<'_, PyAny>,
    body: &Bound<'_, PyAny>,
    now: Option<u64>,
) -> PyResult<PyFaceUser> {
    let headers = headers_arg(py, headers)?;
    let body = bytes_arg(py, "body", body)?;
    let now = now_or(now);
    let v = verifier.get().snapshot();
    py.detach(|| v3::handle_users_response(&v, status, &headers, &body, now))
        .map(PyFaceUser::new)
        .py_err(py)
}

/// An identity answer exactly as WeChat Pay sent it — status, `Wechatpay-*`
/// signature headers, body — for provider mode (服务商).
///
/// The provider's server gets it from `MerchantClient.query_user_signed` and
/// forwards `to_json()` to the hospital, whose `RealNameReceiver` verifies it
/// with the platform key and only then decrypts it. Nothing in it is trusted
/// before that check. `repr()` shows the status, the header names and the
/// body length only.
#[pyclass(frozen, module = "wxface", name = "SignedAnswer")]
#[derive(Clone)]
pub struct PySignedAnswer {
    pub(crate) inner: v3::SignedAnswer,
}

impl PySignedAnswer {
    pub(crate) fn new(inner: v3::SignedAnswer) -> Self {
        Self { inner }
    }

    /// A `SignedAnswer`, or its JSON form as `str`/`bytes`, or its dict.
    ///
    /// # Errors
    /// `MalformedError` for a bad JSON form, `TypeError` for anything else.
    pub(crate) fn from_arg(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<v3::SignedAnswer> {
        if let Ok(a) = v.cast::<PySignedAnswer>() {
            return Ok(a.get().inner.clone());
        }
        let json: Vec<u8> = if v.is_instance_of::<PyDict>() {
            json_dumps(py, v)
                .map_err(|_| PyTypeError::new_err("the answer dict is not JSON-serialisable"))?
                .into_bytes()
        } else if v.is_instance_of::<PyString>()
            || v.is_instance_of::<PyBytes>()
            || v.is_instance_of::<PyByteArray>()
            || v.is_instance_of::<PyMemoryView>()
        {
            bytes_arg(py, "answer", v)?
        } else {
            return Err(PyTypeError::new_err(
                "the answer must be a SignedAnswer, its JSON text (str or bytes) or its dict",
            ));
        };
        py.detach(|| v3::SignedAnswer::from_json(&json)).py_err(py)
    }
}

#[pymethods]
impl PySignedAnswer {
    /// Read the JSON form `{"status": …, "headers": {…}, "body": "…"}`
    /// (`str` or `bytes`).
    ///
    /// # Errors
    /// `MalformedError` for oversize or malformed JSON, unknown or repeated
    /// fields; the message never quotes the input.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = bytes_arg(py, "text", text)?;
        py.detach(|| v3::SignedAnswer::from_json(&json))
            .map(Self::new)
            .py_err(py)
    }

    /// The HTTP status of the answer.
    #[getter]
    fn status(&self) -> u16 {
        self.inner.status
    }

    /// The `Wechatpay-*` signature headers it carried, by canonical name.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.to_dict(py)?.get_item("headers")
    }

    /// The body, exactly as received (the signature covers it).
    #[getter]
    fn body(&self) -> &str {
        &self.inner.body
    }

    /// The JSON form, to forward to the hospital.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The JSON form as a dict: `status`, `headers`, `body`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &self.inner.to_json())
    }

    fn __repr__(&self) -> String {
        let names: Vec<String> = match serde_json::to_value(&self.inner.headers) {
            Ok(serde_json::Value::Object(m)) => m.into_iter().map(|(k, _)| k).collect(),
            _ => Vec::new(),
        };
        format!(
            "SignedAnswer(status={}, headers={}, body=<{} bytes>)",
            self.inner.status,
            py_list(&names),
            self.inner.body.len()
        )
    }
}

/// A fresh random 32-character nonce (`[0-9A-Za-z]`).
#[pyfunction]
pub fn new_nonce() -> String {
    nonce(&OsEntropy, 32)
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySigner>()?;
    m.add_class::<PyResponseVerifier>()?;
    m.add_class::<PyEncryptedRealName>()?;
    m.add_class::<PyFaceUser>()?;
    m.add_class::<PySignedAnswer>()?;
    m.add_function(wrap_pyfunction!(build_users_query, m)?)?;
    m.add_function(wrap_pyfunction!(parse_users_response, m)?)?;
    m.add_function(wrap_pyfunction!(new_nonce, m)?)?;
    Ok(())
}
