//! `/api/v1/episodes/{id}/…`: the journey actions of the pages, with the same rules (the
//! same domain checks, the same need-to-know, the same audit): the records of an episode,
//! assessments of what matters and needs, personalised care and support plans, outcome
//! measures, referrals back to a clinician, and discharge with its closing summary.

use super::ApiBody;
use crate::auth::Auth;
use crate::error::{api_validation, ApiError};
use crate::pages::journey::assessment::assessment_record;
use crate::pages::journey::measures::{instrument_of, measure_record, same_day_as_baseline};
use crate::pages::journey::plan::plan_record;
use crate::pages::journey::referral_back::referral_back_record;
use crate::pages::journey::{add, add_on_latest, load, open_only};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::journey::{DischargeSummary, Measure, ReferralBack};
use domain::{Code, FieldErrors, MeasurePoint, RecordKind};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use storage::{EpisodeRecord, StorageError};

fn record_json(r: &EpisodeRecord) -> Value {
    json!({
        "id": r.id,
        "episode_id": r.episode_id,
        "kind": r.kind.code(),
        "status": r.status,
        "body": serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null),
        "due_at": r.due_at,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "version": r.version,
    })
}

/// An episode's records (assessments, plans, measures, referrals back, health-service use,
/// the discharge summary), oldest first. Safeguarding concerns are not listed here: they
/// are read by the supervisor assigned, on their pages.
pub async fn records(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    auth.require(&state, auth.user.role.can_read_people(), "api.records.read")
        .await?;
    let pcn = auth.pcn()?;
    let Some(ep) = state.store.get_episode(pcn, id).await? else {
        return Err(auth.not_found(&state, "episode", id).await.into());
    };
    auth.need_to_know(&state, pcn, ep.person_id).await?;
    let list: Vec<Value> = state
        .store
        .records_for_person(pcn, ep.person_id)
        .await?
        .iter()
        .filter(|r| r.episode_id == ep.id && r.kind != RecordKind::Safeguarding)
        .map(record_json)
        .collect();
    auth.audit_read(
        &state,
        "record.read",
        Some(ep.person_id),
        format!("api: episode {id} records ({})", list.len()),
    )
    .await?;
    Ok(Json(json!({"records": list})))
}

/// The record just made, answered 201.
fn made(rec: &EpisodeRecord) -> Response {
    (
        StatusCode::CREATED,
        Json(json!({"record": record_json(rec)})),
    )
        .into_response()
}

/// One need's score and note in an assessment.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NeedScore {
    #[serde(default, deserialize_with = "text_or_number")]
    score: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentBody {
    assessed_on: String,
    what_matters: String,
    #[serde(default)]
    strengths: String,
    #[serde(default)]
    interests: Vec<String>,
    #[serde(default)]
    interest_words: String,
    #[serde(default)]
    free_only: bool,
    #[serde(default)]
    step_free: bool,
    #[serde(default)]
    days: Vec<String>,
    #[serde(default)]
    times: Vec<String>,
    #[serde(default)]
    max_miles: String,
    /// Need code → score (1–5, as the page) and note; needs left out are not scored.
    #[serde(default)]
    needs: HashMap<String, NeedScore>,
}

/// Records an assessment (or a reassessment) of what matters and the person's needs,
/// checked as on the page.
pub async fn create_assessment(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    let (ep, _) = load(&state, &auth, id, "api.assessment.create").await?;
    let b: AssessmentBody = body.json()?;
    open_only(&ep)?;
    if let Some(unknown) = b
        .needs
        .keys()
        .find(|k| domain::Need::from_code(k).is_none())
    {
        let mut e = FieldErrors::default();
        e.add("needs", format!("'{unknown}' is not a need"));
        return Ok(api_validation(&e));
    }
    let draft = domain::journey::AssessmentDraft {
        assessed_on: b.assessed_on,
        what_matters: b.what_matters,
        strengths: b.strengths,
        interests: b.interests,
        interest_words: b.interest_words,
        free_only: b.free_only,
        step_free: b.step_free,
        days: b.days,
        times: b.times,
        max_miles: b.max_miles,
        needs: domain::Need::ALL
            .iter()
            .map(|n| {
                let given = b.needs.get(n.code());
                (
                    n.code().to_string(),
                    given.map(|g| g.score.clone()).unwrap_or_default(),
                    given.map(|g| g.note.clone()).unwrap_or_default(),
                )
            })
            .collect(),
    };
    let again = crate::pages::journey::latest(&state, &auth, &ep, RecordKind::Assessment)
        .await?
        .is_some();
    let a = match draft.validate(domain::uk_time::today()) {
        Ok(a) => a,
        Err(e) => return Ok(api_validation(&e)),
    };
    let saved = add(&state, &auth, &ep, assessment_record(&a, again)?).await?;
    Ok(made(&saved))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PlanAction {
    #[serde(default)]
    what: String,
    /// Who does it: a code as on the page (`person`, `link_worker`, `other` …).
    #[serde(default)]
    owner: String,
    #[serde(default)]
    owner_name: String,
    #[serde(default)]
    due: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// The id of the plan record this one reviews (from GET …/records); null for the first.
    /// If someone saved a newer version since, nothing is saved (409).
    based_on: Option<i64>,
    what_matters: String,
    #[serde(default)]
    goals: Vec<String>,
    #[serde(default)]
    actions: Vec<PlanAction>,
    #[serde(default)]
    support_offered: String,
    review_on: String,
    #[serde(default)]
    phb_status: String,
    #[serde(default)]
    phb_basis: String,
    #[serde(default)]
    phb_referred_on: String,
    #[serde(default)]
    phb_notes: String,
}

/// Records a personalised care and support plan, or a review of the last one, with the
/// page's rules (goals and actions checked; a new action cannot be due before today; a
/// plan based on an older version than the latest saves nothing).
pub async fn create_plan(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    use domain::journey::{ActionDraft, PlanDraft, PLAN_ACTIONS, PLAN_GOALS};
    let (ep, _) = load(&state, &auth, id, "api.plan.create").await?;
    let b: PlanBody = body.json()?;
    open_only(&ep)?;
    if b.goals.len() > PLAN_GOALS || b.actions.len() > PLAN_ACTIONS {
        let mut e = FieldErrors::default();
        e.add(
            "goals",
            format!("A plan has up to {PLAN_GOALS} goals and {PLAN_ACTIONS} actions"),
        );
        return Ok(api_validation(&e));
    }
    let current = crate::pages::journey::latest(&state, &auth, &ep, RecordKind::Plan)
        .await?
        .map(|r| r.id);
    let stale = |current: Option<i64>| {
        ApiError(crate::AppError::Conflict(format!(
            "The latest plan is {}: read it (GET /api/v1/episodes/{id}/records) and send based_on with its id",
            current.map_or("none (send based_on: null)".to_string(), |c| format!("record {c}"))
        )))
    };
    if b.based_on != current {
        return Err(stale(current));
    }
    let mut d = PlanDraft {
        what_matters: b.what_matters,
        goals: b.goals,
        actions: b
            .actions
            .into_iter()
            .map(|a| ActionDraft {
                what: a.what,
                owner: a.owner,
                owner_name: a.owner_name,
                due: a.due,
            })
            .collect(),
        support_offered: b.support_offered,
        review_on: b.review_on,
        phb_status: b.phb_status,
        phb_basis: b.phb_basis,
        phb_referred_on: b.phb_referred_on,
        phb_notes: b.phb_notes,
    };
    d.pad();
    match plan_record(&state, &auth, &ep, &d, current.is_some()).await? {
        // Checked again in the saving transaction, where it cannot race.
        Ok(rec) => match add_on_latest(&state, &auth, &ep, rec, current).await {
            Ok(saved) => Ok(made(&saved)),
            Err(crate::AppError::Stale) => {
                let now = crate::pages::journey::latest(&state, &auth, &ep, RecordKind::Plan)
                    .await?
                    .map(|r| r.id);
                Err(stale(now))
            }
            Err(e) => Err(e.into()),
        },
        Err(e) => Ok(api_validation(&e)),
    }
}

/// A JSON string or number, as text (a score may be sent as `3` or `"3"`).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!(
            "expected a number or a string, not {other}"
        ))),
    }
}

fn answers_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<HashMap<String, String>, D::Error> {
    let raw: HashMap<String, Value> = HashMap::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) => Ok((k, n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "answer '{k}': expected a number or a string, not {other}"
            ))),
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureBody {
    instrument: String,
    point: String,
    taken_on: String,
    /// Item code → answer, as the form's fields (`{"q1": 4, …}`; numbers or strings).
    #[serde(default, deserialize_with = "answers_text")]
    answers: HashMap<String, String>,
    /// Record a review or discharge measure dated the same day as the baseline anyway.
    #[serde(default)]
    same_day_confirmed: bool,
}

/// Records an outcome measure: the instrument's items checked as on the page, and a review
/// or discharge dated the baseline's day asked about once (`same_day_confirmed`).
pub async fn create_measure(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    let (ep, _) = load(&state, &auth, id, "api.measure.create").await?;
    let b: MeasureBody = body.json()?;
    open_only(&ep)?;
    let instrument = instrument_of(Some(&b.instrument))?;
    let point = MeasurePoint::from_code(&b.point);
    let parsed = Measure::parse(
        instrument,
        point.unwrap_or(MeasurePoint::Baseline),
        &b.taken_on,
        domain::uk_time::today(),
        |c| b.answers.get(c).cloned().unwrap_or_default(),
    );
    let m = match (parsed, point) {
        (Ok(m), Some(_)) => m,
        (parsed, point) => {
            let mut e = parsed.err().unwrap_or_default();
            if point.is_none() {
                e.add("point", "Choose baseline, review or discharge");
            }
            return Ok(api_validation(&e));
        }
    };
    if !b.same_day_confirmed {
        let confirm = "send same_day_confirmed: true";
        if let Some(e) = same_day_as_baseline(&state, &auth, &ep, &m, confirm).await? {
            return Ok(api_validation(&e));
        }
    }
    Ok(made(&add(&state, &auth, &ep, measure_record(&m)?).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralBackBody {
    clinician: String,
    reason: String,
}

/// Records a referral back to a clinician (who, and why), as the page does.
pub async fn create_referral_back(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    let (ep, _) = load(&state, &auth, id, "api.referral_back.create").await?;
    let b: ReferralBackBody = body.json()?;
    open_only(&ep)?;
    let rb = match ReferralBack::new(&b.clinician, &b.reason) {
        Ok(rb) => rb,
        Err(e) => return Ok(api_validation(&e)),
    };
    Ok(made(
        &add(&state, &auth, &ep, referral_back_record(&rb)?).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DischargeBody {
    version: i64,
    reason: String,
    summary: String,
}

/// Discharges the episode with its reason and closing summary: the only way to discharge
/// through the API (a transition to `discharged` is refused, as the page has no such path).
pub async fn discharge(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: ApiBody,
) -> Result<Response, ApiError> {
    let (ep, _) = load(&state, &auth, id, "api.episode.discharge").await?;
    let b: DischargeBody = body.json()?;
    let d = match DischargeSummary::parse(&b.reason, &b.summary) {
        Ok(d) => d,
        Err(e) => return Ok(api_validation(&e)),
    };
    let text = serde_json::to_string(&d).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    match state
        .store
        .discharge(
            auth.pcn()?,
            ep.id,
            b.version,
            d.reason,
            &text,
            storage::now(),
            &auth.actor(),
        )
        .await
    {
        Ok(e) => Ok(Json(e).into_response()),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "episode", id).await.into()),
        Err(e) => Err(e.into()),
    }
}

/// The transition endpoint's answer to `discharged`: discharge has its own endpoint.
pub fn discharge_elsewhere(id: i64) -> Response {
    let mut e = FieldErrors::default();
    e.add(
        "state",
        format!("Discharge with POST /api/v1/episodes/{id}/discharge, with a reason and a closing summary, as the page asks"),
    );
    api_validation(&e)
}
