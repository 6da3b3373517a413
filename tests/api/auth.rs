//! Register and login.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::{Db, PASSWORD, TestApp, expect_error, expect_status};

both!(
    register_returns_tokens_and_profile,
    register_refuses_taken_email,
    register_names_every_invalid_field,
    login_returns_tokens_and_records_login,
    login_failures_look_alike,
    login_to_disabled_account_is_forbidden,
    bcrypt_hash_is_upgraded_on_login,
    rate_limit_answers_429_with_retry_after,
    trusted_proxy_forwarded_for_names_the_client,
);

async fn register_returns_tokens_and_profile(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = app.register("  Reader@Example.COM ").await;

    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);
    let user = &body["user"];
    assert_eq!(user["email"], "reader@example.com");
    assert_eq!(user["display_name"], "Reader");
    assert_eq!(user["email_verified"], false);
    assert!(user["avatar_url"].is_null());
    assert!(user["last_login_at"].is_null());
    assert!(uuid::Uuid::parse_str(user["user_id"].as_str().unwrap()).is_ok());

    let token = body["access_token"].as_str().unwrap();
    let me = expect_status(app.get_auth("/v1/users/me", token).await, StatusCode::OK).await;
    assert_eq!(&me, user);

    let digest = app
        .db
        .scalar("SELECT refresh_token_hash FROM auth_sessions")
        .await
        .unwrap();
    assert_eq!(digest.len(), 64, "only the digest is stored");
    assert_ne!(digest, body["refresh_token"].as_str().unwrap());
    let client = app
        .db
        .scalar("SELECT client_type FROM auth_sessions")
        .await
        .unwrap();
    assert_eq!(client, "mobile");
}

async fn register_refuses_taken_email(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("taken@example.com").await;

    let again = app
        .post(
            "/v1/auth/register",
            json!({"email": "TAKEN@example.com", "password": PASSWORD, "display_name": "X"}),
        )
        .await;
    expect_error(again, StatusCode::CONFLICT, "CONFLICT").await;
    let users = app
        .db
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users")
        .await
        .unwrap();
    assert_eq!(users, "1");
}

async fn register_names_every_invalid_field(db: Db) {
    let app = TestApp::spawn(db).await;
    let response = app
        .post(
            "/v1/auth/register",
            json!({
                "email": "not-an-email", "password": "short", "display_name": "x".repeat(101),
                "client_type": "tablet", "device_label": "d".repeat(256)
            }),
        )
        .await;
    let error = expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let fields = error["details"]["fields"].as_object().unwrap();
    for name in [
        "email",
        "password",
        "display_name",
        "client_type",
        "device_label",
    ] {
        assert!(fields.contains_key(name), "{name} missing from {fields:?}");
    }

    let missing = app.post("/v1/auth/register", json!({ "email": 5 })).await;
    let error = expect_error(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(error["details"]["fields"]["email"], "must be a string");
    assert_eq!(error["details"]["fields"]["password"], "is required");
    let users = app
        .db
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM users")
        .await
        .unwrap();
    assert_eq!(users, "0");
}

async fn login_returns_tokens_and_records_login(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("login@example.com").await;

    let body = expect_status(
        app.login("LOGIN@example.com ", PASSWORD).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["user"]["email"], "login@example.com");
    assert!(body["user"]["last_login_at"].is_string());
    let token = body["access_token"].as_str().unwrap();
    let me = expect_status(app.get_auth("/v1/users/me", token).await, StatusCode::OK).await;
    assert!(me["last_login_at"].is_string());
    let sessions = app
        .db
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM auth_sessions")
        .await
        .unwrap();
    assert_eq!(sessions, "2", "register and login each open a session");
}

async fn login_failures_look_alike(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("known@example.com").await;

    let wrong = app.login("known@example.com", "wrong password").await;
    let wrong = expect_error(wrong, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let unknown = app.login("nobody@example.com", "wrong password").await;
    let unknown = expect_error(unknown, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["message"], "Invalid email or password");
}

async fn login_to_disabled_account_is_forbidden(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("gone@example.com").await;
    app.db
        .exec("UPDATE users SET disabled_at = created_at WHERE primary_email = 'gone@example.com'")
        .await;

    let response = app.login("gone@example.com", PASSWORD).await;
    expect_error(response, StatusCode::FORBIDDEN, "ACCOUNT_DISABLED").await;
    let wrong = app.login("gone@example.com", "not the password").await;
    expect_error(wrong, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

async fn bcrypt_hash_is_upgraded_on_login(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("legacy@example.com").await;
    let legacy = bcrypt::hash("legacy password", 4)
        .unwrap()
        .replacen("$2b$", "$2y$", 1);
    app.db
        .exec(&format!(
            "UPDATE password_credentials SET password_hash = '{legacy}'"
        ))
        .await;

    expect_status(
        app.login("legacy@example.com", "legacy password").await,
        StatusCode::OK,
    )
    .await;
    let hash = app
        .db
        .scalar("SELECT password_hash FROM password_credentials")
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    expect_status(
        app.login("legacy@example.com", "legacy password").await,
        StatusCode::OK,
    )
    .await;
    let wrong = app.login("legacy@example.com", PASSWORD).await;
    expect_error(wrong, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

async fn rate_limit_answers_429_with_retry_after(db: Db) {
    let app = TestApp::spawn_with(db, |config| config.rate_limit_auth = 3).await;
    for _ in 0..3 {
        let response = app.login("nobody@example.com", "whatever1").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    let limited = app.login("nobody@example.com", "whatever1").await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let error = expect_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT_EXCEEDED",
    )
    .await;
    assert_eq!(error["details"]["retry_after"], retry_after);

    let spoofed = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"email": "a@example.com", "password": "whatever1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        spoofed.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "untrusted XFF is ignored"
    );

    let register = app.post("/v1/auth/register", json!({})).await;
    assert_eq!(
        register.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "budgets are per endpoint"
    );
}

async fn trusted_proxy_forwarded_for_names_the_client(db: Db) {
    let app = TestApp::spawn_with(db, |config| {
        config.rate_limit_auth = 1;
        config.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let login_from = |ip: &'static str| {
        app.client
            .post(app.url("/v1/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({"email": "a@example.com", "password": "whatever1"}))
            .send()
    };

    assert_eq!(
        login_from("203.0.113.1").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let second = login_from("203.0.113.1").await.unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let other = login_from("203.0.113.2").await.unwrap();
    assert_eq!(
        other.status(),
        StatusCode::UNAUTHORIZED,
        "another client has its own budget"
    );
}
