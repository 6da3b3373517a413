-- Sign-ins through an identity provider that are in flight. A row is written when the
-- app starts a sign-in and consumed, once, by the provider's callback. Only the digest
-- of `state` is kept. The PKCE verifier is kept as is because the token request needs
-- it; alone it is worthless, since it only works together with the provider's code,
-- which is short-lived, single-use and never stored.
CREATE TABLE IF NOT EXISTS oauth_states (
    state_id uuid PRIMARY KEY,
    state_hash varchar(64) NOT NULL UNIQUE,
    provider varchar(32) NOT NULL,
    pkce_verifier varchar(128) NOT NULL,
    nonce varchar(128) NOT NULL,
    redirect_uri text NOT NULL,
    mode varchar(32) NOT NULL,
    user_id uuid REFERENCES users (user_id) ON DELETE CASCADE,
    code_challenge varchar(128),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_oauth_states_expires_at ON oauth_states (expires_at);
CREATE INDEX IF NOT EXISTS ix_auth_exchange_codes_expires_at ON auth_exchange_codes (expires_at);

-- The app's own PKCE challenge (S256), carried from the sign-in start to its code.
ALTER TABLE auth_exchange_codes ADD COLUMN IF NOT EXISTS code_challenge varchar(128);
