//! Directory search: a tantivy full-text index (names, descriptions, taxonomy terms,
//! organisation) plus the facts every filter needs, held in memory. The index lives on
//! disk beside a note of the directory generation it was built from, so a restart reuses
//! it when nothing changed and rebuilds it when it is missing or stale.

use crate::Entry;
use domain::directory::{distance_m, parse_time_of_day};
use domain::{AccessFeature, Category, Code, ReferralMode, ServiceCapacity, Weekday};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query as TQuery, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

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
    /// Also show inactive and defunct services (the ORUK feed does; staff search does not).
    pub include_inactive: bool,
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
}

/// The facts about a service that filters and result lists need.
#[derive(Debug, Clone)]
pub struct Facts {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub public: bool,
    pub retired: bool,
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
    /// (service-at-location id, latitude, longitude) for located sites.
    pub points: Vec<(String, Option<(f64, f64)>)>,
    pub capacity: ServiceCapacity,
    pub referral_mode: ReferralMode,
}

impl Facts {
    pub fn from_entry(e: &Entry, term_taxonomies: &HashMap<String, String>) -> Self {
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
                        .and_then(|id| term_taxonomies.get(id).cloned())
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
        if languages.is_empty() {
            languages.push("english".into());
            languages.push("en".into());
        }
        let points = s
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
        Facts {
            id: s.id.clone(),
            name: s.name.clone(),
            organization: s
                .organization
                .as_ref()
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            public: e.listing.public,
            retired: e.listing.is_retired(),
            status: s.status.clone(),
            min_age: s.minimum_age,
            max_age: s.maximum_age,
            term_ids,
            taxonomy_ids,
            categories,
            sessions,
            free,
            access: e.listing.access_features.clone(),
            languages,
            points,
            capacity: e.listing.capacity,
            referral_mode: e.listing.referral_mode,
        }
    }

    fn passes(&self, q: &SearchQuery) -> bool {
        if self.retired || (q.public_only && !self.public) {
            return false;
        }
        if !q.include_inactive && !matches!(self.status.as_str(), "active" | "temporarily closed") {
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
        if let Some(age) = q.age {
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

    /// The nearest located site to `p`: (service-at-location id, metres).
    fn nearest(&self, p: (f64, f64)) -> Option<(String, f64)> {
        self.points
            .iter()
            .filter_map(|(id, pt)| pt.map(|pt| (id.clone(), distance_m(p, pt))))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }
}

struct Fields {
    k1: Field,
    k2: Field,
    id: Field,
    /// Stemmed ("walking" and "walks" both index as "walk"): word forms match exactly.
    name: Field,
    body: Field,
    /// Unstemmed copies: misspellings are matched against the words as written.
    name_raw: Field,
    body_raw: Field,
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

fn key(id: &str) -> (u64, u64) {
    let n = uuid::Uuid::try_parse(id).map(|u| u.as_u128()).unwrap_or(0);
    ((n >> 64) as u64, n as u64)
}

struct Snapshot {
    generation: i64,
    reader: IndexReader,
    facts: Vec<Facts>,
    by_key: HashMap<(u64, u64), usize>,
}

/// The search index for one node.
pub struct SearchIndex {
    index: Index,
    fields: Fields,
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

    fn snapshot(&self) -> Result<Arc<Snapshot>, SearchError> {
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
        term_taxonomies: &HashMap<String, String>,
        generation: i64,
        reuse_files: bool,
    ) -> Result<(), SearchError> {
        let facts: Vec<Facts> = entries
            .iter()
            .map(|e| Facts::from_entry(e, term_taxonomies))
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
        term_taxonomies: &HashMap<String, String>,
        generation: i64,
    ) -> Result<(), SearchError> {
        let old = self.snapshot()?;
        let mut facts = old.facts.clone();
        let mut by_key = old.by_key.clone();
        self.with_writer(|w| {
            for e in entries {
                let f = Facts::from_entry(e, term_taxonomies);
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

    fn swap(&self, facts: Vec<Facts>, generation: i64) -> Result<(), SearchError> {
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
        let snap = Arc::new(Snapshot {
            generation,
            reader,
            facts,
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

    /// The facts held for a service.
    pub fn facts(&self, id: &str) -> Option<Facts> {
        let snap = self.snapshot().ok()?;
        snap.by_key.get(&key(id)).map(|&i| snap.facts[i].clone())
    }

    /// Every service matching the query, best first.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<Hit>, SearchError> {
        let snap = self.snapshot()?;
        let text_scores = self.text_scores(&snap, &q.text)?;
        let mut hits = vec![];
        let mut consider = |i: usize, score: f32| {
            let f = &snap.facts[i];
            if !f.passes(q) {
                return;
            }
            let (location_link_id, distance) = match q.near.and_then(|p| f.nearest(p)) {
                Some((id, d)) => (Some(id), Some(d)),
                None => (f.points.first().map(|p| p.0.clone()), None),
            };
            if let Some(limit) = q.within_m {
                if q.near.is_some() && !distance.is_some_and(|d| d <= limit) {
                    return;
                }
            }
            hits.push(Hit {
                id: f.id.clone(),
                score,
                distance_m: distance,
                location_link_id,
            });
        };
        match text_scores {
            Some(scores) => {
                for (i, s) in scores {
                    consider(i, s);
                }
            }
            None => {
                for i in 0..snap.facts.len() {
                    consider(i, 0.0);
                }
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
        match (q.sort, q.text.trim().is_empty()) {
            (Sort::Distance, _) | (Sort::Relevance, true) if q.near.is_some() => {
                hits.sort_by(|a, b| by_distance(a, b).then_with(|| a.id.cmp(&b.id)))
            }
            (Sort::Relevance, false) => hits.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then_with(|| by_distance(a, b))
                    .then_with(|| a.id.cmp(&b.id))
            }),
            _ => hits.sort_by_cached_key(|h| (name(h), h.id.clone())),
        }
        Ok(hits)
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
        if q.near.is_some() {
            out.sort_by(|a, b| {
                a.2.unwrap_or(f64::INFINITY)
                    .total_cmp(&b.2.unwrap_or(f64::INFINITY))
                    .then_with(|| a.0.cmp(&b.0))
            });
        }
        Ok(out)
    }

    /// Scores of the services whose text matches, or `None` for an empty query. Words may
    /// be misspelt (fuzzy matching) or in another form (stemming: "walks" finds "walking").
    fn text_scores(
        &self,
        snap: &Snapshot,
        text: &str,
    ) -> Result<Option<Vec<(usize, f32)>>, SearchError> {
        const STOP: &[&str] = &[
            "a", "an", "and", "the", "for", "of", "in", "on", "at", "to", "with", "near", "or",
        ];
        let mut stem = self.index.tokenizer_for_field(self.fields.name)?;
        let lowered = text.to_lowercase();
        let words: Vec<&str> = lowered
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !STOP.contains(w))
            .take(12)
            .collect();
        if words.is_empty() {
            return Ok(None);
        }
        let mut per_token: Vec<(Occur, Box<dyn TQuery>)> = vec![];
        for w in &words {
            let mut stemmed = w.to_string();
            let mut stream = stem.token_stream(w);
            if let Some(t) = stream.next() {
                stemmed = t.text.clone();
            }
            let len = w.chars().count();
            let distance = match len {
                0..=3 => 0,
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
        let n = per_token.len();
        let required = (n * 2).div_ceil(3).max(1);
        let query = BooleanQuery::with_minimum_required_clauses(per_token, required);
        let searcher = snap.reader.searcher();
        let limit = snap.facts.len().max(1);
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
