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
CREATE OR REPLACE FUNCTION gold.link_customers(p_event_ids text[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE gold.fact_order_line f SET customer_key = c.customer_key
    FROM unnest(p_event_ids) AS p(event_id)
    JOIN silver.events e ON e.event_id = p.event_id
    JOIN gold.dim_customer c ON c.user_id = e.user_id
    WHERE f.event_id = p.event_id AND f.customer_key IS DISTINCT FROM c.customer_key
$$;
