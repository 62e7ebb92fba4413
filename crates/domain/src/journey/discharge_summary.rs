//! The discharge summary (why and how an episode ended) and the rule for closing an
//! episode as "unable to contact".

use super::required_text;
use crate::errors::FieldErrors;
use crate::Code;
use crate::DischargeReason;
use serde::{Deserialize, Serialize};

/// Why and how an episode ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DischargeSummary {
    pub reason: DischargeReason,
    pub summary: String,
}

impl DischargeSummary {
    pub fn parse(reason: &str, summary: &str) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let reason = DischargeReason::from_code(reason);
        if reason.is_none() {
            e.add("reason", "Choose a reason for discharge");
        }
        let summary = required_text(&mut e, "summary", summary, "a closing summary");
        e.into_result(Self {
            reason: reason.unwrap_or(DischargeReason::Other),
            summary,
        })
    }
}

/// Whether an episode may be closed as "unable to contact": only after the configured
/// number of unsuccessful attempts.
pub fn may_close_unreachable(attempts: usize, required: u32) -> Result<(), String> {
    if attempts >= required as usize {
        Ok(())
    } else {
        Err(format!(
            "Try to contact the person at least {required} times before closing as unable to \
             contact: {attempts} unsuccessful attempt{} recorded so far",
            if attempts == 1 { "" } else { "s" }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unable_to_contact_needs_enough_attempts() {
        assert!(may_close_unreachable(3, 3).is_ok());
        let msg = may_close_unreachable(1, 3).unwrap_err();
        assert!(
            msg.contains("at least 3 times") && msg.contains("1 unsuccessful attempt "),
            "{msg}"
        );
    }

    #[test]
    fn discharge_needs_reason_and_summary() {
        assert!(DischargeSummary::parse("goals_met", "Now going to the club weekly").is_ok());
        let e = DischargeSummary::parse("bored", "").unwrap_err();
        assert_eq!(e.0.len(), 2);
    }
}
