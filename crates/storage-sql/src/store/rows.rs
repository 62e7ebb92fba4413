//! Turning database rows into storage records.

use super::engine::{backend, DbRow};
use domain::codes::split_codes as codes;
use domain::{Code, NhsNumber, PersonDetails, Postcode};
use sqlx::Row;
use storage::{AuditRecord, CaseloadRow, Episode, Person, Referral, Result, StorageError, User};

/// A stored code back into its value set; a code this build does not know is a backend error.
pub(crate) fn code<T: Code>(s: &str) -> Result<T> {
    T::from_code(s).ok_or_else(|| StorageError::Backend(format!("unknown code in database: {s}")))
}

fn opt_code<T: Code>(s: Option<String>) -> Result<Option<T>> {
    s.filter(|s| !s.is_empty()).map(|s| code(&s)).transpose()
}

pub(crate) fn user(r: &DbRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id").map_err(backend)?,
        email: r.try_get("email").map_err(backend)?,
        name: r.try_get("name").map_err(backend)?,
        role: code(r.try_get::<&str, _>("role").map_err(backend)?)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        partner_org_id: r.try_get("partner_org_id").map_err(backend)?,
        password_hash: r.try_get("password_hash").map_err(backend)?,
        disabled: r.try_get("disabled").map_err(backend)?,
        failed_logins: r.try_get::<i64, _>("failed_logins").map_err(backend)? as u32,
        locked_until: r.try_get("locked_until").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        last_sign_in_at: r.try_get("last_sign_in_at").map_err(backend)?,
        totp_secret: r.try_get("totp_secret").map_err(backend)?,
        totp_pending: r.try_get("totp_pending").map_err(backend)?,
        totp_failures: r.try_get("totp_failures").map_err(backend)?,
    })
}

pub(crate) fn person(r: &DbRow) -> Result<Person> {
    let nhs: Option<String> = r.try_get("nhs_number").map_err(backend)?;
    let postcode: Option<String> = r.try_get("postcode").map_err(backend)?;
    let details = PersonDetails {
        given_name: r.try_get("given_name").map_err(backend)?,
        family_name: r.try_get("family_name").map_err(backend)?,
        date_of_birth: r.try_get("date_of_birth").map_err(backend)?,
        nhs_number: nhs.and_then(|n| NhsNumber::parse(&n).ok()),
        sex: code(r.try_get::<&str, _>("sex").map_err(backend)?)?,
        gender_identity: r.try_get("gender_identity").map_err(backend)?,
        ethnicity: opt_code(r.try_get("ethnicity").map_err(backend)?)?,
        language: r.try_get("language").map_err(backend)?,
        interpreter_needed: r.try_get("interpreter_needed").map_err(backend)?,
        access_needs: codes(r.try_get::<&str, _>("access_needs").map_err(backend)?),
        access_notes: r.try_get("access_notes").map_err(backend)?,
        carer_status: code(r.try_get::<&str, _>("carer_status").map_err(backend)?)?,
        carer_details: r.try_get("carer_details").map_err(backend)?,
        practice_id: r.try_get("practice_id").map_err(backend)?,
        address: r.try_get("address").map_err(backend)?,
        postcode: postcode.and_then(|p| Postcode::parse(&p).ok()),
        phone: r.try_get("phone").map_err(backend)?,
        email: r.try_get("email").map_err(backend)?,
        preferred_contact: opt_code(r.try_get("preferred_contact").map_err(backend)?)?,
        voicemail_ok: r.try_get("voicemail_ok").map_err(backend)?,
        texts_ok: r.try_get("texts_ok").map_err(backend)?,
    };
    Ok(Person {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        details,
        version: r.try_get("version").map_err(backend)?,
        created_at: r.try_get("created_at").map_err(backend)?,
        updated_at: r.try_get("updated_at").map_err(backend)?,
    })
}

pub(crate) fn referral(r: &DbRow) -> Result<Referral> {
    Ok(Referral {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        source: code(r.try_get::<&str, _>("source").map_err(backend)?)?,
        referrer_name: r.try_get("referrer_name").map_err(backend)?,
        referrer_role: r.try_get("referrer_role").map_err(backend)?,
        referrer_organisation: r.try_get("referrer_organisation").map_err(backend)?,
        referrer_contact: r.try_get("referrer_contact").map_err(backend)?,
        needs: codes(r.try_get::<&str, _>("needs").map_err(backend)?),
        reason: r.try_get("reason").map_err(backend)?,
        urgency: code(r.try_get::<&str, _>("urgency").map_err(backend)?)?,
        consent: r.try_get("consent").map_err(backend)?,
        created_by: r.try_get("created_by").map_err(backend)?,
        received_at: r.try_get("received_at").map_err(backend)?,
        reference: r.try_get("reference").map_err(backend)?,
        source_identifier: r.try_get("source_identifier").map_err(backend)?,
    })
}

pub(crate) fn episode(r: &DbRow) -> Result<Episode> {
    Ok(Episode {
        id: r.try_get("id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        referral_id: r.try_get("referral_id").map_err(backend)?,
        state: code(r.try_get::<&str, _>("state").map_err(backend)?)?,
        link_worker_id: r.try_get("link_worker_id").map_err(backend)?,
        referred_at: r.try_get("referred_at").map_err(backend)?,
        assigned_at: r.try_get("assigned_at").map_err(backend)?,
        first_contact_at: r.try_get("first_contact_at").map_err(backend)?,
        last_contact_at: r.try_get("last_contact_at").map_err(backend)?,
        next_contact_at: r.try_get("next_contact_at").map_err(backend)?,
        closed_at: r.try_get("closed_at").map_err(backend)?,
        discharge_reason: opt_code(r.try_get("discharge_reason").map_err(backend)?)?,
        closed_from: opt_code(r.try_get("closed_from").map_err(backend)?)?,
        version: r.try_get("version").map_err(backend)?,
    })
}

pub(crate) fn caseload_row(r: &DbRow) -> Result<CaseloadRow> {
    Ok(CaseloadRow {
        episode_id: r.try_get("episode_id").map_err(backend)?,
        episode_version: r.try_get("episode_version").map_err(backend)?,
        person_id: r.try_get("person_id").map_err(backend)?,
        given_name: r.try_get("given_name").map_err(backend)?,
        family_name: r.try_get("family_name").map_err(backend)?,
        date_of_birth: r.try_get("date_of_birth").map_err(backend)?,
        nhs_number: r.try_get("nhs_number").map_err(backend)?,
        state: code(r.try_get::<&str, _>("state").map_err(backend)?)?,
        urgency: code(r.try_get::<&str, _>("urgency").map_err(backend)?)?,
        needs: codes(r.try_get::<&str, _>("needs").map_err(backend)?),
        referred_at: r.try_get("referred_at").map_err(backend)?,
        last_contact_at: r.try_get("last_contact_at").map_err(backend)?,
        next_contact_at: r.try_get("next_contact_at").map_err(backend)?,
        link_worker_id: r.try_get("link_worker_id").map_err(backend)?,
        source: code(r.try_get::<&str, _>("source").map_err(backend)?)?,
        reference: r.try_get("reference").map_err(backend)?,
    })
}

pub(crate) fn audit(r: &DbRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: r.try_get("seq").map_err(backend)?,
        at: r.try_get("at").map_err(backend)?,
        actor_id: r.try_get("actor_id").map_err(backend)?,
        actor_label: r.try_get("actor_label").map_err(backend)?,
        ip: r.try_get("ip").map_err(backend)?,
        action: r.try_get("action").map_err(backend)?,
        entity: r.try_get("entity").map_err(backend)?,
        entity_id: r.try_get("entity_id").map_err(backend)?,
        pcn_id: r.try_get("pcn_id").map_err(backend)?,
        detail: r.try_get("detail").map_err(backend)?,
        prev_hash: r.try_get("prev_hash").map_err(backend)?,
        hash: r.try_get("hash").map_err(backend)?,
    })
}
