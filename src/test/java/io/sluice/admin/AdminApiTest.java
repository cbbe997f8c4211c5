package io.sluice.admin;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/** The admin API: its own bearer tokens and roles, lineage of a real webhook event, paged lists, problem+json. */
@QuarkusTest
class AdminApiTest {

    static final String READER = "test-reader-token-not-for-prod";
    static final String STRANGER = "test-stranger-token-not-for-prod";
    private static final String PARTNER = "ops-admin-test";
    private static final String PARTNER_SECRET = "whsec_b3BzLWFkbWluLXRlc3Qtc2VjcmV0LW5vdC1mb3ItcHJvZA==";

    private final List<String> quarantined = new ArrayList<>();

    @AfterEach
    void removeQuarantineRows() {
        quarantined.forEach(id -> Db.execute("DELETE FROM bronze.quarantine WHERE event_id = ?", id));
    }

    /** The database's clock (received_at and quarantined_at come from it), as RFC 3339. */
    private static String databaseNow() {
        return (String) Db.rows("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS now")
                .get(0).get("now");
    }

    static RequestSpecification as(String token) {
        return given().header("Authorization", "Bearer " + token);
    }

    @Test
    void withoutATokenTheAnswerIs401ProblemJson() {
        given().when().get("/v1/admin/rejected")
                .then()
                .statusCode(401)
                .contentType(startsWith("application/problem+json"))
                .header("WWW-Authenticate", startsWith("Bearer"))
                .body("status", equalTo(401))
                .body("title", equalTo("Unauthorized"));
    }

    @Test
    void anUnknownTokenIs401AndAPartnerSignatureIsNoAdminToken() {
        as("not-a-configured-token").when().get("/v1/admin/rejected")
                .then().statusCode(401).contentType(startsWith("application/problem+json"));
        Signer.signed(Signer.DEV_SECRET, "msg_" + UUID.randomUUID(), Instant.now().getEpochSecond(), "{}",
                "application/json")
                .when().get("/v1/admin/quarantine")
                .then().statusCode(401);
    }

    @Test
    void aTokenWithoutTheRoleIs403ProblemJson() {
        as(STRANGER).when().get("/v1/admin/events/" + Events.freshId() + "/lineage")
                .then()
                .statusCode(403)
                .contentType(startsWith("application/problem+json"))
                .body("status", equalTo(403))
                .body("title", equalTo("Forbidden"));
    }

    @Test
    void lineageOfAWebhookEventShowsItsBronzeDeliverySilverRowAndLines() {
        String eventId = Events.freshId();
        Signer.post(Events.purchase(eventId, "SKU-ADMIN-1", 3, "2.50")).then().statusCode(202);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId) == 1);
        long bronzeId = Db.count("SELECT id FROM bronze.events WHERE event_id = ?", eventId);

        JsonPath lineage = as(READER).when().get("/v1/admin/events/" + eventId + "/lineage")
                .then()
                .statusCode(200)
                .contentType(startsWith("application/json"))
                .body("event_id", equalTo(eventId))
                .body("bronze.size()", equalTo(1))
                .body("bronze[0].channel", equalTo("webhook"))
                .body("bronze[0].source", equalTo(Signer.DEV_PARTNER))
                .body("bronze[0].event_type", equalTo("purchase"))
                .body("bronze[0].awaiting_promotion", equalTo(false))
                .body("silver.event_type", equalTo("purchase"))
                .body("silver.order_id", equalTo("order-" + eventId))
                .body("silver.channel", equalTo("webhook"))
                .body("order_items.size()", equalTo(1))
                .body("order_items[0].sku", equalTo("SKU-ADMIN-1"))
                .body("order_items[0].quantity", equalTo(3))
                .body("rejects.size()", equalTo(0))
                .body("quarantine.size()", equalTo(0))
                .extract().jsonPath();
        assertThat(lineage.getLong("bronze[0].id")).isEqualTo(bronzeId);
        assertThat(lineage.getLong("silver.bronze_id")).isEqualTo(bronzeId);
        assertThat(lineage.getString("bronze[0].payload_hash")).hasSize(64);
        assertThat(lineage.getString("bronze[0]")).doesNotContain("203.0.113.7");
        assertThat(lineage.getList("gold_facts")).isNotNull();
    }

    @Test
    void lineageOfAnUnknownEventIs404AndOfAnImpossibleOneIs400() {
        as(READER).when().get("/v1/admin/events/" + Events.freshId() + "/lineage")
                .then().statusCode(404).contentType(startsWith("application/problem+json"))
                .body("status", equalTo(404));
        as(READER).when().get("/v1/admin/events/" + "x".repeat(300) + "/lineage")
                .then().statusCode(400).contentType(startsWith("application/problem+json"));
    }

    @Test
    void rejectedEventsPageByCursorAndFilter() {
        String since = databaseNow();
        String prefix = "evt-reject-" + UUID.randomUUID();
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < 5; i++) {
            batch.append(i == 0 ? "" : ",").append("""
                    {"event_id":"%s-%d","event_type":"page_view","occurred_at":"2026-11-20T10:00:00Z",
                     "anonymous_id":"a-1","page":{"url":"not a url"}}""".formatted(prefix, i));
        }
        String body = batch.append("]").toString();
        Signer.signed(PARTNER_SECRET, "msg_" + UUID.randomUUID(), Instant.now().getEpochSecond(), body,
                "application/json").when().post("/v1/webhooks/" + PARTNER).then().statusCode(422);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonPath page = as(READER)
                    .queryParam("source", PARTNER).queryParam("channel", "webhook").queryParam("reason", "invalid")
                    .queryParam("from", since).queryParam("limit", 2)
                    .queryParams(cursor == null ? java.util.Map.of() : java.util.Map.of("cursor", cursor))
                    .when().get("/v1/admin/rejected")
                    .then().statusCode(200)
                    .body("items.source", org.hamcrest.Matchers.everyItem(equalTo(PARTNER)))
                    .extract().jsonPath();
            seen.addAll(page.getList("items.event_id", String.class));
            assertThat(page.getList("items[0].violations")).isNotEmpty();
            cursor = page.getString("next_cursor");
            pages++;
        } while (cursor != null && pages < 10);

        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactly(prefix + "-4", prefix + "-3", prefix + "-2", prefix + "-1", prefix + "-0");
        as(READER).queryParam("source", PARTNER).queryParam("channel", "kafka").queryParam("from", since)
                .when().get("/v1/admin/rejected")
                .then().statusCode(200).body("items.size()", equalTo(0)).body("next_cursor", nullValue());
    }

    @Test
    void quarantinedEventsPage() {
        String since = databaseNow();
        long base = Math.abs(UUID.randomUUID().getMostSignificantBits() % 1_000_000_000L) + 9_000_000_000L;
        for (int i = 0; i < 3; i++) {
            String eventId = "evt-quarantine-" + UUID.randomUUID();
            quarantined.add(eventId);
            Db.execute("INSERT INTO bronze.quarantine (bronze_id, received_at, event_id, attempts, error) "
                    + "VALUES (?, now(), ?, 5, 'transform failed')", base + i, eventId);
        }

        JsonPath first = as(READER).queryParam("from", since).queryParam("limit", 2)
                .when().get("/v1/admin/quarantine")
                .then().statusCode(200)
                .body("items.size()", equalTo(2))
                .body("items.event_id", hasItems(quarantined.get(2), quarantined.get(1)))
                .body("items[0].attempts", equalTo(5))
                .body("items[0].error", equalTo("transform failed"))
                .extract().jsonPath();
        as(READER).queryParam("from", since).queryParam("limit", 2)
                .queryParam("cursor", first.getString("next_cursor"))
                .when().get("/v1/admin/quarantine")
                .then().statusCode(200)
                .body("items.size()", equalTo(1))
                .body("items[0].event_id", equalTo(quarantined.get(0)))
                .body("next_cursor", nullValue());
    }

    @Test
    void badPagingParametersAre400ProblemJson() {
        as(READER).queryParam("limit", "0").when().get("/v1/admin/rejected")
                .then().statusCode(400).contentType(startsWith("application/problem+json"));
        as(READER).queryParam("from", "yesterday").when().get("/v1/admin/quarantine")
                .then().statusCode(400).contentType(startsWith("application/problem+json"))
                .body("detail", startsWith("from must be"));
        as(READER).queryParam("cursor", "abc").when().get("/v1/admin/rejected")
                .then().statusCode(400);
    }

    @Test
    void everyAdminEndpointIsInOpenApiWithItsErrors() {
        JsonPath openapi = given().queryParam("format", "json").when().get("/q/openapi")
                .then().statusCode(200).extract().jsonPath();
        for (String path : List.of("/v1/admin/events/{eventId}/lineage", "/v1/admin/rejected",
                "/v1/admin/quarantine")) {
            java.util.Map<String, Object> responses = openapi.getMap("paths.'" + path + "'.get.responses");
            assertThat(responses).as(path).containsKeys("200", "400", "401", "403");
        }
        assertThat(openapi.getMap("paths.'/v1/admin/events/{eventId}/lineage'.get.responses")).containsKey("404");
        assertThat(openapi.getString("components.securitySchemes.admin-token.scheme")).isEqualTo("bearer");
    }
}
