//! `/api/v1/referrals`: make a referral (for a known person or with their details) and
//! list the referrals you made.

use super::ApiBody;
use crate::auth::Auth;
use crate::error::{api_validation, ApiError};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::{FieldErrors, PersonDraft, ReferralDraft};
use serde::Deserialize;
use storage::{PersonRef, StorageError};

#[derive(Deserialize)]
pub struct CreateBody {
    /// An existing person (link workers and managers only).
    #[serde(default)]
    person_id: Option<i64>,
    /// The person's details, when `person_id` is not given.
    #[serde(default)]
    person: Option<PersonDraft>,
    /// Staff who were shown possible duplicates (409) and checked: this is someone else.
    #[serde(default)]
    confirm_not_duplicate: bool,
    #[serde(flatten)]
    referral: ReferralDraft,
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: ApiBody,
) -> Result<Response, ApiError> {
    auth.require(&state, auth.user.role.can_refer(), "api.referral.create")
        .await?;
    let body: CreateBody = body.json()?;
    let pcn = auth.pcn()?;
    let mut errors = FieldErrors::default();
    let person = match (body.person_id, body.person) {
        (Some(id), _) => {
            auth.require(
                &state,
                auth.user.role.can_read_people(),
                "api.referral.existing_person",
            )
            .await?;
            Some(PersonRef::Existing(id))
        }
        (None, Some(d)) => match d.validate(domain::uk_time::today()) {
            Ok(d) => Some(PersonRef::New(Box::new(d))),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        },
        (None, None) => {
            errors.add("person", "Give person_id or the person's details");
            None
        }
    };
    let referral = match body.referral.validate() {
        Ok(r) => Some(r),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let (Some(person), Some(referral)) = (person, referral) else {
        return Ok(api_validation(&errors));
    };
    let person = crate::pages::referrals::match_existing(&state, pcn, person).await?;
    // Staff are shown likely duplicates first, as on the referral form; a referrer sees no
    // one's records, and the PCN team finds the duplicate on the person's page to merge.
    if let (PersonRef::New(d), true, false) = (
        &person,
        auth.user.role.can_read_people(),
        body.confirm_not_duplicate,
    ) {
        let dups = state.store.find_possible_duplicates(pcn, d).await?;
        if !dups.is_empty() {
            let ids: Vec<i64> = dups.iter().map(|p| p.id).collect();
            let shown: Vec<(i64, i64)> = ids.iter().map(|id| (pcn, *id)).collect();
            auth.audit_shown(
                &state,
                "person.search",
                &shown,
                &format!("API duplicate check on referral: {} shown", ids.len()),
            )
            .await?;
            let body = serde_json::json!({"error": {
                "status": 409,
                "title": "This person may already have a record",
                "message": "People with the same NHS number, or a similar name and the same date of birth, exist. Send person_id for one of them, or send again with \"confirm_not_duplicate\": true.",
                "possible_duplicates": ids,
            }});
            return Ok((StatusCode::CONFLICT, Json(body)).into_response());
        }
    }
    if let (PersonRef::Existing(id), true) = (&person, auth.user.role.can_read_people()) {
        if state.store.get_person(pcn, *id).await?.is_some() {
            auth.need_to_know(&state, pcn, *id).await?;
        }
    }
    match state
        .store
        .create_referral(
            pcn,
            person,
            &referral,
            Some(auth.user.id),
            storage::now(),
            &auth.actor(),
        )
        .await
    {
        // Someone who may not read people's records gets back only what they sent and the
        // referral's own ids: a referral that joined an existing record must not tell them
        // that record's id (or that one exists).
        Ok((r, e)) if !auth.user.role.can_read_people() => Ok((
            StatusCode::CREATED,
            Json(serde_json::json!({
                "referral": {"id": r.id, "received_at": r.received_at},
                "episode": {"id": e.id, "state": e.state},
            })),
        )
            .into_response()),
        Ok((r, e)) => Ok((
            StatusCode::CREATED,
            Json(serde_json::json!({"referral": r, "episode": e})),
        )
            .into_response()),
        Err(StorageError::NotFound) => Err(auth
            .not_found(&state, "person", body.person_id.unwrap_or_default())
            .await
            .into()),
        Err(e) => Err(e.into()),
    }
}

pub async fn mine(State(state): State<AppState>, auth: Auth) -> Result<Response, ApiError> {
    auth.require(&state, auth.user.role.can_refer(), "api.referral.list")
        .await?;
    let pcn = auth.pcn()?;
    let list = state.store.referrals_made_by(pcn, auth.user.id).await?;
    let shown: Vec<(i64, i64)> = list.iter().map(|r| (pcn, r.person_id)).collect();
    auth.audit_shown(
        &state,
        "referral.list",
        &shown,
        &format!("api: {} referrals", list.len()),
    )
    .await?;
    Ok(Json(serde_json::json!({"referrals": list})).into_response())
}
