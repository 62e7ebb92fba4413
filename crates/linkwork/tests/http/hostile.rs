//! Hostile input, on both engines. Every form the pages offer is found by walking every page
//! in the route table as every role, and each of its fields in turn gets every payload in the
//! corpus (script injection, SQL metacharacters, Unicode bidi overrides, zero-width and
//! combining characters, 4-byte emoji, over-long text, NUL, CR/LF, malformed dates and
//! numbers). Every JSON write in `/api/v1` gets the same through each of its fields, and a
//! set of malformed bodies. Each answer must be:
//! - never a 5xx;
//! - a refusal (4xx) that says what is wrong, and changes nothing in the database;
//! - and whatever is shown, the payload escaped, never live markup.
//!
//! "Nothing changed" is a fingerprint of every table but the audit log and token use (which
//! reads change too), taken through the backup reader after each request.

use crate::helpers::*;
use crate::matrix::{concrete, expected, world, Expect, Tenancy, World, CALLERS};
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use web::routes::{Access, Method, Route};

/// The corpus: each is sent as the whole value of one field.
fn payloads() -> Vec<(&'static str, String)> {
    vec![
        ("script", "<script>alert(\"lw-xss\")</script>".into()),
        ("attribute", "\"><img src=x onerror=alert('lw-xss')>".into()),
        ("sql", "'; DROP TABLE people; --".into()),
        ("sql-or", "' OR '1'='1".into()),
        ("rtl-override", "\u{202E}gnp.exe\u{202C} Smith".into()),
        ("zero-width", "Jo\u{200B}hn\u{200C}\u{200D}\u{FEFF}".into()),
        (
            "combining",
            "Zoe\u{0301}\u{0327}\u{0308}\u{0336}\u{0489}".into(),
        ),
        ("emoji", "🧑🏽‍🌾 Ada 𝕃𝕨 😀".into()),
        ("over-long", "A".repeat(10_000)),
        ("nul", "Ann\0e".into()),
        ("crlf", "a\r\nSet-Cookie: lw_session=stolen".into()),
        ("bad-date", "2026-02-30".into()),
        ("bad-date-format", "31/13/20x".into()),
        ("negative", "-1".into()),
        ("huge-number", "99999999999999999999999".into()),
        ("not-a-number", "NaN".into()),
        ("empty", String::new()),
    ]
}

/// Markup that must never reach a page unescaped.
const LIVE: [&str; 3] = [
    "<script>alert(\"lw-xss\")",
    "<img src=x onerror",
    "lw_session=stolen\r",
];

/// The database's contents but the audit log, for "nothing changed": a sum of row hashes,
/// so the order an engine reads rows in does not matter.
#[derive(Default)]
struct Fingerprint {
    table: String,
    sum: u64,
    skip: bool,
}

impl storage::backup::DumpSink for Fingerprint {
    fn table(&mut self, name: &str) -> storage::Result<()> {
        // Reads leave their mark here (audit entries, a token's last use); nothing else may.
        self.skip = ["audit_log", "api_tokens", "api_client_tokens"].contains(&name);
        self.table = name.to_string();
        Ok(())
    }
    fn row(&mut self, json: &str) -> storage::Result<()> {
        if !self.skip {
            let mut h = DefaultHasher::new();
            h.write(self.table.as_bytes());
            h.write(json.as_bytes());
            self.sum = self.sum.wrapping_add(h.finish());
        }
        Ok(())
    }
}

async fn fingerprint(app: &TestApp) -> u64 {
    let mut f = Fingerprint::default();
    app.store.dump(&mut f).await.unwrap();
    f.sum
}

fn decode(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    Some(decode(&tag[i..i + tag[i..].find('"')?]))
}

/// A form's fields, in order, with their values.
type Fields = Vec<(String, String)>;

/// The forms on a page: action → fields with the values the page gives them.
fn forms(page_path: &str, html: &str) -> Vec<(String, Fields)> {
    let mut out = Vec::new();
    for chunk in html.split("<form").skip(1) {
        let Some(end) = chunk.find("</form>") else {
            continue;
        };
        let form = &chunk[..end];
        let open = &form[..form.find('>').unwrap_or(0)];
        if attr(open, "method").is_none_or(|m| !m.eq_ignore_ascii_case("post")) {
            continue;
        }
        let action = attr(open, "action")
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| page_path.to_string());
        let action = action.split(['?', '#']).next().unwrap_or("").to_string();
        let mut fields: Fields = Vec::new();
        let mut radios: BTreeMap<String, String> = BTreeMap::new();
        for tag in form.split('<').skip(1) {
            let tag_end = tag.find('>').unwrap_or(tag.len());
            let t = &tag[..tag_end];
            let Some(name) = attr(t, "name") else {
                continue;
            };
            if t.starts_with("input") {
                let kind = attr(t, "type").unwrap_or_else(|| "text".into());
                let value = attr(t, "value").unwrap_or_default();
                match kind.as_str() {
                    "checkbox" | "radio" if t.contains(" checked") => fields.push((name, value)),
                    "radio" => {
                        radios.entry(name).or_insert(value);
                    }
                    "checkbox" | "submit" | "button" | "file" => {}
                    _ => fields.push((name, value)),
                }
            } else if t.starts_with("textarea") {
                let text = tag[tag_end + 1..].split("</textarea").next().unwrap_or("");
                fields.push((name, decode(text)));
            } else if t.starts_with("select") {
                let body = form[form.find(t).unwrap_or(0)..]
                    .split("</select")
                    .next()
                    .unwrap_or("");
                let options: Vec<&str> = body.split("<option").skip(1).collect();
                let chosen = options
                    .iter()
                    .find(|o| o[..o.find('>').unwrap_or(0)].contains(" selected"))
                    .or(options
                        .iter()
                        .find(|o| attr(o, "value").is_some_and(|v| !v.is_empty())))
                    .and_then(|o| attr(o, "value"));
                fields.push((name, chosen.unwrap_or_default()));
            }
        }
        for (name, value) in radios {
            if !fields.iter().any(|(n, _)| *n == name) {
                fields.push((name, value));
            }
        }
        out.push((action, fields));
    }
    out
}

/// A value someone filling the form in properly might give a field the page left empty, so
/// that each payload is tried in an otherwise valid form and can be saved.
fn plausible(name: &str) -> Option<String> {
    let today = chrono::Utc::now().date_naive();
    let v = match name {
        "given_name" => "Ada",
        "family_name" => "Baseline",
        "date_of_birth" => "1950-01-01",
        "postcode" => "LS7 1AA",
        "phone" => "0113 496 0000",
        "email" => "baseline@hostile.example",
        "next_contact" => return Some((today + chrono::Duration::days(7)).to_string()),
        "duration_minutes" | "renew_months" | "gp_appointments" | "ae_attendances" => "2",
        "annual_salary" => "29000",
        "annual_oncosts" => "6000",
        "year" => "2031",
        "amount" => "4000000",
        "size_1" => "8000",
        "source" => "gp",
        "urgency" => "routine",
        "consent" => "yes",
        "needs" => "loneliness",
        "referrer_name" => "Dr Baseline",
        "referrer_contact" => "0113 496 0001",
        "optimistic" | "useful" | "relaxed" | "problems" | "thinking" | "close" | "mind" => "3",
        n if n.starts_with("score_") => "3",
        n if n.ends_with("_on") || n.ends_with("_date") || n == "date" => {
            return Some(today.to_string())
        }
        "new_password" | "confirm_password" | "password" | "current_password" | "concept_id" => {
            return None
        }
        _ => "Baseline text",
    };
    Some(v.to_string())
}

/// The page's fields with the empty ones filled in plausibly.
fn filled(fields: Fields) -> Fields {
    let mut out: Fields = fields
        .into_iter()
        .map(|(name, value)| {
            if value.is_empty() && name != "_csrf" {
                let v = plausible(&name).unwrap_or_default();
                (name, v)
            } else {
                (name, value)
            }
        })
        .collect();
    // The referral form's tick boxes start unticked: tick what a valid referral needs.
    if out.iter().any(|(n, _)| n == "referrer_name") {
        for name in ["consent", "needs"] {
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), plausible(name).unwrap_or_default()));
            }
        }
    }
    out
}

/// Takes the hidden version fields (and the session token) from a freshly opened form.
fn refresh_versions(fields: &mut Fields, fresh: &Fields) {
    for (name, value) in fields.iter_mut() {
        if ["version", "based_on", "_csrf"].contains(&name.as_str()) {
            if let Some((_, v)) = fresh.iter().find(|(n, _)| n == name) {
                *value = v.clone();
            }
        }
    }
}

fn assert_escaped(what: &str, body: &str) {
    for live in LIVE {
        assert!(
            !body.contains(live),
            "{what}: the answer holds live markup {live:?}"
        );
    }
}

/// Someone the rule lets use `route` on their own PCN's records.
fn allowed_caller(route: &Route) -> Option<&'static str> {
    CALLERS
        .into_iter()
        .flatten()
        .find(|who| expected(route, Some(who), false, Tenancy::Own) == Expect::Allowed)
}

struct Tally {
    submissions: usize,
    refused: usize,
    saved: usize,
}

/// Every form found on every page, each field with each payload.
async fn forms_corpus(app: &TestApp, w: &World, tally: &mut Tally) -> (usize, usize, usize) {
    let table = web::routes::table();
    // Every page each role can open, for the forms on it.
    let mut found: BTreeMap<String, (&'static str, String, Fields)> = BTreeMap::new();
    for who in CALLERS.into_iter().flatten() {
        let mut b = signed_in(app, who).await;
        for route in &table {
            if route.method != Method::Get
                || !matches!(route.rule.access, Access::Session(_))
                || expected(route, Some(who), false, Tenancy::Own) != Expect::Allowed
            {
                continue;
            }
            let path = concrete(route, w, Some(who), Tenancy::Own);
            let page = b.get(&path).await;
            for (action, fields) in forms(&path, &page.body) {
                found
                    .entry(action)
                    .or_insert((who, path.clone(), filled(fields)));
            }
        }
    }
    let posts: Vec<&Route> = table
        .iter()
        .filter(|r| r.method == Method::Post && matches!(r.rule.access, Access::Session(_)))
        .filter(|r| !["/login", "/logout", "/directory/import"].contains(&r.path.as_str()))
        .collect();
    let mut with_page = 0;
    let mut fields_tried = 0;
    let mut before;
    for route in &posts {
        let who = allowed_caller(route).unwrap_or_else(|| panic!("nobody may POST {}", route.path));
        let path = concrete(route, w, Some(who), Tenancy::Own);
        let (who, page_path, mut defaults) = match found.get(&path) {
            Some((who, page, fields)) => {
                with_page += 1;
                (*who, Some(page.clone()), fields.clone())
            }
            // A form no page showed (e.g. one reached only from a record in another state):
            // its version field still gets the corpus.
            None => (who, None, vec![("version".to_string(), "1".to_string())]),
        };
        let mut b = signed_in(app, who).await;
        before = fingerprint(app).await; // signing in records the sign-in
        let names: Vec<String> = defaults.iter().map(|(n, _)| n.clone()).collect();
        for (i, field) in names.iter().enumerate() {
            if field == "_csrf" {
                continue;
            }
            fields_tried += 1;
            for (label, payload) in payloads() {
                let mut owned: Fields = defaults
                    .iter()
                    .enumerate()
                    .map(|(j, (name, value))| match (name.as_str(), i == j) {
                        ("_csrf", _) => (name.clone(), b.csrf.clone()),
                        (_, true) => (name.clone(), payload.clone()),
                        (_, false) => (name.clone(), value.clone()),
                    })
                    .collect();
                if !defaults.iter().any(|(n, _)| n == "_csrf") {
                    owned.push(("_csrf".into(), b.csrf.clone()));
                }
                let sent: Vec<(&str, &str)> = owned
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                let what = format!("POST {path} as {who}, {field} = {label}");
                let page = b.post_raw(&path, &sent).await;
                tally.submissions += 1;
                assert!(
                    !page.status.is_server_error(),
                    "{what}: {}\n{}",
                    page.status,
                    page.body
                );
                assert_escaped(&what, &page.body);
                for (name, value) in page.headers.iter() {
                    assert!(
                        !(name == "set-cookie" && value.to_str().unwrap_or("").contains("stolen")),
                        "{what}: a header was injected"
                    );
                }
                let after = fingerprint(app).await;
                if page.status.is_client_error() {
                    tally.refused += 1;
                    assert_eq!(
                        after, before,
                        "{what}: refused ({}) but something was saved",
                        page.status
                    );
                    assert!(
                        page.body.contains("There is a problem")
                            || page.body.contains("error-summary")
                            || page.body.contains("Go to the Linkwork home page"),
                        "{what}: a {} that does not say what is wrong:\n{}",
                        page.status,
                        page.body
                    );
                } else {
                    if after != before {
                        tally.saved += 1;
                        // The record moved on: take the form's new version, as a person
                        // reopening it would, so the next payload is not refused as stale.
                        if let Some(page) = &page_path {
                            let fresh = b.get(page).await;
                            if let Some((_, now)) = forms(page, &fresh.body)
                                .into_iter()
                                .find(|(action, _)| *action == path)
                            {
                                refresh_versions(&mut defaults, &now);
                            }
                        }
                    }
                    if let Some(to) = page.location.as_deref() {
                        assert!(!to.starts_with("/login"), "{what}: signed out");
                        if to.starts_with('/') {
                            let next = b.get(to).await;
                            assert!(
                                !next.status.is_server_error(),
                                "{what} → {to}: {}",
                                next.status
                            );
                            assert_escaped(&format!("{what} → {to}"), &next.body);
                        }
                    }
                }
                before = after;
            }
        }
    }
    (posts.len(), with_page, fields_tried)
}

/// The JSON writes, each field of a valid body with each payload (as a string, and as the
/// wrong JSON type), then malformed bodies.
async fn json_corpus(app: &TestApp, w: &World, tally: &mut Tally) -> usize {
    use serde_json::{json, Value};
    let person = json!({"given_name": "Hana", "family_name": "Json", "date_of_birth": "1960-01-02",
                        "postcode": "LS7 1AA", "phone": "0113 496 0001"});
    let version = app
        .store
        .get_episode(app.pcn_a, w.own.episode)
        .await
        .unwrap()
        .unwrap()
        .version;
    let bodies: Vec<(&str, reqwest::Method, String, Value)> = vec![
        (
            "lw",
            reqwest::Method::POST,
            "/api/v1/people".into(),
            person.clone(),
        ),
        (
            "lw",
            reqwest::Method::PUT,
            format!("/api/v1/people/{}", w.own.person),
            {
                let mut p = person.clone();
                p["version"] = json!(1);
                p
            },
        ),
        (
            "referrer",
            reqwest::Method::POST,
            "/api/v1/referrals".into(),
            json!({
            "person": person, "source": "gp", "referrer_name": "Dr Test",
            "referrer_contact": "0113 496 0000", "needs": ["loneliness"], "urgency": "routine",
            "consent": true, "reason": "Feels alone since moving"}),
        ),
        (
            "manager",
            reqwest::Method::POST,
            format!("/api/v1/episodes/{}/assign", w.own.episode),
            json!({"version": version, "link_worker_id": w.own.link_worker}),
        ),
        (
            "manager",
            reqwest::Method::POST,
            format!("/api/v1/episodes/{}/transition", w.own.episode),
            json!({"version": version, "state": "contacting", "reason": "first call"}),
        ),
        (
            "lw",
            reqwest::Method::POST,
            format!("/api/v1/episodes/{}/contacts", w.own.episode),
            json!({"version": version, "contact_type": "phone", "date": "2026-01-05", "time": "10:30",
                   "duration_minutes": "20", "did_not_attend": false, "present": ["person"],
                   "notes": "Talked about the garden group"}),
        ),
        (
            "partner",
            reqwest::Method::PATCH,
            format!("/api/v1/directory/services/{}", w.service.0),
            json!({"capacity": "open", "referral_mode": "email", "response_days": 3,
                   "verified": true, "version": 1}),
        ),
    ];
    let http = reqwest::Client::new();
    let mut before = fingerprint(app).await;
    let mut send =
        async |who: &str, method: &reqwest::Method, path: &str, body: Vec<u8>, what: String| {
            let token = &w.tokens[who].0;
            let res = http
                .request(method.clone(), format!("{}{path}", app.base))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            tally.submissions += 1;
            assert!(!status.is_server_error(), "{what}: {status}\n{text}");
            let after = fingerprint(app).await;
            if status.is_client_error() {
                tally.refused += 1;
                assert_eq!(
                    after, before,
                    "{what}: refused ({status}) but something was saved"
                );
                let e: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|_| panic!("{what}: a {status} that is not JSON: {text}"));
                assert!(
                    e["error"]["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty()),
                    "{what}: a {status} without a message: {text}"
                );
            } else if after != before {
                tally.saved += 1;
            }
            before = after;
        };
    let mut fields = 0;
    for (who, method, path, body) in &bodies {
        let Value::Object(map) = body else {
            unreachable!()
        };
        for key in map.keys() {
            fields += 1;
            let mut values: Vec<(String, Value)> = payloads()
                .into_iter()
                .map(|(label, p)| (label.to_string(), Value::String(p)))
                .collect();
            values.extend([
                ("null".to_string(), Value::Null),
                ("number".to_string(), json!(1e300)),
                ("negative".to_string(), json!(-9_007_199_254_740_993_i64)),
                (
                    "array".to_string(),
                    json!(["<script>alert(\"lw-xss\")</script>"]),
                ),
                ("object".to_string(), json!({"$ne": 1})),
                ("true".to_string(), json!(true)),
            ]);
            for (label, value) in values {
                let mut b = body.clone();
                b[key] = value;
                let what = format!("{method} {path} as {who}, {key} = {label}");
                send(who, method, path, serde_json::to_vec(&b).unwrap(), what).await;
            }
        }
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let malformed: Vec<(&str, Vec<u8>)> = vec![
            ("not JSON", b"given_name=Ann".to_vec()),
            ("cut short", b"{\"given_name\": \"Ann".to_vec()),
            ("empty", Vec::new()),
            ("a list", b"[1,2,3]".to_vec()),
            ("deeply nested", deep.into_bytes()),
            ("invalid UTF-8", b"{\"given_name\": \"\xff\xfe\"}".to_vec()),
            ("NUL escape", b"{\"given_name\": \"A\\u0000\"}".to_vec()),
            ("lone surrogate", b"{\"given_name\": \"\\ud800\"}".to_vec()),
            (
                "duplicate keys",
                b"{\"version\": 1, \"version\": \"x\"}".to_vec(),
            ),
        ];
        for (label, bytes) in malformed {
            send(
                who,
                method,
                path,
                bytes,
                format!("{method} {path} as {who}: {label}"),
            )
            .await;
        }
    }
    fields
}

/// The query parameters Linkwork's pages read.
const QUERY_NAMES: [&str; 9] = [
    "q", "name", "from", "to", "period", "page", "status", "category", "postcode",
];

/// Every page each role can open, after the corpus: stored payloads shown escaped; then each
/// page with the corpus in its query parameters. Returns (pages, queries).
async fn pages_show_payloads_escaped(app: &TestApp, w: &World) -> (usize, usize) {
    let (mut pages, mut queries) = (0, 0);
    for who in CALLERS.into_iter().flatten() {
        let mut b = signed_in(app, who).await;
        for route in web::routes::table() {
            if route.method != Method::Get
                || !matches!(route.rule.access, Access::Session(_))
                || expected(&route, Some(who), false, Tenancy::Own) != Expect::Allowed
            {
                continue;
            }
            let path = concrete(&route, w, Some(who), Tenancy::Own);
            let page = b.get(&path).await;
            assert!(
                !page.status.is_server_error(),
                "GET {path} as {who}: {}",
                page.status
            );
            assert_escaped(&format!("GET {path} as {who}"), &page.body);
            pages += 1;
            // The corpus in the query parameters pages read (search, filters, periods).
            for (label, payload) in payloads() {
                // Addresses stay under what clients send (the over-long case: 1,000 each).
                let payload: String = payload.chars().take(1000).collect();
                let query: String = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(QUERY_NAMES.iter().map(|n| (*n, payload.as_str())))
                    .finish();
                let sep = if path.contains('?') { '&' } else { '?' };
                let url = format!("{path}{sep}{query}");
                let what = format!("GET {path} as {who}, query = {label}");
                let page = b.get(&url).await;
                queries += 1;
                assert!(!page.status.is_server_error(), "{what}: {}", page.status);
                assert_escaped(&what, &page.body);
                if label == "nul" {
                    assert!(page.status.is_client_error(), "{what}");
                    assert!(page.body.contains("NUL character"), "{what}");
                }
            }
        }
    }
    (pages, queries)
}

async fn hostile_input(engine: Engine) {
    // The corpus goes through "current password" fields thousands of times; those failures
    // count against the account (and would pause it) like sign-in failures do, which is
    // tested in auth.rs. Here the limit is set out of reach so every role stays signed in.
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            max_failed_logins: 1_000_000,
            ..Default::default()
        },
    )
    .await;
    let w = world(&app).await;
    let mut tally = Tally {
        submissions: 0,
        refused: 0,
        saved: 0,
    };
    let (forms, with_page, fields) = forms_corpus(&app, &w, &mut tally).await;
    let json_fields = json_corpus(&app, &w, &mut tally).await;
    let (pages, queries) = pages_show_payloads_escaped(&app, &w).await;
    storage_tests::figure(&format!(
        "Hostile input ({engine:?}): {} payloads × ({fields} fields of {forms} forms, \
         {with_page} found on pages; and {json_fields} JSON fields) = {} requests, no 5xx; {} refused with a message and nothing \
         saved; {} saved and shown escaped on {pages} pages; {queries} page loads with the corpus in the query \
         string, no 5xx",
        payloads().len(),
        tally.submissions,
        tally.refused,
        tally.saved
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_sqlite() {
    hostile_input(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    hostile_input(Engine::Postgres).await;
}

/// Bodies over the limits are refused before any handler reads them: 256 KiB for forms and
/// JSON, 20 MiB for a directory import.
#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let before = fingerprint(&app).await;
    let mut lw = signed_in(&app, "lw").await;
    let big = "A".repeat(300 * 1024);
    let csrf = lw.csrf.clone();
    let page = lw
        .post_raw(
            "/referrals",
            &[("_csrf", csrf.as_str()), ("given_name", big.as_str())],
        )
        .await;
    assert_eq!(
        page.status,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "a 300 KiB form"
    );
    assert!(
        page.body.contains("up to 256 KiB in a form"),
        "{}",
        page.body
    );
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/people", app.base))
        .bearer_auth(&w.tokens["lw"].0)
        .header("content-type", "application/json")
        .body(format!("{{\"given_name\": \"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "300 KiB of JSON"
    );
    let mut manager = signed_in(&app, "manager").await;
    let huge = vec![b'x'; 21 * 1024 * 1024];
    let page = manager
        .upload("/directory/import", "services.csv", &huge)
        .await;
    assert_eq!(
        page.status,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "a 21 MiB import"
    );
    let fine = manager
        .upload("/directory/import", "services.csv", &vec![b'x'; 300 * 1024])
        .await;
    assert_ne!(
        fine.status,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "imports take more than forms"
    );
    assert!(!fine.status.is_server_error(), "{}", fine.status);
    assert_eq!(fingerprint(&app).await, before, "nothing saved");
}

/// Slow clients hold nothing: headers not sent within the header timeout close the
/// connection; a body trickled past the request timeout gets 503, the connection closed.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = web::WebConfig {
        header_read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let app = spawn_app_with(Engine::Sqlite, config).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let read_all = async |s: &mut tokio::net::TcpStream| {
        let mut got = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got)).await;
        String::from_utf8_lossy(&got).into_owned()
    };

    // Headers that never finish.
    let started = Instant::now();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: linkwork\r\nX-Slow: ")
        .await
        .unwrap();
    let answer = read_all(&mut slow).await;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the connection was held for {waited:?}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // A body that never finishes.
    let started = Instant::now();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST /login HTTP/1.1\r\nHost: linkwork\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nConnection: close\r\n\r\nemail=lw%40",
    )
    .await
    .unwrap();
    let answer = read_all(&mut slow).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(answer.contains("That took too long"), "{answer}");

    // Everyone else is still served.
    let mut b = Browser::new(&app);
    assert_eq!(b.get("/health").await.status, reqwest::StatusCode::OK);
}
