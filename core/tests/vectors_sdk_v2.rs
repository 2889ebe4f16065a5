//! Runs the shared vector corpus for the face SDK commands and for v2.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use serde_json::Value;
use wxface_core::sdk::{classify_sdk_error, Cmd, SdkReply, SdkRequest, SdkVersion};
use wxface_core::v2::{parse_authinfo_response, ApiKey, Fields, SignType};
use wxface_core::UnixTime;

fn load(rel: &str) -> Vec<Value> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors")
        .join(rel);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    assert!(
        v["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{rel} says where its values came from"
    );
    v["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().clone())
        .collect()
}

fn class_name(c: wxface_core::sdk::SdkErrorClass) -> &'static str {
    use wxface_core::sdk::SdkErrorClass::*;
    match c {
        UserCancel => "user_cancel",
        ConsentRefused => "consent_refused",
        AuthinfoExpired => "authinfo_expired",
        NotInitialised => "not_initialised",
        Initialising => "initialising",
        ScanInstead => "scan_instead",
        Other => "other",
    }
}

#[test]
fn sdk_requests() {
    let tests = load("sdk/requests.json");
    assert!(tests.len() >= 30);
    for t in tests {
        let id = &t["tcId"];
        let i = &t["inputs"];
        let v: SdkVersion = i["sdk_version"].as_str().unwrap().parse().unwrap();
        let req = SdkRequest::from_object(i["request"].clone());
        let got = req
            .clone()
            .and_then(|r| r.to_json(v, UnixTime(i["now"].as_u64().unwrap())));
        match t["result"].as_str().unwrap() {
            "valid" => {
                let json = got.unwrap_or_else(|e| panic!("tc {id}: {e}"));
                assert_eq!(json, t["expected"].as_str().unwrap(), "tc {id}");
                // The SDK side parses what the kiosk side built back into the same request.
                let (back, now) =
                    SdkRequest::parse(json.as_bytes()).unwrap_or_else(|e| panic!("tc {id}: {e}"));
                assert_eq!(now.as_secs(), i["now"].as_u64().unwrap());
                assert_eq!(back, req.unwrap(), "tc {id}");
            }
            _ => {
                let e = got.expect_err(&format!("tc {id} must fail"));
                assert_eq!(e.code(), t["code"].as_str().unwrap(), "tc {id}: {e}");
            }
        }
    }
}

/// How the SDK side (the emulator) reads request JSON it did not build.
#[test]
fn sdk_wire_requests() {
    let tests = load("sdk/wire_requests.json");
    assert!(tests.len() >= 10);
    for t in tests {
        let id = &t["tcId"];
        let got = SdkRequest::parse(t["inputs"]["json"].as_str().unwrap().as_bytes());
        match t["result"].as_str().unwrap() {
            "valid" => {
                let (req, _) = got.unwrap_or_else(|e| panic!("tc {id}: {e}"));
                let exp = &t["expected"];
                match &req {
                    SdkRequest::GetFaceCode(r) => {
                        if let Some(a) = exp["face_authtype"].as_str() {
                            assert_eq!(r.face_authtype.as_str(), a, "tc {id}");
                        }
                        if let Some(s) = exp["screen_index"].as_str() {
                            assert_eq!(r.screen_index.as_deref(), Some(s), "tc {id}");
                        }
                        if let Some(s) = exp["telephone"].as_str() {
                            assert_eq!(r.telephone.as_deref(), Some(s), "tc {id}");
                        }
                    }
                    SdkRequest::GetAuth(r) => {
                        assert_eq!(
                            Some(r.face_sid.len() as u64),
                            exp["face_sid_len"].as_u64(),
                            "tc {id}"
                        );
                    }
                    other => panic!("tc {id}: unexpected {other:?}"),
                }
            }
            _ => {
                let e = got.expect_err(&format!("tc {id} must fail"));
                assert_eq!(e.code(), t["code"].as_str().unwrap(), "tc {id}: {e}");
            }
        }
    }
}

#[test]
fn sdk_responses() {
    for t in load("sdk/responses.json") {
        let id = &t["tcId"];
        let cmd: Cmd = t["inputs"]["cmd"].as_str().unwrap().parse().unwrap();
        let got = SdkReply::parse(cmd, t["inputs"]["response"].as_str().unwrap().as_bytes());
        match t["result"].as_str().unwrap() {
            "valid" => {
                let reply = got.unwrap_or_else(|e| panic!("tc {id}: {e}"));
                let exp = &t["expected"];
                match reply {
                    SdkReply::Rawdata(r) => assert_eq!(r, exp["rawdata"].as_str().unwrap()),
                    SdkReply::FaceCode(f) => {
                        assert_eq!(f.face_sid.as_deref(), exp["face_sid"].as_str(), "tc {id}");
                        assert_eq!(f.face_code.as_deref(), exp["face_code"].as_str(), "tc {id}");
                        assert_eq!(f.openid.as_deref(), exp["openid"].as_str(), "tc {id}");
                        assert_eq!(
                            f.sub_openid.as_deref(),
                            exp["sub_openid"].as_str(),
                            "tc {id}"
                        );
                        assert_eq!(f.telephone_used, exp["telephone_used"].as_bool(), "tc {id}");
                    }
                    _ => assert!(exp.as_object().unwrap().is_empty()),
                }
            }
            _ => {
                let e = got.expect_err(&format!("tc {id} must fail"));
                assert_eq!(e.code(), t["code"].as_str().unwrap(), "tc {id}: {e}");
                if let Some(c) = t["class"].as_str() {
                    assert_eq!(class_name(classify_sdk_error(&e).unwrap()), c, "tc {id}");
                }
            }
        }
    }
}

#[test]
fn v2_signatures() {
    for t in load("v2/sign.json") {
        let i = &t["inputs"];
        let mut f = Fields::new();
        for (k, v) in i["fields"].as_object().unwrap() {
            f.set(k, v.as_str().unwrap());
        }
        let key = ApiKey::new(i["key"].as_str().unwrap()).unwrap();
        let st: SignType = i["sign_type"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            f.canonical_string(),
            t["canonical"].as_str().unwrap(),
            "tc {}",
            t["tcId"]
        );
        assert_eq!(
            f.sign(&key, st),
            t["expected"].as_str().unwrap(),
            "tc {}",
            t["tcId"]
        );
    }
}

#[test]
fn v2_authinfo_answers() {
    let tests = load("v2/authinfo_response.json");
    let negatives = tests.iter().filter(|t| t["result"] == "invalid").count();
    assert!(negatives >= 30, "{negatives} negative cases");
    for t in tests {
        let id = &t["tcId"];
        let i = &t["inputs"];
        let body = match i["xml"].as_str() {
            Some(x) => x.as_bytes().to_vec(),
            None => {
                let h = i["xml_hex"].as_str().unwrap();
                (0..h.len())
                    .step_by(2)
                    .map(|j| u8::from_str_radix(&h[j..j + 2], 16).unwrap())
                    .collect()
            }
        };
        let key = ApiKey::new(i["key"].as_str().unwrap()).unwrap();
        let st: SignType = i["sign_type"].as_str().unwrap().parse().unwrap();
        let got = parse_authinfo_response(&body, &key, st, UnixTime(i["now"].as_u64().unwrap()));
        match t["result"].as_str().unwrap() {
            "valid" => {
                let r = got.unwrap_or_else(|e| panic!("tc {id}: {e}"));
                let exp = &t["expected"];
                assert_eq!(r.authinfo, exp["authinfo"].as_str().unwrap(), "tc {id}");
                assert_eq!(r.expires_in, exp["expires_in"].as_u64().unwrap());
                assert_eq!(r.expires_at.as_secs(), exp["expires_at"].as_u64().unwrap());
            }
            _ => {
                let e = got.expect_err(&format!("tc {id} must fail"));
                assert_eq!(
                    e.code(),
                    t["code"].as_str().unwrap(),
                    "tc {id} ({}): {e}",
                    t["comment"]
                );
                if let Some(c) = t["expected"]["backend_code"].as_str() {
                    match e {
                        wxface_core::Error::Backend { code, message, .. } => {
                            assert_eq!(code, c);
                            assert_eq!(message, t["expected"]["message"].as_str().unwrap());
                        }
                        other => panic!("tc {id}: {other:?}"),
                    }
                }
            }
        }
    }
}
