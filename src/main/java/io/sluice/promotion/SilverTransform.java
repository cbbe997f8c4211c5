package io.sluice.promotion;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.sluice.event.CloudEvents;
import io.sluice.event.Timestamps;
import io.sluice.silver.SilverEvent;

/**
 * Bronze payload (native or CloudEvents) to a silver row: typed columns, unknown fields in {@code attributes},
 * personal data ({@code context.ip}, any {@code email}) as HMAC-SHA256 with the configured key. Pure and thread-safe.
 */
public final class SilverTransform {

    private static final Set<String> KNOWN = Set.of("event_id", "event_type", "occurred_at", "user_id", "anonymous_id",
            "session_id", "page", "product", "quantity", "order", "context", "properties", "schema_version",
            CloudEvents.SOURCE_FIELD);
    private static final Map<String, Set<String>> KNOWN_NESTED = Map.of(
            "page", Set.of("url", "referrer", "title"),
            "product", Set.of("sku", "name", "category", "brand", "price", "currency"),
            "order", Set.of("order_id", "currency", "total", "items"),
            "context", Set.of("ip", "user_agent", "locale"));

    /** One keyed Mac per thread: looking the algorithm up and keying it cost more than hashing an address. */
    private final ThreadLocal<Mac> macs;

    public SilverTransform(String hashKey) {
        SecretKeySpec key = new SecretKeySpec(hashKey.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
            }
        });
    }

    public SilverEvent toSilver(BronzeRecord bronze) {
        ObjectNode event = CloudEvents.canonical(bronze.payload(), bronze.headers());
        if (event == null) {
            throw new IllegalArgumentException("bronze payload is not an event object");
        }
        JsonNode page = event.path("page");
        JsonNode product = event.path("product");
        JsonNode order = event.path("order");
        JsonNode context = event.path("context");
        String eventId = text(event, "event_id");
        OffsetDateTime occurredAt = Timestamps.parse(text(event, "occurred_at"))
                .orElseThrow(() -> new IllegalArgumentException("occurred_at is not RFC 3339"));
        String orderId = text(order, "order_id");
        String orderCurrency = text(order, "currency");
        List<SilverEvent.OrderItem> items = new ArrayList<>();
        int line = 0;
        for (JsonNode item : order.path("items")) {
            items.add(new SilverEvent.OrderItem(eventId, ++line, orderId, text(item, "sku"), text(item, "name"),
                    text(item, "category"), text(item, "brand"), item.path("quantity").asInt(),
                    decimal(item, "unit_price"), orderCurrency));
        }
        JsonNode properties = event.has("properties") ? pseudonymised(event.get("properties")) : null;
        return new SilverEvent(eventId, text(event, "event_type"), occurredAt, text(event, "user_id"),
                text(event, "anonymous_id"), text(event, "session_id"), text(page, "url"), text(page, "referrer"),
                text(page, "title"), text(product, "sku"), text(product, "name"), text(product, "category"),
                text(product, "brand"), decimal(product, "price"), text(product, "currency"),
                event.hasNonNull("quantity") ? event.get("quantity").asInt() : null, orderId, decimal(order, "total"),
                orderCurrency, hash(text(context, "ip")), text(context, "user_agent"), text(context, "locale"),
                properties, attributes(event), event.path("schema_version").asInt(1),
                text(event, CloudEvents.SOURCE_FIELD), bronze.source(), bronze.channel(), bronze.id(),
                bronze.receivedAt(), bronze.payloadHash(), bronze.receivedAt(), items);
    }

    /** Fields silver has no column for, top-level and nested ({@code page.variant}), personal data hashed. */
    private JsonNode attributes(ObjectNode event) {
        ObjectNode attributes = JsonNodeFactory.instance.objectNode();
        Iterator<Map.Entry<String, JsonNode>> fields = event.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            if (!KNOWN.contains(name)) {
                attributes.set(name, pseudonymised(field.getValue()));
            } else if (KNOWN_NESTED.containsKey(name) && field.getValue().isObject()) {
                field.getValue().fields().forEachRemaining(nested -> {
                    if (!KNOWN_NESTED.get(name).contains(nested.getKey())) {
                        attributes.set(name + "." + nested.getKey(), pseudonymised(nested.getValue()));
                    }
                });
            }
        }
        return attributes;
    }

    /** A copy in which every field named {@code email} (at any depth) holds its keyed hash. */
    private JsonNode pseudonymised(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            node.fields().forEachRemaining(f -> copy.set(f.getKey(),
                    "email".equalsIgnoreCase(f.getKey()) && f.getValue().isTextual()
                            ? JsonNodeFactory.instance.textNode(hash(f.getValue().asText()))
                            : pseudonymised(f.getValue())));
            return copy;
        }
        if (node.isArray()) {
            var copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(item -> copy.add(pseudonymised(item)));
            return copy;
        }
        return node;
    }

    String hash(String value) {
        if (value == null) {
            return null;
        }
        return HexFormat.of().formatHex(macs.get().doFinal(value.getBytes(StandardCharsets.UTF_8)));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static BigDecimal decimal(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        return value.isTextual() ? new BigDecimal(value.asText().strip()) : value.decimalValue();
    }
}
