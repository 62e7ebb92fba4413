//! The community directory as HealthcareService, Organization and Location: only what the
//! directory publishes (public, not retired). Needs `directory.read`.

use super::{base_url, fhir_response, page_of, Client, FhirError, FhirResult, Params};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use directory::Entry;
use domain::Scope;
use interop::resources;
use serde_json::Value;

fn published(e: &Entry) -> bool {
    e.listing.public && e.listing.retired_on.is_none()
}

async fn entries(state: &AppState) -> Result<Vec<Entry>, FhirError> {
    Ok(state
        .directory
        .all_entries()
        .await
        .map_err(|e| FhirError::Internal(e.to_string()))?
        .into_iter()
        .filter(published)
        .collect())
}

/// When each directory organisation last changed: the latest change to a published listing
/// of its services (an organisation is carried by its services' records).
fn org_changes(
    entries: &[Entry],
    orgs: &[storage::DirOrgRecord],
) -> std::collections::HashMap<String, chrono::DateTime<chrono::Utc>> {
    let mut out = std::collections::HashMap::new();
    let mut later = |id: &str, at: chrono::DateTime<chrono::Utc>| {
        let t = out.entry(id.to_string()).or_insert(at);
        *t = (*t).max(at);
    };
    // Its own record and partner link, and every service it runs.
    for o in orgs {
        later(&o.id, o.updated_at);
    }
    for e in entries {
        if let Some(o) = &e.service.organization {
            later(&o.id, e.updated_at);
        }
    }
    out
}

/// An Organization with `meta.lastUpdated`: the latest change to it or to its services.
fn dated(
    v: Value,
    changed: &std::collections::HashMap<String, chrono::DateTime<chrono::Utc>>,
) -> Value {
    match v["id"].as_str().and_then(|id| changed.get(id)) {
        Some(t) => resources::with_last_updated(v, *t),
        None => v,
    }
}

pub async fn service_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::DirectoryRead).await?;
    let found = state
        .directory
        .entry(&id)
        .await
        .map_err(|e| FhirError::Internal(e.to_string()))?
        .filter(published)
        .and_then(|e| resources::healthcare_service(&e));
    match found {
        Some(v) => Ok(fhir_response(StatusCode::OK, &v)),
        None => Err(FhirError::NotFound(format!(
            "HealthcareService/{id} is not known here"
        ))),
    }
}

pub async fn service_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    client.need(&state, Scope::DirectoryRead).await?;
    params.only(&["name", "organization"])?;
    let name = params.get("name").map(str::to_lowercase);
    let org = params
        .get("organization")
        .map(|o| o.strip_prefix("Organization/").unwrap_or(o).to_string());
    let mut list = entries(&state).await?;
    list.sort_by_key(|a| a.service.name.to_lowercase());
    let out: Vec<Value> = list
        .iter()
        .filter(|e| {
            name.as_ref()
                .is_none_or(|n| e.service.name.to_lowercase().contains(n))
        })
        .filter(|e| {
            org.as_ref()
                .is_none_or(|o| e.service.organization.as_ref().is_some_and(|x| &x.id == o))
        })
        .filter_map(resources::healthcare_service)
        .collect();
    page_of(&base_url(&state), "HealthcareService", &params, out)
}

pub async fn organization_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::DirectoryRead).await?;
    let not_found = || FhirError::NotFound(format!("Organization/{id} is not known here"));
    if let Some(n) = id.strip_prefix("pcn-").and_then(|n| n.parse::<i64>().ok()) {
        let pcn = state
            .store
            .list_pcns()
            .await?
            .into_iter()
            .find(|p| p.id == n)
            .ok_or_else(not_found)?;
        return Ok(fhir_response(
            StatusCode::OK,
            &resources::pcn_organization(&pcn),
        ));
    }
    if let Some(n) = id
        .strip_prefix("partner-")
        .and_then(|n| n.parse::<i64>().ok())
    {
        let org = state
            .store
            .list_partner_orgs()
            .await?
            .into_iter()
            .find(|p| p.id == n)
            .ok_or_else(not_found)?;
        let listed = state
            .directory
            .organizations()
            .await
            .map_err(|e| FhirError::Internal(e.to_string()))?
            .into_iter()
            .find(|(_, partner)| *partner == Some(n))
            .map(|(o, _)| o);
        return Ok(fhir_response(
            StatusCode::OK,
            &resources::partner_organization(&org, listed.as_ref()),
        ));
    }
    let found = state
        .directory
        .organizations()
        .await
        .map_err(|e| FhirError::Internal(e.to_string()))?
        .into_iter()
        .find(|(o, _)| o.id == id)
        .and_then(|(o, partner)| resources::organization(&o, partner));
    let changed = org_changes(
        &entries(&state).await?,
        &state.store.dir_organizations().await?,
    );
    found
        .map(|v| fhir_response(StatusCode::OK, &dated(v, &changed)))
        .ok_or_else(not_found)
}

pub async fn organization_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    client.need(&state, Scope::DirectoryRead).await?;
    params.only(&["name"])?;
    let name = params.get("name").map(str::to_lowercase);
    let mut orgs = state
        .directory
        .organizations()
        .await
        .map_err(|e| FhirError::Internal(e.to_string()))?;
    orgs.sort_by_key(|a| a.0.name.to_lowercase());
    let changed = org_changes(
        &entries(&state).await?,
        &state.store.dir_organizations().await?,
    );
    let out: Vec<Value> = orgs
        .iter()
        .filter(|(o, _)| {
            name.as_ref()
                .is_none_or(|n| o.name.to_lowercase().contains(n))
        })
        .filter_map(|(o, partner)| resources::organization(o, *partner))
        .map(|v| dated(v, &changed))
        .collect();
    page_of(&base_url(&state), "Organization", &params, out)
}

pub async fn location_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::DirectoryRead).await?;
    let all = entries(&state).await?;
    // A location is dated by the latest change to the listings held at it.
    let changed = all
        .iter()
        .filter(|e| {
            e.service
                .service_at_locations
                .iter()
                .any(|sal| sal.location.as_ref().is_some_and(|l| l.id == id))
        })
        .map(|e| e.updated_at)
        .max();
    for e in &all {
        for sal in &e.service.service_at_locations {
            if let Some(l) = sal.location.as_ref().filter(|l| l.id == id) {
                if let Some(v) = resources::location(l) {
                    let v = match changed {
                        Some(t) => resources::with_last_updated(v, t),
                        None => v,
                    };
                    return Ok(fhir_response(StatusCode::OK, &v));
                }
            }
        }
    }
    Err(FhirError::NotFound(format!(
        "Location/{id} is not known here"
    )))
}
