//! The books declaration and the registry agree with the table.

use std::collections::HashSet;

use crate::sync::books::BOOKS;
use crate::sync::entity;

/// The books table of the initial migration, in order, as (name, NOT NULL).
const TABLE: [(&str, bool); 22] = [
    ("book_id", true),
    ("owner_user_id", true),
    ("title", true),
    ("subtitle", false),
    ("author", false),
    ("co_authors", false),
    ("isbn", false),
    ("isbn13", false),
    ("publisher", false),
    ("language", false),
    ("page_count", false),
    ("description", false),
    ("cover_image_url", false),
    ("reading_status", false),
    ("current_page", false),
    ("current_position", false),
    ("current_cfi", false),
    ("is_favorite", true),
    ("rating", false),
    ("custom_metadata", false),
    ("added_at", true),
    ("updated_at", true),
];

#[test]
fn declared_columns_match_the_table_in_order_and_nullability() {
    let declared: Vec<_> = BOOKS
        .columns
        .iter()
        .map(|c| (c.name, !c.nullable))
        .collect();

    assert_eq!(declared, TABLE[2..21].to_vec());
    assert_eq!(
        (BOOKS.id_column, BOOKS.owner_column, BOOKS.updated_column),
        (TABLE[0].0, TABLE[1].0, TABLE[21].0)
    );
}

#[test]
fn server_controlled_fields_are_not_client_columns() {
    let names: HashSet<_> = BOOKS.columns.iter().map(|column| column.name).collect();

    assert_eq!(
        names.len(),
        BOOKS.columns.len(),
        "a column is declared twice"
    );
    for field in BOOKS.server_controlled {
        assert!(
            !names.contains(field),
            "{field} is both writable and server-controlled"
        );
    }
    assert_eq!(BOOKS.server_controlled, ["owner_user_id", "updated_at"]);
}

#[test]
fn only_title_is_required_for_an_insert() {
    let required: Vec<_> = BOOKS.required_for_insert().map(|c| c.name).collect();

    assert_eq!(required, ["title"]);
}

#[test]
fn the_registry_finds_books_by_type() {
    assert!(entity("books").is_some_and(|found| std::ptr::eq(found, &BOOKS)));
    assert!(entity("Books").is_none());
    assert!(entity("users").is_none());
}
