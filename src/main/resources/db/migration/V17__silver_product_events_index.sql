-- An index that matches the SCD 2 probes exactly: silver's product events by sku and instant.
--
-- Measured (bench/RESULTS.md, 2026-12-01 19:29, a 1M-event `late` backlog): promotion stalled for about 40 s at
-- 213,000 events, gold.fit_product_events taking up to 3.8 s a call. Its probes for a misfit's neighbouring
-- instants (`sku = $1 AND occurred_at > $2 AND gold.is_product_event(event_type) ORDER BY occurred_at LIMIT 1`)
-- could be planned on silver_events_occurred_idx, filtering sku and event type row by row, whenever the statistics
-- of a fast-growing silver said few rows lay after the instant; silver_events_sku_idx left the event type to a
-- filter on the heap, so it never looked much cheaper. Every query of silver by sku (the SCD 2 units, the
-- gold.product_history view) asks for product events only, so this index replaces silver_events_sku_idx: its
-- predicate is the inlined body of gold.is_product_event, and a probe's conditions are all index conditions.
--
-- Not CONCURRENTLY: Flyway holds its PostgreSQL lock in a transaction of its own, which a concurrent build waits for
-- forever. Building it blocks promotion (not ingest) for the time of one pass over silver; on a large silver, build
-- it by hand first with CREATE INDEX CONCURRENTLY under this name (README, "Operations"), and this migration only
-- drops the old index.

CREATE INDEX IF NOT EXISTS silver_events_product_idx ON silver.events (sku, occurred_at)
    WHERE sku IS NOT NULL AND event_type IN ('product_view', 'add_to_cart', 'remove_from_cart');

DROP INDEX silver.silver_events_sku_idx;
