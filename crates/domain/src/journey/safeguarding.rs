//! Safeguarding concerns raised to a GP supervisor, open until closed with the action taken.
//! Structured as safeguarding teams ask: adult or child, the kind of abuse or concern (the
//! Care Act 2014 categories, and those for children), how urgent, and whether and when the
//! local authority's safeguarding team was contacted.

use super::{optional_text, required_text};
use crate::errors::FieldErrors;
use crate::Code;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

code_enum!(
    /// Who the concern is about.
    SafeguardingSubject {
        Adult => ("adult", "An adult"),
        Child => ("child", "A child or young person (under 18)"),
    }
);

code_enum!(
    /// The kind of abuse or concern (Care Act 2014 categories, and those for children).
    ConcernKind {
        Physical => ("physical", "Physical abuse"),
        Domestic => ("domestic", "Domestic abuse"),
        Sexual => ("sexual", "Sexual abuse or exploitation"),
        Psychological => ("psychological", "Psychological or emotional abuse"),
        Financial => ("financial", "Financial or material abuse"),
        ModernSlavery => ("modern_slavery", "Modern slavery"),
        Discriminatory => ("discriminatory", "Discriminatory abuse"),
        Organisational => ("organisational", "Organisational abuse"),
        Neglect => ("neglect", "Neglect or acts of omission"),
        SelfNeglect => ("self_neglect", "Self-neglect"),
        Exploitation => ("exploitation", "Criminal exploitation (such as county lines)"),
        SelfHarm => ("self_harm", "Risk of suicide or self-harm"),
        Other => ("other", "Something else"),
    }
);

code_enum!(
    /// How soon the GP supervisor must act on it.
    SafeguardingUrgency {
        Immediate => ("immediate", "Immediate risk: act today"),
        Urgent => ("urgent", "Urgent: within 1 working day"),
        Routine => ("routine", "Routine: within 5 working days"),
    }
);

impl SafeguardingUrgency {
    /// How long the supervisor has to act before the concern shows as overdue.
    pub fn allowed(self) -> Duration {
        match self {
            SafeguardingUrgency::Immediate => Duration::hours(8),
            SafeguardingUrgency::Urgent => Duration::hours(24),
            // Five working days: a calendar week.
            SafeguardingUrgency::Routine => Duration::days(7),
        }
    }
}

/// A safeguarding concern raised to a GP supervisor. Open until the supervisor records the
/// action taken and closes it. Concerns raised before the structured fields read as routine,
/// with the rest unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Safeguarding {
    pub concern: String,
    pub raised_to: i64,
    #[serde(default)]
    pub about: Option<SafeguardingSubject>,
    #[serde(default)]
    pub kinds: Vec<ConcernKind>,
    #[serde(default)]
    pub urgency: Option<SafeguardingUrgency>,
    /// What the link worker already did when raising it.
    #[serde(default)]
    pub action_so_far: String,
    /// Whether the local authority's safeguarding team has been contacted (None: not said).
    #[serde(default)]
    pub la_contacted: Option<bool>,
    #[serde(default)]
    pub la_contacted_on: Option<NaiveDate>,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
}

/// A concern as the form sends it.
#[derive(Debug, Clone, Default)]
pub struct SafeguardingDraft {
    pub about: String,
    pub kinds: Vec<String>,
    pub urgency: String,
    pub concern: String,
    pub action_so_far: String,
    /// "yes", "no" or empty.
    pub la_contacted: String,
    pub la_contacted_on: String,
}

/// "yes"/"no" and a date when yes, not in the future.
fn local_authority(
    e: &mut FieldErrors,
    contacted: &str,
    on: &str,
    today: NaiveDate,
) -> (Option<bool>, Option<NaiveDate>) {
    match contacted.trim() {
        "yes" => {
            let d = crate::person::parse_date(on);
            match d {
                None if on.trim().is_empty() => e.add(
                    "la_contacted_on",
                    "Enter the date the local authority was contacted",
                ),
                None => e.add(
                    "la_contacted_on",
                    "The date the local authority was contacted must be a real date, like 2026-12-01",
                ),
                Some(d) if d > today => e.add(
                    "la_contacted_on",
                    "The date the local authority was contacted cannot be in the future",
                ),
                Some(_) => {}
            }
            (Some(true), d)
        }
        "no" => {
            if !on.trim().is_empty() {
                e.add(
                    "la_contacted_on",
                    "Leave the date empty, or say the local authority was contacted",
                );
            }
            (Some(false), None)
        }
        _ => {
            e.add(
                "la_contacted",
                "Say whether the local authority's safeguarding team has been contacted",
            );
            (None, None)
        }
    }
}

impl Safeguarding {
    pub fn new(
        d: &SafeguardingDraft,
        raised_to: Option<i64>,
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let about = SafeguardingSubject::from_code(d.about.trim());
        if about.is_none() {
            e.add(
                "about",
                "Say whether the concern is about an adult or a child",
            );
        }
        let mut kinds = vec![];
        for k in &d.kinds {
            match ConcernKind::from_code(k.trim()) {
                Some(k) if !kinds.contains(&k) => kinds.push(k),
                Some(_) => {}
                None => e.add("kinds", "Choose the kinds of concern from the list"),
            }
        }
        if d.kinds.is_empty() {
            e.add("kinds", "Choose at least one kind of abuse or concern");
        }
        let urgency = SafeguardingUrgency::from_code(d.urgency.trim());
        if urgency.is_none() {
            e.add("urgency", "Say how urgent it is");
        }
        let concern = required_text(&mut e, "concern", &d.concern, "the concern");
        let action_so_far = optional_text(&mut e, "action_so_far", &d.action_so_far);
        let (la_contacted, la_contacted_on) =
            local_authority(&mut e, &d.la_contacted, &d.la_contacted_on, today);
        if raised_to.is_none() {
            e.add("raised_to", "Choose the GP supervisor to raise it with");
        }
        e.into_result(Self {
            concern,
            raised_to: raised_to.unwrap_or_default(),
            about,
            kinds,
            urgency,
            action_so_far,
            la_contacted,
            la_contacted_on,
            action: String::new(),
            closed_on: None,
        })
    }

    /// The supervisor records what was done, whether the local authority was contacted, and
    /// closes the concern.
    pub fn close(
        &self,
        action: &str,
        la_contacted: &str,
        la_contacted_on: &str,
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let action = required_text(&mut e, "action", action, "the action taken");
        let (contacted, on) = local_authority(&mut e, la_contacted, la_contacted_on, today);
        e.into_result(Self {
            action,
            la_contacted: contacted,
            la_contacted_on: on,
            closed_on: Some(today),
            ..self.clone()
        })
    }

    /// How urgent it is (routine for concerns raised before urgency was recorded).
    pub fn urgency(&self) -> SafeguardingUrgency {
        self.urgency.unwrap_or(SafeguardingUrgency::Routine)
    }

    /// When the supervisor should have acted by.
    pub fn due(&self, raised: DateTime<Utc>) -> DateTime<Utc> {
        raised + self.urgency().allowed()
    }

    /// The kinds of concern in words: "Domestic abuse, Self-neglect".
    pub fn kinds_label(&self) -> String {
        if self.kinds.is_empty() {
            return "Not recorded".into();
        }
        self.kinds
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The local authority contact in words.
    pub fn local_authority_label(&self) -> String {
        match (self.la_contacted, self.la_contacted_on) {
            (Some(true), Some(d)) => format!("Contacted on {}", d.format("%-d %b %Y")),
            (Some(true), None) => "Contacted".into(),
            (Some(false), _) => "Not contacted".into(),
            (None, _) => "Not recorded".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
    }

    fn draft() -> SafeguardingDraft {
        SafeguardingDraft {
            about: "adult".into(),
            kinds: vec!["domestic".into(), "financial".into()],
            urgency: "urgent".into(),
            concern: "Bruising seen; says her son takes her pension".into(),
            action_so_far: String::new(),
            la_contacted: "no".into(),
            la_contacted_on: String::new(),
        }
    }

    #[test]
    fn a_concern_is_structured_and_closes_with_an_action() {
        let s = Safeguarding::new(&draft(), Some(3), today()).unwrap();
        assert_eq!(
            s.kinds_label(),
            "Domestic abuse, Financial or material abuse"
        );
        assert_eq!(s.local_authority_label(), "Not contacted");
        let raised = Utc::now();
        assert_eq!(s.due(raised), raised + Duration::hours(24));
        // Each missing part is named.
        let e = Safeguarding::new(&SafeguardingDraft::default(), None, today()).unwrap_err();
        for field in [
            "about",
            "kinds",
            "urgency",
            "concern",
            "la_contacted",
            "raised_to",
        ] {
            assert!(e.get(field).is_some(), "{field}: {e}");
        }
        // Contacted: the date is needed, and not in the future.
        let mut d = draft();
        d.la_contacted = "yes".into();
        assert!(Safeguarding::new(&d, Some(3), today())
            .unwrap_err()
            .get("la_contacted_on")
            .is_some());
        d.la_contacted_on = "2026-11-22".into();
        assert!(Safeguarding::new(&d, Some(3), today())
            .unwrap_err()
            .get("la_contacted_on")
            .unwrap()
            .contains("future"));
        assert!(s.close(" ", "no", "", today()).is_err());
        let c = s
            .close(
                "Discussed with the GP; adult social care informed",
                "yes",
                "2026-11-21",
                today(),
            )
            .unwrap();
        assert_eq!(c.closed_on, Some(today()));
        assert_eq!(c.local_authority_label(), "Contacted on 21 Nov 2026");
        // A concern saved before the structure reads as routine.
        let old: Safeguarding =
            serde_json::from_str(r#"{"concern":"x","raised_to":3,"action":"","closed_on":null}"#)
                .unwrap();
        assert_eq!(old.urgency(), SafeguardingUrgency::Routine);
        assert_eq!(old.kinds_label(), "Not recorded");
    }
}
