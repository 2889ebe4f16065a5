//! Replays the inputs the fuzz target `kiosk_api` keeps
//! (`fuzz/regressions/kiosk_api/`, `fuzz/corpus/kiosk_api/`) through its
//! checks (`fuzz/src/kiosk_harness.rs`): the reference server's request
//! parsing and the kiosk's answer checks, on stable Rust.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/kiosk_harness.rs"]
mod harness;

#[test]
fn kiosk_api() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut n = 0;
    for dir in ["regressions", "corpus"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join("kiosk_api")) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            eprintln!("replaying {}", p.display());
            harness::kiosk_api(&data);
            n += 1;
        }
    }
    eprintln!("kiosk_api: {n} inputs");
}
