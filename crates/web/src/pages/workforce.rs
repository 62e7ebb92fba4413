//! Workforce for managers: link workers' employment records, the ARRS reimbursement claim
//! per month and year (with exports), and the maximum reimbursable amounts per financial
//! year that administrators keep. Also the alerts the dashboard shows (supervision
//! overdue, training not met, employment missing).

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
use chrono::{Datelike, NaiveDate};
use domain::workforce::{format_pounds, format_wte, month_claim, parse_pounds, Compliance};
use domain::{
    Code, EmployerKind, EmploymentDraft, FieldErrors, FinancialYear, MonthClaim, Role,
    SupervisionKind,
};
use reports::{Cell, Table};
use serde::Deserialize;
use storage::{ArrsCap, EmploymentRecord, StorageError};

async fn require(state: &AppState, auth: &Auth, action: &str) -> Result<i64, AppError> {
    auth.require(state, auth.user.role.can_manage_workforce(), action)
        .await?;
    auth.pcn()
}

async fn link_workers(state: &AppState, pcn: i64) -> Result<Vec<storage::User>, AppError> {
    Ok(state
        .store
        .list_users(Some(pcn))
        .await?
        .into_iter()
        .filter(|u| u.role == Role::LinkWorker)
        .collect())
}

// ---------------------------------------------------------------------------------------
// Employment records

struct EmploymentRow {
    id: i64,
    user_name: String,
    employer: String,
    kind: &'static str,
    wte: String,
    salary: String,
    oncosts: String,
    contribution: String,
    band: String,
    dates: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "workforce.html")]
struct WorkforcePage {
    ctx: PageCtx,
    rows: Vec<EmploymentRow>,
    missing: Vec<String>,
    fy: String,
}

fn is_current(e: &domain::Employment, today: NaiveDate) -> bool {
    e.start_date <= today && e.end_date.is_none_or(|d| d >= today)
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "workforce.list").await?;
    let today = directory::today();
    let records = state.store.employments(pcn).await?;
    let missing = link_workers(&state, pcn)
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .filter(|u| {
            !records
                .iter()
                .any(|r| r.user_id == u.id && is_current(&r.employment, today))
        })
        .map(|u| u.name)
        .collect();
    let rows = records
        .iter()
        .map(|r| {
            let e = &r.employment;
            EmploymentRow {
                id: r.id,
                user_name: r.user_name.clone(),
                employer: e.employer_name.clone(),
                kind: e.employer_kind.label(),
                wte: format_wte(e.wte_milli),
                salary: format_pounds(e.annual_salary_pence),
                oncosts: format_pounds(e.annual_oncosts_pence),
                contribution: if e.employer_kind == EmployerKind::Subcontracted {
                    format!("{} a month", format_pounds(e.subcontract_monthly_pence))
                } else {
                    "—".into()
                },
                band: e.afc_band.clone(),
                dates: format!(
                    "{} to {}",
                    date(e.start_date),
                    e.end_date.map_or("now".into(), date)
                ),
                current: is_current(e, today),
            }
        })
        .collect();
    Ok(views::ok(&WorkforcePage {
        ctx: PageCtx::new(Some(&auth), "Workforce", "/workforce")
            .flash(flash(done.done.as_deref())),
        rows,
        missing,
        fy: FinancialYear::of(today).0.to_string(),
    }))
}

fn employment_sections(
    d: &EmploymentDraft,
    workers: Option<(&[storage::User], &str)>,
    errors: &FieldErrors,
) -> Vec<Section> {
    let mut who = Vec::new();
    if let Some((ws, chosen)) = workers {
        let mut opts = vec![Opt {
            value: String::new(),
            label: "Choose a link worker".into(),
            selected: chosen.is_empty(),
        }];
        opts.extend(ws.iter().filter(|u| !u.disabled).map(|u| Opt {
            value: u.id.to_string(),
            label: u.name.clone(),
            selected: chosen == u.id.to_string(),
        }));
        who.push(
            Field::new("select", "user_id", "Link worker")
                .options(opts)
                .required()
                .errors(errors),
        );
    }
    who.push(
        Field::new("radios", "employer_kind", "Who employs them")
            .codes::<EmployerKind>(std::slice::from_ref(&d.employer_kind), None)
            .required()
            .errors(errors),
    );
    who.push(
        Field::new("text", "employer_name", "Employer's name")
            .value(&d.employer_name)
            .required()
            .errors(errors),
    );
    who.push(
        Field::new("text", "afc_band", "Agenda for Change band")
            .hint("Link workers are usually band 5.")
            .value(&d.afc_band)
            .width("10")
            .required()
            .errors(errors),
    );
    let pay = vec![
        Field::new("text", "wte", "Whole-time equivalent (WTE)")
            .hint("1 for full time; 0.6 for three days a week.")
            .value(&d.wte)
            .width("10")
            .required()
            .errors(errors),
        Field::new("text", "annual_salary", "Actual annual salary (£)")
            .hint("What is paid for these hours, not the full-time rate.")
            .value(&d.annual_salary)
            .width("10")
            .required()
            .errors(errors),
        Field::new("text", "annual_oncosts", "Employer on-costs a year (£)")
            .hint("Employer's National Insurance and pension contributions.")
            .value(&d.annual_oncosts)
            .width("10")
            .errors(errors),
        Field::new("text", "subcontract_monthly", "Sub-contracting contribution a month (£)")
            .hint("Only for a sub-contracted provider: up to £200 a month per WTE towards its extra costs, within the maximum.")
            .value(&d.subcontract_monthly)
            .width("10")
            .errors(errors),
    ];
    let dates = vec![
        Field::new("date", "start_date", "Start date")
            .value(&d.start_date)
            .required()
            .errors(errors),
        Field::new("date", "end_date", "End date")
            .hint("Leave blank while they are employed.")
            .value(&d.end_date)
            .errors(errors),
    ];
    vec![
        Section {
            legend: "Employment".into(),
            fields: who,
        },
        Section {
            legend: "Hours and pay".into(),
            fields: pay,
        },
        Section {
            legend: "Dates".into(),
            fields: dates,
        },
    ]
}

fn employment_form(
    auth: &Auth,
    heading: &str,
    action: String,
    version: Option<i64>,
    sections: Vec<Section>,
    errors: &FieldErrors,
) -> RecordForm {
    RecordForm {
        ctx: PageCtx::new(Some(auth), heading, "/workforce"),
        caption: "Workforce".into(),
        heading: heading.into(),
        intro: vec![
            "ARRS reimburses actual salary plus employer on-costs, up to the financial year's maximum for the WTE.".into(),
        ],
        action,
        cancel: "/workforce".into(),
        version,
        hidden: Vec::new(),
        sections,
        errors: error_items(errors),
        notice: Some("Salaries are confidential: only PCN managers see this page.".into()),
        submit: "Save employment".into(),
    }
}

fn draft(form: &crate::form::FormData) -> EmploymentDraft {
    EmploymentDraft {
        employer_kind: form.get("employer_kind").into(),
        employer_name: form.get("employer_name").into(),
        wte: form.get("wte").into(),
        annual_salary: form.get("annual_salary").into(),
        annual_oncosts: form.get("annual_oncosts").into(),
        subcontract_monthly: form.get("subcontract_monthly").into(),
        afc_band: form.get("afc_band").into(),
        start_date: form.get("start_date").into(),
        end_date: form.get("end_date").into(),
    }
}

fn money(p: i64) -> String {
    let s = format!("{}.{:02}", p / 100, p % 100);
    s.strip_suffix(".00").map(str::to_string).unwrap_or(s)
}

fn draft_of(e: &domain::Employment) -> EmploymentDraft {
    EmploymentDraft {
        employer_kind: e.employer_kind.code().into(),
        employer_name: e.employer_name.clone(),
        wte: format_wte(e.wte_milli),
        annual_salary: money(e.annual_salary_pence),
        annual_oncosts: money(e.annual_oncosts_pence),
        subcontract_monthly: if e.subcontract_monthly_pence > 0 {
            money(e.subcontract_monthly_pence)
        } else {
            String::new()
        },
        afc_band: e.afc_band.clone(),
        start_date: e.start_date.to_string(),
        end_date: e.end_date.map(|d| d.to_string()).unwrap_or_default(),
    }
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "workforce.new").await?;
    let workers = link_workers(&state, pcn).await?;
    let d = EmploymentDraft {
        employer_kind: "pcn".into(),
        afc_band: "5".into(),
        wte: "1".into(),
        ..Default::default()
    };
    let errors = FieldErrors::default();
    Ok(views::ok(&employment_form(
        &auth,
        "Add an employment record",
        "/workforce".into(),
        None,
        employment_sections(&d, Some((&workers, "")), &errors),
        &errors,
    )))
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let pcn = require(&state, &auth, "workforce.create").await?;
    let workers = link_workers(&state, pcn).await?;
    let d = draft(&form);
    let chosen = form.get("user_id").trim().to_string();
    let user = chosen
        .parse::<i64>()
        .ok()
        .filter(|id| workers.iter().any(|u| u.id == *id && !u.disabled));
    let mut errors = match d.validate() {
        Ok(e) if user.is_some() => {
            let user = user.unwrap_or_default();
            match state
                .store
                .create_employment(pcn, user, &e, &auth.actor())
                .await
            {
                Ok(_) => return Ok(see_other("/workforce?done=employment")),
                Err(StorageError::Rule(m)) => {
                    let mut f = FieldErrors::default();
                    f.add("user_id", m);
                    f
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(_) => FieldErrors::default(),
        Err(e) => e,
    };
    if user.is_none() {
        errors.0.insert(
            0,
            domain::FieldError {
                field: "user_id".into(),
                message: "Choose the link worker".into(),
            },
        );
    }
    Ok(views::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &employment_form(
            &auth,
            "Add an employment record",
            "/workforce".into(),
            None,
            employment_sections(&d, Some((&workers, &chosen)), &errors),
            &errors,
        ),
    ))
}

async fn employment_or_404(
    state: &AppState,
    auth: &Auth,
    pcn: i64,
    id: i64,
) -> Result<EmploymentRecord, AppError> {
    match state.store.get_employment(pcn, id).await? {
        Some(r) => Ok(r),
        None => Err(auth.not_found(state, "employment", id).await),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "workforce.edit").await?;
    let rec = employment_or_404(&state, &auth, pcn, id).await?;
    let errors = FieldErrors::default();
    let mut page = employment_form(
        &auth,
        "Change an employment record",
        format!("/workforce/{id}"),
        Some(rec.version),
        employment_sections(&draft_of(&rec.employment), None, &errors),
        &errors,
    );
    page.caption = rec.user_name;
    Ok(views::ok(&page))
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let pcn = require(&state, &auth, "workforce.update").await?;
    let rec = employment_or_404(&state, &auth, pcn, id).await?;
    let d = draft(&form);
    let version = form.i64("version")?;
    let errors = match d.validate() {
        Ok(e) => match state
            .store
            .update_employment(pcn, id, version, &e, &auth.actor())
            .await
        {
            Ok(_) => return Ok(see_other("/workforce?done=employment")),
            Err(StorageError::Stale) => {
                let mut f = FieldErrors::default();
                f.add(
                    "employer_name",
                    "Someone else changed this record while you were editing. Your changes are below: check them and save again.",
                );
                f
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    let current = state
        .store
        .get_employment(pcn, id)
        .await?
        .map_or(rec.version, |r| r.version);
    let mut page = employment_form(
        &auth,
        "Change an employment record",
        format!("/workforce/{id}"),
        Some(current),
        employment_sections(&d, None, &errors),
        &errors,
    );
    page.caption = rec.user_name;
    Ok(views::render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

// ---------------------------------------------------------------------------------------
// ARRS claims

#[derive(Deserialize, Default)]
pub struct ArrsQuery {
    pub year: Option<String>,
    pub month: Option<String>,
}

/// One month's claims for every employment in the PCN.
pub(crate) fn month_claims(
    records: &[EmploymentRecord],
    year: i32,
    month: u32,
    max: i64,
) -> Vec<(&EmploymentRecord, MonthClaim)> {
    records
        .iter()
        .filter_map(|r| month_claim(&r.employment, year, month, max).map(|c| (r, c)))
        .collect()
}

fn month_name(year: i32, month: u32) -> String {
    NaiveDate::from_ymd_opt(year, month, 1)
        .map_or_else(String::new, |d| d.format("%B %Y").to_string())
}

/// The year's claim, month by month, as a table.
pub(crate) fn year_table(records: &[EmploymentRecord], fy: FinancialYear, max: i64) -> Table {
    let mut t = Table::new(
        "arrs-year",
        &format!("ARRS claim {}, month by month", fy.label()),
        &[
            "Month",
            "Link workers",
            "WTE",
            "Salary and on-costs",
            "Sub-contracting contribution",
            "Maximum for the WTE",
            "Claim",
        ],
    )
    .note(format!(
        "Maximum reimbursable {} a year per WTE. Claims are pro rata by calendar day for part months.",
        format_pounds(max)
    ))
    .chart(6, None);
    let mut totals = [0i64; 4];
    for (y, m) in fy.months() {
        let claims = month_claims(records, y, m, max);
        let wte: i64 = claims.iter().map(|(r, _)| r.employment.wte_milli).sum();
        let people: std::collections::HashSet<i64> =
            claims.iter().map(|(r, _)| r.user_id).collect();
        let sum = |f: fn(&MonthClaim) -> i64| claims.iter().map(|(_, c)| f(c)).sum::<i64>();
        let row = [
            sum(|c| c.cost_pence),
            sum(|c| c.contribution_pence),
            sum(|c| c.cap_pence),
            sum(|c| c.claim_pence),
        ];
        for (t, v) in totals.iter_mut().zip(row) {
            *t += v;
        }
        t.row(vec![
            Cell::text(month_name(y, m)),
            Cell::Int(people.len() as i64),
            Cell::Num(Some(wte as f64 / 1000.0), 3),
            Cell::Money(row[0]),
            Cell::Money(row[1]),
            Cell::Money(row[2]),
            Cell::Money(row[3]),
        ]);
    }
    t.row(vec![
        Cell::text("Year total"),
        Cell::text(""),
        Cell::text(""),
        Cell::Money(totals[0]),
        Cell::Money(totals[1]),
        Cell::Money(totals[2]),
        Cell::Money(totals[3]),
    ]);
    t.chart = None;
    t
}

/// One month's claim per link worker, as a table.
pub(crate) fn month_table(records: &[EmploymentRecord], year: i32, month: u32, max: i64) -> Table {
    let mut t = Table::new(
        "arrs-month",
        &format!("ARRS claim for {}", month_name(year, month)),
        &[
            "Link worker",
            "Employer",
            "WTE",
            "Days employed",
            "Salary and on-costs",
            "Sub-contracting contribution",
            "Maximum for the WTE",
            "Claim",
            "Capped",
        ],
    )
    .note("Claim = salary and on-costs plus any sub-contracting contribution, never more than the maximum for the WTE and days employed.");
    let claims = month_claims(records, year, month, max);
    let total: i64 = claims.iter().map(|(_, c)| c.claim_pence).sum();
    for (r, c) in &claims {
        t.row(vec![
            Cell::text(&r.user_name),
            Cell::text(format!(
                "{} ({})",
                r.employment.employer_name,
                r.employment.employer_kind.label()
            )),
            Cell::Num(Some(r.employment.wte_milli as f64 / 1000.0), 3),
            Cell::text(format!("{} of {}", c.days_employed, c.days_in_month)),
            Cell::Money(c.cost_pence),
            Cell::Money(c.contribution_pence),
            Cell::Money(c.cap_pence),
            Cell::Money(c.claim_pence),
            Cell::text(if c.capped() { "Yes" } else { "No" }),
        ]);
    }
    t.row(vec![
        Cell::text("Total"),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::Money(total),
        Cell::text(""),
    ]);
    t
}

struct ArrsFilter {
    fy: FinancialYear,
    month: Option<(i32, u32)>,
}

fn arrs_filter(q: &ArrsQuery, today: NaiveDate) -> Result<ArrsFilter, AppError> {
    let month = match q.month.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(m) => {
            let d = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| AppError::BadRequest("Choose a month like 2026-10".into()))?;
            Some((d.year(), d.month()))
        }
    };
    let fy = match (q.year.as_deref().map(str::trim), month) {
        (Some(y), _) if !y.is_empty() => FinancialYear::parse(y)
            .ok_or_else(|| AppError::BadRequest("Choose a financial year like 2026/27".into()))?,
        (_, Some((y, m))) => FinancialYear::of(NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today)),
        _ => FinancialYear::of(today),
    };
    if let Some((y, m)) = month {
        if !fy.months().contains(&(y, m)) {
            return Err(AppError::BadRequest(format!(
                "That month is not in the financial year {}",
                fy.label()
            )));
        }
    }
    Ok(ArrsFilter { fy, month })
}

#[derive(Template)]
#[template(path = "arrs.html")]
struct ArrsPage {
    ctx: PageCtx,
    fy: String,
    fy_code: i32,
    years: Vec<Opt>,
    months: Vec<Opt>,
    max: Option<String>,
    max_note: String,
    year: Option<crate::pages::reports::TableView>,
    month: Option<crate::pages::reports::TableView>,
    query: String,
}

fn table_view(t: &Table, href: String) -> crate::pages::reports::TableView {
    crate::pages::reports::plain_table_view(t, t.id.to_string(), href)
}

pub async fn arrs(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ArrsQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "arrs.view").await?;
    let today = directory::today();
    let f = arrs_filter(&q, today)?;
    let caps = state.store.arrs_caps().await?;
    let cap = caps.iter().find(|c| c.fy_start == f.fy.0);
    let records = state.store.employments(pcn).await?;
    let query = match f.month {
        Some((y, m)) => format!("year={}&month={y}-{m:02}", f.fy.0),
        None => format!("year={}", f.fy.0),
    };
    let mut years: Vec<i32> = caps.iter().map(|c| c.fy_start).collect();
    years.push(FinancialYear::of(today).0);
    years.sort_unstable();
    years.dedup();
    let month_opts =
        f.fy.months()
            .into_iter()
            .map(|(y, m)| Opt {
                value: format!("{y}-{m:02}"),
                label: month_name(y, m),
                selected: f.month.unwrap_or((today.year(), today.month())) == (y, m),
            })
            .collect();
    Ok(views::ok(&ArrsPage {
        ctx: PageCtx::new(Some(&auth), "ARRS claims", "/workforce"),
        fy: f.fy.label(),
        fy_code: f.fy.0,
        years: years
            .into_iter()
            .map(|y| Opt {
                value: y.to_string(),
                label: FinancialYear(y).label(),
                selected: y == f.fy.0,
            })
            .collect(),
        months: month_opts,
        max: cap.map(|c| format_pounds(c.max_pence)),
        max_note: cap.map(|c| c.note.clone()).unwrap_or_default(),
        year: cap.map(|c| {
            table_view(
                &year_table(&records, f.fy, c.max_pence),
                format!("/workforce/arrs/arrs-year.csv?{query}"),
            )
        }),
        month: match (cap, f.month) {
            (Some(c), Some((y, m))) => Some(table_view(
                &month_table(&records, y, m, c.max_pence),
                format!("/workforce/arrs/arrs-month.csv?{query}"),
            )),
            _ => None,
        },
        query,
    }))
}

/// `GET /workforce/arrs/{arrs-year|arrs-month}.csv` or `/workforce/arrs/claim.xlsx`.
pub async fn arrs_export(
    State(state): State<AppState>,
    auth: Auth,
    Path(file): Path<String>,
    Query(q): Query<ArrsQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "arrs.export").await?;
    let f = arrs_filter(&q, directory::today())?;
    let caps = state.store.arrs_caps().await?;
    let cap = caps.iter().find(|c| c.fy_start == f.fy.0).ok_or_else(|| {
        AppError::Conflict(format!(
            "No maximum reimbursable amount is recorded for {}. An administrator can add it.",
            f.fy.label()
        ))
    })?;
    let records = state.store.employments(pcn).await?;
    let entry = storage::AuditEntry::new(&auth.actor(), "arrs.export", "arrs", None, Some(pcn))
        .detail(format!("{file} {}", f.fy.label()));
    state.store.append_audit(&entry).await?;
    let year = year_table(&records, f.fy, cap.max_pence);
    let month = f
        .month
        .map(|(y, m)| month_table(&records, y, m, cap.max_pence));
    let stem = format!("linkwork-arrs-{}", f.fy.0);
    match file.as_str() {
        "arrs-year.csv" => Ok(super::reports::csv_response(year, &stem)),
        "arrs-month.csv" => {
            let (y, m) = f
                .month
                .ok_or_else(|| AppError::BadRequest("Choose a month".into()))?;
            Ok(super::reports::csv_response(
                month.unwrap_or_else(|| month_table(&records, y, m, cap.max_pence)),
                &format!("linkwork-arrs-{y}-{m:02}"),
            ))
        }
        "claim.xlsx" => {
            let mut tables = vec![&year];
            if let Some(m) = &month {
                tables.push(m);
            }
            super::reports::xlsx_response(&tables, &format!("ARRS claim {}", f.fy.label()), &stem)
        }
        _ => Err(AppError::NotFound),
    }
}

// ---------------------------------------------------------------------------------------
// Maximum reimbursable amounts (admins)

#[derive(Template)]
#[template(path = "admin_arrs.html")]
struct CapsPage {
    ctx: PageCtx,
    caps: Vec<(String, String, String)>,
    error: Option<String>,
    year: String,
    amount: String,
    note: String,
}

async fn caps_page(
    state: &AppState,
    auth: &Auth,
    error: Option<String>,
    typed: (String, String, String),
    done: Option<&str>,
) -> Result<CapsPage, AppError> {
    Ok(CapsPage {
        ctx: PageCtx::new(Some(auth), "ARRS maximum amounts", "/admin/arrs").flash(flash(done)),
        caps: state
            .store
            .arrs_caps()
            .await?
            .into_iter()
            .map(|c: ArrsCap| {
                (
                    FinancialYear(c.fy_start).label(),
                    format_pounds(c.max_pence),
                    c.note,
                )
            })
            .collect(),
        error,
        year: typed.0,
        amount: typed.1,
        note: typed.2,
    })
}

pub async fn caps(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_operate(), "arrs.caps")
        .await?;
    Ok(views::ok(
        &caps_page(
            &state,
            &auth,
            None,
            Default::default(),
            done.done.as_deref(),
        )
        .await?,
    ))
}

pub async fn save_cap(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_operate(), "arrs.caps")
        .await?;
    let typed = (
        form.get("year").trim().to_string(),
        form.get("amount").trim().to_string(),
        form.get("note").trim().to_string(),
    );
    let fy = FinancialYear::parse(&typed.0);
    // £1,000 to £1,000,000, in pence.
    let amount = parse_pounds(&typed.1).filter(|p| (100_000..=100_000_000).contains(p));
    let problem = match (fy, amount) {
        (None, _) => Some("Enter the financial year like 2026/27"),
        (_, None) => Some("Enter the maximum a year for one WTE in pounds, like 38,000"),
        _ if typed.2.chars().count() > 200 => Some("Keep the note to 200 characters"),
        _ => None,
    };
    if let (None, Some(fy), Some(amount)) = (problem, fy, amount) {
        state
            .store
            .save_arrs_cap(
                &ArrsCap {
                    fy_start: fy.0,
                    max_pence: amount,
                    note: typed.2,
                },
                &auth.actor(),
            )
            .await?;
        return Ok(see_other("/admin/arrs?done=arrs-cap"));
    }
    Ok(views::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &caps_page(&state, &auth, problem.map(String::from), typed, None).await?,
    ))
}

// ---------------------------------------------------------------------------------------
// Dashboard alerts

pub(crate) async fn alerts(
    state: &AppState,
    pcn: i64,
) -> Result<Vec<crate::pages::reports::Alert>, AppError> {
    use crate::pages::reports::Alert;
    let today = directory::today();
    let mut out = Vec::new();
    let workers: Vec<storage::User> = link_workers(state, pcn)
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .collect();
    let sessions = state.store.supervision_sessions(pcn, None).await?;
    let interval = state.config.supervision_interval_days;
    for w in &workers {
        for kind in SupervisionKind::ALL {
            let last = sessions
                .iter()
                .filter(|s| s.link_worker_id == w.id && s.kind == *kind)
                .map(|s| s.held_on)
                .max();
            let text = match last {
                None => format!("{}: no {} recorded", w.name, kind.label().to_lowercase()),
                Some(d) if (today - d).num_days() > interval => format!(
                    "{}: {} overdue (last on {})",
                    w.name,
                    kind.label().to_lowercase(),
                    date(d)
                ),
                _ => continue,
            };
            out.push(Alert {
                href: format!("/supervision?worker={}", w.id),
                text,
            });
        }
    }
    let reqs = state.store.training_requirements(pcn).await?;
    let records = state.store.training_records(pcn, None).await?;
    let mut unmet = 0;
    for w in &workers {
        for r in reqs.iter().filter(|r| r.active) {
            let latest = records
                .iter()
                .filter(|x| x.user_id == w.id && x.requirement_id == r.id)
                .map(|x| x.completed_on)
                .max();
            if !matches!(
                domain::workforce::compliance(latest, r.renew_months, today),
                Compliance::Done { .. }
            ) {
                unmet += 1;
            }
        }
    }
    if unmet > 0 {
        out.push(Alert {
            href: "/training".into(),
            text: format!("{unmet} required training items not met or expired"),
        });
    }
    let employments = state.store.employments(pcn).await?;
    for w in &workers {
        if !employments
            .iter()
            .any(|r| r.user_id == w.id && is_current(&r.employment, today))
        {
            out.push(Alert {
                href: "/workforce".into(),
                text: format!("{}: no current employment record for ARRS", w.name),
            });
        }
    }
    let fy = FinancialYear::of(today);
    match state
        .store
        .arrs_caps()
        .await?
        .iter()
        .find(|c| c.fy_start == fy.0)
    {
        None => out.push(Alert {
            href: "/workforce/arrs".into(),
            text: format!(
                "No ARRS maximum recorded for {}: claims cannot be worked out until an administrator adds it",
                fy.label()
            ),
        }),
        Some(cap) => {
            let (y, m) = (today.year(), today.month());
            let total: i64 = month_claims(&employments, y, m, cap.max_pence)
                .iter()
                .map(|(_, c)| c.claim_pence)
                .sum();
            out.push(Alert {
                href: format!("/workforce/arrs?year={}&month={y}-{m:02}", fy.0),
                text: format!(
                    "ARRS claim for {}: {}",
                    month_name(y, m),
                    format_pounds(total)
                ),
            });
        }
    }
    Ok(out)
}
