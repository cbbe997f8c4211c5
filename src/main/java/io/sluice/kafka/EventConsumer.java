package io.sluice.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordBatchMetadata;
import io.sluice.event.EventDecoder;
import io.sluice.event.EventDecoder.Events;
import io.sluice.ingest.IngestPipeline;
import io.sluice.metrics.SluiceMetrics;

/**
 * The Kafka door (SPEC.md section 5). Each polled batch is read record by record ({@link RecordReader}); unreadable
 * records go to the dead-letter topic, the events are landed in bronze (or bronze.rejected_events) through the
 * shared pipeline (group commit merges the topics of a batch and concurrent batches into one statement); only when
 * both are done is the batch acknowledged, so the throttled commit
 * strategy commits an offset only after its record is durable somewhere (SPEC.md I1).
 * <p>
 * A failure to write is treated as transient: the batch is retried in place, with exponential backoff and jitter,
 * until it succeeds. While it waits the method does not ask for the next batch, the connector's queue fills up and
 * it pauses the partitions (it keeps polling, so the group does not evict it), and nothing is committed. When
 * PostgreSQL (or the broker, for dead letters) is back, the batch lands and consumption resumes where it stopped.
 */
@ApplicationScoped
public class EventConsumer {

    static final String CHANNEL = "events";

    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    private final RecordReader reader;
    private final IngestPipeline pipeline;
    private final DeadLetters deadLetters;
    private final SluiceMetrics metrics;

    public EventConsumer(RecordReader reader, IngestPipeline pipeline, DeadLetters deadLetters,
            SluiceMetrics metrics) {
        this.reader = reader;
        this.pipeline = pipeline;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(KafkaRecordBatch<byte[], byte[]> batch) {
        Sorted sorted = sort(records(batch));
        return sendUntilAccepted(sorted.dead())
                .chain(() -> landUntilDurable(sorted.eventsByTopic()))
                .chain(() -> acknowledge(batch));
    }

    /**
     * A method that takes a {@link KafkaRecordBatch} (a {@code Message}) acknowledges by itself: SmallRye's default
     * for {@code Message} parameters is manual acknowledgement, so without this call no offset would ever be
     * committed. The batch acknowledges its latest record per partition, which the throttled strategy commits.
     */
    private static Uni<Void> acknowledge(KafkaRecordBatch<byte[], byte[]> batch) {
        return Uni.createFrom().completionStage(batch::ack);
    }

    @SuppressWarnings("unchecked")
    private static Iterable<ConsumerRecord<byte[], byte[]>> records(KafkaRecordBatch<byte[], byte[]> batch) {
        return batch.getMetadata(IncomingKafkaRecordBatchMetadata.class)
                .map(metadata -> (Iterable<ConsumerRecord<byte[], byte[]>>) metadata.getRecords())
                .orElseThrow(() -> new IllegalStateException("a Kafka batch without its records"));
    }

    /** The readable events of a batch by topic, in partition order, and the records that go to the DLQ. */
    private record Sorted(Map<String, List<io.sluice.ingest.Incoming>> eventsByTopic,
            List<DeadLetters.DeadLetter> dead) {
    }

    private Sorted sort(Iterable<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, List<io.sluice.ingest.Incoming>> events = new LinkedHashMap<>();
        List<DeadLetters.DeadLetter> dead = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            metrics.kafkaConsumed(record.topic());
            Map<String, String> headers = reader.headers(record);
            EventDecoder.Decoded decoded = reader.read(record, headers);
            if (decoded instanceof Events read) {
                List<io.sluice.ingest.Incoming> topicEvents = events.computeIfAbsent(record.topic(),
                        topic -> new ArrayList<>());
                read.events().forEach(event -> topicEvents.add(io.sluice.ingest.Incoming.kafka(record.topic(),
                        record.partition(), record.offset(), event, headers)));
            } else {
                dead.add(new DeadLetters.DeadLetter(record, RecordReader.reason(decoded)));
            }
        }
        return new Sorted(events, dead);
    }

    /** Dead letters are at-least-once too: a broker that does not take them holds the batch back. */
    private Uni<Void> sendUntilAccepted(List<DeadLetters.DeadLetter> dead) {
        return deadLetters.send(dead)
                .onFailure().invoke(e -> {
                    metrics.kafkaRetry("dead-letter");
                    Log.warnf("sending %d dead letters failed, retrying: %s", dead.size(), e.toString());
                })
                .onFailure().retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely();
    }

    /**
     * A database failure is never a dead letter: retry with backoff until every topic's events are durable. The
     * topics land concurrently, so group commit puts them (and other consumers' batches) in one statement.
     */
    private Uni<Void> landUntilDurable(Map<String, List<io.sluice.ingest.Incoming>> eventsByTopic) {
        if (eventsByTopic.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        List<Uni<Void>> topics = new ArrayList<>();
        for (List<io.sluice.ingest.Incoming> events : eventsByTopic.values()) {
            topics.add(landUntilDurable(events));
        }
        return Uni.join().all(topics).andCollectFailures().replaceWithVoid();
    }

    private Uni<Void> landUntilDurable(List<io.sluice.ingest.Incoming> events) {
        return pipeline.land(events, Optional.empty())
                .onFailure().invoke(e -> {
                    metrics.kafkaRetry("bronze");
                    Log.warnf("bronze write of %d Kafka events failed, pausing and retrying: %s", events.size(),
                            e.toString());
                })
                .onFailure().retry().withBackOff(FIRST_BACKOFF, MAX_BACKOFF).indefinitely()
                .replaceWithVoid();
    }
}
