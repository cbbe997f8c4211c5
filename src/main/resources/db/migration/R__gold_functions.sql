-- The gold layer's functions (SPEC.md section 7): the one place their SQL lives.
--
-- A repeatable migration: Flyway applies it after every versioned one and again whenever this file changes, and each
-- statement is a CREATE OR REPLACE, so a change to a unit is an edit here, reviewed as a diff of that unit, with no
-- copy of the whole function in a new versioned migration. The versioned migrations before it (V5, V9, V13, V16, V18,
-- V20) hold the history of how these bodies came to be, with the measurements behind each change; what they define
-- is replaced by what is here. Tables, indexes, and any change of a function's signature or return type (DROP
-- FUNCTION, which CREATE OR REPLACE cannot do) stay in versioned migrations, which run before this file.
--
-- GoldWriter calls the units in this order within the promotion transaction (the order that fixes the lock order):
-- add_days, lock_skus, remove_order_lines, rebuild_products (corrected product events only), fit_product_events,
-- add_order_lines, add_product_metrics, add_revenue, apply_customers, link_customers.
-- Each unit has its own tests with crafted inputs (GoldUnitsTest, Scd2VersionsTest); gold.i3_differences compares all
-- of gold with a fresh aggregation of silver after every benchmark and fault run.

-- ==================================================================================================================
-- Helpers
-- ==================================================================================================================

-- The UTC calendar day of an instant: the day of gold.dim_date and of the daily metrics an event counts in.
CREATE OR REPLACE FUNCTION gold.utc_day(p_at timestamp with time zone)
 RETURNS date
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT (p_at AT TIME ZONE 'UTC')::date $function$;

-- The dim_date key of a day (yyyymmdd), as integer arithmetic PostgreSQL inlines (V16: the to_char form was only
-- stable, so never inlined, and ran as a statement of its own per fact line).
CREATE OR REPLACE FUNCTION gold.date_key(p_day date)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT (extract(year FROM p_day) * 10000 + extract(month FROM p_day) * 100 + extract(day FROM p_day))::integer
$function$;

-- Events that carry product attributes (the product object); purchase lines do not change dim_product.
CREATE OR REPLACE FUNCTION gold.is_product_event(event_type text)
 RETURNS boolean
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT event_type IN ('product_view', 'add_to_cart', 'remove_from_cart') $function$;

-- The SCD 2 lock of a sku: dim_product rows and the product_key of facts of a sku change only under it.
CREATE OR REPLACE FUNCTION gold.sku_lock_key(p_sku text)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE
AS $function$ SELECT hashtextextended('sluice.dim_product:' || p_sku, 0) $function$;

-- ==================================================================================================================
-- Dates (gold.dim_date)
-- ==================================================================================================================

-- dim_date: rows are never removed.
CREATE OR REPLACE FUNCTION gold.add_days(p_days date[])
 RETURNS void
 LANGUAGE sql
AS $function$
    INSERT INTO gold.dim_date (date_key, date, year, quarter, month, day, iso_week, day_of_week)
    SELECT gold.date_key(d), d, extract(year FROM d), extract(quarter FROM d), extract(month FROM d),
           extract(day FROM d), extract(week FROM d), extract(isodow FROM d)
    FROM (SELECT DISTINCT d FROM unnest(p_days) d) days
    WHERE NOT EXISTS (SELECT 1 FROM gold.dim_date x WHERE x.date = d)
    ORDER BY d
    ON CONFLICT DO NOTHING
$function$;

-- ==================================================================================================================
-- Customers (gold.dim_customer)
-- ==================================================================================================================

-- dim_customer: p_users/p_first/p_last are the batch's new rows per user (min and max occurred_at); p_recheck the users
-- whose replaced rows had another user or time, recomputed from silver (and dropped when silver no longer has them).
-- One sorted pass over the rows; the recheck path (corrections) locks the union first.
CREATE OR REPLACE FUNCTION gold.apply_customers(p_users text[], p_first timestamp with time zone[],
        p_last timestamp with time zone[], p_recheck text[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
BEGIN
    IF cardinality(p_recheck) > 0 THEN
        PERFORM 1 FROM gold.dim_customer
        WHERE user_id IN (SELECT unnest(p_users) UNION SELECT unnest(p_recheck))
        ORDER BY user_id FOR UPDATE;
    END IF;
    INSERT INTO gold.dim_customer AS c (user_id, first_seen_at, last_seen_at)
    SELECT user_id, first_seen_at, last_seen_at FROM (
        SELECT u.user_id, u.first_seen_at, u.last_seen_at
        FROM unnest(p_users, p_first, p_last) AS u(user_id, first_seen_at, last_seen_at)
        WHERE u.user_id <> ALL (p_recheck)
        UNION ALL
        SELECT s.user_id, min(s.occurred_at), max(s.occurred_at)
        FROM silver.events s WHERE s.user_id = ANY (p_recheck)
        GROUP BY s.user_id) x
    ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE
        SET first_seen_at = CASE WHEN c.user_id = ANY (p_recheck) THEN excluded.first_seen_at
                                 ELSE LEAST(c.first_seen_at, excluded.first_seen_at) END,
            last_seen_at = CASE WHEN c.user_id = ANY (p_recheck) THEN excluded.last_seen_at
                                ELSE GREATEST(c.last_seen_at, excluded.last_seen_at) END
        WHERE c.user_id = ANY (p_recheck)
              AND (c.first_seen_at, c.last_seen_at) IS DISTINCT FROM (excluded.first_seen_at, excluded.last_seen_at)
           OR excluded.first_seen_at < c.first_seen_at OR excluded.last_seen_at > c.last_seen_at;
    IF cardinality(p_recheck) > 0 THEN
        DELETE FROM gold.dim_customer c
        WHERE c.user_id = ANY (p_recheck) AND NOT EXISTS (SELECT 1 FROM silver.events e WHERE e.user_id = c.user_id);
    END IF;
END $function$;

-- gold.link_customers finds its lines through the purchases it is given, not through the lines without a customer.
--
-- Read in its plan (auto_explain, bench/RESULTS.md 2026-12-03): `f.event_id = ANY (p_event_ids) AND
-- f.customer_key IS NULL` was planned as an index scan of fact_order_line_customer_idx for `customer_key IS NULL`,
-- filtered by the event ids. Every purchase line of an anonymous user (no user_id: a guest checkout) keeps a null
-- customer_key for good, so that scan reads all of them in every round that links a new customer: work that grows
-- with the history, not with the round. The benchmark's traffic has no anonymous purchases, which is why it cost
-- only 4 ms per round there.
--
-- Same signature and result: the purchases come from gold.add_order_lines (lines added without a customer, their
-- user having no row yet) and every line of such a purchase has that user, so the lines are found through the
-- primary key of each purchase and take the customer of its user; a line that has it already is left alone.
CREATE OR REPLACE FUNCTION gold.link_customers(p_event_ids text[])
 RETURNS void
 LANGUAGE sql
AS $function$
    UPDATE gold.fact_order_line f SET customer_key = c.customer_key
    FROM unnest(p_event_ids) AS p(event_id)
    JOIN silver.events e ON e.event_id = p.event_id
    JOIN gold.dim_customer c ON c.user_id = e.user_id
    WHERE f.event_id = p.event_id AND f.customer_key IS DISTINCT FROM c.customer_key
$function$;

-- ==================================================================================================================
-- Products: SCD type 2 versions (gold.dim_product)
-- ==================================================================================================================

-- Takes the SCD 2 locks of a batch's skus, in key order (so two promotions never wait for each other in a cycle),
-- for the rest of the transaction.
CREATE OR REPLACE FUNCTION gold.lock_skus(p_skus text[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT gold.sku_lock_key(sku) AS k FROM unnest(p_skus) sku WHERE sku IS NOT NULL) keys
    ORDER BY k;
END $function$;

-- Fits a batch's product events into the SCD 2 history of gold.dim_product (SPEC.md section 7), set-based, under the
-- skus' locks (gold.lock_skus); returns how many events did not fit the version valid at their time.
--   1. the misfits: events whose attributes differ from the version valid at their time (one index probe each);
--   2. their windows: adding the winner of an instant t can change whether a version starts at t and at n, the next
--      product-event instant after t in silver, and nothing else; the window of t is (p, n], windows of a sku that
--      share instants are merged;
--   3. each window is restated from silver (gold.product_history's definition, restricted to the window and seeded
--      with the attributes at p): its versions are inserted, updated or deleted, the versions whose next start may
--      have changed are re-chained, and the facts of the windows (and after them, up to the next version start, when
--      the version holding n changed) are re-pointed.
-- The work grows with the windows that change, not with a sku's history (V13). Every lookup into gold is a probe per
-- window or per row (a scalar subquery, or a LATERAL subquery kept apart with OFFSET 0) and the rows to change are
-- collected into arrays and changed by primary key, so no plan joins over a whole table as gold grows (V18,
-- bench/RESULTS.md 2026-12-03).
CREATE OR REPLACE FUNCTION gold.fit_product_events(p_skus text[], p_event_ids text[], p_at timestamp with time zone[],
        p_names text[], p_categories text[], p_brands text[], p_prices numeric[], p_currencies text[])
 RETURNS integer
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
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
END $function$;

-- Sets valid_to (the next version's valid_from) and is_current of the versions of a sku from p_from on, up to and
-- including the first version that starts after p_to: the neighbourhood a restatement changed. Two statements, so
-- that the partial unique index on the current version never sees two.
CREATE OR REPLACE FUNCTION gold.chain_versions(p_sku text, p_from timestamp with time zone,
        p_to timestamp with time zone)
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
DECLARE
    v_until timestamptz;
    v_last  timestamptz;
BEGIN
    SELECT min(valid_from) INTO v_until FROM gold.dim_product WHERE sku = p_sku AND valid_from > p_to;
    UPDATE gold.dim_product d SET valid_to = n.next_from, is_current = false
    FROM (SELECT product_key, lead(valid_from) OVER (ORDER BY valid_from) AS next_from
          FROM gold.dim_product
          WHERE sku = p_sku AND valid_from >= p_from AND valid_from <= coalesce(v_until, 'infinity')) n
    WHERE d.product_key = n.product_key AND n.next_from IS NOT NULL
      AND (d.valid_to IS DISTINCT FROM n.next_from OR d.is_current);
    IF v_until IS NULL THEN
        SELECT max(valid_from) INTO v_last FROM gold.dim_product WHERE sku = p_sku;
        UPDATE gold.dim_product SET valid_to = NULL, is_current = true
        WHERE sku = p_sku AND valid_from = v_last AND (valid_to IS NOT NULL OR NOT is_current);
    END IF;
END $function$;

-- SCD 2 of whole skus recomputed from silver (gold.product_history): for skus whose product events were replaced by
-- a correction, which can remove a version start anywhere. Unchanged versions keep their product_key.
CREATE OR REPLACE FUNCTION gold.rebuild_products(p_skus text[])
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
DECLARE
    v_desired gold.product_history[];
    v_sku     text;
BEGIN
    IF cardinality(p_skus) = 0 THEN
        RETURN;
    END IF;
    SELECT array_agg(h ORDER BY h.sku, h.valid_from) INTO v_desired
    FROM gold.product_history h WHERE h.sku = ANY (p_skus);

    UPDATE gold.fact_order_line f SET product_key = NULL
    WHERE f.product_key IN (
        SELECT d.product_key FROM gold.dim_product d
        WHERE d.sku = ANY (p_skus)
          AND NOT EXISTS (SELECT 1 FROM unnest(v_desired) x WHERE x.sku = d.sku AND x.valid_from = d.valid_from));
    DELETE FROM gold.dim_product d
    WHERE d.sku = ANY (p_skus)
      AND NOT EXISTS (SELECT 1 FROM unnest(v_desired) x WHERE x.sku = d.sku AND x.valid_from = d.valid_from);
    UPDATE gold.dim_product d SET is_current = false
    WHERE d.sku = ANY (p_skus) AND d.is_current
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
    FOREACH v_sku IN ARRAY (SELECT array_agg(DISTINCT s ORDER BY s) FROM unnest(p_skus) s) LOOP
        PERFORM gold.repoint_facts(v_sku, '-infinity', 'infinity');
    END LOOP;
END $function$;

-- Re-points the facts of a sku whose occurred_at is in [p_from, p_to) at the version valid at their time (before the
-- first version: the first), with one range join over the versions overlapping the range. Under the sku's lock.
CREATE OR REPLACE FUNCTION gold.repoint_facts(p_sku text, p_from timestamp with time zone,
        p_to timestamp with time zone)
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
DECLARE
    v_first timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM gold.fact_order_line
                   WHERE sku = p_sku AND occurred_at >= p_from AND occurred_at < p_to) THEN
        RETURN;
    END IF;
    SELECT min(valid_from) INTO v_first FROM gold.dim_product WHERE sku = p_sku;
    UPDATE gold.fact_order_line f SET product_key = d.product_key
    FROM gold.dim_product d
    WHERE f.sku = p_sku AND f.occurred_at >= p_from AND f.occurred_at < p_to
      AND d.sku = p_sku AND d.valid_from < p_to AND (d.valid_to IS NULL OR d.valid_to > p_from)
      AND (d.valid_from <= f.occurred_at OR d.valid_from = v_first)
      AND (d.valid_to IS NULL OR f.occurred_at < d.valid_to)
      AND f.product_key IS DISTINCT FROM d.product_key;
END $function$;

-- The product version valid at a time; a time before the first version gets the first version (the product was
-- sold before any event described it). Null only for a sku no product event ever described.
CREATE OR REPLACE FUNCTION gold.product_key_at(p_sku text, p_at timestamp with time zone)
 RETURNS bigint
 LANGUAGE sql
 STABLE
AS $function$
    SELECT coalesce(
        (SELECT product_key FROM gold.dim_product WHERE sku = p_sku AND valid_from <= p_at ORDER BY valid_from DESC LIMIT 1),
        (SELECT product_key FROM gold.dim_product WHERE sku = p_sku ORDER BY valid_from LIMIT 1))
$function$;

-- ==================================================================================================================
-- Facts (gold.fact_order_line)
-- ==================================================================================================================

-- Adds the fact lines of a batch's purchases, each pointed at the product version valid at the line's time (the two
-- index probes of gold.product_key_at, inline) and at its day; a line of a user who has no dim_customer row yet keeps
-- a null customer_key until gold.link_customers fills it in, after gold.apply_customers at the end of the
-- transaction (V13, V16).
CREATE OR REPLACE FUNCTION gold.add_order_lines(p_event_ids text[], p_line_nos integer[], p_order_ids text[],
        p_at timestamp with time zone[], p_users text[], p_skus text[], p_quantities integer[],
        p_unit_prices numeric[], p_currencies text[])
 RETURNS text[]
 LANGUAGE sql
AS $function$
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
$function$;

-- Removes the fact lines of purchases that a newer version of the same event replaces in silver (they are added
-- again from the new version).
CREATE OR REPLACE FUNCTION gold.remove_order_lines(p_event_ids text[])
 RETURNS void
 LANGUAGE sql
AS $function$
    DELETE FROM gold.fact_order_line WHERE event_id = ANY (p_event_ids)
$function$;

-- ==================================================================================================================
-- Daily metrics (gold.daily_product_metrics, gold.daily_revenue)
-- ==================================================================================================================

-- daily_product_metrics: one delta per (day, sku), in key order; rows a negative delta emptied are removed.
CREATE OR REPLACE FUNCTION gold.add_product_metrics(p_days date[], p_skus text[], p_views bigint[],
        p_add_to_carts bigint[], p_remove_from_carts bigint[], p_units_sold bigint[], p_orders bigint[])
 RETURNS void
 LANGUAGE sql
AS $function$
    INSERT INTO gold.daily_product_metrics AS m (day, sku, views, add_to_carts, remove_from_carts, units_sold, orders)
    SELECT * FROM unnest(p_days, p_skus, p_views, p_add_to_carts, p_remove_from_carts, p_units_sold, p_orders)
    ORDER BY 1, 2
    ON CONFLICT (day, sku) DO UPDATE
        SET views = m.views + excluded.views, add_to_carts = m.add_to_carts + excluded.add_to_carts,
            remove_from_carts = m.remove_from_carts + excluded.remove_from_carts,
            units_sold = m.units_sold + excluded.units_sold, orders = m.orders + excluded.orders;
    DELETE FROM gold.daily_product_metrics m
    USING unnest(p_days, p_skus, p_views, p_add_to_carts, p_remove_from_carts, p_units_sold, p_orders)
          AS k(day, sku, views, add_to_carts, remove_from_carts, units_sold, orders)
    WHERE LEAST(k.views, k.add_to_carts, k.remove_from_carts, k.units_sold, k.orders) < 0
      AND m.day = k.day AND m.sku = k.sku
      AND (m.views, m.add_to_carts, m.remove_from_carts, m.units_sold, m.orders) = (0, 0, 0, 0, 0);
$function$;

-- daily_revenue: one delta per (day, currency), in key order; rows a negative delta emptied are removed.
CREATE OR REPLACE FUNCTION gold.add_revenue(p_days date[], p_currencies text[], p_orders bigint[], p_revenues numeric[])
 RETURNS void
 LANGUAGE sql
AS $function$
    INSERT INTO gold.daily_revenue AS r (day, currency, orders, revenue)
    SELECT * FROM unnest(p_days, p_currencies, p_orders, p_revenues)
    ORDER BY 1, 2
    ON CONFLICT (day, currency) DO UPDATE
        SET orders = r.orders + excluded.orders, revenue = r.revenue + excluded.revenue;
    DELETE FROM gold.daily_revenue r
    USING unnest(p_days, p_currencies, p_orders, p_revenues) AS k(day, currency, orders, revenue)
    WHERE (k.orders < 0 OR k.revenue < 0) AND r.day = k.day AND r.currency = k.currency
      AND (r.orders, r.revenue) = (0, 0);
$function$;
