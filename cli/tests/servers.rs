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
