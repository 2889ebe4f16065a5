//! Benchmarks of the core's hot operations, per crypto backend.
//!
//! Inputs come from `bench/make_inputs.py` (Python `cryptography`), so that
//! `bench/run.sh` can time the very same work with the Python/OpenSSL peer and
//! report ratios. Run through `bench/run.sh`, or directly:
//!
//! ```sh
//! python3 bench/make_inputs.py target/bench/inputs.json
//! WXFACE_BENCH_INPUTS=target/bench/inputs.json cargo bench -p wxface-core --all-features --bench core
//! ```
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use wxface_core::crypto::{pem, CryptoProvider, Padding};
use wxface_core::decrypt::{local, Decryptor};
use wxface_core::v2::{parse_authinfo_response, ApiKey, Fields, SignType};
use wxface_core::v3::{handle_users_response, MerchantSigner, PlatformKeyStore, ResponseVerifier};
use wxface_core::UnixTime;

fn inputs() -> Value {
    let path = std::env::var("WXFACE_BENCH_INPUTS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/inputs.json").to_owned()
    });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run `python3 bench/make_inputs.py` first)"));
    serde_json::from_str(&text).unwrap()
}

fn providers() -> Vec<(&'static str, Arc<dyn CryptoProvider>)> {
    vec![
        ("aws-lc", wxface_core::crypto::aws_lc()),
        ("rust-crypto", wxface_core::crypto::rust_crypto()),
    ]
}

fn bench(c: &mut Criterion) {
    let inp = inputs();
    let key = ApiKey::new(inp["v2_key"].as_str().unwrap()).unwrap();
    let mut fields = Fields::new();
    for (k, v) in inp["v2_request_fields"].as_object().unwrap() {
        fields.set(k, v.as_str().unwrap());
    }
    let answer_xml = inp["v2_answer_xml"].as_str().unwrap().as_bytes().to_vec();
    let now = UnixTime(inp["now"].as_u64().unwrap());

    c.bench_function("v2_sign_md5", |b| {
        b.iter(|| black_box(&fields).sign(&key, SignType::Md5))
    });
    c.bench_function("v2_sign_hmac", |b| {
        b.iter(|| black_box(&fields).sign(&key, SignType::HmacSha256))
    });
    c.bench_function("v2_parse_verify", |b| {
        b.iter(|| {
            parse_authinfo_response(black_box(&answer_xml), &key, SignType::HmacSha256, now)
                .unwrap()
        })
    });

    let req = &inp["v3_request"];
    let ans = &inp["answer"];
    let headers: Vec<(String, String)> = ans["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let body = ans["body"].as_str().unwrap().as_bytes().to_vec();
    let expected_name = inp["expected"]["name"].as_str().unwrap();
    for (name, provider) in providers() {
        let merchant =
            pem::load_private_key(provider.as_ref(), inp["merchant_key_pem"].as_str().unwrap())
                .unwrap();
        let signer = MerchantSigner::new(
            req["mchid"].as_str().unwrap(),
            req["serial"].as_str().unwrap(),
            merchant.clone(),
        )
        .unwrap();
        let ts = UnixTime(req["timestamp"].as_str().unwrap().parse().unwrap());
        let path = req["path"].as_str().unwrap();
        let nonce = req["nonce"].as_str().unwrap();
        c.bench_function(&format!("v3_sign/{name}"), |b| {
            b.iter(|| {
                signer
                    .authorization("GET", black_box(path), b"", ts, nonce)
                    .unwrap()
            })
        });

        let mut store = PlatformKeyStore::new();
        store
            .add_certificate_pem(
                provider.as_ref(),
                inp["platform_cert_pem"].as_str().unwrap(),
            )
            .unwrap();
        let verifier = ResponseVerifier::new(store);
        c.bench_function(&format!("v3_verify/{name}"), |b| {
            b.iter(|| {
                verifier
                    .verify(200, &headers, black_box(&body), now)
                    .unwrap()
            })
        });

        for (label, padding) in [("pkcs1v15", Padding::Pkcs1v15), ("oaep", Padding::OaepSha1)] {
            let key = if label == "pkcs1v15" {
                "pkcs1v15"
            } else {
                "oaep-sha1"
            };
            let dec = Decryptor::from_key(merchant.clone(), padding);
            let ct = inp["ciphertexts"][key]["name"].as_str().unwrap().to_owned();
            assert_eq!(
                local::decrypt_field(&dec, &ct).unwrap().as_str(),
                expected_name
            );
            c.bench_function(&format!("decrypt_{label}/{name}"), |b| {
                b.iter(|| local::decrypt_field(&dec, black_box(&ct)).unwrap())
            });
        }

        let dec = Decryptor::from_key(merchant.clone(), Padding::Pkcs1v15);
        let step = || {
            let user =
                handle_users_response(&verifier, 200, &headers, black_box(&body), now).unwrap();
            dec.decrypt_real_name(user.real_name.as_ref().unwrap())
                .unwrap()
        };
        assert_eq!(step().expose_name(), expected_name);
        c.bench_function(&format!("server_step/{name}"), |b| b.iter(step));
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
