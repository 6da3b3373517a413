//! Pruning: forget previous keys once no token they signed can still be valid.
//!
//! A previous key stays published until it has been retired for longer than the longest token
//! lifetime plus a safety margin (clock skew, caches). Current and next keys are never pruned.
//! The manifest is rewritten before the files are deleted, so a reader never finds a listed
//! key without its file.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};

use super::keyset::KeySet;
use super::manifest::{self, KeyRecord, Manifest};
use super::schedule::{self, KeyState};
use super::{KeyError, SECURITY_LOG, storage};

/// Removes previous keys retired before `now - max_token_lifetime - margin`; returns their ids.
pub fn prune(
    dir: &Path,
    max_token_lifetime: Duration,
    margin: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<String>, KeyError> {
    if max_token_lifetime < Duration::zero() || margin < Duration::zero() {
        return Err(KeyError::NegativePruneWindow);
    }

    let _lock = storage::lock_existing(dir)?;
    let cutoff = now - max_token_lifetime - margin;
    let (expired, kept): (Vec<KeyRecord>, Vec<KeyRecord>) = KeySet::load(dir, now)?
        .records()
        .into_iter()
        .partition(|record| is_expired(record, cutoff, now));
    if expired.is_empty() {
        return Ok(Vec::new());
    }
    schedule::check(&kept, now)?;

    manifest::write(dir, &Manifest::new(kept))?;

    for record in &expired {
        storage::remove_if_present(&dir.join(&record.file))?;
        tracing::info!(target: SECURITY_LOG, dir = %dir.display(), kid = %record.kid,
            "retired key pruned");
    }
    Ok(expired.into_iter().map(|record| record.kid).collect())
}

fn is_expired(record: &KeyRecord, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let previous = schedule::state_at(record, now) == KeyState::Previous;

    previous && record.retired_at.is_some_and(|retired| retired < cutoff)
}
