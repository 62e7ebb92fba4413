//! The connections report: signposts and referrals made in the period by category and status,
//! and how often and how quickly organisations close the loop.

use crate::{
    category_name, count_rows, days_between, median, pct, percentile, Cell, Context, Headline,
    Report, ReportKind, Table,
};
use domain::{Code, ConnectionReason, ConnectionStatus};
use std::collections::BTreeMap;
use storage::ReportFacts;

pub(crate) fn connections(facts: &ReportFacts, ctx: &Context) -> Report {
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
                base: None,
                label: "Signposts".into(),
                value: Cell::Int(signposts as i64),
                detail: "in the period".into(),
            },
            Headline {
                base: None,
                label: "Referrals to community services".into(),
                value: Cell::Int(n as i64),
                detail: "in the period".into(),
            },
            Headline {
                base: Some(not_cancelled),
                label: "Closed-loop rate".into(),
                value: Cell::Pct(pct(reported, not_cancelled)),
                detail: format!("{reported} of {not_cancelled} referrals"),
            },
            Headline {
                base: Some(response_days.len()),
                label: "Median partner response".into(),
                value: Cell::Num(median(&response_days), 1),
                detail: format!("days, over {}", response_days.len()),
            },
        ],
        tables: vec![cats, statuses, rates, response, by_reason, phb_table(facts)],
    }
}

/// Personal health budgets (DES B3.3): where each episode's latest plan saved in the period
/// says a budget stands.
fn phb_table(facts: &ReportFacts) -> Table {
    use domain::journey::PhbStatus;
    let mut latest: BTreeMap<i64, PhbStatus> = BTreeMap::new();
    // Records come oldest first, so the last plan of an episode wins.
    for r in facts.records.iter().filter(|r| r.kind == "plan") {
        if let Ok(p) = serde_json::from_str::<domain::CarePlan>(&r.body) {
            latest.insert(r.episode_id, p.phb.status);
        }
    }
    let mut t = Table::new(
        "phb",
        "Personal health budgets",
        &["Where it stands", "Episodes"],
    )
    .note("Each episode's latest care and support plan saved in the period. Explored: every stage but 'not discussed yet'.");
    let explored = latest
        .values()
        .filter(|s| **s != PhbStatus::NotDiscussed)
        .count();
    for s in PhbStatus::ALL {
        let n = latest.values().filter(|x| *x == s).count();
        t.row(vec![Cell::text(s.label()), Cell::Int(n as i64)]);
    }
    t.row(vec![
        Cell::text("Explored with the person (all but not discussed)"),
        Cell::Int(explored as i64),
    ]);
    t
}
