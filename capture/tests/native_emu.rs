//! The whole kiosk stack through the C ABI: `NativeFaceSdk` loads
//! `libwxface_sdk_emu.so` (the emulator built by `cargo build -p
//! wxface-sdk-emu`), the `Kiosk` drives it, and a merchant backend made of
//! core pieces talks to an embedded sandbox (v2 authinfo, APIv3 query,
//! signature verification, decryption).
//!
//! `cargo test` does not build other packages' cdylibs: without the library
//! these tests print why and pass without running (CI builds it first).
#![cfg(all(feature = "native", feature = "http"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Says why a test does not run, past the test harness's output capture.
fn skip(why: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(format!("SKIPPED: {why}\n").as_bytes());
}

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::Duration;

use wxface_capture::{
    AuthinfoGrant, CancelHandle, Kiosk, MerchantBackend, NativeFaceSdk, NativeOptions,
    ProgressEvent, VerifyHooks,
};
use wxface_core::crypto::{default_provider, pem::load_private_key, Padding};
use wxface_core::decrypt::Decryptor;
use wxface_core::flow::{FlowConfig, Outcome, Recognised, Step};
use wxface_core::http::{HttpRequest, Method};
use wxface_core::realname::MaskedIdentity;
use wxface_core::time::{nonce, Clock, OsEntropy, SystemClock};
use wxface_core::v2::{parse_authinfo_response, ApiKey, AuthinfoRequest, SignType};
use wxface_core::v3::{
    handle_users_response, InfoType, MerchantSigner, PlatformKeyStore, ResponseVerifier, UsersQuery,
};
use wxface_core::Error;
use wxface_sandbox::{Credentials, Sandbox, SandboxConfig};

const DEVICE: &str = "NATIVE-KIOSK-01";
const STORE: &str = "NATIVE-STORE-01";

/// The emulator library: `WXFACE_TEST_SDK_LIBRARY` when set (the Windows
/// run puts it under a path with Chinese characters), else the one beside
/// this test's executable (`target/debug`).
fn emulator_library() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WXFACE_TEST_SDK_LIBRARY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let debug_dir = exe.parent()?.parent()?;
    let lib = debug_dir.join(libloading::library_filename("wxface_sdk_emu"));
    if lib.is_file() {
        Some(lib)
    } else {
        skip(&format!(
            "{} is missing; run `cargo build -p wxface-sdk-emu` first",
            lib.display()
        ));
        None
    }
}

/// One sandbox for the whole file, and one scenario at a time: the library
/// reads its configuration from this process's environment.
fn sandbox() -> (&'static Sandbox, MutexGuard<'static, ()>) {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let guard = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let s = SANDBOX.get_or_init(|| Sandbox::start_blocking(SandboxConfig::default()).unwrap());
    s.reset();
    (s, guard)
}

/// Configure the emulator library for the next session.
fn set_emulator_env(sandbox: &Sandbox, outcome: &str, extra: &[(&str, &str)]) {
    for k in [
        "WXFACE_EMU_PERSON",
        "WXFACE_EMU_LATENCY_MS",
        "WXFACE_EMU_TIMEOUT_MS",
        "WXFACE_EMU_SDK_VERSION",
        "WXFACE_EMU_OPENID_WITH_FACE_SID",
    ] {
        std::env::remove_var(k);
    }
    std::env::set_var("WXFACE_EMU_SANDBOX_URL", sandbox.url());
    std::env::set_var("WXFACE_EMU_DEVICE_ID", DEVICE);
    std::env::set_var("WXFACE_EMU_OUTCOME", outcome);
    for (k, v) in extra {
        std::env::set_var(k, v);
    }
}

/// The hospital's server, from core pieces, in process.
struct SandboxMerchant {
    url: String,
    creds: Credentials,
    http: reqwest::blocking::Client,
    v2_key: ApiKey,
    signer: MerchantSigner,
    verifier: ResponseVerifier,
    decryptor: Decryptor,
    verified: Mutex<HashSet<String>>,
    authinfo_calls: Mutex<usize>,
}

impl SandboxMerchant {
    fn new(sandbox: &Sandbox) -> Self {
        let creds = sandbox.credentials();
        let provider = default_provider();
        let key = load_private_key(provider.as_ref(), &creds.merchant_key_pem).unwrap();
        let signer =
            MerchantSigner::new(creds.mch_id.clone(), creds.merchant_serial.clone(), key).unwrap();
        let mut store = PlatformKeyStore::new();
        store
            .add_certificate_pem(provider.as_ref(), &creds.platform_cert_pem)
            .unwrap();
        store
            .add_public_key_pem(
                provider.as_ref(),
                &creds.pub_key_id,
                &creds.platform_public_key_pem,
            )
            .unwrap();
        let padding: Padding = creds.padding;
        Self {
            url: sandbox.url(),
            v2_key: ApiKey::new(creds.api_v2_key.clone()).unwrap(),
            decryptor: Decryptor::from_pem(&creds.merchant_key_pem, padding).unwrap(),
            creds,
            http: reqwest::blocking::Client::new(),
            signer,
            verifier: ResponseVerifier::new(store),
            verified: Mutex::new(HashSet::new()),
            authinfo_calls: Mutex::new(0),
        }
    }

    fn send(&self, req: &HttpRequest) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let url = format!("{}{}", self.url, req.path_and_query);
        let mut b = match req.method {
            Method::Get => self.http.get(&url),
            Method::Post => self.http.post(&url),
        };
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let resp = b.body(req.body.clone()).send().unwrap();
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        (status, headers, resp.bytes().unwrap().to_vec())
    }
}

impl SandboxMerchant {
    fn query(
        &self,
        face_sid: &str,
        info_type: InfoType,
    ) -> Result<wxface_core::v3::FaceUser, Error> {
        let mut req =
            UsersQuery::new(face_sid, info_type, self.creds.appid.clone()).to_request()?;
        self.signer
            .sign_request(&mut req, SystemClock.now(), &OsEntropy)?;
        let (status, headers, body) = self.send(&req);
        handle_users_response(&self.verifier, status, &headers, &body, SystemClock.now())
    }
}

impl MerchantBackend for SandboxMerchant {
    fn authinfo(&self, rawdata: &str, device_id: &str) -> Result<AuthinfoGrant, Error> {
        *self.authinfo_calls.lock().unwrap() += 1;
        let now = SystemClock.now();
        let req = AuthinfoRequest {
            store_id: STORE.into(),
            store_name: "门诊楼自助机".into(),
            device_id: device_id.into(),
            attach: None,
            rawdata: rawdata.into(),
            appid: self.creds.appid.clone(),
            mch_id: self.creds.mch_id.clone(),
            sub_appid: None,
            sub_mch_id: None,
            sign_type: SignType::HmacSha256,
        }
        .build(&self.v2_key, now, &nonce(&OsEntropy, 32))?;
        let (_, _, body) = self.send(&req);
        let a = parse_authinfo_response(&body, &self.v2_key, SignType::HmacSha256, now)?;
        Ok(AuthinfoGrant {
            authinfo: a.authinfo,
            expires_at: a.expires_at,
        })
    }

    /// As the reference server decides: who the face_sid is, from WeChat
    /// Pay (`ASK_UNIONID`, no consent needed); a reported openid must match.
    fn is_verified(&self, who: &Recognised) -> Result<bool, Error> {
        let user = self.query(&who.face_sid, InfoType::AskUnionId)?;
        if who.openid.is_some() && who.openid != user.openid {
            return Err(Error::invalid("openid", "is not WeChat Pay's"));
        }
        Ok(user
            .openid
            .as_ref()
            .is_some_and(|o| self.verified.lock().unwrap().contains(o)))
    }

    fn real_name(&self, face_sid: &str, _device_id: &str) -> Result<MaskedIdentity, Error> {
        let user = self.query(face_sid, InfoType::AskRealName)?;
        let enc = user.real_name.as_ref().ok_or(Error::Decryption)?;
        let real = self.decryptor.decrypt_real_name(enc)?;
        if let Some(openid) = &user.openid {
            self.verified.lock().unwrap().insert(openid.clone());
        }
        Ok(real.masked())
    }
}

fn flow_config(creds: &Credentials) -> FlowConfig {
    FlowConfig::new(creds.appid.clone(), creds.mch_id.clone(), STORE)
}

fn kiosk(sandbox: &Sandbox, sdk: &Arc<NativeFaceSdk>, merchant: &Arc<SandboxMerchant>) -> Kiosk {
    let k = Kiosk::new(
        flow_config(&merchant.creds),
        DEVICE,
        sdk.clone(),
        merchant.clone(),
        Arc::new(SystemClock),
    )
    .unwrap();
    let _ = sandbox;
    k.start().unwrap();
    k
}

fn steps(events: &[ProgressEvent]) -> Vec<Step> {
    events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::StepStarted { step } => Some(*step),
            _ => None,
        })
        .collect()
}

#[test]
fn verified_then_already_verified_then_expired_authinfo() {
    // The spec's table (no openid with the face_sid), then the sandbox's
    // older behaviour (WXFACE_EMU_OPENID_WITH_FACE_SID=1).
    for with_openid in [false, true] {
        verified_then_already_verified_then_expired_authinfo_in(with_openid);
    }
}

fn verified_then_already_verified_then_expired_authinfo_in(with_openid: bool) {
    let Some(lib) = emulator_library() else {
        return;
    };
    let (sandbox, _one) = sandbox();
    let mode = if with_openid { "1" } else { "0" };
    set_emulator_env(
        sandbox,
        "consent",
        &[
            ("WXFACE_EMU_PERSON", "patient-b"),
            ("WXFACE_EMU_OPENID_WITH_FACE_SID", mode),
        ],
    );
    let sdk = Arc::new(NativeFaceSdk::load(&lib).unwrap());
    let merchant = Arc::new(SandboxMerchant::new(sandbox));
    let k = kiosk(sandbox, &sdk, &merchant);

    // First visit: consent, identity fetched and decrypted by the merchant.
    let mut events = Vec::new();
    let outcome = k.verify(VerifyHooks::new().on_progress(|e| events.push(e.clone())));
    let person = sandbox
        .identities()
        .iter()
        .find(|p| p.key == "patient-b")
        .unwrap();
    match &outcome {
        Outcome::Verified { who, identity } => {
            let reported = with_openid.then_some(person.openid.as_str());
            assert_eq!(who.openid.as_deref(), reported);
            assert_eq!(identity, &person.masked());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        steps(&events),
        [
            Step::ReadingRawdata,
            Step::FetchingAuthinfo,
            Step::Recognising,
            Step::CheckingVerified,
            Step::AskingConsent,
            Step::FetchingRealName
        ]
    );
    // No personal data in what a kiosk could log.
    let logged = format!("{outcome:?} {events:?}");
    assert!(!logged.contains(person.expose_name()));
    assert!(!logged.contains(person.expose_credential_id()));

    // Second visit: already verified, the SDK is told to quit; authinfo cached.
    let mut events = Vec::new();
    let again = k.verify(VerifyHooks::new().on_progress(|e| events.push(e.clone())));
    assert_eq!(again.as_str(), "already_verified", "{again:?}");
    assert_eq!(
        steps(&events),
        [Step::Recognising, Step::CheckingVerified, Step::Quitting]
    );
    assert_eq!(*merchant.authinfo_calls.lock().unwrap(), 1);

    // The sandbox expires every authinfo: the SDK reports 271382020 and the
    // kiosk refreshes once.
    assert!(sandbox.expire_authinfos() >= 1);
    merchant.verified.lock().unwrap().clear();
    assert_eq!(k.verify(VerifyHooks::new()).as_str(), "verified");
    assert_eq!(*merchant.authinfo_calls.lock().unwrap(), 2);

    k.shutdown().unwrap();
    assert_eq!(k.state_name(), "released");
}

#[test]
fn refused_cancelled_and_camera_error() {
    let Some(lib) = emulator_library() else {
        return;
    };
    let (sandbox, _one) = sandbox();
    let sdk = Arc::new(NativeFaceSdk::load(&lib).unwrap());
    let merchant = Arc::new(SandboxMerchant::new(sandbox));

    set_emulator_env(sandbox, "refuse", &[]);
    let k = kiosk(sandbox, &sdk, &merchant);
    assert!(matches!(
        k.verify(VerifyHooks::new()),
        Outcome::ConsentRefused { .. }
    ));
    k.shutdown().unwrap();

    set_emulator_env(sandbox, "user_cancel", &[]);
    let k = kiosk(sandbox, &sdk, &merchant);
    assert_eq!(k.verify(VerifyHooks::new()), Outcome::Cancelled);
    k.shutdown().unwrap();

    set_emulator_env(sandbox, "camera_error", &[]);
    let k = kiosk(sandbox, &sdk, &merchant);
    match k.verify(VerifyHooks::new()) {
        Outcome::Failed {
            step: Step::Recognising,
            error: Error::Sdk { return_code, .. },
        } => assert_eq!(return_code, "ERROR"),
        other => panic!("{other:?}"),
    }
    k.shutdown().unwrap();
}

#[test]
fn cancel_from_another_thread_then_next_patient() {
    let Some(lib) = emulator_library() else {
        return;
    };
    let (sandbox, _one) = sandbox();
    set_emulator_env(sandbox, "consent", &[("WXFACE_EMU_LATENCY_MS", "600")]);
    let sdk = Arc::new(NativeFaceSdk::load(&lib).unwrap());
    let merchant = Arc::new(SandboxMerchant::new(sandbox));
    let k = kiosk(sandbox, &sdk, &merchant);

    let cancel = CancelHandle::new();
    let c2 = cancel.clone();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(250));
        c2.cancel();
    });
    assert_eq!(
        k.verify(VerifyHooks::new().cancel_handle(cancel)),
        Outcome::Cancelled
    );
    t.join().unwrap();
    // The kiosk told the SDK to quit (mandatory since 1.20): the emulator
    // accepts the next recognition.
    assert_eq!(k.verify(VerifyHooks::new()).as_str(), "verified");
    k.shutdown().unwrap();
}

#[test]
fn a_hanging_sdk_call_times_out() {
    let Some(lib) = emulator_library() else {
        return;
    };
    let (sandbox, _one) = sandbox();
    set_emulator_env(sandbox, "timeout", &[("WXFACE_EMU_TIMEOUT_MS", "1500")]);
    let sdk = Arc::new(
        NativeFaceSdk::load_with(
            &lib,
            NativeOptions {
                timeout: Duration::from_millis(400),
                ..NativeOptions::default()
            },
        )
        .unwrap(),
    );
    let merchant = Arc::new(SandboxMerchant::new(sandbox));
    let k = kiosk(sandbox, &sdk, &merchant);
    match k.verify(VerifyHooks::new()) {
        Outcome::Failed {
            step: Step::Recognising,
            error: Error::Sdk { return_code, .. },
        } => assert_eq!(return_code, "TIMEOUT"),
        other => panic!("{other:?}"),
    }
    // The call still holds the library; once it returns, release goes through.
    thread::sleep(Duration::from_millis(1400));
    k.shutdown().unwrap();
}

#[test]
fn a_recognition_that_outlasts_the_timeout_is_ended_before_the_next_patient() {
    let Some(lib) = emulator_library() else {
        return;
    };
    let (sandbox, _one) = sandbox();
    // Recognition takes 1.2 s; the kiosk gives up on a call after 0.6 s.
    set_emulator_env(sandbox, "consent", &[("WXFACE_EMU_LATENCY_MS", "1200")]);
    let sdk = Arc::new(
        NativeFaceSdk::load_with(
            &lib,
            NativeOptions {
                timeout: Duration::from_millis(600),
                ..NativeOptions::default()
            },
        )
        .unwrap(),
    );
    let merchant = Arc::new(SandboxMerchant::new(sandbox));
    let k = kiosk(sandbox, &sdk, &merchant);
    let failure = |o: Outcome| match o {
        Outcome::Failed {
            step,
            error:
                Error::Sdk {
                    return_code,
                    return_msg,
                    ..
                },
        } => (step, return_code, return_msg),
        other => panic!("{other:?}"),
    };

    // 1. Recognition outlasts the timeout.
    let (step, code, _) = failure(k.verify(VerifyHooks::new()));
    assert_eq!((step, code.as_str()), (Step::Recognising, "TIMEOUT"));
    // 2. Right after: the call still runs inside the library, so the next
    //    patient is told at once instead of queueing behind it (the authinfo
    //    is cached: the visit starts with recognition).
    let t0 = std::time::Instant::now();
    let (step, code, msg) = failure(k.verify(VerifyHooks::new()));
    assert_eq!((step, code.as_str()), (Step::Recognising, "BUSY"));
    assert!(msg.contains("getWxpayfaceCode"), "{msg}");
    assert!(
        t0.elapsed() < Duration::from_millis(400),
        "{:?}",
        t0.elapsed()
    );
    // 3. The hung call returns with a face_sid: a face session is open. The
    //    kiosk ends it (quit) before the next patient, so the SDK takes the
    //    next recognition instead of refusing it with "上一次实名认证未结束"
    //    (which it answers at once, with ERROR).
    thread::sleep(Duration::from_millis(1000));
    let (step, code, msg) = failure(k.verify(VerifyHooks::new()));
    assert!(!msg.contains("上一次"), "{msg}");
    assert_eq!((step, code.as_str()), (Step::Recognising, "TIMEOUT"));
    // 4. The same at shutdown: the session of the last late answer is ended,
    //    then the SDK is released.
    thread::sleep(Duration::from_millis(1000));
    k.shutdown().unwrap();

    // A kiosk that waits long enough verifies the next patient.
    let patient_sdk = Arc::new(NativeFaceSdk::load(&lib).unwrap());
    let k = kiosk(sandbox, &patient_sdk, &merchant);
    assert_eq!(k.verify(VerifyHooks::new()).as_str(), "verified");
    k.shutdown().unwrap();
}

#[test]
fn a_library_of_the_other_bitness_is_refused_naming_both() {
    // Set by the Windows run: the emulator DLL built for the other architecture.
    let Some(other) = std::env::var_os("WXFACE_TEST_OTHER_BITNESS_LIBRARY") else {
        skip("WXFACE_TEST_OTHER_BITNESS_LIBRARY is not set (Windows only)");
        return;
    };
    let e = NativeFaceSdk::load(PathBuf::from(other)).unwrap_err();
    assert_eq!(e.code(), "wrong_architecture", "{e}");
    let msg = e.to_string();
    let (this, that) = if cfg!(target_pointer_width = "64") {
        ("64-bit (x64)", "32-bit (x86)")
    } else {
        ("32-bit (x86)", "64-bit (x64)")
    };
    assert!(msg.contains(&format!("it is a {that} DLL")), "{msg}");
    assert!(msg.contains(&format!("this process is {this}")), "{msg}");
    assert_eq!(Error::from(e).code(), "config");
}

#[test]
fn library_errors_name_what_was_looked_for() {
    let Some(lib) = emulator_library() else {
        return;
    };
    let missing = lib.with_file_name("libwxface_no_such_library.so");
    let e = NativeFaceSdk::load(&missing).unwrap_err();
    assert!(
        e.to_string().contains("libwxface_no_such_library.so"),
        "{e}"
    );
    // The sandbox binary is no library at all.
    let not_a_lib = lib.with_file_name("wxface-sandbox");
    if not_a_lib.is_file() {
        let e = NativeFaceSdk::load(&not_a_lib).unwrap_err();
        assert_eq!(e.code(), "library_load");
    }
}
