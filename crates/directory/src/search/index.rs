//! Building and keeping the search index: the tantivy schema, opening the index on disk or
//! in memory, loading and updating services, and the snapshot searches read.

use super::facts::{Reviews, Terms};
use super::Facts;
use crate::Entry;
use domain::Category;
use domain::Code;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub(super) struct Fields {
    pub(super) k1: Field,
    pub(super) k2: Field,
    pub(super) id: Field,
    /// Stemmed ("walking" and "walks" both index as "walk"): word forms match exactly.
    pub(super) name: Field,
    pub(super) body: Field,
    /// Unstemmed copies: misspellings are matched against the words as written.
    pub(super) name_raw: Field,
    pub(super) body_raw: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let raw = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let f = Fields {
        k1: b.add_u64_field("k1", FAST),
        k2: b.add_u64_field("k2", FAST),
        id: b.add_text_field("id", STRING | STORED),
        name: b.add_text_field("name", text.clone()),
        body: b.add_text_field("body", text),
        name_raw: b.add_text_field("name_raw", raw.clone()),
        body_raw: b.add_text_field("body_raw", raw),
    };
    (b.build(), f)
}

pub(super) fn key(id: &str) -> (u64, u64) {
    let n = uuid::Uuid::try_parse(id).map(|u| u.as_u128()).unwrap_or(0);
    ((n >> 64) as u64, n as u64)
}

pub(crate) struct Snapshot {
    generation: i64,
    pub(super) reader: IndexReader,
    pub(crate) facts: Vec<Facts>,
    pub(super) by_key: HashMap<(u64, u64), usize>,
    /// Per concept of the vocabulary: the services classified as it, with strength.
    pub(crate) by_concept: Vec<Vec<(usize, f32)>>,
    /// The towns and villages the directory's venues name.
    pub(crate) places: super::places::Places,
    /// Every located site of an open service with a venue, as (service, latitude,
    /// longitude) in service order: what is local to a place is found from these alone.
    pub(crate) venues: Vec<(usize, f64, f64)>,
    /// Where each service is, in small arrays (see [`Sites`]).
    pub(crate) sites: Sites,
    /// Per language a service lists (lower-cased name or code): the services offered in it.
    pub(crate) by_language: HashMap<String, Vec<usize>>,
    /// The services with a British Sign Language interpreter or signer.
    pub(crate) signed: Vec<usize>,
}

/// Where each service is, kept apart from its facts: matching looks at the distance and
/// reach of thousands of candidates to settle most of them, and reading each one's facts
/// (most of a kilobyte, with its sites on the heap) for that was most of its time.
#[derive(Default)]
pub(crate) struct Sites {
    /// Service `i`'s located sites are `at[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    at: Vec<(f64, f64)>,
    /// Reaches people where they are, with or without a venue ([`Facts::reaches_anywhere`]).
    anywhere: Vec<bool>,
}

impl Sites {
    fn new(facts: &[Facts]) -> Self {
        let mut s = Sites {
            start: Vec::with_capacity(facts.len() + 1),
            at: vec![],
            anywhere: facts.iter().map(Facts::reaches_anywhere).collect(),
        };
        for f in facts {
            s.start.push(s.at.len() as u32);
            s.at.extend(f.points.iter().filter_map(|(_, pt)| *pt));
        }
        s.start.push(s.at.len() as u32);
        s
    }

    /// Metres from `p` to service `i`'s nearest located site ([`Facts::nearest_m`]).
    pub(crate) fn nearest_m(&self, i: usize, p: (f64, f64)) -> Option<f64> {
        let (Some(&a), Some(&b)) = (self.start.get(i), self.start.get(i + 1)) else {
            return None;
        };
        self.at[a as usize..b as usize]
            .iter()
            .map(|pt| domain::directory::distance_m(p, *pt))
            .min_by(|a, b| a.total_cmp(b))
    }

    /// Whether service `i` reaches people where they are, with or without a venue.
    pub(crate) fn anywhere(&self, i: usize) -> bool {
        self.anywhere.get(i).copied().unwrap_or(false)
    }
}

impl Snapshot {
    /// The services offered in a language, by any of its keys (lower-cased name or code),
    /// each once, in service order.
    pub(crate) fn offered_in(&self, keys: &[&str]) -> Vec<usize> {
        let mut out: Vec<usize> = keys
            .iter()
            .flat_map(|k| self.by_language.get(*k).into_iter().flatten().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The services offered in each language they list, and those with a signer.
fn by_language(facts: &[Facts]) -> (HashMap<String, Vec<usize>>, Vec<usize>) {
    let mut by: HashMap<String, Vec<usize>> = HashMap::new();
    let mut signed = vec![];
    for (i, f) in facts.iter().enumerate() {
        for l in &f.languages {
            let list = by.entry(l.clone()).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
        if f.access.contains(&domain::AccessFeature::Bsl) {
            signed.push(i);
        }
    }
    (by, signed)
}

/// The located sites of open services with a venue (not those that reach people by phone,
/// online or at home), in service order.
fn venues(facts: &[Facts]) -> Vec<(usize, f64, f64)> {
    facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.open() && !f.remote())
        .flat_map(|(i, f)| {
            f.points
                .iter()
                .filter_map(move |(_, pt)| pt.map(|p| (i, p.0, p.1)))
        })
        .collect()
}

/// The services classified as each concept.
fn by_concept(facts: &[Facts]) -> Vec<Vec<(usize, f32)>> {
    let mut out = vec![vec![]; crate::vocabulary::Vocabulary::builtin().concepts.len()];
    for (i, f) in facts.iter().enumerate() {
        for t in &f.tags {
            if let Some(list) = out.get_mut(usize::from(t.concept.0)) {
                list.push((i, t.strength));
            }
        }
    }
    out
}

/// The search index for one node.
pub struct SearchIndex {
    pub(super) index: Index,
    pub(super) fields: Fields,
    dir: Option<PathBuf>,
    writer: std::sync::Mutex<Option<IndexWriter>>,
    snap: RwLock<Arc<Snapshot>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index is busy")]
    Poisoned,
}

const GENERATION_FILE: &str = "linkwork-generation";

impl SearchIndex {
    /// Opens the index in `dir` (created if missing), or an in-memory one with `None`.
    /// Returns the index and the directory generation its files were built from (`None`
    /// when unknown: the caller must rebuild).
    pub fn open(dir: Option<&Path>) -> Result<(Self, Option<i64>), SearchError> {
        let (schema, fields) = schema();
        let (index, built) = match dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                let built = std::fs::read_to_string(d.join(GENERATION_FILE))
                    .ok()
                    .and_then(|s| s.trim().parse::<i64>().ok());
                let mmap = tantivy::directory::MmapDirectory::open(d)
                    .map_err(|e| SearchError::Io(std::io::Error::other(e.to_string())))?;
                match Index::open_or_create(mmap, schema.clone()) {
                    Ok(i) => (i, built),
                    Err(e) => {
                        tracing::warn!(error = %e, "search index unreadable; recreating");
                        std::fs::remove_dir_all(d)?;
                        std::fs::create_dir_all(d)?;
                        (Index::create_in_dir(d, schema)?, None)
                    }
                }
            }
            None => (Index::create_in_ram(schema), None),
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let snap = Snapshot {
            generation: -1,
            reader,
            facts: vec![],
            by_key: HashMap::new(),
            by_concept: vec![],
            places: Default::default(),
            venues: vec![],
            sites: Sites::default(),
            by_language: HashMap::new(),
            signed: vec![],
        };
        Ok((
            Self {
                index,
                fields,
                dir: dir.map(Path::to_path_buf),
                writer: std::sync::Mutex::new(None),
                snap: RwLock::new(Arc::new(snap)),
            },
            built,
        ))
    }

    /// The directory generation the live snapshot reflects (-1 before the first load).
    pub fn generation(&self) -> i64 {
        self.snapshot().map(|s| s.generation).unwrap_or(-1)
    }

    pub fn len(&self) -> usize {
        self.snapshot().map(|s| s.facts.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn snapshot(&self) -> Result<Arc<Snapshot>, SearchError> {
        self.snap
            .read()
            .map(|s| Arc::clone(&s))
            .map_err(|_| SearchError::Poisoned)
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        let mut guard = self.writer.lock().map_err(|_| SearchError::Poisoned)?;
        if guard.is_none() {
            *guard = Some(self.index.writer_with_num_threads(1, 50_000_000)?);
        }
        match guard.as_mut() {
            Some(w) => f(w),
            None => Err(SearchError::Poisoned),
        }
    }

    fn document(&self, e: &Entry, facts: &Facts) -> TantivyDocument {
        let s = &e.service;
        let (k1, k2) = key(&s.id);
        let mut body = String::new();
        for part in [
            s.description.as_deref(),
            s.eligibility_description.as_deref(),
            Some(facts.organization.as_str()),
        ]
        .into_iter()
        .flatten()
        {
            body.push_str(part);
            body.push('\n');
        }
        for a in &s.attributes {
            if let Some(t) = &a.taxonomy_term {
                body.push_str(&t.name);
                body.push('\n');
            }
        }
        for c in &facts.categories {
            body.push_str(c.label());
            body.push('\n');
        }
        for sal in &s.service_at_locations {
            if let Some(l) = &sal.location {
                if let Some(n) = &l.name {
                    body.push_str(n);
                    body.push('\n');
                }
                for a in &l.addresses {
                    body.push_str(&a.city);
                    body.push('\n');
                }
            }
        }
        doc!(
            self.fields.k1 => k1,
            self.fields.k2 => k2,
            self.fields.id => s.id.clone(),
            self.fields.name => s.name.clone(),
            self.fields.name_raw => s.name.clone(),
            self.fields.body_raw => body.clone(),
            self.fields.body => body,
        )
    }

    /// Loads facts for every entry; re-indexes the text unless `reuse_files` (the files on
    /// disk already reflect `generation`).
    pub fn load(
        &self,
        entries: &[Entry],
        terms: &Terms,
        reviews: &Reviews,
        generation: i64,
        reuse_files: bool,
    ) -> Result<(), SearchError> {
        let facts: Vec<Facts> = entries
            .iter()
            .map(|e| Facts::from_entry(e, terms, reviews))
            .collect();
        if !reuse_files {
            self.with_writer(|w| {
                w.delete_all_documents()?;
                for (e, f) in entries.iter().zip(&facts) {
                    w.add_document(self.document(e, f))?;
                }
                w.commit()?;
                Ok(())
            })?;
            self.write_generation(generation)?;
        }
        self.swap(facts, generation)
    }

    /// Adds or replaces a few entries (after an edit on this node).
    pub fn upsert(
        &self,
        entries: &[Entry],
        terms: &Terms,
        reviews: &Reviews,
        generation: i64,
    ) -> Result<(), SearchError> {
        let old = self.snapshot()?;
        let mut facts = old.facts.clone();
        let mut by_key = old.by_key.clone();
        self.with_writer(|w| {
            for e in entries {
                let f = Facts::from_entry(e, terms, reviews);
                w.delete_term(Term::from_field_text(self.fields.id, &e.service.id));
                w.add_document(self.document(e, &f))?;
                let k = key(&e.service.id);
                match by_key.get(&k) {
                    Some(&i) => facts[i] = f,
                    None => {
                        by_key.insert(k, facts.len());
                        facts.push(f);
                    }
                }
            }
            w.commit()?;
            Ok(())
        })?;
        self.write_generation(generation)?;
        self.swap(facts, generation)
    }

    fn write_generation(&self, generation: i64) -> Result<(), SearchError> {
        if let Some(d) = &self.dir {
            let tmp = d.join(format!("{GENERATION_FILE}.tmp"));
            std::fs::write(&tmp, generation.to_string())?;
            std::fs::rename(tmp, d.join(GENERATION_FILE))?;
        }
        Ok(())
    }

    fn swap(&self, mut facts: Vec<Facts>, generation: i64) -> Result<(), SearchError> {
        let places = super::places::Places::from_venues(
            facts
                .iter()
                .flat_map(|f| f.towns.iter().map(|(t, at)| (t.as_str(), *at))),
        );
        for f in &mut facts {
            f.set_reach(&places);
        }
        let reader: IndexReader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let by_key = facts
            .iter()
            .enumerate()
            .map(|(i, f)| (key(&f.id), i))
            .collect();
        let (by_language, signed) = by_language(&facts);
        let snap = Arc::new(Snapshot {
            generation,
            reader,
            by_concept: by_concept(&facts),
            venues: venues(&facts),
            sites: Sites::new(&facts),
            by_language,
            signed,
            facts,
            places,
            by_key,
        });
        *self.snap.write().map_err(|_| SearchError::Poisoned)? = snap;
        Ok(())
    }

    /// Runs `f` over the facts of every service in the live snapshot.
    pub(crate) fn with_facts<T>(&self, f: impl FnOnce(&[Facts]) -> T) -> T {
        match self.snapshot() {
            Ok(snap) => f(&snap.facts),
            Err(_) => f(&[]),
        }
    }

    /// A service's first category, without copying its facts (for reports).
    pub fn primary_category(&self, id: &str) -> Option<Category> {
        let snap = self.snapshot().ok()?;
        snap.by_key
            .get(&key(id))
            .and_then(|&i| snap.facts[i].categories.first().copied())
    }

    /// Venues of active services in any of `categories` (for the gaps report).
    pub fn venues_in(&self, categories: &[Category]) -> Vec<(f64, f64)> {
        self.with_facts(|facts| {
            facts
                .iter()
                .filter(|f| !f.retired && f.status == "active")
                .filter(|f| f.categories.iter().any(|c| categories.contains(c)))
                .flat_map(|f| f.points.iter().filter_map(|(_, p)| *p))
                .collect()
        })
    }

    /// Published services by organisation id, each list in name order (for the ORUK
    /// `/organizations` endpoints).
    pub fn published_by_organization(&self) -> HashMap<String, Vec<String>> {
        self.with_facts(|facts| {
            let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
            for f in facts.iter().filter(|f| f.public && !f.retired) {
                if let Some(o) = &f.organization_id {
                    out.entry(o.clone())
                        .or_default()
                        .push((f.name.clone(), f.id.clone()));
                }
            }
            out.into_iter()
                .map(|(o, mut list)| {
                    list.sort();
                    (o, list.into_iter().map(|x| x.1).collect())
                })
                .collect()
        })
    }

    /// How many services (retired ones aside) carry each taxonomy term.
    pub fn services_per_term(&self) -> HashMap<String, usize> {
        self.with_facts(|facts| {
            let mut out: HashMap<String, usize> = HashMap::new();
            for f in facts.iter().filter(|f| !f.retired) {
                for t in &f.term_ids {
                    *out.entry(t.clone()).or_default() += 1;
                }
            }
            out
        })
    }

    /// The facts held for a service.
    pub fn facts(&self, id: &str) -> Option<Facts> {
        let snap = self.snapshot().ok()?;
        snap.by_key.get(&key(id)).map(|&i| snap.facts[i].clone())
    }
}
