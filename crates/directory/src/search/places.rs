//! Where a directory's places are: the towns and villages its own venues' addresses name,
//! each placed at the middle of its venues. A service whose reach or restriction names places
//! ("Northey St Mary parish", "for residents of Gosland") is for the people who live in or
//! near them, and not for someone whose home is nearer another place the directory knows.
//!
//! Nothing is looked up elsewhere: a place no venue's address names is not known, and a reach
//! that names no known place ("Anywhere in the UK", "the district") covers everyone, as before.

use domain::directory::distance_m;
use regex::Regex;
use std::sync::OnceLock;

/// A reach with a wide word ("Fenbridge district", "Harrowby and surrounding villages"), or
/// naming a town (which stands for its area: "Harrowby and Kelsworth"), covers people this
/// far from the place it names.
const WIDE_M: f64 = 30_000.0;
/// A place is a town, standing for its area, when it has this share of the directory's
/// venues or they spread this far.
const TOWN_SHARE: f64 = 0.15;
const TOWN_SPREAD_M: f64 = 2_000.0;
/// Further than this from every known place, where someone lives is not known.
const KNOWN_M: f64 = 25_000.0;
/// Slack round a place's venues: its homes reach a little beyond them.
const EDGE_M: f64 = 1_000.0;

/// A town or village the directory's venues name.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Lower-cased, as the addresses spell it.
    pub name: String,
    /// As the first address spells it, for people to read.
    pub label: String,
    /// The middle of its venues.
    pub centre: (f64, f64),
    /// How far its furthest venue is from the middle.
    pub spread_m: f64,
    /// A town rather than a village: its name stands for the area round it.
    pub town: bool,
}

/// The places a reach or restriction names, and whether it says a wide area round them.
#[derive(Debug, Clone, PartialEq)]
pub struct Reach {
    /// The places it names, each with whether it stands for the area round it (a town's
    /// name as a reach, not "Fenbridge town", nor "residents of Harrowby").
    pub places: Vec<(Place, bool)>,
    pub wide: bool,
    /// From a restriction ("for residents of Gosland") rather than a service area.
    pub restriction: bool,
}

impl Reach {
    /// Whether someone whose home is at `at` is inside it. `home` is the known place they
    /// live nearest (`Places::home`); without one nobody is ruled out.
    pub fn covers(&self, home: Option<&Place>, at: (f64, f64)) -> bool {
        let Some(home) = home else {
            return true;
        };
        self.places.iter().any(|(p, area)| {
            let d = distance_m(at, p.centre);
            p.name == home.name || d <= p.spread_m + EDGE_M || ((self.wide || *area) && d <= WIDE_M)
        })
    }
}

/// Every place the directory's venues name.
#[derive(Debug, Clone, Default)]
pub struct Places {
    places: Vec<Place>,
}

impl Places {
    /// From (address town, venue coordinates) pairs.
    pub fn from_venues<'a>(venues: impl Iterator<Item = (&'a str, (f64, f64))>) -> Self {
        // (lower-cased name, name as spelt, venues)
        type Named = (String, String, Vec<(f64, f64)>);
        let mut by_name: Vec<Named> = vec![];
        for (town, at) in venues {
            let name = town.trim().to_lowercase();
            if name.chars().filter(|c| c.is_alphabetic()).count() < 3 {
                continue;
            }
            match by_name.iter_mut().find(|(n, _, _)| *n == name) {
                Some((_, _, points)) => points.push(at),
                None => by_name.push((name, town.trim().to_string(), vec![at])),
            }
        }
        let all: usize = by_name.iter().map(|p| p.2.len()).sum();
        let places = by_name
            .into_iter()
            .map(|(name, label, points)| {
                let n = points.len() as f64;
                // The middle by median, and the spread of nine venues in ten: one venue put
                // in the wrong place does not stretch the place over the county.
                let median = |mut xs: Vec<f64>| {
                    xs.sort_by(f64::total_cmp);
                    xs[xs.len() / 2]
                };
                let centre = (
                    median(points.iter().map(|p| p.0).collect()),
                    median(points.iter().map(|p| p.1).collect()),
                );
                let mut far: Vec<f64> = points.iter().map(|p| distance_m(*p, centre)).collect();
                far.sort_by(f64::total_cmp);
                let spread_m =
                    far[((far.len() as f64 * 0.9).ceil() as usize).clamp(1, far.len()) - 1];
                Place {
                    name,
                    label,
                    centre,
                    spread_m,
                    town: n / all.max(1) as f64 >= TOWN_SHARE || spread_m >= TOWN_SPREAD_M,
                }
            })
            .collect();
        Places { places }
    }

    /// The known place someone at `at` lives in or nearest to (by distance from its
    /// venues' edge), or `None` when every known place is far away.
    pub fn home(&self, at: (f64, f64)) -> Option<&Place> {
        self.places
            .iter()
            .map(|p| (p, (distance_m(at, p.centre) - p.spread_m).max(0.0)))
            .filter(|(_, d)| *d <= KNOWN_M)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(p, _)| p)
    }

    /// The known place a search's words name beside what they look for ("lunch club
    /// gosland"), and the words without it ("lunch club"). Not a place whose name is an
    /// English word (`is_word`: "March" is a town and a month), nor when the place is all
    /// the words say (a search for "Gosland" finds what its words name).
    pub fn named_in(&self, text: &str, is_word: &dyn Fn(&str) -> bool) -> Option<(&Place, String)> {
        let lower = text.to_lowercase();
        let place = self
            .places
            .iter()
            .filter(|p| names(&lower, &p.name))
            .filter(|p| !p.name.split_whitespace().all(is_word))
            // The longest name: "Little Oxney", not "Oxney".
            .max_by_key(|p| p.name.len())?;
        // Take out the whole words that name it, and a word just before them that says
        // where ("in Gosland"); nothing else.
        let words: Vec<&str> = text.split_whitespace().collect();
        let plain = |w: &str| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        };
        let name: Vec<&str> = place.name.split_whitespace().collect();
        let at = (0..words.len()).find(|&k| {
            name.iter()
                .enumerate()
                .all(|(j, n)| words.get(k + j).is_some_and(|w| plain(w) == *n))
        })?;
        let from = match at.checked_sub(1).map(|k| plain(words[k])) {
            Some(w) if matches!(w.as_str(), "in" | "at" | "near" | "around") => at - 1,
            _ => at,
        };
        let rest: Vec<&str> = words[..from]
            .iter()
            .chain(&words[at + name.len()..])
            .copied()
            .collect();
        (!rest.is_empty()).then(|| (place, rest.join(" ")))
    }

    /// The known places `text` names as whole words (written with a capital, as a place
    /// is), or `None` when it names none, or names somewhere else too that no venue is in
    /// ("Gosland, Mardle and Kelsworth" with a venue only in Gosland; "UK-wide"): where it
    /// reaches is then not known, and nobody is ruled out.
    pub fn reach(&self, text: &str, restriction: bool) -> Option<Reach> {
        let lower = text.to_lowercase();
        let named: Vec<(Place, bool)> = self
            .places
            .iter()
            .filter(|p| names(&lower, &p.name) && capitalised(text, &lower, &p.name))
            .map(|p| {
                let itself = ["town", "town centre", "parish", "village", "ward", "estate"]
                    .iter()
                    .any(|w| names(&lower, &format!("{} {w}", p.name)));
                // "Residents of Harrowby" are the town's, not its villages'.
                (p.clone(), p.town && !itself && !restriction)
            })
            .collect();
        if named.is_empty() {
            return None;
        }
        // Somewhere else named beside them: another capitalised word that is not one of the
        // known places nor an ordinary word of a reach ("Mardle", "Cambridgeshire"), or the
        // whole country.
        static NATIONAL: OnceLock<Regex> = OnceLock::new();
        #[allow(clippy::expect_used)]
        let national = NATIONAL.get_or_init(|| {
            Regex::new(r"\b(uk|united kingdom|britain|england|wales|scotland|national|nationwide|anywhere|countrywide)\b")
                .expect("a literal pattern of places.rs")
        });
        if national.is_match(&lower) {
            return None;
        }
        let mut rest = text.to_string();
        for (p, _) in &named {
            rest = replace_ignoring_case(&rest, &p.name);
        }
        const ORDINARY: &[&str] = &[
            "the",
            "and",
            "or",
            "of",
            "in",
            "for",
            "to",
            "only",
            "residents",
            "resident",
            "people",
            "living",
            "live",
            "who",
            "town",
            "centre",
            "center",
            "parish",
            "village",
            "villages",
            "ward",
            "wards",
            "estate",
            "district",
            "borough",
            "county",
            "area",
            "region",
            "surrounding",
            "around",
            "nearby",
            "wider",
            "beyond",
            "council",
            "telephone",
            "phone",
            "home",
            "visits",
            "visit",
            "online",
            "video",
            "delivery",
            "service",
            "services",
            "all",
            "whole",
            "within",
            "across",
            "covering",
            "covers",
            "properties",
            "tenants",
            "practices",
            "practice",
            "gp",
            "gps",
            "surgery",
            "surgeries",
            "north",
            "south",
            "east",
            "west",
            "central",
            "greater",
            "inner",
            "outer",
            "upper",
            "lower",
            "mid",
            "patients",
            "registered",
            "with",
            "at",
            "by",
            "face",
            "hours",
            "clinics",
        ];
        let other_place = rest
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
            .filter(|w| w.chars().skip(1).any(char::is_lowercase))
            .any(|w| !ORDINARY.contains(&w.to_lowercase().as_str()));
        if other_place {
            return None;
        }
        static WIDE: OnceLock<Regex> = OnceLock::new();
        #[allow(clippy::expect_used)]
        let wide = WIDE.get_or_init(|| {
            Regex::new(
                r"\b(district|borough|county|\w*shire|area|region|surrounding|villages|around|nearby|wider|and beyond)\b",
            )
            .expect("a literal pattern of places.rs")
        });
        Some(Reach {
            places: named,
            wide: wide.is_match(&lower),
            restriction,
        })
    }
}

/// `text` with each whole-word `name` (lower-cased) taken out, whatever its case.
fn replace_ignoring_case(text: &str, name: &str) -> String {
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII: then leave the text as it is.
    if lower.len() != text.len() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (at, _) in lower.match_indices(name) {
        if at >= from && text.is_char_boundary(at) && text.is_char_boundary(at + name.len()) {
            out.push_str(&text[from..at]);
            out.push(' ');
            from = at + name.len();
        }
    }
    out.push_str(&text[from..]);
    out
}

/// Whether some whole-word mention of `name` in `text` starts with a capital letter ("March"
/// the town, not "march"). `lower` is `text` lower-cased.
fn capitalised(text: &str, lower: &str, name: &str) -> bool {
    if lower.len() != text.len() {
        return true;
    }
    lower.match_indices(name).any(|(at, _)| {
        text.is_char_boundary(at) && text[at..].chars().next().is_some_and(char::is_uppercase)
    })
}

/// Whether lower-cased `text` has `name` as whole words.
fn names(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether a restriction is to the people who live somewhere ("For residents of Gosland",
/// "Little Oxney residents only", "people living in Fenbridge").
pub fn residence(only_for: &str) -> bool {
    static LIVE: OnceLock<Regex> = OnceLock::new();
    #[allow(clippy::expect_used)]
    LIVE.get_or_init(|| {
        Regex::new(r"(?i)\b(residents?|living in|who live in|live in|lives in|people of)\b")
            .expect("a literal pattern of places.rs")
    })
    .is_match(only_for)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn town() -> Places {
        // A town with eight venues spread about a kilometre, a village 7 km away with one venue,
        // another 11 km away, and a far town 39 km away.
        Places::from_venues(
            [
                ("Fenbridge", (52.450, 0.250)),
                ("Fenbridge", (52.455, 0.262)),
                ("fenbridge ", (52.445, 0.240)),
                ("Fenbridge", (52.452, 0.251)),
                ("Fenbridge", (52.449, 0.249)),
                ("Fenbridge", (52.451, 0.248)),
                ("Fenbridge", (52.447, 0.252)),
                ("Fenbridge", (52.450, 0.255)),
                ("Gosland", (52.500, 0.320)),
                ("Northey St Mary", (52.380, 0.140)),
                ("Saltmarsh", (52.800, 0.400)),
                ("", (52.0, 0.0)),
            ]
            .into_iter(),
        )
    }

    #[test]
    fn a_parish_service_is_for_the_parish() {
        let places = town();
        let parish = places.reach("Northey St Mary parish", false).unwrap();
        let in_town = (52.451, 0.251);
        let in_parish = (52.381, 0.141);
        assert_eq!(places.home(in_town).unwrap().name, "fenbridge");
        assert!(!parish.covers(places.home(in_town), in_town));
        assert!(parish.covers(places.home(in_parish), in_parish));
    }

    #[test]
    fn a_district_covers_its_villages_but_not_the_far_town() {
        let places = town();
        let district = places.reach("Fenbridge district", false).unwrap();
        assert!(district.wide);
        let gosland = (52.501, 0.321);
        let saltmarsh = (52.801, 0.401);
        assert!(district.covers(places.home(gosland), gosland));
        assert!(!district.covers(places.home(saltmarsh), saltmarsh));
        // A list of places covers each of them, and not another.
        let list = places
            .reach("Fenbridge town, Gosland - home visits", false)
            .unwrap();
        assert!(list.covers(places.home(gosland), gosland));
        let northey = (52.380, 0.140);
        assert!(!list.covers(places.home(northey), northey));
        // A town's name alone stands for the area round it; a village's does not.
        let towns = places.reach("Fenbridge and Saltmarsh", false).unwrap();
        assert!(towns.covers(places.home(northey), northey));
        let village = places.reach("Gosland", false).unwrap();
        assert!(!village.covers(places.home(northey), northey));
    }

    #[test]
    fn a_reach_naming_somewhere_unknown_rules_nobody_out() {
        let places = town();
        // Mardle and Cambridgeshire have no venue: where these reach is not known.
        assert!(places
            .reach("Gosland, Mardle and Little Oxney", false)
            .is_none());
        assert!(places
            .reach("Fenbridge and Cambridgeshire", false)
            .is_none());
        assert!(places.reach("UK-wide, office in Gosland", false).is_none());
        // Ordinary words beside known places do not count as places.
        assert!(places
            .reach(
                "Fenbridge district (Fenbridge, Gosland) - telephone and home visits",
                false
            )
            .is_some());
        assert!(places.reach("Northey St Mary parish", false).is_some());
        assert!(places
            .reach("North Fenbridge (telephone service)", false)
            .is_some());
        // A place's name written as an ordinary word is not the place.
        assert!(places.reach("gosland-style walks", false).is_none());
    }

    #[test]
    fn unknown_places_and_homes_rule_nobody_out() {
        let places = town();
        assert!(places.reach("Anywhere - telephone", false).is_none());
        // "Fenland" is not "Fenbridge", and a name inside a word is not the place.
        assert!(places.reach("Fenland Homes tenants", true).is_none());
        assert!(places.reach("Saltmarshes", false).is_none());
        let parish = places.reach("Northey St Mary parish", false).unwrap();
        let abroad = (55.0, -3.0);
        assert!(places.home(abroad).is_none());
        assert!(parish.covers(places.home(abroad), abroad));
    }

    #[test]
    fn a_search_names_a_place_beside_what_it_looks_for() {
        let places = town();
        let no_word = |_: &str| false;
        let (p, rest) = places.named_in("lunch club in Gosland", &no_word).unwrap();
        assert_eq!((p.label.as_str(), rest.as_str()), ("Gosland", "lunch club"));
        assert!(
            places.named_in("gosland", &no_word).is_none(),
            "all it says"
        );
        assert!(places.named_in("lunch club", &no_word).is_none());
        let (_, rest) = places
            .named_in("in debt, stuck at home in Gosland", &no_word)
            .unwrap();
        assert_eq!(rest, "in debt, stuck at home");
        assert!(
            places.named_in("goslanders club", &no_word).is_none(),
            "whole words"
        );
        let gosland_is_a_word = |w: &str| w == "gosland";
        assert!(places
            .named_in("lunch club gosland", &gosland_is_a_word)
            .is_none());
    }

    #[test]
    fn residence_restrictions() {
        assert!(residence("For residents of Northey St Mary parish"));
        assert!(residence("Gosland residents only"));
        assert!(residence("People living in Fenbridge"));
        assert!(!residence("For tenants of Fenland Homes"));
        assert!(!residence("Registered with a Fenbridge GP"));
    }
}
