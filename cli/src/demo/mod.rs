//! `wxface demo`: the whole face real-name flow on this machine.
//!
//! One process runs the three parties of the protocol, wired as in a
//! hospital:
//!
//! ```text
//!  kiosk (wxface_capture::Kiosk)
//!    ├─ face SDK: libwxface_sdk_emu through the vendor C ABI ──► sandbox /_emu (WeChat's face service)
//!    └─ HttpMerchantBackend ──HTTP──► reference merchant server (wxface-client `server`)
//!                                        └─ MerchantClient ──HTTP──► sandbox (WeChat Pay v2 + APIv3)
//! ```
//!
//! The kiosk holds no secret; the merchant server signs, verifies, decrypts
//! and answers masked data only; the sandbox plays WeChat Pay with
//! fictitious test persons. Each scenario is a short story of one or two
//! patient visits, each on a freshly started kiosk, and says what it
//! expects; the demo exits with status 1 when a visit ends otherwise.

pub mod render;
pub mod sdk;

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use wxface_capture::{
    FlowConfig, HttpMerchantBackend, Kiosk, MerchantBackend, Outcome, ProgressEvent, Step,
    StepStatus, VerifyHooks,
};
use wxface_client::server::{
    issue, serve, InMemoryDevices, InMemoryRegistry, PatientRecord, PatientRegistry,
};
use wxface_client::MerchantClient;
use wxface_core::realname::RealName;
use wxface_core::sdk::{classify_sdk_error, SdkErrorClass};
use wxface_core::time::{Clock, OsEntropy, SystemClock};
use wxface_core::v3::FaceUser;
use wxface_sandbox::{FaultEndpoint, FaultKind, FaultRule, Outcome as Behaviour, Sandbox};

use self::render::{ms, step_label, Printer, StepLine};
use self::sdk::{DemoSdk, EmuSettings, SdkMode};
use crate::error::CliError;
use crate::merchant::{MerchantSetup, DEFAULT_STORE_ID};
use crate::serve::{runtime, sandbox_config};

/// `--scenario`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScenarioArg {
    /// A patient consents; the kiosk shows the masked identity.
    Verified,
    /// The hospital already verified the patient: the SDK is told to quit.
    AlreadyVerified,
    /// The patient declines to share real-name data.
    Refused,
    /// WeChat Pay reports the kiosk's authinfo expired: refreshed once, then verified.
    AuthinfoExpired,
    /// WeChat Pay fails: retries then success, then a forged answer and a typed failure.
    BackendFaults,
    /// Every scenario above, in turn.
    All,
}

impl ScenarioArg {
    fn name(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::AlreadyVerified => "already-verified",
            Self::Refused => "refused",
            Self::AuthinfoExpired => "authinfo-expired",
            Self::BackendFaults => "backend-faults",
            Self::All => "all",
        }
    }
}

/// Arguments of `wxface demo`.
#[derive(Debug, Args)]
#[command(after_help = "\
Everything runs in this process on loopback: the WeChat Pay sandbox, the reference \
merchant server (MerchantClient → sandbox) and a kiosk driving the face SDK emulator \
through the vendor C ABI. Patients are fictitious test persons; only masked identities \
are printed. Exit status 0 when every visit ended as its scenario expects.

The emulator library (libwxface_sdk_emu.so) is built with wxface by cargo and looked \
for next to the executable (and in its deps/ directory); when it is missing the demo \
says so and uses the same emulator in-process (--sdk native refuses to).")]
pub struct DemoArgs {
    /// Which story to run.
    #[arg(long, value_enum, default_value = "verified")]
    pub scenario: ScenarioArg,

    /// Face SDK: the emulator library through the C ABI, or in-process.
    #[arg(long, value_enum, default_value = "auto")]
    pub sdk: SdkMode,

    /// Path of a library with the vendor ABI to use instead of the one next to wxface.
    #[arg(long, value_name = "PATH", env = "WXFACE_SDK_LIBRARY")]
    pub sdk_lib: Option<PathBuf>,

    /// How long face recognition takes, in milliseconds.
    #[arg(long, default_value_t = 400)]
    pub latency_ms: u64,

    /// Plain lines, no spinner (the default when standard output is not a terminal).
    #[arg(long)]
    pub plain: bool,

    /// Sandbox configuration file (TOML or JSON), e.g. other test persons.
    #[arg(long, value_name = "PATH")]
    pub sandbox_config: Option<PathBuf>,

    /// The face SDK answers `openid` along with `face_sid` (the sandbox's
    /// older behaviour). By default it answers none, as the spec's table
    /// says, and the merchant server resolves the openid from the face_sid.
    #[arg(long)]
    pub openid_with_face_sid: bool,
}

/// What a visit should end as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Verified,
    AlreadyVerified,
    ConsentRefused,
    /// Failed with this code (the merchant server's or the core's).
    Failed(&'static str),
}

impl Expect {
    fn describe(self) -> String {
        match self {
            Self::Verified => "verified".into(),
            Self::AlreadyVerified => "already_verified".into(),
            Self::ConsentRefused => "consent_refused".into(),
            Self::Failed(code) => format!("failed ({code})"),
        }
    }
}

/// One patient at one kiosk.
struct Visit {
    story: &'static str,
    person: &'static str,
    behaviour: Behaviour,
    /// The hospital verified this person at an earlier visit.
    on_record: bool,
    faults: Vec<FaultRule>,
    /// Faults installed once the "already verified?" check is answered, so
    /// that they hit the real-name query and not the server's `ASK_UNIONID`
    /// lookup of the same `face_sid`.
    real_name_faults: Vec<FaultRule>,
    /// Retire the authinfo at WeChat Pay right after the kiosk received it.
    retire_authinfo: bool,
    expect: Expect,
    /// Least number of merchant-server retries the visit must show.
    min_retries: u64,
}

impl Visit {
    fn new(story: &'static str, person: &'static str, expect: Expect) -> Self {
        Self {
            story,
            person,
            behaviour: Behaviour::Consent,
            on_record: false,
            faults: Vec::new(),
            real_name_faults: Vec::new(),
            retire_authinfo: false,
            expect,
            min_retries: 0,
        }
    }
}

struct Scenario {
    arg: ScenarioArg,
    title: &'static str,
    visits: Vec<Visit>,
}

fn scenarios(which: ScenarioArg) -> Vec<Scenario> {
    let all = [
        ScenarioArg::Verified,
        ScenarioArg::AlreadyVerified,
        ScenarioArg::Refused,
        ScenarioArg::AuthinfoExpired,
        ScenarioArg::BackendFaults,
    ];
    let pick: Vec<ScenarioArg> = if which == ScenarioArg::All {
        all.to_vec()
    } else {
        vec![which]
    };
    pick.into_iter().map(scenario).collect()
}

fn scenario(arg: ScenarioArg) -> Scenario {
    let (title, visits) = match arg {
        ScenarioArg::Verified | ScenarioArg::All => (
            "a patient verifies their real name at a registration kiosk",
            vec![Visit::new(
                "patient-a looks at the camera and consents to share their real name",
                "patient-a",
                Expect::Verified,
            )],
        ),
        ScenarioArg::AlreadyVerified => (
            "the hospital already verified this patient at an earlier visit",
            vec![Visit {
                on_record: true,
                ..Visit::new(
                    "patient-a is on record: the kiosk tells the SDK to quit (mandatory since SDK 1.20)",
                    "patient-a",
                    Expect::AlreadyVerified,
                )
            }],
        ),
        ScenarioArg::Refused => (
            "a patient declines to share real-name data",
            vec![Visit {
                behaviour: Behaviour::Refuse,
                ..Visit::new(
                    "patient-b is recognised, sees the masked data and refuses",
                    "patient-b",
                    Expect::ConsentRefused,
                )
            }],
        ),
        ScenarioArg::AuthinfoExpired => (
            "WeChat Pay rejects the kiosk's authinfo as expired (err_code 271382020)",
            vec![Visit {
                retire_authinfo: true,
                ..Visit::new(
                    "the authinfo dies as soon as the kiosk has it (as with a drifted clock) \
                     → refreshed once, recognised again",
                    "patient-c",
                    Expect::Verified,
                )
            }],
        ),
        ScenarioArg::BackendFaults => (
            "WeChat Pay misbehaves: transient errors are retried, a forged answer is refused",
            vec![
                Visit {
                    faults: vec![
                        FaultRule::next(FaultEndpoint::Authinfo, FaultKind::Latency, 1)
                            .with_latency(Duration::from_millis(250)),
                        FaultRule::next(FaultEndpoint::Authinfo, FaultKind::SystemError, 1),
                    ],
                    real_name_faults: vec![
                        FaultRule::next(FaultEndpoint::Users, FaultKind::SystemError, 1),
                        FaultRule::next(FaultEndpoint::Users, FaultKind::ServiceUnavailable, 1),
                    ],
                    min_retries: 3,
                    ..Visit::new(
                        "authinfo: slow, then SYSTEMERROR once; identity query: 500 SYSTEM_ERROR, then 503 \
                         → the merchant server retries and succeeds",
                        "patient-d",
                        Expect::Verified,
                    )
                },
                Visit {
                    real_name_faults: vec![FaultRule::next(
                        FaultEndpoint::Users,
                        FaultKind::BadSignature,
                        1,
                    )],
                    ..Visit::new(
                        "the identity answer is wrongly signed (WeChat Pay probes merchants so) \
                         → refused, not retried, nothing decrypted",
                        "patient-e",
                        Expect::Failed("signature_mismatch"),
                    )
                },
            ],
        ),
    };
    Scenario { arg, title, visits }
}

/// The hospital's records for the demo: an in-memory registry that each
/// scenario starts afresh.
#[derive(Default)]
struct DemoRegistry {
    current: Mutex<Arc<InMemoryRegistry>>,
}

impl DemoRegistry {
    fn get(&self) -> Arc<InMemoryRegistry> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn reset(&self) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(InMemoryRegistry::new());
    }
}

impl PatientRegistry for DemoRegistry {
    fn lookup(
        &self,
        openid: Option<&str>,
        sub_openid: Option<&str>,
    ) -> Result<Option<PatientRecord>, wxface_client::Error> {
        self.get().lookup(openid, sub_openid)
    }

    fn record(
        &self,
        user: &FaceUser,
        identity: &RealName,
    ) -> Result<PatientRecord, wxface_client::Error> {
        self.get().record(user, identity)
    }
}

/// How one visit ended.
#[derive(Debug, Clone)]
pub struct VisitReport {
    /// The scenario.
    pub scenario: &'static str,
    /// The kiosk's device id.
    pub device_id: String,
    /// `Outcome::as_str` (`verified`, `failed`, …).
    pub outcome: &'static str,
    /// What was expected.
    pub expected: String,
    /// Whether it matched.
    pub as_expected: bool,
    /// The masked identity, when verified.
    pub identity: Option<String>,
    /// The error code, when failed.
    pub error_code: Option<String>,
    /// The steps, in order, with their times.
    pub steps: Vec<StepLine>,
    /// How many times the kiosk asked for authinfo.
    pub authinfo_fetches: usize,
    /// Retries of the merchant server's calls to WeChat Pay.
    pub retries: u64,
    /// Wall time of the visit, SDK start and release included.
    pub total: Duration,
}

/// Everything the demo ran.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Whether the kiosk used the C ABI.
    pub native_sdk: bool,
    /// Every visit.
    pub visits: Vec<VisitReport>,
}

impl DemoReport {
    /// Whether every visit ended as expected.
    pub fn all_as_expected(&self) -> bool {
        self.visits.iter().all(|v| v.as_expected)
    }
}

/// The error code a failure is known by: WeChat's or the merchant server's
/// code for backend answers, the core's otherwise.
fn failure_code(e: &wxface_core::Error) -> String {
    match e {
        wxface_core::Error::Backend { code, .. } => code.clone(),
        other => other.code().to_owned(),
    }
}

/// A failure as the kiosk learnt it. A backend error here is the merchant
/// server's answer (which carries WeChat Pay's code when the error came from
/// there), so it is not worded as WeChat Pay's.
fn failure_text(e: &wxface_core::Error) -> String {
    match e {
        wxface_core::Error::Backend {
            status, message, ..
        } => format!(
            "merchant server{}: {message}",
            status.map(|s| format!(" HTTP {s}")).unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

struct Env<'a> {
    sandbox: &'a Sandbox,
    client: &'a MerchantClient,
    registry: &'a DemoRegistry,
    merchant_url: String,
    devices: Arc<InMemoryDevices>,
    sdk: &'a DemoSdk,
    latency: Duration,
    appid: String,
    mch_id: String,
    next_device: usize,
}

fn openid_of(sandbox: &Sandbox, person: &str) -> Option<String> {
    sandbox
        .identities()
        .iter()
        .find(|i| i.key == person)
        .map(|i| i.openid.clone())
}

fn run_visit(
    env: &mut Env<'_>,
    scenario: &Scenario,
    visit: &Visit,
    p: &mut Printer<'_>,
) -> Result<VisitReport, CliError> {
    env.next_device += 1;
    let device_id = format!("KIOSK-{:02}", env.next_device);
    let faults = env.sandbox.faults();
    faults.clear();
    for f in &visit.faults {
        faults
            .add(f.clone())
            .map_err(|e| CliError::Runtime(format!("fault rule: {e}")))?;
    }
    if visit.on_record {
        if let Some(openid) = openid_of(env.sandbox, visit.person) {
            env.registry.get().insert(openid, "P000042");
        }
    }
    p.line(&format!("   ▸ {}", visit.story))?;
    p.line(&format!(
        "     kiosk {device_id} · store {DEFAULT_STORE_ID} · {} {}",
        visit.person,
        match visit.behaviour {
            Behaviour::Refuse => "will refuse",
            _ => "will consent",
        }
    ))?;

    // The hospital issues this kiosk its device credential; the kiosk's
    // merchant client sends it with every request.
    let (credential, _) = issue(
        &*env.devices,
        &device_id,
        None,
        SystemClock.now(),
        &OsEntropy,
    )?;
    let backend: Arc<dyn MerchantBackend> = Arc::new(
        HttpMerchantBackend::builder(env.merchant_url.clone())
            .store_id(DEFAULT_STORE_ID)
            .device_credential(credential.expose())
            .build()?,
    );
    drop(credential);
    let sdk = env.sdk.for_kiosk(&EmuSettings {
        sandbox_url: env.sandbox.url(),
        device_id: device_id.clone(),
        person: visit.person.to_owned(),
        outcome: visit.behaviour,
        latency: env.latency,
    })?;
    let kiosk = Kiosk::new(
        FlowConfig::new(env.appid.clone(), env.mch_id.clone(), DEFAULT_STORE_ID),
        device_id.clone(),
        sdk,
        backend,
        Arc::new(SystemClock),
    )?;
    let stats_before = env.client.stats();
    let visit_started = Instant::now();
    let mut steps: Vec<StepLine> = Vec::new();

    // initWxpayface
    p.step_started(Step::Initialising);
    let t = Instant::now();
    let started = kiosk.start();
    let line = StepLine {
        step: Step::Initialising,
        status: if started.is_ok() {
            StepStatus::Ok
        } else {
            StepStatus::Error
        },
        elapsed: t.elapsed(),
        note: None,
    };
    p.step_finished(&line)?;
    steps.push(line);

    let outcome = match started {
        Err(error) => Outcome::Failed {
            step: Step::Initialising,
            error,
        },
        Ok(()) => {
            let mut authinfo_fetches = 0usize;
            let mut write_error: Option<CliError> = None;
            let sandbox = env.sandbox;
            let retire = visit.retire_authinfo;
            let mut fault_error: Option<String> = None;
            let hooks = VerifyHooks::new().on_progress(|ev| {
                let result = match ev {
                    ProgressEvent::StepStarted { step } => {
                        if *step == Step::FetchingAuthinfo {
                            authinfo_fetches += 1;
                        }
                        p.step_started(*step);
                        Ok(())
                    }
                    ProgressEvent::StepFinished {
                        step,
                        status,
                        elapsed,
                        error,
                    } => {
                        // Why the step ended, as the flow read the SDK's answer.
                        let class = error.as_ref().and_then(classify_sdk_error);
                        let note = match (step, status, class) {
                            (Step::Recognising, _, Some(SdkErrorClass::AuthinfoExpired)) => {
                                Some("WeChat Pay: authinfo expired, 271382020 → refresh once".into())
                            }
                            (Step::FetchingAuthinfo, StepStatus::Ok, _) if authinfo_fetches > 1 => {
                                Some("a fresh authinfo, past the caches".into())
                            }
                            (Step::AskingConsent, _, Some(SdkErrorClass::ConsentRefused)) => {
                                Some("the patient declined".into())
                            }
                            _ => None,
                        };
                        let line = StepLine {
                            step: *step,
                            status: *status,
                            elapsed: *elapsed,
                            note,
                        };
                        let r = p.step_finished(&line);
                        steps.push(line);
                        if *step == Step::CheckingVerified {
                            for f in &visit.real_name_faults {
                                if let Err(e) = faults.add(f.clone()) {
                                    fault_error.get_or_insert(e);
                                }
                            }
                        }
                        if retire && *step == Step::FetchingAuthinfo && authinfo_fetches == 1 {
                            sandbox.expire_authinfos();
                            r.and_then(|()| {
                                p.line("     ⏱ sandbox: WeChat Pay retires the authinfo it just issued")
                            })
                        } else {
                            r
                        }
                    }
                    _ => Ok(()),
                };
                if let Err(e) = result {
                    write_error.get_or_insert(e);
                }
            });
            let outcome = kiosk.verify(hooks);
            if let Some(e) = write_error {
                return Err(e);
            }
            if let Some(e) = fault_error {
                return Err(CliError::Runtime(format!("fault rule: {e}")));
            }
            outcome
        }
    };

    // releaseWxpayface
    p.step_started(Step::Releasing);
    let t = Instant::now();
    let released = kiosk.shutdown();
    let line = StepLine {
        step: Step::Releasing,
        status: if released.is_ok() {
            StepStatus::Ok
        } else {
            StepStatus::Error
        },
        elapsed: t.elapsed(),
        note: None,
    };
    p.step_finished(&line)?;
    steps.push(line);
    let total = visit_started.elapsed();
    let stats = env.client.stats();
    let retries = stats.retries.saturating_sub(stats_before.retries);
    let requests = stats
        .http_requests
        .saturating_sub(stats_before.http_requests);
    let authinfo_fetches = steps
        .iter()
        .filter(|s| s.step == Step::FetchingAuthinfo)
        .count();

    let (identity, error_code) = match &outcome {
        Outcome::Verified { identity, .. } => (
            Some(format!(
                "{} · {} · {}",
                identity.name,
                identity.credential_type.label_zh(),
                identity.credential_id
            )),
            None,
        ),
        Outcome::Failed { error, .. } => (None, Some(failure_code(error))),
        _ => (None, None),
    };
    let outcome_ok = match (visit.expect, &outcome) {
        (Expect::Verified, Outcome::Verified { .. })
        | (Expect::AlreadyVerified, Outcome::AlreadyVerified { .. })
        | (Expect::ConsentRefused, Outcome::ConsentRefused { .. }) => true,
        (Expect::Failed(code), Outcome::Failed { error, .. }) => failure_code(error) == code,
        _ => false,
    };
    let refreshed_ok = !visit.retire_authinfo || authinfo_fetches == 2;
    let as_expected =
        outcome_ok && refreshed_ok && retries >= visit.min_retries && released.is_ok();

    // The outcome, as the kiosk screen would put it.
    match &outcome {
        Outcome::Verified { .. } => p.line(&format!(
            "   → verified: {}",
            identity.as_deref().unwrap_or_default()
        ))?,
        Outcome::AlreadyVerified { .. } => p.line(
            "   → already verified: the hospital has this patient on record; no consent asked, nothing fetched",
        )?,
        Outcome::ConsentRefused { .. } => {
            p.line("   → consent refused: no identity was requested from WeChat Pay")?
        }
        Outcome::Cancelled => p.line("   → cancelled")?,
        Outcome::Failed { step, error } => p.line(&format!(
            "   → failed at {} [{}]: {}",
            step.as_str(),
            failure_code(error),
            failure_text(error)
        ))?,
    }
    p.line(&format!(
        "     merchant server ↔ WeChat Pay: {requests} request(s), {retries} retr{} · visit {}{}",
        if retries == 1 { "y" } else { "ies" },
        ms(total),
        if as_expected {
            String::new()
        } else {
            format!(" · UNEXPECTED (wanted {})", visit.expect.describe())
        }
    ))?;
    Ok(VisitReport {
        scenario: scenario.arg.name(),
        device_id,
        outcome: outcome.as_str(),
        expected: visit.expect.describe(),
        as_expected,
        identity,
        error_code,
        steps,
        authinfo_fetches,
        retries,
        total,
    })
}

fn print_summary(p: &mut Printer<'_>, report: &DemoReport) -> Result<(), CliError> {
    p.line("")?;
    if let [v] = report.visits.as_slice() {
        p.line(&format!("result: {}", v.outcome))?;
        if let Some(id) = &v.identity {
            p.line(&format!(
                "  identity   {id}   (masked by the merchant server; the full values never left it)"
            ))?;
        }
        if let Some(code) = &v.error_code {
            p.line(&format!("  error      {code}"))?;
        }
        p.line("  time per step")?;
        for s in &v.steps {
            let (call, _) = step_label(s.step);
            p.line(&format!("    {call:<24} {:>9}", ms(s.elapsed)))?;
        }
        p.line(&format!("    {:<24} {:>9}", "total", ms(v.total)))?;
        return Ok(());
    }
    p.line("summary")?;
    p.line(&format!(
        "  {:<18} {:<10} {:<18} {:<12} {:>9}   result",
        "scenario", "kiosk", "outcome", "check", "time"
    ))?;
    for v in &report.visits {
        let detail = v
            .identity
            .clone()
            .or_else(|| v.error_code.clone())
            .unwrap_or_default();
        p.line(&format!(
            "  {:<18} {:<10} {:<18} {:<12} {:>9}   {}",
            v.scenario,
            v.device_id,
            v.outcome,
            if v.as_expected {
                "as expected"
            } else {
                "UNEXPECTED"
            },
            ms(v.total),
            detail
        ))?;
    }
    let slowest: HashMap<&str, Duration> =
        report
            .visits
            .iter()
            .flat_map(|v| v.steps.iter())
            .fold(HashMap::new(), |mut m, s| {
                let e = m.entry(step_label(s.step).0).or_insert(Duration::ZERO);
                *e = (*e).max(s.elapsed);
                m
            });
    let mut slowest: Vec<_> = slowest.into_iter().collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.1));
    let top: Vec<String> = slowest
        .iter()
        .take(3)
        .map(|(k, d)| format!("{k} {}", ms(*d)))
        .collect();
    p.line(&format!("  slowest steps: {}", top.join(" · ")))?;
    Ok(())
}

/// Run the demo, writing to `out`; `live` shows spinners.
///
/// # Errors
/// The stack could not start, output could not be written, or (as
/// [`CliError::Check`]) a visit did not end as its scenario expects.
pub fn run_demo(args: &DemoArgs, out: &mut dyn Write, live: bool) -> Result<DemoReport, CliError> {
    let mut p = Printer::new(out, live);
    p.line(&format!(
        "wxface demo · scenario {} · face real-name authentication (刷脸实名认证), end to end on this machine",
        args.scenario.name()
    ))?;
    let sdk = DemoSdk::choose(args.sdk, args.sdk_lib.as_deref())?;
    if !sdk.is_native() {
        p.line(&format!(
            "notice: the face SDK runs in-process, without the C ABI: {}",
            sdk.describe()
        ))?;
    }

    let mut config = sandbox_config(args.sandbox_config.as_ref())?;
    config.host = "127.0.0.1".into();
    config.port = 0;
    config.keys_dir = None;
    if args.openid_with_face_sid {
        config.openid_with_face_sid = true;
    }
    let openid_with_face_sid = config.openid_with_face_sid;
    let rt = runtime()?;
    let sandbox = rt
        .block_on(Sandbox::start(config))
        .map_err(|e| CliError::Runtime(e.to_string()))?;
    let creds = sandbox.credentials();
    let setup = MerchantSetup::from_credentials(&creds, &sandbox.url());
    let registry = Arc::new(DemoRegistry::default());
    let (client, state) = setup.server_state()?;
    let devices = Arc::new(InMemoryDevices::new());
    let state = state
        .with_registry(registry.clone())
        .with_devices(devices.clone());
    let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
    let (merchant_addr, handle) = rt
        .block_on(serve(loopback, state))
        .map_err(|e| CliError::Runtime(format!("cannot start the merchant server: {e}")))?;
    let merchant_url = format!("http://{merchant_addr}");

    p.line(&format!(
        "  WeChat Pay   {}   embedded sandbox: v2 authinfo, APIv3 identity query, face service",
        sandbox.url()
    ))?;
    p.line(&format!(
        "  merchant     {merchant_url}   reference server (mch_id {}): admits kiosks by device credential; signs, verifies, decrypts, masks",
        creds.mch_id
    ))?;
    p.line(&format!("  face SDK     {}", sdk.describe()))?;
    p.line(if openid_with_face_sid {
        "               recognition answers face_sid and openid (--openid-with-face-sid)"
    } else {
        "               recognition answers face_sid only, as the spec's table says; \
         the merchant server resolves the openid (ASK_UNIONID)"
    })?;
    p.line("  patients     fictitious test persons of the sandbox; only masked data is shown")?;

    let mut env = Env {
        sandbox: &sandbox,
        client: &client,
        registry: &registry,
        merchant_url: merchant_url.clone(),
        devices,
        sdk: &sdk,
        latency: Duration::from_millis(args.latency_ms),
        appid: creds.appid.clone(),
        mch_id: creds.mch_id.clone(),
        next_device: 0,
    };
    let mut report = DemoReport {
        native_sdk: sdk.is_native(),
        visits: Vec::new(),
    };
    let mut result = Ok(());
    for sc in scenarios(args.scenario) {
        registry.reset();
        p.line("")?;
        p.line(&format!("── {} · {}", sc.arg.name(), sc.title))?;
        for v in &sc.visits {
            match run_visit(&mut env, &sc, v, &mut p) {
                Ok(r) => report.visits.push(r),
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_err() {
            break;
        }
    }
    sandbox.faults().clear();
    drop(env);
    if result.is_ok() {
        result = print_summary(&mut p, &report);
    }

    // Orderly shutdown: the merchant server, the sandbox, then the runtime;
    // blocking clients are dropped outside it.
    let _ = rt.block_on(handle.shutdown());
    drop(sandbox);
    drop(rt);
    result?;
    if !report.all_as_expected() {
        let bad: Vec<String> = report
            .visits
            .iter()
            .filter(|v| !v.as_expected)
            .map(|v| {
                format!(
                    "{} on {} ended {} (expected {})",
                    v.scenario, v.device_id, v.outcome, v.expected
                )
            })
            .collect();
        return Err(CliError::Check(format!("demo: {}", bad.join("; "))));
    }
    Ok(report)
}

/// Run `wxface demo`.
///
/// # Errors
/// As [`run_demo`].
pub fn run(args: &DemoArgs, stdout: &mut dyn Write) -> Result<(), CliError> {
    let live = !args.plain && std::io::stdout().is_terminal();
    run_demo(args, stdout, live).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_runs_every_scenario_once_in_order() {
        let names: Vec<&str> = scenarios(ScenarioArg::All)
            .iter()
            .map(|s| s.arg.name())
            .collect();
        assert_eq!(
            names,
            [
                "verified",
                "already-verified",
                "refused",
                "authinfo-expired",
                "backend-faults"
            ]
        );
        assert_eq!(scenarios(ScenarioArg::Refused).len(), 1);
    }

    #[test]
    fn every_visit_names_a_sandbox_person_and_an_expectation() {
        let people: Vec<String> = wxface_sandbox::default_identities()
            .into_iter()
            .map(|i| i.key)
            .collect();
        for s in scenarios(ScenarioArg::All) {
            assert!(!s.visits.is_empty());
            for v in &s.visits {
                assert!(people.iter().any(|p| p == v.person), "{}", v.person);
                let refuses = v.behaviour == Behaviour::Refuse;
                assert_eq!(refuses, v.expect == Expect::ConsentRefused);
            }
        }
        let faults = scenario(ScenarioArg::BackendFaults);
        assert_eq!(faults.visits[0].min_retries, 3);
        assert_eq!(
            faults.visits[1].expect,
            Expect::Failed("signature_mismatch")
        );
    }

    #[test]
    fn failures_are_worded_by_who_answered() {
        let e = wxface_core::Error::Backend {
            status: Some(502),
            code: "signature_mismatch".into(),
            message: "signature check failed".into(),
            detail: None,
            request_id: None,
        };
        assert_eq!(failure_code(&e), "signature_mismatch");
        assert_eq!(
            failure_text(&e),
            "merchant server HTTP 502: signature check failed"
        );
        let e = wxface_core::Error::Expired { what: "authinfo" };
        assert_eq!(failure_code(&e), "expired");
    }
}
