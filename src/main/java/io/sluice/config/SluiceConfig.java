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
    }

    interface Promotion {

        /** Switches the promotion engine of this instance on or off. */
        @WithDefault("true")
        boolean enabled();

        /** Bronze rows claimed per promotion transaction. */
        @WithDefault("1000")
        int batchSize();

        /**
         * Promotion transactions in flight at once in this instance during a drain (each claims its own batch with
         * SKIP LOCKED and holds one database connection).
         */
        @WithDefault("2")
        int concurrency();

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

        /** Period at which the promotion lag gauge is refreshed from the work queue. */
        @WithDefault("5s")
        Duration lagRefresh();
    }

    interface Privacy {

        /** Key of the HMAC-SHA256 that pseudonymises personal data (context.ip, email) in silver and gold. */
        String hashKey();
    }
}
