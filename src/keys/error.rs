//! Errors of the key set.
//!
//! Messages name the directory, file, key id or environment variable involved, so an operator
//! can act on them, and never contain key material.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

/// Everything that can go wrong while loading, changing or using a key set.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("a key set already exists in {}; pass --force to replace it", dir.display())]
    SetExists { dir: PathBuf },

    #[error("no key set in {}; generate one first", dir.display())]
    NoKeySet { dir: PathBuf },

    #[error("the key set manifest {} is invalid: {reason}", path.display())]
    InvalidManifest { path: PathBuf, reason: String },

    #[error("invalid key id {kid:?}: use 1 to 64 characters from A-Z, a-z, 0-9, '.', '_', '-'")]
    InvalidKid { kid: String },

    #[error("unsupported RSA key size {bits}: use 2048, 3072 or 4096")]
    UnsupportedBits { bits: u32 },

    #[error("key {kid} was rejected: {reason}")]
    KeyRejected { kid: String, reason: String },

    #[error("no key is current at {at}")]
    NoCurrentKey { at: DateTime<Utc> },

    #[error("keys {kids} are all current at {at}; exactly one may be")]
    SeveralCurrentKeys { kids: String, at: DateTime<Utc> },

    #[error("key {kid} is already scheduled to activate at {activates_at}; prune or wait")]
    NextKeyExists {
        kid: String,
        activates_at: DateTime<Utc>,
    },

    #[error("the activation time {activate_at} is before now ({now})")]
    ActivationInPast {
        activate_at: DateTime<Utc>,
        now: DateTime<Utc>,
    },

    #[error("legacy key configuration: {0}")]
    LegacyConfig(String),

    #[error("token lifetime must be positive")]
    InvalidTtl,

    #[error("the prune window (token lifetime plus margin) must not be negative")]
    NegativePruneWindow,

    #[error("RSA key generation failed")]
    Generation,

    #[error("signing failed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),

    #[error("cannot watch {}: {source}", dir.display())]
    Watch {
        dir: PathBuf,
        #[source]
        source: notify::Error,
    },

    #[error("watching needs a running tokio runtime")]
    NoRuntime,
}

impl KeyError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn rejected(kid: &str, reason: impl Into<String>) -> Self {
        Self::KeyRejected {
            kid: kid.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn manifest(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::InvalidManifest {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
