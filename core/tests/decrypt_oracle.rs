//! No decryption oracle, on every crypto provider compiled in.
//!
//! * `tests/vectors/v3/implicit_rejection.json` — the IETF CFRG draft's
//!   published vectors: PKCS#1 v1.5 decryption with implicit rejection gives
//!   exactly the draft's synthetic message for every bad ciphertext, on
//!   AWS-LC as on the pure-Rust provider.
//! * `tests/vectors/v3/signed_answers.json` (made by
//!   `tests/vectors/gen/gen_oracle.py` with Python `cryptography`) — signed
//!   identity answers with every kind of bad ciphertext: all give one and the
//!   same error, byte for byte; tampered answers are refused before anything
//!   is decrypted.
//!
//! Run with `cargo test -p wxface-core --all-features` to cover both providers.
#![cfg(any(feature = "rust-crypto", feature = "aws-lc"))]

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{providers, read};
use serde_json::Value;
use wxface_core::crypto::{pem, CryptoProvider, Padding, PrivateKey};
use wxface_core::decrypt::{Decryptor, RealNameReceiver};
use wxface_core::error::DECRYPTION_FAILED;
use wxface_core::time::FixedClock;
use wxface_core::v3::{PlatformKeyStore, ResponseVerifier, SignedAnswer};
use wxface_core::{Error, Result, UnixTime};

fn load(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn implicit_rejection_gives_the_drafts_synthetic_messages_on_every_provider() {
    let file = load("v3/implicit_rejection.json");
    let mut run = 0;
    for p in providers() {
        for group in file["testGroups"].as_array().expect("groups") {
            let pem_text = file["keys"][group["key"].as_str().expect("key")]
                .as_str()
                .expect("pem");
            let key = pem::load_private_key(p.as_ref(), pem_text).expect("key loads");
            for tc in group["tests"].as_array().expect("tests") {
                let c = hex(tc["ciphertext_hex"].as_str().expect("ct"));
                let want = hex(tc["plaintext_hex"].as_str().expect("pt"));
                let got = key
                    .decrypt(Padding::Pkcs1v15, &c)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", p.name(), tc["id"]));
                assert_eq!(
                    got.as_slice(),
                    want.as_slice(),
                    "{} {} ({})",
                    p.name(),
                    tc["id"],
                    if tc["valid"] == true {
                        "valid"
                    } else {
                        "synthetic"
                    }
                );
                run += 1;
            }
        }
    }
    assert_eq!(
        run,
        file["numberOfTests"].as_u64().expect("count") as usize * providers().len()
    );
}

/// A private key that counts its decryptions.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn PrivateKey>,
    decryptions: AtomicUsize,
}

impl PrivateKey for Counting {
    fn sign_sha256(&self, msg: &[u8]) -> Result<Vec<u8>> {
        self.inner.sign_sha256(msg)
    }
    fn decrypt(&self, padding: Padding, ciphertext: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        self.decryptions.fetch_add(1, Ordering::SeqCst);
        self.inner.decrypt(padding, ciphertext)
    }
    fn size(&self) -> usize {
        self.inner.size()
    }
}

fn receiver(
    p: &dyn CryptoProvider,
    file: &Value,
    padding: Padding,
) -> (RealNameReceiver, Arc<Counting>) {
    let mut store = PlatformKeyStore::new();
    store
        .add_public_key_pem(
            p,
            file["platformPublicKeyId"].as_str().expect("id"),
            &read(file["platformPublicKeyPem"].as_str().expect("pem")),
        )
        .expect("platform key");
    let key = Arc::new(Counting {
        inner: pem::load_private_key(p, &read(file["privateKeyPem"].as_str().expect("pem")))
            .expect("private key"),
        decryptions: AtomicUsize::new(0),
    });
    let now = UnixTime(file["now"].as_u64().expect("now"));
    let r = RealNameReceiver::with_clock(
        ResponseVerifier::new(store),
        Decryptor::from_key(key.clone(), padding),
        Arc::new(FixedClock(now)),
    );
    (r, key)
}

#[test]
fn every_bad_ciphertext_gives_one_error_and_tampered_answers_are_never_decrypted() {
    let file = load("v3/signed_answers.json");
    let mut oracle_texts = BTreeSet::new();
    let mut oracle_debug = BTreeSet::new();
    let mut run = 0;
    for p in providers() {
        for tc in file["tests"].as_array().expect("tests") {
            let id = format!("{} tcId {} ({})", p.name(), tc["tcId"], tc["comment"]);
            let padding: Padding = tc["group"]
                .as_str()
                .expect("group")
                .parse()
                .expect("padding");
            let (r, key) = receiver(p.as_ref(), &file, padding);
            let json = serde_json::to_vec(&tc["answer"]).expect("answer");
            let got = r.receive_json(&json);
            match (tc["result"].as_str(), got) {
                (Some("valid"), Ok(who)) => {
                    let want = &tc["expected"];
                    assert_eq!(Some(who.expose_name()), want["name"].as_str(), "{id}");
                    assert_eq!(
                        Some(who.expose_credential_id()),
                        want["credential_id"].as_str(),
                        "{id}"
                    );
                    assert_eq!(
                        Some(who.credential_type().code()),
                        want["credential_type"].as_i64(),
                        "{id}"
                    );
                }
                (Some("invalid"), Err(e)) => {
                    assert_eq!(Some(e.code()), tc["code"].as_str(), "{id}: {e}");
                    if tc["oracle"] == true {
                        oracle_texts.insert(e.to_string());
                        oracle_debug.insert(format!("{e:?}"));
                    } else {
                        assert_eq!(
                            key.decryptions.load(Ordering::SeqCst),
                            0,
                            "{id}: refused answers are never decrypted"
                        );
                    }
                }
                (want, got) => panic!("{id}: expected {want:?}, got {got:?}"),
            }
            run += 1;
        }
    }
    assert_eq!(
        oracle_texts.len(),
        1,
        "every bad ciphertext, on every provider, gives the same text: {oracle_texts:?}"
    );
    assert_eq!(
        oracle_texts.iter().next().map(String::as_str),
        Some(DECRYPTION_FAILED)
    );
    assert_eq!(oracle_debug.len(), 1, "{oracle_debug:?}");
    assert_eq!(
        run,
        file["numberOfTests"].as_u64().expect("count") as usize * providers().len()
    );
}

#[test]
fn the_forwarded_json_form_round_trips_and_refuses_repeated_or_unknown_fields() {
    let file = load("v3/signed_answers.json");
    let answer = &file["tests"][0]["answer"];
    let parsed = SignedAnswer::from_json(answer.to_string().as_bytes()).expect("parses");
    let again = SignedAnswer::from_json(parsed.to_json().as_bytes()).expect("round trip");
    assert_eq!(parsed, again);
    assert!(
        !format!("{parsed:?}").contains(&parsed.body),
        "Debug hides the body"
    );

    let sig = answer["headers"]["Wechatpay-Signature"]
        .as_str()
        .expect("sig");
    let repeated = answer.to_string().replacen(
        "\"Wechatpay-Signature\"",
        &format!("\"Wechatpay-Signature\":\"{sig}\",\"Wechatpay-Signature\""),
        1,
    );
    let e = SignedAnswer::from_json(repeated.as_bytes()).expect_err("repeated header");
    assert_eq!(e.code(), "malformed");
    assert!(!e.to_string().contains(sig), "the error quotes nothing");

    let mut extra = answer.clone();
    extra["headers"]["X-Other"] = Value::from("1");
    assert_eq!(
        SignedAnswer::from_json(extra.to_string().as_bytes())
            .expect_err("unknown header")
            .code(),
        "malformed"
    );
    let huge = vec![b' '; wxface_core::v3::users::MAX_SIGNED_ANSWER_BYTES + 1];
    assert_eq!(
        SignedAnswer::from_json(&huge).expect_err("oversize").code(),
        "malformed"
    );
}

#[test]
fn the_same_decryptor_errors_are_one_variant_without_detail() {
    // Whatever the cause, the error carries nothing to tell causes apart.
    let e = Error::Decryption;
    assert_eq!(e.code(), "decryption");
    assert_eq!(e.to_string(), DECRYPTION_FAILED);
}
