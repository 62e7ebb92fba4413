//! Linkwork's records as FHIR R4 resources. Ids: a person is `Patient/{id}`; an inbound
//! referral `ServiceRequest/referral-{id}`; a connection to a community service
//! `ServiceRequest/connection-{id}` and its closed-loop `Task/connection-{id}`; a plan
//! `CarePlan/{record id}` with `Goal/{record id}-{n}`; a measure `Observation/{record id}`;
//! a contact `Encounter/{id}`; directory records keep their Open Referral UK ids.

use crate::fhir::{
    concept, cs, date, ext, id_system, instant, reference, snomed, valid_id, NHS_NUMBER, ODS_CODE,
    UCUM,
};
use chrono::Duration;
use directory::oruk::{Location, Organization};
use directory::Entry;
use domain::{
    CarePlan, Code, ConnectionKind, ConnectionStatus, ContactType, EpisodeState, Instrument,
    Measure, Urgency,
};
use serde_json::{json, Value};
use storage::{Connection, Contact, Episode, PartnerOrg, Pcn, Person, Practice, Referral};

/// SNOMED CT: Referral to social prescribing service (procedure).
pub const SP_REFERRAL: (&str, &str) = ("871731000000106", "Referral to social prescribing service");

/// Who is looking: the PCN's own systems see the person; a partner's system sees only the
/// details the person agreed to share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Pcn,
    Partner,
}

fn drop_empty(mut v: Value) -> Value {
    prune(&mut v);
    v
}

/// Removes what FHIR forbids as empty, at every depth: `null`, `""`, `[]` and `{}` (an
/// element with nothing in it). A resource built from optional facts (a signpost with no
/// link worker named) stays valid FHIR: `"requester": {"display": ""}` goes whole.
pub fn prune(v: &mut Value) {
    fn empty(x: &Value) -> bool {
        match x {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty(),
            _ => false,
        }
    }
    match v {
        Value::Object(map) => {
            for x in map.values_mut() {
                prune(x);
            }
            map.retain(|_, x| !empty(x));
        }
        Value::Array(items) => {
            for x in items.iter_mut() {
                prune(x);
            }
            items.retain(|x| !empty(x));
        }
        _ => {}
    }
}

fn meta(version: i64, updated: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"versionId": version.to_string(), "lastUpdated": instant(updated)})
}

/// A resource built from a record, with that record's version and time of change as its
/// `meta` (for `ETag`, `If-Match` and `_lastUpdated`).
pub fn with_meta(mut v: Value, version: i64, updated: chrono::DateTime<chrono::Utc>) -> Value {
    v["meta"] = meta(version, updated);
    v
}

/// A resource with only `meta.lastUpdated`: one Linkwork does not version on its own (a
/// directory organisation or location, dated by the latest change to the listings that
/// carry it; a message back, dated when it was put together).
pub fn with_last_updated(mut v: Value, updated: chrono::DateTime<chrono::Utc>) -> Value {
    v["meta"] = json!({"lastUpdated": instant(updated)});
    v
}

pub fn practice_ref(p: &Practice) -> Value {
    json!({"type": "Organization", "identifier": {"system": ODS_CODE, "value": p.ods_code}, "display": p.name})
}

/// The display UK Core's England ethnic category code system gives each NHS Data Dictionary
/// code (as its CodeSystem says them).
fn ukcore_ethnic_display(code: &str) -> &'static str {
    match code {
        "A" => "White - British",
        "B" => "White - Irish",
        "C" => "White - Any other White background",
        "D" => "Mixed - White and Black Caribbean",
        "E" => "Mixed - White and Black African",
        "F" => "Mixed - White and Asian",
        "G" => "Mixed - Any other mixed background",
        "H" => "Asian or Asian British - Indian",
        "J" => "Asian or Asian British - Pakistani",
        "K" => "Asian or Asian British - Bangladeshi",
        "L" => "Asian or Asian British - Any other Asian background",
        "M" => "Black or Black British - Caribbean",
        "N" => "Black or Black British - African",
        "P" => "Black or Black British - Any other Black background",
        "R" => "Other Ethnic Groups - Chinese",
        "S" => "Other Ethnic Groups - Any other ethnic group",
        "Z" => "Not stated",
        _ => "Not known",
    }
}

/// UK Core's extension for how far an NHS number has been checked against PDS.
pub const UKCORE_NHS_NUMBER_VERIFICATION: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";

pub fn patient(p: &Person, practice: Option<&Practice>) -> Value {
    let d = &p.details;
    let mut telecom = vec![];
    if !d.phone.is_empty() {
        telecom.push(json!({"system": "phone", "value": d.phone}));
    }
    if !d.email.is_empty() {
        telecom.push(json!({"system": "email", "value": d.email}));
    }
    let mut address = json!({});
    if !d.address.is_empty() {
        address["text"] = json!(d.address);
    }
    if let Some(pc) = &d.postcode {
        address["postalCode"] = json!(pc.to_string());
    }
    let addresses = if address.as_object().is_some_and(|m| m.is_empty()) {
        vec![]
    } else {
        vec![address]
    };
    drop_empty(json!({
        "resourceType": "Patient",
        "id": p.id.to_string(),
        "meta": meta(p.version, p.updated_at),
        // UK Core's NHS Number Verification Status: Linkwork does not trace numbers with
        // PDS, so every number it holds is "present but not traced".
        "identifier": d.nhs_number.iter().map(|n| json!({
            "extension": [{
                "url": UKCORE_NHS_NUMBER_VERIFICATION,
                "valueCodeableConcept": {"coding": [{
                    "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland",
                    "code": "02",
                    "display": "Number present but not traced",
                }]},
            }],
            "system": NHS_NUMBER,
            "value": n.as_str(),
        })).collect::<Vec<_>>(),
        // UK Core's Ethnic Category (NHS Data Dictionary codes, England), as the person gave it.
        "extension": d.ethnicity.iter().map(|e| json!({
            "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
            "valueCodeableConcept": {"coding": [{
                "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland",
                "code": e.code(),
                "display": ukcore_ethnic_display(e.code()),
            }], "text": e.label()},
        })).collect::<Vec<_>>(),
        "name": [{"use": "official", "family": d.family_name, "given": [d.given_name]}],
        "telecom": telecom,
        "gender": d.sex.code(),
        "birthDate": date(d.date_of_birth),
        "address": addresses,
        "generalPractitioner": practice.map(|pr| vec![practice_ref(pr)]).unwrap_or_default(),
        "communication": if d.language.is_empty() { vec![] } else {
            vec![json!({"language": {"text": d.language}, "preferred": true})]
        },
    }))
}

/// An episode's status as a ServiceRequest status.
fn episode_status(s: EpisodeState) -> &'static str {
    match s {
        EpisodeState::Discharged => "completed",
        EpisodeState::Declined | EpisodeState::UnableToContact => "revoked",
        _ => "active",
    }
}

fn priority(u: Urgency) -> &'static str {
    match u {
        Urgency::Routine => "routine",
        Urgency::Soon => "asap",
        Urgency::Urgent => "urgent",
    }
}

/// An inbound referral to social prescribing, with where its episode has got to.
pub fn referral_request(r: &Referral, e: &Episode) -> Value {
    let mut requester = r.referrer_name.clone();
    for extra in [&r.referrer_role, &r.referrer_organisation] {
        if !extra.is_empty() {
            requester.push_str(", ");
            requester.push_str(extra);
        }
    }
    if requester.is_empty() {
        requester = r.source.label().to_string();
    }
    drop_empty(json!({
        "resourceType": "ServiceRequest",
        "id": format!("referral-{}", r.id),
        "meta": meta(e.version, e.closed_at.or(e.last_contact_at).unwrap_or(r.received_at)),
        "extension": [
            {"url": ext("referral-source"), "valueCoding": {"system": cs("referral-source"), "code": r.source.code(), "display": r.source.label()}},
            {"url": ext("episode-state"), "valueCoding": {"system": cs("episode-state"), "code": e.state.code(), "display": e.state.label()}},
            {"url": crate::fhir::consent_extension(), "valueBoolean": r.consent},
        ],
        "identifier": [{"system": id_system("referral"), "value": r.id.to_string()}],
        "status": episode_status(e.state),
        "intent": "order",
        "code": snomed(SP_REFERRAL.0, SP_REFERRAL.1),
        "priority": priority(r.urgency),
        "subject": reference("Patient", r.person_id),
        "authoredOn": instant(r.received_at),
        "requester": {"display": requester},
        "reasonCode": r.needs.iter().map(|n| concept("need", *n)).collect::<Vec<_>>(),
        "note": if r.reason.is_empty() { vec![] } else { vec![json!({"text": r.reason})] },
    }))
}

fn connection_request_status(s: ConnectionStatus, kind: ConnectionKind) -> &'static str {
    if kind == ConnectionKind::Signpost {
        return "completed";
    }
    match s {
        ConnectionStatus::Requested | ConnectionStatus::Accepted | ConnectionStatus::InProgress => {
            "active"
        }
        ConnectionStatus::OnHold => "on-hold",
        ConnectionStatus::Completed => "completed",
        ConnectionStatus::Rejected | ConnectionStatus::Failed | ConnectionStatus::Cancelled => {
            "revoked"
        }
    }
}

fn subject(c: &Connection, viewer: Viewer) -> Value {
    match viewer {
        Viewer::Pcn => reference("Patient", c.person_id),
        // Required (1..1): a name not shared still says so.
        Viewer::Partner if c.shared.name.trim().is_empty() => json!({"display": "Name not shared"}),
        Viewer::Partner => json!({"display": c.shared.name}),
    }
}

fn owner(c: &Connection) -> Value {
    match c.partner_org_id {
        Some(p) => {
            json!({"reference": format!("Organization/partner-{p}"), "display": c.organization_name})
        }
        None => json!({"display": c.organization_name}),
    }
}

/// A signpost or referral to a community service (outbound).
pub fn connection_request(c: &Connection, viewer: Viewer) -> Value {
    drop_empty(json!({
        "resourceType": "ServiceRequest",
        "id": format!("connection-{}", c.id),
        "meta": meta(c.version, c.updated_at),
        "identifier": [{"system": id_system("connection"), "value": c.id.to_string()}],
        "status": connection_request_status(c.status, c.kind),
        "intent": if c.kind == ConnectionKind::Referral { "order" } else { "proposal" },
        "category": [concept("connection-kind", c.kind)],
        "code": {"text": c.service_name},
        "subject": subject(c, viewer),
        "authoredOn": instant(c.created_at),
        "requester": {"display": c.shared.link_worker},
        "performer": [owner(c)],
        "note": if c.note.is_empty() || viewer == Viewer::Partner { vec![] } else { vec![json!({"text": c.note})] },
    }))
}

/// The closed-loop Task for a referral to a community service (HL7 Gravity SDOH).
pub fn task(c: &Connection, viewer: Viewer) -> Value {
    let s = &c.shared;
    let mut input = vec![];
    let mut add = |label: &str, v: String| {
        if !v.is_empty() {
            input.push(json!({"type": {"text": label}, "valueString": v}));
        }
    };
    add("Name", s.name.clone());
    add("Telephone", s.phone.clone());
    add("Email", s.email.clone());
    add("Age", s.age.map(|a| a.to_string()).unwrap_or_default());
    add("What they would like help with", s.about.clone());
    add("Access needs", s.access_needs.clone());
    add("Link worker", s.link_worker.clone());
    add("Link worker contact", s.link_worker_contact.clone());
    drop_empty(json!({
        "resourceType": "Task",
        "id": format!("connection-{}", c.id),
        "meta": meta(c.version, c.updated_at),
        "identifier": [{"system": id_system("connection"), "value": c.id.to_string()}],
        "basedOn": [reference("ServiceRequest", format!("connection-{}", c.id))],
        "status": c.status.code(),
        // A reason the partner gave only in words keeps their words beside "Other".
        "statusReason": c.reason.map(|r| {
            let mut v = concept("connection-reason", r);
            if r == domain::ConnectionReason::Other {
                if let Some(said) = c.note.lines().next().filter(|l| !l.trim().is_empty()) {
                    v["text"] = json!(said);
                }
            }
            v
        }),
        "businessStatus": {"text": c.status.label()},
        "intent": "order",
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill", "display": "Fulfill the focal request"}]},
        "focus": reference("ServiceRequest", format!("connection-{}", c.id)),
        "for": subject(c, viewer),
        "authoredOn": instant(c.created_at),
        "lastModified": instant(c.updated_at),
        "requester": {"display": s.link_worker},
        "owner": owner(c),
        "restriction": c.due_at.map(|d| json!({"period": {"end": instant(d)}})),
        "note": if c.note.is_empty() { vec![] } else { vec![json!({"text": c.note})] },
        "input": input,
    }))
}

/// Whether a plan is the one in force, replaced by a later review, or ended with the episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanState {
    Current,
    Superseded,
    Closed,
}

pub fn care_plan(record_id: i64, person_id: i64, p: &CarePlan, state: PlanState) -> Value {
    let status = match state {
        PlanState::Current => "active",
        PlanState::Superseded => "revoked",
        PlanState::Closed => "completed",
    };
    let activity: Vec<Value> = p
        .actions
        .iter()
        .map(|a| {
            let who = if a.owner_name.is_empty() {
                a.owner.label().to_string()
            } else {
                format!("{} ({})", a.owner.label(), a.owner_name)
            };
            json!({"detail": {
                "status": if state == PlanState::Current { "not-started" } else { "stopped" },
                "description": a.what,
                "scheduledString": format!("By {}", date(a.due)),
                "performer": [{"display": who}],
            }})
        })
        .collect();
    let mut notes = vec![];
    if !p.support_offered.is_empty() {
        notes.push(json!({"text": format!("Support offered: {}", p.support_offered)}));
    }
    notes.push(json!({"text": format!("Review on {}", date(p.review_on))}));
    drop_empty(json!({
        "resourceType": "CarePlan",
        "id": record_id.to_string(),
        "status": status,
        "intent": "plan",
        "title": "Personalised care and support plan",
        "description": p.what_matters,
        "subject": reference("Patient", person_id),
        "period": {"start": date(p.agreed_on)},
        "goal": (1..=p.goals.len()).map(|n| reference("Goal", format!("{record_id}-{n}"))).collect::<Vec<_>>(),
        "activity": activity,
        "note": notes,
    }))
}

/// Goal `n` (from 1) of a plan.
pub fn goal(
    record_id: i64,
    person_id: i64,
    p: &CarePlan,
    n: usize,
    state: PlanState,
) -> Option<Value> {
    let text = p.goals.get(n.checked_sub(1)?)?;
    Some(json!({
        "resourceType": "Goal",
        "id": format!("{record_id}-{n}"),
        "lifecycleStatus": match state {
            PlanState::Current => "active",
            PlanState::Superseded => "cancelled",
            PlanState::Closed => "completed",
        },
        "description": {"text": text},
        "subject": reference("Patient", person_id),
        "startDate": date(p.agreed_on),
        "target": [{"dueDate": date(p.review_on)}],
        "note": [{"text": "In the person's own words"}],
    }))
}

/// An outcome measure: the score as the value (WEMWBS total, SWEMWBS metric), each item as
/// a component. ONS4 and MYCaW are never summed, so they carry components only.
pub fn observation(record_id: i64, person_id: i64, m: &Measure) -> Value {
    let items = m.instrument.items();
    let components: Vec<Value> = items
        .iter()
        .filter_map(|(code, question, _, _)| {
            m.items.get(*code).map(|v| {
                json!({
                    "code": {"coding": [{"system": cs("outcome-item"), "code": format!("{}.{code}", m.instrument.code()), "display": question}]},
                    "valueInteger": v,
                })
            })
        })
        .collect();
    let mut v = json!({
        "resourceType": "Observation",
        "id": record_id.to_string(),
        "status": "final",
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey", "display": "Survey"}]},
            concept("measure-point", m.point),
        ],
        "code": concept("outcome-measure", m.instrument),
        "subject": reference("Patient", person_id),
        "effectiveDateTime": date(m.taken_on),
        "component": components,
    });
    let headline = m.headlines();
    match m.instrument {
        Instrument::Wemwbs | Instrument::Swemwbs => {
            if let Some((label, value, _)) = headline.first() {
                v["valueQuantity"] = json!({"value": (value * 100.0).round() / 100.0, "unit": "score", "system": UCUM, "code": "{score}"});
                v["note"] = json!([{"text": *label}]);
            }
        }
        Instrument::Ons4 | Instrument::Mycaw => {}
    }
    if let Some(n) = m.instrument.notice() {
        let mut notes = v["note"].as_array().cloned().unwrap_or_default();
        notes.push(json!({"text": n}));
        v["note"] = json!(notes);
    }
    v
}

fn encounter_class(t: ContactType) -> (&'static str, &'static str) {
    match t {
        ContactType::Telephone | ContactType::Video | ContactType::TextEmail => ("VR", "virtual"),
        ContactType::HomeVisit => ("HH", "home health"),
        ContactType::FaceToFace => ("AMB", "ambulatory"),
        ContactType::CommunityVenue | ContactType::Group => ("FLD", "field"),
    }
}

pub fn encounter(c: &Contact) -> Value {
    let d = &c.details;
    let (class, class_label) = encounter_class(d.contact_type);
    let mut period = json!({"start": instant(d.at)});
    if let Some(m) = d.duration_minutes {
        period["end"] = json!(instant(d.at + Duration::minutes(i64::from(m))));
    }
    drop_empty(json!({
        "resourceType": "Encounter",
        "id": c.id.to_string(),
        // A contact is recorded once and never changed.
        "meta": meta(1, c.recorded_at),
        "status": if d.did_not_attend { "cancelled" } else { "finished" },
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class, "display": class_label},
        "type": [concept("contact-type", d.contact_type)],
        "serviceType": {"text": "Social prescribing"},
        "subject": reference("Patient", c.person_id),
        "period": period,
        "length": d.duration_minutes.map(|m| json!({"value": m, "unit": "min", "system": UCUM, "code": "min"})),
        "reasonCode": if d.did_not_attend { vec![json!({"text": "Did not attend"})] } else { vec![] },
    }))
}

/// A directory service, when its id can be a FHIR id.
pub fn healthcare_service(e: &Entry) -> Option<Value> {
    let s = &e.service;
    if !valid_id(&s.id) {
        return None;
    }
    let mut telecom = vec![];
    for p in &s.phones {
        telecom.push(json!({"system": "phone", "value": p.number}));
    }
    if let Some(m) = &s.email {
        telecom.push(json!({"system": "email", "value": m}));
    }
    if let Some(u) = &s.url {
        telecom.push(json!({"system": "url", "value": u}));
    }
    let provided_by = s
        .organization
        .as_ref()
        .filter(|o| valid_id(&o.id))
        .map(|o| json!({"reference": format!("Organization/{}", o.id), "display": o.name}));
    let locations: Vec<Value> = s
        .service_at_locations
        .iter()
        .filter_map(|sal| sal.location.as_ref())
        .filter(|l| valid_id(&l.id))
        .map(|l| reference("Location", &l.id))
        .collect();
    Some(drop_empty(json!({
        "resourceType": "HealthcareService",
        "id": s.id,
        "meta": meta(e.version, e.updated_at),
        "active": s.status == "active" && e.listing.retired_on.is_none(),
        "providedBy": provided_by,
        "category": e.categories().into_iter().map(|c| concept("activity-category", c)).collect::<Vec<_>>(),
        "name": s.name,
        "comment": s.description.clone().unwrap_or_default(),
        "telecom": telecom,
        "location": locations,
        "eligibility": s.eligibility_description.iter().map(|d| json!({"comment": d})).collect::<Vec<_>>(),
        "communication": s.languages.iter().filter_map(|l| l.name.clone()).map(|n| json!({"text": n})).collect::<Vec<_>>(),
        "extraDetails": s.fees.clone().unwrap_or_default(),
        "referralMethod": [{"text": e.listing.referral_mode.label()}],
    })))
}

/// An ORUK organisation's identifiers as FHIR identifiers: an ODS code under the NHS ODS
/// system, any other scheme under its org-id.guide list (`GB-CHC` charities, `GB-COH`
/// companies …). Identifiers with no scheme are left out (nothing says what they are).
fn org_identifiers(o: &Organization) -> Vec<Value> {
    o.organization_identifiers
        .iter()
        .filter(|i| !i.identifier.trim().is_empty())
        .filter_map(|i| {
            let scheme = i.identifier_scheme.as_deref().unwrap_or("").trim();
            let kind = i.identifier_type.trim().to_ascii_lowercase();
            // ODS by its scheme, or (with no scheme) by a type that says exactly that; the
            // code must look like one (3 to 10 letters and digits).
            let ods = scheme.eq_ignore_ascii_case("GB-NHS")
                || scheme.eq_ignore_ascii_case("ODS")
                || (scheme.is_empty() && matches!(kind.as_str(), "ods" | "ods code"));
            let value = i.identifier.trim();
            let system = if ods {
                let code = value.to_ascii_uppercase();
                if !(3..=10).contains(&code.len())
                    || !code.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return None;
                }
                return Some(json!({"system": ODS_CODE, "value": code}));
            } else if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                format!("https://org-id.guide/list/{}", scheme.to_ascii_uppercase())
            } else {
                return None;
            };
            Some(json!({"system": system, "value": value}))
        })
        .collect()
}

/// A directory organisation. When it is also a partner organisation (one that answers
/// referrals through Linkwork), it carries the partner's identifier too, so the two
/// resources (`Organization/{id}` and `Organization/partner-{n}`) are seen to be one body.
pub fn organization(o: &Organization, partner: Option<i64>) -> Option<Value> {
    if !valid_id(&o.id) {
        return None;
    }
    let mut telecom = vec![];
    if let Some(m) = &o.email {
        telecom.push(json!({"system": "email", "value": m}));
    }
    if let Some(u) = &o.website {
        telecom.push(json!({"system": "url", "value": u}));
    }
    let mut identifier = org_identifiers(o);
    if let Some(n) = partner {
        identifier
            .push(json!({"system": id_system("partner-organisation"), "value": n.to_string()}));
    }
    Some(drop_empty(json!({
        "resourceType": "Organization",
        "id": o.id,
        "identifier": identifier,
        "active": true,
        "type": [{"text": "Community organisation"}],
        "name": o.name,
        "telecom": telecom,
    })))
}

pub fn pcn_organization(p: &Pcn) -> Value {
    json!({
        "resourceType": "Organization",
        "id": format!("pcn-{}", p.id),
        "identifier": [{"system": ODS_CODE, "value": p.ods_code}],
        "active": true,
        "type": [{"text": "Primary Care Network"}],
        "name": p.name,
    })
}

/// A partner organisation; with the directory organisation it is listed as, that one's
/// identifiers (ODS code, charity number) and its directory id, so a client can tell the
/// two resources are one body.
pub fn partner_organization(p: &PartnerOrg, listed: Option<&Organization>) -> Value {
    let mut identifier =
        vec![json!({"system": id_system("partner-organisation"), "value": p.id.to_string()})];
    if let Some(o) = listed {
        identifier.extend(org_identifiers(o));
        identifier.push(json!({"system": id_system("directory-organisation"), "value": o.id}));
    }
    json!({
        "resourceType": "Organization",
        "id": format!("partner-{}", p.id),
        "identifier": identifier,
        "active": true,
        "type": [{"text": "VCSE partner organisation"}],
        "name": p.name,
    })
}

pub fn location(l: &Location) -> Option<Value> {
    if !valid_id(&l.id) {
        return None;
    }
    let address = l.addresses.first().map(|a| {
        let mut lines = vec![a.address_1.clone()];
        if let Some(x) = &a.address_2 {
            lines.push(x.clone());
        }
        drop_empty(json!({"line": lines, "city": a.city, "postalCode": a.postal_code, "country": a.country}))
    });
    let position = match (l.latitude, l.longitude) {
        (Some(lat), Some(lon)) => Some(json!({"latitude": lat, "longitude": lon})),
        _ => None,
    };
    Some(drop_empty(json!({
        "resourceType": "Location",
        "id": l.id,
        "status": "active",
        "name": l.name.clone().unwrap_or_default(),
        "description": l.description.clone().unwrap_or_default(),
        "address": address,
        "position": position,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use directory::oruk::OrganizationIdentifier;

    fn org(ids: &[(&str, &str, &str)]) -> Organization {
        Organization {
            id: "org-1".into(),
            name: "Test Trust".into(),
            organization_identifiers: ids
                .iter()
                .map(|(scheme, kind, value)| OrganizationIdentifier {
                    id: format!("{scheme}{value}"),
                    identifier_scheme: (!scheme.is_empty()).then(|| scheme.to_string()),
                    identifier_type: kind.to_string(),
                    identifier: value.to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn every_ethnic_category_has_its_uk_core_display() {
        for e in domain::Ethnicity::ALL {
            assert_ne!(ukcore_ethnic_display(e.code()), "Not known", "{e:?}");
        }
    }

    #[test]
    fn only_real_ods_codes_go_under_the_ods_system() {
        let ids = org_identifiers(&org(&[
            ("GB-NHS", "registration", " dxx99 "),
            ("", "ODS code", "Y12345"),
            ("", "FoodSafe ref", "FS-1"),
            ("GB-CHC", "ODS", "1234567"),
            ("GB-NHS", "registration", "not an ods code!"),
            ("", "reference", "no scheme"),
        ]));
        let v = serde_json::to_string(&ids).unwrap();
        assert!(
            v.contains(
                r#"{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"DXX99"}"#
            ),
            "{v}"
        );
        assert!(
            v.contains(
                r#"{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Y12345"}"#
            ),
            "{v}"
        );
        // An explicit charity scheme wins over a type that says ODS.
        assert!(
            v.contains(r#"{"system":"https://org-id.guide/list/GB-CHC","value":"1234567"}"#),
            "{v}"
        );
        assert_eq!(ids.len(), 3, "{v}");
    }
}
