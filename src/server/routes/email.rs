//! `/auth/*` by email: verify an address, ask for another link, reset a password.
//!
//! Every route is rate limited per client IP like login. Resend and forgot-password
//! give one answer whether or not the address has an account; see [`crate::email`].

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::Value;

use crate::auth::input;
use crate::error::ApiError;
use crate::server::extract::ClientIp;
use crate::server::json::{Fields, JsonObject};
use crate::server::{AppState, views};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/verify-email", post(verify_email))
        .route("/auth/resend-verification", post(resend_verification))
        .route("/auth/forgot-password", post(forgot_password))
        .route("/auth/reset-password", post(reset_password))
}

/// A token as typed; whether it is one is the domain's to say, with a 400.
fn token(raw: &str) -> Result<String, String> {
    if raw.is_empty() || raw.len() > 512 {
        return Err("must be a token from an email link".into());
    }
    Ok(raw.to_owned())
}

async fn verify_email(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("verify-email", ip)?;
    let mut fields = Fields::new(&body);
    let token = fields.required("token", token);
    fields.finish()?;

    app.email.verify(&token.unwrap_or_default()).await?;
    Ok(Json(views::message("Email verified successfully")))
}

async fn resend_verification(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("resend-verification", ip)?;
    let mut fields = Fields::new(&body);
    let email = fields.required("email", input::email);
    fields.finish()?;

    app.email
        .resend_verification(&email.unwrap_or_default())
        .await?;
    Ok(Json(views::message(
        "If the email is registered and not yet verified, a verification email has been sent",
    )))
}

async fn forgot_password(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("forgot-password", ip)?;
    let mut fields = Fields::new(&body);
    let email = fields.required("email", input::email);
    fields.finish()?;

    app.email
        .forgot_password(&email.unwrap_or_default())
        .await?;
    Ok(Json(views::message(
        "If the email is registered, a password reset link has been sent",
    )))
}

async fn reset_password(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("reset-password", ip)?;
    let mut fields = Fields::new(&body);
    let token = fields.required("token", token);
    let password = fields.required("password", |raw| {
        input::new_password(raw).map(|()| raw.to_owned())
    });
    fields.finish()?;

    let password = SecretString::from(password.unwrap_or_default());
    app.email
        .reset_password(&token.unwrap_or_default(), &password)
        .await?;
    Ok(Json(views::message("Password has been reset successfully")))
}
