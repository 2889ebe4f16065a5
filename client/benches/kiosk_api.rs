//! The reference server's kiosk API, authentication on: requests per second
//! against the sandbox, and what authentication costs per request.
//!
//! ```text
//! cargo bench -p wxface-client --features sqlite --bench kiosk_api
//! WXFACE_BENCH_REQUESTS=20000 WXFACE_BENCH_CLIENTS=32 cargo bench -p wxface-client --features sqlite --bench kiosk_api
//! ```
//!
//! The server keeps its device credentials in an SQLite file holding 1,000
//! devices (the default store of `wxface merchant serve`), with limits
//! raised out of the way. N concurrent keep-alive clients send, in turn:
//!
//! * requests with a made-up credential: refused with 401 by the
//!   authentication layer alone (no handler, no WeChat Pay call);
//! * `/kiosk/authinfo` with the kiosk's credential, answered from the
//!   server's cache (no WeChat Pay call): authentication plus the lightest
//!   handler;
//! * `/kiosk/verified` with the credential: each one a signed `ASK_UNIONID`
//!   query to the sandbox, verified, plus a registry lookup.
//!
//! The same run measures what one authentication costs the server: the
//! store lookup and the verifier comparison alone (SQLite file and in
//! memory), and the way the server makes it (on a blocking thread), and
//! sets it against one cached authinfo request from a single client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wxface_capture::FaceSdk;
use wxface_client::devices::{authenticate, issue, DeviceStore, InMemoryDevices, SqliteDevices};
use wxface_client::server::{serve, Limits, Rate, ServerState};
use wxface_client::{ClientConfig, MerchantClient};
use wxface_core::decrypt::Decryptor;
use wxface_core::device_auth::DeviceCredential;
use wxface_core::sdk::{
    FaceAuthType, FaceCodeRequest, InitRequest, SdkReply, SdkRequest, SdkVersion,
};
use wxface_core::time::{Clock, OsEntropy, SystemClock};
use wxface_sandbox::{Sandbox, SandboxConfig};

const DEVICE: &str = "BENCH-01";
const STORE: &str = "BENCH-STORE";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

fn sdk(emu: &dyn FaceSdk, req: &SdkRequest) -> SdkReply {
    let json = req
        .to_json(SdkVersion::default(), SystemClock.now())
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = emu.call(&json).unwrap_or_else(|e| panic!("{e}"));
    SdkReply::parse(req.cmd(), answer.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// `total` POSTs of `body` to `url` with `authorization`, from `clients`
/// concurrent tasks; every answer must have `status`. Returns requests/s.
async fn load(
    http: &reqwest::Client,
    url: &str,
    authorization: &str,
    body: &str,
    status: u16,
    total: usize,
    clients: usize,
) -> f64 {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let n = total / clients + usize::from(c < total % clients);
        let (http, url, auth, body) = (
            http.clone(),
            url.to_owned(),
            authorization.to_owned(),
            body.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                let r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("authorization", &auth)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(r.status().as_u16(), status);
                r.bytes().await.unwrap_or_else(|e| panic!("{e}"));
            }
        }));
    }
    for t in tasks {
        t.await.unwrap_or_else(|e| panic!("{e}"));
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Mean time of `f` over `n` calls, in microseconds.
fn mean_us(n: usize, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn main() {
    let total = env_usize("WXFACE_BENCH_REQUESTS", 5_000);
    let clients = env_usize("WXFACE_BENCH_CLIENTS", 16);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let sandbox = rt
        .block_on(Sandbox::start(SandboxConfig::default()))
        .unwrap_or_else(|e| panic!("{e}"));
    let c = sandbox.credentials();
    let config = ClientConfig::builder()
        .appid(c.appid.clone())
        .mch_id(c.mch_id.clone())
        .store(STORE, "bench")
        .api_key(
            wxface_core::v2::ApiKey::new(c.api_v2_key.clone()).unwrap_or_else(|e| panic!("{e}")),
        )
        .merchant_key_pem(c.merchant_key_pem.clone(), c.merchant_serial.clone())
        .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
        .base_url(sandbox.url())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let decryptor =
        Decryptor::from_pem(&c.merchant_key_pem, c.padding).unwrap_or_else(|e| panic!("{e}"));
    let client = {
        let _guard = rt.enter();
        MerchantClient::new(config).unwrap_or_else(|e| panic!("{e}"))
    };

    // 1,000 devices in an SQLite file, the bench kiosk among them.
    let dir = std::env::temp_dir().join(format!("wxface-bench-devices-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join("devices.sqlite3");
    let _ = std::fs::remove_file(&path);
    let devices = Arc::new(SqliteDevices::open(&path).unwrap_or_else(|e| panic!("{e}")));
    let memory = InMemoryDevices::new();
    let now = SystemClock.now();
    let mut credential = None;
    for i in 0..1_000 {
        let id = if i == 500 {
            DEVICE.to_owned()
        } else {
            format!("KIOSK-{i:04}")
        };
        let (cred, record) =
            issue(&*devices, &id, None, now, &OsEntropy).unwrap_or_else(|e| panic!("{e}"));
        memory.insert(&record).unwrap_or_else(|e| panic!("{e}"));
        if i == 500 {
            credential = Some(cred);
        }
    }
    let credential = credential.unwrap_or_else(|| panic!("issued"));
    let authorization = credential.authorization().to_string();
    let stranger = DeviceCredential::generate(&OsEntropy)
        .authorization()
        .to_string();

    let open = Rate::new(1_000_000, 60_000_000);
    let limits = Limits {
        per_device: open,
        per_peer: open,
        global: open,
        refreshes: open,
        ..Limits::default()
    };
    let state = ServerState::new(client, decryptor)
        .with_devices(devices.clone())
        .with_limits(limits);
    let (addr, handle) = rt
        .block_on(serve(
            "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
            state,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();

    // A recognised face_sid, the way a kiosk gets one.
    let emu = sandbox
        .emulated_sdk(DEVICE)
        .unwrap_or_else(|e| panic!("{e}"));
    sdk(&emu, &SdkRequest::Init(InitRequest::default()));
    let SdkReply::Rawdata(rawdata) = sdk(&emu, &SdkRequest::GetRawdata) else {
        panic!("no rawdata")
    };
    let authinfo_body = serde_json::json!({"rawdata": rawdata}).to_string();
    let answer: serde_json::Value = rt.block_on(async {
        http.post(format!("{base}/kiosk/authinfo"))
            .header("authorization", &authorization)
            .header("content-type", "application/json")
            .body(authinfo_body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    });
    let authinfo = answer["authinfo"].as_str().unwrap_or_default().to_owned();
    let SdkReply::FaceCode(face) = sdk(
        &emu,
        &SdkRequest::GetFaceCode(FaceCodeRequest {
            appid: c.appid.clone(),
            mch_id: c.mch_id.clone(),
            store_id: STORE.into(),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo,
            ..FaceCodeRequest::default()
        }),
    ) else {
        panic!("no face_sid")
    };
    let verified_body =
        serde_json::json!({"face_sid": face.face_sid.unwrap_or_default()}).to_string();

    let url = |p: &str| format!("{base}{p}");
    let (refused, cached, cached_one, verified) = rt.block_on(async {
        // Warm the connections and the cache.
        load(
            &http,
            &url("/kiosk/authinfo"),
            &authorization,
            &authinfo_body,
            200,
            100,
            clients,
        )
        .await;
        let refused = load(
            &http,
            &url("/kiosk/authinfo"),
            &stranger,
            &authinfo_body,
            401,
            total,
            clients,
        )
        .await;
        let cached = load(
            &http,
            &url("/kiosk/authinfo"),
            &authorization,
            &authinfo_body,
            200,
            total,
            clients,
        )
        .await;
        let cached_one = load(
            &http,
            &url("/kiosk/authinfo"),
            &authorization,
            &authinfo_body,
            200,
            total / 4,
            1,
        )
        .await;
        let verified = load(
            &http,
            &url("/kiosk/verified"),
            &authorization,
            &verified_body,
            200,
            total,
            clients,
        )
        .await;
        (refused, cached, cached_one, verified)
    });

    // One authentication, as the store sees it and as the server makes it.
    let n = 20_000;
    let header = Some(authorization.as_str());
    let sqlite_us = mean_us(n, || {
        assert!(authenticate(&*devices, header).is_ok());
    });
    let memory_us = mean_us(n, || {
        assert!(authenticate(&memory, header).is_ok());
    });
    let served_us = rt.block_on(async {
        let t = Instant::now();
        for _ in 0..n {
            let (store, h) = (devices.clone(), authorization.clone());
            tokio::task::spawn_blocking(move || authenticate(&*store, Some(&h)).is_ok())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    });
    let per_request_us = 1e6 / cached_one;

    println!("kiosk API with authentication (SQLite store, 1,000 devices), {total} requests, {clients} clients");
    println!("| requests | requests/s |");
    println!("|---|---:|");
    println!("| refused, 401 (authentication layer only) | {refused:.0} |");
    println!("| `/kiosk/authinfo`, cached | {cached:.0} |");
    println!("| `/kiosk/verified` (one `ASK_UNIONID` query to the sandbox each) | {verified:.0} |");
    println!("| `/kiosk/authinfo`, cached, 1 client | {cached_one:.0} |");
    println!();
    println!("| one authentication | µs | share of a cached authinfo request (1 client, {per_request_us:.1} µs) |");
    println!("|---|---:|---:|");
    println!(
        "| SQLite file lookup + SHA-256 + constant-time compare | {sqlite_us:.2} | {:.1} % |",
        100.0 * sqlite_us / per_request_us
    );
    println!(
        "| in memory lookup + SHA-256 + compare | {memory_us:.2} | {:.1} % |",
        100.0 * memory_us / per_request_us
    );
    println!(
        "| as the server makes it (SQLite, on a blocking thread) | {served_us:.2} | {:.1} % |",
        100.0 * served_us / per_request_us
    );

    rt.block_on(async {
        let _ = handle.shutdown().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    });
    drop(sandbox);
    drop(rt);
    let _ = std::fs::remove_dir_all(&dir);
}
