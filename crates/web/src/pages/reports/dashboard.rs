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
    let mut alerts = work_alerts(&state, &auth, pcn).await?;
    if auth.user.role.can_manage_workforce() {
        alerts.extend(crate::pages::workforce::alerts(&state, pcn).await?);
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

/// Work waiting on the team, counted without naming anyone, for the roles that can act on
/// it: referrals no one holds yet, safeguarding concerns past the time their urgency allows,
/// and referrals to community organisations that have not been answered in time.
async fn work_alerts(state: &AppState, auth: &Auth, pcn: i64) -> Result<Vec<Alert>, AppError> {
    let role = auth.user.role;
    let now = chrono::Utc::now();
    let mut out = vec![];
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    if role.can_triage() {
        let queue = state.store.unassigned_queue(pcn).await?;
        if let Some(oldest) = queue.iter().map(|r| r.referred_at).min() {
            let days = (now - oldest).num_days();
            out.push(Alert {
                href: "/triage".into(),
                text: format!(
                    "{} waiting to be assigned to a link worker (the oldest for {})",
                    plural(queue.len(), "referral", "referrals"),
                    plural(days.max(0) as usize, "day", "days")
                ),
            });
        }
    }
    if role.can_view_safeguarding() && role != domain::Role::LinkWorker {
        let open = state
            .store
            .records_by_status(pcn, domain::RecordKind::Safeguarding, "open", None)
            .await?;
        let overdue = open
            .iter()
            .filter(|r| {
                r.parse::<domain::Safeguarding>()
                    .is_some_and(|s| now > s.due(r.created_at))
            })
            .count();
        if overdue > 0 {
            out.push(Alert {
                href: "/safeguarding".into(),
                text: format!(
                    "{} open past the time its urgency allows",
                    plural(overdue, "safeguarding concern", "safeguarding concerns")
                ),
            });
        }
    }
    if role.can_view_waiting() {
        let overdue = state
            .store
            .open_referrals(pcn, None)
            .await?
            .iter()
            .filter(|c| c.is_overdue(now))
            .count();
        if overdue > 0 {
            out.push(Alert {
                href: "/waiting".into(),
                text: format!(
                    "{} to community organisations not answered in time",
                    plural(overdue, "referral", "referrals")
                ),
            });
        }
    }
    Ok(out)
}
