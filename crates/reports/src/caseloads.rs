//! The caseloads report: caseload per link worker, contacts per discharged episode and
//! contacts by type.

use crate::{mean, pct, Cell, Context, Headline, Report, ReportKind, Table};
use domain::{Code, ContactType};
use std::collections::BTreeMap;
use storage::{EpisodeFact, ReportFacts};

pub(crate) fn caseloads(facts: &ReportFacts, ctx: &Context) -> Report {
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
                base: None,
                label: "People on caseloads".into(),
                value: Cell::Int(total_open as i64),
                detail: format!("across {} link workers", ctx.workers.len()),
            },
            Headline {
                base: Some(all_contacts.len()),
                label: "Mean contacts per discharged episode".into(),
                value: Cell::Num(mean(&all_contacts), 1),
                detail: format!("over {} episodes (6–12 expected)", all_contacts.len()),
            },
            Headline {
                base: Some(all_contacts.len()),
                label: "Discharged with 6–12 contacts".into(),
                value: Cell::Pct(pct(in_range_all, all_contacts.len())),
                detail: format!("{in_range_all} of {}", all_contacts.len()),
            },
        ],
        tables: vec![table, contact_types],
    }
}
