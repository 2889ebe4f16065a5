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
//! The messages, their checks, the error body and the error → HTTP status
//! mapping are the core's ([`wxface_core::kiosk_api`]): an error is a non-2xx
//! answer whose body is the core's error record ([`Error::info`]), so a
//! WeChat Pay failure reaches the kiosk as a `backend` error with WeChat's
//! own code (`wechat_code`) and status. No message carries personal data:
//! the request body is never echoed.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

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
use wxface_core::realname::RealName;
use wxface_core::v3::{FaceUser, InfoType};

use crate::client::decrypt_user;
use crate::{AuthinfoParams, Error, MerchantClient};

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
    let nonempty = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let (openid, sub_openid) = (nonempty(&req.openid), nonempty(&req.sub_openid));
    let found = if openid.is_none() && sub_openid.is_none() {
        None
    } else {
        st.registry
            .lookup(openid.as_deref(), sub_openid.as_deref())?
    };
    Ok(ok(&VerifiedAnswer {
        already_verified: found.is_some(),
    }))
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
        let patient_id = st.registry.record(&user, &identity)?;
        Ok(ok(&RealNameAnswer {
            identity: identity.masked(),
            patient_id: Some(patient_id),
        }))
    }
    .instrument(span)
    .await
}
