//! Decrypting unverified fields does not compile: each file under
//! `tests/compile_fail/` tries one way around the verifier and must fail
//! with the error its `.stderr` file records.
//!
//! Run by `scripts/test.sh rust` as `cargo test -p wxface-core --test
//! compile_fail` with the default features (the pure-Rust provider), so the
//! cases build quickly and the expected messages stay stable.
#![cfg(not(feature = "aws-lc"))]

#[test]
fn decrypting_unverified_fields_does_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
