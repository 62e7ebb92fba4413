//! The "what matters to me" conversation and holistic needs assessment: need scores and
//! their meaning, the checked assessment and the form draft it comes from.

use super::{date_field, optional_text, required_text};
use crate::errors::FieldErrors;
use crate::Code;
use crate::{Category, Need, TimeOfDay, Weekday};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// Need scores run from 1 (managing well) to 5 (needs a lot of help).
pub const NEED_SCORE: RangeInclusive<u8> = 1..=5;

/// What each need score means, for forms and pages.
pub fn need_score_label(score: u8) -> &'static str {
    match score {
        1 => "1 – managing well",
        2 => "2 – mostly managing",
        3 => "3 – some difficulty",
        4 => "4 – struggling",
        _ => "5 – needs a lot of help",
    }
}

/// One need, scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedScore {
    pub need: Need,
    pub score: u8,
    #[serde(default)]
    pub note: String,
}

/// The person's own words, their needs scored across the domains, and what they enjoy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub assessed_on: NaiveDate,
    pub what_matters: String,
    pub needs: Vec<NeedScore>,
    #[serde(default)]
    pub strengths: String,
    /// Interests, as directory categories: used for matching.
    #[serde(default)]
    pub interests: Vec<Category>,
    /// Interests in their own words ("fixing bikes, quizzes"): matching reads these too.
    #[serde(default)]
    pub interest_words: String,
    /// What suits them, kept until the next assessment: matching applies these as filters.
    #[serde(default)]
    pub preferences: Preferences,
}

/// A person's lasting preferences for activities, applied by matching as hard filters
/// (the match page can relax one for a look and says so).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Preferences {
    #[serde(default)]
    pub free_only: bool,
    #[serde(default)]
    pub step_free: bool,
    /// Days they can make; any day when empty.
    #[serde(default)]
    pub days: Vec<Weekday>,
    /// Parts of the day they can make; any time when empty.
    #[serde(default)]
    pub times: Vec<TimeOfDay>,
    /// How far they can travel, in kilometres.
    #[serde(default)]
    pub max_km: Option<f64>,
}

/// How far a person may be asked to travel, in miles (typed and shown in miles; kept in
/// kilometres as `max_km`).
pub const TRAVEL_MILES: RangeInclusive<f64> = 0.5..=60.0;

const KM_PER_MILE: f64 = 1.609344;

impl Assessment {
    /// Needs scored 3 or more, highest first: the ones matching works on.
    pub fn main_needs(&self) -> Vec<Need> {
        let mut v: Vec<&NeedScore> = self.needs.iter().filter(|n| n.score >= 3).collect();
        v.sort_by_key(|n| std::cmp::Reverse(n.score));
        v.iter().map(|n| n.need).collect()
    }
}

/// An assessment as a form sends it. Field names: `assessed_on`, `what_matters`,
/// `strengths`, `interests`, and per need `score_<need>` and `note_<need>`.
#[derive(Debug, Clone, Default)]
pub struct AssessmentDraft {
    pub assessed_on: String,
    pub what_matters: String,
    pub strengths: String,
    pub interests: Vec<String>,
    pub interest_words: String,
    pub free_only: bool,
    pub step_free: bool,
    pub days: Vec<String>,
    pub times: Vec<String>,
    /// How far they can travel, in miles, as typed.
    pub max_miles: String,
    /// (need code, score text, note) for every need, in `Need::ALL` order.
    pub needs: Vec<(String, String, String)>,
}

impl AssessmentDraft {
    /// A draft showing an earlier assessment, for reassessment at review.
    pub fn from_assessment(a: &Assessment, today: NaiveDate) -> Self {
        Self {
            assessed_on: today.to_string(),
            what_matters: a.what_matters.clone(),
            strengths: a.strengths.clone(),
            interests: a.interests.iter().map(|c| c.code().to_string()).collect(),
            interest_words: a.interest_words.clone(),
            free_only: a.preferences.free_only,
            step_free: a.preferences.step_free,
            days: a
                .preferences
                .days
                .iter()
                .map(|d| d.code().to_string())
                .collect(),
            times: a
                .preferences
                .times
                .iter()
                .map(|t| t.code().to_string())
                .collect(),
            max_miles: a
                .preferences
                .max_km
                .map(|k| {
                    let miles = (k / KM_PER_MILE * 10.0).round() / 10.0;
                    miles.to_string()
                })
                .unwrap_or_default(),
            needs: Need::ALL
                .iter()
                .map(|n| {
                    let s = a.needs.iter().find(|s| s.need == *n);
                    (
                        n.code().to_string(),
                        s.map(|s| s.score.to_string()).unwrap_or_default(),
                        s.map(|s| s.note.clone()).unwrap_or_default(),
                    )
                })
                .collect(),
        }
    }

    pub fn validate(&self, today: NaiveDate) -> Result<Assessment, FieldErrors> {
        let mut e = FieldErrors::default();
        let assessed_on = date_field(&mut e, "assessed_on", &self.assessed_on, "the date");
        if assessed_on.is_some_and(|d| d > today) {
            e.add("assessed_on", "The date cannot be in the future");
        }
        let what_matters = required_text(
            &mut e,
            "what_matters",
            &self.what_matters,
            "what matters to the person, in their own words",
        );
        let strengths = optional_text(&mut e, "strengths", &self.strengths);
        let mut interests = vec![];
        for i in &self.interests {
            match Category::from_code(i) {
                Some(c) if !interests.contains(&c) => interests.push(c),
                Some(_) => {}
                None => e.add("interests", "Choose interests from the list"),
            }
        }
        let interest_words = optional_text(&mut e, "interest_words", &self.interest_words);
        let mut days = vec![];
        for d in &self.days {
            match Weekday::from_code(d) {
                Some(d) if !days.contains(&d) => days.push(d),
                Some(_) => {}
                None => e.add("days", "Choose days from the list"),
            }
        }
        days.sort_by_key(|d| d.index());
        let mut times = vec![];
        for t in &self.times {
            match TimeOfDay::from_code(t) {
                Some(t) if !times.contains(&t) => times.push(t),
                Some(_) => {}
                None => e.add("times", "Choose times of day from the list"),
            }
        }
        times.sort_by_key(|t| t.span().0);
        let max_km = match self.max_miles.trim() {
            "" => None,
            s => match s.parse::<f64>() {
                Ok(m) if TRAVEL_MILES.contains(&m) => Some(m * KM_PER_MILE),
                _ => {
                    e.add(
                        "max_miles",
                        "Enter how far they can travel as a number of miles from 0.5 to 60, or leave it blank",
                    );
                    None
                }
            },
        };
        let preferences = Preferences {
            free_only: self.free_only,
            step_free: self.step_free,
            days,
            times,
            max_km,
        };
        let mut needs = vec![];
        for (code, score, note) in &self.needs {
            let Some(need) = Need::from_code(code) else {
                e.add("needs", format!("'{code}' is not a need Linkwork knows"));
                continue;
            };
            let note = optional_text(&mut e, format!("note_{code}"), note);
            match score.trim() {
                "" if note.is_empty() => {}
                "" => e.add(
                    format!("score_{code}"),
                    format!("Score {} from 1 to 5, or clear the note", need.label()),
                ),
                s => match s.parse::<u8>() {
                    Ok(v) if NEED_SCORE.contains(&v) => needs.push(NeedScore {
                        need,
                        score: v,
                        note,
                    }),
                    _ => e.add(
                        format!("score_{code}"),
                        format!("Score {} with a whole number from 1 to 5", need.label()),
                    ),
                },
            }
        }
        if needs.is_empty() && e.is_empty() {
            e.add("needs", "Score at least one need from 1 to 5");
        }
        let assessed_on = assessed_on.unwrap_or(today);
        e.into_result(Assessment {
            assessed_on,
            what_matters,
            needs,
            strengths,
            interests,
            interest_words,
            preferences,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn assessment_draft() -> AssessmentDraft {
        AssessmentDraft {
            assessed_on: "2026-11-20".into(),
            what_matters: "Getting out of the house and meeting people".into(),
            strengths: "Good with plants".into(),
            interests: vec!["gardening".into()],
            needs: Need::ALL
                .iter()
                .map(|n| (n.code().into(), String::new(), String::new()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn assessment_scores_are_one_to_five() {
        let mut d = assessment_draft();
        d.needs[2].1 = "4".into();
        let a = d.validate(today()).unwrap();
        assert_eq!(a.needs.len(), 1);
        assert_eq!(a.main_needs(), vec![Need::Loneliness]);
        assert_eq!(a.interests, vec![Category::Gardening]);
        for bad in ["0", "6", "three", "-1", "2.5"] {
            let mut d = assessment_draft();
            d.needs[2].1 = bad.into();
            let e = d.validate(today()).unwrap_err();
            assert!(
                e.get("score_loneliness")
                    .is_some_and(|m| m.contains("1 to 5")),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn assessment_needs_words_and_a_score() {
        let mut d = assessment_draft();
        d.what_matters = "  ".into();
        let e = d.validate(today()).unwrap_err();
        assert!(e.get("what_matters").is_some());
        assert!(e.get("needs").is_none(), "only the first problem: {e}");
        let e = assessment_draft().validate(today()).unwrap_err();
        assert!(e.get("needs").is_some());
        let mut d = assessment_draft();
        d.needs[0].2 = "a note without a score".into();
        assert!(d
            .validate(today())
            .unwrap_err()
            .get("score_mental_health")
            .is_some());
    }

    #[test]
    fn preferences_are_checked_and_kept() {
        let mut d = assessment_draft();
        d.needs[2].1 = "4".into();
        d.interest_words = "fixing bikes, quizzes".into();
        d.free_only = true;
        d.days = vec!["TU".into(), "MO".into()];
        d.times = vec!["evening".into(), "morning".into()];
        d.max_miles = "5".into();
        let a = d.validate(today()).unwrap();
        assert_eq!(a.preferences.days, vec![Weekday::Mo, Weekday::Tu]);
        assert_eq!(
            a.preferences.times,
            vec![TimeOfDay::Morning, TimeOfDay::Evening]
        );
        let mut bad = d.clone();
        bad.times = vec!["midnight".into()];
        assert!(bad.validate(today()).unwrap_err().get("times").is_some());
        assert!((a.preferences.max_km.unwrap() - 8.04672).abs() < 1e-9);
        assert!(a.preferences.free_only && !a.preferences.step_free);
        let again = AssessmentDraft::from_assessment(&a, today());
        assert_eq!(again.validate(today()).unwrap().preferences, a.preferences);
        for bad in ["0", "far", "61", "-3"] {
            let mut d = d.clone();
            d.max_miles = bad.into();
            let e = d.validate(today()).unwrap_err();
            assert!(
                e.get("max_miles").is_some_and(|m| m.contains("miles")),
                "{bad}"
            );
        }
        // An assessment saved before preferences existed still reads.
        let old = r#"{"assessed_on":"2026-01-02","what_matters":"x","needs":[]}"#;
        let a: Assessment = serde_json::from_str(old).unwrap();
        assert_eq!(a.preferences, Preferences::default());
    }

    #[test]
    fn reassessment_starts_from_the_last_one() {
        let mut d = assessment_draft();
        d.needs[2].1 = "5".into();
        let a = d.validate(today()).unwrap();
        let again = AssessmentDraft::from_assessment(&a, today());
        assert_eq!(again.validate(today()).unwrap().needs, a.needs);
    }
}
