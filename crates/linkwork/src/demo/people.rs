//! Made-up people and referrals for the demo: names, streets, languages and needs,
//! drawn from the demo's deterministic generator.

use super::Rng;
use chrono::{Duration, NaiveDate};
use domain::{
    AccessNeed, CarerStatus, Code, ContactMethod, Ethnicity, Need, NhsNumber, PersonDetails,
    Postcode, ReferralDetails, ReferralSource, Sex, Urgency,
};

pub(crate) const GIVEN_F: &[&str] = &[
    "Margaret", "Susan", "Linda", "Patricia", "Aisha", "Grace", "Olivia", "Zofia", "Fatima",
    "Emily", "Joan", "Sarah", "Priya", "Chloe", "Beverley", "Hannah", "Amira", "Lucy", "Irene",
    "Niamh",
];
pub(crate) const GIVEN_M: &[&str] = &[
    "John", "David", "Michael", "Mohammed", "Peter", "Daniel", "Kwame", "Tomasz", "Arjun",
    "George", "Stephen", "Liam", "Raymond", "Imran", "Callum", "Trevor", "Samuel", "Dennis",
    "Oliver", "Hassan",
];
pub(crate) const FAMILY: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Khan", "Wood", "Jackson", "Clarke", "Hussain", "Kowalski", "Begum", "Okafor", "Murphy",
    "Singh", "Ahmed", "Lewis", "Harris", "Martin", "Cooper", "Ward", "Morris", "Hughes", "Edwards",
    "Turner", "Bennett", "Shaw",
];
const STREETS: &[&str] = &[
    "Mill Lane",
    "Station Road",
    "Church Street",
    "Park Avenue",
    "Victoria Terrace",
    "Elm Grove",
    "Canal Side",
    "Orchard Close",
    "High Street",
    "Beech Road",
];
const OUTWARD: &[&str] = &["LS6", "LS7", "LS4", "LS5", "LS16", "LS17"];
const LANGUAGES: &[(&str, bool)] = &[
    ("English", false),
    ("Polish", true),
    ("Urdu", true),
    ("Punjabi", false),
    ("Bengali", true),
    ("Arabic", true),
    ("British Sign Language", true),
];

pub(super) fn person(rng: &mut Rng, i: u32, practices: &[i64], today: NaiveDate) -> PersonDetails {
    let female = rng.chance(0.58);
    let given = if female {
        rng.pick(GIVEN_F)
    } else {
        rng.pick(GIVEN_M)
    };
    let family = rng.pick(FAMILY);
    let age = if rng.chance(0.3) {
        rng.range(65, 92)
    } else {
        rng.range(18, 65)
    };
    let dob = today - Duration::days(age * 365 + rng.range(0, 365));
    let nhs = if rng.chance(0.85) {
        NhsNumber::from_first_nine(999_000_000 + i * 7 + 3)
            .or_else(|| NhsNumber::from_first_nine(999_000_000 + i * 7 + 4))
    } else {
        None
    };
    let postcode = format!(
        "{} {}{}{}",
        rng.pick(OUTWARD),
        rng.range(1, 10),
        (b'A' + rng.range(0, 26) as u8) as char,
        (b'A' + rng.range(0, 26) as u8) as char
    );
    let (language, interpreter) = if rng.chance(0.82) {
        LANGUAGES[0]
    } else {
        *rng.pick(&LANGUAGES[1..])
    };
    let mut access_needs = Vec::new();
    if rng.chance(0.08) {
        access_needs.push(AccessNeed::LargePrint);
    }
    if rng.chance(0.04) {
        access_needs.push(AccessNeed::EasyRead);
    }
    if rng.chance(0.04) {
        access_needs.push(AccessNeed::StepFreeAccess);
    }
    if language == "British Sign Language" {
        access_needs.push(AccessNeed::BslInterpreter);
    }
    let carer_status = if rng.chance(0.15) {
        CarerStatus::Carer
    } else if rng.chance(0.1) {
        CarerStatus::HasCarer
    } else {
        CarerStatus::NotACarer
    };
    let ethnicity = if rng.chance(0.7) {
        Ethnicity::WhiteBritish
    } else {
        *rng.pick(Ethnicity::ALL)
    };
    PersonDetails {
        given_name: given.to_string(),
        family_name: family.to_string(),
        date_of_birth: dob,
        nhs_number: nhs,
        sex: if female { Sex::Female } else { Sex::Male },
        gender_identity: String::new(),
        ethnicity: Some(ethnicity),
        language: language.to_string(),
        interpreter_needed: interpreter,
        access_needs,
        access_notes: String::new(),
        carer_status,
        carer_details: if carer_status == CarerStatus::HasCarer {
            "Daughter, telephone 07700 900999".into()
        } else {
            String::new()
        },
        practice_id: Some(*rng.pick(practices)),
        address: format!("{} {}", rng.range(1, 120), rng.pick(STREETS)),
        postcode: Postcode::parse(&postcode).ok(),
        phone: format!("07700 900{:03}", rng.range(0, 1000)),
        email: if rng.chance(0.4) {
            format!(
                "{}.{}{}@example.com",
                given.to_lowercase(),
                family.to_lowercase(),
                i
            )
        } else {
            String::new()
        },
        preferred_contact: Some(if rng.chance(0.7) {
            ContactMethod::Phone
        } else {
            *rng.pick(ContactMethod::ALL)
        }),
        voicemail_ok: Some(!i.is_multiple_of(5)),
        texts_ok: Some(!i.is_multiple_of(3)),
    }
}

pub(super) fn referral(rng: &mut Rng, referrer: &str) -> ReferralDetails {
    let source = if rng.chance(0.45) {
        ReferralSource::Gp
    } else {
        *rng.pick(ReferralSource::ALL)
    };
    let mut needs = vec![*rng.pick(Need::ALL)];
    for _ in 0..rng.range(0, 3) {
        let n = *rng.pick(Need::ALL);
        if !needs.contains(&n) {
            needs.push(n);
        }
    }
    let self_ref = source == ReferralSource::SelfReferral;
    ReferralDetails {
        source,
        referrer_name: if self_ref {
            String::new()
        } else if source == ReferralSource::Gp {
            referrer.into()
        } else {
            format!("{} referrer", source.label())
        },
        referrer_role: if self_ref {
            String::new()
        } else {
            source.label().into()
        },
        referrer_organisation: if self_ref {
            String::new()
        } else {
            "Riverside".into()
        },
        referrer_contact: if self_ref {
            String::new()
        } else {
            format!("0113 496 0{:03}", rng.range(0, 1000))
        },
        reason: format!(
            "Would benefit from support with {}.",
            needs
                .iter()
                .map(|n| n.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        needs,
        urgency: if rng.chance(0.1) {
            Urgency::Urgent
        } else if rng.chance(0.2) {
            Urgency::Soon
        } else {
            Urgency::Routine
        },
        reference: None,
        source_identifier: None,
    }
}
