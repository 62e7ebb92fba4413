//! Social prescribing domain: the types and rules Linkwork must get right, with no I/O.
//!
//! Input from outside becomes these types at the edge (`NhsNumber::parse`, `Postcode::parse`,
//! `PersonDraft::validate`) and is trusted after that.

#[macro_use]
pub mod codes;
pub mod capacity;
pub mod connection;
pub mod contact;
pub mod directory;
pub mod episode;
pub mod errors;
pub mod interop;
pub mod journey;
pub mod nhs_number;
pub mod outcomes;
pub mod person;
pub mod postcode;
pub mod referral;
pub mod role;
pub mod uk_time;
pub mod workforce;

pub use capacity::CapacityBand;
pub use codes::Code;
pub use connection::{ConnectionKind, ConnectionReason, ConnectionStatus, Side};
pub use contact::{ContactDetails, ContactDraft, ContactType, Present, CONTACT_NORM};
pub use directory::{
    AccessFeature, Category, ReferralMode, ServiceCapacity, TimeOfDay, Weekday,
    CATEGORY_TAXONOMY_ID,
};
pub use episode::{DischargeReason, EpisodeState};
pub use errors::{FieldError, FieldErrors};
pub use interop::{ClientKind, Scope};
pub use journey::{
    ActionOwner, Assessment, AssessmentDraft, CarePlan, DischargeSummary, HealthPeriod, HealthUse,
    Measure, PlanDraft, Preferences, RecordKind, ReferralBack, Safeguarding,
};
pub use nhs_number::NhsNumber;
pub use outcomes::{Answers, Instrument, MeasurePoint, Ons4Band, Score};
pub use person::{
    AccessNeed, CarerStatus, ContactMethod, Ethnicity, PersonDetails, PersonDraft, Sex,
};
pub use postcode::Postcode;
pub use referral::{Need, ReferralDetails, ReferralDraft, ReferralSource, Urgency};
pub use role::Role;
pub use workforce::{
    CareHomeTaskKind, CareHomeTaskStatus, EmployerKind, Employment, EmploymentDraft, FinancialYear,
    MonthClaim, SupervisionKind, TrainingKind,
};
