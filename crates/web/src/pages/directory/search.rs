//! The directory search page: text, filters and distance from a postcode.

use super::*;

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
    /// The words searched for when some typed were misspelt ("dementia" for "demenita").
    read_as: Option<String>,
    /// What the words were read to say about the person and where ("evenings: services
    /// only at other times lower").
    read_about: Vec<String>,
    /// What the words ask for that no service in the directory is listed as.
    unanswered: Vec<String>,
    /// The same search with the words exactly as typed.
    as_typed: Option<String>,
    errors: Vec<ErrorItem>,
    searched: bool,
    filters_open: bool,
    prev: Option<String>,
    next: Option<String>,
    first_shown: usize,
    last_shown: usize,
    can_manage: bool,
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
    sq.keep_far = within == "any";
    sq.include_inactive = get("closed") == "yes";
    sq.as_typed = get("as_typed") == "yes";
    sq.sort = match get("sort").as_str() {
        "distance" => Sort::Distance,
        "name" => Sort::Name,
        _ => Sort::Relevance,
    };
    let searched = !pairs.is_empty();
    let (mut results, mut total) = (vec![], 0);
    let mut read_as = None;
    let mut read_about = vec![];
    let mut unanswered = vec![];
    let page: usize = get("page").parse().unwrap_or(1).clamp(1, 10_000);
    if errors.is_empty() && searched {
        // Misspellings are read once, here, and the search runs on the words as read.
        if !sq.as_typed {
            read_as = state.directory.index.read_as(&sq.text);
        }
        let asked = SearchQuery {
            text: read_as.clone().unwrap_or_else(|| sq.text.clone()),
            as_typed: true,
            ..sq.clone()
        };
        // What the search read from the words, from the same words it searched.
        read_about = state.directory.index.read_about(&asked);
        unanswered = state.directory.index.unanswered(&asked);
        let hits = state.directory.search(&asked)?;
        total = hits.len();
        let slice: Vec<_> = hits
            .into_iter()
            .skip((page - 1) * PER_PAGE)
            .take(PER_PAGE)
            .collect();
        let ids: Vec<String> = slice.iter().map(|h| h.id.clone()).collect();
        let entries = state.directory.entries(&ids).await?;
        let found: HashMap<&str, &directory::Hit> =
            slice.iter().map(|h| (h.id.as_str(), h)).collect();
        results = entries
            .iter()
            .map(|e| {
                let hit = found.get(e.service.id.as_str());
                let mut c = with_reading(card(e, hit.and_then(|h| h.distance_m)), &state);
                c.why = hit.and_then(|h| h.why.clone()).unwrap_or_default();
                c
            })
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
    let as_typed = read_as.as_ref().map(|_| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &pairs {
            if k != "page" && k != "as_typed" {
                s.append_pair(k, v);
            }
        }
        s.append_pair("as_typed", "yes");
        format!("/directory?{}", s.finish())
    });
    let first_shown = if total == 0 {
        0
    } else {
        (page - 1) * PER_PAGE + 1
    };
    let last_shown = ((page - 1) * PER_PAGE + results.len()).min(total);
    let radii = ["", "1", "2", "5", "10", "any"]
        .iter()
        .map(|r| Opt {
            value: r.to_string(),
            label: match *r {
                "" => "In the area (about 20 miles)".into(),
                "any" => "Any distance".into(),
                "1" => "Within 1 mile".into(),
                r => format!("Within {r} miles"),
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
        read_as,
        read_about,
        unanswered,
        as_typed,
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
