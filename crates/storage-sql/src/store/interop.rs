//! The interop store: GP-record coding batches other systems pull, and the messages queued
//! back to GP systems.
use super::audit::append;
use super::coding::{coding, CODING_SELECT};
use super::engine::{backend, DbConn, DbRow, Store};
use super::episodes::event;
use super::records::episode_in;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::interop::email_in;
use sqlx::Row;
use storage::{
    Actor, AuditEntry, CodingBatch, Episode, InteropStore, NewNotification, Notification,
    OutboundMessage, ReminderDue, Result, StorageError,
};

const BATCH_SELECT: &str = "SELECT b.*, p.name AS practice_name, p.ods_code AS practice_ods \
    FROM coding_batches b JOIN practices p ON p.id = b.practice_id";

/// A batch row with its codes.
async fn batch(conn: &mut DbConn, r: &DbRow) -> Result<CodingBatch> {
    let id: i64 = r.try_get("id").map_err(backend)?;
    let entries = sqlx::query(&format!(
        "{CODING_SELECT} WHERE c.batch_id = $1 ORDER BY c.queued_at, c.id"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?
    .iter()
    .map(coding)
    .collect::<Result<Vec<_>>>()?;
    Ok(CodingBatch {
        id,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        practice_id: r.try_get("practice_id").map_err(backend)?,
        practice_name: r.try_get("practice_name").map_err(backend)?,
        practice_ods: r.try_get("practice_ods").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        pulls: r.try_get("pulls").map_err(backend)?,
        last_pulled_at: r.try_get("last_pulled_at").map_err(backend)?,
        acknowledged_at: r.try_get("acknowledged_at").map_err(backend)?,
        acknowledged_by: r.try_get("acknowledged_by").map_err(backend)?,
        entries,
    })
}

async fn batch_by_id(conn: &mut DbConn, pcn: i64, id: i64) -> Result<Option<CodingBatch>> {
    let row = sqlx::query(&format!("{BATCH_SELECT} WHERE b.id = $1 AND b.pcn_id = $2"))
        .bind(id)
        .bind(pcn)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    match row {
        Some(r) => Ok(Some(batch(conn, &r).await?)),
        None => Ok(None),
    }
}

fn notification(r: &DbRow) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        episode_id: r.try_get("episode_id").map_err(backend)?,
        channel: r.try_get("channel").map_err(backend)?,
        purpose: r.try_get("purpose").map_err(backend)?,
        to_address: r.try_get("to_address").map_err(backend)?,
        personalisation: r.try_get("personalisation").map_err(backend)?,
        preview: r.try_get("preview").map_err(backend)?,
        dedupe_key: r.try_get("dedupe_key").map_err(backend)?,
        status: r.try_get("status").map_err(backend)?,
        notify_id: r.try_get("notify_id").map_err(backend)?,
        attempts: r.try_get("attempts").map_err(backend)?,
        last_error: r.try_get("last_error").map_err(backend)?,
        next_attempt_at: r.try_get("next_attempt_at").map_err(backend)?,
        send_before: r.try_get("send_before").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        sent_at: r.try_get("sent_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
    })
}

fn message(r: &DbRow) -> Result<OutboundMessage> {
    Ok(OutboundMessage {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        episode_id: r.try_get("episode_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        kind: r.try_get("kind").map_err(backend)?,
        to_address: r.try_get("to_address").map_err(backend)?,
        body: r.try_get("body").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        created_by: r.try_get("created_by").map_err(backend)?,
        attempts: r.try_get("attempts").map_err(backend)?,
        last_error: r.try_get("last_error").map_err(backend)?,
        next_attempt_at: r.try_get("next_attempt_at").map_err(backend)?,
        sent_at: r.try_get("sent_at").map_err(backend)?,
    })
}

/// Queues a line to the referrer of a referral made through the public form (who has no
/// account to look in) saying a link worker is working with the person, inside the caller's
/// transaction. Nothing for staff referrals, or when they gave no email.
pub(crate) async fn queue_accepted(conn: &mut DbConn, ep: &Episode, actor: &Actor) -> Result<()> {
    let (contact, reference): (String, Option<String>) =
        sqlx::query_as("SELECT referrer_contact, reference FROM referrals WHERE id = $1")
            .bind(ep.referral_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
    let (Some(to), Some(_)) = (email_in(&contact), reference) else {
        return Ok(());
    };
    let now = storage::now();
    sqlx::query(
        "INSERT INTO outbound_messages (pcn_id, episode_id, person_id, kind, to_address, created_at, created_by, next_attempt_at)
         VALUES ($1, $2, $3, 'accepted', $4, $5, $6, $5)",
    )
    .bind(ep.pcn_id)
    .bind(ep.id)
    .bind(ep.person_id)
    .bind(&to)
    .bind(now)
    .bind(&actor.label)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Queues the message back for an episode to its referrer's email address, inside the
/// caller's transaction. With `required`, no address is a rule error; without, nothing
/// is queued.
pub(crate) async fn queue_back(
    conn: &mut DbConn,
    ep: &Episode,
    actor: &Actor,
    required: bool,
) -> Result<Option<OutboundMessage>> {
    let (contact,): (String,) =
        sqlx::query_as("SELECT referrer_contact FROM referrals WHERE id = $1")
            .bind(ep.referral_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
    let Some(to) = email_in(&contact) else {
        return if required {
            Err(StorageError::Rule(
                "The referrer gave no email address, so the message cannot be emailed; print it instead".into(),
            ))
        } else {
            Ok(None)
        };
    };
    let now = storage::now();
    let row = sqlx::query(
        "INSERT INTO outbound_messages (pcn_id, episode_id, person_id, kind, to_address, created_at, created_by, next_attempt_at)
         VALUES ($1, $2, $3, 'message_back', $4, $5, $6, $5) RETURNING *",
    )
    .bind(ep.pcn_id)
    .bind(ep.id)
    .bind(ep.person_id)
    .bind(&to)
    .bind(now)
    .bind(&actor.label)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    let m = message(&row)?;
    event(
        &mut *conn,
        ep,
        now,
        "message",
        &format!("Message back to the referrer queued for {to}"),
        actor,
    )
    .await?;
    append(
        &mut *conn,
        &AuditEntry::new(
            actor,
            "message_back.queue",
            "person",
            Some(ep.person_id),
            Some(ep.pcn_id),
        )
        .detail(format!("episode {}: to {to}", ep.id)),
    )
    .await?;
    Ok(Some(m))
}

#[async_trait]
impl InteropStore for Store {
    async fn queue_notification(&self, n: &NewNotification) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO notifications (pcn_id, person_id, episode_id, channel, purpose, to_address,
               personalisation, preview, dedupe_key, status, next_attempt_at, send_before, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10, $11, $10, $10)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(n.pcn_id)
        .bind(n.person_id)
        .bind(n.episode_id)
        .bind(&n.channel)
        .bind(&n.purpose)
        .bind(&n.to_address)
        .bind(&n.personalisation)
        .bind(&n.preview)
        .bind(&n.dedupe_key)
        .bind(n.at)
        .bind(n.send_before)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn due_notifications(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Notification>> {
        sqlx::query(
            "SELECT * FROM notifications WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1
             ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(notification)
        .collect()
    }

    async fn notification_sent(&self, id: i64, notify_id: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE notifications SET status = 'sending', notify_id = $1, attempts = attempts + 1,
               last_error = NULL, next_attempt_at = NULL, sent_at = $2, updated_at = $2 WHERE id = $3",
        )
        .bind(notify_id)
        .bind(at)
        .bind(id)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn notification_failed(
        &self,
        id: i64,
        status: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE notifications SET status = $1, last_error = $2, next_attempt_at = $3,
               attempts = attempts + 1, updated_at = $4 WHERE id = $5",
        )
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(at)
        .bind(id)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn notification_status(
        &self,
        notify_id: &str,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        // A final answer stays: a late "sending" or "temporary-failure" receipt does not
        // overwrite "delivered" or a permanent failure.
        let done = sqlx::query(
            "UPDATE notifications SET status = $1, updated_at = $2 WHERE notify_id = $3
             AND status NOT IN ('delivered', 'permanent-failure', 'technical-failure')",
        )
        .bind(status)
        .bind(at)
        .bind(notify_id)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        let held: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM notifications WHERE notify_id = $1")
                .bind(notify_id)
                .fetch_optional(&self.read)
                .await
                .map_err(backend)?;
        Ok(held.is_some())
    }

    async fn notifications_for_person(&self, pcn: i64, person: i64) -> Result<Vec<Notification>> {
        sqlx::query(
            "SELECT * FROM notifications WHERE pcn_id = $1 AND person_id = $2 ORDER BY created_at DESC, id DESC",
        )
        .bind(pcn)
        .bind(person)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(notification)
        .collect()
    }

    async fn notifications(&self, pcn: i64, limit: i64) -> Result<Vec<Notification>> {
        sqlx::query(
            "SELECT * FROM notifications WHERE pcn_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(pcn)
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(notification)
        .collect()
    }

    async fn contacts_to_remind(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ReminderDue>> {
        let rows = sqlx::query(
            "SELECT e.pcn_id, e.person_id, e.id AS episode_id, p.phone, e.next_contact_at, u.name AS worker
             FROM episodes e JOIN people p ON p.id = e.person_id AND p.pcn_id = e.pcn_id
             JOIN users u ON u.id = e.link_worker_id
             WHERE e.next_contact_at >= $1 AND e.next_contact_at < $2 AND e.closed_at IS NULL
               AND p.deleted_at IS NULL AND p.texts_ok = TRUE AND p.phone <> ''
               -- Not those already queued: every node asks every 30 s, and a day's contacts
               -- are thousands nationally. (The queue's dedupe key still holds if a time was
               -- written in another form and slips past this.)
               AND NOT EXISTS (SELECT 1 FROM notifications n
                               WHERE n.pcn_id = e.pcn_id AND n.person_id = e.person_id
                                 AND n.episode_id = e.id AND n.purpose = 'reminder'
                                 AND n.send_before = e.next_contact_at)
             ORDER BY e.next_contact_at, e.id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                Ok(ReminderDue {
                    pcn_id: r.try_get("pcn_id").map_err(backend)?,
                    person_id: r.try_get("person_id").map_err(backend)?,
                    episode_id: r.try_get("episode_id").map_err(backend)?,
                    phone: r.try_get("phone").map_err(backend)?,
                    at: r.try_get("next_contact_at").map_err(backend)?,
                    link_worker: r.try_get("worker").map_err(backend)?,
                })
            })
            .collect()
    }

    async fn pull_coding_batch(
        &self,
        pcn: i64,
        practice: i64,
        actor: &Actor,
    ) -> Result<Option<CodingBatch>> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let known: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM practices WHERE id = $1 AND pcn_id = $2")
                .bind(practice)
                .bind(pcn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if known.is_none() {
            return Err(StorageError::NotFound);
        }
        let now = storage::now();
        let open: Option<(i64, i64)> = sqlx::query_as(
            "SELECT b.id, (SELECT COUNT(*) FROM coding_entries c WHERE c.batch_id = b.id AND c.status = 'pending')
             FROM coding_batches b WHERE b.pcn_id = $1 AND b.practice_id = $2 AND b.acknowledged_at IS NULL
             ORDER BY b.id LIMIT 1",
        )
        .bind(pcn)
        .bind(practice)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let id = match open {
            Some((id, waiting)) if waiting > 0 => {
                sqlx::query("UPDATE coding_batches SET pulls = pulls + 1, last_pulled_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                id
            }
            other => {
                if let Some((spent, _)) = other {
                    // Every code in it was recorded by hand: nothing is left to acknowledge.
                    sqlx::query("UPDATE coding_batches SET acknowledged_at = $1, acknowledged_by = 'all codes recorded by hand' WHERE id = $2")
                        .bind(now)
                        .bind(spent)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                let (waiting,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM coding_entries WHERE pcn_id = $1 AND practice_id = $2 AND status = 'pending' AND batch_id IS NULL",
                )
                .bind(pcn)
                .bind(practice)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                if waiting == 0 {
                    tx.commit().await.map_err(backend)?;
                    return Ok(None);
                }
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO coding_batches (pcn_id, practice_id, created_at, created_by, last_pulled_at)
                     VALUES ($1, $2, $3, $4, $3) RETURNING id",
                )
                .bind(pcn)
                .bind(practice)
                .bind(now)
                .bind(&actor.label)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
                sqlx::query(
                    "UPDATE coding_entries SET batch_id = $1 WHERE pcn_id = $2 AND practice_id = $3 AND status = 'pending' AND batch_id IS NULL",
                )
                .bind(id)
                .bind(pcn)
                .bind(practice)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                id
            }
        };
        let b = batch_by_id(&mut tx, pcn, id)
            .await?
            .ok_or(StorageError::NotFound)?;
        for e in b.entries.iter().filter(|e| !e.recorded) {
            append(
                &mut tx,
                &AuditEntry::new(actor, "coding.pull", "person", Some(e.person_id), Some(pcn))
                    .detail(format!("batch {id}, pull {}: {}", b.pulls, e.concept_id)),
            )
            .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Some(b))
    }

    async fn coding_batch(&self, pcn: i64, id: i64) -> Result<Option<CodingBatch>> {
        let mut conn = self.read.acquire().await.map_err(backend)?;
        batch_by_id(&mut conn, pcn, id).await
    }

    async fn open_coding_batches(&self, pcn: i64) -> Result<Vec<CodingBatch>> {
        let mut conn = self.read.acquire().await.map_err(backend)?;
        let rows = sqlx::query(&format!(
            "{BATCH_SELECT} WHERE b.pcn_id = $1 AND b.acknowledged_at IS NULL ORDER BY b.id"
        ))
        .bind(pcn)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(batch(&mut conn, r).await?);
        }
        Ok(out)
    }

    async fn acknowledge_coding_batch(
        &self,
        pcn: i64,
        id: i64,
        not_filed: &[i64],
        actor: &Actor,
    ) -> Result<(CodingBatch, u32)> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let b = batch_by_id(&mut tx, pcn, id)
            .await?
            .ok_or(StorageError::NotFound)?;
        if b.acknowledged_at.is_some() {
            return Ok((b, 0));
        }
        let now = storage::now();
        let mut recorded = 0u32;
        // Codes the GP system could not file leave the batch, still waiting: the next pull
        // offers them again.
        for e in b
            .entries
            .iter()
            .filter(|e| !e.recorded && not_filed.contains(&e.id))
        {
            sqlx::query(
                "UPDATE coding_entries SET batch_id = NULL WHERE id = $1 AND batch_id = $2 AND status = 'pending'",
            )
            .bind(e.id)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            append(
                &mut tx,
                &AuditEntry::new(
                    actor,
                    "coding.not_filed",
                    "person",
                    Some(e.person_id),
                    Some(pcn),
                )
                .detail(format!(
                    "batch {id}, episode {}: {} not filed; offered again",
                    e.episode_id, e.concept_id
                )),
            )
            .await?;
        }
        for e in b
            .entries
            .iter()
            .filter(|e| !e.recorded && !not_filed.contains(&e.id))
        {
            let done = sqlx::query(
                "UPDATE coding_entries SET status = 'recorded', recorded_at = $1, recorded_by = $2
                 WHERE id = $3 AND status = 'pending'",
            )
            .bind(now)
            .bind(actor.user_id)
            .bind(e.id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if done.rows_affected() == 0 {
                continue;
            }
            recorded += 1;
            let ep = episode_in(&mut tx, pcn, e.episode_id).await?;
            event(
                &mut tx,
                &ep,
                now,
                "coding",
                &format!(
                    "GP record code recorded at {}: {} ({})",
                    b.practice_name, e.term, e.concept_id
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
                    Some(e.person_id),
                    Some(pcn),
                )
                .detail(format!(
                    "batch {id}, episode {}: {}",
                    e.episode_id, e.concept_id
                )),
            )
            .await?;
        }
        sqlx::query(
            "UPDATE coding_batches SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(&actor.label)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let b = batch_by_id(&mut tx, pcn, id)
            .await?
            .ok_or(StorageError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok((b, recorded))
    }

    async fn contact_person(&self, pcn: i64, contact_id: i64) -> Result<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT e.person_id FROM contacts c JOIN episodes e ON e.id = c.episode_id WHERE c.id = $1 AND e.pcn_id = $2",
        )
        .bind(contact_id)
        .bind(pcn)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        Ok(row.map(|(p,)| p))
    }

    async fn queue_message_back(
        &self,
        pcn: i64,
        episode_id: i64,
        actor: &Actor,
    ) -> Result<OutboundMessage> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = episode_in(&mut tx, pcn, episode_id).await?;
        let m = queue_back(&mut tx, &ep, actor, true)
            .await?
            .ok_or(StorageError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(m)
    }

    async fn messages_for_episode(
        &self,
        pcn: i64,
        episode_id: i64,
    ) -> Result<Vec<OutboundMessage>> {
        sqlx::query(
            "SELECT * FROM outbound_messages WHERE pcn_id = $1 AND episode_id = $2 ORDER BY id",
        )
        .bind(pcn)
        .bind(episode_id)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(message)
        .collect()
    }

    async fn due_messages(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboundMessage>> {
        sqlx::query(
            "SELECT * FROM outbound_messages WHERE sent_at IS NULL AND next_attempt_at IS NOT NULL
             AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(message)
        .collect()
    }

    async fn message_sent(&self, id: i64, body: &str, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let row = sqlx::query(
            "UPDATE outbound_messages SET sent_at = $1, body = $2, attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL
             WHERE id = $3 AND sent_at IS NULL RETURNING *",
        )
        .bind(at)
        .bind(body)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::NotFound)?;
        let m = message(&row)?;
        append(
            &mut tx,
            &AuditEntry::new(
                &Actor::system("outbox"),
                "message_back.sent",
                "person",
                Some(m.person_id),
                Some(m.pcn_id),
            )
            .detail(format!("episode {}: to {}", m.episode_id, m.to_address)),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn message_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbound_messages SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2
             WHERE id = $3 AND sent_at IS NULL",
        )
        .bind(error)
        .bind(retry_at)
        .bind(id)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }
}
