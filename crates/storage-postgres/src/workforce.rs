//! The workforce store: one implementation shared with the other engine, see
//! `crates/storage/engine/workforce.rs`.

include!("../../storage/engine/workforce.rs");
