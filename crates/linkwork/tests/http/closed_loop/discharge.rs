//! One person from referral to discharge over the real server: accept, assessment, plan,
//! measures, matching, a consented referral the partner answers, safeguarding, referral
//! back, health use and discharge; bad input refused with reasons and nothing changed.

use super::{partner_service, records, version};
use crate::helpers::*;
use reqwest::StatusCode;

pub async fn referral_to_discharge_and_the_partner_loop(app: &TestApp) {
    let service = partner_service(app).await;
    let mut lw = signed_in(app, "lw").await;
    let person = refer(&mut lw, "Olive", "Loop").await;
    let ep = first_episode(app, person).await.id;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let now_hm = chrono::Utc::now().format("%H:%M").to_string();
    // A missed call: closing as unable to contact needs three attempts.
    let v = version(app, ep).await;
    let r = lw
        .post(
            &format!("/episodes/{ep}/contacts"),
            &[
                ("version", &v),
                ("contact_type", "telephone"),
                ("date", &today),
                ("time", &now_hm),
                ("did_not_attend", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let v = version(app, ep).await;
    let r = lw
        .post(
            &format!("/episodes/{ep}/close"),
            &[
                ("version", &v),
                ("to", "unable_to_contact"),
                ("why", "One call, no answer"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("at least 3 times"), "{}", r.body);
    // The person accepts: the referral code is queued for their practice, once.
    let r = lw
        .post(
            &format!("/episodes/{ep}/state"),
            &[("version", &v), ("state", "accepted")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let coding = lw.get("/coding").await;
    assert!(coding.body.contains("871731000000106"), "{}", coding.body);
    assert!(coding.body.contains("Olive Loop"));

    // Assessment: out-of-range scores are refused with the field named; nothing saved.
    let bad = lw
        .post(
            &format!("/episodes/{ep}/assessment"),
            &[
                ("assessed_on", &today),
                ("what_matters", "Getting out and meeting people"),
                ("score_loneliness", "7"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("whole number from 1 to 5"),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains("Getting out and meeting people"),
        "input kept"
    );
    assert_eq!(records(app, person).await, 0);
    let ok = lw
        .post(
            &format!("/episodes/{ep}/assessment"),
            &[
                ("assessed_on", &today),
                ("what_matters", "Getting out and meeting people"),
                ("score_loneliness", "4"),
                ("interests", "gardening"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // Plan, then its print view.
    let review = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    // A new action due before today is questioned like the review date; nothing saved.
    let past = (domain::uk_time::today() - chrono::Duration::days(3)).to_string();
    let before = records(app, person).await;
    let bad = lw
        .post(
            &format!("/episodes/{ep}/plan"),
            &[
                ("based_on", "0"),
                ("what_matters", "Getting out and meeting people"),
                ("goal_1", "Go to a gardening group every week"),
                ("action_what_1", "Visit the allotment"),
                ("action_owner_1", "person"),
                ("action_due_1", &past),
                ("review_on", &review),
                ("phb_status", "referred"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body
            .contains("Enter the date they were referred to the personal health budget team"),
        "a PHB referral needs its date"
    );
    assert!(
        bad.body.contains("Action 1 is due before today"),
        "{}",
        bad.body
    );
    assert_eq!(records(app, person).await, before);
    let ok = lw
        .post(
            &format!("/episodes/{ep}/plan"),
            &[
                ("based_on", "0"),
                ("what_matters", "Getting out and meeting people"),
                ("goal_1", "Go to a gardening group every week"),
                ("action_what_1", "Visit the allotment"),
                ("action_owner_1", "person"),
                ("action_due_1", &review),
                ("review_on", &review),
                ("phb_status", "referred"),
                ("phb_basis", "local"),
                ("phb_referred_on", &today),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // The personal health budget shows on the person page and its timeline, and the
    // manager's connections report counts it.
    let page = lw.get(&format!("/people/{person}")).await;
    assert!(page.body.contains(
        "<strong>Personal health budget:</strong> Referred to the personal health budget team"
    ));
    assert!(page.body.contains("s discretion"), "why they may have one");
    assert!(page
        .body
        .contains(". Personal health budget: Referred to the personal health budget team"));
    let mut manager = signed_in(app, "manager").await;
    let report = manager.get("/reports/connections").await;
    assert!(
        report.body.contains("Personal health budgets"),
        "{}",
        report.body
    );
    let print = lw.get(&format!("/episodes/{ep}/plan/print")).await;
    assert!(print.body.contains("My care and support plan"));
    assert!(print.body.contains("Go to a gardening group every week"));
    // Outcome measures: a range check, then baseline and review show a change.
    let mut items: Vec<(&str, &str)> = vec![
        ("instrument", "ons4"),
        ("point", "baseline"),
        ("taken_on", &today),
        ("life_satisfaction", "11"),
        ("worthwhile", "4"),
        ("happiness", "4"),
        ("anxiety", "7"),
    ];
    let bad = lw.post(&format!("/episodes/{ep}/measures"), &items).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("from 0 to 10"), "{}", bad.body);
    items[3].1 = "3";
    assert_eq!(
        lw.post(&format!("/episodes/{ep}/measures"), &items)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // A review dated the same day as the baseline is questioned and not saved...
    items[1].1 = "review";
    items[3].1 = "6";
    let before = records(app, person).await;
    let same = lw.post(&format!("/episodes/{ep}/measures"), &items).await;
    assert_eq!(same.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(same.body.contains("was also taken on"), "{}", same.body);
    assert_eq!(records(app, person).await, before);
    // ...until the link worker says it was.
    items.push(("same_day", "yes"));
    let ok = lw.post(&format!("/episodes/{ep}/measures"), &items).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // The instruments read as published: the stem and every answer's words.
    let form = lw
        .get(&format!("/episodes/{ep}/measures/new?instrument=swemwbs"))
        .await;
    for want in [
        "Below are some statements about feelings and thoughts",
        "over the last 2 weeks",
        "None of the time",
        "Some of the time",
        "All of the time",
    ] {
        assert!(form.body.contains(want), "{want}: {}", form.body);
    }
    assert!(
        !form.body.contains("(optional)"),
        "every item must be answered"
    );
    let form = lw
        .get(&format!("/episodes/{ep}/measures/new?instrument=ons4"))
        .await;
    assert!(form.body.contains("0 – Not at all"), "{}", form.body);
    assert!(form.body.contains("10 – Completely anxious"));
    let page = lw.get(&format!("/people/{person}")).await;
    assert!(page.body.contains("<svg class=\"chart\""), "chart shown");
    assert!(
        page.body
            .contains("Life satisfaction: 3 to 6, up by 3 (better)"),
        "{}",
        page.body
    );

    // Matching proposes the partner's service with its reasons.
    let m = lw.get(&format!("/episodes/{ep}/match")).await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.body.contains("Allotment mornings"), "{}", m.body);
    assert!(m.body.contains("Matches their interest in gardening"));
    // A referral without consent is refused; nothing is sent.
    let bad = lw
        .post(
            &format!("/episodes/{ep}/connections"),
            &[
                ("kind", "referral"),
                ("service", &service),
                ("share_phone", "yes"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("agrees to share"), "{}", bad.body);
    assert!(app
        .store
        .connections_for_person(app.pcn_a, person)
        .await
        .unwrap()
        .is_empty());
    let ok = lw
        .post(
            &format!("/episodes/{ep}/connections"),
            &[
                ("kind", "referral"),
                ("service", &service),
                ("consent", "yes"),
                ("about", "Would like to meet people"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let conn = app
        .store
        .connections_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .clone();
    assert_eq!(conn.shared.name, "Olive Loop");
    assert!(conn.shared.phone.is_empty(), "phone not ticked, not shared");
    // The same referral sent again (a second click) is refused, saying why; nothing added.
    let twice = lw
        .post(
            &format!("/episodes/{ep}/connections"),
            &[
                ("kind", "referral"),
                ("service", &service),
                ("consent", "yes"),
                ("about", "Would like to meet people"),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert!(
        twice.body.contains("was already referred"),
        "{}",
        twice.body
    );
    assert_eq!(
        app.store
            .connections_for_person(app.pcn_a, person)
            .await
            .unwrap()
            .len(),
        1
    );
    let ep_now = app.store.get_episode(app.pcn_a, ep).await.unwrap().unwrap();
    assert_eq!(ep_now.state, domain::EpisodeState::Active);

    // The partner sees the referral with only the shared details, and answers it.
    let mut p = signed_in(app, "partner").await;
    let list = p.get("/partner/referrals").await;
    assert!(list.body.contains("Olive Loop"));
    let detail = p.get(&format!("/partner/referrals/{}", conn.id)).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("Would like to meet people"));
    assert!(!detail.body.contains("1958"), "no date of birth");
    // The partner cannot reach the person's record.
    assert_eq!(
        p.get(&format!("/people/{person}")).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = p
        .post(
            &format!("/partner/referrals/{}", conn.id),
            &[("version", &conn.version.to_string()), ("to", "rejected")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("reason"), "{}", bad.body);
    for (v, to) in (conn.version..).zip(["accepted", "in-progress", "completed"]) {
        let r = p
            .post(
                &format!("/partner/referrals/{}", conn.id),
                &[("version", &v.to_string()), ("to", to)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{to}: {}", r.body);
    }
    let page = lw.get(&format!("/people/{person}")).await;
    assert!(
        page.body.contains("Completed (attended)"),
        "status on the person page"
    );
    assert!(page.body.contains("referral completed"), "on the timeline");

    // Safeguarding to the GP supervisor, who closes it with the action taken.
    let sup = app.users["supervisor"].to_string();
    let bad = lw
        .post(
            &format!("/episodes/{ep}/safeguarding"),
            &[("concern", ""), ("raised_to", &sup)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Structured as safeguarding teams ask: each missing part is named, nothing saved.
    for (field, says) in [
        ("about", "adult or a child"),
        ("kinds", "at least one kind of abuse"),
        ("urgency", "how urgent"),
        ("la_contacted", "safeguarding team has been contacted"),
    ] {
        assert!(bad.body.contains(says), "{field}: {}", bad.body);
    }
    let contacted_no_date = lw
        .post(
            &format!("/episodes/{ep}/safeguarding"),
            &[
                ("about", "adult"),
                ("kinds", "physical"),
                ("urgency", "immediate"),
                ("concern", "Bruising on both arms"),
                ("la_contacted", "yes"),
                ("raised_to", &sup),
            ],
        )
        .await;
    assert_eq!(contacted_no_date.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(contacted_no_date
        .body
        .contains("Enter the date the local authority was contacted"));
    let ok = lw
        .post(
            &format!("/episodes/{ep}/safeguarding"),
            &[
                ("about", "adult"),
                ("kinds", "physical"),
                ("kinds", "domestic"),
                ("urgency", "immediate"),
                ("concern", "Bruising on both arms"),
                ("action_so_far", "Told her how to call 999"),
                ("la_contacted", "no"),
                ("raised_to", &sup),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let mut s = signed_in(app, "supervisor").await;
    let dash = s.get("/safeguarding").await;
    assert!(dash.body.contains("Bruising on both arms"));
    assert!(dash.body.contains("Physical abuse, Domestic abuse"));
    assert!(dash.body.contains("Immediate risk: act today"));
    assert!(dash.body.contains("Open 0 hours") && dash.body.contains("Not contacted"));
    assert!(!dash.body.contains("Overdue"), "raised just now");
    let rec = app
        .store
        .records_by_status(app.pcn_a, domain::RecordKind::Safeguarding, "open", None)
        .await
        .unwrap()[0]
        .clone();
    // A link worker cannot close it.
    let r = lw
        .post(
            &format!("/safeguarding/{}", rec.id),
            &[("version", "1"), ("action", "Closed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = s
        .post(
            &format!("/safeguarding/{}", rec.id),
            &[
                ("version", "1"),
                ("action", "GP reviewed; adult social care told"),
                ("la_contacted", "yes"),
                ("la_contacted_on", &today),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let closed = app
        .store
        .get_record(app.pcn_a, rec.id)
        .await
        .unwrap()
        .unwrap();
    let closed: domain::Safeguarding = closed.parse().unwrap();
    assert_eq!(closed.la_contacted, Some(true));
    assert!(!s
        .get("/safeguarding")
        .await
        .body
        .contains("Bruising on both arms"));

    // Referral back and health service use.
    let r = lw
        .post(
            &format!("/episodes/{ep}/referral-back"),
            &[("clinician", "Dr Shah"), ("reason", "Low mood")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let bad = lw
        .post(
            &format!("/episodes/{ep}/health-use"),
            &[
                ("period", "before"),
                ("gp_appointments", "-3"),
                ("ae_attendances", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Discharge needs a reason and a summary; then the episode is closed, a new one can open.
    let v = version(app, ep).await;
    let bad = lw
        .post(
            &format!("/episodes/{ep}/discharge"),
            &[("version", &v), ("reason", "goals_met")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = lw
        .post(
            &format!("/episodes/{ep}/discharge"),
            &[
                ("version", &v),
                ("reason", "goals_met"),
                ("summary", "Gardening weekly and feels better"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = lw.get(&format!("/people/{person}")).await;
    assert!(page.body.contains("Gardening weekly and feels better"));
    // The message back flags the referral back and the safeguarding concern (without its
    // details) and says how it was sent.
    let message = lw.get(&format!("/episodes/{ep}/message-back")).await;
    assert!(message.body.contains("For attention"));
    assert!(
        message.body.contains("Referred back to Dr Shah on"),
        "{}",
        message.body
    );
    assert!(message
        .body
        .contains("A safeguarding concern was raised on"));
    assert!(message
        .body
        .contains("reviewed and closed by the GP supervisor"));
    assert!(
        !message.body.contains("Bruising"),
        "no safeguarding details"
    );
    assert!(message.body.contains("How it was sent:"));
    assert!(message.body.contains("Personal health budget: Referred"));
    let again = lw.get(&format!("/episodes/{ep}/plan")).await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "closed episodes take no plan"
    );
    // Another PCN sees nothing of it.
    let mut other = signed_in(app, "lw_b").await;
    assert_eq!(
        other
            .get(&format!("/episodes/{ep}/assessment"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Every step is on the audit log.
    let audit = app.store.all_audit().await.unwrap();
    for action in [
        "assessment.create",
        "plan.create",
        "measure.create",
        "connection.create",
        "connection.status",
        "safeguarding.create",
        "safeguarding.update",
        "referral_back.create",
        "episode.discharge",
        "coding.queue",
    ] {
        assert!(audit.iter().any(|a| a.action == action), "{action} audited");
    }
}
