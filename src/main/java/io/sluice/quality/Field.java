package io.sluice.quality;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

import io.sluice.silver.SilverEvent;

/**
 * A field path of the canonical event (SPEC.md section 3) as silver holds it: how to read it from a written row, and
 * the silver.events column and index a uniqueness check probes (only for indexed columns).
 */
public record Field(String path, Function<SilverEvent, Object> reader, Optional<String> uniqueColumn) {

    private static final Map<String, Field> FIELDS = Map.ofEntries(
            field("event_id", SilverEvent::eventId, "event_id"),
            field("event_type", SilverEvent::eventType, null),
            field("user_id", SilverEvent::userId, "user_id"),
            field("anonymous_id", SilverEvent::anonymousId, null),
            field("session_id", SilverEvent::sessionId, null),
            field("page.url", SilverEvent::pageUrl, null),
            field("page.referrer", SilverEvent::pageReferrer, null),
            field("page.title", SilverEvent::pageTitle, null),
            field("product.sku", SilverEvent::sku, "sku"),
            field("product.name", SilverEvent::productName, null),
            field("product.category", SilverEvent::productCategory, null),
            field("product.brand", SilverEvent::productBrand, null),
            field("product.price", SilverEvent::productPrice, null),
            field("product.currency", SilverEvent::productCurrency, null),
            field("quantity", SilverEvent::quantity, null),
            field("order.order_id", SilverEvent::orderId, "order_id"),
            field("order.total", SilverEvent::orderTotal, null),
            field("order.currency", SilverEvent::currency, null),
            field("context.user_agent", SilverEvent::userAgent, null),
            field("context.locale", SilverEvent::locale, null),
            field("schema_version", SilverEvent::schemaVersion, null),
            field("source", SilverEvent::source, null),
            field("channel", SilverEvent::channel, null));

    private static Map.Entry<String, Field> field(String path, Function<SilverEvent, Object> reader, String column) {
        return Map.entry(path, new Field(path, reader, Optional.ofNullable(column)));
    }

    /**
     * Whether the field is silver's primary key ({@code event_id}): one row per value by construction, so a unique
     * check on it needs no probe (the probe would read the same index that enforces it).
     */
    public boolean isPrimaryKey() {
        return "event_id".equals(uniqueColumn.orElse(null));
    }

    /** The field of a path: a known one, or {@code properties.<key>} / {@code attributes.<key>} (top-level keys). */
    public static Optional<Field> of(String path) {
        Field known = FIELDS.get(path);
        if (known != null) {
            return Optional.of(known);
        }
        for (String json : new String[]{"properties.", "attributes."}) {
            if (path.startsWith(json) && path.length() > json.length()
                    && !path.substring(json.length()).contains(".")) {
                String key = path.substring(json.length());
                Function<SilverEvent, JsonNode> node = json.startsWith("p")
                        ? SilverEvent::properties
                        : SilverEvent::attributes;
                return Optional.of(new Field(path, e -> jsonValue(node.apply(e), key), Optional.empty()));
            }
        }
        return Optional.empty();
    }

    /** The known paths, for error messages. */
    public static String known() {
        return String.join(", ", new java.util.TreeSet<>(FIELDS.keySet())) + ", properties.<key>, attributes.<key>";
    }

    /** The row's value as text, or null when absent or blank. */
    public String text(SilverEvent event) {
        Object value = reader.apply(event);
        if (value == null) {
            return null;
        }
        String text = value instanceof java.math.BigDecimal d ? d.toPlainString() : value.toString();
        return text.isBlank() ? null : text;
    }

    private static Object jsonValue(JsonNode object, String key) {
        if (object == null || !object.hasNonNull(key)) {
            return null;
        }
        JsonNode value = object.get(key);
        return value.isValueNode() ? value.asText() : value.toString();
    }
}
