//! APIv3: `GET /v3/facemch/users/{face_sid}` and `GET /v3/certificates`.
//!
//! Every request's `Authorization` is verified exactly (the merchant id is
//! the sandbox's, `serial_no` is its API certificate's, the signature covers
//! `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`, the timestamp is within
//! `request_window_secs`). Every answer, errors included, is signed with the
//! platform key the request's `Wechatpay-Serial` names, else the configured
//! default. Errors are `{code, message, detail?}` with these statuses:
//!
//! | status | code | when |
//! |---|---|---|
//! | 401 | `SIGN_ERROR` | no/garbled `Authorization`, unknown `mchid` or `serial_no`, stale timestamp, signature mismatch (`detail.truncated_sign_message`) |
//! | 400 | `PARAM_ERROR` | a query parameter missing or broken, `appid` not the merchant's, `sub_appid`/`sub_serial_no` not the sub-merchant's, unknown `Wechatpay-Serial` |
//! | 403 | `NO_AUTH` | `sub_mchid` is not this provider's sub-merchant; `ASK_REAL_NAME` before consent, after refusal, or after quit |
//! | 404 | `NOT_FOUND` | `face_sid` unknown (or issued to another merchant / sub-merchant); `/v3/certificates` in public-key-only mode |
//! | 400 | `INVALID_REQUEST` | `face_sid` expired |

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, Request, Response, StatusCode};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use wxface_core::crypto::pem;
use wxface_core::v3::{Authorization, InfoType, PlatformSigner, UsersQuery};

use super::{drop_connection, json, App, Inner};
use crate::config::{PlatformKeys, RealNameShape};
use crate::faults::{FaultEndpoint, FaultKind};
use crate::state::Consent;
use crate::util::{random_alnum, rfc3339_cst, short};

/// Longest request body read.
const MAX_BODY: usize = 64 * 1024;
/// Longest `truncated_sign_message`, in characters.
const TRUNCATE_AT: usize = 256;

/// An APIv3 error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    detail: Option<Value>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    fn param(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "PARAM_ERROR", message)
    }

    fn body(&self) -> Vec<u8> {
        let mut m = Map::new();
        m.insert("code".into(), self.code.into());
        m.insert("message".into(), self.message.clone().into());
        if let Some(d) = &self.detail {
            m.insert("detail".into(), d.clone());
        }
        Value::Object(m).to_string().into_bytes()
    }
}

/// The parts of a request the handlers need.
struct Req {
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
}

async fn read(req: Request<Body>) -> Req {
    let (parts, body) = req.into_parts();
    Req {
        method: parts.method,
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned()),
        headers: parts.headers,
        body: to_bytes(body, MAX_BODY).await.unwrap_or_default(),
    }
}

/// Run one APIv3 endpoint: faults, signer choice, handler, signed answer.
async fn serve(
    app: App,
    endpoint: FaultEndpoint,
    req: Request<Body>,
    handler: fn(&Inner, &Req) -> Result<Value, ApiError>,
) -> Response<Body> {
    let d = app.faults.draw(endpoint);
    if !d.delay.is_zero() {
        tokio::time::sleep(d.delay).await;
    }
    match d.kind {
        Some(FaultKind::DropConnection) => return drop_connection(),
        Some(FaultKind::ServiceUnavailable) => {
            return json(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({"code": "SERVICE_UNAVAILABLE", "message": "服务暂时不可用,请稍后重试"}),
            )
        }
        _ => {}
    }
    let req = read(req).await;
    let (signer, result) = match app.requested_signer(req.headers.get("Wechatpay-Serial")) {
        Ok(signer) => {
            let result = match d.kind {
                Some(FaultKind::SystemError) => Err(ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "SYSTEM_ERROR",
                    "系统错误,请稍后重试",
                )),
                Some(FaultKind::RateLimited) => Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "FREQUENCY_LIMITED",
                    "请求频率超限,请降低频率",
                )),
                _ => handler(&app, &req),
            };
            (signer, result)
        }
        Err(()) => (
            app.default_signer(),
            Err(ApiError::param(
                "Wechatpay-Serial 无效 (names neither the platform certificate nor the platform public key)",
            )),
        ),
    };
    let (status, body) = match result {
        Ok(v) => (StatusCode::OK, v.to_string().into_bytes()),
        Err(e) => {
            tracing::info!(
                status = e.status.as_u16(),
                code = e.code,
                "APIv3 error answer"
            );
            (e.status, e.body())
        }
    };
    sign(&app, signer, status, body, d.kind)
}

fn sign(
    app: &Inner,
    signer: &PlatformSigner,
    status: StatusCode,
    body: Vec<u8>,
    fault: Option<FaultKind>,
) -> Response<Body> {
    app.signed_json(signer, status, body, fault)
}

pub(super) async fn users(State(app): State<App>, req: Request<Body>) -> Response<Body> {
    serve(app, FaultEndpoint::Users, req, Inner::users).await
}

pub(super) async fn certificates(State(app): State<App>, req: Request<Body>) -> Response<Body> {
    serve(app, FaultEndpoint::Certificates, req, Inner::certificates).await
}

fn truncated(message: &[u8]) -> (usize, String) {
    let text = String::from_utf8_lossy(message);
    (message.len(), text.chars().take(TRUNCATE_AT).collect())
}

impl Inner {
    /// Verify `Authorization`; errors are 401 `SIGN_ERROR` with a detail that
    /// shows the message the sandbox expected to be signed.
    fn authenticate(&self, req: &Req) -> Result<(), ApiError> {
        if req.headers.get_all(header::AUTHORIZATION).iter().count() > 1 {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "SIGN_ERROR",
                "Authorization 重复 (sent more than once)",
            ));
        }
        let header_value = match req.headers.get(header::AUTHORIZATION) {
            None => None,
            Some(v) => Some(v.to_str().map_err(|_| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "SIGN_ERROR",
                    "Authorization 不是ASCII (not ASCII)",
                )
            })?),
        };
        let parsed = header_value.map(Authorization::parse);
        let sign_error = |issue: String| {
            let mut detail = Map::new();
            detail.insert("field".into(), "signature".into());
            detail.insert("location".into(), "authorization".into());
            detail.insert("issue".into(), issue.into());
            detail.insert("method".into(), req.method.as_str().into());
            detail.insert("url".into(), req.path_and_query.as_str().into());
            if let Some(Ok(a)) = &parsed {
                let msg = a.message(req.method.as_str(), &req.path_and_query, &req.body);
                let (len, text) = truncated(&msg);
                detail.insert("sign_message_length".into(), len.into());
                detail.insert("truncated_sign_message".into(), text.into());
            }
            ApiError {
                status: StatusCode::UNAUTHORIZED,
                code: "SIGN_ERROR",
                message: "签名错误,请检查后再试 (signature check failed)".into(),
                detail: Some(Value::Object(detail)),
            }
        };
        if let Some(Ok(a)) = &parsed {
            if a.mchid != self.keys.manifest.mch_id {
                return Err(sign_error("unknown mchid".into()));
            }
        }
        self.verifier
            .verify(
                header_value,
                req.method.as_str(),
                &req.path_and_query,
                &req.body,
                self.now(),
            )
            .map(|_| ())
            .map_err(|e| sign_error(e.to_string()))
    }

    fn users(&self, req: &Req) -> Result<Value, ApiError> {
        self.authenticate(req)?;
        let q = UsersQuery::from_path_and_query(&req.path_and_query)
            .map_err(|e| ApiError::param(format!("参数错误: {e}")))?;
        let m = &self.keys.manifest;
        if q.appid != m.appid {
            return Err(ApiError::param("appid 与 mchid 不匹配"));
        }
        let provider = match &q.sub_mchid {
            Some(s) if *s == m.sub_mch_id => true,
            Some(_) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "NO_AUTH",
                    "无权查询该子商户 (sub_mchid is not a sub-merchant of this provider)",
                ))
            }
            None => false,
        };
        if let Some(a) = &q.sub_appid {
            if !provider {
                return Err(ApiError::param("sub_appid 需要与 sub_mchid 一起传入"));
            }
            if *a != m.sub_appid {
                return Err(ApiError::param("sub_appid 与 sub_mchid 不匹配"));
            }
        }
        if provider && q.info_type == InfoType::AskRealName {
            let ok = q
                .sub_serial_no
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&m.sub_merchant_serial));
            if !ok {
                return Err(ApiError::param(
                    "sub_serial_no 与子商户API证书不匹配 (not the sub-merchant's certificate serial)",
                ));
            }
        }
        let now = self.now();
        let person = {
            let sessions = self.sessions();
            let not_found = || ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "face_sid 不存在");
            let s = sessions.faces.get(&q.face_sid).ok_or_else(not_found)?;
            if s.binding.mch_id != m.mch_id || s.binding.sub_mch_id != q.sub_mchid {
                return Err(not_found());
            }
            if s.expires_at <= now {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    "face_sid 已过期 (expired)",
                ));
            }
            if q.info_type == InfoType::AskRealName {
                let refused = |msg: &str| Err(ApiError::new(StatusCode::FORBIDDEN, "NO_AUTH", msg));
                match s.consent {
                    Consent::Consented => {}
                    Consent::Pending => return refused("用户尚未授权实名信息 (no consent yet)"),
                    Consent::Refused => return refused("用户拒绝授权实名信息 (consent refused)"),
                    Consent::Quit => return refused("实名认证已退出 (the kiosk quit)"),
                }
            }
            s.person
        };
        let who = self
            .identities()
            .get(person)
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "face_sid 不存在"))?;
        let mut out = Map::new();
        out.insert("openid".into(), who.openid.as_str().into());
        if q.sub_appid.is_some() {
            out.insert("sub_openid".into(), who.sub_openid.as_str().into());
        }
        match q.info_type {
            InfoType::AskUnionId => {
                out.insert("union_id".into(), who.union_id.as_str().into());
            }
            InfoType::AskRealName => {
                let enc = |plain: &str| {
                    self.encrypt_field(provider, plain).ok_or_else(|| {
                        ApiError::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "SYSTEM_ERROR",
                            "加密失败 (encryption failed)",
                        )
                    })
                };
                let mut info = Map::new();
                info.insert("encrypted_real_name".into(), enc(who.expose_name())?.into());
                info.insert("credential_type".into(), who.credential_type.into());
                info.insert(
                    "encrypted_credential_id".into(),
                    enc(who.expose_credential_id())?.into(),
                );
                match self.config.real_name_shape {
                    RealNameShape::Nested => {
                        out.insert("real_name_info".into(), Value::Object(info));
                    }
                    RealNameShape::Flat => out.extend(info),
                }
                tracing::debug!(
                    person = %who.masked().name,
                    face_sid = %short(&q.face_sid),
                    provider_mode = provider,
                    "real-name answer"
                );
            }
        }
        Ok(Value::Object(out))
    }

    fn certificates(&self, req: &Req) -> Result<Value, ApiError> {
        self.authenticate(req)?;
        if self.config.platform_keys == PlatformKeys::PublicKey {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "无可用的平台证书,请在商户平台-API安全申请使用微信支付公钥 (no platform certificate: use the platform public key)",
            ));
        }
        let internal = || {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SYSTEM_ERROR",
                "系统错误",
            )
        };
        let info = pem::certificate_from_pem(&self.keys.platform_cert).map_err(|_| internal())?;
        let nonce = random_alnum(12);
        let aad = "certificate";
        let ciphertext = seal(
            self.keys.api_v3_key.as_bytes(),
            nonce.as_bytes(),
            aad.as_bytes(),
            self.keys.platform_cert.as_bytes(),
        )
        .ok_or_else(internal)?;
        Ok(json!({
            "data": [{
                "serial_no": info.serial_hex,
                "effective_time": rfc3339_cst(info.not_before.as_secs()),
                "expire_time": rfc3339_cst(info.not_after.as_secs()),
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": aad,
                    "ciphertext": ciphertext,
                }
            }]
        }))
    }
}

/// AEAD_AES_256_GCM: base64 of ciphertext ‖ tag.
fn seal(key: &[u8], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Option<String> {
    use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut in_out = plaintext.to_vec();
    key.seal_in_place_append_tag(nonce, Aad::from(aad), &mut in_out)
        .ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(in_out))
}
