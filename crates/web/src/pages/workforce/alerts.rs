//! Workforce alerts shown on the dashboard.

use super::*;

pub(crate) async fn alerts(
    state: &AppState,
    pcn: i64,
) -> Result<Vec<crate::pages::reports::Alert>, AppError> {
    use crate::pages::reports::Alert;
    let today = directory::today();
    let mut out = Vec::new();
    let workers: Vec<storage::User> = link_workers(state, pcn)
        .await?
        .into_iter()
        .filter(|u| !u.disabled)
        .collect();
    let sessions = state.store.supervision_sessions(pcn, None).await?;
    let interval = state.config.supervision_interval_days;
    for w in &workers {
        for kind in SupervisionKind::ALL {
            let last = sessions
                .iter()
                .filter(|s| s.link_worker_id == w.id && s.kind == *kind)
                .map(|s| s.held_on)
                .max();
            let text = match last {
                None => format!("{}: no {} recorded", w.name, kind.label().to_lowercase()),
                Some(d) if (today - d).num_days() > interval => format!(
                    "{}: {} overdue (last on {})",
                    w.name,
                    kind.label().to_lowercase(),
                    date(d)
                ),
                _ => continue,
            };
            out.push(Alert {
                href: format!("/supervision?worker={}", w.id),
                text,
            });
        }
    }
    let reqs = state.store.training_requirements(pcn).await?;
    let records = state.store.training_records(pcn, None).await?;
    let mut unmet = 0;
    for w in &workers {
        for r in reqs.iter().filter(|r| r.active) {
            let latest = records
                .iter()
                .filter(|x| x.user_id == w.id && x.requirement_id == r.id)
                .map(|x| x.completed_on)
                .max();
            if !matches!(
                domain::workforce::compliance(latest, r.renew_months, today),
                Compliance::Done { .. }
            ) {
                unmet += 1;
            }
        }
    }
    if unmet > 0 {
        out.push(Alert {
            href: "/training".into(),
            text: format!("{unmet} required training items not met or expired"),
        });
    }
    let employments = state.store.employments(pcn).await?;
    for w in &workers {
        if !employments
            .iter()
            .any(|r| r.user_id == w.id && is_current(&r.employment, today))
        {
            out.push(Alert {
                href: "/workforce".into(),
                text: format!("{}: no current employment record for ARRS", w.name),
            });
        }
    }
    let fy = FinancialYear::of(today);
    match state
        .store
        .arrs_caps()
        .await?
        .iter()
        .find(|c| c.fy_start == fy.0)
    {
        None => out.push(Alert {
            href: "/workforce/arrs".into(),
            text: format!(
                "No ARRS maximum recorded for {}: claims cannot be worked out until an administrator adds it",
                fy.label()
            ),
        }),
        Some(cap) => {
            let (y, m) = (today.year(), today.month());
            let total: i64 = month_claims(&employments, y, m, cap.max_pence)
                .iter()
                .map(|(_, c)| c.claim_pence)
                .sum();
            out.push(Alert {
                href: format!("/workforce/arrs?year={}&month={y}-{m:02}", fy.0),
                text: format!(
                    "ARRS claim for {}: {}",
                    month_name(y, m),
                    format_pounds(total)
                ),
            });
        }
    }
    Ok(out)
}
