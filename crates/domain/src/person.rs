//! A person referred to social prescribing: demographics per the PRSB standard and the
//! Accessible Information Standard. `PersonDraft` is what a form or API sends;
//! `PersonDetails` is the validated record.

use crate::codes::join_codes;
use crate::{Code, FieldErrors, NhsNumber, Postcode};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

code_enum!(Sex {
    Female => ("female", "Female"),
    Male => ("male", "Male"),
    Other => ("other", "Other"),
    Unknown => ("unknown", "Not known"),
});

code_enum!(
    /// NHS ethnic categories (Data Dictionary ETHNIC CATEGORY, 2001 census codes).
    Ethnicity {
        WhiteBritish => ("A", "White: British"),
        WhiteIrish => ("B", "White: Irish"),
        WhiteOther => ("C", "White: any other White background"),
        MixedWhiteBlackCaribbean => ("D", "Mixed: White and Black Caribbean"),
        MixedWhiteBlackAfrican => ("E", "Mixed: White and Black African"),
        MixedWhiteAsian => ("F", "Mixed: White and Asian"),
        MixedOther => ("G", "Mixed: any other mixed background"),
        Indian => ("H", "Asian or Asian British: Indian"),
        Pakistani => ("J", "Asian or Asian British: Pakistani"),
        Bangladeshi => ("K", "Asian or Asian British: Bangladeshi"),
        AsianOther => ("L", "Asian or Asian British: any other Asian background"),
        Caribbean => ("M", "Black or Black British: Caribbean"),
        African => ("N", "Black or Black British: African"),
        BlackOther => ("P", "Black or Black British: any other Black background"),
        Chinese => ("R", "Other ethnic groups: Chinese"),
        OtherGroup => ("S", "Other ethnic groups: any other ethnic group"),
        NotStated => ("Z", "Not stated"),
    }
);

code_enum!(CarerStatus {
    NotACarer => ("not_a_carer", "Not a carer"),
    Carer => ("carer", "Is a carer"),
    YoungCarer => ("young_carer", "Is a young carer"),
    HasCarer => ("has_carer", "Has a carer"),
    Unknown => ("unknown", "Not known"),
});

code_enum!(ContactMethod {
    Phone => ("phone", "Telephone"),
    Text => ("text", "Text message"),
    Email => ("email", "Email"),
    Letter => ("letter", "Letter"),
});

code_enum!(
    /// Accessible Information Standard communication and access needs.
    AccessNeed {
        LargePrint => ("large_print", "Large print"),
        EasyRead => ("easy_read", "Easy read"),
        Braille => ("braille", "Braille"),
        BslInterpreter => ("bsl", "British Sign Language interpreter"),
        HearingLoop => ("hearing_loop", "Hearing loop"),
        StepFreeAccess => ("step_free", "Step-free access"),
        Advocate => ("advocate", "Needs an advocate"),
        NoPhone => ("no_phone", "Cannot use the telephone"),
    }
);

/// What a form or an API call sends for a person: every field as text, unvalidated.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonDraft {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: String,
    pub nhs_number: String,
    pub sex: String,
    pub gender_identity: String,
    pub ethnicity: String,
    pub language: String,
    pub interpreter_needed: bool,
    pub access_needs: Vec<String>,
    pub access_notes: String,
    pub carer_status: String,
    pub carer_details: String,
    pub practice_id: Option<i64>,
    pub address: String,
    pub postcode: String,
    pub phone: String,
    pub email: String,
    pub preferred_contact: String,
    /// "yes", "no" or "" (not asked).
    pub voicemail_ok: String,
    /// "yes", "no" or "" (not asked).
    pub texts_ok: String,
}

/// A person's validated demographics.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonDetails {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub nhs_number: Option<NhsNumber>,
    pub sex: Sex,
    pub gender_identity: String,
    pub ethnicity: Option<Ethnicity>,
    pub language: String,
    pub interpreter_needed: bool,
    pub access_needs: Vec<AccessNeed>,
    pub access_notes: String,
    pub carer_status: CarerStatus,
    pub carer_details: String,
    pub practice_id: Option<i64>,
    pub address: String,
    pub postcode: Option<Postcode>,
    pub phone: String,
    pub email: String,
    pub preferred_contact: Option<ContactMethod>,
    /// Whether it is safe to leave them a voicemail (`None`: not asked).
    pub voicemail_ok: Option<bool>,
    /// Whether they agree to texts (`None`: not asked).
    pub texts_ok: Option<bool>,
}

/// Longest free-text field we accept, in characters.
pub const MAX_TEXT: usize = 2000;
const MAX_NAME: usize = 100;

/// A yes/no answer that may be left unanswered.
fn yes_no(e: &mut FieldErrors, field: &'static str, value: &str) -> Option<bool> {
    match value.trim() {
        "" => None,
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            e.add(field, "Choose yes or no");
            None
        }
    }
}

/// The form value of a yes/no answer that may be left unanswered.
pub fn yes_no_code(v: Option<bool>) -> &'static str {
    match v {
        None => "",
        Some(true) => "yes",
        Some(false) => "no",
    }
}

pub(crate) fn check_text(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    let v = value.trim();
    if v.chars().count() > max {
        errors.add(field, format!("{label} must be {max} characters or fewer"));
    } else if v
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(
            field,
            format!("{label} contains characters that cannot be stored"),
        );
    }
    v.to_string()
}

/// Parses a date of birth given as YYYY-MM-DD or DD/MM/YYYY.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

impl PersonDraft {
    /// Validates every field, collecting all errors so the form can show them together.
    pub fn validate(&self, today: NaiveDate) -> Result<PersonDetails, FieldErrors> {
        let mut e = FieldErrors::default();
        let given_name = check_text(
            &mut e,
            "given_name",
            "Given name",
            &self.given_name,
            MAX_NAME,
        );
        if given_name.is_empty() && e.get("given_name").is_none() {
            e.add("given_name", "Enter the person's given name");
        }
        let family_name = check_text(
            &mut e,
            "family_name",
            "Family name",
            &self.family_name,
            MAX_NAME,
        );
        if family_name.is_empty() && e.get("family_name").is_none() {
            e.add("family_name", "Enter the person's family name");
        }
        let date_of_birth = match parse_date(&self.date_of_birth) {
            None if self.date_of_birth.trim().is_empty() => {
                e.add("date_of_birth", "Enter the person's date of birth");
                None
            }
            None => {
                e.add(
                    "date_of_birth",
                    "Date of birth must be a real date, like 1958-03-27",
                );
                None
            }
            Some(d) if d > today => {
                e.add("date_of_birth", "Date of birth must be in the past");
                None
            }
            Some(d) if today.years_since(d).unwrap_or(0) > 120 => {
                e.add(
                    "date_of_birth",
                    "Date of birth must be within the last 120 years",
                );
                None
            }
            Some(d) => Some(d),
        };
        let nhs_number = if self.nhs_number.trim().is_empty() {
            None
        } else {
            match NhsNumber::parse(&self.nhs_number) {
                Ok(n) => Some(n),
                Err(err) => {
                    e.add("nhs_number", err.to_string());
                    None
                }
            }
        };
        let sex = optional_code(&mut e, "sex", "sex", &self.sex).unwrap_or(Sex::Unknown);
        let gender_identity = check_text(
            &mut e,
            "gender_identity",
            "Gender",
            &self.gender_identity,
            MAX_NAME,
        );
        let ethnicity = optional_code(&mut e, "ethnicity", "ethnic category", &self.ethnicity);
        let language = check_text(
            &mut e,
            "language",
            "Preferred language",
            &self.language,
            MAX_NAME,
        );
        let mut access_needs = Vec::new();
        for code in &self.access_needs {
            match AccessNeed::from_code(code) {
                Some(n) if !access_needs.contains(&n) => access_needs.push(n),
                Some(_) => {}
                None => e.add(
                    "access_needs",
                    format!("'{code}' is not a known communication need"),
                ),
            }
        }
        let access_notes = check_text(
            &mut e,
            "access_notes",
            "Other communication needs",
            &self.access_notes,
            MAX_TEXT,
        );
        let carer_status =
            optional_code(&mut e, "carer_status", "carer status", &self.carer_status)
                .unwrap_or(CarerStatus::Unknown);
        let carer_details = check_text(
            &mut e,
            "carer_details",
            "Carer or next of kin",
            &self.carer_details,
            MAX_TEXT,
        );
        let address = check_text(&mut e, "address", "Address", &self.address, 500);
        let postcode = if self.postcode.trim().is_empty() {
            None
        } else {
            match Postcode::parse(&self.postcode) {
                Ok(p) => Some(p),
                Err(msg) => {
                    e.add("postcode", msg);
                    None
                }
            }
        };
        let phone = check_text(&mut e, "phone", "Telephone", &self.phone, 40);
        if !phone.is_empty()
            && !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'))
        {
            e.add(
                "phone",
                "Telephone must contain only digits, spaces and + ( ) -, like 0113 496 0000",
            );
        } else if !phone.is_empty() && !dialable(&phone) {
            e.add(
                "phone",
                "Enter a whole telephone number with its area code, like 01632 960 001, 07700 900 982 or +44 808 157 0192",
            );
        }
        let email = check_text(&mut e, "email", "Email", &self.email, 254);
        if !email.is_empty() && !looks_like_email(&email) {
            e.add(
                "email",
                "Enter an email address in the correct format, like name@example.com",
            );
        }
        let preferred_contact = optional_code(
            &mut e,
            "preferred_contact",
            "contact method",
            &self.preferred_contact,
        );
        match preferred_contact {
            Some(ContactMethod::Phone | ContactMethod::Text) if phone.is_empty() => {
                e.add(
                    "phone",
                    "Enter a telephone number, or choose another way to contact the person",
                );
            }
            Some(ContactMethod::Email) if email.is_empty() => {
                e.add(
                    "email",
                    "Enter an email address, or choose another way to contact the person",
                );
            }
            Some(ContactMethod::Letter) if address.is_empty() => {
                e.add(
                    "address",
                    "Enter an address, or choose another way to contact the person",
                );
            }
            _ => {}
        }
        let voicemail_ok = yes_no(&mut e, "voicemail_ok", &self.voicemail_ok);
        let texts_ok = yes_no(&mut e, "texts_ok", &self.texts_ok);
        match date_of_birth {
            Some(date_of_birth) if e.is_empty() => Ok(PersonDetails {
                given_name,
                family_name,
                date_of_birth,
                nhs_number,
                sex,
                gender_identity,
                ethnicity,
                language,
                interpreter_needed: self.interpreter_needed,
                access_needs,
                access_notes,
                carer_status,
                carer_details,
                practice_id: self.practice_id,
                address,
                postcode,
                phone,
                email,
                preferred_contact,
                voicemail_ok,
                texts_ok,
            }),
            _ => Err(e),
        }
    }
}

impl PersonDetails {
    /// The draft that would produce these details (to fill an edit form).
    pub fn to_draft(&self) -> PersonDraft {
        PersonDraft {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            date_of_birth: self.date_of_birth.format("%Y-%m-%d").to_string(),
            nhs_number: self
                .nhs_number
                .as_ref()
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            sex: self.sex.code().into(),
            gender_identity: self.gender_identity.clone(),
            ethnicity: self
                .ethnicity
                .map(|e| e.code().to_string())
                .unwrap_or_default(),
            language: self.language.clone(),
            interpreter_needed: self.interpreter_needed,
            access_needs: self
                .access_needs
                .iter()
                .map(|a| a.code().to_string())
                .collect(),
            access_notes: self.access_notes.clone(),
            carer_status: self.carer_status.code().into(),
            carer_details: self.carer_details.clone(),
            practice_id: self.practice_id,
            address: self.address.clone(),
            postcode: self
                .postcode
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            preferred_contact: self
                .preferred_contact
                .map(|c| c.code().to_string())
                .unwrap_or_default(),
            voicemail_ok: yes_no_code(self.voicemail_ok).into(),
            texts_ok: yes_no_code(self.texts_ok).into(),
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }

    /// Age in whole years on a day.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        day.years_since(self.date_of_birth).unwrap_or(0)
    }

    pub fn access_needs_codes(&self) -> String {
        join_codes(&self.access_needs)
    }
}

fn optional_code<T: Code>(
    e: &mut FieldErrors,
    field: &'static str,
    what: &str,
    value: &str,
) -> Option<T> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let found = T::from_code(v);
    if found.is_none() {
        e.add(field, format!("Choose a {what} from the list"));
    }
    found
}

/// Whether a telephone number (digits, spaces, + ( ) - only) has as many digits as one that
/// can be rung or texted: a UK number of 10 or 11 digits starting 0, or an international one
/// of 8 to 15 digits after + (or 00). "077" or a number without its area code is not.
fn dialable(phone: &str) -> bool {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    if phone.trim_start().starts_with('+') {
        (8..=15).contains(&n)
    } else if let Some(rest) = digits.strip_prefix("00") {
        (8..=15).contains(&rest.len())
    } else {
        digits.starts_with('0') && (10..=11).contains(&n)
    }
}

pub fn looks_like_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    let (Some(local), Some(domain)) = (parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && !domain.contains('@')
        // Nothing an address header would read as something else ("a@x.com>.gov.uk").
        && !local.chars().any(|c| "<>()[],;:\\\"".contains(c) || c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
}

/// A name for comparing: lower case, letters only ("O'Neill-Smith" → "oneillsmith").
fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edit distance, capped: whether two names differ by at most one letter added, dropped,
/// changed or two swapped ("Jon"/"John", "Smyth"/"Smith", "Hlida"/"Hilda").
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return true;
    }
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[start..], &b[start..]);
    match (ra.len(), rb.len()) {
        (x, y) if x == y => {
            ra[1..] == rb[1..] || (x >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        (x, y) if x > y => ra[1..] == *rb,
        _ => *ra == rb[1..],
    }
}

/// Whether two names are probably the same as typed by different people: the same letters,
/// one letter apart (names of 4 letters or more), one part of a double-barrelled name, or an
/// initial for the given name.
fn similar_name(a: &str, b: &str, initial_ok: bool) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    a == b
        || (short.len() >= 4 && one_edit_apart(&a, &b))
        || (short.len() >= 3 && long.starts_with(short.as_str()))
        || (short.len() >= 4 && long.ends_with(short.as_str()))
        || (initial_ok && short.len() == 1 && long.starts_with(short.as_str()))
}

/// Why an existing record is probably the same person as new details, if it is: the same
/// NHS number; or (unless both have NHS numbers, and they differ) the same date of birth with a similar name; or the same date of birth and
/// postcode with a similar family or given name. Used on every way a person enters, to show
/// likely duplicates before another record is made.
pub fn likely_same(new: &PersonDetails, old: &PersonDetails) -> Option<&'static str> {
    match (&new.nhs_number, &old.nhs_number) {
        (Some(a), Some(b)) if a == b => return Some("same NHS number"),
        // Two NHS numbers that differ are two people (twins share the rest).
        (Some(_), Some(_)) => return None,
        _ => {}
    }
    if new.date_of_birth != old.date_of_birth {
        return None;
    }
    let family = similar_name(&new.family_name, &old.family_name, false);
    let given = similar_name(&new.given_name, &old.given_name, true);
    if family && given {
        return Some("similar name, same date of birth");
    }
    let postcode = new.postcode.is_some() && new.postcode == old.postcode;
    if postcode && (family || given) {
        return Some("same date of birth and postcode, similar name");
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_whole_telephone_numbers_are_taken() {
        for ok in [
            "01632 960001",
            "07700 900982",
            "(01632) 960-001",
            "0113 496 0000",
            "+44 808 157 0192",
            "+353 1 234 5678",
            "0044 7700 900982",
        ] {
            assert!(super::dialable(ok), "{ok}");
        }
        for wrong in [
            "077",
            "960001",
            "7700 900982",
            "+44",
            "01632 960 001 000",
            "0044 12",
        ] {
            assert!(!super::dialable(wrong), "{wrong}");
        }
    }

    #[test]
    fn likely_duplicates_are_found_by_tolerant_names() {
        use super::{likely_same, PersonDetails};
        let d = |given: &str, family: &str, dob: &str, postcode: &str| PersonDetails {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: chrono::NaiveDate::parse_from_str(dob, "%Y-%m-%d").unwrap(),
            postcode: crate::postcode::Postcode::parse(postcode).ok(),
            nhs_number: None,
            sex: super::Sex::Unknown,
            gender_identity: String::new(),
            ethnicity: None,
            language: String::new(),
            interpreter_needed: false,
            access_needs: vec![],
            access_notes: String::new(),
            carer_status: super::CarerStatus::NotACarer,
            carer_details: String::new(),
            practice_id: None,
            address: String::new(),
            phone: String::new(),
            email: String::new(),
            preferred_contact: None,
            voicemail_ok: None,
            texts_ok: None,
        };
        let old = d("Hilda", "O'Neill-Smith", "1951-06-14", "LS6 2AB");
        for (new, why) in [
            (
                d("hilda", "ONEILL-SMITH", "1951-06-14", ""),
                "case and punctuation",
            ),
            (
                d("Hlida", "O'Neill Smith", "1951-06-14", ""),
                "letters swapped",
            ),
            (
                d("H", "Smith", "1951-06-14", ""),
                "initial, one part of the name",
            ),
            (
                d("Hilda", "Oneil-Smith", "1951-06-14", ""),
                "a letter missing from the family name",
            ),
            (
                d("Hilda", "Smith", "1951-06-14", ""),
                "one part of a double-barrelled name",
            ),
            (
                d("Margaret", "O'Neill-Smith", "1951-06-14", "LS62AB"),
                "same postcode",
            ),
        ] {
            assert!(likely_same(&new, &old).is_some(), "{why}");
        }
        for (new, why) in [
            (
                d("Hilda", "O'Neill-Smith", "1951-06-15", "LS6 2AB"),
                "another birthday",
            ),
            (
                d("Margaret", "Jones", "1951-06-14", "LS6 2AB"),
                "nothing in common but the day and place",
            ),
            (
                d("Margaret", "O'Neill-Smith", "1951-06-14", ""),
                "a relative born the same day, elsewhere",
            ),
        ] {
            assert!(likely_same(&new, &old).is_none(), "{why}");
        }
    }

    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn draft() -> PersonDraft {
        PersonDraft {
            given_name: "Ada".into(),
            family_name: "Testperson".into(),
            date_of_birth: "1950-04-02".into(),
            ..Default::default()
        }
    }

    #[test]
    fn minimal_person_is_valid() {
        let p = draft().validate(today()).unwrap();
        assert_eq!(p.full_name(), "Ada Testperson");
        assert_eq!(p.age_on(today()), 76);
        assert_eq!(p.sex, Sex::Unknown);
    }

    #[test]
    fn every_error_is_reported_against_its_field() {
        let d = PersonDraft {
            nhs_number: "4123456879".into(),
            postcode: "NOT A POSTCODE".into(),
            date_of_birth: "31/02/1970".into(),
            email: "nobody".into(),
            ..Default::default()
        };
        let e = d.validate(today()).unwrap_err();
        for field in [
            "given_name",
            "family_name",
            "date_of_birth",
            "nhs_number",
            "postcode",
            "email",
        ] {
            assert!(e.get(field).is_some(), "expected an error for {field}: {e}");
        }
        assert!(e
            .get("nhs_number")
            .unwrap()
            .contains("not a valid NHS number"));
    }

    #[test]
    fn future_birth_dates_and_unknown_codes_are_refused() {
        let mut d = draft();
        d.date_of_birth = "2030-01-01".into();
        d.ethnicity = "Q".into();
        let e = d.validate(today()).unwrap_err();
        assert!(e.get("date_of_birth").is_some());
        assert!(e.get("ethnicity").is_some());
    }

    #[test]
    fn preferred_contact_needs_the_detail() {
        let mut d = draft();
        d.preferred_contact = "phone".into();
        assert!(d.validate(today()).unwrap_err().get("phone").is_some());
        d.phone = "0113 496 0000".into();
        assert!(d.validate(today()).is_ok());
    }

    #[test]
    fn round_trip_through_draft() {
        let mut d = draft();
        d.nhs_number = "943 476 5919".into();
        d.postcode = "ls1 4ap".into();
        d.access_needs = vec!["large_print".into()];
        let p = d.validate(today()).unwrap();
        assert_eq!(p.to_draft().validate(today()).unwrap(), p);
    }

    #[test]
    fn control_characters_are_refused() {
        let mut d = draft();
        d.given_name = "A\u{0}da".into();
        assert!(d.validate(today()).unwrap_err().get("given_name").is_some());
    }
}
