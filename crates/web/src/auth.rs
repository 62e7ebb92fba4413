//! Who is asking: passwords (argon2id), database-backed sessions, API tokens, CSRF, and
//! the checks every handler makes before touching a person's record.

use crate::form::FormData;
use crate::{AppError, AppState};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use storage::{Actor, AuditEntry, User};

pub const SESSION_COOKIE: &str = "lw_session";
pub const LOGIN_CSRF_COOKIE: &str = "lw_login_csrf";

/// The session cookie's name: over HTTPS with the `__Host-` prefix, which browsers accept
/// only `Secure`, for the whole site and from this host (no subdomain can set or shadow it).
pub fn session_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-lw_session"
    } else {
        SESSION_COOKIE
    }
}

/// The sign-in form's double-submit cookie, named like [`session_cookie`].
pub fn login_csrf_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-lw_login_csrf"
    } else {
        LOGIN_CSRF_COOKIE
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AppError::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        // An account with no password (made at a single sign-on) takes as long to refuse
        // as any other: timing must not tell which accounts have none.
        Err(_) => {
            if let Ok(h) = PasswordHash::new(dummy_hash()) {
                let _ = Argon2::default().verify_password(password.as_bytes(), &h);
            }
            false
        }
    }
}

/// A hash to verify against when the account does not exist, so the answer takes as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password at all").unwrap_or_default())
}

/// What makes a password acceptable (NCSC: length over complexity).
pub fn password_problem(password: &str, email: &str) -> Option<&'static str> {
    if password.chars().count() < 10 {
        Some("Password must be at least 10 characters long")
    } else if password.chars().count() > 200 {
        Some("Password must be 200 characters or fewer")
    } else if password.eq_ignore_ascii_case(email) {
        Some("Password must not be your email address")
    } else {
        None
    }
}

/// 32 random bytes as hex.
pub fn random_token() -> Result<String, AppError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(hex::encode(b))
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when served over TLS.
pub fn set_cookie(
    name: &str,
    value: &str,
    secure: bool,
    max_age: Option<i64>,
) -> Result<HeaderValue, AppError> {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).map_err(|_| AppError::Internal("cookie value".into()))
}

/// The caller's network address: the connection's, or (only when configured to trust a
/// reverse proxy) the last entry of `X-Forwarded-For`, which that proxy appended.
pub fn client_ip(parts: &Parts, config: &crate::WebConfig) -> Option<String> {
    if config.trust_forwarded_for {
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .and_then(|a| a.trim().parse::<std::net::IpAddr>().ok());
        if let Some(a) = forwarded {
            return Some(a.to_string());
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// A signed-in user, from a session cookie (pages) or an API token (`/api/v1`).
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    /// The session's CSRF token (empty for API tokens, which need none).
    pub csrf: String,
    pub ip: Option<String>,
    pub via_token: bool,
    /// The page asked for (path and query), to come back to after giving a reason.
    pub path: String,
    /// The session's id hash (none for API tokens): which of the user's sessions this is.
    pub session_hash: Option<String>,
}

impl Auth {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            label: self.user.email.clone(),
            ip: self.ip.clone(),
        }
    }

    /// The user's PCN (partners have none: they cannot reach PCN records).
    pub fn pcn(&self) -> Result<i64, AppError> {
        self.user.pcn_id.ok_or(AppError::Forbidden)
    }

    /// Allows the request if `allowed`; otherwise audits the refusal and answers 403.
    pub async fn require(
        &self,
        state: &AppState,
        allowed: bool,
        what: &str,
    ) -> Result<(), AppError> {
        if allowed {
            return Ok(());
        }
        let entry = AuditEntry::new(
            &self.actor(),
            "access.forbidden",
            "route",
            None,
            self.user.pcn_id,
        )
        .detail(what);
        state.store.append_audit(&entry).await?;
        Err(AppError::Forbidden)
    }

    /// Audits an attempt to reach a record that is not in the user's PCN (or does not
    /// exist) and answers 404, the same answer for both so nothing leaks.
    pub async fn not_found(&self, state: &AppState, entity: &str, id: i64) -> AppError {
        let entry = AuditEntry::new(
            &self.actor(),
            "access.denied",
            entity,
            Some(id),
            self.user.pcn_id,
        )
        .detail("not found in the user's PCN");
        match state.store.append_audit(&entry).await {
            Ok(()) => AppError::NotFound,
            Err(e) => e.into(),
        }
    }

    /// Audits a read of a person's record.
    pub async fn audit_read(
        &self,
        state: &AppState,
        action: &str,
        person_id: Option<i64>,
        detail: String,
    ) -> Result<(), AppError> {
        let entity = if person_id.is_some() {
            "person"
        } else {
            "people"
        };
        let entry = AuditEntry::new(&self.actor(), action, entity, person_id, self.user.pcn_id)
            .detail(detail);
        Ok(state.store.append_audit(&entry).await?)
    }

    /// Need-to-know: a link worker may open a person of their PCN only when the person is
    /// theirs (an episode of theirs or an open one waiting in triage, a record they added) or they
    /// have said why (`/people/{id}/access`, audited). Managers and GP supervisors oversee the
    /// whole PCN and are not asked. Call after the person is known to be in the PCN.
    pub async fn need_to_know(
        &self,
        state: &AppState,
        pcn: i64,
        person: i64,
    ) -> Result<(), AppError> {
        if self.user.role != domain::Role::LinkWorker
            || state
                .store
                .person_is_theirs(pcn, person, self.user.id, Utc::now())
                .await?
        {
            return Ok(());
        }
        let next = if self.path.starts_with('/') && !self.path.starts_with("//") {
            self.path.clone()
        } else {
            format!("/people/{person}")
        };
        // The attempt is on the PCN's audit log whether or not a reason follows.
        let entry = AuditEntry::new(
            &self.actor(),
            "access.reason_asked",
            "person",
            Some(person),
            Some(pcn),
        )
        .detail(format!("not theirs; asked why before {next}"));
        state.store.append_audit(&entry).await?;
        Err(AppError::NeedReason { person, next })
    }

    /// [`Auth::need_to_know`] for the person of episode `id`, before a change to it; a
    /// missing episode passes, so the store answers it as it answers any missing record.
    pub async fn need_to_know_episode(
        &self,
        state: &AppState,
        pcn: i64,
        id: i64,
    ) -> Result<(), AppError> {
        match state.store.get_episode(pcn, id).await? {
            Some(ep) => self.need_to_know(state, pcn, ep.person_id).await,
            None => Ok(()),
        }
    }

    /// Audits a read of a person's record that belongs to `pcn`, which may not be the
    /// reader's own (a partner reading a PCN's referral): the entry carries the PCN that owns
    /// the data, so that PCN's audit view shows who read its people.
    pub async fn audit_read_in(
        &self,
        state: &AppState,
        action: &str,
        pcn: i64,
        person_id: i64,
        detail: String,
    ) -> Result<(), AppError> {
        let entry = AuditEntry::new(&self.actor(), action, "person", Some(person_id), Some(pcn))
            .detail(detail);
        Ok(state.store.append_audit(&entry).await?)
    }

    /// Audits a list or search that showed people: one entry per PCN whose people were
    /// shown, naming each person shown (`shown` is (PCN, person) pairs, in the order shown),
    /// so a PCN's audit view says who saw whom, not only how many.
    pub async fn audit_shown(
        &self,
        state: &AppState,
        action: &str,
        shown: &[(i64, i64)],
        detail: &str,
    ) -> Result<(), AppError> {
        if shown.is_empty() {
            let entry = AuditEntry::new(&self.actor(), action, "people", None, self.user.pcn_id)
                .detail(format!("{detail}; nobody shown"));
            return Ok(state.store.append_audit(&entry).await?);
        }
        let mut pcns: Vec<i64> = shown.iter().map(|(p, _)| *p).collect();
        pcns.sort_unstable();
        pcns.dedup();
        for pcn in pcns {
            let mut people: Vec<String> = Vec::new();
            for (_, person) in shown.iter().filter(|(p, _)| *p == pcn) {
                let id = person.to_string();
                if !people.contains(&id) {
                    people.push(id);
                }
            }
            let entry = AuditEntry::new(&self.actor(), action, "people", None, Some(pcn))
                .detail(format!("{detail}; shown: people {}", people.join(", ")));
            state.store.append_audit(&entry).await?;
        }
        Ok(())
    }

    /// Tells each PCN whose referrals partner organisation `org` sees that someone was given a
    /// way in as that partner (an account, a new password, an API client): an entry on each
    /// such PCN's audit log, so its manager sees who can read its people's referrals.
    pub async fn audit_partner_credential(
        &self,
        state: &AppState,
        org: i64,
        what: &str,
    ) -> Result<(), AppError> {
        for link in state.store.partner_links(None, Some(org)).await? {
            if !link.is_live() {
                continue;
            }
            let entry = AuditEntry::new(
                &self.actor(),
                "partner.credential",
                "partner_org",
                Some(org),
                Some(link.pcn_id),
            )
            .detail(format!("{}: {what}", link.partner_name));
            state.store.append_audit(&entry).await?;
        }
        Ok(())
    }

    /// Checks the password typed again (to make a token, to change it). Failures count with
    /// sign-in's for this account and address and are audited, so a borrowed session cannot
    /// be used to guess the password; while paused, even the right one is refused.
    pub async fn password_again(&self, state: &AppState, password: &str) -> Result<bool, AppError> {
        let address = self.ip.clone().unwrap_or_else(|| "unknown".into());
        let key = crate::throttle::account_key(self.user.id, &address);
        let window = state.config.lockout;
        // Counted as a failure before it is checked and given back if right, so guesses
        // sent all at once cannot all get in under the limit.
        let attempt = state
            .throttle
            .attempt(&key, state.config.max_failed_logins, window)
            .await?;
        let paused = attempt.is_none();
        if let Some(a) = attempt {
            if verify_password(password, &self.user.password_hash) {
                state.throttle.release(a).await?;
                return Ok(true);
            }
        }
        let entry = AuditEntry::new(
            &self.actor(),
            "password.again_refused",
            "user",
            Some(self.user.id),
            self.user.pcn_id,
        )
        .detail(if paused {
            "paused after failed attempts from this address"
        } else {
            "wrong password"
        });
        state.store.append_audit(&entry).await?;
        Ok(false)
    }

    /// Parses a submitted form, refusing it unless it carries this session's CSRF token.
    pub fn form(&self, body: &[u8]) -> Result<FormData, AppError> {
        let form = FormData::parse(body);
        if self.csrf.is_empty()
            || !constant_time_eq(form.get("_csrf").as_bytes(), self.csrf.as_bytes())
        {
            return Err(AppError::Csrf);
        }
        if form.has_nul() {
            return Err(AppError::BadRequest(crate::form::NUL_REFUSED.into()));
        }
        Ok(form)
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = client_ip(parts, &state.config);
        // Nested routers see a shortened path; the original one says where we are.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
        let api = uri.path().starts_with("/api/");
        let next = uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.to_string());
        // Only a page read can be come back to after saying why (a form is sent again).
        let path = if parts.method == axum::http::Method::GET {
            next.clone()
        } else {
            String::new()
        };
        let unauth = || AppError::Unauthenticated {
            next: next.clone(),
            api,
        };
        let now = Utc::now();
        if api {
            let token = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(unauth)?;
            let lifetime =
                chrono::Duration::from_std(state.config.api_token_lifetime).unwrap_or_default();
            let t = state
                .store
                .api_token_by_hash(&sha256_hex(token.trim()), now)
                .await?
                .filter(|t| now - t.created_at <= lifetime)
                .ok_or_else(unauth)?;
            let user = state
                .store
                .user_by_id(t.user_id)
                .await?
                .filter(|u| !u.disabled)
                .ok_or_else(unauth)?;
            // The role policy holds for tokens too: no second factor, no API.
            if state.config.second_factor_roles.contains(&user.role) && !user.has_second_factor() {
                return Err(AppError::SecondFactorNeeded { api: true });
            }
            return Ok(Auth {
                user,
                csrf: String::new(),
                ip,
                via_token: true,
                path,
                session_hash: None,
            });
        }
        let raw =
            cookie(&parts.headers, session_cookie(state.config.https())).ok_or_else(unauth)?;
        let id_hash = sha256_hex(&raw);
        let (session, user) = state
            .store
            .session_with_user(&id_hash)
            .await?
            .ok_or_else(unauth)?;
        let idle = chrono::Duration::from_std(state.config.session_idle).unwrap_or_default();
        let absolute =
            chrono::Duration::from_std(state.config.session_absolute).unwrap_or_default();
        if now - session.last_seen_at > idle || now - session.created_at > absolute {
            state.store.delete_session(&id_hash).await?;
            return Err(unauth());
        }
        if user.disabled {
            return Err(unauth());
        }
        if now - session.last_seen_at > chrono::Duration::seconds(60) {
            state.store.touch_session(&id_hash, storage::now()).await?;
        }
        // A role the deployment requires a second factor for: nothing but setting one up
        // (and signing out) until it is.
        let setting_up = uri.path().starts_with("/settings/second-factor")
            || uri.path() == "/logout"
            || uri.path().starts_with("/static/");
        // A session signed in through a single sign-on provider relies on its factors.
        if state.config.second_factor_roles.contains(&user.role)
            && !user.has_second_factor()
            && session.via.is_none()
            && !setting_up
        {
            return Err(AppError::SecondFactorNeeded { api: false });
        }
        let auth = Auth {
            session_hash: Some(id_hash.clone()),
            user,
            csrf: session.csrf_token,
            ip,
            via_token: false,
            path,
        };
        crate::error::remember_signed_in(&auth);
        Ok(auth)
    }
}

/// A signed-in user, if any (for pages that anyone may see).
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Auth::from_request_parts(parts, state).await {
            Ok(a) => Ok(MaybeAuth(Some(a))),
            Err(AppError::Unauthenticated { .. }) => Ok(MaybeAuth(None)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn password_rules() {
        assert!(password_problem("short", "a@b.c").is_some());
        assert!(password_problem("someone@example.org", "someone@example.org").is_some());
        assert!(password_problem("a long enough passphrase", "a@b.c").is_none());
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; lw_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
