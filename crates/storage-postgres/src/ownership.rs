//! The ownership store (PCN–partner relationships): one implementation shared with the
//! other engine, see `crates/storage/engine/ownership.rs`.

include!("../../storage/engine/ownership.rs");
