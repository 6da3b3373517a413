//! A load and correctness simulation of PowerSync uploads, run against a papyrus
//! server over HTTP only.
//!
//! Simulated readers sign in, then each uploads transactions of random PUT,
//! PATCH and DELETE entries over its own books, the way the app's upload queue
//! does: one transaction at a time per reader, several readers at once. A
//! [`Books`] model per reader records what the server must hold afterwards, and
//! [`compare`] holds it against the database row by row.
//!
//! What a reader sends depends only on the seed and the reader's number, never
//! on timing, so a failing run can be replayed: each reader draws from its own
//! random stream ([`Generator`]). Fault transactions (a foreign row, an unknown
//! field, a wrong type, a create without a title) must be rejected whole, and
//! the model keeps none of them.
//!
//! Every answer that contradicts the model, and every row that differs from it,
//! is a finding in the [`Report`]; only failing to sign in or to read the
//! database stops a run early.

mod client;
pub mod compare;
mod generate;
pub mod latency;
pub mod model;
mod report;
mod run;
pub mod values;

pub use client::Api;
pub use compare::{Difference, compare_books};
pub use generate::{Entry, Expect, Fault, Generator, Transaction};
pub use model::Books;
pub use report::{LatencySummary, Report, Tally};
pub use run::{Outcome, Progress, ReaderOutcome, Settings, check_database, simulate};

/// Why a simulation could not run to its end. Wrong answers from the server
/// are not errors: they are counted in the [`Report`].
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    #[error("invalid server URL: {0}")]
    Url(String),
    #[error("cannot reach the server: {0}")]
    Http(#[from] reqwest::Error),
    #[error("cannot sign in {email}: {reason}")]
    SignIn { email: String, reason: String },
    #[error("cannot read the books from the database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("a simulated reader stopped unexpectedly: {0}")]
    Task(#[from] tokio::task::JoinError),
}
