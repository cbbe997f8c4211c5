package io.sluice.silver;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * What one silver upsert changed: the rows it inserted or replaced, as written, and the rows it replaced as they were
 * before (with their lines), which gold needs to take back.
 */
public record SilverChanges(List<SilverEvent> changed, List<Replaced> replaced) {

    public static final SilverChanges NONE = new SilverChanges(List.of(), List.of());

    /** A replaced silver.events row as it was: the columns gold reads. */
    public record Replaced(String eventId, String eventType, OffsetDateTime occurredAt, String userId, String sku,
            String currency, String productName, String productCategory, String productBrand,
            BigDecimal productPrice, String productCurrency, List<ReplacedItem> items) {
    }

    /** A line of a replaced purchase as it was. */
    public record ReplacedItem(int lineNo, String sku, int quantity, BigDecimal unitPrice) {
    }
}
