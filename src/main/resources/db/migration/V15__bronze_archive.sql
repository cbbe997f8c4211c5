-- The raw archive (issue 12, SPEC.md section 12): before retention drops a bronze partition, the service exports it
-- (gzip NDJSON plus a manifest) to a directory or an S3-compatible bucket, reads the copy back and records it here.
-- Retention then drops the partition only through bronze.drop_archived_partition, which refuses unless a verified
-- archive of exactly the partition's rows is recorded.

CREATE TABLE bronze.partition_archives (
    partition       text        PRIMARY KEY,
    object_key      text        NOT NULL,
    location        text        NOT NULL,   -- s3://bucket/key or a path: where the object was verified
    rows            bigint      NOT NULL,
    bytes           bigint      NOT NULL,
    sha256          text        NOT NULL,   -- of the object as stored (gzip)
    min_received_at timestamptz,
    max_received_at timestamptz,
    min_id          bigint,
    max_id          bigint,
    schema_version  text,
    verified_at     timestamptz NOT NULL,
    dropped_at      timestamptz
);
-- The service role gets DML on it through V7's default privileges.

-- Drops one daily partition of bronze.events whose whole day is older than the retention, only when its verified
-- archive holds exactly its rows: the partition is locked against writes, counted, compared, then dropped, and the
-- archive row marked, all in the caller's transaction (under the lock_timeout the service sets). A partition that
-- does not exist or is not expired answers false; a missing or different archive raises SQLSTATE SL001.
CREATE FUNCTION bronze.drop_archived_partition(name text, retention interval, archived_rows bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    day    date;
    actual bigint;
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
    IF NOT EXISTS (SELECT 1 FROM bronze.partition_archives a
                   WHERE a.partition = name AND a.rows = archived_rows AND a.dropped_at IS NULL) THEN
        RAISE EXCEPTION 'bronze.% has no verified archive of % rows', name, archived_rows USING ERRCODE = 'SL001';
    END IF;
    EXECUTE format('LOCK TABLE bronze.%I IN SHARE MODE', name);
    EXECUTE format('SELECT count(*) FROM bronze.%I', name) INTO actual;
    IF actual <> archived_rows THEN
        RAISE EXCEPTION 'bronze.% holds % rows, its archive %', name, actual, archived_rows USING ERRCODE = 'SL001';
    END IF;
    EXECUTE format('DROP TABLE bronze.%I', name);
    UPDATE bronze.partition_archives SET dropped_at = now() WHERE partition = name;
    RETURN true;
END $$;

ALTER FUNCTION bronze.drop_archived_partition(text, interval, bigint)
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION bronze.drop_archived_partition(text, interval, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bronze.drop_archived_partition(text, interval, bigint) TO ${app_role};
