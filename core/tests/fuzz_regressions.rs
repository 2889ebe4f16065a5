//! Replays the inputs the fuzz targets of `fuzz/` keep: every file of
//! `fuzz/regressions/<target>/` (inputs that once failed) and of
//! `fuzz/corpus/<target>/` (the minimised corpus), through the same checks
//! the targets make (`fuzz/src/core_harness.rs`), on stable Rust.
#![cfg(all(feature = "rust-crypto", feature = "os"))]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use wxface_core::crypto::CryptoProvider;

#[path = "../../fuzz/src/core_harness.rs"]
mod harness;

/// Every saved input of `target`, regressions first.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut out = Vec::new();
    for dir in ["regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((p, data));
        }
    }
    out
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    let all = inputs(target);
    for (path, data) in &all {
        eprintln!("replaying {}", path.display());
        check(data);
    }
    eprintln!("{target}: {} inputs", all.len());
}

/// Every provider compiled in.
fn providers() -> Vec<Arc<dyn CryptoProvider>> {
    vec![
        wxface_core::crypto::rust_crypto(),
        #[cfg(feature = "aws-lc")]
        wxface_core::crypto::aws_lc(),
    ]
}

#[test]
fn v2_xml() {
    replay("v2_xml", harness::v2_xml);
}

#[test]
fn sdk_json() {
    replay("sdk_json", harness::sdk_json);
}

#[test]
fn users_answer() {
    for p in providers() {
        let ctx = harness::V3Context::new(p.as_ref());
        replay("users_answer", |d| harness::users_answer(&ctx, d));
    }
}

#[test]
fn v3_headers() {
    for p in providers() {
        let ctx = harness::V3Context::new(p.as_ref());
        replay("v3_headers", |d| harness::v3_headers(&ctx, d));
    }
}

#[test]
fn keys() {
    let providers = providers();
    replay("keys", |d| harness::keys(&providers, d));
}

/// The input that made `Fields::to_xml` write a document the reader then
/// refused: `<;<;</\t\0la</>` was read as an empty element named `;<;</`.
#[test]
fn element_names_are_xml_names() {
    let e = wxface_core::v2::Fields::parse_xml(b"<;<;</\t\0la</>").err();
    assert_eq!(e.map(|e| e.code()), Some("malformed"));
    let e = wxface_core::v2::Fields::parse_xml(b"<xml><a x=\"1\"/></xml>").err();
    assert_eq!(e.map(|e| e.code()), Some("malformed"));
    let f = wxface_core::v2::Fields::parse_xml(
        b"<xml><return_code>SUCCESS</return_code><sub.x-y/></xml>",
    );
    assert_eq!(f.map(|f| f.0.len()).ok(), Some(2));
}
