//! Reminders by text the day before a contact, sent through GOV.UK Notify from an outbox
//! that survives restarts. A reminder names the link worker's first name, the day and the
//! time, never a need, a diagnosis or a service. Only people who agreed to texts (and have
//! a number) get them; none is sent between 8pm and 9am, or after the contact has begun.

use crate::notify::{self, SendError};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use domain::uk_time;
use storage::NewNotification;

/// Texts are sent from 9am to 8pm UK time.
const FIRST_HOUR: u32 = 9;
const LAST_HOUR: u32 = 20;

/// The first moment at or after `now` when a text may be sent.
pub fn next_sending_time(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = uk_time::to_uk(now);
    let nine = NaiveTime::from_hms_opt(FIRST_HOUR, 0, 0).unwrap_or_default();
    if local.hour() < FIRST_HOUR {
        uk_time::at(local.date(), nine)
    } else if local.hour() >= LAST_HOUR {
        uk_time::at(local.date() + Duration::days(1), nine)
    } else {
        now
    }
}

/// What the reminder says (Notify's template holds the same words).
pub fn reminder_text(link_worker: &str, at: DateTime<Utc>) -> (serde_json::Value, String) {
    let first = link_worker
        .split_whitespace()
        .next()
        .unwrap_or("your link worker")
        .to_string();
    let local = uk_time::to_uk(at);
    let day = local.format("%a %-d %b").to_string();
    let time = local.format("%H:%M").to_string();
    let text = format!(
        "You have an appointment with your link worker, {first}, on {day} at {time}. \
         If you cannot make it, please call the number your link worker gave you."
    );
    (
        serde_json::json!({ "link_worker": first, "day": day, "time": time }),
        text,
    )
}

/// Queues a reminder for every contact booked for tomorrow (UK) with someone who takes
/// texts. Queued once per contact however often this runs. Returns how many were queued.
pub async fn queue_reminders(state: &AppState, now: DateTime<Utc>) -> Result<usize, String> {
    let tomorrow = uk_time::to_uk(now).date() + Duration::days(1);
    let (from, to) = (
        uk_time::start_of(tomorrow),
        uk_time::start_of(tomorrow + Duration::days(1)),
    );
    let due = state
        .store
        .contacts_to_remind(from, to)
        .await
        .map_err(|e| e.to_string())?;
    let mut queued = 0;
    for r in due {
        let (personalisation, preview) = reminder_text(&r.link_worker, r.at);
        let made = state
            .store
            .queue_notification(&NewNotification {
                pcn_id: r.pcn_id,
                person_id: r.person_id,
                episode_id: Some(r.episode_id),
                channel: "sms".into(),
                purpose: "reminder".into(),
                to_address: r.phone.clone(),
                personalisation: personalisation.to_string(),
                preview,
                dedupe_key: format!("reminder:{}:{}", r.episode_id, r.at.timestamp()),
                send_before: r.at,
                at: next_sending_time(now),
            })
            .await
            .map_err(|e| e.to_string())?;
        queued += usize::from(made);
    }
    Ok(queued)
}

/// What a plan link says: who sent it, the link and until when. No health details.
pub fn plan_link_text(link_worker: &str, url: &str, until: &str) -> (serde_json::Value, String) {
    let first = link_worker
        .split_whitespace()
        .next()
        .unwrap_or("your link worker")
        .to_string();
    let text = format!(
        "Your link worker, {first}, has sent you a link to see your plan: {url} \
         It works until {until}. We will send you a code to check it is you."
    );
    (
        serde_json::json!({ "link_worker": first, "url": url, "until": until }),
        text,
    )
}

/// What a one-time code says; the preview staff see hides the code.
pub fn code_text(code: &str, minutes: i64) -> (serde_json::Value, String, String) {
    let say = |c: &str| {
        format!(
            "Your code to see your plan is {c}. It works for {minutes} minutes. \
             Do not share it with anyone."
        )
    };
    (
        serde_json::json!({ "code": code, "minutes": minutes.to_string() }),
        say(code),
        say("••••••"),
    )
}

/// The one-time code of a code message that did not go and still works, for staff to
/// read out once they know it is the person (Notify not configured, or it failed).
pub fn unsent_code(n: &storage::Notification, now: DateTime<Utc>) -> Option<String> {
    if n.purpose != "code"
        || n.send_before <= now
        || !matches!(n.status.as_str(), "not-configured" | "failed")
    {
        return None;
    }
    let p: serde_json::Value = serde_json::from_str(&n.personalisation).ok()?;
    p["code"].as_str().map(String::from)
}

/// The words of a queued message, rebuilt from its personalisation (for the SMTP relay,
/// which has no templates): (subject, body).
fn words(n: &storage::Notification) -> (String, String) {
    let p: serde_json::Value = serde_json::from_str(&n.personalisation).unwrap_or_default();
    let get = |k: &str| p[k].as_str().unwrap_or_default().to_string();
    match n.purpose.as_str() {
        "plan_link" => (
            "Your plan from your link worker".into(),
            format!(
                "{}\n\nIf you were not expecting this, you can ignore this email.\n",
                plan_link_text(&get("link_worker"), &get("url"), &get("until")).1
            ),
        ),
        "code" => (
            "Your code to see your plan".into(),
            format!(
                "{}\n\nIf you did not ask for a code, you can ignore this email.\n",
                code_text(&get("code"), get("minutes").parse().unwrap_or(10)).1
            ),
        ),
        _ => ("A message from your link worker".into(), n.preview.clone()),
    }
}

/// Notify, when configured (or why it cannot be used).
fn client(state: &AppState) -> Option<Result<notify::Client, String>> {
    state.config.notify.as_ref().map(notify::Client::new)
}

/// Tries to send one queued text or email now. True when it went.
async fn deliver(
    state: &AppState,
    client: &Option<Result<notify::Client, String>>,
    n: &storage::Notification,
    now: DateTime<Utc>,
) -> Result<bool, String> {
    let failed = |status: &'static str, why: String, retry: Option<DateTime<Utc>>| {
        let store = state.store.clone();
        async move {
            store
                .notification_failed(n.id, status, &why, retry, now)
                .await
                .map_err(|e| e.to_string())
                .map(|_| false)
        }
    };
    if now >= n.send_before {
        let why = if n.purpose == "reminder" {
            "the appointment has passed"
        } else {
            "it is no longer needed"
        };
        return failed("too-late", why.into(), None).await;
    }
    let template = state
        .config
        .notify
        .as_ref()
        .and_then(|c| c.template(&n.purpose, &n.channel));
    let reference = format!("linkwork-{}", n.id);
    let personalisation: serde_json::Value =
        serde_json::from_str(&n.personalisation).unwrap_or_default();
    let result = match (client, template, n.channel.as_str()) {
        (Some(Err(e)), _, _) => {
            return failed("failed", format!("Notify settings: {e}"), None).await
        }
        (Some(Ok(c)), Some(t), "sms") => {
            c.send_sms(&n.to_address, t, &personalisation, &reference)
                .await
        }
        (Some(Ok(c)), Some(t), "email") => {
            c.send_email(&n.to_address, t, &personalisation, &reference)
                .await
        }
        (_, _, "email") if state.config.mail.is_some() => {
            let mail = state.config.mail.as_ref().ok_or("no mail")?;
            let (subject, body) = words(n);
            match crate::mail::send_text(mail, &n.to_address, &subject, body).await {
                Ok(()) => Ok(format!("smtp:{}", n.id)),
                Err(e) if e.starts_with("bad address") => Err(SendError::Permanent(e)),
                Err(e) => Err(SendError::Retry(e)),
            }
        }
        (None, _, "sms") => {
            return failed("not-configured", "Notify not configured".into(), None).await
        }
        (None, _, _) => {
            return failed(
                "not-configured",
                "Notify not configured and no email relay".into(),
                None,
            )
            .await
        }
        (Some(Ok(_)), _, channel) => {
            return failed(
                "not-configured",
                format!("no Notify template for the {} by {channel}", n.purpose),
                None,
            )
            .await
        }
    };
    match result {
        Ok(id) => {
            state
                .store
                .notification_sent(n.id, &id, now)
                .await
                .map_err(|e| e.to_string())?;
            Ok(true)
        }
        Err(SendError::Permanent(m)) => failed("failed", m, None).await,
        Err(SendError::Retry(m)) => {
            // 1, 2, 4 … minutes, at most an hour, and only while still in time. Reminders
            // wait for the morning; a code or a plan link the person is waiting for does not.
            let wait = Duration::minutes(1i64 << n.attempts.clamp(0, 6)).min(Duration::hours(1));
            let again = if n.purpose == "reminder" {
                next_sending_time(now + wait)
            } else {
                now + wait
            };
            let retry = (again < n.send_before).then_some(again);
            let status = if retry.is_some() { "queued" } else { "failed" };
            failed(status, m, retry).await
        }
    }
}

/// Sends the texts and emails that are due. Returns how many went.
pub async fn send_due(state: &AppState, now: DateTime<Utc>) -> Result<usize, String> {
    // What plan links and codes said is not kept once nobody needs it.
    state
        .store
        .forget_message_secrets(now)
        .await
        .map_err(|e| e.to_string())?;
    let due = state
        .store
        .due_notifications(now, 100)
        .await
        .map_err(|e| e.to_string())?;
    if due.is_empty() {
        return Ok(0);
    }
    let client = client(state);
    let mut sent = 0;
    for n in due {
        if deliver(state, &client, &n, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Queues a message and tries it at once (a person is waiting for it); if that fails for
/// a reason worth retrying, the outbox tries again. The message as it now stands.
pub async fn queue_and_send(
    state: &AppState,
    n: &NewNotification,
) -> Result<Option<storage::Notification>, String> {
    state
        .store
        .queue_notification(n)
        .await
        .map_err(|e| e.to_string())?;
    let find = || async {
        state
            .store
            .notifications_for_person(n.pcn_id, n.person_id)
            .await
            .map(|all| all.into_iter().find(|m| m.dedupe_key == n.dedupe_key))
            .map_err(|e| e.to_string())
    };
    let Some(queued) = find().await? else {
        return Ok(None);
    };
    if queued.status == "queued" {
        deliver(state, &client(state), &queued, Utc::now()).await?;
    }
    let now_stands = find().await?;
    state
        .store
        .forget_message_secrets(Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    Ok(now_stands)
}

/// Notify's delivery receipt: `{"id": …, "reference": …, "status": "delivered", …}` with
/// the bearer token the deployment set in Notify.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(expected) = state
        .config
        .notify
        .as_ref()
        .and_then(|c| c.callback_token.clone())
        .filter(|t| !t.is_empty())
    else {
        return StatusCode::NOT_FOUND;
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !crate::auth::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(receipt) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let (Some(id), Some(status)) = (receipt["id"].as_str(), receipt["status"].as_str()) else {
        return StatusCode::BAD_REQUEST;
    };
    const KNOWN: [&str; 5] = [
        "delivered",
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
        "sending",
    ];
    if !KNOWN.contains(&status) {
        return StatusCode::BAD_REQUEST;
    }
    match state
        .store
        .notification_status(id, status, Utc::now())
        .await
    {
        Ok(true) => StatusCode::NO_CONTENT,
        Ok(false) => StatusCode::NOT_FOUND,
        Err(e) => {
            tracing::warn!(error = %e, "delivery receipt not recorded");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn no_texts_at_night() {
        // 7 January: UK time is UTC.
        let at = |h, m| Utc.with_ymd_and_hms(2027, 1, 7, h, m, 0).unwrap();
        assert_eq!(next_sending_time(at(10, 30)), at(10, 30));
        assert_eq!(next_sending_time(at(7, 0)), at(9, 0));
        assert_eq!(
            next_sending_time(at(21, 0)),
            Utc.with_ymd_and_hms(2027, 1, 8, 9, 0, 0).unwrap()
        );
        // In summer 9am UK is 8am UTC.
        let summer = Utc.with_ymd_and_hms(2027, 7, 7, 6, 0, 0).unwrap();
        assert_eq!(
            next_sending_time(summer),
            Utc.with_ymd_and_hms(2027, 7, 7, 8, 0, 0).unwrap()
        );
    }

    #[test]
    fn the_reminder_says_who_and_when_and_nothing_else() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        let (p, text) = reminder_text("Sam Okafor", at);
        assert_eq!(p["link_worker"], "Sam");
        assert_eq!(p["day"], "Thu 3 Dec");
        assert_eq!(p["time"], "10:00");
        assert!(text.starts_with(
            "You have an appointment with your link worker, Sam, on Thu 3 Dec at 10:00."
        ));
    }
}
