//! Accounts, sessions and the tokens that name them.
//!
//! A session is one signed-in device. It owns exactly one live refresh token; using
//! that token rotates it. The rules:
//! - Login answers the same error, in about the same time, for an unknown email and
//!   a wrong password. A disabled account is revealed only after a correct password.
//! - A refresh token presented again within the reuse grace window, while its
//!   successor is still the live one, gets that same successor: two racing refreshes
//!   of one token both succeed and one session stays.
//! - Any other reuse of a rotated token is treated as theft: the session is revoked.
//! - Every authenticated request checks the session in the store, so logout, a
//!   password change and disabling an account take effect at once.
//!
//! - Sessions that expired or were revoked more than [`SESSION_RETENTION`] ago are
//!   deleted with the rotation records of their refresh tokens; their tokens can no
//!   longer be used for anything, so nothing is lost but history.
//!
//! Security events are logged on the `papyrus::security` target.

pub mod input;
pub mod passwords;
pub mod tokens;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use uuid::Uuid;

use crate::config::AuthConfig;
use crate::store::{
    DynStore, NewSession, NewUser, ProfileUpdate, Rotation, RotationOutcome, SessionRecord,
    StoreError, UserRecord,
};
use passwords::{PasswordError, Passwords};
use tokens::{AccessTokenError, TokenKeys};

/// How long an expired or revoked session is kept before it is deleted.
pub const SESSION_RETENTION: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// The log target operators route security events by.
pub const SECURITY: &str = "papyrus::security";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("the current password is incorrect")]
    WrongPassword,
    #[error("account disabled")]
    AccountDisabled,
    #[error("email already registered")]
    EmailTaken,
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    #[error("wrong token type")]
    InvalidTokenType,
    #[error("invalid session: {0}")]
    InvalidSession(&'static str),
    #[error("session revoked")]
    SessionRevoked,
    #[error("refresh token reused")]
    RefreshTokenReused,
    #[error("invalid input")]
    Invalid(BTreeMap<String, String>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("token signing failed: {0}")]
    Signing(String),
}

pub type AuthResult<T> = Result<T, AuthError>;

/// What a successful login, registration or refresh hands the client.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub user: UserRecord,
    pub session_id: Uuid,
}

/// The caller of an authenticated request.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: UserRecord,
    pub session: SessionRecord,
}

/// Device metadata a session is created with.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub client_type: String,
    pub device_label: Option<String>,
}

/// A registration, already validated.
pub struct Registration {
    pub email: String,
    pub password: SecretString,
    pub display_name: String,
    pub client: ClientInfo,
}

/// The account service: plain functions over a store.
#[derive(Clone)]
pub struct Auth {
    store: DynStore,
    config: AuthConfig,
    keys: TokenKeys,
    passwords: Passwords,
}

impl Auth {
    /// Fails when the secret key is empty.
    pub fn new(store: DynStore, config: AuthConfig) -> AuthResult<Self> {
        let keys =
            TokenKeys::new(&config.secret_key).map_err(|e| AuthError::Signing(e.to_string()))?;
        Ok(Self {
            store,
            config,
            keys,
            passwords: Passwords::default(),
        })
    }

    pub fn store(&self) -> &DynStore {
        &self.store
    }

    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    pub async fn register(&self, registration: Registration) -> AuthResult<IssuedTokens> {
        if self
            .store
            .user_by_email(&registration.email)
            .await?
            .is_some()
        {
            return Err(AuthError::EmailTaken);
        }
        let hash = self.passwords.hash(&registration.password).await?;
        let now = Utc::now();
        let new_user = NewUser {
            user_id: Uuid::new_v4(),
            email: Some(registration.email),
            display_name: registration.display_name,
            avatar_url: None,
            email_verified: false,
            password_hash: Some(hash),
            created_at: now,
        };

        let user = match self.store.insert_user(&new_user).await {
            Err(StoreError::Conflict(_)) => return Err(AuthError::EmailTaken),
            other => other?,
        };
        tracing::info!(target: SECURITY, user_id = %user.user_id, "account registered");
        self.start_session(user, registration.client, now).await
    }

    pub async fn login(
        &self,
        email: &str,
        password: &SecretString,
        client: ClientInfo,
    ) -> AuthResult<IssuedTokens> {
        let user = self.store.user_by_email(email).await?;
        let hash = match &user {
            Some(user) => self.store.password_hash(user.user_id).await?,
            None => None,
        };
        let (Some(user), Some(hash)) = (user, hash) else {
            self.passwords.verify_dummy(password).await?;
            tracing::info!(target: SECURITY, "login failed: unknown account");
            return Err(AuthError::InvalidCredentials);
        };

        let verification = self.passwords.verify(password, &hash).await?;
        if !verification.matches {
            let user_id = user.user_id;
            tracing::info!(target: SECURITY, %user_id, "login failed: wrong password");
            return Err(AuthError::InvalidCredentials);
        }
        if user.is_disabled() {
            tracing::info!(target: SECURITY, user_id = %user.user_id, "login refused: disabled");
            return Err(AuthError::AccountDisabled);
        }

        let now = Utc::now();
        if verification.needs_rehash {
            self.rehash(user.user_id, password, now).await?;
        }
        self.store.record_login(user.user_id, now).await?;
        tracing::info!(target: SECURITY, user_id = %user.user_id, "login succeeded");
        let user = UserRecord {
            last_login_at: Some(now),
            ..user
        };
        self.start_session(user, client, now).await
    }

    async fn rehash(
        &self,
        user_id: Uuid,
        password: &SecretString,
        now: DateTime<Utc>,
    ) -> AuthResult<()> {
        let hash = self.passwords.hash(password).await?;
        self.store
            .set_password_hash(user_id, &hash, now, None)
            .await?;
        tracing::info!(target: SECURITY, user_id = %user_id, "password hash upgraded to argon2id");
        Ok(())
    }

    /// Creates a session for a user who has just proven who they are.
    pub async fn start_session(
        &self,
        user: UserRecord,
        client: ClientInfo,
        now: DateTime<Utc>,
    ) -> AuthResult<IssuedTokens> {
        let refresh_token = tokens::random_token();
        let session = NewSession {
            session_id: Uuid::new_v4(),
            user_id: user.user_id,
            refresh_token_hash: tokens::digest(&refresh_token),
            client_type: client.client_type,
            device_label: client.device_label,
            created_at: now,
            expires_at: now + self.config.refresh_token_ttl,
        };
        let session = self.store.insert_session(&session).await?;

        self.issue(user, session.session_id, refresh_token, now)
    }

    fn issue(
        &self,
        user: UserRecord,
        session_id: Uuid,
        refresh_token: String,
        now: DateTime<Utc>,
    ) -> AuthResult<IssuedTokens> {
        let ttl = self.config.access_token_ttl;
        let access_token = self
            .keys
            .issue_access(user.user_id, session_id, now, ttl)
            .map_err(|e| AuthError::Signing(e.to_string()))?;
        Ok(IssuedTokens {
            access_token,
            refresh_token,
            expires_in: ttl.as_secs(),
            user,
            session_id,
        })
    }

    /// Rotates a refresh token; see the module doc for the reuse rules.
    pub async fn refresh(&self, refresh_token: &str) -> AuthResult<IssuedTokens> {
        let now = Utc::now();
        let next = self.keys.next_refresh_token(refresh_token);
        let grace = chrono::Duration::from_std(self.config.refresh_reuse_grace)
            .unwrap_or(chrono::Duration::zero());
        let rotation = Rotation {
            presented_hash: tokens::digest(refresh_token),
            next_hash: tokens::digest(&next),
            now,
            grace_since: now - grace,
            new_expires_at: now + self.config.refresh_token_ttl,
        };

        let session = match self.store.rotate_refresh_token(&rotation).await? {
            RotationOutcome::Rotated(session) | RotationOutcome::Repeated(session) => session,
            RotationOutcome::Inactive(session) if session.revoked_at.is_some() => {
                return Err(AuthError::SessionRevoked);
            }
            RotationOutcome::Inactive(_) => {
                return Err(AuthError::InvalidSession("Session expired"));
            }
            RotationOutcome::Reused(session) => {
                tracing::warn!(
                    target: SECURITY,
                    user_id = %session.user_id,
                    session_id = %session.session_id,
                    "refresh token reused after rotation; session revoked"
                );
                return Err(AuthError::RefreshTokenReused);
            }
            RotationOutcome::Unknown => {
                return Err(AuthError::InvalidToken("Invalid refresh token"));
            }
        };

        let user = self.live_user(session.user_id).await?;
        self.issue(user, session.session_id, next, now)
    }

    async fn live_user(&self, user_id: Uuid) -> AuthResult<UserRecord> {
        let user = self
            .store
            .user_by_id(user_id)
            .await?
            .ok_or(AuthError::InvalidSession("Session not found"))?;
        if user.is_disabled() {
            return Err(AuthError::AccountDisabled);
        }
        Ok(user)
    }

    /// Deletes sessions that ended more than [`SESSION_RETENTION`] ago.
    pub async fn purge_stale_sessions(&self) -> AuthResult<u64> {
        let retention = chrono::Duration::from_std(SESSION_RETENTION)
            .unwrap_or_else(|_| chrono::Duration::days(7));
        let purged = self.store.purge_sessions(Utc::now() - retention).await?;
        if purged > 0 {
            tracing::info!(purged, "deleted ended sessions");
        }
        Ok(purged)
    }

    /// Checks a bearer access token and the session it names.
    pub async fn authenticate(&self, bearer: &str) -> AuthResult<Authenticated> {
        let claims = self.keys.verify_access(bearer).map_err(|e| match e {
            AccessTokenError::Malformed => AuthError::InvalidToken("Invalid access token"),
            AccessTokenError::Expired => AuthError::InvalidToken("Access token has expired"),
            AccessTokenError::WrongType => AuthError::InvalidTokenType,
        })?;
        let session_id = Uuid::parse_str(&claims.sid)
            .map_err(|_| AuthError::InvalidToken("Invalid access token"))?;

        let session = self
            .store
            .session(session_id)
            .await?
            .filter(|s| s.user_id.to_string() == claims.sub)
            .ok_or(AuthError::InvalidSession("Session not found"))?;
        if session.revoked_at.is_some() {
            return Err(AuthError::SessionRevoked);
        }
        if session.expires_at <= Utc::now() {
            return Err(AuthError::InvalidSession("Session expired"));
        }

        let user = self.live_user(session.user_id).await?;
        Ok(Authenticated { user, session })
    }

    /// Revokes the caller's session, or every session of the user.
    pub async fn logout(&self, caller: &Authenticated, all_devices: bool) -> AuthResult<()> {
        let now = Utc::now();
        if all_devices {
            self.store
                .revoke_user_sessions(caller.user.user_id, now)
                .await?;
        } else {
            self.store
                .revoke_session(caller.session.session_id, now)
                .await?;
        }
        tracing::info!(
            target: SECURITY,
            user_id = %caller.user.user_id,
            all_devices,
            "logged out"
        );
        Ok(())
    }

    pub async fn update_profile(
        &self,
        caller: &Authenticated,
        update: &ProfileUpdate,
    ) -> AuthResult<UserRecord> {
        Ok(self
            .store
            .update_profile(caller.user.user_id, update)
            .await?)
    }

    /// Changes the password after checking the current one; signs out every device.
    pub async fn change_password(
        &self,
        caller: &Authenticated,
        current: &SecretString,
        new: &SecretString,
    ) -> AuthResult<()> {
        self.check_password(caller.user.user_id, current).await?;
        let hash = self.passwords.hash(new).await?;

        let now = Utc::now();
        self.store
            .set_password_hash(caller.user.user_id, &hash, now, Some(now))
            .await?;
        tracing::info!(target: SECURITY, user_id = %caller.user.user_id, "password changed");
        Ok(())
    }

    /// Disables the caller's account after checking the password; signs out everywhere.
    pub async fn delete_account(
        &self,
        caller: &Authenticated,
        password: &SecretString,
    ) -> AuthResult<()> {
        self.check_password(caller.user.user_id, password).await?;

        self.store
            .disable_user(caller.user.user_id, Utc::now())
            .await?;
        tracing::info!(target: SECURITY, user_id = %caller.user.user_id, "account deleted by user");
        Ok(())
    }

    async fn check_password(&self, user_id: Uuid, password: &SecretString) -> AuthResult<()> {
        let Some(hash) = self.store.password_hash(user_id).await? else {
            self.passwords.verify_dummy(password).await?;
            return Err(AuthError::WrongPassword);
        };
        if !self.passwords.verify(password, &hash).await?.matches {
            tracing::info!(target: SECURITY, user_id = %user_id, "password check failed");
            return Err(AuthError::WrongPassword);
        }
        Ok(())
    }
}
