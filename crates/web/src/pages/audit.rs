//! The audit log for managers: filter by person, user, action and dates.

use crate::auth::Auth;
use crate::views::{self, datetime, Field, Opt, PageCtx};
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

/// What a manager looks for in the log, in words, with the action codes it covers (a code
/// prefix). The table shows each record's action in the same words.
const ACTIONS: &[(&str, &str)] = &[
    ("person.read", "Read a person's record"),
    ("person.search", "Searched for people"),
    ("person.create", "Added a person"),
    ("person.update", "Changed a person's details"),
    ("person.merge", "Merged two records of one person"),
    ("person.unmerge", "Undid a merge of records"),
    ("person.access_reason", "Gave a reason to open a record"),
    (
        "person.duplicates",
        "Was shown records that may be the same person",
    ),
    (
        "person.duplicate_matched",
        "A referral from another system looked like this record",
    ),
    ("access.", "Was refused or asked why"),
    ("record.form", "Opened a form on a person's record"),
    ("referral.", "Referrals"),
    (
        "episode.",
        "Episode changes (assign, close, discharge, reopen)",
    ),
    ("contact.", "Contacts recorded"),
    ("plan.", "Care and support plans"),
    ("measure.", "Outcome measures"),
    ("safeguarding.", "Safeguarding"),
    ("coding.", "GP record codes"),
    ("connection.", "Referrals to community services"),
    ("signin.success", "Signed in"),
    ("signin.", "Sign-ins, failed and refused too"),
    ("user.", "Accounts added or changed"),
    ("token.", "API tokens"),
    ("fhir.", "GP systems and other systems (FHIR)"),
    ("directory.", "Directory changes"),
    ("audit.view", "Read the audit log"),
];

/// An action code in words: the most specific entry of [`ACTIONS`] that covers it.
fn in_words(code: &str) -> String {
    ACTIONS
        .iter()
        .filter(|(prefix, _)| {
            code == *prefix || (prefix.ends_with('.') && code.starts_with(prefix))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or_else(|| code.to_string(), |(_, words)| (*words).to_string())
}

struct Row {
    seq: i64,
    at: String,
    who: String,
    ip: String,
    action: String,
    code: String,
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
            action: in_words(&r.action),
            code: r.action,
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
        Field::new("select", "action", "What happened").options(
            std::iter::once(Opt {
                value: String::new(),
                label: "Anything".into(),
                selected: q.action.trim().is_empty(),
            })
            .chain(ACTIONS.iter().map(|(code, words)| Opt {
                value: (*code).into(),
                label: (*words).into(),
                selected: q.action.trim() == *code,
            }))
            .collect(),
        ),
        Field::new("date", "from", "From").value(&q.from),
        Field::new("date", "to", "To").value(&q.to),
    ];
    Ok(views::ok(&AuditPage {
        ctx: PageCtx::new(Some(&auth), "Audit log", "/audit"),
        fields,
        rows,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn actions_read_as_words() {
        assert_eq!(super::in_words("person.read"), "Read a person's record");
        assert_eq!(super::in_words("signin.success"), "Signed in");
        assert_eq!(
            super::in_words("signin.failed"),
            "Sign-ins, failed and refused too"
        );
        assert_eq!(
            super::in_words("episode.reopen"),
            "Episode changes (assign, close, discharge, reopen)"
        );
        assert_eq!(super::in_words("something.new"), "something.new");
    }
}
