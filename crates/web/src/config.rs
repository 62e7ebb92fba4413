//! The web layer's settings: `WebConfig` and its email settings `MailConfig`.

use std::time::Duration;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address people and systems reach Linkwork at (`https://linkwork.example.nhs.uk`):
    /// every absolute URL Linkwork writes (FHIR links, the token endpoint, links in email)
    /// starts with it, never with a request's `Host` header. `https://` turns on `Secure`
    /// `__Host-` cookies and HSTS.
    pub public_url: String,
    /// Set cookies `Secure` and send HSTS even when `public_url` is not https (served over
    /// TLS behind a proxy that rewrites the scheme).
    pub secure_cookies: bool,
    /// Sign-out after this long without a request.
    pub session_idle: Duration,
    /// Sign-out this long after sign-in, whatever the activity.
    pub session_absolute: Duration,
    /// Failed sign-ins before an account is locked.
    pub max_failed_logins: u32,
    /// How long a locked account stays locked, and the window failed sign-ins from one
    /// address are counted over.
    pub lockout: Duration,
    /// Failed sign-ins (people and API clients) from one address within `lockout` before
    /// that address is refused.
    pub max_failed_logins_per_address: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry (set only behind
    /// a reverse proxy that sets it; otherwise anyone could choose their address).
    pub trust_forwarded_for: bool,
    /// New referrals waiting longer than this for a first contact are flagged.
    pub first_contact_wait_days: i64,
    /// Unsuccessful contact attempts before an episode may be closed as unable to contact.
    pub unable_to_contact_attempts: u32,
    /// Supervision (of each kind) older than this many days is flagged to managers.
    pub supervision_interval_days: i64,
    /// Where reminder emails go; none sends no email.
    pub mail: Option<MailConfig>,
    /// How often the outbox of messages back to referrers is checked.
    pub outbox_interval: Duration,
    /// A client must send a request's headers within this long (and between requests on a
    /// kept-alive connection), or the connection is closed: slow-header attacks hold nothing.
    pub header_read_timeout: Duration,
    /// A request (reading its body and answering it) taking longer than this is stopped
    /// with 503 and the connection closed (five times as long for the directory import).
    pub request_timeout: Duration,
    /// Personal API tokens stop working this long after they were made.
    pub api_token_lifetime: Duration,
    /// How long each sign-in attempt from an address over its failure limit waits (they
    /// are answered one at a time).
    pub address_pause: Duration,
    /// Report counts from 1 up to one below this are withheld ("<5"), with what they give
    /// away. The configuration allows 5 or more; the tests of hand-computed figures set 1
    /// (nothing withheld) and a test of its own proves the default.
    pub small_number: i64,
    /// Self-referrals accepted from one network address in an hour; past it the form
    /// asks them to wait (a shared address such as a library counts as one).
    pub self_referrals_per_address: u32,
    /// Tries at a person's own plan per address per hour: unknown plan codes, one-time
    /// codes sent, wrong codes or dates of birth.
    pub plan_tries_per_address: u32,
    /// One-time codes sent for one plan link per hour.
    pub plan_codes_per_link: u32,
    /// GOV.UK Notify, for texts to people; none keeps them in the outbox, marked.
    pub notify: Option<crate::notify::NotifyConfig>,
    /// Roles that must sign in with a second factor (an authenticator app): they can do
    /// nothing but set one up until they have.
    pub second_factor_roles: Vec<domain::Role>,
    /// Single sign-on providers (OpenID Connect), shown as "Sign in with …" buttons.
    pub sso: Vec<std::sync::Arc<crate::sso::Provider>>,
    /// SNOMED CT concepts an inbound referral may give as its only reason, and the need each
    /// is read as (the deployment's `[fhir_reason_codes]`).
    pub reason_codes: std::collections::HashMap<String, domain::Need>,
    /// Codings a deployment adds to each outcome measure's Observation.code (LOINC, SNOMED
    /// CT …), by instrument (the deployment's `[[fhir_measure_codes]]`).
    pub measure_codes: std::collections::HashMap<domain::Instrument, Vec<serde_json::Value>>,
}

impl WebConfig {
    /// Served over HTTPS: cookies are `Secure` with the `__Host-` prefix, and browsers are
    /// told to stay on HTTPS (HSTS).
    pub fn https(&self) -> bool {
        self.secure_cookies || self.public_url.starts_with("https://")
    }
}

/// Email settings.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `smtps://host:port` (TLS) or `smtp://host:port` (STARTTLS required, unless the relay
    /// is on this machine or `allow_plain`): see `mail`.
    pub smtp_url: String,
    pub from: String,
    /// Linkwork's address, for links in emails (no trailing slash).
    pub public_url: String,
    /// Allow plain SMTP to a relay not on this machine (STARTTLS is still used if offered).
    pub allow_plain: bool,
    /// A PEM certificate to trust for the relay besides the public roots (a private CA).
    pub ca_file: Option<std::path::PathBuf>,
    /// Domains that may receive emails carrying personal data (`nhs.net`, `*.gov.uk`); empty
    /// allows any.
    pub personal_data_domains: Vec<String>,
}

impl MailConfig {
    /// A relay with the defaults: TLS as the URL says, public roots, any recipient domain.
    pub fn new(
        smtp_url: impl Into<String>,
        from: impl Into<String>,
        public_url: impl Into<String>,
    ) -> Self {
        Self {
            smtp_url: smtp_url.into(),
            from: from.into(),
            public_url: public_url.into(),
            allow_plain: false,
            ca_file: None,
            personal_data_domains: vec![],
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: "http://localhost".into(),
            secure_cookies: false,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 60 * 60),
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            max_failed_logins_per_address: 30,
            trust_forwarded_for: false,
            first_contact_wait_days: 7,
            unable_to_contact_attempts: 3,
            supervision_interval_days: 31,
            mail: None,
            outbox_interval: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(120),
            api_token_lifetime: Duration::from_secs(90 * 24 * 3600),
            address_pause: Duration::from_secs(2),
            small_number: reports::SMALL_NUMBER,
            self_referrals_per_address: 5,
            plan_tries_per_address: 20,
            plan_codes_per_link: 5,
            second_factor_roles: vec![],
            sso: vec![],
            reason_codes: Default::default(),
            measure_codes: Default::default(),
            notify: None,
        }
    }
}
