//! `/users/me`: the caller's own profile and account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::Value;

use crate::auth::input;
use crate::error::ApiError;
use crate::server::extract::Caller;
use crate::server::json::{Fields, JsonObject};
use crate::server::{AppState, views};
use crate::store::ProfileUpdate;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users/me", get(me).patch(update_me).delete(delete_me))
        .route("/users/me/change-password", post(change_password))
}

async fn me(Caller(caller): Caller) -> Json<Value> {
    Json(views::user(&caller.user))
}

async fn update_me(
    State(app): State<AppState>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let mut fields = Fields::new(&body);
    let update = ProfileUpdate {
        display_name: fields.optional("display_name", input::display_name),
        avatar_url: fields.nullable("avatar_url", input::avatar_url),
    };
    fields.finish()?;

    let user = app.auth.update_profile(&caller, &update).await?;
    Ok(Json(views::user(&user)))
}

fn typed_password(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(raw.to_owned())
    }
}

async fn delete_me(
    State(app): State<AppState>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, ApiError> {
    let mut fields = Fields::new(&body);
    let password = fields.required("password", typed_password);
    fields.finish()?;

    let password = SecretString::from(password.unwrap_or_default());
    app.auth.delete_account(&caller, &password).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn change_password(
    State(app): State<AppState>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let mut fields = Fields::new(&body);
    let current = fields.required("current_password", typed_password);
    let new = fields.required("new_password", |raw| {
        input::new_password(raw).map(|()| raw.to_owned())
    });
    fields.finish()?;

    let current = SecretString::from(current.unwrap_or_default());
    let new = SecretString::from(new.unwrap_or_default());
    app.auth.change_password(&caller, &current, &new).await?;
    Ok(Json(views::message("Password changed successfully")))
}
