//! The spreadsheet layout: one row per service (at one location). Columns are named in the
//! first row; only `service_name` and `organization_name` are required. See
//! `docs/directory.md` for the full layout.

use crate::import::Parsed;
use crate::listing::Listing;
use crate::oruk::{
    Address, CostOption, Language, Location, Organization, Phone, Schedule, Service,
    ServiceAtLocation,
};
use crate::validate::{byday, check_service, check_strings, derived_id, is_uuid, Problem};
use crate::Entry;
use domain::{AccessFeature, Category, Code, ReferralMode, ServiceCapacity};
use std::collections::HashMap;

/// Every column the layout knows, in the order the template lists them.
pub const COLUMNS: &[&str] = &[
    "service_id",
    "service_name",
    "description",
    "organization_id",
    "organization_name",
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
    "days",
    "opens_at",
    "closes_at",
    "schedule_description",
    "cost",
    "cost_description",
    "categories",
    "languages",
    "access_features",
    "referral_mode",
    "capacity",
    "response_days",
    "public",
];

/// Parsed rows plus each service's listing (spreadsheets carry Linkwork's own columns).
#[derive(Debug, Default)]
pub struct CsvParsed {
    pub parsed: Parsed,
    pub listings: HashMap<String, Listing>,
    /// The columns the sheet has (only those replace a stored listing's values).
    pub columns: Vec<String>,
}

fn list<T: Code>(raw: &str, what: &str) -> Result<Vec<T>, String> {
    let mut out = vec![];
    for part in raw
        .split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let found = T::ALL
            .iter()
            .copied()
            .find(|v| v.code().eq_ignore_ascii_case(part) || v.label().eq_ignore_ascii_case(part));
        match found {
            Some(v) => out.push(v),
            None => return Err(format!("'{part}' is not a known {what}")),
        }
    }
    Ok(out)
}

pub fn parse_csv(bytes: &[u8]) -> Result<CsvParsed, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for required in ["service_name", "organization_name"] {
        if !headers.iter().any(|h| h == required) {
            return Err(format!("the header row has no `{required}` column"));
        }
    }
    if let Some(h) = headers.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(format!(
            "unknown column `{h}`; the columns are: {}",
            COLUMNS.join(", ")
        ));
    }
    let mut out = CsvParsed {
        columns: headers.clone(),
        ..Default::default()
    };
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.parsed.problems.push(Problem {
                    record: format!("row {row}"),
                    field: String::new(),
                    message: e.to_string(),
                    fatal: true,
                });
                continue;
            }
        };
        let get = |name: &str| -> String {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|p| rec.get(p))
                .unwrap_or("")
                .to_string()
        };
        match row_to_service(&get, row) {
            Ok((mut s, listing)) => {
                let raw = serde_json::to_value(&s).unwrap_or_default();
                if let Some((field, message)) = check_strings(&raw, &mut String::new()) {
                    out.parsed.problems.push(Problem {
                        record: format!("row {row}"),
                        field,
                        message,
                        fatal: true,
                    });
                    continue;
                }
                let problems: Vec<Problem> = check_service(&mut s)
                    .into_iter()
                    .map(|p| Problem {
                        record: format!("row {row} ({})", p.record),
                        ..p
                    })
                    .collect();
                let fatal = problems.iter().any(|p| p.fatal);
                out.parsed.problems.extend(problems);
                if !fatal {
                    if let Some(o) = &s.organization {
                        out.parsed.organizations.push(o.clone());
                    }
                    out.listings.insert(s.id.clone(), listing);
                    out.parsed.services.push(s);
                }
            }
            Err((field, message)) => out.parsed.problems.push(Problem {
                record: format!("row {row}"),
                field: field.into(),
                message,
                fatal: true,
            }),
        }
    }
    Ok(out)
}

type RowError = (&'static str, String);

fn number(get: &dyn Fn(&str) -> String, name: &'static str) -> Result<Option<f64>, RowError> {
    let raw = get(name);
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<f64>()
        .map(Some)
        .map_err(|_| (name, format!("'{raw}' is not a number")))
}

fn opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn row_to_service(
    get: &dyn Fn(&str) -> String,
    row: usize,
) -> Result<(Service, Listing), RowError> {
    let name = get("service_name");
    let org_name = get("organization_name");
    if name.is_empty() {
        return Err(("service_name", "is required".into()));
    }
    if org_name.is_empty() {
        return Err(("organization_name", "is required".into()));
    }
    let org_id = opt(get("organization_id")).unwrap_or_else(|| derived_id(&["org", &org_name]));
    if !is_uuid(&org_id) {
        return Err(("organization_id", "must be a UUID (or left empty)".into()));
    }
    let id = opt(get("service_id")).unwrap_or_else(|| derived_id(&["service", &org_name, &name]));
    let mut e = Entry::new(&name);
    e.service.id = id.clone();
    e.service.description = opt(get("description"));
    e.service.status = opt(get("status")).unwrap_or_else(|| "active".into());
    e.service.url = opt(get("url"));
    e.service.email = opt(get("email"));
    e.service.minimum_age = number(get, "minimum_age")?;
    e.service.maximum_age = number(get, "maximum_age")?;
    e.service.eligibility_description = opt(get("eligibility"));
    e.service.organization_id = Some(org_id.clone());
    e.service.organization = Some(Organization {
        id: org_id,
        name: org_name,
        description: String::new(),
        ..Default::default()
    });
    let phone = get("phone");
    if !phone.is_empty() {
        e.service.phones.push(Phone {
            id: derived_id(&[&id, "phone"]),
            number: phone,
            ..Default::default()
        });
    }
    let postcode = get("postcode");
    let address_1 = get("address_1");
    let lat = number(get, "latitude")?;
    let lon = number(get, "longitude")?;
    if !postcode.is_empty() || !address_1.is_empty() || lat.is_some() {
        let postcode = match postcode.as_str() {
            "" => String::new(),
            p => domain::Postcode::parse(p)
                .map_err(|m| ("postcode", m.to_string()))?
                .to_string(),
        };
        let loc_id = derived_id(&[&id, "location"]);
        e.service.service_at_locations.push(ServiceAtLocation {
            id: derived_id(&[&id, "service_at_location"]),
            service_id: None,
            location_id: Some(loc_id.clone()),
            location: Some(Location {
                id: loc_id.clone(),
                location_type: "physical".into(),
                name: opt(get("location_name")),
                latitude: lat,
                longitude: lon,
                addresses: vec![Address {
                    id: derived_id(&[&id, "address"]),
                    address_1,
                    city: get("city"),
                    state_province: String::new(),
                    postal_code: postcode,
                    country: "GB".into(),
                    address_type: "physical".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        });
    }
    let days = get("days");
    let opens = get("opens_at");
    let closes = get("closes_at");
    if !days.is_empty() || !opens.is_empty() {
        let parsed = byday(&days.replace(';', ","))
            .ok_or(("days", format!("'{days}' is not a list of days like MO;TH")))?;
        let codes: Vec<&str> = parsed.iter().map(|d| d.code()).collect();
        e.service.schedules.push(Schedule {
            id: derived_id(&[&id, "schedule"]),
            freq: Some("WEEKLY".into()),
            byday: (!codes.is_empty()).then(|| codes.join(",")),
            opens_at: opt(opens),
            closes_at: opt(closes),
            description: opt(get("schedule_description")),
            ..Default::default()
        });
    }
    let cost = get("cost");
    if !cost.is_empty() {
        let amount = if cost.eq_ignore_ascii_case("free") {
            0.0
        } else {
            cost.trim_start_matches('£')
                .parse::<f64>()
                .map_err(|_| ("cost", format!("'{cost}' is not 'free' or an amount")))?
        };
        e.service.cost_options.push(CostOption {
            id: derived_id(&[&id, "cost"]),
            option: Some(if amount == 0.0 {
                "Free".into()
            } else {
                "Paid".into()
            }),
            amount: Some(amount),
            amount_description: opt(get("cost_description")),
            ..Default::default()
        });
    }
    for (i, lang) in get("languages")
        .split([';', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        e.service.languages.push(Language {
            id: derived_id(&[&id, "language", &i.to_string()]),
            name: Some(lang.into()),
            ..Default::default()
        });
    }
    let cats: Vec<Category> =
        list(&get("categories"), "category").map_err(|m| ("categories", m))?;
    e.set_categories(&cats);
    let mut listing = Listing {
        access_features: list::<AccessFeature>(&get("access_features"), "access feature")
            .map_err(|m| ("access_features", m))?,
        verified_on: Some(crate::today()),
        ..Listing::default()
    };
    if let Some(m) = opt(get("referral_mode")) {
        listing.referral_mode = list::<ReferralMode>(&m, "referral mode")
            .map_err(|m| ("referral_mode", m))?
            .first()
            .copied()
            .unwrap_or(ReferralMode::SignpostOnly);
    }
    if let Some(c) = opt(get("capacity")) {
        listing.capacity = list::<ServiceCapacity>(&c, "capacity")
            .map_err(|m| ("capacity", m))?
            .first()
            .copied()
            .unwrap_or(ServiceCapacity::Accepting);
    }
    if let Some(d) = opt(get("response_days")) {
        listing.response_days = d
            .parse::<u16>()
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or((
                "response_days",
                format!("'{d}' is not a number of days from 1 to 365"),
            ))?;
    }
    if let Some(p) = opt(get("public")) {
        listing.public = match p.to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => true,
            "no" | "n" | "false" | "0" => false,
            _ => return Err(("public", format!("'{p}' is not yes or no"))),
        };
    }
    let _ = row;
    Ok((e.service, listing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spreadsheet_row_becomes_a_service() {
        let csv = "service_name,organization_name,postcode,days,opens_at,closes_at,cost,categories,minimum_age,access_features,referral_mode\n\
                   Riverside Walk,Green Steps,LS1 4AP,TU;TH,10:00,11:30,free,walking;exercise,18,step_free,referral\n\
                   Bad Age,Green Steps,,,,,,,ten,,\n\
                   ,No Name Org,,,,,,,,,\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.parsed.services.len(), 1);
        let s = &p.parsed.services[0];
        assert_eq!(s.schedules[0].byday.as_deref(), Some("TU,TH"));
        assert_eq!(s.service_at_locations.len(), 1);
        let l = &p.listings[&s.id];
        assert_eq!(l.referral_mode, ReferralMode::Referral);
        assert_eq!(l.access_features, vec![AccessFeature::StepFree]);
        let problems: Vec<String> = p.parsed.problems.iter().map(|p| p.to_string()).collect();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("row 3") && p.contains("minimum_age")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("row 4") && p.contains("service_name")),
            "{problems:?}"
        );
        // Same row again: same ids, so a re-import updates rather than duplicates.
        let again = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(again.parsed.services[0].id, s.id);
    }

    #[test]
    fn unknown_columns_are_refused_with_the_list() {
        let err = parse_csv(b"service_name,organization_name,colour\nA,B,red\n").unwrap_err();
        assert!(err.contains("colour") && err.contains("service_id"));
    }
}
