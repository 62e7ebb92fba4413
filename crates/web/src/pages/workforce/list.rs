//! The workforce list: who is employed in the PCN now and before.

use super::*;

pub(super) struct EmploymentRow {
    id: i64,
    user_name: String,
    employer: String,
    kind: &'static str,
    wte: String,
    salary: String,
    oncosts: String,
    contribution: String,
    band: String,
    dates: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "workforce.html")]
pub(super) struct WorkforcePage {
    ctx: PageCtx,
    rows: Vec<EmploymentRow>,
    missing: Vec<String>,
    fy: String,
}

pub(super) fn is_current(e: &domain::Employment, today: NaiveDate) -> bool {
    e.start_date <= today && e.end_date.is_none_or(|d| d >= today)
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Query(done): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "workforce.list").await?;
    let today = directory::today();
    let records = state.store.employments(pcn).await?;
    let missing = link_workers(&state, pcn)
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .filter(|u| {
            !records
                .iter()
                .any(|r| r.user_id == u.id && is_current(&r.employment, today))
        })
        .map(|u| u.name)
        .collect();
    let rows = records
        .iter()
        .map(|r| {
            let e = &r.employment;
            EmploymentRow {
                id: r.id,
                user_name: r.user_name.clone(),
                employer: e.employer_name.clone(),
                kind: e.employer_kind.label(),
                wte: format_wte(e.wte_milli),
                salary: format_pounds(e.annual_salary_pence),
                oncosts: format_pounds(e.annual_oncosts_pence),
                contribution: if e.employer_kind == EmployerKind::Subcontracted {
                    format!("{} a month", format_pounds(e.subcontract_monthly_pence))
                } else {
                    "—".into()
                },
                band: e.afc_band.clone(),
                dates: format!(
                    "{} to {}",
                    date(e.start_date),
                    e.end_date.map_or("now".into(), date)
                ),
                current: is_current(e, today),
            }
        })
        .collect();
    Ok(views::ok(&WorkforcePage {
        ctx: PageCtx::new(Some(&auth), "Workforce", "/workforce")
            .flash(flash(done.done.as_deref())),
        rows,
        missing,
        fy: FinancialYear::of(today).0.to_string(),
    }))
}
