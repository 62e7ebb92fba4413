//! The outcomes report: per outcome measure, baseline against the latest later value for
//! episodes with both.

use crate::{mean, pct, Cell, Context, Headline, Report, ReportKind, Table};
use chrono::{DateTime, Utc};
use domain::{Code, Instrument, Measure, MeasurePoint};
use std::collections::HashMap;
use storage::ReportFacts;

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

pub(crate) fn outcomes(facts: &ReportFacts, ctx: &Context) -> Report {
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
                base: Some(v.len()),
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
