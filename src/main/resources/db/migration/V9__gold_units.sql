-- Gold in small named units. Each unit is one function over plain arrays, called by GoldWriter in this order inside
-- the promotion transaction, after the silver upsert (README "Layers and promotion"):
--
--   gold.add_days            dim_date: every day a batch uses
--   gold.apply_customers     dim_customer: widen first/last seen; recompute users whose replaced rows moved
--   gold.lock_skus           transaction advisory locks on every sku the batch touches, in lock-key order
--   gold.remove_order_lines  fact_order_line: the lines of replaced purchases go
--   gold.rebuild_products    SCD 2 from silver, for the few skus whose product events were replaced (corrections)
--   gold.fit_product_events  SCD 2, incremental: each event that does not fit its version restates only its window
--   gold.add_order_lines     fact_order_line: the lines of new purchases come, pointing at the version of their time
--   gold.add_product_metrics daily_product_metrics: one pre-aggregated delta per (day, sku)
--   gold.add_revenue         daily_revenue: one pre-aggregated delta per (day, currency)
--
-- Locks are taken phase by phase in that order, and within a phase in one sorted order (ORDER BY in each statement),
-- so two promoters never wait on each other in a cycle. The inputs are a batch's deltas, aggregated by the caller: each
-- gold row is touched once per batch. Every statement is driven by the input arrays and reaches gold through primary
-- or unique keys, so its plan does not depend on the tables' sizes (no force_custom_plan).

DROP FUNCTION gold.apply_changes(text[], jsonb, jsonb);
DROP FUNCTION gold.old_events(jsonb);
DROP FUNCTION gold.old_items(jsonb);

-- dim_date: rows are never removed.
CREATE FUNCTION gold.add_days(p_days date[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO gold.dim_date (date_key, date, year, quarter, month, day, iso_week, day_of_week)
    SELECT gold.date_key(d), d, extract(year FROM d), extract(quarter FROM d), extract(month FROM d),
           extract(day FROM d), extract(week FROM d), extract(isodow FROM d)
    FROM (SELECT DISTINCT d FROM unnest(p_days) d) days
    WHERE NOT EXISTS (SELECT 1 FROM gold.dim_date x WHERE x.date = d)
    ORDER BY d
    ON CONFLICT DO NOTHING
$$;

-- dim_customer: p_users/p_first/p_last are the batch's new rows per user (min and max occurred_at); p_recheck the users
-- whose replaced rows had another user or time, recomputed from silver (and dropped when silver no longer has them).
-- One sorted pass over the rows; the recheck path (corrections) locks the union first.
CREATE FUNCTION gold.apply_customers(p_users text[], p_first timestamptz[], p_last timestamptz[], p_recheck text[])
    RETURNS void
LANGUAGE plpgsql AS $$
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
END $$;

-- The SCD 2 lock of a sku: dim_product rows and the product_key of facts of a sku change only under it.
CREATE FUNCTION gold.sku_lock_key(p_sku text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended('sluice.dim_product:' || p_sku, 0) $$;

CREATE FUNCTION gold.lock_skus(p_skus text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT gold.sku_lock_key(sku) AS k FROM unnest(p_skus) sku WHERE sku IS NOT NULL) keys
    ORDER BY k;
END $$;

CREATE FUNCTION gold.remove_order_lines(p_event_ids text[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM gold.fact_order_line WHERE event_id = ANY (p_event_ids)
$$;

-- Re-points the facts of a sku whose occurred_at is in [p_from, p_to) at the version valid at their time (before the
-- first version: the first), with one range join over the versions overlapping the range. Under the sku's lock.
CREATE FUNCTION gold.repoint_facts(p_sku text, p_from timestamptz, p_to timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
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
END $$;

-- Sets valid_to (the next version's valid_from) and is_current of the versions of a sku from p_from on, up to and
-- including the first version that starts after p_to: the neighbourhood a restatement changed. Two statements, so
-- that the partial unique index on the current version never sees two.
CREATE FUNCTION gold.chain_versions(p_sku text, p_from timestamptz, p_to timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
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
END $$;

-- Fits one product event into the SCD 2 history of its sku, restating only what it changes. Adding the winner of an
-- instant t can change whether a version starts at t and at n, the next instant after t in silver, and nothing
-- else: a version starts at t when the version before t has other attributes (or there is none), and at n when the
-- attributes there differ from the event's. So: update, insert or delete the versions at t and at n, re-chain their
-- neighbours, and re-point the facts in [t, the next version start after n) (from the beginning when t is the new first
-- version). Returns whether anything changed.
-- Correct when every silver product event of the sku after t is already fitted: fit_product_events calls it in
-- descending occurred_at order.
CREATE FUNCTION gold.fit_product_event(p_sku text, p_event_id text, p_at timestamptz, p_name text, p_category text,
        p_brand text, p_price numeric, p_currency text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_attrs    record;
    v_at       gold.dim_product;
    v_prev     gold.dim_product;
    v_next_at  timestamptz;
    v_next     gold.dim_product;
    v_start_t  boolean;
    v_start_n  boolean;
    v_after    timestamptz;
    v_doomed   bigint[] := '{}';
BEGIN
    -- a greater event_id at the same instant wins: this event changes nothing
    IF EXISTS (SELECT 1 FROM silver.events s
               WHERE s.sku = p_sku AND s.occurred_at = p_at AND s.event_id > p_event_id
                 AND gold.is_product_event(s.event_type)) THEN
        RETURN false;
    END IF;
    SELECT * INTO v_at FROM gold.dim_product WHERE sku = p_sku AND valid_from <= p_at ORDER BY valid_from DESC LIMIT 1;
    IF v_at.product_key IS NOT NULL
       AND (v_at.name, v_at.category, v_at.brand, v_at.price, v_at.currency) IS NOT DISTINCT FROM
           (p_name, p_category, p_brand, p_price, p_currency) THEN
        RETURN false;
    END IF;
    SELECT * INTO v_prev FROM gold.dim_product WHERE sku = p_sku AND valid_from < p_at ORDER BY valid_from DESC LIMIT 1;
    SELECT min(occurred_at) INTO v_next_at FROM silver.events
    WHERE sku = p_sku AND occurred_at > p_at AND gold.is_product_event(event_type);
    IF v_next_at IS NOT NULL THEN
        SELECT * INTO v_next FROM gold.dim_product WHERE sku = p_sku AND valid_from <= v_next_at
        ORDER BY valid_from DESC LIMIT 1;
    END IF;
    v_start_t := v_prev.product_key IS NULL
                 OR (v_prev.name, v_prev.category, v_prev.brand, v_prev.price, v_prev.currency) IS DISTINCT FROM
                    (p_name, p_category, p_brand, p_price, p_currency);
    v_start_n := v_next_at IS NOT NULL
                 AND (v_next.name, v_next.category, v_next.brand, v_next.price, v_next.currency) IS DISTINCT FROM
                     (p_name, p_category, p_brand, p_price, p_currency);

    -- the version at t
    IF v_at.valid_from = p_at THEN
        IF v_start_t THEN
            UPDATE gold.dim_product SET name = p_name, category = p_category, brand = p_brand, price = p_price,
                                        currency = p_currency
            WHERE product_key = v_at.product_key;
        ELSE
            v_doomed := v_doomed || v_at.product_key;
        END IF;
    ELSIF v_start_t THEN
        INSERT INTO gold.dim_product (sku, name, category, brand, price, currency, valid_from, valid_to, is_current)
        VALUES (p_sku, p_name, p_category, p_brand, p_price, p_currency, p_at, NULL, false);
    END IF;
    -- the version at n (when it exists it already has the attributes of n)
    IF v_next_at IS NOT NULL THEN
        IF v_next.valid_from = v_next_at THEN
            IF NOT v_start_n THEN
                v_doomed := v_doomed || v_next.product_key;
            END IF;
        ELSIF v_start_n THEN
            INSERT INTO gold.dim_product (sku, name, category, brand, price, currency, valid_from, valid_to,
                                          is_current)
            VALUES (p_sku, v_next.name, v_next.category, v_next.brand, v_next.price, v_next.currency, v_next_at,
                    NULL, false);
        END IF;
    END IF;
    IF cardinality(v_doomed) > 0 THEN
        UPDATE gold.fact_order_line SET product_key = NULL WHERE product_key = ANY (v_doomed);
        DELETE FROM gold.dim_product WHERE product_key = ANY (v_doomed);
    END IF;

    PERFORM gold.chain_versions(p_sku, coalesce(v_prev.valid_from, '-infinity'), coalesce(v_next_at, p_at));
    SELECT min(valid_from) INTO v_after FROM gold.dim_product
    WHERE sku = p_sku AND valid_from > coalesce(v_next_at, p_at);
    PERFORM gold.repoint_facts(p_sku, CASE WHEN v_prev.product_key IS NULL THEN '-infinity' ELSE p_at END,
                               coalesce(v_after, 'infinity'));
    RETURN true;
END $$;

-- SCD 2 for a batch's product events (arrays of equal length): the events that fit the version valid at their time
-- (one index probe each) change nothing; the others are fitted one by one, latest first.
CREATE FUNCTION gold.fit_product_events(p_skus text[], p_event_ids text[], p_at timestamptz[], p_names text[],
        p_categories text[], p_brands text[], p_prices numeric[], p_currencies text[]) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    e       record;
    changed integer := 0;
BEGIN
    FOR e IN
        SELECT i.* FROM unnest(p_skus, p_event_ids, p_at, p_names, p_categories, p_brands, p_prices, p_currencies)
                 AS i(sku, event_id, occurred_at, name, category, brand, price, currency)
        WHERE NOT EXISTS (
            SELECT 1 FROM (SELECT * FROM gold.dim_product d
                           WHERE d.sku = i.sku AND d.valid_from <= i.occurred_at
                           ORDER BY d.valid_from DESC LIMIT 1) v
            WHERE (v.name, v.category, v.brand, v.price, v.currency) IS NOT DISTINCT FROM
                  (i.name, i.category, i.brand, i.price, i.currency))
        ORDER BY i.sku, i.occurred_at DESC, i.event_id DESC
    LOOP
        IF gold.fit_product_event(e.sku, e.event_id, e.occurred_at, e.name, e.category, e.brand, e.price,
                                  e.currency) THEN
            changed := changed + 1;
        END IF;
    END LOOP;
    RETURN changed;
END $$;

-- SCD 2 of whole skus recomputed from silver (gold.product_history): for skus whose product events were replaced by
-- a correction, which can remove a version start anywhere. Unchanged versions keep their product_key.
CREATE FUNCTION gold.rebuild_products(p_skus text[]) RETURNS void
LANGUAGE plpgsql AS $$
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
END $$;

-- fact_order_line: new lines (arrays of equal length), each pointing at the customer of its user and at the version
-- of its sku valid at its time.
CREATE FUNCTION gold.add_order_lines(p_event_ids text[], p_line_nos integer[], p_order_ids text[],
        p_at timestamptz[], p_users text[], p_skus text[], p_quantities integer[], p_unit_prices numeric[],
        p_currencies text[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO gold.fact_order_line (event_id, line_no, order_id, date_key, product_key, customer_key, quantity,
                                      unit_price, revenue, currency, sku, occurred_at)
    SELECT l.event_id, l.line_no, l.order_id, gold.date_key(gold.utc_day(l.occurred_at)),
           gold.product_key_at(l.sku, l.occurred_at), c.customer_key, l.quantity, l.unit_price,
           l.quantity * l.unit_price, l.currency, l.sku, l.occurred_at
    FROM unnest(p_event_ids, p_line_nos, p_order_ids, p_at, p_users, p_skus, p_quantities, p_unit_prices,
                p_currencies) AS l(event_id, line_no, order_id, occurred_at, user_id, sku, quantity, unit_price,
                                   currency)
    LEFT JOIN gold.dim_customer c ON c.user_id = l.user_id
    ORDER BY l.event_id, l.line_no
$$;

-- daily_product_metrics: one delta per (day, sku), in key order; rows a negative delta emptied are removed.
CREATE FUNCTION gold.add_product_metrics(p_days date[], p_skus text[], p_views bigint[], p_add_to_carts bigint[],
        p_remove_from_carts bigint[], p_units_sold bigint[], p_orders bigint[]) RETURNS void
LANGUAGE sql AS $$
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
$$;

-- daily_revenue: one delta per (day, currency), in key order; rows a negative delta emptied are removed.
CREATE FUNCTION gold.add_revenue(p_days date[], p_currencies text[], p_orders bigint[], p_revenues numeric[])
    RETURNS void
LANGUAGE sql AS $$
    INSERT INTO gold.daily_revenue AS r (day, currency, orders, revenue)
    SELECT * FROM unnest(p_days, p_currencies, p_orders, p_revenues)
    ORDER BY 1, 2
    ON CONFLICT (day, currency) DO UPDATE
        SET orders = r.orders + excluded.orders, revenue = r.revenue + excluded.revenue;
    DELETE FROM gold.daily_revenue r
    USING unnest(p_days, p_currencies, p_orders, p_revenues) AS k(day, currency, orders, revenue)
    WHERE (k.orders < 0 OR k.revenue < 0) AND r.day = k.day AND r.currency = k.currency
      AND (r.orders, r.revenue) = (0, 0);
$$;
