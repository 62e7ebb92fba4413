//! GP supervision sessions, training requirements and the training link workers complete.
use super::audit::append;
use super::engine::{backend, DbRow, Store};
use super::rows::code;
use super::workforce::{pcn_user, reread};
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::{Code, Role, SupervisionKind, TrainingKind};
use sqlx::Row;
use storage::{
    Actor, AuditEntry, NewSupervision, Result, StorageError, SupervisionCase, SupervisionSession,
    SupervisionStore, TrainingRecord, TrainingRequirement,
};

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

#[async_trait]
impl SupervisionStore for Store {
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
}
