//! Platform keys: `/v3/certificates` download and trust rules, refresh on an
//! unknown serial (rate-limited, single-flight), refusal without a trust
//! anchor.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use wxface_client::{ClientConfig, MerchantClient};
use wxface_core::v2::ApiKey;
use wxface_core::v3::InfoType;

const SID: &str = "fs_certificates";

fn client(b: wxface_client::ClientConfigBuilder) -> MerchantClient {
    MerchantClient::new(b.build().expect("config")).expect("client")
}

#[tokio::test]
async fn first_download_through_a_pinned_serial() {
    let mock = Mock::start(TestClock::new()).await;
    mock.state.sign_certs_with(cert_signer());
    mock.state.sign_users_with(cert_signer());
    let c = client(
        config(&mock)
            .apiv3_key(APIV3_KEY)
            .pinned_platform_serials([PLATFORM_SERIAL.to_ascii_lowercase()]),
    );
    assert!(c.platform_key_ids().is_empty());
    let user = c
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect("bootstrapped");
    assert!(user.real_name.is_some());
    assert_eq!(c.platform_key_ids(), vec![PLATFORM_SERIAL.to_owned()]);
    assert_eq!(mock.state.cert_calls(), 1);
    // The last request named the certificate just learnt.
    assert_eq!(
        mock.state
            .last_serial_header
            .lock()
            .expect("lock")
            .as_deref(),
        Some(PLATFORM_SERIAL)
    );
    // Known from now on: no second download.
    c.query_user(SID, InfoType::AskRealName)
        .await
        .expect("again");
    assert_eq!(mock.state.cert_calls(), 1);
    assert_eq!(c.stats().certificate_downloads, 1);
}

#[tokio::test]
async fn first_download_sends_the_pinned_serial() {
    let mock = Mock::start(TestClock::new()).await;
    mock.state.sign_certs_with(cert_signer());
    let c = client(
        config(&mock)
            .apiv3_key(APIV3_KEY)
            .pinned_platform_serials([PLATFORM_SERIAL]),
    );
    assert_eq!(
        c.refresh_platform_certificates().await.expect("download"),
        1
    );
    let sent = mock.state.last_serial_header.lock().expect("lock").clone();
    assert_eq!(sent.as_deref(), Some(PLATFORM_SERIAL));
}

#[tokio::test]
async fn first_download_signed_by_an_unpinned_key_is_refused() {
    let mock = Mock::start(TestClock::new()).await;
    // Signed with the public-key-mode key, which nothing trusts here.
    mock.state.sign_certs_with(pubkey_signer());
    let c = client(
        config(&mock)
            .apiv3_key(APIV3_KEY)
            .pinned_platform_serials([PLATFORM_SERIAL]),
    );
    let e = c
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("untrusted certificates answer");
    assert_eq!(e.code(), "signature_unknown_serial");
    assert!(c.platform_key_ids().is_empty());
    assert_eq!(mock.state.users_calls(), 0);
}

#[tokio::test]
async fn pins_that_match_no_certificate_are_refused() {
    let mock = Mock::start(TestClock::new()).await;
    mock.state.sign_certs_with(cert_signer());
    let c = client(
        config(&mock)
            .apiv3_key(APIV3_KEY)
            .pinned_platform_serials(["ABCDEF0123"]),
    );
    let e = c
        .refresh_platform_certificates()
        .await
        .expect_err("pinned serial absent");
    assert_eq!(e.code(), "signature_unknown_serial");
    assert!(c.platform_key_ids().is_empty());
}

#[tokio::test]
async fn tampered_certificates_answer_is_refused() {
    let mock = Mock::start(TestClock::new()).await;
    mock.state.sign_certs_with(cert_signer());
    mock.state.push_cert(Fault::Tamper);
    let c = client(
        config(&mock)
            .apiv3_key(APIV3_KEY)
            .pinned_platform_serials([PLATFORM_SERIAL]),
    );
    let e = c
        .refresh_platform_certificates()
        .await
        .expect_err("tampered");
    assert_eq!(e.code(), "signature_mismatch");
    mock.state.push_cert(Fault::BadSign);
    let e = c
        .refresh_platform_certificates()
        .await
        .expect_err("bad signature");
    assert_eq!(e.code(), "signature_mismatch");
    assert!(c.platform_key_ids().is_empty());
}

#[tokio::test]
async fn wrong_apiv3_key_cannot_decrypt() {
    let mock = Mock::start(TestClock::new()).await;
    let c = client(config_pubkey(&mock).apiv3_key("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"));
    let e = c
        .refresh_platform_certificates()
        .await
        .expect_err("wrong key");
    assert_eq!(e.code(), "config");
    assert!(e.to_string().contains("APIv3 key"), "{e}");
    assert_eq!(c.platform_key_ids(), vec![PUB_KEY_ID.to_owned()]);
}

#[tokio::test]
async fn no_trust_anchor_is_a_config_error() {
    let mock = Mock::start(TestClock::new()).await;
    let e = config(&mock)
        .apiv3_key(APIV3_KEY)
        .build()
        .expect_err("trust on first use");
    assert_eq!(e.code(), "config");
    assert!(e.to_string().contains("first use"), "{e}");
    let e = config(&mock).build().expect_err("no platform key at all");
    assert_eq!(e.code(), "config");
    let e = config_pubkey(&mock)
        .pinned_platform_serials([PLATFORM_SERIAL])
        .build()
        .expect_err("pins without APIv3 key");
    assert_eq!(e.code(), "config");
    assert_eq!(mock.state.cert_calls(), 0);
}

#[tokio::test]
async fn unknown_serial_triggers_one_refresh_then_verifies() {
    let mock = Mock::start(TestClock::new()).await;
    // Trust the public key; users answers come signed by a certificate the
    // client has never seen; the certificates answer is signed by the
    // public key and lists that certificate.
    mock.state.sign_users_with(cert_signer());
    let c = client(
        config_pubkey(&mock)
            .apiv3_key(APIV3_KEY)
            .decryptor(merchant_decryptor()),
    );
    let rn = c.real_name(SID).await.expect("after refresh");
    assert_eq!(rn.expose_credential_id(), CREDENTIAL_ID);
    assert_eq!(mock.state.cert_calls(), 1);
    assert_eq!(
        mock.state.users_calls(),
        1,
        "the same answer is verified again"
    );
    let mut ids = c.platform_key_ids();
    ids.sort();
    assert_eq!(ids, vec![PLATFORM_SERIAL.to_owned(), PUB_KEY_ID.to_owned()]);
    c.real_name(SID).await.expect("known now");
    assert_eq!(mock.state.cert_calls(), 1);
}

#[tokio::test]
async fn refreshes_are_rate_limited() {
    let mock = Mock::start(TestClock::new()).await;
    // The certificates answer does not contain the serial users answers are
    // signed with, so every users answer stays unknown.
    mock.state.sign_users_with(cert_signer());
    mock.state.cert_list.lock().expect("lock").clear();
    let c = client(
        config_pubkey(&mock)
            .apiv3_key(APIV3_KEY)
            .certificate_refresh_interval(Duration::from_secs(60)),
    );
    for _ in 0..3 {
        let e = c
            .query_user(SID, InfoType::AskRealName)
            .await
            .expect_err("still unknown");
        assert_eq!(e.code(), "signature_unknown_serial");
    }
    assert_eq!(mock.state.cert_calls(), 1);
    mock.state.clock.advance(60);
    let _ = c.query_user(SID, InfoType::AskRealName).await;
    assert_eq!(mock.state.cert_calls(), 2);
}

#[tokio::test]
async fn public_key_ids_never_trigger_a_download() {
    let mock = Mock::start(TestClock::new()).await;
    // Answers signed by a PUB_KEY_ID the client was not given.
    let c = client(
        config(&mock)
            .platform_certificate(key("platform_cert.pem"))
            .apiv3_key(APIV3_KEY),
    );
    let e = c
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("unknown public key id");
    assert_eq!(e.code(), "signature_unknown_serial");
    assert_eq!(mock.state.cert_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_unknown_serials_make_one_download() {
    let mock = Mock::start(TestClock::new()).await;
    mock.state.sign_users_with(cert_signer());
    mock.state.certs_delay_ms.store(150, Ordering::SeqCst);
    let c = client(config_pubkey(&mock).apiv3_key(APIV3_KEY));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.query_user(SID, InfoType::AskRealName).await
        }));
    }
    for t in tasks {
        t.await
            .expect("join")
            .expect("verified after the shared refresh");
    }
    assert_eq!(mock.state.cert_calls(), 1);
    assert_eq!(c.stats().certificate_downloads, 1);
}

#[tokio::test]
async fn configured_certificate_alone_verifies() {
    let mock = Mock::start(TestClock::new()).await;
    mock.state.sign_users_with(cert_signer());
    let c = client(config(&mock).platform_certificate(key("platform_cert.pem")));
    c.query_user(SID, InfoType::AskRealName)
        .await
        .expect("verified with the configured certificate");
    assert_eq!(
        mock.state
            .last_serial_header
            .lock()
            .expect("lock")
            .as_deref(),
        Some(PLATFORM_SERIAL)
    );
    assert_eq!(mock.state.cert_calls(), 0);
}

#[tokio::test]
async fn expired_configured_certificate_does_not_verify() {
    let mock = Mock::start(TestClock::new()).await;
    let expired = wxface_core::v3::PlatformSigner::new(
        "7C3D4E5F60718293A4B5C6D7E8F9012345678AB1",
        wxface_core::crypto::pem::load_private_key(
            wxface_core::crypto::aws_lc().as_ref(),
            &key("platform_pkcs8.pem"),
        )
        .expect("key"),
    )
    .expect("signer");
    mock.state.sign_users_with(expired);
    let c = client(
        ClientConfig::builder()
            .appid(APPID)
            .mch_id(MCH_ID)
            .api_key(ApiKey::new(API_KEY).expect("key"))
            .merchant_key_pem(key("merchant_pkcs8.pem"), MERCHANT_SERIAL)
            .platform_certificate(key("platform_cert_expired.pem"))
            .base_url(mock.url())
            .clock(mock.state.clock.clone()),
    );
    let e = c
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("expired");
    assert_eq!(e.code(), "signature_unknown_serial");
}
