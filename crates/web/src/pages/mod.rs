//! Server-rendered pages, one module per area and one handler per action.

pub mod admin;
pub mod audit;
pub mod caseload;
pub mod contacts;
pub mod episodes;
pub mod health;
pub mod home;
pub mod login;
pub mod people;
pub mod referrals;
pub mod settings;
pub mod triage;

use axum::response::{IntoResponse, Redirect, Response};

/// After a successful POST: go to a page (303 so the browser GETs it).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Fixed confirmation messages, chosen by a `done` query value (never echoing input).
pub(crate) fn flash(done: Option<&str>) -> Option<String> {
    let msg = match done? {
        "referral" => "Referral sent. The link worker team will contact the person.",
        "person-created" => "Person added.",
        "person-updated" => "Changes saved.",
        "assigned" => "Episode assigned.",
        "state" => "Episode updated.",
        "next-contact" => "Next contact saved.",
        "contact" => "Contact recorded.",
        "password" => "Your password has been changed. Sign in again on your other devices.",
        "token-revoked" => "Token revoked. It can no longer be used.",
        "user-created" => "Account created.",
        "user-updated" => "Account updated.",
        "service-saved" => "Listing saved.",
        "capacity" => "Capacity updated.",
        "partner-linked" => "Partner account link saved.",
        _ => return None,
    };
    Some(msg.to_string())
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
}
pub mod directory;
