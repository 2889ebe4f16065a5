//! Sandbox throughput: real-name queries per second over loopback.
//!
//! ```text
//! cargo bench -p wxface-sandbox --bench throughput
//! WXFACE_BENCH_QUERIES=20000 WXFACE_BENCH_CLIENTS=32 cargo bench -p wxface-sandbox --bench throughput
//! ```
//!
//! One consented face_sid is queried `ASK_REAL_NAME` by N concurrent
//! keep-alive clients, a fixed number of times in all. Requests are signed
//! before the clock starts (signing is the merchant's cost, not the
//! sandbox's); every answer's status is checked and its signature verified
//! inside the timed loop. Each answer costs the sandbox one request
//! verification, two RSA encryptions and one RSA signature.

use std::sync::Arc;
use std::time::Instant;

use wxface_capture::FaceSdk;
use wxface_core::crypto::{aws_lc, pem};
use wxface_core::sdk::{
    AuthRequest, FaceAuthType, FaceCodeRequest, InitRequest, SdkReply, SdkRequest, SdkVersion,
};
use wxface_core::time::{Clock, OsEntropy, SystemClock};
use wxface_core::v2::{parse_authinfo_response, ApiKey, AuthinfoRequest, SignType};
use wxface_core::v3::{InfoType, MerchantSigner, PlatformKeyStore, ResponseVerifier, UsersQuery};
use wxface_sandbox::{Sandbox, SandboxConfig};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

fn sdk(emu: &dyn FaceSdk, req: &SdkRequest) -> SdkReply {
    let now = SystemClock.now();
    let json = req
        .to_json(SdkVersion::default(), now)
        .unwrap_or_else(|e| panic!("{e}"));
    let answer = emu.call(&json).unwrap_or_else(|e| panic!("{e}"));
    SdkReply::parse(req.cmd(), answer.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn main() {
    let queries = env_usize("WXFACE_BENCH_QUERIES", 10_000);
    let clients = env_usize("WXFACE_BENCH_CLIENTS", 16);
    let sandbox =
        Sandbox::start_blocking(SandboxConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let creds = sandbox.credentials();
    let url = sandbox.url();

    // A consented face_sid, the way a kiosk and its merchant server get one.
    let emu = sandbox
        .emulated_sdk("BENCH-01")
        .unwrap_or_else(|e| panic!("{e}"));
    sdk(&emu, &SdkRequest::Init(InitRequest::default()));
    let SdkReply::Rawdata(rawdata) = sdk(&emu, &SdkRequest::GetRawdata) else {
        panic!("no rawdata")
    };
    let v2_key = ApiKey::new(creds.api_v2_key.clone()).unwrap_or_else(|e| panic!("{e}"));
    let req = AuthinfoRequest {
        store_id: "BENCH".into(),
        store_name: "bench".into(),
        device_id: "BENCH-01".into(),
        rawdata,
        appid: creds.appid.clone(),
        mch_id: creds.mch_id.clone(),
        sign_type: SignType::HmacSha256,
        ..AuthinfoRequest::default()
    }
    .build(&v2_key, SystemClock.now(), "benchnonce")
    .unwrap_or_else(|e| panic!("{e}"));
    let http = reqwest::blocking::Client::new();
    let body = http
        .post(format!("{url}{}", req.path_and_query))
        .body(req.body)
        .send()
        .and_then(|r| r.bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let authinfo = parse_authinfo_response(&body, &v2_key, SignType::HmacSha256, SystemClock.now())
        .unwrap_or_else(|e| panic!("{e}"))
        .authinfo;
    let SdkReply::FaceCode(face) = sdk(
        &emu,
        &SdkRequest::GetFaceCode(FaceCodeRequest {
            appid: creds.appid.clone(),
            mch_id: creds.mch_id.clone(),
            store_id: "BENCH".into(),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo: authinfo.clone(),
            ..FaceCodeRequest::default()
        }),
    ) else {
        panic!("no face_sid")
    };
    let face_sid = face.face_sid.unwrap_or_default();
    sdk(
        &emu,
        &SdkRequest::GetAuth(AuthRequest {
            authinfo,
            face_sid: face_sid.clone(),
            quit: false,
        }),
    );

    // Sign every request up front, on both cores.
    let provider = aws_lc();
    let key = pem::load_private_key(provider.as_ref(), &creds.merchant_key_pem)
        .unwrap_or_else(|e| panic!("{e}"));
    let signer = MerchantSigner::new(creds.mch_id.clone(), creds.merchant_serial.clone(), key)
        .unwrap_or_else(|e| panic!("{e}"));
    let path = UsersQuery::new(face_sid, InfoType::AskRealName, creds.appid.clone())
        .path_and_query()
        .unwrap_or_else(|e| panic!("{e}"));
    let t = Instant::now();
    let headers: Vec<String> = std::thread::scope(|s| {
        let halves: Vec<_> = (0..2)
            .map(|part| {
                let signer = &signer;
                let path = &path;
                s.spawn(move || {
                    (0..queries)
                        .filter(|i| i % 2 == part)
                        .map(|_| {
                            let nonce = wxface_core::time::nonce(&OsEntropy, 32);
                            signer
                                .authorization("GET", path, b"", SystemClock.now(), &nonce)
                                .unwrap_or_else(|e| panic!("{e}"))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    eprintln!("signed {} requests in {:.1?}", headers.len(), t.elapsed());

    let mut store = PlatformKeyStore::new();
    store
        .add_certificate_pem(provider.as_ref(), &creds.platform_cert_pem)
        .unwrap_or_else(|e| panic!("{e}"));
    let verifier = Arc::new(ResponseVerifier::new(store));
    let target = Arc::new(format!("{url}{path}"));
    let per_client: Vec<Vec<String>> = {
        let mut v: Vec<Vec<String>> = vec![Vec::new(); clients];
        for (i, h) in headers.into_iter().enumerate() {
            v[i % clients].push(h);
        }
        v
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let (ok, elapsed) = rt.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for auths in per_client {
            let client = client.clone();
            let target = target.clone();
            let verifier = verifier.clone();
            tasks.push(tokio::spawn(async move {
                let mut ok = 0usize;
                for auth in auths {
                    let resp = client
                        .get(target.as_str())
                        .header("Authorization", auth)
                        .header("Accept", "application/json")
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    let status = resp.status().as_u16();
                    let headers: Vec<(String, String)> = resp
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                        .collect();
                    let body = resp.bytes().await.unwrap_or_default();
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                    verifier
                        .verify(status, &headers, &body, SystemClock.now())
                        .unwrap_or_else(|e| panic!("{e}"));
                    ok += 1;
                }
                ok
            }));
        }
        let mut ok = 0;
        for t in tasks {
            ok += t.await.unwrap_or(0);
        }
        (ok, start.elapsed())
    });
    let qps = ok as f64 / elapsed.as_secs_f64();
    println!(
        "sandbox throughput: {ok} real-name queries, {clients} concurrent clients, {:.2} s, {qps:.0} queries/s",
        elapsed.as_secs_f64()
    );
    rt.shutdown_background();
    sandbox.stop();
}
