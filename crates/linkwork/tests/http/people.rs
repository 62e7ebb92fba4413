//! Adding, finding and editing people: validation shown next to the field with nothing
//! saved, duplicate warnings, and stale edits refused without losing what was typed.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn invalid_nhs_number_and_postcode_are_shown_next_to_the_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    let mut b = signed_in(&app, "lw").await;
    let mut fields = person_fields("Nadia", "Checkdigit");
    fields.retain(|(k, _)| *k != "postcode");
    fields.extend([("nhs_number", "412 345 6879"), ("postcode", "LS1 ZZZ")]);
    let p = b.post("/people", &fields).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("<title>Error: Add a person"));
    // The error summary links to each field, and each message sits by its field.
    assert!(p
        .body
        .contains("href=\"#nhs_number\">This is not a valid NHS number"));
    assert!(p.body.contains("id=\"nhs_number-error\""));
    assert!(p
        .body
        .contains("href=\"#postcode\">Enter a full UK postcode, like LS1 4AP"));
    assert!(p.body.contains("id=\"postcode-error\""));
    assert!(p.body.contains("aria-invalid=\"true\""));
    // What was typed is kept.
    assert!(p.body.contains("value=\"Nadia\"") && p.body.contains("value=\"412 345 6879\""));
    let found = b.get("/people?name=checkdigit").await;
    assert!(found.body.contains("0 people found"), "nothing saved");
}

#[tokio::test]
async fn a_person_is_added_found_and_shown() {
    let app = spawn_app().await;
    let mut b = signed_in(&app, "lw").await;
    let practice = app.practice_a.to_string();
    let mut fields = person_fields("Olive", "Fernsby");
    fields.extend([
        ("nhs_number", "943 476 5919"),
        ("practice_id", practice.as_str()),
        ("access_needs", "large_print"),
        ("access_needs", "hearing_loop"),
        ("interpreter_needed", "yes"),
        ("language", "Polish"),
    ]);
    let p = b.post("/people", &fields).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let url = p.location.unwrap();
    let show = b.get(&url).await;
    assert!(
        show.body.contains("Olive Fernsby")
            && show.body.contains("943 476 5919")
            && show.body.contains("Hill Surgery")
    );
    assert!(
        show.body.contains("Large print, Hearing loop")
            && show.body.contains("Polish (needs an interpreter)")
    );
    for q in [
        "/people?name=fern",
        "/people?nhs_number=9434765919",
        "/people?date_of_birth=1951-06-14",
        "/people?postcode=ls6",
    ] {
        let r = b.get(q).await;
        assert!(
            r.body.contains("1 person found") && r.body.contains("FERNSBY, Olive"),
            "{q}"
        );
    }
    let bad = b.get("/people?nhs_number=123").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Enter an NHS number with 10 digits"));
}

#[tokio::test]
async fn a_possible_duplicate_is_warned_about_before_saving() {
    let app = spawn_app().await;
    let mut b = signed_in(&app, "lw").await;
    assert_eq!(
        b.post("/people", &person_fields("Ruth", "Twice"))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let p = b.post("/people", &person_fields("ruth", "TWICE")).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(
        p.body.contains("This person may already have a record")
            && p.body.contains("Ruth Twice, born 14 Jun 1951")
    );
    assert!(
        b.get("/people?name=twice")
            .await
            .body
            .contains("1 person found"),
        "not saved yet"
    );
    let mut confirmed = person_fields("ruth", "TWICE");
    confirmed.push(("confirm_not_duplicate", "yes"));
    assert_eq!(
        b.post("/people", &confirmed).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(b
        .get("/people?name=twice")
        .await
        .body
        .contains("2 people found"));
}

#[tokio::test]
async fn a_stale_edit_is_refused_with_a_clear_message_and_the_typing_kept() {
    let app = spawn_app().await;
    let mut first = signed_in(&app, "lw").await;
    let mut second = signed_in(&app, "manager").await;
    let id = add_person(&mut first, &person_fields("Vera", "Version"))
        .await
        .to_string();
    let path = format!("/people/{id}");
    // Both open the edit form at version 1.
    assert!(first
        .get(&format!("{path}/edit"))
        .await
        .body
        .contains("name=\"version\" value=\"1\""));
    assert!(second
        .get(&format!("{path}/edit"))
        .await
        .body
        .contains("name=\"version\" value=\"1\""));
    let mut a = person_fields("Vera", "Version");
    a.extend([("version", "1"), ("phone", "0113 496 0111")]);
    assert_eq!(first.post(&path, &a).await.status, StatusCode::SEE_OTHER);
    let mut b = person_fields("Vera", "Version");
    b.extend([("version", "1"), ("phone", "0113 496 0222")]);
    let p = second.post(&path, &b).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(
        p.body.contains("Someone else changed this person"),
        "clear message"
    );
    assert!(
        p.body.contains("value=\"0113 496 0222\""),
        "the second editor's typing is still in the form"
    );
    let shown = first.get(&path).await;
    assert!(
        shown.body.contains("0113 496 0111") && !shown.body.contains("0113 496 0222"),
        "the first edit stands"
    );
}

/// Referring someone already on record under a slightly different spelling shows the
/// likely record first; the link worker chooses it or says it is someone else. Nothing is
/// made until they choose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_shows_likely_duplicates_before_making_another_record() {
    let app = spawn_app().await;
    let mut lw = signed_in(&app, "lw").await;
    let mut known = person_fields("Hilda", "O'Neill-Smith");
    known.push(("postcode", "LS6 2AB"));
    let hilda = add_person(&mut lw, &known).await;
    let people = |app: &TestApp| {
        let store = app.store.clone();
        let pcn = app.pcn_a;
        async move {
            store
                .search_people(
                    pcn,
                    &storage::PersonQuery {
                        date_of_birth: chrono::NaiveDate::from_ymd_opt(1951, 6, 14),
                        limit: 50,
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(people(&app).await, 1);
    // The same person, spelt another way: shown, and nothing made.
    let mut again = referral_fields("hilda", "Oneill Smith", true);
    let r = lw.post("/referrals", &again).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("This person may already have a record"));
    assert!(r.body.contains(&format!("value=\"{hilda}\"")), "{}", r.body);
    assert!(r.body.contains("similar name, same date of birth"));
    assert!(
        r.body.contains("value=\"Oneill Smith\""),
        "what was typed is kept"
    );
    assert_eq!(people(&app).await, 1);
    // "Yes, this is her": the referral joins her record.
    let id = hilda.to_string();
    again.push(("duplicate", &id));
    let r = lw.post("/referrals", &again).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(people(&app).await, 1);
    assert_eq!(
        app.store
            .episodes_for_person(app.pcn_a, hilda)
            .await
            .unwrap()
            .len(),
        1
    );
    // A different person born the same day with a similar name: said so, a new record.
    let mut other = referral_fields("Hilda", "Smith", true);
    assert_eq!(
        lw.post("/referrals", &other).await.status,
        StatusCode::CONFLICT
    );
    other.push(("duplicate", "new"));
    assert_eq!(
        lw.post("/referrals", &other).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(people(&app).await, 2);
    // Adding a person by hand finds the same likely record.
    let mut typo = person_fields("Hlida", "O'Neill-Smith");
    typo.push(("postcode", "LS6 2AB"));
    let r = lw.post("/people", &typo).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("This person may already have a record"));
    assert_eq!(people(&app).await, 2);
}

/// The date of birth is typed in three boxes (day, month, year); a date that does not
/// exist is refused against the field and what was typed comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_of_birth_in_three_boxes() {
    let app = spawn_app().await;
    let mut lw = signed_in(&app, "lw").await;
    let form = lw.get("/people/new").await;
    for want in [
        "name=\"date_of_birth_day\"",
        "name=\"date_of_birth_month\"",
        "name=\"date_of_birth_year\"",
        "inputmode=\"numeric\"",
    ] {
        assert!(form.body.contains(want), "{want}");
    }
    let mut fields: Vec<(&str, &str)> = person_fields("Dora", "Boxes")
        .into_iter()
        .filter(|(k, _)| *k != "date_of_birth")
        .collect();
    fields.extend([
        ("date_of_birth_day", "31"),
        ("date_of_birth_month", "2"),
        ("date_of_birth_year", "1950"),
    ]);
    let bad = lw.post("/people", &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("id=\"date_of_birth-error\""),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"31\"") && bad.body.contains("value=\"1950\""));
    fields.retain(|(k, _)| *k != "date_of_birth_day");
    fields.push(("date_of_birth_day", "3"));
    let id = add_person(&mut lw, &fields).await;
    let p = app.store.get_person(app.pcn_a, id).await.unwrap().unwrap();
    assert_eq!(p.details.date_of_birth.to_string(), "1950-02-03");
}

/// Two records of one person that already exist: the person page says so to staff, a
/// manager compares them and merges with a reason, the merged record's address leads to
/// the kept one, and the merge is undone exactly. Other roles and PCNs cannot.
async fn merging_two_records(app: &TestApp) {
    let mut lw = signed_in(app, "lw").await;
    let mut manager = signed_in(app, "manager").await;
    let mut manager_b = signed_in(app, "manager_b").await;
    let kept = add_person(&mut lw, &person_fields("Mabel", "Doubleday")).await;
    // A referral made the second record before anyone looked (as a referrer's would).
    let mut again = referral_fields("Mable", "Doubleday", true);
    again.push(("duplicate", "new"));
    let r = lw.post("/referrals", &again).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let gone = person_of(&r.location.unwrap());
    assert_ne!(kept, gone);

    // Staff are told on the person page; only a manager is offered the merge.
    let page = lw.get(&format!("/people/{kept}")).await;
    assert!(page
        .body
        .contains("This may be the same person as another record"));
    assert!(page.body.contains("Mable Doubleday, born 14 Jun 1951"));
    assert!(!page.body.contains("/merge"), "a link worker cannot merge");
    assert!(page.body.contains("ask a PCN manager"));
    let seen = app
        .store
        .list_audit(&storage::AuditFilter {
            action_prefix: Some("person.duplicates".into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        seen.iter()
            .any(|a| a.detail.contains(&format!("shown: people {gone}"))),
        "showing the other record is an audited read: {seen:?}"
    );
    assert_eq!(
        lw.get(&format!("/people/{kept}/merge")).await.status,
        StatusCode::FORBIDDEN
    );
    let page = manager.get(&format!("/people/{kept}")).await;
    assert!(page
        .body
        .contains(&format!("/people/{kept}/merge?with={gone}")));
    // Another PCN's manager: not found, as for any record of another PCN.
    assert_eq!(
        manager_b.get(&format!("/people/{kept}/merge")).await.status,
        StatusCode::NOT_FOUND
    );

    // Step one lists the likely record; step two compares them.
    let pick = manager.get(&format!("/people/{kept}/merge")).await;
    assert!(
        pick.body.contains(&format!("?with={gone}")),
        "{}",
        pick.body
    );
    assert!(pick.body.contains("similar name, same date of birth"));
    let compare = manager
        .get(&format!("/people/{kept}/merge?with={gone}"))
        .await;
    assert_eq!(compare.status, StatusCode::OK);
    assert!(compare.body.contains("Mabel Doubleday") && compare.body.contains("Mable Doubleday"));
    assert!(
        compare.body.contains("1 (1 open)"),
        "the other record's episode is shown"
    );

    // Without a choice and a reason, nothing moves and each error is named.
    let with = gone.to_string();
    let bad = manager
        .post(&format!("/people/{kept}/merge"), &[("with", &with)])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Choose which record to keep"));
    assert!(bad.body.contains("Say why these are the same person"));
    assert_eq!(
        app.store
            .episodes_for_person(app.pcn_a, gone)
            .await
            .unwrap()
            .len(),
        1
    );
    // Another PCN's manager cannot merge them either.
    let refused = manager_b
        .post(
            &format!("/people/{kept}/merge"),
            &[("with", &with), ("keep", "this"), ("why", "same")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    let done = manager
        .post(
            &format!("/people/{kept}/merge"),
            &[
                ("with", &with),
                ("keep", "this"),
                ("why", "Same address and phone; the practice confirmed"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/people/{kept}?done=merged").as_str())
    );
    let page = manager.get(&format!("/people/{kept}?done=merged")).await;
    assert!(page.body.contains("Records merged."));
    assert!(page
        .body
        .contains("The record of Mable Doubleday (born 14 Jun 1951) was merged into this one"));
    assert!(
        page.body.contains("Recently bereaved and isolated"),
        "the referral moved"
    );
    assert!(
        !page.body.contains("This may be the same person"),
        "the merged record is no longer a likely duplicate"
    );
    // The merged record's address leads to the kept one; search finds one record.
    let old = manager.get(&format!("/people/{gone}")).await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    assert_eq!(
        old.location.as_deref(),
        Some(format!("/people/{kept}?done=merged-away").as_str())
    );
    assert!(manager
        .get("/people?name=doubleday")
        .await
        .body
        .contains("1 person found"));
    let audit = app
        .store
        .list_audit(&storage::AuditFilter {
            action_prefix: Some("person.merge".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2, "on both records");

    // Undo: a reason is needed; then the other record is back with its referral.
    let merges = app.store.merges_into(app.pcn_a, kept).await.unwrap();
    let m = merges[0].id.to_string();
    assert!(page
        .body
        .contains(&format!("/people/{kept}/unmerge?merge={m}")));
    let form = manager
        .get(&format!("/people/{kept}/unmerge?merge={m}"))
        .await;
    assert!(form.body.contains("Undo a merge") && form.body.contains("moves back the"));
    let bad = manager
        .post(&format!("/people/{kept}/unmerge"), &[("merge", &m)])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Say why the merge was wrong"));
    assert_eq!(
        lw.post(
            &format!("/people/{kept}/unmerge"),
            &[("merge", &m), ("why", "x")]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let undone = manager
        .post(
            &format!("/people/{kept}/unmerge"),
            &[("merge", &m), ("why", "Twins after all")],
        )
        .await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER, "{}", undone.body);
    let back = manager.get(&format!("/people/{gone}")).await;
    assert_eq!(back.status, StatusCode::OK);
    assert!(back.body.contains("Recently bereaved and isolated"));
    assert!(app
        .store
        .episodes_for_person(app.pcn_a, kept)
        .await
        .unwrap()
        .is_empty());
    // Undone once: the undo page no longer offers it.
    assert_eq!(
        manager
            .post(
                &format!("/people/{kept}/unmerge"),
                &[("merge", &m), ("why", "again")]
            )
            .await
            .status,
        StatusCode::CONFLICT
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_two_records_on_sqlite() {
    merging_two_records(&spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_two_records_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    merging_two_records(&spawn_app_on(Engine::Postgres).await).await;
}
