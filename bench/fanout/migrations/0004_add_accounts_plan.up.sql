-- bfm:table accounts
-- Billing plan and free-form settings; constant defaults, so no table rewrite.
ALTER TABLE accounts ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';
ALTER TABLE accounts ADD COLUMN settings JSONB NOT NULL DEFAULT '{}'::jsonb;
