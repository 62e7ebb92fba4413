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
use chrono::{Duration, NaiveDate, Utc};
use domain::{Category, Code, Need, ReferralSource, Role};
use reports::{Cell, Context, DirectoryView, PracticeInfo, Report, ReportKind, Table};
use serde::Deserialize;
use storage::{ReportFacts, ReportScope};

mod dashboard;
mod practices;
mod show;
mod view;

pub use dashboard::*;
pub use practices::*;
pub use show::*;
pub(crate) use view::*;

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
    /// What "nearby" means in the gaps report, in miles.
    pub distance_miles: f64,
}

/// "Nearby" in the gaps report unless the manager chooses otherwise.
const DEFAULT_NEARBY_MILES: f64 = 3.0;

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
        let distance_miles = match q.distance.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_NEARBY_MILES,
            Some(s) => s
                .parse::<f64>()
                .ok()
                .filter(|d| (0.5..=30.0).contains(d))
                .ok_or_else(|| {
                    AppError::BadRequest("Enter a distance from 0.5 to 30 miles".into())
                })?,
        };
        Ok(Self {
            from,
            to,
            practice,
            worker,
            source,
            distance_miles,
        })
    }

    pub(crate) fn scope(&self) -> ReportScope {
        // Days are UK days: a month starts at midnight in London (BST or GMT).
        let start = domain::uk_time::start_of;
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
        if (self.distance_miles - DEFAULT_NEARBY_MILES).abs() > f64::EPSILON {
            q.append_pair("distance", &self.distance_miles.to_string());
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
        gap_distance_m: f.distance_miles * domain::directory::METRES_PER_MILE,
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
