-- bfm:table order_items
-- Order lines; the foreign key to orders is added by the next migration.
CREATE TABLE order_items (
    order_id    BIGINT  NOT NULL,
    line        INTEGER NOT NULL,
    sku         TEXT    NOT NULL,
    quantity    INTEGER NOT NULL DEFAULT 1,
    price_cents BIGINT  NOT NULL,
    PRIMARY KEY (order_id, line)
);
