//! Managers' imports of ORUK JSON feeds and spreadsheets from the browser.

use super::*;

#[derive(Template)]
#[template(path = "directory_import.html")]
struct ImportPage {
    ctx: PageCtx,
    report: Option<ImportReport>,
    error: Option<String>,
}

struct ImportReport {
    file: String,
    created: u64,
    updated: u64,
    problems: Vec<String>,
    skipped: usize,
}

pub async fn import_form(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.import",
    )
    .await?;
    Ok(views::ok(&ImportPage {
        ctx: PageCtx::new(Some(&auth), "Import services", "/directory"),
        report: None,
        error: None,
    }))
}

pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    auth.require(
        &state,
        auth.user.role.can_manage_directory(),
        "directory.import",
    )
    .await?;
    let (mut csrf, mut file, mut name) = (String::new(), Vec::new(), String::new());
    while let Some(field) = multipart.next_field().await.map_err(upload_error)? {
        match field.name() {
            Some("_csrf") => csrf = field.text().await.map_err(upload_error)?,
            Some("file") => {
                name = field
                    .file_name()
                    .unwrap_or("upload")
                    .chars()
                    .take(100)
                    .collect();
                file = field.bytes().await.map_err(upload_error)?.to_vec();
            }
            _ => {}
        }
    }
    if auth.csrf.is_empty() || !constant_time_eq(csrf.as_bytes(), auth.csrf.as_bytes()) {
        return Err(AppError::Csrf);
    }
    let ctx = PageCtx::new(Some(&auth), "Import services", "/directory");
    if file.is_empty() {
        let page = ImportPage {
            ctx,
            report: None,
            error: Some("Choose a file to import".into()),
        };
        return Ok(views::render(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &page,
        ));
    }
    let is_csv = name.to_ascii_lowercase().ends_with(".csv");
    let (parsed, listings) = if is_csv {
        match directory::csv_import::parse_csv(&file) {
            Ok(p) => (p.parsed, Some((p.listings, p.columns))),
            Err(m) => {
                return Ok(views::render(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    &ImportPage {
                        ctx,
                        report: None,
                        error: Some(m),
                    },
                ))
            }
        }
    } else {
        match directory::parse_json(&file) {
            Ok(p) => (p, None),
            Err(m) => {
                return Ok(views::render(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    &ImportPage {
                        ctx,
                        report: None,
                        error: Some(format!("{name} is {m}")),
                    },
                ))
            }
        }
    };
    let source = format!("web upload {name} by {}", auth.user.email);
    let counts = match listings {
        Some((l, cols)) => {
            directory::import_csv(
                &state.directory,
                &parsed,
                &l,
                Some(&cols),
                &source,
                &auth.actor(),
            )
            .await?
        }
        None => {
            state
                .directory
                .import(&parsed, &source, &Listing::default(), &auth.actor())
                .await?
        }
    };
    let report = ImportReport {
        file: name,
        created: counts.created,
        updated: counts.updated,
        skipped: parsed.skipped(),
        problems: parsed
            .problems
            .iter()
            .take(200)
            .map(ToString::to_string)
            .collect(),
    };
    Ok(views::ok(&ImportPage {
        ctx,
        report: Some(report),
        error: None,
    }))
}

/// An upload that could not be read: over the 20 MiB limit, or broken.
fn upload_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest(format!("The upload could not be read: {}", e.body_text()))
    }
}
