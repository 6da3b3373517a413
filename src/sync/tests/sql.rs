//! The generated SQL for books, spot-checked verbatim in both dialects.

use crate::sync::Dialect::{Postgres, Sqlite};
use crate::sync::books::BOOKS;
use crate::sync::entity::Column;
use crate::sync::sql::{delete_sql, insert_sql, lock_owner_sql, select_all_sql, update_sql};
use crate::sync::{stream_columns, stream_query};

fn columns(names: &[&str]) -> Vec<&'static Column> {
    names.iter().filter_map(|name| BOOKS.column(name)).collect()
}

#[test]
fn lock_owner() {
    assert_eq!(
        lock_owner_sql(&BOOKS, Postgres),
        "SELECT owner_user_id FROM books WHERE book_id = $1::uuid FOR UPDATE"
    );
    assert_eq!(
        lock_owner_sql(&BOOKS, Sqlite),
        "SELECT owner_user_id FROM books WHERE book_id = ?1"
    );
}

#[test]
fn insert_casts_each_parameter_in_postgres() {
    let given = columns(&["title", "co_authors", "rating", "is_favorite", "added_at"]);

    assert_eq!(
        insert_sql(&BOOKS, &given, Postgres),
        "INSERT INTO books (book_id, owner_user_id, title, co_authors, rating, is_favorite, \
         added_at, updated_at) VALUES ($1::uuid, $2::uuid, $3, $4::jsonb, $5::integer, \
         $6::boolean, $7::timestamptz, $8::timestamptz)"
    );
    assert_eq!(
        insert_sql(&BOOKS, &given, Sqlite),
        "INSERT INTO books (book_id, owner_user_id, title, co_authors, rating, is_favorite, \
         added_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    );
}

#[test]
fn update_sets_given_columns_and_updated_at_on_the_owners_row() {
    let given = columns(&["current_position", "custom_metadata"]);

    assert_eq!(
        update_sql(&BOOKS, &given, Postgres),
        "UPDATE books SET current_position = $3::double precision, \
         custom_metadata = $4::jsonb, updated_at = $5::timestamptz \
         WHERE book_id = $1::uuid AND owner_user_id = $2::uuid"
    );
    assert_eq!(
        update_sql(&BOOKS, &given, Sqlite),
        "UPDATE books SET current_position = ?3, custom_metadata = ?4, updated_at = ?5 \
         WHERE book_id = ?1 AND owner_user_id = ?2"
    );
}

#[test]
fn an_update_of_nothing_only_touches_updated_at() {
    assert_eq!(
        update_sql(&BOOKS, &[], Sqlite),
        "UPDATE books SET updated_at = ?3 WHERE book_id = ?1 AND owner_user_id = ?2"
    );
}

#[test]
fn delete_is_scoped_by_owner() {
    assert_eq!(
        delete_sql(&BOOKS, Postgres),
        "DELETE FROM books WHERE book_id = $1::uuid AND owner_user_id = $2::uuid"
    );
    assert_eq!(
        delete_sql(&BOOKS, Sqlite),
        "DELETE FROM books WHERE book_id = ?1 AND owner_user_id = ?2"
    );
}

#[test]
fn select_all_lists_every_column() {
    let sql = select_all_sql(&BOOKS);

    assert!(
        sql.starts_with("SELECT book_id, owner_user_id, title, subtitle, "),
        "{sql}"
    );
    assert!(
        sql.ends_with(", added_at, updated_at FROM books ORDER BY book_id"),
        "{sql}"
    );
}

#[test]
fn stream_columns_are_exactly_the_declared_ones() {
    let mut expected = vec!["book_id", "owner_user_id"];
    expected.extend(BOOKS.columns.iter().map(|column| column.name));
    expected.push("updated_at");

    assert_eq!(stream_columns(&BOOKS), expected);
    assert_eq!(stream_columns(&BOOKS).len(), 22);
}

#[test]
fn stream_query_casts_for_sqlite_clients() {
    assert_eq!(
        stream_query(&BOOKS),
        "SELECT book_id::text AS id, owner_user_id::text AS owner_user_id, title, subtitle, \
         author, co_authors::text AS co_authors, isbn, isbn13, publisher, language, \
         page_count, description, cover_image_url, reading_status, current_page, \
         current_position, current_cfi, is_favorite, rating, \
         custom_metadata::text AS custom_metadata, added_at::text AS added_at, \
         updated_at::text AS updated_at FROM books WHERE owner_user_id::text = auth.user_id()"
    );
}
