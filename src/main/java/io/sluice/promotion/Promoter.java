package io.sluice.promotion;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.sluice.config.SluiceConfig;
import io.sluice.metrics.SluiceMetrics;
import io.sluice.silver.SilverEvent;
import io.sluice.silver.SilverWriter;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Moves bronze to silver asynchronously. Each round claims a batch of due work items by state
 * ({@code FOR UPDATE SKIP LOCKED}, safe across replicas), transforms them, upserts silver and deletes the items, all
 * in one transaction: a crash leaves the items for the next round.
 */
@ApplicationScoped
public class Promoter {

    private static final String CLAIM = """
            WITH claimed AS (
                SELECT bronze_id, received_at FROM bronze.promotion_queue
                WHERE next_attempt_at <= now()
                ORDER BY next_attempt_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED
            )
            SELECT b.id, b.event_id, b.received_at, b.channel, b.source, b.payload::text AS payload, b.headers::text AS headers,
                   '\\x' || encode(b.payload_hash, 'hex') AS payload_hash
            FROM claimed c JOIN bronze.events b ON b.id = c.bronze_id AND b.received_at = c.received_at
            """;
    private static final String DONE = "DELETE FROM bronze.promotion_queue WHERE bronze_id = ANY($1::bigint[])";

    private final Pool pool;
    private final SilverWriter silver;
    private final SilverTransform transform;
    private final ObjectMapper mapper;
    private final SluiceMetrics metrics;
    private final SluiceConfig.Promotion config;
    private final AtomicBoolean running = new AtomicBoolean();

    public Promoter(Pool pool, SilverWriter silver, ObjectMapper mapper, SluiceMetrics metrics, SluiceConfig config) {
        this.pool = pool;
        this.silver = silver;
        this.transform = new SilverTransform(config.privacy().hashKey());
        this.mapper = mapper.copy()
                .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        this.metrics = metrics;
        this.config = config.promotion();
    }

    @Scheduled(every = "${sluice.promotion.sweep-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> sweep() {
        if (!config.enabled() || !running.compareAndSet(false, true)) {
            return Uni.createFrom().voidItem();
        }
        return drain().eventually(() -> running.set(false));
    }

    /** Promotes batches until a round finds less than a full batch. */
    Uni<Void> drain() {
        return promoteBatch()
                .chain(count -> count >= config.batchSize() ? drain() : Uni.createFrom().voidItem())
                .onFailure().invoke(e -> Log.warnf("promotion round failed, will retry: %s", e.toString()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** One transaction: claim, transform, upsert, delete the work items. Returns the number claimed. */
    Uni<Integer> promoteBatch() {
        return pool.withTransaction(connection -> connection.preparedQuery(CLAIM)
                .execute(Tuple.of(config.batchSize()))
                .chain(rows -> {
                    List<BronzeRecord> claimed = new ArrayList<>();
                    for (Row row : rows) {
                        claimed.add(record(row));
                    }
                    return promote(connection, claimed).replaceWith(claimed.size());
                }));
    }

    private Uni<Void> promote(SqlConnection connection, List<BronzeRecord> claimed) {
        if (claimed.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<SilverEvent> events = latestPerEvent(claimed.stream().map(transform::toSilver).toList());
        Long[] ids = claimed.stream().map(BronzeRecord::id).toArray(Long[]::new);
        return silver.upsert(connection, events)
                .call(() -> connection.preparedQuery(DONE).execute(Tuple.of(ids)))
                .invoke(() -> {
                    metrics.promoted("promoted", claimed.size());
                    OffsetDateTime now = OffsetDateTime.now();
                    claimed.forEach(r -> metrics.promotionLatency(Duration.between(r.receivedAt(), now)));
                })
                .replaceWithVoid();
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
}
