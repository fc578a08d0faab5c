DROP INDEX IF EXISTS alerts_severity_state_idx;
