//! Table-driven walks through every branch of the flow.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::realname::CredentialType;

const T0: UnixTime = UnixTime(1_700_000_000);

fn identity() -> MaskedIdentity {
    MaskedIdentity {
        name: "测*者".into(),
        credential_type: CredentialType::IdCard,
        credential_id: "110***********002X".into(),
    }
}

/// How the fake SDK and merchant answer, per scenario.
#[derive(Clone)]
struct Script {
    face_code: Vec<&'static str>,
    consent: &'static str,
    quit: &'static str,
    already_verified: Option<bool>,
    authinfo_fails: bool,
    real_name_fails: bool,
    rawdata_transport_error: bool,
    expires_in: u64,
    /// The kiosk cancels right before the driver answers this request
    /// (a label of the trace).
    cancel_at: Option<&'static str>,
}

const OK: &str = r#"{"return_code":"SUCCESS","return_msg":"SUCCESS"}"#;
const FACE: &str =
    r#"{"return_code":"SUCCESS","return_msg":"SUCCESS","face_sid":"sid-1","openid":"o-1"}"#;
/// The spec's table: "返回face_sid时不返回openId".
const FACE_NO_OPENID: &str =
    r#"{"return_code":"SUCCESS","return_msg":"SUCCESS","face_sid":"sid-1"}"#;
const EXPIRED: &str =
    r#"{"return_code":"ERROR","return_msg":"授权请求信息不存在或者已过期","err_code":271382020}"#;
const CANCEL: &str = r#"{"return_code":"USER_CANCEL","return_msg":"用户取消"}"#;
const REFUSED: &str =
    r#"{"return_code":"ERROR","return_msg":"拒绝","err_code":"ACTION_ON_USER_QUERY_CANCEL"}"#;

impl Default for Script {
    fn default() -> Self {
        Self {
            face_code: vec![FACE],
            consent: OK,
            quit: OK,
            already_verified: Some(false),
            authinfo_fails: false,
            real_name_fails: false,
            rawdata_transport_error: false,
            expires_in: 7200,
            cancel_at: None,
        }
    }
}

/// Runs one patient's flow (Begin … Done) and returns the trace and outcome.
fn patient(flow: &mut Flow, now: UnixTime, script: &mut Script) -> (Vec<String>, Outcome) {
    let (trace, outcome, _) = patient_logged(flow, now, script);
    (trace, outcome)
}

/// [`patient`], also returning every action as [`label`] names it.
fn patient_logged(
    flow: &mut Flow,
    now: UnixTime,
    script: &mut Script,
) -> (Vec<String>, Outcome, Vec<String>) {
    let mut trace = Vec::new();
    let mut log = Vec::new();
    flow.handle(now, Event::Begin).unwrap();
    loop {
        let Some(action) = flow.poll_action() else {
            panic!("machine stalled in {} after {trace:?}", flow.state_name());
        };
        log.push(label(&action));
        let reply = match action {
            Action::StepStarted(_)
            | Action::StepFinished { .. }
            | Action::Ready
            | Action::Released { .. } => None,
            Action::Done(o) => {
                assert!(flow.poll_action().is_none());
                return (trace, o, log);
            }
            Action::CallSdk { id, cmd, json } => {
                let v: serde_json::Value = serde_json::from_str(&json).unwrap();
                let label = match (cmd, v["quit_face_auth"].as_str()) {
                    (Cmd::GetAuth, Some("1")) => "quit".to_owned(),
                    (Cmd::GetAuth, _) => "consent".to_owned(),
                    (c, _) => c.as_str().to_owned(),
                };
                trace.push(label.clone());
                if cmd == Cmd::GetRawdata && script.rawdata_transport_error {
                    Some(Event::SdkCallFailed {
                        id,
                        error: Error::Sdk {
                            cmd: "getWxpayfaceRawdata".into(),
                            return_code: "CALL_FAILED".into(),
                            return_msg: "wxpayCallFaceService returned -1".into(),
                            err_code: None,
                        },
                    })
                } else {
                    let answer = match label.as_str() {
                        "getWxpayfaceRawdata" => r#"{"return_code":"SUCCESS","rawdata":"RAW"}"#,
                        "getWxpayfaceCode" => script.face_code.remove(0),
                        "consent" => script.consent,
                        "quit" => script.quit,
                        _ => OK,
                    };
                    Some(Event::SdkAnswer {
                        id,
                        json: answer.into(),
                    })
                }
            }
            Action::FetchAuthinfo {
                id,
                rawdata,
                refresh,
            } => {
                assert_eq!(rawdata, "RAW");
                trace.push(
                    if refresh {
                        "fetch_authinfo(refresh)"
                    } else {
                        "fetch_authinfo"
                    }
                    .into(),
                );
                Some(if script.authinfo_fails {
                    Event::BackendFailed {
                        id,
                        error: Error::Backend {
                            status: None,
                            code: "FAIL".into(),
                            message: "签名错误".into(),
                            detail: None,
                            request_id: None,
                        },
                    }
                } else {
                    Event::Authinfo {
                        id,
                        authinfo: "AUTHINFO".into(),
                        expires_at: now.plus(script.expires_in),
                    }
                })
            }
            Action::CheckVerified { id, who } => {
                assert!(who.face_sid == "sid-1" || who.face_sid.len() == 200);
                // The face SDK's openid as it answered (none per the spec's
                // table): the merchant server decides from the face_sid.
                assert!(
                    matches!(who.openid.as_deref(), None | Some("o-1")),
                    "{who:?}"
                );
                trace.push("check_verified".into());
                Some(match script.already_verified {
                    Some(v) => Event::VerifiedChecked {
                        id,
                        already_verified: v,
                    },
                    None => Event::BackendFailed {
                        id,
                        error: Error::Backend {
                            status: Some(503),
                            code: "HIS_DOWN".into(),
                            message: "database unavailable".into(),
                            detail: None,
                            request_id: None,
                        },
                    },
                })
            }
            Action::FetchRealName { id, face_sid } => {
                assert!(face_sid == "sid-1" || face_sid.len() == 200);
                trace.push("fetch_real_name".into());
                Some(if script.real_name_fails {
                    Event::BackendFailed {
                        id,
                        error: Error::signature(crate::SignatureFailure::Mismatch, "bad"),
                    }
                } else {
                    Event::RealName {
                        id,
                        identity: identity(),
                    }
                })
            }
        };
        if let Some(ev) = reply {
            let pending = flow.pending();
            if script.cancel_at.is_some() && trace.last().map(String::as_str) == script.cancel_at {
                script.cancel_at = None;
                flow.handle(now, Event::Cancel).unwrap();
            }
            // A request the cancel abandoned is not answered; what the cancel
            // produced is polled next.
            if flow.pending() == pending {
                flow.handle(now, ev).unwrap();
            }
        }
    }
}

/// A compact name of an action: `+step` for a start, `-step:status` for a
/// finish, `call:<cmd>`, `fetch_authinfo`, `check_verified`,
/// `fetch_real_name`, `ready`, `done:<outcome>`, `released`.
fn label(a: &Action) -> String {
    match a {
        Action::StepStarted(s) => format!("+{s}"),
        Action::StepFinished { step, status, .. } => format!("-{step}:{status}"),
        Action::CallSdk { cmd, .. } => format!("call:{cmd}"),
        Action::FetchAuthinfo { .. } => "fetch_authinfo".into(),
        Action::CheckVerified { .. } => "check_verified".into(),
        Action::FetchRealName { .. } => "fetch_real_name".into(),
        Action::Ready => "ready".into(),
        Action::Done(o) => format!("done:{}", o.as_str()),
        Action::Released { .. } => "released".into(),
    }
}

fn ready(version: SdkVersion) -> Flow {
    let mut cfg = FlowConfig::new("wx1", "1900000109", "S1");
    cfg.sdk_version = version;
    let mut f = Flow::new(cfg).unwrap();
    f.handle(T0, Event::Start).unwrap();
    assert_eq!(
        f.poll_action(),
        Some(Action::StepStarted(Step::Initialising))
    );
    let Some(Action::CallSdk {
        id, cmd: Cmd::Init, ..
    }) = f.poll_action()
    else {
        panic!()
    };
    f.handle(
        T0,
        Event::SdkAnswer {
            id,
            json: OK.into(),
        },
    )
    .unwrap();
    assert_eq!(
        f.poll_action(),
        Some(finished(Step::Initialising, StepStatus::Ok))
    );
    assert_eq!(f.poll_action(), Some(Action::Ready));
    f
}

/// A `StepFinished` without an error.
fn finished(step: Step, status: StepStatus) -> Action {
    Action::StepFinished {
        step,
        status,
        error: None,
    }
}

const FULL: &[&str] = &[
    "getWxpayfaceRawdata",
    "fetch_authinfo",
    "getWxpayfaceCode",
    "check_verified",
];

#[test]
fn every_branch() {
    let cases: Vec<(&str, SdkVersion, Script, Vec<&str>, &str)> = vec![
        (
            "verified",
            SdkVersion::V1_24,
            Script::default(),
            vec!["consent", "fetch_real_name"],
            "verified",
        ),
        (
            "already verified, 1.20+: mandatory quit",
            SdkVersion::V1_20,
            Script {
                already_verified: Some(true),
                ..Script::default()
            },
            vec!["quit"],
            "already_verified",
        ),
        (
            "spec table, no openid with face_sid: still asked, already verified → quit",
            SdkVersion::V1_24,
            Script {
                face_code: vec![FACE_NO_OPENID],
                already_verified: Some(true),
                ..Script::default()
            },
            vec!["quit"],
            "already_verified",
        ),
        (
            "spec table, no openid with face_sid: not verified → consent",
            SdkVersion::V1_24,
            Script {
                face_code: vec![FACE_NO_OPENID],
                ..Script::default()
            },
            vec!["consent", "fetch_real_name"],
            "verified",
        ),
        (
            "already verified, before 1.20: no quit call exists",
            SdkVersion::V1_16,
            Script {
                already_verified: Some(true),
                ..Script::default()
            },
            vec![],
            "already_verified",
        ),
        (
            "consent refused",
            SdkVersion::V1_24,
            Script {
                consent: REFUSED,
                ..Script::default()
            },
            vec!["consent"],
            "consent_refused",
        ),
        (
            "user cancels at consent",
            SdkVersion::V1_24,
            Script {
                consent: CANCEL,
                ..Script::default()
            },
            vec!["consent"],
            "cancelled",
        ),
        (
            "real-name fetch fails",
            SdkVersion::V1_24,
            Script {
                real_name_fails: true,
                ..Script::default()
            },
            vec!["consent", "fetch_real_name"],
            "failed",
        ),
        (
            "verified check fails: SDK is told to quit, failure reported",
            SdkVersion::V1_24,
            Script {
                already_verified: None,
                ..Script::default()
            },
            vec!["quit"],
            "failed",
        ),
        (
            "consent step errors",
            SdkVersion::V1_24,
            Script {
                consent: r#"{"return_code":"SYSTEMERROR","return_msg":"x"}"#,
                ..Script::default()
            },
            vec!["consent"],
            "failed",
        ),
        (
            "quit step errors",
            SdkVersion::V1_24,
            Script {
                already_verified: Some(true),
                quit: r#"{"return_code":"ERROR","return_msg":"x"}"#,
                ..Script::default()
            },
            vec!["quit"],
            "failed",
        ),
    ];
    for (name, version, mut script, tail, outcome) in cases {
        let mut f = ready(version);
        let (trace, o) = patient(&mut f, T0, &mut script);
        let want: Vec<&str> = FULL.iter().copied().chain(tail).collect();
        assert_eq!(trace, want, "{name}");
        assert_eq!(o.as_str(), outcome, "{name}: {o:?}");
        assert_eq!(f.state_name(), "ready", "{name}");
    }
}

#[test]
fn recognition_branches() {
    let cases: Vec<(&str, Script, Vec<&str>, &str)> = vec![
        (
            "user cancels on the SDK screen",
            Script {
                face_code: vec![CANCEL],
                ..Script::default()
            },
            vec!["getWxpayfaceRawdata", "fetch_authinfo", "getWxpayfaceCode"],
            "cancelled",
        ),
        (
            "authinfo expired: refreshed once, then succeeds",
            Script {
                face_code: vec![EXPIRED, FACE],
                ..Script::default()
            },
            vec![
                "getWxpayfaceRawdata",
                "fetch_authinfo",
                "getWxpayfaceCode",
                "getWxpayfaceRawdata",
                "fetch_authinfo(refresh)",
                "getWxpayfaceCode",
                "check_verified",
                "consent",
                "fetch_real_name",
            ],
            "verified",
        ),
        (
            "authinfo expired twice: fails after one refresh",
            Script {
                face_code: vec![EXPIRED, EXPIRED],
                ..Script::default()
            },
            vec![
                "getWxpayfaceRawdata",
                "fetch_authinfo",
                "getWxpayfaceCode",
                "getWxpayfaceRawdata",
                "fetch_authinfo(refresh)",
                "getWxpayfaceCode",
            ],
            "failed",
        ),
        (
            "authinfo fetch fails",
            Script {
                authinfo_fails: true,
                ..Script::default()
            },
            vec!["getWxpayfaceRawdata", "fetch_authinfo"],
            "failed",
        ),
        (
            "SDK call fails at rawdata",
            Script {
                rawdata_transport_error: true,
                ..Script::default()
            },
            vec!["getWxpayfaceRawdata"],
            "failed",
        ),
        (
            "malformed recognition answer",
            Script {
                face_code: vec![r#"{"return_code":"SUCCESS"#],
                ..Script::default()
            },
            vec!["getWxpayfaceRawdata", "fetch_authinfo", "getWxpayfaceCode"],
            "failed",
        ),
        (
            "FACE_AUTH answer without face_sid",
            Script {
                face_code: vec![r#"{"return_code":"SUCCESS","face_code":"fc"}"#],
                ..Script::default()
            },
            vec!["getWxpayfaceRawdata", "fetch_authinfo", "getWxpayfaceCode"],
            "failed",
        ),
    ];
    for (name, mut script, want, outcome) in cases {
        let mut f = ready(SdkVersion::V1_24);
        let (trace, o) = patient(&mut f, T0, &mut script);
        assert_eq!(trace, want, "{name}");
        assert_eq!(o.as_str(), outcome, "{name}: {o:?}");
    }
}

#[test]
fn authinfo_is_reused_until_shortly_before_expiry() {
    let mut f = ready(SdkVersion::V1_24);
    let (trace, _) = patient(&mut f, T0, &mut Script::default());
    assert_eq!(trace[0], "getWxpayfaceRawdata");
    assert_eq!(f.authinfo_expires_at(), Some(T0.plus(7200)));
    // Reused just under an hour later: no rawdata, no authinfo fetch.
    let (trace, o) = patient(&mut f, T0.plus(3599), &mut Script::default());
    assert_eq!(trace[0], "getWxpayfaceCode");
    assert_eq!(o.as_str(), "verified");
    // An hour after it arrived: fetched again, though WeChat gave it 7200 s
    // (the merchant server's cap, crate::v2::MAX_AUTHINFO_REUSE_SECS).
    let (trace, _) = patient(&mut f, T0.plus(3600), &mut Script::default());
    assert_eq!(trace[0], "getWxpayfaceRawdata");
    assert_eq!(f.authinfo_expires_at(), Some(T0.plus(3600 + 7200)));
    // Within the 60 s margin of expiry: fetched again, even inside the hour.
    let mut f = ready(SdkVersion::V1_24);
    let mut short = Script {
        expires_in: 600,
        ..Script::default()
    };
    let (trace, _) = patient(&mut f, T0, &mut short);
    assert_eq!(trace[0], "getWxpayfaceRawdata");
    let (trace, _) = patient(&mut f, T0.plus(600 - 30), &mut Script::default());
    assert_eq!(trace[0], "getWxpayfaceRawdata");
}

#[test]
fn cancel_during_recognition_quits_the_sdk_after_its_answer() {
    let mut f = ready(SdkVersion::V1_24);
    f.handle(T0, Event::Begin).unwrap();
    let mut face_id = None;
    let mut rawdata_id = None;
    while let Some(a) = f.poll_action() {
        if let Action::CallSdk { id, .. } = a {
            rawdata_id = Some(id);
        }
    }
    f.handle(
        T0,
        Event::SdkAnswer {
            id: rawdata_id.unwrap(),
            json: r#"{"return_code":"SUCCESS","rawdata":"R"}"#.into(),
        },
    )
    .unwrap();
    assert_eq!(
        f.poll_action(),
        Some(finished(Step::ReadingRawdata, StepStatus::Ok))
    );
    let Some(Action::StepStarted(Step::FetchingAuthinfo)) = f.poll_action() else {
        panic!()
    };
    let Some(Action::FetchAuthinfo { id, .. }) = f.poll_action() else {
        panic!()
    };
    f.handle(
        T0,
        Event::Authinfo {
            id,
            authinfo: "A".into(),
            expires_at: T0.plus(100),
        },
    )
    .unwrap();
    while let Some(a) = f.poll_action() {
        if let Action::CallSdk { id, .. } = a {
            face_id = Some(id);
        }
    }
    f.handle(T0, Event::Cancel).unwrap();
    assert!(
        f.poll_action().is_none(),
        "nothing happens until the SDK answers"
    );
    f.handle(
        T0,
        Event::SdkAnswer {
            id: face_id.unwrap(),
            json: FACE.into(),
        },
    )
    .unwrap();
    assert_eq!(
        f.poll_action(),
        Some(finished(Step::Recognising, StepStatus::Cancelled))
    );
    assert_eq!(f.poll_action(), Some(Action::StepStarted(Step::Quitting)));
    let Some(Action::CallSdk {
        id,
        cmd: Cmd::GetAuth,
        json,
    }) = f.poll_action()
    else {
        panic!()
    };
    assert!(json.contains(r#""quit_face_auth":"1""#));
    f.handle(
        T0,
        Event::SdkAnswer {
            id,
            json: OK.into(),
        },
    )
    .unwrap();
    assert_eq!(
        f.poll_action(),
        Some(finished(Step::Quitting, StepStatus::Cancelled))
    );
    assert_eq!(f.poll_action(), Some(Action::Done(Outcome::Cancelled)));
}

#[test]
fn events_that_do_not_fit_are_refused_and_change_nothing() {
    let mut cfg = FlowConfig::new("wx1", "1900000109", "S1");
    cfg.sdk_version = SdkVersion::V1_24;
    let mut f = Flow::new(cfg).unwrap();
    for ev in [
        Event::Begin,
        Event::Cancel,
        Event::SdkAnswer {
            id: RequestId(1),
            json: OK.into(),
        },
        Event::Shutdown,
    ] {
        let e = f.handle(T0, ev).unwrap_err();
        assert_eq!(e.code(), "state");
        assert_eq!(f.state_name(), "uninitialised");
        assert!(f.poll_action().is_none());
    }
    let mut f = ready(SdkVersion::V1_24);
    f.handle(T0, Event::Begin).unwrap();
    while f.poll_action().is_some() {}
    let pending = f.pending().unwrap();
    let wrong = [
        Event::SdkAnswer {
            id: RequestId(pending.0 + 7),
            json: OK.into(),
        },
        Event::Authinfo {
            id: pending,
            authinfo: "A".into(),
            expires_at: T0,
        },
        Event::RealName {
            id: pending,
            identity: identity(),
        },
        Event::VerifiedChecked {
            id: pending,
            already_verified: true,
        },
        Event::Begin,
        Event::Start,
        Event::Shutdown,
    ];
    for ev in wrong {
        let name = ev.name();
        let e = f.handle(T0, ev).unwrap_err();
        assert!(
            matches!(
                e,
                Error::State {
                    state: "expect_rawdata",
                    ..
                }
            ),
            "{name}: {e:?}"
        );
        assert_eq!(f.pending(), Some(pending));
        assert!(f.poll_action().is_none());
    }
    // The right answer still works afterwards.
    f.handle(
        T0,
        Event::SdkAnswer {
            id: pending,
            json: r#"{"return_code":"SUCCESS","rawdata":"R"}"#.into(),
        },
    )
    .unwrap();
    assert_eq!(f.state_name(), "expect_authinfo");
}

#[test]
fn init_failure_allows_a_retry_and_shutdown_releases() {
    let mut f = Flow::new(FlowConfig::new("wx1", "1900000109", "S1")).unwrap();
    f.handle(T0, Event::Start).unwrap();
    f.poll_action();
    let Some(Action::CallSdk { id, .. }) = f.poll_action() else {
        panic!()
    };
    f.handle(
        T0,
        Event::SdkAnswer {
            id,
            json: r#"{"return_code":"SYSTEMERROR","return_msg":"WxpayFaceService not running"}"#
                .into(),
        },
    )
    .unwrap();
    assert!(matches!(
        f.poll_action(),
        Some(Action::StepFinished {
            step: Step::Initialising,
            status: StepStatus::Error,
            error: Some(_),
        })
    ));
    let Some(Action::Done(Outcome::Failed {
        step: Step::Initialising,
        error,
    })) = f.poll_action()
    else {
        panic!()
    };
    assert_eq!(error.code(), "sdk");
    assert_eq!(f.state_name(), "uninitialised");
    let mut f = ready(SdkVersion::V1_24);
    f.handle(T0, Event::Shutdown).unwrap();
    assert_eq!(f.poll_action(), Some(Action::StepStarted(Step::Releasing)));
    let Some(Action::CallSdk {
        id,
        cmd: Cmd::Release,
        ..
    }) = f.poll_action()
    else {
        panic!()
    };
    f.handle(
        T0,
        Event::SdkAnswer {
            id,
            json: OK.into(),
        },
    )
    .unwrap();
    assert_eq!(
        f.poll_action(),
        Some(finished(Step::Releasing, StepStatus::Ok))
    );
    assert_eq!(f.poll_action(), Some(Action::Released { error: None }));
    assert!(f.handle(T0, Event::Begin).is_err());
}

#[test]
fn config_is_checked_up_front() {
    let mut cfg = FlowConfig::new("wx1", "1900000109", "S1");
    cfg.sdk_version = SdkVersion::V1_16;
    cfg.disable_keyboard = true;
    assert_eq!(Flow::new(cfg).unwrap_err().code(), "sdk_version");
    assert_eq!(
        Flow::new(FlowConfig::new("", "1", "S")).unwrap_err().code(),
        "invalid_input"
    );
}

#[test]
fn a_200_character_face_sid_still_closes_the_session() {
    // The spec gives face_sid no length; the identity query takes 256 bytes,
    // so the consent and quit requests must take what recognition returned.
    let sid = format!("fs_{}", "0123456789abcdef".repeat(13))[..200].to_owned();
    let face: &'static str = Box::leak(
        format!(r#"{{"return_code":"SUCCESS","return_msg":"SUCCESS","face_sid":"{sid}","openid":"o-1"}}"#)
            .into_boxed_str(),
    );
    for (already, step, outcome) in [
        (false, "consent", "verified"),
        (true, "quit", "already_verified"),
    ] {
        let mut f = ready(SdkVersion::V1_24);
        let mut script = Script {
            face_code: vec![face],
            already_verified: Some(already),
            ..Script::default()
        };
        let (trace, o) = patient(&mut f, T0, &mut script);
        assert!(trace.iter().any(|t| t == step), "{trace:?}");
        assert_eq!(o.as_str(), outcome, "{o:?}");
    }
}

#[test]
fn a_failed_clock_never_reaches_the_sdk() {
    // SystemClock reads 0 when the system time is before the epoch.
    let mut f = ready(SdkVersion::V1_24);
    let _ = f.handle(UnixTime(0), Event::Begin);
    let sent: Vec<_> = std::iter::from_fn(|| f.poll_action()).collect();
    assert!(
        !sent.iter().any(|a| matches!(a, Action::CallSdk { .. })),
        "{sent:?}"
    );
    let failed = sent.iter().find_map(|a| match a {
        Action::Done(Outcome::Failed { error, .. }) => Some(error.clone()),
        _ => None,
    });
    let e = failed.expect("the visit fails with a typed error");
    assert_eq!(e.code(), "invalid_input");
    assert!(e.to_string().contains("clock"), "{e}");
}

// --- step finished, commands on SDK errors, release errors, late answers ----

const RAW: &str = r#"{"return_code":"SUCCESS","rawdata":"RAW"}"#;
const SYSTEMERROR: &str = r#"{"return_code":"SYSTEMERROR","return_msg":"x"}"#;

/// Every action queued now, as [`label`]s, and the actions themselves.
fn drain(f: &mut Flow) -> (Vec<String>, Vec<Action>) {
    let all: Vec<Action> = std::iter::from_fn(|| f.poll_action()).collect();
    (all.iter().map(label).collect(), all)
}

#[test]
fn step_finished_order() {
    let full = [
        "+reading_rawdata",
        "call:getWxpayfaceRawdata",
        "-reading_rawdata:ok",
        "+fetching_authinfo",
        "fetch_authinfo",
        "-fetching_authinfo:ok",
        "+recognising",
        "call:getWxpayfaceCode",
        "-recognising:ok",
        "+checking_verified",
        "check_verified",
        "-checking_verified:ok",
    ];
    let cases: Vec<(&str, SdkVersion, Script, Vec<&str>)> = vec![
        (
            "verified",
            SdkVersion::V1_24,
            Script::default(),
            vec![
                "+asking_consent",
                "call:getWxpayAuth",
                "-asking_consent:ok",
                "+fetching_real_name",
                "fetch_real_name",
                "-fetching_real_name:ok",
                "done:verified",
            ],
        ),
        (
            "consent refused: the SDK answers an error",
            SdkVersion::V1_24,
            Script {
                consent: REFUSED,
                ..Script::default()
            },
            vec![
                "+asking_consent",
                "call:getWxpayAuth",
                "-asking_consent:error",
                "done:consent_refused",
            ],
        ),
        (
            "patient cancels on the consent screen",
            SdkVersion::V1_24,
            Script {
                consent: CANCEL,
                ..Script::default()
            },
            vec![
                "+asking_consent",
                "call:getWxpayAuth",
                "-asking_consent:cancelled",
                "done:cancelled",
            ],
        ),
        (
            "kiosk cancels during the consent screen; the SDK answers SUCCESS",
            SdkVersion::V1_24,
            Script {
                cancel_at: Some("consent"),
                ..Script::default()
            },
            vec![
                "+asking_consent",
                "call:getWxpayAuth",
                "-asking_consent:cancelled",
                "done:cancelled",
            ],
        ),
        (
            "kiosk cancels while the merchant checks: abandoned, the SDK told to quit",
            SdkVersion::V1_24,
            Script {
                cancel_at: Some("check_verified"),
                ..Script::default()
            },
            vec![],
        ),
        (
            "already verified, 1.20+",
            SdkVersion::V1_20,
            Script {
                already_verified: Some(true),
                ..Script::default()
            },
            vec![
                "+quitting",
                "call:getWxpayAuth",
                "-quitting:ok",
                "done:already_verified",
            ],
        ),
        (
            "already verified, before 1.20",
            SdkVersion::V1_16,
            Script {
                already_verified: Some(true),
                ..Script::default()
            },
            vec!["done:already_verified"],
        ),
        (
            "check fails: the quit is sent, the flow fails during it",
            SdkVersion::V1_24,
            Script {
                already_verified: None,
                ..Script::default()
            },
            vec![],
        ),
        (
            "real-name fetch fails",
            SdkVersion::V1_24,
            Script {
                real_name_fails: true,
                ..Script::default()
            },
            vec![
                "+asking_consent",
                "call:getWxpayAuth",
                "-asking_consent:ok",
                "+fetching_real_name",
                "fetch_real_name",
                "-fetching_real_name:error",
                "done:failed",
            ],
        ),
    ];
    for (name, version, mut script, tail) in cases {
        let mut f = ready(version);
        let (_, _, log) = patient_logged(&mut f, T0, &mut script);
        let mut want: Vec<&str> = full.to_vec();
        if name.starts_with("kiosk cancels while") {
            // The check is abandoned at once.
            want.truncate(want.len() - 1);
            want.extend([
                "-checking_verified:cancelled",
                "+quitting",
                "call:getWxpayAuth",
                "-quitting:cancelled",
                "done:cancelled",
            ]);
        } else if name.starts_with("check fails") {
            want.truncate(want.len() - 1);
            want.extend([
                "-checking_verified:error",
                "+quitting",
                "call:getWxpayAuth",
                "-quitting:error",
                "done:failed",
            ]);
        } else {
            want.extend(tail);
        }
        assert_eq!(log, want, "{name}");
    }

    // Before recognition: failures, cancels and the authinfo refresh.
    let early: Vec<(&str, Script, Vec<&str>)> = vec![
        (
            "SDK call fails at rawdata",
            Script {
                rawdata_transport_error: true,
                ..Script::default()
            },
            vec![
                "+reading_rawdata",
                "call:getWxpayfaceRawdata",
                "-reading_rawdata:error",
                "done:failed",
            ],
        ),
        (
            "authinfo fetch fails",
            Script {
                authinfo_fails: true,
                ..Script::default()
            },
            vec![
                "+reading_rawdata",
                "call:getWxpayfaceRawdata",
                "-reading_rawdata:ok",
                "+fetching_authinfo",
                "fetch_authinfo",
                "-fetching_authinfo:error",
                "done:failed",
            ],
        ),
        (
            "kiosk cancels during the authinfo fetch",
            Script {
                cancel_at: Some("fetch_authinfo"),
                ..Script::default()
            },
            vec![
                "+reading_rawdata",
                "call:getWxpayfaceRawdata",
                "-reading_rawdata:ok",
                "+fetching_authinfo",
                "fetch_authinfo",
                "-fetching_authinfo:cancelled",
                "done:cancelled",
            ],
        ),
        (
            "user cancels on the SDK screen",
            Script {
                face_code: vec![CANCEL],
                ..Script::default()
            },
            vec![
                "+reading_rawdata",
                "call:getWxpayfaceRawdata",
                "-reading_rawdata:ok",
                "+fetching_authinfo",
                "fetch_authinfo",
                "-fetching_authinfo:ok",
                "+recognising",
                "call:getWxpayfaceCode",
                "-recognising:cancelled",
                "done:cancelled",
            ],
        ),
        (
            "kiosk cancels during recognition: recognised, then told to quit",
            Script {
                cancel_at: Some("getWxpayfaceCode"),
                ..Script::default()
            },
            vec![
                "+reading_rawdata",
                "call:getWxpayfaceRawdata",
                "-reading_rawdata:ok",
                "+fetching_authinfo",
                "fetch_authinfo",
                "-fetching_authinfo:ok",
                "+recognising",
                "call:getWxpayfaceCode",
                "-recognising:cancelled",
                "+quitting",
                "call:getWxpayAuth",
                "-quitting:cancelled",
                "done:cancelled",
            ],
        ),
        (
            "authinfo expired: recognition ends in error, refreshed once",
            Script {
                face_code: vec![EXPIRED, FACE],
                already_verified: Some(true),
                ..Script::default()
            },
            vec![
                "+reading_rawdata",
                "call:getWxpayfaceRawdata",
                "-reading_rawdata:ok",
                "+fetching_authinfo",
                "fetch_authinfo",
                "-fetching_authinfo:ok",
                "+recognising",
                "call:getWxpayfaceCode",
                "-recognising:error",
                "+reading_rawdata",
                "call:getWxpayfaceRawdata",
                "-reading_rawdata:ok",
                "+fetching_authinfo",
                "fetch_authinfo",
                "-fetching_authinfo:ok",
                "+recognising",
                "call:getWxpayfaceCode",
                "-recognising:ok",
                "+checking_verified",
                "check_verified",
                "-checking_verified:ok",
                "+quitting",
                "call:getWxpayAuth",
                "-quitting:ok",
                "done:already_verified",
            ],
        ),
    ];
    for (name, mut script, want) in early {
        let mut f = ready(SdkVersion::V1_24);
        let (_, _, log) = patient_logged(&mut f, T0, &mut script);
        assert_eq!(log, want, "{name}");
    }

    // Start and shutdown.
    let mut f = Flow::new(FlowConfig::new("wx1", "1900000109", "S1")).unwrap();
    f.handle(T0, Event::Start).unwrap();
    let (log, all) = drain(&mut f);
    assert_eq!(log, ["+initialising", "call:initWxpayface"]);
    let Action::CallSdk { id, .. } = all[1] else {
        panic!()
    };
    f.handle(
        T0,
        Event::SdkAnswer {
            id,
            json: OK.into(),
        },
    )
    .unwrap();
    assert_eq!(drain(&mut f).0, ["-initialising:ok", "ready"]);
    f.handle(T0, Event::Shutdown).unwrap();
    let (log, all) = drain(&mut f);
    assert_eq!(log, ["+releasing", "call:releaseWxpayface"]);
    let Action::CallSdk { id, .. } = all[1] else {
        panic!()
    };
    f.handle(
        T0,
        Event::SdkAnswer {
            id,
            json: OK.into(),
        },
    )
    .unwrap();
    assert_eq!(drain(&mut f).0, ["-releasing:ok", "released"]);
}

#[test]
fn step_finished_carries_what_ended_the_step() {
    // Refused consent: the SDK's error, classified, naming the command.
    let mut f = ready(SdkVersion::V1_24);
    let id = until_call(&mut f, Event::Begin, "consent", false);
    f.handle(
        T0,
        Event::SdkAnswer {
            id,
            json: REFUSED.into(),
        },
    )
    .unwrap();
    let (_, all) = drain(&mut f);
    let Action::StepFinished {
        step: Step::AskingConsent,
        status: StepStatus::Error,
        error: Some(e),
    } = &all[0]
    else {
        panic!("{all:?}")
    };
    assert_eq!(classify_sdk_error(e), Some(SdkErrorClass::ConsentRefused));
    assert!(matches!(e, Error::Sdk { cmd, .. } if cmd == "getWxpayAuth"));

    // A quit after a failed check finishes in error with the check's failure.
    let mut f = ready(SdkVersion::V1_24);
    let id = until_call(&mut f, Event::Begin, "check_verified", false);
    let failure = Error::Backend {
        status: Some(503),
        code: "HIS_DOWN".into(),
        message: "down".into(),
        detail: None,
        request_id: None,
    };
    f.handle(
        T0,
        Event::BackendFailed {
            id,
            error: failure.clone(),
        },
    )
    .unwrap();
    let (log, all) = drain(&mut f);
    assert_eq!(
        log,
        ["-checking_verified:error", "+quitting", "call:getWxpayAuth"]
    );
    assert!(
        matches!(&all[0], Action::StepFinished { error: Some(e), .. } if *e == failure),
        "{all:?}"
    );
    let Action::CallSdk { id, .. } = all[2] else {
        panic!()
    };
    f.handle(
        T0,
        Event::SdkAnswer {
            id,
            json: OK.into(),
        },
    )
    .unwrap();
    let (_, all) = drain(&mut f);
    assert_eq!(
        all,
        [
            Action::StepFinished {
                step: Step::Quitting,
                status: StepStatus::Error,
                error: Some(failure.clone()),
            },
            Action::Done(Outcome::Failed {
                step: Step::CheckingVerified,
                error: failure,
            })
        ]
    );
}

/// Answers every action on the happy path until the request labelled `stop`
/// (`patient`'s trace labels; `quit` needs `already_verified`), which is left
/// unanswered; returns its id.
fn until_call(f: &mut Flow, first: Event, stop: &str, already_verified: bool) -> RequestId {
    f.handle(T0, first).unwrap();
    loop {
        let action = f
            .poll_action()
            .unwrap_or_else(|| panic!("no `{stop}` in {}", f.state_name()));
        let (id, name, ev) = match action {
            Action::CallSdk { id, cmd, json } => {
                let name = match (cmd, json.contains(r#""quit_face_auth":"1""#)) {
                    (Cmd::GetAuth, true) => "quit",
                    (Cmd::GetAuth, false) => "consent",
                    (c, _) => c.as_str(),
                };
                let answer = match cmd {
                    Cmd::GetRawdata => RAW,
                    Cmd::GetFaceCode => FACE,
                    _ => OK,
                };
                let ev = Event::SdkAnswer {
                    id,
                    json: answer.into(),
                };
                (id, name, ev)
            }
            Action::FetchAuthinfo { id, .. } => (
                id,
                "fetch_authinfo",
                Event::Authinfo {
                    id,
                    authinfo: "AUTHINFO".into(),
                    expires_at: T0.plus(7200),
                },
            ),
            Action::CheckVerified { id, .. } => (
                id,
                "check_verified",
                Event::VerifiedChecked {
                    id,
                    already_verified,
                },
            ),
            Action::FetchRealName { id, .. } => (
                id,
                "fetch_real_name",
                Event::RealName {
                    id,
                    identity: identity(),
                },
            ),
            _ => continue,
        };
        if name == stop {
            assert!(f.poll_action().is_none());
            return id;
        }
        f.handle(T0, ev).unwrap();
    }
}

/// Where each SDK command is asked: (trace label, first event, already
/// verified?, command, step).
fn sdk_requests() -> Vec<(&'static str, Event, bool, Cmd, Step)> {
    vec![
        (
            "initWxpayface",
            Event::Start,
            false,
            Cmd::Init,
            Step::Initialising,
        ),
        (
            "getWxpayfaceRawdata",
            Event::Begin,
            false,
            Cmd::GetRawdata,
            Step::ReadingRawdata,
        ),
        (
            "getWxpayfaceCode",
            Event::Begin,
            false,
            Cmd::GetFaceCode,
            Step::Recognising,
        ),
        (
            "consent",
            Event::Begin,
            false,
            Cmd::GetAuth,
            Step::AskingConsent,
        ),
        ("quit", Event::Begin, true, Cmd::GetAuth, Step::Quitting),
        (
            "releaseWxpayface",
            Event::Shutdown,
            false,
            Cmd::Release,
            Step::Releasing,
        ),
    ]
}

/// The flow for `first`: fresh for `Start`, ready otherwise.
fn flow_for(first: &Event) -> Flow {
    match first {
        Event::Start => Flow::new(FlowConfig::new("wx1", "1900000109", "S1")).unwrap(),
        _ => ready(SdkVersion::V1_24),
    }
}

/// The error the flow reports after `answer`: the finished step's and the
/// outcome's (or the release's), which must agree.
fn reported_error(f: &mut Flow, step: Step) -> Error {
    let (log, all) = drain(f);
    let Some(Action::StepFinished {
        step: finished,
        status: StepStatus::Error,
        error: Some(step_error),
    }) = all.first()
    else {
        panic!("{log:?}")
    };
    assert_eq!(*finished, step);
    let end = match all.last() {
        Some(Action::Done(Outcome::Failed { step: s, error })) => {
            assert_eq!(*s, step);
            error.clone()
        }
        Some(Action::Released { error: Some(e) }) => e.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(*step_error, end, "{log:?}");
    end
}

#[test]
fn sdk_call_failures_carry_the_command_of_their_request() {
    for given in ["", "unknown", "getWxpayfaceRawdata"] {
        for (stop, first, already, cmd, step) in sdk_requests() {
            let mut f = flow_for(&first);
            let id = until_call(&mut f, first, stop, already);
            f.handle(
                T0,
                Event::SdkCallFailed {
                    id,
                    error: Error::Sdk {
                        cmd: given.into(),
                        return_code: "CALL_FAILED".into(),
                        return_msg: "the bridge failed".into(),
                        err_code: Some("-1".into()),
                    },
                },
            )
            .unwrap();
            let e = reported_error(&mut f, step);
            assert_eq!(
                e,
                Error::Sdk {
                    cmd: cmd.as_str().into(),
                    return_code: "CALL_FAILED".into(),
                    return_msg: "the bridge failed".into(),
                    err_code: Some("-1".into()),
                },
                "{stop} (driver said `{given}`)"
            );
        }
    }
}

#[test]
fn sdk_error_answers_carry_the_command_of_their_request() {
    for (stop, first, already, cmd, step) in sdk_requests() {
        let mut f = flow_for(&first);
        let id = until_call(&mut f, first, stop, already);
        f.handle(
            T0,
            Event::SdkAnswer {
                id,
                json: SYSTEMERROR.into(),
            },
        )
        .unwrap();
        match reported_error(&mut f, step) {
            Error::Sdk {
                cmd: c,
                return_code,
                ..
            } => {
                assert_eq!(c, cmd.as_str(), "{stop}");
                assert_eq!(return_code, "SYSTEMERROR", "{stop}");
            }
            other => panic!("{stop}: {other:?}"),
        }
    }
}

#[test]
fn other_driver_errors_of_a_failed_call_are_passed_on_as_they_are() {
    let bridge = Error::Config("the SDK bridge is not set up".into());
    for (stop, first, already, _, step) in sdk_requests() {
        let mut f = flow_for(&first);
        let id = until_call(&mut f, first, stop, already);
        f.handle(
            T0,
            Event::SdkCallFailed {
                id,
                error: bridge.clone(),
            },
        )
        .unwrap();
        assert_eq!(reported_error(&mut f, step), bridge, "{stop}");
    }
}

#[test]
fn released_carries_the_error_of_a_failed_release() {
    let release_failed =
        |e: &Error| matches!(e, Error::Sdk { cmd, .. } if cmd == "releaseWxpayface");
    let answers: Vec<(&str, Option<Event>, Option<&str>)> = vec![
        ("SUCCESS", None, None),
        ("error answer", None, Some("SYSTEMERROR")),
        (
            "failed call",
            Some(Event::SdkCallFailed {
                id: RequestId(0),
                error: Error::Sdk {
                    cmd: String::new(),
                    return_code: "TIMEOUT".into(),
                    return_msg: "gave up".into(),
                    err_code: None,
                },
            }),
            Some("TIMEOUT"),
        ),
    ];
    for (name, failure, code) in answers {
        let mut f = ready(SdkVersion::V1_24);
        let id = until_call(&mut f, Event::Shutdown, "releaseWxpayface", false);
        let ev = match failure {
            Some(Event::SdkCallFailed { error, .. }) => Event::SdkCallFailed { id, error },
            _ => Event::SdkAnswer {
                id,
                json: if code.is_some() { SYSTEMERROR } else { OK }.into(),
            },
        };
        f.handle(T0, ev).unwrap();
        let (log, all) = drain(&mut f);
        let status = if code.is_some() { "error" } else { "ok" };
        assert_eq!(
            log,
            [format!("-releasing:{status}"), "released".into()],
            "{name}"
        );
        match (&all[1], code) {
            (Action::Released { error: None }, None) => {}
            (Action::Released { error: Some(e) }, Some(code)) => {
                assert!(release_failed(e), "{name}: {e:?}");
                assert!(
                    matches!(e, Error::Sdk { return_code, .. } if return_code == code),
                    "{name}: {e:?}"
                );
            }
            (other, _) => panic!("{name}: {other:?}"),
        }
        assert_eq!(f.state_name(), "released", "{name}");
        assert!(f.handle(T0, Event::Begin).is_err());
    }
}

#[test]
fn a_refused_event_leaves_the_open_step_as_it_was() {
    let mut f = ready(SdkVersion::V1_24);
    let id = until_call(&mut f, Event::Begin, "fetch_authinfo", false);
    // An SDK failure for a merchant request does not fit: refused, and the
    // step is not marked failed by it.
    let e = f
        .handle(
            T0,
            Event::SdkCallFailed {
                id,
                error: Error::Config("x".into()),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), "state");
    assert!(f.poll_action().is_none());
    f.handle(
        T0,
        Event::Authinfo {
            id,
            authinfo: "A".into(),
            expires_at: T0.plus(7200),
        },
    )
    .unwrap();
    assert_eq!(
        drain(&mut f).0,
        [
            "-fetching_authinfo:ok",
            "+recognising",
            "call:getWxpayfaceCode"
        ]
    );
}

/// A `getWxpayfaceCode` request of the flow's own making, and its answer.
fn late_recognition(face: &str) -> Event {
    let request = SdkRequest::GetFaceCode(FaceCodeRequest {
        appid: "wx1".into(),
        mch_id: "1900000109".into(),
        store_id: "S1".into(),
        face_authtype: FaceAuthType::FaceAuth,
        authinfo: "LATE-AUTHINFO".into(),
        ..FaceCodeRequest::default()
    })
    .to_json(SdkVersion::V1_24, T0)
    .unwrap();
    Event::LateSdkAnswer {
        request,
        json: face.into(),
    }
}

#[test]
fn a_late_recognition_answer_has_its_face_session_ended() {
    // 1.20+, a face_sid: quit, then ready again.
    let mut f = ready(SdkVersion::V1_24);
    f.handle(T0, late_recognition(FACE)).unwrap();
    let (log, all) = drain(&mut f);
    assert_eq!(log, ["+quitting", "call:getWxpayAuth"]);
    let Action::CallSdk { id, json, .. } = &all[1] else {
        panic!()
    };
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["quit_face_auth"], "1");
    assert_eq!(v["face_sid"], "sid-1");
    assert_eq!(v["authinfo"], "LATE-AUTHINFO");
    assert!(!f.in_progress());
    assert_eq!(f.state_name(), "expect_late_quit");
    assert!(f.handle(T0, Event::Begin).is_err(), "waits for the quit");
    f.handle(
        T0,
        Event::SdkAnswer {
            id: *id,
            json: OK.into(),
        },
    )
    .unwrap();
    assert_eq!(drain(&mut f).0, ["-quitting:ok", "ready"]);
    assert_eq!(f.state_name(), "ready");
    // The quit failing is reported in its step, and the flow is ready all the same.
    f.handle(T0, late_recognition(FACE)).unwrap();
    let id = f.pending().unwrap();
    f.poll_action();
    f.poll_action();
    f.handle(
        T0,
        Event::SdkCallFailed {
            id,
            error: Error::Sdk {
                cmd: String::new(),
                return_code: "BUSY".into(),
                return_msg: "busy".into(),
                err_code: None,
            },
        },
    )
    .unwrap();
    let (log, all) = drain(&mut f);
    assert_eq!(log, ["-quitting:error", "ready"]);
    assert!(
        matches!(&all[0], Action::StepFinished { error: Some(Error::Sdk { cmd, .. }), .. } if cmd == "getWxpayAuth")
    );

    // Nothing to end: ready at once.
    let nothing = [
        ("no face_sid", SdkVersion::V1_24, late_recognition(CANCEL)),
        ("before 1.20", SdkVersion::V1_16, late_recognition(FACE)),
        (
            "not a recognition",
            SdkVersion::V1_24,
            Event::LateSdkAnswer {
                request: SdkRequest::Init(InitRequest::default())
                    .to_json(SdkVersion::V1_24, T0)
                    .unwrap(),
                json: OK.into(),
            },
        ),
        (
            "not JSON",
            SdkVersion::V1_24,
            Event::LateSdkAnswer {
                request: "{".into(),
                json: "}".into(),
            },
        ),
    ];
    for (name, version, ev) in nothing {
        let mut f = ready(version);
        f.handle(T0, ev).unwrap();
        assert_eq!(drain(&mut f).0, ["ready"], "{name}");
    }

    // Only while ready.
    let mut f = ready(SdkVersion::V1_24);
    f.handle(T0, Event::Begin).unwrap();
    drain(&mut f);
    let e = f.handle(T0, late_recognition(FACE)).unwrap_err();
    assert_eq!(e.code(), "state");
    assert!(f.poll_action().is_none());
}

#[test]
fn names_parse_back() {
    for &s in Step::ALL {
        assert_eq!(s.as_str().parse::<Step>().unwrap(), s);
        assert_eq!(s.to_string(), s.as_str());
    }
    for &s in StepStatus::ALL {
        assert_eq!(s.as_str().parse::<StepStatus>().unwrap(), s);
    }
    for &k in OutcomeKind::ALL {
        assert_eq!(k.as_str().parse::<OutcomeKind>().unwrap(), k);
    }
    for &c in Cmd::ALL.iter() {
        assert_eq!(c.as_str().parse::<Cmd>().unwrap(), c);
    }
    let outcomes = [
        Outcome::Cancelled,
        Outcome::Failed {
            step: Step::Recognising,
            error: Error::Config("x".into()),
        },
        Outcome::ConsentRefused {
            who: Recognised {
                face_sid: "s".into(),
                openid: None,
                sub_openid: None,
            },
        },
    ];
    for o in outcomes {
        assert_eq!(o.as_str().parse::<OutcomeKind>().unwrap(), o.kind());
    }
    for (bad, field) in [
        ("Recognising", "step"),
        ("", "step"),
        ("ok ", "step_status"),
        ("VERIFIED", "outcome"),
    ] {
        let e = match field {
            "step" => bad.parse::<Step>().unwrap_err(),
            "step_status" => bad.parse::<StepStatus>().unwrap_err(),
            _ => bad.parse::<OutcomeKind>().unwrap_err(),
        };
        assert_eq!(e.code(), "invalid_input");
        assert!(
            matches!(&e, Error::InvalidInput { field: f, .. } if f == field),
            "{e:?}"
        );
    }
}
