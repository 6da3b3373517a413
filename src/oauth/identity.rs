//! Who a verified provider identity is: a linked user, a new user, or a refusal.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{OAuth, OAuthResult, Refusal, new_code};
use crate::auth::{SECURITY, input, tokens};
use crate::store::{
    NewExchangeCode, NewUser, OAuthMode, OAuthStateRecord, ProviderProfile, StoreError,
};

/// The name of an account whose provider shares neither a name nor an email.
const FALLBACK_NAME: &str = "Papyrus reader";

impl OAuth {
    /// The one-time code for the app, or why there is none.
    pub(super) async fn issue_code(
        &self,
        state: &OAuthStateRecord,
        profile: &ProviderProfile,
        now: DateTime<Utc>,
    ) -> OAuthResult<Result<String, Refusal>> {
        let resolved = match state.mode {
            OAuthMode::Login => self.sign_in_user(profile, now).await?,
            OAuthMode::LinkGoogle => self.link_target(state, profile).await?,
        };
        let user_id = match resolved {
            Ok(user_id) => user_id,
            Err(refusal) => return Ok(Err(refusal)),
        };

        let (code, expires_at) = new_code(self.inner.config.exchange_code_ttl, now);
        let row = NewExchangeCode {
            code_id: Uuid::new_v4(),
            code_hash: tokens::digest(&code),
            purpose: state.mode,
            user_id,
            profile: (state.mode == OAuthMode::LinkGoogle).then(|| profile.clone()),
            redirect_uri: state.redirect_uri.clone(),
            code_challenge: state.code_challenge.clone(),
            expires_at,
            created_at: now,
        };
        self.inner.store.insert_exchange_code(&row).await?;
        Ok(Ok(code))
    }

    /// The user a sign-in is for: the identity's owner, or a new account.
    async fn sign_in_user(
        &self,
        profile: &ProviderProfile,
        now: DateTime<Utc>,
    ) -> OAuthResult<Result<Uuid, Refusal>> {
        match self.sign_in_linked(profile, now).await? {
            Some(outcome) => Ok(outcome),
            None => self.create_user(profile, now).await,
        }
    }

    /// Signs in the owner of the identity, or `None` when no account has it yet.
    async fn sign_in_linked(
        &self,
        profile: &ProviderProfile,
        now: DateTime<Utc>,
    ) -> OAuthResult<Option<Result<Uuid, Refusal>>> {
        let store = &self.inner.store;
        let owner = store
            .use_identity(&profile.provider, &profile.subject, now)
            .await?;
        match owner {
            Some(user_id) => Ok(Some(self.sign_in_owner(user_id, profile, now).await?)),
            None => Ok(None),
        }
    }

    /// Signs in the user an identity belongs to, unless the account is disabled.
    async fn sign_in_owner(
        &self,
        user_id: Uuid,
        profile: &ProviderProfile,
        now: DateTime<Utc>,
    ) -> OAuthResult<Result<Uuid, Refusal>> {
        let store = &self.inner.store;
        let user = store
            .user_by_id(user_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if user.is_disabled() {
            tracing::info!(target: SECURITY, %user_id, "oauth sign-in refused: disabled");
            return Ok(Err(Refusal::AccountDisabled));
        }

        store.record_login(user_id, now).await?;
        tracing::info!(target: SECURITY, %user_id, provider = %profile.provider, "oauth sign-in");
        Ok(Ok(user_id))
    }

    /// A new account for an unknown identity, unless its email is already an account's.
    async fn create_user(
        &self,
        profile: &ProviderProfile,
        now: DateTime<Utc>,
    ) -> OAuthResult<Result<Uuid, Refusal>> {
        let store = &self.inner.store;
        if let Some(email) = &profile.email
            && store.user_by_email(email).await?.is_some()
        {
            return self.after_conflict(profile, now).await;
        }

        let user = NewUser {
            user_id: Uuid::new_v4(),
            email: profile.email.clone(),
            display_name: display_name(profile),
            avatar_url: profile.avatar_url.clone(),
            email_verified: profile.email.is_some() && profile.email_verified,
            password_hash: None,
            created_at: now,
        };
        match store.insert_user_with_identity(&user, profile).await {
            Ok(user) => {
                let user_id = user.user_id;
                tracing::info!(target: SECURITY, %user_id, "account registered through oauth");
                Ok(Ok(user_id))
            }
            Err(StoreError::Conflict(_)) => self.after_conflict(profile, now).await,
            Err(error) => Err(error.into()),
        }
    }

    /// A create that found its email taken: when a simultaneous sign-in of the same
    /// identity created that account, this one signs in to it; otherwise the email
    /// belongs to another account and is never linked automatically.
    async fn after_conflict(
        &self,
        profile: &ProviderProfile,
        now: DateTime<Utc>,
    ) -> OAuthResult<Result<Uuid, Refusal>> {
        if let Some(outcome) = self.sign_in_linked(profile, now).await? {
            return Ok(outcome);
        }

        tracing::info!(target: SECURITY, "oauth sign-in refused: email has an account");
        Ok(Err(Refusal::AccountExists))
    }

    /// The user who started a link, unless the identity is someone else's.
    async fn link_target(
        &self,
        state: &OAuthStateRecord,
        profile: &ProviderProfile,
    ) -> OAuthResult<Result<Uuid, Refusal>> {
        let user_id = state
            .user_id
            .ok_or_else(|| StoreError::Other("a link state without its user".into()))?;
        let owner = self
            .inner
            .store
            .identity_owner(&profile.provider, &profile.subject)
            .await?;
        if owner.is_some_and(|owner| owner != user_id) {
            tracing::info!(target: SECURITY, %user_id, "oauth link refused: identity taken");
            return Ok(Err(Refusal::IdentityTaken));
        }
        Ok(Ok(user_id))
    }
}

/// The profile's name, else the email's local part, else a neutral name.
fn display_name(profile: &ProviderProfile) -> String {
    let from_email = || {
        let email = profile.email.as_deref()?;
        let local = email.split('@').next()?;
        input::display_name(local).ok()
    };
    profile
        .display_name
        .clone()
        .or_else(from_email)
        .unwrap_or_else(|| FALLBACK_NAME.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: Option<&str>, email: Option<&str>) -> ProviderProfile {
        ProviderProfile {
            provider: "google".into(),
            subject: "1".into(),
            email: email.map(String::from),
            email_verified: true,
            display_name: name.map(String::from),
            avatar_url: None,
        }
    }

    #[test]
    fn display_names_fall_back_to_the_email() {
        let ada = profile(Some("Ada"), Some("ada@example.com"));
        assert_eq!(display_name(&ada), "Ada");
        assert_eq!(
            display_name(&profile(None, Some("ada.l@example.com"))),
            "ada.l"
        );
        assert_eq!(display_name(&profile(None, None)), FALLBACK_NAME);
    }
}
