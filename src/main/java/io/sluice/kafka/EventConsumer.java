package io.sluice.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;
import io.sluice.event.CloudEvents;
import io.sluice.event.EventDecoder;
import io.sluice.event.EventDecoder.Events;
import io.sluice.event.EventDecoder.Format;
import io.sluice.ingest.IngestPipeline;

/**
 * The Kafka door (SPEC.md section 5): one bronze transaction per polled batch; unreadable records go to the
 * dead-letter topic first; the batch is acknowledged (its offsets become committable) only after both.
 */
@ApplicationScoped
public class EventConsumer {

    static final String CHANNEL = "events";

    private final IngestPipeline pipeline;
    private final DeadLetters deadLetters;

    public EventConsumer(IngestPipeline pipeline, DeadLetters deadLetters) {
        this.pipeline = pipeline;
        this.deadLetters = deadLetters;
    }

    @Incoming(CHANNEL)
    public Uni<Void> consume(KafkaRecordBatch<byte[], byte[]> batch) {
        List<io.sluice.ingest.Incoming> events = new ArrayList<>();
        List<DeadLetters.DeadLetter> dead = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : batch.getRecords().stream()
                .map(r -> r.getMetadata(io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata.class)
                        .orElseThrow().getRecord())
                .map(r -> (ConsumerRecord<byte[], byte[]>) r)
                .toList()) {
            decode(record, events, dead);
        }
        return deadLetters.send(dead)
                .chain(() -> landUntilDurable(events));
    }

    private void decode(ConsumerRecord<byte[], byte[]> record, List<io.sluice.ingest.Incoming> events,
            List<DeadLetters.DeadLetter> dead) {
        Map<String, String> headers = headers(record);
        Map<String, String> ce = new TreeMap<>();
        headers.forEach((k, v) -> {
            if (k.startsWith(CloudEvents.HEADER_PREFIX)) {
                ce.put(k, v);
            }
        });
        Format format = CloudEvents.isBinary(ce)
                ? Format.CLOUDEVENT_BINARY
                : headers.getOrDefault("content-type", "").startsWith("application/cloudevents+json")
                        ? Format.CLOUDEVENT
                        : Format.NATIVE;
        byte[] value = record.value() == null ? new byte[0] : record.value();
        EventDecoder.Decoded decoded = pipeline.decode(value, format, ce);
        if (decoded instanceof Events decodedEvents) {
            decodedEvents.events().forEach(event -> events.add(io.sluice.ingest.Incoming.kafka(record.topic(),
                    record.partition(), record.offset(), event, Map.of())));
        } else {
            dead.add(new DeadLetters.DeadLetter(record, reason(decoded)));
        }
    }

    private static String reason(EventDecoder.Decoded decoded) {
        if (decoded instanceof EventDecoder.Unreadable unreadable) {
            return unreadable.detail();
        }
        return ((EventDecoder.TooLarge) decoded).detail();
    }

    /** A database failure is never a dead letter: retry with backoff until the batch is durable. */
    private Uni<Void> landUntilDurable(List<io.sluice.ingest.Incoming> events) {
        if (events.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return pipeline.land(events, Optional.empty())
                .onFailure().invoke(e -> Log.warnf("bronze write of a Kafka batch failed, retrying: %s", e.toString()))
                .onFailure().retry().withBackOff(Duration.ofMillis(200), Duration.ofSeconds(10)).indefinitely()
                .replaceWithVoid();
    }

    private static Map<String, String> headers(ConsumerRecord<?, ?> record) {
        Map<String, String> headers = new TreeMap<>();
        for (Header header : record.headers()) {
            if (header.value() != null) {
                headers.put(header.key().toLowerCase(java.util.Locale.ROOT),
                        new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        return headers;
    }
}
