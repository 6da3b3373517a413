//! The bearer check on every authenticated route, and logout.

use chrono::Utc;
use jsonwebtoken::{EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::{Db, SECRET, TestApp, expect_error, expect_status};

both!(
    bearer_failures_have_their_codes,
    disabled_user_is_refused_at_once,
    logout_without_body_revokes_this_session_only,
    logout_all_devices_revokes_every_session,
);

fn sign(claims: serde_json::Value, secret: &str) -> String {
    let key = EncodingKey::from_secret(secret.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::default(), &claims, &key).unwrap()
}

async fn bearer_failures_have_their_codes(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = app.register("bearer@example.com").await;
    let user_id = body["user"]["user_id"].as_str().unwrap();
    let now = Utc::now().timestamp();

    let missing = app
        .client
        .get(app.url("/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    expect_error(missing, StatusCode::UNAUTHORIZED, "INVALID_TOKEN").await;
    let basic = app
        .client
        .get(app.url("/v1/users/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    expect_error(basic, StatusCode::UNAUTHORIZED, "INVALID_TOKEN").await;

    let iat = now - 120;
    let claims = |sid: serde_json::Value, exp: i64, kind: &str| {
        let mut claims = json!({"sub": user_id, "sid": sid, "iat": iat});
        claims["exp"] = json!(exp);
        claims["type"] = json!(kind);
        claims
    };
    let other_secret = "some-other-secret-some-other-secret";
    let unknown_session = json!(uuid::Uuid::new_v4());
    let cases = [
        ("garbage".to_owned(), "INVALID_TOKEN"),
        (
            sign(claims(json!("x"), now + 60, "access"), other_secret),
            "INVALID_TOKEN",
        ),
        (
            sign(claims(json!("x"), now - 60, "access"), SECRET),
            "INVALID_TOKEN",
        ),
        (
            sign(claims(json!("x"), now + 60, "refresh"), SECRET),
            "INVALID_TOKEN_TYPE",
        ),
        (
            sign(claims(unknown_session, now + 60, "access"), SECRET),
            "INVALID_SESSION",
        ),
    ];
    for (token, code) in cases {
        let response = app.get_auth("/v1/users/me", &token).await;
        expect_error(response, StatusCode::UNAUTHORIZED, code).await;
    }
}

async fn disabled_user_is_refused_at_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = app.register("disabled@example.com").await;
    let token = body["access_token"].as_str().unwrap();
    expect_status(app.get_auth("/v1/users/me", token).await, StatusCode::OK).await;

    app.db
        .exec("UPDATE users SET disabled_at = created_at")
        .await;
    let response = app.get_auth("/v1/users/me", token).await;
    expect_error(response, StatusCode::FORBIDDEN, "ACCOUNT_DISABLED").await;
}

async fn logout_without_body_revokes_this_session_only(db: Db) {
    let app = TestApp::spawn(db).await;
    let phone = app.register("logout@example.com").await;
    let laptop = expect_status(
        app.login("logout@example.com", crate::helpers::PASSWORD)
            .await,
        StatusCode::OK,
    )
    .await;
    let phone_access = phone["access_token"].as_str().unwrap();

    let response = app.post_auth("/v1/auth/logout", phone_access, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let me = app.get_auth("/v1/users/me", phone_access).await;
    expect_error(me, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    let refresh = app.refresh(phone["refresh_token"].as_str().unwrap()).await;
    expect_error(refresh, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    let laptop_access = laptop["access_token"].as_str().unwrap();
    expect_status(
        app.get_auth("/v1/users/me", laptop_access).await,
        StatusCode::OK,
    )
    .await;
}

async fn logout_all_devices_revokes_every_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.register("everywhere@example.com").await;
    let login = app
        .login("everywhere@example.com", crate::helpers::PASSWORD)
        .await;
    let b = expect_status(login, StatusCode::OK).await;
    let a_access = a["access_token"].as_str().unwrap();
    let b_access = b["access_token"].as_str().unwrap();

    let bad = app
        .post_auth(
            "/v1/auth/logout",
            a_access,
            Some(json!({"all_devices": "yes"})),
        )
        .await;
    expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    let response = app
        .post_auth(
            "/v1/auth/logout",
            a_access,
            Some(json!({"all_devices": true})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for token in [a_access, b_access] {
        let me = app.get_auth("/v1/users/me", token).await;
        expect_error(me, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    }

    let c = expect_status(
        app.login("everywhere@example.com", crate::helpers::PASSWORD)
            .await,
        StatusCode::OK,
    )
    .await;
    let d = expect_status(
        app.login("everywhere@example.com", crate::helpers::PASSWORD)
            .await,
        StatusCode::OK,
    )
    .await;
    let c_access = c["access_token"].as_str().unwrap();
    let response = app.post_auth("/v1/auth/logout-all", c_access, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let me = app
        .get_auth("/v1/users/me", d["access_token"].as_str().unwrap())
        .await;
    expect_error(me, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
}

#[tokio::test]
async fn ended_sessions_are_purged_after_the_retention() {
    for db in [Db::Sqlite, Db::Postgres] {
        if db == Db::Postgres && !crate::helpers::postgres_available().await {
            continue;
        }
        purge_story(db).await;
    }
}

async fn purge_story(db: Db) {
    let app = TestApp::spawn(db).await;
    let old = app.register("purge@example.com").await;
    let live = app
        .login("purge@example.com", crate::helpers::PASSWORD)
        .await;
    let live = expect_status(live, StatusCode::OK).await;
    let refreshed = app.refresh(live["refresh_token"].as_str().unwrap()).await;
    let refreshed = expect_status(refreshed, StatusCode::OK).await;
    let old_access = old["access_token"].as_str().unwrap();
    app.post_auth("/v1/auth/logout", old_access, None).await;
    app.db
        .exec(
            "UPDATE auth_sessions SET revoked_at = '2001-01-01T00:00:00.000000Z' \
             WHERE revoked_at IS NOT NULL",
        )
        .await;

    let store = papyrus::store::connect(&app.db.url).await.unwrap();
    let config = crate::helpers::test_config();
    let auth = papyrus::auth::Auth::new(store, config.auth).unwrap();
    assert_eq!(auth.purge_stale_sessions().await.unwrap(), 1);
    let left = app
        .db
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM auth_sessions")
        .await;
    assert_eq!(left.as_deref(), Some("1"));
    let me = app
        .get_auth("/v1/users/me", refreshed["access_token"].as_str().unwrap())
        .await;
    expect_status(me, StatusCode::OK).await;
    assert_eq!(auth.purge_stale_sessions().await.unwrap(), 0);
}
