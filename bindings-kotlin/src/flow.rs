//! The kiosk flow state machine: `Flow.handle(now, event)`, then drain
//! `Flow.pollAction()` until it returns `null`.
//!
//! The machine does no I/O. Each `FlowAction` that asks for work
//! (`CallSdk`, `FetchAuthinfo`, `CheckVerified`, `FetchRealName`) carries a
//! request id; its answer comes back as a `FlowEvent` with the same id. An
//! event that does not fit is refused with `State` and changes nothing.
//! Most apps use the `Kiosk` driver instead, which runs this loop over a
//! `FaceSdk` and a `MerchantBackend`.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use wxface_core::flow as core;

use crate::error::WxfaceError;
use crate::realname::MaskedIdentity;
use crate::sdk::{
    credential, credential_opt, secs, unix, version, InitRequest, SdkCmd, SdkRequest,
};

/// What a kiosk is configured with. No secrets: a kiosk holds none.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlowConfig {
    /// `appid`.
    pub appid: String,
    /// `mch_id`.
    pub mch_id: String,
    /// `store_id`.
    pub store_id: String,
    /// Face SDK version of the terminal (gates request fields).
    #[uniffi(default = "1.24")]
    pub sdk_version: String,
    /// `sub_appid` (provider mode).
    #[uniffi(default = None)]
    pub sub_appid: Option<String>,
    /// `sub_mch_id` (provider mode).
    #[uniffi(default = None)]
    pub sub_mch_id: Option<String>,
    /// `screen_index` (1.18+).
    #[uniffi(default = None)]
    pub screen_index: Option<String>,
    /// `disable_keyboard` (1.23+).
    #[uniffi(default = false)]
    pub disable_keyboard: bool,
    /// `initWxpayface` settings (proxy, camera rotation).
    #[uniffi(default = None)]
    pub init: Option<InitRequest>,
    /// A cached authinfo is reused only while `now + margin < expires_at`.
    #[uniffi(default = 60)]
    pub authinfo_margin_secs: u32,
}

impl FlowConfig {
    pub(crate) fn to_core(&self) -> Result<core::FlowConfig, WxfaceError> {
        let init = match wxface_core::sdk::SdkRequest::from(SdkRequest::Init {
            request: self.init.clone().unwrap_or_default(),
        }) {
            wxface_core::sdk::SdkRequest::Init(i) => i,
            _ => wxface_core::sdk::InitRequest::default(),
        };
        Ok(core::FlowConfig {
            sdk_version: version(&self.sdk_version)?,
            appid: self.appid.clone(),
            mch_id: self.mch_id.clone(),
            sub_appid: self.sub_appid.clone(),
            sub_mch_id: self.sub_mch_id.clone(),
            store_id: self.store_id.clone(),
            screen_index: self.screen_index.clone(),
            disable_keyboard: self.disable_keyboard,
            init,
            authinfo_margin_secs: u64::from(self.authinfo_margin_secs),
        })
    }
}

/// A step of the flow, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Step {
    /// `initWxpayface`.
    Initialising,
    /// `getWxpayfaceRawdata`.
    ReadingRawdata,
    /// The merchant server fetches authinfo.
    FetchingAuthinfo,
    /// `getWxpayfaceCode`: the patient looks at the camera.
    Recognising,
    /// The merchant decides whether the user is already verified.
    CheckingVerified,
    /// `getWxpayAuth` quit="0": the patient sees masked data and consents.
    AskingConsent,
    /// `getWxpayAuth` quit="1": the SDK is told to stop waiting.
    Quitting,
    /// The merchant server fetches and decrypts the real-name data.
    FetchingRealName,
    /// `releaseWxpayface`.
    Releasing,
}

impl From<core::Step> for Step {
    fn from(s: core::Step) -> Self {
        match s {
            core::Step::Initialising => Self::Initialising,
            core::Step::ReadingRawdata => Self::ReadingRawdata,
            core::Step::FetchingAuthinfo => Self::FetchingAuthinfo,
            core::Step::Recognising => Self::Recognising,
            core::Step::CheckingVerified => Self::CheckingVerified,
            core::Step::AskingConsent => Self::AskingConsent,
            core::Step::Quitting => Self::Quitting,
            core::Step::FetchingRealName => Self::FetchingRealName,
            core::Step::Releasing => Self::Releasing,
        }
    }
}

/// Stable snake_case name of a step (`recognising`, …).
#[uniffi::export]
pub fn step_name(step: Step) -> String {
    let s = match step {
        Step::Initialising => core::Step::Initialising,
        Step::ReadingRawdata => core::Step::ReadingRawdata,
        Step::FetchingAuthinfo => core::Step::FetchingAuthinfo,
        Step::Recognising => core::Step::Recognising,
        Step::CheckingVerified => core::Step::CheckingVerified,
        Step::AskingConsent => core::Step::AskingConsent,
        Step::Quitting => core::Step::Quitting,
        Step::FetchingRealName => core::Step::FetchingRealName,
        Step::Releasing => core::Step::Releasing,
    };
    s.as_str().to_owned()
}

/// Who the face SDK recognised. `toString` shows the lengths of
/// `face_sid`, `openid` and `sub_openid`, never their values; the
/// properties hold them.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display)]
pub struct Recognised {
    /// `face_sid`: the identity query credential.
    pub face_sid: String,
    /// `openid`, when the SDK returned one.
    #[uniffi(default = None)]
    pub openid: Option<String>,
    /// `sub_openid`, when the SDK returned one.
    #[uniffi(default = None)]
    pub sub_openid: Option<String>,
}

impl fmt::Display for Recognised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Recognised(face_sid={}, openid={}, sub_openid={})",
            credential(&self.face_sid),
            credential_opt(self.openid.as_deref()),
            credential_opt(self.sub_openid.as_deref())
        )
    }
}

impl fmt::Debug for Recognised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<core::Recognised> for Recognised {
    fn from(r: core::Recognised) -> Self {
        Self {
            face_sid: r.face_sid,
            openid: r.openid,
            sub_openid: r.sub_openid,
        }
    }
}

impl From<Recognised> for core::Recognised {
    fn from(r: Recognised) -> Self {
        Self {
            face_sid: r.face_sid,
            openid: r.openid,
            sub_openid: r.sub_openid,
        }
    }
}

/// How one patient's verification ended.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Outcome {
    /// Consent given; the merchant server fetched and checked the identity.
    Verified {
        /// Who.
        who: Recognised,
        /// The identity, masked (full values stay on the hospital system).
        identity: MaskedIdentity,
    },
    /// The merchant already had this user verified; the SDK was told to quit.
    AlreadyVerified {
        /// Who.
        who: Recognised,
    },
    /// The patient declined to share real-name data.
    ConsentRefused {
        /// Who.
        who: Recognised,
    },
    /// The patient or the kiosk cancelled.
    Cancelled,
    /// Something failed.
    Failed {
        /// The step that failed.
        step: Step,
        /// What went wrong (no personal data).
        error: WxfaceError,
    },
}

impl From<core::Outcome> for Outcome {
    fn from(o: core::Outcome) -> Self {
        match o {
            core::Outcome::Verified { who, identity } => Self::Verified {
                who: who.into(),
                identity: identity.into(),
            },
            core::Outcome::AlreadyVerified { who } => Self::AlreadyVerified { who: who.into() },
            core::Outcome::ConsentRefused { who } => Self::ConsentRefused { who: who.into() },
            core::Outcome::Cancelled => Self::Cancelled,
            core::Outcome::Failed { step, error } => Self::Failed {
                step: step.into(),
                error: error.into(),
            },
        }
    }
}

/// Stable snake_case name of an outcome (`verified`, `already_verified`,
/// `consent_refused`, `cancelled`, `failed`).
#[uniffi::export]
pub fn outcome_name(outcome: Outcome) -> String {
    match outcome {
        Outcome::Verified { .. } => "verified",
        Outcome::AlreadyVerified { .. } => "already_verified",
        Outcome::ConsentRefused { .. } => "consent_refused",
        Outcome::Cancelled => "cancelled",
        Outcome::Failed { .. } => "failed",
    }
    .to_owned()
}

/// What the machine asks its driver to do. `toString` hides request JSON
/// and rawdata.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Display)]
pub enum FlowAction {
    /// A step starts.
    StepStarted {
        /// The step.
        step: Step,
    },
    /// Send `json` to the face SDK; answer with `SdkAnswer` or
    /// `SdkCallFailed` carrying `id`.
    CallSdk {
        /// Request id.
        id: u64,
        /// The command.
        cmd: SdkCmd,
        /// The exact request JSON.
        json: String,
    },
    /// Ask the merchant server for authinfo; answer with `Authinfo` or
    /// `BackendFailed`.
    FetchAuthinfo {
        /// Request id.
        id: u64,
        /// `rawdata` from the SDK.
        rawdata: String,
        /// `true` after the SDK reported the authinfo expired: the merchant
        /// server must not answer from its cache.
        refresh: bool,
    },
    /// Ask the merchant whether this user is already verified; answer with
    /// `VerifiedChecked` or `BackendFailed`.
    CheckVerified {
        /// Request id.
        id: u64,
        /// Who was recognised.
        who: Recognised,
    },
    /// Ask the merchant server for the (masked) real-name result; answer
    /// with `RealName` or `BackendFailed`.
    FetchRealName {
        /// Request id.
        id: u64,
        /// The query credential.
        face_sid: String,
    },
    /// The SDK is initialised; `Begin` may start a verification.
    Ready,
    /// A verification is over.
    Done {
        /// How it ended.
        outcome: Outcome,
    },
    /// The SDK was released; the machine accepts nothing more.
    Released,
}

impl fmt::Display for FlowAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StepStarted { step } => write!(f, "StepStarted({})", step_name(*step)),
            Self::CallSdk { id, cmd, json } => write!(
                f,
                "CallSdk(id={id}, cmd={}, json=[{} bytes])",
                sdk_cmd_str(*cmd),
                json.len()
            ),
            Self::FetchAuthinfo { id, rawdata, .. } => write!(
                f,
                "FetchAuthinfo(id={id}, rawdata=[{} chars])",
                rawdata.chars().count()
            ),
            Self::CheckVerified { id, who } => write!(f, "CheckVerified(id={id}, who={who})"),
            Self::FetchRealName { id, face_sid } => {
                write!(
                    f,
                    "FetchRealName(id={id}, face_sid={})",
                    credential(face_sid)
                )
            }
            Self::Ready => f.write_str("Ready"),
            Self::Done { outcome } => write!(f, "Done({outcome:?})"),
            Self::Released => f.write_str("Released"),
        }
    }
}

fn sdk_cmd_str(cmd: SdkCmd) -> &'static str {
    wxface_core::sdk::Cmd::from(cmd).as_str()
}

impl From<core::Action> for FlowAction {
    fn from(a: core::Action) -> Self {
        match a {
            core::Action::StepStarted(step) => Self::StepStarted { step: step.into() },
            core::Action::CallSdk { id, cmd, json } => Self::CallSdk {
                id: id.0,
                cmd: cmd.into(),
                json,
            },
            core::Action::FetchAuthinfo {
                id,
                rawdata,
                refresh,
            } => Self::FetchAuthinfo {
                id: id.0,
                rawdata,
                refresh,
            },
            core::Action::CheckVerified { id, who } => Self::CheckVerified {
                id: id.0,
                who: who.into(),
            },
            core::Action::FetchRealName { id, face_sid } => {
                Self::FetchRealName { id: id.0, face_sid }
            }
            core::Action::Ready => Self::Ready,
            core::Action::Done(outcome) => Self::Done {
                outcome: outcome.into(),
            },
            core::Action::Released => Self::Released,
        }
    }
}

/// What the driver tells the machine. `toString` hides answers and authinfo.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Display)]
pub enum FlowEvent {
    /// Program start: initialise the SDK.
    Start,
    /// A patient is ready: start a verification.
    Begin,
    /// The SDK answered request `id` (the JSON as received).
    SdkAnswer {
        /// Request id.
        id: u64,
        /// The answer JSON.
        json: String,
    },
    /// The SDK call itself failed (not an error answer).
    SdkCallFailed {
        /// Request id.
        id: u64,
        /// What failed.
        error: WxfaceError,
    },
    /// The merchant server returned authinfo.
    Authinfo {
        /// Request id.
        id: u64,
        /// The authinfo.
        authinfo: String,
        /// Its absolute expiry, Unix seconds.
        expires_at: i64,
    },
    /// The merchant answered "is this user already verified?".
    VerifiedChecked {
        /// Request id.
        id: u64,
        /// `true`: skip consent and quit the SDK.
        already_verified: bool,
    },
    /// The merchant server returned the masked real-name result.
    RealName {
        /// Request id.
        id: u64,
        /// The masked identity.
        identity: MaskedIdentity,
    },
    /// A merchant-server request failed.
    BackendFailed {
        /// Request id.
        id: u64,
        /// What failed.
        error: WxfaceError,
    },
    /// Cancel the current verification.
    Cancel,
    /// Program exit: release the SDK.
    Shutdown,
}

impl fmt::Display for FlowEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start => f.write_str("Start"),
            Self::Begin => f.write_str("Begin"),
            Self::SdkAnswer { id, json } => {
                write!(f, "SdkAnswer(id={id}, json=[{} bytes])", json.len())
            }
            Self::SdkCallFailed { id, error } => {
                write!(f, "SdkCallFailed(id={id}, code={})", error.code())
            }
            Self::Authinfo { id, expires_at, .. } => {
                write!(
                    f,
                    "Authinfo(id={id}, expires_at={expires_at}, authinfo=[REDACTED])"
                )
            }
            Self::VerifiedChecked {
                id,
                already_verified,
            } => write!(
                f,
                "VerifiedChecked(id={id}, already_verified={already_verified})"
            ),
            Self::RealName { id, identity } => write!(f, "RealName(id={id}, {identity:?})"),
            Self::BackendFailed { id, error } => {
                write!(f, "BackendFailed(id={id}, code={})", error.code())
            }
            Self::Cancel => f.write_str("Cancel"),
            Self::Shutdown => f.write_str("Shutdown"),
        }
    }
}

fn sdk_failure(reason: String) -> wxface_core::Error {
    wxface_core::Error::Sdk {
        cmd: "unknown".into(),
        return_code: "CALL_FAILED".into(),
        return_msg: reason,
        err_code: None,
    }
}

fn backend_failure(reason: String) -> wxface_core::Error {
    wxface_core::Error::Backend {
        status: None,
        code: "KIOSK_ERROR".into(),
        message: reason,
        detail: None,
    }
}

pub(crate) fn sdk_error_to_core(e: WxfaceError) -> wxface_core::Error {
    e.into_core(sdk_failure)
}

pub(crate) fn backend_error_to_core(e: WxfaceError) -> wxface_core::Error {
    e.into_core(backend_failure)
}

impl FlowEvent {
    fn into_core(self) -> Result<core::Event, WxfaceError> {
        use core::RequestId as Id;
        Ok(match self {
            Self::Start => core::Event::Start,
            Self::Begin => core::Event::Begin,
            Self::SdkAnswer { id, json } => core::Event::SdkAnswer { id: Id(id), json },
            Self::SdkCallFailed { id, error } => core::Event::SdkCallFailed {
                id: Id(id),
                error: sdk_error_to_core(error),
            },
            Self::Authinfo {
                id,
                authinfo,
                expires_at,
            } => core::Event::Authinfo {
                id: Id(id),
                authinfo,
                expires_at: unix(expires_at)?,
            },
            Self::VerifiedChecked {
                id,
                already_verified,
            } => core::Event::VerifiedChecked {
                id: Id(id),
                already_verified,
            },
            Self::RealName { id, identity } => core::Event::RealName {
                id: Id(id),
                identity: identity.into(),
            },
            Self::BackendFailed { id, error } => core::Event::BackendFailed {
                id: Id(id),
                error: backend_error_to_core(error),
            },
            Self::Cancel => core::Event::Cancel,
            Self::Shutdown => core::Event::Shutdown,
        })
    }
}

/// The flow state machine (thread-safe; calls are serialised).
#[derive(uniffi::Object)]
pub struct Flow {
    inner: Mutex<core::Flow>,
}

impl Flow {
    fn lock(&self) -> MutexGuard<'_, core::Flow> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[uniffi::export]
impl Flow {
    /// A machine in the `uninitialised` state.
    ///
    /// # Errors
    /// `InvalidInput` / `SdkVersion` when the configuration cannot produce
    /// valid SDK requests.
    #[uniffi::constructor]
    pub fn new(config: FlowConfig) -> Result<Self, WxfaceError> {
        Ok(Self {
            inner: Mutex::new(core::Flow::new(config.to_core()?)?),
        })
    }

    /// Feed one event at time `now` (Unix seconds), then drain `pollAction`.
    ///
    /// # Errors
    /// `State` when the event does not fit the current state or carries an
    /// id the machine is not waiting for (the machine is unchanged);
    /// `InvalidInput` for a negative time.
    pub fn handle(&self, now: i64, event: FlowEvent) -> Result<(), WxfaceError> {
        let now = unix(now)?;
        Ok(self.lock().handle(now, event.into_core()?)?)
    }

    /// The next action, or `null` when there is none.
    pub fn poll_action(&self) -> Option<FlowAction> {
        self.lock().poll_action().map(FlowAction::from)
    }

    /// Every pending action, in order.
    pub fn drain_actions(&self) -> Vec<FlowAction> {
        let mut flow = self.lock();
        std::iter::from_fn(|| flow.poll_action())
            .map(FlowAction::from)
            .collect()
    }

    /// Name of the current state (`uninitialised`, `ready`,
    /// `expect_face_code`, …).
    pub fn state_name(&self) -> String {
        self.lock().state_name().to_owned()
    }

    /// The request id the machine waits for, if any.
    pub fn pending(&self) -> Option<u64> {
        self.lock().pending().map(|id| id.0)
    }

    /// Whether a verification is in progress.
    pub fn in_progress(&self) -> bool {
        self.lock().in_progress()
    }

    /// Expiry (Unix seconds) of the cached authinfo, if one is held.
    pub fn authinfo_expires_at(&self) -> Option<i64> {
        self.lock().authinfo_expires_at().map(secs)
    }

    /// Forget the cached authinfo.
    pub fn invalidate_authinfo(&self) {
        self.lock().invalidate_authinfo();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> FlowConfig {
        FlowConfig {
            appid: "wx1".into(),
            mch_id: "1900000109".into(),
            store_id: "S1".into(),
            sdk_version: "1.24".into(),
            sub_appid: None,
            sub_mch_id: None,
            screen_index: None,
            disable_keyboard: false,
            init: None,
            authinfo_margin_secs: 60,
        }
    }

    #[test]
    fn start_emits_init_and_refuses_stray_events() {
        let flow = Flow::new(config()).unwrap_or_else(|e| panic!("{e}"));
        assert!(flow.handle(1_700_000_000, FlowEvent::Begin).is_err());
        assert_eq!(flow.state_name(), "uninitialised");
        flow.handle(1_700_000_000, FlowEvent::Start)
            .unwrap_or_else(|e| panic!("{e}"));
        let actions = flow.drain_actions();
        assert!(matches!(
            actions.as_slice(),
            [
                FlowAction::StepStarted {
                    step: Step::Initialising
                },
                FlowAction::CallSdk {
                    cmd: SdkCmd::Init,
                    ..
                }
            ]
        ));
        let shown = FlowEvent::Authinfo {
            id: 1,
            authinfo: "SECRET".into(),
            expires_at: 1,
        }
        .to_string();
        assert!(!shown.contains("SECRET"));
    }
}
