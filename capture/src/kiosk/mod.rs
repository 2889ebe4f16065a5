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
//!
//! A recognition call that the SDK bridge gave up on (a timeout) may still
//! open a face session when it returns. From SDK 1.20 on such a session must
//! be ended before the next recognition, or the SDK refuses it ("上一次实名认证
//! 未结束"): before each patient and at shutdown the kiosk asks the SDK for
//! such a late answer ([`FaceSdk::take_late_answer`]) and hands it to the
//! flow ([`Event::LateSdkAnswer`]), which sends `getWxpayAuth` with
//! `quit_face_auth = 1` for it first when it holds a `face_sid`.
//!
//! The kiosk holds the flow's lock only to feed it an event or take an
//! action, never during an SDK call, a merchant request or a pause:
//! [`Kiosk::state_name`], [`Kiosk::authinfo_expires_at`] and
//! [`Kiosk::invalidate_authinfo`] answer at once while a verification runs.
//! `start`, `verify` and `shutdown` take turns on a lock of their own.

mod hooks;
mod run;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;
use std::{fmt, thread};

use wxface_core::flow::{Action, Event, Flow, FlowConfig, Outcome};
use wxface_core::sdk::{classify_sdk_error, SdkErrorClass};
use wxface_core::time::Clock;
use wxface_core::{Error, UnixTime};

pub use self::hooks::{CancelHandle, InitRetry, ProgressEvent, VerifyHooks};
use self::run::{sdk_event, Run};
use crate::{FaceSdk, MerchantBackend};
pub use wxface_core::flow::StepStatus;

/// Longest `device_id` the protocol allows.
const MAX_DEVICE_ID: usize = 32;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here leaves its data consistent, so a panic
    // elsewhere while holding a lock does not make the data unusable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The kiosk: one face SDK, one merchant server, one patient at a time.
pub struct Kiosk {
    /// Locked only to feed an event or take an action, never across I/O.
    flow: Mutex<Flow>,
    /// Held by `start`, `verify` and `shutdown` for their whole run (I/O
    /// included): one at a time.
    session: Mutex<()>,
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
    /// [`Error::InvalidInput`] for an empty or too long `device_id`, or one
    /// with control characters (it is logged); the
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
        if device_id.is_empty()
            || device_id.chars().count() > MAX_DEVICE_ID
            || wxface_core::redact::has_control_chars(&device_id)
        {
            return Err(Error::InvalidInput {
                field: "device_id".into(),
                reason: "must be 1 to 32 characters without control characters".into(),
            });
        }
        Ok(Self {
            flow: Mutex::new(Flow::new(config)?),
            session: Mutex::new(()),
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
    /// request a verification waits for, e.g. `expect_face_code` while the
    /// patient looks at the camera). Answers at once, also while an SDK call
    /// or a merchant request is in progress.
    pub fn state_name(&self) -> &'static str {
        lock(&self.flow).state_name()
    }

    /// Feed the flow one event, stamped with the clock's time.
    fn feed(&self, event: Event) -> Result<(), Error> {
        let now = self.clock.now();
        lock(&self.flow).handle(now, event)
    }

    /// The flow's next action.
    fn take_action(&self) -> Option<Action> {
        lock(&self.flow).poll_action()
    }

    /// The request the flow waits for.
    fn pending(&self) -> Option<wxface_core::flow::RequestId> {
        lock(&self.flow).pending()
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
        let _session = lock(&self.session);
        let mut attempt = 0;
        loop {
            self.feed(Event::Start)?;
            match self.run_simple() {
                Ok(()) => {
                    tracing::info!(device_id = %wxface_core::redact::LogSafe(&self.device_id), "face SDK initialised");
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
        let _session = lock(&self.session);
        if self.state_name() == "ready" {
            self.close_late_session();
        }
        self.feed(Event::Shutdown)?;
        let result = self.run_simple();
        tracing::info!(device_id = %wxface_core::redact::LogSafe(&self.device_id), ok = result.is_ok(), "face SDK released");
        result
    }

    /// Drive the flow through `start` or `shutdown`: SDK calls only, inline,
    /// without the flow locked. `Ok` on `Ready`/`Released` (the latter only
    /// when the release answered `SUCCESS`), the failure otherwise.
    fn run_simple(&self) -> Result<(), Error> {
        loop {
            let Some(action) = self.take_action() else {
                return Err(Error::State {
                    state: self.state_name(),
                    event: "poll",
                });
            };
            match action {
                Action::CallSdk { id, json, .. } => {
                    self.feed(sdk_event(self.sdk.as_ref(), id, &json))?;
                }
                Action::Ready => return Ok(()),
                Action::Released { error } => return error.map_or(Ok(()), Err),
                Action::Done(Outcome::Failed { error, .. }) => return Err(error),
                Action::Done(_) | Action::StepStarted(_) | Action::StepFinished { .. } => {}
                Action::FetchAuthinfo { .. }
                | Action::CheckVerified { .. }
                | Action::FetchRealName { .. } => {
                    return Err(Error::State {
                        state: self.state_name(),
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
        let cancel = hooks.cancel.clone().unwrap_or_default();
        let _session = lock(&self.session);
        let _current = CurrentGuard::set(&self.current, cancel.clone());
        if self.state_name() == "ready" {
            self.close_late_session();
        }
        let outcome = Run::new(self, hooks, cancel).verify(started);
        tracing::info!(
            device_id = %wxface_core::redact::LogSafe(&self.device_id),
            outcome = outcome.as_str(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "verification finished"
        );
        outcome
    }
}

impl Kiosk {
    /// End the face session that a recognition call opened after it was
    /// given up (see the module docs): the flow decides whether a quit is
    /// needed. Called in a session, with the flow ready.
    fn close_late_session(&self) {
        let Some(late) = self.sdk.take_late_answer() else {
            return;
        };
        let event = Event::LateSdkAnswer {
            request: late.request,
            json: late.answer,
        };
        if let Err(e) = self.feed(event) {
            tracing::warn!(code = e.code(), "late face SDK answer refused");
            return;
        }
        while let Some(action) = self.take_action() {
            match action {
                Action::CallSdk { id, json, .. } => {
                    if let Err(e) = self.feed(sdk_event(self.sdk.as_ref(), id, &json)) {
                        tracing::warn!(code = e.code(), "late face SDK answer refused");
                        return;
                    }
                }
                Action::StepFinished {
                    status: StepStatus::Ok,
                    ..
                } => tracing::info!("face session of a timed-out recognition ended"),
                Action::StepFinished { error, .. } => tracing::warn!(
                    code = error.as_ref().map_or("unknown", Error::code),
                    "cannot end the face session of a timed-out recognition"
                ),
                Action::Ready => return,
                _ => {}
            }
        }
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
