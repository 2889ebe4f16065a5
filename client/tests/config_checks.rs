//! Misconfigurations refused when the client is built, each with a message
//! that says what to fix.

mod common;

use common::*;
use wxface_client::ClientConfig;
use wxface_core::v2::ApiKey;

fn builder() -> wxface_client::ClientConfigBuilder {
    ClientConfig::builder()
        .appid(APPID)
        .mch_id(MCH_ID)
        .store("HOSP-01", "门诊大厅")
        .api_key(ApiKey::new(API_KEY).expect("api key"))
        .merchant_key_pem(key("merchant_pkcs8.pem"), MERCHANT_SERIAL)
}

#[test]
fn the_merchant_certificate_as_the_platform_certificate_is_refused() {
    let e = builder()
        .platform_certificate(key("merchant_cert.pem"))
        .build()
        .expect_err("refused");
    assert_eq!(e.code(), "config");
    let text = e.to_string();
    assert!(text.contains(MERCHANT_SERIAL), "{text}");
    assert!(text.contains("merchant"), "{text}");
}

#[test]
fn the_merchant_public_key_as_the_platform_public_key_is_refused() {
    for pem in ["merchant_pub.pem", "merchant_pub_pkcs1.pem"] {
        let e = builder()
            .platform_public_key(PUB_KEY_ID, key(pem))
            .build()
            .expect_err("refused");
        assert_eq!(e.code(), "config", "{pem}");
        let text = e.to_string();
        assert!(text.contains(PUB_KEY_ID), "{text}");
        assert!(text.contains("merchant's own public key"), "{text}");
    }
}

#[test]
fn the_platform_keys_of_wechat_pay_are_accepted() {
    builder()
        .platform_public_key(PUB_KEY_ID, key("platform_pubkey_pub.pem"))
        .build()
        .expect("the platform public key");
    builder()
        .platform_certificate(key("platform_cert.pem"))
        .build()
        .expect("the platform certificate");
}
