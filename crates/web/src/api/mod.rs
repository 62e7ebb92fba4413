//! The JSON API at `/api/v1`: the same rules as the pages (role, PCN, audit), with
//! personal API tokens as bearer credentials. Described by `/api/v1/openapi.json`.

mod directory;
mod episodes;
mod openapi;
mod people;
mod referrals;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::{AppError, AppState};
use axum::extract::{FromRequest, Request};
use axum::routing::{get, post};

use axum::{Json, Router};
use serde::de::DeserializeOwned;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/me", get(me))
        .route("/people", get(people::search).post(people::create))
        .route("/people/{id}", get(people::get).put(people::update))
        .route("/referrals", post(referrals::create))
        .route("/referrals/mine", get(referrals::mine))
        .route("/episodes/unassigned", get(episodes::unassigned))
        .route("/episodes/{id}", get(episodes::get))
        .route("/episodes/{id}/assign", post(episodes::assign))
        .route("/episodes/{id}/transition", post(episodes::transition))
        .route(
            "/episodes/{id}/contacts",
            get(episodes::contacts).post(episodes::create_contact),
        )
        .route("/caseloads/{user_id}", get(episodes::caseload))
        .route(
            "/directory/services/{id}",
            get(directory::get).patch(directory::patch),
        )
        .fallback(not_found)
}

/// Every route of the API, as (method, path template), for the OpenAPI document check.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/me"),
    ("get", "/people"),
    ("post", "/people"),
    ("get", "/people/{id}"),
    ("put", "/people/{id}"),
    ("post", "/referrals"),
    ("get", "/referrals/mine"),
    ("get", "/episodes/unassigned"),
    ("get", "/episodes/{id}"),
    ("post", "/episodes/{id}/assign"),
    ("post", "/episodes/{id}/transition"),
    ("get", "/episodes/{id}/contacts"),
    ("post", "/episodes/{id}/contacts"),
    ("get", "/caseloads/{user_id}"),
    ("get", "/directory/services/{id}"),
    ("patch", "/directory/services/{id}"),
];

async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

async fn me(auth: Auth) -> Json<storage::User> {
    Json(auth.user)
}

/// A JSON body whose parse errors come back as our JSON error shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError(AppError::BadRequest(format!(
                "The request body is not valid: {}",
                e.body_text()
            )))),
        }
    }
}
