//! PowerSync credentials, verified the way the PowerSync service verifies them.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Db, SECRET, TestApp, expect_error, expect_status};

const AUDIENCE: &str = "papyrus-powersync";

both!(
    powersync_tokens_verify_like_the_service,
    forged_tokens_are_rejected_by_that_verification,
    signing_not_configured_answers_400,
);

/// The PowerSync service's checks: kid picks the JWK, the algorithm must match it,
/// then signature, audience, expiry, lifetime at most a day; `sub` is the user.
pub fn verify(jwks: &Value, token: &str, audience: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("header: {e}"))?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid.as_str()))
        .ok_or(format!("unknown kid {kid}"))?;
    if header.alg != Algorithm::RS256 || jwk["alg"] != "RS256" || jwk["use"] != "sig" {
        return Err(format!("algorithm {:?} does not match the key", header.alg));
    }

    let jwk: Jwk = serde_json::from_value(jwk.clone()).map_err(|e| e.to_string())?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["sub", "iat", "exp", "aud"]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map_err(|e| format!("rejected: {e}"))?
        .claims;
    let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    if !(1..=86_400).contains(&lifetime) {
        return Err(format!("lifetime {lifetime}s"));
    }
    Ok(claims)
}

async fn jwks(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/v1/auth/jwks"))
        .send()
        .await
        .unwrap();
    expect_status(response, StatusCode::OK).await
}

async fn powersync_token(app: &TestApp, access: &str) -> String {
    let response = app
        .post_auth("/v1/auth/powersync-token", access, None)
        .await;
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(body["expires_in"], 300);
    body["token"].as_str().unwrap().to_owned()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn powersync_tokens_verify_like_the_service(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.register("sync@example.com").await;
    let access = user["access_token"].as_str().unwrap();
    let token = powersync_token(&app, access).await;

    let response = app
        .client
        .get(app.url("/v1/auth/jwks"))
        .send()
        .await
        .unwrap();
    let cache = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cache.contains("max-age=60"), "{cache}");
    let keys = expect_status(response, StatusCode::OK).await;
    let claims = verify(&keys, &token, AUDIENCE).unwrap();
    assert_eq!(claims["sub"], user["user"]["user_id"]);
    assert_eq!(claims["type"], "powersync");
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    assert_eq!(kid_of(&token), "test-key-1");

    for key in keys["keys"].as_array().unwrap() {
        assert_eq!(key["kty"], "RSA");
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "JWKS leaks {private}");
        }
    }
    let anonymous = app
        .client
        .post(app.url("/v1/auth/powersync-token"))
        .send()
        .await
        .unwrap();
    expect_error(anonymous, StatusCode::UNAUTHORIZED, "INVALID_TOKEN").await;
}

async fn forged_tokens_are_rejected_by_that_verification(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.register("forge@example.com").await;
    let access = user["access_token"].as_str().unwrap();
    let genuine = powersync_token(&app, access).await;
    let keys = jwks(&app).await;
    let claims = verify(&keys, &genuine, AUDIENCE).unwrap();

    let encode = |part: &Value| URL_SAFE_NO_PAD.encode(part.to_string());
    let none = format!(
        "{}.{}.",
        encode(&json!({"alg": "none", "typ": "JWT", "kid": "test-key-1"})),
        encode(&claims)
    );
    assert!(verify(&keys, &none, AUDIENCE).is_err(), "alg none accepted");

    let public_key = public_key_der(&app.keys_dir);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("test-key-1".into());
    let hmac_key = EncodingKey::from_secret(&public_key).unwrap();
    let confused = jsonwebtoken::encode(&header, &claims, &hmac_key).unwrap();
    assert!(
        verify(&keys, &confused, AUDIENCE).is_err(),
        "HS256 with public key accepted"
    );

    assert!(
        verify(&keys, &genuine, "another-audience").is_err(),
        "wrong aud accepted"
    );
    let mut unknown = json!({"keys": keys["keys"].clone()});
    unknown["keys"][0]["kid"] = json!("someone-else");
    assert!(
        verify(&unknown, &genuine, AUDIENCE)
            .unwrap_err()
            .contains("unknown kid")
    );
}

/// The public half of the test key, as the bytes an attacker would use as an HMAC key.
fn public_key_der(keys_dir: &Path) -> Vec<u8> {
    use aws_lc_rs::signature::KeyPair;
    let pem = std::fs::read_to_string(keys_dir.join("test-key-1.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    pair.public_key().as_ref().to_vec()
}

async fn signing_not_configured_answers_400(db: Db) {
    let app = TestApp::spawn_without_keys(db).await;
    let user = app.register("nokeys@example.com").await;
    let access = user["access_token"].as_str().unwrap();

    let token = app
        .post_auth("/v1/auth/powersync-token", access, None)
        .await;
    let error = expect_error(token, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
    assert_eq!(error["message"], "PowerSync signing is not configured");
    let keys = app
        .client
        .get(app.url("/v1/auth/jwks"))
        .send()
        .await
        .unwrap();
    expect_error(keys, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
}

fn papyrus(args: &[&str], keys_dir: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_papyrus"))
        .args(args)
        .args(["--json", "--keys-dir", keys_dir.to_str().unwrap()])
        .env_clear()
        .env("SECRET_KEY", SECRET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "papyrus {args:?} failed: {stderr}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Polls until `check` holds, failing after `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Rotates with an activation an hour away and waits until the running server
/// publishes the next key.
async fn schedule_next_key(app: &TestApp) {
    papyrus(
        &["keys", "rotate", "--activate-in", "1h", "--yes"],
        &app.keys_dir,
    );
    eventually(
        Duration::from_secs(5),
        "the server to publish the next key",
        || async { key_count(&jwks(app).await) == 2 },
    )
    .await;
}

fn key_count(jwks: &Value) -> usize {
    jwks["keys"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_follows_rotation_and_prune() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let user = app.register("rotation@example.com").await;
    let access = user["access_token"].as_str().unwrap().to_owned();
    let old_token = powersync_token(&app, &access).await;

    let rotated_at = Instant::now();
    let summary = papyrus(
        &["keys", "rotate", "--activate-in", "4s", "--yes"],
        &app.keys_dir,
    );
    let new_kid = summary["new_kid"].as_str().unwrap().to_owned();
    eventually(
        Duration::from_secs(3),
        "the next key in the JWKS",
        || async { key_count(&jwks(&app).await) == 2 },
    )
    .await;
    let before_activation = powersync_token(&app, &access).await;
    if rotated_at.elapsed() < Duration::from_secs(3) {
        assert_eq!(
            kid_of(&before_activation),
            "test-key-1",
            "next key signed early"
        );
    }

    eventually(Duration::from_secs(15), "the new key to sign", || async {
        kid_of(&powersync_token(&app, &access).await) == new_kid
    })
    .await;
    let keys = jwks(&app).await;
    verify(&keys, &old_token, AUDIENCE).expect("old tokens verify until pruned");
    let new_token = powersync_token(&app, &access).await;
    verify(&keys, &new_token, AUDIENCE).unwrap();

    let pruned = papyrus(&["keys", "prune", "--keep", "0s"], &app.keys_dir);
    assert_eq!(pruned["removed"], json!(["test-key-1"]));
    eventually(
        Duration::from_secs(5),
        "the pruned key to leave the JWKS",
        || async { key_count(&jwks(&app).await) == 1 },
    )
    .await;
    let keys = jwks(&app).await;
    assert!(
        verify(&keys, &old_token, AUDIENCE)
            .unwrap_err()
            .contains("unknown kid")
    );
    verify(&keys, &new_token, AUDIENCE).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_key_set_keeps_the_last_good_one() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let user = app.register("broken@example.com").await;
    let access = user["access_token"].as_str().unwrap().to_owned();
    let manifest = app.keys_dir.join("keyset.json");
    let good = std::fs::read(&manifest).unwrap();

    std::fs::write(&manifest, b"{ half-written").unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(1) {
        let keys = jwks(&app).await;
        assert_eq!(keys["keys"][0]["kid"], "test-key-1");
        let token = powersync_token(&app, &access).await;
        verify(&keys, &token, AUDIENCE).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    std::fs::write(&manifest, good).unwrap();
    schedule_next_key(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_mint_prints_tokens_the_server_accepts() {
    let app = TestApp::spawn(Db::Sqlite).await;
    app.register("mint@example.com").await;
    let database = ["--database-url", app.db.url.as_str()];

    let args = [
        &["token", "mint", "--user", "MINT@example.com"][..],
        &database,
    ]
    .concat();
    let minted = papyrus(&args, &app.keys_dir);
    assert_eq!(minted["expires_in"], 300);
    let claims = verify(
        &jwks(&app).await,
        minted["token"].as_str().unwrap(),
        AUDIENCE,
    )
    .unwrap();
    assert_eq!(claims["sub"], minted["user_id"]);

    let args = [
        &[
            "token",
            "mint",
            "--kind",
            "access",
            "--ttl",
            "2m",
            "--user",
            "mint@example.com",
        ][..],
        &database,
    ]
    .concat();
    let minted = papyrus(&args, &app.keys_dir);
    assert_eq!(minted["expires_in"], 120);
    let me = app
        .get_auth("/v1/users/me", minted["token"].as_str().unwrap())
        .await;
    assert_eq!(
        expect_status(me, StatusCode::OK).await["email"],
        "mint@example.com"
    );

    let output = Command::new(env!("CARGO_BIN_EXE_papyrus"))
        .args([
            "token",
            "mint",
            "--user",
            "nobody@example.com",
            "--database-url",
            &app.db.url,
        ])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no user nobody@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_jwks_and_list_show_what_the_server_serves() {
    let app = TestApp::spawn(Db::Sqlite).await;
    schedule_next_key(&app).await;

    let out = app.keys_dir.join("static-jwks.json");
    let status = Command::new(env!("CARGO_BIN_EXE_papyrus"))
        .args(["keys", "jwks", "--keys-dir", app.keys_dir.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .env_clear()
        .status()
        .unwrap();
    assert!(status.success());
    let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(written, jwks(&app).await);

    let listed = papyrus(&["keys", "list"], &app.keys_dir);
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["current", "next"]);
    for key in listed.as_array().unwrap() {
        assert_eq!(key["thumbprint"].as_str().unwrap().len(), 43);
        assert_eq!(key["bits"], 2048);
    }
}
