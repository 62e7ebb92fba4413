//! The care and support plan: its form, new, save and the print view.

use super::*;

pub(super) fn plan_sections(d: &PlanDraft, e: &FieldErrors) -> Vec<Section> {
    let mut goals = vec![
        Field::new("textarea", "what_matters", "What matters to them")
            .value(&d.what_matters)
            .required()
            .errors(e),
    ];
    for (i, g) in d.goals.iter().enumerate().take(PLAN_GOALS) {
        let n = i + 1;
        let mut f = Field::new("text", format!("goal_{n}"), &format!("Goal {n}"))
            .value(g)
            .errors(e);
        if n == 1 {
            f = f
                .hint("In the person's own words, for example \"I want to get out of the house twice a week\"")
                .required();
        }
        goals.push(f);
    }
    let mut sections = vec![Section {
        folded: false,
        legend: "Goals".into(),
        fields: goals,
    }];
    for (i, a) in d.actions.iter().enumerate().take(PLAN_ACTIONS) {
        let n = i + 1;
        sections.push(Section {
            folded: false,
            legend: format!("Action {n}"),
            fields: vec![
                Field::new("text", format!("action_what_{n}"), "What will be done")
                    .value(&a.what)
                    .errors(e),
                Field::new("select", format!("action_owner_{n}"), "Who will do it")
                    .codes::<ActionOwner>(std::slice::from_ref(&a.owner), Some("Choose"))
                    .errors(e),
                Field::new("text", format!("action_owner_name_{n}"), "Their name")
                    .hint("If someone else")
                    .value(&a.owner_name)
                    .width("20")
                    .errors(e),
                Field::new("date", format!("action_due_{n}"), "By when")
                    .value(&a.due)
                    .errors(e),
            ],
        });
    }
    sections.push(Section {
        folded: false,
        legend: "Support and review".into(),
        fields: vec![
            Field::new("textarea", "support_offered", "Support offered")
                .hint("What the link worker and others will do to help")
                .value(&d.support_offered)
                .errors(e),
            Field::new("date", "review_on", "Review date")
                .value(&d.review_on)
                .required()
                .errors(e),
        ],
    });
    // DES B3.3: explore and support access to a personal health budget where appropriate.
    let status = if d.phb_status.is_empty() {
        PhbStatus::NotDiscussed.code().to_string()
    } else {
        d.phb_status.clone()
    };
    sections.push(Section {
        folded: false,
        legend: "Personal health budget".into(),
        fields: vec![
            Field::new("radios", "phb_status", "Where it stands")
                .hint("People with NHS Continuing Healthcare, children's continuing care, section 117 aftercare or a wheelchair need have a right to one; others at the ICB's discretion")
                .codes::<PhbStatus>(std::slice::from_ref(&status), None)
                .errors(e),
            Field::new("select", "phb_basis", "Why they may have one")
                .codes::<PhbBasis>(std::slice::from_ref(&d.phb_basis), Some("Not known"))
                .errors(e),
            Field::new("date", "phb_referred_on", "Date referred to the personal health budget team")
                .needed_when("needed once referred")
                .value(&d.phb_referred_on)
                .errors(e),
            Field::new("textarea", "phb_notes", "Notes on the personal health budget")
                .value(&d.phb_notes)
                .errors(e),
        ],
    });
    sections
}

/// The plan form. `based_on` is the id of the plan version it was opened from (0 for
/// none), so a save over a version someone else saved meanwhile is caught.
pub(super) fn plan_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    d: &PlanDraft,
    e: &FieldErrors,
    based_on: Option<i64>,
) -> RecordForm {
    let again = based_on.is_some();
    let heading = if again {
        "Review the care and support plan"
    } else {
        "Agree a care and support plan"
    };
    let mut f = RecordForm::new(auth, p, heading, format!("/episodes/{}/plan", ep.id));
    f.intro = vec![if again {
        "Saving makes a new version of the plan; the earlier one is kept.".into()
    } else {
        "Write the plan together with the person. Leave unused goals and actions blank.".into()
    }];
    f.sections = plan_sections(d, e);
    f.hidden
        .push(("based_on".into(), based_on.unwrap_or(0).to_string()));
    f.submit = "Save plan".into();
    f.errors(e)
}

pub(crate) fn plan_draft(f: &FormData) -> PlanDraft {
    PlanDraft {
        what_matters: f.get("what_matters").into(),
        goals: (1..=PLAN_GOALS)
            .map(|n| f.get(&format!("goal_{n}")).to_string())
            .collect(),
        actions: (1..=PLAN_ACTIONS)
            .map(|n| ActionDraft {
                what: f.get(&format!("action_what_{n}")).into(),
                owner: f.get(&format!("action_owner_{n}")).into(),
                owner_name: f.get(&format!("action_owner_name_{n}")).into(),
                due: f.get(&format!("action_due_{n}")).into(),
            })
            .collect(),
        support_offered: f.get("support_offered").into(),
        review_on: f.get("review_on").into(),
        phb_status: f.get("phb_status").into(),
        phb_basis: f.get("phb_basis").into(),
        phb_referred_on: f.get("phb_referred_on").into(),
        phb_notes: f.get("phb_notes").into(),
    }
}

pub async fn plan_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "plan.create").await?;
    open_only(&ep)?;
    let record = latest(&state, &auth, &ep, RecordKind::Plan).await?;
    let based_on = record.as_ref().map(|r| r.id);
    let last = record.and_then(|r| r.parse::<CarePlan>());
    let d = match &last {
        Some(plan) => PlanDraft::from_plan(plan),
        None => {
            let words = latest(&state, &auth, &ep, RecordKind::Assessment)
                .await?
                .and_then(|r| r.parse::<Assessment>())
                .map(|a| a.what_matters)
                .unwrap_or_default();
            let mut d = PlanDraft {
                what_matters: words,
                review_on: (today() + chrono::Days::new(42)).to_string(),
                ..Default::default()
            };
            d.pad();
            d
        }
    };
    Ok(plan_form(&auth, &p, &ep, &d, &FieldErrors::default(), based_on).respond())
}

/// Checks a plan (its own rules, and actions due before today unless carried over unchanged
/// from the plan it reviews) and builds the record kept, or gives every problem at once.
/// `again`: a review of an earlier plan.
pub(crate) async fn plan_record(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    d: &PlanDraft,
    again: bool,
) -> Result<Result<NewRecord, FieldErrors>, AppError> {
    let validated = d.validate(today());
    // An action due before today is questioned like the review date: a new action cannot
    // be due in the past. One carried over unchanged from the plan being reviewed keeps
    // its date (it is history, and may be done).
    let before: Option<CarePlan> = latest(state, auth, ep, RecordKind::Plan)
        .await?
        .and_then(|r| r.parse::<CarePlan>());
    let previous: Vec<domain::journey::PlanAction> = before
        .as_ref()
        .map(|p| p.actions.clone())
        .unwrap_or_default();
    let mut e = FieldErrors::default();
    for (i, a) in d.actions.iter().enumerate().take(PLAN_ACTIONS) {
        let n = i + 1;
        let blank =
            a.what.trim().is_empty() && a.owner_name.trim().is_empty() && a.due.trim().is_empty();
        if blank {
            continue;
        }
        let Some(due) = domain::person::parse_date(&a.due) else {
            continue;
        };
        let carried = previous
            .iter()
            .any(|p| p.due == due && p.what.trim() == a.what.trim());
        if due < today() && !carried {
            e.add(
                format!("action_due_{n}"),
                format!("Action {n} is due before today: give today or a later date"),
            );
        }
    }
    // Every error at once: the form's own checks and the dates questioned here.
    let plan = match validated {
        Ok(plan) if e.is_empty() => plan,
        Ok(_) => return Ok(Err(e)),
        Err(mut all) => {
            for err in e.0 {
                if all.get(&err.field).is_none() {
                    all.0.push(err);
                }
            }
            return Ok(Err(all));
        }
    };
    let mut summary = format!(
        "{}: {} goal{}, {} action{}, review on {}",
        if again {
            "Plan reviewed"
        } else {
            "Plan agreed"
        },
        plan.goals.len(),
        if plan.goals.len() == 1 { "" } else { "s" },
        plan.actions.len(),
        if plan.actions.len() == 1 { "" } else { "s" },
        date(plan.review_on)
    );
    // The timeline shows each step of a personal health budget as it is recorded.
    let phb_before = before.map(|b| b.phb).unwrap_or_default();
    if plan.phb.status != phb_before.status || plan.phb.referred_on != phb_before.referred_on {
        summary.push_str(&format!(". Personal health budget: {}", plan.phb.summary()));
    }
    let due = domain::uk_time::at(
        plan.review_on,
        NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
    );
    Ok(Ok(NewRecord {
        kind: RecordKind::Plan,
        status: String::new(),
        body: json(&plan)?,
        assigned_to: None,
        due_at: Some(due),
        at: storage::now(),
        summary,
    }))
}

pub async fn plan_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "plan.create").await?;
    open_only(&ep)?;
    let mut d = plan_draft(&form);
    d.pad();
    let current = latest(&state, &auth, &ep, RecordKind::Plan)
        .await?
        .map(|r| r.id);
    let again = current.is_some();
    // Someone saved a version after this form was opened: save nothing, and give the
    // form back with everything typed, now based on the latest version.
    let stale = |current: Option<i64>| {
        let mut e = FieldErrors::default();
        e.add(
            "what_matters",
            "Someone else saved a new version of this plan after you opened it, so your plan was not saved. \
             Your changes are still in the form below: open the person's record in a new tab to see the latest plan, then save again.",
        );
        let mut page = plan_form(&auth, &p, &ep, &d, &e, current).respond();
        *page.status_mut() = StatusCode::CONFLICT;
        page
    };
    if form.get("based_on").trim() != current.unwrap_or(0).to_string() {
        return Ok(stale(current));
    }
    let rec = match plan_record(&state, &auth, &ep, &d, again).await? {
        Ok(rec) => rec,
        Err(e) => return Ok(plan_form(&auth, &p, &ep, &d, &e, current).respond()),
    };
    // The same check again where it cannot race: in the transaction that saves.
    match add_on_latest(&state, &auth, &ep, rec, current).await {
        Ok(_) => {}
        Err(AppError::Stale) => {
            let now = latest(&state, &auth, &ep, RecordKind::Plan)
                .await?
                .map(|r| r.id);
            return Ok(stale(now));
        }
        Err(e) => return Err(e),
    }
    Ok(see_other(&format!("/people/{}?done=plan", p.id)))
}

#[derive(Template)]
#[template(path = "plan_print.html")]
pub(super) struct PlanPrint {
    ctx: PageCtx,
    name: String,
    back: String,
    agreed_on: String,
    review_on: String,
    what_matters: String,
    goals: Vec<String>,
    /// (what, who, by when)
    actions: Vec<(String, String, String)>,
    support_offered: String,
    link_worker: String,
    version: usize,
    versions: usize,
}

#[derive(Deserialize, Default)]
pub struct PrintQuery {
    pub version: Option<usize>,
}

/// The plan in plain language and large type, for the person to take home.
pub async fn plan_print(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<PrintQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_read_people(), "plan.print")
        .await?;
    let pcn = auth.pcn()?;
    let Some(ep) = state.store.get_episode(pcn, id).await? else {
        return Err(auth.not_found(&state, "episode", id).await);
    };
    let Some(p) = state.store.get_person(pcn, ep.person_id).await? else {
        return Err(auth.not_found(&state, "person", ep.person_id).await);
    };
    auth.need_to_know(&state, pcn, p.id).await?;
    let plans: Vec<EpisodeRecord> = state
        .store
        .records_for_person(pcn, p.id)
        .await?
        .into_iter()
        .filter(|r| r.episode_id == ep.id && r.kind == RecordKind::Plan)
        .collect();
    let n = q.version.unwrap_or(plans.len());
    let Some(plan) = n
        .checked_sub(1)
        .and_then(|i| plans.get(i))
        .and_then(|r| r.parse::<CarePlan>())
    else {
        return Err(AppError::NotFound);
    };
    auth.audit_read(
        &state,
        "plan.print",
        Some(p.id),
        format!("episode {id} plan version {n}"),
    )
    .await?;
    let users = state.store.list_users(Some(pcn)).await?;
    let worker = ep
        .link_worker_id
        .and_then(|w| users.iter().find(|u| u.id == w))
        .map_or_else(|| "your link worker".into(), |u| u.name.clone());
    let page = PlanPrint {
        ctx: PageCtx::new(Some(&auth), "My care and support plan", "/people"),
        name: p.details.full_name(),
        back: format!("/people/{}", p.id),
        agreed_on: date(plan.agreed_on),
        review_on: date(plan.review_on),
        what_matters: plan.what_matters.clone(),
        goals: plan.goals.clone(),
        actions: plan
            .actions
            .iter()
            .map(|a| {
                let who = match a.owner {
                    ActionOwner::Person => "Me".to_string(),
                    ActionOwner::LinkWorker => worker.clone(),
                    ActionOwner::Other => a.owner_name.clone(),
                };
                (a.what.clone(), who, date(a.due))
            })
            .collect(),
        support_offered: plan.support_offered.clone(),
        link_worker: worker,
        version: n,
        versions: plans.len(),
    };
    Ok(views::ok(&page))
}
