//! Interop with the sandbox (an independent emulator of WeChat Pay and the
//! face SDK): the whole flow through the blocking client, certificate
//! download through a pinned serial, provider mode, public-key-only merchants.

use wxface_capture::FaceSdk;
use wxface_client::core::crypto::Padding;
use wxface_client::core::decrypt::Decryptor;
use wxface_client::core::sdk::{
    AuthRequest, FaceAuthType, FaceCodeRequest, InitRequest, SdkReply, SdkRequest, SdkVersion,
};
use wxface_client::core::time::{Clock, SystemClock};
use wxface_client::core::v2::{ApiKey, SignType};
use wxface_client::core::v3::InfoType;
use wxface_client::{blocking, AuthinfoParams, ClientConfig, ClientConfigBuilder};
use wxface_sandbox::{Credentials, EmulatedFaceSdk, PlatformKeys, Sandbox, SandboxConfig};

const DEVICE: &str = "KIOSK-01";
const STORE: &str = "STORE-001";

fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start_blocking(config).unwrap_or_else(|e| panic!("sandbox: {e}"))
}

fn base(sb: &Sandbox, c: &Credentials) -> ClientConfigBuilder {
    ClientConfig::builder()
        .appid(c.appid.clone())
        .mch_id(c.mch_id.clone())
        .store(STORE, "门诊大厅")
        .api_key(ApiKey::new(c.api_v2_key.clone()).expect("v2 key"))
        .merchant_key_pem(c.merchant_key_pem.clone(), c.merchant_serial.clone())
        .base_url(sb.url())
}

fn call(sdk: &EmulatedFaceSdk, req: &SdkRequest) -> SdkReply {
    let json = req
        .to_json(SdkVersion::default(), SystemClock.now())
        .expect("request");
    let answer = sdk.call(&json).expect("sdk call");
    SdkReply::parse(req.cmd(), answer.as_bytes()).expect("reply")
}

/// rawdata → authinfo (through `client`) → recognise → consent; the face_sid.
fn consented_face_sid(sb: &Sandbox, client: &blocking::MerchantClient, provider: bool) -> String {
    let c = sb.credentials();
    let sdk = sb.emulated_sdk(DEVICE).expect("emulated sdk");
    call(&sdk, &SdkRequest::Init(InitRequest::default()));
    let SdkReply::Rawdata(raw) = call(&sdk, &SdkRequest::GetRawdata) else {
        panic!("no rawdata")
    };
    let grant = client
        .get_authinfo(AuthinfoParams::new(raw, DEVICE))
        .expect("authinfo");
    let SdkReply::FaceCode(code) = call(
        &sdk,
        &SdkRequest::GetFaceCode(FaceCodeRequest {
            appid: c.appid.clone(),
            mch_id: c.mch_id.clone(),
            sub_appid: provider.then(|| c.sub_appid.clone()),
            sub_mch_id: provider.then(|| c.sub_mch_id.clone()),
            store_id: STORE.into(),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo: grant.authinfo.clone(),
            ..FaceCodeRequest::default()
        }),
    ) else {
        panic!("no face code reply")
    };
    let face_sid = code.face_sid.expect("face_sid");
    call(
        &sdk,
        &SdkRequest::GetAuth(AuthRequest {
            authinfo: grant.authinfo,
            face_sid: face_sid.clone(),
            quit: false,
        }),
    );
    face_sid
}

#[test]
fn direct_flow_with_the_platform_public_key() {
    let sb = start(SandboxConfig::default());
    let c = sb.credentials();
    let client = blocking::MerchantClient::new(
        base(&sb, &c)
            .sign_type(SignType::HmacSha256)
            .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
            .decryptor(Decryptor::from_pem(&c.merchant_key_pem, c.padding).expect("decryptor"))
            .build()
            .expect("config"),
    )
    .expect("client");
    let sid = consented_face_sid(&sb, &client, false);
    let rn = client.real_name(&sid).expect("real name");
    assert!(
        sb.identities()
            .iter()
            .any(|p| p.expose_credential_id() == rn.expose_credential_id()
                && p.expose_name() == rn.expose_name()),
        "{rn:?} is none of the sandbox's persons"
    );
    // The same device and store reuse the authinfo.
    consented_face_sid(&sb, &client, false);
    let s = client.stats();
    assert_eq!(s.cache_hits, 1);
    assert_eq!(s.retries, 0);
    assert_eq!(client.platform_key_ids(), vec![c.pub_key_id.clone()]);
}

#[test]
fn provider_mode_with_certificates_from_a_pinned_serial() {
    let sb = start(SandboxConfig::default());
    let c = sb.credentials();
    let provider = blocking::MerchantClient::new(
        base(&sb, &c)
            .sub_merchant(c.sub_mch_id.clone(), c.sub_merchant_serial.clone())
            .sub_appid(c.sub_appid.clone())
            .apiv3_key(c.api_v3_key.clone())
            .pinned_platform_serials([c.platform_serial.clone()])
            .build()
            .expect("config"),
    )
    .expect("client");
    let sid = consented_face_sid(&sb, &provider, true);
    let user = provider
        .query_user(&sid, InfoType::AskRealName)
        .expect("verified answer");
    assert_eq!(provider.stats().certificate_downloads, 1);
    assert!(provider
        .platform_key_ids()
        .iter()
        .any(|id| id.eq_ignore_ascii_case(&c.platform_serial)));
    assert!(user.sub_openid.is_some());
    // Only the hospital's key opens it.
    let enc = user.real_name.expect("encrypted fields");
    let hospital = Decryptor::from_pem(&c.sub_merchant_key_pem, c.padding).expect("decryptor");
    let rn = hospital.decrypt_real_name(&enc).expect("hospital decrypts");
    assert!(sb
        .identities()
        .iter()
        .any(|p| p.expose_credential_id() == rn.expose_credential_id()));
    let provider_key = Decryptor::from_pem(&c.merchant_key_pem, c.padding).expect("decryptor");
    assert_eq!(
        provider_key
            .decrypt_real_name(&enc)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("decryption")
    );
}

#[test]
fn public_key_only_merchant() {
    let sb = start(SandboxConfig {
        platform_keys: PlatformKeys::PublicKey,
        padding: Padding::OaepSha1,
        ..SandboxConfig::default()
    });
    let c = sb.credentials();
    let client = blocking::MerchantClient::new(
        base(&sb, &c)
            .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
            .apiv3_key(c.api_v3_key.clone())
            .build()
            .expect("config"),
    )
    .expect("client");
    let sid = consented_face_sid(&sb, &client, false);
    let decryptor = Decryptor::from_pem(&c.merchant_key_pem, Padding::OaepSha1).expect("decryptor");
    client
        .fetch_real_name(&sid, &decryptor)
        .expect("public key mode works alone");
    // There are no certificates to download.
    let e = client
        .refresh_platform_certificates()
        .expect_err("no certificates");
    assert_eq!(e.wechat_code(), Some("NOT_FOUND"));
    // An unknown face_sid is WeChat's typed error, not a signature error.
    let e = client
        .query_user("no-such-face-sid", InfoType::AskRealName)
        .expect_err("unknown face_sid");
    assert_eq!(e.code(), "backend");
}
