//! The gaps report: needs with no suitable service nearby, and referrals turned away for no
//! capacity, by category.

use crate::{
    category_name, count_rows, pct, referred_in_period, Cell, Context, Headline, Report,
    ReportKind, Table,
};
use domain::{Code, Need};
use std::collections::{BTreeMap, HashMap, HashSet};
use storage::ReportFacts;

pub(crate) fn gaps(facts: &ReportFacts, ctx: &Context) -> Report {
    let eps = referred_in_period(facts, ctx);
    let d = ctx.gap_distance_m;
    let mut t = Table::new(
        "needs",
        &format!(
            "Needs with no suitable service within {}",
            domain::directory::miles(d)
        ),
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
                base: None,
                label: "Largest gap".into(),
                value: Cell::Text(if worst.1 == 0 {
                    "None found".into()
                } else {
                    worst.0.clone()
                }),
                detail: format!("{} people without a suitable service nearby", worst.1),
            },
            Headline {
                base: None,
                label: "Turned away for no capacity".into(),
                value: Cell::Int(total_cap as i64),
                detail: "referrals in the period".into(),
            },
            Headline {
                base: None,
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
