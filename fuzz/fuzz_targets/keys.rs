#![no_main]
//! PEM, PKCS#1, PKCS#8, SPKI and X.509 parsing, loaded into both providers.
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use wxface_core::crypto::{aws_lc, rust_crypto, CryptoProvider};

static PROVIDERS: OnceLock<Vec<Arc<dyn CryptoProvider>>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let providers = PROVIDERS.get_or_init(|| vec![rust_crypto(), aws_lc()]);
    wxface_fuzz::core_harness::keys(providers, data);
});
