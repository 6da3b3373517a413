//! SQL text for a declared entity, in both dialects.
//!
//! Every statement is scoped by the owner column, so a row of another user
//! is neither read, changed nor deleted. Insert and update bind in the same
//! order, so one bind routine serves both: the row id, the owner id, the
//! given columns in the order passed, then the server's commit time for the
//! `updated` column. In PostgreSQL every parameter carries its column's
//! cast (`$1::uuid`, `$4::jsonb`, ...), so ids, JSON and NULLs may be bound
//! as text. SQLite takes `?N` parameters and the values of
//! [`super::value::Value::to_sqlite`].

use super::entity::{Column, Entity, Kind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// Placeholder number `position` (1-based), cast as `postgres_cast`.
    fn param(self, position: usize, postgres_cast: &str) -> String {
        match self {
            Dialect::Postgres => format!("${position}{postgres_cast}"),
            Dialect::Sqlite => format!("?{position}"),
        }
    }
}

const UUID_CAST: &str = "::uuid";

/// The owner of row `$1`, or no row. In PostgreSQL the row stays locked until
/// the transaction ends, so the decision taken on its owner still holds when
/// the write happens. SQLite has no row locks: the store must begin its
/// transaction with `BEGIN IMMEDIATE` to get the same guarantee.
pub fn lock_owner_sql(entity: &Entity, dialect: Dialect) -> String {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = {}",
        entity.owner_column,
        entity.table,
        entity.id_column,
        dialect.param(1, UUID_CAST),
    );

    match dialect {
        Dialect::Postgres => sql + " FOR UPDATE",
        Dialect::Sqlite => sql,
    }
}

/// Inserts a row with the given columns; left-out columns take their default
/// (or NULL). Binds: id, owner, `columns` in order, commit time.
pub fn insert_sql(entity: &Entity, columns: &[&Column], dialect: Dialect) -> String {
    let mut names = vec![entity.id_column, entity.owner_column];
    names.extend(columns.iter().map(|column| column.name));
    names.push(entity.updated_column);

    let params: Vec<String> = bound_params(columns, dialect).collect();

    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        entity.table,
        names.join(", "),
        params.join(", "),
    )
}

/// Sets the given columns and the commit time on the owner's row. Binds as
/// [`insert_sql`] does; `$1` and `$2` are only used in the WHERE clause.
pub fn update_sql(entity: &Entity, columns: &[&Column], dialect: Dialect) -> String {
    let names = columns
        .iter()
        .map(|column| column.name)
        .chain([entity.updated_column]);
    let assignments: Vec<String> = names
        .zip(bound_params(columns, dialect).skip(2))
        .map(|(name, param)| format!("{name} = {param}"))
        .collect();

    format!(
        "UPDATE {} SET {} WHERE {}",
        entity.table,
        assignments.join(", "),
        owned_row(entity, dialect),
    )
}

/// Deletes the owner's row. Binds: id, owner.
pub fn delete_sql(entity: &Entity, dialect: Dialect) -> String {
    format!(
        "DELETE FROM {} WHERE {}",
        entity.table,
        owned_row(entity, dialect)
    )
}

/// Every stored column of every row, ordered by id, so tests can compare the
/// state two stores reached. The same text serves both dialects.
pub fn select_all_sql(entity: &Entity) -> String {
    format!(
        "SELECT {} FROM {} ORDER BY {}",
        all_columns(entity).join(", "),
        entity.table,
        entity.id_column,
    )
}

/// Id, owner and every declared column, then the updated column: the table
/// as far as this module knows it.
pub fn all_columns(entity: &Entity) -> Vec<&'static str> {
    let mut names = vec![entity.id_column, entity.owner_column];
    names.extend(entity.columns.iter().map(|column| column.name));
    names.push(entity.updated_column);
    names
}

/// `id = $1 AND owner = $2`.
fn owned_row(entity: &Entity, dialect: Dialect) -> String {
    format!(
        "{} = {} AND {} = {}",
        entity.id_column,
        dialect.param(1, UUID_CAST),
        entity.owner_column,
        dialect.param(2, UUID_CAST),
    )
}

/// The parameters of an insert: id, owner, `columns`, commit time.
fn bound_params(columns: &[&Column], dialect: Dialect) -> impl Iterator<Item = String> {
    let casts = [UUID_CAST, UUID_CAST]
        .into_iter()
        .chain(columns.iter().map(|column| column.kind.postgres_cast()))
        .chain([Kind::Timestamp.postgres_cast()]);

    casts
        .enumerate()
        .map(move |(index, cast)| dialect.param(index + 1, cast))
}
