//! Classifying a service from any publisher into the vocabulary's concepts, from its
//! taxonomy terms (any taxonomy, by their names), its name, description, eligibility and
//! organisation, keeping the words that matched as evidence.

use crate::oruk::Service;
use crate::vocabulary::{ConceptId, Vocabulary};
use domain::Category;

/// Where a concept was found in a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A Linkwork category a manager or partner chose.
    Category,
    /// Confirmed on the listing by a manager or its partner.
    Review,
    Name,
    Taxonomy,
    Description,
    Eligibility,
    Organization,
    /// Its venue's name, or its organisation's description (what the place is like).
    Venue,
}

impl Source {
    fn strength(self) -> f32 {
        match self {
            Source::Category | Source::Review => 1.0,
            Source::Name => 1.0,
            Source::Taxonomy => 0.8,
            Source::Description => 0.6,
            Source::Eligibility => 0.5,
            Source::Organization | Source::Venue => 0.4,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Category => "category",
            Source::Review => "review",
            Source::Name => "name",
            Source::Taxonomy => "taxonomy term",
            Source::Description => "description",
            Source::Eligibility => "eligibility",
            Source::Organization => "organisation",
            Source::Venue => "venue",
        }
    }
}

/// The words about where a service meets, each with what to quote: its venues' names, and an
/// organisation's description that says in a few words what the place is ("Town centre
/// pub."). A venue named like a pub ("The Drovers Arms", "Red Lion Inn"; not a Premier Inn)
/// or so described is read as "at the pub". A longer description is about the organisation's
/// work ("a Friday alternative to the pub"), not its venue.
fn venue_words(s: &Service) -> Vec<(String, String)> {
    let pub_like = |lower: &str| {
        let last = lower.rsplit(' ').next().unwrap_or("");
        matches!(last, "arms" | "inn" | "tavern" | "pub")
            && !["open arms", "coat of arms", "premier inn", "holiday inn"]
                .iter()
                .any(|w| lower.ends_with(w))
    };
    let mut out = vec![];
    for l in s
        .service_at_locations
        .iter()
        .filter_map(|x| x.location.as_ref())
    {
        let Some(name) = l.name.as_deref() else {
            continue;
        };
        let lower = name.trim().to_lowercase();
        if pub_like(&lower) {
            out.push(("at the pub".to_string(), name.to_string()));
        } else {
            out.push((name.to_string(), name.to_string()));
        }
    }
    if let Some(o) = &s.organization {
        let first = o
            .description
            .split(['.', '!', '\n'])
            .next()
            .unwrap_or("")
            .trim();
        let lower = first.to_lowercase();
        if first.split_whitespace().count() <= 5 && pub_like(&lower) {
            out.push(("at the pub".to_string(), first.to_string()));
        }
    }
    out
}

/// A concept a service is classified as, how strongly (0–1) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    pub concept: ConceptId,
    pub strength: f32,
    pub source: Source,
    /// The words that matched, as written.
    pub words: String,
    /// A manager or the listing's partner confirmed it: no longer a suggestion.
    pub confirmed: bool,
}

impl Tag {
    /// The evidence in words: "\"memory cafe\" in its name", or "confirmed by staff".
    pub fn evidence(&self) -> String {
        match self.source {
            Source::Review => "confirmed by staff".into(),
            s => format!("\"{}\" in its {}", self.words, s.label()),
        }
    }
}

/// A broad taxonomy term's concept that the listing's own words do not name, when they
/// name another of its concepts, counts this much.
const UNSAID: f32 = 0.5;

/// How much a concept counts when named only as why people come to a service ("because of
/// illness, disability or no transport"), against what the service does.
const REASON: f32 = 0.5;

/// The words (by position among the text's words) of each clause giving a reason ("because
/// of age, illness or disability", "due to ill health"), up to the end of its sentence or
/// line, and at most fourteen words: a reason that opens a sentence ends at its comma ("Because
/// loneliness affects us all, our befriending service …" is befriending).
fn reason_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    static REASONS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let reasons = crate::eligibility::re(&REASONS, r"(?i)\b(because|due to|owing to)\b[^.?!;\n]*");
    const MOST_WORDS: usize = 14;
    reasons
        .find_iter(text)
        .map(|m| {
            let before = text[..m.start()].trim_end();
            let opens = before.is_empty() || before.ends_with(['.', '?', '!', '\n', ':']);
            let clause = m.as_str();
            let clause = match clause.find(',') {
                Some(comma) if opens => &clause[..comma],
                _ => clause,
            };
            let from = count_words(&text[..m.start()]);
            from..from + count_words(clause).min(MOST_WORDS)
        })
        .collect()
}

/// How many words [`crate::vocabulary::words`] splits a text into (without stemming them).
fn count_words(text: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2019}' | '\u{2018}') {
            continue;
        }
        if c.is_alphanumeric() {
            if !in_word {
                n += 1;
                in_word = true;
            }
        } else {
            in_word = false;
        }
    }
    n
}

/// Records a concept found in one place: the strongest evidence is kept, and being found
/// again elsewhere adds a little.
fn add(
    tags: &mut Vec<Tag>,
    concept: ConceptId,
    source: Source,
    strength: f32,
    words: &str,
    repeat: bool,
) {
    match tags.iter_mut().find(|t| t.concept == concept) {
        Some(t) => {
            if strength > t.strength {
                t.strength = (strength + 0.1).min(1.0);
                t.source = source;
                t.words = words.to_string();
            } else if !repeat || source != t.source {
                t.strength = (t.strength + 0.1).min(1.0);
            }
        }
        None => tags.push(Tag {
            concept,
            strength,
            source,
            words: words.to_string(),
            confirmed: false,
        }),
    }
}

/// Applies staff reviews of one listing's concepts: (concept, confirmed). A confirmed
/// concept counts in full whatever the words say; a rejected one is dropped.
pub fn review(tags: &mut Vec<Tag>, reviews: &[(ConceptId, bool)]) {
    for (c, confirmed) in reviews {
        if !confirmed {
            tags.retain(|t| t.concept != *c);
            continue;
        }
        match tags.iter_mut().find(|t| t.concept == *c) {
            Some(t) => {
                t.strength = 1.0;
                t.confirmed = true;
            }
            None => tags.push(Tag {
                concept: *c,
                strength: 1.0,
                source: Source::Review,
                words: "confirmed by staff".into(),
                confirmed: true,
            }),
        }
    }
    tags.sort_by(|a, b| {
        b.strength
            .total_cmp(&a.strength)
            .then(a.concept.cmp(&b.concept))
    });
}

/// A taxonomy term on a service: its name, and the concepts a manager mapped it to (then
/// used instead of reading the name).
pub type TermOf<'a> = (&'a str, Option<&'a [ConceptId]>);

/// The concepts a service is classified as, strongest evidence kept per concept.
/// `terms` are its taxonomy terms (from any taxonomy); `categories` the Linkwork categories
/// it is tagged with.
pub fn classify(
    v: &Vocabulary,
    s: &Service,
    terms: &[TermOf],
    categories: &[Category],
    organization: &str,
) -> Vec<Tag> {
    let mut tags: Vec<Tag> = vec![];
    let texts: [(Source, &str); 4] = [
        (Source::Name, s.name.as_str()),
        (Source::Description, s.description.as_deref().unwrap_or("")),
        (
            Source::Eligibility,
            s.eligibility_description.as_deref().unwrap_or(""),
        ),
        (Source::Organization, organization),
    ];
    for (source, text) in texts {
        let mut seen = vec![];
        let found = if source == Source::Name {
            v.find(text)
        } else {
            v.find_in_text(text)
        };
        // (Not in its eligibility, where why people come is who it is for.)
        let reasons = if matches!(source, Source::Name | Source::Eligibility) {
            vec![]
        } else {
            reason_spans(text)
        };
        for f in found {
            let repeat = seen.contains(&f.concept);
            seen.push(f.concept);
            // Why people come, not what it does ("can't get to the library because of
            // illness or disability"): a little of what it is about.
            let strength = if reasons.iter().any(|r| r.contains(&f.at)) {
                source.strength() * REASON
            } else {
                source.strength()
            };
            add(&mut tags, f.concept, source, strength, &f.words, repeat);
        }
    }
    // Where it meets says what it is like to be there, whatever the service: a pub is a
    // pub ("The Drovers Arms", an organisation that is a "town centre pub"). Only the
    // venue's own concepts are read from these words.
    for (text, words) in venue_words(s) {
        for f in v.find_in_text(&text) {
            if v.concept(f.concept).group == "venue" {
                add(
                    &mut tags,
                    f.concept,
                    Source::Venue,
                    Source::Venue.strength(),
                    &words,
                    false,
                );
            }
        }
    }
    // A broad term ("Arts, Music & Crafts") is weaker evidence for each concept it names.
    let from_words: Vec<ConceptId> = tags.iter().map(|t| t.concept).collect();
    for (name, mapped) in terms {
        if let Some(concepts) = mapped {
            let words = format!("{name} (mapped by a manager)");
            for c in concepts.iter() {
                add(&mut tags, *c, Source::Taxonomy, 1.0, &words, false);
            }
            continue;
        }
        let found = v.find(name);
        let mut concepts: Vec<ConceptId> = found.iter().map(|f| f.concept).collect();
        concepts.dedup();
        let share = match concepts.len() {
            0 | 1 => 1.0,
            2 => 0.8,
            _ => 0.65,
        };
        // The listing's own words say which of a broad term's concepts it is ("Jobs &
        // Volunteering" on a volunteer centre): the others count for less.
        let own = |c: ConceptId| {
            from_words.iter().any(|&w| {
                let x = v.concept(w);
                w == c
                    || x.within == Some(c)
                    || (x.category.is_some() && x.category == v.concept(c).category)
            })
        };
        let owned: Vec<bool> = concepts.iter().map(|&c| own(c)).collect();
        let said = concepts.len() > 1 && owned.contains(&true);
        for (c, owned) in concepts.into_iter().zip(owned) {
            let unsaid = if said && !owned { UNSAID } else { 1.0 };
            let strength = Source::Taxonomy.strength() * share * unsaid;
            add(&mut tags, c, Source::Taxonomy, strength, name, false);
        }
    }
    // A chosen Linkwork category confirms the concepts under it that the words name; when
    // the words name none, those of it that are for anyone, weakly: a men's shed filed under
    // "Peer support" is peer support, not bereavement or veterans' support (concepts for
    // some people), which only its words can say. (A category with no such concept: all.)
    for c in categories {
        let under = v.in_category(*c);
        let named: Vec<ConceptId> = under
            .iter()
            .copied()
            .filter(|id| tags.iter().any(|t| t.concept == *id))
            .collect();
        if named.is_empty() {
            let for_anyone: Vec<ConceptId> = under
                .iter()
                .copied()
                .filter(|id| {
                    let x = v.concept(*id);
                    !x.restricts && x.audience.is_none() && x.within.is_none()
                })
                .collect();
            let under = if for_anyone.is_empty() {
                under
            } else {
                for_anyone
            };
            for id in under {
                tags.push(Tag {
                    concept: id,
                    strength: 0.5,
                    source: Source::Category,
                    words: domain::Code::label(*c).to_string(),
                    confirmed: false,
                });
            }
        } else {
            for t in tags.iter_mut().filter(|t| named.contains(&t.concept)) {
                t.strength = 1.0;
            }
        }
    }
    let overridden: Vec<ConceptId> = tags
        .iter()
        .flat_map(|t| v.concept(t.concept).overrides.iter().copied())
        .collect();
    tags.retain(|t| !overridden.contains(&t.concept));
    tags.sort_by(|a, b| {
        b.strength
            .total_cmp(&a.strength)
            .then(a.concept.cmp(&b.concept))
    });
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &Vocabulary, tags: &[Tag]) -> Vec<String> {
        tags.iter()
            .map(|t| v.concept(t.concept).id.clone())
            .collect()
    }

    /// Found by a review of two towns' listings: words that name what a service is, and
    /// words in passing that do not.
    #[test]
    fn a_listing_is_what_it_says_not_what_it_mentions() {
        let v = Vocabulary::builtin();
        let tags = |name: &str, description: &str| {
            let s = Service {
                id: "s".into(),
                name: name.into(),
                status: "active".into(),
                description: Some(description.into()),
                ..Default::default()
            };
            ids(v, &classify(v, &s, &[], &[], ""))
        };
        for (name, description, is) in [
            ("Welcome Cafe", "Tea, cake and English practice.", "esol"),
            (
                "Telephone Friends",
                "A friendly volunteer rings you once a week.",
                "befriending",
            ),
            (
                "Hearing Voices Group",
                "Peer support for people who hear voices.",
                "hearing_voices",
            ),
            (
                "Respectful Relationships Course",
                "For men who want to change abusive or controlling behaviour.",
                "perpetrator",
            ),
            (
                "Living Well with Pain",
                "A course for people with long-term pain.",
                "chronic_pain",
            ),
            (
                "Family Bereavement Service",
                "Support after a death.",
                "bereavement",
            ),
            (
                "Tenant Money Advice",
                "Help with rent arrears.",
                "debt_advice",
            ),
        ] {
            assert!(
                tags(name, description).contains(&is.to_string()),
                "{name}: {:?}",
                tags(name, description)
            );
        }
        for (name, description, not) in [
            (
                "Growing Well",
                "Gardening with a horticultural therapist.",
                "counselling",
            ),
            (
                "Recovery Cafe",
                "Pay as you feel food and a friendly face.",
                "food_bank",
            ),
            (
                "Carers Support",
                "Information, advice and emotional support for unpaid carers.",
                "low_mood",
            ),
            (
                "Parenting Course",
                "Ways to handle family stress.",
                "anxiety",
            ),
            (
                "Swim Sessions",
                "Half price for people on benefits.",
                "benefits_advice",
            ),
            ("Lunch Club", "A home-cooked meal and a chat.", "cooking"),
            (
                "Women's Circle",
                "Women only (trans women welcome).",
                "lgbtq",
            ),
            (
                "Respectful Relationships Course",
                "For men who want to change abusive or controlling behaviour.",
                "relationships",
            ),
            (
                "Family Bereavement Service",
                "Support after a death.",
                "parenting",
            ),
        ] {
            assert!(
                !tags(name, description).contains(&not.to_string()),
                "{name}: {:?}",
                tags(name, description)
            );
        }
    }

    #[test]
    fn a_foreign_listing_is_classified_with_evidence() {
        let v = Vocabulary::builtin();
        let s = Service {
            id: "s".into(),
            name: "Recovery Café".into(),
            status: "active".into(),
            description: Some(
                "A friendly drop-in for people in recovery from drink or drug problems.".into(),
            ),
            ..Default::default()
        };
        let tags = classify(
            v,
            &s,
            &[("Drugs & Alcohol", None)],
            &[],
            "Harrowby Recovery Trust",
        );
        let drug = tags
            .iter()
            .find(|t| {
                v.concept(t.concept)
                    .needs
                    .contains(&domain::Need::SubstanceUse)
            })
            .unwrap_or_else(|| panic!("{:?}", ids(v, &tags)));
        assert!(drug.strength >= 0.8, "{drug:?}");
        assert!(!drug.words.is_empty());
    }

    #[test]
    fn why_people_come_counts_less_than_what_it_does() {
        let v = Vocabulary::builtin();
        let strength = |description: &str, concept: &str| {
            let s = Service {
                id: "s".into(),
                name: "Home Library Service".into(),
                status: "active".into(),
                description: Some(description.into()),
                ..Default::default()
            };
            let c = v.by_id(concept).unwrap();
            classify(v, &s, &[], &[], "")
                .iter()
                .find(|t| t.concept == c)
                .map_or(0.0, |t| t.strength)
        };
        // Why people come: a little of what it is about.
        let reason = "Can't get to the library because of age, illness or disability? Volunteers bring books to your door.";
        assert!(strength(reason, "disability") > 0.0 && strength(reason, "disability") < 0.5);
        assert!(strength(reason, "library") >= 1.0);
        // What it does, said plainly, counts in full; so does what follows a reason that
        // opens a sentence.
        let does = "Books brought to your door, and advice on disability aids.";
        assert!(strength(does, "disability") >= 0.6);
        let opening = "Because reading matters to everyone, we offer advice on disability aids.";
        assert!(strength(opening, "disability") >= 0.6);
        assert_eq!(super::count_words("can't get to the library, because"), 6);
    }

    #[test]
    fn a_category_alone_says_what_it_is_not_who_it_is_for() {
        let v = Vocabulary::builtin();
        let s = Service {
            id: "s".into(),
            name: "Men's shed".into(),
            status: "active".into(),
            description: Some("A workshop space to make, mend and chat.".into()),
            ..Default::default()
        };
        let tags = classify(v, &s, &[], &[Category::PeerSupport], "");
        let found = ids(v, &tags);
        // Filed under peer support: peer support, but not bereavement or veterans' support,
        // which only its words could say.
        assert!(found.iter().any(|c| c == "peer_support"), "{found:?}");
        for not in ["bereavement", "veterans"] {
            assert!(!found.iter().any(|c| c == not), "{not}: {found:?}");
        }
        // Its words name one: that one, confirmed.
        let grief = Service {
            description: Some("A peer support group for people who have been bereaved.".into()),
            ..s
        };
        let tags = classify(v, &grief, &[], &[Category::PeerSupport], "");
        let bereavement = v.by_id("bereavement").unwrap();
        assert!(tags
            .iter()
            .any(|t| t.concept == bereavement && t.strength == 1.0));
    }

    #[test]
    fn a_perpetrator_programme_is_not_victims_support() {
        let v = Vocabulary::builtin();
        let s = Service {
            id: "s".into(),
            name: "Changing Behaviours".into(),
            status: "active".into(),
            description: Some(
                "A programme for perpetrators of domestic abuse who want to change.".into(),
            ),
            ..Default::default()
        };
        let tags = classify(v, &s, &[], &[], "");
        // A manager's mapping is used instead of the term's name.
        let peer = v.by_id("peer_support").unwrap();
        let mapped = classify(v, &s, &[("Safety at Home", Some(&[peer][..]))], &[], "");
        let t = mapped.iter().find(|t| t.concept == peer).unwrap();
        assert_eq!(t.strength, 1.0);
        assert!(t.words.contains("mapped by a manager"));
        assert!(
            tags.iter().all(|t| !v
                .concept(t.concept)
                .needs
                .contains(&domain::Need::DomesticAbuse)),
            "{:?}",
            ids(v, &tags)
        );
    }
    #[test]
    fn a_pub_is_read_from_its_venue_not_from_words_about_pubs() {
        let v = Vocabulary::builtin();
        let bar = v.by_id("licensed_bar").unwrap();
        let at = |venue: &str, org: &str, description: &str| {
            let mut s = Service {
                name: "Thursday Quiz Night".into(),
                description: Some(description.into()),
                ..Default::default()
            };
            s.service_at_locations = vec![crate::oruk::ServiceAtLocation {
                id: "sal".into(),
                location: Some(crate::oruk::Location {
                    id: "l".into(),
                    name: Some(venue.into()),
                    ..Default::default()
                }),
                ..Default::default()
            }];
            s.organization = Some(crate::oruk::Organization {
                id: "o".into(),
                name: "Somebody".into(),
                description: org.into(),
                ..Default::default()
            });
            classify(v, &s, &[], &[], "")
                .iter()
                .any(|t| t.concept == bar)
        };
        assert!(at("The Drovers Arms", "", "Teams of up to six."));
        assert!(at(
            "Community Hall",
            "Town centre pub.",
            "Teams of up to six."
        ));
        assert!(!at("Premier Inn", "", "A quiz."));
        assert!(!at("Open Arms Centre", "", "A quiz."));
        assert!(!at(
            "Community Hall",
            "Sober Socials: a Friday alternative to the pub for people in recovery.",
            "A quiz."
        ));
        assert!(!at(
            "Community Hall",
            "",
            "A Friday alternative to the pub."
        ));
    }
}
