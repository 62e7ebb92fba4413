//! Coded values of the community directory that are Linkwork's own, kept apart from the
//! Open Referral UK fields: activity categories, capacity, referral mode and access features.

use crate::{AccessNeed, Code, Need};

code_enum!(
    /// What people are connected to: the activity / service categories of DOMAIN.md,
    /// published as the Linkwork taxonomy in the ORUK feed.
    Category {
        Volunteering => ("volunteering", "Volunteering"),
        Exercise => ("exercise", "Exercise and physical activity groups"),
        Walking => ("walking", "Walking groups"),
        Gardening => ("gardening", "Gardening and nature-based activities"),
        Cooking => ("cooking", "Healthy eating and cooking"),
        WeightManagement => ("weight_management", "Weight management"),
        Arts => ("arts", "Arts and culture"),
        Music => ("music", "Singing and music"),
        Sports => ("sports", "Sports"),
        Befriending => ("befriending", "Befriending and social groups"),
        PeerSupport => ("peer_support", "Peer support"),
        CarersSupport => ("carers_support", "Carers' support"),
        BenefitsDebt => ("benefits_debt", "Benefits and debt advice"),
        Housing => ("housing", "Housing help"),
        Employment => ("employment", "Employment support"),
        SpecialistAdvice => ("specialist_advice", "Specialist advice services"),
        MentalWellbeing => ("mental_wellbeing", "Mental wellbeing support"),
        DomesticAbuse => ("domestic_abuse", "Domestic abuse services"),
        DigitalSkills => ("digital_skills", "Digital skills"),
        AdultLearning => ("adult_learning", "Adult learning"),
    }
);

impl Category {
    /// The fixed UUID of this category's term in the Linkwork taxonomy (stable across
    /// deployments, so feeds from two Linkwork sites agree).
    pub fn term_id(self) -> String {
        let n = Self::ALL.iter().position(|c| *c == self).unwrap_or(0) + 1;
        format!("6c696e6b-776f-726b-8000-{n:012x}")
    }

    /// The category whose term has this UUID.
    pub fn from_term_id(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.term_id() == id)
    }

    /// Categories that usually help with a need (used to rank matches).
    pub fn for_need(need: Need) -> &'static [Category] {
        use Category::*;
        match need {
            Need::MentalHealth => &[MentalWellbeing, PeerSupport, Arts, Walking, Gardening],
            Need::LongTermConditions => &[Exercise, Walking, PeerSupport, WeightManagement],
            Need::Loneliness => &[Befriending, Volunteering, Music, Arts, Walking],
            Need::ComplexSocial => &[SpecialistAdvice, Housing, BenefitsDebt],
            Need::Financial => &[BenefitsDebt, SpecialistAdvice],
            Need::Housing => &[Housing, SpecialistAdvice],
            Need::Carer => &[CarersSupport, PeerSupport],
            Need::DomesticAbuse => &[DomesticAbuse],
            Need::PhysicalActivity => &[Exercise, Walking, Sports, Gardening],
            Need::HealthyEating => &[Cooking, WeightManagement],
            Need::Employment => &[Employment, AdultLearning, Volunteering],
            Need::Bereavement => &[PeerSupport, Befriending, MentalWellbeing],
            Need::SubstanceUse => &[SpecialistAdvice, PeerSupport],
            Need::DigitalInclusion => &[DigitalSkills, AdultLearning],
            _ => &[],
        }
    }
}

/// The UUID of the Linkwork activity-category taxonomy.
pub const CATEGORY_TAXONOMY_ID: &str = "6c696e6b-776f-726b-8000-000000000000";

code_enum!(
    /// Whether a service can take new people now (kept current by the partner).
    ServiceCapacity {
        Accepting => ("accepting", "Accepting new people"),
        WaitingList => ("waiting_list", "Waiting list"),
        Full => ("full", "Full: not taking new people"),
    }
);

code_enum!(
    /// How a link worker connects someone to the service.
    ReferralMode {
        Referral => ("referral", "Takes referrals"),
        SignpostOnly => ("signpost", "Signpost only (people contact it themselves)"),
    }
);

code_enum!(
    /// Access features a venue or service offers (searchable, matched to access needs).
    AccessFeature {
        StepFree => ("step_free", "Step-free access"),
        HearingLoop => ("hearing_loop", "Hearing loop"),
        AccessibleToilet => ("accessible_toilet", "Accessible toilet"),
        Bsl => ("bsl", "British Sign Language"),
        LargePrint => ("large_print", "Large print materials"),
        EasyRead => ("easy_read", "Easy read materials"),
        QuietSpace => ("quiet_space", "Quiet space"),
        Parking => ("parking", "Disabled parking"),
    }
);

impl AccessFeature {
    /// The feature that meets a person's access need, if one does.
    pub fn for_need(need: AccessNeed) -> Option<Self> {
        match need {
            AccessNeed::LargePrint => Some(Self::LargePrint),
            AccessNeed::EasyRead => Some(Self::EasyRead),
            AccessNeed::BslInterpreter => Some(Self::Bsl),
            AccessNeed::HearingLoop => Some(Self::HearingLoop),
            AccessNeed::StepFreeAccess => Some(Self::StepFree),
            _ => None,
        }
    }
}

code_enum!(
    /// Days of the week, coded as in iCalendar BYDAY (which ORUK schedules use).
    Weekday {
        Mo => ("MO", "Monday"),
        Tu => ("TU", "Tuesday"),
        We => ("WE", "Wednesday"),
        Th => ("TH", "Thursday"),
        Fr => ("FR", "Friday"),
        Sa => ("SA", "Saturday"),
        Su => ("SU", "Sunday"),
    }
);

impl Weekday {
    /// Reads "TU", "tu", "Tuesday" or "tue".
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() < 2 {
            return None;
        }
        Self::ALL.iter().copied().find(|d| {
            let label = d.label();
            s.eq_ignore_ascii_case(d.code())
                || s.eq_ignore_ascii_case(label)
                || (s.len() >= 3
                    && label
                        .to_ascii_lowercase()
                        .starts_with(&s.to_ascii_lowercase()))
        })
    }

    /// Monday = 0.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|d| *d == self).unwrap_or(0)
    }
}

code_enum!(
    /// Parts of the day a person can make.
    TimeOfDay {
        Morning => ("morning", "Mornings (before 12 noon)"),
        Afternoon => ("afternoon", "Afternoons (12 noon to 5pm)"),
        Evening => ("evening", "Evenings (after 5pm)"),
    }
);

impl TimeOfDay {
    /// Its span in minutes after midnight, [from, to).
    pub fn span(self) -> (u16, u16) {
        match self {
            TimeOfDay::Morning => (0, 12 * 60),
            TimeOfDay::Afternoon => (12 * 60, 17 * 60),
            TimeOfDay::Evening => (17 * 60, 24 * 60),
        }
    }

    /// A short word for reasons ("mornings").
    pub fn word(self) -> &'static str {
        match self {
            TimeOfDay::Morning => "mornings",
            TimeOfDay::Afternoon => "afternoons",
            TimeOfDay::Evening => "evenings",
        }
    }

    /// Whether a session from `opens` to `closes` (minutes after midnight) runs in this
    /// part of the day; `None` when the session lists no times. A session with only an
    /// opening time is taken to last an hour.
    pub fn fits(self, opens: Option<u16>, closes: Option<u16>) -> Option<bool> {
        let opens = opens?;
        let closes = closes.filter(|c| *c > opens).unwrap_or(opens + 60);
        let (from, to) = self.span();
        Some(opens < to && closes > from)
    }
}

/// A time of day "HH:MM" or "HH:MM:SS" as minutes after midnight.
pub fn parse_time_of_day(s: &str) -> Option<u16> {
    let mut parts = s.trim().split(':');
    let h: u16 = parts.next()?.parse().ok()?;
    let m: u16 = parts.next()?.parse().ok()?;
    if let Some(sec) = parts.next() {
        let sec = sec.split('.').next()?;
        let sec: u16 = sec.parse().ok()?;
        if sec > 59 {
            return None;
        }
    }
    if parts.next().is_some() || h > 24 || m > 59 || (h == 24 && m > 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// Metres in a mile: distances are shown and typed in miles, as people in England say them.
pub const METRES_PER_MILE: f64 = 1609.344;

/// A distance in words, in miles: "less than 0.1 miles", "0.4 miles", "1 mile", "2.5 miles".
pub fn miles(m: f64) -> String {
    let miles = m / METRES_PER_MILE;
    if miles < 0.1 {
        return "less than 0.1 miles".into();
    }
    let rounded = (miles * 10.0).round() / 10.0;
    if (rounded - 1.0).abs() < f64::EPSILON {
        "1 mile".into()
    } else if rounded.fract() == 0.0 {
        format!("{rounded:.0} miles")
    } else {
        format!("{rounded:.1} miles")
    }
}

/// Great-circle distance in metres between two WGS84 points.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    #[test]
    fn distances_read_in_miles_with_the_right_plural() {
        use super::miles;
        assert_eq!(miles(100.0), "less than 0.1 miles");
        assert_eq!(miles(1000.0), "0.6 miles");
        assert_eq!(miles(1609.0), "1 mile");
        assert_eq!(miles(3218.7), "2 miles");
        assert_eq!(miles(4023.4), "2.5 miles");
    }

    #[test]
    fn a_session_fits_the_parts_of_the_day_it_overlaps() {
        use super::TimeOfDay::*;
        let t = |h: u16, m: u16| Some(h * 60 + m);
        assert_eq!(Morning.fits(t(10, 0), t(12, 0)), Some(true));
        assert_eq!(Afternoon.fits(t(10, 0), t(12, 0)), Some(false));
        assert_eq!(Afternoon.fits(t(11, 30), t(13, 0)), Some(true));
        assert_eq!(Evening.fits(t(18, 30), None), Some(true));
        assert_eq!(
            Afternoon.fits(t(16, 30), None),
            Some(true),
            "an hour assumed"
        );
        assert_eq!(Evening.fits(None, t(20, 0)), None, "no opening time");
    }

    use super::*;

    #[test]
    fn category_term_ids_are_unique_uuids_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in Category::ALL {
            let id = c.term_id();
            assert_eq!(id.len(), 36);
            assert!(seen.insert(id.clone()));
            assert_eq!(Category::from_term_id(&id), Some(*c));
        }
        assert_ne!(Category::Walking.term_id(), CATEGORY_TAXONOMY_ID);
    }

    #[test]
    fn weekdays_parse_codes_and_names() {
        assert_eq!(Weekday::parse("TU"), Some(Weekday::Tu));
        assert_eq!(Weekday::parse("tuesday"), Some(Weekday::Tu));
        assert_eq!(Weekday::parse("Tue"), Some(Weekday::Tu));
        assert_eq!(Weekday::parse("x"), None);
        assert_eq!(Weekday::parse("Funday"), None);
        assert_eq!(Weekday::Su.code(), "SU");
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time_of_day("10:00:00"), Some(600));
        assert_eq!(parse_time_of_day("9:30"), Some(570));
        assert_eq!(parse_time_of_day("24:00"), Some(1440));
        assert_eq!(parse_time_of_day("25:00"), None);
        assert_eq!(parse_time_of_day("10:60"), None);
        assert_eq!(parse_time_of_day("ten"), None);
    }

    #[test]
    fn distance_between_two_leeds_points_is_about_right() {
        // Two synthetic points 0.01 degrees of latitude apart: about 1.11 km.
        let d = distance_m((53.80, -1.55), (53.81, -1.55));
        assert!((d - 1112.0).abs() < 5.0, "{d}");
    }
}
