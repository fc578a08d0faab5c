-- Fails while core.organizations still references regions: roll that migration back first.
DROP TABLE IF EXISTS regions;
