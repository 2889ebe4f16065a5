//! `ClientConfig` and the blocking `MerchantClient`.
//!
//! Configuration comes from keyword arguments, falling back to `WXFACE_*`
//! environment variables for anything not given (see [`ENV`]). Secrets stay
//! in Rust: a `ClientConfig` shows ids and serials in `repr()`, never keys.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use wxface_client::blocking::MerchantClient;
use wxface_client::{AuthinfoParams, ClientConfig, Error as ClientError, RetryPolicy};
use wxface_core::crypto::{pem, Padding};
use wxface_core::decrypt::Decryptor;
use wxface_core::v2::{ApiKey, SignType};
use wxface_core::v3::InfoType;
use zeroize::Zeroizing;

use crate::decrypt::PyDecryptor;
use crate::errors::{core_err, make_err, obj, TransportError};
use crate::realname::PyRealName;
use crate::util::{config, invalid, pem_arg, py_list, py_opt, py_str, read_pem_file};
use crate::v2::PyAuthinfoResponse;
use crate::v3::{provider, PyFaceUser, PySignedAnswer};

/// Keyword arguments and the environment variable each falls back to.
pub const ENV: &[(&str, &str)] = &[
    ("appid", "WXFACE_APPID"),
    ("mch_id", "WXFACE_MCH_ID"),
    ("v2_key", "WXFACE_V2_KEY"),
    ("sign_type", "WXFACE_SIGN_TYPE"),
    ("merchant_serial_no", "WXFACE_MERCHANT_SERIAL_NO"),
    ("merchant_key_pem", "WXFACE_MERCHANT_KEY_PEM"),
    ("merchant_key_file", "WXFACE_MERCHANT_KEY_FILE"),
    ("apiv3_key", "WXFACE_APIV3_KEY"),
    ("platform_public_key_id", "WXFACE_PLATFORM_PUBLIC_KEY_ID"),
    ("platform_public_key_pem", "WXFACE_PLATFORM_PUBLIC_KEY_PEM"),
    (
        "platform_public_key_file",
        "WXFACE_PLATFORM_PUBLIC_KEY_FILE",
    ),
    ("platform_certificate_pem", "WXFACE_PLATFORM_CERT_PEM"),
    ("platform_certificate_file", "WXFACE_PLATFORM_CERT_FILE"),
    ("pinned_platform_serials", "WXFACE_PINNED_PLATFORM_SERIALS"),
    ("sub_mch_id", "WXFACE_SUB_MCH_ID"),
    ("sub_appid", "WXFACE_SUB_APPID"),
    ("sub_serial_no", "WXFACE_SUB_SERIAL_NO"),
    ("decrypt_key_pem", "WXFACE_DECRYPT_KEY_PEM"),
    ("decrypt_key_file", "WXFACE_DECRYPT_KEY_FILE"),
    ("padding", "WXFACE_PADDING"),
    ("store_id", "WXFACE_STORE_ID"),
    ("store_name", "WXFACE_STORE_NAME"),
    ("base_url", "WXFACE_BASE_URL"),
    ("payapp_base_url", "WXFACE_PAYAPP_BASE_URL"),
    ("apimch_base_url", "WXFACE_APIMCH_BASE_URL"),
    ("timeout", "WXFACE_TIMEOUT"),
    ("connect_timeout", "WXFACE_CONNECT_TIMEOUT"),
    ("max_retries", "WXFACE_MAX_RETRIES"),
];

type Secret = Zeroizing<String>;

/// Everything a `ClientConfig` was built from (kept so `replace()` can
/// derive a new one).
#[derive(Clone, Default)]
struct Settings {
    appid: Option<String>,
    mch_id: Option<String>,
    v2_key: Option<Secret>,
    sign_type: Option<String>,
    merchant_serial_no: Option<String>,
    merchant_key_pem: Option<Secret>,
    apiv3_key: Option<Secret>,
    platform_public_key_id: Option<String>,
    platform_public_key_pem: Option<String>,
    platform_certificates: Vec<String>,
    pinned_platform_serials: Vec<String>,
    sub_mch_id: Option<String>,
    sub_appid: Option<String>,
    sub_serial_no: Option<String>,
    decrypt_key_pem: Option<Secret>,
    decryptor: Option<Decryptor>,
    padding: Option<String>,
    store_id: Option<String>,
    store_name: Option<String>,
    payapp_base_url: Option<String>,
    apimch_base_url: Option<String>,
    timeout: Option<f64>,
    connect_timeout: Option<f64>,
    max_retries: Option<u32>,
    retry_backoff: Option<f64>,
    authinfo_refresh_margin: Option<f64>,
    response_window: Option<f64>,
}

/// A value of one option: from a Python object or from the environment.
enum Value<'a, 'py> {
    Py(&'a Bound<'py, PyAny>),
    Env(String),
}

impl Value<'_, '_> {
    fn text(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        match self {
            Value::Py(v) => v
                .extract::<String>()
                .map_err(|_| invalid(py, name, "must be a str")),
            Value::Env(s) => Ok(s.clone()),
        }
    }

    fn pem(&self, py: Python<'_>, name: &str) -> PyResult<Secret> {
        match self {
            Value::Py(v) => pem_arg(py, name, v),
            Value::Env(s) => Ok(Zeroizing::new(s.clone())),
        }
    }

    fn file(&self, py: Python<'_>, name: &str) -> PyResult<Secret> {
        let path: std::path::PathBuf = match self {
            Value::Py(v) => v
                .extract()
                .map_err(|_| invalid(py, name, "must be a path"))?,
            Value::Env(s) => s.into(),
        };
        read_pem_file(py, name, &path)
    }

    fn seconds(&self, py: Python<'_>, name: &str) -> PyResult<f64> {
        let v = match self {
            Value::Py(v) => v
                .extract::<f64>()
                .map_err(|_| invalid(py, name, "must be a number of seconds"))?,
            Value::Env(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| invalid(py, name, "must be a number of seconds"))?,
        };
        if !(v.is_finite() && v > 0.0 && v < 86_400.0) {
            return Err(invalid(py, name, "must be between 0 and 86400 seconds"));
        }
        Ok(v)
    }

    fn list(&self, py: Python<'_>, name: &str) -> PyResult<Vec<String>> {
        match self {
            Value::Py(v) if v.is_instance_of::<PyString>() => {
                Ok(split_list(&v.extract::<String>()?))
            }
            Value::Py(v) => v
                .extract::<Vec<String>>()
                .map_err(|_| invalid(py, name, "must be a list of str")),
            Value::Env(s) => Ok(split_list(s)),
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Settings {
    /// Apply one option.
    fn set(&mut self, py: Python<'_>, name: &str, v: Value<'_, '_>) -> PyResult<()> {
        match name {
            "appid" => self.appid = Some(v.text(py, name)?),
            "mch_id" => self.mch_id = Some(v.text(py, name)?),
            "v2_key" => self.v2_key = Some(Zeroizing::new(v.text(py, name)?)),
            "sign_type" => self.sign_type = Some(v.text(py, name)?),
            "merchant_serial_no" => self.merchant_serial_no = Some(v.text(py, name)?),
            "merchant_key_pem" => self.merchant_key_pem = Some(v.pem(py, name)?),
            "merchant_key_file" => self.merchant_key_pem = Some(v.file(py, name)?),
            "apiv3_key" => self.apiv3_key = Some(Zeroizing::new(v.text(py, name)?)),
            "platform_public_key_id" => self.platform_public_key_id = Some(v.text(py, name)?),
            "platform_public_key_pem" => {
                self.platform_public_key_pem = Some(v.pem(py, name)?.to_string())
            }
            "platform_public_key_file" => {
                self.platform_public_key_pem = Some(v.file(py, name)?.to_string())
            }
            "platform_certificate_pem" => self
                .platform_certificates
                .push(v.pem(py, name)?.to_string()),
            "platform_certificate_file" => {
                for p in v.list(py, name)? {
                    let text = read_pem_file(py, name, std::path::Path::new(&p))?;
                    self.platform_certificates.push(text.to_string());
                }
            }
            "platform_certificates" => {
                let Value::Py(list) = v else {
                    return Ok(());
                };
                for item in list.try_iter()? {
                    self.platform_certificates
                        .push(pem_arg(py, name, &item?)?.to_string());
                }
            }
            "pinned_platform_serials" => self.pinned_platform_serials = v.list(py, name)?,
            "sub_mch_id" => self.sub_mch_id = Some(v.text(py, name)?),
            "sub_appid" => self.sub_appid = Some(v.text(py, name)?),
            "sub_serial_no" => self.sub_serial_no = Some(v.text(py, name)?),
            "decrypt_key_pem" => self.decrypt_key_pem = Some(v.pem(py, name)?),
            "decrypt_key_file" => self.decrypt_key_pem = Some(v.file(py, name)?),
            "decryptor" => {
                let Value::Py(d) = v else {
                    return Ok(());
                };
                let d = d
                    .cast::<PyDecryptor>()
                    .map_err(|_| invalid(py, name, "must be a wxface.Decryptor"))?;
                self.decryptor = Some(d.get().inner.clone());
            }
            "padding" => self.padding = Some(v.text(py, name)?),
            "store_id" => self.store_id = Some(v.text(py, name)?),
            "store_name" => self.store_name = Some(v.text(py, name)?),
            "base_url" => {
                let u = v.text(py, name)?;
                self.payapp_base_url = Some(u.clone());
                self.apimch_base_url = Some(u);
            }
            "payapp_base_url" => self.payapp_base_url = Some(v.text(py, name)?),
            "apimch_base_url" => self.apimch_base_url = Some(v.text(py, name)?),
            "timeout" => self.timeout = Some(v.seconds(py, name)?),
            "connect_timeout" => self.connect_timeout = Some(v.seconds(py, name)?),
            "max_retries" => {
                self.max_retries = Some(match v {
                    Value::Py(x) => x
                        .extract::<u32>()
                        .map_err(|_| invalid(py, name, "must be a non-negative int"))?,
                    Value::Env(s) => s
                        .trim()
                        .parse()
                        .map_err(|_| invalid(py, name, "must be a non-negative int"))?,
                })
            }
            "retry_backoff" => self.retry_backoff = Some(v.seconds(py, name)?),
            "authinfo_refresh_margin" => self.authinfo_refresh_margin = Some(v.seconds(py, name)?),
            "response_window" => self.response_window = Some(v.seconds(py, name)?),
            other => {
                // The name only when it looks like one: a mapping of data
                // spread into the options must not come back in the message.
                return Err(PyTypeError::new_err(format!(
                    "unexpected configuration option `{}`",
                    wxface_core::redact::field_name(other)
                )));
            }
        }
        Ok(())
    }

    /// Apply keyword arguments (a `None` value means "not given").
    fn apply_kwargs(
        &mut self,
        py: Python<'_>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Vec<String>> {
        let mut given = Vec::new();
        if let Some(kw) = kwargs {
            for (k, v) in kw.iter() {
                let name: String = k.extract()?;
                if v.is_none() {
                    given.push(name);
                    continue;
                }
                self.set(py, &name, Value::Py(&v))?;
                given.push(name);
            }
        }
        Ok(given)
    }

    /// Fill what was not given from the environment.
    fn apply_env(&mut self, py: Python<'_>, given: &[String]) -> PyResult<()> {
        // A pair (`_pem` / `_file`) counts as given when either half is.
        let stem = |n: &str| {
            n.trim_end_matches("_pem")
                .trim_end_matches("_file")
                .to_owned()
        };
        let given_stems: Vec<String> = given.iter().map(|g| stem(g)).collect();
        let base_given = given.iter().any(|g| g == "base_url");
        for (name, var) in ENV {
            if given_stems.contains(&stem(name)) {
                continue;
            }
            if base_given && name.ends_with("_base_url") {
                continue;
            }
            if let Ok(val) = std::env::var(var) {
                if !val.is_empty() {
                    self.set(py, name, Value::Env(val))?;
                }
            }
        }
        Ok(())
    }

    /// Build the Rust configuration.
    fn build(&self, py: Python<'_>) -> PyResult<ClientConfig> {
        let mut b = ClientConfig::builder();
        let sign_type: SignType = self
            .sign_type
            .as_deref()
            .unwrap_or("MD5")
            .parse()
            .map_err(|e| core_err(py, &e))?;
        b = b.sign_type(sign_type);
        if let Some(v) = &self.appid {
            b = b.appid(v.clone());
        }
        if let Some(v) = &self.mch_id {
            b = b.mch_id(v.clone());
        }
        if let Some(v) = &self.v2_key {
            b = b.api_key(ApiKey::new(v.as_str()).map_err(|e| core_err(py, &e))?);
        }
        let padding: Padding = self
            .padding
            .as_deref()
            .unwrap_or("pkcs1v15")
            .parse()
            .map_err(|e| core_err(py, &e))?;
        let provider_mode = self.sub_mch_id.is_some();
        let mut merchant_key = None;
        if let Some(pem_text) = &self.merchant_key_pem {
            let serial = self.merchant_serial_no.clone().ok_or_else(|| {
                config(
                    py,
                    "`merchant_serial_no` is required with the merchant key".into(),
                )
            })?;
            let key = py
                .detach(|| pem::load_private_key(provider().as_ref(), pem_text))
                .map_err(|e| core_err(py, &e))?;
            merchant_key = Some(Arc::clone(&key));
            b = b.merchant_key(key, serial);
        }
        match (&self.platform_public_key_id, &self.platform_public_key_pem) {
            (Some(id), Some(p)) => b = b.platform_public_key(id.clone(), p.clone()),
            (None, None) => {}
            _ => {
                return Err(config(
                    py,
                    "the platform public key needs both `platform_public_key_id` and its PEM"
                        .into(),
                ))
            }
        }
        for c in &self.platform_certificates {
            b = b.platform_certificate(c.clone());
        }
        if let Some(k) = &self.apiv3_key {
            b = b.apiv3_key(k.as_str());
        }
        if !self.pinned_platform_serials.is_empty() {
            b = b.pinned_platform_serials(self.pinned_platform_serials.clone());
        }
        match (&self.sub_mch_id, &self.sub_serial_no) {
            (Some(m), Some(s)) => b = b.sub_merchant(m.clone(), s.clone()),
            (None, None) => {}
            _ => {
                return Err(config(
                    py,
                    "provider mode needs both `sub_mch_id` and `sub_serial_no`".into(),
                ))
            }
        }
        if let Some(v) = &self.sub_appid {
            b = b.sub_appid(v.clone());
        }
        match (&self.store_id, &self.store_name) {
            (Some(i), Some(n)) => b = b.store(i.clone(), n.clone()),
            (None, None) => {}
            _ => {
                return Err(config(
                    py,
                    "a default store needs both `store_id` and `store_name`".into(),
                ))
            }
        }
        if let Some(u) = &self.payapp_base_url {
            b = b.payapp_base_url(u.clone());
        }
        if let Some(u) = &self.apimch_base_url {
            b = b.apimch_base_url(u.clone());
        }
        if let Some(t) = self.timeout {
            b = b.timeout(Duration::from_secs_f64(t));
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(Duration::from_secs_f64(t));
        }
        let mut retry = RetryPolicy::default();
        if let Some(n) = self.max_retries {
            retry.max_retries = n;
        }
        if let Some(s) = self.retry_backoff {
            retry.initial_backoff = Duration::from_secs_f64(s);
            retry.max_backoff = retry.max_backoff.max(retry.initial_backoff);
        }
        b = b.retry_policy(retry);
        if let Some(m) = self.authinfo_refresh_margin {
            b = b.authinfo_refresh_margin(Duration::from_secs_f64(m));
        }
        if let Some(w) = self.response_window {
            b = b.response_window(Duration::from_secs_f64(w));
        }
        // The decryptor: given, or from a key, or (direct mode only) the
        // merchant key itself, which is what WeChat encrypts for.
        let decryptor = if let Some(d) = &self.decryptor {
            Some(d.clone())
        } else if let Some(p) = &self.decrypt_key_pem {
            let key = py
                .detach(|| pem::load_private_key(provider().as_ref(), p))
                .map_err(|e| core_err(py, &e))?;
            Some(Decryptor::from_key(key, padding))
        } else if !provider_mode {
            merchant_key.map(|k| Decryptor::from_key(k, padding))
        } else {
            None
        };
        if let Some(d) = decryptor {
            b = b.decryptor(d);
        }
        py.detach(|| b.build()).map_err(|e| client_err(py, &e))
    }
}

/// The one mapping of client errors: core errors through
/// [`core_err`], transport failures to `TransportError`.
pub fn client_err(py: Python<'_>, e: &ClientError) -> PyErr {
    match e {
        ClientError::Core(c) => core_err(py, c),
        ClientError::Transport { kind, .. } => make_err(
            py,
            py.get_type::<TransportError>(),
            e.code(),
            e.to_string(),
            &[
                ("kind", obj(py, kind.as_str())),
                ("retryable", obj(py, e.is_retryable())),
            ],
        ),
        _ => make_err(
            py,
            py.get_type::<crate::errors::Error>(),
            e.code(),
            e.to_string(),
            &[],
        ),
    }
}

/// A checked merchant-client configuration. Opaque: `repr()` shows ids,
/// serials and URLs, never a key.
///
/// Build it from keyword arguments; any option not given falls back to its
/// `WXFACE_*` environment variable unless `env=False` (see the package
/// documentation for the list). Keys may be PEM text, bytes or a path
/// (`os.PathLike`), or a file named by the `*_file` options.
#[pyclass(frozen, module = "wxface", name = "ClientConfig")]
pub struct PyClientConfig {
    settings: Settings,
    pub(crate) built: ClientConfig,
}

impl PyClientConfig {
    fn from_settings(py: Python<'_>, settings: Settings) -> PyResult<Self> {
        let built = settings.build(py)?;
        Ok(Self { settings, built })
    }

    /// Build from kwargs (and the environment when `env`).
    pub(crate) fn from_kwargs(
        py: Python<'_>,
        env: bool,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let mut s = Settings::default();
        let given = s.apply_kwargs(py, kwargs)?;
        if env {
            s.apply_env(py, &given)?;
        }
        Self::from_settings(py, s)
    }

    fn with_kwargs(&self, py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut s = self.settings.clone();
        if let Some(kw) = kwargs {
            // Replacing a certificate list starts it afresh.
            if kw.contains("platform_certificates")?
                || kw.contains("platform_certificate_pem")?
                || kw.contains("platform_certificate_file")?
            {
                s.platform_certificates.clear();
            }
        }
        s.apply_kwargs(py, kwargs)?;
        Self::from_settings(py, s)
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
        self.settings.decryptor.is_some()
            || self.settings.decrypt_key_pem.is_some()
            || (!self.built.is_provider_mode() && self.settings.merchant_key_pem.is_some())
    }

    /// Option names and the environment variables they fall back to.
    #[staticmethod]
    fn environment_variables() -> Vec<(&'static str, &'static str)> {
        ENV.to_vec()
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

fn info_type_arg(py: Python<'_>, s: &str) -> PyResult<InfoType> {
    s.parse().map_err(|e| core_err(py, &e))
}

impl PyMerchantClient {
    /// Whether the client runs in provider mode.
    pub(crate) fn is_provider_mode(&self) -> bool {
        self.config.get().built.is_provider_mode()
    }
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
        let cfg = match config {
            Some(c) if kwargs.is_some_and(|k| !k.is_empty()) => c.get().with_kwargs(py, kwargs)?,
            Some(c) => PyClientConfig {
                settings: c.get().settings.clone(),
                built: c.get().built.clone(),
            },
            None => PyClientConfig::from_kwargs(py, env, kwargs)?,
        };
        let built = cfg.built.clone();
        let inner = py
            .detach(|| MerchantClient::new(built))
            .map_err(|e| client_err(py, &e))?;
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
        let r = py
            .detach(|| self.inner.get_authinfo(params))
            .map_err(|e| client_err(py, &e))?;
        Ok(PyAuthinfoResponse {
            authinfo: r.authinfo,
            expires_in: r.expires_in,
            expires_at: r.expires_at.as_secs(),
            appid: None,
            mch_id: None,
            sub_appid: None,
            sub_mch_id: None,
            from_cache: r.from_cache,
        })
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
        let it = info_type_arg(py, info_type)?;
        py.detach(|| self.inner.query_user(face_sid, it))
            .map(PyFaceUser::new)
            .map_err(|e| client_err(py, &e))
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
        let it = info_type_arg(py, info_type)?;
        py.detach(|| self.inner.query_user_signed(face_sid, it))
            .map(PySignedAnswer::new)
            .map_err(|e| client_err(py, &e))
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
                py.detach(|| self.inner.fetch_real_name(face_sid, &d))
            }
            None => py.detach(|| self.inner.real_name(face_sid)),
        };
        r.map(PyRealName::new).map_err(|e| client_err(py, &e))
    }

    /// Download the platform certificates now (needs the APIv3 key); returns
    /// how many were installed.
    ///
    /// # Errors
    /// `ConfigError` without the APIv3 key; as `query_user` otherwise.
    fn refresh_platform_certificates(&self, py: Python<'_>) -> PyResult<usize> {
        py.detach(|| self.inner.refresh_platform_certificates())
            .map_err(|e| client_err(py, &e))
    }

    /// Ids of the trusted platform keys (certificate serials, `PUB_KEY_ID_…`).
    #[getter]
    fn platform_key_ids(&self) -> Vec<String> {
        self.inner.platform_key_ids()
    }

    /// Counters since the client was built: `calls`, `http_requests`,
    /// `retries`, `cache_hits`, `coalesced`, `certificate_downloads`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("calls", s.calls)?;
        d.set_item("http_requests", s.http_requests)?;
        d.set_item("retries", s.retries)?;
        d.set_item("cache_hits", s.cache_hits)?;
        d.set_item("coalesced", s.coalesced)?;
        d.set_item("certificate_downloads", s.certificate_downloads)?;
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
        Some(a) => {
            let json = py.import("json")?;
            let kw = PyDict::new(py);
            kw.set_item("ensure_ascii", false)?;
            kw.set_item("separators", (",", ":"))?;
            Some(
                json.call_method("dumps", (a,), Some(&kw))?
                    .extract::<String>()?,
            )
        }
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
