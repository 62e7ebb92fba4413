//! People: search, add, view and edit a person's record. Every read and write is
//! authorised by role, scoped to the user's PCN and audited.

use super::{flash, see_other, DoneQuery};
use crate::auth::Auth;
use crate::form::FormData;
use crate::views::{
    self, date, datetime, error_items, opt_date, ErrorItem, Field, Opt, PageCtx, Section,
};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use domain::{
    AccessNeed, CarerStatus, Code, ContactMethod, EpisodeState, Ethnicity, FieldErrors,
    PersonDraft, Sex,
};
use std::collections::HashMap;
use storage::{Person, PersonQuery, Practice, StorageError};

mod form;
mod list;
mod merge;
mod show;

pub use form::*;
pub use list::*;
pub use merge::*;
pub use show::*;

/// Reads the person fields of a form.
pub(crate) fn draft_from_form(f: &FormData) -> Result<PersonDraft, AppError> {
    Ok(PersonDraft {
        given_name: f.get("given_name").into(),
        family_name: f.get("family_name").into(),
        date_of_birth: f.date("date_of_birth"),
        nhs_number: f.get("nhs_number").into(),
        sex: f.get("sex").into(),
        gender_identity: f.get("gender_identity").into(),
        ethnicity: f.get("ethnicity").into(),
        language: f.get("language").into(),
        interpreter_needed: f.checked("interpreter_needed"),
        access_needs: f.all("access_needs"),
        access_notes: f.get("access_notes").into(),
        carer_status: f.get("carer_status").into(),
        carer_details: f.get("carer_details").into(),
        practice_id: f.opt_i64("practice_id").unwrap_or(None),
        address: f.get("address").into(),
        postcode: f.get("postcode").into(),
        phone: f.get("phone").into(),
        email: f.get("email").into(),
        preferred_contact: f.get("preferred_contact").into(),
        voicemail_ok: f.get("voicemail_ok").into(),
        texts_ok: f.get("texts_ok").into(),
    })
}

/// The person part of a form, filled with a draft and its errors.
pub(crate) fn person_sections(
    d: &PersonDraft,
    e: &FieldErrors,
    practices: &[Practice],
) -> Vec<Section> {
    let one = |s: &str| vec![s.to_string()];
    let mut practice_opts = vec![Opt {
        value: String::new(),
        label: "Choose a practice".into(),
        selected: d.practice_id.is_none(),
    }];
    practice_opts.extend(practices.iter().map(|p| Opt {
        value: p.id.to_string(),
        label: p.name.clone(),
        selected: d.practice_id == Some(p.id),
    }));
    vec![
        Section {
            folded: false,
            legend: "The person".into(),
            fields: vec![
                Field::new("text", "given_name", "Given name")
                    .value(&d.given_name)
                    .autocomplete("off")
                    .width("20")
                    .required()
                    .errors(e),
                Field::new("text", "family_name", "Family name")
                    .value(&d.family_name)
                    .width("20")
                    .required()
                    .errors(e),
                Field::new("date3", "date_of_birth", "Date of birth")
                    .hint("For example, 27 3 1958")
                    .value(&d.date_of_birth)
                    .required()
                    .errors(e),
                Field::new("text", "nhs_number", "NHS number")
                    .hint("10 digits, for example 943 476 5919. Leave blank if you do not know it.")
                    .value(&d.nhs_number)
                    .width("10")
                    .errors(e),
                Field::new("select", "sex", "Sex")
                    .codes::<Sex>(&one(&d.sex), Some("Choose"))
                    .errors(e),
                Field::new("text", "gender_identity", "Gender identity")
                    .hint("In the person's own words, if they want it recorded")
                    .value(&d.gender_identity)
                    .width("20")
                    .errors(e),
                Field::new("select", "ethnicity", "Ethnic category")
                    .codes::<Ethnicity>(&one(&d.ethnicity), Some("Choose"))
                    .errors(e),
                Field::new("select", "practice_id", "Registered GP practice")
                    .options(practice_opts)
                    .errors(e),
            ],
        },
        Section {
            folded: false,
            legend: "Language and communication".into(),
            fields: vec![
                Field::new("text", "language", "Preferred language")
                    .value(&d.language)
                    .width("20")
                    .errors(e),
                Field::new("checkbox", "interpreter_needed", "Needs an interpreter")
                    .value(if d.interpreter_needed { "yes" } else { "" })
                    .errors(e),
                Field::new(
                    "checkboxes",
                    "access_needs",
                    "Communication and access needs",
                )
                .hint("Accessible Information Standard: tick all that apply")
                .codes::<AccessNeed>(&d.access_needs, None)
                .errors(e),
                Field::new("textarea", "access_notes", "Other communication needs")
                    .value(&d.access_notes)
                    .errors(e),
            ],
        },
        Section {
            folded: false,
            legend: "Contact details".into(),
            fields: vec![
                Field::new("textarea", "address", "Address")
                    .value(&d.address)
                    .errors(e),
                Field::new("text", "postcode", "Postcode")
                    .value(&d.postcode)
                    .width("10")
                    .errors(e),
                Field::new("tel", "phone", "Telephone")
                    .needed_when("needed if they prefer calls or texts")
                    .value(&d.phone)
                    .width("20")
                    .errors(e),
                Field::new("email", "email", "Email")
                    .needed_when("needed if they prefer email")
                    .value(&d.email)
                    .width("30")
                    .errors(e),
                Field::new(
                    "radios",
                    "preferred_contact",
                    "Preferred way to be contacted",
                )
                .codes::<ContactMethod>(&one(&d.preferred_contact), None)
                .errors(e),
                yes_no_field(
                    "voicemail_ok",
                    "Is it safe to leave them a voicemail?",
                    &d.voicemail_ok,
                    e,
                ),
                yes_no_field("texts_ok", "May we send them texts?", &d.texts_ok, e),
            ],
        },
        Section {
            folded: false,
            legend: "Carers".into(),
            fields: vec![
                Field::new("select", "carer_status", "Carer status")
                    .codes::<CarerStatus>(&one(&d.carer_status), Some("Choose"))
                    .errors(e),
                Field::new("textarea", "carer_details", "Carer or next of kin")
                    .hint("Name, relationship and how to contact them")
                    .value(&d.carer_details)
                    .errors(e),
            ],
        },
    ]
}

/// Yes, no, or not asked.
fn yes_no_field(name: &'static str, label: &str, value: &str, e: &FieldErrors) -> Field {
    let opts = [("yes", "Yes"), ("no", "No"), ("", "Not asked")]
        .into_iter()
        .map(|(v, l)| Opt {
            value: v.into(),
            label: l.into(),
            selected: value == v,
        })
        .collect();
    Field::new("radios", name, label).options(opts).errors(e)
}
