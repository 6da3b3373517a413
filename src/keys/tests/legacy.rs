//! The legacy `POWERSYNC_JWT_*` configuration, read through a lookup closure.

use std::collections::HashMap;

use chrono::{Duration, Utc};

use super::super::{DEFAULT_LEGACY_KID, KeyError, KeySet, KeyState, legacy_key_set};
use super::{test_key, verify};

fn from_vars(vars: &[(&str, &str)]) -> Result<Option<KeySet>, KeyError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();

    legacy_key_set(|name| vars.get(name).cloned())
}

fn escaped(pem: &str) -> String {
    pem.replace('\n', "\\n")
}

#[test]
fn nothing_configured_means_no_legacy_set() {
    assert!(from_vars(&[]).unwrap().is_none());
    assert!(
        from_vars(&[("POWERSYNC_JWT_PRIVATE_KEY", "  ")])
            .unwrap()
            .is_none()
    );
}

#[test]
fn inline_pkcs8_with_escaped_newlines_loads_and_signs() {
    let key = test_key();
    let now = Utc::now();

    let set = from_vars(&[("POWERSYNC_JWT_PRIVATE_KEY", &escaped(&key.pkcs8_pem))])
        .unwrap()
        .unwrap();

    assert_eq!(set.current_kid(now).unwrap(), DEFAULT_LEGACY_KID);
    let token = set
        .sign_powersync("u1", "ps", Duration::minutes(5), now)
        .unwrap();
    verify(&set.jwks(now), &token, "ps").unwrap();
}

#[test]
fn pkcs1_keys_load_and_matching_public_keys_are_accepted() {
    let key = test_key();
    let now = Utc::now();

    for public in [&key.pkcs1_public_pem, &key.spki_pem] {
        let set = from_vars(&[
            ("POWERSYNC_JWT_PRIVATE_KEY", &escaped(&key.pkcs1_pem)),
            ("POWERSYNC_JWT_PUBLIC_KEY", public),
            ("POWERSYNC_JWT_KEY_ID", "legacy-1"),
        ]);

        assert_eq!(set.unwrap().unwrap().current_kid(now).unwrap(), "legacy-1");
    }
}

#[test]
fn mismatched_public_key_is_rejected() {
    let key = test_key();
    let other = test_key();

    let set = from_vars(&[
        ("POWERSYNC_JWT_PRIVATE_KEY", &key.pkcs8_pem),
        ("POWERSYNC_JWT_PUBLIC_KEY", &other.spki_pem),
    ]);

    let err = set.unwrap_err();
    assert!(matches!(err, KeyError::LegacyConfig(_)), "{err}");
}

#[test]
fn previous_public_key_is_published_but_never_signs() {
    let key = test_key();
    let old = test_key();
    let now = Utc::now();

    let set = from_vars(&[
        ("POWERSYNC_JWT_PRIVATE_KEY", &key.pkcs8_pem),
        (
            "POWERSYNC_JWT_PREVIOUS_PUBLIC_KEY",
            &escaped(&old.pkcs1_public_pem),
        ),
        ("POWERSYNC_JWT_PREVIOUS_KEY_ID", "legacy-0"),
    ])
    .unwrap()
    .unwrap();

    let listed = set.list(now);
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[1].kid.as_str(), listed[1].state),
        ("legacy-0", KeyState::Previous)
    );
    assert_eq!(set.jwks(now)["keys"][1]["kid"], "legacy-0");
    assert_eq!(set.current_kid(now).unwrap(), DEFAULT_LEGACY_KID);
}

#[test]
fn key_files_are_read_and_ambiguity_is_refused() {
    let key = test_key();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &key.pkcs1_pem).unwrap();
    let path = file.path().to_str().unwrap();

    let from_file = from_vars(&[("POWERSYNC_JWT_PRIVATE_KEY_FILE", path)]);
    assert!(from_file.unwrap().is_some());

    let both = from_vars(&[
        ("POWERSYNC_JWT_PRIVATE_KEY_FILE", path),
        ("POWERSYNC_JWT_PRIVATE_KEY", &key.pkcs8_pem),
    ]);
    assert!(matches!(both, Err(KeyError::LegacyConfig(_))));
}

#[test]
fn incomplete_configuration_is_an_error() {
    let key = test_key();

    let orphan = from_vars(&[("POWERSYNC_JWT_PUBLIC_KEY", &key.spki_pem)]);
    let previous_without_id = from_vars(&[
        ("POWERSYNC_JWT_PRIVATE_KEY", &key.pkcs8_pem),
        ("POWERSYNC_JWT_PREVIOUS_PUBLIC_KEY", &key.spki_pem),
    ]);
    let bad_kid = from_vars(&[
        ("POWERSYNC_JWT_PRIVATE_KEY", &key.pkcs8_pem),
        ("POWERSYNC_JWT_KEY_ID", "has space"),
    ]);

    assert!(matches!(orphan, Err(KeyError::LegacyConfig(_))));
    assert!(matches!(
        previous_without_id,
        Err(KeyError::LegacyConfig(_))
    ));
    assert!(matches!(bad_kid, Err(KeyError::LegacyConfig(_))));
}
