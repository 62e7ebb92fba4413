//! `linkwork bench reading`: how well the vocabulary reads people's own words. Each phrase
//! of a set (`crates/directory/eval-reading/phrases.toml`, judged by hand) is read as
//! matching reads it (a person's account of what matters, or one interest) or as search
//! reads it, and the concepts read are compared with those the phrase was judged to be
//! about (`expect`) and those it must not be read as (`never`, traps such as "climbing
//! the walls").
//!
//! It prints, for each kind of phrase, the share of expected concepts read, the share of
//! phrases read wholly right, and the concepts read that the phrase must not be: for the
//! development phrases (odd-numbered ids, which `--show` prints when read wrongly) and the
//! held-out ones (even-numbered ids, never printed), so that the vocabulary can be worked
//! on without tuning it to the phrases it is measured on.

use anyhow::{bail, Context, Result};
use directory::{Directory, MatchProfile};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Phrases {
    phrase: Vec<Phrase>,
}

#[derive(Deserialize)]
struct Phrase {
    id: String,
    kind: String,
    text: String,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    never: Vec<String>,
}

/// One kind's tally.
#[derive(Default)]
struct Tally {
    phrases: usize,
    expected: usize,
    read: usize,
    whole: usize,
    never: usize,
}

/// Odd-numbered phrases are for development; even-numbered ones are held out.
fn is_dev(id: &str) -> bool {
    id.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse::<u32>()
        .is_ok_and(|n| n % 2 == 1)
}

pub async fn run(phrases: &Path, show: bool) -> Result<()> {
    let text = std::fs::read_to_string(phrases).with_context(|| {
        format!(
            "reading {} (run from the project folder or pass --phrases)",
            phrases.display()
        )
    })?;
    let set: Phrases = toml::from_str(&text)
        .with_context(|| format!("{} is not a phrase set", phrases.display()))?;
    let v = directory::vocabulary::Vocabulary::builtin();
    for p in &set.phrase {
        for id in p.expect.iter().chain(&p.never) {
            if v.by_id(id).is_none() {
                bail!("{}: no concept is called {id}", p.id);
            }
        }
        if !matches!(p.kind.as_str(), "matters" | "interest" | "search") {
            bail!(
                "{}: kind is \"{}\"; it must be matters, interest or search",
                p.id,
                p.kind
            );
        }
    }
    // An empty directory: misspellings are read against the vocabulary and English only.
    let tmp = tempfile::tempdir()?;
    let store =
        crate::open_storage(&crate::config::sqlite_url(&tmp.path().join("read.db")), 1).await?;
    let dir = Directory::open(store, Some(&tmp.path().join("index"))).await?;
    let mut tallies: Vec<(&str, bool, Tally)> = ["matters", "interest", "search"]
        .into_iter()
        .flat_map(|k| [(k, true, Tally::default()), (k, false, Tally::default())])
        .collect();
    for p in &set.phrase {
        let read: Vec<(String, String)> = match p.kind.as_str() {
            "search" => dir.index.concepts_read(&p.text),
            "interest" => dir.index.own_concepts_read(&MatchProfile {
                interest_words: vec![p.text.clone()],
                ..Default::default()
            }),
            _ => dir.index.own_concepts_read(&MatchProfile {
                what_matters: p.text.clone(),
                ..Default::default()
            }),
        };
        // A narrower kind read is its broader concept read too ("lost my lad to suicide":
        // bereaved by suicide, so bereaved).
        let ids: Vec<&str> = read
            .iter()
            .flat_map(|r| {
                let broader = v
                    .by_id(&r.0)
                    .and_then(|c| v.concept(c).within)
                    .map(|b| v.concept(b).id.as_str());
                std::iter::once(r.0.as_str()).chain(broader)
            })
            .collect();
        let missed: Vec<&String> = p
            .expect
            .iter()
            .filter(|e| !ids.contains(&e.as_str()))
            .collect();
        let mut wrong: Vec<&(String, String)> =
            read.iter().filter(|r| p.never.contains(&r.0)).collect();
        wrong.dedup_by(|a, b| a.0 == b.0);
        let dev = is_dev(&p.id);
        if let Some((_, _, t)) = tallies
            .iter_mut()
            .find(|(k, d, _)| *k == p.kind && *d == dev)
        {
            t.phrases += 1;
            t.expected += p.expect.len();
            t.read += p.expect.len() - missed.len();
            t.whole += usize::from(missed.is_empty() && wrong.is_empty());
            t.never += wrong.len();
        }
        if show && dev && (!missed.is_empty() || !wrong.is_empty()) {
            println!("{} [{}] {}", p.id, p.kind, p.text);
            let mut seen: Vec<String> = read.iter().map(|(c, w)| format!("{c} \"{w}\"")).collect();
            seen.dedup();
            println!("    read: {}", seen.join(", "));
            if !missed.is_empty() {
                let m: Vec<&str> = missed.iter().map(|s| s.as_str()).collect();
                println!("    missed: {}", m.join(", "));
            }
            for (c, w) in wrong {
                println!("    NEVER: {c} \"{w}\"");
            }
        }
    }
    println!(
        "Phrase set {}: {} phrases",
        phrases.display(),
        set.phrase.len()
    );
    for (kind, dev, t) in &tallies {
        if t.phrases == 0 {
            continue;
        }
        let half = if *dev { "development" } else { "held out" };
        println!(
            "  {kind:<9} {half:<12} phrases {:>3}   expected concepts read {:.3}   phrases read wholly right {:.3}   read as a never {:>3}",
            t.phrases,
            t.read as f64 / t.expected.max(1) as f64,
            t.whole as f64 / t.phrases as f64,
            t.never
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn odd_phrases_are_for_development_and_even_ones_held_out() {
        assert!(super::is_dev("r001"));
        assert!(super::is_dev("r227"));
        assert!(!super::is_dev("r002"));
        assert!(!super::is_dev("r228"));
        assert!(!super::is_dev("nonsense"));
    }
}
