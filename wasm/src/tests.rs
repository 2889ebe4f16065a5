//! Native tests of the shapes and the flow wrapper (the JS glue itself is
//! tested by `wasm/test/*.test.mjs` over the built package).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::{json, Value};
use wxface_core::sdk::{SdkReply, SdkRequest};
use wxface_core::{Error, UnixTime};

use crate::kiosk::KioskFlow;
use crate::shapes::*;

const NOW: UnixTime = UnixTime(1_700_000_000);

fn vectors(rel: &str) -> Vec<Value> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors")
        .join(rel);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    v["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn request_vectors_through_the_binding_helpers() {
    let tests = vectors("sdk/requests.json");
    assert!(tests.len() >= 30);
    for t in tests {
        let i = &t["inputs"];
        let got = SdkRequest::from_object(i["request"].clone())
            .map_err(redact_error)
            .and_then(|r| {
                let v = sdk_version(i["sdk_version"].as_str())?;
                r.to_json(v, unix_time(i["now"].as_f64().unwrap())?)
            });
        match t["result"].as_str().unwrap() {
            "valid" => assert_eq!(got.unwrap(), t["expected"].as_str().unwrap(), "{t}"),
            _ => {
                let info = ErrorInfo::from(&got.unwrap_err());
                assert_eq!(info.code, t["code"].as_str().unwrap(), "{t}");
                assert_eq!(info.name, info.code, "kinds and codes agree here");
            }
        }
    }
}

#[test]
fn response_vectors_give_the_expected_objects() {
    for t in vectors("sdk/responses.json") {
        let i = &t["inputs"];
        let got = cmd(i["cmd"].as_str().unwrap())
            .and_then(|c| SdkReply::parse(c, i["response"].as_str().unwrap().as_bytes()));
        match t["result"].as_str().unwrap() {
            "valid" => {
                let obj = serde_json::to_value(ReplyOut::from(got.unwrap())).unwrap();
                assert_eq!(obj, t["expected"], "tc {}", t["tcId"]);
            }
            _ => {
                let info = ErrorInfo::from(&got.unwrap_err());
                assert_eq!(info.code, t["code"].as_str().unwrap(), "tc {}", t["tcId"]);
                assert_eq!(info.sdk_class, t["class"].as_str(), "tc {}", t["tcId"]);
            }
        }
    }
}

#[test]
fn sdk_error_details() {
    let e = SdkReply::parse(
        wxface_core::sdk::Cmd::GetAuth,
        r#"{"return_code":"ERROR","return_msg":"拒绝","err_code":"ACTION_ON_USER_QUERY_CANCEL"}"#
            .as_bytes(),
    )
    .unwrap_err();
    let v = serde_json::to_value(ErrorInfo::from(&e)).unwrap();
    assert_eq!(v["name"], "sdk");
    assert_eq!(v["code"], "sdk");
    assert_eq!(v["cmd"], "getWxpayAuth");
    assert_eq!(v["return_code"], "ERROR");
    assert_eq!(v["err_code"], "ACTION_ON_USER_QUERY_CANCEL");
    assert_eq!(v["sdk_class"], "consent_refused");
    assert_eq!(v["retryable"], false);
    assert!(v.get("status").is_none());
}

#[test]
fn refused_values_are_not_echoed() {
    let msg = "invalid type: string \"13800000000\", expected u64 at line 1";
    let r = redact(msg);
    assert_eq!(r, "invalid type (string), expected u64 at line 1");
    // Unknown keys and variants are values too.
    for m in [
        "unknown variant `张三丰 11010519491231002X`, expected `consent` or `refuse`",
        "unknown field `11010519491231002X`, expected `appid`",
        "a custom message quoting 张三丰",
    ] {
        let r = redact(m);
        assert!(
            !r.contains("张三丰") && !r.contains("11010519491231002X"),
            "{r}"
        );
    }
    let r = redact("invalid value: integer `13800000000`, expected a string");
    assert!(!r.contains("138"), "{r}");
    assert_eq!(redact("missing field `appid`"), "missing field `appid`");
    // Through the core's own object parser too.
    let e = SdkRequest::from_object(json!({
        "cmd": "getWxpayfaceCode", "appid": "wx1", "mch_id": "1", "store_id": "S",
        "authinfo": "A", "telephone": 13800000000u64
    }))
    .map_err(redact_error)
    .unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    assert!(!e.to_string().contains("13800000000"), "{e}");
}

#[test]
fn times_are_seconds() {
    assert_eq!(unix_time(1_700_000_000.9).unwrap(), NOW);
    for bad in [1_700_000_000_000.0, 12.0, f64::NAN, f64::INFINITY, -1.0] {
        let e = unix_time(bad).unwrap_err();
        assert!(matches!(&e, Error::InvalidInput { field, .. } if field == "now"));
    }
}

#[test]
fn config_refuses_unknown_fields_and_bad_versions() {
    let ok: ConfigIn =
        serde_json::from_value(json!({"appid": "wx1", "mch_id": "1", "store_id": "S"})).unwrap();
    assert_eq!(ok.into_config().unwrap().sdk_version.to_string(), "1.24");
    let err = serde_json::from_value::<ConfigIn>(
        json!({"appid": "wx1", "mch_id": "1", "store_id": "S", "api_key": "k"}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("api_key"));
    let c: ConfigIn = serde_json::from_value(
        json!({"appid": "wx1", "mch_id": "1", "store_id": "S", "sdk_version": "1.1x"}),
    )
    .unwrap();
    assert_eq!(c.into_config().unwrap_err().code(), "invalid_input");
    // A field the configured SDK does not know is refused up front.
    let c: ConfigIn = serde_json::from_value(json!({
        "appid": "wx1", "mch_id": "1", "store_id": "S", "sdk_version": "1.17", "screen_index": "1"
    }))
    .unwrap();
    assert_eq!(KioskFlow::new(c).unwrap_err().code(), "sdk_version");
}

/// One scripted answer per action; returns the labels of the actions seen and
/// the final `done` object.
struct Kiosk {
    flow: KioskFlow,
    now: UnixTime,
    log: Vec<String>,
}

impl Kiosk {
    fn new(cfg: Value) -> Self {
        let mut k = Self {
            flow: KioskFlow::new(serde_json::from_value(cfg).unwrap()).unwrap(),
            now: NOW,
            log: vec![],
        };
        let first = k.feed(json!({"type": "start"}));
        assert_eq!(first[1]["cmd"], "initWxpayface");
        let ready = k.feed(json!({"type": "sdk_answer", "id": first[1]["id"], "json": OK}));
        assert_eq!(ready, vec![json!({"type": "ready"})]);
        k.log.clear();
        k
    }

    fn feed(&mut self, ev: Value) -> Vec<Value> {
        let ev: EventIn = serde_json::from_value(ev).unwrap();
        let out = self.flow.next(self.now, ev).unwrap();
        out.iter()
            .map(|a| serde_json::to_value(a).unwrap())
            .collect()
    }

    /// Drives one patient with `answer` deciding each reply.
    fn patient(&mut self, mut answer: impl FnMut(&Value) -> Value) -> Value {
        let mut queue = self.feed(json!({"type": "begin"}));
        loop {
            let a = queue.remove(0);
            let t = a["type"].as_str().unwrap().to_owned();
            match t.as_str() {
                "step" => continue,
                "done" => {
                    assert!(queue.is_empty());
                    return a;
                }
                "call_sdk" => {
                    let req: Value = serde_json::from_str(a["json"].as_str().unwrap()).unwrap();
                    let label = match req["quit_face_auth"].as_str() {
                        Some("1") => "quit".to_owned(),
                        _ => a["cmd"].as_str().unwrap().to_owned(),
                    };
                    self.log.push(label);
                }
                other => self.log.push(other.to_owned()),
            }
            let reply = answer(&a);
            queue.extend(self.feed(reply));
        }
    }
}

const OK: &str = r#"{"return_code":"SUCCESS","return_msg":"SUCCESS"}"#;

fn config() -> Value {
    json!({"appid": "wx1", "mch_id": "1900000109", "store_id": "S1"})
}

fn identity() -> Value {
    json!({"name": "张*三", "credential_type": 1, "credential_id": "110***********002X"})
}

/// The merchant and SDK of a normal day; `tweak` may override one answer.
fn answers(
    already: bool,
    mut tweak: impl FnMut(&str, &Value) -> Option<Value>,
) -> impl FnMut(&Value) -> Value {
    move |a| {
        let id = a["id"].clone();
        let kind = match a["cmd"].as_str() {
            Some(c) => c.to_owned(),
            None => a["type"].as_str().unwrap().to_owned(),
        };
        if let Some(v) = tweak(&kind, a) {
            return v;
        }
        match kind.as_str() {
            "getWxpayfaceRawdata" => {
                json!({"type": "sdk_answer", "id": id, "json": r#"{"return_code":"SUCCESS","rawdata":"RAW"}"#})
            }
            "getWxpayfaceCode" => json!({"type": "sdk_answer", "id": id,
                "json": r#"{"return_code":"SUCCESS","face_sid":"sid-1","openid":"o-1"}"#}),
            "getWxpayAuth" => json!({"type": "sdk_answer", "id": id, "json": OK}),
            "fetch_authinfo" => {
                json!({"type": "authinfo", "id": id, "authinfo": "AI", "expires_in": 7200})
            }
            "check_verified" => {
                json!({"type": "verified_checked", "id": id, "already_verified": already})
            }
            "fetch_real_name" => {
                json!({"type": "real_name", "id": id, "identity": identity(), "patient_id": "P1"})
            }
            other => panic!("unexpected {other}"),
        }
    }
}

#[test]
fn walk_verified() {
    let mut k = Kiosk::new(config());
    let done = k.patient(answers(false, |_, _| None));
    assert_eq!(done["outcome"], "verified");
    assert_eq!(done["identity"], identity());
    assert_eq!(
        done["who"],
        json!({"face_sid": "sid-1", "openid": "o-1", "sub_openid": null})
    );
    assert_eq!(
        k.log,
        [
            "getWxpayfaceRawdata",
            "fetch_authinfo",
            "getWxpayfaceCode",
            "check_verified",
            "getWxpayAuth",
            "fetch_real_name"
        ]
    );
    assert_eq!(k.flow.authinfo_expires_at(), Some(NOW.as_secs() + 7200));
    // The second patient reuses the cached authinfo.
    k.log.clear();
    let done = k.patient(answers(false, |_, _| None));
    assert_eq!(done["outcome"], "verified");
    assert_eq!(k.log[0], "getWxpayfaceCode");
}

#[test]
fn walk_already_verified_quits_the_sdk() {
    let mut k = Kiosk::new(config());
    let done = k.patient(answers(true, |_, _| None));
    assert_eq!(done["outcome"], "already_verified");
    assert!(done.get("identity").is_none());
    assert_eq!(k.log.last().unwrap(), "quit");
}

#[test]
fn walk_refused() {
    let mut k = Kiosk::new(config());
    let done = k.patient(answers(false, |kind, a| {
        (kind == "getWxpayAuth").then(|| json!({"type": "sdk_answer", "id": a["id"],
            "json": r#"{"return_code":"ERROR","return_msg":"拒绝","err_code":"ACTION_ON_USER_QUERY_CANCEL"}"#}))
    }));
    assert_eq!(done["outcome"], "consent_refused");
    assert!(!k.log.contains(&"fetch_real_name".to_owned()));
}

#[test]
fn walk_expired_authinfo_is_refreshed_once() {
    let mut k = Kiosk::new(config());
    let mut expired_once = false;
    let mut refresh_flags = vec![];
    let done = k.patient(answers(false, |kind, a| {
        if kind == "fetch_authinfo" {
            refresh_flags.push(a["refresh"].as_bool().unwrap());
        }
        (kind == "getWxpayfaceCode" && !std::mem::replace(&mut expired_once, true)).then(|| {
            json!({"type": "sdk_answer", "id": a["id"],
                "json": r#"{"return_code":"ERROR","return_msg":"授权请求信息不存在或者已过期","err_code":271382020}"#})
        })
    }));
    assert_eq!(done["outcome"], "verified");
    assert_eq!(
        k.log,
        [
            "getWxpayfaceRawdata",
            "fetch_authinfo",
            "getWxpayfaceCode",
            "getWxpayfaceRawdata",
            "fetch_authinfo",
            "getWxpayfaceCode",
            "check_verified",
            "getWxpayAuth",
            "fetch_real_name"
        ]
    );
    assert_eq!(
        refresh_flags,
        [false, true],
        "the second fetch bypasses the server's cache"
    );
}

#[test]
fn failures_name_the_sdk_command_and_the_backend_code() {
    let mut k = Kiosk::new(config());
    let done = k.patient(answers(false, |kind, a| {
        (kind == "getWxpayfaceRawdata").then(|| {
            json!({"type": "sdk_call_failed", "id": a["id"], "error": {"message": "bridge down"}})
        })
    }));
    assert_eq!(done["outcome"], "failed");
    assert_eq!(done["step"], "reading_rawdata");
    assert_eq!(done["error"]["name"], "sdk");
    assert_eq!(done["error"]["cmd"], "getWxpayfaceRawdata");
    assert_eq!(done["error"]["return_code"], "CALL_FAILED");

    let done = k.patient(answers(false, |kind, a| {
        (kind == "fetch_authinfo").then(|| {
            json!({"type": "backend_failed", "id": a["id"],
            "error": {"status": 502, "code": "SYSTEM_ERROR", "message": "系统繁忙"}})
        })
    }));
    assert_eq!(done["step"], "fetching_authinfo");
    assert_eq!(done["error"]["code"], "backend");
    assert_eq!(done["error"]["backend_code"], "SYSTEM_ERROR");
    assert_eq!(done["error"]["status"], 502);
    assert_eq!(done["error"]["retryable"], true);
}

#[test]
fn refused_events_leave_the_machine_unchanged() {
    let mut k = Kiosk::new(config());
    let ev: EventIn = serde_json::from_value(json!({"type": "verified_checked", "id": 99,
        "already_verified": true}))
    .unwrap();
    let e = k.flow.handle(NOW, ev).unwrap_err();
    assert_eq!(e.code(), "state");
    assert_eq!(k.flow.state_name(), "ready");
    let ev: EventIn =
        serde_json::from_value(json!({"type": "authinfo", "id": 1, "authinfo": "A"})).unwrap();
    assert!(ev.into_event(NOW, None).is_err(), "no expiry given");
    assert!(serde_json::from_value::<EventIn>(json!({"type": "dance"})).is_err());
}
