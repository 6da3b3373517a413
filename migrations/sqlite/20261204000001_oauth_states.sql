-- Sign-ins through an identity provider that are in flight. A row is written when the
-- app starts a sign-in and consumed, once, by the provider's callback. Only the digest
-- of `state` is kept. The PKCE verifier is kept as is because the token request needs
-- it; alone it is worthless, since it only works together with the provider's code,
-- which is short-lived, single-use and never stored.
CREATE TABLE IF NOT EXISTS oauth_states (
    state_id TEXT PRIMARY KEY NOT NULL,
    state_hash TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    nonce TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    mode TEXT NOT NULL,
    user_id TEXT REFERENCES users (user_id) ON DELETE CASCADE,
    code_challenge TEXT,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_oauth_states_expires_at ON oauth_states (expires_at);
CREATE INDEX IF NOT EXISTS ix_auth_exchange_codes_expires_at ON auth_exchange_codes (expires_at);

-- The app's own PKCE challenge (S256), carried from the sign-in start to its code.
ALTER TABLE auth_exchange_codes ADD COLUMN code_challenge TEXT;
