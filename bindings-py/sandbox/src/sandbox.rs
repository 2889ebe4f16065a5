//! The embedded sandbox: WeChat Pay's endpoints and the face SDK, emulated
//! in-process (a Rust server on its own threads), for tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};
use wxface_capture::FlowConfig;
use wxface_core::Error;
use wxface_sandbox::{
    Credentials, EmulatedFaceSdk, FaultEndpoint, FaultKind, FaultRule, Faults, Sandbox,
    SandboxConfig, SandboxIdentity,
};

use crate::errors::{to_py, IntoPyResult};
use crate::kiosk::PyEmulatedKiosk;
use crate::util::{config, invalid, json_dumps, py_secret};

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
///     kiosk = sb.kiosk(person="patient-a")          # an EmulatedKiosk
///     face_sid = kiosk.consented_face_sid(client)
///     print(client.fetch_real_name(face_sid))   # 测*****甲 (身份证 110***********1234)
/// ```
#[pyclass(frozen, module = "wxface_sandbox", name = "Sandbox")]
pub struct PySandbox {
    slot: Slot,
    url: String,
    creds: Py<PySandboxCredentials>,
    faults: Faults,
}

/// `wxface.ClientConfig`, `wxface.MerchantClient` and `wxface.Decryptor`:
/// the kit makes `wxface`'s own objects (a class of this extension module
/// would not be one of `wxface._native`).
static CLIENT_CONFIG: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static MERCHANT_CLIENT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DECRYPTOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static REAL_NAME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The store of the sandbox's client configurations and kiosks.
const STORE_ID: &str = "SBX-STORE-01";

impl PySandbox {
    /// A `wxface.Decryptor` with the sub-merchant's (hospital's) key.
    fn hospital_key(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let c = &self.creds.get().inner;
        let cls = DECRYPTOR.import(py, "wxface", "Decryptor")?;
        Ok(cls
            .call1((c.sub_merchant_key_pem.as_str(), c.padding.as_str()))?
            .unbind())
    }

    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&Sandbox) -> T) -> PyResult<T> {
        let g = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        match g.as_ref() {
            Some(sb) => Ok(f(sb)),
            None => Err(to_py(
                py,
                &Error::State {
                    state: "stopped",
                    event: "sandbox_call",
                },
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
        crate::log::ensure(py);
        let json_text = match options {
            Some(o) => json_dumps(py, o)?,
            None => "{}".to_owned(),
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
    ) -> PyResult<Py<PyAny>> {
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
                    kw.set_item(
                        "platform_certificate_pem",
                        vec![c.platform_cert_pem.clone()],
                    )?;
                }
            }
            "certificate" => {
                kw.set_item(
                    "platform_certificate_pem",
                    vec![c.platform_cert_pem.clone()],
                )?;
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
        kw.set_item("store_id", STORE_ID)?;
        kw.set_item("store_name", "沙箱医院门诊大厅")?;
        kw.set_item("base_url", &self.url)?;
        kw.set_item("max_retries", 2)?;
        kw.set_item("retry_backoff", 0.01)?;
        if let Some(o) = overrides {
            kw.update(o.as_mapping())?;
        }
        let cls = CLIENT_CONFIG.import(py, "wxface", "ClientConfig")?;
        Ok(cls.call((), Some(&kw))?.unbind())
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
        let cfg = self.client_config(py, provider_mode, platform_key, overrides)?;
        let cls = MERCHANT_CLIENT.import(py, "wxface", "MerchantClient")?;
        Ok(cls.call1((cfg,))?.unbind())
    }

    /// A `Decryptor` with the sandbox's sub-merchant (hospital) key, for
    /// provider-mode tests.
    ///
    /// # Errors
    /// `ConfigError` if the key is unusable.
    fn sub_merchant_decryptor(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.hospital_key(py)
    }

    /// An `EmulatedKiosk` on `device_id`, started: the kiosk driver over a
    /// face SDK emulator that recognises `person` (a key of `identities`;
    /// default: the sandbox's default person) and whose user does `outcome`
    /// (`"consent"`, `"refuse"`, `"user_cancel"`, `"camera_error"`,
    /// `"timeout"`). `provider_mode=True` makes it a kiosk of a
    /// provider-mode hospital (it sends the sub-merchant's `sub_mch_id` and
    /// `sub_appid`; a provider-mode `MerchantClient` given to it decrypts
    /// with the sub-merchant's key). `openid_with_face_sid` overrides the
    /// sandbox's setting for this kiosk's emulator: `True`, recognition
    /// answers `openid` along with `face_sid` (the older behaviour); `False`,
    /// it answers none, as the spec's table says; `None`, the sandbox's.
    ///
    /// # Errors
    /// `InvalidInputError` for an unknown outcome, SDK version or a bad
    /// device id; `SdkError` when the emulated SDK does not start.
    #[pyo3(signature = (person = None, outcome = "consent", *, device_id = "KIOSK-01", store_id = None, sdk_version = None, provider_mode = false, openid_with_face_sid = None))]
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
        openid_with_face_sid: Option<bool>,
    ) -> PyResult<PyEmulatedKiosk> {
        let c = &self.creds.get().inner;
        let mut emu = wxface_sandbox::EmuConfig::new(self.url.clone());
        emu.device_id = device_id.to_owned();
        emu.person = person;
        emu.openid_with_face_sid = openid_with_face_sid;
        emu.outcome = outcome.parse().py_err(py)?;
        if let Some(v) = sdk_version {
            emu.sdk_version = v.parse().py_err(py)?;
        }
        let store_id = store_id.unwrap_or_else(|| STORE_ID.into());
        let mut flow = FlowConfig::new(c.appid.clone(), c.mch_id.clone(), store_id);
        flow.sdk_version = emu.sdk_version;
        if provider_mode {
            flow.sub_appid = Some(c.sub_appid.clone());
            flow.sub_mch_id = Some(c.sub_mch_id.clone());
        }
        let hospital_key = provider_mode.then(|| self.hospital_key(py)).transpose()?;
        let sdk = EmulatedFaceSdk::new(emu).py_err(py)?;
        PyEmulatedKiosk::start(py, flow, device_id, sdk, hospital_key)
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
#[pyclass(frozen, module = "wxface_sandbox", name = "SandboxCredentials")]
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
#[pyclass(frozen, module = "wxface_sandbox", name = "SandboxIdentity")]
pub struct PySandboxIdentity {
    inner: SandboxIdentity,
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
    /// The person's identity as a `wxface.RealName` (masked `repr()`).
    ///
    /// # Errors
    /// `DecryptionError` if the configured identity is implausible (the
    /// sandbox refuses those at start, so never in practice).
    #[getter]
    fn real_name(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let cls = REAL_NAME.import(py, "wxface", "RealName")?;
        Ok(cls
            .call1((
                self.inner.expose_name(),
                self.inner.credential_type,
                self.inner.expose_credential_id(),
            ))?
            .unbind())
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

/// A fault endpoint or kind by the sandbox's own (serde) name, the one
/// table of fault names every test kit uses (docs/sandbox.md).
fn fault_arg<T: serde::de::DeserializeOwned>(py: Python<'_>, field: &str, s: &str) -> PyResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        invalid(
            py,
            field,
            "is not a known name (see `SandboxFaults.inject`)",
        )
    })
}

/// The serde name of a fault endpoint or kind.
fn fault_name(v: impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Fault injection: make the sandbox's WeChat Pay endpoints misbehave.
#[pyclass(frozen, module = "wxface_sandbox", name = "SandboxFaults")]
pub struct PyFaults {
    inner: Faults,
}

#[pymethods]
impl PyFaults {
    /// Add a rule: `kind` on `endpoint` (`"authinfo"`, `"users"`,
    /// `"certificates"`, `"any"`) for the next `count` calls, or on each call
    /// with `probability` (seeded by `seed`, reproducible). Kinds, by the
    /// sandbox's own names (docs/sandbox.md): `"system_error"` (500),
    /// `"service_unavailable"` (503, unsigned), `"rate_limited"` (429),
    /// `"malformed_body"`, `"bad_signature"`, `"stale_timestamp"`,
    /// `"drop_connection"`, `"latency"` (answer normally after `latency`
    /// seconds).
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
        let ep: FaultEndpoint = fault_arg(py, "endpoint", endpoint)?;
        let k: FaultKind = fault_arg(py, "kind", kind)?;
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

    /// The active rules as `(endpoint, kind)` pairs, by their full names
    /// (`system_error`, `malformed_body`, `drop_connection`, …).
    fn rules(&self) -> Vec<(String, String)> {
        self.inner
            .rules()
            .into_iter()
            .map(|r| (fault_name(r.endpoint), fault_name(r.kind)))
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

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySandbox>()?;
    m.add_class::<PySandboxCredentials>()?;
    m.add_class::<PySandboxIdentity>()?;
    m.add_class::<PyFaults>()?;
    Ok(())
}
