//! Transitions of [`Flow`].

use super::*;

impl Flow {
    fn id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    /// Start `step`: the open step (if any) finishes first, by its answer.
    fn begin(&mut self, step: Step) {
        self.end(None);
        self.out.push_back(Action::StepStarted(step));
        self.open = Some(OpenStep { step, error: None });
    }

    /// Finish the open step, if any: with `status`, or by its answer.
    fn end(&mut self, status: Option<StepStatus>) {
        if let Some(OpenStep { step, error }) = self.open.take() {
            let status = status.unwrap_or(match error {
                Some(_) => StepStatus::Error,
                None => StepStatus::Ok,
            });
            self.out.push_back(Action::StepFinished {
                step,
                status,
                error,
            });
        }
    }

    /// Record that the open step's request was answered with `error`.
    pub(super) fn answered_with(&mut self, error: &Error) {
        if let Some(open) = self.open.as_mut() {
            open.error = Some(error.clone());
        }
    }

    /// Parse the SDK's answer to `cmd`, recording an error answer for the
    /// open step.
    fn reply(&mut self, cmd: Cmd, json: &str) -> Result<SdkReply> {
        let reply = SdkReply::parse(cmd, json.as_bytes());
        if let Err(e) = &reply {
            self.answered_with(e);
        }
        reply
    }

    /// Start `step` with an SDK request. A request that cannot be built
    /// starts no step (the open one finishes by its answer).
    fn call_sdk(&mut self, now: UnixTime, step: Step, req: SdkRequest) -> Result<RequestId> {
        let json = match req.to_json(self.cfg.sdk_version, now) {
            Ok(json) => json,
            Err(e) => {
                self.end(None);
                return Err(e);
            }
        };
        let id = self.id();
        self.begin(step);
        self.out.push_back(Action::CallSdk {
            id,
            cmd: req.cmd(),
            json,
        });
        Ok(id)
    }

    /// Emit `Done(outcome)`, the open step finishing first per the outcome.
    fn done(&mut self, outcome: Outcome) {
        match &outcome {
            Outcome::Cancelled => self.end(Some(StepStatus::Cancelled)),
            Outcome::Failed { error, .. } => {
                if let Some(open) = self.open.as_mut() {
                    open.error.get_or_insert_with(|| error.clone());
                }
                self.end(Some(StepStatus::Error));
            }
            _ => self.end(None),
        }
        self.out.push_back(Action::Done(outcome));
    }

    fn finish(&mut self, outcome: Outcome) -> State {
        self.done(outcome);
        State::Ready
    }

    /// Emit `Ready`, the open step finishing first by its answer.
    fn ready(&mut self) -> State {
        self.end(None);
        self.out.push_back(Action::Ready);
        State::Ready
    }

    /// The `getWxpayAuth` quit request that ends the face session a late
    /// `getWxpayfaceCode` answer opened: only for a `FACE_AUTH` request
    /// answered with a `face_sid`, and only from SDK 1.20 on (before, the
    /// quit field does not exist and the SDK would ask the next person in
    /// front of it for consent).
    fn late_quit(&self, request: &str, json: &str) -> Option<SdkRequest> {
        if self.cfg.sdk_version < SdkVersion::V1_20 {
            return None;
        }
        let (SdkRequest::GetFaceCode(request), _) = SdkRequest::parse(request.as_bytes()).ok()?
        else {
            return None;
        };
        if request.face_authtype != FaceAuthType::FaceAuth {
            return None;
        }
        let Ok(SdkReply::FaceCode(reply)) = SdkReply::parse(Cmd::GetFaceCode, json.as_bytes())
        else {
            return None;
        };
        Some(SdkRequest::GetAuth(AuthRequest {
            authinfo: request.authinfo,
            face_sid: reply.face_sid?,
            quit: true,
        }))
    }

    fn fail(&mut self, step: Step, error: Error) -> State {
        self.finish(Outcome::Failed { step, error })
    }

    fn rawdata(&mut self, now: UnixTime, refreshed: bool) -> State {
        match self.call_sdk(now, Step::ReadingRawdata, SdkRequest::GetRawdata) {
            Ok(id) => State::ExpectRawdata {
                id,
                refreshed,
                cancel: false,
            },
            Err(e) => self.fail(Step::ReadingRawdata, e),
        }
    }

    fn face_code(&mut self, now: UnixTime, authinfo: String, refreshed: bool) -> State {
        let req = SdkRequest::GetFaceCode(FaceCodeRequest {
            appid: self.cfg.appid.clone(),
            mch_id: self.cfg.mch_id.clone(),
            sub_appid: self.cfg.sub_appid.clone(),
            sub_mch_id: self.cfg.sub_mch_id.clone(),
            store_id: self.cfg.store_id.clone(),
            face_authtype: FaceAuthType::FaceAuth,
            authinfo: authinfo.clone(),
            screen_index: self.cfg.screen_index.clone(),
            disable_keyboard: self.cfg.disable_keyboard,
            ..FaceCodeRequest::default()
        });
        match self.call_sdk(now, Step::Recognising, req) {
            Ok(id) => State::ExpectFaceCode {
                id,
                authinfo,
                refreshed,
                cancel: false,
            },
            Err(e) => self.fail(Step::Recognising, e),
        }
    }

    fn auth(
        &mut self,
        now: UnixTime,
        who: Recognised,
        authinfo: &str,
        quit: Option<AfterQuit>,
    ) -> State {
        let step = if quit.is_some() {
            Step::Quitting
        } else {
            Step::AskingConsent
        };
        let req = SdkRequest::GetAuth(AuthRequest {
            authinfo: authinfo.to_owned(),
            face_sid: who.face_sid.clone(),
            quit: quit.is_some(),
        });
        match (self.call_sdk(now, step, req), quit) {
            (Ok(id), None) => State::ExpectConsent {
                id,
                who,
                cancel: false,
            },
            (Ok(id), Some(then)) => State::ExpectQuit { id, who, then },
            (Err(e), _) => self.fail(step, e),
        }
    }

    /// The already-verified or cancel branch after recognition: since SDK
    /// 1.20 the SDK must be told to quit; before, there is no such call.
    fn quit_or_finish(
        &mut self,
        now: UnixTime,
        who: Recognised,
        authinfo: &str,
        then: AfterQuit,
    ) -> State {
        if self.cfg.sdk_version >= SdkVersion::V1_20 {
            self.auth(now, who, authinfo, Some(then))
        } else {
            self.finish(after_quit(who, then))
        }
    }

    /// One transition, or `None` when the event does not fit (nothing pushed).
    pub(super) fn step(&mut self, now: UnixTime, event: Event) -> Option<State> {
        let state = std::mem::replace(&mut self.state, State::Released);
        Some(match (state, event) {
            (State::Uninitialised, Event::Start) => {
                match self.call_sdk(
                    now,
                    Step::Initialising,
                    SdkRequest::Init(self.cfg.init.clone()),
                ) {
                    Ok(id) => State::ExpectInit { id },
                    Err(e) => {
                        self.done(Outcome::Failed {
                            step: Step::Initialising,
                            error: e,
                        });
                        State::Uninitialised
                    }
                }
            }
            (State::ExpectInit { .. }, Event::SdkAnswer { json, .. }) => {
                match self.reply(Cmd::Init, &json) {
                    Ok(_) => self.ready(),
                    Err(e) => {
                        self.done(Outcome::Failed {
                            step: Step::Initialising,
                            error: e,
                        });
                        State::Uninitialised
                    }
                }
            }
            (State::ExpectInit { .. }, Event::SdkCallFailed { error, .. }) => {
                self.done(Outcome::Failed {
                    step: Step::Initialising,
                    error,
                });
                State::Uninitialised
            }
            (State::Ready, Event::Begin) => match self.cached_authinfo.clone() {
                Some((authinfo, exp, reuse_until))
                    if now.plus(self.cfg.authinfo_margin_secs) < exp && now < reuse_until =>
                {
                    self.face_code(now, authinfo, false)
                }
                _ => {
                    self.cached_authinfo = None;
                    self.rawdata(now, false)
                }
            },
            (State::Ready, Event::Shutdown) => {
                match self.call_sdk(now, Step::Releasing, SdkRequest::Release) {
                    Ok(id) => State::ExpectRelease { id },
                    Err(error) => {
                        self.out.push_back(Action::Released { error: Some(error) });
                        State::Released
                    }
                }
            }
            // Released either way: the program is exiting.
            (State::ExpectRelease { .. }, Event::SdkAnswer { json, .. }) => {
                let error = self.reply(Cmd::Release, &json).err();
                self.end(None);
                self.out.push_back(Action::Released { error });
                State::Released
            }
            (State::ExpectRelease { .. }, Event::SdkCallFailed { error, .. }) => {
                self.end(None);
                self.out.push_back(Action::Released { error: Some(error) });
                State::Released
            }

            // --- a late recognition answer ---------------------------------
            (State::Ready, Event::LateSdkAnswer { request, json }) => {
                match self.late_quit(&request, &json) {
                    Some(quit) => match self.call_sdk(now, Step::Quitting, quit) {
                        Ok(id) => State::ExpectLateQuit { id },
                        Err(_) => self.ready(),
                    },
                    None => self.ready(),
                }
            }
            (State::ExpectLateQuit { .. }, Event::SdkAnswer { json, .. }) => {
                let _ = self.reply(Cmd::GetAuth, &json);
                self.ready()
            }
            (State::ExpectLateQuit { .. }, Event::SdkCallFailed { .. }) => self.ready(),

            // --- rawdata --------------------------------------------------
            (State::ExpectRawdata { cancel: true, .. }, Event::SdkAnswer { json, .. }) => {
                let _ = self.reply(Cmd::GetRawdata, &json);
                self.finish(Outcome::Cancelled)
            }
            (State::ExpectRawdata { cancel: true, .. }, Event::SdkCallFailed { .. }) => {
                self.finish(Outcome::Cancelled)
            }
            (State::ExpectRawdata { refreshed, .. }, Event::SdkAnswer { json, .. }) => {
                match self.reply(Cmd::GetRawdata, &json) {
                    Ok(SdkReply::Rawdata(rawdata)) => {
                        let id = self.id();
                        self.begin(Step::FetchingAuthinfo);
                        self.out.push_back(Action::FetchAuthinfo {
                            id,
                            rawdata,
                            refresh: refreshed,
                        });
                        State::ExpectAuthinfo { id, refreshed }
                    }
                    Ok(_) => self.fail(
                        Step::ReadingRawdata,
                        Error::malformed("face SDK response", "not a rawdata answer"),
                    ),
                    Err(e) => self.fail(Step::ReadingRawdata, e),
                }
            }
            (State::ExpectRawdata { .. }, Event::SdkCallFailed { error, .. }) => {
                self.fail(Step::ReadingRawdata, error)
            }
            (State::ExpectRawdata { id, refreshed, .. }, Event::Cancel) => State::ExpectRawdata {
                id,
                refreshed,
                cancel: true,
            },

            // --- authinfo -------------------------------------------------
            (
                State::ExpectAuthinfo { refreshed, .. },
                Event::Authinfo {
                    authinfo,
                    expires_at,
                    ..
                },
            ) => {
                let reuse_until = now.plus(crate::v2::MAX_AUTHINFO_REUSE_SECS);
                self.cached_authinfo = Some((authinfo.clone(), expires_at, reuse_until));
                self.face_code(now, authinfo, refreshed)
            }
            (State::ExpectAuthinfo { .. }, Event::BackendFailed { error, .. }) => {
                self.fail(Step::FetchingAuthinfo, error)
            }
            (State::ExpectAuthinfo { .. }, Event::Cancel) => self.finish(Outcome::Cancelled),

            // --- recognition ----------------------------------------------
            (State::ExpectFaceCode { cancel: true, .. }, Event::SdkCallFailed { .. }) => {
                self.finish(Outcome::Cancelled)
            }
            (
                State::ExpectFaceCode {
                    authinfo,
                    refreshed,
                    cancel,
                    ..
                },
                Event::SdkAnswer { json, .. },
            ) => match self.reply(Cmd::GetFaceCode, &json) {
                Ok(SdkReply::FaceCode(r)) => match r.face_sid {
                    Some(face_sid) => {
                        let who = Recognised {
                            face_sid,
                            openid: r.openid,
                            sub_openid: r.sub_openid,
                        };
                        if cancel {
                            // Recognised, but the kiosk cancelled meanwhile.
                            self.end(Some(StepStatus::Cancelled));
                            self.quit_or_finish(now, who, &authinfo, AfterQuit::Cancelled)
                        } else {
                            let id = self.id();
                            self.begin(Step::CheckingVerified);
                            self.out.push_back(Action::CheckVerified {
                                id,
                                who: who.clone(),
                            });
                            State::ExpectVerifiedCheck { id, who, authinfo }
                        }
                    }
                    None => self.fail(
                        Step::Recognising,
                        Error::malformed(
                            "face SDK response",
                            "no `face_sid` in a FACE_AUTH answer",
                        ),
                    ),
                },
                Ok(_) => self.fail(
                    Step::Recognising,
                    Error::malformed("face SDK response", "not a face code answer"),
                ),
                Err(e) => match classify_sdk_error(&e) {
                    _ if cancel => self.finish(Outcome::Cancelled),
                    Some(SdkErrorClass::UserCancel) => self.finish(Outcome::Cancelled),
                    Some(SdkErrorClass::AuthinfoExpired) if !refreshed => {
                        // Refresh once: new rawdata, new authinfo, retry recognition.
                        self.cached_authinfo = None;
                        self.rawdata(now, true)
                    }
                    Some(SdkErrorClass::AuthinfoExpired) => {
                        self.cached_authinfo = None;
                        self.fail(Step::Recognising, e)
                    }
                    _ => self.fail(Step::Recognising, e),
                },
            },
            (State::ExpectFaceCode { .. }, Event::SdkCallFailed { error, .. }) => {
                self.fail(Step::Recognising, error)
            }
            (
                State::ExpectFaceCode {
                    id,
                    authinfo,
                    refreshed,
                    ..
                },
                Event::Cancel,
            ) => State::ExpectFaceCode {
                id,
                authinfo,
                refreshed,
                cancel: true,
            },

            // --- already verified? ----------------------------------------
            (
                State::ExpectVerifiedCheck { who, authinfo, .. },
                Event::VerifiedChecked {
                    already_verified: true,
                    ..
                },
            ) => self.quit_or_finish(now, who, &authinfo, AfterQuit::AlreadyVerified),
            (
                State::ExpectVerifiedCheck { who, authinfo, .. },
                Event::VerifiedChecked {
                    already_verified: false,
                    ..
                },
            ) => self.auth(now, who, &authinfo, None),
            (State::ExpectVerifiedCheck { who, authinfo, .. }, Event::Cancel) => {
                // The question is abandoned; its answer will be dropped.
                self.end(Some(StepStatus::Cancelled));
                self.quit_or_finish(now, who, &authinfo, AfterQuit::Cancelled)
            }
            (
                State::ExpectVerifiedCheck { who, authinfo, .. },
                Event::BackendFailed { error, .. },
            ) => {
                // The SDK still waits: tell it to quit, then report the failure.
                self.quit_or_finish(
                    now,
                    who,
                    &authinfo,
                    AfterQuit::Failed(Step::CheckingVerified, error),
                )
            }

            // --- consent --------------------------------------------------
            (State::ExpectConsent { who, cancel, .. }, Event::SdkAnswer { json, .. }) => {
                match self.reply(Cmd::GetAuth, &json) {
                    Ok(_) if cancel => self.finish(Outcome::Cancelled),
                    Ok(_) => {
                        let id = self.id();
                        self.begin(Step::FetchingRealName);
                        self.out.push_back(Action::FetchRealName {
                            id,
                            face_sid: who.face_sid.clone(),
                        });
                        State::ExpectRealName { id, who }
                    }
                    Err(e) => match classify_sdk_error(&e) {
                        Some(SdkErrorClass::ConsentRefused) => {
                            self.finish(Outcome::ConsentRefused { who })
                        }
                        Some(SdkErrorClass::UserCancel) => self.finish(Outcome::Cancelled),
                        _ => self.fail(Step::AskingConsent, e),
                    },
                }
            }
            (State::ExpectConsent { .. }, Event::SdkCallFailed { error, .. }) => {
                self.fail(Step::AskingConsent, error)
            }
            (State::ExpectConsent { id, who, .. }, Event::Cancel) => State::ExpectConsent {
                id,
                who,
                cancel: true,
            },

            // --- quit -----------------------------------------------------
            (State::ExpectQuit { who, then, .. }, Event::SdkAnswer { json, .. }) => {
                match self.reply(Cmd::GetAuth, &json) {
                    Ok(_) => self.finish(after_quit(who, then)),
                    // The first failure is the one worth reporting.
                    Err(_) if matches!(then, AfterQuit::Failed(..)) => {
                        self.finish(after_quit(who, then))
                    }
                    Err(e) => self.fail(Step::Quitting, e),
                }
            }
            (State::ExpectQuit { who, then, .. }, Event::SdkCallFailed { error, .. }) => match then
            {
                AfterQuit::Failed(..) => self.finish(after_quit(who, then)),
                _ => self.fail(Step::Quitting, error),
            },
            (s @ State::ExpectQuit { .. }, Event::Cancel) => s,

            // --- real name ------------------------------------------------
            (State::ExpectRealName { who, .. }, Event::RealName { identity, .. }) => {
                self.finish(Outcome::Verified { who, identity })
            }
            (State::ExpectRealName { .. }, Event::BackendFailed { error, .. }) => {
                self.fail(Step::FetchingRealName, error)
            }
            (State::ExpectRealName { .. }, Event::Cancel) => self.finish(Outcome::Cancelled),

            (state, _) => {
                self.state = state;
                return None;
            }
        })
    }
}

fn after_quit(who: Recognised, then: AfterQuit) -> Outcome {
    match then {
        AfterQuit::AlreadyVerified => Outcome::AlreadyVerified { who },
        AfterQuit::Cancelled => Outcome::Cancelled,
        AfterQuit::Failed(step, error) => Outcome::Failed { step, error },
    }
}
