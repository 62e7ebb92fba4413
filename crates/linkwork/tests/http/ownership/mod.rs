//! What sits between PCNs (partner organisations, their accounts and clients, directory
//! links, the code catalogue and ARRS amounts) and the bindings inside a PCN, walked as two
//! PCNs' administrators and managers (issue 19). Each test names the finding it proves fixed.
//!
//! Each scenario runs on both engines; the tests are here, the scenarios in one module per
//! concern: partners, deployment settings, personal tokens and need-to-know.

mod deployment;
mod need_to_know;
mod partners;
mod tokens;

use crate::helpers::*;
use deployment::{
    absolute_urls_and_cookies_follow_the_configured_public_address,
    deployment_settings_are_the_operators,
};
use need_to_know::{
    a_concern_is_open_only_to_its_supervisor, a_gp_system_reaches_only_its_practices_people,
    a_link_worker_says_why_before_opening_someone_elses_person,
    a_referrer_learns_nothing_of_an_existing_record,
};
use partners::{
    a_pcn_refers_to_a_partner_only_when_both_agree,
    partner_accounts_and_clients_belong_to_the_operator,
};
use storage::AuditFilter;
use tokens::personal_tokens_are_no_back_door;

async fn audit_of(app: &TestApp, pcn: i64, action: &str) -> Vec<storage::AuditRecord> {
    app.store
        .list_audit(&AuditFilter {
            pcn_id: Some(pcn),
            action_prefix: Some(action.into()),
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn partner_accounts_and_clients_belong_to_the_operator_sqlite() {
    partner_accounts_and_clients_belong_to_the_operator(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_accounts_and_clients_belong_to_the_operator_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    partner_accounts_and_clients_belong_to_the_operator(Engine::Postgres).await;
}

#[tokio::test]
async fn a_pcn_refers_to_a_partner_only_when_both_agree_sqlite() {
    a_pcn_refers_to_a_partner_only_when_both_agree(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pcn_refers_to_a_partner_only_when_both_agree_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_pcn_refers_to_a_partner_only_when_both_agree(Engine::Postgres).await;
}

#[tokio::test]
async fn deployment_settings_are_the_operators_sqlite() {
    deployment_settings_are_the_operators(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_settings_are_the_operators_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    deployment_settings_are_the_operators(Engine::Postgres).await;
}

#[tokio::test]
async fn a_concern_is_open_only_to_its_supervisor_sqlite() {
    a_concern_is_open_only_to_its_supervisor(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concern_is_open_only_to_its_supervisor_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_concern_is_open_only_to_its_supervisor(Engine::Postgres).await;
}

#[tokio::test]
async fn personal_tokens_are_no_back_door_sqlite() {
    personal_tokens_are_no_back_door(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_tokens_are_no_back_door_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    personal_tokens_are_no_back_door(Engine::Postgres).await;
}

#[tokio::test]
async fn a_referrer_learns_nothing_of_an_existing_record_sqlite() {
    a_referrer_learns_nothing_of_an_existing_record(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referrer_learns_nothing_of_an_existing_record_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_referrer_learns_nothing_of_an_existing_record(Engine::Postgres).await;
}

#[tokio::test]
async fn a_gp_system_reaches_only_its_practices_people_sqlite() {
    a_gp_system_reaches_only_its_practices_people(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gp_system_reaches_only_its_practices_people_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_gp_system_reaches_only_its_practices_people(Engine::Postgres).await;
}

#[tokio::test]
async fn absolute_urls_and_cookies_follow_the_configured_public_address_sqlite() {
    absolute_urls_and_cookies_follow_the_configured_public_address(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_urls_and_cookies_follow_the_configured_public_address_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    absolute_urls_and_cookies_follow_the_configured_public_address(Engine::Postgres).await;
}

#[tokio::test]
async fn a_link_worker_says_why_before_opening_someone_elses_person_sqlite() {
    a_link_worker_says_why_before_opening_someone_elses_person(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_worker_says_why_before_opening_someone_elses_person_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    a_link_worker_says_why_before_opening_someone_elses_person(Engine::Postgres).await;
}
