package io.sluice.promotion;

import java.time.OffsetDateTime;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.sluice.bronze.BronzeWriter;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Puts bronze rows back on the promotion queue: quarantined events after a fix (requeue), or a whole range of bronze
 * by time and source (replay, SPEC.md I7). Re-promoting a delivery rewrites its silver row only if it is still the
 * latest delivery of its event, so a replay converges to what a first promotion gives.
 */
@ApplicationScoped
public class Replays {

    private static final String REQUEUE = """
            WITH released AS (
                DELETE FROM bronze.quarantine WHERE $1::text IS NULL OR event_id = $1 RETURNING bronze_id, received_at, event_id
            ), queued AS (
                INSERT INTO bronze.promotion_queue (bronze_id, received_at, event_id)
                SELECT bronze_id, received_at, event_id FROM released
                ON CONFLICT (bronze_id) DO UPDATE SET attempts = 0, next_attempt_at = now(), last_error = NULL
                RETURNING bronze_id
            )
            SELECT count(*) AS requeued FROM queued
            """;

    private static final String REPLAY = """
            WITH range AS (
                SELECT id, received_at, event_id FROM bronze.events
                WHERE received_at >= $1 AND received_at < $2 AND ($3::text IS NULL OR source = $3)
            ), released AS (
                DELETE FROM bronze.quarantine q USING range r WHERE q.bronze_id = r.id
            ), queued AS (
                INSERT INTO bronze.promotion_queue (bronze_id, received_at, event_id)
                SELECT id, received_at, event_id FROM range
                ON CONFLICT (bronze_id) DO UPDATE SET attempts = 0, next_attempt_at = now(), last_error = NULL
                RETURNING bronze_id
            )
            SELECT count(*) AS requeued FROM queued
            """;

    private static final String WAKE = "SELECT pg_notify('" + BronzeWriter.NOTIFY_CHANNEL + "', '')";

    private final Pool pool;

    public Replays(Pool pool) {
        this.pool = pool;
    }

    /** Moves quarantined events (one event_id, or all when empty) back to the queue with fresh attempts. */
    public Uni<Long> requeue(Optional<String> eventId) {
        return pool.withTransaction(connection -> connection.preparedQuery(REQUEUE)
                .execute(Tuple.of(eventId.orElse(null)))
                .map(rows -> rows.iterator().next().getLong("requeued"))
                .call(count -> wake(connection, count)));
    }

    /** Re-enqueues the bronze rows received in [from, to), of one source (partner or topic) or all. */
    public Uni<Long> replay(OffsetDateTime from, OffsetDateTime to, Optional<String> source) {
        return pool.withTransaction(connection -> connection.preparedQuery(REPLAY)
                .execute(Tuple.of(from, to, source.orElse(null)))
                .map(rows -> rows.iterator().next().getLong("requeued"))
                .call(count -> wake(connection, count)));
    }

    private Uni<Void> wake(SqlConnection connection, long count) {
        return count == 0
                ? Uni.createFrom().voidItem()
                : connection.query(WAKE).execute().replaceWithVoid();
    }
}
