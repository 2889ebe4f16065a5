#![no_main]
//! `handle_users_response` with fuzzed status, headers and body.
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wxface_fuzz::core_harness::{users_answer, V3Context};

static CTX: OnceLock<V3Context> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let ctx = CTX.get_or_init(|| V3Context::new(wxface_core::crypto::aws_lc().as_ref()));
    users_answer(ctx, data);
});
