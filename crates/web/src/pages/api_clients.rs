//! API clients: a PCN's administrator registers its GP clinical systems and referral hubs,
//! the deployment operator partners' systems (no PCN may bind a client to a partner that
//! other PCNs refer to). Choose its scopes, see its secret once, revoke it.

use super::{flash, see_other, DoneQuery};
use crate::auth::{random_token, sha256_hex, Auth};
use crate::views::{self, datetime, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::interop::scopes_string;
use domain::{ClientKind, Code, Scope};
use storage::{ApiClient, NewApiClient, StorageError};

/// Whether the caller may register a client of `kind`: partners' systems are the operator's,
/// every other kind its PCN administrator's.
fn registers(auth: &Auth, kind: ClientKind) -> bool {
    if auth.user.role.can_operate() {
        kind == ClientKind::Partner
    } else {
        kind != ClientKind::Partner && auth.user.pcn_id.is_some()
    }
}

/// Whether the caller sees and may revoke `c`: their PCN's clients, or (the operator)
/// partners' systems.
fn manages(auth: &Auth, c: &ApiClient) -> bool {
    registers(auth, c.kind) && (auth.user.role.can_operate() || c.pcn_id == auth.user.pcn_id)
}

struct ClientRow {
    id: i64,
    client_id: String,
    name: String,
    kind: String,
    bound_to: String,
    scopes: String,
    last_used: String,
    revoked: bool,
    /// The `kid`s of its registered public keys (empty: none).
    key_ids: String,
    /// Whether it may still sign in with its secret.
    secret_on: bool,
}

/// The `kid`s in a registered key set, for the list ("k1, k2").
fn key_ids(jwks: Option<&str>) -> String {
    jwks.and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|v| {
            v["keys"].as_array().map(|keys| {
                keys.iter()
                    .filter_map(|k| k["kid"].as_str().map(str::to_string))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        })
        .unwrap_or_default()
}

struct ScopeOpt {
    code: &'static str,
    label: &'static str,
    kinds: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "admin_api_clients.html")]
struct ClientsPage {
    ctx: PageCtx,
    clients: Vec<ClientRow>,
    kinds: Vec<Opt>,
    practices: Vec<Opt>,
    partners: Vec<Opt>,
    scopes: Vec<ScopeOpt>,
    name: String,
    error: Option<String>,
    /// The new client's id and secret, shown once.
    created: Option<(String, String)>,
    /// A refused key set: the client's row id and why, with what was pasted (kept to fix).
    key_error: Option<(i64, String)>,
    key_error_at: i64,
}

/// What the page says besides the list: a problem with the registration form, a new
/// client's secret (once), a flash after a redirect, or a refused key set at its client.
#[derive(Default)]
struct Notices<'a> {
    error: Option<String>,
    created: Option<(String, String)>,
    done: Option<&'a str>,
    key_error: Option<(i64, String)>,
}

async fn render(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    form: Option<&crate::form::FormData>,
    notices: Notices<'_>,
) -> Result<Response, AppError> {
    let Notices {
        error,
        created,
        done,
        key_error,
    } = notices;
    let practices = match auth.user.pcn_id {
        Some(pcn) => state.store.list_practices(pcn).await?,
        None => vec![],
    };
    let partners = state.store.list_partner_orgs().await?;
    let clients = state
        .store
        .api_clients()
        .await?
        .into_iter()
        .filter(|c| manages(auth, c))
        .map(|c| ClientRow {
            id: c.id,
            bound_to: match c.kind {
                ClientKind::Partner => partners
                    .iter()
                    .find(|p| Some(p.id) == c.partner_org_id)
                    .map_or("Unknown organisation".into(), |p| p.name.clone()),
                _ => practices
                    .iter()
                    .find(|p| Some(p.id) == c.practice_id)
                    .map_or("The whole PCN".into(), |p| {
                        format!("{} ({})", p.name, p.ods_code)
                    }),
            },
            client_id: c.client_id,
            name: c.name,
            kind: c.kind.label().into(),
            scopes: scopes_string(&c.scopes),
            last_used: c.last_used_at.map_or("Never".into(), datetime),
            revoked: c.revoked_at.is_some(),
            key_ids: key_ids(c.jwks.as_deref()),
            secret_on: c.secret_on,
        })
        .collect();
    let get = |k: &str| form.map(|f| f.get(k).to_string()).unwrap_or_default();
    let chosen_scopes = form.map(|f| f.all("scopes")).unwrap_or_default();
    let opts = |values: Vec<(String, String)>, chosen: &str| {
        values
            .into_iter()
            .map(|(value, label)| Opt {
                selected: value == chosen,
                value,
                label,
            })
            .collect::<Vec<_>>()
    };
    let mut practice_values = vec![(String::new(), "Choose a practice (GP systems)".to_string())];
    practice_values.extend(
        practices
            .iter()
            .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.ods_code))),
    );
    let mut partner_values = vec![(
        String::new(),
        "Choose an organisation (partners' systems)".to_string(),
    )];
    if auth.user.role.can_operate() {
        partner_values.extend(partners.iter().map(|p| (p.id.to_string(), p.name.clone())));
    }
    Ok(views::render(
        status,
        &ClientsPage {
            ctx: PageCtx::new(Some(auth), "API clients", "/admin/api-clients").flash(flash(done)),
            clients,
            kinds: opts(
                ClientKind::ALL
                    .iter()
                    .filter(|k| registers(auth, **k))
                    .map(|k| (k.code().to_string(), k.label().to_string()))
                    .collect(),
                &get("kind"),
            ),
            practices: opts(practice_values, &get("practice_id")),
            partners: opts(partner_values, &get("partner_org_id")),
            scopes: Scope::ALL
                .iter()
                .map(|s| ScopeOpt {
                    code: s.code(),
                    label: s.label(),
                    kinds: ClientKind::ALL
                        .iter()
                        .filter(|k| k.allowed_scopes().contains(s))
                        .map(|k| k.label().split(' ').next().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(", "),
                    checked: chosen_scopes.iter().any(|c| c == s.code()),
                })
                .collect(),
            name: get("name"),
            error,
            created,
            key_error_at: key_error.as_ref().map_or(0, |(id, _)| *id),
            key_error,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_administer(), "api_clients.list")
        .await?;
    let created = super::take_once(&state, &auth, q.notice.as_deref())
        .await?
        .and_then(|n| {
            n.split_once('\n')
                .map(|(id, s)| (id.to_string(), s.to_string()))
        });
    render(
        &state,
        &auth,
        StatusCode::OK,
        None,
        Notices {
            created,
            done: q.done.as_deref(),
            ..Notices::default()
        },
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_administer(),
        "api_clients.create",
    )
    .await?;
    let pcn = auth.user.pcn_id;
    let name = form.get("name").trim().to_string();
    let kind = ClientKind::from_code(form.get("kind")).filter(|k| registers(&auth, *k));
    let mut scopes = vec![];
    let mut problem = None;
    for s in form.all("scopes") {
        match Scope::from_code(&s) {
            Some(sc) if !scopes.contains(&sc) => scopes.push(sc),
            Some(_) => {}
            None => problem = Some(format!("Unknown scope '{s}'")),
        }
    }
    let practices = match pcn {
        Some(pcn) => state.store.list_practices(pcn).await?,
        None => vec![],
    };
    let partners = state.store.list_partner_orgs().await?;
    let practice_id = form.opt_i64("practice_id")?;
    let partner_org_id = form.opt_i64("partner_org_id")?;
    if name.is_empty() || name.chars().count() > 100 {
        problem = Some("Enter a name for the client (up to 100 characters), such as the practice's clinical system".into());
    } else if kind.is_none() {
        problem = Some("Choose what kind of system this is, from the list".into());
    } else if scopes.is_empty() {
        problem = Some("Choose at least one scope".into());
    }
    if let (None, Some(kind)) = (&problem, kind) {
        if let Some(s) = scopes.iter().find(|s| !kind.allowed_scopes().contains(s)) {
            problem = Some(format!(
                "A {} may not have the scope '{}'",
                kind.label().to_lowercase(),
                s.code()
            ));
        }
        match kind {
            _ if problem.is_some() => {}
            ClientKind::GpSystem
                if !practice_id.is_some_and(|p| practices.iter().any(|x| x.id == p)) =>
            {
                problem = Some("Choose the practice this GP system serves".into())
            }
            ClientKind::Partner
                if !partner_org_id.is_some_and(|p| partners.iter().any(|x| x.id == p)) =>
            {
                problem = Some("Choose the partner organisation this system answers for".into())
            }
            _ => {}
        }
    }
    if let Some(p) = problem {
        return render(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&form),
            Notices {
                error: Some(p),
                ..Notices::default()
            },
        )
        .await;
    }
    let Some(kind) = kind else {
        return Err(AppError::BadRequest("Choose a kind".into()));
    };
    let client_id = format!("lw-{}", &random_token()?[..20]);
    let secret = random_token()?;
    let new = NewApiClient {
        client_id: client_id.clone(),
        name,
        kind,
        pcn_id: (kind != ClientKind::Partner).then_some(pcn).flatten(),
        practice_id: (kind == ClientKind::GpSystem)
            .then_some(practice_id)
            .flatten(),
        partner_org_id: (kind == ClientKind::Partner)
            .then_some(partner_org_id)
            .flatten(),
        scopes,
        secret_hash: sha256_hex(&secret),
    };
    state.store.create_api_client(&new, &auth.actor()).await?;
    if let Some(org) = new.partner_org_id {
        auth.audit_partner_credential(&state, org, &format!("API client {client_id} registered"))
            .await?;
    }
    // Shown once, after a redirect: a refresh registers nothing again.
    super::show_once(
        &state,
        &auth,
        &format!("{client_id}\n{secret}"),
        "/admin/api-clients",
    )
    .await
}

/// The client an administrator's form is about: CSRF and role checked, and the client one
/// they manage (else 404, audited). Returns the form as well.
async fn managed_client(
    state: &AppState,
    auth: &Auth,
    id: i64,
    body: &[u8],
    what: &str,
) -> Result<(crate::form::FormData, ApiClient), AppError> {
    let form = auth.form(body)?;
    auth.require(state, auth.user.role.can_administer(), what)
        .await?;
    let found = state
        .store
        .api_clients()
        .await?
        .into_iter()
        .find(|c| c.id == id && manages(auth, c));
    match found {
        Some(c) => Ok((form, c)),
        None => Err(auth.not_found(state, "api_client", id).await),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    managed_client(&state, &auth, id, &body, "api_clients.revoke").await?;
    match state.store.revoke_api_client(id, &auth.actor()).await {
        Ok(()) | Err(StorageError::NotFound) => {
            Ok(see_other("/admin/api-clients?done=client-revoked"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Registers a client's public keys (a JWK Set it publishes as jwks.json), replacing any
/// before: it may then sign in with a signed JWT (SMART Backend Services) as well as its
/// secret. To rotate, paste a set with both the old and the new key, then later the new
/// alone. An empty box removes the keys.
pub async fn keys(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (form, c) = managed_client(&state, &auth, id, &body, "api_clients.keys").await?;
    if c.revoked_at.is_some() {
        return render(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Notices {
                error: Some(format!(
                    "{} was revoked, so it takes no keys: register a new client",
                    c.name
                )),
                ..Notices::default()
            },
        )
        .await;
    }
    let text = form.get("jwks").trim();
    if text.is_empty() && !c.secret_on {
        return render(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&form),
            Notices {
                key_error: Some((
                    id,
                    format!(
                        "{} signs in only with its keys, so they cannot be removed: to stop it signing in, revoke it",
                        c.name
                    ),
                )),
                ..Notices::default()
            },
        )
        .await;
    }
    let jwks = if text.is_empty() {
        None
    } else {
        match crate::fhir::assertion::check_jwks(text) {
            Ok(tidy) => Some(tidy),
            Err(e) => {
                return render(
                    &state,
                    &auth,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&form),
                    Notices {
                        key_error: Some((
                            id,
                            format!("Public keys for {}: {e}. Nothing was changed.", c.name),
                        )),
                        ..Notices::default()
                    },
                )
                .await
            }
        }
    };
    state
        .store
        .set_api_client_keys(id, jwks.as_deref(), &auth.actor())
        .await?;
    if let Some(org) = c.partner_org_id {
        auth.audit_partner_credential(
            &state,
            org,
            &format!("API client {} public keys changed", c.client_id),
        )
        .await?;
    }
    Ok(see_other(if jwks.is_some() {
        "/admin/api-clients?done=client-keys-saved"
    } else {
        "/admin/api-clients?done=client-keys-removed"
    }))
}

/// Turns a client's secret off (it has keys): from then on it signs in with a signed JWT only,
/// so a leaked secret is worth nothing. For good: a client that needs a secret again is
/// registered anew.
pub async fn secret_off(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (_, c) = managed_client(&state, &auth, id, &body, "api_clients.secret_off").await?;
    match state.store.turn_off_client_secret(id, &auth.actor()).await {
        Ok(()) => {
            if let Some(org) = c.partner_org_id {
                auth.audit_partner_credential(
                    &state,
                    org,
                    &format!("API client {} secret turned off", c.client_id),
                )
                .await?;
            }
            Ok(see_other("/admin/api-clients?done=client-secret-off"))
        }
        Err(StorageError::NotFound) => {
            render(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Notices {
                    key_error: Some((
                        id,
                        format!(
                            "{} has no public keys (or was revoked): register its keys before turning its secret off",
                            c.name
                        ),
                    )),
                    ..Notices::default()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
