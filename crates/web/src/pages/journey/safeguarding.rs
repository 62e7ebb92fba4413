//! Safeguarding concerns: raise, save, list, show and close.

use super::*;

pub(crate) async fn supervisors(
    state: &AppState,
    pcn: i64,
) -> Result<Vec<(i64, String)>, AppError> {
    Ok(state
        .store
        .list_users(Some(pcn))
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Supervisor && !u.disabled)
        .map(|u| (u.id, u.name))
        .collect())
}

/// Whether and when the local authority's safeguarding team was contacted.
fn la_fields(f: &FormData, e: &FieldErrors) -> Vec<Field> {
    vec![
        Field::new(
            "radios",
            "la_contacted",
            "Has the local authority's safeguarding team been contacted",
        )
        .options(
            [("yes", "Yes"), ("no", "No")]
                .iter()
                .map(|(v, l)| Opt {
                    value: (*v).into(),
                    label: (*l).into(),
                    selected: f.get("la_contacted") == *v,
                })
                .collect(),
        )
        .errors(e),
        Field::new("date", "la_contacted_on", "Date contacted")
            .needed_when("needed if yes")
            .value(f.get("la_contacted_on"))
            .errors(e),
    ]
}

fn safeguarding_draft(f: &FormData) -> SafeguardingDraft {
    SafeguardingDraft {
        about: f.get("about").into(),
        kinds: f.all("kinds"),
        urgency: f.get("urgency").into(),
        concern: f.get("concern").into(),
        action_so_far: f.get("action_so_far").into(),
        la_contacted: f.get("la_contacted").into(),
        la_contacted_on: f.get("la_contacted_on").into(),
    }
}

pub(super) fn safeguarding_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    sups: &[(i64, String)],
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Raise a safeguarding concern",
        format!("/episodes/{}/safeguarding", ep.id),
    );
    page.intro = vec![
        "The GP supervisor sees this on their dashboard and records what was done.".into(),
        "If someone is in immediate danger, call 999 first.".into(),
    ];
    let mut opts = vec![Opt {
        value: String::new(),
        label: "Choose".into(),
        selected: f.get("raised_to").is_empty(),
    }];
    opts.extend(sups.iter().map(|(id, name)| Opt {
        value: id.to_string(),
        label: name.clone(),
        selected: f.get("raised_to") == id.to_string(),
    }));
    let kinds = f.all("kinds");
    page.sections = vec![
        Section {
            folded: false,
            legend: "The concern".into(),
            fields: vec![
                Field::new("radios", "about", "Who is it about")
                    .codes::<SafeguardingSubject>(&[f.get("about").to_string()], None)
                    .errors(e),
                Field::new("checkboxes", "kinds", "Kind of abuse or concern")
                    .hint("Choose every one that applies")
                    .codes::<ConcernKind>(&kinds, None)
                    .errors(e),
                Field::new("radios", "urgency", "How urgent is it")
                    .codes::<SafeguardingUrgency>(&[f.get("urgency").to_string()], None)
                    .errors(e),
                Field::new("textarea", "concern", "What is the concern")
                    .hint("What you saw or were told, and when")
                    .value(f.get("concern"))
                    .required()
                    .errors(e),
                Field::new("textarea", "action_so_far", "What you have done so far")
                    .value(f.get("action_so_far"))
                    .errors(e),
            ],
        },
        Section {
            folded: false,
            legend: "Local authority and GP supervisor".into(),
            fields: la_fields(f, e)
                .into_iter()
                .chain(std::iter::once(
                    Field::new("select", "raised_to", "GP supervisor")
                        .options(opts)
                        .required()
                        .errors(e),
                ))
                .collect(),
        },
    ];
    page.submit = "Raise concern".into();
    page.errors(e)
}

pub async fn safeguarding_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "safeguarding.create").await?;
    open_only(&ep)?;
    let sups = supervisors(&state, auth.pcn()?).await?;
    Ok(safeguarding_form(
        &auth,
        &p,
        &ep,
        &sups,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn safeguarding_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "safeguarding.create").await?;
    open_only(&ep)?;
    let sups = supervisors(&state, auth.pcn()?).await?;
    match raise(
        &state,
        &auth,
        &ep,
        &sups,
        &safeguarding_draft(&form),
        form.get("raised_to"),
    )
    .await?
    {
        Ok(_) => Ok(see_other(&format!("/people/{}?done=safeguarding", p.id))),
        Err(e) => Ok(safeguarding_form(&auth, &p, &ep, &sups, &form, &e).respond()),
    }
}

/// Raises a concern on an open episode to one of the PCN's GP supervisors (`raised_to`, a
/// user id as text, from `sups`), checked as the page checks it. The pages and the API both
/// raise concerns here.
pub(crate) async fn raise(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    sups: &[(i64, String)],
    draft: &SafeguardingDraft,
    raised_to: &str,
) -> Result<Result<EpisodeRecord, FieldErrors>, AppError> {
    let to = raised_to
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| sups.iter().any(|s| s.0 == *id));
    let s = match Safeguarding::new(draft, to, today()) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let name = sups
        .iter()
        .find(|x| x.0 == s.raised_to)
        .map_or(String::new(), |x| x.1.clone());
    let saved = add(
        state,
        auth,
        ep,
        NewRecord {
            kind: RecordKind::Safeguarding,
            status: "open".into(),
            body: json(&s)?,
            assigned_to: Some(s.raised_to),
            due_at: None,
            at: storage::now(),
            summary: format!(
                "Safeguarding concern ({}, {}) raised to {name}",
                s.urgency()
                    .label()
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_lowercase(),
                s.kinds_label().to_lowercase()
            ),
        },
    )
    .await?;
    Ok(Ok(saved))
}

/// An open concern the user may see, with whose it is and who raised it.
pub(crate) struct Visible {
    pub record: EpisodeRecord,
    pub concern: Safeguarding,
    pub name: String,
    pub by: String,
}

/// The open concerns the user may see: the supervisor's own, a link worker's (raised by
/// them or about their own people), or every one for a manager. Listing them is audited
/// (`what`) with each person shown.
pub(crate) async fn open_concerns(
    state: &AppState,
    auth: &Auth,
    what: &str,
) -> Result<Vec<Visible>, AppError> {
    let role = auth.user.role;
    auth.require(state, role.can_view_safeguarding(), what)
        .await?;
    let pcn = auth.pcn()?;
    let records = state
        .store
        .records_by_status(
            pcn,
            RecordKind::Safeguarding,
            "open",
            (role == Role::Supervisor).then_some(auth.user.id),
        )
        .await?;
    let users = state.store.list_users(Some(pcn)).await?;
    let now = Utc::now();
    let mut open = vec![];
    for r in records {
        let Some(s) = r.parse::<Safeguarding>() else {
            continue;
        };
        // A link worker sees the concerns they raised and those about their own people.
        if role == Role::LinkWorker
            && r.created_by != Some(auth.user.id)
            && !state
                .store
                .person_is_theirs(pcn, r.person_id, auth.user.id, now)
                .await?
        {
            continue;
        }
        let name = state
            .store
            .get_person(pcn, r.person_id)
            .await?
            .map(|p| p.details.full_name())
            .unwrap_or_default();
        let by = r
            .created_by
            .and_then(|u| users.iter().find(|x| x.id == u))
            .map_or_else(|| "Not recorded".to_string(), |u| u.name.clone());
        open.push(Visible {
            record: r,
            concern: s,
            name,
            by,
        });
    }
    // Overdue first, then the most urgent.
    open.sort_by_key(|v| {
        (
            now <= v.concern.due(v.record.created_at),
            v.concern.urgency(),
        )
    });
    let shown: Vec<(i64, i64)> = open.iter().map(|v| (pcn, v.record.person_id)).collect();
    auth.audit_shown(state, what, &shown, &format!("{} open", open.len()))
        .await?;
    Ok(open)
}

/// An open concern as the list shows it.
pub(super) struct OpenConcern {
    id: i64,
    person_id: i64,
    name: String,
    raised: String,
    /// "Open 3 days"; and whether past the time its urgency allows.
    open_for: String,
    overdue: bool,
    about: String,
    kinds: String,
    urgency: String,
    concern: String,
    local_authority: String,
    by: String,
}

#[derive(Template)]
#[template(path = "safeguarding.html")]
pub(super) struct SafeguardingPage {
    ctx: PageCtx,
    open: Vec<OpenConcern>,
    mine_only: bool,
}

/// Open safeguarding concerns: the supervisor's own, or every one for a manager.
pub async fn safeguarding_list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, AppError> {
    let mine_only = auth.user.role == Role::Supervisor;
    let now = Utc::now();
    let open = open_concerns(&state, &auth, "safeguarding.list")
        .await?
        .into_iter()
        .map(|v| {
            let (r, s) = (v.record, v.concern);
            let days = (now - r.created_at).num_days();
            OpenConcern {
                id: r.id,
                person_id: r.person_id,
                name: v.name,
                raised: views::datetime(r.created_at),
                open_for: match days {
                    0 => format!("Open {} hours", (now - r.created_at).num_hours()),
                    1 => "Open 1 day".into(),
                    n => format!("Open {n} days"),
                },
                overdue: now > s.due(r.created_at),
                about: s
                    .about
                    .map_or("Not recorded".into(), |a| a.label().to_string()),
                kinds: s.kinds_label(),
                urgency: s.urgency().label().into(),
                local_authority: s.local_authority_label(),
                concern: s.concern,
                by: v.by,
            }
        })
        .collect();
    Ok(views::ok(&SafeguardingPage {
        ctx: PageCtx::new(Some(&auth), "Safeguarding concerns", "/safeguarding"),
        open,
        mine_only,
    }))
}

pub(crate) async fn concern(
    state: &AppState,
    auth: &Auth,
    id: i64,
) -> Result<(EpisodeRecord, Safeguarding, Person), AppError> {
    auth.require(
        state,
        auth.user.role.can_close_safeguarding(),
        "safeguarding.close",
    )
    .await?;
    let pcn = auth.pcn()?;
    let Some(r) = state.store.get_record(pcn, id).await? else {
        return Err(auth.not_found(state, "record", id).await);
    };
    // Open only to the supervisor it was raised to: another supervisor of the PCN gets the
    // same answer as for no concern at all (docs/security.md, "Bindings inside a PCN").
    let Some(s) = r
        .parse::<Safeguarding>()
        .filter(|_| r.kind == RecordKind::Safeguarding)
        .filter(|s| s.raised_to == auth.user.id || r.assigned_to == Some(auth.user.id))
    else {
        return Err(auth.not_found(state, "safeguarding", id).await);
    };
    let Some(p) = state.store.get_person(pcn, r.person_id).await? else {
        return Err(AppError::NotFound);
    };
    Ok((r, s, p))
}

pub(super) fn close_form(
    auth: &Auth,
    r: &EpisodeRecord,
    s: &Safeguarding,
    p: &Person,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Close a safeguarding concern",
        format!("/safeguarding/{}", r.id),
    );
    page.cancel = "/safeguarding".into();
    page.version = Some(r.version);
    page.intro = vec![
        format!(
            "Raised {} · {} · {} · {}",
            views::datetime(r.created_at),
            s.about.map_or("Not recorded", |a| a.label()),
            s.kinds_label(),
            s.urgency().label()
        ),
        s.concern.clone(),
    ];
    if !s.action_so_far.is_empty() {
        page.intro.push(format!("Done so far: {}", s.action_so_far));
    }
    page.intro
        .push(format!("Local authority: {}", s.local_authority_label()));
    // The local authority answer as raised, unless the form came back with another.
    let mut la = f.clone();
    if la.get("la_contacted").is_empty() {
        if let Some(c) = s.la_contacted {
            la.set("la_contacted", if c { "yes" } else { "no" });
        }
        if let Some(d) = s.la_contacted_on {
            la.set("la_contacted_on", &d.to_string());
        }
    }
    let mut fields = vec![Field::new("textarea", "action", "Action taken")
        .hint("Who was told, what was decided, and any follow-up")
        .value(f.get("action"))
        .required()
        .errors(e)];
    fields.extend(la_fields(&la, e));
    page.sections = vec![Section {
        folded: false,
        legend: "What was done".into(),
        fields,
    }];
    page.submit = "Record action and close".into();
    page.errors(e)
}

pub async fn safeguarding_show(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (r, s, p) = concern(&state, &auth, id).await?;
    auth.audit_read(
        &state,
        "safeguarding.read",
        Some(p.id),
        format!("concern {id}"),
    )
    .await?;
    if r.status != "open" {
        return Err(AppError::Conflict("This concern is already closed".into()));
    }
    Ok(close_form(
        &auth,
        &r,
        &s,
        &p,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn safeguarding_close(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (r, s, p) = concern(&state, &auth, id).await?;
    let version = form.i64("version")?;
    match close_concern(
        &state,
        &auth,
        &r,
        &s,
        version,
        form.get("action"),
        form.get("la_contacted"),
        form.get("la_contacted_on"),
    )
    .await?
    {
        Ok(_) => Ok(see_other("/safeguarding?done=safeguarding-closed")),
        Err(e) => {
            // The refusal shows the concern again: a read like any other.
            auth.audit_read(
                &state,
                "safeguarding.read",
                Some(p.id),
                format!("concern {id}, shown again to correct"),
            )
            .await?;
            Ok(close_form(&auth, &r, &s, &p, &form, &e).respond())
        }
    }
}

/// Records the supervisor's action and closes the concern, if the version is the one they
/// read (409 otherwise) and it is still open. The pages and the API both close here.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn close_concern(
    state: &AppState,
    auth: &Auth,
    r: &EpisodeRecord,
    s: &Safeguarding,
    version: i64,
    action: &str,
    la_contacted: &str,
    la_contacted_on: &str,
) -> Result<Result<EpisodeRecord, FieldErrors>, AppError> {
    if r.status != "open" {
        return Err(AppError::Conflict("This concern is already closed".into()));
    }
    // The version sent must be the one just read here, whose body the close is built on.
    if version != r.version {
        return Err(AppError::Stale);
    }
    let closed = match s.close(action, la_contacted, la_contacted_on, today()) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let saved = state
        .store
        .update_record(
            auth.pcn()?,
            r.id,
            version,
            "closed",
            &json(&closed)?,
            "Safeguarding concern closed by the GP supervisor, with the action taken",
            &auth.actor(),
        )
        .await?;
    Ok(Ok(saved))
}
