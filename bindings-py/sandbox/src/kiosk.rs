//! `EmulatedKiosk`: the kiosk driver of `wxface-capture` (the core's flow
//! machine: authinfo cache and refresh, the "already verified?" question,
//! consent or quit) over the sandbox's face SDK emulator, asking a merchant
//! server written in Python.
//!
//! The merchant server is a callable `merchant(path, request) -> answer`
//! speaking the kiosk API of `docs/merchant-api.md` (`wxface_core::kiosk_api`):
//! `path` is `/kiosk/authinfo`, `/kiosk/verified` or `/kiosk/real-name`,
//! `request` and `answer` are the JSON bodies as dicts. Its answers are
//! checked exactly as the HTTP backend checks a server's (a real-name answer
//! must be masked); a wxface exception it raises comes back as that error. A
//! `MerchantClient` is taken as `wxface.kiosk.ClientBackend(client)`.

use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde::Serialize;
use wxface_capture::{AuthinfoGrant, FaceSdk, FlowConfig, Kiosk, MerchantBackend, ProgressEvent};
use wxface_capture::{Outcome, VerifyHooks};
use wxface_core::flow::Recognised;
use wxface_core::kiosk_api::{self, Answer, AuthinfoAnswer, AuthinfoRequest, RealNameAnswer};
use wxface_core::kiosk_api::{RealNameRequest, VerifiedAnswer, VerifiedRequest};
use wxface_core::model::{self, Progress};
use wxface_core::realname::MaskedIdentity;
use wxface_core::sdk::{SdkReply, SdkRequest};
use wxface_core::time::{Clock, SystemClock};
use wxface_core::Error;
use wxface_sandbox::EmulatedFaceSdk;

use crate::errors::{from_py, info_to_py, IntoPyResult};
use crate::util::{json_dumps, json_loads};

/// `wxface.MerchantClient`, imported once.
static MERCHANT_CLIENT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `wxface.kiosk.ClientBackend`, imported once.
static CLIENT_BACKEND: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
/// `wxface.kiosk._outcome`, imported once.
static OUTCOME: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The merchant server of the verification in progress (a Python callable).
#[derive(Default)]
struct PyMerchant(Mutex<Option<Py<PyAny>>>);

impl PyMerchant {
    /// POST `request` to `A::PATH` of the Python merchant server.
    fn ask<A: Answer>(&self, request: &impl Serialize) -> Result<A, Error> {
        let request = serde_json::to_string(request).unwrap_or_default();
        let answer = Python::attach(|py| -> Result<String, Error> {
            let merchant = lock(&self.0)
                .as_ref()
                .map(|m| m.clone_ref(py))
                .ok_or_else(|| Error::Internal("no verification in progress".into()))?;
            json_loads(py, &request)
                .and_then(|r| merchant.bind(py).call1((A::PATH, r)))
                .and_then(|a| json_dumps(py, &a))
                .map_err(|e| from_py(py, &e, A::PATH))
        })?;
        kiosk_api::decode_answer(200, answer.as_bytes())
    }

    fn grant(&self, request: AuthinfoRequest) -> Result<AuthinfoGrant, Error> {
        let now = SystemClock.now();
        let answer: AuthinfoAnswer = self.ask(&request)?;
        Ok(AuthinfoGrant {
            expires_at: answer.expiry(now)?.expires_at,
            authinfo: answer.authinfo,
        })
    }
}

impl MerchantBackend for PyMerchant {
    fn authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, Error> {
        self.grant(AuthinfoRequest::new(rawdata, device_id))
    }

    fn refresh_authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, Error> {
        self.grant(AuthinfoRequest {
            refresh: true,
            ..AuthinfoRequest::new(rawdata, device_id)
        })
    }

    fn is_verified(&self, who: &Recognised) -> Result<bool, Error> {
        let a: VerifiedAnswer = self.ask(&VerifiedRequest::from(who))?;
        Ok(a.already_verified)
    }

    fn real_name(&self, face_sid: &str, device_id: &str) -> Result<MaskedIdentity, Error> {
        let request = RealNameRequest {
            face_sid: face_sid.to_owned(),
            device_id: device_id.to_owned(),
        };
        let a: RealNameAnswer = self.ask(&request)?;
        Ok(a.identity)
    }
}

/// One verification as the shared records: `{"outcome": …, "steps": […]}`
/// (`wxface_core::model`), which `wxface.kiosk._outcome` makes a
/// `Outcome`.
#[derive(Serialize)]
struct Record {
    outcome: model::Outcome,
    steps: Vec<Progress>,
}

/// An emulated kiosk: the real kiosk driver (`wxface-capture`'s `Kiosk`,
/// the core's flow machine) over the sandbox's face SDK emulator, started
/// (`initWxpayface`) on creation. Get one from `Sandbox.kiosk()`.
///
/// `verify(merchant)` runs one patient's whole flow: rawdata, an authinfo
/// from the merchant server (cached by the flow for later patients,
/// refreshed once when the SDK reports it expired), recognition, the
/// "already verified?" question (then `getWxpayAuth` with quit), consent,
/// and the masked identity from the merchant server. `merchant` is a
/// `MerchantClient`, or any callable `merchant(path, request) -> answer` of
/// the kiosk API (see `wxface.kiosk.ClientBackend`). One verification at a
/// time; the GIL is released while it runs.
#[pyclass(frozen, module = "wxface_sandbox", name = "EmulatedKiosk")]
pub struct PyEmulatedKiosk {
    kiosk: Kiosk,
    sdk: Arc<EmulatedFaceSdk>,
    merchant: Arc<PyMerchant>,
    /// Held by `verify` while `merchant` is its merchant server.
    turn: Mutex<()>,
    /// Provider mode: the hospital's key (a `wxface.Decryptor`), for a
    /// `MerchantClient` merchant.
    hospital_key: Option<Py<PyAny>>,
}

impl PyEmulatedKiosk {
    /// A started kiosk over `sdk`.
    pub(crate) fn start(
        py: Python<'_>,
        flow: FlowConfig,
        device_id: &str,
        sdk: EmulatedFaceSdk,
        hospital_key: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let sdk = Arc::new(sdk);
        let merchant = Arc::new(PyMerchant::default());
        let face_sdk: Arc<dyn FaceSdk> = sdk.clone();
        let backend: Arc<dyn MerchantBackend> = merchant.clone();
        let kiosk =
            Kiosk::new(flow, device_id, face_sdk, backend, Arc::new(SystemClock)).py_err(py)?;
        py.detach(|| kiosk.start()).py_err(py)?;
        Ok(Self {
            kiosk,
            sdk,
            merchant,
            turn: Mutex::new(()),
            hospital_key,
        })
    }

    /// The merchant server callable for `merchant`.
    fn merchant_callable(&self, merchant: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = merchant.py();
        // `wxface`'s class, checked from Python: this extension module's own
        // `MerchantClient` type is not the one `wxface` users hold.
        let client_cls = MERCHANT_CLIENT.import(py, "wxface", "MerchantClient")?;
        if !merchant.is_instance(client_cls)? {
            return Ok(merchant.clone().unbind());
        }
        let provider = merchant
            .getattr("config")?
            .getattr("is_provider_mode")?
            .is_truthy()?;
        let key = match &self.hospital_key {
            Some(k) if provider => Some(k.clone_ref(py)),
            _ => None,
        };
        let cls = CLIENT_BACKEND.import(py, "wxface.kiosk", "ClientBackend")?;
        let kw = pyo3::types::PyDict::new(py);
        kw.set_item("decryptor", key)?;
        Ok(cls.call((merchant,), Some(&kw))?.unbind())
    }

    fn run(
        &self,
        py: Python<'_>,
        merchant: &Bound<'_, PyAny>,
        outcome: Option<&str>,
    ) -> PyResult<(Outcome, Vec<Progress>)> {
        let merchant = self.merchant_callable(merchant)?;
        if let Some(o) = outcome {
            self.sdk.push_outcome(o.parse().py_err(py)?);
        }
        let (outcome, steps, merchant) = py.detach(|| {
            let _turn = lock(&self.turn);
            *lock(&self.merchant.0) = Some(merchant);
            let mut steps = Vec::new();
            let outcome = self.kiosk.verify(VerifyHooks::new().on_progress(|e| {
                if let ProgressEvent::StepFinished {
                    step,
                    status,
                    elapsed,
                    error,
                } = e
                {
                    steps.push(Progress::step_finished(
                        *step,
                        *status,
                        *elapsed,
                        error.as_ref(),
                    ));
                }
            }));
            crate::log::flush();
            (outcome, steps, lock(&self.merchant.0).take())
        });
        drop(merchant);
        Ok((outcome, steps))
    }
}

#[pymethods]
impl PyEmulatedKiosk {
    /// The kiosk's device id.
    #[getter]
    fn device_id(&self) -> &str {
        self.kiosk.device_id()
    }

    /// The flow's state: `ready`, `released`, or the request a verification
    /// waits for.
    #[getter]
    fn state(&self) -> &'static str {
        self.kiosk.state_name()
    }

    /// Verify one patient (see the class); `outcome` scripts what the
    /// emulated user does in this face session (`"consent"`, `"refuse"`,
    /// `"user_cancel"`, `"camera_error"`, `"timeout"`), else the kiosk's.
    /// Every way the flow ends is an `Outcome`, failures included.
    ///
    /// # Errors
    /// `InvalidInputError` for an unknown outcome.
    #[pyo3(signature = (merchant, *, outcome = None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        merchant: &Bound<'_, PyAny>,
        outcome: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (outcome, steps) = self.run(py, merchant, outcome)?;
        let record = Record {
            outcome: outcome.into(),
            steps,
        };
        // Strings, numbers and the error records: it always serialises.
        let json = serde_json::to_string(&record).unwrap_or_default();
        OUTCOME
            .import(py, "wxface.kiosk", "_outcome")?
            .call1((json,))
    }

    /// `verify(merchant)`, for tests of the merchant side: the `face_sid` of
    /// the verified patient.
    ///
    /// # Errors
    /// The error the verification failed with (the step's error when consent
    /// was refused), or `StateError` for another outcome.
    fn consented_face_sid(&self, py: Python<'_>, merchant: &Bound<'_, PyAny>) -> PyResult<String> {
        let error = match self.run(py, merchant, None)? {
            (Outcome::Verified { who, .. }, _) => return Ok(who.face_sid),
            (Outcome::Failed { error, .. }, _) => error.info(),
            (other, steps) => steps
                .into_iter()
                .rev()
                .find_map(|p| match p {
                    Progress::StepFinished { error, .. } => error,
                    _ => None,
                })
                .unwrap_or_else(|| {
                    let state = other.as_str();
                    Error::State {
                        state,
                        event: "consented_face_sid",
                    }
                    .info()
                }),
        };
        Err(info_to_py(py, &error))
    }

    /// A fresh `rawdata` straight from the emulated SDK (outside the flow),
    /// for tests that call `MerchantClient.get_authinfo` themselves.
    ///
    /// # Errors
    /// `SdkError` when the emulated SDK answers an error.
    fn rawdata(&self, py: Python<'_>) -> PyResult<String> {
        let req = SdkRequest::GetRawdata;
        py.detach(|| {
            let json = req.to_json(Default::default(), SystemClock.now())?;
            match SdkReply::parse(req.cmd(), self.sdk.call(&json)?.as_bytes())? {
                SdkReply::Rawdata(r) => Ok(r),
                _ => Err(Error::malformed("face SDK answer", "no rawdata")),
            }
        })
        .py_err(py)
    }

    /// Forget the authinfo the flow cached.
    fn invalidate_authinfo(&self) {
        self.kiosk.invalidate_authinfo();
    }

    /// `releaseWxpayface`: the kiosk accepts nothing afterwards.
    ///
    /// # Errors
    /// `StateError` when already released; the SDK's error.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.kiosk.shutdown()).py_err(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "EmulatedKiosk(device_id='{}', state='{}')",
            self.kiosk.device_id(),
            self.kiosk.state_name()
        )
    }
}

/// Register the module's names.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEmulatedKiosk>()
}
