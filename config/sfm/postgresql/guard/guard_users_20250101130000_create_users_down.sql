-- Fails while guard.api_keys still references users: roll that migration back first.
DROP TABLE IF EXISTS users;
