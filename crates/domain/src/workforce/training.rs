//! Required training: where a requirement comes from, completions, and whether it is met
//! on a day.

use chrono::NaiveDate;

code_enum!(
    /// Where a training requirement comes from.
    TrainingKind {
        OnlineLearning => ("online_learning", "NHSE/I online learning programme"),
        Pci => ("pci", "Personalised Care Institute"),
        PeerSupport => ("peer_support", "Peer support network"),
        Other => ("other", "Other"),
    }
);

/// A training record as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingCompletion {
    pub completed_on: NaiveDate,
    pub evidence: String,
}

/// Whether a training requirement is met on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compliance {
    Done { until: Option<NaiveDate> },
    Expired { on: NaiveDate },
    Missing,
}

/// Compliance with a requirement renewed every `renew_months` (once only when `None`),
/// given the latest completion.
pub fn compliance(
    latest: Option<NaiveDate>,
    renew_months: Option<u32>,
    today: NaiveDate,
) -> Compliance {
    match (latest, renew_months) {
        (None, _) => Compliance::Missing,
        (Some(_), None) => Compliance::Done { until: None },
        (Some(d), Some(m)) => {
            let until = d
                .checked_add_months(chrono::Months::new(m))
                .unwrap_or(NaiveDate::MAX);
            if until < today {
                Compliance::Expired { on: until }
            } else {
                Compliance::Done { until: Some(until) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn training_compliance() {
        let today = d("2026-11-21");
        assert_eq!(compliance(None, None, today), Compliance::Missing);
        assert_eq!(
            compliance(Some(d("2024-01-01")), None, today),
            Compliance::Done { until: None }
        );
        assert_eq!(
            compliance(Some(d("2026-06-01")), Some(3), today),
            Compliance::Expired {
                on: d("2026-09-01")
            }
        );
        assert_eq!(
            compliance(Some(d("2026-10-01")), Some(3), today),
            Compliance::Done {
                until: Some(d("2027-01-01"))
            }
        );
    }
}
