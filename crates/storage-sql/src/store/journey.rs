//! The journey store: SNOMED coding queued by transitions, the documents recorded on an
//! episode (assessment, plan, measures, safeguarding …) and connections to services.

use super::engine::{backend, DbConn, DbRow, Store};
use super::episodes::{event, load_for_update};
use super::{audit::append, rows};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    Code, ConnectionKind, ConnectionStatus, DischargeReason, EpisodeState, RecordKind, Side,
};
use sqlx::Row;
use storage::{
    Actor, AuditEntry, CodingConcept, CodingEntry, Connection, ConnectionScope, Episode,
    EpisodeRecord, JourneyStore, NewConnection, NewRecord, Result, StatusChange, StorageError,
};

fn code<T: Code>(s: &str) -> Result<T> {
    T::from_code(s).ok_or_else(|| StorageError::Backend(format!("unknown code in database: {s}")))
}

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

fn connection(r: &DbRow) -> Result<Connection> {
    let reason: Option<String> = r.try_get("reason").map_err(backend)?;
    let shared: String = r.try_get("shared").map_err(backend)?;
    Ok(Connection {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        episode_id: r.try_get("episode_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        service_id: r.try_get("service_id").map_err(backend)?,
        service_name: r.try_get("service_name").map_err(backend)?,
        organization_name: r.try_get("organization_name").map_err(backend)?,
        partner_org_id: r.try_get("partner_org_id").map_err(backend)?,
        kind: code(r.try_get::<&str, _>("kind").map_err(backend)?)?,
        status: code(r.try_get::<&str, _>("status").map_err(backend)?)?,
        reason: reason
            .filter(|s| !s.is_empty())
            .map(|s| code(&s))
            .transpose()?,
        note: r.try_get("note").map_err(backend)?,
        consent_at: r.try_get("consent_at").map_err(backend)?,
        shared: serde_json::from_str(&shared)
            .map_err(|e| StorageError::Backend(format!("bad shared details: {e}")))?,
        due_at: r.try_get("due_at").map_err(backend)?,
        answered_at: r.try_get("answered_at").map_err(backend)?,
        reminded_at: r.try_get("reminded_at").map_err(backend)?,
        created_by: r.try_get("created_by").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
        version: r.try_get("version").map_err(backend)?,
    })
}

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

/// Queues the GP-record codes an episode's new state calls for (once per episode).
async fn queue_coding(
    conn: &mut DbConn,
    ep: &Episode,
    at: DateTime<Utc>,
    actor: &Actor,
) -> Result<()> {
    let queued = sqlx::query(
        "INSERT INTO coding_entries (pcn_id, episode_id, person_id, practice_id, concept_id, status, queued_at)
         SELECT $1, $2, $3, (SELECT practice_id FROM people WHERE id = $3), concept_id, 'pending', $4
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

/// Moves an episode on as a side effect of another action (first assessment, first plan,
/// first connection), if it is still in `from`.
async fn advance(
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

pub(crate) async fn episode_in(conn: &mut DbConn, pcn: i64, id: i64) -> Result<Episode> {
    let r = sqlx::query("SELECT * FROM episodes WHERE id = $1 AND pcn_id = $2")
        .bind(id)
        .bind(pcn)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?
        .ok_or(StorageError::NotFound)?;
    rows::episode(&r)
}

/// What a partner organisation sees of a PCN's connections: its referrals, and only while the
/// PCN and the partner both hold their relationship (`pcn_partners`).
const PARTNER_SEES: &str = " AND kind = 'referral' AND EXISTS (SELECT 1 FROM pcn_partners l
    WHERE l.pcn_id = connections.pcn_id AND l.partner_org_id = connections.partner_org_id
      AND l.pcn_agreed_at IS NOT NULL AND l.partner_agreed_at IS NOT NULL)";

fn scope_sql(scope: ConnectionScope) -> (&'static str, i64) {
    match scope {
        ConnectionScope::Pcn(p) => ("pcn_id", p),
        ConnectionScope::Partner(o) => ("partner_org_id", o),
    }
}

#[async_trait]
impl JourneyStore for Store {
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

    async fn add_record(
        &self,
        pcn: i64,
        episode_id: i64,
        rec: &NewRecord,
        actor: &Actor,
    ) -> Result<(EpisodeRecord, Episode)> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = episode_in(&mut tx, pcn, episode_id).await?;
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
             version = version + 1 WHERE id = $4 AND version = $5 RETURNING *",
        )
        .bind(EpisodeState::Discharged.code())
        .bind(reason.code())
        .bind(at)
        .bind(episode_id)
        .bind(expected_version)
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

    async fn create_connection(
        &self,
        pcn: i64,
        episode_id: i64,
        c: &NewConnection,
        actor: &Actor,
    ) -> Result<(Connection, Episode)> {
        if c.kind == ConnectionKind::Referral && c.consent_at.is_none() {
            return Err(StorageError::Rule(
                "Record the person's consent to share their details before referring".into(),
            ));
        }
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = episode_in(&mut tx, pcn, episode_id).await?;
        if ep.state.is_closed() {
            return Err(StorageError::Rule(format!(
                "This episode is {}: open a new episode to connect the person to services",
                ep.state.label().to_lowercase()
            )));
        }
        let now = c.at;
        let status = match c.kind {
            ConnectionKind::Signpost => ConnectionStatus::Completed,
            ConnectionKind::Referral => ConnectionStatus::Requested,
        };
        let shared =
            serde_json::to_string(&c.shared).map_err(|e| StorageError::Backend(e.to_string()))?;
        let r = sqlx::query(
            "INSERT INTO connections (pcn_id, episode_id, person_id, service_id, service_name, organization_name,
               partner_org_id, kind, status, note, consent_at, shared, due_at, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING *",
        )
        .bind(pcn)
        .bind(episode_id)
        .bind(ep.person_id)
        .bind(&c.service_id)
        .bind(&c.service_name)
        .bind(&c.organization_name)
        .bind(c.partner_org_id)
        .bind(c.kind.code())
        .bind(status.code())
        .bind(&c.note)
        .bind(c.consent_at)
        .bind(if c.kind == ConnectionKind::Referral { shared } else { "{\"name\":\"\",\"link_worker\":\"\",\"link_worker_contact\":\"\"}".to_string() })
        .bind(if c.kind == ConnectionKind::Referral { c.due_at } else { None })
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let saved = connection(&r)?;
        let summary = match c.kind {
            ConnectionKind::Signpost => {
                format!("Signposted to {} ({})", c.service_name, c.organization_name)
            }
            ConnectionKind::Referral => format!(
                "Referred to {} ({}), with consent to share details",
                c.service_name, c.organization_name
            ),
        };
        event(&mut tx, &ep, now, "connection", &summary, actor).await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "connection.create",
                "person",
                Some(ep.person_id),
                Some(pcn),
            )
            .detail(format!(
                "episode {episode_id}: {} {} to service {}",
                c.kind.code(),
                saved.id,
                c.service_id
            )),
        )
        .await?;
        let ep = advance(
            &mut tx,
            &ep,
            EpisodeState::PlanAgreed,
            EpisodeState::Active,
            now,
            "first connection",
            actor,
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok((saved, ep))
    }

    async fn get_connection(&self, scope: ConnectionScope, id: i64) -> Result<Option<Connection>> {
        let (col, v) = scope_sql(scope);
        let mut sql = format!("SELECT * FROM connections WHERE id = $1 AND {col} = $2");
        if matches!(scope, ConnectionScope::Partner(_)) {
            sql.push_str(PARTNER_SEES);
        }
        sqlx::query(&sql)
            .bind(id)
            .bind(v)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?
            .as_ref()
            .map(connection)
            .transpose()
    }

    async fn connections_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<Connection>> {
        let rows = sqlx::query(
            "SELECT * FROM connections WHERE pcn_id = $1 AND person_id = $2 ORDER BY created_at DESC, id DESC",
        )
        .bind(pcn)
        .bind(person_id)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(connection).collect()
    }

    async fn connections_for_partner(&self, partner_org_id: i64) -> Result<Vec<Connection>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM connections WHERE partner_org_id = $1{PARTNER_SEES}
             ORDER BY created_at DESC, id DESC LIMIT 500"
        ))
        .bind(partner_org_id)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(connection).collect()
    }

    async fn open_referrals(
        &self,
        pcn: i64,
        link_worker_id: Option<i64>,
    ) -> Result<Vec<Connection>> {
        let rows = sqlx::query(
            "SELECT c.* FROM connections c JOIN episodes e ON e.id = c.episode_id
             WHERE c.pcn_id = $1 AND c.kind = 'referral'
               AND c.status IN ('requested', 'accepted', 'in-progress', 'on-hold')
               AND ($2 OR e.link_worker_id = $3 OR c.created_by = $3)
             ORDER BY c.created_at, c.id",
        )
        .bind(pcn)
        .bind(link_worker_id.is_none())
        .bind(link_worker_id.unwrap_or(0))
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(connection).collect()
    }

    async fn overdue_referrals(
        &self,
        pcn: i64,
        link_worker_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Connection>> {
        let rows = sqlx::query(
            "SELECT c.* FROM connections c JOIN episodes e ON e.id = c.episode_id
             WHERE c.pcn_id = $1 AND c.kind = 'referral' AND c.status = 'requested'
               AND c.due_at < $3
               AND (e.link_worker_id = $2 OR c.created_by = $2)
             ORDER BY c.created_at, c.id",
        )
        .bind(pcn)
        .bind(link_worker_id)
        .bind(now)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(connection).collect()
    }

    async fn update_connection(
        &self,
        scope: ConnectionScope,
        id: i64,
        expected_version: i64,
        change: &StatusChange,
        actor: &Actor,
    ) -> Result<Connection> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let (col, v) = scope_sql(scope);
        let mut sql = format!("SELECT * FROM connections WHERE id = $1 AND {col} = $2");
        if matches!(scope, ConnectionScope::Partner(_)) {
            sql.push_str(PARTNER_SEES);
        }
        let c = sqlx::query(&sql)
            .bind(id)
            .bind(v)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)
            .and_then(|r| connection(&r))?;
        if c.version != expected_version {
            return Err(StorageError::Stale);
        }
        if c.kind != ConnectionKind::Referral {
            return Err(StorageError::Rule(
                "A signpost is information given: it has no status to change".into(),
            ));
        }
        // The organisation answers in Linkwork itself while it and the PCN hold their
        // relationship; once either ends it, the link worker records its answer.
        let answers_itself =
            match c.partner_org_id {
                Some(org) => sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM pcn_partners WHERE pcn_id = $1 AND partner_org_id = $2
                       AND pcn_agreed_at IS NOT NULL AND partner_agreed_at IS NOT NULL",
                )
                .bind(c.pcn_id)
                .bind(org)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?
                    > 0,
                None => false,
            };
        match (scope, change.side) {
            (ConnectionScope::Partner(_), Side::LinkWorker) => {
                return Err(StorageError::Rule(
                    "Partners answer as the organisation".into(),
                ))
            }
            (ConnectionScope::Pcn(_), Side::Partner) if answers_itself => {
                return Err(StorageError::Rule(format!(
                    "{} answers this referral in Linkwork itself",
                    c.organization_name
                )))
            }
            _ => {}
        }
        c.status
            .transition(change.to, change.side, change.reason)
            .map_err(|e| StorageError::Rule(e.to_string()))?;
        let now = change.at.unwrap_or_else(storage::now);
        let answered = c.answered_at.or(if change.side == Side::Partner {
            Some(now)
        } else {
            None
        });
        let r = sqlx::query(
            "UPDATE connections SET status = $1, reason = $2, note = $3, answered_at = $4, updated_at = $5,
             version = version + 1 WHERE id = $6 AND version = $7 RETURNING *",
        )
        .bind(change.to.code())
        .bind(change.reason.map(|r| r.code()))
        .bind(&change.note)
        .bind(answered)
        .bind(now)
        .bind(id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::Stale)?;
        let saved = connection(&r)?;
        let ep = episode_in(&mut tx, c.pcn_id, c.episode_id).await?;
        let mut summary = format!(
            "{}: referral {}",
            c.service_name,
            change.to.label().to_lowercase()
        );
        if let Some(reason) = change.reason {
            summary.push_str(&format!(" ({})", reason.label()));
        }
        if matches!(scope, ConnectionScope::Pcn(_)) && change.side == Side::Partner {
            summary.push_str(", as told by the organisation");
        }
        event(&mut tx, &ep, now, "connection", &summary, actor).await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "connection.status",
                "person",
                Some(c.person_id),
                Some(c.pcn_id),
            )
            .detail(format!(
                "connection {id}: {} -> {}",
                c.status.code(),
                change.to.code()
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(saved)
    }

    async fn overdue_unreminded(&self, now: DateTime<Utc>) -> Result<Vec<Connection>> {
        // Only referrals the partner can see: to an organisation whose relationship with the
        // referring PCN both still hold.
        let rows = sqlx::query(&format!(
            "SELECT * FROM connections WHERE status = 'requested'
             AND due_at < $1 AND reminded_at IS NULL{PARTNER_SEES} ORDER BY due_at, id LIMIT 1000"
        ))
        .bind(now)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(connection).collect()
    }

    async fn mark_reminded(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("UPDATE connections SET reminded_at = $1 WHERE id = $2 RETURNING pcn_id, person_id, service_name")
            .bind(at)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
        let pcn: i64 = r.try_get("pcn_id").map_err(backend)?;
        let person: i64 = r.try_get("person_id").map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(
                &Actor::system("reminders"),
                "connection.reminded",
                "person",
                Some(person),
                Some(pcn),
            )
            .detail(format!("connection {id}: organisation reminded")),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }
}
