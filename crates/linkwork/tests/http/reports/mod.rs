//! Managers' reports over the real server, on a small fixed data set whose figures were
//! worked out by hand (in the comments). The CSV and XLSX exports are parsed back (XLSX
//! with calamine, an independent reader) and must give the same numbers; the ARRS claim
//! for a month comes out right; link workers, partners and others cannot open any of it,
//! and another PCN's manager sees none of this PCN's figures. On SQLite and PostgreSQL.
//!
//! The tests are here; the fixed data set is in `fixture`, reading exports back in `exports`,
//! and the scenarios run on both engines in `figures`.

mod exports;
mod figures;
mod fixture;

use crate::helpers::*;
use chrono::Utc;
use domain::CareHomeTaskStatus;
use exports::{cell, csv, sheet_number, xlsx};
use figures::{
    arrs_claim_for_a_month, reports_match_hand_computed_figures,
    small_numbers_are_withheld_everywhere,
};
use fixture::{refer, seed, PERIOD};
use reqwest::StatusCode;
use storage::Actor;

#[tokio::test]
async fn reports_match_hand_computed_figures_sqlite() {
    reports_match_hand_computed_figures(Engine::Sqlite).await;
}

#[tokio::test]
async fn reports_match_hand_computed_figures_postgres() {
    reports_match_hand_computed_figures(Engine::Postgres).await;
}

#[tokio::test]
async fn arrs_claim_for_a_month_sqlite() {
    arrs_claim_for_a_month(Engine::Sqlite).await;
}

#[tokio::test]
async fn arrs_claim_for_a_month_postgres() {
    arrs_claim_for_a_month(Engine::Postgres).await;
}

#[tokio::test]
async fn only_managers_open_reports_and_workforce() {
    let app = spawn_app().await;
    let manager_only = [
        "/dashboard",
        "/reports/referrals",
        "/reports/referrals/decisions.csv",
        "/reports/referrals/report.xlsx",
        "/reports/print",
        "/workforce",
        "/workforce/arrs",
        "/workforce/arrs/arrs-year.csv",
        "/reports/practices",
    ];
    for who in ["lw", "partner", "referrer", "supervisor"] {
        let mut b = signed_in(&app, who).await;
        for path in manager_only {
            let page = b.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} opened {path}");
        }
    }
    // Administrators see the figures but not salaries.
    let mut admin = signed_in(&app, "admin").await;
    assert_eq!(admin.get("/dashboard").await.status, StatusCode::OK);
    assert_eq!(admin.get("/workforce").await.status, StatusCode::FORBIDDEN);
    // Signed out: sent to sign in.
    let mut anon = Browser::new(&app);
    assert_eq!(
        anon.get("/reports/referrals").await.status,
        StatusCode::SEE_OTHER
    );
    // Partners and referrers have no supervision, training or care home pages.
    for who in ["partner", "referrer"] {
        let mut b = signed_in(&app, who).await;
        for path in ["/supervision", "/training", "/care-homes"] {
            assert_eq!(
                b.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{who} opened {path}"
            );
        }
    }
    let mut m = signed_in(&app, "manager").await;
    let page = m.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK);
    for r in reports::ReportKind::ALL {
        assert!(
            page.body.contains(&format!("/reports/{}?", r.slug())),
            "dashboard links {}",
            r.slug()
        );
    }
}

#[tokio::test]
async fn supervision_training_and_care_homes() {
    let app = spawn_app().await;
    let lw = app.users["lw"];
    // A person on the link worker's caseload, to discuss at supervision.
    let ep = refer(
        &app,
        "Supervised",
        "gp",
        Utc::now() - chrono::Duration::days(3),
    )
    .await;
    app.store
        .assign_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            lw,
            Utc::now(),
            &Actor::system("test"),
        )
        .await
        .unwrap();
    let mut sup = signed_in(&app, "supervisor").await;
    let form = sup.get(&format!("/supervision/new?worker={lw}")).await;
    assert!(form.body.contains("Report Supervised"), "{}", form.body);
    let lw_s = lw.to_string();
    let sup_id = app.users["supervisor"].to_string();
    let person = ep.person_id.to_string();
    let mut fields = vec![
        ("worker", lw_s.as_str()),
        ("supervisor", sup_id.as_str()),
        ("kind", "clinical"),
        ("held_on", "2999-01-01"),
        ("actions", "Book peer support."),
        ("cases", person.as_str()),
    ];
    let bad = sup.post("/supervision", &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not in the future"));
    assert!(app
        .store
        .supervision_sessions(app.pcn_a, None)
        .await
        .unwrap()
        .is_empty());
    let today = Utc::now().date_naive().to_string();
    fields[3].1 = &today;
    let ok = sup.post("/supervision", &fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let show = sup.get(ok.location.as_deref().unwrap()).await;
    assert!(show.body.contains("Report Supervised"));
    // The link to the person is in the audit log against them.
    let audit = app.store.all_audit().await.unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "supervision.case" && e.entity_id == Some(ep.person_id)));
    // The link worker sees their own sessions; clinical is done, line management overdue.
    let mut w = signed_in(&app, "lw").await;
    let list = w.get("/supervision").await;
    assert!(
        list.body.contains("Book peer support") || list.body.contains("Clinical"),
        "{}",
        list.body
    );
    assert!(list.body.contains("Overdue"));
    // A link worker cannot record supervision.
    assert_eq!(
        w.post("/supervision", &fields).await.status,
        StatusCode::FORBIDDEN
    );

    // Training: the link worker records their own; the manager's view shows it.
    let reqs = app.store.training_requirements(app.pcn_a).await.unwrap();
    let req = reqs[0].id.to_string();
    let done = w
        .post(
            "/training/records",
            &[
                ("requirement_id", req.as_str()),
                ("completed_on", "2026-01-10"),
                ("evidence", "Certificate 123"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let bad = w
        .post(
            "/training/records",
            &[
                ("requirement_id", req.as_str()),
                ("completed_on", "yesterday"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut m = signed_in(&app, "manager").await;
    let page = m.get("/training").await;
    assert!(page.body.contains("Done 10 Jan 2026"), "{}", page.body);
    assert!(page.body.contains("Certificate 123"));

    // Care homes: logged, refused when the kind is missing, then marked done.
    let bad = w
        .post(
            "/care-homes",
            &[
                ("care_home", "Willow Court"),
                ("kind", ""),
                ("requested_on", &today),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = w
        .post(
            "/care-homes",
            &[
                ("care_home", "Willow Court"),
                ("kind", "visit"),
                ("requested_on", &today),
                ("details", "GP visit booked"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let today_d = Utc::now().date_naive();
    let tasks = app
        .store
        .care_home_tasks(app.pcn_a, today_d, today_d)
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].link_worker_id, Some(lw));
    let v = tasks[0].version.to_string();
    let done = w
        .post(
            &format!("/care-homes/{}/status", tasks[0].id),
            &[("status", "done"), ("version", &v)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    // The same (now stale) version again changes nothing.
    let stale = w
        .post(
            &format!("/care-homes/{}/status", tasks[0].id),
            &[("status", "cancelled"), ("version", &v)],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let tasks = app
        .store
        .care_home_tasks(app.pcn_a, today_d, today_d)
        .await
        .unwrap();
    assert_eq!(tasks[0].status, CareHomeTaskStatus::Done);
}

#[tokio::test]
async fn small_numbers_are_withheld_everywhere_sqlite() {
    small_numbers_are_withheld_everywhere(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_numbers_are_withheld_everywhere_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    small_numbers_are_withheld_everywhere(Engine::Postgres).await;
}

/// A month in a report is a UK month: a referral at 23:30 UTC on 30 June (00:30 BST on
/// 1 July) is July's, and one at 23:30 UTC on 31 December (GMT) is December's.
async fn report_months_are_uk_months(engine: Engine) {
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            small_number: 1,
            ..Default::default()
        },
    )
    .await;
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    for (family, when) in [
        ("Summer", "2026-06-30T23:30:00Z"),
        ("Winter", "2026-12-31T23:30:00Z"),
    ] {
        app.store
            .create_referral(
                app.pcn_a,
                storage::PersonRef::New(Box::new(storage_tests::suite::person(
                    "Month",
                    family,
                    "1960-01-01",
                ))),
                &storage_tests::suite::referral(),
                None,
                at(when),
                &storage::Actor::system("test"),
            )
            .await
            .unwrap();
    }
    let mut m = signed_in(&app, "manager").await;
    let count = |rows: &Vec<Vec<String>>| {
        rows.iter()
            .skip(1)
            .map(|r| r[1].parse::<i64>().unwrap_or(0))
            .sum::<i64>()
    };
    for (from, to, expect) in [
        ("2026-06-01", "2026-06-30", 0),
        ("2026-07-01", "2026-07-31", 1),
        ("2026-12-01", "2026-12-31", 1),
        ("2027-01-01", "2027-01-31", 0),
    ] {
        let rows = csv(
            &mut m,
            &format!("/reports/referrals/by-source.csv?from={from}&to={to}"),
        )
        .await;
        assert_eq!(count(&rows), expect, "{from} to {to}: {rows:?}");
    }
    // "Nearby" in the gaps report is in miles.
    let gaps = m.get("/reports/gaps?distance=2").await;
    assert!(gaps.body.contains("Nearby means within (miles)"));
    assert!(gaps.body.contains("within 2 miles"), "{}", gaps.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_months_are_uk_months_sqlite() {
    report_months_are_uk_months(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_months_are_uk_months_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    report_months_are_uk_months(Engine::Postgres).await;
}
