//! Figures on a small hand-made set of facts, checked against values worked out by hand.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::field_reassign_with_default
)]

use super::*;
use chrono::{NaiveDate, TimeZone};
use storage::{CodingFact, ConnectionFact, ContactCount, RecordFact};

fn t(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

struct Dir;
impl DirectoryView for Dir {
    fn primary_category(&self, id: &str) -> Option<Category> {
        match id {
            "garden" => Some(Category::Gardening),
            "debt" => Some(Category::BenefitsDebt),
            _ => None,
        }
    }
    fn venues_for_need(&self, need: Need) -> Vec<(f64, f64)> {
        match need {
            // One venue in Leeds city centre.
            Need::Loneliness => vec![(53.7997, -1.5492)],
            _ => vec![],
        }
    }
}

fn ep(id: i64, referred: DateTime<Utc>) -> EpisodeFact {
    EpisodeFact {
        episode_id: id,
        person_id: id,
        practice_id: Some(1),
        link_worker_id: Some(10),
        source: "gp".into(),
        needs: "loneliness".into(),
        state: "referred".into(),
        discharge_reason: None,
        referred_at: referred,
        assigned_at: None,
        first_contact_at: None,
        accepted_at: None,
        closed_at: None,
        date_of_birth: NaiveDate::from_ymd_opt(1950, 6, 1).unwrap(),
        sex: "female".into(),
        ethnicity: Some("A".into()),
        carer_status: "not_a_carer".into(),
        has_access_needs: false,
        location: None,
        contacts_attended: 0,
        contacts_missed: 0,
    }
}

fn ctx(dir: &Dir) -> Context<'_> {
    Context {
        from: t(2026, 4, 1),
        to: t(2026, 7, 1),
        practices: vec![
            PracticeInfo {
                id: 1,
                name: "Riverside".into(),
                list_size: Some(8000),
            },
            PracticeInfo {
                id: 2,
                name: "Hillside".into(),
                list_size: None,
            },
        ],
        workers: vec![(10, "Sam".into()), (11, "Jess".into())],
        gap_distance_m: 5000.0,
        directory: dir,
    }
}

fn figure(r: &Report, table: &str, row: &str, col: usize) -> Cell {
    let t = r.table(table).unwrap();
    t.rows
        .iter()
        .find(|c| c[0] == Cell::text(row))
        .unwrap_or_else(|| panic!("no row {row} in {table}: {:?}", t.rows))[col]
        .clone()
}

#[test]
fn statistics() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    assert_eq!(median(&[]), None);
    // Nearest rank: 90% of 10 values is the 9th.
    let v: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(percentile(&v, 90.0), Some(9.0));
    assert_eq!(percentile(&[5.0], 90.0), Some(5.0));
    assert_eq!(pct(1, 3).map(|p| table::round(p, 1)), Some(33.3));
    assert_eq!(pct(1, 0), None);
}

#[test]
fn caseloads_and_contacts_by_type() {
    let dir = Dir;
    let c = ctx(&dir);
    let mut facts = ReportFacts::default();
    // Sam: one episode discharged in the period after 8 contacts, one taken on and open.
    let mut done = ep(1, t(2026, 1, 5));
    done.assigned_at = Some(t(2026, 1, 10));
    done.accepted_at = Some(t(2026, 1, 20));
    done.closed_at = Some(t(2026, 5, 10));
    done.state = "discharged".into();
    done.contacts_attended = 8;
    let mut open = ep(2, t(2026, 4, 25));
    open.assigned_at = Some(t(2026, 5, 1));
    open.state = "active".into();
    open.contacts_attended = 2;
    // Jess: open since before the 12 months.
    let mut old = ep(3, t(2025, 2, 20));
    old.link_worker_id = Some(11);
    old.assigned_at = Some(t(2025, 3, 1));
    old.state = "active".into();
    facts.episodes = vec![done, open, old];
    let count = |contact_type: &str, did_not_attend: bool, count: i64| ContactCount {
        contact_type: contact_type.into(),
        did_not_attend,
        count,
    };
    facts.contacts = vec![
        count("group", false, 3),
        count("telephone", false, 5),
        count("telephone", true, 2),
        count("carrier_pigeon", false, 1),
    ];
    let r = build(ReportKind::Caseloads, &facts, &c);
    assert_eq!(
        figure(&r, "per-worker", "Sam", 1),
        Cell::Int(1),
        "open at end"
    );
    assert_eq!(figure(&r, "per-worker", "Sam", 2), Cell::Int(2), "taken on");
    assert_eq!(
        figure(&r, "per-worker", "Sam", 4),
        Cell::Int(1),
        "discharged"
    );
    assert_eq!(figure(&r, "per-worker", "Sam", 5), Cell::Num(Some(8.0), 1));
    assert_eq!(figure(&r, "per-worker", "Sam", 6), Cell::Pct(Some(100.0)));
    assert_eq!(figure(&r, "per-worker", "Jess", 1), Cell::Int(1));
    assert_eq!(figure(&r, "per-worker", "Jess", 2), Cell::Int(0));
    // Counted contacts come through by type, attended and not; unknown types as "Other".
    assert_eq!(figure(&r, "contact-types", "Telephone", 1), Cell::Int(5));
    assert_eq!(figure(&r, "contact-types", "Telephone", 2), Cell::Int(2));
    assert_eq!(
        figure(&r, "contact-types", "Group session", 1),
        Cell::Int(3)
    );
    assert_eq!(figure(&r, "contact-types", "Other", 1), Cell::Int(1));
}

#[test]
fn each_report_reads_only_the_facts_it_uses() {
    assert_eq!(needs(&[ReportKind::Referrals]), FactNeeds::default());
    assert_eq!(
        needs(&[ReportKind::Caseloads, ReportKind::Outcomes]),
        FactNeeds {
            contacts: true,
            records: true,
            ..FactNeeds::default()
        }
    );
    assert_eq!(needs(ReportKind::ALL), FactNeeds::ALL);
}

#[test]
fn referrals_waiting_and_decisions() {
    let mut facts = ReportFacts::default();
    // Four referrals in the period, one before it.
    let mut a = ep(1, t(2026, 4, 1));
    a.first_contact_at = Some(t(2026, 4, 3)); // 2 days
    a.accepted_at = Some(t(2026, 4, 5));
    a.state = "active".into();
    let mut b = ep(2, t(2026, 5, 1));
    b.first_contact_at = Some(t(2026, 5, 11)); // 10 days
    b.state = "declined".into();
    b.source = "self_referral".into();
    b.needs = "loneliness,financial".into();
    let mut c = ep(3, t(2026, 6, 1));
    c.first_contact_at = Some(t(2026, 6, 5)); // 4 days
    c.state = "unable_to_contact".into();
    let d = ep(4, t(2026, 6, 20)); // still waiting
    let mut old = ep(5, t(2026, 3, 1));
    old.first_contact_at = Some(t(2026, 3, 31));
    facts.episodes = vec![a, b, c, d, old];
    let dir = Dir;
    let r = build(ReportKind::Referrals, &facts, &ctx(&dir));
    assert_eq!(r.headlines[0].value, Cell::Int(4));
    // Waits 2, 4, 10: median 4; 90th percentile by nearest rank = ceil(2.7) = 3rd = 10.
    assert_eq!(figure(&r, "waiting", "Median", 1), Cell::Num(Some(4.0), 1));
    assert_eq!(
        figure(&r, "waiting", "90th percentile", 1),
        Cell::Num(Some(10.0), 1)
    );
    assert_eq!(figure(&r, "waiting", "Median", 2), Cell::Int(3));
    assert_eq!(figure(&r, "decisions", "Accepted", 1), Cell::Int(1));
    assert_eq!(
        figure(&r, "decisions", "Accepted", 2),
        Cell::Pct(Some(25.0))
    );
    assert_eq!(figure(&r, "decisions", "Declined", 1), Cell::Int(1));
    assert_eq!(
        figure(&r, "decisions", "Unable to contact", 1),
        Cell::Int(1)
    );
    assert_eq!(
        figure(&r, "decisions", "Waiting for a decision", 1),
        Cell::Int(1)
    );
    assert_eq!(figure(&r, "by-source", "GP", 1), Cell::Int(3));
    assert_eq!(
        figure(&r, "by-need", "Loneliness or social isolation", 1),
        Cell::Int(4)
    );
    assert_eq!(
        figure(&r, "by-need", "Loneliness or social isolation", 2),
        Cell::Pct(Some(100.0))
    );
}

#[test]
fn outcomes_pair_baseline_with_latest() {
    let sw = |point: &str, score: u8| {
        let items: BTreeMap<String, u8> = (1..=7).map(|i| (format!("q{i}"), score)).collect();
        serde_json::json!({"instrument": "swemwbs", "point": point, "taken_on": "2026-04-01", "items": items}).to_string()
    };
    let rec = |e: i64, body: String, at| RecordFact {
        episode_id: e,
        kind: "measure".into(),
        body,
        created_at: at,
    };
    let mut facts = ReportFacts::default();
    facts.records = vec![
        // Episode 1: raw 14 → 21 (metric 15.32 → 19.25, +3.93), review then discharge: latest counts.
        rec(1, sw("baseline", 2), t(2026, 1, 10)),
        rec(1, sw("review", 2), t(2026, 3, 10)),
        rec(1, sw("discharge", 3), t(2026, 5, 10)),
        // Episode 2: raw 28 → 21 (25.03 → 19.25, −5.78).
        rec(2, sw("baseline", 4), t(2026, 2, 1)),
        rec(2, sw("review", 3), t(2026, 6, 1)),
        // Episode 3: baseline only — not counted.
        rec(3, sw("baseline", 3), t(2026, 5, 1)),
        // Episode 4: follow-up before the period — not counted.
        rec(4, sw("baseline", 1), t(2025, 12, 1)),
        rec(4, sw("review", 5), t(2026, 3, 1)),
    ];
    let dir = Dir;
    let r = build(ReportKind::Outcomes, &facts, &ctx(&dir));
    let row = |c| figure(&r, "change", "SWEMWBS metric score", c);
    assert_eq!(row(1), Cell::Int(2));
    // Mean baseline (15.32 + 25.03) / 2 = 20.175; latest 19.25; change (3.93 − 5.78) / 2 = −0.925.
    assert_eq!(row(2).number(), Some(20.18));
    assert_eq!(row(3).number(), Some(19.25));
    assert_eq!(row(4).number(), Some(-0.93));
    assert_eq!(row(5), Cell::Pct(Some(50.0)));
}

#[test]
fn connections_close_the_loop() {
    let conn = |id: i64,
                service: &str,
                kind: &str,
                status: &str,
                reason: Option<&str>,
                answered: Option<u32>| ConnectionFact {
        episode_id: id,
        service_id: service.into(),
        kind: kind.into(),
        status: status.into(),
        reason: reason.map(String::from),
        created_at: t(2026, 5, 1),
        answered_at: answered.map(|d| t(2026, 5, 1 + d)),
    };
    let mut facts = ReportFacts::default();
    facts.connections = vec![
        conn(1, "garden", "signpost", "completed", None, None),
        conn(1, "garden", "referral", "completed", None, Some(2)),
        conn(
            2,
            "garden",
            "referral",
            "rejected",
            Some("no_capacity"),
            Some(4),
        ),
        conn(3, "debt", "referral", "in_progress", None, Some(6)),
        conn(4, "debt", "referral", "requested", None, None),
        conn(5, "gone", "referral", "cancelled", None, None),
    ];
    let dir = Dir;
    let r = build(ReportKind::Connections, &facts, &ctx(&dir));
    assert_eq!(
        figure(
            &r,
            "by-category",
            "Gardening and nature-based activities",
            1
        ),
        Cell::Int(1)
    );
    assert_eq!(
        figure(
            &r,
            "by-category",
            "Gardening and nature-based activities",
            2
        ),
        Cell::Int(2)
    );
    assert_eq!(
        figure(&r, "by-category", "Not in the directory", 2),
        Cell::Int(1)
    );
    // 4 referrals not cancelled; outcome reported on 2 (completed, rejected) = 50%.
    assert_eq!(
        figure(&r, "loop", "Outcome reported (closed loop)", 1),
        Cell::Int(2)
    );
    assert_eq!(
        figure(&r, "loop", "Outcome reported (closed loop)", 2),
        Cell::Pct(Some(50.0))
    );
    assert_eq!(figure(&r, "loop", "Accepted", 1), Cell::Int(2));
    // Answered after 2, 4 and 6 days: median 4.
    assert_eq!(figure(&r, "response", "Median", 1), Cell::Num(Some(4.0), 1));
    assert_eq!(figure(&r, "rejections", "No capacity", 1), Cell::Int(1));
    let g = build(ReportKind::Gaps, &facts, &ctx(&dir));
    assert_eq!(
        figure(
            &g,
            "no-capacity",
            "Gardening and nature-based activities",
            1
        ),
        Cell::Int(1)
    );
}

#[test]
fn gaps_reach_coding_and_health_use() {
    let mut facts = ReportFacts::default();
    let mut near = ep(1, t(2026, 5, 1));
    near.location = Some((53.8008, -1.5491)); // ~120 m from the venue
    let mut far = ep(2, t(2026, 5, 2));
    far.location = Some((54.5, -1.5)); // ~78 km away
    far.practice_id = Some(2);
    far.carer_status = "carer".into();
    far.date_of_birth = NaiveDate::from_ymd_opt(2000, 5, 3).unwrap();
    let mut debt = ep(3, t(2026, 5, 3));
    debt.needs = "financial".into();
    debt.location = Some((53.8, -1.55));
    facts.episodes = vec![near, far, debt];
    let dir = Dir;
    let g = build(ReportKind::Gaps, &facts, &ctx(&dir));
    assert_eq!(
        figure(&g, "needs", "Loneliness or social isolation", 1),
        Cell::Int(2)
    );
    assert_eq!(
        figure(&g, "needs", "Loneliness or social isolation", 2),
        Cell::Int(1)
    );
    assert_eq!(
        figure(&g, "needs", "Financial issues (debt, benefits)", 2),
        Cell::Int(1)
    );

    let r = build(ReportKind::Reach, &facts, &ctx(&dir));
    assert_eq!(figure(&r, "practice", "Riverside", 1), Cell::Int(2));
    // 2 referrals per 8,000 registered = 0.25 per 1,000.
    assert_eq!(
        figure(&r, "practice", "Riverside", 3),
        Cell::Num(Some(0.25), 2)
    );
    assert_eq!(
        figure(&r, "practice", "Hillside", 2),
        Cell::text("Not entered")
    );
    // Born 3 May 2000, referred 2 May 2026: still 25.
    assert_eq!(figure(&r, "age", "25–34", 1), Cell::Int(1));
    assert_eq!(figure(&r, "age", "75–84", 1), Cell::Int(2));
    assert_eq!(figure(&r, "carers", "Is a carer", 1), Cell::Int(1));

    facts.coding = vec![
        CodingFact {
            episode_id: 1,
            practice_id: Some(1),
            concept_id: "871731000000106".into(),
            recorded: true,
            queued_at: t(2026, 5, 1),
        },
        CodingFact {
            episode_id: 2,
            practice_id: Some(1),
            concept_id: "871731000000106".into(),
            recorded: false,
            queued_at: t(2026, 5, 1),
        },
        CodingFact {
            episode_id: 3,
            practice_id: Some(1),
            concept_id: "871711000000103".into(),
            recorded: true,
            queued_at: t(2026, 5, 1),
        },
    ];
    let c = build(ReportKind::Coding, &facts, &ctx(&dir));
    assert_eq!(
        figure(&c, "by-practice", "Riverside", 4).number(),
        Some(66.7)
    );
    assert_eq!(figure(&c, "by-practice", "Hillside", 1), Cell::Int(0));

    let hu = |e: i64, period: &str, gp: u16, ae: u16, at| RecordFact {
        episode_id: e,
        kind: "health_use".into(),
        body: serde_json::json!({"period": period, "gp_appointments": gp, "ae_attendances": ae})
            .to_string(),
        created_at: at,
    };
    facts.records = vec![
        hu(1, "before", 10, 2, t(2025, 6, 1)),
        hu(1, "after", 6, 1, t(2026, 5, 1)),
        hu(2, "before", 6, 0, t(2025, 6, 1)),
        hu(2, "after", 3, 1, t(2026, 6, 1)),
        hu(3, "before", 9, 9, t(2025, 6, 1)), // no after: not counted
    ];
    let h = build(ReportKind::HealthUse, &facts, &ctx(&dir));
    // GP: 16 before, 9 after: −43.75%. A&E: 2 before, 2 after: 0%.
    assert_eq!(
        figure(&h, "before-after", "GP appointments", 1),
        Cell::Int(2)
    );
    assert_eq!(
        figure(&h, "before-after", "GP appointments", 2),
        Cell::Int(16)
    );
    assert_eq!(
        figure(&h, "before-after", "GP appointments", 3),
        Cell::Int(9)
    );
    assert_eq!(
        figure(&h, "before-after", "GP appointments", 6).number(),
        Some(-43.8)
    );
    assert_eq!(
        figure(&h, "before-after", "A&E attendances", 6),
        Cell::Pct(Some(0.0))
    );
}

#[test]
fn personal_health_budgets_count_each_episodes_latest_plan() {
    let plan = |e: i64, phb: &str, at| RecordFact {
        episode_id: e,
        kind: "plan".into(),
        body: serde_json::json!({
            "agreed_on": "2026-05-01", "what_matters": "x", "goals": ["y"], "actions": [],
            "review_on": "2026-07-01",
            "phb": {"status": phb, "referred_on": "2026-05-02"}
        })
        .to_string(),
        created_at: at,
    };
    let mut facts = ReportFacts::default();
    facts.records = vec![
        plan(1, "may_be_eligible", t(2026, 5, 1)),
        plan(1, "referred", t(2026, 5, 3)), // the later plan of episode 1 counts
        plan(2, "declined", t(2026, 5, 4)),
        plan(3, "not_discussed", t(2026, 5, 5)),
        RecordFact {
            episode_id: 4,
            kind: "plan".into(),
            // A plan saved before budgets were recorded: not discussed.
            body: r#"{"agreed_on":"2026-05-01","what_matters":"x","goals":["y"],"actions":[],"review_on":"2026-07-01"}"#.into(),
            created_at: t(2026, 5, 6),
        },
    ];
    let dir = Dir;
    let r = build(ReportKind::Connections, &facts, &ctx(&dir));
    let row = |label: &str| figure(&r, "phb", label, 1);
    assert_eq!(
        row("Referred to the personal health budget team"),
        Cell::Int(1)
    );
    assert_eq!(
        row("Discussed: they may be eligible, not yet referred"),
        Cell::Int(0)
    );
    assert_eq!(row("Discussed: they do not want one"), Cell::Int(1));
    assert_eq!(row("Not discussed yet"), Cell::Int(2));
    assert_eq!(
        row("Explored with the person (all but not discussed)"),
        Cell::Int(2)
    );
}

#[test]
fn rates_from_fewer_than_ten_are_flagged() {
    let mut facts = ReportFacts::default();
    let t0 = t(2026, 5, 1);
    facts.episodes = (1..=3).map(|i| ep(i, t0)).collect();
    let dir = Dir;
    let r = build(ReportKind::Referrals, &facts, &ctx(&dir));
    let accepted = r.headlines.iter().find(|h| h.label == "Accepted").unwrap();
    assert_eq!(accepted.base, Some(3));
    assert!(accepted.small_base(), "3 referrals: read with care");
    facts.episodes = (1..=12).map(|i| ep(i, t0)).collect();
    let r = build(ReportKind::Referrals, &facts, &ctx(&dir));
    let accepted = r.headlines.iter().find(|h| h.label == "Accepted").unwrap();
    assert!(!accepted.small_base(), "12 referrals");
    // Counts are not rates: no warning whatever their size.
    assert!(r
        .headlines
        .iter()
        .filter(|h| h.base.is_none())
        .all(|h| !h.small_base()));
}
