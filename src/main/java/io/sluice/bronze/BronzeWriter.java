package io.sluice.bronze;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * Lands events in bronze with one statement per batch: it records each (event_id, payload hash) pair in
 * bronze.seen_events, inserts the pairs not seen before into bronze.events and their work items into
 * bronze.promotion_queue, and wakes the promoters. The caller owns the transaction.
 */
@ApplicationScoped
public class BronzeWriter {

    public static final String NOTIFY_CHANNEL = "sluice_bronze";

    private static final String LAND = """
            WITH input AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                     $7::text[], $8::text[], $9::int[], $10::bigint[], $11::int[])
                    AS t(event_id, event_type, channel, source, payload, headers, payload_hash,
                         kafka_topic, kafka_partition, kafka_offset, ord)
            ), fresh AS (
                INSERT INTO bronze.seen_events (event_id, payload_hash)
                SELECT event_id, decode(payload_hash, 'hex') FROM input
                ON CONFLICT DO NOTHING
                RETURNING event_id, payload_hash
            ), landed AS (
                INSERT INTO bronze.events (event_id, event_type, channel, source, payload, headers, payload_hash,
                                           kafka_topic, kafka_partition, kafka_offset)
                SELECT i.event_id, i.event_type, i.channel, i.source, i.payload::jsonb, i.headers::jsonb,
                       f.payload_hash, i.kafka_topic, i.kafka_partition, i.kafka_offset
                FROM input i JOIN fresh f ON f.event_id = i.event_id AND f.payload_hash = decode(i.payload_hash, 'hex')
                ORDER BY i.ord
                RETURNING id, received_at, event_id, payload_hash
            ), queued AS (
                INSERT INTO bronze.promotion_queue (bronze_id, received_at, event_id)
                SELECT id, received_at, event_id FROM landed
            )
            SELECT event_id, encode(payload_hash, 'hex') AS payload_hash FROM landed
            """;

    private static final String REJECT = """
            INSERT INTO bronze.rejected_events (event_id, event_type, channel, source, payload, headers, violations, reason)
            SELECT event_id, event_type, channel, source, payload::jsonb, headers::jsonb, violations::jsonb, reason
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                AS t(event_id, event_type, channel, source, payload, headers, violations, reason)
            """;

    /**
     * Lands rows that must be distinct by (eventId, payloadHash) and returns the keys that were new
     * ({@code eventId + ':' + payloadHash}); the others were delivered before.
     */
    public Uni<Set<String>> land(SqlConnection connection, List<BronzeRow> rows) {
        if (rows.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        int n = rows.size();
        String[] eventIds = new String[n], types = new String[n], channels = new String[n], sources = new String[n],
                payloads = new String[n], headers = new String[n], hashes = new String[n], topics = new String[n];
        Integer[] partitions = new Integer[n], ords = new Integer[n];
        Long[] offsets = new Long[n];
        for (int i = 0; i < n; i++) {
            BronzeRow row = rows.get(i);
            eventIds[i] = row.eventId();
            types[i] = row.eventType();
            channels[i] = row.channel();
            sources[i] = row.source();
            payloads[i] = row.payloadJson();
            headers[i] = row.headersJson();
            hashes[i] = row.payloadHash();
            topics[i] = row.kafkaTopic();
            partitions[i] = row.kafkaPartition();
            offsets[i] = row.kafkaOffset();
            ords[i] = i;
        }
        Tuple params = Tuple.tuple()
                .addArrayOfString(eventIds).addArrayOfString(types).addArrayOfString(channels)
                .addArrayOfString(sources).addArrayOfString(payloads).addArrayOfString(headers)
                .addArrayOfString(hashes).addArrayOfString(topics).addArrayOfInteger(partitions)
                .addArrayOfLong(offsets).addArrayOfInteger(ords);
        return connection.preparedQuery(LAND).execute(params)
                .call(landed -> landed.size() > 0 ? notifyPromoters(connection) : Uni.createFrom().voidItem())
                .map(landed -> {
                    Set<String> fresh = new HashSet<>();
                    for (Row row : landed) {
                        fresh.add(row.getString("event_id") + ":" + row.getString("payload_hash"));
                    }
                    return fresh;
                });
    }

    /** Stores readable but invalid events with their violations. */
    public Uni<Void> reject(SqlConnection connection, List<RejectedRow> rows) {
        if (rows.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        int n = rows.size();
        String[] eventIds = new String[n], types = new String[n], channels = new String[n], sources = new String[n],
                payloads = new String[n], headers = new String[n], violations = new String[n], reasons = new String[n];
        for (int i = 0; i < n; i++) {
            RejectedRow row = rows.get(i);
            eventIds[i] = row.eventId();
            types[i] = row.eventType();
            channels[i] = row.channel();
            sources[i] = row.source();
            payloads[i] = row.payloadJson();
            headers[i] = row.headersJson();
            violations[i] = row.violationsJson();
            reasons[i] = row.reason();
        }
        Tuple params = Tuple.tuple()
                .addArrayOfString(eventIds).addArrayOfString(types).addArrayOfString(channels)
                .addArrayOfString(sources).addArrayOfString(payloads).addArrayOfString(headers)
                .addArrayOfString(violations).addArrayOfString(reasons);
        return connection.preparedQuery(REJECT).execute(params).replaceWithVoid();
    }

    private Uni<Void> notifyPromoters(SqlConnection connection) {
        return connection.query("SELECT pg_notify('" + NOTIFY_CHANNEL + "', '')").execute().replaceWithVoid();
    }
}
