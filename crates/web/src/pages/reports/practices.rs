//! Choosing which practices the reports cover.

use super::*;

#[derive(Template)]
#[template(path = "practices.html")]
pub(super) struct PracticesPage {
    ctx: PageCtx,
    practices: Vec<(i64, String, String)>,
    error: Option<String>,
}

pub async fn practices(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_pcn_settings(),
        "practice.list_sizes",
    )
    .await?;
    let c = choices(&state, auth.pcn()?).await?;
    Ok(views::ok(&PracticesPage {
        ctx: PageCtx::new(Some(&auth), "Practice list sizes", "/dashboard")
            .flash(flash(done.done.as_deref())),
        practices: c
            .practices
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    p.name,
                    p.list_size.map(|l| l.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        error: None,
    }))
}

pub async fn save_practices(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(
        &state,
        auth.user.role.can_manage_pcn_settings(),
        "practice.list_sizes",
    )
    .await?;
    let pcn = auth.pcn()?;
    let c = choices(&state, pcn).await?;
    // Check every value before saving any, so a bad one changes nothing.
    let mut changes = Vec::new();
    let mut bad = Vec::new();
    for p in &c.practices {
        let typed = form.get(&format!("size_{}", p.id)).trim().replace(',', "");
        let value = if typed.is_empty() {
            None
        } else {
            match typed.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Some(n),
                _ => {
                    bad.push(p.name.clone());
                    continue;
                }
            }
        };
        if value != p.list_size {
            changes.push((p.id, value));
        }
    }
    if !bad.is_empty() {
        return Ok(views::render(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &PracticesPage {
                ctx: PageCtx::new(Some(&auth), "Practice list sizes", "/dashboard"),
                practices: c
                    .practices
                    .iter()
                    .map(|p| {
                        (
                            p.id,
                            p.name.clone(),
                            form.get(&format!("size_{}", p.id)).to_string(),
                        )
                    })
                    .collect(),
                error: Some(format!(
                    "Enter each list size as a whole number from 1 to 1,000,000, or leave it blank. Check: {}",
                    bad.join(", ")
                )),
            },
        ));
    }
    for (id, value) in changes {
        state
            .store
            .set_practice_list_size(pcn, id, value, &auth.actor())
            .await?;
    }
    Ok(see_other("/reports/practices?done=list-sizes"))
}
