//! A service's page: what, when, where, cost, eligibility, how to refer, capacity.

use super::*;

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
    /// What Linkwork read from the listing, each with its evidence and review.
    concepts: Vec<ReadConcept>,
    /// Concepts staff said it is not.
    rejected: Vec<ReadConcept>,
    facts: Vec<Read>,
    /// Every concept, by group, for "add what it is": (group label, [(id, label)]).
    all_concepts: Vec<(String, Vec<(String, String)>)>,
}

/// Something read from a listing, and the words it came from.
type Read = (String, String);

/// A concept on the service page.
struct ReadConcept {
    id: String,
    label: String,
    evidence: String,
    confirmed: bool,
}

/// The concepts a listing is classified as (and those staff rejected), and the facts read
/// from its words, each with the words it came from, for the service page.
fn reading(state: &AppState, e: &Entry) -> (Vec<ReadConcept>, Vec<ReadConcept>, Vec<Read>) {
    let Some(f) = state.directory.index.facts(&e.service.id) else {
        return (vec![], vec![], vec![]);
    };
    let v = directory::vocabulary::Vocabulary::builtin();
    let concepts = f
        .tags
        .iter()
        .filter(|t| t.strength >= 0.5 || t.confirmed)
        .map(|t| ReadConcept {
            id: v.concept(t.concept).id.clone(),
            label: v.label(t.concept).to_string(),
            evidence: t.evidence(),
            confirmed: t.confirmed,
        })
        .collect();
    let rejected = f
        .rejected
        .iter()
        .map(|c| ReadConcept {
            id: v.concept(*c).id.clone(),
            label: v.label(*c).to_string(),
            evidence: String::new(),
            confirmed: false,
        })
        .collect();
    let r = &f.reading;
    let mut facts = vec![];
    if let Some((sex, words)) = &r.sex {
        facts.push((format!("{} only", sex.label()), words.clone()));
    }
    if let Some((a, words)) = &r.min_age {
        facts.push((format!("Aged {a:.0} or over"), words.clone()));
    }
    if let Some((a, words)) = &r.max_age {
        facts.push((format!("Aged {a:.0} or under"), words.clone()));
    }
    if let Some((yes, words)) = &r.step_free {
        let what = if *yes { "Step-free" } else { "Not step-free" };
        facts.push((what.to_string(), words.clone()));
    }
    for (a, words) in r.access.iter().filter(|a| a.0 != AccessFeature::StepFree) {
        facts.push((a.label().to_string(), words.clone()));
    }
    let made_for: Vec<&str> = f.made_for.iter().map(|c| v.label(*c)).collect();
    if let (false, Some(clause)) = (
        made_for.is_empty(),
        e.service
            .description
            .as_deref()
            .and_then(directory::eligibility::made_for_clause),
    ) {
        facts.push((
            format!("Made for: {}", made_for.join(", ").to_lowercase()),
            clause.to_string(),
        ));
    }
    if let Some(words) = &r.only_for {
        facts.push(("Only for some people".into(), words.clone()));
    }
    if let Some(words) = &r.affected {
        facts.push((
            "Made for the family and friends of someone with a problem".into(),
            words.clone(),
        ));
    }
    if let Some(words) = &r.specialist {
        facts.push((
            "Only for people under specialist care".into(),
            words.clone(),
        ));
    }
    if let Some(words) = &r.by_referral {
        facts.push(("How to get in".into(), words.clone()));
    }
    if let Some(area) = &r.area {
        facts.push(("Reaches people where they are".into(), area.clone()));
    }
    if let Some(words) = &r.also_remote {
        facts.push(("Also by phone or online".into(), words.clone()));
    }
    (concepts, rejected, facts)
}

/// Every concept of the vocabulary by group, for the "add what it is" list.
fn all_concepts() -> Vec<(String, Vec<(String, String)>)> {
    let v = directory::vocabulary::Vocabulary::builtin();
    v.groups
        .iter()
        .map(|g| {
            let mut list: Vec<(String, String)> = v
                .concepts
                .iter()
                .filter(|c| c.group == g.id)
                .map(|c| (c.id.clone(), c.label.clone()))
                .collect();
            list.sort_by(|a, b| a.1.cmp(&b.1));
            (g.label.clone(), list)
        })
        .collect()
}

/// Confirms, rejects or un-reviews one concept on a listing (managers, or the listing's
/// partner): search and matching use the review at once, on every node.
pub async fn review_concept(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let e = load(&state, &id).await?;
    auth.require(&state, can_edit(&auth, &e), "directory.service.concept")
        .await?;
    let f = auth.form(&body)?;
    let concept = f.get("concept");
    if directory::vocabulary::Vocabulary::builtin()
        .by_id(concept)
        .is_none()
    {
        return Err(AppError::BadRequest(
            "Choose what the service is from the list".into(),
        ));
    }
    let (verdict, done) = match f.get("verdict") {
        "confirm" => (Some(true), "concept-confirmed"),
        "reject" => (Some(false), "concept-rejected"),
        "suggest" => (None, "concept-suggested"),
        _ => return Err(AppError::BadRequest("Choose confirm or remove".into())),
    };
    state
        .directory
        .review_concept(&e.service.id, concept, verdict, &auth.actor())
        .await?;
    Ok(see_other(&format!(
        "/directory/services/{}?done={done}#reading",
        e.service.id
    )))
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
    // What the listing records, and what its venue's accessibility words say.
    let access = state
        .directory
        .index
        .facts(&e.service.id)
        .map(|f| f.access)
        .unwrap_or_else(|| e.listing.access_features.clone())
        .iter()
        .map(|a| a.label())
        .collect::<Vec<_>>()
        .join(", ");
    let (concepts, rejected, facts) = reading(&state, &e);
    let page = ServicePage {
        concepts,
        rejected,
        facts,
        all_concepts: if editable { all_concepts() } else { vec![] },
        ctx: PageCtx::new(Some(&auth), e.service.name.clone(), "/directory")
            .flash(flash(done.done.as_deref())),
        card: with_reading(card(&e, None), &state),
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
