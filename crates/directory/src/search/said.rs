//! What a search's words say about the person it is for, beside what they want: that they
//! are young ("for a 16 year old"), when they can go ("evenings", "at the weekend") and that
//! they need step-free access ("wheelchair user"). These rank services, as the same facts
//! on a person's record rank their matches; they are not topics to look for.

use domain::{Code, TimeOfDay, Weekday};
use regex::Regex;
use std::sync::OnceLock;

/// What the words say about the person searched for.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Said {
    /// A teenager ("14 yr old lad", "for a 16 year old", "teenager").
    pub young: bool,
    /// Days named ("saturdays", "weekends"), empty for any.
    pub days: Vec<Weekday>,
    /// Parts of the day named ("evenings", "after work"), empty for any.
    pub times: Vec<TimeOfDay>,
    /// They need to get in without steps ("wheelchair user", "can't manage stairs").
    pub step_free: bool,
    /// What they can pay ("free counselling", "cheap exercise classes").
    pub cost: Option<Cost>,
    /// They want to refer themselves ("self referral"): not a service that needs a GP's.
    pub self_referral: bool,
}

/// What the words say they can pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cost {
    Free,
    Cheap,
}

impl Said {
    /// Whether they named a day or a time.
    pub fn when(&self) -> bool {
        !self.days.is_empty() || !self.times.is_empty()
    }
}

/// A pattern compiled once. The patterns are literals of this module, each exercised by its
/// tests, so a bad one fails there rather than in a request.
#[allow(clippy::expect_used)]
fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a literal pattern of said.rs"))
}

/// Read a search's words.
pub(crate) fn said(text: &str) -> Said {
    static AGE: OnceLock<Regex> = OnceLock::new();
    static TEEN: OnceLock<Regex> = OnceLock::new();
    static STEP_FREE: OnceLock<Regex> = OnceLock::new();
    let age = re(
        &AGE,
        r"(?i)\b(?:aged\s+(1[1-7])\b|(1[1-7])\s*-?\s*(?:yrs?|years?|y\.?o)\b)",
    );
    let teen = re(&TEEN, r"(?i)\b(teens?|teenagers?|teenage|adolescents?)\b");
    let step_free = re(
        &STEP_FREE,
        r"(?i)\b(wheelchair|wheelchairs|powerchair|step[\s-]?free|no steps|(can'?t|cannot|can not) (manage|do|climb|use) (the )?(stairs|steps))\b",
    );
    static FREE: OnceLock<Regex> = OnceLock::new();
    static CHEAP: OnceLock<Regex> = OnceLock::new();
    static SELF: OnceLock<Regex> = OnceLock::new();
    // "free counselling", "free of charge", "for free"; not step-free, smoke-free, free
    // time, free school meals or free from abuse (other things free, not the price).
    let free = re(
        &FREE,
        r"(?i)(?:^|[^\w-])free\b(?:\s+of\s+charge)?(?:\s+(\w+))?",
    );
    let cheap = re(
        &CHEAP,
        r"(?i)\b(cheap|cheaper|low[\s-]cost|affordable|inexpensive|not expensive|on a budget)\b",
    );
    let self_ref = re(
        &SELF,
        r"(?i)\b(self[\s-]?refer(ral|rals|red|ring)?|refer (myself|themselves|herself|himself|yourself)|no referral|without (a )?(gp|referral)|no need to see (a|the|my|your) gp)\b",
    );
    let not_price = [
        "time",
        "school",
        "from",
        "prescriptions",
        "prescription",
        "bus",
        "period",
        "periods",
    ];
    let free_said = free.captures_iter(text).any(|c| {
        let before = text[..c.get(0).map_or(0, |m| m.start())].to_lowercase();
        let other = [
            "step", "smoke", "alcohol", "drug", "sugar", "gluten", "debt", "hands",
        ]
        .iter()
        .any(|w| before.trim_end().ends_with(w));
        let next = c.get(1).map(|m| m.as_str().to_lowercase());
        !other && !next.is_some_and(|n| not_price.contains(&n.as_str()))
    });
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut days = vec![];
    let mut times = vec![];
    for (k, w) in words.iter().enumerate() {
        // Whole day names only ("sat" and "sun" are other words too).
        let day = Weekday::ALL.iter().copied().find(|d| {
            let name = d.label().to_lowercase();
            *w == name || w.strip_suffix('s') == Some(name.as_str())
        });
        days.extend(day);
        match *w {
            "weekend" | "weekends" => days.extend([Weekday::Sa, Weekday::Su]),
            "morning" | "mornings" => times.push(TimeOfDay::Morning),
            "afternoon" | "afternoons" => times.push(TimeOfDay::Afternoon),
            "evening" | "evenings" => times.push(TimeOfDay::Evening),
            // "after work", "after school": later in the day than work or school.
            "after" if words.get(k + 1).is_some_and(|n| *n == "work") => {
                times.push(TimeOfDay::Evening)
            }
            "after" if words.get(k + 1).is_some_and(|n| *n == "school") => {
                times.extend([TimeOfDay::Afternoon, TimeOfDay::Evening])
            }
            _ => {}
        }
    }
    days.sort_by_key(|d| d.index());
    days.dedup();
    times.sort_by_key(|t| t.span().0);
    times.dedup();
    Said {
        young: age.is_match(text) || teen.is_match(text),
        days,
        times,
        step_free: step_free.is_match(text),
        cost: if free_said {
            Some(Cost::Free)
        } else if cheap.is_match(text) {
            Some(Cost::Cheap)
        } else {
            None
        },
        self_referral: self_ref.is_match(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_says_how_old_they_are_when_they_can_go_and_that_they_need_no_steps() {
        for young in [
            "things to do for 14 yr old lad",
            "free counselling for a 16 year old",
            "15yo bullied",
            "aged 13 and anxious",
            "drugs teenager",
            "teen anxiety",
        ] {
            assert!(said(young).young, "{young}");
        }
        for not in [
            "toddler group for my 2 year old",
            "lunch club over 60s",
            "aged 70",
            "16 hours a week volunteering",
            "18 year old carer",
        ] {
            assert!(!said(not).young, "{not}");
        }
        let s = said("alcohol support group evenings");
        assert_eq!(s.times, vec![TimeOfDay::Evening]);
        assert!(s.days.is_empty());
        let s = said("something to do at the weekend, mornings");
        assert_eq!(s.days, vec![Weekday::Sa, Weekday::Su]);
        assert_eq!(s.times, vec![TimeOfDay::Morning]);
        assert_eq!(said("job club after work").times, vec![TimeOfDay::Evening]);
        assert_eq!(said("sunday walks").days, vec![Weekday::Su]);
        assert!(!said("walking group").when());
        for needs in [
            "exercise wheelchair user",
            "wheelchair user exercise class",
            "step-free choir",
            "lunch club, she can't manage stairs",
        ] {
            assert!(said(needs).step_free, "{needs}");
        }
        assert!(!said("exercise class").step_free);
        for free in [
            "free counselling",
            "counselling for free",
            "free of charge yoga",
            "Free exercise",
        ] {
            assert_eq!(said(free).cost, Some(Cost::Free), "{free}");
        }
        for not in [
            "step-free gym",
            "step free gym",
            "smoke free homes",
            "free time activities",
            "free school meals",
            "free from abuse",
            "freedom programme",
        ] {
            assert_eq!(said(not).cost, None, "{not}");
        }
        assert_eq!(
            said("cheap exercise classes for over 60s").cost,
            Some(Cost::Cheap)
        );
        assert_eq!(said("low-cost gym").cost, Some(Cost::Cheap));
        assert!(said("anxiety counselling self referral").self_referral);
        assert!(said("can I refer myself").self_referral);
        assert!(!said("counselling").self_referral);
    }
}
