//! Linkwork's HTTP face: server-rendered pages (askama), the JSON API under `/api/v1`,
//! sign-in, sessions, CSRF, authorisation and security headers.
//!
//! `router(state)` builds everything; `serve` runs it on a listener until a shutdown
//! future completes, so tests bind `127.0.0.1:0` and run the real server.

#![recursion_limit = "256"]

pub mod api;
mod app_routes;
pub mod auth;
pub mod charts;
mod config;
mod error;
pub mod fhir;
mod form;
mod headers;
pub mod mail;
pub mod message_back;
pub mod notify;
pub mod oruk;
pub mod pages;
pub mod reminders;
pub mod routes;
pub mod sso;
pub mod texts;
pub mod throttle;
pub mod totp;
mod views;

pub(crate) use app_routes::routes_of_linkwork;
pub use config::{MailConfig, WebConfig};
pub use error::AppError;
/// Report counts below this are withheld unless a deployment chooses more.
pub use reports::SMALL_NUMBER;

use axum::Router;
use directory::Directory;
use std::sync::Arc;
use std::time::Duration;
use storage::Storage;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub directory: Arc<Directory>,
    pub config: Arc<WebConfig>,
    /// Failed sign-ins and other limited attempts, counted in the database (every node's).
    pub throttle: Arc<throttle::Throttle>,
}

impl AppState {
    pub fn new(store: Arc<dyn Storage>, directory: Arc<Directory>, config: WebConfig) -> Self {
        Self {
            throttle: Arc::new(throttle::Throttle::new(store.clone())),
            store,
            directory,
            config: Arc::new(config),
        }
    }
}

/// Every route of Linkwork, with the security headers and body limit on all of them.
pub fn router(state: AppState) -> Router {
    let (routes, _) = routes_of_linkwork().into_parts();
    routes
        .fallback(pages::health::not_found)
        .layer(axum::middleware::from_fn(error::request_page))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::request_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        .with_state(state)
}

/// Serves Linkwork on `listener` until `shutdown` completes. While it runs, the directory
/// search index is checked every few seconds against the database and rebuilt when
/// another node (or an import from the command line) changed the directory.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let directory = state.directory.clone();
    let refresher = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            if let Err(e) = directory.refresh().await {
                tracing::warn!(error = %e, "directory index refresh failed");
            }
        }
    });
    // Audit entries appended without a lock (PostgreSQL) go onto the hash chain within a
    // second; reads of the log seal first anyway (ADR 57).
    let audit_store = state.store.clone();
    let sealer = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            if let Err(e) = audit_store.seal_audit().await {
                tracing::warn!(error = %e, "sealing the audit queue failed; will retry");
            }
            // Limit counts older than a day go once a minute (ADR 56).
            n += 1;
            if n.is_multiple_of(60) {
                if let Err(e) = audit_store.limit_prune(chrono::Utc::now()).await {
                    tracing::warn!(error = %e, "pruning limit counts failed; will retry");
                }
            }
        }
    });
    let reminder_state = state.clone();
    let reminders = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
        loop {
            tick.tick().await;
            match reminders::send_overdue(&reminder_state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "overdue referral reminders sent"),
                Err(e) => tracing::warn!(error = %e, "sending reminders failed; will retry"),
            }
        }
    });
    let outbox_state = state.clone();
    let outbox = tokio::spawn(async move {
        let mut tick = tokio::time::interval(outbox_state.config.outbox_interval);
        loop {
            tick.tick().await;
            match message_back::send_due(&outbox_state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "messages back to referrers sent"),
                Err(e) => tracing::warn!(error = %e, "sending messages back failed; will retry"),
            }
            let now = chrono::Utc::now();
            // What agency referrers sent and never confirmed is not kept past its time.
            if let Err(e) = outbox_state.store.purge_pending_referrals(now).await {
                tracing::warn!(error = %e, "forgetting unconfirmed referrals failed; will retry");
            }
            if let Err(e) = texts::queue_reminders(&outbox_state, now).await {
                tracing::warn!(error = %e, "queueing reminders failed; will retry");
            }
            match texts::send_due(&outbox_state, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "texts sent to GOV.UK Notify"),
                Err(e) => tracing::warn!(error = %e, "sending texts failed; will retry"),
            }
        }
    });
    let result = serve_inner(listener, state, shutdown).await;
    refresher.abort();
    sealer.abort();
    reminders.abort();
    outbox.abort();
    result
}

/// Accepts connections until `shutdown`, then lets requests in flight finish. Each
/// connection is HTTP/1.1 with a header read timeout; each request has the request timeout.
async fn serve_inner(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let header_timeout = state.config.header_read_timeout;
    let app = router(state);
    // Every connection holds a receiver; shutdown waits until all have gone.
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(addr));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
        let mut closed = closed.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = closed.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    drop(closed);
    // Requests in flight get half a minute; a client that stops reading does not hold
    // the shutdown for ever.
    if tokio::time::timeout(Duration::from_secs(30), closing.closed())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 30 s; shutting down anyway");
    }
    Ok(())
}
