//! Contacts with the person: how, when, how long, who was there. The first contact moves a
//! `referred` episode on; contacts per episode are shown against the 6–12 norm.

use crate::errors::FieldErrors;
use crate::person::{check_text, parse_date, MAX_TEXT};
use crate::Code;
use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// Contacts per episode the service usually needs.
pub const CONTACT_NORM: RangeInclusive<usize> = 6..=12;

code_enum!(
    /// How the contact happened.
    ContactType {
        Telephone => ("telephone", "Telephone"),
        FaceToFace => ("face_to_face", "Face to face at the practice"),
        HomeVisit => ("home_visit", "Home visit"),
        Video => ("video", "Video call"),
        CommunityVenue => ("community_venue", "At a community venue"),
        TextEmail => ("text_email", "Text or email"),
        Group => ("group", "Group session"),
    }
);

code_enum!(
    /// Who was present besides the link worker.
    Present {
        Person => ("person", "The person"),
        Carer => ("carer", "Their carer"),
        Family => ("family", "Family member"),
        Interpreter => ("interpreter", "Interpreter"),
    }
);

/// A contact as a form or API sends it: every field as text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactDraft {
    pub contact_type: String,
    /// YYYY-MM-DD (or DD/MM/YYYY).
    pub date: String,
    /// HH:MM, 24-hour; blank for "time not recorded" (noon is stored).
    pub time: String,
    pub duration_minutes: String,
    pub did_not_attend: bool,
    pub present: Vec<String>,
    pub notes: String,
}

/// A checked contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactDetails {
    pub contact_type: ContactType,
    pub at: DateTime<Utc>,
    pub duration_minutes: Option<u16>,
    pub did_not_attend: bool,
    pub present: Vec<Present>,
    pub notes: String,
}

impl ContactDraft {
    /// Checks the draft. `not_before` is when the episode began (a contact cannot precede
    /// the referral); contacts cannot be in the future.
    pub fn validate(
        &self,
        now: DateTime<Utc>,
        not_before: DateTime<Utc>,
    ) -> Result<ContactDetails, FieldErrors> {
        let mut e = FieldErrors::default();
        let contact_type = ContactType::from_code(self.contact_type.trim());
        if contact_type.is_none() {
            e.add("contact_type", "Choose how the contact happened");
        }
        let date = parse_date(&self.date);
        if date.is_none() {
            e.add(
                "date",
                "Enter the date of the contact, for example 2026-03-27",
            );
        }
        let time = match self.time.trim() {
            "" => NaiveTime::from_hms_opt(12, 0, 0),
            t => {
                let parsed = NaiveTime::parse_from_str(t, "%H:%M").ok();
                if parsed.is_none() {
                    e.add("time", "Enter the time as 24-hour HH:MM, for example 14:30");
                }
                parsed
            }
        };
        let at = match (date, time) {
            (Some(d), Some(t)) => {
                // Typed in UK time (GMT or BST).
                let at = crate::uk_time::at(d, t);
                if at > now + chrono::Duration::minutes(5) {
                    e.add("date", "The contact cannot be in the future");
                } else if at < not_before - chrono::Duration::minutes(1) {
                    e.add(
                        "date",
                        format!(
                            "The contact cannot be before the referral was made ({})",
                            crate::uk_time::to_uk(not_before).format("%-d %b %Y %H:%M")
                        ),
                    );
                }
                Some(at)
            }
            _ => None,
        };
        let duration_minutes = match self.duration_minutes.trim() {
            "" if self.did_not_attend => None,
            "" => {
                e.add(
                    "duration_minutes",
                    "Enter how long the contact took, in minutes",
                );
                None
            }
            d => match d.parse::<u16>() {
                Ok(m) if (1..=480).contains(&m) => Some(m),
                _ => {
                    e.add(
                        "duration_minutes",
                        "Enter the length in minutes, from 1 to 480",
                    );
                    None
                }
            },
        };
        let mut present = vec![];
        for p in &self.present {
            match Present::from_code(p) {
                Some(v) if !present.contains(&v) => present.push(v),
                Some(_) => {}
                None => e.add("present", "Choose who was present from the list"),
            }
        }
        if self.did_not_attend && present.contains(&Present::Person) {
            e.add(
                "present",
                "They did not attend, so they cannot have been present: untick one",
            );
        }
        let notes = check_text(&mut e, "notes", "Notes", &self.notes, MAX_TEXT);
        match (contact_type, at, e.is_empty()) {
            (Some(contact_type), Some(at), true) => Ok(ContactDetails {
                contact_type,
                at,
                duration_minutes,
                did_not_attend: self.did_not_attend,
                present,
                notes,
            }),
            _ => Err(e),
        }
    }
}

impl ContactDetails {
    /// One line for timelines: "Telephone, 20 min" or "Home visit: did not attend".
    pub fn summary(&self) -> String {
        if self.did_not_attend {
            format!("{}: did not attend", self.contact_type.label())
        } else {
            match self.duration_minutes {
                Some(m) => format!("{}, {m} min", self.contact_type.label()),
                None => self.contact_type.label().to_string(),
            }
        }
    }
}

/// "4 contacts (usual range 6–12)" and whether the count is below, within or above it.
pub fn contacts_against_norm(n: usize) -> (String, &'static str) {
    let word = if n == 1 { "contact" } else { "contacts" };
    let band = if n < *CONTACT_NORM.start() {
        "below"
    } else if n > *CONTACT_NORM.end() {
        "above"
    } else {
        "within"
    };
    (
        format!(
            "{n} {word} (usual range {}–{})",
            CONTACT_NORM.start(),
            CONTACT_NORM.end()
        ),
        band,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap()
    }
    fn referred() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()
    }
    fn draft() -> ContactDraft {
        ContactDraft {
            contact_type: "telephone".into(),
            date: "2026-11-20".into(),
            time: "10:30".into(),
            duration_minutes: "20".into(),
            present: vec!["person".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_good_contact() {
        let c = draft().validate(now(), referred()).unwrap();
        assert_eq!(c.contact_type, ContactType::Telephone);
        assert_eq!(c.summary(), "Telephone, 20 min");
    }

    #[test]
    fn bad_input_is_reported_per_field() {
        let d = ContactDraft {
            contact_type: "pigeon".into(),
            date: "2026-13-40".into(),
            time: "25:00".into(),
            duration_minutes: "0".into(),
            present: vec!["neighbour".into()],
            notes: "a\u{0}b".into(),
            ..Default::default()
        };
        let e = d.validate(now(), referred()).unwrap_err();
        for f in [
            "contact_type",
            "date",
            "time",
            "duration_minutes",
            "present",
            "notes",
        ] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }

    #[test]
    fn not_in_the_future_nor_before_the_referral() {
        let mut d = draft();
        d.date = "2026-11-22".into();
        assert_eq!(
            d.validate(now(), referred()).unwrap_err().get("date"),
            Some("The contact cannot be in the future")
        );
        d.date = "2026-10-31".into();
        assert!(d.validate(now(), referred()).is_err());
    }

    #[test]
    fn a_missed_contact_cannot_have_the_person_present() {
        let mut d = draft();
        d.did_not_attend = true;
        d.present = vec!["person".into()];
        let e = d.validate(now(), referred()).unwrap_err();
        assert!(e
            .get("present")
            .is_some_and(|m| m.contains("did not attend")));
        d.present = vec!["carer".into()];
        assert!(
            d.validate(now(), referred()).is_ok(),
            "a carer may answer the door"
        );
    }

    #[test]
    fn did_not_attend_needs_no_duration() {
        let mut d = draft();
        d.duration_minutes.clear();
        assert!(d.validate(now(), referred()).is_err());
        d.did_not_attend = true;
        d.present.clear();
        assert_eq!(
            d.validate(now(), referred()).unwrap().summary(),
            "Telephone: did not attend"
        );
    }

    #[test]
    fn the_norm() {
        assert_eq!(
            contacts_against_norm(1),
            ("1 contact (usual range 6–12)".to_string(), "below")
        );
        assert_eq!(contacts_against_norm(8).1, "within");
        assert_eq!(contacts_against_norm(13).1, "above");
    }
}
