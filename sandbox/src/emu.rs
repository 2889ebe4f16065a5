//! The emulated face SDK: [`EmulatedFaceSdk`] implements
//! [`wxface_capture::FaceSdk`] by talking to a sandbox over HTTP (its
//! internal `/_emu/…` endpoints), so it works in the same process as the
//! sandbox or in another one (the `sdk-emu` C-ABI library wraps it).
//!
//! It behaves like the vendor SDK:
//!
//! * every request is parsed and checked with the core's
//!   [`SdkRequest::parse`]; answers are built with [`SdkReply::to_json`] and
//!   [`sdk_error_json`], so the kiosk side and the emulator cannot drift;
//! * commands before `initWxpayface` (and after `releaseWxpayface`) are
//!   refused with `err_code` 271378620 ("not initialised");
//! * commands newer than the configured SDK version are refused; fields newer
//!   than it are ignored, as an older SDK ignores what it does not know
//!   (`quit_face_auth` before 1.20 asks for consent);
//! * from SDK 1.20 on, a recognised FACE_AUTH session must be ended with
//!   `getWxpayAuth` before the next `getWxpayfaceCode` (the quit call is
//!   mandatory), else the emulator answers `ERROR`.
//!
//! Outcomes — the user's behaviour — come from a script (one per face
//! session, [`EmulatedFaceSdk::push_outcome`]) or the configured default:
//!
//! | outcome | at | answer |
//! |---|---|---|
//! | `consent` | `getWxpayAuth` | `SUCCESS`; the face_sid becomes queryable |
//! | `refuse` | `getWxpayAuth` | `return_code` `ACTION_ON_USER_QUERY_CANCEL` (core: `ConsentRefused`) |
//! | `user_cancel` | `getWxpayfaceCode` | `return_code` `USER_CANCEL` |
//! | `camera_error` | `getWxpayfaceCode` | `return_code` `ERROR`, camera message |
//! | `timeout` | `getWxpayfaceCode` | sleeps `timeout_sleep`, then `SYSTEMERROR` |
//!
//! Recognition answers `face_sid` without `openid`, as the spec's table says
//! ("返回face_sid时不返回openId"), unless the sandbox's
//! `openid_with_face_sid` is set, or this emulator's
//! [`EmuConfig::openid_with_face_sid`] overrides it.
//!
//! Environment (for [`EmulatedFaceSdk::from_env`]): `WXFACE_EMU_SANDBOX_URL`
//! (required), `WXFACE_EMU_PERSON`, `WXFACE_EMU_OUTCOME`,
//! `WXFACE_EMU_LATENCY_MS`, `WXFACE_EMU_SDK_VERSION`, `WXFACE_EMU_DEVICE_ID`,
//! `WXFACE_EMU_TIMEOUT_MS`, `WXFACE_EMU_OPENID_WITH_FACE_SID` (`1`/`true` or
//! `0`/`false`; unset: the sandbox's setting).
//!
//! The HTTP client is blocking: call [`FaceSdk::call`] from a plain thread
//! (or `spawn_blocking`), as a kiosk calls the vendor DLL.

use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};
use wxface_capture::FaceSdk;
use wxface_core::sdk::{
    sdk_error_json, FaceAuthType, FaceCodeReply, SdkReply, SdkRequest, SdkVersion,
};
use wxface_core::Error;

/// What the emulated user does in one face session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outcome {
    /// Recognised, then consents to share real-name data.
    #[default]
    Consent,
    /// Recognised, then refuses consent.
    Refuse,
    /// Cancels on the face screen.
    UserCancel,
    /// The camera fails.
    CameraError,
    /// Recognition hangs longer than the caller's bound.
    Timeout,
}

impl Outcome {
    /// Stable name (`consent`, `refuse`, `user_cancel`, `camera_error`, `timeout`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Refuse => "refuse",
            Self::UserCancel => "user_cancel",
            Self::CameraError => "camera_error",
            Self::Timeout => "timeout",
        }
    }

    fn at_recognition(self) -> bool {
        matches!(self, Self::UserCancel | Self::CameraError | Self::Timeout)
    }
}

impl FromStr for Outcome {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "consent" => Ok(Self::Consent),
            "refuse" => Ok(Self::Refuse),
            "user_cancel" | "cancel" => Ok(Self::UserCancel),
            "camera_error" => Ok(Self::CameraError),
            "timeout" => Ok(Self::Timeout),
            _ => Err(Error::InvalidInput {
                field: "outcome".into(),
                reason: "must be consent, refuse, user_cancel, camera_error or timeout".into(),
            }),
        }
    }
}

/// Configuration of an [`EmulatedFaceSdk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmuConfig {
    /// Base URL of the sandbox, e.g. `http://127.0.0.1:41234`.
    pub sandbox_url: String,
    /// The terminal's id (rawdata and authinfo are bound to it).
    pub device_id: String,
    /// Key of the test person recognised; `None`: the sandbox's default.
    pub person: Option<String>,
    /// What the user does when the script is empty.
    pub outcome: Outcome,
    /// How long recognition takes.
    pub recognition_latency: Duration,
    /// How long a `timeout` outcome sleeps.
    pub timeout_sleep: Duration,
    /// The SDK version emulated (default 1.24).
    pub sdk_version: SdkVersion,
    /// Timeout of each HTTP call to the sandbox.
    pub http_timeout: Duration,
    /// Whether recognition answers `openid`/`sub_openid` along with
    /// `face_sid`: `None` (default) follows the sandbox's
    /// `openid_with_face_sid` (itself `false` by default, as the spec's
    /// table); `Some` overrides it for this emulator.
    pub openid_with_face_sid: Option<bool>,
}

impl EmuConfig {
    /// Defaults for a sandbox at `sandbox_url`: device `EMU-DEVICE-01`, the
    /// sandbox's default person, consent, no latency, SDK 1.24.
    pub fn new(sandbox_url: impl Into<String>) -> Self {
        Self {
            sandbox_url: sandbox_url.into().trim_end_matches('/').to_owned(),
            device_id: "EMU-DEVICE-01".into(),
            person: None,
            outcome: Outcome::Consent,
            recognition_latency: Duration::ZERO,
            timeout_sleep: Duration::from_secs(30),
            sdk_version: SdkVersion::default(),
            http_timeout: Duration::from_secs(30),
            openid_with_face_sid: None,
        }
    }

    /// From the `WXFACE_EMU_*` environment variables (see the module docs).
    ///
    /// # Errors
    /// [`Error::Config`] when `WXFACE_EMU_SANDBOX_URL` is missing or a value
    /// does not parse.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// As [`Self::from_env`], reading variables through `get`.
    ///
    /// # Errors
    /// As [`Self::from_env`].
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let url = get("WXFACE_EMU_SANDBOX_URL")
            .ok_or_else(|| Error::Config("WXFACE_EMU_SANDBOX_URL is not set".into()))?;
        let mut c = Self::new(url);
        if let Some(d) = get("WXFACE_EMU_DEVICE_ID") {
            c.device_id = d;
        }
        c.person = get("WXFACE_EMU_PERSON");
        if let Some(o) = get("WXFACE_EMU_OUTCOME") {
            c.outcome = o
                .parse()
                .map_err(|e: Error| Error::Config(format!("WXFACE_EMU_OUTCOME: {e}")))?;
        }
        let millis = |k: &str| -> Result<Option<Duration>, Error> {
            get(k)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map(Duration::from_millis)
                        .map_err(|_| Error::Config(format!("{k} must be milliseconds")))
                })
                .transpose()
        };
        if let Some(d) = millis("WXFACE_EMU_LATENCY_MS")? {
            c.recognition_latency = d;
        }
        if let Some(d) = millis("WXFACE_EMU_TIMEOUT_MS")? {
            c.timeout_sleep = d;
        }
        if let Some(v) = get("WXFACE_EMU_SDK_VERSION") {
            c.sdk_version = v
                .parse()
                .map_err(|e: Error| Error::Config(format!("WXFACE_EMU_SDK_VERSION: {e}")))?;
        }
        if let Some(v) = get("WXFACE_EMU_OPENID_WITH_FACE_SID") {
            c.openid_with_face_sid = Some(match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => {
                    return Err(Error::Config(
                        "WXFACE_EMU_OPENID_WITH_FACE_SID must be 1/true or 0/false".into(),
                    ))
                }
            });
        }
        Ok(c)
    }
}

/// A face session between `getWxpayfaceCode` and `getWxpayAuth`.
#[derive(Debug, Clone)]
struct Open {
    face_sid: String,
    outcome: Outcome,
}

#[derive(Debug, Default)]
struct EmuState {
    initialised: bool,
    script: VecDeque<Outcome>,
    open: Option<Open>,
}

/// The emulated face SDK.
pub struct EmulatedFaceSdk {
    config: Mutex<EmuConfig>,
    state: Mutex<EmuState>,
    http: reqwest::blocking::Client,
}

impl std::fmt::Debug for EmulatedFaceSdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatedFaceSdk")
            .field("config", &*self.cfg())
            .finish_non_exhaustive()
    }
}

/// `err_code` of a call before `initWxpayface`.
const NOT_INITIALISED: &str = "271378620";

impl EmulatedFaceSdk {
    /// An emulator with `config`.
    ///
    /// # Errors
    /// [`Error::Config`] when the HTTP client cannot be built.
    pub fn new(config: EmuConfig) -> Result<Self, Error> {
        let http = reqwest::blocking::Client::builder()
            .timeout(config.http_timeout)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            config: Mutex::new(config),
            state: Mutex::new(EmuState::default()),
            http,
        })
    }

    /// An emulator configured from the environment (see [`EmuConfig::from_env`]).
    ///
    /// # Errors
    /// As [`EmuConfig::from_env`] and [`Self::new`].
    pub fn from_env() -> Result<Self, Error> {
        Self::new(EmuConfig::from_env()?)
    }

    fn cfg(&self) -> MutexGuard<'_, EmuConfig> {
        self.config.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn st(&self) -> MutexGuard<'_, EmuState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the current configuration.
    pub fn config(&self) -> EmuConfig {
        self.cfg().clone()
    }

    /// Script the outcome of the next face session (queued after earlier ones).
    pub fn push_outcome(&self, outcome: Outcome) {
        self.st().script.push_back(outcome);
    }

    /// The outcome used when the script is empty.
    pub fn set_outcome(&self, outcome: Outcome) {
        self.cfg().outcome = outcome;
    }

    /// Recognise this test person from now on (`None`: the sandbox's default).
    pub fn set_person(&self, person: Option<String>) {
        self.cfg().person = person;
    }

    /// Recognition latency from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.cfg().recognition_latency = latency;
    }

    /// How long a `timeout` outcome sleeps.
    pub fn set_timeout_sleep(&self, sleep: Duration) {
        self.cfg().timeout_sleep = sleep;
    }

    /// Whether recognition answers `openid` with `face_sid` from now on
    /// (`None`: the sandbox's setting); see [`EmuConfig::openid_with_face_sid`].
    pub fn set_openid_with_face_sid(&self, with_openid: Option<bool>) {
        self.cfg().openid_with_face_sid = with_openid;
    }

    /// POST JSON to an internal endpoint; `Err` holds the SDK error answer to give the kiosk.
    fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{}{path}", self.cfg().sandbox_url);
        let resp = self.http.post(&url).json(body).send().map_err(|e| {
            tracing::warn!(error = %e, "emulated SDK cannot reach the sandbox");
            sdk_error_json(
                "SYSTEMERROR",
                "网络异常,无法连接刷脸服务 (sandbox unreachable)",
                None,
            )
        })?;
        let status = resp.status();
        let v: Value = resp
            .json()
            .map_err(|_| sdk_error_json("SYSTEMERROR", "刷脸服务返回异常 (bad answer)", None))?;
        if status.is_success() {
            return Ok(v);
        }
        let text = |k: &str| match v.get(k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Err(sdk_error_json(
            &text("return_code").unwrap_or_else(|| "SYSTEMERROR".into()),
            &text("return_msg").unwrap_or_else(|| format!("HTTP {status}")),
            text("err_code").as_deref(),
        ))
    }

    fn handle(&self, request_json: &str) -> String {
        let (req, _now) = match SdkRequest::parse(request_json.as_bytes()) {
            Ok(r) => r,
            Err(e) => return sdk_error_json("PARAM_ERROR", &short_msg(&e.to_string()), None),
        };
        let version = self.cfg().sdk_version;
        if req.cmd().since() > version {
            return sdk_error_json(
                "PARAM_ERROR",
                &format!("不支持的命令 {} (SDK {version})", req.cmd()),
                None,
            );
        }
        match req {
            SdkRequest::Init(_) => {
                self.st().initialised = true;
                SdkReply::Init.to_json()
            }
            SdkRequest::Release => {
                let mut st = self.st();
                st.initialised = false;
                st.open = None;
                SdkReply::Release.to_json()
            }
            _ if !self.st().initialised => sdk_error_json(
                "ERROR",
                "刷脸服务未初始化,请先调用 initWxpayface",
                Some(NOT_INITIALISED),
            ),
            SdkRequest::GetRawdata => {
                let device = self.cfg().device_id.clone();
                match self.post("/_emu/rawdata", &json!({ "device_id": device })) {
                    Ok(v) => match v.get("rawdata").and_then(Value::as_str) {
                        Some(r) => SdkReply::Rawdata(r.to_owned()).to_json(),
                        None => sdk_error_json("SYSTEMERROR", "rawdata 缺失", None),
                    },
                    Err(answer) => answer,
                }
            }
            SdkRequest::GetFaceCode(r) => self.face_code(r, version),
            SdkRequest::GetAuth(r) => self.auth(r, version),
        }
    }

    fn face_code(&self, r: wxface_core::sdk::FaceCodeRequest, version: SdkVersion) -> String {
        let outcome = {
            let mut st = self.st();
            if version >= SdkVersion::V1_20 && st.open.is_some() {
                return sdk_error_json(
                    "ERROR",
                    "上一次实名认证未结束,请先调用 getWxpayAuth (since SDK 1.20 it is mandatory)",
                    None,
                );
            }
            let default = self.cfg().outcome;
            st.script.pop_front().unwrap_or(default)
        };
        let cfg = self.config();
        if outcome.at_recognition() {
            return match outcome {
                Outcome::UserCancel => sdk_error_json("USER_CANCEL", "用户取消", None),
                Outcome::CameraError => {
                    sdk_error_json("ERROR", "摄像头打开失败 (camera error)", None)
                }
                _ => {
                    std::thread::sleep(cfg.timeout_sleep);
                    sdk_error_json("SYSTEMERROR", "刷脸超时 (timeout)", None)
                }
            };
        }
        if !cfg.recognition_latency.is_zero() {
            std::thread::sleep(cfg.recognition_latency);
        }
        let body = json!({
            "device_id": cfg.device_id,
            "authinfo": r.authinfo,
            "appid": r.appid,
            "mch_id": r.mch_id,
            "sub_appid": r.sub_appid,
            "sub_mch_id": r.sub_mch_id,
            "store_id": r.store_id,
            "face_authtype": r.face_authtype.as_str(),
            "person": cfg.person,
            "openid_with_face_sid": cfg.openid_with_face_sid,
        });
        let v = match self.post("/_emu/recognise", &body) {
            Ok(v) => v,
            Err(answer) => return answer,
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let reply = FaceCodeReply {
            face_sid: s("face_sid"),
            openid: s("openid"),
            sub_openid: s("sub_openid"),
            telephone_used: Some(r.telephone.is_some()),
            face_code: s("face_code"),
        };
        if r.face_authtype == FaceAuthType::FaceAuth {
            if let Some(face_sid) = &reply.face_sid {
                self.st().open = Some(Open {
                    face_sid: face_sid.clone(),
                    outcome,
                });
            }
        }
        SdkReply::FaceCode(reply).to_json()
    }

    fn auth(&self, r: wxface_core::sdk::AuthRequest, version: SdkVersion) -> String {
        // An SDK before 1.20 does not know `quit_face_auth` and asks for consent.
        let quit = r.quit && version >= SdkVersion::V1_20;
        let outcome = {
            let st = self.st();
            match &st.open {
                Some(o) if o.face_sid == r.face_sid => o.outcome,
                _ => self.cfg().outcome,
            }
        };
        let action = match (quit, outcome) {
            (true, _) => "quit",
            (false, Outcome::Refuse) => "refuse",
            (false, _) => "consent",
        };
        let device = self.cfg().device_id.clone();
        let result = self.post(
            "/_emu/auth",
            &json!({
                "device_id": device,
                "authinfo": r.authinfo,
                "face_sid": r.face_sid,
                "action": action,
            }),
        );
        {
            let mut st = self.st();
            if st.open.as_ref().is_some_and(|o| o.face_sid == r.face_sid) {
                st.open = None;
            }
        }
        match (result, action) {
            (Err(answer), _) => answer,
            (Ok(_), "refuse") => {
                sdk_error_json("ACTION_ON_USER_QUERY_CANCEL", "用户拒绝授权实名信息", None)
            }
            (Ok(_), _) => SdkReply::Auth.to_json(),
        }
    }
}

/// An SDK `return_msg` is at most 128 characters.
fn short_msg(s: &str) -> String {
    s.chars().take(wxface_core::sdk::MAX_RETURN_MSG).collect()
}

impl FaceSdk for EmulatedFaceSdk {
    fn call(&self, request_json: &str) -> Result<String, Error> {
        Ok(self.handle(request_json))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_parse() {
        for o in [
            Outcome::Consent,
            Outcome::Refuse,
            Outcome::UserCancel,
            Outcome::CameraError,
            Outcome::Timeout,
        ] {
            assert_eq!(o.as_str().parse::<Outcome>().ok(), Some(o));
        }
        assert!("maybe".parse::<Outcome>().is_err());
    }

    #[test]
    fn config_from_lookup() {
        let env = |k: &str| -> Option<String> {
            match k {
                "WXFACE_EMU_SANDBOX_URL" => Some("http://127.0.0.1:9/".into()),
                "WXFACE_EMU_PERSON" => Some("patient-b".into()),
                "WXFACE_EMU_OUTCOME" => Some("refuse".into()),
                "WXFACE_EMU_LATENCY_MS" => Some("250".into()),
                "WXFACE_EMU_SDK_VERSION" => Some("1.18".into()),
                "WXFACE_EMU_DEVICE_ID" => Some("K-7".into()),
                "WXFACE_EMU_OPENID_WITH_FACE_SID" => Some("1".into()),
                _ => None,
            }
        };
        let c = EmuConfig::from_lookup(env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.sandbox_url, "http://127.0.0.1:9");
        assert_eq!(c.person.as_deref(), Some("patient-b"));
        assert_eq!(c.outcome, Outcome::Refuse);
        assert_eq!(c.recognition_latency, Duration::from_millis(250));
        assert_eq!(c.sdk_version, SdkVersion::V1_18);
        assert_eq!(c.device_id, "K-7");
        assert_eq!(c.openid_with_face_sid, Some(true));
        assert!(EmuConfig::from_lookup(|_| None).is_err());
        let url_only = |k: &str| (k == "WXFACE_EMU_SANDBOX_URL").then(|| "http://x".to_owned());
        let c = EmuConfig::from_lookup(url_only).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.openid_with_face_sid, None);
        let bad_flag = |k: &str| match k {
            "WXFACE_EMU_SANDBOX_URL" => Some("http://x".into()),
            "WXFACE_EMU_OPENID_WITH_FACE_SID" => Some("sometimes".into()),
            _ => None,
        };
        assert!(EmuConfig::from_lookup(bad_flag).is_err());
        let bad = |k: &str| match k {
            "WXFACE_EMU_SANDBOX_URL" => Some("http://x".into()),
            "WXFACE_EMU_LATENCY_MS" => Some("soon".into()),
            _ => None,
        };
        assert!(EmuConfig::from_lookup(bad).is_err());
    }
}
