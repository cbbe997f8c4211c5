package io.sluice.bronze;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Lands requests in bronze with one statement: it claims their webhook deliveries (storing the answer), inserts the
 * events of the requests whose delivery was claimed into bronze.events with block ids (one
 * {@code bronze.landing_batch_seq} value per statement, id = batch * 65536 + ordinal), their rejects into
 * bronze.rejected_events, and one work item per statement into bronze.promotion_batches (migration V8). Run on the
 * pool, the statement is its own transaction: one round trip for any number of requests (group commit).
 */
@ApplicationScoped
public class BronzeWriter {

    /** Channel of the promoters' LISTEN; see {@code promotion/Promoter}. */
    public static final String NOTIFY_CHANNEL = "sluice_bronze";

    /** Rows one statement may hold: the ordinal part of a block id. */
    public static final int MAX_ROWS_PER_STATEMENT = 65_535;

    private static final String LAND = """
            WITH batch AS MATERIALIZED (
                SELECT nextval('bronze.landing_batch_seq') AS batch_id, now() AS received_at
            ), delivery AS (
                SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[])
                    AS d(req, partner, webhook_id, status, response)
            ), claimed AS (
                INSERT INTO bronze.webhook_deliveries (partner, webhook_id, received_at, status, response)
                SELECT d.partner, d.webhook_id, b.received_at, d.status, d.response::jsonb FROM delivery d, batch b
                ORDER BY d.partner, d.webhook_id
                ON CONFLICT DO NOTHING
                RETURNING partner, webhook_id
            ), refused AS MATERIALIZED (
                SELECT d.req FROM delivery d
                WHERE NOT EXISTS (SELECT 1 FROM claimed c WHERE c.partner = d.partner AND c.webhook_id = d.webhook_id)
            ), landed AS (
                INSERT INTO bronze.events (id, event_id, event_type, channel, source, received_at, payload, headers,
                                           payload_hash, kafka_topic, kafka_partition, kafka_offset)
                SELECT b.batch_id * 65536 + r.ord - 1, r.event_id, r.event_type, r.channel, r.source, b.received_at,
                       r.payload::jsonb, r.headers::jsonb, decode(r.payload_hash, 'hex'), r.kafka_topic,
                       r.kafka_partition, r.kafka_offset
                FROM batch b,
                     unnest($6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                            $13::text[], $14::text[], $15::int[], $16::bigint[]) WITH ORDINALITY
                         AS r(req, event_id, event_type, channel, source, payload, headers, payload_hash, kafka_topic,
                              kafka_partition, kafka_offset, ord)
                WHERE r.req NOT IN (SELECT req FROM refused)
                RETURNING 1
            ), rejected AS (
                INSERT INTO bronze.rejected_events (event_id, event_type, channel, source, received_at, payload, headers,
                                                    violations, reason)
                SELECT x.event_id, x.event_type, x.channel, x.source, b.received_at, x.payload::jsonb, x.headers::jsonb,
                       x.violations::jsonb, x.reason
                FROM batch b,
                     unnest($17::int[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[],
                            $24::text[], $25::text[])
                         AS x(req, event_id, event_type, channel, source, payload, headers, violations, reason)
                WHERE x.req NOT IN (SELECT req FROM refused)
                RETURNING 1
            ), queued AS (
                INSERT INTO bronze.promotion_batches (batch_id, received_at, events)
                SELECT b.batch_id, b.received_at, n.events FROM batch b, (SELECT count(*) AS events FROM landed) n
                WHERE n.events > 0
                RETURNING events
            )
            SELECT coalesce((SELECT array_agg(req) FROM refused), '{}') AS refused,
                   coalesce((SELECT events FROM queued), 0) AS landed, (SELECT count(*) FROM rejected) AS rejected
            """;

    /** The casts bronze applies to a row's text, alone: fails exactly when PostgreSQL cannot store the values. */
    private static final String PROBE = "SELECT $1::text::jsonb IS NOT NULL, $2::text::jsonb IS NOT NULL";

    /** A webhook delivery to claim, with the answer it gets; a later delivery with the same id gets that answer. */
    public record Delivery(String partner, String webhookId, int status, String response) {
    }

    /** What one request (or Kafka batch) lands, all or nothing: its events, its rejects, its delivery if any. */
    public record Request(List<BronzeRow> rows, List<RejectedRow> rejects, Optional<Delivery> delivery) {

        int size() {
            return rows.size() + rejects.size();
        }
    }

    /**
     * Lands requests as one unit and returns the positions of those that were refused because their delivery had
     * been claimed before (a redelivery: nothing of theirs is stored). On the pool the unit is the statement's own
     * transaction; on a connection inside a transaction, the caller's.
     */
    public Uni<Set<Integer>> land(SqlClient client, List<Request> requests) {
        int rows = requests.stream().mapToInt(Request::size).sum();
        if (rows <= MAX_ROWS_PER_STATEMENT) {
            return statement(client, requests);
        }
        if (client instanceof Pool pool) {
            return pool.withTransaction(connection -> chunked(connection, requests));
        }
        return chunked(client, requests);
    }

    /** More rows than one block holds: one statement per chunk that fits, in the caller's transaction. */
    private Uni<Set<Integer>> chunked(SqlClient client, List<Request> requests) {
        Uni<Set<Integer>> chain = Uni.createFrom().item(new HashSet<>());
        List<Request> chunk = new ArrayList<>();
        List<Integer> origins = new ArrayList<>();
        int rows = 0;
        for (int i = 0; i < requests.size(); i++) {
            for (Request part : split(requests.get(i))) {
                if (rows + part.size() > MAX_ROWS_PER_STATEMENT && !chunk.isEmpty()) {
                    chain = append(chain, client, List.copyOf(chunk), List.copyOf(origins));
                    chunk.clear();
                    origins.clear();
                    rows = 0;
                }
                chunk.add(part);
                origins.add(i);
                rows += part.size();
            }
        }
        return append(chain, client, List.copyOf(chunk), List.copyOf(origins));
    }

    /** Chains one chunk's statement; its positions are mapped back to the requests they came from. */
    private Uni<Set<Integer>> append(Uni<Set<Integer>> chain, SqlClient client, List<Request> chunk,
            List<Integer> origins) {
        return chain.chain(refused -> statement(client, chunk).map(more -> {
            more.forEach(position -> refused.add(origins.get(position)));
            return refused;
        }));
    }

    /** A request over one block (only a Kafka batch can be, and it has no delivery) in parts that fit. */
    private static List<Request> split(Request request) {
        if (request.size() <= MAX_ROWS_PER_STATEMENT) {
            return List.of(request);
        }
        List<Request> parts = new ArrayList<>();
        List<BronzeRow> rows = request.rows();
        for (int from = 0; from < rows.size(); from += MAX_ROWS_PER_STATEMENT) {
            parts.add(new Request(rows.subList(from, Math.min(rows.size(), from + MAX_ROWS_PER_STATEMENT)), List.of(),
                    Optional.empty()));
        }
        List<RejectedRow> rejects = request.rejects();
        for (int from = 0; from < rejects.size(); from += MAX_ROWS_PER_STATEMENT) {
            parts.add(new Request(List.of(),
                    rejects.subList(from, Math.min(rejects.size(), from + MAX_ROWS_PER_STATEMENT)), Optional.empty()));
        }
        return parts;
    }

    /** One statement; returns the positions (in {@code requests}) of the refused requests. */
    private Uni<Set<Integer>> statement(SqlClient client, List<Request> requests) {
        Columns c = new Columns(requests);
        Tuple params = Tuple.tuple()
                .addArrayOfInteger(c.deliveryReq).addArrayOfString(c.partners).addArrayOfString(c.webhookIds)
                .addArrayOfInteger(c.statuses).addArrayOfString(c.responses)
                .addArrayOfInteger(c.rowReq).addArrayOfString(c.eventIds).addArrayOfString(c.types)
                .addArrayOfString(c.channels).addArrayOfString(c.sources).addArrayOfString(c.payloads)
                .addArrayOfString(c.headers).addArrayOfString(c.hashes).addArrayOfString(c.topics)
                .addArrayOfInteger(c.partitions).addArrayOfLong(c.offsets)
                .addArrayOfInteger(c.rejectReq).addArrayOfString(c.rejectIds).addArrayOfString(c.rejectTypes)
                .addArrayOfString(c.rejectChannels).addArrayOfString(c.rejectSources)
                .addArrayOfString(c.rejectPayloads).addArrayOfString(c.rejectHeaders)
                .addArrayOfString(c.violations).addArrayOfString(c.reasons);
        return client.preparedQuery(LAND).execute(params).map(rows -> {
            Set<Integer> refused = new HashSet<>();
            for (Integer req : rows.iterator().next().getArrayOfIntegers("refused")) {
                refused.add(req);
            }
            return refused;
        });
    }

    /**
     * Whether PostgreSQL can store a row's payload and headers (each may be null): the casts alone, writing nothing.
     * Fails only for other reasons than the values (the connection, a timeout).
     */
    public Uni<Boolean> storable(SqlClient client, String payloadJson, String headersJson) {
        return client.preparedQuery(PROBE).execute(Tuple.of(payloadJson, headersJson))
                .replaceWith(true)
                .onFailure(DatabaseFailures::isDataException).recoverWithItem(false);
    }

    /** The statement's parameters, column by column. */
    private static final class Columns {

        final Integer[] deliveryReq, statuses, rowReq, partitions, rejectReq;
        final String[] partners, webhookIds, responses, eventIds, types, channels, sources, payloads, headers, hashes,
                topics, rejectIds, rejectTypes, rejectChannels, rejectSources, rejectPayloads, rejectHeaders,
                violations, reasons;
        final Long[] offsets;

        Columns(List<Request> requests) {
            int deliveries = 0, rows = 0, rejects = 0;
            for (Request request : requests) {
                deliveries += request.delivery().isPresent() ? 1 : 0;
                rows += request.rows().size();
                rejects += request.rejects().size();
            }
            deliveryReq = new Integer[deliveries];
            statuses = new Integer[deliveries];
            partners = new String[deliveries];
            webhookIds = new String[deliveries];
            responses = new String[deliveries];
            rowReq = new Integer[rows];
            partitions = new Integer[rows];
            offsets = new Long[rows];
            eventIds = new String[rows];
            types = new String[rows];
            channels = new String[rows];
            sources = new String[rows];
            payloads = new String[rows];
            headers = new String[rows];
            hashes = new String[rows];
            topics = new String[rows];
            rejectReq = new Integer[rejects];
            rejectIds = new String[rejects];
            rejectTypes = new String[rejects];
            rejectChannels = new String[rejects];
            rejectSources = new String[rejects];
            rejectPayloads = new String[rejects];
            rejectHeaders = new String[rejects];
            violations = new String[rejects];
            reasons = new String[rejects];
            int d = 0, r = 0, x = 0;
            for (int req = 0; req < requests.size(); req++) {
                Request request = requests.get(req);
                if (request.delivery().isPresent()) {
                    Delivery delivery = request.delivery().get();
                    deliveryReq[d] = req;
                    partners[d] = delivery.partner();
                    webhookIds[d] = delivery.webhookId();
                    statuses[d] = delivery.status();
                    responses[d++] = delivery.response();
                }
                for (BronzeRow row : request.rows()) {
                    rowReq[r] = req;
                    eventIds[r] = row.eventId();
                    types[r] = row.eventType();
                    channels[r] = row.channel();
                    sources[r] = row.source();
                    payloads[r] = row.payloadJson();
                    headers[r] = row.headersJson();
                    hashes[r] = row.payloadHash();
                    topics[r] = row.kafkaTopic();
                    partitions[r] = row.kafkaPartition();
                    offsets[r++] = row.kafkaOffset();
                }
                for (RejectedRow reject : request.rejects()) {
                    rejectReq[x] = req;
                    rejectIds[x] = reject.eventId();
                    rejectTypes[x] = reject.eventType();
                    rejectChannels[x] = reject.channel();
                    rejectSources[x] = reject.source();
                    rejectPayloads[x] = reject.payloadJson();
                    rejectHeaders[x] = reject.headersJson();
                    violations[x] = reject.violationsJson();
                    reasons[x++] = reject.reason();
                }
            }
        }
    }
}
