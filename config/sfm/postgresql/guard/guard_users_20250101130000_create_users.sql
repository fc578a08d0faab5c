-- bfm:table users
-- People who sign in. Emails are stored lower-cased by the application; the unique
-- constraint keeps one account per address.

CREATE TABLE IF NOT EXISTS users (
    id                 UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    email              VARCHAR(255) NOT NULL UNIQUE,
    name               VARCHAR(255),
    password_hash      TEXT,
    is_active          BOOLEAN      NOT NULL DEFAULT TRUE,
    email_verified_at  TIMESTAMPTZ,
    last_login_at      TIMESTAMPTZ,
    created_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT users_email_lower CHECK (email = lower(email))
);
