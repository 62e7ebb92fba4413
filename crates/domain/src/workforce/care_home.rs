//! The kinds and statuses of care home tasks a link worker handles.

code_enum!(
    /// Requests a link worker handles as first port of call for a care home.
    CareHomeTaskKind {
        Prescription => ("prescription", "Prescription request"),
        Visit => ("visit", "Visit request"),
        PostDischarge => ("post_discharge", "Post-discharge coordination"),
    }
);

code_enum!(
    CareHomeTaskStatus {
        Open => ("open", "Open"),
        Done => ("done", "Done"),
        Cancelled => ("cancelled", "Cancelled"),
    }
);
