//! Safeguarding concerns raised to a GP supervisor, open until closed with the action taken.

use super::required_text;
use crate::errors::FieldErrors;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A safeguarding concern raised to a GP supervisor. Open until the supervisor records the
/// action taken and closes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Safeguarding {
    pub concern: String,
    pub raised_to: i64,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
}

impl Safeguarding {
    pub fn new(concern: &str, raised_to: Option<i64>) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let concern = required_text(&mut e, "concern", concern, "the concern");
        if raised_to.is_none() {
            e.add("raised_to", "Choose the GP supervisor to raise it with");
        }
        e.into_result(Self {
            concern,
            raised_to: raised_to.unwrap_or_default(),
            action: String::new(),
            closed_on: None,
        })
    }

    /// The supervisor records what was done and closes the concern.
    pub fn close(&self, action: &str, today: NaiveDate) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let action = required_text(&mut e, "action", action, "the action taken");
        e.into_result(Self {
            action,
            closed_on: Some(today),
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn safeguarding_closes_with_an_action() {
        assert!(Safeguarding::new("", Some(3)).is_err());
        assert!(Safeguarding::new("Bruising seen", None)
            .unwrap_err()
            .get("raised_to")
            .is_some());
        let s = Safeguarding::new("Bruising seen", Some(3)).unwrap();
        assert!(s.close(" ", today()).is_err());
        let c = s
            .close("Discussed with the GP; adult social care informed", today())
            .unwrap();
        assert_eq!(c.closed_on, Some(today()));
    }
}
