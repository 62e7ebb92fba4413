//! The health service use report: "before" and "after" counts of health service use per
//! episode.

use crate::{Cell, Context, Headline, Report, ReportKind, Table};
use chrono::{DateTime, Utc};
use domain::{HealthPeriod, HealthUse};
use std::collections::HashMap;
use storage::ReportFacts;

pub(crate) fn health_use(facts: &ReportFacts, ctx: &Context) -> Report {
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
        base: None,
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
            base: Some(n),
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
