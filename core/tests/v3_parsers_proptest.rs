//! The APIv3 parsers never panic, whatever they are fed, and what they accept
//! survives a round trip.

use proptest::prelude::*;
use wxface_core::crypto::pem;
use wxface_core::v3::{inspect_users_body, parse_error_body, Authorization, InfoType, UsersQuery};

/// Strings close to a real `Authorization` header: the scheme, then items
/// drawn from valid and broken pieces.
fn near_authorization() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("mchid".to_owned()),
        Just("nonce_str".to_owned()),
        Just("signature".to_owned()),
        Just("timestamp".to_owned()),
        Just("serial_no".to_owned()),
        "[a-z_ ]{0,10}",
    ];
    let value = prop_oneof!["[0-9]{0,20}", "[A-Za-z0-9+/=]{0,40}", ".{0,12}"];
    let item = (key, value, any::<bool>()).prop_map(|(k, v, quoted)| {
        if quoted {
            format!("{k}=\"{v}\"")
        } else {
            format!("{k}={v}")
        }
    });
    (
        prop_oneof![
            Just("WECHATPAY2-SHA256-RSA2048 ".to_owned()),
            Just("WECHATPAY2-SHA256-RSA2048".to_owned()),
            ".{0,30}"
        ],
        proptest::collection::vec(item, 0..8),
        prop_oneof![Just(",".to_owned()), Just(", ".to_owned()), ".{0,2}"],
    )
        .prop_map(|(scheme, items, sep)| format!("{scheme}{}", items.join(&sep)))
}

/// Bytes close to a users answer: JSON objects with the real keys and
/// values of every JSON type.
fn near_users_body() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)),
        ".{0,20}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(field_name(), inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map(field_name(), value, 0..7).prop_map(|m| {
        serde_json::to_vec(&serde_json::Value::Object(m.into_iter().collect())).unwrap_or_default()
    })
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("openid".to_owned()),
        Just("sub_openid".to_owned()),
        Just("union_id".to_owned()),
        Just("real_name_info".to_owned()),
        Just("encrypted_real_name".to_owned()),
        Just("credential_type".to_owned()),
        Just("encrypted_credential_id".to_owned()),
        Just("code".to_owned()),
        Just("message".to_owned()),
        Just("detail".to_owned()),
        "[a-z_]{1,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn authorization_parser_never_panics(s in ".{0,300}") {
        let _ = Authorization::parse(&s);
    }

    #[test]
    fn authorization_parser_near_misses(s in near_authorization()) {
        if let Ok(a) = Authorization::parse(&s) {
            // Whatever it accepts it can print back, and that parses the same.
            let again = Authorization::parse(&a.to_header_value());
            prop_assert_eq!(again.ok(), Some(a));
        }
    }

    #[test]
    fn users_parser_never_panics(b in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = inspect_users_body(&b);
        let _ = parse_error_body(400, &b);
    }

    #[test]
    fn users_parser_near_misses(b in near_users_body()) {
        let _ = inspect_users_body(&b);
        let e = parse_error_body(500, &b);
        prop_assert_eq!(e.code(), "backend");
    }

    #[test]
    fn path_parser_never_panics(s in ".{0,200}", tail in "[a-zA-Z0-9%/?&=_]{0,80}") {
        let _ = UsersQuery::from_path_and_query(&s);
        let _ = UsersQuery::from_path_and_query(&format!("/v3/facemch/users/{tail}"));
    }

    #[test]
    fn built_paths_parse_back(face_sid in "\\PC{1,40}", appid in "[a-z0-9]{1,32}", union in any::<bool>()) {
        let q = UsersQuery::new(
            face_sid,
            if union { InfoType::AskUnionId } else { InfoType::AskRealName },
            appid,
        );
        if let Ok(pq) = q.path_and_query() {
            prop_assert!(pq.is_ascii());
            let back = UsersQuery::from_path_and_query(&pq);
            prop_assert_eq!(back.ok(), Some(q));
        }
    }

    #[test]
    fn pem_parser_never_panics(s in ".{0,400}", body in "[A-Za-z0-9+/=\\n]{0,200}") {
        let _ = pem::parse_pem_blocks(&s);
        for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE"] {
            let text = format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n");
            let _ = pem::private_key_pkcs8_der_from_pem(&text);
            let _ = pem::public_key_spki_der_from_pem(&text);
            let _ = pem::certificate_from_pem(&text);
        }
    }
}
