package io.sluice.bronze;

/** One readable but invalid event for bronze.rejected_events; {@code payloadJson} is null when unstorable. */
public record RejectedRow(String eventId, String eventType, String channel, String source, String payloadJson,
        String headersJson, String violationsJson, String reason) {
}
