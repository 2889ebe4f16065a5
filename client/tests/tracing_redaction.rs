//! Tracing output during a real-name fetch never contains real-name data,
//! the authinfo, rawdata or keys. Alone in its test binary: tracing caches
//! callsite interest process-wide, and a thread-scoped subscriber is only
//! reliable when no other test races it.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use wxface_client::MerchantClient;

const SID: &str = "fs_0123456789abcdef+/=";

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
async fn tracing_never_shows_real_name_data_or_credentials() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = Mock::start(TestClock::new()).await;
    let client = MerchantClient::new(
        config_pubkey(&mock)
            .decryptor(merchant_decryptor())
            .apiv3_key(APIV3_KEY)
            .build()
            .expect("config"),
    )
    .expect("client");
    mock.state.push_users(Fault::Http(500, "SYSTEM_ERROR"));
    let grant = client
        .get_authinfo(wxface_client::AuthinfoParams::new(
            "RAWDATA-SECRET-1",
            "KIOSK-01",
        ))
        .await
        .expect("authinfo");
    let rn = client
        .fetch_real_name(SID, &merchant_decryptor())
        .await
        .expect("real name");
    assert_eq!(rn.expose_name(), NAME);
    mock.state.push_users(Fault::Tamper);
    let _ = client.fetch_real_name(SID, &merchant_decryptor()).await;
    let _ = client.fetch_real_name(SID, &sub_merchant_decryptor()).await;
    client
        .refresh_platform_certificates()
        .await
        .expect("certificates");
    drop(_guard);

    let log = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf-8");
    // The log is not empty: spans and their fields are there.
    assert!(log.contains("wxface.query_user"), "{log}");
    assert!(log.contains("wxface.authinfo"), "{log}");
    assert!(log.contains("wxface.certificates"), "{log}");
    assert!(log.contains("device_id=KIOSK-01"), "{log}");
    assert!(log.contains("attempts=2"), "{log}");
    assert!(log.contains("status=500"), "{log}");
    for secret in [
        NAME,
        CREDENTIAL_ID,
        &CREDENTIAL_ID[..6],
        &CREDENTIAL_ID[10..],
        grant.authinfo.as_str(),
        "RAWDATA-SECRET-1",
        API_KEY,
        APIV3_KEY,
    ] {
        assert!(!log.contains(secret), "log leaks {secret}:\n{log}");
    }
}
