//! Provider mode (服务商): the provider signs with its own merchant id and key,
//! the real-name fields come encrypted for the sub-merchant (the hospital),
//! and the provider's client never holds the hospital's key.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use wxface_client::{AuthinfoParams, MerchantClient};
use wxface_core::crypto::{pem, Padding, PrivateKey};
use wxface_core::decrypt::{Decryptor, RealNameReceiver};
use wxface_core::v3::{InfoType, PlatformKeyStore, ResponseVerifier, SignedAnswer};

const SID: &str = "fs_provider";

fn provider_client(mock: &Mock) -> MerchantClient {
    MerchantClient::new(
        config_pubkey(mock)
            .sub_merchant(SUB_MCH_ID, SUB_MERCHANT_SERIAL)
            .sub_appid(SUB_APPID)
            .build()
            .expect("config"),
    )
    .expect("client")
}

/// The hospital's receiver: the platform public key, its own private key,
/// and (here) the mock's clock.
fn hospital_receiver(mock: &Mock, private: Arc<dyn PrivateKey>) -> RealNameReceiver {
    let mut store = PlatformKeyStore::new();
    store
        .add_public_key_pem(
            wxface_core::crypto::default_provider().as_ref(),
            PUB_KEY_ID,
            &key("platform_pubkey_pub.pem"),
        )
        .expect("platform key");
    RealNameReceiver::with_clock(
        ResponseVerifier::new(store),
        Decryptor::from_key(private, Padding::Pkcs1v15),
        mock.state.clock.clone(),
    )
}

/// A private key that counts its decryptions.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn PrivateKey>,
    decryptions: AtomicUsize,
}

impl PrivateKey for Counting {
    fn sign_sha256(&self, msg: &[u8]) -> wxface_core::Result<Vec<u8>> {
        self.inner.sign_sha256(msg)
    }
    fn decrypt(
        &self,
        padding: Padding,
        ciphertext: &[u8],
    ) -> wxface_core::Result<zeroize::Zeroizing<Vec<u8>>> {
        self.decryptions.fetch_add(1, Ordering::SeqCst);
        self.inner.decrypt(padding, ciphertext)
    }
    fn size(&self) -> usize {
        self.inner.size()
    }
}

fn counting(file: &str) -> Arc<Counting> {
    Arc::new(Counting {
        inner: pem::load_private_key(wxface_core::crypto::default_provider().as_ref(), &key(file))
            .expect("key"),
        decryptions: AtomicUsize::new(0),
    })
}

#[tokio::test]
async fn provider_forwards_the_signed_answer_and_the_hospital_verifies_then_decrypts() {
    let mock = Mock::start(TestClock::new()).await;
    let provider = provider_client(&mock);
    assert!(provider.config().is_provider_mode());

    // The provider's side: sign, send, verify; the answer is kept as sent.
    let answer: SignedAnswer = provider
        .query_user_signed(SID, InfoType::AskRealName)
        .await
        .expect("verified answer");
    let q = mock
        .state
        .last_query
        .lock()
        .expect("lock")
        .clone()
        .expect("query");
    assert_eq!(q.appid, APPID);
    assert_eq!(q.sub_mchid.as_deref(), Some(SUB_MCH_ID));
    assert_eq!(q.sub_appid.as_deref(), Some(SUB_APPID));
    assert_eq!(q.sub_serial_no.as_deref(), Some(SUB_MERCHANT_SERIAL));
    assert_eq!(answer.status, 200);
    assert!(
        !format!("{answer:?}").contains(&answer.body),
        "Debug hides the body"
    );

    // Nothing on the provider's side can decrypt it: no decryptor is
    // configured, and the provider's own key does not fit.
    let e = provider.real_name(SID).await.expect_err("no key here");
    assert_eq!(e.code(), "config");
    let e = hospital_receiver(&mock, counting("merchant_pkcs8.pem"))
        .receive(&answer)
        .expect_err("provider key");
    assert_eq!(e.code(), "decryption");

    // The hospital's side, possibly another machine: the JSON form, the
    // platform public key and its own private key.
    let forwarded = answer.to_json();
    let key = counting("sub_merchant_pkcs8.pem");
    let hospital = hospital_receiver(&mock, key.clone());
    let rn = hospital
        .receive_json(forwarded.as_bytes())
        .expect("hospital verifies and decrypts");
    assert_eq!(rn.expose_name(), NAME);
    assert_eq!(rn.expose_credential_id(), CREDENTIAL_ID);
    assert_eq!(key.decryptions.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_tampered_forwarded_answer_is_refused_before_any_decryption() {
    let mock = Mock::start(TestClock::new()).await;
    let provider = provider_client(&mock);
    let answer = provider
        .query_user_signed(SID, InfoType::AskRealName)
        .await
        .expect("verified answer");
    // A second answer, as honest as the first, to splice from.
    let other = provider
        .query_user_signed(SID, InfoType::AskRealName)
        .await
        .expect("verified answer");
    let key = counting("sub_merchant_pkcs8.pem");
    let hospital = hospital_receiver(&mock, key.clone());

    let mut edited = answer.clone();
    edited.body = edited.body.replacen("\"openid\"", "\"openid_\"", 1);
    assert_ne!(edited.body, answer.body);
    let mut spliced = answer.clone();
    spliced.headers.signature = other.headers.signature.clone();
    let mut unsigned = answer.clone();
    unsigned.headers.signature = None;
    let mut relabelled = answer.clone();
    relabelled.status = 201;
    for (what, bad, code) in [
        ("edited body", &edited, "signature_mismatch"),
        ("another answer's signature", &spliced, "signature_mismatch"),
        ("no signature", &unsigned, "signature_missing"),
    ] {
        let e = hospital.receive(bad).expect_err(what);
        assert_eq!(e.code(), code, "{what}: {e}");
    }
    // The status is not signed by WeChat Pay; a 2xx relabelled as another 2xx
    // still carries the verified body.
    assert!(hospital.receive(&relabelled).is_ok());
    assert_eq!(
        key.decryptions.load(Ordering::SeqCst),
        2,
        "only the genuine one was decrypted"
    );

    // A stale answer: the hospital's own clock decides.
    mock.state.clock.advance(600);
    let e = hospital.receive(&answer).expect_err("stale");
    assert_eq!(e.code(), "signature_stale_timestamp");
    assert_eq!(key.decryptions.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn provider_signs_requests_with_its_own_merchant_id() {
    let mock = Mock::start(TestClock::new()).await;
    // The mock only knows the provider's certificate (MCH_ID, MERCHANT_SERIAL):
    // a verified request proves the provider's key signed it.
    let provider = provider_client(&mock);
    provider
        .query_user(SID, InfoType::AskUnionId)
        .await
        .expect("signed by the provider");
    let q = mock
        .state
        .last_query
        .lock()
        .expect("lock")
        .clone()
        .expect("query");
    // ASK_UNIONID needs no sub-merchant serial.
    assert_eq!(q.sub_serial_no, None);
    assert_eq!(q.sub_mchid.as_deref(), Some(SUB_MCH_ID));
}

#[tokio::test]
async fn provider_authinfo_carries_the_sub_merchant() {
    let mock = Mock::start(TestClock::new()).await;
    let provider = provider_client(&mock);
    provider
        .get_authinfo(AuthinfoParams::new("raw", "KIOSK-01"))
        .await
        .expect("authinfo");
    let sent = mock
        .state
        .last_authinfo
        .lock()
        .expect("lock")
        .clone()
        .expect("request");
    assert_eq!(sent.get("mch_id"), Some(MCH_ID));
    assert_eq!(sent.get("sub_mch_id"), Some(SUB_MCH_ID));
    assert_eq!(sent.get("sub_appid"), Some(SUB_APPID));
    // The provider's API key signed it: the mock answered SUCCESS only
    // after verifying `sign` with that key.
}

#[tokio::test]
async fn sub_appid_without_provider_mode_is_refused() {
    let mock = Mock::start(TestClock::new()).await;
    let e = config_pubkey(&mock)
        .sub_appid(SUB_APPID)
        .build()
        .expect_err("sub_appid alone");
    assert_eq!(e.code(), "config");
}
