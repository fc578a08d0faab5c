-- bfm:table api_keys
-- bfm:depends create_users
-- API keys of users. Only a SHA-256 hash of a key is stored; `prefix` (its first characters)
-- lets a user recognise a key in the UI.

CREATE TABLE IF NOT EXISTS api_keys (
    id            UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          VARCHAR(255) NOT NULL,
    prefix        VARCHAR(12)  NOT NULL,
    key_hash      BYTEA        NOT NULL UNIQUE,
    scopes        TEXT[]       NOT NULL DEFAULT '{}',
    expires_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_hash_length CHECK (octet_length(key_hash) = 32)
);

CREATE INDEX IF NOT EXISTS api_keys_user_id_idx ON api_keys (user_id);
CREATE INDEX IF NOT EXISTS api_keys_active_user_idx ON api_keys (user_id)
    WHERE revoked_at IS NULL;
