//! Key set checks: a key set exists and loads, one key signs now, and no one but the
//! owner can read the private key files.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::Check;
use crate::config::{BaseSettings, EnvLookup};
use crate::keys::{self, KeySet};

const KEY_SET: &str = "key set";
const KEY_FILES: &str = "key files";

pub fn checks(base: &BaseSettings, env: EnvLookup<'_>) -> Vec<Check> {
    match keys::legacy_key_set(|name| env(name)) {
        Ok(Some(set)) => {
            return vec![
                legacy(&set),
                Check::skip(KEY_FILES, "the key is in the environment"),
            ];
        }
        Ok(None) => {}
        Err(error) => {
            return vec![
                Check::fail(
                    KEY_SET,
                    error.to_string(),
                    "correct the POWERSYNC_JWT_* variables",
                ),
                Check::skip(KEY_FILES, "the key is in the environment"),
            ];
        }
    }

    let dir = &base.keys_dir;
    if !dir.join(keys::MANIFEST_FILE).exists() {
        let message = format!("no key set in {}", dir.display());
        return vec![
            Check::fail(KEY_SET, message, "run `papyrus keys generate`"),
            Check::skip(KEY_FILES, "there is no key set"),
        ];
    }
    vec![directory(dir), file_permissions(dir)]
}

fn legacy(set: &KeySet) -> Check {
    match set.current_kid(Utc::now()) {
        Ok(kid) => Check::pass(
            KEY_SET,
            format!("POWERSYNC_JWT_PRIVATE_KEY loads; current key {kid}"),
        ),
        Err(error) => Check::fail(
            KEY_SET,
            error.to_string(),
            "correct POWERSYNC_JWT_PRIVATE_KEY",
        ),
    }
}

fn directory(dir: &Path) -> Check {
    let now = Utc::now();
    let fix = format!(
        "repair {} or replace the set with `papyrus keys generate --force`",
        dir.display()
    );
    let set = match KeySet::load(dir, now) {
        Ok(set) => set,
        Err(error) => return Check::fail(KEY_SET, error.to_string(), fix),
    };

    match set.current_kid(now) {
        Ok(kid) => Check::pass(
            KEY_SET,
            format!("{} loads; current key {kid}", dir.display()),
        ),
        Err(error) => Check::fail(KEY_SET, error.to_string(), fix),
    }
}

/// Every file in the key directory but the public manifest holds or may hold a private
/// key, so each must be private to its owner.
fn file_permissions(dir: &Path) -> Check {
    let exposed = match exposed_files(dir) {
        Ok(exposed) => exposed,
        Err(error) => {
            let message = format!("cannot read {}: {error}", dir.display());
            return Check::fail(
                KEY_FILES,
                message,
                "make the key directory readable by papyrus",
            );
        }
    };
    if exposed.is_empty() {
        return Check::pass(KEY_FILES, "readable by their owner only");
    }

    let names: Vec<String> = exposed.iter().map(|p| p.display().to_string()).collect();
    Check::fail(
        KEY_FILES,
        format!("readable by group or others: {}", names.join(", ")),
        format!("run `chmod 600 {}`", names.join(" ")),
    )
}

#[cfg(unix)]
fn exposed_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    use std::os::unix::fs::PermissionsExt;

    let mut exposed = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        let private = entry.file_name() == keys::MANIFEST_FILE || !meta.is_file();
        if !private && meta.permissions().mode() & 0o077 != 0 {
            exposed.push(entry.path());
        }
    }
    exposed.sort();
    Ok(exposed)
}

/// Only Unix permission bits are checked; elsewhere the files pass.
#[cfg(not(unix))]
fn exposed_files(_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(Vec::new())
}
