//! Timing of the two kinds of bad PKCS#1 v1.5 ciphertext a Bleichenbacher
//! attacker needs to tell apart: a conforming block with junk inside and a
//! non-conforming block (`bench/make_inputs.py` makes both with Python
//! `cryptography` and textbook RSA). With implicit rejection both take the
//! same path; this measures whether the clock agrees.
//!
//! The two are decrypted **interleaved**, in a shuffled order, many thousand
//! times, each call timed on its own: load on the machine then falls on both
//! alike, which two benchmarks run one after the other cannot promise. Prints
//! the median of each and their difference, per crypto backend, and writes
//! them to `target/bench/oracle_timing.json`.
//!
//! `cargo bench -p wxface-core --all-features --bench oracle_timing`
//! (`bench/run.sh` runs it).
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use serde_json::{json, Value};
use wxface_core::crypto::{pem, Padding};
use wxface_core::decrypt::{local, Decryptor};

fn inputs() -> Value {
    let path = std::env::var("WXFACE_BENCH_INPUTS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/inputs.json").to_owned()
    });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run `python3 bench/make_inputs.py` first)"));
    serde_json::from_str(&text).unwrap()
}

fn median(v: &mut [u64]) -> f64 {
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

/// A small xorshift for the order of the calls (no dependency needed).
struct Order(u64);

impl Order {
    fn next_bit(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 & 1 == 1
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument may follow.
    let rounds: usize = std::env::var("WXFACE_ORACLE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let inp = inputs();
    let junk = inp["oracle"]["conforming_junk"]
        .as_str()
        .unwrap()
        .to_owned();
    let nonc = inp["oracle"]["non_conforming"].as_str().unwrap().to_owned();
    let pem_text = inp["merchant_key_pem"].as_str().unwrap();
    let mut report = serde_json::Map::new();
    for (name, provider) in [
        ("aws-lc", wxface_core::crypto::aws_lc()),
        ("rust-crypto", wxface_core::crypto::rust_crypto()),
    ] {
        let key = pem::load_private_key(provider.as_ref(), pem_text).unwrap();
        let dec = Decryptor::from_key(key, Padding::Pkcs1v15);
        let rounds = if name == "aws-lc" { rounds } else { rounds / 4 };
        // Both fail the same way.
        let e1 = local::decrypt_field(&dec, &junk).unwrap_err();
        let e2 = local::decrypt_field(&dec, &nonc).unwrap_err();
        assert_eq!(e1.to_string(), e2.to_string());
        for _ in 0..rounds / 10 {
            black_box(local::decrypt_field(&dec, black_box(&junk)).unwrap_err());
            black_box(local::decrypt_field(&dec, black_box(&nonc)).unwrap_err());
        }
        let mut t_junk = Vec::with_capacity(rounds);
        let mut t_nonc = Vec::with_capacity(rounds);
        let mut order = Order(0x9E37_79B9_7F4A_7C15);
        for _ in 0..rounds {
            let first_junk = order.next_bit();
            for pick_junk in [first_junk, !first_junk] {
                let ct = if pick_junk { &junk } else { &nonc };
                let t = Instant::now();
                black_box(local::decrypt_field(&dec, black_box(ct)).unwrap_err());
                let ns = t.elapsed().as_nanos() as u64;
                if pick_junk {
                    t_junk.push(ns);
                } else {
                    t_nonc.push(ns);
                }
            }
        }
        let (mj, mn) = (median(&mut t_junk), median(&mut t_nonc));
        let diff = (mj - mn).abs() / mj.min(mn) * 100.0;
        println!(
            "oracle timing {name}: conforming junk {:.2} µs, non-conforming {:.2} µs, medians differ by {diff:.2} % ({rounds} interleaved pairs)",
            mj / 1000.0,
            mn / 1000.0
        );
        report.insert(
            name.to_owned(),
            json!({"conforming_junk_median_ns": mj, "non_conforming_median_ns": mn, "difference_percent": diff, "pairs": rounds}),
        );
    }
    let out = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/bench/oracle_timing.json"
    );
    let _ = std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench"));
    std::fs::write(out, Value::Object(report).to_string()).unwrap();
}
