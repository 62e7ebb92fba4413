//! Referrals, episodes, triage and caseloads.

use super::engine::{self, backend, Db, DbConn, Store};
use super::{audit::append, people, rows};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Code, DischargeReason, EpisodeState, ReferralDetails, Role};
use sqlx::{QueryBuilder, Row};
use storage::{
    Actor, AuditEntry, CaseloadFilter, CaseloadRow, CaseloadSort, Episode, EpisodeStore,
    NewPendingReferral, PendingReferral, PersonRef, Referral, ReferralSummary, Result,
    StorageError, TimelineEvent,
};

const CASELOAD_SELECT: &str = "SELECT e.id AS episode_id, e.version AS episode_version, p.id AS person_id, \
    p.given_name, p.family_name, p.date_of_birth, p.nhs_number, e.state, r.urgency, r.needs, e.referred_at, \
    e.last_contact_at, e.next_contact_at, e.link_worker_id, r.source, r.reference \
    FROM episodes e JOIN people p ON p.id = e.person_id JOIN referrals r ON r.id = e.referral_id";

pub(crate) async fn event(
    conn: &mut DbConn,
    ep: &Episode,
    at: DateTime<Utc>,
    kind: &str,
    summary: &str,
    actor: &Actor,
) -> Result<()> {
    sqlx::query("INSERT INTO episode_events (pcn_id, episode_id, person_id, at, kind, summary, actor_label) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(ep.pcn_id)
        .bind(ep.id)
        .bind(ep.person_id)
        .bind(at)
        .bind(kind)
        .bind(summary)
        .bind(&actor.label)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// Loads an episode for change, checking tenancy and the caller's version.
pub(crate) async fn load_for_update(
    conn: &mut DbConn,
    pcn: i64,
    id: i64,
    expected_version: i64,
) -> Result<Episode> {
    let ep = super::records::episode_in(conn, pcn, id).await?;
    if ep.version != expected_version {
        return Err(StorageError::Stale);
    }
    Ok(ep)
}

#[async_trait]
impl EpisodeStore for Store {
    async fn create_referral(
        &self,
        pcn: i64,
        person: PersonRef,
        d: &ReferralDetails,
        created_by: Option<i64>,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(Referral, Episode)> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let (person_id, created) = match person {
            PersonRef::Existing(id) => {
                // Holds the person's row until the referral commits, so a merge cannot hide the
                // record between this check and the insert (it waits, then moves the referral).
                let found: Option<(i64,)> = sqlx::query_as(
                    "UPDATE people SET version = version
                     WHERE id = $1 AND pcn_id = $2 AND deleted_at IS NULL RETURNING id",
                )
                .bind(id)
                .bind(pcn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
                (found.ok_or(StorageError::NotFound)?.0, None)
            }
            PersonRef::New(details) => {
                let id = people::insert(&mut tx, pcn, &details, actor).await?.id;
                (id, Some(id))
            }
        };
        let needs: Vec<&str> = d.needs.iter().map(|n| n.code()).collect();
        let r = sqlx::query(
            "INSERT INTO referrals (pcn_id, person_id, source, referrer_name, referrer_role, referrer_organisation,
             referrer_contact, needs, reason, urgency, consent, created_by, received_at, created_person_id, reference,
             source_identifier)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, TRUE, $11, $12, $13, $14, $15) RETURNING *",
        )
        .bind(pcn)
        .bind(person_id)
        .bind(d.source.code())
        .bind(&d.referrer_name)
        .bind(&d.referrer_role)
        .bind(&d.referrer_organisation)
        .bind(&d.referrer_contact)
        .bind(needs.join(","))
        .bind(&d.reason)
        .bind(d.urgency.code())
        .bind(created_by)
        .bind(at)
        .bind(created)
        .bind(&d.reference)
        .bind(&d.source_identifier)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match backend(e) {
            StorageError::Duplicate(_) => StorageError::Duplicate(
                "A referral with this identifier was already received".into(),
            ),
            other => other,
        })?;
        let referral = rows::referral(&r)?;
        let e = sqlx::query("INSERT INTO episodes (pcn_id, person_id, referral_id, state, referred_at) VALUES ($1, $2, $3, $4, $5) RETURNING *")
            .bind(pcn)
            .bind(person_id)
            .bind(referral.id)
            .bind(EpisodeState::Referred.code())
            .bind(at)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let episode = rows::episode(&e)?;
        let who = if d.referrer_name.is_empty() {
            d.source.label().to_string()
        } else {
            format!("{} ({})", d.referrer_name, d.source.label())
        };
        event(
            &mut tx,
            &episode,
            at,
            "referral",
            &format!("Referred by {who}"),
            actor,
        )
        .await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "referral.create",
                "person",
                Some(person_id),
                Some(pcn),
            )
            .detail(format!("referral {} episode {}", referral.id, episode.id)),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok((referral, episode))
    }

    async fn get_referral(&self, pcn: i64, id: i64) -> Result<Option<Referral>> {
        let r = sqlx::query("SELECT * FROM referrals WHERE id = $1 AND pcn_id = $2")
            .bind(id)
            .bind(pcn)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        r.as_ref().map(rows::referral).transpose()
    }

    async fn referral_by_source_identifier(
        &self,
        pcn: i64,
        identifier: &str,
    ) -> Result<Option<(Referral, Episode)>> {
        let Some(r) =
            sqlx::query("SELECT * FROM referrals WHERE pcn_id = $1 AND source_identifier = $2")
                .bind(pcn)
                .bind(identifier)
                .fetch_optional(&self.write)
                .await
                .map_err(backend)?
        else {
            return Ok(None);
        };
        let referral = rows::referral(&r)?;
        let e = sqlx::query("SELECT * FROM episodes WHERE referral_id = $1 AND pcn_id = $2")
            .bind(referral.id)
            .bind(pcn)
            .fetch_one(&self.write)
            .await
            .map_err(backend)?;
        Ok(Some((referral, rows::episode(&e)?)))
    }

    async fn add_pending_referral(&self, p: &NewPendingReferral) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        // What was sent and never confirmed is not kept past its time.
        sqlx::query("DELETE FROM pending_referrals WHERE expires_at <= $1")
            .bind(p.created_at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "INSERT INTO pending_referrals (pcn_id, token_hash, reference, email, payload, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(p.pcn_id)
        .bind(&p.token_hash)
        .bind(&p.reference)
        .bind(&p.email)
        .bind(&p.payload)
        .bind(p.created_at)
        .bind(p.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn pending_referral(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingReferral>> {
        let r = sqlx::query(
            "SELECT id, pcn_id, reference, email, payload, expires_at, confirmed_at
             FROM pending_referrals WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        r.map(|r| {
            Ok(PendingReferral {
                id: r.try_get("id").map_err(backend)?,
                pcn_id: r.try_get("pcn_id").map_err(backend)?,
                reference: r.try_get("reference").map_err(backend)?,
                email: r.try_get("email").map_err(backend)?,
                payload: r.try_get("payload").map_err(backend)?,
                expires_at: r.try_get("expires_at").map_err(backend)?,
                confirmed_at: r.try_get("confirmed_at").map_err(backend)?,
            })
        })
        .transpose()
    }

    async fn purge_pending_referrals(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM pending_referrals WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected())
    }

    async fn finish_pending_referral(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE pending_referrals SET confirmed_at = $1, payload = '' WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn referrer_domains(&self, pcn: i64) -> Result<Vec<String>> {
        let (text,): (String,) = sqlx::query_as("SELECT referrer_domains FROM pcns WHERE id = $1")
            .bind(pcn)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect())
    }

    async fn set_referrer_domains(
        &self,
        pcn: i64,
        domains: &[String],
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let text = domains.join("\n");
        let done = sqlx::query("UPDATE pcns SET referrer_domains = $1 WHERE id = $2")
            .bind(&text)
            .bind(pcn)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        append(
            &mut tx,
            &AuditEntry::new(actor, "pcn.referrer_domains", "pcn", Some(pcn), Some(pcn)).detail(
                if domains.is_empty() {
                    "any work email domain".to_string()
                } else {
                    domains.join(", ")
                },
            ),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn referrals_made_by(&self, pcn: i64, user_id: i64) -> Result<Vec<ReferralSummary>> {
        made_by(&self.read, pcn, user_id, None).await
    }

    async fn referral_made_by(
        &self,
        pcn: i64,
        user_id: i64,
        episode_id: i64,
    ) -> Result<Option<ReferralSummary>> {
        Ok(made_by(&self.read, pcn, user_id, Some(episode_id))
            .await?
            .into_iter()
            .next())
    }

    async fn get_episode(&self, pcn: i64, id: i64) -> Result<Option<Episode>> {
        let r = sqlx::query("SELECT * FROM episodes WHERE id = $1 AND pcn_id = $2")
            .bind(id)
            .bind(pcn)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        r.as_ref().map(rows::episode).transpose()
    }

    async fn episodes_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<Episode>> {
        let rs = sqlx::query("SELECT * FROM episodes WHERE pcn_id = $1 AND person_id = $2 ORDER BY referred_at DESC, id DESC")
            .bind(pcn)
            .bind(person_id)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rs.iter().map(rows::episode).collect()
    }

    async fn referrals_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<Referral>> {
        let rs = sqlx::query("SELECT * FROM referrals WHERE pcn_id = $1 AND person_id = $2 ORDER BY received_at DESC, id DESC")
            .bind(pcn)
            .bind(person_id)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rs.iter().map(rows::referral).collect()
    }

    async fn unassigned_queue(&self, pcn: i64) -> Result<Vec<CaseloadRow>> {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(CASELOAD_SELECT);
        q.push(" WHERE e.pcn_id = ")
            .push_bind(pcn)
            .push(" AND e.link_worker_id IS NULL AND e.state IN (");
        let mut sep = q.separated(", ");
        for s in EpisodeState::open_states() {
            sep.push_bind(s.code());
        }
        q.push(") ORDER BY CASE r.urgency WHEN 'urgent' THEN 0 WHEN 'soon' THEN 1 ELSE 2 END, e.referred_at, e.id LIMIT 500");
        let rs = q.build().fetch_all(&self.read).await.map_err(backend)?;
        rs.iter().map(rows::caseload_row).collect()
    }

    async fn assign_episode(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        worker: i64,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = load_for_update(&mut tx, pcn, id, expected_version).await?;
        if ep.state.is_closed() {
            return Err(StorageError::Rule(format!(
                "This episode is {} and can no longer be assigned",
                ep.state.label().to_lowercase()
            )));
        }
        let w: Option<(String, String, bool)> =
            sqlx::query_as("SELECT name, role, disabled FROM users WHERE id = $1 AND pcn_id = $2")
                .bind(worker)
                .bind(pcn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let name = match w {
            Some((name, role, false)) if role == Role::LinkWorker.code() => name,
            _ => {
                return Err(StorageError::Rule(
                    "Choose an active link worker in your PCN".into(),
                ))
            }
        };
        let r = sqlx::query("UPDATE episodes SET link_worker_id = $1, assigned_at = $2, version = version + 1 WHERE id = $3 AND version = $4 RETURNING *")
            .bind(worker)
            .bind(at)
            .bind(id)
            .bind(expected_version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::Stale)?;
        let updated = rows::episode(&r)?;
        let summary = if ep.link_worker_id.is_some() {
            format!("Reassigned to {name}")
        } else {
            format!("Assigned to {name}")
        };
        event(&mut tx, &updated, at, "assignment", &summary, actor).await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "episode.assign",
                "person",
                Some(ep.person_id),
                Some(pcn),
            )
            .detail(format!("episode {id} to user {worker}")),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(updated)
    }

    async fn transition_episode(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        to: EpisodeState,
        reason: Option<DischargeReason>,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode> {
        self.transition(pcn, id, expected_version, to, reason, None, at, actor)
            .await
    }

    async fn close_episode(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        to: EpisodeState,
        why: &str,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode> {
        if !to.is_closing() {
            return Err(StorageError::Rule(format!(
                "{} does not close an episode",
                to.label()
            )));
        }
        let why = why.trim();
        if why.is_empty() {
            return Err(StorageError::Rule("Give the reason for closing".into()));
        }
        self.transition(pcn, id, expected_version, to, None, Some(why), at, actor)
            .await
    }

    async fn reopen_episode(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        why: &str,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode> {
        let why = why.trim();
        if why.is_empty() {
            return Err(StorageError::Rule("Give the reason for reopening".into()));
        }
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = load_for_update(&mut tx, pcn, id, expected_version).await?;
        domain::episode::may_reopen(ep.state, ep.closed_at, at).map_err(StorageError::Rule)?;
        let to = ep.state.reopens_to(ep.closed_from);
        let r = sqlx::query(
            "UPDATE episodes SET state = $1, discharge_reason = NULL, closed_at = NULL,
               closed_from = NULL, version = version + 1
             WHERE id = $2 AND version = $3 RETURNING *",
        )
        .bind(to.code())
        .bind(id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::Stale)?;
        let updated = rows::episode(&r)?;
        event(
            &mut tx,
            &updated,
            at,
            "state",
            &format!("{} → {} (reopened: {why})", ep.state.label(), to.label()),
            actor,
        )
        .await?;
        super::coding::withdraw_on_reopen(&mut tx, &ep, at, actor).await?;
        // A discharge's message back to the referrer not yet sent is no longer true.
        let unsent = sqlx::query(
            "DELETE FROM outbound_messages WHERE episode_id = $1 AND pcn_id = $2
               AND kind = 'message_back' AND sent_at IS NULL",
        )
        .bind(id)
        .bind(pcn)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if unsent > 0 {
            event(
                &mut tx,
                &updated,
                at,
                "message",
                "Message back to the referrer not yet sent: withdrawn",
                actor,
            )
            .await?;
        }
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "episode.reopen",
                "person",
                Some(ep.person_id),
                Some(pcn),
            )
            .detail(format!(
                "episode {id}: {} -> {}",
                ep.state.code(),
                to.code()
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(updated)
    }

    async fn set_next_contact(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        next: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> Result<Episode> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = load_for_update(&mut tx, pcn, id, expected_version).await?;
        if ep.state.is_closed() {
            return Err(StorageError::Rule(
                "This episode is closed: no further contact can be planned".into(),
            ));
        }
        let r = sqlx::query("UPDATE episodes SET next_contact_at = $1, version = version + 1 WHERE id = $2 AND version = $3 RETURNING *")
            .bind(next)
            .bind(id)
            .bind(expected_version)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::Stale)?;
        let updated = rows::episode(&r)?;
        let summary = match next {
            Some(n) => format!("Next contact planned for {}", n.format("%-d %B %Y")),
            None => "Planned contact cleared".to_string(),
        };
        event(&mut tx, &updated, storage::now(), "plan", &summary, actor).await?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "episode.next_contact",
                "person",
                Some(ep.person_id),
                Some(pcn),
            )
            .detail(format!("episode {id}")),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(updated)
    }

    async fn caseload(
        &self,
        pcn: i64,
        worker: i64,
        f: &CaseloadFilter,
    ) -> Result<Vec<CaseloadRow>> {
        let select = CASELOAD_SELECT.replace("FROM episodes e JOIN", engine::CASELOAD_OF_WORKER);
        let mut q: QueryBuilder<Db> = QueryBuilder::new(select);
        q.push(" WHERE e.pcn_id = ")
            .push_bind(pcn)
            .push(" AND e.link_worker_id = ")
            .push_bind(worker)
            .push(" AND e.state IN (");
        let states = if f.states.is_empty() {
            EpisodeState::open_states()
        } else {
            f.states.clone()
        };
        let mut sep = q.separated(", ");
        for s in states {
            sep.push_bind(s.code());
        }
        q.push(") ORDER BY ");
        q.push(match f.sort {
            CaseloadSort::Waiting => "e.referred_at, e.id",
            CaseloadSort::Name => "p.family_name, p.given_name, e.id",
            CaseloadSort::NextContact => "e.next_contact_at IS NULL, e.next_contact_at, e.id",
            CaseloadSort::LastContact => "e.last_contact_at IS NULL, e.last_contact_at DESC, e.id",
        });
        q.push(" LIMIT 1000");
        let rs = q.build().fetch_all(&self.read).await.map_err(backend)?;
        rs.iter().map(rows::caseload_row).collect()
    }

    async fn taken_on_since(&self, pcn: i64, worker: i64, since: DateTime<Utc>) -> Result<u32> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(DISTINCT person_id) FROM episodes WHERE pcn_id = $1 AND link_worker_id = $2 AND assigned_at >= $3")
            .bind(pcn)
            .bind(worker)
            .bind(since)
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        Ok(n as u32)
    }

    async fn timeline(&self, pcn: i64, person_id: i64) -> Result<Vec<TimelineEvent>> {
        let rs = sqlx::query("SELECT * FROM episode_events WHERE pcn_id = $1 AND person_id = $2 ORDER BY at DESC, id DESC LIMIT 500")
            .bind(pcn)
            .bind(person_id)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rs.iter()
            .map(|r| {
                Ok(TimelineEvent {
                    at: r.try_get("at").map_err(backend)?,
                    episode_id: r.try_get("episode_id").map_err(backend)?,
                    kind: r.try_get("kind").map_err(backend)?,
                    summary: r.try_get("summary").map_err(backend)?,
                    actor_label: r.try_get("actor_label").map_err(backend)?,
                })
            })
            .collect()
    }
}

impl Store {
    /// A move between states; `why` (for a close from the person page) goes into the
    /// timeline.
    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        to: EpisodeState,
        reason: Option<DischargeReason>,
        why: Option<&str>,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Episode> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = load_for_update(&mut tx, pcn, id, expected_version).await?;
        ep.state
            .transition(to, reason)
            .map_err(|e| StorageError::Rule(e.to_string()))?;
        let first_contact = to == EpisodeState::Contacting && ep.first_contact_at.is_none();
        let r = sqlx::query(
            "UPDATE episodes SET state = $1, discharge_reason = $2, version = version + 1,
               closed_at = CASE WHEN $3 THEN $4 ELSE closed_at END,
               closed_from = CASE WHEN $3 THEN $11 ELSE closed_from END,
               first_contact_at = CASE WHEN $5 THEN $6 ELSE first_contact_at END,
               last_contact_at = CASE WHEN $7 THEN $8 ELSE last_contact_at END
             WHERE id = $9 AND version = $10 RETURNING *",
        )
        .bind(to.code())
        .bind(reason.map(|r| r.code()))
        .bind(to.is_closed())
        .bind(at)
        .bind(first_contact)
        .bind(at)
        .bind(first_contact)
        .bind(at)
        .bind(id)
        .bind(expected_version)
        .bind(ep.state.code())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::Stale)?;
        let updated = rows::episode(&r)?;
        let mut summary = format!("{} → {}", ep.state.label(), to.label());
        if let Some(r) = reason {
            summary.push_str(&format!(" ({})", r.label()));
        }
        if let Some(why) = why {
            summary.push_str(&format!(": {why}"));
        }
        event(&mut tx, &updated, at, "state", &summary, actor).await?;
        super::coding::after_transition(&mut tx, &updated, at, actor).await?;
        if to == EpisodeState::Accepted && ep.state != EpisodeState::Accepted {
            super::interop::queue_accepted(&mut tx, &updated, actor).await?;
        }
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "episode.transition",
                "person",
                Some(ep.person_id),
                Some(pcn),
            )
            .detail(format!(
                "episode {id}: {} -> {}",
                ep.state.code(),
                to.code()
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(updated)
    }
}

/// Referrals a user made (one episode's, when given), newest first.
async fn made_by(
    read: &sqlx::Pool<Db>,
    pcn: i64,
    user_id: i64,
    episode: Option<i64>,
) -> Result<Vec<ReferralSummary>> {
    let sql = format!(
            "SELECT r.id AS referral_id, e.id AS episode_id, r.person_id, p.given_name, p.family_name,
                    p.date_of_birth, r.received_at, e.state, e.discharge_reason, u.name AS worker,
                    (r.created_person_id IS NOT NULL AND r.created_person_id = r.person_id) AS made_person
             FROM referrals r JOIN episodes e ON e.referral_id = r.id JOIN people p ON p.id = r.person_id
             LEFT JOIN users u ON u.id = e.link_worker_id
             WHERE r.pcn_id = $1 AND r.created_by = $2 {}
             ORDER BY r.received_at DESC, r.id DESC LIMIT 200",
            if episode.is_some() { "AND e.id = $3" } else { "" }
        );
    let mut q = sqlx::query(&sql).bind(pcn).bind(user_id);
    if let Some(e) = episode {
        q = q.bind(e);
    }
    let rs = q.fetch_all(read).await.map_err(backend)?;
    rs.iter()
        .map(|r| {
            Ok(ReferralSummary {
                referral_id: r.try_get("referral_id").map_err(backend)?,
                episode_id: r.try_get("episode_id").map_err(backend)?,
                person_id: r.try_get("person_id").map_err(backend)?,
                // The referral made the record and it is still that record: the name is the
                // referrer's. Otherwise the referral joined a record someone else made (matched
                // on NHS number, date of birth and family name, or merged into another record
                // since), so show only the family name and date of birth it was matched on.
                made_person: r.try_get::<bool, _>("made_person").map_err(backend)?,
                person_name: if r.try_get::<bool, _>("made_person").map_err(backend)? {
                    format!(
                        "{} {}",
                        r.try_get::<&str, _>("given_name").map_err(backend)?,
                        r.try_get::<&str, _>("family_name").map_err(backend)?
                    )
                } else {
                    format!(
                        "{}, born {}",
                        r.try_get::<&str, _>("family_name").map_err(backend)?,
                        r.try_get::<chrono::NaiveDate, _>("date_of_birth")
                            .map_err(backend)?
                            .format("%-d %b %Y")
                    )
                },
                received_at: r.try_get("received_at").map_err(backend)?,
                state: EpisodeState::from_code(r.try_get("state").map_err(backend)?)
                    .ok_or_else(|| StorageError::Backend("bad state".into()))?,
                link_worker_name: r.try_get("worker").map_err(backend)?,
                discharge_reason: r
                    .try_get::<Option<String>, _>("discharge_reason")
                    .map_err(backend)?
                    .and_then(|c| DischargeReason::from_code(&c)),
            })
        })
        .collect()
}
