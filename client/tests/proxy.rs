//! The merchant client through real forward proxies on loopback: Debian's
//! `tinyproxy` (HTTP, with Basic credentials) and `microsocks` (SOCKS5, with
//! a user and password), in front of the sandbox.
//!
//! `scripts/test.sh` installs both and sets `WXFACE_REQUIRE_PROXY_TESTS=1`,
//! so that a missing proxy fails the run; elsewhere a missing program skips
//! its test with a notice.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wxface_capture::FaceSdk;
use wxface_client::core::sdk::{InitRequest, SdkReply, SdkRequest, SdkVersion};
use wxface_client::core::time::{Clock, SystemClock};
use wxface_client::core::v2::ApiKey;
use wxface_client::core::v3::InfoType;
use wxface_client::{blocking, AuthinfoParams, ClientConfig, ProxySetting};
use wxface_sandbox::{Sandbox, SandboxConfig};

const USER: &str = "his";
const PASSWORD: &str = "pr0xy-s3cret";

fn program(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("WXFACE_REQUIRE_PROXY_TESTS").is_none(),
            "{name} is not installed (apt install tinyproxy microsocks)"
        );
        eprintln!("SKIPPED: {name} is not installed");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A proxy process; killed on drop. Its output is its log.
struct Proxy {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Proxy {
    fn start(name: &str, args: impl FnOnce(u16, &std::path::Path) -> Vec<String>) -> Option<Self> {
        let bin = program(name)?;
        let port = free_port();
        let log =
            std::env::temp_dir().join(format!("wxface-{name}-{}-{port}.log", std::process::id()));
        let out = std::fs::File::create(&log).expect("log file");
        let child = Command::new(bin)
            .args(args(port, &log))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .expect("start the proxy");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{name} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child, port, log })
    }

    fn tinyproxy() -> Option<Self> {
        Self::start("tinyproxy", |port, log| {
            let conf = log.with_extension("conf");
            std::fs::write(
                &conf,
                format!(
                    "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogLevel Info\nMaxClients 20\n\
                     Allow 127.0.0.1\nBasicAuth {USER} {PASSWORD}\nDisableViaHeader Yes\n"
                ),
            )
            .expect("tinyproxy.conf");
            vec!["-d".into(), "-c".into(), conf.display().to_string()]
        })
    }

    fn microsocks() -> Option<Self> {
        Self::start("microsocks", |port, _| {
            [
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-u",
                USER,
                "-P",
                PASSWORD,
            ]
            .map(str::to_owned)
            .to_vec()
        })
    }

    fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

fn client(sb: &Sandbox, proxy: ProxySetting) -> blocking::MerchantClient {
    let c = sb.credentials();
    let config = ClientConfig::builder()
        .appid(c.appid.clone())
        .mch_id(c.mch_id.clone())
        .store("STORE-001", "门诊大厅")
        .api_key(ApiKey::new(c.api_v2_key.clone()).expect("v2 key"))
        .merchant_key_pem(c.merchant_key_pem.clone(), c.merchant_serial.clone())
        .platform_public_key(c.pub_key_id.clone(), c.platform_public_key_pem.clone())
        .base_url(sb.url())
        .proxy(proxy)
        .build()
        .expect("config");
    blocking::MerchantClient::new(config).expect("client")
}

fn rawdata(sb: &Sandbox) -> String {
    let sdk = sb.emulated_sdk("KIOSK-PX").expect("sdk");
    let call = |req: &SdkRequest| {
        let json = req
            .to_json(SdkVersion::default(), SystemClock.now())
            .expect("request");
        SdkReply::parse(req.cmd(), sdk.call(&json).expect("sdk").as_bytes()).expect("reply")
    };
    call(&SdkRequest::Init(InitRequest::default()));
    let SdkReply::Rawdata(raw) = call(&SdkRequest::GetRawdata) else {
        panic!("no rawdata")
    };
    raw
}

/// authinfo (v2 POST) and an identity query (APIv3 GET, answered 404 for a
/// face_sid the sandbox never issued: WeChat Pay's own answer, through the
/// proxy).
fn both_calls(sb: &Sandbox, client: &blocking::MerchantClient) {
    client
        .get_authinfo(AuthinfoParams::new(rawdata(sb), "KIOSK-PX"))
        .expect("authinfo through the proxy");
    let e = client
        .query_user("fs_not_issued", InfoType::AskUnionId)
        .expect_err("unknown face_sid");
    assert_eq!(e.code(), "backend", "{e}");
}

#[test]
fn through_tinyproxy_with_credentials() {
    let Some(proxy) = Proxy::tinyproxy() else {
        return;
    };
    let sb = Sandbox::start_blocking(SandboxConfig::default()).expect("sandbox");
    let url = format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", proxy.port);
    let setting = ProxySetting::parse(&url, None).expect("proxy");
    assert!(!format!("{setting:?}").contains(PASSWORD));
    let c = client(&sb, setting);
    both_calls(&sb, &c);
    let log = proxy.log();
    let port = sb
        .url()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned();
    assert!(
        log.contains(&format!(
            "POST http://127.0.0.1:{port}/face/get_wxpayface_authinfo"
        )),
        "{log}"
    );
    assert!(
        log.contains("GET http://127.0.0.1:") && log.contains("/v3/facemch/users/"),
        "{log}"
    );

    // A wrong password: the proxy's refusal, named as such, not retried.
    let bad = ProxySetting::parse(
        &format!("http://{USER}:wrong@127.0.0.1:{}", proxy.port),
        None,
    )
    .expect("proxy");
    let c = client(&sb, bad);
    let e = c
        .get_authinfo(AuthinfoParams::new(rawdata(&sb), "KIOSK-PX"))
        .expect_err("refused by the proxy");
    assert_eq!(e.code(), "transport", "{e}");
    assert!(e.to_string().contains("proxy"), "{e}");
    assert!(!e.to_string().contains(PASSWORD) && !e.to_string().contains("wrong"));
    assert!(!e.is_retryable());
    assert_eq!(c.stats().retries, 0);
}

#[test]
fn no_proxy_hosts_bypass_it() {
    let Some(proxy) = Proxy::tinyproxy() else {
        return;
    };
    let sb = Sandbox::start_blocking(SandboxConfig::default()).expect("sandbox");
    let url = format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", proxy.port);
    let c = client(
        &sb,
        ProxySetting::parse(&url, Some("localhost,127.0.0.1")).expect("proxy"),
    );
    both_calls(&sb, &c);
    assert!(
        !proxy.log().contains("/v3/facemch/users/"),
        "{}",
        proxy.log()
    );
    // `none` goes direct whatever the environment says.
    let c = client(&sb, ProxySetting::Direct);
    both_calls(&sb, &c);
    assert!(!proxy.log().contains("get_wxpayface_authinfo"));
}

#[test]
fn through_a_socks5_proxy_with_credentials() {
    let Some(proxy) = Proxy::microsocks() else {
        return;
    };
    let sb = Sandbox::start_blocking(SandboxConfig::default()).expect("sandbox");
    for scheme in ["socks5", "socks5h"] {
        let url = format!("{scheme}://{USER}:{PASSWORD}@127.0.0.1:{}", proxy.port);
        let c = client(&sb, ProxySetting::parse(&url, None).expect("proxy"));
        both_calls(&sb, &c);
    }
    // A wrong password: no tunnel, a connection error.
    let url = format!("socks5://{USER}:wrong@127.0.0.1:{}", proxy.port);
    let c = client(&sb, ProxySetting::parse(&url, None).expect("proxy"));
    let e = c
        .get_authinfo(AuthinfoParams::new(rawdata(&sb), "KIOSK-PX"))
        .expect_err("refused");
    assert_eq!(e.code(), "transport", "{e}");
    assert!(!e.to_string().contains("wrong"), "{e}");
    let log = proxy.log();
    assert!(
        log.contains("127.0.0.1"),
        "microsocks logged no client: {log}"
    );
}
