package io.sluice.admin;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** What the admin API answers: read-only views (snake case), never entities, never payloads or personal data. */
public final class AdminViews {

    private AdminViews() {
    }

    /** Everything Sluice holds about one event_id, from every delivery to the gold facts. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Lineage(String eventId, List<BronzeDelivery> bronze, List<Rejected> rejects,
            @JsonInclude(JsonInclude.Include.ALWAYS) SilverRow silver, List<OrderItem> orderItems,
            List<GoldFact> goldFacts, List<Quarantined> quarantine) {

        boolean isEmpty() {
            return bronze.isEmpty() && rejects.isEmpty() && silver == null && quarantine.isEmpty();
        }
    }

    /** One row of bronze.events (the payload stays in bronze: it may hold personal data). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record BronzeDelivery(long id, OffsetDateTime receivedAt, String eventType, String channel, String source,
            String payloadHash, JsonNode headers, String kafkaTopic, Integer kafkaPartition, Long kafkaOffset,
            boolean awaitingPromotion, Integer promotionAttempts, String lastError) {
    }

    /** One row of bronze.rejected_events, with its violations. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Rejected(long id, String eventId, String eventType, String channel, String source,
            OffsetDateTime receivedAt, String reason, JsonNode violations) {
    }

    /** The silver.events row, without its personal-data hashes and free-form properties. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record SilverRow(String eventType, OffsetDateTime occurredAt, String userId, String anonymousId,
            String sessionId, String sku, Integer quantity, String orderId, BigDecimal orderTotal, String currency,
            int schemaVersion, String source, String channel, long bronzeId, String payloadHash,
            OffsetDateTime firstReceivedAt, OffsetDateTime promotedAt) {
    }

    /** One row of silver.order_items. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record OrderItem(int lineNo, String orderId, String sku, int quantity, BigDecimal unitPrice,
            String currency) {
    }

    /** One row of gold.fact_order_line. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record GoldFact(int lineNo, String orderId, int dateKey, Long productKey, Long customerKey, int quantity,
            BigDecimal unitPrice, BigDecimal revenue, String currency) {
    }

    /** One row of bronze.quarantine: an event whose promotion failed too often. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Quarantined(long bronzeId, String eventId, OffsetDateTime receivedAt, int attempts, String error,
            OffsetDateTime quarantinedAt) {
    }

    /** A page of rejected events, newest first; pass {@code next_cursor} as {@code cursor} for the next page. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RejectedPage(List<Rejected> items, @JsonInclude(JsonInclude.Include.ALWAYS) String nextCursor) {
    }

    /** A page of quarantined events. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record QuarantinedPage(List<Quarantined> items,
            @JsonInclude(JsonInclude.Include.ALWAYS) String nextCursor) {
    }

    /** How many events a requeue or replay put back on the promotion queue. */
    public record Requeued(long requeued) {
    }

    /** One pull source (bronze.pull_sources): where it is, when it last worked, what went wrong last. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Source(String name, @JsonInclude(JsonInclude.Include.ALWAYS) String cursor,
            OffsetDateTime cursorUpdatedAt, @JsonInclude(JsonInclude.Include.ALWAYS) OffsetDateTime lastSuccessAt,
            @JsonInclude(JsonInclude.Include.ALWAYS) String lastError, OffsetDateTime lastErrorAt, boolean failing,
            long events, long pages) {
    }

    public record Sources(List<Source> items) {
    }

    /** The body of a cursor move: the cursor to pull from next (null or absent: the API's beginning). */
    public record CursorMove(String cursor) {
    }
}
