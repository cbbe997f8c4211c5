package io.sluice.event;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads a transport body into events, once: plain JSON (an event or an array), a structured CloudEvent, a batch of
 * them, or the data of a binary-mode CloudEvent. A body that cannot be read at all is {@link Unreadable}; an element
 * that is readable but not storable or not an object comes back with a problem so only that element is rejected.
 * <p>
 * One streaming pass over the body: each element's tokens are written straight to its compact JSON (the bytes bronze
 * stores and hashes, the same bytes a tree written back would give: numbers exact, keys in the order received) and
 * checked on the way for what PostgreSQL's jsonb cannot hold; no tree is built for a native event, whose canonical
 * form is those bytes. A CloudEvent (structured, or binary mode) is mapped onto the canonical event through a tree of
 * its compact bytes ({@link CloudEvents#canonical}), the code promotion uses too.
 */
public final class EventDecoder {

    /** How a body is framed; the doors derive it from Content-Type or Kafka headers. */
    public enum Format {
        NATIVE, CLOUDEVENT, CLOUDEVENT_BATCH, CLOUDEVENT_BINARY
    }

    /**
     * One element of a body: its compact JSON as received ({@code payloadJson}), whether PostgreSQL can store it, its
     * canonical event (the same bytes for a native event, a mapped tree for a CloudEvent; neither when the element is
     * not an event or not storable), the event_id and event_type it claims (text only), the binary-mode attributes,
     * and why it cannot be taken if it cannot.
     */
    public record DecodedEvent(byte[] payloadJson, boolean storable, byte[] canonicalJson, ObjectNode canonicalTree,
            String eventId, String eventType, Map<String, String> headers, Optional<Violation> problem) {

        /** A readable element that is no event at all (kept as the JSON given), rejected as malformed. */
        public static DecodedEvent malformed(byte[] json, Violation problem) {
            return new DecodedEvent(json, true, null, null, null, null, Map.of(), Optional.of(problem));
        }

        /** Whether it has a canonical event to validate. */
        public boolean hasCanonical() {
            return canonicalJson != null || canonicalTree != null;
        }

        /** The canonical event as a tree (built on demand for a native event: the hot path never asks). */
        public ObjectNode canonical() {
            if (canonicalTree != null) {
                return canonicalTree;
            }
            return canonicalJson == null ? null : (ObjectNode) tree(canonicalJson);
        }

        /** The payload as a tree (built on demand), or null when it cannot be stored. */
        public JsonNode payload() {
            return storable ? tree(payloadJson) : null;
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
    /** Reads back the compact JSON this decoder wrote (no limits needed: it was read within them once). */
    private static final ObjectMapper TREES = new ObjectMapper()
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private final JsonFactory factory;
    private final JsonFactory strict;
    private final int maxEventBytes;
    private final int maxBatchEvents;

    public EventDecoder(int maxDepth, int maxEventBytes, int maxBatchEvents) {
        StreamReadConstraints limits = StreamReadConstraints.builder().maxNestingDepth(maxDepth).build();
        this.factory = JsonFactory.builder().streamReadConstraints(limits).build();
        this.strict = JsonFactory.builder().streamReadConstraints(limits)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        this.maxEventBytes = maxEventBytes;
        this.maxBatchEvents = maxBatchEvents;
    }

    /** Reads a body; {@code headers} are the binary-mode attributes ({@code ce_id} ...) or empty. */
    public Decoded decode(byte[] body, Format format, Map<String, String> headers) {
        int invalid = firstInvalidUtf8(body);
        if (invalid >= 0) {
            return new Unreadable("body is not valid UTF-8 (at byte " + invalid + ")");
        }
        try (JsonParser parser = factory.createParser(body)) {
            return read(parser, format, headers);
        } catch (IOException | NumberFormatException e) {
            return new Unreadable("body is not valid JSON: " + firstLine(firstError(body, e)));
        }
    }

    /**
     * Why a body is not JSON, in the words of the first defect in reading order. The fast pass finds a duplicate name
     * after the parser has looked ahead at its value, so a body with both defects there is read again, rarely, by a
     * parser that checks names itself ({@code STRICT_DUPLICATE_DETECTION}), as the tree decoder did.
     */
    private String firstError(byte[] body, Exception fast) {
        try (JsonParser parser = strict.createParser(body);
                JsonGenerator nowhere = strict.createGenerator(OutputStream.nullOutputStream())) {
            if (parser.nextToken() != null) {
                new Copy(false).value(parser, nowhere, 1);
                noTrailingTokens(parser);
            }
        } catch (IOException | NumberFormatException e) {
            return message(e);
        }
        return message(fast);
    }

    private static String message(Exception e) {
        // NumberFormatException: an exponent beyond int ({"n":1e2147483648}), which Jackson throws unwrapped
        return e instanceof JsonProcessingException jpe
                ? jpe.getOriginalMessage()
                : e instanceof NumberFormatException ? e.getMessage() : "unreadable";
    }

    private Decoded read(JsonParser parser, Format format, Map<String, String> headers) throws IOException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            return new Unreadable("body is empty");
        }
        boolean batch = format == Format.CLOUDEVENT_BATCH
                || (format == Format.NATIVE && first == JsonToken.START_ARRAY);
        List<DecodedEvent> events = new ArrayList<>();
        if (batch) {
            if (first != JsonToken.START_ARRAY) {
                return rest(parser, new Unreadable("body must be a JSON array of events"));
            }
            int count = 0;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                if (++count > maxBatchEvents) {
                    skip(parser); // the body is still read to its end: a syntax error there comes first
                } else {
                    events.add(element(parser, format, headers));
                }
            }
            noTrailingTokens(parser);
            if (count == 0) {
                return new Unreadable("batch is empty");
            }
            if (count > maxBatchEvents) {
                return new TooLarge("batch has " + count + " events; at most " + maxBatchEvents + " allowed");
            }
            return new Events(events);
        }
        if (first != JsonToken.START_OBJECT) {
            return rest(parser, new Unreadable("body must be a JSON object (an event) or an array of events"));
        }
        DecodedEvent event = element(parser, format, headers);
        noTrailingTokens(parser);
        if (event.payloadJson().length > maxEventBytes) {
            return new TooLarge("event is larger than " + maxEventBytes + " bytes");
        }
        return new Events(List.of(event));
    }

    /** Reads the rest of a body that is refused for its shape: a syntax error anywhere in it is reported first. */
    private Decoded rest(JsonParser parser, Decoded answer) throws IOException {
        skip(parser);
        noTrailingTokens(parser);
        return answer;
    }

    /**
     * Reads a value to its end as the tree did, numbers included ({@code skipChildren} would not convert them, and a
     * number Jackson cannot read makes the whole body unreadable), writing nothing.
     */
    private void skip(JsonParser parser) throws IOException {
        try (JsonGenerator nowhere = factory.createGenerator(OutputStream.nullOutputStream())) {
            new Copy(true).value(parser, nowhere, 1);
        }
    }

    /** The same refusal, word for word, as {@code DeserializationFeature.FAIL_ON_TRAILING_TOKENS} gave. */
    private static void noTrailingTokens(JsonParser parser) throws IOException {
        JsonToken trailing = parser.nextToken();
        if (trailing != null) {
            throw new JsonParseException(parser, "Trailing token (of type " + trailing
                    + ") found after value (bound as `com.fasterxml.jackson.databind.JsonNode`): not allowed as per"
                    + " `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`");
        }
    }

    /** One element, the parser on its first token: copied to compact JSON, checked, and mapped. */
    private DecodedEvent element(JsonParser parser, Format format, Map<String, String> headers) throws IOException {
        ByteArrayBuilder out = new ByteArrayBuilder(512);
        Copy copy = new Copy(true);
        try (JsonGenerator generator = factory.createGenerator(out)) {
            copy.value(parser, generator, 0);
        }
        byte[] json = out.toByteArray();
        Map<String, String> eventHeaders = format == Format.CLOUDEVENT_BINARY ? headers : Map.of();
        if (copy.unstorable != null) {
            return new DecodedEvent(json, false, null, null, null, null, eventHeaders,
                    Optional.of(new Violation("$", copy.unstorable)));
        }
        boolean object = parser.currentToken() == JsonToken.END_OBJECT;
        boolean structured = object && copy.specversion != null && copy.specversion != JsonToken.VALUE_NULL;
        if (structured || format != Format.NATIVE) {
            return cloudEvent(json, object, structured, copy, format, eventHeaders);
        }
        if (json.length > maxEventBytes) {
            return problem(json, object ? json : null, copy, eventHeaders,
                    new Violation("$", "event is larger than " + maxEventBytes + " bytes"));
        }
        if (!object) {
            return problem(json, null, copy, eventHeaders, new Violation("$", "must be a JSON object"));
        }
        return new DecodedEvent(json, true, json, null, copy.eventId, copy.eventType, eventHeaders, Optional.empty());
    }

    private static DecodedEvent problem(byte[] json, byte[] canonical, Copy copy, Map<String, String> headers,
            Violation problem) {
        return new DecodedEvent(json, true, canonical, null, canonical == null ? null : copy.eventId,
                canonical == null ? null : copy.eventType, headers, Optional.of(problem));
    }

    /** A CloudEvent, or an element of a CloudEvents body: mapped through a tree, as promotion maps it. */
    private DecodedEvent cloudEvent(byte[] json, boolean object, boolean structured, Copy copy, Format format,
            Map<String, String> headers) {
        JsonNode element = tree(json);
        ObjectNode canonical = CloudEvents.canonical(element, headers);
        Optional<Violation> problem = Optional.empty();
        if (json.length > maxEventBytes) {
            problem = Optional.of(new Violation("$", "event is larger than " + maxEventBytes + " bytes"));
        } else if ((format == Format.CLOUDEVENT || format == Format.CLOUDEVENT_BATCH) && !structured) {
            problem = Optional.of(new Violation("specversion", "a structured CloudEvent needs specversion"));
        } else if (structured && !CloudEvents.isSupportedVersion(element.get("specversion"))) {
            problem = Optional.of(new Violation("specversion", "must be " + CloudEvents.SPEC_VERSION));
        } else if (format == Format.CLOUDEVENT_BINARY
                && !CloudEvents.SPEC_VERSION.equals(headers.get(CloudEvents.HEADER_PREFIX + "specversion"))) {
            problem = Optional.of(new Violation("specversion", "the ce-specversion header must be "
                    + CloudEvents.SPEC_VERSION));
        } else if (canonical == null) {
            problem = Optional.of(new Violation(object ? "data" : "$", "must be a JSON object"));
        }
        return new DecodedEvent(json, true, null, canonical, claimed(canonical, "event_id"),
                claimed(canonical, "event_type"), headers, problem);
    }

    private static String claimed(ObjectNode canonical, String field) {
        JsonNode value = canonical == null ? null : canonical.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }

    private static JsonNode tree(byte[] json) {
        try {
            return TREES.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("compact JSON written by the decoder could not be read back", e);
        }
    }

    /**
     * Copies one value token by token, as a tree written back would (integers as int, long or BigInteger, other
     * numbers as exact decimals), noting the first value jsonb refuses and the element's top-level claims.
     */
    private static final class Copy {

        /** Whether to refuse duplicate names itself (false where the parser does). */
        private final boolean names;
        String unstorable;
        JsonToken specversion;
        String eventId;
        String eventType;

        Copy(boolean names) {
            this.names = names;
        }

        void value(JsonParser p, JsonGenerator g, int depth) throws IOException {
            switch (p.currentToken()) {
                case START_OBJECT -> {
                    g.writeStartObject();
                    Names seen = names ? new Names() : null;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String name = p.currentName();
                        if (seen != null) {
                            seen.add(p, name);
                        }
                        check(name);
                        g.writeFieldName(name);
                        JsonToken value = p.nextToken();
                        if (depth == 0) {
                            claim(name, value, p);
                        }
                        value(p, g, depth + 1);
                    }
                    g.writeEndObject();
                }
                case START_ARRAY -> {
                    g.writeStartArray();
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        value(p, g, depth + 1);
                    }
                    g.writeEndArray();
                }
                case VALUE_STRING -> {
                    char[] text = p.getTextCharacters();
                    int offset = p.getTextOffset(), length = p.getTextLength();
                    check(text, offset, length);
                    g.writeString(text, offset, length);
                }
                case VALUE_NUMBER_INT -> {
                    switch (p.getNumberType()) {
                        case INT -> g.writeNumber(p.getIntValue());
                        case LONG -> g.writeNumber(p.getLongValue());
                        default -> g.writeNumber(p.getBigIntegerValue());
                    }
                }
                case VALUE_NUMBER_FLOAT -> {
                    BigDecimal value = p.getDecimalValue();
                    if (unstorable == null && (value.scale() > PG_NUMERIC_MAX_SCALE
                            || value.precision() - value.scale() > PG_NUMERIC_MAX_INTEGER_DIGITS)) {
                        unstorable = "a number is outside the range PostgreSQL can store";
                    }
                    g.writeNumber(value);
                }
                case VALUE_TRUE -> g.writeBoolean(true);
                case VALUE_FALSE -> g.writeBoolean(false);
                case VALUE_NULL -> g.writeNull();
                default -> throw new IllegalStateException("unexpected token " + p.currentToken());
            }
        }

        private void claim(String name, JsonToken value, JsonParser p) throws IOException {
            switch (name) {
                case "specversion" -> specversion = value;
                case "event_id" -> eventId = value == JsonToken.VALUE_STRING ? p.getText() : null;
                case "event_type" -> eventType = value == JsonToken.VALUE_STRING ? p.getText() : null;
                default -> {
                }
            }
        }

        private void check(String name) {
            for (int i = 0; unstorable == null && i < name.length(); i++) {
                char c = name.charAt(i);
                if (c < ' ' || c >= Character.MIN_SURROGATE) {
                    unstorable = storableText(name.toCharArray(), 0, name.length());
                }
            }
        }

        private void check(char[] text, int offset, int length) {
            if (unstorable == null) {
                unstorable = storableText(text, offset, length);
            }
        }
    }

    /**
     * The names of one object so far, to refuse a duplicate exactly as the parser's {@code STRICT_DUPLICATE_DETECTION}
     * does (same message, same place) for less: the parser's detector hashes every name of every object from the
     * third on; objects here are small and their names canonical, so a scan of an array is cheaper, with a set only
     * for large objects.
     */
    private static final class Names {

        private static final int SCAN = 16;

        private String[] seen;
        private int count;
        private Set<String> many;

        void add(JsonParser p, String name) throws JsonParseException {
            boolean fresh;
            if (many != null) {
                fresh = many.add(name);
            } else {
                fresh = true;
                for (int i = 0; i < count; i++) {
                    String other = seen[i];
                    if (other == name || other.hashCode() == name.hashCode() && other.equals(name)) {
                        fresh = false;
                        break;
                    }
                }
                if (fresh) {
                    remember(name);
                }
            }
            if (!fresh) {
                throw new JsonParseException(p, "Duplicate field '" + name + "'");
            }
        }

        private void remember(String name) {
            if (seen == null) {
                seen = new String[SCAN];
            }
            if (count < SCAN) {
                seen[count++] = name;
                return;
            }
            many = new HashSet<>(Arrays.asList(seen));
            many.add(name);
        }
    }

    /** PostgreSQL's jsonb refuses NUL characters and lone surrogates; null when the text is fine. */
    private static String storableText(char[] text, int offset, int length) {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            char c = text[i];
            if (c >= ' ' && c < Character.MIN_SURROGATE) {
                continue;
            }
            if (c == 0) {
                return "text must not contain the NUL character (\\u0000)";
            }
            if (Character.isHighSurrogate(c) && (i + 1 == end || !Character.isLowSurrogate(text[i + 1]))
                    || Character.isLowSurrogate(c) && (i == offset || !Character.isHighSurrogate(text[i - 1]))) {
                return "text must not contain unpaired UTF-16 surrogates";
            }
        }
        return null;
    }

    /**
     * The offset of the first byte that breaks RFC 3629 UTF-8, or -1. Stricter than the JSON parser, which lets
     * overlong forms ({@code C0 AF} for '/') through: no overlongs, no encoded surrogates, nothing above U+10FFFF.
     */
    static int firstInvalidUtf8(byte[] bytes) {
        int i = 0;
        while (i < bytes.length) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                i++;
                continue;
            }
            int length = lead >= 0xC2 && lead <= 0xDF
                    ? 2
                    : lead >= 0xE0 && lead <= 0xEF
                            ? 3
                            : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
            if (length == 0 || i + length > bytes.length) {
                return i;
            }
            int second = bytes[i + 1] & 0xFF;
            boolean outOfRange = lead == 0xE0 && second < 0xA0 || lead == 0xED && second > 0x9F
                    || lead == 0xF0 && second < 0x90 || lead == 0xF4 && second > 0x8F;
            if (outOfRange) {
                return i;
            }
            for (int k = 1; k < length; k++) {
                if ((bytes[i + k] & 0xC0) != 0x80) {
                    return i;
                }
            }
            i += length;
        }
        return -1;
    }

    static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
