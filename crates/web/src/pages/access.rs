//! Need-to-know (break-glass): a link worker opening a person who is not theirs says why
//! first. The reason goes into the audit log under the person's PCN (the manager sees it on
//! the audit page) and opens the record to them for the rest of the working day.

use super::see_other;
use crate::auth::Auth;
use crate::views::{self, error_items, ErrorItem, Field, Opt, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::FieldErrors;
use storage::StorageError;

/// How long a reason opens the record.
const FOR_HOURS: i64 = 12;

/// The reasons a link worker usually has, and "another reason" to describe.
const REASONS: [(&str, &str); 5] = [
    ("covering", "Covering for a colleague who is away"),
    (
        "duty",
        "On duty: the person or a professional contacted the team",
    ),
    ("safeguarding", "A safeguarding concern"),
    ("handover", "Taking the person on, or handing them over"),
    ("other", "Another reason (describe it below)"),
];

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "access_reason.html")]
struct ReasonPage {
    ctx: PageCtx,
    action: String,
    next: String,
    errors: Vec<ErrorItem>,
    fields: Vec<Field>,
}

/// Where to go afterwards: a page of this site, else the person.
fn safe_next(next: &str, person: i64) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if local {
        next.to_string()
    } else {
        format!("/people/{person}")
    }
}

async fn person_in_pcn(state: &AppState, auth: &Auth, id: i64) -> Result<i64, AppError> {
    auth.require(
        state,
        auth.user.role.can_read_people(),
        "person.access_reason",
    )
    .await?;
    let pcn = auth.pcn()?;
    if state.store.get_person(pcn, id).await?.is_none() {
        return Err(auth.not_found(state, "person", id).await);
    }
    Ok(pcn)
}

fn render(
    id: i64,
    auth: &Auth,
    next: &str,
    form: &crate::form::FormData,
    e: &FieldErrors,
) -> Response {
    let status = if e.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let reasons = REASONS
        .iter()
        .map(|(code, label)| Opt {
            value: (*code).into(),
            label: (*label).into(),
            selected: form.get("reason") == *code,
        })
        .collect();
    let fields = vec![
        Field::new("radios", "reason", "Why do you need this person's record?")
            .options(reasons)
            .required()
            .errors(e),
        Field::new("textarea", "detail", "More detail")
            .hint("Needed for another reason; helpful for any. Your PCN's managers read this in the audit log.")
            .value(form.get("detail"))
            .errors(e),
    ];
    let title = if e.is_empty() {
        "Say why you need this record"
    } else {
        "Error: Say why you need this record"
    };
    views::render(
        status,
        &ReasonPage {
            ctx: PageCtx::new(Some(auth), title, "/people"),
            action: format!("/people/{id}/access"),
            next: safe_next(next, id),
            errors: error_items(e),
            fields,
        },
    )
}

/// The question, before anything of the person is shown.
pub async fn form(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let pcn = person_in_pcn(&state, &auth, id).await?;
    let next = q.next.as_deref().unwrap_or_default();
    // Nothing to ask of someone whose record this already is, or who oversees the PCN.
    if auth.need_to_know(&state, pcn, id).await.is_ok() {
        return Ok(see_other(&safe_next(next, id)));
    }
    Ok(render(
        id,
        &auth,
        next,
        &Default::default(),
        &FieldErrors::default(),
    ))
}

/// Records the reason (audited) and goes on to the page that was asked for.
pub async fn give(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    let pcn = person_in_pcn(&state, &auth, id).await?;
    let next = safe_next(form.get("next"), id);
    let detail = form.get("detail").trim();
    let mut e = FieldErrors::default();
    let reason = REASONS.iter().find(|(code, _)| *code == form.get("reason"));
    match reason {
        None => e.add("reason", "Choose why you need this person's record"),
        Some(("other", _)) if detail.is_empty() => {
            e.add("detail", "Describe why you need this person's record")
        }
        _ => {}
    }
    if detail.chars().count() > 500 {
        e.add("detail", "Keep the detail to 500 characters or fewer");
    }
    let Some((_, label)) = reason.filter(|_| e.is_empty()) else {
        return Ok(render(id, &auth, &next, &form, &e));
    };
    let said = if detail.is_empty() {
        (*label).to_string()
    } else {
        format!("{label}: {detail}")
    };
    let until = chrono::Utc::now() + chrono::Duration::hours(FOR_HOURS);
    match state
        .store
        .give_access_reason(pcn, id, auth.user.id, &said, until, &auth.actor())
        .await
    {
        Ok(()) => Ok(see_other(&next)),
        Err(StorageError::NotFound) => Err(auth.not_found(&state, "person", id).await),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_a_page_of_this_site_is_gone_on_to() {
        assert_eq!(safe_next("/people/3?tab=plan", 3), "/people/3?tab=plan");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "",
        ] {
            assert_eq!(safe_next(bad, 3), "/people/3", "{bad:?}");
        }
    }
}
