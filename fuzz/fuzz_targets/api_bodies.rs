//! JSON API request bodies: any bytes read as a person, a referral or a contact and checked
//! as the API does. Never panics; a check either passes or names the fields at fault.
#![no_main]

use chrono::{Duration, Utc};
use domain::{ContactDraft, PersonDraft, ReferralDraft};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = Utc::now();
    if let Ok(p) = serde_json::from_slice::<PersonDraft>(data) {
        if let Err(e) = p.validate(now.date_naive()) {
            assert!(!e.0.is_empty());
        }
    }
    if let Ok(r) = serde_json::from_slice::<ReferralDraft>(data) {
        if let Err(e) = r.validate() {
            assert!(!e.0.is_empty());
        }
    }
    if let Ok(c) = serde_json::from_slice::<ContactDraft>(data) {
        if let Err(e) = c.validate(now, now - Duration::days(90)) {
            assert!(!e.0.is_empty());
        }
    }
});
