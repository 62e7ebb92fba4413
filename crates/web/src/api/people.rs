//! `/api/v1/people`: search, create, read and update people's records.

use super::ApiBody;
use crate::auth::Auth;
use crate::error::{api_validation, ApiError};
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use domain::{Code, PersonDraft};
use serde::{Deserialize, Serialize};
use storage::{Person, PersonQuery, StorageError};

/// A person as the API shows them.
#[derive(Serialize)]
pub struct PersonJson {
    pub id: i64,
    pub version: i64,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: chrono::NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nhs_number: Option<String>,
    pub sex: &'static str,
    pub gender_identity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ethnicity: Option<&'static str>,
    pub language: String,
    pub interpreter_needed: bool,
    pub access_needs: Vec<&'static str>,
    pub access_notes: String,
    pub carer_status: &'static str,
    pub carer_details: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practice_id: Option<i64>,
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    pub phone: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_contact: Option<&'static str>,
    /// "yes" or "no": whether a voicemail is safe; absent when not asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voicemail_ok: Option<&'static str>,
    /// "yes" or "no": whether they agree to texts; absent when not asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub texts_ok: Option<&'static str>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl From<&Person> for PersonJson {
    fn from(p: &Person) -> Self {
        let d = &p.details;
        Self {
            id: p.id,
            version: p.version,
            given_name: d.given_name.clone(),
            family_name: d.family_name.clone(),
            date_of_birth: d.date_of_birth,
            nhs_number: d.nhs_number.as_ref().map(|n| n.as_str().to_string()),
            sex: d.sex.code(),
            gender_identity: d.gender_identity.clone(),
            ethnicity: d.ethnicity.map(|e| e.code()),
            language: d.language.clone(),
            interpreter_needed: d.interpreter_needed,
            access_needs: d.access_needs.iter().map(|a| a.code()).collect(),
            access_notes: d.access_notes.clone(),
            carer_status: d.carer_status.code(),
            carer_details: d.carer_details.clone(),
            practice_id: d.practice_id,
            address: d.address.clone(),
            postcode: d.postcode.as_ref().map(|p| p.to_string()),
            phone: d.phone.clone(),
            email: d.email.clone(),
            preferred_contact: d.preferred_contact.map(|c| c.code()),
            voicemail_ok: d.voicemail_ok.map(|v| domain::person::yes_no_code(Some(v))),
            texts_ok: d.texts_ok.map(|v| domain::person::yes_no_code(Some(v))),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    name: Option<String>,
    nhs_number: Option<String>,
    date_of_birth: Option<String>,
    postcode: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    auth.require(
        &state,
        auth.user.role.can_read_people(),
        "api.people.search",
    )
    .await?;
    let mut query = PersonQuery {
        limit: 100,
        ..Default::default()
    };
    query.name = q
        .name
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().chars().take(100).collect());
    if let Some(n) = q.nhs_number.filter(|s| !s.trim().is_empty()) {
        query.nhs_number = Some(
            domain::NhsNumber::parse(&n)
                .map_err(|e| AppError::BadRequest(e.to_string()))?
                .as_str()
                .into(),
        );
    }
    if let Some(d) = q.date_of_birth.filter(|s| !s.trim().is_empty()) {
        query.date_of_birth = Some(domain::person::parse_date(&d).ok_or_else(|| {
            AppError::BadRequest("date_of_birth must be a date like 1958-03-27".into())
        })?);
    }
    query.postcode = q.postcode.filter(|s| !s.trim().is_empty());
    if query.name.is_none()
        && query.nhs_number.is_none()
        && query.date_of_birth.is_none()
        && query.postcode.is_none()
    {
        return Err(AppError::BadRequest(
            "Give at least one of name, nhs_number, date_of_birth or postcode".into(),
        )
        .into());
    }
    let pcn = auth.pcn()?;
    let found = state.store.search_people(pcn, &query).await?;
    let shown: Vec<(i64, i64)> = found.iter().map(|p| (pcn, p.id)).collect();
    auth.audit_shown(
        &state,
        "person.search",
        &shown,
        &format!("api: {} results", found.len()),
    )
    .await?;
    Ok(Json(
        serde_json::json!({ "people": found.iter().map(PersonJson::from).collect::<Vec<_>>() }),
    )
    .into_response())
}

#[derive(Deserialize)]
pub struct CreateBody {
    #[serde(flatten)]
    person: PersonDraft,
    #[serde(default)]
    confirm_not_duplicate: bool,
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: ApiBody,
) -> Result<Response, ApiError> {
    auth.require(
        &state,
        auth.user.role.can_edit_people(),
        "api.person.create",
    )
    .await?;
    let body: CreateBody = body.json()?;
    let pcn = auth.pcn()?;
    let details = match body.person.validate(domain::uk_time::today()) {
        Ok(d) => d,
        Err(e) => return Ok(api_validation(&e)),
    };
    if !body.confirm_not_duplicate {
        let dups = state.store.find_possible_duplicates(pcn, &details).await?;
        if !dups.is_empty() {
            let ids: Vec<i64> = dups.iter().map(|p| p.id).collect();
            let shown: Vec<(i64, i64)> = ids.iter().map(|id| (pcn, *id)).collect();
            auth.audit_shown(
                &state,
                "person.search",
                &shown,
                &format!("API duplicate check: {} shown", ids.len()),
            )
            .await?;
            let body = serde_json::json!({"error": {
                "status": 409,
                "title": "This person may already have a record",
                "message": "People with the same NHS number, or the same name and date of birth, exist. Use one of them, or send again with \"confirm_not_duplicate\": true.",
                "possible_duplicates": ids,
            }});
            return Ok((StatusCode::CONFLICT, Json(body)).into_response());
        }
    }
    let p = state
        .store
        .create_person(pcn, &details, &auth.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(PersonJson::from(&p))).into_response())
}

pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<PersonJson>, ApiError> {
    auth.require(&state, auth.user.role.can_read_people(), "api.person.read")
        .await?;
    let pcn = auth.pcn()?;
    let Some(p) = state.store.get_person(pcn, id).await? else {
        return Err(auth.not_found(&state, "person", id).await.into());
    };
    auth.need_to_know(&state, pcn, id).await?;
    auth.audit_read(&state, "person.read", Some(id), "api".into())
        .await?;
    Ok(Json(PersonJson::from(&p)))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    version: i64,
    #[serde(flatten)]
    person: PersonDraft,
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    auth.require(
        &state,
        auth.user.role.can_edit_people(),
        "api.person.update",
    )
    .await?;
    let body: UpdateBody = body.json()?;
    let pcn = auth.pcn()?;
    if state.store.get_person(pcn, id).await?.is_none() {
        return Err(auth.not_found(&state, "person", id).await.into());
    }
    auth.need_to_know(&state, pcn, id).await?;
    let details = match body.person.validate(domain::uk_time::today()) {
        Ok(d) => d,
        Err(e) => return Ok(api_validation(&e)),
    };
    match state
        .store
        .update_person(pcn, id, body.version, &details, &auth.actor())
        .await
    {
        Ok(p) => Ok(Json(PersonJson::from(&p)).into_response()),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "person", id).await.into()),
        Err(e) => Err(e.into()),
    }
}
