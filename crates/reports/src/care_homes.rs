//! The care homes report: care home tasks by kind and status.

use crate::{Cell, Context, Headline, Report, ReportKind, Table};
use domain::{CareHomeTaskKind, CareHomeTaskStatus, Code};
use storage::ReportFacts;

pub(crate) fn care_homes(facts: &ReportFacts, _ctx: &Context) -> Report {
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
                base: None,
                label: "Care home tasks".into(),
                value: Cell::Int(facts.care_home.len() as i64),
                detail: "requested in the period".into(),
            },
            Headline {
                base: None,
                label: "Still open".into(),
                value: Cell::Int(open as i64),
                detail: String::new(),
            },
        ],
        tables: vec![t],
    }
}
