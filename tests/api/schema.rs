//! The PostgreSQL schema keeps the tables and columns of the earlier server.

use crate::helpers::{Db, TestDb, postgres_available};

/// (table, column, data type, nullable, default contains)
const COLUMNS: &[(&str, &str, &str, bool)] = &[
    ("users", "user_id", "uuid", false),
    ("users", "display_name", "character varying(100)", false),
    ("users", "avatar_url", "character varying(2048)", true),
    ("users", "primary_email", "character varying(255)", true),
    ("users", "primary_email_verified", "boolean", false),
    ("users", "created_at", "timestamp with time zone", false),
    ("users", "last_login_at", "timestamp with time zone", true),
    ("users", "disabled_at", "timestamp with time zone", true),
    ("password_credentials", "user_id", "uuid", false),
    (
        "password_credentials",
        "password_hash",
        "character varying(255)",
        false,
    ),
    (
        "password_credentials",
        "password_changed_at",
        "timestamp with time zone",
        false,
    ),
    ("auth_sessions", "session_id", "uuid", false),
    ("auth_sessions", "user_id", "uuid", false),
    (
        "auth_sessions",
        "refresh_token_hash",
        "character varying(64)",
        false,
    ),
    (
        "auth_sessions",
        "client_type",
        "character varying(32)",
        false,
    ),
    (
        "auth_sessions",
        "device_label",
        "character varying(255)",
        true,
    ),
    (
        "auth_sessions",
        "created_at",
        "timestamp with time zone",
        false,
    ),
    (
        "auth_sessions",
        "expires_at",
        "timestamp with time zone",
        false,
    ),
    (
        "auth_sessions",
        "revoked_at",
        "timestamp with time zone",
        true,
    ),
    (
        "auth_sessions",
        "last_seen_at",
        "timestamp with time zone",
        true,
    ),
    ("auth_exchange_codes", "code_id", "uuid", false),
    (
        "auth_exchange_codes",
        "code_hash",
        "character varying(64)",
        false,
    ),
    (
        "auth_exchange_codes",
        "purpose",
        "character varying(32)",
        false,
    ),
    ("auth_exchange_codes", "user_id", "uuid", true),
    (
        "auth_exchange_codes",
        "provider",
        "character varying(32)",
        true,
    ),
    (
        "auth_exchange_codes",
        "provider_subject",
        "character varying(255)",
        true,
    ),
    (
        "auth_exchange_codes",
        "email_at_provider",
        "character varying(255)",
        true,
    ),
    (
        "auth_exchange_codes",
        "email_verified_at_provider",
        "timestamp with time zone",
        true,
    ),
    (
        "auth_exchange_codes",
        "display_name",
        "character varying(255)",
        true,
    ),
    (
        "auth_exchange_codes",
        "avatar_url",
        "character varying(2048)",
        true,
    ),
    ("auth_exchange_codes", "redirect_uri", "text", false),
    (
        "auth_exchange_codes",
        "expires_at",
        "timestamp with time zone",
        false,
    ),
    (
        "auth_exchange_codes",
        "used_at",
        "timestamp with time zone",
        true,
    ),
    (
        "auth_exchange_codes",
        "created_at",
        "timestamp with time zone",
        false,
    ),
    ("email_action_tokens", "token_id", "uuid", false),
    ("email_action_tokens", "user_id", "uuid", false),
    (
        "email_action_tokens",
        "action_type",
        "character varying(32)",
        false,
    ),
    (
        "email_action_tokens",
        "token_hash",
        "character varying(64)",
        false,
    ),
    (
        "email_action_tokens",
        "expires_at",
        "timestamp with time zone",
        false,
    ),
    (
        "email_action_tokens",
        "used_at",
        "timestamp with time zone",
        true,
    ),
    (
        "email_action_tokens",
        "created_at",
        "timestamp with time zone",
        false,
    ),
    ("user_identities", "identity_id", "uuid", false),
    ("user_identities", "user_id", "uuid", false),
    (
        "user_identities",
        "provider",
        "character varying(32)",
        false,
    ),
    (
        "user_identities",
        "provider_subject",
        "character varying(255)",
        false,
    ),
    (
        "user_identities",
        "email_at_provider",
        "character varying(255)",
        true,
    ),
    (
        "user_identities",
        "email_verified_at_provider",
        "timestamp with time zone",
        true,
    ),
    (
        "user_identities",
        "created_at",
        "timestamp with time zone",
        false,
    ),
    (
        "user_identities",
        "last_used_at",
        "timestamp with time zone",
        true,
    ),
    ("books", "book_id", "uuid", false),
    ("books", "owner_user_id", "uuid", false),
    ("books", "title", "character varying(500)", false),
    ("books", "subtitle", "character varying(500)", true),
    ("books", "author", "character varying(255)", true),
    ("books", "co_authors", "jsonb", true),
    ("books", "isbn", "character varying(32)", true),
    ("books", "isbn13", "character varying(32)", true),
    ("books", "publisher", "character varying(255)", true),
    ("books", "language", "character varying(16)", true),
    ("books", "page_count", "integer", true),
    ("books", "description", "text", true),
    ("books", "cover_image_url", "character varying(2048)", true),
    ("books", "reading_status", "character varying(32)", true),
    ("books", "current_page", "integer", true),
    ("books", "current_position", "double precision", true),
    ("books", "current_cfi", "text", true),
    ("books", "is_favorite", "boolean", false),
    ("books", "rating", "integer", true),
    ("books", "custom_metadata", "jsonb", true),
    ("books", "added_at", "timestamp with time zone", false),
    ("books", "updated_at", "timestamp with time zone", false),
];

async fn migrated() -> Option<TestDb> {
    if !postgres_available().await {
        return None;
    }
    let db = TestDb::create(Db::Postgres).await;
    let store = papyrus::store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    Some(db)
}

#[tokio::test]
async fn postgres_schema_matches_the_earlier_server() {
    let Some(db) = migrated().await else { return };
    for (table, column, data_type, nullable) in COLUMNS {
        let sql = format!(
            "SELECT format_type(a.atttypid, a.atttypmod) || ' ' || (NOT a.attnotnull)::text \
             FROM pg_attribute a WHERE a.attrelid = '{table}'::regclass \
             AND a.attname = '{column}' AND NOT a.attisdropped"
        );
        let found = db.scalar(&sql).await;
        assert_eq!(
            found,
            Some(format!("{data_type} {nullable}")),
            "{table}.{column}"
        );
    }
}

#[tokio::test]
async fn postgres_keys_defaults_and_indexes_are_in_place() {
    let Some(db) = migrated().await else { return };
    let cascades = db
        .scalar(
            "SELECT string_agg(conrelid::regclass::text || '.' || conname, ',' ORDER BY 1) \
             FROM pg_constraint WHERE contype = 'f' AND confdeltype = 'c' \
             AND confrelid = 'users'::regclass",
        )
        .await
        .unwrap();
    for table in [
        "password_credentials",
        "auth_sessions",
        "auth_exchange_codes",
        "email_action_tokens",
        "user_identities",
        "books",
    ] {
        assert!(
            cascades.contains(&format!("{table}.")),
            "{table} lacks ON DELETE CASCADE"
        );
    }

    let unique = db
        .scalar(
            "SELECT string_agg(pg_get_constraintdef(oid), ';') FROM pg_constraint \
             WHERE contype = 'u'",
        )
        .await
        .unwrap();
    for columns in [
        "(primary_email)",
        "(refresh_token_hash)",
        "(code_hash)",
        "(token_hash)",
        "(provider, provider_subject)",
    ] {
        assert!(unique.contains(columns), "no unique {columns} in {unique}");
    }

    let indexed = db
        .scalar("SELECT string_agg(indexdef, ';') FROM pg_indexes WHERE schemaname = 'public'")
        .await
        .unwrap();
    for table in [
        "auth_sessions",
        "auth_exchange_codes",
        "email_action_tokens",
        "user_identities",
    ] {
        assert!(
            indexed.contains(&format!("ON public.{table} USING btree (user_id)")),
            "{table}"
        );
    }
    assert!(indexed.contains("ON public.books USING btree (owner_user_id)"));

    let defaults = db
        .scalar(
            "SELECT string_agg(table_name || '.' || column_name || '=' || column_default, ';') \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND column_default IS NOT NULL",
        )
        .await
        .unwrap();
    for expected in [
        "users.primary_email_verified=false",
        "users.created_at=now()",
        "auth_sessions.client_type='unknown'",
        "books.is_favorite=false",
        "books.updated_at=now()",
    ] {
        assert!(
            defaults.contains(expected),
            "{expected} missing from {defaults}"
        );
    }
}
