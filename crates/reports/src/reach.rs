//! The reach report: who was referred in the period, by age band, sex, ethnicity, carer
//! status and access needs.

use crate::{
    count_rows, label, pct, referred_in_period, Cell, Context, Headline, Report, ReportKind, Table,
};
use chrono::{Datelike, NaiveDate};
use domain::{CarerStatus, Ethnicity, Sex};
use std::collections::BTreeMap;
use storage::{EpisodeFact, ReportFacts};

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

pub(crate) fn reach(facts: &ReportFacts, ctx: &Context) -> Report {
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
                base: None,
                label: "Referrals".into(),
                value: Cell::Int(n as i64),
                detail: "in the period".into(),
            },
            Headline {
                base: Some(n),
                label: "Carers".into(),
                value: Cell::Pct(pct(carers_n, n)),
                detail: format!("{carers_n} of {n}"),
            },
            Headline {
                base: Some(n),
                label: "With accessibility needs".into(),
                value: Cell::Pct(pct(access_n, n)),
                detail: format!("{access_n} of {n}"),
            },
        ],
        tables: vec![age, sex, eth, practice, carers, access],
    }
}
