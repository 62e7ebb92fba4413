//! Reading ORUK 3.0 JSON (a service, an organisation with services, a service at a location,
//! taxonomies and terms, a list page or a plain array of any of these) into records ready to
//! store, with every bad record reported by id and field.

use crate::listing::Listing;
use crate::oruk::{Organization, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm};
use crate::validate::{check_service, check_strings, is_uuid, Problem};
use domain::CATEGORY_TAXONOMY_ID;
use serde::de::DeserializeOwned;
use serde_json::Value;
use storage::{DirDoc, DirServiceWrite, DirectoryBatch};

/// What a feed held, after checking.
#[derive(Debug, Default)]
pub struct Parsed {
    pub services: Vec<Service>,
    pub organizations: Vec<Organization>,
    pub taxonomies: Vec<Taxonomy>,
    pub terms: Vec<TaxonomyTerm>,
    pub problems: Vec<Problem>,
    /// For a list page: (page_number, total_pages).
    pub page: Option<(u64, u64)>,
    /// Service ids that came as list items (one-to-one fields only): fetch the full record.
    pub summaries: Vec<String>,
}

impl Parsed {
    pub fn merge(&mut self, other: Parsed) {
        self.services.extend(other.services);
        self.organizations.extend(other.organizations);
        self.taxonomies.extend(other.taxonomies);
        self.terms.extend(other.terms);
        self.problems.extend(other.problems);
        self.summaries.extend(other.summaries);
    }

    pub fn skipped(&self) -> usize {
        let mut ids: Vec<&str> = self
            .problems
            .iter()
            .filter(|p| p.fatal)
            .map(|p| p.record.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }
}

/// Parses a whole ORUK JSON document. Only unreadable JSON is an error; bad records are
/// reported in `Parsed::problems`.
pub fn parse_json(bytes: &[u8]) -> Result<Parsed, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut out = Parsed::default();
    match v {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                item_into(&mut out, item, i, false);
            }
        }
        Value::Object(ref map) if map.contains_key("contents") => {
            let page = map.get("page_number").and_then(Value::as_u64).unwrap_or(1);
            let pages = map.get("total_pages").and_then(Value::as_u64).unwrap_or(1);
            out.page = Some((page, pages));
            match map.get("contents") {
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        item_into(&mut out, item.clone(), i, true);
                    }
                }
                _ => return Err("`contents` must be a list".into()),
            }
        }
        Value::Object(_) => item_into(&mut out, v, 0, false),
        _ => return Err("expected an ORUK object, a list page or an array".into()),
    }
    Ok(out)
}

enum Kind {
    Service,
    ServiceAtLocation,
    Organization,
    Taxonomy,
    Term,
}

fn kind(map: &serde_json::Map<String, Value>) -> Option<Kind> {
    let has = |k: &str| map.contains_key(k);
    if has("location") && has("service") {
        Some(Kind::ServiceAtLocation)
    } else if has("status") {
        Some(Kind::Service)
    } else if has("services")
        || has("website")
        || has("logo")
        || has("organization_identifiers")
        || has("parent_organization_id")
        || has("email")
    {
        Some(Kind::Organization)
    } else if has("taxonomy_terms") || has("version") {
        Some(Kind::Taxonomy)
    } else if has("taxonomy") || has("taxonomy_id") || has("parent_id") || has("term") {
        Some(Kind::Term)
    } else if has("uri") && has("name") {
        Some(Kind::Taxonomy)
    } else {
        None
    }
}

fn record_label(v: &Value, index: usize) -> String {
    match v.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.chars().take(60).collect(),
        _ => format!("#{}", index + 1),
    }
}

fn typed<T: DeserializeOwned>(out: &mut Parsed, v: Value, label: &str) -> Option<T> {
    if let Some((field, message)) = check_strings(&v, &mut String::new()) {
        out.problems.push(Problem {
            record: label.into(),
            field,
            message,
            fatal: true,
        });
        return None;
    }
    match serde_path_to_error::deserialize::<_, T>(v) {
        Ok(t) => Some(t),
        Err(e) => {
            let field = e.path().to_string();
            let message = e.into_inner().to_string();
            out.problems.push(Problem {
                record: label.into(),
                field: if field == "." { String::new() } else { field },
                message,
                fatal: true,
            });
            None
        }
    }
}

fn fatal(out: &mut Parsed, label: &str, field: &str, message: &str) {
    out.problems.push(Problem {
        record: label.into(),
        field: field.into(),
        message: message.into(),
        fatal: true,
    });
}

fn item_into(out: &mut Parsed, v: Value, index: usize, list_item: bool) {
    let label = record_label(&v, index);
    let Value::Object(map) = &v else {
        fatal(out, &label, "", "is not a JSON object");
        return;
    };
    match kind(map) {
        Some(Kind::Service) => {
            let is_summary = list_item && !has_nested(map);
            if let Some(s) = typed::<Service>(out, v, &label) {
                if is_summary {
                    out.summaries.push(s.id.clone());
                }
                add_service(out, s);
            }
        }
        Some(Kind::ServiceAtLocation) => {
            let mut map = map.clone();
            let service = map.remove("service").unwrap_or(Value::Null);
            let is_summary = list_item && service.as_object().is_some_and(|m| !has_nested(m));
            let sal_value = Value::Object(map);
            let Some(sal) = typed::<ServiceAtLocation>(out, sal_value, &label) else {
                return;
            };
            let service_label = record_label(&service, index);
            if let Some(mut s) = typed::<Service>(out, service, &service_label) {
                if !s.service_at_locations.iter().any(|x| x.id == sal.id) {
                    s.service_at_locations.push(sal);
                }
                if is_summary {
                    out.summaries.push(s.id.clone());
                }
                add_service(out, s);
            }
        }
        Some(Kind::Organization) => {
            let mut map = map.clone();
            let services = map.remove("services");
            let Some(org) = typed::<Organization>(out, Value::Object(map), &label) else {
                return;
            };
            if !is_uuid(&org.id) {
                fatal(out, &label, "id", "must be a UUID (ORUK ids are UUIDs)");
                return;
            }
            if let Some(Value::Array(items)) = services {
                for (i, item) in items.into_iter().enumerate() {
                    let l = record_label(&item, i);
                    if let Some(mut s) = typed::<Service>(out, item, &l) {
                        s.organization_id = Some(org.id.clone());
                        s.organization = Some(org.clone());
                        add_service(out, s);
                    }
                }
            }
            out.organizations.push(org);
        }
        Some(Kind::Taxonomy) => {
            if let Some(mut t) = typed::<Taxonomy>(out, v, &label) {
                if !is_uuid(&t.id) {
                    fatal(out, &label, "id", "must be a UUID");
                    return;
                }
                for term in std::mem::take(&mut t.taxonomy_terms) {
                    add_term(out, term, Some(&t.id));
                }
                out.taxonomies.push(t);
            }
        }
        Some(Kind::Term) => {
            if let Some(t) = typed::<TaxonomyTerm>(out, v, &label) {
                add_term(out, t, None);
            }
        }
        None => fatal(
            out,
            &label,
            "",
            "is not a service, organisation, service at location, taxonomy or taxonomy term",
        ),
    }
}

fn has_nested(map: &serde_json::Map<String, Value>) -> bool {
    [
        "schedules",
        "service_at_locations",
        "cost_options",
        "contacts",
        "attributes",
        "languages",
        "service_areas",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
}

fn add_term(out: &mut Parsed, mut t: TaxonomyTerm, taxonomy: Option<&str>) {
    if !is_uuid(&t.id) {
        fatal(out, &t.id.clone(), "id", "must be a UUID");
        return;
    }
    if t.taxonomy_id.is_none() {
        t.taxonomy_id = taxonomy.map(str::to_string);
    }
    out.terms.push(t);
}

fn add_service(out: &mut Parsed, mut s: Service) {
    let problems = check_service(&mut s);
    let ok = !problems.iter().any(|p| p.fatal);
    out.problems.extend(problems);
    if !ok {
        return;
    }
    for a in &s.attributes {
        if let Some(t) = &a.taxonomy_term {
            if t.taxonomy_id.as_deref() != Some(CATEGORY_TAXONOMY_ID) {
                out.terms.push(t.clone());
            }
        }
    }
    if let Some(o) = &s.organization {
        out.organizations.push(o.clone());
    }
    out.services.push(s);
}

/// A list item carries only one-to-one fields: apply them to the stored service and keep
/// its nested records (adding any service-at-location the item names).
pub fn merge_summary(mut old: Service, new: Service) -> Service {
    let mut sals = std::mem::take(&mut old.service_at_locations);
    for sal in new.service_at_locations {
        match sals.iter_mut().find(|s| s.id == sal.id) {
            Some(s) => *s = sal,
            None => sals.push(sal),
        }
    }
    Service {
        schedules: old.schedules,
        service_areas: old.service_areas,
        service_at_locations: sals,
        languages: old.languages,
        funding: old.funding,
        cost_options: old.cost_options,
        contacts: old.contacts,
        phones: old.phones,
        attributes: old.attributes,
        organization: new.organization.or(old.organization),
        organization_id: new.organization_id.or(old.organization_id),
        ..new
    }
}

/// Turns checked records into one storage batch. Services keep their stored Linkwork
/// listing on re-import; new ones get `listing`.
pub fn to_batch(parsed: &Parsed, source: &str, listing: &Listing) -> DirectoryBatch {
    let mut batch = DirectoryBatch {
        source: source.into(),
        ..Default::default()
    };
    let mut seen = std::collections::HashSet::new();
    for o in parsed.organizations.iter().rev() {
        if seen.insert(o.id.clone()) {
            batch
                .organizations
                .push((o.id.clone(), o.name.clone(), json(o)));
        }
    }
    for t in &parsed.taxonomies {
        batch.taxonomies.push(DirDoc {
            id: t.id.clone(),
            parent_id: None,
            doc: json(t),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for t in parsed.terms.iter().rev() {
        if seen.insert(t.id.clone()) {
            batch.terms.push(DirDoc {
                id: t.id.clone(),
                parent_id: t.taxonomy_id.clone(),
                doc: json(t),
            });
        }
    }
    let listing_json = json(listing);
    let mut seen = std::collections::HashSet::new();
    for s in parsed.services.iter().rev() {
        if seen.insert(s.id.clone()) {
            batch.services.push(service_write(s, &listing_json));
        }
    }
    batch
}

/// The storage form of a service (its organisation is stored on its own).
pub fn service_write(s: &Service, listing_json: &str) -> DirServiceWrite {
    let mut doc = s.clone();
    doc.organization = None;
    DirServiceWrite {
        id: s.id.clone(),
        organization_id: s.organization_id.clone(),
        name: s.name.clone(),
        status: s.status.clone(),
        doc: json(&doc),
        listing: listing_json.into(),
        location_ids: s
            .service_at_locations
            .iter()
            .map(|l| l.id.clone())
            .collect(),
    }
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_record_is_reported_and_the_good_one_kept() {
        let feed = serde_json::json!([
            {"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Good walk", "status": "active"},
            {"id": "not-a-uuid", "name": "Bad id", "status": "active"},
            {"id": "0b1d7a38-4a43-4c1d-9d29-6a3a7f1b2c01", "name": "Bad age", "status": "active", "minimum_age": "ten"},
            {"id": "0b1d7a38-4a43-4c1d-9d29-6a3a7f1b2c02", "name": "", "status": "open"}
        ]);
        let p = parse_json(feed.to_string().as_bytes()).unwrap();
        assert_eq!(p.services.len(), 1);
        assert_eq!(p.services[0].name, "Good walk");
        assert_eq!(p.skipped(), 3);
        let age = p
            .problems
            .iter()
            .find(|p| p.record.ends_with("c01"))
            .unwrap();
        assert_eq!(age.field, "minimum_age");
        let bad = p
            .problems
            .iter()
            .filter(|p| p.record.ends_with("c02"))
            .count();
        assert_eq!(bad, 2, "both the name and the status are reported");
    }

    #[test]
    fn unreadable_json_is_an_error() {
        assert!(parse_json(b"{not json").is_err());
        assert!(parse_json(b"42").is_err());
    }
}
