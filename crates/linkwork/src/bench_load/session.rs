//! A load-run client's signed-in session: its cookies, the CSRF token pages carry, and
//! form posts.

use anyhow::{bail, Result};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::time::Duration;

/// A signed-in session: its cookies and the CSRF token pages carry.
pub(super) struct Session {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
    csrf: String,
}

pub(super) fn attr_after<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    let i = html.find(marker)? + marker.len();
    html[i..].split('"').next()
}

impl Session {
    pub(super) fn new(base: &str) -> Result<Self> {
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()?,
            cookies: HashMap::new(),
            csrf: String::new(),
        })
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Result<(StatusCode, String)> {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = req.header(COOKIE, cookie).send().await?;
        for v in res.headers().get_all(SET_COOKIE) {
            let s = v.to_str().unwrap_or("");
            let kv = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = kv.split_once('=') {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let status = res.status();
        let body = res.text().await?;
        if let Some(t) = attr_after(&body, "name=\"_csrf\" value=\"") {
            self.csrf = t.to_string();
        }
        Ok((status, body))
    }

    pub(super) async fn get(&mut self, path: &str) -> Result<(StatusCode, String)> {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub(super) async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<(StatusCode, String)> {
        let csrf = self.csrf.clone();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded(&all);
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    pub(super) async fn sign_in(&mut self, email: &str, password: &str) -> Result<()> {
        self.get("/login").await?;
        let token = self
            .cookies
            .get(web::auth::LOGIN_CSRF_COOKIE)
            .cloned()
            .unwrap_or_default();
        let body = serde_urlencoded(&[
            ("_csrf", token.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/"),
        ]);
        let req = self
            .http
            .post(format!("{}/login", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        let (status, _) = self.send(req).await?;
        if status != StatusCode::SEE_OTHER {
            bail!("signing in as {email} failed ({status}): check the logins");
        }
        self.get("/settings").await?;
        Ok(())
    }
}

fn serde_urlencoded(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
