//! `KeySet`: an immutable, fully validated snapshot of the signing keys.
//!
//! Loading checks everything a request could trip over later (the manifest parses, every key
//! file loads as an RSA key of at least 2048 bits matching its record, and the schedule has
//! exactly one current key from now on), so serving from a snapshot cannot fail on key
//! material. States are computed per call from `now`; the snapshot never needs a reload
//! to follow a scheduled rotation.

use std::fs;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::jwks::{public_jwk, thumbprint};
use super::manifest::{self, KeyRecord};
use super::rsa_key::RsaKey;
use super::schedule::{self, KeyState};
use super::{KeyError, SECURITY_LOG};

/// How often a load is retried when the manifest changed under it (a rotation or prune
/// removing a file between our reads of the manifest and of that file).
const LOAD_ATTEMPTS: usize = 3;

/// A loaded key with everything requests need precomputed.
#[derive(Debug)]
pub(crate) struct LoadedKey {
    pub record: KeyRecord,
    pub key: RsaKey,
    jwk: Value,
    thumbprint: String,
}

impl LoadedKey {
    pub fn new(record: KeyRecord, key: RsaKey) -> Self {
        Self {
            jwk: public_jwk(&record.kid, &key),
            thumbprint: thumbprint(&key),
            record,
            key,
        }
    }

    /// The key as `list` shows it at `now`.
    pub fn info(&self, now: DateTime<Utc>) -> KeyInfo {
        let record = &self.record;

        KeyInfo {
            kid: record.kid.clone(),
            alg: record.alg.clone(),
            bits: self.key.bits,
            state: schedule::state_at(record, now),
            created_at: record.created_at,
            activates_at: record.activates_at,
            retired_at: record.retired_at,
            thumbprint: self.thumbprint.clone(),
        }
    }
}

/// What `list` shows about a key; serializable for `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub bits: u32,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    pub activates_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
    /// RFC 7638 SHA-256 JWK thumbprint, base64url without padding.
    pub thumbprint: String,
}

/// An immutable, validated set of keys; share it behind an `Arc`.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<LoadedKey>,
}

impl KeySet {
    /// Loads and validates the key set in `dir` as of `now`.
    pub fn load(dir: &Path, now: DateTime<Utc>) -> Result<Self, KeyError> {
        let no_set = || KeyError::NoKeySet {
            dir: dir.to_owned(),
        };
        let mut bytes = manifest::read_bytes(dir)?.ok_or_else(no_set)?;

        for _ in 1..LOAD_ATTEMPTS {
            let err = match Self::load_manifest(dir, &bytes, now) {
                Ok(set) => return Ok(set),
                Err(err) => err,
            };
            match manifest::read_bytes(dir)? {
                Some(again) if again != bytes => bytes = again,
                _ => return Err(err),
            }
        }

        Self::load_manifest(dir, &bytes, now)
    }

    /// Builds a set from loaded keys, enforcing the schedule and that every key that is or
    /// will be current can sign.
    pub(crate) fn from_keys(keys: Vec<LoadedKey>, now: DateTime<Utc>) -> Result<Self, KeyError> {
        let records: Vec<KeyRecord> = keys.iter().map(|key| key.record.clone()).collect();
        schedule::check(&records, now)?;

        let unsignable = keys.iter().find(|key| {
            let signs_now_or_later = schedule::state_at(&key.record, now) != KeyState::Previous;
            signs_now_or_later && !key.key.can_sign()
        });
        if let Some(key) = unsignable {
            return Err(KeyError::rejected(
                &key.record.kid,
                "no private key, so it cannot sign",
            ));
        }

        Ok(Self { keys })
    }

    /// The id of the key that signs at `now`.
    pub fn current_kid(&self, now: DateTime<Utc>) -> Result<&str, KeyError> {
        Ok(&self.current(now)?.record.kid)
    }

    /// The JWKS document: every next, current and previous key, public members only.
    pub fn jwks(&self, now: DateTime<Utc>) -> Value {
        let keys: Vec<&Value> = self.ordered(now).map(|key| &key.jwk).collect();

        json!({ "keys": keys })
    }

    /// Every key with its state at `now`, in publication order.
    pub fn list(&self, now: DateTime<Utc>) -> Vec<KeyInfo> {
        self.ordered(now).map(|key| key.info(now)).collect()
    }

    /// The key current at `now`; only fails for an instant before the set was loaded.
    pub(crate) fn current(&self, now: DateTime<Utc>) -> Result<&LoadedKey, KeyError> {
        let index = schedule::current_index(&self.records(), now)?;

        Ok(&self.keys[index])
    }

    /// Whether both snapshots hold the same keys on the same schedule.
    pub(crate) fn same_keys(&self, other: &KeySet) -> bool {
        let fingerprint = |set: &KeySet| -> Vec<(KeyRecord, String)> {
            let pairs = set.keys.iter();
            pairs
                .map(|key| (key.record.clone(), key.thumbprint.clone()))
                .collect()
        };

        fingerprint(self) == fingerprint(other)
    }

    pub(crate) fn records(&self) -> Vec<KeyRecord> {
        self.keys.iter().map(|key| key.record.clone()).collect()
    }

    fn ordered(&self, now: DateTime<Utc>) -> impl Iterator<Item = &LoadedKey> {
        let order = schedule::publication_order(&self.records(), now);

        order.into_iter().map(|index| &self.keys[index])
    }

    fn load_manifest(dir: &Path, bytes: &[u8], now: DateTime<Utc>) -> Result<Self, KeyError> {
        let manifest = manifest::parse(dir, bytes)?;
        let keys = manifest
            .keys
            .into_iter()
            .map(|record| load_key(dir, record))
            .collect::<Result<Vec<_>, _>>()?;

        Self::from_keys(keys, now)
    }
}

/// Loads the set in `dir` and describes every key at `now`; for `list` in the CLI.
pub fn list(dir: &Path, now: DateTime<Utc>) -> Result<Vec<KeyInfo>, KeyError> {
    Ok(KeySet::load(dir, now)?.list(now))
}

fn load_key(dir: &Path, record: KeyRecord) -> Result<LoadedKey, KeyError> {
    let path = dir.join(&record.file);
    warn_if_readable_by_others(&path);
    let text = fs::read_to_string(&path).map_err(|err| KeyError::io(&path, err))?;

    let key = RsaKey::from_private_pem(&record.kid, &text)?;
    if key.bits != record.bits {
        let reason = format!(
            "the manifest says {} bits, the file has {}",
            record.bits, key.bits
        );
        return Err(KeyError::rejected(&record.kid, reason));
    }

    Ok(LoadedKey::new(record, key))
}

/// Loading still succeeds: refusing would take signing down over a fixable permission.
#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;

    let Ok(meta) = fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        let path = path.display();
        tracing::warn!(target: SECURITY_LOG, %path, mode = format!("{mode:o}"),
            "private key file is accessible to other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}
