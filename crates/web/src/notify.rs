//! Texts and emails to people through GOV.UK Notify's REST API.
//!
//! Each request carries a JWT (HS256) whose issuer is the service id and whose `iat` is now,
//! signed with the API key's secret; the key is written `{name}-{service id}-{secret}` (two
//! UUIDs at the end). `POST /v2/notifications/sms` and `/v2/notifications/email` take a
//! template id, personalisation and our reference. Notify's answer decides what happens
//! next: 201 sent; 400 and 403 will never succeed (a wrong number is shown to staff); 429 and
//! 5xx, or no answer, are tried again later. Delivery receipts come back to
//! `POST /notify/callback` with the bearer token the deployment set.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// Notify's address, unless the deployment says otherwise (a test double).
pub const NOTIFY_URL: &str = "https://api.notifications.service.gov.uk";

/// Settings for Notify.
#[derive(Clone)]
pub struct NotifyConfig {
    /// `{key name}-{service id}-{secret}`.
    pub api_key: String,
    pub base_url: String,
    /// The template of the reminder text the day before a contact: it uses
    /// `((link_worker))`, `((day))` and `((time))`.
    pub reminder_sms_template: String,
    /// The plan link by text and by email: `((link_worker))`, `((url))`, `((until))`.
    /// Empty: not sent by that channel through Notify (emails then go by the SMTP relay).
    pub plan_link_sms_template: String,
    pub plan_link_email_template: String,
    /// The one-time code by text and by email: `((code))`, `((minutes))`.
    pub code_sms_template: String,
    pub code_email_template: String,
    /// The email asking a referrer without an account to confirm their referral:
    /// `((pcn))`, `((url))`, `((hours))`, `((reference))`. Empty: sent by the SMTP relay.
    pub referrer_confirm_email_template: String,
    /// The bearer token Notify sends with delivery receipts (set in Notify's settings).
    pub callback_token: Option<String>,
}

impl NotifyConfig {
    /// The Notify template for a purpose and channel, when the deployment set one.
    pub fn template(&self, purpose: &str, channel: &str) -> Option<&str> {
        let t = match (purpose, channel) {
            ("reminder", "sms") => &self.reminder_sms_template,
            ("plan_link", "sms") => &self.plan_link_sms_template,
            ("plan_link", "email") => &self.plan_link_email_template,
            ("code", "sms") => &self.code_sms_template,
            ("code", "email") => &self.code_email_template,
            ("referrer_confirm", "email") => &self.referrer_confirm_email_template,
            _ => return None,
        };
        Some(t.as_str()).filter(|t| !t.trim().is_empty())
    }
}

impl std::fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key and the callback token are secrets: never in logs.
        f.debug_struct("NotifyConfig")
            .field("base_url", &self.base_url)
            .field("reminder_sms_template", &self.reminder_sms_template)
            .finish_non_exhaustive()
    }
}

/// Why a send failed, and whether to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Will never succeed as it stands (400: a wrong number; 403: a wrong key).
    Permanent(String),
    /// Try again later (429, 5xx, no answer).
    Retry(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Permanent(m) | SendError::Retry(m) => f.write_str(m),
        }
    }
}

/// The service id and secret in an API key.
pub fn key_parts(api_key: &str) -> Result<(String, String), String> {
    let k = api_key.trim();
    let bad = || {
        "notify_api_key must be the key Notify gave, ending with two UUIDs (service id and secret)"
            .to_string()
    };
    if k.len() < 74 || !k.is_char_boundary(k.len() - 73) {
        return Err(bad());
    }
    let tail = &k[k.len() - 73..];
    let (service, secret) = (&tail[..36], &tail[37..]);
    let uuid = |s: &str| {
        s.len() == 36
            && s.chars().enumerate().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    };
    if &tail[36..37] != "-" || !uuid(service) || !uuid(secret) {
        return Err(bad());
    }
    Ok((service.to_string(), secret.to_string()))
}

/// The bearer token for a request made at `iat` (seconds since 1970).
pub fn token(service_id: &str, secret: &str, iat: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        serde_json::json!({ "iss": service_id, "iat": iat })
            .to_string()
            .as_bytes(),
    );
    let signing = format!("{header}.{claims}");
    // HMAC takes a key of any length, so this never fails; an unsigned token would be
    // refused by Notify (403) and shown, not sent.
    let sig = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_or_else(
        |_| String::new(),
        |mut mac| {
            mac.update(signing.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        },
    );
    format!("{signing}.{sig}")
}

/// A client for one Notify service.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    service_id: String,
    secret: String,
}

impl Client {
    pub fn new(cfg: &NotifyConfig) -> Result<Self, String> {
        let (service_id, secret) = key_parts(&cfg.api_key)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base: cfg.base_url.trim_end_matches('/').to_string(),
            service_id,
            secret,
        })
    }

    /// Sends a text; Notify's id for it.
    pub async fn send_sms(
        &self,
        phone: &str,
        template_id: &str,
        personalisation: &serde_json::Value,
        reference: &str,
    ) -> Result<String, SendError> {
        self.post(
            "/v2/notifications/sms",
            serde_json::json!({
                "phone_number": phone,
                "template_id": template_id,
                "personalisation": personalisation,
                "reference": reference,
            }),
        )
        .await
    }

    /// Sends an email; Notify's id for it.
    pub async fn send_email(
        &self,
        email: &str,
        template_id: &str,
        personalisation: &serde_json::Value,
        reference: &str,
    ) -> Result<String, SendError> {
        self.post(
            "/v2/notifications/email",
            serde_json::json!({
                "email_address": email,
                "template_id": template_id,
                "personalisation": personalisation,
                "reference": reference,
            }),
        )
        .await
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> Result<String, SendError> {
        let iat = chrono::Utc::now().timestamp();
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token(&self.service_id, &self.secret, iat))
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::Retry(format!("Notify did not answer: {e}")))?;
        let status = res.status();
        let json: serde_json::Value = res.json().await.unwrap_or_default();
        if status.is_success() {
            return json["id"]
                .as_str()
                .map(String::from)
                .ok_or_else(|| SendError::Retry("Notify's answer had no id".into()));
        }
        // Notify's errors: {"errors": [{"error": "...", "message": "..."}], "status_code": 400}
        let message = json["errors"]
            .as_array()
            .map(|errs| {
                errs.iter()
                    .filter_map(|e| e["message"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("Notify answered {status}"));
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SendError::Retry(message))
        } else {
            Err(SendError::Permanent(message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "linkwork_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";

    #[test]
    fn the_key_gives_the_service_and_the_secret() {
        let (service, secret) = key_parts(KEY).unwrap();
        assert_eq!(service, "26785a09-ab16-4eb0-8407-a37497a57506");
        assert_eq!(secret, "3d844edf-8d35-48ac-975b-e847b4f122b0");
        for bad in ["", "short", &KEY[..KEY.len() - 1], &KEY.replace('-', "_")] {
            assert!(key_parts(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_token_is_a_signed_jwt_naming_the_service() {
        let t = token("svc", "secret", 1_700_000_000);
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "svc");
        assert_eq!(claims["iat"], 1_700_000_000);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
            .expect("signed with the secret");
        assert_ne!(token("svc", "other", 1_700_000_000), t);
    }
}
