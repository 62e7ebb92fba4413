//! The journey store (coding, episode records, connections): one implementation shared
//! with the other engine, see `crates/storage/engine/journey.rs`.

include!("../../storage/engine/journey.rs");
