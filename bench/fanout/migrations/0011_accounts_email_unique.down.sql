DROP INDEX IF EXISTS accounts_email_lower_key;
