//! Closing an episode from the person page asks to confirm, with a reason, is only offered
//! when allowed, and can be undone for 14 days: reopening withdraws the GP-record code the
//! close queued if the practice does not have it yet, and says so when it does.

use super::version;
use crate::helpers::*;
use reqwest::StatusCode;

const DECLINED: &str = "871711000000103";

async fn state(app: &TestApp, ep: i64) -> domain::EpisodeState {
    app.store
        .get_episode(app.pcn_a, ep)
        .await
        .unwrap()
        .unwrap()
        .state
}

async fn declined_codes(app: &TestApp, person: i64) -> Vec<storage::CodingEntry> {
    app.store
        .coding_for_person(app.pcn_a, person)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.concept_id == DECLINED)
        .collect()
}

async fn timeline(app: &TestApp, person: i64) -> String {
    app.store
        .timeline(app.pcn_a, person)
        .await
        .unwrap()
        .iter()
        .map(|e| e.summary.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

pub async fn closing_asks_and_can_be_undone(app: &TestApp) {
    let mut lw = signed_in(app, "lw").await;
    let person = refer(&mut lw, "Delia", "Cline").await;
    let ep = first_episode(app, person).await.id;
    let page = format!("/people/{person}");

    // "Person declines" is a link to a confirmation page, not a one-click form.
    let p = lw.get(&page).await;
    assert!(
        p.body
            .contains(&format!("href=\"/episodes/{ep}/close?to=declined\"")),
        "{}",
        p.body
    );
    assert!(!p.body.contains("name=\"state\" value=\"declined\""));
    // An old form that posts the move straight away is sent to confirm; nothing changes.
    let v = version(app, ep).await;
    let r = lw
        .post(
            &format!("/episodes/{ep}/state"),
            &[("version", &v), ("state", "declined")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/episodes/{ep}/close?to=declined").as_str())
    );
    assert_eq!(state(app, ep).await, domain::EpisodeState::Referred);
    assert!(declined_codes(app, person).await.is_empty());

    // The confirmation page says whose record, what is queued and how long it can be undone.
    let c = lw.get(&format!("/episodes/{ep}/close?to=declined")).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    for want in ["Delia Cline", DECLINED, "14 days", "Why they declined"] {
        assert!(c.body.contains(want), "{want}: {}", c.body);
    }
    // No reason: refused against the field, nothing changes.
    let r = lw
        .post(
            &format!("/episodes/{ep}/close"),
            &[("version", &v), ("to", "declined"), ("why", "  ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Say why the episode is closing"),
        "{}",
        r.body
    );
    assert_eq!(state(app, ep).await, domain::EpisodeState::Referred);
    // With a reason: closed, the code queued, the reason in the timeline.
    let r = lw
        .post(
            &format!("/episodes/{ep}/close"),
            &[
                ("version", &v),
                ("to", "declined"),
                ("why", "Has support from her sister now"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state(app, ep).await, domain::EpisodeState::Declined);
    assert_eq!(declined_codes(app, person).await.len(), 1);
    assert!(timeline(app, person)
        .await
        .contains("Has support from her sister now"));
    // Whoever made the referral sees what happened, without the link worker's notes.
    let mine = lw.get("/referrals/mine").await.body;
    assert!(
        mine.contains("They chose not to take up social prescribing"),
        "{mine}"
    );
    assert!(!mine.contains("Has support from her sister now"));

    // The person page offers to reopen, with the last day.
    let p = lw.get(&page).await;
    assert!(
        p.body.contains(&format!("href=\"/episodes/{ep}/reopen\"")),
        "{}",
        p.body
    );
    assert!(p.body.contains("It can be reopened until"));
    // The page names people, not sign-in addresses, and no internal episode number.
    assert!(p.body.contains("by Test lw (Link worker)"), "{}", p.body);
    assert!(!p.body.contains("by lw@test.example"));
    assert!(!p.body.contains(&format!("Episode {ep}")));
    assert!(p.body.contains("Referred "));
    // Another PCN cannot reopen it, nor see that it exists.
    let mut other = signed_in(app, "lw_b").await;
    let v = version(app, ep).await;
    let r = other
        .post(
            &format!("/episodes/{ep}/reopen"),
            &[("version", &v), ("why", "mine now")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(state(app, ep).await, domain::EpisodeState::Declined);
    // Reopening needs a reason; then it goes back to where it was and the unsent code is
    // withdrawn, audited.
    assert_eq!(
        lw.get(&format!("/episodes/{ep}/reopen")).await.status,
        StatusCode::OK
    );
    let r = lw
        .post(
            &format!("/episodes/{ep}/reopen"),
            &[("version", &v), ("why", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state(app, ep).await, domain::EpisodeState::Declined);
    let r = lw
        .post(
            &format!("/episodes/{ep}/reopen"),
            &[
                ("version", &v),
                ("why", "Declined by mistake: she wants a call"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(state(app, ep).await, domain::EpisodeState::Referred);
    assert!(declined_codes(app, person).await.is_empty());
    let t = timeline(app, person).await;
    assert!(
        t.contains("withdrawn before it reached the practice"),
        "{t}"
    );
    assert!(t.contains("Declined by mistake"), "{t}");
    let audit = app.store.all_audit().await.unwrap();
    assert!(audit.iter().any(|a| a.action == "episode.reopen"));
    assert!(audit.iter().any(|a| a.action == "coding.withdraw"));

    // Declined again and this time the practice records the code: reopening keeps it and
    // says to ask the practice.
    let v = version(app, ep).await;
    let r = lw
        .post(
            &format!("/episodes/{ep}/close"),
            &[
                ("version", &v),
                ("to", "declined"),
                ("why", "Declined again"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let code = declined_codes(app, person).await;
    assert_eq!(code.len(), 1, "the code is queued again");
    app.store
        .mark_coded(app.pcn_a, code[0].id, &storage::Actor::system("test"))
        .await
        .unwrap();
    let v = version(app, ep).await;
    let r = lw
        .post(
            &format!("/episodes/{ep}/reopen"),
            &[("version", &v), ("why", "Changed her mind")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let code = declined_codes(app, person).await;
    assert!(code.len() == 1 && code[0].recorded);
    assert!(timeline(app, person)
        .await
        .contains("ask them to remove Social prescribing declined"));

    // Unable to contact is not offered after one attempt; the count is shown, and asking
    // anyway explains, on a page that keeps the menu and the way back.
    let v = version(app, ep).await;
    lw.post(
        &format!("/episodes/{ep}/state"),
        &[("version", &v), ("state", "contacting")],
    )
    .await;
    let v = version(app, ep).await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let now_hm = chrono::Utc::now().format("%H:%M").to_string();
    // Missed, yet "the person" ticked as there: refused against the field, nothing saved.
    let r = lw
        .post(
            &format!("/episodes/{ep}/contacts"),
            &[
                ("version", &v),
                ("contact_type", "telephone"),
                ("date", &today),
                ("time", &now_hm),
                ("did_not_attend", "yes"),
                ("present", "person"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"present-error\""), "{}", r.body);
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
    let p = lw.get(&page).await;
    assert!(p.body.contains("1 of 3 unsuccessful attempts recorded"));
    assert!(!p.body.contains("close?to=unable_to_contact"));
    let r = lw
        .get_from(&format!("/episodes/{ep}/close?to=unable_to_contact"), &page)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("at least 3 times"), "{}", r.body);
    assert!(r.body.contains("My caseload"), "the menu stays: {}", r.body);
    assert!(
        r.body
            .contains(&format!("href=\"{page}\">Go back to the page you were on")),
        "{}",
        r.body
    );
    assert_eq!(state(app, ep).await, domain::EpisodeState::Contacting);
}
