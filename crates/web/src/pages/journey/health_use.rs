//! Health service use over a period: form, new and save.

use super::*;

pub(super) fn health_use_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Record health service use",
        format!("/episodes/{}/health-use", ep.id),
    );
    page.intro = vec!["Optional. From the GP record or the person: used to show the change social prescribing made.".into()];
    let period = if f.get("period").is_empty() {
        if ep.state.is_closed() {
            "after"
        } else {
            "before"
        }
    } else {
        f.get("period")
    };
    page.sections = vec![Section {
        folded: false,
        legend: "Counts".into(),
        fields: vec![
            Field::new("radios", "period", "Which 12 months")
                .codes::<HealthPeriod>(&[period.to_string()], None)
                .errors(e),
            Field::new("text", "gp_appointments", "GP appointments")
                .numeric()
                .value(f.get("gp_appointments"))
                .width("10")
                .required()
                .errors(e),
            Field::new("text", "ae_attendances", "A&E attendances")
                .numeric()
                .value(f.get("ae_attendances"))
                .width("10")
                .required()
                .errors(e),
        ],
    }];
    page.submit = "Save counts".into();
    page.errors(e)
}

pub async fn health_use_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "health_use.create").await?;
    Ok(health_use_form(
        &auth,
        &p,
        &ep,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn health_use_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "health_use.create").await?;
    let h = match HealthUse::parse(
        form.get("period"),
        form.get("gp_appointments"),
        form.get("ae_attendances"),
    ) {
        Ok(h) => h,
        Err(e) => return Ok(health_use_form(&auth, &p, &ep, &form, &e).respond()),
    };
    add(
        &state,
        &auth,
        &ep,
        NewRecord {
            kind: RecordKind::HealthUse,
            status: String::new(),
            summary: format!(
                "Health service use, {}: {} GP appointments, {} A&E attendances",
                h.period.label().to_lowercase(),
                h.gp_appointments,
                h.ae_attendances
            ),
            body: json(&h)?,
            assigned_to: None,
            due_at: None,
            at: storage::now(),
        },
    )
    .await?;
    Ok(see_other(&format!("/people/{}?done=health-use", p.id)))
}
