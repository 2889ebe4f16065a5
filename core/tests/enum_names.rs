//! Every public fieldless enum of the core has stable names: `ALL`,
//! `as_str`, `Display` and `FromStr` agree, names are unique, and `FromStr`
//! refuses an unknown name and a wrong-case name with
//! [`Error::InvalidInput`] on the enum's field.
//!
//! Exceptions, each checked below: [`Padding`] parses aliases in any case
//! (its documented configuration syntax); [`InfoType`] also parses
//! `ASK_UNION_ID`; [`CredentialType::Unknown`] is outside `ALL` and its name
//! `unknown` does not parse.

use std::collections::HashSet;
use std::fmt::{Debug, Display};
use std::str::FromStr;

use wxface_core::crypto::Padding;
use wxface_core::error::{Retry, TransportKind};
use wxface_core::http::{Endpoint, Method};
use wxface_core::realname::{CredentialType, IdNumberProblem};
use wxface_core::sdk::{CameraRotation, FaceAuthType, ProxyType, SdkErrorClass};
use wxface_core::v2::SignType;
use wxface_core::v3::users::InfoType;
use wxface_core::v3::verify::PlatformKeyKind;
use wxface_core::{Error, ErrorKind, SignatureFailure};

/// How the names of an enum are spelled.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// `snake_case`.
    Snake,
    /// A wire value (`MD5`, `FACE_AUTH`, `oaep-sha1`): any printable ASCII
    /// without spaces.
    Wire,
}

fn assert_refused<T: FromStr<Err = Error> + Debug>(name: &str, field: &str, ty: &str) {
    match name.parse::<T>() {
        Err(Error::InvalidInput { field: f, reason }) => {
            assert_eq!(f, field, "{ty}: field of the error for {name:?}");
            // The error names the rule, never the refused value.
            assert!(
                !reason.contains("such"),
                "{ty}: the reason echoes the value: {reason}"
            );
        }
        other => panic!("{ty}: {name:?} gave {other:?}, expected InvalidInput on `{field}`"),
    }
}

/// `name` with every letter's case flipped (`"md5"` for `"MD5"`,
/// `"ID_CARD"` for `"id_card"`), or `None` if it has no letter.
fn flip_case(name: &str) -> Option<String> {
    if !name.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    Some(
        name.chars()
            .map(|c| {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
    )
}

/// The common checks. `strict_case`: whether `FromStr` refuses a name in
/// the wrong case.
fn check<T>(
    ty: &str,
    all: &[T],
    as_str: fn(T) -> &'static str,
    field: &str,
    style: Style,
    strict_case: bool,
) where
    T: Copy + Debug + PartialEq + Display + FromStr<Err = Error>,
{
    assert!(!all.is_empty(), "{ty}: ALL is empty");
    let mut names = HashSet::new();
    for (i, &v) in all.iter().enumerate() {
        assert!(!all[..i].contains(&v), "{ty}: {v:?} appears twice in ALL");
        let name = as_str(v);
        assert!(names.insert(name), "{ty}: name {name:?} is used twice");
        match style {
            Style::Snake => assert!(
                name.starts_with(|c: char| c.is_ascii_lowercase())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    && !name.contains("__")
                    && !name.ends_with('_'),
                "{ty}: {name:?} is not snake_case"
            ),
            Style::Wire => assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()),
                "{ty}: {name:?} is not a plain wire value"
            ),
        }
        assert_eq!(v.to_string(), name, "{ty}: Display of {v:?}");
        match name.parse::<T>() {
            Ok(back) => assert_eq!(back, v, "{ty}: {name:?} parses to another value"),
            Err(e) => panic!("{ty}: {name:?} does not parse back: {e}"),
        }
        if strict_case {
            if let Some(flipped) = flip_case(name) {
                assert_refused::<T>(&flipped, field, ty);
            }
        }
        // Neither padding nor a prefix is a name.
        assert_refused::<T>(&format!(" {name}"), field, ty);
        assert_refused::<T>(&format!("{name}x"), field, ty);
    }
    assert_refused::<T>("", field, ty);
    assert_refused::<T>("no_such_name", field, ty);
    assert_refused::<T>("NO_SUCH_NAME", field, ty);
}

/// Compile-time proof that `$variant`s are every fieldless variant of `$ty`
/// (the match is exhaustive; `except` names a variant with data that `ALL`
/// leaves out), and a check that `ALL` lists exactly them, in order.
macro_rules! assert_all_is_complete {
    ($ty:ident, [$($variant:ident),+ $(,)?] $(, except $other:pat)?) => {{
        #[allow(dead_code)]
        fn exhaustive(v: $ty) {
            match v {
                $($ty::$variant)|+ => {}
                $($other => {})?
            }
        }
        let listed = [$($ty::$variant),+];
        assert_eq!($ty::ALL, &listed[..], "{}: ALL", stringify!($ty));
    }};
}

#[test]
fn retry() {
    assert_all_is_complete!(Retry, [Never, Depends]);
    check(
        "Retry",
        Retry::ALL,
        Retry::as_str,
        "retry",
        Style::Snake,
        true,
    );
}

#[test]
fn padding() {
    assert_all_is_complete!(Padding, [Pkcs1v15, OaepSha1]);
    check(
        "Padding",
        Padding::ALL,
        Padding::as_str,
        "padding",
        Style::Wire,
        false,
    );
    // Documented leniency: aliases, any case, `_` for `-`.
    for (alias, want) in [
        ("PKCS1V15", Padding::Pkcs1v15),
        ("pkcs1", Padding::Pkcs1v15),
        ("PKCS1-v1.5", Padding::Pkcs1v15),
        ("pkcs1v1.5", Padding::Pkcs1v15),
        ("OAEP-SHA1", Padding::OaepSha1),
        ("oaep_sha1", Padding::OaepSha1),
        ("oaep", Padding::OaepSha1),
    ] {
        assert_eq!(alias.parse::<Padding>().ok(), Some(want), "{alias}");
    }
    assert_eq!(Padding::default().as_str(), "pkcs1v15");
}

#[test]
fn sign_type() {
    assert_all_is_complete!(SignType, [Md5, HmacSha256]);
    check(
        "SignType",
        SignType::ALL,
        SignType::as_str,
        "sign_type",
        Style::Wire,
        true,
    );
    assert_eq!(SignType::Md5.as_str(), "MD5");
    assert_eq!(SignType::HmacSha256.as_str(), "HMAC-SHA256");
}

#[test]
fn method_and_endpoint() {
    assert_all_is_complete!(Method, [Get, Post]);
    check(
        "Method",
        Method::ALL,
        Method::as_str,
        "method",
        Style::Wire,
        true,
    );
    assert_eq!(Method::Get.as_str(), "GET");
    assert_eq!(Method::Post.as_str(), "POST");

    assert_all_is_complete!(Endpoint, [PayApp, ApiMch]);
    check(
        "Endpoint",
        Endpoint::ALL,
        Endpoint::as_str,
        "endpoint",
        Style::Snake,
        true,
    );
}

#[test]
fn credential_type() {
    assert_all_is_complete!(
        CredentialType,
        [
            IdCard,
            Passport,
            MilitaryOfficer,
            Soldier,
            HomeReturnPermit,
            TemporaryIdCard,
            HouseholdRegister,
            PoliceOfficer,
            TaiwanPermit,
            BusinessLicence,
            Other,
        ],
        except CredentialType::Unknown(_)
    );
    check(
        "CredentialType",
        CredentialType::ALL,
        CredentialType::as_str,
        "credential_type",
        Style::Snake,
        true,
    );
    // ALL is in wire-code order 1..=11, and the numeric form is unchanged.
    for (i, t) in CredentialType::ALL.iter().enumerate() {
        let code = i64::try_from(i).expect("small") + 1;
        assert_eq!(t.code(), code);
        assert_eq!(CredentialType::from_code(code), *t);
    }
    let unknown = CredentialType::from_code(42);
    assert_eq!(unknown, CredentialType::Unknown(42));
    assert_eq!(unknown.as_str(), "unknown");
    assert_eq!(unknown.to_string(), "unknown");
    assert_eq!(unknown.code(), 42);
    assert_refused::<CredentialType>("unknown", "credential_type", "CredentialType");
    assert_refused::<CredentialType>("1", "credential_type", "CredentialType");
}

#[test]
fn id_number_problem() {
    assert_all_is_complete!(IdNumberProblem, [Length, Characters, BirthDate, CheckDigit]);
    check(
        "IdNumberProblem",
        IdNumberProblem::ALL,
        IdNumberProblem::as_str,
        "id_number_problem",
        Style::Snake,
        true,
    );
    // The names the Python binding already exposes as `.reason`.
    let names: Vec<&str> = IdNumberProblem::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(names, ["length", "characters", "birth_date", "check_digit"]);
}

#[test]
fn sdk_enums() {
    assert_all_is_complete!(
        SdkErrorClass,
        [
            UserCancel,
            ConsentRefused,
            AuthinfoExpired,
            NotInitialised,
            Initialising,
            ScanInstead,
            Other,
        ]
    );
    check(
        "SdkErrorClass",
        SdkErrorClass::ALL,
        SdkErrorClass::as_str,
        "sdk_error_class",
        Style::Snake,
        true,
    );

    assert_all_is_complete!(ProxyType, [None, HttpTunnel, Socks5]);
    check(
        "ProxyType",
        ProxyType::ALL,
        ProxyType::as_str,
        "proxy_type",
        Style::Snake,
        true,
    );
    // The wire form stays the number.
    let codes: Vec<i64> = ProxyType::ALL.iter().map(|&t| i64::from(t)).collect();
    assert_eq!(codes, [0, 1, 2]);
    for &t in ProxyType::ALL {
        assert_eq!(ProxyType::try_from(i64::from(t)).ok(), Some(t));
        assert_eq!(
            serde_json::to_string(&t).expect("serialises"),
            i64::from(t).to_string()
        );
    }

    assert_all_is_complete!(CameraRotation, [Plus90, Rotate180, Minus90]);
    check(
        "CameraRotation",
        CameraRotation::ALL,
        CameraRotation::as_str,
        "camera_rotation",
        Style::Snake,
        true,
    );
    let codes: Vec<i64> = CameraRotation::ALL.iter().map(|&r| i64::from(r)).collect();
    assert_eq!(codes, [1, 2, 3]);
    for &r in CameraRotation::ALL {
        assert_eq!(CameraRotation::try_from(i64::from(r)).ok(), Some(r));
    }

    assert_all_is_complete!(FaceAuthType, [FaceAuth, FacePay]);
    check(
        "FaceAuthType",
        FaceAuthType::ALL,
        FaceAuthType::as_str,
        "face_authtype",
        Style::Wire,
        true,
    );
    // as_str is the serde (wire) form.
    for &t in FaceAuthType::ALL {
        assert_eq!(
            serde_json::to_value(t).expect("serialises"),
            serde_json::Value::from(t.as_str())
        );
    }
}

#[test]
fn v3_enums() {
    assert_all_is_complete!(PlatformKeyKind, [Certificate, PublicKey]);
    check(
        "PlatformKeyKind",
        PlatformKeyKind::ALL,
        PlatformKeyKind::as_str,
        "platform_key_kind",
        Style::Snake,
        true,
    );

    assert_all_is_complete!(InfoType, [AskRealName, AskUnionId]);
    check(
        "InfoType",
        InfoType::ALL,
        InfoType::as_str,
        "info_type",
        Style::Wire,
        true,
    );
    // The source document's spelling is accepted on input, never produced.
    assert_eq!(
        "ASK_UNION_ID".parse::<InfoType>().ok(),
        Some(InfoType::AskUnionId)
    );
    assert_eq!(InfoType::AskUnionId.as_str(), "ASK_UNIONID");
}

#[test]
fn error_enums() {
    // `ErrorKind` is `#[non_exhaustive]`: no exhaustive match out here.
    check(
        "ErrorKind",
        ErrorKind::ALL,
        ErrorKind::as_str,
        "kind",
        Style::Snake,
        true,
    );
    check(
        "TransportKind",
        TransportKind::ALL,
        TransportKind::as_str,
        "transport_kind",
        Style::Snake,
        true,
    );
    check(
        "SignatureFailure",
        SignatureFailure::ALL,
        SignatureFailure::as_str,
        "code",
        Style::Snake,
        true,
    );
}

#[test]
fn as_str_is_usable_in_const_context() {
    const NAMES: [&str; 4] = [
        Retry::Never.as_str(),
        SignType::HmacSha256.as_str(),
        CredentialType::IdCard.as_str(),
        Padding::OaepSha1.as_str(),
    ];
    assert_eq!(NAMES, ["never", "HMAC-SHA256", "id_card", "oaep-sha1"]);
}
