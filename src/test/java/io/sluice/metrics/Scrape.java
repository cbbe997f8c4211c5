package io.sluice.metrics;

import static io.restassured.RestAssured.given;

import java.util.Set;
import java.util.TreeSet;

/** Reads /q/metrics the way Prometheus does, in the text format 0.0.4. */
public final class Scrape {

    private Scrape() {
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
