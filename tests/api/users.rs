//! `/users/me`: profile, password change, account deletion.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::{Db, PASSWORD, TestApp, expect_error, expect_status};

both!(
    profile_can_be_updated_and_cleared,
    profile_update_validates_fields,
    change_password_revokes_every_session,
    delete_account_disables_it,
);

async fn patch(app: &TestApp, token: &str, body: serde_json::Value) -> reqwest::Response {
    let url = app.url("/v1/users/me");
    app.client
        .patch(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn profile_can_be_updated_and_cleared(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = app.register("profile@example.com").await;
    let token = body["access_token"].as_str().unwrap();

    let avatar = "https://cdn.example.com/a.png";
    let update = json!({"display_name": "  New Name ", "avatar_url": avatar});
    let user = expect_status(patch(&app, token, update).await, StatusCode::OK).await;
    assert_eq!(user["display_name"], "New Name");
    assert_eq!(user["avatar_url"], avatar);

    let user = expect_status(patch(&app, token, json!({})).await, StatusCode::OK).await;
    assert_eq!(
        user["display_name"], "New Name",
        "absent fields are left alone"
    );
    assert_eq!(user["avatar_url"], avatar);

    let cleared = patch(&app, token, json!({"avatar_url": null})).await;
    let user = expect_status(cleared, StatusCode::OK).await;
    assert!(user["avatar_url"].is_null());
    let me = expect_status(app.get_auth("/v1/users/me", token).await, StatusCode::OK).await;
    assert_eq!(me, user);
}

async fn profile_update_validates_fields(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = app.register("checks@example.com").await;
    let token = body["access_token"].as_str().unwrap();

    let bad = json!({"display_name": "", "avatar_url": "javascript:alert(1)"});
    let error = expect_error(
        patch(&app, token, bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let fields = error["details"]["fields"].as_object().unwrap();
    assert!(fields.contains_key("display_name") && fields.contains_key("avatar_url"));
    let me = expect_status(app.get_auth("/v1/users/me", token).await, StatusCode::OK).await;
    assert_eq!(me["display_name"], "Reader", "nothing was written");
}

async fn change_password_revokes_every_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = app.register("change@example.com").await;
    let token = body["access_token"].as_str().unwrap();
    let path = "/v1/users/me/change-password";

    let wrong = json!({"current_password": "not it", "new_password": "brand new password"});
    let response = app.post_auth(path, token, Some(wrong)).await;
    expect_error(response, StatusCode::BAD_REQUEST, "INVALID_PASSWORD").await;
    let short = json!({"current_password": PASSWORD, "new_password": "short"});
    let response = app.post_auth(path, token, Some(short)).await;
    expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;

    let good = json!({"current_password": PASSWORD, "new_password": "brand new password"});
    let answer = expect_status(app.post_auth(path, token, Some(good)).await, StatusCode::OK).await;
    assert_eq!(answer, json!({"message": "Password changed successfully"}));

    let me = app.get_auth("/v1/users/me", token).await;
    expect_error(me, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    let old = app.login("change@example.com", PASSWORD).await;
    expect_error(old, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let new = app.login("change@example.com", "brand new password").await;
    expect_status(new, StatusCode::OK).await;
}

async fn delete_account_disables_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = app.register("delete@example.com").await;
    let token = body["access_token"].as_str().unwrap();
    let delete = |password: &str| {
        app.client
            .delete(app.url("/v1/users/me"))
            .bearer_auth(token)
            .json(&json!({ "password": password }))
            .send()
    };

    let wrong = delete("not the password").await.unwrap();
    expect_error(wrong, StatusCode::BAD_REQUEST, "INVALID_PASSWORD").await;
    let done = delete(PASSWORD).await.unwrap();
    assert_eq!(done.status(), StatusCode::NO_CONTENT);

    let me = app.get_auth("/v1/users/me", token).await;
    expect_error(me, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    let login = app.login("delete@example.com", PASSWORD).await;
    expect_error(login, StatusCode::FORBIDDEN, "ACCOUNT_DISABLED").await;
    let refresh = app.refresh(body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
}
