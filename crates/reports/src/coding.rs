//! The coding report: codes recorded in the GP record, by practice and by code.

use crate::{pct, Cell, Context, Headline, Report, ReportKind, Table};
use std::collections::BTreeMap;
use storage::ReportFacts;

pub(crate) fn coding(facts: &ReportFacts, ctx: &Context) -> Report {
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
            base: Some(total),
            label: "Coding completeness".into(),
            value: Cell::Pct(pct(rec, total)),
            detail: format!("{rec} of {total} codes recorded"),
        }],
        tables: vec![t, codes],
    }
}
