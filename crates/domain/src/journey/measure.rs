//! Outcome measures held against an episode, and the figures drawn on the person's chart.

use super::date_field;
use crate::errors::FieldErrors;
use crate::outcomes::{Answers, Instrument, MeasurePoint};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One completed outcome measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    pub instrument: Instrument,
    pub point: MeasurePoint,
    pub taken_on: NaiveDate,
    /// Item code → score.
    pub items: BTreeMap<String, u8>,
}

/// A figure drawn on the person's chart: (series label, value, whether higher is better).
pub type Headline = (&'static str, f64, bool);

impl Measure {
    /// Checks the answers and the date.
    pub fn parse(
        instrument: Instrument,
        point: MeasurePoint,
        taken_on: &str,
        today: NaiveDate,
        get: impl Fn(&str) -> String,
    ) -> Result<Self, FieldErrors> {
        let answers = Answers::parse(instrument, get);
        let mut e = match &answers {
            Ok(_) => FieldErrors::default(),
            Err(e) => e.clone(),
        };
        let taken = date_field(&mut e, "taken_on", taken_on, "the date");
        if taken.is_some_and(|d| d > today) {
            e.add("taken_on", "The date cannot be in the future");
        }
        let answers = match answers {
            Ok(a) if e.is_empty() => a,
            _ => return Err(e),
        };
        Ok(Self {
            instrument,
            point,
            taken_on: taken.unwrap_or(today),
            items: answers
                .scores
                .iter()
                .filter_map(|(c, v)| v.map(|v| (c.to_string(), v)))
                .collect(),
        })
    }

    /// The figures to chart and compare over time.
    pub fn headlines(&self) -> Vec<Headline> {
        let get = |c: &str| self.items.get(c).map(|v| f64::from(*v));
        match self.instrument {
            Instrument::Ons4 => [
                ("life_satisfaction", "Life satisfaction", true),
                ("worthwhile", "Things worthwhile", true),
                ("happiness", "Happiness yesterday", true),
                ("anxiety", "Anxiety yesterday", false),
            ]
            .iter()
            .filter_map(|(c, l, up)| get(c).map(|v| (*l, v, *up)))
            .collect(),
            Instrument::Wemwbs => {
                vec![(
                    "WEMWBS total",
                    self.items.values().map(|v| f64::from(*v)).sum(),
                    true,
                )]
            }
            Instrument::Swemwbs => {
                let raw: u32 = self.items.values().map(|v| u32::from(*v)).sum();
                u8::try_from(raw)
                    .ok()
                    .and_then(crate::outcomes::swemwbs_metric)
                    .map(|m| vec![("SWEMWBS metric score", m, true)])
                    .unwrap_or_default()
            }
            Instrument::Mycaw => [
                ("concern_1", "Concern 1", false),
                ("concern_2", "Concern 2", false),
                ("wellbeing", "Wellbeing (MYCaW)", false),
            ]
            .iter()
            .filter_map(|(c, l, up)| get(c).map(|v| (*l, v, *up)))
            .collect(),
        }
    }

    /// The scale of a headline, for charts: (lowest, highest).
    pub fn scale(instrument: Instrument) -> (f64, f64) {
        match instrument {
            Instrument::Ons4 => (0.0, 10.0),
            Instrument::Wemwbs => (14.0, 70.0),
            Instrument::Swemwbs => (7.0, 35.0),
            Instrument::Mycaw => (0.0, 6.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    #[test]
    fn measures_check_ranges_and_give_headlines() {
        let all = |v: &'static str| move |_: &str| v.to_string();
        let m = Measure::parse(
            Instrument::Swemwbs,
            MeasurePoint::Baseline,
            "2026-11-01",
            today(),
            all("3"),
        )
        .unwrap();
        assert_eq!(m.headlines(), vec![("SWEMWBS metric score", 19.25, true)]);
        let e = Measure::parse(
            Instrument::Ons4,
            MeasurePoint::Review,
            "2026-11-01",
            today(),
            all("11"),
        )
        .unwrap_err();
        assert!(e.get("life_satisfaction").is_some());
        let e = Measure::parse(
            Instrument::Wemwbs,
            MeasurePoint::Review,
            "2027-01-01",
            today(),
            all("3"),
        )
        .unwrap_err();
        assert!(e.get("taken_on").unwrap().contains("future"));
        let ons = Measure::parse(
            Instrument::Ons4,
            MeasurePoint::Review,
            "2026-11-01",
            today(),
            all("7"),
        )
        .unwrap();
        assert_eq!(ons.headlines().len(), 4);
        assert!(!ons.headlines()[3].2, "lower anxiety is better");
    }
}
