//! Failover to the backup APIv3 host, against two sandbox instances that
//! share one key set (as WeChat Pay's two domains share one merchant): the
//! first is down, the second answers.

use wxface_capture::FaceSdk;
use wxface_client::core::sdk::{
    AuthRequest, FaceAuthType, FaceCodeRequest, InitRequest, SdkReply, SdkRequest, SdkVersion,
};
use wxface_client::core::time::{Clock, SystemClock};
use wxface_client::core::v2::ApiKey;
use wxface_client::core::v3::InfoType;
use wxface_client::{blocking, AuthinfoParams, ClientConfig, ClientConfigBuilder};
use wxface_sandbox::{EmulatedFaceSdk, Sandbox, SandboxConfig};

const DEVICE: &str = "KIOSK-FO";
const STORE: &str = "STORE-001";

fn call(sdk: &EmulatedFaceSdk, req: &SdkRequest) -> SdkReply {
    let json = req
        .to_json(SdkVersion::default(), SystemClock.now())
        .expect("request");
    SdkReply::parse(req.cmd(), sdk.call(&json).expect("sdk").as_bytes()).expect("reply")
}

struct Pair {
    _dir: std::path::PathBuf,
    up: Sandbox,
    down_url: String,
}

/// Two sandboxes on one key set; the first stopped.
fn pair(tag: &str) -> Pair {
    let dir = std::env::temp_dir().join(format!("wxface-failover-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = || SandboxConfig {
        keys_dir: Some(dir.clone()),
        ..SandboxConfig::default()
    };
    let first = Sandbox::start_blocking(config()).expect("first sandbox");
    let down_url = first.url();
    drop(first);
    let up = Sandbox::start_blocking(config()).expect("second sandbox");
    Pair {
        _dir: dir,
        up,
        down_url,
    }
}

/// A client whose authinfo host is the live sandbox and whose APIv3 host is
/// `apimch` (with `backup`).
fn client(p: &Pair, apimch: &str, backup: Option<String>) -> blocking::MerchantClient {
    let c = p.up.credentials();
    let b: ClientConfigBuilder = ClientConfig::builder()
        .appid(c.appid.clone())
        .mch_id(c.mch_id.clone())
        .store(STORE, "门诊大厅")
        .api_key(ApiKey::new(c.api_v2_key.clone()).expect("v2 key"))
        .merchant_key_pem(c.merchant_key_pem.clone(), c.merchant_serial.clone())
        .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
        .payapp_base_url(p.up.url())
        .apimch_base_url(apimch.to_owned())
        .apimch_backup_base_url(backup)
        .connect_timeout(std::time::Duration::from_millis(500));
    blocking::MerchantClient::new(b.build().expect("config")).expect("client")
}

/// A recognised face_sid of the live sandbox.
fn face_sid(p: &Pair, client: &blocking::MerchantClient) -> String {
    let c = p.up.credentials();
    let sdk = p.up.emulated_sdk(DEVICE).expect("sdk");
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
            store_id: STORE.into(),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo: grant.authinfo.clone(),
            ..FaceCodeRequest::default()
        }),
    ) else {
        panic!("no face code")
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
fn a_get_the_primary_cannot_take_goes_to_the_backup_host() {
    let p = pair("up");
    let client = client(&p, &p.down_url, Some(p.up.url()));
    let sid = face_sid(&p, &client);
    let who = client
        .query_user(&sid, InfoType::AskRealName)
        .expect("answered by the backup host");
    assert!(who.openid.is_some());
    let stats = client.stats();
    assert_eq!(stats.failovers, 1);
    // The primary was tried first, each time: two requests for one query.
    assert_eq!(stats.http_requests, 3, "{stats:?}");
}

#[test]
fn without_a_backup_the_connection_failure_is_the_answer() {
    let p = pair("off");
    let client = client(&p, &p.down_url, None);
    let sid = face_sid(&p, &client);
    let e = client
        .query_user(&sid, InfoType::AskUnionId)
        .expect_err("no backup");
    assert_eq!(e.code(), "transport");
    assert!(e.is_retryable());
    assert_eq!(client.stats().failovers, 0);
}

#[test]
fn an_answer_of_the_primary_is_never_sent_again_elsewhere() {
    let p = pair("answer");
    // The primary is up and answers 404 for a face_sid it does not know; the
    // "backup" is down: a failover would show as a connection error.
    let client = client(&p, &p.up.url(), Some(p.down_url.clone()));
    let e = client
        .query_user("fs_unknown_to_the_sandbox", InfoType::AskUnionId)
        .expect_err("unknown face_sid");
    assert_eq!(e.code(), "backend", "{e}");
    assert_eq!(client.stats().failovers, 0);
    // The sandbox's Request-ID, kept for WeChat Pay's support.
    let id = e.info().request_id.expect("Request-ID");
    assert!(e.to_string().contains(&id), "{e}");
}

#[test]
fn the_production_host_has_wechat_pay_s_backup_domain_by_default() {
    let p = pair("default");
    let c = p.up.credentials();
    let b = || {
        ClientConfig::builder()
            .appid(c.appid.clone())
            .mch_id(c.mch_id.clone())
            .api_key(ApiKey::new(c.api_v2_key.clone()).expect("v2 key"))
            .merchant_key_pem(c.merchant_key_pem.clone(), c.merchant_serial.clone())
            .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
    };
    let production = b().build().expect("config");
    assert_eq!(
        production.apimch_backup_base_url(),
        Some("https://api2.mch.weixin.qq.com/")
    );
    let own = b().base_url(p.up.url()).build().expect("config");
    assert_eq!(own.apimch_backup_base_url(), None);
}
