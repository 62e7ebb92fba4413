//! Referrals: inbound ServiceRequests that open an episode on the PCN's unassigned queue,
//! outbound ServiceRequests to community services, and their closed-loop Tasks, which a
//! partner's system answers with the same rules as the partner pages.

use super::{
    base_url, fhir_response, json_body, page_of, page_shown, Client, FhirError, FhirResult, Params,
};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use domain::{
    ClientKind, Code, ConnectionKind, ConnectionStatus, FieldErrors, ReferralSource, Scope, Side,
};
use interop::inbound::{read_service_request, read_task_update, InboundPerson};
use interop::resources::{self, Viewer};
use interop::Issue;
use serde_json::Value;
use storage::{Connection, ConnectionScope, PersonRef, StatusChange, StorageError};

/// Where each form field sits in an inbound ServiceRequest.
fn fhir_path(field: &str) -> &'static str {
    match field {
        "given_name" => "Patient.name.given",
        "family_name" => "Patient.name.family",
        "date_of_birth" => "Patient.birthDate",
        "nhs_number" => "Patient.identifier",
        "sex" => "Patient.gender",
        "postcode" => "Patient.address.postalCode",
        "address" => "Patient.address",
        "phone" | "email" => "Patient.telecom",
        "practice_id" => "Patient.generalPractitioner",
        "consent" => "ServiceRequest.extension",
        "needs" => "ServiceRequest.reasonCode",
        "reason" => "ServiceRequest.note",
        "urgency" => "ServiceRequest.priority",
        "source" => "ServiceRequest.extension",
        "referrer_name" | "referrer_contact" | "referrer_role" | "referrer_organisation" => {
            "ServiceRequest.requester"
        }
        _ => "ServiceRequest",
    }
}

fn issues_of(e: &FieldErrors) -> Vec<Issue> {
    e.0.iter()
        .map(|f| Issue::new("invariant", f.message.clone()).at(fhir_path(&f.field)))
        .collect()
}

pub async fn request_create(
    State(state): State<AppState>,
    client: Client,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> FhirResult {
    client.need(&state, Scope::ReferralWrite).await?;
    let pcn = client.pcn(&state).await?;
    let json = json_body(&headers, &body)?;
    // The sender's own identifier for this referral, kept per client: a retry with
    // If-None-Exist finds the referral already made (never another client's).
    let namespaced =
        |system: &str, value: &str| format!("{} {system}|{value}", client.token.client.id);
    let sent_identifier = json["identifier"]
        .as_array()
        .and_then(|ids| ids.first())
        .and_then(|i| Some((i["system"].as_str()?, i["value"].as_str()?)))
        .filter(|(s, v)| !s.is_empty() && !v.is_empty() && s.len() + v.len() <= 400)
        .map(|(s, v)| namespaced(s, v));
    // Conditional create: `If-None-Exist: identifier=<system>|<value>` (FHIR's header), or
    // the same criterion in the query string (`POST ServiceRequest?identifier=…`, as some
    // client libraries send it). Given both, they must agree.
    let criterion = |raw: &str, what: &str| -> Result<String, FhirError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .filter(|(k, _)| k != "_format")
            .collect();
        match pairs.as_slice() {
            [(k, v)] if k == "identifier" => match v.split_once('|') {
                Some((s, val)) if !s.is_empty() && !val.is_empty() => Ok(namespaced(s, val)),
                _ => Err(FhirError::bad(format!(
                    "{what} takes identifier=<system>|<value> (the ServiceRequest's own identifier)"
                ))),
            },
            _ => Err(FhirError::bad(format!(
                "{what} takes identifier=<system>|<value> (the ServiceRequest's own identifier) and nothing else"
            ))),
        }
    };
    let from_header = headers
        .get("if-none-exist")
        .map(|h| criterion(h.to_str().unwrap_or_default(), "If-None-Exist"))
        .transpose()?;
    let from_query = query
        .as_deref()
        .filter(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k != "_format"))
        .map(|q| criterion(q, "A ServiceRequest POST's query"))
        .transpose()?;
    let conditional = match (from_header, from_query) {
        (Some(h), Some(q)) if h != q => {
            return Err(FhirError::bad(
                "If-None-Exist and the query name different identifiers: give one",
            ))
        }
        (h, q) => h.or(q),
    };
    if let Some(key) = &conditional {
        if let Some(found) = already_sent(&state, &client, pcn, key).await? {
            return Ok(found);
        }
        if sent_identifier.as_ref() != Some(key) {
            return Err(FhirError::bad(
                "If-None-Exist must name the ServiceRequest's own identifier (its first identifier's system|value)",
            ));
        }
    }
    let default_source = match client.kind() {
        ClientKind::GpSystem => ReferralSource::Gp,
        _ => ReferralSource::Other,
    };
    let inbound = read_service_request(&json, default_source, &state.config.reason_codes).map_err(
        |issues| {
            if issues
                .iter()
                .any(|i| i.expression.as_deref() == Some("resourceType") || i.code == "structure")
            {
                FhirError::Bad(issues)
            } else {
                FhirError::Invalid(issues)
            }
        },
    )?;
    let practices = state.store.list_practices(pcn).await?;
    let mut issues = vec![];
    let person = match inbound.person {
        InboundPerson::Existing(id) => match state.store.get_person(pcn, id).await? {
            Some(_) if client.reaches(&state, pcn, id).await? => Some(PersonRef::Existing(id)),
            _ => {
                client
                    .audit(
                        &state,
                        "access.denied",
                        None,
                        format!("referral for Patient/{id}: not in this PCN"),
                    )
                    .await?;
                issues.push(
                    Issue::new("not-found", format!("No Patient/{id} in this PCN"))
                        .at("ServiceRequest.subject"),
                );
                None
            }
        },
        InboundPerson::New {
            mut draft,
            practice_ods,
        } => {
            let practice = match practice_ods {
                Some(ods) => match practices
                    .iter()
                    .find(|p| p.ods_code.eq_ignore_ascii_case(&ods))
                {
                    Some(p) => Some(p.id),
                    None => {
                        issues.push(
                            Issue::new(
                                "code-invalid",
                                format!("Practice {ods} is not a practice of this PCN"),
                            )
                            .at("Patient.generalPractitioner"),
                        );
                        None
                    }
                },
                None => client.token.client.practice_id,
            };
            draft.practice_id = practice;
            match draft.validate(domain::uk_time::today()) {
                Ok(d) => Some(PersonRef::New(Box::new(d))),
                Err(e) => {
                    issues.extend(issues_of(&e));
                    None
                }
            }
        }
    };
    let mut referral_draft = inbound.referral;
    if referral_draft.referrer_organisation.is_empty() {
        referral_draft.referrer_organisation = match client.token.client.practice_id {
            Some(id) => practices
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            None => client.token.client.name.clone(),
        };
    }
    if referral_draft.referrer_role.is_empty() {
        referral_draft.referrer_role = ReferralSource::from_code(&referral_draft.source)
            .map(|s| s.label().to_string())
            .unwrap_or_default();
    }
    let referral = match referral_draft.validate() {
        Ok(mut r) => {
            r.source_identifier = sent_identifier.clone();
            Some(r)
        }
        Err(e) => {
            issues.extend(issues_of(&e));
            None
        }
    };
    let (Some(person), Some(referral), true) = (person, referral, issues.is_empty()) else {
        return Err(FhirError::Invalid(issues));
    };
    let unmatched = match &person {
        PersonRef::New(d) => Some(d.clone()),
        PersonRef::Existing(_) => None,
    };
    let mut person = crate::pages::referrals::match_existing(&state, pcn, person).await?;
    // A GP system joins a referral only to a record it may reach (its own practice's). A
    // patient held at another practice (they may have moved) is referred as given: the PCN
    // team sees the likely duplicate on the new record and merges the two. Nothing here tells
    // the client that another practice's record exists.
    if let PersonRef::Existing(id) = &person {
        if !client.reaches(&state, pcn, *id).await? {
            // Audited once the referral is made, as each record the new one looks like is.
            // (An explicit subject the client cannot reach was refused above.)
            person = PersonRef::New(unmatched.ok_or_else(|| {
                FhirError::Forbidden("This system may not refer for that patient".into())
            })?);
        }
    }
    // One person, one record: a new patient who looks like one the client may reach (the NHS
    // number, or a similar name with the same date of birth) is refused, naming that record,
    // rather than made a second time.
    let mut unreachable = vec![];
    if let PersonRef::New(d) = &person {
        let held = state.store.find_possible_duplicates(pcn, d).await?;
        let mut reachable = vec![];
        for p in &held {
            if client.reaches(&state, pcn, p.id).await? {
                reachable.push(p.id);
            } else {
                unreachable.push(p.id);
            }
        }
        if !reachable.is_empty() {
            for id in &reachable {
                client
                    .audit(
                        &state,
                        "person.duplicate_matched",
                        Some(*id),
                        "an inbound referral's patient looks like this record; refused, naming it"
                            .into(),
                    )
                    .await?;
            }
            let named: Vec<String> = reachable.iter().map(|id| format!("Patient/{id}")).collect();
            let msg = format!(
                "This patient may already be held as {}: send the referral with subject set to that Patient, or correct the demographics if they are someone else",
                named.join(" or ")
            );
            return Err(FhirError::Conflict(StatusCode::CONFLICT, msg));
        }
    }
    let made = state
        .store
        .create_referral(
            pcn,
            person,
            &referral,
            None,
            storage::now(),
            &client.actor(),
        )
        .await;
    let (r, e) = match made {
        Ok(x) => x,
        // The same identifier again: a retry (perhaps racing the first). With If-None-Exist
        // the first is returned; without it, nothing is made twice and the client is told.
        Err(storage::StorageError::Duplicate(_)) if sent_identifier.is_some() => {
            let key = sent_identifier.as_deref().unwrap_or_default();
            if conditional.is_some() {
                if let Some(found) = already_sent(&state, &client, pcn, key).await? {
                    return Ok(found);
                }
            }
            let existing = state
                .store
                .referral_by_source_identifier(pcn, key)
                .await?
                .map(|(r, _)| format!(" as ServiceRequest/referral-{}", r.id))
                .unwrap_or_default();
            return Err(FhirError::Conflict(
                StatusCode::CONFLICT,
                format!("A referral with this identifier was already received{existing}: send If-None-Exist: identifier=<system>|<value> to have it returned instead"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    // Only once the new record exists: each record it looks like, which the client was not
    // told of, is audited as matched, for the PCN team's duplicate check.
    for id in unreachable {
        client
            .audit(
                &state,
                "person.duplicate_matched",
                Some(id),
                format!("an inbound referral's patient looks like this record, held at a practice the client cannot reach; new record {} made for the PCN team to check", e.person_id),
            )
            .await?;
    }
    // create_referral audits the referral against the client in its transaction.
    let base = base_url(&state);
    let mut resp = fhir_response(StatusCode::CREATED, &resources::referral_request(&r, &e));
    // FHIR's create answers with the version made: [base]/[type]/[id]/_history/[vid].
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{base}/ServiceRequest/referral-{}/_history/{}",
        r.id, e.version
    )) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// The referral this client already sent under `key`, answered as a conditional create
/// answers a match: 200 with the resource (audited as a read).
async fn already_sent(
    state: &AppState,
    client: &Client,
    pcn: i64,
    key: &str,
) -> Result<Option<axum::response::Response>, FhirError> {
    let Some((r, e)) = state.store.referral_by_source_identifier(pcn, key).await? else {
        return Ok(None);
    };
    client
        .audit(
            state,
            "fhir.referral.read",
            Some(r.person_id),
            format!("referral {}: If-None-Exist matched; nothing made", r.id),
        )
        .await?;
    let base = base_url(state);
    let mut resp = fhir_response(StatusCode::OK, &resources::referral_request(&r, &e));
    // FHIR's create answers with the version made: [base]/[type]/[id]/_history/[vid].
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{base}/ServiceRequest/referral-{}/_history/{}",
        r.id, e.version
    )) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(Some(resp))
}

enum RequestId {
    Referral(i64),
    Connection(i64),
}

fn request_id(id: &str) -> Option<RequestId> {
    if let Some(n) = id.strip_prefix("referral-") {
        return n.parse().ok().map(RequestId::Referral);
    }
    id.strip_prefix("connection-")?
        .parse()
        .ok()
        .map(RequestId::Connection)
}

/// A connection the client may see, and as whom.
async fn connection_for(
    state: &AppState,
    client: &Client,
    id: i64,
    what: &str,
) -> Result<(Connection, Viewer), FhirError> {
    let c = &client.token.client;
    let (scope, viewer) = match (c.kind, c.partner_org_id, c.pcn_id) {
        (ClientKind::Partner, Some(org), _) => (ConnectionScope::Partner(org), Viewer::Partner),
        (ClientKind::GpSystem | ClientKind::Hub, _, Some(pcn)) => {
            (ConnectionScope::Pcn(pcn), Viewer::Pcn)
        }
        _ => {
            return Err(FhirError::Forbidden(
                "This client is not bound to a PCN or partner organisation".into(),
            ))
        }
    };
    match state.store.get_connection(scope, id).await? {
        Some(conn)
            if (viewer == Viewer::Pcn
                && client.reaches(state, conn.pcn_id, conn.person_id).await?)
                || (viewer == Viewer::Partner && conn.kind == ConnectionKind::Referral) =>
        {
            Ok((conn, viewer))
        }
        _ => Err(client.not_found(state, what).await),
    }
}

pub async fn request_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    let what = format!("ServiceRequest/{id}");
    match request_id(&id) {
        Some(RequestId::Referral(n)) => {
            client.need(&state, Scope::RecordRead).await?;
            let pcn = client.pcn(&state).await?;
            let Some(r) = state.store.get_referral(pcn, n).await? else {
                return Err(client.not_found(&state, &what).await);
            };
            if !client.reaches(&state, pcn, r.person_id).await? {
                return Err(client.not_found(&state, &what).await);
            }
            let eps = state.store.episodes_for_person(pcn, r.person_id).await?;
            let Some(e) = eps.iter().find(|e| e.referral_id == r.id) else {
                return Err(client.not_found(&state, &what).await);
            };
            client
                .audit(
                    &state,
                    "fhir.servicerequest.read",
                    Some(r.person_id),
                    format!("referral {n}"),
                )
                .await?;
            Ok(fhir_response(
                StatusCode::OK,
                &resources::referral_request(&r, e),
            ))
        }
        Some(RequestId::Connection(n)) => {
            let scope = if client.kind() == ClientKind::Partner {
                Scope::TaskRead
            } else {
                Scope::RecordRead
            };
            client.need(&state, scope).await?;
            let (c, viewer) = connection_for(&state, &client, n, &what).await?;
            client
                .audit_in(
                    &state,
                    "fhir.servicerequest.read",
                    c.pcn_id,
                    c.person_id,
                    format!("connection {n}"),
                )
                .await?;
            Ok(fhir_response(
                StatusCode::OK,
                &resources::connection_request(&c, viewer),
            ))
        }
        None => Err(FhirError::NotFound(format!("{what} is not known here"))),
    }
}

pub async fn request_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    let Some((pcn, person)) = super::clinical::by_patient(&state, &client, &params).await? else {
        return page_of(&base_url(&state), "ServiceRequest", &params, vec![]);
    };
    let referrals = state.store.referrals_for_person(pcn, person).await?;
    let episodes = state.store.episodes_for_person(pcn, person).await?;
    let mut out: Vec<Value> = referrals
        .iter()
        .filter_map(|r| {
            episodes
                .iter()
                .find(|e| e.referral_id == r.id)
                .map(|e| resources::referral_request(r, e))
        })
        .collect();
    out.extend(
        state
            .store
            .connections_for_person(pcn, person)
            .await?
            .iter()
            .map(|c| resources::connection_request(c, Viewer::Pcn)),
    );
    client
        .audit(
            &state,
            "fhir.servicerequest.search",
            Some(person),
            format!("{} requests", out.len()),
        )
        .await?;
    page_of(&base_url(&state), "ServiceRequest", &params, out)
}

fn task_id(id: &str) -> Option<i64> {
    id.strip_prefix("connection-")?.parse().ok()
}

/// `GET ServiceRequest/{id}/_history/{vid}`: the current version (see `only_version`).
pub async fn request_vread(
    state: State<AppState>,
    client: Client,
    Path((id, vid)): Path<(String, String)>,
) -> FhirResult {
    let read = request_read(state, client, Path(id.clone())).await?;
    super::only_version(read, &format!("ServiceRequest/{id}"), &vid)
}

/// `GET Task/{id}/_history/{vid}`: the current version (see `only_version`).
pub async fn task_vread(
    state: State<AppState>,
    client: Client,
    Path((id, vid)): Path<(String, String)>,
) -> FhirResult {
    let read = task_read(state, client, Path(id.clone())).await?;
    super::only_version(read, &format!("Task/{id}"), &vid)
}

pub async fn task_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::TaskRead).await?;
    let what = format!("Task/{id}");
    let n = task_id(&id).ok_or(FhirError::NotFound(format!("{what} is not known here")))?;
    let (c, viewer) = connection_for(&state, &client, n, &what).await?;
    if c.kind != ConnectionKind::Referral {
        return Err(client.not_found(&state, &what).await);
    }
    client
        .audit_in(
            &state,
            "fhir.task.read",
            c.pcn_id,
            c.person_id,
            format!("connection {n}"),
        )
        .await?;
    Ok(fhir_response(StatusCode::OK, &resources::task(&c, viewer)))
}

pub async fn task_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    client.need(&state, Scope::TaskRead).await?;
    params.only(&["owner", "status", "patient"])?;
    let statuses: Vec<ConnectionStatus> = match params.get("status") {
        None => vec![],
        Some(s) => s
            .split(',')
            .map(|x| {
                ConnectionStatus::from_code(x.trim())
                    .ok_or_else(|| FhirError::bad(format!("Unknown Task status '{}'", x.trim())))
            })
            .collect::<Result<_, _>>()?,
    };
    let c = &client.token.client;
    let (list, viewer) = match (c.kind, c.partner_org_id) {
        (ClientKind::Partner, Some(org)) => {
            if params.get("patient").is_some() {
                return Err(FhirError::Forbidden(
                    "A partner's system searches its Tasks by owner and status".into(),
                ));
            }
            (
                state.store.connections_for_partner(org).await?,
                Viewer::Partner,
            )
        }
        _ => {
            let pcn = client.pcn(&state).await?;
            let mut list = match params.patient("patient", &base_url(&state))? {
                Some(p) => {
                    if state.store.get_person(pcn, p).await?.is_none()
                        || !client.reaches(&state, pcn, p).await?
                    {
                        // No such patient for this client: an empty result (audited).
                        match client.not_found(&state, &format!("Patient/{p}")).await {
                            FhirError::NotFound(_) => vec![],
                            e => return Err(e),
                        }
                    } else {
                        state.store.connections_for_person(pcn, p).await?
                    }
                }
                // Open ones unless the search asks for a status: then every one, so
                // `status=completed` finds the completed.
                None if statuses.is_empty() => state.store.open_referrals(pcn, None).await?,
                None => state.store.referrals_in_pcn(pcn).await?,
            };
            // A GP system sees the referrals of its own practice's people only.
            if client.kind() == ClientKind::GpSystem {
                let mut kept = Vec::with_capacity(list.len());
                for c in list {
                    if client.reaches(&state, pcn, c.person_id).await? {
                        kept.push(c);
                    }
                }
                list = kept;
            }
            (list, Viewer::Pcn)
        }
    };
    let owner = params
        .get("owner")
        .map(|o| o.strip_prefix("Organization/").unwrap_or(o).to_string());
    let out: Vec<&Connection> = list
        .iter()
        .filter(|x| x.kind == ConnectionKind::Referral)
        .filter(|x| statuses.is_empty() || statuses.contains(&x.status))
        .filter(|x| match &owner {
            None => true,
            Some(o) => x
                .partner_org_id
                .is_some_and(|p| *o == format!("partner-{p}")),
        })
        .collect();
    let resources = out.iter().map(|x| resources::task(x, viewer)).collect();
    // Only the records the page shows are audited as read.
    let (res, shown) = page_shown(&base_url(&state), "Task", &params, resources)?;
    for x in out
        .iter()
        .filter(|x| shown.contains(&format!("connection-{}", x.id)))
    {
        client
            .audit_in(
                &state,
                "fhir.task.search",
                x.pcn_id,
                x.person_id,
                format!("connection {}", x.id),
            )
            .await?;
    }
    Ok(res)
}

/// `If-Match: W/"3"` → 3.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, FhirError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or_default().trim();
    // `*`: whatever version it is now.
    if s == "*" {
        return Ok(None);
    }
    let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
    s.parse::<i64>()
        .map(Some)
        .map_err(|_| FhirError::bad("If-Match must be a version, like W/\"3\""))
}

pub async fn task_update(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> FhirResult {
    client.need(&state, Scope::TaskUpdate).await?;
    let what = format!("Task/{id}");
    let n = task_id(&id).ok_or(FhirError::NotFound(format!("{what} is not known here")))?;
    let Some(org) = client
        .token
        .client
        .partner_org_id
        .filter(|_| client.kind() == ClientKind::Partner)
    else {
        return Err(FhirError::Forbidden(
            "Only a partner's system answers referrals".into(),
        ));
    };
    let expected = if_match(&headers)?;
    let json = json_body(&headers, &body)?;
    // Structure problems (an element Task lacks, a wrong type) are 400, as for a
    // ServiceRequest; rules broken are 422.
    let update = read_task_update(&json, &id).map_err(|issues| {
        if issues
            .iter()
            .any(|i| i.expression.as_deref() == Some("resourceType") || i.code == "structure")
        {
            FhirError::Bad(issues)
        } else {
            FhirError::Invalid(issues)
        }
    })?;
    let (current, _) = connection_for(&state, &client, n, &what).await?;
    let version = expected.unwrap_or(current.version);
    let change = StatusChange {
        to: update.status,
        reason: update.reason,
        note: update.note,
        side: Side::Partner,
        at: None,
    };
    match state
        .store
        .update_connection(
            ConnectionScope::Partner(org),
            n,
            version,
            &change,
            &client.actor(),
        )
        .await
    {
        Ok(c) => Ok(fhir_response(
            StatusCode::OK,
            &resources::task(&c, Viewer::Partner),
        )),
        Err(StorageError::Stale) if expected.is_some() => Err(FhirError::Conflict(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "The Task is at version {}, not {version}; read it again",
                current.version
            ),
        )),
        Err(StorageError::NotFound) => Err(client.not_found(&state, &what).await),
        Err(StorageError::Rule(m)) => Err(FhirError::Invalid(vec![
            Issue::new("business-rule", m).at("Task.status")
        ])),
        Err(e) => Err(e.into()),
    }
}
