//! Runs the APIv3 vectors of `tests/vectors/v3/` (made by
//! `tests/vectors/gen/gen_v3.py`, never regenerated here) against every
//! crypto provider compiled in: the pure-Rust one and, with feature `aws-lc`,
//! AWS-LC. Run with `cargo test -p wxface-core --all-features` to cover both.
#![cfg(any(feature = "rust-crypto", feature = "aws-lc"))]

mod common;

use std::sync::atomic::AtomicU64;

use common::{providers, read, TestEntropy};
use serde_json::{json, Value};
use wxface_core::crypto::{pem, CryptoProvider, Padding};
use wxface_core::decrypt::Decryptor;
use wxface_core::realname::CredentialType;
use wxface_core::v3::{
    handle_users_response, inspect_users_body, parse_error_body, request_message, FaceUser,
    InfoType, MerchantSigner, PlatformKeyStore, PlatformSigner, RequestVerifier, ResponseVerifier,
    UsersQuery,
};
use wxface_core::{Error, UnixTime};

fn load(name: &str) -> Value {
    serde_json::from_str(&read(&format!("v3/{name}")))
        .unwrap_or_else(|e| panic!("parsing {name}: {e}"))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("field `{k}` is not a string in {v}"))
}

fn opt_s(v: &Value, k: &str) -> Option<String> {
    v[k].as_str().map(str::to_owned)
}

fn n(v: &Value, k: &str) -> u64 {
    v[k].as_u64()
        .unwrap_or_else(|| panic!("field `{k}` is not a number in {v}"))
}

fn headers(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or_default().to_owned(),
                        p[1].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn error_json(e: &Error) -> Value {
    match e {
        Error::Backend {
            status,
            code,
            message,
            detail,
            ..
        } => json!({
            "status": status,
            "code": code,
            "message": message,
            "detail": detail.as_deref().map(|d| serde_json::from_str::<Value>(d).unwrap_or(Value::Null)),
            "retryable": e.is_retryable(),
        }),
        Error::InvalidInput { field, .. } => json!({ "field": field }),
        _ => json!({}),
    }
}

/// The parsed answer as the vectors write it, except the ciphertexts: a
/// verified `FaceUser` does not hand them out (core's unit tests compare
/// them byte for byte).
fn face_user_json(u: &FaceUser, ty: Option<CredentialType>) -> Value {
    json!({
        "openid": u.openid,
        "sub_openid": u.sub_openid,
        "union_id": u.union_id,
        "real_name": ty.map(|t| json!({ "credential_type": t.code() })),
    })
}

/// `expected` of a users-answer vector without the ciphertexts.
fn without_ciphertexts(expected: &Value) -> Value {
    let mut e = expected.clone();
    if let Some(rn) = e.get_mut("real_name").and_then(Value::as_object_mut) {
        rn.remove("encrypted_real_name");
        rn.remove("encrypted_credential_id");
    }
    e
}

/// Sign `body` as WeChat Pay would, with the fixture platform public key
/// (`PUB_KEY_ID_…`), and verify it back: the only way to a `FaceUser` whose
/// real-name fields a `Decryptor` accepts.
fn verified_user(p: &dyn CryptoProvider, body: &str) -> Result<FaceUser, Error> {
    let now = UnixTime(1_767_225_600);
    let key = pem::load_private_key(p, &read("keys/platform_pubkey_pkcs8.pem"))?;
    let id = "PUB_KEY_ID_0119000000012026010100000000000001";
    let headers = PlatformSigner::new(id, key)?.sign(body.as_bytes(), now, "vector0nonce")?;
    let mut store = PlatformKeyStore::new();
    store.add_public_key_pem(p, id, &read("keys/platform_pubkey_pub.pem"))?;
    handle_users_response(
        &ResponseVerifier::new(store),
        200,
        &headers,
        body.as_bytes(),
        now,
    )
}

/// `expected` must match `got` on every key it names; `"message": null`
/// means any message.
fn matches(expected: &Value, got: &Value) -> Result<(), String> {
    let Some(obj) = expected.as_object() else {
        return if expected == got {
            Ok(())
        } else {
            Err(format!("expected {expected}, got {got}"))
        };
    };
    for (k, want) in obj {
        if k == "message" && want.is_null() {
            continue;
        }
        let have = &got[k];
        if want.is_object() && have.is_object() {
            matches(want, have).map_err(|e| format!("{k}.{e}"))?;
        } else if want != have {
            return Err(format!("`{k}`: expected {want}, got {have}"));
        }
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    run: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, label: &str, tc: &Value, got: Result<Value, Error>) {
        self.run += 1;
        let id = format!(
            "{label} tcId {} ({})",
            tc["tcId"],
            tc["comment"].as_str().unwrap_or_default()
        );
        let want_valid = tc["result"] == "valid";
        let expected = &tc["expected"];
        let problem = match (&got, want_valid) {
            (Ok(_), true) if expected.is_null() => Ok(()),
            (Ok(v), true) => matches(expected, v),
            (Ok(v), false) => Err(format!(
                "accepted, expected error `{}`; got {v}",
                tc["code"]
            )),
            (Err(e), true) => Err(format!("refused with `{}`: {e}", e.code())),
            (Err(e), false) => {
                if Some(e.code()) != tc["code"].as_str() {
                    Err(format!(
                        "error code `{}` ({e}), expected `{}`",
                        e.code(),
                        tc["code"]
                    ))
                } else if expected.is_null() {
                    Ok(())
                } else {
                    matches(expected, &error_json(e))
                }
            }
        };
        if let Err(p) = problem {
            self.failures.push(format!("{id}: {p}"));
        }
    }

    /// A vector this build cannot run (it needs another feature).
    #[allow(dead_code)]
    fn skip(&mut self) {
        self.run += 1;
    }

    fn finish(self, file: &Value, runs_per_test: usize) {
        let declared = file["numberOfTests"].as_u64().unwrap_or_default() as usize;
        assert!(
            self.failures.is_empty(),
            "{} failures:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(declared > 0);
        assert_eq!(self.run, declared * runs_per_test, "every vector ran");
    }
}

fn tests(group: &Value) -> &Vec<Value> {
    group["tests"]
        .as_array()
        .unwrap_or_else(|| panic!("group without tests: {}", group["type"]))
}

#[test]
fn request_sign_vectors() {
    let file = load("request_sign.json");
    let mut tally = Tally::default();
    let provs = providers();
    for p in &provs {
        for group in file["testGroups"].as_array().into_iter().flatten() {
            let label = format!("{} {}", p.name(), s(group, "type"));
            match s(group, "type") {
                "authorization_sign" => {
                    let key = pem::load_private_key(p.as_ref(), &read(s(group, "privateKeyPem")))
                        .unwrap_or_else(|e| panic!("{e}"));
                    for tc in tests(group) {
                        let i = &tc["inputs"];
                        let got =
                            MerchantSigner::new(s(i, "mchid"), s(i, "serial_no"), key.clone())
                                .and_then(|signer| {
                                    let (method, pq, body) =
                                        (s(i, "method"), s(i, "path_and_query"), s(i, "body"));
                                    let ts = UnixTime(n(i, "timestamp"));
                                    let nonce = s(i, "nonce_str");
                                    let sig =
                                        signer.signature(method, pq, body.as_bytes(), ts, nonce)?;
                                    let auth = signer.authorization(
                                        method,
                                        pq,
                                        body.as_bytes(),
                                        ts,
                                        nonce,
                                    )?;
                                    let msg =
                                        request_message(method, pq, ts, nonce, body.as_bytes());
                                    Ok(json!({
                                        "message": String::from_utf8_lossy(&msg),
                                        "signature": sig,
                                        "authorization": auth,
                                    }))
                                });
                        tally.check(&label, tc, got);
                    }
                }
                "authorization_verify" => {
                    let mut verifier = RequestVerifier::new();
                    verifier.window_secs = n(group, "windowSecs");
                    for m in group["merchants"].as_array().into_iter().flatten() {
                        let key = pem::load_public_key(p.as_ref(), &read(s(m, "publicKeyPem")))
                            .unwrap_or_else(|e| panic!("{e}"));
                        verifier.add_merchant(s(m, "mchid"), s(m, "serial_no"), key);
                    }
                    for tc in tests(group) {
                        let i = &tc["inputs"];
                        let got = verifier
                            .verify(
                                i["authorization"].as_str(),
                                s(i, "method"),
                                s(i, "path_and_query"),
                                s(i, "body").as_bytes(),
                                UnixTime(n(i, "now")),
                            )
                            .map(|a| {
                                json!({
                                    "mchid": a.mchid,
                                    "serial_no": a.serial_no.to_ascii_uppercase(),
                                    "timestamp": a.timestamp.as_secs(),
                                    "nonce_str": a.nonce_str,
                                })
                            });
                        tally.check(&label, tc, got);
                    }
                }
                other => panic!("unknown group type {other}"),
            }
        }
    }
    tally.finish(&file, provs.len());
}

fn platform_verifier(p: &dyn CryptoProvider, group: &Value) -> ResponseVerifier {
    let mut store = PlatformKeyStore::new();
    for c in group["platformCertificates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        store
            .add_certificate_pem(p, &read(c.as_str().unwrap_or_default()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for k in group["platformPublicKeys"].as_array().into_iter().flatten() {
        store
            .add_public_key_pem(p, s(k, "id"), &read(s(k, "publicKeyPem")))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut v = ResponseVerifier::new(store);
    v.window_secs = n(group, "windowSecs");
    v
}

#[test]
fn response_verify_vectors() {
    let file = load("response_verify.json");
    let mut tally = Tally::default();
    let provs = providers();
    for p in &provs {
        for group in file["testGroups"].as_array().into_iter().flatten() {
            let label = format!("{} {}", p.name(), s(group, "type"));
            let verifier = platform_verifier(p.as_ref(), group);
            for tc in tests(group) {
                let i = &tc["inputs"];
                let hdrs = headers(&i["headers"]);
                let status = u16::try_from(n(i, "status")).unwrap_or(0);
                let body = s(i, "body").as_bytes();
                let now = UnixTime(n(i, "now"));
                let got = match s(group, "type") {
                    "response_verify" => verifier
                        .verify(status, &hdrs, body, now)
                        .map(|()| Value::Null),
                    "handle_users_response" => {
                        handle_users_response(&verifier, status, &hdrs, body, now).map(|u| {
                            face_user_json(&u, u.real_name.as_ref().map(|r| r.credential_type()))
                        })
                    }
                    other => panic!("unknown group type {other}"),
                };
                let mut tc = tc.clone();
                tc["expected"] = without_ciphertexts(&tc["expected"]);
                tally.check(&label, &tc, got);
            }
        }
    }
    tally.finish(&file, provs.len());
}

#[test]
fn decrypt_vectors() {
    let file = load("decrypt.json");
    let mut tally = Tally::default();
    let provs = providers();
    for p in &provs {
        for group in file["testGroups"].as_array().into_iter().flatten() {
            let padding: Padding = s(group, "padding")
                .parse()
                .unwrap_or_else(|e| panic!("{e}"));
            let label = format!(
                "{} {} {}",
                p.name(),
                s(group, "privateKeyPem"),
                padding.as_str()
            );
            let dec =
                Decryptor::with_provider(p.as_ref(), &read(s(group, "privateKeyPem")), padding)
                    .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !format!("{dec:?}").contains("MII"),
                "Debug shows no key material"
            );
            for tc in tests(group) {
                let i = &tc["inputs"];
                let got = match s(i, "kind") {
                    // A lone field can only be decrypted by the local
                    // troubleshooting tools (feature `local-decrypt`).
                    #[cfg(feature = "local-decrypt")]
                    "field" => wxface_core::decrypt::local::decrypt_field(&dec, s(i, "ciphertext"))
                        .map(|t| json!({ "plaintext": t.as_str() })),
                    #[cfg(not(feature = "local-decrypt"))]
                    "field" => {
                        tally.skip();
                        continue;
                    }
                    "real_name" => {
                        let body = json!({
                            "encrypted_real_name": s(i, "encrypted_real_name"),
                            "credential_type": i["credential_type"].as_i64().unwrap_or(0),
                            "encrypted_credential_id": s(i, "encrypted_credential_id"),
                        })
                        .to_string();
                        let user = verified_user(p.as_ref(), &body)
                            .unwrap_or_else(|e| panic!("signing the vector's body: {e}"));
                        dec.decrypt_real_name(user.real_name.as_ref().expect("fields"))
                            .map(|r| {
                                json!({
                                    "name": r.expose_name(),
                                    "credential_type": r.credential_type().code(),
                                    "credential_id": r.expose_credential_id(),
                                })
                            })
                    }
                    other => panic!("unknown kind {other}"),
                };
                if let Err(e) = &got {
                    // Errors never carry plaintext.
                    let text = e.to_string();
                    assert!(!text.contains("测试"), "{text}");
                }
                tally.check(&label, tc, got);
            }
        }
    }
    tally.finish(&file, provs.len());
}

fn query_json(q: &UsersQuery) -> Value {
    json!({
        "face_sid": q.face_sid,
        "info_type": q.info_type.as_str(),
        "appid": q.appid,
        "sub_mchid": q.sub_mchid,
        "sub_appid": q.sub_appid,
        "sub_serial_no": q.sub_serial_no,
    })
}

#[test]
fn users_query_vectors() {
    let file = load("users_query.json");
    let mut tally = Tally::default();
    for group in file["testGroups"].as_array().into_iter().flatten() {
        let label = s(group, "type").to_owned();
        for tc in tests(group) {
            let i = &tc["inputs"];
            let got = match label.as_str() {
                "users_query_build" => {
                    s(i, "info_type").parse::<InfoType>().and_then(|info_type| {
                        let q = UsersQuery {
                            face_sid: s(i, "face_sid").to_owned(),
                            info_type,
                            appid: s(i, "appid").to_owned(),
                            sub_mchid: opt_s(i, "sub_mchid"),
                            sub_appid: opt_s(i, "sub_appid"),
                            sub_serial_no: opt_s(i, "sub_serial_no"),
                        };
                        let req = q.to_request()?;
                        assert_eq!(req.method.as_str(), "GET");
                        assert!(req.body.is_empty());
                        Ok(json!({ "path_and_query": req.path_and_query }))
                    })
                }
                "users_query_parse" => {
                    UsersQuery::from_path_and_query(s(i, "path_and_query")).map(|q| query_json(&q))
                }
                "users_response_parse" => {
                    let tc = &{
                        let mut t = tc.clone();
                        t["expected"] = without_ciphertexts(&tc["expected"]);
                        t
                    };
                    let got = inspect_users_body(s(i, "body").as_bytes())
                        .map(|(u, ty)| face_user_json(&u, ty));
                    tally.check(&label, tc, got);
                    continue;
                }
                "error_body_parse" => Err(parse_error_body(
                    u16::try_from(n(i, "status")).unwrap_or(0),
                    s(i, "body").as_bytes(),
                )),
                other => panic!("unknown group type {other}"),
            };
            tally.check(&label, tc, got);
        }
    }
    tally.finish(&file, 1);
}

/// A request signed by `sign_request` verifies on the server side, with every
/// provider combination (sign with one, verify with the other).
#[test]
fn signed_request_round_trip_across_providers() {
    let entropy = TestEntropy(AtomicU64::new(42));
    let now = UnixTime(1_767_225_600);
    for signer_p in providers() {
        for verifier_p in providers() {
            let key = pem::load_private_key(signer_p.as_ref(), &read("keys/merchant_pkcs1.pem"))
                .unwrap_or_else(|e| panic!("{e}"));
            let serial = pem::certificate_from_pem(&read("keys/merchant_cert.pem"))
                .unwrap_or_else(|e| panic!("{e}"))
                .serial_hex;
            let signer = MerchantSigner::new("1900000001", serial.clone(), key)
                .and_then(|s| {
                    s.with_platform_serial("PUB_KEY_ID_0119000000012026010100000000000001")
                })
                .unwrap_or_else(|e| panic!("{e}"));
            let mut req =
                UsersQuery::new("FACE/SID+1", InfoType::AskRealName, "wx0000000000000001")
                    .to_request()
                    .unwrap_or_else(|e| panic!("{e}"));
            signer
                .sign_request(&mut req, now, &entropy)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(req.header("Accept"), Some("application/json"));
            assert!(req
                .header("User-Agent")
                .is_some_and(|u| u.starts_with("wxface/")));
            assert_eq!(
                req.header("Wechatpay-Serial"),
                Some("PUB_KEY_ID_0119000000012026010100000000000001")
            );
            let mut v = RequestVerifier::new();
            v.add_merchant(
                "1900000001",
                serial,
                pem::load_public_key(verifier_p.as_ref(), &read("keys/merchant_cert.pem"))
                    .unwrap_or_else(|e| panic!("{e}")),
            );
            let auth = v
                .verify(
                    req.header("Authorization"),
                    "GET",
                    &req.path_and_query,
                    &req.body,
                    now,
                )
                .unwrap_or_else(|e| panic!("{} → {}: {e}", signer_p.name(), verifier_p.name()));
            assert_eq!(auth.nonce_str.len(), 32);
            let again = UsersQuery::from_path_and_query(&req.path_and_query)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(again.face_sid, "FACE/SID+1");
        }
    }
}

/// The answer-side signer produces headers the verifier accepts.
#[test]
fn platform_signer_round_trip() {
    let entropy = TestEntropy(AtomicU64::new(7));
    let now = UnixTime(1_767_225_600);
    for p in providers() {
        let cert = read("keys/platform_cert.pem");
        let mut store = PlatformKeyStore::new();
        let serial = store
            .add_certificate_pem(p.as_ref(), &cert)
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .add_public_key_pem(
                p.as_ref(),
                "PUB_KEY_ID_01",
                &read("keys/platform_pubkey_pub_pkcs1.pem"),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.preferred_id(now), Some("PUB_KEY_ID_01"));
        let verifier = ResponseVerifier::new(store);
        for (id, key_file) in [
            (serial.as_str(), "keys/platform_pkcs8.pem"),
            ("PUB_KEY_ID_01", "keys/platform_pubkey_pkcs1.pem"),
        ] {
            let key = pem::load_private_key(p.as_ref(), &read(key_file))
                .unwrap_or_else(|e| panic!("{e}"));
            let signer =
                wxface_core::v3::PlatformSigner::new(id, key).unwrap_or_else(|e| panic!("{e}"));
            let body = br#"{"openid":"o1"}"#;
            let hdrs = signer
                .sign_now(body, now, &entropy)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(hdrs.len(), 4);
            verifier
                .verify(200, &hdrs, body, now)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name()));
            let e = verifier.verify(200, &hdrs, b"{}", now).err();
            assert_eq!(e.map(|e| e.code()), Some("signature_mismatch"));
        }
    }
}

/// PKCS#1 and PKCS#8 PEMs of one key give the same PKCS#8 DER; certificate
/// facts come out in WeChat's form.
#[test]
fn key_loading_forms_agree() {
    let from_pkcs1 = pem::private_key_pkcs8_der_from_pem(&read("keys/merchant_pkcs1.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    let from_pkcs8 = pem::private_key_pkcs8_der_from_pem(&read("keys/merchant_pkcs8.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_pkcs1.as_slice(), from_pkcs8.as_slice());
    let spki = pem::public_key_spki_der_from_pem(&read("keys/merchant_pub.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    for other in ["keys/merchant_pub_pkcs1.pem", "keys/merchant_cert.pem"] {
        let der = pem::public_key_spki_der_from_pem(&read(other)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(der, spki, "{other}");
    }
    let info = pem::certificate_from_pem(&read("keys/platform_cert.pem"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(info.serial_hex, "6B2C3D4E5F60718293A4B5C6D7E8F9012345678A");
    assert_eq!(info.not_after, UnixTime(2_051_222_400)); // 2035-01-01
    assert_eq!(info.not_before, UnixTime(1_735_689_600)); // 2025-01-01
                                                          // A private key PEM is not a public key and vice versa.
    assert!(pem::public_key_spki_der_from_pem(&read("keys/merchant_pkcs8.pem")).is_err());
    assert!(pem::private_key_pkcs8_der_from_pem(&read("keys/merchant_pub.pem")).is_err());
    for p in providers() {
        let key = pem::load_private_key(p.as_ref(), &read("keys/merchant_pkcs8.pem"))
            .unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{key:?}");
        assert!(shown.contains("2048") && !shown.contains("MII"), "{shown}");
        assert_eq!(key.size(), 256);
    }
}
