//! The error policy of the HTTP API.
//!
//! Every failure a client can see is an [`ApiError`], rendered as the envelope the
//! Flutter client parses: `{"error": {"code", "message", "details"}}`. `details` is
//! always an object (empty when there is nothing to add), so clients can index it
//! without a null check.
//!
//! Handlers return `Result<_, ApiError>` and use `?`. Domain and store errors convert
//! into an `ApiError` through `From` impls that decide the status code in one place.
//! A 500 never carries internal detail: the client gets a generic message and the
//! cause is logged once, here, at the moment the response is built.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answered to an HTTP client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Value,
    retry_after: Option<u64>,
    /// The internal cause of a 500, logged but never sent.
    cause: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: json!({}),
            retry_after: None,
            cause: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message)
    }

    /// A 422 naming each offending field and what is wrong with it.
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
            "The request is invalid",
        )
        .with_details(json!({ "fields": fields }))
    }

    /// A 422 for one field.
    pub fn invalid_field(field: &str, reason: impl Into<String>) -> Self {
        Self::validation(BTreeMap::from([(field.to_owned(), reason.into())]))
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            "Too many requests, try again later",
        )
        .with_details(json!({ "retry_after": retry_after_secs }));
        error.retry_after = Some(retry_after_secs);
        error
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            message,
        )
    }

    /// A 500 whose cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut error = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "An internal error occurred",
        );
        error.cause = Some(cause.to_string());
        error
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(code = self.code, %cause, "request failed");
        }

        let body = json!({
            "error": { "code": self.code, "message": self.message, "details": self.details }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match error {
            StoreError::NotFound => ApiError::not_found("Not found"),
            StoreError::Conflict(what) => ApiError::conflict(format!("{what} already exists")),
            StoreError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::unavailable("The database is unavailable, try again shortly")
            }
            StoreError::Other(cause) => ApiError::internal(cause),
        }
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(error: crate::auth::AuthError) -> Self {
        use crate::auth::AuthError as E;
        match error {
            E::InvalidCredentials => {
                ApiError::unauthorized("UNAUTHORIZED", "Invalid email or password")
            }
            E::WrongPassword => {
                ApiError::bad_request("INVALID_PASSWORD", "The current password is incorrect")
            }
            E::AccountDisabled => {
                ApiError::forbidden("ACCOUNT_DISABLED", "This account has been disabled")
            }
            E::EmailTaken => ApiError::conflict("An account with this email already exists"),
            E::InvalidToken(message) => ApiError::unauthorized("INVALID_TOKEN", message),
            E::InvalidTokenType => {
                ApiError::unauthorized("INVALID_TOKEN_TYPE", "This token cannot be used here")
            }
            E::InvalidSession(message) => ApiError::unauthorized("INVALID_SESSION", message),
            E::SessionRevoked => {
                ApiError::unauthorized("SESSION_REVOKED", "This session has been signed out")
            }
            E::RefreshTokenReused => ApiError::unauthorized(
                "REFRESH_TOKEN_REUSED",
                "This refresh token was already used; the session has been signed out",
            ),
            E::Invalid(fields) => ApiError::validation(fields),
            E::Store(error) => error.into(),
            E::Password(error) => ApiError::internal(error),
            E::Signing(error) => ApiError::internal(error),
        }
    }
}

/// Delivery failures are 503s: the request was fine and may succeed later. "Not
/// configured" is a 400 `VALIDATION_ERROR` whose message the app shows as it is, as
/// the earlier server answered.
impl From<crate::email::EmailError> for ApiError {
    fn from(error: crate::email::EmailError) -> Self {
        use crate::email::EmailError as E;
        match error {
            E::NotConfigured => ApiError::bad_request(
                "VALIDATION_ERROR",
                "Email delivery is not configured on this server",
            ),
            E::InvalidToken(message) => ApiError::bad_request("INVALID_TOKEN", message),
            E::Delivery(cause) => {
                tracing::warn!(%cause, "email delivery failed");
                ApiError::unavailable("The email could not be sent, try again later")
            }
            E::Store(error) => error.into(),
            E::Template(cause) | E::Transport(cause) => ApiError::internal(cause),
            E::Password(error) => ApiError::internal(error),
        }
    }
}

/// A malformed start (a refused callback, a bad PKCE challenge, Google not configured)
/// is a 400 `VALIDATION_ERROR` naming the field, as the earlier server answered. Every
/// way a code can fail to redeem answers the same 401, so a client learns nothing about
/// codes it was not given.
impl From<crate::oauth::OAuthError> for ApiError {
    fn from(error: crate::oauth::OAuthError) -> Self {
        use crate::oauth::OAuthError as E;
        match error {
            E::NotConfigured => {
                ApiError::bad_request("VALIDATION_ERROR", "Google OAuth is not configured")
            }
            E::Invalid(field, reason) => {
                ApiError::bad_request("VALIDATION_ERROR", format!("{field} {reason}"))
                    .with_details(json!({ "fields": { field: reason } }))
            }
            E::InvalidState => ApiError::bad_request(
                "INVALID_STATE",
                "This sign-in is unknown, expired or already finished; start it again",
            ),
            E::InvalidCode => ApiError::unauthorized("UNAUTHORIZED", "Invalid or expired code"),
            E::CodeOfAnotherUser => {
                ApiError::forbidden("FORBIDDEN", "This code was issued to another user")
            }
            E::IdentityTaken => ApiError::conflict("This Google account is linked to another user"),
            E::Auth(error) => error.into(),
            E::Store(error) => error.into(),
        }
    }
}
