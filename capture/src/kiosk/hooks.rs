//! What a caller plugs into a verification: hooks, progress events, the
//! cancel handle, and the start-up retry policy.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wxface_core::flow::{Event, Recognised, Step, StepStatus};
use wxface_core::Error;

use super::lock;
#[cfg(doc)]
use super::Kiosk;
#[cfg(doc)]
use crate::MerchantBackend;
#[cfg(doc)]
use wxface_core::flow::{Action, Outcome};
#[cfg(doc)]
use wxface_core::sdk::classify_sdk_error;

/// Something that can wake a waiting verification.
pub(super) enum Wake {
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

    pub(super) fn arm(&self, tx: Sender<Wake>) {
        *lock(&self.inner.waker) = Some(tx);
    }

    pub(super) fn disarm(&self) {
        *lock(&self.inner.waker) = None;
    }
}

/// Progress of one verification, for kiosk screens and logs. Carries no
/// personal data. The bindings pass it on as the core's shared record,
/// `wxface_core::model::Progress::from(&event)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A step started.
    StepStarted {
        /// The step.
        step: Step,
    },
    /// A step ended (the flow's [`Action::StepFinished`]).
    StepFinished {
        /// The step.
        step: Step,
        /// How.
        status: StepStatus,
        /// How long it took.
        elapsed: Duration,
        /// What ended it, when something failed (see
        /// [`Action::StepFinished`]): the SDK's error answer (a refused
        /// consent or an expired authinfo included, see
        /// [`classify_sdk_error`]), the failed call or merchant request, or
        /// the failure of the verification.
        error: Option<Error>,
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

impl From<&ProgressEvent> for wxface_core::model::Progress {
    /// The event as the core's shared record, which every binding hands to
    /// its host: names for the step, status and outcome, milliseconds for
    /// the durations, the error as its [`wxface_core::error::ErrorInfo`].
    fn from(e: &ProgressEvent) -> Self {
        match e {
            ProgressEvent::StepStarted { step } => Self::step_started(*step),
            ProgressEvent::StepFinished {
                step,
                status,
                elapsed,
                error,
            } => Self::step_finished(*step, *status, *elapsed, error.as_ref()),
            ProgressEvent::CancelRequested => Self::CancelRequested,
            ProgressEvent::Finished { outcome, elapsed } => Self::Finished {
                outcome: (*outcome).to_owned(),
                elapsed_ms: elapsed.as_secs_f64() * 1000.0,
            },
        }
    }
}

pub(super) type VerifiedCheck<'a> = dyn FnMut(&Recognised) -> Result<bool, Error> + 'a;
pub(super) type ProgressSink<'a> = dyn FnMut(&ProgressEvent) + 'a;

/// What a caller plugs into one [`Kiosk::verify`]. All optional.
///
/// The callbacks run on the thread that called `verify`.
#[derive(Default)]
pub struct VerifyHooks<'a> {
    pub(super) is_already_verified: Option<Box<VerifiedCheck<'a>>>,
    pub(super) on_progress: Option<Box<ProgressSink<'a>>>,
    pub(super) cancel: Option<CancelHandle>,
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
