package io.sluice.promotion;

import java.time.OffsetDateTime;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/** A claimed bronze row: the event as received and where it came from. */
public record BronzeRecord(long id, String eventId, OffsetDateTime receivedAt, String channel, String source,
        JsonNode payload, Map<String, String> headers, String payloadHash) {
}
