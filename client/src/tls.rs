//! The reference server over TLS, with client certificates required when
//! the hospital has a PKI (feature `tls`).
//!
//! [`serve_tls`] serves the same router as [`crate::server::serve`] behind
//! rustls. With [`TlsSettings::client_ca_pem`] set, the handshake itself
//! refuses a client without a certificate issued by that CA (mutual TLS);
//! the device credential is still required on every request, so a stolen
//! certificate alone does not let anyone in, and neither does a stolen
//! credential from a machine without the certificate.
//!
//! Handshakes run in tasks of their own (at most [`MAX_HANDSHAKES`] at
//! once, each bounded by [`HANDSHAKE_TIMEOUT`]): a client that connects and
//! says nothing holds up nobody else.
//!
//! Built on `tokio-rustls` with the AWS-LC provider, the one the merchant
//! client already links for its own HTTPS.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::server::{router, ServerHandle, ServerState};
use crate::Error;

/// Longest TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most handshakes in progress at once.
pub const MAX_HANDSHAKES: usize = 256;

/// The server's certificate and key, and the CA its clients' certificates
/// must chain to (mutual TLS), all PEM.
#[derive(Clone)]
pub struct TlsSettings {
    /// The server's certificate chain, leaf first.
    pub cert_chain_pem: String,
    /// The server's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
    /// When set, clients must present a certificate issued by one of these
    /// CAs, or the handshake fails.
    pub client_ca_pem: Option<String>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field(
                "client_certificates_required",
                &self.client_ca_pem.is_some(),
            )
            .finish_non_exhaustive()
    }
}

impl TlsSettings {
    /// The rustls configuration.
    ///
    /// # Errors
    /// [`Error::Config`] for PEM that holds no certificate or key, a key
    /// that does not match, or a CA that cannot be used.
    pub fn server_config(&self) -> Result<rustls::ServerConfig, Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| Error::config(format!("TLS certificate chain: {e}")))?;
        if chain.is_empty() {
            return Err(Error::config("TLS certificate chain: no certificate"));
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| Error::config(format!("TLS private key: {e}")))?;
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(format!("TLS: {e}")))?;
        let builder = match &self.client_ca_pem {
            None => builder.with_no_client_auth(),
            Some(pem) => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                    let cert = cert.map_err(|e| Error::config(format!("client CA: {e}")))?;
                    roots
                        .add(cert)
                        .map_err(|e| Error::config(format!("client CA: {e}")))?;
                }
                if roots.is_empty() {
                    return Err(Error::config("client CA: no certificate"));
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| Error::config(format!("client CA: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| Error::config(format!("TLS certificate and key: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// The peer of a TLS connection (the reference server's limits count
/// refused requests per peer address).
#[derive(Debug, Clone, Copy)]
pub struct TlsPeer(pub SocketAddr);

/// Completed handshakes, from the accept loop's tasks.
struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop ended (the server is stopping): wait for the
            // graceful shutdown to drop this listener.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for TlsPeer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        TlsPeer(*stream.remote_addr())
    }
}

/// Accept TCP connections and run their handshakes in tasks.
async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match tcp.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if ready.is_closed() {
            return;
        }
        let acceptor = acceptor.clone();
        let sender = ready.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = sender.send((tls, peer)).await;
                }
                Ok(Err(e)) => {
                    tracing::info!(peer = %peer.ip(), error = %e, "TLS handshake refused");
                }
                Err(_) => tracing::info!(peer = %peer.ip(), "TLS handshake timed out"),
            }
        });
    }
}

/// Bind `addr` and serve the kiosk API over TLS on the current tokio
/// runtime; with [`TlsSettings::client_ca_pem`], mutual TLS.
///
/// # Errors
/// [`Error::Config`] for the TLS settings, [`Error::Transport`] when the
/// address cannot be bound.
pub async fn serve_tls(
    addr: SocketAddr,
    state: ServerState,
    tls: &TlsSettings,
) -> Result<(SocketAddr, ServerHandle), Error> {
    let acceptor = TlsAcceptor::from(Arc::new(tls.server_config()?));
    let tcp = TcpListener::bind(addr).await.map_err(|e| {
        Error::transport(
            wxface_core::error::TransportKind::Other,
            format!("cannot listen on {addr}: {e}"),
        )
    })?;
    let local = tcp
        .local_addr()
        .map_err(|e| Error::transport(wxface_core::error::TransportKind::Other, e.to_string()))?;
    let (tx, rx) = mpsc::channel(64);
    let accepting = tokio::spawn(accept_loop(tcp, acceptor, tx));
    let listener = TlsListener { local, ready: rx };
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router(state);
    let task = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<TlsPeer>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        })
        .await;
        accepting.abort();
        served
    });
    Ok((local, ServerHandle::new(stop, task)))
}
