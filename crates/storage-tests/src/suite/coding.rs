//! GP-record coding: the queue of codes owed to practices, once per episode.

use super::{accepted_episode, actor, fixture, person, referral};
use chrono::Utc;
use domain::EpisodeState;
use std::sync::Arc;
use storage::{PersonRef, Storage, StorageError};

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
