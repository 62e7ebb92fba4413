#![recursion_limit = "256"]
//! Linkwork's HTTP face: server-rendered pages (askama), the JSON API under `/api/v1`,
//! sign-in, sessions, CSRF, authorisation and security headers.
//!
//! `router(state)` builds everything; `serve` runs it on a listener until a shutdown
//! future completes, so tests bind `127.0.0.1:0` and run the real server.

pub mod api;
pub mod auth;
pub mod charts;
mod error;
pub mod fhir;
mod form;
mod headers;
pub mod message_back;
pub mod oruk;
pub mod pages;
pub mod reminders;
mod views;

pub use error::AppError;

use axum::routing::{get, post};
use axum::Router;
use directory::Directory;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use storage::Storage;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Set cookies `Secure` and send HSTS (when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Sign-out after this long without a request.
    pub session_idle: Duration,
    /// Sign-out this long after sign-in, whatever the activity.
    pub session_absolute: Duration,
    /// Failed sign-ins before an account is locked.
    pub max_failed_logins: u32,
    /// How long a locked account stays locked.
    pub lockout: Duration,
    /// New referrals waiting longer than this for a first contact are flagged.
    pub first_contact_wait_days: i64,
    /// Unsuccessful contact attempts before an episode may be closed as unable to contact.
    pub unable_to_contact_attempts: u32,
    /// Supervision (of each kind) older than this many days is flagged to managers.
    pub supervision_interval_days: i64,
    /// Where reminder emails go; none sends no email.
    pub mail: Option<MailConfig>,
    /// How often the outbox of messages back to referrers is checked.
    pub outbox_interval: Duration,
}

/// Email settings.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (a relay; `smtps://` needs TLS support, not built in).
    pub smtp_url: String,
    pub from: String,
    /// Linkwork's address, for links in emails (no trailing slash).
    pub public_url: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 60 * 60),
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            first_contact_wait_days: 7,
            unable_to_contact_attempts: 3,
            supervision_interval_days: 31,
            mail: None,
            outbox_interval: Duration::from_secs(30),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub directory: Arc<Directory>,
    pub config: Arc<WebConfig>,
}

impl AppState {
    pub fn new(store: Arc<dyn Storage>, directory: Arc<Directory>, config: WebConfig) -> Self {
        Self {
            store,
            directory,
            config: Arc::new(config),
        }
    }
}

/// Every route of Linkwork.
pub fn router(state: AppState) -> Router {
    use pages::*;
    Router::new()
        .route("/", get(home::show))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/static/app.css", get(health::css))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/people", get(people::list).post(people::create))
        .route("/people/new", get(people::new_form))
        .route("/people/{id}", get(people::show).post(people::update))
        .route("/people/{id}/edit", get(people::edit_form))
        .route("/referrals/new", get(referrals::new_form))
        .route("/referrals", post(referrals::create))
        .route("/referrals/mine", get(referrals::mine))
        .route("/triage", get(triage::queue))
        .route("/episodes/{id}/assign", post(episodes::assign))
        .route("/episodes/{id}/state", post(episodes::transition))
        .route("/episodes/{id}/next-contact", post(episodes::next_contact))
        .route("/episodes/{id}/contacts/new", get(contacts::new_form))
        .route("/episodes/{id}/contacts", post(contacts::create))
        .route(
            "/episodes/{id}/assessment",
            get(journey::assessment_new).post(journey::assessment_save),
        )
        .route(
            "/episodes/{id}/plan",
            get(journey::plan_new).post(journey::plan_save),
        )
        .route("/episodes/{id}/plan/print", get(journey::plan_print))
        .route("/episodes/{id}/measures/new", get(journey::measure_new))
        .route("/episodes/{id}/measures", post(journey::measure_save))
        .route(
            "/episodes/{id}/safeguarding",
            get(journey::safeguarding_new).post(journey::safeguarding_save),
        )
        .route(
            "/episodes/{id}/referral-back",
            get(journey::referral_back_new).post(journey::referral_back_save),
        )
        .route(
            "/episodes/{id}/health-use",
            get(journey::health_use_new).post(journey::health_use_save),
        )
        .route(
            "/episodes/{id}/discharge",
            get(journey::discharge_new).post(journey::discharge_save),
        )
        .route("/episodes/{id}/match", get(connections::match_page))
        .route("/episodes/{id}/refer", get(connections::refer_new))
        .route("/episodes/{id}/connections", post(connections::create))
        .route("/connections/{id}/status", post(connections::status))
        .route("/waiting", get(connections::waiting))
        .route("/partner/referrals", get(connections::partner_list))
        .route(
            "/partner/referrals/{id}",
            get(connections::partner_show).post(connections::partner_status),
        )
        .route("/safeguarding", get(journey::safeguarding_list))
        .route(
            "/safeguarding/{id}",
            get(journey::safeguarding_show).post(journey::safeguarding_close),
        )
        .route("/coding", get(coding::list))
        .route("/coding/{id}/recorded", post(coding::mark_recorded))
        .route("/coding/batches", post(coding::prepare_batch))
        .route("/coding/batches/{id}/download", get(coding::batch_csv))
        .route(
            "/coding/batches/{id}/acknowledge",
            post(coding::acknowledge_batch),
        )
        .route(
            "/episodes/{id}/message-back",
            get(message_back::show).post(message_back::send),
        )
        .route(
            "/admin/api-clients",
            get(api_clients::list).post(api_clients::create),
        )
        .route("/admin/api-clients/{id}/revoke", post(api_clients::revoke))
        .route(
            "/admin/coding",
            get(coding::catalogue).post(coding::save_concept),
        )
        .route("/today", get(today::show))
        .route("/dashboard", get(reports::dashboard))
        .route("/reports/print", get(reports::print))
        .route(
            "/reports/practices",
            get(reports::practices).post(reports::save_practices),
        )
        .route("/reports/{kind}", get(reports::show))
        .route("/reports/{kind}/{file}", get(reports::export))
        .route("/workforce", get(workforce::list).post(workforce::create))
        .route("/workforce/new", get(workforce::new_form))
        .route("/workforce/{id}", post(workforce::update))
        .route("/workforce/{id}/edit", get(workforce::edit_form))
        .route("/workforce/arrs", get(workforce::arrs))
        .route("/workforce/arrs/{file}", get(workforce::arrs_export))
        .route(
            "/admin/arrs",
            get(workforce::caps).post(workforce::save_cap),
        )
        .route(
            "/supervision",
            get(supervision::list).post(supervision::create),
        )
        .route("/supervision/new", get(supervision::new_form))
        .route("/supervision/{id}", get(supervision::show))
        .route("/training", get(training::show))
        .route("/training/records", post(training::record))
        .route("/training/requirements", post(training::add_requirement))
        .route(
            "/care-homes",
            get(care_homes::list).post(care_homes::create),
        )
        .route("/care-homes/{id}/status", post(care_homes::status))
        .route("/caseload", get(caseload::mine))
        .route("/caseloads/{user_id}", get(caseload::of_worker))
        .route("/audit", get(audit::list))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}/disable", post(admin::disable_user))
        .route("/admin/users/{id}/enable", post(admin::enable_user))
        .route(
            "/admin/users/{id}/reset-password",
            post(admin::reset_password),
        )
        .route("/settings", get(settings::show))
        .route("/settings/password", post(settings::change_password))
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/directory", get(directory::search))
        .route("/directory/services/new", get(directory::new_form))
        .route("/directory/services", post(directory::create))
        .route(
            "/directory/services/{id}",
            get(directory::show).post(directory::update),
        )
        .route("/directory/services/{id}/edit", get(directory::edit_form))
        .route("/directory/services/{id}/retire", post(directory::retire))
        .route(
            "/directory/services/{id}/capacity",
            post(directory::set_capacity),
        )
        .route(
            "/directory/import",
            get(directory::import_form)
                .post(directory::import)
                .layer(axum::extract::DefaultBodyLimit::max(20 * 1024 * 1024)),
        )
        .route("/directory/organizations", get(directory::organizations))
        .route(
            "/directory/organizations/{id}/partner",
            post(directory::link_partner),
        )
        .route("/partner", get(directory::partner_home))
        .route("/oauth/token", post(fhir::token))
        .nest("/fhir", fhir::router())
        .nest("/api/v1", api::router())
        .nest("/oruk", oruk::router())
        .route("/oruk/", oruk::meta_route())
        .fallback(health::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        .with_state(state)
}

/// Serves Linkwork on `listener` until `shutdown` completes. While it runs, the directory
/// search index is checked every few seconds against the database and rebuilt when
/// another node (or an import from the command line) changed the directory.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let directory = state.directory.clone();
    let refresher = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            if let Err(e) = directory.refresh().await {
                tracing::warn!(error = %e, "directory index refresh failed");
            }
        }
    });
    let reminder_state = state.clone();
    let reminders = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
        loop {
            tick.tick().await;
            match reminders::send_overdue(&reminder_state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "overdue referral reminders sent"),
                Err(e) => tracing::warn!(error = %e, "sending reminders failed; will retry"),
            }
        }
    });
    let outbox_state = state.clone();
    let outbox = tokio::spawn(async move {
        let mut tick = tokio::time::interval(outbox_state.config.outbox_interval);
        loop {
            tick.tick().await;
            match message_back::send_due(&outbox_state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "messages back to referrers sent"),
                Err(e) => tracing::warn!(error = %e, "sending messages back failed; will retry"),
            }
        }
    });
    let result = serve_inner(listener, state, shutdown).await;
    refresher.abort();
    reminders.abort();
    outbox.abort();
    result
}

async fn serve_inner(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
