//! Managers' reports, computed from the facts storage reads for a period and filters
//! (`storage::ReportFacts`). Pure functions: the same facts always give the same figures,
//! which is what the tests check against hand-computed values.
//!
//! Definitions (also shown on each report page):
//! - *Referrals in the period*: episodes whose referral was received in the period.
//! - *Waiting time*: referral received → first contact, in days; median and 90th
//!   percentile (nearest rank) over referrals in the period that have had a first contact.
//! - *Caseload*: episodes assigned to the link worker and not closed at the end of the
//!   period; *taken on*: episodes assigned in the 12 months up to the end of the period.
//! - *Contacts per episode*: attended contacts of episodes discharged in the period that
//!   the person had accepted.
//! - *Connections*: signposts and referrals made in the period; the *closed-loop rate*
//!   is the share of referrals (not cancelled) whose organisation reported an outcome
//!   (completed, failed or rejected).
//! - *Outcomes*: per episode, the earliest baseline and the latest later measure (review or
//!   discharge) of the instrument, where that later measure was recorded in the period;
//!   only episodes with both count.
//! - *Health service use*: episodes with both a "before" and an "after" count where the
//!   "after" count was recorded in the period.

mod care_homes;
mod caseloads;
mod coding;
mod connections;
pub mod export;
mod gaps;
mod health_use;
mod outcomes;
mod reach;
mod referrals;
pub mod table;

pub use table::{
    suppress_small_numbers, Cell, ChartSpec, Headline, Report, ReportKind, Table, SMALL_NUMBER,
};

use chrono::{DateTime, Utc};
use domain::{Category, Code, Need};
use std::collections::BTreeMap;
use storage::{EpisodeFact, FactNeeds, ReportFacts};

/// What the reports need to know about the community directory.
pub trait DirectoryView {
    /// The category a service is counted under (its first), if it is in the directory.
    fn primary_category(&self, service_id: &str) -> Option<Category>;
    /// Venues of active services that help with a need (see `Category::for_need`).
    fn venues_for_need(&self, need: Need) -> Vec<(f64, f64)>;
}

/// A practice as the reports show it.
#[derive(Debug, Clone)]
pub struct PracticeInfo {
    pub id: i64,
    pub name: String,
    pub list_size: Option<i64>,
}

/// Everything besides the facts that a report uses.
pub struct Context<'a> {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub practices: Vec<PracticeInfo>,
    /// Link workers (id, name) in the PCN.
    pub workers: Vec<(i64, String)>,
    /// How far counts as "nearby" for the gaps report, in metres.
    pub gap_distance_m: f64,
    pub directory: &'a dyn DirectoryView,
}

impl Context<'_> {
    fn in_period(&self, t: DateTime<Utc>) -> bool {
        t >= self.from && t < self.to
    }
}

// ---------------------------------------------------------------------------------------
// Statistics

/// The median, `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The p-th percentile by nearest rank (the smallest value with at least p% at or below it).
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v.get(rank.min(v.len()) - 1).copied()
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// `part` of `whole` as a percentage, `None` when `whole` is 0.
pub fn pct(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

fn days_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_seconds() as f64 / 86_400.0
}

fn label<T: Code>(code: &str) -> String {
    T::from_code(code).map_or_else(|| code.to_string(), |v| v.label().to_string())
}

fn count_rows<K: Ord>(
    counts: BTreeMap<K, usize>,
    total: usize,
    name: impl Fn(&K) -> String,
) -> Vec<Vec<Cell>> {
    counts
        .iter()
        .map(|(k, n)| {
            vec![
                Cell::Text(name(k)),
                Cell::Int(*n as i64),
                Cell::Pct(pct(*n, total)),
            ]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The reports

use care_homes::care_homes;
use caseloads::caseloads;
use coding::coding;
use connections::connections;
use gaps::gaps;
use health_use::health_use;
use outcomes::outcomes;
use reach::reach;
use referrals::referrals;

/// Builds one report.
pub fn build(kind: ReportKind, facts: &ReportFacts, ctx: &Context) -> Report {
    match kind {
        ReportKind::Referrals => referrals(facts, ctx),
        ReportKind::Caseloads => caseloads(facts, ctx),
        ReportKind::Connections => connections(facts, ctx),
        ReportKind::Outcomes => outcomes(facts, ctx),
        ReportKind::Reach => reach(facts, ctx),
        ReportKind::HealthUse => health_use(facts, ctx),
        ReportKind::Coding => coding(facts, ctx),
        ReportKind::Gaps => gaps(facts, ctx),
        ReportKind::CareHomes => care_homes(facts, ctx),
    }
}

/// The facts the reports use besides the episodes, for reading only those (`report_facts`).
pub fn needs(kinds: &[ReportKind]) -> FactNeeds {
    kinds.iter().fold(FactNeeds::default(), |all, kind| {
        all.and(match kind {
            ReportKind::Caseloads => FactNeeds {
                contacts: true,
                ..FactNeeds::default()
            },
            ReportKind::Connections => FactNeeds {
                connections: true,
                records: true,
                ..FactNeeds::default()
            },
            ReportKind::Outcomes | ReportKind::HealthUse => FactNeeds {
                records: true,
                ..FactNeeds::default()
            },
            ReportKind::Coding => FactNeeds {
                coding: true,
                ..FactNeeds::default()
            },
            ReportKind::CareHomes => FactNeeds {
                care_home: true,
                ..FactNeeds::default()
            },
            ReportKind::Referrals | ReportKind::Reach | ReportKind::Gaps => FactNeeds::default(),
        })
    })
}

fn referred_in_period<'f>(facts: &'f ReportFacts, ctx: &Context) -> Vec<&'f EpisodeFact> {
    facts
        .episodes
        .iter()
        .filter(|e| ctx.in_period(e.referred_at))
        .collect()
}

fn category_name(ctx: &Context, service_id: &str) -> String {
    ctx.directory.primary_category(service_id).map_or_else(
        || "Not in the directory".to_string(),
        |c| c.label().to_string(),
    )
}

#[cfg(test)]
mod tests;
