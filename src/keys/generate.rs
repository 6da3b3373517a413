//! Creating a key set from scratch: `generate` for operators, `ensure_dev_keyset` for
//! development.
//!
//! Replacing an existing set is destructive (tokens signed by its keys stop verifying), so it
//! needs `force`; the replaced key files are deleted once the new manifest is in place, so no
//! private key lingers unlisted.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::keyset::{KeyInfo, KeySet, LoadedKey};
use super::manifest::{self, KeyRecord, Manifest, validate_kid};
use super::rsa_key::{self, RsaKey};
use super::{KeyError, SECURITY_LOG, storage};

/// Key size for development sets and the CLI default.
pub const DEFAULT_BITS: u32 = 2048;

/// Creates a set in `dir` with one key, current from `now`, and returns that key.
pub fn generate(
    dir: &Path,
    kid: Option<String>,
    bits: u32,
    force: bool,
    now: DateTime<Utc>,
) -> Result<KeyInfo, KeyError> {
    let kid = kid_or_default(kid, now)?;
    let new = new_key(&kid, bits, now, now)?;
    let _lock = storage::lock_dir(dir)?;
    let replaced = manifest::read_bytes(dir)?;
    if replaced.is_some() && !force {
        return Err(KeyError::SetExists {
            dir: dir.to_owned(),
        });
    }

    let record = new.loaded.record.clone();
    let info = new.loaded.info(now);
    KeySet::from_keys(vec![new.loaded], now)?;

    storage::ensure_private_dir(dir)?;
    storage::write_atomic(dir, &record.file, new.pem.as_bytes())?;
    manifest::write(dir, &Manifest::new(vec![record.clone()]))?;

    let replacing = replaced.is_some();
    if let Some(bytes) = replaced {
        remove_replaced_files(dir, &bytes, &record.file);
    }
    tracing::info!(target: SECURITY_LOG, dir = %dir.display(), %kid, bits, replacing,
        "key set generated");
    Ok(info)
}

/// Generates a 2048-bit set in `dir` unless one exists; returns whether it generated one.
pub fn ensure_dev_keyset(dir: &Path, now: DateTime<Utc>) -> Result<bool, KeyError> {
    if manifest::read_bytes(dir)?.is_some() {
        return Ok(false);
    }

    let key = generate(dir, None, DEFAULT_BITS, false, now)?;
    tracing::warn!(target: SECURITY_LOG, dir = %dir.display(), kid = %key.kid,
        "generated a development key set; generate one explicitly in production");
    Ok(true)
}

fn kid_or_default(kid: Option<String>, now: DateTime<Utc>) -> Result<String, KeyError> {
    match kid {
        Some(kid) => validate_kid(&kid).map(|()| kid),
        None => Ok(default_kid(now)),
    }
}

/// A key id like `papyrus-20250131-1a2b3c4d`: sortable by day, unique by its random tail.
pub(crate) fn default_kid(now: DateTime<Utc>) -> String {
    let random: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(8)
        .collect();

    format!("papyrus-{}-{random}", now.format("%Y%m%d"))
}

/// A freshly generated key: its PEM text, still to be written, and the loaded key.
pub(crate) struct NewKey {
    pub pem: String,
    pub loaded: LoadedKey,
}

/// Generates a key and loads it back through the same checks as a key read from disk.
pub(crate) fn new_key(
    kid: &str,
    bits: u32,
    now: DateTime<Utc>,
    activates_at: DateTime<Utc>,
) -> Result<NewKey, KeyError> {
    let pem = rsa_key::generate_pem(bits)?;
    let key = RsaKey::from_private_pem(kid, &pem)?;
    let record = KeyRecord::new(kid, key.bits, now, activates_at);

    Ok(NewKey {
        pem,
        loaded: LoadedKey::new(record, key),
    })
}

/// Best effort: the new set is already live, so a leftover file is logged, not fatal.
fn remove_replaced_files(dir: &Path, old_manifest: &[u8], kept_file: &str) {
    let Ok(old) = manifest::parse(dir, old_manifest) else {
        tracing::warn!(target: SECURITY_LOG, dir = %dir.display(),
            "replaced an unreadable key set; remove its old key files by hand");
        return;
    };

    for record in old.keys.iter().filter(|record| record.file != kept_file) {
        if let Err(err) = storage::remove_if_present(&dir.join(&record.file)) {
            tracing::warn!(target: SECURITY_LOG, kid = %record.kid, error = %err,
                "could not delete a replaced key file");
        }
    }
}
