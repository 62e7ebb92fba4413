//! Liveness, readiness, the stylesheet and the not-found page.

use crate::{AppError, AppState};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

/// The process is up.
pub async fn health() -> impl IntoResponse {
    Json(serde_json::json!({"status": "ok"}))
}

/// The process can serve: the database answers.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ready", "database": state.store.engine_name()})),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable"})),
            )
        }
    }
}

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

/// The icon browsers ask for at `/favicon.ico`: an NHS-blue square with an "L".
pub async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        &include_bytes!("../../static/favicon.ico")[..],
    )
}

/// No route: a page address typed with a trailing slash goes to the page without it; any
/// other address is not found.
pub async fn not_found(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> axum::response::Response {
    let path = uri.path();
    let page = matches!(method, axum::http::Method::GET | axum::http::Method::HEAD);
    // Never a redirect off the site: no "//host" or "/\\host" (which browsers read as one).
    let local = !path.starts_with("//") && !path.contains('\\');
    if page && local && path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        if !trimmed.is_empty() {
            let to = match uri.query() {
                Some(q) => format!("{trimmed}?{q}"),
                None => trimmed.to_string(),
            };
            return axum::response::Redirect::permanent(&to).into_response();
        }
    }
    AppError::NotFound.into_response()
}
