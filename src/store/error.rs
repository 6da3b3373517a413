use thiserror::Error;

/// Why a store operation failed, in terms the layers above can act on.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; names what was duplicated.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database could not be reached or is overloaded; retrying may help.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(conflict_subject(db.message()))
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(error.to_string()),
            sqlx::Error::Database(db) if is_transient(db.code().as_deref()) => {
                StoreError::Unavailable(error.to_string())
            }
            _ => StoreError::Other(error.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(format!("migration failed: {error}"))
    }
}

/// Serialization failures, deadlocks and a busy SQLite are worth a retry.
fn is_transient(code: Option<&str>) -> bool {
    matches!(code, Some("40001" | "40P01" | "57P03" | "5" | "6" | "517"))
}

/// Names the duplicated thing from the constraint message of either database.
fn conflict_subject(message: &str) -> &'static str {
    if message.contains("email") {
        "An account with this email"
    } else if message.contains("provider") {
        "This identity"
    } else {
        "A record with these values"
    }
}
