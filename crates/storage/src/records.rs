//! The records storage hands back.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    ContactDetails, DischargeReason, EpisodeState, Need, PersonDetails, ReferralSource, Role,
    Urgency,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Pcn {
    pub id: i64,
    pub name: String,
    pub ods_code: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Practice {
    pub id: i64,
    pub pcn_id: i64,
    pub name: String,
    pub ods_code: String,
    /// Where it is, so people can find their practice by postcode.
    pub postcode: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartnerOrg {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The PCN the account belongs to; for partners, the PCN that manages the account
    /// (it grants a partner no access to the PCN's records).
    pub pcn_id: Option<i64>,
    /// Required for partners.
    pub partner_org_id: Option<i64>,
    pub password_hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub pcn_id: Option<i64>,
    pub partner_org_id: Option<i64>,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled: bool,
    pub failed_logins: u32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The last successful sign-in, if any.
    pub last_sign_in_at: Option<DateTime<Utc>>,
    /// The authenticator app's secret (base32), once set up: a second factor at sign-in.
    #[serde(skip)]
    pub totp_secret: Option<String>,
    /// A secret being set up, until a code from the app confirms it.
    #[serde(skip)]
    pub totp_pending: Option<String>,
    /// Wrong second-factor codes in a row.
    pub totp_failures: i64,
}

/// Wrong second-factor codes in a row after which no code is taken until a reset.
pub const TOTP_MAX_FAILURES: i64 = 10;

impl User {
    /// Signs in with a second factor (an authenticator app).
    pub fn has_second_factor(&self) -> bool {
        self.totp_secret.is_some()
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 of the cookie value; the cookie itself is never stored.
    pub id_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// How it was signed in: `None` for a password, else the single sign-on provider's name
    /// (such a session relies on the provider's second factor).
    pub via: Option<String>,
    /// The provider's id token, to hint it with at sign-out.
    pub id_token_hint: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A person's record.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub pcn_id: i64,
    pub details: PersonDetails,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One record merged into another by a manager (issue 22). The merged record stays in the
/// database, hidden and pointing at the one it went into; `moved` lists every row that moved,
/// by table, so that undoing the merge moves exactly those rows back.
#[derive(Debug, Clone)]
pub struct PersonMerge {
    pub id: i64,
    pub kept_id: i64,
    pub merged_id: i64,
    /// The merged record's name, date of birth and NHS number as they were.
    pub merged_details: PersonDetails,
    /// (table, ids) for every table rows moved from; `supervision_cases` by session id.
    pub moved: Vec<(String, Vec<i64>)>,
    pub reason: String,
    pub merged_by: Option<i64>,
    pub merged_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
    pub undo_reason: Option<String>,
}

impl PersonMerge {
    /// How many rows of `table` moved.
    pub fn count(&self, table: &str) -> usize {
        self.moved
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, ids)| ids.len())
    }
}

/// Search for people; empty fields are ignored, filled ones must all match.
#[derive(Debug, Clone, Default)]
pub struct PersonQuery {
    /// Part of the given or family name (or "given family").
    pub name: Option<String>,
    pub nhs_number: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// Full postcode or its outward part.
    pub postcode: Option<String>,
    pub limit: u32,
}

/// Who a referral is for.
#[derive(Debug, Clone)]
pub enum PersonRef {
    Existing(i64),
    New(Box<PersonDetails>),
}

#[derive(Debug, Clone, Serialize)]
pub struct Referral {
    pub id: i64,
    pub pcn_id: i64,
    pub person_id: i64,
    pub source: ReferralSource,
    pub referrer_name: String,
    pub referrer_role: String,
    pub referrer_organisation: String,
    pub referrer_contact: String,
    pub needs: Vec<Need>,
    pub reason: String,
    pub urgency: Urgency,
    pub consent: bool,
    pub created_by: Option<i64>,
    pub received_at: DateTime<Utc>,
    /// The reference a person who referred themselves was given.
    pub reference: Option<String>,
    /// The sending system's identifier for it (`<client> <system>|<value>`).
    pub source_identifier: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReferralSummary {
    pub referral_id: i64,
    pub episode_id: i64,
    /// For the audit log only: never shown to the referrer.
    #[serde(skip)]
    pub person_id: i64,
    pub person_name: String,
    /// The referral made the person's record (so the details are the referrer's own); false
    /// when it joined a record someone else made.
    #[serde(skip)]
    pub made_person: bool,
    pub received_at: DateTime<Utc>,
    pub state: EpisodeState,
    pub link_worker_name: Option<String>,
    /// Why it ended, when it was discharged.
    pub discharge_reason: Option<DischargeReason>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Episode {
    pub id: i64,
    pub pcn_id: i64,
    pub person_id: i64,
    pub referral_id: i64,
    pub state: EpisodeState,
    pub link_worker_id: Option<i64>,
    pub referred_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub next_contact_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub discharge_reason: Option<DischargeReason>,
    /// The open state it was closed from, while it is closed (for reopening).
    pub closed_from: Option<EpisodeState>,
    pub version: i64,
}

/// How a caseload is narrowed and ordered.
#[derive(Debug, Clone, Default)]
pub struct CaseloadFilter {
    /// Only these states; open states when empty.
    pub states: Vec<EpisodeState>,
    pub sort: CaseloadSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseloadSort {
    /// Longest waiting first.
    #[default]
    Waiting,
    Name,
    NextContact,
    LastContact,
}

/// One row of a caseload or of the unassigned queue.
#[derive(Debug, Clone, Serialize)]
pub struct CaseloadRow {
    pub episode_id: i64,
    pub episode_version: i64,
    pub person_id: i64,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub nhs_number: Option<String>,
    pub state: EpisodeState,
    pub urgency: Urgency,
    pub needs: Vec<Need>,
    pub referred_at: DateTime<Utc>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub next_contact_at: Option<DateTime<Utc>>,
    pub link_worker_id: Option<i64>,
    /// Who made the referral (a self-referral is marked in triage).
    pub source: ReferralSource,
    /// A self-referral's reference, which the person may quote.
    pub reference: Option<String>,
}

impl CaseloadRow {
    /// Days since the referral was received.
    pub fn days_waiting(&self, now: DateTime<Utc>) -> i64 {
        (now - self.referred_at).num_days().max(0)
    }
}

/// Something that happened to a person, for their timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub episode_id: i64,
    pub kind: String,
    pub summary: String,
    pub actor_label: String,
}

/// A recorded contact.
#[derive(Debug, Clone)]
pub struct Contact {
    pub id: i64,
    pub episode_id: i64,
    pub person_id: i64,
    pub details: ContactDetails,
    pub recorded_by: Option<i64>,
    pub recorded_at: DateTime<Utc>,
}

/// A referral from someone without an account, waiting for them to confirm their email.
#[derive(Debug, Clone)]
pub struct NewPendingReferral {
    pub pcn_id: i64,
    /// SHA-256 (hex) of the token in the confirmation link.
    pub token_hash: String,
    /// The reference the referral will carry.
    pub reference: String,
    pub email: String,
    /// What they sent, as the form's fields (JSON).
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct PendingReferral {
    pub id: i64,
    pub pcn_id: i64,
    pub reference: String,
    pub email: String,
    /// Empty once confirmed.
    pub payload: String,
    pub expires_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
}
