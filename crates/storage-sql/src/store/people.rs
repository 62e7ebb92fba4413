//! People's records, always scoped to one PCN.

use super::engine::{backend, Db, DbConn, Store};
use super::{audit::append, rows};
use async_trait::async_trait;
use domain::{Code, PersonDetails};
use sqlx::query::Query;
use sqlx::QueryBuilder;
use storage::{
    Actor, AuditEntry, Person, PersonMerge, PersonQuery, PersonStore, Result, StorageError,
};

const DETAIL_COLUMNS: &str = "given_name, family_name, search_name, date_of_birth, nhs_number, sex, gender_identity, \
    ethnicity, language, interpreter_needed, access_needs, access_notes, carer_status, carer_details, practice_id, \
    address, postcode, postcode_outward, phone, email, preferred_contact, voicemail_ok, texts_ok";

pub(crate) fn search_name(d: &PersonDetails) -> String {
    format!("{} {}", d.given_name, d.family_name).to_lowercase()
}

fn bind_details<'q>(
    q: Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>>,
    d: &'q PersonDetails,
) -> Query<'q, Db, <Db as sqlx::Database>::Arguments<'q>> {
    q.bind(&d.given_name)
        .bind(&d.family_name)
        .bind(search_name(d))
        .bind(d.date_of_birth)
        .bind(d.nhs_number.as_ref().map(|n| n.as_str().to_string()))
        .bind(d.sex.code())
        .bind(&d.gender_identity)
        .bind(d.ethnicity.map(|e| e.code()))
        .bind(&d.language)
        .bind(d.interpreter_needed)
        .bind(d.access_needs_codes())
        .bind(&d.access_notes)
        .bind(d.carer_status.code())
        .bind(&d.carer_details)
        .bind(d.practice_id)
        .bind(&d.address)
        .bind(d.postcode.as_ref().map(|p| p.to_string()))
        .bind(d.postcode.as_ref().map(|p| p.outward().to_string()))
        .bind(&d.phone)
        .bind(&d.email)
        .bind(d.preferred_contact.map(|c| c.code()))
        .bind(d.voicemail_ok)
        .bind(d.texts_ok)
}

/// A person's practice must be one of their PCN's practices.
pub(crate) async fn check_practice(conn: &mut DbConn, pcn: i64, d: &PersonDetails) -> Result<()> {
    if let Some(practice) = d.practice_id {
        let found: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM practices WHERE id = $1 AND pcn_id = $2")
                .bind(practice)
                .bind(pcn)
                .fetch_optional(&mut *conn)
                .await
                .map_err(backend)?;
        if found.is_none() {
            return Err(StorageError::Rule(
                "Choose the person's GP practice from the list of practices in your PCN".into(),
            ));
        }
    }
    Ok(())
}

/// Inserts a person inside the caller's transaction.
pub(crate) async fn insert(
    conn: &mut DbConn,
    pcn: i64,
    d: &PersonDetails,
    actor: &Actor,
) -> Result<Person> {
    check_practice(conn, pcn, d).await?;
    let now = storage::now();
    let sql = format!(
        "INSERT INTO people (pcn_id, created_at, updated_at, {DETAIL_COLUMNS}) VALUES ($1, $2, $3, {}) RETURNING *",
        (4..=26).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
    );
    let q = sqlx::query(&sql).bind(pcn).bind(now).bind(now);
    let row = bind_details(q, d)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    let person = rows::person(&row)?;
    append(
        conn,
        &AuditEntry::new(actor, "person.create", "person", Some(person.id), Some(pcn)),
    )
    .await?;
    Ok(person)
}

/// Tables whose rows belong to one person through `person_id` (and carry `id` and `pcn_id`):
/// what a merge moves. `supervision_cases` is moved apart (its key is the session).
const PERSON_TABLES: [&str; 10] = [
    "referrals",
    "episodes",
    "episode_events",
    "contacts",
    "episode_records",
    "connections",
    "coding_entries",
    "outbound_messages",
    "notifications",
    "call_requests",
];

/// Tables whose rows belong to an episode (`episode_id`) as well as to its person.
const EPISODE_TABLES: [&str; 8] = [
    "episode_events",
    "contacts",
    "episode_records",
    "connections",
    "coding_entries",
    "outbound_messages",
    "notifications",
    "call_requests",
];

/// The audit's words for what `readdress_codes` did (nothing when it did nothing).
fn codes_text((readdressed, sent): (u64, i64)) -> String {
    let mut out = String::new();
    if readdressed > 0 {
        out.push_str(&format!(
            "; {readdressed} unsent GP code(s) re-addressed to the record's practice"
        ));
    }
    if sent > 0 {
        out.push_str(&format!(
            "; {sent} GP code(s) already sent stay with the practice that received them"
        ));
    }
    out
}

/// What else changes on a row that moves to another person: an episode's version, so a page
/// or API client holding the old version is told it is stale rather than writing to it.
fn bump(table: &str) -> &'static str {
    if table == "episodes" {
        ", version = version + 1"
    } else {
        ""
    }
}

/// Re-addresses a person's GP-record codes that no batch has taken yet to their practice now
/// (after a merge or its undo the codes may belong to a record with another practice). Codes
/// already sent stay with the practice that has them. Returns how many were re-addressed and
/// how many sent codes stayed.
async fn readdress_codes(conn: &mut DbConn, pcn: i64, person: i64) -> Result<(u64, i64)> {
    let (practice,): (Option<i64>,) =
        sqlx::query_as("SELECT practice_id FROM people WHERE id = $1 AND pcn_id = $2")
            .bind(person)
            .bind(pcn)
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
    let mut readdressed = 0;
    if let Some(practice) = practice {
        readdressed = sqlx::query(
            "UPDATE coding_entries SET practice_id = $3
             WHERE pcn_id = $2 AND person_id = $1 AND status = 'pending' AND batch_id IS NULL
               AND COALESCE(practice_id, -1) <> $3",
        )
        .bind(person)
        .bind(pcn)
        .bind(practice)
        .execute(&mut *conn)
        .await
        .map_err(backend)?
        .rows_affected();
    }
    let (sent,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM coding_entries
         WHERE pcn_id = $2 AND person_id = $1 AND (batch_id IS NOT NULL OR status <> 'pending')
           AND COALESCE(practice_id, -1) <> COALESCE($3, -1)",
    )
    .bind(person)
    .bind(pcn)
    .bind(practice)
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    Ok((readdressed, sent))
}

/// Runs a statement that moves rows to person `to` (`$1`) in PCN `pcn` (`$2`) from person
/// `from` (`$3`) and returns the ids it moved (`RETURNING id`).
async fn move_rows(conn: &mut DbConn, sql: &str, to: i64, pcn: i64, from: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_as::<_, (i64,)>(sql)
        .bind(to)
        .bind(pcn)
        .bind(from)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?
        .into_iter()
        .map(|(i,)| i)
        .collect())
}

fn moved_text(moved: &[(String, Vec<i64>)]) -> String {
    moved
        .iter()
        .map(|(t, ids)| {
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!("{t}={}", ids.join(","))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn moved_of(text: &str) -> Vec<(String, Vec<i64>)> {
    text.lines()
        .filter_map(|l| {
            let (t, ids) = l.split_once('=')?;
            let ids = ids
                .split(',')
                .filter_map(|i| i.trim().parse().ok())
                .collect();
            Some((t.to_string(), ids))
        })
        .collect()
}

async fn load_merge(conn: &mut DbConn, pcn: i64, id: i64) -> Result<Option<PersonMerge>> {
    let r = sqlx::query(
        "SELECT p.*, m.id AS merge_id, m.kept_id, m.merged_id, m.moved, m.reason, m.merged_by,
                m.merged_at, m.undone_at, m.undo_reason
         FROM person_merges m JOIN people p ON p.id = m.merged_id
         WHERE m.id = $1 AND m.pcn_id = $2",
    )
    .bind(id)
    .bind(pcn)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    r.as_ref().map(merge_row).transpose()
}

fn merge_row(r: &super::engine::DbRow) -> Result<PersonMerge> {
    use sqlx::Row;
    Ok(PersonMerge {
        id: r.try_get("merge_id").map_err(backend)?,
        kept_id: r.try_get("kept_id").map_err(backend)?,
        merged_id: r.try_get("merged_id").map_err(backend)?,
        merged_details: rows::person(r)?.details,
        moved: moved_of(&r.try_get::<String, _>("moved").map_err(backend)?),
        reason: r.try_get("reason").map_err(backend)?,
        merged_by: r.try_get("merged_by").map_err(backend)?,
        merged_at: r.try_get("merged_at").map_err(backend)?,
        undone_at: r.try_get("undone_at").map_err(backend)?,
        undo_reason: r.try_get("undo_reason").map_err(backend)?,
    })
}

async fn live_person(conn: &mut DbConn, pcn: i64, id: i64) -> Result<Person> {
    let r =
        sqlx::query("SELECT * FROM people WHERE id = $1 AND pcn_id = $2 AND deleted_at IS NULL")
            .bind(id)
            .bind(pcn)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
    rows::person(&r)
}

#[async_trait]
impl PersonStore for Store {
    async fn create_person(&self, pcn: i64, d: &PersonDetails, actor: &Actor) -> Result<Person> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let p = insert(&mut tx, pcn, d, actor).await?;
        tx.commit().await.map_err(backend)?;
        Ok(p)
    }

    async fn update_person(
        &self,
        pcn: i64,
        id: i64,
        expected_version: i64,
        d: &PersonDetails,
        actor: &Actor,
    ) -> Result<Person> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let current: Option<(i64,)> = sqlx::query_as(
            "SELECT version FROM people WHERE id = $1 AND pcn_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(pcn)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        match current {
            None => return Err(StorageError::NotFound),
            Some((v,)) if v != expected_version => return Err(StorageError::Stale),
            Some(_) => {}
        }
        check_practice(&mut tx, pcn, d).await?;
        let sets: Vec<String> = DETAIL_COLUMNS
            .split(", ")
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE people SET {}, version = version + 1, updated_at = $24 WHERE id = $25 AND pcn_id = $26 AND version = $27 RETURNING *",
            sets.join(", ")
        );
        let q = bind_details(sqlx::query(&sql), d)
            .bind(storage::now())
            .bind(id)
            .bind(pcn)
            .bind(expected_version);
        let row = q
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::Stale)?;
        let person = rows::person(&row)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "person.update", "person", Some(id), Some(pcn))
                .detail(format!("version {}", person.version)),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(person)
    }

    async fn get_person(&self, pcn: i64, id: i64) -> Result<Option<Person>> {
        let r = sqlx::query(
            "SELECT * FROM people WHERE id = $1 AND pcn_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(pcn)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        r.as_ref().map(rows::person).transpose()
    }

    async fn search_people(&self, pcn: i64, query: &PersonQuery) -> Result<Vec<Person>> {
        let mut q: QueryBuilder<Db> =
            QueryBuilder::new("SELECT * FROM people WHERE deleted_at IS NULL AND pcn_id = ");
        q.push_bind(pcn);
        if let Some(name) = &query.name {
            for word in name.to_lowercase().split_whitespace().take(4) {
                let escaped = word
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                q.push(" AND search_name LIKE ")
                    .push_bind(format!("%{escaped}%"))
                    .push(" ESCAPE '\\'");
            }
        }
        if let Some(n) = &query.nhs_number {
            q.push(" AND nhs_number = ").push_bind(n.clone());
        }
        if let Some(d) = query.date_of_birth {
            q.push(" AND date_of_birth = ").push_bind(d);
        }
        if let Some(p) = &query.postcode {
            let p = p.trim().to_uppercase();
            if p.contains(' ') {
                q.push(" AND postcode = ").push_bind(p);
            } else {
                q.push(" AND postcode_outward = ").push_bind(p);
            }
        }
        q.push(" ORDER BY family_name, given_name, id LIMIT ")
            .push_bind(i64::from(query.limit.clamp(1, 500)));
        let rs = q.build().fetch_all(&self.read).await.map_err(backend)?;
        rs.iter().map(rows::person).collect()
    }

    async fn find_possible_duplicates(&self, pcn: i64, d: &PersonDetails) -> Result<Vec<Person>> {
        let rs = sqlx::query(
            // Everyone with the NHS number or born that day (a handful in a PCN), then the
            // tolerant comparison of names and postcodes in `domain::person::likely_same`.
            "SELECT * FROM people WHERE deleted_at IS NULL AND pcn_id = $1
             AND ((nhs_number IS NOT NULL AND nhs_number = $2) OR date_of_birth = $3)
             ORDER BY id LIMIT 500",
        )
        .bind(pcn)
        .bind(d.nhs_number.as_ref().map(|n| n.as_str().to_string()))
        .bind(d.date_of_birth)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        let mut out = vec![];
        for r in &rs {
            let p = rows::person(r)?;
            if domain::person::likely_same(d, &p.details).is_some() {
                out.push(p);
            }
            if out.len() == 20 {
                break;
            }
        }
        Ok(out)
    }

    async fn merge_people(
        &self,
        pcn: i64,
        kept: i64,
        merged: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<PersonMerge> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StorageError::Rule(
                "Say why these are the same person (what you checked)".into(),
            ));
        }
        if kept == merged {
            return Err(StorageError::Rule(
                "Choose a different record to keep: a record cannot be merged into itself".into(),
            ));
        }
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        // Claim both records first, lower id first: the updates take their row locks on
        // PostgreSQL in one order, so a concurrent merge of either record (A into B while B goes
        // into A) waits here and then finds a record no longer live, rather than hiding both.
        for id in [kept.min(merged), kept.max(merged)] {
            let claimed = sqlx::query(
                "UPDATE people SET version = version + 1, updated_at = $1
                 WHERE pcn_id = $2 AND id = $3 AND deleted_at IS NULL",
            )
            .bind(now)
            .bind(pcn)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if claimed != 1 {
                return Err(StorageError::NotFound);
            }
        }
        let keep = live_person(&mut tx, pcn, kept).await?;
        let gone = live_person(&mut tx, pcn, merged).await?;
        if let (Some(a), Some(b)) = (&keep.details.nhs_number, &gone.details.nhs_number) {
            if a != b {
                return Err(StorageError::Rule(
                    "These records have different NHS numbers, so they are different people".into(),
                ));
            }
        }
        let mut moved = vec![];
        for table in PERSON_TABLES {
            // The ids recorded are exactly the rows this statement moved.
            let mut ids = move_rows(
                &mut tx,
                &format!("UPDATE {table} SET person_id = $1{} WHERE pcn_id = $2 AND person_id = $3 RETURNING id", bump(table)),
                kept,
                pcn,
                merged,
            )
            .await?;
            if ids.is_empty() {
                continue;
            }
            ids.sort_unstable();
            moved.push((table.to_string(), ids));
        }
        // A session that discussed both records keeps its link to the merged one (the key is
        // the session and the person); every other discussion moves.
        let sessions: Vec<(i64,)> = sqlx::query_as(
            "SELECT session_id FROM supervision_cases WHERE pcn_id = $1 AND person_id = $2
             AND session_id NOT IN (SELECT session_id FROM supervision_cases WHERE pcn_id = $1 AND person_id = $3)
             ORDER BY session_id",
        )
        .bind(pcn)
        .bind(merged)
        .bind(kept)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        for (sid,) in &sessions {
            sqlx::query(
                "UPDATE supervision_cases SET person_id = $1
                 WHERE session_id = $2 AND person_id = $3 AND pcn_id = $4",
            )
            .bind(kept)
            .bind(sid)
            .bind(merged)
            .bind(pcn)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        if !sessions.is_empty() {
            moved.push((
                "supervision_cases".into(),
                sessions.into_iter().map(|(i,)| i).collect(),
            ));
        }
        // The merged record's own-plan links stop working and its sessions end: the plan
        // they showed is now another record's (the link worker sends a new link).
        sqlx::query(
            "UPDATE plan_links SET revoked_at = $1, revoked_by = $2
             WHERE pcn_id = $3 AND person_id = $4 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(actor.user_id)
        .bind(pcn)
        .bind(merged)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query("DELETE FROM person_sessions WHERE pcn_id = $1 AND person_id = $2")
            .bind(pcn)
            .bind(merged)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "UPDATE people SET deleted_at = $1, merged_into = $2 WHERE id = $3 AND pcn_id = $4",
        )
        .bind(now)
        .bind(kept)
        .bind(merged)
        .bind(pcn)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO person_merges (pcn_id, kept_id, merged_id, moved, reason, merged_by, merged_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(pcn)
        .bind(kept)
        .bind(merged)
        .bind(moved_text(&moved))
        .bind(reason)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let codes = codes_text(readdress_codes(&mut tx, pcn, kept).await?);
        let what = moved_text(&moved).replace('\n', "; ");
        for (subject, other) in [(kept, merged), (merged, kept)] {
            append(
                &mut tx,
                &AuditEntry::new(actor, "person.merge", "person", Some(subject), Some(pcn)).detail(
                    format!("merge {id}: person {merged} into person {kept} (other {other}); moved {what}{codes}; reason: {reason}"),
                ),
            )
            .await?;
        }
        let m = load_merge(&mut tx, pcn, id)
            .await?
            .ok_or(StorageError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(m)
    }

    async fn undo_merge(
        &self,
        pcn: i64,
        merge_id: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<PersonMerge> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StorageError::Rule("Say why the merge was wrong".into()));
        }
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        // Claim the merge first, so two undos of it cannot both run.
        let claimed = sqlx::query(
            "UPDATE person_merges SET undone_at = $1, undone_by = $2, undo_reason = $3
             WHERE id = $4 AND pcn_id = $5 AND undone_at IS NULL",
        )
        .bind(now)
        .bind(actor.user_id)
        .bind(reason)
        .bind(merge_id)
        .bind(pcn)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        let m = load_merge(&mut tx, pcn, merge_id)
            .await?
            .ok_or(StorageError::NotFound)?;
        if claimed != 1 {
            return Err(StorageError::Rule(
                "This merge has already been undone".into(),
            ));
        }
        // The kept record must still be live (undo a later merge of it first), and the merged
        // record must still be the one hidden by this merge.
        let kept_live = sqlx::query(
            "UPDATE people SET version = version + 1, updated_at = $1
             WHERE id = $2 AND pcn_id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(m.kept_id)
        .bind(pcn)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if kept_live != 1 {
            return Err(StorageError::Rule(
                "The record this one went into has since been merged itself: undo that merge first"
                    .into(),
            ));
        }
        let revived = sqlx::query(
            "UPDATE people SET deleted_at = NULL, merged_into = NULL, version = version + 1, updated_at = $1
             WHERE id = $2 AND pcn_id = $3 AND merged_into = $4",
        )
        .bind(now)
        .bind(m.merged_id)
        .bind(pcn)
        .bind(m.kept_id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if revived != 1 {
            return Err(StorageError::Stale);
        }
        // The rows the merge moved go back (a row since deleted, such as a withdrawn GP code,
        // stays deleted)...
        for (table, ids) in &m.moved {
            let sql = if table == "supervision_cases" {
                "UPDATE supervision_cases SET person_id = $1
                 WHERE pcn_id = $2 AND person_id = $3 AND session_id = $4"
                    .to_string()
            } else if PERSON_TABLES.contains(&table.as_str()) {
                format!(
                    "UPDATE {table} SET person_id = $1{} WHERE pcn_id = $2 AND person_id = $3 AND id = $4",
                    bump(table)
                )
            } else {
                continue;
            };
            for row in ids {
                sqlx::query(&sql)
                    .bind(m.merged_id)
                    .bind(pcn)
                    .bind(m.kept_id)
                    .bind(row)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
        }
        // ...and so does everything added since to what they moved: an episode opened from a
        // moved referral, and every contact, event, record, connection, GP code and message on a
        // moved episode. Each row's person then matches its episode's person again.
        let mut follow = vec![];
        let episodes = move_rows(
            &mut tx,
            "UPDATE episodes SET person_id = $1, version = version + 1
             WHERE pcn_id = $2 AND person_id = $3
               AND referral_id IN (SELECT id FROM referrals WHERE pcn_id = $2 AND person_id = $1)
             RETURNING id",
            m.merged_id,
            pcn,
            m.kept_id,
        )
        .await?;
        if !episodes.is_empty() {
            follow.push(("episodes".to_string(), episodes));
        }
        for table in EPISODE_TABLES {
            let ids = move_rows(
                &mut tx,
                &format!(
                    "UPDATE {table} SET person_id = $1
                     WHERE pcn_id = $2 AND person_id = $3
                       AND episode_id IN (SELECT id FROM episodes WHERE pcn_id = $2 AND person_id = $1)
                     RETURNING id"
                ),
                m.merged_id,
                pcn,
                m.kept_id,
            )
            .await?;
            if !ids.is_empty() {
                follow.push((table.to_string(), ids));
            }
        }
        let (mut readdressed, mut sent) = (0, 0);
        for person in [m.merged_id, m.kept_id] {
            let (r, s) = readdress_codes(&mut tx, pcn, person).await?;
            readdressed += r;
            sent += s;
        }
        let codes = codes_text((readdressed, sent));
        let since = if follow.is_empty() {
            String::new()
        } else {
            format!(
                "; also moved back, added since the merge: {}",
                moved_text(&follow).replace('\n', "; ")
            )
        };
        for subject in [m.kept_id, m.merged_id] {
            append(
                &mut tx,
                &AuditEntry::new(actor, "person.unmerge", "person", Some(subject), Some(pcn))
                    .detail(format!(
                    "merge {merge_id} undone: person {} separated from person {}{since}{codes}; reason: {reason}",
                    m.merged_id, m.kept_id
                )),
            )
            .await?;
        }
        let m = load_merge(&mut tx, pcn, merge_id)
            .await?
            .ok_or(StorageError::NotFound)?;
        tx.commit().await.map_err(backend)?;
        Ok(m)
    }

    async fn merges_into(&self, pcn: i64, kept: i64) -> Result<Vec<PersonMerge>> {
        let rs = sqlx::query(
            "SELECT p.*, m.id AS merge_id, m.kept_id, m.merged_id, m.moved, m.reason, m.merged_by,
                m.merged_at, m.undone_at, m.undo_reason
             FROM person_merges m JOIN people p ON p.id = m.merged_id
             WHERE m.pcn_id = $1 AND m.kept_id = $2 ORDER BY m.id DESC",
        )
        .bind(pcn)
        .bind(kept)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rs.iter().map(merge_row).collect()
    }

    async fn merged_into(&self, pcn: i64, id: i64) -> Result<Option<i64>> {
        let r: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT merged_into FROM people WHERE id = $1 AND pcn_id = $2")
                .bind(id)
                .bind(pcn)
                .fetch_optional(&self.read)
                .await
                .map_err(backend)?;
        Ok(r.and_then(|(m,)| m))
    }
}
