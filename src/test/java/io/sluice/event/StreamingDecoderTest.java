package io.sluice.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import jakarta.validation.Validation;

import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.sluice.event.EventDecoder.DecodedEvent;
import io.sluice.event.EventDecoder.Format;

/**
 * The one-pass decoder against the tree decoder it replaced ({@link ReferenceEventDecoder}): for crafted bodies of
 * every kind (duplicate keys, huge and odd numbers, NUL and surrogates, nesting at the limit, CloudEvents in every
 * form, non-object elements, limits, syntax errors) and for random ones, the same outcome, the same detail, the same
 * bytes per element, the same problem, claims and canonical event, and the same violations from the validator.
 */
class StreamingDecoderTest {

    private static final EventDecoder DECODER = new EventDecoder(32, 2_048, 20);
    private static final ReferenceEventDecoder REFERENCE = new ReferenceEventDecoder(32, 2_048, 20);
    private static final EventValidator VALIDATOR = new EventValidator(new ObjectMapper(),
            Validation.byDefaultProvider().configure().messageInterpolator(new ParameterMessageInterpolator())
                    .buildValidatorFactory().getValidator(),
            Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC), Duration.ofMinutes(5));

    private static final String EVENT = """
            {"event_id":"evt-1","event_type":"purchase","occurred_at":"2026-11-21T09:00:00Z","user_id":"u",
             "order":{"order_id":"o-1","currency":"EUR","total":25.00,
                      "items":[{"sku":"S-1","quantity":2,"unit_price":12.50}]},"price":12.50}""";
    private static final String CLOUD_EVENT = """
            {"specversion":"1.0","id":"ce-1","type":"com.example.shop.page_view","source":"/web",
             "time":"2026-11-21T09:00:00Z","data":{"anonymous_id":"a","page":{"url":"https://x.example/"}}}""";
    private static final Map<String, String> BINARY = Map.of("ce_specversion", "1.0", "ce_id", "bin-1", "ce_type",
            "add_to_cart", "ce_source", "/cart", "ce_time", "2026-11-21T09:00:00Z");

    @Test
    void craftedBodiesGetTheSameAnswers() {
        List<String> bodies = new ArrayList<>(List.of(EVENT, "[" + EVENT + "," + EVENT + "]", CLOUD_EVENT,
                "[" + CLOUD_EVENT + "," + EVENT + "]", "", "   ", "null", "42", "\"x\"", "true", "[]", "{}", "[{}]",
                "{} {}", "{} x", "[] []", "{\"a\":1} 2", "{\"a\":", "[1,", "{'a':1}", "{\"n\":NaN}", "{\"n\":01}",
                "[1,\"x\",null,[],true,{}," + EVENT + "]", "[[" + EVENT + "]]", "{\"a\":1}\n"));
        // duplicate keys, at every depth and inside one element of a batch
        bodies.addAll(
                List.of("{\"a\":1,\"a\":2}", "{\"o\":{\"b\":1,\"b\":1}}", "[" + EVENT + ",{\"x\":[{\"k\":1,\"k\":2}]}]",
                        EVENT.replace("\"price\"", "\"user_id\""), CLOUD_EVENT.replace("\"source\"", "\"id\"")));
        // numbers: exact decimals, exponents, signs, ranges of int/long/BigInteger, jsonb's numeric range, lengths
        for (String n : List.of("0", "-0", "-0.0", "1.0", "1.50", "12.500", "1e2", "1E+2", "1.0E-5", "0.1e-3", "-1e-7",
                "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
                "123456789012345678901234567890", "1e999999", "1e-20000", "1e16383", "1e-16383", "1e-16384",
                "1e131071", "1e131072", "9".repeat(999), "9".repeat(1001), "1." + "0".repeat(1100), "1e2147483648",
                "1e-2147483649", "3.14159265358979323846264338327950288")) {
            bodies.add(EVENT.replace("12.50}", n + "}"));
            bodies.add(EVENT.replace("\"quantity\":2", "\"quantity\":" + n));
            bodies.add(EVENT.replace("25.00", n));
            bodies.add("[" + n + "]");
        }
        // text jsonb refuses, in values and in keys, escaped and raw; pairs that are fine; escapes written anew
        for (String s : List.of("a\\u0000b", "\\u0000", "\\ud800", "\\udc00", "x\\ud800", "\\ud834\\udd1e",
                "\\udd1e\\ud834", "𝄞", "é", "\\u00e9", "\\/", "\\t\\n\\r\\b\\f", "\\u001f", "\\u007f", "\\u2028",
                "\uFEFF", "\\\"", "\\\\", "\\u0041")) {
            bodies.add(EVENT.replace("\"u\"", "\"" + s + "\""));
            bodies.add(EVENT.replace("\"price\"", "\"" + s + "\""));
            bodies.add(EVENT.replace("\"evt-1\"", "\"" + s + "\""));
            bodies.add("[" + EVENT + ",\"" + s + "\",{\"" + s + "\":1}]");
            bodies.add(CLOUD_EVENT.replace("\"a\"", "\"" + s + "\""));
        }
        bodies.add("{\"s\":\"" + (char) 1 + "\"}");
        // nesting at, under and over the limit
        for (int depth : List.of(30, 31, 32, 33, 40)) {
            bodies.add("{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}");
            bodies.add("[" + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "]");
        }
        // size limits: a large element alone, in a batch; batches over the limit, with a syntax error behind
        String big = EVENT.replace("\"u\"", "\"" + "u".repeat(3_000) + "\"");
        bodies.addAll(List.of(big, "[" + big + "," + EVENT + "]", "[\"" + "x".repeat(3_000) + "\"]",
                "[" + (EVENT + ",").repeat(20) + EVENT + "]", "[" + (EVENT + ",").repeat(19) + EVENT + "]",
                "[" + "1,".repeat(30) + "1]", "[" + "1,".repeat(30) + "1",
                "[" + "{},".repeat(25) + "{\"a\":1,\"a\":1}]"));
        // what the validator binds: wrong types, ranges, coercions, nulls, every section
        for (String[] swap : new String[][]{{"\"evt-1\"", "123"}, {"\"evt-1\"", "true"}, {"\"evt-1\"", "{}"},
                {"\"evt-1\"", "null"}, {"\"quantity\":2", "\"quantity\":1.5"}, {"\"quantity\":2", "\"quantity\":\"2\""},
                {"\"quantity\":2", "\"quantity\":99999999999"}, {"\"quantity\":2", "\"quantity\":null"},
                {"\"quantity\":2", "\"quantity\":[2]"}, {"\"quantity\":2", "\"quantity\":0"},
                {"25.00", "\"25.00\""}, {"25.00", "-1"}, {"25.00", "1e30"}, {"25.00", "\"x\""}, {"25.00", "true"},
                {"\"items\":[", "\"items\":[null,"}, {"\"items\":[", "\"items\":[1,"}, {"\"EUR\"", "\"eur\""},
                {"\"EUR\"", "\"XXY\""}, {"\"order\":", "\"properties\":[1],\"order\":"},
                {"\"order\":", "\"properties\":{\"a\":[1,{\"b\":null}]},\"order\":"},
                {"\"order\":", "\"page\":1,\"order\":"},
                {"\"order\":", "\"context\":{\"ip\":5},\"order\":"}, {"\"order\":", "\"schema_version\":0,\"order\":"},
                {"\"purchase\"", "\"page_view\""}, {"\"purchase\"", "\"product_view\""}, {"\"purchase\"", "\"x\""},
                {"2026-11-21T09:00:00Z", "2026-11-21T11:00:00Z"}, {"2026-11-21T09:00:00Z", "yesterday"},
                {"\"user_id\":\"u\"", "\"anonymous_id\":\"\""}, {"\"order\":{", "\"order\":[{"}}) {
            bodies.add(EVENT.replace(swap[0], swap[1]));
        }
        for (String body : bodies) {
            for (Format format : Format.values()) {
                same(body, format, Map.of());
                same(body, format, BINARY);
            }
        }
    }

    @Test
    void cloudEventsInEveryFormGetTheSameAnswers() {
        List<String> bodies = new ArrayList<>();
        for (String[] swap : new String[][]{{"", ""}, {"\"1.0\"", "\"0.3\""}, {"\"1.0\"", "1.0"}, {"\"1.0\"", "null"},
                {"\"1.0\"", "{}"}, {"\"ce-1\"", "42"}, {"\"ce-1\"", "4.20"}, {"\"ce-1\"", "{\"x\":1}"},
                {"\"ce-1\"", "null"},
                {"\"ce-1\"", "true"}, {"com.example.shop.page_view", "page_view"}, {"com.example.shop.page_view", "x."},
                {"\"time\":\"2026-11-21T09:00:00Z\",", ""}, {",\"data\":{", ",\"other\":{"},
                {"\"data\":{", "\"data\":[{"},
                {"\"data\":{", "\"data\":{\"event_id\":\"inner\",\"event_type\":7,\"occurred_at\":1,"},
                {"\"source\":\"/web\"", "\"source\":[1]"}, {"\"a\"", "\"a\",\"cloudevent_source\":3"}}) {
            String body = swap[0].isEmpty() ? CLOUD_EVENT : CLOUD_EVENT.replace(swap[0], swap[1]);
            bodies.add(body);
            bodies.add("[" + body + "," + EVENT + "," + body + "]");
        }
        bodies.add("{\"user_id\":\"u\",\"quantity\":1,\"product\":{\"sku\":\"s\"}}");
        bodies.add("{\"user_id\":\"u\",\"quantity\":\"x\",\"event_id\":\"own\"}");
        List<Map<String, String>> headers = List.of(Map.of(), BINARY, Map.of("ce_id", "only-id"),
                Map.of("ce_specversion", "0.3", "ce_id", "b"), Map.of("ce_specversion", "1.0"));
        for (String body : bodies) {
            for (Format format : Format.values()) {
                for (Map<String, String> h : headers) {
                    same(body, format, h);
                }
            }
        }
    }

    @Test
    void randomBodiesAndTheirMutationsGetTheSameAnswers() {
        Random random = new Random(13);
        for (int i = 0; i < 3_000; i++) {
            StringBuilder json = new StringBuilder();
            randomValue(random, json, 0, true);
            String body = json.toString();
            Format format = Format.values()[random.nextInt(Format.values().length)];
            same(body, format, random.nextBoolean() ? Map.of() : BINARY);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > 0) {
                bytes[random.nextInt(bytes.length)] = (byte) "{}[],:\"0e.-\\ ax\u0000".charAt(random.nextInt(16));
                same(bytes, format, Map.of());
            }
        }
    }

    private static void randomValue(Random random, StringBuilder out, int depth, boolean top) {
        int kind = top ? (random.nextBoolean() ? 0 : 1) : random.nextInt(depth > 6 ? 6 : 8);
        switch (kind) {
            case 0, 6 -> {
                out.append('{');
                int n = random.nextInt(6);
                for (int i = 0; i < n; i++) {
                    out.append(i == 0 ? "" : ",").append('"')
                            .append(List.of("event_id", "event_type", "occurred_at", "user_id", "quantity", "order",
                                    "specversion", "id", "type", "data", "items", "k" + random.nextInt(4), "price",
                                    "properties", "product", "sku").get(random.nextInt(16)))
                            .append("\":");
                    randomValue(random, out, depth + 1, false);
                }
                out.append('}');
            }
            case 1, 7 -> {
                out.append('[');
                int n = random.nextInt(5);
                for (int i = 0; i < n; i++) {
                    out.append(i == 0 ? "" : ",");
                    randomValue(random, out, depth + 1, depth == 0 && random.nextBoolean());
                }
                out.append(']');
            }
            case 2 -> out.append('"').append(List.of("1.0", "evt-" + random.nextInt(9), "purchase", "page_view",
                    "2026-11-21T09:00:00Z", "\\u0000", "\\ud800", "é", "EUR", "").get(random.nextInt(10))).append('"');
            case 3 -> out.append(List.of("0", "-1", "2", "1.5", "12.50", "1e3", "99999999999", "1e-99999", "-0.0", "7")
                    .get(random.nextInt(10)));
            case 4 -> out.append(List.of("true", "false", "null").get(random.nextInt(3)));
            default -> out.append("\"s\"");
        }
    }

    private static void same(String body, Format format, Map<String, String> headers) {
        same(body.getBytes(StandardCharsets.UTF_8), format, headers);
    }

    private static void same(byte[] body, Format format, Map<String, String> headers) {
        String what = format + " " + headers.keySet() + " " + new String(body, StandardCharsets.UTF_8);
        EventDecoder.Decoded now = DECODER.decode(body, format, headers);
        ReferenceEventDecoder.Decoded before;
        try {
            before = REFERENCE.decode(body, format, headers);
        } catch (NumberFormatException e) {
            // the tree decoder let this escape (a 500 at the webhook, a dead letter from Kafka): now it is a 400
            before = new ReferenceEventDecoder.Unreadable("body is not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (before instanceof ReferenceEventDecoder.Unreadable unreadable) {
            assertThat(now).as(what).isEqualTo(new EventDecoder.Unreadable(unreadable.detail()));
            return;
        }
        if (before instanceof ReferenceEventDecoder.TooLarge tooLarge) {
            assertThat(now).as(what).isEqualTo(new EventDecoder.TooLarge(tooLarge.detail()));
            return;
        }
        List<ReferenceEventDecoder.DecodedEvent> expected = ((ReferenceEventDecoder.Events) before).events();
        assertThat(now).as(what).isInstanceOf(EventDecoder.Events.class);
        List<DecodedEvent> actual = ((EventDecoder.Events) now).events();
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            ReferenceEventDecoder.DecodedEvent old = expected.get(i);
            DecodedEvent event = actual.get(i);
            String element = what + " element " + i;
            assertThat(new String(event.payloadJson(), StandardCharsets.UTF_8)).as(element)
                    .isEqualTo(new String(old.payloadJson(), StandardCharsets.UTF_8));
            assertThat(event.payloadJson()).as(element).isEqualTo(old.payloadJson());
            assertThat(event.problem()).as(element).isEqualTo(old.problem());
            assertThat(event.storable()).as(element).isEqualTo(old.payload() != null);
            assertThat(event.payload()).as(element).isEqualTo(old.payload());
            assertThat(event.canonical()).as(element).isEqualTo(old.canonical());
            assertThat(event.hasCanonical()).as(element).isEqualTo(old.canonical() != null);
            assertThat(event.eventId()).as(element).isEqualTo(old.eventId());
            assertThat(event.eventType()).as(element).isEqualTo(old.eventType());
            assertThat(event.headers()).as(element).isEqualTo(old.headers());
            if (old.problem().isEmpty()) {
                assertThat(VALIDATOR.validate(event)).as(element).isEqualTo(VALIDATOR.validate(old.canonical()));
            }
        }
    }
}
