//! The scenarios run on both engines: the hand-computed figures on page, CSV and XLSX, the
//! ARRS claim for a month, and small numbers withheld everywhere.

use super::{cell, csv, seed, sheet_number, xlsx, PERIOD};
use crate::helpers::*;
use calamine::{Data, Reader};
use chrono::Datelike;
use reqwest::StatusCode;

pub(super) async fn reports_match_hand_computed_figures(engine: Engine) {
    // Four referrals: every count here is small, so this test, which checks the figures
    // themselves, turns suppression off; `small_numbers_are_withheld_everywhere` proves it on.
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            small_number: 1,
            ..Default::default()
        },
    )
    .await;
    seed(&app).await;
    let mut m = signed_in(&app, "manager").await;

    // The manager enters the practice's list size on the page (a bad value changes nothing).
    let bad = m
        .post(
            "/reports/practices",
            &[(&format!("size_{}", app.practice_a), "lots")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Hill Surgery"), "{}", bad.body);
    let ok = m
        .post(
            "/reports/practices",
            &[(&format!("size_{}", app.practice_a), "5,000")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    // Referrals: 4 in the period; waits 2, 4 and 10 days: median 4, 90th percentile 10.
    let rows = csv(&mut m, &format!("/reports/referrals/waiting.csv?{PERIOD}")).await;
    assert_eq!(rows[0], ["Figure", "Days", "Referrals counted"]);
    assert_eq!(cell(&rows, "Median", 1), "4.0");
    assert_eq!(cell(&rows, "90th percentile", 1), "10.0");
    assert_eq!(cell(&rows, "Median", 2), "3");
    let rows = csv(
        &mut m,
        &format!("/reports/referrals/decisions.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(cell(&rows, "Accepted", 1), "1");
    assert_eq!(cell(&rows, "Accepted", 2), "25.0");
    assert_eq!(cell(&rows, "Declined", 1), "1");
    assert_eq!(cell(&rows, "Unable to contact", 1), "1");
    assert_eq!(cell(&rows, "Waiting for a decision", 1), "1");
    let rows = csv(
        &mut m,
        &format!("/reports/referrals/by-source.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(cell(&rows, "GP", 1), "3");
    assert_eq!(cell(&rows, "Self-referral", 1), "1");
    // Filtered by source: only the self-referral, which was declined.
    let rows = csv(
        &mut m,
        &format!("/reports/referrals/decisions.csv?{PERIOD}&source=self"),
    )
    .await;
    assert_eq!(cell(&rows, "Declined", 2), "100.0");

    // Outcomes: one person with both SWEMWBS measures, 15.32 → 19.25.
    let rows = csv(&mut m, &format!("/reports/outcomes/change.csv?{PERIOD}")).await;
    assert_eq!(cell(&rows, "SWEMWBS metric score", 1), "1");
    assert_eq!(cell(&rows, "SWEMWBS metric score", 2), "15.32");
    assert_eq!(cell(&rows, "SWEMWBS metric score", 3), "19.25");
    assert_eq!(cell(&rows, "SWEMWBS metric score", 4), "3.93");
    assert_eq!(cell(&rows, "SWEMWBS metric score", 5), "100.0");

    // Health use: GP 10 → 6 (−40%), A&E 2 → 1 (−50%), one episode.
    let rows = csv(
        &mut m,
        &format!("/reports/health-use/before-after.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(cell(&rows, "GP appointments", 1), "1");
    assert_eq!(cell(&rows, "GP appointments", 6), "-40.0");
    assert_eq!(cell(&rows, "A&E attendances", 6), "-50.0");

    // Coding: two codes queued for Hill Surgery, one recorded: 50%.
    let rows = csv(&mut m, &format!("/reports/coding/by-practice.csv?{PERIOD}")).await;
    assert_eq!(&rows[1][..5], ["Hill Surgery", "2", "1", "1", "50.0"]);

    // Connections: one signpost, one referral answered after 4 days and completed.
    let rows = csv(&mut m, &format!("/reports/connections/loop.csv?{PERIOD}")).await;
    assert_eq!(cell(&rows, "Outcome reported (closed loop)", 1), "1");
    assert_eq!(cell(&rows, "Outcome reported (closed loop)", 2), "100.0");
    let rows = csv(
        &mut m,
        &format!("/reports/connections/response.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(cell(&rows, "Median", 1), "4.0");
    let rows = csv(
        &mut m,
        &format!("/reports/connections/by-category.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(&rows[1][..3], ["Not in the directory", "1", "1"]);

    // Reach: 4 referrals against a list of 5,000 = 0.80 per 1,000.
    let rows = csv(&mut m, &format!("/reports/reach/practice.csv?{PERIOD}")).await;
    assert_eq!(&rows[1][..4], ["Hill Surgery", "4", "5000", "0.80"]);
    let rows = csv(&mut m, &format!("/reports/reach/age.csv?{PERIOD}")).await;
    assert_eq!(cell(&rows, "75–84", 1), "4");

    // Caseloads: at the end of March the link worker holds E1 only; three taken on.
    let rows = csv(
        &mut m,
        &format!("/reports/caseloads/per-worker.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(cell(&rows, "Test lw", 1), "1");
    assert_eq!(cell(&rows, "Test lw", 2), "3");
    let rows = csv(
        &mut m,
        &format!("/reports/caseloads/contact-types.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(cell(&rows, "Telephone", 1), "3");

    // Care homes: one prescription request (done) and one visit request (open).
    let rows = csv(&mut m, &format!("/reports/care-homes/by-kind.csv?{PERIOD}")).await;
    assert_eq!(&rows[1][..5], ["Prescription request", "1", "1", "0", "0"]);
    assert_eq!(&rows[2][..5], ["Visit request", "1", "0", "1", "0"]);

    // The XLSX export reads back (independently) to the same numbers.
    let mut book = xlsx(
        &app,
        &mut m,
        &format!("/reports/referrals/report.xlsx?{PERIOD}"),
    )
    .await;
    assert!(
        book.sheet_names()
            .contains(&"What people decided".to_string()),
        "{:?}",
        book.sheet_names()
    );
    assert_eq!(
        sheet_number(&mut book, "What people decided", "Accepted", 1),
        1.0
    );
    assert_eq!(
        sheet_number(&mut book, "What people decided", "Accepted", 2),
        25.0
    );
    let waiting = book
        .sheet_names()
        .into_iter()
        .find(|n| n.starts_with("Waiting time"))
        .expect("a sheet for the waiting-time table");
    assert_eq!(sheet_number(&mut book, &waiting, "Median", 1), 4.0);
    let mut book = xlsx(
        &app,
        &mut m,
        &format!("/reports/outcomes/report.xlsx?{PERIOD}"),
    )
    .await;
    let name = book.sheet_names()[0].clone();
    assert_eq!(
        sheet_number(&mut book, &name, "SWEMWBS metric score", 4),
        3.93
    );

    // The report page shows the same figure, with a chart and its data table.
    let page = m.get(&format!("/reports/referrals?{PERIOD}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg class=\"chart chart--bar\""));
    assert!(page.body.contains("25.0%"));
    // Bad filters get a clear message.
    let bad = m
        .get("/reports/referrals?from=2026-04-01&to=2026-01-01")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .body
        .contains("start date must be on or before the end date"));
    assert_eq!(
        m.get("/reports/nonsense").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        m.get(&format!("/reports/referrals/nope.csv?{PERIOD}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Another PCN's manager sees none of these referrals.
    let mut other = signed_in(&app, "manager_b").await;
    let rows = csv(
        &mut other,
        &format!("/reports/referrals/decisions.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(cell(&rows, "Accepted", 1), "0");
    assert_eq!(cell(&rows, "Waiting for a decision", 1), "0");
}

pub(super) async fn arrs_claim_for_a_month(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let mut m = signed_in(&app, "manager").await;
    let lw = app.users["lw"].to_string();
    let mut job = vec![
        ("user_id", lw.as_str()),
        ("employer_kind", "pcn"),
        ("employer_name", "North PCN"),
        ("wte", "1"),
        ("annual_salary", "30,000"),
        ("annual_oncosts", "7,000"),
        ("subcontract_monthly", "200"),
        ("afc_band", "5"),
        ("start_date", "2025-04-01"),
        ("end_date", ""),
    ];
    // A PCN employer cannot claim a sub-contracting contribution: refused, nothing saved.
    let refused = m.post("/workforce", &job).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("only when a sub-contracted provider employs"),
        "{}",
        refused.body
    );
    assert!(app.store.employments(app.pcn_a).await.unwrap().is_empty());
    job[6].1 = "";
    assert_eq!(
        m.post("/workforce", &job).await.status,
        StatusCode::SEE_OTHER
    );
    // A part-time sub-contracted colleague: 0.5 WTE, £13,000 + £2,600, £100 a month.
    let lw2 = app.users["lw2"].to_string();
    let job2 = [
        ("user_id", lw2.as_str()),
        ("employer_kind", "subcontracted"),
        ("employer_name", "Community Trust"),
        ("wte", "0.5"),
        ("annual_salary", "13000"),
        ("annual_oncosts", "2600"),
        ("subcontract_monthly", "100"),
        ("afc_band", "5"),
        ("start_date", "2026-01-16"),
        ("end_date", ""),
    ];
    assert_eq!(
        m.post("/workforce", &job2).await.status,
        StatusCode::SEE_OTHER
    );

    // No maximum for 2025/26 yet: the page says so and the export is refused.
    let page = m.get("/workforce/arrs?year=2025").await;
    assert!(page
        .body
        .contains("No maximum reimbursable amount is recorded for 2025/26"));
    assert_eq!(
        m.get("/workforce/arrs/arrs-year.csv?year=2025")
            .await
            .status,
        StatusCode::CONFLICT
    );
    // Only an administrator can add it.
    assert_eq!(
        m.post(
            "/admin/arrs",
            &[("year", "2025/26"), ("amount", "36428"), ("note", "")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    // The ARRS maximums are national: the deployment operator keeps them, not a PCN.
    let mut admin = signed_in(&app, "admin").await;
    assert_eq!(admin.get("/admin/arrs").await.status, StatusCode::FORBIDDEN);
    let mut admin = signed_in(&app, "operator").await;
    let bad = admin
        .post(
            "/admin/arrs",
            &[("year", "2025/27"), ("amount", "36428"), ("note", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = admin
        .post(
            "/admin/arrs",
            &[("year", "2025/26"), ("amount", "36,428"), ("note", "Test")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    // January 2026: full time £37,000 / 12 = £3,083.33, capped at £36,428 / 12 = £3,035.67.
    // Part time from 16 January (16 of 31 days): cost £15,600 × 16 / 372 = £670.97;
    // contribution £100 × 16 / 31 = £51.61; cap £18,214 × 16 / 372 = £783.40; claim £722.58.
    let rows = csv(
        &mut m,
        "/workforce/arrs/arrs-month.csv?year=2025&month=2026-01",
    )
    .await;
    assert_eq!(cell(&rows, "Test lw", 7), "3035.67");
    assert_eq!(cell(&rows, "Test lw", 8), "Yes");
    assert_eq!(cell(&rows, "Test lw2", 3), "16 of 31");
    assert_eq!(cell(&rows, "Test lw2", 4), "670.97");
    assert_eq!(cell(&rows, "Test lw2", 5), "51.61");
    assert_eq!(cell(&rows, "Test lw2", 7), "722.58");
    assert_eq!(cell(&rows, "Total", 7), "3758.25");
    let rows = csv(&mut m, "/workforce/arrs/arrs-year.csv?year=2025").await;
    assert_eq!(cell(&rows, "January 2026", 6), "3758.25");
    assert_eq!(cell(&rows, "December 2025", 6), "3035.67");
    let mut book = xlsx(
        &app,
        &mut m,
        "/workforce/arrs/claim.xlsx?year=2025&month=2026-01",
    )
    .await;
    let month_sheet = book.sheet_names()[1].clone();
    assert_eq!(sheet_number(&mut book, &month_sheet, "Total", 7), 3758.25);
    let page = m.get("/workforce/arrs?year=2025&month=2026-01").await;
    assert!(page.body.contains("£3,758.25"), "{}", page.body);

    // A month still to come is never shown as a claim.
    let today = domain::uk_time::today();
    let next = (today.with_day(1).unwrap() + chrono::Duration::days(40))
        .format("%Y-%m")
        .to_string();
    let future = m.get(&format!("/workforce/arrs?month={next}")).await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        future.body.contains("has not started yet"),
        "{}",
        future.body
    );
    let fy = domain::workforce::FinancialYear::of(today);
    let ok = admin
        .post(
            "/admin/arrs",
            &[
                ("year", &fy.label()),
                ("amount", "36,428"),
                ("note", "Test"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let rows = csv(
        &mut m,
        &format!("/workforce/arrs/arrs-year.csv?year={}", fy.0),
    )
    .await;
    for (y, mo) in fy.months() {
        let first = chrono::NaiveDate::from_ymd_opt(y, mo, 1).unwrap();
        if first > today {
            let name = first.format("%B %Y").to_string();
            assert_eq!(cell(&rows, &name, 1), "Not yet claimable", "{name}");
        }
    }
}

/// Finding 10 of issue 19: with the default settings, a small group is never shown: counts
/// from 1 to 4 and what they give away read "<5" on the page, in CSV and XLSX, on the
/// printable report and the dashboard, and each table says why.
pub(super) async fn small_numbers_are_withheld_everywhere(engine: Engine) {
    let app = spawn_app_on(engine).await;
    seed(&app).await;
    let mut m = signed_in(&app, "manager").await;
    m.post(
        "/reports/practices",
        &[(&format!("size_{}", app.practice_a), "5,000")],
    )
    .await;
    let rows = csv(&mut m, &format!("/reports/reach/practice.csv?{PERIOD}")).await;
    assert_eq!(
        &rows[1][..4],
        ["Hill Surgery", "<5", "5000", "<5"],
        "{rows:?}"
    );
    let rows = csv(&mut m, &format!("/reports/reach/age.csv?{PERIOD}")).await;
    assert_eq!(cell(&rows, "75–84", 1), "<5");
    let rows = csv(
        &mut m,
        &format!("/reports/referrals/decisions.csv?{PERIOD}"),
    )
    .await;
    assert_eq!(cell(&rows, "Accepted", 1), "<5");
    assert_eq!(
        cell(&rows, "Accepted", 2),
        "<5",
        "the share gives the count back"
    );
    let mut book = xlsx(
        &app,
        &mut m,
        &format!("/reports/referrals/report.xlsx?{PERIOD}"),
    )
    .await;
    let sheet = book
        .worksheet_range("What people decided")
        .expect("the decisions sheet");
    let accepted = sheet
        .rows()
        .find(|r| matches!(&r[0], Data::String(s) if s == "Accepted"))
        .expect("an Accepted row");
    assert_eq!(accepted[1].to_string(), "<5");
    for path in [
        format!("/reports/reach?{PERIOD}"),
        format!("/reports/print?{PERIOD}"),
        format!("/dashboard?{PERIOD}"),
    ] {
        let page = m.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        // "<5", escaped as HTML.
        assert!(
            page.body.contains("&#60;5") || page.body.contains("&lt;5"),
            "{path} shows no withheld figure"
        );
    }
    let page = m.get(&format!("/reports/reach?{PERIOD}")).await;
    assert!(page.body.contains("so that no one can be identified"));
    assert!(!page.body.contains(">4<"), "a count of four is shown");
}
