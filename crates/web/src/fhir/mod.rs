//! The FHIR R4 API at `/fhir` and the OAuth2 token endpoint at `/oauth/token`.
//!
//! Only registered API clients call it (GP clinical systems, referral hubs, partners'
//! systems), with bearer tokens from the client-credentials grant. Every interaction checks
//! the token's scope and the client's binding (its PCN and practice, or its partner
//! organisation), is audited, and answers errors as an OperationOutcome.

pub mod assertion;
mod clinical;
mod coding;
mod directory;
mod token;
mod workflow;

pub use token::token;

use crate::auth::{client_ip, sha256_hex};
use crate::routes::Routes;
use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{ClientKind, Scope};
use interop::Issue;
use serde_json::Value;
use std::collections::HashMap;
use storage::{Actor, AuditEntry, ClientToken, StorageError};

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// The FHIR routes, each with the scope it needs (see [`crate::routes`]).
pub fn routes() -> Routes {
    use crate::routes::{client, public, Target};
    use Scope::{
        CodingAck, CodingRead, DirectoryRead, RecordRead, ReferralWrite, TaskRead, TaskUpdate,
    };
    const BOUND: Target = Target::Bound("record");
    const SHARED: Target = Target::Shared("directory");
    Routes::new()
        .get("/metadata", metadata, public())
        .get(
            "/.well-known/smart-configuration",
            smart_configuration,
            public(),
        )
        .get("/Patient", clinical::patient_search, client(RecordRead))
        .get(
            "/Patient/{id}",
            clinical::patient_read,
            client(RecordRead).on(BOUND),
        )
        .get(
            "/Patient/{id}/_history/{vid}",
            clinical::patient_vread,
            client(RecordRead).on(BOUND),
        )
        .get(
            "/ServiceRequest",
            workflow::request_search,
            client(RecordRead),
        )
        .post(
            "/ServiceRequest",
            workflow::request_create,
            client(ReferralWrite),
        )
        // `referral-{id}` needs record.read; a partner reads `connection-{id}` with task.read.
        .get(
            "/ServiceRequest/{id}",
            workflow::request_read,
            client(RecordRead).on(BOUND),
        )
        .get(
            "/ServiceRequest/{id}/_history/{vid}",
            workflow::request_vread,
            client(RecordRead).on(BOUND),
        )
        .get("/Task", workflow::task_search, client(TaskRead))
        .get(
            "/Task/{id}/_history/{vid}",
            workflow::task_vread,
            client(TaskRead).on(BOUND),
        )
        .get(
            "/Task/{id}",
            workflow::task_read,
            client(TaskRead).on(BOUND),
        )
        .put(
            "/Task/{id}",
            workflow::task_update,
            client(TaskUpdate).on(BOUND),
        )
        .get("/CarePlan", clinical::care_plan_search, client(RecordRead))
        .get(
            "/CarePlan/{id}",
            clinical::care_plan_read,
            client(RecordRead).on(BOUND),
        )
        .get("/Goal", clinical::goal_search, client(RecordRead))
        .get(
            "/Goal/{id}",
            clinical::goal_read,
            client(RecordRead).on(BOUND),
        )
        .get(
            "/Observation",
            clinical::observation_search,
            client(RecordRead),
        )
        .get(
            "/Observation/{id}",
            clinical::observation_read,
            client(RecordRead).on(BOUND),
        )
        .get("/Encounter", clinical::encounter_search, client(RecordRead))
        .get(
            "/Encounter/{id}",
            clinical::encounter_read,
            client(RecordRead).on(BOUND),
        )
        .get(
            "/Composition/{id}",
            clinical::composition_read,
            client(RecordRead).on(BOUND),
        )
        .get(
            "/Composition/{id}/$document",
            clinical::composition_document,
            client(RecordRead).on(BOUND),
        )
        .get(
            "/HealthcareService",
            directory::service_search,
            client(DirectoryRead),
        )
        .get(
            "/HealthcareService/{id}",
            directory::service_read,
            client(DirectoryRead).on(SHARED),
        )
        .get(
            "/Organization",
            directory::organization_search,
            client(DirectoryRead),
        )
        .get(
            "/Organization/{id}",
            directory::organization_read,
            client(DirectoryRead).on(SHARED),
        )
        .get(
            "/Location/{id}",
            directory::location_read,
            client(DirectoryRead).on(SHARED),
        )
        .get("/$coding-batch", coding::pull, client(CodingRead))
        .get("/Bundle/{id}", coding::read, client(CodingRead).on(BOUND))
        .post(
            "/Bundle/{id}/$acknowledge",
            coding::acknowledge,
            client(CodingAck).on(BOUND),
        )
        .map(|r| {
            r.fallback(unsupported)
                .method_not_allowed_fallback(method_not_allowed)
                .layer(axum::middleware::from_fn(negotiate))
        })
}

/// FHIR JSON only (and CSV where a route offers it): a request that accepts only XML
/// (`Accept`, or `_format=xml`, which overrides it) gets 406 rather than JSON it did not
/// ask for.
async fn negotiate(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = req
        .uri()
        .query()
        .and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "_format")
                .map(|(_, v)| v.to_ascii_lowercase())
        })
        .unwrap_or_default();
    let json_ok = |s: &str| {
        s.is_empty()
            || s.split(',').any(|t| {
                let t = t.split(';').next().unwrap_or("").trim();
                // JSON, anything, or CSV (the coding batch's `_format=csv`).
                t.contains("json") || t.contains("csv") || t == "*/*" || t == "application/*"
            })
    };
    // `_format` overrides `Accept` (FHIR's rule).
    let ok = if format.is_empty() {
        json_ok(&accept)
    } else {
        json_ok(&format)
    };
    if !ok {
        return FhirError::NotAcceptable.into_response();
    }
    next.run(req).await
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> FhirError {
    FhirError::MethodNotAllowed(format!(
        "{method} {} is not supported; see /fhir/metadata for the interactions each resource has",
        uri.path()
    ))
}

/// An error answered as an OperationOutcome.
#[derive(Debug)]
pub enum FhirError {
    /// No token, or an expired or revoked one.
    Unauthenticated,
    /// The token lacks the scope, or the client is not bound to what this needs.
    Forbidden(String),
    NotFound(String),
    /// The request cannot be read (400).
    Bad(Vec<Issue>),
    /// The request was read but breaks a rule (422).
    Invalid(Vec<Issue>),
    /// The record changed since the version the client named.
    Conflict(StatusCode, String),
    /// The path exists but not with this method (405).
    MethodNotAllowed(String),
    /// The client accepts only a format Linkwork does not send (406).
    NotAcceptable,
    /// The body is not FHIR JSON (415).
    UnsupportedMedia(String),
    Unsupported(String),
    /// The database cannot be reached just now (503; retry, conditionally for a create).
    Unavailable,
    Internal(String),
}

impl FhirError {
    pub fn bad(msg: impl Into<String>) -> Self {
        FhirError::Bad(vec![Issue::new("invalid", msg)])
    }
}

impl From<StorageError> for FhirError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => FhirError::NotFound("Not found".into()),
            StorageError::Stale => FhirError::Conflict(
                StatusCode::CONFLICT,
                "The record changed since you read it; read it again and retry".into(),
            ),
            StorageError::Duplicate(m) | StorageError::Rule(m) => {
                FhirError::Invalid(vec![Issue::new("business-rule", m)])
            }
            StorageError::Backend(m) => FhirError::Internal(m),
            StorageError::Unavailable(_) => FhirError::Unavailable,
        }
    }
}

impl From<AppError> for FhirError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => FhirError::NotFound("Not found".into()),
            AppError::Forbidden
            | AppError::Csrf
            | AppError::NeedReason { .. }
            | AppError::SecondFactorNeeded { .. } => FhirError::Forbidden("Not allowed".into()),
            AppError::Unauthenticated { .. } => FhirError::Unauthenticated,
            AppError::Stale => StorageError::Stale.into(),
            AppError::BadRequest(m) => FhirError::Invalid(vec![Issue::new("invalid", m)]),
            AppError::Conflict(m) => FhirError::Invalid(vec![Issue::new("business-rule", m)]),
            AppError::TooLarge => FhirError::Invalid(vec![Issue::new(
                "too-costly",
                "The request is larger than Linkwork accepts (256 KiB)",
            )]),
            AppError::Timeout => FhirError::Internal("the request timed out".into()),
            AppError::Unavailable => FhirError::Unavailable,
            AppError::Internal(m) => FhirError::Internal(m),
        }
    }
}

/// A version read (`vread`) answered from a read: Linkwork keeps only the current version of
/// a record (its history is the audit log), so the version named is sent if it is the
/// current one, and otherwise 404 naming the current version.
pub(super) fn only_version(read: Response, what: &str, vid: &str) -> FhirResult {
    let current = read
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("W/\"")?.strip_suffix('"'))
        .map(str::to_string);
    match current {
        Some(c) if c == vid => Ok(read),
        Some(c) => Err(FhirError::NotFound(format!(
            "{what}/_history/{vid} is not kept: only the current version ({c}) is; read {what}"
        ))),
        None => Err(FhirError::NotFound(format!(
            "{what} has no versions to read"
        ))),
    }
}

/// Adds the deployment's codings (`[[fhir_measure_codes]]`) to each outcome measure's
/// Observation.code, in a resource or in a Bundle's entries.
pub(super) fn with_measure_codes(state: &AppState, mut v: Value) -> Value {
    if state.config.measure_codes.is_empty() {
        return v;
    }
    fn add(state: &AppState, r: &mut Value) {
        if r["resourceType"] != "Observation" {
            return;
        }
        let measure_system = interop::fhir::cs("outcome-measure");
        let instrument = r["code"]["coding"]
            .as_array()
            .and_then(|c| c.iter().find(|x| x["system"] == measure_system.as_str()))
            .and_then(|x| x["code"].as_str())
            .and_then(<domain::Instrument as domain::Code>::from_code);
        let Some(extra) = instrument.and_then(|i| state.config.measure_codes.get(&i)) else {
            return;
        };
        if let Some(codings) = r["code"]["coding"].as_array_mut() {
            codings.extend(extra.iter().cloned());
        }
    }
    if v["resourceType"] == "Bundle" {
        for e in v["entry"].as_array_mut().into_iter().flatten() {
            add(state, &mut e["resource"]);
        }
    } else {
        add(state, &mut v);
    }
    v
}

/// A FHIR JSON response. Empty strings, arrays and elements are removed at every depth
/// (FHIR forbids them), whichever code built the resource.
pub fn fhir_response(status: StatusCode, body: &Value) -> Response {
    let mut body = body.clone();
    interop::resources::prune(&mut body);
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    // A single resource with a version says so in the headers too (`ETag: W/"3"`, for
    // `If-Match`; `Last-Modified`), as FHIR's read and update return them.
    if body["resourceType"] != "Bundle" && body["resourceType"] != "OperationOutcome" {
        if let Some(v) = body["meta"]["versionId"].as_str() {
            if let Ok(v) = HeaderValue::from_str(&format!("W/\"{v}\"")) {
                h.insert(header::ETAG, v);
            }
        }
        let modified = body["meta"]["lastUpdated"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        if let Some(t) = modified {
            let http_date = t
                .with_timezone(&chrono::Utc)
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string();
            if let Ok(v) = HeaderValue::from_str(&http_date) {
                h.insert(header::LAST_MODIFIED, v);
            }
        }
    }
    r
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let (status, issues) = match self {
            FhirError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                vec![Issue::new("login", "Send a valid access token as 'Authorization: Bearer <token>' (POST /oauth/token with your client credentials to get one)")],
            ),
            FhirError::Forbidden(m) => (StatusCode::FORBIDDEN, vec![Issue::new("forbidden", m)]),
            FhirError::NotFound(m) => (StatusCode::NOT_FOUND, vec![Issue::new("not-found", m)]),
            FhirError::Bad(i) => (StatusCode::BAD_REQUEST, i),
            FhirError::Invalid(i) => (StatusCode::UNPROCESSABLE_ENTITY, i),
            FhirError::Conflict(s, m) => (s, vec![Issue::new("conflict", m)]),
            FhirError::Unsupported(m) => (StatusCode::NOT_FOUND, vec![Issue::new("not-supported", m)]),
            FhirError::MethodNotAllowed(m) => (StatusCode::METHOD_NOT_ALLOWED, vec![Issue::new("not-supported", m)]),
            FhirError::NotAcceptable => (
                StatusCode::NOT_ACCEPTABLE,
                vec![Issue::new("not-supported", "Linkwork sends FHIR JSON only: ask for application/fhir+json (or leave out Accept and _format)")],
            ),
            FhirError::UnsupportedMedia(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, vec![Issue::new("not-supported", m)]),
            FhirError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                vec![Issue::new("transient", "The database cannot be reached just now. A create may or may not have been saved if the connection was lost at its commit: retry with If-None-Exist, or search before retrying")],
            ),
            FhirError::Internal(m) => {
                tracing::error!(error = %m, "FHIR request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    vec![Issue::new("exception", "Something went wrong on our side; the request may be retried")],
                )
            }
        };
        let mut r = fhir_response(status, &interop::operation_outcome(&issues, None));
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"linkwork-fhir\""),
            );
        }
        r
    }
}

pub type FhirResult = Result<Response, FhirError>;

/// The calling system, from its bearer token.
#[derive(Debug, Clone)]
pub struct Client {
    pub token: ClientToken,
    pub ip: Option<String>,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, FhirError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(FhirError::Unauthenticated)?;
        let found = state
            .store
            .client_token(&sha256_hex(token), storage::now())
            .await?
            .ok_or(FhirError::Unauthenticated)?;
        Ok(Client {
            token: found,
            ip: client_ip(parts, &state.config),
        })
    }
}

impl Client {
    pub fn actor(&self) -> Actor {
        let c = &self.token.client;
        Actor {
            user_id: None,
            label: format!("api-client:{} ({})", c.client_id, c.name),
            ip: self.ip.clone(),
        }
    }

    pub fn kind(&self) -> ClientKind {
        self.token.client.kind
    }

    /// Allows the call if the token carries `scope`; otherwise audits and refuses.
    pub async fn need(&self, state: &AppState, scope: Scope) -> Result<(), FhirError> {
        if self.token.may(scope) {
            return Ok(());
        }
        self.refuse(
            state,
            &format!("scope {} required", domain::Code::code(scope)),
        )
        .await?;
        Err(FhirError::Forbidden(format!(
            "This needs the '{}' scope, which this token does not carry",
            domain::Code::code(scope)
        )))
    }

    async fn refuse(&self, state: &AppState, what: &str) -> Result<(), FhirError> {
        let entry = AuditEntry::new(
            &self.actor(),
            "access.forbidden",
            "fhir",
            None,
            self.token.client.pcn_id,
        )
        .detail(what);
        state.store.append_audit(&entry).await?;
        Ok(())
    }

    /// The client's PCN; partners' systems have none and are refused.
    pub async fn pcn(&self, state: &AppState) -> Result<i64, FhirError> {
        match self.token.client.pcn_id {
            Some(p) if self.kind() != ClientKind::Partner => Ok(p),
            _ => {
                self.refuse(state, "PCN records need a PCN-bound client")
                    .await?;
                Err(FhirError::Forbidden(
                    "Only a GP system or hub bound to a PCN may reach people's records".into(),
                ))
            }
        }
    }

    /// Whether the client's binding reaches `p` (of its PCN): a hub the whole PCN, a GP system
    /// only the people registered at its practice, and no one if it has no practice
    /// (docs/security.md, "Bindings inside a PCN").
    pub fn reaches_person(&self, p: &storage::Person) -> bool {
        match (self.kind(), self.token.client.practice_id) {
            (ClientKind::GpSystem, Some(x)) => p.details.practice_id == Some(x),
            (ClientKind::GpSystem, None) => false,
            _ => true,
        }
    }

    /// [`Client::reaches_person`] by id; anyone else's record answers as a missing one.
    pub async fn reaches(
        &self,
        state: &AppState,
        pcn: i64,
        person: i64,
    ) -> Result<bool, FhirError> {
        if self.kind() != ClientKind::GpSystem {
            return Ok(true);
        }
        Ok(state
            .store
            .get_person(pcn, person)
            .await?
            .is_some_and(|p| self.reaches_person(&p)))
    }

    /// Audits what the client read or did to a person's record (or a record set).
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        person: Option<i64>,
        detail: String,
    ) -> Result<(), FhirError> {
        let entity = if person.is_some() { "person" } else { "fhir" };
        let pcn = self.token.client.pcn_id;
        let entry = AuditEntry::new(&self.actor(), action, entity, person, pcn).detail(detail);
        state.store.append_audit(&entry).await?;
        Ok(())
    }

    /// Audits what the client read of a person of `pcn` (a partner's system reads PCNs'
    /// referrals): the entry carries the PCN that owns the data.
    pub async fn audit_in(
        &self,
        state: &AppState,
        action: &str,
        pcn: i64,
        person: i64,
        detail: String,
    ) -> Result<(), FhirError> {
        let entry = AuditEntry::new(&self.actor(), action, "person", Some(person), Some(pcn))
            .detail(detail);
        state.store.append_audit(&entry).await?;
        Ok(())
    }

    /// Audits a refused reach into another tenant's record and answers 404.
    pub async fn not_found(&self, state: &AppState, what: &str) -> FhirError {
        let entry = AuditEntry::new(
            &self.actor(),
            "access.denied",
            "fhir",
            None,
            self.token.client.pcn_id,
        )
        .detail(format!("{what}: not found for this client"));
        match state.store.append_audit(&entry).await {
            Ok(()) => FhirError::NotFound(format!("{what} is not known here")),
            Err(e) => e.into(),
        }
    }
}

/// The caller's address, when known.
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, &state.config)))
    }
}

/// The base URL of this FHIR server: the configured public address, never the `Host` header
/// (which a client chooses).
pub fn base_url(state: &AppState) -> String {
    format!("{}/fhir", state.config.public_url.trim_end_matches('/'))
}

/// Search parameters, checked against what a search supports: each once, but for
/// `_lastUpdated`, which may be repeated to give a range (`ge…&_lastUpdated=lt…`).
pub struct Params(pub HashMap<String, String>, Vec<String>);

impl Params {
    /// Refuses parameters the search does not support, so a typo is not silently ignored.
    pub fn only(&self, allowed: &[&str]) -> Result<(), FhirError> {
        let mut unknown: Vec<&String> = self
            .0
            .keys()
            .filter(|k| {
                !allowed.contains(&k.as_str())
                    && !matches!(
                        k.as_str(),
                        "_count"
                            | "_offset"
                            | "_after"
                            | "_format"
                            | "_summary"
                            | "_total"
                            | "_id"
                            | "_lastUpdated"
                            | "_sort"
                            // fhirpy sends it beside _count=0 to ask for a count, which is
                            // what _count=0 gives here.
                            | "_totalMethod"
                    )
            })
            .collect();
        unknown.sort();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(FhirError::Bad(vec![Issue::new(
                "not-supported",
                format!(
                    "Unsupported search parameter(s): {}. Supported: {}",
                    unknown
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    allowed.join(", ")
                ),
            )]))
        }
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// How many per page: `_count` (default 50; more than 200 is taken as 200; 0, or
    /// `_summary=count`, gives only the total), where to start (`_after`, the last id of
    /// the page before; `_offset` still works), and whether only the total is wanted.
    pub fn page(&self) -> Result<PageSpec, FhirError> {
        let count = match self.get("_count") {
            None => 50,
            Some(c) => c.parse::<usize>().map(|n| n.min(MAX_COUNT)).map_err(|_| {
                FhirError::bad("_count must be a whole number (at most 200 are sent a page)")
            })?,
        };
        let offset = match self.get("_offset") {
            None => 0,
            Some(o) => o
                .parse::<usize>()
                .map_err(|_| FhirError::bad("_offset must be a whole number"))?,
        };
        let summary_count = match self.get("_summary") {
            None | Some("false") => false,
            Some("count") => true,
            Some(other) => {
                return Err(FhirError::bad(format!(
                    "_summary={other} is not supported: use _summary=count (or leave it out)"
                )))
            }
        };
        if let Some(t) = self.get("_total") {
            if !matches!(t, "none" | "estimate" | "accurate") {
                return Err(FhirError::bad("_total must be none, estimate or accurate"));
            }
        }
        Ok(PageSpec {
            count,
            offset,
            after: self.get("_after").map(str::to_string),
            summary_count: summary_count || count == 0,
        })
    }

    /// A `patient` (or `subject`/`for`) search value as a person id: `Patient/3`, `3`, or
    /// the absolute `<this server's base>/Patient/3`. Another server's Patient is refused,
    /// never read as this server's patient with the same id.
    pub fn patient(&self, key: &str, base: &str) -> Result<Option<i64>, FhirError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let id = if let Some(rest) = v.strip_prefix("Patient/") {
            rest
        } else if v.contains("://") {
            v.strip_prefix(&format!("{}/Patient/", base.trim_end_matches('/')))
                .ok_or_else(|| {
                    FhirError::bad(format!(
                        "{key} names a Patient on another server: use Patient/{{id}} from {base}"
                    ))
                })?
        } else {
            v
        };
        id.parse::<i64>()
            .map(Some)
            .map_err(|_| FhirError::bad(format!("{key} must be Patient/{{id}} or an id")))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, FhirError> {
        let query = parts.uri.query().unwrap_or_default();
        let mut map = HashMap::new();
        let mut last_updated = vec![];
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if k == "_lastUpdated" {
                last_updated.push(v.to_string());
            } else if map.contains_key(k.as_ref()) {
                return Err(FhirError::bad(format!(
                    "{k} is given more than once: give it once (only _lastUpdated may be repeated, for a range)"
                )));
            }
            map.insert(k.to_string(), v.to_string());
        }
        Ok(Params(map, last_updated))
    }
}

/// The most entries sent in one page.
pub const MAX_COUNT: usize = 200;

use interop::fhir::LAST_UPDATED_KINDS;

/// What page of a search to send.
#[derive(Debug, Clone)]
pub struct PageSpec {
    pub count: usize,
    pub offset: usize,
    /// The id of the last entry of the page before: this page starts after it.
    pub after: Option<String>,
    /// Only the total (`_summary=count` or `_count=0`).
    pub summary_count: bool,
}

/// How entries are ordered for paging: an id's text before its number, then the number
/// ("connection-9" before "connection-10"). Ids never change, so a page that starts after
/// an id skips nothing and repeats nothing when records change between pages.
fn id_key(id: &str) -> (String, u64, String) {
    let digits = id.len() - id.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (head, tail) = id.split_at(id.len() - digits);
    (head.to_string(), tail.parse().unwrap_or(0), id.to_string())
}

/// How a search is ordered (`_sort`): by id (the default), or by `meta.lastUpdated` with the
/// id breaking ties; `-` for descending. Every order is total, and the `_after` cursor is the
/// last entry's key. By id (which never changes) nothing is skipped or repeated when records
/// change between pages; by time, a record changed mid-walk moves (ahead of the cursor: seen
/// twice, or behind it: missed), so a client syncs with `_lastUpdated=gt<last seen>`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum SortBy {
    Id { desc: bool },
    Updated { desc: bool },
}

type SortKey = (i64, (String, u64, String));

impl SortBy {
    fn from(params: &Params) -> Result<Self, FhirError> {
        match params.get("_sort") {
            None | Some("_id") => Ok(SortBy::Id { desc: false }),
            Some("-_id") => Ok(SortBy::Id { desc: true }),
            Some("_lastUpdated") => Ok(SortBy::Updated { desc: false }),
            Some("-_lastUpdated") => Ok(SortBy::Updated { desc: true }),
            Some(other) => Err(FhirError::bad(format!(
                "_sort={other} is not supported: use _id, -_id, _lastUpdated or -_lastUpdated"
            ))),
        }
    }

    /// An entry's key: its time of change (milliseconds; none sorts first) and its id.
    fn key(self, r: &Value) -> SortKey {
        let updated = match self {
            SortBy::Id { .. } => 0,
            SortBy::Updated { .. } => r["meta"]["lastUpdated"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map_or(i64::MIN, |t| t.timestamp_millis()),
        };
        (updated, id_key(r["id"].as_str().unwrap_or_default()))
    }

    fn cmp(self, a: &SortKey, b: &SortKey) -> std::cmp::Ordering {
        let o = a.cmp(b);
        match self {
            SortBy::Id { desc } | SortBy::Updated { desc } if desc => o.reverse(),
            _ => o,
        }
    }

    /// The cursor for a key: the id alone when sorting by id (as before `_sort`), else
    /// `<milliseconds>~<id>`.
    fn cursor(self, k: &SortKey) -> String {
        match self {
            SortBy::Id { .. } => k.1 .2.clone(),
            SortBy::Updated { .. } => format!("{}~{}", k.0, k.1 .2),
        }
    }

    fn parse_cursor(self, c: &str) -> Result<SortKey, FhirError> {
        match self {
            SortBy::Id { .. } if c.contains('~') => Err(FhirError::bad(
                "_after does not fit this _sort: follow the next link as given",
            )),
            SortBy::Id { .. } => Ok((0, id_key(c))),
            SortBy::Updated { .. } => c
                .split_once('~')
                .and_then(|(ms, id)| Some((ms.parse().ok()?, id_key(id))))
                .ok_or_else(|| {
                    FhirError::bad("_after does not fit this _sort: follow the next link as given")
                }),
        }
    }
}

/// `_lastUpdated` as FHIR writes it: an optional prefix (eq, ne, gt, lt, ge, le, sa, eb) and
/// a date or date-time. The instant and whether a resource updated then passes.
fn last_updated_filter(
    v: &str,
) -> Result<impl Fn(chrono::DateTime<chrono::Utc>) -> bool, FhirError> {
    let (prefix, rest) = match v.get(..2) {
        Some(p @ ("eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb")) => (p, &v[2..]),
        _ => ("eq", v),
    };
    // A `+01:00` offset sent unencoded arrives as a space.
    let rest = rest.replace(' ', "+");
    let rest = rest.as_str();
    let bad = || {
        FhirError::bad(format!(
            "_lastUpdated must be a date or a date-time with its time zone, with an optional prefix (eq, ne, gt, lt, ge, le, sa, eb), like ge2026-12-01T00:00:00Z; got '{v}'"
        ))
    };
    // A date alone is the whole day (UTC); a date-time is that instant.
    let (from, to) = if let Ok(t) = chrono::DateTime::parse_from_rfc3339(rest) {
        let t = t.with_timezone(&chrono::Utc);
        (t, t)
    } else if let Some(d) = (rest.len() == 10)
        .then(|| chrono::NaiveDate::parse_from_str(rest, "%Y-%m-%d").ok())
        .flatten()
    {
        let start = d.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc();
        (
            start,
            start + chrono::Duration::days(1) - chrono::Duration::milliseconds(1),
        )
    } else if rest.len() > 7 {
        return Err(bad());
    } else {
        // A year (`2026`) or a month (`2026-05`) is the whole of it, as FHIR's partial
        // dates mean.
        let (year, month) = match rest.split_once('-') {
            None => (rest, None),
            Some((y, m)) => (y, Some(m)),
        };
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        let year: i32 = digits(year, 4)
            .then(|| year.parse().ok())
            .flatten()
            .filter(|y| *y >= 1)
            .ok_or_else(bad)?;
        let (first, last) = match month {
            None => (1, 12),
            Some(m) if digits(m, 2) => {
                let m: u32 = m.parse().map_err(|_| bad())?;
                (m, m)
            }
            Some(_) => return Err(bad()),
        };
        let start = chrono::NaiveDate::from_ymd_opt(year, first, 1).ok_or_else(bad)?;
        let after = if last == 12 {
            chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            chrono::NaiveDate::from_ymd_opt(year, last + 1, 1)
        }
        .ok_or_else(bad)?;
        let start = start.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc();
        let end = after.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc()
            - chrono::Duration::milliseconds(1);
        (start, end)
    };
    let prefix = prefix.to_string();
    Ok(
        move |t: chrono::DateTime<chrono::Utc>| match prefix.as_str() {
            "eq" => t >= from && t <= to,
            "ne" => t < from || t > to,
            "gt" | "sa" => t > to,
            "lt" | "eb" => t < from,
            "ge" => t >= from,
            "le" => t <= to,
            _ => false,
        },
    )
}

/// One page of matches as a searchset Bundle, with self and next links. The generic
/// parameters are applied here, to every search alike: `_id`, `_lastUpdated` (on
/// `meta.lastUpdated`), `_count`, `_summary=count` and the `_after` cursor.
pub fn page_of(
    base: &str,
    kind: &str,
    params: &Params,
    all: Vec<Value>,
) -> Result<Response, FhirError> {
    page_shown(base, kind, params, all).map(|(r, _)| r)
}

/// [`page_of`], with the ids of the resources the page sends (for auditing the records
/// shown, not every record that matched).
pub fn page_shown(
    base: &str,
    kind: &str,
    params: &Params,
    mut all: Vec<Value>,
) -> Result<(Response, Vec<String>), FhirError> {
    let spec = params.page()?;
    if let Some(ids) = params.get("_id") {
        let ids: Vec<&str> = ids.split(',').map(str::trim).collect();
        all.retain(|r| r["id"].as_str().is_some_and(|id| ids.contains(&id)));
    }
    if !params.1.is_empty() && !LAST_UPDATED_KINDS.contains(&kind) {
        return Err(FhirError::bad(format!(
            "_lastUpdated is not offered on {kind} searches yet (see /fhir/metadata)"
        )));
    }
    for v in &params.1 {
        let passes = last_updated_filter(v.trim())?;
        all.retain(|r| {
            r["meta"]["lastUpdated"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| passes(t.with_timezone(&chrono::Utc)))
        });
    }
    let sort = SortBy::from(params)?;
    let mut keyed: Vec<(SortKey, Value)> = all.into_iter().map(|r| (sort.key(&r), r)).collect();
    keyed.sort_by(|a, b| sort.cmp(&a.0, &b.0));
    let total = keyed.len();
    let mut q: Vec<(String, String)> = params
        .0
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "_offset" | "_count" | "_after"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    q.sort();
    let link = |after: Option<&str>, offset: usize| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &q {
            s.append_pair(k, v);
        }
        s.append_pair("_count", &spec.count.to_string());
        if let Some(a) = after {
            s.append_pair("_after", a);
        }
        if offset > 0 {
            s.append_pair("_offset", &offset.to_string());
        }
        format!("{base}/{kind}?{}", s.finish())
    };
    let self_url = link(spec.after.as_deref(), spec.offset);
    if spec.summary_count {
        return Ok((
            fhir_response(
                StatusCode::OK,
                &interop::searchset(base, vec![], total, &self_url, None),
            ),
            vec![],
        ));
    }
    let start = match &spec.after {
        Some(a) => {
            let key = sort.parse_cursor(a)?;
            keyed.partition_point(|(k, _)| sort.cmp(k, &key) != std::cmp::Ordering::Greater)
        }
        None => 0,
    }
    .saturating_add(spec.offset);
    let rest: Vec<(SortKey, Value)> = keyed.into_iter().skip(start).collect();
    let more = rest.len() > spec.count;
    let page: Vec<(SortKey, Value)> = rest.into_iter().take(spec.count).collect();
    let next = if more {
        page.last().map(|(k, _)| link(Some(&sort.cursor(k)), 0))
    } else {
        None
    };
    let page: Vec<Value> = page.into_iter().map(|(_, r)| r).collect();
    let shown = page
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect();
    Ok((
        fhir_response(
            StatusCode::OK,
            &interop::searchset(base, page, total, &self_url, next.as_deref()),
        ),
        shown,
    ))
}

/// Reads a JSON body sent as FHIR JSON.
pub fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, FhirError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(ct.starts_with("application/fhir+json") || ct.starts_with("application/json")) {
        return Err(FhirError::UnsupportedMedia(
            "Send the resource as JSON with 'Content-Type: application/fhir+json'".into(),
        ));
    }
    if crate::form::json_has_nul(body) {
        return Err(FhirError::Bad(vec![Issue::new(
            "invalid",
            crate::form::NUL_REFUSED,
        )]));
    }
    serde_json::from_slice(body).map_err(|e| {
        FhirError::Bad(vec![Issue::new(
            "structure",
            format!("The body is not valid JSON: {e}"),
        )])
    })
}

async fn metadata(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let base = base_url(&state);
    let token_url = format!("{}/oauth/token", base.trim_end_matches("/fhir"));
    fhir_response(
        StatusCode::OK,
        &interop::fhir::capability_statement(&base, env!("CARGO_PKG_VERSION"), &token_url),
    )
}

/// SMART discovery (`/.well-known/smart-configuration`) for system clients: where the
/// token endpoint is and what it takes, so standard clients find it themselves. Only what
/// Linkwork does is said: client credentials, with a client secret (HTTP Basic or form
/// fields) or a signed JWT client assertion (SMART Backend Services); Linkwork's own scope
/// names and the SMART `system/` scopes that map onto them.
async fn smart_configuration(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Response {
    let token_url = format!(
        "{}/oauth/token",
        state.config.public_url.trim_end_matches('/')
    );
    let mut scopes: Vec<String> = <Scope as domain::Code>::ALL
        .iter()
        .map(|s| domain::Code::code(*s).to_string())
        .collect();
    scopes.extend(
        [
            "system/*.read",
            "system/*.write",
            "system/*.rs",
            "system/*.cud",
        ]
        .map(String::from),
    );
    for s in <Scope as domain::Code>::ALL {
        for (resource, access) in domain::interop::smart_reach(*s) {
            let v1 = if *access == "rs" { "read" } else { "write" };
            for word in [
                format!("system/{resource}.{v1}"),
                format!("system/{resource}.{access}"),
            ] {
                if !scopes.contains(&word) {
                    scopes.push(word);
                }
            }
        }
    }
    let body = serde_json::json!({
        "token_endpoint": token_url,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": assertion::ALGORITHMS,
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": scopes,
        "capabilities": ["client-confidential-symmetric", "client-confidential-asymmetric", "permission-v1", "permission-v2"],
    });
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn unsupported() -> FhirError {
    FhirError::Unsupported(
        "This interaction is not supported; see /fhir/metadata for what is".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(id: &str, updated: &str) -> Value {
        serde_json::json!({"resourceType": "Task", "id": id, "meta": {"lastUpdated": updated}})
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            vec![],
        )
    }

    /// Every page of a search, following `next` as a client would.
    async fn pages(all: &[Value], mut pairs: Vec<(String, String)>) -> Vec<String> {
        let mut seen = vec![];
        loop {
            let p: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let (r, _) = page_shown("https://x/fhir", "Task", &params(&p), all.to_vec()).unwrap();
            let body = axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .unwrap();
            let b: Value = serde_json::from_slice(&body).unwrap();
            for e in b["entry"].as_array().into_iter().flatten() {
                seen.push(e["resource"]["id"].as_str().unwrap().to_string());
            }
            let Some(next) = b["link"]
                .as_array()
                .and_then(|l| l.iter().find(|x| x["relation"] == "next"))
                .and_then(|x| x["url"].as_str())
            else {
                return seen;
            };
            let query = next.split_once('?').unwrap().1;
            pairs = form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        }
    }

    #[test]
    fn last_updated_takes_a_year_or_a_month_as_the_whole_of_it() {
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
        let may = last_updated_filter("2026-05").unwrap();
        assert!(may(at("2026-05-01T00:00:00Z")) && may(at("2026-05-31T23:59:59Z")));
        assert!(!may(at("2026-04-30T23:59:59Z")) && !may(at("2026-06-01T00:00:00Z")));
        let after_2025 = last_updated_filter("gt2025").unwrap();
        assert!(!after_2025(at("2025-12-31T23:59:59Z")) && after_2025(at("2026-01-01T00:00:00Z")));
        let december = last_updated_filter("le2026-12").unwrap();
        assert!(december(at("2026-12-31T23:00:00Z")) && !december(at("2027-01-01T00:00:00Z")));
        for bad in [
            "2026-13",
            "26",
            "2026-5",
            "2026-05-1",
            "soon",
            "2026-00",
            "+202",
            "2026-+5",
            "0000",
        ] {
            assert!(last_updated_filter(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn sorts_by_last_updated_either_way_and_pages_without_gaps() {
        let all = vec![
            resource("connection-10", "2026-12-01T10:00:00Z"),
            resource("connection-2", "2026-12-03T10:00:00Z"),
            resource("connection-3", "2026-12-01T10:00:00Z"),
            resource("connection-9", "2026-11-30T09:00:00Z"),
            resource("connection-1", "2026-12-02T08:30:00Z"),
        ];
        let by = |sort: &str| {
            vec![
                ("_sort".to_string(), sort.to_string()),
                ("_count".into(), "2".into()),
            ]
        };
        // Oldest change first; the same time is ordered by id (3 before 10).
        assert_eq!(
            pages(&all, by("_lastUpdated")).await,
            [
                "connection-9",
                "connection-3",
                "connection-10",
                "connection-1",
                "connection-2"
            ]
        );
        assert_eq!(
            pages(&all, by("-_lastUpdated")).await,
            [
                "connection-2",
                "connection-1",
                "connection-10",
                "connection-3",
                "connection-9"
            ]
        );
        assert_eq!(
            pages(&all, by("-_id")).await,
            [
                "connection-10",
                "connection-9",
                "connection-3",
                "connection-2",
                "connection-1"
            ]
        );
        assert_eq!(
            pages(&all, vec![("_count".into(), "2".into())]).await,
            [
                "connection-1",
                "connection-2",
                "connection-3",
                "connection-9",
                "connection-10"
            ]
        );
        // Anything else is refused, naming what is offered; so is a cursor of another order.
        let refused = page_shown(
            "https://x/fhir",
            "Task",
            &params(&[("_sort", "status")]),
            all.clone(),
        );
        assert!(refused.is_err());
        let mixed = page_shown(
            "https://x/fhir",
            "Task",
            &params(&[("_sort", "_lastUpdated"), ("_after", "connection-3")]),
            all,
        );
        assert!(mixed.is_err());
    }
}
