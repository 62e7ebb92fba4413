//! GP supervision sessions a link worker must have.

use chrono::NaiveDate;

code_enum!(
    /// The two kinds of supervision a link worker must have.
    SupervisionKind {
        LineManagement => ("line_management", "GP supervision (line management)"),
        Clinical => ("clinical", "Clinical / non-managerial supervision"),
    }
);

/// A supervision session as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionDetails {
    pub kind: SupervisionKind,
    pub held_on: NaiveDate,
    pub actions: String,
}
