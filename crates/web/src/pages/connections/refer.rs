//! Signpost or refer: the referral form, new and create.

use super::*;

#[derive(Deserialize)]
pub struct ServiceQuery {
    pub service: String,
}

pub(crate) async fn service(state: &AppState, id: &str) -> Result<directory::Entry, AppError> {
    match state.directory.entry(id).await? {
        Some(e) if e.listing.retired_on.is_none() => Ok(e),
        _ => Err(AppError::BadRequest(
            "That service is not in the directory (it may have been retired)".into(),
        )),
    }
}

pub(super) fn refer_form(
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
            folded: false,
            legend: "What to share".into(),
            fields,
        },
        Section {
            folded: false,
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
    let (ep, p) =
        crate::pages::journey::load_for_form(&state, &auth, id, "connection.create").await?;
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
    let asked = Connect {
        kind,
        about: form.get("about").trim().to_string(),
        consent: form.checked("consent"),
        share_phone: form.checked("share_phone"),
        share_email: form.checked("share_email"),
        share_age: form.checked("share_age"),
        share_access: form.checked("share_access"),
    };
    match connect(&state, &auth, &ep, &p, &e, &asked).await? {
        Ok(_) => Ok(see_other(&format!(
            "/people/{}?done={}",
            p.id,
            if kind == ConnectionKind::Referral {
                "referred"
            } else {
                "signposted"
            }
        ))),
        Err(errors) => Ok(refer_form(&auth, &p, &ep, &e, &form, &errors, false).respond()),
    }
}

/// A signpost or referral as the link worker asks for it: which details to share, in what
/// words, and whether the person agreed.
pub(crate) struct Connect {
    pub kind: ConnectionKind,
    pub about: String,
    pub consent: bool,
    pub share_phone: bool,
    pub share_email: bool,
    pub share_age: bool,
    pub share_access: bool,
}

/// Signposts or refers the person to a directory service with the pages' rules: a referral
/// needs the person's recorded agreement and a service that takes referrals; the same
/// service still open in this episode is refused (409); only the ticked details are shared.
/// The pages and the API both connect here.
pub(crate) async fn connect(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    p: &Person,
    e: &directory::Entry,
    asked: &Connect,
) -> Result<Result<Connection, FieldErrors>, AppError> {
    let kind = asked.kind;
    let d = &p.details;
    let about = asked.about.trim().to_string();
    let mut errors = FieldErrors::default();
    if kind == ConnectionKind::Referral {
        if !asked.consent {
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
            return Ok(Err(errors));
        }
    }
    // The same service already in this episode and still open: a second click, or a second
    // tab. Refused, saying what is there and how to record it again.
    let same = state
        .store
        .connections_for_person(auth.pcn()?, p.id)
        .await?
        .into_iter()
        .find(|c| c.episode_id == ep.id && c.service_id == e.service.id && !c.status.is_closed());
    if let Some(c) = same {
        return Err(AppError::Conflict(format!(
            "{} was already {} for this person on {} and is still open ({}), so nothing new was recorded. \
             To record it again, update or cancel the earlier one on the person's page first.",
            c.service_name,
            if c.kind == ConnectionKind::Referral { "referred" } else { "signposted" },
            views::date(domain::uk_time::to_uk(c.created_at).date()),
            c.status.label().to_lowercase()
        )));
    }
    let now = Utc::now();
    let shared = SharedDetails {
        name: d.full_name(),
        phone: if asked.share_phone {
            d.phone.clone()
        } else {
            String::new()
        },
        email: if asked.share_email {
            d.email.clone()
        } else {
            String::new()
        },
        age: asked
            .share_age
            .then(|| d.age_on(domain::uk_time::to_uk(now).date())),
        about,
        access_needs: if asked.share_access {
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
        Ok((c, _)) => Ok(Ok(c)),
        Err(StorageError::NotFound) => Err(auth.not_found(state, "episode", ep.id).await),
        Err(e) => Err(e.into()),
    }
}
