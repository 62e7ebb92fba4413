//! Misspelt words in what people type: a search ("demenita carer") or a person's own words
//! ("I feel so lonley"). A word is read as a vocabulary word it is one slip away from only
//! when it is not an English word at all, so real words a directory lacks are never turned
//! into others ("rental" is not read as "mental", "weed" not as "need").
//!
//! English words are told from misspellings by a vendored word list (SCOWL, sizes 10–60;
//! `data/english-words.LICENCE`), the vocabulary's own words and, in search, the words of
//! the directory itself.

use crate::vocabulary::Vocabulary;
use std::collections::HashSet;
use std::sync::OnceLock;

static ENGLISH_WORDS: &str = include_str!("../data/english-words.txt");

fn english() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| ENGLISH_WORDS.lines().collect())
}

/// Whether a lower-cased word (apostrophes left out) is an English word, a plural or
/// possessive of one ("carers", "mums"), or one of the vocabulary's words.
pub fn is_known(v: &Vocabulary, word: &str) -> bool {
    let known = |w: &str| english().contains(w) || v.has_word(w) || CONTRACTIONS.contains(&w);
    known(word) || word.strip_suffix('s').is_some_and(known)
}

/// Contractions as typed without their apostrophe ("shouldnt", "youre"): words, not slips
/// for "shoulder" and "your".
const CONTRACTIONS: &[&str] = &[
    "aint", "arent", "cant", "couldnt", "couldve", "didnt", "doesnt", "dont", "hadnt", "hasnt",
    "havent", "hed", "hell", "hes", "id", "ill", "im", "isnt", "itd", "itll", "ive", "lets",
    "mightnt", "mightve", "mustnt", "mustve", "neednt", "shant", "shed", "shell", "shes",
    "shouldnt", "shouldve", "thatd", "thatll", "thats", "thered", "therell", "theres", "theyd",
    "theyll", "theyre", "theyve", "wasnt", "wed", "weve", "werent", "whatd", "whatll", "whats",
    "whens", "whered", "wheres", "whod", "wholl", "whos", "whyd", "wont", "wouldnt", "wouldve",
    "yall", "youd", "youll", "youre", "youve",
];

/// The fewest single-letter edits (insert, delete, change, or swap two neighbours) that
/// turn `a` into `b`, when at most `max`.
pub(crate) fn edits(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let mut row_min = usize::MAX;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
    }
    let n = d[a.len() * w + b.len()];
    (n <= max).then_some(n)
}

/// At most this many unknown words of one text are looked up as possible misspellings.
const MOST_SCANS: usize = 20;

/// How many slips a word of this length may have and still be read as another: none
/// under five letters (too many short words are one letter apart), one up to seven, two
/// from eight.
fn allowed(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

impl Vocabulary {
    /// Whether a word could be a misspelling: long enough, letters only, and no known word.
    fn may_be_misspelt(&self, word: &str, also_known: &dyn Fn(&str) -> bool) -> bool {
        allowed(word.chars().count()) > 0
            && word.chars().all(|c| c.is_alphabetic())
            && !is_known(self, word)
            && !also_known(word)
    }

    /// The one vocabulary word nearest a misspelt word, if one is nearer than the rest (a
    /// tie that the first letter does not settle is left alone, unless the tied words are
    /// read as the same concepts).
    fn nearest(&self, word: &str) -> Option<&str> {
        let len = word.chars().count();
        let max = allowed(len);
        let mut best: Vec<(usize, &str)> = vec![];
        for w in self.words() {
            // Most words are too long or short to be near: skip them before counting.
            if word.is_ascii() && w.is_ascii() && w.len().abs_diff(word.len()) > max {
                continue;
            }
            if let Some(n) = edits(word, w, max) {
                match best.first() {
                    Some((b, _)) if n > *b => {}
                    Some((b, _)) if n == *b => best.push((n, w)),
                    _ => best = vec![(n, w)],
                }
            }
        }
        best.sort_unstable();
        best.dedup();
        if best.len() > 1 {
            let first = word.chars().next();
            best.retain(|(_, w)| w.chars().next() == first);
        }
        // Still a tie, between words that are read as the same concepts ("diabetis":
        // "diabetes", "diabetic", "diabetics"): any of them reads the same. Between words
        // read as different ones ("carrers": "carers", "careers"), none.
        if best.len() > 1 {
            let read = |w: &str| {
                let mut c: Vec<u16> = self.find_said(w).iter().map(|f| f.concept.0).collect();
                c.sort_unstable();
                c.dedup();
                c
            };
            let first = read(best[0].1);
            if !first.is_empty() && best[1..].iter().all(|(_, w)| read(w) == first) {
                best.truncate(1);
            }
        }
        match best.as_slice() {
            [(_, w)] => Some(w),
            _ => None,
        }
    }

    /// A typed text with its misspelt words read as the vocabulary's, or `None` when every
    /// word stands as typed.
    pub fn respell(&self, text: &str, also_known: &dyn Fn(&str) -> bool) -> Option<String> {
        let mut out = String::with_capacity(text.len());
        let mut changed = false;
        let mut token = String::new();
        // Each unknown word is compared with every vocabulary word: a long text of unknown
        // words (pasted, or hostile) stops being read for misspellings after this many.
        let mut scans_left = MOST_SCANS;
        let mut first = true;
        let mut flush = |token: &mut String, out: &mut String, first: &mut bool| {
            if token.is_empty() {
                return;
            }
            let key: String = token.chars().flat_map(char::to_lowercase).collect();
            // Not a word with an apostrophe ("shouldn't", "Eilidh's"), nor a capitalised
            // word after the first (a name: "Eilidh", "Woking").
            let name = !*first && token.chars().next().is_some_and(char::is_uppercase);
            *first = false;
            let corrected = if scans_left > 0
                && !name
                && !token.contains(['\'', '\u{2019}', '\u{2018}'])
                && self.may_be_misspelt(&key, also_known)
            {
                scans_left -= 1;
                self.nearest(&key)
            } else {
                None
            };
            match corrected {
                Some(w) => {
                    out.push_str(w);
                    changed = true;
                }
                None => out.push_str(token),
            }
            token.clear();
        };
        for c in text.chars() {
            if c.is_alphanumeric() || (!token.is_empty() && matches!(c, '\'' | '\u{2019}')) {
                token.push(c);
            } else {
                flush(&mut token, &mut out, &mut first);
                out.push(c);
                // A new sentence may start with a capital.
                if matches!(c, '.' | '!' | '?' | '\n') {
                    first = true;
                }
            }
        }
        flush(&mut token, &mut out, &mut first);
        changed.then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn edits_count_slips_and_swaps() {
        assert_eq!(edits("demenita", "dementia", 2), Some(1));
        assert_eq!(edits("lonley", "lonely", 1), Some(1));
        assert_eq!(edits("exersise", "exercise", 2), Some(1));
        assert_eq!(edits("kitten", "sitting", 3), Some(3));
        assert_eq!(edits("kitten", "sitting", 2), None);
        assert_eq!(edits("same", "same", 0), Some(0));
    }

    #[test]
    fn misspelt_words_are_read_as_the_vocabularys_and_real_words_stand() {
        let v = Vocabulary::builtin();
        assert_eq!(
            v.respell("demenita carer", &none).as_deref(),
            Some("dementia carer")
        );
        assert_eq!(
            v.respell("I'm so lonley", &none).as_deref(),
            Some("I'm so lonely")
        );
        // One slip from words read as the same concept: any of them.
        let diabetes = v
            .respell("keeping fit with diabetis", &none)
            .unwrap_or_default();
        assert!(
            diabetes.starts_with("keeping fit with diabet"),
            "{diabetes}"
        );
        // From words read as different ones ("carers", "careers"): left alone.
        assert_eq!(v.respell("young carrers", &none), None);
        // Real English words a directory may lack are never turned into others.
        for real in [
            "rental flat",
            "window cleaning",
            "tried everything",
            "weed",
            "my carer's allowance",
        ] {
            assert_eq!(v.respell(real, &none), None, "{real}");
        }
        // Contractions, with or without their apostrophe, and names stand.
        for words in [
            "I shouldn't be lonley",
            "shouldnt",
            "you're",
            "youre",
            "aren't",
            "my friend Eilidh",
            "we moved from Woking",
        ] {
            let read = v.respell(words, &none).unwrap_or(words.to_string());
            assert!(
                !read.contains("shoulder")
                    && !read.contains("your ")
                    && !read.ends_with("your")
                    && !read.contains("agent")
                    && !read.contains("ceilidh")
                    && !read.contains("working"),
                "{words} read as {read}"
            );
        }
        assert_eq!(
            v.respell("I shouldn't be lonley", &none).as_deref(),
            Some("I shouldn't be lonely")
        );
        // A capital at the start of a sentence is not a name.
        assert_eq!(v.respell("Demenita", &none).as_deref(), Some("dementia"));
        // The directory's own words (a group's name) stand too.
        assert_eq!(v.respell("zumbba", &|w| w == "zumbba"), None);
        // Short words and numbers are left alone.
        assert_eq!(v.respell("gum 5k", &none), None);
        // A long text of unknown words is read only so far: each costs a pass over the
        // vocabulary.
        let long = v
            .respell(&"demenita ".repeat(MOST_SCANS + 5), &none)
            .unwrap();
        assert_eq!(long.matches("dementia").count(), MOST_SCANS);
        assert_eq!(long.matches("demenita").count(), 5);
    }
}
