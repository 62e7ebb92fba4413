//! Signed-JWT client assertions (RFC 7523, `private_key_jwt`), as SMART Backend Services
//! and NHS England's APIs use them: a client registers its public keys (a JWK Set) and
//! signs a short-lived JWT with its private key instead of sending a secret.
//!
//! The signature check is the `openidconnect` crate's (the same code that checks identity
//! providers' id tokens); this module reads the JWT, picks the key by `kid`, and checks the
//! claims SMART requires: `iss` = `sub` = the client id, `aud` = the token endpoint, an
//! `exp` at most five minutes ahead, and a `jti` (kept by the caller so it is used once).

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeyType, CoreJwsSigningAlgorithm};
use openidconnect::JsonWebKey as _;
use serde_json::Value;

/// The client assertion type RFC 7523 names.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The signing algorithms taken: SMART's two (RS384, ES384) and NHS England's (RS512).
pub const ALGORITHMS: &[&str] = &["RS384", "ES384", "RS512"];

/// The longest a registered key set may be, and how many keys it may hold.
const MAX_JWKS_BYTES: usize = 20_000;
const MAX_KEYS: usize = 10;
/// How far ahead an assertion may expire, and the clock skew allowed.
const MAX_LIFETIME_SECONDS: i64 = 300;
const SKEW_SECONDS: i64 = 60;

fn algorithm(name: &str) -> Option<CoreJwsSigningAlgorithm> {
    match name {
        "RS384" => Some(CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384),
        "RS512" => Some(CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512),
        "ES384" => Some(CoreJwsSigningAlgorithm::EcdsaP384Sha384),
        _ => None,
    }
}

fn b64(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()
}

/// Checks a key set an administrator pastes in and returns it tidied (compact JSON), or
/// says what is wrong: only public RSA (2048 bits or more) or P-384 EC signing keys, each
/// with its own `kid`, no private parts.
pub fn check_jwks(text: &str) -> Result<String, String> {
    if text.len() > MAX_JWKS_BYTES {
        return Err(format!(
            "The key set is too long (over {} KB)",
            MAX_JWKS_BYTES / 1000
        ));
    }
    let v: Value = serde_json::from_str(text.trim())
        .map_err(|e| format!("The key set is not valid JSON: {e}"))?;
    let Some(keys) = v.get("keys").and_then(Value::as_array) else {
        return Err(
            "Paste a JWK Set: a JSON object with a \"keys\" list, as the client's jwks.json".into(),
        );
    };
    if keys.is_empty() || keys.len() > MAX_KEYS {
        return Err(format!("A key set holds from 1 to {MAX_KEYS} keys"));
    }
    let mut kids: Vec<&str> = Vec::new();
    for (n, k) in keys.iter().enumerate() {
        let which = format!("Key {}", n + 1);
        let Some(kid) = k
            .get("kid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            return Err(format!("{which} has no \"kid\": each key needs its own id"));
        };
        if kids.contains(&kid) {
            return Err(format!("Two keys have the kid \"{kid}\""));
        }
        kids.push(kid);
        // Private parts of RSA and EC keys (and a symmetric key's secret).
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|f| k.get(f).is_some())
        {
            return Err(format!(
                "{which} (\"{kid}\") includes a private key: paste only the public keys"
            ));
        }
        if let Some(u) = k.get("use").and_then(Value::as_str) {
            if u != "sig" {
                return Err(format!(
                    "{which} (\"{kid}\") is not for signing (use \"{u}\")"
                ));
            }
        }
        if let Some(alg) = k.get("alg").and_then(Value::as_str) {
            if !ALGORITHMS.contains(&alg) {
                return Err(format!(
                    "{which} (\"{kid}\") is for {alg}; Linkwork takes {}",
                    ALGORITHMS.join(", ")
                ));
            }
        }
        let key: CoreJsonWebKey = serde_json::from_value(k.clone())
            .map_err(|e| format!("{which} (\"{kid}\") is not a JSON Web Key: {e}"))?;
        let part = |f: &str| k.get(f).and_then(Value::as_str).and_then(b64);
        match key.key_type() {
            CoreJsonWebKeyType::RSA => {
                // Built as the verifier will build it, so a key that could never verify
                // (too long, a bad exponent) is refused now, not at every sign-in.
                use rsa::traits::PublicKeyParts;
                let public = match (part("n"), part("e")) {
                    (Some(n), Some(e)) => rsa::RsaPublicKey::new(
                        rsa::BigUint::from_bytes_be(&n),
                        rsa::BigUint::from_bytes_be(&e),
                    )
                    .ok(),
                    _ => None,
                };
                if public.is_none_or(|p| p.n().bits() < 2048) {
                    return Err(format!(
                        "{which} (\"{kid}\") is not an RSA public key of 2048 to 4096 bits"
                    ));
                }
            }
            CoreJsonWebKeyType::EllipticCurve => {
                let sized = |f: &str| part(f).is_some_and(|b| b.len() == 48);
                if k.get("crv").and_then(Value::as_str) != Some("P-384")
                    || !sized("x")
                    || !sized("y")
                {
                    return Err(format!(
                        "{which} (\"{kid}\"): elliptic-curve keys must be P-384 (ES384), with x and y"
                    ));
                }
            }
            _ => {
                return Err(format!(
                    "{which} (\"{kid}\"): only RSA and P-384 elliptic-curve keys are taken"
                ))
            }
        }
    }
    // Kept: the public members only, whatever else was pasted.
    let kept: Vec<Value> = keys
        .iter()
        .map(|k| {
            let mut out = serde_json::Map::new();
            for f in ["kty", "kid", "use", "alg", "n", "e", "crv", "x", "y"] {
                if let Some(v) = k.get(f) {
                    out.insert(f.to_string(), v.clone());
                }
            }
            Value::Object(out)
        })
        .collect();
    Ok(serde_json::json!({ "keys": kept }).to_string())
}

/// A JWT's header and claims, read but not yet trusted.
pub struct Unverified<'a> {
    header: Value,
    pub claims: Value,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl Unverified<'_> {
    /// The client it says it is (`iss`).
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }
}

/// Reads a compact JWS without trusting it.
pub fn read(jwt: &str) -> Result<Unverified<'_>, String> {
    let bad = || "The client assertion is not a signed JWT".to_string();
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let header: Value = serde_json::from_slice(&b64(h).ok_or_else(bad)?).map_err(|_| bad())?;
    let claims: Value = serde_json::from_slice(&b64(c).ok_or_else(bad)?).map_err(|_| bad())?;
    if !header.is_object() || !claims.is_object() {
        return Err(bad());
    }
    Ok(Unverified {
        header,
        claims,
        signing_input: &jwt[..h.len() + 1 + c.len()],
        signature: b64(s).ok_or_else(bad)?,
    })
}

/// What a checked assertion proves.
#[derive(Debug)]
pub struct Checked {
    pub jti: String,
    pub expires_at: DateTime<Utc>,
}

/// Why an assertion was refused. Before its signature is verified, the reason is kept for the
/// audit only (the caller answers the same to every such failure, so the answers reveal no
/// client ids or key ids); after it, the client proved it holds a key and is told the reason.
#[derive(Debug)]
pub enum Refusal {
    Unverified(String),
    Claims(String),
}

/// Checks the assertion's signature against the client's registered keys and its claims
/// against SMART's rules.
pub fn verify(
    jwt: &Unverified<'_>,
    client_id: &str,
    jwks: &str,
    token_url: &str,
    now: DateTime<Utc>,
) -> Result<Checked, Refusal> {
    signed(jwt, jwks).map_err(Refusal::Unverified)?;
    claims(jwt, client_id, token_url, now).map_err(Refusal::Claims)
}

fn signed(jwt: &Unverified<'_>, jwks: &str) -> Result<(), String> {
    let alg_name = jwt.header.get("alg").and_then(Value::as_str).unwrap_or("");
    let Some(alg) = algorithm(alg_name) else {
        return Err(format!(
            "The assertion is signed with '{alg_name}'; use one of {}",
            ALGORITHMS.join(", ")
        ));
    };
    let Some(kid) = jwt.header.get("kid").and_then(Value::as_str) else {
        return Err("The assertion's header has no kid naming the key".into());
    };
    let set: Value = serde_json::from_str(jwks).map_err(|_| "The client's keys are unreadable")?;
    let key = set
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
        .and_then(|k| serde_json::from_value::<CoreJsonWebKey>(k.clone()).ok())
        .ok_or_else(|| format!("no registered key has the kid '{kid}'"))?;
    key.verify_signature(&alg, jwt.signing_input.as_bytes(), &jwt.signature)
        .map_err(|_| format!("the signature does not verify with the key '{kid}'"))
}

fn claims(
    jwt: &Unverified<'_>,
    client_id: &str,
    token_url: &str,
    now: DateTime<Utc>,
) -> Result<Checked, String> {
    let c = &jwt.claims;
    let text = |k: &str| c.get(k).and_then(Value::as_str);
    if text("iss") != Some(client_id) || text("sub") != Some(client_id) {
        return Err("The assertion's iss and sub must both be the client id".into());
    }
    let aud_ok = match c.get("aud") {
        Some(Value::String(a)) => a == token_url,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(token_url)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!("The assertion's aud must be {token_url}"));
    }
    let time = |k: &str| c.get(k).and_then(Value::as_i64);
    let Some(exp) = time("exp") else {
        return Err("The assertion has no exp".into());
    };
    let now_s = now.timestamp();
    if exp <= now_s - SKEW_SECONDS {
        return Err("The assertion has expired".into());
    }
    if exp > now_s + MAX_LIFETIME_SECONDS + SKEW_SECONDS {
        return Err("The assertion's exp is more than five minutes ahead".into());
    }
    if time("nbf").is_some_and(|t| t > now_s + SKEW_SECONDS)
        || time("iat").is_some_and(|t| t > now_s + SKEW_SECONDS)
    {
        return Err("The assertion is not valid yet (iat or nbf is in the future)".into());
    }
    let jti = text("jti")
        .filter(|j| !j.is_empty() && j.len() <= 200)
        .ok_or("The assertion needs a jti (up to 200 characters)")?;
    Ok(Checked {
        jti: jti.to_string(),
        // Kept well past the last moment any node would take it (its expiry plus the skew,
        // with the skew again for nodes whose clocks disagree), so a replay is always caught.
        expires_at: Utc
            .timestamp_opt(exp.max(now_s) + 3 * SKEW_SECONDS, 0)
            .single()
            .unwrap_or(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    use sha2::Digest;

    fn enc(b: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    struct Key {
        private: rsa::RsaPrivateKey,
        jwks: String,
    }

    /// A test-only key (testdata/), with its public half as a one-key JWK Set.
    fn key(which: u8, kid: &str) -> Key {
        let pem = match which {
            1 => include_str!("testdata/client-key-1.pem"),
            _ => include_str!("testdata/client-key-2.pem"),
        };
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
        let public = private.to_public_key();
        let jwks = serde_json::json!({"keys": [{
            "kty": "RSA", "kid": kid, "alg": "RS384", "use": "sig",
            "n": enc(&public.n().to_bytes_be()), "e": enc(&public.e().to_bytes_be()),
        }]})
        .to_string();
        Key { private, jwks }
    }

    fn sign(k: &Key, kid: &str, claims: Value) -> String {
        let header = enc(
            serde_json::json!({"alg": "RS384", "kid": kid, "typ": "JWT"})
                .to_string()
                .as_bytes(),
        );
        let body = enc(claims.to_string().as_bytes());
        let input = format!("{header}.{body}");
        let digest = sha2::Sha384::digest(input.as_bytes());
        let sig = k
            .private
            .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha384>(), &digest)
            .unwrap();
        format!("{input}.{}", enc(&sig))
    }

    /// The reason of a refusal made before the signature held.
    fn unverified(r: Result<Checked, Refusal>) -> String {
        match r {
            Err(Refusal::Unverified(e)) => e,
            other => panic!("expected a refusal before the claims: {other:?}"),
        }
    }

    const URL: &str = "https://lw.example/oauth/token";

    fn claims(now: i64) -> Value {
        serde_json::json!({"iss": "lw-x", "sub": "lw-x", "aud": URL, "exp": now + 240, "jti": "j-1"})
    }

    #[test]
    fn a_good_assertion_verifies_and_tampering_does_not() {
        let k = key(1, "k1");
        assert!(check_jwks(&k.jwks).is_ok());
        let now = Utc::now();
        let jwt = sign(&k, "k1", claims(now.timestamp()));
        let ok = verify(&read(&jwt).unwrap(), "lw-x", &k.jwks, URL, now).unwrap();
        assert_eq!(ok.jti, "j-1");
        // Each broken claim is refused with its reason.
        let cases: Vec<(Value, &str)> = vec![
            (serde_json::json!({"iss": "lw-y"}), "iss and sub"),
            (serde_json::json!({"aud": "https://elsewhere/token"}), "aud"),
            (serde_json::json!({"exp": now.timestamp() - 120}), "expired"),
            (
                serde_json::json!({"exp": now.timestamp() + 3600}),
                "five minutes",
            ),
            (serde_json::json!({"jti": ""}), "jti"),
        ];
        for (change, says) in cases {
            let mut c = claims(now.timestamp());
            for (key, v) in change.as_object().unwrap() {
                c[key] = v.clone();
            }
            let e = verify(
                &read(&sign(&k, "k1", c)).unwrap(),
                "lw-x",
                &k.jwks,
                URL,
                now,
            )
            .unwrap_err();
            // Claims are checked once the signature holds: the client is told which.
            let Refusal::Claims(e) = e else {
                panic!("{says}: refused before the claims: {e:?}")
            };
            assert!(e.contains(says), "{e}");
        }
        // Another key's signature, a changed body, an unknown kid, a header alg of none.
        let other = key(2, "k1");
        let forged = sign(&other, "k1", claims(now.timestamp()));
        assert!(
            unverified(verify(&read(&forged).unwrap(), "lw-x", &k.jwks, URL, now))
                .contains("signature")
        );
        let mut parts: Vec<String> = jwt.split('.').map(str::to_string).collect();
        let mut c = claims(now.timestamp());
        c["sub"] = "lw-x".into();
        c["jti"] = "j-2".into();
        parts[1] = enc(c.to_string().as_bytes());
        let spliced = parts.join(".");
        assert!(verify(&read(&spliced).unwrap(), "lw-x", &k.jwks, URL, now).is_err());
        let unknown = sign(&k, "k9", claims(now.timestamp()));
        assert!(
            unverified(verify(&read(&unknown).unwrap(), "lw-x", &k.jwks, URL, now)).contains("k9")
        );
        let none = format!(
            "{}.{}.",
            enc(br#"{"alg":"none","kid":"k1"}"#),
            enc(claims(now.timestamp()).to_string().as_bytes())
        );
        assert!(
            unverified(verify(&read(&none).unwrap(), "lw-x", &k.jwks, URL, now)).contains("'none'")
        );
    }

    #[test]
    fn key_sets_with_private_or_weak_keys_are_refused() {
        let k = key(1, "k1");
        let mut v: Value = serde_json::from_str(&k.jwks).unwrap();
        v["keys"][0]["d"] = "AAAA".into();
        assert!(check_jwks(&v.to_string()).unwrap_err().contains("private"));
        assert!(check_jwks(r#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#).is_err());
        assert!(
            check_jwks(r#"{"keys":[{"kty":"RSA","kid":"s","n":"AQAB","e":"AQAB"}]}"#)
                .unwrap_err()
                .contains("2048")
        );
        assert!(check_jwks(r#"{"keys":[]}"#).is_err());
        assert!(check_jwks("not json").is_err());
        let mut two: Value = serde_json::from_str(&k.jwks).unwrap();
        let first = two["keys"][0].clone();
        two["keys"].as_array_mut().unwrap().push(first);
        assert!(check_jwks(&two.to_string())
            .unwrap_err()
            .contains("Two keys"));
    }
}
