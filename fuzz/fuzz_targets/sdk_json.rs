#![no_main]
//! Face SDK request and reply JSON, both directions, with round trips.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wxface_fuzz::core_harness::sdk_json(data));
