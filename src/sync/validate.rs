//! Turning one uploaded field into a typed [`Value`] for its column.
//!
//! Values arrive as the app's local SQLite holds them, so the checks are
//! lenient about representation and strict about meaning: `"12"` and `12.0`
//! are the integer 12 but `12.5` is not; `0`/`1` and `"true"`/`"false"` are
//! booleans; JSON columns may arrive decoded or as JSON text. Anything that
//! would not fit the PostgreSQL column is refused here rather than by the
//! database, so both databases accept exactly the same uploads.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::entity::{Column, Kind};
use super::value::Value;

/// Why a field was refused, phrased to follow the field name.
pub type Reason = String;

/// Validates `raw` against `column`.
pub fn field_value(column: &Column, raw: &Json) -> Result<Value, Reason> {
    if raw.is_null() {
        if column.nullable {
            return Ok(Value::Null);
        }
        return Err("must not be null".to_owned());
    }

    match column.kind {
        Kind::Text => text(column, raw),
        Kind::Integer => integer(raw),
        Kind::Real => real(raw),
        Kind::Bool => boolean(raw),
        Kind::JsonList => json_list(raw),
        Kind::JsonObject => json_object(raw),
        Kind::Timestamp => timestamp(raw),
    }
}

fn text(column: &Column, raw: &Json) -> Result<Value, Reason> {
    let Json::String(text) = raw else {
        return Err("must be a string".to_owned());
    };

    let chars = text.chars().count();
    if chars < column.min_chars {
        return Err(match column.min_chars {
            1 => "must not be empty".to_owned(),
            min => format!("must be at least {min} characters"),
        });
    }
    if let Some(max) = column.max_chars.filter(|max| chars > *max) {
        return Err(format!("must be at most {max} characters"));
    }

    Ok(Value::Text(text.clone()))
}

/// Integer columns are 32-bit in both databases.
fn integer(raw: &Json) -> Result<Value, Reason> {
    let number = match raw {
        Json::Number(number) => number
            .as_i64()
            .or_else(|| number.as_f64().and_then(integral)),
        Json::String(text) => integer_text(text),
        _ => None,
    };
    let number = number.ok_or_else(|| "must be an integer".to_owned())?;

    if i32::try_from(number).is_err() {
        return Err("must fit in a 32-bit integer".to_owned());
    }

    Ok(Value::Integer(number))
}

fn integer_text(text: &str) -> Option<i64> {
    text.parse::<i64>()
        .ok()
        .or_else(|| text.parse::<f64>().ok().and_then(integral))
}

/// A whole, finite float as an integer. Out-of-range values saturate, so they
/// are then refused as too large rather than as not integral.
fn integral(number: f64) -> Option<i64> {
    (number.is_finite() && number.fract() == 0.0).then_some(number as i64)
}

fn real(raw: &Json) -> Result<Value, Reason> {
    let number = match raw {
        Json::Number(number) => number.as_f64(),
        Json::String(text) => text.parse::<f64>().ok(),
        _ => None,
    };

    match number.filter(|number| number.is_finite()) {
        Some(number) => Ok(Value::Real(number)),
        None => Err("must be a finite number".to_owned()),
    }
}

/// SQLite has no booleans: the app sends 0/1, sometimes as text.
fn boolean(raw: &Json) -> Result<Value, Reason> {
    let flag = match raw {
        Json::Bool(flag) => Some(*flag),
        Json::Number(number) => match number.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Json::String(text) => match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    };

    flag.map(Value::Bool)
        .ok_or_else(|| "must be a boolean (true/false or 0/1)".to_owned())
}

fn json_list(raw: &Json) -> Result<Value, Reason> {
    let refused = || "must be a list of strings, or JSON text holding one".to_owned();
    let list = decoded(raw).ok_or_else(refused)?;

    match &list {
        Json::Array(items) if items.iter().all(Json::is_string) => Ok(Value::Json(list)),
        _ => Err(refused()),
    }
}

fn json_object(raw: &Json) -> Result<Value, Reason> {
    let refused = || "must be a JSON object, or JSON text holding one".to_owned();
    let object = decoded(raw).ok_or_else(refused)?;

    match object {
        Json::Object(_) => Ok(Value::Json(object)),
        _ => Err(refused()),
    }
}

/// A JSON column's value: decoded already, or JSON text to decode.
fn decoded(raw: &Json) -> Option<Json> {
    match raw {
        Json::String(text) => serde_json::from_str(text).ok(),
        other => Some(other.clone()),
    }
}

fn timestamp(raw: &Json) -> Result<Value, Reason> {
    raw.as_str()
        .and_then(parse_timestamp)
        .map(Value::Timestamp)
        .ok_or_else(|| "must be an ISO-8601 date-time with a time zone offset".to_owned())
}

/// RFC 3339 with `T` or a space, plus offsets written `+0200` or `+00` (as
/// PostgreSQL prints them). A time without an offset is refused: guessing
/// its zone would shift the stored instant by hours.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    const LENIENT: [&str; 2] = ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z"];

    DateTime::parse_from_rfc3339(text)
        .ok()
        .or_else(|| {
            LENIENT
                .iter()
                .find_map(|format| DateTime::parse_from_str(text, format).ok())
        })
        .map(|at| at.with_timezone(&Utc))
}
