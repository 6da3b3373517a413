//! One OpenID Connect provider (Google by default): the authorization URL, the code
//! exchange at the token endpoint and the checks on the ID token it returns.
//!
//! An ID token is believed only when its signature verifies against the provider's
//! published keys with an asymmetric algorithm, its issuer and audience are ours, it
//! has not expired (a minute of clock skew allowed) and its nonce is the one this
//! sign-in sent. The access token the provider returns is never used or kept.

use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::Value;
use subtle::ConstantTimeEq;
use url::Url;

use super::jwks::KeyCache;
use crate::auth::input;
use crate::config::ProviderConfig;
use crate::store::ProviderProfile;

/// Outbound calls give up after this long; the browser is waiting on the callback.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 60;
/// Symmetric algorithms are refused: with them, anyone holding the client secret
/// (or a key set that publishes one) could mint tokens.
const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Why talking to the provider failed. The text is for the log, never the client.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("provider unreachable: {0}")]
    Unreachable(String),
    #[error("provider refused: {0}")]
    Refused(String),
    #[error("the ID token names a key the provider does not publish")]
    UnknownKey,
    #[error("invalid ID token: {0}")]
    InvalidIdToken(String),
}

/// The values one authorization request carries to the provider.
pub struct AuthorizationRequest<'a> {
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub code_challenge: &'a str,
    pub nonce: &'a str,
}

pub struct Provider {
    /// The name identities are stored under.
    pub name: &'static str,
    config: ProviderConfig,
    http: reqwest::Client,
    keys: KeyCache,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct IdClaims {
    sub: String,
    nonce: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: Value,
    name: Option<String>,
    picture: Option<String>,
    #[serde(default)]
    aud: Value,
    azp: Option<String>,
}

impl Provider {
    pub fn new(name: &'static str, config: ProviderConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let keys = KeyCache::new(http.clone(), config.jwks_url.clone());
        Ok(Self {
            name,
            config,
            http,
            keys,
        })
    }

    /// Where to send the browser to sign in.
    pub fn authorization_url(&self, request: &AuthorizationRequest<'_>) -> Url {
        let mut url = self.config.authorization_url.clone();
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", request.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid email profile")
            .append_pair("state", request.state)
            .append_pair("code_challenge", request.code_challenge)
            .append_pair("code_challenge_method", super::pkce::METHOD)
            .append_pair("nonce", request.nonce);
        url
    }

    /// Redeems an authorization code and returns the verified identity.
    pub async fn sign_in(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<ProviderProfile, ProviderError> {
        let id_token = self.redeem(code, redirect_uri, pkce_verifier).await?;
        self.verify_id_token(&id_token, nonce).await
    }

    /// The token request, authenticated with the client secret in the body
    /// (`client_secret_post`, which Google and most providers accept).
    async fn redeem(
        &self,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: &str,
    ) -> Result<String, ProviderError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("client_id", &self.config.client_id)
            .append_pair("client_secret", self.config.client_secret.expose_secret())
            .append_pair("code_verifier", pkce_verifier)
            .finish();
        let response = self
            .http
            .post(self.config.token_url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(format!("token endpoint: {e}")))?;

        let status = response.status();
        if !status.is_success() {
            return Err(ProviderError::Refused(format!(
                "token endpoint answered {status}"
            )));
        }
        let tokens: TokenResponse = response
            .json()
            .await
            .map_err(|e| ProviderError::Refused(format!("token response unreadable: {e}")))?;
        tokens
            .id_token
            .ok_or_else(|| ProviderError::Refused("token response without an id_token".into()))
    }

    async fn verify_id_token(
        &self,
        token: &str,
        nonce: &str,
    ) -> Result<ProviderProfile, ProviderError> {
        let invalid = |reason: &str| ProviderError::InvalidIdToken(reason.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed"))?;
        if !ALGORITHMS.contains(&header.alg) {
            return Err(invalid("signed with a refused algorithm"));
        }
        let jwk = self.keys.key(header.kid.as_deref()).await?;
        let key = decoding_key(&jwk, header.alg)?;

        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &validation)
            .map_err(|e| ProviderError::InvalidIdToken(e.to_string()))?
            .claims;

        self.check_claims(&claims, nonce)?;
        Ok(profile(self.name, claims))
    }

    /// What the library does not check: the nonce, and the authorized party when the
    /// token was issued to several audiences.
    fn check_claims(&self, claims: &IdClaims, nonce: &str) -> Result<(), ProviderError> {
        let sent = nonce.as_bytes();
        let nonce_ok = claims
            .nonce
            .as_deref()
            .is_some_and(|got| bool::from(got.as_bytes().ct_eq(sent)));
        if !nonce_ok {
            return Err(ProviderError::InvalidIdToken("nonce mismatch".into()));
        }
        let several = claims.aud.as_array().is_some_and(|list| list.len() > 1);
        if several && claims.azp.as_deref() != Some(self.config.client_id.as_str()) {
            return Err(ProviderError::InvalidIdToken(
                "azp is not this client".into(),
            ));
        }
        if claims.sub.is_empty() || claims.sub.len() > 255 {
            return Err(ProviderError::InvalidIdToken("unusable sub".into()));
        }
        Ok(())
    }
}

/// A verification key of the algorithm's family; an HMAC key in a key set is refused.
fn decoding_key(jwk: &Jwk, alg: Algorithm) -> Result<DecodingKey, ProviderError> {
    let family_ok = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(_) => {
            matches!(alg, Algorithm::ES256 | Algorithm::ES384)
        }
        _ => false,
    };
    if !family_ok {
        return Err(ProviderError::InvalidIdToken(
            "key does not fit the algorithm".into(),
        ));
    }
    DecodingKey::from_jwk(jwk).map_err(|e| ProviderError::InvalidIdToken(e.to_string()))
}

/// The claims as papyrus keeps them: email normalised, name and picture dropped when
/// they would not pass the rules for user input.
fn profile(provider: &str, claims: IdClaims) -> ProviderProfile {
    let email_verified = matches!(&claims.email_verified, Value::Bool(true))
        || matches!(&claims.email_verified, Value::String(s) if s == "true");
    ProviderProfile {
        provider: provider.to_owned(),
        subject: claims.sub,
        email: claims.email.and_then(|e| input::email(&e).ok()),
        email_verified,
        display_name: claims.name.and_then(|n| input::display_name(&n).ok()),
        avatar_url: claims.picture.and_then(|p| input::avatar_url(&p).ok()),
    }
}
