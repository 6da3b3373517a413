-- The same tables as on PostgreSQL, with SQLite types: uuids are hyphenated text,
-- timestamps are RFC 3339 text in UTC written by papyrus, JSON is text.

CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY NOT NULL,
    display_name TEXT NOT NULL CHECK (length(display_name) <= 100),
    avatar_url TEXT CHECK (length(avatar_url) <= 2048),
    primary_email TEXT UNIQUE CHECK (length(primary_email) <= 255),
    primary_email_verified INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_login_at TEXT,
    disabled_at TEXT
);

CREATE TABLE IF NOT EXISTS password_credentials (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    password_changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE IF NOT EXISTS auth_sessions (
    session_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    refresh_token_hash TEXT NOT NULL UNIQUE,
    client_type TEXT NOT NULL DEFAULT 'unknown',
    device_label TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    last_seen_at TEXT
);
CREATE INDEX IF NOT EXISTS ix_auth_sessions_user_id ON auth_sessions (user_id);

CREATE TABLE IF NOT EXISTS auth_exchange_codes (
    code_id TEXT PRIMARY KEY NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    user_id TEXT REFERENCES users (user_id) ON DELETE CASCADE,
    provider TEXT,
    provider_subject TEXT,
    email_at_provider TEXT,
    email_verified_at_provider TEXT,
    display_name TEXT,
    avatar_url TEXT,
    redirect_uri TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS ix_auth_exchange_codes_user_id ON auth_exchange_codes (user_id);

CREATE TABLE IF NOT EXISTS email_action_tokens (
    token_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    action_type TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS ix_email_action_tokens_user_id ON email_action_tokens (user_id);

CREATE TABLE IF NOT EXISTS user_identities (
    identity_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    provider_subject TEXT NOT NULL,
    email_at_provider TEXT,
    email_verified_at_provider TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_used_at TEXT,
    UNIQUE (provider, provider_subject)
);
CREATE INDEX IF NOT EXISTS ix_user_identities_user_id ON user_identities (user_id);

CREATE TABLE IF NOT EXISTS books (
    book_id TEXT PRIMARY KEY NOT NULL,
    owner_user_id TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    subtitle TEXT,
    author TEXT,
    co_authors TEXT,
    isbn TEXT,
    isbn13 TEXT,
    publisher TEXT,
    language TEXT,
    page_count INTEGER,
    description TEXT,
    cover_image_url TEXT,
    reading_status TEXT,
    current_page INTEGER,
    current_position REAL,
    current_cfi TEXT,
    is_favorite INTEGER NOT NULL DEFAULT 0,
    rating INTEGER,
    custom_metadata TEXT,
    added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS ix_books_owner_user_id ON books (owner_user_id);

CREATE TABLE IF NOT EXISTS auth_refresh_rotations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES auth_sessions (session_id) ON DELETE CASCADE,
    rotated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_auth_refresh_rotations_session_id
    ON auth_refresh_rotations (session_id);
