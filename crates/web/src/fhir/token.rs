//! `POST /oauth/token`: the OAuth2 client-credentials grant. A client sends its id and
//! secret (HTTP Basic or form fields), or a JWT signed with a key it registered (SMART
//! Backend Services' `private_key_jwt`), and gets a bearer token for up to its registered
//! scopes, asked for in Linkwork's names or as SMART `system/…` scopes. Tokens are random,
//! stored only as their SHA-256, and expire.

use crate::auth::{constant_time_eq, random_token, sha256_hex};
use crate::form::FormData;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::interop::{grant_scopes, scopes_string};
use serde_json::json;
use storage::{Actor, AuditEntry};

/// How long a token lasts.
pub const TOKEN_SECONDS: i64 = 600;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"linkwork-token\""),
        );
    }
    r
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = v.strip_prefix("Basic ")?.trim();
    let decoded = base64_decode(encoded)?;
    let s = String::from_utf8(decoded).ok()?;
    let (id, secret) = s.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Standard base64 (RFC 4648), enough for a Basic header.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub async fn token(
    State(state): State<AppState>,
    super::ClientIp(ip): super::ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&state, ip, &headers, &body).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "token endpoint failed");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Something went wrong; try again",
            )
        }
    }
}

async fn issue(
    state: &AppState,
    ip: Option<String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, storage::StorageError> {
    let form = FormData::parse(body);
    let address = ip.clone().unwrap_or_else(|| "unknown".into());
    let window = state.config.lockout;
    if state
        .throttle
        .blocked(&address, state.config.max_failed_logins_per_address, window)
        .await?
    {
        return Ok(oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "invalid_client",
            "Too many failed sign-ins from this address; try again later",
        ));
    }
    if form.has_nul() {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            crate::form::NUL_REFUSED,
        ));
    }
    if form.get("grant_type") != "client_credentials" {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Use grant_type=client_credentials",
        ));
    }
    // The client proves who it is with its secret (HTTP Basic or form fields), or with a
    // JWT signed by a key it registered (private_key_jwt); never both.
    let assertion = form.get("client_assertion");
    let assertion_type = form.get("client_assertion_type");
    let by_key = !assertion.is_empty() || !assertion_type.is_empty();
    let basic = basic_credentials(headers);
    if by_key && (basic.is_some() || !form.get("client_secret").is_empty()) {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Authenticate one way: a client assertion or a client secret, not both",
        ));
    }
    if by_key && assertion_type != super::assertion::JWT_BEARER {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!(
                "client_assertion_type must be {}",
                super::assertion::JWT_BEARER
            ),
        ));
    }
    let token_url = format!(
        "{}/oauth/token",
        state.config.public_url.trim_end_matches('/')
    );
    // Every refusal: what the client is told, what the audit keeps, and the client if known.
    struct Refused {
        told: String,
        why: String,
        client: Option<(i64, Option<i64>)>,
    }
    // Told alike for every failure before the signature holds, so answers reveal no client
    // ids or key ids; the audit keeps the reason.
    const UNVERIFIED: &str = "The client assertion could not be verified: sign it (RS384, ES384 or RS512) with a key registered for the client named in iss and sub, and name that key's kid";
    let refuse = |why: String, client: Option<&storage::ApiClient>| Refused {
        told: UNVERIFIED.into(),
        why,
        client: client.map(|c| (c.id, c.pcn_id)),
    };
    let (id, authenticated) = if by_key {
        let read = super::assertion::read(assertion);
        let id = read
            .as_ref()
            .ok()
            .and_then(|r| r.issuer())
            .unwrap_or_default()
            .to_string();
        let named = form.get("client_id");
        let found = if id.is_empty()
            || id.len() > 100
            || id.contains('\0')
            || (!named.is_empty() && named != id)
        {
            None
        } else {
            state.store.api_client_for_sign_in(&id).await?
        };
        let checked = match (&read, found) {
            (Err(e), _) => Err(refuse(e.clone(), None)),
            (Ok(_), None) => Err(refuse("no live client has that id".into(), None)),
            (Ok(_), Some((c, _))) if c.jwks.is_none() => Err(refuse(
                "the client has no public keys registered".into(),
                Some(&c),
            )),
            (Ok(r), Some((c, _))) => match super::assertion::verify(
                r,
                &c.client_id,
                c.jwks.as_deref().unwrap_or_default(),
                &token_url,
                storage::now(),
            ) {
                Ok(checked) => Ok((c, checked)),
                Err(super::assertion::Refusal::Unverified(why)) => Err(refuse(why, Some(&c))),
                Err(super::assertion::Refusal::Claims(why)) => Err(Refused {
                    told: why.clone(),
                    why,
                    client: Some((c.id, c.pcn_id)),
                }),
            },
        };
        match checked {
            Ok((c, checked)) => {
                if state
                    .store
                    .use_client_assertion(c.id, &checked.jti, checked.expires_at)
                    .await?
                {
                    let how = format!(
                        "private_key_jwt, jti {}",
                        checked.jti.chars().take(80).collect::<String>()
                    );
                    (id, Ok((c, how)))
                } else {
                    let told =
                        "This assertion was used before: sign a new one (a new jti) for each token"
                            .to_string();
                    (
                        id,
                        Err(Refused {
                            why: format!(
                                "replayed assertion (jti {})",
                                checked.jti.chars().take(80).collect::<String>()
                            ),
                            told,
                            client: Some((c.id, c.pcn_id)),
                        }),
                    )
                }
            }
            Err(r) => (id, Err(r)),
        }
    } else {
        let (id, secret) = basic.unwrap_or_else(|| {
            (
                form.get("client_id").to_string(),
                form.get("client_secret").to_string(),
            )
        });
        // An id no client can have (empty, over-long, or with a NUL, which no database
        // stores) is a failed sign-in like any other, counted towards the address's limit.
        let found = if id.is_empty() || id.len() > 100 || id.contains('\0') {
            None
        } else {
            state.store.api_client_for_sign_in(&id).await?
        };
        let given = sha256_hex(&secret);
        let client = match found {
            Some((c, hash))
                if !secret.is_empty() && constant_time_eq(given.as_bytes(), hash.as_bytes()) =>
            {
                Ok((c, "client secret".to_string()))
            }
            _ => Err(Refused {
                told: "The client id or secret is wrong, or the client was revoked".into(),
                why: "client secret".into(),
                client: None,
            }),
        };
        (id, client)
    };
    let (client, how) = match authenticated {
        Ok(c) => c,
        Err(refused) => {
            state.throttle.fail(&address, window).await?;
            let actor = Actor {
                user_id: None,
                label: format!(
                    "api-client:{}",
                    id.chars()
                        .filter(|c| !c.is_control())
                        .take(100)
                        .collect::<String>()
                ),
                ip,
            };
            let (entity, pcn) = refused.client.map_or((None, None), |(e, p)| (Some(e), p));
            state
                .store
                .append_audit(
                    &AuditEntry::new(
                        &actor,
                        "api_client.sign_in_failed",
                        "api_client",
                        entity,
                        pcn,
                    )
                    .detail(if by_key {
                        format!("client assertion: {}", refused.why)
                    } else {
                        refused.why
                    }),
                )
                .await?;
            return Ok(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                &refused.told,
            ));
        }
    };
    let asked = form.get("scope").trim();
    let (scopes, smart_answer) = if asked.is_empty() {
        (client.scopes.clone(), None)
    } else {
        match grant_scopes(asked, &client.scopes) {
            Ok((granted, _)) if granted.is_empty() => {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    &format!(
                        "Nothing asked for is open to this client; it may have: {}",
                        scopes_string(&client.scopes)
                    ),
                ))
            }
            Ok(g) => g,
            Err(e) => {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    &format!(
                        "{e}. This client may have: {}",
                        scopes_string(&client.scopes)
                    ),
                ))
            }
        }
    };
    let token = random_token().map_err(|e| storage::StorageError::Backend(format!("{e:?}")))?;
    let actor = Actor {
        user_id: None,
        label: format!("api-client:{} ({})", client.client_id, client.name),
        ip,
    };
    let expires = storage::now() + chrono::Duration::seconds(TOKEN_SECONDS);
    state
        .store
        .issue_client_token(&client, &sha256_hex(&token), &scopes, expires, &how, &actor)
        .await?;
    let mut r = axum::Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": TOKEN_SECONDS,
        "scope": smart_answer.unwrap_or_else(|| scopes_string(&scopes)),
    }))
    .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn decodes_basic_credentials() {
        assert_eq!(
            base64_decode("YWxhZGRpbjpvcGVuc2VzYW1l").unwrap(),
            b"aladdin:opensesame"
        );
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("not base64!").is_none());
    }
}
