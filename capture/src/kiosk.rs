//! The kiosk driver: the core's [`Flow`] run against a [`FaceSdk`] and a
//! [`MerchantBackend`], with a blocking API.
//!
//! ```text
//! Kiosk::new(..) ─► start() ─► verify(hooks) ─► verify(hooks) … ─► shutdown()
//!                   initWxpayface   one patient each                releaseWxpayface
//! ```
//!
//! Every method blocks until its part of the flow is over (a patient's
//! verification can take a minute: the patient looks at the camera and
//! reads the consent screen). Bindings call them from a worker thread, off
//! their event loop. One verification runs at a time; a second `verify`
//! waits for the first to end.
//!
//! A verification can be cancelled from any thread with a [`CancelHandle`]
//! (passed in [`VerifyHooks`], or [`Kiosk::cancel_current`]). A cancel while
//! the merchant server is being asked takes effect at once; a cancel while the
//! face SDK has the screen takes effect when the SDK returns (the vendor API
//! has no way to interrupt it), and the SDK is then told to quit as the
//! protocol requires.
//!
//! The authinfo from the merchant server is cached by the flow and reused for
//! later patients until shortly before it expires; an authinfo the SDK reports
//! as expired is refreshed once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use std::{fmt, panic, thread};

use wxface_core::flow::{Action, Event, Flow, FlowConfig, Outcome, Recognised, RequestId, Step};
use wxface_core::sdk::{classify_sdk_error, SdkErrorClass};
use wxface_core::time::Clock;
use wxface_core::{Error, UnixTime};

use crate::{FaceSdk, MerchantBackend};

/// Longest `device_id` the protocol allows.
const MAX_DEVICE_ID: usize = 32;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here leaves its data consistent, so a panic
    // elsewhere while holding a lock does not make the data unusable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Something that can wake a waiting verification.
enum Wake {
    /// The answer to the pending request.
    Answer(Event),
    /// A cancel was requested.
    Cancel,
}

struct CancelInner {
    cancelled: AtomicBool,
    waker: Mutex<Option<Sender<Wake>>>,
}

/// Cancels a verification from any thread. Clones share one flag.
///
/// A handle that was cancelled before [`Kiosk::verify`] starts makes that
/// verification end at once as [`Outcome::Cancelled`], without touching the
/// SDK. Use a fresh handle per patient.
#[derive(Clone)]
pub struct CancelHandle {
    inner: Arc<CancelInner>,
}

impl Default for CancelHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CancelHandle {
    /// A handle that is not cancelled.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(CancelInner {
                cancelled: AtomicBool::new(false),
                waker: Mutex::new(None),
            }),
        }
    }

    /// Request cancellation. Idempotent; never blocks on the verification.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        if let Some(tx) = lock(&self.inner.waker).as_ref() {
            // The verification may have just finished: nothing to wake then.
            let _ = tx.send(Wake::Cancel);
        }
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    fn arm(&self, tx: Sender<Wake>) {
        *lock(&self.inner.waker) = Some(tx);
    }

    fn disarm(&self) {
        *lock(&self.inner.waker) = None;
    }
}

/// How a step ended, in [`ProgressEvent::StepFinished`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepStatus {
    /// The step's call succeeded.
    Ok,
    /// The SDK or the merchant server answered an error, or the call failed.
    /// A patient declining consent ends `asking_consent` this way too (the SDK
    /// answers it as an error), followed by the `consent_refused` outcome.
    Error,
    /// The verification was cancelled during the step.
    Cancelled,
}

impl StepStatus {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Progress of one verification, for kiosk screens and logs. Carries no
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A step started.
    StepStarted {
        /// The step.
        step: Step,
    },
    /// A step ended.
    StepFinished {
        /// The step.
        step: Step,
        /// How.
        status: StepStatus,
        /// How long it took.
        elapsed: Duration,
    },
    /// A cancel request reached the flow.
    CancelRequested,
    /// The verification is over; [`Kiosk::verify`] returns next.
    Finished {
        /// [`Outcome::as_str`] of the outcome.
        outcome: &'static str,
        /// How long the whole verification took.
        elapsed: Duration,
    },
}

type VerifiedCheck<'a> = dyn FnMut(&Recognised) -> Result<bool, Error> + 'a;
type ProgressSink<'a> = dyn FnMut(&ProgressEvent) + 'a;

/// What a caller plugs into one [`Kiosk::verify`]. All optional.
///
/// The callbacks run on the thread that called `verify`.
#[derive(Default)]
pub struct VerifyHooks<'a> {
    is_already_verified: Option<Box<VerifiedCheck<'a>>>,
    on_progress: Option<Box<ProgressSink<'a>>>,
    cancel: Option<CancelHandle>,
}

impl fmt::Debug for VerifyHooks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyHooks")
            .field("is_already_verified", &self.is_already_verified.is_some())
            .field("on_progress", &self.on_progress.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl<'a> VerifyHooks<'a> {
    /// No hooks: the backend decides "already verified?", no progress, no cancel.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decide "is this user already verified?" here instead of asking
    /// [`MerchantBackend::is_verified`]. An `Err` ends the verification as
    /// failed in `checking_verified` (after the SDK was told to quit).
    pub fn is_already_verified(
        mut self,
        f: impl FnMut(&Recognised) -> Result<bool, Error> + 'a,
    ) -> Self {
        self.is_already_verified = Some(Box::new(f));
        self
    }

    /// Receive [`ProgressEvent`]s.
    pub fn on_progress(mut self, f: impl FnMut(&ProgressEvent) + 'a) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Cancel through `handle` (keep a clone to call [`CancelHandle::cancel`]).
    pub fn cancel_handle(mut self, handle: CancelHandle) -> Self {
        self.cancel = Some(handle);
        self
    }
}

/// How [`Kiosk::start`] retries an SDK that is still starting up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitRetry {
    /// Further attempts after the first.
    pub attempts: u32,
    /// Pause between attempts.
    pub delay: Duration,
}

impl Default for InitRetry {
    /// 10 more attempts, 500 ms apart (the SDK's advice for "initialising").
    fn default() -> Self {
        Self {
            attempts: 10,
            delay: Duration::from_millis(500),
        }
    }
}

/// The kiosk: one face SDK, one merchant server, one patient at a time.
pub struct Kiosk {
    flow: Mutex<Flow>,
    device_id: String,
    sdk: Arc<dyn FaceSdk>,
    backend: Arc<dyn MerchantBackend>,
    clock: Arc<dyn Clock>,
    current: Mutex<Option<CancelHandle>>,
    init_retry: InitRetry,
}

impl fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kiosk")
            .field("device_id", &self.device_id)
            .field("state", &self.state_name())
            .finish_non_exhaustive()
    }
}

impl Kiosk {
    /// A kiosk for `device_id` (the `device_id` its merchant server sends to
    /// WeChat Pay, ≤ 32 characters). Call [`Kiosk::start`] next.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an empty or too long `device_id`; the
    /// errors of [`Flow::new`] for a configuration the SDK version cannot
    /// serve.
    pub fn new(
        config: FlowConfig,
        device_id: impl Into<String>,
        sdk: Arc<dyn FaceSdk>,
        backend: Arc<dyn MerchantBackend>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let device_id = device_id.into();
        if device_id.is_empty() || device_id.chars().count() > MAX_DEVICE_ID {
            return Err(Error::InvalidInput {
                field: "device_id".into(),
                reason: "must be 1 to 32 characters".into(),
            });
        }
        Ok(Self {
            flow: Mutex::new(Flow::new(config)?),
            device_id,
            sdk,
            backend,
            clock,
            current: Mutex::new(None),
            init_retry: InitRetry::default(),
        })
    }

    /// Replace the retry policy of [`Kiosk::start`].
    pub fn with_init_retry(mut self, retry: InitRetry) -> Self {
        self.init_retry = retry;
        self
    }

    /// The device id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Name of the flow's state (`uninitialised`, `ready`, `released`, or the
    /// request a verification waits for). Waits while a call is in progress.
    pub fn state_name(&self) -> &'static str {
        lock(&self.flow).state_name()
    }

    /// Expiry of the cached authinfo, if one is held.
    pub fn authinfo_expires_at(&self) -> Option<UnixTime> {
        lock(&self.flow).authinfo_expires_at()
    }

    /// Forget the cached authinfo (for example after a store change).
    pub fn invalidate_authinfo(&self) {
        lock(&self.flow).invalidate_authinfo();
    }

    /// Cancel the verification in progress, if any. Returns whether there was
    /// one. Never blocks on it.
    pub fn cancel_current(&self) -> bool {
        match lock(&self.current).as_ref() {
            Some(h) => {
                h.cancel();
                true
            }
            None => false,
        }
    }

    /// Initialise the SDK (`initWxpayface`). An SDK that answers "still
    /// initialising" (err_code 271378621) is asked again per [`InitRetry`].
    ///
    /// # Errors
    /// The SDK's error (`SYSTEMERROR` usually means WxpayFaceService is not
    /// running) or call failure; [`Error::State`] when already started or
    /// shut down.
    pub fn start(&self) -> Result<(), Error> {
        let mut flow = lock(&self.flow);
        let mut attempt = 0;
        loop {
            flow.handle(self.clock.now(), Event::Start)?;
            match self.run_simple(&mut flow) {
                Ok(()) => {
                    tracing::info!(device_id = %self.device_id, "face SDK initialised");
                    return Ok(());
                }
                Err(e)
                    if attempt < self.init_retry.attempts
                        && classify_sdk_error(&e) == Some(SdkErrorClass::Initialising) =>
                {
                    attempt += 1;
                    tracing::debug!(attempt, "face SDK still initialising");
                    thread::sleep(self.init_retry.delay);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Release the SDK (`releaseWxpayface`). Cancels a verification in
    /// progress first and waits for it to end. The kiosk accepts nothing
    /// afterwards.
    ///
    /// # Errors
    /// [`Error::State`] when not started (or already shut down). When the
    /// release call itself fails, the kiosk is released all the same and the
    /// error is returned for the log.
    pub fn shutdown(&self) -> Result<(), Error> {
        self.cancel_current();
        let mut flow = lock(&self.flow);
        flow.handle(self.clock.now(), Event::Shutdown)?;
        let result = self.run_simple(&mut flow);
        tracing::info!(device_id = %self.device_id, ok = result.is_ok(), "face SDK released");
        result
    }

    /// Drive the flow through `start` or `shutdown`: SDK calls only, inline.
    /// `Ok` on `Ready`/`Released` (the latter only when the release answered
    /// `SUCCESS`), the failure otherwise.
    fn run_simple(&self, flow: &mut Flow) -> Result<(), Error> {
        let mut release_error = None;
        loop {
            let Some(action) = flow.poll_action() else {
                return Err(Error::State {
                    state: flow.state_name(),
                    event: "poll",
                });
            };
            match action {
                Action::CallSdk { id, cmd, json } => {
                    let event = sdk_event(self.sdk.as_ref(), id, &json);
                    if cmd == wxface_core::sdk::Cmd::Release {
                        release_error = match &event {
                            Event::SdkCallFailed { error, .. } => Some(error.clone()),
                            Event::SdkAnswer { json, .. } => {
                                wxface_core::sdk::SdkReply::parse(cmd, json.as_bytes()).err()
                            }
                            _ => None,
                        };
                    }
                    flow.handle(self.clock.now(), event)?;
                }
                Action::Ready => return Ok(()),
                Action::Released => return release_error.map_or(Ok(()), Err),
                Action::Done(Outcome::Failed { error, .. }) => return Err(error),
                Action::Done(_) | Action::StepStarted(_) => {}
                Action::FetchAuthinfo { .. }
                | Action::CheckVerified { .. }
                | Action::FetchRealName { .. } => {
                    return Err(Error::State {
                        state: flow.state_name(),
                        event: "start",
                    })
                }
            }
        }
    }

    /// Verify one patient: rawdata → authinfo (cached) → recognition →
    /// "already verified?" → consent or quit → masked real-name result.
    ///
    /// Never panics and never returns early with an error: every way it can
    /// end is an [`Outcome`]. A kiosk that was not started, or was shut down,
    /// gives `Outcome::Failed` with step `initialising` and an
    /// [`Error::State`].
    pub fn verify(&self, hooks: VerifyHooks<'_>) -> Outcome {
        let started = Instant::now();
        let VerifyHooks {
            is_already_verified,
            on_progress,
            cancel,
        } = hooks;
        let cancel = cancel.unwrap_or_default();
        let mut flow = lock(&self.flow);
        let _current = CurrentGuard::set(&self.current, cancel.clone());
        let mut run = Run {
            kiosk: self,
            flow: &mut flow,
            is_already_verified,
            on_progress,
            cancel,
            open: None,
            cancel_fed: false,
        };
        let outcome = run.drive();
        run.cancel.disarm();
        run.emit(&ProgressEvent::Finished {
            outcome: outcome.as_str(),
            elapsed: started.elapsed(),
        });
        tracing::info!(
            device_id = %self.device_id,
            outcome = outcome.as_str(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "verification finished"
        );
        outcome
    }
}

/// Publishes the running verification's cancel handle for
/// [`Kiosk::cancel_current`], and withdraws it however `verify` ends.
struct CurrentGuard<'a>(&'a Mutex<Option<CancelHandle>>);

impl<'a> CurrentGuard<'a> {
    fn set(slot: &'a Mutex<Option<CancelHandle>>, handle: CancelHandle) -> Self {
        *lock(slot) = Some(handle);
        Self(slot)
    }
}

impl Drop for CurrentGuard<'_> {
    fn drop(&mut self) {
        *lock(self.0) = None;
    }
}

/// The step being worked on.
struct OpenStep {
    step: Step,
    since: Instant,
    /// Whether its call answered without error (`None`: no answer yet).
    io_ok: Option<bool>,
}

/// The request being waited for.
struct Job {
    id: RequestId,
    rx: Receiver<Wake>,
}

/// One verification in progress.
struct Run<'k, 'h> {
    kiosk: &'k Kiosk,
    flow: &'k mut Flow,
    is_already_verified: Option<Box<VerifiedCheck<'h>>>,
    on_progress: Option<Box<ProgressSink<'h>>>,
    cancel: CancelHandle,
    open: Option<OpenStep>,
    cancel_fed: bool,
}

impl Run<'_, '_> {
    fn emit(&mut self, event: &ProgressEvent) {
        if let Some(f) = self.on_progress.as_mut() {
            f(event);
        }
    }

    fn close_step(&mut self, status: Option<StepStatus>) {
        if let Some(open) = self.open.take() {
            let status = status.unwrap_or(match open.io_ok {
                Some(false) => StepStatus::Error,
                _ => StepStatus::Ok,
            });
            self.emit(&ProgressEvent::StepFinished {
                step: open.step,
                status,
                elapsed: open.since.elapsed(),
            });
        }
    }

    fn open_step(&mut self, step: Step) {
        self.close_step(None);
        tracing::debug!(step = step.as_str(), "step started");
        self.open = Some(OpenStep {
            step,
            since: Instant::now(),
            io_ok: None,
        });
        self.emit(&ProgressEvent::StepStarted { step });
    }

    fn current_step(&self) -> Step {
        self.open.as_ref().map_or(Step::Initialising, |o| o.step)
    }

    /// Feed one event; a refusal (which a correct driver never sees) ends the
    /// verification as failed.
    fn feed(&mut self, event: Event) -> Result<(), Box<Outcome>> {
        self.flow
            .handle(self.kiosk.clock.now(), event)
            .map_err(|error| {
                Box::new(Outcome::Failed {
                    step: self.current_step(),
                    error,
                })
            })
    }

    fn feed_cancel(&mut self) -> Result<(), Box<Outcome>> {
        if self.cancel_fed {
            return Ok(());
        }
        self.cancel_fed = true;
        self.emit(&ProgressEvent::CancelRequested);
        tracing::debug!(state = self.flow.state_name(), "cancel requested");
        self.feed(Event::Cancel)
    }

    fn drive(&mut self) -> Outcome {
        match self.drive_inner() {
            Ok(o) => o,
            Err(o) => *o,
        }
    }

    fn drive_inner(&mut self) -> Result<Outcome, Box<Outcome>> {
        if self.cancel.is_cancelled() {
            return Ok(Outcome::Cancelled);
        }
        self.flow
            .handle(self.kiosk.clock.now(), Event::Begin)
            .map_err(|error| {
                Box::new(Outcome::Failed {
                    step: Step::Initialising,
                    error,
                })
            })?;
        let mut job: Option<Job> = None;
        loop {
            while let Some(action) = self.flow.poll_action() {
                match action {
                    Action::StepStarted(step) => self.open_step(step),
                    Action::Done(outcome) => {
                        let status = match &outcome {
                            Outcome::Cancelled => Some(StepStatus::Cancelled),
                            Outcome::Failed { .. } => Some(StepStatus::Error),
                            _ => None,
                        };
                        self.close_step(status);
                        return Ok(outcome);
                    }
                    Action::Ready | Action::Released => {}
                    Action::CallSdk { id, json, .. } => {
                        let sdk = Arc::clone(&self.kiosk.sdk);
                        job = Some(self.start_job(id, move || sdk_event(sdk.as_ref(), id, &json)));
                    }
                    Action::FetchAuthinfo { id, rawdata } => {
                        let backend = Arc::clone(&self.kiosk.backend);
                        let device_id = self.kiosk.device_id.clone();
                        job = Some(self.start_job(id, move || {
                            match backend.authinfo(&rawdata, &device_id) {
                                Ok(g) => Event::Authinfo {
                                    id,
                                    authinfo: g.authinfo,
                                    expires_at: g.expires_at,
                                },
                                Err(error) => Event::BackendFailed { id, error },
                            }
                        }));
                    }
                    Action::CheckVerified { id, who } => {
                        job = Some(match self.is_already_verified.as_mut() {
                            Some(check) => {
                                let event = match check(&who) {
                                    Ok(already_verified) => Event::VerifiedChecked {
                                        id,
                                        already_verified,
                                    },
                                    Err(error) => Event::BackendFailed { id, error },
                                };
                                self.ready_job(id, event)
                            }
                            None => {
                                let backend = Arc::clone(&self.kiosk.backend);
                                self.start_job(id, move || match backend.is_verified(&who) {
                                    Ok(already_verified) => Event::VerifiedChecked {
                                        id,
                                        already_verified,
                                    },
                                    Err(error) => Event::BackendFailed { id, error },
                                })
                            }
                        });
                    }
                    Action::FetchRealName { id, face_sid } => {
                        let backend = Arc::clone(&self.kiosk.backend);
                        let device_id = self.kiosk.device_id.clone();
                        job = Some(self.start_job(id, move || {
                            match backend.real_name(&face_sid, &device_id) {
                                Ok(identity) => Event::RealName { id, identity },
                                Err(error) => Event::BackendFailed { id, error },
                            }
                        }));
                    }
                }
            }

            // The flow now waits for exactly one answer.
            let Some(current) = job.as_ref() else {
                return Err(Box::new(Outcome::Failed {
                    step: self.current_step(),
                    error: Error::State {
                        state: self.flow.state_name(),
                        event: "poll",
                    },
                }));
            };
            let id = current.id;
            if self.cancel.is_cancelled() && !self.cancel_fed {
                self.feed_cancel()?;
                if self.flow.pending() != Some(id) {
                    job = None;
                }
                continue;
            }
            match current.rx.recv() {
                Ok(Wake::Answer(event)) => {
                    job = None;
                    if let Some(open) = self.open.as_mut() {
                        open.io_ok = Some(answer_ok(&event));
                    }
                    if self.cancel.is_cancelled() {
                        // Let the flow know before it acts on the answer.
                        self.feed_cancel()?;
                    }
                    if self.flow.pending() == Some(id) {
                        self.feed(event)?;
                    }
                }
                Ok(Wake::Cancel) => {
                    self.feed_cancel()?;
                    if self.flow.pending() != Some(id) {
                        // The flow moved on (e.g. a merchant request was
                        // abandoned); the worker's late answer is dropped.
                        job = None;
                    }
                }
                Err(_) => {
                    // Every worker sends exactly one answer; a closed channel
                    // cannot happen while `job` holds the sender's peer.
                    return Err(Box::new(Outcome::Failed {
                        step: self.current_step(),
                        error: Error::State {
                            state: self.flow.state_name(),
                            event: "worker_gone",
                        },
                    }));
                }
            }
        }
    }

    /// A job whose answer is already known (a hook ran inline).
    fn ready_job(&mut self, id: RequestId, event: Event) -> Job {
        let (tx, rx) = mpsc::channel();
        self.cancel.arm(tx.clone());
        let _ = tx.send(Wake::Answer(event));
        Job { id, rx }
    }

    /// Run `work` on a worker thread; its event comes back through the job's
    /// channel, which a cancel also wakes.
    fn start_job(&mut self, id: RequestId, work: impl FnOnce() -> Event + Send + 'static) -> Job {
        let (tx, rx) = mpsc::channel();
        self.cancel.arm(tx.clone());
        let step = self.current_step();
        let worker_tx = tx.clone();
        let spawned = thread::Builder::new()
            .name("wxface-kiosk-io".into())
            .spawn(move || {
                let event = panic::catch_unwind(panic::AssertUnwindSafe(work))
                    .unwrap_or_else(|_| failure_event(step, id, "the implementation panicked"));
                let _ = worker_tx.send(Wake::Answer(event));
            });
        if let Err(e) = spawned {
            let _ = tx.send(Wake::Answer(failure_event(
                step,
                id,
                &format!("cannot start a worker thread: {e}"),
            )));
        }
        Job { id, rx }
    }
}

/// The failure event for `step`'s request: SDK steps fail as calls, the rest
/// as merchant-server requests.
fn failure_event(step: Step, id: RequestId, reason: &str) -> Event {
    match step {
        Step::FetchingAuthinfo | Step::CheckingVerified | Step::FetchingRealName => {
            Event::BackendFailed {
                id,
                error: Error::Backend {
                    status: None,
                    code: "KIOSK_ERROR".into(),
                    message: format!("merchant backend: {reason}"),
                    detail: None,
                },
            }
        }
        _ => Event::SdkCallFailed {
            id,
            error: Error::Sdk {
                cmd: "unknown".into(),
                return_code: "CALL_FAILED".into(),
                return_msg: format!("face SDK: {reason}"),
                err_code: None,
            },
        },
    }
}

/// One SDK call as the flow's event: the answer as received, or the failure.
fn sdk_event(sdk: &dyn FaceSdk, id: RequestId, json: &str) -> Event {
    match sdk.call(json) {
        Ok(json) => Event::SdkAnswer { id, json },
        Err(error) => {
            tracing::warn!(code = error.code(), "face SDK call failed");
            Event::SdkCallFailed { id, error }
        }
    }
}

/// Whether an answer reports success (SDK `return_code` `SUCCESS`, or any
/// merchant answer).
fn answer_ok(event: &Event) -> bool {
    match event {
        Event::SdkAnswer { json, .. } => {
            #[derive(serde::Deserialize)]
            struct Code {
                return_code: Option<String>,
            }
            serde_json::from_str::<Code>(json)
                .ok()
                .and_then(|c| c.return_code)
                .is_some_and(|c| c == "SUCCESS")
        }
        Event::SdkCallFailed { .. } | Event::BackendFailed { .. } => false,
        _ => true,
    }
}
