//! Provider sign-ins on SQLite: authorization states, exchange codes and identities.
//!
//! States and codes are consumed by one `UPDATE ... RETURNING` that only matches an
//! unused row, so two racing callbacks (or exchanges) cannot both win.

use chrono::{DateTime, Duration, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use uuid::Uuid;
use uuid::fmt::Hyphenated;

use super::sqlite::ts;
use super::{
    ExchangeCodeRecord, NewExchangeCode, NewOAuthState, NewUser, OAuthMode, OAuthStateRecord,
    ProviderProfile, StoreError, StoreResult,
};

/// How long expired states and codes are kept before a new sign-in removes them.
const KEEP_EXPIRED: Duration = Duration::days(1);

pub(super) async fn insert_state(pool: &SqlitePool, state: &NewOAuthState) -> StoreResult<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let cutoff = ts(state.created_at - KEEP_EXPIRED);
    sqlx::query("DELETE FROM oauth_states WHERE expires_at < ?1")
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM auth_exchange_codes WHERE expires_at < ?1")
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?;

    sqlx::query(
        "INSERT INTO oauth_states (state_id, state_hash, provider, pkce_verifier, nonce, \
         redirect_uri, mode, user_id, code_challenge, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .bind(state.state_id.hyphenated())
    .bind(&state.state_hash)
    .bind(&state.provider)
    .bind(&state.pkce_verifier)
    .bind(&state.nonce)
    .bind(&state.redirect_uri)
    .bind(state.mode.as_str())
    .bind(state.user_id.map(|id| id.hyphenated()))
    .bind(&state.code_challenge)
    .bind(ts(state.expires_at))
    .bind(ts(state.created_at))
    .execute(&mut *tx)
    .await?;

    tx.commit().await?;
    Ok(())
}

pub(super) async fn consume_state(
    pool: &SqlitePool,
    state_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<OAuthStateRecord>> {
    let row = sqlx::query(
        "UPDATE oauth_states SET used_at = ?2 WHERE state_hash = ?1 AND used_at IS NULL \
         RETURNING provider, pkce_verifier, nonce, redirect_uri, mode, user_id, \
         code_challenge, expires_at",
    )
    .bind(state_hash)
    .bind(ts(now))
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(state_from_row).transpose()
}

fn state_from_row(row: &SqliteRow) -> StoreResult<OAuthStateRecord> {
    let mode: String = row.try_get("mode")?;
    Ok(OAuthStateRecord {
        provider: row.try_get("provider")?,
        pkce_verifier: row.try_get("pkce_verifier")?,
        nonce: row.try_get("nonce")?,
        redirect_uri: row.try_get("redirect_uri")?,
        mode: parse_mode(&mode)?,
        user_id: optional_id(row, "user_id")?,
        code_challenge: row.try_get("code_challenge")?,
        expires_at: row.try_get("expires_at")?,
    })
}

fn parse_mode(value: &str) -> StoreResult<OAuthMode> {
    OAuthMode::parse(value).ok_or_else(|| StoreError::Other(format!("unknown mode {value:?}")))
}

fn optional_id(row: &SqliteRow, column: &str) -> StoreResult<Option<Uuid>> {
    let value: Option<Hyphenated> = row.try_get(column)?;
    Ok(value.map(Hyphenated::into_uuid))
}

pub(super) async fn insert_code(pool: &SqlitePool, code: &NewExchangeCode) -> StoreResult<()> {
    let profile = code.profile.as_ref();
    let verified_at = profile.and_then(|p| p.email_verified.then(|| ts(code.created_at)));
    sqlx::query(
        "INSERT INTO auth_exchange_codes (code_id, code_hash, purpose, user_id, provider, \
         provider_subject, email_at_provider, email_verified_at_provider, display_name, \
         avatar_url, redirect_uri, code_challenge, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )
    .bind(code.code_id.hyphenated())
    .bind(&code.code_hash)
    .bind(code.purpose.as_str())
    .bind(code.user_id.hyphenated())
    .bind(profile.map(|p| p.provider.as_str()))
    .bind(profile.map(|p| p.subject.as_str()))
    .bind(profile.and_then(|p| p.email.as_deref()))
    .bind(verified_at)
    .bind(profile.and_then(|p| p.display_name.as_deref()))
    .bind(profile.and_then(|p| p.avatar_url.as_deref()))
    .bind(&code.redirect_uri)
    .bind(&code.code_challenge)
    .bind(ts(code.expires_at))
    .bind(ts(code.created_at))
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn consume_code(
    pool: &SqlitePool,
    code_hash: &str,
    purpose: OAuthMode,
    now: DateTime<Utc>,
) -> StoreResult<Option<ExchangeCodeRecord>> {
    let row = sqlx::query(
        "UPDATE auth_exchange_codes SET used_at = ?3 WHERE code_hash = ?1 AND purpose = ?2 \
         AND used_at IS NULL AND expires_at > ?3 \
         RETURNING user_id, provider, provider_subject, email_at_provider, \
         email_verified_at_provider, display_name, avatar_url, code_challenge",
    )
    .bind(code_hash)
    .bind(purpose.as_str())
    .bind(ts(now))
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(code_from_row).transpose()
}

fn code_from_row(row: &SqliteRow) -> StoreResult<ExchangeCodeRecord> {
    let provider: Option<String> = row.try_get("provider")?;
    let subject: Option<String> = row.try_get("provider_subject")?;
    let profile = match (provider, subject) {
        (Some(provider), Some(subject)) => Some(ProviderProfile {
            provider,
            subject,
            email: row.try_get("email_at_provider")?,
            email_verified: row
                .try_get::<Option<String>, _>("email_verified_at_provider")?
                .is_some(),
            display_name: row.try_get("display_name")?,
            avatar_url: row.try_get("avatar_url")?,
        }),
        _ => None,
    };
    Ok(ExchangeCodeRecord {
        user_id: optional_id(row, "user_id")?,
        profile,
        code_challenge: row.try_get("code_challenge")?,
    })
}

pub(super) async fn identity_owner(
    pool: &SqlitePool,
    provider: &str,
    subject: &str,
) -> StoreResult<Option<Uuid>> {
    let owner: Option<Hyphenated> = sqlx::query_scalar(
        "SELECT user_id FROM user_identities WHERE provider = ?1 AND provider_subject = ?2",
    )
    .bind(provider)
    .bind(subject)
    .fetch_optional(pool)
    .await?;
    Ok(owner.map(Hyphenated::into_uuid))
}

pub(super) async fn use_identity(
    pool: &SqlitePool,
    provider: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Uuid>> {
    let owner: Option<Hyphenated> = sqlx::query_scalar(
        "UPDATE user_identities SET last_used_at = ?3 \
         WHERE provider = ?1 AND provider_subject = ?2 RETURNING user_id",
    )
    .bind(provider)
    .bind(subject)
    .bind(ts(now))
    .fetch_optional(pool)
    .await?;
    Ok(owner.map(Hyphenated::into_uuid))
}

/// Creates a user without a password together with its first identity.
pub(super) async fn insert_user_with_identity(
    pool: &SqlitePool,
    user: &NewUser,
    profile: &ProviderProfile,
) -> StoreResult<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::query(
        "INSERT INTO users (user_id, primary_email, display_name, avatar_url, \
         primary_email_verified, created_at, last_login_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )
    .bind(user.user_id.hyphenated())
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&user.avatar_url)
    .bind(user.email_verified)
    .bind(ts(user.created_at))
    .execute(&mut *tx)
    .await?;

    insert_identity(&mut tx, user.user_id, profile, user.created_at).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_identity(
    tx: &mut Transaction<'static, Sqlite>,
    user_id: Uuid,
    profile: &ProviderProfile,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO user_identities (identity_id, user_id, provider, provider_subject, \
         email_at_provider, email_verified_at_provider, created_at, last_used_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )
    .bind(Uuid::new_v4().hyphenated())
    .bind(user_id.hyphenated())
    .bind(&profile.provider)
    .bind(&profile.subject)
    .bind(&profile.email)
    .bind(profile.email_verified.then(|| ts(now)))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Links the identity to the user unless another user holds it, then fills the
/// user's missing avatar, and missing email when the provider verified it and no
/// other account uses it.
pub(super) async fn link_identity(
    pool: &SqlitePool,
    user_id: Uuid,
    profile: &ProviderProfile,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let owner: Option<Hyphenated> = sqlx::query_scalar(
        "SELECT user_id FROM user_identities WHERE provider = ?1 AND provider_subject = ?2",
    )
    .bind(&profile.provider)
    .bind(&profile.subject)
    .fetch_optional(&mut *tx)
    .await?;
    match owner.map(Hyphenated::into_uuid) {
        Some(owner) if owner != user_id => return Err(StoreError::Conflict("This identity")),
        Some(_) => {}
        None => insert_identity(&mut tx, user_id, profile, now).await?,
    }

    let email = profile.email.as_deref().filter(|_| profile.email_verified);
    sqlx::query(
        "UPDATE users SET avatar_url = COALESCE(avatar_url, ?2), \
         primary_email_verified = CASE WHEN primary_email IS NULL AND ?3 IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM users o WHERE o.primary_email = ?3) \
           THEN 1 ELSE primary_email_verified END, \
         primary_email = CASE WHEN primary_email IS NULL \
           AND NOT EXISTS (SELECT 1 FROM users o WHERE o.primary_email = ?3) \
           THEN ?3 ELSE primary_email END \
         WHERE user_id = ?1",
    )
    .bind(user_id.hyphenated())
    .bind(&profile.avatar_url)
    .bind(email)
    .execute(&mut *tx)
    .await?;

    tx.commit().await?;
    Ok(())
}
