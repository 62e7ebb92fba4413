//! Single sign-on (OpenID Connect): which provider identities are linked to which Linkwork
//! accounts, and the sign-ins sent to a provider that have not come back yet.
//!
//! Accounts stay Linkwork's: role and PCN never come from a provider. An identity is linked
//! by an administrator, by the user proving their password once, or (only where the
//! deployment turns it on for a provider and email domain) made with a new account at first
//! sign-in.

use crate::{Actor, NewUser, Result, User};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A provider identity linked to an account.
#[derive(Debug, Clone, Serialize)]
pub struct SignInIdentity {
    pub id: i64,
    pub user_id: i64,
    pub provider: String,
    pub subject: String,
    /// `password` (the user linked it), `admin`, or `first sign-in`.
    pub linked_how: String,
    pub linked_by: Option<i64>,
    pub linked_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Who the provider said it was when linked (an email or name).
    pub label: String,
    /// When its holder confirmed the account (an administrator's link waits for this).
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// A sign-in sent to a provider, waiting for it to come back.
#[derive(Debug, Clone)]
pub struct SignInAttempt {
    /// SHA-256 of the `state` sent to the provider.
    pub state_hash: String,
    /// SHA-256 of the cookie given to the browser that started it: the answer must come
    /// back to the same browser.
    pub browser_hash: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// Set when a signed-in user is linking their own identity.
    pub link_user_id: Option<i64>,
    /// Where to go after signing in (a local path).
    pub next: String,
    pub created_at: DateTime<Utc>,
}

/// Why an identity could not be linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRefused {
    /// The identity is already linked to another account.
    TakenByAnother,
    /// The account already has an identity at this provider.
    AccountHasOne,
}

#[async_trait]
pub trait SignOnStore: Send + Sync {
    /// Keeps a sign-in sent to a provider (clearing ones older than an hour).
    async fn put_sign_in_attempt(&self, attempt: &SignInAttempt) -> Result<()>;
    /// Takes the sign-in with this state hash, once: a second call finds nothing.
    async fn take_sign_in_attempt(&self, state_hash: &str) -> Result<Option<SignInAttempt>>;

    /// The account a provider identity is linked to, with the link.
    async fn identity_user(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<(SignInIdentity, User)>>;
    /// An account's linked identities.
    async fn identities_of(&self, user: i64) -> Result<Vec<SignInIdentity>>;
    /// Links an identity to an account (audited `sso.link`, saying how). A link by its
    /// holder (`how` = `password`) is confirmed at once; an administrator's (`admin`) waits
    /// for the holder to confirm the account at its first sign-in.
    async fn link_identity(
        &self,
        user: i64,
        provider: &str,
        subject: &str,
        how: &str,
        label: &str,
        actor: &Actor,
    ) -> Result<std::result::Result<SignInIdentity, LinkRefused>>;
    /// The holder confirmed an administrator's link (audited `sso.confirm`).
    async fn confirm_identity(&self, identity: i64, actor: &Actor) -> Result<()>;
    /// Ends sessions idle since `idle_before` or begun before `begun_before` (they no longer
    /// open anything; this clears what they hold, such as a provider's id token).
    async fn purge_sessions(
        &self,
        idle_before: DateTime<Utc>,
        begun_before: DateTime<Utc>,
    ) -> Result<u64>;
    /// Removes a link (audited `sso.unlink`) and ends the sessions signed in through that
    /// provider. False when the account has no such link.
    async fn unlink_identity(&self, user: i64, identity: i64, actor: &Actor) -> Result<bool>;
    /// Notes an identity was used to sign in.
    async fn touch_identity(&self, identity: i64) -> Result<()>;
    /// Makes an account and links the identity to it, in one transaction (audited
    /// `user.create` and `sso.link`): only where the deployment allows it.
    async fn create_user_with_identity(
        &self,
        user: NewUser,
        provider: &str,
        subject: &str,
        label: &str,
        actor: &Actor,
    ) -> Result<User>;
}
