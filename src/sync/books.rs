//! The books table as the app syncs it. This is the only list of book fields:
//! validation, SQL and the sync stream all read it.

use super::entity::{Column, Entity, Kind};

pub static BOOKS: Entity = Entity {
    name: "books",
    table: "books",
    id_column: "book_id",
    owner_column: "owner_user_id",
    updated_column: "updated_at",
    columns: &[
        Column::new("title", Kind::Text)
            .not_null()
            .at_least(1)
            .at_most(500),
        Column::new("subtitle", Kind::Text).at_most(500),
        Column::new("author", Kind::Text).at_most(255),
        Column::new("co_authors", Kind::JsonList),
        Column::new("isbn", Kind::Text).at_most(32),
        Column::new("isbn13", Kind::Text).at_most(32),
        Column::new("publisher", Kind::Text).at_most(255),
        Column::new("language", Kind::Text).at_most(16),
        Column::new("page_count", Kind::Integer),
        Column::new("description", Kind::Text),
        Column::new("cover_image_url", Kind::Text).at_most(2048),
        Column::new("reading_status", Kind::Text).at_most(32),
        Column::new("current_page", Kind::Integer),
        Column::new("current_position", Kind::Real),
        Column::new("current_cfi", Kind::Text),
        Column::new("is_favorite", Kind::Bool)
            .not_null()
            .db_default(),
        Column::new("rating", Kind::Integer),
        Column::new("custom_metadata", Kind::JsonObject),
        Column::new("added_at", Kind::Timestamp)
            .not_null()
            .db_default(),
    ],
    server_controlled: &["owner_user_id", "updated_at"],
};
