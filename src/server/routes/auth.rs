//! `/auth/*`: register, login, refresh, logout.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::Value;

use crate::auth::{ClientInfo, Registration, input};
use crate::error::ApiError;
use crate::server::extract::{Caller, ClientIp};
use crate::server::json::{Fields, JsonObject, OptionalJsonObject};
use crate::server::{AppState, views};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/logout-all", post(logout_all))
}

/// `client_type` (default `unknown`) and `device_label`, as every sign-in sends them.
pub(super) fn client_info(fields: &mut Fields<'_>) -> ClientInfo {
    ClientInfo {
        client_type: fields
            .optional("client_type", input::client_type)
            .unwrap_or_else(|| "unknown".into()),
        device_label: fields
            .optional("device_label", input::device_label)
            .flatten(),
    }
}

/// A password as typed: required and a string, but not checked against the rules
/// for new passwords (those may have changed since it was set).
fn any_password(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    if raw.chars().count() > input::MAX_PASSWORD_CHARS {
        return Err(format!(
            "must be at most {} characters",
            input::MAX_PASSWORD_CHARS
        ));
    }
    Ok(raw.to_owned())
}

fn new_password(raw: &str) -> Result<String, String> {
    input::new_password(raw).map(|()| raw.to_owned())
}

async fn register(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    app.auth_limit.check("register", ip)?;
    let mut fields = Fields::new(&body);
    let email = fields.required("email", input::email);
    let password = fields.required("password", new_password);
    let display_name = fields.required("display_name", input::display_name);
    let client = client_info(&mut fields);
    fields.finish()?;

    let registration = Registration {
        email: email.unwrap_or_default(),
        password: SecretString::from(password.unwrap_or_default()),
        display_name: display_name.unwrap_or_default(),
        client,
    };
    let issued = app.auth.register(registration).await?;
    app.email.after_registration(issued.user.clone());
    Ok((StatusCode::CREATED, Json(views::tokens(&issued))))
}

async fn login(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("login", ip)?;
    let mut fields = Fields::new(&body);
    let email = fields.required("email", |raw| Ok(raw.trim().to_lowercase()));
    let password = fields.required("password", any_password);
    let client = client_info(&mut fields);
    fields.finish()?;

    let password = SecretString::from(password.unwrap_or_default());
    let issued = app
        .auth
        .login(&email.unwrap_or_default(), &password, client)
        .await?;
    Ok(Json(views::tokens(&issued)))
}

async fn refresh(
    State(app): State<AppState>,
    ClientIp(ip): ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    app.auth_limit.check("refresh", ip)?;
    let mut fields = Fields::new(&body);
    let token = fields.required("refresh_token", |raw| {
        if raw.is_empty() || raw.len() > 512 {
            Err("must be a refresh token".to_owned())
        } else {
            Ok(raw.to_owned())
        }
    });
    fields.finish()?;

    let issued = app.auth.refresh(&token.unwrap_or_default()).await?;
    Ok(Json(views::tokens(&issued)))
}

async fn logout(
    State(app): State<AppState>,
    Caller(caller): Caller,
    OptionalJsonObject(body): OptionalJsonObject,
) -> Result<StatusCode, ApiError> {
    let all_devices = match &body {
        Some(body) => {
            let mut fields = Fields::new(body);
            let all = fields.optional_bool("all_devices");
            fields.finish()?;
            all.unwrap_or(false)
        }
        None => false,
    };

    app.auth.logout(&caller, all_devices).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn logout_all(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Result<StatusCode, ApiError> {
    app.auth.logout(&caller, true).await?;
    Ok(StatusCode::NO_CONTENT)
}
