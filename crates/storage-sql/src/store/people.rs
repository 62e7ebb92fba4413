//! People's records, always scoped to one PCN.

use super::engine::{backend, Db, DbConn, Store};
use super::{audit::append, rows};
use async_trait::async_trait;
use domain::{Code, PersonDetails};
use sqlx::query::Query;
use sqlx::QueryBuilder;
use storage::{Actor, AuditEntry, Person, PersonQuery, PersonStore, Result, StorageError};

const DETAIL_COLUMNS: &str = "given_name, family_name, search_name, date_of_birth, nhs_number, sex, gender_identity, \
    ethnicity, language, interpreter_needed, access_needs, access_notes, carer_status, carer_details, practice_id, \
    address, postcode, postcode_outward, phone, email, preferred_contact";

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
        (4..=24).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
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
            "UPDATE people SET {}, version = version + 1, updated_at = $22 WHERE id = $23 AND pcn_id = $24 AND version = $25 RETURNING *",
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
}
