//! The serving commands, run as programs: `wxface sandbox serve`,
//! `wxface merchant serve` and `wxface dev-server`.

mod common;

use std::time::Duration;

use common::{http, start, tempdir};

#[test]
fn sandbox_serve_prints_its_url_and_keeps_its_keys() {
    let dir = tempdir("sandbox-keys");
    let keys = dir.join("keys");
    let keys_arg = keys.display().to_string();
    let server = start(&["sandbox", "serve", "--keys-dir", &keys_arg]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let second = server
        .lines
        .recv_timeout(Duration::from_secs(10))
        .expect("keys_dir line");
    assert_eq!(second, format!("keys_dir: {keys_arg}"));
    assert!(keys.join("sandbox.json").is_file());
    assert!(keys.join("apiclient_key.pem").is_file());

    // An unsigned APIv3 request is refused the way WeChat Pay refuses it.
    let resp = http()
        .get(format!(
            "{}/v3/facemch/users/FACE?info_type=ASK_REAL_NAME&appid=wx1",
            server.url
        ))
        .send()
        .expect("request");
    assert_eq!(resp.status().as_u16(), 401);
    let body: serde_json::Value = resp.json().expect("json");
    assert_eq!(body["code"], "SIGN_ERROR");
    drop(server);

    // A second start reuses the key set.
    let manifest = std::fs::read_to_string(keys.join("sandbox.json")).expect("manifest");
    let server = start(&["sandbox", "serve", "--keys-dir", &keys_arg]);
    drop(server);
    let again = std::fs::read_to_string(keys.join("sandbox.json")).expect("manifest");
    assert_eq!(manifest, again);
}

#[test]
fn sandbox_serve_refuses_a_bad_config_in_one_line() {
    let dir = tempdir("sandbox-config");
    let cfg = dir.join("sandbox.toml");
    std::fs::write(&cfg, "authinfo_ttl_secs = 0\n").expect("write");
    let out = common::wxface_command()
        .args(["sandbox", "serve", "--config"])
        .arg(&cfg)
        .arg("--keys-dir")
        .arg(dir.join("keys"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("wxface: error["), "{err}");
    assert!(err.contains("authinfo_ttl_secs"), "{err}");
}

fn post(url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let resp = http().post(url).json(&body).send().expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().expect("json answer"))
}

/// POST to the kiosk API with a device credential.
fn post_as(url: &str, credential: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let resp = http()
        .post(url)
        .bearer_auth(credential)
        .json(&body)
        .send()
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().expect("json answer"))
}

/// `wxface merchant devices --devices STORE ARGS…`: (exit code, stdout, stderr).
fn devices(store: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = common::wxface_command()
        .args(["merchant", "devices", "--devices"])
        .arg(store)
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue a credential for `device` into `store`.
fn add_device(store: &std::path::Path, device: &str) -> String {
    let (code, out, err) = devices(store, &["add", device]);
    assert_eq!(code, 0, "{err}");
    out.trim().to_owned()
}

#[test]
fn merchant_serve_runs_the_kiosk_api_against_the_sandbox_keys() {
    let dir = tempdir("merchant");
    let keys = dir.join("keys").display().to_string();
    let registry = dir.join("his").join("patients.sqlite3");
    let registry_arg = registry.display().to_string();
    let store = dir.join("his").join("devices.sqlite3");
    let store_arg = store.display().to_string();
    let sandbox = start(&["sandbox", "serve", "--keys-dir", &keys]);
    let merchant_args = [
        "merchant",
        "serve",
        "--keys-dir",
        &keys,
        "--base-url",
        &sandbox.url,
        "--devices",
        &store_arg,
        "--registry",
        &registry_arg,
        "--verified",
        "o_sbx_patient_b",
    ];
    let merchant = start(&merchant_args);
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("keys/sandbox.json")).expect("manifest"),
    )
    .expect("json");
    let device = "KIOSK-T1";
    let cred = add_device(&store, device);
    let post_kiosk = |url: &str, body| post_as(url, &cred, body);
    let store = "HOSPITAL-OPD-01";

    // What the face SDK would do: rawdata from "WeChat's face service".
    let (_, raw) = post(
        &format!("{}/_emu/rawdata", sandbox.url),
        serde_json::json!({"device_id": device}),
    );
    let rawdata = raw["rawdata"].as_str().expect("rawdata").to_owned();

    // The kiosk asks its merchant server for authinfo: v2, signed with the key set's API key.
    let (status, grant) = post_kiosk(
        &format!("{}/kiosk/authinfo", merchant.url),
        serde_json::json!({"rawdata": rawdata, "device_id": device, "store_id": store}),
    );
    assert_eq!(status, 200, "{grant}");
    let authinfo = grant["authinfo"].as_str().expect("authinfo").to_owned();
    assert!(grant["expires_at"].as_u64().is_some());

    // Recognition and consent, as the emulated SDK reports them to the sandbox.
    let (_, face) = post(
        &format!("{}/_emu/recognise", sandbox.url),
        serde_json::json!({
            "device_id": device, "authinfo": authinfo,
            "appid": manifest["appid"], "mch_id": manifest["mch_id"],
            "store_id": store, "face_authtype": "FACE_AUTH", "person": "patient-a",
        }),
    );
    let face_sid = face["face_sid"].as_str().expect("face_sid").to_owned();
    // The spec's table: no openid with the face_sid.
    assert!(face.get("openid").is_none(), "{face}");
    let (status, _) = post(
        &format!("{}/_emu/auth", sandbox.url),
        serde_json::json!({"device_id": device, "authinfo": authinfo, "face_sid": face_sid, "action": "consent"}),
    );
    assert_eq!(status, 200);

    // Already verified? The server asks WeChat Pay who the face_sid is:
    // patient-a, not the seeded patient-b.
    let (_, v) = post_kiosk(
        &format!("{}/kiosk/verified", merchant.url),
        serde_json::json!({"openid": null, "face_sid": face_sid}),
    );
    assert_eq!(v["already_verified"], false);
    // A kiosk claiming the verified patient-b's openid is refused.
    let (status, e) = post_kiosk(
        &format!("{}/kiosk/verified", merchant.url),
        serde_json::json!({"openid": "o_sbx_patient_b", "face_sid": face_sid}),
    );
    assert_eq!(status, 400, "{e}");
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("invalid_input"), Some("openid"))
    );
    assert!(!e.to_string().contains("o_sbx_patient"), "{e}");

    // The real name: APIv3 query, verification, decryption; masked answer only.
    let (status, r) = post_kiosk(
        &format!("{}/kiosk/real-name", merchant.url),
        serde_json::json!({"face_sid": face_sid, "device_id": device}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["identity"]["name"], "测***甲");
    assert_eq!(r["identity"]["credential_type"], 1);
    let id = r["identity"]["credential_id"].as_str().expect("id");
    assert!(id.starts_with("110") && id.contains("*****"), "{id}");
    let patient_id = r["patient_id"].as_str().expect("patient id").to_owned();
    let (_, v) = post_kiosk(
        &format!("{}/kiosk/verified", merchant.url),
        serde_json::json!({"face_sid": face_sid}),
    );
    assert_eq!(v["already_verified"], true);

    // The registry survives a restart of the server.
    drop(merchant);
    assert!(registry.is_file());
    let merchant = start(&merchant_args);
    let (_, v) = post_kiosk(
        &format!("{}/kiosk/verified", merchant.url),
        serde_json::json!({"face_sid": face_sid}),
    );
    assert_eq!(v["already_verified"], true, "forgotten across a restart");
    let (status, r) = post_kiosk(
        &format!("{}/kiosk/real-name", merchant.url),
        serde_json::json!({"face_sid": face_sid, "device_id": device}),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["patient_id"].as_str(), Some(patient_id.as_str()));
    // The file keeps no full identity.
    drop(merchant);
    let bytes = std::fs::read(&registry).expect("registry file");
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("测试患者甲"), "a full name in the registry");

    // `:memory:` forgets.
    let memory_args = [&merchant_args[..8], &["--registry", ":memory:"]].concat();
    assert_eq!(merchant_args[8], "--registry");
    let merchant = start(&memory_args);
    let (_, v) = post_kiosk(
        &format!("{}/kiosk/verified", merchant.url),
        serde_json::json!({"face_sid": face_sid}),
    );
    assert_eq!(v["already_verified"], false);
}

#[test]
fn merchant_serve_takes_its_configuration_from_the_environment() {
    let dir = tempdir("merchant-env");
    let keys = dir.join("keys").display().to_string();
    let sandbox = start(&["sandbox", "serve", "--keys-dir", &keys]);
    let mut cmd = common::wxface_command();
    cmd.env("WXFACE_KEYS_DIR", &keys)
        .env("WXFACE_BASE_URL", &sandbox.url)
        .env("WXFACE_STORE_ID", "STORE-ENV")
        .env("WXFACE_STORE_NAME", "Env store")
        .env("WXFACE_REGISTRY", dir.join("patients.sqlite3"))
        .env("WXFACE_DEVICES", dir.join("devices.sqlite3"));
    let cred = add_device(&dir.join("devices.sqlite3"), "KIOSK-ENV");
    let merchant = common::start_with(cmd, &["merchant", "serve"]);
    let (_, raw) = post(
        &format!("{}/_emu/rawdata", sandbox.url),
        serde_json::json!({"device_id": "KIOSK-ENV"}),
    );
    let (status, grant) = post_as(
        &format!("{}/kiosk/authinfo", merchant.url),
        &cred,
        serde_json::json!({"rawdata": raw["rawdata"], "device_id": "KIOSK-ENV"}),
    );
    assert_eq!(status, 200, "{grant}");
    assert!(grant["authinfo"].as_str().is_some());
    assert!(dir.join("patients.sqlite3").is_file());
}

#[test]
fn merchant_serve_explains_what_is_missing() {
    let out = common::wxface_command()
        .args(["merchant", "serve", "--appid", "wx1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("wxface: error[usage]: no mch_id"), "{err}");

    let dir = tempdir("merchant-nourl");
    let out = common::wxface_command()
        .args(["merchant", "serve", "--keys-dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--base-url"));
}

#[test]
fn merchant_devices_issues_lists_and_revokes_and_serve_follows_at_once() {
    let dir = tempdir("merchant-devices");
    let keys = dir.join("keys").display().to_string();
    let store = dir.join("devices.sqlite3");
    let a = add_device(&store, "KIOSK-A");
    let b = add_device(&store, "KIOSK-B");
    assert_ne!(a, b);
    for c in [&a, &b] {
        assert!(c.starts_with("wxfd1.") && c.len() == 66, "{c}");
    }
    let (code, _, err) = devices(&store, &["add", "KIOSK\nFORGED"]);
    assert_ne!(code, 0);
    assert!(err.contains("device_id"), "{err}");

    let (code, list, _) = devices(&store, &["list", "--json"]);
    assert_eq!(code, 0);
    let rows: Vec<serde_json::Value> = list
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["device_id"], "KIOSK-A");
    assert!(rows[0]["revoked_at"].is_null());
    assert_eq!(rows[0]["key_id"].as_str(), a.split('.').nth(1));
    // Neither the listing nor the file holds a secret.
    let bytes = std::fs::read(&store).expect("store");
    for c in [&a, &b] {
        let secret = c.rsplit('.').next().expect("secret");
        assert!(!list.contains(secret));
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    }
    let (code, table, _) = devices(&store, &["list"]);
    assert_eq!(code, 0);
    assert!(
        table.contains("KIOSK-B") && table.contains("GMT"),
        "{table}"
    );

    let sandbox = start(&["sandbox", "serve", "--keys-dir", &keys]);
    let store_arg = store.display().to_string();
    let merchant = start(&[
        "merchant",
        "serve",
        "--keys-dir",
        &keys,
        "--base-url",
        &sandbox.url,
        "--devices",
        &store_arg,
        "--registry",
        ":memory:",
    ]);
    let url = format!("{}/kiosk/verified", merchant.url);
    let ask = |cred: Option<&str>| {
        let mut req = http()
            .post(&url)
            .json(&serde_json::json!({"face_sid": "fs_none"}));
        if let Some(c) = cred {
            req = req.bearer_auth(c);
        }
        let resp = req.send().expect("request");
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().expect("json");
        (status, body)
    };
    // Admitted: WeChat Pay answers the made-up face_sid with its own error.
    let (status, e) = ask(Some(&a));
    assert_ne!(status, 401, "{e}");
    let (status, e) = ask(None);
    assert_eq!((status, e["code"].as_str()), (401, Some("unauthenticated")));

    // Revoked while the server runs: refused from the next request.
    let (code, out, _) = devices(&store, &["revoke", "KIOSK-A"]);
    assert_eq!(code, 0);
    assert!(out.contains("revoked 1"), "{out}");
    let (status, e) = ask(Some(&a));
    assert_eq!(status, 401, "{e}");
    assert!(
        e["message"].as_str().unwrap_or("").contains("revoked"),
        "{e}"
    );
    let (status, _) = ask(Some(&b));
    assert_ne!(status, 401);
    let (code, _, err) = devices(&store, &["revoke", "KIOSK-A"]);
    assert_ne!(code, 0, "nothing left to revoke");
    assert!(err.contains("KIOSK-A"), "{err}");
}
