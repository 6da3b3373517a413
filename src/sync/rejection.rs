//! How an invalid upload is reported.
//!
//! An upload batch is one PowerSync transaction, so one bad entry rejects all
//! of it: applying part of a transaction would leave rows the app never had
//! together. Every problem is collected, not just the first, so one round
//! trip shows the app (and its developer) everything that is wrong. Each
//! problem names the entry by its 0-based index in `batch`, the row id and
//! type as sent, the field, and the reason. A body that is not an upload at
//! all is [`BatchError::Malformed`]; the caller answers that with 422.

use std::fmt;

use serde::Serialize;

/// The `code` of every [`Rejection`].
pub const VALIDATION_ERROR: &str = "VALIDATION_ERROR";

/// One thing wrong with one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The 0-based index of the entry in `batch`.
    pub entry: usize,
    /// The row id as sent, when it was a string.
    pub id: Option<String>,
    /// The entry's `type` as sent, when it was a string.
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    /// The member or data field at fault; none when the entry is not an object.
    pub field: Option<String>,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {}", self.entry)?;
        if let (Some(type_name), Some(id)) = (&self.type_name, &self.id) {
            write!(f, " ({type_name} {id})")?;
        }

        match &self.field {
            Some(field) => write!(f, ": {field} {}", self.reason),
            None => write!(f, ": {}", self.reason),
        }
    }
}

/// A transaction refused as a whole. Serializes as the API error body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub code: &'static str,
    /// How many problems there are and the first one, for a human.
    pub message: String,
    /// `{"errors": [problem, ...]}`.
    pub details: serde_json::Value,
}

impl Rejection {
    /// The rejection for these problems; `problems` should not be empty.
    pub fn new(problems: &[Problem]) -> Self {
        let message = match problems {
            [] => "the upload was rejected".to_owned(),
            [only] => format!("the upload was rejected: {only}"),
            [first, ..] => format!(
                "the upload was rejected with {} problems, the first: {first}",
                problems.len()
            ),
        };

        Rejection {
            code: VALIDATION_ERROR,
            message,
            details: serde_json::json!({ "errors": problems }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The body is not `{"batch": [...]}`.
    #[error("malformed upload body: {0}")]
    Malformed(&'static str),
    /// The body is an upload, and some entries in it are invalid.
    #[error("{}", .0.message)]
    Rejected(Rejection),
}
