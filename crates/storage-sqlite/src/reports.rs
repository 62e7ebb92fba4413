//! Report facts: one implementation shared with the other engine, see
//! `crates/storage/engine/reports.rs`.

include!("../../storage/engine/reports.rs");
