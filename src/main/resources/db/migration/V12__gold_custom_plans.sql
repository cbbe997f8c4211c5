-- The gold units that look rows up per sku or per event plan each statement for its own parameters again.
--
-- Measured (bench/RESULTS.md, 2026-12-01): with V9's cached (generic) plans, a promotion starting on empty gold
-- tables kept the plans made while gold.dim_product and gold.fact_order_line were empty: 165,277 sequential scans of
-- dim_product reading 453 M rows and 24,782 of fact_order_line for 80,000 promoted events (pg_stat_user_tables), about
-- 1.4 ms of PostgreSQL CPU per event. A plan made for the current parameters uses the (sku, valid_from) and
-- (sku, occurred_at) indexes whatever the statistics said when the session started. V5 did the same with
-- force_custom_plan on its one function.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'gold' AND p.proname IN ('fit_product_event', 'fit_product_events', 'chain_versions',
                                                   'repoint_facts', 'rebuild_products', 'apply_customers')
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET plan_cache_mode = force_custom_plan', f);
    END LOOP;
END $$;
