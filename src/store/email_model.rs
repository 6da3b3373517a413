//! The records of single-use email tokens: verification and password reset links.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What an email token lets its holder do; stored as `action_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailAction {
    VerifyEmail,
    ResetPassword,
}

impl EmailAction {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailAction::VerifyEmail => "verify_email",
            EmailAction::ResetPassword => "reset_password",
        }
    }
}

/// A token about to be mailed. Only the digest of the token is ever stored.
#[derive(Debug, Clone)]
pub struct NewEmailToken {
    pub token_id: Uuid,
    pub user_id: Uuid,
    pub action: EmailAction,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A presented token: it is spent only when unused and unexpired at `now`.
#[derive(Debug, Clone)]
pub struct TokenUse {
    pub token_hash: String,
    pub action: EmailAction,
    pub now: DateTime<Utc>,
}
