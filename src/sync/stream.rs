//! The PowerSync sync-stream query for an entity.
//!
//! The app's local tables are SQLite, so the stream hands it text wherever
//! PostgreSQL has a richer type: uuids, timestamps and JSON are cast to text,
//! and the primary key is renamed `id`, which PowerSync requires. A user
//! receives only the rows they own.

use super::entity::{Entity, Kind};
use super::sql::all_columns;

/// The `query` of the entity's stream in the sync config.
pub fn stream_query(entity: &Entity) -> String {
    let selected: Vec<String> = stream_columns(entity)
        .into_iter()
        .map(|name| select_item(entity, name))
        .collect();

    format!(
        "SELECT {} FROM {} WHERE {}::text = auth.user_id()",
        selected.join(", "),
        entity.table,
        entity.owner_column,
    )
}

/// The table columns the stream selects: all of them.
pub fn stream_columns(entity: &Entity) -> Vec<&'static str> {
    all_columns(entity)
}

fn select_item(entity: &Entity, name: &str) -> String {
    if name == entity.id_column {
        return format!("{name}::text AS id");
    }

    let cast = match entity.column(name) {
        Some(column) => column.kind.stream_cast(),
        None if name == entity.owner_column => "::text",
        // What remains is the updated column, a timestamp.
        None => Kind::Timestamp.stream_cast(),
    };
    match cast {
        "" => name.to_owned(),
        cast => format!("{name}{cast} AS {name}"),
    }
}
