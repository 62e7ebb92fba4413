//! The workforce store: practice list sizes, link worker employment, the ARRS maximum per
//! financial year, GP supervision, required training and care home tasks.

use crate::{Actor, Result};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{CareHomeTaskKind, CareHomeTaskStatus, Employment, SupervisionKind, TrainingKind};

/// An employment record with whose it is.
#[derive(Debug, Clone)]
pub struct EmploymentRecord {
    pub id: i64,
    pub pcn_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub employment: Employment,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// The maximum reimbursable amount for one WTE in a financial year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrsCap {
    /// The year the financial year starts (2022 = 2022/23).
    pub fy_start: i32,
    pub max_pence: i64,
    pub note: String,
}

/// A supervision session, with who was there.
#[derive(Debug, Clone)]
pub struct SupervisionSession {
    pub id: i64,
    pub pcn_id: i64,
    pub link_worker_id: i64,
    pub link_worker_name: String,
    pub supervisor_id: i64,
    pub supervisor_name: String,
    pub kind: SupervisionKind,
    pub held_on: NaiveDate,
    pub actions: String,
    pub cases: i64,
    pub created_at: DateTime<Utc>,
}

/// A new supervision session; `cases` are people in the same PCN.
#[derive(Debug, Clone)]
pub struct NewSupervision {
    pub link_worker_id: i64,
    pub supervisor_id: i64,
    pub kind: SupervisionKind,
    pub held_on: NaiveDate,
    pub actions: String,
    pub cases: Vec<i64>,
}

/// A person whose case was discussed.
#[derive(Debug, Clone)]
pub struct SupervisionCase {
    pub person_id: i64,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct TrainingRequirement {
    pub id: i64,
    /// `None`: applies to every PCN.
    pub pcn_id: Option<i64>,
    pub name: String,
    pub kind: TrainingKind,
    pub renew_months: Option<u32>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct TrainingRecord {
    pub id: i64,
    pub user_id: i64,
    pub requirement_id: i64,
    pub completed_on: NaiveDate,
    pub evidence: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct CareHomeTask {
    pub id: i64,
    pub pcn_id: i64,
    pub care_home: String,
    pub kind: CareHomeTaskKind,
    pub status: CareHomeTaskStatus,
    pub requested_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
    pub link_worker_id: Option<i64>,
    pub link_worker_name: Option<String>,
    pub details: String,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct NewCareHomeTask {
    pub care_home: String,
    pub kind: CareHomeTaskKind,
    pub requested_on: NaiveDate,
    pub link_worker_id: Option<i64>,
    pub details: String,
}

/// Practice list sizes, link workers' employments and the ARRS maximums.
#[async_trait]
pub trait WorkforceStore: Send + Sync {
    /// Each practice's registered list size, where the manager has entered it.
    async fn practice_list_sizes(&self, pcn: i64) -> Result<Vec<(i64, Option<i64>)>>;
    async fn set_practice_list_size(
        &self,
        pcn: i64,
        practice_id: i64,
        list_size: Option<i64>,
        actor: &Actor,
    ) -> Result<()>;

    /// Employment records in the PCN, by link worker then start date.
    async fn employments(&self, pcn: i64) -> Result<Vec<EmploymentRecord>>;
    async fn get_employment(&self, pcn: i64, id: i64) -> Result<Option<EmploymentRecord>>;
    /// Adds an employment for a link worker of the PCN.
    async fn create_employment(
        &self,
        pcn: i64,
        user_id: i64,
        employment: &Employment,
        actor: &Actor,
    ) -> Result<EmploymentRecord>;
    /// Saves changes if the record is still at `expected_version`.
    async fn update_employment(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        employment: &Employment,
        actor: &Actor,
    ) -> Result<EmploymentRecord>;

    async fn arrs_caps(&self) -> Result<Vec<ArrsCap>>;
    async fn save_arrs_cap(&self, cap: &ArrsCap, actor: &Actor) -> Result<()>;
}

/// GP supervision sessions and the training link workers complete.
#[async_trait]
pub trait SupervisionStore: Send + Sync {
    /// Sessions in the PCN, newest first; only one link worker's when given.
    async fn supervision_sessions(
        &self,
        pcn: i64,
        link_worker: Option<i64>,
    ) -> Result<Vec<SupervisionSession>>;
    async fn get_supervision(
        &self,
        pcn: i64,
        id: i64,
    ) -> Result<Option<(SupervisionSession, Vec<SupervisionCase>)>>;
    /// Records a session; every linked case is audited against the person.
    async fn create_supervision(
        &self,
        pcn: i64,
        session: &NewSupervision,
        actor: &Actor,
    ) -> Result<SupervisionSession>;

    /// National requirements and the PCN's own.
    async fn training_requirements(&self, pcn: i64) -> Result<Vec<TrainingRequirement>>;
    async fn create_training_requirement(
        &self,
        pcn: i64,
        name: &str,
        kind: TrainingKind,
        renew_months: Option<u32>,
        actor: &Actor,
    ) -> Result<TrainingRequirement>;
    /// Completions in the PCN (one user's when given), newest first.
    async fn training_records(&self, pcn: i64, user: Option<i64>) -> Result<Vec<TrainingRecord>>;
    async fn add_training_record(
        &self,
        pcn: i64,
        user_id: i64,
        requirement_id: i64,
        completed_on: NaiveDate,
        evidence: &str,
        actor: &Actor,
    ) -> Result<TrainingRecord>;
}

/// Tasks care homes ask of the PCN's link workers.
#[async_trait]
pub trait CareHomeStore: Send + Sync {
    /// Care home tasks requested in `[from, to]`, newest first.
    async fn care_home_tasks(
        &self,
        pcn: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CareHomeTask>>;
    async fn create_care_home_task(
        &self,
        pcn: i64,
        task: &NewCareHomeTask,
        actor: &Actor,
    ) -> Result<CareHomeTask>;
    /// Marks a task done or cancelled (with the day) or open again.
    async fn set_care_home_task_status(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        status: CareHomeTaskStatus,
        on: NaiveDate,
        actor: &Actor,
    ) -> Result<CareHomeTask>;
}
