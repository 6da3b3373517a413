//! Unit tests of the sync module, one file per area.

mod batch;
mod declaration;
mod fields;
mod sql;

use serde_json::{Value as Json, json};

use super::{BatchError, CrudEntry, Rejection, parse_batch};

/// A row id in the canonical form the app sends.
const BOOK_ID: &str = "5b3c1d7e-8f2a-4c6b-9d0e-1a2b3c4d5e6f";

fn put(data: Json) -> Json {
    json!({ "op": "PUT", "type": "books", "id": BOOK_ID, "data": data })
}

fn parse(entries: Vec<Json>) -> Result<Vec<CrudEntry>, Rejection> {
    match parse_batch(&json!({ "batch": entries })) {
        Ok(entries) => Ok(entries),
        Err(BatchError::Rejected(rejection)) => Err(rejection),
        Err(malformed) => panic!("a batch was classified as {malformed:?}"),
    }
}

fn parse_one(entry: Json) -> Result<CrudEntry, Rejection> {
    parse(vec![entry]).map(|mut entries| entries.remove(0))
}

/// The `errors` of a rejection's details.
fn errors(rejection: &Rejection) -> Vec<Json> {
    rejection.details["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The `errors` a batch is rejected with; fails the test if it is accepted.
fn rejected(entries: Vec<Json>) -> Vec<Json> {
    match parse(entries) {
        Ok(_) => panic!("an invalid batch was accepted"),
        Err(rejection) => errors(&rejection),
    }
}
