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
    let path = req.uri().path().to_string();
    let mut res = if nul {
        error_for(
            &path,
            crate::AppError::BadRequest(crate::form::NUL_REFUSED.into()),
        )
    } else {
        next.run(req).await
    };
    // A body over the limit is refused by the extractor before any handler runs, as plain
    // text; people get the error page that says what the limit is instead.
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if res.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && plain {
        res = error_for(&path, crate::AppError::TooLarge);
    }
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
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// An error in the form the caller reads: JSON for the API and the systems' endpoints
/// (FHIR, OAuth, ORUK), a page for people.
fn error_for(path: &str, e: crate::AppError) -> Response {
    if ["/api/", "/fhir", "/oauth/", "/oruk"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        crate::error::ApiError(e).into_response()
    } else {
        e.into_response()
    }
}

/// Stops a request that takes longer than the request timeout (a client trickling its body,
/// or a handler stuck behind a lock) with 503 and closes the connection, so no browser
/// retries it on its own. Dropping the handler rolls back a transaction not yet committed.
/// The directory import, which may upload 20 MiB, gets five times as long.
pub async fn request_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let limit = if path == "/directory/import" {
        state.config.request_timeout * 5
    } else {
        state.config.request_timeout
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(%path, "request timed out");
            let mut res = error_for(&path, crate::AppError::Timeout);
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            res
        }
    }
}
