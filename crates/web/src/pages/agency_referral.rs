//! Referrals from people at work without a Linkwork account (a police officer, a housing
//! officer, a fire service safety visit): the self-referral form with a section about the
//! referrer. Their work email is confirmed by a one-time link before the referral reaches
//! triage; a PCN may take referrals only from the work email domains it names. The link
//! opens a page with a button (mail scanners that follow links send nothing), and the
//! referral is made once however often it is pressed.

use super::self_referral::{chosen_practice, validate, DonePage, Door};
use super::{flash, see_other, DoneQuery};
use crate::auth::{self, Auth};
use crate::form::FormData;
use crate::views::{self, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use storage::{Actor, NewPendingReferral, PendingReferral, PersonRef, StorageError};

/// How long a confirmation link works.
const LINK_HOURS: i64 = 24;

/// Keeps what was sent until the referrer confirms, and emails them the link (naming no
/// one: the email says only that a referral waits for them to send it).
pub(crate) async fn ask_to_confirm(
    state: &AppState,
    pcn: i64,
    form: &FormData,
    email: &str,
    reference: String,
) -> Result<(), String> {
    // Through Notify when the deployment set the template, else through the SMTP relay.
    let notify = state
        .config
        .notify
        .as_ref()
        .and_then(|c| Some((c, c.template("referrer_confirm", "email")?.to_string())));
    if notify.is_none() && state.config.mail.is_none() {
        return Err("no mail".into());
    }
    let token = auth::random_token().map_err(|e| format!("{e:?}"))?;
    let kept: Vec<(String, String)> = form
        .pairs()
        .iter()
        .filter(|(k, _)| k != "_csrf" && k != "website")
        .cloned()
        .collect();
    let now = storage::now();
    state
        .store
        .add_pending_referral(&NewPendingReferral {
            pcn_id: pcn,
            token_hash: auth::sha256_hex(&token),
            reference: reference.clone(),
            email: email.to_string(),
            payload: serde_json::to_string(&kept).map_err(|e| e.to_string())?,
            created_at: now,
            expires_at: now + Duration::hours(LINK_HOURS),
        })
        .await
        .map_err(|e| e.to_string())?;
    let sent = send_confirmation(state, pcn, email, &reference, &token, notify).await;
    if sent.is_err() {
        // Not sent: nothing is kept of what they typed.
        let hash = auth::sha256_hex(&token);
        if let Ok(Some(p)) = state.store.pending_referral(&hash, now).await {
            let _ = state.store.finish_pending_referral(p.id, now).await;
        }
    }
    sent
}

/// The email with the confirmation link: through Notify when its template is set, else
/// through the SMTP relay.
async fn send_confirmation(
    state: &AppState,
    pcn: i64,
    email: &str,
    reference: &str,
    token: &str,
    notify: Option<(&crate::notify::NotifyConfig, String)>,
) -> Result<(), String> {
    let now = storage::now();
    let pcn_name = state
        .store
        .list_pcns()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|p| p.id == pcn)
        .map(|p| p.name)
        .unwrap_or_default();
    if let Some((cfg, template)) = notify {
        let client = crate::notify::Client::new(cfg)?;
        let url = format!(
            "{}/self-referral/confirm?token={token}",
            state.config.public_url.trim_end_matches('/')
        );
        return client
            .send_email(
                email,
                &template,
                &serde_json::json!({
                    "pcn": pcn_name,
                    "url": url,
                    "hours": LINK_HOURS.to_string(),
                    "reference": reference,
                }),
                &format!("linkwork-confirm-{reference}"),
            )
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"));
    }
    let mail = state.config.mail.as_ref().ok_or("no mail")?;
    let body = format!(
        "Hello,\n\nYou filled in a social prescribing referral to the link workers of {pcn_name} \
         at {when}. It has not been sent yet.\n\nTo send it, open this link within {LINK_HOURS} hours \
         and press \"Send the referral\":\n{url}/self-referral/confirm?token={token}\n\n\
         Reference: {reference}\n\nIf you did not fill in this referral, ignore this email: \
         nothing will be sent or kept.\n\nLinkwork\n",
        when = domain::uk_time::to_uk(now).format("%H:%M on %-d %B %Y"),
        url = mail.public_url,
    );
    crate::mail::send_text(
        mail,
        email,
        &format!("Confirm your social prescribing referral {reference}"),
        body,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "agency_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    login_csrf: String,
    token: String,
    reference: String,
    /// Who the referral is about, as the referrer typed it.
    person: String,
    /// The practice, or "" when they were not sure.
    practice: String,
}

#[derive(Template)]
#[template(path = "agency_link.html")]
struct LinkPage {
    ctx: PageCtx,
    /// The referral already sent, or none when the link is wrong or too old.
    sent: Option<String>,
}

/// The pending referral a token names, if any.
async fn pending(state: &AppState, token: &str) -> Result<Option<PendingReferral>, AppError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    Ok(state
        .store
        .pending_referral(&auth::sha256_hex(token), storage::now())
        .await?)
}

/// What a link that sends nothing more says: already sent, or not a link that works (with
/// `status`: 404 for a link opened, 422 for a form sent with it).
fn link_page(sent: Option<String>, status: StatusCode) -> Response {
    let title = match &sent {
        Some(_) => "This referral has been sent",
        None => "This link does not work",
    };
    let status = if sent.is_some() {
        StatusCode::OK
    } else {
        status
    };
    views::render(
        status,
        &LinkPage {
            ctx: PageCtx::new(None, title, "/self-referral/confirm"),
            sent,
        },
    )
}

fn kept_form(p: &PendingReferral) -> Result<FormData, AppError> {
    let pairs: Vec<(String, String)> = serde_json::from_str(&p.payload)
        .map_err(|e| AppError::Internal(format!("pending referral {}: {e}", p.id)))?;
    Ok(FormData::from_pairs(pairs))
}

pub async fn confirm_form(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    let Some(p) = pending(&state, &q.token).await? else {
        // Opened without a token (typed in): nothing is wrong with the page itself.
        let status = if q.token.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        return Ok(link_page(None, status));
    };
    if p.confirmed_at.is_some() {
        return Ok(link_page(Some(p.reference), StatusCode::OK));
    }
    let form = kept_form(&p)?;
    let practice = chosen_practice(&state, form.get("practice"))
        .await?
        .flatten()
        .map(|p| p.name)
        .unwrap_or_default();
    let token = super::self_referral::form_token(&headers, state.config.https())?;
    let page = ConfirmPage {
        ctx: PageCtx::new(None, "Send the referral", "/self-referral/confirm"),
        login_csrf: token.clone(),
        token: q.token.clone(),
        reference: p.reference,
        person: format!(
            "{} {}",
            form.get("given_name").trim(),
            form.get("family_name").trim()
        ),
        practice,
    };
    let mut res = views::ok(&page);
    let secure = state.config.https();
    let c = auth::set_cookie(auth::login_csrf_cookie(secure), &token, secure, Some(3600))?;
    res.headers_mut().append(SET_COOKIE, c);
    Ok(res)
}

pub async fn confirm(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = super::self_referral::public_form(&state, &parts, &body)?;
    let Some(p) = pending(&state, form.get("token")).await? else {
        return Ok(link_page(None, StatusCode::UNPROCESSABLE_ENTITY));
    };
    if p.confirmed_at.is_some() {
        return Ok(link_page(Some(p.reference), StatusCode::OK));
    }
    let sent = kept_form(&p)?;
    let practice = chosen_practice(&state, sent.get("practice"))
        .await?
        .ok_or_else(|| {
            AppError::BadRequest(
                "The practice chosen is no longer in Linkwork: fill in the form again".into(),
            )
        })?;
    let (person, mut referral) = validate(&sent, practice.as_ref(), Door::Agency)
        .map_err(|e| AppError::BadRequest(format!("The referral cannot be sent: {e}")))?;
    // The PCN may have changed the domains it takes since the form was sent.
    let domains = state.store.referrer_domains(p.pcn_id).await?;
    if !domains.is_empty() && !crate::mail::in_domains(&domains, &p.email) {
        return Err(AppError::BadRequest(
            "The link workers for this practice no longer take referrals from this email address"
                .into(),
        ));
    }
    referral.reference = Some(p.reference.clone());
    let actor = Actor {
        user_id: None,
        label: format!("agency referral {} ({})", p.reference, p.email),
        ip: auth::client_ip(&parts, &state.config),
    };
    let given = super::self_referral::contact_given(&person);
    let person =
        super::referrals::match_existing(&state, p.pcn_id, PersonRef::New(Box::new(person)))
            .await?;
    super::self_referral::keep_contact_given(&person, &given, &mut referral.reason);
    match state
        .store
        .create_referral(p.pcn_id, person, &referral, None, storage::now(), &actor)
        .await
    {
        Ok(_) => {}
        // Pressed twice at once: the reference is taken by the first.
        Err(StorageError::Duplicate(_)) => return Ok(link_page(Some(p.reference), StatusCode::OK)),
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .finish_pending_referral(p.id, storage::now())
        .await?;
    Ok(views::ok(&DonePage {
        ctx: PageCtx::new(
            None,
            "Thank you: the referral has been sent",
            "/self-referral",
        ),
        reference: p.reference,
        email: false,
        agency: true,
    }))
}

#[derive(Template)]
#[template(path = "admin_referrers.html")]
struct AdminPage {
    ctx: PageCtx,
    domains: String,
    /// (id, name, postcode as typed or held)
    practices: Vec<(i64, String, String)>,
    error: Option<String>,
    /// The field the error is about: `domains` or `postcode_{id}`.
    error_field: String,
}

async fn admin_page(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    domains: String,
    (error, typed): (Option<(String, String)>, Option<&FormData>),
    done: Option<&str>,
) -> Result<Response, AppError> {
    let pcn = auth.pcn()?;
    // What was typed comes back as typed (a refused form loses nothing).
    let practices = state
        .store
        .list_practices(pcn)
        .await?
        .into_iter()
        .map(|p| {
            let shown = match typed {
                Some(f) => f.get(&format!("postcode_{}", p.id)).to_string(),
                None => p.postcode.unwrap_or_default(),
            };
            (p.id, p.name, shown)
        })
        .collect();
    let (error_field, error) = match error {
        Some((f, m)) => (f, Some(m)),
        None => (String::new(), None),
    };
    let title = if error.is_some() {
        "Error: Referrals from outside"
    } else {
        "Referrals from outside"
    };
    let page = AdminPage {
        ctx: PageCtx::new(Some(auth), title, "/admin/referrers").flash(flash(done)),
        domains,
        practices,
        error,
        error_field,
    };
    Ok(views::render(status, &page))
}

pub async fn admin_form(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_pcn_settings(),
        "referrers.view",
    )
    .await?;
    let domains = state.store.referrer_domains(auth.pcn()?).await?.join("\n");
    admin_page(
        &state,
        &auth,
        StatusCode::OK,
        domains,
        (None, None),
        q.done.as_deref(),
    )
    .await
}

/// A domain as a PCN may list it: `nhs.net`, or `*.gov.uk` for any below it.
fn valid_domain(d: &str) -> bool {
    let bare = d.strip_prefix("*.").unwrap_or(d);
    bare.contains('.')
        && !bare.starts_with('.')
        && !bare.ends_with('.')
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

pub async fn admin_save(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_pcn_settings(),
        "referrers.save",
    )
    .await?;
    let pcn = auth.pcn()?;
    let text = form.get("domains");
    let domains: Vec<String> = text
        .split([',', '\n', ' '])
        .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    let bad: Vec<&String> = domains.iter().filter(|d| !valid_domain(d)).collect();
    if !bad.is_empty() || domains.len() > 100 {
        let msg = if domains.len() > 100 {
            "List at most 100 domains".to_string()
        } else {
            format!(
                "These are not email domains: {}. Write them like nhs.net or *.gov.uk",
                bad.iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return admin_page(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            text.to_string(),
            (Some(("domains".into(), msg)), Some(&form)),
            None,
        )
        .await;
    }
    // Postcodes of the PCN's practices, so people can find theirs.
    let mut postcodes = vec![];
    for p in state.store.list_practices(pcn).await? {
        let typed = form.get(&format!("postcode_{}", p.id)).trim().to_string();
        let postcode = if typed.is_empty() {
            None
        } else {
            match domain::Postcode::parse(&typed) {
                Ok(pc) => Some(pc.to_string()),
                Err(m) => {
                    return admin_page(
                        &state,
                        &auth,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        text.to_string(),
                        (
                            Some((format!("postcode_{}", p.id), format!("{}: {m}", p.name))),
                            Some(&form),
                        ),
                        None,
                    )
                    .await
                }
            }
        };
        if postcode != p.postcode {
            postcodes.push((p.id, postcode));
        }
    }
    state
        .store
        .set_referrer_domains(pcn, &domains, &auth.actor())
        .await?;
    for (id, postcode) in postcodes {
        state
            .store
            .set_practice_postcode(pcn, id, postcode.as_deref(), &auth.actor())
            .await?;
    }
    Ok(see_other("/admin/referrers?done=saved"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn domains_are_written_as_email_domains() {
        for ok in ["nhs.net", "*.gov.uk", "police.example.uk", "x-y.org"] {
            assert!(super::valid_domain(ok), "{ok}");
        }
        for bad in [
            "nhs",
            "*.",
            ".net",
            "a@b.com",
            "gov.uk.",
            "**.gov.uk",
            "<b>",
        ] {
            assert!(!super::valid_domain(bad), "{bad}");
        }
    }
}
