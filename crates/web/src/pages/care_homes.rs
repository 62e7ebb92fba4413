//! Care home tasks: a simple log of requests a link worker handles as first port of call
//! for care homes (prescription requests, visit requests, post-discharge coordination),
//! with their status. Counted in the care homes report. Holds no one's record: the
//! details say what was asked, and the form asks for no identifiable details.

use super::{flash, see_other};
use crate::auth::Auth;
use crate::views::{self, date, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use domain::{CareHomeTaskKind, CareHomeTaskStatus, Code, Role};
use serde::Deserialize;
use storage::{NewCareHomeTask, StorageError};

#[derive(Deserialize, Default)]
pub struct TasksQuery {
    pub done: Option<String>,
}

struct Row {
    id: i64,
    version: i64,
    care_home: String,
    kind: &'static str,
    requested: String,
    worker: String,
    details: String,
    status: &'static str,
    open: bool,
    completed: String,
}

#[derive(Template)]
#[template(path = "care_homes.html")]
struct Page {
    ctx: PageCtx,
    rows: Vec<Row>,
    kinds: Vec<Opt>,
    workers: Vec<Opt>,
    manager: bool,
    error: Option<String>,
    typed: [String; 4],
}

async fn page(
    state: &AppState,
    auth: &Auth,
    error: Option<String>,
    typed: [String; 4],
    done: Option<&str>,
) -> Result<Page, AppError> {
    let pcn = auth.pcn()?;
    let today = directory::today();
    let tasks = state
        .store
        .care_home_tasks(pcn, today - Duration::days(180), today)
        .await?;
    let manager = auth.user.role == Role::Manager;
    let workers = state
        .store
        .list_users(Some(pcn))
        .await?
        .into_iter()
        .filter(|u| u.role == Role::LinkWorker && !u.disabled)
        .map(|u| Opt {
            selected: typed[3] == u.id.to_string(),
            value: u.id.to_string(),
            label: u.name,
        })
        .collect();
    Ok(Page {
        ctx: PageCtx::new(Some(auth), "Care home tasks", "/care-homes").flash(flash(done)),
        rows: tasks
            .into_iter()
            .map(|t| Row {
                id: t.id,
                version: t.version,
                care_home: t.care_home,
                kind: t.kind.label(),
                requested: date(t.requested_on),
                worker: t.link_worker_name.unwrap_or_else(|| "—".into()),
                details: t.details,
                status: t.status.label(),
                open: t.status == CareHomeTaskStatus::Open,
                completed: t.completed_on.map(date).unwrap_or_default(),
            })
            .collect(),
        kinds: CareHomeTaskKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.code().into(),
                label: k.label().into(),
                selected: typed[1] == k.code(),
            })
            .collect(),
        workers,
        manager,
        error,
        typed,
    })
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<TasksQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_work_care_homes(),
        "care_home.list",
    )
    .await?;
    let typed = [
        String::new(),
        String::new(),
        directory::today().to_string(),
        String::new(),
    ];
    Ok(views::ok(
        &page(&state, &auth, None, typed, q.done.as_deref()).await?,
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
        auth.user.role.can_work_care_homes(),
        "care_home.create",
    )
    .await?;
    let pcn = auth.pcn()?;
    let typed = [
        form.get("care_home").trim().to_string(),
        form.get("kind").trim().to_string(),
        form.get("requested_on").trim().to_string(),
        form.get("link_worker").trim().to_string(),
    ];
    let details = form.get("details").trim().to_string();
    let kind = CareHomeTaskKind::from_code(&typed[1]);
    let on = domain::person::parse_date(&typed[2]).filter(|d| *d <= directory::today());
    let worker = if auth.user.role == Role::LinkWorker {
        Ok(Some(auth.user.id))
    } else if typed[3].is_empty() {
        Ok(None)
    } else {
        typed[3].parse::<i64>().map(Some).map_err(|_| ())
    };
    let problem = if typed[0].is_empty() || typed[0].chars().count() > 200 {
        Some("Enter the care home's name (up to 200 characters)".to_string())
    } else if kind.is_none() {
        Some("Choose what the care home asked for".into())
    } else if on.is_none() {
        Some("Enter the date of the request, like 2026-11-02, not in the future".into())
    } else if worker.is_err() {
        Some("Choose the link worker from the list".into())
    } else if details.chars().count() > 2000 {
        Some("Keep the details to 2,000 characters".into())
    } else {
        None
    };
    let problem = match (problem, kind, on, worker) {
        (None, Some(kind), Some(on), Ok(link_worker_id)) => match state
            .store
            .create_care_home_task(
                pcn,
                &NewCareHomeTask {
                    care_home: typed[0].clone(),
                    kind,
                    requested_on: on,
                    link_worker_id,
                    details,
                },
                &auth.actor(),
            )
            .await
        {
            Ok(_) => return Ok(see_other("/care-homes?done=care-home-task")),
            Err(StorageError::Rule(m)) => Some(m),
            Err(e) => return Err(e.into()),
        },
        (p, ..) => p,
    };
    Ok(views::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(&state, &auth, problem, typed, None).await?,
    ))
}

pub async fn status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_work_care_homes(),
        "care_home.status",
    )
    .await?;
    let status = CareHomeTaskStatus::from_code(form.get("status"))
        .ok_or_else(|| AppError::BadRequest("Choose done, cancelled or open".into()))?;
    match state
        .store
        .set_care_home_task_status(
            auth.pcn()?,
            id,
            form.i64("version")?,
            status,
            directory::today(),
            &auth.actor(),
        )
        .await
    {
        Ok(_) => Ok(see_other("/care-homes?done=care-home-status")),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "care_home_task", id).await),
        Err(e) => Err(e.into()),
    }
}
