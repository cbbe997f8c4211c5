package io.sluice.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Kafka;
import io.sluice.support.KafkaTopics;
import io.sluice.support.Kcat;
import io.sluice.support.Meters;
import io.sluice.support.SluiceProcess;

/**
 * Two real Sluice processes (the packaged jar, twice) in one consumer group on a topic of six partitions: they divide
 * the partitions between them, both consume, and together land every event exactly once in bronze and silver, with
 * duplicates spread over partitions that the two instances own.
 */
class TwoInstancesIT {

    private static final int PARTITIONS = 6;
    private static final int EVENTS = 600;

    @Test
    void twoInstancesInOneGroupDivideThePartitionsAndLandEveryEventOnce() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String topic = "sluice.test.kafka.pair." + suffix;
        String group = "sluice-test-kafka-pair-" + suffix;
        Kafka.createTopic(topic, PARTITIONS);
        Map<String, String> environment = Map.of("SLUICE_KAFKA_TEST_TOPICS", topic,
                "SLUICE_KAFKA_TEST_GROUP", group, "SLUICE_KAFKA_CONCURRENCY", "3");
        try (SluiceProcess first = SluiceProcess.start("sluice-pair-1-" + suffix, environment);
                SluiceProcess second = SluiceProcess.start("sluice-pair-2-" + suffix, environment)) {
            // three consumers per instance: six members, one partition each, once the group has settled
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                ConsumerGroupDescription description = KafkaTopics.group(group);
                assertThat(description.members()).hasSize(6);
                assertThat(description.members()).map(MemberDescription::assignment)
                        .allSatisfy(assignment -> assertThat(assignment.topicPartitions()).hasSize(1));
            });

            List<String> ids = new ArrayList<>();
            List<String> keyed = new ArrayList<>();
            for (int i = 0; i < EVENTS; i++) {
                String id = Events.freshId();
                ids.add(id);
                keyed.add(id + "\t" + Events.pageView(id).replace("\n", ""));
            }
            Kcat.produceKeyed(topic, keyed);
            // every tenth event again, on each other partition: a duplicate reaches both instances
            try (KafkaProducer<byte[], byte[]> producer = Kafka.producer()) {
                for (int i = 0; i < EVENTS; i += 10) {
                    byte[] value = Events.pageView(ids.get(i)).getBytes(StandardCharsets.UTF_8);
                    for (int partition = 0; partition < PARTITIONS; partition++) {
                        producer.send(new ProducerRecord<>(topic, partition, null, value));
                    }
                }
                producer.flush();
            }

            String[] all = ids.toArray(String[]::new);
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(Db.count(
                    "SELECT count(*) FROM silver.events WHERE event_id = ANY(?)", (Object) all)).isEqualTo(EVENTS));
            // bronze keeps every delivery (repeats inside one polled batch land once), silver one row per event
            assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ANY(?)", (Object) all))
                    .isBetween((long) EVENTS, (long) EVENTS + EVENTS / 10 * PARTITIONS);
            assertThat(Db.count("SELECT count(DISTINCT event_id) FROM bronze.events WHERE event_id = ANY(?)",
                    (Object) all)).isEqualTo(EVENTS);
            assertThat(Db.count("SELECT count(DISTINCT kafka_partition) FROM bronze.events WHERE event_id = ANY(?)",
                    (Object) all)).isEqualTo(PARTITIONS);
            double firstConsumed = consumed(first, topic);
            double secondConsumed = consumed(second, topic);
            assertThat(firstConsumed).as("records the first instance read").isPositive();
            assertThat(secondConsumed).as("records the second instance read").isPositive();
            assertThat(firstConsumed + secondConsumed).isGreaterThanOrEqualTo(EVENTS + EVENTS / 10 * PARTITIONS);
        } finally {
            KafkaTopics.delete(topic);
        }
    }

    private static double consumed(SluiceProcess sluice, String topic) {
        return Meters.sum(sluice.metrics(), "sluice_kafka_records_consumed_total", "topic=\"" + topic + "\"");
    }
}
