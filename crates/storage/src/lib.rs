//! Storage traits per aggregate, the records they speak in, and `StorageError`.
//!
//! `storage-sql` implements every trait once, in SQL, and compiles it for SQLite and for
//! PostgreSQL (each with its own migrations); `storage-tests` runs one conformance suite
//! against both. Every
//! method that touches a person's record takes the caller's PCN and only ever sees that
//! PCN's rows; every write takes the [`Actor`] and appends to the audit log in the same
//! transaction.

pub mod audit;
pub mod backup;
pub mod directory;
pub mod interop;
pub mod journey;
pub mod own_plan;
pub mod ownership;
mod records;
pub mod reports;
pub mod sign_on;
pub mod workforce;

pub use audit::{
    chain_hash, checkpoint, verify_checkpoint, AuditEntry, AuditFilter, AuditRecord,
    AuditVerification, Checkpoint, GENESIS_HASH,
};
pub use directory::{
    DirDoc, DirOrgRecord, DirServiceRecord, DirServiceWrite, DirectoryBatch, DirectoryStore,
    ImportCounts,
};
pub use interop::{
    ApiClient, ApiClientStore, ClientToken, CodingBatch, InteropStore, NewApiClient,
    NewNotification, Notification, OutboundMessage, ReminderDue,
};
pub use journey::{
    CodingConcept, CodingEntry, CodingStore, Connection, ConnectionScope, ConnectionStore,
    EpisodeRecord, NewConnection, NewRecord, RecordStore, SharedDetails, StatusChange,
    PARTNER_CLOSED_LISTED,
};
pub use own_plan::{
    CallRequest, NewPersonSession, OwnPlanStore, PersonSession, PlanLink, PLAN_MAX_FAILURES,
};
pub use ownership::{LinkSide, OwnershipStore, PartnerLink};
pub use records::*;
pub use reports::{
    CareHomeFact, CodingFact, ConnectionFact, ContactCount, EpisodeFact, FactNeeds, RecordFact,
    ReportFacts, ReportScope, ReportStore,
};
pub use sign_on::{LinkRefused, SignInAttempt, SignInIdentity, SignOnStore};
pub use workforce::{
    ArrsCap, CareHomeStore, CareHomeTask, EmploymentRecord, NewCareHomeTask, NewSupervision,
    SupervisionCase, SupervisionSession, SupervisionStore, TrainingRecord, TrainingRequirement,
    WorkforceStore,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{ContactDetails, DischargeReason, EpisodeState, PersonDetails, ReferralDetails, Role};

/// The current time at the precision both engines store (microseconds), so a value
/// written and read back compares equal on SQLite and PostgreSQL alike.
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// What went wrong in storage, in terms the web layer can map to an answer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No such record in the caller's PCN.
    #[error("not found")]
    NotFound,
    /// The record changed since the caller read it (optimistic versioning).
    #[error("this record was changed by someone else since you opened it")]
    Stale,
    /// A unique value is taken (e.g. an email address).
    #[error("{0}")]
    Duplicate(String),
    /// The request breaks a domain rule (e.g. an illegal episode transition).
    #[error("{0}")]
    Rule(String),
    /// The database failed.
    #[error("database error: {0}")]
    Backend(String),
    /// The database cannot be reached just now (restarting, failing over, the network). If
    /// the connection was lost at a commit, that change may or may not have been saved.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Who is doing something, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// Email or a system name ("cli", "demo").
    pub label: String,
    /// Client address, when over HTTP.
    pub ip: Option<String>,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self {
            user_id: None,
            label: label.into(),
            ip: None,
        }
    }
}

/// PCNs, their practices and VCSE partner organisations.
#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn create_pcn(&self, name: &str, ods_code: &str) -> Result<Pcn>;
    async fn list_pcns(&self) -> Result<Vec<Pcn>>;
    async fn create_practice(&self, pcn: i64, name: &str, ods_code: &str) -> Result<Practice>;
    async fn list_practices(&self, pcn: i64) -> Result<Vec<Practice>>;
    /// Every practice of every PCN (for a person finding their practice to refer themselves).
    async fn list_all_practices(&self) -> Result<Vec<Practice>>;
    /// Sets where a practice is (people find it by postcode, and "not sure" self-referrals
    /// are routed by it). Audited with the old and new postcode.
    async fn set_practice_postcode(
        &self,
        pcn: i64,
        practice: i64,
        postcode: Option<&str>,
        actor: &Actor,
    ) -> Result<()>;
    async fn create_partner_org(&self, name: &str) -> Result<PartnerOrg>;
    async fn list_partner_orgs(&self) -> Result<Vec<PartnerOrg>>;
}

/// Accounts, sign-in throttling, sessions and API tokens.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(&self, user: NewUser, actor: &Actor) -> Result<User>;
    async fn user_by_id(&self, id: i64) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    /// The accounts with these email addresses (any case), in any PCN: the few a page names,
    /// without reading every account of the deployment.
    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<User>>;
    /// Users of a PCN (all users when `None`).
    async fn list_users(&self, pcn: Option<i64>) -> Result<Vec<User>>;
    /// Changes an account's name and role (audited as `user.update`, saying what changed);
    /// a changed role ends the account's sessions, so it applies from the next sign-in.
    async fn update_user(&self, id: i64, name: &str, role: Role, actor: &Actor) -> Result<User>;
    async fn set_user_disabled(&self, id: i64, disabled: bool, actor: &Actor) -> Result<()>;
    /// Replaces the password hash, clears any lock and ends the user's sessions.
    async fn set_password(&self, id: i64, password_hash: &str, actor: &Actor) -> Result<()>;
    /// Counts a failed sign-in; locks the account until `lock_until` once `max_failures`
    /// is reached. Returns the failure count.
    async fn record_login_failure(
        &self,
        id: i64,
        max_failures: u32,
        lock_until: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<u32>;
    async fn record_login_success(&self, id: i64, actor: &Actor) -> Result<()>;

    /// Keeps the secret shown while an authenticator app is set up (as `pending`: the secret
    /// bound to the session that asked), replacing any other. Audited (`mfa.start`).
    async fn set_totp_pending(&self, user: i64, pending: &str, actor: &Actor) -> Result<()>;
    /// The pending secret confirmed: it becomes the account's second factor, with these
    /// recovery codes (SHA-256 hashes) replacing any others. Every other session of the
    /// account ends and its API tokens are revoked (both were opened with the password
    /// alone). Audited (`mfa.enrol`).
    async fn enable_totp(
        &self,
        user: i64,
        (pending, secret): (&str, &str),
        step: i64,
        recovery_hashes: &[String],
        keep_session: Option<&str>,
        actor: &Actor,
    ) -> Result<()>;
    /// Takes a code's time step for the account if it is later than the last one taken
    /// (a code works once). False when it was already used.
    async fn take_totp_step(&self, user: i64, step: i64) -> Result<bool>;
    /// Counts a second-factor code as wrong before it is checked, if fewer than
    /// [`TOTP_MAX_FAILURES`] are counted in a row (checking and counting in one statement,
    /// so codes sent all at once, from any addresses, cannot all get under the lock). A right
    /// code ([`AccountStore::take_totp_step`], a recovery code) starts the count again. False
    /// when the account has had too many (nothing counted).
    async fn take_totp_attempt(&self, user: i64) -> Result<bool>;
    /// Uses a recovery code (by hash) once. False when unknown or used.
    async fn use_recovery_code(&self, user: i64, code_hash: &str) -> Result<bool>;
    /// Recovery codes not yet used.
    async fn recovery_codes_left(&self, user: i64) -> Result<i64>;
    /// New recovery codes replacing the old. Audited (`mfa.recovery_codes`).
    async fn replace_recovery_codes(
        &self,
        user: i64,
        hashes: &[String],
        actor: &Actor,
    ) -> Result<()>;
    /// Removes the second factor (the user turning it off, or an administrator resetting
    /// it): audited as `action`; the account's sessions end and its API tokens are revoked.
    async fn remove_second_factor(&self, user: i64, action: &str, actor: &Actor) -> Result<()>;

    async fn create_session(&self, session: &Session) -> Result<()>;
    /// The session with this hash and its user, read together (every signed-in request asks).
    async fn session_with_user(&self, id_hash: &str) -> Result<Option<(Session, User)>>;
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<()>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Keeps something to show a user once (a temporary password, a new secret) under the
    /// hash of a random token, until `expires_at`; expired ones are cleared as it runs.
    async fn put_notice(
        &self,
        user_id: i64,
        token_hash: &str,
        body: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The notice, once: it is deleted as it is read. `None` when unknown, another user's
    /// or expired.
    async fn take_notice(
        &self,
        user_id: i64,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>>;

    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        actor: &Actor,
    ) -> Result<ApiToken>;
    async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>>;
    async fn revoke_api_token(&self, user_id: i64, token_id: i64, actor: &Actor) -> Result<()>;
    /// The live (not revoked) token with this hash, and marks it used.
    async fn api_token_by_hash(
        &self,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiToken>>;
}

/// People's records, always within one PCN.
#[async_trait]
pub trait PersonStore: Send + Sync {
    async fn create_person(
        &self,
        pcn: i64,
        details: &PersonDetails,
        actor: &Actor,
    ) -> Result<Person>;
    /// Saves new details if the stored version is still `expected_version`.
    async fn update_person(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        details: &PersonDetails,
        actor: &Actor,
    ) -> Result<Person>;
    async fn get_person(&self, pcn: i64, id: i64) -> Result<Option<Person>>;
    async fn search_people(&self, pcn: i64, query: &PersonQuery) -> Result<Vec<Person>>;
    /// People who may be the same person: same NHS number, or same name and date of birth.
    async fn find_possible_duplicates(
        &self,
        pcn: i64,
        details: &PersonDetails,
    ) -> Result<Vec<Person>>;
    /// Moves everything recorded about `merged` (referrals, episodes, contacts, plans,
    /// connections, codes, messages, supervision discussions) to `kept`, hides `merged`
    /// (it points at `kept` from then on) and records what moved; audited as `person.merge`
    /// on both records. Both must be live records of the PCN, and different.
    async fn merge_people(
        &self,
        pcn: i64,
        kept: i64,
        merged: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<PersonMerge>;
    /// Moves back exactly the rows a merge moved and shows the merged record again; audited
    /// as `person.unmerge`. Refused once the kept record has itself been merged away (undo
    /// that merge first) or if the merge was already undone.
    async fn undo_merge(
        &self,
        pcn: i64,
        merge_id: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<PersonMerge>;
    /// Merges into `kept`, newest first, undone ones included.
    async fn merges_into(&self, pcn: i64, kept: i64) -> Result<Vec<PersonMerge>>;
    /// The record a merged-away record went into, if it was merged.
    async fn merged_into(&self, pcn: i64, id: i64) -> Result<Option<i64>>;
}

/// Referrals, the episodes they open, triage and caseloads.
#[async_trait]
pub trait EpisodeStore: Send + Sync {
    /// Records a referral for an existing person (`PersonRef::Existing`) or a new one,
    /// and opens an episode in state `referred` in the PCN's unassigned queue.
    async fn create_referral(
        &self,
        pcn: i64,
        person: PersonRef,
        referral: &ReferralDetails,
        created_by: Option<i64>,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(Referral, Episode)>;
    async fn get_referral(&self, pcn: i64, id: i64) -> Result<Option<Referral>>;
    /// The referral a sending system identified so (`<client> <system>|<value>`), with its
    /// episode: what a retried send with If-None-Exist gets back.
    async fn referral_by_source_identifier(
        &self,
        pcn: i64,
        identifier: &str,
    ) -> Result<Option<(Referral, Episode)>>;
    /// Keeps a referral from someone without an account until they confirm their email
    /// (and forgets those past their time).
    async fn add_pending_referral(&self, p: &NewPendingReferral) -> Result<()>;
    /// The pending referral a confirmation link's token names (by its SHA-256), confirmed or
    /// not, while it has not expired.
    async fn pending_referral(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingReferral>>;
    /// Forgets pending referrals past their time (what they held is deleted).
    async fn purge_pending_referrals(&self, now: DateTime<Utc>) -> Result<u64>;
    /// Marks a pending referral confirmed and forgets what it held.
    async fn finish_pending_referral(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
    /// The work email domains a PCN accepts from referrers without an account (empty: any).
    async fn referrer_domains(&self, pcn: i64) -> Result<Vec<String>>;
    async fn set_referrer_domains(&self, pcn: i64, domains: &[String], actor: &Actor)
        -> Result<()>;
    /// Referrals a user made, newest first, with the current state of each episode.
    async fn referrals_made_by(&self, pcn: i64, user_id: i64) -> Result<Vec<ReferralSummary>>;
    /// The referral a user made that opened this episode, however old.
    async fn referral_made_by(
        &self,
        pcn: i64,
        user_id: i64,
        episode_id: i64,
    ) -> Result<Option<ReferralSummary>>;
    async fn get_episode(&self, pcn: i64, id: i64) -> Result<Option<Episode>>;
    async fn episodes_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<Episode>>;
    async fn referrals_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<Referral>>;
    /// Open episodes that no link worker holds yet, oldest first.
    async fn unassigned_queue(&self, pcn: i64) -> Result<Vec<CaseloadRow>>;
    async fn assign_episode(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        link_worker_id: i64,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode>;
    /// Moves an episode to another state; the domain decides whether the move is legal.
    #[allow(clippy::too_many_arguments)]
    async fn transition_episode(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        to: EpisodeState,
        reason: Option<DischargeReason>,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode>;
    /// Closes an episode as declined or unable to contact, with the reason in the person's
    /// timeline (asked for on the confirmation page).
    #[allow(clippy::too_many_arguments)]
    async fn close_episode(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        to: EpisodeState,
        why: &str,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode>;
    /// Reopens a closed episode within [`domain::episode::REOPEN_DAYS`], back to the state
    /// it was closed from; GP-record codes its closing queued and not yet sent to the
    /// practice are withdrawn (the timeline says which, and any the practice already has).
    async fn reopen_episode(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        why: &str,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode>;
    /// Plans (or clears) the next contact with the person.
    async fn set_next_contact(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        next: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> Result<Episode>;
    async fn caseload(
        &self,
        pcn: i64,
        link_worker_id: i64,
        filter: &CaseloadFilter,
    ) -> Result<Vec<CaseloadRow>>;
    /// People taken on (episodes assigned) by a link worker since `since`.
    async fn taken_on_since(
        &self,
        pcn: i64,
        link_worker_id: i64,
        since: DateTime<Utc>,
    ) -> Result<u32>;
    /// What has happened to a person, newest first.
    async fn timeline(&self, pcn: i64, person_id: i64) -> Result<Vec<TimelineEvent>>;
}

/// The append-only, hash-chained audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;
    /// Moves entries appended without a lock (PostgreSQL's queue) onto the hash chain, in
    /// order, one sealer at a time; how many. Reads of the log seal first.
    async fn seal_audit(&self) -> Result<u64>;
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>>;
    /// Every record in order, for verification.
    async fn all_audit(&self) -> Result<Vec<AuditRecord>>;
    /// Recomputes the chain and reports the first broken link.
    async fn verify_audit(&self) -> Result<AuditVerification> {
        Ok(audit::verify(&self.all_audit().await?))
    }
}

/// Engine health and lifecycle.
#[async_trait]
pub trait Engine: Send + Sync {
    /// Which engine this is ("sqlite" or "postgres").
    fn engine_name(&self) -> &'static str;
    /// Answers when the database can be queried.
    async fn ping(&self) -> Result<()>;
    /// The highest migration applied.
    async fn schema_version(&self) -> Result<i64>;
    /// Reads every table (but sessions), parents first, from one consistent snapshot.
    async fn dump(&self, sink: &mut (dyn backup::DumpSink + Send)) -> Result<()>;
    /// Restores a checked backup into this database in one transaction: refused, with
    /// nothing changed, unless the database holds no accounts, people or audit entries.
    /// Returns the rows restored.
    async fn restore(&self, source: &mut (dyn backup::RestoreSource + Send)) -> Result<u64>;
}

/// Contacts with people, recorded against their episodes.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Records a contact on an open episode still at `expected_version`. The first contact
    /// moves a `referred` episode to `contacting`; attended contacts set the first and last
    /// contact times. Returns the contact and the updated episode.
    async fn record_contact(
        &self,
        pcn: i64,
        episode_id: i64,
        expected_version: i64,
        contact: &ContactDetails,
        actor: &Actor,
    ) -> Result<(Contact, Episode)>;
    /// A person's contacts, newest first.
    async fn contacts_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<Contact>>;
}

/// Everything Linkwork stores.
/// Limits that hold across every node (issue 26): uses of a limited thing (a failed sign-in
/// from an address, a token request …) counted in the database, by a SHA-256 hash of its key.
#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Uses of a limited thing (`key_hash`: a SHA-256 hash of its key) since `since`, as
    /// every node counts them.
    async fn limit_uses(&self, key_hash: &str, since: DateTime<Utc>) -> Result<u32>;
    /// Counts one use of `key_hash` at `at`.
    async fn limit_count(&self, key_hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// Counts one use at `at` only if fewer than `limit` were counted since `since`, checking
    /// and counting together (so nodes asking at once cannot all pass). False when none was
    /// left (nothing is counted then).
    async fn limit_take(
        &self,
        key_hash: &str,
        limit: u32,
        since: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Gives back one use taken by [`LimitStore::limit_take`] at `at` (an attempt counted
    /// before it was checked, which turned out not to be a failure). Nothing when there is none.
    async fn limit_release(&self, key_hash: &str, at: DateTime<Utc>) -> Result<()>;
    /// Forgets every use of `key_hash` (a limit that counts failures in a row, after a
    /// success).
    async fn limit_clear(&self, key_hash: &str) -> Result<()>;
    /// Removes every use older than a day (longer than any limit's window); how many.
    async fn limit_prune(&self, now: DateTime<Utc>) -> Result<u64>;
}

pub trait Storage:
    OrgStore
    + UserStore
    + PersonStore
    + EpisodeStore
    + ContactStore
    + AuditStore
    + DirectoryStore
    + CodingStore
    + RecordStore
    + ConnectionStore
    + WorkforceStore
    + SupervisionStore
    + CareHomeStore
    + ReportStore
    + InteropStore
    + ApiClientStore
    + OwnershipStore
    + OwnPlanStore
    + SignOnStore
    + LimitStore
    + Engine
{
}
impl<
        T: OrgStore
            + UserStore
            + PersonStore
            + EpisodeStore
            + ContactStore
            + AuditStore
            + DirectoryStore
            + CodingStore
            + RecordStore
            + ConnectionStore
            + WorkforceStore
            + SupervisionStore
            + CareHomeStore
            + ReportStore
            + InteropStore
            + ApiClientStore
            + OwnershipStore
            + OwnPlanStore
            + SignOnStore
            + LimitStore
            + Engine,
    > Storage for T
{
}
