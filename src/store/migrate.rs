//! Embedded migrations and their status, for both databases.
//!
//! The SQL lives in `migrations/postgres/` and `migrations/sqlite/` and is compiled
//! into the binary, so a deployed `papyrus` needs no files beside it.

use std::collections::HashSet;

use serde::Serialize;
use sqlx::migrate::Migrator;

pub static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");
pub static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");

/// One embedded migration and whether the database has it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MigrationState {
    pub version: i64,
    pub description: String,
    pub applied: bool,
}

/// Pairs the embedded migrations with the versions a database reports applied.
pub(crate) fn states(migrator: &Migrator, applied: &[i64]) -> Vec<MigrationState> {
    let applied: HashSet<i64> = applied.iter().copied().collect();
    migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| MigrationState {
            version: m.version,
            description: m.description.to_string(),
            applied: applied.contains(&m.version),
        })
        .collect()
}

/// Versions that `states` lists as pending, in order.
pub(crate) fn pending(states: &[MigrationState]) -> Vec<i64> {
    states
        .iter()
        .filter(|s| !s.applied)
        .map(|s| s.version)
        .collect()
}
