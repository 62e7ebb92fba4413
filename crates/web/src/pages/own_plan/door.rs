//! The way in: the plan code, a one-time code to the phone or email on the record, and the
//! date of birth. Every wrong answer counts against the link (locked at 5 in a row) and the
//! address (20 an hour); a code works once, for 10 minutes.

use super::*;
use crate::pages::self_referral::{form_token, public_form};
use crate::views::{self, PageCtx};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use serde::Deserialize;
use std::time::Duration as StdDuration;
use storage::{AuditEntry, NewNotification, NewPersonSession, PlanLink};

const HOUR: StdDuration = StdDuration::from_secs(3600);

#[derive(Template)]
#[template(path = "my_plan_door.html")]
struct DoorPage {
    ctx: PageCtx,
    /// enter, not-working, locked, choose, no-channel, ended, signed-out, busy
    mode: &'static str,
    code: String,
    login_csrf: String,
    /// (channel, "a text to 07••• •••123")
    channels: Vec<(String, String)>,
    error: String,
}

#[derive(Template)]
#[template(path = "my_plan_code.html")]
struct CodePage {
    ctx: PageCtx,
    code: String,
    login_csrf: String,
    sent_to: String,
    /// The code could not be sent (why, in words for the person).
    not_sent: bool,
    error: String,
    day: String,
    month: String,
    year: String,
}

fn door(mode: &'static str, title: &str) -> DoorPage {
    DoorPage {
        ctx: PageCtx::new(None, title, "/my-plan"),
        mode,
        code: String::new(),
        login_csrf: String::new(),
        channels: vec![],
        error: String::new(),
    }
}

/// Renders a public page that carries the browser's form token.
fn with_token<T: Template>(
    state: &AppState,
    status: StatusCode,
    page: &T,
    token: &str,
) -> Result<Response, AppError> {
    let mut res = views::render(status, page);
    let secure = state.config.https();
    let c = auth::set_cookie(auth::login_csrf_cookie(secure), token, secure, Some(3600))?;
    res.headers_mut().append(SET_COOKIE, c);
    Ok(res)
}

fn not_working() -> Response {
    views::render(
        StatusCode::NOT_FOUND,
        &door("not-working", "This link or code does not work"),
    )
}

fn busy() -> Response {
    views::render(
        StatusCode::TOO_MANY_REQUESTS,
        &door("busy", "Please try again later"),
    )
}

fn address_key(ip: &Option<String>) -> String {
    format!("my-plan|{}", ip.as_deref().unwrap_or("unknown"))
}

/// The link for a code as typed, while it still works.
async fn live_link(state: &AppState, code: &str) -> Result<Option<PlanLink>, AppError> {
    if normalise_code(code).len() != 12 {
        return Ok(None);
    }
    let link = state.store.plan_link_by_code(&code_hash(code)).await?;
    Ok(link.filter(|l| l.is_live(Utc::now())))
}

/// Where a one-time code can go for this person: a text (when they take texts) and email.
fn channels(p: &domain::PersonDetails) -> Vec<(String, String, String)> {
    let mut out = vec![];
    if !p.phone.trim().is_empty() && p.texts_ok != Some(false) {
        out.push((
            "sms".to_string(),
            format!("A text to {}", mask_phone(&p.phone)),
            p.phone.trim().to_string(),
        ));
    }
    if !p.email.trim().is_empty() {
        out.push((
            "email".to_string(),
            format!("An email to {}", mask_email(&p.email)),
            p.email.trim().to_string(),
        ));
    }
    out
}

#[derive(Deserialize, Default)]
pub struct DoorQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    ended: String,
    /// "I already have a code": straight to typing it.
    #[serde(default)]
    have: String,
}

/// `/my-plan`: type the code; `/my-plan?code=…` (the link): choose where the one-time code
/// goes.
pub async fn code_page(
    State(state): State<AppState>,
    parts: Parts,
    Query(q): Query<DoorQuery>,
) -> Result<Response, AppError> {
    let token = form_token(&parts.headers, state.config.https())?;
    if q.code.trim().is_empty() {
        let mut page = door("enter", "See your plan");
        if q.ended == "1" {
            page.mode = "ended";
        }
        return with_token(&state, StatusCode::OK, &page, &token);
    }
    let ip = auth::client_ip(&parts, &state.config);
    let key = address_key(&ip);
    // Every opening counts against the address (each is audited), taken before the code is
    // looked at, so openings sent all at once get no more than the limit.
    if !state
        .throttle
        .take(&key, state.config.plan_tries_per_address, HOUR)
        .await?
    {
        return Ok(busy());
    }
    let Some(link) = live_link(&state, &q.code).await? else {
        if let Some(l) = state.store.plan_link_by_code(&code_hash(&q.code)).await? {
            if l.revoked_at.is_none() && l.failures >= storage::PLAN_MAX_FAILURES {
                return Ok(views::render(
                    StatusCode::FORBIDDEN,
                    &door("locked", "This link has been locked"),
                ));
            }
        }
        return Ok(not_working());
    };
    let Some(person) = state.store.get_person(link.pcn_id, link.person_id).await? else {
        return Ok(not_working());
    };
    state
        .store
        .append_audit(
            &AuditEntry::new(
                &person_actor(link.person_id, ip),
                "plan.link_opened",
                "person",
                Some(link.person_id),
                Some(link.pcn_id),
            )
            .detail(format!(
                "plan link {} opened; asked where to send a code",
                link.id
            )),
        )
        .await?;
    if q.have == "1" {
        let page = CodePage {
            ctx: PageCtx::new(None, "Enter your code", "/my-plan"),
            code: normalise_code(&q.code),
            login_csrf: token.clone(),
            sent_to: String::new(),
            not_sent: false,
            error: String::new(),
            day: String::new(),
            month: String::new(),
            year: String::new(),
        };
        return with_token(&state, StatusCode::OK, &page, &token);
    }
    let ch = channels(&person.details);
    let mut page = door(
        if ch.is_empty() {
            "no-channel"
        } else {
            "choose"
        },
        "Check it is you",
    );
    page.code = normalise_code(&q.code);
    page.login_csrf = token.clone();
    page.channels = ch.into_iter().map(|(c, words, _)| (c, words)).collect();
    with_token(&state, StatusCode::OK, &page, &token)
}

/// Sends a one-time code to the chosen phone or email on the record.
pub async fn send_code(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = public_form(&state, &parts, &body)?;
    let ip = auth::client_ip(&parts, &state.config);
    let key = address_key(&ip);
    // Taken before anything is looked at, given back when no code is sent.
    let Some(tried) = state
        .throttle
        .attempt(&key, state.config.plan_tries_per_address, HOUR)
        .await?
    else {
        return Ok(busy());
    };
    let Some(link) = live_link(&state, form.get("code")).await? else {
        return Ok(not_working());
    };
    // Codes per link are counted in the database: across nodes and restarts.
    let sent_lately = state
        .store
        .codes_sent_since(&link, Utc::now() - Duration::hours(1))
        .await?;
    if sent_lately >= i64::from(state.config.plan_codes_per_link) {
        state.throttle.release(tried).await?;
        return Ok(busy());
    }
    let Some(person) = state.store.get_person(link.pcn_id, link.person_id).await? else {
        state.throttle.release(tried).await?;
        return Ok(not_working());
    };
    let token = form_token(&parts.headers, state.config.https())?;
    let ch = channels(&person.details);
    let Some((channel, words, to)) = ch.iter().find(|(c, _, _)| c == form.get("channel")) else {
        let mut page = door(
            if ch.is_empty() {
                "no-channel"
            } else {
                "choose"
            },
            "Error: Check it is you",
        );
        page.code = normalise_code(form.get("code"));
        page.login_csrf = token.clone();
        page.channels = ch.iter().map(|(c, w, _)| (c.clone(), w.clone())).collect();
        page.error = "Choose where to send your code".into();
        state.throttle.release(tried).await?;
        return with_token(&state, StatusCode::UNPROCESSABLE_ENTITY, &page, &token);
    };
    drop(tried);
    let otp = new_otp()?;
    let now = Utc::now();
    let until = now + Duration::minutes(OTP_MINUTES);
    let actor = person_actor(link.person_id, ip);
    state
        .store
        .set_plan_otp(&link, &otp_hash(link.id, &otp), channel, until, &actor)
        .await?;
    let (personalisation, _, preview) = crate::texts::code_text(&otp, OTP_MINUTES);
    let sent = crate::texts::queue_and_send(
        &state,
        &NewNotification {
            pcn_id: link.pcn_id,
            person_id: link.person_id,
            episode_id: None,
            channel: channel.clone(),
            purpose: "code".into(),
            to_address: to.clone(),
            personalisation: personalisation.to_string(),
            preview,
            dedupe_key: format!("code:{}:{}", link.id, now.timestamp_micros()),
            send_before: until,
            at: now,
        },
    )
    .await
    .map_err(AppError::Internal)?;
    let not_sent = sent.is_none_or(|n| n.status != "sending" && n.status != "queued");
    let page = CodePage {
        ctx: PageCtx::new(None, "Enter your code", "/my-plan"),
        code: normalise_code(form.get("code")),
        login_csrf: token.clone(),
        sent_to: words.to_lowercase(),
        not_sent,
        error: String::new(),
        day: String::new(),
        month: String::new(),
        year: String::new(),
    };
    with_token(&state, StatusCode::OK, &page, &token)
}

/// The one-time code and date of birth: a person session when both are right.
pub async fn sign_in(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = public_form(&state, &parts, &body)?;
    let ip = auth::client_ip(&parts, &state.config);
    let key = address_key(&ip);
    // Each answer takes its place against the address, and against the link, before it is
    // checked, and gives them back when right: answers sent all at once, to any nodes, get no
    // more checks than the limits (the link's lock counts only one after another).
    let Some(tried) = state
        .throttle
        .attempt(&key, state.config.plan_tries_per_address, HOUR)
        .await?
    else {
        return Ok(busy());
    };
    let Some(link) = live_link(&state, form.get("code")).await? else {
        return Ok(not_working());
    };
    let link_key = format!("my-plan link {}", link.id);
    let Some(on_link) = state
        .throttle
        .attempt(
            &link_key,
            u32::try_from(storage::PLAN_MAX_FAILURES).unwrap_or(5),
            HOUR,
        )
        .await?
    else {
        state.throttle.release(tried).await?;
        return Ok(busy());
    };
    let Some(person) = state.store.get_person(link.pcn_id, link.person_id).await? else {
        state.throttle.release(tried).await?;
        state.throttle.release(on_link).await?;
        return Ok(not_working());
    };
    let now = Utc::now();
    let otp: String = form
        .get("otp")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let code_right = link.otp_expires_at.is_some_and(|t| t > now)
        && link.otp_hash.as_deref().is_some_and(|h| {
            auth::constant_time_eq(h.as_bytes(), otp_hash(link.id, &otp).as_bytes())
        });
    let dob = chrono::NaiveDate::parse_from_str(&form.date("date_of_birth"), "%Y-%m-%d").ok();
    let dob_right = dob == Some(person.details.date_of_birth);
    let actor = person_actor(link.person_id, ip);
    let token = form_token(&parts.headers, state.config.https())?;
    if !(code_right && dob_right) {
        // Counted against the address and the link with the attempt.
        drop((tried, on_link));
        let failures = state.store.plan_sign_in_failed(&link, &actor).await?;
        if failures >= storage::PLAN_MAX_FAILURES {
            return Ok(views::render(
                StatusCode::FORBIDDEN,
                &door("locked", "This link has been locked"),
            ));
        }
        let left = storage::PLAN_MAX_FAILURES - failures;
        let page = CodePage {
            ctx: PageCtx::new(None, "Error: Enter your code", "/my-plan"),
            code: normalise_code(form.get("code")),
            login_csrf: token.clone(),
            sent_to: String::new(),
            not_sent: false,
            error: format!(
                "The code or the date of birth is not right. Check them and try again \
                 ({left} {} left), or ask for a new code",
                if left == 1 { "try" } else { "tries" }
            ),
            day: form.get("date_of_birth_day").chars().take(2).collect(),
            month: form.get("date_of_birth_month").chars().take(2).collect(),
            year: form.get("date_of_birth_year").chars().take(4).collect(),
        };
        return with_token(&state, StatusCode::UNPROCESSABLE_ENTITY, &page, &token);
    }
    state.throttle.release(tried).await?;
    // The link's wrong answers count in a row, as its lock does: a right one starts again.
    drop(on_link);
    state.throttle.clear(&link_key).await?;
    // A fresh session every time; one this browser already had ends here.
    if let Some(old) = auth::cookie(&parts.headers, plan_cookie(state.config.https())) {
        state.store.end_person_session(&sha256_hex(&old)).await?;
    }
    let cookie = auth::random_token()?;
    let session = NewPersonSession {
        id_hash: sha256_hex(&cookie),
        csrf_token: auth::random_token()?,
        expires_at: now + Duration::minutes(SESSION_MINUTES),
    };
    if !state
        .store
        .open_person_session(&link, &session, &actor)
        .await?
    {
        return Ok(not_working());
    }
    let mut res = super::super::see_other("/my-plan/view");
    let secure = state.config.https();
    res.headers_mut().append(
        SET_COOKIE,
        auth::set_cookie(plan_cookie(secure), &cookie, secure, None)?,
    );
    Ok(res)
}

/// Ends the person's session.
pub async fn sign_out(
    State(state): State<AppState>,
    person: PersonAuth,
    body: Bytes,
) -> Result<Response, AppError> {
    person.form(&body)?;
    state.store.end_person_session(&person.id_hash).await?;
    state
        .store
        .append_audit(
            &AuditEntry::new(
                &person.actor(),
                "plan.sign_out",
                "person",
                Some(person.session.person_id),
                Some(person.session.pcn_id),
            )
            .detail("signed out of their own plan"),
        )
        .await?;
    let mut res = views::ok(&door("signed-out", "You have signed out"));
    let secure = state.config.https();
    res.headers_mut().append(
        SET_COOKIE,
        auth::set_cookie(plan_cookie(secure), "", secure, Some(0))?,
    );
    Ok(res)
}
