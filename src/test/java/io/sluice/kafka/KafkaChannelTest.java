package io.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Kafka;
import io.sluice.support.KafkaTopics;
import io.sluice.support.Kcat;
import io.sluice.support.Meters;

/**
 * The Kafka contract (SPEC.md section 5) against the real broker and PostgreSQL: the three formats, produced by kcat
 * and by a Java producer; duplicates; readable but invalid events in bronze.rejected_events; and that the committed
 * offsets follow the writes.
 */
@QuarkusTest
class KafkaChannelTest {

    private static final Duration LANDING = Duration.ofSeconds(60);

    @Test
    void nativeEventsFromKcatLandInBronzeAndSilverAndTheirOffsetsAreCommitted() {
        List<String> ids = List.of(Events.freshId(), Events.freshId(), Events.freshId());
        List<String> lines = ids.stream().map(id -> Events.pageView(id).replace("\n", "")).toList();

        Kcat.produce(Kafka.TOPIC, 1, "user-" + UUID.randomUUID(), Map.of(), lines);

        await().atMost(LANDING).untilAsserted(() -> assertThat(Db.rows(
                "SELECT event_id, channel, source, kafka_partition FROM bronze.events WHERE event_id = ANY(?)"
                        + " ORDER BY kafka_offset",
                (Object) ids.toArray(String[]::new)))
                .extracting(row -> row.get("event_id"), row -> row.get("channel"), row -> row.get("kafka_partition"))
                .containsExactly(ids.stream().map(id -> org.assertj.core.groups.Tuple.tuple(id, "kafka", 1))
                        .toArray(org.assertj.core.groups.Tuple[]::new)));
        await().atMost(LANDING).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM silver.events WHERE event_id = ANY(?)", (Object) ids.toArray(String[]::new)))
                .isEqualTo(3));
        Map<Integer, Long> end = KafkaTopics.endOffsets(Kafka.TOPIC, 6);
        await().atMost(LANDING).untilAsserted(() -> assertThat(
                KafkaTopics.committed(KafkaTopics.TEST_GROUP, Kafka.TOPIC).getOrDefault(1, 0L))
                .isGreaterThanOrEqualTo(end.get(1)));
    }

    @Test
    void aBinaryModeCloudEventFromKcatIsMappedFromItsCeHeaders() {
        String id = Events.freshId();
        String data = """
                {"anonymous_id":"anon-ce","page":{"url":"https://shop.example/ce"}}""";

        Kcat.produce(Kafka.TOPIC, -1, id, Map.of("ce_specversion", "1.0", "ce_id", id,
                "ce_type", "com.example.page_view", "ce_source", "/storefront",
                "ce_time", "2026-11-20T10:00:00Z", "content-type", "application/json"), List.of(data));

        await().atMost(LANDING).untilAsserted(() -> assertThat(Db.rows(
                "SELECT event_type, payload->>'anonymous_id' AS anon, headers->>'ce_source' AS ce_source"
                        + " FROM bronze.events WHERE event_id = ?",
                id)).singleElement().satisfies(row -> assertThat(row).containsEntry("event_type", "page_view")
                        .containsEntry("anon", "anon-ce").containsEntry("ce_source", "/storefront")));
        await().atMost(LANDING).untilAsserted(() -> assertThat(Db.rows(
                "SELECT event_type, page_url FROM silver.events WHERE event_id = ?", id))
                .singleElement().satisfies(row -> assertThat(row).containsEntry("event_type", "page_view")
                        .containsEntry("page_url", "https://shop.example/ce")));
    }

    @Test
    void aStructuredCloudEventIsMappedFromItsEnvelope() {
        String id = Events.freshId();
        String event = """
                {"specversion":"1.0","id":"%s","type":"com.example.add_to_cart","source":"/cart",
                 "time":"2026-11-20T12:00:00+01:00","datacontenttype":"application/json",
                 "data":{"user_id":"user-ce","quantity":2,
                         "product":{"sku":"SKU-CE","price":4.50,"currency":"EUR"}}}""".formatted(id);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(Kafka.TOPIC, utf8(id), utf8(event));
        record.headers().add(new RecordHeader("content-type", utf8("application/cloudevents+json; charset=UTF-8")));

        Kafka.send(record);

        await().atMost(LANDING).untilAsserted(() -> assertThat(Db.rows(
                "SELECT event_type, user_id, sku, quantity FROM silver.events WHERE event_id = ?", id))
                .singleElement().satisfies(row -> assertThat(row).containsEntry("event_type", "add_to_cart")
                        .containsEntry("user_id", "user-ce").containsEntry("sku", "SKU-CE")
                        .containsEntry("quantity", 2)));
        assertThat(Db.rows("SELECT payload->>'specversion' AS v FROM bronze.events WHERE event_id = ?", id))
                .singleElement().satisfies(row -> assertThat(row).containsEntry("v", "1.0"));
    }

    @Test
    void duplicatesAcrossPartitionsAndWithinOneBatchGiveOneRow() throws Exception {
        String id = Events.freshId();
        byte[] value = utf8(Events.purchase(id, "SKU-DUP", 2, "3.00"));
        List<Future<RecordMetadata>> sent = new ArrayList<>();

        try (KafkaProducer<byte[], byte[]> producer = Kafka.producer()) {
            // three copies in a row on partition 0 (one poll, one batch), one each on partitions 3 and 5
            for (int partition : new int[]{0, 0, 0, 3, 5}) {
                sent.add(producer.send(new ProducerRecord<>(Kafka.TOPIC, partition, utf8(id), value)));
            }
            for (Future<RecordMetadata> future : sent) {
                future.get();
            }
        }

        await().atMost(LANDING).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM silver.events WHERE event_id = ?", id)).isEqualTo(1));
        // bronze keeps each delivery (the copies inside one polled batch land once); silver and gold count it once
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", id)).isBetween(1L, 5L);
        assertThat(Db.count("SELECT count(*) FROM silver.order_items WHERE event_id = ?", id)).isEqualTo(1);
        await().atMost(LANDING).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM gold.fact_order_line WHERE event_id = ?", id)).isEqualTo(1));
        Map<Integer, Long> end = KafkaTopics.endOffsets(Kafka.TOPIC, 6);
        await().atMost(LANDING).untilAsserted(() -> {
            Map<Integer, Long> committed = KafkaTopics.committed(KafkaTopics.TEST_GROUP, Kafka.TOPIC);
            for (int partition : new int[]{0, 3, 5}) {
                assertThat(committed.getOrDefault(partition, 0L)).isGreaterThanOrEqualTo(end.get(partition));
            }
        });
    }

    @Test
    void aReadableButInvalidEventIsStoredWithItsViolations() {
        String id = Events.freshId();
        String noUser = """
                {"event_id":"%s","event_type":"add_to_cart","occurred_at":"2026-11-20T10:00:00Z",
                 "product":{"sku":"SKU-X"},"quantity":0}""".formatted(id).replace("\n", "");

        Kcat.produce(Kafka.TOPIC, 2, id, Map.of(), List.of(noUser));

        await().atMost(LANDING).untilAsserted(() -> assertThat(Db.rows(
                "SELECT channel, source, reason, violations::text AS violations FROM bronze.rejected_events"
                        + " WHERE event_id = ?",
                id)).singleElement().satisfies(row -> {
                    assertThat(row).containsEntry("channel", "kafka").containsEntry("source", Kafka.TOPIC)
                            .containsEntry("reason", "invalid");
                    assertThat((String) row.get("violations")).contains("quantity").contains("user_id");
                }));
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", id)).isZero();
    }

    @Test
    void kafkaMetersAreScraped() {
        String id = Events.freshId();
        Kafka.send(new ProducerRecord<>(Kafka.TOPIC, utf8(id), utf8(Events.pageView(id))));

        await().atMost(LANDING).untilAsserted(() -> {
            String metrics = Meters.scrape();
            assertThat(Meters.sum(metrics, "sluice_kafka_records_consumed_total",
                    "topic=\"" + Kafka.TOPIC + "\"")).isPositive();
            assertThat(Meters.sum(metrics, "sluice_events_received_total", "channel=\"kafka\"",
                    "outcome=\"accepted\"")).isPositive();
            assertThat(metrics).contains("sluice_kafka_dead_letters_total")
                    .containsPattern("sluice_kafka_retries_total\\{stage=\"bronze\",?\\}");
            // consumer lag per partition, from the Kafka client's own meters
            assertThat(metrics.lines().filter(line -> line.startsWith("kafka_consumer_fetch_manager_records_lag{"))
                    .filter(line -> line.contains("topic=\"" + Kafka.TOPIC + "\""))
                    .filter(line -> line.contains("partition=\"")))
                    .isNotEmpty();
        });
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
