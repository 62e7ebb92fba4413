//! PCNs, practices and partner organisations.

use super::audit::append;
use super::engine::{backend, Store};
use async_trait::async_trait;
use storage::{Actor, AuditEntry, OrgStore, PartnerOrg, Pcn, Practice, Result, StorageError};

#[async_trait]
impl OrgStore for Store {
    async fn create_pcn(&self, name: &str, ods_code: &str) -> Result<Pcn> {
        let (id,): (i64,) =
            sqlx::query_as("INSERT INTO pcns (name, ods_code) VALUES ($1, $2) RETURNING id")
                .bind(name)
                .bind(ods_code)
                .fetch_one(&self.write)
                .await
                .map_err(backend)?;
        Ok(Pcn {
            id,
            name: name.into(),
            ods_code: ods_code.into(),
        })
    }

    async fn list_pcns(&self) -> Result<Vec<Pcn>> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, name, ods_code FROM pcns ORDER BY name")
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, name, ods_code)| Pcn { id, name, ods_code })
            .collect())
    }

    async fn create_practice(&self, pcn: i64, name: &str, ods_code: &str) -> Result<Practice> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO practices (pcn_id, name, ods_code) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(pcn)
        .bind(name)
        .bind(ods_code)
        .fetch_one(&self.write)
        .await
        .map_err(backend)?;
        Ok(Practice {
            id,
            pcn_id: pcn,
            name: name.into(),
            ods_code: ods_code.into(),
            postcode: None,
        })
    }

    async fn list_practices(&self, pcn: i64) -> Result<Vec<Practice>> {
        let rows: Vec<PracticeRow> = sqlx::query_as(
            "SELECT id, pcn_id, name, ods_code, postcode FROM practices WHERE pcn_id = $1 ORDER BY name",
        )
        .bind(pcn)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(practice).collect())
    }

    async fn list_all_practices(&self) -> Result<Vec<Practice>> {
        let rows: Vec<PracticeRow> = sqlx::query_as(
            "SELECT id, pcn_id, name, ods_code, postcode FROM practices ORDER BY name, id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        Ok(rows.into_iter().map(practice).collect())
    }

    async fn set_practice_postcode(
        &self,
        pcn: i64,
        practice: i64,
        postcode: Option<&str>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let old: Option<(Option<String>, String)> =
            sqlx::query_as("SELECT postcode, name FROM practices WHERE id = $1 AND pcn_id = $2")
                .bind(practice)
                .bind(pcn)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let Some((old, name)) = old else {
            return Err(StorageError::NotFound);
        };
        sqlx::query("UPDATE practices SET postcode = $1 WHERE id = $2 AND pcn_id = $3")
            .bind(postcode)
            .bind(practice)
            .bind(pcn)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "practice.postcode",
                "practice",
                Some(practice),
                Some(pcn),
            )
            .detail(format!(
                "{name}: {} → {}",
                old.as_deref().unwrap_or("none"),
                postcode.unwrap_or("none")
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn create_partner_org(&self, name: &str) -> Result<PartnerOrg> {
        let (id,): (i64,) =
            sqlx::query_as("INSERT INTO partner_orgs (name) VALUES ($1) RETURNING id")
                .bind(name)
                .fetch_one(&self.write)
                .await
                .map_err(backend)?;
        Ok(PartnerOrg {
            id,
            name: name.into(),
        })
    }

    async fn list_partner_orgs(&self) -> Result<Vec<PartnerOrg>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM partner_orgs ORDER BY name")
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| PartnerOrg { id, name })
            .collect())
    }
}

type PracticeRow = (i64, i64, String, String, Option<String>);

fn practice((id, pcn_id, name, ods_code, postcode): PracticeRow) -> Practice {
    Practice {
        id,
        pcn_id,
        name,
        ods_code,
        postcode,
    }
}
