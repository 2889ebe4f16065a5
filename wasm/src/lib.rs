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
//! * functions and methods are camelCase; data objects are the records of
//!   [`wxface_core::model`] as plain objects, snake_case as on the wire and
//!   in the merchant API;
//! * times are unix **seconds** (the protocol's 10-digit `now`);
//! * errors are thrown as instances of the generated classes of
//!   `js/errors.js` (`InvalidInputError`, `SdkError`, `StateError`, … all
//!   `WxfaceError`s), built by its `fromInfo` from the core's
//!   [`ErrorInfo`](wxface_core::error::ErrorInfo): `code`, `kind`,
//!   `message`, `retryable` and the details as camelCase properties. No
//!   error carries personal data.
//!
//! The flow is driven as in the core: feed an event, then drain actions.
//!
//! ```js
//! const flow = new Flow({ appid, mch_id, store_id });
//! for (const a of flow.next({ type: "start" }, now)) { /* call_sdk … */ }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod merchant;

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wxface_core::flow::{self, Flow};
use wxface_core::model::{self, Action, Event, Failure, KioskConfig, ResidentIdCheck, SdkReply};
use wxface_core::realname::{mask_credential_id, mask_name, CredentialType};
use wxface_core::sdk::{self, classify_sdk_error, Cmd, SdkRequest, SdkVersion};
use wxface_core::{Error, UnixTime};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
import type { AnyWxfaceError, ErrorCode, ErrorInfo, ErrorKind, WxfaceError } from "./errors.js";
/** The error types (`js/errors.d.ts`); the classes themselves are in `@wxface/wasm/errors`. */
export type { AnyWxfaceError, ErrorCode, ErrorInfo, ErrorKind, WxfaceError } from "./errors.js";

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

/** What an SDK error means for the flow. */
export type SdkErrorClass =
  | "user_cancel" | "consent_refused" | "authinfo_expired" | "not_initialised" | "initialising" | "scan_instead" | "other";

/** The kiosk's flow configuration. There is no field for a secret: the kiosk holds none. */
export interface KioskConfig {
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
export interface Recognised { face_sid: string; openid: string | null; sub_openid: string | null }

/** How an HTTP call failed. */
export type TransportKind = "connect" | "timeout" | "interrupted" | "protocol" | "other" | "rate_limited";

/**
 * A failure the driver saw: an error record (a merchant server's error body, the `info()` of a caught
 * `WxfaceError`; `code` is one of `ErrorCode`), or the driver's own description (`code` the peer's own
 * code or absent: no code is a transport failure of a merchant call, `CALL_FAILED` of an SDK call).
 */
export interface Failure {
  code?: string; message?: string; status?: number; return_code?: string; return_msg?: string; err_code?: string | number;
  wechat_code?: string; wechat_message?: string; transport_kind?: TransportKind; field?: string;
}

/** An event for `Flow.handle` / `Flow.next`. Extra fields are ignored. */
export type FlowEvent =
  | { type: "start" } | { type: "begin" } | { type: "cancel" } | { type: "shutdown" }
  | { type: "sdk_answer"; id: number; json: string }
  | { type: "sdk_call_failed"; id: number; error?: Failure | ErrorInfo | WxfaceError }
  | { type: "authinfo"; id: number; authinfo: string; expires_at?: number; expires_in?: number }
  | { type: "verified_checked"; id: number; already_verified: boolean }
  | { type: "real_name"; id: number; identity: MaskedIdentity }
  | { type: "backend_failed"; id: number; error?: Failure | ErrorInfo | WxfaceError }
  | { type: "late_sdk_answer"; request: string; json: string };

/** A merchant-server request of the kiosk API (`docs/merchant-api.md`): POST `body` (JSON) to the server's base URL + `path`. */
export interface MerchantRequest { path: "/kiosk/authinfo" | "/kiosk/verified" | "/kiosk/real-name"; body: string }

/** A step of the flow, for progress displays. */
export type Step =
  | "initialising" | "reading_rawdata" | "fetching_authinfo" | "recognising" | "checking_verified"
  | "asking_consent" | "quitting" | "fetching_real_name" | "releasing";

/** How a step ended. */
export type StepStatus = "ok" | "error" | "cancelled";

/** How a patient's flow ended. */
export type Outcome =
  | { outcome: "verified"; who: Recognised; identity: MaskedIdentity }
  | { outcome: "already_verified"; who: Recognised }
  | { outcome: "consent_refused"; who: Recognised }
  | { outcome: "cancelled" }
  | { outcome: "failed"; step: Step; error: ErrorInfo };

/** What the flow asks its driver to do. */
export type FlowAction =
  | { type: "step_started"; step: Step }
  | { type: "step_finished"; step: Step; status: StepStatus; error?: ErrorInfo }
  | { type: "call_sdk"; id: number; cmd: SdkCmd; json: string }
  | { type: "fetch_authinfo"; id: number; rawdata: string; refresh: boolean }
  | { type: "check_verified"; id: number; who: Recognised }
  | { type: "fetch_real_name"; id: number; face_sid: string }
  | { type: "ready" }
  | ({ type: "done" } & Outcome)
  | { type: "released"; error?: ErrorInfo };

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
    /// `KioskConfig` in TypeScript.
    #[wasm_bindgen(typescript_type = "KioskConfig")]
    pub type JsKioskConfig;
    /// `FlowEvent` in TypeScript.
    #[wasm_bindgen(typescript_type = "FlowEvent")]
    pub type JsFlowEvent;
    /// `MerchantRequest` in TypeScript.
    #[wasm_bindgen(typescript_type = "MerchantRequest")]
    pub type JsMerchantRequest;
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
    #[wasm_bindgen(typescript_type = "ErrorCode[]")]
    pub type JsErrorCodes;
    /// `SdkErrorClass | undefined` in TypeScript.
    #[wasm_bindgen(typescript_type = "SdkErrorClass | undefined")]
    pub type JsSdkErrorClass;
    /// A thrown error, its record, a driver's failure, or an SDK answer JSON.
    #[wasm_bindgen(typescript_type = "WxfaceError | ErrorInfo | Failure | string")]
    pub type JsErrorOrAnswer;
}

// The generated error classes (`cargo xtask gen`): every thrown error is an
// instance of the class of its kind, so `instanceof` works for the users of
// `@wxface/wasm/errors` (the same module the glue imports).
#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = fromInfo)]
    fn from_info(info: JsValue) -> JsValue;
}

/// The one conversion of a core error into a thrown JS error.
fn js_error(e: &Error) -> JsValue {
    match to_js(&e.info()) {
        Ok(info) => from_info(info),
        Err(_) => js_sys::Error::new(&e.to_string()).into(),
    }
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
}

fn out<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    to_js(v).map_err(|e| js_error(&Error::invalid("result", e.to_string())))
}

/// A JS value as JSON: every own enumerable field is seen, so unknown fields
/// can be refused exactly as the Rust core refuses them.
fn json_of(field: &str, v: JsValue) -> Result<serde_json::Value, Error> {
    serde_wasm_bindgen::from_value(v)
        .map_err(|e| Error::invalid(field, wxface_core::redact::serde_message(&e.to_string())))
}

fn from_js<T: DeserializeOwned>(field: &str, v: JsValue) -> Result<T, Error> {
    serde_json::from_value(json_of(field, v)?)
        .map_err(|e| Error::invalid(field, wxface_core::redact::serde_message(&e.to_string())))
}

/// The record of an error object: `info()` of a `WxfaceError`, `{message}`
/// of another JS `Error` (whose own properties are not enumerable); any
/// other value as it is.
fn record_of(v: JsValue) -> JsValue {
    if let Ok(info) = js_sys::Reflect::get(&v, &JsValue::from_str("info")) {
        if let Some(f) = info.dyn_ref::<js_sys::Function>() {
            if let Ok(r) = f.call0(&v) {
                return r;
            }
        }
    }
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str("message"), &e.message());
        return o.into();
    }
    v
}

/// An event, its `error` (a caught `WxfaceError`, another JS `Error`) as a
/// record.
fn event_of(v: JsValue) -> Result<Event, Error> {
    let key = JsValue::from_str("error");
    let error = js_sys::Reflect::get(&v, &key).unwrap_or(JsValue::UNDEFINED);
    let v = if error.is_object() {
        let copy = js_sys::Object::assign(&js_sys::Object::new(), v.unchecked_ref());
        let _ = js_sys::Reflect::set(&copy, &key, &record_of(error));
        copy.into()
    } else {
        v
    };
    from_js("event", v)
}

fn request_of(request: JsValue) -> Result<SdkRequest, Error> {
    SdkRequest::from_object(json_of("request", request)?)
}

fn sdk_version(v: Option<&str>) -> Result<SdkVersion, Error> {
    v.map_or(Ok(SdkVersion::default()), str::parse)
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Every error `code` this package can throw (the core's catalogue), for
/// drift tests.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> JsErrorCodes {
    let a = js_sys::Array::new();
    for c in wxface_core::error::codes() {
        a.push(&JsValue::from_str(c));
    }
    a.unchecked_into()
}

/// The request JSON of a face SDK command, byte for byte as the Rust core
/// builds it, for target SDK version `sdkVersion` (default `"1.24"`) at
/// `now` (unix seconds).
///
/// # Errors
/// `InvalidInputError` naming the field, or `SdkVersionError` for a field
/// the target SDK does not know yet.
#[wasm_bindgen(js_name = buildSdkRequest)]
pub fn build_sdk_request(
    request: JsSdkRequest,
    sdk_version: Option<String>,
    now: f64,
) -> Result<String, JsValue> {
    (|| {
        let req = request_of(request.into())?;
        let target = self::sdk_version(sdk_version.as_deref())?;
        req.to_json(target, model::unix_time(now)?)
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
        req.validate(self::sdk_version(sdk_version.as_deref())?)
    })()
    .map_err(|e| js_error(&e))
}

/// Parse the face SDK's answer to `cmd`.
///
/// # Errors
/// `SdkError` when `return_code` is not `SUCCESS` (with `returnCode`,
/// `returnMsg`, `errCode`; `classify` it), `MalformedError` for a broken
/// answer, `InvalidInputError` for an unknown `cmd`.
#[wasm_bindgen(js_name = parseSdkResponse)]
pub fn parse_sdk_response(cmd: &str, json: &str) -> Result<JsSdkReply, JsValue> {
    let reply = cmd
        .parse::<Cmd>()
        .and_then(|c| sdk::SdkReply::parse(c, json.as_bytes()))
        .map_err(|e| js_error(&e))?;
    Ok(out(&SdkReply::from(reply))?.unchecked_into())
}

/// What an SDK error means for the flow: `consent_refused`, `user_cancel`,
/// `authinfo_expired`, … Takes a thrown error, an error record (the `error`
/// of a failed outcome or step), a driver's failure, or an SDK answer JSON;
/// `undefined` for anything that is not an SDK error.
#[wasm_bindgen]
pub fn classify(error_or_answer: JsErrorOrAnswer) -> JsSdkErrorClass {
    let v: JsValue = error_or_answer.into();
    let e = match v.as_string() {
        Some(json) => sdk::SdkReply::parse(Cmd::Init, json.as_bytes()).err(),
        None => from_js::<Failure>("error", record_of(v))
            .ok()
            .filter(|f| f.return_code.is_some())
            .map(Failure::into_sdk_error),
    };
    let class = e.as_ref().and_then(classify_sdk_error).map(|c| c.as_str());
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
    Ok(out(&ResidentIdCheck::of(id))?.unchecked_into())
}

/// Chinese label of a `credential_type` code (`1` → `身份证`).
#[wasm_bindgen(js_name = credentialLabel)]
pub fn credential_label(code: i32) -> String {
    CredentialType::from_code(i64::from(code))
        .label_zh()
        .to_owned()
}

/// The request of a merchant request action (`fetch_authinfo`,
/// `check_verified`, `fetch_real_name`): `{path, body}` as the kiosk API
/// defines them, with the kiosk's `deviceId` and `storeId`.
///
/// # Errors
/// `invalid_input` for another action.
#[wasm_bindgen(js_name = merchantRequest)]
pub fn merchant_request(
    action: JsFlowAction,
    device_id: &str,
    store_id: Option<String>,
) -> Result<JsMerchantRequest, JsValue> {
    #[derive(Serialize)]
    struct Request {
        path: &'static str,
        body: String,
    }
    let (path, body) = json_of("action", action.into())
        .and_then(|a| merchant::request_of(&a, device_id, store_id.as_deref()))
        .map_err(|e| js_error(&e))?;
    let body = String::from_utf8(body).unwrap_or_default();
    Ok(out(&Request { path, body })?.unchecked_into())
}

/// The event that answers a merchant request action, from the server's
/// answer (HTTP `status` and body text) at `now` (default: the JS clock):
/// `authinfo`, `verified_checked` or `real_name`, or `backend_failed` whose
/// `error` is the error record (the server's error body; a `transport` error
/// for an answer that is not the kiosk API; `malformed` for an identity that
/// is not masked).
///
/// # Errors
/// `invalid_input` for an action that is not a merchant request.
#[wasm_bindgen(js_name = merchantAnswer)]
pub fn merchant_answer(
    action: JsFlowAction,
    status: u16,
    body: &str,
    now: Option<f64>,
) -> Result<JsFlowEvent, JsValue> {
    let event = (|| {
        let action = json_of("action", action.into())?;
        merchant::answer_event(&action, status, body.as_bytes(), now_or_clock(now)?)
    })()
    .map_err(|e| js_error(&e))?;
    Ok(out(&event)?.unchecked_into())
}

/// The event for a merchant request that got no answer: `backend_failed`
/// with a `transport` error of `transportKind` (`connect`, `timeout`,
/// `interrupted`, `protocol`, `other`) and `message` (no URL, no data).
///
/// # Errors
/// `invalid_input` for an action without `id` or an unknown kind.
#[wasm_bindgen(js_name = merchantFailure)]
pub fn merchant_failure(
    action: JsFlowAction,
    transport_kind: &str,
    message: &str,
) -> Result<JsFlowEvent, JsValue> {
    let event = (|| {
        let action = json_of("action", action.into())?;
        let id = action
            .get("id")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| Error::invalid("action.id", "is required"))?;
        let kind = transport_kind.parse()?;
        let message: String = message
            .chars()
            .take(wxface_core::kiosk_api::MAX_MESSAGE_CHARS)
            .collect();
        Ok::<_, Error>(merchant::failed_event(id, &Error::transport(kind, message)))
    })()
    .map_err(|e| js_error(&e))?;
    Ok(out(&event)?.unchecked_into())
}

/// The kiosk flow state machine. Feed an event with `handle`, then drain
/// actions with `poll` until it returns `undefined`; or do both with `next`.
/// Answer each action with the event it names, carrying the same `id`.
#[wasm_bindgen(js_name = Flow)]
pub struct JsFlow {
    inner: Flow,
}

fn now_or_clock(now: Option<f64>) -> Result<UnixTime, Error> {
    model::unix_time(now.unwrap_or_else(|| js_sys::Date::now() / 1000.0))
}

impl JsFlow {
    fn feed(&mut self, now: UnixTime, event: JsValue) -> Result<(), Error> {
        let event = event_of(event)?.into_flow_event(now)?;
        self.inner.handle(now, event)
    }
}

#[wasm_bindgen(js_class = Flow)]
impl JsFlow {
    /// A machine for `config`, checked up front.
    ///
    /// # Errors
    /// `InvalidInputError` (also for an unknown field) or `SdkVersionError`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsKioskConfig) -> Result<JsFlow, JsValue> {
        from_js::<KioskConfig>("config", config.into())
            .and_then(|c| c.to_flow_config())
            .and_then(Flow::new)
            .map(|inner| JsFlow { inner })
            .map_err(|e| js_error(&e))
    }

    /// Feed `{type: "start"}` at `now`: the machine asks to initialise the SDK.
    ///
    /// # Errors
    /// `StateError` when the machine is not uninitialised.
    pub fn start(&mut self, now: f64) -> Result<(), JsValue> {
        model::unix_time(now)
            .and_then(|t| self.inner.handle(t, flow::Event::Start))
            .map_err(|e| js_error(&e))
    }

    /// Feed one event at `now` (unix seconds); then drain `poll`.
    ///
    /// # Errors
    /// `StateError` when the event does not fit the current state or names
    /// another request id (the machine is unchanged); `InvalidInputError`
    /// for a bad event.
    pub fn handle(&mut self, now: f64, event: JsFlowEvent) -> Result<(), JsValue> {
        model::unix_time(now)
            .and_then(|t| self.feed(t, event.into()))
            .map_err(|e| js_error(&e))
    }

    /// The next action, or `undefined` when there is none.
    pub fn poll(&mut self) -> Result<Option<JsFlowAction>, JsValue> {
        match self.inner.poll_action() {
            Some(a) => Ok(Some(out(&Action::from(a))?.unchecked_into())),
            None => Ok(None),
        }
    }

    /// Feed one event and return every action it produced. `now` defaults to
    /// the JS clock.
    ///
    /// # Errors
    /// As `handle`.
    pub fn next(&mut self, event: JsFlowEvent, now: Option<f64>) -> Result<JsFlowActions, JsValue> {
        now_or_clock(now)
            .and_then(|t| self.feed(t, event.into()))
            .map_err(|e| js_error(&e))?;
        let actions: Vec<Action> = std::iter::from_fn(|| self.inner.poll_action())
            .map(Action::from)
            .collect();
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
        self.inner.pending().map(|p| p.0 as f64)
    }

    /// Whether a patient's flow is in progress.
    #[wasm_bindgen(getter, js_name = inProgress)]
    pub fn in_progress(&self) -> bool {
        self.inner.in_progress()
    }

    /// Expiry of the cached authinfo (unix seconds), if one is held.
    #[wasm_bindgen(getter, js_name = authinfoExpiresAt)]
    pub fn authinfo_expires_at(&self) -> Option<f64> {
        self.inner.authinfo_expires_at().map(|t| t.as_secs() as f64)
    }

    /// Forget the cached authinfo (e.g. the kiosk moved to another store).
    #[wasm_bindgen(js_name = invalidateAuthinfo)]
    pub fn invalidate_authinfo(&mut self) {
        self.inner.invalidate_authinfo();
    }
}
