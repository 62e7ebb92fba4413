//! The referral form (for referrers and link workers) and a referrer's own list.
//! A referral opens an episode in the PCN's unassigned queue; without the person's
//! consent it is refused and nothing is saved.

use super::people::{draft_from_form, person_sections};
use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::form::FormData;
use crate::views::{self, datetime, error_items, ErrorItem, Field, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::{Code, FieldErrors, Need, PersonDraft, ReferralDraft, ReferralSource, Urgency};
use storage::{PersonQuery, PersonRef};

pub(crate) fn referral_draft_from_form(f: &FormData) -> ReferralDraft {
    ReferralDraft {
        source: f.get("source").into(),
        referrer_name: f.get("referrer_name").into(),
        referrer_role: f.get("referrer_role").into(),
        referrer_organisation: f.get("referrer_organisation").into(),
        referrer_contact: f.get("referrer_contact").into(),
        needs: f.all("needs"),
        reason: f.get("reason").into(),
        urgency: f.get("urgency").into(),
        consent: f.checked("consent"),
    }
}

fn referral_sections(d: &ReferralDraft, e: &FieldErrors) -> Vec<Section> {
    let one = |s: &str| vec![s.to_string()];
    vec![
        Section {
            folded: false,
            legend: "Who is referring".into(),
            fields: vec![
                Field::new("select", "source", "Referral source").codes::<ReferralSource>(&one(&d.source), Some("Choose")).required().errors(e),
                Field::new("text", "referrer_name", "Referrer's name").needed_when("not needed for a self-referral").value(&d.referrer_name).width("20").errors(e),
                Field::new("text", "referrer_role", "Referrer's role").value(&d.referrer_role).width("20").errors(e),
                Field::new("text", "referrer_organisation", "Referrer's organisation").value(&d.referrer_organisation).width("30").errors(e),
                Field::new("text", "referrer_contact", "Referrer's telephone or email").needed_when("not needed for a self-referral").hint("So the link worker can tell you what happened").value(&d.referrer_contact).width("30").errors(e),
            ],
        },
        Section {
            folded: false,
            legend: "Why you are referring".into(),
            fields: vec![
                Field::new("checkboxes", "needs", "Needs and concerns").hint("Tick all that apply").codes::<Need>(&d.needs, None).errors(e),
                Field::new("textarea", "reason", "What would help, in your words").hint("Anything the link worker should know first, including risks").value(&d.reason).errors(e),
                Field::new("radios", "urgency", "How urgent is this?").codes::<Urgency>(&one(if d.urgency.is_empty() { "routine" } else { &d.urgency }), None).errors(e),
            ],
        },
        Section {
            folded: false,
            legend: "Consent".into(),
            fields: vec![Field::new("checkbox", "consent", "The person agrees to be referred to social prescribing and for these details to be shared with the link worker team")
                .hint("Ask the person. Do not send the referral if they have not agreed.")
                .value(if d.consent { "yes" } else { "" })
                .errors(e)],
        },
    ]
}

/// A referral for someone already on record joins their record, but only when the NHS
/// number, date of birth and family name all match: a referrer cannot learn who holds an
/// NHS number, and a mistyped number does not attach the referral to someone else.
pub(crate) async fn match_existing(
    state: &AppState,
    pcn: i64,
    person: PersonRef,
) -> Result<PersonRef, AppError> {
    let PersonRef::New(d) = &person else {
        return Ok(person);
    };
    let Some(nhs) = &d.nhs_number else {
        return Ok(person);
    };
    let q = PersonQuery {
        nhs_number: Some(nhs.as_str().into()),
        date_of_birth: Some(d.date_of_birth),
        limit: 5,
        ..Default::default()
    };
    let found = state.store.search_people(pcn, &q).await?;
    let family = d.family_name.to_lowercase();
    let same: Vec<_> = found
        .iter()
        .filter(|p| p.details.family_name.to_lowercase() == family)
        .collect();
    Ok(match same.as_slice() {
        [only] => PersonRef::Existing(only.id),
        _ => person,
    })
}

#[derive(Template)]
#[template(path = "referral_form.html")]
struct FormPage {
    ctx: PageCtx,
    errors: Vec<ErrorItem>,
    person_id: Option<i64>,
    person_name: String,
    sections: Vec<Section>,
    /// Records that are probably the same person: (id, name, date of birth, NHS number, why).
    duplicates: Vec<(i64, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    person_id: Option<i64>,
}

async fn render(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    person_id: Option<i64>,
    (person, referral): (&PersonDraft, &ReferralDraft),
    errors: &FieldErrors,
    duplicates: Vec<(i64, String)>,
) -> Result<Response, AppError> {
    let pcn = auth.pcn()?;
    let mut sections = Vec::new();
    let mut person_name = String::new();
    if let Some(pid) = person_id {
        match state.store.get_person(pcn, pid).await? {
            Some(p) => {
                auth.need_to_know(state, pcn, pid).await?;
                auth.audit_read(state, "person.read", Some(pid), "referral form".into())
                    .await?;
                person_name = p.details.full_name();
            }
            None => return Err(auth.not_found(state, "person", pid).await),
        }
    } else {
        sections.extend(person_sections(
            person,
            errors,
            &state.store.list_practices(pcn).await?,
        ));
    }
    sections.extend(referral_sections(referral, errors));
    let title = if errors.is_empty() {
        "Make a referral"
    } else {
        "Error: Make a referral"
    };
    let page = FormPage {
        ctx: PageCtx::new(Some(auth), title, "/referrals/new"),
        errors: error_items(errors),
        person_id,
        person_name,
        sections,
        duplicates,
    };
    Ok(views::render(status, &page))
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_refer(), "referral.create")
        .await?;
    let person_id = q.person_id.filter(|_| auth.user.role.can_read_people());
    // A referrer refers as themselves: their name and contact come from their account.
    let mut referral = ReferralDraft::default();
    if auth.user.role == domain::Role::Referrer {
        referral.referrer_name = auth.user.name.clone();
        referral.referrer_contact = auth.user.email.clone();
    }
    render(
        &state,
        &auth,
        StatusCode::OK,
        person_id,
        (&PersonDraft::default(), &referral),
        &FieldErrors::default(),
        Vec::new(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_refer(), "referral.create")
        .await?;
    let pcn = auth.pcn()?;
    let person_id = if auth.user.role.can_read_people() {
        form.opt_i64("person_id")?
    } else {
        None
    };
    let person_draft = draft_from_form(&form)?;
    let referral_draft = referral_draft_from_form(&form);
    let mut errors = FieldErrors::default();
    let person = match person_id {
        Some(id) => Some(PersonRef::Existing(id)),
        None => match person_draft.validate(domain::uk_time::today()) {
            Ok(d) => Some(PersonRef::New(Box::new(d))),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        },
    };
    let referral = match referral_draft.validate() {
        Ok(r) => Some(r),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let (Some(person), Some(referral)) = (person, referral) else {
        return render(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            person_id,
            (&person_draft, &referral_draft),
            &errors,
            Vec::new(),
        )
        .await;
    };
    let mut person = match_existing(&state, pcn, person).await?;
    // Staff who may read records are shown the likely duplicates before another record is
    // made, and choose: this is one of them, or a different person. (Referrers never see
    // records; theirs joins one only on NHS number, date of birth and family name.)
    if let (PersonRef::New(d), true) = (&person, auth.user.role.can_read_people()) {
        match form.get("duplicate") {
            "new" => {}
            "" => {
                let dups = state.store.find_possible_duplicates(pcn, d).await?;
                if !dups.is_empty() {
                    let shown: Vec<(i64, i64)> = dups.iter().map(|p| (pcn, p.id)).collect();
                    auth.audit_shown(
                        &state,
                        "person.search",
                        &shown,
                        &format!("duplicate check on referral: {} shown", dups.len()),
                    )
                    .await?;
                    let list = dups
                        .iter()
                        .map(|p| {
                            let why =
                                domain::person::likely_same(d, &p.details).unwrap_or_default();
                            (p.id, format!("{} ({why})", super::people::describe(p)))
                        })
                        .collect();
                    return render(
                        &state,
                        &auth,
                        StatusCode::CONFLICT,
                        person_id,
                        (&person_draft, &referral_draft),
                        &errors,
                        list,
                    )
                    .await;
                }
            }
            id => {
                let id = id.parse::<i64>().map_err(|_| {
                    AppError::BadRequest(
                        "Choose one of the records shown, or a different person".into(),
                    )
                })?;
                person = PersonRef::Existing(id);
            }
        }
    }
    // Referring someone already on record is a use of their record: a link worker for whom
    // they are not theirs says why first (the referral's new episode would otherwise open the
    // record to them). Referrers never see the record, so they are not asked.
    if let (PersonRef::Existing(id), true) = (&person, auth.user.role.can_read_people()) {
        if state.store.get_person(pcn, *id).await?.is_some() {
            auth.need_to_know(&state, pcn, *id).await?;
        }
    }
    let (_, episode) = match state
        .store
        .create_referral(
            pcn,
            person,
            &referral,
            Some(auth.user.id),
            storage::now(),
            &auth.actor(),
        )
        .await
    {
        Ok(r) => r,
        Err(storage::StorageError::NotFound) => {
            return Err(auth
                .not_found(&state, "person", person_id.unwrap_or_default())
                .await)
        }
        Err(storage::StorageError::Rule(m)) => {
            errors.add("practice_id", m);
            return render(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                person_id,
                (&person_draft, &referral_draft),
                &errors,
                Vec::new(),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    if auth.user.role.can_read_people() {
        Ok(see_other(&format!(
            "/people/{}?done=referral",
            episode.person_id
        )))
    } else {
        Ok(see_other("/referrals/mine?done=referral"))
    }
}

/// One referral on "My referrals": (sent, person, status, tag, link worker, what happened,
/// the episode whose message back they may read).
type MineRow = (
    String,
    String,
    String,
    &'static str,
    String,
    String,
    Option<i64>,
);

#[derive(Template)]
#[template(path = "referrals_mine.html")]
struct MinePage {
    ctx: PageCtx,
    rows: Vec<MineRow>,
}

pub async fn mine(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_refer(), "referral.list")
        .await?;
    let pcn = auth.pcn()?;
    let list = state.store.referrals_made_by(pcn, auth.user.id).await?;
    let shown: Vec<(i64, i64)> = list.iter().map(|r| (pcn, r.person_id)).collect();
    auth.audit_shown(
        &state,
        "referral.list",
        &shown,
        &format!("{} referrals", list.len()),
    )
    .await?;
    let rows = list
        .into_iter()
        .map(|r| {
            (
                datetime(r.received_at),
                r.person_name,
                r.state.label().to_string(),
                r.state.tag(),
                r.link_worker_name
                    .unwrap_or_else(|| "Not yet assigned".into()),
                what_happened(r.state, r.discharge_reason),
                r.state.is_closed().then_some(r.episode_id),
            )
        })
        .collect();
    let page = MinePage {
        ctx: PageCtx::new(Some(&auth), "My referrals", "/referrals/mine")
            .flash(flash(q.done.as_deref())),
        rows,
    };
    Ok(views::ok(&page))
}

/// What happened to a referral, for the person who made it: no health details, only the
/// outcome and, for one that ended, why.
pub(crate) fn what_happened(
    state: domain::EpisodeState,
    reason: Option<domain::DischargeReason>,
) -> String {
    use domain::EpisodeState::*;
    match state {
        Referred => "Waiting for a link worker to make contact".into(),
        Contacting => "A link worker is trying to make contact".into(),
        Accepted | Assessed | PlanAgreed | Active => "They are working with a link worker".into(),
        Declined => "They chose not to take up social prescribing".into(),
        UnableToContact => "The link worker could not reach them after several tries".into(),
        Discharged => match reason {
            Some(r) => format!("Finished: {}", r.label().to_lowercase()),
            None => "Finished".into(),
        },
    }
}
