//! Security headers on every response, and no caching of pages that may hold patient data.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    // A NUL in the address (%00) reaches no handler: no database stores one in text.
    let nul = req
        .uri()
        .path_and_query()
        .is_some_and(|pq| pq.as_str().to_ascii_lowercase().contains("%00"));
    let mut res = if nul {
        crate::AppError::BadRequest(crate::form::NUL_REFUSED.into()).into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Stops a request that takes longer than the request timeout (a client trickling its body,
/// or a handler stuck behind a lock) with 408. Dropping the handler rolls back its
/// transaction, so nothing from it is saved.
pub async fn request_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    match tokio::time::timeout(state.config.request_timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(%path, "request timed out");
            let res = crate::AppError::Timeout;
            if path.starts_with("/api/") {
                crate::error::ApiError(res).into_response()
            } else {
                res.into_response()
            }
        }
    }
}
