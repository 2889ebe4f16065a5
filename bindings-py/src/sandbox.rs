//! The embedded sandbox: WeChat Pay's endpoints and the face SDK, emulated
//! in-process (a Rust server on its own threads), for tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use wxface_capture::FaceSdk;
use wxface_core::sdk::{
    AuthRequest, Cmd, FaceAuthType, FaceCodeRequest, InitRequest, SdkReply, SdkRequest,
};
use wxface_core::UnixTime;
use wxface_sandbox::{
    Credentials, EmulatedSdk, FaultEndpoint, FaultKind, FaultRule, Faults, Outcome, Sandbox,
    SandboxConfig, TestIdentity,
};

use crate::client::{PyClientConfig, PyMerchantClient};
use crate::errors::{core_err, IntoPyResult};
use crate::realname::PyRealName;
use crate::util::{config, invalid, now_or, py_secret, py_secret_opt};

fn sandbox_err(py: Python<'_>, e: &wxface_sandbox::SandboxError) -> PyErr {
    config(py, format!("sandbox: {e}"))
}

/// A running sandbox; `None` once stopped.
type Slot = Arc<Mutex<Option<Sandbox>>>;

/// An embedded WeChat Pay and face SDK sandbox, for tests.
///
/// `Sandbox(**options)` starts it at once on a free loopback port, with
/// fresh keys generated in memory (or read from `keys_dir`). Options are the
/// sandbox configuration's fields (`padding`, `platform_keys`,
/// `authinfo_ttl_secs`, `face_sid_ttl_secs`, `default_person`, …). Use it as
/// a context manager, or call `stop()`.
///
/// ```python
/// with wxface.Sandbox() as sb:
///     client = sb.client()
///     kiosk = sb.kiosk(person="patient-a")
///     face_sid = kiosk.consented_face_sid(client)
///     print(client.fetch_real_name(face_sid))   # 测*****甲 (身份证 110***********1234)
/// ```
#[pyclass(frozen, module = "wxface", name = "Sandbox")]
pub struct PySandbox {
    slot: Slot,
    url: String,
    creds: Py<PySandboxCredentials>,
    faults: Faults,
}

impl PySandbox {
    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&Sandbox) -> T) -> PyResult<T> {
        let g = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        match g.as_ref() {
            Some(sb) => Ok(f(sb)),
            None => Err(crate::errors::make_err(
                py,
                py.get_type::<crate::errors::StateError>(),
                "state",
                "the sandbox is stopped".into(),
                &[],
            )),
        }
    }
}

#[pymethods]
impl PySandbox {
    /// # Errors
    /// `ConfigError` for unknown or bad options, or when the sandbox cannot
    /// start.
    #[new]
    #[pyo3(signature = (**options))]
    fn py_new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let json_text = match options {
            Some(o) if !o.is_empty() => py
                .import("json")?
                .call_method1("dumps", (o,))?
                .extract::<String>()?,
            _ => "{}".to_owned(),
        };
        let cfg = SandboxConfig::from_json(&json_text).map_err(|e| sandbox_err(py, &e))?;
        let sb = py
            .detach(|| Sandbox::start_blocking(cfg))
            .map_err(|e| sandbox_err(py, &e))?;
        let url = sb.url();
        let creds = Py::new(
            py,
            PySandboxCredentials {
                inner: sb.credentials(),
            },
        )?;
        let faults = sb.faults();
        Ok(Self {
            slot: Arc::new(Mutex::new(Some(sb))),
            url,
            creds,
            faults,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (both WeChat Pay hosts).
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Whether the sandbox is still serving.
    #[getter]
    fn running(&self) -> bool {
        self.slot.lock().map(|g| g.is_some()).unwrap_or(false)
    }

    /// The sandbox's merchant ids and keys (test keys, generated for this
    /// sandbox; `repr()` shows ids only).
    #[getter]
    fn credentials(&self, py: Python<'_>) -> Py<PySandboxCredentials> {
        self.creds.clone_ref(py)
    }

    /// Fault injection controls (changes apply at once).
    #[getter]
    fn faults(&self) -> PyFaults {
        PyFaults {
            inner: self.faults.clone(),
        }
    }

    /// The test persons the emulated face SDK can recognise.
    #[getter]
    fn identities(&self, py: Python<'_>) -> PyResult<Vec<PySandboxIdentity>> {
        self.with(py, |sb| {
            sb.identities()
                .iter()
                .map(|i| PySandboxIdentity { inner: i.clone() })
                .collect()
        })
    }

    /// A `ClientConfig` for this sandbox (`env` is never read).
    ///
    /// `provider_mode=True` configures the provider with the sandbox's
    /// sub-merchant (then `fetch_real_name` needs the sub-merchant's
    /// decryptor, see `sub_merchant_decryptor()`); `platform_key` is
    /// `"public_key"` (default), `"certificate"` or `"both"`. Other keywords
    /// override options, e.g. `store_id`, `max_retries`, `timeout`.
    ///
    /// # Errors
    /// As `ClientConfig`.
    #[pyo3(signature = (*, provider_mode = false, platform_key = "public_key", **overrides))]
    fn client_config(
        &self,
        py: Python<'_>,
        provider_mode: bool,
        platform_key: &str,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClientConfig> {
        let c = &self.creds.get().inner;
        let kw = PyDict::new(py);
        kw.set_item("appid", &c.appid)?;
        kw.set_item("mch_id", &c.mch_id)?;
        kw.set_item("v2_key", &c.api_v2_key)?;
        kw.set_item("merchant_serial_no", &c.merchant_serial)?;
        kw.set_item("merchant_key_pem", &c.merchant_key_pem)?;
        kw.set_item("padding", c.padding.as_str())?;
        match platform_key {
            "public_key" | "both" => {
                kw.set_item("platform_public_key_id", &c.pub_key_id)?;
                kw.set_item("platform_public_key_pem", &c.platform_public_key_pem)?;
                if platform_key == "both" {
                    kw.set_item("platform_certificates", vec![c.platform_cert_pem.clone()])?;
                }
            }
            "certificate" => {
                kw.set_item("platform_certificates", vec![c.platform_cert_pem.clone()])?;
            }
            _ => {
                return Err(invalid(
                    py,
                    "platform_key",
                    "must be `public_key`, `certificate` or `both`",
                ))
            }
        }
        if provider_mode {
            kw.set_item("sub_mch_id", &c.sub_mch_id)?;
            kw.set_item("sub_serial_no", &c.sub_merchant_serial)?;
            kw.set_item("sub_appid", &c.sub_appid)?;
        }
        kw.set_item("store_id", "SBX-STORE-01")?;
        kw.set_item("store_name", "沙箱医院门诊大厅")?;
        kw.set_item("base_url", &self.url)?;
        kw.set_item("max_retries", 2)?;
        kw.set_item("retry_backoff", 0.01)?;
        if let Some(o) = overrides {
            kw.update(o.as_mapping())?;
        }
        PyClientConfig::from_kwargs(py, false, Some(&kw))
    }

    /// A ready `MerchantClient` for this sandbox (same keywords as
    /// `client_config`).
    ///
    /// # Errors
    /// As `client_config`.
    #[pyo3(signature = (*, provider_mode = false, platform_key = "public_key", **overrides))]
    fn client(
        &self,
        py: Python<'_>,
        provider_mode: bool,
        platform_key: &str,
        overrides: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let cfg = Py::new(
            py,
            self.client_config(py, provider_mode, platform_key, overrides)?,
        )?;
        let cls = py.get_type::<PyMerchantClient>();
        Ok(cls.call1((cfg,))?.unbind())
    }

    /// A `Decryptor` with the sandbox's sub-merchant (hospital) key, for
    /// provider-mode tests.
    ///
    /// # Errors
    /// `ConfigError` if the key is unusable.
    fn sub_merchant_decryptor(&self, py: Python<'_>) -> PyResult<crate::decrypt::PyDecryptor> {
        let c = &self.creds.get().inner;
        let key = wxface_core::crypto::pem::load_private_key(
            crate::v3::provider().as_ref(),
            &c.sub_merchant_key_pem,
        )
        .py_err(py)?;
        Ok(crate::decrypt::PyDecryptor::from_core(
            wxface_core::decrypt::Decryptor::from_key(key, c.padding),
        ))
    }

    /// An emulated kiosk (face SDK) on `device_id` that recognises `person`
    /// (a key of `identities`; default: the sandbox's default person) and
    /// whose user does `outcome` (`"consent"`, `"refuse"`, `"user_cancel"`,
    /// `"camera_error"`, `"timeout"`). `provider_mode=True` makes the kiosk
    /// send the sub-merchant's `sub_mch_id` and `sub_appid`, as a kiosk of a
    /// provider-mode hospital does (`consented_face_sid` does so by itself
    /// when given a provider-mode client).
    ///
    /// # Errors
    /// `InvalidInputError` for an unknown outcome or SDK version.
    #[pyo3(signature = (person = None, outcome = "consent", *, device_id = "KIOSK-01", store_id = None, sdk_version = None, provider_mode = false))]
    #[allow(clippy::too_many_arguments)]
    fn kiosk(
        &self,
        py: Python<'_>,
        person: Option<String>,
        outcome: &str,
        device_id: &str,
        store_id: Option<String>,
        sdk_version: Option<&str>,
        provider_mode: bool,
    ) -> PyResult<PyKiosk> {
        let outcome: Outcome = outcome.parse().py_err(py)?;
        let mut cfg = wxface_sandbox::EmuConfig::new(self.url.clone());
        cfg.device_id = device_id.to_owned();
        cfg.person = person;
        cfg.outcome = outcome;
        if let Some(v) = sdk_version {
            cfg.sdk_version = v.parse().py_err(py)?;
        }
        let sdk = EmulatedSdk::new(cfg).py_err(py)?;
        let c = &self.creds.get().inner;
        Ok(PyKiosk {
            sdk: Arc::new(sdk),
            device_id: device_id.to_owned(),
            appid: c.appid.clone(),
            mch_id: c.mch_id.clone(),
            sub_appid: c.sub_appid.clone(),
            sub_mch_id: c.sub_mch_id.clone(),
            provider_mode,
            store_id: store_id.unwrap_or_else(|| "SBX-STORE-01".into()),
            initialised: Mutex::new(false),
        })
    }

    /// Test hook: every authinfo issued so far expires now; returns how many.
    ///
    /// # Errors
    /// `StateError` when stopped.
    fn expire_authinfos(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, Sandbox::expire_authinfos)
    }

    /// Test hook: every face_sid issued so far expires now; returns how many.
    ///
    /// # Errors
    /// `StateError` when stopped.
    fn expire_face_sids(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, Sandbox::expire_face_sids)
    }

    /// Clear all fault rules and all sessions.
    ///
    /// # Errors
    /// `StateError` when stopped.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, Sandbox::reset)
    }

    /// Stop serving (idempotent).
    fn stop(&self, py: Python<'_>) {
        let sb = self.slot.lock().map(|mut g| g.take()).unwrap_or(None);
        py.detach(move || drop(sb));
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> bool {
        self.stop(py);
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "Sandbox(url='{}', running={})",
            self.url,
            if self.running() { "True" } else { "False" }
        )
    }
}

/// The sandbox's merchant ids and (test) keys.
#[pyclass(frozen, module = "wxface", name = "SandboxCredentials")]
pub struct PySandboxCredentials {
    inner: Credentials,
}

#[pymethods]
impl PySandboxCredentials {
    /// The merchant's (provider's) appid.
    #[getter]
    fn appid(&self) -> &str {
        &self.inner.appid
    }
    /// The merchant's (provider's) mch_id.
    #[getter]
    fn mch_id(&self) -> &str {
        &self.inner.mch_id
    }
    /// The sub-merchant's appid (provider mode).
    #[getter]
    fn sub_appid(&self) -> &str {
        &self.inner.sub_appid
    }
    /// The sub-merchant's mch_id (provider mode).
    #[getter]
    fn sub_mch_id(&self) -> &str {
        &self.inner.sub_mch_id
    }
    /// The v2 API key.
    #[getter]
    fn v2_key(&self) -> &str {
        &self.inner.api_v2_key
    }
    /// The APIv3 key.
    #[getter]
    fn apiv3_key(&self) -> &str {
        &self.inner.api_v3_key
    }
    /// The merchant's API private key (PKCS#8 PEM).
    #[getter]
    fn merchant_key_pem(&self) -> &str {
        &self.inner.merchant_key_pem
    }
    /// The merchant's API certificate (PEM).
    #[getter]
    fn merchant_cert_pem(&self) -> &str {
        &self.inner.merchant_cert_pem
    }
    /// The merchant certificate serial.
    #[getter]
    fn merchant_serial_no(&self) -> &str {
        &self.inner.merchant_serial
    }
    /// The sub-merchant's (hospital's) API private key (PKCS#8 PEM).
    #[getter]
    fn sub_merchant_key_pem(&self) -> &str {
        &self.inner.sub_merchant_key_pem
    }
    /// The sub-merchant certificate serial.
    #[getter]
    fn sub_merchant_serial_no(&self) -> &str {
        &self.inner.sub_merchant_serial
    }
    /// The platform certificate (PEM).
    #[getter]
    fn platform_cert_pem(&self) -> &str {
        &self.inner.platform_cert_pem
    }
    /// The platform certificate serial.
    #[getter]
    fn platform_serial_no(&self) -> &str {
        &self.inner.platform_serial
    }
    /// The platform public key (SPKI PEM).
    #[getter]
    fn platform_public_key_pem(&self) -> &str {
        &self.inner.platform_public_key_pem
    }
    /// The platform public key id (`PUB_KEY_ID_…`).
    #[getter]
    fn platform_public_key_id(&self) -> &str {
        &self.inner.pub_key_id
    }
    /// The padding the sandbox encrypts real-name fields with.
    #[getter]
    fn padding(&self) -> &'static str {
        self.inner.padding.as_str()
    }

    fn __repr__(&self) -> String {
        format!(
            "SandboxCredentials(appid='{}', mch_id='{}', merchant_serial_no='{}', platform_public_key_id='{}', keys=<redacted>)",
            self.inner.appid, self.inner.mch_id, self.inner.merchant_serial, self.inner.pub_key_id
        )
    }
}

/// One test person of the sandbox. `repr()` is masked; `.real_name` is the
/// identity a successful flow must produce.
#[pyclass(frozen, module = "wxface", name = "SandboxIdentity")]
pub struct PySandboxIdentity {
    inner: TestIdentity,
}

#[pymethods]
impl PySandboxIdentity {
    /// The key that picks this person (`sb.kiosk(person=key)`).
    #[getter]
    fn key(&self) -> &str {
        &self.inner.key
    }
    /// The person's openid under the merchant's appid.
    #[getter]
    fn openid(&self) -> &str {
        &self.inner.openid
    }
    /// The person's openid under the sub-merchant's appid.
    #[getter]
    fn sub_openid(&self) -> &str {
        &self.inner.sub_openid
    }
    /// The person's union id.
    #[getter]
    fn union_id(&self) -> &str {
        &self.inner.union_id
    }
    /// The credential type code.
    #[getter]
    fn credential_type(&self) -> i64 {
        self.inner.credential_type
    }
    /// The person's identity as a `RealName` (masked `repr()`).
    ///
    /// # Errors
    /// `DecryptionError` if the configured identity is implausible (the
    /// sandbox refuses those at start, so never in practice).
    #[getter]
    fn real_name(&self, py: Python<'_>) -> PyResult<PyRealName> {
        wxface_core::realname::RealName::new(
            self.inner.expose_name().to_owned(),
            self.inner.credential_type(),
            self.inner.expose_credential_id().to_owned(),
        )
        .map(PyRealName::new)
        .map_err(|e| core_err(py, &e))
    }

    fn __repr__(&self) -> String {
        let m = self.inner.masked();
        format!(
            "SandboxIdentity(key='{}', name='{}', credential_type={}, credential_id='{}', openid={})",
            self.inner.key,
            m.name,
            self.inner.credential_type,
            m.credential_id,
            py_secret(&self.inner.openid)
        )
    }
}

fn endpoint_arg(py: Python<'_>, s: &str) -> PyResult<FaultEndpoint> {
    Ok(match s {
        "authinfo" | "v2" => FaultEndpoint::Authinfo,
        "users" | "v3" => FaultEndpoint::Users,
        "certificates" => FaultEndpoint::Certificates,
        "any" | "*" => FaultEndpoint::Any,
        _ => {
            return Err(invalid(
                py,
                "endpoint",
                "must be `authinfo`, `users`, `certificates` or `any`",
            ))
        }
    })
}

fn kind_arg(py: Python<'_>, s: &str) -> PyResult<FaultKind> {
    Ok(match s.to_ascii_lowercase().replace('-', "_").as_str() {
        "500" | "system_error" => FaultKind::SystemError,
        "503" | "service_unavailable" => FaultKind::ServiceUnavailable,
        "429" | "rate_limited" => FaultKind::RateLimited,
        "malformed" | "malformed_body" => FaultKind::MalformedBody,
        "bad_signature" => FaultKind::BadSignature,
        "stale_timestamp" => FaultKind::StaleTimestamp,
        "drop" | "drop_connection" => FaultKind::DropConnection,
        "latency" => FaultKind::Latency,
        _ => {
            return Err(invalid(
                py,
                "kind",
                "must be one of `500`/`system_error`, `503`/`service_unavailable`, `429`/`rate_limited`, `malformed`, `bad_signature`, `stale_timestamp`, `drop`, `latency`",
            ))
        }
    })
}

fn kind_name(k: FaultKind) -> &'static str {
    match k {
        FaultKind::Latency => "latency",
        FaultKind::SystemError => "system_error",
        FaultKind::ServiceUnavailable => "service_unavailable",
        FaultKind::RateLimited => "rate_limited",
        FaultKind::MalformedBody => "malformed",
        FaultKind::BadSignature => "bad_signature",
        FaultKind::StaleTimestamp => "stale_timestamp",
        FaultKind::DropConnection => "drop",
    }
}

fn endpoint_name(e: FaultEndpoint) -> &'static str {
    match e {
        FaultEndpoint::Authinfo => "authinfo",
        FaultEndpoint::Users => "users",
        FaultEndpoint::Certificates => "certificates",
        _ => "any",
    }
}

/// Fault injection: make the sandbox's WeChat Pay endpoints misbehave.
#[pyclass(frozen, module = "wxface", name = "SandboxFaults")]
pub struct PyFaults {
    inner: Faults,
}

#[pymethods]
impl PyFaults {
    /// Add a rule: `kind` on `endpoint` (`"authinfo"`, `"users"`,
    /// `"certificates"`, `"any"`) for the next `count` calls, or on each call
    /// with `probability` (seeded by `seed`, reproducible). Kinds: `"500"`
    /// (`system_error`), `"503"` (`service_unavailable`, unsigned), `"429"`
    /// (`rate_limited`), `"malformed"`, `"bad_signature"`,
    /// `"stale_timestamp"`, `"drop"` (connection closed), `"latency"`
    /// (answer normally after `latency` seconds).
    ///
    /// # Errors
    /// `InvalidInputError` for an unknown endpoint or kind, a probability
    /// outside 0..1, or a `latency` rule without a latency.
    #[pyo3(signature = (endpoint, kind, count = 1, *, probability = None, seed = 0, latency = None))]
    #[allow(clippy::too_many_arguments)]
    fn inject(
        &self,
        py: Python<'_>,
        endpoint: &str,
        kind: &str,
        count: u32,
        probability: Option<f64>,
        seed: u64,
        latency: Option<f64>,
    ) -> PyResult<()> {
        let ep = endpoint_arg(py, endpoint)?;
        let k = kind_arg(py, kind)?;
        let mut rule = match probability {
            Some(p) => FaultRule::probability(ep, k, p, seed),
            None => FaultRule::next(ep, k, count),
        };
        if let Some(l) = latency {
            if !(0.0..3600.0).contains(&l) {
                return Err(invalid(py, "latency", "must be between 0 and 3600 seconds"));
            }
            rule = rule.with_latency(Duration::from_secs_f64(l));
        } else if k == FaultKind::Latency {
            return Err(invalid(py, "latency", "is required for a `latency` rule"));
        }
        self.inner.add(rule).map_err(|e| invalid(py, "fault", &e))
    }

    /// Remove every rule.
    fn clear(&self) {
        self.inner.clear();
    }

    /// How many times a rule has fired so far.
    #[getter]
    fn fired(&self) -> u64 {
        self.inner.fired()
    }

    /// The active rules as `(endpoint, kind)` pairs.
    fn rules(&self) -> Vec<(&'static str, &'static str)> {
        self.inner
            .rules()
            .into_iter()
            .map(|r| (endpoint_name(r.endpoint), kind_name(r.kind)))
            .collect()
    }

    fn __repr__(&self) -> String {
        let rules: Vec<String> = self
            .rules()
            .into_iter()
            .map(|(e, k)| format!("('{e}', '{k}')"))
            .collect();
        format!(
            "SandboxFaults(rules=[{}], fired={})",
            rules.join(", "),
            self.inner.fired()
        )
    }
}

/// What the face SDK answered to `getWxpayfaceCode`. Unpacks as
/// `face_sid, openid = kiosk.recognise(authinfo)`. `repr()` shows the
/// lengths of `face_sid`, `openid` and `sub_openid`; the attributes hold
/// the values.
#[pyclass(frozen, module = "wxface", name = "Recognition", get_all)]
pub struct PyRecognition {
    /// The identity query credential (`face_sid`).
    pub face_sid: String,
    /// The user's openid, when the SDK answered one.
    pub openid: Option<String>,
    /// The user's openid under `sub_appid`, when answered.
    pub sub_openid: Option<String>,
}

#[pymethods]
impl PyRecognition {
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        PyTuple::new(py, [Some(self.face_sid.clone()), self.openid.clone()])?
            .as_any()
            .try_iter()
            .map(Bound::into_any)
    }

    fn __repr__(&self) -> String {
        format!(
            "Recognition(face_sid={}, openid={}, sub_openid={})",
            py_secret(&self.face_sid),
            py_secret_opt(self.openid.as_deref()),
            py_secret_opt(self.sub_openid.as_deref())
        )
    }
}

/// An emulated kiosk: the face SDK (`EmulatedSdk`) of one device, driven
/// step by step the way a kiosk application drives the vendor SDK. Calls
/// block while the emulated SDK works (the GIL is released).
#[pyclass(frozen, module = "wxface", name = "Kiosk")]
pub struct PyKiosk {
    sdk: Arc<EmulatedSdk>,
    device_id: String,
    appid: String,
    mch_id: String,
    sub_appid: String,
    sub_mch_id: String,
    provider_mode: bool,
    store_id: String,
    initialised: Mutex<bool>,
}

impl PyKiosk {
    fn call(&self, py: Python<'_>, req: SdkRequest) -> PyResult<SdkReply> {
        let cmd: Cmd = req.cmd();
        let sdk = Arc::clone(&self.sdk);
        let now: UnixTime = now_or(None);
        py.detach(move || {
            let json = req.to_json(Default::default(), now)?;
            let answer = sdk.call(&json)?;
            SdkReply::parse(cmd, answer.as_bytes())
        })
        .py_err(py)
    }

    fn ensure_init(&self, py: Python<'_>) -> PyResult<()> {
        let mut g = self.initialised.lock().unwrap_or_else(|p| p.into_inner());
        if !*g {
            self.call(py, SdkRequest::Init(InitRequest::default()))?;
            *g = true;
        }
        Ok(())
    }
}

#[pymethods]
impl PyKiosk {
    /// The kiosk's device id.
    #[getter]
    fn device_id(&self) -> &str {
        &self.device_id
    }

    /// `getWxpayfaceRawdata` (initialising the SDK first when needed).
    ///
    /// # Errors
    /// `SdkError` when the emulated SDK answers an error.
    fn rawdata(&self, py: Python<'_>) -> PyResult<String> {
        self.ensure_init(py)?;
        match self.call(py, SdkRequest::GetRawdata)? {
            SdkReply::Rawdata(r) => Ok(r),
            _ => Err(invalid(py, "rawdata", "unexpected SDK answer")),
        }
    }

    /// `getWxpayfaceCode` with `face_authtype = FACE_AUTH`: the emulated user
    /// looks at the camera. `outcome` overrides the kiosk's outcome for this
    /// face session (e.g. `"refuse"`: the user will refuse consent).
    ///
    /// # Errors
    /// `SdkError` (user cancelled, camera error, authinfo expired or not
    /// issued for this device, …), `InvalidInputError` for an unknown outcome.
    #[pyo3(signature = (authinfo, *, outcome = None, store_id = None))]
    fn recognise(
        &self,
        py: Python<'_>,
        authinfo: String,
        outcome: Option<&str>,
        store_id: Option<String>,
    ) -> PyResult<PyRecognition> {
        self.face_code(py, authinfo, outcome, store_id, self.provider_mode)
    }
    /// `getWxpayAuth` with `quit_face_auth = "0"`: ask the user to share
    /// their real-name data; the emulated user answers per the session's
    /// outcome. Returns `None` when the user consented.
    ///
    /// # Errors
    /// `SdkError` with `.return_code == "ACTION_ON_USER_QUERY_CANCEL"` when
    /// the user refused; other `SdkError`s for expired sessions.
    fn consent(&self, py: Python<'_>, authinfo: String, face_sid: String) -> PyResult<()> {
        self.auth(py, authinfo, face_sid, false)
    }

    /// `getWxpayAuth` with `quit_face_auth = "1"`: end the face session
    /// without asking (the patient is already verified; mandatory since SDK
    /// 1.20).
    ///
    /// # Errors
    /// `SdkError` when the emulated SDK answers an error.
    fn quit(&self, py: Python<'_>, authinfo: String, face_sid: String) -> PyResult<()> {
        self.auth(py, authinfo, face_sid, true)
    }

    /// The whole kiosk side up to a consented `face_sid`: rawdata, an
    /// authinfo from `merchant` (a `MerchantClient`, or any callable
    /// `rawdata -> authinfo`), recognition and consent.
    ///
    /// # Errors
    /// Whatever the merchant call or the SDK raises.
    fn consented_face_sid(&self, py: Python<'_>, merchant: &Bound<'_, PyAny>) -> PyResult<String> {
        let rawdata = self.rawdata(py)?;
        let mut provider_mode = self.provider_mode;
        let authinfo: String = if let Ok(c) = merchant.cast::<PyMerchantClient>() {
            provider_mode |= c.get().is_provider_mode();
            let kw = PyDict::new(py);
            kw.set_item("device_id", &self.device_id)?;
            c.call_method("get_authinfo", (rawdata,), Some(&kw))?
                .getattr("authinfo")?
                .extract()?
        } else {
            merchant.call1((rawdata,))?.extract()?
        };
        let rec = self.face_code(py, authinfo.clone(), None, None, provider_mode)?;
        self.consent(py, authinfo, rec.face_sid.clone())?;
        Ok(rec.face_sid)
    }

    /// `releaseWxpayface`.
    ///
    /// # Errors
    /// `SdkError` when the emulated SDK answers an error.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, SdkRequest::Release)?;
        *self.initialised.lock().unwrap_or_else(|p| p.into_inner()) = false;
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!(
            "Kiosk(device_id='{}', store_id='{}')",
            self.device_id, self.store_id
        )
    }
}

impl PyKiosk {
    fn face_code(
        &self,
        py: Python<'_>,
        authinfo: String,
        outcome: Option<&str>,
        store_id: Option<String>,
        provider_mode: bool,
    ) -> PyResult<PyRecognition> {
        self.ensure_init(py)?;
        if let Some(o) = outcome {
            self.sdk.push_outcome(o.parse().py_err(py)?);
        }
        let req = FaceCodeRequest {
            appid: self.appid.clone(),
            mch_id: self.mch_id.clone(),
            sub_appid: provider_mode.then(|| self.sub_appid.clone()),
            sub_mch_id: provider_mode.then(|| self.sub_mch_id.clone()),
            store_id: store_id.unwrap_or_else(|| self.store_id.clone()),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo,
            ..FaceCodeRequest::default()
        };
        match self.call(py, SdkRequest::GetFaceCode(req))? {
            SdkReply::FaceCode(r) => Ok(PyRecognition {
                face_sid: r
                    .face_sid
                    .ok_or_else(|| invalid(py, "face_sid", "missing from the SDK answer"))?,
                openid: r.openid,
                sub_openid: r.sub_openid,
            }),
            _ => Err(invalid(py, "face_sid", "unexpected SDK answer")),
        }
    }

    fn auth(&self, py: Python<'_>, authinfo: String, face_sid: String, quit: bool) -> PyResult<()> {
        self.ensure_init(py)?;
        self.call(
            py,
            SdkRequest::GetAuth(AuthRequest {
                authinfo,
                face_sid,
                quit,
            }),
        )
        .map(|_| ())
    }
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySandbox>()?;
    m.add_class::<PySandboxCredentials>()?;
    m.add_class::<PySandboxIdentity>()?;
    m.add_class::<PyFaults>()?;
    m.add_class::<PyKiosk>()?;
    m.add_class::<PyRecognition>()?;
    Ok(())
}
