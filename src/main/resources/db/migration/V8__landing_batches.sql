-- Landing in batches (issue 13): what bronze writes per event is what PostgreSQL can afford on two cores.
--
-- Measured with pgbench before this change (100-row statements, 4 clients, this machine, see bench/RESULTS.md):
-- bronze.events alone ~75k rows/s; + one promotion_queue row per event ~62k; + one seen_events row per event ~43k;
-- + one promotion_batches row per statement (below) ~69-77k.

-- 1. No cross-delivery dedup at landing. bronze is one row per delivery (SPEC section 6); silver is where an event
--    becomes one row, and its upsert already ignores a redelivery with the same payload. A webhook answer's
--    "duplicates" now counts the repeats inside one request (stored once). seen_events cost ~30 % of landing.
DROP TABLE bronze.seen_events;

-- 2. The two new sources (issue 11): pull and file.
ALTER TABLE bronze.events DROP CONSTRAINT events_channel_check;
ALTER TABLE bronze.events ADD CONSTRAINT events_channel_check CHECK (channel IN ('webhook', 'kafka', 'pull', 'file'));
ALTER TABLE bronze.rejected_events DROP CONSTRAINT rejected_events_channel_check;
ALTER TABLE bronze.rejected_events
    ADD CONSTRAINT rejected_events_channel_check CHECK (channel IN ('webhook', 'kafka', 'pull', 'file'));

-- 3. Ids in blocks: one sequence value per landing statement (a "batch"); a row's id is batch_id * 65536 + its
--    ordinal in the statement (0-based, < 65536), and every row of a batch has the same received_at (the landing
--    transaction's now()). A batch's rows are then found by an id range, whatever else commits beside them.
CREATE SEQUENCE bronze.landing_batch_seq AS bigint;
SELECT setval('bronze.landing_batch_seq', (SELECT coalesce(max(id), 0) FROM bronze.events) / 65536 + 1, false);
ALTER TABLE bronze.events ALTER COLUMN id SET DEFAULT nextval('bronze.landing_batch_seq') * 65536;
DROP SEQUENCE bronze.events_id_seq;

-- 4. The work queue of the fast path: one row per landed batch, written in the landing statement, claimed by the
--    promoter (FOR UPDATE SKIP LOCKED) and deleted when the batch is promoted. bronze.promotion_queue stays, one row
--    per event, for what needs an event of its own: retries with backoff, requeues from quarantine, replays.
CREATE TABLE bronze.promotion_batches (
    batch_id    bigint      PRIMARY KEY,
    received_at timestamptz NOT NULL,
    events      integer     NOT NULL
);
CREATE INDEX promotion_batches_received_idx ON bronze.promotion_batches (received_at);


-- Claims due batches, oldest first, until they hold at least max_events events (at least one batch): each row is
-- locked as it is fetched (FOR UPDATE SKIP LOCKED through a cursor read one row at a time), so concurrent promoters
-- take disjoint batches and the rows not needed stay free. Runs in the caller's transaction.
CREATE FUNCTION bronze.claim_batches(max_events integer)
    RETURNS TABLE (batch_id bigint, received_at timestamptz, events integer)
LANGUAGE plpgsql AS $$
DECLARE
    due CURSOR FOR SELECT b.batch_id, b.received_at, b.events FROM bronze.promotion_batches b
                   ORDER BY b.batch_id FOR UPDATE SKIP LOCKED;
    total integer := 0;
BEGIN
    OPEN due;
    LOOP
        FETCH due INTO batch_id, received_at, events;
        EXIT WHEN NOT FOUND;
        RETURN NEXT;
        total := total + events;
        EXIT WHEN total >= max_events;
    END LOOP;
    CLOSE due;
END $$;
