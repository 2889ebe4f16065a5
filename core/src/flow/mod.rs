//! The kiosk flow as a sans-IO state machine.
//!
//! This is the sequence diagram of the spec as code. The machine owns no I/O:
//! the caller feeds it [`Event`]s with [`Flow::handle`] and then drains
//! [`Action`]s with [`Flow::poll_action`] until it returns `None`:
//!
//! ```text
//! Start ─► initWxpayface ─► Ready ─┬─ Begin ─► (cached authinfo valid?) ─no─► getWxpayfaceRawdata ─► FetchAuthinfo ─┐
//!                                  │                     └──yes──────────────────────────────────────────────────────┤
//!                                  │                                                       getWxpayfaceCode(FACE_AUTH)
//!                                  │                           authinfo expired (271382020)? refresh once ──────────┘
//!                                  │                                   CheckVerified(openid)
//!                                  │            ┌──── not verified ────────┴───── already verified ─────┐
//!                                  │   getWxpayAuth quit="0"                               getWxpayAuth quit="1" (≥ 1.20)
//!                                  │   SUCCESS ─► FetchRealName ─► Done(Verified)          Done(AlreadyVerified)
//!                                  │   refused ─► Done(ConsentRefused)
//!                                  └─ Shutdown ─► releaseWxpayface ─► Released
//! ```
//!
//! ## Order of actions
//!
//! The actions one event produces come in a fixed order:
//!
//! 1. [`Action::StepFinished`] for the step the event ended, if any;
//! 2. [`Action::StepStarted`] for the next step, immediately followed by its
//!    request ([`Action::CallSdk`], [`Action::FetchAuthinfo`],
//!    [`Action::CheckVerified`] or [`Action::FetchRealName`]);
//! 3. or, instead of 2, the end: [`Action::Ready`], [`Action::Done`] or
//!    [`Action::Released`], always last.
//!
//! So every `StepStarted` is followed by exactly one `StepFinished` for the
//! same step before the next `StepStarted`, `Ready`, `Done` or `Released`; a
//! step whose request could not even be built (a [`Outcome::Failed`] with no
//! request sent) has neither. An event that is only recorded (a
//! [`Event::Cancel`] while the face SDK has the screen) produces nothing.
//! A full verified run with SDK 1.24 and no cached authinfo:
//!
//! ```text
//! Begin        → StepStarted(reading_rawdata) CallSdk
//! SdkAnswer    → StepFinished(reading_rawdata, ok) StepStarted(fetching_authinfo) FetchAuthinfo
//! Authinfo     → StepFinished(fetching_authinfo, ok) StepStarted(recognising) CallSdk
//! SdkAnswer    → StepFinished(recognising, ok) StepStarted(checking_verified) CheckVerified
//! VerifiedChecked → StepFinished(checking_verified, ok) StepStarted(asking_consent) CallSdk
//! SdkAnswer    → StepFinished(asking_consent, ok) StepStarted(fetching_real_name) FetchRealName
//! RealName     → StepFinished(fetching_real_name, ok) Done(Verified)
//! ```
//!
//! A step finishes with [`StepStatus::Cancelled`] when the patient's flow
//! ends as [`Outcome::Cancelled`] while it is open, or when a cancel made the
//! flow discard its result (recognition that answered after a cancel; an
//! "already verified?" question abandoned); otherwise with
//! [`StepStatus::Error`] when its request failed or was answered with an
//! error (a refused consent and an expired authinfo included), or when the
//! patient's flow ends as [`Outcome::Failed`] while it is open (the quit
//! sent after a failed "already verified?" check); otherwise with
//! [`StepStatus::Ok`].
//!
//! ## Errors and commands
//!
//! An [`Error::Sdk`] that ends a step names the command of the request it
//! answers: the machine parses SDK answers itself, and stamps `cmd` on the
//! error of an [`Event::SdkCallFailed`] (a driver may leave it empty). Other
//! errors a driver reports are passed on as they are.
//!
//! ## Late answers
//!
//! An SDK bridge that gave up on a `getWxpayfaceCode` call (a timeout) may
//! see it return later with a `face_sid`: the face session it opened must be
//! ended before the next recognition (SDK 1.20+). Feed such an answer as
//! [`Event::LateSdkAnswer`] while [`Action::Ready`] holds: the machine sends
//! `getWxpayAuth` with `quit_face_auth = 1` when one is needed
//! (`StepStarted(quitting)`, `CallSdk`, then `StepFinished(quitting, …)`)
//! and emits [`Action::Ready`] again once it is done (at once when nothing
//! is to be ended).
//!
//! Every request the machine emits carries a [`RequestId`]; the answer must
//! come back with the same id. An event that does not fit the current state
//! (or carries another id) is refused with [`Error::State`] and leaves the
//! machine exactly as it was. Time comes in with each event (`now`): it
//! stamps SDK requests and decides whether the cached authinfo is still good.
//!
//! The kiosk never holds secrets: the merchant server answers authinfo and the
//! real-name result, and the kiosk receives only a [`MaskedIdentity`].

use std::collections::VecDeque;

use crate::error::{named_enum, Error, Result};
use crate::realname::MaskedIdentity;
use crate::sdk::{
    classify_sdk_error, AuthRequest, Cmd, FaceAuthType, FaceCodeRequest, InitRequest,
    SdkErrorClass, SdkReply, SdkRequest, SdkVersion,
};
use crate::time::UnixTime;

#[cfg(test)]
mod tests;

/// Identifies one request the machine emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// What the kiosk is configured with. No secrets: the kiosk holds none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowConfig {
    /// Face SDK version of the terminal (gates request fields).
    pub sdk_version: SdkVersion,
    /// `appid`.
    pub appid: String,
    /// `mch_id`.
    pub mch_id: String,
    /// `sub_appid` (provider mode).
    pub sub_appid: Option<String>,
    /// `sub_mch_id` (provider mode).
    pub sub_mch_id: Option<String>,
    /// `store_id`.
    pub store_id: String,
    /// `screen_index` (1.18+).
    pub screen_index: Option<String>,
    /// `disable_keyboard` (1.23+).
    pub disable_keyboard: bool,
    /// `initWxpayface` settings (proxy, camera rotation).
    pub init: InitRequest,
    /// A cached authinfo is reused only while `now + margin < expires_at`,
    /// and for at most [`MAX_AUTHINFO_REUSE_SECS`](crate::v2::MAX_AUTHINFO_REUSE_SECS)
    /// after it arrived (the merchant server's cap, the same on both sides).
    pub authinfo_margin_secs: u64,
}

impl FlowConfig {
    /// A configuration with the required ids and defaults for the rest
    /// (SDK 1.24, 60 s authinfo margin).
    pub fn new(
        appid: impl Into<String>,
        mch_id: impl Into<String>,
        store_id: impl Into<String>,
    ) -> Self {
        Self {
            sdk_version: SdkVersion::default(),
            appid: appid.into(),
            mch_id: mch_id.into(),
            sub_appid: None,
            sub_mch_id: None,
            store_id: store_id.into(),
            screen_index: None,
            disable_keyboard: false,
            init: InitRequest::default(),
            authinfo_margin_secs: 60,
        }
    }
}

/// A step of the flow, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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

named_enum!(Step, "step", {
    Initialising => "initialising",
    ReadingRawdata => "reading_rawdata",
    FetchingAuthinfo => "fetching_authinfo",
    Recognising => "recognising",
    CheckingVerified => "checking_verified",
    AskingConsent => "asking_consent",
    Quitting => "quitting",
    FetchingRealName => "fetching_real_name",
    Releasing => "releasing",
});

/// How a step ended, in [`Action::StepFinished`]. See the module docs for
/// which status a step gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum StepStatus {
    /// The step's request succeeded.
    Ok,
    /// The step's request failed or was answered with an error (a patient
    /// declining consent ends `asking_consent` this way too, followed by the
    /// `consent_refused` outcome), or the patient's flow failed during it.
    Error,
    /// The verification was cancelled during the step.
    Cancelled,
}

named_enum!(StepStatus, "step_status", {
    Ok => "ok",
    Error => "error",
    Cancelled => "cancelled",
});

/// Who the face SDK recognised. `Debug` prints every field redacted
/// (`"[redacted, 40 chars]"`).
#[derive(Clone, PartialEq, Eq)]
pub struct Recognised {
    /// `face_sid`: the identity query credential.
    pub face_sid: String,
    /// `openid`, when the SDK returned one.
    pub openid: Option<String>,
    /// `sub_openid`, when the SDK returned one.
    pub sub_openid: Option<String>,
}

/// How one patient's flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Consent given, identity fetched and verified by the merchant server.
    Verified {
        /// Who.
        who: Recognised,
        /// The identity, masked (the full values stay on the hospital system).
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
    /// Something failed; `error` says what (no personal data).
    Failed {
        /// The step that failed.
        step: Step,
        /// The error.
        error: Error,
    },
}

impl Outcome {
    /// Stable snake_case name of the outcome ([`OutcomeKind::as_str`] of
    /// [`Outcome::kind`]).
    pub fn as_str(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Which outcome this is, without its data.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Self::Verified { .. } => OutcomeKind::Verified,
            Self::AlreadyVerified { .. } => OutcomeKind::AlreadyVerified,
            Self::ConsentRefused { .. } => OutcomeKind::ConsentRefused,
            Self::Cancelled => OutcomeKind::Cancelled,
            Self::Failed { .. } => OutcomeKind::Failed,
        }
    }
}

/// The name of an [`Outcome`], without its data (for logs, UIs and
/// parsing a name back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    /// [`Outcome::Verified`].
    Verified,
    /// [`Outcome::AlreadyVerified`].
    AlreadyVerified,
    /// [`Outcome::ConsentRefused`].
    ConsentRefused,
    /// [`Outcome::Cancelled`].
    Cancelled,
    /// [`Outcome::Failed`].
    Failed,
}

named_enum!(
    /// Stable snake_case name, the same as [`Outcome::as_str`]: `verified`,
    /// `already_verified`, `consent_refused`, `cancelled`, `failed`.
    OutcomeKind, "outcome", {
        Verified => "verified",
        AlreadyVerified => "already_verified",
        ConsentRefused => "consent_refused",
        Cancelled => "cancelled",
        Failed => "failed",
    }
);

/// What the machine asks its driver to do. `Debug` prints the lengths of the
/// SDK request JSON and `rawdata` and redacts `face_sid`.
#[derive(Clone, PartialEq, Eq)]
pub enum Action {
    /// A step starts (for progress displays).
    StepStarted(Step),
    /// The step of the last [`Action::StepStarted`] ended (for progress
    /// displays). Comes before the next `StepStarted`, `Ready`, `Done` or
    /// `Released`; see the module docs for the order and the status.
    StepFinished {
        /// The step.
        step: Step,
        /// How it ended.
        status: StepStatus,
        /// What ended it, when something failed: the error its request was
        /// answered with (an [`Error::Sdk`] naming the command; a refused
        /// consent, `USER_CANCEL` and an expired authinfo are SDK errors too,
        /// see [`classify_sdk_error`]), or, for a step open when the
        /// patient's flow failed, the failure of the outcome. `None` when
        /// the step succeeded or was cancelled without an answer.
        error: Option<Error>,
    },
    /// Send `json` to the face SDK; feed the answer back as [`Event::SdkAnswer`]
    /// (or [`Event::SdkCallFailed`]) with the same `id`.
    CallSdk {
        /// Request id.
        id: RequestId,
        /// The command.
        cmd: Cmd,
        /// The exact request JSON.
        json: String,
    },
    /// Ask the merchant server for authinfo for this `rawdata`; answer with
    /// [`Event::Authinfo`] or [`Event::BackendFailed`].
    FetchAuthinfo {
        /// Request id.
        id: RequestId,
        /// `rawdata` from the SDK.
        rawdata: String,
        /// `true` when the SDK reported the previous authinfo invalid or
        /// expired (271382020): the merchant server must not answer from its
        /// cache.
        refresh: bool,
    },
    /// Ask the merchant whether this user is already verified; answer with
    /// [`Event::VerifiedChecked`] (or [`Event::BackendFailed`]).
    CheckVerified {
        /// Request id.
        id: RequestId,
        /// Who was recognised.
        who: Recognised,
    },
    /// Ask the merchant server for the real-name result of `face_sid`; answer
    /// with [`Event::RealName`] or [`Event::BackendFailed`].
    FetchRealName {
        /// Request id.
        id: RequestId,
        /// The query credential.
        face_sid: String,
    },
    /// The SDK is initialised; [`Event::Begin`] may start a patient's flow.
    Ready,
    /// A patient's flow is over; the machine is ready for the next.
    Done(Outcome),
    /// The SDK was released; the machine accepts nothing more.
    Released {
        /// Why `releaseWxpayface` failed (its error answer, or the failed
        /// call); `None` when it answered `SUCCESS`. Released either way.
        error: Option<Error>,
    },
}

/// What the driver tells the machine. `Debug` prints the lengths of the SDK
/// answer JSON and the authinfo, not their content.
#[derive(Clone, PartialEq, Eq)]
pub enum Event {
    /// Program start: initialise the SDK.
    Start,
    /// A patient is ready: start a verification.
    Begin,
    /// The SDK answered request `id`.
    SdkAnswer {
        /// Request id.
        id: RequestId,
        /// The answer JSON as received.
        json: String,
    },
    /// The SDK call itself failed (library call returned non-zero, timeout).
    SdkCallFailed {
        /// Request id.
        id: RequestId,
        /// The error.
        error: Error,
    },
    /// The merchant server returned authinfo.
    Authinfo {
        /// Request id.
        id: RequestId,
        /// The authinfo.
        authinfo: String,
        /// Its absolute expiry.
        expires_at: UnixTime,
    },
    /// The merchant answered "is this user already verified?".
    VerifiedChecked {
        /// Request id.
        id: RequestId,
        /// `true`: skip consent and quit the SDK.
        already_verified: bool,
    },
    /// The merchant server returned the (masked) real-name result.
    RealName {
        /// Request id.
        id: RequestId,
        /// The masked identity.
        identity: MaskedIdentity,
    },
    /// A merchant-server request failed.
    BackendFailed {
        /// Request id.
        id: RequestId,
        /// The error.
        error: Error,
    },
    /// The kiosk cancels the current patient's flow (button, timeout).
    Cancel,
    /// A call the driver's SDK bridge gave up on (a timeout) has returned
    /// since: its request and answer JSON. Accepted while ready; the machine
    /// ends the face session it opened, if any (see the module docs).
    LateSdkAnswer {
        /// The request JSON of the call.
        request: String,
        /// The answer JSON it got.
        json: String,
    },
    /// Program exit: release the SDK.
    Shutdown,
}

impl std::fmt::Debug for Recognised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::redact::{redacted_opt, Redacted};
        f.debug_struct("Recognised")
            .field("face_sid", &Redacted(&self.face_sid))
            .field("openid", &redacted_opt(&self.openid))
            .field("sub_openid", &redacted_opt(&self.sub_openid))
            .finish()
    }
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::StepStarted(s) => f.debug_tuple("StepStarted").field(s).finish(),
            Self::StepFinished {
                step,
                status,
                error,
            } => f
                .debug_struct("StepFinished")
                .field("step", step)
                .field("status", status)
                .field("error", error)
                .finish(),
            Self::CallSdk { id, cmd, json } => f
                .debug_struct("CallSdk")
                .field("id", id)
                .field("cmd", cmd)
                .field("json_len", &json.len())
                .finish(),
            Self::FetchAuthinfo {
                id,
                rawdata,
                refresh,
            } => f
                .debug_struct("FetchAuthinfo")
                .field("id", id)
                .field("rawdata_len", &rawdata.len())
                .field("refresh", refresh)
                .finish(),
            Self::CheckVerified { id, who } => f
                .debug_struct("CheckVerified")
                .field("id", id)
                .field("who", who)
                .finish(),
            Self::FetchRealName { id, face_sid } => f
                .debug_struct("FetchRealName")
                .field("id", id)
                .field("face_sid", &crate::redact::Redacted(face_sid))
                .finish(),
            Self::Ready => f.write_str("Ready"),
            Self::Done(o) => f.debug_tuple("Done").field(o).finish(),
            Self::Released { error } => f.debug_struct("Released").field("error", error).finish(),
        }
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Start => f.write_str("Start"),
            Self::Begin => f.write_str("Begin"),
            Self::SdkAnswer { id, json } => f
                .debug_struct("SdkAnswer")
                .field("id", id)
                .field("json_len", &json.len())
                .finish(),
            Self::SdkCallFailed { id, error } => f
                .debug_struct("SdkCallFailed")
                .field("id", id)
                .field("error", error)
                .finish(),
            Self::Authinfo {
                id,
                authinfo,
                expires_at,
            } => f
                .debug_struct("Authinfo")
                .field("id", id)
                .field("authinfo_len", &authinfo.len())
                .field("expires_at", expires_at)
                .finish(),
            Self::VerifiedChecked {
                id,
                already_verified,
            } => f
                .debug_struct("VerifiedChecked")
                .field("id", id)
                .field("already_verified", already_verified)
                .finish(),
            Self::RealName { id, identity } => f
                .debug_struct("RealName")
                .field("id", id)
                .field("identity", identity)
                .finish(),
            Self::BackendFailed { id, error } => f
                .debug_struct("BackendFailed")
                .field("id", id)
                .field("error", error)
                .finish(),
            Self::Cancel => f.write_str("Cancel"),
            Self::LateSdkAnswer { request, json } => f
                .debug_struct("LateSdkAnswer")
                .field("request_len", &request.len())
                .field("json_len", &json.len())
                .finish(),
            Self::Shutdown => f.write_str("Shutdown"),
        }
    }
}

impl Event {
    /// Stable name, used in state errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Begin => "begin",
            Self::SdkAnswer { .. } => "sdk_answer",
            Self::SdkCallFailed { .. } => "sdk_call_failed",
            Self::Authinfo { .. } => "authinfo",
            Self::VerifiedChecked { .. } => "verified_checked",
            Self::RealName { .. } => "real_name",
            Self::BackendFailed { .. } => "backend_failed",
            Self::Cancel => "cancel",
            Self::LateSdkAnswer { .. } => "late_sdk_answer",
            Self::Shutdown => "shutdown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Uninitialised,
    ExpectInit {
        id: RequestId,
    },
    Ready,
    ExpectRawdata {
        id: RequestId,
        refreshed: bool,
        cancel: bool,
    },
    ExpectAuthinfo {
        id: RequestId,
        refreshed: bool,
    },
    ExpectFaceCode {
        id: RequestId,
        authinfo: String,
        refreshed: bool,
        cancel: bool,
    },
    ExpectVerifiedCheck {
        id: RequestId,
        who: Recognised,
        authinfo: String,
    },
    ExpectConsent {
        id: RequestId,
        who: Recognised,
        cancel: bool,
    },
    ExpectQuit {
        id: RequestId,
        who: Recognised,
        then: AfterQuit,
    },
    ExpectRealName {
        id: RequestId,
        who: Recognised,
    },
    ExpectRelease {
        id: RequestId,
    },
    /// Ending the face session of a late recognition answer.
    ExpectLateQuit {
        id: RequestId,
    },
    Released,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AfterQuit {
    AlreadyVerified,
    Cancelled,
    Failed(Step, Error),
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            Self::Uninitialised => "uninitialised",
            Self::ExpectInit { .. } => "expect_init",
            Self::Ready => "ready",
            Self::ExpectRawdata { .. } => "expect_rawdata",
            Self::ExpectAuthinfo { .. } => "expect_authinfo",
            Self::ExpectFaceCode { .. } => "expect_face_code",
            Self::ExpectVerifiedCheck { .. } => "expect_verified_check",
            Self::ExpectConsent { .. } => "expect_consent",
            Self::ExpectQuit { .. } => "expect_quit",
            Self::ExpectRealName { .. } => "expect_real_name",
            Self::ExpectRelease { .. } => "expect_release",
            Self::ExpectLateQuit { .. } => "expect_late_quit",
            Self::Released => "released",
        }
    }

    /// The command of the SDK request the state waits for.
    fn sdk_cmd(&self) -> Option<Cmd> {
        match self {
            Self::ExpectInit { .. } => Some(Cmd::Init),
            Self::ExpectRawdata { .. } => Some(Cmd::GetRawdata),
            Self::ExpectFaceCode { .. } => Some(Cmd::GetFaceCode),
            Self::ExpectConsent { .. } | Self::ExpectQuit { .. } | Self::ExpectLateQuit { .. } => {
                Some(Cmd::GetAuth)
            }
            Self::ExpectRelease { .. } => Some(Cmd::Release),
            _ => None,
        }
    }

    fn pending(&self) -> Option<RequestId> {
        match self {
            Self::ExpectInit { id }
            | Self::ExpectRawdata { id, .. }
            | Self::ExpectAuthinfo { id, .. }
            | Self::ExpectFaceCode { id, .. }
            | Self::ExpectVerifiedCheck { id, .. }
            | Self::ExpectConsent { id, .. }
            | Self::ExpectQuit { id, .. }
            | Self::ExpectRealName { id, .. }
            | Self::ExpectRelease { id }
            | Self::ExpectLateQuit { id } => Some(*id),
            Self::Uninitialised | Self::Ready | Self::Released => None,
        }
    }
}

/// The flow state machine. See the module docs.
#[derive(Debug)]
pub struct Flow {
    cfg: FlowConfig,
    state: State,
    next_id: u64,
    /// The authinfo, its expiry, and until when it is reused.
    cached_authinfo: Option<(String, UnixTime, UnixTime)>,
    /// The step started last and not finished yet.
    open: Option<OpenStep>,
    out: VecDeque<Action>,
}

/// A step between its `StepStarted` and its `StepFinished`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OpenStep {
    step: Step,
    /// The error its request was answered with, once answered so.
    error: Option<Error>,
}

mod machine;

impl Flow {
    /// A machine in the uninitialised state.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] / [`Error::SdkVersion`] when the configuration
    /// cannot produce valid SDK requests (checked once, up front).
    pub fn new(cfg: FlowConfig) -> Result<Self> {
        SdkRequest::Init(cfg.init.clone()).validate(cfg.sdk_version)?;
        let probe = FaceCodeRequest {
            appid: cfg.appid.clone(),
            mch_id: cfg.mch_id.clone(),
            sub_appid: cfg.sub_appid.clone(),
            sub_mch_id: cfg.sub_mch_id.clone(),
            store_id: cfg.store_id.clone(),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo: "probe".into(),
            screen_index: cfg.screen_index.clone(),
            disable_keyboard: cfg.disable_keyboard,
            ..FaceCodeRequest::default()
        };
        SdkRequest::GetFaceCode(probe).validate(cfg.sdk_version)?;
        SdkRequest::GetAuth(AuthRequest {
            authinfo: "probe".into(),
            face_sid: "probe".into(),
            quit: false,
        })
        .validate(cfg.sdk_version)?;
        Ok(Self {
            cfg,
            state: State::Uninitialised,
            next_id: 0,
            cached_authinfo: None,
            open: None,
            out: VecDeque::new(),
        })
    }

    /// Name of the current state (for logs and UIs).
    pub fn state_name(&self) -> &'static str {
        self.state.name()
    }

    /// The request the machine is waiting on, if any.
    pub fn pending(&self) -> Option<RequestId> {
        self.state.pending()
    }

    /// Whether a patient's flow is in progress.
    pub fn in_progress(&self) -> bool {
        !matches!(
            self.state,
            State::Uninitialised
                | State::Ready
                | State::Released
                | State::ExpectInit { .. }
                | State::ExpectRelease { .. }
                | State::ExpectLateQuit { .. }
        )
    }

    /// Expiry of the cached authinfo, if one is held.
    pub fn authinfo_expires_at(&self) -> Option<UnixTime> {
        self.cached_authinfo.as_ref().map(|(_, t, _)| *t)
    }

    /// Forget the cached authinfo (e.g. the merchant changed store).
    pub fn invalidate_authinfo(&mut self) {
        self.cached_authinfo = None;
    }

    /// The next action, if any. Drain until `None` after each [`Flow::handle`].
    pub fn poll_action(&mut self) -> Option<Action> {
        self.out.pop_front()
    }

    /// Feed one event at time `now`.
    ///
    /// The error of an [`Event::SdkCallFailed`] that is an [`Error::Sdk`]
    /// gets the command of the pending request as its `cmd`.
    ///
    /// # Errors
    /// [`Error::State`] when the event does not fit the current state or
    /// carries an id the machine is not waiting for; the machine is unchanged.
    pub fn handle(&mut self, now: UnixTime, mut event: Event) -> Result<()> {
        let refused = Error::State {
            state: self.state.name(),
            event: event.name(),
        };
        // Ids must match the pending request.
        let id = match &event {
            Event::SdkAnswer { id, .. }
            | Event::SdkCallFailed { id, .. }
            | Event::Authinfo { id, .. }
            | Event::VerifiedChecked { id, .. }
            | Event::RealName { id, .. }
            | Event::BackendFailed { id, .. } => Some(*id),
            _ => None,
        };
        if id.is_some() && id != self.state.pending() {
            return Err(refused);
        }
        if let (
            Event::SdkCallFailed {
                error: Error::Sdk { cmd, .. },
                ..
            },
            Some(pending),
        ) = (&mut event, self.state.sdk_cmd())
        {
            pending.as_str().clone_into(cmd);
        }
        let before = (self.state.clone(), self.open.clone(), self.out.len());
        if let Event::SdkCallFailed { error, .. } | Event::BackendFailed { error, .. } = &event {
            self.answered_with(error);
        }
        match self.step(now, event) {
            Some(next) => {
                self.state = next;
                Ok(())
            }
            None => {
                (self.state, self.open) = (before.0, before.1);
                self.out.truncate(before.2);
                Err(refused)
            }
        }
    }
}
