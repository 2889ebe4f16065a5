//! `query_user` / `fetch_real_name` against the mock: verification before
//! parsing, typed error answers, retries and their bounds.

mod common;

use common::*;
use wxface_client::{MerchantClient, RetryPolicy};
use wxface_core::realname::CredentialType;
use wxface_core::v3::InfoType;

const SID: &str = "fs_0123456789abcdef+/=";

async fn setup() -> (Mock, MerchantClient) {
    let mock = Mock::start(TestClock::new()).await;
    let client = MerchantClient::new(
        config_pubkey(&mock)
            .decryptor(merchant_decryptor())
            .build()
            .expect("config"),
    )
    .expect("client");
    (mock, client)
}

#[tokio::test]
async fn real_name_is_queried_verified_and_decrypted() {
    let (mock, client) = setup().await;
    let user = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect("user");
    assert_eq!(user.openid.as_deref(), Some(OPENID));
    let enc = user.real_name.as_ref().expect("encrypted fields");
    assert_eq!(enc.credential_type(), CredentialType::from_code(1));
    // The query WeChat saw: face_sid percent-encoded in the path, direct mode.
    let q = mock
        .state
        .last_query
        .lock()
        .expect("lock")
        .clone()
        .expect("query");
    assert_eq!(q.face_sid, SID);
    assert_eq!(q.appid, APPID);
    assert_eq!(q.info_type, InfoType::AskRealName);
    assert_eq!(q.sub_mchid, None);
    assert_eq!(q.sub_serial_no, None);
    // The request named the key we can verify with.
    assert_eq!(
        mock.state
            .last_serial_header
            .lock()
            .expect("lock")
            .as_deref(),
        Some(PUB_KEY_ID)
    );

    let rn = client
        .fetch_real_name(SID, &merchant_decryptor())
        .await
        .expect("real name");
    assert_eq!(rn.expose_name(), NAME);
    assert_eq!(rn.expose_credential_id(), CREDENTIAL_ID);
    let own = client.real_name(SID).await.expect("configured decryptor");
    assert_eq!(own.expose_credential_id(), CREDENTIAL_ID);
    assert!(!format!("{own:?}").contains(CREDENTIAL_ID));
    let s = client.stats();
    assert_eq!((s.calls, s.http_requests, s.retries), (3, 3, 0));
}

#[tokio::test]
async fn union_id_query() {
    let (mock, client) = setup().await;
    let user = client
        .query_user(SID, InfoType::AskUnionId)
        .await
        .expect("user");
    assert!(user.union_id.is_some());
    assert!(user.real_name.is_none());
    let q = mock
        .state
        .last_query
        .lock()
        .expect("lock")
        .clone()
        .expect("query");
    assert_eq!(q.info_type, InfoType::AskUnionId);
}

#[tokio::test]
async fn tampered_body_is_refused_without_retry() {
    let (mock, client) = setup().await;
    mock.state.push_users(Fault::Tamper);
    let e = client
        .fetch_real_name(SID, &merchant_decryptor())
        .await
        .expect_err("tampered");
    assert_eq!(e.code(), "signature_mismatch");
    assert_eq!(mock.state.users_calls(), 1);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn wrong_signature_is_refused() {
    let (mock, client) = setup().await;
    mock.state.push_users(Fault::BadSign);
    let e = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("bad signature");
    assert_eq!(e.code(), "signature_mismatch");
    assert_eq!(mock.state.users_calls(), 1);
}

#[tokio::test]
async fn stale_timestamp_is_refused() {
    let (mock, client) = setup().await;
    mock.state.push_users(Fault::Stale);
    let e = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("stale");
    assert_eq!(e.code(), "signature_stale_timestamp");
    assert_eq!(mock.state.users_calls(), 1);
}

#[tokio::test]
async fn a_2xx_without_signature_headers_is_forged() {
    let (mock, client) = setup().await;
    mock.state.push_users(Fault::NoHeaders);
    let e = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("unsigned 2xx");
    assert_eq!(e.code(), "signature_missing");
    assert_eq!(mock.state.users_calls(), 1);
}

#[tokio::test]
async fn error_answers_are_typed_without_signature_headers() {
    let (mock, client) = setup().await;
    mock.state.push_users(Fault::Http(404, "NOT_FOUND"));
    let e = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("404");
    match &e {
        wxface_core::Error::Backend {
            status,
            code,
            message,
            detail,
            request_id,
        } => {
            assert_eq!(*status, Some(404));
            assert_eq!(code, "NOT_FOUND");
            assert_eq!(message, "mock NOT_FOUND");
            assert!(detail.as_deref().unwrap_or_default().contains("face_sid"));
            // WeChat Pay's Request-ID is kept: in the error, its text and
            // its record.
            assert_eq!(request_id.as_deref(), Some(MOCK_REQUEST_ID));
            assert!(e.to_string().contains(MOCK_REQUEST_ID), "{e}");
            assert_eq!(e.info().request_id.as_deref(), Some(MOCK_REQUEST_ID));
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
    mock.state.push_users(Fault::Http(400, "PARAM_ERROR"));
    let e = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("400");
    assert_eq!(e.wechat_code(), Some("PARAM_ERROR"));
    assert_eq!(mock.state.users_calls(), 2);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried() {
    let (mock, client) = setup().await;
    mock.state.push_users(Fault::Http(500, "SYSTEM_ERROR"));
    mock.state.push_users(Fault::Http(429, "FREQUENCY_LIMITED"));
    let rn = client
        .fetch_real_name(SID, &merchant_decryptor())
        .await
        .expect("third attempt");
    assert_eq!(rn.expose_credential_id(), CREDENTIAL_ID);
    assert_eq!(mock.state.users_calls(), 3);
    let s = client.stats();
    assert_eq!((s.http_requests, s.retries), (3, 2));
}

#[tokio::test]
async fn retry_bound_is_exhausted_with_the_last_error() {
    let (mock, client) = setup().await;
    for _ in 0..10 {
        mock.state
            .push_users(Fault::Http(503, "SERVICE_UNAVAILABLE"));
    }
    let e = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("exhausted");
    assert_eq!(e.wechat_code(), Some("SERVICE_UNAVAILABLE"));
    assert_eq!(mock.state.users_calls(), 3);
    assert_eq!(client.stats().retries, 2);

    // A larger budget is honoured exactly.
    let bigger = MerchantClient::new(
        config_pubkey(&mock)
            .retry_policy(RetryPolicy {
                max_retries: 4,
                ..client.config().retry_policy()
            })
            .build()
            .expect("config"),
    )
    .expect("client");
    let e = bigger
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("exhausted");
    assert_eq!(e.wechat_code(), Some("SERVICE_UNAVAILABLE"));
    assert_eq!(bigger.stats().http_requests, 5);
    assert_eq!(mock.state.users_calls(), 8);
}

#[tokio::test]
async fn sign_error_is_not_retried_and_keeps_the_detail() {
    let mock = Mock::start(TestClock::new()).await;
    // A merchant serial WeChat does not know: the mock answers 401 SIGN_ERROR.
    let client = MerchantClient::new(
        config_pubkey(&mock)
            .merchant_key_pem(
                key("merchant_pkcs8.pem"),
                "0000000000000000000000000000000000000001",
            )
            .build()
            .expect("config"),
    )
    .expect("client");
    let e = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("401");
    match &e {
        wxface_core::Error::Backend {
            status,
            code,
            detail,
            ..
        } => {
            assert_eq!(*status, Some(401));
            assert_eq!(code, "SIGN_ERROR");
            assert!(detail
                .as_deref()
                .unwrap_or_default()
                .contains("truncated_sign_message"));
        }
        other => panic!("expected SIGN_ERROR, got {other:?}"),
    }
    assert_eq!(mock.state.users_calls(), 1);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn answers_signed_with_an_unknown_key_are_refused() {
    let (mock, client) = setup().await;
    // Signed by a platform certificate the client does not trust, and no
    // APIv3 key to download certificates with.
    mock.state.sign_users_with(cert_signer());
    let e = client
        .query_user(SID, InfoType::AskRealName)
        .await
        .expect_err("unknown serial");
    assert_eq!(e.code(), "signature_unknown_serial");
    assert_eq!(mock.state.cert_calls(), 0);
}

#[tokio::test]
async fn face_sid_that_would_be_rewritten_is_refused() {
    let (mock, client) = setup().await;
    let e = client
        .query_user("..", InfoType::AskRealName)
        .await
        .expect_err("dot segment");
    assert_eq!(e.code(), "invalid_input");
    assert_eq!(mock.state.users_calls(), 0);
}

#[tokio::test]
async fn real_name_without_a_decryptor_is_a_config_error() {
    let mock = Mock::start(TestClock::new()).await;
    let client =
        MerchantClient::new(config_pubkey(&mock).build().expect("config")).expect("client");
    let e = client.real_name(SID).await.expect_err("no decryptor");
    assert_eq!(e.code(), "config");
    assert_eq!(mock.state.users_calls(), 0);
}

#[tokio::test]
async fn wrong_decryption_key_is_a_decryption_error() {
    let (_mock, client) = setup().await;
    let e = client
        .fetch_real_name(SID, &sub_merchant_decryptor())
        .await
        .expect_err("wrong key");
    assert_eq!(e.code(), "decryption");
    assert!(!e.to_string().contains(NAME));
    assert!(!e.to_string().contains(CREDENTIAL_ID));
}
