package io.sluice.ingest;

import java.util.Map;

import io.sluice.event.EventDecoder.DecodedEvent;

/**
 * One decoded event and where it came from: its channel and source (partner or topic), the transport headers worth
 * keeping in bronze, and for Kafka its coordinates (null otherwise).
 */
public record Incoming(Channel channel, String source, DecodedEvent event, Map<String, String> headers,
        String kafkaTopic, Integer kafkaPartition, Long kafkaOffset) {

    public static Incoming webhook(String partner, DecodedEvent event, Map<String, String> headers) {
        return new Incoming(Channel.WEBHOOK, partner, event, headers, null, null, null);
    }

    public static Incoming kafka(String topic, int partition, long offset, DecodedEvent event,
            Map<String, String> headers) {
        return new Incoming(Channel.KAFKA, topic, event, headers, topic, partition, offset);
    }
}
