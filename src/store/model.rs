//! Plain records read from and written to the store.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A user as stored. `email` is the normalised primary email, when the user has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub user_id: Uuid,
    pub email: Option<String>,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl UserRecord {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// A user to create. `password_hash` is already hashed; `None` for accounts that
/// sign in only through an identity provider.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub user_id: Uuid,
    pub email: Option<String>,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub email_verified: bool,
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A partial profile change: `None` leaves a field alone; for `avatar_url`,
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub avatar_url: Option<Option<String>>,
}

/// One signed-in device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub client_type: String,
    pub device_label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl SessionRecord {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub session_id: Uuid,
    pub user_id: Uuid,
    /// SHA-256 hex digest of the session's first refresh token.
    pub refresh_token_hash: String,
    pub client_type: String,
    pub device_label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The inputs of one refresh-token rotation, all decided by the caller.
///
/// The store finds the session whose live token digest is `presented_hash`, replaces
/// it with `next_hash` and remembers `presented_hash` as rotated. When the presented
/// token was already rotated, the store answers [`RotationOutcome::Repeated`] if the
/// session's live token is still `next_hash` and the rotation happened no earlier than
/// `grace_since`; any other reuse revokes the session.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub presented_hash: String,
    pub next_hash: String,
    pub now: DateTime<Utc>,
    pub grace_since: DateTime<Utc>,
    pub new_expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationOutcome {
    /// The presented token was live; the session now holds `next_hash`.
    Rotated(SessionRecord),
    /// The presented token was rotated moments ago into `next_hash`: a benign race.
    Repeated(SessionRecord),
    /// The presented token names a session that is revoked or expired. Nothing changed.
    Inactive(SessionRecord),
    /// An old token was replayed; the session has been revoked.
    Reused(SessionRecord),
    /// No session ever held this token.
    Unknown,
}

/// Which users [`crate::store::Store::list_users`] returns.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Matches email or display name, ignoring case; `%` and `_` match themselves.
    pub search: Option<String>,
    /// Only disabled users.
    pub only_disabled: bool,
    pub limit: u32,
    /// Sessions count as live when unrevoked and expiring after this instant.
    pub now: DateTime<Utc>,
}

/// A user with the number of its live sessions, as an operator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub user: UserRecord,
    pub live_sessions: i64,
}

/// A sign-in through an identity provider (Google, ...) linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    pub identity_id: Uuid,
    pub provider: String,
    pub provider_subject: String,
    pub email_at_provider: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What PostgreSQL reports about logical replication for PowerSync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationFacts {
    pub wal_level: String,
    pub publication_exists: bool,
    /// The tables the publication includes, of those asked about.
    pub published_tables: Vec<String>,
    pub role_exists: bool,
    pub role_can_replicate: bool,
    /// The tables the role may SELECT from, of those asked about.
    pub role_readable_tables: Vec<String>,
}

/// What applying one upload transaction came to. Anything but `Applied` was rolled
/// back whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Committed; rows written or deleted.
    Applied(u64),
    /// Entry `entry` touches a row owned by another user.
    ForeignRow { entry: usize, id: Uuid },
    /// Entry `entry` would create a row without a column an insert needs.
    MissingForInsert { entry: usize, column: &'static str },
}

/// A refused upload transaction, for the rejection journal.
#[derive(Debug, Clone)]
pub struct NewRejection {
    pub rejection_id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub code: String,
    pub message: String,
    pub details: serde_json::Value,
    pub cross_user: bool,
    /// The request body as received, cut at the journal's size cap.
    pub batch: String,
    /// The size of the whole body, in bytes.
    pub batch_bytes: i64,
    pub batch_truncated: bool,
}

/// A journal entry as read back.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RejectionRecord {
    pub rejection_id: Uuid,
    pub user_id: Uuid,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub code: String,
    pub message: String,
    pub details: serde_json::Value,
    pub cross_user: bool,
    pub batch: String,
    pub batch_bytes: i64,
    pub batch_truncated: bool,
}

/// Which journal entries to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct RejectionQuery {
    pub user_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub limit: i64,
}
