//! Checks and tidies ORUK records on their way in. A problem is either fatal (the record is
//! skipped and reported) or a warning (the bad field is dropped, the record kept).

use crate::oruk::{Location, Service};
use domain::directory::parse_time_of_day;
use domain::Weekday;
use serde_json::Value;
use std::fmt;

/// Longest text accepted in any field.
pub const MAX_FIELD_CHARS: usize = 20_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The record's ORUK id, or its position ("#3") when it has none.
    pub record: String,
    /// JSON path of the field, e.g. `service_at_locations[0].location.latitude`.
    pub field: String,
    pub message: String,
    /// The record was skipped (otherwise only the field was dropped).
    pub fatal: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.fatal { "skipped" } else { "kept" };
        if self.field.is_empty() {
            write!(f, "{} ({what}): {}", self.record, self.message)
        } else {
            write!(
                f,
                "{} ({what}): {}: {}",
                self.record, self.field, self.message
            )
        }
    }
}

pub fn is_uuid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok() && s.len() == 36
}

/// A deterministic UUID for something that has no ORUK id of its own (spreadsheet rows,
/// nested records with malformed ids), so re-imports land on the same record.
pub fn derived_id(parts: &[&str]) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, parts.join("|").as_bytes()).to_string()
}

/// Refuses control characters (other than newlines and tabs) and over-long text anywhere in
/// a raw record, naming the first bad field.
pub fn check_strings(v: &Value, path: &mut String) -> Option<(String, String)> {
    match v {
        Value::String(s) => {
            if s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Some((path.clone(), "contains control characters".into()));
            }
            if s.chars().count() > MAX_FIELD_CHARS {
                return Some((
                    path.clone(),
                    format!("is longer than {MAX_FIELD_CHARS} characters"),
                ));
            }
            None
        }
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let r = check_strings(item, path);
            path.truncate(len);
            r
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            let r = check_strings(item, path);
            path.truncate(len);
            r
        }),
        _ => None,
    }
}

fn is_email(s: &str) -> bool {
    let mut parts = s.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        _ => false,
    }
}

fn is_web_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://"))
        && s.len() > 8
        && !s.chars().any(char::is_whitespace)
}

struct Checker<'a> {
    record: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn warn(&mut self, field: &str, message: &str) {
        self.problems.push(Problem {
            record: self.record.into(),
            field: field.into(),
            message: message.into(),
            fatal: false,
        });
    }
    fn fatal(&mut self, field: &str, message: &str) {
        self.problems.push(Problem {
            record: self.record.into(),
            field: field.into(),
            message: message.into(),
            fatal: true,
        });
    }
    fn email(&mut self, field: &str, v: &mut Option<String>) {
        if let Some(s) = v.as_deref() {
            if !is_email(s.trim()) {
                self.warn(field, "is not an email address; dropped");
                *v = None;
            } else {
                *v = Some(s.trim().to_string());
            }
        }
    }
    fn url(&mut self, field: &str, v: &mut Option<String>) {
        if let Some(s) = v.as_deref() {
            if !is_web_url(s.trim()) {
                self.warn(field, "is not a web address (http:// or https://); dropped");
                *v = None;
            }
        }
    }
    /// Nested ids must be UUIDs too; a malformed one is replaced by a stable derived id.
    fn id(&mut self, field: &str, id: &mut String, parent: &str) {
        if !is_uuid(id) {
            let new = derived_id(&[parent, field, id]);
            self.warn(field, "is not a UUID; replaced with a derived id");
            *id = new;
        }
    }
    fn blank_to_none(v: &mut Option<String>) {
        if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
            *v = None;
        }
    }
}

/// Checks and tidies a service in place. Returns its problems; if any is fatal the service
/// must not be stored.
pub fn check_service(s: &mut Service) -> Vec<Problem> {
    let record = s.id.clone();
    let mut c = Checker {
        record: &record,
        problems: vec![],
    };
    if !is_uuid(&s.id) {
        c.fatal("id", "must be a UUID (ORUK ids are UUIDs)");
    }
    s.name = s.name.trim().to_string();
    if s.name.is_empty() {
        c.fatal("name", "is required");
    } else if s.name.chars().count() > 300 {
        c.fatal("name", "is longer than 300 characters");
    }
    if !["active", "inactive", "defunct", "temporarily closed"].contains(&s.status.as_str()) {
        c.fatal(
            "status",
            "must be one of active, inactive, defunct, temporarily closed",
        );
    }
    for (field, v) in [
        ("minimum_age", s.minimum_age),
        ("maximum_age", s.maximum_age),
    ] {
        if let Some(a) = v {
            if !a.is_finite() || !(0.0..=150.0).contains(&a) {
                c.fatal(field, "must be an age from 0 to 150");
            }
        }
    }
    if let (Some(lo), Some(hi)) = (s.minimum_age, s.maximum_age) {
        if lo > hi {
            c.fatal("maximum_age", "is below minimum_age");
        }
    }
    for v in [
        &mut s.description,
        &mut s.fees,
        &mut s.accreditations,
        &mut s.eligibility_description,
        &mut s.alert,
        &mut s.assured_date,
        &mut s.last_modified,
    ] {
        Checker::blank_to_none(v);
    }
    c.email("email", &mut s.email);
    c.email("assurer_email", &mut s.assurer_email);
    c.url("url", &mut s.url);
    if let Some(d) = s.assured_date.as_deref() {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            c.warn("assured_date", "is not a date (YYYY-MM-DD); dropped");
            s.assured_date = None;
        }
    }
    if let Some(d) = s.last_modified.as_deref() {
        if chrono::DateTime::parse_from_rfc3339(d).is_err() {
            c.warn("last_modified", "is not a date-time (RFC 3339); dropped");
            s.last_modified = None;
        }
    }
    let sid = s.id.clone();
    let mut kept = vec![];
    for (i, mut sch) in std::mem::take(&mut s.schedules).into_iter().enumerate() {
        let f = format!("schedules[{i}]");
        c.id(&format!("{f}.id"), &mut sch.id, &sid);
        let mut ok = true;
        if let Some(freq) = sch.freq.as_deref() {
            if freq != "WEEKLY" && freq != "MONTHLY" {
                c.warn(
                    &format!("{f}.freq"),
                    "must be WEEKLY or MONTHLY; schedule dropped",
                );
                ok = false;
            }
        }
        for (name, t) in [("opens_at", &sch.opens_at), ("closes_at", &sch.closes_at)] {
            if let Some(t) = t.as_deref() {
                if parse_time_of_day(t).is_none() {
                    c.warn(
                        &format!("{f}.{name}"),
                        "is not a time (HH:MM); schedule dropped",
                    );
                    ok = false;
                }
            }
        }
        if let Some(days) = sch.byday.as_deref() {
            if byday(days).is_none() {
                c.warn(
                    &format!("{f}.byday"),
                    "is not a list of days like MO,TU; schedule dropped",
                );
                ok = false;
            }
        }
        c.url(&format!("{f}.schedule_link"), &mut sch.schedule_link);
        if ok {
            kept.push(sch);
        }
    }
    s.schedules = kept;
    for (i, sal) in s.service_at_locations.iter_mut().enumerate() {
        let f = format!("service_at_locations[{i}]");
        c.id(&format!("{f}.id"), &mut sal.id, &sid);
        if let Some(loc) = sal.location.as_mut() {
            check_location(&mut c, &format!("{f}.location"), loc, &sid);
            sal.location_id = Some(loc.id.clone());
        }
    }
    for (i, a) in s.service_areas.iter_mut().enumerate() {
        c.id(&format!("service_areas[{i}].id"), &mut a.id, &sid);
    }
    for (i, l) in s.languages.iter_mut().enumerate() {
        c.id(&format!("languages[{i}].id"), &mut l.id, &sid);
    }
    for (i, f) in s.funding.iter_mut().enumerate() {
        c.id(&format!("funding[{i}].id"), &mut f.id, &sid);
    }
    for (i, o) in s.cost_options.iter_mut().enumerate() {
        c.id(&format!("cost_options[{i}].id"), &mut o.id, &sid);
        if o.amount.is_some_and(|a| !a.is_finite() || a < 0.0) {
            c.warn(
                &format!("cost_options[{i}].amount"),
                "must be zero or more; dropped",
            );
            o.amount = None;
        }
    }
    for (i, ct) in s.contacts.iter_mut().enumerate() {
        c.id(&format!("contacts[{i}].id"), &mut ct.id, &sid);
        c.email(&format!("contacts[{i}].email"), &mut ct.email);
        for (j, p) in ct.phones.iter_mut().enumerate() {
            c.id(&format!("contacts[{i}].phones[{j}].id"), &mut p.id, &sid);
        }
    }
    for (i, p) in s.phones.iter_mut().enumerate() {
        c.id(&format!("phones[{i}].id"), &mut p.id, &sid);
    }
    for (i, a) in s.attributes.iter_mut().enumerate() {
        c.id(&format!("attributes[{i}].id"), &mut a.id, &sid);
        if let Some(t) = a.taxonomy_term.as_mut() {
            c.id(
                &format!("attributes[{i}].taxonomy_term.id"),
                &mut t.id,
                &sid,
            );
            c.url(
                &format!("attributes[{i}].taxonomy_term.term_uri"),
                &mut t.term_uri,
            );
            a.taxonomy_term_id = Some(t.id.clone());
        }
    }
    if let Some(o) = s.organization.as_mut() {
        if !is_uuid(&o.id) {
            c.fatal("organization.id", "must be a UUID");
        }
        c.email("organization.email", &mut o.email);
        c.url("organization.website", &mut o.website);
        c.url("organization.uri", &mut o.uri);
        for (i, oi) in o.organization_identifiers.iter_mut().enumerate() {
            c.id(
                &format!("organization.organization_identifiers[{i}].id"),
                &mut oi.id,
                &sid,
            );
        }
        s.organization_id = Some(o.id.clone());
    }
    c.problems
}

fn check_location(c: &mut Checker<'_>, f: &str, loc: &mut Location, sid: &str) {
    c.id(&format!("{f}.id"), &mut loc.id, sid);
    if !["physical", "postal", "virtual"].contains(&loc.location_type.as_str()) {
        c.warn(
            &format!("{f}.location_type"),
            "must be physical, postal or virtual; set to physical",
        );
        loc.location_type = "physical".into();
    }
    let lat_ok = loc
        .latitude
        .is_none_or(|v| v.is_finite() && (-90.0..=90.0).contains(&v));
    let lon_ok = loc
        .longitude
        .is_none_or(|v| v.is_finite() && (-180.0..=180.0).contains(&v));
    if !lat_ok || !lon_ok || loc.latitude.is_some() != loc.longitude.is_some() {
        c.warn(
            &format!("{f}.latitude"),
            "coordinates are out of range or incomplete; dropped (distance unknown)",
        );
        loc.latitude = None;
        loc.longitude = None;
    }
    let lid = loc.id.clone();
    let mut kept = vec![];
    for (i, mut a) in std::mem::take(&mut loc.addresses).into_iter().enumerate() {
        c.id(&format!("{f}.addresses[{i}].id"), &mut a.id, &lid);
        if a.address_1.trim().is_empty() && a.postal_code.trim().is_empty() {
            c.warn(
                &format!("{f}.addresses[{i}]"),
                "has no address line or postcode; dropped",
            );
            continue;
        }
        if !["physical", "postal", "virtual"].contains(&a.address_type.as_str()) {
            a.address_type = "physical".into();
        }
        if a.country.trim().is_empty() {
            a.country = "GB".into();
        }
        kept.push(a);
    }
    loc.addresses = kept;
    for (i, a) in loc.accessibility.iter_mut().enumerate() {
        c.id(&format!("{f}.accessibility[{i}].id"), &mut a.id, &lid);
        c.url(&format!("{f}.accessibility[{i}].url"), &mut a.url);
    }
}

/// Reads an iCalendar BYDAY list ("MO,TU", "1MO" for the first Monday) into weekdays.
pub fn byday(s: &str) -> Option<Vec<Weekday>> {
    let mut out = vec![];
    for part in s.split(',') {
        let part = part
            .trim()
            .trim_start_matches(['+', '-', '0', '1', '2', '3', '4', '5']);
        if part.is_empty() {
            continue;
        }
        let d = Weekday::parse(part)?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_urls() {
        assert!(is_email("hello@example.org"));
        assert!(!is_email("hello@"));
        assert!(!is_email("a b@example.org"));
        assert!(is_web_url("https://example.org/x"));
        assert!(!is_web_url("javascript:alert(1)"));
    }

    #[test]
    fn byday_lists() {
        assert_eq!(byday("TU,TH"), Some(vec![Weekday::Tu, Weekday::Th]));
        assert_eq!(byday("1MO"), Some(vec![Weekday::Mo]));
        assert_eq!(byday("XX"), None);
    }

    #[test]
    fn control_characters_are_found_with_their_path() {
        let v = serde_json::json!({"name": "ok", "contacts": [{"name": "bad\u{0000}"}]});
        let (path, _) = check_strings(&v, &mut String::new()).unwrap();
        assert_eq!(path, "contacts[0].name");
    }
}
