//! `/api/v1/…/connections`: signposting and referring a person to community services and
//! following the referral, with the pages' rules (the same code: consent for a referral,
//! only a service that takes referrals, one open connection per service and episode, only
//! the ticked details shared, status changes the closed loop allows).

use super::ApiBody;
use crate::auth::Auth;
use crate::error::{api_validation, ApiError};
use crate::pages::connections::{change_of, change_status, connect, service, Connect};
use crate::pages::journey::load;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::{Code, ConnectionKind, FieldErrors, Side};
use serde::Deserialize;
use serde_json::{json, Value};

/// An episode's signposts and referrals, oldest first.
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    auth.require(
        &state,
        auth.user.role.can_read_people(),
        "api.connections.read",
    )
    .await?;
    let pcn = auth.pcn()?;
    let Some(ep) = state.store.get_episode(pcn, id).await? else {
        return Err(auth.not_found(&state, "episode", id).await.into());
    };
    auth.need_to_know(&state, pcn, ep.person_id).await?;
    let list: Vec<_> = state
        .store
        .connections_for_person(pcn, ep.person_id)
        .await?
        .into_iter()
        .filter(|c| c.episode_id == ep.id)
        .collect();
    auth.audit_read(
        &state,
        "connection.read",
        Some(ep.person_id),
        format!("api: episode {id} connections ({})", list.len()),
    )
    .await?;
    Ok(Json(json!({ "connections": list })))
}

/// What to share with the organisation, as the page's boxes.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Share {
    Phone,
    Email,
    Age,
    Access,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectBody {
    /// `signpost` or `referral`.
    kind: String,
    /// The directory service's id.
    service: String,
    /// What they would like help with, in words agreed with them (a referral).
    #[serde(default)]
    about: String,
    /// The person agrees to share the details: required for a referral.
    #[serde(default)]
    consent: bool,
    /// Which details the organisation sees besides the name.
    #[serde(default)]
    share: Vec<Share>,
}

/// Signposts or refers the person to a directory service; 201 with the connection.
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    let (ep, p) = load(&state, &auth, id, "api.connection.create").await?;
    let b: ConnectBody = body.json()?;
    let Some(kind) = ConnectionKind::from_code(&b.kind) else {
        let mut e = FieldErrors::default();
        e.add("kind", "Choose signpost or referral");
        return Ok(api_validation(&e));
    };
    let entry = service(&state, &b.service).await?;
    let asked = Connect {
        kind,
        about: b.about,
        consent: b.consent,
        share_phone: b.share.contains(&Share::Phone),
        share_email: b.share.contains(&Share::Email),
        share_age: b.share.contains(&Share::Age),
        share_access: b.share.contains(&Share::Access),
    };
    match connect(&state, &auth, &ep, &p, &entry, &asked).await? {
        Ok(c) => Ok((StatusCode::CREATED, Json(json!({ "connection": c }))).into_response()),
        Err(e) => Ok(api_validation(&e)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// The connection's version, as read.
    version: i64,
    /// The new status: `cancelled`, or the organisation's answer recorded on its behalf.
    to: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

/// Cancels a connection, or records the organisation's answer when it has no account.
pub async fn status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Json<Value>, ApiError> {
    auth.require(&state, auth.user.role.can_triage(), "api.connection.status")
        .await?;
    let b: StatusBody = body.json()?;
    let change = change_of(&b.to, &b.reason, &b.note, Side::LinkWorker)?;
    let c = change_status(&state, &auth, id, b.version, &change).await?;
    Ok(Json(json!({ "connection": c })))
}
