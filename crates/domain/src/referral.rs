//! A referral to social prescribing: who referred, why, how urgently, and the person's
//! consent to be referred. A referral without consent is refused.

use crate::person::{check_text, MAX_TEXT};
use crate::{Code, FieldErrors};
use serde::{Deserialize, Serialize};

code_enum!(
    /// Who made the referral.
    ReferralSource {
        Gp => ("gp", "GP"),
        PracticeNurse => ("practice_nurse", "Practice nurse"),
        PracticeStaff => ("practice_staff", "Other practice staff"),
        PcnArrsRole => ("pcn_arrs", "PCN clinical pharmacist or other ARRS role"),
        CommunityPharmacy => ("community_pharmacy", "Community pharmacy"),
        HospitalDischarge => ("hospital_discharge", "Hospital discharge team"),
        SocialCare => ("social_care", "Social care"),
        Housing => ("housing", "Housing association"),
        JobCentre => ("job_centre", "Job centre"),
        Police => ("police", "Police"),
        FireService => ("fire_service", "Fire service"),
        Vcse => ("vcse", "VCSE organisation"),
        SelfReferral => ("self", "Self-referral"),
        Other => ("other", "Other"),
    }
);

code_enum!(
    /// Needs and concerns, flagged at referral and scored at assessment.
    Need {
        MentalHealth => ("mental_health", "Lower-level mental health needs"),
        LongTermConditions => ("long_term_conditions", "One or more long-term conditions"),
        Loneliness => ("loneliness", "Loneliness or social isolation"),
        ComplexSocial => ("complex_social", "Complex social needs"),
        Financial => ("financial", "Financial issues (debt, benefits)"),
        Housing => ("housing", "Housing issues"),
        Carer => ("carer", "Caring responsibilities"),
        DomesticAbuse => ("domestic_abuse", "Domestic violence or abuse"),
        PhysicalActivity => ("physical_activity", "Physical activity"),
        HealthyEating => ("healthy_eating", "Healthy eating or weight management"),
        Employment => ("employment", "Employment and skills"),
        Bereavement => ("bereavement", "Bereavement"),
        SubstanceUse => ("substance_use", "Substance use"),
        DigitalInclusion => ("digital_inclusion", "Digital inclusion"),
        Transport => ("transport", "Transport"),
        Relationships => ("relationships", "Relationships"),
    }
);

code_enum!(Urgency {
    Routine => ("routine", "Routine"),
    Soon => ("soon", "Soon (within a week)"),
    Urgent => ("urgent", "Urgent (within two working days)"),
});

/// What a referral form or API call sends (the person is sent alongside).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralDraft {
    pub source: String,
    pub referrer_name: String,
    pub referrer_role: String,
    pub referrer_organisation: String,
    pub referrer_contact: String,
    pub needs: Vec<String>,
    pub reason: String,
    pub urgency: String,
    pub consent: bool,
}

/// A validated referral.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralDetails {
    pub source: ReferralSource,
    pub referrer_name: String,
    pub referrer_role: String,
    pub referrer_organisation: String,
    pub referrer_contact: String,
    pub needs: Vec<Need>,
    pub reason: String,
    pub urgency: Urgency,
    /// The reference given to a person who referred themselves (none for staff referrals).
    pub reference: Option<String>,
    /// The sending system's own identifier for it (FHIR: `<client> <system>|<value>`), so a
    /// retried send finds the referral already made.
    pub source_identifier: Option<String>,
}

/// The message shown when consent is missing.
pub const CONSENT_REQUIRED: &str =
    "The person must agree to be referred: ask them, and tick the consent box only if they agree";

impl ReferralDraft {
    pub fn validate(&self) -> Result<ReferralDetails, FieldErrors> {
        let mut e = FieldErrors::default();
        let source = match ReferralSource::from_code(self.source.trim()) {
            Some(s) => Some(s),
            None => {
                e.add("source", "Choose who is making the referral");
                None
            }
        };
        let referrer_name = check_text(
            &mut e,
            "referrer_name",
            "Referrer's name",
            &self.referrer_name,
            100,
        );
        let self_referral = source == Some(ReferralSource::SelfReferral);
        if referrer_name.is_empty() && !self_referral && e.get("referrer_name").is_none() {
            e.add("referrer_name", "Enter the referrer's name");
        }
        let referrer_role = check_text(
            &mut e,
            "referrer_role",
            "Referrer's role",
            &self.referrer_role,
            100,
        );
        let referrer_organisation = check_text(
            &mut e,
            "referrer_organisation",
            "Referrer's organisation",
            &self.referrer_organisation,
            200,
        );
        let referrer_contact = check_text(
            &mut e,
            "referrer_contact",
            "Referrer's contact details",
            &self.referrer_contact,
            200,
        );
        if referrer_contact.is_empty() && !self_referral && e.get("referrer_contact").is_none() {
            e.add(
                "referrer_contact",
                "Enter a telephone number or email so the link worker can reply to the referrer",
            );
        }
        let mut needs = Vec::new();
        for code in &self.needs {
            match Need::from_code(code.trim()) {
                Some(n) if !needs.contains(&n) => needs.push(n),
                Some(_) => {}
                None => e.add("needs", format!("'{code}' is not a known need")),
            }
        }
        let reason = check_text(
            &mut e,
            "reason",
            "Reason for referral",
            &self.reason,
            MAX_TEXT,
        );
        if needs.is_empty() && reason.is_empty() && e.get("needs").is_none() {
            e.add(
                "needs",
                "Tick at least one need, or describe the reason for referral",
            );
        }
        let urgency = if self.urgency.trim().is_empty() {
            Some(Urgency::Routine)
        } else {
            let u = Urgency::from_code(self.urgency.trim());
            if u.is_none() {
                e.add("urgency", "Choose how urgent the referral is");
            }
            u
        };
        if !self.consent {
            e.add("consent", CONSENT_REQUIRED);
        }
        match (source, urgency) {
            (Some(source), Some(urgency)) if e.is_empty() => Ok(ReferralDetails {
                source,
                referrer_name,
                referrer_role,
                referrer_organisation,
                referrer_contact,
                needs,
                reason,
                urgency,
                reference: None,
                source_identifier: None,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> ReferralDraft {
        ReferralDraft {
            source: "gp".into(),
            referrer_name: "Dr Example".into(),
            referrer_contact: "0113 496 0001".into(),
            needs: vec!["loneliness".into(), "financial".into()],
            consent: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_referral_is_valid() {
        let r = good().validate().unwrap();
        assert_eq!(r.needs, vec![Need::Loneliness, Need::Financial]);
        assert_eq!(r.urgency, Urgency::Routine);
    }

    #[test]
    fn without_consent_it_is_refused_with_the_reason() {
        let mut d = good();
        d.consent = false;
        let e = d.validate().unwrap_err();
        assert_eq!(e.get("consent"), Some(CONSENT_REQUIRED));
    }

    #[test]
    fn self_referral_needs_no_referrer_details() {
        let d = ReferralDraft {
            source: "self".into(),
            reason: "I feel lonely".into(),
            consent: true,
            ..Default::default()
        };
        assert!(d.validate().is_ok());
    }

    #[test]
    fn a_referral_must_say_why() {
        let mut d = good();
        d.needs.clear();
        assert!(d.validate().unwrap_err().get("needs").is_some());
        d.needs = vec!["flying".into()];
        assert!(d
            .validate()
            .unwrap_err()
            .get("needs")
            .unwrap()
            .contains("flying"));
    }
}
