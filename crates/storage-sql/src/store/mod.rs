//! Every store, written once in plain sqlx and SQL, and compiled twice: once as
//! `crate::sqlite::store` and once as `crate::postgres::store` (each engine mounts this
//! folder with `#[path]`; ADR 42).
//!
//! The code here reaches its engine only through `engine`, the `seam` module of the engine it
//! is compiled into. A seam offers the same names on both engines, so a store that used
//! anything engine-specific would fail to compile on the other one:
//! - `Db`, `DbConn`, `DbRow`, `Store`: the sqlx database, connection and row types and the
//!   engine's storage struct;
//! - `backend`: sqlx errors into `StorageError`;
//! - `QUEUE_AUDIT`, `hold_audit_chain` and `append_audit_alone`: how an audit entry is
//!   appended (PostgreSQL: to the queue, no lock, sealed onto the chain later under an advisory
//!   lock only the sealer takes; SQLite: onto the chain at once, one writer and a group commit);
//! - `hold_limit_key`: how taking a use of one shared limit is serialised (PostgreSQL: an
//!   advisory lock on that key; SQLite: the one writer);
//! - `SNAPSHOT_SQL`, `CASELOAD_OF_WORKER`: the two statements whose SQL differs;
//! - `ROW_ID`: how one row of a table without a key is named (`ctid`, `rowid`);
//! - `NAME`, `MIGRATOR` and `backup`: the engine's name, its migrations and its backup.
//!
//! Placeholders are `$1, $2 …`, which both engines accept. Never mix a hand-written `$n` with
//! `QueryBuilder::push_bind` in one statement: on SQLite `push_bind` writes `?`, which SQLite
//! numbers apart from `$n`, so values would bind to the wrong places (pinned by a test in
//! `crate::tests`).

use super::seam as engine;

mod api_clients;
mod audit;
mod care_homes;
mod coding;
mod connections;
mod contacts;
mod database;
mod directory;
mod episodes;
mod interop;
mod limits;
mod orgs;
mod own_plan;
mod ownership;
mod people;
mod records;
mod reports;
mod rows;
mod sign_on;
mod supervision;
mod users;
mod workforce;

pub(super) use audit::append as append_audit;
#[allow(unused_imports)] // the PostgreSQL benchmark's "before" path and its sealer
pub(super) use audit::{chain as chain_audit, seal as seal_audit_queue};
