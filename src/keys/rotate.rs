//! Rotation: schedule a new key without downtime.
//!
//! The new key is published at once (verifiers fetch it before it signs anything) and starts
//! signing at `activate_at`; the key current at that instant gets `retired_at = activate_at`,
//! so the hand-over is a single instant every replica agrees on. Only one key may wait to
//! activate at a time, which keeps the schedule a simple line.
//!
//! Admin commands hold the directory's lock from reading the manifest to writing it, so
//! two run at the same moment apply one after the other.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::generate::{default_kid, new_key};
use super::keyset::{KeyInfo, KeySet};
use super::manifest::{self, Manifest};
use super::schedule::{self, KeyState};
use super::{KeyError, SECURITY_LOG, storage};

/// Default wait between `rotate` and activation: long enough for verifiers to refresh the JWKS.
pub const DEFAULT_ACTIVATION_DELAY: chrono::Duration = chrono::Duration::minutes(10);

/// What `rotate` scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotationSummary {
    pub new_kid: String,
    pub bits: u32,
    pub activates_at: DateTime<Utc>,
    /// The key that stops signing at `activates_at`.
    pub retiring_kid: String,
    pub thumbprint: String,
}

/// Adds a key to the set in `dir` that becomes current at `activate_at`.
pub fn rotate(
    dir: &Path,
    activate_at: DateTime<Utc>,
    bits: u32,
    now: DateTime<Utc>,
) -> Result<RotationSummary, KeyError> {
    if activate_at < now {
        return Err(KeyError::ActivationInPast { activate_at, now });
    }

    let _lock = storage::lock_existing(dir)?;
    let set = KeySet::load(dir, now)?;
    let mut records = set.records();
    refuse_pending_rotation(&set, now)?;

    let retiring = schedule::current_index(&records, activate_at)?;
    let kid = unused_kid(&set, now);
    let new = new_key(&kid, bits, now, activate_at)?;
    records[retiring].retired_at = Some(activate_at);
    records.push(new.loaded.record.clone());
    schedule::check(&records, now)?;

    storage::ensure_private_dir(dir)?;
    storage::write_atomic(dir, &new.loaded.record.file, new.pem.as_bytes())?;
    manifest::write(dir, &Manifest::new(records.clone()))?;

    let summary = summary(&records[retiring].kid, new.loaded.info(now));
    tracing::info!(target: SECURITY_LOG, dir = %dir.display(), kid = %summary.new_kid,
        retiring = %summary.retiring_kid, activates_at = %activate_at, "key rotation scheduled");
    Ok(summary)
}

fn refuse_pending_rotation(set: &KeySet, now: DateTime<Utc>) -> Result<(), KeyError> {
    let pending = set
        .list(now)
        .into_iter()
        .find(|key| key.state == KeyState::Next);
    match pending {
        Some(key) => Err(KeyError::NextKeyExists {
            kid: key.kid,
            activates_at: key.activates_at,
        }),
        None => Ok(()),
    }
}

/// A default key id not already in the set; a clash of the random tail is merely unlikely.
fn unused_kid(set: &KeySet, now: DateTime<Utc>) -> String {
    let taken = set.records();
    let mut kid = default_kid(now);
    while taken.iter().any(|record| record.kid == kid) {
        kid = default_kid(now);
    }

    kid
}

fn summary(retiring_kid: &str, new_key: KeyInfo) -> RotationSummary {
    RotationSummary {
        new_kid: new_key.kid,
        bits: new_key.bits,
        activates_at: new_key.activates_at,
        retiring_kid: retiring_kid.to_owned(),
        thumbprint: new_key.thumbprint,
    }
}
