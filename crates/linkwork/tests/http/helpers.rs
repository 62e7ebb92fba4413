//! `spawn_app()`: the real Linkwork server on 127.0.0.1:0 over a fresh database with two
//! PCNs and an account for every role; `Browser`: a client that keeps cookies and the
//! session's CSRF token like a browser does. Also the set-up steps tests share: signing in,
//! referring or adding a person and reading their first episode, an API client for a role,
//! and reading cookies and JSON answers.

use domain::Role;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use storage::{Actor, NewUser, Storage};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub state: web::AppState,
    pub store: Arc<dyn Storage>,
    pub pcn_a: i64,
    pub practice_a: i64,
    pub users: HashMap<&'static str, i64>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Clone, Copy, Debug)]
pub enum Engine {
    Sqlite,
    Postgres,
}

fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| web::auth::hash_password(PASSWORD).expect("hash"))
        .clone()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_on(Engine::Sqlite).await
}

pub async fn spawn_app_on(engine: Engine) -> TestApp {
    spawn_app_with(engine, web::WebConfig::default()).await
}

/// A server whose configured public address is the one it listens on, as in a real
/// deployment: for clients that follow the URLs the server gives (SMART discovery).
pub async fn spawn_app_at_own_address(engine: Engine) -> TestApp {
    spawn(engine, web::WebConfig::default(), true).await
}

pub async fn spawn_app_with(engine: Engine, config: web::WebConfig) -> TestApp {
    spawn(engine, config, false).await
}

async fn spawn(engine: Engine, mut config: web::WebConfig, own_address: bool) -> TestApp {
    let (store, dir) = match engine {
        Engine::Sqlite => {
            let (s, d) = storage_tests::sqlite().await;
            (s, Some(d))
        }
        Engine::Postgres => (storage_tests::postgres().await, None),
    };
    let actor = Actor::system("test");
    let pcn_a = store.create_pcn("North PCN", "U00001").await.unwrap().id;
    let pcn_b = store.create_pcn("South PCN", "U00002").await.unwrap().id;
    let practice_a = store
        .create_practice(pcn_a, "Hill Surgery", "Y00001")
        .await
        .unwrap()
        .id;
    store
        .create_practice(pcn_b, "Vale Surgery", "Y00002")
        .await
        .unwrap();
    let org = store.create_partner_org("Green Gym").await.unwrap().id;
    let mut users = HashMap::new();
    for (key, role, pcn) in [
        ("lw", Role::LinkWorker, Some(pcn_a)),
        ("lw2", Role::LinkWorker, Some(pcn_a)),
        ("manager", Role::Manager, Some(pcn_a)),
        ("supervisor", Role::Supervisor, Some(pcn_a)),
        ("referrer", Role::Referrer, Some(pcn_a)),
        ("admin", Role::Admin, Some(pcn_a)),
        ("partner", Role::Partner, None),
        ("operator", Role::Operator, None),
        ("lw_b", Role::LinkWorker, Some(pcn_b)),
        ("manager_b", Role::Manager, Some(pcn_b)),
        ("admin_b", Role::Admin, Some(pcn_b)),
    ] {
        let u = store
            .create_user(
                NewUser {
                    email: format!("{key}@test.example"),
                    name: format!("Test {key}"),
                    role,
                    pcn_id: pcn,
                    partner_org_id: (role == Role::Partner).then_some(org),
                    password_hash: password_hash(),
                },
                &actor,
            )
            .await
            .unwrap();
        users.insert(key, u.id);
    }
    // PCN A refers to the Green Gym through Linkwork (both sides hold it); PCN B does not.
    store
        .set_partner_link(pcn_a, org, storage::LinkSide::Pcn, true, &actor)
        .await
        .unwrap();
    store
        .set_partner_link(pcn_a, org, storage::LinkSide::Partner, true, &actor)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    if own_address {
        config.public_url = base.clone();
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let directory = directory::Directory::open(store.clone(), None)
        .await
        .unwrap();
    let state = web::AppState::new(store.clone(), Arc::new(directory), config);
    tokio::spawn(web::serve(listener, state.clone(), async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        state,
        store,
        pcn_a,
        practice_a,
        users,
        _shutdown: tx,
        _dir: dir,
    }
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

/// A cookie-keeping client that does not follow redirects (tests look at them).
pub struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
    pub csrf: String,
    /// Sent as `X-Forwarded-For` (for a server that trusts its proxy): another address.
    pub forwarded_for: Option<String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.base)
    }

    /// A browser for a server started some other way (the soak test's binary).
    pub fn at(base: &str) -> Self {
        Self {
            base: base.to_string(),
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            csrf: String::new(),
            forwarded_for: None,
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, res: reqwest::Response) -> Page {
        for v in res.headers().get_all(SET_COOKIE) {
            let s = v.to_str().unwrap();
            let (kv, _) = s.split_once(';').unwrap_or((s, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if val.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), val.to_string());
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let location = headers
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        let body = res.text().await.unwrap();
        if let Some(token) = csrf_in(&body) {
            self.csrf = token;
        }
        Page {
            status,
            location,
            body,
            headers,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header());
        if let Some(a) = &self.forwarded_for {
            req = req.header("x-forwarded-for", a);
        }
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    /// A page opened from a link on `from` (sent as the same-site `Referer`).
    pub async fn get_from(&mut self, path: &str, from: &str) -> Page {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("referer", format!("{}{from}", self.base))
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    /// Posts a form as it stands (no token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(a) = &self.forwarded_for {
            req = req.header("x-forwarded-for", a);
        }
        let res = req.send().await.unwrap();
        self.finish(res).await
    }

    /// Posts a form with this session's CSRF token, as a page's form would.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Uploads a file as a page's multipart form would, with this session's CSRF token.
    pub async fn upload(&mut self, path: &str, file_name: &str, bytes: &[u8]) -> Page {
        let boundary = "----linkwork-test-boundary-7d2f";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n",
                self.csrf
            )
            .as_bytes(),
        );
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.finish(res).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/login").await;
        let token = [
            web::auth::login_csrf_cookie(false),
            web::auth::login_csrf_cookie(true),
        ]
        .iter()
        .find_map(|name| self.cookies.get(*name).cloned())
        .unwrap_or_default();
        let page = self
            .post_raw(
                "/login",
                &[
                    ("_csrf", &token),
                    ("email", email),
                    ("password", password),
                    ("next", "/"),
                ],
            )
            .await;
        if page.status == StatusCode::SEE_OTHER {
            self.get("/settings").await; // picks up the session's CSRF token
        }
        page
    }

    /// Gives the browser a cookie (a session made in the store by the test).
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_string(), value.to_string());
    }

    pub fn has_session(&self) -> bool {
        self.cookies.contains_key(web::auth::session_cookie(false))
            || self.cookies.contains_key(web::auth::session_cookie(true))
    }
}

pub async fn signed_in(app: &TestApp, who: &str) -> Browser {
    let mut b = Browser::new(app);
    let page = b.sign_in(&format!("{who}@test.example"), PASSWORD).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "sign-in as {who} failed: {}",
        page.body
    );
    b
}

pub fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    Some(html[i..].split('"').next()?.to_string())
}

/// The fields of a valid person, ready to post.
pub fn person_fields<'a>(given: &'a str, family: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("given_name", given),
        ("family_name", family),
        ("date_of_birth", "1951-06-14"),
        ("postcode", "LS6 2AB"),
        ("sex", "female"),
    ]
}

/// A complete referral form for a new person.
pub fn referral_fields<'a>(
    given: &'a str,
    family: &'a str,
    consent: bool,
) -> Vec<(&'a str, &'a str)> {
    let mut f = person_fields(given, family);
    f.extend([
        ("source", "gp"),
        ("referrer_name", "Dr Test"),
        ("referrer_contact", "0113 496 0123"),
        ("needs", "loneliness"),
        ("needs", "financial"),
        ("reason", "Recently bereaved and isolated"),
        ("urgency", "soon"),
    ]);
    if consent {
        f.push(("consent", "yes"));
    }
    f
}

/// Refers a new person through the referral form (with consent) and returns their id, read
/// from the redirect to their page.
pub async fn refer(b: &mut Browser, given: &str, family: &str) -> i64 {
    let page = b
        .post("/referrals", &referral_fields(given, family, true))
        .await;
    person_of(&page.location.unwrap())
}

/// Adds a person through the form with these fields and returns their id, read from the
/// redirect to their page.
pub async fn add_person(b: &mut Browser, fields: &[(&str, &str)]) -> i64 {
    person_of(&b.post("/people", fields).await.location.unwrap())
}

/// A person's first episode in PCN A, straight from storage.
pub async fn first_episode(app: &TestApp, person: i64) -> storage::Episode {
    app.store
        .episodes_for_person(app.pcn_a, person)
        .await
        .unwrap()[0]
        .clone()
}

/// An attended phone call at `at`, with nobody else present and no notes.
pub fn phone_call(at: chrono::DateTime<chrono::Utc>, minutes: u16) -> domain::ContactDetails {
    domain::ContactDetails {
        contact_type: domain::ContactType::Telephone,
        at,
        duration_minutes: Some(minutes),
        did_not_attend: false,
        present: vec![],
        notes: String::new(),
    }
}

/// The `Set-Cookie` header a page sent for the cookie whose name starts as `prefix`.
pub fn set_cookie(page: &Page, prefix: &str) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with(prefix))
}

/// GETs `url` with an API bearer header and reads the answer as JSON.
pub async fn api_json(http: &reqwest::Client, bearer: &str, url: &str) -> serde_json::Value {
    http.get(url)
        .header("authorization", bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// An API client with a bearer token made through the settings page.
pub async fn api_token(app: &TestApp, who: &str) -> String {
    let mut b = signed_in(app, who).await;
    let page = b
        .post(
            "/settings/tokens",
            &[("token_name", "test script"), ("token_password", PASSWORD)],
        )
        .await;
    // Post/redirect/get: the token is shown once on the page the form redirects to.
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let to = page.location.unwrap();
    let page = b.get(&to).await;
    let marker = "id=\"new-token\">";
    let i = page.body.find(marker).expect("token shown once") + marker.len();
    let token = page.body[i..].split('<').next().unwrap().to_string();
    assert!(token.starts_with("lw_") && token.len() == 67, "{token}");
    // Refreshing that page shows it no more, and makes no other token.
    assert!(!b.get(&to).await.body.contains(&token), "shown only once");
    token
}

/// An API client and its bearer header for `who`, with a token made through the settings page.
pub async fn api_as(app: &TestApp, who: &str) -> (reqwest::Client, String) {
    api(&api_token(app, who).await)
}

pub fn api(token: &str) -> (reqwest::Client, String) {
    (reqwest::Client::new(), format!("Bearer {token}"))
}

/// The person id in a `/people/{id}…` redirect (after a referral is accepted).
pub fn person_of(location: &str) -> i64 {
    location
        .trim_start_matches("/people/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// A real SMTP server on loopback (Debian's aiosmtpd) writing what it receives to a maildir
/// under the returned folder's `box`; it stops when the child is dropped.
pub async fn smtp_sink() -> (tokio::process::Child, tempfile::TempDir, u16) {
    smtp_sink_with(&[]).await
}

/// The same with more aiosmtpd options (`--tlscert`/`--tlskey` for STARTTLS, which it then
/// requires; `--smtpscert`/`--smtpskey` for TLS from the start).
pub async fn smtp_sink_with(options: &[&str]) -> (tokio::process::Child, tempfile::TempDir, u16) {
    let maildir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let python =
        std::env::var("LINKWORK_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
    let smtp = tokio::process::Command::new(&python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(options)
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("box"))
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {python} -m aiosmtpd (install python3-aiosmtpd): {e}")
        });
    let mut up = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        up,
        "aiosmtpd did not start (is python3-aiosmtpd installed?)"
    );
    (smtp, maildir, port)
}

/// The messages in a sink's maildir so far, as text.
pub fn mails(maildir: &tempfile::TempDir) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(maildir.path().join("box").join(sub)) {
            for e in rd.flatten() {
                out.push(std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
    }
    out
}
