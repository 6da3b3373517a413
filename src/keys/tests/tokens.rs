//! PowerSync tokens and the JWKS, checked the way the PowerSync service verifies them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::super::{KeyError, KeySet, generate, rotate};
use super::{key_dir, test_key, verify};

const AUDIENCE: &str = "https://powersync.example";

/// A loaded set with one key, kept alive with its directory.
fn loaded_set(kid: &str) -> (tempfile::TempDir, KeySet, DateTime<Utc>) {
    let (parent, dir) = key_dir();
    let now = Utc::now();
    generate(&dir, Some(kid.into()), 2048, false, now).unwrap();

    (parent, KeySet::load(&dir, now).unwrap(), now)
}

fn claims_at(now: DateTime<Utc>) -> Value {
    json!({
        "sub": "u1", "aud": AUDIENCE, "type": "powersync",
        "iat": now.timestamp(), "exp": (now + Duration::minutes(5)).timestamp(),
    })
}

#[test]
fn token_verifies_with_the_jwks_entry_named_by_kid() {
    let (_dir, set, now) = loaded_set("k1");

    let token = set
        .sign_powersync("u1", AUDIENCE, Duration::minutes(5), now)
        .unwrap();
    let claims = verify(&set.jwks(now), &token, AUDIENCE).unwrap();

    assert_eq!(claims["sub"], "u1");
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["type"], "powersync");
    assert_eq!(claims["iat"], now.timestamp());
    assert_eq!(claims["exp"], now.timestamp() + 300);
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(
        (header.alg, header.kid.as_deref()),
        (Algorithm::RS256, Some("k1"))
    );
}

#[test]
fn wrong_audience_is_rejected() {
    let (_dir, set, now) = loaded_set("k1");

    let token = set
        .sign_powersync("u1", AUDIENCE, Duration::minutes(5), now)
        .unwrap();

    assert!(verify(&set.jwks(now), &token, "someone-else").is_err());
}

#[test]
fn unsigned_alg_none_token_is_rejected() {
    let (_dir, set, now) = loaded_set("k1");
    let header = json!({ "alg": "none", "typ": "JWT", "kid": "k1" });
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());

    let token = format!("{}.{}.", encode(&header), encode(&claims_at(now)));

    assert!(verify(&set.jwks(now), &token, AUDIENCE).is_err());
}

#[test]
fn hs256_token_keyed_with_the_public_key_is_rejected() {
    let now = Utc::now();
    let key = test_key();
    let lookup = |name: &str| (name == "POWERSYNC_JWT_PRIVATE_KEY").then(|| key.pkcs8_pem.clone());
    let set = super::super::legacy_key_set(lookup).unwrap().unwrap();
    let kid = set.current_kid(now).unwrap().to_owned();

    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid);
    let secret = EncodingKey::from_secret(key.spki_pem.as_bytes()).unwrap();
    let token = jsonwebtoken::encode(&header, &claims_at(now), &secret).unwrap();

    assert!(verify(&set.jwks(now), &token, AUDIENCE).is_err());
}

#[test]
fn token_from_an_unknown_key_is_rejected() {
    let (_dir, set, now) = loaded_set("k1");
    let (_other_dir, other, other_now) = loaded_set("k2");

    let token = other
        .sign_powersync("u1", AUDIENCE, Duration::minutes(5), other_now)
        .unwrap();

    assert_eq!(
        verify(&set.jwks(now), &token, AUDIENCE).unwrap_err(),
        "unknown kid"
    );
}

#[test]
fn jwks_publishes_public_members_only() {
    let (_dir, set, now) = loaded_set("k1");

    let jwks = set.jwks(now);
    let key = jwks["keys"][0].as_object().unwrap();

    let mut members: Vec<&str> = key.keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"]);
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(!key.contains_key(private), "{private} leaked");
    }
    assert_eq!(
        (key["kty"].as_str(), key["use"].as_str()),
        (Some("RSA"), Some("sig"))
    );
    assert_eq!(key["e"], "AQAB");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    assert_eq!(
        (n.len(), n[0] >= 0x80),
        (256, true),
        "2048 bits, no leading zero byte"
    );
}

#[test]
fn jwks_lists_current_then_next_then_previous() {
    let (_parent, dir) = key_dir();
    let t0 = Utc::now();
    generate(&dir, Some("a".into()), 2048, false, t0).unwrap();
    let b = rotate(&dir, t0, 2048, t0).unwrap().new_kid;
    let c = rotate(&dir, t0 + Duration::minutes(10), 2048, t0)
        .unwrap()
        .new_kid;

    let jwks = KeySet::load(&dir, t0).unwrap().jwks(t0);

    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [b.as_str(), c.as_str(), "a"]);
}

#[test]
fn non_positive_ttl_is_refused() {
    let (_dir, set, now) = loaded_set("k1");

    let signed = set.sign_powersync("u1", AUDIENCE, Duration::zero(), now);

    assert!(matches!(signed, Err(KeyError::InvalidTtl)));
}
