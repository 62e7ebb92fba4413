//! The FHIR plumbing every resource shares: code systems and identifier systems, ids,
//! references, OperationOutcome, search Bundles and the CapabilityStatement.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::Code;
use serde_json::{json, Value};

/// The NHS number (UK Core).
pub const NHS_NUMBER: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// ODS organisation codes (UK Core).
pub const ODS_CODE: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const UCUM: &str = "http://unitsofmeasure.org";
/// Linkwork's own code systems and identifiers live under this base.
pub const LINKWORK: &str = "https://fhir.linkwork.example";

/// A Linkwork code system URL, e.g. `cs("need")`.
pub fn cs(name: &str) -> String {
    format!("{LINKWORK}/CodeSystem/{name}")
}

/// A Linkwork extension URL.
pub fn ext(name: &str) -> String {
    format!("{LINKWORK}/StructureDefinition/{name}")
}

/// A Linkwork identifier system, e.g. `id_system("referral")`.
pub fn id_system(name: &str) -> String {
    format!("{LINKWORK}/Id/{name}")
}

/// The extension an inbound referral carries to say the person agreed to be referred.
pub fn consent_extension() -> String {
    ext("consent-to-refer")
}

/// A CodeableConcept for one of Linkwork's coded values.
pub fn concept<T: Code>(system: &str, v: T) -> Value {
    json!({"coding": [{"system": cs(system), "code": v.code(), "display": v.label()}], "text": v.label()})
}

/// A CodeableConcept for a SNOMED CT concept.
pub fn snomed(code: &str, display: &str) -> Value {
    json!({"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display})
}

/// An instant as FHIR wants it.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Whether `s` may be a FHIR logical id (`[A-Za-z0-9\-\.]{1,64}`).
pub fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

pub fn reference(kind: &str, id: impl std::fmt::Display) -> Value {
    json!({"reference": format!("{kind}/{id}")})
}

/// An XHTML narrative div holding escaped text, one paragraph per line.
pub fn narrative(text: &str) -> Value {
    let body: String = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect();
    let body = if body.is_empty() {
        "<p>None recorded.</p>".to_string()
    } else {
        body
    };
    json!({"status": "generated", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{body}</div>")})
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// One problem for an OperationOutcome: `code` from the FHIR issue-type value set
/// (`invalid`, `required`, `value`, `business-rule`, `not-found`, `forbidden`, `login`,
/// `conflict`, `not-supported`, `exception`…), the message, and where (a FHIRPath).
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub code: &'static str,
    pub diagnostics: String,
    pub expression: Option<String>,
}

impl Issue {
    pub fn new(code: &'static str, diagnostics: impl Into<String>) -> Self {
        Self {
            code,
            diagnostics: diagnostics.into(),
            expression: None,
        }
    }

    pub fn at(mut self, expression: impl Into<String>) -> Self {
        self.expression = Some(expression.into());
        self
    }
}

/// An OperationOutcome with errors (or one information issue when `issues` is empty and
/// `info` is given).
pub fn operation_outcome(issues: &[Issue], info: Option<&str>) -> Value {
    let mut list: Vec<Value> = issues
        .iter()
        .map(|i| {
            let mut v = json!({"severity": "error", "code": i.code, "diagnostics": i.diagnostics});
            if let Some(e) = &i.expression {
                v["expression"] = json!([e]);
            }
            v
        })
        .collect();
    if let Some(text) = info {
        list.push(json!({"severity": "information", "code": "informational", "diagnostics": text}));
    }
    json!({"resourceType": "OperationOutcome", "issue": list})
}

/// A searchset Bundle of one page: `resources` are this page's matches, `total` all of
/// them, `self_url` and `next_url` the page links (absolute).
pub fn searchset(
    base: &str,
    resources: Vec<Value>,
    total: usize,
    self_url: &str,
    next_url: Option<&str>,
) -> Value {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let full = full_url(base, &r);
            json!({"fullUrl": full, "resource": r, "search": {"mode": "match"}})
        })
        .collect();
    let mut link = vec![json!({"relation": "self", "url": self_url})];
    if let Some(n) = next_url {
        link.push(json!({"relation": "next", "url": n}));
    }
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": link,
        "entry": entry,
    })
}

/// `{base}/{resourceType}/{id}` for a resource.
pub fn full_url(base: &str, r: &Value) -> String {
    format!(
        "{base}/{}/{}",
        r["resourceType"].as_str().unwrap_or_default(),
        r["id"].as_str().unwrap_or_default()
    )
}

/// One resource's row in the CapabilityStatement: (type, interactions, search parameters
/// as (name, type)).
pub type Capability = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// What the server can do, per resource.
pub const CAPABILITIES: &[Capability] = &[
    (
        "Patient",
        &["read", "vread", "search-type"],
        &[
            ("identifier", "token"),
            ("name", "string"),
            ("birthdate", "date"),
            ("_count", "number"),
        ],
    ),
    (
        "ServiceRequest",
        &["read", "vread", "search-type", "create"],
        &[("patient", "reference"), ("_count", "number")],
    ),
    (
        "Task",
        &["read", "vread", "search-type", "update"],
        &[
            ("owner", "reference"),
            ("status", "token"),
            ("patient", "reference"),
            ("_count", "number"),
        ],
    ),
    (
        "CarePlan",
        &["read", "search-type"],
        &[("patient", "reference"), ("_count", "number")],
    ),
    (
        "Goal",
        &["read", "search-type"],
        &[("patient", "reference"), ("_count", "number")],
    ),
    (
        "Observation",
        &["read", "search-type"],
        &[("patient", "reference"), ("_count", "number")],
    ),
    (
        "Encounter",
        &["read", "search-type"],
        &[("patient", "reference"), ("_count", "number")],
    ),
    ("Composition", &["read"], &[]),
    (
        "HealthcareService",
        &["read", "search-type"],
        &[
            ("name", "string"),
            ("organization", "reference"),
            ("_count", "number"),
        ],
    ),
    (
        "Organization",
        &["read", "search-type"],
        &[("name", "string"), ("_count", "number")],
    ),
    ("Location", &["read"], &[]),
    ("Bundle", &["read"], &[]),
];

/// The CapabilityStatement served at `/fhir/metadata`.
/// Resource types whose every resource carries `meta.lastUpdated`, so `_lastUpdated` can be
/// searched: the server refuses it elsewhere, and the CapabilityStatement lists it for these
/// only (one list for both).
pub const LAST_UPDATED_KINDS: [&str; 8] = [
    "Patient",
    "ServiceRequest",
    "Task",
    "HealthcareService",
    "CarePlan",
    "Goal",
    "Observation",
    "Encounter",
];

pub fn capability_statement(base: &str, software_version: &str, token_url: &str) -> Value {
    let resources: Vec<Value> = CAPABILITIES
        .iter()
        .map(|(kind, interactions, params)| {
            // Every search also takes `_id` and `_lastUpdated` (applied to the results by
            // the server's one paging function, so no search can lack them).
            let searches = interactions.contains(&"search-type");
            let mut search: Vec<Value> = params
                .iter()
                .map(|(n, t)| json!({"name": n, "type": t}))
                .collect();
            if searches {
                search.push(json!({"name": "_id", "type": "token"}));
                if LAST_UPDATED_KINDS.contains(kind) {
                    search.push(json!({"name": "_lastUpdated", "type": "date", "documentation": "On meta.lastUpdated; prefixes eq, ne, gt, lt, ge, le, sa, eb; may be repeated for a range"}));
                }
            }
            let mut r = json!({
                "type": kind,
                "interaction": interactions.iter().map(|i| json!({"code": i})).collect::<Vec<_>>(),
                "searchParam": search,
            });
            if interactions.contains(&"vread") {
                // Only the current version is kept: vread of it, no history.
                // Task takes If-Match on update.
                r["versioning"] = json!(if interactions.contains(&"update") {
                    "versioned-update"
                } else {
                    "versioned"
                });
                r["readHistory"] = json!(false);
            }
            if interactions.contains(&"create") {
                // If-None-Exist: identifier=<system>|<value> (the resource's own identifier).
                r["conditionalCreate"] = json!(true);
            }
            r
        })
        .collect();
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-21",
        "publisher": "Linkwork",
        "kind": "instance",
        "software": {"name": "Linkwork", "version": software_version},
        "implementation": {"description": "Linkwork social prescribing FHIR API", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "System-to-system access: OAuth2 client credentials at the token URL below give a bearer token whose scopes decide what the client may do. Searches page by the next link (a cursor: sorted by id, the default, nothing is skipped or repeated when records change between pages; sorted by time, a record changed mid-walk moves, so sync with _lastUpdated=gt<the last time seen>); _sort takes _id, -_id, _lastUpdated or -_lastUpdated; _count is at most 200 (more is taken as 200); _summary=count or _count=0 give the total alone. See docs/interoperability.md.",
            "security": {
                // Where standard clients find the token endpoint (SMART's oauth-uris), beside
                // /.well-known/smart-configuration.
                "extension": [{
                    "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                    "extension": [{"url": "token", "valueUri": token_url}],
                }],
                "service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}]}],
                "description": format!("Bearer tokens from {token_url} (grant_type=client_credentials; the client authenticates with its secret, or with a JWT signed by a key it registered: SMART Backend Services, private_key_jwt with RS384, ES384 or RS512). Scopes are Linkwork's own or SMART system/ scopes, mapped onto them."),
            },
            "resource": resources,
            "operation": [
                {"name": "coding-batch", "definition": format!("{LINKWORK}/OperationDefinition/coding-batch")},
                {"name": "acknowledge", "definition": format!("{LINKWORK}/OperationDefinition/acknowledge")},
                {"name": "document", "definition": "http://hl7.org/fhir/OperationDefinition/Composition-document"},
            ],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_fhir_pattern() {
        assert!(valid_id("referral-12"));
        assert!(valid_id("3f2a.b-9"));
        assert!(!valid_id(""));
        assert!(!valid_id("a/b"));
        assert!(!valid_id(&"x".repeat(65)));
    }

    #[test]
    fn narrative_escapes_text() {
        let n = narrative("<script>alert(1)</script>\n\nFish & chips");
        let div = n["div"].as_str().unwrap();
        assert!(div.contains("&lt;script&gt;"));
        assert!(div.contains("<p>Fish &amp; chips</p>"));
        assert!(!div.contains("<script>"));
    }

    #[test]
    fn outcome_lists_each_issue_with_where() {
        let o = operation_outcome(
            &[Issue::new("required", "Give the person's date of birth").at("Patient.birthDate")],
            None,
        );
        assert_eq!(o["issue"][0]["severity"], "error");
        assert_eq!(o["issue"][0]["expression"][0], "Patient.birthDate");
    }
}
