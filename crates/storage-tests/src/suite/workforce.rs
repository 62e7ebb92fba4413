//! Workforce (employment and supervision) and report facts, each kept in its PCN.

use super::{accepted_episode, actor, fixture, person, referral, today};
use chrono::{Duration, NaiveDate, Utc};
use domain::{DischargeReason, EpisodeState};
use std::sync::Arc;
use storage::{PersonRef, Storage, StorageError};

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
