//! Email out of Linkwork, encrypted wherever it leaves the machine.
//!
//! `smtps://host[:465]` speaks TLS from the start. `smtp://host[:25]` must upgrade with
//! STARTTLS, and the relay's certificate is checked against the public roots (plus
//! `smtp_ca_file`, for a relay with a private CA); the mail is not sent otherwise. Only a
//! relay on this machine (loopback), or a deployment that sets `smtp_allow_plain`, may be
//! spoken to in plain text, and even then STARTTLS is used when the relay offers it.
//! Emails that carry personal data (the message back) go only to the domains in
//! `mail_personal_data_domains`, when that list is set.

use crate::config::MailConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`smtps://`).
    Tls,
    /// STARTTLS, required: no TLS, no mail.
    StartTls,
    /// STARTTLS when the relay offers it, else plain (loopback, or allowed by the deployment).
    StartTlsIfOffered,
}

/// A relay from `smtp_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<(String, String)>,
}

impl Relay {
    /// Whether mail to this relay may travel unencrypted (said at start-up).
    pub fn may_be_plain(&self) -> bool {
        self.security == Security::StartTlsIfOffered && !is_loopback(&self.host)
    }
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Reads `smtp://[user:password@]host[:port]` or `smtps://…`.
pub fn relay(url: &str, allow_plain: bool) -> Result<Relay, String> {
    let (rest, implicit) = if let Some(r) = url.strip_prefix("smtps://") {
        (r, true)
    } else if let Some(r) = url.strip_prefix("smtp://") {
        (r, false)
    } else {
        return Err(format!(
            "smtp_url must start smtps:// (TLS) or smtp:// (STARTTLS), like smtp://relay.example.nhs.uk:587, not '{url}'"
        ));
    };
    let rest = rest.trim_end_matches('/');
    let (creds, hostport) = match rest.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, rest),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !p.contains(']') => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("the port in smtp_url must be a number, not '{p}'"))?,
        ),
        _ => (hostport, if implicit { 465 } else { 25 }),
    };
    if host.is_empty() {
        return Err("smtp_url has no host".into());
    }
    let security = if implicit {
        Security::Tls
    } else if allow_plain || is_loopback(host) {
        Security::StartTlsIfOffered
    } else {
        Security::StartTls
    };
    Ok(Relay {
        host: host.to_string(),
        port,
        security,
        user: creds.map(|c| {
            let (u, p) = c.split_once(':').unwrap_or((c, ""));
            (u.to_string(), p.to_string())
        }),
    })
}

/// The transport for the configured relay.
pub fn transport(mail: &MailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let r = relay(&mail.smtp_url, mail.allow_plain)?;
    let mut params = TlsParameters::builder(r.host.clone());
    if let Some(path) = &mail.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read smtp_ca_file {}: {e}", path.display()))?;
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            format!(
                "smtp_ca_file {} is not a PEM certificate: {e}",
                path.display()
            )
        })?;
        params = params.add_root_certificate(cert);
    }
    let params = params
        .build_rustls()
        .map_err(|e| format!("TLS settings for the mail relay: {e}"))?;
    let tls = match r.security {
        Security::Tls => Tls::Wrapper(params),
        Security::StartTls => Tls::Required(params),
        Security::StartTlsIfOffered => Tls::Opportunistic(params),
    };
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&r.host)
        .port(r.port)
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(20)));
    if let Some((user, pass)) = r.user {
        b = b.credentials(Credentials::new(user, pass));
    }
    Ok(b.build())
}

/// Sends one plain-text email through the configured relay.
pub async fn send_text(
    mail: &MailConfig,
    to: &str,
    subject: &str,
    body: String,
) -> Result<(), String> {
    use lettre::message::{header::ContentType, Mailbox};
    use lettre::{AsyncTransport, Message};
    let to: Mailbox = to.parse().map_err(|e| format!("bad address {to}: {e}"))?;
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|e| format!("bad mail_from: {e}"))?;
    let msg = Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| e.to_string())?;
    transport(mail)?
        .send(msg)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Whether an email carrying personal data may go to `address`: yes when no list is set,
/// else when its domain is on the list (`nhs.net`, or `*.gov.uk` for any below it).
pub fn may_carry_personal_data(mail: &MailConfig, address: &str) -> bool {
    mail.personal_data_domains.is_empty() || in_domains(&mail.personal_data_domains, address)
}

/// Whether an address is at one of `domains` (`nhs.net` exactly, `*.gov.uk` any below it).
pub fn in_domains(domains: &[String], address: &str) -> bool {
    let Some((_, domain)) = address.trim().rsplit_once('@') else {
        return false;
    };
    if !::domain::person::looks_like_email(address.trim()) {
        return false;
    }
    let domain = domain.to_ascii_lowercase();
    domains.iter().any(|d| {
        let d = d.trim().to_ascii_lowercase();
        match d.strip_prefix("*.") {
            Some(parent) => domain.ends_with(&format!(".{parent}")),
            None => domain == d,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_leaving_the_machine_must_be_encrypted() {
        let r = relay("smtp://relay.example.nhs.uk:587", false).unwrap();
        assert_eq!((r.port, r.security), (587, Security::StartTls));
        assert!(!r.may_be_plain());
        let r = relay("smtps://user:secret@send.example.net", false).unwrap();
        assert_eq!((r.port, r.security), (465, Security::Tls));
        assert_eq!(r.user, Some(("user".into(), "secret".into())));
        // A relay on this machine may be plain (it upgrades if offered).
        for local in [
            "smtp://127.0.0.1:2525",
            "smtp://localhost",
            "smtp://[::1]:25",
        ] {
            let r = relay(local, false).unwrap();
            assert_eq!(r.security, Security::StartTlsIfOffered, "{local}");
            assert!(!r.may_be_plain(), "{local}");
        }
        // Elsewhere only when the deployment says so, and then it is said at start-up.
        let r = relay("smtp://relay.internal", true).unwrap();
        assert_eq!((r.port, r.security), (25, Security::StartTlsIfOffered));
        assert!(r.may_be_plain());
        for bad in ["http://relay", "relay:25", "smtp://", "smtp://relay:port"] {
            assert!(relay(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn personal_data_goes_only_to_the_domains_listed() {
        let mut m = MailConfig {
            smtp_url: "smtp://127.0.0.1".into(),
            from: "Linkwork <linkwork@localhost>".into(),
            public_url: "http://localhost".into(),
            allow_plain: false,
            ca_file: None,
            personal_data_domains: vec![],
        };
        assert!(may_carry_personal_data(&m, "anyone@example.com"));
        m.personal_data_domains = vec!["nhs.net".into(), "*.gov.uk".into()];
        for ok in [
            "gp@nhs.net",
            "GP@NHS.NET",
            "pc@police.gov.uk",
            "a@x.leeds.gov.uk",
        ] {
            assert!(may_carry_personal_data(&m, ok), "{ok}");
        }
        for no in [
            "a@gmail.com",
            "a@notnhs.net",
            "a@gov.uk.evil.example",
            "a@evil.com>.gov.uk",
            "a@evil.com>@x.gov.uk",
            "<a@evil.com>.police.gov.uk",
            "a@gov.uk",
            "nobody",
        ] {
            assert!(!may_carry_personal_data(&m, no), "{no}");
        }
    }
}
