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

const PER_PAGE: usize = 20;
const METRES_PER_MILE: f64 = 1609.344;

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
}

fn ages(e: &Entry) -> String {
    match (e.service.minimum_age, e.service.maximum_age) {
        (Some(a), Some(b)) => format!("Ages {a}–{b}"),
        (Some(a), None) => format!("Ages {a} and over"),
        (None, Some(b)) => format!("Up to age {b}"),
        (None, None) => "All ages".into(),
    }
}

fn when(e: &Entry) -> Vec<String> {
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
            let monthly = if s.freq.as_deref() == Some("MONTHLY") {
                " (monthly)"
            } else {
                ""
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

fn cost(e: &Entry) -> String {
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

fn place(e: &Entry) -> String {
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
        .unwrap_or_else(|| "No venue given".into())
}

fn distance_text(m: f64) -> String {
    let miles = m / METRES_PER_MILE;
    if miles < 0.1 {
        "Less than 0.1 miles".into()
    } else {
        format!("{miles:.1} miles ({:.1} km)", m / 1000.0)
    }
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
        status: e.service.status.clone(),
        place: place(e),
    }
}

// ---------------------------------------------------------------- search

#[derive(Template)]
#[template(path = "directory_search.html")]
struct SearchPage {
    ctx: PageCtx,
    q: HashMap<String, String>,
    categories: Vec<Opt>,
    days: Vec<Opt>,
    access: Vec<Opt>,
    radii: Vec<Opt>,
    sorts: Vec<Opt>,
    results: Vec<Card>,
    total: usize,
    notice: Option<String>,
    errors: Vec<ErrorItem>,
    searched: bool,
    filters_open: bool,
    prev: Option<String>,
    next: Option<String>,
    first_shown: usize,
    last_shown: usize,
    can_manage: bool,
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

pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_search_directory(),
        "directory.search",
    )
    .await?;
    let raw = raw.unwrap_or_default();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect();
    let many = |k: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(n, v)| n == k && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    };
    let mut q: HashMap<String, String> = HashMap::new();
    for (k, v) in &pairs {
        if !matches!(k.as_str(), "category" | "access") {
            q.insert(k.clone(), v.chars().take(200).collect());
        }
    }
    let get = |k: &str| q.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut errors = FieldErrors::default();
    let mut sq = SearchQuery {
        text: get("q"),
        categories: many("category")
            .iter()
            .filter_map(|c| Category::from_code(c))
            .collect(),
        access: many("access")
            .iter()
            .filter_map(|c| AccessFeature::from_code(c))
            .collect(),
        free_only: get("free") == "yes",
        referrals_only: get("referrals") == "yes",
        language: Some(get("language")).filter(|l| !l.is_empty()),
        ..Default::default()
    };
    let age = get("age");
    if !age.is_empty() {
        match age.parse::<f64>() {
            Ok(a) if (0.0..=120.0).contains(&a) => sq.age = Some(a),
            _ => errors.add("age", "Enter an age in years, like 70"),
        }
    }
    let day = get("day");
    if !day.is_empty() {
        sq.day = Weekday::parse(&day);
    }
    for (name, slot) in [("from", &mut sq.start), ("until", &mut sq.end)] {
        let t = get(name);
        if !t.is_empty() {
            match parse_time_of_day(&t) {
                Some(m) => *slot = Some(m),
                None => errors.add(
                    if name == "from" { "from" } else { "until" },
                    "Enter a time like 09:30",
                ),
            }
        }
    }
    let mut notice = None;
    let postcode = get("postcode");
    if !postcode.is_empty() {
        match Postcode::parse(&postcode) {
            Err(m) => errors.add("postcode", m),
            Ok(pc) => match state.directory.postcode(&pc.to_string()).await? {
                Some(p) => sq.near = Some(p),
                None => {
                    notice = Some(format!(
                        "We do not have a location for {pc}, so results are not filtered or sorted by distance."
                    ))
                }
            },
        }
    }
    let within = get("within");
    if let (Ok(miles), Some(_)) = (within.parse::<f64>(), sq.near) {
        sq.within_m = Some(miles * METRES_PER_MILE);
    }
    sq.sort = match get("sort").as_str() {
        "distance" => Sort::Distance,
        "name" => Sort::Name,
        _ => Sort::Relevance,
    };
    let searched = !pairs.is_empty();
    let (mut results, mut total) = (vec![], 0);
    let page: usize = get("page").parse().unwrap_or(1).clamp(1, 10_000);
    if errors.is_empty() && searched {
        let hits = state.directory.search(&sq)?;
        total = hits.len();
        let slice: Vec<_> = hits
            .into_iter()
            .skip((page - 1) * PER_PAGE)
            .take(PER_PAGE)
            .collect();
        let ids: Vec<String> = slice.iter().map(|h| h.id.clone()).collect();
        let entries = state.directory.entries(&ids).await?;
        let dist: HashMap<&str, Option<f64>> = slice
            .iter()
            .map(|h| (h.id.as_str(), h.distance_m))
            .collect();
        results = entries
            .iter()
            .map(|e| card(e, dist.get(e.service.id.as_str()).copied().flatten()))
            .collect();
    }
    let link = |p: usize| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            if k != "page" {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &p.to_string());
        format!("/directory?{}", s.finish())
    };
    let first_shown = if total == 0 {
        0
    } else {
        (page - 1) * PER_PAGE + 1
    };
    let last_shown = ((page - 1) * PER_PAGE + results.len()).min(total);
    let radii = ["", "1", "2", "5", "10"]
        .iter()
        .map(|r| Opt {
            value: r.to_string(),
            label: if r.is_empty() {
                "Any distance".into()
            } else {
                format!("Within {r} miles")
            },
            selected: within == *r,
        })
        .collect();
    let sorts = [
        ("relevance", "Best match"),
        ("distance", "Nearest first"),
        ("name", "Name"),
    ]
    .iter()
    .map(|(v, l)| Opt {
        value: v.to_string(),
        label: l.to_string(),
        selected: get("sort") == *v,
    })
    .collect();
    let mut days = vec![Opt {
        value: String::new(),
        label: "Any day".into(),
        selected: day.is_empty(),
    }];
    days.extend(Weekday::ALL.iter().map(|d| Opt {
        value: d.code().into(),
        label: d.label().into(),
        selected: sq.day == Some(*d),
    }));
    let page_view = SearchPage {
        ctx: PageCtx::new(Some(&auth), "Community directory", "/directory"),
        categories: opts_from::<Category>(&many("category")),
        access: opts_from::<AccessFeature>(&many("access")),
        days,
        radii,
        sorts,
        q,
        results,
        total,
        notice,
        errors: error_items(&errors),
        searched,
        filters_open: !many("category").is_empty() || !many("access").is_empty(),
        prev: (page > 1).then(|| link(page - 1)),
        next: (page * PER_PAGE < total).then(|| link(page + 1)),
        first_shown,
        last_shown,
        can_manage: auth.user.role.can_manage_directory(),
    };
    Ok(views::ok(&page_view))
}

impl SearchPage {
    fn v(&self, k: &str) -> &str {
        self.q.get(k).map(String::as_str).unwrap_or("")
    }
}

// ---------------------------------------------------------------- service page

#[derive(Template)]
#[template(path = "service_show.html")]
struct ServicePage {
    ctx: PageCtx,
    card: Card,
    e: Entry,
    phones: Vec<String>,
    languages: String,
    access: String,
    verified: String,
    response_days: u16,
    can_edit: bool,
    can_manage: bool,
    capacities: Vec<Opt>,
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let e = load(&state, &id).await?;
    let editable = can_edit(&auth, &e);
    auth.require(
        &state,
        auth.user.role.can_search_directory() || editable,
        "directory.service.view",
    )
    .await?;
    let phones = e
        .service
        .phones
        .iter()
        .chain(e.service.contacts.iter().flat_map(|c| c.phones.iter()))
        .map(|p| p.number.clone())
        .collect();
    let languages = e
        .service
        .languages
        .iter()
        .filter_map(|l| l.name.clone().or(l.code.clone()))
        .collect::<Vec<_>>()
        .join(", ");
    let access = e
        .listing
        .access_features
        .iter()
        .map(|a| a.label())
        .collect::<Vec<_>>()
        .join(", ");
    let page = ServicePage {
        ctx: PageCtx::new(Some(&auth), e.service.name.clone(), "/directory")
            .flash(flash(done.done.as_deref())),
        card: card(&e, None),
        phones,
        languages: if languages.is_empty() {
            "English".into()
        } else {
            languages
        },
        access: if access.is_empty() {
            "None recorded".into()
        } else {
            access
        },
        verified: e
            .listing
            .verified_on
            .map(views::date)
            .unwrap_or_else(|| "Never".into()),
        response_days: e.listing.response_days,
        can_edit: editable,
        can_manage: auth.user.role.can_manage_directory(),
        capacities: opts_from::<ServiceCapacity>(&[e.listing.capacity.code().to_string()]),
        e,
    };
    Ok(views::ok(&page))
}

// ---------------------------------------------------------------- add / edit

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
            Field::new("text", dk, &format!("Session {} days", i + 1))
                .hint("For example: Tuesday, Thursday")
                .value(d.s(dk))
                .width("20")
                .errors(e),
        );
        when.push(
            Field::new("text", ok, &format!("Session {} starts", i + 1))
                .hint("24-hour time, like 10:00")
                .value(d.s(ok))
                .width("10")
                .errors(e),
        );
        when.push(
            Field::new("text", ck, &format!("Session {} ends", i + 1))
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
                    err.add(dk, format!("'{part}' is not a day of the week"));
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
                err.add(ck, "The session must end after it starts");
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

// ---------------------------------------------------------------- import

#[derive(Template)]
#[template(path = "directory_import.html")]
struct ImportPage {
    ctx: PageCtx,
    report: Option<ImportReport>,
    error: Option<String>,
}

struct ImportReport {
    file: String,
    created: u64,
    updated: u64,
    problems: Vec<String>,
    skipped: usize,
}

pub async fn import_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.import",
    )
    .await?;
    Ok(views::ok(&ImportPage {
        ctx: PageCtx::new(Some(&auth), "Import services", "/directory"),
        report: None,
        error: None,
    }))
}

pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.import",
    )
    .await?;
    let (mut csrf, mut file, mut name) = (String::new(), Vec::new(), String::new());
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        match field.name() {
            Some("_csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                name = field
                    .file_name()
                    .unwrap_or("upload")
                    .chars()
                    .take(100)
                    .collect();
                file = field
                    .bytes()
                    .await
                    .map_err(|e| AppError::BadRequest(format!("The file could not be read: {e}")))?
                    .to_vec();
            }
            _ => {}
        }
    }
    if auth.csrf.is_empty() || !constant_time_eq(csrf.as_bytes(), auth.csrf.as_bytes()) {
        return Err(AppError::Csrf);
    }
    let ctx = PageCtx::new(Some(&auth), "Import services", "/directory");
    if file.is_empty() {
        let page = ImportPage {
            ctx,
            report: None,
            error: Some("Choose a file to import".into()),
        };
        return Ok(views::render(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &page,
        ));
    }
    let is_csv = name.to_ascii_lowercase().ends_with(".csv");
    let (parsed, listings) = if is_csv {
        match directory::csv_import::parse_csv(&file) {
            Ok(p) => (p.parsed, Some((p.listings, p.columns))),
            Err(m) => {
                return Ok(views::render(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    &ImportPage {
                        ctx,
                        report: None,
                        error: Some(m),
                    },
                ))
            }
        }
    } else {
        match directory::parse_json(&file) {
            Ok(p) => (p, None),
            Err(m) => {
                return Ok(views::render(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    &ImportPage {
                        ctx,
                        report: None,
                        error: Some(format!("{name} is {m}")),
                    },
                ))
            }
        }
    };
    let source = format!("web upload {name} by {}", auth.user.email);
    let counts = match listings {
        Some((l, cols)) => {
            directory::import_csv(
                &state.directory,
                &parsed,
                &l,
                Some(&cols),
                &source,
                &auth.actor(),
            )
            .await?
        }
        None => {
            state
                .directory
                .import(&parsed, &source, &Listing::default(), &auth.actor())
                .await?
        }
    };
    let report = ImportReport {
        file: name,
        created: counts.created,
        updated: counts.updated,
        skipped: parsed.skipped(),
        problems: parsed
            .problems
            .iter()
            .take(200)
            .map(ToString::to_string)
            .collect(),
    };
    Ok(views::ok(&ImportPage {
        ctx,
        report: Some(report),
        error: None,
    }))
}

// ---------------------------------------------------------------- organisations

#[derive(Template)]
#[template(path = "directory_orgs.html")]
struct OrgsPage {
    ctx: PageCtx,
    orgs: Vec<(String, String, Vec<Opt>)>,
}

pub async fn organizations(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.organizations",
    )
    .await?;
    let partners = state.store.list_partner_orgs().await?;
    let orgs = state
        .directory
        .organizations()
        .await?
        .into_iter()
        .map(|(o, linked)| {
            let mut opts = vec![Opt {
                value: String::new(),
                label: "No partner account".into(),
                selected: linked.is_none(),
            }];
            opts.extend(partners.iter().map(|p| Opt {
                value: p.id.to_string(),
                label: p.name.clone(),
                selected: linked == Some(p.id),
            }));
            (o.id, o.name, opts)
        })
        .collect();
    let ctx =
        PageCtx::new(Some(&auth), "Organisations", "/directory").flash(flash(done.done.as_deref()));
    Ok(views::ok(&OrgsPage { ctx, orgs }))
}

pub async fn link_partner(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.partner_link",
    )
    .await?;
    let f = auth.form(&body)?;
    let partner = f.opt_i64("partner_org_id")?;
    if let Some(p) = partner {
        if !state
            .store
            .list_partner_orgs()
            .await?
            .iter()
            .any(|o| o.id == p)
        {
            return Err(AppError::BadRequest(
                "Choose a partner organisation from the list".into(),
            ));
        }
    }
    state
        .store
        .link_partner(&id, partner, &auth.actor())
        .await?;
    state.directory.refresh().await?;
    Ok(see_other("/directory/organizations?done=partner-linked"))
}

// ---------------------------------------------------------------- partner pages

#[derive(Template)]
#[template(path = "partner_home.html")]
struct PartnerPage {
    ctx: PageCtx,
    services: Vec<(Card, i64)>,
    capacities: Vec<Opt>,
}

pub async fn partner_home(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let org = match (auth.user.role, auth.user.partner_org_id) {
        (Role::Partner, Some(o)) => Some(o),
        _ => None,
    };
    auth.require(&state, org.is_some(), "partner.home").await?;
    let records = state
        .store
        .dir_services_for_partner(org.unwrap_or_default())
        .await?;
    let ids: Vec<String> = records.into_iter().map(|r| r.id).collect();
    let services = state
        .directory
        .entries(&ids)
        .await?
        .iter()
        .map(|e| (card(e, None), e.version))
        .collect();
    let ctx =
        PageCtx::new(Some(&auth), "Our listings", "/partner").flash(flash(done.done.as_deref()));
    Ok(views::ok(&PartnerPage {
        ctx,
        services,
        capacities: opts_from::<ServiceCapacity>(&[]),
    }))
}
