//! Verification and password reset by email, delivered to an SMTP sink on loopback.

mod sink;

use papyrus::config::{SmtpConfig, SmtpSecurity};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both;
use crate::helpers::{Db, PASSWORD, TestApp, expect_error, expect_status};
use sink::{Mode, SmtpSink, token_in};

both!(
    email_link_verifies_once,
    email_verification_token_expires,
    email_resend_answers_alike_for_unknown_and_known,
    email_reset_password_revokes_sessions,
    email_reset_token_expires,
    email_delivery_failure_leaves_no_usable_token,
    email_not_configured_answers_400_but_old_links_work,
    email_routes_are_rate_limited,
);

const NEW_PASSWORD: &str = "a brand new passphrase";

/// A server that mails through a fresh sink, with the auth rate limit at `rate_limit`.
async fn spawn_mailing(db: Db, mode: Mode, rate_limit: u32) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start(mode).await;
    let port = sink.port;
    let app = TestApp::spawn_with(db, move |config| {
        config.rate_limit_auth = rate_limit;
        config.app_public_base_url = Some("http://app.papyrus.test/".parse().unwrap());
        config.email.smtp = Some(smtp_config(port));
    })
    .await;
    (app, sink)
}

/// Plain SMTP to the sink on `port`, as no production server would be configured.
fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::Plain,
        username: None,
        password: None,
        from_email: "papyrus@papyrus.test".into(),
        from_name: "Papyrus".into(),
    }
}

/// Registers `email` and returns the registration's tokens and the mailed link's token.
async fn register_verified_later(
    app: &TestApp,
    sink: &mut SmtpSink,
    email: &str,
) -> (Value, String) {
    let tokens = app.register(email).await;
    let message = sink.next_message().await;
    assert!(message.contains(&format!("To: {email}")), "{message}");
    assert!(
        message.contains("Subject: Confirm your email address"),
        "{message}"
    );
    (tokens, token_in(&message, "verify-email"))
}

async fn unused_tokens(app: &TestApp, action: &str) -> String {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS TEXT) FROM email_action_tokens \
         WHERE action_type = '{action}' AND used_at IS NULL"
    );
    app.db.scalar(&sql).await.unwrap()
}

async fn expire_tokens(app: &TestApp) {
    let sql = match app.db.kind {
        Db::Sqlite => "UPDATE email_action_tokens SET expires_at = '2000-01-01T00:00:00.000000Z'",
        Db::Postgres => "UPDATE email_action_tokens SET expires_at = now() - interval '1 minute'",
    };
    app.db.exec(sql).await;
}

async fn email_link_verifies_once(db: Db) {
    let (app, mut sink) = spawn_mailing(db, Mode::Accept, 0).await;
    let (tokens, token) = register_verified_later(&app, &mut sink, "reader@example.com").await;
    assert_eq!(token.len(), 43);
    let stored = app
        .db
        .scalar("SELECT token_hash FROM email_action_tokens")
        .await;
    assert_ne!(
        stored.as_deref(),
        Some(token.as_str()),
        "only the digest is stored"
    );

    let verified = app
        .post("/v1/auth/verify-email", json!({ "token": token }))
        .await;
    let body = expect_status(verified, StatusCode::OK).await;
    assert_eq!(body, json!({ "message": "Email verified successfully" }));
    let access = tokens["access_token"].as_str().unwrap();
    let me = expect_status(app.get_auth("/v1/users/me", access).await, StatusCode::OK).await;
    assert_eq!(me["email_verified"], true);

    let again = app
        .post("/v1/auth/verify-email", json!({ "token": token }))
        .await;
    expect_error(again, StatusCode::BAD_REQUEST, "INVALID_TOKEN").await;
    let forged = app
        .post("/v1/auth/verify-email", json!({ "token": "not-a-token" }))
        .await;
    expect_error(forged, StatusCode::BAD_REQUEST, "INVALID_TOKEN").await;
    sink.assert_empty();
}

async fn email_verification_token_expires(db: Db) {
    let (app, mut sink) = spawn_mailing(db, Mode::Accept, 0).await;
    let (_, token) = register_verified_later(&app, &mut sink, "late@example.com").await;
    expire_tokens(&app).await;

    let expired = app
        .post("/v1/auth/verify-email", json!({ "token": token }))
        .await;
    expect_error(expired, StatusCode::BAD_REQUEST, "INVALID_TOKEN").await;
    let verified = app
        .db
        .scalar("SELECT CAST(primary_email_verified AS TEXT) FROM users")
        .await
        .unwrap();
    assert!(matches!(verified.as_str(), "0" | "false"), "{verified}");
}

async fn email_resend_answers_alike_for_unknown_and_known(db: Db) {
    let (app, mut sink) = spawn_mailing(db, Mode::Accept, 0).await;
    let (_, first) = register_verified_later(&app, &mut sink, "known@example.com").await;

    let unknown = app
        .post(
            "/v1/auth/resend-verification",
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    let unknown = expect_status(unknown, StatusCode::OK).await;
    sink.assert_empty();
    let known = app
        .post(
            "/v1/auth/resend-verification",
            json!({ "email": "Known@Example.com" }),
        )
        .await;
    let known = expect_status(known, StatusCode::OK).await;
    assert_eq!(unknown, known);
    assert!(
        known["message"]
            .as_str()
            .unwrap()
            .starts_with("If the email is registered")
    );

    let second = token_in(&sink.next_message().await, "verify-email");
    assert_ne!(first, second);
    let stale = app
        .post("/v1/auth/verify-email", json!({ "token": first }))
        .await;
    expect_error(stale, StatusCode::BAD_REQUEST, "INVALID_TOKEN").await;
    let fresh = app
        .post("/v1/auth/verify-email", json!({ "token": second }))
        .await;
    expect_status(fresh, StatusCode::OK).await;

    let verified = app
        .post(
            "/v1/auth/resend-verification",
            json!({ "email": "known@example.com" }),
        )
        .await;
    assert_eq!(expect_status(verified, StatusCode::OK).await, known);
    sink.assert_empty();
}

async fn email_reset_password_revokes_sessions(db: Db) {
    let (app, mut sink) = spawn_mailing(db, Mode::Accept, 0).await;
    let (tokens, _) = register_verified_later(&app, &mut sink, "forgetful@example.com").await;
    let unknown = app
        .post(
            "/v1/auth/forgot-password",
            json!({ "email": "nobody@example.com" }),
        )
        .await;
    let unknown = expect_status(unknown, StatusCode::OK).await;
    sink.assert_empty();

    let forgot = app
        .post(
            "/v1/auth/forgot-password",
            json!({ "email": "forgetful@example.com" }),
        )
        .await;
    assert_eq!(expect_status(forgot, StatusCode::OK).await, unknown);
    let message = sink.next_message().await;
    assert!(
        message.contains("Subject: Reset your Papyrus password"),
        "{message}"
    );
    assert!(
        message.contains("http://app.papyrus.test/reset-password?token="),
        "{message}"
    );
    let token = token_in(&message, "reset-password");

    let short = app
        .post(
            "/v1/auth/reset-password",
            json!({ "token": token, "password": "short" }),
        )
        .await;
    let error = expect_error(short, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert!(
        error["details"]["fields"]["password"].is_string(),
        "{error}"
    );

    let reset = json!({ "token": token, "password": NEW_PASSWORD });
    let body = expect_status(
        app.post("/v1/auth/reset-password", reset.clone()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body,
        json!({ "message": "Password has been reset successfully" })
    );

    let access = tokens["access_token"].as_str().unwrap();
    let old_session = app.get_auth("/v1/users/me", access).await;
    expect_error(old_session, StatusCode::UNAUTHORIZED, "SESSION_REVOKED").await;
    let old = app.login("forgetful@example.com", PASSWORD).await;
    expect_error(old, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let new = app.login("forgetful@example.com", NEW_PASSWORD).await;
    expect_status(new, StatusCode::OK).await;

    let reused = app.post("/v1/auth/reset-password", reset).await;
    expect_error(reused, StatusCode::BAD_REQUEST, "INVALID_TOKEN").await;
}

async fn email_reset_token_expires(db: Db) {
    let (app, mut sink) = spawn_mailing(db, Mode::Accept, 0).await;
    register_verified_later(&app, &mut sink, "slow@example.com").await;
    let forgot = app
        .post(
            "/v1/auth/forgot-password",
            json!({ "email": "slow@example.com" }),
        )
        .await;
    expect_status(forgot, StatusCode::OK).await;
    let token = token_in(&sink.next_message().await, "reset-password");
    expire_tokens(&app).await;

    let reset = json!({ "token": token, "password": NEW_PASSWORD });
    let expired = app.post("/v1/auth/reset-password", reset).await;
    expect_error(expired, StatusCode::BAD_REQUEST, "INVALID_TOKEN").await;
    expect_status(
        app.login("slow@example.com", PASSWORD).await,
        StatusCode::OK,
    )
    .await;
}

async fn email_delivery_failure_leaves_no_usable_token(db: Db) {
    let (app, mut sink) = spawn_mailing(db, Mode::RefuseData, 0).await;
    app.register("unlucky@example.com").await;

    let forgot = app
        .post(
            "/v1/auth/forgot-password",
            json!({ "email": "unlucky@example.com" }),
        )
        .await;
    expect_error(
        forgot,
        StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
    )
    .await;
    assert_eq!(unused_tokens(&app, "reset_password").await, "0");
    let sql = "SELECT CAST(COUNT(*) AS TEXT) FROM email_action_tokens \
               WHERE action_type = 'reset_password'";
    let rows = app.db.scalar(sql).await;
    assert_eq!(
        rows.as_deref(),
        Some("0"),
        "the undelivered token is deleted"
    );
    sink.assert_empty();
}

async fn email_not_configured_answers_400_but_old_links_work(db: Db) {
    let app = TestApp::spawn(db).await;
    app.register("plain@example.com").await;

    for path in ["/v1/auth/resend-verification", "/v1/auth/forgot-password"] {
        let response = app
            .post(path, json!({ "email": "plain@example.com" }))
            .await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;
        assert_eq!(
            error["message"],
            "Email delivery is not configured on this server"
        );
    }

    let sink = SmtpSink::start(Mode::Accept).await;
    let port = sink.port;
    let no_links = TestApp::spawn_with(db, move |config| {
        config.email.smtp = Some(smtp_config(port));
    })
    .await;
    let response = no_links
        .post(
            "/v1/auth/forgot-password",
            json!({ "email": "plain@example.com" }),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "VALIDATION_ERROR").await;

    let token = papyrus::auth::tokens::random_token();
    let mailed_before = format!(
        "INSERT INTO email_action_tokens (token_id, user_id, action_type, token_hash, \
         expires_at) SELECT '{}', user_id, 'verify_email', '{}', '2999-01-01T00:00:00.000000Z' \
         FROM users",
        uuid::Uuid::new_v4(),
        papyrus::auth::tokens::digest(&token)
    );
    app.db.exec(&mailed_before).await;
    let verify = app
        .post("/v1/auth/verify-email", json!({ "token": token }))
        .await;
    expect_status(verify, StatusCode::OK).await;
    assert_eq!(unused_tokens(&app, "verify_email").await, "0");
}

async fn email_routes_are_rate_limited(db: Db) {
    let (app, _sink) = spawn_mailing(db, Mode::Accept, 2).await;
    let forgot = json!({ "email": "nobody@example.com" });
    for _ in 0..2 {
        expect_status(
            app.post("/v1/auth/forgot-password", forgot.clone()).await,
            StatusCode::OK,
        )
        .await;
    }
    let limited = app.post("/v1/auth/forgot-password", forgot).await;
    expect_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT_EXCEEDED",
    )
    .await;

    let verify = json!({ "token": "x" });
    for _ in 0..2 {
        let response = app.post("/v1/auth/verify-email", verify.clone()).await;
        expect_error(response, StatusCode::BAD_REQUEST, "INVALID_TOKEN").await;
    }
    let limited = app.post("/v1/auth/verify-email", verify).await;
    expect_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMIT_EXCEEDED",
    )
    .await;
}
