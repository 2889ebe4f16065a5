//! `ClientSettings`: options, the `WXFACE_*` environment (through
//! `from_lookup`, so no test touches the process environment), the pairing
//! rules, the defaults, the sandbox key set, and refusals that name the
//! option and never carry a secret, a value or a path.

use std::collections::HashMap;
use std::path::PathBuf;

use wxface_client::{ClientSettings, Error, SettingValue};
use wxface_core::crypto::Padding;
use wxface_core::decrypt::Decryptor;

const APPID: &str = "wx2421b1c4370ec43b";
const MCH_ID: &str = "1900000001";
const API_KEY: &str = "192006250b4c09247ec02edce69f6a2d";
const APIV3_KEY: &str = "0123456789abcdefghijklmnopqrstuv";
const MERCHANT_SERIAL: &str = "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567";
const SUB_MERCHANT_SERIAL: &str = "4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F70";
const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
/// A value that must never come back in an error or in `Debug`.
const SECRET: &str = "TOP-SECRET-VALUE-0xDEADBEEF";

fn key_path(name: &str) -> PathBuf {
    PathBuf::from(format!(
        "{}/../tests/vectors/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn key(name: &str) -> String {
    let path = key_path(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |var| map.get(var).cloned()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wxface-settings-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tempdir");
    dir
}

/// A complete direct-merchant configuration.
fn direct() -> ClientSettings {
    let mut s = ClientSettings::default();
    s.set("appid", APPID.into()).expect("appid");
    s.set("mch_id", MCH_ID.into()).expect("mch_id");
    s.set("v2_key", API_KEY.into()).expect("v2_key");
    s.set("merchant_serial_no", MERCHANT_SERIAL.into())
        .expect("serial");
    s.set("merchant_key_pem", key("merchant_pkcs8.pem").into())
        .expect("key");
    s.set("platform_public_key_id", PUB_KEY_ID.into())
        .expect("id");
    s.set(
        "platform_public_key_pem",
        key("platform_pubkey_pub.pem").into(),
    )
    .expect("pem");
    s
}

/// The error's text, checked to hold neither the secret nor the given extra
/// values.
#[track_caller]
fn refused(e: &Error, forbidden: &[&str]) -> String {
    let text = e.to_string();
    for f in [SECRET].iter().chain(forbidden) {
        assert!(!text.contains(f), "{text:?} contains {f:?}");
    }
    let debug = format!("{e:?}");
    for f in [SECRET].iter().chain(forbidden) {
        assert!(!debug.contains(f), "{debug:?} contains {f:?}");
    }
    text
}

#[track_caller]
fn invalid_on(e: &Error, option: &str) {
    match e {
        Error::InvalidInput { field, .. } => assert_eq!(field, option, "{e}"),
        other => panic!("expected invalid input on `{option}`, got {other:?}"),
    }
}

#[track_caller]
fn config_naming(e: &Error, option: &str) {
    match e {
        Error::Config(m) => assert!(m.contains(&format!("`{option}`")), "{e}"),
        other => panic!("expected a configuration error naming `{option}`, got {other:?}"),
    }
}

// ---------------------------------------------------------------- environment

#[test]
fn every_variable_is_read() {
    let values: Vec<(&str, &str)> = ClientSettings::ENV
        .iter()
        .map(|(option, var)| {
            let v = match *option {
                "timeout"
                | "connect_timeout"
                | "retry_backoff"
                | "authinfo_refresh_margin"
                | "response_window" => "1.5",
                "max_retries" => "3",
                "pinned_platform_serials" => "AA, BB,,",
                "platform_certificate_file" => "/a.pem,/b.pem",
                _ => option,
            };
            (*var, v)
        })
        .collect();
    let s = ClientSettings::from_lookup(env(&values)).expect("settings");
    assert_eq!(s.appid.as_deref(), Some("appid"));
    assert_eq!(s.mch_id.as_deref(), Some("mch_id"));
    assert_eq!(s.sign_type.as_deref(), Some("sign_type"));
    assert_eq!(s.merchant_serial_no.as_deref(), Some("merchant_serial_no"));
    assert_eq!(
        s.platform_public_key_id.as_deref(),
        Some("platform_public_key_id")
    );
    assert_eq!(s.sub_mch_id.as_deref(), Some("sub_mch_id"));
    assert_eq!(s.sub_appid.as_deref(), Some("sub_appid"));
    assert_eq!(s.sub_serial_no.as_deref(), Some("sub_serial_no"));
    assert_eq!(s.padding.as_deref(), Some("padding"));
    assert_eq!(s.store_id.as_deref(), Some("store_id"));
    assert_eq!(s.store_name.as_deref(), Some("store_name"));
    assert_eq!(s.base_url.as_deref(), Some("base_url"));
    // Both variables of a pair are read when neither half was given; the
    // later (`_file`) wins.
    assert_eq!(s.v2_key, None);
    assert_eq!(s.v2_key_file, Some(PathBuf::from("v2_key_file")));
    assert_eq!(s.merchant_key_pem, None);
    assert_eq!(
        s.merchant_key_file,
        Some(PathBuf::from("merchant_key_file"))
    );
    assert_eq!(s.apiv3_key_file, Some(PathBuf::from("apiv3_key_file")));
    assert_eq!(
        s.platform_public_key_file,
        Some(PathBuf::from("platform_public_key_file"))
    );
    assert_eq!(s.decrypt_key_file, Some(PathBuf::from("decrypt_key_file")));
    // `WXFACE_BASE_URL` from the environment does not hide the specific ones.
    assert_eq!(s.payapp_base_url.as_deref(), Some("payapp_base_url"));
    assert_eq!(s.apimch_base_url.as_deref(), Some("apimch_base_url"));
    assert_eq!(s.platform_certificate_pem, vec!["platform_certificate_pem"]);
    assert_eq!(
        s.platform_certificate_file,
        vec![PathBuf::from("/a.pem"), PathBuf::from("/b.pem")]
    );
    assert_eq!(s.pinned_platform_serials, vec!["AA", "BB"]);
    assert_eq!(s.timeout, Some(1.5));
    assert_eq!(s.connect_timeout, Some(1.5));
    assert_eq!(s.retry_backoff, Some(1.5));
    assert_eq!(s.authinfo_refresh_margin, Some(1.5));
    assert_eq!(s.response_window, Some(1.5));
    assert_eq!(s.max_retries, Some(3));
    assert_eq!(s.keys_dir, Some(PathBuf::from("keys_dir")));
}

#[test]
fn the_table_has_one_variable_per_option() {
    let mut options: Vec<&str> = ClientSettings::ENV.iter().map(|(o, _)| *o).collect();
    let mut vars: Vec<&str> = ClientSettings::ENV.iter().map(|(_, v)| *v).collect();
    let n = options.len();
    options.sort_unstable();
    options.dedup();
    vars.sort_unstable();
    vars.dedup();
    assert_eq!((options.len(), vars.len()), (n, n));
    for (option, var) in ClientSettings::ENV {
        assert!(var.starts_with("WXFACE_"), "{var}");
        assert!(ClientSettings::is_option(option));
        assert_eq!(ClientSettings::env_var(option), Some(*var));
    }
    assert!(!ClientSettings::is_option("decryptor"));
}

#[test]
fn the_docs_list_every_option_and_variable() {
    let doc = std::fs::read_to_string(format!(
        "{}/../docs/configuration.md",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("docs/configuration.md");
    for (option, var) in ClientSettings::ENV {
        assert!(
            doc.contains(&format!("| `{option}` | `{var}` |")),
            "docs/configuration.md lacks the row of `{option}`"
        );
    }
}

#[test]
fn given_options_keep_their_variables_out() {
    let vars = env(&[
        ("WXFACE_APPID", "wx_from_env"),
        ("WXFACE_MCH_ID", "1900000002"),
        ("WXFACE_MERCHANT_KEY_FILE", "/env/key.pem"),
        ("WXFACE_V2_KEY_FILE", "/env/v2.txt"),
        ("WXFACE_APIV3_KEY", SECRET),
        ("WXFACE_PAYAPP_BASE_URL", "https://payapp.example"),
        ("WXFACE_APIMCH_BASE_URL", "https://apimch.example"),
        ("WXFACE_STORE_ID", ""),
    ]);
    let mut s = ClientSettings::default();
    s.set("appid", APPID.into()).expect("appid");
    s.set("merchant_key_pem", "pem".into()).expect("key");
    s.set("v2_key", "k".into()).expect("v2");
    s.merge_lookup(&["base_url", "apiv3_key_file"], vars)
        .expect("merge");
    // Set already: kept.
    assert_eq!(s.appid.as_deref(), Some(APPID));
    // Not given: from the environment.
    assert_eq!(s.mch_id.as_deref(), Some("1900000002"));
    // One half of a pair set: the other half's variable is not read.
    assert!(s.merchant_key_file.is_none());
    assert!(s.merchant_key_pem.is_some());
    assert!(s.v2_key_file.is_none());
    // Given as "none" (one half named): neither variable of the pair is read.
    assert!(s.apiv3_key.is_none() && s.apiv3_key_file.is_none());
    // `base_url` given: the two specific hosts are not read.
    assert!(s.payapp_base_url.is_none() && s.apimch_base_url.is_none());
    // Empty variables are ignored.
    assert!(s.store_id.is_none());
}

#[test]
fn a_set_base_url_keeps_the_specific_variables_out() {
    let mut s = ClientSettings::default();
    s.base_url = Some("http://127.0.0.1:1".into());
    s.merge_lookup(&[], env(&[("WXFACE_APIMCH_BASE_URL", "https://x.example")]))
        .expect("merge");
    assert!(s.apimch_base_url.is_none());
}

#[test]
fn a_bad_variable_names_the_option_and_the_variable_not_the_value() {
    let e = ClientSettings::from_lookup(env(&[("WXFACE_TIMEOUT", SECRET)])).expect_err("bad");
    invalid_on(&e, "timeout");
    let text = refused(&e, &[]);
    assert!(text.contains("WXFACE_TIMEOUT"), "{text}");
    let e = ClientSettings::from_lookup(env(&[("WXFACE_MAX_RETRIES", "-1")])).expect_err("bad");
    invalid_on(&e, "max_retries");
}

// ---------------------------------------------------------------- set

#[test]
fn set_takes_native_values_and_replaces() {
    let mut s = ClientSettings::default();
    s.set("timeout", SettingValue::Number(2.5)).expect("number");
    s.set("connect_timeout", "0.5".into()).expect("text");
    s.set("max_retries", 4u32.into()).expect("count");
    s.set(
        "pinned_platform_serials",
        vec!["AB".to_owned(), "CD".to_owned()].into(),
    )
    .expect("list");
    s.set("pinned_platform_serials", "EF,01".into())
        .expect("comma text");
    s.set(
        "platform_certificate_pem",
        "-----BEGIN, with a comma".into(),
    )
    .expect("one pem");
    assert_eq!(s.timeout, Some(2.5));
    assert_eq!(s.connect_timeout, Some(0.5));
    assert_eq!(s.max_retries, Some(4));
    assert_eq!(s.pinned_platform_serials, vec!["EF", "01"]);
    assert_eq!(s.platform_certificate_pem.len(), 1);
    // One half of a pair replaces the other.
    s.set("merchant_key_file", "/k.pem".into()).expect("file");
    s.set("merchant_key_pem", "pem".into()).expect("pem");
    assert!(s.merchant_key_file.is_none());
    s.set("v2_key_file", "/v2.txt".into()).expect("file");
    assert!(s.v2_key.is_none());
}

#[test]
fn set_refuses_wrong_types_naming_the_option() {
    let mut s = ClientSettings::default();
    let cases: Vec<(&str, SettingValue)> = vec![
        ("appid", SettingValue::Number(1.0)),
        ("v2_key", SettingValue::Bool(true)),
        ("merchant_key_pem", SettingValue::List(vec![SECRET.into()])),
        ("merchant_key_file", SettingValue::Number(3.0)),
        ("timeout", SettingValue::Text(SECRET.into())),
        ("timeout", SettingValue::Number(-1.0)),
        ("timeout", SettingValue::Number(f64::NAN)),
        ("connect_timeout", SettingValue::Number(86_400.0)),
        ("max_retries", SettingValue::Number(1.5)),
        ("max_retries", SettingValue::Text("many".into())),
        ("pinned_platform_serials", SettingValue::Bool(false)),
        ("keys_dir", SettingValue::List(vec![])),
    ];
    for (option, value) in cases {
        let e = s.set(option, value).expect_err(option);
        invalid_on(&e, option);
        refused(&e, &[]);
    }
    assert_eq!(format!("{s:?}"), format!("{:?}", ClientSettings::default()));
}

#[test]
fn unknown_options_are_named_only_when_they_look_like_names() {
    let mut s = ClientSettings::default();
    let e = s.set("merchant_key", "x".into()).expect_err("unknown");
    invalid_on(&e, "merchant_key");
    assert!(e.to_string().contains("not a configuration option"), "{e}");
    let pem = "-----BEGIN PRIVATE KEY----- MIIEvQ";
    let e = s.set(pem, "x".into()).expect_err("unknown");
    invalid_on(&e, "?");
    refused(&e, &[pem, "MIIEvQ"]);
    let e = s.set("decryptor", "x".into()).expect_err("not an option");
    invalid_on(&e, "decryptor");
}

#[test]
fn setting_values_do_not_print_text() {
    let v = SettingValue::Text(SECRET.into());
    assert_eq!(format!("{v:?}"), "Text(..)");
    let v = SettingValue::List(vec![SECRET.into()]);
    assert!(!format!("{v:?}").contains(SECRET));
}

// ---------------------------------------------------------------- build

#[test]
fn defaults_of_a_direct_merchant() {
    let (config, decryptor) = direct().build().expect("config");
    let debug = format!("{config:?}");
    assert!(debug.contains("sign_type: Md5"), "{debug}");
    assert!(
        debug.contains("payapp_base: \"https://payapp.weixin.qq.com/\""),
        "{debug}"
    );
    assert!(
        debug.contains("apimch_base: \"https://api.mch.weixin.qq.com/\""),
        "{debug}"
    );
    assert!(debug.contains("decryptor: true"), "{debug}");
    assert!(debug.contains("max_retries: 2"), "{debug}");
    assert!(!config.is_provider_mode());
    // Direct mode: the merchant key decrypts, PKCS#1 v1.5 by default.
    let d = decryptor.expect("decryptor");
    assert_eq!(d.padding(), Padding::Pkcs1v15);
}

#[test]
fn options_reach_the_configuration() {
    let mut s = direct();
    for (option, value) in [
        ("sign_type", "HMAC-SHA256"),
        ("padding", "oaep-sha1"),
        ("store_id", "HOSP-01"),
        ("store_name", "门诊大厅"),
        ("base_url", "http://127.0.0.1:9"),
        ("apimch_base_url", "http://127.0.0.1:10"),
        ("timeout", "3"),
        ("connect_timeout", "1"),
        ("max_retries", "5"),
        ("retry_backoff", "0.05"),
        ("authinfo_refresh_margin", "120"),
        ("response_window", "60"),
        ("apiv3_key", APIV3_KEY),
        ("pinned_platform_serials", "ab12"),
    ] {
        s.set(option, value.into()).expect(option);
    }
    let (config, decryptor) = s.build().expect("config");
    let debug = format!("{config:?}");
    for part in [
        "sign_type: HmacSha256",
        "store_id: Some(\"HOSP-01\")",
        "payapp_base: \"http://127.0.0.1:9/\"",
        "apimch_base: \"http://127.0.0.1:10/\"",
        "timeout: 3s",
        "connect_timeout: 1s",
        "max_retries: 5",
        "initial_backoff: 50ms",
        "authinfo_margin_secs: 120",
        "certificate_download: true",
        "pinned_serials: [\"AB12\"]",
    ] {
        assert!(debug.contains(part), "{part} not in {debug}");
    }
    assert_eq!(decryptor.expect("decryptor").padding(), Padding::OaepSha1);
}

#[test]
fn provider_mode_has_no_decryptor_unless_given() {
    let mut s = direct();
    s.set("sub_mch_id", "1900000109".into()).expect("sub");
    s.set("sub_serial_no", SUB_MERCHANT_SERIAL.into())
        .expect("serial");
    let (config, decryptor) = s.build().expect("provider");
    assert!(config.is_provider_mode());
    assert!(decryptor.is_none());
    assert!(format!("{config:?}").contains("decryptor: false"));

    s.set(
        "decrypt_key_file",
        key_path("sub_merchant_pkcs8.pem")
            .display()
            .to_string()
            .into(),
    )
    .expect("file");
    let (_, decryptor) = s.build().expect("with key");
    assert!(decryptor.is_some());

    let mut s2 = s.clone();
    s2.decrypt_key_file = None;
    s2.decryptor =
        Some(Decryptor::from_pem(&key("sub_merchant_pkcs8.pem"), Padding::OaepSha1).expect("d"));
    let (_, decryptor) = s2.build().expect("given decryptor");
    assert_eq!(decryptor.expect("given").padding(), Padding::OaepSha1);
}

#[test]
fn files_are_read_at_build() {
    let dir = tempdir("files");
    std::fs::write(dir.join("v2.txt"), format!("  {API_KEY}\n")).expect("write");
    std::fs::write(dir.join("v3.txt"), format!("{APIV3_KEY}\n")).expect("write");
    let mut s = ClientSettings::default();
    let path = |p: PathBuf| SettingValue::Text(p.display().to_string());
    s.set("appid", APPID.into()).expect("appid");
    s.set("mch_id", MCH_ID.into()).expect("mch_id");
    s.set("v2_key_file", path(dir.join("v2.txt"))).expect("v2");
    s.set("apiv3_key_file", path(dir.join("v3.txt")))
        .expect("v3");
    s.set("merchant_serial_no", MERCHANT_SERIAL.into())
        .expect("serial");
    s.set("merchant_key_file", path(key_path("merchant_pkcs1.pem")))
        .expect("key");
    s.set("platform_public_key_id", PUB_KEY_ID.into())
        .expect("id");
    s.set(
        "platform_public_key_file",
        path(key_path("platform_pubkey_pub.pem")),
    )
    .expect("pub");
    s.set(
        "platform_certificate_file",
        SettingValue::List(vec![key_path("platform_cert.pem").display().to_string()]),
    )
    .expect("certs");
    let (config, decryptor) = s.build().expect("config");
    let debug = format!("{config:?}");
    assert!(debug.contains(PUB_KEY_ID), "{debug}");
    assert!(debug.contains("certificate_download: true"), "{debug}");
    assert!(decryptor.is_some());
    let _ = std::fs::remove_dir_all(dir);
}

/// A key set as the sandbox writes it, from the fixture keys.
fn key_set(dir: &std::path::Path) {
    let manifest = serde_json::json!({
        "format": 1,
        "appid": APPID,
        "mch_id": MCH_ID,
        "sub_appid": "wx8888888888888888",
        "sub_mch_id": "1900000109",
        "merchant_serial": MERCHANT_SERIAL,
        "sub_merchant_serial": SUB_MERCHANT_SERIAL,
        "platform_serial": "00",
        "pub_key_id": PUB_KEY_ID,
        "files": {
            "merchant_key": "apiclient_key.pem",
            "platform_cert": "platform_cert.pem",
            "pub_key": "pub_key.pem",
            "api_v2_key": "apiv2_key.txt",
            "api_v3_key": "apiv3_key.txt",
        },
    });
    std::fs::write(dir.join("sandbox.json"), manifest.to_string()).expect("manifest");
    std::fs::write(dir.join("apiclient_key.pem"), key("merchant_pkcs8.pem")).expect("key");
    std::fs::write(dir.join("platform_cert.pem"), key("platform_cert.pem")).expect("cert");
    std::fs::write(dir.join("pub_key.pem"), key("platform_pubkey_pub.pem")).expect("pub");
    std::fs::write(dir.join("apiv2_key.txt"), format!("{API_KEY}\n")).expect("v2");
    std::fs::write(dir.join("apiv3_key.txt"), APIV3_KEY).expect("v3");
}

#[test]
fn a_key_set_fills_what_was_not_given() {
    let dir = tempdir("keys");
    key_set(&dir);
    let vars = env(&[
        ("WXFACE_KEYS_DIR", dir.to_str().expect("utf-8")),
        ("WXFACE_BASE_URL", "http://127.0.0.1:8080"),
        ("WXFACE_STORE_ID", "S1"),
        ("WXFACE_STORE_NAME", "Store"),
    ]);
    let s = ClientSettings::from_lookup(&vars).expect("settings");
    let (config, decryptor) = s.build().expect("config");
    assert_eq!(config.appid(), APPID);
    assert_eq!(config.mch_id(), MCH_ID);
    let debug = format!("{config:?}");
    assert!(debug.contains(MERCHANT_SERIAL), "{debug}");
    assert!(debug.contains(PUB_KEY_ID), "{debug}");
    assert!(debug.contains("certificate_download: true"), "{debug}");
    assert!(decryptor.is_some());

    // Given options win over the key set.
    let mut s = ClientSettings::from_lookup(&vars).expect("settings");
    s.set("appid", "wx_other".into()).expect("appid");
    let (config, _) = s.build().expect("config");
    assert_eq!(config.appid(), "wx_other");

    // A key set is a sandbox's: it needs its URL.
    let mut s = ClientSettings::default();
    s.keys_dir = Some(dir.clone());
    config_naming(&s.build().expect_err("no url"), "base_url");

    // Not a key set: named as the option, not as the path.
    let mut s = ClientSettings::default();
    s.keys_dir = Some(dir.join("nowhere"));
    s.base_url = Some("http://127.0.0.1:1".into());
    let e = s.build().expect_err("no manifest");
    config_naming(&e, "keys_dir");
    refused(&e, &[dir.to_str().expect("utf-8")]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn refusals_name_the_option_never_the_value() {
    type Case = (&'static str, fn(&mut ClientSettings), &'static str, bool);
    // (what, change, option named, whether it is an invalid input)
    let cases: Vec<Case> = vec![
        ("no appid", |s| s.appid = None, "appid", false),
        ("no mch_id", |s| s.mch_id = None, "mch_id", false),
        ("no v2 key", |s| s.v2_key = None, "v2_key", false),
        (
            "bad v2 key",
            |s| s.v2_key = Some(format!("{SECRET} with spaces").into()),
            "v2_key",
            false,
        ),
        (
            "no serial",
            |s| s.merchant_serial_no = None,
            "merchant_serial_no",
            false,
        ),
        (
            "no merchant key",
            |s| s.merchant_key_pem = None,
            "merchant_key_pem",
            false,
        ),
        (
            "bad merchant key",
            |s| s.merchant_key_pem = Some(SECRET.to_owned().into()),
            "merchant_key_pem",
            false,
        ),
        (
            "both halves",
            |s| s.merchant_key_file = Some(SECRET.into()),
            "merchant_key_file",
            false,
        ),
        (
            "unreadable file",
            |s| {
                s.merchant_key_pem = None;
                s.merchant_key_file = Some(format!("/nonexistent/{SECRET}").into());
            },
            "merchant_key_file",
            false,
        ),
        (
            "bad apiv3 key",
            |s| s.apiv3_key = Some(SECRET.to_owned().into()),
            "apiv3_key",
            false,
        ),
        (
            "bad decrypt key",
            |s| s.decrypt_key_pem = Some(SECRET.to_owned().into()),
            "decrypt_key_pem",
            false,
        ),
        (
            "public key without its id",
            |s| s.platform_public_key_id = None,
            "platform_public_key_id",
            false,
        ),
        (
            "bad platform public key",
            |s| s.platform_public_key_pem = Some(SECRET.into()),
            "platform_public_key_pem",
            false,
        ),
        (
            "bad platform certificate",
            |s| s.platform_certificate_pem = vec![SECRET.into()],
            "platform_certificate_pem",
            false,
        ),
        (
            "half provider mode",
            |s| s.sub_mch_id = Some("1900000109".into()),
            "sub_serial_no",
            false,
        ),
        (
            "half a store",
            |s| s.store_id = Some("S1".into()),
            "store_name",
            false,
        ),
        (
            "bad sign type",
            |s| s.sign_type = Some(SECRET.into()),
            "sign_type",
            true,
        ),
        (
            "bad padding",
            |s| s.padding = Some(SECRET.into()),
            "padding",
            true,
        ),
        (
            "too many retries",
            |s| s.max_retries = Some(11),
            "max_retries",
            true,
        ),
        (
            "too wide a window",
            |s| s.response_window = Some(1000.0),
            "response_window",
            true,
        ),
        (
            "a negative timeout",
            |s| s.timeout = Some(-1.0),
            "timeout",
            true,
        ),
    ];
    for (what, change, option, invalid) in cases {
        let mut s = direct();
        change(&mut s);
        let e = s.build().expect_err(what);
        if invalid {
            invalid_on(&e, option);
        } else {
            config_naming(&e, option);
        }
        refused(&e, &["BEGIN"]);
        // Debug shows ids, URLs and names as given; keys and paths never.
        let shown = matches!(option, "sign_type" | "padding");
        assert_eq!(format!("{s:?}").contains(SECRET), shown, "{what}");
    }
}

#[test]
fn debug_shows_ids_never_keys_or_paths() {
    let mut s = direct();
    s.v2_key = Some(SECRET.to_owned().into());
    s.apiv3_key_file = Some(format!("/keys/{SECRET}").into());
    s.decrypt_key_pem = Some(SECRET.to_owned().into());
    s.keys_dir = Some(format!("/keys/{SECRET}").into());
    let debug = format!("{s:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(!debug.contains("BEGIN"), "{debug}");
    assert!(
        debug.contains(APPID) && debug.contains(MERCHANT_SERIAL),
        "{debug}"
    );
    assert!(debug.contains(PUB_KEY_ID), "{debug}");
}

#[test]
fn deserializes_from_snake_case_and_refuses_unknown_names() {
    let s: ClientSettings = serde_json::from_value(serde_json::json!({
        "appid": APPID,
        "mch_id": MCH_ID,
        "v2_key": API_KEY,
        "merchant_serial_no": MERCHANT_SERIAL,
        "merchant_key_file": key_path("merchant_pkcs8.pem"),
        "platform_public_key_id": PUB_KEY_ID,
        "platform_public_key_file": key_path("platform_pubkey_pub.pem"),
        "pinned_platform_serials": [],
        "timeout": 4,
        "max_retries": 1,
    }))
    .expect("settings");
    assert_eq!(s.timeout, Some(4.0));
    s.build().expect("config");
    let e = serde_json::from_value::<ClientSettings>(
        serde_json::json!({"appid": APPID, "decryptor": 1}),
    )
    .expect_err("unknown");
    assert!(e.to_string().contains("decryptor"), "{e}");
}
