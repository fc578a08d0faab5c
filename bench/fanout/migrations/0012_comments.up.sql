-- bfm:table accounts
COMMENT ON TABLE accounts IS 'Customer accounts of this tenant';
COMMENT ON COLUMN accounts.plan IS 'Billing plan: free, pro, ...';
COMMENT ON TABLE orders IS 'Orders; status is one of new, paid, shipped, cancelled';
COMMENT ON VIEW account_order_totals IS 'Order count and total per account';
