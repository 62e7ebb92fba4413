//! `/api/v1/episodes` and `/api/v1/caseloads`: the queue, triage and caseloads.

use super::ApiBody;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use domain::{Code, DischargeReason, EpisodeState};
use serde::Deserialize;
use storage::{Episode, StorageError};

async fn mapped(
    state: &AppState,
    auth: &Auth,
    id: i64,
    r: Result<Episode, StorageError>,
) -> Result<Json<Episode>, ApiError> {
    match r {
        Ok(e) => Ok(Json(e)),
        Err(StorageError::NotFound) => Err(auth.not_found(state, "episode", id).await.into()),
        Err(e) => Err(e.into()),
    }
}

pub async fn unassigned(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth.require(&state, auth.user.role.can_triage(), "api.triage.view")
        .await?;
    let pcn = auth.pcn()?;
    let list = state.store.unassigned_queue(pcn).await?;
    let shown: Vec<(i64, i64)> = list.iter().map(|r| (pcn, r.person_id)).collect();
    auth.audit_shown(
        &state,
        "triage.view",
        &shown,
        &format!("api: {} unassigned", list.len()),
    )
    .await?;
    Ok(Json(serde_json::json!({"episodes": list})))
}

pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<Episode>, ApiError> {
    auth.require(&state, auth.user.role.can_read_people(), "api.episode.read")
        .await?;
    let e = state
        .store
        .get_episode(auth.pcn()?, id)
        .await?
        .ok_or(StorageError::NotFound);
    if let Ok(e) = &e {
        auth.need_to_know(&state, e.pcn_id, e.person_id).await?;
        auth.audit_read(
            &state,
            "episode.read",
            Some(e.person_id),
            format!("api: episode {id}"),
        )
        .await?;
    }
    mapped(&state, &auth, id, e).await
}

#[derive(Deserialize)]
pub struct AssignBody {
    version: i64,
    link_worker_id: i64,
}

/// Need-to-know for a change to episode `id` (a missing one is left to the store's 404).
async fn theirs(state: &AppState, auth: &Auth, id: i64) -> Result<(), ApiError> {
    Ok(auth.need_to_know_episode(state, auth.pcn()?, id).await?)
}

pub async fn assign(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    b: ApiBody,
) -> Result<Json<Episode>, ApiError> {
    auth.require(&state, auth.user.role.can_triage(), "api.episode.assign")
        .await?;
    let b: AssignBody = b.json()?;
    theirs(&state, &auth, id).await?;
    let r = state
        .store
        .assign_episode(
            auth.pcn()?,
            id,
            b.version,
            b.link_worker_id,
            storage::now(),
            &auth.actor(),
        )
        .await;
    mapped(&state, &auth, id, r).await
}

#[derive(Deserialize)]
pub struct TransitionBody {
    version: i64,
    state: String,
    #[serde(default)]
    reason: Option<String>,
    /// Why an episode closes as declined or unable to contact (required for those, as the
    /// close page asks).
    #[serde(default)]
    why: Option<String>,
}

pub async fn transition(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    b: ApiBody,
) -> Result<Response, ApiError> {
    auth.require(
        &state,
        auth.user.role.can_triage(),
        "api.episode.transition",
    )
    .await?;
    let b: TransitionBody = b.json()?;
    let to = EpisodeState::from_code(&b.state).ok_or_else(|| {
        let all: Vec<&str> = EpisodeState::ALL.iter().map(|s| s.code()).collect();
        AppError::BadRequest(format!("state must be one of: {}", all.join(", ")))
    })?;
    if to == EpisodeState::Discharged {
        theirs(&state, &auth, id).await?;
        return Ok(super::journey::discharge_elsewhere(id));
    }
    let reason = match b.reason.as_deref() {
        None | Some("") => None,
        Some(r) => Some(DischargeReason::from_code(r).ok_or_else(|| {
            let all: Vec<&str> = DischargeReason::ALL.iter().map(|s| s.code()).collect();
            AppError::BadRequest(format!("reason must be one of: {}", all.join(", ")))
        })?),
    };
    theirs(&state, &auth, id).await?;
    if to == EpisodeState::UnableToContact {
        crate::pages::episodes::check_unreachable(&state, auth.pcn()?, id).await?;
    }
    // Declined and unable to contact close the episode: with a reason, as on the page.
    if to.is_closing() {
        let why = b.why.as_deref().unwrap_or_default().trim();
        if why.is_empty() || why.chars().count() > 2000 {
            let mut e = domain::FieldErrors::default();
            e.add(
                "why",
                "Say why the episode is closing (2,000 characters or fewer)",
            );
            return Ok(crate::error::api_validation(&e));
        }
        let r = state
            .store
            .close_episode(
                auth.pcn()?,
                id,
                b.version,
                to,
                why,
                storage::now(),
                &auth.actor(),
            )
            .await;
        return Ok(mapped(&state, &auth, id, r).await?.into_response());
    }
    let r = state
        .store
        .transition_episode(
            auth.pcn()?,
            id,
            b.version,
            to,
            reason,
            storage::now(),
            &auth.actor(),
        )
        .await;
    Ok(mapped(&state, &auth, id, r).await?.into_response())
}

#[derive(Deserialize, Default)]
pub struct CaseloadQuery {
    state: Option<String>,
    sort: Option<String>,
}

pub async fn caseload(
    State(state): State<AppState>,
    auth: Auth,
    Path(user_id): Path<i64>,
    Query(q): Query<CaseloadQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let own = user_id == auth.user.id && auth.user.role.has_caseload();
    auth.require(
        &state,
        own || auth.user.role.can_view_all_caseloads(),
        "api.caseload.view",
    )
    .await?;
    let pcn = auth.pcn()?;
    let (_, filter) = crate::pages::caseload::load_caseload_request(
        &state,
        &auth,
        user_id,
        q.state.as_deref().unwrap_or(""),
        q.sort.as_deref().unwrap_or(""),
    )
    .await?;
    let rows = state.store.caseload(pcn, user_id, &filter).await?;
    let shown: Vec<(i64, i64)> = rows.iter().map(|r| (pcn, r.person_id)).collect();
    auth.audit_shown(
        &state,
        "caseload.view",
        &shown,
        &format!("api: caseload of user {user_id}: {} rows", rows.len()),
    )
    .await?;
    let taken_on = state
        .store
        .taken_on_since(pcn, user_id, Utc::now() - Duration::days(365))
        .await?;
    Ok(Json(serde_json::json!({
        "link_worker_id": user_id,
        "taken_on_last_12_months": taken_on,
        "expected_range": [domain::capacity::CASELOAD_RANGE.0, domain::capacity::CASELOAD_RANGE.1],
        "episodes": rows,
    })))
}

#[derive(Deserialize)]
pub struct NewContact {
    #[serde(flatten)]
    contact: domain::ContactDraft,
    version: i64,
}

fn contact_json(c: &storage::Contact) -> serde_json::Value {
    let d = &c.details;
    serde_json::json!({
        "id": c.id,
        "episode_id": c.episode_id,
        "contact_type": d.contact_type.code(),
        "at": d.at,
        "duration_minutes": d.duration_minutes,
        "did_not_attend": d.did_not_attend,
        "present": d.present.iter().map(|p| p.code()).collect::<Vec<_>>(),
        "notes": d.notes,
        "recorded_at": c.recorded_at,
    })
}

/// Records a contact (the same checks as the page); 201 with the contact and the episode.
pub async fn create_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    auth.require(&state, auth.user.role.can_triage(), "api.contact.create")
        .await?;
    let body: NewContact = body.json()?;
    let pcn = auth.pcn()?;
    let Some(ep) = state.store.get_episode(pcn, id).await? else {
        return Err(auth.not_found(&state, "episode", id).await.into());
    };
    auth.need_to_know(&state, pcn, ep.person_id).await?;
    let details = match body.contact.validate(Utc::now(), ep.referred_at) {
        Ok(d) => d,
        Err(e) => return Ok(crate::error::api_validation(&e)),
    };
    match state
        .store
        .record_contact(pcn, id, body.version, &details, &auth.actor())
        .await
    {
        Ok((c, ep)) => Ok((
            axum::http::StatusCode::CREATED,
            Json(serde_json::json!({"contact": contact_json(&c), "episode": ep})),
        )
            .into_response()),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "episode", id).await.into()),
        Err(e) => Err(e.into()),
    }
}

/// An episode's contacts, newest first.
pub async fn contacts(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    auth.require(&state, auth.user.role.can_read_people(), "api.contact.read")
        .await?;
    let pcn = auth.pcn()?;
    let Some(ep) = state.store.get_episode(pcn, id).await? else {
        return Err(auth.not_found(&state, "episode", id).await.into());
    };
    auth.need_to_know(&state, pcn, ep.person_id).await?;
    let list: Vec<serde_json::Value> = state
        .store
        .contacts_for_person(pcn, ep.person_id)
        .await?
        .iter()
        .filter(|c| c.episode_id == id)
        .map(contact_json)
        .collect();
    auth.audit_read(
        &state,
        "contact.read",
        Some(ep.person_id),
        format!("api: episode {id} contacts"),
    )
    .await?;
    Ok(Json(serde_json::json!({"contacts": list})))
}
