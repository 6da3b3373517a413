//! Applying one upload transaction from the PowerSync client, whole or not at all.
//!
//! The rules:
//! - The batch is validated against the entity declarations before anything is
//!   written; one bad entry rejects the transaction.
//! - The store applies the entries in order in one database transaction, checking
//!   under lock that the caller owns every row it touches. A row of another user
//!   rejects the whole transaction; that is logged on the security target.
//! - Every rejection is written to the rejection journal with the batch as received
//!   (cut at [`JOURNAL_BATCH_CAP`]), so nothing a client sent is lost even though
//!   the client drops the transaction.
//! - A serialization failure, a concurrent create of the same row or an unreachable
//!   database is transient: the transaction is retried a few times here, and then
//!   reported as unavailable so the client retries it later. Transient failures are
//!   not rejections and are not journaled.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::SECURITY;
use crate::store::{ApplyOutcome, DynStore, NewRejection, StoreError};
use crate::sync::{self, BatchError, CrudEntry, Rejection};

/// The most of a rejected batch the journal keeps, in bytes.
pub const JOURNAL_BATCH_CAP: usize = 256 * 1024;

/// Attempts at a transaction that keeps failing transiently.
const ATTEMPTS: u32 = 4;

/// Code of a rejection for a row owned by someone else.
pub const FORBIDDEN: &str = "FORBIDDEN";

#[derive(Debug)]
pub enum UploadOutcome {
    Applied(u64),
    Rejected(Rejection),
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The body is not an upload at all.
    #[error("{0}")]
    Malformed(&'static str),
    /// Worth retrying later; nothing was written.
    #[error("the database is busy or unavailable")]
    Unavailable,
    #[error(transparent)]
    Store(StoreError),
}

/// Validates and applies one upload for `user_id`. `raw` is the body as received,
/// for the journal.
pub async fn upload(
    store: &DynStore,
    user_id: Uuid,
    body: &Value,
    raw: &[u8],
) -> Result<UploadOutcome, UploadError> {
    let entries = match sync::parse_batch(body) {
        Ok(entries) => entries,
        Err(BatchError::Malformed(reason)) => return Err(UploadError::Malformed(reason)),
        Err(BatchError::Rejected(rejection)) => {
            return reject(store, user_id, rejection, false, raw).await;
        }
    };

    match apply_with_retries(store, user_id, &entries).await? {
        ApplyOutcome::Applied(count) => Ok(UploadOutcome::Applied(count)),
        ApplyOutcome::ForeignRow { entry, id } => {
            tracing::warn!(
                target: SECURITY,
                %user_id,
                row_id = %id,
                entry,
                "upload touched a row owned by another user; transaction rejected"
            );
            reject(store, user_id, foreign_row(&entries, entry, id), true, raw).await
        }
        ApplyOutcome::MissingForInsert { entry, column } => {
            let problem = entries
                .iter()
                .find(|e| e.index == entry)
                .map(|e| e.missing_problem(column));
            let rejection = Rejection::new(&problem.into_iter().collect::<Vec<_>>());
            reject(store, user_id, rejection, false, raw).await
        }
    }
}

async fn apply_with_retries(
    store: &DynStore,
    user_id: Uuid,
    entries: &[CrudEntry],
) -> Result<ApplyOutcome, UploadError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match store.apply_upload(user_id, entries, Utc::now()).await {
            Ok(outcome) => return Ok(outcome),
            Err(error) if is_transient(&error) && attempt < ATTEMPTS => {
                tracing::debug!(%user_id, attempt, %error, "upload failed transiently; retrying");
                tokio::time::sleep(Duration::from_millis(25 * u64::from(attempt))).await;
            }
            Err(error) if is_transient(&error) => {
                tracing::warn!(%user_id, %error, "upload failed transiently; client will retry");
                return Err(UploadError::Unavailable);
            }
            Err(other) => return Err(UploadError::Store(other)),
        }
    }
}

/// A concurrent create of the same row surfaces as a unique violation; retrying
/// sees the committed row and takes the update or foreign-row path.
fn is_transient(error: &StoreError) -> bool {
    matches!(error, StoreError::Unavailable(_) | StoreError::Conflict(_))
}

fn foreign_row(entries: &[CrudEntry], index: usize, id: Uuid) -> Rejection {
    let type_name = entries
        .iter()
        .find(|e| e.index == index)
        .map_or("", |e| e.entity.name);
    Rejection {
        code: FORBIDDEN,
        message: format!("entry {index} writes row {id}, which belongs to another user"),
        details: json!({ "entry": index, "id": id, "type": type_name }),
    }
}

/// Journals a rejection and hands it back. A journal that cannot be written makes
/// the answer transient, so the client keeps the transaction and nothing is lost.
async fn reject(
    store: &DynStore,
    user_id: Uuid,
    rejection: Rejection,
    cross_user: bool,
    raw: &[u8],
) -> Result<UploadOutcome, UploadError> {
    let kept = &raw[..raw.len().min(JOURNAL_BATCH_CAP)];
    let entry = NewRejection {
        rejection_id: Uuid::new_v4(),
        user_id,
        created_at: Utc::now(),
        code: rejection.code.to_owned(),
        message: rejection.message.clone(),
        details: rejection.details.clone(),
        cross_user,
        batch: String::from_utf8_lossy(kept).into_owned(),
        batch_bytes: i64::try_from(raw.len()).unwrap_or(i64::MAX),
        batch_truncated: kept.len() < raw.len(),
    };

    match store.insert_rejection(&entry).await {
        Ok(()) => {
            tracing::info!(%user_id, code = rejection.code, "upload transaction rejected");
            Ok(UploadOutcome::Rejected(rejection))
        }
        Err(error) => {
            tracing::error!(%user_id, %error, "cannot journal a rejected upload");
            Err(UploadError::Unavailable)
        }
    }
}
