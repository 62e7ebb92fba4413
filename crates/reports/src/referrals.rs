//! The referrals report: referrals received in the period by source and need, waiting times
//! to first contact, and how many were accepted.

use crate::{
    count_rows, days_between, median, pct, percentile, referred_in_period, Cell, Context, Headline,
    Report, ReportKind, Table,
};
use domain::{Code, Need, ReferralSource};
use std::collections::BTreeMap;
use storage::ReportFacts;

pub(crate) fn referrals(facts: &ReportFacts, ctx: &Context) -> Report {
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
                base: None,
                label: "Referrals received".into(),
                value: Cell::Int(n as i64),
                detail: "in the period".into(),
            },
            Headline {
                base: Some(waits.len()),
                label: "Median wait to first contact".into(),
                value: Cell::Num(med, 1),
                detail: format!("days, over {} referrals", waits.len()),
            },
            Headline {
                base: Some(waits.len()),
                label: "90th percentile wait".into(),
                value: Cell::Num(p90, 1),
                detail: "days".into(),
            },
            Headline {
                base: Some(n),
                label: "Accepted".into(),
                value: Cell::Pct(pct(accepted, n)),
                detail: format!("{accepted} of {n} referrals"),
            },
        ],
        tables: vec![sources, needs, waiting, decisions],
    }
}
