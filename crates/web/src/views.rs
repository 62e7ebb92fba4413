//! Page plumbing shared by every page: the layout context (title, navigation, CSRF
//! token), form fields built in Rust so every form renders labels, hints and errors the
//! same accessible way, and the one place that turns a template into a response.

use crate::auth::Auth;
use crate::AppError;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use domain::{Code, FieldErrors, Role};

/// A link in the header navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What the layout needs on every page.
pub struct PageCtx {
    pub title: String,
    pub signed_in: bool,
    pub user_name: String,
    pub role_label: String,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    pub flash: Option<String>,
    /// The signed-in user's role, for [`PageCtx::may`].
    pub role: Option<Role>,
}

impl PageCtx {
    pub fn new(auth: Option<&Auth>, title: impl Into<String>, path: &str) -> Self {
        let (signed_in, user_name, role_label, csrf, nav) = match auth {
            Some(a) => (
                true,
                a.user.name.clone(),
                a.user.role.label().to_string(),
                a.csrf.clone(),
                nav_for(a.user.role, path),
            ),
            None => (
                false,
                String::new(),
                String::new(),
                String::new(),
                Vec::new(),
            ),
        };
        Self {
            title: title.into(),
            signed_in,
            user_name,
            role_label,
            csrf,
            nav,
            flash: None,
            role: auth.map(|a| a.user.role),
        }
    }

    /// Whether the signed-in user may open a page: a link they cannot follow is not shown.
    pub fn may(&self, path: &str) -> bool {
        self.role.is_some_and(|r| crate::routes::may_open(r, path))
    }

    pub fn flash(mut self, message: Option<String>) -> Self {
        self.flash = message;
        self
    }
}

fn nav_for(role: Role, path: &str) -> Vec<NavLink> {
    let mut links: Vec<(&'static str, &'static str)> = Vec::new();
    if role.can_view_reports() {
        links.push(("/dashboard", "Dashboard"));
    }
    if role.has_caseload() {
        links.push(("/today", "Today"));
        links.push(("/caseload", "My caseload"));
    }
    if role.can_triage() {
        links.push(("/triage", "Triage"));
    }
    if role.can_read_people() {
        links.push(("/people", "People"));
    }
    if role.can_refer() {
        links.push(("/referrals/new", "Make a referral"));
    }
    if role == Role::Referrer {
        links.push(("/referrals/mine", "My referrals"));
    }
    if role.can_search_directory() {
        links.push(("/directory", "Directory"));
    }
    if role == Role::Partner {
        links.push(("/partner/referrals", "Referrals to us"));
        links.push(("/partner", "Our listings"));
    }
    if matches!(role, Role::Supervisor | Role::Manager) {
        links.push(("/safeguarding", "Safeguarding"));
    }
    if matches!(role, Role::Manager | Role::LinkWorker | Role::Supervisor) {
        links.push(("/coding", "GP coding"));
    }
    if role.can_manage_workforce() {
        links.push(("/workforce", "Workforce"));
    }
    if role == Role::Supervisor {
        links.push(("/supervision", "Supervision"));
    }
    if role == Role::LinkWorker {
        links.push(("/care-homes", "Care homes"));
    }
    if role == Role::Admin {
        links.push(("/admin/api-clients", "API clients"));
    }
    if role.can_operate() {
        links.push(("/operator/partners", "Partners"));
        links.push(("/directory/organizations", "Directory links"));
        links.push(("/admin/coding", "Code catalogue"));
        links.push(("/admin/arrs", "ARRS amounts"));
        links.push(("/admin/api-clients", "API clients"));
    }
    if role.can_manage_partner_links() {
        links.push(("/partners", "Partners"));
    }
    if role.can_view_audit() {
        links.push(("/audit", "Audit log"));
    }
    if role.can_manage_users() {
        links.push(("/admin/users", "Users"));
    }
    links.push(("/settings", "Settings"));
    links
        .into_iter()
        .map(|(href, label)| NavLink {
            href,
            label,
            current: path == href || (href != "/" && path.starts_with(&format!("{href}/"))),
        })
        .collect()
}

/// One option of a select, radio group or tick-box group.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One form field, rendered by `_field.html`.
pub struct Field {
    /// text, email, tel, date, password, textarea, select, radios, checkboxes, checkbox
    pub kind: &'static str,
    pub name: std::borrow::Cow<'static, str>,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub options: Vec<Opt>,
    pub error: Option<String>,
    pub autocomplete: &'static str,
    /// CSS width modifier: "", "10", "20", "30".
    pub width: &'static str,
    pub required: bool,
    /// When a field is needed only sometimes, when ("needed if they prefer calls or
    /// texts"): shown instead of "(optional)".
    pub needed_when: String,
    /// `inputmode` for a text input ("numeric", "decimal"): the phone keypad for numbers.
    pub inputmode: &'static str,
}

impl Field {
    pub fn new(
        kind: &'static str,
        name: impl Into<std::borrow::Cow<'static, str>>,
        label: &str,
    ) -> Self {
        Self {
            kind,
            name: name.into(),
            label: label.into(),
            hint: String::new(),
            value: String::new(),
            options: Vec::new(),
            error: None,
            autocomplete: "off",
            width: "",
            required: false,
            needed_when: String::new(),
            inputmode: "",
        }
    }
    /// Needed only in a case the label names ("needed if …"), not "(optional)".
    pub fn needed_when(mut self, when: &str) -> Self {
        self.needed_when = when.into();
        self
    }
    /// A whole number: the number keypad on a phone.
    pub fn numeric(mut self) -> Self {
        self.inputmode = "numeric";
        self
    }
    /// A number that may have a decimal point.
    pub fn decimal(mut self) -> Self {
        self.inputmode = "decimal";
        self
    }
    pub fn hint(mut self, h: &str) -> Self {
        self.hint = h.into();
        self
    }
    pub fn value(mut self, v: impl Into<String>) -> Self {
        self.value = v.into();
        self
    }
    pub fn width(mut self, w: &'static str) -> Self {
        self.width = w;
        self
    }
    pub fn autocomplete(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn options(mut self, options: Vec<Opt>) -> Self {
        self.options = options;
        self
    }
    /// Options from a code list, with a blank first option for selects.
    pub fn codes<T: Code>(mut self, selected: &[String], blank: Option<&str>) -> Self {
        if let Some(b) = blank {
            self.options.push(Opt {
                value: String::new(),
                label: b.into(),
                selected: selected.iter().all(|s| s.is_empty()),
            });
        }
        self.options.extend(T::ALL.iter().map(|v| Opt {
            value: v.code().into(),
            label: v.label().into(),
            selected: selected.iter().any(|s| s == v.code()),
        }));
        self
    }
    pub fn errors(mut self, errors: &FieldErrors) -> Self {
        self.error = errors.get(&self.name).map(String::from);
        self
    }
    pub fn hint_id(&self) -> String {
        format!("{}-hint", self.name)
    }
    /// The ids that describe the input (hint and error), for aria-describedby.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.name));
        }
        ids.join(" ")
    }
    /// For a date in three boxes: (day, month, year) from the value "YYYY-MM-DD" (or as
    /// typed, when it came back with an error).
    pub fn date_parts(&self) -> (String, String, String) {
        let mut it = self.value.splitn(3, '-');
        let (y, m, d) = (
            it.next().unwrap_or_default(),
            it.next().unwrap_or_default(),
            it.next().unwrap_or_default(),
        );
        let trim = |s: &str| match s.parse::<u32>() {
            Ok(n) => n.to_string(),
            Err(_) => s.to_string(),
        };
        (trim(d), trim(m), y.to_string())
    }
    pub fn is_checked(&self) -> bool {
        matches!(self.value.as_str(), "yes" | "true" | "on")
    }
}

/// A titled group of fields.
pub struct Section {
    pub legend: String,
    pub fields: Vec<Field>,
    /// Shown folded (a "details" the user opens), for the parts most people skip.
    pub folded: bool,
}

impl Section {
    /// Something is filled in or wrong in it: a folded section then shows open.
    pub fn open(&self) -> bool {
        self.fields.iter().any(|f| {
            f.error.is_some()
                || (f.kind != "select" && !f.value.is_empty())
                || f.options.iter().any(|o| o.selected && !o.value.is_empty())
        })
    }
}

/// Errors for the summary at the top of a form.
pub struct ErrorItem {
    pub field: String,
    pub message: String,
}

pub fn error_items(errors: &FieldErrors) -> Vec<ErrorItem> {
    errors
        .0
        .iter()
        .map(|e| ErrorItem {
            field: e.field.to_string(),
            message: e.message.clone(),
        })
        .collect()
}

/// Renders a page with a status.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service.",
            )
                .into_response()
        }
    }
}

pub fn ok<T: Template>(page: &T) -> Response {
    render(StatusCode::OK, page)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    heading: String,
    message: String,
    back: Option<String>,
}

pub fn error_page(e: &AppError) -> Response {
    let (title, message) = e.explain();
    // Signed in: the menu stays, and the way back is the page they came from.
    let here = crate::error::request_page_now();
    let page = ErrorPage {
        ctx: PageCtx::new(here.auth.as_ref(), title, ""),
        heading: title.into(),
        message,
        back: here.back.filter(|_| here.auth.is_some()),
    };
    render(e.status(), &page)
}

/// Dates and times as people read them.
pub fn date(d: chrono::NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}
/// An instant as UK time (GMT or BST), as people in England read it.
pub fn datetime(t: chrono::DateTime<chrono::Utc>) -> String {
    domain::uk_time::to_uk(t)
        .format("%-d %b %Y %H:%M")
        .to_string()
}
pub fn opt_date(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| date(domain::uk_time::to_uk(t).date()))
        .unwrap_or_else(|| "—".into())
}
