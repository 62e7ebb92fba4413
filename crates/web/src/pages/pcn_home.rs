//! A PCN's public home page (`/pcn/{code}`, by its ODS code): what social prescribing is,
//! the ways in (refer yourself, refer someone from work, see your plan) and its practices.
//! Nothing about any person; the same for everyone.

use crate::views::{self, PageCtx};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

#[derive(Template)]
#[template(path = "pcn_home.html")]
struct PcnHome {
    ctx: PageCtx,
    name: String,
    /// (name, postcode)
    practices: Vec<(String, String)>,
}

pub async fn show(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let Some(pcn) = state
        .store
        .list_pcns()
        .await?
        .into_iter()
        .find(|p| p.ods_code.eq_ignore_ascii_case(code.trim()))
    else {
        return Err(AppError::NotFound);
    };
    let mut practices: Vec<(String, String)> = state
        .store
        .list_practices(pcn.id)
        .await?
        .into_iter()
        .map(|p| (p.name, p.postcode.unwrap_or_default()))
        .collect();
    practices.sort();
    Ok(views::ok(&PcnHome {
        ctx: PageCtx::new(None, format!("Social prescribing at {}", pcn.name), "/pcn"),
        name: pcn.name,
        practices,
    }))
}
