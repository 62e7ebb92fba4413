//! The person's own door to their plan: the plan links a link worker gives them, the
//! one-time codes that prove it is them, their short sessions, and what they tell their
//! link worker from the plan (went or did not go to a service; please call me).
//!
//! A session knows only the PCN and the person and how they proved who they are (`via`), so
//! another way in (NHS login) opens the same kind of session without a plan link.

use crate::{Actor, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Wrong one-time codes or dates of birth in a row after which a link stops working.
pub const PLAN_MAX_FAILURES: i64 = 5;

/// A plan link (or printed code) given to a person.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLink {
    pub id: i64,
    pub pcn_id: i64,
    pub person_id: i64,
    /// sms, email or print.
    pub sent_by: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub otp_hash: Option<String>,
    pub otp_channel: Option<String>,
    pub otp_expires_at: Option<DateTime<Utc>>,
    pub otp_sent_at: Option<DateTime<Utc>>,
    pub failures: i64,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl PlanLink {
    /// Still opens the plan: not revoked, not expired, not locked by wrong answers.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now && self.failures < PLAN_MAX_FAILURES
    }

    /// Where it stands, in words for the link worker.
    pub fn state_words(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked_at.is_some() {
            "Stopped"
        } else if self.expires_at <= now {
            "Expired"
        } else if self.failures >= PLAN_MAX_FAILURES {
            "Locked: too many wrong codes"
        } else {
            "Working"
        }
    }
}

/// A person signed in to their own plan.
#[derive(Debug, Clone)]
pub struct PersonSession {
    pub pcn_id: i64,
    pub person_id: i64,
    pub link_id: Option<i64>,
    /// How they proved who they are: `code` (plan link, one-time code and date of birth).
    pub via: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// A session to open.
#[derive(Debug, Clone)]
pub struct NewPersonSession {
    pub id_hash: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// "Please call me", asked from the person's plan.
#[derive(Debug, Clone, Serialize)]
pub struct CallRequest {
    pub id: i64,
    pub pcn_id: i64,
    pub person_id: i64,
    pub episode_id: Option<i64>,
    /// morning, afternoon or any.
    pub best_time: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<i64>,
}

#[async_trait]
pub trait OwnPlanStore: Send + Sync {
    /// A new plan link for a person of the PCN. Earlier links stop working and their
    /// sessions end (one link at a time). Audited.
    async fn create_plan_link(
        &self,
        pcn: i64,
        person: i64,
        code_hash: &str,
        sent_by: &str,
        expires_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<PlanLink>;
    /// The person's links, newest first.
    async fn plan_links_for_person(&self, pcn: i64, person: i64) -> Result<Vec<PlanLink>>;
    /// Stops every working link of the person and ends their sessions. Audited; returns how
    /// many links were stopped.
    async fn revoke_plan_links(&self, pcn: i64, person: i64, actor: &Actor) -> Result<u64>;
    /// The link with this code, whatever its state (the public door: no PCN known yet).
    async fn plan_link_by_code(&self, code_hash: &str) -> Result<Option<PlanLink>>;
    /// Keeps a new one-time code for a link, replacing any other. Audited.
    async fn set_plan_otp(
        &self,
        link: &PlanLink,
        otp_hash: &str,
        channel: &str,
        expires_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<()>;
    /// A wrong one-time code or date of birth: the number in a row now. At the limit the
    /// one-time code is dropped and the link locked. Audited.
    async fn plan_sign_in_failed(&self, link: &PlanLink, actor: &Actor) -> Result<i64>;
    /// The right code and date of birth: uses up the one-time code, clears the failures and
    /// opens a session for the link's person. Audited. False when the link stopped working
    /// meanwhile (revoked, expired, or the code used by another request).
    async fn open_person_session(
        &self,
        link: &PlanLink,
        session: &NewPersonSession,
        actor: &Actor,
    ) -> Result<bool>;
    /// A live session by its hash: not expired, its link (if any) still working, the
    /// person's record not merged away.
    async fn person_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PersonSession>>;
    /// Moves a session's end (each request keeps it alive a while longer).
    async fn extend_person_session(&self, id_hash: &str, expires_at: DateTime<Utc>) -> Result<()>;
    async fn end_person_session(&self, id_hash: &str) -> Result<()>;
    /// The person says they went (`went`) or did not go (`did-not-go`) to a service they
    /// were connected to. Noted on the connection and the timeline; audited. Not found
    /// unless the connection is theirs.
    async fn person_said(
        &self,
        pcn: i64,
        person: i64,
        connection_id: i64,
        said: &str,
        actor: &Actor,
    ) -> Result<()>;
    /// The person asks to be called. On the timeline, audited.
    async fn add_call_request(
        &self,
        pcn: i64,
        person: i64,
        best_time: &str,
        note: &str,
        actor: &Actor,
    ) -> Result<CallRequest>;
    async fn call_requests_for_person(&self, pcn: i64, person: i64) -> Result<Vec<CallRequest>>;
    /// Requests not yet done in the PCN, oldest first.
    async fn open_call_requests(&self, pcn: i64) -> Result<Vec<CallRequest>>;
    /// A link worker called back: every open request of the person is done. Audited.
    async fn call_requests_done(&self, pcn: i64, person: i64, actor: &Actor) -> Result<u64>;
    /// Forgets what plan links and one-time codes said once nobody needs it: a plan link's
    /// (its code) as soon as it has been tried, a code's once it went or its 10 minutes are
    /// over. Returns how many were cleared.
    async fn forget_message_secrets(&self, now: DateTime<Utc>) -> Result<u64>;
    /// One-time codes queued for a plan link since `since` (the hourly limit, held in the
    /// database so it counts across nodes and restarts).
    async fn codes_sent_since(&self, link: &PlanLink, since: DateTime<Utc>) -> Result<i64>;
}
