//! The community directory.

use super::audit;
use super::engine::{backend, Db, DbConn, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use storage::{
    Actor, AuditEntry, DirDoc, DirOrgRecord, DirServiceRecord, DirServiceWrite, DirectoryBatch,
    DirectoryStore, ImportCounts, Result, StorageError,
};

type ServiceRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    DateTime<Utc>,
);

const SERVICE_COLUMNS: &str =
    "id, organization_id, name, status, doc, listing, version, updated_at";

fn service(r: ServiceRow) -> DirServiceRecord {
    DirServiceRecord {
        id: r.0,
        organization_id: r.1,
        name: r.2,
        status: r.3,
        doc: r.4,
        listing: r.5,
        version: r.6,
        updated_at: r.7,
    }
}

type OrgRow = (String, String, String, Option<i64>, DateTime<Utc>);

fn org(r: OrgRow) -> DirOrgRecord {
    DirOrgRecord {
        id: r.0,
        name: r.1,
        doc: r.2,
        partner_org_id: r.3,
        updated_at: r.4,
    }
}

async fn bump_generation(conn: &mut DbConn) -> Result<i64> {
    let (g,): (i64,) = sqlx::query_as(
        "UPDATE dir_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(g)
}

async fn upsert_org(
    conn: &mut DbConn,
    id: &str,
    name: &str,
    doc: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dir_organizations (id, name, doc, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(name)
    .bind(doc)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

async fn set_locations(conn: &mut DbConn, s: &DirServiceWrite) -> Result<()> {
    sqlx::query("DELETE FROM dir_service_locations WHERE service_id = $1")
        .bind(&s.id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    for l in &s.location_ids {
        sqlx::query(
            "INSERT INTO dir_service_locations (id, service_id) VALUES ($1, $2)
             ON CONFLICT(id) DO UPDATE SET service_id = excluded.service_id",
        )
        .bind(l)
        .bind(&s.id)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

/// Inserts a new service or replaces an existing one's document (keeping its listing when
/// `keep_listing`). Returns whether it was created.
async fn upsert_service(
    conn: &mut DbConn,
    s: &DirServiceWrite,
    keep_listing: bool,
    at: DateTime<Utc>,
) -> Result<bool> {
    let existing: Option<(i64,)> = sqlx::query_as("SELECT version FROM dir_services WHERE id = $1")
        .bind(&s.id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    if existing.is_some() {
        let sql = if keep_listing {
            "UPDATE dir_services SET organization_id = $1, name = $2, status = $3, doc = $4, version = version + 1, updated_at = $5 WHERE id = $6"
        } else {
            "UPDATE dir_services SET organization_id = $1, name = $2, status = $3, doc = $4, listing = $5, version = version + 1, updated_at = $6 WHERE id = $7"
        };
        let mut q = sqlx::query(sql)
            .bind(&s.organization_id)
            .bind(&s.name)
            .bind(&s.status)
            .bind(&s.doc);
        if !keep_listing {
            q = q.bind(&s.listing);
        }
        q.bind(at)
            .bind(&s.id)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    } else {
        sqlx::query(
            "INSERT INTO dir_services (id, organization_id, name, status, doc, listing, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
        )
        .bind(&s.id)
        .bind(&s.organization_id)
        .bind(&s.name)
        .bind(&s.status)
        .bind(&s.doc)
        .bind(&s.listing)
        .bind(at)
        .bind(at)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    set_locations(conn, s).await?;
    Ok(existing.is_none())
}

#[async_trait]
impl DirectoryStore for Store {
    async fn import_directory(
        &self,
        batch: &DirectoryBatch,
        actor: &Actor,
    ) -> Result<ImportCounts> {
        let at = storage::now();
        let mut tx = self.write.begin().await.map_err(backend)?;
        for (id, name, doc) in &batch.organizations {
            upsert_org(&mut tx, id, name, doc, at).await?;
        }
        for t in &batch.taxonomies {
            sqlx::query(
                "INSERT INTO dir_taxonomies (id, doc) VALUES ($1, $2) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
            )
            .bind(&t.id)
            .bind(&t.doc)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        for t in &batch.terms {
            sqlx::query(
                "INSERT INTO dir_taxonomy_terms (id, taxonomy_id, doc) VALUES ($1, $2, $3)
                 ON CONFLICT(id) DO UPDATE SET taxonomy_id = excluded.taxonomy_id, doc = excluded.doc",
            )
            .bind(&t.id)
            .bind(&t.parent_id)
            .bind(&t.doc)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        let mut counts = ImportCounts::default();
        for s in &batch.services {
            if upsert_service(&mut tx, s, !batch.replace_listings, at).await? {
                counts.created += 1;
            } else {
                counts.updated += 1;
            }
        }
        counts.generation = bump_generation(&mut tx).await?;
        let entry =
            AuditEntry::new(actor, "directory.import", "directory", None, None).detail(format!(
                "{}: {} services created, {} updated, {} organisations, {} taxonomy terms",
                batch.source,
                counts.created,
                counts.updated,
                batch.organizations.len(),
                batch.terms.len()
            ));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await.map_err(backend)?;
        Ok(counts)
    }

    async fn save_service(
        &self,
        s: &DirServiceWrite,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<DirServiceRecord> {
        let at = storage::now();
        let mut tx = self.write.begin().await.map_err(backend)?;
        let current: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM dir_services WHERE id = $1")
                .bind(&s.id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let action = match (current, expected_version) {
            (Some(_), None) => {
                return Err(StorageError::Duplicate(format!("service {} exists", s.id)))
            }
            (None, Some(_)) => return Err(StorageError::NotFound),
            (Some((v,)), Some(e)) if v != e => return Err(StorageError::Stale),
            (Some(_), Some(_)) => "directory.service.update",
            (None, None) => "directory.service.create",
        };
        upsert_service(&mut tx, s, false, at).await?;
        bump_generation(&mut tx).await?;
        let entry = AuditEntry::new(actor, action, "service", None, None)
            .detail(format!("{} ({})", s.id, s.name));
        audit::append(&mut tx, &entry).await?;
        let row: ServiceRow = sqlx::query_as(&format!(
            "SELECT {SERVICE_COLUMNS} FROM dir_services WHERE id = $1"
        ))
        .bind(&s.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(service(row))
    }

    async fn save_organization(
        &self,
        id: &str,
        name: &str,
        doc: &str,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        upsert_org(&mut tx, id, name, doc, storage::now()).await?;
        bump_generation(&mut tx).await?;
        let entry = AuditEntry::new(
            actor,
            "directory.organization.save",
            "organization",
            None,
            None,
        )
        .detail(format!("{id} ({name})"));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn link_partner(
        &self,
        org_id: &str,
        partner_org_id: Option<i64>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "UPDATE dir_organizations SET partner_org_id = $1, updated_at = $3 WHERE id = $2",
        )
        .bind(partner_org_id)
        .bind(org_id)
        .bind(storage::now())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        bump_generation(&mut tx).await?;
        let entry = AuditEntry::new(actor, "directory.partner_link", "organization", None, None)
            .detail(format!("{org_id} -> partner {partner_org_id:?}"));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn dir_service(&self, id: &str) -> Result<Option<DirServiceRecord>> {
        let row: Option<ServiceRow> = sqlx::query_as(&format!(
            "SELECT {SERVICE_COLUMNS} FROM dir_services WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        Ok(row.map(service))
    }

    async fn dir_services(&self, ids: &[String]) -> Result<Vec<DirServiceRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!(
                "SELECT {SERVICE_COLUMNS} FROM dir_services WHERE id IN ("
            ));
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(id);
            }
            qb.push(")");
            let rows: Vec<ServiceRow> = qb
                .build_query_as()
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
            out.extend(rows.into_iter().map(service));
        }
        Ok(out)
    }

    async fn dir_services_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DirServiceRecord>> {
        let rows: Vec<ServiceRow> = sqlx::query_as(&format!(
            "SELECT {SERVICE_COLUMNS} FROM dir_services WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after.unwrap_or(""))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(service).collect())
    }

    async fn dir_services_for_partner(&self, partner_org_id: i64) -> Result<Vec<DirServiceRecord>> {
        let rows: Vec<ServiceRow> = sqlx::query_as(
            "SELECT s.id, s.organization_id, s.name, s.status, s.doc, s.listing, s.version, s.updated_at
             FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id
             WHERE o.partner_org_id = $1 ORDER BY s.name",
        )
        .bind(partner_org_id)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(service).collect())
    }

    async fn dir_service_for_location(&self, id: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT service_id FROM dir_service_locations WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.read)
                .await
                .map_err(backend)?;
        Ok(row.map(|r| r.0))
    }

    async fn dir_organization(&self, id: &str) -> Result<Option<DirOrgRecord>> {
        let row: Option<OrgRow> = sqlx::query_as(
            "SELECT id, name, doc, partner_org_id, updated_at FROM dir_organizations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        Ok(row.map(org))
    }

    async fn dir_organizations_in(&self, ids: &[String]) -> Result<Vec<DirOrgRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut qb: QueryBuilder<Db> = QueryBuilder::new(
                "SELECT id, name, doc, partner_org_id, updated_at FROM dir_organizations WHERE id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(id);
            }
            qb.push(")");
            let rows: Vec<OrgRow> = qb
                .build_query_as()
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
            out.extend(rows.into_iter().map(org));
        }
        Ok(out)
    }

    async fn dir_organizations(&self) -> Result<Vec<DirOrgRecord>> {
        let rows: Vec<OrgRow> = sqlx::query_as(
            "SELECT id, name, doc, partner_org_id, updated_at FROM dir_organizations ORDER BY name, id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(org).collect())
    }

    async fn dir_taxonomies(&self) -> Result<Vec<DirDoc>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, doc FROM dir_taxonomies ORDER BY id")
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, doc)| DirDoc {
                id,
                parent_id: None,
                doc,
            })
            .collect())
    }

    async fn dir_terms(&self) -> Result<Vec<DirDoc>> {
        let rows: Vec<(String, Option<String>, String)> =
            sqlx::query_as("SELECT id, taxonomy_id, doc FROM dir_taxonomy_terms ORDER BY id")
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, parent_id, doc)| DirDoc { id, parent_id, doc })
            .collect())
    }

    async fn dir_term_concepts(&self) -> Result<Vec<(String, String)>> {
        sqlx::query_as("SELECT term_id, concepts FROM dir_term_concepts ORDER BY term_id")
            .fetch_all(&self.read)
            .await
            .map_err(backend)
    }

    async fn set_dir_term_concepts(
        &self,
        term_id: &str,
        concepts: Option<&str>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let known: Option<(String,)> =
            sqlx::query_as("SELECT id FROM dir_taxonomy_terms WHERE id = $1")
                .bind(term_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if known.is_none() {
            return Err(StorageError::NotFound);
        }
        match concepts {
            Some(c) => sqlx::query(
                "INSERT INTO dir_term_concepts (term_id, concepts) VALUES ($1, $2) \
                 ON CONFLICT (term_id) DO UPDATE SET concepts = excluded.concepts",
            )
            .bind(term_id)
            .bind(c),
            None => sqlx::query("DELETE FROM dir_term_concepts WHERE term_id = $1").bind(term_id),
        }
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        bump_generation(&mut tx).await?;
        let entry = AuditEntry::new(actor, "directory.term_mapping", "taxonomy_term", None, None)
            .detail(format!(
                "{term_id} -> {}",
                concepts.unwrap_or("(read from its name)")
            ));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn dir_service_concepts(&self) -> Result<Vec<(String, String, String)>> {
        sqlx::query_as(
            "SELECT service_id, concept, verdict FROM dir_service_concepts \
             ORDER BY service_id, concept",
        )
        .fetch_all(&self.read)
        .await
        .map_err(backend)
    }

    async fn set_dir_service_concept(
        &self,
        service_id: &str,
        concept: &str,
        verdict: Option<&str>,
        actor: &Actor,
    ) -> Result<()> {
        if verdict.is_some_and(|v| v != "confirmed" && v != "rejected") {
            return Err(StorageError::Rule(format!("unknown verdict {verdict:?}")));
        }
        let mut tx = self.write.begin().await.map_err(backend)?;
        let known: Option<(String,)> = sqlx::query_as("SELECT id FROM dir_services WHERE id = $1")
            .bind(service_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        if known.is_none() {
            return Err(StorageError::NotFound);
        }
        match verdict {
            Some(v) => sqlx::query(
                "INSERT INTO dir_service_concepts (service_id, concept, verdict) \
                 VALUES ($1, $2, $3) \
                 ON CONFLICT (service_id, concept) DO UPDATE SET verdict = excluded.verdict",
            )
            .bind(service_id)
            .bind(concept)
            .bind(v),
            None => sqlx::query(
                "DELETE FROM dir_service_concepts WHERE service_id = $1 AND concept = $2",
            )
            .bind(service_id)
            .bind(concept),
        }
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        bump_generation(&mut tx).await?;
        let entry = AuditEntry::new(
            actor,
            "directory.service_concept",
            "dir_service",
            None,
            None,
        )
        .detail(format!(
            "{service_id} {concept}: {}",
            verdict.unwrap_or("suggested")
        ));
        audit::append(&mut tx, &entry).await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn directory_generation(&self) -> Result<i64> {
        let (g,): (i64,) = sqlx::query_as("SELECT generation FROM dir_generation WHERE id = 1")
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        Ok(g)
    }

    async fn import_postcodes(&self, rows: &[(String, f64, f64)]) -> Result<u64> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        for chunk in rows.chunks(300) {
            let mut qb: QueryBuilder<Db> =
                QueryBuilder::new("INSERT INTO postcodes (postcode, latitude, longitude) ");
            qb.push_values(chunk, |mut b, (p, lat, lon)| {
                b.push_bind(p).push_bind(lat).push_bind(lon);
            });
            qb.push(
                " ON CONFLICT(postcode) DO UPDATE SET latitude = excluded.latitude, longitude = excluded.longitude",
            );
            qb.build().execute(&mut *tx).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(rows.len() as u64)
    }

    async fn postcode_location(&self, postcode: &str) -> Result<Option<(f64, f64)>> {
        let row: Option<(f64, f64)> =
            sqlx::query_as("SELECT latitude, longitude FROM postcodes WHERE postcode = $1")
                .bind(postcode)
                .fetch_optional(&self.read)
                .await
                .map_err(backend)?;
        Ok(row)
    }

    async fn postcode_count(&self) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM postcodes")
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        Ok(n.max(0) as u64)
    }
}
