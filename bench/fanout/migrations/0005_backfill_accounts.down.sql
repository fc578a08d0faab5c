DELETE FROM orders;
DELETE FROM accounts;
