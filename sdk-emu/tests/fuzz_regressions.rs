//! Replays the inputs the fuzz target `sdk_emu_abi` keeps
//! (`fuzz/regressions/sdk_emu_abi/`, `fuzz/corpus/sdk_emu_abi/`) through its
//! checks (`fuzz/src/abi_harness.rs`): the C ABI in-process, with no sandbox
//! and no network, on stable Rust. One test: the harness sets the
//! emulator's environment once, before any call.
#![allow(unsafe_code)]

use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/abi_harness.rs"]
mod harness;

#[test]
fn sdk_emu_abi() {
    harness::setup();
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut n = 0;
    for dir in ["regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join("sdk_emu_abi")) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            eprintln!("replaying {}", p.display());
            harness::sdk_emu_abi(&data);
            n += 1;
        }
    }
    eprintln!("sdk_emu_abi: {n} inputs");
}
