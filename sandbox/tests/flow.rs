//! End-to-end flows against a running sandbox, with core pieces on the
//! merchant side and the emulated SDK on the kiosk side.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use common::*;
use wxface_core::crypto::Padding;
use wxface_core::sdk::{classify_sdk_error, SdkErrorClass, SdkReply, SdkRequest, SdkVersion};
use wxface_core::v2::SignType;
use wxface_core::v3::InfoType;
use wxface_core::Error;
use wxface_sandbox::{Outcome, PlatformKeys, RealNameShape, SandboxConfig};

fn sdk_class(r: Result<impl std::fmt::Debug, Error>) -> SdkErrorClass {
    match r {
        Err(e) => classify_sdk_error(&e).unwrap_or_else(|| panic!("not an SDK error: {e}")),
        Ok(v) => panic!("expected an SDK error, got {v:?}"),
    }
}

fn backend_code(r: Result<impl std::fmt::Debug, Error>) -> (Option<u16>, String) {
    match r {
        Err(Error::Backend { status, code, .. }) => (status, code),
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[test]
fn direct_mode_every_identity_both_paddings() {
    for padding in [Padding::Pkcs1v15, Padding::OaepSha1] {
        let sandbox = start(SandboxConfig {
            padding,
            ..SandboxConfig::default()
        });
        let m = Merchant::new(&sandbox);
        let k = kiosk(&sandbox);
        for who in sandbox.identities() {
            k.sdk.set_person(Some(who.key.clone()));
            let s = consented(&k, &m, Mode::Direct);
            // The spec's table: no openid with the face_sid.
            assert_eq!(s.openid, None);
            let user = m
                .query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
                .unwrap_or_else(|e| panic!("query: {e}"));
            assert_eq!(user.openid.as_deref(), Some(who.openid.as_str()));
            assert_eq!(user.sub_openid, None);
            let real = m
                .decrypt(&user, Mode::Direct, padding)
                .unwrap_or_else(|e| panic!("decrypt: {e}"));
            assert_eq!(real.expose_name(), who.expose_name());
            assert_eq!(real.expose_credential_id(), who.expose_credential_id());
            assert_eq!(real.credential_type(), who.credential_type());
            // Querying again is fine while the face_sid lives.
            assert!(m
                .query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
                .is_ok());
        }
    }
}

#[test]
fn openid_with_face_sid_by_config_and_by_emulator() {
    // Default: the spec's table, and ASK_UNIONID answers the openid before
    // any consent (what a merchant server's "already verified?" check uses).
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let who = &sandbox.identities()[0];
    let s = recognise(&k, &m, Mode::Direct);
    assert_eq!((s.openid.as_deref(), s.sub_openid.as_deref()), (None, None));
    let user = m
        .query(&s.face_sid, InfoType::AskUnionId, Mode::Direct)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user.openid.as_deref(), Some(who.openid.as_str()));
    assert_eq!(user.union_id.as_deref(), Some(who.union_id.as_str()));
    assert!(user.real_name.is_none());
    k.auth(&s.authinfo, &s.face_sid, true)
        .unwrap_or_else(|e| panic!("{e}"));
    // This emulator overrides the sandbox: openid (and sub_openid in
    // provider mode) with the face_sid.
    k.sdk.set_openid_with_face_sid(Some(true));
    let s = recognise(&k, &m, Mode::Direct);
    assert_eq!(s.openid.as_deref(), Some(who.openid.as_str()));
    k.auth(&s.authinfo, &s.face_sid, true)
        .unwrap_or_else(|e| panic!("{e}"));
    let s = recognise(&k, &m, Mode::Provider);
    assert_eq!(s.sub_openid.as_deref(), Some(who.sub_openid.as_str()));
    k.auth(&s.authinfo, &s.face_sid, true)
        .unwrap_or_else(|e| panic!("{e}"));

    // The sandbox's older behaviour by configuration; an emulator can still
    // ask for the spec's table.
    let older = start(SandboxConfig {
        openid_with_face_sid: true,
        ..SandboxConfig::default()
    });
    let m = Merchant::new(&older);
    let k = kiosk(&older);
    let s = recognise(&k, &m, Mode::Direct);
    assert_eq!(
        s.openid.as_deref(),
        Some(older.identities()[0].openid.as_str())
    );
    k.auth(&s.authinfo, &s.face_sid, true)
        .unwrap_or_else(|e| panic!("{e}"));
    k.sdk.set_openid_with_face_sid(Some(false));
    let s = recognise(&k, &m, Mode::Direct);
    assert_eq!(s.openid, None);
    // The old configuration name is still read.
    let c = SandboxConfig::from_toml("return_openid_with_face_sid = true\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(c.openid_with_face_sid);
    assert!(!SandboxConfig::default().openid_with_face_sid);
}

#[test]
fn the_other_padding_does_not_decrypt() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = consented(&k, &m, Mode::Direct);
    let user = m
        .query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
        .unwrap_or_else(|e| panic!("{e}"));
    let e = m.decrypt(&user, Mode::Direct, Padding::OaepSha1).err();
    assert_eq!(e.map(|e| e.code()), Some("decryption"));
}

#[test]
fn provider_mode_encrypts_for_the_sub_merchant() {
    for padding in [Padding::Pkcs1v15, Padding::OaepSha1] {
        let sandbox = start(SandboxConfig {
            padding,
            ..SandboxConfig::default()
        });
        let m = Merchant::new(&sandbox);
        let k = kiosk(&sandbox);
        k.sdk.set_person(Some("patient-b".into()));
        let s = consented(&k, &m, Mode::Provider);
        let who = &sandbox.identities()[1];
        assert_eq!((s.openid, s.sub_openid), (None, None));
        let user = m
            .query(&s.face_sid, InfoType::AskRealName, Mode::Provider)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(user.sub_openid.as_deref(), Some(who.sub_openid.as_str()));
        let real = m
            .decrypt(&user, Mode::Provider, padding)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(real.expose_name(), who.expose_name());
        assert!(real.expose_credential_id().ends_with('X'));
        // The provider's own key cannot read it.
        assert!(m.decrypt(&user, Mode::Direct, padding).is_err());
        // A provider-mode face_sid is invisible to a direct-mode query.
        let (status, code) =
            backend_code(m.query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
        assert_eq!((status, code.as_str()), (Some(404), "NOT_FOUND"));
    }
}

#[test]
fn flat_shape_and_union_id() {
    let sandbox = start(SandboxConfig {
        real_name_shape: RealNameShape::Flat,
        ..SandboxConfig::default()
    });
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = recognise(&k, &m, Mode::Direct);
    // ASK_UNIONID needs no real-name consent.
    let u = m
        .query(&s.face_sid, InfoType::AskUnionId, Mode::Direct)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        u.union_id.as_deref(),
        Some(sandbox.identities()[0].union_id.as_str())
    );
    assert!(u.real_name.is_none());
    k.auth(&s.authinfo, &s.face_sid, false)
        .unwrap_or_else(|e| panic!("{e}"));
    let a = m.query_raw(&m.users_query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
    let v = a.json();
    assert!(v.get("real_name_info").is_none(), "{v}");
    assert!(v.get("encrypted_real_name").is_some(), "{v}");
    assert_eq!(v["credential_type"], 1);
    let user = m
        .query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
        .unwrap_or_else(|e| panic!("{e}"));
    let real = m
        .decrypt(&user, Mode::Direct, Padding::Pkcs1v15)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(real.expose_name(), sandbox.identities()[0].expose_name());
}

#[test]
fn nested_shape_by_default() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = consented(&k, &m, Mode::Direct);
    let v = m
        .query_raw(&m.users_query(&s.face_sid, InfoType::AskRealName, Mode::Direct))
        .json();
    assert!(
        v["real_name_info"]["encrypted_real_name"].is_string(),
        "{v}"
    );
    assert!(
        v["real_name_info"]["encrypted_credential_id"].is_string(),
        "{v}"
    );
}

#[test]
fn wechatpay_serial_picks_the_signing_key() {
    let sandbox = start(SandboxConfig::default());
    let creds = sandbox.credentials();
    let k = kiosk(&sandbox);
    let base = Merchant::new(&sandbox);
    let s = consented(&k, &base, Mode::Direct);
    for (asked, expected) in [
        (None, creds.platform_serial.clone()),
        (Some(creds.pub_key_id.clone()), creds.pub_key_id.clone()),
        (
            Some(creds.platform_serial.to_ascii_lowercase()),
            creds.platform_serial.clone(),
        ),
    ] {
        let m = match &asked {
            Some(serial) => Merchant::new(&sandbox).with_platform_serial(serial),
            None => Merchant::new(&sandbox),
        };
        let a = m.query_raw(&m.users_query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
        assert_eq!(a.status, 200);
        assert_eq!(a.header("Wechatpay-Serial"), Some(expected.as_str()));
        assert!(m
            .query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
            .is_ok());
    }
}

#[test]
fn public_key_only_mode() {
    let sandbox = start(SandboxConfig {
        platform_keys: PlatformKeys::PublicKey,
        ..SandboxConfig::default()
    });
    let creds = sandbox.credentials();
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = consented(&k, &m, Mode::Direct);
    let a = m.query_raw(&m.users_query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
    assert_eq!(
        a.header("Wechatpay-Serial"),
        Some(creds.pub_key_id.as_str())
    );
    // Asking for the certificate this merchant does not have is refused.
    let m2 = Merchant::new(&sandbox).with_platform_serial(&creds.platform_serial);
    let (status, code) = backend_code(m2.query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
    assert_eq!((status, code.as_str()), (Some(400), "PARAM_ERROR"));
    // No platform certificate exists.
    let a = certificates(&m);
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["code"], "NOT_FOUND");
    m.verifier
        .verify(a.status, &a.headers, &a.body, now())
        .unwrap_or_else(|e| panic!("error answers are signed too: {e}"));
}

fn certificates(m: &Merchant) -> Answer {
    let mut req = wxface_core::http::HttpRequest {
        endpoint: wxface_core::http::Endpoint::ApiMch,
        method: wxface_core::http::Method::Get,
        path_and_query: "/v3/certificates".into(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    m.signer
        .sign_request(&mut req, now(), &wxface_core::time::OsEntropy)
        .unwrap_or_else(|e| panic!("{e}"));
    m.send(&req).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn certificates_decrypt_with_the_apiv3_key() {
    use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let a = certificates(&m);
    assert_eq!(a.status, 200);
    m.verifier
        .verify(a.status, &a.headers, &a.body, now())
        .unwrap_or_else(|e| panic!("{e}"));
    let v = a.json();
    let item = &v["data"][0];
    assert_eq!(item["serial_no"], m.creds.platform_serial.as_str());
    assert!(item["effective_time"]
        .as_str()
        .is_some_and(|t| t.ends_with("+08:00")));
    let enc = &item["encrypt_certificate"];
    assert_eq!(enc["algorithm"], "AEAD_AES_256_GCM");
    let nonce = enc["nonce"].as_str().unwrap_or_default();
    let aad = enc["associated_data"].as_str().unwrap_or_default();
    let mut ct = base64::engine::general_purpose::STANDARD
        .decode(enc["ciphertext"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let key = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, m.creds.api_v3_key.as_bytes())
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let plain = key
        .open_in_place(
            Nonce::try_assume_unique_for_key(nonce.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
            Aad::from(aad.as_bytes()),
            &mut ct,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        std::str::from_utf8(plain).ok(),
        Some(m.creds.platform_cert_pem.as_str())
    );
}

#[test]
fn quit_closes_the_session_for_real_name() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = recognise(&k, &m, Mode::Direct);
    // Before consent: not yet.
    let (status, code) = backend_code(m.query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
    assert_eq!((status, code.as_str()), (Some(403), "NO_AUTH"));
    assert!(matches!(
        k.auth(&s.authinfo, &s.face_sid, true),
        Ok(SdkReply::Auth)
    ));
    let (status, code) = backend_code(m.query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
    assert_eq!((status, code.as_str()), (Some(403), "NO_AUTH"));
    // The union id stays available (it is not real-name data).
    assert!(m
        .query(&s.face_sid, InfoType::AskUnionId, Mode::Direct)
        .is_ok());
    // A closed session cannot be consented any more.
    assert!(k.auth(&s.authinfo, &s.face_sid, false).is_err());
}

#[test]
fn refusal_is_classified_and_closes_the_session() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    k.sdk.push_outcome(Outcome::Refuse);
    let s = recognise(&k, &m, Mode::Direct);
    assert_eq!(
        sdk_class(k.auth(&s.authinfo, &s.face_sid, false)),
        SdkErrorClass::ConsentRefused
    );
    let (status, code) = backend_code(m.query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
    assert_eq!((status, code.as_str()), (Some(403), "NO_AUTH"));
    // The script is used up: the next session consents.
    let s = consented(&k, &m, Mode::Direct);
    assert!(m
        .query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
        .is_ok());
}

#[test]
fn recognition_outcomes() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let raw = k.rawdata();
    let a = m
        .authinfo(&raw, Mode::Direct, SignType::Md5)
        .unwrap_or_else(|e| panic!("{e}"));
    k.sdk.push_outcome(Outcome::UserCancel);
    assert_eq!(
        sdk_class(k.recognise(&m, &a.authinfo, Mode::Direct)),
        SdkErrorClass::UserCancel
    );
    k.sdk.push_outcome(Outcome::CameraError);
    let e = k.recognise(&m, &a.authinfo, Mode::Direct).err();
    assert!(
        matches!(&e, Some(Error::Sdk { return_code, .. }) if return_code == "ERROR"),
        "{e:?}"
    );
    k.sdk.set_timeout_sleep(Duration::from_millis(300));
    k.sdk.push_outcome(Outcome::Timeout);
    let t = Instant::now();
    assert!(k.recognise(&m, &a.authinfo, Mode::Direct).is_err());
    assert!(t.elapsed() >= Duration::from_millis(300));
    k.sdk.set_latency(Duration::from_millis(200));
    let t = Instant::now();
    let r = k
        .recognise(&m, &a.authinfo, Mode::Direct)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert!(r.face_sid.is_some());
}

#[test]
fn sdk_refuses_commands_before_init_and_after_release() {
    let sandbox = start(SandboxConfig::default());
    let k = Kiosk::new(
        sandbox
            .emulated_sdk(DEVICE)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(
        sdk_class(k.call(&SdkRequest::GetRawdata)),
        SdkErrorClass::NotInitialised
    );
    k.init();
    assert!(!k.rawdata().is_empty());
    assert!(matches!(
        k.call(&SdkRequest::Release),
        Ok(SdkReply::Release)
    ));
    assert_eq!(
        sdk_class(k.call(&SdkRequest::GetRawdata)),
        SdkErrorClass::NotInitialised
    );
    // Garbage is answered, not crashed on.
    use wxface_capture::FaceSdk;
    let answer = k.sdk.call("{\"cmd\":\"nope\"}").unwrap_or_default();
    assert!(answer.contains("PARAM_ERROR"), "{answer}");
    let answer = k
        .sdk
        .call("{\"cmd\":\"getWxpayfaceRawdata\",\"version\":\"1\",\"now\":\"1700000000\"}")
        .unwrap_or_default();
    assert!(answer.contains("PARAM_ERROR"), "{answer}");
}

#[test]
fn sdk_versions() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    // 1.20+: the face session must be ended before the next recognition.
    let k = kiosk(&sandbox);
    let s = recognise(&k, &m, Mode::Direct);
    let e = k.recognise(&m, &s.authinfo, Mode::Direct).err();
    assert!(
        matches!(&e, Some(Error::Sdk { return_code, .. }) if return_code == "ERROR"),
        "{e:?}"
    );
    k.auth(&s.authinfo, &s.face_sid, true)
        .unwrap_or_else(|e| panic!("{e}"));
    // The same authinfo serves again on the same device with the same parameters.
    assert!(k.recognise(&m, &s.authinfo, Mode::Direct).is_ok());

    // 1.12 has no getWxpayAuth.
    let mut c = wxface_sandbox::EmuConfig::new(sandbox.url());
    c.sdk_version = SdkVersion::V1_12;
    c.device_id = DEVICE.into();
    let old = Kiosk::new(wxface_sandbox::EmulatedFaceSdk::new(c).unwrap_or_else(|e| panic!("{e}")));
    old.init();
    use wxface_capture::FaceSdk;
    let answer = old
        .sdk
        .call(&format!(
            "{{\"cmd\":\"getWxpayAuth\",\"version\":\"1\",\"now\":{},\"face_sid\":\"x\",\"authinfo\":\"y\"}}",
            now()
        ))
        .unwrap_or_default();
    assert!(answer.contains("PARAM_ERROR"), "{answer}");

    // Before 1.20 `quit_face_auth` is unknown: the call asks for consent.
    let mut c = wxface_sandbox::EmuConfig::new(sandbox.url());
    c.sdk_version = SdkVersion::V1_18;
    c.device_id = DEVICE.into();
    let k18 = Kiosk::new(wxface_sandbox::EmulatedFaceSdk::new(c).unwrap_or_else(|e| panic!("{e}")));
    k18.init();
    let s = recognise(&k18, &m, Mode::Direct);
    k18.auth(&s.authinfo, &s.face_sid, true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(m
        .query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
        .is_ok());
}

#[test]
fn authinfo_expiry_and_binding() {
    let sandbox = start(SandboxConfig {
        authinfo_ttl_secs: 1234,
        ..SandboxConfig::default()
    });
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let raw = k.rawdata();
    let a = m
        .authinfo(&raw, Mode::Direct, SignType::Md5)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.expires_in, 1234);
    // Another store: the authinfo is bound to its parameters.
    let mut req = k.face_code_request(&m, &a.authinfo, Mode::Direct);
    req.store_id = "STORE-999".into();
    assert_eq!(
        sdk_class(k.call(&SdkRequest::GetFaceCode(req))),
        SdkErrorClass::AuthinfoExpired
    );
    // Another device.
    let other = Kiosk::new(
        sandbox
            .emulated_sdk("KIOSK-02")
            .unwrap_or_else(|e| panic!("{e}")),
    );
    other.init();
    assert_eq!(
        sdk_class(other.recognise(&m, &a.authinfo, Mode::Direct)),
        SdkErrorClass::AuthinfoExpired
    );
    // Provider-mode parameters with a direct-mode authinfo.
    assert_eq!(
        sdk_class(k.recognise(&m, &a.authinfo, Mode::Provider)),
        SdkErrorClass::AuthinfoExpired
    );
    // Expire now.
    assert_eq!(sandbox.expire_authinfos(), 1);
    assert_eq!(
        sdk_class(k.recognise(&m, &a.authinfo, Mode::Direct)),
        SdkErrorClass::AuthinfoExpired
    );
    // A fresh one works.
    let a = m
        .authinfo(&raw, Mode::Direct, SignType::Md5)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(k.recognise(&m, &a.authinfo, Mode::Direct).is_ok());
}

#[test]
fn face_sid_expiry_and_unknown() {
    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = consented(&k, &m, Mode::Direct);
    assert!(m
        .query(&s.face_sid, InfoType::AskRealName, Mode::Direct)
        .is_ok());
    assert_eq!(sandbox.expire_face_sids(), 1);
    let (status, code) = backend_code(m.query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
    assert_eq!((status, code.as_str()), (Some(400), "INVALID_REQUEST"));
    let (status, code) = backend_code(m.query(&s.face_sid, InfoType::AskUnionId, Mode::Direct));
    assert_eq!((status, code.as_str()), (Some(400), "INVALID_REQUEST"));
    let (status, code) =
        backend_code(m.query("no-such-face-sid", InfoType::AskRealName, Mode::Direct));
    assert_eq!((status, code.as_str()), (Some(404), "NOT_FOUND"));
}

#[test]
fn face_sid_ttl_is_configurable() {
    let sandbox = start(SandboxConfig {
        face_sid_ttl_secs: 1,
        ..SandboxConfig::default()
    });
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let s = consented(&k, &m, Mode::Direct);
    std::thread::sleep(Duration::from_millis(2100));
    let (status, code) = backend_code(m.query(&s.face_sid, InfoType::AskRealName, Mode::Direct));
    assert_eq!((status, code.as_str()), (Some(400), "INVALID_REQUEST"));
}

#[test]
fn keys_dir_is_reused() {
    let dir =
        std::env::temp_dir().join(format!("wxface-sbx-test-{}-{}", std::process::id(), now()));
    let first = start(SandboxConfig {
        keys_dir: Some(dir.clone()),
        ..SandboxConfig::default()
    });
    assert!(first.keys_generated());
    let creds = first.credentials();
    first.stop();
    let second = start(SandboxConfig {
        keys_dir: Some(dir.clone()),
        ..SandboxConfig::default()
    });
    assert!(!second.keys_generated());
    let again = second.credentials();
    assert_eq!(again.merchant_serial, creds.merchant_serial);
    assert_eq!(again.pub_key_id, creds.pub_key_id);
    assert_eq!(again.api_v2_key, creds.api_v2_key);
    assert!(dir.join("sandbox.json").exists());
    // Still a working sandbox.
    let m = Merchant::new(&second);
    let k = kiosk(&second);
    let s = consented(&k, &m, Mode::Provider);
    assert!(m
        .query(&s.face_sid, InfoType::AskRealName, Mode::Provider)
        .is_ok());
    second.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_start_and_emulator_from_env_lookup() {
    let sandbox = wxface_sandbox::Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = sandbox.url();
    let ok = tokio::task::spawn_blocking(move || {
        let lookup = |k: &str| match k {
            "WXFACE_EMU_SANDBOX_URL" => Some(url.clone()),
            "WXFACE_EMU_PERSON" => Some("patient-e".into()),
            "WXFACE_EMU_DEVICE_ID" => Some(DEVICE.into()),
            _ => None,
        };
        let cfg = wxface_sandbox::EmuConfig::from_lookup(lookup).unwrap_or_else(|e| panic!("{e}"));
        let k =
            Kiosk::new(wxface_sandbox::EmulatedFaceSdk::new(cfg).unwrap_or_else(|e| panic!("{e}")));
        k.init();
        !k.rawdata().is_empty()
    })
    .await
    .unwrap_or(false);
    assert!(ok);
    sandbox.stop();
}
