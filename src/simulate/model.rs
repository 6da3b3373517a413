//! What one reader's books must be, by applying its accepted transactions with
//! the server's semantics: PUT and PATCH update the given fields of an
//! existing row, or create the row when it is missing, which needs every
//! column an insert cannot do without; DELETE removes the row, and a missing
//! row is not an error.
//!
//! A row holds only the fields some entry set, normalised as the store reads
//! them back. Columns nobody set are left to the database's defaults, which
//! the model does not predict.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use uuid::Uuid;

use super::generate::Entry;
use crate::sync::{Entity, Op};

/// The fields of one row the model knows, by column name.
pub type Row = BTreeMap<&'static str, Json>;

/// One reader's books of one entity, by id.
#[derive(Debug, Clone)]
pub struct Books {
    entity: &'static Entity,
    rows: BTreeMap<Uuid, Row>,
}

impl Books {
    pub fn new(entity: &'static Entity) -> Self {
        Books {
            entity,
            rows: BTreeMap::new(),
        }
    }

    pub fn entity(&self) -> &'static Entity {
        self.entity
    }

    pub fn rows(&self) -> &BTreeMap<Uuid, Row> {
        &self.rows
    }

    pub fn get(&self, id: Uuid) -> Option<&Row> {
        self.rows.get(&id)
    }

    pub fn ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.rows.keys().copied()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The books after a whole transaction, or why the server must refuse it.
    /// Like the server, nothing of a refused transaction is applied.
    pub fn after(&self, entries: &[Entry]) -> Result<Books, String> {
        let mut next = self.clone();
        for entry in entries {
            next.apply(entry)?;
        }

        Ok(next)
    }

    /// Applies one entry; an entry that would create a row without a required
    /// column is refused and leaves the books as they were.
    pub fn apply(&mut self, entry: &Entry) -> Result<(), String> {
        let written = entry
            .writes
            .iter()
            .map(|(column, value)| (column.name, value.clone()));
        if entry.op == Op::Delete {
            self.rows.remove(&entry.id);
            return Ok(());
        }

        if let Some(row) = self.rows.get_mut(&entry.id) {
            row.extend(written);
            return Ok(());
        }

        let row: Row = written.collect();
        let mut required = self.entity.required_for_insert();
        if let Some(missing) = required.find(|column| !row.contains_key(column.name)) {
            return Err(format!("creating {} needs {}", entry.id, missing.name));
        }
        self.rows.insert(entry.id, row);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sync::books::BOOKS;

    fn column(name: &str) -> &'static crate::sync::Column {
        BOOKS.column(name).unwrap()
    }

    fn entry(op: Op, id: Uuid, fields: &[(&str, Json)]) -> Entry {
        let writes = fields
            .iter()
            .map(|(name, value)| (column(name), value.clone()))
            .collect();
        Entry::new(&BOOKS, op, id, writes)
    }

    #[test]
    fn put_creates_then_updates_only_the_given_fields() {
        let id = Uuid::new_v4();
        let mut books = Books::new(&BOOKS);

        books
            .apply(&entry(
                Op::Put,
                id,
                &[("title", json!("Dune")), ("rating", json!(3))],
            ))
            .unwrap();
        books
            .apply(&entry(Op::Put, id, &[("rating", json!(5))]))
            .unwrap();

        let row = books.get(id).unwrap();
        assert_eq!(row["title"], json!("Dune"));
        assert_eq!(row["rating"], json!(5));
    }

    #[test]
    fn patch_of_a_missing_row_creates_it_and_needs_a_title() {
        let id = Uuid::new_v4();
        let mut books = Books::new(&BOOKS);

        let untitled = entry(Op::Patch, id, &[("rating", json!(1))]);
        assert!(books.apply(&untitled).unwrap_err().contains("title"));
        assert!(books.is_empty());

        books
            .apply(&entry(Op::Patch, id, &[("title", json!("Emma"))]))
            .unwrap();
        assert_eq!(books.len(), 1);
    }

    #[test]
    fn delete_of_a_missing_row_is_not_an_error() {
        let id = Uuid::new_v4();
        let mut books = Books::new(&BOOKS);
        books
            .apply(&entry(Op::Put, id, &[("title", json!("Ulysses"))]))
            .unwrap();

        books.apply(&entry(Op::Delete, id, &[])).unwrap();
        books.apply(&entry(Op::Delete, id, &[])).unwrap();

        assert!(books.is_empty());
    }

    #[test]
    fn a_refused_transaction_changes_nothing() {
        let kept = Uuid::new_v4();
        let mut books = Books::new(&BOOKS);
        books
            .apply(&entry(Op::Put, kept, &[("title", json!("Kept"))]))
            .unwrap();

        let transaction = [
            entry(Op::Put, kept, &[("title", json!("Changed"))]),
            entry(Op::Put, Uuid::new_v4(), &[("author", json!("Nobody"))]),
        ];
        assert!(books.after(&transaction).is_err());

        assert_eq!(books.get(kept).unwrap()["title"], json!("Kept"));
    }
}
