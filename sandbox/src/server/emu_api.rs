//! Internal endpoints of the emulated face SDK (`/_emu/…`). Not part of
//! WeChat Pay's API: in real life this traffic runs between the vendor SDK
//! and WeChat's face service.
//!
//! Bodies are JSON. Errors are HTTP 4xx with the SDK's own vocabulary,
//! `{"return_code", "return_msg", "err_code"?}`, which the emulated SDK hands
//! to the kiosk unchanged.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use wxface_core::UnixTime;

use super::{json, App};
use crate::state::{Binding, Consent, FaceSession, Rawdata};
use crate::util::{random_alnum, random_b64, short};

/// `err_code` of an authinfo that does not exist or has expired.
pub(crate) const AUTHINFO_EXPIRED: &str = "271382020";
const AUTHINFO_EXPIRED_MSG: &str = "授权请求信息不存在或者已过期";

fn sdk_error(status: StatusCode, code: &str, msg: &str, err_code: Option<&str>) -> Response<Body> {
    let mut m = Map::new();
    m.insert("return_code".into(), code.into());
    m.insert("return_msg".into(), msg.into());
    if let Some(c) = err_code {
        m.insert("err_code".into(), c.into());
    }
    json(status, &Value::Object(m))
}

fn param_error(msg: &str) -> Response<Body> {
    sdk_error(StatusCode::BAD_REQUEST, "PARAM_ERROR", msg, None)
}

fn expired(why: &str) -> Response<Body> {
    sdk_error(
        StatusCode::CONFLICT,
        "ERROR",
        &format!("{AUTHINFO_EXPIRED_MSG} (sandbox: {why})"),
        Some(AUTHINFO_EXPIRED),
    )
}

fn check_device(device_id: &str) -> bool {
    !device_id.is_empty() && device_id.len() <= 64 && !device_id.chars().any(char::is_control)
}

/// `POST /_emu/rawdata` `{"device_id"}` → `{"rawdata"}`.
#[derive(Deserialize)]
pub(super) struct RawdataReq {
    device_id: String,
}

pub(super) async fn rawdata(State(app): State<App>, Json(req): Json<RawdataReq>) -> Response<Body> {
    if !check_device(&req.device_id) {
        return param_error("device_id 无效");
    }
    let rawdata = random_b64(640);
    let now = app.now();
    let mut s = app.sessions();
    s.prune(now);
    s.rawdata.insert(
        rawdata.clone(),
        Rawdata {
            device: req.device_id,
            issued: now,
        },
    );
    json(StatusCode::OK, &json!({ "rawdata": rawdata }))
}

/// `POST /_emu/recognise`: the parameters of `getWxpayfaceCode` plus the
/// SDK's device, the test person to recognise and, optionally,
/// `openid_with_face_sid` (this emulator's choice over the sandbox's).
#[derive(Deserialize)]
pub(super) struct RecogniseReq {
    device_id: String,
    authinfo: String,
    appid: String,
    mch_id: String,
    #[serde(default)]
    sub_appid: Option<String>,
    #[serde(default)]
    sub_mch_id: Option<String>,
    store_id: String,
    #[serde(default)]
    face_authtype: Option<String>,
    #[serde(default)]
    person: Option<String>,
    /// This emulator's override of the sandbox's `openid_with_face_sid`.
    #[serde(default)]
    openid_with_face_sid: Option<bool>,
}

pub(super) async fn recognise(
    State(app): State<App>,
    Json(req): Json<RecogniseReq>,
) -> Response<Body> {
    let person_key = req
        .person
        .clone()
        .or_else(|| app.config.default_person.clone());
    let person = match &person_key {
        None => 0,
        Some(k) => match app.identities().iter().position(|i| i.key == *k) {
            Some(i) => i,
            None => return param_error("unknown test person (no identity with this key)"),
        },
    };
    let face_auth = match req.face_authtype.as_deref() {
        Some("FACE_AUTH") => true,
        Some("FACEPAY") | None => false,
        Some(_) => return param_error("face_authtype 必须是 FACEPAY 或 FACE_AUTH"),
    };
    let asked = Binding {
        appid: req.appid,
        mch_id: req.mch_id,
        sub_appid: req.sub_appid.filter(|s| !s.is_empty()),
        sub_mch_id: req.sub_mch_id.filter(|s| !s.is_empty()),
        store_id: req.store_id,
    };
    let now = app.now();
    let mut sessions = app.sessions();
    let Some(a) = sessions.authinfo.get(&req.authinfo) else {
        return expired("authinfo unknown");
    };
    if a.expires_at <= now {
        return expired("authinfo expired");
    }
    if a.device != req.device_id {
        return expired("authinfo was issued for another device");
    }
    if let Some(field) = a.binding.mismatch(&asked) {
        return expired(&format!("{field} differs from the authinfo's"));
    }
    let binding = a.binding.clone();
    let Some(who) = app.identities().get(person) else {
        return param_error("unknown test person");
    };
    let with_openid = req
        .openid_with_face_sid
        .unwrap_or(app.config.openid_with_face_sid);
    let mut out = Map::new();
    if face_auth {
        let face_sid = random_alnum(40);
        let sub = binding.sub_appid.is_some();
        sessions.faces.insert(
            face_sid.clone(),
            FaceSession {
                person,
                authinfo: req.authinfo.clone(),
                device: req.device_id.clone(),
                binding,
                consent: Consent::Pending,
                expires_at: now.plus(app.config.face_sid_ttl_secs),
            },
        );
        drop(sessions);
        tracing::info!(
            person = %who.masked().name,
            device = %wxface_core::redact::LogSafe(&req.device_id),
            face_sid = %short(&face_sid),
            "face recognised"
        );
        out.insert("face_sid".into(), face_sid.into());
        if with_openid {
            out.insert("openid".into(), who.openid.as_str().into());
            if sub {
                out.insert("sub_openid".into(), who.sub_openid.as_str().into());
            }
        }
    } else {
        drop(sessions);
        let code = random_alnum(32).to_ascii_lowercase();
        let face_code = format!(
            "{}-{}-{}-{}-{}",
            &code[..8],
            &code[8..12],
            &code[12..16],
            &code[16..20],
            &code[20..32]
        );
        out.insert("face_code".into(), face_code.into());
        out.insert("openid".into(), who.openid.as_str().into());
    }
    json(StatusCode::OK, &Value::Object(out))
}

/// `POST /_emu/auth` `{"device_id", "authinfo", "face_sid", "action"}` with
/// `action` one of `consent`, `refuse`, `quit`.
#[derive(Deserialize)]
pub(super) struct AuthReq {
    device_id: String,
    authinfo: String,
    face_sid: String,
    action: String,
}

pub(super) async fn auth(State(app): State<App>, Json(req): Json<AuthReq>) -> Response<Body> {
    let action = match req.action.as_str() {
        "consent" => Consent::Consented,
        "refuse" => Consent::Refused,
        "quit" => Consent::Quit,
        _ => return param_error("action 必须是 consent, refuse 或 quit"),
    };
    let now = app.now();
    let mut sessions = app.sessions();
    let authinfo_ok = sessions
        .authinfo
        .get(&req.authinfo)
        .is_some_and(|a| a.expires_at > now);
    let Some(s) = sessions.faces.get_mut(&req.face_sid) else {
        return param_error("face_sid 无效 (unknown)");
    };
    if s.authinfo != req.authinfo {
        return param_error("authinfo 与 face_sid 不匹配");
    }
    if s.device != req.device_id {
        return param_error("face_sid 属于另一台设备 (another device)");
    }
    if !authinfo_ok {
        return expired("authinfo expired");
    }
    if s.expires_at <= now || s.expires_at == UnixTime(0) {
        return sdk_error(
            StatusCode::CONFLICT,
            "ERROR",
            "face_sid 已过期 (expired)",
            None,
        );
    }
    match (s.consent, action) {
        (Consent::Pending, a) => s.consent = a,
        (Consent::Consented, Consent::Consented | Consent::Quit) => s.consent = action,
        (Consent::Quit, Consent::Quit) | (Consent::Refused, Consent::Quit) => {
            s.consent = Consent::Quit
        }
        _ => {
            return sdk_error(
                StatusCode::CONFLICT,
                "ERROR",
                "实名认证已结束 (the session is already closed)",
                None,
            )
        }
    }
    let outcome = match s.consent {
        Consent::Consented => "consented",
        Consent::Refused => "refused",
        Consent::Quit => "quit",
        Consent::Pending => "pending",
    };
    tracing::info!(face_sid = %short(&req.face_sid), outcome, "face auth step");
    json(StatusCode::OK, &json!({}))
}
