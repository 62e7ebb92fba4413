//! Accounts, sessions and API tokens.

use super::engine::{backend, Db, DbConn, DbRow, Store};
use super::{audit::append, rows};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Code, Role};
use sqlx::{QueryBuilder, Row};
use storage::{
    Actor, ApiToken, AuditEntry, NewUser, Result, Session, StorageError, User, UserStore,
};

fn token(r: &DbRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id").map_err(backend)?,
        user_id: r.try_get("user_id").map_err(backend)?,
        name: r.try_get("name").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        last_used_at: r.try_get("last_used_at").map_err(backend)?,
        revoked_at: r.try_get("revoked_at").map_err(backend)?,
    })
}

/// Makes an account (audited `user.create`) within the caller's transaction.
pub(super) async fn insert_user(conn: &mut DbConn, u: NewUser, actor: &Actor) -> Result<User> {
    let email = u.email.trim().to_lowercase();
    let now = storage::now();
    let row = sqlx::query(
        "INSERT INTO users (email, name, role, pcn_id, partner_org_id, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(&email)
    .bind(&u.name)
    .bind(u.role.code())
    .bind(u.pcn_id)
    .bind(u.partner_org_id)
    .bind(&u.password_hash)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match backend(e) {
        StorageError::Duplicate(_) => {
            StorageError::Duplicate(format!("An account with the email {email} already exists"))
        }
        other => other,
    })?;
    let user = rows::user(&row)?;
    append(
        &mut *conn,
        &AuditEntry::new(actor, "user.create", "user", Some(user.id), user.pcn_id).detail(format!(
            "{} as {}",
            email,
            u.role.code()
        )),
    )
    .await?;
    Ok(user)
}

/// Ends an account's sessions (but `keep`, the one asking) and revokes its API tokens:
/// access opened with credentials that no longer hold. How many of each.
async fn end_access(conn: &mut DbConn, user: i64, keep: Option<&str>) -> Result<(u64, u64)> {
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user)
        .bind(keep.unwrap_or_default())
        .execute(&mut *conn)
        .await
        .map_err(backend)?
        .rows_affected();
    let revoked = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(storage::now())
    .bind(user)
    .execute(&mut *conn)
    .await
    .map_err(backend)?
    .rows_affected();
    Ok((ended, revoked))
}

/// Replaces an account's recovery codes with these (SHA-256 hashes).
async fn put_recovery_codes(conn: &mut DbConn, user: i64, hashes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user)
            .bind(h)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

#[async_trait]
impl UserStore for Store {
    async fn create_user(&self, u: NewUser, actor: &Actor) -> Result<User> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let user = insert_user(&mut tx, u, actor).await?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let r = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        r.as_ref().map(rows::user).transpose()
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let r = sqlx::query("SELECT * FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        r.as_ref().map(rows::user).transpose()
    }

    async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<User>> {
        if emails.is_empty() {
            return Ok(vec![]);
        }
        let mut q: QueryBuilder<Db> = QueryBuilder::new("SELECT * FROM users WHERE email IN (");
        let mut list = q.separated(", ");
        for e in emails.iter().take(500) {
            list.push_bind(e.trim().to_lowercase());
        }
        q.push(")");
        let rs = q.build().fetch_all(&self.read).await.map_err(backend)?;
        rs.iter().map(rows::user).collect()
    }

    async fn list_users(&self, pcn: Option<i64>) -> Result<Vec<User>> {
        let rs = match pcn {
            Some(p) => {
                sqlx::query("SELECT * FROM users WHERE pcn_id = $1 ORDER BY name")
                    .bind(p)
                    .fetch_all(&self.read)
                    .await
            }
            None => {
                sqlx::query("SELECT * FROM users ORDER BY name")
                    .fetch_all(&self.read)
                    .await
            }
        }
        .map_err(backend)?;
        rs.iter().map(rows::user).collect()
    }

    async fn update_user(&self, id: i64, name: &str, role: Role, actor: &Actor) -> Result<User> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let before = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
        let before = rows::user(&before)?;
        // An account keeps its kind: a PCN's staff account stays a staff role of that PCN, a
        // partner's stays a partner's, an operator's an operator's.
        let kind = |r: Role| match r {
            Role::Partner => 1,
            Role::Operator => 2,
            _ => 0,
        };
        if kind(role) != kind(before.role) {
            return Err(StorageError::Rule(format!(
                "A {} account cannot become a {} account",
                before.role.label().to_lowercase(),
                role.label().to_lowercase()
            )));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(StorageError::Rule("Enter the person's name".into()));
        }
        let row = sqlx::query("UPDATE users SET name = $1, role = $2 WHERE id = $3 RETURNING *")
            .bind(name)
            .bind(role.code())
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let after = rows::user(&row)?;
        let mut changes = vec![];
        if before.name != after.name {
            changes.push(format!("name {:?} to {:?}", before.name, after.name));
        }
        if before.role != after.role {
            changes.push(format!(
                "role {} to {}",
                before.role.label(),
                after.role.label()
            ));
            // A new role takes effect at the next sign-in: end the account's sessions.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        if !changes.is_empty() {
            append(
                &mut tx,
                &AuditEntry::new(actor, "user.update", "user", Some(id), after.pcn_id)
                    .detail(changes.join("; ")),
            )
            .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(after)
    }

    async fn set_user_disabled(&self, id: i64, disabled: bool, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2 RETURNING pcn_id")
            .bind(disabled)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
        let pcn: Option<i64> = r.try_get("pcn_id").map_err(backend)?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            // Disabling revokes the account's API tokens for good: enabling it again
            // does not bring them back.
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(storage::now())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        append(
            &mut tx,
            &AuditEntry::new(actor, action, "user", Some(id), pcn),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn set_password(&self, id: i64, password_hash: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL WHERE id = $2 RETURNING pcn_id")
            .bind(password_hash)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
        let pcn: Option<i64> = r.try_get("pcn_id").map_err(backend)?;
        // A new password also ends API access made with the old one.
        end_access(&mut tx, id, None).await?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "user.password", "user", Some(id), pcn),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn record_login_failure(
        &self,
        id: i64,
        max_failures: u32,
        lock_until: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<u32> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins, pcn_id")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
        let count = r.try_get::<i64, _>("failed_logins").map_err(backend)? as u32;
        let pcn: Option<i64> = r.try_get("pcn_id").map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "signin.failed", "user", Some(id), pcn)
                .detail(format!("failure {count}")),
        )
        .await?;
        if count >= max_failures {
            sqlx::query("UPDATE users SET locked_until = $1, failed_logins = 0 WHERE id = $2")
                .bind(lock_until)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            append(
                &mut tx,
                &AuditEntry::new(actor, "signin.locked", "user", Some(id), pcn)
                    .detail(format!("locked until {lock_until}")),
            )
            .await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(count)
    }

    async fn record_login_success(&self, id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, last_sign_in_at = $1 WHERE id = $2 RETURNING pcn_id")
            .bind(storage::now())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
        let pcn: Option<i64> = r.try_get("pcn_id").map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "signin.success", "user", Some(id), pcn),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn set_totp_pending(&self, user: i64, pending: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2 RETURNING pcn_id")
            .bind(pending)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StorageError::NotFound)?;
        let pcn: Option<i64> = r.try_get("pcn_id").map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "mfa.start", "user", Some(user), pcn)
                .detail("started setting up an authenticator app"),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn enable_totp(
        &self,
        user: i64,
        (pending, secret): (&str, &str),
        step: i64,
        recovery_hashes: &[String],
        keep_session: Option<&str>,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let now = storage::now();
        // Only the secret being set up, by this session, may be confirmed.
        let r = sqlx::query(
            "UPDATE users SET totp_secret = $1, totp_pending = NULL, totp_last_step = $2,
               totp_enabled_at = $3, totp_failures = 0 WHERE id = $4 AND totp_pending = $5
             RETURNING pcn_id",
        )
        .bind(secret)
        .bind(step)
        .bind(now)
        .bind(user)
        .bind(pending)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or_else(|| {
            StorageError::Rule("Start setting up your authenticator app again".into())
        })?;
        let pcn: Option<i64> = r.try_get("pcn_id").map_err(backend)?;
        put_recovery_codes(&mut tx, user, recovery_hashes).await?;
        // Sessions and tokens opened with the password alone end here.
        let (ended, revoked) = end_access(&mut tx, user, keep_session).await?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "mfa.enrol", "user", Some(user), pcn).detail(format!(
                "authenticator app set up, {} recovery codes; {ended} other sessions ended, {revoked} API tokens revoked",
                recovery_hashes.len()
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn take_totp_step(&self, user: i64, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1, totp_failures = 0
             WHERE id = $2 AND totp_secret IS NOT NULL
               AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn take_totp_attempt(&self, user: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_failures = totp_failures + 1 WHERE id = $1 AND totp_failures < $2",
        )
        .bind(user)
        .bind(storage::TOTP_MAX_FAILURES)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user: i64, code_hash: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1
             WHERE id = (SELECT id FROM recovery_codes
                         WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL LIMIT 1)
               AND used_at IS NULL",
        )
        .bind(storage::now())
        .bind(user)
        .bind(code_hash)
        .execute(&self.write)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 1 {
            sqlx::query("UPDATE users SET totp_failures = 0 WHERE id = $1")
                .bind(user)
                .execute(&self.write)
                .await
                .map_err(backend)?;
        }
        Ok(done.rows_affected() == 1)
    }

    async fn recovery_codes_left(&self, user: i64) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user)
        .fetch_one(&self.read)
        .await
        .map_err(backend)?;
        Ok(n)
    }

    async fn replace_recovery_codes(
        &self,
        user: i64,
        hashes: &[String],
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let pcn: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT pcn_id FROM users WHERE id = $1 AND totp_secret IS NOT NULL")
                .bind(user)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        let Some((pcn,)) = pcn else {
            return Err(StorageError::Rule(
                "Set up an authenticator app first".into(),
            ));
        };
        put_recovery_codes(&mut tx, user, hashes).await?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "mfa.recovery_codes", "user", Some(user), pcn).detail(format!(
                "{} new recovery codes; the old ones no longer work",
                hashes.len()
            )),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn remove_second_factor(&self, user: i64, action: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL,
               totp_enabled_at = NULL, totp_failures = 0 WHERE id = $1 RETURNING pcn_id",
        )
        .bind(user)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StorageError::NotFound)?;
        let pcn: Option<i64> = r.try_get("pcn_id").map_err(backend)?;
        put_recovery_codes(&mut tx, user, &[]).await?;
        end_access(&mut tx, user, None).await?;
        append(
            &mut tx,
            &AuditEntry::new(actor, action, "user", Some(user), pcn)
                .detail("second factor removed; sessions ended, API tokens revoked"),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, via, id_token_hint)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&s.id_hash)
        .bind(s.user_id)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(&s.via)
        .bind(&s.id_token_hint)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn session_with_user(&self, id_hash: &str) -> Result<Option<(Session, User)>> {
        let r = sqlx::query(
            // Every session column is renamed so no users column can shadow one (the CSRF
            // token above all): sqlx gives a repeated column name its last value.
            "SELECT s.id_hash AS session_id_hash, s.user_id AS session_user_id,
                s.csrf_token AS session_csrf_token, s.created_at AS session_created_at,
                s.last_seen_at AS session_last_seen_at, s.via AS session_via,
                s.id_token_hint AS session_id_token_hint, u.*
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        r.map(|r| {
            let session = Session {
                id_hash: r.try_get("session_id_hash").map_err(backend)?,
                user_id: r.try_get("session_user_id").map_err(backend)?,
                csrf_token: r.try_get("session_csrf_token").map_err(backend)?,
                created_at: r.try_get("session_created_at").map_err(backend)?,
                last_seen_at: r.try_get("session_last_seen_at").map_err(backend)?,
                via: r.try_get("session_via").map_err(backend)?,
                id_token_hint: r.try_get("session_id_token_hint").map_err(backend)?,
            };
            Ok((session, rows::user(&r)?))
        })
        .transpose()
    }

    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(at)
            .bind(id_hash)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn put_notice(
        &self,
        user_id: i64,
        token_hash: &str,
        body: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query("DELETE FROM one_time_notices WHERE expires_at < $1")
            .bind(storage::now())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "INSERT INTO one_time_notices (token_hash, user_id, body, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(body)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn take_notice(
        &self,
        user_id: i64,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let row: Option<(String, DateTime<Utc>)> = sqlx::query_as(
            "DELETE FROM one_time_notices WHERE token_hash = $1 AND user_id = $2 RETURNING body, expires_at",
        )
        .bind(token_hash)
        .bind(user_id)
        .fetch_optional(&self.write)
        .await
        .map_err(backend)?;
        Ok(row.filter(|(_, until)| *until >= now).map(|(body, _)| body))
    }

    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        actor: &Actor,
    ) -> Result<ApiToken> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING *")
            .bind(user_id)
            .bind(name)
            .bind(token_hash)
            .bind(storage::now())
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let t = token(&r)?;
        let (pcn,): (Option<i64>,) = sqlx::query_as("SELECT pcn_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "token.create", "api_token", Some(t.id), pcn).detail(name),
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(t)
    }

    async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let rs = sqlx::query("SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY id DESC")
            .bind(user_id)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rs.iter().map(token).collect()
    }

    async fn revoke_api_token(&self, user_id: i64, token_id: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(storage::now())
            .bind(token_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        let (pcn,): (Option<i64>,) = sqlx::query_as("SELECT pcn_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        append(
            &mut tx,
            &AuditEntry::new(actor, "token.revoke", "api_token", Some(token_id), pcn),
        )
        .await?;
        tx.commit().await.map_err(backend)
    }

    async fn api_token_by_hash(
        &self,
        token_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<ApiToken>> {
        let r = sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING *")
            .bind(at)
            .bind(token_hash)
            .fetch_optional(&self.write)
            .await
            .map_err(backend)?;
        r.as_ref().map(token).transpose()
    }
}
