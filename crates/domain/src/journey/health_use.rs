//! Health service use: GP appointments and A&E attendances in the 12 months before
//! referral or after discharge.

use crate::errors::FieldErrors;
use crate::Code;
use serde::{Deserialize, Serialize};

code_enum!(
    /// Which 12 months health service use counts.
    HealthPeriod {
        Before => ("before", "12 months before referral"),
        After => ("after", "12 months after discharge"),
    }
);

/// GP appointments and A&E attendances in a 12-month period (optional, where known).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthUse {
    pub period: HealthPeriod,
    pub gp_appointments: u16,
    pub ae_attendances: u16,
}

impl HealthUse {
    pub fn parse(period: &str, gp: &str, ae: &str) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let period = HealthPeriod::from_code(period);
        if period.is_none() {
            e.add("period", "Choose which 12 months these counts are for");
        }
        let mut count =
            |field: &'static str, v: &str, max: u16, what: &str| match v.trim().parse::<u16>() {
                Ok(n) if n <= max => n,
                _ => {
                    e.add(
                        field,
                        format!("Enter the number of {what}, from 0 to {max}"),
                    );
                    0
                }
            };
        let gp_appointments = count("gp_appointments", gp, 365, "GP appointments");
        let ae_attendances = count("ae_attendances", ae, 100, "A&E attendances");
        e.into_result(Self {
            period: period.unwrap_or(HealthPeriod::Before),
            gp_appointments,
            ae_attendances,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_use_counts_are_bounded() {
        let h = HealthUse::parse("before", "12", "2").unwrap();
        assert_eq!((h.gp_appointments, h.ae_attendances), (12, 2));
        let e = HealthUse::parse("during", "-1", "1000").unwrap_err();
        assert_eq!(e.0.len(), 3, "{e}");
    }
}
