//! Validated field values, typed, and their SQLite form. SQLite has no uuid,
//! boolean, JSON or timestamp type, so those are stored as 0/1 and text; the
//! text forms here are the ones the rest of papyrus writes.

use chrono::{DateTime, SecondsFormat, Utc};

/// A field value that passed validation against its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Integer(i64),
    Real(f64),
    Bool(bool),
    /// A list of strings or an object, as the column kind demands.
    Json(serde_json::Value),
    Timestamp(DateTime<Utc>),
}

/// What a [`Value`] becomes in SQLite, one of its four storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum SqliteValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value to bind in SQLite. PostgreSQL takes the variants as they
    /// are: the generated SQL casts every parameter to its column type.
    pub fn to_sqlite(&self) -> SqliteValue {
        match self {
            Value::Null => SqliteValue::Null,
            Value::Text(text) => SqliteValue::Text(text.clone()),
            Value::Integer(number) => SqliteValue::Integer(*number),
            Value::Real(number) => SqliteValue::Real(*number),
            Value::Bool(flag) => SqliteValue::Integer(i64::from(*flag)),
            Value::Json(json) => SqliteValue::Text(json.to_string()),
            Value::Timestamp(at) => SqliteValue::Text(timestamp_text(at)),
        }
    }
}

/// RFC 3339 in UTC with microseconds (`2026-12-03T16:28:19.123456Z`): the
/// text papyrus stores for a timestamp in SQLite.
pub fn timestamp_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
