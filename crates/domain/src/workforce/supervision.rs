//! GP supervision sessions a link worker must have.

use chrono::NaiveDate;

code_enum!(
    /// The two kinds of supervision a link worker must have.
    SupervisionKind {
        LineManagement => ("line_management", "Direct GP supervision (line management)"),
        Clinical => ("clinical", "Clinical supervision (non-managerial)"),
    }
);

/// A supervision session as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionDetails {
    pub kind: SupervisionKind,
    pub held_on: NaiveDate,
    pub actions: String,
}
