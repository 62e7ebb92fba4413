//! Runs every storage behaviour in `storage_tests::suite` on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (s, _dir) = storage_tests::sqlite().await;
                    storage_tests::suite::$name(s).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if storage_tests::pg::skip_requested() {
                        eprintln!("PostgreSQL half skipped by LINKWORK_TEST_SKIP_POSTGRES=1");
                        return;
                    }
                    let s = storage_tests::postgres().await;
                    storage_tests::suite::$name(s).await;
                }
            )+
        }
    };
}

conformance!(
    people_round_trip_and_optimistic_versioning,
    concurrent_edits_one_wins,
    practice_must_be_in_the_pcn,
    tenants_are_isolated,
    search_by_name_nhs_number_birth_date_and_postcode,
    possible_duplicates,
    merging_two_records_and_undoing_it,
    crossed_merges_keep_one_record,
    referral_triage_and_caseload,
    episode_transitions_follow_the_domain,
    accounts_throttling_sessions_and_tokens,
    notices_are_shown_once,
    sign_on_identities_link_once_and_attempts_are_taken_once,
    accounts_are_changed_and_sign_ins_remembered,
    audit_chain_records_every_write,
    contacts_move_the_episode_on,
    coding_is_queued_once_per_episode,
    records_keep_history_and_move_the_episode,
    a_new_version_is_saved_only_on_the_latest,
    connections_close_the_loop,
    a_partner_sees_every_open_referral_however_many_are_finished,
    workforce_and_report_facts_stay_in_their_pcn,
    directory_organisations_are_read_together,
    taxonomy_terms_are_mapped_to_concepts,
    listing_concepts_are_reviewed,
);
