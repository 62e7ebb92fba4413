//! ARRS claims: monthly and yearly claim tables, the claims page and its export.

use super::*;

#[derive(Deserialize, Default)]
pub struct ArrsQuery {
    pub year: Option<String>,
    pub month: Option<String>,
}

/// One month's claims for every employment in the PCN.
pub(crate) fn month_claims(
    records: &[EmploymentRecord],
    year: i32,
    month: u32,
    max: i64,
) -> Vec<(&EmploymentRecord, MonthClaim)> {
    records
        .iter()
        .filter_map(|r| month_claim(&r.employment, year, month, max).map(|c| (r, c)))
        .collect()
}

pub(super) fn month_name(year: i32, month: u32) -> String {
    NaiveDate::from_ymd_opt(year, month, 1)
        .map_or_else(String::new, |d| d.format("%B %Y").to_string())
}

/// The year's claim, month by month, as a table.
/// Months that have not started yet are listed as "Not yet claimable", never with a claim.
pub(crate) fn year_table(
    records: &[EmploymentRecord],
    fy: FinancialYear,
    max: i64,
    today: NaiveDate,
) -> Table {
    let mut t = Table::new(
        "arrs-year",
        &format!("ARRS claim {}, month by month", fy.label()),
        &[
            "Month",
            "Link workers",
            "WTE",
            "Salary and on-costs",
            "Sub-contracting contribution",
            "Maximum for the WTE",
            "Claim",
        ],
    )
    .note(format!(
        "Maximum reimbursable {} a year per WTE. Claims are pro rata by calendar day for part months.",
        format_pounds(max)
    ))
    .chart(6, None);
    let mut totals = [0i64; 4];
    for (y, m) in fy.months() {
        if NaiveDate::from_ymd_opt(y, m, 1).is_some_and(|first| first > today) {
            t.row(vec![
                Cell::text(month_name(y, m)),
                Cell::text("Not yet claimable"),
                Cell::text(""),
                Cell::text(""),
                Cell::text(""),
                Cell::text(""),
                Cell::text(""),
            ]);
            continue;
        }
        let claims = month_claims(records, y, m, max);
        let wte: i64 = claims.iter().map(|(r, _)| r.employment.wte_milli).sum();
        let people: std::collections::HashSet<i64> =
            claims.iter().map(|(r, _)| r.user_id).collect();
        let sum = |f: fn(&MonthClaim) -> i64| claims.iter().map(|(_, c)| f(c)).sum::<i64>();
        let row = [
            sum(|c| c.cost_pence),
            sum(|c| c.contribution_pence),
            sum(|c| c.cap_pence),
            sum(|c| c.claim_pence),
        ];
        for (t, v) in totals.iter_mut().zip(row) {
            *t += v;
        }
        t.row(vec![
            Cell::text(month_name(y, m)),
            Cell::Int(people.len() as i64),
            Cell::Num(Some(wte as f64 / 1000.0), 3),
            Cell::Money(row[0]),
            Cell::Money(row[1]),
            Cell::Money(row[2]),
            Cell::Money(row[3]),
        ]);
    }
    t.row(vec![
        Cell::text("Year total"),
        Cell::text(""),
        Cell::text(""),
        Cell::Money(totals[0]),
        Cell::Money(totals[1]),
        Cell::Money(totals[2]),
        Cell::Money(totals[3]),
    ]);
    t.chart = None;
    t
}

/// One month's claim per link worker, as a table.
pub(crate) fn month_table(records: &[EmploymentRecord], year: i32, month: u32, max: i64) -> Table {
    let mut t = Table::new(
        "arrs-month",
        &format!("ARRS claim for {}", month_name(year, month)),
        &[
            "Link worker",
            "Employer",
            "WTE",
            "Days employed",
            "Salary and on-costs",
            "Sub-contracting contribution",
            "Maximum for the WTE",
            "Claim",
            "Capped",
        ],
    )
    .note("Claim = salary and on-costs plus any sub-contracting contribution, never more than the maximum for the WTE and days employed.");
    let claims = month_claims(records, year, month, max);
    let total: i64 = claims.iter().map(|(_, c)| c.claim_pence).sum();
    for (r, c) in &claims {
        t.row(vec![
            Cell::text(&r.user_name),
            Cell::text(format!(
                "{} ({})",
                r.employment.employer_name,
                r.employment.employer_kind.label()
            )),
            Cell::Num(Some(r.employment.wte_milli as f64 / 1000.0), 3),
            Cell::text(format!("{} of {}", c.days_employed, c.days_in_month)),
            Cell::Money(c.cost_pence),
            Cell::Money(c.contribution_pence),
            Cell::Money(c.cap_pence),
            Cell::Money(c.claim_pence),
            Cell::text(if c.capped() { "Yes" } else { "No" }),
        ]);
    }
    t.row(vec![
        Cell::text("Total"),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::text(""),
        Cell::Money(total),
        Cell::text(""),
    ]);
    t
}

pub(super) struct ArrsFilter {
    fy: FinancialYear,
    month: Option<(i32, u32)>,
}

pub(super) fn arrs_filter(q: &ArrsQuery, today: NaiveDate) -> Result<ArrsFilter, AppError> {
    let month = match q.month.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(m) => {
            let d = NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| AppError::BadRequest("Choose a month like 2026-10".into()))?;
            Some((d.year(), d.month()))
        }
    };
    let fy = match (q.year.as_deref().map(str::trim), month) {
        (Some(y), _) if !y.is_empty() => FinancialYear::parse(y)
            .ok_or_else(|| AppError::BadRequest("Choose a financial year like 2026/27".into()))?,
        (_, Some((y, m))) => FinancialYear::of(NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today)),
        _ => FinancialYear::of(today),
    };
    if let Some((y, m)) = month {
        if NaiveDate::from_ymd_opt(y, m, 1).is_some_and(|first| first > today) {
            return Err(AppError::BadRequest(format!(
                "{} has not started yet: a claim can only be made for a month that has begun",
                month_name(y, m)
            )));
        }
        if !fy.months().contains(&(y, m)) {
            return Err(AppError::BadRequest(format!(
                "That month is not in the financial year {}",
                fy.label()
            )));
        }
    }
    Ok(ArrsFilter { fy, month })
}

#[derive(Template)]
#[template(path = "arrs.html")]
pub(super) struct ArrsPage {
    ctx: PageCtx,
    fy: String,
    fy_code: i32,
    years: Vec<Opt>,
    months: Vec<Opt>,
    max: Option<String>,
    max_note: String,
    year: Option<crate::pages::reports::TableView>,
    month: Option<crate::pages::reports::TableView>,
    query: String,
}

pub(super) fn table_view(t: &Table, href: String) -> crate::pages::reports::TableView {
    crate::pages::reports::plain_table_view(t, t.id.to_string(), href)
}

pub async fn arrs(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ArrsQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "arrs.view").await?;
    let today = directory::today();
    let f = arrs_filter(&q, today)?;
    let caps = state.store.arrs_caps().await?;
    let cap = caps.iter().find(|c| c.fy_start == f.fy.0);
    let records = state.store.employments(pcn).await?;
    let query = match f.month {
        Some((y, m)) => format!("year={}&month={y}-{m:02}", f.fy.0),
        None => format!("year={}", f.fy.0),
    };
    let mut years: Vec<i32> = caps.iter().map(|c| c.fy_start).collect();
    years.push(FinancialYear::of(today).0);
    years.sort_unstable();
    years.dedup();
    let month_opts =
        f.fy.months()
            .into_iter()
            // Only months that have begun can be claimed.
            .filter(|(y, m)| NaiveDate::from_ymd_opt(*y, *m, 1).is_some_and(|d| d <= today))
            .map(|(y, m)| Opt {
                value: format!("{y}-{m:02}"),
                label: month_name(y, m),
                selected: f.month.unwrap_or((today.year(), today.month())) == (y, m),
            })
            .collect();
    Ok(views::ok(&ArrsPage {
        ctx: PageCtx::new(Some(&auth), "ARRS claims", "/workforce"),
        fy: f.fy.label(),
        fy_code: f.fy.0,
        years: years
            .into_iter()
            .map(|y| Opt {
                value: y.to_string(),
                label: FinancialYear(y).label(),
                selected: y == f.fy.0,
            })
            .collect(),
        months: month_opts,
        max: cap.map(|c| format_pounds(c.max_pence)),
        max_note: cap.map(|c| c.note.clone()).unwrap_or_default(),
        year: cap.map(|c| {
            table_view(
                &year_table(&records, f.fy, c.max_pence, directory::today()),
                format!("/workforce/arrs/arrs-year.csv?{query}"),
            )
        }),
        month: match (cap, f.month) {
            (Some(c), Some((y, m))) => Some(table_view(
                &month_table(&records, y, m, c.max_pence),
                format!("/workforce/arrs/arrs-month.csv?{query}"),
            )),
            _ => None,
        },
        query,
    }))
}

/// `GET /workforce/arrs/{arrs-year|arrs-month}.csv` or `/workforce/arrs/claim.xlsx`.
pub async fn arrs_export(
    State(state): State<AppState>,
    auth: Auth,
    Path(file): Path<String>,
    Query(q): Query<ArrsQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "arrs.export").await?;
    let f = arrs_filter(&q, directory::today())?;
    let caps = state.store.arrs_caps().await?;
    let cap = caps.iter().find(|c| c.fy_start == f.fy.0).ok_or_else(|| {
        AppError::Conflict(format!(
            "No maximum reimbursable amount is recorded for {}. An administrator can add it.",
            f.fy.label()
        ))
    })?;
    let records = state.store.employments(pcn).await?;
    let entry = storage::AuditEntry::new(&auth.actor(), "arrs.export", "arrs", None, Some(pcn))
        .detail(format!("{file} {}", f.fy.label()));
    state.store.append_audit(&entry).await?;
    let year = year_table(&records, f.fy, cap.max_pence, directory::today());
    let month = f
        .month
        .map(|(y, m)| month_table(&records, y, m, cap.max_pence));
    let stem = format!("linkwork-arrs-{}", f.fy.0);
    match file.as_str() {
        "arrs-year.csv" => Ok(crate::pages::reports::csv_response(year, &stem)),
        "arrs-month.csv" => {
            let (y, m) = f
                .month
                .ok_or_else(|| AppError::BadRequest("Choose a month".into()))?;
            Ok(crate::pages::reports::csv_response(
                month.unwrap_or_else(|| month_table(&records, y, m, cap.max_pence)),
                &format!("linkwork-arrs-{y}-{m:02}"),
            ))
        }
        "claim.xlsx" => {
            let mut tables = vec![&year];
            if let Some(m) = &month {
                tables.push(m);
            }
            crate::pages::reports::xlsx_response(
                &tables,
                &format!("ARRS claim {}", f.fy.label()),
                &stem,
            )
        }
        _ => Err(AppError::NotFound),
    }
}
