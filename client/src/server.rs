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
//!
//! Limits ([`Limits`], `docs/merchant-api.md`): a global and a per-device
//! token bucket on every route, answered with HTTP 429, `Retry-After` and a
//! `transport` error of kind `rate_limited`; authinfo refreshes budgeted per
//! device (beyond it a refresh is answered from the cache); a `face_sid`
//! answered at most once per lookup window by `/kiosk/real-name` (a replay is
//! `invalid_input` on `face_sid`, with no WeChat Pay call); bodies over
//! [`MAX_REQUEST_BYTES`] refused (`invalid_input` on `body`); and a timeout
//! on every request (`transport`, `timeout`, HTTP 504). The device is the
//! one of the request's credential.
//!
//! Authentication ([`crate::devices`]): every request carries its kiosk's
//! device credential (`Authorization: Bearer wxfd1.…`), checked against the
//! [`DeviceStore`] before the body is read. The device a request counts as,
//! and the `device_id` sent to WeChat Pay, is the store's record of that
//! credential; a body's `device_id` is optional and, when sent, must be the
//! same. Without a live credential the answer is 401 (`unauthenticated`)
//! and nothing is asked of WeChat Pay. With feature `tls`,
//! [`crate::tls::serve_tls`] adds TLS and, for deployments with their own
//! PKI, required client certificates (mutual TLS).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, Extensions, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Extension;
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument as _;
use wxface_core::decrypt::Decryptor;
use wxface_core::error::TransportKind;
use wxface_core::kiosk_api::{
    self, Answer, AuthinfoAnswer, AuthinfoRequest, RealNameAnswer, RealNameRequest, Request,
    VerifiedAnswer, VerifiedRequest, MAX_REQUEST_BYTES,
};
use wxface_core::v3::{FaceUser, InfoType};

use crate::client::decrypt_user;
use crate::devices::authenticate;
#[cfg(feature = "sqlite")]
pub use crate::devices::SqliteDevices;
pub use crate::devices::{issue, DeviceRecord, DeviceStore, InMemoryDevices};
use crate::limits::{GlobalBucket, KeyedBuckets, SeenFaceSids};
pub use crate::limits::{Limits, Rate};
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
    devices: Arc<dyn DeviceStore>,
    limits: Arc<Limiter>,
}

/// The live state of the [`Limits`].
#[derive(Debug)]
struct Limiter {
    limits: Limits,
    global: GlobalBucket,
    per_device: KeyedBuckets,
    per_peer: KeyedBuckets,
    refreshes: KeyedBuckets,
    face_sids: SeenFaceSids,
}

impl Limiter {
    fn new(limits: Limits) -> Self {
        Self {
            global: GlobalBucket::new(limits.global),
            per_device: KeyedBuckets::new(limits.per_device, limits.max_tracked),
            per_peer: KeyedBuckets::new(limits.per_peer, limits.max_tracked),
            refreshes: KeyedBuckets::new(limits.refreshes, limits.max_tracked),
            face_sids: SeenFaceSids::new(limits.lookup_window, limits.max_tracked),
            limits,
        }
    }
}

/// The authenticated device of a request (set by [`admit`]).
#[derive(Debug, Clone)]
struct Device(String);

/// The key a request that is not (yet) authenticated counts under: the
/// peer's IP address.
fn peer_key(ext: &Extensions) -> String {
    let peer = ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    #[cfg(feature = "tls")]
    let peer = peer.or_else(|| {
        ext.get::<ConnectInfo<crate::tls::TlsPeer>>()
            .map(|c| (c.0).0)
    });
    match peer {
        Some(peer) => format!("peer:{}", peer.ip()),
        None => "peer:unknown".to_owned(),
    }
}

impl fmt::Debug for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerState")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl ServerState {
    /// State with an [`InMemoryRegistry`] and an empty [`InMemoryDevices`]:
    /// every request is refused until the hospital issues credentials
    /// ([`issue`], or [`ServerState::with_devices`] with its store).
    pub fn new(client: MerchantClient, decryptor: Decryptor) -> Self {
        Self {
            client,
            decryptor,
            registry: Arc::new(InMemoryRegistry::new()),
            devices: Arc::new(InMemoryDevices::new()),
            limits: Arc::new(Limiter::new(Limits::default())),
        }
    }

    /// Use `limits` instead of [`Limits::default`].
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = Arc::new(Limiter::new(limits));
        self
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits.limits
    }

    /// Use `registry` instead of the in-memory one.
    pub fn with_registry(mut self, registry: Arc<dyn PatientRegistry>) -> Self {
        self.registry = registry;
        self
    }

    /// Use `devices` as the store of device credentials.
    pub fn with_devices(mut self, devices: Arc<dyn DeviceStore>) -> Self {
        self.devices = devices;
        self
    }

    /// The store of device credentials.
    pub fn devices(&self) -> &Arc<dyn DeviceStore> {
        &self.devices
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
///
/// Every route is behind [`admit`]: a request without a live device
/// credential is answered 401 before its body is read, and nothing reaches
/// WeChat Pay.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route(kiosk_api::AUTHINFO_PATH, post(authinfo))
        .route(kiosk_api::VERIFIED_PATH, post(verified))
        .route(kiosk_api::REAL_NAME_PATH, post(real_name))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), admit))
        .with_state(state)
}

/// Authentication and the request-count limits, before any handler:
///
/// 1. the `Authorization` header's device credential is looked up in the
///    [`DeviceStore`] (on a blocking thread); a request without a live one
///    is `unauthenticated` (401, `WWW-Authenticate: Bearer`), and counts
///    against its peer address's bucket ([`Limits::per_peer`]), so a flood
///    of made-up credentials is soon answered 429 without a store lookup;
/// 2. the device's bucket, then the global one (429 with `Retry-After`);
/// 3. the handler runs with the device of the credential.
async fn admit(
    State(st): State<ServerState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = peer_key(req.extensions());
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().map(str::to_owned).unwrap_or_default());
    let store = st.devices.clone();
    let device = blocking(move || authenticate(&*store, header.as_deref())).await;
    let device = match device {
        Ok(device) => device,
        Err(e) => {
            if let Err(wait) = st.limits.per_peer.take(&peer) {
                return ApiError::rate_limited(wait).into_response();
            }
            if matches!(e, Error::Unauthenticated(_)) {
                tracing::info!(code = e.code(), "kiosk request refused");
            }
            return ApiError::from(e).into_response();
        }
    };
    let limited = st
        .limits
        .per_device
        .take(&device)
        // The device's own bucket first: a device over its limit does not
        // spend everyone's budget.
        .and_then(|()| st.limits.global.take());
    if let Err(wait) = limited {
        return ApiError::rate_limited(wait).into_response();
    }
    req.extensions_mut().insert(Device(device));
    next.run(req).await
}

/// `device_id` of a request body: absent, or the authenticated device's.
fn check_body_device(body_device: &str, device: &Device) -> Result<(), ApiError> {
    if body_device.is_empty() || body_device == device.0 {
        return Ok(());
    }
    Err(Error::invalid("device_id", "is not the device of the request's credential").into())
}

/// A running server; dropping it (or [`ServerHandle::shutdown`]) stops it.
#[derive(Debug)]
pub struct ServerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl ServerHandle {
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn new(stop: oneshot::Sender<()>, task: JoinHandle<std::io::Result<()>>) -> Self {
        Self {
            stop: Some(stop),
            task: Some(task),
        }
    }

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
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
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
struct ApiError(Error, Option<u64>);

impl ApiError {
    /// HTTP 429 with `Retry-After` (whole seconds, at least 1).
    fn rate_limited(wait: std::time::Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let secs = secs.max(1);
        Self(
            Error::transport(
                TransportKind::RateLimited,
                format!("the merchant server's rate limit: retry after {secs} s"),
            ),
            Some(secs),
        )
    }
}

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
        let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"wxface kiosk API\""),
            );
        }
        if let Some(secs) = self.1 {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self(e, None)
    }
}

/// The body, or `invalid_input` on `body` when it is over the limit or
/// could not be read.
fn body_of(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|_| {
        ApiError::from(Error::invalid(
            "body",
            format!("is larger than {MAX_REQUEST_BYTES} bytes or could not be read"),
        ))
    })
}

/// Run a handler under the request timeout.
async fn timed(
    st: &ServerState,
    f: impl std::future::Future<Output = Result<Response, ApiError>>,
) -> Result<Response, ApiError> {
    let limit = st.limits.limits.request_timeout;
    tokio::time::timeout(limit, f).await.unwrap_or_else(|_| {
        Err(ApiError::from(Error::transport(
            TransportKind::Timeout,
            format!("the request took longer than {limit:?}"),
        )))
    })
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

async fn authinfo(
    State(st): State<ServerState>,
    Extension(device): Extension<Device>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut req: AuthinfoRequest = kiosk_api::decode_request(&body_of(body)?)?;
    check_body_device(&req.device_id, &device)?;
    // Past the device's refresh budget, a refresh is a plain request:
    // answered from the cache when it holds one.
    let refresh = req.refresh && st.limits.refreshes.take(&device.0).is_ok();
    req.device_id = device.0;
    timed(&st, authinfo_answer(&st, req, refresh)).await
}

async fn authinfo_answer(
    st: &ServerState,
    req: AuthinfoRequest,
    refresh: bool,
) -> Result<Response, ApiError> {
    let attach = req.attach_text();
    let params = AuthinfoParams {
        rawdata: req.rawdata,
        store_id: req.store_id,
        store_name: req.store_name,
        device_id: req.device_id,
        attach,
    };
    if refresh {
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

async fn verified(
    State(st): State<ServerState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: VerifiedRequest = kiosk_api::decode_request(&body_of(body)?)?;
    timed(&st, verified_answer(&st, req)).await
}

async fn verified_answer(st: &ServerState, req: VerifiedRequest) -> Result<Response, ApiError> {
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

async fn real_name(
    State(st): State<ServerState>,
    Extension(device): Extension<Device>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let mut req: RealNameRequest = kiosk_api::decode_request(&body_of(body)?)?;
    check_body_device(&req.device_id, &device)?;
    req.device_id = device.0;
    // A face_sid is answered once per lookup window; a failed lookup gives
    // its claim back (nothing was answered, the kiosk may retry).
    if !st.limits.face_sids.claim(&req.face_sid) {
        return Err(Error::invalid(
            "face_sid",
            "was already looked up; a face_sid is answered once",
        )
        .into());
    }
    let face_sid = req.face_sid.clone();
    let answer = timed(&st, real_name_answer(&st, req)).await;
    if answer.is_err() {
        st.limits.face_sids.release(&face_sid);
    }
    answer
}

async fn real_name_answer(st: &ServerState, req: RealNameRequest) -> Result<Response, ApiError> {
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
