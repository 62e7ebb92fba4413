//! Outcome measures: ONS4 personal wellbeing, WEMWBS, SWEMWBS (with the raw → metric
//! conversion) and MYCaW. Every item is range-checked; scores are worked out here and
//! nowhere else.

use crate::errors::FieldErrors;

code_enum!(
    /// The instruments Linkwork scores itself.
    Instrument {
        Ons4 => ("ons4", "ONS4 personal wellbeing"),
        Wemwbs => ("wemwbs", "Warwick-Edinburgh Mental Wellbeing Scale (WEMWBS)"),
        Swemwbs => ("swemwbs", "Short WEMWBS (SWEMWBS)"),
        Mycaw => ("mycaw", "Measure Yourself Concerns and Wellbeing (MYCaW)"),
    }
);

code_enum!(
    /// When in the episode a measure was taken.
    MeasurePoint {
        Baseline => ("baseline", "Baseline (assessment)"),
        Review => ("review", "Review"),
        Discharge => ("discharge", "Discharge"),
    }
);

impl Instrument {
    /// (item code, question, lowest, highest) for each item, in order.
    pub fn items(self) -> &'static [(&'static str, &'static str, u8, u8)] {
        match self {
            Instrument::Ons4 => &[
                ("life_satisfaction", "Overall, how satisfied are you with your life nowadays?", 0, 10),
                ("worthwhile", "Overall, to what extent do you feel that the things you do in your life are worthwhile?", 0, 10),
                ("happiness", "Overall, how happy did you feel yesterday?", 0, 10),
                ("anxiety", "On a scale where 0 is not at all anxious and 10 is completely anxious, overall, how anxious did you feel yesterday?", 0, 10),
            ],
            Instrument::Wemwbs => &WEMWBS_ITEMS,
            Instrument::Swemwbs => &SWEMWBS_ITEMS,
            Instrument::Mycaw => &[
                ("concern_1", "How severe is your first concern now?", 0, 6),
                ("concern_2", "How severe is your second concern now?", 0, 6),
                ("wellbeing", "How would you rate your general feeling of wellbeing now?", 0, 6),
            ],
        }
    }

    /// What is said or shown before the items, as the instrument words it.
    pub fn stem(self) -> &'static str {
        match self {
            Instrument::Wemwbs | Instrument::Swemwbs => {
                "Below are some statements about feelings and thoughts. Please tick the box that best describes your experience of each over the last 2 weeks."
            }
            Instrument::Ons4 => {
                "Next I would like to ask you four questions about your feelings on aspects of your life. There are no right or wrong answers. For each of these questions I'd like you to give an answer on a scale of 0 to 10, where 0 is \u{201c}not at all\u{201d} and 10 is \u{201c}completely\u{201d}."
            }
            Instrument::Mycaw => {
                "Please write down one or two concerns or problems which you would most like us to help you with, and how severe each one is now, from 0 (not bothering me at all) to 6 (bothers me greatly)."
            }
        }
    }

    /// The words for one answer to an item, as the instrument prints them: every point for
    /// (S)WEMWBS ("None of the time" … "All of the time"), the end points for the 0–10 and
    /// 0–6 scales ("0 – Not at all"), the number alone between them.
    pub fn answer_label(self, item: &str, value: u8) -> String {
        let words = match self {
            Instrument::Wemwbs | Instrument::Swemwbs => match value {
                1 => Some("None of the time"),
                2 => Some("Rarely"),
                3 => Some("Some of the time"),
                4 => Some("Often"),
                5 => Some("All of the time"),
                _ => None,
            },
            Instrument::Ons4 => match (item, value) {
                ("anxiety", 0) => Some("Not at all anxious"),
                ("anxiety", 10) => Some("Completely anxious"),
                (_, 0) => Some("Not at all"),
                (_, 10) => Some("Completely"),
                _ => None,
            },
            Instrument::Mycaw => match (item, value) {
                ("wellbeing", 0) => Some("As good as it could be"),
                ("wellbeing", 6) => Some("As bad as it could be"),
                (_, 0) => Some("Not bothering me at all"),
                (_, 6) => Some("Bothers me greatly"),
                _ => None,
            },
        };
        match (self, words) {
            (Instrument::Wemwbs | Instrument::Swemwbs, Some(w)) => w.to_string(),
            (_, Some(w)) => format!("{value} \u{2013} {w}"),
            (_, None) => value.to_string(),
        }
    }

    /// Whether an item must be answered.
    pub fn required(self, item: &str) -> bool {
        !self.optional(item)
    }

    /// Items that may be left blank.
    fn optional(self, item: &str) -> bool {
        self == Instrument::Mycaw && item == "concern_2"
    }

    /// The copyright or licence line to show with the instrument, if it has one.
    pub fn notice(self) -> Option<&'static str> {
        match self {
            Instrument::Wemwbs | Instrument::Swemwbs => Some(
                "WEMWBS and SWEMWBS © NHS Health Scotland, University of Warwick and University of Edinburgh, all rights reserved; used under licence.",
            ),
            // MYCaW's licence terms are checked by each deployment; no line is shown yet.
            Instrument::Mycaw | Instrument::Ons4 => None,
        }
    }
}

const WEMWBS_ITEMS: [(&str, &str, u8, u8); 14] = [
    (
        "optimistic",
        "I've been feeling optimistic about the future",
        1,
        5,
    ),
    ("useful", "I've been feeling useful", 1, 5),
    ("relaxed", "I've been feeling relaxed", 1, 5),
    (
        "interested_people",
        "I've been feeling interested in other people",
        1,
        5,
    ),
    ("energy", "I've had energy to spare", 1, 5),
    ("problems", "I've been dealing with problems well", 1, 5),
    ("thinking", "I've been thinking clearly", 1, 5),
    ("good_self", "I've been feeling good about myself", 1, 5),
    ("close", "I've been feeling close to other people", 1, 5),
    ("confident", "I've been feeling confident", 1, 5),
    (
        "mind",
        "I've been able to make up my own mind about things",
        1,
        5,
    ),
    ("loved", "I've been feeling loved", 1, 5),
    (
        "interested_things",
        "I've been interested in new things",
        1,
        5,
    ),
    ("cheerful", "I've been feeling cheerful", 1, 5),
];

/// SWEMWBS uses seven of the WEMWBS statements.
const SWEMWBS_ITEMS: [(&str, &str, u8, u8); 7] = [
    WEMWBS_ITEMS[0],
    WEMWBS_ITEMS[1],
    WEMWBS_ITEMS[2],
    WEMWBS_ITEMS[5],
    WEMWBS_ITEMS[6],
    WEMWBS_ITEMS[8],
    WEMWBS_ITEMS[10],
];

/// SWEMWBS raw total (7–35) → metric score, from the published conversion table.
const SWEMWBS_METRIC: [f64; 29] = [
    7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88, 17.43, 17.98, 18.59,
    19.25, 19.98, 20.73, 21.54, 22.35, 23.21, 24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70,
    32.55, 35.00,
];

/// The SWEMWBS metric score for a raw total, if the total is in range.
pub fn swemwbs_metric(raw: u8) -> Option<f64> {
    raw.checked_sub(7)
        .and_then(|i| SWEMWBS_METRIC.get(usize::from(i)))
        .copied()
}

code_enum!(
    /// ONS4 bands (the ONS thresholds).
    Ons4Band {
        VeryLow => ("very_low", "Very low"),
        Low => ("low", "Low"),
        Medium => ("medium", "Medium"),
        High => ("high", "High"),
        VeryHigh => ("very_high", "Very high"),
    }
);

/// The ONS band of an item: 0–4 low, 5–6 medium, 7–8 high, 9–10 very high for life
/// satisfaction, worthwhile and happiness; anxiety 0–1 very low, 2–3 low, 4–5 medium,
/// 6–10 high.
pub fn ons4_band(item: &str, score: u8) -> Option<Ons4Band> {
    if score > 10 {
        return None;
    }
    Some(if item == "anxiety" {
        match score {
            0..=1 => Ons4Band::VeryLow,
            2..=3 => Ons4Band::Low,
            4..=5 => Ons4Band::Medium,
            _ => Ons4Band::High,
        }
    } else {
        match score {
            0..=4 => Ons4Band::Low,
            5..=6 => Ons4Band::Medium,
            7..=8 => Ons4Band::High,
            _ => Ons4Band::VeryHigh,
        }
    })
}

/// A checked set of answers: item code → score, in the instrument's item order.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    pub instrument: Instrument,
    pub scores: Vec<(&'static str, Option<u8>)>,
}

/// The scores an instrument reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Score {
    /// ONS4: each item on its own, never summed.
    Ons4(Vec<(&'static str, u8, Ons4Band)>),
    /// WEMWBS total 14–70.
    Wemwbs(u8),
    /// SWEMWBS raw 7–35 and its metric score.
    Swemwbs { raw: u8, metric: f64 },
    /// MYCaW per concern and wellbeing, 0–6 (higher is worse).
    Mycaw {
        concern_1: u8,
        concern_2: Option<u8>,
        wellbeing: u8,
    },
}

impl Answers {
    /// Reads answers given as text (a form or API body), checking every item's range.
    /// Errors are keyed by item code.
    pub fn parse(
        instrument: Instrument,
        get: impl Fn(&str) -> String,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut scores = vec![];
        for (code, _, lo, hi) in instrument.items() {
            let raw = get(code);
            let raw = raw.trim();
            if raw.is_empty() {
                if !instrument.optional(code) {
                    errors.add(
                        *code,
                        format!("Answer this question with a number from {lo} to {hi}"),
                    );
                }
                scores.push((*code, None));
                continue;
            }
            match raw.parse::<u8>() {
                Ok(v) if (*lo..=*hi).contains(&v) => scores.push((*code, Some(v))),
                _ => {
                    errors.add(*code, format!("Enter a whole number from {lo} to {hi}"));
                    scores.push((*code, None));
                }
            }
        }
        errors.into_result(Answers { instrument, scores })
    }

    fn get(&self, code: &str) -> Option<u8> {
        self.scores
            .iter()
            .find(|(c, _)| *c == code)
            .and_then(|(_, v)| *v)
    }

    fn total(&self) -> u8 {
        self.scores.iter().filter_map(|(_, v)| *v).sum()
    }

    /// The instrument's scores.
    pub fn score(&self) -> Score {
        match self.instrument {
            Instrument::Ons4 => Score::Ons4(
                self.scores
                    .iter()
                    .filter_map(|(c, v)| v.and_then(|v| ons4_band(c, v).map(|b| (*c, v, b))))
                    .collect(),
            ),
            Instrument::Wemwbs => Score::Wemwbs(self.total()),
            Instrument::Swemwbs => {
                let raw = self.total();
                Score::Swemwbs {
                    raw,
                    metric: swemwbs_metric(raw).unwrap_or(f64::NAN),
                }
            }
            Instrument::Mycaw => Score::Mycaw {
                concern_1: self.get("concern_1").unwrap_or(0),
                concern_2: self.get("concern_2"),
                wellbeing: self.get("wellbeing").unwrap_or(0),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    #[test]
    fn instruments_are_worded_as_published() {
        assert!(Instrument::Swemwbs
            .stem()
            .starts_with("Below are some statements about feelings and thoughts."));
        assert!(Instrument::Swemwbs.stem().contains("over the last 2 weeks"));
        let points: Vec<String> = (1..=5)
            .map(|v| Instrument::Swemwbs.answer_label("optimistic", v))
            .collect();
        assert_eq!(
            points,
            [
                "None of the time",
                "Rarely",
                "Some of the time",
                "Often",
                "All of the time"
            ]
        );
        assert_eq!(
            Instrument::Ons4.answer_label("happiness", 0),
            "0 \u{2013} Not at all"
        );
        assert_eq!(
            Instrument::Ons4.answer_label("happiness", 10),
            "10 \u{2013} Completely"
        );
        assert_eq!(Instrument::Ons4.answer_label("happiness", 5), "5");
        assert_eq!(
            Instrument::Ons4.answer_label("anxiety", 10),
            "10 \u{2013} Completely anxious"
        );
        assert_eq!(
            Instrument::Mycaw.answer_label("concern_1", 6),
            "6 \u{2013} Bothers me greatly"
        );
        assert_eq!(
            Instrument::Mycaw.answer_label("wellbeing", 0),
            "0 \u{2013} As good as it could be"
        );
        assert!(Instrument::Ons4.stem().contains("0 to 10"));
        assert!(!Instrument::Mycaw.required("concern_2"));
        assert!(Instrument::Swemwbs.required("mind"));
    }

    fn answers(i: Instrument, v: &[(&str, &str)]) -> Result<Answers, FieldErrors> {
        Answers::parse(i, |k| {
            v.iter()
                .find(|(c, _)| *c == k)
                .map(|(_, x)| x.to_string())
                .unwrap_or_default()
        })
    }

    #[test]
    fn swemwbs_table_matches_domain_md() {
        assert_eq!(swemwbs_metric(7), Some(7.00));
        assert_eq!(swemwbs_metric(8), Some(9.51));
        assert_eq!(swemwbs_metric(21), Some(19.25));
        assert_eq!(swemwbs_metric(34), Some(32.55));
        assert_eq!(swemwbs_metric(35), Some(35.00));
        assert_eq!(swemwbs_metric(6), None);
        assert_eq!(swemwbs_metric(36), None);
        assert!(SWEMWBS_METRIC.windows(2).all(|w| w[0] < w[1]), "monotonic");
    }

    #[test]
    fn swemwbs_scores_through_the_table() {
        let all3: Vec<(&str, &str)> = Instrument::Swemwbs
            .items()
            .iter()
            .map(|i| (i.0, "3"))
            .collect();
        let a = answers(Instrument::Swemwbs, &all3).unwrap();
        assert_eq!(
            a.score(),
            Score::Swemwbs {
                raw: 21,
                metric: 19.25
            }
        );
    }

    #[test]
    fn ons4_bands_follow_the_ons_thresholds() {
        assert_eq!(ons4_band("life_satisfaction", 4), Some(Ons4Band::Low));
        assert_eq!(ons4_band("life_satisfaction", 5), Some(Ons4Band::Medium));
        assert_eq!(ons4_band("worthwhile", 8), Some(Ons4Band::High));
        assert_eq!(ons4_band("happiness", 9), Some(Ons4Band::VeryHigh));
        assert_eq!(ons4_band("anxiety", 1), Some(Ons4Band::VeryLow));
        assert_eq!(ons4_band("anxiety", 3), Some(Ons4Band::Low));
        assert_eq!(ons4_band("anxiety", 5), Some(Ons4Band::Medium));
        assert_eq!(ons4_band("anxiety", 6), Some(Ons4Band::High));
        assert_eq!(ons4_band("anxiety", 11), None);
    }

    #[test]
    fn ons4_items_are_reported_separately_never_summed() {
        let a = answers(
            Instrument::Ons4,
            &[
                ("life_satisfaction", "6"),
                ("worthwhile", "7"),
                ("happiness", "3"),
                ("anxiety", "8"),
            ],
        )
        .unwrap();
        let Score::Ons4(items) = a.score() else {
            panic!("ONS4 score")
        };
        assert_eq!(items.len(), 4);
        assert_eq!(items[3], ("anxiety", 8, Ons4Band::High));
    }

    #[test]
    fn every_item_range_is_checked() {
        let e = answers(
            Instrument::Ons4,
            &[
                ("life_satisfaction", "11"),
                ("worthwhile", "-1"),
                ("happiness", "seven"),
            ],
        )
        .unwrap_err();
        assert_eq!(
            e.get("life_satisfaction"),
            Some("Enter a whole number from 0 to 10")
        );
        assert_eq!(
            e.get("worthwhile"),
            Some("Enter a whole number from 0 to 10")
        );
        assert_eq!(
            e.get("happiness"),
            Some("Enter a whole number from 0 to 10")
        );
        assert_eq!(
            e.get("anxiety"),
            Some("Answer this question with a number from 0 to 10")
        );
        let zeros: Vec<(&str, &str)> = Instrument::Wemwbs
            .items()
            .iter()
            .map(|i| (i.0, "0"))
            .collect();
        let e = answers(Instrument::Wemwbs, &zeros).unwrap_err();
        assert_eq!(e.0.len(), 14, "every WEMWBS item is 1–5");
        let e = answers(Instrument::Mycaw, &[("concern_1", "7"), ("wellbeing", "3")]).unwrap_err();
        assert_eq!(
            e.0.len(),
            1,
            "second concern is optional; 7 is out of range"
        );
    }

    #[test]
    fn wemwbs_totals_and_mycaw_concerns() {
        let fours: Vec<(&str, &str)> = Instrument::Wemwbs
            .items()
            .iter()
            .map(|i| (i.0, "4"))
            .collect();
        assert_eq!(
            answers(Instrument::Wemwbs, &fours).unwrap().score(),
            Score::Wemwbs(56)
        );
        let m = answers(Instrument::Mycaw, &[("concern_1", "5"), ("wellbeing", "2")]).unwrap();
        assert_eq!(
            m.score(),
            Score::Mycaw {
                concern_1: 5,
                concern_2: None,
                wellbeing: 2
            }
        );
        assert!(Instrument::Wemwbs.notice().is_some());
        assert_eq!(Instrument::from_code("swemwbs"), Some(Instrument::Swemwbs));
    }
}
