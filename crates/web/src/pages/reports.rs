//! Managers' reports: the dashboard, one page per report with an SVG chart beside each
//! table, CSV and XLSX exports of every table, a printable page with every report, and
//! the practice list sizes that reach is measured against. Figures come from the
//! `reports` crate; this module reads the facts, checks the filters and renders.

use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::charts::bar_chart;
use crate::views::{self, date, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use domain::{Category, Code, Need, ReferralSource, Role};
use reports::{Cell, Context, DirectoryView, PracticeInfo, Report, ReportKind, Table};
use serde::Deserialize;
use storage::{ReportFacts, ReportScope};

/// The report filters as typed in the query string.
#[derive(Deserialize, Default, Clone)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub practice: Option<String>,
    pub worker: Option<String>,
    pub source: Option<String>,
    pub distance: Option<String>,
}

/// Checked filters.
#[derive(Debug, Clone)]
pub(crate) struct Filters {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub practice: Option<i64>,
    pub worker: Option<i64>,
    pub source: Option<ReferralSource>,
    pub distance_km: f64,
}

/// What the filters can choose from.
pub(crate) struct Choices {
    pub practices: Vec<PracticeInfo>,
    pub workers: Vec<(i64, String)>,
}

fn parse_day(s: Option<&str>, field: &str) -> Result<Option<NaiveDate>, AppError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => domain::person::parse_date(v)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(format!("Enter the {field} date like 2026-04-01"))),
    }
}

fn parse_id(
    s: Option<&str>,
    valid: impl Fn(i64) -> bool,
    what: &str,
) -> Result<Option<i64>, AppError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|id| valid(*id))
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(format!("Choose a {what} from the list"))),
    }
}

impl Filters {
    pub(crate) fn parse(q: &ReportQuery, c: &Choices, today: NaiveDate) -> Result<Self, AppError> {
        let to = parse_day(q.to.as_deref(), "end")?.unwrap_or(today);
        let from = parse_day(q.from.as_deref(), "start")?.unwrap_or_else(|| {
            to.checked_sub_months(chrono::Months::new(12))
                .map_or(to, |d| d + Duration::days(1))
        });
        if from > to {
            return Err(AppError::BadRequest(
                "The start date must be on or before the end date".into(),
            ));
        }
        if (to - from).num_days() > 366 * 10 {
            return Err(AppError::BadRequest(
                "Choose a period of ten years or less".into(),
            ));
        }
        let practice = parse_id(
            q.practice.as_deref(),
            |id| c.practices.iter().any(|p| p.id == id),
            "practice",
        )?;
        let worker = parse_id(
            q.worker.as_deref(),
            |id| c.workers.iter().any(|w| w.0 == id),
            "link worker",
        )?;
        let source = match q.source.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(ReferralSource::from_code(s).ok_or_else(|| {
                AppError::BadRequest("Choose a referral source from the list".into())
            })?),
        };
        let distance_km = match q.distance.as_deref().map(str::trim) {
            None | Some("") => 5.0,
            Some(s) => s
                .parse::<f64>()
                .ok()
                .filter(|d| (0.5..=50.0).contains(d))
                .ok_or_else(|| AppError::BadRequest("Enter a distance from 0.5 to 50 km".into()))?,
        };
        Ok(Self {
            from,
            to,
            practice,
            worker,
            source,
            distance_km,
        })
    }

    pub(crate) fn scope(&self) -> ReportScope {
        let start = |d: NaiveDate| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN));
        ReportScope {
            from: start(self.from),
            to: start(self.to + Duration::days(1)),
            practice: self.practice,
            link_worker: self.worker,
            source: self.source.map(|s| s.code().to_string()),
        }
    }

    /// The filters as a query string (for links and exports).
    pub(crate) fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("from", &self.from.to_string());
        q.append_pair("to", &self.to.to_string());
        if let Some(p) = self.practice {
            q.append_pair("practice", &p.to_string());
        }
        if let Some(w) = self.worker {
            q.append_pair("worker", &w.to_string());
        }
        if let Some(s) = self.source {
            q.append_pair("source", s.code());
        }
        if (self.distance_km - 5.0).abs() > f64::EPSILON {
            q.append_pair("distance", &self.distance_km.to_string());
        }
        q.finish()
    }

    /// The filters in words, for headings and exports.
    pub(crate) fn describe(&self, c: &Choices) -> String {
        let mut parts = vec![format!("{} to {}", date(self.from), date(self.to))];
        parts.push(
            self.practice
                .and_then(|id| c.practices.iter().find(|p| p.id == id))
                .map_or("all practices".into(), |p| p.name.clone()),
        );
        parts.push(
            self.worker
                .and_then(|id| c.workers.iter().find(|w| w.0 == id))
                .map_or("all link workers".into(), |w| w.1.clone()),
        );
        parts.push(self.source.map_or("all referral sources".into(), |s| {
            format!("referred by {}", s.label())
        }));
        parts.join(", ")
    }
}

pub(crate) async fn choices(state: &AppState, pcn: i64) -> Result<Choices, AppError> {
    let sizes = state.store.practice_list_sizes(pcn).await?;
    let practices = state
        .store
        .list_practices(pcn)
        .await?
        .into_iter()
        .map(|p| PracticeInfo {
            list_size: sizes.iter().find(|s| s.0 == p.id).and_then(|s| s.1),
            id: p.id,
            name: p.name,
        })
        .collect();
    let workers = state
        .store
        .list_users(Some(pcn))
        .await?
        .into_iter()
        .filter(|u| u.role == Role::LinkWorker)
        .map(|u| (u.id, u.name))
        .collect();
    Ok(Choices { practices, workers })
}

/// The directory as the reports see it: categories of services and venues per need.
struct Dir<'a>(&'a directory::SearchIndex);

impl DirectoryView for Dir<'_> {
    fn primary_category(&self, service_id: &str) -> Option<Category> {
        self.0.primary_category(service_id)
    }
    fn venues_for_need(&self, need: Need) -> Vec<(f64, f64)> {
        self.0.venues_in(Category::for_need(need))
    }
}

/// Reads the facts and builds the reports asked for.
pub(crate) async fn build(
    state: &AppState,
    pcn: i64,
    f: &Filters,
    c: &Choices,
    kinds: &[ReportKind],
) -> Result<Vec<Report>, AppError> {
    let facts: ReportFacts = state
        .store
        .report_facts(pcn, &f.scope(), reports::needs(kinds))
        .await?;
    let scope = f.scope();
    let dir = Dir(&state.directory.index);
    let ctx = Context {
        from: scope.from,
        to: scope.to,
        practices: c
            .practices
            .iter()
            .filter(|p| f.practice.is_none_or(|id| id == p.id))
            .cloned()
            .collect(),
        workers: c
            .workers
            .iter()
            .filter(|w| f.worker.is_none_or(|id| id == w.0))
            .cloned()
            .collect(),
        gap_distance_m: f.distance_km * 1000.0,
        directory: &dir,
    };
    Ok(kinds
        .iter()
        // Small numbers are withheld here, once, for every page, print and export.
        .map(|k| {
            reports::suppress_small_numbers(
                reports::build(*k, &facts, &ctx),
                state.config.small_number,
            )
        })
        .collect())
}

async fn require(state: &AppState, auth: &Auth, action: &str) -> Result<i64, AppError> {
    auth.require(state, auth.user.role.can_view_reports(), action)
        .await?;
    auth.pcn()
}

// ---------------------------------------------------------------------------------------
// Views

pub(crate) struct HeadlineView {
    pub label: String,
    pub value: String,
    pub detail: String,
}

pub(crate) struct TableView {
    pub id: String,
    pub title: String,
    pub note: String,
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    pub chart: Option<String>,
    pub csv: String,
}

pub(crate) struct ReportView {
    pub slug: &'static str,
    pub title: &'static str,
    pub question: &'static str,
    pub headlines: Vec<HeadlineView>,
    pub tables: Vec<TableView>,
}

fn headline_views(r: &Report) -> Vec<HeadlineView> {
    r.headlines
        .iter()
        .map(|h| HeadlineView {
            label: h.label.clone(),
            value: h.value.display(),
            detail: h.detail.clone(),
        })
        .collect()
}

/// A table as the page shows it (no chart), with its download link.
pub(crate) fn plain_table_view(t: &Table, id: String, csv: String) -> TableView {
    TableView {
        id,
        title: t.title.clone(),
        note: t.note.clone(),
        columns: t.columns.clone(),
        numeric: (0..t.columns.len())
            .map(|c| {
                t.rows
                    .iter()
                    .any(|r| r.get(c).is_some_and(Cell::is_numeric))
            })
            .collect(),
        rows: t
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::display).collect())
            .collect(),
        chart: None,
        csv,
    }
}

fn table_view(kind: ReportKind, t: &Table, query: &str) -> TableView {
    let chart = t.chart.as_ref().and_then(|spec| {
        let bars: Vec<(String, f64)> = t
            .rows
            .iter()
            .filter_map(|r| {
                let v = r.get(spec.value_column)?.number()?;
                Some((r.first()?.display(), v))
            })
            .collect();
        if bars.is_empty() {
            return None;
        }
        let column = t
            .columns
            .get(spec.value_column)
            .cloned()
            .unwrap_or_default();
        let unit = if column.ends_with("(%)") { "%" } else { "" };
        let desc = format!(
            "Bar chart of {}: {}. The same figures are in the table.",
            column.to_lowercase(),
            bars.iter()
                .take(8)
                .map(|(l, v)| format!("{l} {}{unit}", crate::charts::one_decimal(*v)))
                .collect::<Vec<_>>()
                .join("; ")
        );
        Some(bar_chart(
            &format!("{}-{}", kind.slug(), t.id),
            &format!("{} – {}", t.title, column),
            &desc,
            &bars,
            spec.max,
            unit,
        ))
    });
    TableView {
        chart,
        ..plain_table_view(
            t,
            format!("{}-{}", kind.slug(), t.id),
            format!("/reports/{}/{}.csv?{query}", kind.slug(), t.id),
        )
    }
}

pub(crate) fn report_view(r: &Report, query: &str) -> ReportView {
    ReportView {
        slug: r.kind.slug(),
        title: r.kind.title(),
        question: r.kind.question(),
        headlines: headline_views(r),
        tables: r
            .tables
            .iter()
            .map(|t| table_view(r.kind, t, query))
            .collect(),
    }
}

pub(crate) struct FilterForm {
    pub from: String,
    pub to: String,
    pub practices: Vec<Opt>,
    pub workers: Vec<Opt>,
    pub sources: Vec<Opt>,
    pub distance: String,
}

fn filter_form(f: &Filters, c: &Choices) -> FilterForm {
    let mut practices = vec![Opt {
        value: String::new(),
        label: "All practices".into(),
        selected: f.practice.is_none(),
    }];
    practices.extend(c.practices.iter().map(|p| Opt {
        value: p.id.to_string(),
        label: p.name.clone(),
        selected: f.practice == Some(p.id),
    }));
    let mut workers = vec![Opt {
        value: String::new(),
        label: "All link workers".into(),
        selected: f.worker.is_none(),
    }];
    workers.extend(c.workers.iter().map(|w| Opt {
        value: w.0.to_string(),
        label: w.1.clone(),
        selected: f.worker == Some(w.0),
    }));
    let mut sources = vec![Opt {
        value: String::new(),
        label: "All sources".into(),
        selected: f.source.is_none(),
    }];
    sources.extend(ReferralSource::ALL.iter().map(|s| Opt {
        value: s.code().into(),
        label: s.label().into(),
        selected: f.source == Some(*s),
    }));
    FilterForm {
        from: f.from.to_string(),
        to: f.to.to_string(),
        practices,
        workers,
        sources,
        distance: crate::charts::format_value(f.distance_km),
    }
}

// ---------------------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: PageCtx,
    report: ReportView,
    filters: FilterForm,
    action: String,
    scope: String,
    query: String,
    is_gaps: bool,
    others: Vec<(&'static str, &'static str)>,
}

fn other_reports(except: Option<ReportKind>) -> Vec<(&'static str, &'static str)> {
    ReportKind::ALL
        .iter()
        .filter(|k| Some(**k) != except)
        .map(|k| (k.slug(), k.title()))
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "report.view").await?;
    let kind = ReportKind::from_slug(&slug).ok_or(AppError::NotFound)?;
    let c = choices(&state, pcn).await?;
    let f = Filters::parse(&q, &c, directory::today())?;
    let report = build(&state, pcn, &f, &c, &[kind])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("report missing".into()))?;
    audit(&state, &auth, "report.view", kind.slug(), &f).await?;
    let query = f.query();
    Ok(views::ok(&ReportPage {
        ctx: PageCtx::new(Some(&auth), kind.title(), "/dashboard"),
        report: report_view(&report, &query),
        filters: filter_form(&f, &c),
        action: format!("/reports/{}", kind.slug()),
        scope: f.describe(&c),
        query,
        is_gaps: kind == ReportKind::Gaps,
        others: other_reports(Some(kind)),
    }))
}

async fn audit(
    state: &AppState,
    auth: &Auth,
    action: &str,
    what: &str,
    f: &Filters,
) -> Result<(), AppError> {
    let entry = storage::AuditEntry::new(&auth.actor(), action, "report", None, auth.user.pcn_id)
        .detail(format!("{what}: {}", f.query()));
    Ok(state.store.append_audit(&entry).await?)
}

/// `GET /reports/{kind}/{table}.csv` or `/reports/{kind}/report.xlsx`.
pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, file)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "report.export").await?;
    let kind = ReportKind::from_slug(&slug).ok_or(AppError::NotFound)?;
    let c = choices(&state, pcn).await?;
    let f = Filters::parse(&q, &c, directory::today())?;
    let report = build(&state, pcn, &f, &c, &[kind])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("report missing".into()))?;
    audit(
        &state,
        &auth,
        "report.export",
        &format!("{slug}/{file}"),
        &f,
    )
    .await?;
    let stem = format!("linkwork-{}-{}-to-{}", kind.slug(), f.from, f.to);
    if file == "report.xlsx" {
        let tables: Vec<&Table> = report.tables.iter().collect();
        let heading = format!("{} ({})", kind.title(), f.describe(&c));
        return xlsx_response(&tables, &heading, &stem);
    }
    let table_id = file.strip_suffix(".csv").ok_or(AppError::NotFound)?;
    let table = report
        .tables
        .into_iter()
        .find(|t| t.id == table_id)
        .ok_or(AppError::NotFound)?;
    Ok(csv_response(table, &format!("{stem}-{table_id}")))
}

/// A table as a streamed CSV download.
pub(crate) fn csv_response(table: Table, stem: &str) -> Response {
    let lines: Vec<Result<Bytes, std::convert::Infallible>> = reports::export::csv_lines(&table)
        .map(|l| Ok(Bytes::from(l)))
        .collect();
    let body = Body::from_stream(futures_util::stream::iter(lines));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn xlsx_response(
    tables: &[&Table],
    heading: &str,
    stem: &str,
) -> Result<Response, AppError> {
    let bytes = reports::export::xlsx(tables, heading)
        .map_err(|e| AppError::Internal(format!("spreadsheet: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "report_print.html")]
struct PrintPage {
    ctx: PageCtx,
    scope: String,
    generated: String,
    reports: Vec<ReportView>,
    back: String,
}

pub async fn print(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "report.print").await?;
    let c = choices(&state, pcn).await?;
    let f = Filters::parse(&q, &c, directory::today())?;
    let built = build(&state, pcn, &f, &c, ReportKind::ALL).await?;
    audit(&state, &auth, "report.print", "all", &f).await?;
    let query = f.query();
    Ok(views::ok(&PrintPage {
        ctx: PageCtx::new(Some(&auth), "Social prescribing report", "/dashboard"),
        scope: f.describe(&c),
        generated: crate::views::datetime(Utc::now()),
        reports: built.iter().map(|r| report_view(r, &query)).collect(),
        back: format!("/dashboard?{query}"),
    }))
}

// ---------------------------------------------------------------------------------------
// Dashboard

pub(crate) struct Alert {
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: PageCtx,
    filters: FilterForm,
    scope: String,
    query: String,
    sections: Vec<ReportView>,
    alerts: Vec<Alert>,
    workforce: bool,
}

pub async fn dashboard(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "report.dashboard").await?;
    let c = choices(&state, pcn).await?;
    let f = Filters::parse(&q, &c, directory::today())?;
    let built = build(&state, pcn, &f, &c, ReportKind::ALL).await?;
    audit(&state, &auth, "report.dashboard", "dashboard", &f).await?;
    let query = f.query();
    let mut alerts = Vec::new();
    if auth.user.role.can_manage_workforce() {
        alerts = super::workforce::alerts(&state, pcn).await?;
    }
    Ok(views::ok(&DashboardPage {
        ctx: PageCtx::new(Some(&auth), "Dashboard", "/dashboard"),
        filters: filter_form(&f, &c),
        scope: f.describe(&c),
        sections: built
            .iter()
            .map(|r| ReportView {
                tables: Vec::new(),
                ..report_view(r, &query)
            })
            .collect(),
        query,
        alerts,
        workforce: auth.user.role.can_manage_workforce(),
    }))
}

// ---------------------------------------------------------------------------------------
// Practice list sizes

#[derive(Template)]
#[template(path = "practices.html")]
struct PracticesPage {
    ctx: PageCtx,
    practices: Vec<(i64, String, String)>,
    error: Option<String>,
}

pub async fn practices(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_pcn_settings(),
        "practice.list_sizes",
    )
    .await?;
    let c = choices(&state, auth.pcn()?).await?;
    Ok(views::ok(&PracticesPage {
        ctx: PageCtx::new(Some(&auth), "Practice list sizes", "/dashboard")
            .flash(flash(done.done.as_deref())),
        practices: c
            .practices
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    p.name,
                    p.list_size.map(|l| l.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        error: None,
    }))
}

pub async fn save_practices(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_pcn_settings(),
        "practice.list_sizes",
    )
    .await?;
    let pcn = auth.pcn()?;
    let c = choices(&state, pcn).await?;
    // Check every value before saving any, so a bad one changes nothing.
    let mut changes = Vec::new();
    let mut bad = Vec::new();
    for p in &c.practices {
        let typed = form.get(&format!("size_{}", p.id)).trim().replace(',', "");
        let value = if typed.is_empty() {
            None
        } else {
            match typed.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Some(n),
                _ => {
                    bad.push(p.name.clone());
                    continue;
                }
            }
        };
        if value != p.list_size {
            changes.push((p.id, value));
        }
    }
    if !bad.is_empty() {
        return Ok(views::render(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &PracticesPage {
                ctx: PageCtx::new(Some(&auth), "Practice list sizes", "/dashboard"),
                practices: c
                    .practices
                    .iter()
                    .map(|p| {
                        (
                            p.id,
                            p.name.clone(),
                            form.get(&format!("size_{}", p.id)).to_string(),
                        )
                    })
                    .collect(),
                error: Some(format!(
                    "Enter each list size as a whole number from 1 to 1,000,000, or leave it blank. Check: {}",
                    bad.join(", ")
                )),
            },
        ));
    }
    for (id, value) in changes {
        state
            .store
            .set_practice_list_size(pcn, id, value, &auth.actor())
            .await?;
    }
    Ok(see_other("/reports/practices?done=list-sizes"))
}
