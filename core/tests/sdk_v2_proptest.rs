//! Face SDK and v2 messages: what the builders emit, the parsers read back
//! unchanged; and no parser panics on arbitrary input.

use proptest::prelude::*;
use wxface_core::sdk::{
    AuthRequest, Cmd, FaceAuthType, FaceCodeRequest, SdkReply, SdkRequest, SdkVersion,
};
use wxface_core::v2::{parse_authinfo_response, ApiKey, Fields, SignType};
use wxface_core::UnixTime;

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,32}"
}

fn opt_id() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(id())
}

/// Any printable text, Chinese included, with JSON's troublesome characters.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[a-zA-Z0-9+/=\"\\\\ 医院测试<>&]{{1,{max}}}"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn face_code() -> impl Strategy<Value = SdkRequest> {
    (
        (id(), id(), opt_id(), opt_id(), id()),
        (opt_id(), proptest::option::of("\\+?[0-9]{3,19}"), text(200)),
        (
            proptest::option::of("[1-9][0-9]?"),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (appid, mch_id, sub_appid, sub_mch_id, store_id),
                (openid, telephone, authinfo),
                (screen_index, dk, token, pay),
            )| {
                SdkRequest::GetFaceCode(FaceCodeRequest {
                    appid,
                    mch_id,
                    sub_appid,
                    sub_mch_id,
                    store_id,
                    openid,
                    telephone,
                    face_authtype: if pay {
                        FaceAuthType::FacePay
                    } else {
                        FaceAuthType::FaceAuth
                    },
                    authinfo,
                    screen_index,
                    disable_keyboard: dk,
                    token,
                })
            },
        )
}

fn request() -> impl Strategy<Value = SdkRequest> {
    prop_oneof![
        face_code(),
        (text(300), id(), any::<bool>()).prop_map(
            |(authinfo, face_sid, quit)| SdkRequest::GetAuth(AuthRequest {
                authinfo,
                face_sid,
                quit
            })
        ),
        Just(SdkRequest::GetRawdata),
        Just(SdkRequest::Release),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sdk_requests_round_trip(req in request(), now in 1_000_000_000u64..9_999_999_999) {
        let json = req.to_json(SdkVersion::V1_24, UnixTime(now)).unwrap_or_else(|e| panic!("{e}"));
        let (back, t) = SdkRequest::parse(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"));
        prop_assert_eq!(t, UnixTime(now));
        prop_assert_eq!(back, req);
    }

    #[test]
    fn sdk_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), s in ".{0,200}") {
        let _ = SdkRequest::parse(&bytes);
        let _ = SdkRequest::parse(s.as_bytes());
        for cmd in Cmd::ALL {
            let _ = SdkReply::parse(cmd, &bytes);
            let _ = SdkReply::parse(cmd, s.as_bytes());
        }
    }

    #[test]
    fn sdk_replies_round_trip(sid in id(), openid in opt_id(), raw in "[A-Za-z0-9+/=]{1,2048}") {
        let r = SdkReply::Rawdata(raw);
        prop_assert_eq!(SdkReply::parse(Cmd::GetRawdata, r.to_json().as_bytes()).unwrap_or_else(|e| panic!("{e}")), r);
        let f = SdkReply::FaceCode(wxface_core::sdk::FaceCodeReply { face_sid: Some(sid), openid, ..Default::default() });
        prop_assert_eq!(SdkReply::parse(Cmd::GetFaceCode, f.to_json().as_bytes()).unwrap_or_else(|e| panic!("{e}")), f);
    }

    #[test]
    fn v2_fields_round_trip_and_verify(
        fields in proptest::collection::btree_map("[a-z_]{1,16}", "[^\u{0}-\u{1f}\u{7f}]{0,40}", 0..12),
        hmac in any::<bool>(),
    ) {
        let key = ApiKey::new("192006250b4c09247ec02edce69f6a2d").unwrap_or_else(|e| panic!("{e}"));
        let st = if hmac { SignType::HmacSha256 } else { SignType::Md5 };
        let mut f = Fields(fields.into_iter().filter(|(k, _)| k != "sign" && k != "xml").collect());
        f.sign_in_place(&key, st);
        let back = Fields::parse_xml(f.to_xml().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(&back, &f);
        prop_assert!(back.verify(&key, st).is_ok());
    }

    #[test]
    fn v2_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), s in "(<[a-z!?/]{0,4}>|[a-z&;#\\[\\]CDAT]{0,6}|.{0,4}){0,30}") {
        let key = ApiKey::new("k").unwrap_or_else(|e| panic!("{e}"));
        let _ = Fields::parse_xml(&bytes);
        let _ = Fields::parse_xml(s.as_bytes());
        let _ = parse_authinfo_response(s.as_bytes(), &key, SignType::Md5, UnixTime(0));
    }
}
