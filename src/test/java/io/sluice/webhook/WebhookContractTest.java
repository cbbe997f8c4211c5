package io.sluice.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.ValidatableResponse;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/**
 * SPEC.md section 4 against the real PostgreSQL: every body format lands in bronze, per-event results (202 with
 * accepted/duplicates/rejected, 422 when all are invalid), webhook-id redelivery, and the 400/413/415 problems.
 */
@QuarkusTest
class WebhookContractTest {

    private static final String PATH = "/v1/webhooks/dev";
    private static final String PROBLEM = "application/problem+json";

    @Test
    void nativeSingleEventIsAcceptedAndLandsAsReceived() {
        String eventId = Events.freshId();
        String webhookId = "msg_" + UUID.randomUUID();

        post(webhookId, Events.pageView(eventId), "application/json")
                .statusCode(202)
                .contentType(startsWith("application/json"))
                .body("accepted", equalTo(1))
                .body("duplicates", equalTo(0))
                .body("rejected", empty());

        Map<String, Object> row = Db.rows("""
                SELECT event_type, channel, source, payload->'page'->>'title' AS title, headers->>'webhook-id' AS wid
                FROM bronze.events WHERE event_id = ?""", eventId).get(0);
        assertThat(row).containsEntry("event_type", "page_view").containsEntry("channel", "webhook")
                .containsEntry("source", "dev").containsEntry("title", "Home").containsEntry("wid", webhookId);
        // in a landed batch awaiting promotion, or already promoted (batch row and silver row change in one
        // transaction, and one statement sees one snapshot)
        assertThat(Db.count("""
                SELECT (SELECT count(*) FROM bronze.events b JOIN bronze.promotion_batches p
                          ON p.batch_id = b.id / 65536 AND p.received_at = b.received_at WHERE b.event_id = ?)
                     + (SELECT count(*) FROM silver.events WHERE event_id = ?)""", eventId, eventId)).isEqualTo(1);
    }

    @Test
    void nativeArrayLandsEveryEvent() {
        String a = Events.freshId(), b = Events.freshId(), c = Events.freshId();
        String body = "[" + Events.pageView(a) + "," + Events.productView(b, "SKU-C1", "12.50",
                "2026-11-20T09:00:00+01:00") + "," + Events.purchase(c, "SKU-C2", 3, "1.10") + "]";

        Signer.post(body).then().statusCode(202).body("accepted", equalTo(3)).body("rejected", empty());

        assertThat(Db.rows("SELECT event_type FROM bronze.events WHERE event_id IN (?, ?, ?) ORDER BY id", a, b, c))
                .extracting(r -> r.get("event_type")).containsExactly("page_view", "product_view", "purchase");
    }

    @Test
    void structuredCloudEventMapsIdTypeAndTime() {
        String eventId = Events.freshId();

        post("msg_" + UUID.randomUUID(), cloudEvent(eventId, "com.example.page_view"), "application/cloudevents+json")
                .statusCode(202).body("accepted", equalTo(1));

        Map<String, Object> row = Db.rows("""
                SELECT event_type, payload->>'specversion' AS specversion, payload->>'source' AS source
                FROM bronze.events WHERE event_id = ?""", eventId).get(0);
        assertThat(row).containsEntry("event_type", "page_view").containsEntry("specversion", "1.0")
                .containsEntry("source", "/shop/frontend");
    }

    @Test
    void cloudEventBatchLandsEveryEventAndRejectsAPlainOne() {
        String a = Events.freshId(), b = Events.freshId(), plain = Events.freshId();
        String body = "[" + cloudEvent(a, "page_view") + "," + cloudEvent(b, "io.shop.page_view") + ","
                + Events.pageView(plain) + "]";

        post("msg_" + UUID.randomUUID(), body, "application/cloudevents-batch+json")
                .statusCode(202)
                .body("accepted", equalTo(2))
                .body("rejected.index", contains(2))
                .body("rejected[0].violations.field", contains("specversion"));

        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id IN (?, ?)", a, b)).isEqualTo(2);
        assertThat(Db.count("SELECT count(*) FROM bronze.rejected_events WHERE event_id = ?", plain)).isEqualTo(1);
    }

    @Test
    void binaryModeCloudEventTakesItsAttributesFromHeaders() {
        String eventId = Events.freshId();
        String data = """
                {"anonymous_id":"anon-b","page":{"url":"https://shop.example/binary"}}""";
        String webhookId = "msg_" + UUID.randomUUID();
        long now = Instant.now().getEpochSecond();

        Signer.signed(Signer.DEV_SECRET, webhookId, now, data, "application/json")
                .header("ce-specversion", "1.0")
                .header("ce-id", eventId)
                .header("ce-type", "com.example.page_view")
                .header("ce-source", "/shop/binary")
                .header("ce-time", "2026-11-20T08:00:00Z")
                .when().post(PATH)
                .then().statusCode(202).body("accepted", equalTo(1));

        Map<String, Object> row = Db.rows("""
                SELECT event_type, payload->>'anonymous_id' AS anon, headers->>'ce_source' AS source,
                       headers->>'ce_time' AS time FROM bronze.events WHERE event_id = ?""", eventId).get(0);
        assertThat(row).containsEntry("event_type", "page_view").containsEntry("anon", "anon-b")
                .containsEntry("source", "/shop/binary").containsEntry("time", "2026-11-20T08:00:00Z");
    }

    @Test
    void mixedBatchStoresTheValidListsTheInvalidAndCountsRepeatsInsideTheRequest() {
        String good = Events.freshId(), again = Events.freshId(), bad = Events.freshId(), known = Events.freshId();
        Signer.post(Events.pageView(known)).then().statusCode(202);
        String badPurchase = Events.purchase(bad, "SKU-M1", 2, "3.00").replace("\"quantity\":2", "\"quantity\":0");
        String body = "[" + Events.pageView(good) + "," + badPurchase + "," + Events.pageView(again) + ","
                + Events.pageView(again) + "," + Events.pageView(known) + "]";

        Signer.post(body).then()
                .statusCode(202)
                .body("accepted", equalTo(3))
                .body("duplicates", equalTo(1))
                .body("rejected.size()", equalTo(1))
                .body("rejected[0].index", equalTo(1))
                .body("rejected[0].event_id", equalTo(bad))
                .body("rejected[0].violations.field", contains("order.items[0].quantity"))
                .body("rejected[0].violations[0].message", containsString("1"));

        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id IN (?, ?)", good, again)).isEqualTo(2);
        // an event delivered by an earlier request is a new delivery: bronze keeps both, silver has one row
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", known)).isEqualTo(2);
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", bad)).isZero();
        Map<String, Object> rejected = Db.rows("""
                SELECT reason, violations->0->>'field' AS field, payload->'order'->>'order_id' AS order_id
                FROM bronze.rejected_events WHERE event_id = ?""", bad).get(0);
        assertThat(rejected).containsEntry("reason", "invalid").containsEntry("field", "order.items[0].quantity")
                .containsEntry("order_id", "order-" + bad);
    }

    @Test
    void requestWhoseEveryEventIsInvalidIs422AndTheEventsAreKeptAsRejected() {
        String a = Events.freshId(), b = Events.freshId();
        String body = "[" + Events.pageView(a).replace("https://shop.example/home", "not a url") + ","
                + Events.productView(b, "SKU-X", "1.00", "2026-11-20T09:00:00Z").replace("EUR", "EURO") + "]";

        Signer.post(body).then()
                .statusCode(422)
                .contentType(startsWith("application/json"))
                .body("accepted", equalTo(0))
                .body("rejected.event_id", contains(a, b))
                .body("rejected[0].violations.field", contains("page.url"))
                .body("rejected[1].violations.field", contains("product.currency"));

        assertThat(Db.count("SELECT count(*) FROM bronze.rejected_events WHERE event_id IN (?, ?)", a, b))
                .isEqualTo(2);
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id IN (?, ?)", a, b)).isZero();
    }

    @Test
    void redeliveryWithTheSameWebhookIdGetsTheFirstAnswerAndStoresNothingNew() {
        String good = Events.freshId(), bad = Events.freshId();
        String body = "[" + Events.pageView(good) + "," + Events.pageView(bad).replace("anon-1", "") + "]";
        String webhookId = "msg_" + UUID.randomUUID();

        String first = post(webhookId, body, "application/json").statusCode(202).extract().asString();
        String second = post(webhookId, body, "application/json").statusCode(202).extract().asString();
        String third = post(webhookId, body, "application/json").statusCode(202).extract().asString();

        assertThat(json(second)).isEqualTo(json(first));
        assertThat(json(third)).isEqualTo(json(first));
        assertThat(json(first).get("accepted").asInt()).isEqualTo(1);
        assertThat(json(first).at("/rejected/0/violations/0/field").asText()).isEqualTo("user_id");
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", good)).isEqualTo(1);
        assertThat(Db.count("SELECT count(*) FROM bronze.rejected_events WHERE event_id = ?", bad)).isEqualTo(1);
        assertThat(Db.count("SELECT count(*) FROM bronze.webhook_deliveries WHERE webhook_id = ?", webhookId))
                .isEqualTo(1);
    }

    @Test
    void redeliveryOf422IsAnswered422Again() {
        String bad = Events.freshId();
        String body = Events.pageView(bad).replace("page_view", "page_visit");
        String webhookId = "msg_" + UUID.randomUUID();

        post(webhookId, body, "application/json").statusCode(422).body("rejected[0].violations.field",
                contains("event_type"));
        post(webhookId, body, "application/json").statusCode(422).body("rejected[0].event_id", equalTo(bad));

        assertThat(Db.count("SELECT count(*) FROM bronze.rejected_events WHERE event_id = ?", bad)).isEqualTo(1);
    }

    @Test
    void theSameEventInANewRequestIsAnotherDeliveryInBronzeAndOneRowInSilver() {
        String eventId = Events.freshId();

        Signer.post(Events.pageView(eventId)).then().statusCode(202).body("accepted", equalTo(1));
        Signer.post(Events.pageView(eventId)).then().statusCode(202).body("accepted", equalTo(1))
                .body("duplicates", equalTo(0));

        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isEqualTo(2);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId)).isEqualTo(1);
            assertThat(Db.count("""
                    SELECT count(*) FROM bronze.events b JOIN bronze.promotion_batches p
                      ON p.batch_id = b.id / 65536 WHERE b.event_id = ?""", eventId)).isZero();
        });
    }

    @Test
    void bodyThatIsNotJsonIs400ProblemAndStoresNothing() {
        String webhookId = "msg_" + UUID.randomUUID();

        problem(post(webhookId, "{\"event_id\": \"x\", ", "application/json"), 400)
                .body("type", equalTo("https://sluice.io/problems/malformed-body"))
                .body("detail", containsString("not valid JSON"));

        assertThat(storedFor(webhookId)).isZero();
    }

    @Test
    void otherContentTypesAre415Problems() {
        String eventId = Events.freshId();
        for (String type : List.of("text/plain", "application/xml", "text/csv",
                "application/octet-stream")) {
            problem(post("msg_" + UUID.randomUUID(), Events.pageView(eventId), type), 415)
                    .body("detail", containsString("application/cloudevents+json"));
        }
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isZero();
    }

    @Test
    void batchOverTheEventLimitIs413() {
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            events.add("{\"event_id\":\"" + Events.freshId() + "\"}");
        }
        String webhookId = "msg_" + UUID.randomUUID();

        problem(post(webhookId, "[" + String.join(",", events) + "]", "application/json"), 413)
                .body("detail", containsString("1000"));

        assertThat(storedFor(webhookId)).isZero();
    }

    @Test
    void singleEventOverTheEventSizeLimitIs413AndOneInABatchIsRejected() {
        String big = Events.freshId(), small = Events.freshId();
        String bigEvent = Events.pageView(big).replace("\"Home\"", "\"" + "x".repeat(70_000) + "\"");

        problem(post("msg_" + UUID.randomUUID(), bigEvent, "application/json"), 413)
                .body("detail", containsString("65536"));
        Signer.post("[" + bigEvent + "," + Events.pageView(small) + "]").then()
                .statusCode(202)
                .body("accepted", equalTo(1))
                .body("rejected[0].violations[0].message", containsString("65536"));

        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", big)).isZero();
    }

    @Test
    void bodyOverTheRequestLimitIs413Problem() {
        String webhookId = "msg_" + UUID.randomUUID();
        String body = "[" + "{\"pad\":\"" + "x".repeat(5_300_000) + "\"}]";

        problem(post(webhookId, body, "application/json"), 413)
                .body("type", equalTo("https://sluice.io/problems/too-large"))
                .body("detail", containsString("5242880"));

        assertThat(storedFor(webhookId)).isZero();
    }

    @Test
    void chunkedBodyOverTheHttpLimitIs413Problem() throws Exception {
        byte[] chunk = ("{\"pad\":\"" + "x".repeat(1 << 20) + "\"},").getBytes(StandardCharsets.US_ASCII);
        java.util.List<byte[]> parts = new ArrayList<>();
        parts.add("[".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 8; i++) {
            parts.add(chunk);
        }
        parts.add("{}]".getBytes(StandardCharsets.US_ASCII));
        HttpRequest request = HttpRequest.newBuilder(URI.create(RestAssured.baseURI + ":" + RestAssured.port + PATH))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.SequenceInputStream(
                        java.util.Collections.enumeration(parts.stream()
                                .map(java.io.ByteArrayInputStream::new).toList()))))
                .build();

        HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith(PROBLEM));
        assertThat(response.body()).contains("\"status\":413").contains("too-large");
    }

    @Test
    void unknownPathsAndMethodsAnswerProblems() {
        Signer.signed(Events.pageView(Events.freshId()), "application/json").when().get(PATH)
                .then().statusCode(405).contentType(startsWith(PROBLEM));
    }

    static com.fasterxml.jackson.databind.JsonNode json(String body) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static ValidatableResponse post(String webhookId, String body, String contentType) {
        return Signer.signed(Signer.DEV_SECRET, webhookId, Instant.now().getEpochSecond(), body, contentType)
                .when().post(PATH).then();
    }

    static ValidatableResponse problem(ValidatableResponse response, int status) {
        return response.statusCode(status)
                .contentType(startsWith(PROBLEM))
                .body("status", equalTo(status))
                .body("title", org.hamcrest.Matchers.notNullValue())
                .body("type", startsWith("https://sluice.io/problems/"))
                .body("detail", org.hamcrest.Matchers.notNullValue());
    }

    /** Rows of any kind that a request with this webhook-id left behind. */
    static long storedFor(String webhookId) {
        return Db.count("SELECT count(*) FROM bronze.events WHERE headers->>'webhook-id' = ?", webhookId)
                + Db.count("SELECT count(*) FROM bronze.rejected_events WHERE headers->>'webhook-id' = ?", webhookId)
                + Db.count("SELECT count(*) FROM bronze.webhook_deliveries WHERE webhook_id = ?", webhookId);
    }

    private static String cloudEvent(String id, String type) {
        return """
                {"specversion":"1.0","id":"%s","type":"%s","source":"/shop/frontend","time":"2026-11-20T07:00:00Z",
                 "datacontenttype":"application/json",
                 "data":{"anonymous_id":"anon-ce","page":{"url":"https://shop.example/ce"}}}""".formatted(id, type);
    }
}
