//! `wxface doctor` against the sandbox: a good configuration passes, and
//! each misconfiguration is reported with its own message and what to fix.

mod common;

use std::path::Path;
use std::process::Command;

use common::{start, tempdir};

/// `wxface doctor --keys-dir KEYS --base-url URL` with `env` on top: (exit
/// code, stdout).
fn doctor(keys: &Path, url: &str, env: &[(&str, &str)], extra: &[&str]) -> (i32, String) {
    let mut cmd = common::wxface_command();
    cmd.args(["doctor", "--keys-dir"])
        .arg(keys)
        .args(["--base-url", url])
        .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The `✗` line of `check`, and its `fix:` line.
fn failure<'a>(report: &'a str, check: &str) -> (&'a str, &'a str) {
    let mut lines = report.lines();
    while let Some(l) = lines.next() {
        if l.trim_start().starts_with(&format!("✗ {check}")) {
            return (l, lines.next().unwrap_or_default());
        }
    }
    panic!("no failure of {check}:\n{report}")
}

/// A PEM made by the `openssl` CLI: a fresh key, or the public key of one.
fn openssl(args: &[&str]) {
    let st = Command::new("openssl")
        .args(args)
        .status()
        .expect("openssl");
    assert!(st.success(), "openssl {args:?}");
}

#[test]
fn a_good_configuration_passes_and_each_misconfiguration_says_what_to_fix() {
    let dir = tempdir("doctor");
    let keys = dir.join("keys");
    let sandbox = start(&[
        "sandbox",
        "serve",
        "--keys-dir",
        keys.to_str().expect("utf-8"),
    ]);
    let url = sandbox.url.clone();

    let (code, report) = doctor(&keys, &url, &[], &[]);
    assert_eq!(code, 0, "{report}");
    for check in [
        "configuration",
        "APIv3 host",
        "v2 host",
        "clock",
        "APIv3 signatures",
        "v2 API key",
    ] {
        assert!(report.contains(&format!("✓ {check}")), "{check}:\n{report}");
    }
    assert!(report.contains("every check passed"));

    let other = dir.join("other.pem");
    let other_pub = dir.join("other_pub.pem");
    let merchant_pub = dir.join("merchant_pub.pem");
    let p = |p: &Path| p.to_str().expect("utf-8").to_owned();
    openssl(&["genrsa", "-out", &p(&other), "2048"]);
    openssl(&["pkey", "-in", &p(&other), "-pubout", "-out", &p(&other_pub)]);
    openssl(&[
        "pkey",
        "-in",
        &p(&keys.join("apiclient_key.pem")),
        "-pubout",
        "-out",
        &p(&merchant_pub),
    ]);
    let merchant_cert = p(&keys.join("apiclient_cert.pem"));

    struct Case<'a> {
        env: Vec<(&'a str, String)>,
        check: &'a str,
        says: &'a str,
        fix: &'a str,
    }
    let cases = [
        Case {
            env: vec![("WXFACE_MERCHANT_KEY_FILE", p(&other))],
            check: "APIv3 signatures",
            says: "refused the merchant's signature",
            fix: "merchant private key",
        },
        Case {
            env: vec![(
                "WXFACE_MERCHANT_SERIAL_NO",
                "ABCDEF0123456789ABCDEF0123456789ABCDEF01".into(),
            )],
            check: "APIv3 signatures",
            says: "SIGN_ERROR",
            fix: "merchant_serial_no",
        },
        Case {
            env: vec![("WXFACE_PLATFORM_CERT_FILE", merchant_cert)],
            check: "configuration",
            says: "serial of the merchant's own certificate",
            fix: "docs/configuration.md",
        },
        Case {
            env: vec![
                ("WXFACE_PLATFORM_PUBLIC_KEY_ID", "PUB_KEY_ID_0123".into()),
                ("WXFACE_PLATFORM_PUBLIC_KEY_FILE", p(&merchant_pub)),
            ],
            check: "configuration",
            says: "merchant's own public key",
            fix: "docs/configuration.md",
        },
        Case {
            env: vec![
                ("WXFACE_PLATFORM_PUBLIC_KEY_ID", "PUB_KEY_ID_0999".into()),
                ("WXFACE_PLATFORM_PUBLIC_KEY_FILE", p(&other_pub)),
            ],
            check: "APIv3 signatures",
            says: "does not know the platform key",
            fix: "platform_public_key_id",
        },
        Case {
            env: vec![("WXFACE_V2_KEY", "0".repeat(32))],
            check: "v2 API key",
            says: "the v2 API key is not merchant",
            fix: "v2_key_file",
        },
    ];
    for c in &cases {
        let env: Vec<(&str, &str)> = c.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, report) = doctor(&keys, &url, &env, &[]);
        assert_eq!(code, 1, "{report}");
        let (line, fix) = failure(&report, c.check);
        assert!(line.contains(c.says), "{line}");
        assert!(fix.contains("fix:") && fix.contains(c.fix), "{fix}");
        // No key material in any report.
        assert!(
            !report.contains("PRIVATE KEY") && !report.contains("0000000000000000"),
            "{report}"
        );
    }

    // A proxy that cannot be reached: both hosts fail, naming the proxy,
    // and the password is not printed.
    let (code, report) = doctor(
        &keys,
        &url,
        &[],
        &["--proxy", "http://his:pr0xy-pw@127.0.0.1:1"],
    );
    assert_eq!(code, 1, "{report}");
    let (line, fix) = failure(&report, "APIv3 host");
    assert!(line.contains("through the proxy"), "{line}");
    assert!(fix.contains("WXFACE_PROXY"), "{fix}");
    assert!(!report.contains("pr0xy-pw"), "{report}");
    assert!(report.contains("not checked"), "{report}");
}
