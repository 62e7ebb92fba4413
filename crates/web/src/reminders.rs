//! Reminders to community organisations: a referral not answered by its due date is
//! flagged on the link worker's pages, and the organisation's Linkwork users are emailed
//! once through the configured SMTP relay. The email names the service and the date, never
//! the person: details stay behind sign-in.

use crate::AppState;
use chrono::Utc;
use domain::Role;
use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncTransport, Message};
use std::collections::HashMap;

/// Sends one reminder per overdue, unreminded referral to its organisation's partner users
/// and marks it reminded. Returns how many referrals were reminded. Without mail settings it
/// sends nothing (the overdue flag still shows in Linkwork). A referral whose email fails
/// stays unreminded, so the next run tries again; one to an organisation with no Linkwork
/// users is left for the link worker to chase.
pub async fn send_overdue(state: &AppState) -> Result<usize, String> {
    let Some(mail) = &state.config.mail else {
        return Ok(0);
    };
    let overdue = state
        .store
        .overdue_unreminded(Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    if overdue.is_empty() {
        return Ok(0);
    }
    let mut recipients: HashMap<i64, Vec<Mailbox>> = HashMap::new();
    for u in state
        .store
        .list_users(None)
        .await
        .map_err(|e| e.to_string())?
    {
        if let (Role::Partner, Some(org), false) = (u.role, u.partner_org_id, u.disabled) {
            if let Ok(addr) = u.email.parse() {
                recipients
                    .entry(org)
                    .or_default()
                    .push(Mailbox::new(Some(u.name.clone()), addr));
            }
        }
    }
    let transport = crate::mail::transport(mail)?;
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|e| format!("bad mail_from: {e}"))?;
    let mut sent = 0;
    for c in overdue {
        let Some(to) = c.partner_org_id.and_then(|o| recipients.get(&o)) else {
            continue;
        };
        let due = c
            .due_at
            .map(|d| domain::uk_time::to_uk(d).format("%-d %B %Y").to_string())
            .unwrap_or_default();
        let mut builder = Message::builder()
            .from(from.clone())
            .subject(format!(
                "Reminder: a referral to {} is waiting for your answer",
                c.service_name
            ))
            .header(ContentType::TEXT_PLAIN);
        for m in to {
            builder = builder.to(m.clone());
        }
        let body = format!(
            "Hello,\n\nA social prescribing link worker referred someone to {service} on {sent}. \
             We asked for an answer by {due} and have not had one yet.\n\n\
             Please sign in to Linkwork to accept or reject the referral:\n{url}/partner/referrals/{id}\n\n\
             If you cannot take new people at the moment, reject it with the reason \"No capacity\" \
             so the link worker can find another option.\n\nThank you,\nLinkwork\n",
            service = c.service_name,
            sent = domain::uk_time::to_uk(c.created_at).format("%-d %B %Y"),
            url = mail.public_url,
            id = c.id,
        );
        let msg = builder.body(body).map_err(|e| e.to_string())?;
        match transport.send(msg).await {
            Ok(_) => {
                state
                    .store
                    .mark_reminded(c.id, Utc::now())
                    .await
                    .map_err(|e| e.to_string())?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(connection = c.id, error = %e, "reminder email not sent");
            }
        }
    }
    Ok(sent)
}

/// Tells an account's owner by email that sign-in to it paused after failed attempts, from
/// one address or (`everywhere`) from many. Sent in the background, so the answer to the
/// sign-in takes no longer; without mail settings it only logs.
pub fn notify_lockout(state: &AppState, user: &storage::User, address: &str, everywhere: bool) {
    let scope = if everywhere {
        "from every device, for a while,".to_string()
    } else {
        format!("from the network address {address} for a while")
    };
    let body = format!(
        "Hello,\n\nThere have been several failed attempts to sign in to your Linkwork account, so \
         signing in to it is paused {scope}.\n\nIf this was you, wait and try again, or ask your \
         administrator to reset your password.\nIf it was not you, tell your administrator: \
         someone may be trying to guess your password.\n\nSign in at {{url}}/login\n\nLinkwork\n"
    );
    tell_owner(
        state,
        user,
        "Linkwork: failed attempts to sign in to your account",
        body,
    );
}

/// Tells an account's owner that someone typed their password rightly and then a wrong code
/// from their authenticator app: someone else may know their password.
pub fn notify_wrong_code(state: &AppState, user: &storage::User, address: &str) {
    let body = format!(
        "Hello,\n\nSomeone signed in to your Linkwork account with your password from the network \
         address {address}, then typed a wrong code from your authenticator app.\n\nIf this was \
         you, there is nothing to do. If it was not you, someone knows your password: change it \
         in Settings at {{url}}/settings, and tell your administrator.\n\nLinkwork\n"
    );
    tell_owner(
        state,
        user,
        "Linkwork: a wrong code after your password",
        body,
    );
}

/// Emails the owner of an account in the background (`{url}` in the body becomes the public
/// address); without mail settings it only logs.
fn tell_owner(state: &AppState, user: &storage::User, subject: &'static str, body: String) {
    let Some(mail) = state.config.mail.clone() else {
        tracing::info!(
            user = user.id,
            subject,
            "no mail set up to tell the account's owner"
        );
        return;
    };
    let (name, email) = (user.name.clone(), user.email.clone());
    tokio::spawn(async move {
        let sent = async {
            let to: Mailbox = email.parse().map_err(|e| format!("{e}"))?;
            let to = Mailbox::new(Some(name), to.email);
            let from: Mailbox = mail
                .from
                .parse()
                .map_err(|e| format!("bad mail_from: {e}"))?;
            let msg = Message::builder()
                .from(from)
                .to(to)
                .subject(subject)
                .header(ContentType::TEXT_PLAIN)
                .body(body.replace("{url}", &mail.public_url))
                .map_err(|e| e.to_string())?;
            crate::mail::transport(&mail)?
                .send(msg)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<(), String>(())
        };
        if let Err(e) = sent.await {
            tracing::warn!(error = %e, subject, "notice to the account's owner not sent");
        }
    });
}

/// Tells an account's owner that a single sign-on identity was linked to their account:
/// if they did not do it, someone else can now sign in as them.
pub fn notify_sso_linked(state: &AppState, user: &storage::User, provider: &str, who: &str) {
    let who = if who.is_empty() {
        String::new()
    } else {
        format!(" ({who})")
    };
    let body = format!(
        "Hello,\n\nA {provider} account{who} was linked to your Linkwork account: it can now be \
         used to sign in to Linkwork as you.\n\nIf this was you, there is nothing to do. If it \
         was not, unlink it in Settings at {{url}}/settings/sign-in, change your password, and \
         tell your administrator.\n\nLinkwork\n"
    );
    tell_owner(
        state,
        user,
        "Linkwork: a sign-in account was linked to yours",
        body,
    );
}
