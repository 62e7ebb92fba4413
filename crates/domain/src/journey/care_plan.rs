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

code_enum!(
    /// Where a personal health budget stands (DES B3.3: "explore and support access to a
    /// personal health budget where appropriate").
    PhbStatus {
        NotDiscussed => ("not_discussed", "Not discussed yet"),
        NotAppropriate => ("not_appropriate", "Discussed: not right for them now"),
        Declined => ("declined", "Discussed: they do not want one"),
        MayBeEligible => ("may_be_eligible", "Discussed: they may be eligible, not yet referred"),
        Referred => ("referred", "Referred to the personal health budget team"),
        Agreed => ("agreed", "Personal health budget agreed"),
        NotEligible => ("not_eligible", "The personal health budget team found them not eligible"),
    }
);

code_enum!(
    /// Why a person may have a personal health budget: a legal right, or the ICB's choice.
    PhbBasis {
        ContinuingHealthcare => ("chc", "Right to have one: NHS Continuing Healthcare"),
        ChildrensContinuingCare => ("ccc", "Right to have one: children's continuing care"),
        Section117 => ("s117", "Right to have one: section 117 aftercare"),
        Wheelchair => ("wheelchair", "Right to have one: personal wheelchair budget"),
        Local => ("local", "At the ICB's discretion"),
    }
);

impl PhbStatus {
    /// The stages that follow a referral to the PHB team (they need its date).
    pub fn after_referral(self) -> bool {
        matches!(
            self,
            PhbStatus::Referred | PhbStatus::Agreed | PhbStatus::NotEligible
        )
    }
}

/// A personal health budget, as the plan records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phb {
    pub status: PhbStatus,
    #[serde(default)]
    pub basis: Option<PhbBasis>,
    /// When the person was referred to the ICB's PHB team.
    #[serde(default)]
    pub referred_on: Option<NaiveDate>,
    #[serde(default)]
    pub notes: String,
}

impl Default for Phb {
    fn default() -> Self {
        Self {
            status: PhbStatus::NotDiscussed,
            basis: None,
            referred_on: None,
            notes: String::new(),
        }
    }
}

impl Phb {
    /// One line for the person page and the timeline: "Referred to the personal health
    /// budget team on 3 Dec 2026".
    pub fn summary(&self) -> String {
        let mut s = self.status.label().to_string();
        if let (true, Some(d)) = (self.status.after_referral(), self.referred_on) {
            s.push_str(&format!(" (referred {})", d.format("%-d %b %Y")));
        }
        s
    }
}

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
    /// Plans saved before personal health budgets were recorded read as "not discussed".
    #[serde(default)]
    pub phb: Phb,
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
    pub phb_status: String,
    pub phb_basis: String,
    pub phb_referred_on: String,
    pub phb_notes: String,
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
            phb_status: p.phb.status.code().into(),
            phb_basis: p
                .phb
                .basis
                .map(|b| b.code().to_string())
                .unwrap_or_default(),
            phb_referred_on: p.phb.referred_on.map(|d| d.to_string()).unwrap_or_default(),
            phb_notes: p.phb.notes.clone(),
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
        let phb = self.phb(&mut e, today);
        e.into_result(CarePlan {
            agreed_on: today,
            what_matters,
            goals,
            actions,
            support_offered,
            review_on: review_on.unwrap_or(today),
            phb,
        })
    }

    /// The personal health budget part: not discussed when left blank; a referral date for
    /// the stages after a referral, not in the future.
    fn phb(&self, e: &mut FieldErrors, today: NaiveDate) -> Phb {
        let status = match self.phb_status.trim() {
            "" => PhbStatus::NotDiscussed,
            s => PhbStatus::from_code(s).unwrap_or_else(|| {
                e.add("phb_status", "Choose where a personal health budget stands");
                PhbStatus::NotDiscussed
            }),
        };
        let basis = match self.phb_basis.trim() {
            "" => None,
            s => {
                let b = PhbBasis::from_code(s);
                if b.is_none() {
                    e.add("phb_basis", "Choose why they may have one from the list");
                }
                b
            }
        };
        let referred_on = if status.after_referral() {
            let d = date_field(
                e,
                "phb_referred_on",
                &self.phb_referred_on,
                "the date they were referred to the personal health budget team",
            );
            if d.is_some_and(|d| d > today) {
                e.add(
                    "phb_referred_on",
                    "The referral date cannot be in the future",
                );
            }
            d
        } else {
            if !self.phb_referred_on.trim().is_empty() {
                e.add(
                    "phb_referred_on",
                    "Leave the referral date empty, or choose a stage after a referral",
                );
            }
            None
        };
        let notes = optional_text(e, "phb_notes", &self.phb_notes);
        Phb {
            status,
            basis,
            referred_on,
            notes,
        }
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
            ..Default::default()
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
    fn a_personal_health_budget_referral_needs_its_date() {
        // Left blank: not discussed, as in plans saved before it was recorded.
        let p = plan_draft().validate(today()).unwrap();
        assert_eq!(p.phb.status, PhbStatus::NotDiscussed);
        let old: CarePlan = serde_json::from_str(
            r#"{"agreed_on":"2026-11-01","what_matters":"x","goals":["y"],"actions":[],"review_on":"2026-12-01"}"#,
        )
        .unwrap();
        assert_eq!(old.phb, Phb::default());
        let mut d = plan_draft();
        d.phb_status = "referred".into();
        let e = d.validate(today()).unwrap_err();
        assert!(e.get("phb_referred_on").is_some(), "{e}");
        d.phb_referred_on = "2026-11-30".into();
        let e = d.validate(today()).unwrap_err();
        assert!(e.get("phb_referred_on").unwrap().contains("future"), "{e}");
        d.phb_referred_on = "2026-11-20".into();
        d.phb_basis = "chc".into();
        let p = d.validate(today()).unwrap();
        assert_eq!(p.phb.basis, Some(PhbBasis::ContinuingHealthcare));
        assert_eq!(
            p.phb.summary(),
            "Referred to the personal health budget team (referred 20 Nov 2026)"
        );
        assert_eq!(PlanDraft::from_plan(&p).validate(today()).unwrap(), p);
        let mut d = plan_draft();
        d.phb_status = "declined".into();
        d.phb_referred_on = "2026-11-20".into();
        assert!(d.validate(today()).is_err(), "a date with no referral");
        d.phb_status = "nonsense".into();
        assert!(d.validate(today()).unwrap_err().get("phb_status").is_some());
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
