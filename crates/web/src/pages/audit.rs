//! The audit log for managers: filter by person, user, action and dates.

use crate::auth::Auth;
use crate::views::{self, datetime, Field, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Duration;
use storage::{AuditEntry, AuditFilter};

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

struct Row {
    seq: i64,
    at: String,
    who: String,
    ip: String,
    action: String,
    entity: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: PageCtx,
    fields: Vec<Field>,
    rows: Vec<Row>,
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_view_audit(), "audit.view")
        .await?;
    let mut f = AuditFilter {
        pcn_id: Some(auth.pcn()?),
        limit: 500,
        ..Default::default()
    };
    if !q.person_id.trim().is_empty() {
        f.entity = Some("person".into());
        f.entity_id =
            Some(q.person_id.trim().parse().map_err(|_| {
                AppError::BadRequest("Person number must be a whole number".into())
            })?);
    }
    if !q.user.trim().is_empty() {
        let u = state
            .store
            .user_by_email(q.user.trim())
            .await?
            .filter(|u| u.pcn_id == auth.user.pcn_id);
        f.actor_id = Some(u.map_or(-1, |u| u.id));
    }
    if !q.action.trim().is_empty() {
        f.action_prefix = Some(q.action.trim().chars().take(50).collect());
    }
    let day = |s: &str, what: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        domain::person::parse_date(s)
            .map(|d| Some(domain::uk_time::start_of(d)))
            .ok_or_else(|| {
                AppError::BadRequest(format!("{what} must be a real date, like 2026-11-01"))
            })
    };
    f.since = day(&q.from, "From")?;
    f.until = day(&q.to, "To")?.map(|t| t + Duration::days(1));
    let records = state.store.list_audit(&f).await?;
    state
        .store
        .append_audit(
            &AuditEntry::new(&auth.actor(), "audit.view", "audit", None, auth.user.pcn_id)
                .detail(format!("{} records", records.len())),
        )
        .await?;
    let rows = records
        .into_iter()
        .map(|r| Row {
            seq: r.seq,
            at: datetime(r.at),
            who: r.actor_label,
            ip: r.ip.unwrap_or_default(),
            action: r.action,
            entity: match r.entity_id {
                Some(id) => format!("{} {id}", r.entity),
                None => r.entity,
            },
            detail: r.detail,
        })
        .collect();
    let fields = vec![
        Field::new("text", "person_id", "Person number")
            .value(&q.person_id)
            .width("10"),
        Field::new("email", "user", "User's email")
            .value(&q.user)
            .width("20"),
        Field::new("text", "action", "Action")
            .hint("For example person.read or signin")
            .value(&q.action)
            .width("10"),
        Field::new("date", "from", "From").value(&q.from),
        Field::new("date", "to", "To").value(&q.to),
    ];
    Ok(views::ok(&AuditPage {
        ctx: PageCtx::new(Some(&auth), "Audit log", "/audit"),
        fields,
        rows,
    }))
}
