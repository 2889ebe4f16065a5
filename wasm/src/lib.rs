//! # wxface-wasm (`@wxface/wasm`)
//!
//! The kiosk side of wxface for browsers and Electron: the face SDK commands
//! built and parsed to the byte by the Rust core, the flow state machine, and
//! the masking and GB 11643 helpers. A kiosk holds no secret, so this package
//! has no API key, no private key and no decryption: the core is built with
//! `default-features = false` (no RSA, no OS entropy), and nothing here signs.
//!
//! Conventions on the JS side:
//!
//! * functions and methods are camelCase; data objects are plain objects with
//!   snake_case fields, as on the wire and in the merchant API;
//! * times are unix **seconds** (the protocol's 10-digit `now`);
//! * errors are thrown as JS `Error`s whose `name` is the core's error kind
//!   (`invalid_input`, `sdk_version`, `sdk`, `malformed`, `state`, …) and whose
//!   `code` is the core's stable code, with the details of [`shapes::ErrorInfo`]
//!   as own properties. No error carries personal data.
//!
//! The flow is driven as in the core: feed an event, then drain actions.
//!
//! ```js
//! const flow = new Flow({ appid, mch_id, store_id });
//! for (const a of flow.next({ type: "start" }, now)) { /* call_sdk … */ }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod kiosk;
pub mod shapes;

#[cfg(test)]
mod tests;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wxface_core::realname::{check_resident_id, mask_credential_id, mask_name, CredentialType};
use wxface_core::sdk::{classify_sdk_error, Cmd, SdkReply, SdkRequest};
use wxface_core::Error;

use crate::kiosk::KioskFlow;
use crate::shapes::{class_name, invalid, problem_name, redact, redact_error, ErrorInfo, ReplyOut};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A face SDK command name. */
export type SdkCmd = "initWxpayface" | "getWxpayfaceRawdata" | "getWxpayfaceCode" | "getWxpayAuth" | "releaseWxpayface";

/** HTTP proxy of `initWxpayface`. */
export interface SdkProxy { ip: string; port: string; user?: string; passwd?: string }

/** `initWxpayface` settings (`proxy_type`, `camera_rotation`: SDK 1.18+). */
export interface SdkInitOptions { proxy?: SdkProxy; proxy_type?: 0 | 1 | 2; camera_rotation?: 1 | 2 | 3 }

/** A face SDK request in its typed form, tagged by `cmd` (not the wire JSON). */
export type SdkRequestObject =
  | ({ cmd: "initWxpayface" } & SdkInitOptions)
  | { cmd: "getWxpayfaceRawdata" }
  | {
      cmd: "getWxpayfaceCode"; appid: string; mch_id: string; store_id: string; authinfo: string;
      sub_appid?: string; sub_mch_id?: string; openid?: string; telephone?: string;
      face_authtype?: "FACE_AUTH" | "FACEPAY"; screen_index?: string; disable_keyboard?: boolean; token?: boolean;
    }
  | { cmd: "getWxpayAuth"; authinfo: string; face_sid: string; quit?: boolean }
  | { cmd: "releaseWxpayface" };

/** What a successful SDK answer carried; absent fields are left out. */
export interface SdkReplyObject {
  rawdata?: string; face_sid?: string; face_code?: string; openid?: string; sub_openid?: string; telephone_used?: boolean;
}

/** The kind of an error: the thrown `Error`'s `name`. */
export type WxfaceErrorName =
  | "invalid_input" | "sdk_version" | "sdk" | "backend" | "malformed" | "signature"
  | "decryption" | "expired" | "state" | "config";

/** What an SDK error means for the flow. */
export type SdkErrorClass =
  | "user_cancel" | "consent_refused" | "authinfo_expired" | "not_initialised" | "initialising" | "scan_instead" | "other";

/** The details of an error, as own properties of the thrown `Error` (and as `error` of a failed outcome). */
export interface WxfaceErrorInfo {
  name: WxfaceErrorName; code: string; message: string; retryable: boolean;
  field?: string; cmd?: string; return_code?: string; return_msg?: string; err_code?: string;
  sdk_class?: SdkErrorClass; status?: number; backend_code?: string;
}

/** An error thrown by this package. */
export type WxfaceError = Error & WxfaceErrorInfo;

/** The kiosk's configuration. There is no field for a secret: the kiosk holds none. */
export interface FlowConfig {
  appid: string; mch_id: string; store_id: string;
  /** Face SDK version of the terminal, default "1.24". */
  sdk_version?: string;
  sub_appid?: string; sub_mch_id?: string; screen_index?: string; disable_keyboard?: boolean;
  init?: SdkInitOptions;
  /** A cached authinfo is reused only while now + margin < expires_at (default 60). */
  authinfo_margin_secs?: number;
}

/** An identity as a kiosk may see it: masked values only. */
export interface MaskedIdentity { name: string; credential_type: number; credential_id: string }

/** Who the face SDK recognised: the body of `POST /kiosk/verified` as is. */
export interface Who { face_sid: string; openid: string | null; sub_openid: string | null }

/** A failure the driver saw (a merchant-server error body, a transport error, a failed SDK call). */
export interface Failure { code?: string; message?: string; status?: number; return_code?: string; return_msg?: string; err_code?: string | number }

/** An event for `Flow.handle` / `Flow.next`. Extra fields are ignored. */
export type FlowEvent =
  | { type: "start" } | { type: "begin" } | { type: "cancel" } | { type: "shutdown" }
  | { type: "sdk_answer"; id: number; json: string }
  | { type: "sdk_call_failed"; id: number; error?: Failure }
  | { type: "authinfo"; id: number; authinfo: string; expires_at?: number; expires_in?: number }
  | { type: "verified_checked"; id: number; already_verified: boolean }
  | { type: "real_name"; id: number; identity: MaskedIdentity }
  | { type: "backend_failed"; id: number; error?: Failure };

/** A step of the flow, for progress displays. */
export type FlowStep =
  | "initialising" | "reading_rawdata" | "fetching_authinfo" | "recognising" | "checking_verified"
  | "asking_consent" | "quitting" | "fetching_real_name" | "releasing";

/** How a patient's flow ended. */
export type FlowOutcome =
  | { outcome: "verified"; who: Who; identity: MaskedIdentity }
  | { outcome: "already_verified"; who: Who }
  | { outcome: "consent_refused"; who: Who }
  | { outcome: "cancelled" }
  | { outcome: "failed"; step: FlowStep; error: WxfaceErrorInfo };

/** What the flow asks its driver to do. */
export type FlowAction =
  | { type: "step"; step: FlowStep }
  | { type: "call_sdk"; id: number; cmd: SdkCmd; json: string }
  | { type: "fetch_authinfo"; id: number; rawdata: string; refresh: boolean }
  | { type: "check_verified"; id: number; who: Who }
  | { type: "fetch_real_name"; id: number; face_sid: string }
  | { type: "ready" }
  | ({ type: "done" } & FlowOutcome)
  | { type: "released" };

/** Result of the GB 11643 check of a resident ID number. */
export interface ResidentIdCheck {
  valid: boolean;
  problem: "length" | "characters" | "birth_date" | "check_digit" | null;
  message: string | null;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `SdkRequestObject` in TypeScript.
    #[wasm_bindgen(typescript_type = "SdkRequestObject")]
    pub type JsSdkRequest;
    /// `SdkReplyObject` in TypeScript.
    #[wasm_bindgen(typescript_type = "SdkReplyObject")]
    pub type JsSdkReply;
    /// `FlowConfig` in TypeScript.
    #[wasm_bindgen(typescript_type = "FlowConfig")]
    pub type JsFlowConfig;
    /// `FlowEvent` in TypeScript.
    #[wasm_bindgen(typescript_type = "FlowEvent")]
    pub type JsFlowEvent;
    /// `FlowAction` in TypeScript.
    #[wasm_bindgen(typescript_type = "FlowAction")]
    pub type JsFlowAction;
    /// `FlowAction[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "FlowAction[]")]
    pub type JsFlowActions;
    /// `ResidentIdCheck` in TypeScript.
    #[wasm_bindgen(typescript_type = "ResidentIdCheck")]
    pub type JsResidentIdCheck;
    /// `string[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "string[]")]
    pub type JsStrings;
    /// `SdkErrorClass | undefined` in TypeScript.
    #[wasm_bindgen(typescript_type = "SdkErrorClass | undefined")]
    pub type JsSdkErrorClass;
    /// `WxfaceError | string` in TypeScript.
    #[wasm_bindgen(typescript_type = "WxfaceError | WxfaceErrorInfo | string")]
    pub type JsErrorOrAnswer;
}

/// The one conversion of a core error into a thrown JS `Error`.
fn js_error(e: &Error) -> JsValue {
    let info = ErrorInfo::from(e);
    let err = js_sys::Error::new(&info.message);
    err.set_name(info.name);
    if let Ok(props) = to_js(&info) {
        if let Some(props) = props.dyn_ref::<js_sys::Object>() {
            js_sys::Object::assign(&err, props);
        }
    }
    err.into()
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
}

fn out<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    to_js(v).map_err(|e| js_error(&invalid("result", e.to_string())))
}

/// A JS value as JSON: every own enumerable field is seen, so unknown fields
/// can be refused exactly as the Rust core refuses them.
fn json_of(field: &str, v: JsValue) -> Result<serde_json::Value, Error> {
    serde_wasm_bindgen::from_value(v).map_err(|e| invalid(field, redact(&e.to_string())))
}

fn from_js<T: DeserializeOwned>(field: &str, v: JsValue) -> Result<T, Error> {
    serde_json::from_value(json_of(field, v)?).map_err(|e| invalid(field, redact(&e.to_string())))
}

fn request_of(request: JsValue) -> Result<SdkRequest, Error> {
    SdkRequest::from_object(json_of("request", request)?).map_err(redact_error)
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every error `code` this package can throw, for drift tests.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> JsStrings {
    let a = js_sys::Array::new();
    for c in Error::ALL_CODES {
        a.push(&JsValue::from_str(c));
    }
    a.unchecked_into()
}

/// The request JSON of a face SDK command, byte for byte as the Rust core
/// builds it, for target SDK version `sdkVersion` (default `"1.24"`) at
/// `now` (unix seconds).
///
/// # Errors
/// `invalid_input` naming the field, or `sdk_version` for a field the target
/// SDK does not know yet.
#[wasm_bindgen(js_name = buildSdkRequest)]
pub fn build_sdk_request(
    request: JsSdkRequest,
    sdk_version: Option<String>,
    now: f64,
) -> Result<String, JsValue> {
    (|| {
        let req = request_of(request.into())?;
        let target = shapes::sdk_version(sdk_version.as_deref())?;
        req.to_json(target, shapes::unix_time(now)?)
    })()
    .map_err(|e| js_error(&e))
}

/// Check a request's field rules and SDK-version gates without building it.
///
/// # Errors
/// As `buildSdkRequest`.
#[wasm_bindgen(js_name = validateSdkRequest)]
pub fn validate_sdk_request(
    request: JsSdkRequest,
    sdk_version: Option<String>,
) -> Result<(), JsValue> {
    (|| {
        let req = request_of(request.into())?;
        req.validate(shapes::sdk_version(sdk_version.as_deref())?)
    })()
    .map_err(|e| js_error(&e))
}

/// Parse the face SDK's answer to `cmd`.
///
/// # Errors
/// `sdk` when `return_code` is not `SUCCESS` (with `return_code`, `return_msg`,
/// `err_code` and `sdk_class`), `malformed` for a broken answer,
/// `invalid_input` for an unknown `cmd`.
#[wasm_bindgen(js_name = parseSdkResponse)]
pub fn parse_sdk_response(cmd: &str, json: &str) -> Result<JsSdkReply, JsValue> {
    let reply = shapes::cmd(cmd)
        .and_then(|c| SdkReply::parse(c, json.as_bytes()))
        .map_err(|e| js_error(&e))?;
    Ok(out(&ReplyOut::from(reply))?.unchecked_into())
}

/// What an SDK error means for the flow: `consent_refused`, `user_cancel`,
/// `authinfo_expired`, … Takes a thrown error (or its details), or an SDK
/// answer JSON; `undefined` for anything that is not an SDK error.
#[wasm_bindgen]
pub fn classify(error_or_answer: JsErrorOrAnswer) -> JsSdkErrorClass {
    let v: JsValue = error_or_answer.into();
    let e = match v.as_string() {
        Some(json) => SdkReply::parse(Cmd::Init, json.as_bytes()).err(),
        None => from_js::<shapes::FailureIn>("error", v)
            .ok()
            .and_then(|f| f.return_code.is_some().then(|| f.into_sdk("unknown"))),
    };
    let class = e.as_ref().and_then(classify_sdk_error).map(class_name);
    class
        .map_or(JsValue::UNDEFINED, JsValue::from_str)
        .unchecked_into()
}

/// The masked name shown on a kiosk: `张三` → `张*`, `张小三` → `张*三`.
#[wasm_bindgen(js_name = maskName)]
pub fn mask_name_js(name: &str) -> String {
    mask_name(name)
}

/// The masked credential number: 15 characters or more keep the first 3 and
/// last 4 (`110***********1234`), 6-14 the first and last 2 (`E******78`),
/// 4-5 the last one, fewer nothing; never more than half.
#[wasm_bindgen(js_name = maskCredentialId)]
pub fn mask_credential_id_js(id: &str) -> String {
    mask_credential_id(id)
}

/// GB 11643-1999 check of an 18-character resident ID number: shape, birth
/// date, check digit. The answer never repeats the number.
#[wasm_bindgen(js_name = checkResidentId)]
pub fn check_resident_id_js(id: &str) -> Result<JsResidentIdCheck, JsValue> {
    #[derive(Serialize)]
    struct Check {
        valid: bool,
        problem: Option<&'static str>,
        message: Option<&'static str>,
    }
    let c = match check_resident_id(id) {
        Ok(()) => Check {
            valid: true,
            problem: None,
            message: None,
        },
        Err(p) => Check {
            valid: false,
            problem: Some(problem_name(p)),
            message: Some(p.describe()),
        },
    };
    Ok(out(&c)?.unchecked_into())
}

/// Chinese label of a `credential_type` code (`1` → `身份证`).
#[wasm_bindgen(js_name = credentialLabel)]
pub fn credential_label(code: i32) -> String {
    CredentialType::from_code(i64::from(code))
        .label_zh()
        .to_owned()
}

/// The kiosk flow state machine. Feed an event with `handle`, then drain
/// actions with `poll` until it returns `undefined`; or do both with `next`.
/// Answer each action with the event it names, carrying the same `id`.
#[wasm_bindgen(js_name = Flow)]
pub struct JsFlow {
    inner: KioskFlow,
}

fn now_or_clock(now: Option<f64>) -> Result<wxface_core::UnixTime, Error> {
    shapes::unix_time(now.unwrap_or_else(|| js_sys::Date::now() / 1000.0))
}

#[wasm_bindgen(js_class = Flow)]
impl JsFlow {
    /// A machine for `config`, checked up front.
    ///
    /// # Errors
    /// `invalid_input` (also for an unknown field) or `sdk_version`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsFlowConfig) -> Result<JsFlow, JsValue> {
        from_js("config", config.into())
            .and_then(KioskFlow::new)
            .map(|inner| JsFlow { inner })
            .map_err(|e| js_error(&e))
    }

    /// Feed `{type: "start"}` at `now`: the machine asks to initialise the SDK.
    ///
    /// # Errors
    /// `state` when the machine is not uninitialised.
    pub fn start(&mut self, now: f64) -> Result<(), JsValue> {
        shapes::unix_time(now)
            .and_then(|t| self.inner.handle(t, shapes::EventIn::Start))
            .map_err(|e| js_error(&e))
    }

    /// Feed one event at `now` (unix seconds); then drain `poll`.
    ///
    /// # Errors
    /// `state` when the event does not fit the current state or names another
    /// request id (the machine is unchanged); `invalid_input` for a bad event.
    pub fn handle(&mut self, now: f64, event: JsFlowEvent) -> Result<(), JsValue> {
        (|| {
            let t = shapes::unix_time(now)?;
            self.inner.handle(t, from_js("event", event.into())?)
        })()
        .map_err(|e| js_error(&e))
    }

    /// The next action, or `undefined` when there is none.
    pub fn poll(&mut self) -> Result<Option<JsFlowAction>, JsValue> {
        match self.inner.poll() {
            Some(a) => Ok(Some(out(&a)?.unchecked_into())),
            None => Ok(None),
        }
    }

    /// Feed one event and return every action it produced. `now` defaults to
    /// the JS clock.
    ///
    /// # Errors
    /// As `handle`.
    pub fn next(&mut self, event: JsFlowEvent, now: Option<f64>) -> Result<JsFlowActions, JsValue> {
        let actions = (|| {
            let t = now_or_clock(now)?;
            self.inner.next(t, from_js("event", event.into())?)
        })()
        .map_err(|e| js_error(&e))?;
        Ok(out(&actions)?.unchecked_into())
    }

    /// Name of the current state (`ready`, `expect_face_code`, …).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.inner.state_name().to_owned()
    }

    /// Id of the request the machine waits on, if any.
    #[wasm_bindgen(getter)]
    pub fn pending(&self) -> Option<f64> {
        // Ids count up from 1: far below 2^53.
        self.inner.pending().map(|p| p as f64)
    }

    /// Whether a patient's flow is in progress.
    #[wasm_bindgen(getter, js_name = inProgress)]
    pub fn in_progress(&self) -> bool {
        self.inner.in_progress()
    }

    /// Expiry of the cached authinfo (unix seconds), if one is held.
    #[wasm_bindgen(getter, js_name = authinfoExpiresAt)]
    pub fn authinfo_expires_at(&self) -> Option<f64> {
        self.inner.authinfo_expires_at().map(|t| t as f64)
    }

    /// Forget the cached authinfo (e.g. the kiosk moved to another store).
    #[wasm_bindgen(js_name = invalidateAuthinfo)]
    pub fn invalidate_authinfo(&mut self) {
        self.inner.invalidate_authinfo();
    }
}
