//! Directory search: a tantivy full-text index (names, descriptions, taxonomy terms,
//! organisation) plus the facts every filter needs, held in memory. The index lives on
//! disk beside a note of the directory generation it was built from, so a restart reuses
//! it when nothing changed and rebuilds it when it is missing or stale.

mod facts;
mod index;
pub mod places;
pub(crate) mod query;
pub(crate) mod said;

pub use facts::{Facts, Reviews, TermInfo, Terms};
pub use index::{SearchError, SearchIndex};
pub use query::{Hit, SearchQuery, Sort};
