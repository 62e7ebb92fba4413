//! Connecting people to community services and closing the loop: matching from the
//! person's page, signposting or referring (with recorded consent and only the agreed
//! details shared), the link worker's "waiting on partners" list, and the partner's own
//! view of the referrals addressed to their organisation.

use super::journey::{latest, load, RecordForm};
use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::form::FormData;
use crate::views::{self, datetime, Field, Opt, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Duration, Utc};
use directory::{Match, MatchProfile};
use domain::{
    AccessFeature, Assessment, Code, ConnectionKind, ConnectionReason, ConnectionStatus,
    FieldErrors, RecordKind, Role, Side, Weekday,
};
use serde::Deserialize;
use storage::{
    Connection, ConnectionScope, Episode, NewConnection, Person, SharedDetails, StatusChange,
    StorageError,
};

// ---------------------------------------------------------------------------------------
// Matching

#[derive(Deserialize, Default)]
pub struct MatchQuery {
    pub distance_km: Option<String>,
    pub free: Option<String>,
    #[serde(default)]
    pub day: Vec<String>,
}

#[derive(Template)]
#[template(path = "match.html")]
struct MatchPage {
    ctx: PageCtx,
    person_id: i64,
    person_name: String,
    episode_id: i64,
    based_on: Vec<String>,
    distance_km: String,
    free: bool,
    days: Vec<Opt>,
    matches: Vec<MatchView>,
    no_postcode: bool,
}

struct MatchView {
    m: Match,
    distance: String,
}

/// What matching knows about a person: assessed needs and interests (or the referral's
/// needs before an assessment), age, home postcode, language and access needs.
async fn profile(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    p: &Person,
) -> Result<(MatchProfile, Vec<String>), AppError> {
    let mut based_on = vec![];
    let d = &p.details;
    let mut prof = MatchProfile {
        age: Some(f64::from(d.age_on(Utc::now().date_naive()))),
        limit: 25,
        max_distance_m: 10_000.0,
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
            based_on.push("needs scored 3 or more and interests from the latest assessment".into());
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
        if prof.near.is_some() {
            based_on.push(format!("distance from {pc}"));
        }
    }
    based_on.push(format!("age {}", d.age_on(Utc::now().date_naive())));
    if !d.language.trim().is_empty() && !d.language.eq_ignore_ascii_case("english") {
        prof.language = Some(d.language.clone());
        based_on.push(format!("language ({})", d.language));
    }
    prof.access = d
        .access_needs
        .iter()
        .filter_map(|a| AccessFeature::for_need(*a))
        .collect();
    if !prof.access.is_empty() {
        based_on.push("access needs".into());
    }
    based_on.push("live capacity".into());
    Ok((prof, based_on))
}

pub async fn match_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    axum_extra_query: axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let (ep, p) = load(&state, &auth, id, "match.read").await?;
    let q = parse_match_query(axum_extra_query.0.as_deref().unwrap_or(""));
    let (mut prof, mut based_on) = profile(&state, &auth, &ep, &p).await?;
    let km: f64 = match q.distance_km.as_deref().map(str::trim) {
        None | Some("") => 10.0,
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|k| (0.5..=100.0).contains(k))
            .ok_or_else(|| {
                AppError::BadRequest(
                    "Distance must be a number of kilometres from 0.5 to 100".into(),
                )
            })?,
    };
    prof.max_distance_m = km * 1000.0;
    prof.free_only = q.free.is_some();
    prof.days = q.day.iter().filter_map(|d| Weekday::from_code(d)).collect();
    if !prof.days.is_empty() {
        based_on.push("days they can make".into());
    }
    let matches = state.directory.index.match_services(&prof);
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
        distance_km: crate::charts::format_value(km),
        free: prof.free_only,
        days: Weekday::ALL
            .iter()
            .map(|d| Opt {
                value: d.code().into(),
                label: d.label().into(),
                selected: prof.days.contains(d),
            })
            .collect(),
        no_postcode: prof.near.is_none(),
        matches: matches
            .into_iter()
            .map(|m| MatchView {
                distance: m
                    .distance_m
                    .map(|d| format!("{:.1} km", d / 1000.0))
                    .unwrap_or_default(),
                m,
            })
            .collect(),
    };
    Ok(views::ok(&page))
}

fn parse_match_query(raw: &str) -> MatchQuery {
    let mut q = MatchQuery::default();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match k.as_ref() {
            "distance_km" => q.distance_km = Some(v.into_owned()),
            "free" => q.free = Some(v.into_owned()),
            "day" => q.day.push(v.into_owned()),
            _ => {}
        }
    }
    q
}

// ---------------------------------------------------------------------------------------
// Signpost or refer

#[derive(Deserialize)]
pub struct ServiceQuery {
    pub service: String,
}

async fn service(state: &AppState, id: &str) -> Result<directory::Entry, AppError> {
    match state.directory.entry(id).await? {
        Some(e) if e.listing.retired_on.is_none() => Ok(e),
        _ => Err(AppError::BadRequest(
            "That service is not in the directory (it may have been retired)".into(),
        )),
    }
}

fn refer_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    e: &directory::Entry,
    f: &FormData,
    errors: &FieldErrors,
    fresh: bool,
) -> RecordForm {
    let org = e
        .service
        .organization
        .as_ref()
        .map_or(String::new(), |o| o.name.clone());
    let mut page = RecordForm::new(
        auth,
        p,
        &format!("Refer to {}", e.service.name),
        format!("/episodes/{}/connections", ep.id),
    );
    page.cancel = format!("/episodes/{}/match", ep.id);
    page.hidden = vec![
        ("kind".into(), "referral".into()),
        ("service".into(), e.service.id.clone()),
    ];
    page.intro = vec![
        format!(
            "{org} will see the person's name and only the details ticked below, and nothing else from their record."
        ),
        format!(
            "They are asked to answer within {} days; you will see their answer on the person's page.",
            e.listing.response_days
        ),
    ];
    let d = &p.details;
    let tick = |name: &str, default: bool| {
        if fresh {
            if default {
                "yes"
            } else {
                ""
            }
        } else if f.checked(name) {
            "yes"
        } else {
            ""
        }
    };
    let mut fields = vec![];
    if !d.phone.is_empty() {
        fields.push(
            Field::new(
                "checkbox",
                "share_phone",
                &format!("Telephone ({})", d.phone),
            )
            .value(tick("share_phone", true)),
        );
    }
    if !d.email.is_empty() {
        fields.push(
            Field::new("checkbox", "share_email", &format!("Email ({})", d.email))
                .value(tick("share_email", false)),
        );
    }
    fields.push(Field::new("checkbox", "share_age", "Their age").value(tick("share_age", false)));
    if !d.access_needs.is_empty() || !d.access_notes.is_empty() {
        fields.push(
            Field::new(
                "checkbox",
                "share_access",
                "Their communication and access needs",
            )
            .value(tick("share_access", true)),
        );
    }
    fields.push(
        Field::new("textarea", "about", "What they would like help with")
            .hint("In words agreed with the person. Do not include medical details.")
            .value(f.get("about"))
            .errors(errors),
    );
    page.sections = vec![
        Section {
            legend: "What to share".into(),
            fields,
        },
        Section {
            legend: "Consent".into(),
            fields: vec![Field::new(
                "checkbox",
                "consent",
                &format!("The person agrees to share these details with {org}"),
            )
            .hint("Ask them now. Without their agreement, signpost instead: give them the details to contact the service themselves.")
            .value(if f.checked("consent") { "yes" } else { "" })
            .errors(errors)],
        },
    ];
    page.submit = "Send referral".into();
    page.errors(errors)
}

pub async fn refer_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<ServiceQuery>,
) -> Result<Response, AppError> {
    let (ep, p) = super::journey::load_for_form(&state, &auth, id, "connection.create").await?;
    let e = service(&state, &q.service).await?;
    Ok(refer_form(
        &auth,
        &p,
        &ep,
        &e,
        &FormData::default(),
        &FieldErrors::default(),
        true,
    )
    .respond())
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "connection.create").await?;
    let kind = ConnectionKind::from_code(form.get("kind"))
        .ok_or_else(|| AppError::BadRequest("Choose to signpost or refer".into()))?;
    let e = service(&state, form.get("service")).await?;
    let d = &p.details;
    let about = form.get("about").trim().to_string();
    let mut errors = FieldErrors::default();
    if kind == ConnectionKind::Referral {
        if !form.checked("consent") {
            errors.add(
                "consent",
                "Record that the person agrees to share their details, or signpost instead",
            );
        }
        if e.listing.referral_mode != domain::ReferralMode::Referral {
            return Err(AppError::Conflict(format!(
                "{} does not take referrals: signpost the person instead",
                e.service.name
            )));
        }
        if about.chars().count() > domain::person::MAX_TEXT {
            errors.add("about", "Keep this to 2000 characters");
        }
        if !errors.is_empty() {
            return Ok(refer_form(&auth, &p, &ep, &e, &form, &errors, false).respond());
        }
    }
    let now = Utc::now();
    let shared = SharedDetails {
        name: d.full_name(),
        phone: if form.checked("share_phone") {
            d.phone.clone()
        } else {
            String::new()
        },
        email: if form.checked("share_email") {
            d.email.clone()
        } else {
            String::new()
        },
        age: form
            .checked("share_age")
            .then(|| d.age_on(now.date_naive())),
        about,
        access_needs: if form.checked("share_access") {
            let mut v: Vec<&str> = d.access_needs.iter().map(|a| a.label()).collect();
            if !d.access_notes.is_empty() {
                v.push(&d.access_notes);
            }
            v.join("; ")
        } else {
            String::new()
        },
        link_worker: auth.user.name.clone(),
        link_worker_contact: auth.user.email.clone(),
    };
    let org = e
        .service
        .organization
        .as_ref()
        .map_or(String::new(), |o| o.name.clone());
    // The organisation answers in Linkwork only while it and this PCN both hold their
    // relationship; otherwise the link worker records its answer.
    let partner_org_id = match e.partner_org_id {
        Some(org) if state.store.partner_link_live(auth.pcn()?, org).await? => Some(org),
        _ => None,
    };
    let c = NewConnection {
        service_id: e.service.id.clone(),
        service_name: e.service.name.clone(),
        organization_name: org,
        partner_org_id,
        kind,
        consent_at: (kind == ConnectionKind::Referral).then_some(now),
        shared,
        due_at: Some(now + Duration::days(i64::from(e.listing.response_days))),
        note: String::new(),
        at: storage::now(),
    };
    match state
        .store
        .create_connection(auth.pcn()?, ep.id, &c, &auth.actor())
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/people/{}?done={}",
            p.id,
            if kind == ConnectionKind::Referral {
                "referred"
            } else {
                "signposted"
            }
        ))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "episode", id).await),
        Err(e) => Err(e.into()),
    }
}

/// The link worker cancels a referral, or records the organisation's answer when the
/// organisation has no Linkwork account.
pub async fn status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_triage(), "connection.status")
        .await?;
    let pcn = auth.pcn()?;
    let change = change_from(&form, Side::LinkWorker)?;
    if let Some(c) = state
        .store
        .get_connection(ConnectionScope::Pcn(pcn), id)
        .await?
    {
        auth.need_to_know(&state, pcn, c.person_id).await?;
    }
    match state
        .store
        .update_connection(
            ConnectionScope::Pcn(pcn),
            id,
            form.i64("version")?,
            &change,
            &auth.actor(),
        )
        .await
    {
        Ok(c) => Ok(see_other(&format!(
            "/people/{}?done=connection",
            c.person_id
        ))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "connection", id).await),
        Err(e) => Err(e.into()),
    }
}

/// Reads a status change from a form. For the link worker, anything but a cancellation is
/// the organisation's answer recorded on its behalf.
fn change_from(form: &FormData, side: Side) -> Result<StatusChange, AppError> {
    let to = ConnectionStatus::from_code(form.get("to"))
        .ok_or_else(|| AppError::BadRequest("Choose the new status".into()))?;
    let reason = match form.get("reason") {
        "" => None,
        r => Some(
            ConnectionReason::from_code(r)
                .ok_or_else(|| AppError::BadRequest("Choose a reason from the list".into()))?,
        ),
    };
    let note = form.get("note").trim().to_string();
    if note.chars().count() > domain::person::MAX_TEXT {
        return Err(AppError::BadRequest(
            "Keep the note to 2000 characters".into(),
        ));
    }
    let side = if side == Side::LinkWorker && to != ConnectionStatus::Cancelled {
        Side::Partner
    } else {
        side
    };
    Ok(StatusChange {
        to,
        reason,
        note,
        side,
        at: None,
    })
}

// ---------------------------------------------------------------------------------------
// Waiting on partners

#[derive(Template)]
#[template(path = "waiting.html")]
struct WaitingPage {
    ctx: PageCtx,
    mine_only: bool,
    rows: Vec<WaitingRow>,
}

pub(crate) struct WaitingRow {
    pub person_id: i64,
    pub person: String,
    pub service: String,
    pub organization: String,
    pub status: String,
    pub sent: String,
    pub due: String,
    pub overdue: bool,
}

pub(crate) fn waiting_rows(list: &[Connection], now: chrono::DateTime<Utc>) -> Vec<WaitingRow> {
    list.iter()
        .map(|c| WaitingRow {
            person_id: c.person_id,
            person: c.shared.name.clone(),
            service: c.service_name.clone(),
            organization: c.organization_name.clone(),
            status: c.status.label().into(),
            sent: datetime(c.created_at),
            due: c
                .due_at
                .map(|d| views::date(d.date_naive()))
                .unwrap_or_default(),
            overdue: c.is_overdue(now),
        })
        .collect()
}

pub async fn waiting(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_view_waiting(),
        "connection.waiting",
    )
    .await?;
    let pcn = auth.pcn()?;
    let mine_only = auth.user.role == Role::LinkWorker;
    let list = state
        .store
        .open_referrals(pcn, mine_only.then_some(auth.user.id))
        .await?;
    let shown: Vec<(i64, i64)> = list.iter().map(|c| (pcn, c.person_id)).collect();
    auth.audit_shown(
        &state,
        "connection.waiting",
        &shown,
        &format!("{} referrals", list.len()),
    )
    .await?;
    Ok(views::ok(&WaitingPage {
        ctx: PageCtx::new(Some(&auth), "Waiting on partners", "/waiting"),
        mine_only,
        rows: waiting_rows(&list, Utc::now()),
    }))
}

// ---------------------------------------------------------------------------------------
// The partner's side

fn partner_org(auth: &Auth) -> Option<i64> {
    match (auth.user.role, auth.user.partner_org_id) {
        (Role::Partner, Some(o)) => Some(o),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "partner_referrals.html")]
struct PartnerList {
    ctx: PageCtx,
    open: Vec<(i64, String, String, String, String, bool)>,
    closed: Vec<(i64, String, String, String, String, bool)>,
}

pub async fn partner_list(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let org = partner_org(&auth);
    auth.require(&state, org.is_some(), "partner.referrals")
        .await?;
    let list = state
        .store
        .connections_for_partner(org.unwrap_or_default())
        .await?;
    let now = Utc::now();
    let row = |c: &Connection| {
        (
            c.id,
            c.shared.name.clone(),
            c.service_name.clone(),
            datetime(c.created_at),
            c.status.label().to_string(),
            c.is_overdue(now),
        )
    };
    let (open, closed): (Vec<&Connection>, Vec<&Connection>) =
        list.iter().partition(|c| !c.status.is_closed());
    let shown: Vec<(i64, i64)> = list.iter().map(|c| (c.pcn_id, c.person_id)).collect();
    auth.audit_shown(
        &state,
        "partner.referrals",
        &shown,
        &format!("{} referrals", list.len()),
    )
    .await?;
    Ok(views::ok(&PartnerList {
        ctx: PageCtx::new(Some(&auth), "Referrals to us", "/partner/referrals")
            .flash(flash(done.done.as_deref())),
        open: open.into_iter().map(row).collect(),
        closed: closed.into_iter().map(row).collect(),
    }))
}

#[derive(Template)]
#[template(path = "partner_referral.html")]
struct PartnerReferral {
    ctx: PageCtx,
    c: Connection,
    sent: String,
    due: String,
    overdue: bool,
    next: Vec<Opt>,
    reasons: Vec<Opt>,
    error: Option<String>,
}

async fn partner_view(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(i64, Connection), AppError> {
    let org = partner_org(auth);
    auth.require(state, org.is_some(), "partner.referral")
        .await?;
    let org = org.unwrap_or_default();
    match state
        .store
        .get_connection(ConnectionScope::Partner(org), id)
        .await?
    {
        Some(c) => Ok((org, c)),
        None => Err(auth.not_found(state, "connection", id).await),
    }
}

fn partner_page(auth: &Auth, c: Connection, error: Option<String>) -> PartnerReferral {
    let now = Utc::now();
    PartnerReferral {
        ctx: PageCtx::new(Some(auth), "Referral", "/partner/referrals"),
        sent: datetime(c.created_at),
        due: c
            .due_at
            .map(|d| views::date(d.date_naive()))
            .unwrap_or_default(),
        overdue: c.is_overdue(now),
        next: c
            .status
            .next(Side::Partner)
            .iter()
            .map(|s| Opt {
                value: s.code().into(),
                label: s.label().into(),
                selected: false,
            })
            .collect(),
        reasons: ConnectionReason::ALL
            .iter()
            .map(|r| Opt {
                value: r.code().into(),
                label: r.label().into(),
                selected: false,
            })
            .collect(),
        c,
        error,
    }
}

pub async fn partner_show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, c) = partner_view(&state, &auth, id).await?;
    auth.audit_read_in(
        &state,
        "partner.referral.read",
        c.pcn_id,
        c.person_id,
        format!("connection {id}"),
    )
    .await?;
    Ok(views::ok(&partner_page(&auth, c, None)))
}

pub async fn partner_status(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (org, c) = partner_view(&state, &auth, id).await?;
    let change = change_from(&form, Side::Partner)?;
    match state
        .store
        .update_connection(
            ConnectionScope::Partner(org),
            id,
            form.i64("version")?,
            &change,
            &auth.actor(),
        )
        .await
    {
        Ok(_) => Ok(see_other("/partner/referrals?done=referral-updated")),
        Err(StorageError::Rule(m)) => {
            // The refusal shows the referral again: a read like any other.
            auth.audit_read_in(
                &state,
                "partner.referral.read",
                c.pcn_id,
                c.person_id,
                format!("connection {id}, shown again with: {m}"),
            )
            .await?;
            Ok(views::render(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                &partner_page(&auth, c, Some(m)),
            ))
        }
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "connection", id).await),
        Err(e) => Err(e.into()),
    }
}
