//! Access tokens and refresh tokens.
//!
//! Access tokens are HS256 JWTs signed with `SECRET_KEY`, with the claims of the
//! earlier Papyrus server (`sub`, `sid`, `iat`, `exp`, `type: "access"`), so tokens
//! survive a switch between the two servers. A valid signature is not enough: every
//! request also checks the session the `sid` names.
//!
//! Refresh tokens are opaque: 256 random bits, URL-safe base64. Only their SHA-256
//! digest is stored. On rotation the next token is derived from the presented one
//! with HMAC-SHA256 keyed by `SECRET_KEY`, so two racing refreshes of one token
//! compute the same successor without the server ever storing a token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `type` claim of access tokens.
pub const ACCESS_TOKEN_TYPE: &str = "access";

/// 256 random bits as URL-safe base64 without padding (43 characters).
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The lower-case hex SHA-256 digest under which a token is stored.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(rename = "type", default)]
    pub token_type: Option<String>,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessTokenError {
    Malformed,
    Expired,
    WrongType,
}

/// The keys derived from `SECRET_KEY`, parsed once at startup.
#[derive(Clone)]
pub struct TokenKeys {
    secret: SecretString,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    /// Fails only for an empty secret.
    pub fn new(secret: &SecretString) -> Result<Self, jsonwebtoken::errors::Error> {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Self {
            secret: secret.clone(),
            encoding: EncodingKey::from_secret(bytes)?,
            decoding: DecodingKey::from_secret(bytes)?,
            validation,
        })
    }

    pub fn issue_access(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = AccessClaims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iat: now.timestamp(),
            exp: now.timestamp() + ttl.as_secs() as i64,
            token_type: Some(ACCESS_TOKEN_TYPE.to_owned()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// Checks signature, expiry and type; the session is the caller's to check.
    pub fn verify_access(&self, token: &str) -> Result<AccessClaims, AccessTokenError> {
        use jsonwebtoken::errors::ErrorKind;

        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AccessTokenError::Expired,
                _ => AccessTokenError::Malformed,
            })?;
        if data.claims.token_type.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(AccessTokenError::WrongType);
        }
        Ok(data.claims)
    }

    /// The refresh token that replaces `parent`: deterministic, unguessable without
    /// `SECRET_KEY`.
    pub fn next_refresh_token(&self, parent: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"papyrus refresh rotation\0");
        mac.update(parent.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&SecretString::from("test-secret-test-secret-test-secret")).unwrap()
    }

    #[test]
    fn access_tokens_round_trip_and_expire() {
        let keys = keys();
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let ttl = std::time::Duration::from_secs(60);
        let token = keys.issue_access(user, session, Utc::now(), ttl).unwrap();
        let claims = keys.verify_access(&token).unwrap();
        assert_eq!(claims.sub, user.to_string());
        assert_eq!(claims.sid, session.to_string());

        let old = Utc::now() - chrono::Duration::hours(2);
        let expired = keys.issue_access(user, session, old, ttl).unwrap();
        assert_eq!(
            keys.verify_access(&expired).unwrap_err(),
            AccessTokenError::Expired
        );
    }

    #[test]
    fn other_keys_and_types_are_refused() {
        let keys = keys();
        let other =
            TokenKeys::new(&SecretString::from("another-secret-another-secret-xx")).unwrap();
        let token = other
            .issue_access(
                Uuid::new_v4(),
                Uuid::new_v4(),
                Utc::now(),
                std::time::Duration::from_secs(60),
            )
            .unwrap();
        assert_eq!(
            keys.verify_access(&token).unwrap_err(),
            AccessTokenError::Malformed
        );

        let claims = serde_json::json!({
            "sub": "u", "sid": "s", "iat": 0, "exp": Utc::now().timestamp() + 60, "type": "refresh"
        });
        let refresh = jsonwebtoken::encode(&Header::default(), &claims, &keys.encoding).unwrap();
        assert_eq!(
            keys.verify_access(&refresh).unwrap_err(),
            AccessTokenError::WrongType
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_successors_deterministic() {
        let keys = keys();
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(keys.next_refresh_token(&a), keys.next_refresh_token(&a));
        assert_ne!(keys.next_refresh_token(&a), a);
        assert_eq!(digest("abc").len(), 64);
    }
}
