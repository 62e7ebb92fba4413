//! Every form on every page, each field with each payload: finding the forms in a page,
//! filling the rest in plausibly, and checking each answer.

use super::{allowed_caller, assert_escaped, fingerprint, payloads, Tally};
use crate::helpers::*;
use crate::matrix::{concrete, expected, Expect, Tenancy, World, CALLERS};
use std::collections::BTreeMap;
use web::routes::{Access, Method, Route};

pub(super) fn decode(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#38;", "&")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub(super) fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    Some(decode(&tag[i..i + tag[i..].find('"')?]))
}

/// A form's fields, in order, with their values.
pub(super) type Fields = Vec<(String, String)>;

/// The forms on a page: action → fields with the values the page gives them.
pub(super) fn forms(page_path: &str, html: &str) -> Vec<(String, Fields)> {
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
pub(super) fn plausible(name: &str) -> Option<String> {
    let today = chrono::Utc::now().date_naive();
    let v = match name {
        "given_name" => "Ada",
        "family_name" => "Baseline",
        "date_of_birth" => "1950-01-01",
        "date_of_birth_day" | "date_of_birth_month" => "1",
        "date_of_birth_year" => "1950",
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
pub(super) fn filled(fields: Fields) -> Fields {
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
pub(super) fn refresh_versions(fields: &mut Fields, fresh: &Fields) {
    for (name, value) in fields.iter_mut() {
        if ["version", "based_on", "_csrf"].contains(&name.as_str()) {
            if let Some((_, v)) = fresh.iter().find(|(n, _)| n == name) {
                *value = v.clone();
            }
        }
    }
}

/// Every form found on every page, each field with each payload.
pub(super) async fn forms_corpus(
    app: &TestApp,
    w: &World,
    tally: &mut Tally,
) -> (usize, usize, usize) {
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
                            || page.body.contains("Go to the Linkwork home page")
                            || page.body.contains("Go to your home page"),
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
                // Following the redirect may change what is held too (a result shown once
                // is gone once shown): the next payload starts from what is there now.
                before = if page.location.is_some() && !page.status.is_client_error() {
                    fingerprint(app).await
                } else {
                    after
                };
            }
        }
    }
    (posts.len(), with_page, fields_tried)
}

/// The fields (by id, which is their name) a form labels "(optional)".
fn optional_fields(form_html: &str) -> Vec<String> {
    form_html
        .split("<label")
        .skip(1)
        .filter_map(|chunk| {
            let label = &chunk[..chunk.find("</label>")?];
            label
                .contains("class=\"optional\"")
                .then(|| attr(label, "for"))
                .flatten()
        })
        .collect()
}

/// Every form on every page that marks a field "(optional)" is sent, otherwise filled in
/// properly, with each such field left empty: none may come back with an error on it.
/// Returns (forms, optional fields) checked, and what failed.
pub(super) async fn optional_means_optional(
    app: &TestApp,
    w: &World,
) -> (usize, usize, Vec<String>) {
    let table = web::routes::table();
    let mut seen = std::collections::BTreeSet::new();
    let (mut forms_checked, mut fields_checked, mut failed) = (0, 0, vec![]);
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
            let bodies: Vec<&str> = page.body.split("<form").skip(1).collect();
            for ((action, fields), body) in forms(&path, &page.body).into_iter().zip(bodies) {
                let optional = optional_fields(body);
                if optional.is_empty() || !seen.insert(action.clone()) {
                    continue;
                }
                forms_checked += 1;
                fields_checked += optional.len();
                let sent: Fields = filled(fields)
                    .into_iter()
                    .map(|(n, v)| {
                        if optional.contains(&n) {
                            (n, String::new())
                        } else {
                            (n, v)
                        }
                    })
                    .collect();
                let pairs: Vec<(&str, &str)> =
                    sent.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                let answer = b.post_raw(&action, &pairs).await;
                for name in &optional {
                    if answer.body.contains(&format!("id=\"{name}-error\"")) {
                        failed.push(format!(
                            "{action} (form on {path}, as {who}): \"{name}\" is labelled optional but was refused when left empty"
                        ));
                    }
                }
            }
        }
    }
    (forms_checked, fields_checked, failed)
}

/// The public forms (no account): each page that shows one, and a plausible, valid answer
/// for every field a person fills in (tick boxes included, which the page does not tick).
async fn public_form_pages(app: &TestApp) -> Vec<(String, Fields)> {
    let good = |extra: &[(&str, &str)]| -> Fields {
        let mut f: Fields = [
            ("given_name", "Petra"),
            ("family_name", "Lindqvist"),
            ("date_of_birth_day", "4"),
            ("date_of_birth_month", "9"),
            ("date_of_birth_year", "1961"),
            ("nhs_number", ""),
            ("phone", "07700 900123"),
            ("email", "petra@example.com"),
            ("voicemail_ok", "no"),
            ("texts_ok", "yes"),
            ("story", "I hardly see anyone since I stopped work."),
            ("needs", "loneliness"),
            ("consent_contact", "yes"),
            ("consent_keep", "yes"),
            ("website", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        f
    };
    let practice = app.practice_a.to_string();
    // A referral from someone at work, waiting for them to confirm their email (the
    // deployment here sends no email, so the form itself is refused).
    let agency = good(&[
        ("practice", &practice),
        ("who", "agency"),
        ("referrer_name", "PC Alex Jones"),
        ("referrer_source", "police"),
        ("referrer_organisation", "West Police"),
        ("referrer_role", "Officer"),
        ("referrer_email", "alex@west.police.example"),
        ("referrer_phone", "0113 496 0777"),
    ]);
    // A person with a plan link (a code can go to their phone).
    let mut lw = signed_in(app, "lw").await;
    let mut fields = person_fields("Osric", "Planholder");
    fields.extend([("phone", "07700 900111"), ("texts_ok", "yes")]);
    let planholder = add_person(&mut lw, &fields).await;
    let plan_code = web::pages::own_plan::new_plan_code().unwrap();
    app.store
        .create_plan_link(
            app.pcn_a,
            planholder,
            &web::pages::own_plan::code_hash(&plan_code),
            "print",
            chrono::Utc::now() + chrono::Duration::days(30),
            &storage::Actor::system("test"),
        )
        .await
        .unwrap();
    let token = "hostile-walk-confirmation-token";
    let now = chrono::Utc::now();
    app.store
        .add_pending_referral(&storage::NewPendingReferral {
            pcn_id: app.pcn_a,
            token_hash: web::auth::sha256_hex(token),
            reference: "SR-HOST-ILE2".into(),
            email: "alex@west.police.example".into(),
            payload: serde_json::to_string(&agency).unwrap(),
            created_at: now,
            expires_at: now + chrono::Duration::hours(24),
        })
        .await
        .unwrap();
    vec![
        (
            format!("/self-referral/details?practice={practice}"),
            good(&[("practice", &practice)]),
        ),
        (
            "/self-referral/details?practice=unsure".into(),
            good(&[("practice", "unsure"), ("postcode", "LS6 2AB")]),
        ),
        (
            format!("/self-referral/details?practice={practice}&who=agency"),
            agency,
        ),
        (
            format!("/self-referral/confirm?token={token}"),
            vec![("token".to_string(), token.to_string())],
        ),
        // A person's own plan: where to send the one-time code, then the code and date
        // of birth.
        (
            format!("/my-plan?code={plan_code}"),
            owned(&[("code", &plan_code), ("channel", "sms")]),
        ),
        (
            format!("/my-plan?code={plan_code}&have=1"),
            owned(&[
                ("code", &plan_code),
                ("otp", "123456"),
                ("date_of_birth_day", "14"),
                ("date_of_birth_month", "6"),
                ("date_of_birth_year", "1951"),
            ]),
        ),
    ]
}

fn owned(f: &[(&str, &str)]) -> Fields {
    f.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every public form, each field with each payload, sent by someone with no account: the
/// same rules as for signed-in forms. Returns the fields tried.
pub(super) async fn public_forms_corpus(app: &TestApp, tally: &mut Tally) -> usize {
    let posts: Vec<Route> = web::routes::table()
        .into_iter()
        .filter(|r| r.method == Method::Post && matches!(r.rule.access, Access::Public))
        // The second factor's code needs a pending sign-in (a password first): its field
        // is tried in `second_factor.rs`. Confirming an administrator's single sign-on link
        // needs a sign-in through a provider: `sso.rs` sends it forged and missing cookies,
        // the browser test both answers.
        .filter(|r| {
            ![
                "/login",
                "/oauth/token",
                "/login/code",
                "/login/sso/confirm",
            ]
            .contains(&r.path.as_str())
        })
        .collect();
    let pages = public_form_pages(app).await;
    let mut covered = vec![];
    let mut fields_tried = 0;
    for (page_path, good) in &pages {
        let mut b = Browser::new(app);
        let page = b.get(page_path).await;
        let found = forms(page_path, &page.body);
        assert_eq!(found.len(), 1, "{page_path} shows one form");
        let (action, shown) = &found[0];
        covered.push(action.clone());
        // Every field the page shows is answered, and nothing the page does not show.
        for (name, _) in shown {
            assert!(
                name == "_csrf" || good.iter().any(|(n, _)| n == name),
                "{page_path}: no plausible answer for {name}"
            );
        }
        let mut before = fingerprint(app).await;
        for (i, (field, _)) in good.iter().enumerate() {
            fields_tried += 1;
            for (label, payload) in payloads() {
                let csrf = b.csrf.clone();
                let mut sent: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
                sent.extend(good.iter().enumerate().map(|(j, (n, v))| {
                    (
                        n.as_str(),
                        if i == j { payload.as_str() } else { v.as_str() },
                    )
                }));
                let what = format!("POST {action} from {page_path}, {field} = {label}");
                let answer = b.post_raw(action, &sent).await;
                tally.submissions += 1;
                assert!(
                    !answer.status.is_server_error(),
                    "{what}: {}",
                    answer.status
                );
                assert_escaped(&what, &answer.body);
                let after = fingerprint(app).await;
                if answer.status.is_client_error() {
                    tally.refused += 1;
                    // A wrong one-time code or date of birth is refused and, on purpose,
                    // counted against the plan link (and audited).
                    if action != "/my-plan/sign-in" {
                        assert_eq!(after, before, "{what}: refused but something was saved");
                    }
                    assert!(
                        answer.body.contains("There is a problem")
                            || answer.body.contains("This link does not work")
                            || answer.body.contains("This link or code does not work")
                            || answer.body.contains("This link has been locked")
                            || answer.body.contains("Go to the Linkwork home page"),
                        "{what}: a {} that does not say what is wrong:\n{}",
                        answer.status,
                        answer.body
                    );
                } else if after != before {
                    tally.saved += 1;
                }
                before = after;
            }
        }
    }
    for r in &posts {
        assert!(
            covered.contains(&r.path),
            "public POST {} has no page in the hostile-input walk",
            r.path
        );
    }
    fields_tried
}
