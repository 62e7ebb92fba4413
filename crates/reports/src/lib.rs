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

pub mod export;
pub mod table;

pub use table::{
    suppress_small_numbers, Cell, ChartSpec, Headline, Report, ReportKind, Table, SMALL_NUMBER,
};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::{
    CareHomeTaskKind, CareHomeTaskStatus, CarerStatus, Category, Code, ConnectionReason,
    ConnectionStatus, ContactType, Ethnicity, HealthPeriod, HealthUse, Instrument, Measure,
    MeasurePoint, Need, ReferralSource, Sex,
};
use std::collections::{BTreeMap, HashMap, HashSet};
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

fn referrals(facts: &ReportFacts, ctx: &Context) -> Report {
    let eps = referred_in_period(facts, ctx);
    let n = eps.len();
    let mut by_source: BTreeMap<usize, usize> = BTreeMap::new();
    for e in &eps {
        let i = ReferralSource::ALL
            .iter()
            .position(|s| s.code() == e.source)
            .unwrap_or(usize::MAX);
        *by_source.entry(i).or_default() += 1;
    }
    let mut sources = Table::new(
        "by-source",
        "Referrals by source",
        &["Source", "Referrals", "Share of referrals (%)"],
    )
    .note("Referrals received in the period, by who referred.")
    .chart(1, None);
    sources.rows = count_rows(by_source, n, |i| {
        ReferralSource::ALL
            .get(*i)
            .map_or("Other".to_string(), |s| s.label().to_string())
    });

    let mut needs_count: BTreeMap<usize, usize> = BTreeMap::new();
    for e in &eps {
        for code in e.needs.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if let Some(i) = Need::ALL.iter().position(|x| x.code() == code) {
                *needs_count.entry(i).or_default() += 1;
            }
        }
    }
    let mut needs = Table::new(
        "by-need",
        "Referrals by need",
        &["Need", "Referrals", "Share of referrals (%)"],
    )
    .note("A referral can flag several needs, so shares add up to more than 100%.")
    .chart(1, None);
    needs.rows = count_rows(needs_count, n, |i| Need::ALL[*i].label().to_string());

    let waits: Vec<f64> = eps
        .iter()
        .filter_map(|e| e.first_contact_at.map(|f| days_between(e.referred_at, f)))
        .collect();
    let mut waiting = Table::new("waiting", "Waiting time, referral to first contact", &["Figure", "Days", "Referrals counted"])
        .note("Referrals in the period that have had a first contact; the 90th percentile is by nearest rank.");
    let med = median(&waits);
    let p90 = percentile(&waits, 90.0);
    waiting.row(vec![
        Cell::text("Median"),
        Cell::Num(med, 1),
        Cell::Int(waits.len() as i64),
    ]);
    waiting.row(vec![
        Cell::text("90th percentile"),
        Cell::Num(p90, 1),
        Cell::Int(waits.len() as i64),
    ]);

    let accepted = eps.iter().filter(|e| e.accepted_at.is_some()).count();
    let declined = eps.iter().filter(|e| e.state == "declined").count();
    let unable = eps
        .iter()
        .filter(|e| e.state == "unable_to_contact")
        .count();
    let waiting_decision = eps
        .iter()
        .filter(|e| {
            e.accepted_at.is_none() && matches!(e.state.as_str(), "referred" | "contacting")
        })
        .count();
    let closed_before = n - accepted - declined - unable - waiting_decision;
    let mut decisions = Table::new(
        "decisions",
        "What people decided",
        &["Outcome", "Referrals", "Rate (%)"],
    )
    .note("Every referral in the period, by the person's decision so far.")
    .chart(2, Some(100.0));
    for (l, c) in [
        ("Accepted", accepted),
        ("Declined", declined),
        ("Unable to contact", unable),
        ("Closed before a decision", closed_before),
        ("Waiting for a decision", waiting_decision),
    ] {
        decisions.row(vec![
            Cell::text(l),
            Cell::Int(c as i64),
            Cell::Pct(pct(c, n)),
        ]);
    }
    Report {
        kind: ReportKind::Referrals,
        headlines: vec![
            Headline {
                label: "Referrals received".into(),
                value: Cell::Int(n as i64),
                detail: "in the period".into(),
            },
            Headline {
                label: "Median wait to first contact".into(),
                value: Cell::Num(med, 1),
                detail: format!("days, over {} referrals", waits.len()),
            },
            Headline {
                label: "90th percentile wait".into(),
                value: Cell::Num(p90, 1),
                detail: "days".into(),
            },
            Headline {
                label: "Accepted".into(),
                value: Cell::Pct(pct(accepted, n)),
                detail: format!("{accepted} of {n} referrals"),
            },
        ],
        tables: vec![sources, needs, waiting, decisions],
    }
}

fn caseloads(facts: &ReportFacts, ctx: &Context) -> Report {
    let year_start = ctx.to - chrono::Duration::days(365);
    let open_at_end = |e: &EpisodeFact| {
        e.assigned_at.is_some_and(|a| a < ctx.to) && e.closed_at.is_none_or(|c| c >= ctx.to)
    };
    let closed_in_period = |e: &EpisodeFact| {
        e.state == "discharged"
            && e.accepted_at.is_some()
            && e.closed_at.is_some_and(|c| ctx.in_period(c))
    };
    let mut table = Table::new(
        "per-worker",
        "Caseload per link worker",
        &[
            "Link worker",
            "Caseload at end of period",
            "Taken on in 12 months",
            "Against 200–250 a year",
            "Episodes discharged in period",
            "Mean contacts per discharged episode",
            "Discharged with 6–12 contacts (%)",
        ],
    )
    .note("Caseload: episodes assigned and not closed at the end of the period. Taken on: assigned in the 12 months to the end of the period. Contacts: attended contacts.")
    .chart(2, Some(250.0));
    let mut all_contacts = Vec::new();
    let mut total_open = 0usize;
    let mut in_range_all = 0usize;
    for (id, name) in &ctx.workers {
        let mine: Vec<&EpisodeFact> = facts
            .episodes
            .iter()
            .filter(|e| e.link_worker_id == Some(*id))
            .collect();
        let open = mine.iter().filter(|e| open_at_end(e)).count();
        let taken = mine
            .iter()
            .filter(|e| e.assigned_at.is_some_and(|a| a >= year_start && a < ctx.to))
            .count();
        let closed: Vec<f64> = mine
            .iter()
            .filter(|e| closed_in_period(e))
            .map(|e| e.contacts_attended as f64)
            .collect();
        let in_range = closed.iter().filter(|c| (6.0..=12.0).contains(*c)).count();
        in_range_all += in_range;
        total_open += open;
        let band = match taken {
            t if t < 200 => "Below",
            t if t <= 250 => "Within",
            _ => "Above",
        };
        table.row(vec![
            Cell::text(name),
            Cell::Int(open as i64),
            Cell::Int(taken as i64),
            Cell::text(band),
            Cell::Int(closed.len() as i64),
            Cell::Num(mean(&closed), 1),
            Cell::Pct(pct(in_range, closed.len())),
        ]);
        all_contacts.extend(closed);
    }
    let mut types: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for c in &facts.contacts {
        let i = ContactType::ALL
            .iter()
            .position(|t| t.code() == c.contact_type)
            .unwrap_or(usize::MAX);
        let entry = types.entry(i).or_default();
        let n = usize::try_from(c.count).unwrap_or(0);
        if c.did_not_attend {
            entry.1 += n;
        } else {
            entry.0 += n;
        }
    }
    let mut contact_types = Table::new(
        "contact-types",
        "Contacts by type",
        &["Contact type", "Attended", "Did not attend"],
    )
    .note("Contacts held in the period.")
    .chart(1, None);
    for (i, (att, dna)) in types {
        contact_types.row(vec![
            Cell::text(ContactType::ALL.get(i).map_or("Other", |t| t.label())),
            Cell::Int(att as i64),
            Cell::Int(dna as i64),
        ]);
    }
    Report {
        kind: ReportKind::Caseloads,
        headlines: vec![
            Headline {
                label: "People on caseloads".into(),
                value: Cell::Int(total_open as i64),
                detail: format!("across {} link workers", ctx.workers.len()),
            },
            Headline {
                label: "Mean contacts per discharged episode".into(),
                value: Cell::Num(mean(&all_contacts), 1),
                detail: format!("over {} episodes (6–12 expected)", all_contacts.len()),
            },
            Headline {
                label: "Discharged with 6–12 contacts".into(),
                value: Cell::Pct(pct(in_range_all, all_contacts.len())),
                detail: format!("{in_range_all} of {}", all_contacts.len()),
            },
        ],
        tables: vec![table, contact_types],
    }
}

fn category_name(ctx: &Context, service_id: &str) -> String {
    ctx.directory.primary_category(service_id).map_or_else(
        || "Not in the directory".to_string(),
        |c| c.label().to_string(),
    )
}

fn connections(facts: &ReportFacts, ctx: &Context) -> Report {
    let mut by_cat: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in &facts.connections {
        let e = by_cat.entry(category_name(ctx, &c.service_id)).or_default();
        if c.kind == "referral" {
            e.1 += 1;
        } else {
            e.0 += 1;
        }
    }
    let mut cats = Table::new(
        "by-category",
        "Signposts and referrals by category",
        &["Category", "Signposts", "Referrals"],
    )
    .note("Connections made in the period, by the service's first category.")
    .chart(2, None);
    for (k, (s, r)) in &by_cat {
        cats.row(vec![
            Cell::text(k),
            Cell::Int(*s as i64),
            Cell::Int(*r as i64),
        ]);
    }
    let refs: Vec<_> = facts
        .connections
        .iter()
        .filter(|c| c.kind == "referral")
        .collect();
    let n = refs.len();
    let mut status_count: BTreeMap<usize, usize> = BTreeMap::new();
    for c in &refs {
        let i = ConnectionStatus::ALL
            .iter()
            .position(|s| s.code() == c.status)
            .unwrap_or(usize::MAX);
        *status_count.entry(i).or_default() += 1;
    }
    let mut statuses = Table::new(
        "referral-status",
        "Referrals by status now",
        &["Status", "Referrals", "Share (%)"],
    )
    .note("Referrals (not signposts) made in the period, by where each stands now.")
    .chart(2, Some(100.0));
    statuses.rows = count_rows(status_count, n, |i| {
        ConnectionStatus::ALL
            .get(*i)
            .map_or("Other".to_string(), |s| s.label().to_string())
    });
    let is = |c: &&storage::ConnectionFact, s: &[&str]| s.contains(&c.status.as_str());
    let not_cancelled = refs.iter().filter(|c| !is(c, &["cancelled"])).count();
    let reported = refs
        .iter()
        .filter(|c| is(c, &["completed", "failed", "rejected"]))
        .count();
    let answered: Vec<_> = refs.iter().filter(|c| c.answered_at.is_some()).collect();
    let accepted_ever = refs
        .iter()
        .filter(|c| {
            is(
                c,
                &["accepted", "in_progress", "on_hold", "completed", "failed"],
            )
        })
        .count();
    let rejected = refs.iter().filter(|c| is(c, &["rejected"])).count();
    let completed = refs.iter().filter(|c| is(c, &["completed"])).count();
    let response_days: Vec<f64> = answered
        .iter()
        .filter_map(|c| c.answered_at.map(|a| days_between(c.created_at, a)))
        .collect();
    let mut rates = Table::new("loop", "Closing the loop", &["Figure", "Referrals", "Rate (%)"])
        .note("Closed-loop rate: referrals (not cancelled) whose organisation reported an outcome: completed, failed or rejected.");
    rates.row(vec![
        Cell::text("Referrals made (not cancelled)"),
        Cell::Int(not_cancelled as i64),
        Cell::Pct(None),
    ]);
    rates.row(vec![
        Cell::text("Answered by the organisation"),
        Cell::Int(answered.len() as i64),
        Cell::Pct(pct(answered.len(), not_cancelled)),
    ]);
    rates.row(vec![
        Cell::text("Accepted"),
        Cell::Int(accepted_ever as i64),
        Cell::Pct(pct(accepted_ever, not_cancelled)),
    ]);
    rates.row(vec![
        Cell::text("Rejected"),
        Cell::Int(rejected as i64),
        Cell::Pct(pct(rejected, not_cancelled)),
    ]);
    rates.row(vec![
        Cell::text("Completed"),
        Cell::Int(completed as i64),
        Cell::Pct(pct(completed, not_cancelled)),
    ]);
    rates.row(vec![
        Cell::text("Outcome reported (closed loop)"),
        Cell::Int(reported as i64),
        Cell::Pct(pct(reported, not_cancelled)),
    ]);
    let mut response = Table::new(
        "response",
        "Partner response times",
        &["Figure", "Days", "Referrals counted"],
    )
    .note("Days from the referral to the organisation's first answer.");
    response.row(vec![
        Cell::text("Median"),
        Cell::Num(median(&response_days), 1),
        Cell::Int(response_days.len() as i64),
    ]);
    response.row(vec![
        Cell::text("90th percentile"),
        Cell::Num(percentile(&response_days, 90.0), 1),
        Cell::Int(response_days.len() as i64),
    ]);
    let mut reasons: BTreeMap<usize, usize> = BTreeMap::new();
    for c in refs.iter().filter(|c| is(c, &["rejected"])) {
        let i = c
            .reason
            .as_deref()
            .and_then(|r| ConnectionReason::ALL.iter().position(|x| x.code() == r))
            .unwrap_or(usize::MAX);
        *reasons.entry(i).or_default() += 1;
    }
    let mut by_reason = Table::new(
        "rejections",
        "Rejections by reason",
        &["Reason", "Referrals", "Share of rejections (%)"],
    )
    .chart(1, None);
    by_reason.rows = count_rows(reasons, rejected, |i| {
        ConnectionReason::ALL
            .get(*i)
            .map_or("No reason given".to_string(), |r| r.label().to_string())
    });
    let signposts = facts.connections.len() - n;
    Report {
        kind: ReportKind::Connections,
        headlines: vec![
            Headline {
                label: "Signposts".into(),
                value: Cell::Int(signposts as i64),
                detail: "in the period".into(),
            },
            Headline {
                label: "Referrals to community services".into(),
                value: Cell::Int(n as i64),
                detail: "in the period".into(),
            },
            Headline {
                label: "Closed-loop rate".into(),
                value: Cell::Pct(pct(reported, not_cancelled)),
                detail: format!("{reported} of {not_cancelled} referrals"),
            },
            Headline {
                label: "Median partner response".into(),
                value: Cell::Num(median(&response_days), 1),
                detail: format!("days, over {}", response_days.len()),
            },
        ],
        tables: vec![cats, statuses, rates, response, by_reason],
    }
}

/// One outcome figure: its label, whether higher is better, and per episode the
/// (baseline, latest) values.
type Figure = (&'static str, bool, Vec<(f64, f64)>);

/// Baseline and latest values per episode for each outcome figure.
struct Pairs {
    figures: Vec<Figure>,
}

fn outcome_pairs(facts: &ReportFacts, ctx: &Context) -> Pairs {
    // Episode → instrument → (baseline, latest later measure with its time).
    type Slot = (Option<Measure>, Option<(DateTime<Utc>, Measure)>);
    let mut per: HashMap<(i64, Instrument), Slot> = HashMap::new();
    for r in facts.records.iter().filter(|r| r.kind == "measure") {
        let Ok(m) = serde_json::from_str::<Measure>(&r.body) else {
            continue;
        };
        let slot = per.entry((r.episode_id, m.instrument)).or_default();
        if m.point == MeasurePoint::Baseline {
            if slot.0.is_none() {
                slot.0 = Some(m);
            }
        } else if slot.1.as_ref().is_none_or(|(t, _)| r.created_at >= *t) {
            slot.1 = Some((r.created_at, m));
        }
    }
    let mut figures: Vec<Figure> = Vec::new();
    let mut keys: Vec<_> = per.keys().copied().collect();
    keys.sort_by_key(|(e, i)| (*e, i.code()));
    for key in keys {
        let (Some(base), Some((at, latest))) = &per[&key] else {
            continue;
        };
        if !ctx.in_period(*at) {
            continue;
        }
        let b = base.headlines();
        for (label, v, up) in latest.headlines() {
            if let Some((_, bv, _)) = b.iter().find(|(l, _, _)| *l == label) {
                match figures.iter_mut().find(|f| f.0 == label) {
                    Some(f) => f.2.push((*bv, v)),
                    None => figures.push((label, up, vec![(*bv, v)])),
                }
            }
        }
    }
    let order = [
        "Life satisfaction",
        "Things worthwhile",
        "Happiness yesterday",
        "Anxiety yesterday",
        "SWEMWBS metric score",
        "WEMWBS total",
    ];
    figures.sort_by_key(|f| order.iter().position(|o| *o == f.0).unwrap_or(order.len()));
    Pairs { figures }
}

fn outcomes(facts: &ReportFacts, ctx: &Context) -> Report {
    let pairs = outcome_pairs(facts, ctx);
    let mut t = Table::new(
        "change",
        "Change from baseline to latest",
        &["Measure", "People with both measures", "Mean at baseline", "Mean at latest", "Mean change", "Improved (%)"],
    )
    .note("ONS4 items are reported separately, never summed; for anxiety a fall is an improvement. SWEMWBS uses the metric score.")
    .chart(5, Some(100.0));
    let mut headlines = Vec::new();
    for (label, up, v) in &pairs.figures {
        let base: Vec<f64> = v.iter().map(|p| p.0).collect();
        let late: Vec<f64> = v.iter().map(|p| p.1).collect();
        let change: Vec<f64> = v.iter().map(|p| p.1 - p.0).collect();
        let improved = v
            .iter()
            .filter(|p| if *up { p.1 > p.0 } else { p.1 < p.0 })
            .count();
        t.row(vec![
            Cell::text(*label),
            Cell::Int(v.len() as i64),
            Cell::Num(mean(&base), 2),
            Cell::Num(mean(&late), 2),
            Cell::Num(mean(&change), 2),
            Cell::Pct(pct(improved, v.len())),
        ]);
        if *label == "SWEMWBS metric score" || *label == "Life satisfaction" {
            headlines.push(Headline {
                label: format!("{label}: mean change"),
                value: Cell::Num(mean(&change), 2),
                detail: format!("{} people with both measures; {improved} improved", v.len()),
            });
        }
    }
    Report {
        kind: ReportKind::Outcomes,
        headlines,
        tables: vec![t],
    }
}

fn age_on(dob: NaiveDate, at: NaiveDate) -> i32 {
    let mut age = at.year() - dob.year();
    if (at.month(), at.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age
}

const AGE_BANDS: [(i32, i32, &str); 9] = [
    (0, 17, "Under 18"),
    (18, 24, "18–24"),
    (25, 34, "25–34"),
    (35, 44, "35–44"),
    (45, 54, "45–54"),
    (55, 64, "55–64"),
    (65, 74, "65–74"),
    (75, 84, "75–84"),
    (85, i32::MAX, "85 and over"),
];

fn reach(facts: &ReportFacts, ctx: &Context) -> Report {
    let eps = referred_in_period(facts, ctx);
    let n = eps.len();
    let mut ages: BTreeMap<usize, usize> = BTreeMap::new();
    for e in &eps {
        let a = age_on(e.date_of_birth, e.referred_at.date_naive());
        let i = AGE_BANDS
            .iter()
            .position(|(lo, hi, _)| a >= *lo && a <= *hi)
            .unwrap_or(0);
        *ages.entry(i).or_default() += 1;
    }
    let mut age = Table::new(
        "age",
        "Referrals by age band",
        &["Age at referral", "Referrals", "Share (%)"],
    )
    .chart(1, None);
    age.rows = count_rows(ages, n, |i| AGE_BANDS[*i].2.to_string());
    let tally = |f: &dyn Fn(&EpisodeFact) -> String| {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for e in &eps {
            *m.entry(f(e)).or_default() += 1;
        }
        m
    };
    let mut sex = Table::new(
        "sex",
        "Referrals by sex",
        &["Sex", "Referrals", "Share (%)"],
    );
    sex.rows = count_rows(tally(&|e| label::<Sex>(&e.sex)), n, Clone::clone);
    let mut eth = Table::new(
        "ethnicity",
        "Referrals by ethnicity",
        &["Ethnic category", "Referrals", "Share (%)"],
    )
    .note("NHS ethnic categories as recorded on the person's record.");
    eth.rows = count_rows(
        tally(&|e| {
            e.ethnicity
                .as_deref()
                .map_or("Not recorded".to_string(), label::<Ethnicity>)
        }),
        n,
        Clone::clone,
    );
    let mut carers = Table::new(
        "carers",
        "Carers",
        &["Carer status", "Referrals", "Share (%)"],
    );
    carers.rows = count_rows(
        tally(&|e| label::<CarerStatus>(&e.carer_status)),
        n,
        Clone::clone,
    );
    let mut access = Table::new(
        "access",
        "Accessibility and communication needs",
        &["Recorded needs", "Referrals", "Share (%)"],
    )
    .note("People with at least one Accessible Information Standard need recorded.");
    access.rows = count_rows(
        tally(&|e| {
            if e.has_access_needs {
                "Has accessibility needs".into()
            } else {
                "None recorded".into()
            }
        }),
        n,
        Clone::clone,
    );
    let mut practice = Table::new(
        "practice",
        "Referrals by practice against list size",
        &["Practice", "Referrals", "Registered list size", "Referrals per 1,000 registered"],
    )
    .note("List sizes are entered by the manager on the practices page; the rate is shown only where one is entered.")
    .chart(3, None);
    for p in &ctx.practices {
        let c = eps.iter().filter(|e| e.practice_id == Some(p.id)).count();
        practice.row(vec![
            Cell::text(&p.name),
            Cell::Int(c as i64),
            p.list_size.map_or(Cell::text("Not entered"), Cell::Int),
            Cell::Num(
                p.list_size
                    .filter(|l| *l > 0)
                    .map(|l| 1000.0 * c as f64 / l as f64),
                2,
            ),
        ]);
    }
    let none = eps.iter().filter(|e| e.practice_id.is_none()).count();
    if none > 0 {
        practice.row(vec![
            Cell::text("No practice recorded"),
            Cell::Int(none as i64),
            Cell::text("—"),
            Cell::Num(None, 2),
        ]);
    }
    let carers_n = eps
        .iter()
        .filter(|e| matches!(e.carer_status.as_str(), "carer" | "young_carer"))
        .count();
    let access_n = eps.iter().filter(|e| e.has_access_needs).count();
    Report {
        kind: ReportKind::Reach,
        headlines: vec![
            Headline {
                label: "Referrals".into(),
                value: Cell::Int(n as i64),
                detail: "in the period".into(),
            },
            Headline {
                label: "Carers".into(),
                value: Cell::Pct(pct(carers_n, n)),
                detail: format!("{carers_n} of {n}"),
            },
            Headline {
                label: "With accessibility needs".into(),
                value: Cell::Pct(pct(access_n, n)),
                detail: format!("{access_n} of {n}"),
            },
        ],
        tables: vec![age, sex, eth, practice, carers, access],
    }
}

fn health_use(facts: &ReportFacts, ctx: &Context) -> Report {
    let mut before: HashMap<i64, HealthUse> = HashMap::new();
    let mut after: HashMap<i64, (DateTime<Utc>, HealthUse)> = HashMap::new();
    for r in facts.records.iter().filter(|r| r.kind == "health_use") {
        let Ok(h) = serde_json::from_str::<HealthUse>(&r.body) else {
            continue;
        };
        match h.period {
            HealthPeriod::Before => {
                before.insert(r.episode_id, h);
            }
            HealthPeriod::After => {
                after.insert(r.episode_id, (r.created_at, h));
            }
        }
    }
    let mut paired: Vec<(&HealthUse, &HealthUse)> = after
        .iter()
        .filter(|(_, (at, _))| ctx.in_period(*at))
        .filter_map(|(ep, (_, a))| before.get(ep).map(|b| (b, a)))
        .collect();
    paired.sort_by_key(|(b, a)| {
        (
            b.gp_appointments,
            a.gp_appointments,
            b.ae_attendances,
            a.ae_attendances,
        )
    });
    let n = paired.len();
    let mut t = Table::new(
        "before-after",
        "GP appointments and A&E attendances, 12 months before and after",
        &["Service", "Episodes", "Total before", "Total after", "Mean before", "Mean after", "Change (%)"],
    )
    .note("Only episodes with both a 'before' and an 'after' count, the 'after' count recorded in the period.")
    .chart(6, None);
    let mut headlines = vec![Headline {
        label: "Episodes with before and after".into(),
        value: Cell::Int(n as i64),
        detail: "recorded in the period".into(),
    }];
    for (label, f) in [
        (
            "GP appointments",
            (|h: &HealthUse| f64::from(h.gp_appointments)) as fn(&HealthUse) -> f64,
        ),
        ("A&E attendances", |h: &HealthUse| {
            f64::from(h.ae_attendances)
        }),
    ] {
        let b: f64 = paired.iter().map(|(x, _)| f(x)).sum();
        let a: f64 = paired.iter().map(|(_, y)| f(y)).sum();
        let change = (b > 0.0).then(|| 100.0 * (a - b) / b);
        t.row(vec![
            Cell::text(label),
            Cell::Int(n as i64),
            Cell::Int(b as i64),
            Cell::Int(a as i64),
            Cell::Num((n > 0).then(|| b / n as f64), 2),
            Cell::Num((n > 0).then(|| a / n as f64), 2),
            Cell::Pct(change),
        ]);
        headlines.push(Headline {
            label: format!("Change in {label}"),
            value: Cell::Pct(change),
            detail: format!("over {n} episodes"),
        });
    }
    Report {
        kind: ReportKind::HealthUse,
        headlines,
        tables: vec![t],
    }
}

fn coding(facts: &ReportFacts, ctx: &Context) -> Report {
    let mut t = Table::new(
        "by-practice",
        "Codes recorded in the GP record, by practice",
        &[
            "Practice",
            "Codes queued",
            "Recorded",
            "Waiting",
            "Completeness (%)",
        ],
    )
    .note("SNOMED CT codes queued in the period when people accepted or declined.")
    .chart(4, Some(100.0));
    let mut rows: Vec<(String, Option<i64>)> = ctx
        .practices
        .iter()
        .map(|p| (p.name.clone(), Some(p.id)))
        .collect();
    if facts.coding.iter().any(|c| c.practice_id.is_none()) {
        rows.push(("No practice recorded".into(), None));
    }
    for (name, id) in rows {
        let mine: Vec<_> = facts
            .coding
            .iter()
            .filter(|c| c.practice_id == id)
            .collect();
        let rec = mine.iter().filter(|c| c.recorded).count();
        t.row(vec![
            Cell::text(name),
            Cell::Int(mine.len() as i64),
            Cell::Int(rec as i64),
            Cell::Int((mine.len() - rec) as i64),
            Cell::Pct(pct(rec, mine.len())),
        ]);
    }
    let total = facts.coding.len();
    let rec = facts.coding.iter().filter(|c| c.recorded).count();
    let mut by_code: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in &facts.coding {
        let e = by_code.entry(c.concept_id.clone()).or_default();
        e.0 += 1;
        if c.recorded {
            e.1 += 1;
        }
    }
    let mut codes = Table::new(
        "by-code",
        "By code",
        &[
            "SNOMED CT concept",
            "Queued",
            "Recorded",
            "Completeness (%)",
        ],
    );
    for (k, (q, r)) in by_code {
        codes.row(vec![
            Cell::text(k),
            Cell::Int(q as i64),
            Cell::Int(r as i64),
            Cell::Pct(pct(r, q)),
        ]);
    }
    Report {
        kind: ReportKind::Coding,
        headlines: vec![Headline {
            label: "Coding completeness".into(),
            value: Cell::Pct(pct(rec, total)),
            detail: format!("{rec} of {total} codes recorded"),
        }],
        tables: vec![t, codes],
    }
}

fn gaps(facts: &ReportFacts, ctx: &Context) -> Report {
    let eps = referred_in_period(facts, ctx);
    let d = ctx.gap_distance_m;
    let mut t = Table::new(
        "needs",
        &format!("Needs with no suitable service within {:.0} km", d / 1000.0),
        &["Need", "People with the need and a known postcode", "No suitable service nearby", "Share without (%)"],
    )
    .note("Needs flagged at referral in the period. A suitable service is an active listing in a category that helps with the need, with a venue within the distance; services without a venue are not counted.")
    .chart(2, None);
    let mut worst = (String::new(), 0usize);
    for need in Need::ALL {
        let with: Vec<(f64, f64)> = eps
            .iter()
            .filter(|e| e.needs.split(',').any(|c| c.trim() == need.code()))
            .filter_map(|e| e.location)
            .collect();
        if with.is_empty() {
            continue;
        }
        let venues = ctx.directory.venues_for_need(*need);
        let mut memo: HashMap<(u64, u64), bool> = HashMap::new();
        let without = with
            .iter()
            .filter(|p| {
                !*memo
                    .entry((p.0.to_bits(), p.1.to_bits()))
                    .or_insert_with(|| {
                        venues
                            .iter()
                            .any(|v| domain::directory::distance_m(**p, *v) <= d)
                    })
            })
            .count();
        if without > worst.1 {
            worst = (need.label().to_string(), without);
        }
        t.row(vec![
            Cell::text(need.label()),
            Cell::Int(with.len() as i64),
            Cell::Int(without as i64),
            Cell::Pct(pct(without, with.len())),
        ]);
    }
    let unknown = eps.iter().filter(|e| e.location.is_none()).count();
    let mut cap: BTreeMap<String, usize> = BTreeMap::new();
    for c in facts
        .connections
        .iter()
        .filter(|c| c.status == "rejected" && c.reason.as_deref() == Some("no_capacity"))
    {
        *cap.entry(category_name(ctx, &c.service_id)).or_default() += 1;
    }
    let total_cap: usize = cap.values().sum();
    let mut capacity = Table::new(
        "no-capacity",
        "Referrals turned away for no capacity, by category",
        &["Category", "Rejected for no capacity", "Share (%)"],
    )
    .note("Referrals made in the period that the organisation rejected because it had no capacity.")
    .chart(1, None);
    capacity.rows = count_rows(cap, total_cap, Clone::clone);
    let seen: HashSet<i64> = eps.iter().map(|e| e.person_id).collect();
    Report {
        kind: ReportKind::Gaps,
        headlines: vec![
            Headline {
                label: "Largest gap".into(),
                value: Cell::Text(if worst.1 == 0 {
                    "None found".into()
                } else {
                    worst.0.clone()
                }),
                detail: format!("{} people without a suitable service nearby", worst.1),
            },
            Headline {
                label: "Turned away for no capacity".into(),
                value: Cell::Int(total_cap as i64),
                detail: "referrals in the period".into(),
            },
            Headline {
                label: "Postcode not known".into(),
                value: Cell::Int(unknown as i64),
                detail: format!(
                    "of {} referrals ({} people) not placed on the map",
                    eps.len(),
                    seen.len()
                ),
            },
        ],
        tables: vec![t, capacity],
    }
}

fn care_homes(facts: &ReportFacts, _ctx: &Context) -> Report {
    let mut t = Table::new(
        "by-kind",
        "Care home tasks by kind",
        &["Task", "Requested", "Done", "Open", "Cancelled"],
    )
    .note("Tasks requested in the period.")
    .chart(1, None);
    for k in CareHomeTaskKind::ALL {
        let mine: Vec<_> = facts
            .care_home
            .iter()
            .filter(|c| c.kind == k.code())
            .collect();
        let st =
            |s: CareHomeTaskStatus| mine.iter().filter(|c| c.status == s.code()).count() as i64;
        t.row(vec![
            Cell::text(k.label()),
            Cell::Int(mine.len() as i64),
            Cell::Int(st(CareHomeTaskStatus::Done)),
            Cell::Int(st(CareHomeTaskStatus::Open)),
            Cell::Int(st(CareHomeTaskStatus::Cancelled)),
        ]);
    }
    let open = facts
        .care_home
        .iter()
        .filter(|c| c.status == "open")
        .count();
    Report {
        kind: ReportKind::CareHomes,
        headlines: vec![
            Headline {
                label: "Care home tasks".into(),
                value: Cell::Int(facts.care_home.len() as i64),
                detail: "requested in the period".into(),
            },
            Headline {
                label: "Still open".into(),
                value: Cell::Int(open as i64),
                detail: String::new(),
            },
        ],
        tables: vec![t],
    }
}

#[cfg(test)]
mod tests;
