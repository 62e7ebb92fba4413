//! The person's own plan: plan links, one-time codes, person sessions, and what the person
//! tells their link worker from it.

use super::audit::append;
use super::engine::{backend, DbConn, DbRow, Store};
use super::episodes::event;
use super::records::episode_in;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use storage::{
    Actor, AuditEntry, CallRequest, NewPersonSession, OwnPlanStore, PersonSession, PlanLink,
    Result, StorageError, PLAN_MAX_FAILURES,
};

fn plan_link(r: &DbRow) -> Result<PlanLink> {
    Ok(PlanLink {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        sent_by: r.try_get("sent_by").map_err(backend)?,
        created_by: r.try_get("created_by").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        expires_at: r.try_get("expires_at").map_err(backend)?,
        revoked_at: r.try_get("revoked_at").map_err(backend)?,
        otp_hash: r.try_get("otp_hash").map_err(backend)?,
        otp_channel: r.try_get("otp_channel").map_err(backend)?,
        otp_expires_at: r.try_get("otp_expires_at").map_err(backend)?,
        otp_sent_at: r.try_get("otp_sent_at").map_err(backend)?,
        failures: r.try_get("failures").map_err(backend)?,
        last_used_at: r.try_get("last_used_at").map_err(backend)?,
    })
}

fn call_request(r: &DbRow) -> Result<CallRequest> {
    Ok(CallRequest {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        episode_id: r.try_get("episode_id").map_err(backend)?,
        best_time: r.try_get("best_time").map_err(backend)?,
        note: r.try_get("note").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        done_at: r.try_get("done_at").map_err(backend)?,
        done_by: r.try_get("done_by").map_err(backend)?,
    })
}

/// The person, live, in the PCN (not merged away): not found otherwise.
async fn live_person_in(conn: &mut DbConn, pcn: i64, person: i64) -> Result<()> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM people WHERE pcn_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(pcn)
    .bind(person)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    found.map(|_| ()).ok_or(StorageError::NotFound)
}

/// Stops the person's working links and ends their sessions; how many links stopped.
async fn revoke(conn: &mut DbConn, pcn: i64, person: i64, actor: &Actor) -> Result<u64> {
    let now = storage::now();
    let done = sqlx::query(
        "UPDATE plan_links SET revoked_at = $1, revoked_by = $2, otp_hash = NULL
         WHERE pcn_id = $3 AND person_id = $4 AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(actor.user_id)
    .bind(pcn)
    .bind(person)
    .execute(&mut *conn)
    .await
    .map_err(backend)?
    .rows_affected();
    sqlx::query("DELETE FROM person_sessions WHERE pcn_id = $1 AND person_id = $2")
        .bind(pcn)
        .bind(person)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(done)
}

#[async_trait]
impl OwnPlanStore for Store {
    async fn create_plan_link(
        &self,
        pcn: i64,
        person: i64,
        code_hash: &str,
        sent_by: &str,
        expires_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<PlanLink> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        live_person_in(&mut tx, pcn, person).await?;
        revoke(&mut tx, pcn, person, actor).await?;
        let now = storage::now();
        let r = sqlx::query(
            "INSERT INTO plan_links (pcn_id, person_id, code_hash, sent_by, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(pcn)
        .bind(person)
        .bind(code_hash)
        .bind(sent_by)
        .bind(actor.user_id)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let link = plan_link(&r)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "plan_link.create", "person", Some(person), Some(pcn)).detail(
                format!(
                    "plan link {} by {sent_by}, until {}",
                    link.id,
                    expires_at.format("%Y-%m-%d")
                ),
            ),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(link)
    }

    async fn plan_links_for_person(&self, pcn: i64, person: i64) -> Result<Vec<PlanLink>> {
        sqlx::query(
            "SELECT * FROM plan_links WHERE pcn_id = $1 AND person_id = $2 ORDER BY id DESC",
        )
        .bind(pcn)
        .bind(person)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(plan_link)
        .collect()
    }

    async fn revoke_plan_links(&self, pcn: i64, person: i64, actor: &Actor) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        live_person_in(&mut tx, pcn, person).await?;
        let n = revoke(&mut tx, pcn, person, actor).await?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "plan_link.revoke", "person", Some(person), Some(pcn))
                .detail(format!("{n} plan link(s) stopped")),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn plan_link_by_code(&self, code_hash: &str) -> Result<Option<PlanLink>> {
        sqlx::query("SELECT * FROM plan_links WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(&self.write)
            .await
            .map_err(backend)?
            .as_ref()
            .map(plan_link)
            .transpose()
    }

    async fn set_plan_otp(
        &self,
        link: &PlanLink,
        otp_hash: &str,
        channel: &str,
        expires_at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        let done = sqlx::query(
            "UPDATE plan_links SET otp_hash = $1, otp_channel = $2, otp_expires_at = $3, otp_sent_at = $4
             WHERE id = $5 AND revoked_at IS NULL AND expires_at > $4 AND failures < $6",
        )
        .bind(otp_hash)
        .bind(channel)
        .bind(expires_at)
        .bind(now)
        .bind(link.id)
        .bind(PLAN_MAX_FAILURES)
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
                "plan.code_sent",
                "person",
                Some(link.person_id),
                Some(link.pcn_id),
            )
            .detail(format!(
                "one-time code by {channel} (plan link {})",
                link.id
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn plan_sign_in_failed(&self, link: &PlanLink, actor: &Actor) -> Result<i64> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let (failures,): (i64,) = sqlx::query_as(
            "UPDATE plan_links SET failures = failures + 1 WHERE id = $1 RETURNING failures",
        )
        .bind(link.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        if failures >= PLAN_MAX_FAILURES {
            sqlx::query("UPDATE plan_links SET otp_hash = NULL WHERE id = $1")
                .bind(link.id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "plan.sign_in_failed",
                "person",
                Some(link.person_id),
                Some(link.pcn_id),
            )
            .detail(format!(
                "wrong code or date of birth ({failures} in a row; plan link {}{})",
                link.id,
                if failures >= PLAN_MAX_FAILURES {
                    ", now locked"
                } else {
                    ""
                }
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(failures)
    }

    async fn open_person_session(
        &self,
        link: &PlanLink,
        session: &NewPersonSession,
        actor: &Actor,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        // The one-time code is used up here, once: a second request with the same code
        // finds it gone.
        let used = sqlx::query(
            "UPDATE plan_links SET otp_hash = NULL, failures = 0, last_used_at = $1
             WHERE id = $2 AND otp_hash = $3 AND otp_expires_at > $1 AND revoked_at IS NULL
               AND expires_at > $1 AND failures < $4",
        )
        .bind(now)
        .bind(link.id)
        .bind(link.otp_hash.as_deref().unwrap_or_default())
        .bind(PLAN_MAX_FAILURES)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if used.rows_affected() == 0 {
            return Ok(false);
        }
        live_person_in(&mut tx, link.pcn_id, link.person_id).await?;
        sqlx::query(
            "INSERT INTO person_sessions (id_hash, pcn_id, person_id, link_id, via, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, 'code', $5, $6, $7)",
        )
        .bind(&session.id_hash)
        .bind(link.pcn_id)
        .bind(link.person_id)
        .bind(link.id)
        .bind(&session.csrf_token)
        .bind(now)
        .bind(session.expires_at.min(link.expires_at))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "plan.sign_in",
                "person",
                Some(link.person_id),
                Some(link.pcn_id),
            )
            .detail(format!(
                "with plan link {}, one-time code and date of birth",
                link.id
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn person_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PersonSession>> {
        let r = sqlx::query(
            "SELECT s.* FROM person_sessions s
             JOIN people p ON p.id = s.person_id AND p.pcn_id = s.pcn_id AND p.deleted_at IS NULL
             LEFT JOIN plan_links l ON l.id = s.link_id
             WHERE s.id_hash = $1 AND s.expires_at > $2
               AND (s.link_id IS NULL
                    OR (l.revoked_at IS NULL AND l.expires_at > $2 AND l.failures < $3))",
        )
        .bind(id_hash)
        .bind(now)
        .bind(PLAN_MAX_FAILURES)
        .fetch_optional(&self.write)
        .await
        .map_err(backend)?;
        r.map(|r| {
            Ok(PersonSession {
                pcn_id: r.try_get("pcn_id").map_err(backend)?,
                person_id: r.try_get("person_id").map_err(backend)?,
                link_id: r.try_get("link_id").map_err(backend)?,
                via: r.try_get("via").map_err(backend)?,
                csrf_token: r.try_get("csrf_token").map_err(backend)?,
                expires_at: r.try_get("expires_at").map_err(backend)?,
            })
        })
        .transpose()
    }

    async fn extend_person_session(&self, id_hash: &str, expires_at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE person_sessions SET expires_at = $1 WHERE id_hash = $2 AND expires_at < $1
               AND (link_id IS NULL OR $1 <= (SELECT l.expires_at FROM plan_links l WHERE l.id = link_id))",
        )
        .bind(expires_at)
        .bind(id_hash)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn end_person_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM person_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn person_said(
        &self,
        pcn: i64,
        person: i64,
        connection_id: i64,
        said: &str,
        actor: &Actor,
    ) -> Result<()> {
        let words = match said {
            "went" => "went",
            "did-not-go" => "did not go",
            _ => return Err(StorageError::Rule("Say whether you went or not".into())),
        };
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        let r = sqlx::query(
            "UPDATE connections SET person_said = $1, person_said_at = $2
             WHERE id = $3 AND pcn_id = $4 AND person_id = $5 AND status <> 'cancelled'
             RETURNING episode_id, service_name",
        )
        .bind(said)
        .bind(now)
        .bind(connection_id)
        .bind(pcn)
        .bind(person)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::NotFound)?;
        let episode_id: i64 = r.try_get("episode_id").map_err(backend)?;
        let service: String = r.try_get("service_name").map_err(backend)?;
        let ep = episode_in(&mut tx, pcn, episode_id).await?;
        event(
            &mut tx,
            &ep,
            now,
            "person_said",
            &format!("They said on their plan: they {words} to {service}"),
            actor,
        )
        .await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "connection.person_said",
                "person",
                Some(person),
                Some(pcn),
            )
            .detail(format!("connection {connection_id}: {said}")),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn add_call_request(
        &self,
        pcn: i64,
        person: i64,
        best_time: &str,
        note: &str,
        actor: &Actor,
    ) -> Result<CallRequest> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        live_person_in(&mut tx, pcn, person).await?;
        let now = storage::now();
        let episode: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM episodes WHERE pcn_id = $1 AND person_id = $2 ORDER BY referred_at DESC, id DESC LIMIT 1",
        )
        .bind(pcn)
        .bind(person)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let r = sqlx::query(
            "INSERT INTO call_requests (pcn_id, person_id, episode_id, best_time, note, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        )
        .bind(pcn)
        .bind(person)
        .bind(episode.map(|e| e.0))
        .bind(best_time)
        .bind(note)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let req = call_request(&r)?;
        if let Some((id,)) = episode {
            let ep = episode_in(&mut tx, pcn, id).await?;
            let when = match best_time {
                "morning" => " in the morning",
                "afternoon" => " in the afternoon",
                _ => "",
            };
            event(
                &mut tx,
                &ep,
                now,
                "call_request",
                &format!("They asked on their plan to be called{when}"),
                actor,
            )
            .await?;
        }
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "person.call_request",
                "person",
                Some(person),
                Some(pcn),
            )
            .detail(format!("call request {} ({best_time})", req.id)),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(req)
    }

    async fn call_requests_for_person(&self, pcn: i64, person: i64) -> Result<Vec<CallRequest>> {
        sqlx::query(
            "SELECT * FROM call_requests WHERE pcn_id = $1 AND person_id = $2 ORDER BY id DESC",
        )
        .bind(pcn)
        .bind(person)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(call_request)
        .collect()
    }

    async fn open_call_requests(&self, pcn: i64) -> Result<Vec<CallRequest>> {
        sqlx::query(
            "SELECT c.* FROM call_requests c JOIN people p ON p.id = c.person_id AND p.deleted_at IS NULL
             WHERE c.pcn_id = $1 AND c.done_at IS NULL ORDER BY c.created_at, c.id LIMIT 500",
        )
        .bind(pcn)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(call_request)
        .collect()
    }

    async fn call_requests_done(&self, pcn: i64, person: i64, actor: &Actor) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        live_person_in(&mut tx, pcn, person).await?;
        let n = sqlx::query(
            "UPDATE call_requests SET done_at = $1, done_by = $2
             WHERE pcn_id = $3 AND person_id = $4 AND done_at IS NULL",
        )
        .bind(storage::now())
        .bind(actor.user_id)
        .bind(pcn)
        .bind(person)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "person.call_request_done",
                "person",
                Some(person),
                Some(pcn),
            )
            .detail(format!("{n} call request(s) done")),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(n)
    }

    async fn forget_message_secrets(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE notifications SET personalisation = '{}'
             WHERE purpose IN ('plan_link', 'code') AND personalisation <> '{}'
               AND ((purpose = 'plan_link' AND status <> 'queued')
                 OR status IN ('sending', 'delivered')
                 OR send_before <= $1)",
        )
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn codes_sent_since(&self, link: &PlanLink, since: DateTime<Utc>) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM notifications
             WHERE pcn_id = $1 AND person_id = $2 AND purpose = 'code'
               AND dedupe_key LIKE $3 AND created_at > $4",
        )
        .bind(link.pcn_id)
        .bind(link.person_id)
        .bind(format!("code:{}:%", link.id))
        .bind(since)
        .fetch_one(&self.read)
        .await
        .map_err(backend)?;
        Ok(n)
    }
}
