//! What the route table's rule says each caller gets, and whether an answer matches it.

use domain::Role;
use reqwest::StatusCode;
use web::routes::{Access, Method, Route, Target, Who};

/// Callers by session and by token: anonymous, then every role of PCN A.
pub(crate) const CALLERS: [Option<&str>; 8] = [
    None,
    Some("operator"),
    Some("admin"),
    Some("manager"),
    Some("lw"),
    Some("supervisor"),
    Some("referrer"),
    Some("partner"),
];

pub(super) fn role_of(who: &str) -> Role {
    match who {
        "admin" => Role::Admin,
        "manager" => Role::Manager,
        "lw" => Role::LinkWorker,
        "supervisor" => Role::Supervisor,
        "referrer" => Role::Referrer,
        "partner" => Role::Partner,
        "operator" => Role::Operator,
        other => panic!("no role for {other}"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tenancy {
    Own,
    Other,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    Allowed,
    SignIn,
    Forbidden,
    NotFound,
    /// Only the person themselves, signed in to their own plan: anyone else (every staff
    /// session, anonymous) is sent to `/my-plan`.
    PersonOnly,
}

/// What the rule says `who` gets for `route` on a record of `tenancy`.
pub(crate) fn expected(
    route: &Route,
    who: Option<&str>,
    by_token: bool,
    tenancy: Tenancy,
) -> Expect {
    let who_rule = match (route.rule.access, by_token) {
        (Access::Public, _) => return Expect::Allowed,
        (Access::Session(w), false) | (Access::Token(w), true) => w,
        (Access::Client(_), _) => unreachable!("FHIR routes are checked in fhir.rs"),
        (Access::Webhook, _) => unreachable!("webhooks are checked in notify.rs"),
        (Access::Person, _) => return Expect::PersonOnly,
        // A cookie on the API, or a token on a page: not signed in there.
        _ => return Expect::SignIn,
    };
    let Some(who) = who else {
        return Expect::SignIn;
    };
    let role = role_of(who);
    let allowed = who_rule.role_passes(role)
        || match who_rule {
            Who::RoleOrSelf(_) => who == "lw" && tenancy == Tenancy::Own,
            Who::RoleOrOwner(_) => role == Role::Partner && tenancy == Tenancy::Own,
            _ => false,
        };
    if !allowed {
        return Expect::Forbidden;
    }
    match (route.rule.target, tenancy) {
        (Target::Pcn(_) | Target::Partner(_) | Target::Own(_), Tenancy::Other) => Expect::NotFound,
        _ => Expect::Allowed,
    }
}

/// Whether `status` (and where it leads) is what `expect` means.
pub(super) fn matches(
    expect: &Expect,
    method: Method,
    path: &str,
    api: bool,
    status: StatusCode,
    location: &str,
    body: &str,
) -> bool {
    let to_sign_in = status == StatusCode::SEE_OTHER && location.starts_with("/login");
    match expect {
        Expect::SignIn if api => status == StatusCode::UNAUTHORIZED,
        Expect::SignIn => to_sign_in,
        // A refusal by role, not a CSRF failure (both are 403 on pages).
        Expect::Forbidden => {
            status == StatusCode::FORBIDDEN && (api || body.contains("You do not have permission"))
        }
        Expect::NotFound => status == StatusCode::NOT_FOUND,
        Expect::PersonOnly => status == StatusCode::SEE_OTHER && location.starts_with("/my-plan"),
        // The second factor's page without a password first: back to sign-in.
        Expect::Allowed if path == "/login/code" && to_sign_in => true,
        // Confirming an administrator's link with no sign-in waiting: back to sign-in.
        Expect::Allowed if path == "/login/sso/confirm" && to_sign_in => true,
        // No single sign-on provider is configured for the matrix: starting one and a
        // callback nobody started both answer with a page that says so, to anyone.
        Expect::Allowed if path.starts_with("/login/sso/") => {
            status == StatusCode::BAD_REQUEST
                && (body.contains("That sign-in option is not set up")
                    || body.contains("This sign-in has expired"))
        }
        Expect::Allowed if method == Method::Get => {
            status.is_success() || (status.is_redirection() && !to_sign_in)
        }
        // A form sent with only a CSRF token: saved, or refused as invalid; never refused
        // by role or tenancy, never a server error.
        // An unknown plan code at the person's door: the same answer as no record.
        Expect::Allowed
            if path.starts_with("/my-plan/")
                && status == StatusCode::NOT_FOUND
                && body.contains("This link or code does not work") =>
        {
            true
        }
        Expect::Allowed => {
            (!to_sign_in || path == "/logout")
                && ![
                    StatusCode::UNAUTHORIZED,
                    StatusCode::FORBIDDEN,
                    StatusCode::NOT_FOUND,
                    StatusCode::METHOD_NOT_ALLOWED,
                ]
                .contains(&status)
                && !status.is_server_error()
        }
    }
}

/// Routes that read or change people's records: each use must leave an audit entry.
pub(super) fn touches_people(route: &Route) -> bool {
    const LISTS: [&str; 14] = [
        "/people",
        "/caseload",
        "/caseloads/{user_id}",
        "/triage",
        "/today",
        "/waiting",
        "/safeguarding",
        "/coding",
        "/referrals/mine",
        "/partner/referrals",
        "/api/v1/people",
        "/api/v1/episodes/unassigned",
        "/api/v1/referrals/mine",
        "/api/v1/caseloads/{user_id}",
    ];
    matches!(
        route.rule.target,
        Target::Pcn(
            "person" | "episode" | "connection" | "safeguarding" | "coding_entry" | "coding_batch"
        ) | Target::Partner("connection")
    ) || LISTS.contains(&route.path.as_str())
}
