//! The first real job end to end: a referral comes in, is triaged to a link worker and
//! appears on their caseload; without consent it is refused and nothing is saved.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_referral_without_consent_is_refused_and_nothing_is_saved() {
    let app = spawn_app().await;
    let mut referrer = signed_in(&app, "referrer").await;
    let p = referrer
        .post("/referrals", &referral_fields("Colin", "Noconsent", false))
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p
        .body
        .contains("href=\"#consent\">The person must agree to be referred"));
    assert!(p.body.contains("id=\"consent-error\""));
    assert!(
        p.body.contains("value=\"Colin\""),
        "the form keeps what was typed"
    );
    assert!(app
        .store
        .unassigned_queue(app.pcn_a)
        .await
        .unwrap()
        .is_empty());
    let mut lw = signed_in(&app, "lw").await;
    assert!(lw
        .get("/people?name=noconsent")
        .await
        .body
        .contains("0 people found"));
}

#[tokio::test]
async fn referral_triage_and_caseload() {
    let app = spawn_app().await;
    let mut referrer = signed_in(&app, "referrer").await;
    // The referrer's own name and contact are filled in from their account.
    let form = referrer.get("/referrals/new").await;
    assert!(
        form.body.contains("value=\"Test referrer\""),
        "{}",
        form.body
    );
    assert!(form.body.contains("value=\"referrer@test.example\""));
    let p = referrer
        .post("/referrals", &referral_fields("Dorothy", "Queue", true))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/referrals/mine?done=referral"));
    let mine = referrer.get("/referrals/mine?done=referral").await;
    assert!(
        mine.body.contains("Referral sent")
            && mine.body.contains("Dorothy Queue")
            && mine.body.contains("Not yet assigned")
            && mine
                .body
                .contains("Waiting for a link worker to make contact")
    );

    let mut manager = signed_in(&app, "manager").await;
    let triage = manager.get("/triage").await;
    assert!(
        triage.body.contains("Unassigned referrals (1)") && triage.body.contains("QUEUE, Dorothy")
    );
    assert!(triage.body.contains("Soon (within a week)"));
    let queue = app.store.unassigned_queue(app.pcn_a).await.unwrap();
    let ep = &queue[0];
    let lw_id = app.users["lw"].to_string();
    let version = ep.episode_version.to_string();
    let p = manager
        .post(
            &format!("/episodes/{}/assign", ep.episode_id),
            &[
                ("version", &version),
                ("link_worker_id", &lw_id),
                ("back", "/triage"),
            ],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/triage?done=assigned"));
    assert!(manager
        .get("/triage")
        .await
        .body
        .contains("Unassigned referrals (0)"));

    let mut lw = signed_in(&app, "lw").await;
    let caseload = lw.get("/caseload").await;
    assert!(caseload.body.contains("QUEUE, Dorothy") && caseload.body.contains("Referred"));
    assert!(caseload
        .body
        .contains("people taken on in the last 12 months: below the 200–250 range"));
    let person = lw.get(&format!("/people/{}", ep.person_id)).await;
    assert!(
        person.body.contains("Assigned to Test lw")
            && person.body.contains("Referred by Dr Test (GP)")
    );
    assert!(person
        .body
        .contains("Loneliness or social isolation, Financial issues (debt, benefits)"));
    assert!(
        referrer
            .get("/referrals/mine")
            .await
            .body
            .contains("Test lw"),
        "the referrer hears who has it"
    );

    // The link worker moves the episode on; an illegal move is refused with the reason.
    let v = app
        .store
        .get_episode(app.pcn_a, ep.episode_id)
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string();
    let bad = lw
        .post(
            &format!("/episodes/{}/state", ep.episode_id),
            &[("version", &v), ("state", "active")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::CONFLICT);
    assert!(bad.body.contains("cannot become active"));
    let ok = lw
        .post(
            &format!("/episodes/{}/state", ep.episode_id),
            &[("version", &v), ("state", "contacting")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let filtered = lw.get("/caseload?state=contacting&sort=name").await;
    assert!(filtered.body.contains("QUEUE, Dorothy"));
    assert!(lw
        .get("/caseload?state=active")
        .await
        .body
        .contains("No episodes in this state"));
    // The supervisor can view the caseload; another link worker cannot.
    let mut sup = signed_in(&app, "supervisor").await;
    assert!(sup
        .get(&format!("/caseloads/{lw_id}"))
        .await
        .body
        .contains("QUEUE, Dorothy"));
    let mut lw2 = signed_in(&app, "lw2").await;
    assert_eq!(
        lw2.get(&format!("/caseloads/{lw_id}")).await.status,
        StatusCode::FORBIDDEN
    );

    // The referrer reads the message back about their referral once there is one.
    let message = format!("/referrals/mine/{}/message", ep.episode_id);
    let early = referrer.get(&message).await;
    assert_eq!(
        early.location.as_deref(),
        Some("/referrals/mine?done=no-message-back")
    );
    assert_eq!(sup.get(&message).await.status, StatusCode::FORBIDDEN);
    let v = app
        .store
        .get_episode(app.pcn_a, ep.episode_id)
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string();
    let closed = lw
        .post(
            &format!("/episodes/{}/close", ep.episode_id),
            &[
                ("version", &v),
                ("to", "declined"),
                ("why", "Has support from family now"),
            ],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    let mine = referrer.get("/referrals/mine").await;
    assert!(mine.body.contains(&format!("href=\"{message}\"")));
    let read = referrer.get(&message).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read
        .body
        .contains("<title>Message back about your referral"));
    assert!(read.body.contains("Dorothy Queue") && read.body.contains("For attention"));
    assert!(read.body.contains("Back to your referrals"));
    assert!(
        !read.body.contains("Send to the referrer"),
        "no sending from here"
    );
    // Staff who may read the record are sent to the full page.
    assert_eq!(
        lw.get(&message).await.location,
        Some(format!("/episodes/{}/message-back", ep.episode_id))
    );
    let audit = app
        .store
        .list_audit(&storage::AuditFilter {
            action_prefix: Some("message_back.view".into()),
            actor_id: Some(app.users["referrer"]),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1, "the referrer's read is audited");
}

#[tokio::test]
async fn the_audit_log_shows_reads_and_verifies() {
    let app = spawn_app().await;
    let mut lw = signed_in(&app, "lw").await;
    let id = add_person(&mut lw, &person_fields("Audrey", "Trail"))
        .await
        .to_string();
    lw.get(&format!("/people/{id}")).await;
    let mut manager = signed_in(&app, "manager").await;
    let log = manager.get(&format!("/audit?person_id={id}")).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(
        log.body.contains("(person.read)")
            && log
                .body
                .contains("Added a person <span class=\"secondary small\">(person.create)")
            && log.body.contains("lw@test.example")
    );
    // Filtered by words: "Sign-ins" covers every sign-in action, and nothing else.
    let filter = manager.get("/audit").await;
    assert!(filter
        .body
        .contains("<option value=\"signin.\">Sign-ins, failed and refused too</option>"));
    let other = manager.get("/audit?action=signin.").await;
    assert!(other
        .body
        .contains("Signed in <span class=\"secondary small\">(signin.success)"));
    assert!(!other.body.contains("(person.create)"));
    assert!(matches!(
        app.store.verify_audit().await.unwrap(),
        storage::AuditVerification::Intact { .. }
    ));
}

#[tokio::test]
async fn a_referral_joins_an_existing_record_only_when_nhs_number_birth_date_and_family_name_match()
{
    let app = spawn_app().await;
    let mut lw = signed_in(&app, "lw").await;
    let mut known = person_fields("Hilda", "Known");
    known.push(("nhs_number", "9434765919"));
    let hilda = add_person(&mut lw, &known).await;

    let mut referrer = signed_in(&app, "referrer").await;
    // Same NHS number, another name: a referrer must not learn who holds the number.
    let mut probe = referral_fields("Any", "Body", true);
    probe.push(("nhs_number", "9434765919"));
    assert_eq!(
        referrer.post("/referrals", &probe).await.status,
        StatusCode::SEE_OTHER
    );
    let mine = referrer.get("/referrals/mine").await;
    assert!(mine.body.contains("Any Body") && !mine.body.contains("Hilda"));
    assert!(app
        .store
        .episodes_for_person(app.pcn_a, hilda)
        .await
        .unwrap()
        .is_empty());

    // The same person, properly identified, joins Hilda's record.
    let mut same = referral_fields("Hilda", "KNOWN", true);
    same.push(("nhs_number", "943 476 5919"));
    assert_eq!(
        referrer.post("/referrals", &same).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.store
            .episodes_for_person(app.pcn_a, hilda)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// The "what matters" form puts the needs flagged at referral first and saves as it is
/// given: nothing is typed into a note for the link worker, so leaving a flagged need
/// unscored is not refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assessment_puts_referred_needs_first_and_saves_what_it_shows() {
    let app = spawn_app().await;
    let mut lw = signed_in(&app, "lw").await;
    // referral_fields flags loneliness and financial issues.
    let person = refer(&mut lw, "Wendy", "Matters").await;
    let ep = first_episode(&app, person).await.id;
    let form = lw.get(&format!("/episodes/{ep}/assessment")).await.body;
    let flagged = form
        .find("Needs flagged at referral")
        .expect("a flagged section");
    let other = form.find("Other needs").expect("the rest after");
    let lonely = form.find("id=\"score_loneliness\"").unwrap();
    let money = form.find("id=\"score_financial\"").unwrap();
    assert!(flagged < lonely && flagged < money && lonely < other && money < other);
    assert!(
        !form.contains("value=\"Flagged at referral\""),
        "no note typed in for them"
    );
    // The other needs are folded, closed while nothing in them is filled in.
    assert!(
        form.contains("<details class=\"details section\">\n  <summary class=\"details__summary\"><span class=\"details__summary-text\">Other needs</span>"),
        "{form}"
    );
    let today = domain::uk_time::today().to_string();
    let r = lw
        .post(
            &format!("/episodes/{ep}/assessment"),
            &[
                ("assessed_on", today.as_str()),
                ("what_matters", "Company on Sundays"),
                ("score_loneliness", "4"),
                ("note_loneliness", ""),
                ("score_financial", ""),
                ("note_financial", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}
