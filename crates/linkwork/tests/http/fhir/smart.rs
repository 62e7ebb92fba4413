//! SMART Backend Services: an administrator registers a client's public keys on the API
//! clients page, and the client signs in with a JWT signed by one of them (RFC 7523
//! `private_key_jwt`), asking for SMART `system/` scopes. Replays, wrong audiences, unknown
//! keys and rotated-out keys are refused; keys with private parts are refused at the page.
//!
//! Then the real client libraries: `fhirclient` (SMART's Python client: discovery through
//! the CapabilityStatement, a signed-JWT sign-in, its own resource models) and `fhirpy`, as
//! a GP system and a partner would use them (tests/fhir/clients.py), on both engines.

use super::{validate_all, Fhir, NHS};
use crate::helpers::*;
use base64::Engine as _;
use reqwest::StatusCode;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::Digest;
use std::path::PathBuf;

/// Test-only keys (crates/web/src/fhir/testdata): they protect nothing.
pub(crate) const KEY_1: &str = include_str!("../../../../web/src/fhir/testdata/client-key-1.pem");
pub(crate) const KEY_2: &str = include_str!("../../../../web/src/fhir/testdata/client-key-2.pem");

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn private(pem: &str) -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap()
}

/// The public halves of `keys` as a JWK Set.
pub(crate) fn jwks(keys: &[(&str, &str)]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(pem, kid)| {
            let public = private(pem).to_public_key();
            json!({"kty": "RSA", "kid": kid, "alg": "RS384", "use": "sig",
                   "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be())})
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

/// A client assertion signed (RS384) with `pem`, naming key `kid`.
pub(crate) fn assertion(pem: &str, kid: &str, claims: &Value) -> String {
    let header = b64(json!({"alg": "RS384", "kid": kid, "typ": "JWT"})
        .to_string()
        .as_bytes());
    let input = format!("{header}.{}", b64(claims.to_string().as_bytes()));
    let digest = sha2::Sha384::digest(input.as_bytes());
    let sig = private(pem)
        .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha384>(), &digest)
        .unwrap();
    format!("{input}.{}", b64(&sig))
}

fn claims(client: &str, aud: &str, jti: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": client, "sub": client, "aud": aud, "exp": now + 240, "jti": jti})
}

async fn sign_in(
    http: &reqwest::Client,
    token_url: &str,
    jwt: &str,
    scope: &str,
) -> (StatusCode, Value) {
    let r = http
        .post(token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", jwt),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

/// Registers a GP system on the page and returns its client id and secret.
async fn register_gp_system(app: &TestApp, admin: &mut Browser) -> (String, String) {
    let practice = app.practice_a.to_string();
    let ok = admin
        .post(
            "/admin/api-clients",
            &[
                ("name", "Hill Surgery system"),
                ("kind", "gp_system"),
                ("practice_id", &practice),
                ("scopes", "record.read"),
                ("scopes", "referral.write"),
                ("scopes", "directory.read"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = admin.get(ok.location.as_deref().unwrap()).await;
    let grab = |id: &str| {
        let at = format!("id=\"{id}\">");
        let start = page.body.find(&at).unwrap() + at.len();
        page.body[start..].split('<').next().unwrap().to_string()
    };
    (grab("client-id"), grab("client-secret"))
}

#[tokio::test]
async fn a_backend_client_signs_in_with_a_registered_key() {
    let app = spawn_app_at_own_address(Engine::Sqlite).await;
    let mut admin = signed_in(&app, "admin").await;
    let (cid, secret) = register_gp_system(&app, &mut admin).await;
    let id = app.store.api_clients().await.unwrap()[0].id;
    let keys_url = format!("/admin/api-clients/{id}/keys");

    // Discovery says how: the token endpoint, private_key_jwt and its algorithms.
    let http = reqwest::Client::new();
    let smart: Value = http
        .get(format!("{}/fhir/.well-known/smart-configuration", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token_url = smart["token_endpoint"].as_str().unwrap().to_string();
    assert!(smart["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("private_key_jwt")));
    assert!(smart["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("RS384")));
    assert!(smart["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("system/Patient.read")));
    // The endpoint the CapabilityStatement names is the same one.
    let cs: Value = http
        .get(format!("{}/fhir/metadata", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        cs["rest"][0]["security"]["extension"][0]["extension"][0]["valueUri"],
        json!(token_url)
    );

    // Before keys are registered, an assertion is refused.
    let jwt = assertion(KEY_1, "k1", &claims(&cid, &token_url, "a-0"));
    let (st, b) = sign_in(&http, &token_url, &jwt, "system/*.read").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    // Every failure before the signature holds is told alike (no client or key ids leak);
    // the audit keeps the reason, against the client and its PCN.
    let unverified = b["error_description"].as_str().unwrap().to_string();
    assert!(unverified.contains("could not be verified"), "{b}");
    let last_failure = |audit: &[storage::AuditRecord]| {
        audit
            .iter()
            .rev()
            .find(|e| e.action == "api_client.sign_in_failed")
            .map(|e| (e.detail.clone(), e.entity_id, e.pcn_id))
            .unwrap()
    };
    let (why, entity, pcn) = last_failure(&app.store.all_audit().await.unwrap());
    assert!(why.contains("no public keys"), "{why}");
    assert_eq!((entity, pcn), (Some(id), Some(app.pcn_a)));

    // A key set holding a private key is refused at the page, and nothing is kept.
    let mut leaked: Value = serde_json::from_str(&jwks(&[(KEY_1, "k1")])).unwrap();
    leaked["keys"][0]["d"] = json!("c2VjcmV0");
    let r = admin
        .post(&keys_url, &[("jwks", &leaked.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("includes a private key"), "{}", r.body);
    assert!(app.store.api_clients().await.unwrap()[0].jwks.is_none());
    // Another PCN's administrator cannot touch this client's keys.
    let mut admin_b = signed_in(&app, "admin_b").await;
    let r = admin_b
        .post(&keys_url, &[("jwks", &jwks(&[(KEY_2, "evil")]))])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app.store.api_clients().await.unwrap()[0].jwks.is_none());

    // Registered: the list shows the key's id, and the client signs in with SMART scopes.
    let r = admin
        .post(&keys_url, &[("jwks", &jwks(&[(KEY_1, "k1")]))])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = admin.get(r.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Public keys: k1"), "{}", page.body);
    let jwt = assertion(KEY_1, "k1", &claims(&cid, &token_url, "a-1"));
    let (st, b) = sign_in(
        &http,
        &token_url,
        &jwt,
        "launch/patient system/Patient.read system/ServiceRequest.write",
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let granted = b["scope"].as_str().unwrap();
    assert!(granted.contains("system/Patient.read"), "{granted}");
    assert!(granted.contains("system/ServiceRequest.write"), "{granted}");
    assert!(
        !granted.contains("HealthcareService"),
        "not asked for: {granted}"
    );
    let token = b["access_token"].as_str().unwrap();
    let issued = app
        .store
        .all_audit()
        .await
        .unwrap()
        .into_iter()
        .rev()
        .find(|e| e.action == "api_client.token")
        .unwrap();
    assert!(
        issued.detail.starts_with("private_key_jwt, jti a-1"),
        "{}",
        issued.detail
    );
    assert_eq!(issued.pcn_id, Some(app.pcn_a));
    let r = http
        .get(format!(
            "{}/fhir/Patient?identifier={NHS}|9434765919",
            app.base
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Directory reading was not asked for, so this token does not have it.
    let r = http
        .get(format!("{}/fhir/HealthcareService", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The same assertion again is a replay.
    let (st, b) = sign_in(&http, &token_url, &jwt, "system/*.read").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .contains("used before"),
        "{b}"
    );
    let (why, _, _) = last_failure(&app.store.all_audit().await.unwrap());
    assert!(why.contains("replayed assertion (jti a-1)"), "{why}");
    // Another audience, another key under the registered kid, a user scope: refused.
    let elsewhere = assertion(
        KEY_1,
        "k1",
        &claims(&cid, "https://other.example/token", "a-2"),
    );
    let (st, b) = sign_in(&http, &token_url, &elsewhere, "system/*.read").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    assert!(
        b["error_description"]
            .as_str()
            .unwrap()
            .contains("aud must be"),
        "{b}"
    );
    let forged = assertion(KEY_2, "k1", &claims(&cid, &token_url, "a-3"));
    let (st, b) = sign_in(&http, &token_url, &forged, "system/*.read").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(b["error_description"], json!(unverified), "told alike: {b}");
    let (why, _, _) = last_failure(&app.store.all_audit().await.unwrap());
    assert!(why.contains("signature does not verify"), "{why}");
    let jwt = assertion(KEY_1, "k1", &claims(&cid, &token_url, "a-4"));
    let (st, b) = sign_in(&http, &token_url, &jwt, "patient/*.read").await;
    assert_eq!(
        (st, b["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope")),
        "{b}"
    );
    // A secret and an assertion together: one way only.
    let jwt = assertion(KEY_1, "k1", &claims(&cid, &token_url, "a-5"));
    let r = http
        .post(&token_url)
        .basic_auth(&cid, Some("whatever"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &jwt),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Rotation: both keys, then the new one alone; the old one stops working.
    let r = admin
        .post(
            &keys_url,
            &[("jwks", &jwks(&[(KEY_1, "k1"), (KEY_2, "k2")]))],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let jwt = assertion(KEY_2, "k2", &claims(&cid, &token_url, "a-6"));
    assert_eq!(
        sign_in(&http, &token_url, &jwt, "system/*.read").await.0,
        StatusCode::OK
    );
    let r = admin
        .post(&keys_url, &[("jwks", &jwks(&[(KEY_2, "k2")]))])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let jwt = assertion(KEY_1, "k1", &claims(&cid, &token_url, "a-7"));
    let (st, b) = sign_in(&http, &token_url, &jwt, "system/*.read").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{b}");
    assert_eq!(b["error_description"], json!(unverified), "told alike: {b}");
    let (why, _, _) = last_failure(&app.store.all_audit().await.unwrap());
    assert!(why.contains("'k1'"), "{why}");
    // Every refusal above was audited as a failed sign-in, and the keys' changes too.
    let audit = app.store.all_audit().await.unwrap();
    let failed = audit
        .iter()
        .filter(|e| e.action == "api_client.sign_in_failed")
        .count();
    assert!(failed >= 5, "{failed}");
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "api_client.keys")
            .count(),
        3
    );
    // The secret still works beside the keys, until it is turned off (for good): then only
    // a signed JWT signs in, and the keys cannot be removed. Another PCN cannot turn it off.
    let f = Fhir::new(&app);
    let (st, _) = f.token(&cid, "not-the-secret", None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(f.token(&cid, &secret, None).await.0, StatusCode::OK);
    let off = format!("/admin/api-clients/{id}/secret-off");
    assert_eq!(admin_b.post(&off, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.token(&cid, &secret, None).await.0, StatusCode::OK);
    let r = admin.post(&off, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = admin.get(r.location.as_deref().unwrap()).await;
    assert!(page.body.contains("Keys only"), "{}", page.body);
    assert_eq!(
        f.token(&cid, &secret, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let jwt = assertion(KEY_2, "k2", &claims(&cid, &token_url, "a-8"));
    assert_eq!(
        sign_in(&http, &token_url, &jwt, "system/*.read").await.0,
        StatusCode::OK
    );
    let r = admin.post(&keys_url, &[("jwks", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("cannot be removed"), "{}", r.body);
    assert!(app.store.api_clients().await.unwrap()[0].jwks.is_some());
    let turned_off: Vec<_> = app
        .store
        .all_audit()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "api_client.secret_off")
        .collect();
    assert_eq!(turned_off.len(), 1);
    assert_eq!(turned_off[0].pcn_id, Some(app.pcn_a));
}

fn python() -> String {
    super::python()
}

/// `fhirclient` and `fhirpy` drive the API as a GP system and a partner would.
async fn client_libraries(engine: Engine) {
    let mut s =
        super::referral::clients_and_tokens_on(spawn_app_at_own_address(engine).await).await;
    let (lw, person, referral_id) = super::referral::inbound_referrals(&mut s).await;
    let j = super::referral::take_through(&s, lw, person, referral_id).await;
    // The GP system registers its key (as its administrator would on the page).
    let gp = s
        .app
        .store
        .api_clients()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.client_id == "gp")
        .unwrap();
    s.app
        .store
        .set_api_client_keys(gp.id, Some(&jwks(&[(KEY_1, "gp-key-1")])), &s.a)
        .await
        .unwrap();
    let key_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key_file.path(), KEY_1).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fhir/clients.py");
    let nhs = s
        .app
        .store
        .get_person(s.app.pcn_a, j.person)
        .await
        .unwrap()
        .unwrap()
        .details
        .nhs_number
        .unwrap();
    let base = s.app.base.clone();
    let out = tokio::task::spawn_blocking({
        let key = key_file.path().to_path_buf();
        let dir = out_dir.path().to_path_buf();
        let gym = s.gym_secret.clone();
        move || {
            std::process::Command::new(python())
                .arg(script)
                .env("LW_BASE", base)
                .env("LW_GP_CLIENT", "gp")
                .env("LW_GP_KEY", key)
                .env("LW_GP_KID", "gp-key-1")
                .env("LW_PARTNER_CLIENT", "gym")
                .env("LW_PARTNER_SECRET", gym)
                .env("LW_NHS", nhs.to_string())
                .env("LW_OUT", dir)
                .output()
                .expect("run tests/fhir/clients.py (fhirpy and fhirclient in .venv-fhir)")
        }
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "the client libraries failed:\n{text}");
    // What the libraries received is valid for both validators too.
    let emitted: Vec<Value> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap())
        .collect();
    assert!(emitted.len() >= 5, "{}", emitted.len());
    println!("{}", validate_all(&emitted));
}

#[tokio::test]
async fn client_libraries_sqlite() {
    client_libraries(Engine::Sqlite).await;
}

#[tokio::test]
async fn client_libraries_postgres() {
    client_libraries(Engine::Postgres).await;
}
