//! Reminders by text through GOV.UK Notify, against a double that checks what Notify
//! checks: the JWT (issuer, `iat` within 30 seconds, HS256 signature with the key's
//! secret), the request's shape, that the number is a UK mobile and the template's
//! placeholders are filled; it answers with Notify's documented bodies (201, 400, 403, 429,
//! 500) and can be told to fail the next requests.

use crate::helpers::*;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as Http};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

const SERVICE: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";
const TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
const TEMPLATE_TEXT: &str = "You have an appointment with your link worker, ((link_worker)), on ((day)) at ((time)). If you cannot make it, please call the number your link worker gave you.";
pub(crate) const PLAN_LINK_TEMPLATE: &str = "0b6f1d2e-5c3a-4e7b-9a8d-2f1e3c4b5a69";
pub(crate) const CODE_TEMPLATE: &str = "7c2e9f4a-1b3d-4a5e-8f6c-9d0e1a2b3c4d";
pub(crate) const CODE_EMAIL_TEMPLATE: &str = "3e8a1c5d-7b2f-4d6e-9a0c-1f2e3d4c5b6a";
pub(crate) const CONFIRM_EMAIL_TEMPLATE: &str = "9d4b2a6c-3e1f-4c7a-8b5d-6e0f1a2c3b4d";
/// The templates the double's service has, as Notify holds them.
const TEMPLATES: [(&str, &str); 5] = [
    (TEMPLATE, TEMPLATE_TEXT),
    (
        PLAN_LINK_TEMPLATE,
        "Your link worker, ((link_worker)), has sent you a link to see your plan: ((url)) It works until ((until)). We will send you a code to check it is you.",
    ),
    (
        CODE_TEMPLATE,
        "Your code to see your plan is ((code)). It works for ((minutes)) minutes. Do not share it with anyone.",
    ),
    (
        CODE_EMAIL_TEMPLATE,
        "Your code to see your plan is ((code)). It works for ((minutes)) minutes. If you did not ask for a code, ignore this email.",
    ),
    (
        CONFIRM_EMAIL_TEMPLATE,
        "You filled in a social prescribing referral to the link workers of ((pcn)). To send it, open ((url)) within ((hours)) hours. Reference: ((reference)).",
    ),
];

/// The `((placeholders))` of a template.
fn placeholders(template: &str) -> Vec<String> {
    template
        .split("((")
        .skip(1)
        .filter_map(|s| s.split_once("))").map(|(k, _)| k.to_string()))
        .collect()
}

const CALLBACK_TOKEN: &str = "notify-callback-token-for-tests-0123456789";

/// A text Notify took.
#[derive(Clone, Debug)]
pub(crate) struct Taken {
    pub(crate) id: String,
    pub(crate) phone: String,
    pub(crate) body: String,
}

#[derive(Default)]
pub(crate) struct Double {
    /// Statuses to answer the next requests with, before any checks pass.
    pub(crate) script: VecDeque<u16>,
    pub(crate) taken: Vec<Taken>,
    pub(crate) requests: usize,
}

pub(crate) type Shared = Arc<Mutex<Double>>;

impl Taken {
    /// (to, the text as Notify rendered it).
    pub(crate) fn clone_parts(&self) -> (String, String) {
        (self.phone.clone(), self.body.clone())
    }
}

fn error(status: u16, kind: &str, message: &str) -> (Http, Json<Value>) {
    (
        Http::from_u16(status).unwrap(),
        Json(json!({ "errors": [{ "error": kind, "message": message }], "status_code": status })),
    )
}

/// Notify's JWT check.
fn check_token(headers: &HeaderMap) -> Result<(), (Http, Json<Value>)> {
    let auth = |m: &str| error(403, "AuthError", m);
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| auth("Unauthorized: authentication token must be provided"))?;
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(auth("Invalid token: not a JWT"));
    }
    let header: Value = URL_SAFE_NO_PAD
        .decode(parts[0])
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| auth("Invalid token: header"))?;
    if header["alg"] != "HS256" || header["typ"] != "JWT" {
        return Err(auth("Invalid token: algorithm used is not HS256"));
    }
    let claims: Value = URL_SAFE_NO_PAD
        .decode(parts[1])
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| auth("Invalid token: claims"))?;
    if claims["iss"] != SERVICE {
        return Err(auth("Invalid token: service not found"));
    }
    let iat = claims["iat"]
        .as_i64()
        .ok_or_else(|| auth("Invalid token: API key not found"))?;
    if (Utc::now().timestamp() - iat).abs() > 30 {
        return Err(auth(
            "Error: Your system clock must be accurate to within 30 seconds",
        ));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
    let sig = URL_SAFE_NO_PAD
        .decode(parts[2])
        .map_err(|_| auth("Invalid token: signature"))?;
    mac.verify_slice(&sig)
        .map_err(|_| auth("Invalid token: signature, api token not found"))
}

/// A UK mobile, as Notify reads one: 07 and 9 more digits, or +44 7 ….
fn uk_mobile(n: &str) -> bool {
    let digits: String = n.chars().filter(|c| !" -()".contains(*c)).collect();
    let national = digits
        .strip_prefix("+44")
        .or_else(|| digits.strip_prefix("0044"))
        .or_else(|| digits.strip_prefix("44"))
        .map(|r| format!("0{r}"))
        .unwrap_or(digits);
    national.len() == 11
        && national.starts_with("07")
        && national.chars().all(|c| c.is_ascii_digit())
}

async fn sms(
    State(d): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (Http, Json<Value>) {
    take(d, headers, body, "phone_number").await
}

async fn email(
    State(d): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (Http, Json<Value>) {
    take(d, headers, body, "email_address").await
}

/// An email address as Notify accepts one: a name, an @ and a domain with a dot.
fn email_address(a: &str) -> bool {
    match a.split_once('@') {
        Some((name, domain)) => {
            !name.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !a.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// A text (`phone_number`) or an email (`email_address`), checked as Notify checks it.
async fn take(
    d: Shared,
    headers: HeaderMap,
    body: axum::body::Bytes,
    to: &str,
) -> (Http, Json<Value>) {
    let forced = {
        let mut d = d.lock().unwrap();
        d.requests += 1;
        d.script.pop_front()
    };
    match forced {
        Some(429) => {
            return error(
                429,
                "RateLimitError",
                "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            )
        }
        Some(500) => return error(500, "Exception", "Internal server error"),
        _ => {}
    }
    if let Err(e) = check_token(&headers) {
        return e;
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(400, "BadRequestError", "Invalid JSON");
    };
    let phone = req[to].as_str().unwrap_or_default();
    if phone.is_empty() {
        return error(
            400,
            "ValidationError",
            &format!("{to} is a required property"),
        );
    }
    if to == "phone_number" && !uk_mobile(phone) {
        return error(
            400,
            "BadRequestError",
            "phone_number Not a UK mobile number",
        );
    }
    if to == "email_address" && !email_address(phone) {
        return error(
            400,
            "ValidationError",
            "email_address Not a valid email address",
        );
    }
    let Some(template) = TEMPLATES
        .iter()
        .find(|(id, _)| req["template_id"] == *id)
        .map(|(_, t)| *t)
    else {
        return error(400, "BadRequestError", "Template not found");
    };
    let p = &req["personalisation"];
    let mut text = template.to_string();
    for key in placeholders(template) {
        let Some(v) = p[key.as_str()].as_str() else {
            return error(
                400,
                "BadRequestError",
                &format!("Missing personalisation: {key}"),
            );
        };
        text = text.replace(&format!("(({key}))"), v);
    }
    if req.get("reference").is_some_and(|r| !r.is_string()) {
        return error(400, "ValidationError", "reference is not of type string");
    }
    let id = format!(
        "{:08x}-0000-4000-8000-{:012x}",
        d.lock().unwrap().taken.len() + 1,
        7
    );
    d.lock().unwrap().taken.push(Taken {
        id: id.clone(),
        phone: phone.to_string(),
        body: text.clone(),
    });
    (
        Http::CREATED,
        Json(json!({
            "id": id,
            "reference": req["reference"],
            "content": { "body": text, "from_number": "GOVUK" },
            "uri": format!("https://notify.test/v2/notifications/{id}"),
            "template": { "id": TEMPLATE, "version": 1, "uri": "https://notify.test/template" }
        })),
    )
}

/// Starts the double on loopback; its address and state.
pub(crate) async fn notify_double() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/v2/notifications/sms", axum::routing::post(sms))
        .route("/v2/notifications/email", axum::routing::post(email))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, shared)
}

pub(crate) fn notify_config(base: &str) -> web::notify::NotifyConfig {
    web::notify::NotifyConfig {
        api_key: format!("linkwork_test-{SERVICE}-{SECRET}"),
        base_url: base.to_string(),
        reminder_sms_template: TEMPLATE.into(),
        plan_link_sms_template: PLAN_LINK_TEMPLATE.into(),
        plan_link_email_template: String::new(),
        code_sms_template: CODE_TEMPLATE.into(),
        code_email_template: CODE_EMAIL_TEMPLATE.into(),
        referrer_confirm_email_template: CONFIRM_EMAIL_TEMPLATE.into(),
        callback_token: Some(CALLBACK_TOKEN.into()),
    }
}

/// 10am today, UK time: when the tests say it is.
fn ten_today() -> DateTime<Utc> {
    domain::uk_time::at(
        domain::uk_time::today(),
        NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
    )
}

/// A person referred, assigned to `lw` and booked for tomorrow at 11am; their id.
async fn booked(app: &TestApp, family: &str, phone: &str, texts_ok: &str) -> i64 {
    let mut lw = signed_in(app, "lw").await;
    let mut fields = referral_fields(family, family, true);
    fields.retain(|(k, _)| *k != "postcode");
    fields.extend([
        ("phone", phone),
        ("texts_ok", texts_ok),
        ("voicemail_ok", "yes"),
    ]);
    let page = lw.post("/referrals", &fields).await;
    let person = person_of(&page.location.expect(&page.body));
    let ep = first_episode(app, person).await;
    let actor = storage::Actor::system("test");
    let ep = app
        .store
        .assign_episode(
            app.pcn_a,
            ep.id,
            ep.version,
            app.users["lw"],
            Utc::now(),
            &actor,
        )
        .await
        .unwrap();
    let tomorrow = domain::uk_time::at(
        domain::uk_time::today() + Duration::days(1),
        NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
    );
    app.store
        .set_next_contact(app.pcn_a, ep.id, ep.version, Some(tomorrow), &actor)
        .await
        .unwrap();
    person
}

async fn person_page(app: &TestApp, person: i64) -> String {
    let mut lw = signed_in(app, "lw").await;
    lw.get(&format!("/people/{person}")).await.body
}

async fn reminders_go_by_text(engine: Engine) {
    let (base, double) = notify_double().await;
    let app = spawn_app_with(
        engine,
        web::WebConfig {
            notify: Some(notify_config(&base)),
            ..Default::default()
        },
    )
    .await;
    let texted = booked(&app, "Textwell", "07700 900123", "yes").await;
    let declined = booked(&app, "Nottext", "07700 900124", "no").await;
    let now = ten_today();
    assert_eq!(
        web::texts::queue_reminders(&app.state, now).await.unwrap(),
        1
    );
    assert_eq!(
        web::texts::queue_reminders(&app.state, now).await.unwrap(),
        0,
        "one reminder per contact"
    );
    // Nor is it read again each time the outbox runs (every node, every 30 s).
    let tomorrow = domain::uk_time::to_uk(now).date() + chrono::Duration::days(1);
    assert!(app
        .store
        .contacts_to_remind(
            domain::uk_time::start_of(tomorrow),
            domain::uk_time::start_of(tomorrow + chrono::Duration::days(1))
        )
        .await
        .unwrap()
        .is_empty());
    assert_eq!(web::texts::send_due(&app.state, now).await.unwrap(), 1);
    let taken = double.lock().unwrap().taken.clone();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].phone, "07700 900123");
    let body = &taken[0].body;
    assert!(
        body.starts_with("You have an appointment with your link worker, Test, on ")
            && body.contains("at 11:00"),
        "{body}"
    );
    // Nothing about their needs, health or the services they use.
    for private in [
        "Loneliness",
        "loneliness",
        "Financial",
        "bereaved",
        "isolated",
        "Textwell",
        "Green Gym",
    ] {
        assert!(!body.contains(private), "the text holds {private}: {body}");
    }
    let page = person_page(&app, texted).await;
    assert!(page.contains("Sent to GOV.UK Notify"), "{page}");
    assert!(!person_page(&app, declined).await.contains("Text to"));

    // Notify's delivery receipt, with the token the deployment gave it.
    let http = reqwest::Client::new();
    let receipt =
        json!({ "id": taken[0].id, "reference": "x", "to": "07700900123", "status": "delivered" });
    let wrong = http
        .post(format!("{}/notify/callback", app.base))
        .bearer_auth("not-the-token")
        .json(&receipt)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ok = http
        .post(format!("{}/notify/callback", app.base))
        .bearer_auth(CALLBACK_TOKEN)
        .json(&receipt)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert!(person_page(&app, texted).await.contains("Delivered"));
    let unknown = http
        .post(format!("{}/notify/callback", app.base))
        .bearer_auth(CALLBACK_TOKEN)
        .json(&json!({ "id": "no-such-id", "status": "delivered" }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reminders_go_by_text_on_sqlite() {
    reminders_go_by_text(Engine::Sqlite).await;
}

#[tokio::test]
async fn reminders_go_by_text_on_postgres() {
    if storage_tests::pg::skip_requested() {
        return;
    }
    reminders_go_by_text(Engine::Postgres).await;
}

#[tokio::test]
async fn notify_failures_are_tried_again_or_shown() {
    let (base, double) = notify_double().await;
    let config = web::WebConfig {
        notify: Some(notify_config(&base)),
        ..Default::default()
    };
    let app = spawn_app_with(Engine::Sqlite, config.clone()).await;
    let person = booked(&app, "Retrial", "07700 900125", "yes").await;
    let now = ten_today();
    web::texts::queue_reminders(&app.state, now).await.unwrap();
    // Rate limited, then Notify down: kept and tried again later, with a growing wait.
    double.lock().unwrap().script.extend([429, 500]);
    assert_eq!(web::texts::send_due(&app.state, now).await.unwrap(), 0);
    assert!(person_page(&app, person)
        .await
        .contains("Waiting to send again"));
    assert_eq!(
        web::texts::send_due(&app.state, now).await.unwrap(),
        0,
        "not yet due"
    );
    let later = now + Duration::minutes(2);
    assert_eq!(web::texts::send_due(&app.state, later).await.unwrap(), 0);
    // A restart in between: the outbox is in the database, so a new server sends it.
    let directory = directory::Directory::open(app.store.clone(), None)
        .await
        .unwrap();
    let restarted = web::AppState::new(app.store.clone(), Arc::new(directory), config);
    let much_later = now + Duration::minutes(10);
    assert_eq!(
        web::texts::send_due(&restarted, much_later).await.unwrap(),
        1
    );
    assert_eq!(double.lock().unwrap().requests, 3);
    assert_eq!(double.lock().unwrap().taken.len(), 1);

    // A landline: Notify says no, and it is not tried again; the link worker sees why.
    let landline = booked(&app, "Landline", "0113 496 0000", "yes").await;
    web::texts::queue_reminders(&app.state, now).await.unwrap();
    web::texts::send_due(&app.state, much_later).await.unwrap();
    let page = person_page(&app, landline).await;
    assert!(page.contains("Not a UK mobile number"), "{page}");
    let asked = double.lock().unwrap().requests;
    web::texts::send_due(&app.state, much_later + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(double.lock().unwrap().requests, asked, "never tried again");
}

#[tokio::test]
async fn no_texts_at_night_or_without_notify() {
    let app = spawn_app().await;
    let person = booked(&app, "Nightly", "07700 900126", "yes").await;
    // Queued at 10pm: nothing goes out before 9am.
    let ten_pm = ten_today() + Duration::hours(12);
    assert_eq!(
        web::texts::queue_reminders(&app.state, ten_pm)
            .await
            .unwrap(),
        1
    );
    assert_eq!(web::texts::send_due(&app.state, ten_pm).await.unwrap(), 0);
    assert!(person_page(&app, person).await.contains("Waiting to send"));
    // At 9am it is due; without Notify set up it stays in the outbox, marked, for staff.
    let nine_am = ten_today() + Duration::hours(23);
    web::texts::send_due(&app.state, nine_am).await.unwrap();
    assert!(person_page(&app, person)
        .await
        .contains("Not sent: Notify not configured"));
    let mut manager = signed_in(&app, "manager").await;
    let texts = manager.get("/texts").await;
    assert_eq!(texts.status, StatusCode::OK);
    assert!(texts.body.contains("GOV.UK Notify is not set up"));
    assert!(texts.body.contains("Not sent: Notify not configured"));
    assert!(texts
        .body
        .contains("You have an appointment with your link worker"));
}
