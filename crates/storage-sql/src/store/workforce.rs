//! The workforce store: employments and ARRS claims, training, supervision sessions and
//! care-home tasks.

use super::audit::append;
use super::engine::{backend, DbConn, DbRow, Store};
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::{
    CareHomeTaskStatus, Code, EmployerKind, Employment, Role, SupervisionKind, TrainingKind,
};
use sqlx::Row;
use storage::{
    Actor, ArrsCap, AuditEntry, CareHomeTask, EmploymentRecord, NewCareHomeTask, NewSupervision,
    Result, StorageError, SupervisionCase, SupervisionSession, TrainingRecord, TrainingRequirement,
    WorkforceStore,
};

fn code<T: Code>(s: &str) -> Result<T> {
    T::from_code(s).ok_or_else(|| StorageError::Backend(format!("unknown code in database: {s}")))
}

const EMPLOYMENT_SELECT: &str = "SELECT m.*, u.name AS user_name FROM employments m \
    JOIN users u ON u.id = m.user_id";

fn employment(r: &DbRow) -> Result<EmploymentRecord> {
    Ok(EmploymentRecord {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        user_id: r.try_get("user_id").map_err(backend)?,
        user_name: r.try_get("user_name").map_err(backend)?,
        employment: Employment {
            employer_kind: code::<EmployerKind>(r.try_get("employer_kind").map_err(backend)?)?,
            employer_name: r.try_get("employer_name").map_err(backend)?,
            wte_milli: r.try_get("wte_milli").map_err(backend)?,
            annual_salary_pence: r.try_get("annual_salary_pence").map_err(backend)?,
            annual_oncosts_pence: r.try_get("annual_oncosts_pence").map_err(backend)?,
            subcontract_monthly_pence: r.try_get("subcontract_monthly_pence").map_err(backend)?,
            afc_band: r.try_get("afc_band").map_err(backend)?,
            start_date: r.try_get("start_date").map_err(backend)?,
            end_date: r.try_get("end_date").map_err(backend)?,
        },
        updated_at: r.try_get("updated_at").map_err(backend)?,
        version: r.try_get("version").map_err(backend)?,
    })
}

const SUPERVISION_SELECT: &str =
    "SELECT s.*, w.name AS link_worker_name, v.name AS supervisor_name, \
    (SELECT COUNT(*) FROM supervision_cases c WHERE c.session_id = s.id) AS cases \
    FROM supervision_sessions s JOIN users w ON w.id = s.link_worker_id \
    JOIN users v ON v.id = s.supervisor_id";

fn supervision(r: &DbRow) -> Result<SupervisionSession> {
    Ok(SupervisionSession {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        link_worker_id: r.try_get("link_worker_id").map_err(backend)?,
        link_worker_name: r.try_get("link_worker_name").map_err(backend)?,
        supervisor_id: r.try_get("supervisor_id").map_err(backend)?,
        supervisor_name: r.try_get("supervisor_name").map_err(backend)?,
        kind: code::<SupervisionKind>(r.try_get("kind").map_err(backend)?)?,
        held_on: r.try_get("held_on").map_err(backend)?,
        actions: r.try_get("actions").map_err(backend)?,
        cases: r.try_get("cases").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

fn requirement(r: &DbRow) -> Result<TrainingRequirement> {
    let renew: Option<i64> = r.try_get("renew_months").map_err(backend)?;
    Ok(TrainingRequirement {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        name: r.try_get("name").map_err(backend)?,
        kind: code::<TrainingKind>(r.try_get("kind").map_err(backend)?)?,
        renew_months: renew.and_then(|m| u32::try_from(m).ok()),
        active: r.try_get("active").map_err(backend)?,
    })
}

fn training(r: &DbRow) -> Result<TrainingRecord> {
    Ok(TrainingRecord {
        id: r.try_get("id").map_err(backend)?,
        user_id: r.try_get("user_id").map_err(backend)?,
        requirement_id: r.try_get("requirement_id").map_err(backend)?,
        completed_on: r.try_get("completed_on").map_err(backend)?,
        evidence: r.try_get("evidence").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

const TASK_SELECT: &str =
    "SELECT t.*, u.name AS link_worker_name FROM care_home_tasks t LEFT JOIN users u ON u.id = t.link_worker_id";

fn task(r: &DbRow) -> Result<CareHomeTask> {
    Ok(CareHomeTask {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        care_home: r.try_get("care_home").map_err(backend)?,
        kind: code(r.try_get::<&str, _>("kind").map_err(backend)?)?,
        status: code(r.try_get::<&str, _>("status").map_err(backend)?)?,
        requested_on: r.try_get("requested_on").map_err(backend)?,
        completed_on: r.try_get("completed_on").map_err(backend)?,
        link_worker_id: r.try_get("link_worker_id").map_err(backend)?,
        link_worker_name: r.try_get("link_worker_name").map_err(backend)?,
        details: r.try_get("details").map_err(backend)?,
        version: r.try_get("version").map_err(backend)?,
    })
}

/// Reads back the row just written, in the same transaction: `select` must alias its
/// table as `alias`.
async fn reread<T>(
    conn: &mut DbConn,
    select: &str,
    alias: &str,
    id: i64,
    map: fn(&DbRow) -> Result<T>,
) -> Result<T> {
    sqlx::query(&format!("{select} WHERE {alias}.id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)
        .and_then(|r| map(&r))
}

/// A user of the PCN with one of `roles`, or a rule error naming what was expected.
async fn pcn_user(conn: &mut DbConn, pcn: i64, id: i64, roles: &[Role], what: &str) -> Result<()> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM users WHERE id = $1 AND pcn_id = $2 AND NOT disabled")
            .bind(id)
            .bind(pcn)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
    match row.and_then(|(r,)| Role::from_code(&r)) {
        Some(r) if roles.contains(&r) => Ok(()),
        _ => Err(StorageError::Rule(format!("Choose {what} from your PCN"))),
    }
}

#[async_trait]
impl WorkforceStore for Store {
    async fn practice_list_sizes(&self, pcn: i64) -> Result<Vec<(i64, Option<i64>)>> {
        sqlx::query_as("SELECT id, list_size FROM practices WHERE pcn_id = $1 ORDER BY name")
            .bind(pcn)
            .fetch_all(&self.read)
            .await
            .map_err(backend)
    }

    async fn set_practice_list_size(
        &self,
        pcn: i64,
        practice_id: i64,
        list_size: Option<i64>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let done = sqlx::query("UPDATE practices SET list_size = $1 WHERE id = $2 AND pcn_id = $3")
            .bind(list_size)
            .bind(practice_id)
            .bind(pcn)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "practice.list_size",
                "practice",
                Some(practice_id),
                Some(pcn),
            )
            .detail(format!("{list_size:?}")),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn employments(&self, pcn: i64) -> Result<Vec<EmploymentRecord>> {
        sqlx::query(&format!(
            "{EMPLOYMENT_SELECT} WHERE m.pcn_id = $1 ORDER BY u.name, m.start_date, m.id"
        ))
        .bind(pcn)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(employment)
        .collect()
    }

    async fn get_employment(&self, pcn: i64, id: i64) -> Result<Option<EmploymentRecord>> {
        sqlx::query(&format!(
            "{EMPLOYMENT_SELECT} WHERE m.pcn_id = $1 AND m.id = $2"
        ))
        .bind(pcn)
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?
        .as_ref()
        .map(employment)
        .transpose()
    }

    async fn create_employment(
        &self,
        pcn: i64,
        user_id: i64,
        e: &Employment,
        actor: &Actor,
    ) -> Result<EmploymentRecord> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        pcn_user(&mut tx, pcn, user_id, &[Role::LinkWorker], "a link worker").await?;
        let now = storage::now();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO employments (pcn_id, user_id, employer_kind, employer_name, wte_milli,
                annual_salary_pence, annual_oncosts_pence, subcontract_monthly_pence, afc_band,
                start_date, end_date, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(pcn)
        .bind(user_id)
        .bind(e.employer_kind.code())
        .bind(&e.employer_name)
        .bind(e.wte_milli)
        .bind(e.annual_salary_pence)
        .bind(e.annual_oncosts_pence)
        .bind(e.subcontract_monthly_pence)
        .bind(&e.afc_band)
        .bind(e.start_date)
        .bind(e.end_date)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "employment.create", "user", Some(user_id), Some(pcn))
                .detail(format!("employment {id}")),
        )
        .await?;
        let rec = reread(&mut tx, EMPLOYMENT_SELECT, "m", id, employment).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn update_employment(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        e: &Employment,
        actor: &Actor,
    ) -> Result<EmploymentRecord> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let current: Option<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, version FROM employments WHERE id = $1 AND pcn_id = $2",
        )
        .bind(id)
        .bind(pcn)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some((user_id, version)) = current else {
            return Err(StorageError::NotFound);
        };
        if version != expected_version {
            return Err(StorageError::Stale);
        }
        sqlx::query(
            "UPDATE employments SET employer_kind = $1, employer_name = $2, wte_milli = $3,
                annual_salary_pence = $4, annual_oncosts_pence = $5, subcontract_monthly_pence = $6,
                afc_band = $7, start_date = $8, end_date = $9, updated_at = $10, version = version + 1
             WHERE id = $11",
        )
        .bind(e.employer_kind.code())
        .bind(&e.employer_name)
        .bind(e.wte_milli)
        .bind(e.annual_salary_pence)
        .bind(e.annual_oncosts_pence)
        .bind(e.subcontract_monthly_pence)
        .bind(&e.afc_band)
        .bind(e.start_date)
        .bind(e.end_date)
        .bind(storage::now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "employment.update", "user", Some(user_id), Some(pcn))
                .detail(format!("employment {id}")),
        )
        .await?;
        let rec = reread(&mut tx, EMPLOYMENT_SELECT, "m", id, employment).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn arrs_caps(&self) -> Result<Vec<ArrsCap>> {
        let rows: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT fy_start, max_pence, note FROM arrs_caps ORDER BY fy_start")
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(fy, max, note)| ArrsCap {
                fy_start: i32::try_from(fy).unwrap_or_default(),
                max_pence: max,
                note,
            })
            .collect())
    }

    async fn save_arrs_cap(&self, cap: &ArrsCap, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO arrs_caps (fy_start, max_pence, note, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (fy_start) DO UPDATE SET max_pence = excluded.max_pence,
                note = excluded.note, updated_at = excluded.updated_at",
        )
        .bind(i64::from(cap.fy_start))
        .bind(cap.max_pence)
        .bind(&cap.note)
        .bind(storage::now())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "arrs.cap",
                "arrs_cap",
                Some(i64::from(cap.fy_start)),
                None,
            )
            .detail(format!("{} pence", cap.max_pence)),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn supervision_sessions(
        &self,
        pcn: i64,
        link_worker: Option<i64>,
    ) -> Result<Vec<SupervisionSession>> {
        sqlx::query(&format!(
            "{SUPERVISION_SELECT} WHERE s.pcn_id = $1
               AND (CAST($2 AS BIGINT) IS NULL OR s.link_worker_id = $2)
             ORDER BY s.held_on DESC, s.id DESC"
        ))
        .bind(pcn)
        .bind(link_worker)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(supervision)
        .collect()
    }

    async fn get_supervision(
        &self,
        pcn: i64,
        id: i64,
    ) -> Result<Option<(SupervisionSession, Vec<SupervisionCase>)>> {
        let Some(session) = sqlx::query(&format!(
            "{SUPERVISION_SELECT} WHERE s.pcn_id = $1 AND s.id = $2"
        ))
        .bind(pcn)
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?
        .as_ref()
        .map(supervision)
        .transpose()?
        else {
            return Ok(None);
        };
        let cases: Vec<(i64, String)> = sqlx::query_as(
            "SELECT p.id, p.given_name || ' ' || p.family_name FROM supervision_cases c
             JOIN people p ON p.id = c.person_id
             WHERE c.session_id = $1 AND c.pcn_id = $2 ORDER BY p.family_name, p.given_name",
        )
        .bind(id)
        .bind(pcn)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        Ok(Some((
            session,
            cases
                .into_iter()
                .map(|(person_id, name)| SupervisionCase { person_id, name })
                .collect(),
        )))
    }

    async fn create_supervision(
        &self,
        pcn: i64,
        s: &NewSupervision,
        actor: &Actor,
    ) -> Result<SupervisionSession> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        pcn_user(
            &mut tx,
            pcn,
            s.link_worker_id,
            &[Role::LinkWorker],
            "a link worker",
        )
        .await?;
        pcn_user(
            &mut tx,
            pcn,
            s.supervisor_id,
            &[Role::Supervisor, Role::Manager],
            "a supervisor",
        )
        .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO supervision_sessions (pcn_id, link_worker_id, supervisor_id, kind, held_on,
                actions, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(pcn)
        .bind(s.link_worker_id)
        .bind(s.supervisor_id)
        .bind(s.kind.code())
        .bind(s.held_on)
        .bind(&s.actions)
        .bind(actor.user_id)
        .bind(storage::now())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        for person in &s.cases {
            let found: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM people WHERE id = $1 AND pcn_id = $2 AND deleted_at IS NULL",
            )
            .bind(person)
            .bind(pcn)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if found.is_none() {
                return Err(StorageError::Rule(
                    "A case discussed is not a person in your PCN".into(),
                ));
            }
            sqlx::query(
                "INSERT INTO supervision_cases (session_id, pcn_id, person_id) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(pcn)
            .bind(person)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            append(
                &mut tx,
                &AuditEntry::new(
                    actor,
                    "supervision.case",
                    "person",
                    Some(*person),
                    Some(pcn),
                )
                .detail(format!("discussed at supervision session {id}")),
            )
            .await?;
        }
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "supervision.create",
                "supervision",
                Some(id),
                Some(pcn),
            )
            .detail(format!("{} cases", s.cases.len())),
        )
        .await?;
        let session = reread(&mut tx, SUPERVISION_SELECT, "s", id, supervision).await?;
        tx.commit().await.map_err(backend)?;
        Ok(session)
    }

    async fn training_requirements(&self, pcn: i64) -> Result<Vec<TrainingRequirement>> {
        sqlx::query(
            "SELECT * FROM training_requirements WHERE pcn_id IS NULL OR pcn_id = $1
             ORDER BY pcn_id IS NOT NULL, id",
        )
        .bind(pcn)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(requirement)
        .collect()
    }

    async fn create_training_requirement(
        &self,
        pcn: i64,
        name: &str,
        kind: TrainingKind,
        renew_months: Option<u32>,
        actor: &Actor,
    ) -> Result<TrainingRequirement> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let row = sqlx::query(
            "INSERT INTO training_requirements (pcn_id, name, kind, renew_months, active)
             VALUES ($1, $2, $3, $4, TRUE) RETURNING *",
        )
        .bind(pcn)
        .bind(name)
        .bind(kind.code())
        .bind(renew_months.map(i64::from))
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let req = requirement(&row)?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "training.requirement",
                "training",
                Some(req.id),
                Some(pcn),
            )
            .detail(name.to_string()),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(req)
    }

    async fn training_records(&self, pcn: i64, user: Option<i64>) -> Result<Vec<TrainingRecord>> {
        sqlx::query(
            "SELECT * FROM training_records WHERE pcn_id = $1
               AND (CAST($2 AS BIGINT) IS NULL OR user_id = $2)
             ORDER BY completed_on DESC, id DESC",
        )
        .bind(pcn)
        .bind(user)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(training)
        .collect()
    }

    async fn add_training_record(
        &self,
        pcn: i64,
        user_id: i64,
        requirement_id: i64,
        completed_on: NaiveDate,
        evidence: &str,
        actor: &Actor,
    ) -> Result<TrainingRecord> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        pcn_user(&mut tx, pcn, user_id, &[Role::LinkWorker], "a link worker").await?;
        let req: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM training_requirements WHERE id = $1 AND (pcn_id IS NULL OR pcn_id = $2)",
        )
        .bind(requirement_id)
        .bind(pcn)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if req.is_none() {
            return Err(StorageError::Rule(
                "Choose the training from the list".into(),
            ));
        }
        let row = sqlx::query(
            "INSERT INTO training_records (pcn_id, user_id, requirement_id, completed_on, evidence,
                recorded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(pcn)
        .bind(user_id)
        .bind(requirement_id)
        .bind(completed_on)
        .bind(evidence)
        .bind(actor.user_id)
        .bind(storage::now())
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let rec = training(&row)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "training.record", "user", Some(user_id), Some(pcn))
                .detail(format!("requirement {requirement_id} on {completed_on}")),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn care_home_tasks(
        &self,
        pcn: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CareHomeTask>> {
        sqlx::query(&format!(
            "{TASK_SELECT} WHERE t.pcn_id = $1 AND t.requested_on >= $2 AND t.requested_on <= $3
             ORDER BY t.requested_on DESC, t.id DESC"
        ))
        .bind(pcn)
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(task)
        .collect()
    }

    async fn create_care_home_task(
        &self,
        pcn: i64,
        t: &NewCareHomeTask,
        actor: &Actor,
    ) -> Result<CareHomeTask> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        if let Some(w) = t.link_worker_id {
            pcn_user(&mut tx, pcn, w, &[Role::LinkWorker], "a link worker").await?;
        }
        let now = storage::now();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO care_home_tasks (pcn_id, care_home, kind, status, requested_on,
                link_worker_id, details, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(pcn)
        .bind(&t.care_home)
        .bind(t.kind.code())
        .bind(t.requested_on)
        .bind(t.link_worker_id)
        .bind(&t.details)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "care_home.create",
                "care_home_task",
                Some(id),
                Some(pcn),
            ),
        )
        .await?;
        let rec = reread(&mut tx, TASK_SELECT, "t", id, task).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }

    async fn set_care_home_task_status(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        status: CareHomeTaskStatus,
        on: NaiveDate,
        actor: &Actor,
    ) -> Result<CareHomeTask> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let current: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM care_home_tasks WHERE id = $1 AND pcn_id = $2")
                .bind(id)
                .bind(pcn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        match current {
            None => return Err(StorageError::NotFound),
            Some((v,)) if v != expected_version => return Err(StorageError::Stale),
            _ => {}
        }
        let completed = (status != CareHomeTaskStatus::Open).then_some(on);
        sqlx::query(
            "UPDATE care_home_tasks SET status = $1, completed_on = $2, updated_at = $3,
                version = version + 1 WHERE id = $4",
        )
        .bind(status.code())
        .bind(completed)
        .bind(storage::now())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "care_home.status",
                "care_home_task",
                Some(id),
                Some(pcn),
            )
            .detail(status.code().to_string()),
        )
        .await?;
        let rec = reread(&mut tx, TASK_SELECT, "t", id, task).await?;
        tx.commit().await.map_err(backend)?;
        Ok(rec)
    }
}
