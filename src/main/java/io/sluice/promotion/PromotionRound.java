package io.sluice.promotion;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
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
import io.sluice.quality.QualityCounters;
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

    /** Landed batches first (the fast path, migration V8), oldest first, up to the batch size in events. */
    private static final String CLAIM_BATCHES = "SELECT batch_id, received_at, events FROM bronze.claim_batches($1)";
    private static final String BATCH_ROWS = """
            SELECT b.id, b.event_id, b.received_at, b.channel, b.source, b.payload::text AS payload,
                   b.headers::text AS headers, '\\x' || encode(b.payload_hash, 'hex') AS payload_hash, 0 AS attempts
            FROM unnest($1::bigint[], $2::timestamptz[]) AS q(batch_id, received_at)
            JOIN bronze.events b ON b.received_at = q.received_at
                                AND b.id >= q.batch_id * 65536 AND b.id < (q.batch_id + 1) * 65536
            """;
    /** Work items of their own (retries, requeues, replays) that are due. */
    private static final String CLAIM_DUE = """
            WITH claimed AS (
                SELECT bronze_id, received_at, event_id, attempts FROM bronze.promotion_queue
                WHERE next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            """;
    private static final String CLAIM_THESE = """
            WITH claimed AS (
                SELECT bronze_id, received_at, event_id, attempts FROM bronze.promotion_queue
                WHERE next_attempt_at <= now() AND bronze_id = ANY($1::bigint[])
                FOR UPDATE SKIP LOCKED
            )
            """;
    /**
     * The bronze rows of the claimed work items. An item whose bronze row is gone (its partition dropped by retention)
     * comes back with a null id: an orphan, deleted in the round instead of being claimed again and again.
     */
    private static final String CLAIMED_ROWS = """
            SELECT c.bronze_id AS item_id, c.event_id AS item_event_id, b.id, b.event_id, b.received_at, b.channel,
                   b.source, b.payload::text AS payload, b.headers::text AS headers,
                   '\\x' || encode(b.payload_hash, 'hex') AS payload_hash, c.attempts
            FROM claimed c LEFT JOIN bronze.events b ON b.id = c.bronze_id AND b.received_at = c.received_at
            """;
    private static final String DONE = """
            WITH items AS (
                DELETE FROM bronze.promotion_queue WHERE bronze_id = ANY($1::bigint[])
            )
            DELETE FROM bronze.promotion_batches WHERE batch_id = ANY($2::bigint[])
            """;
    /**
     * Failed events get a work item of their own (an event of a landed batch has none yet) with one attempt more and
     * the next attempt after a backoff, or go to quarantine after max-attempts.
     */
    private static final String FAILED = """
            WITH failed AS (
                SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::int[], $5::text[], $6::bigint[])
                    AS f(bronze_id, received_at, event_id, attempts, error, delay_ms)
            ), quarantined AS (
                INSERT INTO bronze.quarantine (bronze_id, received_at, event_id, attempts, error)
                SELECT bronze_id, received_at, event_id, attempts + 1, error FROM failed WHERE attempts + 1 >= $7
                ORDER BY bronze_id
                ON CONFLICT (bronze_id) DO UPDATE
                    SET attempts = excluded.attempts, error = excluded.error, quarantined_at = now()
                RETURNING bronze_id
            ), dequeued AS (
                DELETE FROM bronze.promotion_queue q USING quarantined x WHERE q.bronze_id = x.bronze_id
            ), retried AS (
                INSERT INTO bronze.promotion_queue (bronze_id, received_at, event_id, attempts, next_attempt_at, last_error)
                SELECT bronze_id, received_at, event_id, attempts + 1, now() + delay_ms * interval '1 millisecond', error
                FROM failed WHERE attempts + 1 < $7
                ORDER BY bronze_id
                ON CONFLICT (bronze_id) DO UPDATE
                    SET attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
                        last_error = excluded.last_error
                RETURNING bronze_id
            )
            SELECT (SELECT count(*) FROM retried) AS retried, (SELECT count(*) FROM quarantined) AS quarantined
            """;
    /** A failed round's landed batches become work items of their own, so its events can be isolated one by one. */
    private static final String EXPLODE = """
            WITH batches AS (
                DELETE FROM bronze.promotion_batches WHERE batch_id = ANY($1::bigint[]) RETURNING batch_id, received_at
            ), items AS (
                INSERT INTO bronze.promotion_queue (bronze_id, received_at, event_id)
                SELECT b.id, b.received_at, b.event_id
                FROM batches q JOIN bronze.events b ON b.received_at = q.received_at
                                                   AND b.id >= q.batch_id * 65536 AND b.id < (q.batch_id + 1) * 65536
                ORDER BY b.id
                ON CONFLICT (bronze_id) DO NOTHING
                RETURNING bronze_id
            )
            SELECT count(*) AS items FROM items
            """;
    private static final String ASYNC_COMMIT = "SET LOCAL synchronous_commit = off";
    private static final int MAX_ERROR_CHARS = 2000;

    /** What a round did: work items claimed, promoted, put back for a later attempt, quarantined. */
    public record Outcome(int claimed, int promoted, int retried, int quarantined) {

        static final Outcome NOTHING = new Outcome(0, 0, 0, 0);
    }

    /** A work item that failed, with its attempts before this failure. */
    public record Failure(WorkItem item, String error) {
    }

    /**
     * A claimed bronze row as PostgreSQL sent it: its JSON is parsed by the transform, on a worker thread (not on the
     * event loop that also serves the doors), and an unreadable one fails that event alone.
     */
    private record Claimed(long id, String eventId, OffsetDateTime receivedAt, String channel, String source,
            String payload, String headers, String payloadHash, int attempts) {

        WorkItem item() {
            return new WorkItem(id, receivedAt, eventId, attempts);
        }
    }

    /**
     * What a round claimed: the events (of landed batches and of work items), the landed batches, and the work items
     * whose bronze row is gone.
     */
    private record Claim(List<Claimed> events, Long[] batches, Long[] orphans, long missingFromBatches) {

        static final Claim NONE = new Claim(List.of(), new Long[0], new Long[0], 0);

        boolean isEmpty() {
            return events.isEmpty() && batches.length == 0 && orphans.length == 0;
        }
    }

    private final Pool pool;
    private final SilverWriter silver;
    private final GoldWriter gold;
    private final SilverTransform transform;
    private final ObjectMapper mapper;
    private final SluiceMetrics metrics;
    private final SluiceConfig.Promotion config;
    private final Backoff backoff;
    private final QualityCounters quality;

    public PromotionRound(Pool pool, SilverWriter silver, GoldWriter gold, ObjectMapper mapper, SluiceMetrics metrics,
            SluiceConfig config, QualityCounters quality) {
        this.pool = pool;
        this.silver = silver;
        this.gold = gold;
        this.quality = quality;
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
     * Promotes one round: landed batches and due work items up to the batch size when {@code only} is empty, else
     * only the work items of those bronze ids (the halves of a failed round being isolated).
     */
    @Retry(maxRetries = 5, delay = 200, jitter = 100, maxDuration = 60_000, retryOn = TransientDatabaseException.class)
    @ExponentialBackoff(factor = 2, maxDelay = 10_000)
    public Uni<Outcome> run(List<Long> only) {
        AtomicReference<Claim> claimed = new AtomicReference<>(Claim.NONE);
        return pool.withTransaction(connection -> commitMode(connection)
                .chain(() -> claim(connection, only))
                .invoke(claimed::set)
                .chain(claim -> promote(connection, claim)))
                .onFailure().transform(TransientDatabaseException::classify)
                .onFailure(failure -> !(failure instanceof TransientDatabaseException))
                .transform(failure -> new BatchFailedException(items(claimed.get().events()),
                        List.of(claimed.get().batches()), failure));
    }

    /** Records failed attempts in a transaction of their own (the round that met them was rolled back). */
    @Retry(maxRetries = 5, delay = 200, jitter = 100, maxDuration = 60_000, retryOn = TransientDatabaseException.class)
    @ExponentialBackoff(factor = 2, maxDelay = 10_000)
    public Uni<Outcome> fail(List<Failure> failures) {
        return pool.withTransaction(connection -> recordFailures(connection, failures))
                .onFailure().transform(TransientDatabaseException::classify);
    }

    /**
     * Gives each event of these landed batches a work item of its own and drops the batches, so that the events of a
     * failed round can be isolated one by one. Returns the work items created.
     */
    @Retry(maxRetries = 5, delay = 200, jitter = 100, maxDuration = 60_000, retryOn = TransientDatabaseException.class)
    @ExponentialBackoff(factor = 2, maxDelay = 10_000)
    public Uni<Long> explode(List<Long> batches) {
        return pool.withTransaction(connection -> connection.preparedQuery(EXPLODE)
                .execute(Tuple.of(batches.toArray(Long[]::new)))
                .map(rows -> rows.iterator().next().getLong("items")))
                .onFailure().transform(TransientDatabaseException::classify);
    }

    /**
     * The round's commit does not wait for the WAL flush unless configured to: what it writes is derived from durable
     * bronze rows, and a lost commit brings its work items back with it.
     */
    private Uni<Void> commitMode(SqlConnection connection) {
        return config.synchronousCommit()
                ? Uni.createFrom().voidItem()
                : connection.query(ASYNC_COMMIT).execute().replaceWithVoid();
    }

    private Uni<Claim> claim(SqlConnection connection, List<Long> only) {
        if (!only.isEmpty()) {
            return connection.preparedQuery(CLAIM_THESE + CLAIMED_ROWS).execute(Tuple.of(only.toArray(Long[]::new)))
                    .map(rows -> items(rows, Claim.NONE));
        }
        return connection.preparedQuery(CLAIM_BATCHES).execute(Tuple.of(config.batchSize()))
                .chain(batches -> batchRows(connection, batches))
                .chain(fromBatches -> connection.preparedQuery(CLAIM_DUE + CLAIMED_ROWS)
                        .execute(Tuple.of(itemsToClaim(fromBatches.events().size())))
                        .map(rows -> items(rows, fromBatches)));
    }

    /** Work items fill the round up to the batch size, and always get a tenth of it, so replays cannot starve. */
    private int itemsToClaim(int fromBatches) {
        return Math.max(config.batchSize() - fromBatches, Math.max(1, config.batchSize() / 10));
    }

    private Uni<Claim> batchRows(SqlConnection connection, RowSet<Row> batches) {
        if (batches.size() == 0) {
            return Uni.createFrom().item(Claim.NONE);
        }
        Long[] ids = new Long[batches.size()];
        OffsetDateTime[] receivedAt = new OffsetDateTime[batches.size()];
        int i = 0;
        long expected = 0;
        for (Row batch : batches) {
            ids[i] = batch.getLong("batch_id");
            receivedAt[i++] = batch.getOffsetDateTime("received_at");
            expected += batch.getInteger("events");
        }
        long landed = expected;
        return connection.preparedQuery(BATCH_ROWS).execute(Tuple.of(ids, receivedAt))
                .map(rows -> {
                    if (rows.size() < landed) {
                        // the batch row goes with the round; its missing events cannot be promoted any more
                        Log.warnf("landed batches %s: %d of %d events are no longer in bronze (partition dropped by "
                                + "retention?); dropping them from promotion", List.of(ids), landed - rows.size(),
                                landed);
                    }
                    return new Claim(claimed(rows), ids, new Long[0], Math.max(0, landed - rows.size()));
                });
    }

    private Uni<Outcome> promote(SqlConnection connection, Claim claim) {
        List<Claimed> claimed = claim.events();
        if (claim.isEmpty()) {
            return Uni.createFrom().item(Outcome.NOTHING);
        }
        Long[] orphans = claim.orphans();
        return Uni.createFrom().item(() -> transformAll(claimed))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .chain(transformed -> silver.upsert(connection, latestPerEvent(transformed.events()))
                        // the counters before gold: their rows are spread over slots, so they take no lock another
                        // round waits for, and gold's sku locks (held to the commit) are not held while they are written
                        .call(changes -> quality.record(connection, changes))
                        .call(changes -> gold.apply(connection, changes))
                        .chain(() -> connection.preparedQuery(DONE)
                                .execute(Tuple.of(concat(transformed.promotedIds(), orphans), claim.batches())))
                        .invoke(() -> metrics.promoted("orphaned",
                                (int) (orphans.length + claim.missingFromBatches())))
                        .chain(() -> recordFailures(connection, transformed.failures()))
                        .map(failed -> new Outcome(claimed.size() + orphans.length,
                                transformed.promotedIds().length, failed.retried(), failed.quarantined()))
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
                events.add(transform.toSilver(record(c)));
                promoted.add(c.id());
            } catch (RuntimeException e) {
                Log.warnf("event %s (bronze %d) failed its transform: %s", c.eventId(), c.id(), e.toString());
                failures.add(new Failure(c.item(), e.toString()));
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
        OffsetDateTime[] receivedAt = new OffsetDateTime[n];
        String[] eventIds = new String[n], errors = new String[n];
        Integer[] attempts = new Integer[n];
        for (int i = 0; i < n; i++) {
            Failure failure = failures.get(i);
            ids[i] = failure.item().bronzeId();
            receivedAt[i] = failure.item().receivedAt();
            eventIds[i] = failure.item().eventId();
            attempts[i] = failure.item().attempts();
            errors[i] = truncate(failure.error());
            delays[i] = backoff.after(failure.item().attempts() + 1).toMillis();
        }
        return connection.preparedQuery(FAILED)
                .execute(Tuple.tuple().addArrayOfLong(ids).addArrayOfOffsetDateTime(receivedAt)
                        .addArrayOfString(eventIds).addArrayOfInteger(attempts).addArrayOfString(errors)
                        .addArrayOfLong(delays).addInteger(config.maxAttempts()))
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

    private static Map<Long, WorkItem> items(List<Claimed> claimed) {
        Map<Long, WorkItem> items = new HashMap<>();
        claimed.forEach(c -> items.put(c.id(), c.item()));
        return items;
    }

    /**
     * Adds claimed work items to a claim; those whose bronze row is gone are orphans, logged and counted (outcome
     * {@code orphaned}) and deleted with the round.
     */
    private Claim items(RowSet<Row> rows, Claim so) {
        List<Claimed> events = new ArrayList<>(so.events());
        List<Long> orphans = new ArrayList<>();
        List<String> orphanEvents = new ArrayList<>();
        for (Row row : rows) {
            if (row.getLong("id") == null) {
                orphans.add(row.getLong("item_id"));
                orphanEvents.add(row.getString("item_event_id"));
            } else {
                events.add(claimed(row));
            }
        }
        if (!orphans.isEmpty()) {
            Log.warnf("%d work item(s) have no bronze row any more (partition dropped by retention?); deleting them. "
                    + "Events: %s", orphans.size(), orphanEvents.subList(0, Math.min(10, orphanEvents.size())));
        }
        return new Claim(events, so.batches(), orphans.toArray(Long[]::new), so.missingFromBatches());
    }

    private static Long[] concat(Long[] a, Long[] b) {
        if (b.length == 0) {
            return a;
        }
        Long[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private List<Claimed> claimed(RowSet<Row> rows) {
        List<Claimed> claimed = new ArrayList<>(rows.size());
        for (Row row : rows) {
            claimed.add(claimed(row));
        }
        return claimed;
    }

    private static Claimed claimed(Row row) {
        return new Claimed(row.getLong("id"), row.getString("event_id"), row.getOffsetDateTime("received_at"),
                row.getString("channel"), row.getString("source"), row.getString("payload"),
                row.getString("headers"), row.getString("payload_hash"), row.getInteger("attempts"));
    }

    private BronzeRecord record(Claimed c) {
        try {
            Map<String, String> headers = mapper.readValue(c.headers(), new TypeReference<>() {
            });
            return new BronzeRecord(c.id(), c.eventId(), c.receivedAt(), c.channel(), c.source(),
                    mapper.readTree(c.payload()), headers, c.payloadHash());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("bronze row " + c.id() + " holds unreadable JSON", e);
        }
    }

    private static String truncate(String error) {
        return error.length() <= MAX_ERROR_CHARS ? error : error.substring(0, MAX_ERROR_CHARS);
    }
}
