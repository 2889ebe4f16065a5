//! The deployment shape, all processes real: the emulator library through
//! `NativeFaceSdk`, `HttpMerchantBackend` talking to the reference merchant
//! server (`wxface merchant serve`), which talks to the sandbox binary
//! (`wxface-sandbox`).
//!
//! `cargo test` builds neither binary nor the library: without them this test
//! prints why and passes without running (CI runs `cargo build --workspace`
//! first).
#![cfg(all(feature = "native", feature = "http"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Says why a test does not run, past the test harness's output capture.
fn skip(why: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(format!("SKIPPED: {why}\n").as_bytes());
}

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use wxface_capture::{
    HttpMerchantBackend, Kiosk, MerchantBackend, NativeFaceSdk, ProgressEvent, VerifyHooks,
};
use wxface_core::flow::{FlowConfig, Outcome};
use wxface_core::time::SystemClock;

const DEVICE: &str = "REF-KIOSK-01";
const STORE: &str = "REF-STORE-01";

/// A child process, killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `program args…` and return it with the rest of the first stdout
/// line that starts with `prefix`.
fn spawn_and_read(program: &Path, args: &[&str], prefix: &str) -> (Process, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let stdout = child.stdout.take().unwrap();
    let process = Process(child);
    let (tx, rx) = std::sync::mpsc::channel();
    let wanted = prefix.to_owned();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(&wanted) {
                let _ = tx.send(rest.trim().to_owned());
            }
        }
    });
    let value = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{} printed no `{prefix}` line", program.display()));
    (process, value)
}

fn artefacts() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.to_owned();
    let lib = dir.join(libloading::library_filename("wxface_sdk_emu"));
    let sandbox = dir.join(format!("wxface-sandbox{}", std::env::consts::EXE_SUFFIX));
    let cli = dir.join(format!("wxface{}", std::env::consts::EXE_SUFFIX));
    for p in [&lib, &sandbox, &cli] {
        if !p.is_file() {
            skip(&format!(
                "{} is missing; run `cargo build --workspace` first",
                p.display()
            ));
            return None;
        }
    }
    Some((lib, sandbox, cli))
}

#[test]
fn kiosk_against_the_reference_merchant_server() {
    let Some((lib, sandbox_bin, cli)) = artefacts() else {
        return;
    };
    let keys = std::env::temp_dir().join(format!("wxface-capture-ref-{}", std::process::id()));
    let keys_arg = keys.to_str().unwrap();
    let (_sandbox, sandbox_url) = spawn_and_read(
        &sandbox_bin,
        &["--port", "0", "--keys-dir", keys_arg],
        "url:",
    );
    // The hospital issues the kiosk its credential into the store the
    // server reads.
    let devices = keys.join("devices.sqlite3");
    let devices_arg = devices.to_str().unwrap();
    std::fs::create_dir_all(&keys).unwrap();
    let _ = std::fs::remove_file(&devices);
    let issued = Command::new(&cli)
        .args([
            "merchant",
            "devices",
            "--devices",
            devices_arg,
            "add",
            DEVICE,
        ])
        .output()
        .unwrap();
    assert!(issued.status.success(), "{issued:?}");
    let credential = String::from_utf8(issued.stdout).unwrap().trim().to_owned();
    let (_merchant, merchant_url) = spawn_and_read(
        &cli,
        &[
            "merchant",
            "serve",
            "--devices",
            devices_arg,
            "--port",
            "0",
            "--keys-dir",
            keys_arg,
            "--wechat-url",
            &sandbox_url,
            "--store-id",
            STORE,
            "--registry",
            ":memory:",
        ],
        "listening on",
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(keys.join("sandbox.json")).unwrap()).unwrap();

    // This test binary is a process of its own: its environment configures
    // the emulator library for it alone.
    std::env::set_var("WXFACE_EMU_SANDBOX_URL", &sandbox_url);
    std::env::set_var("WXFACE_EMU_DEVICE_ID", DEVICE);
    let sdk = Arc::new(NativeFaceSdk::load(&lib).unwrap());
    // Without the credential the server lets the kiosk nowhere.
    let stranger = HttpMerchantBackend::builder(&merchant_url).build().unwrap();
    assert_eq!(
        stranger.authinfo("RAW", DEVICE).unwrap_err().code(),
        "unauthenticated"
    );
    let backend = Arc::new(HttpMerchantBackend::new(&merchant_url, &credential).unwrap());
    let config = FlowConfig::new(
        manifest["appid"].as_str().unwrap(),
        manifest["mch_id"].as_str().unwrap(),
        STORE,
    );
    let kiosk = Kiosk::new(config, DEVICE, sdk, backend, Arc::new(SystemClock)).unwrap();
    kiosk.start().unwrap();

    let mut events = Vec::new();
    let first = kiosk.verify(VerifyHooks::new().on_progress(|e| events.push(e.clone())));
    let Outcome::Verified { identity, .. } = &first else {
        panic!("{first:?}");
    };
    assert!(identity.name.contains('*') && identity.credential_id.contains('*'));
    assert!(matches!(
        events.last(),
        Some(ProgressEvent::Finished {
            outcome: "verified",
            ..
        })
    ));
    // The server recorded the patient: the next visit quits the SDK.
    assert_eq!(
        kiosk.verify(VerifyHooks::new()).as_str(),
        "already_verified"
    );
    kiosk.shutdown().unwrap();
    let _ = std::fs::remove_dir_all(&keys);
}
