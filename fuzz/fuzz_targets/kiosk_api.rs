#![no_main]
//! The kiosk ↔ merchant-server JSON: the reference server's request parsing
//! and `HttpMerchantBackend`'s answer checks.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wxface_fuzz::kiosk_harness::kiosk_api(data));
