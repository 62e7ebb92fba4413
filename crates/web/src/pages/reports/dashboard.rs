//! The dashboard with its alerts.

use super::*;

pub(crate) struct Alert {
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(super) struct DashboardPage {
    ctx: PageCtx,
    filters: FilterForm,
    scope: String,
    query: String,
    sections: Vec<ReportView>,
    alerts: Vec<Alert>,
    workforce: bool,
}

pub async fn dashboard(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "report.dashboard").await?;
    let c = choices(&state, pcn).await?;
    let f = Filters::parse(&q, &c, directory::today())?;
    let built = build(&state, pcn, &f, &c, ReportKind::ALL).await?;
    audit(&state, &auth, "report.dashboard", "dashboard", &f).await?;
    let query = f.query();
    let mut alerts = Vec::new();
    if auth.user.role.can_manage_workforce() {
        alerts = crate::pages::workforce::alerts(&state, pcn).await?;
    }
    Ok(views::ok(&DashboardPage {
        ctx: PageCtx::new(Some(&auth), "Dashboard", "/dashboard"),
        filters: filter_form(&f, &c),
        scope: f.describe(&c),
        sections: built
            .iter()
            .map(|r| ReportView {
                tables: Vec::new(),
                ..report_view(r, &query)
            })
            .collect(),
        query,
        alerts,
        workforce: auth.user.role.can_manage_workforce(),
    }))
}
