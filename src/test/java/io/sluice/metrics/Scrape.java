package io.sluice.metrics;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/** Reads /q/metrics the way Prometheus does, in the text format 0.0.4. */
public final class Scrape {

    private Scrape() {
    }

    /**
     * Sends one accepted and one refused (stale) webhook and waits until the event is promoted, so the tagged meters
     * (received, auth failures, promotion) have samples, then scrapes.
     */
    public static String prometheusTextAfterTraffic() {
        String eventId = Events.freshId();
        Signer.post(Events.pageView(eventId)).then().statusCode(202);
        Signer.signed(Signer.DEV_SECRET, "msg_" + eventId, Instant.now().getEpochSecond() - 3600,
                Events.pageView(eventId), "application/json").when().post("/v1/webhooks/dev").then().statusCode(401);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId) == 1);
        return prometheusText();
    }

    public static String prometheusText() {
        return given().header("Accept", "text/plain; version=0.0.4")
                .when().get("/q/metrics")
                .then().statusCode(200)
                .extract().asString();
    }

    /** The names of every sample line ({@code sluice_bronze_write_seconds_bucket}, ...). */
    public static Set<String> sampleNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
                end++;
            }
            names.add(line.substring(0, end));
        }
        return names;
    }
}
