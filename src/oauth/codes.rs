//! Redeeming the one-time codes the callback hands the app.

use chrono::Utc;

use super::{OAuth, OAuthError, OAuthResult, pkce};
use crate::auth::{AuthError, Authenticated, ClientInfo, IssuedTokens, SECURITY, tokens};
use crate::store::{ExchangeCodeRecord, OAuthMode, StoreError, UserRecord};

impl OAuth {
    /// A session for the user a sign-in code names. Reused, expired, unknown codes and
    /// a missing or wrong PKCE verifier all answer [`OAuthError::InvalidCode`].
    pub async fn exchange(
        &self,
        code: &str,
        verifier: Option<&str>,
        client: ClientInfo,
    ) -> OAuthResult<IssuedTokens> {
        let record = self.consume(code, OAuthMode::Login).await?;
        if let Some(challenge) = &record.code_challenge
            && !verifier.is_some_and(|v| pkce::verifies(v, challenge))
        {
            tracing::warn!(target: SECURITY, "code exchange refused: PKCE verifier mismatch");
            return Err(OAuthError::InvalidCode);
        }

        let user_id = record.user_id.ok_or(OAuthError::InvalidCode)?;
        let store = &self.inner.store;
        let user = store
            .user_by_id(user_id)
            .await?
            .ok_or(OAuthError::InvalidCode)?;
        if user.is_disabled() {
            return Err(AuthError::AccountDisabled.into());
        }

        tracing::info!(target: SECURITY, %user_id, "exchange code redeemed");
        Ok(self
            .inner
            .auth
            .start_session(user, client, Utc::now())
            .await?)
    }

    /// Links the identity a link code carries to the caller, who must be the user that
    /// started the link.
    pub async fn complete_link(
        &self,
        caller: &Authenticated,
        code: &str,
    ) -> OAuthResult<UserRecord> {
        let record = self.consume(code, OAuthMode::LinkGoogle).await?;
        let user_id = caller.user.user_id;
        if record.user_id != Some(user_id) {
            tracing::warn!(target: SECURITY, %user_id, "link refused: code of another user");
            return Err(OAuthError::CodeOfAnotherUser);
        }
        let profile = record.profile.ok_or(OAuthError::InvalidCode)?;

        let linked = self
            .inner
            .store
            .link_identity(user_id, &profile, Utc::now())
            .await;
        match linked {
            Ok(user) => {
                let provider = &profile.provider;
                tracing::info!(target: SECURITY, %user_id, %provider, "identity linked");
                Ok(user)
            }
            Err(StoreError::Conflict(_)) => Err(OAuthError::IdentityTaken),
            Err(error) => Err(error.into()),
        }
    }

    async fn consume(&self, code: &str, purpose: OAuthMode) -> OAuthResult<ExchangeCodeRecord> {
        let digest = tokens::digest(code);
        let found = self
            .inner
            .store
            .consume_exchange_code(&digest, purpose, Utc::now())
            .await?;
        found.ok_or(OAuthError::InvalidCode)
    }
}
