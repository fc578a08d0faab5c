-- bfm:table account_order_totals
CREATE VIEW account_order_totals AS
SELECT a.id                             AS account_id,
       a.name,
       a.plan,
       count(o.id)                      AS orders,
       coalesce(sum(o.total_cents), 0)  AS total_cents
FROM accounts a
LEFT JOIN orders o ON o.account_id = a.id
GROUP BY a.id, a.name, a.plan;
