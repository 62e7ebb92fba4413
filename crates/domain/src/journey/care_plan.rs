//! The personalised care and support plan: goals and actions agreed with the person, and
//! the form draft it comes from.

use super::{date_field, optional_text, required_text};
use crate::errors::FieldErrors;
use crate::Code;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
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
}
