//! GP-record coding: the codes a transition queues, and marking them recorded.
use super::audit::append;
use super::engine::{backend, DbConn, DbRow, Store};
use super::episodes::event;
use super::records::episode_in;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Code, EpisodeState};
use sqlx::Row;
use storage::{
    Actor, AuditEntry, CodingConcept, CodingEntry, CodingStore, Episode, Result, StorageError,
};

pub(crate) const CODING_SELECT: &str =
    "SELECT c.id, c.episode_id, c.person_id, c.practice_id, c.concept_id, \
    k.term, c.status, c.queued_at, c.recorded_at, c.recorded_by, \
    p.given_name || ' ' || p.family_name AS person_name, p.nhs_number, p.date_of_birth \
    FROM coding_entries c JOIN coding_catalogue k ON k.concept_id = c.concept_id \
    JOIN people p ON p.id = c.person_id";

pub(crate) fn coding(r: &DbRow) -> Result<CodingEntry> {
    let status: String = r.try_get("status").map_err(backend)?;
    Ok(CodingEntry {
        id: r.try_get("id").map_err(backend)?,
        episode_id: r.try_get("episode_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        practice_id: r.try_get("practice_id").map_err(backend)?,
        concept_id: r.try_get("concept_id").map_err(backend)?,
        term: r.try_get("term").map_err(backend)?,
        recorded: status == "recorded",
        queued_at: r.try_get("queued_at").map_err(backend)?,
        recorded_at: r.try_get("recorded_at").map_err(backend)?,
        recorded_by: r.try_get("recorded_by").map_err(backend)?,
        person_name: r.try_get("person_name").map_err(backend)?,
        nhs_number: r.try_get("nhs_number").map_err(backend)?,
        date_of_birth: r.try_get("date_of_birth").map_err(backend)?,
    })
}

/// What follows an episode's change of state, in the same transaction: the time the
/// person accepted (kept for acceptance rates) and the GP-record codes the new state
/// calls for. Called by `transition_episode`.
pub(crate) async fn after_transition(
    conn: &mut DbConn,
    ep: &Episode,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    if ep.state == EpisodeState::Accepted {
        sqlx::query("UPDATE episodes SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL")
            .bind(at)
            .bind(ep.id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    queue_coding(conn, ep, at, actor).await
}

/// On reopening a closed episode: the codes its closing queued that have not gone to the
/// practice are withdrawn (deleted, with a line in the timeline); those already sent in a
/// batch or recorded stay, and the timeline says to ask the practice.
pub(crate) async fn withdraw_on_reopen(
    conn: &mut DbConn,
    closed: &Episode,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    let rows = sqlx::query(
        "SELECT c.id, c.concept_id, k.term, c.status, c.batch_id FROM coding_entries c
         JOIN coding_catalogue k ON k.concept_id = c.concept_id
         WHERE c.episode_id = $1 AND k.queued_on = $2 ORDER BY c.id",
    )
    .bind(closed.id)
    .bind(closed.state.code())
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    for r in &rows {
        let id: i64 = r.try_get("id").map_err(backend)?;
        let concept: String = r.try_get("concept_id").map_err(backend)?;
        let term: String = r.try_get("term").map_err(backend)?;
        let status: String = r.try_get("status").map_err(backend)?;
        let batch: Option<i64> = r.try_get("batch_id").map_err(backend)?;
        // Deleted only if still unsent as the delete runs: a practice's pull may batch it
        // between the read above and here.
        let withdrawn = status == "pending"
            && batch.is_none()
            && sqlx::query(
                "DELETE FROM coding_entries WHERE id = $1 AND status = 'pending' AND batch_id IS NULL",
            )
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?
            .rows_affected()
                == 1;
        let summary = if withdrawn {
            append(
                conn,
                &AuditEntry::new(
                    actor,
                    "coding.withdraw",
                    "person",
                    Some(closed.person_id),
                    Some(closed.pcn_id),
                )
                .detail(format!("episode {}: {concept}", closed.id)),
            )
            .await?;
            format!("GP record code withdrawn before it reached the practice: {term} ({concept})")
        } else {
            format!(
                "GP record code already sent to the practice: ask them to remove {term} ({concept})"
            )
        };
        event(conn, closed, at, "coding", &summary, actor).await?;
    }
    Ok(())
}

/// Queues the GP-record codes an episode's new state calls for (once per episode).
async fn queue_coding(
    conn: &mut DbConn,
    ep: &Episode,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    let queued = sqlx::query(
        "INSERT INTO coding_entries (pcn_id, episode_id, person_id, practice_id, concept_id, status, queued_at)
         SELECT $1, $2, $3, (SELECT practice_id FROM people WHERE id = $3 AND pcn_id = $1), concept_id, 'pending', $4
         FROM coding_catalogue WHERE queued_on = $5 AND active
         ON CONFLICT (episode_id, concept_id) DO NOTHING
         RETURNING concept_id",
    )
    .bind(ep.pcn_id)
    .bind(ep.id)
    .bind(ep.person_id)
    .bind(at)
    .bind(ep.state.code())
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    for r in &queued {
        let concept: String = r.try_get("concept_id").map_err(backend)?;
        let (term,): (String,) =
            sqlx::query_as("SELECT term FROM coding_catalogue WHERE concept_id = $1")
                .bind(&concept)
                .fetch_one(&mut *conn)
                .await
                .map_err(backend)?;
        event(
            conn,
            ep,
            at,
            "coding",
            &format!("GP record code queued for the practice: {term} ({concept})"),
            actor,
        )
        .await?;
        append(
            conn,
            &AuditEntry::new(
                actor,
                "coding.queue",
                "person",
                Some(ep.person_id),
                Some(ep.pcn_id),
            )
            .detail(format!("episode {}: {concept}", ep.id)),
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl CodingStore for Store {
    async fn coding_catalogue(&self) -> Result<Vec<CodingConcept>> {
        let rows = sqlx::query("SELECT * FROM coding_catalogue ORDER BY concept_id")
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let on: String = r.try_get("queued_on").map_err(backend)?;
                Ok(CodingConcept {
                    concept_id: r.try_get("concept_id").map_err(backend)?,
                    term: r.try_get("term").map_err(backend)?,
                    queued_on: EpisodeState::from_code(&on),
                    active: r.try_get("active").map_err(backend)?,
                })
            })
            .collect()
    }

    async fn save_coding_concept(&self, c: &CodingConcept, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO coding_catalogue (concept_id, term, queued_on, active) VALUES ($1, $2, $3, $4)
             ON CONFLICT (concept_id) DO UPDATE SET term = $2, queued_on = $3, active = $4",
        )
        .bind(&c.concept_id)
        .bind(&c.term)
        .bind(c.queued_on.map_or("", |s| s.code()))
        .bind(c.active)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "coding.concept", "coding_catalogue", None, None).detail(
                format!(
                    "{} {} (queued on {:?}, active {})",
                    c.concept_id, c.term, c.queued_on, c.active
                ),
            ),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn coding_entries(
        &self,
        pcn: i64,
        practice_id: Option<i64>,
        pending_only: bool,
    ) -> Result<Vec<CodingEntry>> {
        let sql = format!(
            "{CODING_SELECT} WHERE c.pcn_id = $1 AND ($2 OR c.practice_id = $3) AND (NOT $4 OR c.status = 'pending')
             ORDER BY c.queued_at, c.id"
        );
        let rows = sqlx::query(&sql)
            .bind(pcn)
            .bind(practice_id.is_none())
            .bind(practice_id.unwrap_or(0))
            .bind(pending_only)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter().map(coding).collect()
    }

    async fn coding_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<CodingEntry>> {
        let sql = format!(
            "{CODING_SELECT} WHERE c.pcn_id = $1 AND c.person_id = $2 ORDER BY c.queued_at, c.id"
        );
        let rows = sqlx::query(&sql)
            .bind(pcn)
            .bind(person_id)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter().map(coding).collect()
    }

    async fn mark_coded(&self, pcn: i64, entry_id: i64, actor: &Actor) -> Result<CodingEntry> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        let done = sqlx::query(
            "UPDATE coding_entries SET status = 'recorded', recorded_at = $1, recorded_by = $2
             WHERE id = $3 AND pcn_id = $4 AND status = 'pending' RETURNING episode_id",
        )
        .bind(now)
        .bind(actor.user_id)
        .bind(entry_id)
        .bind(pcn)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let sql = format!("{CODING_SELECT} WHERE c.id = $1 AND c.pcn_id = $2");
        let entry = sqlx::query(&sql)
            .bind(entry_id)
            .bind(pcn)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)
            .and_then(|r| coding(&r))?;
        if done.is_none() {
            return Err(StorageError::Rule(
                "This code is already marked as recorded".into(),
            ));
        }
        let ep = episode_in(&mut tx, pcn, entry.episode_id).await?;
        event(
            &mut tx,
            &ep,
            now,
            "coding",
            &format!(
                "GP record code recorded: {} ({})",
                entry.term, entry.concept_id
            ),
            actor,
        )
        .await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "coding.recorded",
                "person",
                Some(entry.person_id),
                Some(pcn),
            )
            .detail(format!(
                "episode {}: {}",
                entry.episode_id, entry.concept_id
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(entry)
    }
}
