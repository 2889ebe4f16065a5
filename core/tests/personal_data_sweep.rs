//! A name and a resident ID number fed as the value (and, where the format
//! has them, the key) of every field of every parser in the core: no error
//! text, `Display` or `Debug`, contains either.
//!
//! The only error text that is not the library's own is a peer's message
//! (`return_msg` of a face SDK answer, `return_msg`/`message`/`detail` of a
//! WeChat Pay error answer): it is carried verbatim, so those fields are
//! blanked before the check, and everything else of the error is checked.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Map, Value};
use wxface_core::flow::{Event, Flow, FlowConfig, RequestId};
use wxface_core::sdk::{Cmd, SdkReply, SdkRequest};
use wxface_core::v2::{self, ApiKey, AuthinfoRequest, Fields, SignType};
use wxface_core::v3::{self, Authorization, PlatformKeyStore, ResponseVerifier, UsersQuery};
use wxface_core::{Error, UnixTime};

const NAME: &str = "张三丰";
/// The GB 11643 specimen number.
const ID: &str = "11010519491231002X";
const NOW: UnixTime = UnixTime(1_700_000_000);

fn values() -> Vec<Value> {
    vec![
        json!(NAME),
        json!(ID),
        json!(format!("{NAME} {ID}")),
        json!(format!("{NAME}\n{ID}")),
        json!([NAME, ID]),
        json!({ NAME: ID }),
        // The number as a JSON number too (it fits without its check letter).
        json!(110105194912310021_u64),
    ]
}

fn leaks(text: &str) -> bool {
    text.contains(NAME)
        || text.contains(ID)
        || text.contains("110105194912310021")
        || text.contains("19491231")
        || text.contains('张')
}

/// The error without a peer's own message text.
fn own_text(e: &Error) -> Error {
    match e.clone() {
        Error::Sdk {
            cmd,
            return_code,
            err_code,
            ..
        } => Error::Sdk {
            cmd,
            return_code,
            return_msg: String::new(),
            err_code,
        },
        Error::Backend {
            status,
            code,
            request_id,
            ..
        } => Error::Backend {
            status,
            code,
            message: String::new(),
            detail: None,
            request_id,
        },
        other => other,
    }
}

#[track_caller]
fn check<T: std::fmt::Debug>(what: &str, r: Result<T, Error>) -> usize {
    match r {
        Ok(_) => 0,
        Err(e) => {
            let e = own_text(&e);
            let text = format!("{e}\n{e:?}");
            assert!(!leaks(&text), "{what}: {text}");
            1
        }
    }
}

fn sdk_request_fields() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "initWxpayface",
            vec![
                "proxy",
                "proxy_type",
                "camera_rotation",
                "ip",
                "port",
                "user",
                "passwd",
            ],
        ),
        ("getWxpayfaceRawdata", vec![]),
        (
            "getWxpayfaceCode",
            vec![
                "appid",
                "mch_id",
                "sub_appid",
                "sub_mch_id",
                "store_id",
                "openid",
                "telephone",
                "face_authtype",
                "authinfo",
                "screen_index",
                "disable_keyboard",
                "token",
            ],
        ),
        (
            "getWxpayAuth",
            vec!["authinfo", "face_sid", "quit", "quit_face_auth"],
        ),
        ("releaseWxpayface", vec![]),
    ]
}

#[test]
fn sdk_requests_typed_and_wire() {
    let mut errors = 0;
    for (cmd, fields) in sdk_request_fields() {
        let base = json!({"cmd": cmd, "appid": "wx1", "mch_id": "1", "store_id": "s",
            "authinfo": "a", "face_sid": "f"});
        let wire = json!({"cmd": cmd, "version": "1", "now": 1_700_000_000u64,
            "appid": "wx1", "mch_id": "1", "store_id": "s", "authinfo": "a", "face_sid": "f"});
        let mut names: Vec<&str> = fields.clone();
        names.extend(["cmd", "version", "now"]);
        for field in names {
            for v in values() {
                for template in [&base, &wire] {
                    let mut o = template.clone();
                    o[field] = v.clone();
                    errors += check(
                        &format!("from_object {cmd}.{field}"),
                        SdkRequest::from_object(o.clone()),
                    );
                    errors += check(
                        &format!("parse {cmd}.{field}"),
                        SdkRequest::parse(o.to_string().as_bytes()),
                    );
                    if let Ok(r) = SdkRequest::from_object(o) {
                        errors += check(
                            &format!("validate {cmd}.{field}"),
                            r.validate(Default::default()),
                        );
                        errors += check(
                            &format!("to_json {cmd}.{field}"),
                            r.to_json(Default::default(), NOW),
                        );
                    }
                }
            }
        }
        // A key that is personal data, and the whole request as one value.
        let mut o = base.as_object().cloned().unwrap_or_default();
        o.insert(format!("{NAME}{ID}"), json!(1));
        errors += check("unknown key", SdkRequest::from_object(Value::Object(o)));
        for v in values() {
            errors += check("not an object", SdkRequest::from_object(v.clone()));
            errors += check("not an object", SdkRequest::parse(v.to_string().as_bytes()));
        }
    }
    // Broken JSON that stops inside the value.
    for text in [
        format!("{{\"cmd\":\"getWxpayAuth\",\"face_sid\":\"{NAME}{ID}"),
        format!("{{\"cmd\":\"getWxpayAuth\",\"face_sid\":{NAME}}}"),
        format!("{{\"cmd\":\"getWxpayAuth\",\"face_sid\":\"{ID}\"}} {ID}"),
    ] {
        errors += check("broken JSON", SdkRequest::parse(text.as_bytes()));
    }
    assert!(errors > 200, "the sweep produced too few errors: {errors}");
}

#[test]
fn sdk_replies() {
    let mut errors = 0;
    let fields = [
        "return_code",
        "return_msg",
        "err_code",
        "rawdata",
        "face_sid",
        "openid",
        "sub_openid",
        "telephone_used",
        "face_code",
    ];
    for cmd in Cmd::ALL {
        for return_code in ["SUCCESS", "ERROR"] {
            for field in fields {
                for v in values() {
                    let mut o = Map::new();
                    o.insert("return_code".into(), return_code.into());
                    o.insert(field.into(), v.clone());
                    let text = Value::Object(o).to_string();
                    errors += check(
                        &format!("reply {cmd}.{field}"),
                        SdkReply::parse(cmd, text.as_bytes()),
                    );
                }
            }
        }
        errors += check(
            "broken reply",
            SdkReply::parse(cmd, format!("{{\"return_code\":\"{NAME}{ID}").as_bytes()),
        );
    }
    assert!(errors > 100, "{errors}");
}

#[test]
fn flow_events_carrying_answers() {
    let mut errors = 0;
    for field in ["return_code", "face_sid", "openid", "rawdata", "err_code"] {
        for v in values() {
            let mut f = Flow::new(FlowConfig::new("wx1", "1", "s")).unwrap();
            f.handle(NOW, Event::Start).unwrap();
            let mut o = Map::new();
            o.insert("return_code".into(), "ERROR".into());
            o.insert(field.into(), v.clone());
            let json = Value::Object(o).to_string();
            let id = f.pending().unwrap_or(RequestId(1));
            errors += check("sdk answer", f.handle(NOW, Event::SdkAnswer { id, json }));
            while let Some(a) = f.poll_action() {
                let text = format!("{a:?}");
                assert!(!leaks(&text), "{text}");
            }
            // An event for a request that does not exist.
            let json = json!({"return_code": "SUCCESS", "face_sid": v}).to_string();
            let ev = Event::SdkAnswer {
                id: RequestId(99),
                json,
            };
            assert!(!leaks(&format!("{ev:?}")), "{ev:?}");
            errors += check("stray answer", f.handle(NOW, ev));
        }
    }
    assert!(errors > 10, "{errors}");
}

#[test]
fn v2_xml_requests_and_answers() {
    let key = ApiKey::new("192006250b4c09247ec02edce69f6a2d").unwrap();
    let mut errors = 0;
    let fields = [
        "return_code",
        "return_msg",
        "authinfo",
        "expires_in",
        "nonce_str",
        "sign",
        "appid",
        "mch_id",
        "sub_appid",
        "sub_mch_id",
    ];
    for signed in [false, true] {
        for field in fields {
            for v in [NAME.to_owned(), ID.to_owned(), format!("{NAME}&{ID}<")] {
                let mut f = Fields::new();
                f.set("return_code", "SUCCESS")
                    .set("authinfo", "a")
                    .set("expires_in", "3600");
                f.set(field, v.as_str());
                if signed && field != "sign" {
                    f.sign_in_place(&key, SignType::Md5);
                }
                let xml = f.to_xml();
                for st in [SignType::Md5, SignType::HmacSha256] {
                    errors += check(
                        &format!("authinfo answer {field}"),
                        v2::parse_authinfo_response(xml.as_bytes(), &key, st, NOW),
                    );
                }
            }
        }
    }
    // Names and text in the XML itself.
    for xml in [
        format!("<xml><{NAME}>1</{NAME}><{NAME}>2</{NAME}></xml>"),
        format!("<xml><a>{NAME}</b></xml>"),
        format!("<xml><a>&{NAME};</a></xml>"),
        format!("<xml><a x=\"{ID}\">1</a></xml>"),
        format!("<xml><{ID}>1</{ID}><{ID}>1</{ID}></xml>"),
        format!("<xml><a><{NAME}/></a></xml>"),
        format!("<!DOCTYPE {NAME}><xml/>"),
        format!("<xml><a>{ID}</a></xml>{NAME}"),
        format!("<xml><a>{ID}"),
    ] {
        errors += check(&xml, Fields::parse_xml(xml.as_bytes()));
        errors += check(
            &xml,
            v2::parse_authinfo_response(xml.as_bytes(), &key, SignType::Md5, NOW),
        );
    }
    // The request's own field rules.
    for field in [
        "store_id",
        "store_name",
        "device_id",
        "attach",
        "rawdata",
        "appid",
        "mch_id",
        "sub_appid",
        "sub_mch_id",
    ] {
        for v in [
            format!("{NAME}{ID}").repeat(200),
            format!("{NAME}\n{ID}"),
            format!("{ID}😀"),
            format!("{{\"{NAME}\": {ID}"),
        ] {
            let mut r = AuthinfoRequest {
                store_id: "s".into(),
                store_name: "n".into(),
                device_id: "d".into(),
                rawdata: "r".into(),
                appid: "wx1".into(),
                mch_id: "1".into(),
                ..Default::default()
            };
            match field {
                "store_id" => r.store_id = v,
                "store_name" => r.store_name = v,
                "device_id" => r.device_id = v,
                "attach" => r.attach = Some(v),
                "rawdata" => r.rawdata = v,
                "appid" => r.appid = v,
                "mch_id" => r.mch_id = v,
                "sub_appid" => r.sub_appid = Some(v),
                _ => r.sub_mch_id = Some(v),
            }
            errors += check(field, r.validate());
            errors += check(field, r.build(&key, NOW, "nonce"));
        }
    }
    assert!(errors > 60, "{errors}");
}

#[test]
fn apiv3_headers_and_answers() {
    let mut errors = 0;
    let verifier = ResponseVerifier::new(PlatformKeyStore::new());
    let base = [
        ("Wechatpay-Timestamp", "1700000000".to_owned()),
        ("Wechatpay-Nonce", "n".to_owned()),
        ("Wechatpay-Signature", "QUJD".to_owned()),
        ("Wechatpay-Serial", "PUB_KEY_ID_1".to_owned()),
        (
            "Wechatpay-Signature-Type",
            "WECHATPAY2-SHA256-RSA2048".to_owned(),
        ),
    ];
    for (name, _) in &base {
        for v in [NAME, ID] {
            let h: Vec<(String, String)> = base
                .iter()
                .map(|(k, x)| (k.to_string(), if k == name { v.into() } else { x.clone() }))
                .collect();
            errors += check(name, verifier.verify(200, &h, b"{}", NOW));
        }
    }
    // The Authorization header of a request (sandbox side).
    for item in ["mchid", "nonce_str", "signature", "timestamp", "serial_no"] {
        for v in [NAME, ID] {
            let mut items = [
                ("mchid", "1900000001"),
                ("nonce_str", "abc"),
                ("signature", "QUJD"),
                ("timestamp", "1700000000"),
                ("serial_no", "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"),
            ];
            for it in items.iter_mut() {
                if it.0 == item {
                    it.1 = v;
                }
            }
            let h = format!(
                "WECHATPAY2-SHA256-RSA2048 {}",
                items
                    .iter()
                    .map(|(k, x)| format!("{k}=\"{x}\""))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            errors += check(item, Authorization::parse(&h).map(|_| ()));
            errors += check(
                item,
                v3::RequestVerifier::new().verify(Some(&h), "GET", "/", b"", NOW),
            );
        }
    }
    errors += check(
        "garbled authorization",
        Authorization::parse(&format!("{NAME} {ID}")),
    );
    // The identity query as the sandbox receives it.
    for q in [
        format!("/v3/facemch/users/{ID}?info_type={NAME}&appid=wx1"),
        format!("/v3/facemch/users/f?info_type=ASK_REAL_NAME&appid={NAME}&{ID}=1"),
        format!("/v3/facemch/users/f?info_type=ASK_REAL_NAME&appid=wx1&appid={ID}"),
        format!("/v3/facemch/users/%E5%BC%A0?info_type=ASK_REAL_NAME&sub_serial_no={NAME}"),
        format!("/v3/{NAME}/users/{ID}"),
    ] {
        errors += check(&q, UsersQuery::from_path_and_query(&q));
    }
    // Answers: 2xx bodies (parsed after verification, here through the
    // shape inspector) and error bodies.
    for field in [
        "openid",
        "sub_openid",
        "union_id",
        "real_name_info",
        "encrypted_real_name",
        "credential_type",
        "encrypted_credential_id",
        "code",
        "message",
        "detail",
    ] {
        for v in values() {
            let body = json!({ field: v }).to_string();
            errors += check(field, v3::inspect_users_body(body.as_bytes()));
            let nested = json!({"real_name_info": { field: v }}).to_string();
            errors += check(field, v3::inspect_users_body(nested.as_bytes()));
            for status in [400, 500] {
                // With a code, and with a code that is no string (the other
                // fields must not become the message either way).
                for code in [json!("PARAM_ERROR"), json!(400), Value::Null] {
                    let mut body = json!({"code": code});
                    body[field] = v.clone();
                    let body = body.to_string();
                    let e = v3::parse_error_body(status, body.as_bytes());
                    if !matches!(field, "message" | "detail") {
                        // Not the peer's message: checked without blanking it.
                        let text = format!("{e}\n{e:?}");
                        assert!(!leaks(&text), "error body {field}: {text}");
                    }
                    errors += check(field, Err::<(), _>(e));
                }
            }
            let signed = json!({"status": 200, "headers": { field: v }, "body": "{}"});
            errors += check(
                field,
                v3::SignedAnswer::from_json(signed.to_string().as_bytes()),
            );
            let signed = json!({"status": v, "headers": {}, "body": v });
            errors += check(
                field,
                v3::SignedAnswer::from_json(signed.to_string().as_bytes()),
            );
        }
    }
    errors += check(
        "broken body",
        v3::inspect_users_body(format!("{{\"openid\":\"{NAME}{ID}").as_bytes()),
    );
    assert!(errors > 80, "{errors}");
}

/// A caller's `now` (the ID number as a number) is named, not quoted, when
/// a request is built with it.
#[test]
fn a_callers_now_is_not_quoted() {
    let now = UnixTime(110_105_194_912_310_021);
    assert_eq!(check("protocol_now", now.protocol_now()), 1);
    let req = AuthinfoRequest {
        rawdata: "r".into(),
        store_id: "s".into(),
        store_name: "n".into(),
        device_id: "d".into(),
        attach: None,
        appid: "wx1".into(),
        mch_id: "1".into(),
        sub_appid: None,
        sub_mch_id: None,
        sign_type: SignType::Md5,
    };
    let key = ApiKey::new("192006250b4c09247ec02edce69f6a2d").unwrap();
    assert_eq!(
        check("authinfo request now", req.build(&key, now, "nonce")),
        1
    );
}
