package io.sluice.quality;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Meters;
import io.sluice.support.Signer;

/**
 * Each kind of expectation fails and then recovers, with real signed events through the webhook door, promoted into
 * silver (which writes the counters) and judged by the scheduled evaluator: asserted on {@code quality.results}, on
 * {@code GET /v1/admin/quality} and on the meters.
 */
@QuarkusTest
@TestProfile(QualityProfile.class)
class QualityExpectationsTest {

    private static final String READER = "test-reader-token-not-for-prod";
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @BeforeEach
    void awayFromTheHourBoundary() {
        // the counters' window is the hour of receipt: a test must not straddle two hours. Minutes 55-59 last five
        // minutes, so the wait may too (a 5-minute bound timed out at 07:00:00 when the test began at 06:55:00)
        Awaitility.await().atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(5))
                .until(() -> OffsetDateTime.now(ZoneOffset.UTC).getMinute() < 55);
    }

    @Test
    void notNullFailsWhenAPartnerStopsSendingTheFieldAndRecoversWhenItSendsItAgain() {
        forget("q-not-null");
        send(QualityProfile.ROWS, repeat(4, id -> addToCart(id, null)));
        awaitVerdict("q-not-null", "fail", 1.0);
        assertThat(failingGauge("q-not-null")).isEqualTo(1.0);
        assertThat(checks("q-not-null", "fail")).isPositive();

        send(QualityProfile.ROWS, repeat(8, id -> addToCart(id, "user-1")));
        JsonPath status = awaitVerdict("q-not-null", "pass", 4.0 / 12);
        assertThat(status.getLong("expectations[0].latest.checked")).isEqualTo(12);
        assertThat(status.getLong("expectations[0].latest.failed")).isEqualTo(4);
        assertThat(status.getDouble("expectations[0].latest.threshold")).isEqualTo(0.5);
        Awaitility.await().atMost(PATIENCE).until(() -> failingGauge("q-not-null") == 0.0);
    }

    @Test
    void uniqueFailsOnARepeatedOrderIdAndRecoversWhenTheRatioFallsBelowTheThreshold() {
        forget("q-unique");
        String order = "order-" + UUID.randomUUID();
        send(QualityProfile.ROWS, List.of(purchase(Events.freshId(), order)));
        send(QualityProfile.ROWS, List.of(purchase(Events.freshId(), order)));
        JsonPath failing = awaitVerdict("q-unique", "fail", null);
        assertThat(failing.getLong("expectations[0].latest.failed")).isPositive();
        assertThat(resultRow("q-unique").get("verdict")).isEqualTo("fail");

        send(QualityProfile.ROWS, repeat(10, id -> purchase(id, "order-" + UUID.randomUUID())));
        JsonPath passing = awaitVerdict("q-unique", "pass", null);
        assertThat(passing.getLong("expectations[0].latest.checked")).isEqualTo(12);
        Awaitility.await().atMost(PATIENCE).until(() -> failingGauge("q-unique") == 0.0);
    }

    @Test
    void acceptedValuesFailsOnUnknownValuesAndRecovers() {
        forget("q-accepted");
        send(QualityProfile.ROWS, repeat(4, id -> pageView(id, "fr-FR")));
        awaitVerdict("q-accepted", "fail", 1.0);
        assertThat(failingGauge("q-accepted")).isEqualTo(1.0);

        send(QualityProfile.ROWS, repeat(13, id -> pageView(id, id.hashCode() % 2 == 0 ? "en-GB" : "de-DE")));
        awaitVerdict("q-accepted", "pass", 4.0 / 17);
        assertThat(resultRow("q-accepted").get("verdict")).isEqualTo("pass");
    }

    @Test
    void rangeFailsOnValuesOutsideAndRecovers() {
        forget("q-range");
        send(QualityProfile.ROWS, repeat(2, id -> productView(id, "5000.00")));
        awaitVerdict("q-range", "fail", 1.0);

        send(QualityProfile.ROWS, repeat(20, id -> productView(id, "12.50")));
        awaitVerdict("q-range", "pass", 2.0 / 22);
        assertThat(checks("q-range", "pass")).isPositive();
    }

    @Test
    void freshnessFailsWhenTheNewestEventIsTooOldAndRecoversWithAFreshOne() {
        forget("q-fresh");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        send(QualityProfile.FRESH, List.of(addToCartAt(Events.freshId(), now.minus(Duration.ofHours(5)))));
        // the evaluator runs an hour ahead: the event is about 6 h old to it, over the 3 h allowed
        Awaitility.await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            JsonPath status = quality("q-fresh");
            assertThat(status.getString("expectations[0].verdict")).isEqualTo("fail");
            assertThat(status.getString("expectations[0].latest.detail")).contains(
                    now.minus(Duration.ofHours(5)).atOffset(ZoneOffset.UTC).toString().replace("Z", ""));
            assertThat(status.getDouble("expectations[0].latest.observed")).isBetween(5.9 * 3600, 7.0 * 3600);
        });
        assertThat(failingGauge("q-fresh")).isEqualTo(1.0);

        send(QualityProfile.FRESH, List.of(addToCartAt(Events.freshId(), now)));
        Awaitility.await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            JsonPath status = quality("q-fresh");
            assertThat(status.getString("expectations[0].verdict")).isEqualTo("pass");
            assertThat(status.getDouble("expectations[0].latest.observed")).isLessThan(3 * 3600.0);
            assertThat(status.getDouble("expectations[0].latest.threshold")).isEqualTo(3 * 3600.0);
        });
        Awaitility.await().atMost(PATIENCE).until(() -> failingGauge("q-fresh") == 0.0);
    }

    @Test
    void volumeFailsBelowAndAboveTheTrailingWeeksSameHourAndRecoversInBetween() {
        forget("q-volume");
        // the trailing week cannot be waited for: its history is written as counters, 4 events in this hour each day
        OffsetDateTime hour = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.HOURS);
        for (int day = 1; day <= 7; day++) {
            Db.execute("INSERT INTO quality.counters (expectation, window_start, slot, checked) VALUES (?, ?, 0, 4)",
                    "q-volume", Timestamp.from(hour.minusDays(day).toInstant()));
        }
        // bounds 4 / 2 = 2 to 4 * 2 = 8 events in the hour, judged once the hour is complete (an hour ahead here)
        send(QualityProfile.VOLUME, repeat(1, id -> addToCart(id, "user-1")));
        JsonPath tooFew = awaitVerdict("q-volume", "fail", 1.0);
        assertThat(tooFew.getString("expectations[0].latest.detail"))
                .contains("baseline 4.0 events/h, accepted 2.0 to 8.0");

        send(QualityProfile.VOLUME, repeat(3, id -> addToCart(id, "user-1")));
        awaitVerdict("q-volume", "pass", 4.0);
        Awaitility.await().atMost(PATIENCE).until(() -> failingGauge("q-volume") == 0.0);

        send(QualityProfile.VOLUME, repeat(6, id -> addToCart(id, "user-1")));
        awaitVerdict("q-volume", "fail", 10.0);
        assertThat(failingGauge("q-volume")).isEqualTo(1.0);
    }

    @Test
    void theShippedDefaultsAreListedAndEventIdsAreUniqueInSilver() {
        // the dev partner: no test expectation counts its events
        for (String event : repeat(10, id -> pageView(id, "en-GB"))) {
            Signer.post(event).then().statusCode(202);
        }
        Awaitility.await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            JsonPath status = quality("event-id-unique");
            assertThat(status.getString("expectations[0].kind")).isEqualTo("unique");
            assertThat(status.getString("expectations[0].verdict")).isEqualTo("pass");
            assertThat(status.getLong("expectations[0].latest.checked")).isGreaterThanOrEqualTo(10);
            assertThat(status.getLong("expectations[0].latest.failed")).isZero();
        });
        JsonPath all = given().auth().oauth2(READER).when().get("/v1/admin/quality").then().statusCode(200)
                .extract().jsonPath();
        assertThat(all.getList("expectations.name", String.class)).contains("event-id-unique",
                "user-id-on-purchases", "freshness-dev", "freshness-quality-rows", "q-not-null", "q-volume");
        assertThat(all.getList("expectations.findAll { it.name == 'user-id-on-purchases' }.event_types"))
                .containsExactly(List.of("purchase"));
        assertThat(Meters.scrape()).containsPattern("sluice_quality_failing\\{expectation=\"event-id-unique\",?} 0.0");
    }

    @Test
    void theEndpointIsForReadersAndRefusesBadQueries() {
        given().when().get("/v1/admin/quality").then().statusCode(401);
        given().auth().oauth2("test-stranger-token-not-for-prod").when().get("/v1/admin/quality").then()
                .statusCode(403);
        given().auth().oauth2("test-operator-token-not-for-prod").when().get("/v1/admin/quality").then()
                .statusCode(200);
        given().auth().oauth2(READER).queryParam("expectation", "no-such-thing").when().get("/v1/admin/quality")
                .then().statusCode(404).contentType("application/problem+json")
                .body("detail", equalTo("There is no data-quality expectation named no-such-thing."));
        given().auth().oauth2(READER).queryParam("hours", 0).when().get("/v1/admin/quality").then().statusCode(400)
                .contentType("application/problem+json");
    }

    // --- helpers

    /** This test's expectation starts from nothing: no counters, no results (earlier runs in the same hour). */
    private static void forget(String expectation) {
        Db.execute("DELETE FROM quality.counters WHERE expectation = ?", expectation);
        Db.execute("DELETE FROM quality.results WHERE expectation = ?", expectation);
    }

    private static JsonPath quality(String expectation) {
        return given().auth().oauth2(READER).queryParam("expectation", expectation).when().get("/v1/admin/quality")
                .then().statusCode(200).extract().jsonPath();
    }

    /** Waits for the latest verdict (and the observed value, when given) in the endpoint and quality.results. */
    private static JsonPath awaitVerdict(String expectation, String verdict, Double observed) {
        List<JsonPath> last = new ArrayList<>(1);
        Awaitility.await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            JsonPath status = quality(expectation);
            assertThat(status.getString("expectations[0].verdict")).isEqualTo(verdict);
            if (observed != null) {
                assertThat(status.getDouble("expectations[0].latest.observed")).isCloseTo(observed,
                        org.assertj.core.data.Offset.offset(1e-6)); // JSON numbers are read as floats
            }
            assertThat(status.getList("expectations[0].history.verdict")).contains(verdict);
            last.clear();
            last.add(status);
        });
        Awaitility.await().atMost(PATIENCE).untilAsserted(() -> assertThat(
                Db.count("SELECT count(*) FROM quality.results WHERE expectation = ? AND verdict = ?", expectation,
                        verdict))
                .isPositive());
        return last.get(0);
    }

    private static Map<String, Object> resultRow(String expectation) {
        return Db.rows("SELECT * FROM quality.results WHERE expectation = ? AND verdict <> 'no_data'"
                + " ORDER BY window_start DESC LIMIT 1", expectation).get(0);
    }

    private static double failingGauge(String expectation) {
        return Meters.sum(Meters.scrape(), "sluice_quality_failing", "expectation=\"" + expectation + "\"");
    }

    private static double checks(String expectation, String verdict) {
        return Meters.sum(Meters.scrape(), "sluice_quality_checks_total", "expectation=\"" + expectation + "\"",
                "verdict=\"" + verdict + "\"");
    }

    private static void send(String partner, List<String> events) {
        String body = "[" + String.join(",", events) + "]";
        Signer.signed(QualityProfile.SECRET, "msg_" + UUID.randomUUID(), Instant.now().getEpochSecond(), body,
                "application/json").when().post("/v1/webhooks/" + partner)
                .then().statusCode(202).body("accepted", equalTo(events.size()));
    }

    private static List<String> repeat(int n, java.util.function.Function<String, String> event) {
        List<String> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(event.apply(Events.freshId()));
        }
        return events;
    }

    private static String addToCart(String id, String userId) {
        return """
                {"event_id":"%s","event_type":"add_to_cart","occurred_at":"%s","anonymous_id":"anon-q",%s
                 "product":{"sku":"SKU-QUALITY","price":9.99,"currency":"EUR"},"quantity":1}"""
                .formatted(id, Instant.now().truncatedTo(ChronoUnit.SECONDS),
                        userId == null ? "" : "\"user_id\":\"" + userId + "\",");
    }

    private static String addToCartAt(String id, Instant occurredAt) {
        return """
                {"event_id":"%s","event_type":"add_to_cart","occurred_at":"%s","user_id":"user-1",
                 "product":{"sku":"SKU-QUALITY","price":9.99,"currency":"EUR"},"quantity":1}"""
                .formatted(id, occurredAt);
    }

    private static String purchase(String id, String orderId) {
        return """
                {"event_id":"%s","event_type":"purchase","occurred_at":"%s","user_id":"user-1",
                 "order":{"order_id":"%s","currency":"EUR","total":9.99,
                          "items":[{"sku":"SKU-QUALITY","quantity":1,"unit_price":9.99}]}}"""
                .formatted(id, Instant.now().truncatedTo(ChronoUnit.SECONDS), orderId);
    }

    private static String pageView(String id, String locale) {
        return """
                {"event_id":"%s","event_type":"page_view","occurred_at":"%s","anonymous_id":"anon-q",
                 "page":{"url":"https://shop.example/"},"context":{"locale":"%s"}}"""
                .formatted(id, Instant.now().truncatedTo(ChronoUnit.SECONDS), locale);
    }

    private static String productView(String id, String price) {
        return """
                {"event_id":"%s","event_type":"product_view","occurred_at":"%s","user_id":"user-1",
                 "product":{"sku":"SKU-QUALITY-%s","name":"Mug","price":%s,"currency":"EUR"}}"""
                .formatted(id, Instant.now().truncatedTo(ChronoUnit.SECONDS), UUID.randomUUID(), price);
    }
}
