//! One error type for handlers. Pages render it as an HTML page, the API as JSON; internal
//! detail is logged and never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use storage::StorageError;

/// Who is signed in and the page they came from, kept for the length of one request so
/// that an error page rendered far from its handler still shows the menu and the way back.
#[derive(Default)]
pub(crate) struct RequestPage {
    pub auth: Option<crate::auth::Auth>,
    /// The page that linked here (same site only), as a path.
    pub back: Option<String>,
}

tokio::task_local! {
    static REQUEST_PAGE: std::cell::RefCell<RequestPage>;
}

/// Middleware: opens the request's [`RequestPage`].
pub(crate) async fn request_page(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let back = back_path(req.headers());
    REQUEST_PAGE
        .scope(
            std::cell::RefCell::new(RequestPage { auth: None, back }),
            next.run(req),
        )
        .await
}

/// The path of a same-site `Referer`, if any (pages send `Referrer-Policy: same-origin`,
/// so a browser sends one to Linkwork and to no one else).
fn back_path(h: &axum::http::HeaderMap) -> Option<String> {
    let host = h.get(axum::http::header::HOST)?.to_str().ok()?;
    let referer = h.get(axum::http::header::REFERER)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let path = rest.strip_prefix(host)?;
    (path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains(['"', '<', '>', '\\'])
        && !path.chars().any(|c| c.is_control()))
    .then(|| path.to_string())
}

/// Called once a page request is signed in.
pub(crate) fn remember_signed_in(auth: &crate::auth::Auth) {
    let _ = REQUEST_PAGE.try_with(|p| p.borrow_mut().auth = Some(auth.clone()));
}

/// The signed-in user and the page they came from, for an error page.
pub(crate) fn request_page_now() -> RequestPage {
    REQUEST_PAGE
        .try_with(|p| {
            let p = p.borrow();
            RequestPage {
                auth: p.auth.clone(),
                back: p.back.clone(),
            }
        })
        .unwrap_or_default()
}

#[derive(Debug)]
pub enum AppError {
    /// Not signed in (pages redirect to sign-in; the API answers 401).
    Unauthenticated {
        next: String,
        api: bool,
    },
    /// Signed in but the role may not do this.
    Forbidden,
    /// A link worker opening a person who is not theirs: pages send them to say why first
    /// (`/people/{person}/access`), the API refuses with 403.
    NeedReason {
        person: i64,
        next: String,
    },
    /// The deployment requires a second factor for this role and the user has none yet:
    /// pages send them to set one up.
    SecondFactorNeeded {
        /// By API token: a JSON 403 rather than a redirect.
        api: bool,
    },
    /// No such record (or not in the user's PCN: the same answer on purpose).
    NotFound,
    /// The record changed since it was opened.
    Stale,
    /// Bad input that has no form to re-render (API bodies, ids, filters).
    BadRequest(String),
    /// A domain rule refused the change.
    Conflict(String),
    /// The CSRF token is missing or wrong.
    Csrf,
    /// The body is over the size limit.
    TooLarge,
    /// The request took longer than the request timeout.
    Timeout,
    /// The database cannot be reached just now (a change not confirmed may or may not have
    /// been saved, if the connection was lost at its commit).
    Unavailable,
    Internal(String),
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => AppError::NotFound,
            StorageError::Stale => AppError::Stale,
            StorageError::Duplicate(m) | StorageError::Rule(m) => AppError::Conflict(m),
            StorageError::Backend(m) => AppError::Internal(m),
            StorageError::Unavailable(_) => AppError::Unavailable,
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden
            | AppError::Csrf
            | AppError::NeedReason { .. }
            | AppError::SecondFactorNeeded { .. } => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Stale | AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::BadRequest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Timeout | AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A title and message for people.
    pub fn explain(&self) -> (&'static str, String) {
        match self {
            AppError::Unauthenticated { api: false, .. } => ("Sign in required", "Sign in to continue.".into()),
            AppError::Unauthenticated { api: true, .. } => (
                "Authentication required",
                "Send a valid, unrevoked personal API token as 'Authorization: Bearer <token>'.".into(),
            ),
            AppError::Forbidden => (
                "You do not have permission",
                "Your role does not allow this. If you need it for your work, ask your PCN manager or administrator.".into(),
            ),
            AppError::NeedReason { .. } => (
                "Say why you need this record",
                "This person is not on your caseload or waiting in triage. Open their record in Linkwork and say why you need it; the reason is recorded in the audit log.".into(),
            ),
            AppError::SecondFactorNeeded { .. } => (
                "Set up your authenticator app",
                "Your organisation asks everyone in your role to sign in with a second factor. Set up an authenticator app in Settings to continue.".into(),
            ),
            AppError::NotFound => ("Page not found", "We could not find that page or record. Check the address, or search again.".into()),
            AppError::Stale => (
                "Someone else changed this record",
                "This record was changed by someone else after you opened it, so your change was not saved. Open it again to see the latest version, then make your change again.".into(),
            ),
            AppError::BadRequest(m) => ("There is a problem", m.clone()),
            AppError::Conflict(m) => ("This could not be done", m.clone()),
            AppError::Csrf => (
                "Your form expired",
                "For your security this form could not be accepted. Go back, reload the page and try again.".into(),
            ),
            AppError::TooLarge => (
                "What was sent is too large",
                "Linkwork accepts up to 256 KiB in a form or API request, and up to 20 MiB in a directory import. Nothing was saved.".into(),
            ),
            AppError::Timeout => (
                "That took too long",
                "Linkwork stopped waiting for this request. Anything not already confirmed as saved was not saved: check the record, then try again.".into(),
            ),
            AppError::Unavailable => (
                "Linkwork cannot reach its database just now",
                "This usually passes within a minute. Anything not confirmed as saved may not have been saved: check the record before you try again.".into(),
            ),
            AppError::Internal(_) => ("Sorry, there is a problem with the service", "Try again later. Nothing was saved.".into()),
        }
    }

    pub(crate) fn log(&self) {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        if let AppError::Unauthenticated { api: true, .. } = &self {
            return ApiError(self).into_response();
        }
        if let AppError::NeedReason { person, next } = &self {
            let to = format!(
                "/people/{person}/access?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return axum::response::Redirect::to(&to).into_response();
        }
        if let AppError::SecondFactorNeeded { api } = &self {
            if *api {
                return ApiError(self).into_response();
            }
            return axum::response::Redirect::to("/settings/second-factor").into_response();
        }
        if let AppError::Unauthenticated { next, .. } = &self {
            let to = format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return axum::response::Redirect::to(&to).into_response();
        }
        crate::views::error_page(&self)
    }
}

/// JSON errors for the API: `{"error": {"status": 404, "title": "...", "message": "..."}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let (title, message) = self.0.explain();
        let body = serde_json::json!({"error": {"status": self.0.status().as_u16(), "title": title, "message": message}});
        let mut res = (self.0.status(), axum::Json(body)).into_response();
        if matches!(self.0, AppError::Unauthenticated { .. }) {
            res.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

/// A field-level validation failure for the API.
pub fn api_validation(errors: &domain::FieldErrors) -> Response {
    let body = serde_json::json!({"error": {
        "status": 422,
        "title": "There is a problem with the data sent",
        "message": errors.to_string(),
        "fields": errors.0,
    }});
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

impl From<directory::DirectoryError> for AppError {
    fn from(e: directory::DirectoryError) -> Self {
        match e {
            directory::DirectoryError::Storage(s) => s.into(),
            directory::DirectoryError::Invalid(p) => AppError::BadRequest(
                p.iter()
                    .filter(|p| p.fatal)
                    .map(|p| format!("{}: {}", p.field, p.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            directory::DirectoryError::Search(e) => AppError::Internal(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::back_path;
    use axum::http::{HeaderMap, HeaderValue};

    fn back(referer: &str) -> Option<String> {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("linkwork.test"));
        h.insert("referer", HeaderValue::from_str(referer).unwrap());
        back_path(&h)
    }

    #[test]
    fn the_way_back_is_a_path_on_this_site_only() {
        assert_eq!(
            back("https://linkwork.test/people/3").as_deref(),
            Some("/people/3")
        );
        for bad in [
            "https://other.example/people/3",
            "https://linkwork.test.other.example/x",
            "https://linkwork.test//evil.example",
            "https://linkwork.test/\\evil.example",
            "https://linkwork.test/a\"onmouseover=x",
            "javascript:alert(1)",
        ] {
            assert_eq!(back(bad), None, "{bad}");
        }
    }
}
