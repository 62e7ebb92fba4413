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

/// Sends the texts that are due. Returns how many Notify took.
pub async fn send_due(state: &AppState, now: DateTime<Utc>) -> Result<usize, String> {
    let due = state
        .store
        .due_notifications(now, 100)
        .await
        .map_err(|e| e.to_string())?;
    if due.is_empty() {
        return Ok(0);
    }
    let client = state.config.notify.as_ref().map(notify::Client::new);
    let mut sent = 0;
    for n in due {
        let failed = |status: &'static str, why: String, retry: Option<DateTime<Utc>>| {
            let store = state.store.clone();
            async move {
                store
                    .notification_failed(n.id, status, &why, retry, now)
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        if now >= n.send_before {
            failed("too-late", "the appointment has passed".into(), None).await?;
            continue;
        }
        let client = match &client {
            None => {
                failed("not-configured", "Notify not configured".into(), None).await?;
                continue;
            }
            Some(Err(e)) => {
                failed("failed", format!("Notify settings: {e}"), None).await?;
                continue;
            }
            Some(Ok(c)) => c,
        };
        let template = state
            .config
            .notify
            .as_ref()
            .map(|c| c.reminder_sms_template.clone())
            .unwrap_or_default();
        let personalisation: serde_json::Value =
            serde_json::from_str(&n.personalisation).unwrap_or_default();
        let result = client
            .send_sms(
                &n.to_address,
                &template,
                &personalisation,
                &format!("linkwork-{}", n.id),
            )
            .await;
        match result {
            Ok(id) => {
                state
                    .store
                    .notification_sent(n.id, &id, now)
                    .await
                    .map_err(|e| e.to_string())?;
                sent += 1;
            }
            Err(SendError::Permanent(m)) => failed("failed", m, None).await?,
            Err(SendError::Retry(m)) => {
                // 1, 2, 4 … minutes, at most an hour, and only while still in time.
                let wait =
                    Duration::minutes(1i64 << n.attempts.clamp(0, 6)).min(Duration::hours(1));
                let again = next_sending_time(now + wait);
                let retry = (again < n.send_before).then_some(again);
                let status = if retry.is_some() { "queued" } else { "failed" };
                failed(status, m, retry).await?;
            }
        }
    }
    Ok(sent)
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
