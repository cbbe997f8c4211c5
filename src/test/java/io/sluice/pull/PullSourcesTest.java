package io.sluice.pull;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.sluice.support.Db;
import io.sluice.support.Meters;

/**
 * The pull door against a real HTTP server ({@link FakeEventsApi}): pagination by body cursor and by Link header,
 * 429 with Retry-After (seconds and HTTP date), a 5xx streak, a read timeout, a malformed page, a 4xx-failing source
 * that recovers, the admin view and cursor move, and several pullers on one source through the row lock.
 */
@QuarkusTest
@TestProfile(PullProfile.class)
class PullSourcesTest {

    static final String READER = "test-reader-token-not-for-prod";
    static final String OPERATOR = "test-operator-token-not-for-prod";
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @Inject
    PullSources sources;

    private static long bronze(String scenario, String eventId) {
        String source = PullScenarios.source(scenario);
        return Db.count("SELECT count(*) FROM bronze.events WHERE channel = 'pull' AND source = ? AND event_id = ?",
                source, eventId);
    }

    /** One source as GET /v1/admin/sources shows it. */
    private static JsonPath source(String scenario) {
        String name = PullScenarios.source(scenario);
        JsonPath all = given().header("Authorization", "Bearer " + READER).get("/v1/admin/sources")
                .then().statusCode(200).extract().jsonPath();
        List<String> names = all.getList("items.name");
        int index = names.indexOf(name);
        assertThat(index).as("source %s in GET /v1/admin/sources", name).isNotNegative();
        return JsonPath.from(all.prettify()).setRootPath("items[" + index + "]");
    }

    @Test
    void pagesFollowTheBodyCursorAndTheCursorIsStoredWithTheEvents() {
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (int n = 1; n <= 3; n++) {
                assertThat(bronze("t-body", PullScenarios.id("body", n))).isEqualTo(1);
            }
            assertThat(source("t-body").getString("cursor")).isEqualTo("c2");
        });
        JsonPath view = source("t-body");
        assertThat(view.getLong("events")).isEqualTo(3);
        assertThat(view.getString("last_success_at")).isNotNull();
        // each page before the last one was asked for exactly once (the last is asked again each interval)
        List<String> cursors = FakeEventsApi.Control.cursors(PullScenarios.source("t-body"));
        assertThat(cursors.stream().filter("<start>"::equals).count()).isEqualTo(1);
        assertThat(cursors.stream().filter("c1"::equals).count()).isEqualTo(1);
        assertThat(Db.rows("SELECT headers->>'pull_cursor' AS cursor FROM bronze.events WHERE event_id = ?",
                PullScenarios.id("body", 3)).get(0).get("cursor")).isEqualTo("c1");
        assertThat(FakeEventsApi.Control.seen(PullScenarios.source("t-body"))).isNotEmpty();
        assertThat(Meters.sum(Meters.scrape(), "sluice_events_received_total", "channel=\"pull\"",
                "source=\"" + PullScenarios.source("t-body") + "\"", "outcome=\"accepted\"")).isEqualTo(3);
    }

    @Test
    void aLinkHeaderIsFollowedAndStructuredCloudEventsAreRead() {
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (int n = 1; n <= 3; n++) {
                assertThat(bronze("t-link", PullScenarios.id("link", n))).isEqualTo(1);
            }
        });
        assertThat(Db.rows("SELECT event_type FROM bronze.events WHERE event_id = ?", PullScenarios.id("link", 2))
                .get(0).get("event_type")).isEqualTo("page_view");
        assertThat(source("t-link").getString("cursor"))
                .isEqualTo(FakeEventsApi.Control.url(PullScenarios.source("t-link")) + "?page=2");
    }

    @Test
    void a429IsRetriedNoSoonerThanRetryAfterInSecondsOrAsAnHttpDate() {
        await().atMost(PATIENCE).untilAsserted(
                () -> assertThat(bronze("t-throttled", PullScenarios.id("throttled", 1))).isEqualTo(1));
        List<FakeEventsApi.Seen> seen = FakeEventsApi.Control.seen(PullScenarios.source("t-throttled"));
        assertThat(seen.size()).isGreaterThanOrEqualTo(3);
        assertThat(Duration.ofNanos(seen.get(1).atNanos() - seen.get(0).atNanos()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        assertThat(Duration.ofNanos(seen.get(2).atNanos() - seen.get(1).atNanos()))
                .isGreaterThanOrEqualTo(Duration.ofMillis(1000));
        assertThat(Meters.sum(Meters.scrape(), "sluice_pull_pages_total",
                "source=\"" + PullScenarios.source("t-throttled") + "\"",
                "outcome=\"retried\"")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aStreakOf5xxBacksOffAndThenResumes() {
        await().atMost(PATIENCE).untilAsserted(
                () -> assertThat(bronze("t-flaky", PullScenarios.id("flaky", 1))).isEqualTo(1));
        assertThat(FakeEventsApi.Control.seen(PullScenarios.source("t-flaky")).size()).isGreaterThanOrEqualTo(5);
        JsonPath view = source("t-flaky");
        assertThat(view.getString("last_error")).startsWith("HTTP 50");
        assertThat(view.getBoolean("failing")).isFalse();
        assertThat(Meters.sum(Meters.scrape(), "sluice_pull_pages_total",
                "source=\"" + PullScenarios.source("t-flaky") + "\"",
                "outcome=\"retried\"")).isGreaterThanOrEqualTo(4);
    }

    @Test
    void aPageThatTakesLongerThanTheReadTimeoutIsAbandonedAndRetried() {
        await().atMost(PATIENCE).untilAsserted(
                () -> assertThat(bronze("t-slow", PullScenarios.id("slow", 1))).isEqualTo(1));
        assertThat(bronze("t-slow", PullScenarios.id("slow", 0))).isZero();
        assertThat(source("t-slow").getString("last_error")).startsWith("timeout");
    }

    @Test
    void aMalformedPageIsRejectedWithItsReasonAndTheSourceGoesOn() {
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(bronze("t-malformed", PullScenarios.id("malformed", 1))).isEqualTo(1);
            assertThat(bronze("t-malformed", PullScenarios.id("malformed", 3))).isEqualTo(1);
        });
        List<Map<String, Object>> rejects = Db.rows("SELECT event_id, reason, violations::text AS violations "
                + "FROM bronze.rejected_events WHERE channel = 'pull' AND source = ? ORDER BY id",
                PullScenarios.source("t-malformed"));
        assertThat(rejects).anySatisfy(r -> {
            assertThat(r.get("reason")).isEqualTo("malformed");
            assertThat((String) r.get("violations")).contains("page is not JSON");
        });
        assertThat(rejects).anySatisfy(r -> {
            assertThat(r.get("event_id")).isEqualTo(PullScenarios.id("malformed", 2));
            assertThat(r.get("reason")).isEqualTo("invalid");
            assertThat((String) r.get("violations")).contains("event_type");
        });
        assertThat(rejects).anySatisfy(r -> {
            assertThat(r.get("reason")).isEqualTo("malformed");
            assertThat((String) r.get("violations")).contains("must be a JSON object");
        });
        assertThat(source("t-malformed").getBoolean("failing")).isFalse();
    }

    @Test
    void aSourceAnswering403IsFailingAloneAndRecoversByItself() {
        await().atMost(PATIENCE).untilAsserted(() -> {
            JsonPath view = source("t-denied");
            assertThat(view.getBoolean("failing")).isTrue();
            assertThat(view.getString("last_error")).startsWith("HTTP 403");
        });
        await().atMost(PATIENCE).untilAsserted(() -> assertThat(Meters.sum(Meters.scrape(), "sluice_pull_failing",
                "source=\"" + PullScenarios.source("t-denied") + "\"")).isEqualTo(1.0));
        FakeEventsApi.Control.flag("deny", false);
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(bronze("t-denied", PullScenarios.id("denied", 1))).isEqualTo(1);
            assertThat(source("t-denied").getBoolean("failing")).isFalse();
        });
        assertThat(Meters.sum(Meters.scrape(), "sluice_pull_pages_total",
                "source=\"" + PullScenarios.source("t-denied") + "\"",
                "outcome=\"failed\"")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void theAdminApiNeedsTheOperatorToMoveACursorAndTheSourcePullsFromThere() {
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(source("t-rewind").getString("cursor")).isEqualTo("c2"));
        given().header("Authorization", "Bearer " + READER).contentType("application/json")
                .body("{\"cursor\":\"c1\"}").post("/v1/admin/sources/" + PullScenarios.source("t-rewind") + "/cursor")
                .then().statusCode(403).contentType(startsWith("application/problem+json"));
        given().header("Authorization", "Bearer " + OPERATOR).contentType("application/json")
                .body("{\"cursor\":\"c1\"}").post("/v1/admin/sources/no-such-source/cursor")
                .then().statusCode(404).contentType(startsWith("application/problem+json"));
        long before = FakeEventsApi.Control.cursors(PullScenarios.source("t-rewind")).stream().filter("c1"::equals)
                .count();
        given().header("Authorization", "Bearer " + OPERATOR).contentType("application/json")
                .body("{\"cursor\":\"c1\"}").post("/v1/admin/sources/" + PullScenarios.source("t-rewind") + "/cursor")
                .then().statusCode(200).body("name", equalTo(PullScenarios.source("t-rewind")))
                .body("cursor", equalTo("c1"));
        await().atMost(PATIENCE).untilAsserted(() -> {
            assertThat(FakeEventsApi.Control.cursors(PullScenarios.source("t-rewind")).stream().filter("c1"::equals)
                    .count())
                    .isEqualTo(before + 1);
            assertThat(source("t-rewind").getString("cursor")).isEqualTo("c2");
        });
    }

    @Test
    void pullersOfSeveralInstancesNeverFetchTheSamePageTwice() throws Exception {
        // wait for the start-up pull of the closed gate (an empty page), then open it
        await().atMost(PATIENCE).until(() -> !FakeEventsApi.Control.seen(PullScenarios.source("t-shared")).isEmpty());
        int from = FakeEventsApi.Control.seen(PullScenarios.source("t-shared")).size();
        FakeEventsApi.Control.flag("shared-open", true);
        ExecutorService instances = Executors.newFixedThreadPool(3);
        ConcurrentLinkedQueue<String> outcomes = new ConcurrentLinkedQueue<>();
        List<Future<Void>> drivers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            drivers.add(instances.<Void>submit(() -> {
                long deadline = System.nanoTime() + PATIENCE.toNanos();
                while (System.nanoTime() < deadline) {
                    String outcome = sources.pullOnce(PullScenarios.source("t-shared")).await().atMost(PATIENCE);
                    outcomes.add(outcome);
                    if (outcome.equals("caught_up")) {
                        return null;
                    }
                    if (outcome.equals("busy")) {
                        Thread.sleep(20);
                    }
                }
                throw new AssertionError("never caught up");
            }));
        }
        for (Future<Void> driver : drivers) {
            driver.get(2, TimeUnit.MINUTES);
        }
        instances.shutdown();
        List<String> all = FakeEventsApi.Control.cursors(PullScenarios.source("t-shared"));
        List<String> asked = all.subList(from, all.size());
        String last = "s" + (PullScenarios.SHARED_PAGES - 1);
        assertThat(asked.stream().filter(c -> !c.equals(last)).toList())
                .as("every page but the last, asked for once").doesNotHaveDuplicates()
                .hasSize(PullScenarios.SHARED_PAGES - 1);
        assertThat(outcomes).contains("busy");
        for (int n = 0; n < PullScenarios.SHARED_PAGES; n++) {
            assertThat(bronze("t-shared", PullScenarios.id("shared", n))).isEqualTo(1);
        }
    }
}
