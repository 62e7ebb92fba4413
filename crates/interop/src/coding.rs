//! GP-record coding for a practice: the batch of SNOMED CT codes waiting to be recorded,
//! as a FHIR message Bundle (a MessageHeader, then an Observation per code with its Patient)
//! and as CSV for practices that import a spreadsheet.

use crate::fhir::{full_url, id_system, instant, snomed, LINKWORK, NHS_NUMBER, ODS_CODE};
use serde_json::{json, Value};
use storage::CodingBatch;

/// The FHIR id of a batch.
pub fn batch_id(id: i64) -> String {
    format!("coding-{id}")
}

fn observation(b: &CodingBatch, e: &storage::CodingEntry) -> Value {
    let mut subject =
        json!({"reference": format!("Patient/{}", e.person_id), "display": e.person_name});
    if let Some(n) = &e.nhs_number {
        subject["identifier"] = json!({"system": NHS_NUMBER, "value": n});
    }
    json!({
        "resourceType": "Observation",
        "id": format!("coding-entry-{}", e.id),
        "identifier": [{"system": id_system("coding-entry"), "value": e.id.to_string()}],
        "status": "final",
        "code": snomed(&e.concept_id, &e.term),
        "subject": subject,
        "effectiveDateTime": instant(e.queued_at),
        "performer": [{"identifier": {"system": ODS_CODE, "value": b.practice_ods}, "display": b.practice_name}],
    })
}

/// The batch as a FHIR message Bundle. The codes are the same on every pull until the
/// batch is acknowledged; each Observation's identifier lets the receiving system spot one
/// it has already filed.
pub fn message_bundle(base: &str, b: &CodingBatch) -> Value {
    let pending: Vec<&storage::CodingEntry> = b.entries.iter().collect();
    let observations: Vec<Value> = pending.iter().map(|e| observation(b, e)).collect();
    let header = json!({
        "resourceType": "MessageHeader",
        "id": batch_id(b.id),
        "eventCoding": {"system": format!("{LINKWORK}/CodeSystem/message-event"), "code": "gp-record-coding", "display": "Social prescribing codes for the GP record"},
        "destination": [{
            "name": b.practice_name,
            "endpoint": format!("{base}/$coding-batch?practice={}", b.practice_ods),
            "receiver": {"identifier": {"system": ODS_CODE, "value": b.practice_ods}, "display": b.practice_name},
        }],
        "source": {"name": "Linkwork", "endpoint": base},
        "focus": observations.iter().map(|o| json!({"reference": full_url(base, o)})).collect::<Vec<_>>(),
    });
    let mut entry = vec![json!({"fullUrl": full_url(base, &header), "resource": header})];
    entry.extend(
        observations
            .into_iter()
            .map(|o| json!({"fullUrl": full_url(base, &o), "resource": o})),
    );
    json!({
        "resourceType": "Bundle",
        "id": batch_id(b.id),
        "meta": {"lastUpdated": instant(b.last_pulled_at)},
        "identifier": {"system": id_system("coding-batch"), "value": b.id.to_string()},
        "type": "message",
        "timestamp": instant(b.created_at),
        "entry": entry,
    })
}

/// An empty message Bundle: nothing waits for the practice.
pub fn empty_bundle(base: &str, practice_ods: &str, now: chrono::DateTime<chrono::Utc>) -> Value {
    let header = json!({
        "resourceType": "MessageHeader",
        "id": "coding-none",
        "eventCoding": {"system": format!("{LINKWORK}/CodeSystem/message-event"), "code": "gp-record-coding"},
        "destination": [{"endpoint": format!("{base}/$coding-batch?practice={practice_ods}")}],
        "source": {"name": "Linkwork", "endpoint": base},
    });
    json!({
        "resourceType": "Bundle",
        "identifier": {"system": id_system("coding-batch"), "value": "none"},
        "type": "message",
        "timestamp": instant(now),
        "entry": [{"fullUrl": full_url(base, &header), "resource": header}],
    })
}

/// The batch as CSV: one row per code, with the batch id on every row.
pub fn csv(b: &CodingBatch) -> String {
    let mut out = String::from("batch,entry_id,practice_ods,nhs_number,person,date_of_birth,snomed_concept_id,term,event_date,already_recorded\n");
    for e in &b.entries {
        let row = [
            b.id.to_string(),
            e.id.to_string(),
            b.practice_ods.clone(),
            e.nhs_number.clone().unwrap_or_default(),
            e.person_name.clone(),
            e.date_of_birth.format("%Y-%m-%d").to_string(),
            e.concept_id.clone(),
            e.term.clone(),
            e.queued_at.format("%Y-%m-%d").to_string(),
            if e.recorded { "yes" } else { "no" }.to_string(),
        ];
        out.push_str(
            &row.iter()
                .map(|f| reports::export::csv_text(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}
