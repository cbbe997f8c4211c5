package io.sluice.bronze;

/** One event to land in bronze.events; {@code payloadHash} is the SHA-256 of {@code payloadJson}, in hex. */
public record BronzeRow(String eventId, String eventType, String channel, String source, String payloadJson,
        String headersJson, String payloadHash, String kafkaTopic, Integer kafkaPartition, Long kafkaOffset) {
}
