//! The person's own plan: a link worker sends a plan link by text (through the Notify
//! double that checks what Notify checks), the person asks for a one-time code, types it
//! with their date of birth, sees their plan and only theirs, says whether they went, asks
//! to be called; wrong answers lock the link, a used code does not work twice, stopping
//! the link signs them out. Everything they do is audited as them.

use crate::helpers::*;
use crate::texts::{notify_config, notify_double, Shared};
use chrono::{Duration, Utc};
use domain::{CarePlan, ConnectionKind, RecordKind};
use reqwest::StatusCode;
use storage::{Actor, NewConnection, NewRecord};

/// A test server whose texts and emails go to the Notify double; the server and the double.
async fn with_notify(engine: Engine, config: web::WebConfig) -> (TestApp, Shared) {
    let (base, double) = notify_double().await;
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            notify: Some(notify_config(&base)),
            ..config
        },
    )
    .await;
    (app, double)
}

/// The plan code the link worker's page shows once after making a printed link, and the page.
async fn printed_code(lw: &mut Browser, person: i64, days: &str) -> (String, String) {
    lw.get(&format!("/people/{person}/plan-link")).await;
    let made = lw
        .post(
            &format!("/people/{person}/plan-link"),
            &[("sent_by", "print"), ("days", days)],
        )
        .await;
    let shown = lw.get(&made.location.unwrap()).await.body;
    let code = shown
        .split("class=\"token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    (code, shown)
}

/// A person referred, assigned to `lw`, with a plan and a signpost; (person, episode).
async fn with_plan(app: &TestApp, given: &str, family: &str, phone: &str) -> (i64, i64) {
    let mut lw = signed_in(app, "lw").await;
    let mut fields = referral_fields(given, family, true);
    fields.extend([("phone", phone), ("texts_ok", "yes")]);
    let page = lw.post("/referrals", &fields).await;
    let person = person_of(&page.location.expect(&page.body));
    let ep = first_episode(app, person).await;
    let actor = Actor::system("test");
    let ep = app
        .store
        .assign_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            app.users["lw"],
            Utc::now(),
            &actor,
        )
        .await
        .unwrap();
    let today = domain::uk_time::today();
    let plan = CarePlan {
        agreed_on: today,
        what_matters: format!("{given} wants to get back to the allotment"),
        goals: vec![format!("{given} digs twice a week")],
        actions: vec![],
        support_offered: String::new(),
        review_on: today + Duration::days(42),
        phb: Default::default(),
    };
    app.store
        .add_record(
            app.pcn_a,
            ep.id,
            &NewRecord {
                kind: RecordKind::Plan,
                status: String::new(),
                body: serde_json::to_string(&plan).unwrap(),
                assigned_to: None,
                due_at: None,
                summary: "plan".into(),
                at: Utc::now(),
            },
            &actor,
        )
        .await
        .unwrap();
    app.store
        .create_connection(
            app.pcn_a,
            ep.id,
            &NewConnection {
                service_id: format!("svc-{family}"),
                service_name: format!("{family} Allotment Society"),
                organization_name: "Allotments Together".into(),
                partner_org_id: None,
                kind: ConnectionKind::Signpost,
                consent_at: None,
                shared: Default::default(),
                due_at: None,
                note: String::new(),
                at: Utc::now(),
            },
            &actor,
        )
        .await
        .unwrap();
    (person, ep.id)
}

/// The link worker sends a plan link by text; the plan code read from the text.
async fn send_link(app: &TestApp, double: &Shared, person: i64) -> String {
    let mut lw = signed_in(app, "lw").await;
    lw.get(&format!("/people/{person}/plan-link")).await;
    let page = lw
        .post(
            &format!("/people/{person}/plan-link"),
            &[("sent_by", "sms"), ("days", "30")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let shown = lw.get(&page.location.unwrap()).await.body;
    assert!(shown.contains("Sent to GOV.UK Notify"), "{shown}");
    let text = double.lock().unwrap().taken.last().unwrap().body.clone();
    assert!(
        text.starts_with("Your link worker, Test, has sent you a link to see your plan: "),
        "{text}"
    );
    let code = text
        .split("code=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(shown.contains(&code), "the link worker sees the code once");
    // Sent: the link (the code) is no longer held in the outbox.
    let held = app
        .store
        .notifications_for_person(app.pcn_a, person)
        .await
        .unwrap();
    let link = held.iter().find(|n| n.purpose == "plan_link").unwrap();
    assert_eq!(link.personalisation, "{}");
    assert!(!link.preview.contains(&code));
    code
}

/// The person asks for a code by text; the code read from the text.
async fn ask_for_code(person: &mut Browser, double: &Shared, code: &str) -> String {
    let page = person.get(&format!("/my-plan?code={code}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("A text to 07••• •••"), "{}", page.body);
    let sent = person
        .post("/my-plan/code", &[("code", code), ("channel", "sms")])
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("We have sent a text"), "{}", sent.body);
    let text = double.lock().unwrap().taken.last().unwrap().body.clone();
    assert!(text.starts_with("Your code to see your plan is "), "{text}");
    text.chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect()
}

async fn sign_in(person: &mut Browser, code: &str, otp: &str, dob: (&str, &str, &str)) -> Page {
    person
        .post(
            "/my-plan/sign-in",
            &[
                ("code", code),
                ("otp", otp),
                ("date_of_birth_day", dob.0),
                ("date_of_birth_month", dob.1),
                ("date_of_birth_year", dob.2),
            ],
        )
        .await
}

const DOB: (&str, &str, &str) = ("14", "6", "1951");

async fn a_person_opens_their_plan_on_their_phone(engine: Engine) {
    let (app, double) = with_notify(engine, Default::default()).await;
    let (ada, _) = with_plan(&app, "Ada", "Plotwell", "07700 900301").await;
    let (bea, _) = with_plan(&app, "Bea", "Hedgerow", "07700 900302").await;
    let code = send_link(&app, &double, ada).await;
    let mut phone = Browser::new(&app);
    // A staff page is not the person's, and the person's page needs their session.
    let page = phone.get("/my-plan/view").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let otp = ask_for_code(&mut phone, &double, &code).await;
    // The wrong date of birth with the right code: refused, without saying which is wrong.
    let wrong = sign_in(&mut phone, &code, &otp, ("15", "6", "1951")).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .body
        .contains("The code or the date of birth is not right"));
    assert!(wrong.body.contains("4 tries left"));
    let ok = sign_in(&mut phone, &code, &otp, DOB).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location.as_deref(), Some("/my-plan/view"));
    let plan = phone.get("/my-plan/view").await;
    assert_eq!(plan.status, StatusCode::OK);
    for shown in [
        "Your plan, Ada",
        "Ada wants to get back to the allotment",
        "Ada digs twice a week",
        "Plotwell Allotment Society",
        "Your link worker is <strong>Test",
    ] {
        assert!(plan.body.contains(shown), "{shown} not on the plan");
    }
    for hidden in ["Bea", "Hedgerow", "Recently bereaved", "loneliness"] {
        assert!(!plan.body.contains(hidden), "{hidden} shown on Ada's plan");
    }
    // The code works once: a second browser with the same code and date is refused.
    let mut other = Browser::new(&app);
    other.get(&format!("/my-plan?code={code}&have=1")).await;
    let again = sign_in(&mut other, &code, &otp, DOB).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    // "I went", for Ada's service; Bea's connection is not hers to speak for.
    let ada_conn = app
        .store
        .connections_for_person(app.pcn_a, ada)
        .await
        .unwrap()[0]
        .id;
    let bea_conn = app
        .store
        .connections_for_person(app.pcn_a, bea)
        .await
        .unwrap()[0]
        .id;
    let went = phone
        .post(
            "/my-plan/went",
            &[("connection", &ada_conn.to_string()), ("said", "went")],
        )
        .await;
    assert_eq!(went.status, StatusCode::SEE_OTHER);
    let not_hers = phone
        .post(
            "/my-plan/went",
            &[("connection", &bea_conn.to_string()), ("said", "went")],
        )
        .await;
    assert_eq!(not_hers.status, StatusCode::NOT_FOUND);
    let bea_said = app
        .store
        .connections_for_person(app.pcn_a, bea)
        .await
        .unwrap()[0]
        .person_said
        .clone();
    assert_eq!(bea_said, None);
    let call = phone
        .post(
            "/my-plan/call-me",
            &[("best_time", "morning"), ("note", "After ten please")],
        )
        .await;
    assert_eq!(call.status, StatusCode::SEE_OTHER);
    // Asking again while the first is open adds nothing.
    phone
        .post(
            "/my-plan/call-me",
            &[("best_time", "any"), ("note", "again")],
        )
        .await;
    let asked = app
        .store
        .call_requests_for_person(app.pcn_a, ada)
        .await
        .unwrap();
    assert_eq!(asked.len(), 1, "one open call request");
    // The link worker sees both, and the Today page lists the call.
    let mut lw = signed_in(&app, "lw").await;
    let page = lw.get(&format!("/people/{ada}")).await.body;
    assert!(page.contains("They said they went"), "{page}");
    assert!(page.contains("They asked you to call them"));
    assert!(page.contains("After ten please"));
    assert!(lw
        .get("/today")
        .await
        .body
        .contains("Asked you to call them (1)"));
    lw.post(&format!("/people/{ada}/call-back"), &[]).await;
    assert!(!lw
        .get(&format!("/people/{ada}"))
        .await
        .body
        .contains("They asked you to call them"));
    // Audited as the person.
    let audit = app
        .store
        .list_audit(&storage::AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let theirs: Vec<&str> = audit
        .iter()
        .filter(|a| a.actor_label == format!("person {ada} (their own plan)"))
        .map(|a| a.action.as_str())
        .collect();
    for action in [
        "plan.link_opened",
        "plan.code_sent",
        "plan.sign_in_failed",
        "plan.sign_in",
        "person.plan.read",
        "connection.person_said",
        "person.call_request",
    ] {
        assert!(
            theirs.contains(&action),
            "{action} not audited as them: {theirs:?}"
        );
    }
    // Texts carry no health details: no need, reason or service.
    for t in double.lock().unwrap().taken.iter() {
        for secret in [
            "Allotment",
            "loneliness",
            "bereaved",
            "Plotwell",
            "financial",
        ] {
            assert!(
                !t.body.contains(secret),
                "a text names {secret}: {}",
                t.body
            );
        }
    }
    // Stopping the link signs them out at once.
    lw.post(&format!("/people/{ada}/plan-link/stop"), &[]).await;
    let after = phone.get("/my-plan/view").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/my-plan?ended=1"));
    let dead = phone.get(&format!("/my-plan?code={code}")).await;
    assert_eq!(dead.status, StatusCode::NOT_FOUND);
    assert!(dead.body.contains("This link or code does not work"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_opens_their_plan_on_their_phone_on_sqlite() {
    a_person_opens_their_plan_on_their_phone(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_opens_their_plan_on_their_phone_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_person_opens_their_plan_on_their_phone(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_answers_lock_the_link_and_the_address_is_throttled() {
    let (app, double) = with_notify(
        Engine::Sqlite,
        web::WebConfig {
            plan_tries_per_address: 12,
            ..Default::default()
        },
    )
    .await;
    let (cato, _) = with_plan(&app, "Cato", "Wrongway", "07700 900303").await;
    let code = send_link(&app, &double, cato).await;
    let mut phone = Browser::new(&app);
    let otp = ask_for_code(&mut phone, &double, &code).await;
    let wrong_otp = if otp == "000000" { "111111" } else { "000000" };
    for left in (1..5).rev() {
        let page = sign_in(&mut phone, &code, wrong_otp, DOB).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        let tries = if left == 1 { "try" } else { "tries" };
        assert!(
            page.body.contains(&format!("{left} {tries} left")),
            "{}",
            page.body
        );
    }
    let locked = sign_in(&mut phone, &code, wrong_otp, DOB).await;
    assert_eq!(locked.status, StatusCode::FORBIDDEN);
    assert!(locked.body.contains("This link has been locked"));
    // Locked: even the right answers no longer open it.
    let right = sign_in(&mut phone, &code, &otp, DOB).await;
    assert_ne!(right.status, StatusCode::SEE_OTHER);
    assert!(!right.body.contains("Your plan"));
    let mut lw = signed_in(&app, "lw").await;
    assert!(lw
        .get(&format!("/people/{cato}/plan-link"))
        .await
        .body
        .contains("Locked: too many wrong codes"));
    // Guessing plan codes from one address: refused after the hourly limit.
    let mut guesser = Browser::new(&app);
    let mut last = StatusCode::OK;
    for i in 0..12 {
        last = guesser
            .get(&format!("/my-plan?code=GUES-SGUE-SS{i:02}"))
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// Answers sent all at once to one link (a forwarded link, someone guessing the one-time
/// code): no more than the link's lock allows are checked, the rest are told to try later, and
/// the link ends locked. Before the fix each answer in the burst passed the check before any
/// was counted, so a burst got as many guesses at the code as it sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_sent_at_once_get_no_more_checks_than_the_lock_allows() {
    let (app, double) = with_notify(
        Engine::Sqlite,
        web::WebConfig {
            plan_tries_per_address: 100,
            ..Default::default()
        },
    )
    .await;
    let (eli, _) = with_plan(&app, "Eli", "Burstwell", "07700 900305").await;
    let code = send_link(&app, &double, eli).await;
    let mut phone = Browser::new(&app);
    let otp = ask_for_code(&mut phone, &double, &code).await;
    // Twelve browsers with the form open, then all their answers at once.
    let mut guessers = vec![];
    for _ in 0..12 {
        let mut guesser = Browser::new(&app);
        guesser.get(&format!("/my-plan?code={code}&have=1")).await;
        guessers.push(guesser);
    }
    let mut tasks = vec![];
    for (i, mut guesser) in guessers.into_iter().enumerate() {
        let code = code.clone();
        let guess = format!("{:06}", (otp.parse::<usize>().unwrap() + 1 + i) % 1_000_000);
        tasks.push(tokio::spawn(async move {
            sign_in(&mut guesser, &code, &guess, DOB).await.status
        }));
    }
    let mut statuses = vec![];
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    // Each answer was checked (422, or 403 for the one that locked it), told to try later
    // (429), or came after the lock (404); none opened the plan.
    assert!(
        statuses.iter().all(|s| [
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::FORBIDDEN,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::NOT_FOUND
        ]
        .contains(s)),
        "{statuses:?}"
    );
    let failed = app
        .store
        .list_audit(&storage::AuditFilter {
            action_prefix: Some("plan.sign_in_failed".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        failed.len(),
        storage::PLAN_MAX_FAILURES as usize,
        "{failed:?}"
    );
    // The link is locked: the right answer no longer opens it.
    let right = sign_in(&mut phone, &code, &otp, DOB).await;
    assert_ne!(right.status, StatusCode::SEE_OTHER);
}

/// The link's limit counts wrong answers in a row, as its lock does: a person who gets in
/// after some wrong answers starts again, and is not told to wait by the limit later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_right_answer_starts_the_links_count_again() {
    let (app, double) = with_notify(
        Engine::Sqlite,
        web::WebConfig {
            plan_tries_per_address: 100,
            ..Default::default()
        },
    )
    .await;
    let (fay, _) = with_plan(&app, "Fay", "Againwell", "07700 900306").await;
    let code = send_link(&app, &double, fay).await;
    for wrong_first in [3, 4] {
        let mut phone = Browser::new(&app);
        let otp = ask_for_code(&mut phone, &double, &code).await;
        let wrong = if otp == "000000" { "111111" } else { "000000" };
        for _ in 0..wrong_first {
            let page = sign_in(&mut phone, &code, wrong, DOB).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let page = sign_in(&mut phone, &code, &otp, DOB).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_notify_the_code_waits_for_the_link_worker_to_read_out() {
    let app = spawn_app().await;
    let (dora, _) = with_plan(&app, "Dora", "Nonotify", "07700 900304").await;
    let mut lw = signed_in(&app, "lw").await;
    let (code, shown) = printed_code(&mut lw, dora, "90").await;
    assert!(shown.contains("Give them this code"));
    let mut phone = Browser::new(&app);
    phone.get(&format!("/my-plan?code={code}")).await;
    let page = phone
        .post("/my-plan/code", &[("code", &code), ("channel", "sms")])
        .await;
    assert!(
        page.body.contains("We could not send your code just now"),
        "{}",
        page.body
    );
    let person_page = lw.get(&format!("/people/{dora}")).await.body;
    let otp: String = person_page
        .split("you may tell them it (")
        .nth(1)
        .expect("the unsent code on the person's page")
        .chars()
        .take(6)
        .collect();
    // Only their own link worker sees it, and the manager's view of the page does not.
    let mut manager = signed_in(&app, "manager").await;
    let managers = manager.get(&format!("/people/{dora}")).await.body;
    assert!(
        !managers.contains("you may tell them it"),
        "a manager sees the code"
    );
    let ok = sign_in(&mut phone, &code, &otp, DOB).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // Used: it is no longer shown, and what the message said is forgotten.
    let after = lw.get(&format!("/people/{dora}")).await.body;
    assert!(
        !after.contains("you may tell them it"),
        "a used code is still shown"
    );
    web::texts::send_due(&app.state, Utc::now() + Duration::minutes(11))
        .await
        .unwrap();
    for n in app
        .store
        .notifications_for_person(app.pcn_a, dora)
        .await
        .unwrap()
    {
        assert_eq!(
            n.personalisation, "{}",
            "{} still holds its secret",
            n.purpose
        );
    }
    // Signing out is audited as them.
    let view = phone.get("/my-plan/view").await;
    assert_eq!(view.status, StatusCode::OK);
    let out = phone.post("/my-plan/sign-out", &[]).await;
    assert!(out.body.contains("You have signed out"));
    let audit = app.store.all_audit().await.unwrap();
    assert!(audit.iter().any(|a| a.action == "plan.sign_out"
        && a.actor_label == format!("person {dora} (their own plan)")));
    assert!(audit.iter().any(|a| a.action == "plan.code_shown"));
    // Another PCN's link worker cannot reach the person's plan link page.
    let mut other = signed_in(&app, "lw_b").await;
    assert_eq!(
        other.get(&format!("/people/{dora}/plan-link")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pcn_has_a_public_home_page_with_the_ways_in() {
    let app = spawn_app().await;
    let mut anyone = Browser::new(&app);
    let page = anyone.get("/pcn/u00001").await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in [
        "Social prescribing at North PCN",
        "Hill Surgery",
        "href=\"/self-referral\"",
        "href=\"/my-plan\"",
        "who=agency",
        "call 999",
    ] {
        assert!(page.body.contains(shown), "{shown} not on the PCN's page");
    }
    // Another PCN's page shows its own practices only.
    let south = anyone.get("/pcn/U00002").await.body;
    assert!(south.contains("Vale Surgery") && !south.contains("Hill Surgery"));
    assert_eq!(anyone.get("/pcn/NOPE1").await.status, StatusCode::NOT_FOUND);
}

/// Emails through Notify (no SMTP relay at all): a referrer's confirmation link and a
/// person's one-time code, each checked by the double (the JWT, a valid address, the
/// template's placeholders filled).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_go_through_notify_when_its_templates_are_set() {
    let (app, double) = with_notify(Engine::Sqlite, Default::default()).await;
    assert!(
        app.state.config.mail.is_none(),
        "no SMTP relay in this test"
    );
    // A referrer without an account: the confirmation goes by Notify email.
    let practice = app.practice_a.to_string();
    let mut officer = Browser::new(&app);
    officer
        .get(&format!(
            "/self-referral/details?practice={practice}&who=agency"
        ))
        .await;
    let sent = officer
        .post(
            "/self-referral",
            &crate::self_referral::agency_answers(&practice, "pc.lee@west.police.example"),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("Check your email"), "{}", sent.body);
    let mail = double.lock().unwrap().taken.last().unwrap().clone_parts();
    assert_eq!(mail.0, "pc.lee@west.police.example");
    assert!(
        mail.1.starts_with(
            "You filled in a social prescribing referral to the link workers of North PCN"
        ),
        "{}",
        mail.1
    );
    for private in ["Stellan", "Moberg", "loneliness"] {
        assert!(
            !mail.1.contains(private),
            "the email names no one: {private}"
        );
    }
    let link = mail
        .1
        .split("open ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let path = link.trim_start_matches("http://localhost");
    let page = officer.get(path).await;
    assert!(page.body.contains("Send the referral"), "{}", page.body);

    // A person's one-time code by email through Notify.
    let mut lw = signed_in(&app, "lw").await;
    let mut fields = referral_fields("Enid", "Mailwell", true);
    fields.extend([("email", "enid.mailwell@example.org")]);
    let page = lw.post("/referrals", &fields).await;
    let enid = person_of(&page.location.expect(&page.body));
    let (code, _) = printed_code(&mut lw, enid, "30").await;
    let mut phone = Browser::new(&app);
    let door = phone.get(&format!("/my-plan?code={code}")).await;
    assert!(
        door.body.contains("An email to e•••@example.org"),
        "{}",
        door.body
    );
    let asked = phone
        .post("/my-plan/code", &[("code", &code), ("channel", "email")])
        .await;
    assert!(
        asked.body.contains("We have sent an email"),
        "{}",
        asked.body
    );
    let mail = double.lock().unwrap().taken.last().unwrap().clone_parts();
    assert_eq!(mail.0, "enid.mailwell@example.org");
    let otp: String = mail
        .1
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect();
    let ok = sign_in(&mut phone, &code, &otp, DOB).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

/// The person's own forms (neither staff nor public, so neither corpus walks them): every
/// field with every hostile payload, signed in as the person. Never a server error, never
/// live markup back, and the session survives refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_through_the_persons_own_forms() {
    let (app, double) = with_notify(Engine::Sqlite, Default::default()).await;
    let (fay, _) = with_plan(&app, "Fay", "Fuzzwell", "07700 900305").await;
    let code = send_link(&app, &double, fay).await;
    let mut phone = Browser::new(&app);
    let otp = ask_for_code(&mut phone, &double, &code).await;
    assert_eq!(
        sign_in(&mut phone, &code, &otp, DOB).await.status,
        StatusCode::SEE_OTHER
    );
    let conn = app
        .store
        .connections_for_person(app.pcn_a, fay)
        .await
        .unwrap()[0]
        .id
        .to_string();
    let mut wellbeing: Vec<(&str, String)> = [
        "optimistic",
        "useful",
        "relaxed",
        "problems",
        "thinking",
        "close",
        "mind",
    ]
    .iter()
    .map(|k| (*k, "3".to_string()))
    .collect();
    let forms: Vec<(&str, Vec<(&str, String)>)> = vec![
        (
            "/my-plan/went",
            vec![("connection", conn.clone()), ("said", "went".into())],
        ),
        (
            "/my-plan/call-me",
            vec![("best_time", "any".into()), ("note", "after ten".into())],
        ),
        ("/my-plan/wellbeing", std::mem::take(&mut wellbeing)),
    ];
    let mut sent = 0;
    for (action, good) in &forms {
        for i in 0..good.len() {
            for (label, payload) in crate::hostile::payloads() {
                // The view carries the session's form token.
                phone.get("/my-plan/view").await;
                let fields: Vec<(&str, &str)> = good
                    .iter()
                    .enumerate()
                    .map(|(j, (k, v))| (*k, if i == j { payload.as_str() } else { v.as_str() }))
                    .collect();
                let page = phone.post(action, &fields).await;
                let what = format!("{action} {} = {label}", good[i].0);
                assert!(!page.status.is_server_error(), "{what}: {}", page.status);
                assert!(!page.body.contains("<script"), "{what}: live markup");
                assert_ne!(
                    page.location.as_deref(),
                    Some("/my-plan?ended=1"),
                    "{what}: signed out"
                );
                sent += 1;
            }
        }
    }
    assert!(sent > 100, "{sent} sent");
    // Still their plan, and nothing of the payloads reached anyone else's record.
    assert_eq!(phone.get("/my-plan/view").await.status, StatusCode::OK);
    let open = app
        .store
        .call_requests_for_person(app.pcn_a, fay)
        .await
        .unwrap();
    assert!(open.len() <= 1, "one open call request at most");
}
