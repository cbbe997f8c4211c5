-- gold.fit_product_events with plans bounded by its windows.
--
-- Measured (bench/RESULTS.md, 2026-12-03, auto_explain and pg_stat_statements with track = all on
-- `BENCH_WORKLOADS=late BENCH_RUNS=1 bench/promotion/run`, 200,000 events, 50 rounds of 4,000): the planner joined
-- the windows to gold.fact_order_line, and the re-pointed facts back to it, with hash joins over sequential scans of
-- the whole table, and did the same with gold.dim_product when collecting, re-chaining and deleting versions. Their
-- inputs were CTEs whose row counts it guessed (756 rows for 91), and the tables grow during a backlog faster than
-- ANALYZE follows them, so these plans, chosen on 2,000-row tables, were kept on 80,000-row ones: the statement that
-- re-points facts went from 10 ms to 55 ms per round over the run, growing with the history, not with the windows.
--
-- Same signature, same results (Scd2VersionsTest, GoldUnitsTest, the I3 check after every benchmark run). Every
-- lookup into gold is now a probe per window or per row that the planner cannot turn into a join over a whole table:
-- a scalar subquery, or a LATERAL subquery kept apart with OFFSET 0; the rows to change are collected into arrays
-- first, whose sizes a custom plan sees, and changed through their primary keys. The function's time outside its misfit
-- statement went from 32 to 22 ms per round (the same profile, same 200,000 events).
--
-- Tried and left out: probing once per group of events with the same sku and attributes (the current version holds
-- the whole group when it starts before the group's first event). Numbering the groups takes two sorts of the batch
-- on six text columns, which cost more than the probes they saved: the misfit statement went from 14 to 21 ms.

CREATE OR REPLACE FUNCTION gold.fit_product_events(p_skus text[], p_event_ids text[], p_at timestamptz[], p_names text[],
        p_categories text[], p_brands text[], p_prices numeric[], p_currencies text[]) RETURNS integer
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_misfits integer;
    v_skus    text[];
    v_p       timestamptz[];
    v_r       timestamptz[];
    v_desired gold.product_history[];
    v_gone    bigint[];
    v_chain   bigint[];
    v_events  text[];
    v_lines   integer[];
    v_keys    bigint[];
BEGIN
    -- 1. the misfits; 2. their windows (p, r], merged per sku when they share instants
    WITH input AS (
        SELECT * FROM unnest(p_skus, p_event_ids, p_at, p_names, p_categories, p_brands, p_prices, p_currencies)
                 AS i(sku, event_id, occurred_at, name, category, brand, price, currency)
    ), misfit AS (
        SELECT DISTINCT i.sku, i.occurred_at FROM input i
        WHERE NOT EXISTS (
            SELECT 1 FROM (SELECT * FROM gold.dim_product d
                           WHERE d.sku = i.sku AND d.valid_from <= i.occurred_at
                           ORDER BY d.valid_from DESC LIMIT 1) v
            WHERE (v.name, v.category, v.brand, v.price, v.currency) IS NOT DISTINCT FROM
                  (i.name, i.category, i.brand, i.price, i.currency))
    ), windows AS (
        SELECT m.sku,
               coalesce((SELECT s.occurred_at FROM silver.events s
                         WHERE s.sku = m.sku AND s.occurred_at < m.occurred_at
                           AND gold.is_product_event(s.event_type)
                         ORDER BY s.occurred_at DESC LIMIT 1), '-infinity') AS p,
               coalesce((SELECT s.occurred_at FROM silver.events s
                         WHERE s.sku = m.sku AND s.occurred_at > m.occurred_at
                           AND gold.is_product_event(s.event_type)
                         ORDER BY s.occurred_at LIMIT 1), m.occurred_at) AS r
        FROM misfit m
    ), flagged AS (
        SELECT *, CASE WHEN p < max(r) OVER (PARTITION BY sku ORDER BY p, r
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                       THEN 0 ELSE 1 END AS opens
        FROM windows
    ), islands AS (
        SELECT *, sum(opens) OVER (PARTITION BY sku ORDER BY p, r) AS island FROM flagged
    ), merged AS (
        SELECT sku, min(p) AS p, max(r) AS r, count(*) AS misfits FROM islands GROUP BY sku, island
    )
    SELECT array_agg(sku ORDER BY sku, p), array_agg(p ORDER BY sku, p), array_agg(r ORDER BY sku, p),
           sum(misfits)
    INTO v_skus, v_p, v_r, v_misfits
    FROM merged;
    IF v_skus IS NULL THEN
        RETURN 0;
    END IF;

    -- 3. the version starts of each window as silver defines them (gold.product_history restricted to the window,
    -- seeded with the attributes of the instant p before it)
    WITH instants AS (
        SELECT r.sku, r.p, w.*
        FROM unnest(v_skus, v_p, v_r) AS r(sku, p, r)
        CROSS JOIN LATERAL (
            SELECT DISTINCT ON (s.occurred_at)
                   s.occurred_at, s.product_name AS name, s.product_category AS category, s.product_brand AS brand,
                   s.product_price AS price, s.product_currency AS currency
            FROM silver.events s
            WHERE s.sku = r.sku AND s.occurred_at >= r.p AND s.occurred_at <= r.r
              AND gold.is_product_event(s.event_type)
            ORDER BY s.occurred_at, s.event_id DESC) w
    ), starts AS (
        SELECT * FROM (
            SELECT *, (name, category, brand, price, currency) IS DISTINCT FROM
                      (lag(name) OVER w, lag(category) OVER w, lag(brand) OVER w, lag(price) OVER w,
                       lag(currency) OVER w)
                      OR row_number() OVER w = 1 AS starts
            FROM instants
            WINDOW w AS (PARTITION BY sku, p ORDER BY occurred_at)) x
        WHERE starts AND occurred_at > p
    )
    SELECT array_agg(ROW(sku, name, category, brand, price, currency, occurred_at, NULL, false)
                         ::gold.product_history ORDER BY sku, occurred_at)
    INTO v_desired
    FROM starts;
    v_desired := coalesce(v_desired, '{}');

    -- the windows' versions: the ones the history no longer has go, the others are written (their ends below)
    SELECT array_agg(k.product_key) INTO v_gone
    FROM unnest(v_skus, v_p, v_r) AS r(sku, p, r)
    CROSS JOIN LATERAL (SELECT d.product_key, d.valid_from FROM gold.dim_product d
                        WHERE d.sku = r.sku AND d.valid_from > r.p AND d.valid_from <= r.r OFFSET 0) k
    WHERE NOT EXISTS (SELECT 1 FROM unnest(v_desired) x WHERE x.sku = r.sku AND x.valid_from = k.valid_from);
    IF v_gone IS NOT NULL THEN
        DELETE FROM gold.dim_product WHERE product_key = ANY (v_gone);
    END IF;
    INSERT INTO gold.dim_product AS d (sku, name, category, brand, price, currency, valid_from, valid_to, is_current)
    SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current
    FROM unnest(v_desired)
    ORDER BY sku, valid_from
    ON CONFLICT (sku, valid_from) DO UPDATE
        SET name = excluded.name, category = excluded.category, brand = excluded.brand, price = excluded.price,
            currency = excluded.currency
        WHERE (d.name, d.category, d.brand, d.price, d.currency) IS DISTINCT FROM
              (excluded.name, excluded.category, excluded.brand, excluded.price, excluded.currency);

    -- Re-chained: the versions whose next start may have changed, which are the windows' versions and the version
    -- holding each p (any other version keeps its successor). valid_to is the next start, the last one is current;
    -- first the versions that stop being current, so that a sku never has two.
    SELECT array_agg(c.product_key) INTO v_chain
    FROM (SELECT (SELECT d.product_key FROM gold.dim_product d
                  WHERE d.sku = x.sku AND d.valid_from = x.valid_from) AS product_key
          FROM unnest(v_desired) x
          UNION
          SELECT (SELECT h.product_key FROM gold.dim_product h
                  WHERE h.sku = r.sku AND h.valid_from <= r.p
                  ORDER BY h.valid_from DESC LIMIT 1)
          FROM unnest(v_skus, v_p) AS r(sku, p)) c
    WHERE c.product_key IS NOT NULL;
    UPDATE gold.dim_product d SET is_current = false
    WHERE d.product_key = ANY (v_chain) AND d.is_current
      AND (SELECT n.valid_from FROM gold.dim_product n
           WHERE n.sku = d.sku AND n.valid_from > d.valid_from
           ORDER BY n.valid_from LIMIT 1) IS NOT NULL;
    WITH chained AS MATERIALIZED (
        SELECT x.product_key, x.valid_to, x.is_current,
               (SELECT n.valid_from FROM gold.dim_product n
                WHERE n.sku = x.sku AND n.valid_from > x.valid_from
                ORDER BY n.valid_from LIMIT 1) AS next_from
        FROM gold.dim_product x WHERE x.product_key = ANY (v_chain)
    )
    UPDATE gold.dim_product d SET valid_to = c.next_from, is_current = c.next_from IS NULL
    FROM chained c
    WHERE d.product_key = ANY (v_chain) AND d.product_key = c.product_key
      AND (c.valid_to, c.is_current) IS DISTINCT FROM (c.next_from, c.next_from IS NULL);

    -- 4. the facts of the windows, (p, r], point at the version of their time (before the first version: the first);
    -- those after r and before the next version start all pointed at one version, and all move when the version
    -- holding r is another one now (checked on the first of them)
    SELECT array_agg(m.event_id), array_agg(m.line_no), array_agg(m.now) INTO v_events, v_lines, v_keys
    FROM (SELECT l.event_id, l.line_no, l.product_key AS was,
                 coalesce((SELECT d.product_key FROM gold.dim_product d
                           WHERE d.sku = l.sku AND d.valid_from <= l.occurred_at
                           ORDER BY d.valid_from DESC LIMIT 1),
                          (SELECT d.product_key FROM gold.dim_product d
                           WHERE d.sku = l.sku ORDER BY d.valid_from LIMIT 1)) AS now
          FROM unnest(v_skus, v_p, v_r) AS r(sku, p, r)
          CROSS JOIN LATERAL (SELECT f.event_id, f.line_no, f.product_key, f.sku, f.occurred_at
                              FROM gold.fact_order_line f
                              WHERE f.sku = r.sku AND f.occurred_at > r.p AND f.occurred_at <= r.r OFFSET 0) l) m
    WHERE m.was IS DISTINCT FROM m.now;
    IF v_events IS NOT NULL THEN
        UPDATE gold.fact_order_line f SET product_key = u.now
        FROM unnest(v_events, v_lines, v_keys) AS u(event_id, line_no, now)
        WHERE f.event_id = u.event_id AND f.line_no = u.line_no;
    END IF;
    WITH ends AS (
        SELECT r.sku, r.r,
               coalesce((SELECT d.product_key FROM gold.dim_product d
                         WHERE d.sku = r.sku AND d.valid_from <= r.r
                         ORDER BY d.valid_from DESC LIMIT 1),
                        (SELECT d.product_key FROM gold.dim_product d
                         WHERE d.sku = r.sku ORDER BY d.valid_from LIMIT 1)) AS holder,
               coalesce((SELECT n.valid_from FROM gold.dim_product n
                         WHERE n.sku = r.sku AND n.valid_from > r.r
                         ORDER BY n.valid_from LIMIT 1), 'infinity') AS next_from
        FROM unnest(v_skus, v_r) AS r(sku, r)
    ), stale AS (
        SELECT e.* FROM ends e
        WHERE (SELECT l.product_key FROM gold.fact_order_line l
               WHERE l.sku = e.sku AND l.occurred_at > e.r AND l.occurred_at < e.next_from
               ORDER BY l.occurred_at LIMIT 1) IS DISTINCT FROM e.holder
    )
    SELECT array_agg(l.event_id), array_agg(l.line_no), array_agg(s.holder) INTO v_events, v_lines, v_keys
    FROM stale s
    CROSS JOIN LATERAL (SELECT f.event_id, f.line_no FROM gold.fact_order_line f
                        WHERE f.sku = s.sku AND f.occurred_at > s.r AND f.occurred_at < s.next_from
                          AND f.product_key IS DISTINCT FROM s.holder OFFSET 0) l;
    IF v_events IS NOT NULL THEN
        UPDATE gold.fact_order_line f SET product_key = u.now
        FROM unnest(v_events, v_lines, v_keys) AS u(event_id, line_no, now)
        WHERE f.event_id = u.event_id AND f.line_no = u.line_no;
    END IF;
    RETURN v_misfits;
END $$;
