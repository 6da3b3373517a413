//! Holding a reader's modelled books against the rows the store returns.
//!
//! Only fields the model set are compared, each by its column's kind: numbers
//! numerically (an integer column may come back as `5.0`), booleans whether
//! stored as `true` or `1`, JSON structurally, date-times as instants. A row
//! the model has and the store lacks is missing; the reverse is extra.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value as Json};

use super::model::{Books, Row};
use crate::sync::Kind;
use crate::sync::validate::parse_timestamp;

/// One way the stored books differ from the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Difference {
    Missing {
        reader: u32,
        id: String,
    },
    Extra {
        reader: u32,
        id: String,
    },
    Field {
        reader: u32,
        id: String,
        field: &'static str,
        expected: Json,
        actual: Json,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Missing { reader, id } => {
                write!(f, "reader {reader}: book {id} is missing from the database")
            }
            Difference::Extra { reader, id } => {
                write!(
                    f,
                    "reader {reader}: book {id} is in the database but not in the model"
                )
            }
            Difference::Field {
                reader,
                id,
                field,
                expected,
                actual,
            } => write!(
                f,
                "reader {reader}: book {id} has {field} = {actual}, expected {expected}"
            ),
        }
    }
}

/// Every difference between `books` and the reader's rows as the store read
/// them (each with its id under `"id"`), in id order.
pub fn compare_books(reader: u32, books: &Books, stored: &[Map<String, Json>]) -> Vec<Difference> {
    let mut by_id: BTreeMap<String, &Map<String, Json>> = stored
        .iter()
        .map(|row| (row.get("id").map(id_text).unwrap_or_default(), row))
        .collect();

    let mut differences = Vec::new();
    for (id, expected) in books.rows() {
        let id = id.to_string();
        match by_id.remove(&id) {
            Some(actual) => differences.extend(compare_row(reader, &id, books, expected, actual)),
            None => differences.push(Difference::Missing { reader, id }),
        }
    }

    differences.extend(by_id.into_keys().map(|id| Difference::Extra { reader, id }));
    differences
}

fn id_text(id: &Json) -> String {
    match id {
        Json::String(text) => text.to_lowercase(),
        other => other.to_string(),
    }
}

fn compare_row(
    reader: u32,
    id: &str,
    books: &Books,
    expected: &Row,
    actual: &Map<String, Json>,
) -> Vec<Difference> {
    let entity = books.entity();
    let mut differences = Vec::new();
    for (field, want) in expected {
        let got = actual.get(*field).unwrap_or(&Json::Null);
        let kind = entity
            .column(field)
            .map_or(Kind::Text, |column| column.kind);

        if !same(kind, want, got) {
            differences.push(Difference::Field {
                reader,
                id: id.to_owned(),
                field,
                expected: want.clone(),
                actual: got.clone(),
            });
        }
    }

    differences
}

/// Whether a stored value is the one the model expects, for a column of `kind`.
pub fn same(kind: Kind, expected: &Json, actual: &Json) -> bool {
    if expected.is_null() || actual.is_null() {
        return expected.is_null() && actual.is_null();
    }

    match kind {
        Kind::Integer | Kind::Real => match (expected.as_f64(), actual.as_f64()) {
            (Some(want), Some(got)) => want == got,
            _ => false,
        },
        Kind::Bool => as_bool(expected).is_some() && as_bool(expected) == as_bool(actual),
        Kind::Timestamp => {
            let instant = |value: &Json| value.as_str().and_then(parse_timestamp);
            instant(expected).is_some() && instant(expected) == instant(actual)
        }
        Kind::Text | Kind::JsonList | Kind::JsonObject => expected == actual,
    }
}

fn as_bool(value: &Json) -> Option<bool> {
    match value {
        Json::Bool(flag) => Some(*flag),
        Json::Number(number) => match number.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::simulate::generate::Entry;
    use crate::sync::Op;
    use crate::sync::books::BOOKS;

    fn books_with(id: Uuid, fields: &[(&str, Json)]) -> Books {
        let writes = fields
            .iter()
            .map(|(name, value)| (BOOKS.column(name).unwrap(), value.clone()))
            .collect();
        let mut books = Books::new(&BOOKS);
        books
            .apply(&Entry::new(&BOOKS, Op::Put, id, writes))
            .unwrap();
        books
    }

    fn stored(id: Uuid, fields: Json) -> Map<String, Json> {
        let mut row = fields.as_object().unwrap().clone();
        row.insert("id".into(), json!(id.to_string()));
        row
    }

    #[test]
    fn equal_values_in_other_spellings_match() {
        let id = Uuid::new_v4();
        let books = books_with(
            id,
            &[
                ("title", json!("Dune")),
                ("current_position", json!(2.0)),
                ("page_count", json!(412)),
                ("is_favorite", json!(true)),
                ("added_at", json!("2024-05-01T10:00:00.000001Z")),
                ("custom_metadata", json!({"a": [1, "b"]})),
            ],
        );
        let row = stored(
            id,
            json!({
                "title": "Dune", "current_position": 2, "page_count": 412.0,
                "is_favorite": 1, "added_at": "2024-05-01T12:00:00.000001+02:00",
                "custom_metadata": {"a": [1, "b"]}, "rating": null
            }),
        );

        assert_eq!(compare_books(0, &books, &[row]), vec![]);
    }

    #[test]
    fn missing_extra_and_changed_rows_are_reported() {
        let kept = Uuid::new_v4();
        let mut books = books_with(kept, &[("title", json!("Kept")), ("rating", json!(4))]);
        let lost = Uuid::new_v4();
        books
            .apply(&Entry::new(
                &BOOKS,
                Op::Put,
                lost,
                vec![(BOOKS.column("title").unwrap(), json!("Lost"))],
            ))
            .unwrap();
        let stray = Uuid::new_v4();

        let rows = [
            stored(kept, json!({"title": "Kept", "rating": 5})),
            stored(stray, json!({"title": "Stray"})),
        ];
        let differences = compare_books(3, &books, &rows);

        assert_eq!(differences.len(), 3, "{differences:?}");
        assert!(differences.contains(&Difference::Field {
            reader: 3,
            id: kept.to_string(),
            field: "rating",
            expected: json!(4),
            actual: json!(5),
        }));
        assert!(differences.contains(&Difference::Missing {
            reader: 3,
            id: lost.to_string()
        }));
        assert!(differences.contains(&Difference::Extra {
            reader: 3,
            id: stray.to_string()
        }));
    }

    #[test]
    fn null_matches_only_null_or_absent() {
        assert!(same(Kind::Text, &Json::Null, &Json::Null));
        assert!(!same(Kind::Text, &Json::Null, &json!("")));
        assert!(!same(Kind::Integer, &json!(0), &Json::Null));
        assert!(!same(
            Kind::Timestamp,
            &json!("not a time"),
            &json!("not a time")
        ));
    }
}
