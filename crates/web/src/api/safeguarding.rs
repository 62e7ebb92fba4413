//! `/api/v1/…/safeguarding`: raising a concern to a GP supervisor, listing the open ones a
//! user may see, and the supervisor closing theirs with the action taken. The same code as
//! the pages: the same checks, the same need-to-know (a concern is read only by the
//! supervisor it was raised to), the same audit.

use super::ApiBody;
use crate::auth::Auth;
use crate::error::{api_validation, ApiError};
use crate::pages::journey::{close_concern, concern, load, open_concerns, open_only, raise};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use domain::journey::SafeguardingDraft;
use domain::{Code, Safeguarding};
use serde::Deserialize;
use serde_json::{json, Value};
use storage::EpisodeRecord;

/// A concern as the API shows it.
fn concern_json(r: &EpisodeRecord, s: &Safeguarding) -> Value {
    json!({
        "id": r.id,
        "episode_id": r.episode_id,
        "person_id": r.person_id,
        "status": r.status,
        "raised_at": r.created_at,
        "raised_to": s.raised_to,
        "about": s.about.map(|a| a.code()),
        "kinds": s.kinds.iter().map(|k| k.code()).collect::<Vec<_>>(),
        "urgency": s.urgency().code(),
        "respond_by": s.due(r.created_at),
        "concern": s.concern,
        "action_so_far": s.action_so_far,
        "la_contacted": s.la_contacted,
        "la_contacted_on": s.la_contacted_on,
        "action": s.action,
        "closed_on": s.closed_on,
        "version": r.version,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaiseBody {
    /// Who it is about: `adult` or `child`.
    #[serde(default)]
    about: String,
    /// Kinds of abuse or concern: codes as on the page.
    #[serde(default)]
    kinds: Vec<String>,
    /// How urgent: `immediate`, `urgent` or `routine`.
    #[serde(default)]
    urgency: String,
    concern: String,
    #[serde(default)]
    action_so_far: String,
    /// `yes`, `no`, or left out when not known.
    #[serde(default)]
    la_contacted: String,
    #[serde(default)]
    la_contacted_on: String,
    /// The user id of one of the PCN's GP supervisors.
    raised_to: Option<i64>,
}

/// Raises a concern on an open episode to a GP supervisor of the PCN; 201 with it.
pub async fn raise_concern(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    let (ep, _) = load(&state, &auth, id, "api.safeguarding.create").await?;
    let b: RaiseBody = body.json()?;
    open_only(&ep)?;
    let sups = crate::pages::journey::supervisors(&state, auth.pcn()?).await?;
    let draft = SafeguardingDraft {
        about: b.about,
        kinds: b.kinds,
        urgency: b.urgency,
        concern: b.concern,
        action_so_far: b.action_so_far,
        la_contacted: b.la_contacted,
        la_contacted_on: b.la_contacted_on,
    };
    let to = b.raised_to.map(|t| t.to_string()).unwrap_or_default();
    match raise(&state, &auth, &ep, &sups, &draft, &to).await? {
        Ok(r) => {
            let s = r.parse::<Safeguarding>().unwrap_or_default();
            Ok((
                StatusCode::CREATED,
                Json(json!({"concern": concern_json(&r, &s)})),
            )
                .into_response())
        }
        Err(e) => Ok(api_validation(&e)),
    }
}

/// The open concerns the caller may see, overdue first, then the most urgent.
pub async fn list(State(state): State<AppState>, auth: Auth) -> Result<Json<Value>, ApiError> {
    let now = Utc::now();
    let open: Vec<Value> = open_concerns(&state, &auth, "api.safeguarding.list")
        .await?
        .iter()
        .map(|v| {
            let mut j = concern_json(&v.record, &v.concern);
            j["person_name"] = json!(v.name);
            j["raised_by"] = json!(v.by);
            j["overdue"] = json!(now > v.concern.due(v.record.created_at));
            j
        })
        .collect();
    Ok(Json(json!({ "concerns": open })))
}

/// One concern, to the supervisor it was raised to (anyone else: 404).
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let (r, s, p) = concern(&state, &auth, id).await?;
    auth.audit_read(
        &state,
        "safeguarding.read",
        Some(p.id),
        format!("api: concern {id}"),
    )
    .await?;
    Ok(Json(json!({"concern": concern_json(&r, &s)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    version: i64,
    /// The action taken: who was told, what was decided, any follow-up.
    action: String,
    #[serde(default)]
    la_contacted: String,
    #[serde(default)]
    la_contacted_on: String,
}

/// The supervisor records the action taken and closes the concern (409 if closed already
/// or changed since it was read).
pub async fn close(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    let (r, s, _) = concern(&state, &auth, id).await?;
    let b: CloseBody = body.json()?;
    let la_left_out = b.la_contacted.is_empty();
    let la = if la_left_out {
        // Left out: the answer given when it was raised stands.
        s.la_contacted
            .map_or(String::new(), |c| if c { "yes" } else { "no" }.to_string())
    } else {
        b.la_contacted
    };
    // The date as raised only when the answer is left out too: a "no" sent now needs none.
    let la_on = if b.la_contacted_on.is_empty() && la_left_out {
        s.la_contacted_on.map_or(String::new(), |d| d.to_string())
    } else {
        b.la_contacted_on
    };
    match close_concern(&state, &auth, &r, &s, b.version, &b.action, &la, &la_on).await? {
        Ok(saved) => {
            let closed = saved.parse::<Safeguarding>().unwrap_or_default();
            Ok(Json(json!({"concern": concern_json(&saved, &closed)})).into_response())
        }
        Err(e) => Ok(api_validation(&e)),
    }
}
