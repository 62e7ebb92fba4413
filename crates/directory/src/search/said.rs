//! What a search's words say about the person it is for, beside what they want: that they
//! are young ("for a 16 year old"), when they can go ("evenings", "at the weekend") and that
//! they need step-free access ("wheelchair user"). These rank services, as the same facts
//! on a person's record rank their matches; they are not topics to look for.

use crate::eligibility::re;
use domain::{Code, TimeOfDay, Weekday};
use regex::Regex;
use std::sync::OnceLock;

/// What the words say about the person searched for.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Said {
    /// A teenager ("14 yr old lad", "for a 16 year old", "teenager").
    pub young: bool,
    /// An adult, said as who it is for ("meet ups for grown ups", "adults only", "over 18s"):
    /// not what is made for young people.
    pub adult: bool,
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
    /// They are Deaf or cannot use a telephone ("bsl", "deaf", "can't hear the phone"): not
    /// a service reached only by telephone.
    pub no_phone: bool,
    /// A language other than English that the words name, in English or in itself
    /// ("polish speaking", "pagalba lietuviskai"): as (ISO 639-1 code, English name).
    pub language: Option<(&'static str, &'static str)>,
}

/// Languages a search may name, as (code, English name, words for it): its English name,
/// common misspellings, and the words its speakers use for it (written with and without
/// their accents, as people type them).
const LANGUAGES: &[(&str, &str, &[&str])] = &[
    (
        "pl",
        "polish",
        &["polish", "polski", "polsku", "polskie", "polska"],
    ),
    (
        "lt",
        "lithuanian",
        &[
            "lithuanian",
            "lietuviskai",
            "lietuviškai",
            "lietuviu",
            "lietuvių",
            "lietuviai",
        ],
    ),
    (
        "lv",
        "latvian",
        &["latvian", "latviski", "latviešu", "latviesu"],
    ),
    (
        "pt",
        "portuguese",
        &[
            "portuguese",
            "portugese",
            "portugues",
            "português",
            "portuguesa",
        ],
    ),
    (
        "ro",
        "romanian",
        &["romanian", "romana", "română", "romaneste", "românește"],
    ),
    ("bg", "bulgarian", &["bulgarian", "български"]),
    ("ru", "russian", &["russian", "русский", "русски"]),
    (
        "uk",
        "ukrainian",
        &["ukrainian", "українською", "українська"],
    ),
    ("es", "spanish", &["spanish", "español", "espanol"]),
    ("hu", "hungarian", &["hungarian", "magyar", "magyarul"]),
    ("tr", "turkish", &["turkish", "türkçe", "turkce"]),
    ("ar", "arabic", &["arabic", "عربي", "العربية"]),
    ("ur", "urdu", &["urdu"]),
    ("pa", "punjabi", &["punjabi", "panjabi"]),
    ("bn", "bengali", &["bengali", "bangla", "sylheti"]),
    ("gu", "gujarati", &["gujarati"]),
    ("hi", "hindi", &["hindi"]),
    ("ta", "tamil", &["tamil"]),
    ("so", "somali", &["somali", "soomaali"]),
    ("ku", "kurdish", &["kurdish", "kurdi"]),
    ("fa", "farsi", &["farsi", "persian", "dari"]),
    ("ps", "pashto", &["pashto", "pushto"]),
    ("ti", "tigrinya", &["tigrinya"]),
    ("zh", "chinese", &["chinese", "mandarin", "cantonese"]),
    ("cy", "welsh", &["welsh", "cymraeg"]),
];

/// The language other than English the words name, if any ([`Said::language`]). Not a
/// language they want to learn ("learn spanish", "mandarin classes"), and not the other
/// things some of these words are ("polish my CV", "nail polish", "chinese new year",
/// "persian cat").
fn language_named(words: &[&str]) -> Option<(&'static str, &'static str)> {
    const BEFORE: &[&str] = &[
        "learn",
        "learning",
        "learnt",
        "nail",
        "nails",
        "shoe",
        "furniture",
        "silver",
        "brass",
    ];
    const AFTER: &[&str] = &[
        "my",
        "your",
        "his",
        "her",
        "up",
        "nails",
        "nail",
        "lessons",
        "lesson",
        "classes",
        "class",
        "course",
        "courses",
        "new",
        "food",
        "takeaway",
        "cookery",
        "cooking",
        "cuisine",
        "restaurant",
        "cat",
        "cats",
        "remover",
        "rug",
        "rugs",
    ];
    let named = |w: &&str| LANGUAGES.iter().find(|(_, _, said)| said.contains(w));
    words.iter().enumerate().find_map(|(k, w)| {
        let (code, name, _) = named(w)?;
        let before = k.checked_sub(1).and_then(|j| words.get(j));
        let after = words.get(k + 1);
        let other =
            before.is_some_and(|b| BEFORE.contains(b)) || after.is_some_and(|a| AFTER.contains(a));
        (!other).then_some((*code, *name))
    })
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

/// Words for someone a person cares for, after a word that says what they are ("my deaf
/// mum").
const FAMILY: &[&str] = &[
    "mum", "mam", "mother", "dad", "father", "son", "daughter", "husband", "wife", "partner",
    "brother", "sister", "nan", "gran", "grandad", "grandma", "grandpa", "child", "children",
    "parents",
];

/// The words that say someone is Deaf, uses sign language or cannot use a telephone ("bsl",
/// "hard of hearing", "I can't even do the phone") or wants help not by telephone ("face to
/// face, not a phoneline"), if any. Not a hearing test, not a phone
/// bill ("can't manage the phone bill"), not learning to sign ("learn BSL"), and not
/// someone they care for ("carer for my deaf mum", "my husband is deaf", "dad can't use the
/// phone": the carer can phone).
pub(crate) fn no_phone(text: &str) -> Option<String> {
    static DEAF: OnceLock<Regex> = OnceLock::new();
    let deaf = re(
        &DEAF,
        r"(?i)\b(bsl|(british )?sign language|deaf\w*|hard of hearing|(can['’]?t|cannot|can not|couldn['’]?t) (even )?(hear (anything |a thing |a word |much )?(on |over )?|make out (anything |a word |words |much |what .{0,20})?(on |over )|use |do |face |talk on |speak on |cope with |manage )(the |a )?(tele)?phones?|(hates?|don['’]?t do) (the )?(tele)?phones?|(the )?(tele)?phone is hard (for me )?to hear|(face[ -]to[ -]face|in person),? (not|rather than|instead of) (a |by |on |over )?(the )?((tele)?phone( ?line)?s?|helplines?)|not (a |by )?(tele)?phone ?lines?|not a helpline)\b",
    );
    /// What follows "phone" when it is not the phone itself.
    const PHONE_THINGS: &[&str] = &[
        "bill", "bills", "number", "numbers", "charger", "contract", "credit", "company",
    ];
    let words_of = |t: &str| -> Vec<String> {
        t.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    deaf.find_iter(text)
        .find(|m| {
            let after = words_of(&text[m.end()..]);
            let before = words_of(&text[..m.start()]);
            let near_before = &before[before.len().saturating_sub(4)..];
            let next = after.first().map(String::as_str);
            !next.is_some_and(|w| FAMILY.contains(&w) || PHONE_THINGS.contains(&w))
                && !near_before.iter().any(|w| {
                    FAMILY.contains(&w.as_str())
                        || matches!(w.as_str(), "learn" | "learning" | "teach" | "teaching")
                })
        })
        .map(|m| m.as_str().to_string())
}

/// Read a search's words.
pub(crate) fn said(text: &str) -> Said {
    static AGE: OnceLock<Regex> = OnceLock::new();
    static TEEN: OnceLock<Regex> = OnceLock::new();
    static PARENT: OnceLock<Regex> = OnceLock::new();
    static STEP_FREE: OnceLock<Regex> = OnceLock::new();
    static CHEAP: OnceLock<Regex> = OnceLock::new();
    static SELF: OnceLock<Regex> = OnceLock::new();
    static ADULT: OnceLock<Regex> = OnceLock::new();
    static GROWN: OnceLock<Regex> = OnceLock::new();
    static CHILD: OnceLock<Regex> = OnceLock::new();
    // "15 year old", "14 yr old", "15yo", "aged 13"; not "carer for 15 years".
    let age = re(
        &AGE,
        r"(?i)\b(?:aged\s+1[1-7]\b|1[1-7]\s*-?\s*(?:(?:yrs?|years?)\s*-?\s*old|y[./]?o)\b|(?:i['’]?m|i am) 1[1-7](?:\s*$|[,.;!?)]|\s+(?:years?|yrs?|y[./]?o)\b|\s+(?:but|so)\b|\s+and\s+(?:i|my|me|caring|looking|want|need|have|feel|live|at|in)\b))",
    );
    let teen = re(&TEEN, r"(?i)\b(teens?|teenagers?|teenage|adolescents?)\b");
    // Words about someone else's teenager ("parents of teenagers", "my 15 year old son").
    let parent = re(
        &PARENT,
        r"(?i)\b(parents? of|parenting|(my|his|her|their|our) (\d+\s*-?\s*(yrs?|years?)\s*-?\s*old |teenage )?(son|daughter|child|kids?|boy|girl|grandson|granddaughter|teen|teenager))\b",
    );
    let step_free = re(
        &STEP_FREE,
        r"(?i)\b(wheelchair[\s-]?users?|in a wheelchair|uses? a wheelchair|powerchair|step[\s-]?free|no steps|(can['’]?t|cannot|can not) (manage|do|climb|use) (the )?(stairs|steps))\b",
    );
    let cheap = re(
        &CHEAP,
        r"(?i)\b(cheap|cheaper|low[\s-]cost|affordable|inexpensive|not expensive|on a budget|(?:doesn'?t|don'?t|won'?t|wont|not|doesnt|dont) cost (?:much|a lot|too much|the earth))\b",
    );
    // "at no cost", "costs nothing", "won't cost a penny".
    static NO_COST: OnceLock<Regex> = OnceLock::new();
    let no_cost = re(
        &NO_COST,
        r"(?i)\b(?:(?:no|zero) (?:cost|charge)|costs? nothing|(?:doesn'?t|don'?t|won'?t|wont|doesnt|dont) cost (?:anything|a penny|a thing))\b",
    );
    let self_ref = re(
        &SELF,
        r"(?i)\b(self[\s-]?refer(ral|rals|red|ring)?|refer (myself|themselves|herself|himself|yourself)|no referral|without (a )?(gp|referral)|no need to see (a|the|my|your) gp)\b",
    );
    // "for grown ups", "adults only", "over 18s"; not "young adults".
    let adult = re(
        &ADULT,
        r"(?i)\b(young )?(grown[\s-]?ups?|adults?|over[\s-]?(18|eighteen|21)s?)\b",
    );
    // Words for someone grown up ("widower", "husband cares for wife", "pensioner", "a
    // lithuanian gent", "woman"): the
    // search is for an adult, unless it also names a child, a young person or a family
    // ("widower, his 14 year old struggling", "nan looking after the kids", "widowed mum,
    // family struggling with grief": the children may be who it is for).
    let grown = re(
        &GROWN,
        r"(?i)\b(husband|wife|widow|widower|widowed|pensioners?|retired|retiree|grandad|granddad|grandpa|grandma|grandmother|grandfather|nan|nana|nanna|granny|grandparents?|oaps?|elderly|dementia|alzheimer['’]?s|man|men|woman|women|lady|ladies|gent|gents|gentleman|gentlemen|bloke|blokes|fella|fellas|chap)\b",
    );
    let child = re(
        &CHILD,
        r"(?i)\b(sons?|daughters?|child|children|kids?|grandsons?|granddaughters?|grandchild|grandchildren|grandkids?|boys?|girls?|baby|babies|toddlers?|school|pupils?|young|youth|teens?|nieces?|nephews?|step\w*|foster\w*|family|families|little ones?|mum|mam|mom|dad|mother|father|parents?)\b",
    );
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let prev = |k: usize| k.checked_sub(1).and_then(|j| words.get(j)).copied();
    let next = |k: usize| words.get(k + 1).copied();
    // "free counselling", "for free", "free of charge"; not something else free (step-free,
    // smoke-free, pain free, free time, free school meals, free from …) nor someone free
    // ("when he is free", "free on Tuesdays").
    const FREE_OF: &[&str] = &[
        "step", "smoke", "alcohol", "drug", "sugar", "gluten", "debt", "hands", "pain", "stress",
        "hassle", "crime", "dairy", "nut", "fat", "is", "am", "are", "was", "be", "s", "m", "re",
    ];
    const FREE_WHAT: &[&str] = &[
        "time",
        "school",
        "from",
        "prescriptions",
        "prescription",
        "bus",
        "period",
        "periods",
        "on",
        "in",
        "at",
        "most",
        "when",
        "to",
        "of",
    ];
    let free_said = words.iter().enumerate().any(|(k, w)| {
        *w == "free"
            && !prev(k).is_some_and(|p| FREE_OF.contains(&p))
            && (next(k) == Some("of") && words.get(k + 2) == Some(&"charge")
                || !next(k).is_some_and(|n| FREE_WHAT.contains(&n)))
    });
    let mut days = vec![];
    let mut times = vec![];
    for (k, w) in words.iter().enumerate() {
        // Whole day names only ("sat" and "sun" are other words too), not a club's name.
        let day = Weekday::ALL.iter().copied().find(|d| {
            let name = d.label().to_lowercase();
            *w == name || w.strip_suffix('s') == Some(name.as_str())
        });
        if !next(k).is_some_and(|n| matches!(n, "club" | "assembly")) {
            days.extend(day);
        }
        match (*w, next(k)) {
            ("weekend" | "weekends", _) => days.extend([Weekday::Sa, Weekday::Su]),
            ("morning" | "mornings", Some("sickness" | "after")) => {}
            ("morning" | "mornings", _) => times.push(TimeOfDay::Morning),
            ("afternoon" | "afternoons", Some("tea" | "teas")) => {}
            ("afternoon" | "afternoons", _) => times.push(TimeOfDay::Afternoon),
            ("evening" | "evenings" | "nighttime", _) => times.push(TimeOfDay::Evening),
            ("night", Some("time" | "classes" | "class" | "lessons" | "sessions")) => {
                times.push(TimeOfDay::Evening)
            }
            // "after work", "after school": later in the day than work or school.
            ("after", Some("work")) => times.push(TimeOfDay::Evening),
            ("after", Some("school")) => times.extend([TimeOfDay::Afternoon, TimeOfDay::Evening]),
            _ => {}
        }
    }
    days.sort_by_key(|d| d.index());
    days.dedup();
    times.sort_by_key(|t| t.span().0);
    times.dedup();
    Said {
        young: (age.is_match(text) || teen.is_match(text)) && !parent.is_match(text),
        // Not "young adult carers over 18", nor "toddlers over 18 months".
        adult: !lower.contains("young")
            && adult.captures_iter(text).any(|c| {
                c.get(1).is_none()
                    && !text[c.get(0).map_or(0, |m| m.end())..]
                        .trim_start()
                        .to_lowercase()
                        .starts_with("month")
            })
            || grown.is_match(text)
                && !child.is_match(text)
                && !age.is_match(text)
                && !teen.is_match(text),
        days,
        times,
        step_free: step_free.is_match(text),
        cost: if free_said || no_cost.is_match(&lower.replace("cost of living", "")) {
            Some(Cost::Free)
        } else if cheap.is_match(text) {
            Some(Cost::Cheap)
        } else {
            None
        },
        self_referral: self_ref.is_match(text),
        language: language_named(&words),
        no_phone: no_phone(text).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_says_they_cannot_use_the_telephone() {
        for deaf in [
            "bsl help with letters",
            "Deaf man wants benefits advice",
            "advice for a sign language user",
            "she can't hear the phone any more",
            "deafblind man, benefits",
            "hard of hearing, lonely",
            "he can't use the phone",
            "I can't even do the phone right now",
            "she can't face the phone",
            "hates the phone",
            "somewhere to talk, face to face not a phoneline",
            "not a helpline, someone to see",
            "face to face rather than over the phone",
            "in person, not on the phone",
            "The phone is hard for me to hear nowadays",
            "I can't make out a word on the phone any more",
            "can't hear a thing on the telephone",
        ] {
            assert!(said(deaf).no_phone, "{deaf}");
        }
        for hearing in [
            "hearing aid batteries",
            "debt advice by phone",
            "lonely",
            "carer for my deaf mum",
            "passport countersigner",
            "ring me on my phone",
            "I can't find the phone number",
            "client can't manage the phone bill, debt help",
            "I hate the phone bills",
            "my husband is deaf",
            "caring for mum who is hard of hearing",
            "dad can't use the phone",
            "I'd like to learn BSL",
        ] {
            assert!(!said(hearing).no_phone, "{hearing}");
        }
    }

    #[test]
    fn a_search_names_a_language() {
        assert_eq!(said("polish speaking").language, Some(("pl", "polish")));
        assert_eq!(
            said("pagalba lietuviskai su dokumentais").language,
            Some(("lt", "lithuanian"))
        );
        assert_eq!(
            said("polish speaker, no english, debt help").language,
            Some(("pl", "polish"))
        );
        for not in [
            "polish my CV",
            "nail polish",
            "learn spanish",
            "mandarin classes",
            "chinese new year",
            "lost persian cat",
            "debt advice",
        ] {
            assert_eq!(said(not).language, None, "{not}");
        }
    }

    #[test]
    fn a_search_says_it_is_for_an_adult() {
        for adult in [
            "lgbtq meet ups for grown ups",
            "adults only social",
            "over 18s gaming night",
            "adult learning",
            "recently widowed, struggling",
            "husband looks after his wife with dementia",
            "pensioner on his own",
            "lithuanian gent, can't read his letters",
            "woman being hit by her partner",
            "dementia carer needs a break",
            "alzheimer's support group",
        ] {
            assert!(said(adult).adult, "{adult}");
        }
        for not in [
            "young adults group",
            "youth club",
            "lonely",
            "adultery",
            "young adult carers over 18",
            "widower, his 14 year old struggling since mum died",
            "nan looking after the kids",
            "widowed mum, family struggling with grief",
            "nan caring for her niece",
            "young man sofa surfing",
            "teen girl self harming",
            "young widow",
            "wifi help",
            "toddlers over 18 months",
            "young onset dementia",
            "my nan has dementia, I'm 14",
            "caring for my mum with dementia",
            "I’m 14, caring for gran with dementia",
            "13 y/o caring for gran with dementia",
        ] {
            assert!(!said(not).adult, "{not}");
        }
    }

    #[test]
    fn a_search_says_how_old_they_are_when_they_can_go_and_that_they_need_no_steps() {
        for young in [
            "things to do for 14 yr old lad",
            "free counselling for a 16 year old",
            "15yo bullied",
            "aged 13 and anxious",
            "drugs teenager",
            "teen anxiety",
            "15 year old caring for mum",
            "I'm 14 and my nan has dementia",
            "im 16, want to get fit",
            "I’m 14, caring for gran with dementia",
            "13 y/o caring for gran with dementia",
        ] {
            assert!(said(young).young, "{young}");
        }
        for not in [
            "toddler group for my 2 year old",
            "lunch club over 60s",
            "aged 70",
            "16 hours a week volunteering",
            "18 year old carer",
            "carer for 15 years",
            "widowed 12 years ago",
            "support for parents of teenagers",
            "my 15 year old son won't go to school",
            "her teenage daughter",
            "I'm 15 minutes from town",
            "I'm 17 and a half stone, want to lose weight",
            "I'm 13 and a half weeks pregnant",
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
        assert_eq!(
            said("night time english lessons").times,
            vec![TimeOfDay::Evening]
        );
        assert!(said("works nights, lonely").times.is_empty());
        assert_eq!(said("sunday walks").days, vec![Weekday::Su]);
        assert!(!said("walking group").when());
        assert!(!said("morning sickness").when());
        assert!(!said("afternoon tea").when());
        assert!(!said("monday club").when());
        for needs in [
            "exercise wheelchair user",
            "wheelchair user exercise class",
            "step-free choir",
            "lunch club, she can't manage stairs",
        ] {
            assert!(said(needs).step_free, "{needs}");
        }
        assert!(!said("exercise class").step_free);
        assert!(!said("wheelchair repair").step_free);
        assert!(said("she can’t manage the stairs").step_free);
        for free in [
            "free counselling",
            "counselling for free",
            "free of charge yoga",
            "Free exercise",
            "counselling at no cost for 16yo",
            "yoga that costs nothing",
            "a group that won't cost a penny",
        ] {
            assert_eq!(said(free).cost, Some(Cost::Free), "{free}");
        }
        assert_eq!(
            said("hot food that doesn't cost much").cost,
            Some(Cost::Cheap)
        );
        assert_eq!(said("no costume needed").cost, None);
        assert_eq!(said("no cost of living payment this year").cost, None);
        for not in [
            "step-free gym",
            "step free gym",
            "smoke free homes",
            "free time activities",
            "free school meals",
            "free from abuse",
            "freedom programme",
            "free on tuesdays",
            "when he is free",
            "pain free",
            "free-time club",
            "free of pain",
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
