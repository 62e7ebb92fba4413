//! Every JSON write in `/api/v1`, each field of a valid body with each payload (as a string
//! and as the wrong JSON type), then malformed bodies.

use super::{fingerprint, payloads, Tally};
use crate::helpers::*;
use crate::matrix::World;

/// The JSON writes, each field of a valid body with each payload (as a string, and as the
/// wrong JSON type), then malformed bodies.
pub(super) async fn json_corpus(app: &TestApp, w: &World, tally: &mut Tally) -> usize {
    use serde_json::{json, Value};
    let person = json!({"given_name": "Hana", "family_name": "Json", "date_of_birth": "1960-01-02",
                        "postcode": "LS7 1AA", "phone": "0113 496 0001"});
    let version = app
        .store
        .get_episode(app.pcn_a, w.own.episode)
        .await
        .unwrap()
        .unwrap()
        .version;
    let bodies: Vec<(&str, reqwest::Method, String, Value)> = vec![
        (
            "lw",
            reqwest::Method::POST,
            "/api/v1/people".into(),
            person.clone(),
        ),
        (
            "lw",
            reqwest::Method::PUT,
            format!("/api/v1/people/{}", w.own.person),
            {
                let mut p = person.clone();
                p["version"] = json!(1);
                p
            },
        ),
        (
            "referrer",
            reqwest::Method::POST,
            "/api/v1/referrals".into(),
            json!({
            "person": person, "source": "gp", "referrer_name": "Dr Test",
            "referrer_contact": "0113 496 0000", "needs": ["loneliness"], "urgency": "routine",
            "consent": true, "reason": "Feels alone since moving"}),
        ),
        (
            "manager",
            reqwest::Method::POST,
            format!("/api/v1/episodes/{}/assign", w.own.episode),
            json!({"version": version, "link_worker_id": w.own.link_worker}),
        ),
        (
            "manager",
            reqwest::Method::POST,
            format!("/api/v1/episodes/{}/transition", w.own.episode),
            json!({"version": version, "state": "contacting", "reason": "first call"}),
        ),
        (
            "lw",
            reqwest::Method::POST,
            format!("/api/v1/episodes/{}/contacts", w.own.episode),
            json!({"version": version, "contact_type": "phone", "date": "2026-01-05", "time": "10:30",
                   "duration_minutes": "20", "did_not_attend": false, "present": ["person"],
                   "notes": "Talked about the garden group"}),
        ),
        (
            "partner",
            reqwest::Method::PATCH,
            format!("/api/v1/directory/services/{}", w.service.0),
            json!({"capacity": "open", "referral_mode": "email", "response_days": 3,
                   "verified": true, "version": 1}),
        ),
    ];
    let http = reqwest::Client::new();
    let mut before = fingerprint(app).await;
    let mut send =
        async |who: &str, method: &reqwest::Method, path: &str, body: Vec<u8>, what: String| {
            let token = &w.tokens[who].0;
            let res = http
                .request(method.clone(), format!("{}{path}", app.base))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            tally.submissions += 1;
            assert!(!status.is_server_error(), "{what}: {status}\n{text}");
            let after = fingerprint(app).await;
            if status.is_client_error() {
                tally.refused += 1;
                assert_eq!(
                    after, before,
                    "{what}: refused ({status}) but something was saved"
                );
                let e: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|_| panic!("{what}: a {status} that is not JSON: {text}"));
                assert!(
                    e["error"]["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty()),
                    "{what}: a {status} without a message: {text}"
                );
            } else if after != before {
                tally.saved += 1;
            }
            before = after;
        };
    let mut fields = 0;
    for (who, method, path, body) in &bodies {
        let Value::Object(map) = body else {
            unreachable!()
        };
        for key in map.keys() {
            fields += 1;
            let mut values: Vec<(String, Value)> = payloads()
                .into_iter()
                .map(|(label, p)| (label.to_string(), Value::String(p)))
                .collect();
            values.extend([
                ("null".to_string(), Value::Null),
                ("number".to_string(), json!(1e300)),
                ("negative".to_string(), json!(-9_007_199_254_740_993_i64)),
                (
                    "array".to_string(),
                    json!(["<script>alert(\"lw-xss\")</script>"]),
                ),
                ("object".to_string(), json!({"$ne": 1})),
                ("true".to_string(), json!(true)),
            ]);
            for (label, value) in values {
                let mut b = body.clone();
                b[key] = value;
                let what = format!("{method} {path} as {who}, {key} = {label}");
                send(who, method, path, serde_json::to_vec(&b).unwrap(), what).await;
            }
        }
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let malformed: Vec<(&str, Vec<u8>)> = vec![
            ("not JSON", b"given_name=Ann".to_vec()),
            ("cut short", b"{\"given_name\": \"Ann".to_vec()),
            ("empty", Vec::new()),
            ("a list", b"[1,2,3]".to_vec()),
            ("deeply nested", deep.into_bytes()),
            ("invalid UTF-8", b"{\"given_name\": \"\xff\xfe\"}".to_vec()),
            ("NUL escape", b"{\"given_name\": \"A\\u0000\"}".to_vec()),
            ("lone surrogate", b"{\"given_name\": \"\\ud800\"}".to_vec()),
            (
                "duplicate keys",
                b"{\"version\": 1, \"version\": \"x\"}".to_vec(),
            ),
        ];
        for (label, bytes) in malformed {
            send(
                who,
                method,
                path,
                bytes,
                format!("{method} {path} as {who}: {label}"),
            )
            .await;
        }
    }
    fields
}
