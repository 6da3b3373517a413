//! Parsing whole upload batches: ops, members, rejections, malformed bodies.

use serde_json::json;
use uuid::Uuid;

use super::{BOOK_ID, parse, parse_one, put, rejected};
use crate::sync::value::Value;
use crate::sync::{BatchError, Op, VALIDATION_ERROR, parse_batch};

const OTHER_ID: &str = "0e9a2f3c-1b4d-4e5f-8a6b-7c8d9e0f1a2b";

#[test]
fn op_is_case_insensitive() {
    for (text, op) in [
        ("put", Op::Put),
        ("Patch", Op::Patch),
        ("dElEtE", Op::Delete),
    ] {
        let entry = json!({ "op": text, "type": "books", "id": BOOK_ID, "data": {} });
        assert_eq!(parse_one(entry).map(|entry| entry.op), Ok(op), "{text}");
    }
}

#[test]
fn other_top_level_members_are_ignored() {
    let entry = json!({
        "op": "PATCH", "type": "books", "id": BOOK_ID, "data": { "rating": 4 },
        "op_id": 17, "tx_id": 3, "metadata": "m", "old": { "rating": 2 }, "future": [1],
    });

    let parsed = parse_one(entry).map(|entry| (entry.id, entry.values.len()));
    assert_eq!(
        parsed,
        Ok((Uuid::parse_str(BOOK_ID).unwrap_or_default(), 1))
    );
}

#[test]
fn delete_ignores_data_whether_absent_null_or_full() {
    for data in [
        None,
        Some(json!(null)),
        Some(json!({ "title": "x", "bogus": 1 })),
    ] {
        let mut entry = json!({ "op": "DELETE", "type": "books", "id": BOOK_ID });
        if let Some(data) = data {
            entry["data"] = data;
        }

        let parsed = parse_one(entry).map(|entry| (entry.op, entry.values.is_empty()));
        assert_eq!(parsed, Ok((Op::Delete, true)));
    }
}

#[test]
fn put_and_patch_accept_missing_or_null_data() {
    let absent = json!({ "op": "PATCH", "type": "books", "id": BOOK_ID });
    let null = json!({ "op": "PUT", "type": "books", "id": BOOK_ID, "data": null });

    for entry in [absent, null] {
        assert_eq!(
            parse_one(entry).map(|entry| entry.values.is_empty()),
            Ok(true)
        );
    }
}

#[test]
fn values_come_typed_in_declaration_order() {
    let entry = parse_one(put(
        json!({ "rating": "5", "title": "Dune", "is_favorite": 1 }),
    ));
    let values = entry.map(|entry| {
        let named: Vec<_> = entry
            .values
            .iter()
            .map(|(c, v)| (c.name, v.clone()))
            .collect();
        named
    });

    let expected = vec![
        ("title", Value::Text("Dune".to_owned())),
        ("is_favorite", Value::Bool(true)),
        ("rating", Value::Integer(5)),
    ];
    assert_eq!(values, Ok(expected));
}

#[test]
fn server_controlled_fields_are_dropped() {
    let data = json!({ "title": "Dune", "owner_user_id": OTHER_ID, "updated_at": "garbage" });

    let names = parse_one(put(data)).map(|entry| entry.columns().len());
    assert_eq!(names, Ok(1));
}

#[test]
fn a_create_needs_a_title() {
    let without = parse_one(put(json!({ "rating": 3 })));
    let with = parse_one(put(json!({ "title": "Dune" })));

    assert_eq!(
        without.as_ref().map(|entry| entry.creates_need()),
        Ok(Some("title"))
    );
    assert_eq!(with.map(|entry| entry.creates_need()), Ok(None));

    let problem = without.map(|entry| entry.missing_problem("title").to_string());
    assert_eq!(
        problem,
        Ok(format!(
            "entry 0 (books {BOOK_ID}): title is required to create a new row"
        ))
    );
}

#[test]
fn an_unknown_field_is_rejected_with_entry_id_and_field() {
    let found = rejected(vec![
        put(json!({ "title": "A" })),
        put(json!({ "colour": "red" })),
    ]);

    let expected = json!({
        "entry": 1, "id": BOOK_ID, "type": "books", "field": "colour",
        "reason": "is not a known field",
    });
    assert_eq!(found, vec![expected]);
}

#[test]
fn an_unknown_type_is_rejected() {
    let entry = json!({ "op": "PUT", "type": "authors", "id": BOOK_ID, "data": { "x": 1 } });

    let expected = json!({
        "entry": 0, "id": BOOK_ID, "type": "authors", "field": "type",
        "reason": "is not a type this server syncs",
    });
    assert_eq!(rejected(vec![entry]), vec![expected]);
}

#[test]
fn ids_must_be_canonical_uuids() {
    let upper = BOOK_ID.to_uppercase();
    let simple = BOOK_ID.replace('-', "");
    for id in [
        json!("book-1"),
        json!(upper),
        json!(simple),
        json!(42),
        json!(null),
    ] {
        let entry = json!({ "op": "PUT", "type": "books", "id": id, "data": {} });

        let found = rejected(vec![entry]);
        assert_eq!(found.len(), 1, "{id}");
        assert_eq!(found[0]["field"], json!("id"), "{id}");
    }
}

#[test]
fn an_unknown_op_is_rejected() {
    let entry = json!({ "op": "MERGE", "type": "books", "id": BOOK_ID, "data": {} });

    let expected = json!({
        "entry": 0, "id": BOOK_ID, "type": "books", "field": "op",
        "reason": "must be PUT, PATCH or DELETE",
    });
    assert_eq!(rejected(vec![entry]), vec![expected]);
}

#[test]
fn every_problem_is_collected() {
    let batch = vec![
        put(json!({ "title": "ok" })),
        put(json!({ "rating": 3.5, "is_favorite": "yes", "colour": 1 })),
        json!("not an entry"),
        json!({ "op": "PUT", "type": "books", "id": "nope", "data": [] }),
    ];

    let found: Vec<_> = rejected(batch)
        .iter()
        .map(|error| (error["entry"].clone(), error["field"].clone()))
        .collect();
    let expected = [
        (1, "colour"),
        (1, "is_favorite"),
        (1, "rating"),
        (3, "id"),
        (3, "data"),
    ];
    let mut expected: Vec<_> = expected.iter().map(|(i, f)| (json!(i), json!(f))).collect();
    expected.insert(3, (json!(2), json!(null)));
    assert_eq!(found, expected);
}

#[test]
fn the_rejection_message_counts_and_names_the_first_problem() {
    let Err(rejection) = parse(vec![put(json!({ "rating": 3.5, "title": "" }))]) else {
        panic!("an invalid batch was accepted");
    };

    assert_eq!(rejection.code, VALIDATION_ERROR);
    assert_eq!(
        rejection.message,
        format!(
            "the upload was rejected with 2 problems, the first: \
             entry 0 (books {BOOK_ID}): title must not be empty"
        )
    );
}

#[test]
fn title_null_is_refused_even_in_a_patch() {
    let data = json!({ "title": null });
    let entry = json!({ "op": "PATCH", "type": "books", "id": BOOK_ID, "data": data });

    let found = rejected(vec![entry]);
    assert_eq!(found[0]["field"], json!("title"));
    assert_eq!(found[0]["reason"], json!("must not be null"));
}

#[test]
fn malformed_bodies_are_not_rejections() {
    let bodies = [
        json!([]),
        json!("batch"),
        json!({}),
        json!({ "batch": null }),
        json!({ "batch": { "op": "PUT" } }),
    ];
    for body in bodies {
        let result = parse_batch(&body);
        assert!(
            matches!(result, Err(BatchError::Malformed(_))),
            "{body}: {result:?}"
        );
    }
}

#[test]
fn an_empty_batch_is_valid() {
    assert_eq!(parse(vec![]).map(|entries| entries.len()), Ok(0));
}
