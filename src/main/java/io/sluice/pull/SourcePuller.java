package io.sluice.pull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.sluice.bronze.DatabaseFailures;
import io.sluice.bronze.PullCursors;
import io.sluice.bronze.PullCursors.Held;
import io.sluice.config.SluiceConfig.PullSource;
import io.sluice.event.EventDecoder;
import io.sluice.event.EventDecoder.DecodedEvent;
import io.sluice.event.Violation;
import io.sluice.ingest.Channel;
import io.sluice.ingest.Incoming;
import io.sluice.ingest.IngestPipeline;
import io.sluice.metrics.SluiceMetrics;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;

/**
 * Pulls one page of one source per call, in one transaction: lock the source's row (another instance holding it means
 * "not my turn"), fetch the page from its cursor, land its events through the ingest pipeline, and move the cursor
 * (or record the error) before the commit. Items are native events or structured CloudEvents, decoded and validated
 * like any door's; a page that is not JSON is one rejected event with the reason, never a wedge.
 */
final class SourcePuller {

    /** What a call did, and so how long to wait before the next. */
    enum Outcome {
        /** a page landed and the API has more */
        MORE,
        /** a page landed (or was empty) and there is no next page yet */
        CAUGHT_UP,
        /** another instance holds the source */
        BUSY,
        /** 429, 5xx, timeout, connection error, database error */
        RETRY,
        /** another 4xx, or an unreadable page without a next link */
        FAILED
    }

    record Result(Outcome outcome, Optional<Duration> retryAfter) {

        static Result of(Outcome outcome) {
            return new Result(outcome, Optional.empty());
        }
    }

    private static final int MAX_STORED_BODY_CHARS = 16384;

    private final String name;
    private final PullSource source;
    private final PageClient client;
    private final Pool pool;
    private final PullCursors cursors;
    private final IngestPipeline pipeline;
    private final EventDecoder decoder;
    private final SluiceMetrics metrics;
    private final int maxBatchEvents;
    private final ObjectMapper pages = new ObjectMapper()
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    SourcePuller(String name, PullSource source, PageClient client, Pool pool, PullCursors cursors,
            IngestPipeline pipeline, EventDecoder decoder, SluiceMetrics metrics, int maxBatchEvents) {
        this.name = name;
        this.source = source;
        this.client = client;
        this.pool = pool;
        this.cursors = cursors;
        this.pipeline = pipeline;
        this.decoder = decoder;
        this.metrics = metrics;
        this.maxBatchEvents = maxBatchEvents;
    }

    String name() {
        return name;
    }

    PullSource source() {
        return source;
    }

    Uni<Result> pullOnce() {
        return pool.withTransaction(connection -> cursors.lock(connection, name)
                .chain(held -> held.isEmpty()
                        ? Uni.createFrom().item(Result.of(Outcome.BUSY))
                        : fetchAndLand(connection, held.get())));
    }

    private Uni<Result> fetchAndLand(SqlConnection connection, Held held) {
        return client.fetch(held.cursor()).chain(fetch -> {
            if (fetch instanceof Fetch.Page page) {
                return page(connection, held, page);
            }
            if (fetch instanceof Fetch.Retry retry) {
                metrics.pullPage(name, "retried");
                Log.infof("pull source %s: %s, will retry", name, retry.error());
                return cursors.error(connection, name, retry.error(), false)
                        .replaceWith(new Result(Outcome.RETRY, retry.retryAfter()));
            }
            Fetch.Failed failed = (Fetch.Failed) fetch;
            metrics.pullPage(name, "failed");
            Log.warnf("pull source %s is failing: %s", name, failed.error());
            return cursors.error(connection, name, failed.error(), true).replaceWith(Result.of(Outcome.FAILED));
        });
    }

    private Uni<Result> page(SqlConnection connection, Held held, Fetch.Page page) {
        JsonNode root;
        try {
            root = pages.readTree(page.body());
        } catch (IOException e) {
            root = null;
        }
        JsonNode items = root == null ? null : root.at(JsonPointer.compile(source.itemsPointer()));
        Optional<String> next = nextCursor(root, page.linkNext());
        if (items == null || !items.isArray()) {
            String problem = root == null
                    ? "page is not JSON"
                    : "page has no array of events at " + source.itemsPointer();
            return unreadable(connection, held, page, problem, next);
        }
        String hash = sha256(page.body());
        boolean stays = next.isEmpty() || next.equals(held.cursor());
        if (stays && held.pageHash().equals(Optional.of(hash))) {
            // the same last page again: nothing new to land until the API moves on
            metrics.pullPage(name, "caught_up");
            return cursors.advance(connection, name, Optional.empty(), 0, hash)
                    .replaceWith(Result.of(Outcome.CAUGHT_UP));
        }
        List<Incoming> batch = incoming(items, held.cursor());
        // An empty page waits for the interval even when the cursor moved: no busy loop on a cursor that always moves.
        boolean more = next.isPresent() && !next.equals(held.cursor()) && !items.isEmpty();
        return land(connection, batch)
                .call(() -> cursors.advance(connection, name, next, batch.size(), hash))
                .map(landed -> {
                    metrics.pullPage(name, more ? "ok" : "caught_up");
                    return Result.of(more ? Outcome.MORE : Outcome.CAUGHT_UP);
                });
    }

    /** The whole page becomes one rejected event (reason malformed, the start of the body kept as a string). */
    private Uni<Result> unreadable(SqlConnection connection, Held held, Fetch.Page page, String problem,
            Optional<String> next) {
        metrics.pullPage(name, "malformed");
        String body = new String(page.body(), StandardCharsets.UTF_8);
        TextNode kept = TextNode.valueOf(body.length() > MAX_STORED_BODY_CHARS
                ? body.substring(0, MAX_STORED_BODY_CHARS)
                : body);
        byte[] keptJson = kept.toString().getBytes(StandardCharsets.UTF_8);
        DecodedEvent event = DecodedEvent.malformed(keptJson, new Violation("$", problem));
        Incoming reject = new Incoming(Channel.PULL, name, event, headers(held.cursor()), null, null, null);
        Log.warnf("pull source %s: %s (cursor %s)", name, problem, held.cursor().orElse("<start>"));
        Uni<Void> landed = land(connection, List.of(reject)).replaceWithVoid();
        if (next.isPresent() && !next.equals(held.cursor())) {
            return landed.call(() -> cursors.advance(connection, name, next, 0, null))
                    .call(() -> cursors.error(connection, name, problem, false))
                    .replaceWith(Result.of(Outcome.MORE));
        }
        return landed.call(() -> cursors.error(connection, name, problem, true)).replaceWith(Result.of(Outcome.FAILED));
    }

    /**
     * Lands the page's events in the page's transaction, so they commit with the cursor. Should PostgreSQL refuse a
     * value (the decoder screens what jsonb cannot hold; this is the rare remainder) the statement fails, and with it
     * this transaction's statements so far: the page then lands through the pipeline's own transaction, which
     * rejects just the refused events, and the cursor follows in this one (at-least-once for that page alone).
     */
    private Uni<?> land(SqlConnection connection, List<Incoming> batch) {
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Uni<Object> within = connection.query("SAVEPOINT page").execute()
                .chain(() -> pipeline.landWithin(connection, batch))
                .call(() -> connection.query("RELEASE SAVEPOINT page").execute())
                .map(result -> (Object) result);
        return within.onFailure(DatabaseFailures::isDataException).recoverWithUni(failure -> connection
                .query("ROLLBACK TO SAVEPOINT page").execute()
                .chain(() -> pipeline.land(batch, Optional.empty()))
                .map(outcome -> (Object) outcome));
    }

    private List<Incoming> incoming(JsonNode items, Optional<String> cursor) {
        List<Incoming> batch = new ArrayList<>(items.size());
        Map<String, String> headers = headers(cursor);
        for (int from = 0; from < items.size(); from += maxBatchEvents) {
            ArrayNode group = JsonNodeFactory.instance.arrayNode();
            for (int i = from; i < Math.min(items.size(), from + maxBatchEvents); i++) {
                group.add(items.get(i));
            }
            EventDecoder.Decoded decoded = decoder.decode(group.toString().getBytes(StandardCharsets.UTF_8),
                    EventDecoder.Format.NATIVE, Map.of());
            if (decoded instanceof EventDecoder.Events events) {
                for (DecodedEvent event : events.events()) {
                    batch.add(new Incoming(Channel.PULL, name, event, headers, null, null, null));
                }
            } else {
                throw new IllegalStateException("a re-serialised page of " + name + " could not be decoded: "
                        + decoded);
            }
        }
        return batch;
    }

    private Optional<String> nextCursor(JsonNode root, Optional<String> linkNext) {
        if (root != null) {
            JsonNode next = root.at(JsonPointer.compile(source.nextCursorPointer()));
            if (next.isTextual() && !next.asText().isEmpty()) {
                return Optional.of(next.asText());
            }
            if (next.isIntegralNumber()) {
                return Optional.of(next.asText());
            }
        }
        return linkNext;
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static Map<String, String> headers(Optional<String> cursor) {
        return Map.of("pull_cursor", cursor.orElse(""));
    }
}
