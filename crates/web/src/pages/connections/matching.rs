//! Matching: a person's profile against the directory, and the match page.

use super::*;
use domain::directory::METRES_PER_MILE;
use domain::journey::TRAVEL_MILES;

#[derive(Deserialize, Default)]
pub struct MatchQuery {
    pub distance_miles: Option<String>,
    pub free: Option<String>,
    #[serde(default)]
    pub day: Vec<String>,
    #[serde(default)]
    pub time: Vec<String>,
    pub step_free: Option<String>,
    /// The filter form was sent (so an unticked box means "no", not "as saved").
    pub filtered: bool,
    pub relax: Option<String>,
}

#[derive(Template)]
#[template(path = "match.html")]
pub(super) struct MatchPage {
    ctx: PageCtx,
    person_id: i64,
    person_name: String,
    episode_id: i64,
    based_on: Vec<String>,
    distance_miles: String,
    free: bool,
    step_free: bool,
    days: Vec<Opt>,
    times: Vec<Opt>,
    matches: Vec<MatchView>,
    no_postcode: bool,
    /// "3 services fit but are over 6 miles away", each with a link that relaxes it.
    left_out: Vec<(String, String)>,
    /// "2 more services fit their needs but are for the other sex; they are left out."
    ruled_out: Vec<String>,
    /// Set when one preference is relaxed for this look.
    relaxed: Option<String>,
    /// "No service in the directory is classified for …".
    unserved: Vec<String>,
}

pub(super) struct MatchView {
    m: Match,
    distance: String,
}

/// What matching knows about a person: assessed needs and interests (or the referral's
/// needs before an assessment), age, home postcode, language and access needs.
pub(super) async fn profile(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    p: &Person,
) -> Result<(MatchProfile, Vec<String>), AppError> {
    let mut based_on = vec![];
    let d = &p.details;
    let mut chosen = false;
    let mut prof = MatchProfile {
        age: Some(f64::from(d.age_on(domain::uk_time::today()))),
        limit: 25,
        // Six miles unless their assessment says otherwise.
        max_distance_m: 6.0 * METRES_PER_MILE,
        ..Default::default()
    };
    let assessment = latest(state, auth, ep, RecordKind::Assessment)
        .await?
        .and_then(|r| r.parse::<Assessment>());
    match assessment {
        Some(a) => {
            prof.needs = a
                .needs
                .iter()
                .filter(|n| n.score >= 3)
                .map(|n| (n.need, n.score))
                .collect();
            prof.interests = a.interests.clone();
            prof.interest_words = directory::matching::interests_from_text(&a.interest_words);
            prof.what_matters = a.what_matters.clone();
            let pref = &a.preferences;
            prof.free_only = pref.free_only;
            prof.days = pref.days.clone();
            prof.times = pref.times.clone();
            if let Some(k) = pref.max_km {
                prof.max_distance_m = k * 1000.0; // kept in km; typed in miles
                chosen = true;
            }
            if pref.step_free {
                prof.access.push(AccessFeature::StepFree);
            }
            based_on.push(
                "needs scored 3 or more, interests, what matters to them and what suits them, from the latest assessment"
                    .into(),
            );
        }
        None => {
            if let Some(r) = state
                .store
                .get_referral(auth.pcn()?, ep.referral_id)
                .await?
            {
                prof.needs = r.needs.iter().map(|n| (*n, 3)).collect();
            }
            based_on.push("needs flagged at referral (no assessment yet)".into());
        }
    }
    if let Some(pc) = &d.postcode {
        prof.near = state.directory.postcode(&pc.to_string()).await?;
        if let Some(at) = prof.near {
            based_on.push(format!("distance from {pc}"));
            // Unless they said how far, never short of what is local to them: from a
            // village, the market town (in whole miles, as the box shows it). Not when
            // nothing in the directory is within the farthest the box allows: they live
            // outside its area, and no distance would be "local".
            let local = state.directory.index.local_reach_m(at);
            let miles = local.map(|m| (m / METRES_PER_MILE).ceil());
            if let Some(miles) = miles.filter(|&mi| {
                !chosen && mi * METRES_PER_MILE > prof.max_distance_m && TRAVEL_MILES.contains(&mi)
            }) {
                prof.max_distance_m = miles * METRES_PER_MILE;
                based_on.push(format!("{miles} miles{NEAREST_TOWN}"));
            }
        }
    }
    based_on.push(format!("age {}", d.age_on(domain::uk_time::today())));
    if !d.language.trim().is_empty() && !d.language.eq_ignore_ascii_case("english") {
        prof.language = Some(d.language.clone());
        prof.language_required = d.interpreter_needed;
        based_on.push(format!("language ({})", d.language));
    }
    for a in d
        .access_needs
        .iter()
        .filter_map(|a| AccessFeature::for_need(*a))
    {
        if !prof.access.contains(&a) {
            prof.access.push(a);
        }
    }
    if matches!(d.sex, Sex::Male | Sex::Female) {
        prof.sex = Some(d.sex);
    }
    if !prof.access.is_empty() {
        based_on.push("access needs".into());
    }
    based_on.push("live capacity".into());
    Ok((prof, based_on))
}

/// Said after the default distance when it reaches further than six miles.
const NEAREST_TOWN: &str = ", to reach the nearest town's services";

pub async fn match_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    axum_extra_query: axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let (ep, p) = load(&state, &auth, id, "match.read").await?;
    let q = parse_match_query(axum_extra_query.0.as_deref().unwrap_or(""));
    let (mut prof, mut based_on) = profile(&state, &auth, &ep, &p).await?;
    let miles: f64 = match q.distance_miles.as_deref().map(str::trim) {
        None | Some("") => prof.max_distance_m / METRES_PER_MILE,
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|k| TRAVEL_MILES.contains(k))
            .ok_or_else(|| {
                AppError::BadRequest("Distance must be a number of miles from 0.5 to 60".into())
            })?,
    };
    prof.max_distance_m = miles * METRES_PER_MILE;
    // A distance typed in the box replaces the default, and what was said about it.
    if q.distance_miles
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty())
    {
        based_on.retain(|b| !b.ends_with(NEAREST_TOWN));
    }
    if q.filtered {
        prof.free_only = q.free.is_some();
        prof.days = q.day.iter().filter_map(|d| Weekday::from_code(d)).collect();
        prof.times = q
            .time
            .iter()
            .filter_map(|t| TimeOfDay::from_code(t))
            .collect();
        let step_free = q.step_free.is_some();
        let has = prof.access.contains(&AccessFeature::StepFree);
        if step_free && !has {
            prof.access.push(AccessFeature::StepFree);
        } else if !step_free && has {
            prof.access.retain(|a| *a != AccessFeature::StepFree);
        }
    }
    if !prof.days.is_empty() {
        based_on.push("days they can make".into());
    }
    if !prof.times.is_empty() {
        based_on.push("times of day they can make".into());
    }
    prof.relax = q.relax.as_deref().and_then(Filter::from_code);
    let report = state.directory.index.match_report(&prof);
    let here = |relax: Option<Filter>| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("filtered", "1");
        s.append_pair("distance_miles", &crate::charts::format_value(miles));
        if prof.free_only {
            s.append_pair("free", "yes");
        }
        for d in &prof.days {
            s.append_pair("day", d.code());
        }
        for t in &prof.times {
            s.append_pair("time", t.code());
        }
        if prof.access.contains(&AccessFeature::StepFree) {
            s.append_pair("step_free", "yes");
        }
        if let Some(r) = relax {
            s.append_pair("relax", r.code());
        }
        format!("/episodes/{id}/match?{}", s.finish())
    };
    let left_out = report
        .left_out
        .iter()
        .map(|(f, n)| {
            (
                format!(
                    "{n} more {} fit but {}.",
                    if *n == 1 { "service" } else { "services" },
                    f.left_out(&prof)
                        .replacen("are ", if *n == 1 { "is " } else { "are " }, 1)
                        .replacen("do not", if *n == 1 { "does not" } else { "do not" }, 1)
                        .replacen("charge ", if *n == 1 { "charges " } else { "charge " }, 1)
                ),
                here(Some(*f)),
            )
        })
        .collect();
    // "more" only beside services proposed.
    let more = if report.matches.is_empty() {
        ""
    } else {
        " more"
    };
    let ruled_out = report
        .ruled_out
        .iter()
        .map(|(why, n)| {
            if *n == 1 {
                format!(
                    "1{more} service fits what they need but {}; it is left out.",
                    why.replacen("are ", "is ", 1)
                        .replacen("teach ", "teaches ", 1)
                )
            } else {
                format!("{n}{more} services fit what they need but {why}; they are left out.")
            }
        })
        .collect();
    let unserved = report
        .unserved
        .iter()
        .map(|n| n.label().to_lowercase())
        .collect();
    let relaxed = prof
        .relax
        .map(|f| format!("Showing services that {} as well. ", f.left_out(&prof)));
    let matches = report.matches;
    auth.audit_read(
        &state,
        "match.read",
        Some(p.id),
        format!("episode {id}: {} proposed", matches.len()),
    )
    .await?;
    let page = MatchPage {
        ctx: PageCtx::new(Some(&auth), "Find services", "/people"),
        person_id: p.id,
        person_name: p.details.full_name(),
        episode_id: ep.id,
        based_on,
        distance_miles: crate::charts::format_value(miles),
        free: prof.free_only,
        step_free: prof.access.contains(&AccessFeature::StepFree),
        times: TimeOfDay::ALL
            .iter()
            .map(|t| Opt {
                value: t.code().into(),
                label: t.label().into(),
                selected: prof.times.contains(t),
            })
            .collect(),
        days: Weekday::ALL
            .iter()
            .map(|d| Opt {
                value: d.code().into(),
                label: d.label().into(),
                selected: prof.days.contains(d),
            })
            .collect(),
        no_postcode: prof.near.is_none(),
        left_out,
        ruled_out,
        relaxed,
        unserved,
        matches: matches
            .into_iter()
            .map(|m| MatchView {
                distance: m
                    .distance_m
                    .map(domain::directory::miles)
                    .unwrap_or_default(),
                m,
            })
            .collect(),
    };
    Ok(views::ok(&page))
}

pub(super) fn parse_match_query(raw: &str) -> MatchQuery {
    let mut q = MatchQuery::default();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match k.as_ref() {
            "distance_miles" => q.distance_miles = Some(v.into_owned()),
            "free" => q.free = Some(v.into_owned()),
            "day" => q.day.push(v.into_owned()),
            "time" => q.time.push(v.into_owned()),
            "step_free" => q.step_free = Some(v.into_owned()),
            "filtered" => q.filtered = true,
            "relax" => q.relax = Some(v.into_owned()),
            _ => {}
        }
    }
    q
}
