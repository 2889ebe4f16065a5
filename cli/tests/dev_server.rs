//! `wxface dev-server` as a browser or Node kiosk uses it: static files, the
//! face SDK bridge, the merchant API and the scenario switch, on one port.

mod common;

use serde_json::{json, Value};

use common::{http, start, tempdir, Server};

const APPID: &str = "wx00000000sandbox1";
const MCH_ID: &str = "1900000001";
const STORE: &str = "HOSPITAL-OPD-01";
const DEVICE: &str = "EMU-DEVICE-01";

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The device credential each running dev server printed, by URL.
static CREDENTIALS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

fn credential_of(server: &Server) -> Option<String> {
    let known = CREDENTIALS.lock().expect("lock");
    known
        .iter()
        .find(|(url, _)| *url == server.url)
        .map(|(_, c)| c.clone())
}

fn post(server: &Server, path: &str, body: &Value) -> (u16, Value) {
    let mut req = http()
        .post(format!("{}{path}", server.url))
        .header("content-type", "application/json")
        .body(body.to_string());
    // The kiosk API wants the device credential; the bridge does not.
    if path.starts_with("/kiosk/") {
        if let Some(c) = credential_of(server) {
            req = req.bearer_auth(c);
        }
    }
    let resp = req.send().expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
    (status, v)
}

fn sdk(server: &Server, cmd: &str, fields: Value) -> Value {
    let mut req = json!({"cmd": cmd, "version": "1", "now": now()});
    if let (Some(o), Value::Object(extra)) = (req.as_object_mut(), fields) {
        o.extend(extra);
    }
    let (status, answer) = post(server, "/sdk", &req);
    assert_eq!(status, 200, "{cmd}: {answer}");
    answer
}

fn dev_server(scenario: &str) -> (Server, std::path::PathBuf) {
    let dir = tempdir("static");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>kiosk</title>",
    )
    .expect("write");
    std::fs::create_dir_all(dir.join("js")).expect("mkdir");
    std::fs::write(dir.join("js/app.js"), "console.log(1)").expect("write");
    let d = dir.display().to_string();
    let server = start(&[
        "dev-server",
        "--static",
        &d,
        "--port",
        "0",
        "--latency-ms",
        "0",
        "--scenario",
        scenario,
    ]);
    // Line 2: `device credential EMU-DEVICE-01: wxfd1.…`.
    let line = server
        .lines
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("a second line");
    let credential = line
        .strip_prefix(&format!("device credential {DEVICE}: "))
        .unwrap_or_else(|| panic!("not the credential line: {line}"))
        .to_owned();
    assert!(credential.starts_with("wxfd1."), "{line}");
    CREDENTIALS
        .lock()
        .expect("lock")
        .push((server.url.clone(), credential));
    (server, dir)
}

/// One patient, as the kiosk page runs it; returns (outcome, masked identity).
fn run_patient(server: &Server) -> (&'static str, Option<Value>) {
    let (outcome, identity, _) = run_patient_reporting(server);
    (outcome, identity)
}

/// [`run_patient`], and whether recognition reported an openid.
fn run_patient_reporting(server: &Server) -> (&'static str, Option<Value>, bool) {
    let raw = sdk(server, "getWxpayfaceRawdata", json!({}));
    assert_eq!(raw["return_code"], "SUCCESS", "{raw}");
    let (status, grant) = post(
        server,
        "/kiosk/authinfo",
        &json!({"rawdata": raw["rawdata"], "device_id": DEVICE, "store_id": STORE}),
    );
    assert_eq!(status, 200, "{grant}");
    let authinfo = grant["authinfo"].clone();
    let code = sdk(
        server,
        "getWxpayfaceCode",
        json!({"appid": APPID, "mch_id": MCH_ID, "store_id": STORE,
               "face_authtype": "FACE_AUTH", "authinfo": authinfo}),
    );
    if code["return_code"] != "SUCCESS" {
        assert_eq!(code["return_code"], "USER_CANCEL", "{code}");
        return ("cancelled", None, false);
    }
    let face_sid = code["face_sid"].clone();
    let reported = code.get("openid").is_some_and(Value::is_string);
    let (_, verified) = post(
        server,
        "/kiosk/verified",
        &json!({"openid": code["openid"], "sub_openid": code["sub_openid"], "face_sid": face_sid}),
    );
    if verified["already_verified"] == true {
        let quit = sdk(
            server,
            "getWxpayAuth",
            json!({"authinfo": authinfo, "face_sid": face_sid, "quit_face_auth": "1"}),
        );
        assert_eq!(quit["return_code"], "SUCCESS", "{quit}");
        return ("already_verified", None, reported);
    }
    let auth = sdk(
        server,
        "getWxpayAuth",
        json!({"authinfo": authinfo, "face_sid": face_sid, "quit_face_auth": "0"}),
    );
    if auth["return_code"] != "SUCCESS" {
        assert_eq!(auth["return_code"], "ACTION_ON_USER_QUERY_CANCEL", "{auth}");
        return ("consent_refused", None, reported);
    }
    let (status, r) = post(
        server,
        "/kiosk/real-name",
        &json!({"face_sid": face_sid, "device_id": DEVICE}),
    );
    assert_eq!(status, 200, "{r}");
    ("verified", Some(r["identity"].clone()), reported)
}

fn scenario(server: &Server, body: Value) -> Value {
    let (status, v) = post(server, "/_dev/scenario", &body);
    assert_eq!(status, 200, "{v}");
    v
}

#[test]
fn every_scenario_through_the_bridge() {
    let (server, _dir) = dev_server("consent");
    let init = sdk(&server, "initWxpayface", json!({}));
    assert_eq!(init["return_code"], "SUCCESS");

    let (outcome, identity) = run_patient(&server);
    assert_eq!(outcome, "verified");
    let identity = identity.expect("identity");
    assert_eq!(identity["name"], "测***甲");
    assert_eq!(identity["credential_id"], "110***********1233");

    assert_eq!(
        scenario(&server, json!({"outcome": "refuse"})),
        json!({"outcome": "refuse", "already_verified": false, "openid_with_face_sid": false})
    );
    assert_eq!(run_patient(&server).0, "consent_refused");
    // The scenario stays until changed.
    assert_eq!(run_patient(&server).0, "consent_refused");

    // Already verified, in both sandbox modes: no openid with the face_sid
    // (the spec's table; the merchant side resolves it), then with it.
    scenario(
        &server,
        json!({"outcome": "consent", "already_verified": true}),
    );
    assert_eq!(
        run_patient_reporting(&server),
        ("already_verified", None, false)
    );
    assert_eq!(
        scenario(&server, json!({"openid_with_face_sid": true})),
        json!({"outcome": "consent", "already_verified": true, "openid_with_face_sid": true})
    );
    assert_eq!(
        run_patient_reporting(&server),
        ("already_verified", None, true)
    );
    scenario(&server, json!({"openid_with_face_sid": false}));

    scenario(
        &server,
        json!({"outcome": "cancel", "already_verified": false}),
    );
    assert_eq!(run_patient(&server).0, "cancelled");

    // Not verified again, although this patient was verified above.
    scenario(&server, json!({"outcome": "consent"}));
    assert_eq!(run_patient(&server).0, "verified");

    let release = sdk(&server, "releaseWxpayface", json!({}));
    assert_eq!(release["return_code"], "SUCCESS");
}

#[test]
fn starting_scenario_static_files_and_errors() {
    let (server, _dir) = dev_server("already-verified");
    let resp = http()
        .get(format!("{}/_dev/scenario", server.url))
        .send()
        .expect("get");
    let v: Value = resp.json().expect("json");
    assert_eq!(
        v,
        json!({"outcome": "consent", "already_verified": true, "openid_with_face_sid": false})
    );

    let page = http().get(format!("{}/", server.url)).send().expect("get");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().expect("text").contains("<title>kiosk</title>"));
    let js = http()
        .get(format!("{}/js/app.js", server.url))
        .send()
        .expect("get");
    assert_eq!(js.status().as_u16(), 200);
    let missing = http()
        .get(format!("{}/nope.html", server.url))
        .send()
        .expect("get");
    assert_eq!(missing.status().as_u16(), 404);
    let escape = http()
        .get(format!("{}/../Cargo.toml", server.url))
        .send()
        .expect("get");
    assert_ne!(escape.status().as_u16(), 200);

    let (status, e) = post(&server, "/_dev/scenario", &json!({"outcome": "maybe"}));
    assert_eq!(status, 400);
    assert_eq!(e["code"], "invalid_input");
    let (status, _) = post(&server, "/_dev/scenario", &json!({"bogus": 1}));
    assert_eq!(status, 400);

    // A request that is not a face SDK command gets the SDK's own answer.
    let (status, answer) = post(&server, "/sdk", &json!({"cmd": "noSuchCommand"}));
    assert_eq!(status, 200);
    assert_eq!(answer["return_code"], "PARAM_ERROR", "{answer}");
    // Before initWxpayface the emulator refuses, as the vendor SDK does.
    let raw = sdk(&server, "getWxpayfaceRawdata", json!({}));
    assert_ne!(raw["return_code"], "SUCCESS");
}

#[test]
fn a_missing_static_directory_is_a_usage_error() {
    let out = common::wxface_command()
        .args([
            "dev-server",
            "--static",
            "/nonexistent/wxface-static",
            "--port",
            "0",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("wxface: error[usage]"), "{err}");
}

#[test]
fn the_kiosk_api_wants_the_printed_credential() {
    let (server, _dir) = dev_server("consent");
    let body = json!({"face_sid": "fs_x"});
    let resp = http()
        .post(format!("{}/kiosk/verified", server.url))
        .json(&body)
        .send()
        .expect("request");
    assert_eq!(resp.status().as_u16(), 401);
    let e: Value = resp.json().expect("json");
    assert_eq!(e["code"], "unauthenticated");
    // The face SDK bridge needs none (it answers HTTP 200 with the SDK's own
    // answer).
    let raw = sdk(&server, "getWxpayfaceRawdata", json!({}));
    assert!(raw["return_code"].is_string(), "{raw}");
}
