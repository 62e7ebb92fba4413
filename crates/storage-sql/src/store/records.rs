//! The documents recorded on an episode (assessment, plan, measures, safeguarding, referral
//! back, health use) and discharge; the first assessment and plan move the episode on.

use super::audit::append;
use super::engine::{backend, DbConn, DbRow, Store};
use super::episodes::{event, load_for_update};
use super::rows::{self, code};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Code, DischargeReason, EpisodeState, RecordKind};
use sqlx::Row;
use storage::{
    Actor, AuditEntry, Episode, EpisodeRecord, NewRecord, RecordStore, Result, StorageError,
};

fn record(r: &DbRow) -> Result<EpisodeRecord> {
    Ok(EpisodeRecord {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        episode_id: r.try_get("episode_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        kind: code(r.try_get::<&str, _>("kind").map_err(backend)?)?,
        status: r.try_get("status").map_err(backend)?,
        body: r.try_get("body").map_err(backend)?,
        assigned_to: r.try_get("assigned_to").map_err(backend)?,
        due_at: r.try_get("due_at").map_err(backend)?,
        created_by: r.try_get("created_by").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
        version: r.try_get("version").map_err(backend)?,
    })
}

/// Moves an episode on as a side effect of another action (first assessment, first plan,
/// first connection), if it is still in `from`.
pub(super) async fn advance(
    conn: &mut DbConn,
    ep: &Episode,
    from: EpisodeState,
    to: EpisodeState,
    at: DateTime<Utc>,
    why: &str,
    actor: &Actor,
) -> Result<Episode> {
    if ep.state != from {
        return Ok(ep.clone());
    }
    let r = sqlx::query(
        "UPDATE episodes SET state = $1, version = version + 1 WHERE id = $2 AND state = $3 RETURNING *",
    )
    .bind(to.code())
    .bind(ep.id)
    .bind(from.code())
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?
    .ok_or(StorageError::Stale)?;
    let updated = rows::episode(&r)?;
    let summary = format!("{} → {} ({why})", from.label(), to.label());
    event(conn, &updated, at, "state", &summary, actor).await?;
    append(
        conn,
        &AuditEntry::new(
            actor,
            "episode.transition",
            "person",
            Some(ep.person_id),
            Some(ep.pcn_id),
        )
        .detail(format!(
            "episode {}: {} -> {}",
            ep.id,
            from.code(),
            to.code()
        )),
    )
    .await?;
    Ok(updated)
}

/// Loads an episode inside a write, holding its row until the write commits: on PostgreSQL a
/// merge moving the episode to another person waits for this write (and this write for the
/// merge), so what the write adds always carries the episode's person at commit.
pub(crate) async fn episode_in(conn: &mut DbConn, pcn: i64, id: i64) -> Result<Episode> {
    let r = sqlx::query(
        "UPDATE episodes SET version = version WHERE id = $1 AND pcn_id = $2 RETURNING *",
    )
    .bind(id)
    .bind(pcn)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?
    .ok_or(StorageError::NotFound)?;
    rows::episode(&r)
}

impl Store {
    /// Adds a record; with `based_on`, only if the episode's latest record of its kind is
    /// still that one (checked after the episode row is locked).
    async fn add_record_if(
        &self,
        pcn: i64,
        episode_id: i64,
        rec: &NewRecord,
        based_on: Option<Option<i64>>,
        actor: &Actor,
    ) -> Result<(EpisodeRecord, Episode)> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = episode_in(&mut tx, pcn, episode_id).await?;
        if let Some(expected) = based_on {
            // The latest as the pages read it (records_for_person's order).
            let latest: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM episode_records WHERE pcn_id = $1 AND episode_id = $2 AND kind = $3
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(pcn)
            .bind(episode_id)
            .bind(rec.kind.code())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if latest != expected {
                return Err(StorageError::Stale);
            }
        }
        if ep.state.is_closed() && rec.kind != RecordKind::HealthUse {
            return Err(StorageError::Rule(format!(
                "This episode is {}: open a new episode to add to it",
                ep.state.label().to_lowercase()
            )));
        }
        let now = rec.at;
        let r = sqlx::query(
            "INSERT INTO episode_records (pcn_id, episode_id, person_id, kind, status, body, assigned_to, due_at, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *",
        )
        .bind(pcn)
        .bind(episode_id)
        .bind(ep.person_id)
        .bind(rec.kind.code())
        .bind(&rec.status)
        .bind(&rec.body)
        .bind(rec.assigned_to)
        .bind(rec.due_at)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let saved = record(&r)?;
        event(&mut tx, &ep, now, rec.kind.code(), &rec.summary, actor).await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                &format!("{}.create", rec.kind.code()),
                "person",
                Some(ep.person_id),
                Some(pcn),
            )
            .detail(format!(
                "episode {episode_id}: {} {}",
                rec.kind.code(),
                saved.id
            )),
        )
        .await?;
        let ep = match rec.kind {
            RecordKind::Assessment => {
                advance(
                    &mut tx,
                    &ep,
                    EpisodeState::Accepted,
                    EpisodeState::Assessed,
                    now,
                    "assessment recorded",
                    actor,
                )
                .await?
            }
            RecordKind::Plan => {
                advance(
                    &mut tx,
                    &ep,
                    EpisodeState::Assessed,
                    EpisodeState::PlanAgreed,
                    now,
                    "plan agreed",
                    actor,
                )
                .await?
            }
            _ => ep,
        };
        tx.commit().await.map_err(backend)?;
        Ok((saved, ep))
    }
}

#[async_trait]
impl RecordStore for Store {
    async fn add_record(
        &self,
        pcn: i64,
        episode_id: i64,
        rec: &NewRecord,
        actor: &Actor,
    ) -> Result<(EpisodeRecord, Episode)> {
        self.add_record_if(pcn, episode_id, rec, None, actor).await
    }

    async fn add_record_on_latest(
        &self,
        pcn: i64,
        episode_id: i64,
        rec: &NewRecord,
        based_on: Option<i64>,
        actor: &Actor,
    ) -> Result<(EpisodeRecord, Episode)> {
        self.add_record_if(pcn, episode_id, rec, Some(based_on), actor)
            .await
    }

    async fn update_record(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        status: &str,
        body: &str,
        summary: &str,
        actor: &Actor,
    ) -> Result<EpisodeRecord> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        let r = sqlx::query(
            "UPDATE episode_records SET status = $1, body = $2, updated_at = $3, version = version + 1
             WHERE id = $4 AND pcn_id = $5 AND version = $6 RETURNING *",
        )
        .bind(status)
        .bind(body)
        .bind(now)
        .bind(id)
        .bind(pcn)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(r) = r else {
            let exists: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM episode_records WHERE id = $1 AND pcn_id = $2")
                    .bind(id)
                    .bind(pcn)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            return Err(if exists.is_some() {
                StorageError::Stale
            } else {
                StorageError::NotFound
            });
        };
        let saved = record(&r)?;
        let ep = episode_in(&mut tx, pcn, saved.episode_id).await?;
        event(&mut tx, &ep, now, saved.kind.code(), summary, actor).await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                &format!("{}.update", saved.kind.code()),
                "person",
                Some(saved.person_id),
                Some(pcn),
            )
            .detail(format!(
                "episode {}: {} {} -> {status}",
                saved.episode_id,
                saved.kind.code(),
                saved.id
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(saved)
    }

    async fn get_record(&self, pcn: i64, id: i64) -> Result<Option<EpisodeRecord>> {
        sqlx::query("SELECT * FROM episode_records WHERE id = $1 AND pcn_id = $2")
            .bind(id)
            .bind(pcn)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?
            .as_ref()
            .map(record)
            .transpose()
    }

    async fn records_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<EpisodeRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM episode_records WHERE pcn_id = $1 AND person_id = $2 ORDER BY created_at, id",
        )
        .bind(pcn)
        .bind(person_id)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(record).collect()
    }

    async fn records_by_status(
        &self,
        pcn: i64,
        kind: RecordKind,
        status: &str,
        assigned_to: Option<i64>,
    ) -> Result<Vec<EpisodeRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM episode_records WHERE pcn_id = $1 AND kind = $2 AND status = $3
             AND ($4 OR assigned_to = $5) ORDER BY created_at, id",
        )
        .bind(pcn)
        .bind(kind.code())
        .bind(status)
        .bind(assigned_to.is_none())
        .bind(assigned_to.unwrap_or(0))
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(record).collect()
    }

    async fn due_records(
        &self,
        pcn: i64,
        kind: RecordKind,
        link_worker_id: i64,
        before: DateTime<Utc>,
    ) -> Result<Vec<EpisodeRecord>> {
        let rows = sqlx::query(
            // From the worker's open episodes to each one's latest record of the kind: a
            // few index lookups however long the PCN's history.
            "SELECT r.* FROM episodes e
             JOIN episode_records r ON r.id =
                 (SELECT MAX(r2.id) FROM episode_records r2 WHERE r2.episode_id = e.id AND r2.kind = $2)
             WHERE e.pcn_id = $1 AND e.link_worker_id = $3
               AND e.state NOT IN ('declined', 'unable_to_contact', 'discharged')
               AND r.pcn_id = $1 AND r.due_at < $4
             ORDER BY r.due_at, r.id",
        )
        .bind(pcn)
        .bind(kind.code())
        .bind(link_worker_id)
        .bind(before)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(record).collect()
    }

    async fn discharge(
        &self,
        pcn: i64,
        episode_id: i64,
        expected_version: i64,
        reason: DischargeReason,
        summary_body: &str,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = load_for_update(&mut tx, pcn, episode_id, expected_version).await?;
        ep.state
            .transition(EpisodeState::Discharged, Some(reason))
            .map_err(|e| StorageError::Rule(e.to_string()))?;
        let now = storage::now();
        sqlx::query(
            "INSERT INTO episode_records (pcn_id, episode_id, person_id, kind, status, body, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, '', $5, $6, $7, $7)",
        )
        .bind(pcn)
        .bind(episode_id)
        .bind(ep.person_id)
        .bind(RecordKind::Discharge.code())
        .bind(summary_body)
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let r = sqlx::query(
            "UPDATE episodes SET state = $1, discharge_reason = $2, closed_at = $3, next_contact_at = NULL,
             closed_from = $6, version = version + 1 WHERE id = $4 AND version = $5 RETURNING *",
        )
        .bind(EpisodeState::Discharged.code())
        .bind(reason.code())
        .bind(at)
        .bind(episode_id)
        .bind(expected_version)
        .bind(ep.state.code())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::Stale)?;
        let updated = rows::episode(&r)?;
        let summary = format!("{} → Discharged ({})", ep.state.label(), reason.label());
        event(&mut tx, &updated, at, "state", &summary, actor).await?;
        // The message back to the referrer waits in the outbox, committed with the discharge.
        super::interop::queue_back(&mut tx, &updated, actor, false).await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "episode.discharge",
                "person",
                Some(ep.person_id),
                Some(pcn),
            )
            .detail(format!(
                "episode {episode_id}: {} -> discharged ({})",
                ep.state.code(),
                reason.code()
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(updated)
    }
}
