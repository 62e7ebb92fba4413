//! The report page, its CSV/XLSX export and print view.

use super::*;

#[derive(Template)]
#[template(path = "report.html")]
pub(super) struct ReportPage {
    ctx: PageCtx,
    report: ReportView,
    filters: FilterForm,
    action: String,
    scope: String,
    query: String,
    is_gaps: bool,
    others: Vec<(&'static str, &'static str)>,
}

pub(super) fn other_reports(except: Option<ReportKind>) -> Vec<(&'static str, &'static str)> {
    ReportKind::ALL
        .iter()
        .filter(|k| Some(**k) != except)
        .map(|k| (k.slug(), k.title()))
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    auth: Auth,
    Path(slug): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "report.view").await?;
    let kind = ReportKind::from_slug(&slug).ok_or(AppError::NotFound)?;
    let c = choices(&state, pcn).await?;
    let f = Filters::parse(&q, &c, directory::today())?;
    let report = build(&state, pcn, &f, &c, &[kind])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("report missing".into()))?;
    audit(&state, &auth, "report.view", kind.slug(), &f).await?;
    let query = f.query();
    Ok(views::ok(&ReportPage {
        ctx: PageCtx::new(Some(&auth), kind.title(), "/dashboard"),
        report: report_view(&report, &query),
        filters: filter_form(&f, &c),
        action: format!("/reports/{}", kind.slug()),
        scope: f.describe(&c),
        query,
        is_gaps: kind == ReportKind::Gaps,
        others: other_reports(Some(kind)),
    }))
}

pub(super) async fn audit(
    state: &AppState,
    auth: &Auth,
    action: &str,
    what: &str,
    f: &Filters,
) -> Result<(), AppError> {
    let entry = storage::AuditEntry::new(&auth.actor(), action, "report", None, auth.user.pcn_id)
        .detail(format!("{what}: {}", f.query()));
    Ok(state.store.append_audit(&entry).await?)
}

/// `GET /reports/{kind}/{table}.csv` or `/reports/{kind}/report.xlsx`.
pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Path((slug, file)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "report.export").await?;
    let kind = ReportKind::from_slug(&slug).ok_or(AppError::NotFound)?;
    let c = choices(&state, pcn).await?;
    let f = Filters::parse(&q, &c, directory::today())?;
    let report = build(&state, pcn, &f, &c, &[kind])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal("report missing".into()))?;
    audit(
        &state,
        &auth,
        "report.export",
        &format!("{slug}/{file}"),
        &f,
    )
    .await?;
    let stem = format!("linkwork-{}-{}-to-{}", kind.slug(), f.from, f.to);
    if file == "report.xlsx" {
        let tables: Vec<&Table> = report.tables.iter().collect();
        let heading = format!("{} ({})", kind.title(), f.describe(&c));
        return xlsx_response(&tables, &heading, &stem);
    }
    let table_id = file.strip_suffix(".csv").ok_or(AppError::NotFound)?;
    let table = report
        .tables
        .into_iter()
        .find(|t| t.id == table_id)
        .ok_or(AppError::NotFound)?;
    Ok(csv_response(table, &format!("{stem}-{table_id}")))
}

/// A table as a streamed CSV download.
pub(crate) fn csv_response(table: Table, stem: &str) -> Response {
    let lines: Vec<Result<Bytes, std::convert::Infallible>> = reports::export::csv_lines(&table)
        .map(|l| Ok(Bytes::from(l)))
        .collect();
    let body = Body::from_stream(futures_util::stream::iter(lines));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.csv\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn xlsx_response(
    tables: &[&Table],
    heading: &str,
    stem: &str,
) -> Result<Response, AppError> {
    let bytes = reports::export::xlsx(tables, heading)
        .map_err(|e| AppError::Internal(format!("spreadsheet: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "report_print.html")]
pub(super) struct PrintPage {
    ctx: PageCtx,
    scope: String,
    generated: String,
    reports: Vec<ReportView>,
    back: String,
}

pub async fn print(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let pcn = require(&state, &auth, "report.print").await?;
    let c = choices(&state, pcn).await?;
    let f = Filters::parse(&q, &c, directory::today())?;
    let built = build(&state, pcn, &f, &c, ReportKind::ALL).await?;
    audit(&state, &auth, "report.print", "all", &f).await?;
    let query = f.query();
    Ok(views::ok(&PrintPage {
        ctx: PageCtx::new(Some(&auth), "Social prescribing report", "/dashboard"),
        scope: f.describe(&c),
        generated: crate::views::datetime(Utc::now()),
        reports: built.iter().map(|r| report_view(r, &query)).collect(),
        back: format!("/dashboard?{query}"),
    }))
}
