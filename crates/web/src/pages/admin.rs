//! Account administration: a PCN's administrator keeps its staff's accounts, the deployment
//! operator partners' and operators'. Add, change name and role, disable, enable and reset.

use super::{flash, see_other, DoneQuery};
use crate::auth::{self, Auth};
use crate::views::{self, datetime, error_items, ErrorItem, Field, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::{Code, FieldErrors, Role};
use storage::{NewUser, StorageError, User};

struct UserRow {
    id: i64,
    name: String,
    email: String,
    role: String,
    status: String,
    is_self: bool,
    last_sign_in: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    ctx: PageCtx,
    users: Vec<UserRow>,
    errors: Vec<ErrorItem>,
    fields: Vec<Field>,
    notice: Option<String>,
}

/// The accounts this caller manages: a PCN administrator its own PCN's staff; the deployment
/// operator partners' and operators' accounts (which belong to no PCN). Nobody manages the
/// accounts of another PCN, and no PCN manages a partner's (docs/security.md, "Ownership").
async fn visible_users(state: &AppState, auth: &Auth) -> Result<Vec<User>, AppError> {
    let me = auth.user.role;
    let pcn = if me.can_operate() {
        None
    } else {
        Some(auth.pcn()?)
    };
    Ok(state
        .store
        .list_users(pcn)
        .await?
        .into_iter()
        .filter(|u| me.may_create(u.role) || u.id == auth.user.id)
        .collect())
}

async fn render(
    state: &AppState,
    auth: &Auth,
    status: StatusCode,
    form: &crate::form::FormData,
    errors: &FieldErrors,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let now = chrono::Utc::now();
    let users = visible_users(state, auth)
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            is_self: u.id == auth.user.id,
            status: status_of(&u, now),
            last_sign_in: last_sign_in(&u),
            name: u.name,
            email: u.email,
            role: u.role.label().into(),
        })
        .collect();
    let me = auth.user.role;
    let mut roles = vec![Opt {
        value: String::new(),
        label: "Choose".into(),
        selected: form.get("role").is_empty(),
    }];
    roles.extend(
        Role::ALL
            .iter()
            .filter(|r| me.may_create(**r))
            .map(|r| Opt {
                value: r.code().into(),
                label: r.label().into(),
                selected: form.get("role") == r.code(),
            }),
    );
    let mut fields = vec![
        Field::new("text", "name", "Full name")
            .value(form.get("name"))
            .width("20")
            .required()
            .errors(errors),
        Field::new("email", "email", "Email address")
            .value(form.get("email"))
            .width("30")
            .required()
            .errors(errors),
        Field::new("select", "role", "Role")
            .options(roles)
            .required()
            .errors(errors),
    ];
    // Only the operator makes partners' accounts, so only they choose an organisation.
    if me.may_create(Role::Partner) {
        let mut orgs = vec![Opt {
            value: String::new(),
            label: "Not a partner".into(),
            selected: true,
        }];
        orgs.extend(
            state
                .store
                .list_partner_orgs()
                .await?
                .into_iter()
                .map(|o| Opt {
                    selected: form.get("partner_org_id") == o.id.to_string(),
                    value: o.id.to_string(),
                    label: o.name,
                }),
        );
        fields.push(
            Field::new("select", "partner_org_id", "Community partner organisation")
                .hint("Only for the partner role")
                .options(orgs)
                .errors(errors),
        );
    }
    fields.push(Field::new("password", "password", "Temporary password").hint("At least 10 characters. Give it to the person securely; they should change it after signing in.").autocomplete("new-password").required().errors(errors));
    let title = if errors.is_empty() {
        "Users"
    } else {
        "Error: Users"
    };
    Ok(views::render(
        status,
        &UsersPage {
            ctx: PageCtx::new(Some(auth), title, "/admin/users"),
            users,
            errors: error_items(errors),
            fields,
            notice,
        },
    ))
}

pub async fn users(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_manage_users(), "admin.users")
        .await?;
    let notice = match super::take_once(&state, &auth, q.notice.as_deref()).await? {
        Some(n) => Some(n),
        None => flash(q.done.as_deref()),
    };
    render(
        &state,
        &auth,
        StatusCode::OK,
        &Default::default(),
        &FieldErrors::default(),
        notice,
    )
    .await
}

pub async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_users(),
        "admin.users.create",
    )
    .await?;
    let mut e = FieldErrors::default();
    let name = form.get("name").trim().to_string();
    let email = form.get("email").trim().to_lowercase();
    if name.is_empty() || name.chars().count() > 100 {
        e.add(
            "name",
            "Enter the person's full name (100 characters or fewer)",
        );
    }
    if !(email.contains('@')
        && email.contains('.')
        && email.len() <= 254
        && !email.contains(char::is_whitespace))
    {
        e.add(
            "email",
            "Enter an email address in the correct format, like name@example.nhs.uk",
        );
    }
    let role = Role::from_code(form.get("role")).filter(|r| auth.user.role.may_create(*r));
    if role.is_none() {
        e.add("role", "Choose a role from the list");
    }
    let partner_org_id = form.opt_i64("partner_org_id")?;
    let known_org = match partner_org_id {
        Some(o) => state
            .store
            .list_partner_orgs()
            .await?
            .iter()
            .any(|x| x.id == o),
        None => false,
    };
    if role == Some(Role::Partner) && !known_org {
        e.add("partner_org_id", "Choose the partner's organisation");
    }
    if role.is_some_and(|r| r != Role::Partner) && partner_org_id.is_some() {
        e.add(
            "partner_org_id",
            "Only partners belong to a partner organisation: choose 'Not a partner'",
        );
    }
    if let Some(problem) = auth::password_problem(form.get("password"), &email) {
        e.add("password", problem);
    }
    let (Some(role), true) = (role, e.is_empty()) else {
        return render(
            &state,
            &auth,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            &e,
            None,
        )
        .await;
    };
    // Staff belong to their administrator's PCN; partners and operators to none.
    let pcn_id = if matches!(role, Role::Partner | Role::Operator) {
        None
    } else {
        Some(auth.pcn()?)
    };
    let new = NewUser {
        email,
        name,
        role,
        pcn_id,
        partner_org_id,
        password_hash: auth::hash_password(form.get("password"))?,
    };
    match state.store.create_user(new, &auth.actor()).await {
        Ok(u) => {
            if let Some(org) = u.partner_org_id {
                auth.audit_partner_credential(&state, org, &format!("account {} made", u.email))
                    .await?;
            }
            Ok(see_other("/admin/users?done=user-created"))
        }
        Err(StorageError::Duplicate(_)) => {
            e.add("email", "This email address cannot be used: choose another, or ask the person whether they already have an account");
            render(&state, &auth, StatusCode::CONFLICT, &form, &e, None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// An administrator's form about one account of theirs: the form (its CSRF token checked),
/// after the role check, and the account (another PCN's answers as no account does).
pub(crate) async fn managed_user_form(
    state: &AppState,
    auth: &Auth,
    id: i64,
    body: &[u8],
    action: &str,
) -> Result<(crate::form::FormData, User), AppError> {
    let form = auth.form(body)?;
    auth.require(state, auth.user.role.can_manage_users(), action)
        .await?;
    Ok((form, target(state, auth, id).await?))
}

pub(crate) async fn target(state: &AppState, auth: &Auth, id: i64) -> Result<User, AppError> {
    match visible_users(state, auth)
        .await?
        .into_iter()
        .find(|u| u.id == id)
    {
        Some(u) => Ok(u),
        None => Err(auth.not_found(state, "user", id).await),
    }
}

pub async fn disable_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_users(),
        "admin.users.disable",
    )
    .await?;
    if id == auth.user.id {
        return Err(AppError::Conflict(
            "You cannot disable your own account: ask another administrator".into(),
        ));
    }
    let u = target(&state, &auth, id).await?;
    state
        .store
        .set_user_disabled(u.id, true, &auth.actor())
        .await?;
    Ok(see_other("/admin/users?done=user-updated"))
}

pub async fn enable_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (_, u) = managed_user_form(&state, &auth, id, &body, "admin.users.enable").await?;
    state
        .store
        .set_user_disabled(u.id, false, &auth.actor())
        .await?;
    if let Some(org) = u.partner_org_id {
        auth.audit_partner_credential(&state, org, &format!("account {} enabled", u.email))
            .await?;
    }
    Ok(see_other("/admin/users?done=user-updated"))
}

pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (_, u) = managed_user_form(&state, &auth, id, &body, "admin.users.reset").await?;
    let temporary = auth::random_token()?[..16].to_string();
    state
        .store
        .set_password(u.id, &auth::hash_password(&temporary)?, &auth.actor())
        .await?;
    if let Some(org) = u.partner_org_id {
        auth.audit_partner_credential(&state, org, &format!("password of {} reset", u.email))
            .await?;
    }
    let notice = format!("New temporary password for {}: {temporary} — it is shown only once. Their other sessions have been ended and any lock cleared.", u.email);
    super::show_once(&state, &auth, &notice, "/admin/users").await
}

/// One account, for its administrator: what it is, when it last signed in, its name and
/// role to change, and the actions that end its access (each explained before it is done).
#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    ctx: PageCtx,
    id: i64,
    name: String,
    summary: Vec<(String, String)>,
    fields: Vec<Field>,
    errors: Vec<ErrorItem>,
    disabled: bool,
    is_self: bool,
    /// Partners' accounts keep their role (they belong to their organisation).
    role_fixed: bool,
    /// Linked single sign-on identities: id, provider label, when linked.
    identities: Vec<(i64, String, String)>,
    /// Providers the deployment offers (name, label).
    providers: Vec<(String, String)>,
}

/// An account's state in words: disabled, locked until a time, or active.
fn status_of(u: &User, now: chrono::DateTime<chrono::Utc>) -> String {
    if u.disabled {
        "Disabled".into()
    } else if u.locked_until.is_some_and(|t| t > now) {
        format!(
            "Locked until {}",
            u.locked_until.map(datetime).unwrap_or_default()
        )
    } else {
        "Active".into()
    }
}

fn last_sign_in(u: &User) -> String {
    u.last_sign_in_at
        .map_or("Never".into(), crate::views::datetime)
}

async fn user_page(
    state: &AppState,
    auth: &Auth,
    u: &User,
    form: Option<&crate::form::FormData>,
    errors: &FieldErrors,
) -> Result<UserPage, AppError> {
    let now = chrono::Utc::now();
    let status = status_of(u, now);
    let mut summary = vec![
        ("Email".into(), u.email.clone()),
        ("Role".into(), u.role.label().into()),
        ("Status".into(), status),
        ("Last signed in".into(), last_sign_in(u)),
        (
            "Second factor".into(),
            if u.has_second_factor() {
                "Authenticator app set up".into()
            } else {
                "None: password only".into()
            },
        ),
        (
            "Account made".into(),
            crate::views::date(domain::uk_time::to_uk(u.created_at).date()),
        ),
    ];
    if let Some(org) = u.partner_org_id {
        let name = state
            .store
            .list_partner_orgs()
            .await?
            .into_iter()
            .find(|o| o.id == org)
            .map(|o| o.name)
            .unwrap_or_default();
        summary.push(("Organisation".into(), name));
    }
    let name = form.map_or(u.name.clone(), |f| f.get("name").to_string());
    let role = form.map_or(u.role.code().to_string(), |f| f.get("role").to_string());
    let role_fixed = u.role == Role::Partner || u.id == auth.user.id;
    let mut fields = vec![Field::new("text", "name", "Full name")
        .value(name)
        .width("20")
        .required()
        .errors(errors)];
    if !role_fixed {
        fields.push(
            Field::new("select", "role", "Role")
                .hint("A new role applies from their next sign-in: their current sessions end")
                .options(
                    Role::ALL
                        .iter()
                        .filter(|r| auth.user.role.may_create(**r) && **r != Role::Partner)
                        .map(|r| Opt {
                            value: r.code().into(),
                            label: r.label().into(),
                            selected: role == r.code(),
                        })
                        .collect(),
                )
                .required()
                .errors(errors),
        );
    }
    let title = if errors.is_empty() {
        u.name.clone()
    } else {
        format!("Error: {}", u.name)
    };
    Ok(UserPage {
        ctx: PageCtx::new(Some(auth), title, "/admin/users"),
        id: u.id,
        name: u.name.clone(),
        summary,
        fields,
        errors: error_items(errors),
        disabled: u.disabled,
        is_self: u.id == auth.user.id,
        role_fixed,
        identities: state
            .store
            .identities_of(u.id)
            .await?
            .into_iter()
            .map(|i| {
                let label = state
                    .config
                    .sso
                    .iter()
                    .find(|p| p.name == i.provider)
                    .map_or(i.provider.clone(), |p| p.label.clone());
                let when = match i.confirmed_at {
                    Some(_) => datetime(i.linked_at),
                    None => format!(
                        "{}, waiting for them to confirm it at their first sign-in with it",
                        datetime(i.linked_at)
                    ),
                };
                let label = if i.label.is_empty() {
                    label
                } else {
                    format!("{label} ({})", i.label)
                };
                (i.id, label, when)
            })
            .collect(),
        providers: state
            .config
            .sso
            .iter()
            .map(|p| (p.name.clone(), p.label.clone()))
            .collect(),
    })
}

pub async fn user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_manage_users(), "admin.users")
        .await?;
    let u = target(&state, &auth, id).await?;
    let page = user_page(&state, &auth, &u, None, &FieldErrors::default()).await?;
    Ok(views::ok(&page))
}

pub async fn update_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (form, u) = managed_user_form(&state, &auth, id, &body, "admin.users.update").await?;
    let mut e = FieldErrors::default();
    let name = form.get("name").trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        e.add(
            "name",
            "Enter the person's full name (100 characters or fewer)",
        );
    }
    // Your own role, and a partner's, stay as they are (no one locks themselves out; a
    // partner's account belongs to their organisation).
    let role = if u.role == Role::Partner || u.id == auth.user.id {
        Some(u.role)
    } else {
        let r = Role::from_code(form.get("role"))
            .filter(|r| auth.user.role.may_create(*r) && *r != Role::Partner);
        if r.is_none() {
            e.add("role", "Choose a role from the list");
        }
        r
    };
    let (Some(role), true) = (role, e.is_empty()) else {
        let page = user_page(&state, &auth, &u, Some(&form), &e).await?;
        return Ok(views::render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    state
        .store
        .update_user(u.id, &name, role, &auth.actor())
        .await?;
    Ok(see_other("/admin/users?done=user-updated"))
}
