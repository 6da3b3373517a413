//! The embedded SQLite store: one file, WAL mode, foreign keys on.
//!
//! Uuids are stored as hyphenated text and timestamps as RFC 3339 text in UTC with
//! microseconds, so values read the same in the `sqlite3` shell and sort as text.
//! Write transactions begin with `BEGIN IMMEDIATE`: they take the write lock first
//! and wait for it (busy timeout) instead of failing halfway when another writer wins.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool, Transaction};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

use super::migrate::{self, MigrationState};
use super::{
    Backend, IdentityRecord, NewSession, NewUser, ProfileUpdate, ReplicationFacts, Rotation,
    RotationOutcome, SessionRecord, Store, StoreError, StoreResult, UserQuery, UserRecord,
    UserSummary, contains_pattern,
};

const USER_COLUMNS: &str = "user_id, primary_email, display_name, avatar_url, \
     primary_email_verified, created_at, last_login_at, disabled_at";
const SESSION_COLUMNS: &str = "session_id, user_id, client_type, device_label, created_at, \
     expires_at, revoked_at, last_seen_at";

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file a `sqlite://` URL names.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        create_parent_dir(options.get_filename())?;

        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn begin_write(&self) -> StoreResult<Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn applied_versions(&self) -> StoreResult<Vec<i64>> {
        let exists: Option<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if exists.is_none() {
            return Ok(Vec::new());
        }

        Ok(sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

/// The database file a `sqlite://` URL names, for checks that must not create it.
pub fn database_file(url: &str) -> StoreResult<PathBuf> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Other(format!("invalid SQLite URL: {e}")))?;
    Ok(options.get_filename().to_owned())
}

fn create_parent_dir(file: &Path) -> StoreResult<()> {
    let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    crate::config::create_private_dir(parent).map_err(|e| {
        StoreError::Other(format!("cannot create directory {}: {e}", parent.display()))
    })
}

/// The one text form timestamps take in SQLite.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn id(value: Uuid) -> Hyphenated {
    value.hyphenated()
}

fn user_from_row(row: &SqliteRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        user_id: row.try_get::<Hyphenated, _>("user_id")?.into_uuid(),
        email: row.try_get("primary_email")?,
        display_name: row.try_get("display_name")?,
        avatar_url: row.try_get("avatar_url")?,
        email_verified: row.try_get("primary_email_verified")?,
        created_at: row.try_get("created_at")?,
        last_login_at: row.try_get("last_login_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

fn session_from_row(row: &SqliteRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        session_id: row.try_get::<Hyphenated, _>("session_id")?.into_uuid(),
        user_id: row.try_get::<Hyphenated, _>("user_id")?.into_uuid(),
        client_type: row.try_get("client_type")?,
        device_label: row.try_get("device_label")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
    })
}

async fn revoke_all(
    tx: &mut Transaction<'static, sqlx::Sqlite>,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE auth_sessions SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
    )
    .bind(ts(at))
    .bind(id(user_id))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// How [`session_in`] finds a session.
enum SessionKey<'a> {
    TokenHash(&'a str),
    Id(Uuid),
}

/// A session row and its live token digest, read inside a write transaction.
async fn session_in(
    tx: &mut Transaction<'static, sqlx::Sqlite>,
    key: SessionKey<'_>,
) -> StoreResult<Option<(SessionRecord, String)>> {
    let (column, value) = match key {
        SessionKey::TokenHash(hash) => ("refresh_token_hash", hash.to_owned()),
        SessionKey::Id(session_id) => ("session_id", session_id.hyphenated().to_string()),
    };
    let sql = format!(
        "SELECT {SESSION_COLUMNS}, refresh_token_hash FROM auth_sessions WHERE {column} = ?1"
    );

    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some((
        session_from_row(&row)?,
        row.try_get("refresh_token_hash")?,
    )))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrate(&self) -> StoreResult<Vec<i64>> {
        let before = migrate::pending(&self.migration_status().await?);
        migrate::SQLITE.run(&self.pool).await?;
        Ok(before)
    }

    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>> {
        let applied = self.applied_versions().await?;
        Ok(migrate::states(&migrate::SQLITE, &applied))
    }

    async fn insert_user(&self, user: &NewUser) -> StoreResult<UserRecord> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO users (user_id, primary_email, display_name, avatar_url, \
             primary_email_verified, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id(user.user_id))
            .bind(&user.email)
            .bind(&user.display_name)
            .bind(&user.avatar_url)
            .bind(user.email_verified)
            .bind(ts(user.created_at))
            .fetch_one(&mut *tx)
            .await?;
        let record = user_from_row(&row)?;

        if let Some(hash) = &user.password_hash {
            super::sqlite_email::set_password(&mut tx, user.user_id, hash, user.created_at).await?;
        }

        tx.commit().await?;
        Ok(record)
    }

    async fn user_by_id(&self, user_id: Uuid) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE user_id = ?1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id(user_id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE primary_email = ?1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM password_credentials WHERE user_id = ?1")
                .bind(id(user_id))
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_password_hash(
        &self,
        user_id: Uuid,
        hash: &str,
        changed_at: DateTime<Utc>,
        revoke_sessions_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        super::sqlite_email::set_password(&mut tx, user_id, hash, changed_at).await?;

        if let Some(at) = revoke_sessions_at {
            revoke_all(&mut tx, user_id, at).await?;
        }

        tx.commit().await?;
        Ok(())
    }

    async fn update_profile(
        &self,
        user_id: Uuid,
        update: &ProfileUpdate,
    ) -> StoreResult<UserRecord> {
        let sql = format!(
            "UPDATE users SET display_name = COALESCE(?2, display_name), \
             avatar_url = CASE WHEN ?3 THEN ?4 ELSE avatar_url END \
             WHERE user_id = ?1 RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id(user_id))
            .bind(&update.display_name)
            .bind(update.avatar_url.is_some())
            .bind(update.avatar_url.clone().flatten())
            .fetch_one(&self.pool)
            .await?;
        user_from_row(&row)
    }

    async fn record_login(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE users SET last_login_at = ?2 WHERE user_id = ?1")
            .bind(id(user_id))
            .bind(ts(at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn disable_user(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, ?2) WHERE user_id = ?1",
        )
        .bind(id(user_id))
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }

        revoke_all(&mut tx, user_id, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_session(&self, session: &NewSession) -> StoreResult<SessionRecord> {
        let sql = format!(
            "INSERT INTO auth_sessions (session_id, user_id, refresh_token_hash, client_type, \
             device_label, created_at, expires_at, last_seen_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6) RETURNING {SESSION_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id(session.session_id))
            .bind(id(session.user_id))
            .bind(&session.refresh_token_hash)
            .bind(&session.client_type)
            .bind(&session.device_label)
            .bind(ts(session.created_at))
            .bind(ts(session.expires_at))
            .fetch_one(&self.pool)
            .await?;
        session_from_row(&row)
    }

    async fn session(&self, session_id: Uuid) -> StoreResult<Option<SessionRecord>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM auth_sessions WHERE session_id = ?1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id(session_id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn rotate_refresh_token(&self, rotation: &Rotation) -> StoreResult<RotationOutcome> {
        let mut tx = self.begin_write().await?;
        let outcome = rotate_in(&mut tx, rotation).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn revoke_session(&self, session_id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE auth_sessions SET revoked_at = ?2 WHERE session_id = ?1 AND revoked_at IS NULL",
        )
        .bind(id(session_id))
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_user_sessions(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let revoked = revoke_all(&mut tx, user_id, at).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn purge_sessions(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done =
            sqlx::query("DELETE FROM auth_sessions WHERE expires_at < ?1 OR revoked_at < ?1")
                .bind(ts(before))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    /// SQLite's `lower` and `LIKE` fold only ASCII letters, so on SQLite a search for
    /// "élise" does not find "Élise"; PostgreSQL folds every letter.
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<UserSummary>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, (SELECT COUNT(*) FROM auth_sessions s \
             WHERE s.user_id = users.user_id AND s.revoked_at IS NULL AND s.expires_at > ?1) \
             AS live_sessions FROM users \
             WHERE (?2 IS NULL OR lower(primary_email) LIKE lower(?2) ESCAPE '\\' \
                    OR lower(display_name) LIKE lower(?2) ESCAPE '\\') \
               AND (NOT ?3 OR disabled_at IS NOT NULL) \
             ORDER BY created_at DESC, user_id LIMIT ?4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ts(query.now))
            .bind(query.search.as_deref().map(contains_pattern))
            .bind(query.only_disabled)
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(UserSummary {
                    user: user_from_row(row)?,
                    live_sessions: row.try_get("live_sessions")?,
                })
            })
            .collect()
    }

    async fn enable_user(&self, user_id: Uuid) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET disabled_at = NULL WHERE user_id = ?1")
            .bind(id(user_id))
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    async fn live_sessions(
        &self,
        user_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<SessionRecord>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM auth_sessions WHERE user_id = ?1 \
             AND revoked_at IS NULL AND expires_at > ?2 ORDER BY created_at DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id(user_id))
            .bind(ts(now))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(session_from_row).collect()
    }

    async fn revoke_user_session(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE auth_sessions SET revoked_at = ?3 \
             WHERE session_id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
        )
        .bind(id(session_id))
        .bind(id(user_id))
        .bind(ts(at))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }

        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM auth_sessions WHERE session_id = ?1 AND user_id = ?2)",
        )
        .bind(id(session_id))
        .bind(id(user_id))
        .fetch_one(&self.pool)
        .await?;
        found(u64::from(exists)).map(|()| false)
    }

    async fn delete_user(&self, user_id: Uuid) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM users WHERE user_id = ?1")
            .bind(id(user_id))
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    async fn count_books(&self, user_id: Uuid) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM books WHERE owner_user_id = ?1")
                .bind(id(user_id))
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn user_identities(&self, user_id: Uuid) -> StoreResult<Vec<IdentityRecord>> {
        let rows = sqlx::query(
            "SELECT identity_id, provider, provider_subject, email_at_provider, created_at, \
             last_used_at FROM user_identities WHERE user_id = ?1 ORDER BY created_at",
        )
        .bind(id(user_id))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(identity_from_row).collect()
    }

    async fn replication_facts(
        &self,
        _role: &str,
        _publication: &str,
        _tables: &[&str],
    ) -> StoreResult<Option<ReplicationFacts>> {
        Ok(None)
    }

    async fn insert_oauth_state(&self, state: &super::NewOAuthState) -> StoreResult<()> {
        super::sqlite_oauth::insert_state(&self.pool, state).await
    }

    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<super::OAuthStateRecord>> {
        super::sqlite_oauth::consume_state(&self.pool, state_hash, now).await
    }

    async fn insert_exchange_code(&self, code: &super::NewExchangeCode) -> StoreResult<()> {
        super::sqlite_oauth::insert_code(&self.pool, code).await
    }

    async fn consume_exchange_code(
        &self,
        code_hash: &str,
        purpose: super::OAuthMode,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<super::ExchangeCodeRecord>> {
        super::sqlite_oauth::consume_code(&self.pool, code_hash, purpose, now).await
    }

    async fn identity_owner(&self, provider: &str, subject: &str) -> StoreResult<Option<Uuid>> {
        super::sqlite_oauth::identity_owner(&self.pool, provider, subject).await
    }

    async fn use_identity(
        &self,
        provider: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Uuid>> {
        super::sqlite_oauth::use_identity(&self.pool, provider, subject, now).await
    }

    async fn insert_user_with_identity(
        &self,
        user: &NewUser,
        identity: &super::ProviderProfile,
    ) -> StoreResult<UserRecord> {
        super::sqlite_oauth::insert_user_with_identity(&self.pool, user, identity).await?;
        self.user_by_id(user.user_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn link_identity(
        &self,
        user_id: Uuid,
        identity: &super::ProviderProfile,
        now: DateTime<Utc>,
    ) -> StoreResult<UserRecord> {
        super::sqlite_oauth::link_identity(&self.pool, user_id, identity, now).await?;
        self.user_by_id(user_id).await?.ok_or(StoreError::NotFound)
    }

    async fn apply_upload(
        &self,
        owner: Uuid,
        entries: &[crate::sync::CrudEntry],
        now: DateTime<Utc>,
    ) -> StoreResult<super::ApplyOutcome> {
        super::sqlite_sync::apply(&self.pool, owner, entries, now).await
    }

    async fn sync_rows(
        &self,
        entity: &'static crate::sync::Entity,
        owner: Uuid,
    ) -> StoreResult<Vec<serde_json::Map<String, serde_json::Value>>> {
        super::sqlite_sync::rows(&self.pool, entity, owner).await
    }

    async fn insert_rejection(&self, rejection: &super::NewRejection) -> StoreResult<()> {
        super::sqlite_sync::insert_rejection(&self.pool, rejection).await
    }

    async fn rejections(
        &self,
        query: &super::RejectionQuery,
    ) -> StoreResult<Vec<super::RejectionRecord>> {
        super::sqlite_sync::rejections(&self.pool, query).await
    }

    async fn insert_email_token(&self, token: &super::NewEmailToken) -> StoreResult<()> {
        super::sqlite_email::insert_token(&self.pool, token).await
    }

    async fn delete_email_token(&self, token_hash: &str) -> StoreResult<()> {
        super::sqlite_email::delete_token(&self.pool, token_hash).await
    }

    async fn verify_email_with_token(&self, token: &super::TokenUse) -> StoreResult<Option<Uuid>> {
        super::sqlite_email::verify_email(&self.pool, token).await
    }

    async fn reset_password_with_token(
        &self,
        token: &super::TokenUse,
        password_hash: &str,
    ) -> StoreResult<Option<Uuid>> {
        super::sqlite_email::reset_password(&self.pool, token, password_hash).await
    }
}

/// One deleted or updated row means the target existed.
fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn identity_from_row(row: &SqliteRow) -> StoreResult<IdentityRecord> {
    Ok(IdentityRecord {
        identity_id: row.try_get::<Hyphenated, _>("identity_id")?.into_uuid(),
        provider: row.try_get("provider")?,
        provider_subject: row.try_get("provider_subject")?,
        email_at_provider: row.try_get("email_at_provider")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

/// The rotation rules of [`Rotation`], inside an immediate (write-locked) transaction.
async fn rotate_in(
    tx: &mut Transaction<'static, sqlx::Sqlite>,
    rotation: &Rotation,
) -> StoreResult<RotationOutcome> {
    let by_hash = SessionKey::TokenHash(&rotation.presented_hash);
    if let Some((session, _)) = session_in(tx, by_hash).await? {
        if !session.is_live(rotation.now) {
            return Ok(RotationOutcome::Inactive(session));
        }
        sqlx::query(
            "UPDATE auth_sessions SET refresh_token_hash = ?2, last_seen_at = ?3, \
             expires_at = ?4 WHERE session_id = ?1",
        )
        .bind(id(session.session_id))
        .bind(&rotation.next_hash)
        .bind(ts(rotation.now))
        .bind(ts(rotation.new_expires_at))
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO auth_refresh_rotations (token_hash, session_id, rotated_at) \
             VALUES (?1, ?2, ?3)",
        )
        .bind(&rotation.presented_hash)
        .bind(id(session.session_id))
        .bind(ts(rotation.now))
        .execute(&mut **tx)
        .await?;
        return Ok(RotationOutcome::Rotated(session));
    }

    let rotated: Option<(Hyphenated, DateTime<Utc>)> = sqlx::query_as(
        "SELECT session_id, rotated_at FROM auth_refresh_rotations WHERE token_hash = ?1",
    )
    .bind(&rotation.presented_hash)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((session_id, rotated_at)) = rotated else {
        return Ok(RotationOutcome::Unknown);
    };
    let by_id = SessionKey::Id(session_id.into_uuid());
    let Some((session, current)) = session_in(tx, by_id).await? else {
        return Ok(RotationOutcome::Unknown);
    };

    if !session.is_live(rotation.now) {
        return Ok(RotationOutcome::Inactive(session));
    }
    if current == rotation.next_hash && rotated_at >= rotation.grace_since {
        return Ok(RotationOutcome::Repeated(session));
    }

    revoke_session_in(tx, session.session_id, rotation.now).await?;
    Ok(RotationOutcome::Reused(session))
}

async fn revoke_session_in(
    tx: &mut Transaction<'static, sqlx::Sqlite>,
    session_id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, ?2) WHERE session_id = ?1",
    )
    .bind(id(session_id))
    .bind(ts(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
