//! Random field values, derived from a column's kind and limits so that a new
//! column in the entity declaration is simulated without touching this file.
//!
//! A valid value comes in two forms: what is sent, in one of the spellings the
//! app's local SQLite may produce (`0`/`1` for a boolean, an integer as text, a
//! date-time with an offset), and what the server must store, normalised as
//! the store reads it back (a boolean, a number, the instant in UTC).

use chrono::{DateTime, FixedOffset, Offset, SecondsFormat, Utc};
use rand::Rng;
use rand::seq::IndexedRandom;
use serde_json::{Value as Json, json};

use crate::sync::{Column, Kind};

/// A valid value as sent and as it must be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    pub sent: Json,
    pub stored: Json,
}

impl Generated {
    fn same(value: Json) -> Self {
        Generated {
            sent: value.clone(),
            stored: value,
        }
    }
}

/// Letters, a space and a few characters outside ASCII, so limits counted in
/// characters and limits counted in bytes would disagree.
const ALPHABET: &[char] = &[
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'k', 'l', 'm', 'n', 'o', 'p', 'r', 's', 't', 'u',
    'w', 'y', ' ', 'é', 'ß', 'ø', '書',
];

/// A value `column` accepts. Nullable columns are sometimes null.
pub fn valid(rng: &mut impl Rng, column: &Column) -> Generated {
    if column.nullable && rng.random_bool(0.1) {
        return Generated::same(Json::Null);
    }

    match column.kind {
        Kind::Text => Generated::same(Json::String(text(rng, column))),
        Kind::Integer => integer(rng),
        Kind::Real => Generated::same(json!(real(rng))),
        Kind::Bool => boolean(rng),
        Kind::JsonList => {
            let list = string_list(rng);
            json_text_or_value(rng, list)
        }
        Kind::JsonObject => {
            let object = object(rng);
            json_text_or_value(rng, object)
        }
        Kind::Timestamp => timestamp(rng),
    }
}

/// Text within the column's limits; one time in ten exactly as long as allowed.
fn text(rng: &mut impl Rng, column: &Column) -> String {
    let longest = column.max_chars.unwrap_or(300);
    let length = if rng.random_bool(0.1) {
        longest
    } else {
        rng.random_range(column.min_chars..=longest.min(40).max(column.min_chars))
    };

    (0..length)
        .map(|_| *ALPHABET.choose(rng).unwrap_or(&'a'))
        .collect()
}

/// Integer columns are 32-bit; the bounds themselves are sent now and then.
fn integer(rng: &mut impl Rng) -> Generated {
    let number = match rng.random_range(0..10) {
        0 => i64::from(i32::MAX),
        1 => i64::from(i32::MIN),
        _ => rng.random_range(-1000..100_000),
    };

    let sent = if rng.random_bool(0.2) {
        json!(number.to_string())
    } else {
        json!(number)
    };
    Generated {
        sent,
        stored: json!(number),
    }
}

/// A number at full double precision, so the round trip through the server's
/// JSON parser and both stores is checked to the last digit.
fn real(rng: &mut impl Rng) -> f64 {
    rng.random_range(-1_000_000.0..1_000_000.0)
}

/// The app's SQLite has no booleans, so 0/1 is the usual spelling.
fn boolean(rng: &mut impl Rng) -> Generated {
    let flag = rng.random_bool(0.5);
    let sent = if rng.random_bool(0.7) {
        json!(i64::from(flag))
    } else {
        json!(flag)
    };

    Generated {
        sent,
        stored: json!(flag),
    }
}

fn string_list(rng: &mut impl Rng) -> Json {
    let names: Vec<String> = (0..rng.random_range(0..4))
        .map(|_| {
            let name: String = (0..rng.random_range(1..12))
                .map(|_| *ALPHABET.choose(rng).unwrap_or(&'a'))
                .collect();
            name
        })
        .collect();
    json!(names)
}

/// Integers only, so that a number cannot come back as `1.0` for `1`.
fn object(rng: &mut impl Rng) -> Json {
    let mut object = serde_json::Map::new();
    for key in 0..rng.random_range(0..4) {
        let value = match rng.random_range(0..4) {
            0 => json!(rng.random_range(-50..50)),
            1 => json!(rng.random_bool(0.5)),
            2 => json!({ "nested": [key, "deep"] }),
            _ => json!(format!("value {key}")),
        };
        object.insert(format!("key{key}"), value);
    }
    Json::Object(object)
}

/// JSON columns usually arrive decoded, sometimes as the JSON text itself.
fn json_text_or_value(rng: &mut impl Rng, value: Json) -> Generated {
    let sent = if rng.random_bool(0.25) {
        Json::String(value.to_string())
    } else {
        value.clone()
    };

    Generated {
        sent,
        stored: value,
    }
}

/// An instant between 2000 and 2030 with microsecond precision (what both
/// databases keep), written with a random offset.
fn timestamp(rng: &mut impl Rng) -> Generated {
    let seconds = rng.random_range(946_684_800..1_893_456_000_i64);
    let micros = rng.random_range(0..1_000_000_u32);
    let instant = DateTime::<Utc>::from_timestamp(seconds, micros * 1000).unwrap_or_default();

    let offset_minutes = *[0, 120, -300, 330].choose(rng).unwrap_or(&0);
    let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap_or_else(|| Utc.fix());
    Generated {
        sent: json!(
            instant
                .with_timezone(&offset)
                .to_rfc3339_opts(SecondsFormat::Micros, false)
        ),
        stored: json!(instant.to_rfc3339_opts(SecondsFormat::Micros, true)),
    }
}

/// A value `column` must refuse: the wrong type, or outside its limits.
pub fn invalid(rng: &mut impl Rng, column: &Column) -> Json {
    if !column.nullable && rng.random_bool(0.2) {
        return Json::Null;
    }

    match column.kind {
        Kind::Text => match column.max_chars {
            Some(max) if rng.random_bool(0.5) => json!("x".repeat(max + 1)),
            _ => json!(42),
        },
        Kind::Integer => json!(*["many", "3.5", "1e12"].choose(rng).unwrap_or(&"many")),
        Kind::Real => json!("far"),
        Kind::Bool => json!("maybe"),
        Kind::JsonList => json!([1, 2]),
        Kind::JsonObject => json!(["not", "an", "object"]),
        Kind::Timestamp => json!(
            *["yesterday", "2024-01-01T10:00:00"]
                .choose(rng)
                .unwrap_or(&"")
        ),
    }
}
