//! Runs the credential-number vectors (tests/vectors/realname/credentials.json):
//! the plausibility rule of every credential type and the masked form of
//! every accepted number.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use wxface_core::realname::{mask_credential_id, validate_credential_id, CredentialType, RealName};

fn load(rel: &str) -> Vec<(String, Vec<Value>)> {
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
        .map(|g| {
            (
                g["type"].as_str().unwrap().to_owned(),
                g["tests"].as_array().unwrap().clone(),
            )
        })
        .collect()
}

fn group(name: &str) -> Vec<Value> {
    load("realname/credentials.json")
        .into_iter()
        .find(|(t, _)| t == name)
        .map(|(_, tests)| tests)
        .unwrap_or_else(|| panic!("no group {name}"))
}

#[test]
fn credential_numbers() {
    let tests = group("credential_id");
    let mut seen: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    for t in tests {
        let id = &t["tcId"];
        let code = t["inputs"]["credential_type"].as_i64().unwrap();
        let number = t["inputs"]["credential_id"].as_str().unwrap();
        let ty = CredentialType::from_code(code);
        let got = validate_credential_id(ty, number);
        let entry = seen.entry(code).or_default();
        match t["result"].as_str().unwrap() {
            "valid" => {
                entry.0 += 1;
                got.unwrap_or_else(|r| panic!("tc {id} ({}): {r}", t["comment"]));
                let masked = t["expected"].as_str().unwrap();
                assert_eq!(mask_credential_id(number), masked, "tc {id}");
                // The same through a decrypted identity, in every rendering.
                let r = RealName::new("测试患者".into(), ty, number.to_owned())
                    .unwrap_or_else(|e| panic!("tc {id}: {e}"));
                assert_eq!(r.masked_credential_id(), masked, "tc {id}");
                assert_eq!(r.masked().credential_id, masked, "tc {id}");
                for shown in [format!("{r:?}"), format!("{r}")] {
                    assert!(shown.contains(masked), "tc {id}: {shown}");
                    assert!(!shown.contains(number), "tc {id}: {shown}");
                }
            }
            _ => {
                entry.1 += 1;
                let reason = got.expect_err(&format!("tc {id} ({}) must fail", t["comment"]));
                assert!(t["expected"].is_null(), "tc {id}");
                if number.chars().count() >= 4 {
                    assert!(!reason.contains(number), "tc {id}: {reason}");
                }
                let e = RealName::new("测试患者".into(), ty, number.to_owned())
                    .expect_err(&format!("tc {id} must fail"));
                assert!(
                    number.chars().count() < 4 || !e.to_string().contains(number),
                    "tc {id}: {e}"
                );
            }
        }
    }
    for code in 1..=11 {
        let (valid, invalid) = seen.get(&code).copied().unwrap_or_default();
        assert!(
            valid >= 3 && invalid >= 3,
            "type {code}: {valid} valid, {invalid} invalid"
        );
    }
}

#[test]
fn credential_masks() {
    let tests = group("credential_mask");
    assert!(tests.len() >= 30);
    for t in tests {
        let id = &t["tcId"];
        let number = t["inputs"]["credential_id"].as_str().unwrap();
        assert_eq!(
            mask_credential_id(number),
            t["expected"].as_str().unwrap(),
            "tc {id} ({})",
            t["comment"]
        );
    }
}
