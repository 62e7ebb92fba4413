//! The community directory: search for link workers, service pages, add / edit / retire
//! for managers, imports, organisations and their partner links, and the partner pages
//! where a VCSE organisation keeps its own listings and capacity current.

use super::{flash, see_other, DoneQuery};
use crate::auth::{constant_time_eq, Auth};
use crate::form::FormData;
use crate::views::{self, error_items, ErrorItem, Field, Opt, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::Response;
use directory::oruk::{
    Address, CostOption, Language, Location, Organization, Phone, Schedule, ServiceAtLocation,
};
use directory::validate::derived_id;
use directory::{Entry, Listing, SearchQuery, Sort};
use domain::directory::parse_time_of_day;
use domain::{
    AccessFeature, Category, Code, FieldErrors, Postcode, ReferralMode, Role, ServiceCapacity,
    Weekday,
};
use std::collections::HashMap;

mod form;
mod imports;
mod partners;
mod search;
mod service;
mod terms;

pub use form::{create, edit_form, new_form, retire, set_capacity, update};
pub use imports::{import, import_form};
pub use partners::{link_partner, organizations, partner_home};
pub use search::search;
pub use service::{review_concept, show};
pub use terms::{term_form, term_save, terms};

const PER_PAGE: usize = 20;
use domain::directory::METRES_PER_MILE;

/// May this user change this listing? Managers any; partners their organisation's only.
pub(crate) fn can_edit(auth: &Auth, e: &Entry) -> bool {
    auth.user.role.can_manage_directory()
        || (auth.user.role == Role::Partner
            && auth.user.partner_org_id.is_some()
            && e.partner_org_id == auth.user.partner_org_id)
}

async fn load(state: &AppState, id: &str) -> Result<Entry, AppError> {
    state.directory.entry(id).await?.ok_or(AppError::NotFound)
}

/// A result or service in the words a link worker reads.
pub struct Card {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub description: String,
    pub categories: String,
    pub when: Vec<String>,
    pub cost: String,
    pub ages: String,
    pub distance: String,
    pub capacity: String,
    pub capacity_full: bool,
    /// Tag colour: green accepting, orange waiting list, red full.
    pub capacity_tag: &'static str,
    pub referral: bool,
    pub needs_review: bool,
    pub retired: bool,
    pub status: String,
    pub place: String,
    /// Why a search found it ("Debt advice: \"debts\" in its description").
    pub why: String,
}

fn ages(e: &Entry) -> String {
    match (e.service.minimum_age, e.service.maximum_age) {
        (Some(a), Some(b)) => format!("Ages {a}–{b}"),
        (Some(a), None) => format!("Ages {a} and over"),
        (None, Some(b)) => format!("Up to age {b}"),
        (None, None) => "All ages".into(),
    }
}

/// How often a session runs, as the listing editor offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Every {
    Weekly,
    Fortnightly,
    Monthly,
}

impl Every {
    pub(crate) const ALL: [Every; 3] = [Every::Weekly, Every::Fortnightly, Every::Monthly];
    pub(crate) fn code(self) -> &'static str {
        match self {
            Every::Weekly => "weekly",
            Every::Fortnightly => "fortnightly",
            Every::Monthly => "monthly",
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            Every::Weekly => "Every week",
            Every::Fortnightly => "Every other week",
            Every::Monthly => "Once a month",
        }
    }
    pub(crate) fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == s)
    }
}

/// Which week of the month a monthly session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WeekOfMonth {
    First,
    Second,
    Third,
    Fourth,
    Last,
}

impl WeekOfMonth {
    pub(crate) const ALL: [WeekOfMonth; 5] = [
        WeekOfMonth::First,
        WeekOfMonth::Second,
        WeekOfMonth::Third,
        WeekOfMonth::Fourth,
        WeekOfMonth::Last,
    ];
    /// The iCalendar ordinal written before the day ("1TU", "-1TU").
    pub(crate) fn code(self) -> &'static str {
        match self {
            WeekOfMonth::First => "1",
            WeekOfMonth::Second => "2",
            WeekOfMonth::Third => "3",
            WeekOfMonth::Fourth => "4",
            WeekOfMonth::Last => "-1",
        }
    }
    pub(crate) fn label(self) -> &'static str {
        match self {
            WeekOfMonth::First => "First",
            WeekOfMonth::Second => "Second",
            WeekOfMonth::Third => "Third",
            WeekOfMonth::Fourth => "Fourth",
            WeekOfMonth::Last => "Last",
        }
    }
    pub(crate) fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.code() == s)
    }
}

/// How often a schedule runs: weekly, every other week (a weekly rule with interval 2) or
/// monthly, with the week of the month read from the ordinal of its first day ("1TU").
pub(crate) fn how_often(s: &Schedule) -> (Every, Option<WeekOfMonth>) {
    if s.freq.as_deref() == Some("MONTHLY") {
        let ordinal: String = s
            .byday
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .next()
            .unwrap_or_default()
            .trim()
            .trim_start_matches('+')
            .chars()
            .take_while(|c| *c == '-' || c.is_ascii_digit())
            .collect();
        return (Every::Monthly, WeekOfMonth::from_code(&ordinal));
    }
    if s.interval.is_some_and(|i| (i - 2.0).abs() < f64::EPSILON) {
        return (Every::Fortnightly, None);
    }
    (Every::Weekly, None)
}

/// A listing's Open Referral status in words.
pub(crate) fn status_words(code: &str) -> String {
    match code {
        "active" => "Running",
        "temporarily closed" => "Paused for now (temporarily closed)",
        "inactive" => "Not running at the moment",
        "defunct" => "Closed for good",
        other => other,
    }
    .to_string()
}

pub(crate) fn when(e: &Entry) -> Vec<String> {
    e.service
        .schedules
        .iter()
        .map(|s| {
            let days: Vec<&str> = s
                .byday
                .as_deref()
                .and_then(directory::validate::byday)
                .unwrap_or_default()
                .iter()
                .map(|d| d.label())
                .collect();
            let days = if days.is_empty() {
                "Regularly".to_string()
            } else {
                days.join(", ")
            };
            let (days, monthly) = match how_often(s) {
                (Every::Weekly, _) => (days, String::new()),
                (Every::Fortnightly, _) => (days, " (every other week)".to_string()),
                (Every::Monthly, Some(w)) => (
                    format!("{} {}", w.label(), days),
                    " of the month".to_string(),
                ),
                (Every::Monthly, None) => (days, " (monthly)".to_string()),
            };
            let hhmm =
                |t: &Option<String>| t.as_deref().map(|t| t.chars().take(5).collect::<String>());
            match (hhmm(&s.opens_at), hhmm(&s.closes_at)) {
                (Some(o), Some(c)) => format!("{days}{monthly}, {o} to {c}"),
                (Some(o), None) => format!("{days}{monthly}, from {o}"),
                _ => format!("{days}{monthly}"),
            }
        })
        .collect()
}

pub(crate) fn cost(e: &Entry) -> String {
    let paid: Vec<&CostOption> = e
        .service
        .cost_options
        .iter()
        .filter(|c| c.amount.is_some_and(|a| a > 0.0))
        .collect();
    if paid.is_empty() {
        if e.service.cost_options.is_empty() {
            "Cost not given".into()
        } else {
            "Free".into()
        }
    } else {
        paid.iter()
            .map(|c| {
                let mut s = format!("£{:.2}", c.amount.unwrap_or(0.0));
                if let Some(d) = &c.amount_description {
                    s.push(' ');
                    s.push_str(d);
                }
                s
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub(crate) fn place(e: &Entry) -> String {
    e.service
        .service_at_locations
        .iter()
        .filter_map(|s| s.location.as_ref())
        .map(|l| {
            let mut parts: Vec<String> = vec![];
            if let Some(n) = &l.name {
                parts.push(n.clone());
            }
            if let Some(a) = l.addresses.first() {
                for p in [&a.address_1, &a.city, &a.postal_code] {
                    if !p.is_empty() {
                        parts.push(p.clone());
                    }
                }
            }
            parts.join(", ")
        })
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| reach(e))
}

/// Where a service without a venue reaches people ("No venue: reaches Northey St Mary
/// parish"), from its ORUK service areas.
fn reach(e: &Entry) -> String {
    let areas: Vec<&str> = e.service.area_texts().collect();
    if areas.is_empty() {
        "No venue given".into()
    } else {
        format!("No venue: reaches {}", areas.join("; "))
    }
}

fn distance_text(m: f64) -> String {
    let words = domain::directory::miles(m);
    let mut c = words.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn card(e: &Entry, distance: Option<f64>) -> Card {
    let cats: Vec<&str> = e.categories().iter().map(|c| c.label()).collect();
    let description = e.service.description.clone().unwrap_or_default();
    let short: String = description.chars().take(220).collect();
    Card {
        id: e.service.id.clone(),
        name: e.service.name.clone(),
        organization: e
            .service
            .organization
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        description: if short.len() < description.len() {
            format!("{short}…")
        } else {
            short
        },
        categories: cats.join(", "),
        when: when(e),
        cost: cost(e),
        ages: ages(e),
        distance: distance.map(distance_text).unwrap_or_default(),
        capacity: e.listing.capacity.label().into(),
        capacity_full: e.listing.capacity == ServiceCapacity::Full,
        capacity_tag: match e.listing.capacity {
            ServiceCapacity::Accepting => "green",
            ServiceCapacity::WaitingList => "orange",
            ServiceCapacity::Full => "red",
        },
        referral: e.listing.referral_mode == ReferralMode::Referral,
        needs_review: e.listing.needs_review(directory::today()),
        retired: e.listing.is_retired(),
        status: status_words(&e.service.status),
        place: place(e),
        why: String::new(),
    }
}

/// A card with what the search index read from the listing's words: categories inferred
/// from its concepts, and ages and access features written only as text.
fn with_reading(mut c: Card, state: &AppState) -> Card {
    let Some(f) = state.directory.index.facts(&c.id) else {
        return c;
    };
    if c.categories.is_empty() && !f.categories.is_empty() {
        let cats: Vec<&str> = f.categories.iter().map(|c| c.label()).collect();
        c.categories = format!("{} (read from its words)", cats.join(", "));
    }
    if c.ages == "All ages" {
        c.ages = match (f.min_age, f.max_age) {
            (Some(a), Some(b)) => format!("Ages {a}–{b} (read from its words)"),
            (Some(a), None) => format!("Ages {a} and over (read from its words)"),
            (None, Some(b)) => format!("Up to age {b} (read from its words)"),
            (None, None) => c.ages,
        };
    }
    c
}

fn opts_from<T: Code>(selected: &[String]) -> Vec<Opt> {
    T::ALL
        .iter()
        .map(|v| Opt {
            value: v.code().into(),
            label: v.label().into(),
            selected: selected.iter().any(|s| s == v.code()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(service: directory::oruk::Service) -> Entry {
        Entry {
            service,
            listing: Default::default(),
            version: 1,
            updated_at: chrono::Utc::now(),
            partner_org_id: None,
        }
    }

    #[test]
    fn a_service_without_a_venue_says_where_it_reaches() {
        let mut s = directory::oruk::Service {
            id: "s".into(),
            name: "Good Neighbours".into(),
            status: "active".into(),
            ..Default::default()
        };
        assert_eq!(place(&entry(s.clone())), "No venue given");
        s.service_areas = vec![directory::oruk::ServiceArea {
            id: "a".into(),
            extent: Some("Northey St Mary parish".into()),
            ..Default::default()
        }];
        assert_eq!(place(&entry(s)), "No venue: reaches Northey St Mary parish");
    }
}
