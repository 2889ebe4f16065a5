//! Every fault kind on every endpoint, from the Rust API and over HTTP.

mod common;

use std::time::{Duration, Instant};

use common::*;
use wxface_core::v2::SignType;
use wxface_core::v3::InfoType;
use wxface_core::{Error, SignatureFailure};
use wxface_sandbox::{FaultEndpoint, FaultKind, FaultRule, Sandbox, SandboxConfig};

struct Setup {
    sandbox: Sandbox,
    m: Merchant,
    k: Kiosk,
    face_sid: String,
}

fn setup() -> Setup {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = consented(&k, &m, Mode::Direct);
    Setup {
        sandbox,
        m,
        k,
        face_sid: s.face_sid,
    }
}

impl Setup {
    fn query(&self) -> Result<wxface_core::v3::FaceUser, Error> {
        self.m
            .query(&self.face_sid, InfoType::AskRealName, Mode::Direct)
    }

    fn authinfo(&self) -> Result<wxface_core::v2::AuthinfoResponse, Error> {
        let raw = self.k.rawdata();
        self.m.authinfo(&raw, Mode::Direct, SignType::HmacSha256)
    }

    fn raw_query(&self) -> Result<Answer, reqwest::Error> {
        let mut req = self
            .m
            .users_query(&self.face_sid, InfoType::AskRealName, Mode::Direct)
            .to_request()
            .unwrap_or_else(|e| panic!("{e}"));
        self.m
            .signer
            .sign_request(&mut req, now(), &wxface_core::time::OsEntropy)
            .unwrap_or_else(|e| panic!("{e}"));
        self.m.send(&req)
    }

    fn raw_authinfo(&self) -> Result<Answer, reqwest::Error> {
        let raw = self.k.rawdata();
        let req = self
            .m
            .authinfo_request(&raw, Mode::Direct, SignType::Md5)
            .build(&self.m.v2_key, now(), "n0nce")
            .unwrap_or_else(|e| panic!("{e}"));
        self.m.send(&req)
    }
}

fn backend(r: Result<impl std::fmt::Debug, Error>) -> (Option<u16>, String, bool) {
    match r {
        Err(e @ Error::Backend { .. }) => {
            let retry = e.is_retryable();
            match e {
                Error::Backend { status, code, .. } => (status, code, retry),
                _ => unreachable!(),
            }
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}

fn signature(r: Result<impl std::fmt::Debug, Error>) -> SignatureFailure {
    match r {
        Err(Error::Signature { failure, .. }) => failure,
        other => panic!("expected a signature error, got {other:?}"),
    }
}

#[test]
fn users_endpoint_faults() {
    let t = setup();
    let f = t.sandbox.faults();
    assert!(t.query().is_ok());

    f.delay_next(FaultEndpoint::Users, Duration::from_millis(300), 1);
    let start = Instant::now();
    assert!(t.query().is_ok());
    assert!(start.elapsed() >= Duration::from_millis(300));

    f.next(FaultEndpoint::Users, FaultKind::SystemError, 1);
    let a = t.raw_query().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.status, 500);
    t.m.verifier
        .verify(a.status, &a.headers, &a.body, now())
        .unwrap_or_else(|e| panic!("a 500 SYSTEM_ERROR is signed: {e}"));
    f.next(FaultEndpoint::Users, FaultKind::SystemError, 1);
    assert_eq!(backend(t.query()), (Some(500), "SYSTEM_ERROR".into(), true));

    f.next(FaultEndpoint::Users, FaultKind::ServiceUnavailable, 1);
    assert_eq!(
        backend(t.query()),
        (Some(503), "SERVICE_UNAVAILABLE".into(), true)
    );

    f.next(FaultEndpoint::Users, FaultKind::RateLimited, 1);
    assert_eq!(
        backend(t.query()),
        (Some(429), "FREQUENCY_LIMITED".into(), true)
    );

    f.next(FaultEndpoint::Users, FaultKind::MalformedBody, 1);
    assert_eq!(t.query().err().map(|e| e.code()), Some("malformed"));

    f.next(FaultEndpoint::Users, FaultKind::BadSignature, 1);
    assert_eq!(signature(t.query()), SignatureFailure::Mismatch);

    f.next(FaultEndpoint::Users, FaultKind::StaleTimestamp, 1);
    assert_eq!(signature(t.query()), SignatureFailure::StaleTimestamp);

    f.next(FaultEndpoint::Users, FaultKind::DropConnection, 1);
    let e = t.raw_query().err();
    assert!(e.is_some(), "the connection must close without an answer");

    // Every rule was used up: the next call is normal again.
    assert!(f.rules().is_empty());
    assert!(t.query().is_ok());
}

#[test]
fn authinfo_endpoint_faults() {
    let t = setup();
    let f = t.sandbox.faults();

    f.delay_next(FaultEndpoint::Authinfo, Duration::from_millis(300), 1);
    let start = Instant::now();
    assert!(t.authinfo().is_ok());
    assert!(start.elapsed() >= Duration::from_millis(300));

    f.next(FaultEndpoint::Authinfo, FaultKind::SystemError, 1);
    assert_eq!(backend(t.authinfo()), (None, "SYSTEMERROR".into(), true));

    f.next(FaultEndpoint::Authinfo, FaultKind::RateLimited, 1);
    assert_eq!(
        backend(t.authinfo()),
        (None, "FREQUENCY_LIMITED".into(), true)
    );

    f.next(FaultEndpoint::Authinfo, FaultKind::ServiceUnavailable, 1);
    let a = t.raw_authinfo().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.status, 503);

    f.next(FaultEndpoint::Authinfo, FaultKind::MalformedBody, 1);
    assert_eq!(t.authinfo().err().map(|e| e.code()), Some("malformed"));

    f.next(FaultEndpoint::Authinfo, FaultKind::BadSignature, 1);
    assert_eq!(signature(t.authinfo()), SignatureFailure::Mismatch);

    // v2 answers carry no timestamp: a stale-timestamp rule changes nothing.
    f.next(FaultEndpoint::Authinfo, FaultKind::StaleTimestamp, 1);
    assert!(t.authinfo().is_ok());

    f.next(FaultEndpoint::Authinfo, FaultKind::DropConnection, 1);
    assert!(t.raw_authinfo().is_err());

    assert!(t.authinfo().is_ok());
}

#[test]
fn certificates_and_any_endpoint() {
    let t = setup();
    let f = t.sandbox.faults();
    f.next(FaultEndpoint::Any, FaultKind::SystemError, 2);
    assert_eq!(backend(t.query()).0, Some(500));
    assert_eq!(backend(t.authinfo()).1, "SYSTEMERROR");
    assert!(t.query().is_ok());
    // /v3/certificates has its own rules.
    f.next(FaultEndpoint::Certificates, FaultKind::BadSignature, 1);
    let mut req = wxface_core::http::HttpRequest {
        endpoint: wxface_core::http::Endpoint::ApiMch,
        method: wxface_core::http::Method::Get,
        path_and_query: "/v3/certificates".into(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    t.m.signer
        .sign_request(&mut req, now(), &wxface_core::time::OsEntropy)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(t.query().is_ok(), "a certificates rule leaves users alone");
    let a = t.m.send(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.status, 200);
    let e =
        t.m.verifier
            .verify(a.status, &a.headers, &a.body, now())
            .err();
    assert_eq!(e.map(|e| e.code()), Some("signature_mismatch"));
}

#[test]
fn seeded_probability_is_reproducible() {
    let run = |seed: u64| {
        let t = setup();
        t.sandbox
            .faults()
            .add(FaultRule::probability(
                FaultEndpoint::Users,
                FaultKind::SystemError,
                0.5,
                seed,
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        (0..30).map(|_| t.query().is_ok()).collect::<Vec<_>>()
    };
    let a = run(7);
    assert_eq!(a, run(7));
    let ok = a.iter().filter(|x| **x).count();
    assert!((5..=25).contains(&ok), "{ok} of 30");
}

#[test]
fn faults_over_http() {
    let t = setup();
    let http = reqwest::blocking::Client::new();
    let url = format!("{}/_sandbox/faults", t.sandbox.url());
    let r = http
        .post(&url)
        .json(&serde_json::json!([
            {"endpoint": "users", "kind": "rate_limited", "next": 1},
            {"endpoint": "users", "kind": "latency", "latency_ms": 50, "probability": 1.0, "seed": 3}
        ]))
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().unwrap_or_default();
    assert_eq!(v["rules"].as_array().map(Vec::len), Some(2));
    assert_eq!(backend(t.query()).0, Some(429));
    let start = Instant::now();
    assert!(t.query().is_ok());
    assert!(start.elapsed() >= Duration::from_millis(50));
    // Bad rules are refused.
    for bad in [
        serde_json::json!({"endpoint": "users", "kind": "latency"}),
        serde_json::json!({"endpoint": "users", "kind": "system_error", "probability": 2.0}),
        serde_json::json!({"endpoint": "users", "kind": "system_error", "next": 1, "probability": 0.5}),
    ] {
        let r = http
            .post(&url)
            .json(&bad)
            .send()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status().as_u16(), 400, "{bad}");
    }
    let r = http.delete(&url).send().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    assert!(t.sandbox.faults().rules().is_empty());
    // A reset clears sessions too.
    http.post(&url)
        .json(&serde_json::json!({"endpoint": "any", "kind": "drop_connection", "next": 5}))
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    let r = http
        .post(format!("{}/_sandbox/reset", t.sandbox.url()))
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 200);
    assert!(t.sandbox.faults().rules().is_empty());
    assert_eq!(backend(t.query()), (Some(404), "NOT_FOUND".into(), false));
}
