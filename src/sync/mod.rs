//! Uploads from the PowerSync client: which tables sync, how an upload batch
//! is validated, and the SQL that applies it.
//!
//! Policy: a synced table is declared once, as an [`Entity`] (see
//! [`books::BOOKS`]), and everything else is derived from that declaration:
//! validation of CRUD entries ([`parse_batch`]), the SQL for PostgreSQL and
//! SQLite ([`sql`]) and the sync-stream query ([`stream_query`]). Adding a
//! table means one declaration, one line in [`ENTITIES`], a migration and
//! tests. This module is pure: it neither touches a database nor knows HTTP.
//!
//! An upload is one PowerSync transaction and is accepted or rejected whole
//! (see [`rejection`]). Fields the server controls (owner, `updated_at`) may
//! be sent and are ignored: the owner is the caller and `updated_at` is the
//! server's commit time.
//!
//! Nothing serves uploads yet: the upload endpoint, the store transaction that
//! applies these entries and the rejection journal are still to be built on top
//! of this module.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod batch;
pub mod books;
pub mod crud;
pub mod entity;
pub mod rejection;
pub mod sql;
pub mod stream;
pub mod validate;
pub mod value;

#[cfg(test)]
mod tests;

pub use batch::parse_batch;
pub use crud::{CrudEntry, Op};
pub use entity::{Column, Entity, Kind};
pub use rejection::{BatchError, Problem, Rejection, VALIDATION_ERROR};
pub use sql::Dialect;
pub use stream::{stream_columns, stream_query};
pub use value::{SqliteValue, Value};

/// Every synced entity. The `type` of a CRUD entry selects one by name.
pub static ENTITIES: &[&Entity] = &[&books::BOOKS];

/// The entity a CRUD entry's `type` names.
pub fn entity(type_name: &str) -> Option<&'static Entity> {
    ENTITIES
        .iter()
        .copied()
        .find(|entity| entity.name == type_name)
}
