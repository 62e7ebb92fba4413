//! FHIR R4 for Linkwork, as plain JSON values: no I/O here. The web layer reads records
//! from storage, hands them to these builders and serves the result at `/fhir`.
//!
//! - [`resources`]: Patient, ServiceRequest (referral in and out), Task (Gravity closed
//!   loop), CarePlan, Goal, Observation, Encounter, and the directory as
//!   HealthcareService, Organization and Location.
//! - [`inbound`]: an inbound ServiceRequest read into the same drafts the referral form
//!   fills, and a Task status update read into a connection status change.
//! - [`prsb`]: the message back to GP and referrer (PRSB Social Prescribing Standard) as a
//!   Composition document, and as text for email and print.
//! - [`coding`]: GP-record codes for a practice as a message Bundle and as CSV.
//! - [`fhir`]: code systems, identifiers, OperationOutcome, Bundles, the
//!   CapabilityStatement.

pub mod coding;
pub mod fhir;
pub mod inbound;
pub mod prsb;
pub mod resources;

pub use fhir::{operation_outcome, searchset, Issue};
