//! The reference kiosk server (`docs/merchant-api.md`) in front of the mock.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{json, Value};
use wxface_client::server::{
    self, DeviceStore, InMemoryDevices, InMemoryRegistry, Limits, Rate, ServerHandle, ServerState,
    SqliteRegistry,
};
use wxface_client::MerchantClient;
use wxface_core::device_auth::DeviceCredential;
use wxface_core::time::OsEntropy;

struct Kiosk {
    mock: Mock,
    addr: SocketAddr,
    handle: Option<ServerHandle>,
    http: reqwest::Client,
    devices: Arc<InMemoryDevices>,
    credentials: Mutex<HashMap<String, DeviceCredential>>,
}

impl Kiosk {
    async fn start() -> Self {
        Self::start_with(|s| s).await
    }

    async fn start_with(f: impl FnOnce(ServerState) -> ServerState) -> Self {
        let mock = Mock::start(TestClock::new()).await;
        let client =
            MerchantClient::new(config_pubkey(&mock).build().expect("config")).expect("client");
        let devices = Arc::new(InMemoryDevices::new());
        let state = f(ServerState::new(client, merchant_decryptor())
            .with_devices(devices.clone() as Arc<dyn DeviceStore>));
        let (addr, handle) = server::serve("127.0.0.1:0".parse().expect("addr"), state)
            .await
            .expect("serve");
        Self {
            mock,
            addr,
            handle: Some(handle),
            http: reqwest::Client::new(),
            devices,
            credentials: Mutex::default(),
        }
    }

    /// The credential of `device_id`, issued on first use.
    fn credential(&self, device_id: &str) -> DeviceCredential {
        self.credentials
            .lock()
            .expect("lock")
            .entry(device_id.to_owned())
            .or_insert_with(|| {
                server::issue(
                    &*self.devices,
                    device_id,
                    None,
                    wxface_core::UnixTime(START),
                    &OsEntropy,
                )
                .expect("issue")
                .0
            })
            .clone()
    }

    /// `Authorization` for a body: the credential of its `device_id`
    /// (KIOSK-01 when it names none).
    fn authorization_for(&self, body: &str) -> String {
        let device = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v["device_id"].as_str().map(str::to_owned))
            .filter(|d| !d.is_empty() && d.chars().count() <= 32 && !d.contains('\n'))
            .unwrap_or_else(|| "KIOSK-01".to_owned());
        self.credential(&device).authorization().to_string()
    }

    async fn post(&self, path: &str, body: impl Into<String>) -> (u16, String) {
        let body = body.into();
        let r = self
            .http
            .post(format!("http://{}{path}", self.addr))
            .header("content-type", "application/json")
            .header("authorization", self.authorization_for(&body))
            .body(body)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let (status, text) = self.post(path, body.to_string()).await;
        (status, serde_json::from_str(&text).expect("JSON answer"))
    }
}

#[tokio::test]
async fn authinfo_endpoint_answers_and_caches() {
    let k = Kiosk::start().await;
    let (status, a) = k
        .post_json(
            "/kiosk/authinfo",
            json!({"rawdata": "raw-1", "device_id": "KIOSK-01", "attach": {"lane": 3}}),
        )
        .await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["authinfo"], "AUTHINFO-1-+/=");
    assert_eq!(a["expires_in"], 7200);
    assert_eq!(a["expires_at"], START + 7200);
    let sent = k
        .mock
        .state
        .last_authinfo
        .lock()
        .expect("lock")
        .clone()
        .expect("sent");
    assert_eq!(sent.get("attach"), Some("{\"lane\":3}"));
    // The same fields again (rawdata differs on every call by nature): cached.
    let (_, b) = k
        .post_json(
            "/kiosk/authinfo",
            json!({"rawdata": "raw-2", "device_id": "KIOSK-01", "attach": {"lane": 3}}),
        )
        .await;
    assert_eq!(b["authinfo"], a["authinfo"]);
    assert_eq!(k.mock.state.authinfo_calls(), 1);
    // Another `attach` is another request to WeChat Pay: fetched anew.
    let (_, c) = k
        .post_json(
            "/kiosk/authinfo",
            json!({"rawdata": "raw-3", "device_id": "KIOSK-01"}),
        )
        .await;
    assert_ne!(c["authinfo"], a["authinfo"]);
    assert_eq!(k.mock.state.authinfo_calls(), 2);
}

#[tokio::test]
async fn verified_then_real_name_then_verified() {
    let k = Kiosk::start().await;
    let (status, v) = k
        .post_json(
            "/kiosk/verified",
            json!({"openid": OPENID, "sub_openid": null, "face_sid": "fs_1"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(v, json!({"already_verified": false}));

    let (status, text) = k
        .post(
            "/kiosk/real-name",
            json!({"face_sid": "fs_1", "device_id": "KIOSK-01"}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    // Only masked data leaves the server.
    assert!(!text.contains(NAME), "{text}");
    assert!(!text.contains(CREDENTIAL_ID), "{text}");
    let r: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(r["identity"]["name"], "测**者");
    assert_eq!(r["identity"]["credential_type"], 1);
    assert_eq!(r["identity"]["credential_id"], "110***********002X");
    assert_eq!(r["patient_id"], "P000001");

    let (_, v) = k
        .post_json(
            "/kiosk/verified",
            json!({"openid": OPENID, "face_sid": "fs_2"}),
        )
        .await;
    assert_eq!(v, json!({"already_verified": true}));
    // No openid from the kiosk (the spec's table): the server resolves it
    // from the face_sid with ASK_UNIONID and finds the patient all the same.
    let before = k.mock.state.users_calls();
    let (_, v) = k
        .post_json(
            "/kiosk/verified",
            json!({"openid": null, "face_sid": "fs_3"}),
        )
        .await;
    assert_eq!(v, json!({"already_verified": true}));
    let (_, v) = k
        .post_json("/kiosk/verified", json!({"face_sid": "fs_3"}))
        .await;
    assert_eq!(v, json!({"already_verified": true}));
    assert_eq!(k.mock.state.users_calls() - before, 2);
    let asked = k
        .mock
        .state
        .last_query
        .lock()
        .expect("lock")
        .clone()
        .expect("asked");
    assert_eq!(asked.info_type, wxface_core::v3::InfoType::AskUnionId);
    assert_eq!(asked.face_sid, "fs_3");

    // The same user again keeps the same patient id.
    let (_, r) = k
        .post_json(
            "/kiosk/real-name",
            json!({"face_sid": "fs_4", "device_id": "KIOSK-01"}),
        )
        .await;
    assert_eq!(r["patient_id"], "P000001");
}

#[tokio::test]
async fn a_seeded_registry_is_used() {
    let registry = Arc::new(InMemoryRegistry::new());
    registry.insert(OPENID, "P123456");
    let reg = registry.clone();
    let k = Kiosk::start_with(move |s| s.with_registry(reg)).await;
    let (_, v) = k
        .post_json(
            "/kiosk/verified",
            json!({"openid": OPENID, "face_sid": "x"}),
        )
        .await;
    assert_eq!(v["already_verified"], true);
    let (_, r) = k
        .post_json(
            "/kiosk/real-name",
            json!({"face_sid": "fs", "device_id": "K"}),
        )
        .await;
    assert_eq!(r["patient_id"], "P123456");
}

#[tokio::test]
async fn the_sqlite_registry_keeps_its_patients_across_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "wxface-server-restart-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("patients.sqlite3");

    let registry = Arc::new(SqliteRegistry::open(&path).expect("open"));
    let reg = registry.clone();
    let mut k = Kiosk::start_with(move |s| s.with_registry(reg)).await;
    let (_, v) = k
        .post_json("/kiosk/verified", json!({"face_sid": "fs_1"}))
        .await;
    assert_eq!(v, json!({"already_verified": false}));
    let (status, r) = k
        .post_json(
            "/kiosk/real-name",
            json!({"face_sid": "fs_1", "device_id": "KIOSK-01"}),
        )
        .await;
    assert_eq!((status, r["patient_id"].as_str()), (200, Some("P000001")));
    k.handle
        .take()
        .expect("handle")
        .shutdown()
        .await
        .expect("clean stop");
    drop(k);
    drop(registry);

    // A new server process would open the same file.
    let registry = Arc::new(SqliteRegistry::open(&path).expect("reopen"));
    let reg = registry.clone();
    let k = Kiosk::start_with(move |s| s.with_registry(reg)).await;
    let (_, v) = k
        .post_json("/kiosk/verified", json!({"face_sid": "fs_2"}))
        .await;
    assert_eq!(v, json!({"already_verified": true}));
    let (_, r) = k
        .post_json(
            "/kiosk/real-name",
            json!({"face_sid": "fs_3", "device_id": "KIOSK-01"}),
        )
        .await;
    assert_eq!(r["patient_id"], "P000001");
    assert_eq!(registry.patients().expect("count"), 1);
    drop(k);
    drop(registry);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_reported_openid_is_checked_against_wechat_pay() {
    let registry = Arc::new(InMemoryRegistry::new());
    registry.insert(OPENID, "P123456");
    registry.insert("oSomeoneElse", "P654321");
    let reg = registry.clone();
    let k = Kiosk::start_with(move |s| s.with_registry(reg)).await;
    // The kiosk claims another (verified) user's openid: refused, naming the
    // field, quoting neither value.
    let (status, text) = k
        .post(
            "/kiosk/verified",
            json!({"openid": "oSomeoneElse", "face_sid": "fs_1"}).to_string(),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    let e: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("invalid_input"), Some("openid"))
    );
    assert!(
        !text.contains("oSomeoneElse") && !text.contains(OPENID),
        "{text}"
    );
    assert!(!text.contains("fs_1"), "{text}");
    // A sub_openid is checked when the server's answer has one (provider
    // mode with sub_appid); here it has none, so it is ignored.
    let (status, v) = k
        .post_json(
            "/kiosk/verified",
            json!({"openid": OPENID, "sub_openid": "oSub", "face_sid": "fs_2"}),
        )
        .await;
    assert_eq!((status, v), (200, json!({"already_verified": true})));
    // An empty face_sid is refused before WeChat Pay is asked.
    let before = k.mock.state.users_calls();
    let (status, e) = k
        .post_json("/kiosk/verified", json!({"openid": null, "face_sid": ""}))
        .await;
    assert_eq!(
        (status, e["code"].as_str(), e["field"].as_str()),
        (400, Some("invalid_input"), Some("face_sid"))
    );
    assert_eq!(k.mock.state.users_calls(), before);
    // WeChat Pay does not know the face_sid: its answer is relayed.
    k.mock.state.push_users(Fault::Http(404, "NOT_FOUND"));
    let (status, e) = k
        .post_json("/kiosk/verified", json!({"face_sid": "gone"}))
        .await;
    assert_eq!(
        (status, e["wechat_code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
}

#[tokio::test]
async fn errors_are_the_core_error_record_with_sensible_statuses() {
    let k = Kiosk::start().await;
    // Not JSON: 400, and the body is not echoed.
    let (status, text) = k
        .post("/kiosk/authinfo", "{\"rawdata\": 12, \"secret\"")
        .await;
    assert_eq!(status, 400);
    let e: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(e["code"], "invalid_input");
    assert!(!text.contains("secret"));
    // Missing field.
    let (status, e) = k
        .post_json("/kiosk/real-name", json!({"device_id": "K"}))
        .await;
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_input")));
    // A field WeChat would refuse.
    let (status, e) = k
        .post_json(
            "/kiosk/authinfo",
            json!({"rawdata": "r", "device_id": "X".repeat(40)}),
        )
        .await;
    assert_eq!((status, e["code"].as_str()), (400, Some("invalid_input")));
    assert_eq!(k.mock.state.authinfo_calls(), 0);

    // WeChat's own code comes through.
    k.mock.state.push_users(Fault::Http(404, "NOT_FOUND"));
    let (status, e) = k
        .post_json(
            "/kiosk/real-name",
            json!({"face_sid": "gone", "device_id": "K"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        (e["code"].as_str(), e["kind"].as_str()),
        (Some("backend"), Some("backend"))
    );
    assert_eq!(e["wechat_code"], "NOT_FOUND");
    assert_eq!(e["wechat_message"], "mock NOT_FOUND");
    assert_eq!(e["status"], 404);
    assert_eq!(e["retryable"], false);

    for _ in 0..3 {
        k.mock
            .state
            .push_users(Fault::Http(429, "FREQUENCY_LIMITED"));
    }
    let (status, e) = k
        .post_json(
            "/kiosk/real-name",
            json!({"face_sid": "busy", "device_id": "K"}),
        )
        .await;
    assert_eq!(
        (status, e["wechat_code"].as_str()),
        (429, Some("FREQUENCY_LIMITED"))
    );
    assert_eq!(e["retryable"], true);

    k.mock.state.push_authinfo(Fault::V2Return("FAIL"));
    let (status, e) = k
        .post_json("/kiosk/authinfo", json!({"rawdata": "r", "device_id": "K"}))
        .await;
    assert_eq!((status, e["wechat_code"].as_str()), (502, Some("FAIL")));
    // v2 answers carry no HTTP status of WeChat's.
    assert!(e.get("status").is_none(), "{e}");

    // A forged answer: 502 with the signature code, nothing decrypted.
    k.mock.state.push_users(Fault::Tamper);
    let (status, e) = k
        .post_json(
            "/kiosk/real-name",
            json!({"face_sid": "f", "device_id": "K"}),
        )
        .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (502, Some("signature_mismatch"))
    );

    // Unknown route and wrong method are the framework's.
    let (status, _) = k.post("/kiosk/nope", "{}").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let mut k = Kiosk::start().await;
    let (status, _) = k
        .post_json("/kiosk/verified", json!({"openid": null, "face_sid": "x"}))
        .await;
    assert_eq!(status, 200);
    k.handle
        .take()
        .expect("handle")
        .shutdown()
        .await
        .expect("clean stop");
    let r = reqwest::Client::new()
        .post(format!("http://{}/kiosk/verified", k.addr))
        .body("{}")
        .send()
        .await;
    assert!(r.is_err());
}

// ------------------------------------------------------------------ limits

async fn post_full(k: &Kiosk, path: &str, body: Value) -> (u16, Option<String>, Value) {
    let body = body.to_string();
    let r = k
        .http
        .post(format!("http://{}{path}", k.addr))
        .header("content-type", "application/json")
        .header("authorization", k.authorization_for(&body))
        .body(body)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let text = r.text().await.expect("body");
    (
        status,
        retry_after,
        serde_json::from_str(&text).expect("JSON"),
    )
}

#[tokio::test]
async fn a_thousand_refreshes_from_one_device_make_at_most_the_budgeted_wechat_calls() {
    // Rate limits out of the way: only the refresh budget counts.
    let k = Kiosk::start_with(|s| {
        s.with_limits(Limits {
            per_device: Rate::new(10_000, 10_000),
            global: Rate::new(10_000, 10_000),
            refreshes: Rate::new(3, 3),
            ..Limits::default()
        })
    })
    .await;
    let t = std::time::Instant::now();
    for i in 0..1000 {
        let (status, a) = k
            .post_json(
                "/kiosk/authinfo",
                json!({"rawdata": format!("raw-{i}"), "device_id": "KIOSK-01", "refresh": true}),
            )
            .await;
        assert_eq!(status, 200, "{a}");
    }
    // 3 at once, then 3 a minute.
    let budget = 3 + (t.elapsed().as_secs() * 3 / 60) as usize;
    let calls = k.mock.state.authinfo_calls();
    assert!(calls <= budget, "{calls} WeChat calls, budget {budget}");
    assert!(calls >= 1);
}

#[tokio::test]
async fn with_the_default_limits_a_flood_from_one_device_is_refused_with_429() {
    let k = Kiosk::start().await;
    let limits = Limits::default();
    let (mut ok, mut refused) = (0, 0);
    for i in 0..1000 {
        let (status, retry_after, body) = post_full(
            &k,
            "/kiosk/authinfo",
            json!({"rawdata": format!("raw-{i}"), "device_id": "KIOSK-01", "refresh": true}),
        )
        .await;
        match status {
            200 => ok += 1,
            429 => {
                refused += 1;
                let secs: u64 = retry_after.expect("Retry-After").parse().expect("seconds");
                assert!((1..=60).contains(&secs), "{secs}");
                assert_eq!(body["code"], "transport");
                assert_eq!(body["transport_kind"], "rate_limited");
                assert_eq!(body["retryable"], true);
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(ok >= limits.per_device.burst as usize, "{ok}");
    assert!(ok < 100, "{ok}");
    assert_eq!(ok + refused, 1000);
    assert!(k.mock.state.authinfo_calls() <= limits.refreshes.burst as usize + 1);
    // Another device still gets in.
    let (status, _) = k
        .post_json(
            "/kiosk/authinfo",
            json!({"rawdata": "r", "device_id": "KIOSK-02"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_global_limit_counts_every_device() {
    let k = Kiosk::start_with(|s| {
        s.with_limits(Limits {
            global: Rate::new(5, 1),
            ..Limits::default()
        })
    })
    .await;
    let mut refused = 0;
    for i in 0..20 {
        let (status, retry_after, _) = post_full(
            &k,
            "/kiosk/authinfo",
            json!({"rawdata": "r", "device_id": format!("K-{i}")}),
        )
        .await;
        if status == 429 {
            refused += 1;
            assert!(retry_after.is_some());
        }
    }
    assert_eq!(refused, 15);
    assert!(k.mock.state.authinfo_calls() <= 5);
}

#[tokio::test]
async fn a_replayed_face_sid_is_refused_without_a_wechat_call() {
    let k = Kiosk::start().await;
    let body = json!({"face_sid": "fs_once", "device_id": "KIOSK-01"});
    let (status, r) = k.post_json("/kiosk/real-name", body.clone()).await;
    assert_eq!(status, 200, "{r}");
    let before = k.mock.state.users_calls();
    for device in ["KIOSK-01", "KIOSK-02"] {
        let (status, e) = k
            .post_json(
                "/kiosk/real-name",
                json!({"face_sid": "fs_once", "device_id": device}),
            )
            .await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(e["code"], "invalid_input");
        assert_eq!(e["field"], "face_sid");
    }
    assert_eq!(k.mock.state.users_calls(), before);

    // A lookup that failed answered nothing: the kiosk may try again.
    k.mock.state.push_users(Fault::Http(404, "NOT_FOUND"));
    let body = json!({"face_sid": "fs_retry", "device_id": "KIOSK-01"});
    let (status, _) = k.post_json("/kiosk/real-name", body.clone()).await;
    assert_eq!(status, 404);
    let (status, r) = k.post_json("/kiosk/real-name", body).await;
    assert_eq!(status, 200, "{r}");
}

#[tokio::test]
async fn oversize_bodies_are_refused_on_every_route() {
    let k = Kiosk::start().await;
    let big = json!({"rawdata": "x".repeat(17 * 1024), "device_id": "K", "face_sid": "f"});
    for path in ["/kiosk/authinfo", "/kiosk/verified", "/kiosk/real-name"] {
        for body in [big.to_string(), "y".repeat(4 << 20)] {
            let (status, text) = k.post(path, body).await;
            assert_eq!(status, 400, "{path}: {text}");
            let e: Value = serde_json::from_str(&text).expect("the core's error record");
            assert_eq!(e["code"], "invalid_input");
            assert_eq!(e["field"], "body");
        }
    }
    assert_eq!(k.mock.state.authinfo_calls(), 0);
    assert_eq!(k.mock.state.users_calls(), 0);
}

#[tokio::test]
async fn the_kiosk_client_waits_out_retry_after() {
    use wxface_capture::{HttpMerchantBackend, MerchantBackend};
    // One request a second per device, none in reserve.
    let k = Kiosk::start_with(|s| {
        s.with_limits(Limits {
            per_device: Rate::new(1, 60),
            ..Limits::default()
        })
    })
    .await;
    let base = format!("http://{}", k.addr);
    let credential = k.credential("KIOSK-01");
    let (first, second, elapsed) = tokio::task::spawn_blocking(move || {
        let b = HttpMerchantBackend::new(base, credential.expose()).expect("backend");
        let first = b.authinfo("raw-1", "KIOSK-01").map(|g| g.authinfo);
        let t = std::time::Instant::now();
        // Refused with 429 and `Retry-After: 1`, waited out, answered.
        let second = b.authinfo("raw-2", "KIOSK-01").map(|g| g.authinfo);
        (first, second, t.elapsed())
    })
    .await
    .expect("thread");
    assert_eq!(
        first.expect("first"),
        second.expect("second after the wait")
    );
    assert!(
        elapsed >= std::time::Duration::from_millis(900),
        "{elapsed:?}"
    );
    // The raw answer, for the record.
    let (status, retry_after, e) = post_full(
        &k,
        "/kiosk/authinfo",
        json!({"rawdata": "r", "device_id": "KIOSK-01"}),
    )
    .await;
    assert_eq!((status, retry_after.as_deref()), (429, Some("1")));
    assert_eq!(e["transport_kind"], "rate_limited");
}

#[tokio::test]
async fn a_request_over_the_timeout_is_a_504_and_its_face_sid_may_be_sent_again() {
    let k = Kiosk::start_with(|s| {
        s.with_limits(Limits {
            request_timeout: std::time::Duration::from_millis(300),
            ..Limits::default()
        })
    })
    .await;
    k.mock.state.push_users(Fault::Hang(3_000));
    let body = json!({"face_sid": "fs_slow", "device_id": "KIOSK-01"});
    let t = std::time::Instant::now();
    let (status, e) = k.post_json("/kiosk/real-name", body.clone()).await;
    assert!(t.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(status, 504, "{e}");
    assert_eq!(e["code"], "transport");
    assert_eq!(e["transport_kind"], "timeout");
    let (status, r) = k.post_json("/kiosk/real-name", body).await;
    assert_eq!(status, 200, "{r}");
}

/// POST `body` with `authorization` as given (or none), bypassing the
/// harness's credentials.
async fn post_as(
    k: &Kiosk,
    path: &str,
    authorization: Option<&str>,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = k
        .http
        .post(format!("http://{}{path}", k.addr))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body");
    (status, headers, serde_json::from_str(&text).expect("JSON"))
}

fn bodies() -> [(&'static str, Value); 3] {
    [
        (
            "/kiosk/authinfo",
            json!({"rawdata": "raw", "device_id": "KIOSK-01", "refresh": true}),
        ),
        ("/kiosk/verified", json!({"face_sid": "fs_auth"})),
        (
            "/kiosk/real-name",
            json!({"face_sid": "fs_auth", "device_id": "KIOSK-01"}),
        ),
    ]
}

#[tokio::test]
async fn every_route_refuses_missing_wrong_and_revoked_credentials() {
    let k = Kiosk::start().await;
    let good = k.credential("KIOSK-01");
    let revoked = k.credential("KIOSK-OLD");
    assert_eq!(
        k.devices
            .revoke("KIOSK-OLD", wxface_core::UnixTime(START + 1))
            .expect("revoke"),
        1
    );
    let never_issued = DeviceCredential::generate(&OsEntropy);
    // A forged secret under a real key id.
    let mut forged = good.expose().to_owned();
    let last = forged.pop().expect("char");
    forged.push(if last == 'Q' { 'R' } else { 'Q' });
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "no header"),
        (
            Some(never_issued.authorization().to_string()),
            "never issued",
        ),
        (Some(format!("Bearer {forged}")), "forged secret"),
        (Some(revoked.authorization().to_string()), "revoked"),
        (Some("Bearer not-a-credential".into()), "malformed"),
        (Some(format!("Basic {}", good.expose())), "another scheme"),
        (Some(good.expose().to_owned()), "no scheme"),
    ];
    for (path, body) in bodies() {
        for (auth, what) in &cases {
            let (status, headers, e) = post_as(&k, path, auth.as_deref(), &body).await;
            assert_eq!(status, 401, "{path} {what}: {e}");
            assert_eq!(e["code"], "unauthenticated", "{path} {what}");
            assert_eq!(e["retryable"], false);
            assert!(headers
                .get("www-authenticate")
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("Bearer")));
            let text = e.to_string();
            assert!(!text.contains(good.expose()) && !text.contains(&forged));
        }
        // The same request with the live credential gets in.
        let (status, _, e) = post_as(&k, path, Some(&good.authorization()), &body).await;
        assert_eq!(status, 200, "{path}: {e}");
    }
    // Only the three admitted requests reached WeChat Pay.
    assert_eq!(k.mock.state.authinfo_calls(), 1);
    assert_eq!(k.mock.state.users_calls(), 2);
}

#[tokio::test]
async fn a_revocation_applies_from_the_next_request() {
    let k = Kiosk::start().await;
    let c = k.credential("KIOSK-07");
    let body = json!({"rawdata": "raw", "device_id": "KIOSK-07"});
    let auth = c.authorization().to_string();
    let (status, _, _) = post_as(&k, "/kiosk/authinfo", Some(&auth), &body).await;
    assert_eq!(status, 200);
    k.devices
        .revoke(c.key_id(), wxface_core::UnixTime(START + 1))
        .expect("revoke");
    let (status, _, e) = post_as(&k, "/kiosk/authinfo", Some(&auth), &body).await;
    assert_eq!(status, 401);
    assert!(
        e["message"].as_str().unwrap_or("").contains("revoked"),
        "{e}"
    );
}

#[tokio::test]
async fn a_thousand_made_up_devices_without_credentials_make_no_wechat_call() {
    // Limits out of the way: authentication alone must stop them.
    let k = Kiosk::start_with(|s| {
        s.with_limits(Limits {
            per_peer: Rate::new(10_000, 10_000),
            ..Limits::default()
        })
    })
    .await;
    for i in 0..1000 {
        let device = format!("MADE-UP-{i}");
        let made_up = DeviceCredential::generate(&OsEntropy);
        let auth = (i % 2 == 1).then(|| made_up.authorization().to_string());
        let (path, body) = match i % 3 {
            0 => (
                "/kiosk/authinfo",
                json!({"rawdata": "raw", "device_id": device, "refresh": true}),
            ),
            1 => ("/kiosk/verified", json!({"face_sid": format!("fs_{i}")})),
            _ => (
                "/kiosk/real-name",
                json!({"face_sid": format!("fs_{i}"), "device_id": device}),
            ),
        };
        let (status, _, e) = post_as(&k, path, auth.as_deref(), &body).await;
        assert_eq!(status, 401, "{e}");
    }
    assert_eq!(k.mock.state.authinfo_calls(), 0);
    assert_eq!(k.mock.state.users_calls(), 0);
}

#[tokio::test]
async fn refused_requests_are_limited_per_peer_address() {
    let k = Kiosk::start_with(|s| {
        s.with_limits(Limits {
            per_peer: Rate::new(2, 1),
            ..Limits::default()
        })
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let (status, headers, _) = post_as(
            &k,
            "/kiosk/verified",
            None,
            &json!({"face_sid": format!("fs_{i}")}),
        )
        .await;
        assert_eq!(status == 429, headers.get("retry-after").is_some());
        statuses.push(status);
    }
    assert_eq!(statuses, [401, 401, 429, 429]);
    // A kiosk with its credential is not held back by its neighbour's
    // failures (the peer bucket counts refusals only).
    let (status, _) = k
        .post_json("/kiosk/verified", json!({"face_sid": "fs_ok"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(k.mock.state.users_calls(), 1);
}

#[tokio::test]
async fn the_device_is_the_credential_s_never_the_body_s() {
    let k = Kiosk::start().await;
    let c = k.credential("KIOSK-01");
    let auth = c.authorization().to_string();
    // No device_id in the body: the credential's goes to WeChat Pay.
    let (status, _, a) = post_as(
        &k,
        "/kiosk/authinfo",
        Some(&auth),
        &json!({"rawdata": "raw"}),
    )
    .await;
    assert_eq!(status, 200, "{a}");
    let sent = k
        .mock
        .state
        .last_authinfo
        .lock()
        .expect("lock")
        .clone()
        .expect("sent");
    assert_eq!(sent.get("device_id"), Some("KIOSK-01"));
    // Another device's id in the body is refused, on both routes that take one.
    for (path, body) in [
        (
            "/kiosk/authinfo",
            json!({"rawdata": "raw", "device_id": "KIOSK-02"}),
        ),
        (
            "/kiosk/real-name",
            json!({"face_sid": "fs_x", "device_id": "KIOSK-02"}),
        ),
    ] {
        let (status, _, e) = post_as(&k, path, Some(&auth), &body).await;
        assert_eq!(status, 400, "{path}: {e}");
        assert_eq!(e["code"], "invalid_input");
        assert_eq!(e["field"], "device_id");
    }
    assert_eq!(k.mock.state.users_calls(), 0);
}
