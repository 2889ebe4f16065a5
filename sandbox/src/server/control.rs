//! Control endpoints (`/_sandbox/…`): fault rules, reset, expiry hooks,
//! masked identities, ids. Not part of WeChat Pay's API.

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json, App};
use crate::faults::{FaultRule, FaultRuleJson};

fn rules_json(app: &App) -> Value {
    let rules: Vec<FaultRuleJson> = app.faults.rules().iter().map(FaultRuleJson::from).collect();
    json!({ "rules": rules, "fired": app.faults.fired() })
}

/// `GET /_sandbox/faults`.
pub(super) async fn list_faults(State(app): State<App>) -> Response<Body> {
    json(StatusCode::OK, &rules_json(&app))
}

/// One rule or a list of rules.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(FaultRuleJson),
    Many(Vec<FaultRuleJson>),
}

/// `POST /_sandbox/faults` with a rule or a list of rules.
pub(super) async fn add_faults(
    State(app): State<App>,
    Json(body): Json<OneOrMany>,
) -> Response<Body> {
    let list = match body {
        OneOrMany::One(r) => vec![r],
        OneOrMany::Many(v) => v,
    };
    let mut rules = Vec::with_capacity(list.len());
    for j in list {
        match FaultRule::try_from(j) {
            Ok(r) => rules.push(r),
            Err(e) => {
                return json(
                    StatusCode::BAD_REQUEST,
                    &json!({"code": "PARAM_ERROR", "message": e}),
                )
            }
        }
    }
    for r in rules {
        if let Err(e) = app.faults.add(r) {
            return json(
                StatusCode::BAD_REQUEST,
                &json!({"code": "PARAM_ERROR", "message": e}),
            );
        }
    }
    json(StatusCode::OK, &rules_json(&app))
}

/// `DELETE /_sandbox/faults`.
pub(super) async fn clear_faults(State(app): State<App>) -> Response<Body> {
    app.faults.clear();
    json(StatusCode::OK, &rules_json(&app))
}

/// `POST /_sandbox/reset`: no faults, no sessions.
pub(super) async fn reset(State(app): State<App>) -> Response<Body> {
    app.reset();
    json(StatusCode::OK, &json!({}))
}

/// `POST /_sandbox/expire` `{"what": "authinfo" | "face_sid" | "all"}`.
#[derive(Deserialize)]
pub(super) struct ExpireReq {
    what: String,
}

pub(super) async fn expire(State(app): State<App>, Json(req): Json<ExpireReq>) -> Response<Body> {
    let mut s = app.sessions();
    let (a, f) = match req.what.as_str() {
        "authinfo" => (s.expire_authinfos(), 0),
        "face_sid" => (0, s.expire_face_sids()),
        "all" => (s.expire_authinfos(), s.expire_face_sids()),
        _ => {
            return json(
                StatusCode::BAD_REQUEST,
                &json!({"code": "PARAM_ERROR", "message": "what must be authinfo, face_sid or all"}),
            )
        }
    };
    json(
        StatusCode::OK,
        &json!({"expired_authinfos": a, "expired_face_sids": f}),
    )
}

/// `GET /_sandbox/identities`: keys, openids and masked values only.
pub(super) async fn identities(State(app): State<App>) -> Response<Body> {
    let list: Vec<Value> = app
        .identities()
        .iter()
        .map(|i| {
            json!({
                "key": i.key,
                "masked": i.masked(),
                "credential_type": i.credential_type,
                "openid": i.openid,
                "sub_openid": i.sub_openid,
                "union_id": i.union_id,
            })
        })
        .collect();
    json(StatusCode::OK, &json!({ "identities": list }))
}

/// `GET /_sandbox/info`: ids and the sandbox's behaviour settings (no keys).
pub(super) async fn info(State(app): State<App>) -> Response<Body> {
    let m = &app.keys.manifest;
    json(
        StatusCode::OK,
        &json!({
            "appid": m.appid,
            "mch_id": m.mch_id,
            "sub_appid": m.sub_appid,
            "sub_mch_id": m.sub_mch_id,
            "merchant_serial": m.merchant_serial,
            "sub_merchant_serial": m.sub_merchant_serial,
            "platform_serial": app.cert_signer.as_ref().map(|s| s.serial()),
            "pub_key_id": app.pub_signer.as_ref().map(|s| s.serial()),
            "padding": app.config.padding.as_str(),
            "real_name_shape": app.config.real_name_shape,
            "platform_keys": app.config.platform_keys,
            "authinfo_ttl_secs": app.config.authinfo_ttl_secs,
            "face_sid_ttl_secs": app.config.face_sid_ttl_secs,
            "openid_with_face_sid": app.config.openid_with_face_sid,
        }),
    )
}

impl super::Inner {
    /// Clear fault rules and every session.
    pub(crate) fn reset(&self) {
        self.faults.clear();
        let mut s = self.sessions();
        *s = crate::state::Sessions::default();
    }
}

/// Body of `POST /_sandbox/sign-answer`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SignAnswer {
    /// The answer body to sign, byte for byte.
    body: String,
    /// HTTP status recorded in the result (default 200).
    #[serde(default)]
    status: Option<u16>,
    /// `Wechatpay-Serial` of the platform key to sign with (certificate
    /// serial or `PUB_KEY_ID_…`); the default platform key without it.
    #[serde(default)]
    serial: Option<String>,
}

/// `POST /_sandbox/sign-answer`: sign an identity-answer body now, with a
/// platform key of this sandbox, and return it in the JSON form a provider
/// forwards to the hospital (`{status, headers, body}`). For tests of the
/// hospital's receiving side with answers the test composed itself (such as
/// independently made ciphertexts).
pub(super) async fn sign_answer(
    State(app): State<App>,
    Json(req): Json<SignAnswer>,
) -> Response<Body> {
    let header = req
        .serial
        .as_deref()
        .and_then(|s| axum::http::HeaderValue::from_str(s).ok());
    if req.serial.is_some() && header.is_none() {
        return json(
            StatusCode::BAD_REQUEST,
            &json!({"code": "PARAM_ERROR", "message": "serial is not a header value"}),
        );
    }
    let signer = match app.requested_signer(header.as_ref()) {
        Ok(s) => s,
        Err(()) => {
            return json(
                StatusCode::BAD_REQUEST,
                &json!({"code": "PARAM_ERROR", "message": "serial names no platform key of this sandbox"}),
            )
        }
    };
    let nonce = crate::util::random_alnum(32);
    match signer.sign(req.body.as_bytes(), app.now(), &nonce) {
        Ok(headers) => {
            let headers: serde_json::Map<String, Value> = headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            json(
                StatusCode::OK,
                &json!({"status": req.status.unwrap_or(200), "headers": headers, "body": req.body}),
            )
        }
        Err(_) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"code": "SYSTEM_ERROR", "message": "signing failed"}),
        ),
    }
}
