//! The merchant server's answers, decoded by the core's kiosk API
//! ([`wxface_core::kiosk_api`]) into the events that answer the flow's
//! request actions. A JS driver only does the `fetch`: status and body text
//! go in, the event comes out, so the error body, the size limit, the
//! masked-identity check and the authinfo expiry are the ones every other
//! kiosk uses.

use serde_json::{json, Value};
use wxface_core::kiosk_api::{
    self, AuthinfoAnswer, AuthinfoRequest, RealNameAnswer, RealNameRequest, VerifiedAnswer,
    VerifiedRequest,
};
use wxface_core::{Error, UnixTime};

/// The request of a request action (`fetch_authinfo`, `check_verified`,
/// `fetch_real_name`): its path and body, with `device_id` and the optional
/// `store_id` of the kiosk's configuration.
///
/// # Errors
/// `invalid_input` for another action or one without its fields.
pub fn request_of(
    action: &Value,
    device_id: &str,
    store_id: Option<&str>,
) -> Result<(&'static str, Vec<u8>), Error> {
    let str_field = |name: &str| {
        action
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::invalid(format!("action.{name}"), "is required"))
    };
    match action_type(action)? {
        "fetch_authinfo" => {
            let request = AuthinfoRequest {
                refresh: action.get("refresh").and_then(Value::as_bool) == Some(true),
                store_id: store_id.map(str::to_owned),
                ..AuthinfoRequest::new(str_field("rawdata")?, device_id)
            };
            Ok((
                kiosk_api::AUTHINFO_PATH,
                kiosk_api::encode_authinfo_request(&request),
            ))
        }
        "check_verified" => {
            let who = action
                .get("who")
                .cloned()
                .ok_or_else(|| Error::invalid("action.who", "is required"))?;
            let request: VerifiedRequest = wxface_core::redact::from_value("action.who", who)?;
            Ok((
                kiosk_api::VERIFIED_PATH,
                kiosk_api::encode_verified_request(&request),
            ))
        }
        "fetch_real_name" => {
            let request = RealNameRequest {
                face_sid: str_field("face_sid")?,
                device_id: device_id.to_owned(),
            };
            Ok((
                kiosk_api::REAL_NAME_PATH,
                kiosk_api::encode_real_name_request(&request),
            ))
        }
        _ => Err(not_a_request()),
    }
}

/// The event that answers request action `action` (`fetch_authinfo`,
/// `check_verified`, `fetch_real_name`, with its `id`), from the merchant
/// server's answer `status` and `body` received at `now`:
///
/// | answer | event |
/// |---|---|
/// | authinfo | `{type: "authinfo", id, authinfo, expires_at}` (the expiry on this kiosk's clock) |
/// | verified | `{type: "verified_checked", id, already_verified}` |
/// | real name (masked) | `{type: "real_name", id, identity, patient_id?}` |
/// | anything refused | `{type: "backend_failed", id, error}`, `error` the error record |
///
/// # Errors
/// `invalid_input` for an action that is not a merchant request, or has no
/// `id`.
pub fn answer_event(
    action: &Value,
    status: u16,
    body: &[u8],
    now: UnixTime,
) -> Result<Value, Error> {
    let id = action
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::invalid("action.id", "is required"))?;
    let event = match action_type(action)? {
        "fetch_authinfo" => kiosk_api::decode_answer::<AuthinfoAnswer>(status, body).and_then(|a| {
            let expiry = a.expiry(now)?;
            Ok(json!({
                "type": "authinfo", "id": id, "authinfo": a.authinfo,
                "expires_at": expiry.expires_at.as_secs(),
            }))
        }),
        "check_verified" => kiosk_api::decode_answer::<VerifiedAnswer>(status, body).map(|a| {
            json!({"type": "verified_checked", "id": id, "already_verified": a.already_verified})
        }),
        "fetch_real_name" => kiosk_api::decode_answer::<RealNameAnswer>(status, body).map(|a| {
            let mut event = json!({"type": "real_name", "id": id, "identity": a.identity});
            if let Some(p) = a.patient_id {
                event["patient_id"] = Value::String(p);
            }
            event
        }),
        _ => return Err(not_a_request()),
    };
    Ok(event.unwrap_or_else(|e| failed_event(id, &e)))
}

/// `{type: "backend_failed", id, error}` with the error record of `e`.
pub fn failed_event(id: u64, e: &Error) -> Value {
    json!({"type": "backend_failed", "id": id, "error": e.info()})
}

fn action_type(action: &Value) -> Result<&str, Error> {
    action
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid("action.type", "is required"))
}

fn not_a_request() -> Error {
    Error::invalid(
        "action.type",
        "is not a merchant request (fetch_authinfo, check_verified, fetch_real_name)",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use wxface_core::error::TransportKind;

    const NOW: UnixTime = UnixTime(1_700_000_000);

    fn text(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn requests_are_the_core_bodies() {
        let (path, body) = request_of(
            &json!({"type": "fetch_authinfo", "id": 1, "rawdata": "RAW", "refresh": true}),
            "KIOSK-01",
            Some("S1"),
        )
        .unwrap();
        assert_eq!(path, "/kiosk/authinfo");
        assert_eq!(
            text(&body),
            r#"{"rawdata":"RAW","device_id":"KIOSK-01","refresh":true,"store_id":"S1"}"#
        );
        let (path, body) = request_of(
            &json!({"type": "check_verified", "id": 2,
                    "who": {"face_sid": "sid", "openid": null, "sub_openid": "so"}}),
            "K",
            None,
        )
        .unwrap();
        assert_eq!(path, "/kiosk/verified");
        assert_eq!(
            text(&body),
            r#"{"openid":null,"sub_openid":"so","face_sid":"sid"}"#
        );
        let (path, body) = request_of(
            &json!({"type": "fetch_real_name", "id": 3, "face_sid": "sid"}),
            "K",
            None,
        )
        .unwrap();
        assert_eq!(path, "/kiosk/real-name");
        assert_eq!(text(&body), r#"{"face_sid":"sid","device_id":"K"}"#);
        assert_eq!(
            request_of(&json!({"type": "ready"}), "K", None)
                .unwrap_err()
                .code(),
            "invalid_input"
        );
    }

    #[test]
    fn answers_become_their_events() {
        let fetch = json!({"type": "fetch_authinfo", "id": 4, "rawdata": "R", "refresh": false});
        let e = answer_event(
            &fetch,
            200,
            br#"{"authinfo":"AI","expires_in":7200,"expires_at":1}"#,
            NOW,
        )
        .unwrap();
        // `expires_in` on this kiosk's clock wins over the server's `expires_at`.
        assert_eq!(
            e,
            json!({"type": "authinfo", "id": 4, "authinfo": "AI", "expires_at": NOW.as_secs() + 7200})
        );
        let e = answer_event(
            &json!({"type": "check_verified", "id": 5}),
            200,
            br#"{"already_verified":true}"#,
            NOW,
        )
        .unwrap();
        assert_eq!(
            e,
            json!({"type": "verified_checked", "id": 5, "already_verified": true})
        );
        let body = r#"{"identity":{"name":"张*三","credential_type":1,"credential_id":"110***********1234"},"patient_id":"P1"}"#;
        let e = answer_event(
            &json!({"type": "fetch_real_name", "id": 6}),
            200,
            body.as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(
            e,
            json!({"type": "real_name", "id": 6, "patient_id": "P1",
                   "identity": {"name": "张*三", "credential_type": 1, "credential_id": "110***********1234"}})
        );
    }

    #[test]
    fn refusals_become_backend_failed_with_the_error_record() {
        let real = json!({"type": "fetch_real_name", "id": 7});
        // A WeChat error relayed by the server.
        let (status, body) = kiosk_api::error_answer(&Error::Backend {
            status: Some(500),
            code: "SYSTEM_ERROR".into(),
            message: "busy".into(),
            detail: None,
            request_id: None,
        });
        let e = answer_event(&real, status, &body, NOW).unwrap();
        assert_eq!(e["type"], "backend_failed");
        assert_eq!(e["id"], 7);
        assert_eq!(e["error"]["code"], "backend");
        assert_eq!(e["error"]["wechat_code"], "SYSTEM_ERROR");
        assert_eq!(e["error"]["status"], 500);
        assert_eq!(e["error"]["retryable"], true);
        // A kiosk without a live device credential: the server's 401.
        let (status, body) = kiosk_api::error_answer(&Error::Unauthenticated(
            "the device credential is not known".into(),
        ));
        assert_eq!(status, 401);
        let e = answer_event(&real, status, &body, NOW).unwrap();
        assert_eq!(e["type"], "backend_failed");
        assert_eq!(e["error"]["code"], "unauthenticated");
        assert_eq!(e["error"]["retryable"], false);
        // The server's rate limit: 429, retryable.
        let (status, body) = kiosk_api::error_answer(&Error::transport(
            TransportKind::RateLimited,
            "the merchant server's rate limit: retry after 1 s",
        ));
        assert_eq!(status, 429);
        let e = answer_event(&real, status, &body, NOW).unwrap();
        assert_eq!(e["error"]["transport_kind"], "rate_limited");
        assert_eq!(e["error"]["retryable"], true);
        // A gateway's page: the merchant server could not be reached.
        let e = answer_event(&real, 502, b"<html>bad gateway</html>", NOW).unwrap();
        assert_eq!(e["error"]["code"], "transport");
        assert_eq!(
            e["error"]["transport_kind"],
            TransportKind::Connect.as_str()
        );
        assert_eq!(e["error"]["retryable"], true);
        // Any other status without an error body is not the API.
        let e = answer_event(&real, 418, b"<html>teapot</html>", NOW).unwrap();
        assert_eq!(
            e["error"]["transport_kind"],
            TransportKind::Protocol.as_str()
        );
        assert!(!e.to_string().contains("html"), "{e}");
        // Full values: refused, not passed on.
        let e = answer_event(
            &real,
            200,
            r#"{"identity":{"name":"张小三","credential_type":1,"credential_id":"11010519491231002X"}}"#
                .as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(e["error"]["code"], "malformed");
        let shown = e.to_string();
        assert!(
            !shown.contains("张小三") && !shown.contains("110105"),
            "{shown}"
        );
        // An authinfo answer without expiry.
        let e = answer_event(
            &json!({"type": "fetch_authinfo", "id": 8}),
            200,
            br#"{"authinfo":"A"}"#,
            NOW,
        )
        .unwrap();
        assert_eq!(
            (e["type"].as_str(), e["error"]["code"].as_str()),
            (Some("backend_failed"), Some("malformed"))
        );
        // Not a request action.
        assert!(answer_event(&json!({"type": "ready", "id": 1}), 200, b"{}", NOW).is_err());
        assert!(answer_event(&json!({"type": "fetch_real_name"}), 200, b"{}", NOW).is_err());
    }
}
