//! Storage behaviour, written once. Each function takes a fresh, empty database and
//! panics on a failed expectation; `tests/conformance.rs` runs each on every engine.
//! This module holds the shared fixture and helpers; the behaviours live in one module
//! per aggregate and are re-exported here, so each is `storage_tests::suite::<name>`.

mod accounts;
mod audit;
mod coding;
mod connections;
mod contacts;
mod directory;
mod episodes;
mod people;
mod records;
mod workforce;

pub use accounts::{
    accounts_are_changed_and_sign_ins_remembered, accounts_throttling_sessions_and_tokens,
    notices_are_shown_once, sign_on_identities_link_once_and_attempts_are_taken_once,
};
pub use audit::audit_chain_records_every_write;
pub use coding::coding_is_queued_once_per_episode;
pub use connections::{
    a_partner_sees_every_open_referral_however_many_are_finished, connections_close_the_loop,
};
pub use contacts::contacts_move_the_episode_on;
pub use directory::{
    directory_organisations_are_read_together, listing_concepts_are_reviewed,
    taxonomy_terms_are_mapped_to_concepts,
};
pub use episodes::{episode_transitions_follow_the_domain, referral_triage_and_caseload};
pub use people::{
    concurrent_edits_one_wins, crossed_merges_keep_one_record, merging_two_records_and_undoing_it,
    people_round_trip_and_optimistic_versioning, possible_duplicates, practice_must_be_in_the_pcn,
    search_by_name_nhs_number_birth_date_and_postcode, tenants_are_isolated,
};
pub use records::{
    a_new_version_is_saved_only_on_the_latest, records_keep_history_and_move_the_episode,
};
pub use workforce::workforce_and_report_facts_stay_in_their_pcn;

use chrono::{Duration, NaiveDate, Utc};
use domain::{EpisodeState, PersonDraft, ReferralDraft, Role};
use storage::{Actor, NewUser, PersonRef, Storage};

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
