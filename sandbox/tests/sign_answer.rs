//! `POST /_sandbox/sign-answer`: a body signed now with the sandbox's platform
//! keys verifies with those keys, and the JSON form is what a hospital's
//! `RealNameReceiver` takes. Used by every binding's oracle test.

mod common;

use std::sync::Arc;

use common::*;
use wxface_core::crypto::{aws_lc, Padding};
use wxface_core::decrypt::{Decryptor, RealNameReceiver};
use wxface_core::time::SystemClock;
use wxface_core::v3::{PlatformKeyStore, ResponseVerifier, SignedAnswer};
use wxface_sandbox::SandboxConfig;

fn vectors(rel: &str) -> String {
    let p = format!("{}/../tests/vectors/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn signed_answers_verify_and_decrypt_with_the_hospitals_key() {
    let sandbox = start(SandboxConfig::default());
    let creds = sandbox.credentials();
    let file: serde_json::Value =
        serde_json::from_str(&vectors("v3/signed_answers.json")).expect("vectors");
    let http = reqwest::blocking::Client::new();
    let sign = |body: &str, serial: Option<&str>| {
        let mut req = serde_json::json!({ "body": body });
        if let Some(s) = serial {
            req["serial"] = serde_json::Value::from(s);
        }
        let r = http
            .post(format!("{}/_sandbox/sign-answer", sandbox.url()))
            .json(&req)
            .send()
            .expect("send");
        (r.status().as_u16(), r.text().expect("text"))
    };
    let mut store = PlatformKeyStore::new();
    store
        .add_public_key_pem(
            aws_lc().as_ref(),
            &creds.pub_key_id,
            &creds.platform_public_key_pem,
        )
        .expect("public key");
    store
        .add_certificate_pem(aws_lc().as_ref(), &creds.platform_cert_pem)
        .expect("certificate");
    let receiver = RealNameReceiver::with_clock(
        ResponseVerifier::new(store),
        Decryptor::from_pem(&vectors("keys/merchant_pkcs8.pem"), Padding::Pkcs1v15)
            .expect("decryptor"),
        Arc::new(SystemClock),
    );
    let valid = &file["tests"][0];
    assert_eq!(valid["result"], "valid");
    let body = valid["body"].as_str().expect("body");
    for serial in [None, Some(creds.pub_key_id.as_str())] {
        let (status, json) = sign(body, serial);
        assert_eq!(status, 200, "{json}");
        let answer = SignedAnswer::from_json(json.as_bytes()).expect("JSON form");
        assert_eq!(answer.body, body);
        let who = receiver.receive(&answer).expect("verifies and decrypts");
        assert_eq!(Some(who.expose_name()), valid["expected"]["name"].as_str());
    }
    // An oracle case signed the same way gives the single decryption error.
    let bad = file["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .find(|t| t["oracle"] == true && t["group"] == "pkcs1v15")
        .expect("an oracle case");
    let (_, json) = sign(bad["body"].as_str().expect("body"), None);
    let e = receiver
        .receive_json(json.as_bytes())
        .expect_err("bad ciphertext");
    assert_eq!(e.code(), "decryption");
    // A serial that names no key of the sandbox is refused.
    let (status, _) = sign(body, Some("PUB_KEY_ID_0000000000000000000000000000000000"));
    assert_eq!(status, 400);
}
