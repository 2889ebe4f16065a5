//! Nothing secret and no full identity reaches the logs, even at TRACE.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use wxface_core::v3::InfoType;
use wxface_sandbox::{FaultEndpoint, FaultKind, Outcome, SandboxConfig};

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn logs_show_masked_forms_only() {
    let buf = Buf::default();
    let writer = buf.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let sandbox = start(SandboxConfig::default());
    let m = Merchant::new(&sandbox);
    let k = kiosk(&sandbox);
    let mut authinfos = Vec::new();
    for who in sandbox.identities() {
        k.sdk.set_person(Some(who.key.clone()));
        for mode in [Mode::Direct, Mode::Provider] {
            let s = consented(&k, &m, mode);
            authinfos.push(s.authinfo.clone());
            let user = m
                .query(&s.face_sid, InfoType::AskRealName, mode)
                .unwrap_or_else(|e| panic!("{e}"));
            let real = m
                .decrypt(&user, mode, sandbox.config().padding)
                .unwrap_or_else(|e| panic!("{e}"));
            tracing::info!(identity = ?real, "merchant side");
        }
    }
    k.sdk.push_outcome(Outcome::Refuse);
    let s = recognise(&k, &m, Mode::Direct);
    let _ = k.auth(&s.authinfo, &s.face_sid, false);
    let _ = m.query(&s.face_sid, InfoType::AskRealName, Mode::Direct);
    sandbox
        .faults()
        .next(FaultEndpoint::Users, FaultKind::SystemError, 1);
    let _ = m.query(&s.face_sid, InfoType::AskUnionId, Mode::Direct);
    tracing::info!(credentials = ?sandbox.credentials(), sandbox = ?sandbox, emu = ?k.sdk, "handles");
    sandbox.stop();

    let logs =
        String::from_utf8_lossy(&buf.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(logs.contains("face recognised"), "{logs}");
    let creds = m.creds.clone();
    let mut forbidden: Vec<String> = vec![
        creds.api_v2_key.clone(),
        creds.api_v3_key.clone(),
        "PRIVATE KEY".into(),
    ];
    for who in m_identities(&k) {
        forbidden.push(who.0);
        forbidden.push(who.1);
    }
    forbidden.extend(authinfos);
    for f in &forbidden {
        assert!(
            !logs.contains(f.as_str()),
            "logs leak a value ({} chars)",
            f.chars().count()
        );
    }
    assert!(logs.contains("测*"), "masked names are logged");
}

/// The default identities' full values (fictitious, compared only).
fn m_identities(_k: &Kiosk) -> Vec<(String, String)> {
    wxface_sandbox::default_identities()
        .iter()
        .map(|i| {
            (
                i.expose_name().to_owned(),
                i.expose_credential_id().to_owned(),
            )
        })
        .collect()
}
