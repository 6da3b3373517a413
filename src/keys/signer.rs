//! PowerSync tokens: short-lived RS256 JWTs the PowerSync service verifies against our JWKS.
//!
//! The header names the signing key (`kid`) so verifiers pick the right JWKS entry during a
//! rotation. Claims are exactly `sub`, `aud`, `type: "powersync"`, `iat` and `exp`; the
//! `type` claim keeps these tokens from being accepted where another kind is expected.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, Header};
use serde::Serialize;

use super::keyset::KeySet;
use super::{KeyError, SECURITY_LOG};

/// Value of the `type` claim of every PowerSync token.
pub const POWERSYNC_TOKEN_TYPE: &str = "powersync";

#[derive(Serialize)]
struct PowerSyncClaims<'a> {
    sub: &'a str,
    aud: &'a str,
    #[serde(rename = "type")]
    token_type: &'static str,
    iat: i64,
    exp: i64,
}

impl KeySet {
    /// Signs a PowerSync token for `user_id`, valid for `ttl` from `now`, with the key current
    /// at `now`.
    pub fn sign_powersync(
        &self,
        user_id: &str,
        audience: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, KeyError> {
        if ttl <= Duration::zero() {
            return Err(KeyError::InvalidTtl);
        }
        let key = self.current(now)?;

        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.record.kid.clone());
        let claims = PowerSyncClaims {
            sub: user_id,
            aud: audience,
            token_type: POWERSYNC_TOKEN_TYPE,
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
        };
        let signing_input = format!("{}.{}", encode_part(&header)?, encode_part(&claims)?);
        let signature = key
            .key
            .sign_rs256(&key.record.kid, signing_input.as_bytes())?;
        let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature));

        tracing::debug!(target: SECURITY_LOG, kid = %key.record.kid, user_id,
            "powersync token minted");
        Ok(token)
    }
}

/// One base64url (unpadded) JSON segment of a compact JWS.
fn encode_part(value: &impl Serialize) -> Result<String, KeyError> {
    let json = serde_json::to_vec(value).map_err(jsonwebtoken::errors::Error::from)?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}
