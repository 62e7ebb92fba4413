//! Querying the search index: what a search asks for, how results are sorted, and the
//! services found, by full text and filters or by nearest location.

use super::index::{key, Snapshot};
use super::{SearchError, SearchIndex};
use crate::vocabulary::{ConceptId, Found, Vocabulary};
use domain::directory::distance_m;
use domain::{AccessFeature, Category, Code, Weekday};
use std::collections::HashMap;
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query as TQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// What a search asks for. Every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub categories: Vec<Category>,
    pub taxonomy_term_id: Option<String>,
    pub taxonomy_id: Option<String>,
    /// The person's age: the service must accept it.
    pub age: Option<f64>,
    /// ORUK `minimum_age`: services whose minimum age is at least this.
    pub minimum_age: Option<f64>,
    /// ORUK `maximum_age`: services whose maximum age is at most this.
    pub maximum_age: Option<f64>,
    pub free_only: bool,
    pub day: Option<Weekday>,
    /// Minutes after midnight: a session must start at or after this.
    pub start: Option<u16>,
    /// Minutes after midnight: a session must end at or before this.
    pub end: Option<u16>,
    pub access: Vec<AccessFeature>,
    pub language: Option<String>,
    pub near: Option<(f64, f64)>,
    /// Metres from `near`.
    pub within_m: Option<f64>,
    pub referrals_only: bool,
    /// Staff see services not published in the ORUK feed; the public feed does not.
    pub public_only: bool,
    /// Also show inactive, defunct and temporarily closed services (the ORUK feed does;
    /// staff search does when asked).
    pub include_inactive: bool,
    /// Search the words exactly as typed: no misspelling is read as a vocabulary word
    /// (the search page's "Search for … instead").
    pub as_typed: bool,
    /// With a place and no distance, also list services over [`FAR_M`] away (after every
    /// nearer one). Staff search leaves them out unless asked; the ORUK API keeps them.
    pub keep_far: bool,
    pub sort: Sort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best text match first (nearest first when there is no text).
    #[default]
    Relevance,
    Distance,
    Name,
}

/// One service found, with the nearest of its locations when a place was given.
#[derive(Debug, Clone)]
pub struct Hit {
    pub id: String,
    pub score: f32,
    pub distance_m: Option<f64>,
    /// The service-at-location nearest the place asked about (or the first one).
    pub location_link_id: Option<String>,
    /// Why it matched, in words ("Debt advice: \"debts\" in its description").
    pub why: Option<String>,
}

/// A service made for some people the search does not name ranks this much lower.
const MADE_FOR_OTHERS: f32 = 0.6;

/// A service for the one sex the words name ("men's mental health": a men's group) ranks
/// this much higher.
const MADE_FOR_THEM: f32 = 1.25;

/// A service whose sessions are all on other days or at other times than the words name
/// ("evenings") ranks this much lower.
const NOT_WHEN_SAID: f32 = 0.5;

/// A venue whose listing does not say whether it is step-free ranks this much lower for a
/// search whose words say they need it ("wheelchair user") than one that says it is.
const ACCESS_UNKNOWN: f32 = 0.8;

/// A service that charges ranks this much lower for a search whose words ask for free
/// ("free counselling"), and `CHARGES_CHEAP` for one asking for cheap.
const CHARGES: f32 = 0.5;
const CHARGES_CHEAP: f32 = 0.8;

/// A service that needs someone else's referral ranks this much lower for a search whose
/// words say "self referral".
const NEEDS_REFERRAL: f32 = 0.6;

/// In the public feed, a service reached only by telephone ranks this much lower for a
/// search whose words say they are Deaf or cannot use the phone ("bsl help with letters")
/// (staff search leaves it out).
const PHONE_ONLY: f32 = 0.1;

/// In the public feed, a venue with steps ranks this much lower for a search whose words
/// say they need step-free access (staff search leaves it out).
const STEPS: f32 = 0.1;

/// A result's relevance must be at least this share of the best result's to be listed, and
/// so must the score of one the words say is not for them, once ranked.
const MIN_SHARE: f32 = 0.12;
/// A service offered in the language the words name ("polish speaking", "pagalba
/// lietuviskai") ranks this much higher.
const IN_THEIR_LANGUAGE: f32 = 1.5;
/// And is listed at this share of the best match's relevance at least, whatever else the
/// words ask for.
const LANGUAGE_SHARE: f32 = 0.5;
/// Only for under-18s, and the words say nothing of age: most who search are grown up.
const AGE_UNSAID: f32 = 0.7;
/// Only for under-18s (or up to 18: school age), and the words say it is for an adult ("for grown ups").
const UNDER_18S: f32 = 0.1;
/// Only for one landlord's tenants or one hospice's families, and the words do not say they
/// are: as matching ranks it (`NOT_FOR_THEM`).
const ONE_BODYS_PEOPLE: f32 = 0.4;

/// Beyond this distance from the place searched, a service is in another area: it is
/// listed after every nearer one.
pub const FAR_M: f64 = 30_000.0;

/// How much nearer beats farther: a service `d` metres away keeps this share of its
/// relevance (1 at the door, 0.7 at 5 km, 0.4 at 10 km, 0.07 at 50 km), so a copy of a
/// group in the next town sinks below the local one and below anything relevant nearby.
pub(crate) fn nearness(d_m: Option<f64>, remote: bool) -> f32 {
    if remote {
        return 0.95;
    }
    match d_m {
        Some(d) => {
            let k = d / 8000.0;
            (0.05 + 0.95 / (1.0 + k * k)) as f32
        }
        None => 0.6,
    }
}

/// Whether a search's words are all in a service's name ("respect programme" for "Respect
/// Programme"): searching for a service by name finds it.
fn names_it(name: &str, text: &str) -> bool {
    let name: Vec<String> = name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3)
        .map(str::to_string)
        .collect();
    !words.is_empty() && words.iter().all(|w| name.contains(w))
}

/// The concepts a text asks for, each widened to the concepts that help with the needs it
/// names: one group per concept found, so a service is scored on how many it answers.
pub(crate) fn wanted(v: &Vocabulary, text: &str) -> (Vec<Vec<(ConceptId, f32)>>, Vec<Found>) {
    groups_for(v, v.find_said(text))
}

/// As [`wanted`], for a person's own words about their life (what matters to them, their
/// interests): terms said only in passing there ("at work") count only for a concept
/// `about` says their words are likely to be about (one that helps with a need they are
/// assessed as having: "work", from someone who needs help finding it).
pub(crate) fn wanted_own(
    v: &Vocabulary,
    text: &str,
    about: impl Fn(ConceptId) -> bool,
) -> (Vec<Vec<(ConceptId, f32)>>, Vec<Found>) {
    let own = v.find_own(text);
    let found = v
        .find_said(text)
        .into_iter()
        .filter(|f| about(f.concept) || own.iter().any(|o| o.at == f.at && o.concept == f.concept))
        .collect();
    groups_for(v, found)
}

fn groups_for(v: &Vocabulary, found: Vec<Found>) -> (Vec<Vec<(ConceptId, f32)>>, Vec<Found>) {
    let mut groups: Vec<Vec<(ConceptId, f32)>> = vec![];
    let mut seen = vec![];
    for f in &found {
        if seen.contains(&f.concept) {
            continue;
        }
        seen.push(f.concept);
        groups.push(widen(v, f.concept, 1.0));
    }
    (groups, found)
}

/// How much a narrower kind of a concept the words name counts (a chair-based class for
/// "exercise classes").
const KIND: f32 = 0.8;

/// How much the broader concept a kind is one of counts when the words name the kind and
/// the directory has services of that kind ("men's mental health": the mental health groups
/// for anyone, after the men's).
const BROADER: f32 = 0.3;

/// A concept and its narrower kinds, and, when it is a need as people feel it ("money worries", "lonely": a
/// concept filed under no category), the concepts that help with that need, counted a
/// little less. An activity ("dancing") is not widened: it means itself.
pub(crate) fn widen(v: &Vocabulary, c: ConceptId, weight: f32) -> Vec<(ConceptId, f32)> {
    let mut g = vec![(c, weight)];
    // Its kinds are it too: "exercise classes" finds the chair-based class.
    for (i, x) in v.concepts.iter().enumerate() {
        if x.within == Some(c) {
            g.push((ConceptId(i as u16), KIND * weight));
        }
    }
    if v.concept(c).category.is_some() {
        return g;
    }
    for n in &v.concept(c).needs {
        for (other, w) in v.for_need(*n) {
            let w = 0.75 * w * weight;
            match g.iter_mut().find(|x| x.0 == other) {
                Some(x) => x.1 = x.1.max(w),
                None => g.push((other, w)),
            }
        }
    }
    g
}

/// Per service, the best (score, concept) of each group, combined over groups: the best
/// group counts in full and each other group at `others` (1 adds them all up).
pub(crate) fn concept_scores(
    snap: &Snapshot,
    groups: &[Vec<(ConceptId, f32)>],
    others: f32,
) -> ConceptScores {
    // Dense per-service arrays rather than maps: a widened need touches thousands of
    // services, and this runs on every search and every match.
    let n = snap.facts.len();
    let none = ConceptId(0);
    let mut group_best = vec![0.0f32; n];
    let mut group_concept = vec![none; n];
    let mut group_touched: Vec<usize> = vec![];
    let mut sum = vec![0.0f32; n];
    let mut top = vec![0.0f32; n];
    let mut top_concept = vec![none; n];
    let mut touched: Vec<usize> = vec![];
    for g in groups {
        for (c, w) in g {
            let Some(list) = snap.by_concept.get(usize::from(c.0)) else {
                continue;
            };
            for &(i, strength) in list {
                let s = strength * w;
                if group_best[i] == 0.0 {
                    group_touched.push(i);
                }
                if s > group_best[i] {
                    group_best[i] = s;
                    group_concept[i] = *c;
                }
            }
        }
        for &i in &group_touched {
            let s = group_best[i];
            if sum[i] == 0.0 {
                touched.push(i);
            }
            sum[i] += s;
            // The concept shown as the reason is the strongest group's.
            if s > top[i] {
                top[i] = s;
                top_concept[i] = group_concept[i];
            }
            group_best[i] = 0.0;
        }
        group_touched.clear();
    }
    let mut score = vec![None; n];
    // (A service whose every score was 0 is reached again by the next group: once each.)
    touched.retain(|&i| {
        let first = score[i].is_none();
        score[i] = Some((top[i] + others * (sum[i] - top[i]), top_concept[i]));
        first
    });
    ConceptScores { touched, score }
}

/// Per service, its (score, concept) from [`concept_scores`], held densely: matching
/// looks up thousands of services, and hashing each was a tenth of its time.
pub(crate) struct ConceptScores {
    /// The services scored, in the order first reached.
    touched: Vec<usize>,
    score: Vec<Option<(f32, ConceptId)>>,
}

impl ConceptScores {
    pub(crate) fn get(&self, i: &usize) -> Option<&(f32, ConceptId)> {
        self.score.get(*i).and_then(Option::as_ref)
    }

    pub(crate) fn contains_key(&self, i: &usize) -> bool {
        self.get(i).is_some()
    }

    /// The services scored.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &usize> {
        self.touched.iter()
    }
}

/// A condition named beside caring ("dementia carer needs a break"): who they care for,
/// so what is about it counts this much beside what helps carers.
const CARED_FOR: f32 = 0.7;

/// How much more what answers a risk the words name counts than anything else they ask for.
const URGENT: f32 = 2.0;

/// Groups of concepts asked for, what was found, and whether "over 60s" was read as who it
/// is for.
type Asked = (Vec<Vec<(ConceptId, f32)>>, Vec<Found>, bool);

/// Which of the text's words (by position) are within an everyday phrase of two words or
/// more (a `said` phrase, not a listing's term) that was read as a concept.
fn phrase_words(v: &Vocabulary, text: &str, found: &[Found]) -> Vec<usize> {
    let terms = v.find(text);
    found
        .iter()
        .filter(|f| {
            f.len > 1
                && !terms
                    .iter()
                    .any(|t| t.at == f.at && t.len == f.len && t.concept == f.concept)
        })
        .flat_map(|f| f.at..f.at + f.len)
        .collect()
}

/// What a search's words ask for, as groups of concepts, with what they say about the
/// person taken out: "exercise wheelchair user" (the wheelchair is how they get in, unless
/// it is all they typed) and "exercise classes for over 60s" (who it is for, not another
/// thing they want). Search and what the page says it read both use it.
fn asked(v: &Vocabulary, text: &str, said: &super::said::Said) -> Asked {
    let (mut groups, found) = wanted(v, text);
    if said.step_free && groups.len() > 1 {
        let disability = v.by_id("disability");
        groups.retain(|g| g.first().map(|x| x.0) != disability);
    }
    let older = v.by_id("older_people");
    let for_older = groups.len() > 1 && groups.iter().any(|g| g.first().map(|x| x.0) == older);
    if for_older {
        groups.retain(|g| g.first().map(|x| x.0) != older);
    }
    // Someone at risk ("feeling suicidal, need to talk to someone"): what answers the risk
    // first, then what else the words ask for. Not a death they grieve ("support after my
    // brother's suicide"): that is bereavement.
    let grief = found.iter().any(|f| {
        v.concept(f.concept)
            .needs
            .contains(&domain::Need::Bereavement)
    });
    // In grief, family words name who grieves ("son took his own life, parents need
    // support"): not parenting support.
    if grief && groups.len() > 1 {
        let parenting = v.by_id("parenting");
        let family_word = |w: &str| {
            matches!(
                w,
                "parents" | "parent" | "family" | "families" | "mums" | "dads"
            )
        };
        let only_family_words = found
            .iter()
            .filter(|f| Some(f.concept) == parenting)
            .all(|f| family_word(&f.words));
        if only_family_words {
            groups.retain(|g| g.first().map(|x| x.0) != parenting);
        }
    }
    // A carer asking for themselves ("dementia carer needs a break", "respite for mum who
    // cares for her autistic son"): the condition names who they care for, so what helps
    // carers comes first and what is about the condition after.
    let carers = v.by_id("carers");
    if groups.len() > 1
        && found.iter().any(|f| Some(f.concept) == carers)
        && !crate::eligibility::cared_for_by_someone(text)
    {
        for g in &mut groups {
            if g.first().is_some_and(|x| v.concept(x.0).group == "health") {
                for x in g.iter_mut() {
                    x.1 *= CARED_FOR;
                }
            }
        }
    }
    if groups.len() > 1 && !grief {
        for g in &mut groups {
            if g.first().is_some_and(|x| v.concept(x.0).urgent) {
                for x in g.iter_mut() {
                    x.1 *= URGENT;
                }
            }
        }
    }
    (groups, found, for_older)
}

/// The language other than English the words name, as (code, English name), unless it is
/// the one they speak while asking to learn English ("english classes portuguese"). Words
/// about how little English they have ("polish speaker, no english") are not asking to
/// learn it: services in their language are what they need.
fn language_asked(
    v: &Vocabulary,
    said: &super::said::Said,
    found: &[Found],
) -> Option<(&'static str, &'static str)> {
    const HOW_LITTLE: &[&str] = &[
        "no", "little", "poor", "limited", "broken", "not", "my", "doesnt", "dont", "cant",
    ];
    let esol = v.by_id("esol");
    let learning = found.iter().any(|f| {
        Some(f.concept) == esol
            && !f
                .words
                .split_whitespace()
                .next()
                .is_some_and(|w| HOW_LITTLE.contains(&w))
    });
    said.language.filter(|_| !learning)
}

impl SearchIndex {
    /// Every service matching the query, best first: text relevance (words ranked,
    /// stemmed and typo-tolerant) blended with the concepts the words name, then with
    /// distance when a place is given.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<Hit>, SearchError> {
        let snap = self.snapshot()?;
        let v = Vocabulary::builtin();
        let (typed, named) = self.read_words(&snap, q);
        let (text, near) = match &named {
            Some((place, rest)) => (rest.as_str(), Some(place.centre)),
            None => (typed.as_str(), q.near),
        };
        let text_scores = self.text_scores(&snap, text, None, true)?;
        // What the words say about the person beside what they want: young, when they
        // can go, no steps.
        let said = super::said::said(&q.text);
        let (mut groups, found, for_older) = asked(v, text, &said);
        let young = said.young || q.age.is_some_and(|a| a < 18.0);
        // Words about children or young people ("young carers", "my 15 year old son",
        // "holiday club for my kids"): what is only for under-18s is not ranked down for them.
        // The words as typed, split once for the checks below.
        let typed_words = crate::vocabulary::words(&q.text);
        let for_children = typed_words.iter().any(|(w, _)| {
            matches!(
                w.as_str(),
                "young"
                    | "youth"
                    | "child"
                    | "children"
                    | "childs"
                    | "kid"
                    | "kids"
                    | "son"
                    | "daughter"
                    | "school"
                    | "teen"
                    | "teens"
                    | "teenager"
                    | "teenagers"
                    | "teenage"
                    | "boy"
                    | "girl"
                    | "grandson"
                    | "granddaughter"
                    | "pupil"
            )
        }) && !crate::eligibility::a_child_died(&q.text);
        let youth = v.by_id("youth");
        let older = v.by_id("older_people");
        // A kind the directory has no service for ("men's mental health" where no group is
        // for men): the broader concept it is a kind of answers instead.
        for g in &mut groups {
            let none = g.iter().all(|(c, _)| {
                snap.by_concept
                    .get(usize::from(c.0))
                    .is_none_or(Vec::is_empty)
            });
            // Where it has some, the broader concept answers after them: "men's mental
            // health" lists the men's shed first, then the mental health groups for anyone.
            if let Some(broad) = g.first().and_then(|(c, _)| v.concept(*c).within) {
                if none {
                    g.extend(widen(v, broad, KIND));
                } else {
                    // (The broader concept itself, not its other kinds: "stroke" does not list
                    // every diabetes group.)
                    g.push((broad, BROADER));
                }
            }
        }
        // A language named as theirs beside what they ask for ("debt advice lithuanian
        // speaker"): services offered in it rank higher below; the language's name is not
        // also a wish for a community group of its speakers.
        if groups.len() > 1 {
            if let Some((_, name)) = language_asked(v, &said, &found) {
                let culture = v.by_id("culture_community");
                let only_its_name = found
                    .iter()
                    .filter(|f| Some(f.concept) == culture)
                    .all(|f| f.words.split_whitespace().all(|w| w == name));
                if only_its_name {
                    groups.retain(|g| g.first().map(|x| x.0) != culture);
                }
            }
        }
        let concepts = concept_scores(&snap, &groups, 1.0);
        // The words of a phrase read as one concept ("online slots", "smoking weed") are
        // that concept, not each a wish of its own: a service the concept does not find is
        // ranked by the other words only, so "online" does not list a computer course.
        let in_phrases = phrase_words(v, text, &found);
        let rest_scores: Option<HashMap<usize, f32>> = if in_phrases.is_empty() {
            None
        } else {
            let rest: Vec<String> = crate::vocabulary::words(text)
                .into_iter()
                .enumerate()
                .filter(|(k, _)| !in_phrases.contains(k))
                .map(|(_, (w, _))| w)
                .collect();
            Some(
                self.text_scores(&snap, &rest.join(" "), None, true)?
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            )
        };
        // The language the words name, unless it is the one they speak while learning English
        // ("english classes portuguese"): the services offered in it.
        let speakers = language_asked(v, &said, &found)
            .map(|(code, name)| snap.offered_in(&[code, name]))
            .unwrap_or_default();
        let mut in_language = vec![false; snap.facts.len()];
        for &i in &speakers {
            in_language[i] = true;
        }
        // Needs the words name: services never to suggest for them are left out
        // (a fee-charging debt firm for "skint").
        let needs: Vec<domain::Need> = found
            .iter()
            .flat_map(|f| v.concept(f.concept).needs.iter().copied())
            .collect();
        // One kind of a broader concept the words name ("copd": a lung condition, one
        // long-term condition): a service about another kind (a diabetes group) is not
        // what was asked, though it shares the broader concept.
        let kinds: Vec<(ConceptId, ConceptId)> = found
            .iter()
            .filter_map(|f| v.concept(f.concept).within.map(|p| (p, f.concept)))
            .collect();
        // Made for some people (a toddler group, a stroke club, a women's group) that the
        // words do not name: after groups for anyone. "knitting" lists the knitting group
        // before the toddler group that also does crafts.
        // (A service for the broader people a kind is one of is for them too: a bereavement
        // service for "took his own life".)
        let asked: Vec<ConceptId> = found
            .iter()
            .flat_map(|f| std::iter::once(f.concept).chain(v.concept(f.concept).within))
            .collect();
        let made_for_others = |f: &super::Facts| {
            let made_for = crate::matching::audiences(f, v);
            !made_for.is_empty()
                && !made_for.iter().any(|c| {
                    asked.contains(c)
                        || v.concept(*c)
                            .audience
                            .as_deref()
                            .unwrap_or_default()
                            .iter()
                            .any(|a| asked.contains(a))
                })
        };
        // (A service about any kind the words name is what was asked: "copd diabetes".)
        let another_kind = |f: &super::Facts| {
            !f.tags
                .iter()
                .any(|t| kinds.iter().any(|(_, kind)| t.concept == *kind))
                && kinds.iter().any(|(broad, _)| {
                    f.tags
                        .iter()
                        .any(|t| t.strength >= 0.8 && v.concept(t.concept).within == Some(*broad))
                })
        };
        let max_text = text_scores
            .as_ref()
            .and_then(|t| t.iter().map(|x| x.1).max_by(f32::total_cmp))
            .unwrap_or(1.0)
            .max(f32::MIN_POSITIVE);
        let n_groups = groups.len().max(1) as f32;
        let mut hits = vec![];
        // Beside each hit: whether what the words say ruled it down for them (only for
        // under-18s and they are grown up; another landlord's tenants or hospice's families).
        let mut ruled_down: Vec<bool> = vec![];
        let relevance_of = |i: usize, text: f32| -> f32 {
            let text = text / max_text;
            if groups.is_empty() {
                text
            } else {
                0.65 * concepts.get(&i).map_or(0.0, |c| c.0) / n_groups + 0.35 * text
            }
        };
        // Where they live, among the directory's places: a service for another parish's
        // residents is not for them.
        let home = near.and_then(|at| snap.places.home(at));
        let no_groups = crate::eligibility::no_groups(&q.text).is_some();
        // A group for the other sex is not what "new dad feeling isolated" asked for.
        let sex = crate::eligibility::sex_named(&q.text);
        // Asked for as people together ("men's mental health", "mums group"), not only who
        // is asking ("gay bloke 63 lonely"): a group for them answers the words.
        let for_their_sex = sex.filter(|_| {
            typed_words.iter().any(|(w, _)| {
                matches!(
                    w.as_str(),
                    "men"
                        | "mens"
                        | "dads"
                        | "fathers"
                        | "lads"
                        | "blokes"
                        | "fellas"
                        | "male"
                        | "males"
                        | "gents"
                        | "gentlemen"
                        | "female"
                        | "boys"
                        | "widowers"
                        | "women"
                        | "womens"
                        | "mums"
                        | "mothers"
                        | "ladies"
                        | "girls"
                        | "females"
                        | "widows"
                )
            })
        });
        let mut consider = |i: usize, relevance: f32| {
            let f = &snap.facts[i];
            if !f.passes(q) || f.elsewhere(home, near) {
                return;
            }
            if sex.is_some_and(|want| f.sex().is_some_and(|s| s != want)) {
                return;
            }
            if !needs.is_empty()
                && f.tags.iter().any(|t| {
                    v.concept(t.concept)
                        .avoid_for
                        .iter()
                        .any(|n| needs.contains(n))
                })
            {
                return;
            }
            // Only for people in a situation that makes it wrong for others (a programme
            // for men who have been abusive): listed only when the words name it, or name
            // the service ("Respect programme").
            if f.requires.iter().any(|(c, _)| {
                !v.concept(*c).avoid_for.is_empty() && !found.iter().any(|x| x.concept == *c)
            }) && !names_it(&f.name, &q.text)
            {
                return;
            }
            // A venue with steps, for someone who needs to get in without them, is left out
            // of staff search (the public feed lists it last: its consumers filter for
            // themselves); one whose listing does not say, after those that say step-free.
            let step_free = f.reading.step_free.as_ref().map(|s| s.0);
            let steps = said.step_free && !f.remote() && step_free == Some(false);
            if steps && !q.public_only {
                return;
            }
            // Reached only by telephone, for someone Deaf or who cannot use the phone: left
            // out of staff search, and last in the public feed, in the same way.
            let phone_only = said.no_phone
                && f.reading.phone_only.is_some()
                && !f.access.contains(&AccessFeature::Bsl);
            if phone_only && !q.public_only {
                return;
            }
            let (location_link_id, distance) = match near.and_then(|p| f.nearest(p)) {
                Some((id, d)) => (Some(id), Some(d)),
                None => (f.points.first().map(|p| p.0.clone()), None),
            };
            if let Some(limit) = q.within_m {
                if near.is_some() && !f.remote() && !distance.is_some_and(|d| d <= limit) {
                    return;
                }
            } else if !q.keep_far && distance.is_some_and(|d| d > FAR_M) {
                return;
            }
            let concept = concepts.get(&i).copied();
            let mut score = if near.is_some() {
                relevance * nearness(distance, f.remote())
            } else {
                relevance
            };
            // Only for some people (carers, those under a specialist team): the searcher may
            // not be. Only for one landlord's tenants or one hospice's families: few who search
            // are, so after the rest, as in matching. Not when their words say they are one
            // of them ("my Fenland Homes flat").
            let only_for = f
                .reading
                .only_for
                .as_deref()
                .filter(|o| crate::eligibility::qualifies(o, &q.text).is_none());
            // Only for private renters: most who search about a landlord are; not those whose
            // words say they rent from a council or a housing association.
            let private = only_for.filter(|o| crate::eligibility::private_renters_only(o));
            let only_for = only_for.filter(|_| private.is_none());
            let mut ruled = false;
            if (private.is_some()
                && (crate::eligibility::social_tenant(&q.text)
                    || (crate::eligibility::without_a_home(&q.text)
                        && !crate::eligibility::private_renter(&q.text))))
                || only_for.is_some_and(crate::eligibility::one_bodys_people)
            {
                score *= ONE_BODYS_PEOPLE;
                // One hospice's families, and the words speak of a sudden death ("took his
                // own life"): not someone the hospice cared for.
                if only_for.is_some_and(crate::eligibility::hospice_only)
                    && crate::eligibility::sudden_death(&q.text)
                {
                    score *= UNDER_18S;
                }
                ruled = true;
            } else if only_for.is_some() || f.reading.specialist.is_some() || !f.requires.is_empty()
            {
                score *= 0.7;
            }
            // A teenager: what is made for young people first (as in matching).
            if young && !crate::matching::for_young(f, youth) {
                score *= crate::matching::NOT_FOR_YOUNG;
            }
            // "for grown ups": what is made for young people after what is for adults, and
            // what is only for under-18s (an adult cannot go) far after.
            if said.adult && !young && crate::matching::for_young(f, youth) {
                score *= if !f.child_ages && f.max_age.is_some_and(|m| m <= 18.0) {
                    ruled = true;
                    UNDER_18S
                } else {
                    crate::matching::NOT_FOR_YOUNG
                };
            }
            // Only for under-18s, and the words say nothing of age: most who search are
            // grown up, so after what is for anyone.
            if !young
                && !for_children
                && !said.adult
                && !f.child_ages
                && f.max_age.is_some_and(|m| m <= 18.0)
                && crate::matching::for_young(f, youth)
            {
                score *= AGE_UNSAID;
            }
            // Not on the days or at the times the words name ("evenings"), as far as its
            // sessions say.
            if said.when()
                && !f.sessions.is_empty()
                && !f
                    .sessions
                    .iter()
                    .any(|s| crate::matching::session_fits(&said.days, &said.times, *s))
            {
                score *= NOT_WHEN_SAID;
            }
            // "free counselling": what charges after what is free; "cheap": a little.
            match said.cost {
                Some(super::said::Cost::Free) if !f.free => score *= CHARGES,
                Some(super::said::Cost::Cheap) if !f.free => score *= CHARGES_CHEAP,
                _ => {}
            }
            // "self referral": what needs a GP's or a professional's referral after.
            if said.self_referral && f.reading.by_referral.is_some() {
                score *= NEEDS_REFERRAL;
            }
            if for_older
                && (f.min_age.is_some_and(|a| a >= 50.0)
                    || f.tags
                        .iter()
                        .any(|t| Some(t.concept) == older && t.strength >= 0.8))
            {
                score *= MADE_FOR_THEM;
            }
            if steps {
                score *= STEPS;
            }
            if said.step_free && !f.remote() && step_free.is_none() {
                score *= ACCESS_UNKNOWN;
            }
            if phone_only {
                score *= PHONE_ONLY;
            }
            // "lonely but not a groups person": one-to-one help and what comes to them
            // before what people do together.
            if no_groups && f.reading.group.is_some() {
                score *= crate::matching::IN_A_GROUP;
            }
            if in_language[i] {
                score *= IN_THEIR_LANGUAGE;
            }
            if another_kind(f) {
                score *= 0.3;
            } else if made_for_others(f) {
                score *= MADE_FOR_OTHERS;
            } else if for_their_sex.is_some() && f.sex() == for_their_sex {
                // "men's mental health": a men's group answers the words naming men.
                score *= MADE_FOR_THEM;
            }
            let why = concept.and_then(|(_, c)| {
                f.tags
                    .iter()
                    .find(|t| t.concept == c)
                    .map(|t| format!("{}: {}", v.label(c), t.evidence()))
            });
            ruled_down.push(ruled);
            hits.push(Hit {
                id: f.id.clone(),
                score,
                distance_m: distance,
                location_link_id,
                why,
            });
        };
        let searched = text_scores.is_some() || !groups.is_empty() || !speakers.is_empty();
        if searched {
            let mut seen: HashMap<usize, f32> =
                text_scores.unwrap_or_default().into_iter().collect();
            for i in concepts.keys() {
                seen.entry(*i).or_insert(0.0);
            }
            for &i in &speakers {
                seen.entry(i).or_insert(0.0);
            }
            // Words are ranked, not required, so a service sharing only a common word
            // ("group") would be listed; those far below the best match are not (and cost
            // nothing more).
            let mut scored: Vec<(usize, f32)> = seen
                .into_iter()
                .map(|(i, t)| {
                    // (Never more than the whole words score it: the rest is a different
                    // query, with its own common words.)
                    let t = match &rest_scores {
                        Some(rest) if !concepts.contains_key(&i) => {
                            rest.get(&i).copied().unwrap_or(0.0).min(t)
                        }
                        _ => t,
                    };
                    (i, relevance_of(i, t))
                })
                .collect();
            let mut best = scored.iter().map(|x| x.1).fold(0.0f32, f32::max);
            if !speakers.is_empty() {
                let least = if best > 0.0 {
                    LANGUAGE_SHARE * best
                } else {
                    1.0
                };
                for (i, r) in &mut scored {
                    if in_language[*i] {
                        *r = r.max(least);
                    }
                }
                best = best.max(least);
            }
            for (i, r) in scored {
                if r >= MIN_SHARE * best {
                    consider(i, r);
                }
            }
        } else {
            for i in 0..snap.facts.len() {
                consider(i, 0.0);
            }
        }
        let by_distance = |a: &Hit, b: &Hit| {
            let da = a.distance_m.unwrap_or(f64::INFINITY);
            let db = b.distance_m.unwrap_or(f64::INFINITY);
            da.total_cmp(&db)
        };
        let name = |h: &Hit| {
            snap.by_key
                .get(&key(&h.id))
                .map(|&i| snap.facts[i].name.to_lowercase())
                .unwrap_or_default()
        };
        // And once ranked, in staff search: a service the words say is not for them (only
        // for under-18s and they are grown up; another landlord's tenants) and left far
        // below the best by it is not listed. Only those: distance and what they would
        // rather (free, evenings) rank, and do not hide. The public feed keeps every match
        // (its consumers filter for themselves), as does a search asked to keep far ones.
        if searched && !q.public_only && !q.keep_far {
            let top = hits.iter().map(|h| h.score).fold(0.0f32, f32::max);
            let mut ruled = ruled_down.iter();
            // (`retain` visits each hit once, in order: `ruled` keeps step with it.)
            hits.retain(|h| !ruled.next().copied().unwrap_or(false) || h.score >= MIN_SHARE * top);
        }
        match (q.sort, searched) {
            (Sort::Distance, _) | (Sort::Relevance, false) if near.is_some() => {
                hits.sort_by(|a, b| by_distance(a, b).then_with(|| a.id.cmp(&b.id)))
            }
            // Services beyond reach of a place asked about (another town's copy of a
            // group) come after every nearer one, however well their words match.
            (Sort::Relevance, true) => hits.sort_by(|a, b| {
                let far = |h: &Hit| h.distance_m.is_some_and(|d| d > FAR_M);
                far(a)
                    .cmp(&far(b))
                    .then_with(|| b.score.total_cmp(&a.score))
                    .then_with(|| by_distance(a, b))
                    .then_with(|| a.id.cmp(&b.id))
            }),
            _ => hits.sort_by_cached_key(|h| (name(h), h.id.clone())),
        }
        Ok(hits)
    }

    /// What the search took its words to say about the person and where, beside what they
    /// look for, for the search page to say ("a young person: what is made for young
    /// people first").
    /// What the words ask for that no service in the directory is listed as, nor as the
    /// broader kind it is one of ("no home of their own" where no service is classified for
    /// homelessness): for the search page to say, rather than only "try another word".
    pub fn unanswered(&self, q: &SearchQuery) -> Vec<String> {
        let Ok(snap) = self.snapshot() else {
            return vec![];
        };
        let said = super::said::said(&q.text);
        let (typed, named) = self.read_words(&snap, q);
        let text = named
            .as_ref()
            .map_or(typed.as_str(), |(_, rest)| rest.as_str());
        let v = Vocabulary::builtin();
        let (_, found, _) = asked(v, text, &said);
        let none = |c: ConceptId| {
            snap.by_concept
                .get(usize::from(c.0))
                .is_none_or(Vec::is_empty)
        };
        let mut out: Vec<String> = vec![];
        for f in &found {
            if none(f.concept) && v.concept(f.concept).within.is_none_or(none) {
                let label = v.label(f.concept).to_lowercase();
                if !out.contains(&label) {
                    out.push(label);
                }
            }
        }
        out
    }

    pub fn read_about(&self, q: &SearchQuery) -> Vec<String> {
        let said = super::said::said(&q.text);
        let mut out = vec![];
        if said.young || q.age.is_some_and(|a| a < 18.0) {
            out.push("a young person: services made for young people first".into());
        } else if said.adult {
            out.push("an adult: services made for young people lower".into());
        }
        if said.when() {
            let mut when: Vec<String> = said
                .days
                .iter()
                .map(|d| format!("{}s", d.label()))
                .collect();
            when.extend(said.times.iter().map(|t| t.word().to_string()));
            out.push(format!(
                "{}: services only at other times lower",
                when.join(", ")
            ));
        }
        if said.step_free {
            out.push("step-free access: venues with steps left out".into());
        }
        // The words as search reads them: "exercise classes for over 60s", and a place.
        let snap = self.snapshot().ok();
        let (typed, named) = snap
            .as_ref()
            .map_or((q.text.clone(), None), |snap| self.read_words(snap, q));
        let text = named
            .as_ref()
            .map_or(typed.as_str(), |(_, rest)| rest.as_str());
        let v = Vocabulary::builtin();
        let (_, found, for_older) = asked(v, text, &said);
        if for_older {
            out.push("older people: services made for them first".into());
        }
        // (Only when some service is offered in it: otherwise the search did nothing with it.)
        if let Some((_, name)) = language_asked(v, &said, &found).filter(|(code, name)| {
            snap.as_ref()
                .is_some_and(|s| !s.offered_in(&[code, name]).is_empty())
        }) {
            out.push(format!(
                "in {}: services offered in it first",
                crate::matching::titlecase(name)
            ));
        }
        match said.cost {
            Some(super::said::Cost::Free) => out.push("free: services that charge lower".into()),
            Some(super::said::Cost::Cheap) => {
                out.push("cheap: services that charge a little lower".into())
            }
            None => {}
        }
        if said.self_referral {
            out.push("self-referral: services that need a GP's referral lower".into());
        }
        if said.no_phone {
            out.push("Deaf or no telephone: telephone-only services left out".into());
        }
        if let Some((place, _)) = &named {
            out.push(format!(
                "in {}: nearest to {} first",
                place.label, place.label
            ));
        }
        out
    }

    /// A search's words as it reads them: misspelt ones as the vocabulary's ("demenita" as
    /// "dementia"), unless asked to take them as typed; and a town or village they name, with
    /// the rest of the words ("lunch club gosland": services near Gosland, for "lunch
    /// club"). A place is read only when none was given: the postcode staff enter (or an ORUK
    /// caller's) is where distances are measured from.
    fn read_words<'s>(
        &self,
        snap: &'s Snapshot,
        q: &SearchQuery,
    ) -> (String, Option<(&'s super::places::Place, String)>) {
        let v = Vocabulary::builtin();
        let typed = if q.as_typed {
            None
        } else {
            self.respell(snap, &q.text)
        }
        .unwrap_or_else(|| q.text.clone());
        let is_word = |w: &str| crate::spelling::is_known(v, w);
        let named = (q.near.is_none() && !q.public_only)
            .then(|| snap.places.named_in(&typed, &is_word))
            .flatten();
        (typed, named)
    }

    /// The concepts a search's words are read as, each with the words that named it (for
    /// `linkwork bench reading`, which measures the vocabulary against phrases judged by
    /// hand).
    pub fn concepts_read(&self, text: &str) -> Vec<(String, String)> {
        let v = Vocabulary::builtin();
        let Ok(snap) = self.snapshot() else {
            return vec![];
        };
        let text = self
            .respell(&snap, text)
            .unwrap_or_else(|| text.to_string());
        wanted(v, &text)
            .1
            .into_iter()
            .map(|f| (v.concept(f.concept).id.clone(), f.words))
            .collect()
    }

    /// The search's words with the misspelt ones read as the vocabulary's ("demenita
    /// carer" as "dementia carer"), or `None` when every word stands as typed: what the
    /// search page says it showed results for.
    pub fn read_as(&self, text: &str) -> Option<String> {
        let snap = self.snapshot().ok()?;
        self.respell(&snap, text)
    }

    /// A typed text with misspellings read as vocabulary words. English words, the
    /// vocabulary's and the directory's own stand as typed.
    pub(crate) fn respell(&self, snap: &Snapshot, text: &str) -> Option<String> {
        let searcher = snap.reader.searcher();
        let in_directory = |w: &str| {
            [self.fields.name_raw, self.fields.body_raw]
                .iter()
                .any(|f| {
                    searcher
                        .doc_freq(&Term::from_field_text(*f, w))
                        .unwrap_or(0)
                        > 0
                })
        };
        Vocabulary::builtin().respell(text, &in_directory)
    }

    /// Services at each of their locations matching the query (for
    /// `/service_at_locations`): (service-at-location id, service id, metres).
    pub fn search_locations(
        &self,
        q: &SearchQuery,
    ) -> Result<Vec<(String, String, Option<f64>)>, SearchError> {
        let snap = self.snapshot()?;
        let hits = self.search(&SearchQuery {
            within_m: None,
            ..q.clone()
        })?;
        let mut out = vec![];
        for h in hits {
            let Some(&i) = snap.by_key.get(&key(&h.id)) else {
                continue;
            };
            for (sal, pt) in &snap.facts[i].points {
                let d = match (q.near, pt) {
                    (Some(p), Some(pt)) => Some(distance_m(p, *pt)),
                    _ => None,
                };
                if let (Some(limit), Some(_)) = (q.within_m, q.near) {
                    if !d.is_some_and(|d| d <= limit) {
                        continue;
                    }
                }
                out.push((sal.clone(), h.id.clone(), d));
            }
        }
        // With words to rank by, the services keep their blended order; without, nearest first.
        if q.near.is_some() && q.text.trim().is_empty() {
            out.sort_by(|a, b| {
                a.2.unwrap_or(f64::INFINITY)
                    .total_cmp(&b.2.unwrap_or(f64::INFINITY))
                    .then_with(|| a.0.cmp(&b.0))
            });
        }
        Ok(out)
    }

    /// Scores of the services whose text matches, or `None` for an empty query. Words may
    /// be misspelt (fuzzy matching, when `typos`) or in another form (stemming: "walks"
    /// finds "walking"). At most `limit` services, best first (`None`: all).
    pub(crate) fn text_scores(
        &self,
        snap: &Snapshot,
        text: &str,
        limit: Option<usize>,
        typos: bool,
    ) -> Result<Option<Vec<(usize, f32)>>, SearchError> {
        const STOP: &[&str] = &[
            "a",
            "an",
            "and",
            "the",
            "for",
            "of",
            "in",
            "on",
            "at",
            "to",
            "with",
            "near",
            "or",
            "i",
            "my",
            "me",
            "is",
            "am",
            "are",
            "be",
            "it",
            "im",
            "ive",
            "s",
            "t",
            "their",
            "they",
            "them",
            "who",
            "some",
            "something",
            "someone",
            "want",
            "need",
            "looking",
            "would",
            "like",
            "can",
            "get",
            "go",
            "do",
            "so",
            // Typed without apostrophes.
            "cant",
            "dont",
            "wont",
            "isnt",
            "didnt",
            "doesnt",
            "id",
        ];
        let mut stem = self.index.tokenizer_for_field(self.fields.name)?;
        let lowered = text.to_lowercase();
        let mut words: Vec<&str> = lowered
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !STOP.contains(w))
            .take(12)
            .collect();
        if words.is_empty() {
            return Ok(None);
        }
        // A word in most listings ("group", "support") ranks nothing and matches everything:
        // with rarer words beside it, it is left out (the name phrase still counts it).
        let searcher = snap.reader.searcher();
        let all = searcher.num_docs().max(1);
        let mut common = |w: &str| -> bool {
            let mut stream = stem.token_stream(w);
            let t = stream.next().map(|t| t.text.clone()).unwrap_or_default();
            let df = searcher
                .doc_freq(&Term::from_field_text(self.fields.body, &t))
                .unwrap_or(0);
            df * 3 > all
        };
        let phrase_words = words.clone();
        if words.len() > 1 {
            let rare: Vec<&str> = words.iter().copied().filter(|w| !common(w)).collect();
            if !rare.is_empty() {
                words = rare;
            }
        }
        let mut per_token: Vec<(Occur, Box<dyn TQuery>)> = vec![];
        for w in &words {
            let mut stemmed = w.to_string();
            let mut stream = stem.token_stream(w);
            if let Some(t) = stream.next() {
                stemmed = t.text.clone();
            }
            let len = w.chars().count();
            // Only a word that is no English word and not in the directory may be a slip
            // for one that is: "weed" is not read as "need" or "week".
            let unknown = || {
                !crate::spelling::is_known(Vocabulary::builtin(), w)
                    && [self.fields.name_raw, self.fields.body_raw]
                        .iter()
                        .all(|f| {
                            searcher
                                .doc_freq(&Term::from_field_text(*f, w))
                                .unwrap_or(0)
                                == 0
                        })
            };
            let distance = match len {
                _ if !typos => 0,
                0..=3 => 0,
                _ if !unknown() => 0,
                4..=7 => 1,
                _ => 2,
            };
            let mut alts: Vec<(Occur, Box<dyn TQuery>)> = vec![];
            for (field, raw_field, boost) in [
                (self.fields.name, self.fields.name_raw, 3.0),
                (self.fields.body, self.fields.body_raw, 1.0),
            ] {
                alts.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(
                            Term::from_field_text(field, &stemmed),
                            IndexRecordOption::WithFreqs,
                        )),
                        boost * 2.0,
                    )),
                ));
                if distance > 0 {
                    alts.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new(
                                Term::from_field_text(raw_field, w),
                                distance,
                                true,
                            )),
                            boost,
                        )),
                    ));
                }
            }
            per_token.push((Occur::Should, Box::new(BooleanQuery::new(alts))));
        }
        // Words are ranked, not all required: a service matching more of them scores more.
        if phrase_words.len() > 1 {
            let phrase: Vec<Term> = phrase_words
                .iter()
                .map(|w| {
                    let mut stream = stem.token_stream(w);
                    let t = stream.next().map(|t| t.text.clone()).unwrap_or_default();
                    Term::from_field_text(self.fields.name, &t)
                })
                .collect();
            per_token.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(PhraseQuery::new(phrase)), 4.0)),
            ));
        }
        let query = BooleanQuery::new(per_token);
        let limit = limit.unwrap_or(snap.facts.len()).max(1);
        let found = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut out = Vec::with_capacity(found.len());
        let mut columns: HashMap<
            u32,
            (
                tantivy::columnar::Column<u64>,
                tantivy::columnar::Column<u64>,
            ),
        > = HashMap::new();
        for (score, addr) in found {
            let (c1, c2) = match columns.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let ff = searcher.segment_reader(addr.segment_ord).fast_fields();
                    e.insert((ff.u64("k1")?, ff.u64("k2")?))
                }
            };
            if let (Some(k1), Some(k2)) = (c1.first(addr.doc_id), c2.first(addr.doc_id)) {
                if let Some(&i) = snap.by_key.get(&(k1, k2)) {
                    out.push((i, score));
                }
            }
        }
        // A service edited twice between merges has one live document; keep the best score.
        out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        out.dedup_by_key(|x| x.0);
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::names_it;

    #[test]
    fn a_search_names_a_service_when_all_its_words_are_in_the_name() {
        assert!(names_it("Respect Programme", "respect programme"));
        assert!(names_it("Respect Programme", "Respect"));
        assert!(!names_it("Changing Behaviours Programme", "men's group"));
        assert!(!names_it("Respect Programme", ""));
    }
}
