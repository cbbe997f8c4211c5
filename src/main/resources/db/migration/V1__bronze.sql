-- Bronze: every accepted event as received, append-only, partitioned by day of received_at.
CREATE SCHEMA IF NOT EXISTS bronze;
CREATE SCHEMA IF NOT EXISTS silver;
CREATE SCHEMA IF NOT EXISTS gold;

CREATE SEQUENCE bronze.events_id_seq AS bigint;

CREATE TABLE bronze.events (
    id              bigint      NOT NULL DEFAULT nextval('bronze.events_id_seq'),
    event_id        text        NOT NULL,
    event_type      text        NOT NULL,
    channel         text        NOT NULL CHECK (channel IN ('webhook', 'kafka')),
    source          text        NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    payload         jsonb       NOT NULL,
    headers         jsonb       NOT NULL DEFAULT '{}',
    kafka_topic     text,
    kafka_partition integer,
    kafka_offset    bigint,
    payload_hash    bytea       NOT NULL,
    PRIMARY KEY (id, received_at)
) PARTITION BY RANGE (received_at);
ALTER SEQUENCE bronze.events_id_seq OWNED BY bronze.events.id;

-- Catches rows whose day has no partition yet (the maintenance job should make that never happen).
CREATE TABLE bronze.events_default PARTITION OF bronze.events DEFAULT;

CREATE INDEX events_event_id_idx ON bronze.events (event_id);
CREATE INDEX events_source_received_idx ON bronze.events (source, received_at);

-- The promotion work queue: one narrow row per bronze row still to promote, written in the same
-- statement as bronze, deleted when promoted. Claimed by state with FOR UPDATE SKIP LOCKED.
CREATE TABLE bronze.promotion_queue (
    bronze_id       bigint      PRIMARY KEY,
    received_at     timestamptz NOT NULL,
    event_id        text        NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text
);
CREATE INDEX promotion_queue_due_idx ON bronze.promotion_queue (next_attempt_at);

-- Events whose promotion failed too often: kept with the error until requeued.
CREATE TABLE bronze.quarantine (
    bronze_id      bigint      PRIMARY KEY,
    received_at    timestamptz NOT NULL,
    event_id       text        NOT NULL,
    attempts       integer     NOT NULL,
    error          text        NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_event_id_idx ON bronze.quarantine (event_id);

-- (event_id, payload_hash) pairs already landed: a second delivery of the same event is a duplicate.
CREATE TABLE bronze.seen_events (
    event_id      text        NOT NULL,
    payload_hash  bytea       NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, payload_hash)
);
CREATE INDEX seen_events_first_seen_idx ON bronze.seen_events (first_seen_at);

-- Readable but invalid events, with their violations.
CREATE TABLE bronze.rejected_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    text,
    event_type  text,
    channel     text        NOT NULL CHECK (channel IN ('webhook', 'kafka')),
    source      text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    payload     jsonb,      -- null only when PostgreSQL cannot store it (NUL characters, numbers out of range)
    headers     jsonb       NOT NULL DEFAULT '{}',
    violations  jsonb       NOT NULL,
    reason      text        NOT NULL
);
CREATE INDEX rejected_events_event_id_idx ON bronze.rejected_events (event_id);
CREATE INDEX rejected_events_received_idx ON bronze.rejected_events (received_at);

-- Webhook deliveries by webhook-id: a redelivery is answered as the first one was.
CREATE TABLE bronze.webhook_deliveries (
    partner     text        NOT NULL,
    webhook_id  text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    status      integer     NOT NULL,
    response    jsonb       NOT NULL,
    PRIMARY KEY (partner, webhook_id)
);
CREATE INDEX webhook_deliveries_received_idx ON bronze.webhook_deliveries (received_at);

-- Creates the daily partitions of bronze.events from today to days_ahead days ahead.
CREATE FUNCTION bronze.ensure_partitions(days_ahead integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    d       date;
    created integer := 0;
BEGIN
    FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + days_ahead, interval '1 day')::date LOOP
        IF to_regclass(format('bronze.events_%s', to_char(d, 'YYYYMMDD'))) IS NULL THEN
            EXECUTE format('CREATE TABLE bronze.events_%s PARTITION OF bronze.events FOR VALUES FROM (%L) TO (%L)',
                           to_char(d, 'YYYYMMDD'), d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END $$;

-- Drops the daily partitions of bronze.events whose whole day is older than the retention.
CREATE FUNCTION bronze.drop_expired_partitions(retention interval) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    part    record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname, to_date(substring(c.relname FROM 'events_(\d{8})$'), 'YYYYMMDD') AS day
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'bronze.events'::regclass AND c.relname ~ '^events_\d{8}$'
    LOOP
        IF (part.day + 1)::timestamp AT TIME ZONE 'UTC' < now() - retention THEN
            EXECUTE format('DROP TABLE bronze.%I', part.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END $$;

SELECT bronze.ensure_partitions(7);
