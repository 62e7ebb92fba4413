//! People: details round-trip with optimistic versioning, concurrent edits, the
//! practice-in-PCN rule, tenant isolation, search and possible duplicates.

use super::{actor, fixture, person, referral};
use chrono::{NaiveDate, Utc};
use domain::EpisodeState;
use std::sync::Arc;
use storage::{PersonQuery, PersonRef, Storage, StorageError};

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

/// Two records of one person merged by a manager: everything moves to the kept record, the
/// merged one is hidden and points at it, the merge is recorded, and undoing it moves back
/// exactly what moved. Other PCNs, different NHS numbers and self-merges are refused.
pub async fn merging_two_records_and_undoing_it(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let mut first = person("Robin", "Twice", "1958-08-08");
    first.nhs_number = Some(domain::NhsNumber::parse("6541003238").unwrap());
    first.practice_id = Some(f.practice_a);
    let brook = s
        .create_practice(f.pcn_a, "Brook Surgery", "Y00009")
        .await
        .unwrap()
        .id;
    let mut second = person("Robyn", "Twice", "1958-08-08");
    second.practice_id = Some(brook);
    let (_, ep_kept) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(first)),
            &referral(),
            Some(f.manager_a),
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let (_, ep_gone) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(second)),
            &referral(),
            Some(f.manager_a),
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let contact = domain::ContactDetails {
        contact_type: domain::ContactType::Telephone,
        at: Utc::now(),
        duration_minutes: Some(10),
        did_not_attend: false,
        present: vec![domain::Present::Person],
        notes: String::new(),
    };
    s.record_contact(f.pcn_a, ep_gone.id, ep_gone.version, &contact, &actor())
        .await
        .unwrap();
    let (kept, gone) = (ep_kept.person_id, ep_gone.person_id);
    // The second record's episode is accepted, which queues the referral code for its practice.
    // (The contact moved it to contacting.)
    let contacting = s.get_episode(f.pcn_a, ep_gone.id).await.unwrap().unwrap();
    assert_eq!(contacting.state, EpisodeState::Contacting);
    let before_merge = s
        .transition_episode(
            f.pcn_a,
            contacting.id,
            contacting.version,
            EpisodeState::Accepted,
            None,
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let code_practice = |codes: Vec<storage::CodingEntry>| {
        codes
            .iter()
            .find(|c| c.episode_id == ep_gone.id)
            .expect("the queued code")
            .practice_id
    };
    assert_eq!(
        code_practice(s.coding_for_person(f.pcn_a, gone).await.unwrap()),
        Some(brook)
    );
    let made_person = |s: Arc<dyn Storage>| async move {
        s.referral_made_by(f.pcn_a, f.manager_a, ep_gone.id)
            .await
            .unwrap()
            .expect("the manager made this referral")
            .made_person
    };
    assert!(
        made_person(s.clone()).await,
        "the referral made this record"
    );

    // Refused: another PCN, the same record, no reason, different NHS numbers.
    let err = s
        .merge_people(f.pcn_b, kept, gone, "same person", &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound), "{err:?}");
    let err = s
        .merge_people(f.pcn_a, kept, kept, "same person", &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(_)), "{err:?}");
    let err = s
        .merge_people(f.pcn_a, kept, gone, "  ", &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(_)), "{err:?}");
    let mut other = person("Robin", "Twice", "1958-08-08");
    other.nhs_number = Some(domain::NhsNumber::parse("9434765919").unwrap());
    let other = s.create_person(f.pcn_a, &other, &actor()).await.unwrap();
    let err = s
        .merge_people(f.pcn_a, kept, other.id, "same person", &actor())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StorageError::Rule(m) if m.contains("different NHS numbers")),
        "{err:?}"
    );
    assert_eq!(s.episodes_for_person(f.pcn_a, kept).await.unwrap().len(), 1);

    let m = s
        .merge_people(f.pcn_a, kept, gone, "Same address and phone", &actor())
        .await
        .unwrap();
    assert_eq!((m.kept_id, m.merged_id), (kept, gone));
    assert_eq!(m.merged_details.given_name, "Robyn");
    assert_eq!(m.count("episodes"), 1);
    assert_eq!(m.count("contacts"), 1);
    assert_eq!(m.count("referrals"), 1);
    assert_eq!(s.episodes_for_person(f.pcn_a, kept).await.unwrap().len(), 2);
    assert_eq!(s.contacts_for_person(f.pcn_a, kept).await.unwrap().len(), 1);
    assert!(s.get_person(f.pcn_a, gone).await.unwrap().is_none());
    assert_eq!(s.merged_into(f.pcn_a, gone).await.unwrap(), Some(kept));
    assert_eq!(s.merged_into(f.pcn_b, gone).await.unwrap(), None);
    // A page holding the episode from before the merge is told it is stale, not saved under
    // the old person.
    let err = s
        .record_contact(
            f.pcn_a,
            ep_gone.id,
            before_merge.version,
            &contact,
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Stale), "{err:?}");
    // The unsent code now goes to the kept record's practice; the referrer who made the
    // merged record no longer sees the kept record's full name.
    assert_eq!(
        code_practice(s.coding_for_person(f.pcn_a, kept).await.unwrap()),
        Some(f.practice_a)
    );
    assert!(
        !made_person(s.clone()).await,
        "the referral joined another record"
    );
    let found = s
        .search_people(
            f.pcn_a,
            &PersonQuery {
                name: Some("twice".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(found.iter().all(|p| p.id != gone), "merged record hidden");
    assert_eq!(s.merges_into(f.pcn_a, kept).await.unwrap().len(), 1);
    assert!(s.merges_into(f.pcn_b, kept).await.unwrap().is_empty());
    // A merged-away record cannot be merged again, nor the other way round.
    let err = s
        .merge_people(f.pcn_a, gone, kept, "again", &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound), "{err:?}");

    // Work goes on after the merge: a contact on the moved episode is recorded on the kept
    // record. Undoing the merge takes it back with its episode.
    let moved_ep = s.get_episode(f.pcn_a, ep_gone.id).await.unwrap().unwrap();
    assert_eq!(moved_ep.person_id, kept);
    s.record_contact(f.pcn_a, moved_ep.id, moved_ep.version, &contact, &actor())
        .await
        .unwrap();
    assert_eq!(s.contacts_for_person(f.pcn_a, kept).await.unwrap().len(), 2);
    let events_kept_before = s.timeline(f.pcn_a, kept).await.unwrap().len();

    // Undo: from another PCN is not found; then everything goes back.
    let err = s
        .undo_merge(f.pcn_b, m.id, "wrong", &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::NotFound), "{err:?}");
    let undone = s
        .undo_merge(f.pcn_a, m.id, "Different people after all", &actor())
        .await
        .unwrap();
    assert!(undone.undone_at.is_some());
    assert_eq!(s.episodes_for_person(f.pcn_a, kept).await.unwrap().len(), 1);
    assert_eq!(s.episodes_for_person(f.pcn_a, gone).await.unwrap().len(), 1);
    assert_eq!(
        s.contacts_for_person(f.pcn_a, gone).await.unwrap().len(),
        2,
        "the contact recorded after the merge goes back with its episode"
    );
    assert!(s
        .contacts_for_person(f.pcn_a, kept)
        .await
        .unwrap()
        .is_empty());
    let back = s.get_episode(f.pcn_a, ep_gone.id).await.unwrap().unwrap();
    assert_eq!(back.person_id, gone);
    let events_kept = s.timeline(f.pcn_a, kept).await.unwrap();
    assert!(
        events_kept.len() < events_kept_before,
        "the moved episode's events leave the kept record's timeline"
    );
    assert!(!s.timeline(f.pcn_a, gone).await.unwrap().is_empty());
    assert!(s.get_person(f.pcn_a, gone).await.unwrap().is_some());
    assert_eq!(s.merged_into(f.pcn_a, gone).await.unwrap(), None);
    assert_eq!(
        code_practice(s.coding_for_person(f.pcn_a, gone).await.unwrap()),
        Some(brook),
        "the unsent code goes back to the separated record's practice"
    );
    assert!(
        made_person(s.clone()).await,
        "the referral's own record again"
    );
    let err = s
        .undo_merge(f.pcn_a, m.id, "again", &actor())
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Rule(_)), "{err:?}");

    // Merged into a record made after the referral (someone added them again later): the
    // referrer still sees only what they typed, not that newer record's details.
    let newer = s
        .create_person(f.pcn_a, &person("Robyn", "Twice", "1958-08-08"), &actor())
        .await
        .unwrap();
    let again = s
        .merge_people(
            f.pcn_a,
            newer.id,
            gone,
            "Same person, added twice",
            &actor(),
        )
        .await
        .unwrap();
    assert!(
        !made_person(s.clone()).await,
        "the referral's record went into a newer one"
    );
    s.undo_merge(f.pcn_a, again.id, "Checked again", &actor())
        .await
        .unwrap();
    assert!(made_person(s.clone()).await);
}

/// Two managers merge the same pair at once, each keeping a different record: one merge wins,
/// the other is refused, and exactly one record stays visible with everything on it.
pub async fn crossed_merges_keep_one_record(s: Arc<dyn Storage>) {
    let f = fixture(&*s).await;
    let (_, a) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(person("Alex", "Crossed", "1971-03-03"))),
            &referral(),
            Some(f.manager_a),
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let (_, b) = s
        .create_referral(
            f.pcn_a,
            PersonRef::New(Box::new(person("Alec", "Crossed", "1971-03-03"))),
            &referral(),
            Some(f.manager_a),
            Utc::now(),
            &actor(),
        )
        .await
        .unwrap();
    let (a, b) = (a.person_id, b.person_id);
    let (s1, s2) = (s.clone(), s.clone());
    let pcn = f.pcn_a;
    let one = tokio::spawn(async move { s1.merge_people(pcn, a, b, "same", &actor()).await });
    let two = tokio::spawn(async move { s2.merge_people(pcn, b, a, "same", &actor()).await });
    let (one, two) = (one.await.unwrap(), two.await.unwrap());
    let loser = if one.is_ok() { &two } else { &one };
    assert!(
        matches!(loser, Err(StorageError::NotFound)),
        "the other merge finds a record no longer there: {loser:?}"
    );
    assert!(
        one.is_ok() != two.is_ok(),
        "exactly one merge wins: {one:?} / {two:?}"
    );
    let mut visible = 0;
    for id in [a, b] {
        if s.get_person(pcn, id).await.unwrap().is_some() {
            visible += 1;
            assert_eq!(s.episodes_for_person(pcn, id).await.unwrap().len(), 2);
        }
    }
    assert_eq!(visible, 1, "one record stays visible");
}
