//! Failed sign-ins counted per network address (people and API clients alike), in memory
//! on each node: after `limit` failures within `window`, that address is refused until
//! the oldest failure falls out of the window. Accounts are locked separately, in the
//! database, after repeated failures whatever the address (see `pages::login`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses remembered at most; past this, the address with the oldest last failure is
/// forgotten (so a flood of spoofed addresses cannot grow memory without bound).
const MAX_ADDRESSES: usize = 50_000;

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
