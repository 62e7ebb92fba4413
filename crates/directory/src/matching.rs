//! Matching: which directory services to propose for a person, ranked, each with the
//! reasons it was proposed (and anything to check). Works on the facts held in memory,
//! so it costs a pass over the directory and no database query.

use crate::search::{Facts, SearchIndex};
use domain::{AccessFeature, Category, Code, Need, ReferralMode, ServiceCapacity, Weekday};

/// What is known about the person that matters for matching.
#[derive(Debug, Clone, Default)]
pub struct MatchProfile {
    /// Needs with their weight (assessment score 1–5; referral needs count as 3).
    pub needs: Vec<(Need, u8)>,
    pub interests: Vec<Category>,
    pub age: Option<f64>,
    /// Where they live (postcode centroid).
    pub near: Option<(f64, f64)>,
    /// Farthest they would travel; services farther away are left out.
    pub max_distance_m: f64,
    /// Their preferred language, if not English.
    pub language: Option<String>,
    /// Access features their needs call for.
    pub access: Vec<AccessFeature>,
    /// Days they can make (any day when empty).
    pub days: Vec<Weekday>,
    pub free_only: bool,
    pub limit: usize,
}

/// A proposed service.
#[derive(Debug, Clone)]
pub struct Match {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub score: f64,
    pub distance_m: Option<f64>,
    pub takes_referrals: bool,
    pub capacity: ServiceCapacity,
    /// Why it was proposed, in plain words.
    pub reasons: Vec<String>,
    /// What to check before connecting the person.
    pub cautions: Vec<String>,
}

fn km(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

/// Why a service is proposed and what to check: written only for the services shown, so
/// scoring thousands of services allocates nothing.
struct Notes {
    explain: bool,
    /// Needs and interests the service helps with.
    helps: usize,
    reasons: Vec<String>,
    cautions: Vec<String>,
}

impl Notes {
    fn reason(&mut self, text: impl FnOnce() -> String) {
        if self.explain {
            self.reasons.push(text());
        }
    }
    fn caution(&mut self, text: impl FnOnce() -> String) {
        if self.explain {
            self.cautions.push(text());
        }
    }
}

/// A service's score for the person, with its distance from their home, or `None` when it
/// is not proposed at all.
/// The person's language when it is not English, lower-cased.
fn language(p: &MatchProfile) -> Option<String> {
    p.language
        .as_ref()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty() && l != "english")
}

/// A service as shown to the link worker: its score, reasons and cautions.
fn explain(f: &Facts, p: &MatchProfile, lang: Option<&str>) -> Option<Match> {
    let mut n = Notes {
        explain: true,
        helps: 0,
        reasons: Vec::new(),
        cautions: Vec::new(),
    };
    let (score, distance) = consider(f, p, lang, &mut n)?;
    Some(Match {
        id: f.id.clone(),
        name: f.name.clone(),
        organization: f.organization.clone(),
        score,
        distance_m: distance,
        takes_referrals: f.referral_mode == ReferralMode::Referral,
        capacity: f.capacity,
        reasons: n.reasons,
        cautions: n.cautions,
    })
}

/// `lang` is the person's language when not English, lower-cased.
fn consider(
    f: &Facts,
    p: &MatchProfile,
    lang: Option<&str>,
    n: &mut Notes,
) -> Option<(f64, Option<f64>)> {
    if f.retired || !matches!(f.status.as_str(), "active" | "temporarily closed") {
        return None;
    }
    if let Some(age) = p.age {
        if f.min_age.is_some_and(|m| age < m) || f.max_age.is_some_and(|m| age > m) {
            return None;
        }
    }
    if p.free_only && !f.free {
        return None;
    }
    let mut score = 0.0;
    // Needs and interests: a service must help with at least one to be proposed.
    for (need, weight) in &p.needs {
        if let Some(c) = Category::for_need(*need)
            .iter()
            .find(|c| f.categories.contains(c))
        {
            score += 10.0 * f64::from(*weight) / 3.0;
            n.helps += 1;
            n.reason(|| {
                format!(
                    "Helps with {} ({})",
                    need.label().to_lowercase(),
                    c.label().to_lowercase()
                )
            });
        }
    }
    for i in &p.interests {
        if f.categories.contains(i) {
            score += 8.0;
            n.helps += 1;
            n.reason(|| format!("Matches their interest in {}", i.label().to_lowercase()));
        }
    }
    if n.helps == 0 {
        return None;
    }
    let distance = p.near.and_then(|near| {
        f.points
            .iter()
            .filter_map(|(_, pt)| pt.map(|pt| domain::directory::distance_m(near, pt)))
            .min_by(|a, b| a.total_cmp(b))
    });
    match (p.near, distance) {
        (Some(_), Some(d)) if d > p.max_distance_m => return None,
        (Some(_), Some(d)) => {
            score += 8.0 * (1.0 - d / p.max_distance_m.max(1.0));
            n.reason(|| format!("{} from their home", km(d)));
        }
        (Some(_), None) if !f.points.is_empty() => {
            n.caution(|| "Venue location not known: check how far it is".into());
        }
        _ => {}
    }
    if f.free {
        score += 2.0;
        n.reason(|| "Free".into());
    }
    if let Some(age) = p.age {
        if f.min_age.is_some() || f.max_age.is_some() {
            score += 1.0;
            n.reason(|| format!("Open to people aged {age:.0}"));
        }
    }
    if !p.days.is_empty() {
        let wanted: u8 = p.days.iter().fold(0, |b, d| b | (1u8 << d.index()));
        let runs: u8 = Weekday::ALL
            .iter()
            .map(|d| 1u8 << d.index())
            .filter(|bit| {
                wanted & bit != 0
                    && f.sessions
                        .iter()
                        .any(|(days, _, _)| *days == 0 || days & bit != 0)
            })
            .fold(0, |b, bit| b | bit);
        if runs == 0 {
            if f.sessions.is_empty() {
                n.caution(|| "No timetable listed: check when it runs".into());
            } else {
                return None;
            }
        } else {
            score += 3.0;
            n.reason(|| {
                let days: Vec<&str> = Weekday::ALL
                    .iter()
                    .filter(|d| runs & (1u8 << d.index()) != 0)
                    .map(|d| d.label())
                    .collect();
                format!("Runs on {}", days.join(", "))
            });
        }
    }
    if let Some(lang) = lang {
        if f.languages.iter().any(|l| l == lang) {
            score += 5.0;
            n.reason(|| format!("Offered in {}", titlecase(lang)));
        } else {
            n.caution(|| {
                format!(
                    "{} not listed: an interpreter may be needed",
                    titlecase(lang)
                )
            });
        }
    }
    for a in &p.access {
        if f.access.contains(a) {
            score += 2.0;
            n.reason(|| a.label().to_string());
        } else {
            score -= 2.0;
            n.caution(|| format!("{} not listed", a.label()));
        }
    }
    match f.capacity {
        ServiceCapacity::Accepting => {
            score += 3.0;
            n.reason(|| "Taking new people".into());
        }
        ServiceCapacity::WaitingList => n.caution(|| "Has a waiting list".into()),
        ServiceCapacity::Full => {
            score -= 15.0;
            n.caution(|| "Full at the moment".into());
        }
    }
    Some((score, distance))
}

fn titlecase(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl SearchIndex {
    /// Services proposed for a person, best first.
    pub fn match_services(&self, p: &MatchProfile) -> Vec<Match> {
        let lang = language(p);
        let lang = lang.as_deref();
        self.with_facts(|facts| {
            let mut quiet = Notes {
                explain: false,
                helps: 0,
                reasons: Vec::new(),
                cautions: Vec::new(),
            };
            let mut ranked: Vec<(f64, &Facts)> = facts
                .iter()
                .filter_map(|f| {
                    quiet.helps = 0;
                    consider(f, p, lang, &mut quiet).map(|(score, _)| (score, f))
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
            ranked.truncate(p.limit.max(1));
            ranked
                .into_iter()
                .filter_map(|(_, f)| explain(f, p, lang))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(f: &Facts, p: &MatchProfile) -> Option<Match> {
        explain(f, p, language(p).as_deref())
    }

    fn facts(id: &str, cats: &[Category]) -> Facts {
        Facts {
            id: id.into(),
            name: format!("Service {id}"),
            organization: "Org".into(),
            public: true,
            retired: false,
            status: "active".into(),
            min_age: None,
            max_age: None,
            term_ids: vec![],
            taxonomy_ids: vec![],
            categories: cats.to_vec(),
            sessions: vec![],
            free: false,
            access: vec![],
            languages: vec![],
            points: vec![("sal".into(), Some((53.80, -1.55)))],
            capacity: ServiceCapacity::Accepting,
            referral_mode: ReferralMode::Referral,
        }
    }

    fn profile() -> MatchProfile {
        MatchProfile {
            needs: vec![(Need::Loneliness, 4)],
            interests: vec![Category::Gardening],
            age: Some(70.0),
            near: Some((53.80, -1.56)),
            max_distance_m: 10_000.0,
            limit: 10,
            ..Default::default()
        }
    }

    #[test]
    fn unrelated_and_far_services_are_left_out() {
        let p = profile();
        assert!(shown(&facts("a", &[Category::BenefitsDebt]), &p).is_none());
        let mut far = facts("b", &[Category::Gardening]);
        far.points = vec![("sal".into(), Some((54.5, -1.56)))];
        assert!(shown(&far, &p).is_none());
        let mut young = facts("c", &[Category::Gardening]);
        young.max_age = Some(25.0);
        assert!(shown(&young, &p).is_none());
    }

    #[test]
    fn reasons_explain_the_ranking() {
        let p = profile();
        let garden = shown(
            &facts("g", &[Category::Gardening, Category::Befriending]),
            &p,
        )
        .unwrap();
        assert!(
            garden
                .reasons
                .iter()
                .any(|r| r.contains("interest in gardening")),
            "{:?}",
            garden.reasons
        );
        assert!(
            garden.reasons.iter().any(|r| r.contains("loneliness")),
            "{:?}",
            garden.reasons
        );
        assert!(garden.reasons.iter().any(|r| r.contains("from their home")));
        let mut full = facts("f", &[Category::Gardening, Category::Befriending]);
        full.capacity = ServiceCapacity::Full;
        let full = shown(&full, &p).unwrap();
        assert!(full.score < garden.score);
        assert!(full.cautions.iter().any(|c| c.contains("Full")));
    }

    #[test]
    fn language_access_and_days() {
        let mut p = profile();
        p.language = Some("Polish".into());
        p.access = vec![AccessFeature::StepFree];
        p.days = vec![Weekday::Tu];
        let mut f = facts("p", &[Category::Gardening]);
        f.languages = vec!["polish".into()];
        f.access = vec![AccessFeature::StepFree];
        f.sessions = vec![(1u8 << Weekday::Tu.index(), None, None)];
        let m = shown(&f, &p).unwrap();
        assert!(
            m.reasons.contains(&"Offered in Polish".to_string()),
            "{:?}",
            m.reasons
        );
        assert!(m.reasons.iter().any(|r| r.starts_with("Runs on Tuesday")));
        f.sessions = vec![(1u8 << Weekday::Fr.index(), None, None)];
        assert!(shown(&f, &p).is_none(), "not on a day they can make");
    }
}
