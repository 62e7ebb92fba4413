//! Single sign-on: provider identities linked to accounts, and sign-ins in flight.

use super::audit::append;
use super::engine::{backend, DbConn, DbRow, Store};
use super::{rows, users::insert_user};
use async_trait::async_trait;
use chrono::Duration;
use sqlx::Row;
use storage::{
    Actor, AuditEntry, LinkRefused, NewUser, Result, SignInAttempt, SignInIdentity, SignOnStore,
    StorageError, User,
};

fn identity(r: &DbRow) -> Result<SignInIdentity> {
    Ok(SignInIdentity {
        id: r.try_get("id").map_err(backend)?,
        user_id: r.try_get("user_id").map_err(backend)?,
        provider: r.try_get("provider").map_err(backend)?,
        subject: r.try_get("subject").map_err(backend)?,
        linked_how: r.try_get("linked_how").map_err(backend)?,
        linked_by: r.try_get("linked_by").map_err(backend)?,
        linked_at: r.try_get("linked_at").map_err(backend)?,
        last_used_at: r.try_get("last_used_at").map_err(backend)?,
        label: r.try_get("label").map_err(backend)?,
        confirmed_at: r.try_get("confirmed_at").map_err(backend)?,
    })
}

fn attempt(r: &DbRow) -> Result<SignInAttempt> {
    Ok(SignInAttempt {
        state_hash: r.try_get("state_hash").map_err(backend)?,
        browser_hash: r.try_get("browser_hash").map_err(backend)?,
        provider: r.try_get("provider").map_err(backend)?,
        nonce: r.try_get("nonce").map_err(backend)?,
        pkce_verifier: r.try_get("pkce_verifier").map_err(backend)?,
        link_user_id: r.try_get("link_user_id").map_err(backend)?,
        next: r.try_get("next").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
    })
}

/// The PCN an account belongs to (none for partners and operators), for its audit entries.
async fn pcn_of(conn: &mut DbConn, user: i64) -> Result<Option<i64>> {
    sqlx::query("SELECT pcn_id FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?
        .ok_or(StorageError::NotFound)?
        .try_get("pcn_id")
        .map_err(backend)
}

/// The audit detail of a link: which provider, how, never the subject itself in full
/// (enough of it to tell two apart).
fn link_detail(provider: &str, subject: &str, how: &str) -> String {
    let shown: String = subject.chars().take(8).collect();
    format!("{provider} identity {shown}… linked ({how})")
}

#[async_trait]
impl SignOnStore for Store {
    async fn put_sign_in_attempt(&self, a: &SignInAttempt) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE created_at < $1")
            .bind(storage::now() - Duration::hours(1))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "INSERT INTO sign_in_attempts (state_hash, browser_hash, provider, nonce,
               pkce_verifier, link_user_id, next, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.state_hash)
        .bind(&a.browser_hash)
        .bind(&a.provider)
        .bind(&a.nonce)
        .bind(&a.pkce_verifier)
        .bind(a.link_user_id)
        .bind(&a.next)
        .bind(a.created_at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn take_sign_in_attempt(&self, state_hash: &str) -> Result<Option<SignInAttempt>> {
        let r = sqlx::query("DELETE FROM sign_in_attempts WHERE state_hash = $1 RETURNING *")
            .bind(state_hash)
            .fetch_optional(&self.write)
            .await
            .map_err(backend)?;
        r.as_ref().map(attempt).transpose()
    }

    async fn identity_user(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<(SignInIdentity, User)>> {
        let Some(r) =
            sqlx::query("SELECT * FROM sign_in_identities WHERE provider = $1 AND subject = $2")
                .bind(provider)
                .bind(subject)
                .fetch_optional(&self.read)
                .await
                .map_err(backend)?
        else {
            return Ok(None);
        };
        let id = identity(&r)?;
        let u = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id.user_id)
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        Ok(Some((id, rows::user(&u)?)))
    }

    async fn identities_of(&self, user: i64) -> Result<Vec<SignInIdentity>> {
        let rs =
            sqlx::query("SELECT * FROM sign_in_identities WHERE user_id = $1 ORDER BY provider")
                .bind(user)
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
        rs.iter().map(identity).collect()
    }

    async fn link_identity(
        &self,
        user: i64,
        provider: &str,
        subject: &str,
        how: &str,
        label: &str,
        actor: &Actor,
    ) -> Result<std::result::Result<SignInIdentity, LinkRefused>> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let taken = sqlx::query(
            "SELECT user_id FROM sign_in_identities WHERE provider = $1 AND (subject = $2 OR user_id = $3)",
        )
        .bind(provider)
        .bind(subject)
        .bind(user)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let owners = taken
            .iter()
            .map(|r| r.try_get::<i64, _>("user_id"))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(backend)?;
        if owners.iter().any(|o| *o != user) {
            return Ok(Err(LinkRefused::TakenByAnother));
        }
        if !owners.is_empty() {
            return Ok(Err(LinkRefused::AccountHasOne));
        }
        let pcn = pcn_of(&mut tx, user).await?;
        let now = storage::now();
        let r = sqlx::query(
            "INSERT INTO sign_in_identities (user_id, provider, subject, linked_how, linked_by,
               linked_at, label, confirmed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(user)
        .bind(provider)
        .bind(subject)
        .bind(how)
        .bind(actor.user_id)
        .bind(now)
        .bind(label)
        .bind((how != "admin").then_some(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "sso.link", "user", Some(user), pcn)
                .detail(link_detail(provider, subject, how)),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(Ok(identity(&r)?))
    }

    async fn unlink_identity(&self, user: i64, id: i64, actor: &Actor) -> Result<bool> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let Some(r) = sqlx::query(
            "DELETE FROM sign_in_identities WHERE id = $1 AND user_id = $2 RETURNING provider",
        )
        .bind(id)
        .bind(user)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        else {
            return Ok(false);
        };
        let provider: String = r.try_get("provider").map_err(backend)?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND via = $2")
            .bind(user)
            .bind(&provider)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        let pcn = pcn_of(&mut tx, user).await?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "sso.unlink", "user", Some(user), pcn).detail(format!(
                "{provider} identity unlinked; {ended} session(s) signed in through it ended"
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn confirm_identity(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query(
            "UPDATE sign_in_identities SET confirmed_at = $1 WHERE id = $2 RETURNING user_id, provider",
        )
        .bind(storage::now())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::NotFound)?;
        let user: i64 = r.try_get("user_id").map_err(backend)?;
        let provider: String = r.try_get("provider").map_err(backend)?;
        let pcn = pcn_of(&mut tx, user).await?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "sso.confirm", "user", Some(user), pcn).detail(format!(
                "the {provider} identity's holder confirmed this account"
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn purge_sessions(
        &self,
        idle_before: chrono::DateTime<chrono::Utc>,
        begun_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                .bind(idle_before)
                .bind(begun_before)
                .execute(&self.write)
                .await
                .map_err(backend)?
                .rows_affected(),
        )
    }

    async fn touch_identity(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE sign_in_identities SET last_used_at = $1 WHERE id = $2")
            .bind(storage::now())
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn create_user_with_identity(
        &self,
        user: NewUser,
        provider: &str,
        subject: &str,
        label: &str,
        actor: &Actor,
    ) -> Result<User> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let u = insert_user(&mut tx, user, actor).await?;
        let now = storage::now();
        sqlx::query(
            "INSERT INTO sign_in_identities (user_id, provider, subject, linked_how, linked_by,
               linked_at, label, confirmed_at)
             VALUES ($1, $2, $3, 'first sign-in', NULL, $4, $5, $4)",
        )
        .bind(u.id)
        .bind(provider)
        .bind(subject)
        .bind(now)
        .bind(label)
        .execute(&mut *tx)
        .await
        .map_err(|e| match backend(e) {
            StorageError::Duplicate(_) => {
                StorageError::Duplicate("That identity is already linked to an account".into())
            }
            other => other,
        })?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "sso.link", "user", Some(u.id), u.pcn_id).detail(link_detail(
                provider,
                subject,
                "first sign-in",
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(u)
    }
}
