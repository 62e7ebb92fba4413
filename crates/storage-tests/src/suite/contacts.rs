//! Contacts with a person and how they move the episode on.

use super::{actor, fixture, person, referral};
use chrono::{Duration, Utc};
use domain::EpisodeState;
use std::sync::Arc;
use storage::{PersonRef, Storage, StorageError};

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
