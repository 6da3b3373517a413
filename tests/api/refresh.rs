//! Refresh-token rotation, its grace window and replay detection.

use std::collections::HashSet;

use reqwest::StatusCode;

use crate::both;
use crate::helpers::{Db, TestApp, expect_error, expect_status};

both!(
    refresh_rotates_the_token,
    concurrent_refreshes_share_one_successor,
    replay_after_grace_revokes_the_session,
    unknown_and_expired_refresh_tokens_are_refused,
    refresh_of_disabled_account_is_forbidden,
);

async fn refresh_rotates_the_token(db: Db) {
    let app = TestApp::spawn(db).await;
    let first = app.register("rotate@example.com").await;
    let old = first["refresh_token"].as_str().unwrap();

    let second = expect_status(app.refresh(old).await, StatusCode::OK).await;
    let new = second["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["user"]["email"], "rotate@example.com");
    let access = second["access_token"].as_str().unwrap();
    expect_status(app.get_auth("/v1/users/me", access).await, StatusCode::OK).await;

    let third = expect_status(app.refresh(new).await, StatusCode::OK).await;
    assert_ne!(third["refresh_token"], second["refresh_token"]);
    let sessions = app
        .db
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM auth_sessions")
        .await
        .unwrap();
    assert_eq!(sessions, "1", "rotation keeps one session");
}

async fn concurrent_refreshes_share_one_successor(db: Db) {
    let app = TestApp::spawn(db).await;
    let first = app.register("race@example.com").await;
    let token = first["refresh_token"].as_str().unwrap().to_owned();

    let requests = (0..16).map(|_| app.refresh(&token));
    let responses = futures::future::join_all(requests).await;
    let mut successors = HashSet::new();
    for response in responses {
        let body = expect_status(response, StatusCode::OK).await;
        successors.insert(body["refresh_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(successors.len(), 1, "every racer gets the same new token");

    let live = app
        .db
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM auth_sessions WHERE revoked_at IS NULL")
        .await
        .unwrap();
    assert_eq!(live, "1");
    let successor = successors.into_iter().next().unwrap();
    expect_status(app.refresh(&successor).await, StatusCode::OK).await;
}

async fn replay_after_grace_revokes_the_session(db: Db) {
    let app = TestApp::spawn_with(db, |config| {
        config.auth.refresh_reuse_grace = std::time::Duration::ZERO;
    })
    .await;
    let first = app.register("replay@example.com").await;
    let old = first["refresh_token"].as_str().unwrap();
    let second = expect_status(app.refresh(old).await, StatusCode::OK).await;

    expect_error(
        app.refresh(old).await,
        StatusCode::UNAUTHORIZED,
        "REFRESH_TOKEN_REUSED",
    )
    .await;

    let new = second["refresh_token"].as_str().unwrap();
    expect_error(
        app.refresh(new).await,
        StatusCode::UNAUTHORIZED,
        "SESSION_REVOKED",
    )
    .await;
    let access = second["access_token"].as_str().unwrap();
    let me = app.get_auth("/v1/users/me", access).await;
    expect_error(me, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
}

async fn unknown_and_expired_refresh_tokens_are_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let unknown = app.refresh("no-such-token").await;
    expect_error(unknown, StatusCode::UNAUTHORIZED, "INVALID_TOKEN").await;

    let first = app.register("expired@example.com").await;
    app.db
        .exec("UPDATE auth_sessions SET expires_at = '2001-01-01T00:00:00.000000Z'")
        .await;
    let token = first["refresh_token"].as_str().unwrap();
    expect_error(
        app.refresh(token).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_SESSION",
    )
    .await;
    let access = first["access_token"].as_str().unwrap();
    let me = app.get_auth("/v1/users/me", access).await;
    expect_error(me, StatusCode::UNAUTHORIZED, "INVALID_SESSION").await;
}

async fn refresh_of_disabled_account_is_forbidden(db: Db) {
    let app = TestApp::spawn(db).await;
    let first = app.register("off@example.com").await;
    app.db
        .exec("UPDATE users SET disabled_at = created_at")
        .await;

    let token = first["refresh_token"].as_str().unwrap();
    expect_error(
        app.refresh(token).await,
        StatusCode::FORBIDDEN,
        "ACCOUNT_DISABLED",
    )
    .await;
}
