//! The JSON API at `/api/v1`: the same rules as the pages (role, PCN, audit), with
//! personal API tokens as bearer credentials. Described by `/api/v1/openapi.json`.

mod connections;
mod directory;
mod episodes;
mod journey;
mod openapi;
mod people;
mod referrals;
mod safeguarding;

use crate::auth::Auth;
use crate::error::ApiError;
use crate::routes::Routes;
use crate::AppError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::Json;
use serde::de::DeserializeOwned;

/// The API's routes, each with the roles that may call it (see [`crate::routes`]).
pub fn routes() -> Routes {
    use crate::routes::{any_token, public, token, token_or_owner, token_or_self, Target};
    use domain::Role as R;
    const PERSON: Target = Target::Pcn("person");
    const EPISODE: Target = Target::Pcn("episode");
    const SERVICE: Target = Target::Shared("service");
    Routes::new()
        .get("/openapi.json", openapi::document, public())
        .get("/me", me, any_token())
        .get("/people", people::search, token(R::can_read_people))
        .post("/people", people::create, token(R::can_edit_people))
        .get(
            "/people/{id}",
            people::get,
            token(R::can_read_people).on(PERSON),
        )
        .put(
            "/people/{id}",
            people::update,
            token(R::can_edit_people).on(PERSON),
        )
        .post("/referrals", referrals::create, token(R::can_refer))
        .get("/referrals/mine", referrals::mine, token(R::can_refer))
        .get(
            "/episodes/unassigned",
            episodes::unassigned,
            token(R::can_triage),
        )
        .get(
            "/episodes/{id}",
            episodes::get,
            token(R::can_read_people).on(EPISODE),
        )
        .post(
            "/episodes/{id}/assign",
            episodes::assign,
            token(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/transition",
            episodes::transition,
            token(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/contacts",
            episodes::contacts,
            token(R::can_read_people).on(EPISODE),
        )
        .post(
            "/episodes/{id}/contacts",
            episodes::create_contact,
            token(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/records",
            journey::records,
            token(R::can_read_people).on(EPISODE),
        )
        .post(
            "/episodes/{id}/assessments",
            journey::create_assessment,
            token(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/plans",
            journey::create_plan,
            token(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/measures",
            journey::create_measure,
            token(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/referrals-back",
            journey::create_referral_back,
            token(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/discharge",
            journey::discharge,
            token(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/connections",
            connections::list,
            token(R::can_read_people).on(EPISODE),
        )
        .post(
            "/episodes/{id}/connections",
            connections::create,
            token(R::can_triage).on(EPISODE),
        )
        .post(
            "/connections/{id}/status",
            connections::status,
            token(R::can_triage).on(Target::Pcn("connection")),
        )
        .post(
            "/episodes/{id}/safeguarding",
            safeguarding::raise_concern,
            token(R::can_triage).on(EPISODE),
        )
        .get(
            "/safeguarding",
            safeguarding::list,
            token(R::can_view_safeguarding),
        )
        .get(
            "/safeguarding/{id}",
            safeguarding::get,
            token(R::can_close_safeguarding).on(Target::Pcn("safeguarding")),
        )
        .post(
            "/safeguarding/{id}/close",
            safeguarding::close,
            token(R::can_close_safeguarding).on(Target::Pcn("safeguarding")),
        )
        .get(
            "/caseloads/{user_id}",
            episodes::caseload,
            token_or_self(R::can_view_all_caseloads).on(Target::Pcn("link_worker")),
        )
        .get(
            "/directory/services/{id}",
            directory::get,
            token_or_owner(R::can_search_directory).on(SERVICE),
        )
        .patch(
            "/directory/services/{id}",
            directory::patch,
            token_or_owner(R::can_manage_directory).on(SERVICE),
        )
        .map(|r| r.fallback(not_found))
}

async fn not_found() -> ApiError {
    ApiError(AppError::NotFound)
}

async fn me(auth: Auth) -> Json<storage::User> {
    Json(auth.user)
}

/// A JSON body, read only when the handler asks: after the caller's role is checked, so
/// a caller who may not do something is told so whatever they sent. Parse errors come
/// back in the API's JSON error shape.
pub struct ApiBody {
    bytes: Bytes,
    json: bool,
}

impl ApiBody {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if !self.json {
            return Err(ApiError(AppError::BadRequest(
                "The request body is not valid: send it as JSON, with 'Content-Type: application/json'"
                    .into(),
            )));
        }
        if crate::form::json_has_nul(&self.bytes) {
            return Err(ApiError(AppError::BadRequest(
                crate::form::NUL_REFUSED.into(),
            )));
        }
        serde_json::from_slice(&self.bytes).map_err(|e| {
            ApiError(AppError::BadRequest(format!(
                "The request body is not valid: {e}"
            )))
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for ApiBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.ends_with("+json")
            });
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                return ApiError(AppError::TooLarge);
            }
            ApiError(AppError::BadRequest(format!(
                "The request body could not be read: {}",
                e.body_text()
            )))
        })?;
        Ok(ApiBody { bytes, json })
    }
}
