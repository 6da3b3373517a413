//! The key set manifest, `keyset.json`: the list of keys and their schedule.
//!
//! The manifest is the only source of truth for which keys exist. It stores timestamps, never
//! states, and names each key's PEM file relative to the key directory; a name that could
//! point outside the directory is refused.

use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::KeyError;
use super::rsa_key::MIN_BITS;
use super::storage;

/// File name of the manifest inside the key directory.
pub const MANIFEST_FILE: &str = "keyset.json";

/// Bumped when the manifest changes in a way older servers cannot read.
const FORMAT_VERSION: u32 = 1;

const ALG: &str = "RS256";

/// The whole manifest as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    pub version: u32,
    pub keys: Vec<KeyRecord>,
}

/// One key as stored in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyRecord {
    pub kid: String,
    pub alg: String,
    pub bits: u32,
    pub file: String,
    pub created_at: DateTime<Utc>,
    /// From this instant on the key signs, unless it is retired.
    pub activates_at: DateTime<Utc>,
    /// From this instant on the key only verifies; equal to its successor's `activates_at`.
    pub retired_at: Option<DateTime<Utc>>,
}

impl Manifest {
    pub fn new(keys: Vec<KeyRecord>) -> Self {
        Self {
            version: FORMAT_VERSION,
            keys,
        }
    }
}

impl KeyRecord {
    /// A record for a new RS256 key stored as `<kid>.pem`.
    pub fn new(kid: &str, bits: u32, now: DateTime<Utc>, activates_at: DateTime<Utc>) -> Self {
        Self {
            kid: kid.to_owned(),
            alg: ALG.to_owned(),
            bits,
            file: format!("{kid}.pem"),
            created_at: now,
            activates_at,
            retired_at: None,
        }
    }
}

/// Path of the manifest in `dir`.
pub(crate) fn manifest_path(dir: &Path) -> PathBuf {
    dir.join(MANIFEST_FILE)
}

/// Reads the raw manifest; `None` when the directory holds no key set.
pub(crate) fn read_bytes(dir: &Path) -> Result<Option<Vec<u8>>, KeyError> {
    let path = manifest_path(dir);
    match fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(KeyError::io(path, err)),
    }
}

/// Parses manifest bytes and checks every record on its own; the schedule is checked elsewhere.
pub(crate) fn parse(dir: &Path, bytes: &[u8]) -> Result<Manifest, KeyError> {
    let path = manifest_path(dir);
    let manifest: Manifest =
        serde_json::from_slice(bytes).map_err(|err| KeyError::manifest(&path, err.to_string()))?;
    if manifest.version != FORMAT_VERSION {
        let reason = format!("format version {} is not supported", manifest.version);
        return Err(KeyError::manifest(&path, reason));
    }

    let mut seen = HashSet::new();
    for record in &manifest.keys {
        check_record(record).map_err(|reason| KeyError::manifest(&path, reason))?;
        if !seen.insert(record.kid.as_str()) {
            return Err(KeyError::manifest(
                &path,
                format!("key {} appears twice", record.kid),
            ));
        }
    }

    Ok(manifest)
}

/// Writes the manifest atomically; callers write key files first.
pub(crate) fn write(dir: &Path, manifest: &Manifest) -> Result<(), KeyError> {
    let mut json = serde_json::to_vec_pretty(manifest)
        .map_err(|err| KeyError::manifest(manifest_path(dir), err.to_string()))?;
    json.push(b'\n');

    storage::write_atomic(dir, MANIFEST_FILE, &json)
}

/// Checks a key id: 1 to 64 characters from `[A-Za-z0-9._-]`, safe in file names and headers.
pub fn validate_kid(kid: &str) -> Result<(), KeyError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let dots_only = kid.chars().all(|c| c == '.');
    if kid.is_empty() || kid.len() > 64 || dots_only || !kid.chars().all(allowed) {
        return Err(KeyError::InvalidKid {
            kid: kid.to_owned(),
        });
    }

    Ok(())
}

fn check_record(record: &KeyRecord) -> Result<(), String> {
    let kid = &record.kid;
    validate_kid(kid).map_err(|err| err.to_string())?;
    if record.alg != ALG {
        return Err(format!(
            "key {kid}: algorithm {} is not supported",
            record.alg
        ));
    }
    if record.bits < MIN_BITS {
        return Err(format!("key {kid}: {} bits is too small", record.bits));
    }
    if !is_plain_file_name(&record.file) {
        return Err(format!(
            "key {kid}: file {:?} is not a plain file name",
            record.file
        ));
    }
    if record
        .retired_at
        .is_some_and(|retired| retired < record.activates_at)
    {
        return Err(format!("key {kid}: retired before it activates"));
    }

    Ok(())
}

/// Whether `name` stays inside the key directory: one component, not `.`/`..`, no separator.
fn is_plain_file_name(name: &str) -> bool {
    let mut components = Path::new(name).components();
    let single = matches!(components.next(), Some(std::path::Component::Normal(_)));

    single && components.next().is_none() && !name.contains(['/', '\\'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_rules() {
        assert!(validate_kid("papyrus-20250101-ab12").is_ok());
        assert!(validate_kid(&"a".repeat(64)).is_ok());
        assert!(validate_kid(&"a".repeat(65)).is_err());
        assert!(validate_kid("").is_err());
        assert!(validate_kid("..").is_err());
        assert!(validate_kid("a/b").is_err());
        assert!(validate_kid("a b").is_err());
    }

    #[test]
    fn file_names_stay_inside_the_directory() {
        assert!(is_plain_file_name("k1.pem"));
        assert!(!is_plain_file_name("../k1.pem"));
        assert!(!is_plain_file_name("/etc/shadow"));
        assert!(!is_plain_file_name("sub/k1.pem"));
        assert!(!is_plain_file_name(".."));
    }

    #[test]
    fn rejects_duplicates_and_unknown_versions() {
        let now = Utc::now();
        let record = KeyRecord::new("k1", 2048, now, now);
        let twice = Manifest::new(vec![record.clone(), record]);
        let bytes = serde_json::to_vec(&twice).unwrap();
        assert!(parse(Path::new("/x"), &bytes).is_err());

        let future = br#"{"version": 2, "keys": []}"#;
        assert!(parse(Path::new("/x"), future).is_err());
    }
}
