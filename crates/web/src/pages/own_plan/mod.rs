//! The person's own door to their plan (issue 23, part 3).
//!
//! A link worker gives the person a plan code: in a link by text or email, or printed
//! (`staff`). The person opens `/my-plan?code=…` (or types the code at `/my-plan`), asks for a
//! one-time code sent to the phone or email on their record, and types it with their date of
//! birth (`door`). That opens a short person session (cookie `lw_plan`, kept as a hash) that
//! shows their plan and nothing else (`plan`): what matters to them, the services they were
//! connected to, their next contact and their link worker; they can say whether they went,
//! answer their wellbeing questions and ask to be called.
//!
//! Everything the person does is audited as them ("person N (their own plan)"). A session
//! holds only the PCN, the person and how they proved who they are, so NHS login can be
//! added as another way in that opens the same session (ADR 52).

use crate::auth::{self, sha256_hex};
use crate::form::FormData;
use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use storage::{Actor, PersonSession};

mod door;
mod plan;
mod staff;

pub use door::{code_page, send_code, sign_in, sign_out};
pub use plan::{call_me, view, wellbeing_form, wellbeing_save, went};
pub use staff::{call_back_done, link_form, link_send, link_stop};

/// How long a person stays signed in without doing anything.
pub(crate) const SESSION_MINUTES: i64 = 30;
/// How long a one-time code works.
pub(crate) const OTP_MINUTES: i64 = 10;

/// The person session's cookie, named like the staff one (`__Host-` over HTTPS).
pub fn plan_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-lw_plan"
    } else {
        "lw_plan"
    }
}

/// The letters of a plan code: none that look like another (no I, L, O, 0 or 1).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A new plan code, `XXXX-XXXX-XXXX` (12 letters from 31: about 59 bits).
pub fn new_plan_code() -> Result<String, AppError> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(e.to_string()))?;
    // 256 is not a multiple of 31: the first 8 letters are very slightly likelier, which
    // costs well under a bit of the code's strength.
    let s: String = b
        .iter()
        .map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char)
        .collect();
    Ok(format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..]))
}

/// A code as typed (any case, spaces or dashes) in the one form that is hashed.
pub(crate) fn normalise_code(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .take(40)
        .collect()
}

pub fn code_hash(code: &str) -> String {
    sha256_hex(&format!("plan-code:{}", normalise_code(code)))
}

/// A six-digit one-time code.
pub(crate) fn new_otp() -> Result<String, AppError> {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!("{:06}", u32::from_le_bytes(b) % 1_000_000))
}

pub(crate) fn otp_hash(link_id: i64, otp: &str) -> String {
    sha256_hex(&format!("plan-otp:{link_id}:{}", otp.trim()))
}

/// A phone number with all but the last three digits hidden: "07••• •••123".
pub(crate) fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() < 6 {
        return "your phone".into();
    }
    let tail: String = digits[digits.len() - 3..].iter().collect();
    let head: String = digits[..2].iter().collect();
    format!("{head}••• •••{tail}")
}

/// An email address with most of its name hidden: "s•••@example.org".
pub(crate) fn mask_email(email: &str) -> String {
    match email.trim().split_once('@') {
        Some((name, domain)) if !name.is_empty() => {
            let first: String = name.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        _ => "your email".into(),
    }
}

/// The actor for what a person does on their own plan.
pub(crate) fn person_actor(person_id: i64, ip: Option<String>) -> Actor {
    Actor {
        user_id: None,
        label: format!("person {person_id} (their own plan)"),
        ip,
    }
}

/// A person signed in to their own plan. Any other caller is sent to `/my-plan`.
pub struct PersonAuth {
    pub session: PersonSession,
    pub id_hash: String,
    pub ip: Option<String>,
}

impl PersonAuth {
    pub(crate) fn actor(&self) -> Actor {
        person_actor(self.session.person_id, self.ip.clone())
    }

    /// A form sent from the plan: refused without the session's token or with a NUL.
    pub(crate) fn form(&self, body: &[u8]) -> Result<FormData, AppError> {
        let form = FormData::parse(body);
        if form.has_nul() {
            return Err(AppError::BadRequest(crate::form::NUL_REFUSED.into()));
        }
        if !auth::constant_time_eq(
            self.session.csrf_token.as_bytes(),
            form.get("_csrf").as_bytes(),
        ) {
            return Err(AppError::Csrf);
        }
        Ok(form)
    }
}

impl FromRequestParts<AppState> for PersonAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ended = || super::see_other("/my-plan?ended=1");
        let Some(cookie) = auth::cookie(&parts.headers, plan_cookie(state.config.https())) else {
            return Err(super::see_other("/my-plan"));
        };
        let id_hash = sha256_hex(&cookie);
        let now = Utc::now();
        let session = match state.store.person_session(&id_hash, now).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err(ended()),
            Err(e) => return Err(AppError::from(e).into_response()),
        };
        // Each request keeps the session a while longer (never past the link's end).
        if session.expires_at - now < Duration::minutes(SESSION_MINUTES - 5) {
            if let Err(e) = state
                .store
                .extend_person_session(&id_hash, now + Duration::minutes(SESSION_MINUTES))
                .await
            {
                return Err(AppError::from(e).into_response());
            }
        }
        Ok(Self {
            session,
            id_hash,
            ip: auth::client_ip(parts, &state.config),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_codes_are_easy_to_type_and_forgiving_to_read() {
        let c = new_plan_code().unwrap();
        assert_eq!(c.len(), 14);
        assert!(c
            .chars()
            .all(|ch| ch == '-' || ALPHABET.contains(&(ch as u8))));
        assert_eq!(
            code_hash(&c),
            code_hash(&c.to_lowercase().replace('-', " "))
        );
        assert_ne!(code_hash(&c), code_hash(&new_plan_code().unwrap()));
    }

    #[test]
    fn contact_details_are_masked() {
        assert_eq!(mask_phone("07700 900123"), "07••• •••123");
        assert_eq!(mask_phone("12"), "your phone");
        assert_eq!(mask_email("sam.jones@example.org"), "s•••@example.org");
        assert_eq!(mask_email("nonsense"), "your email");
    }

    #[test]
    fn one_time_codes_have_six_digits() {
        for _ in 0..50 {
            let o = new_otp().unwrap();
            assert_eq!(o.len(), 6);
            assert!(o.chars().all(|c| c.is_ascii_digit()));
        }
    }
}
