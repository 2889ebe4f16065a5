//! `MerchantClient::probe`: reachability and the server's clock, read from
//! the `Date` of an answer.

mod common;

use axum::http::header;
use axum::routing::get;
use common::*;
use wxface_client::core::http::Endpoint;
use wxface_client::MerchantClient;

#[tokio::test]
async fn the_clock_skew_is_read_from_the_answer_s_date() {
    // A host whose clock is an hour behind (the mock's clock is START).
    let date = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(START - 3600),
    );
    let app = axum::Router::new().route(
        "/",
        get(move || {
            let date = date.clone();
            async move { ([(header::DATE, date)], "") }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mock = Mock::start(TestClock::new()).await;
    let config = config_pubkey(&mock)
        .base_url(format!("http://{addr}"))
        .build()
        .expect("config");
    let now = config.clock().now();
    let client = MerchantClient::new(config).expect("client");
    let probe = client.probe(Endpoint::ApiMch).await.expect("reached");
    assert_eq!(probe.status, 200);
    assert_eq!(probe.clock_skew_secs(now), Some(-3600));

    // A host nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let config = config_pubkey(&mock)
        .base_url(format!("http://{dead}"))
        .build()
        .expect("config");
    let client = MerchantClient::new(config).expect("client");
    let e = client
        .probe(Endpoint::PayApp)
        .await
        .expect_err("unreachable");
    assert_eq!(e.code(), "transport");
}
