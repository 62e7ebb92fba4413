//! What a link worker records after first contact, as documents held against an episode:
//! the "what matters to me" assessment, the personalised care and support plan, outcome
//! measures, safeguarding concerns, referral back to a clinician, health service use and
//! the discharge summary. Each has a draft (text from a form or API, checked here) and a
//! checked value that storage keeps as JSON.

mod assessment;
mod care_plan;
mod discharge_summary;
mod health_use;
mod measure;
mod referral_back;
mod safeguarding;

pub use assessment::{
    need_score_label, Assessment, AssessmentDraft, NeedScore, Preferences, NEED_SCORE, TRAVEL_MILES,
};
pub use care_plan::{
    ActionDraft, ActionOwner, CarePlan, Phb, PhbBasis, PhbStatus, PlanAction, PlanDraft,
    PLAN_ACTIONS, PLAN_GOALS,
};
pub use discharge_summary::{may_close_unreachable, DischargeSummary};
pub use health_use::{HealthPeriod, HealthUse};
pub use measure::{Headline, Measure};
pub use referral_back::ReferralBack;
pub use safeguarding::{
    ConcernKind, Safeguarding, SafeguardingDraft, SafeguardingSubject, SafeguardingUrgency,
};

use crate::errors::FieldErrors;
use crate::person::{parse_date, MAX_TEXT};
use chrono::NaiveDate;

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
