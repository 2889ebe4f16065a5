//! The reference merchant server for kiosks (feature `server`).
//!
//! It implements the small JSON API of `docs/merchant-api.md` on top of a
//! [`MerchantClient`], the hospital's [`Decryptor`] and a pluggable
//! [`PatientRegistry`] (in memory by default; `SqliteRegistry` with
//! feature `sqlite` keeps it across restarts):
//!
//! | route | does |
//! |---|---|
//! | `POST /kiosk/authinfo` | a (cached) authinfo for the kiosk's device |
//! | `POST /kiosk/verified` | who the `face_sid` is (`ASK_UNIONID`, no consent needed), and whether the registry knows them |
//! | `POST /kiosk/real-name` | query, verify, decrypt, record; answer **masked** data only |
//!
//! `/kiosk/verified` never trusts an openid the kiosk reports: a face SDK
//! that follows the spec's table returns none with a `face_sid`, and a kiosk
//! could report anyone's. The server asks WeChat Pay for the `face_sid`'s
//! openid and looks that up; an openid (or sub_openid) the kiosk sent that
//! differs from WeChat Pay's answer is refused with `invalid_input` on
//! `openid` (`sub_openid`), HTTP 400.
//!
//! The messages, their checks, the error body and the error → HTTP status
//! mapping are the core's ([`wxface_core::kiosk_api`]): an error is a non-2xx
//! answer whose body is the core's error record ([`Error::info`]), so a
//! WeChat Pay failure reaches the kiosk as a `backend` error with WeChat's
//! own code (`wechat_code`) and status. No message carries personal data:
//! the request body is never echoed.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument as _;
use wxface_core::decrypt::Decryptor;
use wxface_core::kiosk_api::{
    self, Answer, AuthinfoAnswer, AuthinfoRequest, RealNameAnswer, RealNameRequest, Request,
    VerifiedAnswer, VerifiedRequest, MAX_REQUEST_BYTES,
};
use wxface_core::v3::{FaceUser, InfoType};

use crate::client::decrypt_user;
use crate::{AuthinfoParams, Error, MerchantClient};

#[cfg(feature = "sqlite")]
pub use crate::registry::SqliteRegistry;
pub use crate::registry::{InMemoryRegistry, PatientRecord, PatientRegistry};

/// What the router needs.
#[derive(Clone)]
pub struct ServerState {
    client: MerchantClient,
    decryptor: Decryptor,
    registry: Arc<dyn PatientRegistry>,
}

impl fmt::Debug for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerState")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl ServerState {
    /// State with an [`InMemoryRegistry`].
    pub fn new(client: MerchantClient, decryptor: Decryptor) -> Self {
        Self {
            client,
            decryptor,
            registry: Arc::new(InMemoryRegistry::new()),
        }
    }

    /// Use `registry` instead of the in-memory one.
    pub fn with_registry(mut self, registry: Arc<dyn PatientRegistry>) -> Self {
        self.registry = registry;
        self
    }

    /// The client.
    pub fn client(&self) -> &MerchantClient {
        &self.client
    }

    /// The registry.
    pub fn registry(&self) -> &Arc<dyn PatientRegistry> {
        &self.registry
    }
}

/// The kiosk API as an axum router.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route(kiosk_api::AUTHINFO_PATH, post(authinfo))
        .route(kiosk_api::VERIFIED_PATH, post(verified))
        .route(kiosk_api::REAL_NAME_PATH, post(real_name))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}

/// A running server; dropping it (or [`ServerHandle::shutdown`]) stops it.
#[derive(Debug)]
pub struct ServerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl ServerHandle {
    /// Stop accepting, let open requests finish, and wait for the end.
    ///
    /// # Errors
    /// The server's I/O error, if it failed.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Bind `addr` (port 0 picks one) and serve [`router`] on the current tokio
/// runtime. Returns the bound address and the handle that stops it.
///
/// # Errors
/// The bind error.
pub async fn serve(
    addr: SocketAddr,
    state: ServerState,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok((
        bound,
        ServerHandle {
            stop: Some(tx),
            task: Some(task),
        },
    ))
}

// ------------------------------------------------------------------ errors

/// An error answer: the core's status for the error, and its record as the
/// body ([`kiosk_api::error_answer`]).
#[derive(Debug)]
struct ApiError(Error);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = kiosk_api::error_answer(&self.0);
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        if status.is_server_error() {
            tracing::warn!(
                code = self.0.code(),
                wechat_code = self.0.wechat_code(),
                status = status.as_u16(),
                "kiosk request failed"
            );
        }
        (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

/// A 200 answer.
fn ok<T: Answer>(answer: &T) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        kiosk_api::encode_answer(answer),
    )
        .into_response()
}

/// Parse a request body as the handler of `path` (`/kiosk/authinfo`,
/// `/kiosk/verified`, `/kiosk/real-name`) does, without acting on it; `Err`
/// is the error answer's `code`. Entry point of the fuzz target `kiosk_api`
/// and its regression tests; not a stable API.
///
/// # Errors
/// `invalid_input` for a body the handler refuses or an unknown path.
#[doc(hidden)]
pub fn parse_request_body(path: &str, body: &[u8]) -> Result<(), String> {
    fn parse<T: Request>(body: &[u8]) -> Result<(), Error> {
        kiosk_api::decode_request::<T>(body).map(drop)
    }
    match path {
        kiosk_api::AUTHINFO_PATH => parse::<AuthinfoRequest>(body),
        kiosk_api::VERIFIED_PATH => parse::<VerifiedRequest>(body),
        kiosk_api::REAL_NAME_PATH => parse::<RealNameRequest>(body),
        _ => Err(Error::invalid("path", "is not a path of the kiosk API")),
    }
    .map_err(|e| e.code().to_owned())
}

// ---------------------------------------------------------------- handlers

async fn authinfo(State(st): State<ServerState>, body: Bytes) -> Result<Response, ApiError> {
    let req: AuthinfoRequest = kiosk_api::decode_request(&body)?;
    let attach = req.attach_text();
    let params = AuthinfoParams {
        rawdata: req.rawdata,
        store_id: req.store_id,
        store_name: req.store_name,
        device_id: req.device_id,
        attach,
    };
    if req.refresh {
        st.client.invalidate_authinfo(&params);
    }
    let grant = st.client.get_authinfo(params).await?;
    let now = st.client.config().clock.now();
    Ok(ok(&AuthinfoAnswer::new(
        grant.authinfo,
        grant.expires_at,
        now,
    )))
}

async fn verified(State(st): State<ServerState>, body: Bytes) -> Result<Response, ApiError> {
    let req: VerifiedRequest = kiosk_api::decode_request(&body)?;
    // Who this is, from WeChat Pay: `ASK_UNIONID` needs no real-name consent.
    let user = st
        .client
        .query_user(&req.face_sid, InfoType::AskUnionId)
        .await?;
    check_reported(&req, &user)?;
    let registry = st.registry.clone();
    let found = blocking(move || {
        registry.lookup(
            user.openid.as_deref().filter(|s| !s.is_empty()),
            user.sub_openid.as_deref().filter(|s| !s.is_empty()),
        )
    })
    .await?;
    Ok(ok(&VerifiedAnswer {
        already_verified: found.is_some(),
    }))
}

/// The ids the kiosk reported (none, with a face SDK that follows the
/// spec's table) must be WeChat Pay's answer for the `face_sid`. The error
/// names the field, never a value.
fn check_reported(req: &VerifiedRequest, user: &FaceUser) -> Result<(), Error> {
    fn reported(s: &Option<String>) -> Option<&str> {
        s.as_deref().filter(|s| !s.is_empty())
    }
    if let Some(openid) = reported(&req.openid) {
        if user.openid.as_deref() != Some(openid) {
            return Err(Error::invalid(
                "openid",
                "is not the openid WeChat Pay answers for this face_sid",
            ));
        }
    }
    // A sub_openid can be checked only when the server asks with a
    // sub_appid; otherwise it is ignored (the lookup uses WeChat's ids only).
    if let (Some(sub), Some(answered)) = (reported(&req.sub_openid), user.sub_openid.as_deref()) {
        if sub != answered {
            return Err(Error::invalid(
                "sub_openid",
                "is not the sub_openid WeChat Pay answers for this face_sid",
            ));
        }
    }
    Ok(())
}

/// Run a registry call on a blocking thread (an implementation may do
/// blocking I/O).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|_| Err(Error::Internal("the patient registry call stopped".into())))
}

async fn real_name(State(st): State<ServerState>, body: Bytes) -> Result<Response, ApiError> {
    // The device id is checked here (at most 32 characters, no control
    // characters: it is logged).
    let req: RealNameRequest = kiosk_api::decode_request(&body)?;
    let span = tracing::info_span!(
        "wxface.kiosk_real_name",
        device_id = %wxface_core::redact::LogSafe(&req.device_id)
    );
    async move {
        let user = st
            .client
            .query_user(&req.face_sid, InfoType::AskRealName)
            .await?;
        let identity = decrypt_user(&user, &st.decryptor)?;
        let masked = identity.masked();
        let registry = st.registry.clone();
        let record = blocking(move || registry.record(&user, &identity)).await?;
        Ok(ok(&RealNameAnswer {
            identity: masked,
            patient_id: Some(record.patient_id),
        }))
    }
    .instrument(span)
    .await
}
