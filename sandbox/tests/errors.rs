//! Every error answer of the two WeChat Pay endpoints.

mod common;

use common::*;
use wxface_core::time::OsEntropy;
use wxface_core::v2::{parse_authinfo_response, Fields, SignType};
use wxface_core::v3::InfoType;
use wxface_core::Error;
use wxface_sandbox::{Sandbox, SandboxConfig};

struct V2 {
    sandbox: Sandbox,
    m: Merchant,
    rawdata: String,
}

fn v2() -> V2 {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let rawdata = k.rawdata();
    V2 {
        sandbox,
        m,
        rawdata,
    }
}

impl V2 {
    /// Valid request fields, changed by `edit`, then signed with `sign_type`.
    fn fields(&self, sign_type: SignType, edit: impl FnOnce(&mut Fields)) -> Fields {
        let mut f = self
            .m
            .authinfo_request(&self.rawdata, Mode::Direct, sign_type)
            .to_fields(&self.m.v2_key, now(), "abc123")
            .unwrap_or_else(|e| panic!("{e}"));
        edit(&mut f);
        f.0.retain(|_, v| !v.is_empty());
        f.sign_in_place(&self.m.v2_key, sign_type);
        f
    }

    fn post(&self, body: &str) -> Answer {
        let r = self
            .m
            .http
            .post(format!("{}{}", self.m.url, wxface_core::v2::AUTHINFO_PATH))
            .body(body.to_owned())
            .send()
            .unwrap_or_else(|e| panic!("{e}"));
        Answer {
            status: r.status().as_u16(),
            headers: Vec::new(),
            body: r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
        }
    }

    /// The answer must be a signed FAIL whose message mentions `needle`.
    fn expect_fail(&self, f: &Fields, sign_type: SignType, needle: &str) {
        let a = self.post(&f.to_xml());
        assert_eq!(a.status, 200);
        match parse_authinfo_response(&a.body, &self.m.v2_key, sign_type, now()) {
            Err(Error::Backend { code, message, .. }) => {
                assert_eq!(code, "FAIL");
                assert!(
                    message.contains(needle),
                    "{message} should mention {needle}"
                );
            }
            other => panic!("expected FAIL about {needle}, got {other:?}"),
        }
        let answer = Fields::parse_xml(&a.body).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            answer.get_nonempty("sign").is_some(),
            "error answers are signed"
        );
    }

    /// The answer must be an unsigned FAIL.
    fn expect_unsigned_fail(&self, body: &str) {
        let a = self.post(body);
        let f = Fields::parse_xml(&a.body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.get("return_code"), Some("FAIL"));
        assert!(f.get_nonempty("sign").is_none());
    }
}

#[test]
fn v2_missing_required_fields() {
    let t = v2();
    for field in [
        "store_id",
        "store_name",
        "device_id",
        "rawdata",
        "appid",
        "now",
        "version",
        "nonce_str",
    ] {
        for st in [SignType::Md5, SignType::HmacSha256] {
            let f = t.fields(st, |f| {
                f.0.remove(field);
            });
            t.expect_fail(&f, st, field);
        }
    }
    // Without `sign` the answer is still signed (the merchant is known).
    let mut f = t.fields(SignType::Md5, |_| {});
    f.0.remove("sign");
    t.expect_fail(&f, SignType::Md5, "sign");
    // Without `mch_id` there is no key to sign with.
    let mut f = t.fields(SignType::Md5, |_| {});
    f.0.remove("mch_id");
    t.expect_unsigned_fail(&f.to_xml());
}

#[test]
fn v2_field_rules() {
    let t = v2();
    let st = SignType::HmacSha256;
    let long = |n: usize| "x".repeat(n);
    for (field, value, needle) in [
        ("store_id", long(33), "store_id"),
        ("store_name", long(129), "store_name"),
        ("device_id", long(33), "device_id"),
        ("rawdata", long(2049), "rawdata"),
        ("sub_mch_id", long(33), "sub_mch_id"),
        ("nonce_str", long(33), "nonce_str"),
        ("version", "2".into(), "version"),
        ("now", "12345".into(), "now"),
        ("now", (now().as_secs() - 1000).to_string(), "now"),
        ("now", (now().as_secs() + 1000).to_string(), "now"),
        ("attach", "not json".into(), "attach"),
        ("store_name", "测试😀".into(), "BMP"),
        ("appid", "wx0000000000other".into(), "appid"),
        ("sub_mch_id", "1999999999".into(), "sub_mch_id"),
        ("sub_appid", "wx00000000sandbox2".into(), "sub_appid"),
        ("rawdata", "bm90IGlzc3VlZA==".into(), "rawdata"),
        ("sign_type", "SHA1".into(), "sign_type"),
    ] {
        let f = t.fields(st, |f| {
            f.set(field, value.clone());
        });
        // An invalid sign_type is answered with MD5.
        let answer_type = if field == "sign_type" {
            SignType::Md5
        } else {
            st
        };
        t.expect_fail(&f, answer_type, needle);
    }
    // sub_appid that is not the sub-merchant's.
    let f = t.fields(st, |f| {
        f.set("sub_mch_id", t.m.creds.sub_mch_id.clone())
            .set("sub_appid", "wx0000000000other");
    });
    t.expect_fail(&f, st, "sub_appid");
}

#[test]
fn v2_signatures() {
    let t = v2();
    // A tampered field after signing.
    for st in [SignType::Md5, SignType::HmacSha256] {
        let mut f = t.fields(st, |_| {});
        f.set("store_name", "另一家医院");
        t.expect_fail(&f, st, "签名");
    }
    // Signed MD5 but declared HMAC-SHA256.
    let mut f = t.fields(SignType::HmacSha256, |_| {});
    let md5 = f.sign(&t.m.v2_key, SignType::Md5);
    f.set("sign", md5);
    t.expect_fail(&f, SignType::HmacSha256, "签名");
    // Signed with another key.
    let other = wxface_core::v2::ApiKey::new("0123456789abcdef0123456789abcdef")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut f = t.fields(SignType::Md5, |_| {});
    f.sign_in_place(&other, SignType::Md5);
    t.expect_fail(&f, SignType::Md5, "签名");
    // Unknown merchant: unsigned.
    let mut f = t.fields(SignType::Md5, |f| {
        f.set("mch_id", "1999999999");
    });
    f.sign_in_place(&t.m.v2_key, SignType::Md5);
    t.expect_unsigned_fail(&f.to_xml());
    // The success path, both types, provider mode too.
    for st in [SignType::Md5, SignType::HmacSha256] {
        for mode in [Mode::Direct, Mode::Provider] {
            let a =
                t.m.authinfo(&t.rawdata, mode, st)
                    .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(a.expires_in, 7200);
            assert_eq!(a.mch_id.as_deref(), Some(t.m.creds.mch_id.as_str()));
            let sub = (mode == Mode::Provider).then(|| t.m.creds.sub_mch_id.clone());
            assert_eq!(a.sub_mch_id, sub);
        }
    }
}

#[test]
fn v2_body_and_method() {
    let t = v2();
    t.expect_unsigned_fail("this is not xml");
    t.expect_unsigned_fail("<!DOCTYPE x [<!ENTITY a \"b\">]><xml><a>&a;</a></xml>");
    let r =
        t.m.http
            .get(format!(
                "{}{}?rawdata=abc",
                t.m.url,
                wxface_core::v2::AUTHINFO_PATH
            ))
            .send()
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 405);
    let body = r.bytes().unwrap_or_default();
    let f = Fields::parse_xml(&body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.get("return_code"), Some("FAIL"));
    drop(t.sandbox);
}

fn expect_api(a: &Answer, m: &Merchant, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(a.status, status, "{}", String::from_utf8_lossy(&a.body));
    let v = a.json();
    assert_eq!(v["code"], code, "{v}");
    assert!(v["message"].as_str().is_some_and(|s| !s.is_empty()));
    m.verifier
        .verify(a.status, &a.headers, &a.body, now())
        .unwrap_or_else(|e| panic!("error answers are signed: {e}"));
    v
}

/// Send `GET path` with a custom Authorization header.
fn get_with(m: &Merchant, path: &str, auth: Option<String>, extra: &[(&str, &str)]) -> Answer {
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(a) = auth {
        headers.push(("Authorization".into(), a));
    }
    for (k, v) in extra {
        headers.push(((*k).into(), (*v).into()));
    }
    m.send(&wxface_core::http::HttpRequest {
        endpoint: wxface_core::http::Endpoint::ApiMch,
        method: wxface_core::http::Method::Get,
        path_and_query: path.into(),
        headers,
        body: Vec::new(),
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn auth(m: &Merchant, path: &str, ts: wxface_core::UnixTime) -> String {
    m.signer
        .authorization(
            "GET",
            path,
            b"",
            ts,
            &wxface_core::time::nonce(&OsEntropy, 32),
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn v3_sign_errors() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = consented(&k, &m, Mode::Direct);
    let path = m
        .users_query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
        .path_and_query()
        .unwrap_or_else(|e| panic!("{e}"));
    // Sanity: the right header works.
    let a = get_with(&m, &path, Some(auth(&m, &path, now())), &[]);
    assert_eq!(a.status, 200);

    // No header.
    let v = expect_api(&get_with(&m, &path, None, &[]), &m, 401, "SIGN_ERROR");
    assert!(v["detail"]["truncated_sign_message"].is_null());
    // Garbled header.
    expect_api(
        &get_with(
            &m,
            &path,
            Some("WECHATPAY2-SHA256-RSA2048 nonsense".into()),
            &[],
        ),
        &m,
        401,
        "SIGN_ERROR",
    );
    // Signature over another path: detail shows what the sandbox expected.
    let other = auth(&m, "/v3/facemch/users/other?info_type=ASK_REAL_NAME", now());
    let v = expect_api(
        &get_with(&m, &path, Some(other), &[]),
        &m,
        401,
        "SIGN_ERROR",
    );
    let tsm = v["detail"]["truncated_sign_message"]
        .as_str()
        .unwrap_or_default();
    assert!(tsm.starts_with(&format!("GET\n{path}\n")), "{tsm}");
    assert!(v["detail"]["sign_message_length"].as_u64().is_some());
    // Stale timestamps, both directions.
    for ts in [now().minus(301), now().plus(301)] {
        let v = expect_api(
            &get_with(&m, &path, Some(auth(&m, &path, ts)), &[]),
            &m,
            401,
            "SIGN_ERROR",
        );
        assert!(
            v["detail"]["issue"]
                .as_str()
                .unwrap_or_default()
                .contains("stale"),
            "{v}"
        );
    }
    // Unknown certificate serial.
    let h = auth(&m, &path, now()).replace(
        &m.creds.merchant_serial,
        "0123456789ABCDEF0123456789ABCDEF01234567",
    );
    expect_api(&get_with(&m, &path, Some(h), &[]), &m, 401, "SIGN_ERROR");
    // Unknown merchant.
    let h = auth(&m, &path, now()).replace(
        &format!("mchid=\"{}\"", m.creds.mch_id),
        "mchid=\"1999999999\"",
    );
    let v = expect_api(&get_with(&m, &path, Some(h), &[]), &m, 401, "SIGN_ERROR");
    assert_eq!(v["detail"]["issue"], "unknown mchid");
    // Signed with another key (the sub-merchant's) under the merchant's serial.
    let provider = wxface_core::crypto::aws_lc();
    let sub_key = wxface_core::crypto::pem::load_private_key(
        provider.as_ref(),
        &m.creds.sub_merchant_key_pem,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let wrong = wxface_core::v3::MerchantSigner::new(
        m.creds.mch_id.clone(),
        m.creds.merchant_serial.clone(),
        sub_key,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .authorization("GET", &path, b"", now(), "n0nce")
    .unwrap_or_else(|e| panic!("{e}"));
    expect_api(
        &get_with(&m, &path, Some(wrong), &[]),
        &m,
        401,
        "SIGN_ERROR",
    );
    // Through core's handler: a typed backend error, not a signature error.
    let a = get_with(&m, &path, None, &[]);
    let e =
        wxface_core::v3::handle_users_response(&m.verifier, a.status, &a.headers, &a.body, now())
            .err();
    assert!(
        matches!(e, Some(Error::Backend { status: Some(401), ref code, .. }) if code == "SIGN_ERROR"),
        "{e:?}"
    );
}

#[test]
fn v3_param_errors() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = consented(&k, &m, Mode::Provider);
    let sid = &s.face_sid;
    let c = &m.creds;
    let base = format!("/v3/facemch/users/{sid}");
    let cases: Vec<(String, u16, &str)> = vec![
        (format!("{base}?appid={}", c.appid), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_REAL_NAME"), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_EVERYTHING&appid={}", c.appid), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_REAL_NAME&appid=wx0000000000other&sub_mchid={}&sub_serial_no={}", c.sub_mch_id, c.sub_merchant_serial), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_REAL_NAME&appid={}&sub_mchid={}", c.appid, c.sub_mch_id), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_REAL_NAME&appid={}&sub_mchid={}&sub_serial_no=0123456789ABCDEF", c.appid, c.sub_mch_id), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_REAL_NAME&appid={}&sub_mchid={}&sub_serial_no={}", c.appid, c.sub_mch_id, c.merchant_serial), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_REAL_NAME&appid={}&sub_mchid={}&sub_appid=wx0000000000other&sub_serial_no={}", c.appid, c.sub_mch_id, c.sub_merchant_serial), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_UNIONID&appid={}&sub_appid={}", c.appid, c.sub_appid), 400, "PARAM_ERROR"),
        (format!("{base}?info_type=ASK_REAL_NAME&appid={}&sub_mchid=1999999999&sub_serial_no={}", c.appid, c.sub_merchant_serial), 403, "NO_AUTH"),
        (format!("{base}?info_type=ASK_REAL_NAME&appid={}&info_type=ASK_REAL_NAME", c.appid), 400, "PARAM_ERROR"),
        (format!("/v3/facemch/users/%ZZ?info_type=ASK_REAL_NAME&appid={}", c.appid), 400, "PARAM_ERROR"),
        (format!("/v3/facemch/users/unknown?info_type=ASK_REAL_NAME&appid={}&sub_mchid={}&sub_serial_no={}", c.appid, c.sub_mch_id, c.sub_merchant_serial), 404, "NOT_FOUND"),
    ];
    for (path, status, code) in cases {
        let a = get_with(&m, &path, Some(auth(&m, &path, now())), &[]);
        expect_api(&a, &m, status, code);
    }
    // The correct provider query, and the source's spelling of ASK_UNIONID.
    let ok = format!(
        "{base}?info_type=ASK_REAL_NAME&appid={}&sub_mchid={}&sub_appid={}&sub_serial_no={}",
        c.appid, c.sub_mch_id, c.sub_appid, c.sub_merchant_serial
    );
    assert_eq!(
        get_with(&m, &ok, Some(auth(&m, &ok, now())), &[]).status,
        200
    );
    let ok = format!(
        "{base}?info_type=ASK_UNION_ID&appid={}&sub_mchid={}",
        c.appid, c.sub_mch_id
    );
    let a = get_with(&m, &ok, Some(auth(&m, &ok, now())), &[]);
    assert_eq!(a.status, 200);
    assert!(a.json()["union_id"].is_string());
    // An unknown Wechatpay-Serial.
    let a = get_with(
        &m,
        &ok,
        Some(auth(&m, &ok, now())),
        &[("Wechatpay-Serial", "PUB_KEY_ID_0000")],
    );
    expect_api(&a, &m, 400, "PARAM_ERROR");
    // Wrong method.
    let r = m
        .http
        .post(format!("{}{ok}", m.url))
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 405);
}

#[test]
fn internal_endpoints_answer_in_sdk_vocabulary() {
    let sandbox = start(SandboxConfig::default());
    let http = reqwest::blocking::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        let r = http
            .post(format!("{}{path}", sandbox.url()))
            .json(&body)
            .send()
            .unwrap_or_else(|e| panic!("{e}"));
        (
            r.status().as_u16(),
            r.json::<serde_json::Value>().unwrap_or_default(),
        )
    };
    let (status, v) = post(
        "/_emu/recognise",
        serde_json::json!({"device_id":"D","authinfo":"nope","appid":"a","mch_id":"m","store_id":"s","face_authtype":"FACE_AUTH"}),
    );
    assert_eq!(status, 409);
    assert_eq!(v["err_code"], "271382020");
    let (status, v) = post(
        "/_emu/auth",
        serde_json::json!({"device_id":"D","authinfo":"a","face_sid":"f","action":"consent"}),
    );
    assert_eq!(status, 400);
    assert_eq!(v["return_code"], "PARAM_ERROR");
    let (status, _) = post("/_emu/rawdata", serde_json::json!({"device_id":""}));
    assert_eq!(status, 400);
    let (status, v) = post("/_sandbox/expire", serde_json::json!({"what":"all"}));
    assert_eq!(status, 200, "{v}");
    let r = http
        .get(format!("{}/_sandbox/identities", sandbox.url()))
        .send()
        .and_then(|r| r.text())
        .unwrap_or_default();
    for who in sandbox.identities() {
        assert!(
            !r.contains(who.expose_name()),
            "identities are served masked"
        );
        assert!(!r.contains(who.expose_credential_id()));
        assert!(r.contains(&who.openid));
    }
    let r = http
        .get(format!("{}/_sandbox/info", sandbox.url()))
        .send()
        .and_then(|r| r.text())
        .unwrap_or_default();
    assert!(r.contains(&sandbox.credentials().merchant_serial));
    assert!(!r.contains("PRIVATE KEY"));
    let r = http
        .get(format!("{}/no/such/path", sandbox.url()))
        .send()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status().as_u16(), 404);
}
