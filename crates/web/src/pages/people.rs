//! People: search, add, view and edit a person's record. Every read and write is
//! authorised by role, scoped to the user's PCN and audited.

use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::form::FormData;
use crate::views::{
    self, date, datetime, error_items, opt_date, ErrorItem, Field, Opt, PageCtx, Section,
};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use domain::{
    AccessNeed, CarerStatus, Code, ContactMethod, EpisodeState, Ethnicity, FieldErrors,
    PersonDraft, Sex,
};
use std::collections::HashMap;
use storage::{Person, PersonQuery, Practice, StorageError};

/// Reads the person fields of a form.
pub(crate) fn draft_from_form(f: &FormData) -> Result<PersonDraft, AppError> {
    Ok(PersonDraft {
        given_name: f.get("given_name").into(),
        family_name: f.get("family_name").into(),
        date_of_birth: f.get("date_of_birth").into(),
        nhs_number: f.get("nhs_number").into(),
        sex: f.get("sex").into(),
        gender_identity: f.get("gender_identity").into(),
        ethnicity: f.get("ethnicity").into(),
        language: f.get("language").into(),
        interpreter_needed: f.checked("interpreter_needed"),
        access_needs: f.all("access_needs"),
        access_notes: f.get("access_notes").into(),
        carer_status: f.get("carer_status").into(),
        carer_details: f.get("carer_details").into(),
        practice_id: f.opt_i64("practice_id").unwrap_or(None),
        address: f.get("address").into(),
        postcode: f.get("postcode").into(),
        phone: f.get("phone").into(),
        email: f.get("email").into(),
        preferred_contact: f.get("preferred_contact").into(),
    })
}

/// The person part of a form, filled with a draft and its errors.
pub(crate) fn person_sections(
    d: &PersonDraft,
    e: &FieldErrors,
    practices: &[Practice],
) -> Vec<Section> {
    let one = |s: &str| vec![s.to_string()];
    let mut practice_opts = vec![Opt {
        value: String::new(),
        label: "Choose a practice".into(),
        selected: d.practice_id.is_none(),
    }];
    practice_opts.extend(practices.iter().map(|p| Opt {
        value: p.id.to_string(),
        label: p.name.clone(),
        selected: d.practice_id == Some(p.id),
    }));
    vec![
        Section {
            legend: "The person".into(),
            fields: vec![
                Field::new("text", "given_name", "Given name")
                    .value(&d.given_name)
                    .autocomplete("off")
                    .width("20")
                    .required()
                    .errors(e),
                Field::new("text", "family_name", "Family name")
                    .value(&d.family_name)
                    .width("20")
                    .required()
                    .errors(e),
                Field::new("date", "date_of_birth", "Date of birth")
                    .hint("For example, 1958-03-27")
                    .value(&d.date_of_birth)
                    .required()
                    .errors(e),
                Field::new("text", "nhs_number", "NHS number")
                    .hint("10 digits, for example 943 476 5919. Leave blank if you do not know it.")
                    .value(&d.nhs_number)
                    .width("10")
                    .errors(e),
                Field::new("select", "sex", "Sex")
                    .codes::<Sex>(&one(&d.sex), Some("Choose"))
                    .errors(e),
                Field::new("text", "gender_identity", "Gender identity")
                    .hint("In the person's own words, if they want it recorded")
                    .value(&d.gender_identity)
                    .width("20")
                    .errors(e),
                Field::new("select", "ethnicity", "Ethnic category")
                    .codes::<Ethnicity>(&one(&d.ethnicity), Some("Choose"))
                    .errors(e),
                Field::new("select", "practice_id", "Registered GP practice")
                    .options(practice_opts)
                    .errors(e),
            ],
        },
        Section {
            legend: "Language and communication".into(),
            fields: vec![
                Field::new("text", "language", "Preferred language")
                    .value(&d.language)
                    .width("20")
                    .errors(e),
                Field::new("checkbox", "interpreter_needed", "Needs an interpreter")
                    .value(if d.interpreter_needed { "yes" } else { "" })
                    .errors(e),
                Field::new(
                    "checkboxes",
                    "access_needs",
                    "Communication and access needs",
                )
                .hint("Accessible Information Standard: tick all that apply")
                .codes::<AccessNeed>(&d.access_needs, None)
                .errors(e),
                Field::new("textarea", "access_notes", "Other communication needs")
                    .value(&d.access_notes)
                    .errors(e),
            ],
        },
        Section {
            legend: "Contact details".into(),
            fields: vec![
                Field::new("textarea", "address", "Address")
                    .value(&d.address)
                    .errors(e),
                Field::new("text", "postcode", "Postcode")
                    .value(&d.postcode)
                    .width("10")
                    .errors(e),
                Field::new("tel", "phone", "Telephone")
                    .value(&d.phone)
                    .width("20")
                    .errors(e),
                Field::new("email", "email", "Email")
                    .value(&d.email)
                    .width("30")
                    .errors(e),
                Field::new(
                    "radios",
                    "preferred_contact",
                    "Preferred way to be contacted",
                )
                .codes::<ContactMethod>(&one(&d.preferred_contact), None)
                .errors(e),
            ],
        },
        Section {
            legend: "Carers".into(),
            fields: vec![
                Field::new("select", "carer_status", "Carer status")
                    .codes::<CarerStatus>(&one(&d.carer_status), Some("Choose"))
                    .errors(e),
                Field::new("textarea", "carer_details", "Carer or next of kin")
                    .hint("Name, relationship and how to contact them")
                    .value(&d.carer_details)
                    .errors(e),
            ],
        },
    ]
}

#[derive(Template)]
#[template(path = "people_list.html")]
struct ListPage {
    ctx: PageCtx,
    fields: Vec<Field>,
    searched: bool,
    results: Vec<PersonRow>,
    problem: Option<String>,
}

struct PersonRow {
    id: i64,
    name: String,
    dob: String,
    nhs: String,
    postcode: String,
}

#[derive(serde::Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    name: String,
    #[serde(default)]
    nhs_number: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    postcode: String,
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_read_people(), "people.search")
        .await?;
    let pcn = auth.pcn()?;
    let mut problem = None;
    let mut query = PersonQuery {
        limit: 100,
        ..Default::default()
    };
    if !q.name.trim().is_empty() {
        query.name = Some(q.name.trim().chars().take(100).collect());
    }
    if !q.nhs_number.trim().is_empty() {
        match domain::NhsNumber::parse(&q.nhs_number) {
            Ok(n) => query.nhs_number = Some(n.as_str().into()),
            Err(e) => problem = Some(e.to_string()),
        }
    }
    if !q.date_of_birth.trim().is_empty() {
        match domain::person::parse_date(&q.date_of_birth) {
            Some(d) => query.date_of_birth = Some(d),
            None => problem = Some("Date of birth must be a real date, like 1958-03-27".into()),
        }
    }
    if !q.postcode.trim().is_empty() {
        query.postcode = Some(q.postcode.trim().chars().take(10).collect());
    }
    let searched = query.name.is_some()
        || query.nhs_number.is_some()
        || query.date_of_birth.is_some()
        || query.postcode.is_some();
    let mut results = Vec::new();
    if searched && problem.is_none() {
        let found = state.store.search_people(pcn, &query).await?;
        let shown: Vec<(i64, i64)> = found.iter().map(|p| (pcn, p.id)).collect();
        auth.audit_shown(
            &state,
            "person.search",
            &shown,
            &format!("{} results", found.len()),
        )
        .await?;
        results = found
            .iter()
            .map(|p| PersonRow {
                id: p.id,
                name: format!(
                    "{}, {}",
                    p.details.family_name.to_uppercase(),
                    p.details.given_name
                ),
                dob: date(p.details.date_of_birth),
                nhs: p
                    .details
                    .nhs_number
                    .as_ref()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "—".into()),
                postcode: p
                    .details
                    .postcode
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "—".into()),
            })
            .collect();
    }
    let fields = vec![
        Field::new("text", "name", "Name")
            .value(&q.name)
            .width("20"),
        Field::new("text", "nhs_number", "NHS number")
            .value(&q.nhs_number)
            .width("10"),
        Field::new("date", "date_of_birth", "Date of birth").value(&q.date_of_birth),
        Field::new("text", "postcode", "Postcode")
            .hint("Full postcode or the first part, like LS6")
            .value(&q.postcode)
            .width("10"),
    ];
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(views::render(
        status,
        &ListPage {
            ctx: PageCtx::new(Some(&auth), "Find a person", "/people"),
            fields,
            searched,
            results,
            problem,
        },
    ))
}

#[derive(Template)]
#[template(path = "person_form.html")]
struct FormPage {
    ctx: PageCtx,
    heading: String,
    action: String,
    errors: Vec<ErrorItem>,
    sections: Vec<Section>,
    version: i64,
    duplicates: Vec<(i64, String)>,
    cancel: String,
}

async fn render_form(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    existing: Option<(i64, i64)>,
    draft: &PersonDraft,
    errors: &FieldErrors,
    duplicates: Vec<(i64, String)>,
) -> Result<Response, AppError> {
    let practices = state.store.list_practices(auth.pcn()?).await?;
    let (heading, action, version, cancel) = match existing {
        Some((id, v)) => (
            "Edit details".to_string(),
            format!("/people/{id}"),
            v,
            format!("/people/{id}"),
        ),
        None => (
            "Add a person".to_string(),
            "/people".to_string(),
            0,
            "/people".to_string(),
        ),
    };
    let title = if errors.is_empty() {
        heading.clone()
    } else {
        format!("Error: {heading}")
    };
    let page = FormPage {
        ctx: PageCtx::new(Some(auth), title, "/people"),
        heading,
        action,
        errors: error_items(errors),
        sections: person_sections(draft, errors, &practices),
        version,
        duplicates,
        cancel,
    };
    Ok(views::render(status, &page))
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_edit_people(), "person.create")
        .await?;
    render_form(
        &state,
        &auth,
        StatusCode::OK,
        None,
        &PersonDraft::default(),
        &FieldErrors::default(),
        Vec::new(),
    )
    .await
}

pub(crate) fn describe(p: &Person) -> String {
    let nhs = p
        .details
        .nhs_number
        .as_ref()
        .map(|n| format!(", NHS number {n}"))
        .unwrap_or_default();
    format!(
        "{}, born {}{}",
        p.details.full_name(),
        date(p.details.date_of_birth),
        nhs
    )
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_edit_people(), "person.create")
        .await?;
    let pcn = auth.pcn()?;
    let draft = draft_from_form(&form)?;
    let details = match draft.validate(Utc::now().date_naive()) {
        Ok(d) => d,
        Err(e) => {
            return render_form(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
    };
    if !form.checked("confirm_not_duplicate") {
        let dups = state.store.find_possible_duplicates(pcn, &details).await?;
        if !dups.is_empty() {
            let shown: Vec<(i64, i64)> = dups.iter().map(|p| (pcn, p.id)).collect();
            auth.audit_shown(
                &state,
                "person.search",
                &shown,
                &format!("duplicate check: {} shown", dups.len()),
            )
            .await?;
            let list = dups.iter().map(|p| (p.id, describe(p))).collect();
            return render_form(
                &state,
                &auth,
                StatusCode::CONFLICT,
                None,
                &draft,
                &FieldErrors::default(),
                list,
            )
            .await;
        }
    }
    match state
        .store
        .create_person(pcn, &details, &auth.actor())
        .await
    {
        Ok(p) => Ok(see_other(&format!("/people/{}?done=person-created", p.id))),
        Err(StorageError::Rule(m)) => {
            let mut e = FieldErrors::default();
            e.add("practice_id", m);
            render_form(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_edit_people(), "person.edit")
        .await?;
    let pcn = auth.pcn()?;
    let Some(p) = state.store.get_person(pcn, id).await? else {
        return Err(auth.not_found(&state, "person", id).await);
    };
    auth.need_to_know(&state, pcn, id).await?;
    auth.audit_read(&state, "person.read", Some(id), "edit form".into())
        .await?;
    render_form(
        &state,
        &auth,
        StatusCode::OK,
        Some((id, p.version)),
        &p.details.to_draft(),
        &FieldErrors::default(),
        Vec::new(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_edit_people(), "person.update")
        .await?;
    let pcn = auth.pcn()?;
    if state.store.get_person(pcn, id).await?.is_none() {
        return Err(auth.not_found(&state, "person", id).await);
    }
    auth.need_to_know(&state, pcn, id).await?;
    let version = form.i64("version")?;
    let draft = draft_from_form(&form)?;
    let details = match draft.validate(Utc::now().date_naive()) {
        Ok(d) => d,
        Err(e) => {
            return render_form(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((id, version)),
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
    };
    match state
        .store
        .update_person(pcn, id, version, &details, &auth.actor())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/people/{id}?done=person-updated"))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "person", id).await),
        Err(StorageError::Stale) => {
            // Keep what the user typed; show the current version number so saving again
            // is a deliberate choice after reviewing the latest record.
            let current = state
                .store
                .get_person(pcn, id)
                .await?
                .map_or(version, |p| p.version);
            let mut e = FieldErrors::default();
            e.add(
                "given_name",
                "Someone else changed this person's details after you opened them, so your changes were not saved. \
                 Your changes are still in the form below: open the record in a new tab to compare, then save again.",
            );
            render_form(
                &state,
                &auth,
                StatusCode::CONFLICT,
                Some((id, current)),
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
        Err(StorageError::Rule(m)) => {
            let mut e = FieldErrors::default();
            e.add("practice_id", m);
            render_form(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((id, version)),
                &draft,
                &e,
                Vec::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "person_show.html")]
struct ShowPage {
    ctx: PageCtx,
    id: i64,
    name: String,
    summary: Vec<(String, String)>,
    episodes: Vec<EpisodeView>,
    timeline: Vec<(String, String, String)>,
    can_edit: bool,
    can_triage: bool,
    can_refer: bool,
    workers: Vec<Opt>,
}

pub(crate) struct EpisodeView {
    pub id: i64,
    pub version: i64,
    pub state: String,
    pub tag: &'static str,
    pub closed: bool,
    pub summary: Vec<(String, String)>,
    pub next_states: Vec<Opt>,
    pub next_contact_value: String,
    /// (when, what, who was there, notes), newest first.
    pub contacts: Vec<(String, String, String, String)>,
    pub contacts_norm: String,
    /// below, within or above the usual 6–12.
    pub norm_band: &'static str,
    pub j: super::person_journey::JourneyView,
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_read_people(), "person.read")
        .await?;
    let pcn = auth.pcn()?;
    let Some(p) = state.store.get_person(pcn, id).await? else {
        return Err(auth.not_found(&state, "person", id).await);
    };
    auth.need_to_know(&state, pcn, id).await?;
    auth.audit_read(&state, "person.read", Some(id), "person page".into())
        .await?;
    let d = &p.details;
    let today = Utc::now().date_naive();
    let practices = state.store.list_practices(pcn).await?;
    let users = state.store.list_users(Some(pcn)).await?;
    let names: HashMap<i64, String> = users.iter().map(|u| (u.id, u.name.clone())).collect();
    let dash = |s: &str| {
        if s.trim().is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    let mut summary = vec![
        (
            "NHS number".into(),
            d.nhs_number
                .as_ref()
                .map_or("Not known".into(), |n| n.to_string()),
        ),
        (
            "Date of birth".into(),
            format!("{} (aged {})", date(d.date_of_birth), d.age_on(today)),
        ),
        ("Sex".into(), d.sex.label().into()),
        ("Gender identity".into(), dash(&d.gender_identity)),
        (
            "Ethnic category".into(),
            d.ethnicity.map_or("—".into(), |e| e.label().into()),
        ),
        (
            "GP practice".into(),
            d.practice_id
                .and_then(|pid| practices.iter().find(|p| p.id == pid))
                .map_or("—".into(), |p| p.name.clone()),
        ),
        (
            "Preferred language".into(),
            format!(
                "{}{}",
                dash(&d.language),
                if d.interpreter_needed {
                    " (needs an interpreter)"
                } else {
                    ""
                }
            ),
        ),
    ];
    let needs: Vec<&str> = d.access_needs.iter().map(|a| a.label()).collect();
    let mut access = needs.join(", ");
    if !d.access_notes.is_empty() {
        access = if access.is_empty() {
            d.access_notes.clone()
        } else {
            format!("{access}. {}", d.access_notes)
        };
    }
    summary.push(("Communication needs".into(), dash(&access)));
    summary.push((
        "Address".into(),
        dash(&format!(
            "{} {}",
            d.address,
            d.postcode
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default()
        )),
    ));
    summary.push(("Telephone".into(), dash(&d.phone)));
    summary.push(("Email".into(), dash(&d.email)));
    summary.push((
        "Preferred contact".into(),
        d.preferred_contact.map_or("—".into(), |c| c.label().into()),
    ));
    summary.push(("Carer status".into(), d.carer_status.label().into()));
    summary.push(("Carer or next of kin".into(), dash(&d.carer_details)));

    let referrals = state.store.referrals_for_person(pcn, id).await?;
    let episodes = state.store.episodes_for_person(pcn, id).await?;
    let all_contacts = state.store.contacts_for_person(pcn, id).await?;
    let records = state.store.records_for_person(pcn, id).await?;
    let connections = state.store.connections_for_person(pcn, id).await?;
    let codes = state.store.coding_for_person(pcn, id).await?;
    let now = Utc::now();
    // Read only when a referral names a partner (most person pages have none).
    let live_partners: std::collections::HashSet<i64> =
        if connections.iter().any(|c| c.partner_org_id.is_some()) {
            state
                .store
                .partner_links(Some(pcn), None)
                .await?
                .into_iter()
                .filter(|l| l.is_live())
                .map(|l| l.partner_org_id)
                .collect()
        } else {
            Default::default()
        };
    let episodes = episodes
        .iter()
        .map(|e| {
            let r = referrals.iter().find(|r| r.id == e.referral_id);
            let mut s = vec![
                (
                    "Referred".into(),
                    format!(
                        "{} ({} days ago)",
                        datetime(e.referred_at),
                        (now - e.referred_at).num_days()
                    ),
                ),
                (
                    "Link worker".into(),
                    e.link_worker_id
                        .and_then(|w| names.get(&w).cloned())
                        .unwrap_or_else(|| "Not yet assigned".into()),
                ),
            ];
            if let Some(r) = r {
                let by = if r.referrer_name.is_empty() {
                    r.source.label().to_string()
                } else {
                    let mut by = format!("{} ({})", r.referrer_name, r.source.label());
                    if !r.referrer_organisation.is_empty() {
                        by.push_str(&format!(", {}", r.referrer_organisation));
                    }
                    by
                };
                s.push(("Referred by".into(), by));
                if !r.referrer_contact.is_empty() {
                    s.push(("Referrer contact".into(), r.referrer_contact.clone()));
                }
                s.push(("Urgency".into(), r.urgency.label().into()));
                s.push((
                    "Needs".into(),
                    dash(
                        &r.needs
                            .iter()
                            .map(|n| n.label())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ));
                s.push(("Reason".into(), dash(&r.reason)));
            }
            s.push(("First contact".into(), opt_date(e.first_contact_at)));
            s.push(("Next contact".into(), opt_date(e.next_contact_at)));
            if let Some(reason) = e.discharge_reason {
                s.push(("Discharge reason".into(), reason.label().into()));
            }
            let contacts: Vec<&storage::Contact> = all_contacts
                .iter()
                .filter(|c| c.episode_id == e.id)
                .collect();
            let attended = contacts
                .iter()
                .filter(|c| !c.details.did_not_attend)
                .count();
            let norm = domain::contact::contacts_against_norm(attended);
            let j = super::person_journey::build(
                e,
                &records,
                &connections,
                &codes,
                &contacts,
                &names,
                state.config.unable_to_contact_attempts,
                now,
                &live_partners,
            );
            EpisodeView {
                j,
                id: e.id,
                version: e.version,
                state: e.state.label().into(),
                tag: e.state.tag(),
                closed: e.state.is_closed(),
                summary: s,
                next_states: e
                    .state
                    .next_states()
                    .iter()
                    .filter(|s| **s != EpisodeState::Discharged)
                    .map(|s| Opt {
                        value: s.code().into(),
                        label: s.label().into(),
                        selected: false,
                    })
                    .collect(),
                next_contact_value: e
                    .next_contact_at
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                contacts: contacts
                    .iter()
                    .map(|c| {
                        let d = &c.details;
                        let present: Vec<&str> = d.present.iter().map(|p| p.label()).collect();
                        (
                            datetime(d.at),
                            d.summary(),
                            present.join(", "),
                            d.notes.clone(),
                        )
                    })
                    .collect(),
                contacts_norm: norm.0,
                norm_band: norm.1,
            }
        })
        .collect();
    let timeline = state
        .store
        .timeline(pcn, id)
        .await?
        .into_iter()
        .map(|t| (datetime(t.at), t.summary, t.actor_label))
        .collect();
    let workers = users
        .iter()
        .filter(|u| u.role == domain::Role::LinkWorker && !u.disabled)
        .map(|u| Opt {
            value: u.id.to_string(),
            label: u.name.clone(),
            selected: false,
        })
        .collect();
    let page = ShowPage {
        ctx: PageCtx::new(Some(&auth), d.full_name(), "/people").flash(flash(q.done.as_deref())),
        id,
        name: d.full_name(),
        summary,
        episodes,
        timeline,
        can_edit: auth.user.role.can_edit_people(),
        can_triage: auth.user.role.can_triage(),
        can_refer: auth.user.role.can_refer(),
        workers,
    };
    Ok(views::ok(&page))
}
