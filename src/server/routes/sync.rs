//! `/sync/*`: the PowerSync upload endpoint and the sync settings the app reads.
//!
//! A rejected transaction answers 200 with `"status": "rejected"` by default: the app's
//! connector throws on any other status and PowerSync then retries the same
//! transaction forever, wedging the device's upload queue. A 2xx lets the client
//! complete it, and the next sync restores the server's rows. `SYNC_STRICT_REJECTIONS`
//! answers 403/422 instead, for connectors that handle those themselves.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::server::AppState;
use crate::server::extract::Caller;
use crate::server::json::RawJson;
use crate::sync::Rejection;
use crate::uploads::{self, FORBIDDEN, UploadError, UploadOutcome};

pub fn routes(config: &ServerConfig) -> Router<AppState> {
    let upload_limit = DefaultBodyLimit::max(config.sync.max_upload_bytes);
    Router::new()
        .route("/sync/powersync-upload", post(upload).layer(upload_limit))
        .route("/sync/settings", get(settings))
}

async fn upload(
    State(app): State<AppState>,
    Caller(caller): Caller,
    body: RawJson,
) -> Result<Json<Value>, ApiError> {
    let user_id = caller.user.user_id;
    app.upload_limit.check(user_id)?;

    let outcome = uploads::upload(&app.store, user_id, &body.value, &body.raw).await;
    match outcome {
        Ok(UploadOutcome::Applied(count)) => {
            Ok(Json(json!({ "status": "applied", "applied_count": count })))
        }
        Ok(UploadOutcome::Rejected(rejection)) if app.config.sync.strict_rejections => {
            Err(strict_error(rejection))
        }
        Ok(UploadOutcome::Rejected(rejection)) => Ok(Json(json!({
            "status": "rejected",
            "applied_count": 0,
            "error": rejection,
        }))),
        Err(UploadError::Malformed(reason)) => Err(ApiError::invalid_field("batch", reason)),
        Err(UploadError::Unavailable) => Err(ApiError::unavailable(
            "The upload could not be applied right now; retry it",
        )),
        Err(UploadError::Store(error)) => Err(error.into()),
    }
}

fn strict_error(rejection: Rejection) -> ApiError {
    let status = if rejection.code == FORBIDDEN {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ApiError::new(status, rejection.code, rejection.message).with_details(rejection.details)
}

/// Public: where the app finds the sync service and what file storage it has. The
/// word "powersync" deliberately appears nowhere in the answer.
async fn settings(State(app): State<AppState>) -> Json<Value> {
    let sync = &app.config.sync;
    Json(json!({
        "data_sync_url": sync.data_sync_url,
        "file_storage": { "supported": true, "quota_bytes": sync.file_storage_quota_bytes },
    }))
}
