//! `get_authinfo` against the mock: signing, caching, expiry, single flight,
//! error answers, bad signatures and retries.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use wxface_client::{AuthinfoParams, MerchantClient, RetryPolicy};
use wxface_core::v2::SignType;

fn params(rawdata: &str, device: &str) -> AuthinfoParams {
    AuthinfoParams::new(rawdata, device)
}

async fn setup() -> (Mock, MerchantClient) {
    let mock = Mock::start(TestClock::new()).await;
    let client =
        MerchantClient::new(config_pubkey(&mock).build().expect("config")).expect("client");
    (mock, client)
}

#[tokio::test]
async fn success_is_signed_md5_by_default_and_answer_verified() {
    let (mock, client) = setup().await;
    let r = client
        .get_authinfo(AuthinfoParams {
            attach: Some("{\"kiosk\":\"A\"}".into()),
            ..params("RAW+data/with=chars", "KIOSK-01")
        })
        .await
        .expect("authinfo");
    assert_eq!(r.authinfo, "AUTHINFO-1-+/=");
    assert_eq!(r.expires_at.as_secs(), START + 7200);
    assert_eq!(r.expires_in, 7200);
    assert!(!r.from_cache);
    let sent = mock
        .state
        .last_authinfo
        .lock()
        .expect("lock")
        .clone()
        .expect("request");
    assert_eq!(sent.get("sign_type"), Some("MD5"));
    assert_eq!(sent.get("rawdata"), Some("RAW+data/with=chars"));
    assert_eq!(sent.get("store_id"), Some("HOSP-01"));
    assert_eq!(sent.get("store_name"), Some("门诊大厅"));
    assert_eq!(sent.get("attach"), Some("{\"kiosk\":\"A\"}"));
    assert_eq!(sent.get("now"), Some(START.to_string().as_str()));
    assert_eq!(sent.get("version"), Some("1"));
    assert_eq!(sent.get("sub_mch_id"), None);
    // Debug output never shows the credential.
    assert!(!format!("{r:?}").contains("AUTHINFO"));
}

#[tokio::test]
async fn hmac_sha256_when_configured() {
    let mock = Mock::start(TestClock::new()).await;
    let client = MerchantClient::new(
        config_pubkey(&mock)
            .sign_type(SignType::HmacSha256)
            .build()
            .expect("config"),
    )
    .expect("client");
    client
        .get_authinfo(params("raw", "KIOSK-01"))
        .await
        .expect("authinfo");
    let sent = mock
        .state
        .last_authinfo
        .lock()
        .expect("lock")
        .clone()
        .expect("request");
    assert_eq!(sent.get("sign_type"), Some("HMAC-SHA256"));
    assert_eq!(sent.get("sign").map(str::len), Some(64));
}

#[tokio::test]
async fn cache_reuses_per_device_and_store_and_ignores_rawdata() {
    let (mock, client) = setup().await;
    let a = client
        .get_authinfo(params("raw-1", "KIOSK-01"))
        .await
        .expect("a");
    let b = client
        .get_authinfo(params("raw-2", "KIOSK-01"))
        .await
        .expect("b");
    assert_eq!(a.authinfo, b.authinfo);
    assert!(b.from_cache);
    assert_eq!(mock.state.authinfo_calls(), 1);

    let other_device = client
        .get_authinfo(params("raw-3", "KIOSK-02"))
        .await
        .expect("c");
    assert_ne!(other_device.authinfo, a.authinfo);
    let other_store = client
        .get_authinfo(AuthinfoParams {
            store_id: Some("HOSP-02".into()),
            ..params("raw-4", "KIOSK-01")
        })
        .await
        .expect("d");
    assert_ne!(other_store.authinfo, a.authinfo);
    assert_eq!(mock.state.authinfo_calls(), 3);

    let s = client.stats();
    assert_eq!(s.calls, 4);
    assert_eq!(s.cache_hits, 1);
    assert_eq!(s.http_requests, 3);
    assert_eq!(s.retries, 0);
}

#[tokio::test]
async fn expiry_margin_and_one_hour_cap() {
    let (mock, client) = setup().await;
    // expires_in 7200: reused for at most an hour.
    client.get_authinfo(params("r", "K1")).await.expect("first");
    mock.state.clock.advance(3599);
    let hit = client.get_authinfo(params("r", "K1")).await.expect("hit");
    assert!(hit.from_cache);
    assert_eq!(hit.expires_in, 7200 - 3599);
    mock.state.clock.advance(1);
    let miss = client.get_authinfo(params("r", "K1")).await.expect("miss");
    assert!(!miss.from_cache);
    assert_eq!(mock.state.authinfo_calls(), 2);

    // expires_in 1000: reused until 300 s before expiry.
    mock.state.expires_in.store(1000, Ordering::SeqCst);
    client.get_authinfo(params("r", "K2")).await.expect("k2");
    mock.state.clock.advance(699);
    assert!(
        client
            .get_authinfo(params("r", "K2"))
            .await
            .expect("hit")
            .from_cache
    );
    mock.state.clock.advance(1);
    assert!(
        !client
            .get_authinfo(params("r", "K2"))
            .await
            .expect("miss")
            .from_cache
    );
    assert_eq!(mock.state.authinfo_calls(), 4);

    // expires_in within the margin: never cached.
    mock.state.expires_in.store(200, Ordering::SeqCst);
    client.get_authinfo(params("r", "K3")).await.expect("k3");
    client
        .get_authinfo(params("r", "K3"))
        .await
        .expect("k3 again");
    assert_eq!(mock.state.authinfo_calls(), 6);
}

#[tokio::test]
async fn configurable_margin() {
    let mock = Mock::start(TestClock::new()).await;
    let client = MerchantClient::new(
        config_pubkey(&mock)
            .authinfo_refresh_margin(Duration::from_secs(10))
            .build()
            .expect("config"),
    )
    .expect("client");
    mock.state.expires_in.store(100, Ordering::SeqCst);
    client.get_authinfo(params("r", "K1")).await.expect("first");
    mock.state.clock.advance(89);
    assert!(
        client
            .get_authinfo(params("r", "K1"))
            .await
            .expect("hit")
            .from_cache
    );
    mock.state.clock.advance(1);
    assert!(
        !client
            .get_authinfo(params("r", "K1"))
            .await
            .expect("miss")
            .from_cache
    );
}

#[tokio::test]
async fn the_cache_key_holds_every_field_that_is_sent() {
    let (mock, client) = setup().await;
    let base = params("raw-1", "KIOSK-01");
    let first = client.get_authinfo(base.clone()).await.expect("first");
    // A different `attach` or `store_name` is a different request to WeChat
    // Pay: never answered with the authinfo fetched for the other one.
    let with_attach = AuthinfoParams {
        attach: Some(r#"{"visit":"A-1"}"#.into()),
        ..params("raw-2", "KIOSK-01")
    };
    let a = client
        .get_authinfo(with_attach.clone())
        .await
        .expect("attach");
    assert!(!a.from_cache);
    assert_ne!(a.authinfo, first.authinfo);
    let renamed = AuthinfoParams {
        store_name: Some("门诊二楼".into()),
        ..params("raw-3", "KIOSK-01")
    };
    let b = client
        .get_authinfo(renamed.clone())
        .await
        .expect("store name");
    assert!(!b.from_cache);
    assert_eq!(mock.state.authinfo_calls(), 3);
    // The same fields again: cached, and invalidated one by one.
    assert!(
        client
            .get_authinfo(with_attach.clone())
            .await
            .expect("again")
            .from_cache
    );
    assert!(client.invalidate_authinfo(&with_attach));
    assert!(client.invalidate_authinfo(&renamed));
    assert!(client.get_authinfo(base).await.expect("base").from_cache);
    assert_eq!(mock.state.authinfo_calls(), 3);
}

#[tokio::test]
async fn invalidate_forces_a_new_authinfo() {
    let (mock, client) = setup().await;
    let p = params("r", "K1");
    client.get_authinfo(p.clone()).await.expect("first");
    assert!(client.invalidate_authinfo(&p));
    assert!(!client.invalidate_authinfo(&p));
    assert!(!client.get_authinfo(p).await.expect("second").from_cache);
    assert_eq!(mock.state.authinfo_calls(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_make_one_request() {
    let (mock, client) = setup().await;
    mock.state.authinfo_delay_ms.store(200, Ordering::SeqCst);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.get_authinfo(params(&format!("raw-{i}"), "KIOSK-01"))
                .await
        }));
    }
    let mut values = Vec::new();
    for t in tasks {
        values.push(t.await.expect("join").expect("authinfo").authinfo);
    }
    assert_eq!(mock.state.authinfo_calls(), 1);
    assert!(values.iter().all(|v| v == &values[0]));
    let s = client.stats();
    assert_eq!(s.http_requests, 1);
    assert_eq!(s.coalesced + s.cache_hits, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_share_one_failure() {
    let mock = Mock::start(TestClock::new()).await;
    let client = MerchantClient::new(
        config_pubkey(&mock)
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("config"),
    )
    .expect("client");
    mock.state.authinfo_delay_ms.store(150, Ordering::SeqCst);
    mock.state.push_authinfo(Fault::V2Return("FAIL"));
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.get_authinfo(params("r", "K1")).await
        }));
    }
    for t in tasks {
        let e = t.await.expect("join").expect_err("shared failure");
        assert_eq!(e.wechat_code(), Some("FAIL"));
    }
    assert_eq!(mock.state.authinfo_calls(), 1);
    // Errors are not cached.
    mock.state.authinfo_delay_ms.store(0, Ordering::SeqCst);
    client
        .get_authinfo(params("r", "K1"))
        .await
        .expect("recovered");
    assert_eq!(mock.state.authinfo_calls(), 2);
}

#[tokio::test]
async fn backend_fail_is_typed_and_not_retried() {
    let (mock, client) = setup().await;
    mock.state.push_authinfo(Fault::V2Return("FAIL"));
    let e = client
        .get_authinfo(params("r", "K1"))
        .await
        .expect_err("FAIL");
    assert_eq!(e.code(), "backend");
    assert_eq!(e.wechat_code(), Some("FAIL"));
    assert_eq!(mock.state.authinfo_calls(), 1);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn systemerror_is_retried_then_succeeds() {
    let (mock, client) = setup().await;
    mock.state.push_authinfo(Fault::V2Return("SYSTEMERROR"));
    mock.state.push_authinfo(Fault::Http(503, ""));
    let r = client
        .get_authinfo(params("r", "K1"))
        .await
        .expect("third attempt");
    assert_eq!(r.authinfo, "AUTHINFO-3-+/=");
    assert_eq!(mock.state.authinfo_calls(), 3);
    let s = client.stats();
    assert_eq!(s.retries, 2);
    assert_eq!(s.http_requests, 3);
}

#[tokio::test]
async fn retry_budget_is_bounded() {
    let (mock, client) = setup().await;
    for _ in 0..5 {
        mock.state.push_authinfo(Fault::Http(500, ""));
    }
    let e = client
        .get_authinfo(params("r", "K1"))
        .await
        .expect_err("exhausted");
    assert_eq!(e.code(), "backend");
    assert_eq!(mock.state.authinfo_calls(), 3);
    assert_eq!(client.stats().retries, 2);
}

#[tokio::test]
async fn bad_signature_is_refused_and_never_retried() {
    let (mock, client) = setup().await;
    mock.state.push_authinfo(Fault::BadSign);
    let e = client
        .get_authinfo(params("r", "K1"))
        .await
        .expect_err("bad sign");
    assert_eq!(e.code(), "signature_mismatch");
    assert_eq!(mock.state.authinfo_calls(), 1);
    // Nothing was cached from the forged answer.
    client
        .get_authinfo(params("r", "K1"))
        .await
        .expect("next is fine");
    assert_eq!(mock.state.authinfo_calls(), 2);
}

#[tokio::test]
async fn timeouts_are_retried_within_bounds() {
    let mock = Mock::start(TestClock::new()).await;
    let client = MerchantClient::new(
        config_pubkey(&mock)
            .timeout(Duration::from_millis(150))
            .build()
            .expect("config"),
    )
    .expect("client");
    mock.state.push_authinfo(Fault::Hang(1000));
    let r = client
        .get_authinfo(params("r", "K1"))
        .await
        .expect("second attempt");
    assert!(!r.from_cache);
    assert_eq!(client.stats().retries, 1);
    for _ in 0..3 {
        mock.state.push_authinfo(Fault::Hang(1000));
    }
    let e = client
        .get_authinfo(params("r", "K2"))
        .await
        .expect_err("timeouts");
    assert_eq!(e.code(), "transport");
    assert!(matches!(
        e,
        wxface_client::Error::Transport {
            kind: wxface_client::TransportKind::Timeout,
            ..
        }
    ));
    assert_eq!(client.stats().retries, 3);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let clock = TestClock::new();
    let mock = Mock::start(clock).await;
    let client = MerchantClient::new(
        config_pubkey(&mock)
            .payapp_base_url("http://127.0.0.1:1")
            .build()
            .expect("config"),
    )
    .expect("client");
    let e = client
        .get_authinfo(params("r", "K1"))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), "transport");
    assert!(matches!(
        e,
        wxface_client::Error::Transport {
            kind: wxface_client::TransportKind::Connect,
            ..
        }
    ));
    assert!(!e.to_string().contains("127.0.0.1:1/face"), "{e}");
    assert_eq!(client.stats().http_requests, 3);
}

#[tokio::test]
async fn invalid_input_fails_before_any_request() {
    let (mock, client) = setup().await;
    let e = client
        .get_authinfo(params("emoji 😀 rawdata", "K1"))
        .await
        .expect_err("non-BMP");
    assert_eq!(e.code(), "invalid_input");
    assert!(!e.to_string().contains('😀'));
    let e = client
        .get_authinfo(params("r", "A-DEVICE-ID-LONGER-THAN-THIRTY-TWO-CHARS"))
        .await
        .expect_err("long device");
    assert_eq!(e.code(), "invalid_input");
    assert_eq!(mock.state.authinfo_calls(), 0);
}
