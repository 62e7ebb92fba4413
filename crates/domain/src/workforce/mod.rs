//! The link worker workforce: employment records, ARRS reimbursement, GP supervision,
//! required training and the care home tasks link workers handle.
//!
//! Money is held in whole pence and WTE in thousandths (0.6 WTE = 600) so the ARRS
//! arithmetic is exact and reproducible; rounding happens once, half up, per figure.
//! Literals in pence are written pounds_pence (`3_035_67` is £3,035.67), hence the
//! allowed digit grouping.
#![allow(clippy::inconsistent_digit_grouping)]

mod arrs;
mod care_home;
mod employment;
mod supervision;
mod training;

pub use arrs::{month_claim, FinancialYear, MonthClaim};
pub use care_home::{CareHomeTaskKind, CareHomeTaskStatus};
pub use employment::{
    format_pounds, format_wte, parse_pounds, parse_wte, EmployerKind, Employment, EmploymentDraft,
    SUBCONTRACT_MONTHLY_MAX_PENCE,
};
pub use supervision::{SupervisionDetails, SupervisionKind};
pub use training::{compliance, Compliance, TrainingCompletion, TrainingKind};
