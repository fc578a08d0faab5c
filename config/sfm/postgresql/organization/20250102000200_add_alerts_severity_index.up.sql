-- bfm:table alerts
-- The alert list filters enabled rules by severity and state. On a large table you would build
-- it with CREATE INDEX CONCURRENTLY and a "-- bfm:transaction off" header line instead.

CREATE INDEX IF NOT EXISTS alerts_severity_state_idx ON alerts (severity, state)
    WHERE enabled;
