//! Provider mode (服务商): the provider signs with its own merchant id and key,
//! the real-name fields come encrypted for the sub-merchant (the hospital),
//! and the provider's client never holds the hospital's key.

mod common;

use common::*;
use wxface_client::{AuthinfoParams, MerchantClient};
use wxface_core::v3::{FaceUser, InfoType};

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

#[tokio::test]
async fn provider_queries_without_the_hospital_key_and_the_hospital_decrypts() {
    let mock = Mock::start(TestClock::new()).await;
    let provider = provider_client(&mock);
    assert!(provider.config().is_provider_mode());

    // The provider's side: sign, send, verify; the fields stay encrypted.
    let user: FaceUser = provider
        .query_user(SID, InfoType::AskRealName)
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
    assert!(user.sub_openid.is_some());
    let enc = user.real_name.clone().expect("encrypted fields");
    let debug = format!("{user:?}");
    assert!(!debug.contains(&enc.encrypted_real_name));

    // Nothing on the provider's side can decrypt it: no decryptor is
    // configured, and the provider's own key does not fit.
    let e = provider.real_name(SID).await.expect_err("no key here");
    assert_eq!(e.code(), "config");
    let e = merchant_decryptor()
        .decrypt_real_name(&enc)
        .expect_err("provider key");
    assert_eq!(e.code(), "decryption");

    // The hospital's side, possibly another machine: only its key and the
    // encrypted JSON fields.
    let json = serde_json::json!({
        "encrypted_real_name": enc.encrypted_real_name,
        "credential_type": enc.credential_type.code(),
        "encrypted_credential_id": enc.encrypted_credential_id,
    })
    .to_string();
    let received = FaceUser::from_json(json.as_bytes()).expect("fields");
    let rn = sub_merchant_decryptor()
        .decrypt_real_name(received.real_name.as_ref().expect("fields"))
        .expect("hospital decrypts");
    assert_eq!(rn.expose_name(), NAME);
    assert_eq!(rn.expose_credential_id(), CREDENTIAL_ID);
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
