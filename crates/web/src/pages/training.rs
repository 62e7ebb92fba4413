//! Training and development: each link worker's required training (NHSE/I online learning
//! programme, Personalised Care Institute, peer support network attendance and anything
//! the PCN adds) with completion dates and evidence, and a compliance view for managers.
//! A link worker sees and records their own; a manager sees and records everyone's.

use super::{flash, see_other};
use crate::auth::Auth;
use crate::views::{self, date, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::workforce::{compliance, Compliance};
use domain::{Code, Role, TrainingKind};
use serde::Deserialize;
use storage::StorageError;

#[derive(Deserialize, Default)]
pub struct TrainingQuery {
    pub done: Option<String>,
}

struct Cell {
    text: String,
    ok: bool,
}

struct Row {
    name: String,
    cells: Vec<Cell>,
    met: usize,
}

struct Done {
    who: String,
    what: String,
    on: String,
    evidence: String,
}

#[derive(Template)]
#[template(path = "training.html")]
struct Page {
    ctx: PageCtx,
    requirements: Vec<(String, String)>,
    rows: Vec<Row>,
    recent: Vec<Done>,
    workers: Vec<Opt>,
    reqs: Vec<Opt>,
    kinds: Vec<Opt>,
    manager: bool,
    error: Option<String>,
    req_error: Option<String>,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    error: Option<String>,
    req_error: Option<String>,
    typed: (String, String),
    done: Option<&str>,
) -> Result<Page, AppError> {
    let pcn = auth.pcn()?;
    let manager = auth.user.role == Role::Manager;
    let users: Vec<_> = state
        .store
        .list_users(Some(pcn))
        .await?
        .into_iter()
        .filter(|u| u.role == Role::LinkWorker && !u.disabled)
        .filter(|u| manager || u.id == auth.user.id)
        .collect();
    let reqs: Vec<_> = state
        .store
        .training_requirements(pcn)
        .await?
        .into_iter()
        .filter(|r| r.active)
        .collect();
    let records = state
        .store
        .training_records(pcn, (!manager).then_some(auth.user.id))
        .await?;
    let today = directory::today();
    let rows = users
        .iter()
        .map(|u| {
            let cells: Vec<Cell> = reqs
                .iter()
                .map(|r| {
                    let latest = records
                        .iter()
                        .filter(|x| x.user_id == u.id && x.requirement_id == r.id)
                        .map(|x| x.completed_on)
                        .max();
                    match compliance(latest, r.renew_months, today) {
                        Compliance::Done { until: None } => Cell {
                            text: format!("Done {}", latest.map(date).unwrap_or_default()),
                            ok: true,
                        },
                        Compliance::Done { until: Some(u) } => Cell {
                            text: format!("Done, due again {}", date(u)),
                            ok: true,
                        },
                        Compliance::Expired { on } => Cell {
                            text: format!("Expired {}", date(on)),
                            ok: false,
                        },
                        Compliance::Missing => Cell {
                            text: "Not done".into(),
                            ok: false,
                        },
                    }
                })
                .collect();
            Row {
                name: u.name.clone(),
                met: cells.iter().filter(|c| c.ok).count(),
                cells,
            }
        })
        .collect();
    let recent = records
        .iter()
        .take(30)
        .map(|x| Done {
            who: users
                .iter()
                .find(|u| u.id == x.user_id)
                .map_or_else(|| "A former link worker".into(), |u| u.name.clone()),
            what: reqs
                .iter()
                .find(|r| r.id == x.requirement_id)
                .map_or_else(|| "Retired requirement".into(), |r| r.name.clone()),
            on: date(x.completed_on),
            evidence: x.evidence.clone(),
        })
        .collect();
    Ok(Page {
        ctx: PageCtx::new(Some(auth), "Training", "/training").flash(flash(done)),
        requirements: reqs
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    match r.renew_months {
                        Some(m) => format!("{}; every {m} months", r.kind.label()),
                        None => format!("{}; once", r.kind.label()),
                    },
                )
            })
            .collect(),
        workers: users
            .iter()
            .map(|u| Opt {
                value: u.id.to_string(),
                label: u.name.clone(),
                selected: typed.0 == u.id.to_string(),
            })
            .collect(),
        reqs: reqs
            .iter()
            .map(|r| Opt {
                value: r.id.to_string(),
                label: r.name.clone(),
                selected: typed.1 == r.id.to_string(),
            })
            .collect(),
        kinds: TrainingKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.code().into(),
                label: k.label().into(),
                selected: *k == TrainingKind::Other,
            })
            .collect(),
        rows,
        recent,
        manager,
        error,
        req_error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<TrainingQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_record_training(),
        "training.view",
    )
    .await?;
    Ok(views::ok(
        &page(
            &state,
            &auth,
            None,
            None,
            Default::default(),
            q.done.as_deref(),
        )
        .await?,
    ))
}

pub async fn record(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_record_training(),
        "training.record",
    )
    .await?;
    let pcn = auth.pcn()?;
    let user = if auth.user.role == Role::Manager {
        form.get("user_id").trim().parse::<i64>().ok()
    } else {
        Some(auth.user.id)
    };
    let req = form.get("requirement_id").trim().parse::<i64>().ok();
    let on = domain::person::parse_date(form.get("completed_on"));
    let evidence = form.get("evidence").trim();
    let problem = match (user, req, on) {
        (None, _, _) => Some("Choose the link worker".to_string()),
        (_, None, _) => Some("Choose the training".to_string()),
        (_, _, None) => Some("Enter the date it was completed, like 2026-10-14".to_string()),
        (_, _, Some(d)) if d > directory::today() => {
            Some("The completion date cannot be in the future".to_string())
        }
        _ if evidence.chars().count() > 1000 => {
            Some("Keep the evidence note to 1,000 characters".to_string())
        }
        _ => None,
    };
    let typed = (
        form.get("user_id").to_string(),
        form.get("requirement_id").to_string(),
    );
    let problem = match (problem, user, req, on) {
        (None, Some(u), Some(r), Some(d)) => match state
            .store
            .add_training_record(pcn, u, r, d, evidence, &auth.actor())
            .await
        {
            Ok(_) => return Ok(see_other("/training?done=training")),
            Err(StorageError::Rule(m)) => Some(m),
            Err(e) => return Err(e.into()),
        },
        (p, ..) => p,
    };
    Ok(views::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(&state, &auth, problem, None, typed, None).await?,
    ))
}

pub async fn add_requirement(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_pcn_settings(),
        "training.requirement",
    )
    .await?;
    let pcn = auth.pcn()?;
    let name = form.get("name").trim();
    let kind = TrainingKind::from_code(form.get("kind"));
    let renew = match form.get("renew_months").trim() {
        "" => Ok(None),
        s => s
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=120).contains(m))
            .map(Some)
            .ok_or(()),
    };
    let problem = match (name.is_empty() || name.chars().count() > 200, kind, &renew) {
        (true, _, _) => Some("Enter the training's name (up to 200 characters)"),
        (_, None, _) => Some("Choose where the training comes from"),
        (_, _, Err(())) => Some("Enter how often it must be renewed in months (1 to 120), or leave it blank if once is enough"),
        _ => None,
    };
    if let (None, Some(k), Ok(r)) = (problem, kind, renew) {
        state
            .store
            .create_training_requirement(pcn, name, k, r, &auth.actor())
            .await?;
        return Ok(see_other("/training?done=requirement"));
    }
    Ok(views::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(
            &state,
            &auth,
            None,
            problem.map(String::from),
            Default::default(),
            None,
        )
        .await?,
    ))
}
