//! Discharge from the service: form, new and save.

use super::*;

pub(super) fn discharge_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    version: i64,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Discharge",
        format!("/episodes/{}/discharge", ep.id),
    );
    page.version = Some(version);
    page.intro = vec!["Record a discharge outcome measure first if the person is willing. The episode can be reopened for 14 days if this is a mistake; after that a new referral opens a new episode, and this one stays in their history.".into()];
    page.sections = vec![Section {
        folded: false,
        legend: "Ending this episode".into(),
        fields: vec![
            Field::new("radios", "reason", "Reason")
                .codes::<DischargeReason>(&[f.get("reason").to_string()], None)
                .errors(e),
            Field::new("textarea", "summary", "Closing summary")
                .hint("What changed for the person, what they are connected to now, and any next steps")
                .value(f.get("summary"))
                .required()
                .errors(e),
        ],
    }];
    page.submit = "Discharge".into();
    page.warning = true;
    page.errors(e)
}

pub async fn discharge_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "episode.discharge").await?;
    open_only(&ep)?;
    Ok(discharge_form(
        &auth,
        &p,
        &ep,
        ep.version,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn discharge_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "episode.discharge").await?;
    let version = form.i64("version")?;
    let d = match DischargeSummary::parse(form.get("reason"), form.get("summary")) {
        Ok(d) => d,
        Err(e) => return Ok(discharge_form(&auth, &p, &ep, version, &form, &e).respond()),
    };
    state
        .store
        .discharge(
            auth.pcn()?,
            ep.id,
            version,
            d.reason,
            &json(&d)?,
            storage::now(),
            &auth.actor(),
        )
        .await?;
    Ok(see_other(&format!("/people/{}?done=discharged", p.id)))
}
