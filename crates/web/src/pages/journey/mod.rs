//! What a link worker records on an episode after first contact: the "what matters"
//! assessment, the care and support plan (and its print view), outcome measures,
//! safeguarding concerns, referral back to a clinician, health service use and discharge.
//! Each is one short form; errors come back against their fields with the input kept, and
//! nothing is saved until everything is right.

use super::see_other;
use crate::auth::Auth;
use crate::form::FormData;
use crate::views::{self, date, error_items, ErrorItem, Field, Opt, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveTime, Utc};
use domain::journey::{
    need_score_label, ActionDraft, ActionOwner, ConcernKind, PhbBasis, PhbStatus,
    SafeguardingDraft, SafeguardingSubject, SafeguardingUrgency, NEED_SCORE, PLAN_ACTIONS,
    PLAN_GOALS,
};
use domain::{
    Assessment, AssessmentDraft, CarePlan, Category, Code, DischargeReason, DischargeSummary,
    EpisodeState, FieldErrors, HealthPeriod, HealthUse, Instrument, Measure, MeasurePoint, Need,
    PlanDraft, RecordKind, ReferralBack, Role, Safeguarding, TimeOfDay, Weekday,
};
use serde::Deserialize;
use storage::{Episode, EpisodeRecord, NewRecord, Person, StorageError};

pub(crate) mod assessment;
mod close;
mod discharge;
mod health_use;
pub(crate) mod measures;
pub(crate) mod plan;
pub(crate) mod referral_back;
mod safeguarding;

pub use assessment::*;
pub use close::*;
pub use discharge::*;
pub use health_use::*;
pub use measures::*;
pub use plan::*;
pub use referral_back::*;
pub use safeguarding::*;

/// A form page for any of the records.
#[derive(Template)]
#[template(path = "record_form.html")]
pub(crate) struct RecordForm {
    pub ctx: PageCtx,
    pub caption: String,
    pub heading: String,
    pub intro: Vec<String>,
    pub action: String,
    pub cancel: String,
    pub version: Option<i64>,
    pub hidden: Vec<(String, String)>,
    pub sections: Vec<Section>,
    pub errors: Vec<ErrorItem>,
    pub notice: Option<String>,
    pub submit: String,
    /// The submit button closes or removes something (drawn as a warning button).
    pub warning: bool,
}

impl RecordForm {
    pub(crate) fn new(auth: &Auth, person: &Person, heading: &str, action: String) -> Self {
        Self {
            ctx: PageCtx::new(Some(auth), heading, "/people"),
            // Whose record this is, on every journey form: name, NHS number, date of birth.
            caption: format!(
                "{} · NHS number {} · born {}",
                person.details.full_name(),
                person
                    .details
                    .nhs_number
                    .as_ref()
                    .map_or("not known".into(), |n| n.to_string()),
                date(person.details.date_of_birth)
            ),
            heading: heading.into(),
            intro: vec![],
            action,
            cancel: format!("/people/{}", person.id),
            version: None,
            hidden: vec![],
            sections: vec![],
            errors: vec![],
            notice: None,
            submit: "Save".into(),
            warning: false,
        }
    }

    pub(crate) fn errors(mut self, e: &FieldErrors) -> Self {
        self.errors = error_items(e);
        self
    }

    /// 200 for a fresh form, 422 when it comes back with errors.
    pub(crate) fn respond(&self) -> Response {
        let status = if self.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        views::render(status, self)
    }
}

/// The episode (in the user's PCN) and its person, for a link worker or manager.
pub(crate) async fn load(
    state: &AppState,
    auth: &Auth,
    id: i64,
    what: &str,
) -> Result<(Episode, Person), AppError> {
    auth.require(state, auth.user.role.can_triage(), what)
        .await?;
    let pcn = auth.pcn()?;
    let Some(ep) = state.store.get_episode(pcn, id).await? else {
        return Err(auth.not_found(state, "episode", id).await);
    };
    let Some(person) = state.store.get_person(pcn, ep.person_id).await? else {
        return Err(auth.not_found(state, "person", ep.person_id).await);
    };
    auth.need_to_know(state, pcn, person.id).await?;
    Ok((ep, person))
}

/// [`load`] for a form that shows the person's record: opening it is audited as a read.
pub(crate) async fn load_for_form(
    state: &AppState,
    auth: &Auth,
    id: i64,
    what: &str,
) -> Result<(Episode, Person), AppError> {
    let (ep, p) = load(state, auth, id, what).await?;
    auth.audit_read(
        state,
        "record.form",
        Some(p.id),
        format!("{what} form, episode {id}"),
    )
    .await?;
    Ok((ep, p))
}

pub(crate) fn open_only(ep: &Episode) -> Result<(), AppError> {
    if ep.state.is_closed() {
        return Err(AppError::Conflict(format!(
            "This episode is {}: open a new episode (make a new referral) to add to it",
            ep.state.label().to_lowercase()
        )));
    }
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

pub(crate) async fn add(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    rec: NewRecord,
) -> Result<EpisodeRecord, AppError> {
    match state
        .store
        .add_record(auth.pcn()?, ep.id, &rec, &auth.actor())
        .await
    {
        Ok((saved, _)) => Ok(saved),
        Err(StorageError::NotFound) => Err(auth.not_found(state, "episode", ep.id).await),
        Err(e) => Err(e.into()),
    }
}

/// [`add`] for a new version of a record (a plan review) on `based_on`, the latest when it
/// was read: if another version was saved meanwhile, even a moment ago, nothing is saved and
/// the answer is [`AppError::Stale`] (checked in the saving transaction).
pub(crate) async fn add_on_latest(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    rec: NewRecord,
    based_on: Option<i64>,
) -> Result<EpisodeRecord, AppError> {
    match state
        .store
        .add_record_on_latest(auth.pcn()?, ep.id, &rec, based_on, &auth.actor())
        .await
    {
        Ok((saved, _)) => Ok(saved),
        Err(StorageError::NotFound) => Err(auth.not_found(state, "episode", ep.id).await),
        Err(e) => Err(e.into()),
    }
}

/// The latest record of a kind for an episode.
pub(crate) async fn latest(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    kind: RecordKind,
) -> Result<Option<EpisodeRecord>, AppError> {
    Ok(state
        .store
        .records_for_person(auth.pcn()?, ep.person_id)
        .await?
        .into_iter()
        .rev()
        .find(|r| r.episode_id == ep.id && r.kind == kind))
}

fn today() -> chrono::NaiveDate {
    domain::uk_time::today()
}
