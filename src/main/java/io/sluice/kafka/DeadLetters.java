package io.sluice.kafka;

import java.nio.charset.StandardCharsets;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.sluice.metrics.SluiceMetrics;

/** Sends unreadable records to the dead-letter topic with their key, value, headers and the reason. */
@ApplicationScoped
public class DeadLetters {

    static final String CHANNEL = "dead-letters";

    /** A record that could not be read, and why. */
    public record DeadLetter(ConsumerRecord<byte[], byte[]> record, String reason) {
    }

    private final MutinyEmitter<byte[]> emitter;
    private final SluiceMetrics metrics;

    public DeadLetters(@Channel(CHANNEL) MutinyEmitter<byte[]> emitter, SluiceMetrics metrics) {
        this.emitter = emitter;
        this.metrics = metrics;
    }

    /** At most this many dead letters in flight, so a batch of poison records stays within the emitter's buffer. */
    private static final int IN_FLIGHT = 32;

    /** Completes once the broker has every dead letter; fails if it refused one. */
    public Uni<Void> send(List<DeadLetter> letters) {
        if (letters.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(letters)
                .onItem().transformToUni(this::send).merge(IN_FLIGHT)
                .collect().last()
                .replaceWithVoid();
    }

    private Uni<Void> send(DeadLetter letter) {
        ConsumerRecord<byte[], byte[]> record = letter.record();
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add("dead-letter-reason", utf8(letter.reason()));
        headers.add("dead-letter-topic", utf8(record.topic()));
        headers.add("dead-letter-partition", utf8(Integer.toString(record.partition())));
        headers.add("dead-letter-offset", utf8(Long.toString(record.offset())));
        OutgoingKafkaRecordMetadata<byte[]> metadata = OutgoingKafkaRecordMetadata.<byte[]>builder()
                .withKey(record.key())
                .withHeaders(headers)
                .build();
        return emitter.sendMessage(Message.of(record.value()).addMetadata(metadata))
                .invoke(metrics::deadLetter);
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
