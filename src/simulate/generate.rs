//! Random transactions for one reader, drawn from a stream seeded by the run's
//! seed and the reader's number, so the content of a run does not depend on
//! how its readers interleave.
//!
//! Valid transactions create, update and delete the reader's own books, and
//! each entry is drawn against the books as the earlier entries of the same
//! transaction leave them. Every reader has an anchor book, created by its
//! first transaction and never deleted, which other readers use as the
//! foreign row of a fault.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::model::Books;
use super::values::{self, Generated};
use crate::sync::{Column, Entity, Op};

/// Field names no synced entity may declare, for the unknown-field fault.
const UNKNOWN_FIELDS: &[&str] = &["shelf", "loaned_to", "reading_goal", "owner_email"];

/// One CRUD entry: what is sent, and what it writes if it is applied.
#[derive(Debug, Clone)]
pub struct Entry {
    pub entity: &'static Entity,
    pub op: Op,
    pub id: Uuid,
    /// `data` as sent; `None` for DELETE.
    pub data: Option<Map<String, Json>>,
    /// The declared fields written, normalised as the store reads them back.
    pub writes: Vec<(&'static Column, Json)>,
}

impl Entry {
    /// An entry that sends every value in its stored form.
    pub fn new(
        entity: &'static Entity,
        op: Op,
        id: Uuid,
        writes: Vec<(&'static Column, Json)>,
    ) -> Self {
        let generated = writes
            .into_iter()
            .map(|(column, value)| {
                (
                    column,
                    Generated {
                        sent: value.clone(),
                        stored: value,
                    },
                )
            })
            .collect();
        Entry::generated(entity, op, id, generated)
    }

    fn generated(
        entity: &'static Entity,
        op: Op,
        id: Uuid,
        fields: Vec<(&'static Column, Generated)>,
    ) -> Self {
        let data = (op != Op::Delete).then(|| {
            let sent = fields
                .iter()
                .map(|(column, value)| (column.name.to_owned(), value.sent.clone()));
            sent.collect()
        });

        Entry {
            entity,
            op,
            id,
            data,
            writes: fields
                .into_iter()
                .map(|(column, value)| (column, value.stored))
                .collect(),
        }
    }

    /// The entry as the PowerSync SDK's `CrudEntry.toJson()` writes it.
    pub fn to_json(&self, op_id: u64, tx_id: u64) -> Json {
        json!({
            "op_id": op_id,
            "op": self.op.as_str(),
            "type": self.entity.name,
            "id": self.id.to_string(),
            "tx_id": tx_id,
            "data": self.data,
        })
    }
}

/// Why a fault transaction must be rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A PUT of a row another reader owns.
    ForeignRow,
    /// A field the entity does not declare.
    UnknownField,
    /// A value of the wrong type, or outside the column's limits.
    BadValue,
    /// A create without a column every insert needs; only the store can tell.
    MissingRequired,
}

impl Fault {
    /// The error code the server must reject the transaction with.
    pub const fn expected_code(self) -> &'static str {
        match self {
            Fault::ForeignRow => "FORBIDDEN",
            Fault::UnknownField | Fault::BadValue | Fault::MissingRequired => {
                crate::sync::VALIDATION_ERROR
            }
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Fault::ForeignRow => "foreign row",
            Fault::UnknownField => "unknown field",
            Fault::BadValue => "bad value",
            Fault::MissingRequired => "missing required field",
        }
    }
}

/// What the server must answer to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Applied,
    Rejected(Fault),
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub entries: Vec<Entry>,
    pub expect: Expect,
}

impl Transaction {
    /// The upload request body, numbering entries from `first_op_id`.
    pub fn body(&self, tx_id: u64, first_op_id: u64) -> Json {
        let batch: Vec<Json> = self
            .entries
            .iter()
            .zip(first_op_id..)
            .map(|(entry, op_id)| entry.to_json(op_id, tx_id))
            .collect();
        json!({ "batch": batch })
    }
}

/// The seed of reader `reader`'s stream: the run's seed mixed with a
/// SplitMix64 step of the reader's number, so neighbouring readers and
/// neighbouring seeds give unrelated streams.
pub fn reader_seed(seed: u64, reader: u32) -> u64 {
    let mut mixed = u64::from(reader).wrapping_add(0x9E37_79B9_7F4A_7C15);
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    seed ^ mixed ^ (mixed >> 31)
}

/// One reader's source of transactions.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: ChaCha8Rng,
    entity: &'static Entity,
    max_entries: usize,
    anchor: Uuid,
}

impl Generator {
    /// `max_entries` is the most entries a valid transaction holds (at least 1).
    pub fn new(seed: u64, reader: u32, entity: &'static Entity, max_entries: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(reader_seed(seed, reader));
        let anchor = new_id(&mut rng);

        Generator {
            rng,
            entity,
            max_entries: max_entries.max(1),
            anchor,
        }
    }

    /// The book this reader creates first and never deletes.
    pub fn anchor(&self) -> Uuid {
        self.anchor
    }

    /// The reader's first transaction: it creates the anchor book.
    pub fn first(&mut self, books: &Books) -> Transaction {
        let anchor = self.create(Op::Put, self.anchor);
        let mut working = books.clone();
        let _ = working.apply(&anchor);

        let extra = self.rng.random_range(0..self.max_entries);
        let (rest, _) = self.valid_entries(&working, extra);
        let entries = std::iter::once(anchor).chain(rest).collect();
        Transaction {
            entries,
            expect: Expect::Applied,
        }
    }

    /// A transaction the server must apply, given the reader's current books.
    pub fn valid(&mut self, books: &Books) -> Transaction {
        let count = self.rng.random_range(1..=self.max_entries);

        let (entries, _) = self.valid_entries(books, count);
        Transaction {
            entries,
            expect: Expect::Applied,
        }
    }

    /// A transaction the server must reject: valid entries, then a bad one.
    /// `foreign` are rows other readers own; without any, no foreign-row fault
    /// is drawn.
    pub fn fault(&mut self, books: &Books, foreign: &[Uuid]) -> Transaction {
        let mut faults = vec![Fault::UnknownField, Fault::BadValue, Fault::MissingRequired];
        if !foreign.is_empty() {
            faults.push(Fault::ForeignRow);
        }
        let fault = *faults.choose(&mut self.rng).unwrap_or(&Fault::UnknownField);

        let count = self
            .rng
            .random_range(1..=self.max_entries.saturating_sub(1).max(1));
        let (mut entries, working) = self.valid_entries(books, count);
        entries.push(self.bad_entry(fault, &working, foreign));
        Transaction {
            entries,
            expect: Expect::Rejected(fault),
        }
    }

    /// `count` valid entries, and the books as they leave them.
    fn valid_entries(&mut self, books: &Books, count: usize) -> (Vec<Entry>, Books) {
        let mut working = books.clone();
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            let entry = self.valid_entry(&working);
            let _ = working.apply(&entry);
            entries.push(entry);
        }

        (entries, working)
    }

    /// Mostly creates and updates, some deletes, now and then a create by
    /// PATCH or a delete of a row that never existed.
    fn valid_entry(&mut self, books: &Books) -> Entry {
        let existing: Vec<Uuid> = books.ids().collect();
        let deletable: Vec<Uuid> = existing
            .iter()
            .copied()
            .filter(|id| *id != self.anchor)
            .collect();
        let roll = self.rng.random_range(0..100);

        let pick = |rng: &mut ChaCha8Rng, ids: &[Uuid]| *ids.choose(rng).unwrap_or(&Uuid::nil());
        match roll {
            _ if existing.is_empty() => self.create_new(Op::Put),
            0..30 => self.create_new(Op::Put),
            30..45 => {
                let id = pick(&mut self.rng, &existing);
                self.update(Op::Put, id)
            }
            75..80 => self.create_new(Op::Patch),
            80..95 if !deletable.is_empty() => {
                let id = pick(&mut self.rng, &deletable);
                Entry::generated(self.entity, Op::Delete, id, Vec::new())
            }
            95.. => Entry::generated(self.entity, Op::Delete, new_id(&mut self.rng), Vec::new()),
            _ => {
                let id = pick(&mut self.rng, &existing);
                self.update(Op::Patch, id)
            }
        }
    }

    /// An entry that creates row `id`: every required column, and each other
    /// column with even odds.
    fn create(&mut self, op: Op, id: Uuid) -> Entry {
        let mut fields = Vec::new();
        for column in self.entity.columns {
            if column.required_for_insert() || self.rng.random_bool(0.5) {
                fields.push((column, values::valid(&mut self.rng, column)));
            }
        }

        Entry::generated(self.entity, op, id, fields)
    }

    /// An entry that creates a row with a new id.
    fn create_new(&mut self, op: Op) -> Entry {
        let id = new_id(&mut self.rng);
        self.create(op, id)
    }

    /// An entry that changes one to three fields of row `id`.
    fn update(&mut self, op: Op, id: Uuid) -> Entry {
        let count = self.rng.random_range(1..=3);
        let columns: Vec<&'static Column> = self
            .entity
            .columns
            .choose_multiple(&mut self.rng, count)
            .collect();

        let fields = columns
            .into_iter()
            .map(|column| (column, values::valid(&mut self.rng, column)))
            .collect();
        Entry::generated(self.entity, op, id, fields)
    }

    fn bad_entry(&mut self, fault: Fault, books: &Books, foreign: &[Uuid]) -> Entry {
        match fault {
            Fault::ForeignRow => {
                let id = *foreign.choose(&mut self.rng).unwrap_or(&Uuid::nil());
                self.create(Op::Put, id)
            }
            Fault::UnknownField => {
                let name = self.unknown_field();
                self.spoiled(books, name.to_owned(), json!("simulated"))
            }
            Fault::BadValue => {
                let Some(column) = self.entity.columns.choose(&mut self.rng) else {
                    return self.untitled();
                };
                let value = values::invalid(&mut self.rng, column);
                self.spoiled(books, column.name.to_owned(), value)
            }
            Fault::MissingRequired => self.untitled(),
        }
    }

    fn unknown_field(&mut self) -> &'static str {
        let entity = self.entity;
        let unknown: Vec<&'static str> = UNKNOWN_FIELDS
            .iter()
            .copied()
            .filter(|name| entity.column(name).is_none() && !entity.is_server_controlled(name))
            .collect();
        unknown
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("simulated_unknown_field")
    }

    /// A valid create or update with `name` set to `value` in its data.
    fn spoiled(&mut self, books: &Books, name: String, value: Json) -> Entry {
        let existing: Vec<Uuid> = books.ids().collect();
        let mut entry = match existing.choose(&mut self.rng) {
            Some(id) if self.rng.random_bool(0.7) => self.update(Op::Patch, *id),
            _ => self.create_new(Op::Put),
        };

        if let Some(data) = entry.data.as_mut() {
            data.insert(name, value);
        }
        entry
    }

    /// A create of a new row without the columns an insert needs.
    fn untitled(&mut self) -> Entry {
        let entity = self.entity;
        let mut entry = self.create_new(Op::Put);

        entry
            .writes
            .retain(|(column, _)| !column.required_for_insert());
        if let Some(data) = entry.data.as_mut() {
            data.retain(|name, _| entity.column(name).is_none_or(|c| !c.required_for_insert()));
        }
        entry
    }
}

fn new_id(rng: &mut impl Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

#[cfg(test)]
mod tests {
    use chrono::SecondsFormat;

    use super::*;
    use crate::simulate::compare::same;
    use crate::sync::books::BOOKS;
    use crate::sync::{BatchError, Value, parse_batch};

    /// The value the server validated, in the form the store reads it back.
    fn stored_form(value: &Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Text(text) => json!(text),
            Value::Integer(number) => json!(number),
            Value::Real(number) => json!(number),
            Value::Bool(flag) => json!(flag),
            Value::Json(json) => json.clone(),
            Value::Timestamp(at) => json!(at.to_rfc3339_opts(SecondsFormat::Micros, true)),
        }
    }

    /// Runs `count` valid transactions through the generator and the model.
    fn valid_run(seed: u64, count: usize) -> (Vec<Transaction>, Books) {
        let mut generator = Generator::new(seed, 1, &BOOKS, 6);
        let mut books = Books::new(&BOOKS);
        let mut transactions = vec![generator.first(&books)];
        books = books.after(&transactions[0].entries).unwrap();

        for _ in 1..count {
            let transaction = generator.valid(&books);
            books = books.after(&transaction.entries).unwrap();
            transactions.push(transaction);
        }
        (transactions, books)
    }

    #[test]
    fn the_same_seed_and_reader_send_the_same_transactions() {
        let body = |seed, reader| {
            let mut generator = Generator::new(seed, reader, &BOOKS, 5);
            generator.first(&Books::new(&BOOKS)).body(1, 1)
        };

        assert_eq!(body(7, 1), body(7, 1));
        assert_ne!(body(7, 1), body(7, 2));
        assert_ne!(body(7, 1), body(8, 1));
    }

    #[test]
    fn valid_transactions_pass_validation_and_store_what_the_model_expects() {
        let (transactions, books) = valid_run(11, 300);

        for (tx_id, transaction) in (1..).zip(&transactions) {
            let parsed = parse_batch(&transaction.body(tx_id, 1)).unwrap();
            for (entry, sent) in parsed.iter().zip(&transaction.entries) {
                assert_eq!((entry.op, entry.id), (sent.op, sent.id));
                assert_eq!(entry.values.len(), sent.writes.len());
                for (column, value) in &entry.values {
                    let (_, expected) = sent.writes.iter().find(|(c, _)| c == column).unwrap();
                    let stored = stored_form(value);
                    assert!(
                        same(column.kind, expected, &stored),
                        "{}: {expected} vs {stored}",
                        column.name
                    );
                }
            }
        }
        assert!(!books.is_empty());
    }

    #[test]
    fn the_anchor_survives_every_transaction() {
        let (_, books) = valid_run(3, 300);
        let anchor = Generator::new(3, 1, &BOOKS, 6).anchor();

        assert!(books.get(anchor).is_some());
    }

    #[test]
    fn every_fault_is_refused_by_validation_or_by_the_model() {
        let (_, books) = valid_run(5, 20);
        let foreign = [Uuid::new_v4()];
        let mut generator = Generator::new(5, 2, &BOOKS, 4);

        for _ in 0..200 {
            let transaction = generator.fault(&books, &foreign);
            let Expect::Rejected(fault) = transaction.expect else {
                panic!("a fault transaction is expected to apply");
            };
            assert!(transaction.entries.len() >= 2);

            let parsed = parse_batch(&transaction.body(1, 1));
            match fault {
                Fault::UnknownField | Fault::BadValue => {
                    assert!(matches!(parsed, Err(BatchError::Rejected(_))), "{fault:?}");
                }
                Fault::MissingRequired => {
                    assert!(parsed.is_ok());
                    assert!(books.after(&transaction.entries).is_err());
                }
                Fault::ForeignRow => {
                    assert!(parsed.is_ok());
                    assert_eq!(transaction.entries.last().unwrap().id, foreign[0]);
                }
            }
        }
    }
}
