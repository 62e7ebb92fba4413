//! Storage behaviour, written once. Each function takes a fresh, empty database and
//! panics on a failed expectation; `tests/conformance.rs` runs each on every engine.

use chrono::{Duration, NaiveDate, Utc};
use domain::{DischargeReason, EpisodeState, PersonDraft, ReferralDraft, Role};
use std::sync::Arc;
use storage::{
    Actor, AuditEntry, AuditFilter, AuditVerification, CaseloadFilter, CaseloadSort, NewUser,
    PersonQuery, PersonRef, Session, Storage, StorageError,
};

/// Two PCNs, a practice, link workers in each and a manager.
pub struct Fixture {
    pub pcn_a: i64,
    pub pcn_b: i64,
    pub practice_a: i64,
    pub practice_b: i64,
    pub worker_a: i64,
    pub worker_a2: i64,
    pub worker_b: i64,
    pub manager_a: i64,
}

pub fn actor() -> Actor {
    Actor {
        user_id: None,
        label: "conformance".into(),
        ip: Some("127.0.0.1".into()),
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub fn person(given: &str, family: &str, dob: &str) -> domain::PersonDetails {
    PersonDraft {
        given_name: given.into(),
        family_name: family.into(),
        date_of_birth: dob.into(),
        ..Default::default()
    }
    .validate(today())
    .expect("valid person")
}

pub fn referral() -> domain::ReferralDetails {
    ReferralDraft {
        source: "gp".into(),
        referrer_name: "Dr Test".into(),
        referrer_contact: "0113 496 0000".into(),
        needs: vec!["loneliness".into()],
        consent: true,
        ..Default::default()
    }
    .validate()
    .expect("valid referral")
}

async fn user(s: &dyn Storage, email: &str, role: Role, pcn: i64) -> i64 {
    s.create_user(
        NewUser {
            email: email.into(),
            name: email.into(),
            role,
            pcn_id: Some(pcn),
            partner_org_id: None,
            password_hash: "x".into(),
        },
        &actor(),
    )
    .await
    .expect("create user")
    .id
}

pub async fn fixture(s: &dyn Storage) -> Fixture {
    let pcn_a = s.create_pcn("North PCN", "U00001").await.unwrap().id;
    let pcn_b = s.create_pcn("South PCN", "U00002").await.unwrap().id;
    let practice_a = s
        .create_practice(pcn_a, "Hill Surgery", "Y00001")
        .await
        .unwrap()
        .id;
    let practice_b = s
        .create_practice(pcn_b, "Vale Surgery", "Y00002")
        .await
        .unwrap()
        .id;
    Fixture {
        pcn_a,
        pcn_b,
        practice_a,
        practice_b,
        worker_a: user(s, "lw.a@example.org", Role::LinkWorker, pcn_a).await,
        worker_a2: user(s, "lw.a2@example.org", Role::LinkWorker, pcn_a).await,
        worker_b: user(s, "lw.b@example.org", Role::LinkWorker, pcn_b).await,
        manager_a: user(s, "manager.a@example.org", Role::Manager, pcn_a).await,
    }
}

pub async fn people_round_trip_and_optimistic_versioning(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let mut d = person("Ada", "Testperson", "1950-04-02");
    d.nhs_number = Some(domain::NhsNumber::parse("9434765919").unwrap());
    d.postcode = Some(domain::Postcode::parse("LS1 4AP").unwrap());
    d.practice_id = Some(f.practice_a);
    d.access_needs = vec![
        domain::AccessNeed::LargePrint,
        domain::AccessNeed::HearingLoop,
    ];
    let p = s.create_person(f.pcn_a, &d, &actor()).await.unwrap();
    assert_eq!(p.version, 1);
    let got = s.get_person(f.pcn_a, p.id).await.unwrap().expect("found");
    assert_eq!(got.details, d, "what is read back is what was written");

    let mut changed = d.clone();
    changed.phone = "0113 496 0999".into();
    let v2 = s
        .update_person(f.pcn_a, p.id, 1, &changed, &actor())
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.details.phone, "0113 496 0999");

    // A second editor who opened version 1 is refused, and the first edit survives.
    let mut stale = d.clone();
    stale.family_name = "Overwritten".into();
    assert!(matches!(
        s.update_person(f.pcn_a, p.id, 1, &stale, &actor()).await,
        Err(StorageError::Stale)
    ));
    let now = s.get_person(f.pcn_a, p.id).await.unwrap().unwrap();
    assert_eq!(now.details.family_name, "Testperson");
    assert_eq!(now.details.phone, "0113 496 0999");
    assert_eq!(now.version, 2);
}

pub async fn concurrent_edits_one_wins(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let p = s
        .create_person(f.pcn_a, &person("Con", "Current", "1970-01-01"), &actor())
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..6 {
        let s = s.clone();
        let mut d = p.details.clone();
        d.phone = format!("0113 496 000{i}");
        tasks.push(tokio::spawn(async move {
            s.update_person(f.pcn_a, p.id, 1, &d, &actor()).await
        }));
    }
    let mut ok = 0;
    let mut stale = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StorageError::Stale) => stale += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(
        (ok, stale),
        (1, 5),
        "exactly one of six concurrent edits of version 1 wins"
    );
    assert_eq!(
        s.get_person(f.pcn_a, p.id).await.unwrap().unwrap().version,
        2
    );
}

pub async fn practice_must_be_in_the_pcn(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let mut d = person("Pat", "Practice", "1980-05-05");
    d.practice_id = Some(f.practice_b);
    assert!(matches!(
        s.create_person(f.pcn_a, &d, &actor()).await,
        Err(StorageError::Rule(_))
    ));
    assert!(
        s.search_people(
            f.pcn_a,
            &PersonQuery {
                limit: 10,
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .is_empty(),
        "nothing saved"
    );
}

pub async fn tenants_are_isolated(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let (_, ep) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(person("Iso", "Lated", "1960-06-06"))),
            &referral(),
            None,
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let pid = ep.person_id;
    assert!(s.get_person(f.pcn_b, pid).await.unwrap().is_none());
    assert!(s.get_episode(f.pcn_b, ep.id).await.unwrap().is_none());
    assert!(s
        .search_people(
            f.pcn_b,
            &PersonQuery {
                name: Some("iso".into()),
                limit: 10,
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .is_empty());
    assert!(s.unassigned_queue(f.pcn_b).await.unwrap().is_empty());
    assert!(s.timeline(f.pcn_b, pid).await.unwrap().is_empty());
    assert!(s
        .episodes_for_person(f.pcn_b, pid)
        .await
        .unwrap()
        .is_empty());
    let d = s.get_person(f.pcn_a, pid).await.unwrap().unwrap().details;
    assert!(matches!(
        s.update_person(f.pcn_b, pid, 1, &d, &actor()).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        s.create_referral(
            f.pcn_b,
            PersonRef::Existing(pid),
            &referral(),
            None,
            Utc::now(),
            &actor()
        )
        .await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        s.assign_episode(f.pcn_b, ep.id, 1, f.worker_b, Utc::now(), &actor())
            .await,
        Err(StorageError::NotFound)
    ));
    // A PCN A episode cannot go to PCN B's link worker.
    assert!(matches!(
        s.assign_episode(f.pcn_a, ep.id, 1, f.worker_b, Utc::now(), &actor())
            .await,
        Err(StorageError::Rule(_))
    ));
    assert!(s
        .get_episode(f.pcn_a, ep.id)
        .await
        .unwrap()
        .unwrap()
        .link_worker_id
        .is_none());
}

pub async fn search_by_name_nhs_number_birth_date_and_postcode(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let mut a = person("Margaret", "Oakley", "1948-02-11");
    a.nhs_number = Some(domain::NhsNumber::parse("9434765919").unwrap());
    a.postcode = Some(domain::Postcode::parse("LS6 2AB").unwrap());
    let mut b = person("Tom", "Oakfield", "1990-07-30");
    b.postcode = Some(domain::Postcode::parse("LS7 1AA").unwrap());
    let c = person("Priya", "Shah", "1975-12-01");
    for d in [&a, &b, &c] {
        s.create_person(f.pcn_a, d, &actor()).await.unwrap();
    }
    let names = |v: Vec<storage::Person>| {
        v.into_iter()
            .map(|p| p.details.given_name)
            .collect::<Vec<_>>()
    };
    let q = |name: Option<&str>| PersonQuery {
        name: name.map(String::from),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        names(s.search_people(f.pcn_a, &q(Some("oak"))).await.unwrap()),
        vec!["Tom", "Margaret"]
    );
    assert_eq!(
        names(
            s.search_people(f.pcn_a, &q(Some("margaret OAK")))
                .await
                .unwrap()
        ),
        vec!["Margaret"]
    );
    assert!(
        s.search_people(f.pcn_a, &q(Some("%")))
            .await
            .unwrap()
            .is_empty(),
        "wildcards are literal"
    );
    let by_nhs = PersonQuery {
        nhs_number: Some("9434765919".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        names(s.search_people(f.pcn_a, &by_nhs).await.unwrap()),
        vec!["Margaret"]
    );
    let by_dob = PersonQuery {
        date_of_birth: NaiveDate::from_ymd_opt(1975, 12, 1),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        names(s.search_people(f.pcn_a, &by_dob).await.unwrap()),
        vec!["Priya"]
    );
    let by_pc = PersonQuery {
        postcode: Some("ls7 1aa".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        names(s.search_people(f.pcn_a, &by_pc).await.unwrap()),
        vec!["Tom"]
    );
    let by_outward = PersonQuery {
        postcode: Some("LS6".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        names(s.search_people(f.pcn_a, &by_outward).await.unwrap()),
        vec!["Margaret"]
    );
}

pub async fn possible_duplicates(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let mut a = person("Sam", "Double", "1966-03-03");
    a.nhs_number = Some(domain::NhsNumber::parse("6541003238").unwrap());
    s.create_person(f.pcn_a, &a, &actor()).await.unwrap();
    let mut same_nhs = person("Samuel", "Other", "1966-03-04");
    same_nhs.nhs_number = a.nhs_number.clone();
    assert_eq!(
        s.find_possible_duplicates(f.pcn_a, &same_nhs)
            .await
            .unwrap()
            .len(),
        1
    );
    let same_name_dob = person("sam", "DOUBLE", "1966-03-03");
    assert_eq!(
        s.find_possible_duplicates(f.pcn_a, &same_name_dob)
            .await
            .unwrap()
            .len(),
        1
    );
    let different = person("Sam", "Double", "1966-03-05");
    assert!(s
        .find_possible_duplicates(f.pcn_a, &different)
        .await
        .unwrap()
        .is_empty());
    assert!(
        s.find_possible_duplicates(f.pcn_b, &same_name_dob)
            .await
            .unwrap()
            .is_empty(),
        "other PCNs are not searched"
    );
}

pub async fn referral_triage_and_caseload(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let long_ago = Utc::now() - Duration::days(20);
    let (r, ep) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(person("Queue", "Person", "1955-01-01"))),
            &referral(),
            Some(f.manager_a),
            long_ago,
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(ep.state, EpisodeState::Referred);
    assert_eq!(r.needs, vec![domain::Need::Loneliness]);
    let queue = s.unassigned_queue(f.pcn_a).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].days_waiting(Utc::now()), 20);

    // A second referral for the same person opens a second episode.
    let (_, ep2) = s
        .create_referral(
            f.pcn_a,
            PersonRef::Existing(ep.person_id),
            &referral(),
            None,
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(
        s.episodes_for_person(f.pcn_a, ep.person_id)
            .await
            .unwrap()
            .len(),
        2
    );

    let assigned = s
        .assign_episode(f.pcn_a, ep.id, ep.version, f.worker_a, Utc::now(), &actor())
        .await
        .unwrap();
    assert_eq!(assigned.link_worker_id, Some(f.worker_a));
    assert_eq!(assigned.version, ep.version + 1);
    let queue = s.unassigned_queue(f.pcn_a).await.unwrap();
    assert_eq!(
        queue.iter().map(|r| r.episode_id).collect::<Vec<_>>(),
        vec![ep2.id]
    );
    let caseload = s
        .caseload(f.pcn_a, f.worker_a, &CaseloadFilter::default())
        .await
        .unwrap();
    assert_eq!(caseload.len(), 1);
    assert_eq!(caseload[0].given_name, "Queue");
    assert!(s
        .caseload(f.pcn_a, f.worker_a2, &CaseloadFilter::default())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.taken_on_since(f.pcn_a, f.worker_a, Utc::now() - Duration::days(365))
            .await
            .unwrap(),
        1
    );

    // Assigning with the version from before the assignment is stale.
    assert!(matches!(
        s.assign_episode(
            f.pcn_a,
            ep.id,
            ep.version,
            f.worker_a2,
            Utc::now(),
            &actor()
        )
        .await,
        Err(StorageError::Stale)
    ));
    // Only link workers hold caseloads.
    assert!(matches!(
        s.assign_episode(
            f.pcn_a,
            ep2.id,
            ep2.version,
            f.manager_a,
            Utc::now(),
            &actor()
        )
        .await,
        Err(StorageError::Rule(_))
    ));

    let timeline = s.timeline(f.pcn_a, ep.person_id).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, vec!["assignment", "referral", "referral"]);
    assert!(
        timeline[0].summary.contains("lw.a@example.org"),
        "{}",
        timeline[0].summary
    );
    let mine = s.referrals_made_by(f.pcn_a, f.manager_a).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0].link_worker_name.as_deref(),
        Some("lw.a@example.org")
    );
}

pub async fn episode_transitions_follow_the_domain(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let (_, ep) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(person("Jo", "Journey", "1985-08-08"))),
            &referral(),
            None,
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let ep = s
        .assign_episode(f.pcn_a, ep.id, ep.version, f.worker_a, Utc::now(), &actor())
        .await
        .unwrap();
    // Illegal: straight to active. Nothing changes.
    let err = s
        .transition_episode(
            f.pcn_a,
            ep.id,
            ep.version,
            EpisodeState::Active,
            None,
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::Rule(ref m) if m.contains("cannot become active")),
        "{err}"
    );
    assert_eq!(
        s.get_episode(f.pcn_a, ep.id).await.unwrap().unwrap().state,
        EpisodeState::Referred
    );

    let mut cur = ep;
    for to in [
        EpisodeState::Contacting,
        EpisodeState::Accepted,
        EpisodeState::Assessed,
        EpisodeState::PlanAgreed,
        EpisodeState::Active,
    ] {
        cur = s
            .transition_episode(f.pcn_a, cur.id, cur.version, to, None, Utc::now(), &actor())
            .await
            .unwrap();
        assert_eq!(cur.state, to);
    }
    assert!(
        cur.first_contact_at.is_some(),
        "first contact recorded when contacting starts"
    );
    let next = Utc::now() + Duration::days(7);
    cur = s
        .set_next_contact(f.pcn_a, cur.id, cur.version, Some(next), &actor())
        .await
        .unwrap();
    let row = &s
        .caseload(
            f.pcn_a,
            f.worker_a,
            &CaseloadFilter {
                sort: CaseloadSort::NextContact,
                ..Default::default()
            },
        )
        .await
        .unwrap()[0];
    assert_eq!(
        row.next_contact_at.map(|t| t.date_naive()),
        Some(next.date_naive())
    );

    assert!(matches!(
        s.transition_episode(
            f.pcn_a,
            cur.id,
            cur.version,
            EpisodeState::Discharged,
            None,
            Utc::now(),
            &actor()
        )
        .await,
        Err(StorageError::Rule(_))
    ));
    cur = s
        .transition_episode(
            f.pcn_a,
            cur.id,
            cur.version,
            EpisodeState::Discharged,
            Some(DischargeReason::GoalsMet),
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    assert!(cur.closed_at.is_some());
    assert_eq!(cur.discharge_reason, Some(DischargeReason::GoalsMet));
    assert!(
        s.caseload(f.pcn_a, f.worker_a, &CaseloadFilter::default())
            .await
            .unwrap()
            .is_empty(),
        "discharged people leave the caseload"
    );
    let closed = CaseloadFilter {
        states: vec![EpisodeState::Discharged],
        ..Default::default()
    };
    assert_eq!(
        s.caseload(f.pcn_a, f.worker_a, &closed)
            .await
            .unwrap()
            .len(),
        1
    );
    // Eight moves, the referral, and the GP-record code queued on acceptance.
    assert_eq!(s.timeline(f.pcn_a, cur.person_id).await.unwrap().len(), 10);
}

pub async fn accounts_throttling_sessions_and_tokens(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let dup = s
        .create_user(
            NewUser {
                email: "LW.A@example.org".into(),
                name: "x".into(),
                role: Role::Referrer,
                pcn_id: Some(f.pcn_a),
                partner_org_id: None,
                password_hash: "x".into(),
            },
            &actor(),
        )
        .await;
    assert!(
        matches!(dup, Err(StorageError::Duplicate(ref m)) if m.contains("lw.a@example.org")),
        "{dup:?}"
    );
    let u = s
        .user_by_email(" Lw.A@Example.org ")
        .await
        .unwrap()
        .expect("email lookups ignore case");
    let lock = Utc::now() + Duration::minutes(15);
    for i in 1..=4 {
        assert_eq!(
            s.record_login_failure(u.id, 5, lock, &actor())
                .await
                .unwrap(),
            i
        );
    }
    assert!(s
        .user_by_id(u.id)
        .await
        .unwrap()
        .unwrap()
        .locked_until
        .is_none());
    s.record_login_failure(u.id, 5, lock, &actor())
        .await
        .unwrap();
    let locked = s.user_by_id(u.id).await.unwrap().unwrap();
    assert!(
        locked.locked_until.is_some_and(|t| t > Utc::now()),
        "locked after five failures"
    );

    let now = storage::now();
    let sess = Session {
        id_hash: "h1".into(),
        user_id: u.id,
        csrf_token: "c".into(),
        created_at: now,
        last_seen_at: now,
    };
    s.create_session(&sess).await.unwrap();
    let (found, user) = s.session_with_user("h1").await.unwrap().unwrap();
    assert_eq!((found.user_id, found.csrf_token.as_str()), (u.id, "c"));
    assert_eq!((user.id, user.email.as_str()), (u.id, u.email.as_str()));
    assert_eq!(
        (found.created_at, found.last_seen_at),
        (sess.created_at, sess.last_seen_at),
        "the session's own times, not the user's"
    );
    s.create_api_token(u.id, "old script", "oldtok", &actor())
        .await
        .unwrap();
    s.set_password(u.id, "new-hash", &actor()).await.unwrap();
    assert!(
        s.session_with_user("h1").await.unwrap().is_none(),
        "a password change ends sessions"
    );
    assert!(
        s.api_token_by_hash("oldtok", Utc::now())
            .await
            .unwrap()
            .is_none(),
        "and revokes API tokens"
    );
    let after = s.user_by_id(u.id).await.unwrap().unwrap();
    assert!(after.locked_until.is_none() && after.password_hash == "new-hash");

    s.create_session(&Session {
        id_hash: "h2".into(),
        ..sess.clone()
    })
    .await
    .unwrap();
    s.set_user_disabled(u.id, true, &actor()).await.unwrap();
    assert!(s.user_by_id(u.id).await.unwrap().unwrap().disabled);
    assert!(
        s.session_with_user("h2").await.unwrap().is_none(),
        "disabling ends sessions"
    );

    let t = s
        .create_api_token(f.worker_a2, "script", "tokhash", &actor())
        .await
        .unwrap();
    assert_eq!(
        s.api_token_by_hash("tokhash", Utc::now())
            .await
            .unwrap()
            .unwrap()
            .id,
        t.id
    );
    assert!(s.list_api_tokens(f.worker_a2).await.unwrap()[0]
        .last_used_at
        .is_some());
    assert!(
        matches!(
            s.revoke_api_token(f.worker_a, t.id, &actor()).await,
            Err(StorageError::NotFound)
        ),
        "only the owner revokes"
    );
    s.revoke_api_token(f.worker_a2, t.id, &actor())
        .await
        .unwrap();
    assert!(s
        .api_token_by_hash("tokhash", Utc::now())
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.list_users(Some(f.pcn_a)).await.unwrap().len(), 3);
    assert_eq!(s.list_users(None).await.unwrap().len(), 4);
}

pub async fn audit_chain_records_every_write(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let p = s
        .create_person(f.pcn_a, &person("Aud", "It", "1999-09-09"), &actor())
        .await
        .unwrap();
    s.update_person(f.pcn_a, p.id, 1, &p.details, &actor())
        .await
        .unwrap();
    s.append_audit(&AuditEntry::new(
        &actor(),
        "person.read",
        "person",
        Some(p.id),
        Some(f.pcn_a),
    ))
    .await
    .unwrap();
    let for_person = s
        .list_audit(&AuditFilter {
            entity: Some("person".into()),
            entity_id: Some(p.id),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = for_person.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["person.read", "person.update", "person.create"]
    );
    let b_only = s
        .list_audit(&AuditFilter {
            pcn_id: Some(f.pcn_b),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(b_only.iter().all(|r| r.pcn_id == Some(f.pcn_b)));

    // Concurrent appends still form one unbroken chain.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.append_audit(&AuditEntry::new(
                &actor(),
                "person.read",
                "person",
                Some(i),
                None,
            ))
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    match s.verify_audit().await.unwrap() {
        // 4 accounts + create, update, read + 20 reads.
        AuditVerification::Intact { records } => assert_eq!(records, 27),
        broken => panic!("chain broken: {broken:?}"),
    }
}

/// Contacts: the first moves a referred episode on, attended ones set first/last contact,
/// tenancy and closed episodes are respected, and each is on the timeline and audited.
pub async fn contacts_move_the_episode_on(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let referred_at = Utc::now() - Duration::days(10);
    let (_, ep) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(person("Contact", "Person", "1950-05-05"))),
            &referral(),
            Some(f.manager_a),
            referred_at,
            &actor(),
        )
        .await
        .unwrap();
    let contact = |days_ago: i64, dna: bool| domain::ContactDetails {
        contact_type: domain::ContactType::Telephone,
        at: Utc::now() - Duration::days(days_ago),
        duration_minutes: (!dna).then_some(15),
        did_not_attend: dna,
        present: vec![domain::Present::Person],
        notes: String::new(),
    };
    // Another PCN cannot add a contact.
    let err = s
        .record_contact(f.pcn_b, ep.id, ep.version, &contact(5, false), &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound), "{err:?}");
    // A missed call: the episode is now being contacted, but there is no first contact yet.
    let (_, ep) = s
        .record_contact(f.pcn_a, ep.id, ep.version, &contact(6, true), &actor())
        .await
        .unwrap();
    assert_eq!(ep.state, EpisodeState::Contacting);
    assert_eq!(ep.first_contact_at, None);
    // Stale versions are refused.
    let stale = s
        .record_contact(f.pcn_a, ep.id, ep.version - 1, &contact(5, false), &actor())
        .await
        .unwrap_err();
    assert!(matches!(stale, StorageError::Stale));
    let (_, ep) = s
        .record_contact(f.pcn_a, ep.id, ep.version, &contact(5, false), &actor())
        .await
        .unwrap();
    let (_, ep) = s
        .record_contact(f.pcn_a, ep.id, ep.version, &contact(2, false), &actor())
        .await
        .unwrap();
    assert_eq!(
        ep.state,
        EpisodeState::Contacting,
        "later contacts do not move it"
    );
    let first = ep.first_contact_at.unwrap();
    let last = ep.last_contact_at.unwrap();
    assert_eq!((Utc::now() - first).num_days(), 5);
    assert_eq!((Utc::now() - last).num_days(), 2);
    let contacts = s.contacts_for_person(f.pcn_a, ep.person_id).await.unwrap();
    assert_eq!(contacts.len(), 3);
    assert!(
        contacts[0].details.at > contacts[2].details.at,
        "newest first"
    );
    assert!(s
        .contacts_for_person(f.pcn_b, ep.person_id)
        .await
        .unwrap()
        .is_empty());
    let timeline = s.timeline(f.pcn_a, ep.person_id).await.unwrap();
    assert_eq!(timeline.iter().filter(|t| t.kind == "contact").count(), 3);
    assert!(timeline.iter().any(|t| t.summary.contains("first contact")));
    // Closed episodes take no more contacts.
    let ep = s
        .transition_episode(
            f.pcn_a,
            ep.id,
            ep.version,
            EpisodeState::Declined,
            None,
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let err = s
        .record_contact(f.pcn_a, ep.id, ep.version, &contact(1, false), &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(_)));
    let audit = s.all_audit().await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "contact.create")
            .count(),
        3
    );
}

/// An episode for a new person registered at practice A, moved to `accepted`.
async fn accepted_episode(s: &dyn Storage, f: &Fixture, family: &str) -> storage::Episode {
    let mut p = person("Journey", family, "1961-02-03");
    p.practice_id = Some(f.practice_a);
    let (_, ep) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(p)),
            &referral(),
            Some(f.manager_a),
            Utc::now() - Duration::days(20),
            &actor(),
        )
        .await
        .unwrap();
    let mut ep = ep;
    for to in [EpisodeState::Contacting, EpisodeState::Accepted] {
        ep = s
            .transition_episode(f.pcn_a, ep.id, ep.version, to, None, Utc::now(), &actor())
            .await
            .unwrap();
    }
    ep
}

pub async fn coding_is_queued_once_per_episode(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let accepted = accepted_episode(&*s, &f, "Accepts").await;
    let pending = s
        .coding_entries(f.pcn_a, Some(f.practice_a), true)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].concept_id, "871731000000106");
    assert_eq!(pending[0].episode_id, accepted.id);
    assert_eq!(pending[0].person_name, "Journey Accepts");
    assert!(s
        .coding_entries(f.pcn_b, None, false)
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .coding_entries(f.pcn_a, Some(f.practice_b), false)
        .await
        .unwrap()
        .is_empty());
    // A decline queues the decline code.
    let (_, ep) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(person("Journey", "Declines", "1970-01-01"))),
            &referral(),
            None,
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    s.transition_episode(
        f.pcn_a,
        ep.id,
        ep.version,
        EpisodeState::Declined,
        None,
        Utc::now(),
        &actor(),
    )
    .await
    .unwrap();
    let all = s.coding_entries(f.pcn_a, None, true).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].concept_id, "871711000000103");
    assert_eq!(all[1].practice_id, None, "no practice recorded");
    // Marked recorded once; a second time is refused; another PCN cannot.
    let err = s
        .mark_coded(f.pcn_b, pending[0].id, &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound), "{err:?}");
    let done = s
        .mark_coded(f.pcn_a, pending[0].id, &actor())
        .await
        .unwrap();
    assert!(done.recorded && done.recorded_at.is_some());
    let again = s
        .mark_coded(f.pcn_a, pending[0].id, &actor())
        .await
        .unwrap_err();
    assert!(matches!(again, StorageError::Rule(_)));
    assert_eq!(
        s.coding_entries(f.pcn_a, None, true).await.unwrap().len(),
        1
    );
    assert_eq!(
        s.coding_for_person(f.pcn_a, accepted.person_id)
            .await
            .unwrap()
            .len(),
        1
    );
    // The catalogue is data: a new concept queued on acceptance applies from now on.
    s.save_coding_concept(
        &storage::CodingConcept {
            concept_id: "1000000000001".into(),
            term: "Local social prescribing offered code".into(),
            queued_on: Some(EpisodeState::Accepted),
            active: true,
        },
        &actor(),
    )
    .await
    .unwrap();
    assert_eq!(s.coding_catalogue().await.unwrap().len(), 3);
    let second = accepted_episode(&*s, &f, "Second").await;
    let codes = s
        .coding_for_person(f.pcn_a, second.person_id)
        .await
        .unwrap();
    assert_eq!(codes.len(), 2, "{codes:?}");
    let timeline = s.timeline(f.pcn_a, accepted.person_id).await.unwrap();
    assert_eq!(timeline.iter().filter(|t| t.kind == "coding").count(), 2);
}

pub async fn records_keep_history_and_move_the_episode(s: Arc<dyn Storage>) {
    use domain::{Code, RecordKind};
    use storage::NewRecord;
    let f = fixture(&*s).await;
    let ep = accepted_episode(&*s, &f, "Records").await;
    let rec = |kind: RecordKind, body: &str| NewRecord {
        kind,
        status: String::new(),
        body: body.into(),
        assigned_to: None,
        due_at: (kind == RecordKind::Plan).then(|| Utc::now() + Duration::days(3)),
        summary: format!("{} saved", kind.label()),
        at: Utc::now(),
    };
    let err = s
        .add_record(f.pcn_b, ep.id, &rec(RecordKind::Assessment, "{}"), &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound));
    let (_, ep) = s
        .add_record(
            f.pcn_a,
            ep.id,
            &rec(RecordKind::Assessment, "{\"v\":1}"),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(ep.state, EpisodeState::Assessed);
    let (_, ep) = s
        .add_record(
            f.pcn_a,
            ep.id,
            &rec(RecordKind::Assessment, "{\"v\":2}"),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(
        ep.state,
        EpisodeState::Assessed,
        "reassessment keeps the state"
    );
    let (_, ep) = s
        .add_record(
            f.pcn_a,
            ep.id,
            &rec(RecordKind::Plan, "{\"plan\":1}"),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(ep.state, EpisodeState::PlanAgreed);
    s.assign_episode(f.pcn_a, ep.id, ep.version, f.worker_a, Utc::now(), &actor())
        .await
        .unwrap();
    let ep = s.get_episode(f.pcn_a, ep.id).await.unwrap().unwrap();
    let due = s
        .due_records(
            f.pcn_a,
            RecordKind::Plan,
            f.worker_a,
            Utc::now() + Duration::days(7),
        )
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "the plan review is due within a week");
    assert!(s
        .due_records(f.pcn_a, RecordKind::Plan, f.worker_a, Utc::now())
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .due_records(
            f.pcn_a,
            RecordKind::Plan,
            f.worker_a2,
            Utc::now() + Duration::days(7)
        )
        .await
        .unwrap()
        .is_empty());
    let all = s.records_for_person(f.pcn_a, ep.person_id).await.unwrap();
    assert_eq!(all.len(), 3, "earlier versions kept");
    assert_eq!(all[0].body, "{\"v\":1}");
    // A safeguarding concern is open until its supervisor closes it.
    let mut concern = rec(RecordKind::Safeguarding, "{\"concern\":\"x\"}");
    concern.status = "open".into();
    concern.assigned_to = Some(f.manager_a);
    let (c, _) = s
        .add_record(f.pcn_a, ep.id, &concern, &actor())
        .await
        .unwrap();
    let open = s
        .records_by_status(f.pcn_a, RecordKind::Safeguarding, "open", Some(f.manager_a))
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert!(s
        .records_by_status(f.pcn_a, RecordKind::Safeguarding, "open", Some(f.worker_a))
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .records_by_status(f.pcn_b, RecordKind::Safeguarding, "open", None)
        .await
        .unwrap()
        .is_empty());
    let stale = s
        .update_record(
            f.pcn_a,
            c.id,
            c.version + 1,
            "closed",
            "{}",
            "closed",
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StorageError::Stale));
    let other = s
        .update_record(f.pcn_b, c.id, c.version, "closed", "{}", "closed", &actor())
        .await
        .unwrap_err();
    assert!(matches!(other, StorageError::NotFound));
    let closed = s
        .update_record(
            f.pcn_a,
            c.id,
            c.version,
            "closed",
            "{\"done\":1}",
            "Closed",
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!((closed.status.as_str(), closed.version), ("closed", 2));
    assert!(s
        .records_by_status(f.pcn_a, RecordKind::Safeguarding, "open", None)
        .await
        .unwrap()
        .is_empty());
    // Discharge with a summary, in one step; then only health service use may be added.
    let stale = s
        .discharge(
            f.pcn_a,
            ep.id,
            ep.version - 1,
            DischargeReason::GoalsMet,
            "{}",
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StorageError::Stale));
    let ep = s
        .discharge(
            f.pcn_a,
            ep.id,
            ep.version,
            DischargeReason::GoalsMet,
            "{\"summary\":\"done\"}",
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(ep.state, EpisodeState::Discharged);
    assert_eq!(ep.discharge_reason, Some(DischargeReason::GoalsMet));
    let err = s
        .add_record(f.pcn_a, ep.id, &rec(RecordKind::Plan, "{}"), &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(_)));
    s.add_record(f.pcn_a, ep.id, &rec(RecordKind::HealthUse, "{}"), &actor())
        .await
        .unwrap();
    let kinds: Vec<RecordKind> = s
        .records_for_person(f.pcn_a, ep.person_id)
        .await
        .unwrap()
        .iter()
        .map(|r| r.kind)
        .collect();
    assert!(kinds.contains(&RecordKind::Discharge) && kinds.contains(&RecordKind::HealthUse));
    let audit = s.all_audit().await.unwrap();
    assert!(audit.iter().any(|a| a.action == "assessment.create"));
    assert!(audit.iter().any(|a| a.action == "safeguarding.update"));
    assert!(audit.iter().any(|a| a.action == "episode.discharge"));
}

pub async fn connections_close_the_loop(s: Arc<dyn Storage>) {
    use domain::{ConnectionKind, ConnectionReason, ConnectionStatus, Side};
    use storage::{ConnectionScope, NewConnection, SharedDetails, StatusChange};
    let f = fixture(&*s).await;
    let garden = s.create_partner_org("Garden Club").await.unwrap().id;
    let other = s.create_partner_org("Choir").await.unwrap().id;
    let ep = accepted_episode(&*s, &f, "Connects").await;
    let ep = s
        .assign_episode(f.pcn_a, ep.id, ep.version, f.worker_a, Utc::now(), &actor())
        .await
        .unwrap();
    let new = |kind: ConnectionKind, consent: bool, partner: Option<i64>| NewConnection {
        service_id: "svc-1".into(),
        service_name: "Allotment mornings".into(),
        organization_name: "Garden Club".into(),
        partner_org_id: partner,
        kind,
        consent_at: consent.then(Utc::now),
        shared: SharedDetails {
            name: "Journey Connects".into(),
            phone: "07700 900123".into(),
            link_worker: "Sam".into(),
            link_worker_contact: "0113 496 0001".into(),
            ..Default::default()
        },
        due_at: Some(Utc::now() - Duration::days(1)),
        note: String::new(),
        at: Utc::now(),
    };
    let err = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new(ConnectionKind::Referral, false, Some(garden)),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::Rule(ref m) if m.contains("consent")),
        "{err:?}"
    );
    let (sign, _) = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new(ConnectionKind::Signpost, false, None),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(sign.status, ConnectionStatus::Completed);
    assert_eq!(sign.shared.name, "", "nothing shared for a signpost");
    let (r, _) = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new(ConnectionKind::Referral, true, Some(garden)),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, ConnectionStatus::Requested);
    assert_eq!(r.shared.phone, "07700 900123");
    // Overdue and not yet reminded: but the partner is reminded only of referrals it can see,
    // and no relationship is held yet.
    assert!(s.overdue_unreminded(Utc::now()).await.unwrap().is_empty());
    s.set_partner_link(f.pcn_a, garden, storage::LinkSide::Pcn, true, &actor())
        .await
        .unwrap();
    s.set_partner_link(f.pcn_a, garden, storage::LinkSide::Partner, true, &actor())
        .await
        .unwrap();
    let overdue = s.overdue_unreminded(Utc::now()).await.unwrap();
    assert_eq!(overdue.iter().map(|c| c.id).collect::<Vec<_>>(), vec![r.id]);
    s.mark_reminded(r.id, Utc::now()).await.unwrap();
    // Ended again for the relationship checks below.
    s.set_partner_link(f.pcn_a, garden, storage::LinkSide::Pcn, false, &actor())
        .await
        .unwrap();
    s.set_partner_link(f.pcn_a, garden, storage::LinkSide::Partner, false, &actor())
        .await
        .unwrap();
    assert!(s.overdue_unreminded(Utc::now()).await.unwrap().is_empty());
    // Today's list: the worker's requests past their due time, and nobody else's.
    let worker = f.worker_a;
    let ids = |v: Vec<storage::Connection>| v.iter().map(|c| c.id).collect::<Vec<_>>();
    let mine = s
        .overdue_referrals(f.pcn_a, worker, Utc::now())
        .await
        .unwrap();
    assert_eq!(ids(mine), vec![r.id]);
    let before_due = Utc::now() - Duration::days(2);
    assert!(s
        .overdue_referrals(f.pcn_a, worker, before_due)
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .overdue_referrals(f.pcn_b, worker, Utc::now())
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .overdue_referrals(f.pcn_a, f.worker_a2, Utc::now())
        .await
        .unwrap()
        .is_empty());
    // A partner sees a PCN's referrals only while both hold the relationship: the PCN asks,
    // the partner accepts; a partner cannot accept what no PCN asked for.
    use storage::LinkSide;
    assert!(s.connections_for_partner(garden).await.unwrap().is_empty());
    assert!(matches!(
        s.set_partner_link(f.pcn_b, garden, LinkSide::Partner, true, &actor())
            .await
            .unwrap_err(),
        StorageError::NotFound
    ));
    let asked = s
        .set_partner_link(f.pcn_a, garden, LinkSide::Pcn, true, &actor())
        .await
        .unwrap();
    assert!(!asked.is_live());
    assert!(!s.partner_link_live(f.pcn_a, garden).await.unwrap());
    assert!(s.connections_for_partner(garden).await.unwrap().is_empty());
    let live = s
        .set_partner_link(f.pcn_a, garden, LinkSide::Partner, true, &actor())
        .await
        .unwrap();
    assert!(live.is_live());
    assert!(s.partner_link_live(f.pcn_a, garden).await.unwrap());
    assert!(!s.partner_link_live(f.pcn_b, garden).await.unwrap());
    assert_eq!(
        s.partner_links(None, Some(garden)).await.unwrap(),
        vec![live]
    );
    assert!(s
        .partner_links(Some(f.pcn_b), None)
        .await
        .unwrap()
        .is_empty());
    // Partners see only referrals addressed to them.
    assert_eq!(s.connections_for_partner(garden).await.unwrap().len(), 1);
    assert!(s.connections_for_partner(other).await.unwrap().is_empty());
    assert!(s
        .get_connection(ConnectionScope::Partner(other), r.id)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .get_connection(ConnectionScope::Partner(garden), sign.id)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .get_connection(ConnectionScope::Pcn(f.pcn_b), r.id)
        .await
        .unwrap()
        .is_none());
    let change = |to, reason, side| StatusChange {
        to,
        reason,
        note: String::new(),
        side,
        at: None,
    };
    let err = s
        .update_connection(
            ConnectionScope::Partner(other),
            r.id,
            r.version,
            &change(ConnectionStatus::Accepted, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound));
    // The link worker cannot answer for an organisation that answers in Linkwork.
    let err = s
        .update_connection(
            ConnectionScope::Pcn(f.pcn_a),
            r.id,
            r.version,
            &change(ConnectionStatus::Accepted, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(_)));
    let err = s
        .update_connection(
            ConnectionScope::Partner(garden),
            r.id,
            r.version,
            &change(ConnectionStatus::Completed, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::Rule(ref m) if m.contains("Accepted")),
        "{err:?}"
    );
    let r = s
        .update_connection(
            ConnectionScope::Partner(garden),
            r.id,
            r.version,
            &change(ConnectionStatus::Accepted, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap();
    assert!(r.answered_at.is_some());
    assert_eq!(s.open_referrals(f.pcn_a, None).await.unwrap().len(), 1);
    let r = s
        .update_connection(
            ConnectionScope::Partner(garden),
            r.id,
            r.version,
            &change(ConnectionStatus::Completed, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, ConnectionStatus::Completed);
    assert!(s.open_referrals(f.pcn_a, None).await.unwrap().is_empty());
    // Either side ending the relationship takes the PCN's referrals out of the partner's sight.
    s.set_partner_link(f.pcn_a, garden, LinkSide::Pcn, false, &actor())
        .await
        .unwrap();
    assert!(s.connections_for_partner(garden).await.unwrap().is_empty());
    assert!(s
        .get_connection(ConnectionScope::Partner(garden), r.id)
        .await
        .unwrap()
        .is_none());
    s.set_partner_link(f.pcn_a, garden, LinkSide::Pcn, true, &actor())
        .await
        .unwrap();
    assert_eq!(s.connections_for_partner(garden).await.unwrap().len(), 1);
    // Without a partner account, the link worker records the organisation's answer; a
    // rejection needs a reason.
    let (r2, _) = s
        .create_connection(
            f.pcn_a,
            ep.id,
            &new(ConnectionKind::Referral, true, None),
            &actor(),
        )
        .await
        .unwrap();
    let err = s
        .update_connection(
            ConnectionScope::Pcn(f.pcn_a),
            r2.id,
            r2.version,
            &change(ConnectionStatus::Rejected, None, Side::Partner),
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(ref m) if m.contains("reason")));
    let r2 = s
        .update_connection(
            ConnectionScope::Pcn(f.pcn_a),
            r2.id,
            r2.version,
            &change(
                ConnectionStatus::Rejected,
                Some(ConnectionReason::NoCapacity),
                Side::Partner,
            ),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(r2.reason, Some(ConnectionReason::NoCapacity));
    let mine = s
        .connections_for_person(f.pcn_a, ep.person_id)
        .await
        .unwrap();
    assert_eq!(mine.len(), 3);
    let timeline = s.timeline(f.pcn_a, ep.person_id).await.unwrap();
    assert!(timeline
        .iter()
        .any(|t| t.summary.contains("referral accepted")));
    assert!(timeline
        .iter()
        .any(|t| t.summary.contains("as told by the organisation")));
}

pub async fn workforce_and_report_facts_stay_in_their_pcn(s: Arc<dyn Storage>) {
    use domain::{EmployerKind, Employment, SupervisionKind};
    use storage::{ContactCount, FactNeeds, NewSupervision, ReportScope};
    let f = fixture(&*s).await;
    let job = Employment {
        employer_kind: EmployerKind::Pcn,
        employer_name: "North PCN".into(),
        wte_milli: 800,
        annual_salary_pence: 2_400_000,
        annual_oncosts_pence: 500_000,
        subcontract_monthly_pence: 0,
        afc_band: "5".into(),
        start_date: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
        end_date: None,
    };
    let rec = s
        .create_employment(f.pcn_a, f.worker_a, &job, &actor())
        .await
        .unwrap();
    assert_eq!(rec.employment, job, "money and dates round-trip exactly");
    // Another PCN's link worker cannot be given this PCN's employment, nor seen.
    assert!(matches!(
        s.create_employment(f.pcn_a, f.worker_b, &job, &actor())
            .await,
        Err(StorageError::Rule(_))
    ));
    assert!(s.employments(f.pcn_b).await.unwrap().is_empty());
    assert!(s.get_employment(f.pcn_b, rec.id).await.unwrap().is_none());
    // Optimistic versioning on change.
    let mut changed = job.clone();
    changed.wte_milli = 1000;
    s.update_employment(f.pcn_a, rec.id, rec.version, &changed, &actor())
        .await
        .unwrap();
    assert!(matches!(
        s.update_employment(f.pcn_a, rec.id, rec.version, &changed, &actor())
            .await,
        Err(StorageError::Stale)
    ));
    // Supervision: a case from another PCN is refused and nothing is saved.
    let ep = accepted_episode(&*s, &f, "Supervised").await;
    let mut p = person("Other", "Pcn", "1970-01-01");
    p.practice_id = Some(f.practice_b);
    let (_, other) = s
        .create_referral(
            f.pcn_b,
            PersonRef::New(Box::new(p)),
            &referral(),
            None,
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let session = |cases: Vec<i64>| NewSupervision {
        link_worker_id: f.worker_a,
        supervisor_id: f.manager_a,
        kind: SupervisionKind::Clinical,
        held_on: today(),
        actions: String::new(),
        cases,
    };
    assert!(matches!(
        s.create_supervision(f.pcn_a, &session(vec![other.person_id]), &actor())
            .await,
        Err(StorageError::Rule(_))
    ));
    assert!(s
        .supervision_sessions(f.pcn_a, None)
        .await
        .unwrap()
        .is_empty());
    let made = s
        .create_supervision(f.pcn_a, &session(vec![ep.person_id]), &actor())
        .await
        .unwrap();
    assert_eq!(made.cases, 1);
    assert!(s.get_supervision(f.pcn_b, made.id).await.unwrap().is_none());
    // Report facts: each PCN sees its own episodes only, with the acceptance time kept.
    let scope = ReportScope {
        from: Utc::now() - Duration::days(60),
        to: Utc::now() + Duration::days(1),
        practice: None,
        link_worker: None,
        source: None,
    };
    // Episodes closed before the 12 months to the period's end are left out (the caseload
    // report counts those taken on in that year); those closed since are kept.
    let mut closed = Vec::new();
    for (family, closed_days_ago) in [("Closed Early", 400), ("Closed Lately", 30)] {
        let mut p = person("Journey", family, "1958-07-08");
        p.practice_id = Some(f.practice_a);
        let (_, mut e) = s
            .create_referral(
                f.pcn_a,
                PersonRef::New(Box::new(p)),
                &referral(),
                Some(f.manager_a),
                Utc::now() - Duration::days(500),
                &actor(),
            )
            .await
            .unwrap();
        for (to, reason, days_ago) in [
            (EpisodeState::Contacting, None, 495),
            (EpisodeState::Accepted, None, 490),
            (
                EpisodeState::Discharged,
                Some(DischargeReason::GoalsMet),
                closed_days_ago,
            ),
        ] {
            e = s
                .transition_episode(
                    f.pcn_a,
                    e.id,
                    e.version,
                    to,
                    reason,
                    Utc::now() - Duration::days(days_ago),
                    &actor(),
                )
                .await
                .unwrap();
        }
        closed.push(e.id);
    }
    // Contacts are counted by type and attendance: three calls and a missed one.
    let mut ep = ep;
    for (days_ago, dna) in [(15, false), (3, false), (2, true), (1, false)] {
        let call = domain::ContactDetails {
            contact_type: domain::ContactType::Telephone,
            at: Utc::now() - Duration::days(days_ago),
            duration_minutes: (!dna).then_some(20),
            did_not_attend: dna,
            present: vec![domain::Present::Person],
            notes: String::new(),
        };
        ep = s
            .record_contact(f.pcn_a, ep.id, ep.version, &call, &actor())
            .await
            .unwrap()
            .1;
    }
    let a = s
        .report_facts(f.pcn_a, &scope, FactNeeds::ALL)
        .await
        .unwrap();
    let b = s
        .report_facts(f.pcn_b, &scope, FactNeeds::ALL)
        .await
        .unwrap();
    let ids: Vec<i64> = a.episodes.iter().map(|e| e.episode_id).collect();
    assert_eq!(ids, vec![ep.id, closed[1]], "open, and closed in the year");
    assert!(a.episodes[0].accepted_at.is_some());
    assert_eq!(b.episodes.len(), 1);
    assert_eq!(b.episodes[0].person_id, other.person_id);
    assert_eq!(a.coding.len(), 1, "the accepted code, queued in the period");
    let count = |did_not_attend: bool, count: i64| ContactCount {
        contact_type: "telephone".into(),
        did_not_attend,
        count,
    };
    assert_eq!(a.contacts, vec![count(false, 3), count(true, 1)]);
    assert!(b.contacts.is_empty(), "no contacts in the other PCN");
    // The last ten days leave out the call fifteen days ago, but the episode's own counts
    // are for all time.
    let recent = s
        .report_facts(
            f.pcn_a,
            &ReportScope {
                from: Utc::now() - Duration::days(10),
                ..scope.clone()
            },
            FactNeeds::ALL,
        )
        .await
        .unwrap();
    assert_eq!(recent.contacts, vec![count(false, 2), count(true, 1)]);
    let mine = recent
        .episodes
        .iter()
        .find(|e| e.episode_id == ep.id)
        .unwrap();
    assert_eq!((mine.contacts_attended, mine.contacts_missed), (3, 1));
    // Only what is asked for is read.
    let only_episodes = s
        .report_facts(f.pcn_a, &scope, FactNeeds::default())
        .await
        .unwrap();
    assert_eq!(only_episodes.episodes.len(), a.episodes.len());
    assert!(only_episodes.contacts.is_empty() && only_episodes.coding.is_empty());
    // Filtered to another practice: nothing.
    let filtered = s
        .report_facts(
            f.pcn_a,
            &ReportScope {
                practice: Some(f.practice_b),
                ..scope.clone()
            },
            FactNeeds::ALL,
        )
        .await
        .unwrap();
    assert!(filtered.episodes.is_empty());
    assert!(
        filtered.contacts.is_empty(),
        "no contacts at another practice"
    );
    // Filtered to this practice: the same counts, through the joins that filter.
    let here = s
        .report_facts(
            f.pcn_a,
            &ReportScope {
                practice: Some(f.practice_a),
                ..scope.clone()
            },
            FactNeeds::ALL,
        )
        .await
        .unwrap();
    assert_eq!(here.contacts, a.contacts);
}

pub async fn directory_organisations_are_read_together(s: Arc<dyn Storage>) {
    use storage::DirectoryBatch;
    let org = |id: &str, name: &str| (id.to_string(), name.to_string(), "{}".to_string());
    s.import_directory(
        &DirectoryBatch {
            organizations: vec![
                org("org-a", "Allotment Friends"),
                org("org-b", "Befriending Line"),
                org("org-c", "Citizens Advice Millbrook"),
            ],
            taxonomies: vec![],
            terms: vec![],
            services: vec![],
            replace_listings: false,
            source: "conformance".into(),
        },
        &actor(),
    )
    .await
    .unwrap();
    let ids = ["org-c", "org-a", "org-missing"].map(String::from);
    let mut found = s.dir_organizations_in(&ids).await.unwrap();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let names: Vec<&str> = found.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Allotment Friends", "Citizens Advice Millbrook"]);
    assert!(s.dir_organizations_in(&[]).await.unwrap().is_empty());
}
