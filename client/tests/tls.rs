//! The reference server over mutual TLS (feature `tls`), with certificates
//! made here: a hospital CA, the server's certificate, a kiosk's client
//! certificate, and a stranger's from another CA.

mod common;

use std::sync::Arc;

use common::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use wxface_capture::{HttpMerchantBackend, MerchantBackend};
use wxface_client::server::{issue, InMemoryDevices, ServerState};
use wxface_client::tls::{serve_tls, TlsSettings};
use wxface_client::MerchantClient;
use wxface_core::time::OsEntropy;
use wxface_core::UnixTime;

struct Ca(CertifiedIssuer<'static, KeyPair>);

impl Ca {
    fn new(name: &str) -> Self {
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Self(CertifiedIssuer::self_signed(p, KeyPair::generate().expect("key")).expect("CA"))
    }

    /// A leaf for `names`, as PEM: (certificate, private key).
    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        let mut p = CertificateParams::new(names).expect("params");
        p.distinguished_name.push(DnType::CommonName, "leaf");
        p.extended_key_usages = vec![usage];
        let key = KeyPair::generate().expect("key");
        let cert = p.signed_by(&key, &self.0).expect("leaf");
        (cert.pem(), key.serialize_pem())
    }

    fn pem(&self) -> String {
        self.0.pem()
    }
}

struct Setup {
    mock: Mock,
    url: String,
    hospital: Ca,
    credential: String,
    _handle: wxface_client::server::ServerHandle,
}

async fn start() -> Setup {
    let mock = Mock::start(TestClock::new()).await;
    let client =
        MerchantClient::new(config_pubkey(&mock).build().expect("config")).expect("client");
    let devices = Arc::new(InMemoryDevices::new());
    let (credential, _) =
        issue(&*devices, "KIOSK-TLS", None, UnixTime(START), &OsEntropy).expect("issue");
    let hospital = Ca::new("Hospital kiosk CA");
    let (cert, key) = hospital.leaf(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth);
    let tls = TlsSettings {
        cert_chain_pem: cert,
        key_pem: key,
        client_ca_pem: Some(hospital.pem()),
    };
    let state = ServerState::new(client, merchant_decryptor()).with_devices(devices);
    let (addr, handle) = serve_tls("127.0.0.1:0".parse().expect("addr"), state, &tls)
        .await
        .expect("serve");
    Setup {
        mock,
        url: format!("https://localhost:{}", addr.port()),
        hospital,
        credential: credential.expose().to_owned(),
        _handle: handle,
    }
}

/// `authinfo` from a blocking kiosk client (off the runtime's threads).
async fn authinfo(
    b: wxface_capture::HttpMerchantBackendBuilder,
) -> Result<String, wxface_core::Error> {
    tokio::task::spawn_blocking(move || b.build()?.authinfo("raw", "KIOSK-TLS").map(|g| g.authinfo))
        .await
        .expect("thread")
}

#[tokio::test]
async fn a_kiosk_with_a_hospital_certificate_and_its_credential_gets_in() {
    let s = start().await;
    let (cert, key) = s
        .hospital
        .leaf(&["KIOSK-TLS"], ExtendedKeyUsagePurpose::ClientAuth);
    let kiosk = HttpMerchantBackend::builder(&s.url)
        .tls_root_certificates_pem(s.hospital.pem())
        .tls_client_identity_pem(format!("{cert}{key}"))
        .device_credential(&s.credential);
    assert!(!format!("{kiosk:?}").contains("PRIVATE KEY"));
    authinfo(kiosk).await.expect("admitted");
    assert_eq!(s.mock.state.authinfo_calls(), 1);

    // The certificate alone is not enough: the credential is still required.
    let no_credential = HttpMerchantBackend::builder(&s.url)
        .tls_root_certificates_pem(s.hospital.pem())
        .tls_client_identity_pem(format!("{cert}{key}"));
    assert_eq!(
        authinfo(no_credential).await.expect_err("refused").code(),
        "unauthenticated"
    );
    assert_eq!(s.mock.state.authinfo_calls(), 1);
}

#[tokio::test]
async fn the_handshake_refuses_a_kiosk_without_a_certificate_of_the_hospital_ca() {
    let s = start().await;
    let stranger = Ca::new("Someone else's CA");
    let (cert, key) = stranger.leaf(&["KIOSK-TLS"], ExtendedKeyUsagePurpose::ClientAuth);
    let cases = [
        (
            "no client certificate",
            HttpMerchantBackend::builder(&s.url)
                .tls_root_certificates_pem(s.hospital.pem())
                .device_credential(&s.credential),
        ),
        (
            "a certificate of another CA",
            HttpMerchantBackend::builder(&s.url)
                .tls_root_certificates_pem(s.hospital.pem())
                .tls_client_identity_pem(format!("{cert}{key}"))
                .device_credential(&s.credential),
        ),
    ];
    for (what, kiosk) in cases {
        let e = authinfo(kiosk).await.expect_err(what);
        assert_eq!(e.code(), "transport", "{what}: {e}");
        assert!(!e.to_string().contains(&s.credential));
    }
    // A kiosk that does not trust the server's CA stops on its own side.
    let (cert, key) = s
        .hospital
        .leaf(&["KIOSK-TLS"], ExtendedKeyUsagePurpose::ClientAuth);
    let untrusting = HttpMerchantBackend::builder(&s.url)
        .tls_root_certificates_pem(stranger.pem())
        .tls_client_identity_pem(format!("{cert}{key}"))
        .device_credential(&s.credential);
    assert_eq!(
        authinfo(untrusting).await.expect_err("refused").code(),
        "transport"
    );
    assert_eq!(s.mock.state.authinfo_calls(), 0);
}

#[test]
fn bad_tls_settings_are_configuration_errors() {
    let ca = Ca::new("CA");
    let (cert, key) = ca.leaf(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth);
    let (_, other_key) = ca.leaf(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth);
    let good = TlsSettings {
        cert_chain_pem: cert.clone(),
        key_pem: key.clone(),
        client_ca_pem: Some(ca.pem()),
    };
    assert!(good.server_config().is_ok());
    for bad in [
        TlsSettings {
            cert_chain_pem: String::new(),
            ..good.clone()
        },
        TlsSettings {
            key_pem: "not a key".into(),
            ..good.clone()
        },
        TlsSettings {
            key_pem: other_key,
            ..good.clone()
        },
        TlsSettings {
            client_ca_pem: Some(String::new()),
            ..good.clone()
        },
    ] {
        let e = bad.server_config().expect_err("refused");
        assert_eq!(e.code(), "config", "{e}");
        assert!(!e.to_string().contains("PRIVATE KEY"));
    }
    assert!(!format!("{good:?}").contains("PRIVATE"));
    // The kiosk side: a identity that is not PEM.
    let e = HttpMerchantBackend::builder("https://localhost:1")
        .tls_client_identity_pem("-----BEGIN nothing")
        .build()
        .expect_err("refused");
    assert_eq!(e.code(), "config");
}
