//! Live reload: a bad directory never replaces a good snapshot.

use std::fs;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};

use super::super::{KeyStore, MANIFEST_FILE, generate, legacy_key_set, rotate};
use super::{key_dir, test_key};

#[test]
fn corrupt_manifest_keeps_the_last_good_set() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();
    generate(&dir, Some("good".into()), 2048, false, now).unwrap();
    let store = KeyStore::open(&dir, now).unwrap();

    fs::write(dir.join(MANIFEST_FILE), b"{\"version\": 1, \"keys\": [").unwrap();

    assert!(!store.reload_at(now));
    assert_eq!(store.snapshot().current_kid(now).unwrap(), "good");
}

#[test]
fn half_written_set_keeps_the_last_good_set() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();
    generate(&dir, Some("good".into()), 2048, false, now).unwrap();
    let store = KeyStore::open(&dir, now).unwrap();
    let pem = fs::read_to_string(dir.join("good.pem")).unwrap();

    fs::write(dir.join("good.pem"), &pem[..pem.len() / 2]).unwrap();
    assert!(!store.reload_at(now), "truncated key file");

    fs::write(dir.join("good.pem"), &pem).unwrap();
    let manifest = fs::read_to_string(dir.join(MANIFEST_FILE)).unwrap();
    fs::write(
        dir.join(MANIFEST_FILE),
        manifest.replace("good.pem", "missing.pem"),
    )
    .unwrap();
    assert!(!store.reload_at(now), "manifest naming a missing file");

    assert_eq!(store.snapshot().current_kid(now).unwrap(), "good");
    assert_eq!(store.snapshot().list(now).len(), 1);
}

#[test]
fn reload_installs_a_rotated_set() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();
    generate(&dir, Some("old".into()), 2048, false, now).unwrap();
    let store = KeyStore::open(&dir, now).unwrap();
    let before = store.snapshot();

    let new_kid = rotate(&dir, now, 2048, now).unwrap().new_kid;

    assert!(store.reload_at(now));
    assert_eq!(store.snapshot().current_kid(now).unwrap(), new_kid);
    assert_eq!(
        before.current_kid(now).unwrap(),
        "old",
        "old snapshots are untouched"
    );
}

#[test]
fn fixed_store_never_reloads() {
    let key = test_key();
    let lookup = |name: &str| (name == "POWERSYNC_JWT_PRIVATE_KEY").then(|| key.pkcs8_pem.clone());
    let store = KeyStore::fixed(legacy_key_set(lookup).unwrap().unwrap());

    assert!(!store.reload());
    assert!(store.dir().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_reloads_after_a_change() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();
    generate(&dir, Some("old".into()), 2048, false, now).unwrap();
    let store = KeyStore::open(&dir, now).unwrap();
    let _watch = store.watch().unwrap().unwrap();

    rotate(&dir, now + Duration::minutes(10), 2048, now).unwrap();

    let deadline = Instant::now() + StdDuration::from_secs(10);
    while store.snapshot().list(now).len() < 2 {
        assert!(Instant::now() < deadline, "the watcher did not reload");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    assert_eq!(store.snapshot().current_kid(now).unwrap(), "old");
}
