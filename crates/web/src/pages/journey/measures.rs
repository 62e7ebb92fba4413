//! Outcome measures (wellbeing instruments): form, new and save.

use super::*;

#[derive(Deserialize, Default)]
pub struct InstrumentQuery {
    pub instrument: Option<String>,
}

pub(super) fn measure_sections(
    instrument: Instrument,
    point: &str,
    taken_on: &str,
    get: impl Fn(&str) -> String,
    e: &FieldErrors,
) -> Vec<Section> {
    let mut items = vec![];
    // (S)WEMWBS is a grid of tick boxes, one per statement: radios with the published
    // words. The 0–10 and 0–6 scales are a list with their end points named.
    let grid = matches!(instrument, Instrument::Wemwbs | Instrument::Swemwbs);
    for (code, question, lo, hi) in instrument.items() {
        let v = get(code);
        let answers = (*lo..=*hi).map(|s| Opt {
            value: s.to_string(),
            label: instrument.answer_label(code, s),
            selected: v == s.to_string(),
        });
        let field = if grid {
            Field::new("radios", *code, question).options(answers.collect())
        } else {
            let mut opts = vec![Opt {
                value: String::new(),
                label: "Choose".into(),
                selected: v.is_empty(),
            }];
            opts.extend(answers);
            Field::new("select", *code, question)
                .hint(&format!(
                    "{} to {}",
                    instrument.answer_label(code, *lo),
                    instrument.answer_label(code, *hi)
                ))
                .options(opts)
        };
        let field = if instrument.required(code) {
            field.required()
        } else {
            field
        };
        items.push(field.errors(e));
    }
    vec![
        Section {
            folded: false,
            legend: "When".into(),
            fields: vec![
                Field::new("radios", "point", "At which point")
                    .codes::<MeasurePoint>(&[point.to_string()], None)
                    .errors(e),
                Field::new("date", "taken_on", "Date completed")
                    .value(taken_on)
                    .required()
                    .errors(e),
            ],
        },
        Section {
            folded: false,
            legend: instrument.label().into(),
            fields: items,
        },
    ]
}

pub(super) fn measure_form(
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    instrument: Instrument,
    f: &FormData,
    e: &FieldErrors,
) -> RecordForm {
    let mut page = RecordForm::new(
        auth,
        p,
        &format!("Record {}", instrument.label()),
        format!("/episodes/{}/measures", ep.id),
    );
    page.hidden = vec![("instrument".into(), instrument.code().into())];
    page.intro = vec![
        "Ask each question as written and record the person's own answer.".into(),
        format!("Read out: \u{201c}{}\u{201d}", instrument.stem()),
    ];
    let point = if f.get("point").is_empty() {
        "baseline"
    } else {
        f.get("point")
    };
    let taken = if f.get("taken_on").is_empty() {
        today().to_string()
    } else {
        f.get("taken_on").to_string()
    };
    page.sections = measure_sections(instrument, point, &taken, |c| f.get(c).to_string(), e);
    if e.get("same_day").is_some() {
        page.sections.push(Section {
            folded: false,
            legend: "Taken the same day as the baseline".into(),
            fields: vec![Field::new(
                "checkbox",
                "same_day",
                "Yes, record it with this date: it was taken the same day",
            )
            .errors(e)],
        });
    }
    page.notice = instrument.notice().map(String::from);
    page.submit = "Save answers".into();
    page.errors(e)
}

pub(crate) fn instrument_of(s: Option<&str>) -> Result<Instrument, AppError> {
    s.and_then(Instrument::from_code).ok_or_else(|| {
        AppError::BadRequest(format!(
            "Choose an outcome measure: {}",
            Instrument::ALL
                .iter()
                .map(|i| i.code())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

pub async fn measure_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<InstrumentQuery>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "measure.create").await?;
    open_only(&ep)?;
    let instrument = instrument_of(q.instrument.as_deref())?;
    Ok(measure_form(
        &auth,
        &p,
        &ep,
        instrument,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

/// A measure as the record kept (its headline figures as the summary).
pub(crate) fn measure_record(m: &Measure) -> Result<NewRecord, AppError> {
    let figures: Vec<String> = m
        .headlines()
        .iter()
        .map(|(l, v, _)| format!("{l} {}", crate::charts::format_value(*v)))
        .collect();
    Ok(NewRecord {
        kind: RecordKind::Measure,
        status: String::new(),
        body: json(m)?,
        assigned_to: None,
        due_at: None,
        at: storage::now(),
        summary: format!(
            "{} at {}: {}",
            m.instrument.code().to_uppercase(),
            m.point.code(),
            figures.join(", ")
        ),
    })
}

/// A review or discharge measure dated the same day as the episode's baseline of the same
/// instrument: usually a slip of the date, so asked about once (`confirm` says how to go on).
pub(crate) async fn same_day_as_baseline(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    m: &Measure,
    confirm: &str,
) -> Result<Option<FieldErrors>, AppError> {
    if m.point == MeasurePoint::Baseline {
        return Ok(None);
    }
    let records = state
        .store
        .records_for_person(auth.pcn()?, ep.person_id)
        .await?;
    let same_day = records
        .iter()
        .filter(|r| r.episode_id == ep.id && r.kind == RecordKind::Measure)
        .filter_map(|r| r.parse::<Measure>())
        .any(|b| {
            b.instrument == m.instrument
                && b.point == MeasurePoint::Baseline
                && b.taken_on == m.taken_on
        });
    if !same_day {
        return Ok(None);
    }
    let mut e = FieldErrors::default();
    e.add(
        "same_day",
        format!(
            "The baseline {} was also taken on {}. A {} usually comes weeks later: check the date, or {confirm} to record it anyway",
            m.instrument.label(),
            date(m.taken_on),
            m.point.label().to_lowercase()
        ),
    );
    Ok(Some(e))
}

pub async fn measure_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "measure.create").await?;
    open_only(&ep)?;
    let instrument = instrument_of(Some(form.get("instrument")))?;
    let point = MeasurePoint::from_code(form.get("point"));
    let parsed = Measure::parse(
        instrument,
        point.unwrap_or(MeasurePoint::Baseline),
        form.get("taken_on"),
        today(),
        |c| form.get(c).to_string(),
    );
    let m = match (parsed, point) {
        (Ok(m), Some(_)) => m,
        (parsed, point) => {
            let mut e = parsed.err().unwrap_or_default();
            if point.is_none() {
                e.add("point", "Choose baseline, review or discharge");
            }
            return Ok(measure_form(&auth, &p, &ep, instrument, &form, &e).respond());
        }
    };
    // A review or discharge measure dated the same day as the baseline is usually a slip
    // of the date: asked about once.
    if form.get("same_day") != "yes" {
        if let Some(e) = same_day_as_baseline(&state, &auth, &ep, &m, "tick the box").await? {
            return Ok(measure_form(&auth, &p, &ep, instrument, &form, &e).respond());
        }
    }
    add(&state, &auth, &ep, measure_record(&m)?).await?;
    Ok(see_other(&format!("/people/{}?done=measure", p.id)))
}
