package io.sluice.silver;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** One row of silver.events (column names in snake case), with its purchase lines. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SilverEvent(
        String eventId,
        String eventType,
        OffsetDateTime occurredAt,
        String userId,
        String anonymousId,
        String sessionId,
        String pageUrl,
        String pageReferrer,
        String pageTitle,
        String sku,
        String productName,
        String productCategory,
        String productBrand,
        BigDecimal productPrice,
        String productCurrency,
        Integer quantity,
        String orderId,
        BigDecimal orderTotal,
        String currency,
        String ipHash,
        String userAgent,
        String locale,
        JsonNode properties,
        JsonNode attributes,
        int schemaVersion,
        String cloudeventSource,
        String source,
        String channel,
        long bronzeId,
        OffsetDateTime bronzeReceivedAt,
        String payloadHash,
        OffsetDateTime firstReceivedAt,
        List<OrderItem> items) {

    /** One row of silver.order_items. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record OrderItem(String eventId, int lineNo, String orderId, String sku, String name, String category,
            String brand, int quantity, BigDecimal unitPrice, String currency) {
    }
}
