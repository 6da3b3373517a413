//! The storage layer: one [`Store`] interface and its two implementations.
//!
//! `sqlite://` URLs open the embedded [`sqlite::SqliteStore`], `postgres://` URLs the
//! [`postgres::PgStore`]. Callers above this layer never see sqlx types: rows come back
//! as the plain records in [`model`], failures as a [`StoreError`].
//!
//! The store keeps no domain rules beyond transactions and constraints. Where a rule
//! must be checked under a lock (refresh-token rotation), the store method takes the
//! decision's inputs and performs check and write in one transaction.

mod email_model;
mod error;
pub mod migrate;
pub mod model;
mod oauth_model;
pub mod postgres;
mod postgres_email;
mod postgres_oauth;
mod postgres_sync;
pub mod sqlite;
mod sqlite_email;
mod sqlite_oauth;
mod sqlite_sync;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use email_model::*;
pub use error::StoreError;
pub use migrate::MigrationState;
pub use model::*;
pub use oauth_model::*;

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Everything papyrus keeps in its database.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Answers when the database does; used by `/ready`.
    async fn ping(&self) -> StoreResult<()>;

    /// Applies pending migrations and returns the versions it applied.
    async fn migrate(&self) -> StoreResult<Vec<i64>>;

    /// Every embedded migration and whether it has been applied.
    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>>;

    /// Creates a user, and its password credential when one is given, atomically.
    /// A taken email is [`StoreError::Conflict`].
    async fn insert_user(&self, user: &NewUser) -> StoreResult<UserRecord>;

    async fn user_by_id(&self, user_id: Uuid) -> StoreResult<Option<UserRecord>>;

    /// Looks a user up by an already normalised (trimmed, lower-cased) email.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;

    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<String>>;

    /// Replaces the password hash. With `revoke_sessions_at`, every session of the
    /// user is revoked in the same transaction.
    async fn set_password_hash(
        &self,
        user_id: Uuid,
        hash: &str,
        changed_at: DateTime<Utc>,
        revoke_sessions_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;

    async fn update_profile(
        &self,
        user_id: Uuid,
        update: &ProfileUpdate,
    ) -> StoreResult<UserRecord>;

    async fn record_login(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<()>;

    /// Marks the user disabled and revokes all its sessions in one transaction.
    async fn disable_user(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<()>;

    async fn insert_session(&self, session: &NewSession) -> StoreResult<SessionRecord>;

    async fn session(&self, session_id: Uuid) -> StoreResult<Option<SessionRecord>>;

    /// Rotates a refresh token under the session's row lock; see [`Rotation`].
    async fn rotate_refresh_token(&self, rotation: &Rotation) -> StoreResult<RotationOutcome>;

    /// Revokes one session; false when it was already revoked or does not exist.
    async fn revoke_session(&self, session_id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;

    /// Revokes every live session of a user and returns how many it revoked.
    async fn revoke_user_sessions(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<u64>;

    /// Deletes sessions that expired or were revoked before `before`, with the rotation
    /// records of their refresh tokens; returns how many sessions it deleted.
    async fn purge_sessions(&self, before: DateTime<Utc>) -> StoreResult<u64>;

    /// Users matching `query`, newest first, each with its live session count.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<UserSummary>>;

    /// Clears `disabled_at`; [`StoreError::NotFound`] when there is no such user.
    /// Sessions revoked when it was disabled stay revoked.
    async fn enable_user(&self, user_id: Uuid) -> StoreResult<()>;

    /// The user's sessions that are live at `now`, newest first.
    async fn live_sessions(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionRecord>>;

    /// Revokes one session of this user; false when it was already revoked.
    /// [`StoreError::NotFound`] when the user has no such session, including when the
    /// session belongs to someone else.
    async fn revoke_user_session(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Deletes the user; the foreign keys cascade to everything it owns (books,
    /// sessions, credentials, identities, email and exchange tokens).
    /// [`StoreError::NotFound`] when there is no such user.
    async fn delete_user(&self, user_id: Uuid) -> StoreResult<()>;

    async fn count_books(&self, user_id: Uuid) -> StoreResult<i64>;

    /// The identity-provider sign-ins linked to the user, oldest first.
    async fn user_identities(&self, user_id: Uuid) -> StoreResult<Vec<IdentityRecord>>;

    /// Logical replication settings for `role`, `publication` and `tables`; `None` on
    /// databases without logical replication (SQLite).
    async fn replication_facts(
        &self,
        role: &str,
        publication: &str,
        tables: &[&str],
    ) -> StoreResult<Option<ReplicationFacts>>;

    /// Remembers a provider authorization request until its callback. Also forgets
    /// states and exchange codes that expired more than a day ago.
    async fn insert_oauth_state(&self, state: &NewOAuthState) -> StoreResult<()>;

    /// Marks the unused state with this digest used and returns it; `None` when there
    /// is none. An expired state is consumed too, so the caller can tell the app why.
    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<OAuthStateRecord>>;

    async fn insert_exchange_code(&self, code: &NewExchangeCode) -> StoreResult<()>;

    /// Marks the unused, unexpired code with this digest and purpose used and returns it.
    async fn consume_exchange_code(
        &self,
        code_hash: &str,
        purpose: OAuthMode,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ExchangeCodeRecord>>;

    /// The user a provider identity is linked to.
    async fn identity_owner(&self, provider: &str, subject: &str) -> StoreResult<Option<Uuid>>;

    /// The user a provider identity is linked to, recording that it signed in at `now`.
    async fn use_identity(
        &self,
        provider: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Uuid>>;

    /// Creates a password-less user and its first identity atomically. A taken email
    /// or identity is [`StoreError::Conflict`].
    async fn insert_user_with_identity(
        &self,
        user: &NewUser,
        identity: &ProviderProfile,
    ) -> StoreResult<UserRecord>;

    /// Links an identity to the user (a no-op when it already is) and fills a missing
    /// avatar, and a missing email the provider verified and no other account uses.
    /// An identity of another user is [`StoreError::Conflict`].
    async fn link_identity(
        &self,
        user_id: Uuid,
        identity: &ProviderProfile,
        now: DateTime<Utc>,
    ) -> StoreResult<UserRecord>;

    /// Applies one upload transaction for `owner`: all of it, or (on a refusal or an
    /// error) none of it. `now` is the commit time written to `updated_at`.
    async fn apply_upload(
        &self,
        owner: Uuid,
        entries: &[crate::sync::CrudEntry],
        now: DateTime<Utc>,
    ) -> StoreResult<ApplyOutcome>;

    /// The owner's rows of a synced table as JSON objects, the id under `id`.
    async fn sync_rows(
        &self,
        entity: &'static crate::sync::Entity,
        owner: Uuid,
    ) -> StoreResult<Vec<serde_json::Map<String, serde_json::Value>>>;

    async fn insert_rejection(&self, rejection: &NewRejection) -> StoreResult<()>;

    /// Journal entries, newest first.
    async fn rejections(&self, query: &RejectionQuery) -> StoreResult<Vec<RejectionRecord>>;

    /// Stores an email token and voids the user's earlier unused tokens of the same
    /// action, in one transaction, so only the newest link works.
    async fn insert_email_token(&self, token: &NewEmailToken) -> StoreResult<()>;

    /// Deletes the email token with this digest (its email could not be delivered).
    async fn delete_email_token(&self, token_hash: &str) -> StoreResult<()>;

    /// Spends a verification token and marks its owner's email verified, atomically.
    /// The owner, or `None` when the token is unknown, spent, expired or of another kind.
    async fn verify_email_with_token(&self, token: &TokenUse) -> StoreResult<Option<Uuid>>;

    /// Spends a reset token, replaces the owner's password hash and revokes every
    /// session of the owner, atomically. The owner, or `None` as for verification.
    async fn reset_password_with_token(
        &self,
        token: &TokenUse,
        password_hash: &str,
    ) -> StoreResult<Option<Uuid>>;
}

/// A `LIKE` pattern matching `text` anywhere, with `\` as the escape character so the
/// wildcards `%` and `_` typed by a user match only themselves.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A shared handle to whichever store the URL chose.
pub type DynStore = Arc<dyn Store>;

/// Opens the store a database URL names. Does not migrate.
pub async fn connect(database_url: &str) -> StoreResult<DynStore> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::connect(database_url).await?))
    } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(database_url).await?))
    } else {
        Err(StoreError::Other(format!(
            "unsupported database URL scheme in {}: use sqlite:// or postgres://",
            redact_url(database_url)
        )))
    }
}

/// A database URL with its password replaced by `***`, safe to log or print.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) if !url.contains('@') => url.to_owned(),
        Err(_) => "<unparseable database URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_match_only_themselves() {
        assert_eq!(super::contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(super::contains_pattern(""), "%%");
    }
}
