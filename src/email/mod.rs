//! Email verification and password reset: single-use links sent by email.
//!
//! The rules:
//! - A link carries a fresh 256-bit token; only its SHA-256 digest is stored, with
//!   its purpose and expiry. Mailing a new link of one kind voids the user's earlier
//!   unused links of that kind, so only the newest works.
//! - A token is spent at most once, by one conditional update that also checks its
//!   purpose and expiry. What it unlocks (a verified email; a new password with every
//!   session revoked) is written in the same transaction.
//! - Resend and forgot-password answer alike for unknown, disabled, already verified
//!   and known addresses. When there is no mail to send they still connect to the mail
//!   server and greet it, so the answer costs a similar time and fails the same way
//!   while the server is down.
//! - A link that could not be delivered is deleted before the error is answered.
//! - Verifying and resetting work without delivery configured: links mailed earlier
//!   stay good until they expire.
//!
//! A request for an address that gets no mail stops after greeting the mail server, so
//! it still answers a little faster than one that sends a message; an attacker timing
//! many answers could tell registered addresses apart. (Registration already answers
//! 409 for a taken address, so this reveals nothing that endpoint does not.) While the
//! mail server greets but refuses messages, only requests for registered addresses
//! fail with 503.
//!
//! Sending is limited per client IP only: someone with many addresses can still fill
//! one inbox with verification or reset emails, each voiding the link before it.

pub mod mailer;
pub mod messages;

use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;
use uuid::Uuid;

use crate::auth::passwords::{PasswordError, Passwords};
use crate::auth::{SECURITY, tokens};
use crate::config::EmailConfig;
use crate::store::{DynStore, EmailAction, NewEmailToken, StoreError, TokenUse, UserRecord};
use mailer::Mailer;
use messages::Template;

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("email delivery is not configured")]
    NotConfigured,
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    #[error("email delivery failed: {0}")]
    Delivery(String),
    #[error("email template failed: {0}")]
    Template(String),
    #[error("mail transport set-up failed: {0}")]
    Transport(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

pub type EmailResult<T> = Result<T, EmailError>;

const INVALID_VERIFICATION: &str = "Invalid or expired verification token";
const INVALID_RESET: &str = "Invalid or expired reset token";

/// The verification and reset flows over a store and, when configured, a mailer.
#[derive(Clone)]
pub struct EmailFlows {
    store: DynStore,
    passwords: Passwords,
    /// Present only when delivery is enabled and the app's public URL is known, since
    /// a link needs both.
    sender: Option<(Mailer, url::Url)>,
    config: EmailConfig,
}

impl EmailFlows {
    pub fn new(
        store: DynStore,
        passwords: Passwords,
        config: EmailConfig,
        app_url: Option<url::Url>,
    ) -> EmailResult<Self> {
        let sender = match (&config.smtp, app_url) {
            (Some(smtp), Some(url)) => Some((Mailer::new(smtp)?, url)),
            (Some(_), None) => {
                tracing::warn!(
                    "EMAIL_DELIVERY_ENABLED is set but APP_PUBLIC_BASE_URL is not: \
                     no verification or reset email can be sent"
                );
                None
            }
            (None, _) => None,
        };
        Ok(Self {
            store,
            passwords,
            sender,
            config,
        })
    }

    pub fn delivery_enabled(&self) -> bool {
        self.sender.is_some()
    }

    /// Mails a verification link to a newly registered user, after the answer to the
    /// registration has gone out. The account exists whatever happens here: a failed
    /// send is logged and the user can ask for another link.
    pub fn after_registration(&self, user: UserRecord) {
        if !self.delivery_enabled() {
            return;
        }
        let flows = self.clone();
        tokio::spawn(async move {
            if let Err(error) = flows.send_link(&user, Template::Verify).await {
                let user_id = user.user_id;
                tracing::warn!(%user_id, %error, "verification email after registration failed");
            }
        });
    }

    /// Mails a new verification link when the address belongs to an enabled account
    /// whose email is not verified yet.
    pub async fn resend_verification(&self, email: &str) -> EmailResult<()> {
        let (mailer, _) = self.sender.as_ref().ok_or(EmailError::NotConfigured)?;
        let user = self.store.user_by_email(email).await?;

        match user.filter(|u| !u.email_verified && !u.is_disabled()) {
            Some(user) => self.send_link(&user, Template::Verify).await,
            None => mailer.probe().await,
        }
    }

    /// Mails a password reset link when the address belongs to an enabled account.
    pub async fn forgot_password(&self, email: &str) -> EmailResult<()> {
        let (mailer, _) = self.sender.as_ref().ok_or(EmailError::NotConfigured)?;
        let user = self.store.user_by_email(email).await?;

        match user.filter(|u| !u.is_disabled()) {
            Some(user) => self.send_link(&user, Template::Reset).await,
            None => {
                let reason = "no enabled account has this address";
                tracing::info!(target: SECURITY, reason, "password reset not sent");
                mailer.probe().await
            }
        }
    }

    /// Spends a verification token and marks its owner's email verified.
    pub async fn verify(&self, token: &str) -> EmailResult<Uuid> {
        let spend = spend(token, EmailAction::VerifyEmail, INVALID_VERIFICATION)?;
        let user_id = self
            .store
            .verify_email_with_token(&spend)
            .await?
            .ok_or(EmailError::InvalidToken(INVALID_VERIFICATION))?;

        tracing::info!(target: SECURITY, %user_id, "email verified");
        Ok(user_id)
    }

    /// Spends a reset token, sets the new password and signs out every device. The
    /// password must already satisfy the rules for new passwords.
    pub async fn reset_password(&self, token: &str, password: &SecretString) -> EmailResult<Uuid> {
        let spend = spend(token, EmailAction::ResetPassword, INVALID_RESET)?;
        let hash = self.passwords.hash(password).await?;

        let user_id = self
            .store
            .reset_password_with_token(&spend, &hash)
            .await?
            .ok_or(EmailError::InvalidToken(INVALID_RESET))?;
        tracing::info!(target: SECURITY, %user_id, "password reset by email; sessions revoked");
        Ok(user_id)
    }

    /// Stores a new token, mails its link, and deletes the token again if the mail
    /// could not be handed to the server.
    async fn send_link(&self, user: &UserRecord, template: Template) -> EmailResult<()> {
        let (mailer, app_url) = self.sender.as_ref().ok_or(EmailError::NotConfigured)?;
        let Some(to) = user.email.as_deref() else {
            return mailer.probe().await;
        };
        let (action, path, ttl) = self.kind(template);
        let token = tokens::random_token();
        let message = messages::render(template, &link(app_url, path, &token), ttl)?;

        let now = Utc::now();
        let issued = NewEmailToken {
            token_id: Uuid::new_v4(),
            user_id: user.user_id,
            action,
            token_hash: tokens::digest(&token),
            created_at: now,
            expires_at: now + ttl,
        };
        self.store.insert_email_token(&issued).await?;

        if let Err(error) = mailer.send(to, &message).await {
            self.store.delete_email_token(&issued.token_hash).await?;
            return Err(error);
        }
        let (user_id, action) = (user.user_id, action.as_str());
        tracing::info!(target: SECURITY, %user_id, action, "email link sent");
        Ok(())
    }

    fn kind(&self, template: Template) -> (EmailAction, &'static str, Duration) {
        match template {
            Template::Verify => (
                EmailAction::VerifyEmail,
                "verify-email",
                self.config.verification_token_ttl,
            ),
            Template::Reset => (
                EmailAction::ResetPassword,
                "reset-password",
                self.config.reset_token_ttl,
            ),
        }
    }
}

/// The link the app opens: `<APP_PUBLIC_BASE_URL>/<path>?token=<token>`. Tokens are
/// URL-safe base64, so they need no escaping.
fn link(app_url: &url::Url, path: &str, token: &str) -> String {
    let base = app_url.as_str().trim_end_matches('/');
    format!("{base}/{path}?token={token}")
}

/// A presented token, refused at once when it cannot be one this server minted.
fn spend(token: &str, action: EmailAction, invalid: &'static str) -> EmailResult<TokenUse> {
    let plausible = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible {
        return Err(EmailError::InvalidToken(invalid));
    }
    Ok(TokenUse {
        token_hash: tokens::digest(token),
        action,
        now: Utc::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_join_the_app_url_and_path() {
        let with_slash = url::Url::parse("https://app.example.com/").unwrap();
        let with_path = url::Url::parse("https://example.com/app/").unwrap();
        assert_eq!(
            link(&with_slash, "verify-email", "abc"),
            "https://app.example.com/verify-email?token=abc"
        );
        assert_eq!(
            link(&with_path, "reset-password", "abc"),
            "https://example.com/app/reset-password?token=abc"
        );
    }

    #[test]
    fn implausible_tokens_are_refused_before_the_store() {
        let good = tokens::random_token();
        assert!(spend(&good, EmailAction::VerifyEmail, "x").is_ok());
        for bad in ["", "short", &format!("{}=", &good[..42]), &"a".repeat(44)] {
            assert!(spend(bad, EmailAction::VerifyEmail, "x").is_err(), "{bad}");
        }
    }
}
