//! Request bodies: JSON objects read with the error envelope on every failure, and a
//! field reader that collects every problem before answering.
//!
//! Bodies are parsed by hand rather than through serde derives so a 422 can name each
//! field that is wrong, not only the first one serde meets.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A request body that must be a JSON object.
pub struct JsonObject(pub Map<String, Value>);

/// A request body that may be absent; when present it must be a JSON object.
pub struct OptionalJsonObject(pub Option<Map<String, Value>>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = is_json(req.headers());
        let bytes = read_body(req, state).await?;
        if !json_type {
            return Err(unsupported_media_type());
        }
        parse_object(&bytes).map(JsonObject)
    }
}

impl<S: Send + Sync> FromRequest<S> for OptionalJsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let headers = req.headers().clone();
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonObject(None));
        }
        if !is_json(&headers) {
            return Err(unsupported_media_type());
        }
        parse_object(&bytes).map(|map| OptionalJsonObject(Some(map)))
    }
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                "The request body is too large",
            )
        } else {
            ApiError::bad_request("BAD_REQUEST", "The request body could not be read")
        }
    })
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        "Send the request body as JSON with Content-Type: application/json",
    )
}

fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid_field("body", "must be a JSON object")),
        Err(e) => Err(ApiError::invalid_field(
            "body",
            format!(
                "is not valid JSON ({} at line {}, column {})",
                describe(&e),
                e.line(),
                e.column()
            ),
        )),
    }
}

fn describe(error: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => "unexpected end of input",
        Category::Syntax => "syntax error",
        Category::Data | Category::Io => "invalid data",
    }
}

/// Reads typed fields out of a JSON object, collecting every problem.
pub struct Fields<'a> {
    body: &'a Map<String, Value>,
    errors: BTreeMap<String, String>,
}

impl<'a> Fields<'a> {
    pub fn new(body: &'a Map<String, Value>) -> Self {
        Self {
            body,
            errors: BTreeMap::new(),
        }
    }

    fn fail(&mut self, name: &str, reason: impl Into<String>) {
        self.errors
            .entry(name.to_owned())
            .or_insert_with(|| reason.into());
    }

    fn parse<T>(
        &mut self,
        name: &str,
        raw: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        parse(raw).map_err(|reason| self.fail(name, reason)).ok()
    }

    /// A string field that must be present.
    pub fn required<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.body.get(name) {
            Some(Value::String(raw)) => self.parse(name, raw, parse),
            None | Some(Value::Null) => {
                self.fail(name, "is required");
                None
            }
            Some(_) => {
                self.fail(name, "must be a string");
                None
            }
        }
    }

    /// A string field that may be absent or null.
    pub fn optional<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.body.get(name) {
            Some(Value::String(raw)) => self.parse(name, raw, parse),
            None | Some(Value::Null) => None,
            Some(_) => {
                self.fail(name, "must be a string");
                None
            }
        }
    }

    /// A string field where absent leaves a value alone and null clears it.
    pub fn nullable<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match self.body.get(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(raw)) => self.parse(name, raw, parse).map(Some),
            Some(_) => {
                self.fail(name, "must be a string or null");
                None
            }
        }
    }

    pub fn optional_bool(&mut self, name: &str) -> Option<bool> {
        match self.body.get(name) {
            Some(Value::Bool(value)) => Some(*value),
            None | Some(Value::Null) => None,
            Some(_) => {
                self.fail(name, "must be true or false");
                None
            }
        }
    }

    /// A 422 naming every field that was wrong, or nothing.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// A JSON request body kept both parsed and as received, for handlers that must
/// store what the client sent.
pub struct RawJson {
    pub value: Value,
    pub raw: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = is_json(req.headers());
        let raw = read_body(req, state).await?;
        if !json_type {
            return Err(unsupported_media_type());
        }
        let value = parse_object(&raw)?;
        Ok(RawJson {
            value: Value::Object(value),
            raw,
        })
    }
}
