//! The facts about a service that search filters and result lists need, drawn from its
//! directory entry, and the filter and distance checks made on them.

use super::SearchQuery;
use crate::classify::{classify, review, Tag};
use crate::eligibility::{read, Reading};
use crate::vocabulary::{ConceptId, Vocabulary};
use crate::Entry;
use domain::directory::{distance_m, parse_time_of_day};
use domain::person::Sex;
use domain::{AccessFeature, Category, Code, ReferralMode, ServiceCapacity};
use std::collections::HashMap;

/// How strongly a service is classified as the people its description says it is for.
const MADE_FOR_STRENGTH: f32 = 0.9;
/// How surely a group only for men is a men's group (or only for women, a women's group).
const SINGLE_SEX_STRENGTH: f32 = 0.8;

/// A taxonomy term the directory holds: its taxonomy, its name, and the concepts a manager
/// mapped it to.
#[derive(Debug, Clone)]
pub struct TermInfo {
    pub taxonomy_id: String,
    pub name: String,
    pub concepts: Option<Vec<ConceptId>>,
}

/// Every taxonomy term by id.
pub type Terms = HashMap<String, TermInfo>;

/// Staff reviews of listings' concepts by service id: (concept, confirmed).
pub type Reviews = HashMap<String, Vec<(ConceptId, bool)>>;

/// The facts about a service that filters and result lists need.
#[derive(Debug, Clone)]
pub struct Facts {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub organization_id: Option<String>,
    pub public: bool,
    pub retired: bool,
    /// Open to new people: not retired, and its status active (kept so that checking it
    /// for thousands of candidates reads no string).
    pub open: bool,
    pub status: String,
    pub min_age: Option<f64>,
    pub max_age: Option<f64>,
    pub term_ids: Vec<String>,
    pub taxonomy_ids: Vec<String>,
    pub categories: Vec<Category>,
    /// (days bitmask, opens, closes) per weekly session; 0 days = any day.
    pub sessions: Vec<(u8, Option<u16>, Option<u16>)>,
    pub free: bool,
    pub access: Vec<AccessFeature>,
    pub languages: Vec<String>,
    /// Languages it teaches, lower-cased ("bsl" for "BSL Level 1 Course"): not for people
    /// who already use them.
    pub teaches: Vec<String>,
    /// (service-at-location id, latitude, longitude) for located sites.
    pub points: Vec<(String, Option<(f64, f64)>)>,
    pub capacity: ServiceCapacity,
    pub referral_mode: ReferralMode,
    /// The vocabulary's concepts it is classified as, strongest first, with evidence.
    pub tags: Vec<Tag>,
    /// Concepts staff said it is not, whatever its words say.
    pub rejected: Vec<ConceptId>,
    /// Facts read from its words (sex, ages, access, restrictions, reach), with sources.
    pub reading: Reading,
    /// Its ages are a child's who comes with a grown-up (parent and toddler groups).
    pub child_ages: bool,
    /// Who it is only for, as concepts its eligibility names ("for carers"), with the words.
    pub requires: Vec<(ConceptId, String)>,
    /// Other people its eligibility names beside those it is only for ("Dads and male
    /// carers": dads): being any of them is enough.
    pub also_eligible: Vec<ConceptId>,
    /// Whom its description says it is made for ("for adults living with dementia"), as
    /// concepts that have an audience: matching ranks it down for others, not out.
    pub made_for: Vec<ConceptId>,
    /// (address town, coordinates) of its located sites: where the directory's places are.
    pub towns: Vec<(String, (f64, f64))>,
    /// The known places its reach or residence restriction names (set with the snapshot,
    /// which knows every place): not for people who live elsewhere.
    pub reach: Option<super::places::Reach>,
}

impl Facts {
    pub fn from_entry(e: &Entry, terms: &Terms, reviews: &Reviews) -> Self {
        let s = &e.service;
        let term_ids: Vec<String> = s.term_ids().map(str::to_string).collect();
        let mut taxonomy_ids: Vec<String> = s
            .attributes
            .iter()
            .filter_map(|a| {
                let t = a.taxonomy_term.as_ref();
                t.and_then(|t| t.taxonomy_id.clone()).or_else(|| {
                    a.taxonomy_term_id
                        .as_ref()
                        .and_then(|id| terms.get(id).map(|t| t.taxonomy_id.clone()))
                })
            })
            .collect();
        taxonomy_ids.sort();
        taxonomy_ids.dedup();
        let categories = e.categories();
        let sessions = s
            .schedules
            .iter()
            .map(|sch| {
                let days = sch
                    .byday
                    .as_deref()
                    .and_then(crate::validate::byday)
                    .unwrap_or_default()
                    .iter()
                    .fold(0u8, |m, d| m | (1 << d.index()));
                (
                    days,
                    sch.opens_at.as_deref().and_then(parse_time_of_day),
                    sch.closes_at.as_deref().and_then(parse_time_of_day),
                )
            })
            .collect();
        let free = !s
            .cost_options
            .iter()
            .any(|c| c.amount.is_some_and(|a| a > 0.0));
        let mut languages: Vec<String> = s
            .languages
            .iter()
            .flat_map(|l| [l.name.clone(), l.code.clone()])
            .flatten()
            .map(|l| l.trim().to_lowercase())
            .collect();
        let term_names: Vec<(&str, Option<&[ConceptId]>)> = s
            .attributes
            .iter()
            .filter_map(|a| {
                let known = a.taxonomy_term_id.as_ref().and_then(|id| terms.get(id));
                let name = a
                    .taxonomy_term
                    .as_ref()
                    .map(|t| t.name.as_str())
                    .or(known.map(|t| t.name.as_str()))?;
                Some((name, known.and_then(|t| t.concepts.as_deref())))
            })
            .filter(|(n, _)| !categories.iter().any(|c| c.label() == *n))
            .collect();
        let organization = s
            .organization
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_default();
        let mut tags = classify(
            Vocabulary::builtin(),
            s,
            &term_names,
            &categories,
            &organization,
        );
        // Whom its description says it is made for ("for adults living with dementia", "a
        // social for LGBT+ adults"); a group for some people is about them, as strongly as
        // its name would say.
        let made_for = {
            let v = Vocabulary::builtin();
            let mut m: Vec<ConceptId> = vec![];
            let clause = s
                .description
                .as_deref()
                .and_then(crate::eligibility::made_for_clause)
                .unwrap_or("");
            // "… and their families": the families of those people, who care for them, not
            // any parent.
            let mut clause = clause.to_string();
            for w in ["their families", "their family", "their loved ones"] {
                clause = clause.replace(w, "their carers");
            }
            let clause = clause.as_str();
            // Conditions given as examples ("adults with health conditions such as diabetes,
            // arthritis or depression") are some of its people, not all: the broader kind
            // they are examples of is who it is for.
            let read = crate::vocabulary::words(clause);
            let examples_from = read.windows(2).position(|w| {
                matches!(
                    (w[0].0.as_str(), w[1].0.as_str()),
                    ("such", "as") | ("for", "example") | ("e", "g")
                )
            });
            for f in v.find(clause) {
                let concept = v.concept(f.concept);
                let c = match (concept.within, examples_from) {
                    (Some(broad), Some(at)) if f.at > at && v.concept(broad).audience.is_some() => {
                        broad
                    }
                    _ => f.concept,
                };
                if v.concept(c).audience.is_some() && !m.contains(&c) {
                    m.push(c);
                }
            }
            m
        };
        let group_for: Vec<ConceptId> = s
            .description
            .as_deref()
            .and_then(crate::eligibility::group_for)
            .map(|g| {
                Vocabulary::builtin()
                    .find(g)
                    .into_iter()
                    .map(|f| f.concept)
                    .collect()
            })
            .unwrap_or_default();
        for t in tags.iter_mut().filter(|t| group_for.contains(&t.concept)) {
            t.strength = t.strength.max(MADE_FOR_STRENGTH);
        }
        let reviewed = reviews.get(&s.id).map(Vec::as_slice).unwrap_or_default();
        review(&mut tags, reviewed);
        let rejected = reviewed.iter().filter(|r| !r.1).map(|r| r.0).collect();
        if languages.is_empty() {
            languages.push("english".into());
            languages.push("en".into());
        }
        let points: Vec<(String, Option<(f64, f64)>)> = s
            .service_at_locations
            .iter()
            .map(|sal| {
                let p = sal
                    .location
                    .as_ref()
                    .and_then(|l| Some((l.latitude?, l.longitude?)));
                (sal.id.clone(), p)
            })
            .collect();
        let reading = read(s, points.iter().any(|p| p.1.is_some()));
        // A group only for men is a men's group, whatever it does (a shed, a choir): someone
        // who misses male company finds it. The same for women. Not one-to-one help for one
        // sex, nor one a manager rejected.
        if let (Some((sex, words)), Some(_)) = (&reading.sex, &reading.group) {
            let v = Vocabulary::builtin();
            let id = match sex {
                Sex::Male => v.by_id("mens_group"),
                Sex::Female => v.by_id("womens_group"),
                _ => None,
            };
            if let Some(c) = id.filter(|c| !reviewed.iter().any(|r| r.0 == *c && !r.1)) {
                match tags.iter_mut().find(|t| t.concept == c) {
                    Some(t) => t.strength = t.strength.max(SINGLE_SEX_STRENGTH),
                    None => tags.push(Tag {
                        concept: c,
                        strength: SINGLE_SEX_STRENGTH,
                        source: crate::classify::Source::Eligibility,
                        words: words.clone(),
                        confirmed: false,
                    }),
                }
            }
        }
        let towns = s
            .service_at_locations
            .iter()
            .filter_map(|sal| {
                let l = sal.location.as_ref()?;
                let at = (l.latitude?, l.longitude?);
                // The venue's own address, not a postal one.
                let town = l
                    .addresses
                    .iter()
                    .find(|a| a.address_type == "physical")
                    .or(l.addresses.first())
                    .map(|a| a.city.clone())?;
                Some((town, at))
            })
            .collect();
        let mut access = e.listing.access_features.clone();
        for (a, _) in &reading.access {
            if !access.contains(a) {
                access.push(*a);
            }
        }
        // Who its eligibility names: those it is only for, and others named first (an
        // eligibility line is short, like a name, so its title words count for those:
        // "Dads and male carers").
        let (requires, also_eligible) = {
            let v = Vocabulary::builtin();
            let text = s.eligibility_description.as_deref().unwrap_or("");
            let mut r: Vec<(ConceptId, String)> = vec![];
            for f in v.find_in_text(text) {
                if v.concept(f.concept).restricts && !r.iter().any(|x| x.0 == f.concept) {
                    r.push((f.concept, text.to_string()));
                }
            }
            // And who its description says it is for, by what they have been through
            // ("for people who have finished cardiac rehab").
            for (whole, after) in
                crate::eligibility::for_those_who_have(s.description.as_deref().unwrap_or(""))
            {
                for f in v.find_in_text(after).into_iter().filter(|f| f.at <= 1) {
                    if v.concept(f.concept).restricts && !r.iter().any(|x| x.0 == f.concept) {
                        r.push((f.concept, whole.to_string()));
                    }
                }
            }
            // Only people named at the start of the list ("Dads and male carers", "For dads
            // …"): in "People with cancer and their families" the families are the cancer
            // patients' own, not any parent.
            let mut also: Vec<ConceptId> = vec![];
            // And people named first after an "or": the other way in ("Mothers, in pregnancy
            // or with a baby under 2": a mum with a baby need not be pregnant).
            // (Not after "carers of" and the like: "Carers of people with dementia or a
            // disability" is for carers, not for disabled people.)
            let of_others = {
                let t = text.to_lowercase();
                [
                    "carers of",
                    "families of",
                    "parents of",
                    "relatives of",
                    "friends of",
                ]
                .iter()
                .any(|w| t.contains(w))
            };
            let alternatives = text
                .split(" or ")
                .skip(1)
                .filter(|_| !of_others)
                .flat_map(|part| v.find(part).into_iter().filter(|f| f.at <= 3));
            for f in v
                .find(text)
                .into_iter()
                .filter(|f| f.at <= 1)
                .chain(alternatives)
            {
                let c = v.concept(f.concept);
                if !c.restricts && c.audience.is_some() && !also.contains(&f.concept) {
                    also.push(f.concept);
                }
            }
            (r, also)
        };
        Facts {
            id: s.id.clone(),
            name: s.name.clone(),
            organization,
            organization_id: s
                .organization
                .as_ref()
                .map(|o| o.id.clone())
                .or_else(|| s.organization_id.clone()),
            public: e.listing.public,
            retired: e.listing.is_retired(),
            open: !e.listing.is_retired() && s.status == "active",
            status: s.status.clone(),
            min_age: s.minimum_age.or(reading.min_age.as_ref().map(|a| a.0)),
            max_age: s.maximum_age.or(reading.max_age.as_ref().map(|a| a.0)),
            term_ids,
            taxonomy_ids,
            categories: {
                let mut all = categories;
                for t in tags.iter().filter(|t| t.strength >= 0.8) {
                    if let Some(c) = Vocabulary::builtin().concept(t.concept).category {
                        if !all.contains(&c) {
                            all.push(c);
                        }
                    }
                }
                all
            },
            sessions,
            free,
            access,
            languages,
            points,
            capacity: e.listing.capacity,
            referral_mode: e.listing.referral_mode,
            tags,
            rejected,
            reading,
            requires,
            also_eligible,
            teaches: crate::eligibility::teaches(&s.name, s.description.as_deref().unwrap_or("")),
            made_for,
            towns,
            reach: None,
            child_ages: s.maximum_age.is_some_and(|m| m <= 12.0) && {
                let text = format!(
                    "{} {} {}",
                    s.name,
                    s.description.as_deref().unwrap_or(""),
                    s.eligibility_description.as_deref().unwrap_or("")
                )
                .to_lowercase();
                [
                    "parent", "carer", "grown-up", "grown up", "mum", "dad", "toddler", "family",
                    "families",
                ]
                .iter()
                .any(|w| text.contains(w))
            },
        }
    }

    /// How strongly it is classified as a concept (0 when not).
    pub fn strength(&self, c: ConceptId) -> f32 {
        self.tags
            .iter()
            .find(|t| t.concept == c)
            .map_or(0.0, |t| t.strength)
    }

    /// The sex a single-sex group is for.
    pub fn sex(&self) -> Option<Sex> {
        self.reading.sex.as_ref().map(|s| s.0)
    }

    /// Open now (not closed for a while, not inactive or defunct).
    pub fn open(&self) -> bool {
        self.open
    }

    /// Where it is for, from the directory's places: the area a service without a venue
    /// covers, or the place a residence restriction names.
    pub(crate) fn set_reach(&mut self, places: &super::places::Places) {
        self.reach = self
            .reading
            .area
            .as_deref()
            .and_then(|a| places.reach(a, false))
            .or_else(|| {
                self.reading
                    .only_for
                    .as_deref()
                    .filter(|o| super::places::residence(o))
                    .and_then(|o| places.reach(o, true))
            });
    }

    /// Whether it is for somewhere else than where someone at `at` lives (their home the
    /// known place `home`).
    pub fn elsewhere(&self, home: Option<&super::places::Place>, at: Option<(f64, f64)>) -> bool {
        match (&self.reach, at) {
            (Some(r), Some(at)) => !r.covers(home, at),
            _ => false,
        }
    }

    /// A service with no venue on the map that reaches people where they are.
    pub fn remote(&self) -> bool {
        self.reading.area.is_some()
    }

    /// Reaches people where they are: no venue, or a venue and another way in (by phone,
    /// video or online).
    pub fn reaches_anywhere(&self) -> bool {
        self.remote() || self.reading.also_remote.is_some()
    }

    pub(super) fn passes(&self, q: &SearchQuery) -> bool {
        if self.retired || (q.public_only && !self.public) {
            return false;
        }
        if !q.include_inactive && self.status != "active" {
            return false;
        }
        if !q.categories.is_empty() && !q.categories.iter().any(|c| self.categories.contains(c)) {
            return false;
        }
        if let Some(t) = &q.taxonomy_term_id {
            if !self.term_ids.contains(t) {
                return false;
            }
        }
        if let Some(t) = &q.taxonomy_id {
            if !self.taxonomy_ids.contains(t) {
                return false;
            }
        }
        // A parent-and-toddler group's ages are the child's: a grown-up comes with them.
        if let Some(age) = q.age.filter(|a| !(self.child_ages && *a >= 16.0)) {
            if self.min_age.is_some_and(|m| age < m) || self.max_age.is_some_and(|m| age > m) {
                return false;
            }
        }
        if let Some(a) = q.minimum_age {
            if !self.min_age.is_some_and(|m| m >= a) {
                return false;
            }
        }
        if let Some(a) = q.maximum_age {
            if !self.max_age.is_some_and(|m| m <= a) {
                return false;
            }
        }
        if q.free_only && !self.free {
            return false;
        }
        if q.day.is_some() || q.start.is_some() || q.end.is_some() {
            let day_bit = q.day.map(|d| 1u8 << d.index());
            let ok = self.sessions.iter().any(|(days, opens, closes)| {
                day_bit.is_none_or(|b| *days & b != 0)
                    && q.start.is_none_or(|s| opens.is_some_and(|o| o >= s))
                    && q.end.is_none_or(|e| closes.is_some_and(|c| c <= e))
            });
            if !ok {
                return false;
            }
        }
        if !q.access.iter().all(|a| self.access.contains(a)) {
            return false;
        }
        if let Some(lang) = &q.language {
            let lang = lang.trim().to_lowercase();
            if !lang.is_empty() && !self.languages.contains(&lang) {
                return false;
            }
        }
        if q.referrals_only && self.referral_mode != ReferralMode::Referral {
            return false;
        }
        true
    }

    /// Metres to the nearest located site from `p`.
    pub(crate) fn nearest_m(&self, p: (f64, f64)) -> Option<f64> {
        self.points
            .iter()
            .filter_map(|(_, pt)| pt.map(|pt| distance_m(p, pt)))
            .min_by(|a, b| a.total_cmp(b))
    }

    /// The nearest located site to `p`: (service-at-location id, metres).
    pub(crate) fn nearest(&self, p: (f64, f64)) -> Option<(String, f64)> {
        self.points
            .iter()
            .filter_map(|(id, pt)| pt.map(|pt| (id.clone(), distance_m(p, pt))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}
