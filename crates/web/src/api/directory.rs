//! The directory in the JSON API: a service with Linkwork's listing facts, and updates to
//! those facts by managers or the service's own partner organisation.

use crate::api::ApiBody;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::pages::directory::can_edit;
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::Json;
use domain::{Code, ReferralMode, ServiceCapacity};
use serde::Deserialize;

fn view(e: &directory::Entry) -> serde_json::Value {
    serde_json::json!({
        "service": directory::export::oruk_service(e),
        "listing": e.listing,
        "version": e.version,
    })
}

pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let e = state
        .directory
        .entry(&id)
        .await?
        .ok_or(AppError::NotFound)?;
    let allowed = auth.user.role.can_search_directory() || can_edit(&auth, &e);
    auth.require(&state, allowed, "api.directory.service.view")
        .await?;
    Ok(Json(view(&e)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingPatch {
    capacity: Option<String>,
    referral_mode: Option<String>,
    response_days: Option<u16>,
    /// `true` records that the listing was checked today.
    verified: Option<bool>,
    /// The version read; the update is refused if the listing changed since.
    version: i64,
}

pub async fn patch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    p: ApiBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut e = state
        .directory
        .entry(&id)
        .await?
        .ok_or(AppError::NotFound)?;
    auth.require(&state, can_edit(&auth, &e), "api.directory.service.update")
        .await?;
    let p: ListingPatch = p.json()?;
    if p.version != e.version {
        return Err(AppError::Stale.into());
    }
    if let Some(c) = p.capacity {
        e.listing.capacity = ServiceCapacity::from_code(&c).ok_or_else(|| {
            AppError::BadRequest("capacity must be accepting, waiting_list or full".into())
        })?;
    }
    if let Some(m) = p.referral_mode {
        e.listing.referral_mode = ReferralMode::from_code(&m).ok_or_else(|| {
            AppError::BadRequest("referral_mode must be referral or signpost".into())
        })?;
    }
    if let Some(d) = p.response_days {
        if !(1..=365).contains(&d) {
            return Err(AppError::BadRequest("response_days must be from 1 to 365".into()).into());
        }
        e.listing.response_days = d;
    }
    if p.verified == Some(true) {
        e.listing.verified_on = Some(directory::today());
    }
    let saved = state.directory.save(&e, &auth.actor()).await?;
    Ok(Json(view(&saved)))
}
