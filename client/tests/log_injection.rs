//! A `device_id` (or store id) with a newline cannot forge a log line: the
//! client and the reference merchant server log caller-supplied strings with
//! control characters escaped, and the server refuses them where the spec
//! bounds the field. Alone in its test binary: tracing caches callsite
//! interest process-wide, and a thread-scoped subscriber is only reliable
//! when no other test races it.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use serde_json::json;
use wxface_client::server::{self, ServerState};
use wxface_client::{AuthinfoParams, MerchantClient};

const FORGED: &str = "KIOSK\n2026-12-03T00:00:00Z  INFO forged";

/// A `MakeWriter` collecting everything the subscriber prints.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_newline_in_device_id_forges_no_log_line() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = Mock::start(TestClock::new()).await;
    let client =
        MerchantClient::new(config_pubkey(&mock).build().expect("config")).expect("client");

    // The client's authinfo path: refused (control characters), and the
    // refusal is logged inside a span that carries the device id.
    let e = client
        .get_authinfo(AuthinfoParams::new("raw-1", FORGED))
        .await
        .expect_err("a device id with a newline is refused");
    assert_eq!(e.code(), "invalid_input", "{e}");
    let mut params = AuthinfoParams::new("raw-1", "KIOSK-01");
    params.store_id = Some("S1\r\n2026-12-03T00:00:00Z  INFO forged".into());
    assert!(client.get_authinfo(params).await.is_err());

    // The reference merchant server: the same through `/kiosk/authinfo` and
    // `/kiosk/real-name`.
    let devices = std::sync::Arc::new(server::InMemoryDevices::new());
    let (credential, _) = server::issue(
        &*devices,
        "KIOSK-01",
        None,
        wxface_core::UnixTime(0),
        &wxface_core::time::OsEntropy,
    )
    .expect("issue");
    let (addr, handle) = server::serve(
        "127.0.0.1:0".parse().expect("addr"),
        ServerState::new(client.clone(), merchant_decryptor()).with_devices(devices),
    )
    .await
    .expect("serve");
    let http = reqwest::Client::new();
    for (path, body) in [
        (
            "/kiosk/authinfo",
            json!({"rawdata": "raw-2", "device_id": FORGED}),
        ),
        (
            "/kiosk/real-name",
            json!({"face_sid": "fs-1", "device_id": FORGED}),
        ),
    ] {
        let r = http
            .post(format!("http://{addr}{path}"))
            .header("content-type", "application/json")
            .header("authorization", credential.authorization().as_str())
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 400, "{path}");
        let text = r.text().await.expect("body");
        assert!(!text.contains("forged"), "{path}: {text}");
    }
    handle.shutdown().await.expect("shutdown");
    drop(_guard);

    let log = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf-8");
    // The forged text is there, escaped, inside the span it was logged in…
    assert!(
        log.contains("device_id=KIOSK\\n2026-12-03T00:00:00Z  INFO forged"),
        "{log}"
    );
    assert!(log.contains("store_id=S1\\r\\n2026-12-03"), "{log}");
    // …and no line of the log begins with it.
    for line in log.lines() {
        assert!(
            !line.starts_with("2026-12-03T00:00:00Z"),
            "forged log line: {line:?}\n{log}"
        );
        if line.contains("INFO forged") {
            assert!(
                line.contains("\\n2026-12-03T00:00:00Z  INFO forged"),
                "unescaped: {line:?}"
            );
        }
    }
}
