//! Referral back to a clinician in the PCN.

use super::required_text;
use crate::errors::FieldErrors;
use serde::{Deserialize, Serialize};

/// The person referred back to a clinician in the PCN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralBack {
    pub clinician: String,
    pub reason: String,
}

impl ReferralBack {
    pub fn new(clinician: &str, reason: &str) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let clinician = required_text(&mut e, "clinician", clinician, "who you are referring to");
        let reason = required_text(&mut e, "reason", reason, "the reason");
        e.into_result(Self { clinician, reason })
    }
}
