//! Single sign-on over OpenID Connect (issue 24, ADR 54): the authorisation code flow with
//! PKCE, `state` and `nonce`, against providers the deployment names (NHS CIS2, Microsoft
//! Entra ID, Keycloak …).
//!
//! The `openidconnect` crate does the protocol and every check of the id token: signature
//! against the provider's JWKS (only the algorithms its discovery document lists), issuer,
//! audience, expiry and nonce. Linkwork adds what is its own: which account an identity
//! opens (see `storage::sign_on`), the assurance each role needs (`acr`), client
//! authentication by signed JWT (`private_key_jwt`, as CIS2 and NHS login require), the
//! provider's metadata cached and fetched again when it signs with a key Linkwork has not
//! seen (key rotation), and RP-initiated logout.

use domain::{Code, Role};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreRsaPrivateSigningKey,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthenticationContextClass, AuthorizationCode,
    ClaimsVerificationError, Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenClaims, IdTokenFields, IssuerUrl,
    JsonWebKeyId, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, PrivateSigningKey, ProviderMetadataWithLogout, RedirectUrl, Scope,
    SignatureVerificationError, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A provider as the deployment's configuration file names it (`[[sign_in_providers]]`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// A short name in addresses and the audit log: lower-case letters, digits and `-`.
    pub name: String,
    /// Shown on the button: "Sign in with {label}".
    pub label: String,
    /// The issuer; its `/.well-known/openid-configuration` is read at first use.
    pub issuer: String,
    pub client_id: String,
    /// `client_secret_basic`: the secret the provider issued.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// `private_key_jwt`: a PEM RSA private key whose public half is registered with the
    /// provider (CIS2, NHS login), and the key id registered with it.
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// Scopes besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The id token claim that identifies a user at this provider (`sub` unless the
    /// provider says otherwise).
    #[serde(default = "default_subject_claim")]
    pub subject_claim: String,
    /// `acr_values` to ask the provider for.
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// The assurance each role needs, by role code: the id token's `acr` must be one of
    /// these (e.g. `link_worker = ["AAL3_ANY"]` for CIS2 smartcard-level assurance).
    #[serde(default)]
    pub required_acr: std::collections::BTreeMap<String, Vec<String>>,
    /// Accounts made at first sign-in: only for verified emails in these domains, with the
    /// role and PCN given here (never from the provider). Empty makes none.
    #[serde(default)]
    pub create_accounts: Vec<AccountRule>,
    /// Also end the provider's session at sign-out, where it offers RP-initiated logout.
    #[serde(default = "yes")]
    pub sign_out_at_provider: bool,
    /// The provider requires a second factor of everyone (Entra Conditional Access, say):
    /// roles in `second_factor_roles` may sign in through it without `required_acr` or an
    /// `amr` saying so. Off unless set.
    #[serde(default)]
    pub trust_provider_mfa: bool,
}

/// Where first sign-in may make an account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRule {
    /// The verified email's domain, exactly (`nhs.net`).
    pub email_domain: String,
    /// The PCN's ODS code.
    pub pcn: String,
    /// The role code the account gets.
    pub role: String,
}

fn default_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}
fn default_subject_claim() -> String {
    "sub".into()
}
fn yes() -> bool {
    true
}

/// How Linkwork proves itself at the provider's token endpoint.
enum ClientAuth {
    Secret(ClientSecret),
    PrivateKey {
        key: Box<CoreRsaPrivateSigningKey>,
        kid: String,
    },
}

/// The claims Linkwork does not name: any of them can be the identifying claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}
impl AdditionalClaims for OtherClaims {}

type Tokens = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The provider's discovery document (with its JWKS) is read again after this long.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// After discovery fails, the provider is not asked again for this long.
const FAILURE_PAUSE: Duration = Duration::from_secs(15);

/// A configured provider, ready to use.
pub struct Provider {
    pub name: String,
    pub label: String,
    issuer: IssuerUrl,
    client_id: ClientId,
    auth: ClientAuth,
    scopes: Vec<String>,
    subject_claim: String,
    acr_values: Vec<String>,
    required_acr: Vec<(Role, Vec<String>)>,
    pub create_accounts: Vec<(String, String, Role)>,
    sign_out_at_provider: bool,
    trust_provider_mfa: bool,
    /// Whether plain http is allowed (an issuer on this machine, for tests).
    loopback: bool,
    http: reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(ProviderMetadataWithLogout, Instant)>>,
    /// When discovery last failed: for a little while, a failing provider is not asked
    /// again (every sign-in would wait for its timeout).
    failed_at: std::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id.as_str())
            .finish_non_exhaustive()
    }
}

/// What went wrong, for the audit log; people see [`Failure::explain`].
#[derive(Debug)]
pub enum Failure {
    /// The provider could not be reached or its documents were not valid.
    Unavailable(String),
    /// The provider refused the code (a replayed, expired or stolen code).
    CodeRefused(String),
    /// The id token failed a check (signature, issuer, audience, expiry, nonce).
    BadToken(String),
    /// The provider sent no id token or no identifying claim.
    NoIdentity(String),
}

impl Failure {
    pub fn detail(&self) -> String {
        match self {
            Failure::Unavailable(d) => format!("provider unavailable: {d}"),
            Failure::CodeRefused(d) => format!("code refused: {d}"),
            Failure::BadToken(d) => format!("id token refused: {d}"),
            Failure::NoIdentity(d) => format!("no identity: {d}"),
        }
    }
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct Verified {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub acr: Option<String>,
    /// Authentication methods the provider reports (`amr`: "mfa", "otp", "hwk" …).
    pub amr: Vec<String>,
    /// When the person last authenticated at the provider (`auth_time`), if it says.
    pub auth_time: Option<chrono::DateTime<chrono::Utc>>,
    /// The id token as sent, to hint the provider with at sign-out.
    pub id_token: String,
}

impl Verified {
    /// Who the provider says this is, for people to recognise: the email, else the name.
    pub fn label(&self) -> String {
        self.email
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(120)
            .collect()
    }
}

/// A sign-in to send the browser on.
pub struct Started {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

fn slug_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl Provider {
    /// Checks a provider's settings and loads its key. An error names what is wrong.
    pub fn from_settings(s: ProviderSettings) -> Result<Provider, String> {
        let name = s.name.clone();
        let bad = |m: &str| format!("sign_in_providers {name}: {m}");
        if !slug_ok(&s.name) {
            return Err(bad(
                "name must be lower-case letters, digits and '-' (at most 32)",
            ));
        }
        if s.label.trim().is_empty() {
            return Err(bad("label is empty"));
        }
        let issuer = IssuerUrl::new(s.issuer.clone()).map_err(|e| bad(&format!("issuer: {e}")))?;
        let url = issuer.url();
        let loopback = url.scheme() == "http"
            && matches!(
                url.host(),
                Some(openidconnect::url::Host::Domain("localhost"))
                    | Some(openidconnect::url::Host::Ipv4(
                        std::net::Ipv4Addr::LOCALHOST
                    ))
                    | Some(openidconnect::url::Host::Ipv6(
                        std::net::Ipv6Addr::LOCALHOST
                    ))
            );
        if url.scheme() != "https" && !loopback {
            return Err(bad(
                "issuer must be https:// (plain http only on this machine)",
            ));
        }
        if s.client_id.trim().is_empty() {
            return Err(bad("client_id is empty"));
        }
        let auth = match (&s.client_secret, &s.private_key_file) {
            (Some(secret), None) if !secret.is_empty() => {
                ClientAuth::Secret(ClientSecret::new(secret.clone()))
            }
            (None, Some(path)) => {
                let pem = std::fs::read_to_string(path)
                    .map_err(|e| bad(&format!("private_key_file {}: {e}", path.display())))?;
                let kid = s
                    .private_key_id
                    .clone()
                    .filter(|k| !k.trim().is_empty())
                    .ok_or_else(|| bad("private_key_id is needed with private_key_file"))?;
                let key = rsa_key(&pem, &kid)
                    .map_err(|e| bad(&format!("private_key_file is not an RSA private key: {e}")))?;
                ClientAuth::PrivateKey {
                    key: Box::new(key),
                    kid,
                }
            }
            _ => {
                return Err(bad(
                    "set exactly one of client_secret (client_secret_basic) or private_key_file (private_key_jwt)",
                ))
            }
        };
        let role =
            |code: &str| Role::from_code(code).ok_or_else(|| bad(&format!("{code} is not a role")));
        let mut required_acr = Vec::new();
        for (code, values) in &s.required_acr {
            if values.is_empty() {
                return Err(bad(&format!("required_acr.{code} lists no values")));
            }
            required_acr.push((role(code)?, values.clone()));
        }
        let mut create_accounts = Vec::new();
        for r in &s.create_accounts {
            let domain = r.email_domain.trim().to_lowercase();
            if domain.is_empty() || domain.contains('@') || domain.starts_with('*') {
                return Err(bad("create_accounts.email_domain must be one exact domain"));
            }
            let role = role(&r.role)?;
            // Anyone with a verified email in the domain gets the account: never one that
            // reads people's records or manages anything.
            if role.can_read_people()
                || matches!(role, Role::Admin | Role::Operator | Role::Partner)
            {
                return Err(bad(
                    "create_accounts may only make referrer accounts (roles that read no one's records): ask an administrator to link other staff",
                ));
            }
            create_accounts.push((domain, r.pcn.trim().to_uppercase(), role));
        }
        if s.subject_claim.trim().is_empty() {
            return Err(bad("subject_claim is empty"));
        }
        if matches!(
            s.subject_claim.as_str(),
            "email" | "preferred_username" | "name"
        ) {
            return Err(bad(
                "subject_claim must be a claim the provider never reassigns (sub, or oid for Entra ID): an email or user name can change hands",
            ));
        }
        let http = reqwest::Client::builder()
            // A provider's answers are read from where discovery said, never followed on.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| bad(&format!("HTTP client: {e}")))?;
        Ok(Provider {
            name: s.name,
            label: s.label,
            issuer,
            client_id: ClientId::new(s.client_id),
            auth,
            scopes: s.scopes,
            subject_claim: s.subject_claim,
            acr_values: s.acr_values,
            required_acr,
            create_accounts,
            sign_out_at_provider: s.sign_out_at_provider,
            trust_provider_mfa: s.trust_provider_mfa,
            loopback,
            http,
            metadata: tokio::sync::Mutex::new(None),
            failed_at: std::sync::Mutex::new(None),
        })
    }

    /// The provider's discovery document and keys: cached, read again after an hour or
    /// when `refresh` (an id token signed with a key Linkwork has not seen: only the
    /// provider's own token endpoint can hand Linkwork one, so no one else can force it).
    async fn metadata(&self, refresh: bool) -> Result<ProviderMetadataWithLogout, Failure> {
        let mut cached = self.metadata.lock().await;
        if let Some((m, at)) = cached.as_ref() {
            if at.elapsed() < METADATA_TTL && !refresh {
                return Ok(m.clone());
            }
        }
        let recently_failed = self
            .failed_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|t| t.elapsed() < FAILURE_PAUSE);
        if recently_failed {
            return Err(Failure::Unavailable(
                "not answering (asked again shortly)".into(),
            ));
        }
        let found = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| Failure::Unavailable(error_chain(&e)))
            .and_then(|m| self.endpoints_secure(m));
        match found {
            Ok(m) => {
                *cached = Some((m.clone(), Instant::now()));
                Ok(m)
            }
            Err(e) => {
                *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                Err(e)
            }
        }
    }

    /// Every endpoint discovery names is https (plain http only for a provider on this
    /// machine).
    fn endpoints_secure(
        &self,
        m: ProviderMetadataWithLogout,
    ) -> Result<ProviderMetadataWithLogout, Failure> {
        let mut urls = vec![
            m.authorization_endpoint().url().clone(),
            m.jwks_uri().url().clone(),
        ];
        urls.extend(m.token_endpoint().map(|u| u.url().clone()));
        urls.extend(m.userinfo_endpoint().map(|u| u.url().clone()));
        urls.extend(
            m.additional_metadata()
                .end_session_endpoint
                .as_ref()
                .map(|u| u.url().clone()),
        );
        match urls
            .iter()
            .find(|u| u.scheme() != "https" && !self.loopback)
        {
            Some(u) => Err(Failure::Unavailable(format!(
                "discovery names a plain http endpoint: {u}"
            ))),
            None => Ok(m),
        }
    }

    fn client(
        &self,
        meta: ProviderMetadataWithLogout,
        redirect: &str,
    ) -> Result<OidcClient, Failure> {
        let secret = match &self.auth {
            ClientAuth::Secret(s) => Some(s.clone()),
            ClientAuth::PrivateKey { .. } => None,
        };
        let redirect = RedirectUrl::new(redirect.to_string())
            .map_err(|e| Failure::Unavailable(format!("redirect address: {e}")))?;
        let client = OidcClient::from_provider_metadata(meta, self.client_id.clone(), secret)
            .set_redirect_uri(redirect)
            .set_auth_type(match self.auth {
                ClientAuth::Secret(_) => AuthType::BasicAuth,
                ClientAuth::PrivateKey { .. } => AuthType::RequestBody,
            });
        Ok(client)
    }

    /// The address Linkwork asks the provider to send the browser back to.
    pub fn redirect_uri(&self, public_url: &str) -> String {
        format!(
            "{}/login/sso/{}/callback",
            public_url.trim_end_matches('/'),
            self.name
        )
    }

    /// Starts a sign-in: where to send the browser, and what to keep until it is back.
    /// `fresh` asks the provider to sign the person in again whatever session it holds
    /// (`prompt=login`, `max_age=0`): linking must be done by whoever is at the keyboard,
    /// not by whoever left a session open at the provider.
    pub async fn start(&self, public_url: &str, fresh: bool) -> Result<Started, Failure> {
        let meta = self.metadata(false).await?;
        let client = self.client(meta, &self.redirect_uri(public_url))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for s in &self.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        for a in &self.acr_values {
            req = req.add_auth_context_value(AuthenticationContextClass::new(a.clone()));
        }
        if fresh {
            req = req
                .add_prompt(openidconnect::core::CoreAuthPrompt::Login)
                .set_max_age(Duration::ZERO);
        }
        let (url, state, nonce) = req.url();
        Ok(Started {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and checks the id token. On a signature made with a key not in
    /// the cached set, the provider's keys are read again and the check made once more.
    pub async fn finish(
        &self,
        public_url: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Verified, Failure> {
        let meta = self.metadata(false).await?;
        let token_url = meta
            .token_endpoint()
            .map(|u| u.as_str().to_string())
            .ok_or_else(|| Failure::Unavailable("no token endpoint".into()))?;
        let client = self.client(meta, &self.redirect_uri(public_url))?;
        let mut req = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| Failure::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()));
        if let ClientAuth::PrivateKey { key, kid } = &self.auth {
            let assertion = client_assertion(key, kid, self.client_id.as_str(), &token_url)?;
            req = req
                .add_extra_param(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .add_extra_param("client_assertion", assertion);
        }
        let tokens = req.request_async(&self.http).await.map_err(|e| {
            use openidconnect::RequestTokenError as E;
            match e {
                E::ServerResponse(r) => Failure::CodeRefused(format!(
                    "{}{}",
                    r.error().as_ref(),
                    r.error_description()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                )),
                other => Failure::Unavailable(error_chain(&other)),
            }
        })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| Failure::NoIdentity("no id token in the token response".into()))?;
        let nonce = Nonce::new(nonce.to_string());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(c) => c.clone(),
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // Signed with a key Linkwork has not seen: the provider may have rotated.
                let meta = self.metadata(true).await?;
                let client = self.client(meta, &self.redirect_uri(public_url))?;
                let verifier = client.id_token_verifier();
                let claims = id_token
                    .claims(&verifier, &nonce)
                    .map_err(|e| Failure::BadToken(error_chain(&e)))?
                    .clone();
                claims
            }
            Err(e) => return Err(Failure::BadToken(error_chain(&e))),
        };
        // With one audience the crate does not check `azp`; a token issued to another
        // client of the provider is refused here.
        if let Some(azp) = claims.authorized_party() {
            if azp.as_str() != self.client_id.as_str() {
                return Err(Failure::BadToken(format!(
                    "azp {} is not this client",
                    azp.as_str()
                )));
            }
        }
        let subject = self.subject_of(&claims)?;
        let mut email = claims.email().map(|e| e.as_str().to_lowercase());
        let mut email_verified = claims.email_verified().unwrap_or(false);
        let mut name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string());
        // Many providers put the email and name only in UserInfo: asked for when the id
        // token has neither (for an account made at first sign-in, and so that a linked
        // identity can be recognised by its owner).
        if email.is_none() && name.is_none() {
            if let Ok(req) = client.user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            ) {
                match req
                    .request_async::<OtherClaims, _, CoreGenderClaim>(&self.http)
                    .await
                {
                    Ok(info) => {
                        email = info.email().map(|e| e.as_str().to_lowercase());
                        email_verified = info.email_verified().unwrap_or(false);
                        if name.is_none() {
                            name = info
                                .name()
                                .and_then(|n| n.get(None))
                                .map(|n| n.as_str().to_string());
                        }
                    }
                    Err(e) => {
                        tracing::warn!(provider = %self.name, "userinfo: {}", error_chain(&e))
                    }
                }
            }
        }
        Ok(Verified {
            subject,
            email,
            email_verified,
            name,
            acr: claims.auth_context_ref().map(|a| a.as_str().to_string()),
            amr: claims
                .auth_method_refs()
                .map(|v| v.iter().map(|a| a.as_str().to_string()).collect())
                .unwrap_or_default(),
            auth_time: claims.auth_time(),
            id_token: id_token.to_string(),
        })
    }

    fn subject_of(
        &self,
        claims: &IdTokenClaims<OtherClaims, CoreGenderClaim>,
    ) -> Result<String, Failure> {
        let s = match self.subject_claim.as_str() {
            "sub" => Some(claims.subject().as_str().to_string()),
            other => claims
                .additional_claims()
                .other
                .get(other)
                .and_then(|v| v.as_str().map(str::to_string)),
        };
        s.filter(|s| !s.is_empty() && s.len() <= 255)
            .ok_or_else(|| Failure::NoIdentity(format!("no {} claim", self.subject_claim)))
    }

    /// Whether a sign-in's assurance is enough for this role: true when the deployment
    /// sets no requirement for it.
    pub fn assurance_ok(&self, role: Role, acr: Option<&str>) -> bool {
        match self.required_acr.iter().find(|(r, _)| *r == role) {
            None => true,
            Some((_, allowed)) => acr.is_some_and(|a| allowed.iter().any(|x| x == a)),
        }
    }

    /// Whether the sign-in is strong enough for a role the deployment requires a second
    /// factor of: the provider's `acr` is checked for that role, or the provider is
    /// trusted to require one of everyone, or its `amr` names a second factor.
    pub fn second_factor_ok(&self, role: Role, required: &[Role], amr: &[String]) -> bool {
        const STRONG: [&str; 9] = [
            "mfa", "otp", "hwk", "sc", "swk", "fpt", "face", "iris", "retina",
        ];
        !required.contains(&role)
            || self.required_acr.iter().any(|(r, _)| *r == role)
            || self.trust_provider_mfa
            || amr.iter().any(|a| STRONG.contains(&a.as_str()))
    }

    /// Where to send the browser to end the provider's session too, if it offers that.
    pub async fn logout_url(&self, public_url: &str, id_token: Option<&str>) -> Option<String> {
        if !self.sign_out_at_provider {
            return None;
        }
        let meta = self.metadata(false).await.ok()?;
        let end = meta.additional_metadata().end_session_endpoint.clone()?;
        let back = PostLogoutRedirectUrl::new(format!(
            "{}/login?signed_out=1",
            public_url.trim_end_matches('/')
        ))
        .ok()?;
        let mut req = LogoutRequest::from(end)
            .set_client_id(self.client_id.clone())
            .set_post_logout_redirect_uri(back);
        if let Some(t) = id_token {
            if let Ok(t) = t.parse::<openidconnect::core::CoreIdToken>() {
                req = req.set_id_token_hint(&t);
            }
        }
        Some(req.http_get_url().to_string())
    }
}

/// An RSA private key in PEM, PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE
/// KEY`, what `openssl genpkey` writes).
fn rsa_key(pem: &str, kid: &str) -> Result<CoreRsaPrivateSigningKey, String> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let pkcs1 = if pem.contains("BEGIN PRIVATE KEY") {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| e.to_string())?;
        key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .map_err(|e| e.to_string())?
            .to_string()
    } else {
        pem.to_string()
    };
    CoreRsaPrivateSigningKey::from_pem(&pkcs1, Some(JsonWebKeyId::new(kid.to_string())))
}

/// A `private_key_jwt` client assertion (RFC 7523): signed by the deployment's key, for
/// the token endpoint, used once (`jti`), valid for five minutes.
fn client_assertion(
    key: &CoreRsaPrivateSigningKey,
    kid: &str,
    client_id: &str,
    token_url: &str,
) -> Result<String, Failure> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = chrono::Utc::now().timestamp();
    let jti = crate::auth::random_token().map_err(|_| Failure::Unavailable("random".into()))?;
    let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": kid });
    let claims = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": token_url,
        "jti": jti, "iat": now, "exp": now + 300,
    });
    let input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let sig = key
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            input.as_bytes(),
        )
        .map_err(|e| Failure::Unavailable(format!("signing the client assertion: {e}")))?;
    Ok(format!("{input}.{}", b64.encode(sig)))
}

/// An error and its causes, in one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s.chars().take(300).collect()
}
