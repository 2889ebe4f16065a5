//! The reference merchant server for kiosks (feature `server`).
//!
//! It implements the small JSON API of `docs/merchant-api.md` on top of a
//! [`MerchantClient`], the hospital's [`Decryptor`] and a pluggable
//! [`VerifiedRegistry`]:
//!
//! | route | does |
//! |---|---|
//! | `POST /kiosk/authinfo` | a (cached) authinfo for the kiosk's device |
//! | `POST /kiosk/verified` | whether the hospital already verified this openid |
//! | `POST /kiosk/real-name` | query, verify, decrypt, record; answer **masked** data only |
//!
//! Errors are non-2xx with `{"code", "message"}`; `code` is WeChat's own code
//! when the error came from WeChat Pay, the client's stable code otherwise.
//! No message carries personal data: the request body is never echoed.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument as _;
use wxface_core::decrypt::Decryptor;
use wxface_core::realname::{MaskedIdentity, RealName};
use wxface_core::v3::{FaceUser, InfoType};

use crate::client::decrypt_user;
use crate::{AuthinfoParams, Error, MerchantClient, TransportKind};

/// Largest kiosk request body accepted, in bytes.
const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// Where the hospital keeps which users it has verified.
///
/// Called on the server's async executor: implementations should answer
/// quickly (an in-process cache, or a non-blocking store behind it).
pub trait VerifiedRegistry: Send + Sync {
    /// The patient id of a verified user known by `openid` or `sub_openid`.
    ///
    /// # Errors
    /// Any failure of the store; it becomes a 500 answer.
    fn lookup(
        &self,
        openid: Option<&str>,
        sub_openid: Option<&str>,
    ) -> Result<Option<String>, Error>;

    /// Record that `user` was verified as `identity`; return the patient id.
    /// The full identity is available here (and only here) for the HIS to
    /// store under its own controls.
    ///
    /// # Errors
    /// Any failure of the store; it becomes a 500 answer.
    fn record(&self, user: &FaceUser, identity: &RealName) -> Result<String, Error>;
}

/// An in-memory [`VerifiedRegistry`]: openid (and sub_openid) → patient id.
/// It keeps no name or credential number.
#[derive(Default)]
pub struct InMemoryRegistry {
    inner: Mutex<RegistryState>,
}

#[derive(Default)]
struct RegistryState {
    by_openid: HashMap<String, String>,
    issued: u64,
}

impl fmt::Debug for InMemoryRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.lock().by_openid.len();
        f.debug_struct("InMemoryRegistry")
            .field("entries", &n)
            .finish()
    }
}

impl InMemoryRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RegistryState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Mark `openid` verified as `patient_id` (seeding from an existing HIS).
    pub fn insert(&self, openid: impl Into<String>, patient_id: impl Into<String>) {
        self.lock()
            .by_openid
            .insert(openid.into(), patient_id.into());
    }
}

impl VerifiedRegistry for InMemoryRegistry {
    fn lookup(
        &self,
        openid: Option<&str>,
        sub_openid: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let state = self.lock();
        Ok([sub_openid, openid]
            .into_iter()
            .flatten()
            .find_map(|id| state.by_openid.get(id).cloned()))
    }

    fn record(&self, user: &FaceUser, _identity: &RealName) -> Result<String, Error> {
        let mut state = self.lock();
        let ids: Vec<&str> = [user.sub_openid.as_deref(), user.openid.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if let Some(existing) = ids.iter().find_map(|id| state.by_openid.get(*id).cloned()) {
            return Ok(existing);
        }
        state.issued += 1;
        let patient_id = format!("P{:06}", state.issued);
        for id in ids {
            state.by_openid.insert(id.to_owned(), patient_id.clone());
        }
        Ok(patient_id)
    }
}

/// What the router needs.
#[derive(Clone)]
pub struct ServerState {
    client: MerchantClient,
    decryptor: Decryptor,
    registry: Arc<dyn VerifiedRegistry>,
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
    pub fn with_registry(mut self, registry: Arc<dyn VerifiedRegistry>) -> Self {
        self.registry = registry;
        self
    }

    /// The client.
    pub fn client(&self) -> &MerchantClient {
        &self.client
    }
}

/// The kiosk API as an axum router.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/kiosk/authinfo", post(authinfo))
        .route("/kiosk/verified", post(verified))
        .route("/kiosk/real-name", post(real_name))
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

/// An error answer.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                code: &self.code,
                message: &self.message,
            }),
        )
            .into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        use wxface_core::Error as C;
        let status = match &e {
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            } => StatusCode::GATEWAY_TIMEOUT,
            Error::Transport { .. } => StatusCode::BAD_GATEWAY,
            C::InvalidInput { .. } => StatusCode::BAD_REQUEST,
            C::Backend { status, code, .. } => match (status, code.as_str()) {
                (Some(429), _) | (_, "FREQUENCY_LIMITED" | "RATELIMIT_EXCEEDED") => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                (Some(404), _) | (_, "NOT_FOUND" | "RESOURCE_NOT_EXISTS") => StatusCode::NOT_FOUND,
                (Some(400), "PARAM_ERROR" | "INVALID_REQUEST") => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            },
            C::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_GATEWAY,
        };
        let (code, message) = match &e {
            C::Backend { code, message, .. } => (code.clone(), message.clone()),
            other => (other.code().to_owned(), other.to_string()),
        };
        if status.is_server_error() {
            tracing::warn!(code = %code, status = status.as_u16(), "kiosk request failed");
        }
        Self {
            status,
            code,
            message,
        }
    }
}

fn bad_request(message: &str) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        code: "invalid_input".into(),
        message: message.into(),
    }
}

/// Parse a JSON body without echoing any of it in the error.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|_| bad_request("the request body is not the expected JSON object"))
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
    match path {
        "/kiosk/authinfo" => parse::<AuthinfoIn>(body).map(drop),
        "/kiosk/verified" => parse::<VerifiedIn>(body).map(drop),
        "/kiosk/real-name" => parse::<RealNameIn>(body).map(drop),
        _ => Err(bad_request("unknown path")),
    }
    .map_err(|e| e.code)
}

// ---------------------------------------------------------------- handlers

#[derive(Deserialize)]
struct AuthinfoIn {
    rawdata: String,
    device_id: String,
    #[serde(default)]
    store_id: Option<String>,
    #[serde(default)]
    store_name: Option<String>,
    #[serde(default)]
    attach: Option<serde_json::Value>,
    /// The kiosk's SDK reported the previous authinfo invalid or expired:
    /// drop the cached one first.
    #[serde(default)]
    refresh: bool,
}

#[derive(Serialize)]
struct AuthinfoOut {
    authinfo: String,
    expires_in: u64,
    expires_at: u64,
}

async fn authinfo(
    State(st): State<ServerState>,
    body: Bytes,
) -> Result<Json<AuthinfoOut>, ApiError> {
    let req: AuthinfoIn = parse(&body)?;
    let attach = match req.attach {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(v) => Some(v.to_string()),
    };
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
    Ok(Json(AuthinfoOut {
        authinfo: grant.authinfo,
        expires_in: grant.expires_in,
        expires_at: grant.expires_at.as_secs(),
    }))
}

#[derive(Deserialize)]
struct VerifiedIn {
    #[serde(default)]
    openid: Option<String>,
    #[serde(default)]
    sub_openid: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    face_sid: Option<String>,
}

#[derive(Serialize)]
struct VerifiedOut {
    already_verified: bool,
}

async fn verified(
    State(st): State<ServerState>,
    body: Bytes,
) -> Result<Json<VerifiedOut>, ApiError> {
    let req: VerifiedIn = parse(&body)?;
    let nonempty = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let (openid, sub_openid) = (nonempty(&req.openid), nonempty(&req.sub_openid));
    let found = if openid.is_none() && sub_openid.is_none() {
        None
    } else {
        st.registry
            .lookup(openid.as_deref(), sub_openid.as_deref())?
    };
    Ok(Json(VerifiedOut {
        already_verified: found.is_some(),
    }))
}

#[derive(Deserialize)]
struct RealNameIn {
    face_sid: String,
    #[serde(default)]
    device_id: Option<String>,
}

#[derive(Serialize)]
struct RealNameOut {
    identity: MaskedIdentity,
    patient_id: String,
}

async fn real_name(
    State(st): State<ServerState>,
    body: Bytes,
) -> Result<Json<RealNameOut>, ApiError> {
    let req: RealNameIn = parse(&body)?;
    if let Some(d) = &req.device_id {
        // The spec's `device_id`: at most 32 characters, and no control
        // characters (it is logged).
        if d.chars().count() > 32 || wxface_core::redact::has_control_chars(d) {
            return Err(bad_request(
                "`device_id` must be at most 32 characters without control characters",
            ));
        }
    }
    let span = tracing::info_span!(
        "wxface.kiosk_real_name",
        device_id = %wxface_core::redact::LogSafe(req.device_id.as_deref().unwrap_or(""))
    );
    async move {
        let user = st
            .client
            .query_user(&req.face_sid, InfoType::AskRealName)
            .await?;
        let identity = decrypt_user(&user, &st.decryptor)?;
        let patient_id = st.registry.record(&user, &identity)?;
        Ok(Json(RealNameOut {
            identity: identity.masked(),
            patient_id,
        }))
    }
    .instrument(span)
    .await
}
