package io.sluice.kafka;

import static io.restassured.RestAssured.given;
import static io.sluice.kafka.KafkaChannelTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Kafka;
import io.sluice.support.KafkaTopics;
import io.sluice.support.Meters;
import io.sluice.support.ProxiedDatabaseProfile;
import io.sluice.support.TcpProxy;

/**
 * PostgreSQL goes away (for this instance only, through {@link TcpProxy}) while records keep arriving: Sluice reads
 * them, retries the write with backoff, commits nothing and dead-letters nothing. When PostgreSQL is back every
 * record lands, the offsets are committed, and the channel never failed (readiness is UP, no restart).
 */
@QuarkusTest
@TestProfile(ProxiedDatabaseProfile.class)
class DatabaseOutageTest {

    private static final int PER_WAVE = 60;

    @Test
    void aDatabaseOutagePausesConsumptionWithoutCommitsOrDeadLettersThenEverythingLands() throws Exception {
        String key = "outage-" + UUID.randomUUID();
        List<String> ids = new ArrayList<>();
        // settle: this instance owns the group and has committed everything before the outage
        String warmup = Events.freshId();
        Kafka.send(new ProducerRecord<>(Kafka.TOPIC, utf8(key), utf8(Events.pageView(warmup))));
        await().atMost(Duration.ofSeconds(60)).until(() -> Db.count(
                "SELECT count(*) FROM bronze.events WHERE event_id = ?", warmup) == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> allCommitted());
        Map<Integer, Long> committedBefore = KafkaTopics.committed(KafkaTopics.TEST_GROUP, Kafka.TOPIC);
        String metrics = Meters.scrape();
        double consumedBefore = consumed(metrics);
        double retriesBefore = retries(metrics);

        TcpProxy.postgres().cut();
        try {
            ids.addAll(produceWave(key));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                String now = Meters.scrape();
                assertThat(consumed(now)).as("records read while the database is down")
                        .isGreaterThan(consumedBefore);
                assertThat(retries(now)).as("bronze write retries").isGreaterThan(retriesBefore);
            });
            ids.addAll(produceWave(key));
            // for a while (several backoff rounds): no commit moves, nothing lands, nothing is dead-lettered
            await().during(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
                assertThat(KafkaTopics.committed(KafkaTopics.TEST_GROUP, Kafka.TOPIC)).isEqualTo(committedBefore);
                assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ANY(?)",
                        (Object) ids.toArray(String[]::new))).isZero();
            });
            assertThat(deadLetters(key)).isEmpty();
        } finally {
            TcpProxy.postgres().restore();
        }

        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM bronze.events WHERE event_id = ANY(?)", (Object) ids.toArray(String[]::new)))
                .isEqualTo(ids.size()));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM silver.events WHERE event_id = ANY(?)", (Object) ids.toArray(String[]::new)))
                .isEqualTo(ids.size()));
        await().atMost(Duration.ofSeconds(30)).until(DatabaseOutageTest::allCommitted);
        assertThat(deadLetters(key)).isEmpty();
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
    }

    private static List<String> produceWave(String key) throws Exception {
        List<String> ids = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = Kafka.producer()) {
            for (int i = 0; i < PER_WAVE; i++) {
                String id = Events.freshId();
                ids.add(id);
                producer.send(new ProducerRecord<>(Kafka.TOPIC, i % 6, utf8(key), utf8(Events.pageView(id))));
            }
            producer.flush();
        }
        return ids;
    }

    private static boolean allCommitted() {
        Map<Integer, Long> end = KafkaTopics.endOffsets(Kafka.TOPIC, 6);
        Map<Integer, Long> committed = KafkaTopics.committed(KafkaTopics.TEST_GROUP, Kafka.TOPIC);
        return end.entrySet().stream().allMatch(e -> committed.getOrDefault(e.getKey(), 0L) >= e.getValue());
    }

    private static List<?> deadLetters(String key) {
        return KafkaTopics.read(Kafka.DLQ, record -> record.key() != null
                && key.equals(new String(record.key(), StandardCharsets.UTF_8)));
    }

    private static double consumed(String metrics) {
        return Meters.sum(metrics, "sluice_kafka_records_consumed_total", "topic=\"" + Kafka.TOPIC + "\"");
    }

    private static double retries(String metrics) {
        return Meters.sum(metrics, "sluice_kafka_retries_total", "stage=\"bronze\"");
    }
}
