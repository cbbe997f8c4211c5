package io.sluice.bronze;

import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The puller's side of {@code bronze.pull_sources}, in the caller's Vert.x transaction: lock a source's row for the
 * page being fetched (one instance at a time; a crashed holder's lock goes with its connection), then move the
 * cursor or record the error in that same transaction. {@link PullSourceState} is the same row as an object.
 */
@ApplicationScoped
public class PullCursors {

    /**
     * The locked row: the cursor to fetch from (empty: the beginning) and the hash of the page last read from that
     * same cursor, if the cursor stayed after it.
     */
    public record Held(Optional<String> cursor, Optional<String> pageHash) {
    }

    private final Pool pool;

    public PullCursors(Pool pool) {
        this.pool = pool;
    }

    /** Creates the source's row with its start cursor unless it exists (several instances may race). */
    public Uni<Void> ensure(String name, Optional<String> startCursor) {
        return pool.preparedQuery("""
                INSERT INTO bronze.pull_sources (name, cursor) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING
                """).execute(Tuple.of(name, startCursor.orElse(null))).replaceWithVoid();
    }

    /** Locks the source's row, or answers empty at once when another instance holds it. */
    public Uni<Optional<Held>> lock(SqlConnection connection, String name) {
        return connection
                .preparedQuery(
                        "SELECT cursor, page_hash FROM bronze.pull_sources WHERE name = $1 FOR UPDATE SKIP LOCKED")
                .execute(Tuple.of(name))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return Optional.<Held>empty();
                    }
                    var row = rows.iterator().next();
                    return Optional.of(new Held(Optional.ofNullable(row.getString("cursor")),
                            Optional.ofNullable(row.getString("page_hash"))));
                });
    }

    /**
     * A page was read: the cursor after it (empty: unchanged), the events it landed, and its hash, kept only while
     * the cursor stays where it is.
     */
    public Uni<Void> advance(SqlConnection connection, String name, Optional<String> next, int events,
            String pageHash) {
        return connection.preparedQuery("""
                UPDATE bronze.pull_sources
                SET cursor_updated_at = CASE WHEN $2::text IS NOT NULL AND cursor IS DISTINCT FROM $2
                                             THEN now() ELSE cursor_updated_at END,
                    page_hash = CASE WHEN $2::text IS NOT NULL AND cursor IS DISTINCT FROM $2 THEN NULL ELSE $4 END,
                    cursor = coalesce($2, cursor),
                    last_success_at = now(), failing = false,
                    events = events + $3, pages = pages + 1, version = version + 1
                WHERE name = $1
                """).execute(Tuple.of(name, next.orElse(null), events, pageHash)).replaceWithVoid();
    }

    /** An attempt failed; {@code failing} when it needs more than a retry (a 4xx, an unreadable page). */
    public Uni<Void> error(SqlConnection connection, String name, String error, boolean failing) {
        return connection.preparedQuery("""
                UPDATE bronze.pull_sources
                SET last_error = $2, last_error_at = now(), failing = $3, version = version + 1
                WHERE name = $1
                """).execute(Tuple.of(name, error, failing)).map(RowSet::rowCount).replaceWithVoid();
    }
}
