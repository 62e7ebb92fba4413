//! GP-record coding: per practice, the SNOMED CT codes waiting to be recorded in people's
//! GP records and those already recorded; a user marks each one recorded. Admins keep the
//! code catalogue (it is data, so a deployment can add codes without a release).

use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::views::{self, date, datetime, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use domain::{Code, EpisodeState};
use serde::Deserialize;
use storage::{CodingConcept, StorageError};

#[derive(Deserialize, Default)]
pub struct CodingQuery {
    pub practice: Option<String>,
    pub show: Option<String>,
    pub done: Option<String>,
}

pub(crate) struct CodingRow {
    pub id: i64,
    pub person_id: i64,
    pub person: String,
    pub nhs_number: String,
    pub date_of_birth: String,
    pub concept_id: String,
    pub term: String,
    pub queued: String,
    pub recorded: Option<String>,
}

#[derive(Template)]
#[template(path = "coding.html")]
struct CodingPage {
    ctx: PageCtx,
    practices: Vec<Opt>,
    practice_name: String,
    show_all: bool,
    rows: Vec<CodingRow>,
    pending: usize,
    query: String,
    /// The selected practice, when one is.
    practice_id: Option<i64>,
    batches: Vec<BatchRow>,
}

pub(crate) struct BatchRow {
    pub id: i64,
    pub practice: String,
    pub created: String,
    pub pulls: i64,
    pub waiting: usize,
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<CodingQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_code(), "coding.list")
        .await?;
    let pcn = auth.pcn()?;
    let practices = state.store.list_practices(pcn).await?;
    let practice = match q.practice.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .filter(|id| practices.iter().any(|p| p.id == *id))
                .ok_or_else(|| AppError::BadRequest("Choose a practice from the list".into()))?,
        ),
    };
    let show_all = q.show.as_deref() == Some("all");
    let mut entries = state.store.coding_entries(pcn, practice, !show_all).await?;
    // Need-to-know: a link worker's list holds their own people's codes only.
    if auth.user.role == domain::Role::LinkWorker {
        let now = chrono::Utc::now();
        let mut theirs = std::collections::HashMap::new();
        let mut kept = Vec::with_capacity(entries.len());
        for e in entries {
            let mine = match theirs.get(&e.person_id) {
                Some(m) => *m,
                None => {
                    let m = state
                        .store
                        .person_is_theirs(pcn, e.person_id, auth.user.id, now)
                        .await?;
                    theirs.insert(e.person_id, m);
                    m
                }
            };
            if mine {
                kept.push(e);
            }
        }
        entries = kept;
    }
    let shown: Vec<(i64, i64)> = entries.iter().map(|e| (pcn, e.person_id)).collect();
    auth.audit_shown(
        &state,
        "coding.list",
        &shown,
        &format!("practice {practice:?}: {} entries", entries.len()),
    )
    .await?;
    let pending = entries.iter().filter(|e| !e.recorded).count();
    let rows = entries
        .into_iter()
        .map(|e| CodingRow {
            id: e.id,
            person_id: e.person_id,
            person: e.person_name,
            nhs_number: e.nhs_number.unwrap_or_else(|| "Not known".into()),
            date_of_birth: date(e.date_of_birth),
            concept_id: e.concept_id,
            term: e.term,
            queued: datetime(e.queued_at),
            recorded: e.recorded_at.map(datetime),
        })
        .collect();
    let mut practice_opts = vec![Opt {
        value: String::new(),
        label: "All practices".into(),
        selected: practice.is_none(),
    }];
    practice_opts.extend(practices.iter().map(|p| Opt {
        value: p.id.to_string(),
        label: p.name.clone(),
        selected: practice == Some(p.id),
    }));
    let practice_name = practice
        .and_then(|id| practices.iter().find(|p| p.id == id))
        .map_or("all practices".into(), |p| p.name.clone());
    let query = format!(
        "practice={}&show={}",
        practice.map(|p| p.to_string()).unwrap_or_default(),
        if show_all { "all" } else { "pending" }
    );
    let batches = state
        .store
        .open_coding_batches(pcn)
        .await?
        .into_iter()
        .filter(|b| practice.is_none_or(|p| p == b.practice_id))
        .map(|b| BatchRow {
            id: b.id,
            practice: format!("{} ({})", b.practice_name, b.practice_ods),
            created: datetime(b.created_at),
            pulls: b.pulls,
            waiting: b.entries.iter().filter(|e| !e.recorded).count(),
        })
        .collect();
    Ok(views::ok(&CodingPage {
        ctx: PageCtx::new(Some(&auth), "GP record coding", "/coding")
            .flash(flash(q.done.as_deref())),
        practices: practice_opts,
        practice_name,
        show_all,
        rows,
        pending,
        query,
        practice_id: practice,
        batches,
    }))
}

pub async fn mark_recorded(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_code(), "coding.recorded")
        .await?;
    match state.store.mark_coded(auth.pcn()?, id, &auth.actor()).await {
        Ok(_) => {}
        Err(StorageError::NotFound) => return Err(auth.not_found(&state, "coding", id).await),
        Err(e) => return Err(e.into()),
    }
    let back = form.get("back");
    let query = if back.starts_with("practice=") && !back.contains(['/', ':', '#']) {
        back.to_string()
    } else {
        String::new()
    };
    Ok(see_other(&format!("/coding?{query}&done=coded")))
}

#[derive(Template)]
#[template(path = "admin_coding.html")]
struct CatalogueePage {
    ctx: PageCtx,
    concepts: Vec<CodingConcept>,
    states: Vec<Opt>,
    error: Option<String>,
}

fn catalogue_states() -> Vec<Opt> {
    let mut v = vec![Opt {
        value: String::new(),
        label: "Recorded by hand (not queued)".into(),
        selected: true,
    }];
    v.extend(
        [
            EpisodeState::Accepted,
            EpisodeState::Declined,
            EpisodeState::UnableToContact,
            EpisodeState::Discharged,
        ]
        .iter()
        .map(|s| Opt {
            value: s.code().into(),
            label: format!(
                "Queued when the episode becomes {}",
                s.label().to_lowercase()
            ),
            selected: false,
        }),
    );
    v
}

pub async fn catalogue(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_operate(), "coding.catalogue")
        .await?;
    Ok(views::ok(&CatalogueePage {
        ctx: PageCtx::new(Some(&auth), "Code catalogue", "/admin/coding")
            .flash(flash(done.done.as_deref())),
        concepts: state.store.coding_catalogue().await?,
        states: catalogue_states(),
        error: None,
    }))
}

pub async fn save_concept(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_operate(), "coding.catalogue")
        .await?;
    let id = form.get("concept_id").trim();
    let term = form.get("term").trim();
    let queued_on = match form.get("queued_on") {
        "" => None,
        s => Some(
            EpisodeState::from_code(s)
                .ok_or_else(|| AppError::BadRequest("Choose when the code is queued".into()))?,
        ),
    };
    let problem = if !(6..=18).contains(&id.len())
        || !id.bytes().all(|b| b.is_ascii_digit())
        || id.starts_with('0')
    {
        Some("A SNOMED CT concept id is 6 to 18 digits, not starting with 0")
    } else if term.is_empty() || term.chars().count() > 255 {
        Some("Enter the code's term (up to 255 characters)")
    } else {
        None
    };
    if let Some(p) = problem {
        return Ok(views::render(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &CatalogueePage {
                ctx: PageCtx::new(Some(&auth), "Code catalogue", "/admin/coding"),
                concepts: state.store.coding_catalogue().await?,
                states: catalogue_states(),
                error: Some(p.into()),
            },
        ));
    }
    state
        .store
        .save_coding_concept(
            &CodingConcept {
                concept_id: id.into(),
                term: term.into(),
                queued_on,
                active: !form.checked("inactive"),
            },
            &auth.actor(),
        )
        .await?;
    Ok(see_other("/admin/coding?done=concept-saved"))
}

/// Prepares the practice's download: its open batch, or a new one of every waiting code.
pub async fn prepare_batch(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_code(), "coding.batch")
        .await?;
    let pcn = auth.pcn()?;
    let practice = form.i64("practice")?;
    match state
        .store
        .pull_coding_batch(pcn, practice, &auth.actor())
        .await
    {
        Ok(Some(_)) => Ok(see_other(&format!(
            "/coding?practice={practice}&done=batch-ready"
        ))),
        Ok(None) => Ok(see_other(&format!(
            "/coding?practice={practice}&done=batch-none"
        ))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "practice", practice).await),
        Err(e) => Err(e.into()),
    }
}

/// A batch as CSV, for practices that import a spreadsheet.
pub async fn batch_csv(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_code(), "coding.batch")
        .await?;
    let pcn = auth.pcn()?;
    let Some(b) = state.store.coding_batch(pcn, id).await? else {
        return Err(auth.not_found(&state, "coding_batch", id).await);
    };
    for e in &b.entries {
        auth.audit_read(
            &state,
            "coding.download",
            Some(e.person_id),
            format!("batch {id}: {}", e.concept_id),
        )
        .await?;
    }
    let mut r = axum::response::IntoResponse::into_response(interop::coding::csv(&b));
    let headers = r.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
        "attachment; filename=\"linkwork-coding-{}-batch-{id}.csv\"",
        b.practice_ods
    )) {
        headers.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Confirms every code in a batch was filed in the GP record.
pub async fn acknowledge_batch(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.form(&body)?;
    auth.require(&state, auth.user.role.can_code(), "coding.batch")
        .await?;
    let pcn = auth.pcn()?;
    match state
        .store
        .acknowledge_coding_batch(pcn, id, &[], &auth.actor())
        .await
    {
        Ok((b, recorded)) => {
            // Each code recorded is audited with its person; the confirmation itself too.
            let entry = storage::AuditEntry::new(
                &auth.actor(),
                "coding.batch_acknowledged",
                "coding_batch",
                Some(id),
                Some(pcn),
            )
            .detail(format!(
                "{recorded} code(s) recorded of {} in the batch",
                b.entries.len()
            ));
            state.store.append_audit(&entry).await?;
            Ok(see_other(&format!(
                "/coding?practice={}&done=batch-acknowledged",
                b.practice_id
            )))
        }
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "coding_batch", id).await),
        Err(e) => Err(e.into()),
    }
}
