//! Steps several commands share: opening the database and the signing keys, finding
//! a user.

use anyhow::Context;
use chrono::Utc;

use super::CliResult;
use crate::admin;
use crate::config::{self, BaseSettings, Mode};
use crate::keys::{self, KeyStore};
use crate::store::{self, DynStore, UserRecord};

/// Opens the configured database (without migrating).
pub async fn open_store(base: &BaseSettings) -> CliResult<DynStore> {
    let url = &base.database_url;
    Ok(store::connect(url)
        .await
        .with_context(|| format!("cannot open the database {}", store::redact_url(url)))?)
}

/// The signing keys `serve` and `token mint` use: the legacy `POWERSYNC_JWT_*` key when
/// set, else the key directory. In development a missing key set is generated (the
/// keys module logs the warning); in production a missing one leaves signing
/// unconfigured (`None`), and a broken one is an error.
pub fn open_keys(base: &BaseSettings) -> CliResult<Option<KeyStore>> {
    let now = Utc::now();
    let dir = &base.keys_dir;
    if keys::legacy_key_set(config::process_env)?.is_none()
        && !dir.join(keys::MANIFEST_FILE).exists()
    {
        if base.mode == Mode::Production {
            tracing::error!(
                "PowerSync signing is not configured: no key set in {} and no \
                 POWERSYNC_JWT_PRIVATE_KEY; run `papyrus keys generate`",
                dir.display()
            );
            return Ok(None);
        }
        keys::ensure_dev_keyset(dir, now)
            .with_context(|| format!("cannot create a key set in {}", dir.display()))?;
    }

    let store = KeyStore::from_legacy_or_dir(config::process_env, dir, now)
        .with_context(|| format!("cannot load the PowerSync key set in {}", dir.display()))?;
    Ok(Some(store))
}

/// A user by id or by email (any case); an unknown one fails with exit status 1.
pub async fn find_user(store: &DynStore, who: &str) -> CliResult<UserRecord> {
    Ok(admin::find_user(store, who).await?)
}
