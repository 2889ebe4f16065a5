//! `wxface demo`, run as a program, for every scenario: the kiosk drives
//! the emulator library through the C ABI, the merchant server talks to the
//! embedded sandbox, and only masked identities are ever printed.

mod common;

use std::process::Output;

use common::wxface_command;

/// The sandbox's fictitious persons: none of these may ever be printed.
const FULL_NAMES: [&str; 5] = [
    "测试患者甲",
    "测试患者乙",
    "测丙",
    "测试·长名患者·丁戊己庚辛",
    "测试患者戊",
];

fn demo(args: &[&str]) -> Output {
    wxface_command()
        .args(["demo", "--latency-ms", "0", "--plain"])
        .args(args)
        .output()
        .expect("run wxface demo")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// No full name, no full credential number, no key material, anywhere.
fn assert_no_personal_data(all: &str) {
    for n in FULL_NAMES {
        assert!(!all.contains(n), "a full name was printed:\n{all}");
    }
    let digits: Vec<char> = all.chars().collect();
    let mut run = 0;
    for c in digits {
        if c.is_ascii_digit() {
            run += 1;
            assert!(run < 15, "a long number (credential?) was printed:\n{all}");
        } else {
            run = 0;
        }
    }
    assert!(!all.contains("PRIVATE KEY"), "{all}");
}

fn ok(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert!(
        out.status.success(),
        "demo failed ({:?})\n{stdout}\n{stderr}",
        out.status
    );
    assert_no_personal_data(&format!("{stdout}\n{stderr}"));
    stdout
}

fn lines_with<'a>(s: &'a str, needle: &str) -> Vec<&'a str> {
    s.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn verified_through_the_c_abi() {
    let out = ok(&demo(&[]));
    assert!(
        out.contains("C ABI (wxpayCallFaceService) → "),
        "the demo did not use the library:\n{out}"
    );
    assert!(!out.contains("notice:"), "{out}");
    for call in [
        "initWxpayface",
        "getWxpayfaceRawdata",
        "POST /kiosk/authinfo",
        "getWxpayfaceCode",
        "POST /kiosk/verified",
        "getWxpayAuth quit=0",
        "POST /kiosk/real-name",
        "releaseWxpayface",
    ] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("✓ {call}"))),
            "no finished step {call}:\n{out}"
        );
    }
    assert!(
        out.contains("→ verified: 测***甲 · 身份证 · 110***********1233"),
        "{out}"
    );
    // It ends with the masked identity and the time of every step.
    let tail = out.rsplit("result: verified").next().unwrap_or_default();
    assert!(tail.contains("测***甲"), "{out}");
    assert!(tail.contains("time per step"), "{out}");
    for step in [
        "initWxpayface",
        "getWxpayfaceCode",
        "releaseWxpayface",
        "total",
    ] {
        assert!(
            tail.lines()
                .any(|l| l.trim_start().starts_with(step) && l.trim_end().ends_with(" ms")),
            "no time for {step}:\n{out}"
        );
    }
}

#[test]
fn already_verified_quits_the_sdk_in_both_sandbox_modes() {
    // By default the face SDK answers no openid with the face_sid (the
    // spec's table): the merchant server resolves it; with
    // --openid-with-face-sid the kiosk reports it and the server checks it.
    for (mode, extra) in [
        ("spec table", &[][..]),
        ("openid with face_sid", &["--openid-with-face-sid"][..]),
    ] {
        let out = ok(&demo(
            &[&["--scenario", "already-verified"][..], extra].concat(),
        ));
        assert!(out.contains("✓ POST /kiosk/verified"), "{mode}:\n{out}");
        assert!(out.contains("✓ getWxpayAuth quit=1"), "{mode}:\n{out}");
        assert!(!out.contains("getWxpayAuth quit=0"), "{mode}:\n{out}");
        assert!(!out.contains("/kiosk/real-name"), "{mode}:\n{out}");
        assert!(out.contains("→ already verified"), "{mode}:\n{out}");
        assert!(out.contains("result: already_verified"), "{mode}:\n{out}");
        let said = if extra.is_empty() {
            "recognition answers face_sid only"
        } else {
            "recognition answers face_sid and openid"
        };
        assert!(out.contains(said), "{mode}:\n{out}");
    }
}

#[test]
fn refused_fetches_no_identity() {
    let out = ok(&demo(&["--scenario", "refused"]));
    assert!(out.contains("✗ getWxpayAuth quit=0"), "{out}");
    assert!(out.contains("the patient declined"), "{out}");
    assert!(!out.contains("/kiosk/real-name"), "{out}");
    assert!(out.contains("→ consent refused"), "{out}");
    assert!(!out.contains("→ verified"), "{out}");
}

#[test]
fn authinfo_expired_is_refreshed_once() {
    let out = ok(&demo(&["--scenario", "authinfo-expired"]));
    assert_eq!(lines_with(&out, "✓ POST /kiosk/authinfo").len(), 2, "{out}");
    assert_eq!(lines_with(&out, "✗ getWxpayfaceCode").len(), 1, "{out}");
    assert_eq!(lines_with(&out, "✓ getWxpayfaceCode").len(), 1, "{out}");
    assert!(out.contains("271382020"), "{out}");
    assert!(
        out.contains("→ verified: 测* · 身份证 · 440***********"),
        "{out}"
    );
}

#[test]
fn backend_faults_retry_then_fail_typed() {
    let out = ok(&demo(&["--scenario", "backend-faults"]));
    assert!(out.contains("3 retries"), "{out}");
    assert!(out.contains("→ verified: 测*"), "{out}");
    assert!(
        out.contains("→ failed at fetching_real_name [signature_mismatch]"),
        "{out}"
    );
    // The forged answer is not retried.
    let failed_visit = out
        .split("wrongly signed")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    assert!(failed_visit.contains(" 0 retries"), "{out}");
    // Two visits: a summary table with both.
    assert_eq!(lines_with(&out, "as expected").len(), 2, "{out}");
}

#[test]
fn all_scenarios_in_one_run() {
    let out = ok(&demo(&["--scenario", "all"]));
    let table = out.rsplit("summary").next().unwrap_or_default();
    for scenario in [
        "verified ",
        "already-verified",
        "refused",
        "authinfo-expired",
        "backend-faults",
    ] {
        assert!(
            table
                .lines()
                .any(|l| l.trim_start().starts_with(scenario) && l.contains("as expected")),
            "{scenario} missing or unexpected in the summary:\n{out}"
        );
    }
    assert_eq!(lines_with(table, "as expected").len(), 6, "{out}");
    assert!(!out.contains("UNEXPECTED"), "{out}");
    assert!(out.contains("slowest steps:"), "{out}");
}

#[test]
fn in_process_emulator_on_request() {
    let out = ok(&demo(&["--sdk", "in-process"]));
    assert!(
        out.contains("notice: the face SDK runs in-process, without the C ABI"),
        "{out}"
    );
    assert!(out.contains("→ verified: 测***甲"), "{out}");
}

#[test]
fn a_binary_without_its_library_falls_back_with_a_notice() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lonely-wxface-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let exe = dir.join("wxface");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_wxface"), &exe).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_wxface"), &exe).expect("copy");
    }
    let mut cmd = std::process::Command::new(&exe);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("WXFACE_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(["demo", "--latency-ms", "0", "--plain"])
        .output()
        .expect("run");
    let stdout = ok(&out);
    assert!(
        stdout.contains("notice: the face SDK runs in-process")
            && stdout.contains("libwxface_sdk_emu"),
        "{stdout}"
    );
    // --sdk native refuses to fall back.
    let mut cmd = std::process::Command::new(&exe);
    cmd.env_remove("WXFACE_SDK_LIBRARY");
    let out = cmd
        .args(["demo", "--sdk", "native", "--plain"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let (_, err) = text(&out);
    assert!(err.starts_with("wxface: error[runtime]"), "{err}");
    assert!(err.contains("--sdk-lib"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unloadable_library_is_one_clear_error() {
    let dir = common::tempdir("badlib");
    let lib = dir.join("libnot_an_sdk.so");
    std::fs::write(&lib, b"not a shared object").expect("write");
    let out = wxface_command()
        .args(["demo", "--plain", "--sdk-lib"])
        .arg(&lib)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let (_, err) = text(&out);
    assert!(
        err.starts_with("wxface: error[runtime]: cannot load the face SDK library"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
