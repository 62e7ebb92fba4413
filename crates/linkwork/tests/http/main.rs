//! HTTP tests against the real Linkwork server on a random port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod api;
mod auth;
mod closed_loop;
mod concurrency;
mod contacts;
mod directory;
mod directory_terms;
mod fhir;
mod hostile;
mod journey;
mod links;
mod mail_tls;
mod matrix;
mod own_plan;
mod ownership;
mod people;
mod postgres;
mod reports;
mod second_factor;
mod self_referral;
mod site;
mod sso;
mod tenancy;
mod texts;
mod today;
mod uk_time;
