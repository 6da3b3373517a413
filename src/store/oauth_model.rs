//! Records of sign-ins through an identity provider: the authorization requests in
//! flight (`oauth_states`), the one-time codes handed to the app
//! (`auth_exchange_codes`) and the identities linked to users.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What an authorization request was started for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthMode {
    /// Sign in, or create an account, with the provider.
    Login,
    /// Link the provider's identity to the signed-in user who started it.
    LinkGoogle,
}

impl OAuthMode {
    /// The value stored in `oauth_states.mode` and `auth_exchange_codes.purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthMode::Login => "login",
            OAuthMode::LinkGoogle => "link_google",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "login" => Some(OAuthMode::Login),
            "link_google" => Some(OAuthMode::LinkGoogle),
            _ => None,
        }
    }
}

/// An authorization request to remember until the provider calls back.
#[derive(Debug, Clone)]
pub struct NewOAuthState {
    pub state_id: Uuid,
    /// SHA-256 hex digest of the `state` parameter; the parameter itself is not kept.
    pub state_hash: String,
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: String,
    /// The app's callback, already checked against the redirect policy.
    pub redirect_uri: String,
    pub mode: OAuthMode,
    /// The user who asked to link; `None` for a sign-in.
    pub user_id: Option<Uuid>,
    /// The app's own S256 PKCE challenge, when it sent one.
    pub code_challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A state row as consumed by the callback.
#[derive(Debug, Clone)]
pub struct OAuthStateRecord {
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: String,
    pub redirect_uri: String,
    pub mode: OAuthMode,
    pub user_id: Option<Uuid>,
    pub code_challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// What the provider told us about the person who signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderProfile {
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}

/// A one-time code to hand the app through its callback.
#[derive(Debug, Clone)]
pub struct NewExchangeCode {
    pub code_id: Uuid,
    /// SHA-256 hex digest of the code; the code itself is not kept.
    pub code_hash: String,
    pub purpose: OAuthMode,
    pub user_id: Uuid,
    /// Filled for linking, where the identity is only written when the code is used.
    pub profile: Option<ProviderProfile>,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// An exchange code as consumed.
#[derive(Debug, Clone)]
pub struct ExchangeCodeRecord {
    pub user_id: Option<Uuid>,
    pub profile: Option<ProviderProfile>,
    pub code_challenge: Option<String>,
}
