//! Limits on failed sign-ins and other attempts, counted in the database so that they hold
//! across every node of a deployment (issue 26), by key: a network address (people and API
//! clients alike), or an account from one address. After `limit` failures within `window`
//! the key is blocked until the oldest failure falls out of the window. What a block means is
//! the caller's choice (see `pages::login`): API clients from a blocked address are refused;
//! people's attempts from it are slowed and queued, and an account blocked from one address
//! pauses only there. Keys are kept only as SHA-256 hashes.

use chrono::Utc;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use storage::{Storage, StorageError};

/// Queues remembered at most; past this, those nobody waits in are forgotten.
const MAX_ADDRESSES: usize = 50_000;

/// The key that counts failed passwords for one account from one address (sign-in and the
/// password asked again in Settings count together).
pub fn account_key(user: i64, address: &str) -> String {
    format!("account {user}|{address}")
}

fn hashed(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn since(window: Duration) -> chrono::DateTime<Utc> {
    Utc::now() - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::days(1))
}

/// An attempt counted as a failure before it was checked (see [`Throttle::attempt`]):
/// dropped, it stays counted; [`Throttle::release`] gives it back.
pub struct Attempt {
    hash: String,
    at: chrono::DateTime<Utc>,
}

pub struct Throttle {
    store: Arc<dyn Storage>,
    /// One turn at a time for each address over its limit (see [`Throttle::turn`]): this
    /// node's queue; the count itself is shared.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Throttle {
    pub fn new(store: Arc<dyn Storage>) -> Self {
        Self {
            store,
            turns: Mutex::default(),
        }
    }

    /// The queue of `key`'s attempts: a caller holds it while it pauses, so attempts from an
    /// address over its limit are answered one at a time, each after the pause.
    pub fn turn(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.turns.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ADDRESSES && !map.contains_key(key) {
            // Forget the queues nobody waits in.
            map.retain(|_, m| Arc::strong_count(m) > 1);
        }
        map.entry(key.to_string()).or_default().clone()
    }

    /// Whether `key` has `limit` or more failures within `window`, on any node.
    pub async fn blocked(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<bool, StorageError> {
        Ok(self.store.limit_uses(&hashed(key), since(window)).await? >= limit)
    }

    /// Counts a failure for `key` (kept for a day, longer than any window).
    pub async fn fail(&self, key: &str, _window: Duration) -> Result<(), StorageError> {
        self.store.limit_count(&hashed(key), Utc::now()).await
    }

    /// Counts an attempt as a failure before it is checked, if `key` has fewer than `limit`
    /// failures in `window`: the place is taken atomically, so guesses sent all at once, to
    /// any nodes, cannot all pass the limit before any is counted. `None` when the key is
    /// blocked (nothing counted). Give the place back with [`Throttle::release`] when the
    /// attempt turns out not to be a failure.
    pub async fn attempt(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<Option<Attempt>, StorageError> {
        let hash = hashed(key);
        let at = Utc::now();
        Ok(self
            .store
            .limit_take(&hash, limit, since(window), at)
            .await?
            .then_some(Attempt { hash, at }))
    }

    /// Gives back the place an [`Throttle::attempt`] took: it was not a failure.
    pub async fn release(&self, attempt: Attempt) -> Result<(), StorageError> {
        self.store.limit_release(&attempt.hash, attempt.at).await
    }

    /// Forgets `key`'s failures: for a limit on failures in a row, after a success.
    pub async fn clear(&self, key: &str) -> Result<(), StorageError> {
        self.store.limit_clear(&hashed(key)).await
    }

    /// Takes one of `key`'s `limit` uses in `window` if one is left, checking and counting
    /// together, so requests sent all at once, to any nodes, cannot all pass the check before
    /// any is counted. False when none is left (nothing is counted then).
    pub async fn take(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<bool, StorageError> {
        self.store
            .limit_take(&hashed(key), limit, since(window), Utc::now())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_kept_only_as_hashes() {
        let h = hashed("203.0.113.9");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("203.0.113.9"));
        assert_ne!(h, hashed("203.0.113.10"));
    }
}
