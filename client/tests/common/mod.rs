//! A small WeChat Pay stand-in for the client's tests, built from the core's
//! server-side pieces: v2 `Fields` sign/verify, `RequestVerifier` for APIv3
//! `Authorization`, `PlatformSigner` for answers, and the fixture keys of
//! `tests/vectors/keys/`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use wxface_client::certificates::{encrypt_resource, ApiV3Key};
use wxface_client::{ClientConfig, ClientConfigBuilder, RetryPolicy};
use wxface_core::crypto::{self, pem, Padding};
use wxface_core::decrypt::Decryptor;
use wxface_core::time::{Clock, OsEntropy};
use wxface_core::v2::{ApiKey, Fields, SignType};
use wxface_core::v3::{InfoType, PlatformSigner, RequestVerifier, UsersQuery};
use wxface_core::UnixTime;

pub const APPID: &str = "wx2421b1c4370ec43b";
pub const MCH_ID: &str = "1900000001";
pub const SUB_MCH_ID: &str = "1900000109";
pub const SUB_APPID: &str = "wx8888888888888888";
pub const API_KEY: &str = "192006250b4c09247ec02edce69f6a2d";
pub const APIV3_KEY: &str = "0123456789abcdefghijklmnopqrstuv";
pub const MERCHANT_SERIAL: &str = "5A1B2C3D4E5F60718293A4B5C6D7E8F901234567";
pub const SUB_MERCHANT_SERIAL: &str = "4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F70";
pub const PLATFORM_SERIAL: &str = "6B2C3D4E5F60718293A4B5C6D7E8F9012345678A";
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
pub const START: u64 = 1_767_225_600; // 2026-01-01, inside the fixtures' validity

/// A fictitious patient (the resident ID is the specimen printed in GB 11643).
pub const NAME: &str = "测试患者";
pub const CREDENTIAL_ID: &str = "11010519491231002X";
pub const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

pub fn key(name: &str) -> String {
    let path = format!(
        "{}/../tests/vectors/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct TestClock(pub AtomicU64);

impl TestClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(START)))
    }
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

/// One scripted misbehaviour, consumed by the next request of its endpoint.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Non-2xx with `{code, message}` and no signature headers (v3), or a
    /// bare status (v2).
    Http(u16, &'static str),
    /// v2: a signed answer with this `return_code`.
    V2Return(&'static str),
    /// v2: a wrong `sign`; v3: signature over another body.
    BadSign,
    /// v3: body changed after signing.
    Tamper,
    /// v3: signed 10 minutes ago.
    Stale,
    /// v3: 2xx without any signature header.
    NoHeaders,
    /// Sleep this many milliseconds before answering normally.
    Hang(u64),
}

pub struct MockState {
    pub clock: Arc<TestClock>,
    pub api_key: ApiKey,
    pub merchants: RequestVerifier,
    pub authinfo_calls: AtomicUsize,
    pub users_calls: AtomicUsize,
    pub cert_calls: AtomicUsize,
    pub authinfo_delay_ms: AtomicU64,
    pub expires_in: AtomicU64,
    pub authinfo_faults: Mutex<VecDeque<Fault>>,
    pub users_faults: Mutex<VecDeque<Fault>>,
    pub cert_faults: Mutex<VecDeque<Fault>>,
    /// Signs `/v3/facemch/users` answers.
    pub users_signer: Mutex<PlatformSigner>,
    /// Signs `/v3/certificates` answers.
    pub certs_signer: Mutex<PlatformSigner>,
    /// Certificates (PEM) listed by `/v3/certificates`.
    pub cert_list: Mutex<Vec<String>>,
    pub apiv3_key: ApiV3Key,
    pub last_authinfo: Mutex<Option<Fields>>,
    pub last_query: Mutex<Option<UsersQuery>>,
    pub last_serial_header: Mutex<Option<String>>,
    pub certs_delay_ms: AtomicU64,
}

impl MockState {
    fn now(&self) -> UnixTime {
        self.clock.now()
    }
    fn fault(q: &Mutex<VecDeque<Fault>>) -> Option<Fault> {
        q.lock().expect("lock").pop_front()
    }
    pub fn push_authinfo(&self, f: Fault) {
        self.authinfo_faults.lock().expect("lock").push_back(f);
    }
    pub fn push_users(&self, f: Fault) {
        self.users_faults.lock().expect("lock").push_back(f);
    }
    pub fn push_cert(&self, f: Fault) {
        self.cert_faults.lock().expect("lock").push_back(f);
    }
    pub fn authinfo_calls(&self) -> usize {
        self.authinfo_calls.load(Ordering::SeqCst)
    }
    pub fn users_calls(&self) -> usize {
        self.users_calls.load(Ordering::SeqCst)
    }
    pub fn cert_calls(&self) -> usize {
        self.cert_calls.load(Ordering::SeqCst)
    }
    pub fn sign_users_with(&self, signer: PlatformSigner) {
        *self.users_signer.lock().expect("lock") = signer;
    }
    pub fn sign_certs_with(&self, signer: PlatformSigner) {
        *self.certs_signer.lock().expect("lock") = signer;
    }
}

pub fn cert_signer() -> PlatformSigner {
    let k = pem::load_private_key(crypto::aws_lc().as_ref(), &key("platform_pkcs8.pem"))
        .expect("platform key");
    PlatformSigner::new(PLATFORM_SERIAL, k).expect("signer")
}

pub fn pubkey_signer() -> PlatformSigner {
    let k = pem::load_private_key(crypto::aws_lc().as_ref(), &key("platform_pubkey_pkcs8.pem"))
        .expect("platform public-key-mode key");
    PlatformSigner::new(PUB_KEY_ID, k).expect("signer")
}

pub struct Mock {
    pub addr: SocketAddr,
    pub state: Arc<MockState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Mock {
    /// A mock whose answers are signed with the platform public key
    /// (`PUB_KEY_ID_…`), listing the platform certificate.
    pub async fn start(clock: Arc<TestClock>) -> Self {
        let provider = crypto::aws_lc();
        let mut merchants = RequestVerifier::new();
        merchants.add_merchant(
            MCH_ID,
            MERCHANT_SERIAL,
            pem::load_public_key(provider.as_ref(), &key("merchant_cert.pem")).expect("merchant"),
        );
        let state = Arc::new(MockState {
            clock,
            api_key: ApiKey::new(API_KEY).expect("api key"),
            merchants,
            authinfo_calls: AtomicUsize::new(0),
            users_calls: AtomicUsize::new(0),
            cert_calls: AtomicUsize::new(0),
            authinfo_delay_ms: AtomicU64::new(0),
            expires_in: AtomicU64::new(7200),
            authinfo_faults: Mutex::new(VecDeque::new()),
            users_faults: Mutex::new(VecDeque::new()),
            cert_faults: Mutex::new(VecDeque::new()),
            users_signer: Mutex::new(pubkey_signer()),
            certs_signer: Mutex::new(pubkey_signer()),
            cert_list: Mutex::new(vec![key("platform_cert.pem")]),
            apiv3_key: ApiV3Key::new(APIV3_KEY).expect("apiv3 key"),
            last_authinfo: Mutex::new(None),
            last_query: Mutex::new(None),
            last_serial_header: Mutex::new(None),
            certs_delay_ms: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/face/get_wxpayface_authinfo", post(authinfo))
            .route("/v3/facemch/users/{sid}", get(users))
            .route("/v3/certificates", get(certificates))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A client configuration against `mock`: direct merchant, short timeouts and
/// backoffs, the mock's clock. Platform trust is left to the test.
pub fn config(mock: &Mock) -> ClientConfigBuilder {
    ClientConfig::builder()
        .appid(APPID)
        .mch_id(MCH_ID)
        .store("HOSP-01", "门诊大厅")
        .api_key(ApiKey::new(API_KEY).expect("api key"))
        .merchant_key_pem(key("merchant_pkcs8.pem"), MERCHANT_SERIAL)
        .base_url(mock.url())
        .connect_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(3))
        .retry_policy(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
        })
        .clock(mock.state.clock.clone())
}

/// [`config`] trusting the mock's platform public key.
pub fn config_pubkey(mock: &Mock) -> ClientConfigBuilder {
    config(mock).platform_public_key(PUB_KEY_ID, key("platform_pubkey_pub.pem"))
}

pub fn merchant_decryptor() -> Decryptor {
    Decryptor::from_pem(&key("merchant_pkcs8.pem"), Padding::Pkcs1v15).expect("decryptor")
}

pub fn sub_merchant_decryptor() -> Decryptor {
    Decryptor::from_pem(&key("sub_merchant_pkcs8.pem"), Padding::Pkcs1v15).expect("decryptor")
}

fn rsa_encrypt(cert_pem: &str, plaintext: &str) -> String {
    use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
    let spki = pem::public_key_spki_der_from_pem(cert_pem).expect("spki");
    let k = Pkcs1PublicEncryptingKey::new(PublicEncryptingKey::from_der(&spki).expect("key"))
        .expect("pkcs1 key");
    let mut out = vec![0u8; k.ciphertext_size()];
    let ct = k.encrypt(plaintext.as_bytes(), &mut out).expect("encrypt");
    base64::engine::general_purpose::STANDARD.encode(ct)
}

fn v3_error(status: u16, code: &str) -> Response {
    let body = serde_json::json!({
        "code": code,
        "message": format!("mock {code}"),
        "detail": {"field": "face_sid", "location": "path"},
    });
    (
        StatusCode::from_u16(status).expect("status"),
        [
            ("content-type", "application/json"),
            ("request-id", MOCK_REQUEST_ID),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The `Request-ID` of the mock's error answers.
pub const MOCK_REQUEST_ID: &str = "08F4D6C5B00610E4E60418D4C1F5B1AB1D0E99C902B0F1011E002D3E03C6E1F";

/// A signed APIv3 answer, with `fault` applied.
fn signed(m: &MockState, signer: &PlatformSigner, body: String, fault: Option<&Fault>) -> Response {
    let now = m.now();
    let (sign_body, send_body, ts) = match fault {
        Some(Fault::BadSign) => ("{\"other\":1}".to_owned(), body, now),
        Some(Fault::Tamper) => (body.clone(), format!("{body} "), now),
        Some(Fault::Stale) => (body.clone(), body, now.minus(600)),
        _ => (body.clone(), body, now),
    };
    let mut builder = Response::builder()
        .status(200)
        .header("content-type", "application/json");
    if !matches!(fault, Some(Fault::NoHeaders)) {
        for (k, v) in signer
            .sign_now(sign_body.as_bytes(), ts, &OsEntropy)
            .expect("sign answer")
        {
            builder = builder.header(k, v);
        }
    }
    builder
        .body(axum::body::Body::from(send_body))
        .expect("response")
}

/// `Some(401 answer)` when the request's `Authorization` does not verify.
fn auth_failure(m: &MockState, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if let Some(serial) = headers
        .get("wechatpay-serial")
        .and_then(|v| v.to_str().ok())
    {
        *m.last_serial_header.lock().expect("lock") = Some(serial.to_owned());
    }
    m.merchants
        .verify(auth, "GET", pq, b"", m.now())
        .err()
        .map(|e| {
            let body = serde_json::json!({
                "code": "SIGN_ERROR",
                "message": "signature mismatch",
                "detail": {"truncated_sign_message": "GET\n/v3/...", "reason": e.code()},
            });
            (StatusCode::UNAUTHORIZED, body.to_string()).into_response()
        })
}

async fn hang(fault: &Option<Fault>) {
    if let Some(Fault::Hang(ms)) = fault {
        tokio::time::sleep(Duration::from_millis(*ms)).await;
    }
}

async fn authinfo(State(m): State<Arc<MockState>>, body: Bytes) -> Response {
    let n = m.authinfo_calls.fetch_add(1, Ordering::SeqCst) + 1;
    let delay = m.authinfo_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let fault = MockState::fault(&m.authinfo_faults);
    hang(&fault).await;
    let Ok(req) = Fields::parse_xml(&body) else {
        return (StatusCode::BAD_REQUEST, "not xml").into_response();
    };
    let sign_type: SignType = req
        .get("sign_type")
        .unwrap_or("MD5")
        .parse()
        .unwrap_or_default();
    let mut answer = Fields::new();
    if req.verify(&m.api_key, sign_type).is_err() {
        answer
            .set("return_code", "FAIL")
            .set("return_msg", "签名错误");
    } else if let Some(Fault::Http(status, _)) = &fault {
        return (StatusCode::from_u16(*status).expect("status"), "busy").into_response();
    } else if let Some(Fault::V2Return(code)) = &fault {
        answer
            .set("return_code", *code)
            .set("return_msg", "mock failure");
    } else {
        answer
            .set("return_code", "SUCCESS")
            .set("return_msg", "请求成功")
            .set("authinfo", format!("AUTHINFO-{n}-+/="))
            .set(
                "expires_in",
                m.expires_in.load(Ordering::SeqCst).to_string(),
            )
            .set("appid", req.get("appid").unwrap_or_default())
            .set("mch_id", req.get("mch_id").unwrap_or_default());
        for k in ["sub_appid", "sub_mch_id"] {
            if let Some(v) = req.get_nonempty(k) {
                answer.set(k, v);
            }
        }
    }
    answer.set("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS");
    answer.sign_in_place(&m.api_key, sign_type);
    if let Some(Fault::BadSign) = &fault {
        answer.set(
            "sign",
            "0".repeat(if sign_type == SignType::Md5 { 32 } else { 64 }),
        );
    }
    *m.last_authinfo.lock().expect("lock") = Some(req);
    answer.to_xml().into_response()
}

async fn users(State(m): State<Arc<MockState>>, uri: Uri, headers: HeaderMap) -> Response {
    m.users_calls.fetch_add(1, Ordering::SeqCst);
    let fault = MockState::fault(&m.users_faults);
    hang(&fault).await;
    if let Some(r) = auth_failure(&m, &uri, &headers) {
        return r;
    }
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let q = match UsersQuery::from_path_and_query(pq) {
        Ok(q) => q,
        Err(_) => return v3_error(400, "PARAM_ERROR"),
    };
    *m.last_query.lock().expect("lock") = Some(q.clone());
    if let Some(Fault::Http(status, code)) = &fault {
        return v3_error(*status, code);
    }
    let mut body = serde_json::json!({ "openid": OPENID });
    if q.sub_appid.is_some() {
        body["sub_openid"] = "oSubOpenid0000000000000000001".into();
    }
    match q.info_type {
        InfoType::AskRealName => {
            // Encrypted for the sub-merchant when its serial is named, else
            // for the merchant.
            let cert = if q.sub_serial_no.as_deref() == Some(SUB_MERCHANT_SERIAL) {
                key("sub_merchant_cert.pem")
            } else {
                key("merchant_cert.pem")
            };
            body["encrypted_real_name"] = rsa_encrypt(&cert, NAME).into();
            body["credential_type"] = 1.into();
            body["encrypted_credential_id"] = rsa_encrypt(&cert, CREDENTIAL_ID).into();
        }
        InfoType::AskUnionId => body["union_id"] = "oUnion0000000000000000000001".into(),
    }
    let signer = m.users_signer.lock().expect("lock").clone();
    signed(&m, &signer, body.to_string(), fault.as_ref())
}

async fn certificates(State(m): State<Arc<MockState>>, uri: Uri, headers: HeaderMap) -> Response {
    m.cert_calls.fetch_add(1, Ordering::SeqCst);
    let delay = m.certs_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let fault = MockState::fault(&m.cert_faults);
    hang(&fault).await;
    if let Some(r) = auth_failure(&m, &uri, &headers) {
        return r;
    }
    if let Some(Fault::Http(status, code)) = &fault {
        return v3_error(*status, code);
    }
    let certs = m.cert_list.lock().expect("lock").clone();
    let data: Vec<serde_json::Value> = certs
        .iter()
        .map(|pem_text| {
            let info = pem::certificate_from_pem(pem_text).expect("cert");
            let nonce = "0123456789ab";
            serde_json::json!({
                "serial_no": info.serial_hex,
                "effective_time": "2025-01-01T08:00:00+08:00",
                "expire_time": "2035-01-01T08:00:00+08:00",
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": "certificate",
                    "ciphertext": encrypt_resource(&m.apiv3_key, "certificate", nonce, pem_text.as_bytes()).expect("encrypt"),
                }
            })
        })
        .collect();
    let body = serde_json::json!({ "data": data }).to_string();
    let signer = m.certs_signer.lock().expect("lock").clone();
    signed(&m, &signer, body, fault.as_ref())
}
