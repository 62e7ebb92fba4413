//! Care home tasks: what care homes ask of the PCN's link workers, and their status.

use super::audit::append;
use super::engine::{backend, DbRow, Store};
use super::rows::code;
use super::workforce::{pcn_user, reread};
use async_trait::async_trait;
use chrono::NaiveDate;
use domain::{CareHomeTaskStatus, Code, Role};
use sqlx::Row;
use storage::{
    Actor, AuditEntry, CareHomeStore, CareHomeTask, NewCareHomeTask, Result, StorageError,
};

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

#[async_trait]
impl CareHomeStore for Store {
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
