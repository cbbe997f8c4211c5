package io.sluice.promotion;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.Retry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.quarkus.logging.Log;
import io.smallrye.faulttolerance.api.ExponentialBackoff;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.sluice.config.SluiceConfig;
import io.sluice.gold.GoldWriter;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.silver.SilverEvent;
import io.sluice.silver.SilverWriter;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * One promotion transaction: claim due work items by state ({@code FOR UPDATE SKIP LOCKED}, safe across replicas),
 * transform them, upsert silver, bring gold up to date, delete the items. Events whose transform fails get another
 * attempt later (or quarantine) in the same transaction, so they never hold back the others. A transient database
 * failure retries the whole round; any other failure comes out as a {@link BatchFailedException} naming the claimed
 * items, for the promoter to isolate the bad one.
 */
@ApplicationScoped
public class PromotionRound {

    private static final String CLAIM_DUE = """
            WITH claimed AS (
                SELECT bronze_id, received_at, attempts FROM bronze.promotion_queue
                WHERE next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            """;
    private static final String CLAIM_THESE = """
            WITH claimed AS (
                SELECT bronze_id, received_at, attempts FROM bronze.promotion_queue
                WHERE next_attempt_at <= now() AND bronze_id = ANY($1::bigint[])
                FOR UPDATE SKIP LOCKED
            )
            """;
    private static final String CLAIMED_ROWS = """
            SELECT b.id, b.event_id, b.received_at, b.channel, b.source, b.payload::text AS payload,
                   b.headers::text AS headers, '\\x' || encode(b.payload_hash, 'hex') AS payload_hash, c.attempts
            FROM claimed c JOIN bronze.events b ON b.id = c.bronze_id AND b.received_at = c.received_at
            """;
    private static final String DONE = "DELETE FROM bronze.promotion_queue WHERE bronze_id = ANY($1::bigint[])";
    private static final String FAILED = """
            WITH failed AS (
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS f(bronze_id, error, delay_ms)
            ), due AS (
                SELECT q.bronze_id, q.received_at, q.event_id, q.attempts + 1 AS attempts, f.error, f.delay_ms
                FROM bronze.promotion_queue q JOIN failed f ON f.bronze_id = q.bronze_id
                FOR UPDATE OF q SKIP LOCKED
            ), quarantined AS (
                INSERT INTO bronze.quarantine (bronze_id, received_at, event_id, attempts, error)
                SELECT bronze_id, received_at, event_id, attempts, error FROM due WHERE attempts >= $4
                ON CONFLICT (bronze_id) DO UPDATE
                    SET attempts = excluded.attempts, error = excluded.error, quarantined_at = now()
                RETURNING bronze_id
            ), dequeued AS (
                DELETE FROM bronze.promotion_queue q USING quarantined x WHERE q.bronze_id = x.bronze_id
                RETURNING q.bronze_id
            ), retried AS (
                UPDATE bronze.promotion_queue q
                SET attempts = d.attempts, last_error = d.error,
                    next_attempt_at = now() + d.delay_ms * interval '1 millisecond'
                FROM due d WHERE q.bronze_id = d.bronze_id AND d.attempts < $4
                RETURNING q.bronze_id
            )
            SELECT (SELECT count(*) FROM retried) AS retried, (SELECT count(*) FROM dequeued) AS quarantined
            """;
    private static final int MAX_ERROR_CHARS = 2000;

    /** What a round did: work items claimed, promoted, put back for a later attempt, quarantined. */
    public record Outcome(int claimed, int promoted, int retried, int quarantined) {

        static final Outcome NOTHING = new Outcome(0, 0, 0, 0);
    }

    /** A work item that failed, with its attempts before this failure. */
    public record Failure(long bronzeId, int attemptsBefore, String error) {
    }

    private record Claimed(BronzeRecord record, int attempts) {
    }

    private final Pool pool;
    private final SilverWriter silver;
    private final GoldWriter gold;
    private final SilverTransform transform;
    private final ObjectMapper mapper;
    private final SluiceMetrics metrics;
    private final SluiceConfig.Promotion config;
    private final Backoff backoff;

    public PromotionRound(Pool pool, SilverWriter silver, GoldWriter gold, ObjectMapper mapper, SluiceMetrics metrics,
            SluiceConfig config) {
        this.pool = pool;
        this.silver = silver;
        this.gold = gold;
        this.transform = new SilverTransform(config.privacy().hashKey());
        this.mapper = mapper.copy()
                .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        this.metrics = metrics;
        this.config = config.promotion();
        this.backoff = new Backoff(this.config.initialBackoff(), this.config.maxBackoff(),
                () -> ThreadLocalRandom.current().nextDouble());
    }

    /**
     * Promotes one batch of due work items: any due ones when {@code only} is empty, else only those bronze ids (the
     * halves of a batch being isolated).
     */
    @Retry(maxRetries = 5, delay = 200, jitter = 100, maxDuration = 60_000, retryOn = TransientDatabaseException.class)
    @ExponentialBackoff(factor = 2, maxDelay = 10_000)
    public Uni<Outcome> run(List<Long> only) {
        AtomicReference<Map<Long, Integer>> claimedAttempts = new AtomicReference<>(Map.of());
        return pool.withTransaction(connection -> claim(connection, only)
                .invoke(claimed -> claimedAttempts.set(attempts(claimed)))
                .chain(claimed -> promote(connection, claimed)))
                .onFailure().transform(TransientDatabaseException::classify)
                .onFailure(failure -> !(failure instanceof TransientDatabaseException))
                .transform(failure -> new BatchFailedException(claimedAttempts.get(), failure));
    }

    /** Records failed attempts in a transaction of their own (the round that met them was rolled back). */
    @Retry(maxRetries = 5, delay = 200, jitter = 100, maxDuration = 60_000, retryOn = TransientDatabaseException.class)
    @ExponentialBackoff(factor = 2, maxDelay = 10_000)
    public Uni<Outcome> fail(List<Failure> failures) {
        return pool.withTransaction(connection -> recordFailures(connection, failures))
                .onFailure().transform(TransientDatabaseException::classify);
    }

    private Uni<List<Claimed>> claim(SqlConnection connection, List<Long> only) {
        Uni<RowSet<Row>> rows = only.isEmpty()
                ? connection.preparedQuery(CLAIM_DUE + CLAIMED_ROWS).execute(Tuple.of(config.batchSize()))
                : connection.preparedQuery(CLAIM_THESE + CLAIMED_ROWS).execute(Tuple.of(only.toArray(Long[]::new)));
        return rows.map(this::claimed);
    }

    private Uni<Outcome> promote(SqlConnection connection, List<Claimed> claimed) {
        if (claimed.isEmpty()) {
            return Uni.createFrom().item(Outcome.NOTHING);
        }
        return Uni.createFrom().item(() -> transformAll(claimed))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(transformed -> silver.upsert(connection, latestPerEvent(transformed.events()))
                        .chain(changes -> gold.apply(connection, changes))
                        .chain(() -> connection.preparedQuery(DONE).execute(Tuple.of(transformed.promotedIds())))
                        .chain(() -> recordFailures(connection, transformed.failures()))
                        .map(failed -> new Outcome(claimed.size(), transformed.promotedIds().length, failed.retried(),
                                failed.quarantined()))
                        .invoke(outcome -> measure(outcome, transformed.events())));
    }

    private record Transformed(List<SilverEvent> events, Long[] promotedIds, List<Failure> failures) {
    }

    /** Each event on its own: a payload the transform cannot read fails alone. */
    private Transformed transformAll(List<Claimed> claimed) {
        List<SilverEvent> events = new ArrayList<>(claimed.size());
        List<Long> promoted = new ArrayList<>(claimed.size());
        List<Failure> failures = new ArrayList<>();
        for (Claimed c : claimed) {
            try {
                events.add(transform.toSilver(c.record()));
                promoted.add(c.record().id());
            } catch (RuntimeException e) {
                Log.warnf("event %s (bronze %d) failed its transform: %s", c.record().eventId(), c.record().id(),
                        e.toString());
                failures.add(new Failure(c.record().id(), c.attempts(), e.toString()));
            }
        }
        return new Transformed(events, promoted.toArray(Long[]::new), failures);
    }

    private Uni<Outcome> recordFailures(SqlConnection connection, List<Failure> failures) {
        if (failures.isEmpty()) {
            return Uni.createFrom().item(Outcome.NOTHING);
        }
        int n = failures.size();
        Long[] ids = new Long[n], delays = new Long[n];
        String[] errors = new String[n];
        for (int i = 0; i < n; i++) {
            Failure failure = failures.get(i);
            ids[i] = failure.bronzeId();
            errors[i] = truncate(failure.error());
            delays[i] = backoff.after(failure.attemptsBefore() + 1).toMillis();
        }
        return connection.preparedQuery(FAILED)
                .execute(Tuple.of(ids, errors, delays, config.maxAttempts()))
                .map(rows -> {
                    Row row = rows.iterator().next();
                    Outcome outcome = new Outcome(0, 0, row.getLong("retried").intValue(),
                            row.getLong("quarantined").intValue());
                    metrics.promoted("retried", outcome.retried());
                    metrics.promoted("quarantined", outcome.quarantined());
                    return outcome;
                });
    }

    private void measure(Outcome outcome, List<SilverEvent> events) {
        metrics.promoted("promoted", outcome.promoted());
        OffsetDateTime now = OffsetDateTime.now();
        events.forEach(e -> metrics.promotionLatency(Duration.between(e.bronzeReceivedAt(), now)));
    }

    /** Collapses a batch to one row per event_id: the one from the latest bronze delivery. */
    static List<SilverEvent> latestPerEvent(List<SilverEvent> events) {
        Map<String, SilverEvent> latest = new LinkedHashMap<>();
        for (SilverEvent event : events) {
            latest.merge(event.eventId(), event, (a, b) -> later(a, b) ? a : b);
        }
        return new ArrayList<>(latest.values());
    }

    private static boolean later(SilverEvent a, SilverEvent b) {
        int byTime = a.bronzeReceivedAt().compareTo(b.bronzeReceivedAt());
        return byTime != 0 ? byTime > 0 : a.bronzeId() > b.bronzeId();
    }

    private static Map<Long, Integer> attempts(List<Claimed> claimed) {
        Map<Long, Integer> attempts = new HashMap<>();
        claimed.forEach(c -> attempts.put(c.record().id(), c.attempts()));
        return attempts;
    }

    private List<Claimed> claimed(RowSet<Row> rows) {
        List<Claimed> claimed = new ArrayList<>(rows.size());
        for (Row row : rows) {
            claimed.add(new Claimed(record(row), row.getInteger("attempts")));
        }
        return claimed;
    }

    private BronzeRecord record(Row row) {
        try {
            Map<String, String> headers = mapper.readValue(row.getString("headers"), new TypeReference<>() {
            });
            return new BronzeRecord(row.getLong("id"), row.getString("event_id"), row.getOffsetDateTime("received_at"),
                    row.getString("channel"), row.getString("source"),
                    mapper.readTree(row.getString("payload")), headers, row.getString("payload_hash"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bronze row " + row.getLong("id") + " holds unreadable JSON", e);
        }
    }

    private static String truncate(String error) {
        return error.length() <= MAX_ERROR_CHARS ? error : error.substring(0, MAX_ERROR_CHARS);
    }
}
