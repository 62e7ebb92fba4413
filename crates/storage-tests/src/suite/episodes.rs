//! Referrals and episodes: triage, the unassigned queue and caseloads, and episode
//! transitions following the domain's rules.

use super::{actor, fixture, person, referral};
use chrono::{Duration, Utc};
use domain::{DischargeReason, EpisodeState};
use std::sync::Arc;
use storage::{CaseloadFilter, CaseloadSort, PersonRef, Storage, StorageError};

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
