-- bfm:table organizations
-- bfm:depends core:create_regions
-- Customer organizations. Every environment of an organization gets its own tenant schema
-- cli_<environment> on the "organization" connection.

CREATE TABLE IF NOT EXISTS organizations (
    id          UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        VARCHAR(63)  NOT NULL UNIQUE,
    name        VARCHAR(255) NOT NULL,
    region_id   SMALLINT     NOT NULL REFERENCES regions (id),
    status      VARCHAR(16)  NOT NULL DEFAULT 'active',
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    deleted_at  TIMESTAMPTZ,
    CONSTRAINT organizations_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    CONSTRAINT organizations_status_check CHECK (status IN ('active', 'suspended', 'deleted'))
);

CREATE INDEX IF NOT EXISTS organizations_region_id_idx ON organizations (region_id);
CREATE INDEX IF NOT EXISTS organizations_active_idx ON organizations (created_at)
    WHERE deleted_at IS NULL;
