-- bfm:table accounts
-- Seed data: 100 accounts with one order each, then a backfill of the plan column.
INSERT INTO accounts (name, email)
SELECT 'account ' || g, 'user' || g || '@example.com'
FROM generate_series(1, 100) AS g;

INSERT INTO orders (account_id, status, total_cents)
SELECT id, CASE WHEN id % 3 = 0 THEN 'paid' ELSE 'new' END, id * 100
FROM accounts;

UPDATE accounts SET plan = 'pro' WHERE id % 10 = 0;
