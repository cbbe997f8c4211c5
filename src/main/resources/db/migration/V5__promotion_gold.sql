-- Promotion engine: gold maintained incrementally, in the promotion transaction, for the keys each batch touches.
--
-- How gold stays exact under concurrent promoters and replays (README "Layers and promotion"):
--   * additive tables (daily_product_metrics, daily_revenue) and dim_customer take exact deltas: +1 for each silver row
--     a batch inserted or replaced, -1 for the row it replaced (read under FOR UPDATE before the replacement), applied
--     with INSERT ... ON CONFLICT DO UPDATE, which row-locks and commutes;
--   * dim_product (SCD 2) and the product_key of facts are recomputed from silver for the touched skus, after the
--     silver upsert, under transaction-scoped advisory locks on those skus taken in lock-key order: the last
--     transaction to lock a sku sees every committed silver row of it.

-- The fact carries the sku and occurred_at of its line, so a SCD 2 change re-points facts without joining silver.
ALTER TABLE gold.fact_order_line ADD COLUMN sku text NOT NULL, ADD COLUMN occurred_at timestamptz NOT NULL;
CREATE INDEX fact_order_line_sku_idx ON gold.fact_order_line (sku, occurred_at);
CREATE INDEX fact_order_line_customer_idx ON gold.fact_order_line (customer_key);

-- Events that carry product attributes (the product object); purchase lines do not change dim_product.
CREATE FUNCTION gold.is_product_event(event_type text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT event_type IN ('product_view', 'add_to_cart', 'remove_from_cart') $$;

-- The SCD 2 history of every sku as silver says it should be: a version starts at each product event whose
-- attributes differ from the previous one in occurred_at order (ties: the greatest event_id wins), and ends where the
-- next version starts. Filter by sku: the filter is pushed below the window functions.
CREATE VIEW gold.product_history AS
WITH attributed AS (
    SELECT DISTINCT ON (sku, occurred_at)
           sku, occurred_at, product_name AS name, product_category AS category, product_brand AS brand,
           product_price AS price, product_currency AS currency
    FROM silver.events
    WHERE sku IS NOT NULL AND gold.is_product_event(event_type)
    ORDER BY sku, occurred_at, event_id DESC
), changes AS (
    SELECT *, (name, category, brand, price, currency) IS DISTINCT FROM
              (lag(name) OVER w, lag(category) OVER w, lag(brand) OVER w, lag(price) OVER w, lag(currency) OVER w)
              OR row_number() OVER w = 1 AS starts
    FROM attributed
    WINDOW w AS (PARTITION BY sku ORDER BY occurred_at)
)
SELECT sku, name, category, brand, price, currency, occurred_at AS valid_from,
       lead(occurred_at) OVER v AS valid_to, lead(occurred_at) OVER v IS NULL AS is_current
FROM changes
WHERE starts
WINDOW v AS (PARTITION BY sku ORDER BY occurred_at);

-- The product version valid at a time; a time before the first version gets the first version (the product was
-- sold before any event described it). Null only for a sku no product event ever described.
CREATE FUNCTION gold.product_key_at(p_sku text, p_at timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
        (SELECT product_key FROM gold.dim_product WHERE sku = p_sku AND valid_from <= p_at ORDER BY valid_from DESC LIMIT 1),
        (SELECT product_key FROM gold.dim_product WHERE sku = p_sku ORDER BY valid_from LIMIT 1))
$$;

CREATE FUNCTION gold.date_key(p_day date) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(p_day, 'YYYYMMDD')::integer $$;

CREATE FUNCTION gold.utc_day(p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT (p_at AT TIME ZONE 'UTC')::date $$;

-- The rows a promotion replaced, as they were before: passed as JSON by the promoter.
CREATE FUNCTION gold.old_events(p_rows jsonb)
    RETURNS TABLE (event_id text, event_type text, occurred_at timestamptz, user_id text, sku text, currency text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT * FROM jsonb_to_recordset(coalesce(p_rows, '[]')) AS o(event_id text, event_type text,
        occurred_at timestamptz, user_id text, sku text, currency text)
$$;

CREATE FUNCTION gold.old_items(p_rows jsonb)
    RETURNS TABLE (event_id text, line_no integer, sku text, quantity integer, unit_price numeric)
LANGUAGE sql IMMUTABLE AS $$
    SELECT * FROM jsonb_to_recordset(coalesce(p_rows, '[]')) AS i(event_id text, line_no integer, sku text,
        quantity integer, unit_price numeric)
$$;

-- Brings gold up to date with the silver rows a promotion transaction just inserted or replaced (p_changed), given
-- the rows they replaced as they were before (p_old_events: event_id, event_type, occurred_at, user_id, sku,
-- currency; p_old_items: event_id, line_no, sku, quantity, unit_price; both only for replaced rows). Runs in the
-- caller's transaction, after the silver upsert.
-- Plans are made per call (force_custom_plan): a plan cached while the tables were small would keep scanning them
-- sequentially as they grow.
CREATE FUNCTION gold.apply_changes(p_changed text[], p_old_events jsonb, p_old_items jsonb) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_replaced text[];
    v_skus     text[];
    v_rebuild  text[];
    v_desired  gold.product_history[];
    v_users    text[];
BEGIN
    SELECT array_agg(event_id) INTO v_replaced FROM gold.old_events(p_old_events);

    -- dim_date: every day used (rows are never removed).
    INSERT INTO gold.dim_date (date_key, date, year, quarter, month, day, iso_week, day_of_week)
    SELECT gold.date_key(d), d, extract(year FROM d), extract(quarter FROM d), extract(month FROM d),
           extract(day FROM d), extract(week FROM d), extract(isodow FROM d)
    FROM (SELECT DISTINCT gold.utc_day(occurred_at) AS d FROM silver.events WHERE event_id = ANY (p_changed)) days
    ORDER BY d
    ON CONFLICT DO NOTHING;

    -- dim_customer: new rows widen the seen window (commutative under the row lock of the upsert).
    INSERT INTO gold.dim_customer AS c (user_id, first_seen_at, last_seen_at)
    SELECT user_id, min(occurred_at), max(occurred_at)
    FROM silver.events
    WHERE event_id = ANY (p_changed) AND user_id IS NOT NULL
    GROUP BY user_id
    ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE
        SET first_seen_at = LEAST(c.first_seen_at, excluded.first_seen_at),
            last_seen_at = GREATEST(c.last_seen_at, excluded.last_seen_at)
        WHERE excluded.first_seen_at < c.first_seen_at OR excluded.last_seen_at > c.last_seen_at;

    -- Lock every sku touched (product events and purchase lines, new and replaced) in lock-key order.
    SELECT array_agg(DISTINCT sku) INTO v_skus FROM (
        SELECT sku FROM silver.events WHERE event_id = ANY (p_changed) AND sku IS NOT NULL
        UNION ALL SELECT sku FROM silver.order_items WHERE event_id = ANY (p_changed)
        UNION ALL SELECT sku FROM gold.old_events(p_old_events) WHERE sku IS NOT NULL
        UNION ALL SELECT sku FROM gold.old_items(p_old_items)) s;
    PERFORM pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT hashtextextended('sluice.dim_product:' || sku, 0) AS k FROM unnest(v_skus) sku ORDER BY 1) keys;

    -- SCD 2: rebuild the history of a sku when a new product event does not fit the version valid at its time, or
    -- when a product event of it was replaced. Most events fit, and cost one index probe.
    SELECT array_agg(DISTINCT sku) INTO v_rebuild FROM (
        SELECT e.sku FROM silver.events e
        WHERE e.event_id = ANY (p_changed) AND e.sku IS NOT NULL AND gold.is_product_event(e.event_type)
          AND NOT EXISTS (
              SELECT 1 FROM gold.dim_product d
              WHERE d.sku = e.sku AND d.valid_from <= e.occurred_at
                AND (d.valid_to IS NULL OR e.occurred_at < d.valid_to)
                AND (d.name, d.category, d.brand, d.price, d.currency) IS NOT DISTINCT FROM
                    (e.product_name, e.product_category, e.product_brand, e.product_price, e.product_currency))
        UNION ALL
        SELECT sku FROM gold.old_events(p_old_events) WHERE sku IS NOT NULL AND gold.is_product_event(event_type)) r;

    IF v_rebuild IS NOT NULL THEN
        SELECT array_agg(h ORDER BY h.sku, h.valid_from) INTO v_desired
        FROM gold.product_history h WHERE h.sku = ANY (v_rebuild);

        -- only the desired current version may stay current (partial unique index)
        UPDATE gold.dim_product d SET is_current = false
        WHERE d.sku = ANY (v_rebuild) AND d.is_current
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

        -- versions that no longer exist: detach their facts, drop them, then re-point the facts of these skus
        UPDATE gold.fact_order_line f SET product_key = NULL
        WHERE f.product_key IN (
            SELECT d.product_key FROM gold.dim_product d
            WHERE d.sku = ANY (v_rebuild)
              AND NOT EXISTS (SELECT 1 FROM unnest(v_desired) x WHERE x.sku = d.sku AND x.valid_from = d.valid_from));
        DELETE FROM gold.dim_product d
        WHERE d.sku = ANY (v_rebuild)
          AND NOT EXISTS (SELECT 1 FROM unnest(v_desired) x WHERE x.sku = d.sku AND x.valid_from = d.valid_from);
        UPDATE gold.fact_order_line f SET product_key = k.product_key
        FROM (SELECT event_id, line_no, gold.product_key_at(sku, occurred_at) AS product_key
              FROM gold.fact_order_line WHERE sku = ANY (v_rebuild)) k
        WHERE f.event_id = k.event_id AND f.line_no = k.line_no AND f.product_key IS DISTINCT FROM k.product_key;
    END IF;

    -- fact_order_line: the lines of replaced purchases go, the lines of new ones come.
    IF v_replaced IS NOT NULL THEN
        DELETE FROM gold.fact_order_line WHERE event_id = ANY (v_replaced);
    END IF;
    INSERT INTO gold.fact_order_line (event_id, line_no, order_id, date_key, product_key, customer_key, quantity,
                                      unit_price, revenue, currency, sku, occurred_at)
    SELECT i.event_id, i.line_no, i.order_id, gold.date_key(gold.utc_day(e.occurred_at)),
           gold.product_key_at(i.sku, e.occurred_at), c.customer_key, i.quantity, i.unit_price,
           i.quantity * i.unit_price, i.currency, i.sku, e.occurred_at
    FROM silver.events e
    JOIN silver.order_items i ON i.event_id = e.event_id
    LEFT JOIN gold.dim_customer c ON c.user_id = e.user_id
    WHERE e.event_id = ANY (p_changed) AND e.event_type = 'purchase'
    ORDER BY i.event_id, i.line_no;

    -- daily_product_metrics: exact deltas, +1 for new rows, -1 for the rows they replaced.
    WITH events AS (
        SELECT event_id, event_type, occurred_at, sku, currency, 1 AS sign
        FROM silver.events WHERE event_id = ANY (p_changed)
        UNION ALL
        SELECT event_id, event_type, occurred_at, sku, currency, -1 FROM gold.old_events(p_old_events)
    ), items AS (
        SELECT event_id, sku, quantity, unit_price, 1 AS sign FROM silver.order_items WHERE event_id = ANY (p_changed)
        UNION ALL
        SELECT event_id, sku, quantity, unit_price, -1 FROM gold.old_items(p_old_items)
    ), contributions AS (
        SELECT gold.utc_day(occurred_at) AS day, sku,
               sign * (event_type = 'product_view')::int AS views,
               sign * (event_type = 'add_to_cart')::int AS add_to_carts,
               sign * (event_type = 'remove_from_cart')::int AS remove_from_carts,
               0 AS units_sold, 0 AS orders
        FROM events WHERE sku IS NOT NULL AND gold.is_product_event(event_type)
        UNION ALL
        SELECT gold.utc_day(e.occurred_at), i.sku, 0, 0, 0, e.sign * sum(i.quantity), e.sign
        FROM events e JOIN items i ON i.event_id = e.event_id AND i.sign = e.sign
        WHERE e.event_type = 'purchase'
        GROUP BY e.event_id, e.sign, e.occurred_at, i.sku
    ), deltas AS (
        SELECT day, sku, sum(views) AS views, sum(add_to_carts) AS add_to_carts,
               sum(remove_from_carts) AS remove_from_carts, sum(units_sold) AS units_sold, sum(orders) AS orders
        FROM contributions GROUP BY day, sku
    )
    INSERT INTO gold.daily_product_metrics AS m (day, sku, views, add_to_carts, remove_from_carts, units_sold, orders)
    SELECT * FROM deltas
    WHERE (views, add_to_carts, remove_from_carts, units_sold, orders) <> (0, 0, 0, 0, 0)
    ORDER BY day, sku
    ON CONFLICT (day, sku) DO UPDATE
        SET views = m.views + excluded.views, add_to_carts = m.add_to_carts + excluded.add_to_carts,
            remove_from_carts = m.remove_from_carts + excluded.remove_from_carts,
            units_sold = m.units_sold + excluded.units_sold, orders = m.orders + excluded.orders;

    -- daily_revenue: the same, per purchase event and currency.
    WITH purchases AS (
        SELECT e.event_id, e.occurred_at, e.currency, 1 AS sign,
               (SELECT coalesce(sum(i.quantity * i.unit_price), 0) FROM silver.order_items i
                WHERE i.event_id = e.event_id) AS revenue
        FROM silver.events e WHERE e.event_id = ANY (p_changed) AND e.event_type = 'purchase'
        UNION ALL
        SELECT o.event_id, o.occurred_at, o.currency, -1,
               (SELECT coalesce(sum(i.quantity * i.unit_price), 0) FROM gold.old_items(p_old_items) i
                WHERE i.event_id = o.event_id)
        FROM gold.old_events(p_old_events) o WHERE o.event_type = 'purchase'
    ), deltas AS (
        SELECT gold.utc_day(occurred_at) AS day, currency, sum(sign) AS orders, sum(sign * revenue) AS revenue
        FROM purchases GROUP BY 1, 2
    )
    INSERT INTO gold.daily_revenue AS r (day, currency, orders, revenue)
    SELECT * FROM deltas
    WHERE (orders, revenue) <> (0, 0)
    ORDER BY day, currency
    ON CONFLICT (day, currency) DO UPDATE
        SET orders = r.orders + excluded.orders, revenue = r.revenue + excluded.revenue;

    IF v_replaced IS NOT NULL THEN
        -- metrics rows a replacement emptied
        DELETE FROM gold.daily_product_metrics m
        USING (SELECT DISTINCT gold.utc_day(o.occurred_at) AS day, coalesce(i.sku, o.sku) AS sku
               FROM gold.old_events(p_old_events) o LEFT JOIN gold.old_items(p_old_items) i ON i.event_id = o.event_id) k
        WHERE m.day = k.day AND m.sku = k.sku
          AND (m.views, m.add_to_carts, m.remove_from_carts, m.units_sold, m.orders) = (0, 0, 0, 0, 0);
        DELETE FROM gold.daily_revenue r
        USING (SELECT DISTINCT gold.utc_day(occurred_at) AS day, currency FROM gold.old_events(p_old_events)) k
        WHERE r.day = k.day AND r.currency = k.currency AND (r.orders, r.revenue) = (0, 0);

        -- dim_customer of users whose replaced rows may have set first/last seen: lock, then recompute from silver
        SELECT array_agg(DISTINCT user_id ORDER BY user_id) INTO v_users
        FROM gold.old_events(p_old_events) WHERE user_id IS NOT NULL;
        IF v_users IS NOT NULL THEN
            PERFORM 1 FROM gold.dim_customer WHERE user_id = ANY (v_users) ORDER BY user_id FOR UPDATE;
            UPDATE gold.dim_customer c SET first_seen_at = s.first_seen_at, last_seen_at = s.last_seen_at
            FROM (SELECT user_id, min(occurred_at) AS first_seen_at, max(occurred_at) AS last_seen_at
                  FROM silver.events WHERE user_id = ANY (v_users) GROUP BY user_id) s
            WHERE c.user_id = s.user_id
              AND (c.first_seen_at, c.last_seen_at) IS DISTINCT FROM (s.first_seen_at, s.last_seen_at);
            DELETE FROM gold.dim_customer c
            WHERE c.user_id = ANY (v_users) AND NOT EXISTS (SELECT 1 FROM silver.events e WHERE e.user_id = c.user_id);
        END IF;
    END IF;
END $$;

-- Invariant I3: at quiescence gold equals a fresh aggregation over silver. One row per difference; empty means equal.
-- (The README shows this query under "Layers and promotion".)
CREATE VIEW gold.i3_differences AS
WITH fresh_metrics AS (
    SELECT day, sku, sum(views) AS views, sum(add_to_carts) AS add_to_carts,
           sum(remove_from_carts) AS remove_from_carts, sum(units_sold) AS units_sold, sum(orders) AS orders
    FROM (SELECT gold.utc_day(occurred_at) AS day, sku, (event_type = 'product_view')::int AS views,
                 (event_type = 'add_to_cart')::int AS add_to_carts,
                 (event_type = 'remove_from_cart')::int AS remove_from_carts, 0 AS units_sold, 0 AS orders
          FROM silver.events WHERE sku IS NOT NULL AND gold.is_product_event(event_type)
          UNION ALL
          SELECT gold.utc_day(e.occurred_at), i.sku, 0, 0, 0, sum(i.quantity), 1
          FROM silver.events e JOIN silver.order_items i ON i.event_id = e.event_id
          WHERE e.event_type = 'purchase'
          GROUP BY e.event_id, e.occurred_at, i.sku) c
    GROUP BY day, sku
), fresh_revenue AS (
    SELECT gold.utc_day(e.occurred_at) AS day, e.currency, count(*) AS orders,
           sum((SELECT coalesce(sum(i.quantity * i.unit_price), 0) FROM silver.order_items i
                WHERE i.event_id = e.event_id)) AS revenue
    FROM silver.events e WHERE e.event_type = 'purchase'
    GROUP BY 1, 2
), fresh_customers AS (
    SELECT user_id, min(occurred_at) AS first_seen_at, max(occurred_at) AS last_seen_at
    FROM silver.events WHERE user_id IS NOT NULL
    GROUP BY user_id
), fresh_products AS (
    SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current FROM gold.product_history
), fresh_facts AS (
    SELECT i.event_id, i.line_no, i.order_id, gold.date_key(gold.utc_day(e.occurred_at)) AS date_key, i.sku,
           p.valid_from AS product_valid_from, e.user_id, i.quantity, i.unit_price, i.quantity * i.unit_price AS revenue,
           i.currency
    FROM silver.events e
    JOIN silver.order_items i ON i.event_id = e.event_id
    LEFT JOIN (SELECT sku, valid_from, valid_to, valid_from = min(valid_from) OVER (PARTITION BY sku) AS is_first
               FROM fresh_products) p
           ON p.sku = i.sku AND (e.occurred_at >= p.valid_from OR p.is_first)
              AND (p.valid_to IS NULL OR e.occurred_at < p.valid_to)
    WHERE e.event_type = 'purchase'
), gold_facts AS (
    SELECT f.event_id, f.line_no, f.order_id, f.date_key, f.sku, p.valid_from AS product_valid_from, c.user_id,
           f.quantity, f.unit_price, f.revenue, f.currency
    FROM gold.fact_order_line f
    LEFT JOIN gold.dim_product p ON p.product_key = f.product_key AND p.sku = f.sku
    LEFT JOIN gold.dim_customer c ON c.customer_key = f.customer_key
), gold_metrics AS (
    SELECT day, sku, views, add_to_carts, remove_from_carts, units_sold, orders FROM gold.daily_product_metrics
), gold_revenue AS (
    SELECT day, currency, orders, revenue FROM gold.daily_revenue
), gold_customers AS (
    SELECT user_id, first_seen_at, last_seen_at FROM gold.dim_customer
), gold_products AS (
    SELECT sku, name, category, brand, price, currency, valid_from, valid_to, is_current FROM gold.dim_product
)
SELECT 'daily_product_metrics' AS table_name, 'fresh row missing or different in gold' AS problem, to_jsonb(x) AS row
FROM (SELECT * FROM fresh_metrics EXCEPT SELECT * FROM gold_metrics) x
UNION ALL SELECT 'daily_product_metrics', 'gold row not in the fresh aggregation', to_jsonb(x)
FROM (SELECT * FROM gold_metrics EXCEPT SELECT * FROM fresh_metrics) x
UNION ALL SELECT 'daily_revenue', 'fresh row missing or different in gold', to_jsonb(x)
FROM (SELECT * FROM fresh_revenue EXCEPT SELECT * FROM gold_revenue) x
UNION ALL SELECT 'daily_revenue', 'gold row not in the fresh aggregation', to_jsonb(x)
FROM (SELECT * FROM gold_revenue EXCEPT SELECT * FROM fresh_revenue) x
UNION ALL SELECT 'dim_customer', 'fresh row missing or different in gold', to_jsonb(x)
FROM (SELECT * FROM fresh_customers EXCEPT SELECT * FROM gold_customers) x
UNION ALL SELECT 'dim_customer', 'gold row not in the fresh aggregation', to_jsonb(x)
FROM (SELECT * FROM gold_customers EXCEPT SELECT * FROM fresh_customers) x
UNION ALL SELECT 'dim_product', 'fresh version missing or different in gold', to_jsonb(x)
FROM (SELECT * FROM fresh_products EXCEPT SELECT * FROM gold_products) x
UNION ALL SELECT 'dim_product', 'gold version not in the fresh history', to_jsonb(x)
FROM (SELECT * FROM gold_products EXCEPT SELECT * FROM fresh_products) x
UNION ALL SELECT 'fact_order_line', 'fresh line missing or different in gold', to_jsonb(x)
FROM (SELECT * FROM fresh_facts EXCEPT SELECT * FROM gold_facts) x
UNION ALL SELECT 'fact_order_line', 'gold line not in the fresh aggregation', to_jsonb(x)
FROM (SELECT * FROM gold_facts EXCEPT SELECT * FROM fresh_facts) x
UNION ALL SELECT 'dim_date', 'day used in silver missing', jsonb_build_object('day', d)
FROM (SELECT DISTINCT gold.utc_day(occurred_at) AS d FROM silver.events
      EXCEPT SELECT date FROM gold.dim_date) x;
