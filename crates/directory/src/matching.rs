//! Matching: which directory services to propose for a person, ranked, each with the
//! reasons it was proposed and anything to check.
//!
//! The whole person is one query through the same retrieval as search: their needs with
//! their scores (each need widened to the concepts of the vocabulary that help with it),
//! their interests and what matters to them in their own words (read against the
//! vocabulary, interests also as ranked words). Their lasting preferences are hard
//! filters: a service that breaks one is left out and counted, so an empty page can name
//! the real cause, and the page may relax one filter and say so.

use crate::classify::Source;
use crate::search::query::{concept_scores, nearness, wanted_own, ConceptScores};
use crate::search::{Facts, SearchIndex};
use crate::vocabulary::{ConceptId, Vocabulary};
use domain::person::Sex;
use domain::{
    AccessFeature, Category, Code, Need, ReferralMode, ServiceCapacity, TimeOfDay, Weekday,
};
use std::collections::HashMap;

/// What is known about the person that matters for matching.
#[derive(Debug, Clone, Default)]
pub struct MatchProfile {
    /// Needs with their weight (assessment score 1–5; referral needs count as 3).
    pub needs: Vec<(Need, u8)>,
    /// Interests chosen from the category list.
    pub interests: Vec<Category>,
    /// Interests in their own words ("I used to love dancing").
    pub interest_words: Vec<String>,
    /// What matters to them, in their own words.
    pub what_matters: String,
    pub age: Option<f64>,
    /// For single-sex groups.
    pub sex: Option<Sex>,
    /// Where they live (postcode centroid).
    pub near: Option<(f64, f64)>,
    /// Farthest they would travel; services farther away are left out.
    pub max_distance_m: f64,
    /// Their language, if not English (a name or ISO 639 code).
    pub language: Option<String>,
    /// They need the service in that language (an interpreter is needed): a filter, not
    /// a bonus.
    pub language_required: bool,
    /// Access features they need; step-free access is a hard filter.
    pub access: Vec<AccessFeature>,
    /// Days they can make (any day when empty).
    pub days: Vec<Weekday>,
    /// Parts of the day they can make (any time when empty).
    pub times: Vec<TimeOfDay>,
    pub free_only: bool,
    /// One filter the link worker chose to relax for this look.
    pub relax: Option<Filter>,
    pub limit: usize,
}

/// The person's lasting preferences that leave services out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Filter {
    Distance,
    Free,
    Days,
    Language,
    StepFree,
}

impl Filter {
    pub const ALL: [Filter; 5] = [
        Filter::Distance,
        Filter::Free,
        Filter::Days,
        Filter::Language,
        Filter::StepFree,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Filter::Distance => "distance",
            Filter::Free => "free",
            Filter::Days => "days",
            Filter::Language => "language",
            Filter::StepFree => "step_free",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == s)
    }

    /// "3 services fit but …", completed.
    pub fn left_out(self, p: &MatchProfile) -> String {
        match self {
            Filter::Distance => format!("are over {} away", km(p.max_distance_m)),
            Filter::Free => "charge a fee".into(),
            Filter::Days if !p.times.is_empty() => "do not run when they can make it".into(),
            Filter::Days => "do not run on the days they can make".into(),
            Filter::Language => format!(
                "do not list {}",
                language(p).map(|l| language_name(&l)).unwrap_or_default()
            ),
            Filter::StepFree => "are not step-free".into(),
        }
    }
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
    /// Why it was proposed, in plain words, quoting the listing.
    pub reasons: Vec<String>,
    /// What to check before connecting the person.
    pub cautions: Vec<String>,
}

/// What matching found, and why others were left out.
#[derive(Debug, Clone, Default)]
pub struct MatchReport {
    pub matches: Vec<Match>,
    /// Services that fit the person but break one preference, per preference.
    pub left_out: Vec<(Filter, usize)>,
    /// Services that fit the person's needs but are not for them, per rule ("are for the
    /// other sex"): said so the link worker knows, and cannot be shown.
    pub ruled_out: Vec<(&'static str, usize)>,
    /// Needs no service in the directory is classified for.
    pub unserved: Vec<Need>,
}

fn km(m: f64) -> String {
    domain::directory::miles(m)
}

pub(crate) fn titlecase(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Why each group of wanted concepts is there ("Helps with loneliness").
#[derive(Debug, Clone)]
enum Because {
    Need(Need),
    Interest(String),
    Matters,
    /// They are under 18.
    Young,
    /// Their first language is not English.
    Language,
}

/// The person as a query: groups of concepts with weights, and why each group is there.
struct Query {
    groups: Vec<Vec<(ConceptId, f32)>>,
    because: Vec<Because>,
    /// Needs they have (score 3 or more, or flagged), for "avoid for" and eligibility.
    needs: Vec<Need>,
    /// Per vocabulary concept: never offered to someone with one of their needs (a
    /// licensed bar for someone stopping drinking). Looked up once, not per service.
    never: Vec<bool>,
    /// Every concept the person's words or needs name.
    named: Vec<ConceptId>,
    /// The concepts their own words name (interests, what matters to them).
    own: Vec<ConceptId>,
    /// Their words say they rent from a private landlord or have no home of their own:
    /// not one landlord's tenants.
    not_a_tenant: bool,
    /// Concepts the rules name, looked up once.
    ids: Ids,
    /// Their own words, all together (interests and what matters to them).
    words: String,
    /// Their words say they rent from a council or a housing association.
    social_tenant: bool,
    /// Their words say they have no home of their own to rent ("on my mate's sofa").
    without_a_home: bool,
    /// The directory's place they live in or nearest to (set with the snapshot).
    home: Option<crate::search::places::Place>,
    /// What their words about what matters to them ask for, in order.
    wishes: Vec<ConceptId>,
    /// Their words are about someone else's drinking, drugs or gambling ("my son … the
    /// drugs"): services for the people around them are theirs.
    affected: bool,
    /// Their words say they are under a specialist team ("my CPN").
    under_specialist: bool,
    /// Their words say they cannot face a group ("I don't do groups"), as said.
    no_groups: Option<String>,
    /// Their words say they cannot leave home ("housebound since her fall"), as said.
    housebound: Option<String>,
    /// Their words say they cannot use a telephone ("I can't even do the phone", "hard of
    /// hearing"), as said.
    no_phone: Option<String>,
    /// Their words say they will not sit in a circle talking about feelings, as said: a
    /// support group, not any group.
    no_circle: Option<String>,
    /// What their words say they have been through already ("done the rehab at the leisure
    /// centre") or will not go near ("I won't set foot in a gym"), with the caution to show.
    /// With whether only what charges is meant ("not paying for another slimming club").
    done: Vec<(ConceptId, String, bool)>,
}

/// Vocabulary concepts matching's rules name.
struct Ids {
    youth: Option<ConceptId>,
    children: Option<ConceptId>,
    esol: Option<ConceptId>,
    homelessness: Option<ConceptId>,
    transport: Option<ConceptId>,
    employment: Option<ConceptId>,
    culture: Option<ConceptId>,
}

/// `respell` reads misspelt words in their own words as the vocabulary's ("lonley").
fn query(v: &Vocabulary, p: &MatchProfile, respell: &dyn Fn(&str) -> Option<String>) -> Query {
    // Typed on a phone: "isn’t" as "isn't", for the readings below.
    let matters = p.what_matters.replace('\u{2019}', "'");
    let mut q = Query {
        groups: vec![],
        because: vec![],
        needs: vec![],
        never: vec![],
        named: vec![],
        own: vec![],
        not_a_tenant: crate::eligibility::private_renter(&p.what_matters)
            || p.interest_words
                .iter()
                .any(|w| crate::eligibility::private_renter(w)),
        ids: Ids {
            youth: v.by_id("youth"),
            children: v.by_id("children"),
            esol: v.by_id("esol"),
            homelessness: v.by_id("homelessness"),
            transport: v.by_id("transport"),
            employment: v.by_id("employment"),
            culture: v.by_id("culture_community"),
        },
        words: format!("{} {}", p.interest_words.join(". "), p.what_matters),
        social_tenant: crate::eligibility::social_tenant(&p.what_matters),
        without_a_home: crate::eligibility::without_a_home(&matters),
        home: None,
        wishes: vec![],
        under_specialist: crate::eligibility::under_specialist(&format!(
            "{}. {}",
            p.interest_words.join(". "),
            p.what_matters
        )),
        no_groups: crate::eligibility::no_groups(&matters),
        housebound: crate::eligibility::housebound(&matters),
        no_phone: crate::search::said::no_phone(&matters),
        no_circle: crate::eligibility::no_talking_circle(&matters),
        // A concept named at the start of the words after "done the …".
        done: {
            let read = |(said, after): (&str, &str), caution: &'static str, done: bool| {
                // Done already: something they could be offered (a course, a gym,
                // counselling), not a condition or who they are ("finished my chemo" is not
                // cancer support done). Refused: a condition, people or family life only when
                // the words name something offered ("not paying for another slimming club",
                // not "another stroke" or "paying for the kids"). Not paying for one: what is
                // free is still for them.
                let charges = !done && ["paying", "forking"].iter().any(|w| said.contains(w));
                let offered = crate::eligibility::names_an_offer(after);
                v.find_said(after)
                    .into_iter()
                    .filter(move |f| {
                        let c = v.concept(f.concept);
                        let kept = if done {
                            !matches!(c.group.as_str(), "health" | "identity")
                        } else {
                            offered || !matches!(c.group.as_str(), "health" | "identity" | "family")
                        };
                        f.at <= 3 && c.category.is_some() && kept
                    })
                    .map(move |f| (f.concept, caution.replace("{}", said), charges))
                    .collect::<Vec<_>>()
            };
            let done = crate::eligibility::done_already(&matters)
                .into_iter()
                .flat_map(|d| {
                    read(
                        d,
                        "They said they have \"{}\": check what it would add",
                        true,
                    )
                });
            let refused = crate::eligibility::refused(&matters)
                .into_iter()
                .flat_map(|d| read(d, "They said \"{}\": check it suits them", false));
            done.chain(refused).collect()
        },
        affected: crate::eligibility::someone_elses_problem(&p.what_matters)
            || p.interest_words
                .iter()
                .any(|w| crate::eligibility::someone_elses_problem(w)),
    };
    for (need, score) in &p.needs {
        // 1 is "managing well": no reason to propose anything; 3 and over is a main need.
        let weight = match score {
            0 | 1 => continue,
            2 => 0.3,
            3 => 1.0,
            4 => 1.3,
            _ => 1.6,
        };
        let g: Vec<(ConceptId, f32)> = v
            .for_need(*need)
            .into_iter()
            .map(|(c, w)| (c, w * weight))
            .collect();
        q.named
            .extend(g.iter().filter(|x| x.1 >= weight).map(|x| x.0));
        q.groups.push(g);
        q.because.push(Because::Need(*need));
        q.needs.push(*need);
    }
    for c in &p.interests {
        let g: Vec<(ConceptId, f32)> = v
            .in_category(*c)
            .into_iter()
            .map(|c| (c, INTEREST))
            .collect();
        q.groups.push(g);
        q.because.push(Because::Interest(format!(
            "in {}",
            c.label().to_lowercase()
        )));
    }
    let about = |c: ConceptId| about_their_needs(v, p, c);
    for whole in &p.interest_words {
        // A concept counts once for the whole phrase, at its first clause's weight when
        // both name it ("painting, watercolours mostly").
        let mut counted = vec![];
        // Something they can no longer do ("knitting but her hands are bad now"): what it
        // is may still be theirs, but not the activity itself first.
        let gone = if crate::eligibility::given_up(whole) {
            GIVEN_UP
        } else {
            1.0
        };
        for (words, tail) in interest_parts(whole) {
            let (groups, found) = wanted_own(v, respell(words).as_deref().unwrap_or(words), about);
            let mut seen = vec![];
            for f in &found {
                if !seen.contains(&f.concept) {
                    seen.push(f.concept);
                }
            }
            for (g, c) in groups.into_iter().zip(seen) {
                if counted.contains(&c) {
                    continue;
                }
                counted.push(c);
                // Their own short phrase as it stands ("quizzes", "fixing bikes"); a longer one
                // is quoted whole ("being outdoors with the pram"), not cut to the word matched.
                let label = if whole.split_whitespace().count() <= 3 {
                    format!("in {}", whole.trim())
                } else {
                    format!("(\"{}\")", whole.trim())
                };
                q.named.push(c);
                q.own.push(c);
                let w = INTEREST * who_weight(v, c) * gone * if tail { TAIL } else { 1.0 };
                q.groups.push(
                    made_for(v, c, g)
                        .into_iter()
                        .map(|(c, x)| (c, x * w))
                        .collect(),
                );
                q.because.push(Because::Interest(label));
            }
        }
    }
    // A death of someone they name ("Lost Joan in September") said plainly.
    // (Before respelling, which may take a name for a misspelt word.)
    let matters =
        crate::eligibility::named_loss(&p.what_matters).unwrap_or_else(|| p.what_matters.clone());
    let matters = respell(&matters).unwrap_or(matters);
    let (groups, found) = wanted_own(v, &matters, about);
    let mut seen = vec![];
    for f in &found {
        if !seen.contains(&f.concept) {
            seen.push(f.concept);
        }
    }
    for (g, c) in groups.into_iter().zip(seen) {
        // Not what they ask for: what they have done already.
        if q.done.iter().any(|d| d.0 == c && !d.2) {
            continue;
        }
        matters_to_them(&mut q, v, c, g);
    }
    // Someone close to them lives with an illness ("husband has dementia"): what helps
    // carers is theirs, as if their words had said they care for them.
    // (Not when they refuse what helps carers, nor when their words are of a death.)
    let bereaved = v.by_id("bereavement");
    if let Some(carers) = v.by_id("carers").filter(|c| {
        !q.own.contains(c)
            && !q.done.iter().any(|d| d.0 == *c && !d.2)
            && !q
                .own
                .iter()
                .any(|o| Some(*o) == bereaved || v.concept(*o).within == bereaved)
    }) {
        if crate::eligibility::someone_close_is_ill(&p.what_matters).is_some() {
            let g = crate::search::query::widen(v, carers, 1.0);
            matters_to_them(&mut q, v, carers, g);
        }
    }
    // Someone telling of abuse done to them is not its perpetrator, whatever else their
    // words say ("he strangled me, and I hit him to get away").
    if let (Some(abuse), Some(perpetrator)) = (v.by_id("domestic_abuse"), v.by_id("perpetrator")) {
        if q.own.contains(&abuse) {
            q.own.retain(|c| *c != perpetrator);
            q.named.retain(|c| *c != perpetrator);
            q.wishes.retain(|c| *c != perpetrator);
        }
    }
    // People like them answer a need directly: someone whose words about what matters to
    // them say who they are ("being gay", "since I left the army") and who is lonely is
    // offered the groups only for people like them as fully as any lunch club, not as
    // something that also helps. (Not a pastime's words: "national service" among
    // interests; nor a community that is one of many, such as a language's.)
    let identities: Vec<ConceptId> = q
        .wishes
        .iter()
        .copied()
        .filter(|&c| v.concept(c).group == "identity" && v.concept(c).restricts)
        .collect();
    for (g, because) in q.groups.iter_mut().zip(&q.because) {
        let Because::Need(n) = because else {
            continue;
        };
        let full = g.iter().map(|x| x.1).fold(0.0, f32::max);
        for (c, w) in g.iter_mut() {
            if identities.contains(c) && v.concept(*c).also_helps.contains(n) {
                *w = w.max(full);
            }
        }
    }
    // A young person: youth clubs and groups are where a link worker looks first.
    if p.age.is_some_and(|a| a < 18.0) {
        if let Some(youth) = q.ids.youth {
            q.groups.push(vec![(youth, YOUNG)]);
            q.because.push(Because::Young);
        }
    }
    // Someone whose preferred language is not English (nor BSL): English classes and
    // conversation groups are worth offering.
    if language(p).is_some_and(|l| !is_bsl(&l)) {
        if let Some(esol) = q.ids.esol {
            q.groups.push(vec![(esol, ENGLISH)]);
            q.because.push(Because::Language);
        }
    }
    q.never = v
        .concepts
        .iter()
        .map(|c| c.avoid_for.iter().any(|n| q.needs.contains(n)))
        .collect();
    q
}

/// Whether a concept helps with a need they are assessed as having (2 or more): what their
/// words are likely to be about, so a term said in passing still counts for it ("work",
/// from someone who needs help finding it).
fn about_their_needs(v: &Vocabulary, p: &MatchProfile, c: ConceptId) -> bool {
    v.concept(c)
        .needs
        .iter()
        .any(|n| p.needs.iter().any(|x| x.0 == *n && x.1 >= 2))
}

/// How many of the things their words say matter to them are each answered in the first ten.
const WISHES: usize = 3;

/// An interest's words after its first clause ("five-a-side, before the baby came") say
/// more about when or why than about what they enjoy: they count this much.
const TAIL: f32 = 0.7;

/// Counts a concept as what matters to them, as their own words said it: a wish, who they
/// are, and the needs it helps with; `g` is the concept widened for searching.
fn matters_to_them(q: &mut Query, v: &Vocabulary, c: ConceptId, g: Vec<(ConceptId, f32)>) {
    q.named.push(c);
    q.own.push(c);
    q.wishes.push(c);
    for n in &v.concept(c).needs {
        if !q.needs.contains(n) {
            q.needs.push(*n);
        }
    }
    let w = MATTERS * who_weight(v, c);
    q.groups.push(
        made_for(v, c, g)
            .into_iter()
            .map(|(c, x)| (c, x * w))
            .collect(),
    );
    q.because.push(Because::Matters);
}

/// An interest they say they can no longer do ("her garden but the knees won't let her
/// now") counts this much.
const GIVEN_UP: f32 = 0.4;

/// Interests as a link worker types them, one per line or separated by commas or
/// semicolons. A comma followed by words about when or why ("swimming, it used to help",
/// "five-a-side, before the baby came") keeps them with the interest they describe.
pub fn interests_from_text(text: &str) -> Vec<String> {
    const CONTEXT: [&str; 22] = [
        "before", "when", "if", "until", "since", "as", "but", "though", "although", "because",
        "it", "i", "im", "id", "ive", "she", "shes", "he", "hes", "years", "used", "not",
    ];
    let mut out: Vec<String> = vec![];
    for line in text.split([';', '\n']) {
        let mut first = true;
        for piece in line.split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            let opening: String = piece
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase();
            match out.last_mut() {
                Some(last) if !first && CONTEXT.contains(&opening.as_str()) => {
                    last.push_str(", ");
                    last.push_str(piece);
                }
                _ => out.push(piece.to_string()),
            }
            first = false;
        }
    }
    out
}

/// An interest's first clause, and the rest (its context), each with whether it is the rest.
fn interest_parts(words: &str) -> Vec<(&str, bool)> {
    // ASCII lower-casing keeps every byte where it was, so `at` cuts `words` cleanly.
    let lower = words.to_ascii_lowercase();
    let cut = [", ", " before ", " when ", " if ", " until "]
        .iter()
        .filter_map(|m| lower.find(m))
        .min();
    match cut {
        Some(at) if at > 0 => vec![(&words[..at], false), (&words[at..], true)],
        _ => vec![(words, false)],
    }
}

/// Relevance of a service offered in their language (not English), as one more fit.
const IN_THEIR_LANGUAGE: f32 = 0.5;

/// Weight of youth services for someone under 18.
const YOUNG: f32 = 0.6;
/// Weight of English classes for someone whose first language is not English.
const ENGLISH: f32 = 0.4;

/// A service answering several of the person's needs and interests ranks higher, but
/// each beyond the best counts this much: one strong fit beats several faint ones.
const OTHERS: f32 = 0.5;

/// A service offered in the person's language (not English) ranks this much higher.
const LANGUAGE_BONUS: f32 = 1.5;
/// And one offered in British Sign Language, for someone who signs, this much: a Deaf BSL
/// user can take part elsewhere only with an interpreter, where many who speak another
/// language have some English.
const BSL_BONUS: f32 = LANGUAGE_BONUS * 1.25;

/// Words in an interest about who they do it with or for ("cooking for friends", "a gay
/// men's chorus"): not looked for as words, or "friends" would find Doorstep Friends.
const PEOPLE: &[&str] = &[
    "friend",
    "friends",
    "family",
    "men",
    "mens",
    "man",
    "women",
    "womens",
    "woman",
    "people",
    "kids",
    "children",
    "child",
    "grandchildren",
    "grandkids",
    "grandson",
    "granddaughter",
    "mum",
    "mums",
    "dad",
    "dads",
    "husband",
    "wife",
    "partner",
    "son",
    "daughter",
    "others",
    "someone",
    "everyone",
    "mates",
    "lads",
    "girls",
    "boys",
];

/// An interest's words without those about who they do it with or for: a people word
/// after "for", "with", "my", "our", "other", "the" or "gay" ("cooking for friends", "a
/// gay men's chorus"). "Family history" and "Friends of Brook Park" keep theirs.
fn without_company(interest: &str) -> String {
    let interest = interest.replace('\u{2019}', "'");
    let words: Vec<&str> = interest
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|x| !x.is_empty())
        .collect();
    let mut kept = vec![];
    for (i, w) in words.iter().enumerate() {
        let before = i
            .checked_sub(1)
            .map(|j| words[j].to_lowercase())
            .unwrap_or_default();
        let person = PEOPLE.contains(&w.to_lowercase().replace('\'', "").as_str());
        let company = matches!(
            before.as_str(),
            "for" | "with" | "my" | "our" | "other" | "gay" | "the"
        );
        if !(person && company) {
            kept.push(*w);
        }
    }
    kept.join(" ")
}

/// Weight of what they enjoy: the way in a link worker looks for first.
const INTEREST: f32 = 1.0;
/// Weight of what matters to them, read from their words.
const MATTERS: f32 = 0.8;

/// A group widened by the concepts made for people the concept describes ("other mums":
/// toddler groups are made for parents).
fn made_for(v: &Vocabulary, c: ConceptId, mut g: Vec<(ConceptId, f32)>) -> Vec<(ConceptId, f32)> {
    for (i, x) in v.concepts.iter().enumerate() {
        let id = ConceptId(i as u16);
        if x.audience.as_ref().is_some_and(|a| a.contains(&c)) && !g.iter().any(|y| y.0 == id) {
            g.push((id, 0.8));
        }
    }
    g
}

/// A concept that only says who someone is ("my children", "older people": no category,
/// no need it helps with) says less about what to propose than an activity or a need.
fn who_weight(v: &Vocabulary, c: ConceptId) -> f32 {
    let c = v.concept(c);
    if c.category.is_none() && c.needs.is_empty() {
        0.35
    } else {
        1.0
    }
}

/// A service made for people in a situation the person is not in (a toddler group for
/// someone without young children) ranks this much lower: it may still be right, but
/// after everything made for anyone.
const NOT_FOR_THEM: f32 = 0.4;

/// A service made for people like them (a men's group for a man, an over-60s group for
/// someone over 60) ranks this much higher.
const FOR_PEOPLE_LIKE_THEM: f32 = 1.15;

/// A service made for people in the situation their own words describe (a toddler group
/// for "my little girl is four months old") ranks this much higher.
const MADE_FOR_THEM: f32 = 1.25;

/// The kinds of people a service is named for (a toddler group, a stroke club): read from
/// its name, taxonomy terms and category, not from passing words in a description. The
/// narrower concept decides: a stroke club is for people who have had a stroke, not for
/// every long-term condition.
pub(crate) fn audiences(f: &Facts, v: &Vocabulary) -> Vec<ConceptId> {
    // For the family and friends of someone who drinks: made for them, not the drinker.
    if f.reading.affected.is_some() {
        return v.by_id("carers").into_iter().collect();
    }
    let named: Vec<ConceptId> = f
        .tags
        .iter()
        .filter(|t| {
            t.strength >= 0.8
                && matches!(
                    t.source,
                    Source::Name | Source::Taxonomy | Source::Category | Source::Review
                )
        })
        .map(|t| t.concept)
        .chain(f.made_for.iter().copied())
        .filter(|&c| v.concept(c).audience.is_some() && !f.rejected.contains(&c))
        .collect();
    // What its own name or description says it is for: the people it is made for more
    // surely than a publisher's broad term ("Disability & Sensory" on a Deaf club).
    let own: Vec<ConceptId> = f
        .tags
        .iter()
        .filter(|t| t.strength >= 0.8 && matches!(t.source, Source::Name | Source::Review))
        .map(|t| t.concept)
        .chain(f.made_for.iter().copied())
        .filter(|c| !f.rejected.contains(c))
        .collect();
    let broad_only = |c: ConceptId| !own.contains(&c);
    named
        .iter()
        .copied()
        .filter(|&c| !named.iter().any(|&n| v.concept(n).within == Some(c)))
        // A broad term whose narrower people its own words name: a Deaf club filed under
        // disability is for Deaf people, not for a wheelchair user.
        .filter(|&c| {
            !(broad_only(c)
                && own.iter().any(|n| {
                    *n != c
                        && v.concept(c)
                            .audience
                            .as_deref()
                            .unwrap_or_default()
                            .contains(n)
                }))
        })
        .collect()
}

/// Whether a service is made for people their own words say they are (a toddler group
/// for "my little girl is four months old", a carers' group for "I look after my mum").
fn made_for_them(f: &Facts, q: &Query, v: &Vocabulary) -> bool {
    // For the family of someone who drinks: theirs only when their words say so.
    if f.reading.affected.is_some() {
        return q.affected;
    }
    audiences(f, v).iter().any(|&c| {
        q.own.contains(&c)
            || v.concept(c)
                .audience
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|a| q.own.contains(a))
    })
}

/// The concept a service is named for whose people the person is not among, if any: read
/// from its name, taxonomy terms and category, not from passing words in a description.
fn made_for_others(
    f: &Facts,
    p: &MatchProfile,
    q: &Query,
    v: &Vocabulary,
    lang: Option<&str>,
) -> Option<ConceptId> {
    if lang.is_some_and(|l| speaks(f, l)) {
        return None;
    }
    let access = p
        .access
        .iter()
        .any(|a| *a != AccessFeature::StepFree && f.access.contains(a));
    let audiences = audiences(f, v);
    let theirs = |c: ConceptId| {
        let concept = v.concept(c);
        let also = concept.audience.as_deref().unwrap_or_default();
        // Their words about a son's drug use name drugs, but a recovery group is for him,
        // unless they are assessed as needing that help themselves.
        if q.affected
            && f.reading.affected.is_none()
            && concept.needs.contains(&Need::SubstanceUse)
            && !p
                .needs
                .iter()
                .any(|(n, s)| *n == Need::SubstanceUse && *s >= 2)
        {
            return false;
        }
        q.own.contains(&c)
            || also.iter().any(|a| q.own.contains(a))
            || (concept.within.is_none()
                && !concept.own_words
                && concept.needs.iter().any(|n| q.needs.contains(n)))
            || (access && concept.group == "health")
            // A community group in their own language ("Portuguese Community Support", in
            // Portuguese, for someone whose language is Portuguese) is their community's.
            || (Some(c) == q.ids.culture && language(p).is_some_and(|l| speaks(f, &l)))
    };
    // For the family of someone who drinks: theirs when their words are about someone
    // else's drinking, and not any carer's.
    if f.reading.affected.is_some() {
        return if q.affected {
            None
        } else {
            audiences.first().copied()
        };
    }
    // Made for the carers of people with a condition (dementia advisers for families): not
    // for a carer whose words name other conditions and not this one (a husband caring for
    // a wife with MS). A carer who names none may be caring for anyone.
    let conditions: Vec<ConceptId> = audiences
        .iter()
        .copied()
        .filter(|&c| v.concept(c).group == "health")
        .collect();
    if !conditions.is_empty()
        && v.by_id("carers").is_some_and(|k| audiences.contains(&k))
        && q.own.iter().any(|&c| v.concept(c).group == "health")
        && !conditions.iter().any(|&c| theirs(c))
    {
        return conditions.first().copied();
    }
    // Made for several kinds of people (those with dementia and their carers): for them if
    // they are any of those.
    if audiences.iter().any(|&c| theirs(c)) {
        None
    } else {
        audiences.first().copied()
    }
}

/// English classes or conversation practice ("English classes", "English conversation"),
/// for someone whose language is English (no other recorded, and their words do not ask
/// for English).
fn english_for_others(f: &Facts, p: &MatchProfile, q: &Query) -> bool {
    f.teaches.iter().any(|t| t == "english")
        && language(p).is_none()
        && !q.own.iter().any(|c| Some(*c) == q.ids.esol)
}

/// Help into work (named or filed as employment support), for someone not looking for work:
/// neither their needs nor their words ask for it. (A health condition is not a wish to
/// work: employment support for people with one is for those who want work.)
fn work_for_others(f: &Facts, q: &Query) -> bool {
    !q.needs.contains(&Need::Employment)
        && !q.own.iter().any(|c| Some(*c) == q.ids.employment)
        && f.tags.iter().any(|t| {
            Some(t.concept) == q.ids.employment
                && t.strength >= 0.8
                && matches!(
                    t.source,
                    Source::Name | Source::Taxonomy | Source::Category | Source::Review
                )
        })
}

/// Whether a service is made for people like them: their sex, or their age group (an
/// over-50s group, a youth group).
fn like_them(f: &Facts, p: &MatchProfile) -> bool {
    let sex = matches!(p.sex, Some(Sex::Male | Sex::Female)) && f.sex() == p.sex;
    let age = p
        .age
        .is_some_and(|a| f.min_age.is_some_and(|m| m >= 50.0 && a >= m));
    // A youth club for a 16-year-old; not a toddler group, whose ages are the child's.
    let young = p.age.is_some_and(|a| {
        !f.child_ages && f.max_age.is_some_and(|m| m <= 25.0 && a <= m && a >= 11.0)
    });
    sex || age || young
}

/// For someone under 18, a service not made for young people ranks this much lower: most
/// groups are run for adults, and a link worker looks for youth provision first.
pub(crate) const NOT_FOR_YOUNG: f32 = 0.5;

/// Whether a service is made for young people: an upper age of 25 or under (not a child's,
/// with a grown-up), "young", "youth" or "teen" in its name, or filed as a youth service.
pub(crate) fn for_young(f: &Facts, youth: Option<ConceptId>) -> bool {
    let named = f
        .name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| matches!(w, "young" | "youth" | "teen" | "teens" | "teenage"));
    (!f.child_ages && f.max_age.is_some_and(|m| m <= 25.0))
        || named
        || f.tags.iter().any(|t| {
            Some(t.concept) == youth
                && t.strength >= 0.8
                && matches!(
                    t.source,
                    Source::Name | Source::Taxonomy | Source::Category | Source::Review
                )
        })
}

/// Distance weighs less in matching than in search: for a person, a group that fits what
/// they enjoy a bus ride away is better than one that does not, round the corner.
const NEARNESS_SCALE: f64 = 1.5;

/// A venue ranks this much lower for someone assessed as needing a lot of help with
/// transport, unless its words say it helps people get there ("transport can be arranged").
const HARD_TO_REACH: f32 = 0.75;
/// And for someone whose words say they cannot leave home: what comes to them first.
const HOUSEBOUND: f32 = 0.5;
/// A service named for what someone has been through already, or will not go near, ranks
/// this much lower.
const DONE_ALREADY: f32 = 0.5;
/// A group ranks this much lower for someone whose words say they cannot face one.
pub(crate) const IN_A_GROUP: f32 = 0.5;
/// Round the corner: within a short walk.
const WALKING_DISTANCE_M: f64 = 1_000.0;

/// The most the factors after relevance can raise a score.
const MOST: f32 = BSL_BONUS * MADE_FOR_THEM;

/// Why a service is left out.
enum Out {
    /// A rule that is never relaxed (closed, age, sex, eligibility, never-for).
    Rule(&'static str),
    /// One of the person's lasting preferences, which the page may relax.
    Pref(Filter),
}

/// Why a service is left out, or `Ok` when it may be proposed. `relax` lifts one
/// preference; the caution it raises instead is pushed onto `cautions`.
#[allow(clippy::too_many_arguments)]
fn excluded(
    f: &Facts,
    p: &MatchProfile,
    q: &Query,
    v: &Vocabulary,
    lang: Option<&str>,
    distance: Option<f64>,
    cautions: &mut Vec<String>,
    narrower: &mut bool,
) -> Result<(), Out> {
    if !f.open() {
        return Err(Out::Rule("not open"));
    }
    // For the people of another place ("Northey St Mary parish" for someone in Fenbridge).
    if f.elsewhere(q.home.as_ref(), p.near) {
        return Err(Out::Rule("are for people who live elsewhere"));
    }
    if let Some(age) = p.age {
        let child_ages = f.child_ages && age >= 16.0;
        if !child_ages && (f.min_age.is_some_and(|m| age < m) || f.max_age.is_some_and(|m| age > m))
        {
            return Err(Out::Rule("are for another age group"));
        }
    }
    if let (Some(want), Some(sex)) = (p.sex, f.sex()) {
        if matches!(want, Sex::Male | Sex::Female) && want != sex {
            return Err(Out::Rule("are for the other sex"));
        }
    }
    // Never for someone with this need (a licensed bar for someone stopping drinking).
    if f.tags
        .iter()
        .any(|t| q.never.get(usize::from(t.concept.0)) == Some(&true))
    {
        return Err(Out::Rule(
            "are never offered to someone with one of their needs",
        ));
    }
    // Eligibility that names situations the person is not in ("for carers"). Someone a list
    // names first beside them ("Dads and male carers") is eligible too, when their own
    // words say they are one: a need for help with relationships does not make someone a
    // dad. A narrower situation ("people who have completed cardiac rehab") is theirs for
    // certain only from their own words; with just the broader need (a long-term
    // condition) the service ranks lower, with a caution to check.
    let certain = |c: &ConceptId| {
        let concept = v.concept(*c);
        q.own.contains(c)
            || q.own.iter().any(|o| v.concept(*o).within == Some(*c))
            || (concept.within.is_none()
                && !concept.own_words
                && (q.named.contains(c) || concept.needs.iter().any(|n| q.needs.contains(n))))
    };
    // Their words naming another condition of the same kind (diabetes, for a class after
    // cardiac rehab) say it is not theirs.
    let possible = |c: &ConceptId| {
        let concept = v.concept(*c);
        let sibling = concept.within.is_some_and(|w| {
            q.own
                .iter()
                .any(|o| o != c && v.concept(*o).within == Some(w))
        });
        certain(c) || (!sibling && concept.needs.iter().any(|n| q.needs.contains(n)))
    };
    // Someone a list names beside them ("or with a baby under 2") is eligible too, and so
    // is someone whose words place them among its people ("other mums").
    // (Not "children": someone whose kids have left home is not with a baby.)
    let among = |c: &ConceptId| {
        v.concept(*c)
            .audience
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|a| Some(*a) != q.ids.children && q.own.contains(a))
    };
    // The family of someone who uses drugs is who "Families and friends of people who use
    // drugs" names, though the drugs are not theirs.
    let named_beside = f.also_eligible.iter().any(|c| q.own.contains(c))
        || (q.affected && f.reading.affected.is_some());
    if !f.requires.is_empty() && !named_beside && f.also_eligible.iter().any(among) {
        // Among the people named beside it, as far as their words say: check.
        if let Some((_, words)) = f.requires.first() {
            cautions.push(format!(
                "Only for some people: \"{words}\". Check they qualify"
            ));
        }
    } else if !f.requires.is_empty() && !named_beside {
        if !f.requires.iter().all(|(c, _)| possible(c)) {
            return Err(Out::Rule("are for people in a situation they are not in"));
        }
        if let Some((c, words)) = f.requires.iter().find(|(c, _)| !certain(c)) {
            *narrower = true;
            cautions.push(format!(
                "Only for people with {}: \"{words}\". Check they qualify",
                v.label(*c).to_lowercase()
            ));
        }
    }
    // Only for people already under a specialist team (secondary mental health care): a
    // link worker's people seldom are, unless their words say so ("my CPN").
    if let Some(words) = &f.reading.specialist {
        if !q.under_specialist {
            *narrower = true;
            cautions.push(format!(
                "Only for people under specialist care: \"{words}\". Check they are"
            ));
        }
    }
    // Only for one landlord's tenants, and they rent privately or have no home.
    if (q.not_a_tenant || q.own.iter().any(|c| Some(*c) == q.ids.homelessness))
        && f.reading.only_for.as_deref().is_some_and(|o| {
            crate::eligibility::tenants_only(o)
                && crate::eligibility::qualifies(o, &q.words).is_none()
        })
    {
        return Err(Out::Rule(
            "are for one landlord's tenants, and they say they rent elsewhere",
        ));
    }
    // Only for one hospice's families, and their words speak of a sudden death ("my son took
    // his own life"): not someone the hospice cared for.
    if f.reading
        .only_for
        .as_deref()
        .is_some_and(crate::eligibility::hospice_only)
        && crate::eligibility::sudden_death(&q.words)
        && crate::eligibility::qualifies(f.reading.only_for.as_deref().unwrap_or(""), &q.words)
            .is_none()
    {
        return Err(Out::Rule(
            "are for a hospice's families, and the death they speak of was sudden",
        ));
    }
    // Only for people who rent privately, and their words say they rent from a council or a
    // housing association ("Fenland Homes keep sending letters").
    if f.reading
        .only_for
        .as_deref()
        .is_some_and(crate::eligibility::private_renters_only)
        && q.social_tenant
        && !q.not_a_tenant
    {
        return Err(Out::Rule(
            "are for private renters, and they rent from a council or housing association",
        ));
    }
    // Only for people who rent privately, and their words say they have no home to rent
    // ("on my cousin's sofa", "chucked me out"): somewhere to live comes first, from those
    // who help anyone.
    if f.reading
        .only_for
        .as_deref()
        .is_some_and(crate::eligibility::private_renters_only)
        && q.without_a_home
        && !q.not_a_tenant
    {
        *narrower = true;
        cautions.push(
            "Only for people who rent privately, and their words say they have no home of their own: check".into(),
        );
    }
    // Only by telephone, for someone who uses British Sign Language.
    if lang.is_some_and(is_bsl)
        && f.reading.phone_only.is_some()
        && !f.access.contains(&AccessFeature::Bsl)
    {
        return Err(Out::Rule("are by telephone only, and they use BSL"));
    }
    // A course in their own language (BSL Level 1 for a Deaf BSL user).
    if lang.is_some_and(|l| teaches_theirs(f, l)) {
        return Err(Out::Rule("teach a language they already use"));
    }
    let mut check = |filter: Filter, breaks: bool, caution: &dyn Fn() -> String| {
        if !breaks {
            Ok(())
        } else if p.relax == Some(filter) {
            cautions.push(caution());
            Ok(())
        } else {
            Err(Out::Pref(filter))
        }
    };
    check(Filter::Free, p.free_only && !f.free, &|| {
        "Charges a fee (free only relaxed)".into()
    })?;
    let far =
        p.near.is_some() && !f.reaches_anywhere() && distance.is_some_and(|d| d > p.max_distance_m);
    check(Filter::Distance, far, &|| {
        format!("Over {} away (distance relaxed)", km(p.max_distance_m))
    })?;
    if (!p.days.is_empty() || !p.times.is_empty()) && !f.sessions.is_empty() {
        let runs = f
            .sessions
            .iter()
            .any(|s| session_fits(&p.days, &p.times, *s));
        check(Filter::Days, !runs, &|| {
            "Not when they can make it (days and times relaxed)".into()
        })?;
    }
    if let Some(lang) = lang.filter(|_| p.language_required) {
        let offered = speaks(f, lang);
        check(Filter::Language, !offered, &|| {
            format!(
                "{} not listed: an interpreter may be needed (language relaxed)",
                language_name(lang)
            )
        })?;
    }
    if p.access.contains(&AccessFeature::StepFree) && !f.remote() {
        let steps = f.reading.step_free.as_ref().is_some_and(|s| !s.0);
        check(Filter::StepFree, steps, &|| {
            "Not step-free (step-free relaxed)".into()
        })?;
    }
    Ok(())
}

/// Whether a weekly session (days bitmask, opens, closes) is on a day and at a time the
/// person can make. A session that lists no days or no times is not ruled out by them.
pub(crate) fn session_fits(
    want_days: &[Weekday],
    times: &[TimeOfDay],
    (days, opens, closes): (u8, Option<u16>, Option<u16>),
) -> bool {
    let wanted: u8 = want_days.iter().fold(0, |b, d| b | (1u8 << d.index()));
    let day = want_days.is_empty() || days == 0 || days & wanted != 0;
    let time = times.is_empty() || times.iter().any(|t| t.fits(opens, closes).unwrap_or(true));
    day && time
}

/// The person's language when it is not English, lower-cased.
fn language(p: &MatchProfile) -> Option<String> {
    p.language
        .as_ref()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("english")
                && l != "en"
                && !l.starts_with("en-")
                && !l.starts_with("en_")
        })
}

/// Whether a language (lower-cased code or words) is British Sign Language.
fn is_bsl(lang: &str) -> bool {
    matches!(lang, "bfi" | "bsl") || lang.starts_with("bsl ") || lang.contains("sign language")
}

/// A language's name from its ISO 639 code (the common ones), or the words given.
fn language_name(lang: &str) -> String {
    let name = match lang {
        "ar" | "ara" => "Arabic",
        "bfi" | "bsl" => "British Sign Language",
        "bn" | "ben" => "Bengali",
        "cy" | "cym" | "wel" => "Welsh",
        "fa" | "fas" | "per" => "Farsi",
        "fr" | "fra" | "fre" => "French",
        "gu" | "guj" => "Gujarati",
        "hi" | "hin" => "Hindi",
        "ku" | "kur" => "Kurdish",
        "lt" | "lit" => "Lithuanian",
        "pa" | "pan" => "Punjabi",
        "pl" | "pol" => "Polish",
        "pt" | "por" => "Portuguese",
        "ro" | "ron" | "rum" => "Romanian",
        "so" | "som" => "Somali",
        "ti" | "tir" => "Tigrinya",
        "uk" | "ukr" => "Ukrainian",
        "ur" | "urd" => "Urdu",
        "zh" | "zho" | "chi" => "Chinese",
        other => return titlecase(other),
    };
    name.to_string()
}

/// Whether a service teaches the person's language (by ISO code or name).
fn teaches_theirs(f: &Facts, lang: &str) -> bool {
    let name = language_name(lang).to_lowercase();
    let bsl = is_bsl(lang);
    f.teaches.iter().any(|t| {
        *t == name
            || *t == lang
            || (bsl
                && matches!(
                    t.as_str(),
                    "bsl" | "sign language" | "british sign language"
                ))
    })
}

/// The place a residence restriction names when they live there ("For residents of
/// Gosland" for someone in Gosland), from where they live.
fn lives_there(f: &Facts, q: &Query) -> Option<String> {
    let r = f.reach.as_ref().filter(|r| r.restriction)?;
    let home = q.home.as_ref()?;
    r.places
        .iter()
        .any(|(p, _)| p.name == home.name)
        .then(|| home.label.clone())
}

/// Whether a service is offered in a language (by name or ISO code; BSL by its code too).
fn speaks(f: &Facts, lang: &str) -> bool {
    let bsl = is_bsl(lang);
    f.languages.iter().any(|l| l == lang) || (bsl && f.access.contains(&AccessFeature::Bsl))
}

/// Per service, how well its text answers the person's interests as words (0 to 1; 0 for
/// one it does not), held densely for the same reason as [`ConceptScores`].
struct Words {
    found: Vec<usize>,
    score: Vec<f32>,
}

impl Words {
    fn new(n: usize, scores: impl Iterator<Item = (usize, f32)>) -> Self {
        let mut w = Words {
            found: vec![],
            score: vec![0.0; n],
        };
        for (i, s) in scores {
            if let Some(x) = w.score.get_mut(i).filter(|_| s > 0.0) {
                if *x == 0.0 {
                    w.found.push(i);
                }
                *x = s;
            }
        }
        w
    }

    fn get(&self, i: usize) -> f32 {
        self.score.get(i).copied().unwrap_or(0.0)
    }

    fn contains(&self, i: usize) -> bool {
        self.get(i) > 0.0
    }

    fn keys(&self) -> impl Iterator<Item = usize> + '_ {
        self.found.iter().copied()
    }
}

/// A service's score for the person (from the concepts and words it answers), or `None`.
fn relevance(i: usize, concepts: &ConceptScores, words: &Words) -> Option<f32> {
    let c = concepts.get(&i).map_or(0.0, |c| c.0);
    let w = words.get(i);
    let s = c + 0.5 * w;
    (s >= 0.3).then_some(s)
}

impl SearchIndex {
    /// Services proposed for a person, best first.
    pub fn match_services(&self, p: &MatchProfile) -> Vec<Match> {
        self.match_report(p).matches
    }

    /// Services proposed for a person, with what was left out and why.
    pub fn match_report(&self, p: &MatchProfile) -> MatchReport {
        let v = Vocabulary::builtin();
        let Ok(snap) = self.snapshot() else {
            return MatchReport::default();
        };
        let mut q = query(v, p, &|t| self.respell(&snap, t));
        q.home = p.near.and_then(|at| snap.places.home(at)).cloned();
        let concepts = concept_scores(&snap, &q.groups, OTHERS);
        let words: Words = {
            // Interests are also looked for as words: one the vocabulary lacks still finds a
            // listing that names it. (Each interest on its own, and what matters to them as
            // words too, measured no better on the evaluation's development half.)
            let text = p
                .interest_words
                .iter()
                .map(|w| without_company(w))
                .collect::<Vec<_>>()
                .join(" ");
            let text = self.respell(&snap, &text).unwrap_or(text);
            let found = self
                // The person's own words, typed by the link worker: the best few hundred
                // listings that name them are enough to rank.
                .text_scores(&snap, &text, Some(300), false)
                .ok()
                .flatten()
                .unwrap_or_default();
            let max = found.iter().map(|x| x.1).fold(f32::MIN_POSITIVE, f32::max);
            Words::new(
                snap.facts.len(),
                found.into_iter().map(|(i, s)| (i, s / max)),
            )
        };
        let mut report = MatchReport {
            unserved: q
                .needs
                .iter()
                .copied()
                .filter(|n| {
                    v.for_need(*n).iter().all(|(c, w)| {
                        *w < 1.0
                            || snap
                                .by_concept
                                .get(usize::from(c.0))
                                .is_none_or(Vec::is_empty)
                    })
                })
                .collect(),
            ..Default::default()
        };
        let mut left_out: HashMap<Filter, usize> = HashMap::new();
        let mut ruled_out: HashMap<&'static str, usize> = HashMap::new();
        let mut ranked: Vec<(f32, usize, Option<f64>, Vec<String>)> = vec![];
        let lang = language(p);
        // Services in their language (not English) are a fit in themselves: somewhere they
        // are understood. Counted as one more fit; on its own only for a service that lists
        // the language (not one with a BSL interpreter on request) and is not made for
        // people in another situation (a toddler group in Polish for a man of 40).
        let mut spoken = vec![false; snap.facts.len()];
        let mut listed = vec![false; snap.facts.len()];
        if let Some(l) = lang.as_deref() {
            for i in snap.offered_in(&[l]) {
                spoken[i] = true;
                listed[i] = true;
            }
            if is_bsl(l) {
                for &i in &snap.signed {
                    spoken[i] = true;
                }
            }
        }
        let alone =
            |i: usize| listed[i] && made_for_others(&snap.facts[i], p, &q, v, None).is_none();
        // Assessed as needing a lot of help with transport.
        let stuck = p
            .needs
            .iter()
            .any(|(n, s)| *n == Need::Transport && *s >= 4)
            || q.housebound.is_some();
        let mut candidates: Vec<(usize, f32)> = concepts
            .keys()
            .copied()
            .chain(words.keys().filter(|i| !concepts.contains_key(i)))
            .chain(
                (0..spoken.len())
                    .filter(|&i| spoken[i] && !concepts.contains_key(&i) && !words.contains(i)),
            )
            .filter_map(|i| {
                let r = relevance(i, &concepts, &words).unwrap_or(0.0);
                let r = match (r, spoken[i]) {
                    (r, true) if r > 0.0 => r + OTHERS * IN_THEIR_LANGUAGE,
                    // A fit in itself: in their language, as much as anything else it answers
                    // (help with housing forms, in Portuguese, for someone in debt).
                    (_, true) if alone(i) => IN_THEIR_LANGUAGE.max(
                        concepts.get(&i).map_or(0.0, |c| c.0)
                            + 0.5 * words.get(i)
                            + OTHERS * IN_THEIR_LANGUAGE,
                    ),
                    (r, _) => r,
                };
                (r >= 0.3).then_some((i, r))
            })
            .collect();
        // Best first, so the weak tail can be skipped once the list is settled: nothing below
        // can reach the proposals (every factor after relevance together is at most MOST),
        // and only services at least half as relevant as the best count as "fit" in the
        // left-out notes.
        candidates.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let best = candidates.first().map_or(0.0, |c| c.1);
        let limit = p.limit.max(1);
        let mut kth = Vec::<f32>::with_capacity(limit + 1);
        let scale = (p.max_distance_m / 10_000.0).max(0.1) * NEARNESS_SCALE;
        // What the first ten may bring in below (a main need's or a wish's best service):
        // not skipped for being unable to reach the proposals while it could still be the
        // best of a need's or wish's services, so what is brought in is what it would be if
        // every candidate before the list settles were scored. Per service, the needs and
        // wishes (bits) whose concepts it is strongly classified as, from the concepts' lists
        // (not each candidate's facts); per need or wish, the best score so far of a service
        // that could be brought in for it.
        let mut may_rescue = vec![0u32; snap.facts.len()];
        let rescue_groups: Vec<(Vec<ConceptId>, bool)> = p
            .needs
            .iter()
            .filter(|n| n.1 >= 3)
            .map(|(n, _)| {
                let direct = v.for_need(*n).into_iter().filter(|x| x.1 >= 1.0);
                (direct.map(|x| x.0).collect(), false)
            })
            .chain(q.wishes.iter().take(WISHES).map(|c| (vec![*c], true)))
            .take(32)
            .collect();
        for (bit, (concepts, _)) in rescue_groups.iter().enumerate() {
            for c in concepts {
                for &(i, strength) in snap.by_concept.get(usize::from(c.0)).into_iter().flatten() {
                    if strength >= 0.8 {
                        may_rescue[i] |= 1 << bit;
                    }
                }
            }
        }
        let mut rescue_best = vec![0f32; rescue_groups.len()];
        // Per need or wish, how many candidates not yet visited could be brought in for it.
        let mut unvisited = vec![0usize; rescue_groups.len()];
        for (i, _) in &candidates {
            for (b, n) in unvisited.iter_mut().enumerate() {
                if may_rescue[*i] & (1 << b) != 0 {
                    *n += 1;
                }
            }
        }
        for (i, rel) in candidates {
            for (b, n) in unvisited.iter_mut().enumerate() {
                if may_rescue[i] & (1 << b) != 0 {
                    *n -= 1;
                }
            }
            // Could still be the best so far of a need's or wish's services (scored, then,
            // for the rescue below, however far from the proposals).
            let open = |bound: f32| {
                (0..rescue_groups.len())
                    .any(|b| may_rescue[i] & (1 << b) != 0 && bound * 1.001 >= rescue_best[b])
            };
            let settled = kth.len() == limit
                && kth.last().is_some_and(|k| rel * MOST < *k)
                && !open(rel * MOST);
            if settled && rel < 0.5 * best {
                // Nothing after it (no more relevant) can reach the proposals, nor be the best
                // of any need's or wish's services still to find.
                if rescue_best
                    .iter()
                    .zip(&unvisited)
                    .all(|(b, n)| *n == 0 || rel * MOST * 1.001 < *b)
                {
                    break;
                }
                continue;
            }
            let distance = p.near.and_then(|near| snap.sites.nearest_m(i, near));
            // No venue, or a way in besides the venue (by phone, video or online).
            let remote = snap.sites.anywhere(i);
            // Beyond their distance, and not relevant enough to be counted as left out:
            // nothing below can propose it or count it (most of a large directory, for
            // someone in one corner of it).
            let far = p.near.is_some() && !remote && distance.is_some_and(|d| d > p.max_distance_m);
            if far && rel < 0.5 * best && p.relax != Some(Filter::Distance) {
                continue;
            }
            // However it is scored it cannot reach the proposals: the most the factors
            // after relevance can make of it is below the last of them. (Not when it is
            // relevant enough to be counted as left out, until it is known not to be.)
            let near = if p.near.is_some() {
                nearness(distance.map(|d| d / scale), remote)
            } else {
                1.0
            };
            let f = &snap.facts[i];
            // The most the factors after relevance can make of it: only a service in their
            // language is raised for it.
            let most = if spoken[i] { MOST } else { MADE_FOR_THEM };
            let hopeless = kth.len() == limit
                // (With a margin: the score is a chain of products, rounded at each.)
                && kth.last().is_some_and(|k| rel * near * most * 1.001 < *k)
                && !open(rel * near * most);
            if hopeless && rel < 0.5 * best {
                continue;
            }
            let mut cautions = vec![];
            let mut narrower = false;
            let out = excluded(
                f,
                p,
                &q,
                v,
                lang.as_deref(),
                distance,
                &mut cautions,
                &mut narrower,
            );
            match out {
                Ok(()) => {}
                Err(Out::Pref(filter)) => {
                    if rel >= 0.5 * best {
                        *left_out.entry(filter).or_default() += 1;
                    }
                    continue;
                }
                Err(Out::Rule(why)) => {
                    // Not a group they could not reach anyway (the far town's women's group
                    // is not "for the other sex" news).
                    if rel >= 0.5 * best && why != "not open" && !far {
                        *ruled_out.entry(why).or_default() += 1;
                    }
                    continue;
                }
            }
            if settled || hopeless {
                continue;
            }
            let mut score = rel * near;
            // Getting anywhere is hard for them: a service that comes to them, brings them or
            // is round the corner ranks first.
            if stuck
                && !f.reaches_anywhere()
                && !crate::eligibility::named_remote(&f.name)
                && distance.is_none_or(|d| d > WALKING_DISTANCE_M)
                && !f.tags.iter().any(|t| Some(t.concept) == q.ids.transport)
            {
                if let Some(said) = &q.housebound {
                    score *= HOUSEBOUND;
                    cautions.push(format!(
                        "They said \"{said}\": check how they would get there"
                    ));
                } else {
                    score *= HARD_TO_REACH;
                    cautions.push(
                        "They need help with transport: check how they would get there".into(),
                    );
                }
            }
            score *= match f.capacity {
                ServiceCapacity::Accepting => 1.0,
                ServiceCapacity::WaitingList => 0.85,
                ServiceCapacity::Full => 0.3,
            };
            // Only for some people: unless their own words say they are one of them
            // ("my Harrowby Homes flat" for "tenants of Harrowby Homes"), they may not be.
            let qualifies = f
                .reading
                .only_for
                .as_deref()
                .and_then(|o| crate::eligibility::qualifies(o, &q.words))
                .or_else(|| lives_there(f, &q));
            // One landlord's tenants are few of the people who rent, and a hospice's families
            // few of the bereaved: without their words naming it, such a service ranks with
            // those made for others.
            // (Not advice only for private renters: most people with a landlord who won't fix
            // the damp rent privately; a council or housing association tenant is left out.)
            match f
                .reading
                .only_for
                .as_deref()
                .filter(|o| !crate::eligibility::private_renters_only(o))
            {
                Some(o) if qualifies.is_none() => {
                    score *= if crate::eligibility::one_bodys_people(o) {
                        NOT_FOR_THEM
                    } else {
                        0.6
                    }
                }
                _ => {}
            }
            if spoken[i] {
                score *= if lang.as_deref().is_some_and(is_bsl) {
                    BSL_BONUS
                } else {
                    LANGUAGE_BONUS
                };
            }
            // Named for what they have been through already: what comes after it first.
            if let Some((_, caution, _)) = q.done.iter().find(|(c, _, charges)| {
                (!charges || !f.free)
                    && f.tags
                        .iter()
                        .any(|t| t.concept == *c && t.source == crate::classify::Source::Name)
            }) {
                score *= DONE_ALREADY;
                cautions.push(caution.clone());
            }
            // They cannot face a group: one-to-one help and what comes to them first. Or
            // not a circle talking about feelings: a group whose business is mental health,
            // grief or recovery (not a shed).
            let circle = || {
                f.tags.iter().any(|t| {
                    t.strength >= 0.8
                        && v.concept(t.concept).needs.iter().any(|n| {
                            matches!(
                                n,
                                Need::MentalHealth | Need::Bereavement | Need::SubstanceUse
                            )
                        })
                })
            };
            let said = q
                .no_groups
                .as_ref()
                .or(q.no_circle.as_ref().filter(|_| circle()));
            if let (Some(said), Some(_)) = (said, &f.reading.group) {
                score *= IN_A_GROUP;
                cautions.push(format!(
                    "People take part together, and they said \"{said}\": check it suits them"
                ));
            }
            // Reached only by telephone, and they said they cannot use one.
            if let Some(said) = q.no_phone.as_ref().filter(|_| {
                f.reading.phone_only.is_some() && !f.access.contains(&AccessFeature::Bsl)
            }) {
                score *= NOT_FOR_THEM;
                cautions.push(format!(
                    "By telephone only, and they said \"{said}\": check it suits them"
                ));
            }
            // A Deaf BSL user takes part in a group only with an interpreter there.
            if lang.as_deref().is_some_and(is_bsl) && !spoken[i] && f.reading.group.is_some() {
                cautions.push(
                    "People take part together, and it is not listed in BSL: check an interpreter can be there"
                        .into(),
                );
            }
            if p.age.is_some_and(|a| a < 18.0) && !for_young(f, q.ids.youth) {
                score *= NOT_FOR_YOUNG;
            }
            if narrower
                || made_for_others(f, p, &q, v, lang.as_deref()).is_some()
                || english_for_others(f, p, &q)
                || work_for_others(f, &q)
            {
                score *= NOT_FOR_THEM;
            } else if made_for_them(f, &q, v) {
                score *= MADE_FOR_THEM;
            } else if like_them(f, p) || qualifies.is_some() {
                score *= FOR_PEOPLE_LIKE_THEM;
            }
            // The best so far of what may be brought in for a need or wish (for a wish, not
            // one made for others: see below).
            if may_rescue[i] != 0 {
                let mut others = None;
                for (b, (_, wish)) in rescue_groups.iter().enumerate() {
                    if may_rescue[i] & (1 << b) == 0 || score <= rescue_best[b] {
                        continue;
                    }
                    if *wish
                        && *others.get_or_insert_with(|| {
                            made_for_others(f, p, &q, v, lang.as_deref()).is_some()
                        })
                    {
                        continue;
                    }
                    rescue_best[b] = score;
                }
            }
            // The `limit` best scores so far, highest first.
            let at = kth.partition_point(|k| *k >= score);
            if at < limit {
                kth.insert(at, score);
                kth.truncate(limit);
            }
            ranked.push((score, i, distance, cautions));
        }
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| snap.facts[a.1].name.cmp(&snap.facts[b.1].name))
        });
        // Every main need answered in the first ten: a need none of them helps with directly
        // brings in its best service, in place of the tenth (then the ninth…).
        {
            // The services classified strongly as any of `concepts` (from the concepts' lists,
            // not each service's facts).
            let strongly = |concepts: &[ConceptId]| {
                let mut is = vec![false; snap.facts.len()];
                for c in concepts {
                    for &(i, s) in snap.by_concept.get(usize::from(c.0)).into_iter().flatten() {
                        if s >= 0.8 {
                            is[i] = true;
                        }
                    }
                }
                is
            };
            let k = p.limit.clamp(1, 10);
            let mut needs: Vec<(Need, u8)> = p.needs.iter().copied().filter(|n| n.1 >= 3).collect();
            needs.sort_by_key(|n| std::cmp::Reverse(n.1));
            let mut slot = k;
            for (n, _) in needs {
                let direct: Vec<ConceptId> = v
                    .for_need(n)
                    .into_iter()
                    .filter(|x| x.1 >= 1.0)
                    .map(|x| x.0)
                    .collect();
                let direct = strongly(&direct);
                let helps = |i: usize| direct[i];
                if slot == 0 || ranked.iter().take(k).any(|r| helps(r.1)) {
                    continue;
                }
                if let Some(at) = ranked.iter().skip(k).position(|r| helps(r.1)) {
                    let item = ranked.remove(k + at);
                    slot -= 1;
                    // In place of the one at `slot`, which moves to just after the first ten
                    // (before those displaced earlier).
                    let displaced = std::mem::replace(&mut ranked[slot], item);
                    ranked.insert(k, displaced);
                }
            }
            // And what they said matters to them ("a little more English"): its best service,
            // when none of the first ten is about it.
            for c in q.wishes.iter().take(WISHES) {
                // Not one ranked down as made for others (their words may be background:
                // "my son is autistic").
                let strong = strongly(&[*c]);
                let about = |i: usize| {
                    strong[i]
                        && made_for_others(&snap.facts[i], p, &q, v, lang.as_deref()).is_none()
                };
                if slot <= k / 2 || ranked.iter().take(k).any(|r| about(r.1)) {
                    continue;
                }
                if let Some(at) = ranked.iter().skip(k).position(|r| about(r.1)) {
                    let item = ranked.remove(k + at);
                    slot -= 1;
                    // In place of the one at `slot`, which moves to just after the first ten
                    // (before those displaced earlier).
                    let displaced = std::mem::replace(&mut ranked[slot], item);
                    ranked.insert(k, displaced);
                }
            }
        }
        ranked.truncate(p.limit.max(1));
        report.matches = ranked
            .into_iter()
            .map(|(score, i, distance, cautions)| {
                explain(&snap.facts[i], p, &q, v, score, distance, cautions)
            })
            .collect();
        let mut left: Vec<(Filter, usize)> = left_out.into_iter().collect();
        left.sort_by_key(|x| (std::cmp::Reverse(x.1), x.0.code()));
        report.left_out = left;
        let mut ruled: Vec<(&'static str, usize)> = ruled_out.into_iter().collect();
        ruled.sort_by_key(|x| (std::cmp::Reverse(x.1), x.0));
        report.ruled_out = ruled;
        report
    }
}

/// How many open services with a venue count as "what is local" to someone.
const LOCAL_SERVICES: usize = 15;
/// Beyond the farthest of them, this much more (the rest of the town they are in).
const LOCAL_MARGIN: f64 = 1.25;

impl SearchIndex {
    /// How far someone at `near` must go to reach what is local to them: the distance to the
    /// nearest few open services with a venue, and a margin. For a villager that is the
    /// market town; for someone in the town, a mile or two. A default distance for matching
    /// when they have not said how far they would travel should not be shorter, or a village
    /// is offered nothing but its own hall. `None` when the directory has too few venues.
    pub fn local_reach_m(&self, near: (f64, f64)) -> Option<f64> {
        let snap = self.snapshot().ok()?;
        // Per service, its nearest site by a flat-earth measure (within well under 1% of the
        // great circle's at these distances, and cheap enough for every page view);
        // then the great-circle distance to the one that counts.
        let cos = near.0.to_radians().cos();
        let mut best: Vec<(f64, (f64, f64))> = vec![];
        let mut last = usize::MAX;
        for &(i, lat, lon) in &snap.venues {
            let (dy, dx) = (lat - near.0, (lon - near.1) * cos);
            let d2 = dy * dy + dx * dx;
            match best.last_mut() {
                Some(b) if i == last => {
                    if d2 < b.0 {
                        *b = (d2, (lat, lon));
                    }
                }
                _ => best.push((d2, (lat, lon))),
            }
            last = i;
        }
        if best.len() < LOCAL_SERVICES {
            return None;
        }
        let (_, kth, _) =
            best.select_nth_unstable_by(LOCAL_SERVICES - 1, |a, b| a.0.total_cmp(&b.0));
        Some(domain::directory::distance_m(near, kth.1) * LOCAL_MARGIN)
    }

    /// What their own words (interests, what matters to them) were read as: each concept
    /// named, with the words that named it, misspellings read as the vocabulary's. For the
    /// evaluation's diagnostics.
    pub fn words_read(&self, p: &MatchProfile) -> Vec<String> {
        self.own_concepts_read(p)
            .into_iter()
            .map(|(id, words)| format!("{id} \"{words}\""))
            .collect()
    }

    /// As [`SearchIndex::words_read`], as (concept id, the words that named it).
    pub fn own_concepts_read(&self, p: &MatchProfile) -> Vec<(String, String)> {
        let v = Vocabulary::builtin();
        let Ok(snap) = self.snapshot() else {
            return vec![];
        };
        p.interest_words
            .iter()
            .chain(std::iter::once(&p.what_matters))
            .flat_map(|t| {
                let t = self.respell(&snap, t).unwrap_or_else(|| t.clone());
                wanted_own(v, &t, |c| about_their_needs(v, p, c)).1
            })
            .map(|f| (v.concept(f.concept).id.clone(), f.words))
            .collect()
    }

    /// Why a service is not proposed for a person, in words (for the evaluation's
    /// diagnostics and for a link worker who expected it).
    pub fn why_not(&self, p: &MatchProfile, id: &str) -> String {
        let v = Vocabulary::builtin();
        let Ok(snap) = self.snapshot() else {
            return "the index is unavailable".into();
        };
        let Some(i) = snap.facts.iter().position(|f| f.id == id) else {
            return "not in the directory".into();
        };
        let f = &snap.facts[i];
        let mut q = query(v, p, &|t| self.respell(&snap, t));
        q.home = p.near.and_then(|at| snap.places.home(at)).cloned();
        let concepts = concept_scores(&snap, &q.groups, OTHERS);
        let rel = concepts.get(&i).map_or(0.0, |c| c.0);
        let distance = p.near.and_then(|near| f.nearest_m(near));
        let mut cautions = vec![];
        let lang = language(p);
        let tags: Vec<String> = f
            .tags
            .iter()
            .map(|t| {
                format!(
                    "{} {:.1} {:?} {}",
                    v.concept(t.concept).id,
                    t.strength,
                    t.source,
                    t.words
                )
            })
            .collect();
        let mut narrower = false;
        let verdict = match excluded(
            f,
            p,
            &q,
            v,
            lang.as_deref(),
            distance,
            &mut cautions,
            &mut narrower,
        ) {
            Ok(()) => {
                // Where it ranks, and what lowered it.
                let all = self.match_report(&MatchProfile {
                    limit: 400,
                    ..p.clone()
                });
                match all.matches.iter().position(|m| m.id == id) {
                    Some(at) => format!(
                        "passes every filter; scored {:.2} (rank {}){}",
                        all.matches[at].score,
                        at + 1,
                        if all.matches[at].cautions.is_empty() {
                            String::new()
                        } else {
                            format!("; cautions: {}", all.matches[at].cautions.join(" / "))
                        }
                    ),
                    None => "passes every filter; not ranked".to_string(),
                }
            }
            Err(Out::Pref(filter)) => format!("left out: {}", filter.code()),
            Err(Out::Rule(why)) => format!("left out: {why}"),
        };
        let requires: Vec<&str> = f
            .requires
            .iter()
            .map(|(c, _)| v.concept(*c).id.as_str())
            .collect();
        format!(
            "relevance {rel:.2}; {verdict}; ages {:?}–{:?}{}; requires [{}]; tags [{}]",
            f.min_age,
            f.max_age,
            if f.child_ages { " (the child's)" } else { "" },
            requires.join(", "),
            tags.join(", ")
        )
    }
}

/// A proposed service as shown to the link worker: its reasons and cautions.
#[allow(clippy::too_many_arguments)]
fn explain(
    f: &Facts,
    p: &MatchProfile,
    q: &Query,
    v: &Vocabulary,
    score: f32,
    distance: Option<f64>,
    mut cautions: Vec<String>,
) -> Match {
    let mut reasons = vec![];
    for (g, because) in q.groups.iter().zip(&q.because) {
        let best = g
            .iter()
            .filter_map(|(c, w)| {
                f.tags
                    .iter()
                    .find(|t| t.concept == *c)
                    .map(|t| (t.strength * w, t))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let Some((s, t)) = best else { continue };
        // Less direct help (a walk for someone with a long-term condition) is not a reason.
        if s < 0.3 {
            continue;
        }
        let quote = t.evidence();
        let why = match because {
            Because::Need(n) => format!("Helps with {}: {quote}", n.label().to_lowercase()),
            Because::Interest(i) => format!("Matches their interest {i}: {quote}"),
            Because::Young => format!("For young people: {quote}"),
            Because::Language => format!(
                "English practice (their preferred language is {}): {quote}",
                language(p).map(|l| language_name(&l)).unwrap_or_default()
            ),
            Because::Matters => format!(
                "Fits what matters to them ({}): {quote}",
                v.label(t.concept).to_lowercase()
            ),
        };
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    }
    match (p.near, distance) {
        (_, _) if f.remote() => reasons.push(format!(
            "Reaches people where they are: {}",
            f.reading.area.as_deref().unwrap_or_default()
        )),
        (Some(_), Some(d)) => reasons.push(format!("{} from their home", km(d))),
        (Some(_), None) => cautions.push("Venue location not known: check how far it is".into()),
        _ => {}
    }
    if let (false, Some(words)) = (f.remote(), &f.reading.also_remote) {
        reasons.push(format!("Also by phone or online: \"{words}\""));
    }
    if f.free {
        reasons.push("Free".into());
    }
    if !p.days.is_empty() {
        let runs: Vec<&str> = p
            .days
            .iter()
            .filter(|d| {
                f.sessions
                    .iter()
                    .any(|(days, _, _)| *days == 0 || days & (1u8 << d.index()) != 0)
            })
            .map(|d| d.label())
            .collect();
        if f.sessions.is_empty() {
            cautions.push("No timetable listed: check when it runs".into());
        } else if !runs.is_empty() {
            reasons.push(format!("Runs on {}", runs.join(", ")));
        }
    }
    if !p.times.is_empty() {
        let at: Vec<&str> = p
            .times
            .iter()
            .filter(|t| f.sessions.iter().any(|s| t.fits(s.1, s.2) == Some(true)))
            .map(|t| t.word())
            .collect();
        if !at.is_empty() {
            reasons.push(format!("Runs in the {}", at.join(" and ")));
        } else if f.sessions.is_empty() {
            if p.days.is_empty() {
                cautions.push("No timetable listed: check when it runs".into());
            }
        } else if f.sessions.iter().all(|s| s.1.is_none()) {
            cautions.push("No times listed: check when it runs".into());
        }
    }
    if let Some(lang) = language(p) {
        if speaks(f, &lang) {
            reasons.push(format!("Offered in {}", language_name(&lang)));
        } else if !p.language_required && !f.teaches.iter().any(|t| t == "english") {
            // (Not for English classes: they are for people not yet comfortable in English.)
            cautions.push(format!(
                "{} not listed: check they are comfortable in English",
                language_name(&lang)
            ));
        }
    }
    for a in &p.access {
        if *a == AccessFeature::StepFree && f.remote() {
            continue;
        }
        match f.reading.access.iter().find(|x| x.0 == *a) {
            Some((_, words)) => reasons.push(format!("{}: \"{words}\"", a.label())),
            None if f.access.contains(a) => reasons.push(a.label().to_string()),
            None => cautions.push(format!("{} not listed: check", a.label())),
        }
    }
    if english_for_others(f, p, q) {
        cautions
            .push("English classes are for people learning English: check it suits them".into());
    }
    if let Some(c) = made_for_others(f, p, q, v, language(p).as_deref()) {
        cautions.push(format!(
            "Made for {}: check it suits them",
            v.label(c).to_lowercase()
        ));
    }
    if let Some(only) = &f.reading.only_for {
        match (
            crate::eligibility::qualifies(only, &q.words),
            lives_there(f, q),
        ) {
            (Some(body), _) => reasons.push(format!(
                "Only for some people: \"{only}\"; their own words name {body}"
            )),
            (None, Some(place)) => reasons.push(format!(
                "Only for some people: \"{only}\"; they live in {place}"
            )),
            (None, None) => cautions.push(format!(
                "Only for some people: \"{only}\". Check they qualify"
            )),
        }
    }
    if let Some(how) = &f.reading.by_referral {
        cautions.push(format!("How to get in: \"{how}\""));
    }
    match f.capacity {
        ServiceCapacity::Accepting => reasons.push("Taking new people".into()),
        ServiceCapacity::WaitingList => cautions.push("Has a waiting list".into()),
        ServiceCapacity::Full => cautions.push("Full at the moment".into()),
    }
    Match {
        id: f.id.clone(),
        name: f.name.clone(),
        organization: f.organization.clone(),
        score: f64::from(score),
        distance_m: distance,
        takes_referrals: f.referral_mode == ReferralMode::Referral,
        capacity: f.capacity,
        reasons,
        cautions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interests_typed_in_a_box_keep_their_context() {
        assert_eq!(
            interests_from_text("fishing, darts; snooker\nfive-a-side, before the baby came"),
            vec![
                "fishing",
                "darts",
                "snooker",
                "five-a-side, before the baby came"
            ]
        );
        assert_eq!(
            interests_from_text("swimming, it used to help, jigsaws"),
            vec!["swimming, it used to help", "jigsaws"]
        );
        assert_eq!(
            interests_from_text("painting, watercolours mostly"),
            vec!["painting", "watercolours mostly"]
        );
        // Context never joins an interest on another line.
        assert_eq!(
            interests_from_text("baking\nbefore work"),
            vec!["baking", "before work"]
        );
        assert!(interests_from_text(" , ;\n").is_empty());
    }

    #[test]
    fn an_interest_is_its_first_clause_and_the_rest_is_context() {
        assert_eq!(
            interest_parts("five-a-side, before the baby came"),
            vec![("five-a-side", false), (", before the baby came", true)]
        );
        assert_eq!(
            interest_parts("I went to the gym loads before the baby"),
            vec![
                ("I went to the gym loads", false),
                (" before the baby", true)
            ]
        );
        assert_eq!(interest_parts("fishing"), vec![("fishing", false)]);
        // Cut where the words are, whatever the letters before it.
        assert_eq!(
            interest_parts("İznik tiles, when I can"),
            vec![("İznik tiles", false), (", when I can", true)]
        );
    }
}
