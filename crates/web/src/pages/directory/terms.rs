//! Managers map another publisher's taxonomy terms to Linkwork's vocabulary once, for the
//! whole directory: each term is shown with how many services carry it and what Linkwork
//! reads from its name until someone maps it.

use super::*;
use directory::vocabulary::Vocabulary;
use domain::CATEGORY_TAXONOMY_ID;

#[derive(Template)]
#[template(path = "directory_terms.html")]
struct TermsPage {
    ctx: PageCtx,
    taxonomies: Vec<TaxonomyView>,
}

struct TaxonomyView {
    name: String,
    terms: Vec<TermRow>,
}

struct TermRow {
    id: String,
    name: String,
    services: usize,
    mapped: bool,
    /// The concepts it is mapped to, or those read from its name.
    concepts: String,
}

#[derive(Template)]
#[template(path = "directory_term.html")]
struct TermPage {
    ctx: PageCtx,
    id: String,
    name: String,
    taxonomy: String,
    services: usize,
    mapped: bool,
    suggested: String,
    groups: Vec<(String, Vec<Opt>)>,
    /// The first checkbox, for the error summary's link.
    first: String,
    error: Option<String>,
}

/// Concept ids a term is mapped to.
async fn mappings(state: &AppState) -> Result<HashMap<String, Vec<String>>, AppError> {
    Ok(state
        .store
        .dir_term_concepts()
        .await?
        .into_iter()
        .map(|(t, c)| {
            let ids = c
                .split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
            (t, ids)
        })
        .collect())
}

fn labels(v: &Vocabulary, ids: &[String]) -> String {
    let l: Vec<&str> = ids
        .iter()
        .filter_map(|id| v.by_id(id))
        .map(|c| v.label(c))
        .collect();
    if l.is_empty() {
        "Nothing Linkwork uses".into()
    } else {
        l.join(", ")
    }
}

/// What Linkwork reads from a term's name.
fn read_from_name(v: &Vocabulary, name: &str) -> Vec<String> {
    let mut ids: Vec<String> = v
        .find(name)
        .into_iter()
        .map(|f| v.concept(f.concept).id.clone())
        .collect();
    ids.dedup();
    ids
}

async fn require(state: &AppState, auth: &Auth) -> Result<(), AppError> {
    auth.require(
        state,
        auth.user.role.can_manage_directory(),
        "directory.terms",
    )
    .await
}

pub async fn terms(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    require(&state, &auth).await?;
    let v = Vocabulary::builtin();
    let mapped = mappings(&state).await?;
    let uses = state.directory.index.services_per_term();
    // Terms grouped by their taxonomy; a feed may name a taxonomy only on its terms.
    let names: HashMap<String, String> = state
        .directory
        .taxonomies()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut by_taxonomy: std::collections::BTreeMap<String, Vec<TermRow>> = Default::default();
    for term in state.directory.terms().await? {
        let tax = term.taxonomy_id.clone().unwrap_or_default();
        if tax == CATEGORY_TAXONOMY_ID {
            continue;
        }
        let name = names
            .get(&tax)
            .cloned()
            .or(term.taxonomy.clone())
            .unwrap_or_else(|| "Categories with no taxonomy named".into());
        let m = mapped.get(&term.id);
        by_taxonomy.entry(name).or_default().push(TermRow {
            services: uses.get(&term.id).copied().unwrap_or(0),
            mapped: m.is_some(),
            concepts: match m {
                Some(ids) => labels(v, ids),
                None => labels(v, &read_from_name(v, &term.name)),
            },
            id: term.id,
            name: term.name,
        });
    }
    let taxonomies = by_taxonomy
        .into_iter()
        .map(|(name, mut terms)| {
            terms.sort_by(|a, b| b.services.cmp(&a.services).then(a.name.cmp(&b.name)));
            TaxonomyView { name, terms }
        })
        .collect();
    let msg = match done.done.as_deref() {
        Some("mapped") => Some("Mapping saved. The directory has been reclassified.".into()),
        Some("forgotten") => Some("Mapping removed: the term's name is read again.".into()),
        _ => None,
    };
    Ok(views::ok(&TermsPage {
        ctx: PageCtx::new(Some(&auth), "Other publishers' categories", "/directory").flash(msg),
        taxonomies,
    }))
}

async fn term_page(
    state: &AppState,
    auth: &Auth,
    id: &str,
    chosen: Option<Vec<String>>,
    error: Option<String>,
) -> Result<TermPage, AppError> {
    let v = Vocabulary::builtin();
    let term = state
        .directory
        .terms()
        .await?
        .into_iter()
        .find(|t| t.id == id && t.taxonomy_id.as_deref() != Some(CATEGORY_TAXONOMY_ID))
        .ok_or(AppError::NotFound)?;
    let mapped = mappings(state).await?.remove(id);
    let suggested = read_from_name(v, &term.name);
    let ticked = chosen
        .or_else(|| mapped.clone())
        .unwrap_or_else(|| suggested.clone());
    let groups = v
        .groups
        .iter()
        .map(|g| {
            let opts = v
                .concepts
                .iter()
                .filter(|c| c.group == g.id)
                .map(|c| Opt {
                    value: c.id.clone(),
                    label: c.label.clone(),
                    selected: ticked.contains(&c.id),
                })
                .collect();
            (g.label.clone(), opts)
        })
        .collect();
    let taxonomy = term.taxonomy.clone().unwrap_or_default();
    Ok(TermPage {
        ctx: PageCtx::new(Some(auth), format!("Map “{}”", term.name), "/directory"),
        id: term.id,
        services: state
            .directory
            .index
            .services_per_term()
            .get(id)
            .copied()
            .unwrap_or(0),
        name: term.name,
        taxonomy,
        mapped: mapped.is_some(),
        suggested: labels(v, &suggested),
        first: v.concepts.first().map(|c| c.id.clone()).unwrap_or_default(),
        groups,
        error,
    })
}

pub async fn term_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require(&state, &auth).await?;
    Ok(views::ok(&term_page(&state, &auth, &id, None, None).await?))
}

pub async fn term_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    require(&state, &auth).await?;
    let f = auth.form(&body)?;
    let v = Vocabulary::builtin();
    if f.get("forget") == "yes" {
        state.directory.map_term(&id, None, &auth.actor()).await?;
        return Ok(see_other("/directory/taxonomy?done=forgotten"));
    }
    let mut chosen = f.all("concept");
    chosen.sort();
    chosen.dedup();
    if let Some(bad) = chosen.iter().find(|c| v.by_id(c).is_none()) {
        let page = term_page(
            &state,
            &auth,
            &id,
            Some(chosen.clone()),
            Some(format!(
                "“{bad}” is not a concept Linkwork knows: choose from the list"
            )),
        )
        .await?;
        return Ok(views::render(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &page,
        ));
    }
    // The term must exist (and not be Linkwork's own) before anything is saved.
    term_page(&state, &auth, &id, None, None).await?;
    state
        .directory
        .map_term(&id, Some(&chosen), &auth.actor())
        .await?;
    Ok(see_other("/directory/taxonomy?done=mapped"))
}
