//! GP-record coding delivered to a practice's system: `GET /fhir/$coding-batch` hands out
//! the practice's open batch (the same one on every pull until acknowledged, so a lost
//! response is simply pulled again), `POST /fhir/Bundle/coding-{id}/$acknowledge` records
//! every code in it once. Only GP-system clients bound to a practice take part.

use super::{base_url, fhir_response, Client, FhirError, FhirResult, Params};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use domain::Scope;
use storage::CodingBatch;

async fn practice_of(state: &AppState, client: &Client) -> Result<(i64, i64), FhirError> {
    let pcn = client.pcn(state).await?;
    match client.token.client.practice_id {
        Some(p) => Ok((pcn, p)),
        None => Err(FhirError::Forbidden(
            "Coding is delivered to a GP system registered for one practice".into(),
        )),
    }
}

fn batch_id(id: &str) -> Option<i64> {
    id.strip_prefix("coding-")?.parse().ok()
}

fn render(state: &AppState, params: &Params, b: &CodingBatch) -> FhirResult {
    match params.get("_format") {
        Some("csv" | "text/csv") => {
            let mut r = interop::coding::csv(b).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            Ok(r)
        }
        None | Some("json" | "application/fhir+json") => Ok(fhir_response(
            StatusCode::OK,
            &interop::coding::message_bundle(&base_url(state), b),
        )),
        Some(f) => Err(FhirError::bad(format!(
            "_format {f} is not offered: use json or csv"
        ))),
    }
}

pub async fn pull(State(state): State<AppState>, client: Client, params: Params) -> FhirResult {
    client.need(&state, Scope::CodingRead).await?;
    params.only(&["practice"])?;
    let (pcn, practice) = practice_of(&state, &client).await?;
    let practices = state.store.list_practices(pcn).await?;
    let Some(p) = practices.iter().find(|p| p.id == practice) else {
        return Err(FhirError::NotFound(
            "The client's practice is not known".into(),
        ));
    };
    if let Some(ods) = params.get("practice") {
        if !ods.eq_ignore_ascii_case(&p.ods_code) {
            return Err(FhirError::Forbidden(format!(
                "This client pulls codes for {} only",
                p.ods_code
            )));
        }
    }
    match state
        .store
        .pull_coding_batch(pcn, practice, &client.actor())
        .await?
    {
        Some(b) => render(&state, &params, &b),
        None => Ok(fhir_response(
            StatusCode::OK,
            &interop::coding::empty_bundle(&base_url(&state), &p.ods_code, storage::now()),
        )),
    }
}

async fn batch_for(state: &AppState, client: &Client, id: &str) -> Result<CodingBatch, FhirError> {
    let (pcn, practice) = practice_of(state, client).await?;
    let found = match batch_id(id) {
        Some(n) => state.store.coding_batch(pcn, n).await?,
        None => None,
    };
    match found {
        Some(b) if b.practice_id == practice => Ok(b),
        _ => Err(client.not_found(state, &format!("Bundle/{id}")).await),
    }
}

pub async fn read(
    State(state): State<AppState>,
    client: Client,
    params: Params,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::CodingRead).await?;
    params.only(&[])?;
    let b = batch_for(&state, &client, &id).await?;
    for e in &b.entries {
        client
            .audit(
                &state,
                "coding.read",
                Some(e.person_id),
                format!("batch {}", b.id),
            )
            .await?;
    }
    render(&state, &params, &b)
}

pub async fn acknowledge(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> FhirResult {
    client.need(&state, Scope::CodingAck).await?;
    let b = batch_for(&state, &client, &id).await?;
    // Optionally a Parameters body naming the codes not filed: `not-filed` with
    // `valueReference` (`Observation/coding-entry-12`) or `valueString` (the id). Those
    // stay waiting for the next pull; the rest are recorded as filed.
    let mut not_filed = vec![];
    let p = if body.is_empty() {
        serde_json::json!({})
    } else {
        super::json_body(&headers, &body)?
    };
    // `{}` (or no body) acknowledges every code.
    if p.as_object().is_some_and(|o| !o.is_empty()) {
        if p["resourceType"] != "Parameters" {
            return Err(FhirError::bad(
                "Send a Parameters resource (or no body to acknowledge every code)",
            ));
        }
        for param in p["parameter"].as_array().into_iter().flatten() {
            if param["name"] != "not-filed" {
                return Err(FhirError::bad(
                    "The only parameter is not-filed (a code the GP system could not file)",
                ));
            }
            let named = param["valueReference"]["reference"]
                .as_str()
                .or(param["valueString"].as_str())
                .unwrap_or_default();
            let id = named.rsplit('/').next().unwrap_or_default();
            let entry = id
                .strip_prefix("coding-entry-")
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| b.entries.iter().any(|e| e.id == *n))
                .ok_or_else(|| {
                    FhirError::bad(format!(
                        "not-filed names '{named}', which is not a code in batch coding-{}",
                        b.id
                    ))
                })?;
            not_filed.push(entry);
        }
    }
    let already = b.acknowledged_at.is_some();
    let (b, recorded) = state
        .store
        .acknowledge_coding_batch(b.pcn_id, b.id, &not_filed, &client.actor())
        .await?;
    let text = if already {
        format!(
            "Batch coding-{} was already acknowledged; nothing changed",
            b.id
        )
    } else {
        let mut t = format!(
            "{recorded} code(s) in batch coding-{} are now recorded as filed in the GP record",
            b.id
        );
        if !not_filed.is_empty() {
            t.push_str(&format!(
                "; {} not filed will be offered again at the next pull",
                not_filed.len()
            ));
        }
        t
    };
    Ok(fhir_response(
        StatusCode::OK,
        &interop::operation_outcome(&[], Some(&text)),
    ))
}
