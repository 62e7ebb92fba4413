//! The one route table. Every route of Linkwork (pages, `/api/v1`, `/oruk`, `/fhir`) is
//! added through [`Routes`], which takes the handler *and* the rule saying who may call it
//! and whose record its `{id}` names. A route cannot be added without a rule, and the
//! authorisation matrix test (`tests/http/matrix/`) walks [`table`] to check every
//! route × caller × tenant against the rule on the real server.
//!
//! The rule is a declaration the handlers must live up to, not the check itself: each
//! handler still calls `Auth::require` with the same `Role` predicate and looks records up
//! within the caller's PCN or organisation. The test proves the two agree.

use crate::AppState;
use axum::handler::Handler;
use axum::routing::{self, MethodRouter};
use axum::Router;
use domain::{Code, Role, Scope};

/// An HTTP method a route answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
        }
    }
}

/// Who may call a route.
#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in user (session cookie; pages).
    Session(Who),
    /// A personal API token (`/api/v1`).
    Token(Who),
    /// A registered API client whose token carries the scope (`/fhir`).
    Client(Scope),
    /// The person themselves, signed in to their own plan (a person session opened with a
    /// plan link, a one-time code and their date of birth). Staff sessions do not count:
    /// anyone else is sent to `/my-plan`.
    Person,
    /// Another service calling back with the shared bearer token the deployment gave it
    /// (GOV.UK Notify's delivery receipts); tested with that service's double.
    Webhook,
}

/// Which signed-in users (or token holders) may call a route.
#[derive(Clone, Copy)]
pub enum Who {
    /// Anyone signed in, whatever their role (their own settings, sign-out).
    Anyone,
    /// Users whose role passes.
    Role(fn(Role) -> bool),
    /// Users whose role passes, or anyone when `{id}` is themselves (a caseload).
    RoleOrSelf(fn(Role) -> bool),
    /// Users whose role passes, or the partner whose organisation owns the listing.
    RoleOrOwner(fn(Role) -> bool),
}

impl Who {
    /// Whether the role passes by itself (without being the record's self or owner).
    pub fn role_passes(&self, r: Role) -> bool {
        match self {
            Who::Anyone => true,
            Who::Role(p) | Who::RoleOrSelf(p) | Who::RoleOrOwner(p) => p(r),
        }
    }
}

impl std::fmt::Debug for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let roles = |p: &fn(Role) -> bool| {
            Role::ALL
                .iter()
                .filter(|r| p(**r))
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join("|")
        };
        match self {
            Who::Anyone => write!(f, "anyone"),
            Who::Role(p) => write!(f, "{}", roles(p)),
            Who::RoleOrSelf(p) => write!(f, "{} or self", roles(p)),
            Who::RoleOrOwner(p) => write!(f, "{} or owning partner", roles(p)),
        }
    }
}

/// Whose record the route's `{id}` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// No record in the path (lists, forms, searches: they show only the caller's own).
    None,
    /// A record of one PCN: callers from any other PCN get 404 (the same as no record).
    Pcn(&'static str),
    /// A record of one partner organisation: other organisations get 404.
    Partner(&'static str),
    /// The caller's own (their API tokens): anyone else's gets 404.
    Own(&'static str),
    /// Shared by the whole deployment (the community directory).
    Shared(&'static str),
    /// A record reached by an API client within its binding (PCN and practice, or its
    /// partner organisation): outside it, 404.
    Bound(&'static str),
}

/// Who may call a route, and whose record it names.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub access: Access,
    pub target: Target,
}

impl Rule {
    /// The same rule for the record named by the path's `{id}`.
    pub const fn on(self, target: Target) -> Rule {
        Rule { target, ..self }
    }
}

const fn rule(access: Access) -> Rule {
    Rule {
        access,
        target: Target::None,
    }
}
pub const fn public() -> Rule {
    rule(Access::Public)
}
pub const fn signed_in() -> Rule {
    rule(Access::Session(Who::Anyone))
}
pub const fn role(p: fn(Role) -> bool) -> Rule {
    rule(Access::Session(Who::Role(p)))
}
pub const fn role_or_self(p: fn(Role) -> bool) -> Rule {
    rule(Access::Session(Who::RoleOrSelf(p)))
}
pub const fn role_or_owner(p: fn(Role) -> bool) -> Rule {
    rule(Access::Session(Who::RoleOrOwner(p)))
}
pub const fn any_token() -> Rule {
    rule(Access::Token(Who::Anyone))
}
pub const fn token(p: fn(Role) -> bool) -> Rule {
    rule(Access::Token(Who::Role(p)))
}
pub const fn token_or_self(p: fn(Role) -> bool) -> Rule {
    rule(Access::Token(Who::RoleOrSelf(p)))
}
pub const fn token_or_owner(p: fn(Role) -> bool) -> Rule {
    rule(Access::Token(Who::RoleOrOwner(p)))
}
pub const fn client(s: Scope) -> Rule {
    rule(Access::Client(s))
}
pub const fn person() -> Rule {
    rule(Access::Person)
}
pub const fn webhook() -> Rule {
    rule(Access::Webhook)
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Route {
    pub method: Method,
    /// The full path template, e.g. `/people/{id}` or `/fhir/Task/{id}`.
    pub path: String,
    pub rule: Rule,
}

/// Builds the axum router and the table together, so neither exists without the other.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<Route>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    /// Adds `method path` answered by `route` (which may carry layers) under `rule`.
    pub fn with(
        mut self,
        method: Method,
        path: &str,
        route: MethodRouter<AppState>,
        rule: Rule,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.table.push(Route {
            method,
            path: path.to_string(),
            rule,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, h: H, rule: Rule) -> Self {
        self.with(Method::Get, path, routing::get(h), rule)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, h: H, rule: Rule) -> Self {
        self.with(Method::Post, path, routing::post(h), rule)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &str, h: H, rule: Rule) -> Self {
        self.with(Method::Put, path, routing::put(h), rule)
    }

    pub fn patch<H: Handler<T, AppState>, T: 'static>(self, path: &str, h: H, rule: Rule) -> Self {
        self.with(Method::Patch, path, routing::patch(h), rule)
    }

    /// Mounts `inner` under `prefix` (its table rows get the prefix too).
    pub fn nest(mut self, prefix: &str, inner: Routes) -> Self {
        self.router = self.router.nest(prefix, inner.router);
        self.table.extend(inner.table.into_iter().map(|r| Route {
            path: format!("{prefix}{}", r.path),
            ..r
        }));
        self
    }

    /// Changes the router as a whole (fallbacks, layers) without adding routes.
    pub fn map(mut self, f: impl FnOnce(Router<AppState>) -> Router<AppState>) -> Self {
        self.router = f(self.router);
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<Route>) {
        (self.router, self.table)
    }
}

/// Every route of Linkwork with its rule, in the order they were added.
pub fn table() -> Vec<Route> {
    crate::routes_of_linkwork().into_parts().1
}

/// Whether a signed-in user of `role` may open the page at `path` (a GET of a page route),
/// by the route table: links a role cannot follow are not shown to it. A route open to a
/// role only for its own record (a caseload, a partner's listing) counts as closed: such
/// links are drawn by pages that know whose record it is.
pub fn may_open(role: Role, path: &str) -> bool {
    static PAGES: std::sync::OnceLock<Vec<(Vec<String>, Access)>> = std::sync::OnceLock::new();
    let pages = PAGES.get_or_init(|| {
        table()
            .into_iter()
            .filter(|r| r.method == Method::Get)
            .map(|r| {
                let parts = r.path.split('/').map(String::from).collect();
                (parts, r.rule.access)
            })
            .collect()
    });
    let path = path.split(['?', '#']).next().unwrap_or("");
    let want: Vec<&str> = path.split('/').collect();
    pages
        .iter()
        .find(|(parts, _)| {
            parts.len() == want.len()
                && parts
                    .iter()
                    .zip(&want)
                    .all(|(p, w)| p == w || (p.starts_with('{') && !w.is_empty()))
        })
        .is_some_and(|(_, access)| match access {
            Access::Public => true,
            Access::Session(who) => who.role_passes(role),
            _ => false,
        })
}
