//! The interop store: one implementation shared with the other engine, see
//! `crates/storage/engine/interop.rs`.

include!("../../storage/engine/interop.rs");
