//! The message back to the GP and the referrer: gathered once from storage, then shown as a
//! page, served as a FHIR document and emailed from the outbox. Emails are queued in the
//! same transaction as the discharge (or when a user asks), so none is lost; a failed send
//! is retried with a growing wait.

use crate::{AppError, AppState};
use chrono::{Duration, Utc};
use domain::{Assessment, CarePlan, DischargeSummary, Measure, RecordKind};
use interop::prsb::MessageBack;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncTransport, Message};

/// Everything the message says about one episode of a PCN.
pub async fn gather(state: &AppState, pcn: i64, episode_id: i64) -> Result<MessageBack, AppError> {
    let store = &state.store;
    let episode = store
        .get_episode(pcn, episode_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let person = store
        .get_person(pcn, episode.person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let referral = store
        .get_referral(pcn, episode.referral_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pcn_rec = store
        .list_pcns()
        .await?
        .into_iter()
        .find(|p| p.id == pcn)
        .ok_or(AppError::NotFound)?;
    let practice = match person.details.practice_id {
        Some(id) => store
            .list_practices(pcn)
            .await?
            .into_iter()
            .find(|p| p.id == id),
        None => None,
    };
    let link_worker = match episode.link_worker_id {
        Some(id) => store.user_by_id(id).await?.map(|u| u.name),
        None => None,
    }
    .unwrap_or_else(|| "Not yet assigned".into());
    let records: Vec<_> = store
        .records_for_person(pcn, person.id)
        .await?
        .into_iter()
        .filter(|r| r.episode_id == episode_id)
        .collect();
    let latest = |kind: RecordKind| records.iter().rev().find(|r| r.kind == kind);
    let plan = latest(RecordKind::Plan).and_then(|r| r.parse::<CarePlan>().map(|p| (r.id, p)));
    let assessment = latest(RecordKind::Assessment).and_then(|r| r.parse::<Assessment>());
    let discharge = latest(RecordKind::Discharge).and_then(|r| r.parse::<DischargeSummary>());
    let referrals_back = records
        .iter()
        .filter(|r| r.kind == RecordKind::ReferralBack)
        .filter_map(|r| r.parse::<domain::ReferralBack>().map(|b| (r.created_at, b)))
        .collect();
    let safeguarding = records
        .iter()
        .filter(|r| r.kind == RecordKind::Safeguarding)
        .map(|r| (r.created_at, r.status == "open"))
        .collect();
    let measures: Vec<(i64, Measure)> = records
        .iter()
        .filter(|r| r.kind == RecordKind::Measure)
        .filter_map(|r| r.parse::<Measure>().map(|m| (r.id, m)))
        .collect();
    let what_matters = plan
        .as_ref()
        .map(|(_, p)| p.what_matters.clone())
        .filter(|s| !s.is_empty())
        .or_else(|| assessment.as_ref().map(|a| a.what_matters.clone()))
        .unwrap_or_default();
    let needs = match &assessment {
        Some(a) => a.needs.iter().map(|n| (n.need, Some(n.score))).collect(),
        None => referral.needs.iter().map(|n| (*n, None)).collect(),
    };
    let connections: Vec<storage::Connection> = store
        .connections_for_person(pcn, person.id)
        .await?
        .into_iter()
        .filter(|c| c.episode_id == episode_id)
        .collect();
    // What the message says changes when any of these does.
    let changed_at = [person.updated_at, referral.received_at, episode.referred_at]
        .into_iter()
        .chain(episode.assigned_at)
        .chain(episode.first_contact_at)
        .chain(episode.last_contact_at)
        .chain(episode.closed_at)
        .chain(records.iter().map(|r| r.updated_at))
        .chain(
            connections
                .iter()
                .map(|c: &storage::Connection| c.updated_at),
        )
        .max()
        .unwrap_or_else(storage::now);
    Ok(MessageBack {
        changed_at,
        pcn: pcn_rec,
        person,
        practice,
        referral,
        episode,
        link_worker,
        what_matters,
        needs,
        connections,
        measures,
        plan,
        discharge,
        referrals_back,
        safeguarding,
        generated_at: storage::now(),
    })
}

/// Sends what is due in the outbox. Returns how many were sent.
pub async fn send_due(state: &AppState) -> Result<usize, String> {
    let now = Utc::now();
    let due = state
        .store
        .due_messages(now, 50)
        .await
        .map_err(|e| e.to_string())?;
    if due.is_empty() {
        return Ok(0);
    }
    let retry = |attempts: i64| {
        // 5 minutes, doubling, at most a day.
        let minutes = 5i64.saturating_mul(1 << attempts.clamp(0, 9)).min(24 * 60);
        Some(now + Duration::minutes(minutes))
    };
    let Some(mail) = &state.config.mail else {
        for m in &due {
            state
                .store
                .message_failed(
                    m.id,
                    "email is not set up on this server",
                    retry(m.attempts),
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        return Ok(0);
    };
    let transport = crate::mail::transport(mail)?;
    let from: Mailbox = mail.from.parse().map_err(|e| format!("mail from: {e}"))?;
    let mut sent = 0;
    for m in due {
        let to: Mailbox = match m.to_address.parse() {
            Ok(t) => t,
            Err(_) => {
                state
                    .store
                    .message_failed(m.id, "the referrer's email address is not valid", None)
                    .await
                    .map_err(|e| e.to_string())?;
                continue;
            }
        };
        // A referral through the public form (no account to sign in to) hears by reference
        // only: that a link worker is working with the person, and at the end how it ended.
        // These name no one and say nothing of their health.
        let episode = state
            .store
            .get_episode(m.pcn_id, m.episode_id)
            .await
            .map_err(|e| e.to_string())?;
        let public = match &episode {
            Some(ep) => state
                .store
                .get_referral(m.pcn_id, ep.referral_id)
                .await
                .map_err(|e| e.to_string())?
                .and_then(|r| r.reference),
            None => None,
        };
        if m.kind == "accepted" || public.is_some() {
            let (Some(reference), Some(ep)) = (public, episode) else {
                state
                    .store
                    .message_failed(m.id, "the referral is no longer there", None)
                    .await
                    .map_err(|e| e.to_string())?;
                continue;
            };
            let (subject, body) = if m.kind == "accepted" {
                (
                    format!("Your social prescribing referral {reference}"),
                    format!(
                        "Hello,\n\nThank you for your social prescribing referral {reference}. A link worker has \
                         been in touch with the person you referred, and they have agreed to work together.\n\n\
                         We will email you again when the link worker has finished working with them.\n\nLinkwork\n"
                    ),
                )
            } else {
                (
                    format!("Your social prescribing referral {reference}: finished"),
                    format!(
                        "Hello,\n\nThe link worker has finished working with the person you referred \
                         (referral {reference}).\n\n{}.\n\nThank you for referring them.\n\nLinkwork\n",
                        crate::pages::referrals::what_happened(ep.state, ep.discharge_reason)
                    ),
                )
            };
            let msg = Message::builder()
                .from(from.clone())
                .to(to)
                .subject(subject)
                .header(ContentType::TEXT_PLAIN)
                .body(body.clone())
                .map_err(|e| e.to_string())?;
            match transport.send(msg).await {
                Ok(_) => {
                    state
                        .store
                        .message_sent(m.id, &body, storage::now())
                        .await
                        .map_err(|e| e.to_string())?;
                    sent += 1;
                }
                Err(e) => {
                    state
                        .store
                        .message_failed(
                            m.id,
                            &format!("the mail server refused it: {e}"),
                            retry(m.attempts),
                        )
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
            continue;
        }
        // The message back names the person and their health: only to domains trusted with it.
        if !crate::mail::may_carry_personal_data(mail, &m.to_address) {
            state
                .store
                .message_failed(
                    m.id,
                    "not sent: the referrer's email domain is not one allowed to receive personal data (mail_personal_data_domains)",
                    None,
                )
                .await
                .map_err(|e| e.to_string())?;
            continue;
        }
        let body = match gather(state, m.pcn_id, m.episode_id).await {
            Ok(mb) => mb.text(),
            Err(e) => {
                state
                    .store
                    .message_failed(
                        m.id,
                        &format!("could not gather the message: {e:?}"),
                        retry(m.attempts),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                continue;
            }
        };
        let msg = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(format!(
                "Social prescribing: message back to referrer (Linkwork episode {})",
                m.episode_id
            ))
            .header(ContentType::TEXT_PLAIN)
            .body(body.clone())
            .map_err(|e| e.to_string())?;
        match transport.send(msg).await {
            Ok(_) => {
                state
                    .store
                    .message_sent(m.id, &body, storage::now())
                    .await
                    .map_err(|e| e.to_string())?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(message = m.id, error = %e, "message back not sent; will retry");
                state
                    .store
                    .message_failed(
                        m.id,
                        &format!("the mail server refused it: {e}"),
                        retry(m.attempts),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(sent)
}
