-- +migrate Up
-- bfm:transaction off
CREATE INDEX CONCURRENTLY IF NOT EXISTS t_idx ON t (a);
