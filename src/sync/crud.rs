//! A validated CRUD entry: one operation on one row, ready for the store.
//!
//! What an operation does is the store's to decide, in one database
//! transaction per batch: PUT creates the caller's row if missing, else
//! updates the given fields; PATCH updates the given fields, or creates as PUT
//! would; DELETE deletes, and a missing row is not an error (uploads may be
//! replayed). Whether a create has every required field can only be known
//! once the store knows the row is missing, hence [`CrudEntry::creates_need`].

use uuid::Uuid;

use super::entity::{Column, Entity};
use super::rejection::Problem;
use super::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Put,
    Patch,
    Delete,
}

impl Op {
    /// Reads the `op` member, in any letter case.
    pub fn parse(text: &str) -> Option<Op> {
        match text.to_ascii_uppercase().as_str() {
            "PUT" => Some(Op::Put),
            "PATCH" => Some(Op::Patch),
            "DELETE" => Some(Op::Delete),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Op::Put => "PUT",
            Op::Patch => "PATCH",
            Op::Delete => "DELETE",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CrudEntry {
    /// The 0-based position of the entry in the uploaded batch.
    pub index: usize,
    pub op: Op,
    pub entity: &'static Entity,
    pub id: Uuid,
    /// The fields sent, in declaration order, server-controlled ones dropped.
    /// Always empty for DELETE.
    pub values: Vec<(&'static Column, Value)>,
}

impl CrudEntry {
    /// The columns of `values`, in the order the SQL in [`super::sql`] binds them.
    pub fn columns(&self) -> Vec<&'static Column> {
        self.values.iter().map(|(column, _)| *column).collect()
    }

    /// The first required column this entry lacks to create its row, if any.
    pub fn creates_need(&self) -> Option<&'static str> {
        self.missing_for_insert().into_iter().next()
    }

    /// Every required column this entry lacks to create its row.
    pub fn missing_for_insert(&self) -> Vec<&'static str> {
        self.entity
            .required_for_insert()
            .filter(|required| {
                !self
                    .values
                    .iter()
                    .any(|(given, _)| given.name == required.name)
            })
            .map(|required| required.name)
            .collect()
    }

    /// A problem with this entry, for the store to reject the batch with the
    /// same shape of details as validation does.
    pub fn problem(&self, field: Option<&str>, reason: &str) -> Problem {
        Problem {
            entry: self.index,
            id: Some(self.id.to_string()),
            type_name: Some(self.entity.name.to_owned()),
            field: field.map(str::to_owned),
            reason: reason.to_owned(),
        }
    }

    /// The problem for a create that lacks `column` (from [`Self::creates_need`]).
    pub fn missing_problem(&self, column: &str) -> Problem {
        self.problem(Some(column), "is required to create a new row")
    }
}
