-- The schema of the existing Papyrus server, kept table for table and column for
-- column so its PowerSync sync config and its deployments keep working.

CREATE TABLE IF NOT EXISTS users (
    user_id uuid PRIMARY KEY,
    display_name varchar(100) NOT NULL,
    avatar_url varchar(2048),
    primary_email varchar(255) UNIQUE,
    primary_email_verified boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    disabled_at timestamptz
);

CREATE TABLE IF NOT EXISTS password_credentials (
    user_id uuid PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    password_hash varchar(255) NOT NULL,
    password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS auth_sessions (
    session_id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    refresh_token_hash varchar(64) NOT NULL UNIQUE,
    client_type varchar(32) NOT NULL DEFAULT 'unknown',
    device_label varchar(255),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    last_seen_at timestamptz
);
CREATE INDEX IF NOT EXISTS ix_auth_sessions_user_id ON auth_sessions (user_id);

CREATE TABLE IF NOT EXISTS auth_exchange_codes (
    code_id uuid PRIMARY KEY,
    code_hash varchar(64) NOT NULL UNIQUE,
    purpose varchar(32) NOT NULL,
    user_id uuid REFERENCES users (user_id) ON DELETE CASCADE,
    provider varchar(32),
    provider_subject varchar(255),
    email_at_provider varchar(255),
    email_verified_at_provider timestamptz,
    display_name varchar(255),
    avatar_url varchar(2048),
    redirect_uri text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_auth_exchange_codes_user_id ON auth_exchange_codes (user_id);

CREATE TABLE IF NOT EXISTS email_action_tokens (
    token_id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    action_type varchar(32) NOT NULL,
    token_hash varchar(64) NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_email_action_tokens_user_id ON email_action_tokens (user_id);

CREATE TABLE IF NOT EXISTS user_identities (
    identity_id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    provider varchar(32) NOT NULL,
    provider_subject varchar(255) NOT NULL,
    email_at_provider varchar(255),
    email_verified_at_provider timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    CONSTRAINT uq_user_identities_provider_subject UNIQUE (provider, provider_subject)
);
CREATE INDEX IF NOT EXISTS ix_user_identities_user_id ON user_identities (user_id);

CREATE TABLE IF NOT EXISTS books (
    book_id uuid PRIMARY KEY,
    owner_user_id uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    title varchar(500) NOT NULL,
    subtitle varchar(500),
    author varchar(255),
    co_authors jsonb,
    isbn varchar(32),
    isbn13 varchar(32),
    publisher varchar(255),
    language varchar(16),
    page_count integer,
    description text,
    cover_image_url varchar(2048),
    reading_status varchar(32),
    current_page integer,
    current_position double precision,
    current_cfi text,
    is_favorite boolean NOT NULL DEFAULT false,
    rating integer,
    custom_metadata jsonb,
    added_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_books_owner_user_id ON books (owner_user_id);

-- New in papyrus: every refresh token a session has rotated away from, by digest,
-- so a replayed old token is recognised (and the session revoked) however old it is.
CREATE TABLE IF NOT EXISTS auth_refresh_rotations (
    token_hash varchar(64) PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES auth_sessions (session_id) ON DELETE CASCADE,
    rotated_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_auth_refresh_rotations_session_id
    ON auth_refresh_rotations (session_id);
