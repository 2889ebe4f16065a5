//! `HttpMerchantBackend` against a tiny HTTP server on the loopback interface.
#![cfg(feature = "http")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wxface_capture::{HttpMerchantBackend, MerchantBackend};
use wxface_core::error::TransportKind;
use wxface_core::flow::Recognised;
use wxface_core::kiosk_api;
use wxface_core::realname::CredentialType;
use wxface_core::time::FixedClock;
use wxface_core::{Error, UnixTime};

const NOW: u64 = 1_700_000_000;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

/// What the server answers: status, body, delay before answering.
type Answer = (u16, String, Duration);

/// Serves `answers` in order, one per connection, and records the requests.
struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    let mut len = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
        if k == "content-length" {
            len = v.parse().ok()?;
        }
        headers.push((k, v));
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}

fn serve(answers: Vec<Answer>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    thread::spawn(move || {
        for (status, body, delay) in answers {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            if let Some(req) = read_request(&mut stream) {
                seen2.lock().unwrap().push(req);
            }
            thread::sleep(delay);
            // A 429 carries `Retry-After: 1`, as the reference server's do.
            let retry_after = if status == 429 {
                "retry-after: 1\r\n"
            } else {
                ""
            };
            let resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{retry_after}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(resp.as_bytes());
        }
    });
    Server { base, seen }
}

fn ok(body: Value) -> Answer {
    (200, body.to_string(), Duration::ZERO)
}

fn backend(server: &Server) -> HttpMerchantBackend {
    HttpMerchantBackend::builder(format!("{}/api/", server.base))
        .clock(Arc::new(FixedClock(UnixTime(NOW))))
        .build()
        .unwrap()
}

fn who() -> Recognised {
    Recognised {
        face_sid: "sid-1".into(),
        openid: Some("o-1".into()),
        sub_openid: None,
    }
}

#[test]
fn authinfo_posts_rawdata_and_uses_expires_in_on_the_kiosk_clock() {
    let server = serve(vec![ok(json!({
        "authinfo": "AUTH+/=",
        "expires_in": 7200,
        "expires_at": 1
    }))]);
    let b = HttpMerchantBackend::builder(format!("{}/api", server.base))
        .clock(Arc::new(FixedClock(UnixTime(NOW))))
        .store_id("STORE-1")
        .attach(r#"{"floor":1}"#)
        .header("Authorization", "Bearer kiosk-secret-token")
        .build()
        .unwrap();
    let g = b.authinfo("RAW+/data==", "KIOSK-01").unwrap();
    assert_eq!(g.authinfo, "AUTH+/=");
    assert_eq!(g.expires_at, UnixTime(NOW + 7200));
    let seen = server.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/api/kiosk/authinfo");
    assert_eq!(
        seen.body,
        json!({"rawdata": "RAW+/data==", "device_id": "KIOSK-01", "store_id": "STORE-1", "attach": "{\"floor\":1}"})
    );
    assert!(seen
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v == "Bearer kiosk-secret-token"));
    assert!(seen
        .headers
        .iter()
        .any(|(k, v)| k == "content-type" && v.starts_with("application/json")));
    // Header values never show in Debug.
    assert!(!format!("{b:?}").contains("kiosk-secret-token"));
}

#[test]
fn authinfo_falls_back_to_expires_at_and_checks_the_answer() {
    let server = serve(vec![
        ok(json!({"authinfo": "A", "expires_at": NOW + 60})),
        ok(json!({"authinfo": "A"})),
        ok(json!({"authinfo": "", "expires_in": 60})),
        ok(json!({"authinfo": "x".repeat(4097), "expires_in": 60})),
    ]);
    let b = backend(&server);
    assert_eq!(b.authinfo("R", "K").unwrap().expires_at, UnixTime(NOW + 60));
    for _ in 0..3 {
        assert_eq!(b.authinfo("R", "K").unwrap_err().code(), "malformed");
    }
}

#[test]
fn is_verified_sends_who_and_reads_the_answer() {
    let server = serve(vec![
        ok(json!({"already_verified": true})),
        ok(json!({"already_verified": false})),
    ]);
    let b = backend(&server);
    assert!(b.is_verified(&who()).unwrap());
    let mut w = who();
    w.openid = None;
    w.sub_openid = Some("so-1".into());
    assert!(!b.is_verified(&w).unwrap());
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen[0].path, "/api/kiosk/verified");
    assert_eq!(
        seen[0].body,
        json!({"openid": "o-1", "sub_openid": null, "face_sid": "sid-1"})
    );
    assert_eq!(
        seen[1].body,
        json!({"openid": null, "sub_openid": "so-1", "face_sid": "sid-1"})
    );
}

#[test]
fn real_name_returns_the_masked_identity() {
    let server = serve(vec![ok(json!({
        "identity": {"name": "张*三", "credential_type": 1, "credential_id": "110***********1234"},
        "patient_id": "P000123"
    }))]);
    let id = backend(&server).real_name("sid-1", "KIOSK-01").unwrap();
    assert_eq!(id.name, "张*三");
    assert_eq!(id.credential_type, CredentialType::IdCard);
    assert_eq!(id.credential_id, "110***********1234");
    let seen = server.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.path, "/api/kiosk/real-name");
    assert_eq!(
        seen.body,
        json!({"face_sid": "sid-1", "device_id": "KIOSK-01"})
    );
}

#[test]
fn unmasked_identity_is_refused_without_quoting_it() {
    let server = serve(vec![ok(json!({
        "identity": {"name": "张小三", "credential_type": 1, "credential_id": "11010519491231002X"}
    }))]);
    let e = backend(&server).real_name("sid-1", "KIOSK-01").unwrap_err();
    assert_eq!(e.code(), "malformed");
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("张小三") && !text.contains("110105"),
        "{text}"
    );
}

#[test]
fn malformed_answers_are_not_quoted() {
    let server = serve(vec![ok(json!({
        "identity": {"name": "张*三", "credential_type": "11010519491231002X", "credential_id": "110***********1234"}
    }))]);
    let e = backend(&server).real_name("sid-1", "KIOSK-01").unwrap_err();
    assert_eq!(e.code(), "malformed");
    let text = format!("{e} {e:?}");
    assert!(text.contains("/kiosk/real-name"), "{text}");
    assert!(
        !text.contains("11010519491231002X") && !text.contains("张"),
        "{text}"
    );
}

#[test]
fn error_answers_become_backend_errors() {
    let server = serve(vec![
        (
            500,
            json!({"code": "SYSTEM_ERROR", "message": "系统繁忙,请稍后重试"}).to_string(),
            Duration::ZERO,
        ),
        (
            403,
            json!({"code": "NO_AUTH", "message": "商户无权限"}).to_string(),
            Duration::ZERO,
        ),
        (502, "<html>bad gateway</html>".into(), Duration::ZERO),
    ]);
    let b = backend(&server);
    match b.authinfo("R", "K").unwrap_err() {
        e @ Error::Backend { .. } => {
            assert!(e.is_retryable());
            let Error::Backend {
                status,
                code,
                message,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(status, Some(500));
            assert_eq!(code, "SYSTEM_ERROR");
            assert_eq!(message, "系统繁忙,请稍后重试");
        }
        other => panic!("{other:?}"),
    }
    match b.real_name("sid-1", "K").unwrap_err() {
        Error::Backend { status, code, .. } => {
            assert_eq!(status, Some(403));
            assert_eq!(code, "NO_AUTH");
        }
        other => panic!("{other:?}"),
    }
    // A status without an error body is not WeChat Pay speaking: a gateway
    // in front of the server could not reach it (retry).
    match b.is_verified(&who()).unwrap_err() {
        e @ Error::Transport { .. } => {
            assert!(e.is_retryable());
            assert!(!e.to_string().contains("html"));
            let Error::Transport { kind, detail } = e else {
                unreachable!()
            };
            assert_eq!(kind, TransportKind::Connect);
            assert!(detail.contains("HTTP 502"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_records_become_the_errors_they_describe() {
    let wechat = Error::Backend {
        status: Some(500),
        code: "SYSTEM_ERROR".into(),
        message: "系统繁忙,请稍后重试".into(),
        detail: None,
        request_id: None,
    };
    let (status, body) = kiosk_api::error_answer(&wechat);
    let timeout = Error::transport(TransportKind::Timeout, "GET /v3/facemch/users: no answer");
    let (t_status, t_body) = kiosk_api::error_answer(&timeout);
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let server = serve(vec![
        (status, text(body), Duration::ZERO),
        (t_status, text(t_body), Duration::ZERO),
    ]);
    let b = backend(&server);
    let e = b.authinfo("R", "K").unwrap_err();
    assert_eq!(e, wechat);
    assert_eq!(e.wechat_code(), Some("SYSTEM_ERROR"));
    assert!(e.is_retryable());
    assert_eq!(b.real_name("sid-1", "K").unwrap_err(), timeout);
}

#[test]
fn a_2xx_answer_that_is_not_json_is_a_transport_error() {
    let server = serve(vec![(
        200,
        "<html>portal login</html>".into(),
        Duration::ZERO,
    )]);
    match backend(&server).is_verified(&who()).unwrap_err() {
        Error::Transport { kind, detail } => {
            assert_eq!(kind, TransportKind::Protocol);
            assert!(!detail.contains("portal"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn timeout_and_unreachable_are_typed() {
    let server = serve(vec![(
        200,
        json!({"already_verified": true}).to_string(),
        Duration::from_millis(1500),
    )]);
    let b = HttpMerchantBackend::builder(&server.base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let t0 = Instant::now();
    match b.is_verified(&who()).unwrap_err() {
        e @ Error::Transport { .. } => {
            assert!(e.is_retryable());
            assert_eq!(e.wechat_code(), None);
            let Error::Transport { kind, .. } = e else {
                unreachable!()
            };
            assert_eq!(kind, TransportKind::Timeout);
        }
        other => panic!("{other:?}"),
    }
    assert!(t0.elapsed() < Duration::from_millis(1400));

    // A port nobody listens on.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let b = HttpMerchantBackend::builder(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    match b.is_verified(&who()).unwrap_err() {
        e @ Error::Transport { .. } => {
            assert!(e.is_retryable());
            assert_eq!(e.wechat_code(), None);
            let Error::Transport { kind, .. } = e else {
                unreachable!()
            };
            assert_eq!(kind, TransportKind::Connect);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn oversize_answers_are_refused() {
    let server = serve(vec![ok(
        json!({"authinfo": "x".repeat(300 * 1024), "expires_in": 60}),
    )]);
    assert_eq!(
        backend(&server).authinfo("R", "K").unwrap_err().code(),
        "malformed"
    );
}

#[test]
fn bad_configuration_is_refused() {
    for url in ["ftp://his.example", "not a url", "http://"] {
        assert_eq!(
            HttpMerchantBackend::builder(url)
                .build()
                .unwrap_err()
                .code(),
            "config",
            "{url}"
        );
    }
    let e = HttpMerchantBackend::builder("http://127.0.0.1:1")
        .header("Bad Header", "v")
        .build()
        .unwrap_err();
    assert_eq!(e.code(), "config");
    let e = HttpMerchantBackend::builder("http://127.0.0.1:1")
        .header("X-Token", "line\nbreak-secret")
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains("break-secret"));
}

fn rate_limited() -> Answer {
    let e = Error::transport(TransportKind::RateLimited, "retry after 1 s");
    let (status, body) = kiosk_api::error_answer(&e);
    assert_eq!(status, 429);
    (status, String::from_utf8(body).unwrap(), Duration::ZERO)
}

fn authinfo_ok() -> Answer {
    ok(json!({"authinfo": "A", "expires_in": 3600}))
}

#[test]
fn a_429_is_waited_out_once_as_retry_after_says() {
    let server = serve(vec![rate_limited(), authinfo_ok()]);
    let b = backend(&server);
    let t = Instant::now();
    let g = b.authinfo("R", "K").unwrap();
    assert_eq!(g.authinfo, "A");
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[test]
fn a_second_429_is_a_retryable_rate_limited_error() {
    let server = serve(vec![rate_limited(), rate_limited(), authinfo_ok()]);
    let b = backend(&server);
    let e = b.authinfo("R", "K").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::RateLimited,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_retryable());
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[test]
fn a_retry_after_longer_than_the_bound_is_returned_at_once() {
    let server = serve(vec![rate_limited(), authinfo_ok()]);
    let b = HttpMerchantBackend::builder(server.base.clone())
        .max_retry_after(Duration::ZERO)
        .build()
        .unwrap();
    let t = Instant::now();
    let e = b.real_name("sid", "K").unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(e.code(), "transport");
    assert!(e.is_retryable());
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[test]
fn the_device_credential_is_sent_as_a_bearer_token_and_never_shown() {
    let credential =
        wxface_core::device_auth::DeviceCredential::generate(&wxface_core::time::OsEntropy);
    let server = serve(vec![ok(json!({"already_verified": false}))]);
    let b = HttpMerchantBackend::builder(server.base.clone())
        .device_credential(credential.expose())
        .build()
        .unwrap();
    assert!(!format!("{b:?}").contains(credential.expose()));
    assert!(!b.is_verified(&who()).unwrap());
    let seen = server.seen.lock().unwrap();
    let want = format!("Bearer {}", credential.expose());
    assert!(seen[0]
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && *v == want));

    // Text that is not a credential is a configuration error that does not
    // quote it.
    let e = HttpMerchantBackend::new(&server.base, "my-kiosk-password-123").unwrap_err();
    assert_eq!(e.code(), "config");
    assert!(!e.to_string().contains("password-123"), "{e}");
}

#[test]
fn a_refused_credential_is_an_unauthenticated_error_that_is_not_retried() {
    let refused = Error::Unauthenticated("the device credential was revoked".into());
    let (status, body) = kiosk_api::error_answer(&refused);
    assert_eq!(status, 401);
    let server = serve(vec![
        (401, String::from_utf8(body).unwrap(), Duration::ZERO),
        // A proxy's own 401, without the API's error body.
        (401, "<html>login</html>".into(), Duration::ZERO),
    ]);
    let b = backend(&server);
    for _ in 0..2 {
        let e = b.authinfo("R", "K").unwrap_err();
        assert_eq!(e.code(), "unauthenticated", "{e}");
        assert!(!e.is_retryable());
    }
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}
