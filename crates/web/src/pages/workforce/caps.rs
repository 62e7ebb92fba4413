//! Maximum reimbursable amounts (admins): the caps page and saving a cap.

use super::*;

#[derive(Template)]
#[template(path = "admin_arrs.html")]
pub(super) struct CapsPage {
    ctx: PageCtx,
    caps: Vec<(String, String, String)>,
    error: Option<String>,
    year: String,
    amount: String,
    note: String,
}

pub(super) async fn caps_page(
    state: &AppState,
    auth: &Auth,
    error: Option<String>,
    typed: (String, String, String),
    done: Option<&str>,
) -> Result<CapsPage, AppError> {
    Ok(CapsPage {
        ctx: PageCtx::new(Some(auth), "ARRS maximum amounts", "/admin/arrs").flash(flash(done)),
        caps: state
            .store
            .arrs_caps()
            .await?
            .into_iter()
            .map(|c: ArrsCap| {
                (
                    FinancialYear(c.fy_start).label(),
                    format_pounds(c.max_pence),
                    c.note,
                )
            })
            .collect(),
        error,
        year: typed.0,
        amount: typed.1,
        note: typed.2,
    })
}

pub async fn caps(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    auth.require(&state, auth.user.role.can_operate(), "arrs.caps")
        .await?;
    Ok(views::ok(
        &caps_page(
            &state,
            &auth,
            None,
            Default::default(),
            done.done.as_deref(),
        )
        .await?,
    ))
}

pub async fn save_cap(
    State(state): State<AppState>,
    auth: Auth,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = auth.form(&body)?;
    auth.require(&state, auth.user.role.can_operate(), "arrs.caps")
        .await?;
    let typed = (
        form.get("year").trim().to_string(),
        form.get("amount").trim().to_string(),
        form.get("note").trim().to_string(),
    );
    let fy = FinancialYear::parse(&typed.0);
    // £1,000 to £1,000,000, in pence.
    let amount = parse_pounds(&typed.1).filter(|p| (100_000..=100_000_000).contains(p));
    let problem = match (fy, amount) {
        (None, _) => Some("Enter the financial year like 2026/27"),
        (_, None) => Some("Enter the maximum a year for one WTE in pounds, like 38,000"),
        _ if typed.2.chars().count() > 200 => Some("Keep the note to 200 characters"),
        _ => None,
    };
    if let (None, Some(fy), Some(amount)) = (problem, fy, amount) {
        state
            .store
            .save_arrs_cap(
                &ArrsCap {
                    fy_start: fy.0,
                    max_pence: amount,
                    note: typed.2,
                },
                &auth.actor(),
            )
            .await?;
        return Ok(see_other("/admin/arrs?done=arrs-cap"));
    }
    Ok(views::render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &caps_page(&state, &auth, problem.map(String::from), typed, None).await?,
    ))
}
