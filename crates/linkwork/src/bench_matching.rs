//! `linkwork bench matching`: imports a graded evaluation set (an ORUK feed, postcodes,
//! typed searches and people, judged 0–3 by hand) into a scratch database through the
//! real import, runs every search and every person's match, and prints nDCG@5,
//! recall@10 and "must never suggest" violations in any top 10.
//!
//! Cases are split by the number in their id, at the line the set's `split.toml` draws
//! (`development_people`, `development_searches`: the last development case of each).
//! Cases up to the line are for development: `--show` prints only their results, for
//! working on ranking. Later cases were written and judged blind, after the earlier ones
//! had been worked on, and are held out: report their figures. A set with no
//! `split.toml` is held out entirely (a second town written to test another publisher's
//! directory). When held-out cases have been looked at, they become development cases:
//! new blind ones are written and the line moves.

use anyhow::{bail, Context, Result};
use directory::{Directory, Listing, MatchProfile, SearchQuery};
use domain::{person::Sex, AccessFeature, Code, Need, Weekday};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use storage::Actor;

#[derive(Deserialize)]
struct Searches {
    search: Vec<SearchCase>,
}

#[derive(Deserialize)]
struct SearchCase {
    id: String,
    query: String,
    postcode: Option<String>,
    age: Option<f64>,
    #[serde(default)]
    judgements: HashMap<String, u8>,
    #[serde(default)]
    must_never: Vec<String>,
}

#[derive(Deserialize)]
struct People {
    person: Vec<PersonCase>,
}

#[derive(Deserialize)]
struct PersonCase {
    id: String,
    age: f64,
    sex: String,
    postcode: String,
    #[serde(default)]
    needs: HashMap<String, u8>,
    #[serde(default)]
    interests: Vec<String>,
    #[serde(default)]
    what_matters: String,
    #[serde(default)]
    free_only: bool,
    #[serde(default)]
    step_free: bool,
    language: Option<String>,
    #[serde(default)]
    days: Vec<String>,
    max_km: Option<f64>,
    #[serde(default)]
    judgements: HashMap<String, u8>,
    #[serde(default)]
    must_never: Vec<String>,
}

/// One case's figures.
struct Scored {
    id: String,
    ndcg5: f64,
    recall10: Option<f64>,
    violations: Vec<String>,
    shown: Vec<String>,
    /// Judged 2 or 3 but not in the top 10, with why (development cases only).
    missed: Vec<(String, String)>,
    /// Score and reasons of each shown match.
    notes: Vec<String>,
    /// How the search's or person's words were read (development cases only).
    read: Option<String>,
}

fn dcg(grades: impl Iterator<Item = u8>) -> f64 {
    grades
        .enumerate()
        .map(|(i, g)| (2f64.powi(i32::from(g)) - 1.0) / ((i as f64) + 2.0).log2())
        .sum()
}

fn score(id: &str, ranked: &[String], judged: &HashMap<String, u8>, never: &[String]) -> Scored {
    let grade = |s: &String| judged.get(s).copied().unwrap_or(0);
    let mut ideal: Vec<u8> = judged.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg = dcg(ideal.iter().copied().take(5));
    let ndcg5 = if idcg > 0.0 {
        dcg(ranked.iter().take(5).map(grade)) / idcg
    } else {
        1.0
    };
    let good: Vec<&String> = judged
        .iter()
        .filter(|(_, g)| **g >= 2)
        .map(|(s, _)| s)
        .collect();
    let recall10 = (!good.is_empty()).then(|| {
        let top: Vec<&String> = ranked.iter().take(10).collect();
        good.iter().filter(|g| top.contains(g)).count() as f64 / good.len() as f64
    });
    let violations = ranked
        .iter()
        .take(10)
        .filter(|s| never.contains(s))
        .cloned()
        .collect();
    Scored {
        id: id.to_string(),
        ndcg5,
        recall10,
        violations,
        shown: ranked.iter().take(10).cloned().collect(),
        missed: vec![],
        notes: vec![],
        read: None,
    }
}

/// How each service was classified, by name: its concepts, strongest first, with the words
/// that were the evidence. For reviewing the vocabulary against a publisher's listings.
async fn print_classes(dir: &Directory) -> Result<()> {
    let v = directory::vocabulary::Vocabulary::builtin();
    let mut entries = dir.all_entries().await?;
    entries.sort_by(|a, b| a.service.name.cmp(&b.service.name));
    for e in entries {
        println!("class {} [{}]", e.service.name, e.service.status);
        for t in dir
            .index
            .facts(&e.service.id)
            .map(|f| f.tags)
            .unwrap_or_default()
        {
            println!(
                "    {:.1} {} ({}): {}",
                t.strength,
                v.concept(t.concept).id,
                v.label(t.concept),
                t.evidence()
            );
        }
    }
    Ok(())
}

/// Where a set's development cases end (`split.toml`); later cases are held out.
#[derive(Deserialize, Default, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct Split {
    development_people: u32,
    development_searches: u32,
}

impl Split {
    fn read(eval: &Path) -> Result<Self> {
        let path = eval.join("split.toml");
        if !path.exists() {
            return Ok(Self::default());
        }
        toml::from_str(&std::fs::read_to_string(&path)?)
            .with_context(|| format!("{} is not valid", path.display()))
    }

    /// Whether a case is for development, not held out.
    fn is_dev(self, id: &str) -> bool {
        let n: u32 = id
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0);
        let last = if id.starts_with('s') {
            self.development_searches
        } else {
            self.development_people
        };
        n <= last
    }
}

fn summary(what: &str, cases: &[Scored], split: Split) {
    for (half, pick) in [("development", true), ("held out", false), ("all", true)] {
        let set: Vec<&Scored> = cases
            .iter()
            .filter(|c| half == "all" || split.is_dev(&c.id) == pick)
            .collect();
        if set.is_empty() {
            continue;
        }
        let n = set.len() as f64;
        let ndcg = set.iter().map(|c| c.ndcg5).sum::<f64>() / n;
        let recalls: Vec<f64> = set.iter().filter_map(|c| c.recall10).collect();
        let recall = recalls.iter().sum::<f64>() / recalls.len().max(1) as f64;
        let violations: usize = set.iter().map(|c| c.violations.len()).sum();
        let empty = set.iter().filter(|c| c.shown.is_empty()).count();
        println!(
            "  {what:<9} {half:<12} cases {:>3}   nDCG@5 {ndcg:.3}   recall@10 {recall:.3}   must-never in top 10 {violations:>3}   empty {empty}",
            set.len()
        );
    }
}

pub async fn run(eval: &Path, show: bool, classes: bool) -> Result<()> {
    if !eval.join("feed.json").exists() {
        bail!(
            "no evaluation set at {} (it needs feed.json, postcodes.csv, searches.toml and people.toml); run from the project folder or pass --eval",
            eval.display()
        );
    }
    let split = Split::read(eval)?;
    let tmp = tempfile::tempdir()?;
    let store =
        crate::open_storage(&crate::config::sqlite_url(&tmp.path().join("eval.db")), 1).await?;
    let bytes = std::fs::read(eval.join("feed.json"))?;
    let parsed = directory::parse_json(&bytes).map_err(|m| anyhow::anyhow!("feed.json is {m}"))?;
    let dir = Directory::open(store.clone(), Some(&tmp.path().join("index"))).await?;
    let started = std::time::Instant::now();
    let counts = dir
        .import(
            &parsed,
            "evaluation feed",
            &Listing::default(),
            &Actor::system("bench"),
        )
        .await?;
    println!(
        "Imported {} services through the real import in {:.2} s ({} problems).",
        counts.created,
        started.elapsed().as_secs_f64(),
        parsed.problems.len()
    );
    crate::directory_cli::import_postcodes(store.clone(), &eval.join("postcodes.csv")).await?;
    if classes {
        print_classes(&dir).await?;
    }
    let searches: Searches = toml::from_str(
        &std::fs::read_to_string(eval.join("searches.toml")).context("searches.toml")?,
    )?;
    let people: People =
        toml::from_str(&std::fs::read_to_string(eval.join("people.toml")).context("people.toml")?)?;
    let names: HashMap<String, String> = dir
        .all_entries()
        .await?
        .into_iter()
        .map(|e| (e.service.id.clone(), e.service.name.clone()))
        .collect();

    let mut search_scores = vec![];
    for c in &searches.search {
        let near = match &c.postcode {
            Some(pc) => dir.postcode(pc).await?,
            None => None,
        };
        let hits = dir.search(&SearchQuery {
            text: c.query.clone(),
            near,
            age: c.age,
            ..Default::default()
        })?;
        let ranked: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        let mut scored = score(&c.id, &ranked, &c.judgements, &c.must_never);
        if show && split.is_dev(&c.id) {
            scored.read = dir
                .index
                .read_as(&c.query)
                .map(|t| format!("read as \"{t}\""));
        }
        scored.notes = hits
            .iter()
            .map(|h| {
                format!(
                    "{:.2} {} {}",
                    h.score,
                    h.distance_m
                        .map_or(String::new(), |d| format!("{:.1} km", d / 1000.0)),
                    h.why.as_deref().unwrap_or("")
                )
            })
            .collect();
        search_scores.push(scored);
    }
    let mut match_scores = vec![];
    for c in &people.person {
        let mut needs = vec![];
        for (code, s) in &c.needs {
            let need =
                Need::from_code(code).with_context(|| format!("{}: unknown need {code}", c.id))?;
            needs.push((need, *s));
        }
        needs.sort_by_key(|n| n.0.code());
        let near = dir.postcode(&c.postcode).await?;
        // As the match page: ten kilometres unless they said, and never short of what is
        // local to them (a villager's market town).
        let reach = near
            .and_then(|at| dir.index.local_reach_m(at))
            .unwrap_or(0.0);
        let profile = MatchProfile {
            needs,
            // As the match page reads them from the assessment's box, one per line.
            interest_words: directory::matching::interests_from_text(&c.interests.join("\n")),
            what_matters: c.what_matters.clone(),
            age: Some(c.age),
            sex: Sex::from_code(&c.sex),
            near,
            max_distance_m: c.max_km.map_or(reach.max(10_000.0), |k| k * 1000.0),
            language: c.language.clone(),
            access: if c.step_free {
                vec![AccessFeature::StepFree]
            } else {
                vec![]
            },
            days: c.days.iter().filter_map(|d| Weekday::parse(d)).collect(),
            free_only: c.free_only,
            limit: 10,
            ..Default::default()
        };
        let found = dir.index.match_services(&profile);
        let ranked: Vec<String> = found.iter().map(|m| m.id.clone()).collect();
        let mut scored = score(&c.id, &ranked, &c.judgements, &c.must_never);
        scored.notes = found
            .iter()
            .map(|m| format!("{:.2} {}", m.score, m.reasons.join("; ")))
            .collect();
        if show && split.is_dev(&c.id) {
            scored.read = Some(dir.index.words_read(&profile).join(", "));
            for (s, g) in &c.judgements {
                if *g >= 2 && !scored.shown.contains(s) {
                    scored
                        .missed
                        .push((s.clone(), dir.index.why_not(&profile, s)));
                }
            }
        }
        match_scores.push(scored);
    }
    if show {
        let people_judged: HashMap<&str, &HashMap<String, u8>> = people
            .person
            .iter()
            .map(|p| (p.id.as_str(), &p.judgements))
            .chain(
                searches
                    .search
                    .iter()
                    .map(|s| (s.id.as_str(), &s.judgements)),
            )
            .collect();
        for (what, cases) in [("search", &search_scores), ("match", &match_scores)] {
            for c in cases.iter().filter(|c| split.is_dev(&c.id)) {
                println!(
                    "{what} {} nDCG@5 {:.2} recall@10 {}",
                    c.id,
                    c.ndcg5,
                    c.recall10.map_or("-".into(), |r| format!("{r:.2}"))
                );
                if let Some(r) = &c.read {
                    println!("    {r}");
                }
                let judged = people_judged.get(c.id.as_str());
                for (k, s) in c.shown.iter().enumerate() {
                    let flag = if c.violations.contains(s) {
                        "  NEVER"
                    } else {
                        ""
                    };
                    let grade = judged.and_then(|j| j.get(s)).copied().unwrap_or(0);
                    println!(
                        "    {:>2}. [{grade}] {}{flag}  {}",
                        k + 1,
                        names.get(s).map_or(s.as_str(), String::as_str),
                        c.notes.get(k).map_or("", String::as_str)
                    );
                }
                for (s, why) in &c.missed {
                    println!(
                        "    missed: {}: {why}",
                        names.get(s).map_or(s.as_str(), String::as_str)
                    );
                }
            }
        }
    }
    println!(
        "Evaluation set {}: {} searches, {} people",
        eval.display(),
        searches.search.len(),
        people.person.len()
    );
    summary("search", &search_scores, split);
    summary("matching", &match_scores, split);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndcg_recall_and_violations_are_computed_as_defined() {
        let judged: HashMap<String, u8> = [("a".into(), 3), ("b".into(), 2), ("c".into(), 1)]
            .into_iter()
            .collect();
        let perfect = score("s01", &["a".into(), "b".into(), "c".into()], &judged, &[]);
        assert!((perfect.ndcg5 - 1.0).abs() < 1e-9);
        assert_eq!(perfect.recall10, Some(1.0));
        let bad = score("s02", &["x".into(), "c".into()], &judged, &["x".into()]);
        assert!(bad.ndcg5 < 0.2, "{}", bad.ndcg5);
        assert_eq!(bad.recall10, Some(0.0));
        assert_eq!(bad.violations, vec!["x".to_string()]);
        let split = Split {
            development_people: 46,
            development_searches: 34,
        };
        assert!(split.is_dev("s01-lonely") && split.is_dev("p46-x"));
        assert!(!split.is_dev("p47-x") && !split.is_dev("s35-x"));
        assert!(!Split::default().is_dev("p01-x"), "no split: all held out");
    }
}
