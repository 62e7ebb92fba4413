//! The workforce store: practice list sizes, link workers' employments and the ARRS
//! maximums.

use super::audit::append;
use super::engine::{backend, DbConn, DbRow, Store};
use super::rows::code;
use async_trait::async_trait;
use domain::{Code, EmployerKind, Employment, Role};
use sqlx::Row;
use storage::{Actor, ArrsCap, AuditEntry, EmploymentRecord, Result, StorageError, WorkforceStore};

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

/// Reads back the row just written, in the same transaction: `select` must alias its
/// table as `alias`.
pub(super) async fn reread<T>(
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
pub(super) async fn pcn_user(
    conn: &mut DbConn,
    pcn: i64,
    id: i64,
    roles: &[Role],
    what: &str,
) -> Result<()> {
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
}
