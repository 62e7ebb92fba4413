//! Failed sign-ins counted in memory on each node, by key: a network address (people and API
//! clients alike), or an account from one address. After `limit` failures within `window`
//! the key is blocked until the oldest failure falls out of the window. What a block means is
//! the caller's choice (see `pages::login`): API clients from a blocked address are refused;
//! people's attempts from it are slowed and queued, and an account blocked from one address
//! pauses only there.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Addresses remembered at most; past this, the address with the oldest last failure is
/// forgotten (so a flood of spoofed addresses cannot grow memory without bound).
const MAX_ADDRESSES: usize = 50_000;

/// The key that counts failed passwords for one account from one address (sign-in and the
/// password asked again in Settings count together).
pub fn account_key(user: i64, address: &str) -> String {
    format!("account {user}|{address}")
}

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// One turn at a time for each address over its limit (see [`Throttle::turn`]).
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Throttle {
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

    /// Whether `key` has `limit` or more failures within `window`.
    pub fn blocked(&self, key: &str, limit: u32, window: Duration) -> bool {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = map.get_mut(key) else {
            return false;
        };
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) > window)
        {
            times.pop_front();
        }
        if times.is_empty() {
            map.remove(key);
            return false;
        }
        times.len() >= limit as usize
    }

    /// Counts a failure for `key`.
    pub fn fail(&self, key: &str, window: Duration) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        push(&mut map, key, now, window);
    }

    /// Takes one of `key`'s `limit` uses in `window` if one is left, checking and counting
    /// under one lock, so requests sent all at once cannot all pass the check before any is
    /// counted. False when none is left (nothing is counted then).
    pub fn take(&self, key: &str, limit: u32, window: Duration) -> bool {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = map.get_mut(key) {
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) > window)
            {
                times.pop_front();
            }
            if times.len() >= limit as usize {
                return false;
            }
        }
        push(&mut map, key, now, window);
        true
    }
}

/// Counts one at `now` for `key`, forgetting the stalest address when the map is full.
fn push(map: &mut HashMap<String, VecDeque<Instant>>, key: &str, now: Instant, window: Duration) {
    if map.len() >= MAX_ADDRESSES && !map.contains_key(key) {
        map.retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) <= window));
        if map.len() >= MAX_ADDRESSES {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, t)| t.back().copied())
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
    }
    let times = map.entry(key.to_string()).or_default();
    times.push_back(now);
    // Only the last `limit`-ish failures matter; keep the queue short.
    while times.len() > 1_000 {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_counts_as_it_checks() {
        let t = Throttle::default();
        let hour = Duration::from_secs(3600);
        assert!((0..5).all(|_| t.take("a", 5, hour)));
        assert!(!t.take("a", 5, hour), "the sixth is refused");
        assert!(t.blocked("a", 5, hour));
        assert!(t.take("b", 5, hour), "another key has its own");
        // At once from many threads: exactly the limit pass.
        let t = Arc::new(Throttle::default());
        let passed: usize = (0..8)
            .map(|_| {
                let t = t.clone();
                std::thread::spawn(move || (0..10).filter(|_| t.take("c", 20, hour)).count())
            })
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(passed, 20);
    }

    #[test]
    fn an_address_is_refused_after_the_limit_and_others_are_not() {
        let t = Throttle::default();
        let w = Duration::from_secs(60);
        for _ in 0..3 {
            assert!(!t.blocked("10.0.0.1", 3, w));
            t.fail("10.0.0.1", w);
        }
        assert!(t.blocked("10.0.0.1", 3, w));
        assert!(!t.blocked("10.0.0.2", 3, w));
    }

    #[test]
    fn failures_age_out_of_the_window() {
        let t = Throttle::default();
        let w = Duration::from_millis(30);
        t.fail("a", w);
        t.fail("a", w);
        assert!(t.blocked("a", 2, w));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!t.blocked("a", 2, w));
    }
}
