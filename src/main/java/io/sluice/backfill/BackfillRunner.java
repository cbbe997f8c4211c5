package io.sluice.backfill;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.logging.Log;
import io.sluice.bronze.BronzeCopy;
import io.sluice.bronze.BronzeCopy.Progress;
import io.sluice.bronze.BronzeCopy.RejectedLine;
import io.sluice.bronze.BronzeCopy.Row;
import io.sluice.bronze.PayloadHash;
import io.sluice.config.SluiceConfig;
import io.sluice.event.CloudEvents;
import io.sluice.event.EventDecoder;
import io.sluice.event.EventDecoder.DecodedEvent;
import io.sluice.event.EventValidator;
import io.sluice.event.Violation;
import io.sluice.ingest.Channel;
import io.sluice.metrics.SluiceMetrics;

/**
 * Reads a backfill file line by line (blocking, on a worker thread), decodes and validates each line with the
 * decoder and validator every door uses, and lands chunks of accepted lines by COPY with the rejected ones beside
 * them ({@link BronzeCopy}). A chunk lands on a thread of its own while the next one is read ({@link Landing}), so
 * PostgreSQL's COPY and the JVM's decoding run side by side instead of taking turns. Before each chunk it waits while
 * {@code max-pending-chunks} of its earlier chunks still wait for promotion, so live traffic never queues behind more
 * than that much backfill.
 */
@ApplicationScoped
public class BackfillRunner {

    /** How a file is framed. */
    public enum Format {

        NDJSON("ndjson"), CSV("csv"),
        /** An object of the raw archive: NDJSON of bronze rows, each replayed from its payload and source. */
        ARCHIVE("ndjson");

        final String column;

        Format(String column) {
            this.column = column;
        }

        public String column() {
            return column;
        }
    }

    private static final long BRAKE_POLL_MILLIS = 100;
    private static final java.util.regex.Pattern HEX_SHA256 = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    private final EventDecoder decoder;
    private final EventValidator validator;
    private final BronzeCopy copy;
    private final ObjectMapper mapper;
    private final SluiceMetrics metrics;
    private final SluiceConfig.Backfill config;

    public BackfillRunner(EventDecoder decoder, EventValidator validator, BronzeCopy copy, ObjectMapper mapper,
            SluiceMetrics metrics, SluiceConfig config) {
        this.decoder = decoder;
        this.validator = validator;
        this.copy = copy;
        this.mapper = mapper;
        this.metrics = metrics;
        this.config = config.backfill();
    }

    /**
     * Runs a job to the end of its file. {@code from} is what earlier runs committed (zero for a new job): its lines
     * are read again and skipped. Throws when the file or the database fails; what was committed stays.
     */
    public Progress run(long jobId, String source, Format format, CountingInputStream body, InputStream decoded,
            Progress from) throws IOException, SQLException, InterruptedException {
        return run(jobId, source, format, null, body, decoded, from);
    }

    /**
     * The same for an archived object ({@link Format#ARCHIVE}, {@code archiveKey} its key): each line is a bronze row;
     * its payload is decoded and validated again as it was received (CloudEvent attributes from its headers), and it
     * lands under its own source with the archived row's id, channel, time and headers beside the job's lineage.
     */
    public Progress run(long jobId, String source, Format format, String archiveKey, CountingInputStream body,
            InputStream decoded, Progress from) throws IOException, SQLException, InterruptedException {
        int chunkLines = Math.min(Math.max(config.chunkLines(), 1), BronzeCopy.MAX_CHUNK_ROWS);
        LineSource lines = format == Format.CSV
                ? new CsvLines(decoded, config.maxLineBytes())
                : new NdjsonLines(decoded, config.maxLineBytes());
        Chunk chunk = new Chunk(from);
        try (BronzeCopy.Writer writer = copy.open(jobId); Landing landing = new Landing(writer, source)) {
            Line line;
            while ((line = lines.next()) != null) {
                if (line.number() <= from.lines()) {
                    continue;
                }
                take(jobId, source, archiveKey, line, chunk);
                if (chunk.rows.size() >= chunkLines || chunk.rejects.size() >= chunkLines) {
                    landing.land(chunk.handOff(body.count()));
                }
            }
            chunk.lastLine = Math.max(chunk.lastLine, lastLine(lines));
            landing.land(chunk.handOff(body.count()));
            landing.awaitLanded();
            return chunk.progress(body.count());
        }
    }

    private static long lastLine(LineSource lines) {
        return lines instanceof NdjsonLines ndjson ? ndjson.lines() : 0;
    }

    private void take(long jobId, String jobSource, String archiveKey, Line line, Chunk chunk) {
        chunk.lastLine = line.number();
        String source = jobSource;
        String headers = "{\"backfill_job\":\"" + jobId + "\",\"line\":\"" + line.number() + "\"}";
        byte[] json = line.json();
        EventDecoder.Format decodeAs = EventDecoder.Format.NATIVE;
        Map<String, String> eventHeaders = Map.of();
        Archived archived = null;
        if (archiveKey != null && json != null) {
            archived = archived(json);
            if (archived == null) {
                chunk.reject(new RejectedLine(null, null, source, null, headers,
                        json(List.of(new Violation("$", "not a bronze row of the archive (no payload or source)"))),
                        "malformed"));
                return;
            }
            json = archived.payload;
            source = archived.source;
            headers = archived.headers(jobId, line.number(), archiveKey);
            eventHeaders = archived.cloudEventHeaders();
            if (!eventHeaders.isEmpty()) {
                decodeAs = EventDecoder.Format.CLOUDEVENT_BINARY;
            }
        }
        if (json == null) {
            chunk.reject(new RejectedLine(null, null, source, null, headers,
                    json(List.of(new Violation("$", line.problem()))), "malformed"));
            return;
        }
        EventDecoder.Decoded decoded = decoder.decode(json, decodeAs, eventHeaders);
        if (decoded instanceof EventDecoder.Unreadable unreadable) {
            chunk.reject(new RejectedLine(null, null, source, null, headers,
                    json(List.of(new Violation("$", unreadable.detail()))), "malformed"));
            return;
        }
        if (decoded instanceof EventDecoder.TooLarge tooLarge) {
            chunk.reject(new RejectedLine(null, null, source, null, headers,
                    json(List.of(new Violation("$", tooLarge.detail()))), "malformed"));
            return;
        }
        List<DecodedEvent> events = ((EventDecoder.Events) decoded).events();
        if (events.size() != 1 || json[firstNonBlank(json)] == '[') {
            chunk.reject(new RejectedLine(null, null, source, null, headers,
                    json(List.of(new Violation("$", "a line must be one JSON object (one event)"))), "malformed"));
            return;
        }
        DecodedEvent event = events.get(0);
        List<Violation> violations = event.problem().map(List::of)
                .orElseGet(() -> validator.validate(event));
        if (!violations.isEmpty()) {
            String reason = event.problem().isPresent()
                    ? (event.storable() ? "malformed" : "unstorable")
                    : "invalid";
            String payload = event.storable() ? new String(event.payloadJson(), StandardCharsets.UTF_8) : null;
            chunk.reject(new RejectedLine(truncate(event.eventId()), truncate(event.eventType()), source, payload,
                    headers, json(violations), reason));
            return;
        }
        // an archived row keeps the hash of its payload as first received (jsonb reordered its keys since)
        String hash = archived != null && archived.payloadHash != null
                ? archived.payloadHash
                : PayloadHash.of(event.payloadJson());
        if (!chunk.keys.add(event.eventId() + ":" + hash)) {
            chunk.duplicates++;
            return;
        }
        chunk.rows.add(Row.of(event.eventId(), event.eventType(), source, event.payloadJson(), headers, hash));
    }

    /** Lands one handed-off chunk (on the landing thread), after the brake. */
    private void flush(BronzeCopy.Writer writer, String source, HandedOff chunk, List<Long> pending)
            throws SQLException, InterruptedException {
        if (!chunk.rows().isEmpty()) {
            brake(writer, pending);
        }
        long batchId = writer.land(chunk.rows(), chunk.rejects(), chunk.progress());
        if (batchId >= 0) {
            pending.add(batchId);
        }
        metrics.backfillLines(source, "accepted", chunk.rows().size());
        metrics.backfillLines(source, "rejected", chunk.rejects().size());
        metrics.received(Channel.FILE, source, chunk.rows().size(), chunk.duplicates(), chunk.rejects().size());
        Log.debugf("backfill of %s: chunk landed, %d lines so far", source, chunk.progress().lines());
    }

    /**
     * Lands the chunks of one run on a thread of its own, in order and one at a time, while the reading thread
     * decodes and validates the next chunk. The reader hands a chunk over only once the one before it has landed, so
     * at most two chunks are in memory, and a failed landing stops the reader at its next hand-over. The writer's
     * connection is used by the landing thread alone.
     */
    private final class Landing implements AutoCloseable {

        private final BronzeCopy.Writer writer;
        private final String source;
        private final List<Long> pending = new ArrayList<>();
        private final ExecutorService thread = Executors.newSingleThreadExecutor(runnable -> {
            Thread landing = new Thread(runnable, "sluice-backfill-copy");
            landing.setDaemon(true);
            return landing;
        });
        private Future<?> inFlight = CompletableFuture.completedFuture(null);

        Landing(BronzeCopy.Writer writer, String source) {
            this.writer = writer;
            this.source = source;
        }

        /** Waits for the chunk before this one to land (throwing its failure), then starts landing this one. */
        void land(HandedOff chunk) throws SQLException, InterruptedException {
            awaitLanded();
            inFlight = thread.submit(() -> {
                flush(writer, source, chunk, pending);
                return null;
            });
        }

        void awaitLanded() throws SQLException, InterruptedException {
            try {
                inFlight.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof SQLException sql) {
                    throw sql;
                }
                if (cause instanceof InterruptedException interrupted) {
                    throw interrupted;
                }
                if (cause instanceof RuntimeException runtime) {
                    throw runtime;
                }
                if (cause instanceof Error error) {
                    throw error;
                }
                throw new IllegalStateException(cause);
            }
        }

        /**
         * Lets a chunk still landing (the reader failed or was interrupted) commit or fail before the writer's
         * connection is closed; an interrupt stops the brake's wait, not a statement (those have their timeouts).
         */
        @Override
        public void close() {
            thread.shutdown();
            boolean interrupted = false;
            while (true) {
                try {
                    if (thread.awaitTermination(1, TimeUnit.MINUTES)) {
                        break;
                    }
                    Log.warnf("backfill of %s: still waiting for a chunk to land", source);
                } catch (InterruptedException e) {
                    interrupted = true;
                    thread.shutdownNow();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits while too many of this job's chunks are still waiting for promotion. */
    private void brake(BronzeCopy.Writer writer, List<Long> pending) throws SQLException, InterruptedException {
        int max = config.maxPendingChunks();
        if (max <= 0 || pending.size() < max) {
            return;
        }
        while (true) {
            List<Long> still = writer.pending(pending);
            pending.retainAll(still);
            if (pending.size() < max) {
                return;
            }
            Thread.sleep(BRAKE_POLL_MILLIS);
        }
    }

    /** One line of an archived object, taken apart: the payload's exact bytes, the source, the lineage. */
    private final class Archived {

        byte[] payload;
        String source;
        String id;
        String channel;
        String receivedAt;
        String payloadHash;
        JsonNode headers;

        /** The headers as received (text values), with the job's and the archived row's lineage beside them. */
        String headers(long jobId, long line, String archiveKey) {
            ObjectNode node = mapper.createObjectNode();
            if (headers != null && headers.isObject()) {
                headers.fields().forEachRemaining(field -> node.put(field.getKey(), field.getValue().isTextual()
                        ? field.getValue().asText()
                        : field.getValue().toString()));
            }
            node.put("backfill_job", Long.toString(jobId));
            node.put("line", Long.toString(line));
            node.put("archive", archiveKey);
            node.put("archived_id", id);
            node.put("archived_channel", channel);
            node.put("archived_received_at", receivedAt);
            return json(node);
        }

        /** The CloudEvent attribute headers of a binary-mode CloudEvent (Kafka), which the payload alone lacks. */
        Map<String, String> cloudEventHeaders() {
            if (headers == null || !headers.isObject()
                    || !headers.path(CloudEvents.HEADER_PREFIX + "specversion").isTextual()) {
                return Map.of();
            }
            Map<String, String> attributes = new LinkedHashMap<>();
            headers.fields().forEachRemaining(field -> {
                if (field.getValue().isTextual()) {
                    attributes.put(field.getKey(), field.getValue().asText());
                }
            });
            return attributes;
        }
    }

    /** Parses an archived bronze row, keeping the payload's bytes as they are; null when it is not one. */
    private Archived archived(byte[] line) {
        Archived archived = new Archived();
        try (JsonParser parser = mapper.getFactory().createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "payload" -> {
                        int start = (int) parser.currentTokenLocation().getByteOffset();
                        parser.skipChildren();
                        int end = (int) parser.currentLocation().getByteOffset();
                        archived.payload = java.util.Arrays.copyOfRange(line, start, end);
                    }
                    case "headers" -> archived.headers = mapper.readTree(parser);
                    case "source" -> archived.source = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "id" -> archived.id = parser.getText();
                    case "channel" -> archived.channel = parser.getText();
                    case "received_at" -> archived.receivedAt = parser.getText();
                    case "payload_hash" -> archived.payloadHash = value == JsonToken.VALUE_STRING
                            && HEX_SHA256.matcher(parser.getText()).matches() ? parser.getText() : null;
                    default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            return null;
        }
        return archived.payload == null || archived.source == null || archived.source.isEmpty() ? null : archived;
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write JSON", e);
        }
    }

    private static int firstNonBlank(byte[] json) {
        for (int i = 0; i < json.length; i++) {
            if (json[i] != ' ' && json[i] != '\t') {
                return i;
            }
        }
        return 0;
    }

    private static String truncate(String value) {
        return value == null || value.length() <= 256 ? value : value.substring(0, 256);
    }

    /** A chunk handed over for landing: its lines, the job's totals once it lands, the duplicates it skipped. */
    private record HandedOff(List<Row> rows, List<RejectedLine> rejects, Progress progress, long duplicates) {
    }

    /** The lines read since the last hand-over, and the totals of what was handed over before them. */
    private static final class Chunk {

        List<Row> rows = new ArrayList<>();
        List<RejectedLine> rejects = new ArrayList<>();
        final Set<String> keys = new HashSet<>();
        long accepted;
        long duplicates;
        long rejected;
        long lastLine;
        /** The duplicates already handed over (counted in sluice.events.received with their chunk). */
        long duplicatesHandedOff;

        Chunk(Progress from) {
            accepted = from.accepted();
            duplicates = from.duplicates();
            duplicatesHandedOff = duplicates;
            rejected = from.rejected();
            lastLine = from.lines();
        }

        void reject(RejectedLine line) {
            rejects.add(line);
        }

        Progress progress(long bytes) {
            return new Progress(lastLine, accepted + rows.size(), duplicates, rejected + rejects.size(), bytes);
        }

        /** What was read since the last hand-over, for landing; the next lines start a new chunk. */
        HandedOff handOff(long bytes) {
            HandedOff chunk = new HandedOff(rows, rejects, progress(bytes), duplicates - duplicatesHandedOff);
            accepted = chunk.progress().accepted();
            rejected = chunk.progress().rejected();
            duplicatesHandedOff = duplicates;
            rows = new ArrayList<>();
            rejects = new ArrayList<>();
            keys.clear();
            return chunk;
        }
    }
}
