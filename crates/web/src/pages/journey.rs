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
    need_score_label, ActionDraft, ActionOwner, NEED_SCORE, PLAN_ACTIONS, PLAN_GOALS,
};
use domain::{
    Assessment, AssessmentDraft, CarePlan, Category, Code, DischargeReason, DischargeSummary,
    FieldErrors, HealthPeriod, HealthUse, Instrument, Measure, MeasurePoint, Need, PlanDraft,
    RecordKind, ReferralBack, Role, Safeguarding,
};
use serde::Deserialize;
use storage::{Episode, EpisodeRecord, NewRecord, Person, StorageError};

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
}

impl RecordForm {
    pub(crate) fn new(auth: &Auth, person: &Person, heading: &str, action: String) -> Self {
        Self {
            ctx: PageCtx::new(Some(auth), heading, "/people"),
            caption: person.details.full_name(),
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

fn open_only(ep: &Episode) -> Result<(), AppError> {
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

async fn add(state: &AppState, auth: &Auth, ep: &Episode, rec: NewRecord) -> Result<(), AppError> {
    match state
        .store
        .add_record(auth.pcn()?, ep.id, &rec, &auth.actor())
        .await
    {
        Ok(_) => Ok(()),
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
    Utc::now().date_naive()
}

// ---------------------------------------------------------------------------------------
// Assessment

fn assessment_sections(d: &AssessmentDraft, e: &FieldErrors) -> Vec<Section> {
    let mut needs = vec![];
    for (code, score, note) in &d.needs {
        let label = Need::from_code(code).map_or(code.as_str(), |n| n.label());
        let mut opts = vec![Opt {
            value: String::new(),
            label: "Not assessed".into(),
            selected: score.is_empty(),
        }];
        opts.extend(NEED_SCORE.map(|s| Opt {
            value: s.to_string(),
            label: need_score_label(s).into(),
            selected: score == &s.to_string(),
        }));
        needs.push(
            Field::new(
                "select",
                format!("score_{code}"),
                &format!("{label}: score"),
            )
            .options(opts)
            .errors(e),
        );
        needs.push(
            Field::new("text", format!("note_{code}"), &format!("{label}: note"))
                .value(note)
                .errors(e),
        );
    }
    vec![
        Section {
            legend: "What matters to the person".into(),
            fields: vec![
                Field::new("date", "assessed_on", "Date of the conversation")
                    .value(&d.assessed_on)
                    .required()
                    .errors(e),
                Field::new("textarea", "what_matters", "What matters to them")
                    .hint("In their own words")
                    .value(&d.what_matters)
                    .required()
                    .errors(e),
                Field::new("textarea", "strengths", "Strengths")
                    .hint("What they are good at, who and what helps them")
                    .value(&d.strengths)
                    .errors(e),
                Field::new("checkboxes", "interests", "Interests")
                    .hint("Used to find activities they would enjoy")
                    .codes::<Category>(&d.interests, None)
                    .errors(e),
            ],
        },
        Section {
            legend: "Needs".into(),
            fields: std::iter::once(
                Field::new("text", "needs", "How to score")
                    .hint("Score each need that applies from 1 (managing well) to 5 (needs a lot of help). Leave the rest as not assessed.")
                    .errors(e),
            )
            .filter(|f| f.error.is_some())
            .chain(needs)
            .collect(),
        },
    ]
}

fn assessment_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    d: &AssessmentDraft,
    e: &FieldErrors,
    again: bool,
) -> RecordForm {
    let heading = if again {
        "Review what matters and needs"
    } else {
        "What matters and needs"
    };
    let mut f = RecordForm::new(auth, p, heading, format!("/episodes/{}/assessment", ep.id));
    f.intro = vec![if again {
        "Start from the last assessment and change what is different now. The earlier assessment is kept.".into()
    } else {
        "Record the \"what matters to me\" conversation and score each need that applies.".into()
    }];
    f.sections = assessment_sections(d, e);
    f.submit = "Save assessment".into();
    f.errors(e)
}

pub async fn assessment_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "assessment.create").await?;
    open_only(&ep)?;
    let last = latest(&state, &auth, &ep, RecordKind::Assessment)
        .await?
        .and_then(|r| r.parse::<Assessment>());
    let d = match &last {
        Some(a) => AssessmentDraft::from_assessment(a, today()),
        None => {
            let referral = state
                .store
                .get_referral(auth.pcn()?, ep.referral_id)
                .await?;
            let flagged: Vec<Need> = referral.map(|r| r.needs).unwrap_or_default();
            AssessmentDraft {
                assessed_on: today().to_string(),
                needs: Need::ALL
                    .iter()
                    .map(|n| {
                        let note = if flagged.contains(n) {
                            "Flagged at referral".to_string()
                        } else {
                            String::new()
                        };
                        (n.code().to_string(), String::new(), note)
                    })
                    .collect(),
                ..Default::default()
            }
        }
    };
    Ok(assessment_form(&auth, &p, &ep, &d, &FieldErrors::default(), last.is_some()).respond())
}

pub(crate) fn assessment_draft(f: &FormData) -> AssessmentDraft {
    AssessmentDraft {
        assessed_on: f.get("assessed_on").into(),
        what_matters: f.get("what_matters").into(),
        strengths: f.get("strengths").into(),
        interests: f.all("interests"),
        needs: Need::ALL
            .iter()
            .map(|n| {
                (
                    n.code().to_string(),
                    f.get(&format!("score_{}", n.code())).to_string(),
                    f.get(&format!("note_{}", n.code())).to_string(),
                )
            })
            .collect(),
    }
}

pub async fn assessment_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "assessment.create").await?;
    open_only(&ep)?;
    let d = assessment_draft(&form);
    let again = latest(&state, &auth, &ep, RecordKind::Assessment)
        .await?
        .is_some();
    let a = match d.validate(today()) {
        Ok(a) => a,
        Err(e) => return Ok(assessment_form(&auth, &p, &ep, &d, &e, again).respond()),
    };
    let scored: Vec<String> = a
        .needs
        .iter()
        .map(|n| format!("{} {}", n.need.label().to_lowercase(), n.score))
        .collect();
    let summary = format!(
        "{}: {}",
        if again {
            "Needs reassessed"
        } else {
            "What matters and needs assessed"
        },
        scored.join(", ")
    );
    add(
        &state,
        &auth,
        &ep,
        NewRecord {
            kind: RecordKind::Assessment,
            status: String::new(),
            body: json(&a)?,
            assigned_to: None,
            due_at: None,
            at: storage::now(),
            summary,
        },
    )
    .await?;
    Ok(see_other(&format!("/people/{}?done=assessment", p.id)))
}

// ---------------------------------------------------------------------------------------
// Care and support plan

fn plan_sections(d: &PlanDraft, e: &FieldErrors) -> Vec<Section> {
    let mut goals = vec![
        Field::new("textarea", "what_matters", "What matters to them")
            .value(&d.what_matters)
            .required()
            .errors(e),
    ];
    for (i, g) in d.goals.iter().enumerate().take(PLAN_GOALS) {
        let n = i + 1;
        let mut f = Field::new("text", format!("goal_{n}"), &format!("Goal {n}"))
            .value(g)
            .errors(e);
        if n == 1 {
            f = f
                .hint("In the person's own words, for example \"I want to get out of the house twice a week\"")
                .required();
        }
        goals.push(f);
    }
    let mut sections = vec![Section {
        legend: "Goals".into(),
        fields: goals,
    }];
    for (i, a) in d.actions.iter().enumerate().take(PLAN_ACTIONS) {
        let n = i + 1;
        sections.push(Section {
            legend: format!("Action {n}"),
            fields: vec![
                Field::new("text", format!("action_what_{n}"), "What will be done")
                    .value(&a.what)
                    .errors(e),
                Field::new("select", format!("action_owner_{n}"), "Who will do it")
                    .codes::<ActionOwner>(std::slice::from_ref(&a.owner), Some("Choose"))
                    .errors(e),
                Field::new("text", format!("action_owner_name_{n}"), "Their name")
                    .hint("If someone else")
                    .value(&a.owner_name)
                    .width("20")
                    .errors(e),
                Field::new("date", format!("action_due_{n}"), "By when")
                    .value(&a.due)
                    .errors(e),
            ],
        });
    }
    sections.push(Section {
        legend: "Support and review".into(),
        fields: vec![
            Field::new("textarea", "support_offered", "Support offered")
                .hint("What the link worker and others will do to help")
                .value(&d.support_offered)
                .errors(e),
            Field::new("date", "review_on", "Review date")
                .value(&d.review_on)
                .required()
                .errors(e),
        ],
    });
    sections
}

/// The plan form. `based_on` is the id of the plan version it was opened from (0 for
/// none), so a save over a version someone else saved meanwhile is caught.
fn plan_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    d: &PlanDraft,
    e: &FieldErrors,
    based_on: Option<i64>,
) -> RecordForm {
    let again = based_on.is_some();
    let heading = if again {
        "Review the care and support plan"
    } else {
        "Agree a care and support plan"
    };
    let mut f = RecordForm::new(auth, p, heading, format!("/episodes/{}/plan", ep.id));
    f.intro = vec![if again {
        "Saving makes a new version of the plan; the earlier one is kept.".into()
    } else {
        "Write the plan together with the person. Leave unused goals and actions blank.".into()
    }];
    f.sections = plan_sections(d, e);
    f.hidden
        .push(("based_on".into(), based_on.unwrap_or(0).to_string()));
    f.submit = "Save plan".into();
    f.errors(e)
}

pub(crate) fn plan_draft(f: &FormData) -> PlanDraft {
    PlanDraft {
        what_matters: f.get("what_matters").into(),
        goals: (1..=PLAN_GOALS)
            .map(|n| f.get(&format!("goal_{n}")).to_string())
            .collect(),
        actions: (1..=PLAN_ACTIONS)
            .map(|n| ActionDraft {
                what: f.get(&format!("action_what_{n}")).into(),
                owner: f.get(&format!("action_owner_{n}")).into(),
                owner_name: f.get(&format!("action_owner_name_{n}")).into(),
                due: f.get(&format!("action_due_{n}")).into(),
            })
            .collect(),
        support_offered: f.get("support_offered").into(),
        review_on: f.get("review_on").into(),
    }
}

pub async fn plan_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "plan.create").await?;
    open_only(&ep)?;
    let record = latest(&state, &auth, &ep, RecordKind::Plan).await?;
    let based_on = record.as_ref().map(|r| r.id);
    let last = record.and_then(|r| r.parse::<CarePlan>());
    let d = match &last {
        Some(plan) => PlanDraft::from_plan(plan),
        None => {
            let words = latest(&state, &auth, &ep, RecordKind::Assessment)
                .await?
                .and_then(|r| r.parse::<Assessment>())
                .map(|a| a.what_matters)
                .unwrap_or_default();
            let mut d = PlanDraft {
                what_matters: words,
                review_on: (today() + chrono::Days::new(42)).to_string(),
                ..Default::default()
            };
            d.pad();
            d
        }
    };
    Ok(plan_form(&auth, &p, &ep, &d, &FieldErrors::default(), based_on).respond())
}

pub async fn plan_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "plan.create").await?;
    open_only(&ep)?;
    let mut d = plan_draft(&form);
    d.pad();
    let current = latest(&state, &auth, &ep, RecordKind::Plan)
        .await?
        .map(|r| r.id);
    let again = current.is_some();
    // Someone saved a version after this form was opened: save nothing, and give the
    // form back with everything typed, now based on the latest version.
    if form.get("based_on").trim() != current.unwrap_or(0).to_string() {
        let mut e = FieldErrors::default();
        e.add(
            "what_matters",
            "Someone else saved a new version of this plan after you opened it, so your plan was not saved. \
             Your changes are still in the form below: open the person's record in a new tab to see the latest plan, then save again.",
        );
        let mut page = plan_form(&auth, &p, &ep, &d, &e, current).respond();
        *page.status_mut() = StatusCode::CONFLICT;
        return Ok(page);
    }
    let plan = match d.validate(today()) {
        Ok(plan) => plan,
        Err(e) => return Ok(plan_form(&auth, &p, &ep, &d, &e, current).respond()),
    };
    let summary = format!(
        "{}: {} goal{}, {} action{}, review on {}",
        if again {
            "Plan reviewed"
        } else {
            "Plan agreed"
        },
        plan.goals.len(),
        if plan.goals.len() == 1 { "" } else { "s" },
        plan.actions.len(),
        if plan.actions.len() == 1 { "" } else { "s" },
        date(plan.review_on)
    );
    let due = plan
        .review_on
        .and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default())
        .and_utc();
    add(
        &state,
        &auth,
        &ep,
        NewRecord {
            kind: RecordKind::Plan,
            status: String::new(),
            body: json(&plan)?,
            assigned_to: None,
            due_at: Some(due),
            at: storage::now(),
            summary,
        },
    )
    .await?;
    Ok(see_other(&format!("/people/{}?done=plan", p.id)))
}

#[derive(Template)]
#[template(path = "plan_print.html")]
struct PlanPrint {
    ctx: PageCtx,
    name: String,
    back: String,
    agreed_on: String,
    review_on: String,
    what_matters: String,
    goals: Vec<String>,
    /// (what, who, by when)
    actions: Vec<(String, String, String)>,
    support_offered: String,
    link_worker: String,
    version: usize,
    versions: usize,
}

#[derive(Deserialize, Default)]
pub struct PrintQuery {
    pub version: Option<usize>,
}

/// The plan in plain language and large type, for the person to take home.
pub async fn plan_print(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<PrintQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_read_people(), "plan.print")
        .await?;
    let pcn = auth.pcn()?;
    let Some(ep) = state.store.get_episode(pcn, id).await? else {
        return Err(auth.not_found(&state, "episode", id).await);
    };
    let Some(p) = state.store.get_person(pcn, ep.person_id).await? else {
        return Err(auth.not_found(&state, "person", ep.person_id).await);
    };
    auth.need_to_know(&state, pcn, p.id).await?;
    let plans: Vec<EpisodeRecord> = state
        .store
        .records_for_person(pcn, p.id)
        .await?
        .into_iter()
        .filter(|r| r.episode_id == ep.id && r.kind == RecordKind::Plan)
        .collect();
    let n = q.version.unwrap_or(plans.len());
    let Some(plan) = n
        .checked_sub(1)
        .and_then(|i| plans.get(i))
        .and_then(|r| r.parse::<CarePlan>())
    else {
        return Err(AppError::NotFound);
    };
    auth.audit_read(
        &state,
        "plan.print",
        Some(p.id),
        format!("episode {id} plan version {n}"),
    )
    .await?;
    let users = state.store.list_users(Some(pcn)).await?;
    let worker = ep
        .link_worker_id
        .and_then(|w| users.iter().find(|u| u.id == w))
        .map_or_else(|| "your link worker".into(), |u| u.name.clone());
    let page = PlanPrint {
        ctx: PageCtx::new(Some(&auth), "My care and support plan", "/people"),
        name: p.details.full_name(),
        back: format!("/people/{}", p.id),
        agreed_on: date(plan.agreed_on),
        review_on: date(plan.review_on),
        what_matters: plan.what_matters.clone(),
        goals: plan.goals.clone(),
        actions: plan
            .actions
            .iter()
            .map(|a| {
                let who = match a.owner {
                    ActionOwner::Person => "Me".to_string(),
                    ActionOwner::LinkWorker => worker.clone(),
                    ActionOwner::Other => a.owner_name.clone(),
                };
                (a.what.clone(), who, date(a.due))
            })
            .collect(),
        support_offered: plan.support_offered.clone(),
        link_worker: worker,
        version: n,
        versions: plans.len(),
    };
    Ok(views::ok(&page))
}

// ---------------------------------------------------------------------------------------
// Outcome measures

#[derive(Deserialize, Default)]
pub struct InstrumentQuery {
    pub instrument: Option<String>,
}

fn measure_sections(
    instrument: Instrument,
    point: &str,
    taken_on: &str,
    get: impl Fn(&str) -> String,
    e: &FieldErrors,
) -> Vec<Section> {
    let mut items = vec![];
    for (code, question, lo, hi) in instrument.items() {
        let v = get(code);
        let mut opts = vec![Opt {
            value: String::new(),
            label: "Choose".into(),
            selected: v.is_empty(),
        }];
        opts.extend((*lo..=*hi).map(|s| Opt {
            value: s.to_string(),
            label: s.to_string(),
            selected: v == s.to_string(),
        }));
        items.push(
            Field::new("select", *code, question)
                .hint(&format!("{lo} to {hi}"))
                .options(opts)
                .errors(e),
        );
    }
    vec![
        Section {
            legend: "When".into(),
            fields: vec![
                Field::new("radios", "point", "At which point")
                    .codes::<MeasurePoint>(&[point.to_string()], None)
                    .errors(e),
                Field::new("date", "taken_on", "Date completed")
                    .value(taken_on)
                    .required()
                    .errors(e),
            ],
        },
        Section {
            legend: instrument.label().into(),
            fields: items,
        },
    ]
}

fn measure_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    instrument: Instrument,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        &format!("Record {}", instrument.label()),
        format!("/episodes/{}/measures", ep.id),
    );
    page.hidden = vec![("instrument".into(), instrument.code().into())];
    page.intro = vec!["Ask each question as written and record the person's own answer.".into()];
    let point = if f.get("point").is_empty() {
        "baseline"
    } else {
        f.get("point")
    };
    let taken = if f.get("taken_on").is_empty() {
        today().to_string()
    } else {
        f.get("taken_on").to_string()
    };
    page.sections = measure_sections(instrument, point, &taken, |c| f.get(c).to_string(), e);
    page.notice = instrument.notice().map(String::from);
    page.submit = "Save answers".into();
    page.errors(e)
}

fn instrument_of(s: Option<&str>) -> Result<Instrument, AppError> {
    s.and_then(Instrument::from_code).ok_or_else(|| {
        AppError::BadRequest(format!(
            "Choose an outcome measure: {}",
            Instrument::ALL
                .iter()
                .map(|i| i.code())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

pub async fn measure_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<InstrumentQuery>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "measure.create").await?;
    open_only(&ep)?;
    let instrument = instrument_of(q.instrument.as_deref())?;
    Ok(measure_form(
        &auth,
        &p,
        &ep,
        instrument,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn measure_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "measure.create").await?;
    open_only(&ep)?;
    let instrument = instrument_of(Some(form.get("instrument")))?;
    let point = MeasurePoint::from_code(form.get("point"));
    let parsed = Measure::parse(
        instrument,
        point.unwrap_or(MeasurePoint::Baseline),
        form.get("taken_on"),
        today(),
        |c| form.get(c).to_string(),
    );
    let m = match (parsed, point) {
        (Ok(m), Some(_)) => m,
        (parsed, point) => {
            let mut e = parsed.err().unwrap_or_default();
            if point.is_none() {
                e.add("point", "Choose baseline, review or discharge");
            }
            return Ok(measure_form(&auth, &p, &ep, instrument, &form, &e).respond());
        }
    };
    let figures: Vec<String> = m
        .headlines()
        .iter()
        .map(|(l, v, _)| format!("{l} {}", crate::charts::format_value(*v)))
        .collect();
    add(
        &state,
        &auth,
        &ep,
        NewRecord {
            kind: RecordKind::Measure,
            status: String::new(),
            body: json(&m)?,
            assigned_to: None,
            due_at: None,
            at: storage::now(),
            summary: format!(
                "{} at {}: {}",
                instrument.code().to_uppercase(),
                m.point.code(),
                figures.join(", ")
            ),
        },
    )
    .await?;
    Ok(see_other(&format!("/people/{}?done=measure", p.id)))
}

// ---------------------------------------------------------------------------------------
// Safeguarding

async fn supervisors(state: &AppState, pcn: i64) -> Result<Vec<(i64, String)>, AppError> {
    Ok(state
        .store
        .list_users(Some(pcn))
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Supervisor && !u.disabled)
        .map(|u| (u.id, u.name))
        .collect())
}

fn safeguarding_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    sups: &[(i64, String)],
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Raise a safeguarding concern",
        format!("/episodes/{}/safeguarding", ep.id),
    );
    page.intro = vec![
        "The GP supervisor sees this on their dashboard and records what was done.".into(),
        "If someone is in immediate danger, call 999 first.".into(),
    ];
    let mut opts = vec![Opt {
        value: String::new(),
        label: "Choose".into(),
        selected: f.get("raised_to").is_empty(),
    }];
    opts.extend(sups.iter().map(|(id, name)| Opt {
        value: id.to_string(),
        label: name.clone(),
        selected: f.get("raised_to") == id.to_string(),
    }));
    page.sections = vec![Section {
        legend: "The concern".into(),
        fields: vec![
            Field::new("textarea", "concern", "What is the concern")
                .hint("What you saw or were told, when, and anything already done")
                .value(f.get("concern"))
                .required()
                .errors(e),
            Field::new("select", "raised_to", "GP supervisor")
                .options(opts)
                .required()
                .errors(e),
        ],
    }];
    page.submit = "Raise concern".into();
    page.errors(e)
}

pub async fn safeguarding_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "safeguarding.create").await?;
    open_only(&ep)?;
    let sups = supervisors(&state, auth.pcn()?).await?;
    Ok(safeguarding_form(
        &auth,
        &p,
        &ep,
        &sups,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn safeguarding_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "safeguarding.create").await?;
    open_only(&ep)?;
    let sups = supervisors(&state, auth.pcn()?).await?;
    let to = form
        .get("raised_to")
        .parse::<i64>()
        .ok()
        .filter(|id| sups.iter().any(|s| s.0 == *id));
    let s = match Safeguarding::new(form.get("concern"), to) {
        Ok(s) => s,
        Err(e) => return Ok(safeguarding_form(&auth, &p, &ep, &sups, &form, &e).respond()),
    };
    let name = sups
        .iter()
        .find(|x| x.0 == s.raised_to)
        .map_or(String::new(), |x| x.1.clone());
    add(
        &state,
        &auth,
        &ep,
        NewRecord {
            kind: RecordKind::Safeguarding,
            status: "open".into(),
            body: json(&s)?,
            assigned_to: Some(s.raised_to),
            due_at: None,
            at: storage::now(),
            summary: format!("Safeguarding concern raised to {name}"),
        },
    )
    .await?;
    Ok(see_other(&format!("/people/{}?done=safeguarding", p.id)))
}

#[derive(Template)]
#[template(path = "safeguarding.html")]
struct SafeguardingPage {
    ctx: PageCtx,
    /// (record id, person id, person name, raised on, concern, raised by)
    open: Vec<(i64, i64, String, String, String, String)>,
    mine_only: bool,
}

/// Open safeguarding concerns: the supervisor's own, or every one for a manager.
pub async fn safeguarding_list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, AppError> {
    let role = auth.user.role;
    auth.require(&state, role.can_view_safeguarding(), "safeguarding.list")
        .await?;
    let pcn = auth.pcn()?;
    let mine_only = role == Role::Supervisor;
    let records = state
        .store
        .records_by_status(
            pcn,
            RecordKind::Safeguarding,
            "open",
            mine_only.then_some(auth.user.id),
        )
        .await?;
    let users = state.store.list_users(Some(pcn)).await?;
    let mut open = vec![];
    let now = Utc::now();
    for r in records {
        let Some(s) = r.parse::<Safeguarding>() else {
            continue;
        };
        // A link worker sees the concerns they raised and those about their own people.
        if role == Role::LinkWorker
            && r.created_by != Some(auth.user.id)
            && !state
                .store
                .person_is_theirs(pcn, r.person_id, auth.user.id, now)
                .await?
        {
            continue;
        }
        let name = state
            .store
            .get_person(pcn, r.person_id)
            .await?
            .map(|p| p.details.full_name())
            .unwrap_or_default();
        let by = r
            .created_by
            .and_then(|u| users.iter().find(|x| x.id == u))
            .map_or(String::new(), |u| u.name.clone());
        open.push((
            r.id,
            r.person_id,
            name,
            views::datetime(r.created_at),
            s.concern,
            by,
        ));
    }
    let shown: Vec<(i64, i64)> = open.iter().map(|o| (pcn, o.1)).collect();
    auth.audit_shown(
        &state,
        "safeguarding.list",
        &shown,
        &format!("{} open", open.len()),
    )
    .await?;
    Ok(views::ok(&SafeguardingPage {
        ctx: PageCtx::new(Some(&auth), "Safeguarding concerns", "/safeguarding"),
        open,
        mine_only,
    }))
}

async fn concern(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(EpisodeRecord, Safeguarding, Person), AppError> {
    auth.require(
        state,
        auth.user.role.can_close_safeguarding(),
        "safeguarding.close",
    )
    .await?;
    let pcn = auth.pcn()?;
    let Some(r) = state.store.get_record(pcn, id).await? else {
        return Err(auth.not_found(state, "record", id).await);
    };
    // Open only to the supervisor it was raised to: another supervisor of the PCN gets the
    // same answer as for no concern at all (docs/security.md, "Bindings inside a PCN").
    let Some(s) = r
        .parse::<Safeguarding>()
        .filter(|_| r.kind == RecordKind::Safeguarding)
        .filter(|s| s.raised_to == auth.user.id || r.assigned_to == Some(auth.user.id))
    else {
        return Err(auth.not_found(state, "safeguarding", id).await);
    };
    let Some(p) = state.store.get_person(pcn, r.person_id).await? else {
        return Err(AppError::NotFound);
    };
    Ok((r, s, p))
}

fn close_form(
    auth: &Auth,
    r: &EpisodeRecord,
    s: &Safeguarding,
    p: &Person,
    action: &str,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Close a safeguarding concern",
        format!("/safeguarding/{}", r.id),
    );
    page.cancel = "/safeguarding".into();
    page.version = Some(r.version);
    page.intro = vec![
        format!("Raised {}:", views::datetime(r.created_at)),
        s.concern.clone(),
    ];
    page.sections = vec![Section {
        legend: "What was done".into(),
        fields: vec![Field::new("textarea", "action", "Action taken")
            .hint("Who was told, what was decided, and any follow-up")
            .value(action)
            .required()
            .errors(e)],
    }];
    page.submit = "Record action and close".into();
    page.errors(e)
}

pub async fn safeguarding_show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (r, s, p) = concern(&state, &auth, id).await?;
    auth.audit_read(
        &state,
        "safeguarding.read",
        Some(p.id),
        format!("concern {id}"),
    )
    .await?;
    if r.status != "open" {
        return Err(AppError::Conflict("This concern is already closed".into()));
    }
    Ok(close_form(&auth, &r, &s, &p, "", &FieldErrors::default()).respond())
}

pub async fn safeguarding_close(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (r, s, p) = concern(&state, &auth, id).await?;
    if r.status != "open" {
        return Err(AppError::Conflict("This concern is already closed".into()));
    }
    let version = form.i64("version")?;
    let closed = match s.close(form.get("action"), today()) {
        Ok(c) => c,
        Err(e) => {
            // The refusal shows the concern again: a read like any other.
            auth.audit_read(
                &state,
                "safeguarding.read",
                Some(p.id),
                format!("concern {id}, shown again to correct"),
            )
            .await?;
            return Ok(close_form(&auth, &r, &s, &p, form.get("action"), &e).respond());
        }
    };
    state
        .store
        .update_record(
            auth.pcn()?,
            id,
            version,
            "closed",
            &json(&closed)?,
            "Safeguarding concern closed by the GP supervisor, with the action taken",
            &auth.actor(),
        )
        .await?;
    Ok(see_other("/safeguarding?done=safeguarding-closed"))
}

// ---------------------------------------------------------------------------------------
// Referral back, health service use, discharge

fn referral_back_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Refer back to a clinician",
        format!("/episodes/{}/referral-back", ep.id),
    );
    page.intro = vec!["When a need is beyond social prescribing, refer the person back to a clinician in the PCN.".into()];
    page.sections = vec![Section {
        legend: "The referral".into(),
        fields: vec![
            Field::new("text", "clinician", "To whom")
                .hint("For example, Dr Shah (GP) or the practice mental health practitioner")
                .value(f.get("clinician"))
                .required()
                .errors(e),
            Field::new("textarea", "reason", "Reason")
                .value(f.get("reason"))
                .required()
                .errors(e),
        ],
    }];
    page.submit = "Refer back".into();
    page.errors(e)
}

pub async fn referral_back_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "referral_back.create").await?;
    open_only(&ep)?;
    Ok(referral_back_form(
        &auth,
        &p,
        &ep,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn referral_back_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "referral_back.create").await?;
    open_only(&ep)?;
    let rb = match ReferralBack::new(form.get("clinician"), form.get("reason")) {
        Ok(rb) => rb,
        Err(e) => return Ok(referral_back_form(&auth, &p, &ep, &form, &e).respond()),
    };
    add(
        &state,
        &auth,
        &ep,
        NewRecord {
            kind: RecordKind::ReferralBack,
            status: String::new(),
            summary: format!("Referred back to {}", rb.clinician),
            body: json(&rb)?,
            assigned_to: None,
            due_at: None,
            at: storage::now(),
        },
    )
    .await?;
    Ok(see_other(&format!("/people/{}?done=referral-back", p.id)))
}

fn health_use_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Record health service use",
        format!("/episodes/{}/health-use", ep.id),
    );
    page.intro = vec!["Optional. From the GP record or the person: used to show the change social prescribing made.".into()];
    let period = if f.get("period").is_empty() {
        if ep.state.is_closed() {
            "after"
        } else {
            "before"
        }
    } else {
        f.get("period")
    };
    page.sections = vec![Section {
        legend: "Counts".into(),
        fields: vec![
            Field::new("radios", "period", "Which 12 months")
                .codes::<HealthPeriod>(&[period.to_string()], None)
                .errors(e),
            Field::new("text", "gp_appointments", "GP appointments")
                .value(f.get("gp_appointments"))
                .width("10")
                .required()
                .errors(e),
            Field::new("text", "ae_attendances", "A&E attendances")
                .value(f.get("ae_attendances"))
                .width("10")
                .required()
                .errors(e),
        ],
    }];
    page.submit = "Save counts".into();
    page.errors(e)
}

pub async fn health_use_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "health_use.create").await?;
    Ok(health_use_form(
        &auth,
        &p,
        &ep,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn health_use_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "health_use.create").await?;
    let h = match HealthUse::parse(
        form.get("period"),
        form.get("gp_appointments"),
        form.get("ae_attendances"),
    ) {
        Ok(h) => h,
        Err(e) => return Ok(health_use_form(&auth, &p, &ep, &form, &e).respond()),
    };
    add(
        &state,
        &auth,
        &ep,
        NewRecord {
            kind: RecordKind::HealthUse,
            status: String::new(),
            summary: format!(
                "Health service use, {}: {} GP appointments, {} A&E attendances",
                h.period.label().to_lowercase(),
                h.gp_appointments,
                h.ae_attendances
            ),
            body: json(&h)?,
            assigned_to: None,
            due_at: None,
            at: storage::now(),
        },
    )
    .await?;
    Ok(see_other(&format!("/people/{}?done=health-use", p.id)))
}

fn discharge_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    version: i64,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Discharge",
        format!("/episodes/{}/discharge", ep.id),
    );
    page.version = Some(version);
    page.intro = vec!["Record a discharge outcome measure first if the person is willing. A new episode can be opened later with a new referral; this one stays in their history.".into()];
    page.sections = vec![Section {
        legend: "Ending this episode".into(),
        fields: vec![
            Field::new("radios", "reason", "Reason")
                .codes::<DischargeReason>(&[f.get("reason").to_string()], None)
                .errors(e),
            Field::new("textarea", "summary", "Closing summary")
                .hint("What changed for the person, what they are connected to now, and any next steps")
                .value(f.get("summary"))
                .required()
                .errors(e),
        ],
    }];
    page.submit = "Discharge".into();
    page.errors(e)
}

pub async fn discharge_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "episode.discharge").await?;
    open_only(&ep)?;
    Ok(discharge_form(
        &auth,
        &p,
        &ep,
        ep.version,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn discharge_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "episode.discharge").await?;
    let version = form.i64("version")?;
    let d = match DischargeSummary::parse(form.get("reason"), form.get("summary")) {
        Ok(d) => d,
        Err(e) => return Ok(discharge_form(&auth, &p, &ep, version, &form, &e).respond()),
    };
    state
        .store
        .discharge(
            auth.pcn()?,
            ep.id,
            version,
            d.reason,
            &json(&d)?,
            storage::now(),
            &auth.actor(),
        )
        .await?;
    Ok(see_other(&format!("/people/{}?done=discharged", p.id)))
}
