//! Demo workforce: practice list sizes, employment records (PCN-employed and
//! sub-contracted, full and part time), ARRS maximums for the years the demo covers,
//! supervision sessions (one link worker overdue), training records (with gaps) and care
//! home tasks. All synthetic. Pence are written pounds_pence (`28_407_00` is £28,407.00).
#![allow(clippy::inconsistent_digit_grouping)]

use crate::demo::Rng;
use anyhow::Result;
use chrono::{Datelike, Duration, NaiveDate};
use domain::{
    CareHomeTaskKind, CareHomeTaskStatus, Code, EmployerKind, Employment, FinancialYear,
    SupervisionKind,
};
use std::sync::Arc;
use storage::{Actor, ArrsCap, CaseloadFilter, NewCareHomeTask, NewSupervision, Storage};

pub struct Ctx<'a> {
    pub store: &'a Arc<dyn Storage>,
    pub pcn: i64,
    pub actor: &'a Actor,
    pub practices: &'a [i64],
    pub workers: &'a [i64],
    pub supervisor: i64,
    pub manager: i64,
    pub today: NaiveDate,
}

pub async fn seed(c: &Ctx<'_>, rng: &mut Rng) -> Result<()> {
    let store = c.store;
    for (p, size) in c.practices.iter().zip([9_850, 6_420, 12_310]) {
        store
            .set_practice_list_size(c.pcn, *p, Some(size), c.actor)
            .await?;
    }
    // Years after the last published maximum in DOMAIN.md carry 2022/23's amount forward,
    // labelled as demo figures so nobody mistakes them for published ones.
    let current = FinancialYear::of(c.today).0;
    for fy in 2021..=current {
        if [2019, 2020, 2022].contains(&fy) {
            continue;
        }
        store
            .save_arrs_cap(
                &ArrsCap {
                    fy_start: fy,
                    max_pence: 3_642_800,
                    note: "Demo figure carried forward from 2022/23: replace with the published amount"
                        .into(),
                },
                c.actor,
            )
            .await?;
    }
    // Employment: (employer, name, WTE, salary, on-costs, sub-contract contribution).
    let jobs: [(EmployerKind, &str, i64, i64, i64, i64); 4] = [
        (
            EmployerKind::Pcn,
            "Riverside Health PCN",
            1000,
            28_407_00,
            6_390_00,
            0,
        ),
        (
            EmployerKind::Pcn,
            "Riverside Health PCN",
            600,
            17_830_00,
            3_860_00,
            0,
        ),
        (
            EmployerKind::Subcontracted,
            "Millbrook Community Trust",
            1000,
            30_420_00,
            7_150_00,
            200_00,
        ),
        (
            EmployerKind::Subcontracted,
            "Millbrook Community Trust",
            800,
            23_100_00,
            5_080_00,
            160_00,
        ),
    ];
    let start = |years_ago: i32| {
        NaiveDate::from_ymd_opt(c.today.year() - years_ago, 4, 1).unwrap_or(c.today)
    };
    for (i, w) in c.workers.iter().enumerate() {
        let (kind, employer, wte, salary, oncosts, sub) = jobs[i % jobs.len()];
        // The second link worker changed hours last year: an ended record and a current one.
        if i == 1 {
            store
                .create_employment(
                    c.pcn,
                    *w,
                    &Employment {
                        employer_kind: kind,
                        employer_name: employer.into(),
                        wte_milli: 1000,
                        annual_salary_pence: 29_100_00,
                        annual_oncosts_pence: 6_480_00,
                        subcontract_monthly_pence: 0,
                        afc_band: "5".into(),
                        start_date: start(3),
                        end_date: Some(start(1) - Duration::days(1)),
                    },
                    c.actor,
                )
                .await?;
        }
        store
            .create_employment(
                c.pcn,
                *w,
                &Employment {
                    employer_kind: kind,
                    employer_name: employer.into(),
                    wte_milli: wte,
                    annual_salary_pence: salary,
                    annual_oncosts_pence: oncosts,
                    subcontract_monthly_pence: sub,
                    afc_band: "5".into(),
                    start_date: if i == 1 { start(1) } else { start(3) },
                    end_date: None,
                },
                c.actor,
            )
            .await?;
    }
    // Supervision: monthly for everyone, except the last link worker, whose clinical
    // supervision has lapsed (so the dashboard shows it overdue).
    for (i, w) in c.workers.iter().enumerate() {
        let cases: Vec<i64> = store
            .caseload(c.pcn, *w, &CaseloadFilter::default())
            .await?
            .into_iter()
            .map(|r| r.person_id)
            .collect();
        let lapsed = i + 1 == c.workers.len();
        for months_ago in 0..6 {
            let day = c.today - Duration::days(30 * months_ago + rng.range(3, 12));
            for kind in SupervisionKind::ALL {
                if lapsed && *kind == SupervisionKind::Clinical && months_ago < 3 {
                    continue;
                }
                let discussed: Vec<i64> = cases
                    .iter()
                    .skip(rng.range(0, cases.len().max(1) as i64) as usize)
                    .take(rng.range(0, 3) as usize)
                    .copied()
                    .collect();
                store
                    .create_supervision(
                        c.pcn,
                        &NewSupervision {
                            link_worker_id: *w,
                            supervisor_id: if *kind == SupervisionKind::LineManagement {
                                c.supervisor
                            } else {
                                c.manager
                            },
                            kind: *kind,
                            held_on: day,
                            actions: match kind {
                                SupervisionKind::LineManagement => {
                                    "Reviewed caseload size and waiting list; agreed to prioritise referrals waiting over a week.".into()
                                }
                                SupervisionKind::Clinical => {
                                    "Reflective discussion of complex cases; signposted to peer support network.".into()
                                }
                            },
                            cases: discussed,
                        },
                        c.actor,
                    )
                    .await?;
            }
        }
    }
    // Training: the national requirements, with a gap or two.
    let reqs = store.training_requirements(c.pcn).await?;
    for (i, w) in c.workers.iter().enumerate() {
        for r in &reqs {
            let skip = (i == 2 && r.renew_months.is_none() && r.id % 2 == 0)
                || (i == 3 && r.renew_months.is_some());
            if skip {
                continue;
            }
            let on = match r.renew_months {
                Some(_) => c.today - Duration::days(rng.range(5, 80)),
                None => c.today - Duration::days(rng.range(200, 900)),
            };
            store
                .add_training_record(
                    c.pcn,
                    *w,
                    r.id,
                    on,
                    &format!("Certificate DEMO-{:05}", rng.range(0, 99_999)),
                    c.actor,
                )
                .await?;
        }
    }
    // Care home tasks over the last six months.
    let homes = [
        "Willow Court Care Home",
        "Beechwood House",
        "The Laurels Nursing Home",
    ];
    for _ in 0..24 {
        let kind = *rng.pick(CareHomeTaskKind::ALL);
        let days_ago = rng.range(0, 170);
        let t = store
            .create_care_home_task(
                c.pcn,
                &NewCareHomeTask {
                    care_home: (*rng.pick(&homes)).into(),
                    kind,
                    requested_on: c.today - Duration::days(days_ago),
                    link_worker_id: Some(*rng.pick(c.workers)),
                    details: match kind {
                        CareHomeTaskKind::Prescription => "Repeat prescription request passed to the practice team.".into(),
                        CareHomeTaskKind::Visit => "GP visit request triaged and booked with the duty doctor.".into(),
                        CareHomeTaskKind::PostDischarge => "Post-discharge coordination: medicines and follow-up checked with the home.".into(),
                    },
                },
                c.actor,
            )
            .await?;
        if days_ago > 7 || rng.chance(0.4) {
            let status = if rng.chance(0.9) {
                CareHomeTaskStatus::Done
            } else {
                CareHomeTaskStatus::Cancelled
            };
            store
                .set_care_home_task_status(
                    c.pcn,
                    t.id,
                    t.version,
                    status,
                    t.requested_on + Duration::days(rng.range(0, 4).min(days_ago)),
                    c.actor,
                )
                .await?;
        }
    }
    Ok(())
}
