//! The ownership store: PCN–partner relationships, and the need-to-know reasons given to
//! open a record outside one's own caseload.

use super::audit::append;
use super::engine::{backend, DbRow, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use storage::{Actor, AuditEntry, LinkSide, OwnershipStore, PartnerLink, Result, StorageError};

const LINKS: &str = "SELECT l.pcn_id, p.name AS pcn_name, l.partner_org_id, o.name AS partner_name,
        l.pcn_agreed_at, l.partner_agreed_at
   FROM pcn_partners l JOIN pcns p ON p.id = l.pcn_id JOIN partner_orgs o ON o.id = l.partner_org_id";

fn link(r: &DbRow) -> Result<PartnerLink> {
    Ok(PartnerLink {
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        pcn_name: r.try_get("pcn_name").map_err(backend)?,
        partner_org_id: r.try_get("partner_org_id").map_err(backend)?,
        partner_name: r.try_get("partner_name").map_err(backend)?,
        pcn_agreed_at: r.try_get("pcn_agreed_at").map_err(backend)?,
        partner_agreed_at: r.try_get("partner_agreed_at").map_err(backend)?,
    })
}

#[async_trait]
impl OwnershipStore for Store {
    async fn partner_links(
        &self,
        pcn: Option<i64>,
        partner_org_id: Option<i64>,
    ) -> Result<Vec<PartnerLink>> {
        let rows = sqlx::query(&format!(
            "{LINKS} WHERE ($1 OR l.pcn_id = $2) AND ($3 OR l.partner_org_id = $4)
             ORDER BY p.name, o.name"
        ))
        .bind(pcn.is_none())
        .bind(pcn.unwrap_or(0))
        .bind(partner_org_id.is_none())
        .bind(partner_org_id.unwrap_or(0))
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(link).collect()
    }

    async fn set_partner_link(
        &self,
        pcn: i64,
        partner_org_id: i64,
        side: LinkSide,
        agreed: bool,
        actor: &Actor,
    ) -> Result<PartnerLink> {
        let now = agreed.then(storage::now);
        let by = agreed.then(|| actor.label.clone());
        let mut tx = self.write.begin().await.map_err(backend)?;
        let changed = match side {
            // The PCN's side: asking creates the relationship if it is new.
            LinkSide::Pcn => sqlx::query(
                "INSERT INTO pcn_partners (pcn_id, partner_org_id, pcn_agreed_at, pcn_agreed_by)
                 SELECT $1, o.id, $3, $4 FROM partner_orgs o WHERE o.id = $2
                 ON CONFLICT (pcn_id, partner_org_id)
                 DO UPDATE SET pcn_agreed_at = excluded.pcn_agreed_at, pcn_agreed_by = excluded.pcn_agreed_by",
            )
            .bind(pcn)
            .bind(partner_org_id)
            .bind(now)
            .bind(&by)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected(),
            // The partner's side: only a relationship the PCN holds can be accepted;
            // ending one the partner holds is always allowed.
            LinkSide::Partner => sqlx::query(
                "UPDATE pcn_partners SET partner_agreed_at = $3, partner_agreed_by = $4
                 WHERE pcn_id = $1 AND partner_org_id = $2
                   AND (pcn_agreed_at IS NOT NULL OR partner_agreed_at IS NOT NULL)",
            )
            .bind(pcn)
            .bind(partner_org_id)
            .bind(now)
            .bind(&by)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected(),
        };
        if changed == 0 {
            return Err(StorageError::NotFound);
        }
        let r = sqlx::query(&format!(
            "{LINKS} WHERE l.pcn_id = $1 AND l.partner_org_id = $2"
        ))
        .bind(pcn)
        .bind(partner_org_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let saved = link(&r)?;
        let action = match (side, agreed) {
            (LinkSide::Pcn, true) => "partner_link.pcn_agree",
            (LinkSide::Pcn, false) => "partner_link.pcn_end",
            (LinkSide::Partner, true) => "partner_link.partner_agree",
            (LinkSide::Partner, false) => "partner_link.partner_end",
        };
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                action,
                "partner_org",
                Some(partner_org_id),
                Some(pcn),
            )
            .detail(format!(
                "{} and {}: {}",
                saved.pcn_name,
                saved.partner_name,
                if saved.is_live() { "live" } else { "not live" }
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(saved)
    }

    async fn partner_link_live(&self, pcn: i64, partner_org_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pcn_partners WHERE pcn_id = $1 AND partner_org_id = $2
               AND pcn_agreed_at IS NOT NULL AND partner_agreed_at IS NOT NULL",
        )
        .bind(pcn)
        .bind(partner_org_id)
        .fetch_one(&self.read)
        .await
        .map_err(backend)?;
        Ok(n > 0)
    }

    async fn person_is_theirs(
        &self,
        pcn: i64,
        person: i64,
        user: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let theirs: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM episodes WHERE pcn_id = $1 AND person_id = $2
                              AND (link_worker_id = $3 OR (link_worker_id IS NULL AND closed_at IS NULL)))
                 OR EXISTS (SELECT 1 FROM access_reasons WHERE pcn_id = $1 AND user_id = $3
                              AND person_id = $2 AND expires_at > $4)
                 OR EXISTS (SELECT 1 FROM audit_log WHERE entity = 'person' AND entity_id = $2
                              AND action = 'person.create' AND actor_id = $3 AND pcn_id = $1)
                 OR EXISTS (SELECT 1 FROM audit_queue WHERE entity = 'person' AND entity_id = $2
                              AND action = 'person.create' AND actor_id = $3 AND pcn_id = $1)",
        )
        .bind(pcn)
        .bind(person)
        .bind(user)
        .bind(now)
        .fetch_one(&self.read)
        .await
        .map_err(backend)?;
        Ok(theirs)
    }

    async fn give_access_reason(
        &self,
        pcn: i64,
        person: i64,
        user: i64,
        reason: &str,
        until: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "INSERT INTO access_reasons (pcn_id, user_id, person_id, reason, granted_at, expires_at)
             SELECT $1, $2, p.id, $4, $5, $6 FROM people p WHERE p.id = $3 AND p.pcn_id = $1",
        )
        .bind(pcn)
        .bind(user)
        .bind(person)
        .bind(reason)
        .bind(storage::now())
        .bind(until)
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
                "person.access_reason",
                "person",
                Some(person),
                Some(pcn),
            )
            .detail(format!("not on their caseload; reason: {reason}")),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }
}
