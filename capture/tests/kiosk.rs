//! The kiosk driver against a scripted face SDK and an in-test merchant
//! backend: every outcome, progress events, caching, cancel from another
//! thread, start and shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use wxface_capture::{
    AuthinfoGrant, CancelHandle, FaceSdk, InitRetry, Kiosk, LateAnswer, MerchantBackend,
    ProgressEvent, StepStatus, VerifyHooks,
};
use wxface_core::flow::{FlowConfig, Outcome, Recognised, Step};
use wxface_core::realname::{CredentialType, MaskedIdentity};
use wxface_core::sdk::SdkVersion;
use wxface_core::time::Clock;
use wxface_core::{Error, UnixTime};

const T0: u64 = 1_700_000_000;

const OK: &str = r#"{"return_code":"SUCCESS","return_msg":"SUCCESS"}"#;
const RAW: &str = r#"{"return_code":"SUCCESS","return_msg":"SUCCESS","rawdata":"RAW+/data=="}"#;
const FACE: &str =
    r#"{"return_code":"SUCCESS","return_msg":"SUCCESS","face_sid":"sid-1","openid":"o-1"}"#;
const EXPIRED: &str =
    r#"{"return_code":"ERROR","return_msg":"授权请求信息不存在或者已过期","err_code":271382020}"#;
const USER_CANCEL: &str = r#"{"return_code":"USER_CANCEL","return_msg":"用户取消"}"#;
const REFUSED: &str =
    r#"{"return_code":"ERROR","return_msg":"拒绝","err_code":"ACTION_ON_USER_QUERY_CANCEL"}"#;
const SYSTEMERROR: &str = r#"{"return_code":"SYSTEMERROR","return_msg":"服务未启动"}"#;
const INITIALISING: &str =
    r#"{"return_code":"ERROR","return_msg":"初始化中","err_code":271378621}"#;

/// A clock the test moves.
#[derive(Default)]
struct TestClock(AtomicU64);

impl TestClock {
    fn at(t: u64) -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(t)))
    }
    fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

/// Holds an SDK call or a merchant request until the test lets it go.
struct Gate {
    entered: Mutex<Sender<()>>,
    release: Mutex<Receiver<()>>,
}

impl Gate {
    /// The gate, the receiver told when a call has entered it, and the
    /// sender that lets the call go.
    fn new() -> (Arc<Self>, Receiver<()>, Sender<()>) {
        let (entered_tx, entered_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        let gate = Self {
            entered: Mutex::new(entered_tx),
            release: Mutex::new(release_rx),
        };
        (Arc::new(gate), entered_rx, release_tx)
    }

    fn pass(&self) {
        let _ = self.entered.lock().unwrap().send(());
        let _ = self.release.lock().unwrap().recv();
    }
}

/// What the scripted SDK answers for one command.
#[derive(Clone)]
enum Reply {
    Json(&'static str),
    Fail,
    Slow(Duration, &'static str),
    /// Answers once the gate lets the call go.
    Gated(Arc<Gate>, &'static str),
}

/// A face SDK that answers from per-command queues (the last entry repeats)
/// and records every request.
#[derive(Default)]
struct ScriptedSdk {
    replies: Mutex<HashMap<String, VecDeque<Reply>>>,
    calls: Mutex<Vec<Value>>,
    late: Mutex<Option<LateAnswer>>,
}

impl ScriptedSdk {
    fn new() -> Arc<Self> {
        let s = Self::default();
        s.script("initWxpayface", &[Reply::Json(OK)]);
        s.script("getWxpayfaceRawdata", &[Reply::Json(RAW)]);
        s.script("getWxpayfaceCode", &[Reply::Json(FACE)]);
        s.script("getWxpayAuth", &[Reply::Json(OK)]);
        s.script("releaseWxpayface", &[Reply::Json(OK)]);
        Arc::new(s)
    }

    fn script(&self, cmd: &str, replies: &[Reply]) {
        self.replies
            .lock()
            .unwrap()
            .insert(cmd.into(), replies.iter().cloned().collect());
    }

    /// Command names called so far, with `getWxpayAuth` split into consent and quit.
    fn trace(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|v| {
                let cmd = v["cmd"].as_str().unwrap_or_default();
                match (cmd, v["quit_face_auth"].as_str()) {
                    ("getWxpayAuth", Some("1")) => "quit".to_owned(),
                    ("getWxpayAuth", _) => "consent".to_owned(),
                    _ => cmd.to_owned(),
                }
            })
            .collect()
    }

    fn clear(&self) {
        self.calls.lock().unwrap().clear();
    }
}

impl FaceSdk for ScriptedSdk {
    fn call(&self, request_json: &str) -> Result<String, Error> {
        let v: Value = serde_json::from_str(request_json).expect("requests are JSON");
        let cmd = v["cmd"].as_str().unwrap_or_default().to_owned();
        self.calls.lock().unwrap().push(v);
        let reply = {
            let mut map = self.replies.lock().unwrap();
            let q = map.get_mut(&cmd).expect("scripted command");
            if q.len() > 1 {
                q.pop_front().unwrap()
            } else {
                q.front().cloned().unwrap()
            }
        };
        match reply {
            Reply::Json(j) => Ok(j.to_owned()),
            Reply::Slow(d, j) => {
                thread::sleep(d);
                Ok(j.to_owned())
            }
            Reply::Gated(gate, j) => {
                gate.pass();
                Ok(j.to_owned())
            }
            Reply::Fail => Err(Error::Sdk {
                cmd,
                return_code: "CALL_FAILED".into(),
                return_msg: "wxpayCallFaceService failed with return value 1".into(),
                err_code: Some("1".into()),
            }),
        }
    }

    fn take_late_answer(&self) -> Option<LateAnswer> {
        self.late.lock().unwrap().take()
    }
}

fn identity() -> MaskedIdentity {
    MaskedIdentity {
        name: "测*者".into(),
        credential_type: CredentialType::IdCard,
        credential_id: "110***********002X".into(),
    }
}

/// An in-test merchant server.
struct TestBackend {
    clock: Arc<TestClock>,
    expires_in: u64,
    authinfo_error: Mutex<Option<Error>>,
    authinfo_delay: Duration,
    authinfo_gate: Option<Arc<Gate>>,
    already_verified: Mutex<Result<bool, Error>>,
    real_name_error: Mutex<Option<Error>>,
    authinfo_calls: AtomicUsize,
    verified_calls: AtomicUsize,
    real_name_calls: AtomicUsize,
    seen: Mutex<Vec<String>>,
}

impl TestBackend {
    fn new(clock: &Arc<TestClock>) -> Self {
        Self {
            clock: Arc::clone(clock),
            expires_in: 7200,
            authinfo_error: Mutex::new(None),
            authinfo_delay: Duration::ZERO,
            authinfo_gate: None,
            already_verified: Mutex::new(Ok(false)),
            real_name_error: Mutex::new(None),
            authinfo_calls: AtomicUsize::new(0),
            verified_calls: AtomicUsize::new(0),
            real_name_calls: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
        }
    }
}

fn backend_error(code: &str) -> Error {
    Error::Backend {
        status: Some(500),
        code: code.into(),
        message: "系统繁忙".into(),
        detail: None,
        request_id: None,
    }
}

impl MerchantBackend for TestBackend {
    fn authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, Error> {
        self.authinfo_calls.fetch_add(1, Ordering::SeqCst);
        self.seen
            .lock()
            .unwrap()
            .push(format!("authinfo {rawdata} {device_id}"));
        thread::sleep(self.authinfo_delay);
        if let Some(gate) = &self.authinfo_gate {
            gate.pass();
        }
        if let Some(e) = self.authinfo_error.lock().unwrap().clone() {
            return Err(e);
        }
        Ok(AuthinfoGrant {
            authinfo: format!("AUTH-{}", self.authinfo_calls.load(Ordering::SeqCst)),
            expires_at: self.clock.now().plus(self.expires_in),
        })
    }

    fn is_verified(&self, who: &Recognised) -> Result<bool, Error> {
        self.verified_calls.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap().push(format!(
            "verified {} {:?}",
            who.face_sid,
            who.openid.as_deref()
        ));
        self.already_verified.lock().unwrap().clone()
    }

    fn real_name(&self, face_sid: &str, device_id: &str) -> Result<MaskedIdentity, Error> {
        self.real_name_calls.fetch_add(1, Ordering::SeqCst);
        self.seen
            .lock()
            .unwrap()
            .push(format!("real_name {face_sid} {device_id}"));
        match self.real_name_error.lock().unwrap().clone() {
            Some(e) => Err(e),
            None => Ok(identity()),
        }
    }
}

struct Rig {
    sdk: Arc<ScriptedSdk>,
    backend: Arc<TestBackend>,
    clock: Arc<TestClock>,
    kiosk: Kiosk,
}

fn rig_with(config: FlowConfig, backend: impl FnOnce(&mut TestBackend)) -> Rig {
    let sdk = ScriptedSdk::new();
    let clock = TestClock::at(T0);
    let mut b = TestBackend::new(&clock);
    backend(&mut b);
    let backend = Arc::new(b);
    let kiosk = Kiosk::new(
        config,
        "KIOSK-01",
        sdk.clone(),
        backend.clone(),
        clock.clone(),
    )
    .unwrap();
    Rig {
        sdk,
        backend,
        clock,
        kiosk,
    }
}

fn config() -> FlowConfig {
    FlowConfig::new("wx2421b1c4370ec43b", "10000100", "STORE-1")
}

fn rig() -> Rig {
    let r = rig_with(config(), |_| {});
    r.kiosk.start().unwrap();
    r.sdk.clear();
    r
}

/// Runs one verification and collects its progress events.
fn verify(kiosk: &Kiosk, hooks: VerifyHooks<'_>) -> (Outcome, Vec<ProgressEvent>) {
    let events = Mutex::new(Vec::new());
    let outcome = kiosk.verify(hooks.on_progress(|e| events.lock().unwrap().push(e.clone())));
    (outcome, events.into_inner().unwrap())
}

/// `(step, status)` of every finished step, in order.
fn finished(events: &[ProgressEvent]) -> Vec<(Step, StepStatus)> {
    events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::StepFinished { step, status, .. } => Some((*step, *status)),
            _ => None,
        })
        .collect()
}

fn started(events: &[ProgressEvent]) -> Vec<Step> {
    events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::StepStarted { step } => Some(*step),
            _ => None,
        })
        .collect()
}

fn last_is_finished(events: &[ProgressEvent], outcome: &str) {
    match events.last() {
        Some(ProgressEvent::Finished { outcome: o, .. }) => assert_eq!(*o, outcome),
        other => panic!("last event {other:?}"),
    }
}

#[test]
fn verified_with_consent_and_full_progress() {
    let r = rig();
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new());
    let Outcome::Verified { who, identity: id } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(who.face_sid, "sid-1");
    assert_eq!(who.openid.as_deref(), Some("o-1"));
    assert_eq!(id, identity());
    assert_eq!(
        r.sdk.trace(),
        ["getWxpayfaceRawdata", "getWxpayfaceCode", "consent"]
    );
    use Step::*;
    assert_eq!(
        started(&events),
        [
            ReadingRawdata,
            FetchingAuthinfo,
            Recognising,
            CheckingVerified,
            AskingConsent,
            FetchingRealName
        ]
    );
    assert!(finished(&events)
        .iter()
        .all(|(_, status)| *status == StepStatus::Ok));
    assert_eq!(finished(&events).len(), 6);
    // Every start is closed before the next one, and the run ends with Finished.
    let mut open = None;
    for e in &events {
        match e {
            ProgressEvent::StepStarted { step } => {
                assert!(open.is_none());
                open = Some(*step);
            }
            ProgressEvent::StepFinished { step, .. } => {
                assert_eq!(open.take(), Some(*step));
            }
            _ => {}
        }
    }
    last_is_finished(&events, "verified");
    // The merchant saw what the SDK produced, and the configured device id.
    let seen = r.backend.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "authinfo RAW+/data== KIOSK-01",
            "verified sid-1 Some(\"o-1\")",
            "real_name sid-1 KIOSK-01"
        ]
    );
    // The recognition request carried the merchant's authinfo.
    let calls = r.sdk.calls.lock().unwrap();
    assert_eq!(calls[1]["authinfo"], "AUTH-1");
    assert_eq!(calls[1]["face_authtype"], "FACE_AUTH");
    assert_eq!(calls[1]["now"], T0);
}

#[test]
fn step_durations_are_measured() {
    let r = rig();
    r.sdk.script(
        "getWxpayfaceCode",
        &[Reply::Slow(Duration::from_millis(120), FACE)],
    );
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new());
    assert_eq!(outcome.as_str(), "verified");
    let recognising = events
        .iter()
        .find_map(|e| match e {
            ProgressEvent::StepFinished {
                step: Step::Recognising,
                elapsed,
                ..
            } => Some(*elapsed),
            _ => None,
        })
        .unwrap();
    assert!(recognising >= Duration::from_millis(120), "{recognising:?}");
    let Some(ProgressEvent::Finished { elapsed, .. }) = events.last() else {
        panic!()
    };
    assert!(*elapsed >= recognising);
}

#[test]
fn already_verified_by_backend_quits_the_sdk() {
    let r = rig_with(config(), |b| {
        *b.already_verified.get_mut().unwrap() = Ok(true)
    });
    r.kiosk.start().unwrap();
    r.sdk.clear();
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new());
    assert!(
        matches!(&outcome, Outcome::AlreadyVerified { who } if who.face_sid == "sid-1"),
        "{outcome:?}"
    );
    assert_eq!(
        r.sdk.trace(),
        ["getWxpayfaceRawdata", "getWxpayfaceCode", "quit"]
    );
    assert_eq!(r.backend.real_name_calls.load(Ordering::SeqCst), 0);
    assert_eq!(started(&events).last(), Some(&Step::Quitting));
    last_is_finished(&events, "already_verified");
}

#[test]
fn hook_overrides_the_backend_check() {
    let r = rig();
    let mut asked = Vec::new();
    let (outcome, _) = verify(
        &r.kiosk,
        VerifyHooks::new().is_already_verified(|who| {
            asked.push(who.face_sid.clone());
            Ok(true)
        }),
    );
    assert_eq!(outcome.as_str(), "already_verified");
    assert_eq!(asked, ["sid-1"]);
    assert_eq!(r.backend.verified_calls.load(Ordering::SeqCst), 0);
}

#[test]
fn hook_error_fails_the_check_after_quitting() {
    let r = rig();
    let (outcome, events) = verify(
        &r.kiosk,
        VerifyHooks::new().is_already_verified(|_| Err(backend_error("HIS_DOWN"))),
    );
    match outcome {
        Outcome::Failed {
            step: Step::CheckingVerified,
            error: Error::Backend { code, .. },
        } => assert_eq!(code, "HIS_DOWN"),
        other => panic!("{other:?}"),
    }
    // The SDK still waited: it was told to quit.
    assert_eq!(r.sdk.trace().last().map(String::as_str), Some("quit"));
    assert_eq!(
        finished(&events).last(),
        Some(&(Step::Quitting, StepStatus::Error))
    );
}

#[test]
fn consent_refused() {
    let r = rig();
    r.sdk.script("getWxpayAuth", &[Reply::Json(REFUSED)]);
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new());
    assert!(
        matches!(&outcome, Outcome::ConsentRefused { who } if who.face_sid == "sid-1"),
        "{outcome:?}"
    );
    assert_eq!(r.backend.real_name_calls.load(Ordering::SeqCst), 0);
    assert_eq!(
        finished(&events).last(),
        Some(&(Step::AskingConsent, StepStatus::Error))
    );
    last_is_finished(&events, "consent_refused");
}

#[test]
fn user_cancel_on_the_sdk_screen() {
    let r = rig();
    r.sdk
        .script("getWxpayfaceCode", &[Reply::Json(USER_CANCEL)]);
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new());
    assert_eq!(outcome, Outcome::Cancelled);
    assert_eq!(
        finished(&events).last(),
        Some(&(Step::Recognising, StepStatus::Cancelled))
    );
}

#[test]
fn sdk_call_failure_is_a_failed_outcome() {
    let r = rig();
    r.sdk.script("getWxpayfaceRawdata", &[Reply::Fail]);
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new());
    match outcome {
        Outcome::Failed {
            step: Step::ReadingRawdata,
            error: Error::Sdk {
                return_code, cmd, ..
            },
        } => {
            assert_eq!(return_code, "CALL_FAILED");
            assert_eq!(cmd, "getWxpayfaceRawdata");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        finished(&events),
        [(Step::ReadingRawdata, StepStatus::Error)]
    );
    // The kiosk is ready for the next patient.
    r.sdk.script("getWxpayfaceRawdata", &[Reply::Json(RAW)]);
    assert_eq!(r.kiosk.verify(VerifyHooks::new()).as_str(), "verified");
}

#[test]
fn sdk_error_answer_is_a_failed_outcome() {
    let r = rig();
    r.sdk
        .script("getWxpayfaceCode", &[Reply::Json(SYSTEMERROR)]);
    match r.kiosk.verify(VerifyHooks::new()) {
        Outcome::Failed {
            step: Step::Recognising,
            error: Error::Sdk { return_code, .. },
        } => assert_eq!(return_code, "SYSTEMERROR"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn backend_failures_are_failed_outcomes() {
    let r = rig_with(config(), |b| {
        *b.authinfo_error.get_mut().unwrap() = Some(backend_error("SYSTEM_ERROR"))
    });
    r.kiosk.start().unwrap();
    match r.kiosk.verify(VerifyHooks::new()) {
        Outcome::Failed {
            step: Step::FetchingAuthinfo,
            error,
        } => assert!(error.is_retryable()),
        other => panic!("{other:?}"),
    }

    let r = rig_with(config(), |b| {
        *b.real_name_error.get_mut().unwrap() = Some(backend_error("NO_AUTH"))
    });
    r.kiosk.start().unwrap();
    match r.kiosk.verify(VerifyHooks::new()) {
        Outcome::Failed {
            step: Step::FetchingRealName,
            error: Error::Backend { code, .. },
        } => assert_eq!(code, "NO_AUTH"),
        other => panic!("{other:?}"),
    }

    let r = rig_with(config(), |b| {
        *b.already_verified.get_mut().unwrap() = Err(backend_error("SYSTEM_ERROR"))
    });
    r.kiosk.start().unwrap();
    r.sdk.clear();
    match r.kiosk.verify(VerifyHooks::new()) {
        Outcome::Failed {
            step: Step::CheckingVerified,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(r.sdk.trace().last().map(String::as_str), Some("quit"));
}

#[test]
fn authinfo_is_cached_for_at_most_an_hour() {
    let r = rig();
    assert_eq!(r.kiosk.verify(VerifyHooks::new()).as_str(), "verified");
    assert_eq!(r.kiosk.authinfo_expires_at(), Some(UnixTime(T0 + 7200)));
    r.sdk.clear();
    r.clock.advance(3599);
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new());
    assert_eq!(outcome.as_str(), "verified");
    assert_eq!(r.sdk.trace(), ["getWxpayfaceCode", "consent"]);
    assert_eq!(started(&events)[0], Step::Recognising);
    assert_eq!(r.backend.authinfo_calls.load(Ordering::SeqCst), 1);
    // An hour after it arrived: fetched anew, though it had 7200 s (the
    // merchant server's cap; the 60 s margin before expiry is the flow's
    // other limit, tested in core).
    r.sdk.clear();
    r.clock.advance(1);
    assert_eq!(r.kiosk.verify(VerifyHooks::new()).as_str(), "verified");
    assert_eq!(r.sdk.trace()[0], "getWxpayfaceRawdata");
    assert_eq!(r.backend.authinfo_calls.load(Ordering::SeqCst), 2);
    // And on request.
    r.kiosk.invalidate_authinfo();
    assert_eq!(r.kiosk.authinfo_expires_at(), None);
    r.sdk.clear();
    assert_eq!(r.kiosk.verify(VerifyHooks::new()).as_str(), "verified");
    assert_eq!(r.sdk.trace()[0], "getWxpayfaceRawdata");
}

#[test]
fn expired_authinfo_is_refreshed_once() {
    let r = rig();
    r.sdk.script(
        "getWxpayfaceCode",
        &[Reply::Json(EXPIRED), Reply::Json(FACE)],
    );
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new());
    assert_eq!(outcome.as_str(), "verified");
    assert_eq!(
        r.sdk.trace(),
        [
            "getWxpayfaceRawdata",
            "getWxpayfaceCode",
            "getWxpayfaceRawdata",
            "getWxpayfaceCode",
            "consent"
        ]
    );
    assert_eq!(r.backend.authinfo_calls.load(Ordering::SeqCst), 2);
    assert!(finished(&events).contains(&(Step::Recognising, StepStatus::Error)));
    // Twice in a row: failed.
    r.kiosk.invalidate_authinfo();
    r.sdk.script("getWxpayfaceCode", &[Reply::Json(EXPIRED)]);
    assert!(matches!(
        r.kiosk.verify(VerifyHooks::new()),
        Outcome::Failed {
            step: Step::Recognising,
            ..
        }
    ));
}

#[test]
fn cancel_from_another_thread_during_recognition_quits_the_sdk() {
    let r = rig();
    r.sdk.script(
        "getWxpayfaceCode",
        &[Reply::Slow(Duration::from_millis(300), FACE)],
    );
    let cancel = CancelHandle::new();
    let c2 = cancel.clone();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        c2.cancel();
    });
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new().cancel_handle(cancel));
    t.join().unwrap();
    assert_eq!(outcome, Outcome::Cancelled);
    // The SDK had the screen: the driver waited for it, then told it to quit.
    assert_eq!(
        r.sdk.trace(),
        ["getWxpayfaceRawdata", "getWxpayfaceCode", "quit"]
    );
    assert!(events.contains(&ProgressEvent::CancelRequested));
    assert_eq!(r.backend.verified_calls.load(Ordering::SeqCst), 0);
    last_is_finished(&events, "cancelled");
}

#[test]
fn cancel_during_a_merchant_request_takes_effect_at_once() {
    let r = rig_with(config(), |b| b.authinfo_delay = Duration::from_secs(2));
    r.kiosk.start().unwrap();
    r.sdk.clear();
    let cancel = CancelHandle::new();
    let c2 = cancel.clone();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(150));
        c2.cancel();
    });
    let t0 = Instant::now();
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new().cancel_handle(cancel));
    t.join().unwrap();
    assert_eq!(outcome, Outcome::Cancelled);
    assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    assert_eq!(
        finished(&events).last(),
        Some(&(Step::FetchingAuthinfo, StepStatus::Cancelled))
    );
    assert_eq!(r.sdk.trace(), ["getWxpayfaceRawdata"]);
    // The abandoned answer does not disturb the next patient.
    thread::sleep(Duration::from_millis(100));
    let r2 = &r.kiosk;
    assert_eq!(r2.state_name(), "ready");
}

#[test]
fn cancel_current_from_another_thread() {
    let r = rig();
    r.sdk.script(
        "getWxpayAuth",
        &[Reply::Slow(Duration::from_millis(300), OK)],
    );
    let kiosk = Arc::new(r.kiosk);
    let k2 = Arc::clone(&kiosk);
    let t = thread::spawn(move || k2.verify(VerifyHooks::new()));
    thread::sleep(Duration::from_millis(100));
    let mut cancelled = false;
    for _ in 0..50 {
        if kiosk.cancel_current() {
            cancelled = true;
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert!(cancelled);
    assert_eq!(t.join().unwrap(), Outcome::Cancelled);
    assert!(!kiosk.cancel_current(), "nothing in progress any more");
    // Consent was answered SUCCESS, but the cancel came first: no real-name fetch.
    assert_eq!(r.backend.real_name_calls.load(Ordering::SeqCst), 0);
}

#[test]
fn cancelled_before_start_touches_nothing() {
    let r = rig();
    let cancel = CancelHandle::new();
    cancel.cancel();
    let (outcome, events) = verify(&r.kiosk, VerifyHooks::new().cancel_handle(cancel));
    assert_eq!(outcome, Outcome::Cancelled);
    assert!(r.sdk.trace().is_empty());
    assert_eq!(events.len(), 1);
    last_is_finished(&events, "cancelled");
}

#[test]
fn start_failure_reports_the_sdk_answer() {
    let r = rig_with(config(), |_| {});
    r.sdk.script("initWxpayface", &[Reply::Json(SYSTEMERROR)]);
    let e = r.kiosk.start().unwrap_err();
    assert!(
        matches!(&e, Error::Sdk { return_code, .. } if return_code == "SYSTEMERROR"),
        "{e:?}"
    );
    assert_eq!(r.kiosk.state_name(), "uninitialised");
    // Not started: verify fails without calling the SDK.
    r.sdk.clear();
    match r.kiosk.verify(VerifyHooks::new()) {
        Outcome::Failed {
            step: Step::Initialising,
            error: Error::State { .. },
        } => {}
        other => panic!("{other:?}"),
    }
    assert!(r.sdk.trace().is_empty());
    // The service came up: start again.
    r.sdk.script("initWxpayface", &[Reply::Json(OK)]);
    r.kiosk.start().unwrap();
    assert_eq!(r.kiosk.state_name(), "ready");
}

#[test]
fn start_retries_while_the_sdk_initialises() {
    let r = rig_with(config(), |_| {});
    let kiosk = r.kiosk.with_init_retry(InitRetry {
        attempts: 3,
        delay: Duration::from_millis(10),
    });
    r.sdk.script(
        "initWxpayface",
        &[
            Reply::Json(INITIALISING),
            Reply::Json(INITIALISING),
            Reply::Json(OK),
        ],
    );
    kiosk.start().unwrap();
    assert_eq!(r.sdk.trace(), ["initWxpayface"; 3]);
    assert_eq!(kiosk.start().unwrap_err().code(), "state");

    r.sdk.clear();
    let r2 = rig_with(config(), |_| {});
    let kiosk2 = r2.kiosk.with_init_retry(InitRetry {
        attempts: 1,
        delay: Duration::from_millis(10),
    });
    r2.sdk.script("initWxpayface", &[Reply::Json(INITIALISING)]);
    assert_eq!(kiosk2.start().unwrap_err().code(), "sdk");
    assert_eq!(r2.sdk.trace().len(), 2);
}

#[test]
fn shutdown_releases_and_ends_the_kiosk() {
    let r = rig();
    r.kiosk.shutdown().unwrap();
    assert_eq!(r.sdk.trace(), ["releaseWxpayface"]);
    assert_eq!(r.kiosk.state_name(), "released");
    assert!(matches!(
        r.kiosk.verify(VerifyHooks::new()),
        Outcome::Failed {
            step: Step::Initialising,
            ..
        }
    ));
    assert_eq!(r.kiosk.shutdown().unwrap_err().code(), "state");

    // A failing release still releases, and says so.
    let r = rig();
    r.sdk.script("releaseWxpayface", &[Reply::Fail]);
    assert_eq!(r.kiosk.shutdown().unwrap_err().code(), "sdk");
    assert_eq!(r.kiosk.state_name(), "released");
}

#[test]
fn shutdown_cancels_a_running_verification() {
    let r = rig();
    r.sdk.script(
        "getWxpayfaceCode",
        &[Reply::Slow(Duration::from_millis(300), FACE)],
    );
    let kiosk = Arc::new(r.kiosk);
    let k2 = Arc::clone(&kiosk);
    let t = thread::spawn(move || k2.verify(VerifyHooks::new()));
    thread::sleep(Duration::from_millis(100));
    kiosk.shutdown().unwrap();
    assert_eq!(t.join().unwrap(), Outcome::Cancelled);
    assert_eq!(
        r.sdk.trace(),
        [
            "getWxpayfaceRawdata",
            "getWxpayfaceCode",
            "quit",
            "releaseWxpayface"
        ]
    );
}

#[test]
fn sdk_before_1_20_is_not_told_to_quit() {
    let mut cfg = config();
    cfg.sdk_version = SdkVersion::V1_16;
    let r = rig_with(cfg, |b| *b.already_verified.get_mut().unwrap() = Ok(true));
    r.kiosk.start().unwrap();
    r.sdk.clear();
    assert_eq!(
        r.kiosk.verify(VerifyHooks::new()).as_str(),
        "already_verified"
    );
    assert_eq!(r.sdk.trace(), ["getWxpayfaceRawdata", "getWxpayfaceCode"]);
}

#[test]
fn device_id_is_checked() {
    let sdk = ScriptedSdk::new();
    let clock = TestClock::at(T0);
    let backend = Arc::new(TestBackend::new(&clock));
    for bad in ["", "K-0123456789012345678901234567890"] {
        let e = Kiosk::new(config(), bad, sdk.clone(), backend.clone(), clock.clone()).unwrap_err();
        assert_eq!(e.code(), "invalid_input");
    }
}

#[test]
fn panicking_sdk_is_a_failed_call_not_a_crash() {
    struct Panics;
    impl FaceSdk for Panics {
        fn call(&self, request_json: &str) -> Result<String, Error> {
            if request_json.contains("initWxpayface") {
                return Ok(OK.into());
            }
            panic!("boom");
        }
    }
    let clock = TestClock::at(T0);
    let backend = Arc::new(TestBackend::new(&clock));
    let kiosk = Kiosk::new(config(), "KIOSK-01", Arc::new(Panics), backend, clock).unwrap();
    kiosk.start().unwrap();
    match kiosk.verify(VerifyHooks::new()) {
        Outcome::Failed {
            step: Step::ReadingRawdata,
            error: Error::Sdk { return_code, .. },
        } => assert_eq!(return_code, "CALL_FAILED"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn debug_output_carries_no_identity() {
    let r = rig();
    let outcome = r.kiosk.verify(VerifyHooks::new());
    let d = format!("{:?} {outcome:?}", r.kiosk);
    assert!(d.contains("KIOSK-01"));
    assert!(!d.contains("测试者"));
}

/// The kiosk's state and authinfo expiry, asked from another thread; panics
/// when they do not answer (the flow was held across a call).
fn asked_while_held(kiosk: &Arc<Kiosk>) -> (&'static str, Option<UnixTime>) {
    let (tx, rx) = mpsc::channel();
    let k = Arc::clone(kiosk);
    thread::spawn(move || {
        k.invalidate_authinfo();
        let _ = tx.send((k.state_name(), k.authinfo_expires_at()));
    });
    // A guard against a hang, not a timing assertion: a kiosk holding its
    // flow during the call never answers at all.
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the kiosk's state blocked while a call was in progress")
}

#[test]
fn the_state_answers_while_an_sdk_call_is_in_progress() {
    let r = rig();
    let (gate, entered, release) = Gate::new();
    r.sdk
        .script("getWxpayfaceCode", &[Reply::Gated(gate, FACE)]);
    let kiosk = Arc::new(r.kiosk);
    let k2 = Arc::clone(&kiosk);
    let t = thread::spawn(move || k2.verify(VerifyHooks::new()));
    // The recognition call is inside the SDK (the patient at the camera).
    entered.recv().unwrap();
    assert_eq!(asked_while_held(&kiosk), ("expect_face_code", None));
    release.send(()).unwrap();
    assert_eq!(t.join().unwrap().as_str(), "verified");
    assert_eq!(kiosk.state_name(), "ready");

    // The same during start-up.
    let r = rig_with(config(), |_| {});
    let (gate, entered, release) = Gate::new();
    r.sdk.script("initWxpayface", &[Reply::Gated(gate, OK)]);
    let kiosk = Arc::new(r.kiosk);
    let k2 = Arc::clone(&kiosk);
    let t = thread::spawn(move || k2.start());
    entered.recv().unwrap();
    assert_eq!(asked_while_held(&kiosk).0, "expect_init");
    release.send(()).unwrap();
    t.join().unwrap().unwrap();
    assert_eq!(kiosk.state_name(), "ready");
}

#[test]
fn the_state_answers_while_a_merchant_request_is_in_progress() {
    let (gate, entered, release) = Gate::new();
    let r = rig_with(config(), |b| b.authinfo_gate = Some(gate));
    r.kiosk.start().unwrap();
    let kiosk = Arc::new(r.kiosk);
    let k2 = Arc::clone(&kiosk);
    let t = thread::spawn(move || k2.verify(VerifyHooks::new()));
    entered.recv().unwrap();
    assert_eq!(asked_while_held(&kiosk), ("expect_authinfo", None));
    release.send(()).unwrap();
    assert_eq!(t.join().unwrap().as_str(), "verified");
    assert_eq!(kiosk.authinfo_expires_at(), Some(UnixTime(T0 + 7200)));
}

#[test]
fn step_finished_says_what_ended_the_step() {
    let r = rig();
    r.sdk.script("getWxpayAuth", &[Reply::Json(REFUSED)]);
    let (_, events) = verify(&r.kiosk, VerifyHooks::new());
    let error = events
        .iter()
        .find_map(|e| match e {
            ProgressEvent::StepFinished {
                step: Step::AskingConsent,
                error,
                ..
            } => Some(error.clone()),
            _ => None,
        })
        .unwrap()
        .unwrap();
    assert_eq!(
        wxface_core::sdk::classify_sdk_error(&error),
        Some(wxface_core::sdk::SdkErrorClass::ConsentRefused)
    );
    assert!(matches!(&error, Error::Sdk { cmd, .. } if cmd == "getWxpayAuth"));
    // Steps that succeeded carry no error.
    assert!(events.iter().all(|e| !matches!(
        e,
        ProgressEvent::StepFinished {
            status: StepStatus::Ok,
            error: Some(_),
            ..
        }
    )));
}

#[test]
fn a_late_recognition_answer_is_quit_before_the_next_patient_and_at_shutdown() {
    use wxface_core::sdk::{FaceAuthType, FaceCodeRequest, SdkRequest};
    let late = || LateAnswer {
        request: SdkRequest::GetFaceCode(FaceCodeRequest {
            appid: "wx2421b1c4370ec43b".into(),
            mch_id: "10000100".into(),
            store_id: "STORE-1".into(),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo: "LATE-AUTH".into(),
            ..FaceCodeRequest::default()
        })
        .to_json(SdkVersion::V1_24, UnixTime(T0))
        .unwrap(),
        answer: FACE.into(),
    };
    let r = rig();
    *r.sdk.late.lock().unwrap() = Some(late());
    assert_eq!(r.kiosk.verify(VerifyHooks::new()).as_str(), "verified");
    assert_eq!(
        r.sdk.trace(),
        ["quit", "getWxpayfaceRawdata", "getWxpayfaceCode", "consent"]
    );
    let calls = r.sdk.calls.lock().unwrap().clone();
    assert_eq!(calls[0]["authinfo"], "LATE-AUTH");
    assert_eq!(calls[0]["face_sid"], "sid-1");

    // At shutdown; a failing quit does not stop the release.
    r.sdk.clear();
    r.sdk.script("getWxpayAuth", &[Reply::Fail]);
    *r.sdk.late.lock().unwrap() = Some(late());
    r.kiosk.shutdown().unwrap();
    assert_eq!(r.sdk.trace(), ["quit", "releaseWxpayface"]);

    // Before SDK 1.20 there is no quit to send.
    let mut cfg = config();
    cfg.sdk_version = SdkVersion::V1_16;
    let r = rig_with(cfg, |_| {});
    r.kiosk.start().unwrap();
    r.sdk.clear();
    *r.sdk.late.lock().unwrap() = Some(late());
    assert_eq!(r.kiosk.verify(VerifyHooks::new()).as_str(), "verified");
    assert_eq!(r.sdk.trace()[0], "getWxpayfaceRawdata");
}
