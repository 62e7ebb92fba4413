//! Talking to other systems: API clients and their tokens, GP-record coding delivered to
//! practices in batches, and messages back to referrers waiting in an outbox.

use crate::{Actor, CodingEntry, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{ClientKind, Scope};
use serde::Serialize;

/// A system allowed to call Linkwork's FHIR API.
#[derive(Debug, Clone, Serialize)]
pub struct ApiClient {
    pub id: i64,
    /// The public identifier it signs in with.
    pub client_id: String,
    pub name: String,
    pub kind: ClientKind,
    /// The PCN whose records it reaches (GP systems and hubs).
    pub pcn_id: Option<i64>,
    /// The practice a GP system serves (coding is delivered for this practice only).
    pub practice_id: Option<i64>,
    /// The organisation a partner's system answers for.
    pub partner_org_id: Option<i64>,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Its public keys (a JWK Set, as registered), for signed-JWT client assertions
    /// (SMART Backend Services' `private_key_jwt`).
    pub jwks: Option<String>,
    /// Whether it may still sign in with its secret (off: keys only).
    pub secret_on: bool,
}

impl ApiClient {
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A client to register; the secret is stored only as its hash.
#[derive(Debug, Clone)]
pub struct NewApiClient {
    pub client_id: String,
    pub name: String,
    pub kind: ClientKind,
    pub pcn_id: Option<i64>,
    pub practice_id: Option<i64>,
    pub partner_org_id: Option<i64>,
    pub scopes: Vec<Scope>,
    pub secret_hash: String,
}

/// A live access token: whose it is and what it allows.
#[derive(Debug, Clone)]
pub struct ClientToken {
    pub client: ApiClient,
    pub scopes: Vec<Scope>,
    pub expires_at: DateTime<Utc>,
}

impl ClientToken {
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) && self.client.may(scope)
    }
}

/// A set of GP-record codes handed to a practice's system (or downloaded) together. It is
/// handed out again, unchanged, until it is acknowledged; acknowledging records every code
/// in it once.
#[derive(Debug, Clone, Serialize)]
pub struct CodingBatch {
    pub id: i64,
    pub pcn_id: i64,
    pub practice_id: i64,
    pub practice_name: String,
    pub practice_ods: String,
    pub created_at: DateTime<Utc>,
    /// How many times it has been pulled or downloaded.
    pub pulls: i64,
    pub last_pulled_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub entries: Vec<CodingEntry>,
}

/// An email waiting in (or sent from) the outbox.
#[derive(Debug, Clone, Serialize)]
pub struct OutboundMessage {
    pub id: i64,
    pub pcn_id: i64,
    pub episode_id: i64,
    pub person_id: i64,
    /// "message_back" (the message back, at the end), or "accepted" (a line to a referrer
    /// without an account that a link worker is working with the person).
    pub kind: String,
    pub to_address: String,
    /// What was sent (filled in when it is sent).
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl OutboundMessage {
    /// "Sent", "Waiting to send" or "Not sent: why".
    pub fn status(&self) -> String {
        match (&self.sent_at, &self.next_attempt_at, &self.last_error) {
            (Some(_), _, _) => "Sent".into(),
            (None, None, Some(e)) => format!("Not sent: {e}"),
            (None, _, Some(e)) => format!("Waiting to send again (last try: {e})"),
            (None, _, None) => "Waiting to send".into(),
        }
    }
}

/// Other systems' API clients and the tokens they sign in for.
#[async_trait]
pub trait ApiClientStore: Send + Sync {
    async fn create_api_client(&self, c: &NewApiClient, actor: &Actor) -> Result<ApiClient>;
    /// Every client, newest first.
    async fn api_clients(&self) -> Result<Vec<ApiClient>>;
    /// Revokes a client and every token it holds.
    async fn revoke_api_client(&self, id: i64, actor: &Actor) -> Result<()>;
    /// A live client and its secret hash, by public client id.
    async fn api_client_for_sign_in(&self, client_id: &str) -> Result<Option<(ApiClient, String)>>;
    /// Issues a token; audited in the client's PCN with how it signed in (`how`).
    async fn issue_client_token(
        &self,
        client: &ApiClient,
        token_hash: &str,
        scopes: &[Scope],
        expires_at: DateTime<Utc>,
        how: &str,
        actor: &Actor,
    ) -> Result<()>;
    /// Registers (or, with `None`, removes) a client's public keys; audited.
    async fn set_api_client_keys(&self, id: i64, jwks: Option<&str>, actor: &Actor) -> Result<()>;
    /// Turns a client's secret off for good, once it has keys: it then signs in with a signed
    /// JWT only. NotFound if it is revoked or has no keys. Audited in its PCN.
    async fn turn_off_client_secret(&self, id: i64, actor: &Actor) -> Result<()>;
    /// Records a client assertion's `jti` until it expires. False if the client used that
    /// `jti` before (a replayed assertion); expired ones are forgotten here too.
    async fn use_client_assertion(
        &self,
        client: i64,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool>;
    /// The token with this hash if it has not expired and its client is not revoked.
    async fn client_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClientToken>>;
}

/// GP-record coding batches other systems pull, and the messages queued back to GP systems.
#[async_trait]
pub trait InteropStore: Send + Sync {
    /// The practice's open batch if it still has codes to record, otherwise a new batch of
    /// every code waiting for the practice (none when nothing waits). Each pull is audited
    /// against every person in the batch.
    async fn pull_coding_batch(
        &self,
        pcn: i64,
        practice: i64,
        actor: &Actor,
    ) -> Result<Option<CodingBatch>>;
    async fn coding_batch(&self, pcn: i64, id: i64) -> Result<Option<CodingBatch>>;
    /// Batches not yet acknowledged, oldest first.
    async fn open_coding_batches(&self, pcn: i64) -> Result<Vec<CodingBatch>>;
    /// Records every code in the batch that is still waiting; a second acknowledgement
    /// changes nothing. Returns the batch and how many codes this call recorded.
    async fn acknowledge_coding_batch(
        &self,
        pcn: i64,
        id: i64,
        not_filed: &[i64],
        actor: &Actor,
    ) -> Result<(CodingBatch, u32)>;

    /// The person a contact belongs to.
    async fn contact_person(&self, pcn: i64, contact_id: i64) -> Result<Option<i64>>;

    /// Queues the message back to the referrer of an episode, to the email address they
    /// gave (a rule error when they gave none).
    async fn queue_message_back(
        &self,
        pcn: i64,
        episode_id: i64,
        actor: &Actor,
    ) -> Result<OutboundMessage>;
    async fn messages_for_episode(&self, pcn: i64, episode_id: i64)
        -> Result<Vec<OutboundMessage>>;
    /// Messages due to be sent (not sent, next attempt at or before `now`), oldest first.
    async fn due_messages(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboundMessage>>;
    async fn message_sent(&self, id: i64, body: &str, at: DateTime<Utc>) -> Result<()>;
    /// Notes a failed attempt; `retry_at` none gives up (the reason is shown to users).
    async fn message_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()>;

    /// Queues a text or email to a person; one per `dedupe_key` (false when already queued).
    async fn queue_notification(&self, n: &NewNotification) -> Result<bool>;
    /// Texts and emails due to be sent, oldest first.
    async fn due_notifications(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Notification>>;
    /// Notify has it: its id, and the status "sending".
    async fn notification_sent(&self, id: i64, notify_id: &str, at: DateTime<Utc>) -> Result<()>;
    /// A failed attempt: `retry_at` none gives up with `status` (shown to staff).
    async fn notification_failed(
        &self,
        id: i64,
        status: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Notify's delivery receipt; false when no notification has that Notify id.
    async fn notification_status(
        &self,
        notify_id: &str,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    async fn notifications_for_person(&self, pcn: i64, person: i64) -> Result<Vec<Notification>>;
    /// The PCN's latest texts and emails, newest first.
    async fn notifications(&self, pcn: i64, limit: i64) -> Result<Vec<Notification>>;
    /// Contacts booked between `from` and `to` (every PCN) with someone who takes texts and
    /// has a phone number, and no reminder queued yet for that time: what a reminder needs.
    async fn contacts_to_remind(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ReminderDue>>;
}

/// A text or email to queue for a person.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub pcn_id: i64,
    pub person_id: i64,
    pub episode_id: Option<i64>,
    /// "sms" or "email".
    pub channel: String,
    /// "reminder", "plan_link" or "code".
    pub purpose: String,
    pub to_address: String,
    /// The template's personalisation (JSON object of strings).
    pub personalisation: String,
    /// What the person will read.
    pub preview: String,
    pub dedupe_key: String,
    pub send_before: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: i64,
    pub pcn_id: i64,
    pub person_id: i64,
    pub episode_id: Option<i64>,
    pub channel: String,
    pub purpose: String,
    pub to_address: String,
    pub personalisation: String,
    pub preview: String,
    pub dedupe_key: String,
    /// queued, sending, delivered, not-configured, too-late, permanent-failure,
    /// temporary-failure, technical-failure, failed.
    pub status: String,
    pub notify_id: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub send_before: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Notification {
    /// Where it stands, in words for staff.
    pub fn status_words(&self) -> String {
        let why = self.last_error.clone().unwrap_or_default();
        match self.status.as_str() {
            "queued" if why.is_empty() => "Waiting to send".into(),
            "queued" => format!("Waiting to send again ({why})"),
            "sending"
                if self
                    .notify_id
                    .as_deref()
                    .is_some_and(|i| i.starts_with("smtp:")) =>
            {
                "Sent by email".into()
            }
            "sending" => "Sent to GOV.UK Notify".into(),
            "delivered" => "Delivered".into(),
            "not-configured" if why.is_empty() => "Not sent: Notify not configured".into(),
            "not-configured" => format!("Not sent: {why}"),
            "too-late" => "Not sent: too late (the appointment has passed)".into(),
            "permanent-failure" => "Not delivered: the number or address is wrong".into(),
            "temporary-failure" => "Not delivered: the phone was off or the inbox full".into(),
            "technical-failure" => "Not delivered: a problem at GOV.UK Notify".into(),
            _ => format!("Not sent: {why}"),
        }
    }
}

/// A booked contact to remind the person of.
#[derive(Debug, Clone)]
pub struct ReminderDue {
    pub pcn_id: i64,
    pub person_id: i64,
    pub episode_id: i64,
    pub phone: String,
    pub at: DateTime<Utc>,
    /// The link worker's name (the first word is used).
    pub link_worker: String,
}
