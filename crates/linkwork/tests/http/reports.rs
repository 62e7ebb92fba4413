//! Managers' reports over the real server, on a small fixed data set whose figures were
//! worked out by hand (in the comments). The CSV and XLSX exports are parsed back (XLSX
//! with calamine, an independent reader) and must give the same numbers; the ARRS claim
//! for a month comes out right; link workers, partners and others cannot open any of it,
//! and another PCN's manager sees none of this PCN's figures. On SQLite and PostgreSQL.

use crate::helpers::*;
use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, TimeZone, Utc};
use domain::{
    CareHomeTaskKind, CareHomeTaskStatus, Code, ConnectionKind, ConnectionStatus, ContactDetails,
    ContactType, EpisodeState, HealthPeriod, HealthUse, Instrument, Measure, MeasurePoint, Side,
};
use reqwest::StatusCode;
use storage::{
    Actor, ConnectionScope, Episode, NewCareHomeTask, NewConnection, NewRecord, PersonRef,
    SharedDetails, StatusChange,
};

fn t(m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, 10, 0, 0).unwrap()
}

const PERIOD: &str = "from=2026-01-01&to=2026-03-31";

async fn refer(app: &TestApp, family: &str, source: &str, at: DateTime<Utc>) -> Episode {
    let mut person = storage_tests::suite::person("Report", family, "1950-06-01");
    person.practice_id = Some(app.practice_a);
    let mut r = storage_tests::suite::referral();
    r.source = domain::ReferralSource::from_code(source).unwrap();
    let (_, ep) = app
        .store
        .create_referral(
            app.pcn_a,
            PersonRef::New(Box::new(person)),
            &r,
            None,
            at,
            &Actor::system("test"),
        )
        .await
        .unwrap();
    ep
}

/// Assigns to the link worker, records an attended phone call, then moves the episode.
async fn contact_then(
    app: &TestApp,
    ep: Episode,
    lw: i64,
    call: DateTime<Utc>,
    to: Option<(EpisodeState, DateTime<Utc>)>,
) -> Episode {
    let a = Actor::system("test");
    let ep = app
        .store
        .assign_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            lw,
            ep.referred_at + chrono::Duration::hours(2),
            &a,
        )
        .await
        .unwrap();
    let (_, ep) = app
        .store
        .record_contact(
            app.pcn_a,
            ep.id,
            ep.version,
            &ContactDetails {
                contact_type: ContactType::Telephone,
                at: call,
                duration_minutes: Some(20),
                did_not_attend: false,
                present: vec![],
                notes: String::new(),
            },
            &a,
        )
        .await
        .unwrap();
    match to {
        Some((state, at)) => app
            .store
            .transition_episode(app.pcn_a, ep.id, ep.version, state, None, at, &a)
            .await
            .unwrap(),
        None => ep,
    }
}

async fn record(app: &TestApp, ep: i64, kind: domain::RecordKind, body: String, at: DateTime<Utc>) {
    app.store
        .add_record(
            app.pcn_a,
            ep,
            &NewRecord {
                kind,
                status: String::new(),
                body,
                assigned_to: None,
                due_at: None,
                summary: "test".into(),
                at,
            },
            &Actor::system("test"),
        )
        .await
        .unwrap();
}

fn swemwbs(point: MeasurePoint, each: u8, on: DateTime<Utc>) -> String {
    let m = Measure {
        instrument: Instrument::Swemwbs,
        point,
        taken_on: on.date_naive(),
        items: Instrument::Swemwbs
            .items()
            .iter()
            .map(|(code, ..)| (code.to_string(), each))
            .collect(),
    };
    serde_json::to_string(&m).unwrap()
}

/// The fixed data set. In the period (Q1 2026), four referrals:
/// - E1 (GP) 5 Jan, first contact 7 Jan (2 days), accepted 8 Jan; SWEMWBS raw 14 (metric
///   15.32) on 10 Jan, raw 21 (19.25) on 10 Mar; GP 10 / A&E 2 before, 6 / 1 after; a
///   signpost and a referral to the partner, accepted after 4 days and completed.
/// - E2 (self-referral) 1 Feb, first contact 11 Feb (10 days), declined.
/// - E3 (GP) 1 Mar, first contact 5 Mar (4 days), unable to contact.
/// - E4 (GP) 20 Mar, waiting.
///
/// And one before the period (E5, 1 Dec 2025), which no figure for the period counts.
async fn seed(app: &TestApp) {
    let lw = app.users["lw"];
    let a = Actor::system("test");
    let e1 = refer(app, "One", "gp", t(1, 5)).await;
    let e1 = contact_then(
        app,
        e1,
        lw,
        t(1, 7),
        Some((EpisodeState::Accepted, t(1, 8))),
    )
    .await;
    let e2 = refer(app, "Two", "self", t(2, 1)).await;
    contact_then(
        app,
        e2,
        lw,
        t(2, 11),
        Some((EpisodeState::Declined, t(2, 11))),
    )
    .await;
    let e3 = refer(app, "Three", "gp", t(3, 1)).await;
    let e3 = contact_then(app, e3, lw, t(3, 5), None).await;
    app.store
        .transition_episode(
            app.pcn_a,
            e3.id,
            e3.version,
            EpisodeState::UnableToContact,
            None,
            t(3, 20),
            &a,
        )
        .await
        .unwrap();
    refer(app, "Four", "gp", t(3, 20)).await;
    refer(
        app,
        "Five",
        "gp",
        Utc.with_ymd_and_hms(2025, 12, 1, 10, 0, 0).unwrap(),
    )
    .await;

    use domain::RecordKind::{HealthUse as Hu, Measure as Me};
    record(
        app,
        e1.id,
        Me,
        swemwbs(MeasurePoint::Baseline, 2, t(1, 10)),
        t(1, 10),
    )
    .await;
    record(
        app,
        e1.id,
        Me,
        swemwbs(MeasurePoint::Review, 3, t(3, 10)),
        t(3, 10),
    )
    .await;
    let hu = |period, gp, ae| {
        serde_json::to_string(&HealthUse {
            period,
            gp_appointments: gp,
            ae_attendances: ae,
        })
        .unwrap()
    };
    record(app, e1.id, Hu, hu(HealthPeriod::Before, 10, 2), t(1, 10)).await;
    record(app, e1.id, Hu, hu(HealthPeriod::After, 6, 1), t(3, 15)).await;

    // The accepted code for E1 is recorded in the GP record; E2's declined code is not.
    let entries = app
        .store
        .coding_entries(app.pcn_a, None, true)
        .await
        .unwrap();
    let accepted = entries.iter().find(|e| e.episode_id == e1.id).unwrap();
    app.store
        .mark_coded(app.pcn_a, accepted.id, &a)
        .await
        .unwrap();

    let partner = app.store.list_partner_orgs().await.unwrap()[0].id;
    let conn = |kind, consent: bool, at| NewConnection {
        service_id: "not-in-directory".into(),
        service_name: "Allotment mornings".into(),
        organization_name: "Green Gym".into(),
        partner_org_id: (kind == ConnectionKind::Referral).then_some(partner),
        kind,
        consent_at: consent.then_some(at),
        shared: SharedDetails::default(),
        due_at: None,
        note: String::new(),
        at,
    };
    app.store
        .create_connection(
            app.pcn_a,
            e1.id,
            &conn(ConnectionKind::Signpost, false, t(1, 20)),
            &a,
        )
        .await
        .unwrap();
    let (r, _) = app
        .store
        .create_connection(
            app.pcn_a,
            e1.id,
            &conn(ConnectionKind::Referral, true, t(1, 20)),
            &a,
        )
        .await
        .unwrap();
    let mut version = r.version;
    for (to, at) in [
        (ConnectionStatus::Accepted, t(1, 24)),
        (ConnectionStatus::Completed, t(2, 28)),
    ] {
        version = app
            .store
            .update_connection(
                ConnectionScope::Partner(partner),
                r.id,
                version,
                &StatusChange {
                    to,
                    reason: None,
                    note: String::new(),
                    side: Side::Partner,
                    at: Some(at),
                },
                &a,
            )
            .await
            .unwrap()
            .version;
    }
    // Care homes: a prescription request done and a visit request open in the period,
    // and one from before it.
    for (kind, on, done) in [
        (CareHomeTaskKind::Prescription, t(2, 2), true),
        (CareHomeTaskKind::Visit, t(3, 3), false),
        (
            CareHomeTaskKind::Visit,
            Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0).unwrap(),
            false,
        ),
    ] {
        let task = app
            .store
            .create_care_home_task(
                app.pcn_a,
                &NewCareHomeTask {
                    care_home: "Willow Court".into(),
                    kind,
                    requested_on: on.date_naive(),
                    link_worker_id: Some(lw),
                    details: String::new(),
                },
                &a,
            )
            .await
            .unwrap();
        if done {
            app.store
                .set_care_home_task_status(
                    app.pcn_a,
                    task.id,
                    task.version,
                    CareHomeTaskStatus::Done,
                    on.date_naive(),
                    &a,
                )
                .await
                .unwrap();
        }
    }
}

/// Parses CSV with the `csv` crate (an independent reader) into rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

async fn csv(b: &mut Browser, path: &str) -> Vec<Vec<String>> {
    let page = b.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    parse_csv(&page.body)
}

fn cell<'a>(rows: &'a [Vec<String>], row: &str, col: usize) -> &'a str {
    &rows
        .iter()
        .find(|r| r[0] == row)
        .unwrap_or_else(|| panic!("no row {row} in {rows:?}"))[col]
}

async fn xlsx(app: &TestApp, b: &mut Browser, path: &str) -> Xlsx<std::io::Cursor<Vec<u8>>> {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .header("cookie", b.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let bytes = res.bytes().await.unwrap().to_vec();
    Xlsx::new(std::io::Cursor::new(bytes)).expect("a readable XLSX file")
}

/// The number in the row whose first cell is `row`, column `col`, of a sheet.
fn sheet_number(
    book: &mut Xlsx<std::io::Cursor<Vec<u8>>>,
    sheet: &str,
    row: &str,
    col: usize,
) -> f64 {
    let range = book
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    let r = range
        .rows()
        .find(|r| matches!(&r[0], Data::String(s) if s == row))
        .unwrap_or_else(|| panic!("no row {row} in sheet {sheet}"));
    match &r[col] {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("{sheet}/{row}/{col} is not a number: {other:?}"),
    }
}

async fn reports_match_hand_computed_figures(engine: Engine) {
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

#[tokio::test]
async fn reports_match_hand_computed_figures_sqlite() {
    reports_match_hand_computed_figures(Engine::Sqlite).await;
}

#[tokio::test]
async fn reports_match_hand_computed_figures_postgres() {
    reports_match_hand_computed_figures(Engine::Postgres).await;
}

async fn arrs_claim_for_a_month(engine: Engine) {
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

/// Finding 10 of issue 19: with the default settings, a small group is never shown: counts
/// from 1 to 4 and what they give away read "<5" on the page, in CSV and XLSX, on the
/// printable report and the dashboard, and each table says why.
async fn small_numbers_are_withheld_everywhere(engine: Engine) {
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
