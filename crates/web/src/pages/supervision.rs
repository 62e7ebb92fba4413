//! GP supervision: sessions (line management and clinical / non-managerial) with the
//! cases discussed linked to people's records (each link audited), and who is overdue.
//! Managers and GP supervisors record and see every session in the PCN; a link worker
//! sees their own.

use super::journey::RecordForm;
use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::views::{self, date, error_items, Field, Opt, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::{Code, FieldErrors, Role, SupervisionKind};
use serde::Deserialize;
use storage::{CaseloadFilter, NewSupervision, StorageError, User};

#[derive(Deserialize, Default)]
pub struct SupervisionQuery {
    pub worker: Option<String>,
    pub done: Option<String>,
}

struct Status {
    worker_id: i64,
    name: String,
    kinds: Vec<(&'static str, String, bool)>,
}

struct Row {
    id: i64,
    held_on: String,
    worker: String,
    supervisor: String,
    kind: &'static str,
    cases: i64,
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct ListPage {
    ctx: PageCtx,
    statuses: Vec<Status>,
    rows: Vec<Row>,
    may_record: bool,
    interval: i64,
    worker_name: Option<String>,
}

async fn pcn_users(state: &AppState, pcn: i64) -> Result<Vec<User>, AppError> {
    Ok(state.store.list_users(Some(pcn)).await?)
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SupervisionQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_view_supervision(),
        "supervision.list",
    )
    .await?;
    let pcn = auth.pcn()?;
    let users = pcn_users(&state, pcn).await?;
    let own_only = auth.user.role == Role::LinkWorker;
    let worker = if own_only {
        Some(auth.user.id)
    } else {
        match q.worker.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(
                s.parse::<i64>()
                    .ok()
                    .filter(|id| {
                        users
                            .iter()
                            .any(|u| u.id == *id && u.role == Role::LinkWorker)
                    })
                    .ok_or_else(|| {
                        AppError::BadRequest("Choose a link worker from the list".into())
                    })?,
            ),
        }
    };
    let sessions = state.store.supervision_sessions(pcn, worker).await?;
    let today = directory::today();
    let interval = state.config.supervision_interval_days;
    let statuses = users
        .iter()
        .filter(|u| u.role == Role::LinkWorker && !u.disabled)
        .filter(|u| worker.is_none_or(|w| w == u.id))
        .map(|u| Status {
            worker_id: u.id,
            name: u.name.clone(),
            kinds: SupervisionKind::ALL
                .iter()
                .map(|k| {
                    let last = sessions
                        .iter()
                        .filter(|s| s.link_worker_id == u.id && s.kind == *k)
                        .map(|s| s.held_on)
                        .max();
                    let overdue = last.is_none_or(|d| (today - d).num_days() > interval);
                    (k.label(), last.map_or("Never".into(), date), overdue)
                })
                .collect(),
        })
        .collect();
    let rows = sessions
        .iter()
        .map(|s| Row {
            id: s.id,
            held_on: date(s.held_on),
            worker: s.link_worker_name.clone(),
            supervisor: s.supervisor_name.clone(),
            kind: s.kind.label(),
            cases: s.cases,
        })
        .collect();
    Ok(views::ok(&ListPage {
        ctx: PageCtx::new(Some(&auth), "Supervision", "/supervision")
            .flash(flash(q.done.as_deref())),
        statuses,
        rows,
        may_record: auth.user.role.can_record_supervision(),
        interval,
        worker_name: worker
            .filter(|_| !own_only)
            .and_then(|w| users.iter().find(|u| u.id == w))
            .map(|u| u.name.clone()),
    }))
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    pub worker: Option<String>,
}

struct Typed {
    worker: String,
    supervisor: String,
    kind: String,
    held_on: String,
    actions: String,
    cases: Vec<String>,
}

async fn form_page(
    state: &AppState,
    auth: &Auth,
    pcn: i64,
    t: &Typed,
    errors: &FieldErrors,
) -> Result<RecordForm, AppError> {
    let users = pcn_users(state, pcn).await?;
    let worker: Option<&User> = t.worker.parse::<i64>().ok().and_then(|id| {
        users
            .iter()
            .find(|u| u.id == id && u.role == Role::LinkWorker)
    });
    let mut workers = vec![Opt {
        value: String::new(),
        label: "Choose a link worker".into(),
        selected: worker.is_none(),
    }];
    workers.extend(
        users
            .iter()
            .filter(|u| u.role == Role::LinkWorker && !u.disabled)
            .map(|u| Opt {
                value: u.id.to_string(),
                label: u.name.clone(),
                selected: worker.is_some_and(|w| w.id == u.id),
            }),
    );
    let supervisors: Vec<Opt> = users
        .iter()
        .filter(|u| matches!(u.role, Role::Supervisor | Role::Manager) && !u.disabled)
        .map(|u| Opt {
            value: u.id.to_string(),
            label: format!("{} ({})", u.name, u.role.label()),
            selected: t.supervisor == u.id.to_string(),
        })
        .collect();
    let mut fields = vec![
        Field::new("select", "worker", "Link worker")
            .hint("The cases you can link are this link worker's open caseload (choose them on the Supervision page first).")
            .options(workers)
            .required()
            .errors(errors),
        Field::new("select", "supervisor", "Supervisor")
            .options(supervisors)
            .required()
            .errors(errors),
        Field::new("radios", "kind", "Kind of supervision")
            .codes::<SupervisionKind>(std::slice::from_ref(&t.kind), None)
            .required()
            .errors(errors),
        Field::new("date", "held_on", "Date held")
            .value(&t.held_on)
            .required()
            .errors(errors),
        Field::new("textarea", "actions", "Actions agreed")
            .value(&t.actions)
            .errors(errors),
    ];
    let mut notice = None;
    if let Some(w) = worker {
        let caseload = state
            .store
            .caseload(pcn, w.id, &CaseloadFilter::default())
            .await?;
        let shown: Vec<(i64, i64)> = caseload.iter().map(|r| (pcn, r.person_id)).collect();
        auth.audit_shown(
            state,
            "supervision.caseload",
            &shown,
            &format!(
                "caseload of user {} for supervision: {} people",
                w.id,
                caseload.len()
            ),
        )
        .await?;
        let mut seen = std::collections::HashSet::new();
        let opts: Vec<Opt> = caseload
            .iter()
            .filter(|r| seen.insert(r.person_id))
            .map(|r| Opt {
                value: r.person_id.to_string(),
                label: format!(
                    "{} {} ({})",
                    r.given_name,
                    r.family_name,
                    date(r.date_of_birth)
                ),
                selected: t.cases.contains(&r.person_id.to_string()),
            })
            .collect();
        if opts.is_empty() {
            notice = Some(format!("{} has no open cases to link.", w.name));
        } else {
            fields.push(
                Field::new("checkboxes", "cases", "Cases discussed")
                    .hint("Each link is recorded in the audit log against the person.")
                    .options(opts)
                    .errors(errors),
            );
        }
    }
    Ok(RecordForm {
        ctx: PageCtx::new(Some(auth), "Record a supervision session", "/supervision"),
        caption: "Supervision".into(),
        heading: "Record a supervision session".into(),
        intro: Vec::new(),
        action: "/supervision".into(),
        cancel: "/supervision".into(),
        version: None,
        hidden: Vec::new(),
        sections: vec![Section {
            folded: false,
            legend: "Session".into(),
            fields,
        }],
        errors: error_items(errors),
        notice,
        submit: "Save session".into(),
        warning: false,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_record_supervision(),
        "supervision.new",
    )
    .await?;
    let pcn = auth.pcn()?;
    let t = Typed {
        worker: q.worker.unwrap_or_default(),
        supervisor: auth.user.id.to_string(),
        kind: SupervisionKind::LineManagement.code().into(),
        held_on: directory::today().to_string(),
        actions: String::new(),
        cases: Vec::new(),
    };
    Ok(views::ok(
        &form_page(&state, &auth, pcn, &t, &FieldErrors::default()).await?,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_record_supervision(),
        "supervision.create",
    )
    .await?;
    let pcn = auth.pcn()?;
    let t = Typed {
        worker: form.get("worker").trim().into(),
        supervisor: form.get("supervisor").trim().into(),
        kind: form.get("kind").trim().into(),
        held_on: form.get("held_on").trim().into(),
        actions: form.get("actions").trim().into(),
        cases: form.all("cases"),
    };
    let mut errors = FieldErrors::default();
    let worker = t.worker.parse::<i64>().ok();
    if worker.is_none() {
        errors.add("worker", "Choose the link worker");
    }
    let supervisor = t.supervisor.parse::<i64>().ok();
    if supervisor.is_none() {
        errors.add("supervisor", "Choose the supervisor");
    }
    let kind = SupervisionKind::from_code(&t.kind);
    if kind.is_none() {
        errors.add("kind", "Choose the kind of supervision");
    }
    let held_on = domain::person::parse_date(&t.held_on).filter(|d| *d <= directory::today());
    if held_on.is_none() {
        errors.add(
            "held_on",
            "Enter the date it was held, like 2026-11-02, not in the future",
        );
    }
    if t.actions.chars().count() > 4000 {
        errors.add("actions", "Keep the actions to 4,000 characters");
    }
    let cases: Option<Vec<i64>> = t.cases.iter().map(|c| c.parse::<i64>().ok()).collect();
    if cases.is_none() {
        errors.add("cases", "Choose cases from the list");
    }
    if let (true, Some(w), Some(s), Some(k), Some(d), Some(c)) =
        (errors.is_empty(), worker, supervisor, kind, held_on, cases)
    {
        match state
            .store
            .create_supervision(
                pcn,
                &NewSupervision {
                    link_worker_id: w,
                    supervisor_id: s,
                    kind: k,
                    held_on: d,
                    actions: t.actions.clone(),
                    cases: c,
                },
                &auth.actor(),
            )
            .await
        {
            Ok(s) => {
                return Ok(see_other(&format!(
                    "/supervision/{}?done=supervision",
                    s.id
                )))
            }
            Err(StorageError::Rule(m)) => {
                let field = if m.contains("supervisor") {
                    "supervisor"
                } else if m.contains("case") {
                    "cases"
                } else {
                    "worker"
                };
                errors.add(field, m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(views::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &form_page(&state, &auth, pcn, &t, &errors).await?,
    ))
}

#[derive(Template)]
#[template(path = "supervision_show.html")]
struct ShowPage {
    ctx: PageCtx,
    held_on: String,
    worker: String,
    supervisor: String,
    kind: &'static str,
    actions: String,
    cases: Vec<(i64, String)>,
    may_open_people: bool,
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_view_supervision(),
        "supervision.show",
    )
    .await?;
    let pcn = auth.pcn()?;
    let Some((s, cases)) = state.store.get_supervision(pcn, id).await? else {
        return Err(auth.not_found(&state, "supervision", id).await);
    };
    if auth.user.role == Role::LinkWorker && s.link_worker_id != auth.user.id {
        return Err(auth.not_found(&state, "supervision", id).await);
    }
    for c in &cases {
        auth.audit_read(
            &state,
            "supervision.case_view",
            Some(c.person_id),
            format!("supervision session {id}"),
        )
        .await?;
    }
    Ok(views::ok(&ShowPage {
        ctx: PageCtx::new(Some(&auth), "Supervision session", "/supervision")
            .flash(flash(done.done.as_deref())),
        held_on: date(s.held_on),
        worker: s.link_worker_name,
        supervisor: s.supervisor_name,
        kind: s.kind.label(),
        actions: s.actions,
        cases: cases.into_iter().map(|c| (c.person_id, c.name)).collect(),
        may_open_people: auth.user.role.can_read_people(),
    }))
}
