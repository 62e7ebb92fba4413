//! Configuration, layered: built-in defaults < TOML file < `LINKWORK_*` environment
//! variables < command-line flags. `linkwork config example` prints a commented file.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where Linkwork keeps its files (the SQLite database, backups).
    pub data_dir: PathBuf,
    /// `sqlite://…` (default: `<data_dir>/linkwork.db`) or `postgres://…`.
    pub database_url: Option<String>,
    /// Address and port to listen on.
    pub listen: String,
    /// Log filter, e.g. "info" or "linkwork=debug,info".
    pub log: String,
    /// Mark cookies Secure and send HSTS: set when served over HTTPS.
    pub secure_cookies: bool,
    pub session_idle_minutes: u64,
    pub session_absolute_hours: u64,
    pub max_failed_logins: u32,
    pub lockout_minutes: u64,
    /// Refuse an address after this many failed sign-ins within `lockout_minutes`.
    pub max_failed_logins_per_address: u32,
    /// Behind a reverse proxy that sets X-Forwarded-For: take the client's address from it.
    pub trust_forwarded_for: bool,
    /// Personal API tokens stop working this many days after they were made.
    pub api_token_days: u64,
    /// Report counts below this (other than 0) are withheld; at least 5.
    pub report_small_number: i64,
    /// Roles that must sign in with an authenticator app as a second factor, by code
    /// (e.g. ["link_worker", "manager", "supervisor", "admin"]); empty requires none.
    pub second_factor_roles: Vec<String>,
    /// Seconds a client has to send a request's headers.
    pub header_read_timeout_seconds: u64,
    /// Seconds a request may take, reading its body and answering.
    pub request_timeout_seconds: u64,
    /// PostgreSQL connections per node.
    pub pg_max_connections: u32,
    /// New referrals waiting longer than this for first contact are flagged.
    pub first_contact_wait_days: i64,
    /// Unsuccessful attempts before an episode may be closed as unable to contact.
    pub unable_to_contact_attempts: u32,
    /// Flag a link worker to managers when a kind of supervision is older than this.
    pub supervision_interval_days: i64,
    /// SMTP relay for Linkwork's emails: "smtps://host:465" (TLS) or "smtp://host:587"
    /// (STARTTLS required unless on this machine); none sends no email.
    pub smtp_url: Option<String>,
    /// Allow plain SMTP to a relay that is not on this machine (warned at start-up).
    pub smtp_allow_plain: bool,
    /// A PEM certificate to trust for the relay, besides the public roots.
    pub smtp_ca_file: Option<PathBuf>,
    /// Domains allowed to receive emails carrying personal data (the message back), e.g.
    /// ["nhs.net", "*.gov.uk"]; empty allows any.
    pub mail_personal_data_domains: Vec<String>,
    /// The From address of Linkwork's emails.
    pub mail_from: String,
    /// GOV.UK Notify API key for texts to people; none keeps them in the outbox, marked.
    pub notify_api_key: Option<String>,
    /// Notify's address (set only for a test double).
    pub notify_base_url: String,
    /// The Notify template id of the reminder text (uses ((link_worker)), ((day)), ((time))).
    pub notify_reminder_template: String,
    /// Notify template ids for a person's plan link (((link_worker)), ((url)), ((until))) and
    /// one-time code (((code)), ((minutes))), by text and by email. Unset: texts are not
    /// sent; emails go through the SMTP relay when there is one.
    pub notify_plan_link_sms_template: String,
    pub notify_plan_link_email_template: String,
    pub notify_code_sms_template: String,
    pub notify_code_email_template: String,
    /// The Notify email template asking a referrer without an account to confirm
    /// (((pcn)), ((url)), ((hours)), ((reference))); unset: sent through the SMTP relay.
    pub notify_referrer_confirm_email_template: String,
    /// The bearer token Notify sends with delivery receipts to /notify/callback.
    pub notify_callback_token: Option<String>,
    /// The address people reach Linkwork at, for links in emails.
    pub public_url: String,
    /// Single sign-on providers (OpenID Connect), `[[sign_in_providers]]` tables. A
    /// provider's secret can come from `LINKWORK_SSO_<NAME>_CLIENT_SECRET` instead.
    pub sign_in_providers: Vec<web::sso::ProviderSettings>,
    /// The providers, checked and ready (built from `sign_in_providers` when loaded).
    #[serde(skip)]
    pub sso: Vec<std::sync::Arc<web::sso::Provider>>,
    /// SNOMED CT concepts an inbound FHIR referral may give as its only reason, each mapped
    /// to a Linkwork need (`[fhir_reason_codes]`: `"<concept id>" = "<need code>"`). None
    /// are shipped: which codes a deployment's GP systems send is its to check.
    pub fhir_reason_codes: std::collections::BTreeMap<String, String>,
    /// Codings added to outcome measures' Observation.code, `[[fhir_measure_codes]]` tables
    /// (`instrument`, `system`, `code`, optional `display`). None are shipped: LOINC and
    /// SNOMED CT codes for ONS4, SWEMWBS, WEMWBS and MYCaW are the deployment's to verify.
    pub fhir_measure_codes: Vec<MeasureCode>,
}

/// One coding a deployment adds to an instrument's Observations.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasureCode {
    pub instrument: String,
    pub system: String,
    pub code: String,
    #[serde(default)]
    pub display: Option<String>,
}

/// The public address when none is configured (it then follows `listen`).
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("linkwork-data"),
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            log: "info".into(),
            secure_cookies: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            max_failed_logins: 5,
            lockout_minutes: 15,
            max_failed_logins_per_address: 30,
            api_token_days: 90,
            report_small_number: web::SMALL_NUMBER,
            second_factor_roles: vec![],
            header_read_timeout_seconds: 20,
            request_timeout_seconds: 120,
            trust_forwarded_for: false,
            pg_max_connections: 16,
            first_contact_wait_days: 7,
            unable_to_contact_attempts: 3,
            supervision_interval_days: 31,
            smtp_url: None,
            smtp_allow_plain: false,
            smtp_ca_file: None,
            mail_personal_data_domains: vec![],
            mail_from: "Linkwork <linkwork@localhost>".into(),
            notify_api_key: None,
            notify_base_url: web::notify::NOTIFY_URL.into(),
            notify_reminder_template: String::new(),
            notify_plan_link_sms_template: String::new(),
            notify_plan_link_email_template: String::new(),
            notify_code_sms_template: String::new(),
            notify_code_email_template: String::new(),
            notify_referrer_confirm_email_template: String::new(),
            notify_callback_token: None,
            public_url: DEFAULT_PUBLIC_URL.into(),
            sign_in_providers: vec![],
            sso: vec![],
            fhir_reason_codes: Default::default(),
            fhir_measure_codes: vec![],
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("listen", &self.listen)
            .field("log", &self.log)
            .field("secure_cookies", &self.secure_cookies)
            .finish_non_exhaustive()
    }
}

/// Hides a password in a database URL for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Flags that override everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
}

impl Config {
    /// Loads the layers. `env` is passed in so tests need not touch the process environment.
    pub fn load(flags: &Overrides, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let file = flags
            .config_file
            .clone()
            .or_else(|| env("LINKWORK_CONFIG").map(PathBuf::from))
            .or_else(|| Some(PathBuf::from("linkwork.toml")).filter(|p| p.exists()));
        let mut c = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                toml::from_str::<Config>(&text)
                    .with_context(|| format!("config file {} is not valid", path.display()))?
            }
            None => Config::default(),
        };
        let parse = |key: &str, v: String| -> Result<u64> {
            v.trim()
                .parse()
                .with_context(|| format!("{key} must be a whole number, not '{v}'"))
        };
        if let Some(v) = env("LINKWORK_DATA_DIR") {
            c.data_dir = v.into();
        }
        if let Some(v) = env("LINKWORK_DATABASE_URL") {
            c.database_url = Some(v);
        }
        if let Some(v) = env("LINKWORK_LISTEN") {
            c.listen = v;
        }
        if let Some(v) = env("LINKWORK_LOG") {
            c.log = v;
        }
        if let Some(v) = env("LINKWORK_SECURE_COOKIES") {
            c.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("LINKWORK_SESSION_IDLE_MINUTES") {
            c.session_idle_minutes = parse("LINKWORK_SESSION_IDLE_MINUTES", v)?;
        }
        if let Some(v) = env("LINKWORK_MAX_FAILED_LOGINS") {
            c.max_failed_logins = parse("LINKWORK_MAX_FAILED_LOGINS", v)? as u32;
        }
        if let Some(v) = env("LINKWORK_REPORT_SMALL_NUMBER") {
            c.report_small_number = parse("LINKWORK_REPORT_SMALL_NUMBER", v)? as i64;
        }
        if let Some(v) = env("LINKWORK_SECOND_FACTOR_ROLES") {
            c.second_factor_roles = v
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
        }
        if let Some(v) = env("LINKWORK_API_TOKEN_DAYS") {
            c.api_token_days = parse("LINKWORK_API_TOKEN_DAYS", v)?;
        }
        if let Some(v) = env("LINKWORK_LOCKOUT_MINUTES") {
            c.lockout_minutes = parse("LINKWORK_LOCKOUT_MINUTES", v)?;
        }
        if let Some(v) = env("LINKWORK_SESSION_ABSOLUTE_HOURS") {
            c.session_absolute_hours = parse("LINKWORK_SESSION_ABSOLUTE_HOURS", v)?;
        }
        if let Some(v) = env("LINKWORK_MAX_FAILED_LOGINS_PER_ADDRESS") {
            c.max_failed_logins_per_address =
                parse("LINKWORK_MAX_FAILED_LOGINS_PER_ADDRESS", v)? as u32;
        }
        if let Some(v) = env("LINKWORK_TRUST_FORWARDED_FOR") {
            c.trust_forwarded_for = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("LINKWORK_HEADER_READ_TIMEOUT_SECONDS") {
            c.header_read_timeout_seconds = parse("LINKWORK_HEADER_READ_TIMEOUT_SECONDS", v)?;
        }
        if let Some(v) = env("LINKWORK_REQUEST_TIMEOUT_SECONDS") {
            c.request_timeout_seconds = parse("LINKWORK_REQUEST_TIMEOUT_SECONDS", v)?;
        }
        if let Some(v) = env("LINKWORK_PG_MAX_CONNECTIONS") {
            c.pg_max_connections = parse("LINKWORK_PG_MAX_CONNECTIONS", v)? as u32;
        }
        if let Some(v) = env("LINKWORK_FIRST_CONTACT_WAIT_DAYS") {
            c.first_contact_wait_days = parse("LINKWORK_FIRST_CONTACT_WAIT_DAYS", v)? as i64;
        }
        if let Some(v) = env("LINKWORK_UNABLE_TO_CONTACT_ATTEMPTS") {
            c.unable_to_contact_attempts = parse("LINKWORK_UNABLE_TO_CONTACT_ATTEMPTS", v)? as u32;
        }
        if let Some(v) = env("LINKWORK_SUPERVISION_INTERVAL_DAYS") {
            c.supervision_interval_days = parse("LINKWORK_SUPERVISION_INTERVAL_DAYS", v)? as i64;
        }
        if let Some(v) = env("LINKWORK_SMTP_URL") {
            c.smtp_url = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = env("LINKWORK_SMTP_ALLOW_PLAIN") {
            c.smtp_allow_plain = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("LINKWORK_SMTP_CA_FILE") {
            c.smtp_ca_file = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if let Some(v) = env("LINKWORK_MAIL_PERSONAL_DATA_DOMAINS") {
            c.mail_personal_data_domains = v
                .split(',')
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
                .collect();
        }
        if let Some(v) = env("LINKWORK_NOTIFY_API_KEY") {
            c.notify_api_key = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = env("LINKWORK_NOTIFY_BASE_URL") {
            c.notify_base_url = v;
        }
        if let Some(v) = env("LINKWORK_NOTIFY_REMINDER_TEMPLATE") {
            c.notify_reminder_template = v;
        }
        for (name, field) in [
            (
                "LINKWORK_NOTIFY_PLAN_LINK_SMS_TEMPLATE",
                &mut c.notify_plan_link_sms_template,
            ),
            (
                "LINKWORK_NOTIFY_PLAN_LINK_EMAIL_TEMPLATE",
                &mut c.notify_plan_link_email_template,
            ),
            (
                "LINKWORK_NOTIFY_CODE_SMS_TEMPLATE",
                &mut c.notify_code_sms_template,
            ),
            (
                "LINKWORK_NOTIFY_CODE_EMAIL_TEMPLATE",
                &mut c.notify_code_email_template,
            ),
            (
                "LINKWORK_NOTIFY_REFERRER_CONFIRM_EMAIL_TEMPLATE",
                &mut c.notify_referrer_confirm_email_template,
            ),
        ] {
            if let Some(v) = env(name) {
                *field = v;
            }
        }
        if let Some(v) = env("LINKWORK_NOTIFY_CALLBACK_TOKEN") {
            c.notify_callback_token = Some(v).filter(|v| !v.trim().is_empty());
        }
        if let Some(v) = env("LINKWORK_MAIL_FROM") {
            c.mail_from = v;
        }
        if let Some(v) = env("LINKWORK_PUBLIC_URL") {
            c.public_url = v;
        }
        if let Some(v) = &flags.data_dir {
            c.data_dir = v.clone();
        }
        if let Some(v) = &flags.database_url {
            c.database_url = Some(v.clone());
        }
        if let Some(v) = &flags.listen {
            c.listen = v.clone();
        }
        if let Some(url) = &c.smtp_url {
            web::mail::relay(url, c.smtp_allow_plain).map_err(|e| anyhow::anyhow!(e))?;
        }
        if let Some(key) = &c.notify_api_key {
            web::notify::key_parts(key).map_err(|e| anyhow::anyhow!(e))?;
            if c.notify_reminder_template.trim().is_empty() {
                bail!("notify_reminder_template must be set with notify_api_key (the id of the reminder text's template in Notify)");
            }
        }
        if !(1..=366).contains(&c.supervision_interval_days) {
            bail!("supervision_interval_days must be from 1 to 366");
        }
        for r in &c.second_factor_roles {
            if <domain::Role as domain::Code>::from_code(r).is_none() {
                bail!(
                    "second_factor_roles: {r} is not a role (use {})",
                    <domain::Role as domain::Code>::ALL
                        .iter()
                        .map(|r| domain::Code::code(*r))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        if c.report_small_number < web::SMALL_NUMBER {
            bail!(
                "report_small_number must be at least {}: smaller counts could identify people",
                web::SMALL_NUMBER
            );
        }
        if c.api_token_days == 0 || c.api_token_days > 3650 {
            bail!("api_token_days must be between 1 and 3650");
        }
        if c.max_failed_logins == 0 {
            bail!("max_failed_logins must be at least 1");
        }
        if c.max_failed_logins_per_address == 0 {
            bail!("max_failed_logins_per_address must be at least 1");
        }
        if c.header_read_timeout_seconds == 0 || c.request_timeout_seconds == 0 {
            bail!("header_read_timeout_seconds and request_timeout_seconds must be at least 1");
        }
        if c.session_idle_minutes == 0 || c.session_absolute_hours == 0 {
            bail!("session_idle_minutes and session_absolute_hours must be at least 1");
        }
        let mut sso = Vec::new();
        for p in &c.sign_in_providers {
            let mut p = p.clone();
            let key = format!(
                "LINKWORK_SSO_{}_CLIENT_SECRET",
                p.name.to_uppercase().replace('-', "_")
            );
            if let Some(secret) = env(&key) {
                p.client_secret = Some(secret);
            }
            if sso
                .iter()
                .any(|q: &std::sync::Arc<web::sso::Provider>| q.name == p.name)
            {
                bail!("sign_in_providers: the name {} is used twice", p.name);
            }
            let provider = web::sso::Provider::from_settings(p).map_err(|e| anyhow::anyhow!(e))?;
            sso.push(std::sync::Arc::new(provider));
        }
        c.sso = sso;
        for m in &c.fhir_measure_codes {
            if <domain::Instrument as domain::Code>::from_code(&m.instrument).is_none() {
                bail!(
                    "fhir_measure_codes: '{}' is not an instrument; use one of: {}",
                    m.instrument,
                    <domain::Instrument as domain::Code>::ALL
                        .iter()
                        .map(|i| domain::Code::code(*i))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let uri = m.system.starts_with("http://")
                || m.system.starts_with("https://")
                || m.system.starts_with("urn:");
            if !uri || m.system.contains(char::is_whitespace) {
                bail!("fhir_measure_codes: the system '{}' must be an absolute URI (http://loinc.org, http://snomed.info/sct …)", m.system);
            }
            if m.code.is_empty() || m.code.len() > 64 || m.code.contains(char::is_whitespace) {
                bail!("fhir_measure_codes: the code '{}' for {} must be 1 to 64 characters with no spaces", m.code, m.instrument);
            }
        }
        for (concept, need) in &c.fhir_reason_codes {
            let id_ok =
                (6..=18).contains(&concept.len()) && concept.chars().all(|ch| ch.is_ascii_digit());
            if !id_ok {
                bail!(
                    "fhir_reason_codes: '{concept}' is not a SNOMED CT concept id (6 to 18 digits)"
                );
            }
            if <domain::Need as domain::Code>::from_code(need).is_none() {
                bail!(
                    "fhir_reason_codes: '{need}' (for {concept}) is not a need; use one of: {}",
                    <domain::Need as domain::Code>::ALL
                        .iter()
                        .map(|n| domain::Code::code(*n))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        Ok(c)
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| sqlite_url(&self.data_dir.join("linkwork.db")))
    }

    pub fn web(&self) -> web::WebConfig {
        use std::time::Duration;
        // The default public address follows --listen, so the demo on another port links
        // to itself; a deployment sets public_url to the address people use.
        let public_url = if self.public_url == DEFAULT_PUBLIC_URL {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_string()
        };
        web::WebConfig {
            sso: self.sso.clone(),
            reason_codes: self
                .fhir_reason_codes
                .iter()
                .filter_map(|(concept, need)| {
                    Some((
                        concept.clone(),
                        <domain::Need as domain::Code>::from_code(need)?,
                    ))
                })
                .collect(),
            measure_codes: {
                let mut out: std::collections::HashMap<domain::Instrument, Vec<serde_json::Value>> =
                    Default::default();
                for m in &self.fhir_measure_codes {
                    if let Some(i) = <domain::Instrument as domain::Code>::from_code(&m.instrument)
                    {
                        let mut coding = serde_json::json!({"system": m.system, "code": m.code});
                        if let Some(d) = m.display.as_deref().filter(|d| !d.trim().is_empty()) {
                            coding["display"] = serde_json::json!(d);
                        }
                        out.entry(i).or_default().push(coding);
                    }
                }
                out
            },
            second_factor_roles: self
                .second_factor_roles
                .iter()
                .filter_map(|r| <domain::Role as domain::Code>::from_code(r))
                .collect(),
            public_url: public_url.clone(),
            secure_cookies: self.secure_cookies,
            session_idle: Duration::from_secs(self.session_idle_minutes * 60),
            session_absolute: Duration::from_secs(self.session_absolute_hours * 3600),
            max_failed_logins: self.max_failed_logins,
            lockout: Duration::from_secs(self.lockout_minutes * 60),
            max_failed_logins_per_address: self.max_failed_logins_per_address,
            trust_forwarded_for: self.trust_forwarded_for,
            first_contact_wait_days: self.first_contact_wait_days,
            unable_to_contact_attempts: self.unable_to_contact_attempts,
            supervision_interval_days: self.supervision_interval_days,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds),
            request_timeout: Duration::from_secs(self.request_timeout_seconds),
            api_token_lifetime: Duration::from_secs(self.api_token_days * 24 * 3600),
            address_pause: Duration::from_secs(2),
            small_number: self.report_small_number,
            mail: self.smtp_url.as_ref().map(|url| web::MailConfig {
                smtp_url: url.clone(),
                from: self.mail_from.clone(),
                public_url: public_url.clone(),
                allow_plain: self.smtp_allow_plain,
                ca_file: self.smtp_ca_file.clone(),
                personal_data_domains: self.mail_personal_data_domains.clone(),
            }),
            notify: self
                .notify_api_key
                .as_ref()
                .map(|key| web::notify::NotifyConfig {
                    api_key: key.clone(),
                    base_url: self.notify_base_url.clone(),
                    reminder_sms_template: self.notify_reminder_template.clone(),
                    plan_link_sms_template: self.notify_plan_link_sms_template.clone(),
                    plan_link_email_template: self.notify_plan_link_email_template.clone(),
                    code_sms_template: self.notify_code_sms_template.clone(),
                    code_email_template: self.notify_code_email_template.clone(),
                    referrer_confirm_email_template: self
                        .notify_referrer_confirm_email_template
                        .clone(),
                    callback_token: self.notify_callback_token.clone(),
                }),
            ..Default::default()
        }
    }
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

pub const EXAMPLE: &str = r#"# Linkwork configuration. Every setting is optional; shown here with its default.
# Precedence: these defaults < this file < LINKWORK_* environment variables < command-line flags.
# Use it with `linkwork --config linkwork.toml serve` (or LINKWORK_CONFIG, or ./linkwork.toml).

# Where Linkwork keeps its files: the SQLite database and backups.   (LINKWORK_DATA_DIR, --data-dir)
data_dir = "linkwork-data"

# The database. Default: SQLite at <data_dir>/linkwork.db.           (LINKWORK_DATABASE_URL, --database-url)
# For several nodes, use PostgreSQL: "postgres://linkwork:secret@db.internal:5432/linkwork"
# database_url = "sqlite://linkwork-data/linkwork.db"

# Address and port to listen on.                                     (LINKWORK_LISTEN, --listen)
listen = "127.0.0.1:8080"

# Log filter: error, warn, info, debug; per module e.g. "web=debug,info".  (LINKWORK_LOG)
log = "info"

# Set to true when Linkwork is served over HTTPS (directly or behind a proxy):
# cookies become Secure and browsers are told to use HTTPS (HSTS).   (LINKWORK_SECURE_COOKIES)
secure_cookies = false

# Sign people out after this many minutes without activity, and after this many hours in all.
session_idle_minutes = 30                                          # (LINKWORK_SESSION_IDLE_MINUTES)
session_absolute_hours = 12                                        # (LINKWORK_SESSION_ABSOLUTE_HOURS)

# Reports withhold counts from 1 up to one below this (and the figures worked out from them),
# for every role and export, so that no one can be identified. At least 5.
report_small_number = 5                                            # (LINKWORK_REPORT_SMALL_NUMBER)

# Roles that must sign in with an authenticator app as a second factor; they can do nothing
# else until they set one up. The Data Security and Protection Toolkit expects it for access
# to personal data: for example ["link_worker", "manager", "supervisor", "admin"].
#                                         (LINKWORK_SECOND_FACTOR_ROLES, comma-separated)
second_factor_roles = []

# Personal API tokens stop working this many days after they were made.
api_token_days = 90                                                # (LINKWORK_API_TOKEN_DAYS)

# Lock an account after this many failed sign-ins in a row, for this many minutes.
max_failed_logins = 5                                              # (LINKWORK_MAX_FAILED_LOGINS)
lockout_minutes = 15                                               # (LINKWORK_LOCKOUT_MINUTES)
# Refuse a network address after this many failed sign-ins (people or API clients) within
# lockout_minutes, whichever accounts they tried.  (LINKWORK_MAX_FAILED_LOGINS_PER_ADDRESS)
max_failed_logins_per_address = 30
# Behind a reverse proxy that sets X-Forwarded-For, take the client's address from its last
# entry (for the audit log and the limit above). Never set it without such a proxy.
trust_forwarded_for = false                                        # (LINKWORK_TRUST_FORWARDED_FOR)

# A client must send a request's headers within this many seconds, and a request (reading its
# body and answering) may take this many; slow clients cannot hold connections open.
header_read_timeout_seconds = 20                                   # (LINKWORK_HEADER_READ_TIMEOUT_SECONDS)
request_timeout_seconds = 120                                      # (LINKWORK_REQUEST_TIMEOUT_SECONDS)

# PostgreSQL connections per node (ignored for SQLite).              (LINKWORK_PG_MAX_CONNECTIONS)
pg_max_connections = 16

# Flag new referrals waiting longer than this many days for a first contact.  (LINKWORK_FIRST_CONTACT_WAIT_DAYS)
first_contact_wait_days = 7

# Unsuccessful contact attempts before an episode can be closed as "unable to contact".
unable_to_contact_attempts = 3                                     # (LINKWORK_UNABLE_TO_CONTACT_ATTEMPTS)

# Flag a link worker to managers when their GP (line management) or clinical supervision
# is older than this many days.                                     (LINKWORK_SUPERVISION_INTERVAL_DAYS)
supervision_interval_days = 31

# Linkwork's emails (reminders to community organisations, the message back to referrers,
# sign-in notices) go through this SMTP relay; leave it unset to send no email.
# smtps://host:465 speaks TLS; smtp://host:587 must upgrade with STARTTLS, and the relay's
# certificate is checked, or nothing is sent. A relay on this machine (127.0.0.1, localhost)
# may be plain.                                                     (LINKWORK_SMTP_URL)
# smtp_url = "smtp://send.example.nhs.uk:587"
# Allow plain SMTP to a relay elsewhere (warned at start-up).         (LINKWORK_SMTP_ALLOW_PLAIN)
smtp_allow_plain = false
# A PEM certificate to trust for the relay (a private CA).           (LINKWORK_SMTP_CA_FILE)
# smtp_ca_file = "/etc/linkwork/relay-ca.pem"
# Domains allowed to receive emails that carry personal data (the message back to the
# referrer); empty allows any.     (LINKWORK_MAIL_PERSONAL_DATA_DOMAINS, comma-separated)
mail_personal_data_domains = []

# Texts to people (a reminder the day before a contact, to those who agreed to texts) go
# through GOV.UK Notify. Without a key they wait on the Texts page, marked "not sent".
#                                                                 (LINKWORK_NOTIFY_API_KEY)
# notify_api_key = "linkwork_live-<service id>-<secret>"
# The id of the reminder's template in Notify; it uses ((link_worker)), ((day)) and ((time)).
# notify_reminder_template = "<template id>"                      (LINKWORK_NOTIFY_REMINDER_TEMPLATE)
# Templates for a person's plan link (((link_worker)), ((url)), ((until))) and one-time code
# (((code)), ((minutes))) by text and email, and the email a referrer without an account
# confirms (((pcn)), ((url)), ((hours)), ((reference))). Unset: not sent by that channel
# through Notify (emails then go through smtp_url).   (LINKWORK_NOTIFY_PLAN_LINK_SMS_TEMPLATE …)
# notify_plan_link_sms_template = "<template id>"
# notify_plan_link_email_template = "<template id>"
# notify_code_sms_template = "<template id>"
# notify_code_email_template = "<template id>"
# notify_referrer_confirm_email_template = "<template id>"
# The bearer token you give Notify for delivery receipts to <public_url>/notify/callback.
# notify_callback_token = "<a long random string>"                (LINKWORK_NOTIFY_CALLBACK_TOKEN)
notify_base_url = "https://api.notifications.service.gov.uk"       # (LINKWORK_NOTIFY_BASE_URL)
mail_from = "Linkwork <linkwork@localhost>"                        # (LINKWORK_MAIL_FROM)
# The address people and systems use to reach Linkwork. Every absolute URL Linkwork writes
# starts with it (FHIR links and token endpoint, links in emails), never with a request's
# Host header. https:// makes cookies Secure with the __Host- prefix and turns on HSTS.
# Left at this default, it follows `listen`.                         (LINKWORK_PUBLIC_URL)
public_url = "http://127.0.0.1:8080"

# SNOMED CT reason codes a GP system's FHIR referral may send alone (with no Linkwork need
# coding), each mapped to a Linkwork need. None are shipped: check the codes your systems
# send. An unmapped code alone is refused, naming it (see docs/interoperability.md).
# [fhir_reason_codes]
# "<SNOMED CT concept id>" = "loneliness"

# Codings added to outcome measures' FHIR Observation.code beside Linkwork's own (LOINC,
# SNOMED CT …). None are shipped: verify the codes for ONS4, SWEMWBS, WEMWBS and MYCaW.
# [[fhir_measure_codes]]
# instrument = "swemwbs"
# system = "http://loinc.org"
# code = "<the code you verified>"
# display = "<its display>"

# Single sign-on (OpenID Connect): one table per provider, shown as "Sign in with …".
# Register <public_url>/login/sso/<name>/callback as the redirect URI and
# <public_url>/login?signed_out=1 as the post-logout redirect URI. See docs/sign-in.md.
# [[sign_in_providers]]
# name = "cis2"                                  # in addresses and the audit log
# label = "NHS Care Identity"                    # "Sign in with NHS Care Identity"
# issuer = "https://am.nhsidentity.spineservices.nhs.uk:443/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare"
# client_id = "<from the provider>"
# private_key_file = "/etc/linkwork/cis2-key.pem"   # private_key_jwt (CIS2, NHS login) …
# private_key_id = "<the key id registered with the provider>"
# # client_secret = "…"                          # … or client_secret_basic (Entra, Keycloak);
# #                                              # or LINKWORK_SSO_CIS2_CLIENT_SECRET
# scopes = ["email", "profile"]                  # besides openid
# subject_claim = "sub"                          # the claim that identifies a user
# acr_values = ["AAL3_ANY"]                      # asked for
# required_acr = { link_worker = ["AAL3_ANY"], supervisor = ["AAL3_ANY"] }
# sign_out_at_provider = true                    # RP-initiated logout
# trust_provider_mfa = false                     # it requires MFA of everyone (else second_factor_roles
#                                                # need required_acr, or amr naming a second factor)
# # Accounts made at first sign-in (off unless listed); role and PCN come from here:
# # create_accounts = [{ email_domain = "nhs.net", pcn = "U12345", role = "referrer" }]  (referrers only)
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn the_example_is_a_valid_config_with_the_defaults() {
        let c: Config = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(c.listen, Config::default().listen);
        assert_eq!(c.max_failed_logins, 5);
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("l.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:1111\"\nlog = \"debug\"\nmax_failed_logins = 3\n",
        )
        .unwrap();
        let flags = Overrides {
            config_file: Some(file.clone()),
            ..Default::default()
        };
        let c = Config::load(&flags, &env(&[])).unwrap();
        assert_eq!(
            (c.listen.as_str(), c.log.as_str(), c.max_failed_logins),
            ("127.0.0.1:1111", "debug", 3)
        );
        let c = Config::load(&flags, &env(&[("LINKWORK_LISTEN", "127.0.0.1:2222")])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:2222");
        assert_eq!(c.log, "debug", "file value kept where env is silent");
        let flags = Overrides {
            listen: Some("127.0.0.1:3333".into()),
            ..flags
        };
        let c = Config::load(&flags, &env(&[("LINKWORK_LISTEN", "127.0.0.1:2222")])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:3333");
    }

    #[test]
    fn default_database_is_sqlite_in_the_data_dir() {
        let c = Config::load(
            &Overrides {
                data_dir: Some("/srv/lw".into()),
                ..Default::default()
            },
            &env(&[]),
        )
        .unwrap();
        assert_eq!(c.database_url(), "sqlite:///srv/lw/linkwork.db");
    }

    #[test]
    fn bad_values_are_explained() {
        let err = Config::load(
            &Overrides::default(),
            &env(&[("LINKWORK_LOCKOUT_MINUTES", "soon")]),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("LINKWORK_LOCKOUT_MINUTES must be a whole number"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "listne = \"x\"\n").unwrap();
        let err = Config::load(
            &Overrides {
                config_file: Some(file),
                ..Default::default()
            },
            &env(&[]),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("listne"), "{err:#}");
    }

    #[test]
    fn fhir_reason_codes_are_checked_when_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str| {
            let file = dir.path().join("codes.toml");
            std::fs::write(&file, text).unwrap();
            Config::load(
                &Overrides {
                    config_file: Some(file),
                    ..Default::default()
                },
                &env(&[]),
            )
        };
        let c = load("[fhir_reason_codes]\n\"1000000001\" = \"loneliness\"\n").unwrap();
        assert_eq!(
            c.web().reason_codes.get("1000000001"),
            Some(&domain::Need::Loneliness)
        );
        let err = load("[fhir_reason_codes]\n\"1000000001\" = \"lonely\"\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("'lonely' (for 1000000001) is not a need"),
            "{err:#}"
        );
        let err = load("[fhir_reason_codes]\n\"lonely\" = \"loneliness\"\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("not a SNOMED CT concept id"),
            "{err:#}"
        );
        // The example configuration documents it and still loads.
        assert!(EXAMPLE.contains("[fhir_reason_codes]"));
        // Measure codes: the instrument and the system are checked.
        let c = load("[[fhir_measure_codes]]\ninstrument = \"swemwbs\"\nsystem = \"http://loinc.org\"\ncode = \"X-1\"\n").unwrap();
        assert_eq!(c.web().measure_codes[&domain::Instrument::Swemwbs].len(), 1);
        let err = load("[[fhir_measure_codes]]\ninstrument = \"mood\"\nsystem = \"http://loinc.org\"\ncode = \"X\"\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("'mood' is not an instrument"),
            "{err:#}"
        );
        let err = load(
            "[[fhir_measure_codes]]\ninstrument = \"ons4\"\nsystem = \"loinc\"\ncode = \"X\"\n",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("absolute URI"), "{err:#}");
    }

    #[test]
    fn sign_in_providers_are_checked_when_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str, vars: &[(&str, &str)]| {
            let file = dir.path().join("sso.toml");
            std::fs::write(&file, text).unwrap();
            Config::load(
                &Overrides {
                    config_file: Some(file),
                    ..Default::default()
                },
                &env(vars),
            )
        };
        let good = "[[sign_in_providers]]\nname = \"cis2\"\nlabel = \"NHS Care Identity\"\nissuer = \"https://idp.example\"\nclient_id = \"lw\"\n";
        // The secret can come from the environment instead of the file.
        let c = load(good, &[("LINKWORK_SSO_CIS2_CLIENT_SECRET", "from-env")]).unwrap();
        assert_eq!(c.web().sso.len(), 1);
        assert!(!format!("{:?}", c.web().sso[0]).contains("from-env"));
        for (extra, says) in [
            ("", "set exactly one of client_secret"),
            ("client_secret = \"s\"\nprivate_key_file = \"/nonexistent\"\n", "set exactly one"),
            ("private_key_file = \"/nonexistent\"\n", "private_key_file /nonexistent"),
            ("client_secret = \"s\"\nrequired_acr = { wizard = [\"x\"] }\n", "wizard is not a role"),
            ("client_secret = \"s\"\ncreate_accounts = [{ email_domain = \"nhs.net\", pcn = \"U1\", role = \"admin\" }]\n", "may only make referrer accounts"),
            ("client_secret = \"s\"\ncreate_accounts = [{ email_domain = \"nhs.net\", pcn = \"U1\", role = \"manager\" }]\n", "may only make referrer accounts"),
            ("client_secret = \"s\"\nsubject_claim = \"email\"\n", "never reassigns"),
            ("client_secret = \"s\"\ncreate_accounts = [{ email_domain = \"*.nhs.net\", pcn = \"U1\", role = \"referrer\" }]\n", "one exact domain"),
        ] {
            let err = load(&format!("{good}{extra}"), &[]).unwrap_err();
            assert!(format!("{err:#}").contains(says), "{extra}: {err:#}");
        }
        let err = load(
            &good.replace("https://idp.example", "http://idp.example"),
            &[("LINKWORK_SSO_CIS2_CLIENT_SECRET", "s")],
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("issuer must be https://"),
            "{err:#}"
        );
        let err = load(&good.replace("\"cis2\"", "\"CIS 2\""), &[]).unwrap_err();
        assert!(format!("{err:#}").contains("name must be"), "{err:#}");
        let twice = format!("{good}client_secret = \"s\"\n{good}client_secret = \"s\"\n");
        assert!(format!("{:#}", load(&twice, &[]).unwrap_err()).contains("used twice"));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://lw:s3cret@db:5432/lw"),
            "postgres://lw:***@db:5432/lw"
        );
        let c = Config {
            database_url: Some("postgres://lw:s3cret@db/lw".into()),
            ..Default::default()
        };
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
