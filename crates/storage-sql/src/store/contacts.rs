//! Contacts.

use super::engine::{backend, DbRow, Store};
use super::episodes::{event, load_for_update};
use super::{audit::append, rows};
use async_trait::async_trait;
use domain::codes::{join_codes, split_codes};
use domain::{Code, ContactDetails, ContactType, EpisodeState};
use sqlx::Row;
use storage::{Actor, AuditEntry, Contact, ContactStore, Episode, Result, StorageError};

fn contact(r: &DbRow) -> Result<Contact> {
    let kind: String = r.try_get("contact_type").map_err(backend)?;
    let present: String = r.try_get("present").map_err(backend)?;
    let minutes: Option<i32> = r.try_get("duration_minutes").map_err(backend)?;
    Ok(Contact {
        id: r.try_get("id").map_err(backend)?,
        episode_id: r.try_get("episode_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        details: ContactDetails {
            contact_type: ContactType::from_code(&kind)
                .ok_or_else(|| StorageError::Backend(format!("unknown contact type {kind}")))?,
            at: r.try_get("at").map_err(backend)?,
            duration_minutes: minutes.and_then(|m| u16::try_from(m).ok()),
            did_not_attend: r.try_get("did_not_attend").map_err(backend)?,
            present: split_codes(&present),
            notes: r.try_get("notes").map_err(backend)?,
        },
        recorded_by: r.try_get("recorded_by").map_err(backend)?,
        recorded_at: r.try_get("recorded_at").map_err(backend)?,
    })
}

#[async_trait]
impl ContactStore for Store {
    async fn record_contact(
        &self,
        pcn: i64,
        episode_id: i64,
        expected_version: i64,
        c: &ContactDetails,
        actor: &Actor,
    ) -> Result<(Contact, Episode)> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let ep = load_for_update(&mut tx, pcn, episode_id, expected_version).await?;
        if ep.state.is_closed() {
            return Err(StorageError::Rule(format!(
                "This episode is {}: contacts can no longer be added",
                ep.state.label().to_lowercase()
            )));
        }
        if c.at < ep.referred_at - chrono::Duration::days(1) {
            return Err(StorageError::Rule(
                "The contact cannot be before the referral was made".into(),
            ));
        }
        let now = storage::now();
        let r = sqlx::query(
            "INSERT INTO contacts (pcn_id, episode_id, person_id, at, contact_type, duration_minutes, did_not_attend, present, notes, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
        )
        .bind(pcn)
        .bind(episode_id)
        .bind(ep.person_id)
        .bind(c.at)
        .bind(c.contact_type.code())
        .bind(c.duration_minutes.map(i32::from))
        .bind(c.did_not_attend)
        .bind(join_codes(&c.present))
        .bind(&c.notes)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let saved = contact(&r)?;
        let state = if ep.state == EpisodeState::Referred {
            EpisodeState::Contacting
        } else {
            ep.state
        };
        let attended = !c.did_not_attend;
        let first = match ep.first_contact_at {
            Some(f) if !attended || f <= c.at => Some(f),
            _ if attended => Some(c.at),
            other => other,
        };
        let last = match ep.last_contact_at {
            Some(l) if !attended || l >= c.at => Some(l),
            _ if attended => Some(c.at),
            other => other,
        };
        let r = sqlx::query(
            "UPDATE episodes SET state = $1, first_contact_at = $2, last_contact_at = $3, version = version + 1
             WHERE id = $4 AND version = $5 RETURNING *",
        )
        .bind(state.code())
        .bind(first)
        .bind(last)
        .bind(episode_id)
        .bind(expected_version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::Stale)?;
        let updated = rows::episode(&r)?;
        event(&mut tx, &updated, c.at, "contact", &c.summary(), actor).await?;
        if state != ep.state {
            let summary = format!("{} → {} (first contact)", ep.state.label(), state.label());
            event(&mut tx, &updated, c.at, "state", &summary, actor).await?;
        }
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "contact.create",
                "person",
                Some(ep.person_id),
                Some(pcn),
            )
            .detail(format!("episode {episode_id}: contact {}", saved.id)),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok((saved, updated))
    }

    async fn contacts_for_person(&self, pcn: i64, person_id: i64) -> Result<Vec<Contact>> {
        let rows = sqlx::query(
            "SELECT * FROM contacts WHERE pcn_id = $1 AND person_id = $2 ORDER BY at DESC, id DESC",
        )
        .bind(pcn)
        .bind(person_id)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter().map(contact).collect()
    }
}
