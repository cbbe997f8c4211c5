-- SCD 2 fitted set-based; dim_customer written only at the end of the promotion transaction; facts without foreign
-- keys.
--
-- Measured (bench/RESULTS.md, 2026-12-01, `BENCH_WORKLOADS=late BENCH_EVENTS=20000 bench/promotion/run` with
-- pg_stat_statements and track_functions): V9's gold.fit_product_events called gold.fit_product_event 8,726 times for
-- 20,000 events, about a dozen statements each, 1.3 s per batch of 1,000; and gold.apply_customers spent 1.0 s per call
-- waiting for the row locks of the other promotion transaction in flight, which held them from its start to its commit.
--
-- gold.fit_product_events keeps its signature and meaning and becomes three phases, each one statement for the whole
-- batch:
--   1. the misfits: events whose attributes differ from the version valid at their time (one index probe each);
--   2. their windows: for a misfit at t, [the last version start before t, the first version start after n), n the
--      next product-event instant after t in silver. Adding the winner of t can change version starts only at t and
--      at n; the start before t keeps its attributes and the start after n keeps the instant before it, so both stay
--      as they are. Overlapping or touching windows of a sku are merged;
--   3. each window is restated from silver (the definition of gold.product_history, restricted to the window), the
--      versions it no longer has are deleted, and only the facts inside the windows are re-pointed.
-- The work grows with the windows that change, not with the sku's history, and does not loop per event.
--
-- gold.fact_order_line drops its foreign keys to the dimensions. Each was a row trigger with a key-share lock on the
-- dimension row for every fact line inserted: adding 2,000 lines took 286 ms with them and 179 ms without (same
-- transaction rolled back, on the benchmark's 100k-event gold). Gold is derived: the promotion transaction writes the
-- keys (product_key_at, the customer of the line's user, the day's date_key), and gold.i3_differences, run after
-- every benchmark and fault run, compares every fact's version and customer with a fresh aggregation of silver.
ALTER TABLE gold.fact_order_line DROP CONSTRAINT fact_order_line_date_key_fkey,
                                 DROP CONSTRAINT fact_order_line_product_key_fkey,
                                 DROP CONSTRAINT fact_order_line_customer_key_fkey;

DROP FUNCTION gold.fit_product_event(text, text, timestamptz, text, text, text, numeric, text);
DROP FUNCTION gold.fit_product_events(text[], text[], timestamptz[], text[], text[], text[], numeric[], text[]);

CREATE FUNCTION gold.fit_product_events(p_skus text[], p_event_ids text[], p_at timestamptz[], p_names text[],
        p_categories text[], p_brands text[], p_prices numeric[], p_currencies text[]) RETURNS integer
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_misfits integer;
    v_skus    text[];
    v_lo      timestamptz[];
    v_hi      timestamptz[];
    v_desired gold.product_history[];
BEGIN
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
               coalesce((SELECT max(d.valid_from) FROM gold.dim_product d
                         WHERE d.sku = m.sku AND d.valid_from < m.occurred_at), '-infinity') AS lo,
               coalesce((SELECT min(d.valid_from) FROM gold.dim_product d
                         WHERE d.sku = m.sku
                           AND d.valid_from > coalesce((SELECT min(s.occurred_at) FROM silver.events s
                                                        WHERE s.sku = m.sku AND s.occurred_at > m.occurred_at
                                                          AND gold.is_product_event(s.event_type)),
                                                       m.occurred_at)), 'infinity') AS hi
        FROM misfit m
    ), flagged AS (
        SELECT sku, lo, hi,
               CASE WHEN lo <= max(hi) OVER (PARTITION BY sku ORDER BY lo, hi
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                    THEN 0 ELSE 1 END AS opens
        FROM windows
    ), islands AS (
        SELECT sku, lo, hi, sum(opens) OVER (PARTITION BY sku ORDER BY lo, hi) AS island FROM flagged
    ), merged AS (
        SELECT sku, min(lo) AS lo, max(hi) AS hi, count(*) AS misfits FROM islands GROUP BY sku, island
    )
    SELECT array_agg(sku ORDER BY sku, lo), array_agg(lo ORDER BY sku, lo), array_agg(hi ORDER BY sku, lo),
           sum(misfits)
    INTO v_skus, v_lo, v_hi, v_misfits
    FROM merged;
    IF v_skus IS NULL THEN
        RETURN 0;
    END IF;

    -- the history of each window as silver defines it (gold.product_history restricted to the window)
    WITH instants AS (
        SELECT r.sku, r.lo, r.hi, w.*
        FROM unnest(v_skus, v_lo, v_hi) AS r(sku, lo, hi)
        CROSS JOIN LATERAL (
            SELECT DISTINCT ON (s.occurred_at)
                   s.occurred_at, s.product_name AS name, s.product_category AS category, s.product_brand AS brand,
                   s.product_price AS price, s.product_currency AS currency
            FROM silver.events s
            WHERE s.sku = r.sku AND s.occurred_at >= r.lo AND s.occurred_at < r.hi
              AND gold.is_product_event(s.event_type)
            ORDER BY s.occurred_at, s.event_id DESC) w
    ), starts AS (
        SELECT * FROM (
            SELECT *, (name, category, brand, price, currency) IS DISTINCT FROM
                      (lag(name) OVER w, lag(category) OVER w, lag(brand) OVER w, lag(price) OVER w,
                       lag(currency) OVER w)
                      OR row_number() OVER w = 1 AS starts
            FROM instants
            WINDOW w AS (PARTITION BY sku, lo ORDER BY occurred_at)) x
        WHERE starts
    ), versions AS (
        SELECT sku, name, category, brand, price, currency, occurred_at AS valid_from,
               coalesce(lead(occurred_at) OVER v, nullif(hi, 'infinity')) AS valid_to,
               lead(occurred_at) OVER v IS NULL AND hi = 'infinity' AS is_current
        FROM starts
        WINDOW v AS (PARTITION BY sku, lo ORDER BY occurred_at)
    )
    SELECT array_agg(ROW(sku, name, category, brand, price, currency, valid_from, valid_to, is_current)
                         ::gold.product_history ORDER BY sku, valid_from)
    INTO v_desired
    FROM versions;

    -- the current version moves: the old one first stops being current (one current version per sku at any time)
    UPDATE gold.dim_product d SET is_current = false
    FROM unnest(v_skus, v_lo, v_hi) AS r(sku, lo, hi)
    WHERE d.sku = r.sku AND r.hi = 'infinity' AND d.is_current
      AND NOT EXISTS (SELECT 1 FROM unnest(v_desired) x
                      WHERE x.sku = d.sku AND x.valid_from = d.valid_from AND x.is_current);
    INSERT INTO gold.dim_product AS d (sku, name, category, brand, price, currency, valid_from, valid_to, is_current)
    SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current
    FROM unnest(v_desired)
    ORDER BY sku, valid_from
    ON CONFLICT (sku, valid_from) DO UPDATE
        SET name = excluded.name, category = excluded.category, brand = excluded.brand, price = excluded.price,
            currency = excluded.currency, valid_to = excluded.valid_to, is_current = excluded.is_current
        WHERE (d.name, d.category, d.brand, d.price, d.currency, d.valid_to, d.is_current) IS DISTINCT FROM
              (excluded.name, excluded.category, excluded.brand, excluded.price, excluded.currency,
               excluded.valid_to, excluded.is_current);

    -- versions of the windows that the history no longer has; their facts are re-pointed below
    DELETE FROM gold.dim_product d
    USING unnest(v_skus, v_lo, v_hi) AS r(sku, lo, hi)
    WHERE d.sku = r.sku AND d.valid_from >= r.lo AND d.valid_from < r.hi
      AND NOT EXISTS (SELECT 1 FROM unnest(v_desired) x WHERE x.sku = d.sku AND x.valid_from = d.valid_from);

    -- the facts inside the windows point at the version of their time (before the first version: the first)
    UPDATE gold.fact_order_line f SET product_key = k.product_key
    FROM (SELECT l.event_id, l.line_no, gold.product_key_at(l.sku, l.occurred_at) AS product_key
          FROM unnest(v_skus, v_lo, v_hi) AS r(sku, lo, hi)
          JOIN gold.fact_order_line l ON l.sku = r.sku AND l.occurred_at >= r.lo AND l.occurred_at < r.hi) k
    WHERE f.event_id = k.event_id AND f.line_no = k.line_no AND f.product_key IS DISTINCT FROM k.product_key;
    RETURN v_misfits;
END $$;

-- dim_customer's rows are written at the end of the transaction only (gold.apply_customers inserts the users seen for
-- the first time and widens the others' seen windows), so that two promotions that bring the same new user wait for
-- each other only for the end of a transaction. Facts added before that leave customer_key null for users who have no
-- row yet: gold.add_order_lines names their events, and gold.link_customers fills them in after apply_customers.
DROP FUNCTION gold.add_order_lines(text[], integer[], text[], timestamptz[], text[], text[], integer[], numeric[],
                                   text[]);

CREATE FUNCTION gold.add_order_lines(p_event_ids text[], p_line_nos integer[], p_order_ids text[],
        p_at timestamptz[], p_users text[], p_skus text[], p_quantities integer[], p_unit_prices numeric[],
        p_currencies text[]) RETURNS text[]
LANGUAGE sql AS $$
    WITH l AS (
        SELECT * FROM unnest(p_event_ids, p_line_nos, p_order_ids, p_at, p_users, p_skus, p_quantities, p_unit_prices,
                             p_currencies) AS l(event_id, line_no, order_id, occurred_at, user_id, sku, quantity,
                                                unit_price, currency)
    ), added AS (
        INSERT INTO gold.fact_order_line (event_id, line_no, order_id, date_key, product_key, customer_key, quantity,
                                          unit_price, revenue, currency, sku, occurred_at)
        SELECT l.event_id, l.line_no, l.order_id, gold.date_key(gold.utc_day(l.occurred_at)),
               gold.product_key_at(l.sku, l.occurred_at), c.customer_key, l.quantity, l.unit_price,
               l.quantity * l.unit_price, l.currency, l.sku, l.occurred_at
        FROM l LEFT JOIN gold.dim_customer c ON c.user_id = l.user_id
        ORDER BY l.event_id, l.line_no
        RETURNING event_id, line_no, customer_key
    )
    SELECT coalesce(array_agg(DISTINCT a.event_id), '{}')
    FROM added a JOIN l ON l.event_id = a.event_id AND l.line_no = a.line_no
    WHERE a.customer_key IS NULL AND l.user_id IS NOT NULL
$$;

-- The customer of the lines of these purchases, once gold.apply_customers has given their users a row.
CREATE FUNCTION gold.link_customers(p_event_ids text[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE gold.fact_order_line f SET customer_key = c.customer_key
    FROM silver.events e JOIN gold.dim_customer c ON c.user_id = e.user_id
    WHERE f.event_id = ANY (p_event_ids) AND f.customer_key IS NULL AND e.event_id = f.event_id
$$;
