//! The PostgreSQL store, the production database PowerSync replicates from.
//!
//! Transactions run at READ COMMITTED. Rows a decision depends on are locked with
//! `SELECT ... FOR UPDATE`, so a concurrent writer waits, then re-reads the committed
//! row and takes the other branch.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

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

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn applied_versions(&self) -> StoreResult<Vec<i64>> {
        let exists: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                .fetch_one(&self.pool)
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

fn user_from_row(row: &PgRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        user_id: row.try_get("user_id")?,
        email: row.try_get("primary_email")?,
        display_name: row.try_get("display_name")?,
        avatar_url: row.try_get("avatar_url")?,
        email_verified: row.try_get("primary_email_verified")?,
        created_at: row.try_get("created_at")?,
        last_login_at: row.try_get("last_login_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

fn session_from_row(row: &PgRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        session_id: row.try_get("session_id")?,
        user_id: row.try_get("user_id")?,
        client_type: row.try_get("client_type")?,
        device_label: row.try_get("device_label")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
    })
}

async fn revoke_all(
    tx: &mut Transaction<'static, Postgres>,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE auth_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(at)
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrate(&self) -> StoreResult<Vec<i64>> {
        let before = migrate::pending(&self.migration_status().await?);
        migrate::POSTGRES.run(&self.pool).await?;
        Ok(before)
    }

    async fn migration_status(&self) -> StoreResult<Vec<MigrationState>> {
        let applied = self.applied_versions().await?;
        Ok(migrate::states(&migrate::POSTGRES, &applied))
    }

    async fn insert_user(&self, user: &NewUser) -> StoreResult<UserRecord> {
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "INSERT INTO users (user_id, primary_email, display_name, avatar_url, \
             primary_email_verified, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user.user_id)
            .bind(&user.email)
            .bind(&user.display_name)
            .bind(&user.avatar_url)
            .bind(user.email_verified)
            .bind(user.created_at)
            .fetch_one(&mut *tx)
            .await?;
        let record = user_from_row(&row)?;

        if let Some(hash) = &user.password_hash {
            super::postgres_email::set_password(&mut tx, user.user_id, hash, user.created_at)
                .await?;
        }

        tx.commit().await?;
        Ok(record)
    }

    async fn user_by_id(&self, user_id: Uuid) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE user_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE primary_email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn password_hash(&self, user_id: Uuid) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM password_credentials WHERE user_id = $1")
                .bind(user_id)
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
        let mut tx = self.pool.begin().await?;
        super::postgres_email::set_password(&mut tx, user_id, hash, changed_at).await?;

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
            "UPDATE users SET display_name = COALESCE($2, display_name), \
             avatar_url = CASE WHEN $3 THEN $4 ELSE avatar_url END \
             WHERE user_id = $1 RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(&update.display_name)
            .bind(update.avatar_url.is_some())
            .bind(update.avatar_url.clone().flatten())
            .fetch_one(&self.pool)
            .await?;
        user_from_row(&row)
    }

    async fn record_login(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE users SET last_login_at = $2 WHERE user_id = $1")
            .bind(user_id)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn disable_user(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, $2) WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(at)
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $6) RETURNING {SESSION_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(session.session_id)
            .bind(session.user_id)
            .bind(&session.refresh_token_hash)
            .bind(&session.client_type)
            .bind(&session.device_label)
            .bind(session.created_at)
            .bind(session.expires_at)
            .fetch_one(&self.pool)
            .await?;
        session_from_row(&row)
    }

    async fn session(&self, session_id: Uuid) -> StoreResult<Option<SessionRecord>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM auth_sessions WHERE session_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn rotate_refresh_token(&self, rotation: &Rotation) -> StoreResult<RotationOutcome> {
        let mut tx = self.pool.begin().await?;
        let outcome = rotate_in(&mut tx, rotation).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn revoke_session(&self, session_id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE auth_sessions SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
        )
        .bind(session_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_user_sessions(&self, user_id: Uuid, at: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        let revoked = revoke_all(&mut tx, user_id, at).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn purge_sessions(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done =
            sqlx::query("DELETE FROM auth_sessions WHERE expires_at < $1 OR revoked_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    async fn list_users(&self, query: &UserQuery) -> StoreResult<Vec<UserSummary>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, (SELECT COUNT(*) FROM auth_sessions s \
             WHERE s.user_id = users.user_id AND s.revoked_at IS NULL AND s.expires_at > $1) \
             AS live_sessions FROM users \
             WHERE ($2::text IS NULL OR primary_email ILIKE $2 ESCAPE '\\' \
                    OR display_name ILIKE $2 ESCAPE '\\') \
               AND (NOT $3 OR disabled_at IS NOT NULL) \
             ORDER BY created_at DESC, user_id LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(query.now)
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
        let done = sqlx::query("UPDATE users SET disabled_at = NULL WHERE user_id = $1")
            .bind(user_id)
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
            "SELECT {SESSION_COLUMNS} FROM auth_sessions WHERE user_id = $1 \
             AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(now)
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
            "UPDATE auth_sessions SET revoked_at = $3 \
             WHERE session_id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }

        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM auth_sessions WHERE session_id = $1 AND user_id = $2)",
        )
        .bind(session_id)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        found(u64::from(exists)).map(|()| false)
    }

    async fn delete_user(&self, user_id: Uuid) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM users WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    async fn count_books(&self, user_id: Uuid) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM books WHERE owner_user_id = $1")
                .bind(user_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn user_identities(&self, user_id: Uuid) -> StoreResult<Vec<IdentityRecord>> {
        let rows = sqlx::query(
            "SELECT identity_id, provider, provider_subject, email_at_provider, created_at, \
             last_used_at FROM user_identities WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(identity_from_row).collect()
    }

    async fn replication_facts(
        &self,
        role: &str,
        publication: &str,
        tables: &[&str],
    ) -> StoreResult<Option<ReplicationFacts>> {
        let tables: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
        let wal_level: String = sqlx::query_scalar("SHOW wal_level")
            .fetch_one(&self.pool)
            .await?;
        let (publication_exists, published_tables) =
            self.publication_facts(publication, &tables).await?;
        let can_replicate: Option<bool> =
            sqlx::query_scalar("SELECT rolreplication FROM pg_roles WHERE rolname = $1")
                .bind(role)
                .fetch_optional(&self.pool)
                .await?;
        let role_readable_tables = match can_replicate {
            Some(_) => self.readable_tables(role, &tables).await?,
            None => Vec::new(),
        };

        Ok(Some(ReplicationFacts {
            wal_level,
            publication_exists,
            published_tables,
            role_exists: can_replicate.is_some(),
            role_can_replicate: can_replicate.unwrap_or(false),
            role_readable_tables,
        }))
    }

    async fn insert_oauth_state(&self, state: &super::NewOAuthState) -> StoreResult<()> {
        super::postgres_oauth::insert_state(&self.pool, state).await
    }

    async fn consume_oauth_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<super::OAuthStateRecord>> {
        super::postgres_oauth::consume_state(&self.pool, state_hash, now).await
    }

    async fn insert_exchange_code(&self, code: &super::NewExchangeCode) -> StoreResult<()> {
        super::postgres_oauth::insert_code(&self.pool, code).await
    }

    async fn consume_exchange_code(
        &self,
        code_hash: &str,
        purpose: super::OAuthMode,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<super::ExchangeCodeRecord>> {
        super::postgres_oauth::consume_code(&self.pool, code_hash, purpose, now).await
    }

    async fn identity_owner(&self, provider: &str, subject: &str) -> StoreResult<Option<Uuid>> {
        super::postgres_oauth::identity_owner(&self.pool, provider, subject).await
    }

    async fn use_identity(
        &self,
        provider: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Uuid>> {
        super::postgres_oauth::use_identity(&self.pool, provider, subject, now).await
    }

    async fn insert_user_with_identity(
        &self,
        user: &NewUser,
        identity: &super::ProviderProfile,
    ) -> StoreResult<UserRecord> {
        super::postgres_oauth::insert_user_with_identity(&self.pool, user, identity).await?;
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
        super::postgres_oauth::link_identity(&self.pool, user_id, identity, now).await?;
        self.user_by_id(user_id).await?.ok_or(StoreError::NotFound)
    }

    async fn apply_upload(
        &self,
        owner: Uuid,
        entries: &[crate::sync::CrudEntry],
        now: DateTime<Utc>,
    ) -> StoreResult<super::ApplyOutcome> {
        super::postgres_sync::apply(&self.pool, owner, entries, now).await
    }

    async fn sync_rows(
        &self,
        entity: &'static crate::sync::Entity,
        owner: Uuid,
    ) -> StoreResult<Vec<serde_json::Map<String, serde_json::Value>>> {
        super::postgres_sync::rows(&self.pool, entity, owner).await
    }

    async fn insert_rejection(&self, rejection: &super::NewRejection) -> StoreResult<()> {
        super::postgres_sync::insert_rejection(&self.pool, rejection).await
    }

    async fn rejections(
        &self,
        query: &super::RejectionQuery,
    ) -> StoreResult<Vec<super::RejectionRecord>> {
        super::postgres_sync::rejections(&self.pool, query).await
    }

    async fn insert_email_token(&self, token: &super::NewEmailToken) -> StoreResult<()> {
        super::postgres_email::insert_token(&self.pool, token).await
    }

    async fn delete_email_token(&self, token_hash: &str) -> StoreResult<()> {
        super::postgres_email::delete_token(&self.pool, token_hash).await
    }

    async fn verify_email_with_token(&self, token: &super::TokenUse) -> StoreResult<Option<Uuid>> {
        super::postgres_email::verify_email(&self.pool, token).await
    }

    async fn reset_password_with_token(
        &self,
        token: &super::TokenUse,
        password_hash: &str,
    ) -> StoreResult<Option<Uuid>> {
        super::postgres_email::reset_password(&self.pool, token, password_hash).await
    }
}

impl PgStore {
    /// Whether the publication exists, and which of `tables` (in the current schema) it
    /// publishes.
    async fn publication_facts(
        &self,
        publication: &str,
        tables: &[String],
    ) -> StoreResult<(bool, Vec<String>)> {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)")
                .bind(publication)
                .fetch_one(&self.pool)
                .await?;
        let published: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_publication_tables \
             WHERE pubname = $1 AND schemaname = current_schema() AND tablename = ANY($2)",
        )
        .bind(publication)
        .bind(tables)
        .fetch_all(&self.pool)
        .await?;
        Ok((exists, published))
    }

    /// Which of `tables` an existing `role` may SELECT from; a missing table counts as
    /// not readable rather than an error.
    async fn readable_tables(&self, role: &str, tables: &[String]) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT t FROM unnest($2::text[]) AS t WHERE CASE \
             WHEN to_regclass(t) IS NULL THEN false \
             ELSE has_table_privilege($1, t, 'SELECT') END",
        )
        .bind(role)
        .bind(tables)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// One deleted or updated row means the target existed.
fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

fn identity_from_row(row: &PgRow) -> StoreResult<IdentityRecord> {
    Ok(IdentityRecord {
        identity_id: row.try_get("identity_id")?,
        provider: row.try_get("provider")?,
        provider_subject: row.try_get("provider_subject")?,
        email_at_provider: row.try_get("email_at_provider")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

/// How [`lock_session`] finds a session.
enum SessionKey<'a> {
    TokenHash(&'a str),
    Id(Uuid),
}

/// A session row and its live token digest, locked for the rest of the transaction.
async fn lock_session(
    tx: &mut Transaction<'static, Postgres>,
    key: SessionKey<'_>,
) -> StoreResult<Option<(SessionRecord, String)>> {
    let column = match key {
        SessionKey::TokenHash(_) => "refresh_token_hash",
        SessionKey::Id(_) => "session_id",
    };
    let sql = format!(
        "SELECT {SESSION_COLUMNS}, refresh_token_hash FROM auth_sessions \
         WHERE {column} = $1 FOR UPDATE"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql));
    let query = match key {
        SessionKey::TokenHash(hash) => query.bind(hash.to_owned()),
        SessionKey::Id(id) => query.bind(id),
    };

    let Some(row) = query.fetch_optional(&mut **tx).await? else {
        return Ok(None);
    };
    Ok(Some((
        session_from_row(&row)?,
        row.try_get("refresh_token_hash")?,
    )))
}

/// The rotation rules of [`Rotation`], with the session row locked.
async fn rotate_in(
    tx: &mut Transaction<'static, Postgres>,
    rotation: &Rotation,
) -> StoreResult<RotationOutcome> {
    let by_hash = SessionKey::TokenHash(&rotation.presented_hash);
    if let Some((session, _)) = lock_session(tx, by_hash).await? {
        if !session.is_live(rotation.now) {
            return Ok(RotationOutcome::Inactive(session));
        }
        sqlx::query(
            "UPDATE auth_sessions SET refresh_token_hash = $2, last_seen_at = $3, \
             expires_at = $4 WHERE session_id = $1",
        )
        .bind(session.session_id)
        .bind(&rotation.next_hash)
        .bind(rotation.now)
        .bind(rotation.new_expires_at)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO auth_refresh_rotations (token_hash, session_id, rotated_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(&rotation.presented_hash)
        .bind(session.session_id)
        .bind(rotation.now)
        .execute(&mut **tx)
        .await?;
        return Ok(RotationOutcome::Rotated(session));
    }

    let rotated: Option<(Uuid, DateTime<Utc>)> = sqlx::query_as(
        "SELECT session_id, rotated_at FROM auth_refresh_rotations WHERE token_hash = $1",
    )
    .bind(&rotation.presented_hash)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((session_id, rotated_at)) = rotated else {
        return Ok(RotationOutcome::Unknown);
    };
    let Some((session, current)) = lock_session(tx, SessionKey::Id(session_id)).await? else {
        return Ok(RotationOutcome::Unknown);
    };

    if !session.is_live(rotation.now) {
        return Ok(RotationOutcome::Inactive(session));
    }
    if current == rotation.next_hash && rotated_at >= rotation.grace_since {
        return Ok(RotationOutcome::Repeated(session));
    }

    sqlx::query(
        "UPDATE auth_sessions SET revoked_at = COALESCE(revoked_at, $2) WHERE session_id = $1",
    )
    .bind(session.session_id)
    .bind(rotation.now)
    .execute(&mut **tx)
    .await?;
    Ok(RotationOutcome::Reused(session))
}
