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
pub mod routes;
pub mod throttle;
mod views;

pub use error::AppError;
/// Report counts below this are withheld unless a deployment chooses more.
pub use reports::SMALL_NUMBER;

use axum::Router;
use directory::Directory;
use std::sync::Arc;
use std::time::Duration;
use storage::Storage;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address people and systems reach Linkwork at (`https://linkwork.example.nhs.uk`):
    /// every absolute URL Linkwork writes (FHIR links, the token endpoint, links in email)
    /// starts with it, never with a request's `Host` header. `https://` turns on `Secure`
    /// `__Host-` cookies and HSTS.
    pub public_url: String,
    /// Set cookies `Secure` and send HSTS even when `public_url` is not https (served over
    /// TLS behind a proxy that rewrites the scheme).
    pub secure_cookies: bool,
    /// Sign-out after this long without a request.
    pub session_idle: Duration,
    /// Sign-out this long after sign-in, whatever the activity.
    pub session_absolute: Duration,
    /// Failed sign-ins before an account is locked.
    pub max_failed_logins: u32,
    /// How long a locked account stays locked, and the window failed sign-ins from one
    /// address are counted over.
    pub lockout: Duration,
    /// Failed sign-ins (people and API clients) from one address within `lockout` before
    /// that address is refused.
    pub max_failed_logins_per_address: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry (set only behind
    /// a reverse proxy that sets it; otherwise anyone could choose their address).
    pub trust_forwarded_for: bool,
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
    /// A client must send a request's headers within this long (and between requests on a
    /// kept-alive connection), or the connection is closed: slow-header attacks hold nothing.
    pub header_read_timeout: Duration,
    /// A request (reading its body and answering it) taking longer than this is stopped
    /// with 503 and the connection closed (five times as long for the directory import).
    pub request_timeout: Duration,
    /// Personal API tokens stop working this long after they were made.
    pub api_token_lifetime: Duration,
    /// How long each sign-in attempt from an address over its failure limit waits (they
    /// are answered one at a time).
    pub address_pause: Duration,
    /// Report counts from 1 up to one below this are withheld ("<5"), with what they give
    /// away. The configuration allows 5 or more; the tests of hand-computed figures set 1
    /// (nothing withheld) and a test of its own proves the default.
    pub small_number: i64,
}

impl WebConfig {
    /// Served over HTTPS: cookies are `Secure` with the `__Host-` prefix, and browsers are
    /// told to stay on HTTPS (HSTS).
    pub fn https(&self) -> bool {
        self.secure_cookies || self.public_url.starts_with("https://")
    }
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
            public_url: "http://localhost".into(),
            secure_cookies: false,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 60 * 60),
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            max_failed_logins_per_address: 30,
            trust_forwarded_for: false,
            first_contact_wait_days: 7,
            unable_to_contact_attempts: 3,
            supervision_interval_days: 31,
            mail: None,
            outbox_interval: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(120),
            api_token_lifetime: Duration::from_secs(90 * 24 * 3600),
            address_pause: Duration::from_secs(2),
            small_number: reports::SMALL_NUMBER,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Storage>,
    pub directory: Arc<Directory>,
    pub config: Arc<WebConfig>,
    /// Failed sign-ins per address (this node's count).
    pub throttle: Arc<throttle::Throttle>,
}

impl AppState {
    pub fn new(store: Arc<dyn Storage>, directory: Arc<Directory>, config: WebConfig) -> Self {
        Self {
            store,
            directory,
            config: Arc::new(config),
            throttle: Arc::default(),
        }
    }
}

/// Every route of Linkwork, with the rule saying who may call it (see [`routes`]).
pub(crate) fn routes_of_linkwork() -> routes::Routes {
    use domain::Role as R;
    use pages::*;
    use routes::{public, role, role_or_owner, role_or_self, signed_in, Method, Routes, Target};
    const PERSON: Target = Target::Pcn("person");
    const EPISODE: Target = Target::Pcn("episode");
    let import = axum::routing::post(directory::import)
        .layer(axum::extract::DefaultBodyLimit::max(20 * 1024 * 1024));
    Routes::new()
        .get("/", home::show, signed_in())
        .get("/health", health::health, public())
        .get("/ready", health::ready, public())
        .get("/static/app.css", health::css, public())
        .get("/login", login::form, public())
        .post("/login", login::submit, public())
        .post("/logout", login::logout, signed_in())
        // People and referrals
        .get("/people", people::list, role(R::can_read_people))
        .post("/people", people::create, role(R::can_edit_people))
        .get(
            "/people/{id}/access",
            access::form,
            role(R::can_read_people).on(Target::Pcn("person")),
        )
        .post(
            "/people/{id}/access",
            access::give,
            role(R::can_read_people).on(Target::Pcn("person")),
        )
        .get("/people/new", people::new_form, role(R::can_edit_people))
        .get(
            "/people/{id}",
            people::show,
            role(R::can_read_people).on(PERSON),
        )
        .post(
            "/people/{id}",
            people::update,
            role(R::can_edit_people).on(PERSON),
        )
        .get(
            "/people/{id}/edit",
            people::edit_form,
            role(R::can_edit_people).on(PERSON),
        )
        .get("/referrals/new", referrals::new_form, role(R::can_refer))
        .post("/referrals", referrals::create, role(R::can_refer))
        .get("/referrals/mine", referrals::mine, role(R::can_refer))
        .get("/triage", triage::queue, role(R::can_triage))
        // Episodes and the link worker's journey
        .post(
            "/episodes/{id}/assign",
            episodes::assign,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/state",
            episodes::transition,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/next-contact",
            episodes::next_contact,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/contacts/new",
            contacts::new_form,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/contacts",
            contacts::create,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/assessment",
            journey::assessment_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/assessment",
            journey::assessment_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/plan",
            journey::plan_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/plan",
            journey::plan_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/plan/print",
            journey::plan_print,
            role(R::can_read_people).on(EPISODE),
        )
        .get(
            "/episodes/{id}/measures/new",
            journey::measure_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/measures",
            journey::measure_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/safeguarding",
            journey::safeguarding_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/safeguarding",
            journey::safeguarding_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/referral-back",
            journey::referral_back_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/referral-back",
            journey::referral_back_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/health-use",
            journey::health_use_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/health-use",
            journey::health_use_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/discharge",
            journey::discharge_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/discharge",
            journey::discharge_save,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/message-back",
            message_back::show,
            role(R::can_read_people).on(EPISODE),
        )
        .post(
            "/episodes/{id}/message-back",
            message_back::send,
            role(R::can_edit_people).on(EPISODE),
        )
        // Connections to community organisations
        .get(
            "/episodes/{id}/match",
            connections::match_page,
            role(R::can_triage).on(EPISODE),
        )
        .get(
            "/episodes/{id}/refer",
            connections::refer_new,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/episodes/{id}/connections",
            connections::create,
            role(R::can_triage).on(EPISODE),
        )
        .post(
            "/connections/{id}/status",
            connections::status,
            role(R::can_triage).on(Target::Pcn("connection")),
        )
        .get("/waiting", connections::waiting, role(R::can_view_waiting))
        .get(
            "/partner/referrals",
            connections::partner_list,
            role(R::is_partner),
        )
        .get(
            "/partner/referrals/{id}",
            connections::partner_show,
            role(R::is_partner).on(Target::Partner("connection")),
        )
        .post(
            "/partner/referrals/{id}",
            connections::partner_status,
            role(R::is_partner).on(Target::Partner("connection")),
        )
        // Safeguarding and coding
        .get(
            "/safeguarding",
            journey::safeguarding_list,
            role(R::can_view_safeguarding),
        )
        .get(
            "/safeguarding/{id}",
            journey::safeguarding_show,
            role(R::can_close_safeguarding).on(Target::Pcn("safeguarding")),
        )
        .post(
            "/safeguarding/{id}",
            journey::safeguarding_close,
            role(R::can_close_safeguarding).on(Target::Pcn("safeguarding")),
        )
        .get("/coding", coding::list, role(R::can_code))
        .post(
            "/coding/{id}/recorded",
            coding::mark_recorded,
            role(R::can_code).on(Target::Pcn("coding_entry")),
        )
        .post("/coding/batches", coding::prepare_batch, role(R::can_code))
        .get(
            "/coding/batches/{id}/download",
            coding::batch_csv,
            role(R::can_code).on(Target::Pcn("coding_batch")),
        )
        .post(
            "/coding/batches/{id}/acknowledge",
            coding::acknowledge_batch,
            role(R::can_code).on(Target::Pcn("coding_batch")),
        )
        .get("/admin/coding", coding::catalogue, role(R::can_operate))
        .post("/admin/coding", coding::save_concept, role(R::can_operate))
        .get(
            "/admin/api-clients",
            api_clients::list,
            role(R::can_administer),
        )
        .post(
            "/admin/api-clients",
            api_clients::create,
            role(R::can_administer),
        )
        .post(
            "/admin/api-clients/{id}/revoke",
            api_clients::revoke,
            role(R::can_administer).on(Target::Pcn("api_client")),
        )
        // Link workers' and managers' views
        .get("/today", today::show, role(R::has_today))
        .get("/caseload", caseload::mine, role(R::has_caseload))
        .get(
            "/caseloads/{user_id}",
            caseload::of_worker,
            role_or_self(R::can_view_all_caseloads).on(Target::Pcn("link_worker")),
        )
        .get("/dashboard", reports::dashboard, role(R::can_view_reports))
        .get("/reports/print", reports::print, role(R::can_view_reports))
        .get(
            "/reports/practices",
            reports::practices,
            role(R::can_manage_pcn_settings),
        )
        .post(
            "/reports/practices",
            reports::save_practices,
            role(R::can_manage_pcn_settings),
        )
        .get("/reports/{kind}", reports::show, role(R::can_view_reports))
        .get(
            "/reports/{kind}/{file}",
            reports::export,
            role(R::can_view_reports),
        )
        .get("/audit", audit::list, role(R::can_view_audit))
        // Workforce, supervision, training, care homes
        .get("/workforce", workforce::list, role(R::can_manage_workforce))
        .post(
            "/workforce",
            workforce::create,
            role(R::can_manage_workforce),
        )
        .get(
            "/workforce/new",
            workforce::new_form,
            role(R::can_manage_workforce),
        )
        .post(
            "/workforce/{id}",
            workforce::update,
            role(R::can_manage_workforce).on(Target::Pcn("employment")),
        )
        .get(
            "/workforce/{id}/edit",
            workforce::edit_form,
            role(R::can_manage_workforce).on(Target::Pcn("employment")),
        )
        .get(
            "/workforce/arrs",
            workforce::arrs,
            role(R::can_manage_workforce),
        )
        .get(
            "/workforce/arrs/{file}",
            workforce::arrs_export,
            role(R::can_manage_workforce),
        )
        .get("/admin/arrs", workforce::caps, role(R::can_operate))
        .post("/admin/arrs", workforce::save_cap, role(R::can_operate))
        .get(
            "/supervision",
            supervision::list,
            role(R::can_view_supervision),
        )
        .post(
            "/supervision",
            supervision::create,
            role(R::can_record_supervision),
        )
        .get(
            "/supervision/new",
            supervision::new_form,
            role(R::can_record_supervision),
        )
        .get(
            "/supervision/{id}",
            supervision::show,
            role(R::can_view_supervision).on(Target::Pcn("supervision")),
        )
        .get("/training", training::show, role(R::can_record_training))
        .post(
            "/training/records",
            training::record,
            role(R::can_record_training),
        )
        .post(
            "/training/requirements",
            training::add_requirement,
            role(R::can_manage_pcn_settings),
        )
        .get(
            "/care-homes",
            care_homes::list,
            role(R::can_work_care_homes),
        )
        .post(
            "/care-homes",
            care_homes::create,
            role(R::can_work_care_homes),
        )
        .post(
            "/care-homes/{id}/status",
            care_homes::status,
            role(R::can_work_care_homes).on(Target::Pcn("care_home_task")),
        )
        // Accounts and settings
        .get("/admin/users", admin::users, role(R::can_manage_users))
        .post(
            "/admin/users",
            admin::create_user,
            role(R::can_manage_users),
        )
        .post(
            "/admin/users/{id}/disable",
            admin::disable_user,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .post(
            "/admin/users/{id}/enable",
            admin::enable_user,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .post(
            "/admin/users/{id}/reset-password",
            admin::reset_password,
            role(R::can_manage_users).on(Target::Pcn("user")),
        )
        .get("/settings", settings::show, signed_in())
        .post("/settings/password", settings::change_password, signed_in())
        .post("/settings/tokens", settings::create_token, signed_in())
        .post(
            "/settings/tokens/{id}/revoke",
            settings::revoke_token,
            signed_in().on(Target::Own("api_token")),
        )
        // The community directory
        .get(
            "/directory",
            directory::search,
            role(R::can_search_directory),
        )
        .get(
            "/directory/services/new",
            directory::new_form,
            role(R::can_manage_directory),
        )
        .post(
            "/directory/services",
            directory::create,
            role(R::can_manage_directory),
        )
        .get(
            "/directory/services/{id}",
            directory::show,
            role_or_owner(R::can_search_directory).on(Target::Shared("service")),
        )
        .post(
            "/directory/services/{id}",
            directory::update,
            role_or_owner(R::can_manage_directory).on(Target::Shared("service")),
        )
        .get(
            "/directory/services/{id}/edit",
            directory::edit_form,
            role_or_owner(R::can_manage_directory).on(Target::Shared("service")),
        )
        .post(
            "/directory/services/{id}/retire",
            directory::retire,
            role(R::can_manage_directory).on(Target::Shared("service")),
        )
        .post(
            "/directory/services/{id}/capacity",
            directory::set_capacity,
            role_or_owner(R::can_manage_directory).on(Target::Shared("service")),
        )
        .get(
            "/directory/import",
            directory::import_form,
            role(R::can_manage_directory),
        )
        .with(
            Method::Post,
            "/directory/import",
            import,
            role(R::can_manage_directory),
        )
        .get(
            "/directory/organizations",
            directory::organizations,
            role(R::can_view_partner_links),
        )
        .post(
            "/directory/organizations/{id}/partner",
            directory::link_partner,
            role(R::can_operate).on(Target::Shared("organization")),
        )
        .get("/partner", directory::partner_home, role(R::is_partner))
        // Who shares what between PCNs and partners (docs/security.md, "Ownership")
        .get(
            "/partners",
            partners::pcn_list,
            role(R::can_manage_partner_links),
        )
        .post(
            "/partners/{id}",
            partners::pcn_set,
            role(R::can_manage_partner_links).on(Target::Shared("partner_org")),
        )
        .post(
            "/partner/pcns/{id}",
            partners::partner_set,
            role(R::is_partner).on(Target::Partner("pcn_link")),
        )
        .get(
            "/operator/partners",
            partners::operator_list,
            role(R::can_operate),
        )
        .post(
            "/operator/partners",
            partners::operator_create,
            role(R::can_operate),
        )
        // Other systems: OAuth2 token, FHIR, the JSON API, Open Referral UK
        .post("/oauth/token", fhir::token, public())
        .nest("/fhir", fhir::routes())
        .nest("/api/v1", api::routes())
        .nest("/oruk", oruk::routes())
        .with(Method::Get, "/oruk/", oruk::meta_route(), public())
}

/// Every route of Linkwork, with the security headers and body limit on all of them.
pub fn router(state: AppState) -> Router {
    let (routes, _) = routes_of_linkwork().into_parts();
    routes
        .fallback(pages::health::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::request_timeout,
        ))
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

/// Accepts connections until `shutdown`, then lets requests in flight finish. Each
/// connection is HTTP/1.1 with a header read timeout; each request has the request timeout.
async fn serve_inner(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let header_timeout = state.config.header_read_timeout;
    let app = router(state);
    // Every connection holds a receiver; shutdown waits until all have gone.
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(addr));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
        let mut closed = closed.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = closed.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    drop(closed);
    // Requests in flight get half a minute; a client that stops reading does not hold
    // the shutdown for ever.
    if tokio::time::timeout(Duration::from_secs(30), closing.closed())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 30 s; shutting down anyway");
    }
    Ok(())
}
