//! Closing an episode from the person page (the person declines; unable to contact) and
//! reopening one closed by mistake. Each asks to confirm, with a reason, and says what
//! follows (the GP-record code queued or withdrawn, how long it can be undone).

use super::*;
use domain::episode::{may_reopen, REOPEN_DAYS};

#[derive(Deserialize)]
pub struct CloseQuery {
    #[serde(default)]
    to: String,
}

/// Declined or unable to contact, from `to`.
fn closing(to: &str) -> Result<EpisodeState, AppError> {
    EpisodeState::from_code(to)
        .filter(|s| s.is_closing())
        .ok_or_else(|| {
            AppError::BadRequest(
                "Choose how the episode closes: the person declines, or unable to contact".into(),
            )
        })
}

/// The reason a close, a reopening or a merge needs: given, and not too long.
pub(crate) fn reason_errors(why: &str, missing: &str) -> FieldErrors {
    let mut e = FieldErrors::default();
    if why.is_empty() {
        e.add("why", missing);
    } else if why.chars().count() > 2000 {
        e.add("why", "Keep the reason to 2,000 characters or fewer");
    }
    e
}

/// Unsuccessful attempts recorded in this episode, and how many are needed.
async fn attempts(state: &AppState, auth: &Auth, ep: &Episode) -> Result<(usize, u32), AppError> {
    let n = crate::pages::episodes::unsuccessful_attempts(state, auth.pcn()?, ep).await?;
    Ok((n, state.config.unable_to_contact_attempts))
}

async fn close_form(
    state: &AppState,
    auth: &Auth,
    p: &Person,
    ep: &Episode,
    to: EpisodeState,
    f: &FormData,
    e: &FieldErrors,
) -> Result<RecordForm, AppError> {
    // The version the form was opened at, when it comes back with errors.
    let version = f.get("version").parse().unwrap_or(ep.version);
    let (heading, label, hint) = if to == EpisodeState::Declined {
        (
            "Close: the person declines social prescribing",
            "Why they declined",
            "In their words if you can, e.g. \"has support from family now\"",
        )
    } else {
        (
            "Close: unable to contact",
            "What was tried",
            "e.g. \"3 calls and a letter, no answer; practice told\"",
        )
    };
    let mut page = RecordForm::new(auth, p, heading, format!("/episodes/{}/close", ep.id));
    page.version = Some(version);
    page.hidden = vec![("to".into(), to.code().into())];
    let mut intro = vec![];
    if to == EpisodeState::UnableToContact {
        let (n, needed) = attempts(state, auth, ep).await?;
        intro.push(format!(
            "{n} of {needed} unsuccessful attempts recorded in this episode."
        ));
    }
    let codes: Vec<String> = state
        .store
        .coding_catalogue()
        .await?
        .into_iter()
        .filter(|c| c.active && c.queued_on == Some(to))
        .map(|c| format!("\u{201c}{}\u{201d} (SNOMED CT {})", c.term, c.concept_id))
        .collect();
    intro.push(format!(
        "This closes the episode and takes it off the caseload.{}",
        if codes.is_empty() {
            String::new()
        } else {
            format!(
                " The code {} will be queued for their GP practice to record.",
                codes.join(" and ")
            )
        }
    ));
    intro.push(format!(
        "If this is a mistake, the episode can be reopened for {REOPEN_DAYS} days, with a reason; a code not yet sent to the practice is then withdrawn."
    ));
    page.intro = intro;
    page.sections = vec![Section {
        folded: false,
        legend: "Closing this episode".into(),
        fields: vec![Field::new("textarea", "why", label)
            .hint(hint)
            .value(f.get("why"))
            .required()
            .errors(e)],
    }];
    page.warning = true;
    page.submit = if to == EpisodeState::Declined {
        "Yes, close: they decline".into()
    } else {
        "Yes, close: unable to contact".into()
    };
    Ok(page.errors(e))
}

/// Refuses a close as unable to contact before enough unsuccessful attempts, saying how
/// many there are and what to do.
async fn may_close(
    state: &AppState,
    auth: &Auth,
    ep: &Episode,
    to: EpisodeState,
) -> Result<(), AppError> {
    if to != EpisodeState::UnableToContact {
        return Ok(());
    }
    let (n, needed) = attempts(state, auth, ep).await?;
    domain::journey::may_close_unreachable(n, needed).map_err(|m| {
        AppError::Conflict(format!(
            "{m}. Record each attempt as a contact the person did not attend, then close."
        ))
    })
}

pub async fn close_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<CloseQuery>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "episode.close").await?;
    let to = closing(&q.to)?;
    if ep.state.is_closed() {
        // Closed already (in another tab): show where it stands.
        return Ok(see_other(&format!("/people/{}", p.id)));
    }
    if !ep.state.next_states().contains(&to) {
        // Past first contact, an episode ends by discharge, with its reason and summary.
        return Ok(see_other(&format!("/episodes/{}/discharge", ep.id)));
    }
    may_close(&state, &auth, &ep, to).await?;
    let page = close_form(
        &state,
        &auth,
        &p,
        &ep,
        to,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .await?;
    Ok(page.respond())
}

pub async fn close_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "episode.close").await?;
    let to = closing(form.get("to"))?;
    let version = form.i64("version")?;
    let why = form.get("why").trim();
    let e = reason_errors(why, "Say why the episode is closing");
    if !e.is_empty() {
        let page = close_form(&state, &auth, &p, &ep, to, &form, &e).await?;
        return Ok(page.respond());
    }
    may_close(&state, &auth, &ep, to).await?;
    match state
        .store
        .close_episode(
            auth.pcn()?,
            ep.id,
            version,
            to,
            why,
            storage::now(),
            &auth.actor(),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/people/{}?done=closed", p.id))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "episode", id).await),
        Err(e) => Err(e.into()),
    }
}

fn reopen_form(
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
        "Reopen this episode",
        format!("/episodes/{}/reopen", ep.id),
    );
    page.version = Some(version);
    let back_to = ep.state.reopens_to(ep.closed_from);
    page.intro = vec![
        format!(
            "The episode was closed as {} on {}. Reopening puts it back to \u{201c}{}\u{201d} and on the caseload.",
            ep.state.label().to_lowercase(),
            views::opt_date(ep.closed_at),
            back_to.label()
        ),
        "A GP-record code its closing queued and not yet sent to the practice is withdrawn; if the practice already has it, the timeline says so and you should ask them to remove it.".into(),
    ];
    page.sections = vec![Section {
        folded: false,
        legend: "Reopening".into(),
        fields: vec![Field::new("textarea", "why", "Why it is being reopened")
            .hint("e.g. \"declined by mistake: she wants to be contacted\"")
            .value(f.get("why"))
            .required()
            .errors(e)],
    }];
    page.submit = "Reopen the episode".into();
    page.errors(e)
}

pub async fn reopen_new(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (ep, p) = load_for_form(&state, &auth, id, "episode.reopen").await?;
    if !ep.state.is_closed() {
        // Already open (reopened in another tab): nothing to do but show it.
        return Ok(see_other(&format!("/people/{}", p.id)));
    }
    may_reopen(ep.state, ep.closed_at, Utc::now()).map_err(AppError::Conflict)?;
    Ok(reopen_form(
        &auth,
        &p,
        &ep,
        ep.version,
        &FormData::default(),
        &FieldErrors::default(),
    )
    .respond())
}

pub async fn reopen_save(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let (ep, p) = load(&state, &auth, id, "episode.reopen").await?;
    let version = form.i64("version")?;
    let why = form.get("why").trim();
    let e = reason_errors(why, "Say why the episode is being reopened");
    if !e.is_empty() {
        return Ok(reopen_form(&auth, &p, &ep, version, &form, &e).respond());
    }
    match state
        .store
        .reopen_episode(
            auth.pcn()?,
            ep.id,
            version,
            why,
            storage::now(),
            &auth.actor(),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/people/{}?done=reopened", p.id))),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "episode", id).await),
        Err(e) => Err(e.into()),
    }
}
