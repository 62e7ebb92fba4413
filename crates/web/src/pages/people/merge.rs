//! Two records of one person, merged by a manager (issue 22): pick the other record (from
//! the likely duplicates, or by name), compare them side by side, choose the one to keep and
//! say why. Everything recorded about the other moves to it; the merge is audited on both
//! records and can be undone from the kept record's page, which moves back exactly what moved.

use super::*;
use storage::PersonMerge;

#[derive(serde::Deserialize, Default)]
pub struct MergeQuery {
    /// The other record, once chosen.
    #[serde(default)]
    with: Option<i64>,
    /// Words to find the other record by name.
    #[serde(default)]
    q: String,
}

/// One record in the comparison.
struct Side {
    id: i64,
    rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "person_merge.html")]
struct MergePage {
    ctx: PageCtx,
    id: i64,
    name: String,
    /// Step one: records that may be the same person, and what a name search found:
    /// (id, "Name, born …, NHS number …", why it may be them).
    candidates: Vec<(i64, String, String)>,
    found: Vec<(i64, String)>,
    q: String,
    searched: bool,
    /// Step two: the other record's id, and (detail, this record, the other) side by side.
    other_id: Option<i64>,
    compare: Vec<(String, String, String)>,
    keep: String,
    why: String,
    errors: Vec<ErrorItem>,
    keep_error: Option<String>,
    why_error: Option<String>,
}

fn brief(p: &Person) -> String {
    let d = &p.details;
    format!(
        "{}, born {}, NHS number {}{}",
        d.full_name(),
        date(d.date_of_birth),
        d.nhs_number
            .as_ref()
            .map_or("not known".into(), |n| n.to_string()),
        d.postcode
            .as_ref()
            .map(|p| format!(", {p}"))
            .unwrap_or_default()
    )
}

async fn side(
    state: &AppState,
    pcn: i64,
    p: &Person,
    practices: &[Practice],
) -> Result<Side, AppError> {
    let d = &p.details;
    let episodes = state.store.episodes_for_person(pcn, p.id).await?;
    let open = episodes.iter().filter(|e| !e.state.is_closed()).count();
    let dash = |s: &str| {
        if s.trim().is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    Ok(Side {
        id: p.id,
        rows: vec![
            ("Name".into(), d.full_name()),
            ("Date of birth".into(), date(d.date_of_birth)),
            (
                "NHS number".into(),
                d.nhs_number
                    .as_ref()
                    .map_or("Not known".into(), |n| n.to_string()),
            ),
            (
                "Address".into(),
                dash(&format!(
                    "{} {}",
                    d.address,
                    d.postcode
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_default()
                )),
            ),
            ("Telephone".into(), dash(&d.phone)),
            ("Email".into(), dash(&d.email)),
            (
                "GP practice".into(),
                d.practice_id
                    .and_then(|id| practices.iter().find(|p| p.id == id))
                    .map_or("—".into(), |p| p.name.clone()),
            ),
            (
                "Episodes".into(),
                format!("{} ({} open)", episodes.len(), open),
            ),
            (
                "Record made".into(),
                date(domain::uk_time::to_uk(p.created_at).date()),
            ),
        ],
    })
}

async fn person(state: &AppState, auth: &Auth, id: i64) -> Result<Person, AppError> {
    let pcn = auth.pcn()?;
    match state.store.get_person(pcn, id).await? {
        Some(p) => Ok(p),
        None => Err(auth.not_found(state, "person", id).await),
    }
}

#[allow(clippy::too_many_arguments)]
async fn merge_page(
    state: &AppState,
    auth: &Auth,
    p: &Person,
    q: &MergeQuery,
    keep: &str,
    why: &str,
    e: &FieldErrors,
) -> Result<MergePage, AppError> {
    let pcn = auth.pcn()?;
    // Each showing of the page (and each re-showing with errors) is a read of this record.
    auth.audit_read(state, "person.read", Some(p.id), "merge page".into())
        .await?;
    let mut page = MergePage {
        ctx: PageCtx::new(Some(auth), "Merge two records of one person", "/people"),
        id: p.id,
        name: p.details.full_name(),
        candidates: vec![],
        found: vec![],
        q: q.q.trim().to_string(),
        searched: false,
        other_id: None,
        compare: vec![],
        keep: keep.into(),
        why: why.into(),
        errors: error_items(e),
        keep_error: e.get("keep").map(String::from),
        why_error: e.get("why").map(String::from),
    };
    match q.with {
        Some(other_id) if other_id != p.id => {
            let other = person(state, auth, other_id).await?;
            auth.audit_read(
                state,
                "person.read",
                Some(other.id),
                format!("compared with person {} to merge", p.id),
            )
            .await?;
            let practices = state.store.list_practices(pcn).await?;
            let this = side(state, pcn, p, &practices).await?;
            let that = side(state, pcn, &other, &practices).await?;
            page.other_id = Some(that.id);
            page.compare = this
                .rows
                .into_iter()
                .zip(that.rows)
                .map(|((k, a), (_, b))| (k, a, b))
                .collect();
        }
        Some(_) => {
            return Err(AppError::BadRequest(
                "Choose a different record: a record cannot be merged into itself".into(),
            ))
        }
        None => {
            for d in state
                .store
                .find_possible_duplicates(pcn, &p.details)
                .await?
                .into_iter()
                .filter(|d| d.id != p.id)
            {
                let why = domain::person::likely_same(&p.details, &d.details).unwrap_or_default();
                page.candidates.push((d.id, brief(&d), why.to_string()));
            }
            let shown: Vec<(i64, i64)> = page.candidates.iter().map(|c| (pcn, c.0)).collect();
            if !shown.is_empty() {
                auth.audit_shown(
                    state,
                    "person.duplicates",
                    &shown,
                    &format!("likely duplicates of person {}", p.id),
                )
                .await?;
            }
            if !page.q.is_empty() {
                page.searched = true;
                let query = PersonQuery {
                    name: Some(page.q.chars().take(100).collect()),
                    limit: 20,
                    ..Default::default()
                };
                page.found = state
                    .store
                    .search_people(pcn, &query)
                    .await?
                    .into_iter()
                    .filter(|d| d.id != p.id)
                    .map(|d| (d.id, brief(&d)))
                    .collect();
                let shown: Vec<(i64, i64)> = page.found.iter().map(|f| (pcn, f.0)).collect();
                auth.audit_shown(
                    state,
                    "person.search",
                    &shown,
                    &format!("{} found to merge with person {}", shown.len(), p.id),
                )
                .await?;
            }
        }
    }
    Ok(page)
}

pub async fn merge_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<MergeQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_merge_people(), "person.merge")
        .await?;
    let p = person(&state, &auth, id).await?;
    let page = merge_page(&state, &auth, &p, &q, "", "", &FieldErrors::default()).await?;
    Ok(views::ok(&page))
}

pub async fn merge_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_merge_people(), "person.merge")
        .await?;
    let p = person(&state, &auth, id).await?;
    let other = form.i64("with")?;
    let keep = form.get("keep");
    let why = form.get("why").trim();
    let mut e = FieldErrors::default();
    let (kept, merged) = match keep {
        "this" => (id, other),
        "other" => (other, id),
        _ => {
            e.add("keep", "Choose which record to keep");
            (id, other)
        }
    };
    e.0.extend(
        crate::pages::journey::reason_errors(
            why,
            "Say why these are the same person (what you checked)",
        )
        .0,
    );
    let q = MergeQuery {
        with: Some(other),
        q: String::new(),
    };
    if !e.is_empty() {
        let page = merge_page(&state, &auth, &p, &q, keep, why, &e).await?;
        return Ok(views::render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    match state
        .store
        .merge_people(auth.pcn()?, kept, merged, why, &auth.actor())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/people/{kept}?done=merged"))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "person", other).await),
        Err(StorageError::Rule(m)) => {
            e.add("keep", &m);
            let page = merge_page(&state, &auth, &p, &q, keep, why, &e).await?;
            Ok(views::render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct UnmergeQuery {
    #[serde(default)]
    merge: Option<i64>,
}

/// A merge into this record, for the undo page.
async fn merge_of(
    state: &AppState,
    auth: &Auth,
    kept: i64,
    merge: i64,
) -> Result<PersonMerge, AppError> {
    let pcn = auth.pcn()?;
    state
        .store
        .merges_into(pcn, kept)
        .await?
        .into_iter()
        .find(|m| m.id == merge)
        .ok_or(AppError::NotFound)
}

fn unmerge_form(
    auth: &Auth,
    p: &Person,
    m: &PersonMerge,
    why: &str,
    e: &FieldErrors,
) -> crate::pages::journey::RecordForm {
    let mut page = crate::pages::journey::RecordForm::new(
        auth,
        p,
        "Undo a merge",
        format!("/people/{}/unmerge", p.id),
    );
    let moved: usize = m.moved.iter().map(|(_, ids)| ids.len()).sum();
    page.intro = vec![
        format!(
            "The record of {} (born {}) was merged into this one on {}.",
            m.merged_details.full_name(),
            date(m.merged_details.date_of_birth),
            datetime(m.merged_at)
        ),
        format!(
            "Undoing it shows that record again and moves back the {moved} entries that came from it (its referrals, episodes, contacts and the rest). Anything added to this record since stays here."
        ),
    ];
    page.hidden = vec![("merge".into(), m.id.to_string())];
    page.sections = vec![Section {
        folded: false,
        legend: "Undoing the merge".into(),
        fields: vec![Field::new("textarea", "why", "Why the merge was wrong")
            .value(why)
            .required()
            .errors(e)],
    }];
    page.warning = true;
    page.submit = "Yes, undo the merge".into();
    page.errors(e)
}

pub async fn unmerge_form_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<UnmergeQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_merge_people(), "person.unmerge")
        .await?;
    let p = person(&state, &auth, id).await?;
    let Some(merge) = q.merge else {
        return Ok(see_other(&format!("/people/{id}")));
    };
    let m = merge_of(&state, &auth, id, merge).await?;
    if m.undone_at.is_some() {
        return Ok(see_other(&format!("/people/{id}")));
    }
    auth.audit_read(&state, "record.form", Some(id), "undo merge form".into())
        .await?;
    // The form names the record merged away: a read of it too.
    auth.audit_read(
        &state,
        "person.read",
        Some(m.merged_id),
        format!("named on the form to undo merge {}", m.id),
    )
    .await?;
    Ok(unmerge_form(&auth, &p, &m, "", &FieldErrors::default()).respond())
}

pub async fn unmerge_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_merge_people(), "person.unmerge")
        .await?;
    let p = person(&state, &auth, id).await?;
    let m = merge_of(&state, &auth, id, form.i64("merge")?).await?;
    let why = form.get("why").trim();
    let e = crate::pages::journey::reason_errors(why, "Say why the merge was wrong");
    if !e.is_empty() {
        return Ok(unmerge_form(&auth, &p, &m, why, &e).respond());
    }
    state
        .store
        .undo_merge(auth.pcn()?, m.id, why, &auth.actor())
        .await?;
    Ok(see_other(&format!("/people/{id}?done=unmerged")))
}
