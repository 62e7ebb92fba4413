//! The facts managers' reports are computed from. Storage reads them in one consistent
//! snapshot for a scope (period and filters); the `reports` crate turns them into figures.
//! Facts carry no names, NHS numbers or addresses: only what the figures need.

use crate::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

/// Which episodes a report covers: a period and optional filters.
#[derive(Debug, Clone)]
pub struct ReportScope {
    /// Start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    pub practice: Option<i64>,
    pub link_worker: Option<i64>,
    /// A referral source code.
    pub source: Option<String>,
}

/// One episode that was open at some point in the period (or referred in it).
#[derive(Debug, Clone)]
pub struct EpisodeFact {
    pub episode_id: i64,
    pub person_id: i64,
    pub practice_id: Option<i64>,
    pub link_worker_id: Option<i64>,
    pub source: String,
    /// Need codes flagged at referral, comma-separated.
    pub needs: String,
    pub state: String,
    pub discharge_reason: Option<String>,
    pub referred_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub first_contact_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub date_of_birth: NaiveDate,
    pub sex: String,
    pub ethnicity: Option<String>,
    pub carer_status: String,
    pub has_access_needs: bool,
    /// The home postcode's centroid, when the postcode is known to the directory.
    pub location: Option<(f64, f64)>,
    /// Contacts the person attended.
    pub contacts_attended: i64,
    /// Contacts the person did not attend.
    pub contacts_missed: i64,
}

/// How many contacts of one type were held in the period for the episodes in scope, and
/// whether the person attended them. Counted by the database: a PCN's year is over ten
/// thousand contacts at scale, and the reports only need the counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCount {
    pub contact_type: String,
    pub did_not_attend: bool,
    pub count: i64,
}

/// A connection made in the period.
#[derive(Debug, Clone)]
pub struct ConnectionFact {
    pub episode_id: i64,
    pub service_id: String,
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// An episode record the reports read (outcome measures, health service use).
#[derive(Debug, Clone)]
pub struct RecordFact {
    pub episode_id: i64,
    pub kind: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A GP-record code queued in the period.
#[derive(Debug, Clone)]
pub struct CodingFact {
    pub episode_id: i64,
    pub practice_id: Option<i64>,
    pub concept_id: String,
    pub recorded: bool,
    pub queued_at: DateTime<Utc>,
}

/// A care home task requested in the period.
#[derive(Debug, Clone)]
pub struct CareHomeFact {
    pub kind: String,
    pub status: String,
    pub link_worker_id: Option<i64>,
}

/// Everything a report needs, read together.
#[derive(Debug, Clone, Default)]
pub struct ReportFacts {
    /// Episodes referred before the end of the period and not closed before its start.
    pub episodes: Vec<EpisodeFact>,
    pub contacts: Vec<ContactCount>,
    pub connections: Vec<ConnectionFact>,
    /// Measures for the episodes above, and health use (before and after) for episodes
    /// with a health-use record made in the period.
    pub records: Vec<RecordFact>,
    pub coding: Vec<CodingFact>,
    pub care_home: Vec<CareHomeFact>,
}

/// Which facts to read besides the episodes (which every report uses). A report page reads
/// what its report needs; the dashboard and the printable page read everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FactNeeds {
    pub contacts: bool,
    pub connections: bool,
    /// Outcome measures and health service use.
    pub records: bool,
    pub coding: bool,
    pub care_home: bool,
}

impl FactNeeds {
    pub const ALL: FactNeeds = FactNeeds {
        contacts: true,
        connections: true,
        records: true,
        coding: true,
        care_home: true,
    };

    /// Both sets together.
    pub fn and(self, o: FactNeeds) -> FactNeeds {
        FactNeeds {
            contacts: self.contacts || o.contacts,
            connections: self.connections || o.connections,
            records: self.records || o.records,
            coding: self.coding || o.coding,
            care_home: self.care_home || o.care_home,
        }
    }
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The facts for a PCN's report over `scope`, in one read snapshot: the episodes, and
    /// the other facts `needs` names (the rest are left empty).
    async fn report_facts(
        &self,
        pcn: i64,
        scope: &ReportScope,
        needs: FactNeeds,
    ) -> Result<ReportFacts>;
}
