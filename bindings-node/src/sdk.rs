//! `sdk.*`: face SDK request builders and response parsers.
//!
//! Requests come out as the exact JSON the vendor SDK takes; responses are
//! parsed into the core's records, and an answer other than `SUCCESS` throws
//! an `SdkError` carrying `returnCode`, `returnMsg` and `errCode`. The
//! request and reply records (`sdk.InitRequestInit`, `sdk.FaceCodeRequestInit`,
//! `sdk.AuthRequestInit`, `sdk.SdkReply`) are the core's serde records in
//! camelCase, passed through [`crate::record`]; their TypeScript types are in
//! `index.d.ts`.

use napi::bindgen_prelude::Either;
use napi::Env;
use napi_derive::napi;
use serde_json::Value;
use wxface_core::sdk::{self, Cmd, SdkRequest, SdkVersion};
use wxface_core::{model, Error};

use crate::error::js;
use crate::record;
use crate::runtime::now_or;

/// Options of every request builder.
#[napi(object, namespace = "sdk")]
#[derive(Default)]
pub struct RequestOptions {
    /// The request's `now` in unix seconds (default: the system clock).
    pub now: Option<f64>,
    /// The terminal's face SDK version, e.g. `"1.24"` (default `"1.24"`):
    /// a field it does not know yet is refused with `SdkVersionError`.
    pub sdk_version: Option<String>,
}

/// The fields of an SDK error, as carried by `SdkError` (which can be
/// passed as is).
#[napi(object, namespace = "sdk")]
pub struct SdkErrorFields {
    /// `return_code` (required by `errorResponse`).
    pub return_code: Option<String>,
    /// `return_msg`
    pub return_msg: Option<String>,
    /// `err_code`
    pub err_code: Option<String>,
}

fn version(v: Option<&str>) -> Result<SdkVersion, Error> {
    v.map_or(Ok(SdkVersion::default()), str::parse)
}

fn build(req: SdkRequest, opts: Option<RequestOptions>) -> Result<String, Error> {
    let opts = opts.unwrap_or_default();
    let target = version(opts.sdk_version.as_deref())?;
    req.to_json(target, now_or(opts.now)?)
}

/// `initWxpayface` request JSON. The settings: `sdk.InitRequestInit`.
///
/// Throws `InvalidInputError`, `SdkVersionError`.
#[napi(
    namespace = "sdk",
    js_name = "initRequest",
    ts_args_type = "init?: InitRequestInit | undefined | null, options?: RequestOptions | undefined | null"
)]
pub fn init_request_json(
    env: Env,
    init: Option<Value>,
    options: Option<RequestOptions>,
) -> napi::Result<String> {
    init.map_or_else(
        || Ok(model::InitSettings::default()),
        |v| record::from_js("init", v),
    )
    .and_then(|s| s.to_request())
    .and_then(|r| build(SdkRequest::Init(r), options))
    .map_err(|e| js(&env, e))
}

/// `getWxpayfaceRawdata` request JSON.
#[napi(namespace = "sdk", js_name = "rawdataRequest")]
pub fn rawdata_request_json(env: Env, options: Option<RequestOptions>) -> napi::Result<String> {
    build(SdkRequest::GetRawdata, options).map_err(|e| js(&env, e))
}

/// `getWxpayfaceCode` request JSON (`faceAuthtype` defaults to `FACE_AUTH`).
/// The request is the core's record in camelCase (`sdk.FaceCodeRequestInit`).
///
/// Throws `InvalidInputError`, `SdkVersionError`.
#[napi(
    namespace = "sdk",
    js_name = "faceCodeRequest",
    ts_args_type = "request: FaceCodeRequestInit, options?: RequestOptions | undefined | null"
)]
pub fn face_code_request_json(
    env: Env,
    request: Value,
    options: Option<RequestOptions>,
) -> napi::Result<String> {
    record::from_js("request", request)
        .and_then(|r| build(SdkRequest::GetFaceCode(r), options))
        .map_err(|e| js(&env, e))
}

/// `getWxpayAuth` request JSON: ask consent, or quit (`quit: true`). The
/// request is the core's record in camelCase (`sdk.AuthRequestInit`).
///
/// Throws `InvalidInputError`, `SdkVersionError` (`quit` before SDK 1.20).
#[napi(
    namespace = "sdk",
    js_name = "authRequest",
    ts_args_type = "request: AuthRequestInit, options?: RequestOptions | undefined | null"
)]
pub fn auth_request_json(
    env: Env,
    request: Value,
    options: Option<RequestOptions>,
) -> napi::Result<String> {
    record::from_js("request", request)
        .and_then(|r| build(SdkRequest::GetAuth(r), options))
        .map_err(|e| js(&env, e))
}

/// `releaseWxpayface` request JSON.
#[napi(namespace = "sdk", js_name = "releaseRequest")]
pub fn release_request_json(env: Env, options: Option<RequestOptions>) -> napi::Result<String> {
    build(SdkRequest::Release, options).map_err(|e| js(&env, e))
}

fn text(json: Either<String, napi::bindgen_prelude::Buffer>) -> Vec<u8> {
    match json {
        Either::A(s) => s.into_bytes(),
        Either::B(b) => b.to_vec(),
    }
}

/// Parse the SDK's answer to `cmd` (e.g. `"getWxpayfaceCode"`): an
/// `sdk.SdkReply`, with `cmd`.
///
/// Throws `SdkError` when `return_code` is not `SUCCESS`; `MalformedError` for a
/// broken answer; `InvalidInputError` for an unknown command.
#[napi(
    namespace = "sdk",
    js_name = "parseResponse",
    ts_return_type = "SdkReply"
)]
pub fn parse_response(
    env: Env,
    cmd: String,
    json: Either<String, napi::bindgen_prelude::Buffer>,
) -> napi::Result<Value> {
    let parsed = cmd
        .parse::<Cmd>()
        .and_then(|c| sdk::SdkReply::parse(c, &text(json)).map(|r| (c, r)));
    let (cmd, reply) = parsed.map_err(|e| js(&env, e))?;
    let mut out = record::to_js(&model::SdkReply::from(reply));
    if let Value::Object(m) = &mut out {
        m.insert("cmd".into(), cmd.as_str().into());
    }
    Ok(out)
}

/// What an SDK error means for the flow: `"consent_refused"`,
/// `"user_cancel"`, `"authinfo_expired"`, `"not_initialised"`,
/// `"initialising"`, `"scan_instead"` or `"other"`.
#[napi(namespace = "sdk", js_name = "classifyError")]
pub fn classify_error(error: SdkErrorFields) -> String {
    let e = Error::Sdk {
        cmd: String::new(),
        return_code: error.return_code.unwrap_or_default(),
        return_msg: error.return_msg.unwrap_or_default(),
        err_code: error.err_code,
    };
    sdk::classify_sdk_error(&e)
        .unwrap_or(sdk::SdkErrorClass::Other)
        .as_str()
        .to_owned()
}

/// An SDK error answer as the SDK sends it (for stand-ins written in JS).
///
/// Throws `InvalidInputError` without `returnCode`.
#[napi(namespace = "sdk", js_name = "errorResponse")]
pub fn error_response(env: Env, error: SdkErrorFields) -> napi::Result<String> {
    let code = error
        .return_code
        .ok_or_else(|| js(&env, Error::invalid("return_code", "is required")))?;
    Ok(sdk::sdk_error_json(
        &code,
        error.return_msg.as_deref().unwrap_or_default(),
        error.err_code.as_deref(),
    ))
}

/// A parsed SDK request (the SDK's side; for stand-ins written in JS).
#[napi(object, namespace = "sdk")]
pub struct ParsedRequest {
    /// The command.
    pub cmd: String,
    /// The request's `now`, unix seconds.
    pub now: f64,
    /// The command's fields in snake_case, as the core's typed form.
    pub fields: serde_json::Value,
}

/// Parse a request as the SDK receives it.
///
/// Throws `MalformedError`, `InvalidInputError`.
#[napi(namespace = "sdk", js_name = "parseRequest")]
pub fn parse_request(
    env: Env,
    json: Either<String, napi::bindgen_prelude::Buffer>,
) -> napi::Result<ParsedRequest> {
    let (req, now) = SdkRequest::parse(&text(json)).map_err(|e| js(&env, e))?;
    let mut fields = serde_json::to_value(&req).unwrap_or_default();
    if let Some(m) = fields.as_object_mut() {
        m.remove("cmd");
    }
    Ok(ParsedRequest {
        cmd: req.cmd().as_str().to_owned(),
        now: now.as_secs() as f64,
        fields,
    })
}
