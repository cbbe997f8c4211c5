package io.sluice.promotion;

import java.time.OffsetDateTime;

/** One event to promote, where it is in bronze, and its failed attempts so far. */
public record WorkItem(long bronzeId, OffsetDateTime receivedAt, String eventId, int attempts) {
}
