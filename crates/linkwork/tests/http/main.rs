//! HTTP tests against the real Linkwork server on a random port.

mod helpers;

mod api;
mod auth;
mod journey;
mod people;
mod postgres;
mod tenancy;
