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
    let started = match p.start(&state.config.public_url).await {
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
) -> Result<Response, AppError> {
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
    let retry = format!("/login/sso/{name}");
    let expired = |why: &str| {
        let actor = public_actor(&parts, &state, format!("single sign-on ({name})"));
        let entry = AuditEntry::new(&actor, "sso.failed", "user", None, None).detail(why);
        (entry, ())
    };
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
            if a.provider == name
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
            let (entry, ()) = expired(why);
            state.store.append_audit(&entry).await?;
            return Ok(message(
                StatusCode::BAD_REQUEST,
                None,
                "This sign-in has expired",
                "This sign-in link was already used, had expired, or was started in another browser. Start again from the sign-in page.".into(),
                "/login",
            ));
        }
    };
    let Some(p) = provider(&state, &name) else {
        return Err(AppError::NotFound);
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
        Some(user) => link_own(&state, &p, user, &verified, &actor).await?,
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

async fn sign_in(
    state: &AppState,
    parts: &Parts,
    p: &Provider,
    v: &Verified,
    next: &str,
    actor: &Actor,
) -> Result<Response, AppError> {
    let found = state.store.identity_user(&p.name, &v.subject).await?;
    let (identity_id, user) = match found {
        Some((i, u)) => (Some(i.id), u),
        None => match create_at_first_sign_in(state, p, v, actor).await? {
            Some(u) => (None, u),
            None => {
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
    if !p.assurance_ok(user.role, v.acr.as_deref()) {
        state
            .store
            .append_audit(&refuse(format!(
                "assurance {} not enough for {} (via {})",
                v.acr.as_deref().unwrap_or("none"),
                user.role.label(),
                p.name
            )))
            .await?;
        return Ok(message(
            StatusCode::FORBIDDEN,
            None,
            "A stronger sign-in is needed",
            format!(
                "Your role needs a stronger way of signing in at {} than the one you used (for example your smartcard or a security key). Sign in again with it.",
                p.label
            ),
            &format!("/login/sso/{}", p.name),
        ));
    }
    if let Some(id) = identity_id {
        state.store.touch_identity(id).await?;
    }
    state
        .store
        .append_audit(
            &AuditEntry::new(&actor, "sso.signin", "user", Some(user.id), user.pcn_id).detail(
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
        &actor,
        next,
        secure,
        Some((&p.name, &v.id_token)),
    )
    .await
}

/// An account made at first sign-in, where the deployment allows it for this provider and
/// the verified email's domain. Role and PCN come from the deployment's rule.
async fn create_at_first_sign_in(
    state: &AppState,
    p: &Provider,
    v: &Verified,
    actor: &Actor,
) -> Result<Option<storage::User>, AppError> {
    let Some(email) = v.email.as_deref().filter(|_| v.email_verified) else {
        return Ok(None);
    };
    let Some(domain) = email.rsplit_once('@').map(|(_, d)| d) else {
        return Ok(None);
    };
    let Some((_, pcn_code, role)) = p.create_accounts.iter().find(|(d, _, _)| d == domain) else {
        return Ok(None);
    };
    let pcns = state.store.list_pcns().await?;
    let Some(pcn) = pcns
        .iter()
        .find(|x| x.ods_code.eq_ignore_ascii_case(pcn_code))
    else {
        tracing::warn!(provider = %p.name, pcn = %pcn_code, "create_accounts names an unknown PCN");
        return Ok(None);
    };
    // An email already used by an account is linked only by its owner or an administrator.
    if state.store.user_by_email(email).await?.is_some() {
        return Ok(None);
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
                name: name.chars().take(120).collect(),
                role: *role,
                pcn_id: Some(pcn.id),
                partner_org_id: None,
                // No password signs in to it: "!" is no argon2 hash.
                password_hash: "!".into(),
            },
            &p.name,
            &v.subject,
            actor,
        )
        .await;
    match made {
        Ok(u) => Ok(Some(u)),
        Err(storage::StorageError::Duplicate(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The signed-in user proved their password and came back from the provider: link it.
async fn link_own(
    state: &AppState,
    p: &Provider,
    user_id: i64,
    v: &Verified,
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
    let linked = state
        .store
        .link_identity(user.id, &p.name, &v.subject, "password", &actor)
        .await?;
    let to = match linked {
        Ok(_) => "/settings/sign-in?done=linked",
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
            label: label_of(&i.provider),
            linked: format!(
                "{} ({})",
                views::datetime(i.linked_at),
                match i.linked_how.as_str() {
                    "password" => "by you",
                    "admin" => "by an administrator",
                    _ => "at first sign-in",
                }
            ),
            last_used: i
                .last_used_at
                .map_or_else(|| "Not yet".into(), views::datetime),
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
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_users(),
        "admin.users.sso_link",
    )
    .await?;
    let u = super::admin::target(&state, &auth, id).await?;
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
        .link_identity(u.id, &p.name, subject, "admin", &auth.actor())
        .await?;
    Ok(back(match r {
        Ok(_) => "sso-linked",
        Err(LinkRefused::AccountHasOne) => "sso-has-one",
        Err(LinkRefused::TakenByAnother) => "sso-taken",
    }))
}

/// `POST /admin/users/{id}/sso/unlink`: an administrator removes a link.
pub async fn admin_unlink(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_users(),
        "admin.users.sso_unlink",
    )
    .await?;
    let u = super::admin::target(&state, &auth, id).await?;
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
