//! Adding, editing and retiring listings, and quick capacity updates.

use super::*;

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
    "s2_days",
    "s2_opens",
    "s2_closes",
    "s3_days",
    "s3_opens",
    "s3_closes",
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
    let weekly: Vec<&Schedule> = s
        .schedules
        .iter()
        .filter(|x| x.freq.as_deref() != Some("MONTHLY"))
        .take(3)
        .collect();
    for (i, sch) in weekly.iter().enumerate() {
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

fn radios<T: Code>(selected: &str) -> Vec<Opt> {
    opts_from::<T>(&[selected.to_string()])
}

fn sections(
    d: &Draft,
    e: &FieldErrors,
    orgs: &[(Organization, Option<i64>)],
    manager: bool,
) -> Vec<Section> {
    let mut out = vec![];
    let mut about = vec![Field::new("text", "name", "Service name")
        .value(d.s("name"))
        .required()
        .errors(e)];
    if manager {
        let mut org_opts = vec![Opt {
            value: String::new(),
            label: "Choose an organisation".into(),
            selected: d.s("organization_id").is_empty(),
        }];
        org_opts.extend(orgs.iter().map(|(o, _)| Opt {
            value: o.id.clone(),
            label: o.name.clone(),
            selected: d.s("organization_id") == o.id,
        }));
        about.push(
            Field::new("select", "organization_id", "Organisation")
                .options(org_opts)
                .errors(e),
        );
        about.push(
            Field::new("text", "new_organization", "Or a new organisation")
                .hint("Only if it is not in the list above")
                .value(d.s("new_organization"))
                .width("30")
                .errors(e),
        );
    }
    about.extend([
        Field::new("textarea", "description", "What happens there")
            .hint("In plain words: who it is for and what people do")
            .value(d.s("description"))
            .errors(e),
        Field::new("checkboxes", "categories", "Categories")
            .hint("Tick all that apply")
            .codes::<Category>(&d.list("categories"), None)
            .errors(e),
        Field::new("select", "status", "Status")
            .options(
                ["active", "temporarily closed", "inactive", "defunct"]
                    .iter()
                    .map(|s| Opt {
                        value: s.to_string(),
                        label: s.to_string(),
                        selected: d.s("status") == *s
                            || (d.s("status").is_empty() && *s == "active"),
                    })
                    .collect(),
            )
            .errors(e),
    ]);
    out.push(Section {
        legend: "About the service".into(),
        fields: about,
    });
    out.push(Section {
        legend: "Who it is for".into(),
        fields: vec![
            Field::new("text", "minimum_age", "Youngest age")
                .value(d.s("minimum_age"))
                .width("10")
                .errors(e),
            Field::new("text", "maximum_age", "Oldest age")
                .value(d.s("maximum_age"))
                .width("10")
                .errors(e),
            Field::new("textarea", "eligibility", "Other eligibility")
                .value(d.s("eligibility"))
                .errors(e),
            Field::new("text", "languages", "Languages")
                .hint("Separate with commas, for example English, Polish, Urdu")
                .value(d.s("languages"))
                .width("30")
                .errors(e),
            Field::new("checkboxes", "access_features", "Access")
                .codes::<AccessFeature>(&d.list("access_features"), None)
                .errors(e),
        ],
    });
    out.push(Section {
        legend: "Where".into(),
        fields: vec![
            Field::new("text", "location_name", "Venue")
                .value(d.s("location_name"))
                .width("30")
                .errors(e),
            Field::new("text", "address_1", "Address")
                .value(d.s("address_1"))
                .width("30")
                .errors(e),
            Field::new("text", "city", "Town or city")
                .value(d.s("city"))
                .width("20")
                .errors(e),
            Field::new("text", "postcode", "Postcode")
                .hint("Used for distances when no map position is given")
                .value(d.s("postcode"))
                .width("10")
                .errors(e),
            Field::new("text", "latitude", "Latitude")
                .value(d.s("latitude"))
                .width("10")
                .errors(e),
            Field::new("text", "longitude", "Longitude")
                .value(d.s("longitude"))
                .width("10")
                .errors(e),
        ],
    });
    let mut when = vec![];
    for (i, (dk, ok, ck)) in SESSION_KEYS.iter().enumerate() {
        when.push(
            Field::new("text", *dk, &format!("Session {} days", i + 1))
                .hint("For example: Tuesday, Thursday")
                .value(d.s(dk))
                .width("20")
                .errors(e),
        );
        when.push(
            Field::new("text", *ok, &format!("Session {} starts", i + 1))
                .hint("24-hour time, like 10:00")
                .value(d.s(ok))
                .width("10")
                .errors(e),
        );
        when.push(
            Field::new("text", *ck, &format!("Session {} ends", i + 1))
                .value(d.s(ck))
                .width("10")
                .errors(e),
        );
    }
    out.push(Section {
        legend: "When (weekly sessions)".into(),
        fields: when,
    });
    out.push(Section {
        legend: "Cost and contact".into(),
        fields: vec![
            Field::new("radios", "cost", "Cost")
                .options(vec![
                    Opt {
                        value: "free".into(),
                        label: "Free".into(),
                        selected: d.s("cost") == "free",
                    },
                    Opt {
                        value: "paid".into(),
                        label: "There is a charge".into(),
                        selected: d.s("cost") == "paid",
                    },
                ])
                .errors(e),
            Field::new("text", "cost_amount", "Charge in pounds")
                .value(d.s("cost_amount"))
                .width("10")
                .errors(e),
            Field::new("text", "cost_description", "What the charge covers")
                .value(d.s("cost_description"))
                .width("30")
                .errors(e),
            Field::new("tel", "phone", "Phone")
                .value(d.s("phone"))
                .width("20")
                .errors(e),
            Field::new("email", "email", "Email")
                .value(d.s("email"))
                .width("30")
                .errors(e),
            Field::new("text", "url", "Website")
                .hint("Starting https://")
                .value(d.s("url"))
                .width("30")
                .errors(e),
        ],
    });
    let mut linkwork = vec![
        Field::new("radios", "referral_mode", "How people are connected")
            .options(radios::<ReferralMode>(d.s("referral_mode")))
            .errors(e),
        Field::new("radios", "capacity", "Taking new people?")
            .options(radios::<ServiceCapacity>(d.s("capacity")))
            .errors(e),
        Field::new("text", "response_days", "Days to answer a referral")
            .value(d.s("response_days"))
            .width("10")
            .errors(e),
    ];
    if manager {
        linkwork.push(
            Field::new("checkbox", "public", "Publish in the open directory feed")
                .value(d.s("public"))
                .errors(e),
        );
    }
    linkwork.push(
        Field::new(
            "checkbox",
            "verified",
            "I have checked these details are correct today",
        )
        .value(d.s("verified"))
        .errors(e),
    );
    out.push(Section {
        legend: "Referrals and capacity".into(),
        fields: linkwork,
    });
    out
}

/// Applies a checked form to an entry. Fields the form does not show (other venues,
/// monthly schedules, extra cost options, contacts) are kept as they were.
fn apply(
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
    match (
        lat.as_deref().map(str::parse::<f64>),
        lon.as_deref().map(str::parse::<f64>),
    ) {
        (None, None) => coords = point,
        (Some(Ok(a)), Some(Ok(b)))
            if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&b) =>
        {
            coords = Some((a, b))
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
    // Weekly sessions: the first three are edited in place (their other fields kept);
    // monthly ones and any beyond three are left alone.
    let editable: Vec<usize> = s
        .schedules
        .iter()
        .enumerate()
        .filter(|(_, x)| x.freq.as_deref() != Some("MONTHLY"))
        .map(|(i, _)| i)
        .take(3)
        .collect();
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
        sch.byday = (!codes.is_empty()).then(|| codes.join(","));
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
    match d.s("response_days").parse::<u16>() {
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

async fn render_form(
    state: &AppState,
    auth: &Auth,
    e: Option<&Entry>,
    d: &Draft,
    errs: &FieldErrors,
) -> Result<Response, AppError> {
    let manager = auth.user.role.can_manage_directory();
    let orgs = if manager {
        state.directory.organizations().await?
    } else {
        vec![]
    };
    let (heading, action, cancel, version) = match e {
        Some(e) => (
            format!("Edit {}", e.service.name),
            format!("/directory/services/{}", e.service.id),
            format!("/directory/services/{}", e.service.id),
            e.version,
        ),
        None => (
            "Add a service".to_string(),
            "/directory/services".to_string(),
            "/directory".to_string(),
            0,
        ),
    };
    let status = if errs.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        ctx: PageCtx::new(Some(auth), heading.clone(), "/directory"),
        heading,
        action,
        cancel,
        version,
        sections: sections(d, errs, &orgs, manager),
        errors: error_items(errs),
    };
    Ok(views::render(status, &page))
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.service.create",
    )
    .await?;
    let d = draft_from_entry(&Entry::new(""));
    render_form(&state, &auth, None, &d, &FieldErrors::default()).await
}

async fn postcode_point(state: &AppState, d: &Draft) -> Result<Option<(f64, f64)>, AppError> {
    match Postcode::parse(d.s("postcode")) {
        Ok(pc) => Ok(state.directory.postcode(&pc.to_string()).await?),
        Err(_) => Ok(None),
    }
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.service.create",
    )
    .await?;
    let f = auth.form(&body)?;
    let d = draft_from_form(&f);
    let orgs = state.directory.organizations().await?;
    let mut e = Entry::new("");
    let point = postcode_point(&state, &d).await?;
    let errs = apply(&d, &mut e, &orgs, true, point);
    if !errs.is_empty() {
        return render_form(&state, &auth, None, &d, &errs).await;
    }
    let saved = state.directory.save(&e, &auth.actor()).await?;
    Ok(see_other(&format!(
        "/directory/services/{}?done=service-saved",
        saved.service.id
    )))
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let e = load(&state, &id).await?;
    auth.require(&state, can_edit(&auth, &e), "directory.service.edit")
        .await?;
    render_form(
        &state,
        &auth,
        Some(&e),
        &draft_from_entry(&e),
        &FieldErrors::default(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut e = load(&state, &id).await?;
    auth.require(&state, can_edit(&auth, &e), "directory.service.edit")
        .await?;
    let f = auth.form(&body)?;
    let version = f.i64("version")?;
    if version != e.version {
        return Err(AppError::Stale);
    }
    let d = draft_from_form(&f);
    let manager = auth.user.role.can_manage_directory();
    let orgs = if manager {
        state.directory.organizations().await?
    } else {
        vec![]
    };
    let before = e.clone();
    let point = postcode_point(&state, &d).await?;
    let errs = apply(&d, &mut e, &orgs, manager, point);
    if !errs.is_empty() {
        return render_form(&state, &auth, Some(&before), &d, &errs).await;
    }
    state.directory.save(&e, &auth.actor()).await?;
    Ok(see_other(&format!(
        "/directory/services/{id}?done=service-saved"
    )))
}

pub async fn retire(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.service.retire",
    )
    .await?;
    let f = auth.form(&body)?;
    let mut e = load(&state, &id).await?;
    if f.i64("version")? != e.version {
        return Err(AppError::Stale);
    }
    if f.get("undo") == "yes" {
        e.listing.retired_on = None;
    } else {
        e.listing.retired_on = Some(directory::today());
        e.service.status = "inactive".into();
    }
    state.directory.save(&e, &auth.actor()).await?;
    Ok(see_other(&format!(
        "/directory/services/{id}?done=service-saved"
    )))
}

pub async fn set_capacity(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let mut e = load(&state, &id).await?;
    auth.require(&state, can_edit(&auth, &e), "directory.service.capacity")
        .await?;
    let f = auth.form(&body)?;
    let c = ServiceCapacity::from_code(f.get("capacity"))
        .ok_or_else(|| AppError::BadRequest("Choose a capacity".into()))?;
    e.listing.capacity = c;
    e.listing.verified_on = Some(directory::today());
    state.directory.save(&e, &auth.actor()).await?;
    let back = if f.get("back") == "partner" {
        "/partner?done=capacity".to_string()
    } else {
        format!("/directory/services/{id}?done=capacity")
    };
    Ok(see_other(&back))
}
