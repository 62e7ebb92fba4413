//! For the link worker: give a person a link to their plan (by text, email or on paper),
//! see and stop their links, and mark a call they asked for as done.

use super::*;
use crate::auth::Auth;
use crate::pages::{see_other, show_once, take_once};
use crate::views::{self, datetime, Opt, PageCtx};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use storage::{NewNotification, Person};

/// How long a plan link works, as offered.
const DAYS: [(i64, &str); 2] = [(90, "3 months"), (30, "1 month")];

#[derive(Template)]
#[template(path = "plan_link.html")]
struct LinkPage {
    ctx: PageCtx,
    id: i64,
    caption: String,
    /// (how sent, made, until, state)
    links: Vec<(String, String, String, String)>,
    any_live: bool,
    channels: Vec<Opt>,
    /// A one-time code can reach them (a phone that takes texts, or an email).
    reachable: bool,
    days: Vec<Opt>,
    /// Shown once after sending: the code, the link, and what happened to the message.
    code: String,
    url: String,
    outcome: String,
    /// The message went (or is waiting to be tried again).
    went: bool,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct LinkQuery {
    notice: Option<String>,
}

async fn person_of(state: &AppState, auth: &Auth, id: i64) -> Result<Person, AppError> {
    auth.require(state, auth.user.role.can_triage(), "plan_link")
        .await?;
    let pcn = auth.pcn()?;
    let Some(p) = state.store.get_person(pcn, id).await? else {
        return Err(auth.not_found(state, "person", id).await);
    };
    auth.need_to_know(state, pcn, id).await?;
    Ok(p)
}

fn channels(p: &Person, chosen: &str) -> Vec<Opt> {
    let d = &p.details;
    let mut out = vec![];
    if !d.phone.trim().is_empty() && d.texts_ok != Some(false) {
        out.push(("sms", format!("By text to {}", d.phone.trim())));
    }
    if !d.email.trim().is_empty() {
        out.push(("email", format!("By email to {}", d.email.trim())));
    }
    out.push(("print", "Print it, or read the code to them".into()));
    let chosen = if chosen.is_empty() { out[0].0 } else { chosen };
    out.into_iter()
        .map(|(v, label)| Opt {
            value: v.into(),
            label,
            selected: v == chosen,
        })
        .collect()
}

fn sent_words(c: &str) -> &'static str {
    match c {
        "sms" => "Text",
        "email" => "Email",
        _ => "Printed or read out",
    }
}

async fn page(
    state: &AppState,
    auth: &Auth,
    p: &Person,
    shown: Option<serde_json::Value>,
    error: &str,
    chosen: &str,
) -> Result<LinkPage, AppError> {
    let now = Utc::now();
    let links = state.store.plan_links_for_person(auth.pcn()?, p.id).await?;
    let get = |k: &str| {
        shown
            .as_ref()
            .and_then(|v| v[k].as_str())
            .unwrap_or_default()
            .to_string()
    };
    Ok(LinkPage {
        ctx: PageCtx::new(Some(auth), "Their plan on their phone", "/people"),
        id: p.id,
        caption: format!(
            "{} · born {}",
            p.details.full_name(),
            views::date(p.details.date_of_birth)
        ),
        any_live: links.iter().any(|l| l.is_live(now)),
        links: links
            .iter()
            .take(10)
            .map(|l| {
                (
                    sent_words(&l.sent_by).into(),
                    datetime(l.created_at),
                    views::opt_date(Some(l.expires_at)),
                    l.state_words(now).into(),
                )
            })
            .collect(),
        channels: channels(p, chosen),
        reachable: channels(p, "").len() > 1,
        days: DAYS
            .iter()
            .enumerate()
            .map(|(i, (d, label))| Opt {
                value: d.to_string(),
                label: (*label).into(),
                selected: i == 0,
            })
            .collect(),
        code: get("code"),
        url: get("url"),
        outcome: get("outcome"),
        went: shown.as_ref().is_some_and(|v| v["went"] == true),
        error: error.into(),
    })
}

pub async fn link_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<LinkQuery>,
) -> Result<Response, AppError> {
    let p = person_of(&state, &auth, id).await?;
    auth.audit_read(&state, "plan_link.read", Some(id), "plan link page".into())
        .await?;
    let shown = take_once(&state, &auth, q.notice.as_deref())
        .await?
        .and_then(|s| serde_json::from_str(&s).ok());
    Ok(views::ok(&page(&state, &auth, &p, shown, "", "").await?))
}

/// Makes a new link (the old one stops working) and sends it.
pub async fn link_send(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let p = person_of(&state, &auth, id).await?;
    let pcn = auth.pcn()?;
    let chosen = form.get("sent_by");
    let offered = channels(&p, "");
    if !offered.iter().any(|o| o.value == chosen) {
        let mut pg = page(
            &state,
            &auth,
            &p,
            None,
            "Choose how to give them the link",
            "",
        )
        .await?;
        pg.ctx.title = "Error: Their plan on their phone".into();
        return Ok(views::render(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &pg,
        ));
    }
    let days = DAYS
        .iter()
        .find(|(d, _)| d.to_string() == form.get("days"))
        .map_or(DAYS[0].0, |(d, _)| *d);
    let code = new_plan_code()?;
    let until = Utc::now() + Duration::days(days);
    state
        .store
        .create_plan_link(pcn, id, &code_hash(&code), chosen, until, &auth.actor())
        .await?;
    let url = format!(
        "{}/my-plan?code={code}",
        state.config.public_url.trim_end_matches('/')
    );
    let until_words = views::opt_date(Some(until));
    let mut went = false;
    let outcome = if chosen == "print" {
        String::new()
    } else {
        let (personalisation, preview) =
            crate::texts::plan_link_text(&auth.user.name, &url, &until_words);
        let to = if chosen == "sms" {
            p.details.phone.trim()
        } else {
            p.details.email.trim()
        };
        let sent = crate::texts::queue_and_send(
            &state,
            &NewNotification {
                pcn_id: pcn,
                person_id: id,
                episode_id: None,
                channel: chosen.into(),
                purpose: "plan_link".into(),
                to_address: to.into(),
                personalisation: personalisation.to_string(),
                // The link itself is a key: staff see that it went, not the link.
                preview: preview.replace(&url, "(their link)"),
                dedupe_key: format!("plan_link:{id}:{}", code_hash(&code)),
                send_before: until,
                at: Utc::now(),
            },
        )
        .await
        .map_err(AppError::Internal)?;
        went = sent
            .as_ref()
            .is_some_and(|n| matches!(n.status.as_str(), "sending" | "delivered" | "queued"));
        sent.map(|n| n.status_words())
            .unwrap_or_else(|| "Not sent".into())
    };
    let body = serde_json::json!({ "code": code, "url": url, "outcome": outcome, "went": went })
        .to_string();
    show_once(&state, &auth, &body, &format!("/people/{id}/plan-link")).await
}

/// Stops every working link of the person (and signs them out).
pub async fn link_stop(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.form(&body)?;
    person_of(&state, &auth, id).await?;
    state
        .store
        .revoke_plan_links(auth.pcn()?, id, &auth.actor())
        .await?;
    Ok(see_other(&format!("/people/{id}?done=plan-link-stopped")))
}

/// The link worker has called them back.
pub async fn call_back_done(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.form(&body)?;
    person_of(&state, &auth, id).await?;
    state
        .store
        .call_requests_done(auth.pcn()?, id, &auth.actor())
        .await?;
    Ok(see_other(&format!("/people/{id}?done=called-back")))
}
