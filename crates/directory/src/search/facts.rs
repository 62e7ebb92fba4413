//! The facts about a service that search filters and result lists need, drawn from its
//! directory entry, and the filter and distance checks made on them.

use super::SearchQuery;
use crate::Entry;
use domain::directory::{distance_m, parse_time_of_day};
use domain::{AccessFeature, Category, ReferralMode, ServiceCapacity};
use std::collections::HashMap;

/// The facts about a service that filters and result lists need.
#[derive(Debug, Clone)]
pub struct Facts {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub public: bool,
    pub retired: bool,
    pub status: String,
    pub min_age: Option<f64>,
    pub max_age: Option<f64>,
    pub term_ids: Vec<String>,
    pub taxonomy_ids: Vec<String>,
    pub categories: Vec<Category>,
    /// (days bitmask, opens, closes) per weekly session; 0 days = any day.
    pub sessions: Vec<(u8, Option<u16>, Option<u16>)>,
    pub free: bool,
    pub access: Vec<AccessFeature>,
    pub languages: Vec<String>,
    /// (service-at-location id, latitude, longitude) for located sites.
    pub points: Vec<(String, Option<(f64, f64)>)>,
    pub capacity: ServiceCapacity,
    pub referral_mode: ReferralMode,
}

impl Facts {
    pub fn from_entry(e: &Entry, term_taxonomies: &HashMap<String, String>) -> Self {
        let s = &e.service;
        let term_ids: Vec<String> = s.term_ids().map(str::to_string).collect();
        let mut taxonomy_ids: Vec<String> = s
            .attributes
            .iter()
            .filter_map(|a| {
                let t = a.taxonomy_term.as_ref();
                t.and_then(|t| t.taxonomy_id.clone()).or_else(|| {
                    a.taxonomy_term_id
                        .as_ref()
                        .and_then(|id| term_taxonomies.get(id).cloned())
                })
            })
            .collect();
        taxonomy_ids.sort();
        taxonomy_ids.dedup();
        let categories = e.categories();
        let sessions = s
            .schedules
            .iter()
            .map(|sch| {
                let days = sch
                    .byday
                    .as_deref()
                    .and_then(crate::validate::byday)
                    .unwrap_or_default()
                    .iter()
                    .fold(0u8, |m, d| m | (1 << d.index()));
                (
                    days,
                    sch.opens_at.as_deref().and_then(parse_time_of_day),
                    sch.closes_at.as_deref().and_then(parse_time_of_day),
                )
            })
            .collect();
        let free = !s
            .cost_options
            .iter()
            .any(|c| c.amount.is_some_and(|a| a > 0.0));
        let mut languages: Vec<String> = s
            .languages
            .iter()
            .flat_map(|l| [l.name.clone(), l.code.clone()])
            .flatten()
            .map(|l| l.trim().to_lowercase())
            .collect();
        if languages.is_empty() {
            languages.push("english".into());
            languages.push("en".into());
        }
        let points = s
            .service_at_locations
            .iter()
            .map(|sal| {
                let p = sal
                    .location
                    .as_ref()
                    .and_then(|l| Some((l.latitude?, l.longitude?)));
                (sal.id.clone(), p)
            })
            .collect();
        Facts {
            id: s.id.clone(),
            name: s.name.clone(),
            organization: s
                .organization
                .as_ref()
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            public: e.listing.public,
            retired: e.listing.is_retired(),
            status: s.status.clone(),
            min_age: s.minimum_age,
            max_age: s.maximum_age,
            term_ids,
            taxonomy_ids,
            categories,
            sessions,
            free,
            access: e.listing.access_features.clone(),
            languages,
            points,
            capacity: e.listing.capacity,
            referral_mode: e.listing.referral_mode,
        }
    }

    pub(super) fn passes(&self, q: &SearchQuery) -> bool {
        if self.retired || (q.public_only && !self.public) {
            return false;
        }
        if !q.include_inactive && !matches!(self.status.as_str(), "active" | "temporarily closed") {
            return false;
        }
        if !q.categories.is_empty() && !q.categories.iter().any(|c| self.categories.contains(c)) {
            return false;
        }
        if let Some(t) = &q.taxonomy_term_id {
            if !self.term_ids.contains(t) {
                return false;
            }
        }
        if let Some(t) = &q.taxonomy_id {
            if !self.taxonomy_ids.contains(t) {
                return false;
            }
        }
        if let Some(age) = q.age {
            if self.min_age.is_some_and(|m| age < m) || self.max_age.is_some_and(|m| age > m) {
                return false;
            }
        }
        if let Some(a) = q.minimum_age {
            if !self.min_age.is_some_and(|m| m >= a) {
                return false;
            }
        }
        if let Some(a) = q.maximum_age {
            if !self.max_age.is_some_and(|m| m <= a) {
                return false;
            }
        }
        if q.free_only && !self.free {
            return false;
        }
        if q.day.is_some() || q.start.is_some() || q.end.is_some() {
            let day_bit = q.day.map(|d| 1u8 << d.index());
            let ok = self.sessions.iter().any(|(days, opens, closes)| {
                day_bit.is_none_or(|b| *days & b != 0)
                    && q.start.is_none_or(|s| opens.is_some_and(|o| o >= s))
                    && q.end.is_none_or(|e| closes.is_some_and(|c| c <= e))
            });
            if !ok {
                return false;
            }
        }
        if !q.access.iter().all(|a| self.access.contains(a)) {
            return false;
        }
        if let Some(lang) = &q.language {
            let lang = lang.trim().to_lowercase();
            if !lang.is_empty() && !self.languages.contains(&lang) {
                return false;
            }
        }
        if q.referrals_only && self.referral_mode != ReferralMode::Referral {
            return false;
        }
        true
    }

    /// The nearest located site to `p`: (service-at-location id, metres).
    pub(super) fn nearest(&self, p: (f64, f64)) -> Option<(String, f64)> {
        self.points
            .iter()
            .filter_map(|(id, pt)| pt.map(|pt| (id.clone(), distance_m(p, pt))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}
