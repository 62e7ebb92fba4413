//! The "what matters" assessment: its form, new and save.

use super::*;

/// The form's sections; needs flagged at referral come first, in their own section, each
/// saying so (as a hint: nothing is typed into the note for the link worker).
pub(super) fn assessment_sections(
    d: &AssessmentDraft,
    e: &FieldErrors,
    flagged: &[Need],
) -> Vec<Section> {
    let mut needs = vec![];
    let mut referred = vec![];
    for (code, score, note) in &d.needs {
        let need = Need::from_code(code);
        let at_referral = need.is_some_and(|n| flagged.contains(&n));
        let label = need.map_or(code.as_str(), |n| n.label());
        let mut opts = vec![Opt {
            value: String::new(),
            label: "Not assessed".into(),
            selected: score.is_empty(),
        }];
        opts.extend(NEED_SCORE.map(|s| Opt {
            value: s.to_string(),
            label: need_score_label(s).into(),
            selected: score == &s.to_string(),
        }));
        let into = if at_referral {
            &mut referred
        } else {
            &mut needs
        };
        let score_field = Field::new(
            "select",
            format!("score_{code}"),
            &format!("{label}: score"),
        )
        .options(opts);
        into.push(
            if at_referral {
                score_field.hint("Flagged at referral")
            } else {
                score_field
            }
            .errors(e),
        );
        into.push(
            Field::new("text", format!("note_{code}"), &format!("{label}: note"))
                .value(note)
                .errors(e),
        );
    }
    vec![
        Section {
            folded: false,
            legend: "What matters to the person".into(),
            fields: vec![
                Field::new("date", "assessed_on", "Date of the conversation")
                    .value(&d.assessed_on)
                    .required()
                    .errors(e),
                Field::new("textarea", "what_matters", "What matters to them")
                    .hint("In their own words")
                    .value(&d.what_matters)
                    .required()
                    .errors(e),
                Field::new("textarea", "strengths", "Strengths")
                    .hint("What they are good at, who and what helps them")
                    .value(&d.strengths)
                    .errors(e),
                Field::new("checkboxes", "interests", "Interests")
                    .hint("Used to find activities they would enjoy")
                    .codes::<Category>(&d.interests, None)
                    .errors(e),
                Field::new("textarea", "interest_words", "Interests in their own words")
                    .hint("For example: fixing bikes, quizzes, birdwatching. Matching reads these too")
                    .value(&d.interest_words)
                    .errors(e),
            ],
        },
        Section {
            folded: false,
            legend: "What suits them".into(),
            fields: vec![
                Field::new("checkbox", "free_only", "Free activities only")
                    .value(if d.free_only { "yes" } else { "" })
                    .errors(e),
                Field::new("checkbox", "step_free", "Needs step-free access")
                    .value(if d.step_free { "yes" } else { "" })
                    .errors(e),
                Field::new("checkboxes", "days", "Days they can make")
                    .hint("Leave all unticked for any day")
                    .codes::<Weekday>(&d.days, None)
                    .errors(e),
                Field::new("checkboxes", "times", "Times of day they can make")
                    .hint("Leave all unticked for any time")
                    .codes::<TimeOfDay>(&d.times, None)
                    .errors(e),
                Field::new("text", "max_miles", "How far they can travel (miles)").decimal()
                    .hint("For example 3. Leave blank for the match page's 6 miles")
                    .value(&d.max_miles)
                    .errors(e),
            ],
        },
        Section {
            folded: false,
            legend: "Needs flagged at referral".into(),
            fields: referred,
        },
        Section {
            // With needs flagged at referral, the rest are folded: opened when they apply.
            folded: !flagged.is_empty(),
            legend: if flagged.is_empty() { "Needs".into() } else { "Other needs".into() },
            fields: std::iter::once(
                Field::new("text", "needs", "How to score")
                    .hint("Score each need that applies from 1 (managing well) to 5 (needs a lot of help). Leave the rest as not assessed.")
                    .errors(e),
            )
            .filter(|f| f.error.is_some())
            .chain(needs)
            .collect(),
        },
    ]
    .into_iter()
    .filter(|s| !s.fields.is_empty())
    .collect()
}

pub(super) fn assessment_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    d: &AssessmentDraft,
    e: &FieldErrors,
    again: bool,
    flagged: &[Need],
) -> RecordForm {
    let heading = if again {
        "Review what matters and needs"
    } else {
        "What matters and needs"
    };
    let mut f = RecordForm::new(auth, p, heading, format!("/episodes/{}/assessment", ep.id));
    f.intro = vec![if again {
        "Start from the last assessment and change what is different now. The earlier assessment is kept.".into()
    } else {
        "Record the \"what matters to me\" conversation and score each need that applies.".into()
    }];
    f.sections = assessment_sections(d, e, flagged);
    f.submit = "Save assessment".into();
    f.errors(e)
}

pub async fn assessment_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "assessment.create").await?;
    open_only(&ep)?;
    let last = latest(&state, &auth, &ep, RecordKind::Assessment)
        .await?
        .and_then(|r| r.parse::<Assessment>());
    let d = match &last {
        Some(a) => AssessmentDraft::from_assessment(a, today()),
        None => AssessmentDraft {
            assessed_on: today().to_string(),
            needs: Need::ALL
                .iter()
                .map(|n| (n.code().to_string(), String::new(), String::new()))
                .collect(),
            ..Default::default()
        },
    };
    let flagged = flagged_at_referral(&state, &auth, &ep).await?;
    Ok(assessment_form(
        &auth,
        &p,
        &ep,
        &d,
        &FieldErrors::default(),
        last.is_some(),
        &flagged,
    )
    .respond())
}

/// The needs the referral flagged.
async fn flagged_at_referral(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
) -> Result<Vec<Need>, AppError> {
    Ok(state
        .store
        .get_referral(auth.pcn()?, ep.referral_id)
        .await?
        .map(|r| r.needs)
        .unwrap_or_default())
}

pub(crate) fn assessment_draft(f: &FormData) -> AssessmentDraft {
    AssessmentDraft {
        assessed_on: f.get("assessed_on").into(),
        what_matters: f.get("what_matters").into(),
        strengths: f.get("strengths").into(),
        interests: f.all("interests"),
        interest_words: f.get("interest_words").into(),
        free_only: f.checked("free_only"),
        step_free: f.checked("step_free"),
        days: f.all("days"),
        times: f.all("times"),
        max_miles: f.get("max_miles").into(),
        needs: Need::ALL
            .iter()
            .map(|n| {
                (
                    n.code().to_string(),
                    f.get(&format!("score_{}", n.code())).to_string(),
                    f.get(&format!("note_{}", n.code())).to_string(),
                )
            })
            .collect(),
    }
}

/// An assessment as the record kept (`again`: a reassessment).
pub(crate) fn assessment_record(a: &Assessment, again: bool) -> Result<NewRecord, AppError> {
    let scored: Vec<String> = a
        .needs
        .iter()
        .map(|n| format!("{} {}", n.need.label().to_lowercase(), n.score))
        .collect();
    let summary = format!(
        "{}: {}",
        if again {
            "Needs reassessed"
        } else {
            "What matters and needs assessed"
        },
        scored.join(", ")
    );
    Ok(NewRecord {
        kind: RecordKind::Assessment,
        status: String::new(),
        body: json(a)?,
        assigned_to: None,
        due_at: None,
        at: storage::now(),
        summary,
    })
}

pub async fn assessment_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "assessment.create").await?;
    open_only(&ep)?;
    let d = assessment_draft(&form);
    let again = latest(&state, &auth, &ep, RecordKind::Assessment)
        .await?
        .is_some();
    let a = match d.validate(today()) {
        Ok(a) => a,
        Err(e) => {
            let flagged = flagged_at_referral(&state, &auth, &ep).await?;
            return Ok(assessment_form(&auth, &p, &ep, &d, &e, again, &flagged).respond());
        }
    };
    add(&state, &auth, &ep, assessment_record(&a, again)?).await?;
    Ok(see_other(&format!("/people/{}?done=assessment", p.id)))
}
