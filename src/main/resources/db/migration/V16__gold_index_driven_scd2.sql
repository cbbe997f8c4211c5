-- Promotion's SQL without the plans that grew with gold, and without per-row function calls.
--
-- Measured (bench/RESULTS.md, 2026-12-01, `BENCH_WORKLOADS=late BENCH_EVENTS=60000 BENCH_RUNS=1 bench/promotion/run`
-- with pg_stat_statements.track = all): of gold.fit_product_events' time per 1,000-event round, 30 ms went to the
-- re-chaining UPDATE and 8 ms to collecting the versions to re-chain, both sequential scans of dim_product (an OR
-- of two IN lists, and a hash join the planner preferred over the key list), so they grew with the whole dimension;
-- and gold.product_key_at, a SQL function PostgreSQL cannot inline (its body has sub-selects), ran as a statement of
-- its own for every fact line added or re-pointed (46,186 calls for 60,000 events, 15 ms per round), like
-- gold.date_key (declared immutable around to_char, which is only stable, so never inlined: 48,971 calls).
--
-- Same signatures, same results:
--   * the versions to re-chain are a UNION of two index lookups, and the re-chaining UPDATE is driven by their keys;
--   * the version of a line's time is looked up inline (the two index probes product_key_at makes), once per line:
--     re-pointed facts are computed first (MATERIALIZED), then updated where they changed;
--   * gold.date_key is integer arithmetic on extract(), which PostgreSQL inlines.

CREATE OR REPLACE FUNCTION gold.date_key(p_day date) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT (extract(year FROM p_day) * 10000 + extract(month FROM p_day) * 100 + extract(day FROM p_day))::integer
$$;

CREATE OR REPLACE FUNCTION gold.fit_product_events(p_skus text[], p_event_ids text[], p_at timestamptz[], p_names text[],
        p_categories text[], p_brands text[], p_prices numeric[], p_currencies text[]) RETURNS integer
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_misfits integer;
    v_skus    text[];
    v_p       timestamptz[];
    v_r       timestamptz[];
    v_desired gold.product_history[];
    v_chain   bigint[];
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
    DELETE FROM gold.dim_product d
    USING unnest(v_skus, v_p, v_r) AS r(sku, p, r)
    WHERE d.sku = r.sku AND d.valid_from > r.p AND d.valid_from <= r.r
      AND NOT EXISTS (SELECT 1 FROM unnest(v_desired) x WHERE x.sku = d.sku AND x.valid_from = d.valid_from);
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
    FROM (SELECT d.product_key
          FROM unnest(v_desired) x JOIN gold.dim_product d ON d.sku = x.sku AND d.valid_from = x.valid_from
          UNION
          SELECT (SELECT h.product_key FROM gold.dim_product h
                  WHERE h.sku = r.sku AND h.valid_from <= r.p
                  ORDER BY h.valid_from DESC LIMIT 1)
          FROM unnest(v_skus, v_p) AS r(sku, p)) c
    WHERE c.product_key IS NOT NULL;
    UPDATE gold.dim_product d SET is_current = false
    WHERE d.product_key = ANY (v_chain) AND d.is_current
      AND EXISTS (SELECT 1 FROM gold.dim_product n WHERE n.sku = d.sku AND n.valid_from > d.valid_from);
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
    WITH moved AS MATERIALIZED (
        SELECT l.event_id, l.line_no, l.product_key AS was,
               coalesce((SELECT d.product_key FROM gold.dim_product d
                         WHERE d.sku = l.sku AND d.valid_from <= l.occurred_at
                         ORDER BY d.valid_from DESC LIMIT 1),
                        (SELECT d.product_key FROM gold.dim_product d
                         WHERE d.sku = l.sku ORDER BY d.valid_from LIMIT 1)) AS now
        FROM unnest(v_skus, v_p, v_r) AS r(sku, p, r)
        JOIN gold.fact_order_line l ON l.sku = r.sku AND l.occurred_at > r.p AND l.occurred_at <= r.r
    )
    UPDATE gold.fact_order_line f SET product_key = m.now
    FROM moved m
    WHERE f.event_id = m.event_id AND f.line_no = m.line_no AND m.was IS DISTINCT FROM m.now;
    WITH ends AS MATERIALIZED (
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
    ), stale AS MATERIALIZED (
        SELECT e.* FROM ends e
        WHERE (SELECT l.product_key FROM gold.fact_order_line l
               WHERE l.sku = e.sku AND l.occurred_at > e.r AND l.occurred_at < e.next_from
               ORDER BY l.occurred_at LIMIT 1) IS DISTINCT FROM e.holder
    )
    UPDATE gold.fact_order_line f SET product_key = s.holder
    FROM stale s
    WHERE f.sku = s.sku AND f.occurred_at > s.r AND f.occurred_at < s.next_from
      AND f.product_key IS DISTINCT FROM s.holder;
    RETURN v_misfits;
END $$;

CREATE OR REPLACE FUNCTION gold.add_order_lines(p_event_ids text[], p_line_nos integer[], p_order_ids text[],
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
               coalesce((SELECT d.product_key FROM gold.dim_product d
                         WHERE d.sku = l.sku AND d.valid_from <= l.occurred_at
                         ORDER BY d.valid_from DESC LIMIT 1),
                        (SELECT d.product_key FROM gold.dim_product d
                         WHERE d.sku = l.sku ORDER BY d.valid_from LIMIT 1)),
               c.customer_key, l.quantity, l.unit_price,
               l.quantity * l.unit_price, l.currency, l.sku, l.occurred_at
        FROM l LEFT JOIN gold.dim_customer c ON c.user_id = l.user_id
        ORDER BY l.event_id, l.line_no
        RETURNING event_id, line_no, customer_key
    )
    SELECT coalesce(array_agg(DISTINCT a.event_id), '{}')
    FROM added a JOIN l ON l.event_id = a.event_id AND l.line_no = a.line_no
    WHERE a.customer_key IS NULL AND l.user_id IS NOT NULL
$$;
