-- Data-quality expectations (SPEC.md section 12, issue 12): hourly counters written by promotion, results written by
-- the evaluator. Expectations themselves live in configuration (sluice.quality.expectations.*), not here.
CREATE SCHEMA IF NOT EXISTS quality;

-- One row per expectation, hour of bronze receipt and slot (a round adds to one slot picked at random, so concurrent
-- rounds seldom wait on the same row; readers sum the slots). checked: rows the expectation looked at (new events for
-- volume); failed: rows that broke it; newest: the latest occurred_at seen (freshness).
CREATE TABLE quality.counters (
    expectation  text        NOT NULL,
    window_start timestamptz NOT NULL,
    slot         integer     NOT NULL,
    checked      bigint      NOT NULL DEFAULT 0,
    failed       bigint      NOT NULL DEFAULT 0,
    newest       timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (expectation, window_start, slot)
);
CREATE INDEX quality_counters_window_idx ON quality.counters (window_start);

-- The evaluator's verdict per expectation and hourly window (freshness: the hour it was judged in), rewritten while
-- the window is recent. observed: the failing ratio, the newest event's age in seconds, or the hour's new events;
-- threshold: the allowed ratio, the maximum age in seconds, or the volume factor (baseline in detail).
CREATE TABLE quality.results (
    expectation  text             NOT NULL,
    window_start timestamptz      NOT NULL,
    kind         text             NOT NULL,
    checked      bigint           NOT NULL,
    failed       bigint           NOT NULL,
    observed     double precision,
    threshold    double precision NOT NULL,
    verdict      text             NOT NULL CHECK (verdict IN ('pass', 'fail', 'no_data')),
    detail       text,
    evaluated_at timestamptz      NOT NULL,
    PRIMARY KEY (expectation, window_start)
);
CREATE INDEX quality_results_window_idx ON quality.results (window_start);

-- unique on order.order_id probes this index (event_id, user_id and sku have theirs already); partial: only purchases
-- carry an order id.
CREATE INDEX silver_events_order_idx ON silver.events (order_id) WHERE order_id IS NOT NULL;

GRANT USAGE ON SCHEMA quality TO ${app_role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA quality TO ${app_role};
ALTER DEFAULT PRIVILEGES IN SCHEMA quality GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app_role};
