package io.sluice.event;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Maps CloudEvents 1.0 onto the canonical event (SPEC.md section 3): {@code id} is the event_id, {@code type} the
 * event_type (a prefix such as {@code com.example.} is dropped), {@code time} the occurred_at, {@code data} the rest,
 * {@code source} recorded as {@code cloudevent_source}. Pure and shared by decoding and promotion.
 */
public final class CloudEvents {

    /** Header key prefix under which binary-mode attributes are kept (Kafka's spelling; HTTP's ce- is normalised). */
    public static final String HEADER_PREFIX = "ce_";
    public static final String SOURCE_FIELD = "cloudevent_source";
    /** The one CloudEvents version accepted. */
    public static final String SPEC_VERSION = "1.0";

    private CloudEvents() {
    }

    public static boolean isStructured(JsonNode node) {
        return node != null && node.isObject() && node.hasNonNull("specversion");
    }

    public static boolean isSupportedVersion(JsonNode specversion) {
        return specversion != null && specversion.isTextual() && SPEC_VERSION.equals(specversion.asText());
    }

    public static boolean isBinary(Map<String, String> headers) {
        return headers.containsKey(HEADER_PREFIX + "specversion") || headers.containsKey(HEADER_PREFIX + "id");
    }

    /**
     * The canonical event of a payload as received: a structured CloudEvent, the data of a binary-mode one (its
     * attributes in {@code headers}), or a native event (the payload itself: nothing downstream changes it). Null
     * when the payload is not an object.
     */
    public static ObjectNode canonical(JsonNode payload, Map<String, String> headers) {
        if (isStructured(payload)) {
            return fromAttributes(payload.get("data"), text(payload, "id"), text(payload, "type"),
                    text(payload, "time"), text(payload, "source"));
        }
        if (isBinary(headers)) {
            return fromAttributes(payload, headers.get(HEADER_PREFIX + "id"), headers.get(HEADER_PREFIX + "type"),
                    headers.get(HEADER_PREFIX + "time"), headers.get(HEADER_PREFIX + "source"));
        }
        return payload != null && payload.isObject() ? (ObjectNode) payload : null;
    }

    private static ObjectNode fromAttributes(JsonNode data, String id, String type, String time, String source) {
        if (data == null || !data.isObject()) {
            return null;
        }
        ObjectNode event = ((ObjectNode) data).deepCopy();
        putIfPresent(event, "event_id", id);
        putIfPresent(event, "event_type", type == null ? null : type.substring(type.lastIndexOf('.') + 1));
        putIfPresent(event, "occurred_at", time);
        putIfPresent(event, SOURCE_FIELD, source);
        return event;
    }

    private static void putIfPresent(ObjectNode event, String field, String value) {
        if (value != null) {
            event.put(field, value);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
