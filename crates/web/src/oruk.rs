//! The directory as an Open Referral UK 3.0 API at `/oruk`: public, no key,
//! `Access-Control-Allow-Origin: *` on every answer, only published services.
//!
//! Paging: `page` from 1 (default 1) and `per_page` from 1 (default 50). `per_page` above
//! 500 is clamped to 500; `page` or `per_page` below 1, or not a number, is a 400. A page
//! beyond the last is an empty page (`empty: true`), not an error.

use crate::routes::Routes;
use crate::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use directory::oruk::{Organization, Page, Service, ServiceAtLocationItem, Taxonomy, TaxonomyTerm};
use directory::{export, Entry, SearchQuery};
use domain::directory::parse_time_of_day;
use domain::{Postcode, Weekday};
use std::collections::HashMap;

pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 500;

/// The ORUK routes: all public (see [`crate::routes`]).
pub fn routes() -> Routes {
    use crate::routes::{public, Target};
    const SHARED: Target = Target::Shared("directory");
    Routes::new()
        .get("/", meta, public())
        .get("/services", services, public())
        // The ORUK validator's legacy tests list with a trailing slash (`/services/`).
        .get("/services/", services, public())
        .get("/service_at_locations/", service_at_locations, public())
        .get("/taxonomies/", taxonomies, public())
        .get("/taxonomy_terms/", taxonomy_terms, public())
        .get("/organizations/", organizations, public())
        .get("/organizations", organizations, public())
        .get("/organizations/{id}", organization, public().on(SHARED))
        .get("/services/{id}", service, public().on(SHARED))
        .get("/service_at_locations", service_at_locations, public())
        .get(
            "/service_at_locations/{id}",
            service_at_location,
            public().on(SHARED),
        )
        .get("/taxonomies", taxonomies, public())
        .get("/taxonomies/{id}", taxonomy, public().on(SHARED))
        .get("/taxonomy_terms", taxonomy_terms, public())
        .get("/taxonomy_terms/{id}", taxonomy_term, public().on(SHARED))
        .map(|r| {
            r.fallback(|| async { ApiError(AppError::NotFound) })
                .layer(axum::middleware::map_response(cors))
        })
}

/// `GET /oruk/` (with the slash), which a nested router does not match.
pub fn meta_route() -> axum::routing::MethodRouter<AppState> {
    get(meta).layer(axum::middleware::map_response(cors))
}

/// ORUK errors: JSON with the HTTP status, bad parameters as 400.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self.0 {
            AppError::BadRequest(m) => (axum::http::StatusCode::BAD_REQUEST, m.clone()),
            AppError::NotFound => (axum::http::StatusCode::NOT_FOUND, "Not found".to_string()),
            other => {
                tracing::error!(error = ?other, "ORUK API error");
                (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong".to_string(),
                )
            }
        };
        let body = serde_json::json!({"status": status.as_u16(), "message": message});
        (status, Json(body)).into_response()
    }
}

async fn cors(mut res: Response) -> Response {
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

type Params = Query<HashMap<String, String>>;

async fn meta() -> impl IntoResponse {
    Json(serde_json::json!({
        "version": "3.0",
        "profile": "https://openreferraluk.org/",
        "openapi_url": "https://raw.githubusercontent.com/openreferral/uk-profile/main/openapi.json"
    }))
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(AppError::BadRequest(msg.into()))
}

/// (page, per_page) from the query.
fn paging(p: &HashMap<String, String>) -> Result<(u64, u64), ApiError> {
    let num = |name: &str, default: u64| -> Result<u64, ApiError> {
        match p.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => match s.parse::<i64>() {
                Ok(n) if n >= 1 => Ok(n as u64),
                Ok(_) => Err(bad(format!("{name} must be 1 or more"))),
                Err(_) => Err(bad(format!("{name} must be a whole number"))),
            },
        }
    };
    Ok((
        num("page", 1)?,
        num("per_page", DEFAULT_PER_PAGE)?.min(MAX_PER_PAGE),
    ))
}

fn page_of<T>(all: Vec<T>, page: u64, per_page: u64) -> Page<T> {
    let total = all.len() as u64;
    let start = ((page - 1).saturating_mul(per_page)).min(total) as usize;
    let contents: Vec<T> = all
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .collect();
    Page::new(contents, total, page, per_page)
}

/// The filters of `/services` and `/service_at_locations`.
async fn query(
    state: &AppState,
    p: &HashMap<String, String>,
    locations: bool,
) -> Result<SearchQuery, ApiError> {
    let get = |k: &str| p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let age = |k: &str| -> Result<Option<f64>, ApiError> {
        get(k)
            .map(|s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|a| a.is_finite() && (0.0..=150.0).contains(a))
                    .ok_or_else(|| bad(format!("{k} must be an age in years")))
            })
            .transpose()
    };
    let time = |k: &str| -> Result<Option<u16>, ApiError> {
        get(k)
            .map(|s| {
                parse_time_of_day(s).ok_or_else(|| bad(format!("{k} must be a time like 09:30")))
            })
            .transpose()
    };
    let mut q = SearchQuery {
        text: get("search").unwrap_or("").chars().take(200).collect(),
        taxonomy_term_id: get("taxonomy_term_id").map(str::to_string),
        taxonomy_id: get("taxonomy_id").map(str::to_string),
        minimum_age: age("minimum_age")?,
        maximum_age: age("maximum_age")?,
        start: time("start_time")?,
        end: time("end_time")?,
        day: get("day")
            .map(|d| Weekday::parse(d).ok_or_else(|| bad("day must be a day such as MO or Monday")))
            .transpose()?,
        public_only: true,
        include_inactive: true,
        keep_far: true,
        ..Default::default()
    };
    if locations {
        if let Some(pc) = get("postcode") {
            let pc = Postcode::parse(pc).map_err(bad)?;
            let point = state
                .directory
                .postcode(&pc.to_string())
                .await
                .map_err(AppError::from)?
                .ok_or_else(|| bad(format!("postcode {pc} is not in this directory's postcode table, so distances cannot be worked out")))?;
            q.near = Some(point);
        }
        if let Some(m) = get("proximity") {
            let m: f64 = m
                .parse()
                .ok()
                .filter(|m: &f64| m.is_finite() && *m > 0.0)
                .ok_or_else(|| bad("proximity must be a distance in metres"))?;
            if q.near.is_none() {
                return Err(bad("proximity needs a postcode"));
            }
            q.within_m = Some(m);
        }
    }
    Ok(q)
}

async fn published(state: &AppState, id: &str) -> Result<Entry, ApiError> {
    let e = state
        .directory
        .entry(id)
        .await
        .map_err(AppError::from)?
        .filter(export::published)
        .ok_or(AppError::NotFound)?;
    Ok(e)
}

async fn services(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Json<Page<Service>>, ApiError> {
    let (page, per_page) = paging(&p)?;
    let q = query(&state, &p, false).await?;
    let hits = state.directory.search(&q).map_err(AppError::from)?;
    let ids: Vec<String> = hits.into_iter().map(|h| h.id).collect();
    let page = page_of(ids, page, per_page);
    let entries = state
        .directory
        .entries(&page.contents)
        .await
        .map_err(AppError::from)?;
    // The index may lag another node's edit by a few seconds: check each record again.
    let contents = entries
        .iter()
        .filter(|e| export::published(e))
        .map(|e| export::oruk_service(e).summary())
        .collect();
    Ok(Json(Page {
        contents,
        ..page_shape(&page)
    }))
}

fn page_shape<T, U>(p: &Page<T>) -> Page<U> {
    Page {
        total_items: p.total_items,
        total_pages: p.total_pages,
        page_number: p.page_number,
        size: p.size,
        first_page: p.first_page,
        last_page: p.last_page,
        empty: p.empty,
        contents: vec![],
    }
}

async fn service(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Service>, ApiError> {
    let e = published(&state, &id).await?;
    Ok(Json(export::oruk_service(&e)))
}

async fn service_at_locations(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Json<Page<ServiceAtLocationItem>>, ApiError> {
    let (page, per_page) = paging(&p)?;
    let q = query(&state, &p, true).await?;
    let found = state
        .directory
        .index
        .search_locations(&q)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let page = page_of(found, page, per_page);
    let ids: Vec<String> = page.contents.iter().map(|(_, s, _)| s.clone()).collect();
    let entries: HashMap<String, Entry> = state
        .directory
        .entries(&ids)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|e| (e.service.id.clone(), e))
        .collect();
    let mut contents = vec![];
    for (sal_id, sid, d) in &page.contents {
        let Some(e) = entries.get(sid).filter(|e| export::published(e)) else {
            continue;
        };
        if let Some(item) = sal_item(e, sal_id, *d, true) {
            contents.push(item);
        }
    }
    Ok(Json(Page {
        contents,
        ..page_shape(&page)
    }))
}

fn sal_item(
    e: &Entry,
    sal_id: &str,
    distance: Option<f64>,
    list: bool,
) -> Option<ServiceAtLocationItem> {
    let sal = e
        .service
        .service_at_locations
        .iter()
        .find(|s| s.id == sal_id)?;
    let location = sal.location.clone().map(|mut l| {
        if list {
            l.addresses.clear();
            l.accessibility.clear();
            l.attributes.clear();
        }
        l
    });
    let service = export::oruk_service(e);
    Some(ServiceAtLocationItem {
        id: sal.id.clone(),
        service_id: e.service.id.clone(),
        location_id: location.as_ref().map(|l| l.id.clone()),
        location,
        service: if list { service.summary() } else { service },
        distance: distance.map(|d| d.round() as u64),
    })
}

async fn service_at_location(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ServiceAtLocationItem>, ApiError> {
    let sid = state
        .store
        .dir_service_for_location(&id)
        .await
        .map_err(AppError::from)?
        .ok_or(AppError::NotFound)?;
    let e = published(&state, &sid).await?;
    Ok(Json(
        sal_item(&e, &id, None, false).ok_or(AppError::NotFound)?,
    ))
}

/// Organisations with at least one published service, by name.
async fn organizations(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Json<Page<Organization>>, ApiError> {
    let (page, per_page) = paging(&p)?;
    let with_services = state.directory.index.published_by_organization();
    let all: Vec<Organization> = state
        .directory
        .organizations()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|(o, _)| o)
        .filter(|o| with_services.contains_key(&o.id))
        .collect();
    Ok(Json(page_of(all, page, per_page)))
}

/// One organisation with its published services (as in `/services`, without details).
async fn organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let ids = state
        .directory
        .index
        .published_by_organization()
        .remove(&id)
        .ok_or(AppError::NotFound)?;
    let org = state
        .directory
        .organizations()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|(o, _)| o)
        .find(|o| o.id == id)
        .ok_or(AppError::NotFound)?;
    let services: Vec<Service> = state
        .directory
        .entries(&ids)
        .await
        .map_err(AppError::from)?
        .iter()
        .filter(|e| export::published(e))
        .map(|e| {
            let mut s = export::oruk_service(e).summary();
            s.organization = None;
            s
        })
        .collect();
    let mut doc = serde_json::to_value(&org).map_err(|e| AppError::Internal(e.to_string()))?;
    doc["services"] =
        serde_json::to_value(&services).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Json(doc))
}

async fn taxonomies(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Json<Page<Taxonomy>>, ApiError> {
    let (page, per_page) = paging(&p)?;
    let all: Vec<Taxonomy> = state
        .directory
        .taxonomies()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|t| Taxonomy {
            taxonomy_terms: vec![],
            ..t
        })
        .collect();
    Ok(Json(page_of(all, page, per_page)))
}

async fn taxonomy(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Taxonomy>, ApiError> {
    let mut t = state
        .directory
        .taxonomies()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    t.taxonomy_terms = state
        .directory
        .terms()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .filter(|term| term.taxonomy_id.as_deref() == Some(id.as_str()))
        .collect();
    Ok(Json(t))
}

async fn taxonomy_terms(
    State(state): State<AppState>,
    Query(p): Params,
) -> Result<Json<Page<TaxonomyTerm>>, ApiError> {
    let (page, per_page) = paging(&p)?;
    let mut all = state.directory.terms().await.map_err(AppError::from)?;
    if let Some(t) = p.get("taxonomy_id").filter(|t| !t.is_empty()) {
        all.retain(|term| term.taxonomy_id.as_deref() == Some(t.as_str()));
    }
    Ok(Json(page_of(all, page, per_page)))
}

async fn taxonomy_term(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaxonomyTerm>, ApiError> {
    let t = state
        .directory
        .terms()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(Json(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_rules() {
        let p = |pairs: &[(&str, &str)]| {
            paging(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        assert_eq!(p(&[]).unwrap(), (1, DEFAULT_PER_PAGE));
        assert_eq!(p(&[("per_page", "100000")]).unwrap(), (1, MAX_PER_PAGE));
        assert!(p(&[("per_page", "0")]).is_err());
        assert!(p(&[("page", "-1")]).is_err());
        assert!(p(&[("page", "two")]).is_err());
        let page = page_of((1..=7).collect::<Vec<_>>(), 3, 3);
        assert_eq!(
            (page.contents, page.total_pages, page.last_page),
            (vec![7], 3, true)
        );
        let beyond = page_of((1..=7).collect::<Vec<_>>(), 9, 3);
        assert!(beyond.empty && beyond.contents.is_empty() && beyond.total_items == 7);
    }
}
