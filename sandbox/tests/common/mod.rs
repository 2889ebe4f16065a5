//! A merchant server and a kiosk built from core pieces, driving a sandbox.
#![allow(dead_code)]

use std::sync::Arc;

use wxface_capture::FaceSdk;
use wxface_core::crypto::{aws_lc, Padding};
use wxface_core::decrypt::Decryptor;
use wxface_core::http::HttpRequest;
use wxface_core::realname::RealName;
use wxface_core::sdk::{
    AuthRequest, Cmd, FaceAuthType, FaceCodeRequest, InitRequest, SdkReply, SdkRequest, SdkVersion,
};
use wxface_core::time::{Clock, OsEntropy, SystemClock};
use wxface_core::v2::{
    parse_authinfo_response, ApiKey, AuthinfoRequest, AuthinfoResponse, SignType,
};
use wxface_core::v3::{
    handle_users_response, FaceUser, InfoType, MerchantSigner, PlatformKeyStore, ResponseVerifier,
    UsersQuery,
};
use wxface_core::{Error, UnixTime};
use wxface_sandbox::{Credentials, EmulatedFaceSdk, Sandbox, SandboxConfig};

pub const DEVICE: &str = "KIOSK-01";
pub const STORE: &str = "STORE-001";

pub fn now() -> UnixTime {
    SystemClock.now()
}

pub fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start_blocking(config).unwrap_or_else(|e| panic!("sandbox: {e}"))
}

/// A raw HTTP answer.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Which merchant role a call is made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Direct,
    Provider,
}

/// The merchant server side, from core pieces only.
pub struct Merchant {
    pub url: String,
    pub creds: Credentials,
    pub http: reqwest::blocking::Client,
    pub v2_key: ApiKey,
    pub signer: MerchantSigner,
    pub verifier: ResponseVerifier,
}

impl Merchant {
    pub fn new(sandbox: &Sandbox) -> Self {
        let creds = sandbox.credentials();
        let provider = aws_lc();
        let key =
            wxface_core::crypto::pem::load_private_key(provider.as_ref(), &creds.merchant_key_pem)
                .unwrap_or_else(|e| panic!("{e}"));
        let signer = MerchantSigner::new(creds.mch_id.clone(), creds.merchant_serial.clone(), key)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut store = PlatformKeyStore::new();
        store
            .add_certificate_pem(provider.as_ref(), &creds.platform_cert_pem)
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .add_public_key_pem(
                provider.as_ref(),
                &creds.pub_key_id,
                &creds.platform_public_key_pem,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            url: sandbox.url(),
            v2_key: ApiKey::new(creds.api_v2_key.clone()).unwrap_or_else(|e| panic!("{e}")),
            creds,
            http: reqwest::blocking::Client::new(),
            signer,
            verifier: ResponseVerifier::new(store),
        }
    }

    pub fn with_platform_serial(mut self, serial: &str) -> Self {
        self.signer = self
            .signer
            .clone()
            .with_platform_serial(serial)
            .unwrap_or_else(|e| panic!("{e}"));
        self
    }

    pub fn send(&self, req: &HttpRequest) -> Result<Answer, reqwest::Error> {
        let url = format!("{}{}", self.url, req.path_and_query);
        let mut b = match req.method {
            wxface_core::http::Method::Get => self.http.get(&url),
            wxface_core::http::Method::Post => self.http.post(&url),
        };
        for (k, v) in &req.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let resp = b.body(req.body.clone()).send()?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = resp.bytes()?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    pub fn authinfo_request(
        &self,
        rawdata: &str,
        mode: Mode,
        sign_type: SignType,
    ) -> AuthinfoRequest {
        AuthinfoRequest {
            store_id: STORE.into(),
            store_name: "测试医院门诊楼".into(),
            device_id: DEVICE.into(),
            attach: Some("{\"kiosk\":\"1\"}".into()),
            rawdata: rawdata.into(),
            appid: self.creds.appid.clone(),
            mch_id: self.creds.mch_id.clone(),
            sub_appid: (mode == Mode::Provider).then(|| self.creds.sub_appid.clone()),
            sub_mch_id: (mode == Mode::Provider).then(|| self.creds.sub_mch_id.clone()),
            sign_type,
        }
    }

    /// Send a signed get_wxpayface_authinfo and verify the answer.
    pub fn authinfo(
        &self,
        rawdata: &str,
        mode: Mode,
        sign_type: SignType,
    ) -> Result<AuthinfoResponse, Error> {
        let req = self.authinfo_request(rawdata, mode, sign_type).build(
            &self.v2_key,
            now(),
            &wxface_core::time::nonce(&OsEntropy, 32),
        )?;
        let a = self.send(&req).map_err(|e| Error::Config(e.to_string()))?;
        assert_eq!(a.status, 200);
        parse_authinfo_response(&a.body, &self.v2_key, sign_type, now())
    }

    pub fn users_query(&self, face_sid: &str, info: InfoType, mode: Mode) -> UsersQuery {
        let mut q = UsersQuery::new(face_sid, info, self.creds.appid.clone());
        if mode == Mode::Provider {
            q.sub_mchid = Some(self.creds.sub_mch_id.clone());
            q.sub_appid = Some(self.creds.sub_appid.clone());
            if info == InfoType::AskRealName {
                q.sub_serial_no = Some(self.creds.sub_merchant_serial.clone());
            }
        }
        q
    }

    /// Sign and send a query; the raw answer.
    pub fn query_raw(&self, q: &UsersQuery) -> Answer {
        let mut req = q.to_request().unwrap_or_else(|e| panic!("{e}"));
        self.signer
            .sign_request(&mut req, now(), &OsEntropy)
            .unwrap_or_else(|e| panic!("{e}"));
        self.send(&req).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sign, send, verify, parse.
    pub fn query(&self, face_sid: &str, info: InfoType, mode: Mode) -> Result<FaceUser, Error> {
        let a = self.query_raw(&self.users_query(face_sid, info, mode));
        handle_users_response(&self.verifier, a.status, &a.headers, &a.body, now())
    }

    /// Decrypt with the key of `mode` (merchant, or sub-merchant in provider mode).
    pub fn decrypt(
        &self,
        user: &FaceUser,
        mode: Mode,
        padding: Padding,
    ) -> Result<RealName, Error> {
        let pem = match mode {
            Mode::Direct => &self.creds.merchant_key_pem,
            Mode::Provider => &self.creds.sub_merchant_key_pem,
        };
        let d = Decryptor::from_pem(pem, padding)?;
        let enc = user
            .real_name
            .as_ref()
            .unwrap_or_else(|| panic!("no real-name info"));
        d.decrypt_real_name(enc)
    }
}

/// A kiosk driving an SDK with core-built requests.
pub struct Kiosk {
    pub sdk: Arc<EmulatedFaceSdk>,
    pub version: SdkVersion,
}

impl Kiosk {
    pub fn new(sdk: EmulatedFaceSdk) -> Self {
        Self {
            sdk: Arc::new(sdk),
            version: SdkVersion::default(),
        }
    }

    pub fn call(&self, req: &SdkRequest) -> Result<SdkReply, Error> {
        let json = req.to_json(self.version, now())?;
        let answer = self.sdk.call(&json)?;
        SdkReply::parse(req.cmd(), answer.as_bytes())
    }

    pub fn init(&self) {
        self.call(&SdkRequest::Init(InitRequest::default()))
            .unwrap_or_else(|e| panic!("init: {e}"));
    }

    pub fn rawdata(&self) -> String {
        match self.call(&SdkRequest::GetRawdata) {
            Ok(SdkReply::Rawdata(r)) => r,
            other => panic!("rawdata: {other:?}"),
        }
    }

    pub fn face_code_request(&self, m: &Merchant, authinfo: &str, mode: Mode) -> FaceCodeRequest {
        FaceCodeRequest {
            appid: m.creds.appid.clone(),
            mch_id: m.creds.mch_id.clone(),
            sub_appid: (mode == Mode::Provider).then(|| m.creds.sub_appid.clone()),
            sub_mch_id: (mode == Mode::Provider).then(|| m.creds.sub_mch_id.clone()),
            store_id: STORE.into(),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo: authinfo.into(),
            ..FaceCodeRequest::default()
        }
    }

    pub fn recognise(
        &self,
        m: &Merchant,
        authinfo: &str,
        mode: Mode,
    ) -> Result<wxface_core::sdk::FaceCodeReply, Error> {
        match self.call(&SdkRequest::GetFaceCode(
            self.face_code_request(m, authinfo, mode),
        ))? {
            SdkReply::FaceCode(r) => Ok(r),
            other => panic!("face code: {other:?}"),
        }
    }

    pub fn auth(&self, authinfo: &str, face_sid: &str, quit: bool) -> Result<SdkReply, Error> {
        self.call(&SdkRequest::GetAuth(AuthRequest {
            authinfo: authinfo.into(),
            face_sid: face_sid.into(),
            quit,
        }))
    }
}

/// The whole kiosk side up to a consented (or otherwise finished) face_sid.
pub struct Session {
    pub authinfo: String,
    pub face_sid: String,
    pub openid: Option<String>,
    pub sub_openid: Option<String>,
}

pub fn recognise(kiosk: &Kiosk, m: &Merchant, mode: Mode) -> Session {
    let raw = kiosk.rawdata();
    let a = m
        .authinfo(&raw, mode, SignType::HmacSha256)
        .unwrap_or_else(|e| panic!("authinfo: {e}"));
    let r = kiosk
        .recognise(m, &a.authinfo, mode)
        .unwrap_or_else(|e| panic!("recognise: {e}"));
    Session {
        authinfo: a.authinfo,
        face_sid: r.face_sid.unwrap_or_else(|| panic!("no face_sid")),
        openid: r.openid,
        sub_openid: r.sub_openid,
    }
}

/// rawdata → authinfo → recognise → consent.
pub fn consented(kiosk: &Kiosk, m: &Merchant, mode: Mode) -> Session {
    let s = recognise(kiosk, m, mode);
    kiosk
        .auth(&s.authinfo, &s.face_sid, false)
        .unwrap_or_else(|e| panic!("consent: {e}"));
    s
}

pub fn kiosk(sandbox: &Sandbox) -> Kiosk {
    let k = Kiosk::new(
        sandbox
            .emulated_sdk(DEVICE)
            .unwrap_or_else(|e| panic!("{e}")),
    );
    k.init();
    k
}

pub fn cmd_of(r: &SdkRequest) -> Cmd {
    r.cmd()
}
