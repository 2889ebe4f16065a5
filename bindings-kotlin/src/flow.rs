//! The kiosk flow state machine: `Flow.handle(now, event)`, then drain
//! `Flow.pollAction()` until it returns `null`.
//!
//! The machine does no I/O. Each `Action` that asks for work
//! (`CallSdk`, `FetchAuthinfo`, `CheckVerified`, `FetchRealName`) carries a
//! request id; its answer comes back as an `Event` with the same id. An
//! event that does not fit is refused with `State` and changes nothing.
//! Most apps use the `Kiosk` driver instead, which runs this loop over a
//! `FaceSdk` and a `MerchantBackend`.
//!
//! The records are the core's (`wxface_core::model`, Kotlin package
//! `wxface.model`): `KioskConfig`, `Event`, `Action`, `Outcome`, `Failure`,
//! `ErrorInfo`, `Recognised`, `MaskedIdentity`. They carry a `Step` and a
//! `StepStatus` by its stable name (`recognising`, `ok`), as in every
//! binding; `stepFromName` / `stepName` (and the same for statuses) convert.

use std::sync::{Mutex, MutexGuard, PoisonError};

use wxface_core::flow::{self, Step, StepStatus};
use wxface_core::model::{Action, Event, KioskConfig, Outcome};

use crate::sdk::{secs, unix};
use crate::WxfaceError;

/// Stable snake_case name of a step (`recognising`, …).
#[uniffi::export]
pub fn step_name(step: Step) -> String {
    step.as_str().to_owned()
}

/// The step a name stands for.
///
/// # Errors
/// `InvalidInput` for an unknown name.
#[uniffi::export]
pub fn step_from_name(name: String) -> Result<Step, WxfaceError> {
    Ok(name.parse()?)
}

/// Stable name of a step status (`ok`, `error`, `cancelled`).
#[uniffi::export]
pub fn step_status_name(status: StepStatus) -> String {
    status.as_str().to_owned()
}

/// The step status a name stands for.
///
/// # Errors
/// `InvalidInput` for an unknown name.
#[uniffi::export]
pub fn step_status_from_name(name: String) -> Result<StepStatus, WxfaceError> {
    Ok(name.parse()?)
}

/// Stable snake_case name of an outcome (`verified`, `already_verified`,
/// `consent_refused`, `cancelled`, `failed`).
#[uniffi::export]
pub fn outcome_name(outcome: Outcome) -> String {
    outcome.as_str().to_owned()
}

/// The flow state machine (thread-safe; calls are serialised).
#[derive(uniffi::Object)]
pub struct Flow {
    inner: Mutex<flow::Flow>,
}

impl Flow {
    fn lock(&self) -> MutexGuard<'_, flow::Flow> {
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
    pub fn new(config: KioskConfig) -> Result<Self, WxfaceError> {
        Ok(Self {
            inner: Mutex::new(flow::Flow::new(config.to_flow_config()?)?),
        })
    }

    /// Feed one event at time `now` (Unix seconds), then drain `pollAction`.
    ///
    /// # Errors
    /// `State` when the event does not fit the current state or carries an
    /// id the machine is not waiting for (the machine is unchanged);
    /// `InvalidInput` for a negative time or an `Authinfo` without expiry.
    pub fn handle(&self, now: i64, event: Event) -> Result<(), WxfaceError> {
        let now = unix(now)?;
        Ok(self.lock().handle(now, event.into_flow_event(now)?)?)
    }

    /// The next action, or `null` when there is none.
    pub fn poll_action(&self) -> Option<Action> {
        self.lock().poll_action().map(Action::from)
    }

    /// Every pending action, in order.
    pub fn drain_actions(&self) -> Vec<Action> {
        let mut flow = self.lock();
        std::iter::from_fn(|| flow.poll_action())
            .map(Action::from)
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
