//! Adding, editing and retiring listings, and quick capacity updates.

use super::*;

mod apply;
mod handlers;
mod sections;

use apply::*;
pub use handlers::*;
use sections::*;

#[derive(Template)]
#[template(path = "service_form.html")]
struct FormPage {
    ctx: PageCtx,
    heading: String,
    action: String,
    cancel: String,
    version: i64,
    sections: Vec<Section>,
    errors: Vec<ErrorItem>,
}

/// What the form edits, as text.
#[derive(Default, Clone)]
struct Draft(
    HashMap<&'static str, String>,
    HashMap<&'static str, Vec<String>>,
);

impl Draft {
    fn s(&self, k: &'static str) -> &str {
        self.0.get(k).map(String::as_str).unwrap_or("")
    }
    fn list(&self, k: &'static str) -> Vec<String> {
        self.1.get(k).cloned().unwrap_or_default()
    }
}

const TEXT_FIELDS: &[&str] = &[
    "name",
    "organization_id",
    "new_organization",
    "description",
    "status",
    "url",
    "email",
    "phone",
    "minimum_age",
    "maximum_age",
    "eligibility",
    "location_name",
    "address_1",
    "city",
    "postcode",
    "latitude",
    "longitude",
    "s1_days",
    "s1_opens",
    "s1_closes",
    "s1_every",
    "s1_week",
    "s2_days",
    "s2_opens",
    "s2_closes",
    "s2_every",
    "s2_week",
    "s3_days",
    "s3_opens",
    "s3_closes",
    "s3_every",
    "s3_week",
    "cost",
    "cost_amount",
    "cost_description",
    "languages",
    "referral_mode",
    "capacity",
    "response_days",
    "public",
    "verified",
];

fn draft_from_form(f: &FormData) -> Draft {
    let mut d = Draft::default();
    for k in TEXT_FIELDS {
        d.0.insert(k, f.get(k).trim().to_string());
    }
    d.1.insert("categories", f.all("categories"));
    d.1.insert("access_features", f.all("access_features"));
    d
}

fn hhmm(t: &Option<String>) -> String {
    t.as_deref()
        .map(|t| t.chars().take(5).collect())
        .unwrap_or_default()
}

fn draft_from_entry(e: &Entry) -> Draft {
    let s = &e.service;
    let mut d = Draft::default();
    let mut put = |k: &'static str, v: String| {
        d.0.insert(k, v);
    };
    put("name", s.name.clone());
    put(
        "organization_id",
        s.organization_id.clone().unwrap_or_default(),
    );
    put("description", s.description.clone().unwrap_or_default());
    put("status", s.status.clone());
    put("url", s.url.clone().unwrap_or_default());
    put("email", s.email.clone().unwrap_or_default());
    put(
        "phone",
        s.phones
            .first()
            .map(|p| p.number.clone())
            .unwrap_or_default(),
    );
    put(
        "minimum_age",
        s.minimum_age.map(|a| a.to_string()).unwrap_or_default(),
    );
    put(
        "maximum_age",
        s.maximum_age.map(|a| a.to_string()).unwrap_or_default(),
    );
    put(
        "eligibility",
        s.eligibility_description.clone().unwrap_or_default(),
    );
    if let Some(l) = s
        .service_at_locations
        .first()
        .and_then(|x| x.location.as_ref())
    {
        put("location_name", l.name.clone().unwrap_or_default());
        if let Some(a) = l.addresses.first() {
            put("address_1", a.address_1.clone());
            put("city", a.city.clone());
            put("postcode", a.postal_code.clone());
        }
        put(
            "latitude",
            l.latitude.map(|v| v.to_string()).unwrap_or_default(),
        );
        put(
            "longitude",
            l.longitude.map(|v| v.to_string()).unwrap_or_default(),
        );
    }
    let sessions: Vec<&Schedule> = s.schedules.iter().take(3).collect();
    for (i, sch) in sessions.iter().enumerate() {
        let days: Vec<&str> = sch
            .byday
            .as_deref()
            .and_then(directory::validate::byday)
            .unwrap_or_default()
            .iter()
            .map(|d| d.label())
            .collect();
        let (dk, ok, ck) = SESSION_KEYS[i];
        put(dk, days.join(", "));
        put(ok, hhmm(&sch.opens_at));
        put(ck, hhmm(&sch.closes_at));
        let (every, week) = super::how_often(sch);
        put(EVERY_KEYS[i].0, every.code().into());
        put(
            EVERY_KEYS[i].1,
            week.map(|w| w.code().to_string()).unwrap_or_default(),
        );
    }
    match s.cost_options.first() {
        Some(c) if c.amount.is_some_and(|a| a > 0.0) => {
            put("cost", "paid".into());
            put("cost_amount", format!("{:.2}", c.amount.unwrap_or(0.0)));
            put(
                "cost_description",
                c.amount_description.clone().unwrap_or_default(),
            );
        }
        Some(c) if c.amount == Some(0.0) => put("cost", "free".into()),
        _ => {}
    }
    put(
        "languages",
        s.languages
            .iter()
            .filter_map(|l| l.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
    );
    put("referral_mode", e.listing.referral_mode.code().into());
    put("capacity", e.listing.capacity.code().into());
    put("response_days", e.listing.response_days.to_string());
    put(
        "public",
        if e.listing.public {
            "yes".into()
        } else {
            String::new()
        },
    );
    d.1.insert(
        "categories",
        e.categories()
            .iter()
            .map(|c| c.code().to_string())
            .collect(),
    );
    d.1.insert(
        "access_features",
        e.listing
            .access_features
            .iter()
            .map(|c| c.code().to_string())
            .collect(),
    );
    d
}

const SESSION_KEYS: [(&str, &str, &str); 3] = [
    ("s1_days", "s1_opens", "s1_closes"),
    ("s2_days", "s2_opens", "s2_closes"),
    ("s3_days", "s3_opens", "s3_closes"),
];

/// How often each session runs, and which week of the month for a monthly one.
const EVERY_KEYS: [(&str, &str); 3] = [
    ("s1_every", "s1_week"),
    ("s2_every", "s2_week"),
    ("s3_every", "s3_week"),
];

fn radios<T: Code>(selected: &str) -> Vec<Opt> {
    opts_from::<T>(&[selected.to_string()])
}
