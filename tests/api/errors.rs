//! The envelope on every kind of error, probes, CORS and request ids.

use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::{Db, TestApp, expect_error, expect_status};

both!(
    every_error_kind_has_the_envelope,
    probes_answer,
    request_ids_are_echoed,
    cors_allows_configured_origins_only,
);

async fn every_error_kind_has_the_envelope(db: Db) {
    let app = TestApp::spawn_with(db, |config| config.max_body_bytes = 2048).await;
    let post_raw = |path: &'static str, content_type: &'static str, body: Vec<u8>| {
        app.client
            .post(app.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let malformed = post_raw(
        "/v1/auth/login",
        "application/json",
        b"{\"email\":".to_vec(),
    );
    let error = expect_error(
        malformed.await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(error["details"]["fields"]["body"].is_string());
    let array = post_raw("/v1/auth/login", "application/json", b"[1]".to_vec());
    expect_error(
        array.await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let text = post_raw("/v1/auth/login", "text/plain", b"{}".to_vec());
    expect_error(
        text.await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    .await;
    let huge = post_raw("/v1/auth/login", "application/json", vec![b' '; 4096]);
    expect_error(
        huge.await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    )
    .await;

    let missing = app.client.get(app.url("/v1/nope")).send().await.unwrap();
    expect_error(missing, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let wrong_method = app
        .client
        .get(app.url("/v1/auth/login"))
        .send()
        .await
        .unwrap();
    expect_error(
        wrong_method,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    )
    .await;
    let unprefixed = app.post("/auth/login", json!({})).await;
    expect_error(unprefixed, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

async fn probes_answer(db: Db) {
    let app = TestApp::spawn(db).await;
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(
        expect_status(health, StatusCode::OK).await,
        json!({"status": "healthy"})
    );
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    expect_status(ready, StatusCode::OK).await;
    let prefixed = app.client.get(app.url("/v1/health")).send().await.unwrap();
    assert_eq!(
        prefixed.status(),
        StatusCode::NOT_FOUND,
        "probes live outside the prefix"
    );
}

async fn request_ids_are_echoed(db: Db) {
    let app = TestApp::spawn(db).await;
    let given = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "client-chosen-id-1")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "client-chosen-id-1");

    let generated = app.client.get(app.url("/v1/nope")).send().await.unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let hostile = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "a b\tc")
        .send()
        .await
        .unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "a b\tc");
}

async fn cors_allows_configured_origins_only(db: Db) {
    let app = TestApp::spawn_with(db, |config| {
        config.cors_origins = papyrus::config::CorsOrigins::List(vec!["https://app.test".into()]);
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .send()
    };

    let allowed = preflight("https://app.test").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.test"
    );
    let refused = preflight("https://evil.test").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_answers_503_when_the_database_is_gone() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let app = TestApp::spawn(Db::Postgres).await;
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    let name = app.db.url.rsplit('/').next().unwrap().to_owned();
    let admin = crate::helpers::postgres_admin_url();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    let drop = format!("DROP DATABASE {name} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(drop))
        .execute(&mut conn)
        .await
        .unwrap();

    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    expect_error(
        ready,
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
    )
    .await;
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "liveness does not depend on the database"
    );
}
