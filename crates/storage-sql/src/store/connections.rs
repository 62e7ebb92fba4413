//! Connections: signposts and closed-loop referrals to community services, as the PCN and
//! the partner organisation each see them.
use super::audit::append;
use super::engine::{backend, DbRow, Store};
use super::episodes::event;
use super::records::{advance, episode_in};
use super::rows::code;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Code, ConnectionKind, ConnectionStatus, EpisodeState, Side};
use sqlx::Row;
use storage::{
    Actor, AuditEntry, Connection, ConnectionScope, ConnectionStore, Episode, NewConnection,
    Result, StatusChange, StorageError,
};

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
        person_said: r.try_get("person_said").map_err(backend)?,
        person_said_at: r.try_get("person_said_at").map_err(backend)?,
        created_by: r.try_get("created_by").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
        version: r.try_get("version").map_err(backend)?,
    })
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
impl ConnectionStore for Store {
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
        // Open referrals are the partner's work, so all of them; of the finished, the newest.
        let rows = sqlx::query(&format!(
            "SELECT * FROM connections WHERE partner_org_id = $1{PARTNER_SEES}
               AND (status IN ('requested', 'accepted', 'in-progress', 'on-hold')
                    OR id IN (SELECT id FROM connections WHERE partner_org_id = $1{PARTNER_SEES}
                                AND status NOT IN ('requested', 'accepted', 'in-progress', 'on-hold')
                              ORDER BY created_at DESC, id DESC LIMIT $2))
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(partner_org_id)
        .bind(storage::PARTNER_CLOSED_LISTED)
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

    async fn referrals_in_pcn(&self, pcn: i64) -> Result<Vec<Connection>> {
        let rows = sqlx::query(
            "SELECT * FROM connections WHERE pcn_id = $1 AND kind = 'referral'
             ORDER BY created_at, id",
        )
        .bind(pcn)
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
