package io.sluice.kafka;

import static io.sluice.kafka.KafkaChannelTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Kafka;
import io.sluice.support.KafkaTopics;
import io.sluice.support.Meters;

/**
 * Poison records between good ones on one partition: every good event lands, every unreadable record is on the
 * dead-letter topic with its original key, value and headers plus the four dead-letter headers, a readable but
 * invalid CloudEvent is in bronze.rejected_events, and the partition's offset is committed past all of them.
 */
@QuarkusTest
class PoisonRecordTest {

    private static final int PARTITION = 4;

    @Test
    void poisonRecordsGoToTheDeadLetterTopicAndNeverBlockThePartition() throws Exception {
        String key = "poison-" + UUID.randomUUID();
        List<String> good = List.of(Events.freshId(), Events.freshId(), Events.freshId(), Events.freshId());
        String badTimeId = Events.freshId();
        double deadBefore = Meters.sum(Meters.scrape(), "sluice_kafka_dead_letters_total");

        Map<String, ProducerRecord<byte[], byte[]>> poison = new LinkedHashMap<>();
        poison.put("not JSON", record(key, utf8("this is not json"), "trace-id", "t-1"));
        poison.put("not UTF-8", record(key, new byte[]{(byte) 0xC3, (byte) 0x28, (byte) 0xFF, '{', '}'}));
        poison.put("structured, not JSON", record(key, utf8("{\"specversion\":\"1.0\",\"id\":"), "content-type",
                "application/cloudevents+json"));
        poison.put("a JSON string", record(key, utf8("\"just a string\"")));
        poison.put("tombstone", record(key, null));

        List<ProducerRecord<byte[], byte[]>> sequence = new ArrayList<>();
        sequence.add(record(key, utf8(Events.pageView(good.get(0)))));
        sequence.add(poison.get("not JSON"));
        sequence.add(poison.get("not UTF-8"));
        sequence.add(record(key, utf8(Events.pageView(good.get(1)))));
        sequence.add(poison.get("structured, not JSON"));
        // readable but invalid: a binary-mode CloudEvent whose ce_time is not RFC 3339 -> rejected, not dead
        sequence.add(record(key, utf8("{\"anonymous_id\":\"a\",\"page\":{\"url\":\"https://shop.example/\"}}"),
                "ce_specversion", "1.0", "ce_id", badTimeId, "ce_type", "page_view", "ce_source", "not a uri",
                "ce_time", "yesterday"));
        sequence.add(poison.get("a JSON string"));
        sequence.add(record(key, utf8(Events.pageView(good.get(2)))));
        sequence.add(poison.get("tombstone"));
        sequence.add(record(key, utf8(Events.pageView(good.get(3)))));

        long last = -1;
        try (KafkaProducer<byte[], byte[]> producer = Kafka.producer()) {
            for (ProducerRecord<byte[], byte[]> record : sequence) {
                last = producer.send(record).get().offset();
            }
        }

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM bronze.events WHERE event_id = ANY(?)", (Object) good.toArray(String[]::new)))
                .isEqualTo(good.size()));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Db.rows(
                "SELECT reason, violations::text AS v FROM bronze.rejected_events WHERE event_id = ?", badTimeId))
                .singleElement().satisfies(row -> assertThat((String) row.get("v")).contains("occurred_at")));

        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTopics.read(Kafka.DLQ,
                record -> record.key() != null && key.equals(new String(record.key(), StandardCharsets.UTF_8)));
        assertThat(byOffsetOrder(dead)).hasSize(poison.size());
        List<ProducerRecord<byte[], byte[]>> expected = new ArrayList<>(poison.values());
        for (int i = 0; i < expected.size(); i++) {
            ConsumerRecord<byte[], byte[]> letter = byOffsetOrder(dead).get(i);
            ProducerRecord<byte[], byte[]> original = expected.get(i);
            assertThat(letter.value()).isEqualTo(original.value());
            assertThat(header(letter, "dead-letter-topic")).isEqualTo(Kafka.TOPIC);
            assertThat(header(letter, "dead-letter-partition")).isEqualTo(Integer.toString(PARTITION));
            assertThat(header(letter, "dead-letter-reason")).isNotBlank();
            for (Header h : original.headers()) {
                assertThat(letter.headers().lastHeader(h.key()).value()).isEqualTo(h.value());
            }
        }
        assertThat(header(byOffsetOrder(dead).get(0), "dead-letter-reason")).contains("not valid JSON");
        assertThat(header(byOffsetOrder(dead).get(4), "dead-letter-reason")).contains("empty");

        long committedAtLeast = last + 1;
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                KafkaTopics.committed(KafkaTopics.TEST_GROUP, Kafka.TOPIC).getOrDefault(PARTITION, 0L))
                .isGreaterThanOrEqualTo(committedAtLeast));
        assertThat(Meters.sum(Meters.scrape(), "sluice_kafka_dead_letters_total") - deadBefore)
                .isGreaterThanOrEqualTo(poison.size());
    }

    /**
     * A binary header with NUL bytes (Spring Kafka's type headers look like this) used to be kept as text, refused by
     * jsonb (22P05), and retried for ever: the partition stopped. Now it is kept in base64 and the records behind it
     * land.
     */
    @Test
    void aBinaryHeaderWithNulBytesNeverStopsThePartition() throws Exception {
        String key = "nul-header-" + UUID.randomUUID();
        String withHeader = Events.freshId(), behind = Events.freshId();
        ProducerRecord<byte[], byte[]> binary = record(key, utf8(Events.pageView(withHeader)));
        binary.headers().add(new RecordHeader("__typeid__", new byte[]{0, 0, 0, 3}));
        try (KafkaProducer<byte[], byte[]> producer = Kafka.producer()) {
            producer.send(binary).get();
            producer.send(record(key, utf8(Events.pageView(behind)))).get();
        }

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Db.count(
                "SELECT count(*) FROM bronze.events WHERE event_id IN (?, ?)", withHeader, behind)).isEqualTo(2));
        assertThat(Db.rows("SELECT headers->>'__typeid__' AS h FROM bronze.events WHERE event_id = ?", withHeader))
                .singleElement().satisfies(row -> assertThat(row).containsEntry("h", "base64:AAAAAw=="));
    }

    /** One letter per original offset (at-least-once may send one twice), in the partition's order. */
    private static List<ConsumerRecord<byte[], byte[]>> byOffsetOrder(List<ConsumerRecord<byte[], byte[]>> dead) {
        Map<Long, ConsumerRecord<byte[], byte[]>> byOffset = new java.util.TreeMap<>();
        dead.forEach(record -> byOffset.putIfAbsent(Long.parseLong(header(record, "dead-letter-offset")), record));
        return List.copyOf(byOffset.values());
    }

    private static ProducerRecord<byte[], byte[]> record(String key, byte[] value, String... headers) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(Kafka.TOPIC, PARTITION, utf8(key), value);
        for (int i = 0; i < headers.length; i += 2) {
            record.headers().add(new RecordHeader(headers[i], utf8(headers[i + 1])));
        }
        return record;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
