//! `KeyStore`: the live key set a server signs and publishes with.
//!
//! Requests take a snapshot (`Arc<KeySet>`) and use it to the end, so a reload never changes
//! keys halfway through one. A reload swaps in a new snapshot only if the directory holds a
//! set that fully validates; otherwise the error is logged and the last good set stays, so a
//! botched edit of the key directory cannot take signing down.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};

use super::keyset::KeySet;
use super::legacy::legacy_key_set;
use super::{KeyError, SECURITY_LOG};

/// Cheaply clonable handle to the current key set.
#[derive(Debug, Clone)]
pub struct KeyStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    snapshot: RwLock<Arc<KeySet>>,
    /// `None` for a fixed set (legacy configuration), which never reloads.
    dir: Option<PathBuf>,
}

impl KeyStore {
    /// Loads the set in `dir`; fails when it does not validate, so a server never starts
    /// without keys.
    pub fn open(dir: &Path, now: DateTime<Utc>) -> Result<Self, KeyError> {
        let set = KeySet::load(dir, now)?;

        Ok(Self::new(set, Some(dir.to_owned())))
    }

    /// The legacy `POWERSYNC_JWT_*` key when one is configured (read through `lookup`),
    /// otherwise the set in `dir`.
    pub fn from_legacy_or_dir<F>(
        lookup: F,
        dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<Self, KeyError>
    where
        F: Fn(&str) -> Option<String>,
    {
        if let Some(set) = legacy_key_set(lookup)? {
            tracing::info!(target: SECURITY_LOG,
                "signing with the POWERSYNC_JWT_* key; the key directory is unused");
            return Ok(Self::fixed(set));
        }

        Self::open(dir, now)
    }

    /// A store that always serves `set`, for the legacy environment configuration.
    pub fn fixed(set: KeySet) -> Self {
        Self::new(set, None)
    }

    /// The set to use for one request.
    pub fn snapshot(&self) -> Arc<KeySet> {
        let guard = self
            .inner
            .snapshot
            .read()
            .unwrap_or_else(PoisonError::into_inner);

        Arc::clone(&guard)
    }

    /// The watched directory; `None` for a fixed set.
    pub fn dir(&self) -> Option<&Path> {
        self.inner.dir.as_deref()
    }

    /// Reloads the directory now; see [`KeyStore::reload_at`].
    pub fn reload(&self) -> bool {
        self.reload_at(Utc::now())
    }

    /// Reloads the directory, validating as of `now`. Returns whether a valid set was found
    /// and installed; failures are logged here, so callers need not log them again.
    pub fn reload_at(&self, now: DateTime<Utc>) -> bool {
        let Some(dir) = self.dir() else {
            tracing::debug!(target: SECURITY_LOG, "fixed key set, nothing to reload");
            return false;
        };

        match KeySet::load(dir, now) {
            Ok(set) => {
                self.install(set, now);
                true
            }
            Err(err) => {
                tracing::error!(target: SECURITY_LOG, dir = %dir.display(), error = %err,
                    "key set reload failed; keeping the previous key set");
                false
            }
        }
    }

    fn new(set: KeySet, dir: Option<PathBuf>) -> Self {
        let inner = Inner {
            snapshot: RwLock::new(Arc::new(set)),
            dir,
        };

        Self {
            inner: Arc::new(inner),
        }
    }

    fn install(&self, set: KeySet, now: DateTime<Utc>) {
        let changed = !self.snapshot().same_keys(&set);
        let current = set.current_kid(now).map(str::to_owned).unwrap_or_default();
        let count = set.list(now).len();

        *self
            .inner
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(set);

        if changed {
            tracing::info!(target: SECURITY_LOG, %current, keys = count, "key set reloaded");
        } else {
            tracing::debug!(target: SECURITY_LOG, %current, "key set reloaded, unchanged");
        }
    }
}
