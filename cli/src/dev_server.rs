//! `wxface dev-server`: everything a browser or Node kiosk needs during
//! development, in one process and on one port.
//!
//! | path | what |
//! |---|---|
//! | `POST /sdk` | body: a face SDK request (JSON) → the emulated SDK's answer (JSON): "WxpayFaceService over HTTP" |
//! | `POST /kiosk/authinfo`, `/kiosk/verified`, `/kiosk/real-name` | the reference merchant server (`docs/merchant-api.md`) in front of the embedded WeChat Pay sandbox |
//! | `POST /_dev/scenario` | `{"outcome": "consent" \| "refuse" \| "cancel", "already_verified": bool, "openid_with_face_sid": bool}`: what the emulated patient does, whether the merchant side treats users as already verified, and whether recognition answers the openid with the face_sid (default: not, as the spec's table says; `--openid-with-face-sid` starts with it); every field optional, the answer is the scenario in force |
//! | `GET /_dev/scenario` | the scenario in force |
//! | anything else | the static directory (`index.html` for directories) |
//!
//! The first line on standard output is `listening on http://HOST:PORT`;
//! the second, `device credential DEVICE_ID: wxfd1.…`, the credential the
//! merchant API accepts for this run (issued afresh at every start for
//! `--device-id`; a kiosk page takes it once as `?device_credential=…`).
//! The scenario stays in force until it is changed. With `already_verified`
//! false the merchant side answers "not verified" for everyone, even a user
//! it verified a moment ago, so that every run of a scenario behaves the same.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use clap::{Args, ValueEnum};
use serde::Deserialize;
use serde_json::json;
use tower_http::services::ServeDir;
use wxface_capture::FaceSdk;
use wxface_client::server::{
    issue, router, InMemoryDevices, InMemoryRegistry, PatientRecord, PatientRegistry,
};
use wxface_core::realname::RealName;
use wxface_core::time::{Clock, OsEntropy, SystemClock};
use wxface_core::v3::FaceUser;
use wxface_sandbox::{EmuConfig, EmulatedFaceSdk, Outcome, Sandbox};

use crate::error::CliError;
use crate::helpers::out;
use crate::merchant::MerchantSetup;
use crate::serve::{runtime, sandbox_config, shutdown_signal};

/// Device id the emulated face SDK reports (the kiosk must send the same).
pub const DEFAULT_DEVICE_ID: &str = "EMU-DEVICE-01";

/// `--scenario`: the starting scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DevScenario {
    /// The patient is recognised and consents.
    Consent,
    /// The patient is recognised and refuses consent.
    Refuse,
    /// The patient cancels on the face screen.
    Cancel,
    /// The camera fails.
    CameraError,
    /// Recognition hangs (for --timeout-ms), then fails.
    Timeout,
    /// The merchant already verified the patient (consent otherwise).
    AlreadyVerified,
}

/// Arguments of `wxface dev-server`.
#[derive(Debug, Args)]
pub struct DevServerArgs {
    /// Directory served as static files (the kiosk page).
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: PathBuf,

    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// The scenario to start with (change it with POST /_dev/scenario).
    #[arg(long, value_enum, default_value = "consent")]
    pub scenario: DevScenario,

    /// Device id of the emulated face SDK (the kiosk must send the same).
    #[arg(long, default_value = DEFAULT_DEVICE_ID)]
    pub device_id: String,

    /// Test person the emulated SDK recognises (sandbox identity key, e.g. patient-b).
    #[arg(long)]
    pub person: Option<String>,

    /// How long recognition takes, in milliseconds.
    #[arg(long, default_value_t = 600)]
    pub latency_ms: u64,

    /// Sandbox configuration file (TOML or JSON).
    #[arg(long, value_name = "PATH")]
    pub sandbox_config: Option<PathBuf>,

    /// The emulated face SDK answers `openid` along with `face_sid` (the
    /// sandbox's older behaviour; by default none, as the spec's table says).
    #[arg(long)]
    pub openid_with_face_sid: bool,
}

/// The merchant side's answer to "already verified?", set by the scenario.
#[derive(Default)]
pub struct DevRegistry {
    already: AtomicBool,
    records: InMemoryRegistry,
}

impl DevRegistry {
    /// Treat every user as already verified (or none).
    pub fn set_already_verified(&self, yes: bool) {
        self.already.store(yes, Ordering::SeqCst);
    }

    /// Whether users are treated as already verified.
    pub fn already_verified(&self) -> bool {
        self.already.load(Ordering::SeqCst)
    }
}

impl PatientRegistry for DevRegistry {
    fn lookup(
        &self,
        openid: Option<&str>,
        sub_openid: Option<&str>,
    ) -> Result<Option<PatientRecord>, wxface_client::Error> {
        if !self.already_verified() {
            return Ok(None);
        }
        let known = self.records.lookup(openid, sub_openid)?;
        Ok(Some(known.unwrap_or_else(|| {
            PatientRecord::imported("P-DEV-EARLIER")
        })))
    }

    fn record(
        &self,
        user: &FaceUser,
        identity: &RealName,
    ) -> Result<PatientRecord, wxface_client::Error> {
        self.records.record(user, identity)
    }
}

#[derive(Clone)]
struct DevState {
    sdk: Arc<EmulatedFaceSdk>,
    registry: Arc<DevRegistry>,
    outcome: Arc<std::sync::Mutex<Outcome>>,
    openid_with_face_sid: Arc<AtomicBool>,
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::UserCancel => "cancel",
        other => other.as_str(),
    }
}

impl DevState {
    fn current(&self) -> serde_json::Value {
        let outcome = *self.outcome.lock().unwrap_or_else(|p| p.into_inner());
        json!({
            "outcome": outcome_name(outcome),
            "already_verified": self.registry.already_verified(),
            "openid_with_face_sid": self.openid_with_face_sid.load(Ordering::SeqCst),
        })
    }

    fn set_openid_with_face_sid(&self, with_openid: bool) {
        self.sdk.set_openid_with_face_sid(Some(with_openid));
        self.openid_with_face_sid
            .store(with_openid, Ordering::SeqCst);
    }

    fn set_outcome(&self, o: Outcome) {
        self.sdk.set_outcome(o);
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = o;
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

async fn sdk_call(State(st): State<DevState>, body: Bytes) -> Response {
    let Ok(request) = String::from_utf8(body.to_vec()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "the face SDK request is not UTF-8",
        );
    };
    let sdk = st.sdk.clone();
    // The emulator blocks (it asks the sandbox over HTTP, and sleeps for the
    // recognition latency): keep it off the async workers.
    match tokio::task::spawn_blocking(move || sdk.call(&request)).await {
        Ok(Ok(answer)) => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            answer,
        )
            .into_response(),
        Ok(Err(e)) => error(StatusCode::BAD_GATEWAY, e.code(), &e.to_string()),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "runtime",
            "the face SDK call did not complete",
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioIn {
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    already_verified: Option<bool>,
    #[serde(default)]
    openid_with_face_sid: Option<bool>,
}

async fn set_scenario(State(st): State<DevState>, body: Bytes) -> Response {
    let req: ScenarioIn = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => return error(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "expected {\"outcome\": \"consent\"|\"refuse\"|\"cancel\", \"already_verified\": bool, \"openid_with_face_sid\": bool}",
        ),
    };
    if let Some(o) = &req.outcome {
        match o.parse::<Outcome>() {
            Ok(o) => st.set_outcome(o),
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    "`outcome` must be consent, refuse, cancel, camera_error or timeout",
                )
            }
        }
    }
    if let Some(a) = req.already_verified {
        st.registry.set_already_verified(a);
    }
    if let Some(o) = req.openid_with_face_sid {
        st.set_openid_with_face_sid(o);
    }
    tracing::info!(scenario = %st.current(), "scenario set");
    Json(st.current()).into_response()
}

async fn get_scenario(State(st): State<DevState>) -> Response {
    Json(st.current()).into_response()
}

/// Run `wxface dev-server` until a signal arrives.
///
/// # Errors
/// A missing static directory, a port that cannot be bound, or a sandbox or
/// merchant configuration error.
pub fn run(args: &DevServerArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    if !args.static_dir.is_dir() {
        return Err(CliError::Usage(format!(
            "--static `{}` is not a directory",
            args.static_dir.display()
        )));
    }
    let addr: SocketAddr = format!("{}:{}", args.host, args.port)
        .parse()
        .map_err(|_| CliError::Usage(format!("`{}` is not an IP address", args.host)))?;
    let mut config = sandbox_config(args.sandbox_config.as_ref())?;
    config.host = "127.0.0.1".into();
    config.port = 0;
    if args.openid_with_face_sid {
        config.openid_with_face_sid = true;
    }
    let rt = runtime()?;
    let sandbox = rt
        .block_on(Sandbox::start(config))
        .map_err(|e| CliError::Runtime(e.to_string()))?;

    let setup = MerchantSetup::from_credentials(&sandbox.credentials(), &sandbox.url());
    let (_client, state) = setup.server_state()?;
    let registry = Arc::new(DevRegistry::default());
    // One kiosk is let in: the device of the emulated face SDK, with a
    // credential issued for this run and printed on the second line.
    let devices = Arc::new(InMemoryDevices::new());
    let (credential, _) = issue(
        &*devices,
        &args.device_id,
        Some("dev-server"),
        SystemClock.now(),
        &OsEntropy,
    )
    .map_err(CliError::Core)?;
    let state = state.with_registry(registry.clone()).with_devices(devices);

    // The blocking HTTP client of the emulator must be built outside the runtime.
    let mut emu = EmuConfig::new(sandbox.url());
    emu.device_id = args.device_id.clone();
    emu.person = args.person.clone();
    emu.recognition_latency = Duration::from_millis(args.latency_ms);
    let sdk = Arc::new(EmulatedFaceSdk::new(emu).map_err(CliError::Core)?);
    let dev = DevState {
        sdk,
        registry: registry.clone(),
        outcome: Arc::new(std::sync::Mutex::new(Outcome::Consent)),
        openid_with_face_sid: Arc::new(AtomicBool::new(args.openid_with_face_sid)),
    };
    dev.set_openid_with_face_sid(args.openid_with_face_sid);
    match args.scenario {
        DevScenario::Consent => dev.set_outcome(Outcome::Consent),
        DevScenario::Refuse => dev.set_outcome(Outcome::Refuse),
        DevScenario::Cancel => dev.set_outcome(Outcome::UserCancel),
        DevScenario::CameraError => dev.set_outcome(Outcome::CameraError),
        DevScenario::Timeout => dev.set_outcome(Outcome::Timeout),
        DevScenario::AlreadyVerified => {
            dev.set_outcome(Outcome::Consent);
            registry.set_already_verified(true);
        }
    }

    let app = Router::new()
        .route("/sdk", post(sdk_call))
        .route("/_dev/scenario", post(set_scenario).get(get_scenario))
        .with_state(dev.clone())
        .merge(router(state))
        .fallback_service(ServeDir::new(&args.static_dir));

    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| CliError::Runtime(format!("cannot listen on {addr}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| CliError::Runtime(e.to_string()))?;
        out(stdout, &format!("listening on http://{bound}"))?;
        out(
            stdout,
            &format!(
                "device credential {}: {}",
                args.device_id,
                credential.expose()
            ),
        )?;
        stdout
            .flush()
            .map_err(|e| CliError::Runtime(format!("cannot write output: {e}")))?;
        eprintln!(
            "wxface: open http://{bound}/?device_credential=… (the line above) once; \
             the kiosk page keeps it"
        );
        eprintln!(
            "wxface: serving {} · face SDK bridge POST /sdk (device {}) · merchant API /kiosk/* · \
             scenario {} · WeChat Pay sandbox {}",
            args.static_dir.display(),
            args.device_id,
            dev.current(),
            sandbox.url()
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| CliError::Runtime(format!("server error: {e}")))
    });
    drop(sandbox);
    // The emulator's blocking client may not be dropped inside the runtime.
    drop(rt);
    result
}
