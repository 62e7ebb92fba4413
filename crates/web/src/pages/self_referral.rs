//! The person's own door: refer yourself to a link worker, without an account.
//!
//! Public pages in plain English: a start page with what to do in a crisis, finding your
//! GP practice (by name or postcode, across every PCN of the deployment: the practice
//! decides which PCN receives it), then one form. It lands in that PCN's triage as a
//! self-referral, through the same duplicate check as any referral, and the person gets a
//! reference. The answer is the same whatever was typed (no account or record is ever
//! named), a hidden field catches form-filling robots, and each network address may send
//! only a few an hour.

use super::referrals::match_existing;
use crate::auth;
use crate::form::FormData;
use crate::views::{self, error_items, ErrorItem, Field, Opt, PageCtx, Section};
use crate::{AppError, AppState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use domain::{Code, ContactMethod, FieldErrors, Need, PersonDraft, ReferralSource, Urgency};
use std::time::Duration;
use storage::{Actor, PersonRef, Practice};

/// The needs a person may recognise, in their words rather than the service's.
const NEEDS: [(Need, &str); 15] = [
    (Need::Loneliness, "Feeling lonely or cut off from people"),
    (Need::MentalHealth, "Feeling low, worried or stressed"),
    (
        Need::LongTermConditions,
        "Living with a long-term health condition",
    ),
    (Need::Financial, "Money worries, debt or benefits"),
    (Need::Housing, "Problems with where I live"),
    (Need::Carer, "Looking after someone"),
    (Need::Bereavement, "Someone close to me has died"),
    (Need::PhysicalActivity, "Wanting to be more active"),
    (Need::HealthyEating, "Eating well or my weight"),
    (Need::Employment, "Finding work, training or volunteering"),
    (
        Need::DigitalInclusion,
        "Using a phone, computer or the internet",
    ),
    (Need::Transport, "Getting out and about"),
    (Need::Relationships, "Family or friends"),
    (Need::SubstanceUse, "Alcohol or drugs"),
    (
        Need::DomesticAbuse,
        "Someone is hurting, scaring or controlling me",
    ),
];

/// Longest "in your own words" answer.
const MAX_STORY: usize = 2000;

/// Who is at the door: the person themselves, or someone referring them as part of their
/// work (police, housing, a fire service, a job centre …) who has no Linkwork account.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Door {
    Own,
    Agency,
}

impl Door {
    pub(crate) fn from_code(s: &str) -> Self {
        if s == "agency" {
            Door::Agency
        } else {
            Door::Own
        }
    }
    pub(crate) fn code(self) -> &'static str {
        match self {
            Door::Own => "",
            Door::Agency => "agency",
        }
    }
    /// "your" or "their".
    fn your(self) -> &'static str {
        match self {
            Door::Own => "your",
            Door::Agency => "their",
        }
    }
    /// "you" or "them".
    fn you(self) -> &'static str {
        match self {
            Door::Own => "you",
            Door::Agency => "them",
        }
    }
}

/// The kinds of organisation that refer without an account.
const AGENCIES: [ReferralSource; 10] = [
    ReferralSource::Police,
    ReferralSource::FireService,
    ReferralSource::Housing,
    ReferralSource::JobCentre,
    ReferralSource::SocialCare,
    ReferralSource::HospitalDischarge,
    ReferralSource::CommunityPharmacy,
    ReferralSource::Vcse,
    ReferralSource::PracticeStaff,
    ReferralSource::Other,
];

#[derive(Template)]
#[template(path = "self_referral_start.html")]
struct StartPage {
    ctx: PageCtx,
}

pub async fn start() -> Result<Response, AppError> {
    Ok(views::ok(&StartPage {
        ctx: PageCtx::new(None, "Refer yourself to a link worker", "/self-referral"),
    }))
}

#[derive(Template)]
#[template(path = "self_referral_practice.html")]
struct PracticePage {
    ctx: PageCtx,
    q: String,
    /// "agency" when someone refers as part of their work.
    who: String,
    searched: bool,
    /// (id, name, postcode)
    found: Vec<(i64, String, String)>,
}

#[derive(serde::Deserialize, Default)]
pub struct PracticeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    who: String,
}

/// Whether a practice answers what was typed: words of its name, or its postcode (the
/// whole postcode, or its first half).
fn practice_fits(p: &Practice, q: &str) -> bool {
    let squash = |s: &str| {
        s.to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
    };
    let want = squash(q);
    if want.is_empty() {
        return false;
    }
    if let Some(pc) = &p.postcode {
        let pc = squash(pc);
        let outward = pc.get(..pc.len().saturating_sub(3)).unwrap_or_default();
        if pc == want || (!outward.is_empty() && outward == want) {
            return true;
        }
    }
    let name = p.name.to_lowercase();
    q.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .all(|w| name.contains(w))
}

pub async fn practice(
    State(state): State<AppState>,
    Query(q): Query<PracticeQuery>,
) -> Result<Response, AppError> {
    let text: String = q.q.trim().chars().take(100).collect();
    let all = state.store.list_all_practices().await?;
    // A small deployment lists every practice; a large one only those that fit.
    let found: Vec<&Practice> = if text.is_empty() {
        if all.len() <= 20 {
            all.iter().collect()
        } else {
            vec![]
        }
    } else {
        all.iter()
            .filter(|p| practice_fits(p, &text))
            .take(50)
            .collect()
    };
    let page = PracticePage {
        ctx: PageCtx::new(None, "Find your GP practice", "/self-referral/practice"),
        searched: !text.is_empty(),
        q: text,
        who: Door::from_code(&q.who).code().into(),
        found: found
            .into_iter()
            .map(|p| (p.id, p.name.clone(), p.postcode.clone().unwrap_or_default()))
            .collect(),
    };
    Ok(views::ok(&page))
}

#[derive(Template)]
#[template(path = "self_referral_form.html")]
struct FormPage {
    ctx: PageCtx,
    login_csrf: String,
    errors: Vec<ErrorItem>,
    /// The practice id, or "unsure".
    practice: String,
    who: String,
    agency: bool,
    practice_name: String,
    sections: Vec<Section>,
}

#[derive(serde::Deserialize, Default)]
pub struct FormQuery {
    #[serde(default)]
    practice: String,
    #[serde(default)]
    who: String,
}

/// The practice chosen on the page before: `Some(None)` for "I'm not sure", `None` when
/// none (or no practice there is) was chosen.
pub(crate) async fn chosen_practice(
    state: &AppState,
    value: &str,
) -> Result<Option<Option<Practice>>, AppError> {
    if value == "unsure" {
        return Ok(Some(None));
    }
    let Ok(id) = value.parse::<i64>() else {
        return Ok(None);
    };
    let all = state.store.list_all_practices().await?;
    Ok(all.into_iter().find(|p| p.id == id).map(Some))
}

fn yes_no(name: &'static str, label: &str, hint: &str, value: &str, e: &FieldErrors) -> Field {
    let opts = [("yes", "Yes"), ("no", "No")]
        .into_iter()
        .map(|(v, l)| Opt {
            value: v.into(),
            label: l.into(),
            selected: value == v,
        })
        .collect();
    Field::new("radios", name, label)
        .hint(hint)
        .options(opts)
        .errors(e)
}

fn agency_section(f: &FormData, e: &FieldErrors) -> Section {
    let kinds = std::iter::once(Opt {
        value: String::new(),
        label: "Choose".into(),
        selected: f.get("referrer_source").is_empty(),
    })
    .chain(AGENCIES.iter().map(|a| Opt {
        value: a.code().into(),
        label: a.label().into(),
        selected: f.get("referrer_source") == a.code(),
    }))
    .collect();
    Section {
        folded: false,
        legend: "About you (the referrer)".into(),
        fields: vec![
            Field::new("text", "referrer_name", "Your name")
                .value(f.get("referrer_name"))
                .autocomplete("name")
                .width("20")
                .required()
                .errors(e),
            Field::new("select", "referrer_source", "Kind of organisation")
                .options(kinds)
                .required()
                .errors(e),
            Field::new("text", "referrer_organisation", "Your organisation")
                .value(f.get("referrer_organisation"))
                .autocomplete("organization")
                .width("30")
                .required()
                .errors(e),
            Field::new("text", "referrer_role", "Your role")
                .value(f.get("referrer_role"))
                .autocomplete("organization-title")
                .width("20")
                .errors(e),
            Field::new("email", "referrer_email", "Your work email")
                .hint("We send a link to this address. The referral goes to the link workers when you open it.")
                .value(f.get("referrer_email"))
                .autocomplete("work email")
                .width("30")
                .required()
                .errors(e),
            Field::new("tel", "referrer_phone", "Your work phone")
                .value(f.get("referrer_phone"))
                .autocomplete("work tel")
                .width("20")
                .errors(e),
        ],
    }
}

fn sections(f: &FormData, unsure: bool, door: Door, e: &FieldErrors) -> Vec<Section> {
    let agency = door == Door::Agency;
    let needs: Vec<Opt> = NEEDS
        .iter()
        .map(|(n, label)| Opt {
            value: n.code().into(),
            label: (*label).into(),
            selected: f.all("needs").iter().any(|x| x == n.code()),
        })
        .collect();
    let mut about = vec![
        Field::new("text", "given_name", "First name")
            .value(f.get("given_name"))
            .autocomplete("given-name")
            .width("20")
            .required()
            .errors(e),
        Field::new("text", "family_name", "Last name")
            .value(f.get("family_name"))
            .autocomplete("family-name")
            .width("20")
            .required()
            .errors(e),
        Field::new("date3", "date_of_birth", "Date of birth")
            .hint("For example, 27 3 1958")
            .value(f.date("date_of_birth"))
            .required()
            .errors(e),
        Field::new("text", "nhs_number", "NHS number")
            .hint(if agency { "If you know it. It is 10 numbers, like 943 476 5919." } else { "If you know it. It is 10 numbers, like 943 476 5919. You can find it on the NHS App or a letter from the NHS." })
            .value(f.get("nhs_number"))
            .width("10")
            .numeric()
            .errors(e),
    ];
    if unsure {
        about.push(
            Field::new(
                "text",
                "postcode",
                if agency {
                    "Their postcode"
                } else {
                    "Your postcode"
                },
            )
            .hint(if agency {
                "So we can pass this to the link workers near them"
            } else {
                "So we can pass this to the link workers near you"
            })
            .value(f.get("postcode"))
            .autocomplete("postal-code")
            .width("10")
            .required()
            .errors(e),
        );
    }
    let mut out = vec![];
    if agency {
        out.push(agency_section(f, e));
    }
    out.extend([
        Section {
            folded: false,
            legend: if agency { "About the person you are referring" } else { "About you" }.into(),
            fields: about,
        },
        Section {
            folded: false,
            legend: if agency { "How a link worker can contact them" } else { "How we can contact you" }.into(),
            fields: vec![
                Field::new("tel", "phone", "Phone number")
                    .hint("We need a phone number or an email address, or both")
                    .needed_when("or email")
                    .value(f.get("phone"))
                    .autocomplete("tel")
                    .width("20")
                    .errors(e),
                Field::new("email", "email", "Email address")
                    .needed_when("or phone")
                    .value(f.get("email"))
                    .autocomplete("email")
                    .width("30")
                    .errors(e),
                yes_no(
                    "voicemail_ok",
                    if agency { "Is it safe to leave them a voicemail?" } else { "Is it safe for us to leave you a voicemail?" },
                    "If someone else might hear it, say no",
                    f.get("voicemail_ok"),
                    e,
                ),
                yes_no(
                    "texts_ok",
                    if agency { "Can we send them text messages?" } else { "Can we send you text messages?" },
                    "If someone else might read them, say no",
                    f.get("texts_ok"),
                    e,
                ),
            ],
        },
        Section {
            folded: false,
            legend: if agency { "Why you are referring them" } else { "What is going on for you" }.into(),
            fields: vec![
                Field::new("textarea", "story", if agency { "What is going on for them" } else { "Tell us what is going on, in your own words" })
                    .hint(if agency { "What would help, and anything a link worker should know first, including risks." } else { "What would you like to be different? You can write as much or as little as you like." })
                    .value(f.get("story"))
                    .required()
                    .errors(e),
                Field::new("checkboxes", "needs", "Is it about any of these?")
                    .hint("Tick any that fit. You do not have to tick any.")
                    .options(needs)
                    .errors(e),
            ],
        },
        Section {
            folded: false,
            legend: if agency { "Their agreement" } else { "Your agreement" }.into(),
            fields: vec![
                Field::new("checkbox", "consent_contact", if agency { "They agree to a link worker contacting them" } else { "I agree to a link worker contacting me" })
                    .hint(if agency { "Ask them. Do not send this if they have not agreed." } else { "" })
                    .value(if f.checked("consent_contact") { "yes" } else { "" })
                    .errors(e),
                Field::new("checkbox", "consent_keep", if agency { "They agree to the link worker team keeping these details" } else { "I agree to the link worker team keeping these details" })
                    .hint(if agency { "They are kept safely, used only to help them, and shared with their GP practice" } else { "They are kept safely, used only to help you, and shared with your GP practice" })
                    .value(if f.checked("consent_keep") { "yes" } else { "" })
                    .errors(e),
            ],
        },
    ]);
    out
}

/// The token for a public form: the one this browser already holds, so a second tab (or
/// the sign-in page) does not spoil a form being filled in; else a new one.
pub(crate) fn form_token(headers: &HeaderMap, secure: bool) -> Result<String, AppError> {
    match auth::cookie(headers, auth::login_csrf_cookie(secure)) {
        Some(t) if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) => Ok(t),
        _ => auth::random_token(),
    }
}

async fn render_form(
    state: &AppState,
    (status, headers): (StatusCode, &HeaderMap),
    f: &FormData,
    (practice, door): (Option<&Practice>, Door),
    errors: &FieldErrors,
) -> Result<Response, AppError> {
    let token = form_token(headers, state.config.https())?;
    let title = match (door, errors.is_empty()) {
        (Door::Own, true) => "Your details",
        (Door::Own, false) => "Error: Your details",
        (Door::Agency, true) => "Refer someone",
        (Door::Agency, false) => "Error: Refer someone",
    };
    let page = FormPage {
        ctx: PageCtx::new(None, title, "/self-referral/details"),
        login_csrf: token.clone(),
        errors: error_items(errors),
        practice: practice.map_or("unsure".into(), |p| p.id.to_string()),
        practice_name: practice.map_or(String::new(), |p| p.name.clone()),
        who: door.code().into(),
        agency: door == Door::Agency,
        sections: sections(f, practice.is_none(), door, errors),
    };
    let mut res = views::render(status, &page);
    let secure = state.config.https();
    let c = auth::set_cookie(auth::login_csrf_cookie(secure), &token, secure, Some(3600))?;
    res.headers_mut().append(SET_COOKIE, c);
    Ok(res)
}

pub async fn details(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FormQuery>,
) -> Result<Response, AppError> {
    // Opened without choosing a practice (a bookmark, a shared link): choose one first.
    let door = Door::from_code(&q.who);
    let Some(practice) = chosen_practice(&state, &q.practice).await? else {
        let back = match door {
            Door::Own => "/self-referral/practice",
            Door::Agency => "/self-referral/practice?who=agency",
        };
        return Ok(super::see_other(back));
    };
    render_form(
        &state,
        (StatusCode::OK, &headers),
        &FormData::default(),
        (practice.as_ref(), door),
        &FieldErrors::default(),
    )
    .await
}

#[derive(Template)]
#[template(path = "self_referral_done.html")]
pub(crate) struct DonePage {
    pub ctx: PageCtx,
    pub reference: String,
    /// They gave an email address (they may be contacted by email).
    pub email: bool,
    /// Sent by someone referring as part of their work.
    pub agency: bool,
}

#[derive(Template)]
#[template(path = "self_referral_check_email.html")]
struct CheckEmailPage {
    ctx: PageCtx,
    email: String,
}

#[derive(Template)]
#[template(path = "self_referral_busy.html")]
struct BusyPage {
    ctx: PageCtx,
}

/// A reference a person can read out on the phone: no letters that look like numbers.
pub(crate) fn new_reference() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(e.to_string()))?;
    let s: String = b
        .iter()
        .map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char)
        .collect();
    Ok(format!("SR-{}-{}", &s[..4], &s[4..]))
}

/// Checks the answers; the person's details and the referral, or every problem.
pub(crate) fn validate(
    f: &FormData,
    practice: Option<&Practice>,
    door: Door,
) -> Result<(domain::PersonDetails, domain::ReferralDetails), FieldErrors> {
    let (your, you) = (door.your(), door.you());
    let mut e = FieldErrors::default();
    let referrer = if door == Door::Agency {
        Some(referrer(f, &mut e))
    } else {
        None
    };
    let phone = f.get("phone").trim();
    let email = f.get("email").trim();
    let draft = PersonDraft {
        given_name: f.get("given_name").into(),
        family_name: f.get("family_name").into(),
        date_of_birth: f.date("date_of_birth"),
        nhs_number: f.get("nhs_number").into(),
        practice_id: practice.map(|p| p.id),
        postcode: f.get("postcode").into(),
        phone: phone.into(),
        email: email.into(),
        preferred_contact: if !phone.is_empty() {
            ContactMethod::Phone.code().into()
        } else if !email.is_empty() {
            ContactMethod::Email.code().into()
        } else {
            String::new()
        },
        voicemail_ok: f.get("voicemail_ok").into(),
        texts_ok: f.get("texts_ok").into(),
        ..Default::default()
    };
    // The person's own words for what is missing; other problems keep the checks' words.
    let mut own = |field: &'static str, missing: bool, msg: String| {
        if missing {
            e.add(field, msg);
        }
    };
    own(
        "given_name",
        draft.given_name.trim().is_empty(),
        format!("Enter {your} first name"),
    );
    own(
        "family_name",
        draft.family_name.trim().is_empty(),
        format!("Enter {your} last name"),
    );
    own(
        "date_of_birth",
        draft.date_of_birth.trim().trim_matches('-').is_empty(),
        format!("Enter {your} date of birth"),
    );
    own(
        "postcode",
        practice.is_none() && draft.postcode.trim().is_empty(),
        format!("Enter {your} postcode, or go back and choose {your} GP practice"),
    );
    own(
        "phone",
        phone.is_empty() && email.is_empty(),
        format!("Enter a phone number or an email address so a link worker can contact {you}"),
    );
    own(
        "voicemail_ok",
        !phone.is_empty() && draft.voicemail_ok.is_empty(),
        format!("Say whether it is safe to leave {you} a voicemail"),
    );
    own(
        "texts_ok",
        !phone.is_empty() && draft.texts_ok.is_empty(),
        format!("Say whether we can send {you} text messages"),
    );
    let story = f.get("story").trim();
    own(
        "story",
        story.is_empty(),
        "Tell us a little about what is going on".into(),
    );
    own(
        "story",
        story.chars().count() > MAX_STORY,
        "What is going on must be 2000 characters or fewer".into(),
    );
    let (agree, ours) = match door {
        Door::Own => ("Tick to agree to", "your"),
        Door::Agency => ("Tick if they agree to", "their"),
    };
    own(
        "consent_contact",
        !f.checked("consent_contact"),
        format!("{agree} a link worker contacting {you}, or we cannot help"),
    );
    own(
        "consent_keep",
        !f.checked("consent_keep"),
        format!("{agree} us keeping {ours} details, or we cannot help"),
    );
    let mut needs = vec![];
    for code in f.all("needs") {
        match NEEDS.iter().find(|(n, _)| n.code() == code) {
            Some((n, _)) if !needs.contains(n) => needs.push(*n),
            Some(_) => {}
            None => e.add("needs", "Choose from the list"),
        }
    }
    let person = match draft.validate(domain::uk_time::today()) {
        Ok(p) => Some(p),
        Err(errs) => {
            for x in errs.0 {
                if e.get(&x.field).is_none() {
                    e.0.push(x);
                }
            }
            None
        }
    };
    let (Some(person), true) = (person, e.is_empty()) else {
        return Err(e);
    };
    let mut reason = story.to_string();
    if practice.is_none() {
        reason.push_str("\n\n(They were not sure which GP practice they are with.)");
    }
    let mut referral = domain::ReferralDetails {
        source: ReferralSource::SelfReferral,
        referrer_name: String::new(),
        referrer_role: String::new(),
        referrer_organisation: String::new(),
        referrer_contact: String::new(),
        needs,
        reason,
        urgency: Urgency::Routine,
        reference: None,
        source_identifier: None,
    };
    if let Some(Some(r)) = referrer {
        referral.source = r.source;
        referral.referrer_name = r.name;
        referral.referrer_role = r.role;
        referral.referrer_organisation = r.organisation;
        // Email first: the message back goes to it.
        referral.referrer_contact = if r.phone.is_empty() {
            r.email
        } else {
            format!("{} ({})", r.email, r.phone)
        };
    }
    Ok((person, referral))
}

/// Someone referring as part of their work.
struct Referrer {
    source: ReferralSource,
    name: String,
    organisation: String,
    role: String,
    email: String,
    phone: String,
}

/// The referrer's answers, or `None` with the problems added.
fn referrer(f: &FormData, e: &mut FieldErrors) -> Option<Referrer> {
    let text = |e: &mut FieldErrors, name: &'static str, label: &str, max: usize| -> String {
        let v = f.get(name).trim().to_string();
        if v.chars().count() > max {
            e.add(name, format!("{label} must be {max} characters or fewer"));
        } else if v.chars().any(char::is_control) {
            e.add(
                name,
                format!("{label} contains characters that cannot be stored"),
            );
        }
        v
    };
    let before = e.0.len();
    let name = text(e, "referrer_name", "Your name", 100);
    if name.is_empty() {
        e.add("referrer_name", "Enter your name");
    }
    let source = AGENCIES
        .iter()
        .copied()
        .find(|a| a.code() == f.get("referrer_source"));
    if source.is_none() {
        e.add(
            "referrer_source",
            "Choose the kind of organisation you work for",
        );
    }
    let organisation = text(e, "referrer_organisation", "Your organisation", 200);
    if organisation.is_empty() {
        e.add(
            "referrer_organisation",
            "Enter the name of your organisation",
        );
    }
    let role = text(e, "referrer_role", "Your role", 100);
    let email = text(e, "referrer_email", "Your work email", 254).to_lowercase();
    if email.is_empty() {
        e.add("referrer_email", "Enter your work email address");
    } else if !domain::person::looks_like_email(&email) {
        e.add(
            "referrer_email",
            "Enter an email address in the correct format, like name@example.nhs.uk",
        );
    }
    let phone = text(e, "referrer_phone", "Your work phone", 40);
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'))
    {
        e.add(
            "referrer_phone",
            "Phone must contain only digits, spaces and + ( ) -, like 0113 496 0000",
        );
    }
    (e.0.len() == before).then(|| Referrer {
        source: source.unwrap_or(ReferralSource::Other),
        name,
        organisation,
        role,
        email,
        phone,
    })
}

/// The PCN a referral from someone unsure of their practice goes to: the one with the most
/// practices in their postcode district, then in their postcode area, else the first PCN.
pub(crate) async fn pcn_for_postcode(
    state: &AppState,
    postcode: Option<&domain::Postcode>,
) -> Result<i64, AppError> {
    let practices = state.store.list_all_practices().await?;
    let pcns = state.store.list_pcns().await?;
    if let Some(pc) = postcode {
        let outward = pc.outward().to_string();
        let area = |s: &str| -> String { s.chars().take_while(|c| c.is_alphabetic()).collect() };
        let district = |p: &str| p.split_whitespace().next() == Some(outward.as_str());
        let same_area = |p: &str| area(p) == area(&outward);
        for pass in 0..2 {
            let mut count: std::collections::BTreeMap<i64, usize> = Default::default();
            for p in &practices {
                let here = p.postcode.as_deref().is_some_and(|x| {
                    let x = x.to_uppercase();
                    if pass == 0 {
                        district(&x)
                    } else {
                        same_area(&x)
                    }
                });
                if here {
                    *count.entry(p.pcn_id).or_default() += 1;
                }
            }
            // The most practices; of equals, the PCN made first.
            if let Some((pcn, _)) = count.into_iter().max_by_key(|(id, n)| (*n, -id)) {
                return Ok(pcn);
            }
        }
    }
    pcns.iter()
        .map(|p| p.id)
        .min()
        .ok_or_else(|| AppError::Internal("no PCN to receive self-referrals".into()))
}

/// A public form's body, refused when it holds a NUL or lacks the token its page gave
/// (the double-submit cookie the sign-in page uses too).
pub(crate) fn public_form(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
) -> Result<FormData, AppError> {
    let form = FormData::parse(body);
    if form.has_nul() {
        return Err(AppError::BadRequest(crate::form::NUL_REFUSED.into()));
    }
    let expected = auth::cookie(
        &parts.headers,
        auth::login_csrf_cookie(state.config.https()),
    )
    .unwrap_or_default();
    if expected.is_empty()
        || !auth::constant_time_eq(expected.as_bytes(), form.get("_csrf").as_bytes())
    {
        return Err(AppError::Csrf);
    }
    Ok(form)
}

pub async fn submit(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Result<Response, AppError> {
    let form = public_form(&state, &parts, &body)?;
    let practice = chosen_practice(&state, form.get("practice"))
        .await?
        .ok_or_else(|| AppError::BadRequest("Choose your GP practice first".into()))?;
    let ip = auth::client_ip(&parts, &state.config);
    let address = format!(
        "self-referral|{}",
        ip.clone().unwrap_or_else(|| "unknown".into())
    );
    let hour = Duration::from_secs(3600);
    if state
        .throttle
        .blocked(&address, state.config.self_referrals_per_address, hour)
        .await?
    {
        let page = BusyPage {
            ctx: PageCtx::new(None, "Please try again later", "/self-referral"),
        };
        return Ok(views::render(StatusCode::TOO_MANY_REQUESTS, &page));
    }
    let door = Door::from_code(form.get("who"));
    let email = !form.get("email").trim().is_empty();
    // A robot fills in every field, including the one people cannot see: it is told the
    // same as a person, and nothing is kept.
    if !form.get("website").is_empty() {
        tracing::warn!(address = %address, "self-referral honeypot filled: nothing saved");
        state.throttle.fail(&address, hour).await?;
        return Ok(match door {
            Door::Own => views::ok(&DonePage {
                ctx: PageCtx::new(None, "Thank you: we have your details", "/self-referral"),
                reference: new_reference()?,
                email,
                agency: false,
            }),
            Door::Agency => views::ok(&CheckEmailPage {
                ctx: PageCtx::new(None, "Check your email", "/self-referral"),
                email: form.get("referrer_email").trim().to_lowercase(),
            }),
        });
    }
    let (st, fm, pr, hd) = (&state, &form, practice.as_ref(), &parts.headers);
    let invalid = move |errors: FieldErrors| async move {
        render_form(
            st,
            (StatusCode::UNPROCESSABLE_ENTITY, hd),
            fm,
            (pr, door),
            &errors,
        )
        .await
    };
    let (person, mut referral) = match validate(&form, practice.as_ref(), door) {
        Ok(x) => x,
        Err(errors) => return invalid(errors).await,
    };
    let pcn = match &practice {
        Some(p) => p.pcn_id,
        None => pcn_for_postcode(&state, person.postcode.as_ref()).await?,
    };
    // Counted as it is checked (requests sent all at once cannot all pass), and only once
    // the answers are right: someone correcting a typo is not turned away.
    let busy = || {
        let page = BusyPage {
            ctx: PageCtx::new(None, "Please try again later", "/self-referral"),
        };
        views::render(StatusCode::TOO_MANY_REQUESTS, &page)
    };
    if door == Door::Agency {
        let referrer_email = form.get("referrer_email").trim().to_lowercase();
        if let Some(errors) = agency_refused(&state, pcn, &referrer_email).await? {
            return invalid(errors).await;
        }
        if !state
            .throttle
            .take(&address, state.config.self_referrals_per_address, hour)
            .await?
        {
            return Ok(busy());
        }
        let reference = new_reference()?;
        let sent = super::agency_referral::ask_to_confirm(
            &state,
            pcn,
            &form,
            &referrer_email,
            reference.clone(),
        )
        .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "agency referral: confirmation email not sent");
            let mut errors = FieldErrors::default();
            errors.add(
                "referrer_email",
                "We could not send the email to confirm this referral. Check the address, or try again later",
            );
            return invalid(errors).await;
        }
        // Who asked, from where: on the receiving PCN's log before anything is confirmed.
        state
            .store
            .append_audit(
                &storage::AuditEntry::new(
                    &Actor {
                        user_id: None,
                        label: format!("agency referral {reference}"),
                        ip: ip.clone(),
                    },
                    "referral.pending",
                    "referral",
                    None,
                    Some(pcn),
                )
                .detail(format!(
                    "waiting for {referrer_email} to confirm their work email"
                )),
            )
            .await?;
        return Ok(views::ok(&CheckEmailPage {
            ctx: PageCtx::new(None, "Check your email", "/self-referral"),
            email: referrer_email,
        }));
    }
    if !state
        .throttle
        .take(&address, state.config.self_referrals_per_address, hour)
        .await?
    {
        return Ok(busy());
    }
    let reference = new_reference()?;
    referral.reference = Some(reference.clone());
    let actor = Actor {
        user_id: None,
        label: format!("self-referral {reference}"),
        ip,
    };
    // Joins a record only on the same NHS number, date of birth and family name; any other
    // likely match is flagged in triage ("May already have a record"), never shown here.
    let given = contact_given(&person);
    let person = match_existing(&state, pcn, PersonRef::New(Box::new(person))).await?;
    keep_contact_given(&person, &given, &mut referral.reason);
    state
        .store
        .create_referral(pcn, person, &referral, None, storage::now(), &actor)
        .await?;
    Ok(views::ok(&DonePage {
        ctx: PageCtx::new(None, "Thank you: we have your details", "/self-referral"),
        reference,
        email,
        agency: false,
    }))
}

/// The contact details typed on the form, in words.
pub(crate) fn contact_given(p: &domain::PersonDetails) -> String {
    let yes_no = |v: Option<bool>| match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not asked",
    };
    let mut parts = vec![];
    if !p.phone.is_empty() {
        parts.push(format!(
            "phone {} (voicemail: {}; texts: {})",
            p.phone,
            yes_no(p.voicemail_ok),
            yes_no(p.texts_ok)
        ));
    }
    if !p.email.is_empty() {
        parts.push(format!("email {}", p.email));
    }
    parts.join(", ")
}

/// A referral that joined a record held keeps the contact details typed with it in its
/// reason (the record is not changed by someone outside: the link worker checks them).
pub(crate) fn keep_contact_given(person: &PersonRef, given: &str, reason: &mut String) {
    if matches!(person, PersonRef::Existing(_)) && !given.is_empty() {
        reason.push_str(&format!(
            "\n\nContact details given with this referral: {given}."
        ));
    }
}

/// Why a referrer without an account cannot refer to this PCN from this address, if they
/// cannot: the service sends no email, or their email's domain is not one the PCN takes.
async fn agency_refused(
    state: &AppState,
    pcn: i64,
    email: &str,
) -> Result<Option<FieldErrors>, AppError> {
    let mut errors = FieldErrors::default();
    let by_notify = state
        .config
        .notify
        .as_ref()
        .is_some_and(|c| c.template("referrer_confirm", "email").is_some());
    if state.config.mail.is_none() && !by_notify {
        errors.add(
            "referrer_email",
            "This service cannot send email at the moment, so it cannot take referrals from organisations. Phone the person's GP practice instead",
        );
        return Ok(Some(errors));
    }
    let domains = state.store.referrer_domains(pcn).await?;
    if !domains.is_empty() && !crate::mail::in_domains(&domains, email) {
        errors.add(
            "referrer_email",
            format!(
                "Use your work email. The link workers for this practice take referrals from addresses ending {}",
                domains
                    .iter()
                    .map(|d| d.trim_start_matches('*'))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return Ok(Some(errors));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn practice(name: &str, postcode: Option<&str>) -> Practice {
        Practice {
            id: 1,
            pcn_id: 1,
            name: name.into(),
            ods_code: "X".into(),
            postcode: postcode.map(Into::into),
        }
    }

    #[test]
    fn a_practice_is_found_by_words_of_its_name_or_its_postcode() {
        let p = practice("Riverside Medical Centre", Some("HB1 4CW"));
        for q in ["riverside", "Riverside medical", "hb1 4cw", "HB14CW", "hb1"] {
            assert!(practice_fits(&p, q), "{q}");
        }
        for q in ["hillside", "hb2", "hb1 4", "", "riverside surgery"] {
            assert!(!practice_fits(&p, q), "{q}");
        }
        assert!(!practice_fits(&practice("Riverside", None), "hb1"));
    }

    #[test]
    fn references_are_easy_to_read_out() {
        let r = new_reference().unwrap();
        assert_eq!(r.len(), 12, "{r}");
        assert!(r.starts_with("SR-"));
        assert!(!r.contains(['0', 'O', '1', 'I', 'L']), "{r}");
    }
}
