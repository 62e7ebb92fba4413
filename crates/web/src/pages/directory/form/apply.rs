//! Checking a submitted listing form and applying it to a directory entry.

use super::*;

/// Applies a checked form to an entry. Fields the form does not show (other venues,
/// sessions beyond three, extra cost options, contacts) are kept as they were.
pub(super) fn apply(
    d: &Draft,
    e: &mut Entry,
    orgs: &[(Organization, Option<i64>)],
    manager: bool,
    point: Option<(f64, f64)>,
) -> FieldErrors {
    let mut err = FieldErrors::default();
    let opt = |k: &'static str| Some(d.s(k).to_string()).filter(|s| !s.is_empty());
    let sid = e.service.id.clone();
    let s = &mut e.service;
    s.name = d.s("name").to_string();
    if s.name.is_empty() {
        err.add("name", "Enter the service name");
    } else if s.name.chars().count() > 300 {
        err.add("name", "Service name must be 300 characters or fewer");
    }
    if manager {
        let chosen = d.s("organization_id");
        let new_org = d.s("new_organization");
        if !new_org.is_empty() {
            let id = derived_id(&["org", new_org]);
            let o = orgs
                .iter()
                .find(|(o, _)| o.id == id)
                .map(|(o, _)| o.clone())
                .unwrap_or(Organization {
                    id,
                    name: new_org.into(),
                    description: String::new(),
                    ..Default::default()
                });
            s.organization_id = Some(o.id.clone());
            s.organization = Some(o);
        } else if let Some((o, _)) = orgs.iter().find(|(o, _)| o.id == chosen) {
            s.organization_id = Some(o.id.clone());
            s.organization = Some(o.clone());
        } else {
            err.add(
                "organization_id",
                "Choose the organisation that runs the service, or name a new one",
            );
        }
    }
    s.description = opt("description");
    let status = d.s("status");
    if ["active", "temporarily closed", "inactive", "defunct"].contains(&status) {
        s.status = status.into();
    } else if !status.is_empty() {
        err.add("status", "Choose a status");
    }
    s.url = opt("url");
    if s.url
        .as_deref()
        .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
    {
        err.add("url", "Enter a web address starting https://");
    }
    s.email = opt("email");
    if s.email
        .as_deref()
        .is_some_and(|m| !m.contains('@') || m.contains(' '))
    {
        err.add("email", "Enter an email address like name@example.org");
    }
    match opt("phone") {
        Some(p) => {
            if p.chars()
                .any(|c| !(c.is_ascii_digit() || " +()-".contains(c)))
                || p.len() > 30
            {
                err.add("phone", "Enter a phone number using digits, spaces and +");
            }
            let id = s
                .phones
                .first()
                .map(|x| x.id.clone())
                .unwrap_or_else(|| derived_id(&[&sid, "phone"]));
            if s.phones.is_empty() {
                s.phones.push(Phone {
                    id,
                    number: p,
                    ..Default::default()
                });
            } else {
                s.phones[0].number = p;
            }
        }
        None => {
            if !s.phones.is_empty() {
                s.phones.remove(0);
            }
        }
    }
    for (k, slot) in [
        ("minimum_age", &mut s.minimum_age),
        ("maximum_age", &mut s.maximum_age),
    ] {
        *slot = None;
        if let Some(v) = opt(k) {
            match v.parse::<f64>() {
                Ok(a) if a.is_finite() && (0.0..=150.0).contains(&a) => *slot = Some(a),
                _ => err.add(k, "Enter an age in years from 0 to 150"),
            }
        }
    }
    if let (Some(a), Some(b)) = (s.minimum_age, s.maximum_age) {
        if a > b {
            err.add(
                "maximum_age",
                "The oldest age must be the same as or more than the youngest",
            );
        }
    }
    s.eligibility_description = opt("eligibility");
    // Venue (the first location).
    let (lat, lon) = (opt("latitude"), opt("longitude"));
    let mut coords = None;
    // The position as stored, to tell a typed position from one left as the form showed it.
    let stored_loc = s
        .service_at_locations
        .first()
        .and_then(|sal| sal.location.as_ref());
    let stored = stored_loc.and_then(|l| l.latitude.zip(l.longitude));
    let stored_postcode = stored_loc
        .and_then(|l| l.addresses.first())
        .map(|a| a.postal_code.replace(' ', "").to_uppercase())
        .unwrap_or_default();
    let postcode_moved = d.s("postcode").replace(' ', "").to_uppercase() != stored_postcode;
    match (
        lat.as_deref().map(str::parse::<f64>),
        lon.as_deref().map(str::parse::<f64>),
    ) {
        // A partner's form has no position fields: the stored position stays unless the
        // postcode moved (then the new postcode's position).
        (None, None) if !manager && !postcode_moved => coords = stored.or(point),
        (None, None) => coords = point,
        (Some(Ok(a)), Some(Ok(b)))
            if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&b) =>
        {
            // Left as it was while the postcode changed: the new postcode's position wins.
            let unchanged =
                stored.is_some_and(|(x, y)| (x - a).abs() < 1e-9 && (y - b).abs() < 1e-9);
            coords = match point {
                Some(p) if unchanged && postcode_moved => Some(p),
                _ => Some((a, b)),
            };
        }
        _ => err.add(
            "latitude",
            "Enter both latitude and longitude as decimal degrees, or neither",
        ),
    }
    let postcode = match opt("postcode") {
        Some(p) => match Postcode::parse(&p) {
            Ok(pc) => pc.to_string(),
            Err(m) => {
                err.add("postcode", m);
                p
            }
        },
        None => String::new(),
    };
    let has_venue = opt("location_name").is_some()
        || opt("address_1").is_some()
        || !postcode.is_empty()
        || coords.is_some();
    if has_venue {
        if s.service_at_locations.is_empty() {
            let loc_id = derived_id(&[&sid, "location"]);
            s.service_at_locations.push(ServiceAtLocation {
                id: derived_id(&[&sid, "service_at_location"]),
                location_id: Some(loc_id.clone()),
                location: Some(Location {
                    id: loc_id,
                    location_type: "physical".into(),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        let sal = &mut s.service_at_locations[0];
        let loc = sal.location.get_or_insert_with(|| Location {
            id: derived_id(&[&sid, "location"]),
            location_type: "physical".into(),
            ..Default::default()
        });
        loc.name = opt("location_name");
        loc.latitude = coords.map(|c| c.0);
        loc.longitude = coords.map(|c| c.1);
        let address_1 = d.s("address_1").to_string();
        if address_1.is_empty() && postcode.is_empty() {
            loc.addresses.clear();
        } else {
            if loc.addresses.is_empty() {
                loc.addresses.push(Address {
                    id: derived_id(&[&sid, "address"]),
                    country: "GB".into(),
                    address_type: "physical".into(),
                    ..Default::default()
                });
            }
            let a = &mut loc.addresses[0];
            a.address_1 = address_1;
            a.city = d.s("city").to_string();
            a.postal_code = postcode;
        }
    }
    // Sessions: the first three are edited in place (their other fields kept), weekly,
    // every other week or monthly; any beyond three are left alone.
    let editable: Vec<usize> = (0..s.schedules.len()).take(3).collect();
    let mut remove = vec![];
    for (i, (dk, ok, ck)) in SESSION_KEYS.iter().enumerate() {
        let (days, opens, closes) = (d.s(dk), d.s(ok), d.s(ck));
        let existing = editable.get(i).copied();
        if days.is_empty() && opens.is_empty() && closes.is_empty() {
            if let Some(j) = existing {
                remove.push(j);
            }
            continue;
        }
        let mut codes = vec![];
        for part in days
            .split([',', ';', '/'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match Weekday::parse(part) {
                Some(w) => codes.push(w.code()),
                None => {
                    err.add(*dk, format!("'{part}' is not a day of the week"));
                    break;
                }
            }
        }
        for (k, t) in [(*ok, opens), (*ck, closes)] {
            if !t.is_empty() && parse_time_of_day(t).is_none() {
                err.add(k, "Enter a 24-hour time like 10:00");
            }
        }
        if let (Some(o), Some(c)) = (parse_time_of_day(opens), parse_time_of_day(closes)) {
            if c <= o {
                err.add(*ck, "The session must end after it starts");
            }
        }
        let (ek, wk) = super::EVERY_KEYS[i];
        let every = match d.s(ek) {
            "" => Some(Every::Weekly),
            x => Every::from_code(x),
        };
        if every.is_none() {
            err.add(ek, "Choose how often the session runs");
        }
        let week = match d.s(wk) {
            "" => None,
            x => {
                let w = WeekOfMonth::from_code(x);
                if w.is_none() {
                    err.add(wk, "Choose the week of the month from the list");
                }
                w
            }
        };
        if every == Some(Every::Monthly) {
            if week.is_none() && !err.0.iter().any(|x| x.field == wk) {
                err.add(wk, "Choose which week of the month it runs");
            }
            if codes.is_empty() {
                err.add(*dk, "Say which day of the week the monthly session is on");
            }
        }
        let j = match existing {
            Some(j) => j,
            None => {
                s.schedules.push(Schedule {
                    id: derived_id(&[&sid, "session", &i.to_string()]),
                    freq: Some("WEEKLY".into()),
                    interval: Some(1.0),
                    ..Default::default()
                });
                s.schedules.len() - 1
            }
        };
        let sch = &mut s.schedules[j];
        match (every, week) {
            (Some(Every::Monthly), Some(w)) => {
                sch.freq = Some("MONTHLY".into());
                sch.interval = Some(1.0);
                let days: Vec<String> = codes.iter().map(|c| format!("{}{c}", w.code())).collect();
                sch.byday = (!days.is_empty()).then(|| days.join(","));
            }
            (Some(Every::Fortnightly), _) => {
                sch.freq = Some("WEEKLY".into());
                sch.interval = Some(2.0);
                sch.byday = (!codes.is_empty()).then(|| codes.join(","));
            }
            _ => {
                sch.freq = Some("WEEKLY".into());
                sch.interval = Some(1.0);
                sch.byday = (!codes.is_empty()).then(|| codes.join(","));
            }
        }
        sch.opens_at = Some(opens.to_string()).filter(|s| !s.is_empty());
        sch.closes_at = Some(closes.to_string()).filter(|s| !s.is_empty());
    }
    remove.sort_unstable();
    for j in remove.into_iter().rev() {
        s.schedules.remove(j);
    }
    // Cost: the first option.
    match d.s("cost") {
        "" => {}
        c @ ("free" | "paid") => {
            let amount = if c == "free" {
                Some(0.0)
            } else {
                match d.s("cost_amount").trim_start_matches('£').parse::<f64>() {
                    Ok(a) if a > 0.0 && a < 10_000.0 => Some(a),
                    _ => {
                        err.add("cost_amount", "Enter the charge in pounds, like 3.50");
                        None
                    }
                }
            };
            if s.cost_options.is_empty() {
                s.cost_options.push(CostOption {
                    id: derived_id(&[&sid, "cost"]),
                    ..Default::default()
                });
            }
            let option = &mut s.cost_options[0];
            if amount.is_some() {
                option.amount = amount;
            }
            if option.option.is_none() {
                option.option = Some(if c == "free" {
                    "Free".into()
                } else {
                    "Charge".into()
                });
            }
            option.amount_description = if c == "paid" {
                opt("cost_description")
            } else {
                None
            };
        }
        _ => err.add("cost", "Choose free or a charge"),
    }
    let old_languages = std::mem::take(&mut s.languages);
    let mut languages: Vec<Language> = old_languages
        .iter()
        .filter(|l| l.name.is_none())
        .cloned()
        .collect();
    for name in d
        .s("languages")
        .split([',', ';'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(20)
    {
        let known = old_languages.iter().find(|l| {
            l.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        languages.push(match known {
            Some(l) => l.clone(),
            None => Language {
                id: derived_id(&[&sid, "language", &name.to_lowercase()]),
                name: Some(name.to_string()),
                ..Default::default()
            },
        });
    }
    s.languages = languages;
    let cats: Vec<Category> = d
        .list("categories")
        .iter()
        .filter_map(|c| Category::from_code(c))
        .collect();
    e.set_categories(&cats);
    e.listing.access_features = d
        .list("access_features")
        .iter()
        .filter_map(|c| AccessFeature::from_code(c))
        .collect();
    match ReferralMode::from_code(d.s("referral_mode")) {
        Some(m) => e.listing.referral_mode = m,
        None => err.add("referral_mode", "Choose how people are connected"),
    }
    match ServiceCapacity::from_code(d.s("capacity")) {
        Some(c) => e.listing.capacity = c,
        None => err.add(
            "capacity",
            "Choose whether the service is taking new people",
        ),
    }
    match d.s("response_days").trim().parse::<u16>() {
        _ if d.s("response_days").trim().is_empty() => e.listing.response_days = 14,
        Ok(n) if (1..=365).contains(&n) => e.listing.response_days = n,
        _ => err.add("response_days", "Enter a number of days from 1 to 365"),
    }
    if manager {
        e.listing.public = d.s("public") == "yes";
    }
    if d.s("verified") == "yes" {
        e.listing.verified_on = Some(directory::today());
    }
    err
}
