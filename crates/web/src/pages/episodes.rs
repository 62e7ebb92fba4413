//! Actions on an episode: assign to a link worker, move to another state, plan the next
//! contact. The domain decides which moves are legal; storage checks the version.

use super::see_other;
use crate::auth::Auth;
use crate::{AppError, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveTime;
use domain::{Code, DischargeReason, EpisodeState};
use storage::StorageError;

/// The person page of episode `id`, once the caller may act on it (in their PCN, and theirs
/// to open: [`Auth::need_to_know`]).
async fn person_page(state: &AppState, auth: &Auth, id: i64) -> Result<String, AppError> {
    let pcn = auth.pcn()?;
    match state.store.get_episode(pcn, id).await? {
        Some(e) => {
            auth.need_to_know(state, pcn, e.person_id).await?;
            Ok(format!("/people/{}", e.person_id))
        }
        None => Err(auth.not_found(state, "episode", id).await),
    }
}

async fn storage_error(state: &AppState, auth: &Auth, id: i64, e: StorageError) -> AppError {
    match e {
        StorageError::NotFound => auth.not_found(state, "episode", id).await,
        other => other.into(),
    }
}

pub async fn assign(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_triage(), "episode.assign")
        .await?;
    let version = form.i64("version")?;
    let worker = form.i64("link_worker_id")?;
    let back = person_page(&state, &auth, id).await?;
    if let Err(e) = state
        .store
        .assign_episode(
            auth.pcn()?,
            id,
            version,
            worker,
            storage::now(),
            &auth.actor(),
        )
        .await
    {
        return Err(storage_error(&state, &auth, id, e).await);
    }
    let to = if form.get("back") == "/triage" {
        "/triage?done=assigned".to_string()
    } else {
        format!("{back}?done=assigned")
    };
    Ok(see_other(&to))
}

pub async fn transition(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_triage(), "episode.transition")
        .await?;
    let version = form.i64("version")?;
    let to = EpisodeState::from_code(form.get("state"))
        .ok_or_else(|| AppError::BadRequest("Choose the state to move the episode to".into()))?;
    let reason = match form.get("reason") {
        "" => None,
        r => Some(DischargeReason::from_code(r).ok_or_else(|| {
            AppError::BadRequest("Choose a discharge reason from the list".into())
        })?),
    };
    let back = person_page(&state, &auth, id).await?;
    if to == EpisodeState::Discharged {
        return Err(AppError::BadRequest(
            "Use the Discharge page to end an episode: it records the reason and a closing summary"
                .into(),
        ));
    }
    if to.is_closing() {
        // Closing asks to confirm, with a reason: the confirmation page does it.
        return Ok(see_other(&format!("/episodes/{id}/close?to={}", to.code())));
    }
    if let Err(e) = state
        .store
        .transition_episode(
            auth.pcn()?,
            id,
            version,
            to,
            reason,
            storage::now(),
            &auth.actor(),
        )
        .await
    {
        return Err(storage_error(&state, &auth, id, e).await);
    }
    Ok(see_other(&format!("{back}?done=state")))
}

pub async fn next_contact(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_triage(), "episode.next_contact")
        .await?;
    let version = form.i64("version")?;
    let next = match form.get("next_contact").trim() {
        "" => None,
        s => {
            let d = domain::person::parse_date(s).ok_or_else(|| {
                AppError::BadRequest("Next contact must be a real date, like 2026-12-01".into())
            })?;
            if d < domain::uk_time::today() {
                return Err(AppError::BadRequest(
                    "Next contact must be today or later".into(),
                ));
            }
            Some(domain::uk_time::at(
                d,
                NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            ))
        }
    };
    let back = person_page(&state, &auth, id).await?;
    if let Err(e) = state
        .store
        .set_next_contact(auth.pcn()?, id, version, next, &auth.actor())
        .await
    {
        return Err(storage_error(&state, &auth, id, e).await);
    }
    Ok(see_other(&format!("{back}?done=next-contact")))
}

/// Contacts recorded in an episode as did not attend or not reached.
pub(crate) async fn unsuccessful_attempts(
    state: &AppState,
    pcn: i64,
    ep: &storage::Episode,
) -> Result<usize, AppError> {
    Ok(state
        .store
        .contacts_for_person(pcn, ep.person_id)
        .await?
        .iter()
        .filter(|c| c.episode_id == ep.id && c.details.did_not_attend)
        .count())
}

/// Refuses to close an episode as unable to contact before the configured number of
/// unsuccessful attempts (contacts recorded as did not attend / not reached).
pub(crate) async fn check_unreachable(state: &AppState, pcn: i64, id: i64) -> Result<(), AppError> {
    let attempts = match state.store.get_episode(pcn, id).await? {
        Some(ep) => unsuccessful_attempts(state, pcn, &ep).await?,
        None => return Ok(()),
    };
    domain::journey::may_close_unreachable(attempts, state.config.unable_to_contact_attempts)
        .map_err(AppError::Conflict)
}
