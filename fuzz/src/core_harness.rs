//! What the fuzz targets of `wxface-core` check, one function per target.
//!
//! Shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`, nightly, libFuzzer)
//! and by `core/tests/fuzz_regressions.rs`, which replays the saved inputs of
//! `fuzz/regressions/<target>/` on stable. Every function takes any bytes and
//! must neither panic nor leak; the properties it asserts are the contract of
//! the code under test.

use std::sync::Arc;

use wxface_core::crypto::{pem, CryptoProvider, PrivateKey};
use wxface_core::sdk::{Cmd, SdkReply, SdkRequest, SdkVersion};
use wxface_core::v2::{parse_authinfo_response, ApiKey, Fields, SignType, MAX_XML_BYTES};
use wxface_core::v3::{
    handle_users_response, Authorization, PlatformKeyStore, PlatformSigner, RequestVerifier,
    ResponseVerifier, UsersQuery,
};
use wxface_core::{Error, UnixTime};

/// The test platform keys (published fixtures, never real).
const PLATFORM_CERT: &str = include_str!("../../tests/vectors/keys/platform_cert.pem");
const PLATFORM_CERT_EXPIRED: &str =
    include_str!("../../tests/vectors/keys/platform_cert_expired.pem");
const PLATFORM_KEY: &str = include_str!("../../tests/vectors/keys/platform_pkcs8.pem");
const PLATFORM_PUBKEY: &str = include_str!("../../tests/vectors/keys/platform_pubkey_pub.pem");
const PLATFORM_PUBKEY_ID: &str = "PUB_KEY_ID_0119000000012026010100000000000001";
const MERCHANT_CERT: &str = include_str!("../../tests/vectors/keys/merchant_cert.pem");

/// The `now` of the APIv3 answer vectors (2026-01-01T00:00:00Z).
pub const NOW: UnixTime = UnixTime(1_767_225_600);

/// The answer headers that carry the signature (each at most once).
const SIGNATURE_HEADERS: [&str; 5] = [
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Signature",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
];

/// The request the `authorization_verify` vectors sign.
const USERS_TARGET: &str =
    "/v3/facemch/users/FACE_SID_0001?info_type=ASK_REAL_NAME&appid=wx0000000000000001";

/// The v2 API key of WeChat Pay's published example (tests/vectors/v2).
const V2_KEY: &str = "192006250b4c09247ec02edce69f6a2d";

/// Touch what an error shows, as a caller would when logging it.
fn show(e: &Error) {
    let _ = e.code();
    let _ = e.to_string();
    let _ = format!("{e:?}");
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

// ------------------------------------------------------------------ v2_xml

/// `v2_xml`: the flat XML reader and the authinfo answer on top of it.
///
/// Properties: a document that parses re-serialises (`Fields::to_xml`) to
/// one that, within the 64 KiB limit, parses to the same fields; signing the parsed fields in place
/// makes them verify; an answer accepted by `parse_authinfo_response` was
/// signed and has a bounded `authinfo`.
pub fn v2_xml(data: &[u8]) {
    let key = ApiKey::new(V2_KEY).unwrap_or_else(|e| panic!("{e}"));
    match Fields::parse_xml(data) {
        Ok(fields) => {
            // CDATA sections make the output longer than the input; the round
            // trip holds for every document within the reader's size limit.
            let xml = fields.to_xml();
            if xml.len() <= MAX_XML_BYTES {
                let again = Fields::parse_xml(xml.as_bytes())
                    .unwrap_or_else(|e| panic!("to_xml output does not parse: {e}"));
                assert_eq!(again, fields, "XML round trip changed the fields");
            }
            let _ = fields.canonical_string();
            for t in [SignType::Md5, SignType::HmacSha256] {
                let _ = fields.verify(&key, t).map_err(|e| show(&e));
                let mut signed = fields.clone();
                signed.sign_in_place(&key, t);
                assert!(
                    signed.verify(&key, t).is_ok(),
                    "signed fields do not verify"
                );
            }
        }
        Err(e) => show(&e),
    }
    for t in [SignType::Md5, SignType::HmacSha256] {
        match parse_authinfo_response(data, &key, t, NOW) {
            Ok(r) => {
                assert!(!r.authinfo.is_empty());
                assert!(r.authinfo.chars().count() <= wxface_core::sdk::MAX_AUTHINFO);
                assert_eq!(r.expires_at, NOW.plus(r.expires_in));
                let _ = format!("{r:?}");
            }
            Err(e) => show(&e),
        }
    }
}

// ---------------------------------------------------------------- sdk_json

/// `sdk_json`: SDK requests and replies, both directions.
///
/// Properties: a request that `SdkRequest::parse` accepts serialises with
/// `to_json` (newest SDK) to one that parses back to the same request and
/// time; the typed object form (`from_object`) round-trips through serde;
/// a reply that `SdkReply::parse` accepts re-serialises with `to_json` to
/// one that parses back to the same reply.
pub fn sdk_json(data: &[u8]) {
    let newest = SdkVersion::new(u16::MAX, 0);
    match SdkRequest::parse(data) {
        Ok((req, now)) => {
            let json = req
                .to_json(newest, now)
                .unwrap_or_else(|e| panic!("a parsed request does not serialise: {e}"));
            let (again, now2) = SdkRequest::parse(json.as_bytes())
                .unwrap_or_else(|e| panic!("to_json output does not parse: {e}"));
            assert_eq!(again, req, "request round trip changed it");
            assert_eq!(now2, now);
        }
        Err(e) => show(&e),
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        match SdkRequest::from_object(value) {
            Ok(req) => {
                let value = serde_json::to_value(&req)
                    .unwrap_or_else(|e| panic!("a request does not serialise to an object: {e}"));
                let again = SdkRequest::from_object(value)
                    .unwrap_or_else(|e| panic!("object form does not parse back: {e}"));
                assert_eq!(again, req, "object round trip changed the request");
                // The wire form, where the field rules allow one.
                if let Ok(json) = req.to_json(newest, NOW) {
                    let (wire, now) = SdkRequest::parse(json.as_bytes())
                        .unwrap_or_else(|e| panic!("to_json output does not parse: {e}"));
                    assert_eq!(now, NOW);
                    assert_eq!(wire, req, "wire round trip changed the request");
                }
            }
            Err(e) => show(&e),
        }
    }
    for cmd in Cmd::ALL {
        match SdkReply::parse(cmd, data) {
            Ok(reply) => {
                let json = reply.to_json();
                let again = SdkReply::parse(cmd, json.as_bytes())
                    .unwrap_or_else(|e| panic!("reply to_json output does not parse: {e}"));
                assert_eq!(again, reply, "reply round trip changed it");
            }
            Err(e) => {
                show(&e);
                let _ = wxface_core::sdk::classify_sdk_error(&e);
            }
        }
    }
}

// ------------------------------------------------------------ users_answer

/// What the APIv3 answer targets need, built once.
pub struct V3Context {
    verifier: ResponseVerifier,
    signer: PlatformSigner,
    requests: RequestVerifier,
}

impl V3Context {
    /// The platform certificates (current and expired) and the platform
    /// public key of the vectors, loaded into `provider`.
    pub fn new(provider: &dyn CryptoProvider) -> Self {
        let mut store = PlatformKeyStore::new();
        let serial = store
            .add_certificate_pem(provider, PLATFORM_CERT)
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .add_certificate_pem(provider, PLATFORM_CERT_EXPIRED)
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .add_public_key_pem(provider, PLATFORM_PUBKEY_ID, PLATFORM_PUBKEY)
            .unwrap_or_else(|e| panic!("{e}"));
        let key: Arc<dyn PrivateKey> =
            pem::load_private_key(provider, PLATFORM_KEY).unwrap_or_else(|e| panic!("{e}"));
        let signer = PlatformSigner::new(serial, key).unwrap_or_else(|e| panic!("{e}"));
        let merchant = pem::certificate_from_pem(MERCHANT_CERT).unwrap_or_else(|e| panic!("{e}"));
        let mut requests = RequestVerifier::new();
        requests.add_merchant(
            "1900000001",
            merchant.serial_hex,
            provider
                .public_key_from_spki_der(&merchant.spki_der)
                .unwrap_or_else(|e| panic!("{e}")),
        );
        Self {
            verifier: ResponseVerifier::new(store),
            signer,
            requests,
        }
    }
}

/// `now` relative to [`NOW`], picked by three bits: inside, at and beyond
/// the 300 s window, both directions, and the certificate's expiry.
fn pick_now(bits: u8) -> UnixTime {
    match bits & 7 {
        0 => NOW,
        1 => NOW.plus(299),
        2 => UnixTime(NOW.as_secs() - 299),
        3 => NOW.plus(300),
        4 => UnixTime(NOW.as_secs() - 300),
        5 => UnixTime(0),
        6 => UnixTime(u64::MAX),
        _ => NOW.plus(10 * 366 * 86_400),
    }
}

/// An HTTP answer as fuzz input: `[flags][status hi][status lo]`, then
/// header lines `Name: value\n` up to an empty line, then the body.
pub struct Answer<'a> {
    /// Bit 0: sign the body validly (headers made here); bit 1: put the
    /// made headers after the parsed ones; bits 2-4: `now`.
    pub flags: u8,
    /// HTTP status.
    pub status: u16,
    /// Header lines, in order (duplicates kept).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: &'a [u8],
}

impl<'a> Answer<'a> {
    /// Split `data`; `None` when it is shorter than the three header bytes.
    pub fn parse(data: &'a [u8]) -> Option<Self> {
        let (&[flags, hi, lo], mut rest) = data.split_first_chunk::<3>()?;
        let mut headers = Vec::new();
        // Without a blank line the remaining bytes are the body.
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            let line = &rest[..end];
            rest = &rest[end + 1..];
            if line.is_empty() {
                break;
            }
            let line = String::from_utf8_lossy(line);
            let (k, v) = line.split_once(':').unwrap_or((&line, ""));
            headers.push((k.to_owned(), v.strip_prefix(' ').unwrap_or(v).to_owned()));
        }
        Some(Self {
            flags,
            status: u16::from_be_bytes([hi, lo]),
            headers,
            body: rest,
        })
    }
}

/// `users_answer`: `handle_users_response` with fuzzed status, headers
/// (duplicated `Wechatpay-*` included) and body; with flag bit 0 the body is
/// also signed validly, so the body parser behind the verification is
/// reached.
///
/// Properties: a non-2xx status is always a backend error; a 2xx answer
/// that repeats a signature header is refused on its signature; a validly
/// signed answer never fails on its signature.
pub fn users_answer(ctx: &V3Context, data: &[u8]) {
    let Some(a) = Answer::parse(data) else {
        return;
    };
    let now = pick_now(a.flags >> 2);
    let signed_here = a.flags & 1 == 1;
    let mut headers = a.headers.clone();
    if signed_here {
        let made = ctx
            .signer
            .sign(a.body, now, "fuzz0123456789abcdef0123456789ab")
            .unwrap_or_else(|e| panic!("{e}"));
        if a.flags & 2 == 0 {
            headers.splice(0..0, made);
        } else {
            headers.extend(made);
        }
    }
    let result = handle_users_response(&ctx.verifier, a.status, &headers, a.body, now);
    match &result {
        Ok(_) => assert!((200..300).contains(&a.status)),
        Err(e) => {
            show(e);
            if !(200..300).contains(&a.status) {
                assert!(
                    matches!(e, Error::Backend { .. }),
                    "non-2xx must be Backend: {e:?}"
                );
            }
        }
    }
    // With the made headers alone the signature is good, in any order and
    // at any `now` before the certificate expires (they are signed at `now`);
    // a repeated signature header is always refused.
    let count = |name: &str| {
        headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .count()
    };
    let repeated = SIGNATURE_HEADERS.iter().any(|name| count(name) > 1);
    let scheme_named = count("Wechatpay-Signature-Type") > 0;
    let unexpired = (a.flags >> 2) & 7 < 6;
    if !(200..300).contains(&a.status) {
        return;
    }
    if repeated {
        assert!(
            matches!(result, Err(Error::Signature { .. })),
            "a repeated signature header was not refused: {:?}",
            result.as_ref().err()
        );
    } else if signed_here && unexpired && !scheme_named {
        if let Err(e) = &result {
            assert!(
                !matches!(e, Error::Signature { .. }),
                "a valid signature was refused: {e:?}"
            );
        }
    }
}

// -------------------------------------------------------------- v3_headers

/// `v3_headers`: the `Authorization` grammar, request verification, the
/// identity query's request target and the `Wechatpay-*` answer headers.
/// The first byte picks the parser, the rest is its input.
///
/// Properties: a parsed `Authorization` prints back to a header that parses
/// to the same value; a parsed request target rebuilds (`path_and_query`) to
/// one that parses to the same query.
pub fn v3_headers(ctx: &V3Context, data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            let Some(h) = text(rest) else { return };
            match Authorization::parse(h) {
                Ok(a) => {
                    let again = Authorization::parse(&a.to_header_value())
                        .unwrap_or_else(|e| panic!("to_header_value does not parse: {e}"));
                    assert_eq!(again, a);
                    let _ = a.message("POST", "/v3/x", b"{}");
                }
                Err(e) => show(&e),
            }
        }
        1 => {
            let Some(h) = text(rest) else { return };
            for auth in [Some(h), None] {
                match ctx.requests.verify(auth, "GET", USERS_TARGET, b"", NOW) {
                    Ok(_) => {}
                    Err(e) => show(&e),
                }
            }
        }
        2 => {
            let Some(p) = text(rest) else { return };
            match UsersQuery::from_path_and_query(p) {
                Ok(q) => {
                    let built = q
                        .path_and_query()
                        .unwrap_or_else(|e| panic!("a parsed query does not rebuild: {e}"));
                    let again = UsersQuery::from_path_and_query(&built)
                        .unwrap_or_else(|e| panic!("path_and_query does not parse: {e}"));
                    assert_eq!(again, q);
                }
                Err(e) => show(&e),
            }
        }
        _ => {
            let Some(a) = Answer::parse(rest) else { return };
            let now = pick_now(a.flags >> 2);
            if let Err(e) = ctx.verifier.verify(a.status, &a.headers, a.body, now) {
                show(&e);
            }
        }
    }
}

// -------------------------------------------------------------------- keys

/// `keys`: PEM framing, PKCS#1 / PKCS#8 / SPKI / X.509 parsing, and loading
/// into every provider given. The input is tried as PEM text and as DER.
///
/// Properties: whatever a converter produces, the matching checker accepts.
pub fn keys(providers: &[Arc<dyn CryptoProvider>], data: &[u8]) {
    if let Some(t) = text(data) {
        if let Ok(blocks) = pem::parse_pem_blocks(t) {
            for b in &blocks {
                let _ = format!("{b:?}");
            }
        }
        let r = pem::private_key_pkcs8_der_from_pem(t);
        if let Ok(der) = &r {
            assert!(pem::check_pkcs8_der(der).is_ok());
        }
        let r = pem::public_key_spki_der_from_pem(t);
        if let Ok(der) = &r {
            assert!(pem::check_spki_der(der).is_ok());
        }
        if let Ok(info) = pem::certificate_from_pem(t) {
            assert!(pem::check_spki_der(&info.spki_der).is_ok());
            let _ = format!("{info:?}");
        }
        for p in providers {
            let _ = pem::load_private_key(p.as_ref(), t).map_err(|e| show(&e));
            let _ = pem::load_public_key(p.as_ref(), t).map_err(|e| show(&e));
            let mut store = PlatformKeyStore::new();
            let _ = store.add_certificate_pem(p.as_ref(), t);
            let _ = store.add_public_key_pem(p.as_ref(), PLATFORM_PUBKEY_ID, t);
        }
    }
    if let Ok(info) = pem::certificate_from_der(data) {
        assert!(pem::check_spki_der(&info.spki_der).is_ok());
    }
    let spki_ok = pem::check_spki_der(data).is_ok();
    let pkcs8_ok = pem::check_pkcs8_der(data).is_ok();
    if let Ok(der) = pem::pkcs1_to_pkcs8_der(data) {
        assert!(pem::check_pkcs8_der(&der).is_ok());
        for p in providers {
            let _ = p.private_key_from_pkcs8_der(&der).map_err(|e| show(&e));
        }
    }
    if let Ok(der) = pem::pkcs1_public_to_spki_der(data) {
        assert!(pem::check_spki_der(&der).is_ok());
        for p in providers {
            let _ = p.public_key_from_spki_der(&der).map_err(|e| show(&e));
        }
    }
    // The providers only ever see DER the checks above accepted.
    for p in providers {
        if spki_ok {
            let _ = p.public_key_from_spki_der(data).map_err(|e| show(&e));
        }
        if pkcs8_ok {
            let _ = p.private_key_from_pkcs8_der(data).map_err(|e| show(&e));
        }
    }
}
