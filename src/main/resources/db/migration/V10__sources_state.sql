-- State of the two extra sources (SPEC.md section 11), read and written as objects (Hibernate Reactive Panache):
-- pull sources' cursors and status, and backfill jobs with their progress.

-- One row per configured pull source. The puller locks its row (FOR UPDATE SKIP LOCKED) for the page it fetches, so
-- exactly one instance pulls a source at a time and a crashed holder's lock goes with its connection.
CREATE TABLE bronze.pull_sources (
    name              text        PRIMARY KEY,
    cursor            text,
    -- SHA-256 of the last page read from this same cursor (an API without a next cursor yet): the same page again is
    -- not landed again; set only while the cursor stays, cleared when it moves.
    page_hash         text,
    cursor_updated_at timestamptz NOT NULL DEFAULT now(),
    last_success_at   timestamptz,
    last_error        text,
    last_error_at     timestamptz,
    failing           boolean     NOT NULL DEFAULT false,
    events            bigint      NOT NULL DEFAULT 0,
    pages             bigint      NOT NULL DEFAULT 0,
    version           bigint      NOT NULL DEFAULT 0
);

-- One row per backfill upload. Progress (lines .. bytes) is updated in the transaction of each landed chunk, so a job
-- resumes from its last committed chunk: the first `lines` lines of the file are already in bronze or rejected.
CREATE TABLE bronze.backfill_jobs (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      text        NOT NULL,
    format      text        NOT NULL CHECK (format IN ('ndjson', 'csv')),
    state       text        NOT NULL CHECK (state IN ('running', 'completed', 'failed', 'interrupted')),
    lines       bigint      NOT NULL DEFAULT 0,
    accepted    bigint      NOT NULL DEFAULT 0,
    duplicates  bigint      NOT NULL DEFAULT 0,
    rejected    bigint      NOT NULL DEFAULT 0,
    bytes       bigint      NOT NULL DEFAULT 0,
    chunks      integer     NOT NULL DEFAULT 0,
    error       text,
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    version     bigint      NOT NULL DEFAULT 0
);
CREATE INDEX backfill_jobs_state_idx ON bronze.backfill_jobs (state);

-- Tables of this migration get the service role's DML rights from V7's default privileges; identity sequences too.
