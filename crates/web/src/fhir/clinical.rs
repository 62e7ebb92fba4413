//! People's records: Patient, CarePlan, Goal, Observation, Encounter and the message back
//! as a Composition. All need `record.read` and a PCN-bound client.

use super::{base_url, fhir_response, page_of, page_shown, Client, FhirError, FhirResult, Params};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use domain::{CarePlan, EpisodeState, Measure, NhsNumber, RecordKind, Scope};
use interop::resources::{self, PlanState};
use serde_json::Value;
use storage::{Episode, EpisodeRecord, PersonQuery};

fn numeric(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|n| *n > 0)
}

async fn practice_of(
    state: &AppState,
    pcn: i64,
    id: Option<i64>,
) -> Result<Option<storage::Practice>, FhirError> {
    Ok(match id {
        Some(id) => state
            .store
            .list_practices(pcn)
            .await?
            .into_iter()
            .find(|p| p.id == id),
        None => None,
    })
}

/// `GET Patient/{id}/_history/{vid}`: the current version (see `only_version`).
pub async fn patient_vread(
    state: State<AppState>,
    client: Client,
    Path((id, vid)): Path<(String, String)>,
) -> FhirResult {
    let read = patient_read(state, client, Path(id.clone())).await?;
    super::only_version(read, &format!("Patient/{id}"), &vid)
}

pub async fn patient_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::RecordRead).await?;
    let pcn = client.pcn(&state).await?;
    let found = match numeric(&id) {
        Some(n) => state
            .store
            .get_person(pcn, n)
            .await?
            .filter(|p| client.reaches_person(p)),
        None => None,
    };
    let Some(person) = found else {
        return Err(client.not_found(&state, &format!("Patient/{id}")).await);
    };
    client
        .audit(&state, "fhir.patient.read", Some(person.id), String::new())
        .await?;
    let practice = practice_of(&state, pcn, person.details.practice_id).await?;
    Ok(fhir_response(
        StatusCode::OK,
        &resources::patient(&person, practice.as_ref()),
    ))
}

pub async fn patient_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    client.need(&state, Scope::RecordRead).await?;
    let pcn = client.pcn(&state).await?;
    params.only(&["identifier", "name", "birthdate"])?;
    let mut q = PersonQuery {
        limit: 200,
        ..Default::default()
    };
    if let Some(ident) = params.get("identifier") {
        let value = match ident.split_once('|') {
            Some((system, v)) if system == interop::fhir::NHS_NUMBER => v,
            Some((system, _)) => {
                return Err(FhirError::bad(format!(
                    "Search identifiers in {} only, not {system}",
                    interop::fhir::NHS_NUMBER
                )))
            }
            None => ident,
        };
        let n = NhsNumber::parse(value).map_err(|e| FhirError::bad(format!("identifier: {e}")))?;
        q.nhs_number = Some(n.as_str().into());
    }
    if let Some(name) = params.get("name") {
        if name.chars().count() > 100 {
            return Err(FhirError::bad("name must be 100 characters or fewer"));
        }
        q.name = Some(name.into());
    }
    // A date with FHIR's prefixes: `eq` (or none) is that day; `ne`, `gt`, `lt`, `ge`, `le`
    // compare (still only with a name or NHS number: no one is listed by age alone).
    let mut born: Option<(String, chrono::NaiveDate)> = None;
    if let Some(d) = params.get("birthdate") {
        let (prefix, rest) = match d.get(..2) {
            Some(p @ ("eq" | "ne" | "gt" | "lt" | "ge" | "le")) => (p, &d[2..]),
            _ => ("eq", d),
        };
        let day = chrono::NaiveDate::parse_from_str(rest, "%Y-%m-%d").map_err(|_| {
            FhirError::bad("birthdate must be a date, YYYY-MM-DD, with an optional prefix (eq, ne, gt, lt, ge, le)")
        })?;
        if prefix == "eq" {
            q.date_of_birth = Some(day);
        } else if q.nhs_number.is_none() {
            // A name and a range would list everyone of that name born in it.
            return Err(FhirError::bad(
                "With a name, give the exact birthdate (a range such as ge… needs the NHS number)",
            ));
        }
        born = Some((prefix.to_string(), day));
    }
    // `_id` alone: those patients, if this client holds them.
    let ids: Option<Vec<i64>> = params
        .get("_id")
        .map(|v| v.split(',').filter_map(|x| numeric(x.trim())).collect());
    if let (Some(ids), None, None) = (&ids, &q.nhs_number, &q.name) {
        let practices = state.store.list_practices(pcn).await?;
        let mut out = vec![];
        let mut found = vec![];
        for id in ids.iter().take(MAX_IDS) {
            if let Some(p) = state.store.get_person(pcn, *id).await? {
                if client.reaches_person(&p) {
                    let practice = practices
                        .iter()
                        .find(|x| Some(x.id) == p.details.practice_id);
                    out.push(resources::patient(&p, practice));
                    found.push(p.id);
                }
            }
        }
        let (res, shown) = page_shown(&base_url(&state), "Patient", &params, out)?;
        for id in found.iter().filter(|id| shown.contains(&id.to_string())) {
            client
                .audit(
                    &state,
                    "fhir.patient.search",
                    Some(*id),
                    "search by _id".into(),
                )
                .await?;
        }
        return Ok(res);
    }
    if q.nhs_number.is_none() && (q.name.is_none() || born.is_none()) {
        return Err(FhirError::bad(
            "Search by identifier (NHS number), or by name and birthdate together",
        ));
    }
    let mut people = state.store.search_people(pcn, &q).await?;
    people.retain(|p| client.reaches_person(p));
    if let Some((prefix, day)) = &born {
        people.retain(|p| {
            let b = p.details.date_of_birth;
            match prefix.as_str() {
                "ne" => b != *day,
                "gt" => b > *day,
                "lt" => b < *day,
                "ge" => b >= *day,
                "le" => b <= *day,
                _ => b == *day,
            }
        });
    }
    let practices = state.store.list_practices(pcn).await?;
    let mut out = vec![];
    for p in &people {
        let practice = practices
            .iter()
            .find(|x| Some(x.id) == p.details.practice_id);
        out.push(resources::patient(p, practice));
    }
    // Only the records the page shows are audited as read.
    let (res, shown) = page_shown(&base_url(&state), "Patient", &params, out)?;
    for p in people.iter().filter(|p| shown.contains(&p.id.to_string())) {
        client
            .audit(
                &state,
                "fhir.patient.search",
                Some(p.id),
                "search match".into(),
            )
            .await?;
    }
    Ok(res)
}

/// The most patients one `_id` search names.
const MAX_IDS: usize = 50;

/// Whether a plan is current, replaced by a later review, or ended with its episode.
fn plan_state(rec: &EpisodeRecord, all: &[EpisodeRecord], episodes: &[Episode]) -> PlanState {
    let later = all
        .iter()
        .any(|r| r.kind == RecordKind::Plan && r.episode_id == rec.episode_id && r.id > rec.id);
    if later {
        return PlanState::Superseded;
    }
    match episodes
        .iter()
        .find(|e| e.id == rec.episode_id)
        .map(|e| e.state)
    {
        Some(EpisodeState::Discharged | EpisodeState::Declined | EpisodeState::UnableToContact) => {
            PlanState::Closed
        }
        _ => PlanState::Current,
    }
}

/// A person's plans, each with its state, read with two queries.
/// A person's plans: the record id, the plan, where it stands, and the record's version and
/// time of change (its `meta`).
type PlanOf = (i64, CarePlan, PlanState, i64, chrono::DateTime<chrono::Utc>);

async fn plans(state: &AppState, pcn: i64, person: i64) -> Result<Vec<PlanOf>, FhirError> {
    let all = state.store.records_for_person(pcn, person).await?;
    let episodes = state.store.episodes_for_person(pcn, person).await?;
    Ok(all
        .iter()
        .filter(|r| r.kind == RecordKind::Plan)
        .filter_map(|r| {
            r.parse::<CarePlan>().map(|p| {
                (
                    r.id,
                    p,
                    plan_state(r, &all, &episodes),
                    r.version,
                    r.updated_at,
                )
            })
        })
        .collect())
}

/// A record of `kind` by id, in the client's PCN, with all the person's records.
async fn record_of(
    state: &AppState,
    client: &Client,
    pcn: i64,
    id: i64,
    kind: RecordKind,
    what: &str,
) -> Result<(EpisodeRecord, Vec<EpisodeRecord>), FhirError> {
    match state.store.get_record(pcn, id).await? {
        Some(r) if r.kind == kind && client.reaches(state, pcn, r.person_id).await? => {
            let all = state.store.records_for_person(pcn, r.person_id).await?;
            Ok((r, all))
        }
        _ => Err(client.not_found(state, what).await),
    }
}

pub async fn care_plan_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::RecordRead).await?;
    let pcn = client.pcn(&state).await?;
    let what = format!("CarePlan/{id}");
    let n = numeric(&id).ok_or(FhirError::NotFound(format!("{what} is not known here")))?;
    let (rec, all) = record_of(&state, &client, pcn, n, RecordKind::Plan, &what).await?;
    let plan: CarePlan = rec
        .parse()
        .ok_or_else(|| FhirError::Internal(format!("plan {n} unreadable")))?;
    let episodes = state.store.episodes_for_person(pcn, rec.person_id).await?;
    let st = plan_state(&rec, &all, &episodes);
    client
        .audit(
            &state,
            "fhir.careplan.read",
            Some(rec.person_id),
            format!("record {n}"),
        )
        .await?;
    Ok(fhir_response(
        StatusCode::OK,
        &resources::with_meta(
            resources::care_plan(rec.id, rec.person_id, &plan, st),
            rec.version,
            rec.updated_at,
        ),
    ))
}

/// The checks every search by patient makes: `record.read`, a PCN-bound client, only the
/// `patient` (or `subject`) parameter, and a person of that PCN. Returns (PCN, person).
/// The PCN and person a patient-scoped search names; `None` (an empty result, never a 404)
/// when this client holds no such patient (audited as a denied access all the same).
pub(super) async fn by_patient(
    state: &AppState,
    client: &Client,
    params: &Params,
) -> Result<Option<(i64, i64)>, FhirError> {
    client.need(state, Scope::RecordRead).await?;
    let pcn = client.pcn(state).await?;
    params.only(&["patient", "subject"])?;
    let base = base_url(state);
    let id = params
        .patient("patient", &base)?
        .or(params.patient("subject", &base)?)
        .ok_or_else(|| FhirError::bad("Search by patient (patient=Patient/{id})"))?;
    match state.store.get_person(pcn, id).await? {
        Some(_) if client.reaches(state, pcn, id).await? => Ok(Some((pcn, id))),
        _ => match client.not_found(state, &format!("Patient/{id}")).await {
            FhirError::NotFound(_) => Ok(None),
            e => Err(e),
        },
    }
}

pub async fn care_plan_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    let Some((pcn, person)) = by_patient(&state, &client, &params).await? else {
        return page_of(&base_url(&state), "CarePlan", &params, vec![]);
    };
    let out: Vec<Value> = plans(&state, pcn, person)
        .await?
        .iter()
        .map(|(id, p, st, v, at)| {
            resources::with_meta(resources::care_plan(*id, person, p, *st), *v, *at)
        })
        .collect();
    client
        .audit(
            &state,
            "fhir.careplan.search",
            Some(person),
            format!("{} plans", out.len()),
        )
        .await?;
    page_of(&base_url(&state), "CarePlan", &params, out)
}

pub async fn goal_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::RecordRead).await?;
    let pcn = client.pcn(&state).await?;
    let what = format!("Goal/{id}");
    let parsed = id
        .split_once('-')
        .and_then(|(r, n)| Some((numeric(r)?, n.parse::<usize>().ok()?)));
    let Some((rid, n)) = parsed else {
        return Err(FhirError::NotFound(format!("{what} is not known here")));
    };
    let (rec, all) = record_of(&state, &client, pcn, rid, RecordKind::Plan, &what).await?;
    let plan: CarePlan = rec
        .parse()
        .ok_or_else(|| FhirError::Internal(format!("plan {rid} unreadable")))?;
    let episodes = state.store.episodes_for_person(pcn, rec.person_id).await?;
    let st = plan_state(&rec, &all, &episodes);
    let Some(goal) = resources::goal(rec.id, rec.person_id, &plan, n, st)
        .map(|g| resources::with_meta(g, rec.version, rec.updated_at))
    else {
        return Err(client.not_found(&state, &what).await);
    };
    client
        .audit(
            &state,
            "fhir.goal.read",
            Some(rec.person_id),
            format!("record {rid} goal {n}"),
        )
        .await?;
    Ok(fhir_response(StatusCode::OK, &goal))
}

pub async fn goal_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    let Some((pcn, person)) = by_patient(&state, &client, &params).await? else {
        return page_of(&base_url(&state), "Goal", &params, vec![]);
    };
    let out: Vec<Value> = plans(&state, pcn, person)
        .await?
        .iter()
        .flat_map(|(id, p, st, v, at)| {
            (1..=p.goals.len()).filter_map(move |n| {
                resources::goal(*id, person, p, n, *st).map(|g| resources::with_meta(g, *v, *at))
            })
        })
        .collect();
    client
        .audit(
            &state,
            "fhir.goal.search",
            Some(person),
            format!("{} goals", out.len()),
        )
        .await?;
    page_of(&base_url(&state), "Goal", &params, out)
}

pub async fn observation_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::RecordRead).await?;
    let pcn = client.pcn(&state).await?;
    let what = format!("Observation/{id}");
    let n = numeric(&id).ok_or(FhirError::NotFound(format!("{what} is not known here")))?;
    let (rec, _) = record_of(&state, &client, pcn, n, RecordKind::Measure, &what).await?;
    let m: Measure = rec
        .parse()
        .ok_or_else(|| FhirError::Internal(format!("measure {n} unreadable")))?;
    client
        .audit(
            &state,
            "fhir.observation.read",
            Some(rec.person_id),
            format!("record {n}"),
        )
        .await?;
    Ok(fhir_response(
        StatusCode::OK,
        &super::with_measure_codes(
            &state,
            resources::with_meta(
                resources::observation(rec.id, rec.person_id, &m),
                rec.version,
                rec.updated_at,
            ),
        ),
    ))
}

pub async fn observation_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    let Some((pcn, person)) = by_patient(&state, &client, &params).await? else {
        return page_of(&base_url(&state), "Observation", &params, vec![]);
    };
    let out: Vec<Value> = state
        .store
        .records_for_person(pcn, person)
        .await?
        .iter()
        .filter(|r| r.kind == RecordKind::Measure)
        .filter_map(|r| {
            r.parse::<Measure>().map(|m| {
                super::with_measure_codes(
                    &state,
                    resources::with_meta(
                        resources::observation(r.id, person, &m),
                        r.version,
                        r.updated_at,
                    ),
                )
            })
        })
        .collect();
    client
        .audit(
            &state,
            "fhir.observation.search",
            Some(person),
            format!("{} measures", out.len()),
        )
        .await?;
    page_of(&base_url(&state), "Observation", &params, out)
}

pub async fn encounter_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::RecordRead).await?;
    let pcn = client.pcn(&state).await?;
    let what = format!("Encounter/{id}");
    let Some(n) = numeric(&id) else {
        return Err(FhirError::NotFound(format!("{what} is not known here")));
    };
    let Some(person) = state.store.contact_person(pcn, n).await? else {
        return Err(client.not_found(&state, &what).await);
    };
    if !client.reaches(&state, pcn, person).await? {
        return Err(client.not_found(&state, &what).await);
    }
    let contacts = state.store.contacts_for_person(pcn, person).await?;
    let Some(c) = contacts.iter().find(|c| c.id == n) else {
        return Err(client.not_found(&state, &what).await);
    };
    client
        .audit(
            &state,
            "fhir.encounter.read",
            Some(person),
            format!("contact {n}"),
        )
        .await?;
    Ok(fhir_response(StatusCode::OK, &resources::encounter(c)))
}

pub async fn encounter_search(
    State(state): State<AppState>,
    client: Client,
    params: Params,
) -> FhirResult {
    let Some((pcn, person)) = by_patient(&state, &client, &params).await? else {
        return page_of(&base_url(&state), "Encounter", &params, vec![]);
    };
    let out: Vec<Value> = state
        .store
        .contacts_for_person(pcn, person)
        .await?
        .iter()
        .map(resources::encounter)
        .collect();
    client
        .audit(
            &state,
            "fhir.encounter.search",
            Some(person),
            format!("{} contacts", out.len()),
        )
        .await?;
    page_of(&base_url(&state), "Encounter", &params, out)
}

async fn message_back(
    state: &AppState,
    client: &Client,
    id: &str,
) -> Result<interop::prsb::MessageBack, FhirError> {
    let pcn = client.pcn(state).await?;
    let what = format!("Composition/{id}");
    let Some(n) = id.strip_prefix("episode-").and_then(numeric) else {
        return Err(FhirError::NotFound(format!("{what} is not known here")));
    };
    match crate::message_back::gather(state, pcn, n).await {
        Ok(m) if !client.reaches(state, pcn, m.person.id).await? => {
            Err(client.not_found(state, &what).await)
        }
        Ok(m) => {
            client
                .audit(
                    state,
                    "fhir.composition.read",
                    Some(m.person.id),
                    format!("episode {n}"),
                )
                .await?;
            Ok(m)
        }
        Err(crate::AppError::NotFound) => Err(client.not_found(state, &what).await),
        Err(e) => Err(e.into()),
    }
}

pub async fn composition_read(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::RecordRead).await?;
    let m = message_back(&state, &client, &id).await?;
    // Put together when asked, with no version of its own: dated by the latest change to
    // anything it says, so a poller sees it change only when it does.
    Ok(fhir_response(
        StatusCode::OK,
        &resources::with_last_updated(m.composition(), m.changed_at),
    ))
}

pub async fn composition_document(
    State(state): State<AppState>,
    client: Client,
    Path(id): Path<String>,
) -> FhirResult {
    client.need(&state, Scope::RecordRead).await?;
    let m = message_back(&state, &client, &id).await?;
    Ok(fhir_response(
        StatusCode::OK,
        &super::with_measure_codes(&state, m.document(&base_url(&state))),
    ))
}
