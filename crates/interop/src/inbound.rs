//! What other systems send: an inbound referral as a FHIR ServiceRequest, read into the
//! same drafts the referral form fills (so the same validation applies), and a partner's
//! Task status update read into a connection status change.

use crate::fhir::{consent_extension, cs, Issue, NHS_NUMBER, ODS_CODE};
use domain::{
    Code, ConnectionReason, ConnectionStatus, Need, PersonDraft, ReferralDraft, ReferralSource,
};
use serde_json::Value;

/// Who an inbound referral is for.
#[derive(Debug, Clone)]
pub enum InboundPerson {
    /// `subject` refers to a Patient Linkwork already holds.
    Existing(i64),
    /// `subject` refers to a contained Patient; the practice by its ODS code.
    New {
        draft: Box<PersonDraft>,
        practice_ods: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct InboundReferral {
    pub person: InboundPerson,
    pub referral: ReferralDraft,
}

fn text(v: &Value) -> Option<&str> {
    v.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// A string field that must be a string when present.
fn string_at(v: &Value, key: &str, path: &str, issues: &mut Vec<Issue>) -> String {
    match &v[key] {
        Value::Null => String::new(),
        Value::String(s) => s.trim().to_string(),
        _ => {
            issues.push(
                Issue::new("structure", format!("{path}.{key} must be a string"))
                    .at(format!("{path}.{key}")),
            );
            String::new()
        }
    }
}

fn read_patient(p: &Value, issues: &mut Vec<Issue>) -> (PersonDraft, Option<String>) {
    let path = "ServiceRequest.contained.Patient";
    let mut d = PersonDraft::default();
    if let Some(ids) = p["identifier"].as_array() {
        for id in ids {
            if id["system"] == NHS_NUMBER {
                d.nhs_number = string_at(id, "value", &format!("{path}.identifier"), issues);
            }
        }
    }
    let name = &p["name"][0];
    d.family_name = string_at(name, "family", &format!("{path}.name"), issues);
    d.given_name = name["given"]
        .as_array()
        .map(|g| g.iter().filter_map(text).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    if d.given_name.is_empty() && d.family_name.is_empty() {
        if let Some(t) = text(&name["text"]) {
            match t.rsplit_once(' ') {
                Some((g, f)) => {
                    d.given_name = g.into();
                    d.family_name = f.into();
                }
                None => d.family_name = t.into(),
            }
        }
    }
    d.date_of_birth = string_at(p, "birthDate", path, issues);
    d.sex = match text(&p["gender"]) {
        None => "unknown".into(),
        Some(g) => g.into(),
    };
    if let Some(tels) = p["telecom"].as_array() {
        for t in tels {
            let value = text(&t["value"]).unwrap_or_default().to_string();
            match t["system"].as_str() {
                Some("phone") | Some("sms") if d.phone.is_empty() => d.phone = value,
                Some("email") if d.email.is_empty() => d.email = value,
                _ => {}
            }
        }
    }
    let addr = &p["address"][0];
    d.postcode = string_at(addr, "postalCode", &format!("{path}.address"), issues);
    let mut lines: Vec<String> = addr["line"]
        .as_array()
        .map(|l| l.iter().filter_map(text).map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(c) = text(&addr["city"]) {
        lines.push(c.into());
    }
    d.address = if lines.is_empty() {
        string_at(addr, "text", &format!("{path}.address"), issues)
    } else {
        lines.join(", ")
    };
    if let Some(lang) = text(&p["communication"][0]["language"]["text"]) {
        d.language = lang.into();
    }
    let practice = p["generalPractitioner"][0]["identifier"]
        .as_object()
        .filter(|i| i.get("system").and_then(Value::as_str) == Some(ODS_CODE))
        .and_then(|i| i.get("value"))
        .and_then(text)
        .map(str::to_uppercase);
    (d, practice)
}

/// Reads an inbound ServiceRequest. Structural problems come back as issues; field rules
/// (NHS number check digit, consent, needs) are left to the drafts' own validation.
/// JSON types of a ServiceRequest's elements (FHIR R4): what is not listed is not a
/// ServiceRequest element.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    List,
    Object,
    Flag,
    Number,
}

/// The elements every resource has (FHIR R4 Resource and DomainResource).
const RESOURCE_ELEMENTS: &[(&str, Kind)] = &[
    ("resourceType", Kind::Text),
    ("id", Kind::Text),
    ("meta", Kind::Object),
    ("implicitRules", Kind::Text),
    ("language", Kind::Text),
    ("text", Kind::Object),
    ("contained", Kind::List),
    ("extension", Kind::List),
    ("modifierExtension", Kind::List),
];

/// A contained Patient's own elements (FHIR R4).
const PATIENT_ELEMENTS: &[(&str, Kind)] = &[
    ("identifier", Kind::List),
    ("active", Kind::Flag),
    ("name", Kind::List),
    ("telecom", Kind::List),
    ("gender", Kind::Text),
    ("birthDate", Kind::Text),
    ("deceasedBoolean", Kind::Flag),
    ("deceasedDateTime", Kind::Text),
    ("address", Kind::List),
    ("maritalStatus", Kind::Object),
    ("multipleBirthBoolean", Kind::Flag),
    ("multipleBirthInteger", Kind::Number),
    ("photo", Kind::List),
    ("contact", Kind::List),
    ("communication", Kind::List),
    ("generalPractitioner", Kind::List),
    ("managingOrganization", Kind::Object),
    ("link", Kind::List),
];

/// A contained Practitioner's own elements (FHIR R4).
const PRACTITIONER_ELEMENTS: &[(&str, Kind)] = &[
    ("identifier", Kind::List),
    ("active", Kind::Flag),
    ("name", Kind::List),
    ("telecom", Kind::List),
    ("address", Kind::List),
    ("gender", Kind::Text),
    ("birthDate", Kind::Text),
    ("photo", Kind::List),
    ("qualification", Kind::List),
    ("communication", Kind::List),
];

/// A Task's own elements (FHIR R4), for a partner's update.
const TASK_ELEMENTS: &[(&str, Kind)] = &[
    ("identifier", Kind::List),
    ("instantiatesCanonical", Kind::Text),
    ("instantiatesUri", Kind::Text),
    ("basedOn", Kind::List),
    ("groupIdentifier", Kind::Object),
    ("partOf", Kind::List),
    ("status", Kind::Text),
    ("statusReason", Kind::Object),
    ("businessStatus", Kind::Object),
    ("intent", Kind::Text),
    ("priority", Kind::Text),
    ("code", Kind::Object),
    ("description", Kind::Text),
    ("focus", Kind::Object),
    ("for", Kind::Object),
    ("encounter", Kind::Object),
    ("executionPeriod", Kind::Object),
    ("authoredOn", Kind::Text),
    ("lastModified", Kind::Text),
    ("requester", Kind::Object),
    ("performerType", Kind::List),
    ("owner", Kind::Object),
    ("location", Kind::Object),
    ("reasonCode", Kind::Object),
    ("reasonReference", Kind::Object),
    ("insurance", Kind::List),
    ("note", Kind::List),
    ("relevantHistory", Kind::List),
    ("restriction", Kind::Object),
    ("input", Kind::List),
    ("output", Kind::List),
];

const SERVICE_REQUEST_ELEMENTS: &[(&str, Kind)] = &[
    ("resourceType", Kind::Text),
    ("id", Kind::Text),
    ("meta", Kind::Object),
    ("implicitRules", Kind::Text),
    ("language", Kind::Text),
    ("text", Kind::Object),
    ("contained", Kind::List),
    ("extension", Kind::List),
    ("modifierExtension", Kind::List),
    ("identifier", Kind::List),
    ("instantiatesCanonical", Kind::List),
    ("instantiatesUri", Kind::List),
    ("basedOn", Kind::List),
    ("replaces", Kind::List),
    ("requisition", Kind::Object),
    ("status", Kind::Text),
    ("intent", Kind::Text),
    ("category", Kind::List),
    ("priority", Kind::Text),
    ("doNotPerform", Kind::Flag),
    ("code", Kind::Object),
    ("orderDetail", Kind::List),
    ("quantityQuantity", Kind::Object),
    ("quantityRatio", Kind::Object),
    ("quantityRange", Kind::Object),
    ("subject", Kind::Object),
    ("encounter", Kind::Object),
    ("occurrenceDateTime", Kind::Text),
    ("occurrencePeriod", Kind::Object),
    ("occurrenceTiming", Kind::Object),
    ("asNeededBoolean", Kind::Flag),
    ("asNeededCodeableConcept", Kind::Object),
    ("authoredOn", Kind::Text),
    ("requester", Kind::Object),
    ("performerType", Kind::Object),
    ("performer", Kind::List),
    ("locationCode", Kind::List),
    ("locationReference", Kind::List),
    ("reasonCode", Kind::List),
    ("reasonReference", Kind::List),
    ("insurance", Kind::List),
    ("supportingInfo", Kind::List),
    ("specimen", Kind::List),
    ("bodySite", Kind::List),
    ("note", Kind::List),
    ("patientInstruction", Kind::Text),
    ("relevantHistory", Kind::List),
];

/// Elements a resource does not have, elements of the wrong JSON type (`"priority": 42`),
/// and modifier extensions (which change the meaning: Linkwork cannot accept what it does not
/// understand), named by FHIRPath from `at` (`ServiceRequest`, `ServiceRequest.contained[0]`).
/// A primitive's `_element` companion is allowed.
fn element_problems(body: &Value, at: &str, own: &[(&str, Kind)]) -> Vec<Issue> {
    let mut issues = vec![];
    let Some(map) = body.as_object() else {
        return issues;
    };
    let kind_of = |name: &str| {
        RESOURCE_ELEMENTS
            .iter()
            .chain(own)
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
    };
    let type_name = body["resourceType"].as_str().unwrap_or("The resource");
    for (k, v) in map {
        let name = k.strip_prefix('_').unwrap_or(k);
        let Some(kind) = kind_of(name) else {
            issues.push(
                Issue::new("structure", format!("{type_name} has no element '{k}'"))
                    .at(format!("{at}.{k}")),
            );
            continue;
        };
        if k.starts_with('_') {
            if !v.is_object() {
                issues.push(
                    Issue::new("structure", format!("'{k}' must be an object"))
                        .at(format!("{at}.{k}")),
                );
            }
            continue;
        }
        let ok = match kind {
            Kind::Text => v.is_string(),
            Kind::List => v.is_array(),
            Kind::Object => v.is_object(),
            Kind::Flag => v.is_boolean(),
            Kind::Number => v.is_number(),
        };
        if !ok {
            let want = match kind {
                Kind::Text => "a string",
                Kind::List => "an array",
                Kind::Object => "an object",
                Kind::Flag => "true or false",
                Kind::Number => "a number",
            };
            issues.push(
                Issue::new("structure", format!("{at}.{k} must be {want}, not {v}"))
                    .at(format!("{at}.{k}")),
            );
        }
    }
    if map
        .get("modifierExtension")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        issues.push(
            Issue::new(
                "not-supported",
                format!("Linkwork does not understand this modifierExtension, so it cannot accept the {type_name}"),
            )
            .at(format!("{at}.modifierExtension")),
        );
    }
    issues
}

/// A ServiceRequest's structure, and its contained Patient and Practitioner's (other
/// contained resources are not read, so not checked).
fn structure_problems(body: &Value) -> Vec<Issue> {
    let mut issues = element_problems(body, "ServiceRequest", SERVICE_REQUEST_ELEMENTS);
    for (n, c) in body["contained"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("ServiceRequest.contained[{n}]");
        match c["resourceType"].as_str() {
            Some("Patient") => issues.extend(element_problems(c, &at, PATIENT_ELEMENTS)),
            Some("Practitioner") => issues.extend(element_problems(c, &at, PRACTITIONER_ELEMENTS)),
            Some(_) => {}
            None => issues.push(
                Issue::new("structure", "A contained resource needs its resourceType")
                    .at(format!("{at}.resourceType")),
            ),
        }
    }
    issues
}

/// SNOMED CT's system URI.
const SNOMED: &str = "http://snomed.info/sct";

pub fn read_service_request(
    body: &Value,
    default_source: ReferralSource,
    reason_codes: &std::collections::HashMap<String, Need>,
) -> Result<InboundReferral, Vec<Issue>> {
    let mut issues = vec![];
    if !body.is_object() {
        return Err(vec![Issue::new(
            "structure",
            "The body must be a FHIR resource (a JSON object)",
        )]);
    }
    if body["resourceType"] != "ServiceRequest" {
        return Err(vec![Issue::new(
            "invalid",
            format!(
                "Expected a ServiceRequest, got {}",
                body["resourceType"].as_str().unwrap_or("no resourceType")
            ),
        )
        .at("resourceType")]);
    }
    let structure = structure_problems(body);
    if !structure.is_empty() {
        return Err(structure);
    }
    match body["status"].as_str() {
        Some("active") => {}
        Some(s) => issues.push(
            Issue::new(
                "value",
                format!("A new referral must have status 'active', not '{s}'"),
            )
            .at("ServiceRequest.status"),
        ),
        None => issues
            .push(Issue::new("required", "Give the status ('active')").at("ServiceRequest.status")),
    }
    match body["intent"].as_str() {
        Some("order" | "original-order") => {}
        Some(s) => issues.push(
            Issue::new(
                "value",
                format!("A referral's intent must be 'order', not '{s}'"),
            )
            .at("ServiceRequest.intent"),
        ),
        None => issues
            .push(Issue::new("required", "Give the intent ('order')").at("ServiceRequest.intent")),
    }

    // The person: an existing Patient, or a contained one.
    let subject = body["subject"]["reference"].as_str().unwrap_or_default();
    let person = if let Some(local) = subject.strip_prefix('#') {
        let found = body["contained"].as_array().and_then(|c| {
            c.iter()
                .find(|r| r["resourceType"] == "Patient" && r["id"] == local)
        });
        match found {
            Some(p) => {
                let (draft, practice_ods) = read_patient(p, &mut issues);
                Some(InboundPerson::New {
                    draft: Box::new(draft),
                    practice_ods,
                })
            }
            None => {
                issues.push(Issue::new("invalid", format!("subject refers to #{local} but there is no contained Patient with that id")).at("ServiceRequest.subject"));
                None
            }
        }
    } else if let Some(id) = subject.strip_prefix("Patient/") {
        match id.parse::<i64>() {
            Ok(id) => Some(InboundPerson::Existing(id)),
            Err(_) => {
                issues.push(
                    Issue::new("not-found", format!("No Patient/{id} here"))
                        .at("ServiceRequest.subject"),
                );
                None
            }
        }
    } else {
        issues.push(Issue::new("required", "Give the person: subject must refer to Patient/{id} or to a contained Patient (#id) with their details").at("ServiceRequest.subject"));
        None
    };

    let mut r = ReferralDraft {
        urgency: "routine".into(),
        source: default_source.code().into(),
        ..Default::default()
    };
    if let Some(exts) = body["extension"].as_array() {
        for e in exts {
            let url = e["url"].as_str().unwrap_or_default();
            if url == consent_extension() {
                r.consent = e["valueBoolean"] == Value::Bool(true);
            } else if url == crate::fhir::ext("referral-source") {
                match e["valueCoding"]["code"].as_str() {
                    Some(c) => r.source = c.to_string(),
                    None => issues.push(
                        Issue::new(
                            "required",
                            "The referral-source extension needs valueCoding.code",
                        )
                        .at("ServiceRequest.extension"),
                    ),
                }
            }
        }
    }
    r.urgency = match body["priority"].as_str() {
        None | Some("routine") => "routine",
        Some("asap") => "soon",
        Some("urgent" | "stat") => "urgent",
        Some(p) => {
            issues.push(
                Issue::new(
                    "value",
                    format!("Unknown priority '{p}' (routine, urgent, asap or stat)"),
                )
                .at("ServiceRequest.priority"),
            );
            "routine"
        }
    }
    .into();
    let mut reasons = vec![];
    // SNOMED CT reasons with no need the deployment maps them to (code, display).
    let mut unmapped: Vec<(String, String)> = vec![];
    if let Some(codes) = body["reasonCode"].as_array() {
        for c in codes {
            let mut coded = false;
            for coding in c["coding"].as_array().into_iter().flatten() {
                if coding["system"] == SNOMED {
                    let code = coding["code"].as_str().unwrap_or_default().to_string();
                    let display = text(&coding["display"])
                        .or_else(|| text(&c["text"]))
                        .unwrap_or_default()
                        .to_string();
                    // The words go with the referral either way, so nothing sent is lost:
                    // the coding's display, and the concept's own text where it says more.
                    let said = if display.is_empty() {
                        format!("SNOMED CT {code}")
                    } else {
                        format!("{display} (SNOMED CT {code})")
                    };
                    if !reasons.contains(&said) {
                        reasons.push(said);
                    }
                    if let Some(t) = text(&c["text"]).filter(|t| *t != display) {
                        if !reasons.iter().any(|r| r == t) {
                            reasons.push(t.to_string());
                        }
                    }
                    coded = true;
                    match reason_codes.get(&code) {
                        Some(need) => {
                            if !r.needs.iter().any(|n| n == need.code()) {
                                r.needs.push(need.code().to_string());
                            }
                        }
                        None => unmapped.push((code, display)),
                    }
                } else if coding["system"] == cs("need") {
                    coded = true;
                    match coding["code"].as_str() {
                        Some(code) if Need::from_code(code).is_some() => {
                            r.needs.push(code.to_string())
                        }
                        other => issues.push(
                            Issue::new(
                                "code-invalid",
                                format!(
                                    "Unknown need code '{}'; use one of: {}",
                                    other.unwrap_or_default(),
                                    Need::ALL
                                        .iter()
                                        .map(|n| n.code())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                            .at("ServiceRequest.reasonCode"),
                        ),
                    }
                }
            }
            if !coded {
                if let Some(t) = text(&c["text"]) {
                    reasons.push(t.to_string());
                }
            }
        }
    }
    for n in body["note"].as_array().into_iter().flatten() {
        if let Some(t) = text(&n["text"]) {
            reasons.push(t.to_string());
        }
    }
    r.reason = reasons.join("\n");
    // A referral whose only reasons are SNOMED CT codes the deployment has not mapped, with
    // no words of its own (no reasonCode text, no note), has neither a need nor a described
    // reason (the referral rule): refused, naming the codes and the ways on. With words, it
    // goes on as a described reason, the codes kept in it.
    let described = !body["note"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|n| text(&n["text"]).is_none())
        || body["reasonCode"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| text(&c["text"]).is_some());
    if r.needs.is_empty() && !unmapped.is_empty() && !described {
        let named: Vec<String> = unmapped
            .iter()
            .map(|(code, display)| {
                if display.is_empty() {
                    code.clone()
                } else {
                    format!("{code} ({display})")
                }
            })
            .collect();
        issues.push(
            Issue::new(
                "code-invalid",
                format!(
                    "SNOMED CT {} is not mapped to a social prescribing need here: add a need coding beside it (system {}), describe the reason in words (reasonCode.text or a note), or ask the deployment's operator to map it ([fhir_reason_codes] in the configuration)",
                    named.join(", "),
                    cs("need")
                ),
            )
            .at("ServiceRequest.reasonCode"),
        );
    }

    // The requester: a display name, or a contained Practitioner with name and telecom.
    let req = &body["requester"];
    if let Some(local) = req["reference"].as_str().and_then(|s| s.strip_prefix('#')) {
        if let Some(p) = body["contained"].as_array().and_then(|c| {
            c.iter()
                .find(|x| x["resourceType"] == "Practitioner" && x["id"] == local)
        }) {
            r.referrer_name = text(&p["name"][0]["text"])
                .map(str::to_string)
                .unwrap_or_else(|| {
                    let n = &p["name"][0];
                    let given = n["given"]
                        .as_array()
                        .map(|g| g.iter().filter_map(text).collect::<Vec<_>>().join(" "))
                        .unwrap_or_default();
                    format!("{given} {}", text(&n["family"]).unwrap_or_default())
                        .trim()
                        .to_string()
                });
            r.referrer_contact = p["telecom"]
                .as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|x| text(&x["value"]))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
        } else {
            issues.push(Issue::new("invalid", format!("requester refers to #{local} but there is no contained Practitioner with that id")).at("ServiceRequest.requester"));
        }
    }
    if r.referrer_name.is_empty() {
        r.referrer_name = text(&req["display"]).unwrap_or_default().to_string();
    }
    match person {
        Some(person) if issues.is_empty() => Ok(InboundReferral {
            person,
            referral: r,
        }),
        _ => Err(issues),
    }
}

/// A partner's answer to a referral.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskUpdate {
    pub status: ConnectionStatus,
    pub reason: Option<ConnectionReason>,
    pub note: String,
}

/// Reads a Task sent to `PUT /fhir/Task/{id}`: the status, a coded reason and a note are
/// what a partner may change.
pub fn read_task_update(body: &Value, id: &str) -> Result<TaskUpdate, Vec<Issue>> {
    if body["resourceType"] != "Task" {
        return Err(vec![Issue::new(
            "invalid",
            format!(
                "Expected a Task, got {}",
                body["resourceType"].as_str().unwrap_or("no resourceType")
            ),
        )
        .at("resourceType")]);
    }
    let structure = element_problems(body, "Task", TASK_ELEMENTS);
    if !structure.is_empty() {
        return Err(structure);
    }
    let mut issues = vec![];
    if body["id"].as_str() != Some(id) {
        issues.push(
            Issue::new(
                "invalid",
                format!("The Task's id must be '{id}', as in the URL"),
            )
            .at("Task.id"),
        );
    }
    let status = match body["status"].as_str() {
        Some(s) => match ConnectionStatus::from_code(s) {
            Some(st) => Some(st),
            None => {
                issues.push(
                    Issue::new(
                        "code-invalid",
                        format!(
                            "Status '{s}' is not used here; use one of: {}",
                            ConnectionStatus::ALL
                                .iter()
                                .map(|s| s.code())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .at("Task.status"),
                );
                None
            }
        },
        None => {
            issues.push(Issue::new("required", "Give the Task's status").at("Task.status"));
            None
        }
    };
    let mut reason = None;
    for coding in body["statusReason"]["coding"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if coding["system"] == cs("connection-reason") {
            match coding["code"]
                .as_str()
                .and_then(ConnectionReason::from_code)
            {
                Some(r) => reason = Some(r),
                None => issues.push(
                    Issue::new(
                        "code-invalid",
                        format!(
                            "Unknown reason; use one of: {}",
                            ConnectionReason::ALL
                                .iter()
                                .map(|r| r.code())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .at("Task.statusReason"),
                ),
            }
        }
    }
    if reason.is_none() && text(&body["statusReason"]["text"]).is_some() {
        reason = Some(ConnectionReason::Other);
    }
    let mut note = body["note"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|x| text(&x["text"]))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    if let Some(t) = text(&body["statusReason"]["text"]) {
        if !note.contains(t) {
            note = if note.is_empty() {
                t.to_string()
            } else {
                format!("{t}\n{note}")
            };
        }
    }
    if note.chars().count() > domain::person::MAX_TEXT {
        issues.push(
            Issue::new(
                "too-long",
                format!(
                    "The note must be {} characters or fewer",
                    domain::person::MAX_TEXT
                ),
            )
            .at("Task.note"),
        );
    }
    match status {
        Some(status) if issues.is_empty() => Ok(TaskUpdate {
            status,
            reason,
            note,
        }),
        _ => Err(issues),
    }
}

/// No SNOMED CT reason codes mapped (the shipped default), for tests.
#[cfg(test)]
fn no_codes() -> std::collections::HashMap<String, Need> {
    std::collections::HashMap::new()
}

#[cfg(test)]
mod structure_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_elements_and_wrong_types_are_named() {
        let body = json!({
            "resourceType": "ServiceRequest", "status": "active", "intent": "order",
            "priority": 42, "colour": "blue", "note": {"text": "not a list"},
            "_priority": {"extension": []},
        });
        let issues = read_service_request(&body, ReferralSource::Gp, &no_codes()).unwrap_err();
        let said: Vec<String> = issues.iter().map(|i| i.diagnostics.clone()).collect();
        assert!(
            said.iter().any(|d| d.contains("priority must be a string")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|d| d.contains("no element 'colour'")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|d| d.contains("note must be an array")),
            "{said:?}"
        );
        assert_eq!(
            issues.len(),
            3,
            "the _priority companion is allowed: {said:?}"
        );
        let modifier = json!({
            "resourceType": "ServiceRequest", "status": "active", "intent": "order",
            "modifierExtension": [{"url": "https://x.example/not", "valueBoolean": true}],
        });
        let issues = read_service_request(&modifier, ReferralSource::Gp, &no_codes()).unwrap_err();
        assert!(issues[0].diagnostics.contains("modifierExtension"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn referral() -> Value {
        json!({
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "contained": [
                {"resourceType": "Patient", "id": "p",
                 "identifier": [{"system": NHS_NUMBER, "value": "9434765919"}],
                 "name": [{"family": "Testperson", "given": ["Alex", "Sam"]}],
                 "birthDate": "1960-02-03", "gender": "female",
                 "telecom": [{"system": "phone", "value": "01632 960001"}],
                 "address": [{"line": ["1 Test Street"], "city": "Leeds", "postalCode": "LS1 4AP"}],
                 "generalPractitioner": [{"identifier": {"system": ODS_CODE, "value": "b86001"}}]},
                {"resourceType": "Practitioner", "id": "r", "name": [{"text": "Dr Test Clinician"}],
                 "telecom": [{"system": "email", "value": "t.clinician@nhs.net"}]}
            ],
            "extension": [{"url": consent_extension(), "valueBoolean": true}],
            "subject": {"reference": "#p"},
            "requester": {"reference": "#r"},
            "priority": "urgent",
            "reasonCode": [{"coding": [{"system": cs("need"), "code": "loneliness"}]}, {"text": "Recently bereaved"}],
            "note": [{"text": "Lives alone"}],
        })
    }

    #[test]
    fn reads_a_referral_with_a_contained_patient_and_requester() {
        let r = read_service_request(&referral(), ReferralSource::Gp, &no_codes()).unwrap();
        let InboundPerson::New {
            draft,
            practice_ods,
        } = r.person
        else {
            panic!("new person")
        };
        assert_eq!(draft.given_name, "Alex Sam");
        assert_eq!(draft.nhs_number, "9434765919");
        assert_eq!(draft.address, "1 Test Street, Leeds");
        assert_eq!(practice_ods.as_deref(), Some("B86001"));
        assert!(r.referral.consent);
        assert_eq!(r.referral.needs, vec!["loneliness"]);
        assert_eq!(r.referral.urgency, "urgent");
        assert_eq!(r.referral.reason, "Recently bereaved\nLives alone");
        assert_eq!(r.referral.referrer_name, "Dr Test Clinician");
        assert_eq!(r.referral.referrer_contact, "t.clinician@nhs.net");
    }

    #[test]
    fn refuses_the_wrong_resource_and_unknown_codes() {
        let e = read_service_request(
            &json!({"resourceType": "Patient"}),
            ReferralSource::Gp,
            &no_codes(),
        )
        .unwrap_err();
        assert!(e[0].diagnostics.contains("Expected a ServiceRequest"));
        let mut bad = referral();
        bad["reasonCode"][0]["coding"][0]["code"] = json!("astrology");
        bad["priority"] = json!("whenever");
        let e = read_service_request(&bad, ReferralSource::Gp, &no_codes()).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        let mut missing = referral();
        missing["subject"] = json!({"reference": "#nobody"});
        assert!(read_service_request(&missing, ReferralSource::Gp, &no_codes()).is_err());
    }

    #[test]
    fn contained_resources_and_task_updates_are_read_strictly() {
        let mut body = referral();
        body["contained"][0]["gender"] = json!(1);
        body["contained"][0]["favouriteColour"] = json!("blue");
        body["contained"][1]["modifierExtension"] =
            json!([{"url": "https://x.example/m", "valueBoolean": true}]);
        let e = read_service_request(&body, ReferralSource::Gp, &no_codes()).unwrap_err();
        let at: Vec<&str> = e.iter().filter_map(|i| i.expression.as_deref()).collect();
        assert!(at.contains(&"ServiceRequest.contained[0].gender"), "{at:?}");
        assert!(
            at.contains(&"ServiceRequest.contained[0].favouriteColour"),
            "{at:?}"
        );
        assert!(
            at.contains(&"ServiceRequest.contained[1].modifierExtension"),
            "{at:?}"
        );
        // A Task update with an element Task lacks, or of the wrong type, is refused whole.
        let t = json!({"resourceType": "Task", "id": "connection-4", "status": "accepted",
            "intent": "order", "colour": "red"});
        let e = read_task_update(&t, "connection-4").unwrap_err();
        assert_eq!(e[0].expression.as_deref(), Some("Task.colour"), "{e:?}");
        let t = json!({"resourceType": "Task", "id": "connection-4", "status": "accepted",
            "note": {"text": "not a list"}});
        assert!(read_task_update(&t, "connection-4").is_err());
        // What the server itself sends (meta, owner, for, lastModified …) reads back.
        let t = json!({"resourceType": "Task", "id": "connection-4", "status": "accepted",
            "intent": "order", "meta": {"versionId": "2"}, "owner": {"reference": "Organization/partner-1"},
            "for": {"reference": "Patient/3"}, "lastModified": "2026-12-01T10:00:00Z",
            "_status": {"extension": []}});
        assert!(read_task_update(&t, "connection-4").is_ok());
    }

    #[test]
    fn snomed_reasons_are_read_through_the_deployment_map() {
        const SCT: &str = "http://snomed.info/sct";
        let mut only_snomed = referral();
        only_snomed["reasonCode"] = json!([
            {"coding": [{"system": SCT, "code": "1000000001", "display": "Feels isolated"}]}
        ]);
        only_snomed.as_object_mut().unwrap().remove("note");
        // With words of its own it goes on as a described reason (the referral rule), the
        // code and the clinician's text both kept.
        let mut described = only_snomed.clone();
        described["reasonCode"][0]["text"] = json!("Lives alone since his wife died");
        let r = read_service_request(&described, ReferralSource::Gp, &no_codes()).unwrap();
        assert!(r.referral.needs.is_empty());
        assert_eq!(
            r.referral.reason,
            "Feels isolated (SNOMED CT 1000000001)\nLives alone since his wife died"
        );
        // Unmapped, with no words: refused, naming the code and the ways on.
        let e = read_service_request(&only_snomed, ReferralSource::Gp, &no_codes()).unwrap_err();
        let said = format!("{e:?}");
        assert!(
            said.contains("1000000001 (Feels isolated)") && said.contains("fhir_reason_codes"),
            "{said}"
        );
        // Mapped by the deployment: read as that need, with the words kept.
        let map = [("1000000001".to_string(), Need::Loneliness)]
            .into_iter()
            .collect();
        let r = read_service_request(&only_snomed, ReferralSource::Gp, &map).unwrap();
        assert_eq!(r.referral.needs, vec!["loneliness"]);
        assert!(
            r.referral
                .reason
                .starts_with("Feels isolated (SNOMED CT 1000000001)"),
            "{}",
            r.referral.reason
        );
        // Beside a need coding, an unmapped SNOMED code is kept as words, not refused.
        let mut both = referral();
        both["reasonCode"][0]["coding"]
            .as_array_mut()
            .unwrap()
            .push(json!({"system": SCT, "code": "1000000002", "display": "Money worries"}));
        let r = read_service_request(&both, ReferralSource::Gp, &no_codes()).unwrap();
        assert_eq!(r.referral.needs, vec!["loneliness"]);
        assert!(r
            .referral
            .reason
            .contains("Money worries (SNOMED CT 1000000002)"));
    }

    #[test]
    fn reads_a_task_update() {
        let t = json!({"resourceType": "Task", "id": "connection-4", "status": "rejected",
            "statusReason": {"coding": [{"system": cs("connection-reason"), "code": "no_capacity"}]},
            "note": [{"text": "Full until spring"}]});
        let u = read_task_update(&t, "connection-4").unwrap();
        assert_eq!(u.status, ConnectionStatus::Rejected);
        assert_eq!(u.reason, Some(ConnectionReason::NoCapacity));
        assert_eq!(u.note, "Full until spring");
        assert!(read_task_update(&t, "connection-5").is_err());
        let bad = json!({"resourceType": "Task", "id": "connection-4", "status": "ready"});
        assert!(read_task_update(&bad, "connection-4").is_err());
    }
}
