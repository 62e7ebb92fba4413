//! Querying the search index: what a search asks for, how results are sorted, and the
//! services found, by full text and filters or by nearest location.

use super::index::{key, Snapshot};
use super::{SearchError, SearchIndex};
use domain::directory::distance_m;
use domain::{AccessFeature, Category, Weekday};
use std::collections::HashMap;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query as TQuery, TermQuery};
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

impl SearchIndex {
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
