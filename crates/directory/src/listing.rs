//! Linkwork's own facts about a service, kept apart from the ORUK document: whether it is
//! published, how people are connected to it, its live capacity and when it was verified.

use chrono::NaiveDate;
use domain::{AccessFeature, ReferralMode, ServiceCapacity};
use serde::{Deserialize, Serialize};

/// Listings not verified for this many days are flagged "needs review".
pub const REVIEW_AFTER_DAYS: i64 = 183;
/// Default days a partner has to answer a referral.
pub const DEFAULT_RESPONSE_DAYS: u16 = 14;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Listing {
    /// Published in the ORUK feed and shown to link workers.
    pub public: bool,
    pub referral_mode: ReferralMode,
    pub capacity: ServiceCapacity,
    /// Days the organisation has to answer a referral before it is flagged.
    pub response_days: u16,
    pub access_features: Vec<AccessFeature>,
    /// When someone last confirmed the listing is right.
    pub verified_on: Option<NaiveDate>,
    /// Retired services stay on record but are never shown or published.
    pub retired_on: Option<NaiveDate>,
}

impl Default for Listing {
    fn default() -> Self {
        Self {
            public: true,
            referral_mode: ReferralMode::SignpostOnly,
            capacity: ServiceCapacity::Accepting,
            response_days: DEFAULT_RESPONSE_DAYS,
            access_features: vec![],
            verified_on: None,
            retired_on: None,
        }
    }
}

impl Listing {
    pub fn needs_review(&self, today: NaiveDate) -> bool {
        match self.verified_on {
            Some(d) => (today - d).num_days() > REVIEW_AFTER_DAYS,
            None => true,
        }
    }

    pub fn is_retired(&self) -> bool {
        self.retired_on.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_flag_after_six_months() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        let mut l = Listing::default();
        assert!(l.needs_review(today), "never verified");
        l.verified_on = NaiveDate::from_ymd_opt(2026, 6, 1);
        assert!(!l.needs_review(today));
        l.verified_on = NaiveDate::from_ymd_opt(2026, 5, 1);
        assert!(l.needs_review(today));
    }

    #[test]
    fn old_listing_json_reads_with_defaults() {
        let l: Listing = serde_json::from_str(r#"{"capacity":"full"}"#).unwrap();
        assert_eq!(l.capacity, ServiceCapacity::Full);
        assert!(l.public);
        assert_eq!(l.response_days, 14);
    }
}
