//! Employment records: the form, new, create, edit and update.

use super::*;

pub(super) fn employment_sections(
    d: &EmploymentDraft,
    workers: Option<(&[storage::User], &str)>,
    errors: &FieldErrors,
) -> Vec<Section> {
    let mut who = Vec::new();
    if let Some((ws, chosen)) = workers {
        let mut opts = vec![Opt {
            value: String::new(),
            label: "Choose a link worker".into(),
            selected: chosen.is_empty(),
        }];
        opts.extend(ws.iter().filter(|u| !u.disabled).map(|u| Opt {
            value: u.id.to_string(),
            label: u.name.clone(),
            selected: chosen == u.id.to_string(),
        }));
        who.push(
            Field::new("select", "user_id", "Link worker")
                .options(opts)
                .required()
                .errors(errors),
        );
    }
    who.push(
        Field::new("radios", "employer_kind", "Who employs them")
            .codes::<EmployerKind>(std::slice::from_ref(&d.employer_kind), None)
            .required()
            .errors(errors),
    );
    who.push(
        Field::new("text", "employer_name", "Employer's name")
            .value(&d.employer_name)
            .required()
            .errors(errors),
    );
    who.push(
        Field::new("text", "afc_band", "Agenda for Change band")
            .hint("Link workers are usually band 5.")
            .value(&d.afc_band)
            .width("10")
            .required()
            .errors(errors),
    );
    let pay = vec![
        Field::new("text", "wte", "Whole-time equivalent (WTE)").decimal()
            .hint("1 for full time; 0.6 for three days a week.")
            .value(&d.wte)
            .width("10")
            .required()
            .errors(errors),
        Field::new("text", "annual_salary", "Actual annual salary (£)").decimal()
            .hint("What is paid for these hours, not the full-time rate.")
            .value(&d.annual_salary)
            .width("10")
            .required()
            .errors(errors),
        Field::new("text", "annual_oncosts", "Employer on-costs a year (£)").decimal()
            .hint("Employer's National Insurance and pension contributions.")
            .value(&d.annual_oncosts)
            .width("10")
            .errors(errors),
        Field::new("text", "subcontract_monthly", "Sub-contracting contribution a month (£)")
            .hint("Only for a sub-contracted provider: up to £200 a month per WTE towards its extra costs, within the maximum.")
            .value(&d.subcontract_monthly)
            .width("10")
            .errors(errors),
    ];
    let dates = vec![
        Field::new("date", "start_date", "Start date")
            .value(&d.start_date)
            .required()
            .errors(errors),
        Field::new("date", "end_date", "End date")
            .hint("Leave blank while they are employed.")
            .value(&d.end_date)
            .errors(errors),
    ];
    vec![
        Section {
            folded: false,
            legend: "Employment".into(),
            fields: who,
        },
        Section {
            folded: false,
            legend: "Hours and pay".into(),
            fields: pay,
        },
        Section {
            folded: false,
            legend: "Dates".into(),
            fields: dates,
        },
    ]
}

pub(super) fn employment_form(
    auth: &Auth,
    heading: &str,
    action: String,
    version: Option<i64>,
    sections: Vec<Section>,
    errors: &FieldErrors,
) -> RecordForm {
    RecordForm {
        ctx: PageCtx::new(Some(auth), heading, "/workforce"),
        caption: "Workforce".into(),
        heading: heading.into(),
        intro: vec![
            "ARRS reimburses actual salary plus employer on-costs, up to the financial year's maximum for the WTE.".into(),
        ],
        action,
        cancel: "/workforce".into(),
        version,
        hidden: Vec::new(),
        sections,
        errors: error_items(errors),
        notice: Some("Salaries are confidential: only PCN managers see this page.".into()),
        submit: "Save employment".into(),
        warning: false,
    }
}

pub(super) fn draft(form: &crate::form::FormData) -> EmploymentDraft {
    EmploymentDraft {
        employer_kind: form.get("employer_kind").into(),
        employer_name: form.get("employer_name").into(),
        wte: form.get("wte").into(),
        annual_salary: form.get("annual_salary").into(),
        annual_oncosts: form.get("annual_oncosts").into(),
        subcontract_monthly: form.get("subcontract_monthly").into(),
        afc_band: form.get("afc_band").into(),
        start_date: form.get("start_date").into(),
        end_date: form.get("end_date").into(),
    }
}

pub(super) fn money(p: i64) -> String {
    let s = format!("{}.{:02}", p / 100, p % 100);
    s.strip_suffix(".00").map(str::to_string).unwrap_or(s)
}

pub(super) fn draft_of(e: &domain::Employment) -> EmploymentDraft {
    EmploymentDraft {
        employer_kind: e.employer_kind.code().into(),
        employer_name: e.employer_name.clone(),
        wte: format_wte(e.wte_milli),
        annual_salary: money(e.annual_salary_pence),
        annual_oncosts: money(e.annual_oncosts_pence),
        subcontract_monthly: if e.subcontract_monthly_pence > 0 {
            money(e.subcontract_monthly_pence)
        } else {
            String::new()
        },
        afc_band: e.afc_band.clone(),
        start_date: e.start_date.to_string(),
        end_date: e.end_date.map(|d| d.to_string()).unwrap_or_default(),
    }
}

pub async fn new_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "workforce.new").await?;
    let workers = link_workers(&state, pcn).await?;
    let d = EmploymentDraft {
        employer_kind: "pcn".into(),
        afc_band: "5".into(),
        wte: "1".into(),
        ..Default::default()
    };
    let errors = FieldErrors::default();
    Ok(views::ok(&employment_form(
        &auth,
        "Add an employment record",
        "/workforce".into(),
        None,
        employment_sections(&d, Some((&workers, "")), &errors),
        &errors,
    )))
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let pcn = require(&state, &auth, "workforce.create").await?;
    let workers = link_workers(&state, pcn).await?;
    let d = draft(&form);
    let chosen = form.get("user_id").trim().to_string();
    let user = chosen
        .parse::<i64>()
        .ok()
        .filter(|id| workers.iter().any(|u| u.id == *id && !u.disabled));
    let mut errors = match d.validate() {
        Ok(e) if user.is_some() => {
            let user = user.unwrap_or_default();
            match state
                .store
                .create_employment(pcn, user, &e, &auth.actor())
                .await
            {
                Ok(_) => return Ok(see_other("/workforce?done=employment")),
                Err(StorageError::Rule(m)) => {
                    let mut f = FieldErrors::default();
                    f.add("user_id", m);
                    f
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(_) => FieldErrors::default(),
        Err(e) => e,
    };
    if user.is_none() {
        errors.0.insert(
            0,
            domain::FieldError {
                field: "user_id".into(),
                message: "Choose the link worker".into(),
            },
        );
    }
    Ok(views::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &employment_form(
            &auth,
            "Add an employment record",
            "/workforce".into(),
            None,
            employment_sections(&d, Some((&workers, &chosen)), &errors),
            &errors,
        ),
    ))
}

pub(super) async fn employment_or_404(
    state: &AppState,
    auth: &Auth,
    pcn: i64,
    id: i64,
) -> Result<EmploymentRecord, AppError> {
    match state.store.get_employment(pcn, id).await? {
        Some(r) => Ok(r),
        None => Err(auth.not_found(state, "employment", id).await),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "workforce.edit").await?;
    let rec = employment_or_404(&state, &auth, pcn, id).await?;
    let errors = FieldErrors::default();
    let mut page = employment_form(
        &auth,
        "Change an employment record",
        format!("/workforce/{id}"),
        Some(rec.version),
        employment_sections(&draft_of(&rec.employment), None, &errors),
        &errors,
    );
    page.caption = rec.user_name;
    Ok(views::ok(&page))
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let pcn = require(&state, &auth, "workforce.update").await?;
    let rec = employment_or_404(&state, &auth, pcn, id).await?;
    let d = draft(&form);
    let version = form.i64("version")?;
    let errors = match d.validate() {
        Ok(e) => match state
            .store
            .update_employment(pcn, id, version, &e, &auth.actor())
            .await
        {
            Ok(_) => return Ok(see_other("/workforce?done=employment")),
            Err(StorageError::Stale) => {
                let mut f = FieldErrors::default();
                f.add(
                    "employer_name",
                    "Someone else changed this record while you were editing. Your changes are below: check them and save again.",
                );
                f
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    let current = state
        .store
        .get_employment(pcn, id)
        .await?
        .map_or(rec.version, |r| r.version);
    let mut page = employment_form(
        &auth,
        "Change an employment record",
        format!("/workforce/{id}"),
        Some(current),
        employment_sections(&d, None, &errors),
        &errors,
    );
    page.caption = rec.user_name;
    Ok(views::render(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
