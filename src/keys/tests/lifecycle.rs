//! Generating, rotating and pruning a key set on disk.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use chrono::{Duration, Utc};

use super::super::{KeyError, KeySet, KeyState, MANIFEST_FILE, ensure_dev_keyset, generate};
use super::super::{list, prune, rotate};
use super::{key_dir, verify};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn generate_writes_one_current_key_with_private_modes() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();

    let key = generate(&dir, Some("k1".into()), 2048, false, now).unwrap();

    assert_eq!(key.kid, "k1");
    assert_eq!(key.state, KeyState::Current);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("k1.pem")), 0o600);
    assert_eq!(mode(&dir.join(MANIFEST_FILE)), 0o600);
    assert_eq!(list(&dir, now).unwrap(), vec![key]);
}

#[test]
fn generate_refuses_an_existing_set_unless_forced() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();
    generate(&dir, Some("old".into()), 2048, false, now).unwrap();

    let refused = generate(&dir, Some("new".into()), 2048, false, now).unwrap_err();
    let message = refused.to_string();
    assert!(matches!(refused, KeyError::SetExists { .. }));
    assert!(message.contains(&dir.display().to_string()) && message.contains("--force"));

    generate(&dir, Some("new".into()), 2048, true, now).unwrap();
    let kids: Vec<String> = list(&dir, now)
        .unwrap()
        .into_iter()
        .map(|key| key.kid)
        .collect();
    assert_eq!(kids, ["new"]);
    assert!(
        !dir.join("old.pem").exists(),
        "the replaced private key is deleted"
    );
}

#[test]
fn generate_checks_its_input_before_writing() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();

    let bad_kid = generate(&dir, Some("../evil".into()), 2048, false, now);
    let bad_bits = generate(&dir, None, 1024, false, now);

    assert!(matches!(bad_kid, Err(KeyError::InvalidKid { .. })));
    assert!(matches!(
        bad_bits,
        Err(KeyError::UnsupportedBits { bits: 1024 })
    ));
    assert!(!dir.exists());
}

#[test]
fn default_kid_names_the_day() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();

    let key = generate(&dir, None, 2048, false, now).unwrap();

    let prefix = format!("papyrus-{}-", now.format("%Y%m%d"));
    assert!(key.kid.starts_with(&prefix), "{}", key.kid);
    assert_eq!(key.kid.len(), prefix.len() + 8);
}

#[test]
fn rotation_publishes_at_once_and_signs_from_activation() {
    let (_parent, dir) = key_dir();
    let t0 = Utc::now();
    let activation = t0 + Duration::minutes(10);
    generate(&dir, Some("old".into()), 2048, false, t0).unwrap();

    let summary = rotate(&dir, activation, 2048, t0).unwrap();
    let set = KeySet::load(&dir, t0).unwrap();

    assert_eq!(summary.retiring_kid, "old");
    let jwks = set.jwks(t0);
    assert_eq!(kids_of(&jwks), ["old", summary.new_kid.as_str()]);
    assert_eq!(
        set.current_kid(activation - Duration::seconds(1)).unwrap(),
        "old"
    );
    assert_eq!(set.current_kid(activation).unwrap(), summary.new_kid);

    for (now, signer) in [(t0, "old"), (activation, summary.new_kid.as_str())] {
        let token = set
            .sign_powersync("u1", "ps", Duration::minutes(5), now)
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(signer));
        verify(&set.jwks(now), &token, "ps").unwrap();
    }
}

#[test]
fn rotation_refuses_a_second_pending_key_and_the_past() {
    let (_parent, dir) = key_dir();
    let t0 = Utc::now();
    generate(&dir, Some("old".into()), 2048, false, t0).unwrap();
    let first = rotate(&dir, t0 + Duration::minutes(10), 2048, t0).unwrap();

    let second = rotate(&dir, t0 + Duration::minutes(20), 2048, t0).unwrap_err();
    assert!(second.to_string().contains(&first.new_kid), "{second}");

    let past = rotate(&dir, t0 - Duration::minutes(1), 2048, t0);
    assert!(matches!(past, Err(KeyError::ActivationInPast { .. })));
    assert_eq!(list(&dir, t0).unwrap().len(), 2);
}

#[test]
fn previous_key_stays_published_until_pruned() {
    let (_parent, dir) = key_dir();
    let t0 = Utc::now();
    let lifetime = Duration::hours(1);
    let margin = Duration::minutes(5);
    generate(&dir, Some("old".into()), 2048, false, t0).unwrap();
    let new_kid = rotate(&dir, t0, 2048, t0).unwrap().new_kid;

    let soon = t0 + Duration::minutes(30);
    assert_eq!(
        prune(&dir, lifetime, margin, soon).unwrap(),
        Vec::<String>::new()
    );
    let set = KeySet::load(&dir, soon).unwrap();
    assert_eq!(kids_of(&set.jwks(soon)), [new_kid.as_str(), "old"]);
    assert_eq!(set.list(soon)[1].state, KeyState::Previous);

    let later = t0 + Duration::hours(2);
    assert_eq!(prune(&dir, lifetime, margin, later).unwrap(), ["old"]);
    assert!(!dir.join("old.pem").exists());
    let set = KeySet::load(&dir, later).unwrap();
    assert_eq!(kids_of(&set.jwks(later)), [new_kid.as_str()]);
}

#[test]
fn prune_never_removes_current_or_next_keys() {
    let (_parent, dir) = key_dir();
    let t0 = Utc::now();
    generate(&dir, Some("current".into()), 2048, false, t0).unwrap();
    rotate(&dir, t0 + Duration::minutes(10), 2048, t0).unwrap();

    let removed = prune(&dir, Duration::zero(), Duration::zero(), t0).unwrap();

    assert!(removed.is_empty());
    assert_eq!(list(&dir, t0).unwrap().len(), 2);
    let negative = prune(&dir, Duration::minutes(-5), Duration::zero(), t0);
    assert!(matches!(negative, Err(KeyError::NegativePruneWindow)));
}

#[test]
fn dev_keyset_is_generated_once() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();

    assert!(ensure_dev_keyset(&dir, now).unwrap());
    let first = list(&dir, now).unwrap();
    assert!(!ensure_dev_keyset(&dir, now).unwrap());

    assert_eq!(list(&dir, now).unwrap(), first);
    assert_eq!(first[0].bits, 2048);
}

#[test]
fn list_serializes_states_for_json_output() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();
    generate(&dir, Some("k1".into()), 2048, false, now).unwrap();

    let json = serde_json::to_value(list(&dir, now).unwrap()).unwrap();

    assert_eq!(json[0]["state"], "current");
    assert_eq!(json[0]["alg"], "RS256");
    assert!(json[0]["retired_at"].is_null());
    assert_eq!(json[0]["thumbprint"].as_str().unwrap().len(), 43);
}

fn kids_of(jwks: &serde_json::Value) -> Vec<&str> {
    let keys = jwks["keys"].as_array().unwrap();

    keys.iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect()
}

#[test]
fn concurrent_rotations_apply_one_after_the_other() {
    let (_parent, dir) = key_dir();
    let now = Utc::now();
    generate(&dir, Some("first".into()), 2048, false, now).unwrap();

    let later = now + Duration::minutes(10);
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| rotate(&dir, later, 2048, now)))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });

    let succeeded = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(
        succeeded, 1,
        "only one next key may be scheduled: {outcomes:?}"
    );
    let keys = list(&dir, now).unwrap();
    assert_eq!(keys.len(), 2, "no rotation overwrote another's manifest");
}
