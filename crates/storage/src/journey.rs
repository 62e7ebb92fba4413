//! The journey after first contact: GP-record coding, documents held against an episode,
//! and closed-loop connections to community services.

use crate::{Actor, Episode, Result};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    ConnectionKind, ConnectionReason, ConnectionStatus, DischargeReason, EpisodeState, RecordKind,
    Side,
};
use serde::Serialize;

/// A SNOMED CT concept Linkwork asks practices to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodingConcept {
    pub concept_id: String,
    pub term: String,
    /// The episode state that queues it (accepted, declined), or none (recorded by hand).
    pub queued_on: Option<EpisodeState>,
    pub active: bool,
}

/// A code waiting to be, or already, recorded in a person's GP record.
#[derive(Debug, Clone, Serialize)]
pub struct CodingEntry {
    pub id: i64,
    pub episode_id: i64,
    pub person_id: i64,
    pub practice_id: Option<i64>,
    pub concept_id: String,
    pub term: String,
    pub recorded: bool,
    pub queued_at: DateTime<Utc>,
    pub recorded_at: Option<DateTime<Utc>>,
    pub recorded_by: Option<i64>,
    pub person_name: String,
    pub nhs_number: Option<String>,
    pub date_of_birth: NaiveDate,
}

/// A document held against an episode; `body` is the domain value as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct EpisodeRecord {
    pub id: i64,
    pub pcn_id: i64,
    pub episode_id: i64,
    pub person_id: i64,
    pub kind: RecordKind,
    /// `open` / `closed` for safeguarding; empty for documents with no status.
    pub status: String,
    pub body: String,
    /// Who must act on it (the GP supervisor for safeguarding).
    pub assigned_to: Option<i64>,
    /// When it falls due (a plan's review date).
    pub due_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl EpisodeRecord {
    /// The body as its domain type.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A document to add.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub kind: RecordKind,
    pub status: String,
    pub body: String,
    pub assigned_to: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
    /// One line for the person's timeline.
    pub summary: String,
    /// When it happened (now, except when importing or seeding history).
    pub at: DateTime<Utc>,
}

/// The details a person agreed to share with an organisation, and nothing else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct SharedDetails {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u32>,
    /// What they would like help with, in words agreed with them.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub about: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub access_needs: String,
    pub link_worker: String,
    pub link_worker_contact: String,
}

/// A signpost or referral to a community service.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    pub id: i64,
    pub pcn_id: i64,
    pub episode_id: i64,
    pub person_id: i64,
    pub service_id: String,
    pub service_name: String,
    pub organization_name: String,
    pub partner_org_id: Option<i64>,
    pub kind: ConnectionKind,
    pub status: ConnectionStatus,
    pub reason: Option<ConnectionReason>,
    pub note: String,
    pub consent_at: Option<DateTime<Utc>>,
    pub shared: SharedDetails,
    /// When the organisation should have answered a referral.
    pub due_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
    /// What the person said on their own plan: `went` or `did-not-go`.
    pub person_said: Option<String>,
    pub person_said_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl Connection {
    /// A referral still waiting for the organisation's answer after its due time.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == ConnectionStatus::Requested && self.due_at.is_some_and(|d| d < now)
    }
}

/// A connection to make.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub service_id: String,
    pub service_name: String,
    pub organization_name: String,
    pub partner_org_id: Option<i64>,
    pub kind: ConnectionKind,
    /// When the person's consent to share was recorded (required for referrals).
    pub consent_at: Option<DateTime<Utc>>,
    pub shared: SharedDetails,
    pub due_at: Option<DateTime<Utc>>,
    pub note: String,
    /// When it was made (now, except when importing or seeding history).
    pub at: DateTime<Utc>,
}

/// Whose view a connection is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionScope {
    /// The link worker team of a PCN.
    Pcn(i64),
    /// A VCSE partner organisation: only referrals addressed to it.
    Partner(i64),
}

/// A change of a connection's status.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub to: ConnectionStatus,
    pub reason: Option<ConnectionReason>,
    pub note: String,
    /// Who is answering: the organisation, or the link worker (cancel, or the organisation's
    /// answer recorded for an organisation without a Linkwork account).
    pub side: Side,
    /// When it happened; now when `None` (imports and the demo give past times).
    pub at: Option<DateTime<Utc>>,
}

/// The SNOMED CT codes a link worker's transitions queue for the GP record.
#[async_trait]
pub trait CodingStore: Send + Sync {
    /// The code catalogue.
    async fn coding_catalogue(&self) -> Result<Vec<CodingConcept>>;
    /// Adds or changes a concept (admins).
    async fn save_coding_concept(&self, c: &CodingConcept, actor: &Actor) -> Result<()>;
    /// Codes for a PCN's people, optionally for one practice and only those not recorded,
    /// oldest first.
    async fn coding_entries(
        &self,
        pcn: i64,
        practice_id: Option<i64>,
        pending_only: bool,
    ) -> Result<Vec<CodingEntry>>;
    async fn coding_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<CodingEntry>>;
    /// Marks a code as recorded in the GP record.
    async fn mark_coded(&self, pcn: i64, entry_id: i64, actor: &Actor) -> Result<CodingEntry>;
}

/// The documents a link worker records on an episode, and discharge.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Adds a document to an open episode (health service use also to a closed one). A
    /// first assessment moves an accepted episode to assessed; a first plan moves an
    /// assessed episode to plan agreed.
    async fn add_record(
        &self,
        pcn: i64,
        episode_id: i64,
        record: &NewRecord,
        actor: &Actor,
    ) -> Result<(EpisodeRecord, Episode)>;
    /// [`Self::add_record`] for a new version of a document (a plan review): added only if
    /// the episode's latest record of the same kind is still `based_on` (None: there is
    /// none), checked in the same transaction, with the episode locked; otherwise
    /// [`StorageError::Stale`] and nothing is saved.
    async fn add_record_on_latest(
        &self,
        pcn: i64,
        episode_id: i64,
        record: &NewRecord,
        based_on: Option<i64>,
        actor: &Actor,
    ) -> Result<(EpisodeRecord, Episode)>;
    /// Replaces a document's body and status if it is still at `expected_version`.
    #[allow(clippy::too_many_arguments)]
    async fn update_record(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        status: &str,
        body: &str,
        summary: &str,
        actor: &Actor,
    ) -> Result<EpisodeRecord>;
    async fn get_record(&self, pcn: i64, id: i64) -> Result<Option<EpisodeRecord>>;
    /// A person's documents, oldest first.
    async fn records_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<EpisodeRecord>>;
    /// Documents of a kind with a status (e.g. open safeguarding concerns), optionally only
    /// those assigned to one user, oldest first.
    async fn records_by_status(
        &self,
        pcn: i64,
        kind: RecordKind,
        status: &str,
        assigned_to: Option<i64>,
    ) -> Result<Vec<EpisodeRecord>>;
    /// The latest document of a kind per open episode of a link worker's, where it falls
    /// due before `before` (plan reviews due), soonest first.
    async fn due_records(
        &self,
        pcn: i64,
        kind: RecordKind,
        link_worker_id: i64,
        before: DateTime<Utc>,
    ) -> Result<Vec<EpisodeRecord>>;
    /// Discharges an episode with a reason and closing summary in one transaction.
    #[allow(clippy::too_many_arguments)]
    async fn discharge(
        &self,
        pcn: i64,
        episode_id: i64,
        expected_version: i64,
        reason: DischargeReason,
        summary_body: &str,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode>;
}

/// How many of a partner's finished referrals (completed, rejected, failed, cancelled) are
/// listed, newest first; open ones are always all listed.
pub const PARTNER_CLOSED_LISTED: i64 = 500;

/// Signposts and closed-loop referrals to community services.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Signposts or refers; a referral needs consent. The first connection moves a
    /// plan-agreed episode to active.
    async fn create_connection(
        &self,
        pcn: i64,
        episode_id: i64,
        c: &NewConnection,
        actor: &Actor,
    ) -> Result<(Connection, Episode)>;
    async fn get_connection(&self, scope: ConnectionScope, id: i64) -> Result<Option<Connection>>;
    async fn connections_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<Connection>>;
    /// Referrals addressed to a partner organisation, newest first: every one still open
    /// (requested, accepted, in progress, on hold), however old, and the newest
    /// [`PARTNER_CLOSED_LISTED`] of the rest.
    async fn connections_for_partner(&self, partner_org_id: i64) -> Result<Vec<Connection>>;
    /// Referrals not yet finished, for the "waiting on partners" list, oldest first;
    /// optionally only those a link worker made or whose episode they hold.
    async fn open_referrals(
        &self,
        pcn: i64,
        link_worker_id: Option<i64>,
    ) -> Result<Vec<Connection>>;
    /// Every referral to a community service in a PCN, in any status, oldest first (a GP
    /// system's `Task?status=completed`).
    async fn referrals_in_pcn(&self, pcn: i64) -> Result<Vec<Connection>>;
    /// Of those, a link worker's requests still unanswered after their due time (what
    /// `Connection::is_overdue` says), oldest first.
    async fn overdue_referrals(
        &self,
        pcn: i64,
        link_worker_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Connection>>;
    /// Moves a connection on; the domain decides what each side may do.
    async fn update_connection(
        &self,
        scope: ConnectionScope,
        id: i64,
        expected_version: i64,
        change: &StatusChange,
        actor: &Actor,
    ) -> Result<Connection>;
    /// Referrals past their answer time whose organisation has not been reminded.
    async fn overdue_unreminded(&self, now: DateTime<Utc>) -> Result<Vec<Connection>>;
    async fn mark_reminded(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
}
