//! The community directory: community groups and services in the Open Referral UK 3.0
//! shape, imported from ORUK feeds and spreadsheets, kept current by managers and VCSE
//! partners, searched with tantivy and published as an ORUK feed.
// Without the search feature (the fuzz targets) the service glue is compiled out.
#![cfg_attr(not(feature = "search"), allow(unused_imports, dead_code))]

#[cfg(feature = "search")]
pub mod classify;
pub mod csv_import;
#[cfg(feature = "search")]
pub mod eligibility;
pub mod export;
pub mod import;
pub mod listing;
#[cfg(feature = "search")]
pub mod matching;
pub mod oruk;
#[cfg(feature = "search")]
pub mod search;
#[cfg(feature = "search")]
pub mod spelling;
pub mod validate;
#[cfg(feature = "search")]
pub mod vocabulary;

pub use import::{parse_json, Parsed};
pub use listing::Listing;
#[cfg(feature = "search")]
pub use matching::{Match, MatchProfile};
#[cfg(feature = "search")]
pub use search::{Hit, SearchIndex, SearchQuery, Sort};
pub use validate::Problem;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Category, Code, CATEGORY_TAXONOMY_ID};
use oruk::{Attribute, Organization, Service, Taxonomy, TaxonomyTerm};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use storage::{Actor, DirServiceRecord, ImportCounts, Storage, StorageError};

/// A service as Linkwork holds it: the ORUK record (with its organisation) and Linkwork's
/// own listing facts.
#[derive(Debug, Clone)]
pub struct Entry {
    pub service: Service,
    pub listing: Listing,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// The partner organisation whose users may edit this service.
    pub partner_org_id: Option<i64>,
}

impl Entry {
    /// A new, empty service with fresh ids.
    pub fn new(name: &str) -> Self {
        Entry {
            service: Service {
                id: new_id(),
                name: name.into(),
                status: "active".into(),
                ..Default::default()
            },
            listing: Listing::default(),
            version: 0,
            updated_at: storage::now(),
            partner_org_id: None,
        }
    }

    /// The Linkwork activity categories the service is tagged with.
    pub fn categories(&self) -> Vec<Category> {
        self.service
            .term_ids()
            .filter_map(Category::from_term_id)
            .collect()
    }

    /// Replaces the Linkwork category tags, keeping other taxonomies' attributes.
    pub fn set_categories(&mut self, cats: &[Category]) {
        let sid = self.service.id.clone();
        self.service.attributes.retain(|a| {
            let in_taxonomy = a
                .taxonomy_term
                .as_ref()
                .and_then(|t| t.taxonomy_id.as_deref())
                == Some(CATEGORY_TAXONOMY_ID);
            let is_category = a
                .taxonomy_term_id
                .as_deref()
                .is_some_and(|t| Category::from_term_id(t).is_some());
            !(in_taxonomy || is_category)
        });
        for c in cats {
            let term = category_term(*c);
            self.service.attributes.push(Attribute {
                id: validate::derived_id(&[&sid, "category", c.code()]),
                link_id: None,
                taxonomy_term_id: Some(term.id.clone()),
                link_type: Some("service".into()),
                taxonomy_term: Some(term),
            });
        }
    }

    fn from_record(r: DirServiceRecord, org: Option<(&Organization, Option<i64>)>) -> Self {
        let mut service: Service = serde_json::from_str(&r.doc).unwrap_or_else(|e| {
            tracing::error!(id = %r.id, error = %e, "stored service document unreadable");
            Service {
                id: r.id.clone(),
                name: r.name.clone(),
                status: r.status.clone(),
                ..Default::default()
            }
        });
        let listing: Listing = serde_json::from_str(&r.listing).unwrap_or_default();
        let partner_org_id = org.and_then(|o| o.1);
        service.organization = org.map(|o| o.0.clone());
        Entry {
            service,
            listing,
            version: r.version,
            updated_at: r.updated_at,
            partner_org_id,
        }
    }
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The Linkwork activity-category term for a category.
pub fn category_term(c: Category) -> TaxonomyTerm {
    TaxonomyTerm {
        id: c.term_id(),
        name: c.label().into(),
        description: format!("Linkwork activity category: {}", c.label()),
        taxonomy: Some("Linkwork activity categories".into()),
        taxonomy_id: Some(CATEGORY_TAXONOMY_ID.into()),
        term: Some(c.code().into()),
        ..Default::default()
    }
}

/// The Linkwork activity-category taxonomy with all its terms.
pub fn category_taxonomy() -> Taxonomy {
    Taxonomy {
        id: CATEGORY_TAXONOMY_ID.into(),
        name: "Linkwork activity categories".into(),
        description: "What people are connected to by social prescribing link workers".into(),
        version: Some("1".into()),
        taxonomy_terms: Category::ALL.iter().map(|c| category_term(*c)).collect(),
        uri: None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[cfg(feature = "search")]
    #[error(transparent)]
    Search(#[from] search::SearchError),
    #[error("the service is not valid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
}

pub type Result<T, E = DirectoryError> = std::result::Result<T, E>;

/// The directory of one node: storage plus this node's search index.
#[cfg(feature = "search")]
pub struct Directory {
    store: Arc<dyn Storage>,
    pub index: SearchIndex,
    rebuild: tokio::sync::Mutex<()>,
}

#[cfg(feature = "search")]
impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("index", &self.index)
            .finish()
    }
}

/// Organisations by id, with their partner link.
#[cfg(feature = "search")]
type Orgs = HashMap<String, (Organization, Option<i64>)>;

#[cfg(feature = "search")]
impl Directory {
    /// Opens the directory and makes the search index current: reuses index files built
    /// from the current directory generation, rebuilds them otherwise.
    pub async fn open(store: Arc<dyn Storage>, index_dir: Option<&Path>) -> Result<Self> {
        let (index, built) = SearchIndex::open(index_dir)?;
        let dir = Directory {
            store,
            index,
            rebuild: tokio::sync::Mutex::new(()),
        };
        dir.ensure_category_taxonomy().await?;
        let generation = dir.store.directory_generation().await?;
        let started = std::time::Instant::now();
        let reuse = built == Some(generation);
        dir.reload(generation, reuse).await?;
        tracing::info!(
            services = dir.index.len(),
            generation,
            rebuilt = !reuse,
            ms = started.elapsed().as_millis() as u64,
            "directory search index ready"
        );
        Ok(dir)
    }

    pub fn store(&self) -> &Arc<dyn Storage> {
        &self.store
    }

    async fn ensure_category_taxonomy(&self) -> Result<()> {
        let have = self.store.dir_taxonomies().await?;
        if have.iter().any(|t| t.id == CATEGORY_TAXONOMY_ID) {
            return Ok(());
        }
        let parsed = Parsed {
            taxonomies: vec![category_taxonomy()],
            terms: category_taxonomy().taxonomy_terms,
            ..Default::default()
        };
        let batch = import::to_batch(&parsed, "Linkwork activity categories", &Listing::default());
        self.store
            .import_directory(&batch, &Actor::system("linkwork"))
            .await?;
        Ok(())
    }

    async fn orgs(&self) -> Result<Orgs> {
        Ok(self
            .store
            .dir_organizations()
            .await?
            .into_iter()
            .filter_map(|o| {
                let doc: Organization = serde_json::from_str(&o.doc).ok()?;
                Some((o.id, (doc, o.partner_org_id)))
            })
            .collect())
    }

    /// Every taxonomy term's taxonomy, name and mapped concepts (for services that carry
    /// only term ids, and for classification).
    async fn term_taxonomies(&self) -> Result<search::Terms> {
        let v = vocabulary::Vocabulary::builtin();
        let mapped: HashMap<String, Vec<vocabulary::ConceptId>> = self
            .store
            .dir_term_concepts()
            .await?
            .into_iter()
            .map(|(term, concepts)| {
                let ids = concepts
                    .split(',')
                    .filter_map(|c| v.by_id(c.trim()))
                    .collect();
                (term, ids)
            })
            .collect();
        Ok(self
            .store
            .dir_terms()
            .await?
            .into_iter()
            .filter_map(|t| {
                let name = serde_json::from_str::<TaxonomyTerm>(&t.doc)
                    .map(|d| d.name)
                    .unwrap_or_default();
                let concepts = mapped.get(&t.id).cloned();
                Some((
                    t.id,
                    search::TermInfo {
                        taxonomy_id: t.parent_id?,
                        name,
                        concepts,
                    },
                ))
            })
            .collect())
    }

    /// Staff reviews of listings' concepts (unknown concept ids, from an older vocabulary,
    /// are skipped).
    async fn reviews(&self) -> Result<search::Reviews> {
        let v = vocabulary::Vocabulary::builtin();
        let mut out = search::Reviews::new();
        for (service, concept, verdict) in self.store.dir_service_concepts().await? {
            if let Some(c) = v.by_id(&concept) {
                out.entry(service)
                    .or_default()
                    .push((c, verdict == "confirmed"));
            }
        }
        Ok(out)
    }

    /// Confirms (`Some(true)`) or rejects (`Some(false)`) a concept for one listing, or
    /// makes it a suggestion again (`None`); then reclassifies.
    pub async fn review_concept(
        &self,
        service_id: &str,
        concept: &str,
        verdict: Option<bool>,
        actor: &Actor,
    ) -> Result<()> {
        if vocabulary::Vocabulary::builtin().by_id(concept).is_none() {
            return Err(StorageError::Rule(format!("unknown concept '{concept}'")).into());
        }
        let verdict = verdict.map(|c| if c { "confirmed" } else { "rejected" });
        self.store
            .set_dir_service_concept(service_id, concept, verdict, actor)
            .await?;
        self.refresh().await?;
        Ok(())
    }

    /// Maps a taxonomy term to vocabulary concepts for the whole directory (`None` goes
    /// back to reading its name), then reclassifies.
    pub async fn map_term(
        &self,
        term_id: &str,
        concepts: Option<&[String]>,
        actor: &Actor,
    ) -> Result<()> {
        let joined = concepts.map(|c| c.join(","));
        self.store
            .set_dir_term_concepts(term_id, joined.as_deref(), actor)
            .await?;
        self.refresh().await?;
        Ok(())
    }

    fn entry_of(r: DirServiceRecord, orgs: &Orgs) -> Entry {
        let org = r
            .organization_id
            .as_ref()
            .and_then(|id| orgs.get(id))
            .map(|(o, p)| (o, *p));
        Entry::from_record(r, org)
    }

    /// Every stored service, retired ones included.
    pub async fn all_entries(&self) -> Result<Vec<Entry>> {
        let orgs = self.orgs().await?;
        let mut out = vec![];
        let mut after: Option<String> = None;
        loop {
            let page = self.store.dir_services_page(after.as_deref(), 1000).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            out.extend(page.into_iter().map(|r| Self::entry_of(r, &orgs)));
        }
        Ok(out)
    }

    async fn reload(&self, generation: i64, reuse_files: bool) -> Result<()> {
        let entries = self.all_entries().await?;
        let terms = self.term_taxonomies().await?;
        let reviews = self.reviews().await?;
        self.index
            .load(&entries, &terms, &reviews, generation, reuse_files)?;
        Ok(())
    }

    /// Rebuilds the index if the directory changed since it was built (on this node or
    /// another). Cheap when nothing changed.
    pub async fn refresh(&self) -> Result<bool> {
        let generation = self.store.directory_generation().await?;
        if generation == self.index.generation() {
            return Ok(false);
        }
        let _guard = self.rebuild.lock().await;
        let generation = self.store.directory_generation().await?;
        if generation == self.index.generation() {
            return Ok(false);
        }
        self.reload(generation, false).await?;
        Ok(true)
    }

    pub async fn entry(&self, id: &str) -> Result<Option<Entry>> {
        let Some(r) = self.store.dir_service(id).await? else {
            return Ok(None);
        };
        let org = match &r.organization_id {
            Some(oid) => self.store.dir_organization(oid).await?,
            None => None,
        };
        let org = org.and_then(|o| {
            serde_json::from_str::<Organization>(&o.doc)
                .ok()
                .map(|d| (d, o.partner_org_id))
        });
        Ok(Some(Entry::from_record(
            r,
            org.as_ref().map(|(o, p)| (o, *p)),
        )))
    }

    /// The entries with these ids, in the order asked (missing ones left out).
    pub async fn entries(&self, ids: &[String]) -> Result<Vec<Entry>> {
        let records = self.store.dir_services(ids).await?;
        let mut org_ids: Vec<String> = records
            .iter()
            .filter_map(|r| r.organization_id.clone())
            .collect();
        org_ids.sort_unstable();
        org_ids.dedup();
        let mut orgs = Orgs::new();
        for o in self.store.dir_organizations_in(&org_ids).await? {
            if let Ok(d) = serde_json::from_str::<Organization>(&o.doc) {
                orgs.insert(o.id, (d, o.partner_org_id));
            }
        }
        let mut by_id: HashMap<String, Entry> = records
            .into_iter()
            .map(|r| (r.id.clone(), Self::entry_of(r, &orgs)))
            .collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Stores checked records from a feed in one transaction and brings the index up to
    /// date. New services get `listing`; existing ones keep theirs.
    pub async fn import(
        &self,
        parsed: &Parsed,
        source: &str,
        listing: &Listing,
        actor: &Actor,
    ) -> Result<ImportCounts> {
        let mut merged;
        let parsed = if parsed.summaries.is_empty() {
            parsed
        } else {
            merged = Parsed {
                services: parsed.services.clone(),
                organizations: parsed.organizations.clone(),
                taxonomies: parsed.taxonomies.clone(),
                terms: parsed.terms.clone(),
                ..Default::default()
            };
            for s in merged.services.iter_mut() {
                if parsed.summaries.contains(&s.id) {
                    if let Some(old) = self.entry(&s.id).await? {
                        *s = import::merge_summary(old.service, s.clone());
                    }
                }
            }
            &merged
        };
        let batch = import::to_batch(parsed, source, listing);
        let counts = self.store.import_directory(&batch, actor).await?;
        self.refresh().await?;
        Ok(counts)
    }

    /// Saves an edited or new entry (`entry.version` 0 = new) and updates the index.
    pub async fn save(&self, entry: &Entry, actor: &Actor) -> Result<Entry> {
        let mut entry = entry.clone();
        let problems = validate::check_service(&mut entry.service);
        if problems.iter().any(|p| p.fatal) {
            return Err(DirectoryError::Invalid(problems));
        }
        let entry = &entry;
        if let Some(o) = &entry.service.organization {
            let known = self.store.dir_organization(&o.id).await?;
            let same = known
                .as_ref()
                .and_then(|k| serde_json::from_str::<Organization>(&k.doc).ok())
                .is_some_and(|k| &k == o);
            if !same {
                self.store
                    .save_organization(&o.id, &o.name, &import::json(o), actor)
                    .await?;
            }
        }
        let write = import::service_write(&entry.service, &import::json(&entry.listing));
        let expected = (entry.version > 0).then_some(entry.version);
        self.store.save_service(&write, expected, actor).await?;
        let saved = self
            .entry(&entry.service.id)
            .await?
            .ok_or(StorageError::NotFound)?;
        let generation = self.store.directory_generation().await?;
        let _guard = self.rebuild.lock().await;
        let gap = generation - self.index.generation();
        if (1..=2).contains(&gap) {
            let terms = self.term_taxonomies().await?;
            let reviews = self.reviews().await?;
            self.index
                .upsert(std::slice::from_ref(&saved), &terms, &reviews, generation)?;
        } else {
            drop(_guard);
            self.refresh().await?;
        }
        Ok(saved)
    }

    /// Searches and loads the page of entries `[offset, offset + limit)`.
    pub fn search(&self, q: &SearchQuery) -> Result<Vec<Hit>> {
        Ok(self.index.search(q)?)
    }

    /// A postcode's centroid from the deployment's postcode table.
    pub async fn postcode(&self, postcode: &str) -> Result<Option<(f64, f64)>> {
        Ok(self.store.postcode_location(postcode).await?)
    }

    pub async fn organizations(&self) -> Result<Vec<(Organization, Option<i64>)>> {
        let mut v: Vec<_> = self.orgs().await?.into_values().collect();
        v.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(v)
    }

    pub async fn taxonomies(&self) -> Result<Vec<Taxonomy>> {
        Ok(self
            .store
            .dir_taxonomies()
            .await?
            .into_iter()
            .filter_map(|t| serde_json::from_str(&t.doc).ok())
            .collect())
    }

    pub async fn terms(&self) -> Result<Vec<TaxonomyTerm>> {
        Ok(self
            .store
            .dir_terms()
            .await?
            .into_iter()
            .filter_map(|t| {
                let mut term: TaxonomyTerm = serde_json::from_str(&t.doc).ok()?;
                if term.taxonomy_id.is_none() {
                    term.taxonomy_id = t.parent_id;
                }
                Some(term)
            })
            .collect())
    }
}

/// Today in the UK, for "needs review" and verification dates.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Imports spreadsheet rows with their Linkwork listing columns. For a service already
/// stored, only the listing columns the sheet has (`columns`; `None` = all of them) replace
/// the stored values; a retired service stays retired.
#[cfg(feature = "search")]
pub async fn import_csv(
    dir: &Directory,
    parsed: &Parsed,
    listings: &HashMap<String, Listing>,
    columns: Option<&[String]>,
    source: &str,
    actor: &Actor,
) -> Result<ImportCounts> {
    let has = |c: &str| columns.is_none_or(|cols| cols.iter().any(|x| x == c));
    let ids: Vec<String> = parsed.services.iter().map(|s| s.id.clone()).collect();
    let stored: HashMap<String, Listing> = dir
        .entries(&ids)
        .await?
        .into_iter()
        .map(|e| (e.service.id, e.listing))
        .collect();
    let mut batch = import::to_batch(parsed, source, &Listing::default());
    for s in batch.services.iter_mut() {
        let Some(new) = listings.get(&s.id) else {
            continue;
        };
        let merged = match stored.get(&s.id) {
            None => new.clone(),
            Some(old) => Listing {
                public: if has("public") {
                    new.public
                } else {
                    old.public
                },
                referral_mode: if has("referral_mode") {
                    new.referral_mode
                } else {
                    old.referral_mode
                },
                capacity: if has("capacity") {
                    new.capacity
                } else {
                    old.capacity
                },
                response_days: if has("response_days") {
                    new.response_days
                } else {
                    old.response_days
                },
                access_features: if has("access_features") {
                    new.access_features.clone()
                } else {
                    old.access_features.clone()
                },
                verified_on: old.verified_on.max(new.verified_on),
                retired_on: old.retired_on,
            },
        };
        s.listing = import::json(&merged);
    }
    batch.replace_listings = true;
    let counts = dir.store.import_directory(&batch, actor).await?;
    dir.refresh().await?;
    Ok(counts)
}
