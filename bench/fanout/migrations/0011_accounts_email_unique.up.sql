-- bfm:table accounts
-- Case-insensitive unique e-mail addresses.
CREATE UNIQUE INDEX accounts_email_lower_key ON accounts (lower(email));
