//! `wxface sign`, `wxface verify` and `wxface decrypt-local` run as a program
//! against the committed vectors in `tests/vectors/` (computed by Python
//! scripts, independently of wxface).

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn load(rel: &str) -> Value {
    let text = std::fs::read_to_string(vectors().join(rel)).expect("vector file");
    serde_json::from_str(&text).expect("vector JSON")
}

fn wxface() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wxface"));
    c.env_remove("WXFACE_V2_KEY")
        .env_remove("WXFACE_MCH_ID")
        .env_remove("WXFACE_MERCHANT_KEY_FILE")
        .env_remove("WXFACE_LOG");
    c
}

fn stdout_json(out: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tests_of(group: &Value) -> &Vec<Value> {
    group["tests"].as_array().expect("tests")
}

fn groups(file: &Value) -> &Vec<Value> {
    file["testGroups"].as_array().expect("testGroups")
}

// ---------------------------------------------------------------- sign v2

#[test]
fn sign_v2_matches_every_vector_with_key_value_arguments() {
    let file = load("v2/sign.json");
    let mut n = 0;
    for g in groups(&file) {
        for t in tests_of(g) {
            let inputs = &t["inputs"];
            let mut cmd = wxface();
            cmd.args(["sign", "v2", "--json", "--key"])
                .arg(inputs["key"].as_str().expect("key"))
                .arg("--sign-type")
                .arg(inputs["sign_type"].as_str().expect("sign_type"));
            for (k, v) in inputs["fields"].as_object().expect("fields") {
                cmd.arg(format!("{k}={}", v.as_str().expect("string field")));
            }
            let out = cmd.output().expect("run");
            assert!(
                out.status.success(),
                "tcId {}: {}",
                t["tcId"],
                stderr_of(&out)
            );
            let v = stdout_json(&out);
            assert_eq!(v["canonical"], t["canonical"], "tcId {}", t["tcId"]);
            assert_eq!(v["sign"], t["expected"], "tcId {}", t["tcId"]);
            assert_eq!(
                v["string_to_sign"].as_str(),
                Some(format!("{}&key=***", t["canonical"].as_str().expect("c")).as_str())
            );
            n += 1;
        }
    }
    assert!(n >= 6);
}

#[test]
fn sign_v2_reads_json_and_xml_documents_from_files_and_stdin() {
    let file = load("v2/sign.json");
    let t = &tests_of(&groups(&file)[0])[2];
    let inputs = &t["inputs"];
    let key = inputs["key"].as_str().expect("key");
    let dir = tempdir();
    let json_path = dir.join("fields.json");
    std::fs::write(&json_path, inputs["fields"].to_string()).expect("write");
    let mut xml = String::from("<xml>");
    for (k, v) in inputs["fields"].as_object().expect("fields") {
        xml.push_str(&format!(
            "<{k}><![CDATA[{}]]></{k}>",
            v.as_str().expect("s")
        ));
    }
    xml.push_str("</xml>");

    // JSON object from a file; the sign type comes from the `sign_type` field.
    let out = wxface()
        .args(["sign", "v2", "--json", "--key", key])
        .arg(format!("@{}", json_path.display()))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_json(&out)["sign"], t["expected"]);

    // XML on standard input, key from the environment.
    let out = wxface()
        .args(["sign", "v2", "--json", "-"])
        .env("WXFACE_V2_KEY", key)
        .write_stdin(xml)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stdout_json(&out)["sign"], t["expected"]);
}

#[test]
fn sign_v2_key_file_and_text_output_hide_the_key() {
    let dir = tempdir();
    let key_path = dir.join("api.key");
    std::fs::write(&key_path, "192006250b4c09247ec02edce69f6a2d\n").expect("write");
    wxface()
        .args([
            "sign",
            "v2",
            "appid=wxd930ea5d5a258f4f",
            "body=test",
            "device_info=1000",
            "mch_id=10000100",
            "nonce_str=ibuaiVcKdpRxkhJA",
            "--key-file",
        ])
        .arg(&key_path)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=***",
        ))
        .stdout(predicate::str::contains("9A0A8659F005D6984697E2CA0A9CF3B7"))
        .stdout(predicate::str::contains("192006250b4c").not());
}

#[test]
fn sign_v2_checks_a_given_sign() {
    let base = [
        "sign",
        "v2",
        "appid=wxd930ea5d5a258f4f",
        "body=test",
        "device_info=1000",
        "mch_id=10000100",
        "nonce_str=ibuaiVcKdpRxkhJA",
        "--key",
        "192006250b4c09247ec02edce69f6a2d",
    ];
    wxface()
        .args(base)
        .arg("sign=9A0A8659F005D6984697E2CA0A9CF3B7")
        .assert()
        .success()
        .stdout(predicate::str::contains("given sign:     matches"));
    wxface()
        .args(base)
        .arg("sign=9A0A8659F005D6984697E2CA0A9CF3B8")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DOES NOT MATCH"))
        .stderr(predicate::str::starts_with(
            "wxface: error[signature_mismatch]",
        ));
}

#[test]
fn sign_v2_errors_are_one_line() {
    wxface()
        .args(["sign", "v2", "a=b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no v2 API key"))
        .stderr(predicate::function(|s: &str| {
            s.trim_end().lines().count() == 1
        }));
    wxface()
        .args(["sign", "v2", "novalue", "--key", "k"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("wxface: error[usage]"));
    wxface()
        .args(["sign", "v2", "@/nonexistent/fields.xml", "--key", "k"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/nonexistent/fields.xml"));
    wxface()
        .args(["sign", "v2", "-", "--key", "k"])
        .write_stdin("<!DOCTYPE x><xml><a>1</a></xml>")
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("wxface: error[malformed]"));
    // --key and --key-file are exclusive; the environment yields to either.
    wxface()
        .args(["sign", "v2", "a=b", "--key", "k", "--key-file", "/tmp/x"])
        .assert()
        .code(2);
    wxface()
        .args(["sign", "v2", "a=1", "--key", "k2", "--json"])
        .env("WXFACE_V2_KEY", "from-env")
        .assert()
        .success()
        .stdout(predicate::str::contains("511B5FF5C6B9B23FFEDF8D3E0C8882D7"));
}

// ---------------------------------------------------------------- sign v3

#[test]
fn sign_v3_matches_every_vector() {
    let file = load("v3/request_sign.json");
    let mut n = 0;
    for g in groups(&file)
        .iter()
        .filter(|g| g["type"] == "authorization_sign")
    {
        let key = vectors().join(g["privateKeyPem"].as_str().expect("pem"));
        for t in tests_of(g) {
            let i = &t["inputs"];
            let s = |k: &str| i[k].as_str().expect(k).to_owned();
            let out = wxface()
                .args(["sign", "v3", "--json"])
                .arg(s("method"))
                .arg(s("path_and_query"))
                .arg("--mchid")
                .arg(s("mchid"))
                .arg("--serial")
                .arg(s("serial_no"))
                .arg("--key-file")
                .arg(&key)
                .arg("--timestamp")
                .arg(i["timestamp"].to_string())
                .arg("--nonce")
                .arg(s("nonce_str"))
                .arg("--body")
                .arg("-")
                .write_stdin(s("body"))
                .output()
                .expect("run");
            if t["result"] == "valid" {
                assert!(
                    out.status.success(),
                    "tcId {}: {}",
                    t["tcId"],
                    stderr_of(&out)
                );
                let v = stdout_json(&out);
                for f in ["message", "signature", "authorization"] {
                    assert_eq!(v[f], t["expected"][f], "tcId {} {f}", t["tcId"]);
                }
            } else {
                assert_eq!(out.status.code(), Some(1), "tcId {}", t["tcId"]);
                let code = t["code"].as_str().expect("code");
                assert!(
                    stderr_of(&out).starts_with(&format!("wxface: error[{code}]")),
                    "tcId {}: {}",
                    t["tcId"],
                    stderr_of(&out)
                );
            }
            n += 1;
        }
    }
    assert_eq!(n, 28);
}

#[test]
fn sign_v3_takes_the_serial_from_the_certificate_and_prints_text() {
    let keys = vectors().join("keys");
    let serial = "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567";
    wxface()
        .args([
            "sign",
            "v3",
            "GET",
            "/v3/x",
            "--mchid",
            "1900000001",
            "--cert",
        ])
        .arg(keys.join("merchant_cert.pem"))
        .arg("--key-file")
        .arg(keys.join("merchant_pkcs8.pem"))
        .args(["--timestamp", "1767225600", "--nonce", "N1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "message:       \"GET\\n/v3/x\\n1767225600\\nN1\\n\\n\"",
        ))
        .stdout(predicate::str::contains(format!("serial_no=\"{serial}\"")))
        .stdout(predicate::str::contains(
            "Authorization: WECHATPAY2-SHA256-RSA2048 mchid=\"1900000001\",nonce_str=\"N1\"",
        ));
    // Without --timestamp/--nonce: fresh values, still a well-formed header.
    wxface()
        .args([
            "sign",
            "v3",
            "GET",
            "/v3/x",
            "--mchid",
            "1900000001",
            "--serial",
            serial,
        ])
        .arg("--key-file")
        .arg(keys.join("merchant_pkcs1.pem"))
        .assert()
        .success()
        .stdout(predicate::str::is_match(r#"nonce_str="[0-9A-Za-z]{32}""#).expect("regex"));
}

#[test]
fn sign_v3_refuses_a_public_key_as_private_key() {
    let keys = vectors().join("keys");
    wxface()
        .args([
            "sign", "v3", "GET", "/v3/x", "--mchid", "1", "--serial", "AB",
        ])
        .arg("--key-file")
        .arg(keys.join("merchant_pub.pem"))
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with("wxface: error[config]"));
}

// ---------------------------------------------------------------- verify v3

fn verify_args(g: &Value) -> Vec<String> {
    let mut a = Vec::new();
    for c in g["platformCertificates"].as_array().expect("certs") {
        a.push("--cert".into());
        a.push(vectors().join(c.as_str().expect("c")).display().to_string());
    }
    let pk = &g["platformPublicKeys"][0];
    a.push("--public-key".into());
    a.push(
        vectors()
            .join(pk["publicKeyPem"].as_str().expect("pem"))
            .display()
            .to_string(),
    );
    a.push("--public-key-id".into());
    a.push(pk["id"].as_str().expect("id").into());
    a
}

#[test]
fn verify_v3_matches_every_signature_vector() {
    let file = load("v3/response_verify.json");
    let mut n = 0;
    for g in groups(&file)
        .iter()
        .filter(|g| g["type"] == "response_verify")
    {
        let keys = verify_args(g);
        for t in tests_of(g) {
            let i = &t["inputs"];
            let mut cmd = wxface();
            cmd.args(["verify", "v3"]);
            let headers = i["headers"].as_array().expect("headers");
            if headers.is_empty() {
                cmd.arg("X-Nothing: 1");
            }
            for h in headers {
                cmd.arg(format!(
                    "{}: {}",
                    h[0].as_str().expect("name"),
                    h[1].as_str().expect("value")
                ));
            }
            let out = cmd
                .args(&keys)
                .arg("--now")
                .arg(i["now"].to_string())
                .arg("--status")
                .arg(i["status"].to_string())
                .args(["--body", "-"])
                .write_stdin(i["body"].as_str().expect("body"))
                .output()
                .expect("run");
            if t["result"] == "valid" {
                assert!(
                    out.status.success(),
                    "tcId {}: {}",
                    t["tcId"],
                    stderr_of(&out)
                );
                assert!(String::from_utf8_lossy(&out.stdout).starts_with("OK: "));
            } else {
                let code = t["code"].as_str().expect("code");
                assert_eq!(out.status.code(), Some(1), "tcId {}", t["tcId"]);
                assert!(
                    stderr_of(&out).starts_with(&format!("wxface: error[{code}]")),
                    "tcId {} wants {code}: {}",
                    t["tcId"],
                    stderr_of(&out)
                );
                assert!(out.stdout.is_empty());
            }
            n += 1;
        }
    }
    assert_eq!(n, 38);
}

#[test]
fn verify_v3_reads_a_curl_header_dump() {
    let file = load("v3/response_verify.json");
    let g = &groups(&file)[0];
    let t = &tests_of(g)[0];
    let i = &t["inputs"];
    let dir = tempdir();
    let mut dump = String::from("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");
    for h in i["headers"].as_array().expect("headers") {
        dump.push_str(&format!(
            "{}: {}\r\n",
            h[0].as_str().expect("n"),
            h[1].as_str().expect("v")
        ));
    }
    dump.push_str("\r\n");
    let headers = dir.join("headers.txt");
    let body = dir.join("body.json");
    std::fs::write(&headers, dump).expect("write");
    std::fs::write(&body, i["body"].as_str().expect("body")).expect("write");
    let out = wxface()
        .args(["verify", "v3", "--json"])
        .arg(format!("@{}", headers.display()))
        .arg("--body")
        .arg(format!("@{}", body.display()))
        .args(verify_args(g))
        .arg("--now")
        .arg(i["now"].to_string())
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v = stdout_json(&out);
    assert_eq!(v["ok"], true);
    assert_eq!(v["serial"], "6B2C3D4E5F60718293A4B5C6D7E8F9012345678A");
    assert_eq!(v["skew_secs"], 5);
}

#[test]
fn verify_v3_needs_a_key() {
    wxface()
        .args(["verify", "v3", "Wechatpay-Nonce: x", "--body", ""])
        .assert()
        .code(2);
}

// ---------------------------------------------------------------- decrypt

#[test]
fn decrypt_matches_every_vector() {
    let file = load("v3/decrypt.json");
    let mut n = 0;
    for g in groups(&file) {
        let key = vectors().join(g["privateKeyPem"].as_str().expect("pem"));
        let padding = g["padding"].as_str().expect("padding");
        for t in tests_of(g) {
            let i = &t["inputs"];
            let input = if i["kind"] == "field" {
                i["ciphertext"].as_str().expect("ct").to_owned()
            } else {
                let mut o = i.clone();
                o.as_object_mut().expect("obj").remove("kind");
                o.to_string()
            };
            let out = wxface()
                .args([
                    "decrypt-local",
                    "--json",
                    "-",
                    "--padding",
                    padding,
                    "--key-file",
                ])
                .arg(&key)
                .write_stdin(input)
                .output()
                .expect("run");
            if t["result"] == "valid" {
                assert!(
                    out.status.success(),
                    "tcId {}: {}",
                    t["tcId"],
                    stderr_of(&out)
                );
                let v = stdout_json(&out);
                if i["kind"] == "field" {
                    assert_eq!(
                        v["plaintext"], t["expected"]["plaintext"],
                        "tcId {}",
                        t["tcId"]
                    );
                } else {
                    for f in ["name", "credential_type", "credential_id"] {
                        assert_eq!(v[f], t["expected"][f], "tcId {} {f}", t["tcId"]);
                    }
                }
            } else {
                assert_eq!(out.status.code(), Some(1), "tcId {}", t["tcId"]);
                let err = stderr_of(&out);
                assert!(
                    err.starts_with("wxface: error[decryption]"),
                    "tcId {}: {err}",
                    t["tcId"]
                );
                assert_eq!(err.trim_end().lines().count(), 1);
                assert!(out.stdout.is_empty());
            }
            n += 1;
        }
    }
    assert_eq!(n, 47);
}

fn first_real_name_vector() -> (Value, Value) {
    let file = load("v3/decrypt.json");
    let t = tests_of(&groups(&file)[0])[0].clone();
    let mut o = t["inputs"].clone();
    o.as_object_mut().expect("obj").remove("kind");
    (o, t["expected"].clone())
}

#[test]
fn decrypt_masks_on_request_and_reads_a_nested_answer_file() {
    let (enc, expected) = first_real_name_vector();
    let answer = serde_json::json!({"openid": "o-1", "real_name_info": enc});
    let dir = tempdir();
    let path = dir.join("answer.json");
    std::fs::write(&path, answer.to_string()).expect("write");
    let name = expected["name"].as_str().expect("name");
    let id = expected["credential_id"].as_str().expect("id");
    let key = vectors().join("keys/merchant_pkcs8.pem");
    wxface()
        .arg("decrypt-local")
        .arg(format!("@{}", path.display()))
        .arg("--masked")
        .arg("--key-file")
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::contains("name:            测**者"))
        .stdout(predicate::str::contains(
            "credential_id:   110***********1239",
        ))
        .stdout(predicate::str::contains("credential_type: 1 ("))
        .stdout(predicate::str::contains(name).not())
        .stdout(predicate::str::contains(id).not());
    // Clear text is the default: this tool is for the key holder.
    wxface()
        .arg("decrypt-local")
        .arg(format!("@{}", path.display()))
        .arg("--key-file")
        .arg(&key)
        .assert()
        .success()
        .stdout(predicate::str::contains(name))
        .stdout(predicate::str::contains(id));
}

#[test]
fn decrypt_failures_never_echo_plaintext() {
    // Right ciphertexts, wrong padding: implicit rejection gives garbage,
    // which must be refused without showing any of it.
    let (enc, expected) = first_real_name_vector();
    let out = wxface()
        .args(["decrypt-local", "-", "--padding", "oaep-sha1", "--key-file"])
        .arg(vectors().join("keys/merchant_pkcs8.pem"))
        .write_stdin(enc.to_string())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.starts_with("wxface: error[decryption]"), "{err}");
    assert!(!err.contains(expected["name"].as_str().expect("n")));
    assert!(!err.contains(expected["credential_id"].as_str().expect("i")));
}

/// The oracle cases of `tests/vectors/v3/signed_answers.json`: every bad
/// ciphertext gives the same one line, byte for byte.
#[test]
fn every_bad_ciphertext_gives_the_same_error_line() {
    let file = load("v3/signed_answers.json");
    let key = vectors().join(file["privateKeyPem"].as_str().expect("pem"));
    let mut lines = std::collections::BTreeSet::new();
    let mut n = 0;
    for t in file["tests"].as_array().expect("tests") {
        if t["oracle"] != true {
            continue;
        }
        let out = wxface()
            .args(["decrypt-local", "-", "--padding"])
            .arg(t["group"].as_str().expect("group"))
            .arg("--key-file")
            .arg(&key)
            .write_stdin(t["body"].as_str().expect("body"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "tcId {}", t["tcId"]);
        assert!(out.stdout.is_empty());
        lines.insert(stderr_of(&out));
        n += 1;
    }
    assert!(n >= 15, "{n} oracle cases");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines
        .iter()
        .all(|l| l.starts_with("wxface: error[decryption]")));
}

#[test]
fn decrypt_help_warns_about_personal_data() {
    wxface()
        .args(["decrypt-local", "--help"])
        .assert()
        .success()
        .stdout(predicate::function(|s: &str| {
            let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
            flat.contains("prints personal data") && flat.contains("never expose it as a service")
        }));
}

#[test]
fn stdin_is_used_once() {
    wxface()
        .args(["sign", "v2", "-", "-", "--key", "k"])
        .write_stdin("{\"a\":\"1\"}")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("one value only"));
}

/// A fresh scratch directory for this test process (under the target directory).
fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "wxface-cli-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}
