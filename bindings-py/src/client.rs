//! `ClientConfig` and the blocking `MerchantClient`.
//!
//! Configuration is the client's `ClientSettings` (docs/configuration.md):
//! keyword arguments, falling back to `WXFACE_*` environment variables for
//! anything not given. Secrets stay in Rust: a `ClientConfig` shows ids and
//! serials in `repr()`, never keys.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
use wxface_client::blocking::MerchantClient;
use wxface_client::{AuthinfoParams, ClientConfig, ClientSettings, SettingValue};
use wxface_core::v3::InfoType;

use crate::aio::PyAsyncCall;
use crate::decrypt::PyDecryptor;
use crate::errors::IntoPyResult;
use crate::realname::PyRealName;
use crate::util::{invalid, json_dumps, pem_arg, py_list, py_opt, py_str};
use crate::v2::PyAuthinfoResponse;
use crate::v3::{PyFaceUser, PySignedAnswer};

/// One keyword option as a setting: `decryptor` takes a `Decryptor`; a
/// `*_pem` option takes PEM text, bytes or an `os.PathLike` to read (one, or
/// a list for `platform_certificate_pem`); any other option text, a path, a
/// number or a list.
fn set_option(s: &mut ClientSettings, name: &str, v: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = v.py();
    if name == "decryptor" {
        let d = v
            .cast::<PyDecryptor>()
            .map_err(|_| invalid(py, name, "must be a wxface.Decryptor"))?;
        s.decryptor = Some(d.get().inner.clone());
        return Ok(());
    }
    if !ClientSettings::is_option(name) {
        // The name only when it looks like one: a mapping of data spread
        // into the options must not come back in the message.
        return Err(PyTypeError::new_err(format!(
            "unexpected configuration option `{}`",
            wxface_core::redact::field_name(name)
        )));
    }
    let list = v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>();
    let value = if name.ends_with("_pem") && list {
        let items: PyResult<Vec<String>> = v
            .try_iter()?
            .map(|item| pem_arg(py, name, &item?).map(|p| p.to_string()))
            .collect();
        SettingValue::List(items?)
    } else if name.ends_with("_pem") {
        SettingValue::Text(pem_arg(py, name, v)?.to_string())
    } else if v.is_instance_of::<PyString>() || v.hasattr("__fspath__")? {
        SettingValue::Text(
            v.extract::<std::path::PathBuf>()?
                .to_string_lossy()
                .into_owned(),
        )
    } else if v.is_instance_of::<PyBool>() {
        SettingValue::Bool(v.extract()?)
    } else if let Ok(n) = v.extract::<f64>() {
        SettingValue::Number(n)
    } else if list {
        SettingValue::List(
            v.extract()
                .map_err(|_| invalid(py, name, "must be a list of str"))?,
        )
    } else {
        return Err(invalid(
            py,
            name,
            "must be text, a path, a number or a list",
        ));
    };
    s.set(name, value).py_err(py)
}

/// A checked merchant-client configuration. Opaque: `repr()` shows ids,
/// serials and URLs, never a key.
///
/// Build it from keyword arguments, the options of docs/configuration.md
/// (`wxface_client::ClientSettings`) plus `decryptor`; any option not given
/// falls back to its `WXFACE_*` environment variable unless `env=False`. A
/// `*_pem` option also takes bytes or an `os.PathLike` to read.
#[pyclass(frozen, module = "wxface", name = "ClientConfig")]
pub struct PyClientConfig {
    settings: ClientSettings,
    pub(crate) built: ClientConfig,
    has_decryptor: bool,
}

impl PyClientConfig {
    /// Apply kwargs to `settings` (a `None` value: given, not set), then the
    /// environment when `env`, and build.
    fn build(
        py: Python<'_>,
        mut settings: ClientSettings,
        env: bool,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut given = Vec::new();
        for (k, v) in kwargs.into_iter().flatten() {
            let name: String = k.extract()?;
            if !v.is_none() {
                set_option(&mut settings, &name, &v)?;
            }
            given.push(name);
        }
        if env {
            let given: Vec<&str> = given.iter().map(String::as_str).collect();
            settings.merge_env(&given).py_err(py)?;
        }
        let (built, decryptor) = crate::log::detach(py, || settings.build()).py_err(py)?;
        Ok(Self {
            settings,
            built,
            has_decryptor: decryptor.is_some(),
        })
    }

    /// Build from kwargs (and the environment when `env`).
    pub(crate) fn from_kwargs(
        py: Python<'_>,
        env: bool,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Self::build(py, ClientSettings::default(), env, kwargs)
    }

    fn with_kwargs(&self, py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Self::build(py, self.settings.clone(), false, kwargs)
    }
}

#[pymethods]
impl PyClientConfig {
    /// # Errors
    /// `ConfigError` (or `InvalidInputError`) naming what is missing or
    /// wrong — never a secret; `TypeError` for an unknown option.
    #[new]
    #[pyo3(signature = (*, env = true, **kwargs))]
    fn py_new(py: Python<'_>, env: bool, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Self::from_kwargs(py, env, kwargs)
    }

    /// A copy with some options changed (same keywords as the constructor;
    /// the environment is not read again).
    ///
    /// # Errors
    /// As the constructor.
    #[pyo3(signature = (**kwargs))]
    fn replace(&self, py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        self.with_kwargs(py, kwargs)
    }

    /// The (provider's) appid.
    #[getter]
    fn appid(&self) -> &str {
        self.built.appid()
    }

    /// The (provider's) merchant id.
    #[getter]
    fn mch_id(&self) -> &str {
        self.built.mch_id()
    }

    /// The sub-merchant id in provider mode, else `None`.
    #[getter]
    fn sub_mch_id(&self) -> Option<&str> {
        self.built.sub_mch_id()
    }

    /// Whether this is a provider (服务商) configuration.
    #[getter]
    fn is_provider_mode(&self) -> bool {
        self.built.is_provider_mode()
    }

    /// Whether `fetch_real_name` can decrypt without a decryptor argument.
    #[getter]
    fn has_decryptor(&self) -> bool {
        self.has_decryptor
    }

    /// Option names and the environment variables they fall back to.
    #[staticmethod]
    fn environment_variables() -> Vec<(&'static str, &'static str)> {
        ClientSettings::ENV.to_vec()
    }

    fn __repr__(&self) -> String {
        format!(
            "ClientConfig(appid={}, mch_id={}, provider_mode={}, store_id={}, merchant_serial_no={}, keys=<redacted>)",
            py_str(self.built.appid()),
            py_str(self.built.mch_id()),
            if self.built.is_provider_mode() { "True" } else { "False" },
            py_opt(self.settings.store_id.as_deref()),
            py_opt(self.settings.merchant_serial_no.as_deref()),
        )
    }
}

/// The merchant server's client for WeChat Pay (blocking).
///
/// `MerchantClient(config)` with a `ClientConfig`, or `MerchantClient(**options)`
/// with the same keywords as `ClientConfig` (environment fallback included).
/// Thread-safe: share one client between threads; every network and crypto
/// call releases the GIL. Authinfos are cached per device and parameters;
/// retryable failures are retried with backoff; every answer is verified
/// before it is used.
#[pyclass(frozen, module = "wxface", name = "MerchantClient")]
pub struct PyMerchantClient {
    inner: MerchantClient,
    config: Py<PyClientConfig>,
}

#[pymethods]
impl PyMerchantClient {
    /// # Errors
    /// `ConfigError` for incomplete or unusable configuration;
    /// `TransportError` when the HTTP stack cannot start.
    #[new]
    #[pyo3(signature = (config = None, *, env = true, **kwargs))]
    fn py_new(
        py: Python<'_>,
        config: Option<&Bound<'_, PyClientConfig>>,
        env: bool,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        crate::log::ensure(py);
        let cfg = match config {
            Some(c) if kwargs.is_some_and(|k| !k.is_empty()) => c.get().with_kwargs(py, kwargs)?,
            Some(c) => PyClientConfig {
                settings: c.get().settings.clone(),
                built: c.get().built.clone(),
                has_decryptor: c.get().has_decryptor,
            },
            None => PyClientConfig::from_kwargs(py, env, kwargs)?,
        };
        let built = cfg.built.clone();
        let inner = crate::log::detach(py, || MerchantClient::new(built)).py_err(py)?;
        Ok(Self {
            inner,
            config: Py::new(py, cfg)?,
        })
    }

    /// The configuration.
    #[getter]
    fn config(&self, py: Python<'_>) -> Py<PyClientConfig> {
        self.config.clone_ref(py)
    }

    /// An authinfo for the face SDK on kiosk `device_id`: from the cache
    /// while one for the same device and store is still good, else from
    /// `get_wxpayface_authinfo`. `store_id`/`store_name` default to the
    /// configured store; `attach` is a JSON string or a dict.
    ///
    /// # Errors
    /// `InvalidInputError` (a field WeChat would refuse, no store),
    /// `BackendError`, `SignatureError`, `MalformedError`, `TransportError`.
    #[pyo3(signature = (rawdata, store_id = None, store_name = None, device_id = None, attach = None))]
    fn get_authinfo(
        &self,
        py: Python<'_>,
        rawdata: String,
        store_id: Option<String>,
        store_name: Option<String>,
        device_id: Option<String>,
        attach: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyAuthinfoResponse> {
        let params = authinfo_params(py, rawdata, store_id, store_name, device_id, attach)?;
        crate::log::detach(py, || self.inner.get_authinfo(params))
            .map(PyAuthinfoResponse::from)
            .py_err(py)
    }

    /// Forget the cached authinfo of `device_id` (after the face SDK reported
    /// it expired, error 271382020). Returns whether one was cached.
    #[pyo3(signature = (device_id, store_id = None))]
    fn invalidate_authinfo(&self, device_id: String, store_id: Option<String>) -> bool {
        let params = AuthinfoParams {
            device_id,
            store_id,
            ..AuthinfoParams::default()
        };
        self.inner.invalidate_authinfo(&params)
    }

    /// `GET /v3/facemch/users/{face_sid}`: the verified answer, real-name
    /// fields still encrypted. `info_type` is `"ASK_REAL_NAME"` or
    /// `"ASK_UNIONID"`.
    ///
    /// # Errors
    /// `BackendError` (WeChat's status, code, message, detail),
    /// `SignatureError` (never retried), `MalformedError`,
    /// `InvalidInputError`, `TransportError`.
    #[pyo3(signature = (face_sid, info_type = "ASK_REAL_NAME"))]
    fn query_user(&self, py: Python<'_>, face_sid: &str, info_type: &str) -> PyResult<PyFaceUser> {
        let it: InfoType = info_type.parse().py_err(py)?;
        crate::log::detach(py, || self.inner.query_user(face_sid, it))
            .map(PyFaceUser::new)
            .py_err(py)
    }

    /// Provider mode (服务商): `GET /v3/facemch/users/{face_sid}`, verified
    /// here as `query_user` does, and returned exactly as WeChat Pay sent it
    /// (status, `Wechatpay-*` headers, body) for the hospital. Forward
    /// `answer.to_json()`; the hospital's `RealNameReceiver` verifies it
    /// again with the platform key and decrypts it with its own key. The
    /// provider never holds that key. The GIL is released for the call.
    ///
    /// # Errors
    /// As `query_user`.
    #[pyo3(signature = (face_sid, info_type = "ASK_REAL_NAME"))]
    fn query_user_signed(
        &self,
        py: Python<'_>,
        face_sid: &str,
        info_type: &str,
    ) -> PyResult<PySignedAnswer> {
        let it: InfoType = info_type.parse().py_err(py)?;
        crate::log::detach(py, || self.inner.query_user_signed(face_sid, it))
            .map(PySignedAnswer::new)
            .py_err(py)
    }

    /// Query `ASK_REAL_NAME` and decrypt: the verified identity as a
    /// `RealName`. Uses `decryptor` when given, else the configured one (in
    /// direct mode the merchant key).
    ///
    /// # Errors
    /// As `query_user`; `ConfigError` without a decryptor; `DecryptionError`
    /// when the fields do not decrypt to a plausible identity.
    #[pyo3(signature = (face_sid, decryptor = None))]
    fn fetch_real_name(
        &self,
        py: Python<'_>,
        face_sid: &str,
        decryptor: Option<&Bound<'_, PyDecryptor>>,
    ) -> PyResult<PyRealName> {
        let r = match decryptor {
            Some(d) => {
                let d = d.get().inner.clone();
                crate::log::detach(py, || self.inner.fetch_real_name(face_sid, &d))
            }
            None => crate::log::detach(py, || self.inner.real_name(face_sid)),
        };
        r.map(PyRealName::new).py_err(py)
    }

    /// Download the platform certificates now (needs the APIv3 key); returns
    /// how many were installed.
    ///
    /// # Errors
    /// `ConfigError` without the APIv3 key; as `query_user` otherwise.
    fn refresh_platform_certificates(&self, py: Python<'_>) -> PyResult<usize> {
        crate::log::detach(py, || self.inner.refresh_platform_certificates()).py_err(py)
    }

    /// `get_authinfo` as a tokio task (the asyncio client's call; see
    /// `wxface/aio.py`): `done(ok, value)` when it ends.
    #[pyo3(signature = (done, rawdata, store_id = None, store_name = None, device_id = None, attach = None))]
    #[allow(clippy::too_many_arguments)]
    fn _start_get_authinfo(
        &self,
        py: Python<'_>,
        done: Py<PyAny>,
        rawdata: String,
        store_id: Option<String>,
        store_name: Option<String>,
        device_id: Option<String>,
        attach: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyAsyncCall> {
        let params = authinfo_params(py, rawdata, store_id, store_name, device_id, attach)?;
        let client = self.inner.as_async().clone();
        crate::aio::spawn(
            py,
            async move { client.get_authinfo(params).await },
            |py, v| Ok(Py::new(py, PyAuthinfoResponse::from(v))?.into_any()),
            done,
        )
    }

    /// `query_user` as a tokio task.
    #[pyo3(signature = (done, face_sid, info_type = "ASK_REAL_NAME"))]
    fn _start_query_user(
        &self,
        py: Python<'_>,
        done: Py<PyAny>,
        face_sid: String,
        info_type: &str,
    ) -> PyResult<PyAsyncCall> {
        let it: InfoType = info_type.parse().py_err(py)?;
        let client = self.inner.as_async().clone();
        crate::aio::spawn(
            py,
            async move { client.query_user(&face_sid, it).await },
            |py, v| Ok(Py::new(py, PyFaceUser::new(v))?.into_any()),
            done,
        )
    }

    /// `query_user_signed` as a tokio task.
    #[pyo3(signature = (done, face_sid, info_type = "ASK_REAL_NAME"))]
    fn _start_query_user_signed(
        &self,
        py: Python<'_>,
        done: Py<PyAny>,
        face_sid: String,
        info_type: &str,
    ) -> PyResult<PyAsyncCall> {
        let it: InfoType = info_type.parse().py_err(py)?;
        let client = self.inner.as_async().clone();
        crate::aio::spawn(
            py,
            async move { client.query_user_signed(&face_sid, it).await },
            |py, v| Ok(Py::new(py, PySignedAnswer::new(v))?.into_any()),
            done,
        )
    }

    /// `fetch_real_name` as a tokio task.
    #[pyo3(signature = (done, face_sid, decryptor = None))]
    fn _start_fetch_real_name(
        &self,
        py: Python<'_>,
        done: Py<PyAny>,
        face_sid: String,
        decryptor: Option<&Bound<'_, PyDecryptor>>,
    ) -> PyResult<PyAsyncCall> {
        let client = self.inner.as_async().clone();
        let decryptor = decryptor.map(|d| d.get().inner.clone());
        crate::aio::spawn(
            py,
            async move {
                match decryptor {
                    Some(d) => client.fetch_real_name(&face_sid, &d).await,
                    None => client.real_name(&face_sid).await,
                }
            },
            |py, v| Ok(Py::new(py, PyRealName::new(v))?.into_any()),
            done,
        )
    }

    /// `refresh_platform_certificates` as a tokio task.
    fn _start_refresh_platform_certificates(
        &self,
        py: Python<'_>,
        done: Py<PyAny>,
    ) -> PyResult<PyAsyncCall> {
        let client = self.inner.as_async().clone();
        crate::aio::spawn(
            py,
            async move { client.refresh_platform_certificates().await },
            |py, v| Ok(v.into_pyobject(py)?.into_any().unbind()),
            done,
        )
    }

    /// Ids of the trusted platform keys (certificate serials, `PUB_KEY_ID_…`).
    #[getter]
    fn platform_key_ids(&self) -> Vec<String> {
        self.inner.platform_key_ids()
    }

    /// Counters since the client was built: `calls`, `http_requests`,
    /// `retries`, `cache_hits`, `coalesced`, `certificate_downloads`,
    /// `failovers`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("calls", s.calls)?;
        d.set_item("http_requests", s.http_requests)?;
        d.set_item("retries", s.retries)?;
        d.set_item("cache_hits", s.cache_hits)?;
        d.set_item("coalesced", s.coalesced)?;
        d.set_item("certificate_downloads", s.certificate_downloads)?;
        d.set_item("failovers", s.failovers)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "MerchantClient(config={}, platform_keys={})",
            self.config.get().__repr__(),
            py_list(&self.inner.platform_key_ids())
        )
    }
}

fn authinfo_params(
    py: Python<'_>,
    rawdata: String,
    store_id: Option<String>,
    store_name: Option<String>,
    device_id: Option<String>,
    attach: Option<&Bound<'_, PyAny>>,
) -> PyResult<AuthinfoParams> {
    let device_id = device_id.ok_or_else(|| invalid(py, "device_id", "is required"))?;
    let attach = match attach {
        None => None,
        Some(a) if a.is_none() => None,
        Some(a) if a.is_instance_of::<PyString>() => Some(a.extract::<String>()?),
        Some(a) => Some(json_dumps(py, a)?),
    };
    Ok(AuthinfoParams {
        rawdata,
        store_id,
        store_name,
        device_id,
        attach,
    })
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyClientConfig>()?;
    m.add_class::<PyMerchantClient>()?;
    Ok(())
}
