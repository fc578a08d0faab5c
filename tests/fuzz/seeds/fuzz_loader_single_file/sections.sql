-- bfm:schema core
-- bfm:tags tier=gold, region=eu
-- +migrate Up
CREATE TABLE {{.Schema}}.widgets (id bigint PRIMARY KEY, name text NOT NULL);
CREATE INDEX widgets_name ON {{ .schema }}.widgets (name);

-- +migrate Down
DROP TABLE {{.Schema}}.widgets;
