//! Sign-in with Google (or any OpenID Connect provider), owned by papyrus.
//!
//! The app never talks to the provider. It opens `start` in a browser with its own
//! callback; papyrus sends the browser to the provider; the provider sends it back to
//! papyrus's callback; papyrus verifies who signed in and sends the browser on to the
//! app's callback with a one-time code, which the app exchanges for papyrus tokens.
//! The rules:
//! - The app's callback must pass the [`redirect`] policy before anything else happens.
//! - `state` is single-use and expires (`OAUTH_STATE_EXPIRE_MINUTES`); only its digest
//!   is stored, together with the PKCE verifier and the nonce of that request. A
//!   forged or replayed callback is refused before the provider is called.
//! - An identity already linked signs in its user. An unknown identity whose email
//!   belongs to an account is refused with `account_exists`: taking over an account
//!   because a provider vouches for its email is never done implicitly; the owner
//!   links the identity while signed in.
//! - Exchange codes are single-use, stored hashed and expire
//!   (`AUTH_EXCHANGE_CODE_EXPIRE_MINUTES`). When the app sent a PKCE challenge, its
//!   code is redeemed only with the matching verifier. A code presented with a wrong
//!   verifier is spent all the same.
//! - Once the state is valid, every failure reaches the app as `error=<reason>` on its
//!   callback, never as a papyrus error page.
//!
//! Security events are logged on the `papyrus::security` target; codes, states,
//! verifiers and tokens never are.

mod codes;
mod identity;
mod jwks;
pub mod pkce;
pub mod provider;
pub mod redirect;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;
use uuid::Uuid;

use crate::auth::{Auth, AuthError, SECURITY, tokens};
use crate::config::{OAuthConfig, ServerConfig};
use crate::store::{DynStore, NewOAuthState, OAuthMode, OAuthStateRecord, StoreError};
use provider::{AuthorizationRequest, Provider};
use redirect::RedirectPolicy;

/// The provider name identities and states are stored under.
pub const GOOGLE: &str = "google";

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("Google OAuth is not configured")]
    NotConfigured,
    /// A request field is wrong; (field, reason).
    #[error("{0} {1}")]
    Invalid(&'static str, String),
    #[error("unknown or already used state")]
    InvalidState,
    #[error("invalid or expired code")]
    InvalidCode,
    #[error("the code belongs to another user")]
    CodeOfAnotherUser,
    #[error("the identity is linked to another user")]
    IdentityTaken,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type OAuthResult<T> = Result<T, OAuthError>;

/// Why a sign-in ended without a code; the `error` value the app's callback gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    AccessDenied,
    InvalidState,
    ProviderError,
    AccountExists,
    AccountDisabled,
    IdentityTaken,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::AccessDenied => "access_denied",
            Refusal::InvalidState => "invalid_state",
            Refusal::ProviderError => "provider_error",
            Refusal::AccountExists => "account_exists",
            Refusal::AccountDisabled => "account_disabled",
            Refusal::IdentityTaken => "identity_taken",
        }
    }
}

/// A sign-in or link the app asks to start.
pub struct StartRequest<'a> {
    pub redirect_uri: &'a str,
    /// The signed-in user for a link; `None` for a sign-in.
    pub linking_user: Option<Uuid>,
    /// The app's S256 challenge, already checked with [`pkce::app_challenge`].
    pub code_challenge: Option<String>,
}

/// What the provider put on papyrus's callback.
#[derive(Debug, Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The sign-in service; cheap to clone.
#[derive(Clone)]
pub struct OAuth {
    inner: Arc<Inner>,
}

struct Inner {
    store: DynStore,
    auth: Auth,
    config: OAuthConfig,
    policy: RedirectPolicy,
    google: Option<Provider>,
    /// `PUBLIC_BASE_URL` joined with the API prefix, when set.
    public_api_url: Option<String>,
}

impl OAuth {
    /// Fails only when the HTTP client for the provider cannot be built.
    pub fn new(config: &ServerConfig, store: DynStore, auth: Auth) -> Result<Self, reqwest::Error> {
        let google = match &config.oauth.google {
            Some(google) => Some(Provider::new(GOOGLE, google.clone())?),
            None => None,
        };
        let public_api_url = config.public_base_url.as_ref().map(|base| {
            format!(
                "{}{}",
                base.as_str().trim_end_matches('/'),
                config.api_prefix
            )
        });
        let inner = Inner {
            store,
            auth,
            config: config.oauth.clone(),
            policy: RedirectPolicy::from_config(config),
            google,
            public_api_url,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    fn google(&self) -> OAuthResult<&Provider> {
        self.inner.google.as_ref().ok_or(OAuthError::NotConfigured)
    }

    /// papyrus's own callback: `GOOGLE_OAUTH_REDIRECT_URI`, else under
    /// `PUBLIC_BASE_URL`, else under `request_origin` (`http://<Host>`, which
    /// production never reaches: it refuses to start without one of the first two).
    pub fn callback_uri(
        &self,
        request_origin: impl FnOnce() -> Option<String>,
    ) -> OAuthResult<Url> {
        let google = self.google()?;
        let explicit = self
            .inner
            .config
            .google
            .as_ref()
            .and_then(|g| g.redirect_uri.clone());
        if let Some(uri) = explicit {
            return Ok(uri);
        }
        let api = match &self.inner.public_api_url {
            Some(api) => api.clone(),
            None => request_origin()
                .ok_or(OAuthError::Invalid("Host", "must name this server".into()))?,
        };
        let path = format!("{api}/auth/oauth/{}/callback", google.name);
        Url::parse(&path).map_err(|_| OAuthError::Invalid("Host", "must name this server".into()))
    }

    /// Remembers the request and returns the provider's authorization URL.
    pub async fn start(&self, request: StartRequest<'_>, callback: &Url) -> OAuthResult<Url> {
        let google = self.google()?;
        let app_redirect = self
            .inner
            .policy
            .check(request.redirect_uri)
            .map_err(|reason| OAuthError::Invalid("redirect_uri", reason))?;

        let (state, verifier, nonce) = (
            tokens::random_token(),
            tokens::random_token(),
            tokens::random_token(),
        );
        let now = Utc::now();
        let mode = match request.linking_user {
            Some(_) => OAuthMode::LinkGoogle,
            None => OAuthMode::Login,
        };
        let row = NewOAuthState {
            state_id: Uuid::new_v4(),
            state_hash: tokens::digest(&state),
            provider: google.name.to_owned(),
            pkce_verifier: verifier.clone(),
            nonce: nonce.clone(),
            redirect_uri: app_redirect.to_string(),
            mode,
            user_id: request.linking_user,
            code_challenge: request.code_challenge,
            expires_at: now + self.inner.config.state_ttl,
            created_at: now,
        };
        self.inner.store.insert_oauth_state(&row).await?;

        Ok(google.authorization_url(&AuthorizationRequest {
            redirect_uri: callback.as_str(),
            state: &state,
            code_challenge: &pkce::challenge(&verifier),
            nonce: &nonce,
        }))
    }

    /// Handles the provider's answer and returns where to send the browser: the app's
    /// callback with `code` or `error`. Without a valid state there is nowhere safe to
    /// send it, and the answer is [`OAuthError::InvalidState`].
    pub async fn callback(&self, params: CallbackParams, callback: &Url) -> OAuthResult<Url> {
        let google = self.google()?;
        let state = self.consume_state(params.state.as_deref()).await?;
        let app_redirect = Url::parse(&state.redirect_uri)
            .map_err(|e| StoreError::Other(format!("stored redirect unreadable: {e}")))?;
        let refuse =
            |refusal: Refusal| redirect::with_params(&app_redirect, &[("error", refusal.as_str())]);

        let now = Utc::now();
        if state.expires_at <= now {
            tracing::info!(target: SECURITY, "oauth callback refused: state expired");
            return Ok(refuse(Refusal::InvalidState));
        }
        let code = match (params.error.as_deref(), params.code.as_deref()) {
            (None, Some(code)) if !code.is_empty() => code,
            (error, _) => {
                let reason = error.map_or("no code", loggable);
                tracing::info!(target: SECURITY, reason, "oauth sign-in not completed");
                let denied = error == Some("access_denied");
                return Ok(refuse(if denied {
                    Refusal::AccessDenied
                } else {
                    Refusal::ProviderError
                }));
            }
        };

        let signed_in = google.sign_in(code, callback.as_str(), &state.pkce_verifier, &state.nonce);
        let profile = match signed_in.await {
            Ok(profile) => profile,
            Err(error) => {
                tracing::warn!(target: SECURITY, %error, "oauth sign-in failed at the provider");
                return Ok(refuse(Refusal::ProviderError));
            }
        };
        match self.issue_code(&state, &profile, now).await? {
            Ok(code) => Ok(redirect::with_params(&app_redirect, &[("code", &code)])),
            Err(refusal) => Ok(refuse(refusal)),
        }
    }

    async fn consume_state(&self, state: Option<&str>) -> OAuthResult<OAuthStateRecord> {
        let state = state
            .filter(|s| !s.is_empty() && s.len() <= 512)
            .ok_or(OAuthError::InvalidState)?;
        let found = self
            .inner
            .store
            .consume_oauth_state(&tokens::digest(state), Utc::now())
            .await?;
        found.ok_or_else(|| {
            tracing::warn!(target: SECURITY, "oauth callback refused: unknown or replayed state");
            OAuthError::InvalidState
        })
    }
}

/// A fresh one-time code and the expiry its row gets.
fn new_code(ttl: std::time::Duration, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
    (tokens::random_token(), now + ttl)
}

/// The provider's `error` value when it looks like one; it arrives from the browser,
/// so anything else is not written to the log as it is.
fn loggable(error: &str) -> &str {
    let shaped = error.len() <= 64 && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if shaped { error } else { "unrecognised" }
}
