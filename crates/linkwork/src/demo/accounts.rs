//! The demo's sign-in accounts and API clients: synthetic credentials, demo database only.

use domain::{ClientKind, Role};

/// The demo accounts: (role, email, password, name).
pub const LOGINS: &[(Role, &str, &str, &str)] = &[
    (
        Role::LinkWorker,
        "sam.okafor@linkwork.example",
        "demo-linkworker-1",
        "Sam Okafor",
    ),
    (
        Role::LinkWorker,
        "jess.hughes@linkwork.example",
        "demo-linkworker-2",
        "Jess Hughes",
    ),
    (
        Role::LinkWorker,
        "aisha.rahman@linkwork.example",
        "demo-linkworker-3",
        "Aisha Rahman",
    ),
    (
        Role::LinkWorker,
        "callum.price@linkwork.example",
        "demo-linkworker-4",
        "Callum Price",
    ),
    (
        Role::Manager,
        "morgan.reid@linkwork.example",
        "demo-manager-pass",
        "Morgan Reid",
    ),
    (
        Role::Supervisor,
        "dr.natarajan@linkwork.example",
        "demo-supervisor-pass",
        "Dr Priya Natarajan",
    ),
    (
        Role::Referrer,
        "dr.whitfield@linkwork.example",
        "demo-referrer-pass",
        "Dr Tom Whitfield",
    ),
    (
        Role::Admin,
        "admin@linkwork.example",
        "demo-admin-pass",
        "Alex Admin",
    ),
    (
        Role::Partner,
        "hello@millbrook-garden.example",
        "demo-partner-pass",
        "Millbrook Community Garden",
    ),
    (
        Role::Operator,
        "operator@linkwork.example",
        "demo-operator-pass",
        "Oli Operator",
    ),
];

/// Demo API clients for trying the FHIR API with curl: (kind, client id, secret, name,
/// scopes). Synthetic credentials for the demo database only.
pub const API_CLIENTS: &[(ClientKind, &str, &str, &str, &str)] = &[
    (
        ClientKind::GpSystem,
        "demo-gp-system",
        "demo-gp-system-secret",
        "Demo GP clinical system at Riverside Medical Practice",
        "referral.write record.read task.read coding.read coding.ack directory.read",
    ),
    (
        ClientKind::Partner,
        "demo-partner-system",
        "demo-partner-system-secret",
        "Demo case system at Millbrook Community Garden",
        "task.read task.update directory.read",
    ),
];
