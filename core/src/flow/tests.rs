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
}

const OK: &str = r#"{"return_code":"SUCCESS","return_msg":"SUCCESS"}"#;
const FACE: &str =
    r#"{"return_code":"SUCCESS","return_msg":"SUCCESS","face_sid":"sid-1","openid":"o-1"}"#;
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
        }
    }
}

/// Runs one patient's flow (Begin … Done) and returns the trace and outcome.
fn patient(flow: &mut Flow, now: UnixTime, script: &mut Script) -> (Vec<String>, Outcome) {
    let mut trace = Vec::new();
    flow.handle(now, Event::Begin).unwrap();
    loop {
        let Some(action) = flow.poll_action() else {
            panic!("machine stalled in {} after {trace:?}", flow.state_name());
        };
        let reply = match action {
            Action::StepStarted(_) | Action::Ready | Action::Released => None,
            Action::Done(o) => {
                assert!(flow.poll_action().is_none());
                return (trace, o);
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
                assert_eq!(who.openid.as_deref(), Some("o-1"));
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
            flow.handle(now, ev).unwrap();
        }
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
    assert_eq!(f.poll_action(), Some(Action::Ready));
    f
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
    assert_eq!(f.poll_action(), Some(Action::Released));
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
