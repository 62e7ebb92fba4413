//! The community directory as storage sees it: Open Referral UK documents (JSON) keyed by
//! their ORUK ids, with the few columns queries need. The `directory` crate owns the model.

use crate::{Actor, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A stored service: the ORUK document and Linkwork's own listing facts, both JSON.
#[derive(Debug, Clone)]
pub struct DirServiceRecord {
    pub id: String,
    pub organization_id: Option<String>,
    pub name: String,
    pub status: String,
    /// The fully nested ORUK service, without its organisation.
    pub doc: String,
    /// Linkwork's additions (capacity, referral mode, public, verified…).
    pub listing: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// What a service write carries.
#[derive(Debug, Clone)]
pub struct DirServiceWrite {
    pub id: String,
    pub organization_id: Option<String>,
    pub name: String,
    pub status: String,
    pub doc: String,
    pub listing: String,
    /// Ids of the service's service-at-location records (for `/service_at_locations/{id}`).
    pub location_ids: Vec<String>,
}

/// A stored organisation.
#[derive(Debug, Clone)]
pub struct DirOrgRecord {
    pub id: String,
    pub name: String,
    pub doc: String,
    /// The Linkwork partner organisation whose users may edit this organisation's services.
    pub partner_org_id: Option<i64>,
    /// When the organisation itself (its record or its partner link) last changed.
    pub updated_at: DateTime<Utc>,
}

/// A taxonomy or taxonomy term document.
#[derive(Debug, Clone)]
pub struct DirDoc {
    pub id: String,
    /// For terms, the taxonomy they belong to.
    pub parent_id: Option<String>,
    pub doc: String,
}

/// One import, written in a single transaction.
#[derive(Debug, Clone, Default)]
pub struct DirectoryBatch {
    /// Organisations (id, name, document). An existing partner link is kept.
    pub organizations: Vec<(String, String, String)>,
    pub taxonomies: Vec<DirDoc>,
    pub terms: Vec<DirDoc>,
    /// Services; an existing service keeps its Linkwork listing and gets the new document.
    pub services: Vec<DirServiceWrite>,
    /// Replace stored listings with the batch's (a spreadsheet carries them); an ORUK
    /// feed does not, so by default existing services keep theirs.
    pub replace_listings: bool,
    /// What the audit record says about the source.
    pub source: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub generation: i64,
}

/// The directory: shared by every PCN of a deployment (it holds no personal data).
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Writes an import in one transaction and bumps the directory generation.
    async fn import_directory(&self, batch: &DirectoryBatch, actor: &Actor)
        -> Result<ImportCounts>;
    /// Creates (`expected_version` `None`; `Duplicate` if the id exists) or updates a
    /// service if it is still at `expected_version` (`Stale` otherwise).
    async fn save_service(
        &self,
        service: &DirServiceWrite,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<DirServiceRecord>;
    /// Creates or replaces an organisation's document, keeping its partner link.
    async fn save_organization(&self, id: &str, name: &str, doc: &str, actor: &Actor)
        -> Result<()>;
    /// Links an organisation to the partner organisation whose users keep it current.
    async fn link_partner(
        &self,
        org_id: &str,
        partner_org_id: Option<i64>,
        actor: &Actor,
    ) -> Result<()>;

    async fn dir_service(&self, id: &str) -> Result<Option<DirServiceRecord>>;
    /// The services with these ids, in no particular order.
    async fn dir_services(&self, ids: &[String]) -> Result<Vec<DirServiceRecord>>;
    /// Every service, in id order, `limit` at a time after `after`.
    async fn dir_services_page(
        &self,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DirServiceRecord>>;
    /// Services of the organisations linked to a partner organisation.
    async fn dir_services_for_partner(&self, partner_org_id: i64) -> Result<Vec<DirServiceRecord>>;
    /// The service a service-at-location record belongs to.
    async fn dir_service_for_location(&self, location_link_id: &str) -> Result<Option<String>>;

    async fn dir_organization(&self, id: &str) -> Result<Option<DirOrgRecord>>;
    /// The organisations with these ids, in no particular order (one read for a page of
    /// services, not one per organisation).
    async fn dir_organizations_in(&self, ids: &[String]) -> Result<Vec<DirOrgRecord>>;
    async fn dir_organizations(&self) -> Result<Vec<DirOrgRecord>>;

    async fn dir_taxonomies(&self) -> Result<Vec<DirDoc>>;
    async fn dir_terms(&self) -> Result<Vec<DirDoc>>;

    /// Bumped by every directory write; search indexes compare it to know they are stale.
    async fn directory_generation(&self) -> Result<i64>;
    /// A manager's mappings of taxonomy terms to vocabulary concepts: (term id, concept ids
    /// comma-separated).
    async fn dir_term_concepts(&self) -> Result<Vec<(String, String)>>;
    /// Maps a taxonomy term to concepts (`None` forgets the mapping) for the whole directory;
    /// audited, and every node's index is rebuilt (reclassified) as for any directory change.
    async fn set_dir_term_concepts(
        &self,
        term_id: &str,
        concepts: Option<&str>,
        actor: &Actor,
    ) -> Result<()>;

    /// Staff reviews of the concepts read from single listings: (service id, concept id,
    /// "confirmed" or "rejected").
    async fn dir_service_concepts(&self) -> Result<Vec<(String, String, String)>>;
    /// Confirms or rejects a concept for one listing (`None` makes it a suggestion again);
    /// audited, and every node's index is rebuilt as for any directory change.
    /// `NotFound` when the service is not held.
    async fn set_dir_service_concept(
        &self,
        service_id: &str,
        concept: &str,
        verdict: Option<&str>,
        actor: &Actor,
    ) -> Result<()>;

    /// Adds or replaces postcode centroids (normalised "LS1 4AP" form). Returns the count.
    async fn import_postcodes(&self, rows: &[(String, f64, f64)]) -> Result<u64>;
    async fn postcode_location(&self, postcode: &str) -> Result<Option<(f64, f64)>>;
    async fn postcode_count(&self) -> Result<u64>;
}
