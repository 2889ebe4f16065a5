//! The checks behind the fuzz targets of `fuzz_targets/`, one function per
//! target. The same files are compiled into the regression tests of the
//! crates under test (`core/tests`, `client/tests`, `sdk-emu/tests`), which
//! replay `fuzz/regressions/<target>/` with stable Rust.

pub mod abi_harness;
pub mod core_harness;
pub mod kiosk_harness;
