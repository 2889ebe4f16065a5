#![no_main]
//! `Authorization`, request verification, the users query target and the
//! `Wechatpay-*` answer headers.
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wxface_fuzz::core_harness::{v3_headers, V3Context};

static CTX: OnceLock<V3Context> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let ctx = CTX.get_or_init(|| V3Context::new(wxface_core::crypto::aws_lc().as_ref()));
    v3_headers(ctx, data);
});
