//! The HTTP server: WeChat Pay's two endpoints, `/v3/certificates`, the
//! emulated SDK's internal endpoints and the control endpoints.

mod control;
mod emu_api;
mod v2;
mod v3;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_lc_rs::rsa::{
    OaepPublicEncryptingKey, Pkcs1PublicEncryptingKey, PublicEncryptingKey, OAEP_SHA1_MGF1SHA1,
};
use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::routing::{any, get, post};
use axum::Router;
use base64::Engine as _;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt as _;
use wxface_core::crypto::{pem, Padding};
use wxface_core::time::{Clock, SystemClock};
use wxface_core::v2::ApiKey;
use wxface_core::v3::{PlatformSigner, RequestVerifier};
use wxface_core::UnixTime;

use crate::config::{PlatformKeyChoice, PlatformKeys, SandboxConfig};
use crate::faults::{FaultKind, Faults};
use crate::identity::SandboxIdentity;
use crate::keys::KeySet;
use crate::state::Sessions;
use crate::util::random_alnum;
use crate::SandboxError;

/// Shared state of a running sandbox.
pub(crate) struct Inner {
    pub config: SandboxConfig,
    pub keys: KeySet,
    pub v2_key: ApiKey,
    pub verifier: RequestVerifier,
    pub cert_signer: Option<PlatformSigner>,
    pub pub_signer: Option<PlatformSigner>,
    merchant_enc: Encryptors,
    sub_enc: Encryptors,
    pub sessions: Mutex<Sessions>,
    pub faults: Faults,
    clock: Arc<dyn Clock>,
}

/// RSA public-key encryption with either padding.
struct Encryptors {
    pkcs1: Pkcs1PublicEncryptingKey,
    oaep: OaepPublicEncryptingKey,
}

impl Encryptors {
    fn from_cert_pem(cert_pem: &str) -> Result<Self, SandboxError> {
        let info = pem::certificate_from_pem(cert_pem)
            .map_err(|e| SandboxError::Keys(format!("certificate: {e}")))?;
        let bad = |_| SandboxError::Keys("unusable RSA public key".into());
        let key = PublicEncryptingKey::from_der(&info.spki_der).map_err(bad)?;
        Ok(Self {
            pkcs1: Pkcs1PublicEncryptingKey::new(key.clone())
                .map_err(|_| SandboxError::Keys("PKCS#1 v1.5 encryption setup failed".into()))?,
            oaep: OaepPublicEncryptingKey::new(key)
                .map_err(|_| SandboxError::Keys("OAEP encryption setup failed".into()))?,
        })
    }

    fn encrypt(&self, padding: Padding, plaintext: &[u8]) -> Option<String> {
        let mut out = vec![0u8; self.pkcs1.ciphertext_size()];
        let ct = match padding {
            Padding::Pkcs1v15 => self.pkcs1.encrypt(plaintext, &mut out).ok()?,
            Padding::OaepSha1 => self
                .oaep
                .encrypt(&OAEP_SHA1_MGF1SHA1, plaintext, &mut out, None)
                .ok()?,
        };
        Some(base64::engine::general_purpose::STANDARD.encode(ct))
    }
}

pub(crate) type App = Arc<Inner>;

/// Put on a response to make the server close the connection instead of answering.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

#[derive(Debug)]
struct DroppedByFault;

impl std::fmt::Display for DroppedByFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedByFault {}

/// The marker response of [`FaultKind::DropConnection`].
pub(crate) fn drop_connection() -> Response<Body> {
    let mut r = Response::new(Body::empty());
    r.extensions_mut().insert(DropConnection);
    r
}

impl Inner {
    pub(crate) fn new(
        config: SandboxConfig,
        keys: KeySet,
        faults: Faults,
    ) -> Result<Self, SandboxError> {
        let provider = wxface_core::crypto::aws_lc();
        let m = keys.manifest.clone();
        let key_err = |what: &'static str| {
            move |e: wxface_core::Error| SandboxError::Keys(format!("{what}: {e}"))
        };
        let merchant_pub = pem::load_public_key(provider.as_ref(), &keys.merchant_cert)
            .map_err(key_err("merchant certificate"))?;
        let mut verifier = RequestVerifier::new();
        verifier.window_secs = config.request_window_secs;
        verifier.add_merchant(m.mch_id.clone(), m.merchant_serial.clone(), merchant_pub);
        let cert_signer = match config.platform_keys {
            PlatformKeys::Both | PlatformKeys::Certificate => Some(
                PlatformSigner::new(
                    m.platform_serial.clone(),
                    pem::load_private_key(provider.as_ref(), &keys.platform_cert_key)
                        .map_err(key_err("platform certificate key"))?,
                )
                .map_err(key_err("platform certificate serial"))?,
            ),
            PlatformKeys::PublicKey => None,
        };
        let pub_signer = match config.platform_keys {
            PlatformKeys::Both | PlatformKeys::PublicKey => Some(
                PlatformSigner::new(
                    m.pub_key_id.clone(),
                    pem::load_private_key(provider.as_ref(), &keys.pub_key_private)
                        .map_err(key_err("platform public key"))?,
                )
                .map_err(key_err("platform public key id"))?,
            ),
            PlatformKeys::Certificate => None,
        };
        Ok(Self {
            v2_key: ApiKey::new(keys.api_v2_key.clone()).map_err(key_err("v2 API key"))?,
            verifier,
            cert_signer,
            pub_signer,
            merchant_enc: Encryptors::from_cert_pem(&keys.merchant_cert)?,
            sub_enc: Encryptors::from_cert_pem(&keys.sub_cert)?,
            sessions: Mutex::new(Sessions::default()),
            faults,
            clock: Arc::new(SystemClock),
            config,
            keys,
        })
    }

    pub(crate) fn now(&self) -> UnixTime {
        self.clock.now()
    }

    pub(crate) fn sessions(&self) -> MutexGuard<'_, Sessions> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn identities(&self) -> &[SandboxIdentity] {
        &self.config.identities
    }

    /// Encrypt a real-name field for the merchant, or in provider mode for
    /// the sub-merchant, with the configured padding.
    pub(crate) fn encrypt_field(&self, for_sub_merchant: bool, plaintext: &str) -> Option<String> {
        let enc = if for_sub_merchant {
            &self.sub_enc
        } else {
            &self.merchant_enc
        };
        enc.encrypt(self.config.padding, plaintext.as_bytes())
    }

    /// The signer of answers whose request named no platform key.
    pub(crate) fn default_signer(&self) -> &PlatformSigner {
        let (first, second) = match self.config.effective_default_key() {
            PlatformKeyChoice::Certificate => (&self.cert_signer, &self.pub_signer),
            PlatformKeyChoice::PublicKey => (&self.pub_signer, &self.cert_signer),
        };
        match (first, second) {
            (Some(s), _) | (None, Some(s)) => s,
            // `Inner::new` always builds at least one signer.
            (None, None) => unreachable!("a sandbox always has a platform key"),
        }
    }

    /// The signer a request's `Wechatpay-Serial` names (the default signer
    /// without the header); `Err(())` when it names no key of this sandbox.
    pub(crate) fn requested_signer(
        &self,
        header_value: Option<&HeaderValue>,
    ) -> Result<&PlatformSigner, ()> {
        let Some(v) = header_value else {
            return Ok(self.default_signer());
        };
        let v = v.to_str().map_err(|_| ())?.trim();
        if let Some(s) = &self.cert_signer {
            if s.serial().eq_ignore_ascii_case(v) {
                return Ok(s);
            }
        }
        if let Some(s) = &self.pub_signer {
            if s.serial() == v {
                return Ok(s);
            }
        }
        Err(())
    }

    /// An APIv3 answer signed by `signer`, with a fault's tweak applied.
    pub(crate) fn signed_json(
        &self,
        signer: &PlatformSigner,
        status: StatusCode,
        mut body: Vec<u8>,
        fault: Option<FaultKind>,
    ) -> Response<Body> {
        if fault == Some(FaultKind::MalformedBody) {
            body.truncate((body.len() / 2).max(1));
        }
        let now = self.now();
        let ts = if fault == Some(FaultKind::StaleTimestamp) {
            now.minus(600)
        } else {
            now
        };
        let mut headers = match signer.sign(&body, ts, &random_alnum(32)) {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "could not sign an answer");
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "signing failed");
            }
        };
        if fault == Some(FaultKind::BadSignature) {
            for (k, v) in headers.iter_mut() {
                if k == wxface_core::v3::verify::HEADER_SIGNATURE {
                    *v = corrupt_b64(v);
                }
            }
        }
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (
                header::HeaderName::try_from(k.as_str()),
                HeaderValue::try_from(v.as_str()),
            ) {
                h.insert(k, v);
            }
        }
        h.insert(
            "Wechatpay-Signature-Type",
            HeaderValue::from_static(wxface_core::v3::AUTH_SCHEME),
        );
        if let Ok(v) = HeaderValue::try_from(random_alnum(32)) {
            h.insert("Request-ID", v);
        }
        r
    }
}

/// Flip bits of the first decoded byte: still base64 of the right length,
/// never a valid signature.
fn corrupt_b64(sig: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    match engine.decode(sig) {
        Ok(mut raw) if !raw.is_empty() => {
            raw[0] ^= 0x5A;
            engine.encode(raw)
        }
        _ => "AAAA".into(),
    }
}

/// A plain-text answer.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A JSON answer without signature (internal endpoints, gateway errors).
pub(crate) fn json(status: StatusCode, v: &serde_json::Value) -> Response<Body> {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

async fn not_found() -> Response<Body> {
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"code": "NOT_FOUND", "message": "no such endpoint in the wxface sandbox"}),
    )
}

fn router(app: App) -> Router {
    Router::new()
        .route(v2::PATH, any(v2::authinfo))
        .route("/v3/facemch/users/{face_sid}", get(v3::users))
        .route("/v3/certificates", get(v3::certificates))
        .route("/_emu/rawdata", post(emu_api::rawdata))
        .route("/_emu/recognise", post(emu_api::recognise))
        .route("/_emu/auth", post(emu_api::auth))
        .route(
            "/_sandbox/faults",
            get(control::list_faults)
                .post(control::add_faults)
                .delete(control::clear_faults),
        )
        .route("/_sandbox/reset", post(control::reset))
        .route("/_sandbox/expire", post(control::expire))
        .route("/_sandbox/identities", get(control::identities))
        .route("/_sandbox/info", get(control::info))
        .route("/_sandbox/sign-answer", post(control::sign_answer))
        .fallback(not_found)
        .with_state(app)
}

/// Serve until `shutdown` turns true. Each connection gets its own task; an
/// answer marked [`DropConnection`] makes the connection end without a response.
pub(crate) async fn serve(listener: TcpListener, app: App, mut shutdown: watch::Receiver<bool>) {
    let router = router(app);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                let (stream, _peer): (_, SocketAddr) = match accepted {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    async move {
                        let resp = match router.oneshot(req.map(Body::new)).await {
                            Ok(r) => r,
                            Err(never) => match never {},
                        };
                        if resp.extensions().get::<DropConnection>().is_some() {
                            Err(DroppedByFault)
                        } else {
                            Ok(resp)
                        }
                    }
                });
                conns.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}
