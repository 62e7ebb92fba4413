//! Signing in through a single sign-on provider (OpenID Connect), linking a provider's
//! identity to an account (by the user with their password, or by an administrator), and
//! signing out of the provider too. See `crate::sso` for the protocol and ADR 54.
//!
//! Every refusal gives a page that says what to do and starts no session; the audit log
//! says why (`sso.failed`, `signin.refused`). A refusal never says whether an account
//! exists: an unknown identity and a disabled account get the same page.

use super::see_other;
use crate::auth::{self, Auth};
use crate::sso::{Failure, Provider, Verified};
use crate::views::{self, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{HeaderMap, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use domain::Code;
use std::sync::Arc;
use storage::{Actor, AuditEntry, LinkRefused, NewUser, SignInAttempt};

/// The cookie binding a sign-in in flight to the browser that started it.
fn browser_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-lw_sso"
    } else {
        "lw_sso"
    }
}

/// A sign-in in flight is good for this long.
const ATTEMPT_MINUTES: i64 = 10;

/// Sign-ins started or returning from one network address in ten minutes (a shared NHS
/// address carries many staff): past it, the address waits.
const PER_ADDRESS: u32 = 300;

/// The cookie of a sign-in waiting for its holder to confirm an administrator's link.
fn confirm_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-lw_sso_confirm"
    } else {
        "lw_sso_confirm"
    }
}

/// Takes one of the address's sign-in steps; false when it has used them all.
async fn address_allows(state: &AppState, parts: &Parts) -> Result<bool, AppError> {
    let address = auth::client_ip(parts, &state.config).unwrap_or_else(|| "unknown".into());
    Ok(state
        .throttle
        .take(
            &format!("sso:{address}"),
            PER_ADDRESS,
            std::time::Duration::from_secs(600),
        )
        .await?)
}

fn too_many() -> Response {
    message(
        StatusCode::TOO_MANY_REQUESTS,
        None,
        "Too many sign-ins from this network",
        "Too many sign-ins have been started from this network in the last few minutes. Wait a few minutes, then try again.".into(),
        "/login",
    )
}

#[derive(Template)]
#[template(path = "sso_message.html")]
struct MessagePage {
    ctx: PageCtx,
    heading: String,
    message: String,
    /// Where "Try again" goes, if anywhere.
    retry: String,
}

#[derive(Template)]
#[template(path = "sso_go.html")]
struct GoPage {
    ctx: PageCtx,
    heading: String,
    message: String,
    url: String,
    link_text: String,
}

#[derive(Template)]
#[template(path = "sso_settings.html")]
struct SettingsPage {
    ctx: PageCtx,
    linked: Vec<LinkedRow>,
    unlinked: Vec<(String, String)>,
    error: String,
    done: String,
}

struct LinkedRow {
    id: i64,
    label: String,
    linked: String,
    last_used: String,
}

fn provider(state: &AppState, name: &str) -> Option<Arc<Provider>> {
    state.config.sso.iter().find(|p| p.name == name).cloned()
}

fn message(
    status: StatusCode,
    auth: Option<&Auth>,
    heading: &str,
    text: String,
    retry: &str,
) -> Response {
    let page = MessagePage {
        ctx: PageCtx::new(auth, heading, "/login"),
        heading: heading.into(),
        message: text,
        retry: retry.into(),
    };
    views::render(status, &page)
}

fn go(
    auth: Option<&Auth>,
    heading: &str,
    text: String,
    url: String,
    link_text: String,
) -> Response {
    let page = GoPage {
        ctx: PageCtx::new(auth, heading, "/login"),
        heading: heading.into(),
        message: text,
        url,
        link_text,
    };
    views::render(StatusCode::OK, &page)
}

fn unavailable(p: &Provider) -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "Single sign-on is not answering",
        format!(
            "Linkwork could not reach {} just now. Try again in a few minutes, or sign in with your Linkwork password.",
            p.label
        ),
        "/login",
    )
}

fn public_actor(parts: &Parts, state: &AppState, label: String) -> Actor {
    Actor {
        user_id: None,
        label,
        ip: auth::client_ip(parts, &state.config),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct StartQuery {
    next: Option<String>,
}

/// Keeps a sign-in in flight and sends the browser to the provider.
async fn send_to_provider(
    state: &AppState,
    p: &Provider,
    next: &str,
    link_user: Option<i64>,
    as_page: Option<&Auth>,
) -> Result<Response, AppError> {
    // Linking asks the provider to sign the person in again: the identity linked is whoever
    // is at the keyboard, not a session someone left open at the provider.
    let started = match p.start(&state.config.public_url, link_user.is_some()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(provider = %p.name, "single sign-on start failed: {}", e.detail());
            return Ok(unavailable(p));
        }
    };
    let secure = state.config.https();
    let browser = auth::random_token()?;
    state
        .store
        .put_sign_in_attempt(&SignInAttempt {
            state_hash: auth::sha256_hex(&started.state),
            browser_hash: auth::sha256_hex(&browser),
            provider: p.name.clone(),
            nonce: started.nonce,
            pkce_verifier: started.pkce_verifier,
            link_user_id: link_user,
            next: next.to_string(),
            created_at: storage::now(),
        })
        .await?;
    let mut res = match as_page {
        // After a form (linking with a password), a page that moves on: the browser's
        // form-action rule keeps forms from redirecting off the site.
        Some(a) => go(
            Some(a),
            &format!("Going to {}", p.label),
            format!(
                "Sign in at {} to link it to your Linkwork account.",
                p.label
            ),
            started.url,
            format!("Continue to {}", p.label),
        ),
        None => see_other(&started.url),
    };
    res.headers_mut().append(
        SET_COOKIE,
        auth::set_cookie(
            browser_cookie(secure),
            &browser,
            secure,
            Some(ATTEMPT_MINUTES * 60),
        )?,
    );
    Ok(res)
}

/// `GET /login/sso/{provider}`: "Sign in with …".
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<StartQuery>,
    parts: Parts,
) -> Result<Response, AppError> {
    if !address_allows(&state, &parts).await? {
        return Ok(too_many());
    }
    let Some(p) = provider(&state, &name) else {
        return Ok(message(
            StatusCode::BAD_REQUEST,
            None,
            "That sign-in option is not set up",
            "This Linkwork does not offer that way to sign in. Go back to the sign-in page and choose one it shows.".into(),
            "/login",
        ));
    };
    let next = super::login::safe_next(q.next.as_deref().unwrap_or("/"));
    send_to_provider(&state, &p, &next, None, None).await
}

#[derive(serde::Deserialize, Default)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /login/sso/{provider}/callback`: the provider sends the browser back.
pub async fn callback(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<CallbackQuery>,
    parts: Parts,
) -> Result<Response, AppError> {
    let secure = state.config.https();
    let headers: &HeaderMap = &parts.headers;
    // Only a provider this deployment has: nothing is taken or written for any other name.
    let Some(p) = provider(&state, &name) else {
        return Ok(message(
            StatusCode::BAD_REQUEST,
            None,
            "That sign-in option is not set up",
            "This Linkwork does not offer that way to sign in. Go back to the sign-in page and choose one it shows.".into(),
            "/login",
        ));
    };
    if !address_allows(&state, &parts).await? {
        return Ok(too_many());
    }
    let retry = format!("/login/sso/{}", p.name);
    let clear_browser = auth::set_cookie(browser_cookie(secure), "", secure, Some(0))?;
    // The sign-in in flight, taken once, from this browser, for this provider.
    let attempt = match q
        .state
        .as_deref()
        .filter(|s| !s.is_empty() && s.len() <= 512)
    {
        Some(s) => {
            state
                .store
                .take_sign_in_attempt(&auth::sha256_hex(s))
                .await?
        }
        None => None,
    };
    let browser = auth::cookie(headers, browser_cookie(secure)).unwrap_or_default();
    let fresh = |a: &SignInAttempt| {
        storage::now() - a.created_at < chrono::Duration::minutes(ATTEMPT_MINUTES)
    };
    let attempt = match attempt {
        Some(a)
            if a.provider == p.name
                && fresh(&a)
                && !browser.is_empty()
                && auth::constant_time_eq(
                    a.browser_hash.as_bytes(),
                    auth::sha256_hex(&browser).as_bytes(),
                ) =>
        {
            a
        }
        other => {
            let why = match other {
                None => "unknown or already used state",
                Some(_) => "state from another browser, provider, or expired",
            };
            let actor = public_actor(&parts, &state, format!("single sign-on ({})", p.name));
            state
                .store
                .append_audit(
                    &AuditEntry::new(&actor, "sso.failed", "user", None, None).detail(why),
                )
                .await?;
            let mut res = message(
                StatusCode::BAD_REQUEST,
                None,
                "This sign-in has expired",
                "This sign-in link was already used, had expired, or was started in another browser. Start again from the sign-in page.".into(),
                "/login",
            );
            res.headers_mut().append(SET_COOKIE, clear_browser);
            return Ok(res);
        }
    };
    let clear_browser = auth::set_cookie(browser_cookie(secure), "", secure, Some(0))?;
    let finish = |mut res: Response| -> Result<Response, AppError> {
        res.headers_mut().append(SET_COOKIE, clear_browser.clone());
        Ok(res)
    };
    let actor = public_actor(&parts, &state, format!("single sign-on ({})", p.name));
    if let Some(err) = q.error.as_deref() {
        let err: String = err
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(60)
            .collect();
        let desc: String = q
            .error_description
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "sso.failed", "user", None, None)
                    .detail(format!("provider answered {err}: {desc}")),
            )
            .await?;
        let text = if err == "access_denied" {
            format!(
                "The sign-in at {} was cancelled or refused. You can try again, or sign in with your Linkwork password.",
                p.label
            )
        } else {
            format!(
                "{} did not complete the sign-in ({err}). Try again; if it keeps happening, tell your Linkwork administrator.",
                p.label
            )
        };
        return finish(message(
            StatusCode::BAD_REQUEST,
            None,
            "Sign-in did not finish",
            text,
            &retry,
        ));
    }
    let code = q.code.as_deref().unwrap_or_default();
    if code.is_empty() || code.len() > 2048 {
        return finish(message(
            StatusCode::BAD_REQUEST,
            None,
            "Sign-in did not finish",
            format!(
                "{} sent you back without a sign-in code. Start again.",
                p.label
            ),
            &retry,
        ));
    }
    let verified = match p
        .finish(
            &state.config.public_url,
            code,
            &attempt.nonce,
            &attempt.pkce_verifier,
        )
        .await
    {
        Ok(v) => v,
        Err(e) => {
            state
                .store
                .append_audit(
                    &AuditEntry::new(&actor, "sso.failed", "user", None, None).detail(e.detail()),
                )
                .await?;
            let res = match e {
                Failure::Unavailable(_) => unavailable(&p),
                Failure::CodeRefused(_) => message(
                    StatusCode::BAD_REQUEST,
                    None,
                    "Sign-in did not finish",
                    format!("{} did not accept this sign-in (it may have been used already or taken too long). Start again.", p.label),
                    &retry,
                ),
                Failure::BadToken(_) | Failure::NoIdentity(_) => message(
                    StatusCode::BAD_REQUEST,
                    None,
                    "Sign-in could not be checked",
                    format!("Linkwork could not confirm who signed in at {}, so you are not signed in. Try again; if it keeps happening, tell your Linkwork administrator.", p.label),
                    &retry,
                ),
            };
            return finish(res);
        }
    };
    let res = match attempt.link_user_id {
        Some(user) => link_own(&state, &p, user, &verified, attempt.created_at, &actor).await?,
        None => sign_in(&state, &parts, &p, &verified, &attempt.next, &actor).await?,
    };
    finish(res)
}

/// The same page for an identity no account uses and a disabled account.
fn not_for_linkwork(p: &Provider) -> Response {
    message(
        StatusCode::FORBIDDEN,
        None,
        "You cannot sign in with this account",
        format!(
            "Your {} account is not linked to a Linkwork account that can sign in. If you should have access, sign in with your Linkwork password and link it in Settings, or ask your Linkwork administrator to link it.",
            p.label
        ),
        "/login",
    )
}

fn stronger_needed(p: &Provider, why: &str) -> Response {
    message(
        StatusCode::FORBIDDEN,
        None,
        "A stronger sign-in is needed",
        format!(
            "{why} Sign in again at {} with it (for example your smartcard, a security key or an authenticator app).",
            p.label
        ),
        &format!("/login/sso/{}", p.name),
    )
}

async fn sign_in(
    state: &AppState,
    parts: &Parts,
    p: &Provider,
    v: &Verified,
    next: &str,
    actor: &Actor,
) -> Result<Response, AppError> {
    let found = state.store.identity_user(&p.name, &v.subject).await?;
    let (identity, user) = match found {
        Some((i, u)) => (Some(i), u),
        None => match create_at_first_sign_in(state, p, v, actor).await? {
            FirstSignIn::Made(u) => (None, *u),
            FirstSignIn::TooWeak(why) => return Ok(stronger_needed(p, why)),
            FirstSignIn::No => {
                state
                    .store
                    .append_audit(
                        &AuditEntry::new(actor, "signin.refused", "user", None, None)
                            .detail(format!("{} identity not linked to any account", p.name)),
                    )
                    .await?;
                return Ok(not_for_linkwork(p));
            }
        },
    };
    let actor = Actor {
        user_id: Some(user.id),
        label: user.email.clone(),
        ip: actor.ip.clone(),
    };
    let refuse = |why: String| {
        AuditEntry::new(&actor, "signin.refused", "user", Some(user.id), user.pcn_id).detail(why)
    };
    if user.disabled {
        state
            .store
            .append_audit(&refuse(format!("account disabled (via {})", p.name)))
            .await?;
        return Ok(not_for_linkwork(p));
    }
    if let Some(why) = too_weak(state, p, user.role, v) {
        state
            .store
            .append_audit(&refuse(format!(
                "{why} (assurance {}, methods {}, via {})",
                v.acr.as_deref().unwrap_or("none"),
                if v.amr.is_empty() {
                    "none".into()
                } else {
                    v.amr.join(" ")
                },
                p.name
            )))
            .await?;
        return Ok(stronger_needed(p, why));
    }
    // An administrator linked this identity: its holder says the account is theirs first.
    if let Some(i) = identity.as_ref().filter(|i| i.confirmed_at.is_none()) {
        return ask_to_confirm(state, parts, p, v, i, &user, next).await;
    }
    if let Some(i) = &identity {
        state.store.touch_identity(i.id).await?;
    }
    finish_sign_in(state, parts, p, v, user, &actor, next).await
}

/// Why a sign-in is not strong enough for the account's role, if it is not.
fn too_weak(
    state: &AppState,
    p: &Provider,
    role: domain::Role,
    v: &Verified,
) -> Option<&'static str> {
    if !p.assurance_ok(role, v.acr.as_deref()) {
        return Some("Your role needs a stronger way of signing in than the one you used.");
    }
    if !p.second_factor_ok(role, &state.config.second_factor_roles, &v.amr) {
        return Some("Your role must sign in with a second factor, and the provider did not say you used one.");
    }
    None
}

async fn finish_sign_in(
    state: &AppState,
    parts: &Parts,
    p: &Provider,
    v: &Verified,
    user: storage::User,
    actor: &Actor,
    next: &str,
) -> Result<Response, AppError> {
    state
        .store
        .append_audit(
            &AuditEntry::new(actor, "sso.signin", "user", Some(user.id), user.pcn_id).detail(
                format!(
                    "through {}{}",
                    p.name,
                    v.acr
                        .as_deref()
                        .map(|a| format!(", assurance {a}"))
                        .unwrap_or_default()
                ),
            ),
        )
        .await?;
    let secure = state.config.https();
    super::login::sign_in_via(
        state,
        &parts.headers,
        user,
        actor,
        next,
        secure,
        Some((&p.name, &v.id_token)),
    )
    .await
}

enum FirstSignIn {
    Made(Box<storage::User>),
    /// The deployment would make an account, but the sign-in is too weak for its role.
    TooWeak(&'static str),
    No,
}

/// An account made at first sign-in, where the deployment allows it for this provider and
/// the verified email's domain. Role and PCN come from the deployment's rule; the
/// sign-in's strength is checked for that role before anything is made.
async fn create_at_first_sign_in(
    state: &AppState,
    p: &Provider,
    v: &Verified,
    actor: &Actor,
) -> Result<FirstSignIn, AppError> {
    let Some(email) = v.email.as_deref().filter(|_| v.email_verified) else {
        return Ok(FirstSignIn::No);
    };
    let Some(domain) = email.rsplit_once('@').map(|(_, d)| d) else {
        return Ok(FirstSignIn::No);
    };
    let Some((_, pcn_code, role)) = p.create_accounts.iter().find(|(d, _, _)| d == domain) else {
        return Ok(FirstSignIn::No);
    };
    let pcns = state.store.list_pcns().await?;
    let Some(pcn) = pcns
        .iter()
        .find(|x| x.ods_code.eq_ignore_ascii_case(pcn_code))
    else {
        tracing::warn!(provider = %p.name, pcn = %pcn_code, "create_accounts names an unknown PCN");
        return Ok(FirstSignIn::No);
    };
    // An email already used by an account is linked only by its owner or an administrator.
    if state.store.user_by_email(email).await?.is_some() {
        return Ok(FirstSignIn::No);
    }
    if let Some(why) = too_weak(state, p, *role, v) {
        return Ok(FirstSignIn::TooWeak(why));
    }
    let name = v
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| email.to_string());
    let made = state
        .store
        .create_user_with_identity(
            NewUser {
                email: email.to_string(),
                name: name.chars().filter(|c| !c.is_control()).take(120).collect(),
                role: *role,
                pcn_id: Some(pcn.id),
                partner_org_id: None,
                // No password signs in to it: "!" is no argon2 hash.
                password_hash: "!".into(),
            },
            &p.name,
            &v.subject,
            &v.label(),
            actor,
        )
        .await;
    match made {
        Ok(u) => Ok(FirstSignIn::Made(Box::new(u))),
        Err(storage::StorageError::Duplicate(_)) => Ok(FirstSignIn::No),
        Err(e) => Err(e.into()),
    }
}

/// How long a sign-in waits for its holder to confirm an administrator's link.
const CONFIRM_MINUTES: i64 = 10;

#[derive(Template)]
#[template(path = "sso_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    provider: String,
    name: String,
    email: String,
    role: String,
    pcn: String,
    login_csrf: String,
}

/// The first sign-in through an identity an administrator linked: the holder sees the
/// account and PCN it opens and says whether it is theirs (an administrator of one PCN
/// cannot take another's staff identity into an account they control unnoticed).
async fn ask_to_confirm(
    state: &AppState,
    parts: &Parts,
    p: &Provider,
    v: &Verified,
    identity: &storage::SignInIdentity,
    user: &storage::User,
    next: &str,
) -> Result<Response, AppError> {
    let secure = state.config.https();
    let token = auth::random_token()?;
    state
        .store
        .put_notice(
            user.id,
            &auth::sha256_hex(&format!("sso-confirm:{token}")),
            &serde_json::json!({
                "identity": identity.id,
                "provider": p.name,
                "id_token": v.id_token,
                "acr": v.acr,
                "next": next,
                "label": v.label(),
            })
            .to_string(),
            chrono::Utc::now() + chrono::Duration::minutes(CONFIRM_MINUTES),
        )
        .await?;
    let pcn = match user.pcn_id {
        Some(id) => state
            .store
            .list_pcns()
            .await?
            .into_iter()
            .find(|x| x.id == id)
            .map(|x| x.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let form_token = super::self_referral::form_token(&parts.headers, secure)?;
    let page = ConfirmPage {
        ctx: PageCtx::new(None, "Is this your Linkwork account?", "/login"),
        provider: p.label.clone(),
        name: user.name.clone(),
        email: user.email.clone(),
        role: user.role.label().into(),
        pcn,
        login_csrf: form_token.clone(),
    };
    let mut res = views::render(StatusCode::OK, &page);
    let h = res.headers_mut();
    h.append(
        SET_COOKIE,
        auth::set_cookie(
            confirm_cookie(secure),
            &format!("{}.{token}", user.id),
            secure,
            Some(CONFIRM_MINUTES * 60),
        )?,
    );
    h.append(
        SET_COOKIE,
        auth::set_cookie(
            auth::login_csrf_cookie(secure),
            &form_token,
            secure,
            Some(3600),
        )?,
    );
    Ok(res)
}

/// `POST /login/sso/confirm`: "Yes, this is my account" signs in and confirms the link;
/// "No" unlinks it, signs no one in, and is audited for the PCN to look into.
pub async fn confirm(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let secure = state.config.https();
    let form = crate::form::FormData::parse(&body);
    let cookie = auth::cookie(&parts.headers, confirm_cookie(secure)).unwrap_or_default();
    let clear = auth::set_cookie(confirm_cookie(secure), "", secure, Some(0))?;
    let pending = cookie
        .split_once('.')
        .and_then(|(u, t)| u.parse::<i64>().ok().map(|u| (u, t.to_string())));
    let Some((user_id, token)) = pending else {
        return Ok(see_other("/login"));
    };
    let expected =
        auth::cookie(&parts.headers, auth::login_csrf_cookie(secure)).unwrap_or_default();
    if expected.is_empty()
        || !auth::constant_time_eq(expected.as_bytes(), form.get("_csrf").as_bytes())
    {
        return Err(AppError::Csrf);
    }
    let taken = state
        .store
        .take_notice(
            user_id,
            &auth::sha256_hex(&format!("sso-confirm:{token}")),
            chrono::Utc::now(),
        )
        .await?;
    let (Some(body), Some(user)) = (taken, state.store.user_by_id(user_id).await?) else {
        let mut res = message(
            StatusCode::BAD_REQUEST,
            None,
            "This sign-in has expired",
            "This sign-in was already answered or took too long. Start again from the sign-in page.".into(),
            "/login",
        );
        res.headers_mut().append(SET_COOKIE, clear);
        return Ok(res);
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let identity = v["identity"].as_i64().unwrap_or(0);
    let Some(p) = provider(&state, v["provider"].as_str().unwrap_or_default()) else {
        return Err(AppError::NotFound);
    };
    let actor = Actor {
        user_id: Some(user.id),
        label: format!("{} (single sign-on, {})", user.email, p.name),
        ip: auth::client_ip(&parts, &state.config),
    };
    let mut res = if form.get("answer") == "yes" && !user.disabled {
        state.store.confirm_identity(identity, &actor).await?;
        state.store.touch_identity(identity).await?;
        let verified = Verified {
            subject: String::new(),
            email: None,
            email_verified: false,
            name: None,
            acr: v["acr"].as_str().map(str::to_string),
            amr: vec![],
            auth_time: None,
            id_token: v["id_token"].as_str().unwrap_or_default().to_string(),
        };
        let next = super::login::safe_next(v["next"].as_str().unwrap_or("/"));
        finish_sign_in(&state, &parts, &p, &verified, user, &actor, &next).await?
    } else {
        state
            .store
            .unlink_identity(user.id, identity, &actor)
            .await?;
        state
            .store
            .append_audit(
                &AuditEntry::new(&actor, "sso.link_refused", "user", Some(user.id), user.pcn_id)
                    .detail(format!(
                        "the {} identity's holder ({}) said this account is not theirs; the administrator's link was removed",
                        p.name,
                        v["label"].as_str().unwrap_or_default()
                    )),
            )
            .await?;
        message(
            StatusCode::OK,
            None,
            "You have not been signed in",
            format!(
                "Your {} account is no longer linked to that Linkwork account. If you work with Linkwork, ask your own PCN's administrator to set up your account, or sign in with your Linkwork password and link it in Settings.",
                p.label
            ),
            "/login",
        )
    };
    res.headers_mut().append(SET_COOKIE, clear);
    Ok(res)
}

/// The signed-in user proved their password and came back from the provider, having
/// signed in there again just now: link it, and tell them by email.
async fn link_own(
    state: &AppState,
    p: &Provider,
    user_id: i64,
    v: &Verified,
    started: chrono::DateTime<chrono::Utc>,
    actor: &Actor,
) -> Result<Response, AppError> {
    let Some(user) = state.store.user_by_id(user_id).await? else {
        return Err(AppError::NotFound);
    };
    let actor = Actor {
        user_id: Some(user.id),
        label: user.email.clone(),
        ip: actor.ip.clone(),
    };
    if user.disabled {
        return Ok(not_for_linkwork(p));
    }
    // The provider was asked to sign the person in again (max_age=0); it must say it did.
    let just_now = v
        .auth_time
        .is_some_and(|t| t >= started - chrono::Duration::seconds(60));
    if !just_now {
        state
            .store
            .append_audit(
                &AuditEntry::new(
                    &actor,
                    "sso.link_refused",
                    "user",
                    Some(user.id),
                    user.pcn_id,
                )
                .detail(format!(
                    "{} did not sign the person in again (auth_time {})",
                    p.name,
                    v.auth_time.map_or("missing".into(), |t| t.to_rfc3339())
                )),
            )
            .await?;
        return Ok(see_other("/settings/sign-in?done=not-fresh"));
    }
    let linked = state
        .store
        .link_identity(user.id, &p.name, &v.subject, "password", &v.label(), &actor)
        .await?;
    let to = match linked {
        Ok(_) => {
            crate::reminders::notify_sso_linked(state, &user, &p.label, &v.label());
            "/settings/sign-in?done=linked"
        }
        Err(LinkRefused::AccountHasOne) => "/settings/sign-in?done=has-one",
        Err(LinkRefused::TakenByAnother) => {
            state
                .store
                .append_audit(
                    &AuditEntry::new(
                        &actor,
                        "sso.link_refused",
                        "user",
                        Some(user.id),
                        user.pcn_id,
                    )
                    .detail(format!(
                        "{} identity already linked to another account",
                        p.name
                    )),
                )
                .await?;
            "/settings/sign-in?done=taken"
        }
    };
    Ok(see_other(to))
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

async fn settings_page(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    error: &str,
    done: &str,
) -> Result<Response, AppError> {
    let ids = state.store.identities_of(auth.user.id).await?;
    let label_of = |name: &str| {
        state
            .config
            .sso
            .iter()
            .find(|p| p.name == name)
            .map_or_else(
                || format!("{name} (no longer offered)"),
                |p| p.label.clone(),
            )
    };
    let linked = ids
        .iter()
        .map(|i| LinkedRow {
            id: i.id,
            label: if i.label.is_empty() {
                label_of(&i.provider)
            } else {
                format!("{} ({})", label_of(&i.provider), i.label)
            },
            linked: format!(
                "{} ({})",
                views::datetime(i.linked_at),
                match i.linked_how.as_str() {
                    "password" => "by you",
                    "admin" => "by an administrator",
                    _ => "at first sign-in",
                }
            ),
            last_used: match (i.confirmed_at, i.last_used_at) {
                (None, _) => "Not yet: you confirm it at your first sign-in with it".into(),
                (_, Some(t)) => views::datetime(t),
                (_, None) => "Not yet".into(),
            },
        })
        .collect();
    let unlinked = state
        .config
        .sso
        .iter()
        .filter(|p| !ids.iter().any(|i| i.provider == p.name))
        .map(|p| (p.name.clone(), p.label.clone()))
        .collect();
    let page = SettingsPage {
        ctx: PageCtx::new(
            Some(auth),
            if error.is_empty() {
                "Single sign-on"
            } else {
                "Error: Single sign-on"
            },
            "/settings",
        ),
        linked,
        unlinked,
        error: error.into(),
        done: done.into(),
    };
    Ok(views::render(status, &page))
}

/// `GET /settings/sign-in`: the user's linked sign-in accounts.
pub async fn settings(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let done = match q.done.as_deref() {
        Some("linked") => "Linked. Next time you can sign in with it.",
        Some("unlinked") => "Unlinked. You can no longer sign in with it.",
        Some("has-one") => "Your account already has an identity at that provider. Unlink it first to link another.",
        Some("taken") => "That identity is already linked to another Linkwork account, so it was not linked to yours. Ask your administrator.",
        Some("not-fresh") => "Not linked: the provider did not ask you to sign in again. Try again, and sign in at the provider when it asks.",
        _ => "",
    };
    settings_page(&state, &auth, StatusCode::OK, "", done).await
}

/// `POST /settings/sign-in/link`: the user proves their password, then signs in at the
/// provider; the identity it answers with is linked to their account.
pub async fn link(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let Some(p) = provider(&state, form.get("provider")) else {
        return settings_page(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a way to sign in that this Linkwork offers",
            "",
        )
        .await;
    };
    if form.get("password").is_empty() {
        return settings_page(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your Linkwork password",
            "",
        )
        .await;
    }
    if !auth.password_again(&state, form.get("password")).await? {
        return settings_page(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Your password is not right (after several tries, wait 15 minutes)",
            "",
        )
        .await;
    }
    send_to_provider(
        &state,
        &p,
        "/settings/sign-in",
        Some(auth.user.id),
        Some(&auth),
    )
    .await
}

/// `POST /settings/sign-in/unlink`: the user removes one of their own links.
pub async fn unlink(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let id: i64 = form.get("identity").parse().unwrap_or(0);
    let mine = state.store.identities_of(auth.user.id).await?;
    let no_password = argon2::PasswordHash::new(&auth.user.password_hash).is_err();
    if no_password && mine.len() == 1 && mine[0].id == id {
        return settings_page(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            "This is the only way you sign in: ask your administrator to reset your password first, then unlink it",
            "",
        )
        .await;
    }
    if !state
        .store
        .unlink_identity(auth.user.id, id, &auth.actor())
        .await?
    {
        return settings_page(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            "That sign-in is not linked to your account",
            "",
        )
        .await;
    }
    Ok(see_other("/settings/sign-in?done=unlinked"))
}

/// `POST /admin/users/{id}/sso/link`: an administrator links a provider identity (the
/// value of its identifying claim) to an account of their PCN.
pub async fn admin_link(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (form, u) =
        super::admin::managed_user_form(&state, &auth, id, &body, "admin.users.sso_link").await?;
    let subject = form.get("subject").trim();
    let back = |done: &str| see_other(&format!("/admin/users/{id}?done={done}"));
    let Some(p) = provider(&state, form.get("provider")) else {
        return Ok(back("sso-choose"));
    };
    if subject.is_empty() || subject.len() > 255 || subject.chars().any(char::is_control) {
        return Ok(back("sso-subject"));
    }
    let r = state
        .store
        .link_identity(u.id, &p.name, subject, "admin", "", &auth.actor())
        .await?;
    Ok(back(match r {
        Ok(_) => {
            crate::reminders::notify_sso_linked(&state, &u, &p.label, "");
            "sso-linked"
        }
        Err(LinkRefused::AccountHasOne) => "sso-has-one",
        // The same words whether the identity is held elsewhere or not (another PCN's
        // staff are not revealed to this one's administrator).
        Err(LinkRefused::TakenByAnother) => "sso-not-linked",
    }))
}

/// `POST /admin/users/{id}/sso/unlink`: an administrator removes a link.
pub async fn admin_unlink(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (form, u) =
        super::admin::managed_user_form(&state, &auth, id, &body, "admin.users.sso_unlink").await?;
    let identity: i64 = form.get("identity").parse().unwrap_or(0);
    let done = if state
        .store
        .unlink_identity(u.id, identity, &auth.actor())
        .await?
    {
        "sso-unlinked"
    } else {
        "sso-none"
    };
    Ok(see_other(&format!("/admin/users/{id}?done={done}")))
}

/// After Linkwork's own sign-out, where the session came through a provider that offers
/// RP-initiated logout: a page that moves on to end the provider's session too.
pub(crate) async fn provider_sign_out(
    state: &AppState,
    via: &str,
    id_token: Option<&str>,
) -> Option<Response> {
    let p = provider(state, via)?;
    let url = p.logout_url(&state.config.public_url, id_token).await?;
    Some(go(
        None,
        "You have signed out of Linkwork",
        format!("Now signing you out of {} as well.", p.label),
        url,
        format!("Sign out of {}", p.label),
    ))
}
