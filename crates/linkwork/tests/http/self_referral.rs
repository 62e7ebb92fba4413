//! The person's own door, on both engines: a member of the public refers themselves
//! without an account; it lands in the triage of their practice's PCN marked as a
//! self-referral, with the reference they were given; wrong answers change nothing; the
//! answer never says whether a record exists; robots and floods are turned away.

use crate::helpers::*;
use reqwest::StatusCode;

/// A valid self-referral for `practice` (a practice id, or "unsure").
fn answers<'a>(practice: &'a str, given: &'a str, family: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("practice", practice),
        ("given_name", given),
        ("family_name", family),
        ("date_of_birth_day", "4"),
        ("date_of_birth_month", "9"),
        ("date_of_birth_year", "1961"),
        ("phone", "07700 900123"),
        ("voicemail_ok", "no"),
        ("texts_ok", "yes"),
        (
            "story",
            "Since I stopped work I hardly see anyone and money is tight.",
        ),
        ("needs", "loneliness"),
        ("needs", "financial"),
        ("consent_contact", "yes"),
        ("consent_keep", "yes"),
        ("website", ""),
    ]
}

/// Opens the form for `practice` and sends `fields` with the page's token, as a person's
/// browser would.
async fn send(app: &TestApp, practice: &str, fields: &[(&str, &str)]) -> crate::helpers::Page {
    let mut b = Browser::new(app);
    let form = b
        .get(&format!("/self-referral/details?practice={practice}"))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let csrf = b.csrf.clone();
    let mut all = vec![("_csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    b.post_raw("/self-referral", &all).await
}

fn reference_in(body: &str) -> String {
    let i = body.find("SR-").expect("a reference");
    body[i..i + 12].to_string()
}

/// The unassigned queue of a PCN, as its manager sees it in triage.
async fn triage(app: &TestApp, manager: &str) -> String {
    let mut b = signed_in(app, manager).await;
    let p = b.get("/triage").await;
    assert_eq!(p.status, StatusCode::OK);
    p.body
}

async fn a_person_refers_themselves(engine: Engine) {
    let app = spawn_app_on(engine).await;
    let pcns = app.store.list_pcns().await.unwrap();
    let pcn_b = pcns.iter().find(|p| p.name == "South PCN").unwrap().id;
    let vale = app.store.list_practices(pcn_b).await.unwrap()[0].id;
    app.store
        .set_practice_postcode(
            pcn_b,
            vale,
            Some("LS9 1AA"),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();

    // Found by name or postcode across every PCN, with no account.
    let mut b = Browser::new(&app);
    let start = b.get("/self-referral").await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(start.body.contains("call 999") && start.body.contains("116 123"));
    let login = b.get("/login").await;
    assert!(login.body.contains("href=\"/self-referral\""));
    for q in ["vale", "LS9", "ls9 1aa"] {
        let found = b.get(&format!("/self-referral/practice?q={q}")).await;
        assert!(
            found.body.contains(&format!(
                "/self-referral/details?practice={vale}\">Vale Surgery"
            )),
            "{q}: {}",
            found.body
        );
        assert!(!found.body.contains("Hill Surgery"), "{q}");
    }

    // Sent to Vale Surgery: it lands in South PCN's triage, not North's.
    let vale_s = vale.to_string();
    let done = send(&app, &vale_s, &answers(&vale_s, "Petra", "Lindqvist")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Your reference is"));
    let reference = reference_in(&done.body);
    let south = triage(&app, "manager_b").await;
    assert!(south.contains("LINDQVIST, Petra"), "{south}");
    assert!(south.contains("Self-referral") && south.contains(&reference));
    let north = triage(&app, "manager").await;
    assert!(!north.contains("LINDQVIST"), "not in another PCN's triage");

    // The record holds what they said, for the link worker.
    let people = app
        .store
        .search_people(
            pcn_b,
            &storage::PersonQuery {
                name: Some("lindqvist".into()),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(people.len(), 1);
    let d = &people[0].details;
    assert_eq!(d.practice_id, Some(vale));
    assert_eq!((d.voicemail_ok, d.texts_ok), (Some(false), Some(true)));
    assert_eq!(d.phone, "07700 900123");
    let refs = app
        .store
        .referrals_for_person(pcn_b, people[0].id)
        .await
        .unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].source, domain::ReferralSource::SelfReferral);
    assert_eq!(refs[0].reference.as_deref(), Some(reference.as_str()));
    assert_eq!(
        refs[0].needs,
        vec![domain::Need::Loneliness, domain::Need::Financial]
    );
    assert!(refs[0].reason.contains("hardly see anyone"));
    let mut lw = signed_in(&app, "lw_b").await;
    let page = lw.get(&format!("/people/{}", people[0].id)).await;
    assert!(page.body.contains("No (do not leave a voicemail)"));
    assert!(page.body.contains(&reference));

    // Audited as the self-referral, from its address.
    let audit = app.store.all_audit().await.unwrap();
    let made = audit
        .iter()
        .find(|a| a.actor_label.contains(&reference))
        .expect("an audit entry made by the self-referral");
    assert!(made.actor_id.is_none() && made.ip.is_some(), "{made:?}");
    assert_eq!(made.pcn_id, Some(pcn_b));

    // Not sure of the practice: the postcode routes it to the PCN with practices there.
    let unsure = send(
        &app,
        "unsure",
        &[
            answers("unsure", "Tomas", "Ekdahl"),
            vec![("postcode", "LS9 3ZZ")],
        ]
        .concat(),
    )
    .await;
    assert_eq!(unsure.status, StatusCode::OK, "{}", unsure.body);
    let south = triage(&app, "manager_b").await;
    assert!(south.contains("EKDAHL, Tomas"), "{south}");
    let without = send(&app, "unsure", &answers("unsure", "Tomas", "Ekdahl")).await;
    assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(without.body.contains("Enter your postcode"));
}

#[tokio::test]
async fn a_person_refers_themselves_on_sqlite() {
    a_person_refers_themselves(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_person_refers_themselves_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_person_refers_themselves(Engine::Postgres).await;
}

/// The number of referrals waiting in North PCN.
async fn waiting(app: &TestApp) -> usize {
    app.store.unassigned_queue(app.pcn_a).await.unwrap().len()
}

#[tokio::test]
async fn wrong_answers_are_named_and_nothing_is_kept() {
    let app = spawn_app().await;
    let hill = app.practice_a.to_string();
    let before = waiting(&app).await;
    let empty = send(&app, &hill, &[("practice", hill.as_str())]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    for m in [
        "Enter your first name",
        "Enter your last name",
        "Enter your date of birth",
        "Enter a phone number or an email address",
        "Tell us a little about what is going on",
        "agree to a link worker contacting you",
        "agree to us keeping your details",
    ] {
        assert!(empty.body.contains(m), "{m}");
    }
    // What was typed is kept; a wrong NHS number and a date in the future are named.
    let mut bad = answers(&hill, "Petra", "Lindqvist");
    bad.retain(|(k, _)| !["date_of_birth_year", "consent_keep"].contains(k));
    bad.extend([
        ("nhs_number", "123 456 7890"),
        ("date_of_birth_year", "2090"),
    ]);
    let p = send(&app, &hill, &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("value=\"Petra\"") && p.body.contains("hardly see anyone"));
    assert!(p.body.contains("href=\"#nhs_number\""));
    assert!(p.body.contains("Date of birth must be in the past"));
    assert!(p.body.contains("agree to us keeping your details"));
    // A phone number without saying whether a voicemail is safe.
    let mut unsaid = answers(&hill, "Petra", "Lindqvist");
    unsaid.retain(|(k, _)| *k != "voicemail_ok");
    let p = send(&app, &hill, &unsaid).await;
    assert!(p
        .body
        .contains("Say whether it is safe to leave you a voicemail"));
    // A phone number too short to ring or text ("077") is named, not kept.
    let mut short = answers(&hill, "Petra", "Lindqvist");
    for (k, v) in short.iter_mut() {
        if *k == "phone" {
            *v = "077";
        }
    }
    let p = send(&app, &hill, &short).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body
            .contains("Enter a whole telephone number with its area code"),
        "{}",
        p.body
    );
    assert!(p.body.contains("href=\"#phone\""));
    // Two tabs (or the sign-in page) opened in between do not spoil the form being filled in.
    let mut tabs = Browser::new(&app);
    tabs.get(&format!("/self-referral/details?practice={hill}"))
        .await;
    let first = tabs.csrf.clone();
    tabs.get("/self-referral/details?practice=unsure").await;
    let mut sent = vec![("_csrf", first.as_str())];
    sent.extend(answers(&hill, "Tabitha", "Twotabs"));
    let p = tabs.post_raw("/self-referral", &sent).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let before = before + 1;
    // A practice that does not exist, and no token: refused.
    let p = send(&app, &hill, &answers("999999", "Petra", "Lindqvist")).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("Choose your GP practice first"));
    let mut b = Browser::new(&app);
    let p = b
        .post_raw("/self-referral", &answers(&hill, "Petra", "Lindqvist"))
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "no token: {}", p.status);
    assert_eq!(waiting(&app).await, before, "nothing was kept");
}

#[tokio::test]
async fn the_answer_is_the_same_whoever_is_already_known() {
    let app = spawn_app().await;
    let hill = app.practice_a.to_string();
    let mut lw = signed_in(&app, "lw").await;
    let mut held = person_fields("Hedda", "Gabler");
    held.retain(|(k, _)| !k.starts_with("date_of_birth"));
    held.extend([
        ("date_of_birth", "1961-09-04"),
        ("nhs_number", "943 476 5919"),
        ("practice_id", hill.as_str()),
    ]);
    let person = add_person(&mut lw, &held).await;

    // The same NHS number, date of birth and family name: joins the record held.
    let mut same = answers(&hill, "Hedda", "Gabler");
    same.push(("nhs_number", "943 476 5919"));
    let known = send(&app, &hill, &same).await;
    let episodes = app
        .store
        .episodes_for_person(app.pcn_a, person)
        .await
        .unwrap();
    assert_eq!(episodes.len(), 1, "the referral joined the record held");
    // The record is not changed from outside; what they typed reaches the link worker.
    let held_now = app
        .store
        .get_person(app.pcn_a, person)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held_now.details.phone, "");
    let r = &app
        .store
        .referrals_for_person(app.pcn_a, person)
        .await
        .unwrap()[0];
    assert!(
        r.reason.contains(
            "Contact details given with this referral: phone 07700 900123 (voicemail: no; texts: yes)"
        ),
        "{}",
        r.reason
    );
    // Someone no one knows gets the very same page, but for the reference.
    let mut other = answers(&hill, "Nora", "Helmer");
    other.push(("nhs_number", "401 023 2137"));
    let unknown = send(&app, &hill, &other).await;
    assert_eq!(known.status, unknown.status);
    let r1 = reference_in(&known.body);
    let r2 = reference_in(&unknown.body);
    assert_ne!(r1, r2);
    assert_eq!(
        known.body.replace(&r1, "SR-XXXX-XXXX"),
        unknown.body.replace(&r2, "SR-XXXX-XXXX"),
        "the answer never says whether a record exists"
    );
}

#[tokio::test]
async fn robots_and_floods_are_turned_away() {
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            self_referrals_per_address: 2,
            ..Default::default()
        },
    )
    .await;
    let hill = app.practice_a.to_string();
    let before = waiting(&app).await;
    // The field people cannot see, filled in: thanked like anyone, and nothing kept.
    let mut robot = answers(&hill, "Petra", "Lindqvist");
    robot.retain(|(k, _)| *k != "website");
    robot.push(("website", "http://spam.example"));
    let p = send(&app, &hill, &robot).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Your reference is"));
    assert_eq!(
        waiting(&app).await,
        before,
        "a robot's referral is not kept"
    );
    // The robot counted towards the address's limit; one more is taken, then it waits.
    let p = send(&app, &hill, &answers(&hill, "Petra", "Lindqvist")).await;
    assert!(p.body.contains("Your reference is"));
    assert_eq!(waiting(&app).await, before + 1);
    let p = send(&app, &hill, &answers(&hill, "Olle", "Lindqvist")).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(p.body.contains("Please try again later") && p.body.contains("NHS 111"));
    assert_eq!(
        waiting(&app).await,
        before + 1,
        "nothing kept past the limit"
    );
    // Too big a body is refused before it is read.
    let story = "a".repeat(100 * 1024);
    let mut huge = answers(&hill, "Petra", "Lindqvist");
    huge.retain(|(k, _)| *k != "story");
    huge.push(("story", &story));
    let p = send(&app, &hill, &huge).await;
    assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A complete agency referral for the practice, from `email`.
pub(crate) fn agency_answers<'a>(practice: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut f = answers(practice, "Stellan", "Moberg");
    f.extend([
        ("who", "agency"),
        ("referrer_name", "PC Alex Jones"),
        ("referrer_source", "police"),
        ("referrer_organisation", "West Police"),
        ("referrer_role", "Neighbourhood officer"),
        ("referrer_email", email),
        ("referrer_phone", "0113 496 0777"),
    ]);
    f
}

/// The link in the newest confirmation email.
fn confirmation_link(maildir: &tempfile::TempDir) -> String {
    let all = mails(maildir);
    // Long lines come quoted-printable: join the soft breaks and undo the escapes.
    let mail = all
        .last()
        .expect("a confirmation email")
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let i = mail.find("/self-referral/confirm?token=").expect("a link");
    mail[i..].split_whitespace().next().unwrap().to_string()
}

async fn an_officer_refers_someone_without_an_account(engine: Engine) {
    let (_smtp, maildir, port) = smtp_sink().await;
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            mail: Some(web::MailConfig::new(
                format!("smtp://127.0.0.1:{port}"),
                "Linkwork <linkwork@test.example>",
                "https://linkwork.test.example",
            )),
            ..Default::default()
        },
    )
    .await;
    let hill = app.practice_a.to_string();
    // North PCN's manager takes referrals only from police and council addresses.
    let mut admin = signed_in(&app, "manager").await;
    let bad = admin
        .post(
            "/admin/referrers",
            &[("domains", "police.example\n<b>nope")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("These are not email domains"));
    let saved = admin
        .post(
            "/admin/referrers",
            &[("domains", "*.police.example\ncouncil.example")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let before = waiting(&app).await;

    // The form asks about the referrer too; an address elsewhere is refused.
    let mut b = Browser::new(&app);
    let form = b
        .get(&format!(
            "/self-referral/details?practice={hill}&who=agency"
        ))
        .await;
    assert!(
        form.body.contains("About you (the referrer)") && form.body.contains("Your work email")
    );
    let refused = send(&app, &hill, &agency_answers(&hill, "alex@mail.example")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("Use your work email"),
        "{}",
        refused.body
    );
    assert!(mails(&maildir).is_empty());

    // A work address: nothing reaches triage until the link is opened and pressed.
    let sent = send(
        &app,
        &hill,
        &agency_answers(&hill, "alex.jones@west.police.example"),
    )
    .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(
        sent.body.contains("Check your email")
            && sent.body.contains("alex.jones@west.police.example")
    );
    assert_eq!(waiting(&app).await, before);
    let email = mails(&maildir)
        .pop()
        .unwrap()
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    for private in ["Stellan", "Moberg", "hardly see anyone", "loneliness"] {
        assert!(
            !email.contains(private),
            "the email names no one: {private}"
        );
    }
    let link = confirmation_link(&maildir);
    let mut officer = Browser::new(&app);
    let page = officer.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Send the referral") && page.body.contains("Hill Surgery"));
    assert_eq!(
        waiting(&app).await,
        before,
        "opening the link sends nothing"
    );
    let token = link.split("token=").nth(1).unwrap().to_string();
    let done = officer
        .post_raw(
            "/self-referral/confirm",
            &[("_csrf", officer.csrf.clone().as_str()), ("token", &token)],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("the referral has been sent"));
    let reference = reference_in(&done.body);
    assert_eq!(waiting(&app).await, before + 1);
    let triage = triage(&app, "manager").await;
    assert!(triage.contains("MOBERG, Stellan") && triage.contains(&reference));
    // Pressed again: sent once.
    officer.get(&link).await;
    let again = officer
        .post_raw(
            "/self-referral/confirm",
            &[("_csrf", officer.csrf.clone().as_str()), ("token", &token)],
        )
        .await;
    assert!(again.body.contains("This referral has been sent"));
    assert_eq!(waiting(&app).await, before + 1);
    let wrong = officer
        .get("/self-referral/confirm?token=not-a-token")
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    assert!(wrong.body.contains("This link does not work"));

    // The referral names the officer as referrer, to reply to.
    let person = app
        .store
        .search_people(
            app.pcn_a,
            &storage::PersonQuery {
                name: Some("moberg".into()),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap()[0]
        .id;
    let r = &app
        .store
        .referrals_for_person(app.pcn_a, person)
        .await
        .unwrap()[0];
    assert_eq!(r.source, domain::ReferralSource::Police);
    assert_eq!(r.referrer_name, "PC Alex Jones");
    assert!(r
        .referrer_contact
        .starts_with("alex.jones@west.police.example"));
    let audit = app.store.all_audit().await.unwrap();
    assert!(audit.iter().any(|a| a.action == "referral.create"
        && a.actor_label.contains(&reference)
        && a.actor_label.contains("alex.jones@west.police.example")));
    assert!(audit.iter().any(|a| a.action == "pcn.referrer_domains"));

    // When a link worker has made contact and the person agrees, the officer hears so,
    // by reference only.
    let actor = storage::Actor::system("test");
    let ep = first_episode(&app, person).await;
    let ep = app
        .store
        .transition_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            domain::EpisodeState::Contacting,
            None,
            chrono::Utc::now(),
            &actor,
        )
        .await
        .unwrap();
    app.store
        .transition_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            domain::EpisodeState::Accepted,
            None,
            chrono::Utc::now(),
            &actor,
        )
        .await
        .unwrap();
    let before_mails = mails(&maildir).len();
    assert_eq!(web::message_back::send_due(&app.state).await.unwrap(), 1);
    let all = mails(&maildir);
    assert_eq!(all.len(), before_mails + 1);
    let told = all
        .iter()
        .map(|m| {
            m.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .find(|m| m.contains("agreed to work together"))
        .expect("the officer is told");
    assert!(told.contains(&reference) && told.contains("alex.jones@west.police.example"));
    for private in ["Stellan", "Moberg", "hardly see anyone", "Loneliness"] {
        assert!(!told.contains(private), "names no one: {private}");
    }
    // At the end, how it ended: by reference, without the message back's health details.
    let ep = first_episode(&app, person).await;
    app.store
        .discharge(
            app.pcn_a,
            ep.id,
            ep.version,
            domain::DischargeReason::GoalsMet,
            &serde_json::to_string(&domain::DischargeSummary {
                reason: domain::DischargeReason::GoalsMet,
                summary: "Goes to the lunch club weekly and feels less low".into(),
            })
            .unwrap(),
            chrono::Utc::now(),
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(web::message_back::send_due(&app.state).await.unwrap(), 1);
    let finished = mails(&maildir)
        .iter()
        .map(|m| {
            m.replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .find(|m| m.contains("has finished working with the person you referred"))
        .expect("the officer hears how it ended");
    assert!(finished.contains(&reference) && finished.contains("Finished"));
    for private in ["Stellan", "Moberg", "lunch club", "less low", "Loneliness"] {
        assert!(!finished.contains(private), "names no one: {private}");
    }
    // Staff referrals (their referrers have accounts) get no such email.
    let staff = refer(&mut signed_in(&app, "lw").await, "Greta", "Staffref").await;
    let sep = first_episode(&app, staff).await;
    let sep = app
        .store
        .transition_episode(
            app.pcn_a,
            sep.id,
            sep.version,
            domain::EpisodeState::Contacting,
            None,
            chrono::Utc::now(),
            &actor,
        )
        .await
        .unwrap();
    app.store
        .transition_episode(
            app.pcn_a,
            sep.id,
            sep.version,
            domain::EpisodeState::Accepted,
            None,
            chrono::Utc::now(),
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(web::message_back::send_due(&app.state).await.unwrap(), 0);
}

#[tokio::test]
async fn an_officer_refers_someone_without_an_account_on_sqlite() {
    an_officer_refers_someone_without_an_account(Engine::Sqlite).await;
}

#[tokio::test]
async fn an_officer_refers_someone_without_an_account_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    an_officer_refers_someone_without_an_account(Engine::Postgres).await;
}

#[tokio::test]
async fn without_email_no_agency_referral_is_taken() {
    let app = spawn_app().await;
    let hill = app.practice_a.to_string();
    let before = waiting(&app).await;
    let p = send(
        &app,
        &hill,
        &agency_answers(&hill, "alex@west.police.example"),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("cannot take referrals from organisations"));
    assert_eq!(waiting(&app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_sent_at_once_gets_no_more_than_the_limit() {
    let app = spawn_app_with(
        Engine::Sqlite,
        web::WebConfig {
            self_referrals_per_address: 3,
            ..Default::default()
        },
    )
    .await;
    let hill = app.practice_a.to_string();
    let before = waiting(&app).await;
    let mut b = Browser::new(&app);
    b.get(&format!("/self-referral/details?practice={hill}"))
        .await;
    let (cookie, csrf) = (b.cookie_header(), b.csrf.clone());
    let http = reqwest::Client::new();
    let sends: Vec<_> = (0..12)
        .map(|i| {
            let family = format!("Burst{i}");
            let mut fields: Vec<(String, String)> = answers(&hill, "Petra", &family)
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            fields.push(("_csrf".into(), csrf.clone()));
            let (http, cookie, url) = (
                http.clone(),
                cookie.clone(),
                format!("{}/self-referral", app.base),
            );
            tokio::spawn(async move {
                http.post(url)
                    .header("cookie", cookie)
                    .form(&fields)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut taken = 0;
    for s in sends {
        if s.await.unwrap() == StatusCode::OK {
            taken += 1;
        }
    }
    assert_eq!(taken, 3, "exactly the limit is taken from one address");
    assert_eq!(waiting(&app).await, before + 3);
}
