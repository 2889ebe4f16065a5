//! The flow machine with plain-object events and actions.

use wxface_core::flow::{Action, Flow};
use wxface_core::sdk::Cmd;
use wxface_core::{Error, UnixTime};

use crate::shapes::{ActionOut, ConfigIn, EventIn};

/// [`wxface_core::flow::Flow`] taking [`EventIn`] and giving [`ActionOut`].
#[derive(Debug)]
pub struct KioskFlow {
    inner: Flow,
    /// The last SDK call handed out, to name the command of a failed call.
    last_call: Option<(u64, Cmd)>,
}

impl KioskFlow {
    /// A machine for `cfg`, checked up front.
    ///
    /// # Errors
    /// `invalid_input` / `sdk_version` when the configuration cannot produce
    /// valid SDK requests.
    pub fn new(cfg: ConfigIn) -> Result<Self, Error> {
        Ok(Self {
            inner: Flow::new(cfg.into_config()?)?,
            last_call: None,
        })
    }

    /// Feed one event at `now`.
    ///
    /// # Errors
    /// `state` when the event does not fit (the machine is unchanged),
    /// `invalid_input` for an incomplete event.
    pub fn handle(&mut self, now: UnixTime, event: EventIn) -> Result<(), Error> {
        let cmd = self
            .last_call
            .filter(|(id, _)| self.inner.pending().map(|p| p.0) == Some(*id))
            .map(|(_, c)| c);
        self.inner.handle(now, event.into_event(now, cmd)?)
    }

    /// The next action, if any.
    pub fn poll(&mut self) -> Option<ActionOut> {
        let a = self.inner.poll_action()?;
        if let Action::CallSdk { id, cmd, .. } = &a {
            self.last_call = Some((id.0, *cmd));
        }
        Some(a.into())
    }

    /// Feed one event and drain every action it produced.
    ///
    /// # Errors
    /// As [`KioskFlow::handle`].
    pub fn next(&mut self, now: UnixTime, event: EventIn) -> Result<Vec<ActionOut>, Error> {
        self.handle(now, event)?;
        Ok(std::iter::from_fn(|| self.poll()).collect())
    }

    /// Name of the current state.
    pub fn state_name(&self) -> &'static str {
        self.inner.state_name()
    }

    /// Id of the request the machine waits on.
    pub fn pending(&self) -> Option<u64> {
        self.inner.pending().map(|p| p.0)
    }

    /// Whether a patient's flow is in progress.
    pub fn in_progress(&self) -> bool {
        self.inner.in_progress()
    }

    /// Expiry of the cached authinfo (unix seconds).
    pub fn authinfo_expires_at(&self) -> Option<u64> {
        self.inner.authinfo_expires_at().map(UnixTime::as_secs)
    }

    /// Forget the cached authinfo.
    pub fn invalidate_authinfo(&mut self) {
        self.inner.invalidate_authinfo();
    }
}
