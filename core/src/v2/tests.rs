use super::*;

fn key() -> ApiKey {
    ApiKey::new("192006250b4c09247ec02edce69f6a2d").unwrap_or_else(|e| panic!("{e}"))
}

fn request() -> AuthinfoRequest {
    AuthinfoRequest {
        store_id: "IMG001".into(),
        store_name: "测试医院".into(),
        device_id: "KIOSK-01".into(),
        attach: None,
        rawdata: "raw+data/==".into(),
        appid: "wx1".into(),
        mch_id: "1900000109".into(),
        sub_appid: None,
        sub_mch_id: None,
        sign_type: SignType::HmacSha256,
    }
}

#[test]
fn request_body_is_signed_xml_that_round_trips() {
    let req = request()
        .build(&key(), UnixTime(1_700_000_000), "abc123")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.path_and_query, AUTHINFO_PATH);
    let f = Fields::parse_xml(&req.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.get("rawdata"), Some("raw+data/=="));
    assert_eq!(f.get("sign_type"), Some("HMAC-SHA256"));
    assert_eq!(f.get("now"), Some("1700000000"));
    assert_eq!(f.get("version"), Some("1"));
    assert!(f.get("attach").is_none());
    f.verify(&key(), SignType::HmacSha256)
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn request_field_rules() {
    let k = key();
    let now = UnixTime(1);
    type Mutation = Box<dyn Fn(&mut AuthinfoRequest)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("store_id", Box::new(|r| r.store_id = "x".repeat(33))),
        ("store_id", Box::new(|r| r.store_id.clear())),
        ("store_name", Box::new(|r| r.store_name = "名".repeat(129))),
        ("device_id", Box::new(|r| r.device_id.clear())),
        ("rawdata", Box::new(|r| r.rawdata = "A".repeat(2049))),
        ("rawdata", Box::new(|r| r.rawdata.clear())),
        ("appid", Box::new(|r| r.appid.clear())),
        ("mch_id", Box::new(|r| r.mch_id = "1".repeat(33))),
        (
            "sub_mch_id",
            Box::new(|r| r.sub_mch_id = Some("1".repeat(33))),
        ),
        ("store_name", Box::new(|r| r.store_name = "医院😀".into())),
        ("attach", Box::new(|r| r.attach = Some("not json".into()))),
        ("device_id", Box::new(|r| r.device_id = "a\nb".into())),
    ];
    for (field, mutate) in cases {
        let mut r = request();
        mutate(&mut r);
        match r.build(&k, now, "n") {
            Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    for nonce in ["", &"a".repeat(33), "a b"] {
        assert!(matches!(
            request().build(&k, now, nonce),
            Err(Error::InvalidInput { .. })
        ));
    }
}

#[test]
fn cdata_with_terminator_survives() {
    let mut f = Fields::new();
    f.set("a", "x]]>y<z&").set("n", "12");
    let xml = f.to_xml();
    assert_eq!(
        Fields::parse_xml(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
        f
    );
}

#[test]
fn api_key_is_redacted() {
    assert_eq!(format!("{:?}", key()), "ApiKey([REDACTED])");
    assert!(ApiKey::new("").is_err());
    assert!(ApiKey::new("has space").is_err());
}

#[test]
fn authinfo_answer_debug_hides_the_credential() {
    let mut f = Fields::new();
    f.set("return_code", "SUCCESS")
        .set("authinfo", "SECRET-AUTHINFO")
        .set("expires_in", "7200");
    f.sign_in_place(&key(), SignType::Md5);
    let r = parse_authinfo_response(f.to_xml().as_bytes(), &key(), SignType::Md5, UnixTime(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.expires_at, UnixTime(7210));
    assert!(!format!("{r:?}").contains("SECRET"));
}
