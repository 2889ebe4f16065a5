#![no_main]
//! The v2 XML reader and `parse_authinfo_response`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wxface_fuzz::core_harness::v2_xml(data));
