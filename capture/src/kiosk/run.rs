//! One verification in progress: the loop that feeds the flow and performs
//! its actions, each request on a worker thread that a cancel can outrun.

use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::time::Instant;
use std::{panic, thread};

use wxface_core::flow::{Action, Event, Outcome, RequestId, Step, StepStatus};
use wxface_core::Error;

use super::hooks::{CancelHandle, ProgressEvent, ProgressSink, VerifiedCheck, VerifyHooks, Wake};
use super::Kiosk;
use crate::FaceSdk;

/// The request being waited for.
struct Job {
    id: RequestId,
    rx: Receiver<Wake>,
}

/// Who answers a request.
#[derive(Clone, Copy)]
enum Peer {
    Sdk,
    Backend,
}

/// One verification in progress. The flow is locked only to feed it an
/// event or take an action, never while a request runs.
pub(super) struct Run<'k, 'h> {
    kiosk: &'k Kiosk,
    is_already_verified: Option<Box<VerifiedCheck<'h>>>,
    on_progress: Option<Box<ProgressSink<'h>>>,
    cancel: CancelHandle,
    /// The step started last, and when.
    step: Option<(Step, Instant)>,
    cancel_fed: bool,
}

impl<'k, 'h> Run<'k, 'h> {
    pub(super) fn new(kiosk: &'k Kiosk, hooks: VerifyHooks<'h>, cancel: CancelHandle) -> Self {
        Self {
            kiosk,
            is_already_verified: hooks.is_already_verified,
            on_progress: hooks.on_progress,
            cancel,
            step: None,
            cancel_fed: false,
        }
    }

    /// The whole verification, `Finished` event included.
    pub(super) fn verify(mut self, started: Instant) -> Outcome {
        let outcome = self.drive();
        self.cancel.disarm();
        self.emit(&ProgressEvent::Finished {
            outcome: outcome.as_str(),
            elapsed: started.elapsed(),
        });
        outcome
    }

    fn emit(&mut self, event: &ProgressEvent) {
        if let Some(f) = self.on_progress.as_mut() {
            f(event);
        }
    }

    fn step_started(&mut self, step: Step) {
        tracing::debug!(step = step.as_str(), "step started");
        self.step = Some((step, Instant::now()));
        self.emit(&ProgressEvent::StepStarted { step });
    }

    fn step_finished(&mut self, step: Step, status: StepStatus, error: Option<Error>) {
        let elapsed = match self.step {
            Some((s, since)) if s == step => since.elapsed(),
            _ => std::time::Duration::ZERO,
        };
        tracing::debug!(
            step = step.as_str(),
            status = status.as_str(),
            code = error.as_ref().map(Error::code),
            "step finished"
        );
        self.emit(&ProgressEvent::StepFinished {
            step,
            status,
            elapsed,
            error,
        });
    }

    fn current_step(&self) -> Step {
        self.step.map_or(Step::Initialising, |(s, _)| s)
    }

    /// Feed one event; a refusal (which a correct driver never sees) ends the
    /// verification as failed.
    fn feed(&mut self, event: Event) -> Result<(), Box<Outcome>> {
        self.kiosk.feed(event).map_err(|error| {
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
        tracing::debug!(state = self.kiosk.state_name(), "cancel requested");
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
        self.kiosk.feed(Event::Begin).map_err(|error| {
            Box::new(Outcome::Failed {
                step: Step::Initialising,
                error,
            })
        })?;
        let mut job: Option<Job> = None;
        loop {
            // Each action is taken with the flow locked for just that.
            while let Some(action) = self.kiosk.take_action() {
                match action {
                    Action::StepStarted(step) => self.step_started(step),
                    Action::StepFinished {
                        step,
                        status,
                        error,
                    } => self.step_finished(step, status, error),
                    Action::Done(outcome) => return Ok(outcome),
                    Action::Ready | Action::Released { .. } => {}
                    Action::CallSdk { id, json, .. } => {
                        let sdk = Arc::clone(&self.kiosk.sdk);
                        job =
                            Some(self.start_job(id, Peer::Sdk, move || {
                                sdk_event(sdk.as_ref(), id, &json)
                            }));
                    }
                    Action::FetchAuthinfo {
                        id,
                        rawdata,
                        refresh,
                    } => {
                        let backend = Arc::clone(&self.kiosk.backend);
                        let device_id = self.kiosk.device_id.clone();
                        job = Some(self.start_job(id, Peer::Backend, move || {
                            let grant = if refresh {
                                backend.refresh_authinfo(&rawdata, &device_id)
                            } else {
                                backend.authinfo(&rawdata, &device_id)
                            };
                            match grant {
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
                                self.start_job(id, Peer::Backend, move || {
                                    match backend.is_verified(&who) {
                                        Ok(already_verified) => Event::VerifiedChecked {
                                            id,
                                            already_verified,
                                        },
                                        Err(error) => Event::BackendFailed { id, error },
                                    }
                                })
                            }
                        });
                    }
                    Action::FetchRealName { id, face_sid } => {
                        let backend = Arc::clone(&self.kiosk.backend);
                        let device_id = self.kiosk.device_id.clone();
                        job = Some(self.start_job(id, Peer::Backend, move || {
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
                        state: self.kiosk.state_name(),
                        event: "poll",
                    },
                }));
            };
            let id = current.id;
            if self.cancel.is_cancelled() && !self.cancel_fed {
                self.feed_cancel()?;
                if self.kiosk.pending() != Some(id) {
                    job = None;
                }
                continue;
            }
            match current.rx.recv() {
                Ok(Wake::Answer(event)) => {
                    job = None;
                    if self.cancel.is_cancelled() {
                        // Let the flow know before it acts on the answer.
                        self.feed_cancel()?;
                    }
                    if self.kiosk.pending() == Some(id) {
                        self.feed(event)?;
                    }
                }
                Ok(Wake::Cancel) => {
                    self.feed_cancel()?;
                    if self.kiosk.pending() != Some(id) {
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
                            state: self.kiosk.state_name(),
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
    fn start_job(
        &mut self,
        id: RequestId,
        peer: Peer,
        work: impl FnOnce() -> Event + Send + 'static,
    ) -> Job {
        let (tx, rx) = mpsc::channel();
        self.cancel.arm(tx.clone());
        let worker_tx = tx.clone();
        let spawned = thread::Builder::new()
            .name("wxface-kiosk-io".into())
            .spawn(move || {
                let event = panic::catch_unwind(panic::AssertUnwindSafe(work))
                    .unwrap_or_else(|_| failure_event(peer, id, "the implementation panicked"));
                let _ = worker_tx.send(Wake::Answer(event));
            });
        if let Err(e) = spawned {
            let _ = tx.send(Wake::Answer(failure_event(
                peer,
                id,
                &format!("cannot start a worker thread: {e}"),
            )));
        }
        Job { id, rx }
    }
}

/// The failure event of a request to `peer` that produced no answer.
fn failure_event(peer: Peer, id: RequestId, reason: &str) -> Event {
    match peer {
        Peer::Backend => Event::BackendFailed {
            id,
            error: Error::Backend {
                status: None,
                code: "KIOSK_ERROR".into(),
                message: format!("merchant backend: {reason}"),
                detail: None,
                request_id: None,
            },
        },
        Peer::Sdk => Event::SdkCallFailed {
            id,
            error: Error::Sdk {
                // The flow names the command of its request.
                cmd: String::new(),
                return_code: "CALL_FAILED".into(),
                return_msg: format!("face SDK: {reason}"),
                err_code: None,
            },
        },
    }
}

/// One SDK call as the flow's event: the answer as received, or the failure.
pub(super) fn sdk_event(sdk: &dyn FaceSdk, id: RequestId, json: &str) -> Event {
    match sdk.call(json) {
        Ok(json) => Event::SdkAnswer { id, json },
        Err(error) => {
            tracing::warn!(code = error.code(), "face SDK call failed");
            Event::SdkCallFailed { id, error }
        }
    }
}
