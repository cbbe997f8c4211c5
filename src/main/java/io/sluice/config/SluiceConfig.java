package io.sluice.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/**
 * Every Sluice setting, under the {@code sluice.} prefix. Each key can be set by environment variable
 * ({@code sluice.webhook.tolerance} is {@code SLUICE_WEBHOOK_TOLERANCE}).
 */
@ConfigMapping(prefix = "sluice")
public interface SluiceConfig {

    Webhook webhook();

    Limits limits();

    Bronze bronze();

    Promotion promotion();

    Privacy privacy();

    Database database();
    Pull pull();

    Backfill backfill();

    Archive archive();

    interface Webhook {

        /** Accepted clock skew between the {@code webhook-timestamp} header and now, both ways. */
        @WithDefault("300s")
        Duration tolerance();

        /** How long a {@code webhook-id} is remembered to recognise redeliveries. */
        @WithName("delivery-retention")
        @WithDefault("P7D")
        Duration deliveryRetention();

        /** Seconds a client is told to wait in {@code Retry-After} on 503. */
        @WithDefault("5")
        int retryAfterSeconds();

        /**
         * Most webhook requests of this instance between authentication and their answer (the bronze write and the
         * redelivery lookup included). One more is answered 503 with {@code Retry-After} at once, so memory and
         * database connections stay bounded however fast partners send.
         */
        @WithDefault("64")
        int maxInFlight();

        /**
         * Most bytes of webhook bodies this instance holds at once, from the moment a request is admitted until its
         * answer is written or its connection closes: a declared {@code Content-Length} is reserved before any byte
         * is read, a chunked body is counted as it grows. A request that does not fit is answered 503 with
         * {@code Retry-After} and {@code Connection: close} at once, its body never kept. While a request is decoded
         * and landed it costs about ten times its body in heap, so the default (8 MiB) keeps the worst case near
         * 80 MiB of a 256 MiB heap. A request is always admitted when no other body is held, so one larger than the
         * budget (up to {@code sluice.limits.max-request-bytes}) still goes through alone.
         */
        @WithDefault("8388608")
        long maxBufferedBytes();

        /** Most webhook requests whose bodies are held at once (read, decoded or landing); one more is refused 503. */
        @WithDefault("256")
        int maxBufferedRequests();

        /** Partners by path segment name. */
        Map<String, Partner> partners();
    }

    interface Partner {

        /** Signing secrets ({@code whsec_<base64>}), comma-separated; several allow rotation. */
        List<String> secrets();

        /** A disabled partner is refused like an unknown one. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Requests per second allowed for this partner on each instance (a token bucket that holds one second of
         * requests); over it the answer is 429 with {@code Retry-After}. Absent means unlimited.
         */
        Optional<Integer> rateLimit();
    }

    interface Limits {

        /** Largest accepted size of one event, in bytes. */
        @WithDefault("65536")
        int maxEventBytes();

        /** Largest accepted request body, in bytes. */
        @WithDefault("5242880")
        int maxRequestBytes();

        /** Largest number of events in one batch. */
        @WithDefault("1000")
        int maxBatchEvents();

        /** Deepest JSON nesting accepted. */
        @WithDefault("32")
        int maxDepth();

        /** How far in the future {@code occurred_at} may be. */
        @WithDefault("5m")
        Duration maxFutureSkew();
    }

    interface Bronze {

        /** Bronze partitions whose whole day is older than this are dropped. */
        @WithDefault("P30D")
        Duration retention();

        /** Days of bronze partitions created ahead of time. */
        @WithDefault("7")
        int partitionsAhead();

        /**
         * Longest wait for a landing statement. A request whose events are not known to be durable by then is
         * answered 503 with {@code Retry-After} (a Kafka batch is retried), never left waiting on a hung database.
         */
        @WithDefault("10s")
        Duration writeTimeout();

        /**
         * Quarantined events older than this are deleted by the maintenance (their bronze row is usually gone by
         * then, so they could not be requeued anyway).
         */
        @WithDefault("P90D")
        Duration quarantineRetention();

        /**
         * How long one maintenance step (a partition created or dropped) waits for its lock on bronze.events before
         * giving up until the next run, so landing and claiming never queue behind it for longer.
         */
        @WithDefault("2s")
        Duration maintenanceLockTimeout();

        /** Rows deleted per retention statement: each batch is its own short transaction. */
        @WithDefault("5000")
        int retentionBatchSize();

        /** Group commit: concurrent requests and Kafka batches merged into one landing statement. */
        GroupCommit groupCommit();
    }

    interface GroupCommit {

        /**
         * Landing statements in flight at once. While they are all busy, arriving requests wait and go together in
         * the next statement: a lone request is written at once and, under load, each statement carries what arrived
         * during the previous one (see {@link #linger()}).
         */
        @WithDefault("2")
        int maxConcurrent();

        /** Most events and rejects one landing statement carries (a larger single request still goes alone). */
        @WithDefault("5000")
        int maxEvents();

        /**
         * While a landing statement is in flight, how long a free slot may wait for more requests before it starts
         * the next statement (0: never wait). Bounds the latency group commit adds under load; adds none when idle.
         */
        @WithDefault("2ms")
        Duration linger();

        /**
         * Events waiting for a free slot that are enough for a statement of their own: it starts at once instead of
         * lingering. A Kafka poll (hundreds of records) or a large webhook batch already spreads a statement's fixed
         * cost; waiting for more only holds a consumer back while PostgreSQL could be writing.
         */
        @WithDefault("256")
        int lingerBelowEvents();
    }

    interface Promotion {

        /** Switches the promotion engine of this instance on or off. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Bronze rows claimed per promotion transaction. Larger rounds pay a round's fixed costs (statements, the sku
         * locks, the commit) over more events: 4000 promoted a late-arrival backlog 19 % faster than 1000, with 13 %
         * less PostgreSQL CPU per event (bench/RESULTS.md, 2026-12-02).
         */
        @WithDefault("4000")
        int batchSize();

        /**
         * Promotion transactions in flight at once in this instance during a drain (each claims its own batch with
         * SKIP LOCKED and holds one database connection).
         */
        @WithDefault("2")
        int concurrency();

        /**
         * Whether a promotion round's commit waits for PostgreSQL to flush its WAL ({@code synchronous_commit} of the
         * round's transaction). Off by default: a round only derives silver and gold from bronze rows that are durable
         * already, so a PostgreSQL crash can lose at most its last rounds (about three {@code wal_writer_delay}s), and
         * their work items come back with them and are promoted again, idempotently. Landing commits always wait.
         */
        @WithDefault("false")
        boolean synchronousCommit();

        /** Period of the sweep that claims due work even without a notification. */
        @WithDefault("1s")
        Duration sweepInterval();

        /** Attempts before an event is quarantined. */
        @WithDefault("5")
        int maxAttempts();

        /** First retry delay of a failing event; doubles per attempt, with jitter, up to max-backoff. */
        @WithDefault("1s")
        Duration initialBackoff();

        /** Longest retry delay of a failing event. */
        @WithDefault("5m")
        Duration maxBackoff();

        /**
         * Longest wait for one promotion round (claim to commit). Past it the round counts as stalled (a log line and
         * {@code sluice_database_stalls_total{operation="promotion"}}), the drain ends and the next sweep retries.
         */
        @WithDefault("120s")
        Duration roundTimeout();

        /** Period at which the promotion lag gauge is refreshed from the work queue. */
        @WithDefault("5s")
        Duration lagRefresh();
    }

    interface Privacy {

        /** Key of the HMAC-SHA256 that pseudonymises personal data (context.ip, email) in silver and gold. */
        String hashKey();
    }

    /**
     * Bounds on every wait for PostgreSQL (SPEC section 8). The session settings are sent in each connection's
     * startup message, so they hold for every statement of the service's sessions; the others bound the client.
     */
    interface Database {

        /** PostgreSQL {@code statement_timeout} of the service's sessions: no statement runs longer. */
        @WithDefault("60s")
        Duration statementTimeout();

        /** PostgreSQL {@code lock_timeout}: no statement waits longer than this for a lock. */
        @WithDefault("10s")
        Duration lockTimeout();

        /** PostgreSQL {@code idle_in_transaction_session_timeout}: a transaction left open by a stalled client ends. */
        @WithDefault("60s")
        Duration idleInTransactionTimeout();

        /** TCP connect timeout of a new connection. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** Longest wait for a pooled connection (all busy, or a new one not answering); then the request fails. */
        @WithDefault("5s")
        Duration acquireTimeout();

        /** Most requests waiting for a pooled connection; one more fails at once. */
        @WithDefault("256")
        int maxWaitQueue();

        /** TCP keepalive on every connection, so a peer that vanished (a frozen host) is noticed by the kernel. */
        @WithDefault("true")
        boolean tcpKeepAlive();

        /** Longest wait of the readiness check's {@code SELECT 1}: a hung PostgreSQL makes readiness DOWN. */
        @WithDefault("3s")
        Duration healthTimeout();
    }

    /** Paginated HTTP events APIs that Sluice polls (SPEC.md section 11, {@code channel = pull}). */
    interface Pull {

        /** Runs the pullers of this instance; several instances share the work through a row lock per source. */
        @WithDefault("true")
        boolean enabled();

        /** First delay after a 429, a 5xx or a timeout; doubles per failure, with jitter, up to max-backoff. */
        @WithDefault("1s")
        Duration initialBackoff();

        /** Longest delay between two attempts of a failing source (also the retry period of a 4xx-failing one). */
        @WithDefault("5m")
        Duration maxBackoff();

        /** Period at which the per-source gauges (last success, cursor age, failing) are refreshed from the table. */
        @WithDefault("10s")
        Duration statusRefresh();

        /** Pull sources by name; the name is the {@code source} of their events in bronze. */
        Map<String, PullSource> sources();
    }

    interface PullSource {

        /** The events endpoint, e.g. {@code https://api.example.com/v1/events}. */
        String url();

        /** Wait between two runs when the source is caught up (no next page). */
        @WithDefault("30s")
        Duration interval();

        /** Events asked for per page, sent as the {@code limit-param} query parameter. */
        @WithDefault("500")
        int pageSize();

        /** Name of the query parameter that carries the page size. */
        @WithDefault("limit")
        String limitParam();

        /** Name of the query parameter that carries the cursor. */
        @WithDefault("cursor")
        String cursorParam();

        /** JSON pointer to the array of events in a page (native events or structured CloudEvents). */
        @WithDefault("/data")
        String itemsPointer();

        /**
         * JSON pointer to the next cursor in a page; a {@code Link: <url>; rel="next"} header is followed too (the
         * URL then is the cursor).
         */
        @WithDefault("/next_cursor")
        String nextCursorPointer();

        /** Cursor of the very first request; absent means the API's beginning (no cursor parameter). */
        Optional<String> startCursor();

        /** Request headers, e.g. {@code headers.Authorization=Bearer ${PARTNER_API_TOKEN}} (from the environment). */
        Map<String, String> headers();

        /** Longest wait for the TCP (and TLS) connection. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** Longest wait for a whole page once the request is sent. */
        @WithDefault("30s")
        Duration readTimeout();
    }

    /** Uploads of historical events from NDJSON or CSV files (SPEC.md section 11, {@code channel = file}). */
    interface Backfill {

        /** Accepted lines per COPY chunk (one bronze batch, one transaction); at most 65536. */
        @WithDefault("10000")
        int chunkLines();

        /**
         * Most backfill chunks waiting for promotion before the next chunk is landed: a backfill then never puts more
         * than this many batches ahead of live traffic in the promotion queue. 0 switches the brake off.
         */
        @WithDefault("4")
        int maxPendingChunks();

        /** Largest accepted line, in bytes; a longer line is rejected alone (its bytes are skipped, not buffered). */
        @WithDefault("1048576")
        int maxLineBytes();
    }

    /**
     * The raw archive (SPEC.md section 12): before retention drops a bronze partition it is exported as gzip NDJSON
     * with a manifest, read back and verified; only then is the partition dropped.
     */
    interface Archive {

        /**
         * Where exports go: {@code directory} (a local or mounted directory), {@code s3} (an S3-compatible bucket)
         * or {@code none} (retention drops partitions without an archive; logged as a warning at every run).
         */
        @WithDefault("directory")
        String target();

        /** Root of the {@code directory} target; relative paths are under the working directory. */
        @WithDefault("sluice-archive")
        String directory();

        /** Prefix of every object key (directory: a sub-path), e.g. {@code bronze/}. */
        @WithDefault("bronze/")
        String prefix();

        /** Rows fetched per round trip while a partition is streamed out (bounded memory). */
        @WithDefault("1000")
        int fetchSize();

        /** Where the export is written before upload; empty for the JVM's temporary directory. */
        Optional<String> workDirectory();

        S3 s3();

        /** The {@code s3} target: AWS S3 or any S3-compatible store (MinIO, Ceph, R2...). */
        interface S3 {

            /** The bucket; required when the target is {@code s3}. */
            Optional<String> bucket();

            /** The endpoint of an S3-compatible store, e.g. {@code https://minio.internal:9000}; empty for AWS. */
            Optional<String> endpoint();

            @WithDefault("us-east-1")
            String region();

            /** Path-style addressing ({@code endpoint/bucket/key}), which most S3-compatible stores need. */
            @WithDefault("false")
            boolean pathStyle();

            /** Static credentials (from a Secret); both empty: the SDK's default chain (IRSA, instance profile...). */
            Optional<String> accessKeyId();

            Optional<String> secretAccessKey();
        }
    }
}
