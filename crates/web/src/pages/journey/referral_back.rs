//! Referral back to a clinician: form, new and save.

use super::*;

pub(super) fn referral_back_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        "Refer back to a clinician",
        format!("/episodes/{}/referral-back", ep.id),
    );
    page.intro = vec!["When a need is beyond social prescribing, refer the person back to a clinician in the PCN.".into()];
    page.sections = vec![Section {
        folded: false,
        legend: "The referral".into(),
        fields: vec![
            Field::new("text", "clinician", "To whom")
                .hint("For example, Dr Shah (GP) or the practice mental health practitioner")
                .value(f.get("clinician"))
                .required()
                .errors(e),
            Field::new("textarea", "reason", "Reason")
                .value(f.get("reason"))
                .required()
                .errors(e),
        ],
    }];
    page.submit = "Refer back".into();
    page.errors(e)
}

pub async fn referral_back_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "referral_back.create").await?;
    open_only(&ep)?;
    Ok(referral_back_form(
        &auth,
        &p,
        &ep,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

/// A referral back as the record kept.
pub(crate) fn referral_back_record(rb: &ReferralBack) -> Result<NewRecord, AppError> {
    Ok(NewRecord {
        kind: RecordKind::ReferralBack,
        status: String::new(),
        summary: format!("Referred back to {}", rb.clinician),
        body: json(rb)?,
        assigned_to: None,
        due_at: None,
        at: storage::now(),
    })
}

pub async fn referral_back_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "referral_back.create").await?;
    open_only(&ep)?;
    let rb = match ReferralBack::new(form.get("clinician"), form.get("reason")) {
        Ok(rb) => rb,
        Err(e) => return Ok(referral_back_form(&auth, &p, &ep, &form, &e).respond()),
    };
    add(&state, &auth, &ep, referral_back_record(&rb)?).await?;
    Ok(see_other(&format!("/people/{}?done=referral-back", p.id)))
}
