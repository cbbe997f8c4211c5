package io.sluice.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.ingest.Channel;
import io.sluice.ingest.IngestResult;

/**
 * Owns every Sluice meter name (SPEC.md section 8). Prometheus sees dots as underscores and counters with
 * {@code _total}: {@code sluice.events.received} is scraped as {@code sluice_events_received_total}.
 */
@ApplicationScoped
public class SluiceMetrics {

    public static final String EVENTS_RECEIVED = "sluice.events.received";
    public static final String BRONZE_WRITE = "sluice.bronze.write";
    /** Events per landing statement: how many requests group commit merged. */
    public static final String BRONZE_BATCH_EVENTS = "sluice.bronze.batch.events";
    public static final String PROMOTION_EVENTS = "sluice.promotion.events";
    public static final String PROMOTION_LAG = "sluice.promotion.lag";
    public static final String PROMOTION_LATENCY = "sluice.promotion.latency";
    /** Kafka records read from the input topics, by topic (written and rejected: {@link #EVENTS_RECEIVED}). */
    public static final String KAFKA_RECORDS_CONSUMED = "sluice.kafka.records.consumed";
    /** Retries of a Kafka batch whose bronze write or dead letters failed (the consumer is paused meanwhile). */
    public static final String KAFKA_RETRIES = "sluice.kafka.retries";
    public static final String WEBHOOK_AUTH_FAILURES = "sluice.webhook.auth.failures";
    public static final String KAFKA_DEAD_LETTERS = "sluice.kafka.dead.letters";
    public static final String WEBHOOK_REFUSED = "sluice.webhook.refused";
    public static final String WEBHOOK_IN_FLIGHT = "sluice.webhook.in.flight";
    /** Bytes of webhook bodies held (reserved before reading, until the answer), bounded by max-buffered-bytes. */
    public static final String WEBHOOK_BUFFERED_BYTES = "sluice.webhook.buffered.bytes";
    /** Webhook requests whose bodies are held, bounded by sluice.webhook.max-buffered-requests. */
    public static final String WEBHOOK_BUFFERED_REQUESTS = "sluice.webhook.buffered.requests";
    /** Waits on PostgreSQL that hit their bound (a hung or locked database), by operation. */
    public static final String DATABASE_STALLS = "sluice.database.stalls";
    /** 1 while this instance reaches a Kafka broker, 0 while it does not (health group {@code kafka}). */
    public static final String KAFKA_UP = "sluice.kafka.up";
    /** Rows in bronze.events_default (a day without its partition); should always be 0. */
    public static final String BRONZE_DEFAULT_ROWS = "sluice.bronze.default.rows";
    /** Exports of bronze partitions to the raw archive, by outcome (verified, failed). */
    public static final String ARCHIVE_EXPORTS = "sluice.archive.exports";
    /** Expired partitions kept at the last maintenance run because their archive failed; should be 0. */
    public static final String ARCHIVE_FAILING = "sluice.archive.failing.partitions";
    /** Rows deleted by retention, by table. */
    public static final String RETENTION_DELETED = "sluice.retention.deleted";
    /** Maintenance steps that gave up on a lock (retried at the next run), by step. */
    public static final String MAINTENANCE_LOCK_TIMEOUTS = "sluice.maintenance.lock.timeouts";
    /** Webhook requests answered 503 while the instance drains for shutdown. */
    public static final String DRAINING = "sluice.draining";
    /** Pages requested from pull sources, by source and outcome (ok, caught_up, retried, failed, malformed). */
    public static final String PULL_PAGES = "sluice.pull.pages";
    /** Unix time of a pull source's last successful page (all instances report the table's value). */
    public static final String PULL_LAST_SUCCESS = "sluice.pull.last.success";
    /** Seconds since a pull source's cursor last moved. */
    public static final String PULL_CURSOR_AGE = "sluice.pull.cursor.age";
    /** 1 while a pull source's last attempt failed (4xx, or retries exhausted into an error), else 0. */
    public static final String PULL_FAILING = "sluice.pull.failing";
    /** Backfill lines by outcome (accepted, rejected), by source. */
    public static final String BACKFILL_LINES = "sluice.backfill.lines";
    /** Evaluations of data-quality expectations, by expectation and verdict (pass, fail, no_data). */
    public static final String QUALITY_CHECKS = "sluice.quality.checks";
    /** 1 while an expectation's latest verdict is fail, else 0 (every instance reports quality.results). */
    public static final String QUALITY_FAILING = "sluice.quality.failing";

    private final MeterRegistry registry;
    private final Timer bronzeWrite;
    private final Timer promotionLatency;
    private final DistributionSummary bronzeBatch;
    private final AtomicLong promotionLagMillis = new AtomicLong();
    private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();
    private final AtomicLong kafkaUp = new AtomicLong(1);
    private final AtomicLong bronzeDefaultRows = new AtomicLong();
    private final AtomicLong draining = new AtomicLong();
    private final AtomicLong archiveFailing = new AtomicLong();

    public SluiceMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.bronzeWrite = Timer.builder(BRONZE_WRITE)
                .description("Time to land one batch in bronze, transaction included")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        this.bronzeBatch = DistributionSummary.builder(BRONZE_BATCH_EVENTS)
                .description("Events and rejects landed by one bronze statement (requests merged by group commit)")
                .serviceLevelObjectives(1, 10, 100, 1000, 10000)
                .register(registry);
        this.promotionLatency = Timer.builder(PROMOTION_LATENCY)
                .description("Time from receipt in bronze to the silver row")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        Gauge.builder(PROMOTION_LAG, promotionLagMillis, millis -> millis.get() / 1000.0)
                .description("Age of the oldest bronze event not yet promoted (quarantined ones excluded)")
                .baseUnit("seconds")
                .register(registry);
        for (String outcome : new String[]{"promoted", "retried", "quarantined", "orphaned"}) {
            promotion(outcome);
        }
        Counter.builder(KAFKA_DEAD_LETTERS).description("Kafka records sent to the dead-letter topic")
                .register(registry);
        for (String stage : new String[]{"bronze", "dead-letter"}) {
            kafkaRetries(stage);
        }
        for (String operation : new String[]{"health", "promotion"}) {
            databaseStalls(operation);
        }
        Gauge.builder(KAFKA_UP, kafkaUp, AtomicLong::get)
                .description("1 while this instance reaches a Kafka broker, 0 while it does not")
                .register(registry);
        Gauge.builder(BRONZE_DEFAULT_ROWS, bronzeDefaultRows, AtomicLong::get)
                .description("Rows in bronze.events_default (received on a day without its partition); should be 0")
                .register(registry);
        for (String outcome : new String[]{"verified", "failed"}) {
            archiveExports(outcome);
        }
        Gauge.builder(ARCHIVE_FAILING, archiveFailing, AtomicLong::get)
                .description("Expired bronze partitions kept at the last maintenance run because their archive "
                        + "export failed (retried at the next run); should be 0")
                .register(registry);
        Gauge.builder(DRAINING, draining, AtomicLong::get)
                .description("1 while this instance drains for shutdown (webhooks answer 503 with Retry-After)")
                .register(registry);
    }

    /** A wait on PostgreSQL hit its bound: {@code operation} is health, promotion, maintenance... */
    public void databaseStall(String operation) {
        databaseStalls(operation).increment();
    }

    private Counter databaseStalls(String operation) {
        return Counter.builder(DATABASE_STALLS)
                .description("Waits on PostgreSQL that hit their bound (a hung or locked database), by operation")
                .tag("operation", operation)
                .register(registry);
    }

    public void kafkaUp(boolean up) {
        kafkaUp.set(up ? 1 : 0);
    }

    public void bronzeDefaultRows(long rows) {
        bronzeDefaultRows.set(rows);
    }

    public void draining() {
        draining.set(1);
    }

    /** One export of a partition to the raw archive ended: verified, or failed (the partition is kept). */
    public void archiveExport(String outcome) {
        archiveExports(outcome).increment();
    }

    private Counter archiveExports(String outcome) {
        return Counter.builder(ARCHIVE_EXPORTS)
                .description("Exports of bronze partitions to the raw archive, by outcome (verified, failed)")
                .tag("outcome", outcome).register(registry);
    }

    public void archiveFailingPartitions(int partitions) {
        archiveFailing.set(partitions);
    }

    public void retentionDeleted(String table, long rows) {
        Counter.builder(RETENTION_DELETED).description("Rows deleted by retention, by table")
                .tag("table", table).register(registry).increment(rows);
    }

    public void maintenanceLockTimeout(String step) {
        Counter.builder(MAINTENANCE_LOCK_TIMEOUTS)
                .description("Maintenance steps that gave up waiting for a lock (retried at the next run), by step")
                .tag("step", step).register(registry).increment();
    }

    public void received(Channel channel, String source, IngestResult result) {
        received(channel, source, result.accepted(), result.duplicates(), result.rejected().size());
    }

    /** Events received by a door that counts them itself (the backfill's COPY chunks). */
    public void received(Channel channel, String source, long accepted, long duplicates, long rejected) {
        received(channel, source, "accepted", accepted);
        received(channel, source, "duplicate", duplicates);
        received(channel, source, "rejected", rejected);
    }

    private void received(Channel channel, String source, String outcome, long count) {
        if (count == 0 && counters.containsKey(List.of(EVENTS_RECEIVED, channel.column(), source, outcome))) {
            return;
        }
        counter(List.of(EVENTS_RECEIVED, channel.column(), source, outcome), () -> Counter.builder(EVENTS_RECEIVED)
                .description("Events received, by channel, source (partner or topic) and outcome")
                .tags("channel", channel.column(), "source", source, "outcome", outcome)
                .register(registry))
                .increment(count);
    }

    /** A counter by its name and tag values, built once (the hot paths count per request and per record). */
    private Counter counter(List<String> key, Supplier<Counter> build) {
        Counter counter = counters.get(key);
        return counter != null ? counter : counters.computeIfAbsent(key, k -> build.get());
    }

    public void bronzeWrite(long nanos) {
        bronzeWrite.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void bronzeBatch(int events) {
        bronzeBatch.record(events);
    }

    public void promoted(String outcome, int count) {
        promotion(outcome).increment(count);
    }

    private Counter promotion(String outcome) {
        return Counter.builder(PROMOTION_EVENTS)
                .description(
                        "Events through promotion, by outcome (promoted, retried, quarantined, orphaned: bronze row gone)")
                .tag("outcome", outcome)
                .register(registry);
    }

    public void promotionLatency(Duration latency) {
        promotionLatency.record(latency);
    }

    /** Sets the promotion lag gauge (refreshed periodically by the promoter, not computed per scrape). */
    public void promotionLag(Duration lag) {
        promotionLagMillis.set(lag.toMillis());
    }

    public void authFailure(String partner, String reason) {
        Counter.builder(WEBHOOK_AUTH_FAILURES)
                .description("Refused webhook requests, by partner path segment and reason")
                .tags("partner", partner, "reason", reason)
                .register(registry)
                .increment();
    }

    /**
     * A webhook request answered 429 or 503 for load: reason rate_limited, saturated or unavailable (authenticated),
     * or memory (refused before its body was read, so before authentication: partner is a configured partner's name
     * or unknown).
     */
    public void webhookRefused(String partner, String reason) {
        Counter.builder(WEBHOOK_REFUSED)
                .description("Webhook requests refused for load, by partner and reason")
                .tags("partner", partner, "reason", reason)
                .register(registry)
                .increment();
    }

    /** Webhook requests currently between authentication and their answer. */
    public void webhookInFlight(Supplier<Number> inFlight) {
        Gauge.builder(WEBHOOK_IN_FLIGHT, inFlight)
                .description("Webhook requests waiting on PostgreSQL (bounded by sluice.webhook.max-in-flight)")
                .strongReference(true)
                .register(registry);
    }

    /** The webhook bodies held in memory (webhook/BufferBudget). */
    public void webhookBuffered(Supplier<Number> bytes, Supplier<Number> requests) {
        Gauge.builder(WEBHOOK_BUFFERED_BYTES, bytes)
                .description("Bytes of webhook bodies held, reserved before reading until the answer "
                        + "(bounded by sluice.webhook.max-buffered-bytes)")
                .strongReference(true)
                .register(registry);
        Gauge.builder(WEBHOOK_BUFFERED_REQUESTS, requests)
                .description("Webhook requests whose bodies are held (bounded by sluice.webhook.max-buffered-requests)")
                .strongReference(true)
                .register(registry);
    }

    public void kafkaConsumed(String topic) {
        counter(List.of(KAFKA_RECORDS_CONSUMED, topic), () -> Counter.builder(KAFKA_RECORDS_CONSUMED)
                .description("Kafka records read from the input topics, by topic")
                .tag("topic", topic)
                .register(registry))
                .increment();
    }

    /** {@code stage} is {@code bronze} (the database write) or {@code dead-letter} (the DLQ send). */
    public void kafkaRetry(String stage) {
        kafkaRetries(stage).increment();
    }

    private Counter kafkaRetries(String stage) {
        return Counter.builder(KAFKA_RETRIES)
                .description("Retries of a Kafka batch after a failed bronze write or dead-letter send, by stage")
                .tag("stage", stage)
                .register(registry);
    }

    public void deadLetter() {
        registry.counter(KAFKA_DEAD_LETTERS).increment();
    }

    /** One page request of a pull source: ok, caught_up, retried (429/5xx/timeout), failed (4xx), malformed. */
    public void pullPage(String source, String outcome) {
        Counter.builder(PULL_PAGES)
                .description("Pages requested from pull sources, by source and outcome")
                .tags("source", source, "outcome", outcome)
                .register(registry)
                .increment();
    }

    /** Registers the per-source pull gauges once; their values are read from the given holders. */
    public void pullSource(String source, Supplier<Number> lastSuccessEpochSeconds, Supplier<Number> cursorAgeSeconds,
            Supplier<Number> failing) {
        Gauge.builder(PULL_LAST_SUCCESS, lastSuccessEpochSeconds)
                .description("Unix time of the pull source's last successful page (0: never)")
                .baseUnit("seconds").tag("source", source).strongReference(true).register(registry);
        Gauge.builder(PULL_CURSOR_AGE, cursorAgeSeconds)
                .description("Seconds since the pull source's cursor last moved")
                .baseUnit("seconds").tag("source", source).strongReference(true).register(registry);
        Gauge.builder(PULL_FAILING, failing)
                .description("1 while the pull source's last attempt failed, else 0")
                .tag("source", source).strongReference(true).register(registry);
        for (String outcome : new String[]{"ok", "caught_up", "retried", "failed", "malformed"}) {
            Counter.builder(PULL_PAGES).description("Pages requested from pull sources, by source and outcome")
                    .tags("source", source, "outcome", outcome).register(registry);
        }
    }

    /** Lines of a backfill chunk, by outcome: accepted (landed in bronze) or rejected. */
    public void backfillLines(String source, String outcome, long count) {
        Counter.builder(BACKFILL_LINES)
                .description("Backfill lines by source and outcome (accepted, rejected)")
                .tags("source", source, "outcome", outcome)
                .register(registry)
                .increment(count);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Evaluations of a data-quality expectation with verdict pass, fail or no_data (0 registers the series). */
    public void qualityChecks(String expectation, String verdict, int count) {
        counter(List.of(QUALITY_CHECKS, expectation, verdict), () -> Counter.builder(QUALITY_CHECKS)
                .description("Evaluations of data-quality expectations, by expectation and verdict")
                .tags("expectation", expectation, "verdict", verdict)
                .register(registry))
                .increment(count);
    }

    /** Registers an expectation's failing gauge once; its value (1 failing, 0 not) is read from the supplier. */
    public void qualityFailing(String expectation, Supplier<Number> failing) {
        Gauge.builder(QUALITY_FAILING, failing)
                .description("1 while the data-quality expectation's latest verdict is fail, else 0")
                .tag("expectation", expectation)
                .strongReference(true)
                .register(registry);
    }
}
