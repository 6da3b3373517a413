//! The legacy configuration: one PowerSync key given through environment variables.
//!
//! When `POWERSYNC_JWT_PRIVATE_KEY` or `POWERSYNC_JWT_PRIVATE_KEY_FILE` is set it takes
//! precedence over the key directory. The key is current forever; an optional previous public
//! key is published so tokens it signed keep verifying. A related variable set without a
//! private key is an error rather than silently ignored, as is an ambiguous pair of a value
//! and its `_FILE` twin. Rotation with this configuration means a redeploy.

use std::fs;

use chrono::{DateTime, Utc};

use super::KeyError;
use super::keyset::{KeySet, LoadedKey};
use super::manifest::{KeyRecord, validate_kid};
use super::rsa_key::RsaKey;

/// Key id of the legacy key when `POWERSYNC_JWT_KEY_ID` is not set.
pub const DEFAULT_LEGACY_KID: &str = "papyrus-powersync-v1";

const PRIVATE_KEY: &str = "POWERSYNC_JWT_PRIVATE_KEY";
const PUBLIC_KEY: &str = "POWERSYNC_JWT_PUBLIC_KEY";
const KEY_ID: &str = "POWERSYNC_JWT_KEY_ID";
const PREVIOUS_PUBLIC_KEY: &str = "POWERSYNC_JWT_PREVIOUS_PUBLIC_KEY";
const PREVIOUS_KEY_ID: &str = "POWERSYNC_JWT_PREVIOUS_KEY_ID";

/// Builds the legacy key set from variables read through `lookup` (pass `std::env::var(..).ok()`
/// in production); `Ok(None)` when no legacy key is configured.
pub fn legacy_key_set<F>(lookup: F) -> Result<Option<KeySet>, KeyError>
where
    F: Fn(&str) -> Option<String>,
{
    let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    let Some(private_pem) = pem_setting(&var, PRIVATE_KEY)? else {
        return refuse_orphans(&var).map(|()| None);
    };

    let kid = kid_setting(&var, KEY_ID)?.unwrap_or_else(|| DEFAULT_LEGACY_KID.to_owned());
    let key = RsaKey::from_private_pem(&kid, &private_pem)?;
    check_public_matches(&var, &kid, &key)?;
    let mut keys = vec![LoadedKey::new(record(&kid, key.bits, false), key)];
    keys.extend(previous_key(&var, &kid)?);

    KeySet::from_keys(keys, epoch()).map(Some)
}

/// Reads `name` inline or from the file named by `name_FILE`, refusing both at once.
fn pem_setting(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<String>, KeyError> {
    let file_var = format!("{name}_FILE");
    match (var(name), var(&file_var)) {
        (Some(_), Some(_)) => Err(config(format!("set {name} or {file_var}, not both"))),
        (Some(inline), None) => Ok(Some(inline)),
        (None, Some(path)) => {
            let text = fs::read_to_string(&path).map_err(|err| KeyError::io(&path, err))?;
            Ok(Some(text))
        }
        (None, None) => Ok(None),
    }
}

fn kid_setting(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<String>, KeyError> {
    let Some(kid) = var(name) else {
        return Ok(None);
    };

    validate_kid(&kid).map_err(|err| config(format!("{name}: {err}")))?;
    Ok(Some(kid))
}

fn check_public_matches(
    var: &impl Fn(&str) -> Option<String>,
    kid: &str,
    key: &RsaKey,
) -> Result<(), KeyError> {
    let Some(public_pem) = pem_setting(var, PUBLIC_KEY)? else {
        return Ok(());
    };

    let public = RsaKey::from_public_pem(kid, &public_pem)?;
    if !public.same_public_key(key) {
        return Err(config(format!("{PUBLIC_KEY} does not match {PRIVATE_KEY}")));
    }
    Ok(())
}

fn previous_key(
    var: &impl Fn(&str) -> Option<String>,
    current_kid: &str,
) -> Result<Option<LoadedKey>, KeyError> {
    let pem = pem_setting(var, PREVIOUS_PUBLIC_KEY)?;
    let kid = kid_setting(var, PREVIOUS_KEY_ID)?;
    let (pem, kid) = match (pem, kid) {
        (None, None) => return Ok(None),
        (Some(pem), Some(kid)) => (pem, kid),
        _ => {
            return Err(config(format!(
                "set {PREVIOUS_PUBLIC_KEY} and {PREVIOUS_KEY_ID} together"
            )));
        }
    };
    if kid == current_kid {
        return Err(config(format!(
            "{PREVIOUS_KEY_ID} must differ from the current key id"
        )));
    }

    let key = RsaKey::from_public_pem(&kid, &pem)?;
    Ok(Some(LoadedKey::new(record(&kid, key.bits, true), key)))
}

fn refuse_orphans(var: &impl Fn(&str) -> Option<String>) -> Result<(), KeyError> {
    let related = [
        PUBLIC_KEY,
        "POWERSYNC_JWT_PUBLIC_KEY_FILE",
        KEY_ID,
        PREVIOUS_PUBLIC_KEY,
        "POWERSYNC_JWT_PREVIOUS_PUBLIC_KEY_FILE",
        PREVIOUS_KEY_ID,
    ];

    match related.into_iter().find(|name| var(name).is_some()) {
        Some(name) => Err(config(format!("{name} is set but {PRIVATE_KEY} is not"))),
        None => Ok(()),
    }
}

/// Legacy keys have no schedule: they count as active (and a previous key as retired) since
/// the epoch.
fn record(kid: &str, bits: u32, retired: bool) -> KeyRecord {
    KeyRecord {
        file: String::new(),
        retired_at: retired.then(epoch),
        ..KeyRecord::new(kid, bits, epoch(), epoch())
    }
}

fn epoch() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

fn config(message: String) -> KeyError {
    KeyError::LegacyConfig(message)
}
