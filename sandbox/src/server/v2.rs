//! `POST /face/get_wxpayface_authinfo`: v2, XML, MD5 / HMAC-SHA256.
//!
//! Checks, in order (the first failure answers `return_code=FAIL` with a
//! `return_msg` naming the rule):
//!
//! 1. the body is a flat XML document;
//! 2. required fields: `store_id`, `store_name`, `device_id`, `rawdata`,
//!    `appid`, `mch_id`, `now`, `version`, `nonce_str`, `sign`;
//! 3. lengths (`store_id` ≤ 32, `store_name` ≤ 128, `device_id` ≤ 32,
//!    `rawdata` ≤ 2048, `appid`/`mch_id`/`sub_appid`/`sub_mch_id` ≤ 32,
//!    `nonce_str` ≤ 32), no characters outside the BMP, `attach` is JSON;
//! 4. `mch_id` is the sandbox merchant (else the answer cannot be signed);
//! 5. `sign_type` is `MD5` (default) or `HMAC-SHA256`;
//! 6. `sign` verifies with the merchant's (in provider mode: the
//!    provider's) v2 key;
//! 7. `version` is `"1"`; `now` is a 10-digit time within
//!    `v2_now_window_secs` of the sandbox clock;
//! 8. `appid` belongs to `mch_id`; `sub_mch_id`/`sub_appid` are the
//!    configured sub-merchant's (and `sub_appid` comes with `sub_mch_id`);
//! 9. `rawdata` was issued by the emulated SDK.
//!
//! Every answer whose `mch_id` is known is signed with the request's sign
//! type (MD5 when the type itself was invalid); answers to unknown merchants
//! and unparseable bodies are not signed (there is no key to sign with).
//! Methods other than POST get HTTP 405 with an unsigned FAIL document.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Response, StatusCode};
use wxface_core::v2::{Fields, SignType};

use super::{drop_connection, plain, App};
use crate::faults::{FaultEndpoint, FaultKind};
use crate::state::{Authinfo, Binding};
use crate::util::{random_alnum, random_b64, short};

/// Path of the endpoint.
pub(super) const PATH: &str = wxface_core::v2::AUTHINFO_PATH;

/// An answer before serialisation.
struct Answer {
    fields: Fields,
    sign: Option<SignType>,
}

fn xml(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    r
}

pub(super) async fn authinfo(
    State(app): State<App>,
    method: Method,
    body: Bytes,
) -> Response<Body> {
    let d = app.faults.draw(FaultEndpoint::Authinfo);
    if !d.delay.is_zero() {
        tokio::time::sleep(d.delay).await;
    }
    match d.kind {
        Some(FaultKind::DropConnection) => return drop_connection(),
        Some(FaultKind::ServiceUnavailable) => {
            return plain(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable")
        }
        _ => {}
    }
    if method != Method::POST {
        let mut f = Fields::new();
        f.set("return_code", "FAIL").set(
            "return_msg",
            "请使用POST方法提交XML (only POST with an XML body)",
        );
        return xml(StatusCode::METHOD_NOT_ALLOWED, f.to_xml());
    }
    let injected = match d.kind {
        Some(FaultKind::SystemError) => Some(("SYSTEMERROR", "系统繁忙,请稍后再试")),
        Some(FaultKind::RateLimited) => Some(("FREQUENCY_LIMITED", "请求频率超限,请降低频率")),
        _ => None,
    };
    let mut answer = app.process_authinfo(&body, injected);
    if let Some(t) = answer.sign {
        answer.fields.sign_in_place(&app.v2_key, t);
        if d.kind == Some(FaultKind::BadSignature) {
            // Sign something else: right length, wrong value.
            let mut other = answer.fields.clone();
            other.set("sandbox_fault", "bad_signature");
            let wrong = other.sign(&app.v2_key, t);
            answer.fields.set("sign", wrong);
        }
    }
    let mut text = answer.fields.to_xml();
    if d.kind == Some(FaultKind::MalformedBody) {
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    xml(StatusCode::OK, text)
}

fn fail_fields(code: &str, msg: &str) -> Fields {
    let mut f = Fields::new();
    f.set("return_code", code)
        .set("return_msg", msg)
        .set("nonce_str", random_alnum(32));
    f
}

const REQUIRED: [&str; 10] = [
    "store_id",
    "store_name",
    "device_id",
    "rawdata",
    "appid",
    "mch_id",
    "now",
    "version",
    "nonce_str",
    "sign",
];

const MAX_LEN: [(&str, usize); 9] = [
    ("store_id", 32),
    ("store_name", 128),
    ("device_id", 32),
    ("rawdata", wxface_core::sdk::MAX_RAWDATA),
    ("appid", 32),
    ("mch_id", 32),
    ("sub_appid", 32),
    ("sub_mch_id", 32),
    ("nonce_str", 32),
];

impl super::Inner {
    /// Check a request and issue an authinfo; `injected` replaces the
    /// outcome with an error (still signed when the merchant is known).
    fn process_authinfo(&self, body: &[u8], injected: Option<(&str, &str)>) -> Answer {
        let Ok(f) = Fields::parse_xml(body) else {
            return Answer {
                fields: fail_fields("FAIL", "XML格式错误 (the body must be an <xml> document)"),
                sign: None,
            };
        };
        let m = &self.keys.manifest;
        let known = f.get_nonempty("mch_id") == Some(m.mch_id.as_str());
        let sign_type: Result<SignType, _> = f.get_nonempty("sign_type").unwrap_or("MD5").parse();
        let answer_type = known.then(|| *sign_type.as_ref().unwrap_or(&SignType::Md5));
        if let Some((code, msg)) = injected {
            return Answer {
                fields: fail_fields(code, msg),
                sign: answer_type,
            };
        }
        let fail = |msg: String| Answer {
            fields: fail_fields("FAIL", &msg),
            sign: answer_type,
        };
        for k in REQUIRED {
            if f.get_nonempty(k).is_none() {
                return fail(format!("缺少参数 {k} (required)"));
            }
        }
        for (k, max) in MAX_LEN {
            if let Some(v) = f.get(k) {
                if v.chars().count() > max {
                    return fail(format!("参数 {k} 长度超过 {max} (too long)"));
                }
            }
        }
        if f.0.values().any(|v| v.chars().any(|c| c as u32 > 0xFFFF)) {
            return fail("参数含有不支持的字符 (characters outside the BMP)".into());
        }
        if let Some(a) = f.get_nonempty("attach") {
            if serde_json::from_str::<serde_json::Value>(a).is_err() {
                return fail("attach 必须是JSON格式 (attach must be JSON)".into());
            }
        }
        if !known {
            return fail("mch_id 不存在 (unknown merchant)".into());
        }
        let Ok(sign_type) = sign_type else {
            return fail("sign_type 参数错误,仅支持 MD5 和 HMAC-SHA256".into());
        };
        if f.verify(&self.v2_key, sign_type).is_err() {
            return fail("签名错误 (sign does not verify)".into());
        }
        if f.get("version") != Some("1") {
            return fail("version 参数错误,固定为 1".into());
        }
        let now_field = f.get("now").unwrap_or_default();
        let Some(sent) = (now_field.len() == 10)
            .then(|| now_field.parse::<u64>().ok())
            .flatten()
        else {
            return fail("now 参数错误,应为10位unix时间戳".into());
        };
        let window = self.config.v2_now_window_secs;
        let now = self.now();
        if window > 0 && now.abs_diff(wxface_core::UnixTime(sent)) > window {
            return fail(format!(
                "now 与当前时间相差超过 {window} 秒 (device clock drift?)"
            ));
        }
        if f.get("appid") != Some(m.appid.as_str()) {
            return fail("appid 与 mch_id 不匹配".into());
        }
        let sub_mch_id = f.get_nonempty("sub_mch_id").map(str::to_owned);
        let sub_appid = f.get_nonempty("sub_appid").map(str::to_owned);
        match (&sub_mch_id, &sub_appid) {
            (None, Some(_)) => return fail("sub_appid 需要与 sub_mch_id 一起传入".into()),
            (Some(s), _) if *s != m.sub_mch_id => {
                return fail("sub_mch_id 不是该服务商的子商户".into())
            }
            (Some(_), Some(a)) if *a != m.sub_appid => {
                return fail("sub_appid 与 sub_mch_id 不匹配".into())
            }
            _ => {}
        }
        let rawdata = f.get("rawdata").unwrap_or_default();
        let mut sessions = self.sessions();
        sessions.prune(now);
        let Some(device) = sessions.rawdata.get(rawdata).map(|r| r.device.clone()) else {
            return fail("rawdata 无效 (not issued by the emulated SDK)".into());
        };
        let authinfo = random_b64(256);
        let binding = Binding {
            appid: m.appid.clone(),
            mch_id: m.mch_id.clone(),
            sub_appid: sub_appid.clone(),
            sub_mch_id: sub_mch_id.clone(),
            store_id: f.get("store_id").unwrap_or_default().to_owned(),
        };
        let ttl = self.config.authinfo_ttl_secs;
        sessions.authinfo.insert(
            authinfo.clone(),
            Authinfo {
                device,
                binding,
                expires_at: now.plus(ttl),
            },
        );
        drop(sessions);
        tracing::info!(
            device_id = %wxface_core::redact::LogSafe(f.get("device_id").unwrap_or_default()),
            store_id = %wxface_core::redact::LogSafe(f.get("store_id").unwrap_or_default()),
            provider_mode = sub_mch_id.is_some(),
            authinfo = %short(&authinfo),
            "authinfo issued"
        );
        let mut out = Fields::new();
        out.set("return_code", "SUCCESS")
            .set("return_msg", "请求成功")
            .set("authinfo", authinfo)
            .set("expires_in", ttl.to_string())
            .set("nonce_str", random_alnum(32))
            .set("appid", m.appid.as_str())
            .set("mch_id", m.mch_id.as_str());
        if let Some(s) = sub_mch_id {
            out.set("sub_mch_id", s);
        }
        if let Some(s) = sub_appid {
            out.set("sub_appid", s);
        }
        Answer {
            fields: out,
            sign: Some(sign_type),
        }
    }
}
