//! PowerSync credentials: short-lived RS256 tokens and the JWKS that verifies them.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::keys::KeyStore;
use crate::server::AppState;
use crate::server::extract::Caller;

/// How long verifiers may cache the JWKS. Short, so a key published in an emergency
/// rotation is seen quickly; the PowerSync service ignores it and refetches on its own.
const JWKS_CACHE_CONTROL: &str = "public, max-age=60";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/powersync-token", post(powersync_token))
        .route("/auth/jwks", get(jwks))
}

fn signing_keys(app: &AppState) -> Result<&KeyStore, ApiError> {
    app.keys.as_ref().ok_or_else(|| {
        ApiError::bad_request("VALIDATION_ERROR", "PowerSync signing is not configured")
    })
}

async fn powersync_token(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<Value>, ApiError> {
    let keys = signing_keys(&app)?;
    let config = &app.config.powersync;
    let ttl = chrono::Duration::from_std(config.token_ttl).map_err(ApiError::internal)?;

    let user_id = caller.user.user_id.to_string();
    let token = keys
        .snapshot()
        .sign_powersync(&user_id, &config.audience, ttl, Utc::now())
        .map_err(ApiError::internal)?;
    tracing::debug!(target: crate::auth::SECURITY, user_id, "PowerSync token issued");
    Ok(Json(
        json!({ "token": token, "expires_in": config.token_ttl.as_secs() }),
    ))
}

async fn jwks(State(app): State<AppState>) -> Result<Response, ApiError> {
    let keys = signing_keys(&app)?;
    let body = keys.snapshot().jwks(Utc::now());

    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(JWKS_CACHE_CONTROL),
    );
    Ok(response)
}
