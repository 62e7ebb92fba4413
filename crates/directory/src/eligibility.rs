//! Facts read from a listing's words, for the services whose publisher wrote who may come,
//! how to get in and where it reaches only as text: single-sex groups, age ranges,
//! restrictions ("for tenants of …"), referral routes, step-free access and other access
//! features from ORUK `accessibility` descriptions, and the area a telephone, online or
//! home-visit service covers. Each fact keeps the sentence it came from, to be shown.

use crate::oruk::Service;
use domain::person::Sex;
use domain::AccessFeature;
use regex::Regex;
use std::sync::OnceLock;

/// What the words of a listing say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// Only for one sex, with the words that say so.
    pub sex: Option<(Sex, String)>,
    /// Youngest age accepted (from the text when not in `minimum_age`).
    pub min_age: Option<(f64, String)>,
    pub max_age: Option<(f64, String)>,
    /// Step-free (true) or not (false), with the words.
    pub step_free: Option<(bool, String)>,
    pub access: Vec<(AccessFeature, String)>,
    /// Who else it is only for, when that is not something matching can check
    /// ("For tenants of Harrowby Homes").
    pub only_for: Option<String>,
    /// How people get in when a referral is needed ("by referral from a GP").
    pub by_referral: Option<String>,
    /// Only for people already under a specialist team ("Adults receiving secondary mental
    /// health care"), with the words: few of the people a link worker sees are.
    pub specialist: Option<String>,
    /// The area a service without a venue covers (telephone, online, home visits).
    pub area: Option<String>,
    /// A service with a venue that is also used by telephone, video or online ("in our rooms
    /// or by phone", "by phone, video or face to face"), with the words: it reaches people
    /// who cannot get to the venue.
    pub also_remote: Option<String>,
    /// For the family and friends of someone with a problem, not for that someone ("for
    /// people affected by a loved one's drinking"), with the words.
    pub affected: Option<String>,
    /// Reached only by telephone (no venue, and no other way in named), with the words:
    /// not for someone who cannot use a phone.
    pub phone_only: Option<String>,
    /// People take part together (a club, a circle, a class, a walk), with the words, and
    /// nothing says it is one-to-one: not for someone who says they cannot face groups.
    pub group: Option<String>,
}

/// A pattern compiled once. The patterns are literals of this crate (here and in
/// `search/said.rs`), each exercised by its module's tests, so a bad one fails there rather
/// than in a request.
#[allow(clippy::expect_used)]
pub(crate) fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a literal pattern of this crate"))
}

/// Whether words say someone is under a specialist team: in their eligibility, "Adults
/// receiving secondary mental health care", "referral from the community mental health
/// team"; in a person's own words, "my CPN", "the crisis team". Not a sentence that says
/// the opposite ("not currently under secondary mental health services", "discharged from
/// the CMHT") or lists the ways in ("Referrals from GPs, CMHT or self-referral").
pub fn under_specialist(text: &str) -> bool {
    static UNDER: OnceLock<Regex> = OnceLock::new();
    static NOT: OnceLock<Regex> = OnceLock::new();
    let under = re(
        &UNDER,
        r"(?i)\b(secondary mental health (care|services?)|community mental health (team|services?)|cmht|early intervention in psychosis|crisis team|home treatment team|under the care of (a |the |their )?(consultant )?psychiatrist|my psychiatrist|cpn|community psychiatric nurse)\b",
    );
    let not = re(
        &NOT,
        r"(?i)\b(not|no longer|isn't|aren't|without|discharged|waiting|awaiting|self-referral|self referral|or self|any(one)?)\b",
    );
    sentences(text).any(|x| under.is_match(x) && !not.is_match(x))
}

/// Whether a listing's words say it is for the people around someone with a problem ("for
/// people affected by a loved one's drinking or drug use", "families and friends of people
/// who gamble"), not for the one who has it.
pub fn for_those_affected(text: &str) -> bool {
    static AFFECTED: OnceLock<Regex> = OnceLock::new();
    re(
        &AFFECTED,
        r"(?i)\b(affected by (a |an |the |their |your )?(loved one|family member|relative|partner|friend|someone)('s|s)? (else's )?(drinking|drug|alcohol|gambling|addiction|substance)|(families|family|family members|friends|loved ones|relatives)( and (friends|families|carers))? of (people|those|someone|anyone) (who (drink|use|gamble)|with (a |an )?(drink|drug|alcohol|gambling|addiction|substance)))",
    )
    .is_match(&text.replace('\u{2019}', "'"))
}

/// A death of someone they name ("Lost Joan in September", "Since Edna went the days are
/// long", "Ron died at Easter"), which the vocabulary, reading words in lower case, cannot
/// tell from losing a thing: their words with that said plainly ("… I lost a loved one."),
/// or `None`. Not a name followed by another capitalised word ("lost Housing Benefit"), a
/// month or a day, nor someone who went somewhere ("since Mark went back to work").
pub fn named_loss(text: &str) -> Option<String> {
    static LOST: OnceLock<Regex> = OnceLock::new();
    static SINCE: OnceLock<Regex> = OnceLock::new();
    static DIED: OnceLock<Regex> = OnceLock::new();
    const NOT_NAMES: &[&str] = &[
        "I",
        "Im",
        "It",
        "He",
        "She",
        "They",
        "We",
        "You",
        "The",
        "My",
        "Our",
        "His",
        "Her",
        "Their",
        "This",
        "That",
        "Nobody",
        "Everyone",
        "Someone",
        "Somebody",
        "Everybody",
        "Nothing",
        "Something",
        "Christmas",
        "Easter",
        "God",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Dog",
        "Cat",
        "Universal",
        "Council",
        "Benefits",
        "Covid",
        "Lockdown",
        "Nearly",
        "Almost",
        "Never",
        "Who",
    ];
    let text = text.replace('\u{2019}', "'");
    let lost = re(
        &LOST,
        r"\b(?:[Ll]ost|[Ll]osing)\s+([A-Z][a-z]+)\b(?:\s*$|[.,;!?]|\s+[^A-Z\s])",
    );
    let since = re(
        &SINCE,
        r"\b(?:[Ss]ince|[Aa]fter|[Ww]hen)\s+([A-Z][a-z]+)\s+(?:went|died|passed|was taken)\b(?:\s*$|[.,;!?]|\s+(?i:i|i'm|i've|it|it's|everything|life|things|the days|the nights|the house|the place)\b)",
    );
    let died = re(
        &DIED,
        r"\b([A-Z][a-z]+)\s+(?:died|passed away|passed on|was taken from us)\b",
    );
    let named = [lost, since, died].iter().any(|r| {
        r.captures_iter(&text)
            .filter_map(|c| c.get(1))
            .any(|m| !NOT_NAMES.contains(&m.as_str()))
    });
    named.then(|| format!("{text}. I lost a loved one."))
}

/// Whether a person's words are about someone else's drinking, drugs or gambling ("what my
/// son is going through with the drugs", "his drinking"), not their own ("my wife says I
/// drink too much", "since my husband died I've been drinking").
pub fn someone_elses_problem(text: &str) -> bool {
    static OTHERS: OnceLock<Regex> = OnceLock::new();
    static MINE: OnceLock<Regex> = OnceLock::new();
    let text = text.replace('\u{2019}', "'");
    let mine = re(
        &MINE,
        r"(?i)\b(i|i'm|im|i've|ive|i'd|me)\s+(\w+\s+){0,3}(drink|drinking|drunk|gambling|gamble|using|booze|drugs|alcoholic|addict\w*)\b|\bmy (own )?(drinking|gambling|drug use|addiction)\b",
    );
    if mine.is_match(&text) {
        return false;
    }
    re(
        &OTHERS,
        r"(?i)\b((my|our|his|her|their) (husband|hubby|wife|missus|partner|fella|son|lad|boy|daughter|lass|girl|brother|sister|boyfriend|girlfriend|child|kids?|youngest|eldest|grandson|granddaughter|mum|mam|mother|dad|father|ex)('s)?\b[^.;,]{0,50}\b(drinks too much|drinking|drunk|the drugs|on drugs|with drugs|taking drugs|using drugs|alcoholic|gambling|gambles|addict\w*|the drink|the booze)|\b(his|her|their) (drinking|drug use|drug taking|gambling|addiction))\b",
    )
    .is_match(&text)
}

/// Sentences of a text, trimmed.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(['.', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Words that say an age is a child's, not the person's ("children under 8").
fn about_a_child(before: &str, after: &str) -> bool {
    static CHILD: OnceLock<Regex> = OnceLock::new();
    static WITH: OnceLock<Regex> = OnceLock::new();
    let child = re(
        &CHILD,
        r"(?i)\b(child|children|kids?|bab(y|ies)|toddlers?|grandchild(ren)?|little ones|sons?|daughters?)\W*(aged\W*)?$",
    );
    let with = re(
        &WITH,
        r"(?i)^\W*(s\W+)?(with|and)\W+(a|an|their|your)?\W*(parents?|carers?|grown.?ups?|adults?|mums?|dads?)",
    );
    let tail: String = before
        .chars()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    child.is_match(&tail) || with.is_match(after)
}

/// Whether a text has a word (not inside another: "ages" is not in "wages").
fn said(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| w == word)
}

/// Ages a sentence gives for the people it is for.
fn ages(sentence: &str) -> (Option<f64>, Option<f64>) {
    static RANGE: OnceLock<Regex> = OnceLock::new();
    static PLUS: OnceLock<Regex> = OnceLock::new();
    static OVER: OnceLock<Regex> = OnceLock::new();
    static UNDER: OnceLock<Regex> = OnceLock::new();
    let range = re(
        &RANGE,
        r"(?i)\b(\d{1,2})\s*(?:-|–|—|to)\s*(\d{1,2})\b(?:\s*(?:years?|yrs?))?",
    );
    let plus = re(
        &PLUS,
        r"(?i)\b(\d{1,2})\s*(?:\+|(?:years?\s*)?(?:and|or)\s*(?:over|above|older|upwards))",
    );
    let over = re(&OVER, r"(?i)\b(?:over|above)[\s-]*(\d{1,2})'?s?\b");
    let under = re(&UNDER, r"(?i)\b(?:under|below)[\s-]*(\d{1,2})'?s?\b");
    let (mut min, mut max) = (None, None);
    let ok = |m: &regex::Match| !about_a_child(&sentence[..m.start()], &sentence[m.end()..]);
    for c in range.captures_iter(sentence) {
        let (Some(all), Some(a), Some(b)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        // "10-12" in a time ("10-12pm", "10-12:30", "10-12: Saturdays") or a date is not an
        // age; "aged 11–18: drawing" is.
        let before = sentence[..all.start()].to_lowercase();
        let after = sentence[all.end()..].trim_start().to_lowercase();
        let aged_just_before = matches!(
            before
                .split(|c: char| !c.is_alphanumeric())
                .rfind(|w| !w.is_empty()),
            Some("aged" | "ages" | "age")
        );
        if after.starts_with("am")
            || after.starts_with("pm")
            || (after.starts_with(':') && !aged_just_before)
        {
            continue;
        }
        let (a, b): (f64, f64) = (
            a.as_str().parse().unwrap_or(0.0),
            b.as_str().parse().unwrap_or(0.0),
        );
        let said_age = ((said(&before, "aged") || said(&before, "ages"))
            && !before.contains("all ages"))
            || after.starts_with("year");
        if a < b && said_age && ok(&all) {
            min = Some(a);
            max = Some(b);
        }
    }
    for c in plus.captures_iter(sentence) {
        if let (Some(all), Some(n)) = (c.get(0), c.get(1)) {
            if ok(&all) {
                min = n.as_str().parse().ok().or(min);
            }
        }
    }
    for c in over.captures_iter(sentence) {
        if let (Some(all), Some(n)) = (c.get(0), c.get(1)) {
            if ok(&all) {
                min = n.as_str().parse().ok().or(min);
            }
        }
    }
    for c in under.captures_iter(sentence) {
        if let (Some(all), Some(n)) = (c.get(0), c.get(1)) {
            if ok(&all) {
                max = n.as_str().parse::<f64>().ok().map(|n| n - 1.0).or(max);
            }
        }
    }
    (min, max)
}

/// The sex a sentence limits a group to, if it names only one.
fn sex_of(sentence: &str) -> Option<Sex> {
    static MALE: OnceLock<Regex> = OnceLock::new();
    static FEMALE: OnceLock<Regex> = OnceLock::new();
    let male = re(
        &MALE,
        r"(?i)\b(men|man|male|males|dads?|fathers?|boys|gentlemen|gents|mens|men's)\b",
    );
    let female = re(
        &FEMALE,
        r"(?i)\b(women|woman|female|females|mums?|mothers?|girls|ladies|womens|women's)\b",
    );
    match (male.is_match(sentence), female.is_match(sentence)) {
        (true, false) => Some(Sex::Male),
        (false, true) => Some(Sex::Female),
        _ => None,
    }
}

/// Reads a listing's words. `located` says whether any of its sites has coordinates.
pub fn read(s: &Service, located: bool) -> Reading {
    let mut r = Reading::default();
    let eligibility = s.eligibility_description.as_deref().unwrap_or("");
    let description = s.description.as_deref().unwrap_or("");
    // Sex: the eligibility says who may come; a name or description that says "only" does too.
    for sentence in sentences(eligibility) {
        if let Some(sex) = sex_of(sentence) {
            // "Families of …" or "carers of …" before the sex word are not a limit.
            let lower = sentence.to_lowercase();
            if !lower.contains("famil") && !lower.contains("partners") {
                r.sex = Some((sex, sentence.to_string()));
                break;
            }
        }
    }
    if r.sex.is_none() {
        static ONLY: OnceLock<Regex> = OnceLock::new();
        let only = re(
            &ONLY,
            r"(?i)\b((?:women|men|ladies|girls|boys|male|female)(?:'s)?(?:[\s-]+and[\s-]+(?:girls|boys))?[\s-]+only|only[\s-]+for[\s-]+(?:women|men))\b",
        );
        for text in [s.name.as_str(), description] {
            if let Some(m) = only.find(text) {
                r.sex = sex_of(m.as_str()).map(|x| (x, m.as_str().to_string()));
                if r.sex.is_some() {
                    break;
                }
            }
        }
        // "A group course for women affected by domestic abuse": a description saying who it
        // is for, naming one sex only in that sentence (not "for women and men", nor "for
        // women and their families").
        if r.sex.is_none() {
            static FOR: OnceLock<Regex> = OnceLock::new();
            let for_one = re(&FOR, r"(?i)\bfor (?:women|men|ladies|gents|mums|dads)\b");
            r.sex = sentences(description)
                .filter(|sentence| for_one.is_match(sentence))
                .find_map(|sentence| {
                    let lower = sentence.to_lowercase();
                    if lower.contains("famil")
                        || lower.contains("partner")
                        || lower.contains("children")
                    {
                        return None;
                    }
                    sex_of(sentence).map(|x| (x, sentence.to_string()))
                });
        }
        if r.sex.is_none() && eligibility.is_empty() {
            static NAMED: OnceLock<Regex> = OnceLock::new();
            let named = re(
                &NAMED,
                r"(?i)\b(women's|womens|ladies'?|men's|mens|male voice|mums'?|dads'?)\s",
            );
            if let Some(m) = named.find(&s.name) {
                r.sex = sex_of(m.as_str()).map(|x| (x, s.name.clone()));
            }
        }
    }
    // Ages: structured fields win; otherwise the eligibility, then the description.
    for text in [eligibility, description, s.name.as_str()] {
        for sentence in sentences(text) {
            let (min, max) = ages(sentence);
            if r.min_age.is_none() {
                r.min_age = min.map(|m| (m, sentence.to_string()));
            }
            if r.max_age.is_none() {
                r.max_age = max.map(|m| (m, sentence.to_string()));
            }
        }
        if r.min_age.is_some() || r.max_age.is_some() {
            break;
        }
    }
    if r.max_age.is_none() && r.min_age.is_none() {
        static YOUTH: OnceLock<Regex> = OnceLock::new();
        let youth = re(
            &YOUTH,
            r"(?i)\b(youth club|youth group|young people's|teen|teens|teenagers|young adults)\b",
        );
        for text in [s.name.as_str(), eligibility] {
            if let Some(m) = youth.find(text) {
                r.max_age = Some((25.0, m.as_str().to_string()));
                break;
            }
        }
    }
    if r.min_age.is_none() {
        static ADULT: OnceLock<Regex> = OnceLock::new();
        static ADULTS_ONLY: OnceLock<Regex> = OnceLock::new();
        let adult = re(&ADULT, r"(?i)^\s*adults?\b");
        // In a description only a sentence that says nothing else ("Adults.", "Adults
        // only."): "Adults and children welcome" is not an age limit.
        let adults_only = re(
            &ADULTS_ONLY,
            r"(?i)^\s*(?:for |open to )?adults?(?: only)?\s*$",
        );
        if let Some(sentence) = sentences(eligibility)
            .find(|x| adult.is_match(x))
            .or_else(|| sentences(description).find(|x| adults_only.is_match(x)))
        {
            r.min_age = Some((18.0, sentence.to_string()));
        }
    }
    // Made for couples ("Counselling for couples and individuals about their
    // relationships"): a service for adults.
    if r.min_age.is_none() {
        static COUPLES: OnceLock<Regex> = OnceLock::new();
        let couples = re(&COUPLES, r"(?i)\bfor couples\b");
        static YOUNG: OnceLock<Regex> = OnceLock::new();
        let young = re(
            &YOUNG,
            r"(?i)\b(young|teen|parents?-to-be|antenatal|pregnan|families|family)",
        );
        if let Some(first) = sentences(description)
            .next()
            .filter(|x| couples.is_match(x) && !young.is_match(x))
        {
            r.min_age = Some((18.0, first.to_string()));
        }
    }
    // Restrictions matching cannot check, and referral routes.
    static ONLY_FOR: OnceLock<Regex> = OnceLock::new();
    let only_for = re(
        &ONLY_FOR,
        r"(?i)\b(tenants? of|residents? of|registered with|members of|patients\b|students of|staff of|employees of|pupils of|on the books of|(tenants|residents) only\b)",
    );
    // In a description, only a sentence that says it outright ("For tenants of Fenland Homes
    // only", "For residents of Northey St Mary parish", "Gosland residents only").
    static ONLY_FOR_SAID: OnceLock<Regex> = OnceLock::new();
    let only_for_said = re(
        &ONLY_FOR_SAID,
        r"(?i)^(?:open )?(?:only )?for (?:tenants|residents) of\b|\b(?:tenants|residents) only$",
    );
    static REFERRAL: OnceLock<Regex> = OnceLock::new();
    let referral = re(
        &REFERRAL,
        r"(?i)\b(by|on|needs? a|requires? a|via)\s+(a\s+)?(referral|voucher|prescription)\b|\breferral (only|from)\b",
    );
    // Said in its eligibility or its description's first sentence (what it is): a
    // treatment service that "also supports families and friends" further on is still for
    // the one who drinks.
    r.affected = sentences(eligibility)
        .chain(sentences(description).take(1))
        .find(|x| for_those_affected(x))
        .map(str::to_string);
    for sentence in sentences(eligibility) {
        if r.specialist.is_none() && under_specialist(sentence) {
            r.specialist = Some(sentence.to_string());
        }
        if r.only_for.is_none() && only_for.is_match(sentence) {
            r.only_for = Some(sentence.to_string());
        }
        if r.by_referral.is_none() && referral.is_match(sentence) {
            r.by_referral = Some(sentence.to_string());
        }
    }
    if r.only_for.is_none() {
        r.only_for = sentences(description)
            .find(|x| only_for_said.is_match(x))
            .map(str::to_string);
    }
    // Only for people who rent privately ("Free advice if you rent from a private landlord
    // or letting agent"), said in its first sentence: not "whether you rent from the
    // council or a private landlord".
    if r.only_for.is_none() {
        r.only_for = sentences(eligibility)
            .chain(sentences(description).take(1))
            .find(|x| private_renters_only(x))
            .map(str::to_string);
    }
    // Access: venue accessibility descriptions, then the service's own words.
    let mut access_text = vec![];
    for sal in &s.service_at_locations {
        if let Some(l) = &sal.location {
            for a in &l.accessibility {
                for t in [&a.description, &a.details, &a.accessibility]
                    .into_iter()
                    .flatten()
                {
                    access_text.push(t.as_str());
                }
            }
        }
    }
    access_text.push(description);
    static NO_STEP: OnceLock<Regex> = OnceLock::new();
    static STEP: OnceLock<Regex> = OnceLock::new();
    let no_step = re(
        &NO_STEP,
        r"(?i)\b(no lift|without a lift|no ramp|without a ramp|stairs only|flight of stairs|not (fully )?(wheelchair|step[\s-]?free)|no (wheelchair|step[\s-]?free|level) access|(first|second|upper) floor(?:[^.]*?)(no lift|stairs)|upstairs(?:[^.]*?)no lift|narrow (steps|stairs)|steep steps|not suitable for wheelchairs?|no disabled access)",
    );
    let step = re(
        &STEP,
        r"(?i)\b(step[\s-]?free|level access|wheelchair[\s-]?(accessible|access|friendly|users welcome)|ramped? access|ramp\b|lift to all floors|ground[\s-]floor|accessible entrance|fully accessible)",
    );
    // Barriers at the way in, unless the same sentence offers a way round ("two steps at
    // the door, and a ramp") or says there are none ("no uneven surfaces").
    static BARRIER: OnceLock<Regex> = OnceLock::new();
    let barrier = re(
        &BARRIER,
        r"(?i)\b(uneven (ground|yard|path|paths|surface|surfaces|access|floor|flooring)|gravel (path|paths|drive|yard|car park)|cobbled|steps (to|up|into|at)\b|steps? (at|to|into|up to|outside) the (entrance|front|door|main door|building|hall|venue)|a (single |small )?step (up|down) (into|to) the (building|hall|hut|room|venue|entrance|door))\b",
    );
    static WAY_ROUND: OnceLock<Regex> = OnceLock::new();
    let way_round = re(
        &WAY_ROUND,
        r"(?i)\b(ramp|ramped|lift to|lift available|platform lift|step[\s-]?free|level access)\b",
    );
    for t in &access_text {
        // "No ramp needed" is level, not a barrier.
        let needed = |m: &regex::Match| {
            let rest = t[m.end()..].trim_start().to_lowercase();
            m.as_str().to_lowercase().contains("ramp")
                && (rest.starts_with("needed") || rest.starts_with("required"))
        };
        if let Some(m) = no_step.find_iter(t).find(|m| !needed(m)) {
            r.step_free = Some((false, sentence_around(t, m.start())));
            break;
        }
        if let Some(m) = barrier.find(t) {
            let sentence = sentence_around(t, m.start());
            let before = t[..m.start()].to_lowercase();
            let denied = before.ends_with("no ") || before.ends_with("not ");
            if !denied && !way_round.is_match(&sentence) {
                r.step_free = Some((false, sentence));
                break;
            }
        }
    }
    if r.step_free.is_none() {
        for t in &access_text {
            if let Some(m) = step.find(t) {
                r.step_free = Some((true, sentence_around(t, m.start())));
                break;
            }
        }
    }
    let features: [(AccessFeature, &str); 5] = [
        (
            AccessFeature::HearingLoop,
            r"(?i)\b(hearing|induction) loop|loop system",
        ),
        (AccessFeature::Bsl, r"(?i)\bbsl\b|british sign language"),
        (
            AccessFeature::AccessibleToilet,
            r"(?i)\b(accessible|disabled) (toilet|loo|wc)",
        ),
        (
            AccessFeature::Parking,
            r"(?i)\b(disabled|blue badge) (parking|bays?)",
        ),
        (AccessFeature::LargePrint, r"(?i)\blarge print\b"),
    ];
    static FEATURES: OnceLock<Vec<Regex>> = OnceLock::new();
    let compiled = FEATURES.get_or_init(|| {
        features
            .iter()
            .filter_map(|(_, p)| Regex::new(p).ok())
            .collect()
    });
    for ((feature, _), pattern) in features.iter().zip(compiled) {
        if let Some((t, m)) = access_text
            .iter()
            .find_map(|t| pattern.find(t).map(|m| (t, m)))
        {
            r.access.push((*feature, sentence_around(t, m.start())));
        }
    }
    if r.step_free.as_ref().is_some_and(|s| s.0) {
        r.access.push((
            AccessFeature::StepFree,
            r.step_free.clone().unwrap_or_default().1,
        ));
    }
    // Reach: a service with a venue may be used another way too; one with no venue on the
    // map reaches people where they are.
    if located {
        r.also_remote = also_remote(description);
    }
    if !located {
        let areas: Vec<&str> = s.area_texts().collect();
        let remote = remote_words();
        // "Meets at the station car park" names a venue without coordinates, not a reach.
        static MEETS: OnceLock<Regex> = OnceLock::new();
        let meets = re(
            &MEETS,
            r"(?i)\b(meets?|meeting point|held|starts?|leaves?|departs?) (at|from|outside)\b",
        );
        let meeting_point = areas.iter().any(|a| meets.is_match(a));
        let all = format!("{} {} {description}", s.name, areas.join(" "));
        static PHONE: OnceLock<Regex> = OnceLock::new();
        static OTHER_WAY: OnceLock<Regex> = OnceLock::new();
        let phone = re(
            &PHONE,
            r"(?i)\b(telephone|helpline|phoneline|phone line|adviceline|advice line|by phone|over the phone|on the phone|phone calls?|phone advice|phone support|phone befriending)\b",
        );
        let other_way = re(
            &OTHER_WAY,
            r"(?i)\b(online|video|web ?chat|live chat|texts?|texting|sms|e-?mail|face[ -]to[ -]face|in person|home visits?|visits?|drop[ -]in|bsl|sign language|relay|textphone|minicom|whatsapp)\b",
        );
        // How to book ("call us") is not how it is used; a meeting point is another way in.
        if let Some(m) = phone
            .find(&all)
            .filter(|_| !other_way.is_match(&all) && !meeting_point)
        {
            r.phone_only = Some(sentence_around(&all, m.start()));
        }
        if !areas.is_empty() && !meeting_point {
            r.area = Some(areas.join("; "));
        } else if let Some(m) = remote.find(&format!("{} {description}", s.name)) {
            r.area = Some(format!("not stated ({})", m.as_str()));
        }
    }
    r.group = group_words(&s.name, description);
    r
}

/// Whether a listing's words say people take part together ("Walk and Talk", "a friendly
/// circle", "we meet every Tuesday"), and nothing says it is one-to-one or at home ("one-to-
/// one sessions", "a befriender visits you", "phone for an appointment"): the words.
fn group_words(name: &str, description: &str) -> Option<String> {
    static NAMED: OnceLock<Regex> = OnceLock::new();
    static SAID: OnceLock<Regex> = OnceLock::new();
    static ALONE: OnceLock<Regex> = OnceLock::new();
    let named = re(
        &NAMED,
        r"(?i)\b(groups?|clubs?|circles?|caf[eé]s?|choirs?|class(es)?|shed|socials?|natter|quiz|walks?|walking|meet[- ]?ups?|coffee mornings?|lunch|singing|workshops?)\b",
    );
    let said = re(
        &SAID,
        r"(?i)\b(groups?|join (us|others|other people|in)|(we )?meets? (up )?(every|each|weekly|fortnightly|monthly|on)|get[- ]togethers?|come along|together with others|with other people)\b",
    );
    let alone = re(
        &ALONE,
        r"(?i)\b(one[- ]to[- ]one|1[-:]1|1[- ]to[- ]1|individual (support|sessions?|appointments?)|appointments?|home visits?|visits? (you|people)|at home|phone calls?|telephone|phone ?line|helpline|listening line|befrienders?|caseworkers?|key ?workers?|advisers?|advisors?|counsell(ors?|ing)|buddy|buddies|mentors?)\b",
    );
    let all = format!("{name}. {description}");
    if alone.is_match(&all) {
        return None;
    }
    named.find(name).map(|_| name.to_string()).or_else(|| {
        said.find(description)
            .map(|m| sentence_around(description, m.start()))
    })
}

/// The words in which someone says they will not sit in a circle talking about feelings ("I'm
/// not one for sitting in a circle"): a support group, not a shed or a choir.
pub fn no_talking_circle(text: &str) -> Option<String> {
    static NO: OnceLock<Regex> = OnceLock::new();
    re(
        &NO,
        r"(?i)\b(don'?t|do not|won'?t|not) (want to |going to |one for )?(sit|sitting|sat) (round |around )?in a circle\b|\b(sitting|sat) (round |around )?in a circle\b[^.!?]{0,60}\b(isn'?t|is not|not) (for me|my thing)\b",
    )
    .find(text)
    .map(|m| m.as_str().to_string())
}

/// Whether an interest says they can no longer do it: "knitting but her hands are bad
/// now", "her garden but the knees won't let her now", "bowls, but I can't bend any more".
/// Not "used to" alone (they may take it up again), nor "but only on Sundays", nor what
/// stands in their way and help could move ("swimming but can't afford it", "football but
/// can't find a team", "walking but not able to go alone"): only the body or their health.
pub fn given_up(interest: &str) -> bool {
    static GIVEN_UP: OnceLock<Regex> = OnceLock::new();
    re(
        &GIVEN_UP,
        r"(?i)(\bbut\b|,).*?\b((hands?|knees?|eyes?|eyesight|hips?|back|legs?|feet|fingers|arthritis|breathing|chest|health|heart|balance)\b.*\b(bad|gone|went|wont|won'?t|can'?t|cannot|no longer|too|packed up|given up)\b|(can'?t|cannot|no longer) (bend|kneel|grip|hold|see|hear|stand|manage it)\b|gave (it )?up|given (it )?up|had to (give|stop|pack))",
    )
    .is_match(&interest.replace('\u{2019}', "'"))
}

/// The words in which someone says a person close to them lives with an illness they may
/// well be caring for ("husband has dementia", "my mum was diagnosed with Parkinson's",
/// "our son has autism"), if they do. Not an illness that was ("my mum had cancer"), nor
/// someone else's ("my neighbour has dementia").
pub fn someone_close_is_ill(text: &str) -> Option<String> {
    static ILL: OnceLock<Regex> = OnceLock::new();
    let ill = re(
        &ILL,
        r"(?i)\b(husband|wife|partner|hubby|mum|mam|mom|mother|dad|father|nan|nana|gran|grandma|grandad|grandpa|son|daughter|grandson|granddaughter)('s| has| has got|'s got| got| with| is living with| lives with| was diagnosed with| has been diagnosed with| was just diagnosed with| has just been diagnosed with) ([a-z]+ ){0,2}?(dementia|alzheimer'?s|parkinson'?s|ms|multiple sclerosis|motor neurone( disease)?|mnd|copd|cancer|bipolar|schizophrenia|huntington'?s|autism|learning disabilit(y|ies))\b|\b(son|daughter|grandson|granddaughter|husband|wife) (is|'s) autistic\b",
    );
    // Not someone who has died ("my mum was diagnosed with cancer and died in June").
    static DIED: OnceLock<Regex> = OnceLock::new();
    let died = re(
        &DIED,
        r"(?i)\b(died|passed away|passed on|lost (him|her|them)|since (he|she) (went|passed)|funeral)\b",
    );
    let text = text.replace('\u{2019}', "'");
    if died.is_match(&text) {
        return None;
    }
    ill.find(&text).map(|m| m.as_str().to_string())
}

/// The words in which someone says they cannot leave home ("housebound since her fall",
/// "can't get out of the house", "bedbound"), if they do. Not a bad day ("some days I can't
/// get out of bed") nor a wish ("I want to get out more").
pub fn housebound(text: &str) -> Option<String> {
    static HOUSEBOUND: OnceLock<Regex> = OnceLock::new();
    let house = re(
        &HOUSEBOUND,
        r"(?im)\b(house ?bound|bed ?bound|confined to (the|her|his|my|their) (house|home|flat|bed)\b|(can'?t|cannot|can not|unable to|not able to) (get|go) out( of the (house|flat|bungalow))?( any ?more| at all)?\s*(?:[.,;!]|$|now\b|since\b|because\b|without\b|due\b)|(can'?t|cannot|can not|unable to|not able to) (leave|get out of) (the|her|his|my) (house|flat|home|bungalow)\s*(?:[.,;!]|$|now\b|since\b|because\b|and\b|at all\b|any ?more\b|without\b|for\b|on\b)|(never|hardly ever|rarely) (leaves?|gets? out of) the (house|flat|bungalow)\s*(?:[.,;!]|$|now\b|since\b|any ?more\b))",
    );
    // Not a bad day ("on bad days I can't leave the house").
    static SOMETIMES: OnceLock<Regex> = OnceLock::new();
    let sometimes = re(
        &SOMETIMES,
        r"(?i)\b(some days|bad days|some mornings|on a bad day|when it flares|sometimes)\b[^.!?\n]*$",
    );
    let text = text.replace('\u{2019}', "'");
    let m = house.find(&text)?;
    if sometimes.is_match(&text[..m.start()]) {
        return None;
    }
    // (The word after it that ends the phrase is not quoted.)
    let said = m.as_str().trim_end_matches(|c: char| !c.is_alphanumeric());
    Some(
        [
            "now", "since", "because", "without", "due", "and", "for", "on",
        ]
        .iter()
        .find_map(|w| said.strip_suffix(w))
        .unwrap_or(said)
        .trim_end()
        .to_string(),
    )
}

/// The words in which someone says they cannot face a group ("I don't do groups", "a room
/// full of strangers", "one-to-one would be better"), if they do.
pub fn no_groups(text: &str) -> Option<String> {
    static NO: OnceLock<Regex> = OnceLock::new();
    let no = re(
        &NO,
        r"(?i)\b((can'?t|cannot|don'?t|do not|won'?t|wouldn'?t|not one for|not a|never been a|hate|not good (in|with)|not into) (do |face |stand |cope with |be in |go to |join )?(big |any )?groups?( person)?|(?:^|[.!?,;]\s*)(?:big |any |all )?groups (are|is) (a no(?: for me)?(?:[.,!;]|$)|not for me|not my thing)|(?:^|[.!?,;]\s*)(?:big |any |all )?groups (arent|aren't) (for me|my thing)|room full of (strangers|people)|room of (strangers|people i (don'?t|do not) know)|one[- ]to[- ]one[a-z ,]{0,30}\b(would be|is|be) better|(rather|prefer|prefers|preferably) [a-z ]{0,15}one[- ]to[- ]one|one person (i|to) (can )?talk)\b",
    );
    no.find(text).map(|m| m.as_str().to_string())
}

/// The words after someone says they have been through something already ("done the rehab
/// at the leisure centre", "finished my counselling", "completed the Freedom Programme"),
/// each up to the end of its clause: what they name is not new to them.
/// Each as (the whole phrase, to quote; the words after, to read).
pub fn done_already(text: &str) -> Vec<(&str, &str)> {
    static DONE: OnceLock<Regex> = OnceLock::new();
    let done = re(
        &DONE,
        r"(?i)\b(?:i'?ve |we'?ve |i have |already |just )?(?:done|finished|completed)\s+(?:the|my|our|that)\s+([^.,;!?]{1,60})",
    );
    // "I did the lung course": a course, programme or rehab, not "did the shopping" (nor
    // "I did a pottery class years ago", which they may want again).
    static DID: OnceLock<Regex> = OnceLock::new();
    let did = re(
        &DID,
        r"(?i)(?:\b(?:i|we)\s+|(?:^|[,;.]\s*))did\s+(?:the|my|our)\s+([^.,;!?]{0,30}\b(?:course|programme|program|rehab)\b[^.,;!?]{0,30})",
    );
    // Without "I" ("Got two stents, did the rehab"), only when nobody else is the subject
    // before it in the sentence ("He went into rehab, did the programme" is not theirs).
    static SOMEONE: OnceLock<Regex> = OnceLock::new();
    let someone = re(
        &SOMEONE,
        r"(?i)\b(he|she|they|his|her|him|son|daughter|husband|wife|partner)\b",
    );
    let mut all = clauses_after(done, text);
    all.extend(
        clauses_after(did, text)
            .into_iter()
            .filter_map(|(whole, after)| {
                let trimmed = whole.trim_start_matches([',', ';', '.', ' ']);
                if trimmed
                    .get(..3)
                    .is_some_and(|w| w.eq_ignore_ascii_case("did"))
                {
                    // `whole` is a slice of `text`: where it starts in it.
                    let at = (whole.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
                    let before = text.get(..at).unwrap_or_default();
                    let sentence = before.rsplit(['.', '!', '?']).next().unwrap_or_default();
                    if someone.is_match(sentence) {
                        return None;
                    }
                }
                Some((trimmed, after))
            }),
    );
    all
}

/// The people a listing's description says it is for, by what they have been through ("for
/// people who have finished cardiac rehab", "for anyone who has completed the course"): each
/// as (the whole phrase, to quote; the words after, to read). Only who has been through
/// something: "for people who have time to spare" names no situation, and the words after
/// are read for a concept that restricts who may come.
pub fn for_those_who_have(text: &str) -> Vec<(&str, &str)> {
    static WHO: OnceLock<Regex> = OnceLock::new();
    let who = re(
        &WHO,
        r"(?i)\bfor (?:people|those|anyone|adults|men|women|patients) who (?:have|has|'ve) (?:finished|completed|done|had|been through)\s+([^.,;!?]{1,60})",
    );
    // Not who it is not for: "not suitable for people who have had a heart attack in the
    // last six weeks".
    static NOT: OnceLock<Regex> = OnceLock::new();
    let not = re(
        &NOT,
        r"(?i)\b(not|unsuitable|except|unless|excluding)\b(\W+\w+){0,2}\W*$",
    );
    clauses_after(who, text)
        .into_iter()
        .filter(|(whole, _)| {
            let start = whole.as_ptr() as usize - text.as_ptr() as usize;
            !not.is_match(text.get(..start).unwrap_or(""))
        })
        // One way in of several ("who have had a stroke or who have a long-term condition"):
        // only what comes before "or" is read.
        .map(|(whole, after)| (whole, after.split(" or ").next().unwrap_or(after)))
        .collect()
}

/// Each match of `pattern` in `text`, cut at the end of its clause (punctuation, or "and" or
/// "but": "… and now nothing"), as (the whole phrase, the words its first group starts).
fn clauses_after<'t>(pattern: &Regex, text: &'t str) -> Vec<(&'t str, &'t str)> {
    pattern
        .captures_iter(text)
        .filter_map(|c| {
            let (all, after) = (c.get(0)?, c.get(1)?);
            let end = [" and ", " but "]
                .iter()
                .filter_map(|w| after.as_str().find(w))
                .min()
                .map_or(after.end(), |i| after.start() + i);
            Some((text.get(all.start()..end)?, text.get(after.start()..end)?))
        })
        .collect()
}

/// The words after someone says they will not go near something ("I won't set foot in a gym
/// full of lycra", "I don't want counselling", "never going back to a slimming club"), each up
/// to the end of its clause, as (the whole phrase, the words after).
pub fn refused(text: &str) -> Vec<(&str, &str)> {
    static NO: OnceLock<Regex> = OnceLock::new();
    let no = re(
        &NO,
        r"(?i)\b(?:won'?t|will not|wouldn'?t|don'?t want|do not want|not going|never going|not paying for|never paying for|not forking out for)\s+(?:to\s+)?(?:set foot in|go (?:back )?(?:to|near|in)|join|try|do|be in|have|(?:carting|carted|packing|packed|shipping|shipped|sending|sent|(?:be|being) (?:sent|packed|carted|shipped)) off to|(?:dragging|dragged|being dragged) (?:off )?to)?\s*(?:a|an|the|any|another|some|one of them)\s+([^.,;!?]{1,60})",
    );
    // Said the other way round: "a support group isn't what I'm after".
    static NOT_FOR_ME: OnceLock<Regex> = OnceLock::new();
    let not_for_me = re(
        &NOT_FOR_ME,
        r"(?i)\b(?:a|an|the|any)\s+((?:[a-z]+ ){0,4}?[a-z]+)\s+(?:isn'?t|is not|aren'?t|are not)\s+(?:what i'?m after|what i want|what i need|for me|my thing)\b",
    );
    let mut out = clauses_after(no, text);
    // Only what the last "a"/"the" names, and not across "and", "but" or a comma ("I'd love
    // a choir but a gym isn't for me" refuses the gym, not the choir).
    out.extend(not_for_me.captures_iter(text).filter_map(|c| {
        let what = c.get(1)?.as_str();
        (!what.contains(" and ") && !what.contains(" but ") && !what.contains(','))
            .then_some((c.get(0)?.as_str(), what))
    }));
    out
}

/// Words that say a service reaches people where they are: by telephone, online or at home.
fn remote_words() -> &'static Regex {
    static REMOTE: OnceLock<Regex> = OnceLock::new();
    re(
        &REMOTE,
        r"(?i)\b(telephone|phone line|helpline|by phone|online|video call|home visits?|visits? (you|people) at home|in your home|at home)\b",
    )
}

/// The words saying a service with a venue is also used by telephone, video or online, as
/// the other of two ways named together ("in our rooms or by phone", "by phone, video or face
/// to face", "appointments by phone or at clinics"). Not how to book, reserve or ask ("book
/// online or by phone", "contact us by phone or email"), a phone someone brings ("bring your
/// tablet or phone"), and not home visits (those are for an area, not for anyone).
fn also_remote(description: &str) -> Option<String> {
    static ALSO: OnceLock<Regex> = OnceLock::new();
    static ASKING: OnceLock<Regex> = OnceLock::new();
    const THERE: &str = r"(?:in person|face[ -]to[ -]face|in our (?:rooms|office|offices|centre|center|building)|at (?:our|the|a) (?:rooms|office|offices|centre|center|clinic|hub|surgery)|at clinics?)";
    const AWAY: &str = r"(?:by (?:tele)?phone|over the (?:tele)?phone|by video(?: call)?|online)";
    let also = re(
        &ALSO,
        &format!(
            r"(?i)\b(?:{THERE}\W{{1,3}}(?:\w+\W+){{0,2}}?or\W+{AWAY}|{AWAY}\W{{1,3}}(?:\w+\W+){{0,2}}?or\W+{THERE})"
        ),
    );
    let asking = re(
        &ASKING,
        r"(?i)\b(book|booking|booked|reserve|reserved|register|registration|contact|contacting|enquir\w*|refer|referral|referrals|call|ring|apply|sign up|get in touch|reach us|email|not|no|never|cannot|can't|don't|do not)\b",
    );
    also.find_iter(description)
        .find(|m| {
            let before = &description[..m.start()];
            let from = before.char_indices().rev().nth(40).map_or(0, |(k, _)| k);
            !asking.is_match(&before[from..])
        })
        .map(|m| sentence_around(description, m.start()))
}

/// Whether a service's name says it reaches people where they are ("Telephone befriending
/// (Kirkstall)"), even when it lists an office on the map.
pub fn named_remote(name: &str) -> bool {
    remote_words().is_match(name)
}

/// The sentence of `text` around byte `at`.
fn sentence_around(text: &str, at: usize) -> String {
    let start = text[..at].rfind(['.', '\n']).map_or(0, |i| i + 1);
    let end = text[at..].find(['.', '\n']).map_or(text.len(), |i| at + i);
    text[start..end].trim().to_string()
}

/// The sex a search's words name when they name only one ("new dad feeling isolated",
/// "support for women"): a group for the other sex is not what was asked for. Words about
/// someone else in the family (son, wife, husband) are not counted.
pub fn sex_named(text: &str) -> Option<Sex> {
    const MALE: &[&str] = &[
        "dad",
        "dads",
        "daddy",
        "father",
        "fathers",
        "man",
        "men",
        "mens",
        "male",
        "males",
        "boy",
        "boys",
        "lad",
        "lads",
        "gentleman",
        "gentlemen",
        "grandad",
        "granddad",
        "grandfather",
        "widower",
        "widowers",
        "bloke",
        "blokes",
        "fella",
        "fellas",
        "chap",
        "chaps",
        "gent",
        "gents",
    ];
    const FEMALE: &[&str] = &[
        "mum",
        "mums",
        "mummy",
        "mom",
        "moms",
        "mother",
        "mothers",
        "woman",
        "women",
        "womens",
        "female",
        "females",
        "girl",
        "girls",
        "lady",
        "ladies",
        "nan",
        "gran",
        "grandmother",
        "widow",
        "widows",
    ];
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '\u{2019}')
        .map(|w| w.replace(['\'', '\u{2019}'], ""))
        .filter(|w| !w.is_empty())
        .collect();
    // "carer for my dad", "after my mum died": someone else in the family.
    const WHOSE: &[&str] = &[
        "my", "me", "his", "her", "our", "their", "your", "a", "the", "this", "that", "some",
    ];
    // "my daughter's fella": hers, someone else.
    const KINS: &[&str] = &[
        "daughters",
        "sons",
        "mums",
        "sisters",
        "brothers",
        "friends",
        "mates",
        "nans",
        "cousins",
        "nieces",
        "aunties",
        "grans",
        "kids",
        "childrens",
        "babys",
        "partners",
        "husbands",
        "boyfriends",
        "exs",
    ];
    // But "just become a dad", "as a mum": themselves.
    const BECOME: &[&str] = &["become", "became", "becoming", "being", "im", "am"];
    // A man said in the singular in slang ("bloke whose partner hits him") is who asks
    // unless someone's comes within the three words before ("her ex fella", "mum's new
    // bloke", "this bloke at work").
    const SLANG: &[&str] = &["bloke", "fella", "chap", "gent", "man", "boy", "lad", "guy"];
    const SOMEONES: &[&str] = &["ex", "this", "that", "some", "other"];
    let said = |list: &[&str]| {
        words.iter().enumerate().any(|(i, w)| {
            let someone = i > 0
                && (WHOSE.contains(&words[i - 1].as_str())
                    || KINS.contains(&words[i - 1].as_str()))
                && !(words[i - 1] == "a" && i > 1 && BECOME.contains(&words[i - 2].as_str()));
            let themselves =
                i > 1 && words[i - 1] == "a" && BECOME.contains(&words[i - 2].as_str());
            let someones = SLANG.contains(&w.as_str())
                && !themselves
                && words[i.saturating_sub(3)..i].iter().any(|b| {
                    WHOSE.contains(&b.as_str())
                        || KINS.contains(&b.as_str())
                        || SOMEONES.contains(&b.as_str())
                });
            list.contains(&w.as_str()) && !someone && !someones
        })
    };
    // "just had a baby": the mother, unless someone else is named.
    static BIRTH: OnceLock<Regex> = OnceLock::new();
    static OTHER: OnceLock<Regex> = OnceLock::new();
    let gave_birth = re(
        &BIRTH,
        r"(?i)(?:\b(?:i'?ve|i)\s+(?:just\s+|recently\s+)?|(?:^|[.!?]\s*)(?:just|recently)\s+)had\s+(?:a|my|our)\s+(?:baby|first baby|second baby)\b",
    )
    .is_match(text)
        && !re(
            &OTHER,
            r"(?i)\b(?:wife|partner|girlfriend|missus|daughter|son|friend|he|she|her|sister|we)\b",
        )
        .is_match(text);
    let male = said(MALE);
    let female = said(FEMALE) || gave_birth;
    match (male, female) {
        (true, false) => Some(Sex::Male),
        (false, true) => Some(Sex::Female),
        _ => None,
    }
}

/// Whether a person's own words say they rent from a private landlord ("I rent privately",
/// "a private landlord"): a housing association's tenants-only service is not for them.
/// ("My landlord" alone is not enough: housing association tenants say it too.)
pub fn private_renter(words: &str) -> bool {
    static PRIVATE: OnceLock<Regex> = OnceLock::new();
    re(
        &PRIVATE,
        r"(?i)\b(rent(?:ing)? privately|private(?:ly)? rent(?:ed|ing)?|private landlord|private tenant)",
    )
    .is_match(words)
        || {
            // A landlord who is a man ("the landlord won't fix it ... he's putting the rent
            // up"): a person, not a housing association. Not when another man or a social
            // landlord comes between ("Our landlord is the council. My husband says he …").
            static HE: OnceLock<Regex> = OnceLock::new();
            static BETWEEN: OnceLock<Regex> = OnceLock::new();
            let between = re(
                &BETWEEN,
                r"(?i)\b(husband|son|partner|boyfriend|dad|father|brother|grandson|uncle|neighbour|friend|ex|council|housing association|homes|housing)\b",
            );
            re(
                &HE,
                r"(?i)\blandlord\b([^!?]{0,160}?)\b(he|he's|hes|he'll|he'd|(?:owe|pay|paid|told|asked|rang|called) him)\s",
            )
            .captures(words)
            .and_then(|c| c.get(1))
            .is_some_and(|span| !between.is_match(span.as_str()))
        }
        || {
            // A man who puts the rent up or wants them out is their landlord, whoever came
            // between ("The landlord won't do anything … my son's chest … Last week he said
            // he's putting the rent up").
            static RENT: OnceLock<Regex> = OnceLock::new();
            static LANDLORD: OnceLock<Regex> = OnceLock::new();
            static SOCIAL: OnceLock<Regex> = OnceLock::new();
            re(&LANDLORD, r"(?i)\blandlord\b").is_match(words)
                && !re(
                    &SOCIAL,
                    r"(?i)\b(council|housing association|homes|housing trust)\b",
                )
                .is_match(words)
                && re(
                    &RENT,
                    r"(?i)\b(he|he's|hes|he'll|he is|he will|he wants)\b[^.!?]{0,30}\b(put(ting)? (the|my|our) rent up|rais(e|es|ing) (the|my|our) rent|put (it|the rent) up|(us|me) out|evict(ing)? (us|me)|section 21)",
                )
                .is_match(words)
        }
}

/// Whether words limit a service to people who rent from a private landlord ("if you rent
/// from a private landlord", "for private renters"), and name no other kind of tenant.
pub fn private_renters_only(words: &str) -> bool {
    static PRIVATE: OnceLock<Regex> = OnceLock::new();
    static OTHER: OnceLock<Regex> = OnceLock::new();
    re(
        &PRIVATE,
        r"(?i)\b(if you rent (privately|from a private landlord)|for (people (who|renting) (rent )?privately|private (renters|tenants))|private (renters|tenants) only)\b",
    )
    .is_match(words)
        && !re(
            &OTHER,
            r"(?i)\b(council|housing association|social (housing|landlord)|whether|any landlord|all tenants|anyone|everyone|even if|also|extra|including|homeowners?|owners?)\b",
        )
        .is_match(words)
}

/// Whether words say someone has a carer, rather than is one ("MS, carer visits daily",
/// "my carer comes in the mornings").
pub fn cared_for_by_someone(words: &str) -> bool {
    static HAS: OnceLock<Regex> = OnceLock::new();
    re(
        &HAS,
        r"(?i)\b(my carers? (visits?|comes?|calls?|pops? in|helps? me|gets? me)|carers? (visits?|comes?|come in|call) (daily|every|each|twice|three|four|in the))\b",
    )
    .is_match(words)
}

/// Whether the first words of something refused name a service one could be offered ("a
/// slimming club", "any support group", "a class"), not a condition or a person ("another
/// stroke", "the kids").
pub fn names_an_offer(words: &str) -> bool {
    const OFFERS: &[&str] = &[
        "club",
        "clubs",
        "group",
        "groups",
        "class",
        "classes",
        "course",
        "courses",
        "programme",
        "programmes",
        "program",
        "session",
        "sessions",
        "service",
        "services",
        "meeting",
        "meetings",
        "centre",
        "gym",
        "cafe",
        "café",
        "circle",
        "circles",
        "counselling",
        "therapy",
        "scheme",
        "church",
        "chapel",
        "mosque",
        "temple",
        "gurdwara",
        "synagogue",
    ];
    crate::vocabulary::words(words)
        .iter()
        .take_while(|(w, _)| !matches!(w.as_str(), "so" | "but" | "and" | "because" | "as"))
        .take(5)
        .any(|(w, _)| OFFERS.contains(&w.as_str()))
}

/// Whether someone's words say they have no home of their own to rent now: on someone's
/// sofa, thrown out, in a hotel or hostel, sleeping rough ("on my cousin's sofa", "kipping on
/// my brother's settee", "chucked me out"). Not someone about to lose the home they rent
/// ("the landlord wants us out"), nor a friend who lost theirs.
pub fn without_a_home(words: &str) -> bool {
    static NONE: OnceLock<Regex> = OnceLock::new();
    static OUT: OnceLock<Regex> = OnceLock::new();
    static HOME: OnceLock<Regex> = OnceLock::new();
    static RENTED: OnceLock<Regex> = OnceLock::new();
    // Someone's sofa, a hostel or hotel they live in, the streets they sleep on.
    let none = re(
        &NONE,
        r"(?i)\b(sofa[ -]?surf\w*|on (a |my |his |her |the |our )?(\w+(?:'|’)s|mates|friends|cousins|brothers|sisters|nans|mums|dads|aunties|uncles|grans|girlfriends|boyfriends) (sofa|sofas|settee|couch|floor)|(mates?|friends?)(?:'|’)?s? (sofa|sofas|settee|couch|floor)|sleeping (rough|in (my|the) car)|living in (my|the|a) (car|tent|van)|(i'?m|i am|been|living|sleeping|now|ended up|out) on the streets|(living|stuck|housed|placed|put up) in (a|the) (hostel|hotel|b&b|night shelter)|(leave|leaving|move out of|moving out of) (a|the) (hostel|hotel)|no fixed (abode|address))",
    );
    // "Got kicked out", "was chucked out of my mum's house": not "kicked out of college",
    // "chucked out loads of stuff".
    let out = re(
        &OUT,
        r"(?i)\b((got|get|getting|been|was|were|am|i'?m) (kicked|chucked|thrown|turfed) out|(kicked|chucked|threw|thrown|turfed) (me|us) out)\b( of (?P<of>[^.,!;]{0,30}))?",
    );
    let home = re(
        &HOME,
        r"(?i)\b(house|home|flat|place|mums|dads|nans|mum|dad)\b",
    );
    // Their own landlord put them out ("the landlord chucked us out and changed the
    // locks"): a renter, whose advice is the renters'.
    let rented = re(
        &RENTED,
        r"(?i)\b((my|our|the) landlord|letting agent|section 21|(my|our) tenancy)\b",
    );
    let put_out = || {
        out.captures_iter(words).any(|c| {
            c.name("of").is_none_or(|of| {
                let of = of.as_str().split(" and ").next().unwrap_or("");
                home.is_match(of)
            })
        })
    };
    none.is_match(words) || (!rented.is_match(words) && put_out())
}

/// Whether someone's words say they rent from a council or a housing association ("our
/// council flat", "Fenland Homes keep sending letters", "the housing association"): not a
/// private renter.
pub fn social_tenant(words: &str) -> bool {
    static SOCIAL: OnceLock<Regex> = OnceLock::new();
    static WANTED: OnceLock<Regex> = OnceLock::new();
    static NAMED: OnceLock<Regex> = OnceLock::new();
    // A council home they are waiting for, or left, is not theirs now.
    let wanted = re(
        &WANTED,
        r"(?i)\b(list for|waiting for|wait for|applied for|apply for|bid for|bidding for|bidding on|used to|moved out of|want|need|get|got offered) (a |an |the )?$",
    );
    let social = re(
        &SOCIAL,
        r"(?i)\b(council (house|flat|home|property|tenant|tenancy|bungalow|maisonette)|housing association|social housing|rent (it |ours? )?(off|from) the council|landlord is the council)\b",
    );
    let said = social.find_iter(words).any(|m| {
        let before = &words[..m.start()];
        let from = before.char_indices().rev().nth(24).map_or(0, |(i, _)| i);
        !wanted.is_match(&before[from..])
    });
    // A landlord named ("Fenland Homes keep sending letters"): not a care home, a benefit or
    // an advice service ("Oakfield Care Homes", "my Housing Benefit", "Housing Options").
    const NOT_A_LANDLORD: &[&str] = &[
        "Care",
        "Supported",
        "Sheltered",
        "Temporary",
        "Emergency",
        "Local",
        "My",
        "Our",
        "The",
        "Private",
        "Social",
        "Council",
        "Nursing",
        "Retirement",
        "New",
        "Show",
    ];
    const NOT_AFTER: &[&str] = &[
        "Benefit",
        "Allowance",
        "Options",
        "Advice",
        "Team",
        "Officer",
    ];
    said || re(
        &NAMED,
        r"\b([A-Z][a-z]+) (?:Homes|Housing)\b(?:\s+([A-Z][a-z]+))?",
    )
    .captures_iter(words)
    .any(|c| {
        !c.get(1)
            .is_some_and(|w| NOT_A_LANDLORD.contains(&w.as_str()))
            && !c.get(2).is_some_and(|w| NOT_AFTER.contains(&w.as_str()))
    })
}

/// The body a restriction names ("Harrowby Homes" in "For tenants of Harrowby Homes"),
/// when the person's own words name it too ("behind on the rent on my Harrowby Homes
/// flat"): their words say they qualify.
pub fn qualifies(only_for: &str, their_words: &str) -> Option<String> {
    if private_renters_only(only_for) {
        return private_renter(their_words).then(|| "a private landlord".to_string());
    }
    static BODY: OnceLock<Regex> = OnceLock::new();
    let body = re(
        &BODY,
        r"\b(?:(?i:tenants?|residents?|members|patients|students|staff|employees|pupils)\s+(?i:of|at|with)|(?i:registered)\s+(?i:with|at))\s+(?:the\s+)?([A-Z][\w'&-]*(?:\s+(?:[A-Z][\w'&-]*|of|and|&|for))*)",
    );
    // "Fenland Homes tenants only": the body named before.
    static BODY_BEFORE: OnceLock<Regex> = OnceLock::new();
    let body_before = re(
        &BODY_BEFORE,
        r"\b([A-Z][\w'&-]*(?:\s+[A-Z][\w'&-]*)*)\s+(?i:tenants|residents|members|patients)\s+(?i:only)\b",
    );
    let names = body
        .captures(only_for)
        .and_then(|c| c.get(1))
        .or_else(|| body_before.captures(only_for).and_then(|c| c.get(1)))?
        .as_str();
    // "For Fenland Homes tenants only": the body, not the "For" before it.
    let names = ["For ", "Only ", "Open to ", "Available to "]
        .iter()
        .find_map(|w| names.strip_prefix(w))
        .unwrap_or(names);
    let words = |t: &str| -> Vec<String> {
        t.to_lowercase()
            .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '\u{2019}')
            .filter(|w| !w.is_empty())
            .map(|w| w.replace(['\'', '\u{2019}'], ""))
            .collect()
    };
    // "Harrowby Homes and Fenbridge Housing": either body.
    let bodies: Vec<String> = names
        .split(" and ")
        .flat_map(|n| n.split(" & "))
        .map(|n| {
            n.trim_end_matches(|c: char| !c.is_alphanumeric())
                .trim_end_matches(" and")
                .trim_end_matches(" &")
                .trim_end_matches(" of")
                .trim_end_matches(" for")
                .trim()
                .to_string()
        })
        .filter(|n| n.chars().filter(|c| c.is_alphanumeric()).count() >= 4 && n != "Private")
        // A hospice is named without the word ("Dave died at St Guthlac's").
        .flat_map(|n| {
            let short = n
                .strip_suffix(" Hospice")
                .filter(|s| s.split_whitespace().count() >= 2)
                .map(str::to_string);
            std::iter::once(n.clone()).chain(short)
        })
        .collect();
    // A hospice's patient is someone else: "my mum was at St Guthlac's" says they qualify.
    let hospice = hospice_only(only_for);
    // Clause by clause: a clause that denies it ("I'm not a Harrowby Homes tenant") or is
    // about someone else ("my sister's Harrowby Homes flat") does not say they qualify.
    const NOT: &[&str] = &[
        "not", "no", "never", "isnt", "arent", "wasnt", "dont", "doesnt", "didnt", "used",
    ];
    const SOMEONE_ELSE: &[&str] = &[
        "sister",
        "sisters",
        "brother",
        "brothers",
        "mum",
        "mums",
        "mother",
        "dad",
        "dads",
        "father",
        "son",
        "sons",
        "daughter",
        "daughters",
        "friend",
        "friends",
        "neighbour",
        "neighbours",
        "nan",
        "gran",
        "grandad",
        "grandson",
        "granddaughter",
        "aunt",
        "uncle",
        "cousin",
        "his",
        "her",
        "their",
    ];
    // A denial is near the name, before it ("not a Harrowby Homes tenant", "not currently a
    // tenant of Harrowby Homes", "I used to live in a Harrowby Homes flat") or just after ("Harrowby Homes? no"): "his wife died at St Guthlac's
    // and he is not coping" still names the hospice.
    const NEAR: usize = 6;
    for clause in their_words.split(['.', ',', ';', '!', '?', '\n']) {
        let said = words(clause);
        for b in &bodies {
            let name = words(b);
            if name.is_empty() {
                continue;
            }
            let Some(at) = said.windows(name.len()).position(|w| w == name.as_slice()) else {
                continue;
            };
            let near = &said[at.saturating_sub(NEAR)..(at + name.len() + 2).min(said.len())];
            if !near.iter().any(|w| NOT.contains(&w.as_str()))
                && !said
                    .iter()
                    .any(|w| !hospice && SOMEONE_ELSE.contains(&w.as_str()))
            {
                return Some(b.clone());
            }
        }
    }
    None
}

/// Whether a restriction is to one landlord's tenants or one hospice's families: few of the
/// people who rent, or who are bereaved, are.
pub fn one_bodys_people(only_for: &str) -> bool {
    tenants_only(only_for) || hospice_only(only_for)
}

/// Whether a restriction is to one hospice's patients or families ("Families of St Guthlac's
/// Hospice patients only"): few of the people bereaved or ill are.
pub fn hospice_only(only_for: &str) -> bool {
    let lower = only_for.to_lowercase();
    lower.contains("hospice")
        && !["not only", "not just", "anyone", "everyone"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Whether words speak of a sudden death ("son took his own life", "lost my brother to
/// suicide", "died in a car crash", "died suddenly"): not someone a hospice cared for, so not
/// whom a service for a hospice's families is for. Not thoughts of suicide, nor an accident
/// without a death ("had an accident").
pub fn sudden_death(words: &str) -> bool {
    static SUDDEN: OnceLock<Regex> = OnceLock::new();
    // A death at or under a hospice, however sudden, is one it cared for.
    !words.to_lowercase().contains("hospice")
        && re(
            &SUDDEN,
            r"(?i)\b(took (his|her|their) (own )?life|taken (his|her|their) (own )?life|ended (his|her|their) (own )?life|killed (himself|herself|themselves)|hanged (himself|herself|themselves)|comm?itt?ed suicide|lost (\w+ ){0,3}to suicide|(died|death|bereaved|loss) (by|to|through) suicide|suicide of (my|our|his|her|their)|stillb(orn|irths?)|cot death|sudden infant death|murdered|was killed|were killed|(sudden|unexpected) death|fatal overdose|(died|killed|passed away|passed) (very )?(suddenly|unexpectedly|in an? (\w+ ){0,3}(accident|crash|collision|fire)|(of|from|after) an overdose|(of|from) a heart attack)|suddenly (died|passed))\b",
        )
    .is_match(words)
}

/// Whether words say the child they name has died ("son took his own life, parents need
/// support", "lost our daughter"): those who grieve are the ones asking, not a child.
pub fn a_child_died(words: &str) -> bool {
    static DIED: OnceLock<Regex> = OnceLock::new();
    re(
        &DIED,
        r"(?i)\b((sons?|daughters?|child|boy|girl|grandson|granddaughter)('?s)? ((took|has taken|had taken|ended) (his|her|their) (own )?life|died|passed away|passed on|was killed|were killed|committed suicide|suicide|death|funeral)|(lost|losing|death of|died?) (of )?(our|my|his|her|their) (son|daughter|child|boy|girl|grandson|granddaughter)\b)",
    )
    .is_match(words)
}

/// Whether a restriction is to one landlord's tenants ("For tenants of Harrowby Homes").
pub fn tenants_only(only_for: &str) -> bool {
    static TENANTS: OnceLock<Regex> = OnceLock::new();
    static NAMED: OnceLock<Regex> = OnceLock::new();
    re(&TENANTS, r"(?i)\btenants? of\s+(\w+)")
        .captures(only_for)
        .and_then(|c| c.get(1))
        .or_else(|| {
            // "Fenland Homes tenants only"
            re(&NAMED, r"\b([A-Z][\w'&-]*)\s+(?i:tenants)\s+(?i:only)\b")
                .captures(only_for)
                .and_then(|c| c.get(1))
        })
        .is_some_and(|w| !w.as_str().eq_ignore_ascii_case("private"))
}

/// Languages a service teaches, lower-cased, from its name and description ("BSL Level 1
/// Course", "Learn Polish", "Urdu classes"): a course in a language is for people learning
/// it, not for those who already use it.
pub fn teaches(name: &str, description: &str) -> Vec<String> {
    static LEARN: OnceLock<Regex> = OnceLock::new();
    static COURSE: OnceLock<Regex> = OnceLock::new();
    let learn = re(
        &LEARN,
        r"(?i)\b(?:learn|learning|teach|teaches|teaching)\s+(?:to\s+sign\s+in\s+)?(british sign language|sign language|bsl|[a-z]+)\b",
    );
    let course = re(
        &COURSE,
        r"(?i)\b(british sign language|sign language|bsl|[a-z]+)\s+(?:level\s+\d|course|courses|class|classes|lessons?|for beginners|conversation)\b",
    );
    const LANGUAGES: [&str; 22] = [
        "british sign language",
        "sign language",
        "bsl",
        "english",
        "welsh",
        "polish",
        "urdu",
        "punjabi",
        "arabic",
        "bengali",
        "gujarati",
        "hindi",
        "romanian",
        "portuguese",
        "ukrainian",
        "somali",
        "farsi",
        "kurdish",
        "french",
        "spanish",
        "chinese",
        "lithuanian",
    ];
    let mut out: Vec<String> = vec![];
    for text in [name, description] {
        for c in learn.captures_iter(text).chain(course.captures_iter(text)) {
            let (Some(all), Some(l)) = (c.get(0), c.get(1)) else {
                continue;
            };
            // "teaching Urdu-speaking families" is not teaching Urdu; a Polish conversation
            // club is for Polish speakers, an English one for people learning English.
            if text[l.end()..].starts_with('-') {
                continue;
            }
            let lang = l.as_str().to_lowercase();
            let conversation = all.as_str().to_lowercase().ends_with("conversation");
            if LANGUAGES.contains(&lang.as_str())
                && (!conversation || lang == "english")
                && !out.contains(&lang)
            {
                out.push(lang);
            }
        }
    }
    out
}

/// The clause of a description that says whom a service is made for ("for adults living with
/// dementia", "for people affected by a loved one's drinking"), or `None`. Only the words
/// straight after the qualifier count, so "for people who are new to exercise, or living
/// with a condition" is for anyone.
pub fn made_for_clause(description: &str) -> Option<&str> {
    static FOR: OnceLock<Regex> = OnceLock::new();
    let pattern = re(
        &FOR,
        r"(?i)\bfor (?:people|adults|anyone|those|men|women|young people|families)(?: who (?:are|have|live))? (?:(?:living|diagnosed) with|with|affected by|experiencing|recovering from|bereaved by|in recovery from|in the early stages of|who have had|who care for|caring for)\b([^.:;!?]*)",
    );
    pattern
        .captures(description)
        .and_then(|c| c.get(0))
        .map(|m| m.as_str())
        .or_else(|| group_for(description))
}

/// Whom a group is for, named before the people: "LGBT+" in "a social for LGBT+ adults",
/// "LGBTQ+" in "a support group for LGBTQ+ young people". What such a group is about.
pub fn group_for(description: &str) -> Option<&str> {
    static FOR_THESE: OnceLock<Regex> = OnceLock::new();
    let these = re(
        &FOR_THESE,
        r"(?i)\b(?:group|club|social|café|cafe|session|sessions|network|meet-?up|space)s? for ([\w+'-]+(?: [\w+'-]+){0,3}) (?:people|adults|young people|men|women|families|parents)\b",
    );
    these
        .captures(description)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(name: &str, eligibility: &str, description: &str) -> Service {
        Service {
            id: "s".into(),
            name: name.into(),
            status: "active".into(),
            eligibility_description: (!eligibility.is_empty()).then(|| eligibility.into()),
            description: Some(description.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_child_who_died_is_not_who_asks() {
        for yes in [
            "son took his own life, parents need support",
            "we lost our daughter in March",
            "since the death of our son",
            "my son's funeral was last week",
        ] {
            assert!(a_child_died(yes), "{yes}");
        }
        for no in [
            "my son is struggling since his dad died",
            "my daughter lost her job",
            "son keeps crying since grandad passed",
            "our boy took his exams",
            "my son passed his driving test",
        ] {
            assert!(!a_child_died(no), "{no}");
        }
    }

    #[test]
    fn someone_close_who_is_ill_is_read() {
        for yes in [
            "husband has dementia and keeps trying to go out at night",
            "My mum was diagnosed with Parkinson\u{2019}s in May",
            "our son has autism and doesn't sleep",
            "wife has got MS",
            "husband with dementia",
            "mum's got vascular dementia",
            "grandson has autism",
            "daughter is autistic",
        ] {
            assert!(someone_close_is_ill(yes).is_some(), "{yes}");
        }
        for no in [
            "my mum had cancer years ago",
            "my neighbour has dementia",
            "I have MS",
            "husband has a shed",
            "My mum was diagnosed with cancer and died in June",
        ] {
            assert_eq!(someone_close_is_ill(no), None, "{no}");
        }
    }

    #[test]
    fn housebound_is_read_and_a_bad_day_or_a_wish_is_not() {
        for (yes, said) in [
            ("Housebound since her fall in Feb.", "Housebound"),
            ("I'm bed bound most of the time", "bed bound"),
            (
                "Can\u{2019}t get out of the house since the stroke",
                "Can't get out of the house",
            ),
            ("He can't get out any more.", "can't get out any more"),
            ("She never leaves the flat.", "never leaves the flat"),
            ("can't get out because of my breathing", "can't get out"),
            ("Can't get out\nNeeds a visitor", "Can't get out"),
            ("confined to the house with my hip", "confined to the house"),
        ] {
            assert_eq!(housebound(yes).as_deref(), Some(said), "{yes}");
        }
        for no in [
            "some days I can't get out of bed",
            "I want to get out more",
            "can't get out on my own now, my eyes have gone",
            "the house is so quiet",
            "stuck at home with the kids",
            "I can't get out and about like I used to",
            "can't leave my flatmate on her own",
            "can't leave my home town",
            "she never leaves the house without her stick",
            "on bad days I can't leave the house",
        ] {
            assert_eq!(housebound(no), None, "{no}");
        }
    }

    #[test]
    fn an_interest_given_up_is_read_and_one_to_take_up_again_is_not() {
        for yes in [
            "knitting but her hands are bad now",
            "her garden but the knees wont let her now",
            "bowls, but I can't bend any more",
            "painting but my eyes\u{2019}s gone",
            "golf but had to give it up",
            "used to love dancing, hips too bad now",
        ] {
            assert!(given_up(yes), "{yes}");
        }
        for no in [
            "used to bake for the chapel",
            "swimming, but only on Sundays",
            "knitting",
            "darts, used to anyway",
            "fishing but not in winter",
            "swimming but can't afford it",
            "football but can't find a team",
            "gardening but no longer has a garden",
            "darts but the pub's gone",
            "walking but not able to go alone",
        ] {
            assert!(!given_up(no), "{no}");
        }
    }

    #[test]
    fn a_sudden_death_is_read_and_thoughts_or_accidents_are_not() {
        for yes in [
            "son took his own life, parents need support",
            "lost my brother to suicide last year",
            "Dad died suddenly at work",
            "my husband was killed in a car accident",
            "she died of an overdose",
            "our baby was stillborn",
            "an unexpected death in the family",
            "my son committed suicide",
            "he was killed in a road traffic accident",
            "my brother was murdered",
            "Dad suddenly died",
        ] {
            assert!(sudden_death(yes), "{yes}");
        }
        for no in [
            "having thoughts of suicide",
            "suicidal and low",
            "had an accident at work and can't walk",
            "wife died in the hospice in March",
            "mum passed away after a long illness",
            "suicide prevention training",
            "My wife died in the hospice in March and I've come close to suicide",
            "driven to suicide",
            "home after her suicide attempt",
            "Dad died suddenly at the hospice",
            "sudden loss of income",
            "he overdosed but survived",
        ] {
            assert!(!sudden_death(no), "{no}");
        }
    }

    #[test]
    fn no_home_of_their_own() {
        for said in [
            "I'm on my cousin's sofa but he's on the cans",
            "been kipping on my brother's settee",
            "Mum chucked me out when I came out",
            "Im sofa surfing at my mates",
            "on a mate's couch since Christmas",
            "I must leave the hotel in 28 days",
            "got kicked out.",
            "got kicked out and need somewhere",
            "on my cousins sofa",
            "was thrown out of my mum's house",
            "the landlord evicted us, now sleeping in the car",
            "I'm out on the streets",
        ] {
            assert!(without_a_home(said), "{said}");
        }
        for said in [
            "The landlord wants us out by March",
            "scared we'll lose the flat",
            "got kicked out of college",
            "I fall asleep on the sofa every night",
            "we had a new sofa delivered",
            "crashing on the sofa after work",
            "I work in a hotel",
            "worried he'll end up on the streets",
            "the landlord chucked us out and changed the locks",
            "the lift on this floor is broken",
            "sleeping on the downstairs sofa since my hip op",
            "I've chucked out loads of stuff",
            "kicked out of college and I'm at home all day",
            "staying in a hotel for the weekend",
        ] {
            assert!(!without_a_home(said), "{said}");
        }
    }

    #[test]
    fn being_sent_off_somewhere_is_refused() {
        assert_eq!(
            refused("I don't want to be sent off to a home")
                .first()
                .map(|r| r.1),
            Some("home")
        );
        let said = "I don't want carting off to a day centre for bingo.";
        assert_eq!(
            refused(said).first().map(|r| r.1),
            Some("day centre for bingo")
        );
        assert!(refused("I don't want to be a nuisance to anyone.").is_empty());
        assert_eq!(
            refused("I'm not paying for another slimming club - done them all")
                .first()
                .map(|r| r.1),
            Some("slimming club - done them all")
        );
    }

    #[test]
    fn a_death_of_someone_named_is_read() {
        for said in [
            "Lost Joan in September, she was in the hospice at the end.",
            "Since Edna went the days are long.",
            "Ron died at Easter and I can't settle.",
            "I've been lost since Pat passed away",
            "After Brian died, I stopped going out.",
            "Since Edna went I can't settle.",
        ] {
            assert!(named_loss(said).is_some(), "{said}");
        }
        for said in [
            "I lost Universal Credit when I moved.",
            "Lost Housing Benefit in May.",
            "Nearly died of sepsis last year.",
            "When Tom passed the exam we celebrated.",
            "Since Dave left us, the kids have been quiet.",
            "Since Mark went back to work I'm on my own all day.",
            "Lost September's rent money on the horses.",
            "Lost my keys again.",
            "When Dave went to prison I lost the flat.",
            "Nobody died, I just feel low.",
            "I feel lost. Nothing helps.",
        ] {
            assert!(named_loss(said).is_none(), "{said}");
        }
    }

    #[test]
    fn a_description_naming_what_its_people_have_been_through_is_read() {
        let read = |t| {
            for_those_who_have(t)
                .into_iter()
                .map(|x| x.1)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            read("Weekly supervised exercise for people who have finished cardiac rehab, with instructors."),
            vec!["cardiac rehab"]
        );
        assert_eq!(
            read("A class for those who have completed pulmonary rehabilitation and want to keep going"),
            vec!["pulmonary rehabilitation"]
        );
        assert!(read("A friendly group for people who have time to spare").is_empty());
        assert!(read("A friendly walk for everyone. Dogs welcome.").is_empty());
        // Not who it is not for; one way in of several, the first.
        assert!(read("Gentle exercise. Not suitable for people who have had a heart attack in the last six weeks").is_empty());
        assert_eq!(
            read("For adults who have had a stroke or who have a long-term condition"),
            vec!["a stroke"]
        );
    }

    #[test]
    fn single_sex_groups_are_read_from_words() {
        let sex = |n: &str, e: &str, d: &str| read(&service(n, e, d), true).sex.map(|s| s.0);
        assert_eq!(sex("Shed", "Men aged 18 and over", ""), Some(Sex::Male));
        assert_eq!(sex("Swim", "Women and girls only", ""), Some(Sex::Female));
        assert_eq!(
            sex("Club", "Dads and male carers with children under 8", ""),
            Some(Sex::Male)
        );
        assert_eq!(
            sex("Ladies' Lunch", "", "A lunch for anyone"),
            Some(Sex::Female)
        );
        assert_eq!(sex("Café", "Families and carers of patients", ""), None);
        assert_eq!(sex("Choir", "", "Everyone welcome, men and women"), None);
        assert_eq!(
            sex("Walk", "", "A women-only walk on Fridays"),
            Some(Sex::Female)
        );
        // A description saying it is for one sex.
        assert_eq!(
            sex(
                "Freedom programme",
                "",
                "A group course for women affected by domestic abuse."
            ),
            Some(Sex::Female)
        );
        assert_eq!(
            sex("Talk", "", "A monthly talk for men. Tea after."),
            Some(Sex::Male)
        );
        for description in [
            "Support for women and men after a death.",
            "A group for mums and their children.",
            "For women and their families.",
            "Help for dads, mums and carers.",
        ] {
            assert_eq!(sex("Group", "", description), None, "{description}");
        }
    }

    #[test]
    fn private_renters_and_tenants_only_services() {
        assert!(private_renter("I rent privately and I'm behind."));
        assert!(private_renter(
            "Landlord say we must go. The factory cut my hours and now I owe him two month rent."
        ));
        assert!(private_renter(
            "We have a private landlord and he wants us out"
        ));
        assert!(!private_renter(
            "The landlord's given us two months to get out"
        ));
        assert!(!private_renter("I live with my daughter"));
        assert!(private_renter(
            "The landlord won't fix the mould. Last week he said the rent's going up."
        ));
        assert!(!private_renter(
            "My landlord is Fenland Homes and they won't fix it"
        ));
        assert!(!private_renter(
            "Our landlord is the council. My husband says he's had enough."
        ));
        // Whoever comes between, a man who puts the rent up is the landlord.
        assert!(private_renter(
            "The landlord won't do anything about the mould and my son's chest is bad. Last week he said he's putting the rent up."
        ));
        assert!(!private_renter(
            "Our landlord is the council. My son says he's putting money aside."
        ));
        assert!(!private_renter(
            "Our landlord is the council. My husband says he's going to kick me out."
        ));
        assert!(tenants_only("For tenants of Harrowby Homes only"));
        assert!(hospice_only(
            "Families of St Guthlac's Hospice patients only"
        ));
        let hospice = "Families of St Guthlac's Hospice patients only";
        assert!(qualifies(hospice, "Dave died at St Guthlac's in August").is_some());
        assert!(qualifies(hospice, "My mum was in St Guthlac's Hospice at the end").is_some());
        assert!(qualifies(hospice, "She was only in hospital a week").is_none());
        assert!(!hospice_only("Patients of Fenbridge GP practices"));
        assert!(!hospice_only(
            "Open to anyone bereaved, not only hospice patients"
        ));
        assert!(qualifies(
            "Families of Fenbridge Hospice patients only",
            "I live in Fenbridge"
        )
        .is_none());
        assert!(!tenants_only("Registered with a Harrowby GP"));
        assert!(!tenants_only("For tenants of private landlords"));
        // The landlord named first.
        assert!(tenants_only("Fenland Homes tenants only"));
        assert!(!tenants_only("Private tenants only"));
        assert_eq!(
            qualifies(
                "Fenland Homes tenants only",
                "the damp in my Fenland Homes flat"
            )
            .as_deref(),
            Some("Fenland Homes")
        );
        assert_eq!(qualifies("Fenland Homes tenants only", "my flat"), None);
        assert_eq!(
            qualifies("For Fenland Homes tenants only", "my Fenland Homes flat").as_deref(),
            Some("Fenland Homes")
        );
        // Only for private renters: read from the first sentence, not from one naming other
        // tenants too; someone renting privately qualifies, and a council or housing
        // association tenant is one the words can name.
        let private = service(
            "Private Renters' Advice",
            "",
            "Free advice if you rent from a private landlord or letting agent: repairs, damp and deposits.",
        );
        let only = read(&private, true).only_for.expect("private renters only");
        assert!(private_renters_only(&only));
        assert!(qualifies(&only, "I rent privately and the damp is awful").is_some());
        assert!(qualifies(&only, "my Fenland Homes flat").is_none());
        let anyone = service(
            "Housing Advice",
            "",
            "Advice whether you rent from the council, a housing association or a private landlord.",
        );
        assert_eq!(read(&anyone, true).only_for, None);
        assert!(!private_renters_only(
            "Help with private landlords and council tenancies"
        ));
        for said in [
            "Fenland Homes keep sending letters",
            "our council flat is freezing",
            "the housing association won't fix it",
        ] {
            assert!(social_tenant(said), "{said}");
        }
        for said in [
            "my landlord won't fix it",
            "My Housing Benefit was stopped",
            "I work nights at Oakfield Care Homes",
            "Fenbridge Housing Options told me to wait",
            "We've been on the list for a council house for years and the landlord won't fix the mould",
        ] {
            assert!(!social_tenant(said), "{said}");
        }
        // Help for everyone, with something extra for private renters, is for everyone.
        assert!(!private_renters_only(
            "Help for everyone, and extra help if you rent privately"
        ));
    }

    #[test]
    fn a_restriction_said_in_the_description() {
        for (eligibility, description) in [
            ("Fenland Homes tenants only", ""),
            ("", "Practical support. For tenants of Fenland Homes only."),
            (
                "",
                "Volunteers pop round. For residents of Northey St Mary parish.",
            ),
            ("", "A lunch club. Gosland residents only."),
        ] {
            let s = service("Help", eligibility, description);
            assert!(
                read(&s, true).only_for.is_some(),
                "{eligibility}{description}"
            );
        }
        // Not a sentence that only mentions tenants or residents.
        for description in [
            "Advice for tenants and homeowners.",
            "Residents of care homes are welcome too, with their carers.",
        ] {
            let s = service("Help", "", description);
            assert_eq!(read(&s, true).only_for, None, "{description}");
        }
    }

    #[test]
    fn their_words_say_they_qualify() {
        let only = "For tenants of Harrowby Homes only.";
        assert_eq!(
            qualifies(only, "I'm behind on the rent on my Harrowby Homes flat").as_deref(),
            Some("Harrowby Homes")
        );
        assert_eq!(qualifies(only, "I rent from a private landlord"), None);
        assert_eq!(qualifies(only, "my harrowby homestead"), None);
        assert_eq!(
            qualifies(
                "Patients registered with Castle Street Surgery.",
                "I'm with castle street surgery"
            )
            .as_deref(),
            Some("Castle Street Surgery")
        );
        // Not when their words deny it or are about someone else.
        assert_eq!(
            qualifies(only, "I'm not a Harrowby Homes tenant any more"),
            None
        );
        assert_eq!(qualifies(only, "My sister has a Harrowby Homes flat"), None);
        assert_eq!(qualifies(only, "we don't rent from Harrowby Homes"), None);
        assert_eq!(
            qualifies(only, "not currently a tenant of Harrowby Homes"),
            None
        );
        assert_eq!(
            qualifies(only, "I used to live in a Harrowby Homes flat"),
            None
        );
        // A "not" about something else in the same clause does not deny it.
        let hospice = "Families of St Guthlac's Hospice patients only";
        assert_eq!(
            qualifies(
                hospice,
                "his mum died at st guthlacs and he is not sleeping"
            )
            .as_deref(),
            Some("St Guthlac's")
        );
        assert_eq!(
            qualifies(hospice, "she was never at st guthlacs, died at home"),
            None
        );
        // Either of two bodies.
        assert_eq!(
            qualifies(
                "For tenants of Harrowby Homes and Fenbridge Housing.",
                "We rent from Fenbridge Housing"
            )
            .as_deref(),
            Some("Fenbridge Housing")
        );
        assert_eq!(
            qualifies(
                "Open to members of the Royal British Legion and their families.",
                "I'm in the Royal British Legion"
            )
            .as_deref(),
            Some("Royal British Legion")
        );
    }

    #[test]
    fn languages_a_course_teaches() {
        assert_eq!(
            teaches(
                "BSL Level 1 Course",
                "Learn British Sign Language to Level 1."
            ),
            ["bsl", "british sign language"]
        );
        assert_eq!(
            teaches(
                "Polish Social Club",
                "A club in Polish for Polish speakers."
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            teaches("ESOL", "Free English classes for adults."),
            ["english"]
        );
        assert_eq!(
            teaches("Pottery Evening Class", "Learn to throw pots."),
            Vec::<String>::new()
        );
    }

    #[test]
    fn ages_for_the_person_not_their_child() {
        let age = |e: &str, d: &str| {
            let r = read(&service("X", e, d), true);
            (r.min_age.map(|a| a.0), r.max_age.map(|a| a.0))
        };
        assert_eq!(age("Over 60s", ""), (Some(60.0), None));
        assert_eq!(age("Adults 18+", ""), (Some(18.0), None));
        assert_eq!(age("", "Cards and painting. Adults."), (Some(18.0), None));
        assert_eq!(
            age(
                "",
                "Saturday art club for young people aged 11–18: drawing, animation, street art and exhibitions. Free thanks to Harrowby Youth Fund."
            ),
            (Some(11.0), Some(18.0))
        );
        assert_eq!(age("", "Adults and children welcome."), (None, None));
        assert_eq!(
            age("", "For young people aged 11–18."),
            (Some(11.0), Some(18.0))
        );
        assert_eq!(age("People aged 55 and over", ""), (Some(55.0), None));
        assert_eq!(age("Under 25s", ""), (None, Some(24.0)));
        assert_eq!(age("Dads with children under 8", ""), (None, None));
        assert_eq!(age("", "Under-5s with a parent or carer"), (None, None));
        assert_eq!(age("", "Meets 10-12 on Tuesdays"), (None, None));
        assert_eq!(
            age("", "Open to all ages, 10-12:30 on Saturdays"),
            (None, None)
        );
        assert_eq!(age("", "Linden Road Youth Club"), (None, None));
        assert_eq!(
            read(&service("Linden Youth Club", "", ""), true)
                .max_age
                .map(|a| a.0),
            Some(25.0)
        );
    }

    #[test]
    fn the_sex_a_search_names() {
        assert_eq!(sex_named("new dad feeling isolated"), Some(Sex::Male));
        assert_eq!(sex_named("women's refuge"), Some(Sex::Female));
        assert_eq!(sex_named("Men’s shed"), Some(Sex::Male));
        assert_eq!(sex_named("mums and dads group"), None);
        assert_eq!(sex_named("support for my husband with dementia"), None);
        assert_eq!(sex_named("carer for my dad"), None);
        assert_eq!(sex_named("bereaved after my mum died"), None);
        assert_eq!(sex_named("lonely"), None);
        assert_eq!(
            sex_named("just become a dad and feel cut off"),
            Some(Sex::Male)
        );
        assert_eq!(sex_named("mental health for blokes"), Some(Sex::Male));
        assert_eq!(sex_named("my mum as well as a dad with Parkinson's"), None);
        assert_eq!(
            sex_named("just had a baby and feel lonely"),
            Some(Sex::Female)
        );
        assert_eq!(sex_named("my wife just had a baby"), None);
        assert_eq!(sex_named("my son just had a baby"), None);
        assert_eq!(sex_named("me fella hits me"), None);
        assert_eq!(sex_named("bloke whose partner hits him"), Some(Sex::Male));
        assert_eq!(sex_named("gay chap, 63, lonely"), Some(Sex::Male));
        assert_eq!(sex_named("my daughter's fella shouts at her"), None);
        assert_eq!(sex_named("her bloke controls the money"), None);
        assert_eq!(
            sex_named("woman scared of this bloke at work"),
            Some(Sex::Female)
        );
        assert_eq!(sex_named("scared of her ex fella"), None);
        assert_eq!(sex_named("my mum's new bloke hits her"), None);
        assert_eq!(sex_named("my old fella drinks and shouts"), None);
        assert_eq!(sex_named("this man at work keeps touching me"), None);
        assert_eq!(sex_named("my new man hits me"), None);
        assert_eq!(
            sex_named("things to do for 14 yr old lad being bullied"),
            Some(Sex::Male)
        );
        assert_eq!(sex_named("my kids' dad is violent"), None);
        assert_eq!(sex_named("I'm a bloke whose wife hits me"), Some(Sex::Male));
        assert_eq!(sex_named("caring for a dad with dementia"), None);
        // Not inside other words.
        assert_eq!(sex_named("mandarin classes"), None);
    }

    #[test]
    fn services_reached_only_by_telephone() {
        let s = service("Adviceline", "", "Phone advice on benefits and debt.");
        assert!(read(&s, false).phone_only.is_some());
        // Another way in, or a venue, and it is not phone only.
        for description in [
            "Phone or webchat advice on benefits.",
            "Advice by phone, text or email.",
            "Telephone advice; BSL users can book a video call.",
        ] {
            let s = service("Adviceline", "", description);
            assert_eq!(read(&s, false).phone_only, None, "{description}");
        }
        let s = service("Adviceline", "", "Phone advice on benefits and debt.");
        assert_eq!(read(&s, true).phone_only, None);
        // How to book is not how it is used.
        let s = service("Walk", "", "Call us to book a place on the walk.");
        assert_eq!(read(&s, false).phone_only, None);
    }

    #[test]
    fn a_service_with_a_venue_may_be_used_another_way_too() {
        for description in [
            "Listening support, in our rooms or by phone, for adults bereaved at any time.",
            "Appointments by phone or at clinics in the health centre.",
            "Counselling by phone, video or face to face.",
            "Advice face to face at the centre, or over the phone.",
        ] {
            let s = service("Support", "", description);
            assert!(read(&s, true).also_remote.is_some(), "{description}");
            // With no venue, it is read as reaching people where they are instead.
            assert_eq!(read(&s, false).also_remote, None, "{description}");
        }
        for description in [
            // How to book or ask is not how it is used.
            "Book online or by phone.",
            "Contact us by phone or email to find out more.",
            "Call or ring us and we will refer you or by phone ask for Jo.",
            // Help with video calls is what it teaches, not how.
            "Help with email, video calls and the NHS App.",
            "A weekly walk from the library.",
            "Places reserved online or by phone.",
            "Bring your own tablet or phone.",
            "Help with your phone or online banking.",
            "Drop in, or phone Sue on 01632 960000.",
            "We do not offer sessions in person or by phone.",
            // Home visits are for an area, not for anyone.
            "Home visits for people who cannot get to the centre.",
            "Helping people stay independent in their own homes.",
        ] {
            let s = service("Support", "", description);
            assert_eq!(read(&s, true).also_remote, None, "{description}");
        }
    }

    #[test]
    fn couples_counselling_is_for_adults() {
        let min = |d: &str| {
            read(&service("Relationship Counselling", "", d), true)
                .min_age
                .map(|m| m.0)
        };
        assert_eq!(
            min("Counselling for couples and individuals about their relationships."),
            Some(18.0)
        );
        assert_eq!(
            min("A walking group. Bring a friend, or come as couples."),
            None
        );
        assert_eq!(
            min("Antenatal classes for couples and young parents-to-be."),
            None
        );
        assert_eq!(
            min("Counselling for couples, families and young people."),
            None
        );
    }

    #[test]
    fn what_someone_will_not_go_near() {
        assert_eq!(
            refused("I won't set foot in a gym full of lycra, I'd die"),
            vec![("won't set foot in a gym full of lycra", "gym full of lycra")]
        );
        assert_eq!(refused("I don't want any counselling").len(), 1);
        // Said the other way round.
        assert_eq!(
            refused("I have MS, a support group isn't what I'm after."),
            vec![("a support group isn't what I'm after", "support group")]
        );
        assert!(refused("I'd love a choir but a gym isn't for me")
            .iter()
            .all(|(_, after)| !after.contains("choir")));
        for said in [
            "I won't let it beat me",
            "I don't want to be a burden",
            "I hate the winter",
        ] {
            assert!(
                refused(said)
                    .iter()
                    .all(|(_, after)| !after.contains("gym")),
                "{said}"
            );
        }
    }

    #[test]
    fn what_someone_has_done_already() {
        assert_eq!(
            done_already("Had the heart attack in July, done the rehab at the leisure centre and now nothing."),
            vec![("done the rehab at the leisure centre", "rehab at the leisure centre")]
        );
        assert_eq!(
            done_already("I've finished my counselling, it helped"),
            vec![("I've finished my counselling", "counselling")]
        );
        assert_eq!(
            done_already("I did the lung course at the leisure centre and felt better"),
            vec![(
                "I did the lung course at the leisure centre",
                "lung course at the leisure centre"
            )]
        );
        // Without "I", in shorthand.
        assert_eq!(
            done_already(
                "Got two stents, did the rehab down the leisure centre and since then nowt."
            ),
            vec![(
                "did the rehab down the leisure centre",
                "rehab down the leisure centre"
            )]
        );
        assert!(done_already("He went into rehab, did the programme, came out worse").is_empty());
        assert!(done_already("I did the shopping and the garden").is_empty());
        assert!(done_already("I did a pottery class years ago and loved it").is_empty());
        // Done with something, or done in general, is not having been through it.
        for said in [
            "I'm done with it all",
            "Everything I've done for them",
            "done nothing for years",
        ] {
            assert!(done_already(said).is_empty(), "{said}");
        }
    }

    #[test]
    fn groups_and_people_who_cannot_face_them() {
        let group =
            |name: &str, description: &str| read(&service(name, "", description), true).group;
        assert!(group("Walk and Talk", "A gentle stroll along the river path.").is_some());
        assert!(group(
            "Open Door Peer Support",
            "A peer support group run by people with lived experience."
        )
        .is_some());
        assert!(group(
            "Green Wellbeing",
            "A small-group gardening programme led by a horticultural therapist."
        )
        .is_some());
        assert!(group("Knit and Natter", "We meet every Tuesday in the hall.").is_some());
        // One-to-one, at home or by phone: not a group, whatever else it says.
        for (name, description) in [
            (
                "Talking Therapies",
                "CBT and counselling. Sessions by phone, video or face to face.",
            ),
            (
                "Digital Buddies",
                "Book a free half-hour with a volunteer Digital Buddy.",
            ),
            (
                "Doorstep Friends",
                "A volunteer visits you at home every week.",
            ),
            (
                "Money Advice",
                "Appointments with an adviser at the library.",
            ),
            (
                "Carers Support",
                "One-to-one support, and a monthly carers' group.",
            ),
        ] {
            assert_eq!(group(name, description), None, "{name}");
        }
        assert_eq!(
            no_groups("I don't do groups. Tried one once.").as_deref(),
            Some("don't do groups")
        );
        for said in [
            "I can't do groups, my heart starts racing",
            "walking into a room full of strangers",
            "Something one-to-one would be better",
            "One person I can talk to, that's what I'd want",
            "Groups are a no for me",
            "walking into a room of people I don't know",
            "I panic in a room full of people",
        ] {
            assert!(no_groups(said).is_some(), "{said}");
        }
        for said in [
            "The knitting group is not for me, I'd like the walking group",
            "Joining a group is a no-brainer",
        ] {
            assert_eq!(no_groups(said), None, "{said}");
        }
        for said in [
            "I don't want to sit in a circle talking about feelings",
            "I'm not one for sitting in a circle talking about feelings mind",
            "I'm not one for sat in a circle with women talking about feelings",
            "Sitting in a circle with women talking about feelings isn't for me",
        ] {
            assert!(no_talking_circle(said).is_some(), "{said}");
            assert_eq!(no_groups(said), None, "{said}");
        }
        // Big groups, not small ones ("maybe one friend"): a small supportive group may suit.
        for said in [
            "Big noisy groups make me shut down",
            "I'd love to join a walking group",
            "There are no groups in the village",
            "I can't find any groups",
            "I don't mind groups",
            "She'd like one-to-one support to get to a group at first",
            "my group of friends moved away",
            "the kids' football group",
        ] {
            assert_eq!(no_groups(said), None, "{said}");
        }
    }

    #[test]
    fn services_for_the_people_around_someone_with_a_problem() {
        let d = "Support group and one-to-one help for people affected by a loved one's drinking or drug use";
        assert_eq!(
            read(&service("Family and Friends", "", d), true)
                .affected
                .as_deref(),
            Some(d)
        );
        assert!(for_those_affected(
            "For families and friends of people who gamble"
        ));
        assert!(!for_those_affected(
            "Support for people affected by drug or alcohol use"
        ));
        assert!(someone_elses_problem(
            "I need to understand what my son is going through with the drugs"
        ));
        assert!(someone_elses_problem("His drinking is getting worse"));
        assert!(someone_elses_problem(
            "I want to understand what my lad's going through with drugs"
        ));
        assert!(someone_elses_problem("My husband drinks too much"));
        assert!(someone_elses_problem("I worry about my son drinking"));
        assert!(!someone_elses_problem("Mum hates my drinking"));
        // A grandchild's mother, or a grandparent's own child, on drugs.
        assert!(someone_elses_problem(
            "Our Lily's lived with me since her mum's back on the drugs"
        ));
        assert!(someone_elses_problem("My dad is on the drink again"));
        // Their own: "I've been on the drink", "I'm back on the booze".
        assert!(!someone_elses_problem(
            "Since my dad passed I've been on the drink"
        ));
        assert!(!someone_elses_problem(
            "Since losing my mum I'm back on the booze"
        ));
        for own in [
            "I want to stop drinking before it costs me my kids",
            "My wife says I drink too much",
            "Since my husband died I've been drinking every night",
            "I meet my son for a drink on Sundays",
            "My daughter helps me using the bus",
            "Mum can't manage her drugs",
        ] {
            assert!(!someone_elses_problem(own), "{own}");
        }
        // A treatment service that also supports families is still for the one who drinks.
        let treatment = "Help to cut down or stop drinking. We also support families and friends of people who drink";
        assert_eq!(
            read(&service("Alcohol Service", "", treatment), true).affected,
            None
        );
    }

    #[test]
    fn only_for_people_under_a_specialist_team() {
        let s = service(
            "Employment Support",
            "Adults receiving secondary mental health care; referral from the community mental health team",
            "",
        );
        let r = read(&s, true);
        assert_eq!(
            r.specialist.as_deref(),
            Some("Adults receiving secondary mental health care")
        );
        // A GP's referral, or mental health named as a need, is not a specialist team.
        for open in [
            "By referral from a GP",
            "Adults with mild to moderate anxiety or depression",
            "Anyone feeling low; no referral needed",
        ] {
            assert_eq!(
                read(&service("Group", open, ""), true).specialist,
                None,
                "{open}"
            );
        }
        assert!(under_specialist("I see my CPN every fortnight"));
        for not in [
            "I feel low and my GP suggested I come",
            "Referrals accepted from GPs, CMHT, social workers or self-referral",
            "For people not currently under secondary mental health services",
            "I was discharged from the CMHT last year",
            "I'm waiting to see a psychiatrist",
            "My care coordinator at the surgery rang me",
        ] {
            assert!(!under_specialist(not), "{not}");
        }
    }

    #[test]
    fn access_restrictions_referral_and_reach() {
        let mut s = service(
            "Art",
            "For tenants of Harrowby Homes, by referral from a GP",
            "",
        );
        s.service_at_locations = vec![crate::oruk::ServiceAtLocation {
            id: "sal".into(),
            location: Some(crate::oruk::Location {
                id: "l".into(),
                location_type: "physical".into(),
                accessibility: vec![crate::oruk::Accessibility {
                    id: "a".into(),
                    description: Some("First floor room, no lift. Hearing loop fitted.".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }];
        let r = read(&s, true);
        assert_eq!(r.step_free.as_ref().map(|x| x.0), Some(false));
        assert!(r.access.iter().any(|a| a.0 == AccessFeature::HearingLoop));
        assert!(r.only_for.as_deref().unwrap().contains("tenants of"));
        assert!(r.by_referral.is_some());
        for barrier in [
            "Workshop is on the ground floor but has uneven yard access.",
            "Ground floor hall, two steps at the front door.",
            "A small step up into the hut.",
            // A way round denied is none.
            "Two steps up at the entrance, no ramp",
        ] {
            let s = service("Hut", "", barrier);
            assert_eq!(
                read(&s, true).step_free.map(|x| x.0),
                Some(false),
                "{barrier}"
            );
        }
        for fine in [
            "There are two steps at the door but a ramp is available.",
            "Level access, no steps at the entrance.",
            "No uneven surfaces; level access throughout.",
            "Build up to 10,000 steps a day with us.",
            "Level entrance, no ramp needed.",
            "A few steps from the bus stop, on the ground floor.",
            "Working the 12 steps together.",
        ] {
            let s = service("Hall", "", fine);
            assert_ne!(read(&s, true).step_free.map(|x| x.0), Some(false), "{fine}");
        }
        let ramp = service("Cafe", "", "Ground floor with a ramp at the entrance.");
        assert_eq!(read(&ramp, true).step_free.map(|x| x.0), Some(true));
        let mut phone = service("Friends", "", "A weekly telephone call");
        phone.service_areas = vec![crate::oruk::ServiceArea {
            id: "a".into(),
            extent: Some("Harrowby district".into()),
            ..Default::default()
        }];
        assert_eq!(
            read(&phone, false).area.as_deref(),
            Some("Harrowby district")
        );
        assert_eq!(read(&phone, true).area, None);
        let mut walk = phone.clone();
        walk.name = "Sunday Hill Walks".into();
        walk.description = Some("Long walks in the hills.".into());
        walk.service_areas[0].extent = Some("Meets at the station car park".into());
        assert_eq!(read(&walk, false).area, None, "a meeting point is a venue");
        // A name can say it comes to them even when an office is on the map.
        assert!(named_remote("Telephone befriending (Kirkstall)"));
        assert!(named_remote("Home visits for carers"));
        assert!(!named_remote("Thursday Lunch Club"));
    }

    #[test]
    fn whom_a_description_says_a_service_is_for() {
        assert_eq!(
            made_for_clause("A monthly cafe for people living with dementia and their carers."),
            Some("for people living with dementia and their carers")
        );
        assert!(
            made_for_clause("For adults who have had a stroke: exercise and a chat")
                .is_some_and(|c| c.ends_with("a stroke"))
        );
        assert_eq!(
            made_for_clause(
                "Gentle walks for people who are new to exercise, or living with pain."
            ),
            None,
            "for anyone new to exercise"
        );
        assert_eq!(
            made_for_clause("A lunch club for people who would like company."),
            None
        );
    }
}
