package io.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Kafka;

/** One record on the input topic lands in bronze with its coordinates, then in silver. */
@QuarkusTest
class KafkaSkeletonTest {

    @Test
    void recordLandsInBronzeThenSilver() {
        String eventId = Events.freshId();

        Kafka.send(new ProducerRecord<>(Kafka.TOPIC, "user-1".getBytes(StandardCharsets.UTF_8),
                Events.productView(eventId, "SKU-K1", "12.00", "2026-11-20T09:00:00Z")
                        .getBytes(StandardCharsets.UTF_8)));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Db.rows(
                "SELECT channel, source, kafka_topic, kafka_offset FROM bronze.events WHERE event_id = ?", eventId))
                .singleElement().satisfies(row -> {
                    assertThat(row).containsEntry("channel", "kafka").containsEntry("source", Kafka.TOPIC)
                            .containsEntry("kafka_topic", Kafka.TOPIC);
                    assertThat(row.get("kafka_offset")).isNotNull();
                }));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(Db.rows(
                "SELECT sku, product_price::text AS price FROM silver.events WHERE event_id = ?", eventId))
                .singleElement().satisfies(row -> assertThat(row).containsEntry("sku", "SKU-K1")
                        .containsEntry("price", "12.00")));
    }
}
