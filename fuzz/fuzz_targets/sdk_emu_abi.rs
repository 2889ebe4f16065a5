#![no_main]
//! The emulator's C ABI in-process, without a sandbox or network.
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: wxface_fuzz::abi_harness::setup(),
    |data: &[u8]| wxface_fuzz::abi_harness::sdk_emu_abi(data)
);
