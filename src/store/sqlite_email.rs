//! Email tokens on SQLite. Spending a token is one conditional `UPDATE`, so of two
//! requests presenting the same token only one finds it unused; what the token unlocks
//! is written in the same `BEGIN IMMEDIATE` transaction.

use chrono::{DateTime, Utc};
use sqlx::{Sqlite, SqlitePool, Transaction};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

use super::sqlite::ts;
use super::{NewEmailToken, StoreResult, TokenUse};

pub(super) async fn insert_token(pool: &SqlitePool, token: &NewEmailToken) -> StoreResult<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query(
        "UPDATE email_action_tokens SET used_at = ?1 \
         WHERE user_id = ?2 AND action_type = ?3 AND used_at IS NULL",
    )
    .bind(ts(token.created_at))
    .bind(token.user_id.hyphenated())
    .bind(token.action.as_str())
    .execute(&mut *tx)
    .await?;

    sqlx::query(
        "INSERT INTO email_action_tokens \
         (token_id, user_id, action_type, token_hash, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(token.token_id.hyphenated())
    .bind(token.user_id.hyphenated())
    .bind(token.action.as_str())
    .bind(&token.token_hash)
    .bind(ts(token.expires_at))
    .bind(ts(token.created_at))
    .execute(&mut *tx)
    .await?;

    tx.commit().await?;
    Ok(())
}

pub(super) async fn delete_token(pool: &SqlitePool, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM email_action_tokens WHERE token_hash = ?1")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Marks the token used when it is still good and returns its owner.
async fn spend(
    tx: &mut Transaction<'static, Sqlite>,
    token: &TokenUse,
) -> StoreResult<Option<Uuid>> {
    let owner: Option<Hyphenated> = sqlx::query_scalar(
        "UPDATE email_action_tokens SET used_at = ?1 \
         WHERE token_hash = ?2 AND action_type = ?3 AND used_at IS NULL AND expires_at > ?1 \
         RETURNING user_id",
    )
    .bind(ts(token.now))
    .bind(&token.token_hash)
    .bind(token.action.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(owner.map(Hyphenated::into_uuid))
}

pub(super) async fn verify_email(pool: &SqlitePool, token: &TokenUse) -> StoreResult<Option<Uuid>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let Some(user_id) = spend(&mut tx, token).await? else {
        return Ok(None);
    };

    sqlx::query("UPDATE users SET primary_email_verified = 1 WHERE user_id = ?1")
        .bind(user_id.hyphenated())
        .execute(&mut *tx)
        .await?;

    tx.commit().await?;
    Ok(Some(user_id))
}

pub(super) async fn reset_password(
    pool: &SqlitePool,
    token: &TokenUse,
    hash: &str,
) -> StoreResult<Option<Uuid>> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let Some(user_id) = spend(&mut tx, token).await? else {
        return Ok(None);
    };

    set_password(&mut tx, user_id, hash, token.now).await?;
    sqlx::query(
        "UPDATE auth_sessions SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
    )
    .bind(ts(token.now))
    .bind(user_id.hyphenated())
    .execute(&mut *tx)
    .await?;

    tx.commit().await?;
    Ok(Some(user_id))
}

/// Sets (or replaces) a user's password hash inside `tx`.
pub(super) async fn set_password(
    tx: &mut Transaction<'static, Sqlite>,
    user_id: Uuid,
    hash: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO password_credentials (user_id, password_hash, password_changed_at) \
         VALUES (?1, ?2, ?3) ON CONFLICT (user_id) DO UPDATE SET \
         password_hash = excluded.password_hash, \
         password_changed_at = excluded.password_changed_at",
    )
    .bind(user_id.hyphenated())
    .bind(hash)
    .bind(ts(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}
