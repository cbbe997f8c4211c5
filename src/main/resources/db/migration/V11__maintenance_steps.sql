-- Partition maintenance in short steps (issue 10, finding 3): one partition per transaction, each under the
-- lock_timeout the service sets, so landing and claiming never queue for long behind partition DDL.
-- DETACH ... CONCURRENTLY is not used: it cannot run inside a transaction block, and the service's role may run DDL
-- only through these SECURITY DEFINER functions, which always run in one. A single DROP of one partition under a
-- short lock_timeout bounds the stall instead.

-- Creates the partition of one day unless it exists. Rows of that day caught by bronze.events_default are moved
-- into it in the same transaction (PostgreSQL refuses to create a partition whose rows sit in the default one).
CREATE FUNCTION bronze.ensure_partition(day date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    name text := format('events_%s', to_char(day, 'YYYYMMDD'));
    lo   timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi   timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(format('bronze.%I', name)) IS NOT NULL THEN
        RETURN false;
    END IF;
    DROP TABLE IF EXISTS pg_temp.sluice_moved;
    CREATE TEMP TABLE sluice_moved (LIKE bronze.events) ON COMMIT DROP;
    WITH moved AS (DELETE FROM bronze.events_default WHERE received_at >= lo AND received_at < hi RETURNING *)
    INSERT INTO pg_temp.sluice_moved SELECT * FROM moved;
    EXECUTE format('CREATE TABLE bronze.%I PARTITION OF bronze.events FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    INSERT INTO bronze.events SELECT * FROM pg_temp.sluice_moved;
    RETURN true;
END $$;

-- Drops one daily partition of bronze.events if its whole day is older than the retention.
CREATE FUNCTION bronze.drop_expired_partition(name text, retention interval) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    day date;
BEGIN
    IF name !~ '^events_\d{8}$' OR NOT EXISTS (
            SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'bronze.events'::regclass AND c.relname = name) THEN
        RETURN false;
    END IF;
    day := to_date(substring(name FROM '(\d{8})$'), 'YYYYMMDD');
    IF (day + 1)::timestamp AT TIME ZONE 'UTC' >= now() - retention THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP TABLE bronze.%I', name);
    RETURN true;
END $$;

ALTER FUNCTION bronze.ensure_partition(date) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION bronze.drop_expired_partition(text, interval) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION bronze.ensure_partition(date), bronze.drop_expired_partition(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bronze.ensure_partition(date), bronze.drop_expired_partition(text, interval)
    TO ${app_role};

-- Retention of the quarantine (sluice.bronze.quarantine-retention) deletes by age in batches.
CREATE INDEX quarantine_quarantined_at_idx ON bronze.quarantine (quarantined_at);
CREATE INDEX events_default_received_idx ON bronze.events_default (received_at);
