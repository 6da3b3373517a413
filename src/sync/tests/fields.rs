//! Each field's accepted and refused values.

use chrono::{TimeZone, Utc};
use serde_json::{Value as Json, json};

use crate::sync::books::BOOKS;
use crate::sync::validate::field_value;
use crate::sync::value::{SqliteValue, Value, timestamp_text};

fn check(field: &str, raw: Json) -> Result<Value, String> {
    let column = BOOKS
        .column(field)
        .unwrap_or_else(|| panic!("{field} is not declared"));
    field_value(column, &raw)
}

fn assert_refused(field: &str, raw: Json) {
    let result = check(field, raw.clone());
    assert!(
        result.is_err(),
        "{field} = {raw} was accepted as {result:?}"
    );
}

#[test]
fn integers_accept_integral_numbers_and_numeric_text() {
    for field in ["page_count", "current_page", "rating"] {
        assert_eq!(check(field, json!(3)), Ok(Value::Integer(3)));
        assert_eq!(check(field, json!(3.0)), Ok(Value::Integer(3)));
        assert_eq!(check(field, json!("12")), Ok(Value::Integer(12)));
        assert_eq!(check(field, json!(-7)), Ok(Value::Integer(-7)));
        assert_eq!(
            check(field, json!(i32::MAX)),
            Ok(Value::Integer(i64::from(i32::MAX)))
        );
        assert_eq!(check(field, Json::Null), Ok(Value::Null));
    }
}

#[test]
fn integers_refuse_fractions_garbage_and_overflow() {
    for field in ["page_count", "current_page", "rating"] {
        assert_refused(field, json!(3.5));
        assert_refused(field, json!("12a"));
        assert_refused(field, json!("3.5"));
        assert_refused(field, json!(true));
        assert_refused(field, json!([1]));
        assert_refused(field, json!(i64::from(i32::MAX) + 1));
        assert_refused(field, json!(i64::from(i32::MIN) - 1));
        assert_refused(field, json!(1e20));
        assert_refused(field, json!("99999999999999999999"));
    }
    assert_eq!(
        check("rating", json!(3.5)),
        Err("must be an integer".to_owned())
    );
    assert_eq!(
        check("rating", json!(2_147_483_648_i64)),
        Err("must fit in a 32-bit integer".to_owned())
    );
}

#[test]
fn current_position_is_a_finite_number() {
    assert_eq!(
        check("current_position", json!(0.25)),
        Ok(Value::Real(0.25))
    );
    assert_eq!(check("current_position", json!(4)), Ok(Value::Real(4.0)));
    assert_eq!(
        check("current_position", json!("0.5")),
        Ok(Value::Real(0.5))
    );
    assert_eq!(check("current_position", Json::Null), Ok(Value::Null));

    assert_refused("current_position", json!("NaN"));
    assert_refused("current_position", json!("inf"));
    assert_refused("current_position", json!("half"));
    assert_refused("current_position", json!(false));
}

#[test]
fn is_favorite_takes_booleans_as_sqlite_sends_them() {
    for (raw, expected) in [
        (json!(true), true),
        (json!(false), false),
        (json!(1), true),
        (json!(0), false),
        (json!("true"), true),
        (json!("false"), false),
    ] {
        assert_eq!(check("is_favorite", raw), Ok(Value::Bool(expected)));
    }
}

#[test]
fn is_favorite_refuses_other_values_and_null() {
    assert_refused("is_favorite", json!(2));
    assert_refused("is_favorite", json!("yes"));
    assert_refused("is_favorite", json!(0.5));
    assert_eq!(
        check("is_favorite", Json::Null),
        Err("must not be null".to_owned())
    );
}

#[test]
fn co_authors_is_a_list_of_strings_decoded_or_as_text() {
    let list = json!(["Ann", "Bo"]);
    assert_eq!(
        check("co_authors", list.clone()),
        Ok(Value::Json(list.clone()))
    );
    assert_eq!(
        check("co_authors", json!("[\"Ann\",\"Bo\"]")),
        Ok(Value::Json(list))
    );
    assert_eq!(check("co_authors", json!([])), Ok(Value::Json(json!([]))));
    assert_eq!(check("co_authors", Json::Null), Ok(Value::Null));

    assert_refused("co_authors", json!([1]));
    assert_refused("co_authors", json!("[1]"));
    assert_refused("co_authors", json!("not json"));
    assert_refused("co_authors", json!({ "a": "b" }));
    assert_refused("co_authors", json!("Ann"));
}

#[test]
fn custom_metadata_is_an_object_decoded_or_as_text() {
    let object = json!({ "shelf": "top", "n": 2 });
    assert_eq!(
        check("custom_metadata", object.clone()),
        Ok(Value::Json(object.clone()))
    );
    assert_eq!(
        check("custom_metadata", json!("{\"shelf\":\"top\",\"n\":2}")),
        Ok(Value::Json(object))
    );
    assert_eq!(check("custom_metadata", Json::Null), Ok(Value::Null));

    assert_refused("custom_metadata", json!([]));
    assert_refused("custom_metadata", json!("[]"));
    assert_refused("custom_metadata", json!("{broken"));
    assert_refused("custom_metadata", json!(7));
}

#[test]
fn added_at_is_normalised_to_utc() {
    let expected = Utc.with_ymd_and_hms(2026, 12, 3, 14, 28, 19).single();
    let expected = expected.map(Value::Timestamp).ok_or("no such instant");

    for text in [
        "2026-12-03T16:28:19+02:00",
        "2026-12-03T14:28:19Z",
        "2026-12-03 14:28:19Z",
        "2026-12-03T16:28:19+0200",
        "2026-12-03 14:28:19+00",
    ] {
        assert_eq!(
            check("added_at", json!(text)).map_err(|_| "refused"),
            expected,
            "{text}"
        );
    }
}

#[test]
fn added_at_keeps_microseconds_and_refuses_garbage() {
    let Ok(Value::Timestamp(at)) = check("added_at", json!("2026-12-03T16:28:19.123456Z")) else {
        panic!("a valid timestamp was refused");
    };
    assert_eq!(timestamp_text(&at), "2026-12-03T16:28:19.123456Z");

    assert_refused("added_at", json!("yesterday"));
    assert_refused("added_at", json!("2026-12-03"));
    assert_refused("added_at", json!("2026-12-03T16:28:19"));
    assert_refused("added_at", json!(1_764_000_000));
    assert_refused("added_at", Json::Null);
}

#[test]
fn text_lengths_are_counted_in_characters() {
    let limits = [
        ("title", 500),
        ("subtitle", 500),
        ("author", 255),
        ("isbn", 32),
        ("isbn13", 32),
        ("publisher", 255),
        ("language", 16),
        ("cover_image_url", 2048),
        ("reading_status", 32),
    ];
    for (field, max) in limits {
        // "é" is two bytes: the longest allowed value is twice as many bytes.
        assert!(
            check(field, json!("é".repeat(max))).is_ok(),
            "{field} at {max}"
        );
        assert_eq!(
            check(field, json!("é".repeat(max + 1))),
            Err(format!("must be at most {max} characters")),
        );
    }
}

#[test]
fn unbounded_text_and_nullable_text() {
    let long = "x".repeat(100_000);
    for field in ["description", "current_cfi"] {
        assert_eq!(check(field, json!(long)), Ok(Value::Text(long.clone())));
    }
    assert_eq!(check("subtitle", Json::Null), Ok(Value::Null));
    assert_refused("author", json!(12));
}

#[test]
fn title_is_required_and_not_empty() {
    assert_eq!(
        check("title", json!("Dune")),
        Ok(Value::Text("Dune".to_owned()))
    );
    assert_eq!(
        check("title", json!("")),
        Err("must not be empty".to_owned())
    );
    assert_eq!(
        check("title", Json::Null),
        Err("must not be null".to_owned())
    );
}

#[test]
fn sqlite_forms_of_values() {
    let at = Utc
        .with_ymd_and_hms(2026, 12, 3, 16, 28, 19)
        .single()
        .map(Value::Timestamp);
    let at = at.map(|value| value.to_sqlite());

    assert_eq!(
        at,
        Some(SqliteValue::Text("2026-12-03T16:28:19.000000Z".to_owned()))
    );
    assert_eq!(Value::Bool(true).to_sqlite(), SqliteValue::Integer(1));
    assert_eq!(
        Value::Json(json!(["a"])).to_sqlite(),
        SqliteValue::Text("[\"a\"]".to_owned())
    );
    assert_eq!(Value::Null.to_sqlite(), SqliteValue::Null);
}
