//! Server-rendered pages, one module per area and one handler per action.

pub mod access;
pub mod admin;
pub mod agency_referral;
pub mod api_clients;
pub mod audit;
pub mod care_homes;
pub mod caseload;
pub mod coding;
pub mod connections;
pub mod contacts;
pub mod episodes;
pub mod health;
pub mod home;
pub mod journey;
pub mod login;
pub mod message_back;
pub mod own_plan;
pub mod partners;
pub mod pcn_home;
pub mod people;
pub mod person_journey;
pub mod referrals;
pub mod reports;
pub mod second_factor;
pub mod self_referral;
pub mod settings;
pub mod sso;
pub mod supervision;
pub mod texts;
pub mod today;
pub mod training;
pub mod triage;
pub mod workforce;

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
        "merged" => "Records merged. Check this record's details; the merge can be undone below.",
        "plan-link-stopped" => "Their plan link has been stopped. They are signed out and the link no longer works.",
        "called-back" => "Marked as called back.",
        "mfa-reset" => "Their second factor has been reset and their sessions ended. If their role requires one, they set up an authenticator app at their next sign-in.",
        "sso-linked" => "Linked. At their first sign-in with it they are shown this account and asked to confirm it is theirs.",
        "sso-unlinked" => "Unlinked. Their sessions through that provider have ended.",
        "sso-none" => "That link was not found on this account.",
        "sso-has-one" => "This account already has an identity at that provider. Unlink it first.",
        "sso-not-linked" => "That identity could not be linked to this account. Ask the person to link it themselves in Settings, with their password.",
        "sso-choose" => "Choose a provider this Linkwork offers.",
        "sso-subject" => "Enter the identity (the value of the provider's identifying claim) without line breaks, up to 255 characters.",
        "merged-away" => "That record was merged into this one.",
        "unmerged" => "Merge undone. The other record is shown again with what came from it.",
        "assigned" => "Episode assigned.",
        "state" => "Episode updated.",
        "next-contact" => "Next contact saved.",
        "contact" => "Contact recorded.",
        "password" => "Your password has been changed. Sign in again on your other devices.",
        "token-revoked" => "Token revoked. It can no longer be used.",
        "client-revoked" => "API client revoked. Its tokens no longer work.",
        "client-keys-saved" => "Public keys saved. The client may now sign in with a JWT signed by one of them.",
        "client-keys-removed" => "Public keys removed. The client can sign in only with its secret.",
        "client-secret-off" => "Client secret turned off. The client signs in only with a JWT signed by one of its keys.",
        "batch-ready" => "Download ready. Import it into the GP system, then confirm below.",
        "batch-none" => "Nothing is waiting for that practice.",
        "batch-acknowledged" => "Codes confirmed as recorded in the GP record.",
        "no-message-back" => "No message back yet: the link worker sends one when they finish working with the person.",
        "message-queued" => "Message queued. It will be emailed to the referrer shortly.",
        "user-created" => "Account created.",
        "saved" => "Saved.",
        "user-updated" => "Account updated.",
        "service-saved" => "Listing saved.",
        "capacity" => "Capacity updated.",
        "concept-confirmed" => "Confirmed. Search and matching now count it.",
        "concept-rejected" => "Removed. Search and matching no longer count it.",
        "concept-suggested" => "Review undone: it is read from the listing's words again.",
        "partner-linked" => "Partner account link saved.",
        "partner-link" => "Relationship saved.",
        "partner-org" => "Partner organisation added. Add its people's accounts under Users.",
        "assessment" => "Assessment saved.",
        "plan" => "Care and support plan saved.",
        "measure" => "Outcome measure saved.",
        "safeguarding" => "Safeguarding concern raised. The GP supervisor has been told.",
        "safeguarding-closed" => "Safeguarding concern closed.",
        "referral-back" => "Referral back recorded.",
        "health-use" => "Health service use saved.",
        "discharged" => "Episode discharged. It can be reopened for 14 days if this was a mistake.",
        "closed" => "Episode closed. It can be reopened for 14 days if this was a mistake.",
        "reopened" => "Episode reopened. The timeline shows any GP-record code withdrawn.",
        "referred" => "Referral sent. The organisation has been asked to answer.",
        "signposted" => "Signpost recorded.",
        "connection" => "Referral updated.",
        "referral-updated" => "Referral updated. The link worker can see it.",
        "coded" => "Code marked as recorded.",
        "concept-saved" => "Code saved.",
        "list-sizes" => "List sizes saved.",
        "employment" => "Employment record saved.",
        "arrs-cap" => "Maximum amount saved.",
        "supervision" => "Supervision session saved.",
        "training" => "Training recorded.",
        "requirement" => "Training requirement added.",
        "care-home-task" => "Care home request logged.",
        "care-home-status" => "Care home request updated.",
        _ => return None,
    };
    Some(msg.to_string())
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
    /// A one-time notice's token ([`show_once`]).
    pub notice: Option<String>,
}

/// How long a one-time notice waits to be shown.
const NOTICE_MINUTES: i64 = 5;

/// Post/redirect/get for a result shown once (a temporary password, a new secret): keeps
/// it for this user for a few minutes under a random token and redirects to `to` with the
/// token, so a refresh of the page repeats nothing and shows nothing again.
pub(crate) async fn show_once(
    state: &crate::AppState,
    auth: &crate::auth::Auth,
    body: &str,
    to: &str,
) -> Result<Response, crate::AppError> {
    let token = crate::auth::random_token()?;
    state
        .store
        .put_notice(
            auth.user.id,
            &crate::auth::sha256_hex(&token),
            body,
            chrono::Utc::now() + chrono::Duration::minutes(NOTICE_MINUTES),
        )
        .await?;
    let sep = if to.contains('?') { '&' } else { '?' };
    Ok(see_other(&format!("{to}{sep}notice={token}")))
}

/// The notice a [`show_once`] redirect carries, once.
pub(crate) async fn take_once(
    state: &crate::AppState,
    auth: &crate::auth::Auth,
    token: Option<&str>,
) -> Result<Option<String>, crate::AppError> {
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= 128) else {
        return Ok(None);
    };
    Ok(state
        .store
        .take_notice(
            auth.user.id,
            &crate::auth::sha256_hex(token),
            chrono::Utc::now(),
        )
        .await?)
}
pub mod directory;
