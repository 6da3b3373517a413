//! Signing keys for PowerSync tokens: the key set on disk, its schedule, the JWKS.
//!
//! Policy:
//! - A key set is a directory (mode 0700) holding one PKCS#8 PEM file per key (mode 0600) and
//!   a manifest, `keyset.json`, listing them. The manifest is the only source of truth, and
//!   it is written last and atomically, so a reader sees the old set or the new one, never a
//!   mix.
//! - A key's state (next, current, previous) is computed from its `activates_at` and
//!   `retired_at` timestamps and the time of the question, never stored. Replicas reading the
//!   same manifest agree on the signing key without coordination, and a loaded snapshot
//!   switches to a scheduled key by itself when its activation time passes.
//! - Exactly one key is current at every instant from now on; a set that breaks this does not
//!   load, and a running server keeps the last set that did.
//! - Every next, current and previous key is in the JWKS: verifiers see a new key before it
//!   signs and keep an old one until it is pruned, after the tokens it signed have expired.
//! - Tokens are RS256 only, with RSA keys of at least 2048 bits. Private key material leaves
//!   this module only as signatures; no error or log message contains it.
//! - A key given through the legacy `POWERSYNC_JWT_*` variables takes precedence over the
//!   directory and cannot be rotated without a redeploy.
//!
//! Key events (generated, rotated, pruned, reloaded) are logged with target
//! `papyrus::security`.

mod error;
mod generate;
mod jwks;
mod keyset;
mod legacy;
mod manifest;
mod pem;
mod prune;
mod rotate;
mod rsa_key;
mod schedule;
mod signer;
mod storage;
mod store;
mod watch;

#[cfg(test)]
mod tests;

pub use error::KeyError;
pub use generate::{DEFAULT_BITS, ensure_dev_keyset, generate};
pub use keyset::{KeyInfo, KeySet, list};
pub use legacy::{DEFAULT_LEGACY_KID, legacy_key_set};
pub use manifest::{MANIFEST_FILE, validate_kid};
pub use prune::prune;
pub use rotate::{DEFAULT_ACTIVATION_DELAY, RotationSummary, rotate};
pub use schedule::KeyState;
pub use signer::POWERSYNC_TOKEN_TYPE;
pub use store::KeyStore;
pub use watch::KeyWatch;

/// Log target of key events, so operators can route them with other security events.
pub(crate) const SECURITY_LOG: &str = "papyrus::security";
