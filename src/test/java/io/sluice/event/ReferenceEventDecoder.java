package io.sluice.event;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The decoder as it was before it read bodies in one streaming pass (a tree per element, written back to bytes, walked
 * for unstorable values): kept in the tests only, so that {@code StreamingDecoderTest} can assert that the one-pass
 * decoder gives the same answers, byte for byte, on crafted inputs.
 */
final class ReferenceEventDecoder {

    /** One element of a body: as received, its canonical form, and why it cannot be taken if it cannot. */
    public record DecodedEvent(JsonNode payload, byte[] payloadJson, ObjectNode canonical, Map<String, String> headers,
            Optional<Violation> problem) {

        public String eventId() {
            return claimed("event_id");
        }

        public String eventType() {
            return claimed("event_type");
        }

        private String claimed(String field) {
            JsonNode value = canonical == null ? null : canonical.get(field);
            return value != null && value.isTextual() ? value.asText() : null;
        }
    }

    public sealed interface Decoded {
    }

    public record Events(List<DecodedEvent> events) implements Decoded {
    }

    public record Unreadable(String detail) implements Decoded {
    }

    public record TooLarge(String detail) implements Decoded {
    }

    private static final int PG_NUMERIC_MAX_INTEGER_DIGITS = 131072;
    private static final int PG_NUMERIC_MAX_SCALE = 16383;

    private final ObjectMapper mapper;
    private final int maxEventBytes;
    private final int maxBatchEvents;

    ReferenceEventDecoder(int maxDepth, int maxEventBytes, int maxBatchEvents) {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxDepth).build())
                .build();
        this.mapper = new ObjectMapper(factory)
                .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.maxEventBytes = maxEventBytes;
        this.maxBatchEvents = maxBatchEvents;
    }

    /** Reads a body; {@code headers} are the binary-mode attributes ({@code ce_id} ...) or empty. */
    public Decoded decode(byte[] body, EventDecoder.Format format, Map<String, String> headers) {
        int invalid = EventDecoder.firstInvalidUtf8(body);
        if (invalid >= 0) {
            return new Unreadable("body is not valid UTF-8 (at byte " + invalid + ")");
        }
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (IOException e) {
            return new Unreadable("body is not valid JSON: "
                    + EventDecoder.firstLine(e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe
                            ? jpe.getOriginalMessage()
                            : "unreadable"));
        }
        if (root == null || root.isMissingNode()) {
            return new Unreadable("body is empty");
        }
        List<JsonNode> elements = new ArrayList<>();
        boolean batch = format == EventDecoder.Format.CLOUDEVENT_BATCH
                || (format == EventDecoder.Format.NATIVE && root.isArray());
        if (batch) {
            if (!root.isArray()) {
                return new Unreadable("body must be a JSON array of events");
            }
            root.forEach(elements::add);
            if (elements.isEmpty()) {
                return new Unreadable("batch is empty");
            }
            if (elements.size() > maxBatchEvents) {
                return new TooLarge("batch has " + elements.size() + " events; at most " + maxBatchEvents + " allowed");
            }
        } else if (!root.isObject()) {
            return new Unreadable("body must be a JSON object (an event) or an array of events");
        } else {
            elements.add(root);
        }
        List<DecodedEvent> events = new ArrayList<>(elements.size());
        for (JsonNode element : elements) {
            events.add(element(element, format, headers));
        }
        if (!batch && events.get(0).payloadJson().length > maxEventBytes) {
            return new TooLarge("event is larger than " + maxEventBytes + " bytes");
        }
        return new Events(events);
    }

    private DecodedEvent element(JsonNode element, EventDecoder.Format format, Map<String, String> headers) {
        byte[] json = write(element);
        Map<String, String> eventHeaders = format == EventDecoder.Format.CLOUDEVENT_BINARY ? headers : Map.of();
        Optional<String> unstorable = unstorable(element);
        if (unstorable.isPresent()) {
            return new DecodedEvent(null, json, null, eventHeaders,
                    Optional.of(new Violation("$", unstorable.get())));
        }
        ObjectNode canonical = CloudEvents.canonical(element, eventHeaders);
        Optional<Violation> problem = Optional.empty();
        if (json.length > maxEventBytes) {
            problem = Optional.of(new Violation("$", "event is larger than " + maxEventBytes + " bytes"));
        } else if ((format == EventDecoder.Format.CLOUDEVENT || format == EventDecoder.Format.CLOUDEVENT_BATCH)
                && !CloudEvents.isStructured(element)) {
            problem = Optional.of(new Violation("specversion", "a structured CloudEvent needs specversion"));
        } else if (CloudEvents.isStructured(element) && !CloudEvents.isSupportedVersion(element.get("specversion"))) {
            problem = Optional.of(new Violation("specversion", "must be " + CloudEvents.SPEC_VERSION));
        } else if (format == EventDecoder.Format.CLOUDEVENT_BINARY
                && !CloudEvents.SPEC_VERSION.equals(eventHeaders.get(CloudEvents.HEADER_PREFIX + "specversion"))) {
            problem = Optional.of(new Violation("specversion", "the ce-specversion header must be "
                    + CloudEvents.SPEC_VERSION));
        } else if (canonical == null) {
            problem = Optional.of(new Violation(element.isObject() ? "data" : "$", "must be a JSON object"));
        }
        return new DecodedEvent(element, json, canonical, eventHeaders, problem);
    }

    private byte[] write(JsonNode node) {
        try {
            return mapper.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("a parsed JSON tree could not be written back", e);
        }
    }

    /** PostgreSQL's jsonb refuses NUL characters, lone surrogates and numbers beyond numeric's range. */
    static Optional<String> unstorable(JsonNode node) {
        if (node.isTextual()) {
            return storableText(node.asText());
        }
        if (node.isNumber() && !node.isIntegralNumber()) {
            BigDecimal value = node.decimalValue();
            if (value.scale() > PG_NUMERIC_MAX_SCALE
                    || value.precision() - value.scale() > PG_NUMERIC_MAX_INTEGER_DIGITS) {
                return Optional.of("a number is outside the range PostgreSQL can store");
            }
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            Optional<String> problem = storableText(field.getKey()).or(() -> unstorable(field.getValue()));
            if (problem.isPresent()) {
                return problem;
            }
        }
        if (node.isArray()) {
            for (JsonNode item : node) {
                Optional<String> problem = unstorable(item);
                if (problem.isPresent()) {
                    return problem;
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> storableText(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                return Optional.of("text must not contain the NUL character (\\u0000)");
            }
            if (Character.isHighSurrogate(c)
                    && (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1)))
                    || Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)))) {
                return Optional.of("text must not contain unpaired UTF-16 surrogates");
            }
        }
        return Optional.empty();
    }
}
