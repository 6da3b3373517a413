use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
}

/// The process is up; says nothing about the database.
async fn health() -> Json<Value> {
    Json(json!({ "status": "healthy" }))
}

/// The database answers, so requests can be served.
async fn ready(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    match app.store.ping().await {
        Ok(()) => Ok(Json(json!({ "status": "ready", "database": "ok" }))),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            Err(ApiError::unavailable("The database is not reachable"))
        }
    }
}
