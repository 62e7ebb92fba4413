//! The person's plan, in their hands: what matters to them, the services they were
//! connected to (when, where, cost, how to get there), their next contact and their link
//! worker; "I went" / "I didn't go", their wellbeing questions, and "please call me".

use super::*;
use crate::pages::directory::{cost, place, when};
use crate::views::{self, date, error_items, ErrorItem, Field, Opt, PageCtx, Section};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use domain::{
    CarePlan, Code, ConnectionKind, ConnectionStatus, FieldErrors, Instrument, Measure,
    MeasurePoint, RecordKind,
};
use serde::Deserialize;
use storage::{AuditEntry, Episode, NewRecord, Person};

pub(crate) struct ServiceView {
    pub id: i64,
    pub name: String,
    pub organisation: String,
    pub status: String,
    pub when: Vec<String>,
    pub place: String,
    pub cost: String,
    pub phone: String,
    /// The number for a `tel:` link: digits and a leading +.
    pub phone_digits: String,
    pub directions: String,
    /// What they said: "You said you went (3 Dec 2026)".
    pub said: String,
}

#[derive(Template)]
#[template(path = "my_plan.html")]
struct PlanPage {
    ctx: PageCtx,
    csrf: String,
    given_name: String,
    what_matters: String,
    goals: Vec<String>,
    /// (what, who, by when)
    actions: Vec<(String, String, String)>,
    agreed_on: String,
    review_on: String,
    has_plan: bool,
    services: Vec<ServiceView>,
    next_contact: String,
    link_worker: String,
    practice: String,
    open: bool,
    call_asked: String,
    wellbeing_last: String,
    done: String,
}

#[derive(Deserialize, Default)]
pub struct PlanQuery {
    #[serde(default)]
    done: String,
}

/// The episode the plan shows: the latest open one, else the latest.
fn current(episodes: &[Episode]) -> Option<&Episode> {
    episodes
        .iter()
        .filter(|e| !e.state.is_closed())
        .max_by_key(|e| (e.referred_at, e.id))
        .or_else(|| episodes.iter().max_by_key(|e| (e.referred_at, e.id)))
}

/// The person of the session, or the session ends (their record was merged away).
async fn load(state: &AppState, who: &PersonAuth) -> Result<Person, Response> {
    match state
        .store
        .get_person(who.session.pcn_id, who.session.person_id)
        .await
    {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(super::super::see_other("/my-plan?ended=1")),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

fn status_words(kind: ConnectionKind, s: ConnectionStatus) -> Option<&'static str> {
    use ConnectionStatus::*;
    Some(match (kind, s) {
        (ConnectionKind::Signpost, _) => "You have their details to contact them yourself",
        (_, Requested) => "We have asked them to contact you",
        (_, Accepted) => "They have said they can help",
        (_, InProgress) => "You are taking part",
        (_, OnHold) => "On hold for now",
        (_, Completed) => "Finished",
        (_, Rejected | Failed) => {
            "This did not work out: your link worker will talk to you about it"
        }
        (_, Cancelled) => return None,
    })
}

pub async fn view(
    State(state): State<AppState>,
    who: PersonAuth,
    Query(q): Query<PlanQuery>,
) -> Result<Response, AppError> {
    let person = match load(&state, &who).await {
        Ok(p) => p,
        Err(r) => return Ok(r),
    };
    let (pcn, id) = (who.session.pcn_id, who.session.person_id);
    state
        .store
        .append_audit(
            &AuditEntry::new(
                &who.actor(),
                "person.plan.read",
                "person",
                Some(id),
                Some(pcn),
            )
            .detail("their own plan"),
        )
        .await?;
    let episodes = state.store.episodes_for_person(pcn, id).await?;
    let ep = current(&episodes);
    let records = state.store.records_for_person(pcn, id).await?;
    let plan: Option<CarePlan> = ep.and_then(|ep| {
        records
            .iter()
            .filter(|r| r.episode_id == ep.id && r.kind == RecordKind::Plan)
            .max_by_key(|r| (r.created_at, r.id))
            .and_then(|r| r.parse::<CarePlan>())
    });
    let link_worker = match ep.and_then(|e| e.link_worker_id) {
        Some(uid) => state
            .store
            .user_by_id(uid)
            .await?
            .filter(|u| u.pcn_id == Some(pcn))
            .map(|u| u.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let practice = match person.details.practice_id {
        Some(pid) => state
            .store
            .list_practices(pcn)
            .await?
            .into_iter()
            .find(|p| p.id == pid)
            .map(|p| p.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut services = vec![];
    for c in state.store.connections_for_person(pcn, id).await? {
        if ep.is_some_and(|e| e.id != c.episode_id) {
            continue;
        }
        let Some(status) = status_words(c.kind, c.status) else {
            continue;
        };
        let entry = state.directory.entry(&c.service_id).await?;
        let said = match (c.person_said.as_deref(), c.person_said_at) {
            (Some("went"), Some(at)) => {
                format!("You said you went ({})", crate::views::opt_date(Some(at)))
            }
            (Some(_), Some(at)) => format!(
                "You said you did not go ({})",
                crate::views::opt_date(Some(at))
            ),
            _ => String::new(),
        };
        let (when_, place_, cost_, phone, directions) = match &entry {
            Some(e) => (
                when(e),
                place(e),
                cost(e),
                e.service
                    .phones
                    .first()
                    .map(|p| p.number.clone())
                    .unwrap_or_default(),
                e.service
                    .service_at_locations
                    .iter()
                    .filter_map(|s| s.location.as_ref())
                    .find_map(|l| l.description.clone())
                    .unwrap_or_default(),
            ),
            None => (
                vec![],
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ),
        };
        services.push(ServiceView {
            id: c.id,
            name: c.service_name.clone(),
            organisation: c.organization_name.clone(),
            status: status.into(),
            when: when_,
            place: place_,
            cost: cost_,
            phone_digits: phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect(),
            phone,
            directions,
            said,
        });
    }
    let call_asked = state
        .store
        .call_requests_for_person(pcn, id)
        .await?
        .into_iter()
        .find(|r| r.done_at.is_none())
        .map(|r| crate::views::opt_date(Some(r.created_at)))
        .unwrap_or_default();
    let wellbeing_last = records
        .iter()
        .filter(|r| r.kind == RecordKind::Measure)
        .filter_map(|r| r.parse::<Measure>())
        .filter(|m| m.instrument == Instrument::Swemwbs)
        .map(|m| m.taken_on)
        .max()
        .map(date)
        .unwrap_or_default();
    let open = ep.is_some_and(|e| !e.state.is_closed());
    let page = PlanPage {
        ctx: PageCtx::new(None, "Your plan", "/my-plan/view"),
        csrf: who.session.csrf_token.clone(),
        given_name: person.details.given_name.clone(),
        has_plan: plan.is_some(),
        what_matters: plan
            .as_ref()
            .map(|p| p.what_matters.clone())
            .unwrap_or_default(),
        goals: plan.as_ref().map(|p| p.goals.clone()).unwrap_or_default(),
        actions: plan
            .as_ref()
            .map(|p| {
                p.actions
                    .iter()
                    .map(|a| {
                        let who = match a.owner {
                            domain::journey::ActionOwner::Person => "You".to_string(),
                            domain::journey::ActionOwner::LinkWorker => {
                                "Your link worker".to_string()
                            }
                            domain::journey::ActionOwner::Other => a.owner_name.clone(),
                        };
                        (a.what.clone(), who, date(a.due))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        agreed_on: plan.as_ref().map(|p| date(p.agreed_on)).unwrap_or_default(),
        review_on: plan.as_ref().map(|p| date(p.review_on)).unwrap_or_default(),
        services,
        next_contact: ep
            .filter(|e| !e.state.is_closed())
            .and_then(|e| e.next_contact_at)
            .filter(|t| *t > Utc::now())
            .map(crate::views::datetime)
            .unwrap_or_default(),
        link_worker,
        practice,
        open,
        call_asked,
        wellbeing_last,
        done: match q.done.as_str() {
            "went" => "Thank you. We have told your link worker.".into(),
            "call" => "Thank you. Your link worker will call you.".into(),
            "wellbeing" => "Thank you. Your answers have been saved for your link worker.".into(),
            "wellbeing-today" => {
                "You have already answered today. Thank you: your link worker has your answers."
                    .into()
            }
            _ => String::new(),
        },
    };
    Ok(views::ok(&page))
}

/// "I went" / "I didn't go" for one of their services.
pub async fn went(
    State(state): State<AppState>,
    who: PersonAuth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = who.form(&body)?;
    let said = form.get("said");
    if !matches!(said, "went" | "did-not-go") {
        return Err(AppError::BadRequest("Say whether you went or not".into()));
    }
    let connection: i64 = form
        .get("connection")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    // Only a service their plan shows: of the current episode, not cancelled.
    let (pcn, id) = (who.session.pcn_id, who.session.person_id);
    let episodes = state.store.episodes_for_person(pcn, id).await?;
    let shown = state
        .store
        .connections_for_person(pcn, id)
        .await?
        .iter()
        .any(|c| {
            c.id == connection
                && current(&episodes).is_some_and(|e| e.id == c.episode_id)
                && status_words(c.kind, c.status).is_some()
        });
    if !shown {
        return Err(AppError::NotFound);
    }
    state
        .store
        .person_said(
            who.session.pcn_id,
            who.session.person_id,
            connection,
            said,
            &who.actor(),
        )
        .await?;
    Ok(super::super::see_other("/my-plan/view?done=went"))
}

/// "Please call me".
pub async fn call_me(
    State(state): State<AppState>,
    who: PersonAuth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = who.form(&body)?;
    let best = match form.get("best_time") {
        t @ ("morning" | "afternoon") => t,
        _ => "any",
    };
    let note: String = form.get("note").trim().chars().take(500).collect();
    let episodes = state
        .store
        .episodes_for_person(who.session.pcn_id, who.session.person_id)
        .await?;
    if current(&episodes).is_none_or(|e| e.state.is_closed()) {
        return Err(AppError::Conflict(
            "Your link worker is not working with you at the moment. Call your GP practice and ask for the social prescribing link worker".into(),
        ));
    }
    // One open request at a time: asking again (a second tab, a double press) adds nothing.
    let open = state
        .store
        .call_requests_for_person(who.session.pcn_id, who.session.person_id)
        .await?
        .iter()
        .any(|r| r.done_at.is_none());
    if open {
        return Ok(super::super::see_other("/my-plan/view?done=call"));
    }
    state
        .store
        .add_call_request(
            who.session.pcn_id,
            who.session.person_id,
            best,
            &note,
            &who.actor(),
        )
        .await?;
    Ok(super::super::see_other("/my-plan/view?done=call"))
}

#[derive(Template)]
#[template(path = "my_plan_wellbeing.html")]
struct WellbeingPage {
    ctx: PageCtx,
    csrf: String,
    errors: Vec<ErrorItem>,
    sections: Vec<Section>,
}

fn wellbeing_page(who: &PersonAuth, f: &FormData, e: &FieldErrors) -> WellbeingPage {
    let i = Instrument::Swemwbs;
    let fields = i
        .items()
        .iter()
        .map(|(code, question, lo, hi)| {
            let v = f.get(code);
            Field::new("radios", *code, question)
                .options(
                    (*lo..=*hi)
                        .map(|s| Opt {
                            value: s.to_string(),
                            label: i.answer_label(code, s),
                            selected: v == s.to_string(),
                        })
                        .collect(),
                )
                .required()
                .errors(e)
        })
        .collect();
    WellbeingPage {
        ctx: PageCtx::new(
            None,
            if e.is_empty() {
                "How you have been feeling"
            } else {
                "Error: How you have been feeling"
            },
            "/my-plan/wellbeing",
        ),
        csrf: who.session.csrf_token.clone(),
        errors: error_items(e),
        sections: vec![Section {
            folded: false,
            legend: "Over the last 2 weeks".into(),
            fields,
        }],
    }
}

pub async fn wellbeing_form(who: PersonAuth) -> Result<Response, AppError> {
    Ok(views::ok(&wellbeing_page(
        &who,
        &FormData::default(),
        &FieldErrors::default(),
    )))
}

/// Their own answers to SWEMWBS, saved as a measure on their open episode: the baseline
/// when there is none yet, else a review.
pub async fn wellbeing_save(
    State(state): State<AppState>,
    who: PersonAuth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = who.form(&body)?;
    let (pcn, id) = (who.session.pcn_id, who.session.person_id);
    let episodes = state.store.episodes_for_person(pcn, id).await?;
    let Some(ep) = current(&episodes).filter(|e| !e.state.is_closed()) else {
        return Err(AppError::Conflict(
            "Your link worker is not working with you at the moment, so there is nowhere to save this".into(),
        ));
    };
    let records = state.store.records_for_person(pcn, id).await?;
    let has_baseline = records
        .iter()
        .filter(|r| r.episode_id == ep.id && r.kind == RecordKind::Measure)
        .filter_map(|r| r.parse::<Measure>())
        .any(|m| m.instrument == Instrument::Swemwbs && m.point == MeasurePoint::Baseline);
    // Once a day is enough: a second set the same day (a double press, another tab) is
    // not saved, so one bad morning cannot outweigh the rest.
    let today = domain::uk_time::today();
    let answered_today = records
        .iter()
        .filter(|r| {
            r.episode_id == ep.id && r.kind == RecordKind::Measure && r.created_by.is_none()
        })
        .filter_map(|r| r.parse::<Measure>())
        .any(|m| m.instrument == Instrument::Swemwbs && m.taken_on == today);
    if answered_today {
        return Ok(super::super::see_other(
            "/my-plan/view?done=wellbeing-today",
        ));
    }
    let point = if has_baseline {
        MeasurePoint::Review
    } else {
        MeasurePoint::Baseline
    };
    let m = match Measure::parse(Instrument::Swemwbs, point, &today.to_string(), today, |c| {
        form.get(c).to_string()
    }) {
        Ok(m) => m,
        Err(e) => {
            // In the words the person sees: each statement has word answers, not numbers.
            let mut plain = FieldErrors::default();
            for (code, _, _, _) in Instrument::Swemwbs.items() {
                if e.get(code).is_some() {
                    plain.add(*code, "Choose how often you have felt like this");
                }
            }
            return Ok(views::render(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                &wellbeing_page(&who, &form, &plain),
            ));
        }
    };
    let figures: Vec<String> = m
        .headlines()
        .iter()
        .map(|(l, v, _)| format!("{l} {}", crate::charts::format_value(*v)))
        .collect();
    state
        .store
        .add_record(
            pcn,
            ep.id,
            &NewRecord {
                kind: RecordKind::Measure,
                status: String::new(),
                body: serde_json::to_string(&m).map_err(|e| AppError::Internal(e.to_string()))?,
                assigned_to: None,
                due_at: None,
                summary: format!(
                    "SWEMWBS at {} (answered by them on their plan): {}",
                    m.point.code(),
                    figures.join(", ")
                ),
                at: storage::now(),
            },
            &who.actor(),
        )
        .await?;
    Ok(super::super::see_other("/my-plan/view?done=wellbeing"))
}
