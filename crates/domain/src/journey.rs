//! What a link worker records after first contact, as documents held against an episode:
//! the "what matters to me" assessment, the personalised care and support plan, outcome
//! measures, safeguarding concerns, referral back to a clinician, health service use and
//! the discharge summary. Each has a draft (text from a form or API, checked here) and a
//! checked value that storage keeps as JSON.

use crate::errors::FieldErrors;
use crate::outcomes::{Answers, Instrument, MeasurePoint};
use crate::person::{parse_date, MAX_TEXT};
use crate::{Category, Code, DischargeReason, Need};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

code_enum!(
    /// The kinds of document held against an episode.
    RecordKind {
        Assessment => ("assessment", "What matters and needs assessment"),
        Plan => ("plan", "Personalised care and support plan"),
        Measure => ("measure", "Outcome measure"),
        Safeguarding => ("safeguarding", "Safeguarding concern"),
        ReferralBack => ("referral_back", "Referral back to a clinician"),
        HealthUse => ("health_use", "Health service use"),
        Discharge => ("discharge", "Discharge summary"),
    }
);

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

fn required_text(e: &mut FieldErrors, field: &'static str, v: &str, what: &str) -> String {
    if v.trim().is_empty() {
        e.add(field, format!("Enter {what}"));
        return String::new();
    }
    optional_text(e, field, v)
}

fn optional_text(
    e: &mut FieldErrors,
    field: impl Into<std::borrow::Cow<'static, str>>,
    v: &str,
) -> String {
    let v = v.trim();
    if v.chars().count() > MAX_TEXT || v.chars().any(|c| c.is_control() && !"\n\r\t".contains(c)) {
        e.add(
            field,
            format!("Keep this to {MAX_TEXT} characters of ordinary text"),
        );
    }
    v.to_string()
}

fn date_field(
    e: &mut FieldErrors,
    field: impl Into<std::borrow::Cow<'static, str>>,
    v: &str,
    what: &str,
) -> Option<NaiveDate> {
    let field = field.into();
    match v.trim() {
        "" => {
            e.add(field, format!("Enter {what}"));
            None
        }
        s => {
            let d = parse_date(s);
            if d.is_none() {
                e.add(
                    field,
                    format!("{what} must be a real date, like 2026-12-01"),
                );
            }
            d
        }
    }
}

// ---------------------------------------------------------------------------------------
// "What matters to me" and the holistic assessment

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
}

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
        })
    }
}

// ---------------------------------------------------------------------------------------
// The personalised care and support plan

code_enum!(
    /// Who will do an action in the plan.
    ActionOwner {
        Person => ("person", "The person"),
        LinkWorker => ("link_worker", "Link worker"),
        Other => ("other", "Someone else"),
    }
);

/// Goals a plan form offers, and action rows.
pub const PLAN_GOALS: usize = 5;
pub const PLAN_ACTIONS: usize = 6;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanAction {
    pub what: String,
    pub owner: ActionOwner,
    #[serde(default)]
    pub owner_name: String,
    pub due: NaiveDate,
}

/// A plan agreed with the person. Each review saves a new version; earlier ones are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarePlan {
    pub agreed_on: NaiveDate,
    pub what_matters: String,
    /// In the person's own words.
    pub goals: Vec<String>,
    pub actions: Vec<PlanAction>,
    #[serde(default)]
    pub support_offered: String,
    pub review_on: NaiveDate,
}

#[derive(Debug, Clone, Default)]
pub struct ActionDraft {
    pub what: String,
    pub owner: String,
    pub owner_name: String,
    pub due: String,
}

/// A plan as a form sends it: `what_matters`, `goal_1`…`goal_5`, `action_what_N`,
/// `action_owner_N`, `action_owner_name_N`, `action_due_N` (N = 1…6), `support_offered`,
/// `review_on`.
#[derive(Debug, Clone, Default)]
pub struct PlanDraft {
    pub what_matters: String,
    pub goals: Vec<String>,
    pub actions: Vec<ActionDraft>,
    pub support_offered: String,
    pub review_on: String,
}

impl PlanDraft {
    /// A draft showing a plan (to review it), padded to the form's rows.
    pub fn from_plan(p: &CarePlan) -> Self {
        let mut d = Self {
            what_matters: p.what_matters.clone(),
            goals: p.goals.clone(),
            actions: p
                .actions
                .iter()
                .map(|a| ActionDraft {
                    what: a.what.clone(),
                    owner: a.owner.code().into(),
                    owner_name: a.owner_name.clone(),
                    due: a.due.to_string(),
                })
                .collect(),
            support_offered: p.support_offered.clone(),
            review_on: p.review_on.to_string(),
        };
        d.pad();
        d
    }

    /// Makes sure there are as many goal and action rows as the form shows.
    pub fn pad(&mut self) {
        while self.goals.len() < PLAN_GOALS {
            self.goals.push(String::new());
        }
        while self.actions.len() < PLAN_ACTIONS {
            self.actions.push(ActionDraft::default());
        }
    }

    pub fn validate(&self, today: NaiveDate) -> Result<CarePlan, FieldErrors> {
        let mut e = FieldErrors::default();
        let what_matters = required_text(
            &mut e,
            "what_matters",
            &self.what_matters,
            "what matters to the person",
        );
        let mut goals = vec![];
        for (i, g) in self.goals.iter().enumerate().take(PLAN_GOALS) {
            let g = optional_text(&mut e, format!("goal_{}", i + 1), g);
            if !g.is_empty() {
                goals.push(g);
            }
        }
        if goals.is_empty() {
            e.add("goal_1", "Write at least one goal, in the person's words");
        }
        let mut actions = vec![];
        for (i, a) in self.actions.iter().enumerate().take(PLAN_ACTIONS) {
            let n = i + 1;
            let blank = a.what.trim().is_empty()
                && a.owner_name.trim().is_empty()
                && a.due.trim().is_empty();
            if blank {
                continue;
            }
            let what = optional_text(&mut e, format!("action_what_{n}"), &a.what);
            if what.is_empty() {
                e.add(
                    format!("action_what_{n}"),
                    format!("Say what action {n} is"),
                );
            }
            let owner = ActionOwner::from_code(a.owner.trim());
            if owner.is_none() {
                e.add(
                    format!("action_owner_{n}"),
                    format!("Choose who will do action {n}"),
                );
            }
            let owner_name = optional_text(&mut e, format!("action_owner_name_{n}"), &a.owner_name);
            if owner == Some(ActionOwner::Other) && owner_name.is_empty() {
                e.add(
                    format!("action_owner_name_{n}"),
                    format!("Say who else will do action {n}"),
                );
            }
            let due = date_field(
                &mut e,
                format!("action_due_{n}"),
                &a.due,
                &format!("the date action {n} is due"),
            );
            if let (Some(owner), Some(due)) = (owner, due) {
                actions.push(PlanAction {
                    what,
                    owner,
                    owner_name,
                    due,
                });
            }
        }
        let support_offered = optional_text(&mut e, "support_offered", &self.support_offered);
        let review_on = date_field(&mut e, "review_on", &self.review_on, "the review date");
        if let Some(r) = review_on {
            if r < today {
                e.add("review_on", "The review date must be today or later");
            } else if r > today + chrono::Days::new(366) {
                e.add("review_on", "The review date must be within a year");
            }
        }
        e.into_result(CarePlan {
            agreed_on: today,
            what_matters,
            goals,
            actions,
            support_offered,
            review_on: review_on.unwrap_or(today),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Outcome measures

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

// ---------------------------------------------------------------------------------------
// Safeguarding, referral back, health service use, discharge

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
    fn reassessment_starts_from_the_last_one() {
        let mut d = assessment_draft();
        d.needs[2].1 = "5".into();
        let a = d.validate(today()).unwrap();
        let again = AssessmentDraft::from_assessment(&a, today());
        assert_eq!(again.validate(today()).unwrap().needs, a.needs);
    }

    fn plan_draft() -> PlanDraft {
        let mut d = PlanDraft {
            what_matters: "Meeting people".into(),
            goals: vec!["Go to the garden club every week".into()],
            actions: vec![ActionDraft {
                what: "Phone the garden club".into(),
                owner: "person".into(),
                owner_name: String::new(),
                due: "2026-12-01".into(),
            }],
            support_offered: String::new(),
            review_on: "2027-01-15".into(),
        };
        d.pad();
        d
    }

    #[test]
    fn a_plan_needs_a_goal_and_a_future_review() {
        let p = plan_draft().validate(today()).unwrap();
        assert_eq!(p.goals.len(), 1);
        assert_eq!(p.actions[0].owner, ActionOwner::Person);
        let mut d = plan_draft();
        d.goals = vec![];
        d.review_on = "2026-11-01".into();
        d.pad();
        let e = d.validate(today()).unwrap_err();
        assert!(e.get("goal_1").is_some(), "{e}");
        assert!(e.get("review_on").unwrap().contains("today or later"));
        let round = PlanDraft::from_plan(&p).validate(today()).unwrap();
        assert_eq!(round, p);
    }

    #[test]
    fn half_filled_action_rows_are_refused() {
        let mut d = plan_draft();
        d.actions[1].what = "Call the council".into();
        d.actions[2].owner = "other".into();
        d.actions[2].what = "Housing form".into();
        d.actions[2].due = "2026-13-01".into();
        let e = d.validate(today()).unwrap_err();
        assert!(e.get("action_owner_2").is_some(), "{e}");
        assert!(e.get("action_due_2").is_some(), "{e}");
        assert!(e.get("action_owner_name_3").is_some(), "{e}");
        assert!(e.get("action_due_3").unwrap().contains("real date"));
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

    #[test]
    fn health_use_counts_are_bounded() {
        let h = HealthUse::parse("before", "12", "2").unwrap();
        assert_eq!((h.gp_appointments, h.ae_attendances), (12, 2));
        let e = HealthUse::parse("during", "-1", "1000").unwrap_err();
        assert_eq!(e.0.len(), 3, "{e}");
    }

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
