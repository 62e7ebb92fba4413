//! API clients of other systems (GP systems, hubs, partners) and the tokens they sign in for.
use super::audit::append;
use super::engine::{backend, DbRow, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::interop::{parse_scopes, scopes_string};
use domain::{ClientKind, Code, Scope};
use sqlx::Row;
use storage::{
    Actor, ApiClient, ApiClientStore, AuditEntry, ClientToken, NewApiClient, Result, StorageError,
};

fn scopes(s: &str) -> Result<Vec<Scope>> {
    parse_scopes(s).map_err(StorageError::Backend)
}

fn client(r: &DbRow) -> Result<ApiClient> {
    let kind: String = r.try_get("kind").map_err(backend)?;
    Ok(ApiClient {
        id: r.try_get("id").map_err(backend)?,
        client_id: r.try_get("client_id").map_err(backend)?,
        name: r.try_get("name").map_err(backend)?,
        kind: ClientKind::from_code(&kind)
            .ok_or_else(|| StorageError::Backend(format!("unknown client kind {kind}")))?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        practice_id: r.try_get("practice_id").map_err(backend)?,
        partner_org_id: r.try_get("partner_org_id").map_err(backend)?,
        scopes: scopes(r.try_get("scopes").map_err(backend)?)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        last_used_at: r.try_get("last_used_at").map_err(backend)?,
        revoked_at: r.try_get("revoked_at").map_err(backend)?,
        jwks: r.try_get("jwks").map_err(backend)?,
        secret_on: !r
            .try_get::<String, _>("secret_hash")
            .map_err(backend)?
            .is_empty(),
    })
}

#[async_trait]
impl ApiClientStore for Store {
    async fn create_api_client(&self, c: &NewApiClient, actor: &Actor) -> Result<ApiClient> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        let row = sqlx::query(
            "INSERT INTO api_clients (client_id, name, kind, pcn_id, practice_id, partner_org_id, scopes, secret_hash, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        )
        .bind(&c.client_id)
        .bind(&c.name)
        .bind(c.kind.code())
        .bind(c.pcn_id)
        .bind(c.practice_id)
        .bind(c.partner_org_id)
        .bind(scopes_string(&c.scopes))
        .bind(&c.secret_hash)
        .bind(now)
        .bind(&actor.label)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let created = client(&row)?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "api_client.create",
                "api_client",
                Some(created.id),
                c.pcn_id,
            )
            .detail(format!(
                "{} ({}): {}",
                c.name,
                c.kind.code(),
                scopes_string(&c.scopes)
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(created)
    }

    async fn api_clients(&self) -> Result<Vec<ApiClient>> {
        sqlx::query("SELECT * FROM api_clients ORDER BY id DESC")
            .fetch_all(&self.read)
            .await
            .map_err(backend)?
            .iter()
            .map(client)
            .collect()
    }

    async fn revoke_api_client(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "UPDATE api_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING pcn_id",
        )
        .bind(storage::now())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(row) = done else {
            return Err(StorageError::NotFound);
        };
        let pcn: Option<i64> = row.try_get("pcn_id").map_err(backend)?;
        sqlx::query("DELETE FROM api_client_tokens WHERE client_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "api_client.revoke", "api_client", Some(id), pcn),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn api_client_for_sign_in(&self, client_id: &str) -> Result<Option<(ApiClient, String)>> {
        let row =
            sqlx::query("SELECT * FROM api_clients WHERE client_id = $1 AND revoked_at IS NULL")
                .bind(client_id)
                .fetch_optional(&self.read)
                .await
                .map_err(backend)?;
        match row {
            Some(r) => Ok(Some((
                client(&r)?,
                r.try_get("secret_hash").map_err(backend)?,
            ))),
            None => Ok(None),
        }
    }

    async fn issue_client_token(
        &self,
        client: &ApiClient,
        token_hash: &str,
        granted: &[Scope],
        expires_at: DateTime<Utc>,
        how: &str,
        actor: &Actor,
    ) -> Result<()> {
        let client_pk = client.id;
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        sqlx::query("DELETE FROM api_client_tokens WHERE client_id = $1 AND expires_at < $2")
            .bind(client_pk)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("INSERT INTO api_client_tokens (token_hash, client_id, scopes, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(client_pk)
            .bind(scopes_string(granted))
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(
                actor,
                "api_client.token",
                "api_client",
                Some(client_pk),
                client.pcn_id,
            )
            .detail(format!("{how}; scopes: {}", scopes_string(granted))),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn set_api_client_keys(&self, id: i64, jwks: Option<&str>, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "UPDATE api_clients SET jwks = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING pcn_id",
        )
        .bind(jwks)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(row) = done else {
            return Err(StorageError::NotFound);
        };
        // Audited in the client's PCN, so its own auditors see a new way to sign in as it.
        let pcn: Option<i64> = row.try_get("pcn_id").map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "api_client.keys", "api_client", Some(id), pcn).detail(
                if jwks.is_some() {
                    "public keys registered"
                } else {
                    "public keys removed"
                },
            ),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn turn_off_client_secret(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "UPDATE api_clients SET secret_hash = '' WHERE id = $1 AND revoked_at IS NULL AND jwks IS NOT NULL RETURNING pcn_id",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(row) = done else {
            return Err(StorageError::NotFound);
        };
        let pcn: Option<i64> = row.try_get("pcn_id").map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "api_client.secret_off", "api_client", Some(id), pcn)
                .detail("client secret turned off: signed JWT only"),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn use_client_assertion(
        &self,
        client_pk: i64,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query("DELETE FROM client_assertions WHERE expires_at < $1")
            .bind(storage::now())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let added = sqlx::query(
            "INSERT INTO client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (client_id, jti) DO NOTHING",
        )
        .bind(client_pk)
        .bind(jti)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected()
            == 1;
        tx.commit().await.map_err(backend)?;
        Ok(added)
    }

    async fn client_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ClientToken>> {
        let row = sqlx::query(
            "SELECT c.*, t.scopes AS token_scopes, t.expires_at FROM api_client_tokens t
             JOIN api_clients c ON c.id = t.client_id
             WHERE t.token_hash = $1 AND t.expires_at > $2 AND c.revoked_at IS NULL",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let found = ClientToken {
            client: client(&r)?,
            scopes: scopes(r.try_get("token_scopes").map_err(backend)?)?,
            expires_at: r.try_get("expires_at").map_err(backend)?,
        };
        if found
            .client
            .last_used_at
            .is_none_or(|t| now - t > chrono::Duration::seconds(60))
        {
            sqlx::query("UPDATE api_clients SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(found.client.id)
                .execute(&self.write)
                .await
                .map_err(backend)?;
        }
        Ok(Some(found))
    }
}
